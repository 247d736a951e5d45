/* Key wrapping for the EIS (see eum_wrap.h). AES-KW comes from OpenSSL's EVP wrap cipher; the ECIES
 * part is ECDH plus the X9.63 KDF of include/rsp/crypto.h. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "eum_wrap.h"

struct rsp_eum_wrap {
    const rsp_eckey *smsr;  /* smsr mode when non-NULL */
    uint8_t tk[RSP_EUM_TK_LEN];
    uint8_t eid[16];
    uint8_t epk[RSP_EC_POINT_LEN];
    uint8_t z[32];          /* the card's shared secret (smsr mode) */
};

rsp_err rsp_eum_aes_kw(bool wrap, const uint8_t kek[16], const uint8_t *in, size_t len, uint8_t *out,
                       size_t *out_len)
{
    if (len % 8 || len < (wrap ? 16u : 24u))
        return RSP_ERR_LENGTH;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c)
        return RSP_ERR_NOMEM;
    int n = 0, f = 0;
    rsp_err e = RSP_ERR_CRYPTO;
    EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (EVP_CipherInit_ex(c, EVP_aes_128_wrap(), NULL, kek, NULL, wrap ? 1 : 0) == 1) {
        /* An unwrap whose integrity check fails is the one expected failure: say so precisely. */
        if (EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 && EVP_CipherFinal_ex(c, out + n, &f) == 1) {
            *out_len = (size_t)(n + f);
            e = RSP_OK;
        } else if (!wrap) {
            e = RSP_ERR_VERIFY;
        }
    }
    EVP_CIPHER_CTX_free(c);
    return e;
}

rsp_err rsp_eum_wrap_for_smsr(const rsp_eckey *smsr, rsp_eum_wrap **out)
{
    rsp_eum_wrap *w = calloc(1, sizeof(*w));
    if (!w)
        return RSP_ERR_NOMEM;
    w->smsr = smsr;
    *out = w;
    return RSP_OK;
}

rsp_err rsp_eum_wrap_for_transport(const uint8_t tk[RSP_EUM_TK_LEN], rsp_eum_wrap **out)
{
    rsp_eum_wrap *w = calloc(1, sizeof(*w));
    if (!w)
        return RSP_ERR_NOMEM;
    memcpy(w->tk, tk, RSP_EUM_TK_LEN);
    *out = w;
    return RSP_OK;
}

void rsp_eum_wrap_free(rsp_eum_wrap *w)
{
    if (!w)
        return;
    rsp_wipe(w, sizeof(*w));
    free(w);
}

bool rsp_eum_wrap_is_smsr(const rsp_eum_wrap *w)
{
    return w->smsr != NULL;
}

rsp_err rsp_eum_wrap_card(rsp_eum_wrap *w, const uint8_t eid[16])
{
    memcpy(w->eid, eid, 16);
    if (!w->smsr)
        return RSP_OK;
    rsp_eckey *eph = NULL;
    rsp_err e = rsp_ec_generate(rsp_ec_curve(w->smsr), &eph);
    e = e ? e : rsp_ec_public_point(eph, w->epk);
    e = e ? e : rsp_ecdh(eph, w->smsr, w->z);
    rsp_ec_free(eph); /* the ephemeral private key dies here: only the SM-SR can recompute z */
    return e;
}

static rsp_err kek_derive(const uint8_t z[32], const uint8_t eid[16], uint8_t kvn, uint8_t key_id, uint8_t kek[16])
{
    uint8_t si[18];
    memcpy(si, eid, 16);
    si[16] = kvn;
    si[17] = key_id;
    return rsp_kdf_x963_sha256(z, 32, si, sizeof(si), kek, 16);
}

rsp_err rsp_eum_wrap_key(rsp_eum_wrap *w, uint8_t kvn, uint8_t key_id, const uint8_t *key, size_t len,
                         rsp_buf *out)
{
    uint8_t kek[16], *p;
    size_t n = 0;
    rsp_err e = RSP_OK;
    if (w->smsr) {
        e = kek_derive(w->z, w->eid, kvn, key_id, kek);
        e = e ? e : rsp_buf_append(out, w->epk, sizeof(w->epk));
    } else {
        memcpy(kek, w->tk, sizeof(kek));
    }
    e = e ? e : rsp_buf_extend(out, len + RSP_EUM_KW_OVERHEAD, &p);
    e = e ? e : rsp_eum_aes_kw(true, kek, key, len, p, &n);
    rsp_wipe(kek, sizeof(kek));
    return e;
}

rsp_err rsp_eum_unwrap_key(const rsp_eckey *smsr, const uint8_t *tk, const uint8_t eid[16], uint8_t kvn,
                           uint8_t key_id, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                           size_t *out_len)
{
    uint8_t kek[16], z[32];
    rsp_err e = RSP_OK;
    if (smsr) {
        if (len < RSP_EC_POINT_LEN + 24)
            return RSP_ERR_LENGTH;
        rsp_eckey *epk = NULL;
        e = rsp_ec_from_public(rsp_ec_curve(smsr), in, RSP_EC_POINT_LEN, &epk);
        e = e ? e : rsp_ecdh(smsr, epk, z);
        e = e ? e : kek_derive(z, eid, kvn, key_id, kek);
        rsp_ec_free(epk);
        rsp_wipe(z, sizeof(z));
        in += RSP_EC_POINT_LEN;
        len -= RSP_EC_POINT_LEN;
    } else if (tk) {
        memcpy(kek, tk, sizeof(kek));
    } else {
        return RSP_ERR_INVAL;
    }
    if (!e && cap < len)
        e = RSP_ERR_OVERFLOW;
    e = e ? e : rsp_eum_aes_kw(false, kek, in, len, out, out_len);
    rsp_wipe(kek, sizeof(kek));
    return e;
}
