#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "algs.h"
#include "rsp/crypto.h"

struct rsp_eckey {
    EVP_PKEY *pkey;
    rsp_curve curve;
    bool has_private;
};

static const char *ossl_group(rsp_curve c)
{
    switch (c) {
    case RSP_CURVE_P256: return "prime256v1";
    case RSP_CURVE_BP256R1: return "brainpoolP256r1";
    }
    return NULL;
}

const char *rsp_curve_name(rsp_curve c)
{
    return c == RSP_CURVE_P256 ? "p256" : c == RSP_CURVE_BP256R1 ? "brainpoolp256r1" : "unknown";
}

rsp_err rsp_curve_parse(const char *s, rsp_curve *out)
{
    if (!s)
        return RSP_ERR_INVAL;
    if (!strcasecmp(s, "p256") || !strcasecmp(s, "p-256") || !strcasecmp(s, "prime256v1") ||
        !strcasecmp(s, "secp256r1") || !strcmp(s, "00")) {
        *out = RSP_CURVE_P256;
        return RSP_OK;
    }
    if (!strcasecmp(s, "brainpoolp256r1") || !strcasecmp(s, "bp256") || !strcmp(s, "03")) {
        *out = RSP_CURVE_BP256R1;
        return RSP_OK;
    }
    return RSP_ERR_UNSUPPORTED;
}

static rsp_err wrap(EVP_PKEY *pkey, rsp_curve curve, bool priv, rsp_eckey **out)
{
    rsp_eckey *k = calloc(1, sizeof(*k));
    if (!k) {
        EVP_PKEY_free(pkey);
        return RSP_ERR_NOMEM;
    }
    k->pkey = pkey;
    k->curve = curve;
    k->has_private = priv;
    *out = k;
    return RSP_OK;
}

static rsp_err curve_of_pkey(EVP_PKEY *pkey, rsp_curve *out)
{
    char name[64];
    size_t nlen = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &nlen) != 1)
        return RSP_ERR_UNSUPPORTED;
    if (!strcmp(name, "prime256v1") || !strcmp(name, "P-256") || !strcmp(name, "secp256r1"))
        *out = RSP_CURVE_P256;
    else if (!strcmp(name, "brainpoolP256r1"))
        *out = RSP_CURVE_BP256R1;
    else
        return RSP_ERR_UNSUPPORTED;
    return RSP_OK;
}

rsp_err rsp_ec_generate(rsp_curve curve, rsp_eckey **out)
{
    const char *g = ossl_group(curve);
    if (!g)
        return RSP_ERR_UNSUPPORTED;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", g);
    if (!pkey)
        return RSP_ERR_CRYPTO;
    return wrap(pkey, curve, true, out);
}

static rsp_err fromdata(rsp_curve curve, const uint8_t *pub, size_t publen, const BIGNUM *priv,
                        EVP_PKEY **out)
{
    const char *g = ossl_group(curve);
    if (!g)
        return RSP_ERR_UNSUPPORTED;
    rsp_err rc = RSP_ERR_CRYPTO;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!bld || !ctx)
        goto done;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, publen) ||
        (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)))
        goto done;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, out, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) {
        rc = RSP_ERR_FORMAT;
        goto done;
    }
    rc = RSP_OK;
done:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

rsp_err rsp_ec_from_private(rsp_curve curve, const uint8_t d[32], rsp_eckey **out)
{
    const char *g = ossl_group(curve);
    if (!g)
        return RSP_ERR_UNSUPPORTED;
    rsp_err rc = RSP_ERR_CRYPTO;
    EC_GROUP *grp = EC_GROUP_new_by_curve_name(OBJ_txt2nid(g));
    BIGNUM *bn = BN_secure_new();
    EC_POINT *pt = NULL;
    uint8_t pub[RSP_EC_POINT_LEN];
    EVP_PKEY *pkey = NULL;
    if (!grp || !bn || !BN_bin2bn(d, 32, bn))
        goto done;
    if (BN_is_zero(bn) || BN_cmp(bn, EC_GROUP_get0_order(grp)) >= 0) {
        rc = RSP_ERR_RANGE;
        goto done;
    }
    pt = EC_POINT_new(grp);
    if (!pt || EC_POINT_mul(grp, pt, bn, NULL, NULL, NULL) != 1 ||
        EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), NULL) != sizeof(pub))
        goto done;
    rc = fromdata(curve, pub, sizeof(pub), bn, &pkey);
    if (rc == RSP_OK)
        rc = wrap(pkey, curve, true, out);
done:
    EC_POINT_free(pt);
    BN_clear_free(bn);
    EC_GROUP_free(grp);
    return rc;
}

rsp_err rsp_ec_from_public(rsp_curve curve, const uint8_t *point, size_t len, rsp_eckey **out)
{
    if (!point || len != RSP_EC_POINT_LEN || point[0] != 0x04)
        return RSP_ERR_FORMAT;
    EVP_PKEY *pkey = NULL;
    rsp_err rc = fromdata(curve, point, len, NULL, &pkey);
    if (rc)
        return rc;
    /* fromdata already decodes the point onto the curve; an off-curve point fails there. */
    return wrap(pkey, curve, false, out);
}

void rsp_ec_free(rsp_eckey *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

rsp_curve rsp_ec_curve(const rsp_eckey *k)
{
    return k->curve;
}

bool rsp_ec_has_private(const rsp_eckey *k)
{
    return k->has_private;
}

void *rsp_ec_evp_pkey(const rsp_eckey *k)
{
    return k->pkey;
}

rsp_err rsp_ec_public_point(const rsp_eckey *k, uint8_t out[RSP_EC_POINT_LEN])
{
    size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, out, RSP_EC_POINT_LEN, &len) != 1 ||
        len != RSP_EC_POINT_LEN)
        return RSP_ERR_CRYPTO;
    return RSP_OK;
}

rsp_err rsp_ec_private_scalar(const rsp_eckey *k, uint8_t out[RSP_EC_SCALAR_LEN])
{
    if (!k->has_private)
        return RSP_ERR_STATE;
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1)
        return RSP_ERR_CRYPTO;
    int ok = BN_bn2binpad(bn, out, RSP_EC_SCALAR_LEN) == RSP_EC_SCALAR_LEN;
    BN_clear_free(bn);
    return ok ? RSP_OK : RSP_ERR_CRYPTO;
}

rsp_err rsp_ecdsa_sign(const rsp_eckey *k, const uint8_t *msg, size_t len, uint8_t sig[RSP_EC_SIG_LEN])
{
    const rsp_algs *a = rsp_algs_get();
    if (!a)
        return RSP_ERR_CRYPTO;
    if (!k->has_private)
        return RSP_ERR_STATE;
    rsp_err rc = RSP_ERR_CRYPTO;
    uint8_t der[80];
    size_t derlen = sizeof(der);
    ECDSA_SIG *s = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k->pkey, NULL) != 1 ||
        EVP_DigestSign(md, der, &derlen, msg, len) != 1)
        goto done;
    const uint8_t *pp = der;
    s = d2i_ECDSA_SIG(NULL, &pp, (long)derlen);
    if (!s)
        goto done;
    if (BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, 32) == 32 && BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + 32, 32) == 32)
        rc = RSP_OK;
done:
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(md);
    return rc;
}

rsp_err rsp_ecdsa_verify(const rsp_eckey *k, const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen)
{
    if (!sig || siglen != RSP_EC_SIG_LEN)
        return RSP_ERR_VERIFY;
    rsp_err rc = RSP_ERR_CRYPTO;
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *sv = BN_bin2bn(sig + 32, 32, NULL);
    uint8_t *der = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!s || !r || !sv || !md)
        goto done;
    if (ECDSA_SIG_set0(s, r, sv) != 1)
        goto done;
    r = sv = NULL; /* owned by s now */
    int derlen = i2d_ECDSA_SIG(s, &der);
    if (derlen <= 0)
        goto done;
    if (EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, k->pkey, NULL) != 1)
        goto done;
    int v = EVP_DigestVerify(md, der, (size_t)derlen, msg, len);
    rc = v == 1 ? RSP_OK : RSP_ERR_VERIFY;
done:
    OPENSSL_free(der);
    BN_free(r);
    BN_free(sv);
    ECDSA_SIG_free(s);
    EVP_MD_CTX_free(md);
    return rc;
}

rsp_err rsp_ecdh(const rsp_eckey *priv, const rsp_eckey *peer, uint8_t out[32])
{
    if (!priv->has_private)
        return RSP_ERR_STATE;
    if (priv->curve != peer->curve)
        return RSP_ERR_INVAL;
    rsp_err rc = RSP_ERR_CRYPTO;
    size_t len = 32;
    /* The peer's point is checked on its curve (quick check), not multiplied by the order: both our
     * curves have cofactor 1, so every point on the curve but infinity (which 04||X||Y cannot encode)
     * has the group's order. EVP_PKEY_derive_set_peer's full check adds n*Q = O, a second scalar
     * multiplication: about as much CPU as the ECDH itself (issue 14, Numbers). */
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, peer->pkey, NULL);
    bool on_curve = pc && EVP_PKEY_public_check_quick(pc) == 1;
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_CTX *ctx = on_curve ? EVP_PKEY_CTX_new_from_pkey(NULL, priv->pkey, NULL) : NULL;
    if (ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer_ex(ctx, peer->pkey, 0) == 1 &&
        EVP_PKEY_derive(ctx, out, &len) == 1 && len == 32)
        rc = RSP_OK;
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

rsp_err rsp_ec_load_pem(const char *path, rsp_eckey **out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return RSP_ERR_IO;
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    bool priv = pkey != NULL;
    if (!pkey) {
        rewind(f);
        pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    }
    fclose(f);
    if (!pkey)
        return RSP_ERR_FORMAT;
    rsp_curve c;
    rsp_err e = curve_of_pkey(pkey, &c);
    if (e) {
        EVP_PKEY_free(pkey);
        return e;
    }
    return wrap(pkey, c, priv, out);
}

static FILE *open_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f)
        close(fd);
    return f;
}

rsp_err rsp_ec_save_private_pem(const rsp_eckey *k, const char *path)
{
    if (!k->has_private)
        return RSP_ERR_STATE;
    FILE *f = open_private(path);
    if (!f)
        return RSP_ERR_IO;
    int ok = PEM_write_PrivateKey(f, k->pkey, NULL, NULL, 0, NULL, NULL);
    ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok &= fclose(f) == 0;
    return ok ? RSP_OK : RSP_ERR_IO;
}

rsp_err rsp_ec_save_public_pem(const rsp_eckey *k, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return RSP_ERR_IO;
    int ok = PEM_write_PUBKEY(f, k->pkey);
    ok &= fclose(f) == 0;
    return ok ? RSP_OK : RSP_ERR_IO;
}
