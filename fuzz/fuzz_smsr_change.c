/* libFuzzer: what the SM-SR change reads that others wrote (lib/smsr/change_isdr.c, change.c). The
 * first byte picks: 0 -> a 3A02 C-APDU taken apart into ES7.CreateAdditionalKeySet's fields
 * (smsr_chg_keyset_fields) and, when that works, rebuilt by the sender's side (smsr_chg_keyset_apdu,
 * which must refuse or give back bytes whose fields are the same again); 1 -> a cursor text of the audit
 * trail (smsr_chg_decode: a step in range, and encode(decode(x)) decodes to the same cursor). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es_types.h"
#include "smsr/smsr_change.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clear(rsp_es_key_req *q)
{
    rsp_buf_free(&q->scenario_parameter);
    rsp_buf_free(&q->ephemeral_public_key);
    rsp_buf_free(&q->signature);
    rsp_buf_free(&q->host_id);
    memset(q, 0, sizeof(*q));
}

static void keyset(const uint8_t *p, size_t n)
{
    rsp_es_key_req q, q2;
    memset(&q, 0, sizeof(q));
    memset(&q2, 0, sizeof(q2));
    rsp_buf a = RSP_BUF_INIT;
    if (smsr_chg_keyset_fields(p, n, &q) == RSP_OK && smsr_chg_keyset_apdu(&q, &a) == RSP_OK) {
        if (smsr_chg_keyset_fields(a.data, a.len, &q2) != RSP_OK || q2.key_version_number != q.key_version_number ||
            !rsp_bytes_eq(rsp_buf_view(&q2.ephemeral_public_key), rsp_buf_view(&q.ephemeral_public_key)) ||
            !rsp_bytes_eq(rsp_buf_view(&q2.signature), rsp_buf_view(&q.signature)) ||
            !rsp_bytes_eq(rsp_buf_view(&q2.scenario_parameter), rsp_buf_view(&q.scenario_parameter)))
            __builtin_trap();
    }
    clear(&q);
    clear(&q2);
    rsp_buf_free(&a);
}

static void cursor(const uint8_t *p, size_t n)
{
    char t[600];
    if (n >= sizeof(t))
        n = sizeof(t) - 1;
    memcpy(t, p, n);
    t[n] = 0;
    smsr_chg c, c2;
    memset(&c, 0, sizeof(c));
    memset(&c2, 0, sizeof(c2));
    if (smsr_chg_decode(t, &c) != RSP_OK)
        return;
    if (c.step <= CHG_NONE || c.step >= CHG__COUNT)
        __builtin_trap();
    char e[600];
    if (smsr_chg_encode(&c, e, sizeof(e)) != RSP_OK)
        return; /* an identity with a separator: refused on the way out */
    if (smsr_chg_decode(e, &c2) != RSP_OK || c2.step != c.step || c2.attempt != c.attempt || c2.old80 != c.old80 ||
        c2.has_rc != c.has_rc || strcmp(c2.peer, c.peer) != 0 || strcmp(c2.by, c.by) != 0)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        cursor(data + 1, size - 1);
    else
        keyset(data + 1, size - 1);
    return 0;
}
