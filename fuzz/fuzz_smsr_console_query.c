/* libFuzzer target: the console's query-string parser and value checks (outside input from any
 * browser). Invariants: never crashes; a parse that succeeds gives at most QMAX parameters with
 * NUL-terminated, printable, bounded keys and values, no key twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/smsr_console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_smsr_console_query q;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_smsr_console_query_parse((const char *)data, size, &q, &d) != RSP_OK)
        return 0;
    if (q.n > RSP_SMSR_CONSOLE_QMAX)
        abort();
    for (size_t i = 0; i < q.n; i++) {
        size_t kl = strnlen(q.p[i].key, sizeof(q.p[i].key)), vl = strnlen(q.p[i].val, sizeof(q.p[i].val));
        if (kl == 0 || kl >= sizeof(q.p[i].key) || vl >= sizeof(q.p[i].val))
            abort();
        for (size_t j = 0; j < vl; j++)
            if (q.p[i].val[j] < 0x20 || q.p[i].val[j] > 0x7E)
                abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(q.p[i].key, q.p[j].key))
                abort();
        if (rsp_smsr_console_query_get(&q, q.p[i].key) != q.p[i].val)
            abort();
        for (int k = RSP_SMSR_CONSOLE_EID; k <= RSP_SMSR_CONSOLE_NAME; k++)
            rsp_smsr_console_check((rsp_smsr_console_kind)k, q.p[i].val, &d);
    }
    return 0;
}
