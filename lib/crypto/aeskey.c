/* Keyed AES objects: the contexts live as long as the key, so per-block work is only the update. */
#include <stdlib.h>
#include <string.h>

#include "algs.h"
#include "rsp/crypto.h"

struct rsp_aes_key {
    uint8_t key[32];
    size_t keylen;
    int idx;
    EVP_CIPHER_CTX *ecb_enc, *ecb_dec, *cbc_enc, *cbc_dec;
    EVP_MAC_CTX *cmac;
};

rsp_err rsp_aes_key_new(const uint8_t *key, size_t keylen, rsp_aes_key **out)
{
    int idx = rsp_algs_aes_index(keylen);
    if (!key || idx < 0)
        return RSP_ERR_INVAL;
    if (!rsp_algs_get())
        return RSP_ERR_CRYPTO;
    rsp_aes_key *k = calloc(1, sizeof(*k));
    if (!k)
        return RSP_ERR_NOMEM;
    memcpy(k->key, key, keylen);
    k->keylen = keylen;
    k->idx = idx;
    *out = k;
    return RSP_OK;
}

void rsp_aes_key_free(rsp_aes_key *k)
{
    if (!k)
        return;
    EVP_CIPHER_CTX_free(k->ecb_enc);
    EVP_CIPHER_CTX_free(k->ecb_dec);
    EVP_CIPHER_CTX_free(k->cbc_enc);
    EVP_CIPHER_CTX_free(k->cbc_dec);
    EVP_MAC_CTX_free(k->cmac);
    rsp_wipe(k, sizeof(*k));
    free(k);
}

static EVP_CIPHER_CTX *keyed_ctx(rsp_aes_key *k, rsp_cipher_mode mode, bool encrypt)
{
    EVP_CIPHER_CTX **slot = mode == RSP_MODE_ECB ? (encrypt ? &k->ecb_enc : &k->ecb_dec)
                                                  : (encrypt ? &k->cbc_enc : &k->cbc_dec);
    if (*slot)
        return *slot;
    const rsp_algs *a = rsp_algs_get();
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    static const uint8_t zero_iv[16];
    if (!c || EVP_CipherInit_ex2(c, mode == RSP_MODE_ECB ? a->aes_ecb[k->idx] : a->aes_cbc[k->idx], k->key,
                                 mode == RSP_MODE_CBC ? zero_iv : NULL, encrypt ? 1 : 0, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(c, 0) != 1) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    *slot = c;
    return c;
}

rsp_err rsp_aes_key_cipher(rsp_aes_key *k, rsp_cipher_mode mode, bool encrypt, const uint8_t *iv,
                           const uint8_t *in, size_t len, uint8_t *out)
{
    if (!k || len % 16 || len > INT32_MAX || (len && (!in || !out)))
        return RSP_ERR_INVAL;
    if (len == 0)
        return RSP_OK;
    EVP_CIPHER_CTX *c = keyed_ctx(k, mode, encrypt);
    if (!c)
        return RSP_ERR_CRYPTO;
    static const uint8_t zero_iv[16];
    /* Re-initialising with only an IV keeps the key schedule: the point of this object. */
    if (mode == RSP_MODE_CBC && EVP_CipherInit_ex2(c, NULL, NULL, iv ? iv : zero_iv, -1, NULL) != 1)
        return RSP_ERR_CRYPTO;
    int outl = 0;
    return EVP_CipherUpdate(c, out, &outl, in, (int)len) == 1 && (size_t)outl == len ? RSP_OK : RSP_ERR_CRYPTO;
}

rsp_err rsp_aes_key_cmac_parts(rsp_aes_key *k, const rsp_bytes *parts, size_t n, uint8_t out[16])
{
    if (!k)
        return RSP_ERR_INVAL;
    if (!k->cmac) {
        const rsp_algs *a = rsp_algs_get();
        EVP_MAC_CTX *c = EVP_MAC_CTX_dup(a->cmac_tmpl[k->idx]);
        if (!c || EVP_MAC_init(c, k->key, k->keylen, NULL) != 1) {
            EVP_MAC_CTX_free(c);
            return RSP_ERR_CRYPTO;
        }
        k->cmac = c;
    } else if (EVP_MAC_init(k->cmac, NULL, 0, NULL) != 1) { /* restart with the same key */
        return RSP_ERR_CRYPTO;
    }
    for (size_t i = 0; i < n; i++)
        if (parts[i].len && EVP_MAC_update(k->cmac, parts[i].p, parts[i].len) != 1)
            return RSP_ERR_CRYPTO;
    size_t outl = 0;
    return EVP_MAC_final(k->cmac, out, &outl, 16) == 1 && outl == 16 ? RSP_OK : RSP_ERR_CRYPTO;
}
