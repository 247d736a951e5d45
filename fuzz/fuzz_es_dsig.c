/* libFuzzer target: the XML-DSig EumSignature verifier (a document with an Eis from outside). Oracles:
 * verifying never crashes; a document we can sign must verify with the same key right after (signing
 * and verifying canonicalise the same way), and must stop verifying with another key. */
#include <stdint.h>
#include <stdlib.h>

#include "rsp/crypto.h"
#include "rsp/es.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t d1[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    static const uint8_t d2[32] = {32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17,
                                   16, 15, 14, 13, 12, 11, 10, 9,  8,  7,  6,  5,  4,  3,  2,  1};
    rsp_eckey *k = NULL, *other = NULL;
    if (rsp_ec_from_private(RSP_CURVE_P256, d1, &k) != RSP_OK ||
        rsp_ec_from_private(RSP_CURVE_P256, d2, &other) != RSP_OK)
        abort();
    (void)rsp_es_eis_dsig_verify(data, size, k, NULL);
    rsp_buf s = RSP_BUF_INIT;
    if (rsp_es_eis_dsig_sign(data, size, k, data, size > 16 ? 16 : size, &s, NULL) == RSP_OK) {
        if (rsp_es_eis_dsig_verify(s.data, s.len, k, NULL) != RSP_OK)
            abort();
        if (rsp_es_eis_dsig_verify(s.data, s.len, other, NULL) != RSP_ERR_VERIFY)
            abort();
    }
    rsp_buf_free(&s);
    rsp_ec_free(k);
    rsp_ec_free(other);
    return 0;
}
