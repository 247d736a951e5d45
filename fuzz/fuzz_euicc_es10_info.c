/* Fuzzes the ES10 GetEID / challenge / EUICCInfo1 / EUICCInfo2 decoders and the empty-request check.
 * Whatever decodes must re-encode to bytes that decode again to the same fields. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/es10.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t b16[16];
    (void)rsp_es10_eid_response_decode(data, size, b16, NULL);
    (void)rsp_es10_challenge_response_decode(data, size, b16, NULL);
    (void)rsp_es10_empty_request_check(data, size, RSP_ES10_GET_EID, NULL);
    (void)rsp_es10_empty_request_check(data, size, RSP_ES10_EUICC_INFO1, NULL);
    uint32_t tag;
    (void)rsp_es10_peek_tag(data, size, &tag, NULL);
    rsp_es10_info1 i1, j1;
    rsp_buf b = RSP_BUF_INIT;
    if (rsp_es10_info1_decode(data, size, &i1, NULL) == RSP_OK) {
        if (rsp_es10_info1_encode(&i1, &b) != RSP_OK || rsp_es10_info1_decode(b.data, b.len, &j1, NULL) != RSP_OK ||
            memcmp(i1.svn, j1.svn, 3) || i1.verification.n != j1.verification.n || i1.signing.n != j1.signing.n)
            __builtin_trap();
    }
    rsp_buf_reset(&b);
    rsp_es10_info2 i2, j2;
    if (rsp_es10_info2_decode(data, size, &i2, NULL) == RSP_OK) {
        if (rsp_es10_info2_encode(&i2, &b) != RSP_OK || rsp_es10_info2_decode(b.data, b.len, &j2, NULL) != RSP_OK ||
            i2.euicc_category != j2.euicc_category || i2.rsp_capability.len != j2.rsp_capability.len)
            __builtin_trap();
    }
    rsp_buf_free(&b);
    return 0;
}
