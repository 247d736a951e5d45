#include <string.h>

#include "algs.h"
#include "rsp/crypto.h"

size_t rsp_cipher_block_size(rsp_cipher_alg alg)
{
    return alg == RSP_CIPHER_AES ? 16 : 8;
}

static const EVP_CIPHER *pick(const rsp_algs *a, rsp_cipher_alg alg, rsp_cipher_mode mode, size_t keylen,
                              const uint8_t *key, uint8_t *expanded)
{
    if (alg == RSP_CIPHER_AES) {
        int i = rsp_algs_aes_index(keylen);
        if (i < 0)
            return NULL;
        return mode == RSP_MODE_CBC ? a->aes_cbc[i] : a->aes_ecb[i];
    }
    if (keylen == 8) {
        /* Single DES is 3DES with K1 = K2 = K3; no legacy provider needed. */
        memcpy(expanded, key, 8);
        memcpy(expanded + 8, key, 8);
        memcpy(expanded + 16, key, 8);
        return mode == RSP_MODE_CBC ? a->des3_cbc : a->des3_ecb;
    }
    if (keylen == 16)
        return mode == RSP_MODE_CBC ? a->des2_cbc : a->des2_ecb;
    if (keylen == 24)
        return mode == RSP_MODE_CBC ? a->des3_cbc : a->des3_ecb;
    return NULL;
}

rsp_err rsp_cipher(rsp_cipher_alg alg, rsp_cipher_mode mode, bool encrypt, const uint8_t *key,
                   size_t keylen, const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out)
{
    const rsp_algs *a = rsp_algs_get();
    if (!a)
        return RSP_ERR_CRYPTO;
    size_t bs = rsp_cipher_block_size(alg);
    if (!key || (len && (!in || !out)) || len % bs != 0 || len > INT32_MAX)
        return RSP_ERR_INVAL;
    uint8_t k3[24];
    const EVP_CIPHER *c = pick(a, alg, mode, keylen, key, k3);
    if (!c)
        return RSP_ERR_INVAL;
    if (len == 0)
        return RSP_OK;
    static const uint8_t zero_iv[16];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return RSP_ERR_NOMEM;
    rsp_err rc = RSP_ERR_CRYPTO;
    int outl = 0;
    if (EVP_CipherInit_ex2(ctx, c, keylen == 8 ? k3 : key, mode == RSP_MODE_CBC ? (iv ? iv : zero_iv) : NULL,
                           encrypt ? 1 : 0, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 && EVP_CipherUpdate(ctx, out, &outl, in, (int)len) == 1 &&
        (size_t)outl == len)
        rc = RSP_OK;
    EVP_CIPHER_CTX_free(ctx);
    rsp_wipe(k3, sizeof(k3));
    return rc;
}
