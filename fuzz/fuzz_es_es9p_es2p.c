/* libFuzzer target: the ES2+ JSON decoder (include/rsp/es2p.h), every function in both directions
 * (first byte). Oracles: no crash or leak; what decodes re-encodes and decodes to the same encoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es2p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    rsp_es2p_func f = (rsp_es2p_func)((data[0] & 0x7F) % RSP_ES2P_FUNC_N);
    bool response = data[0] & 0x80;
    rsp_es2p_msg m, m2;
    if (rsp_es2p_decode(f, response, data + 1, size - 1, &m, NULL) != RSP_OK)
        return 0;
    rsp_buf a = RSP_BUF_INIT, b = RSP_BUF_INIT;
    if (rsp_es2p_encode(&m, &a, NULL) != RSP_OK || rsp_es2p_decode(f, response, a.data, a.len, &m2, NULL) != RSP_OK ||
        rsp_es2p_encode(&m2, &b, NULL) != RSP_OK || a.len != b.len || memcmp(a.data, b.data, a.len))
        abort();
    rsp_buf_free(&a);
    rsp_buf_free(&b);
    return 0;
}
