/* libFuzzer target: the SM-DS's ES12 JSON decoder (include/rsp/smds.h), both functions in both
 * directions. The first byte picks function and direction, the rest is the body. Oracles: decoding
 * never crashes or leaks; whatever decodes re-encodes, and that encoding decodes again to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/smds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    rsp_smds_es12_func f = (rsp_smds_es12_func)((data[0] & 0x7F) % RSP_SMDS_ES12_FUNC_N);
    bool response = data[0] & 0x80;
    rsp_smds_es12_msg m, m2;
    if (rsp_smds_es12_decode(f, response, data + 1, size - 1, &m, NULL) != RSP_OK)
        return 0;
    rsp_buf a = RSP_BUF_INIT, b = RSP_BUF_INIT;
    if (rsp_smds_es12_encode(&m, &a, NULL) != RSP_OK)
        abort();
    if (rsp_smds_es12_decode(f, response, a.data, a.len, &m2, NULL) != RSP_OK)
        abort();
    if (rsp_smds_es12_encode(&m2, &b, NULL) != RSP_OK || a.len != b.len || memcmp(a.data, b.data, a.len))
        abort();
    rsp_buf_free(&a);
    rsp_buf_free(&b);
    return 0;
}
