#include <string.h>

#include "algs.h"
#include "rsp/crypto.h"

rsp_err rsp_aes_cmac_parts(const uint8_t *key, size_t keylen, const rsp_bytes *parts, size_t n,
                           uint8_t out[16])
{
    const rsp_algs *a = rsp_algs_get();
    if (!a)
        return RSP_ERR_CRYPTO;
    int i = rsp_algs_aes_index(keylen);
    if (i < 0 || !key)
        return RSP_ERR_INVAL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(a->cmac_tmpl[i]);
    if (!ctx)
        return RSP_ERR_NOMEM;
    rsp_err rc = RSP_ERR_CRYPTO;
    size_t outl = 0;
    if (EVP_MAC_init(ctx, key, keylen, NULL) != 1)
        goto done;
    for (size_t k = 0; k < n; k++)
        if (parts[k].len && EVP_MAC_update(ctx, parts[k].p, parts[k].len) != 1)
            goto done;
    if (EVP_MAC_final(ctx, out, &outl, 16) == 1 && outl == 16)
        rc = RSP_OK;
done:
    EVP_MAC_CTX_free(ctx);
    return rc;
}

rsp_err rsp_aes_cmac(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t out[16])
{
    rsp_bytes part = rsp_bytes_of(msg, len);
    return rsp_aes_cmac_parts(key, keylen, &part, 1, out);
}

rsp_err rsp_des3_cbc_mac(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t out[8])
{
    if (keylen != 8 && keylen != 16 && keylen != 24)
        return RSP_ERR_INVAL;
    size_t padded = (len + 7) / 8 * 8;
    if (padded == 0)
        padded = 8;
    uint8_t stackbuf[512];
    uint8_t *tmp = padded <= sizeof(stackbuf) ? stackbuf : OPENSSL_malloc(padded);
    if (!tmp)
        return RSP_ERR_NOMEM;
    if (len)
        memcpy(tmp, msg, len);
    memset(tmp + len, 0, padded - len);
    rsp_err e = rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, true, key, keylen, NULL, tmp, padded, tmp);
    if (!e)
        memcpy(out, tmp + padded - 8, 8);
    if (tmp != stackbuf)
        OPENSSL_free(tmp);
    return e;
}

rsp_err rsp_sha256(const uint8_t *msg, size_t len, uint8_t out[32])
{
    const rsp_algs *a = rsp_algs_get();
    if (!a)
        return RSP_ERR_CRYPTO;
    unsigned int outl = 0;
    return EVP_Digest(msg, len, out, &outl, a->sha256, NULL) == 1 && outl == 32 ? RSP_OK : RSP_ERR_CRYPTO;
}
