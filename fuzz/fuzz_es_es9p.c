/* libFuzzer target: the ES9+ JSON decoder (include/rsp/es9p.h), every function in both directions.
 * The first byte picks function and direction, the rest is the body. Oracles: decoding never crashes
 * or leaks; whatever decodes re-encodes, and that encoding decodes again to the same encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es9p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    rsp_es9p_func f = (rsp_es9p_func)((data[0] & 0x7F) % RSP_ES9P_FUNC_N);
    bool response = data[0] & 0x80;
    rsp_es9p_msg m, m2;
    if (rsp_es9p_decode(f, response, data + 1, size - 1, &m, NULL) != RSP_OK)
        return 0;
    rsp_buf a = RSP_BUF_INIT, b = RSP_BUF_INIT;
    if (rsp_es9p_encode(&m, &a, NULL) != RSP_OK)
        abort();
    if (rsp_es9p_decode(f, response, a.data, a.len, &m2, NULL) != RSP_OK)
        abort();
    if (rsp_es9p_encode(&m2, &b, NULL) != RSP_OK || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len)))
        abort();
    rsp_es9p_msg_free(&m);
    rsp_es9p_msg_free(&m2);
    rsp_buf_free(&a);
    rsp_buf_free(&b);
    return 0;
}
