/* libFuzzer: the short C-APDU codec (rsp_apdu_parse, rsp_apdu_next_t0, rsp_apdu_resp_split) on
 * outside bytes. A parse that succeeds must re-encode to exactly the input (rsp_apdu_encode is its
 * round trip), and the T=0 walker must make progress within bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/apdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_apdu a;
    rsp_diag d;
    rsp_buf enc = RSP_BUF_INIT;
    rsp_diag_clear(&d);
    if (rsp_apdu_parse(data, size, &a, &d) == RSP_OK) {
        if (a.lc > 255 || (a.lc && a.data + a.lc > data + size) || a.apdu_case < 1 || a.apdu_case > 4)
            __builtin_trap();
        if (rsp_apdu_encode(&enc, &a) != RSP_OK || enc.len != size || memcmp(enc.data, data, size) != 0)
            __builtin_trap();
    }
    rsp_buf_free(&enc);

    /* The same bytes as a TS 102 226 compact script: walk it command by command. */
    size_t off = 0;
    while (off < size) {
        size_t used = 0;
        rsp_diag_clear(&d);
        if (rsp_apdu_next_t0(data + off, size - off, &a, &used, &d) != RSP_OK)
            break;
        if (used < 5 || used > size - off || (a.lc && a.data + a.lc > data + size))
            __builtin_trap();
        off += used;
    }

    rsp_bytes body;
    uint16_t sw;
    if (rsp_apdu_resp_split(data, size, &body, &sw, NULL) == RSP_OK && body.len + 2 != size)
        __builtin_trap();
    return 0;
}
