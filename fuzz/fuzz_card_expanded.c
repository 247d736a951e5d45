/* Remote APDU scripts and responses in every format, executed with a callback that answers from the
 * input, so the stop-on-error path is reached. */
#include <stdint.h>

#include "rsp/rapdu.h"

static rsp_err exec_fn(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *r)
{
    (void)ctx;
    uint16_t sw = len > 4 ? (uint16_t)(capdu[len - 1] << 8 | capdu[0]) : 0x9000;
    return rsp_buf_append_u16(r, sw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_rapdu_script s;
    rsp_rapdu_resp r;
    for (int f = 0; f < 3; f++) {
        if (rsp_rapdu_script_parse((rsp_rapdu_format)f, data, size, &s, NULL) == RSP_OK) {
            rsp_buf out = RSP_BUF_INIT;
            if (rsp_rapdu_execute(&s, exec_fn, NULL, &out) == RSP_OK)
                rsp_rapdu_resp_parse((rsp_rapdu_format)f, out.data, out.len, &r, NULL);
            rsp_buf_free(&out);
        }
        rsp_rapdu_resp_parse((rsp_rapdu_format)f, data, size, &r, NULL);
    }
    return 0;
}
