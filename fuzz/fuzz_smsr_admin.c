/* libFuzzer: what the SM-SR reads of a card's admin POST (smsr_adm_post_parse, lib/smsr/admin.c):
 * the PSK identity text, the request target (its ?msg=<hex>) and the X-Admin-* header lines, all
 * from the card. Input layout: identity NUL target NUL headers (missing parts are empty). A POST
 * that parses names a 32-digit EID, the ISD-R, and a notification that fits its buffer; whatever the
 * input, the session table answers every (state, event) it is fed without leaving its states. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smsr/smsr_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 3);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = buf[size + 2] = 0;
    const char *id = buf;
    const char *target = id + strlen(id) + 1;
    if (target > buf + size)
        target = buf + size + 1;
    const char *hdr = target + strlen(target) + 1;
    if (hdr > buf + size)
        hdr = buf + size + 2;
    size_t hlen = strlen(hdr);
    smsr_adm_post p;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (smsr_adm_post_parse(id, target, hdr, hlen, size & 0x7, &p, &d) == RSP_OK) {
        if (strlen(p.eid) != 32 || p.msg_len > sizeof(p.msg))
            __builtin_trap();
        for (size_t i = 0; i < 32; i++)
            if (p.eid[i] < '0' || p.eid[i] > '9')
                __builtin_trap();
    }
    /* the table: a walk driven by the input's bytes stays within its states */
    smsr_adm_state st = SMSR_ADM_CLOSED;
    for (size_t i = 0; i < size && i < 64; i++) {
        unsigned act = 0;
        smsr_adm_state to = st;
        if (smsr_adm_next(st, (smsr_adm_event)(data[i] % 8), (data[i] >> 3) & 1, &act, &to) == RSP_OK) {
            if ((unsigned)to > SMSR_ADM_RUNNING || ((act & SMSR_ADM_A_SEND) && (act & SMSR_ADM_A_HOLD)))
                __builtin_trap();
            st = to;
        }
    }
    free(buf);
    return 0;
}
