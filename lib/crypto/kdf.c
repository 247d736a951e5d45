#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "algs.h"
#include "rsp/crypto.h"

rsp_err rsp_kdf_ctr_cmac(const uint8_t *key, size_t keylen, const uint8_t *before, size_t before_len,
                         const uint8_t *after, size_t after_len, uint8_t *out, size_t outlen)
{
    if (outlen == 0 || outlen > 255 * 16)
        return RSP_ERR_INVAL;
    uint8_t block[16];
    for (size_t done = 0, i = 1; done < outlen; i++) {
        uint8_t ctr = (uint8_t)i;
        rsp_bytes parts[3] = {rsp_bytes_of(before, before_len), rsp_bytes_of(&ctr, 1),
                              rsp_bytes_of(after, after_len)};
        rsp_err e = rsp_aes_cmac_parts(key, keylen, parts, 3, block);
        if (e)
            return e;
        size_t n = outlen - done < 16 ? outlen - done : 16;
        memcpy(out + done, block, n);
        done += n;
    }
    rsp_wipe(block, sizeof(block));
    return RSP_OK;
}

rsp_err rsp_kdf_scp03(const uint8_t *key, size_t keylen, uint8_t constant, const uint8_t *context,
                      size_t ctxlen, uint8_t *out, size_t outlen)
{
    if (outlen == 0 || outlen > 0xFFFF / 8)
        return RSP_ERR_INVAL;
    uint8_t label[15] = {0};
    label[11] = constant;
    label[12] = 0x00; /* separation indicator */
    rsp_put_be16(label + 13, (uint16_t)(outlen * 8));
    return rsp_kdf_ctr_cmac(key, keylen, label, sizeof(label), context, ctxlen, out, outlen);
}

rsp_err rsp_kdf_x963_sha256(const uint8_t *z, size_t zlen, const uint8_t *shared_info, size_t silen,
                            uint8_t *out, size_t outlen)
{
    const rsp_algs *a = rsp_algs_get();
    if (!a)
        return RSP_ERR_CRYPTO;
    if (!z || zlen == 0 || !out || outlen == 0)
        return RSP_ERR_INVAL;
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(a->x963);
    if (!ctx)
        return RSP_ERR_NOMEM;
    static const uint8_t none[1];
    OSSL_PARAM p[4] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, zlen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(silen ? shared_info : none), silen),
        OSSL_PARAM_construct_end(),
    };
    rsp_err rc = EVP_KDF_derive(ctx, out, outlen, p) == 1 ? RSP_OK : RSP_ERR_CRYPTO;
    EVP_KDF_CTX_free(ctx);
    return rc;
}

rsp_err rsp_random(uint8_t *out, size_t len)
{
    if (len == 0)
        return RSP_OK;
    if (len > INT32_MAX)
        return RSP_ERR_INVAL;
    return RAND_bytes(out, (int)len) == 1 ? RSP_OK : RSP_ERR_CRYPTO;
}
