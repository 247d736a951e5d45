/* The EIS as the EUM signs it and the SM-SR checks it on ES1.RegisterEIS (docs/ENCODINGS.md, "EUM
 * manufacturing"): the canonical form of EumSignedInfo and its EumSignature, the CI -> EUM -> ECASD
 * chain, and the wrapping of the ISD-R keys. One copy, used by `rsp eum make/verify` and `rsp smsr`.
 * The canonical form is computed by walking the es layer's own descriptor of EumSignedInfo, so both
 * bindings and the signer agree by construction and a member added to the table is covered without
 * code here. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rsp/crypto.h"
#include "rsp/es.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"

/* The descriptor of EumSignedInfo, found through the public catalogue (RegisterEIS/Eis/EumSignedInfo). */
static const rsp_es_struct *field_sub(const rsp_es_struct *sd, const char *xml)
{
    for (size_t i = 0; sd && i < sd->nfields; i++)
        if (!strcmp(sd->fields[i].xml, xml))
            return sd->fields[i].sub;
    return NULL;
}

static const rsp_es_struct *signed_info_desc(void)
{
    const rsp_es_func *f = rsp_es_func_find(RSP_ES1, "RegisterEIS", strlen("RegisterEIS"));
    return f ? field_sub(field_sub(f->req, "Eis"), "EumSignedInfo") : NULL;
}

static rsp_err member(rsp_buf *out, const char *name, const void *v, size_t len)
{
    size_t nl = strlen(name);
    if (nl > 255 || len > UINT32_MAX)
        return RSP_ERR_RANGE;
    rsp_err e = rsp_buf_append_byte(out, (uint8_t)nl);
    e = e ? e : rsp_buf_append(out, name, nl);
    e = e ? e : rsp_buf_append_u32(out, (uint32_t)len);
    return e ? e : rsp_buf_append(out, v, len);
}

static rsp_err canon_struct(const rsp_es_struct *sd, const uint8_t *base, rsp_buf *out);

/* One value of type t at p (a member or a list item). */
static rsp_err canon_value(const rsp_es_field *f, uint8_t t, const uint8_t *p, rsp_buf *out)
{
    char num[32];
    switch (t) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME: {
        const char *s = *(char *const *)p;
        return s ? member(out, f->xml, s, strlen(s)) : RSP_ERR_INVAL;
    }
    case RSP_ES_T_INT:
        snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)p);
        return member(out, f->xml, num, strlen(num));
    case RSP_ES_T_BOOL: {
        const char *s = *(const bool *)p ? "true" : "false";
        return member(out, f->xml, s, strlen(s));
    }
    case RSP_ES_T_ENUM: {
        int v = *(const int *)p;
        if (!f->en || v < 0 || (size_t)v >= f->en->n)
            return RSP_ERR_RANGE;
        return member(out, f->xml, f->en->values[v], strlen(f->en->values[v]));
    }
    case RSP_ES_T_HEX: {
        const rsp_buf *b = (const rsp_buf *)p;
        return member(out, f->xml, b->data, b->len);
    }
    case RSP_ES_T_STRUCT:
    case RSP_ES_T_INLINE: {
        const uint8_t *sub = t == RSP_ES_T_STRUCT ? *(const uint8_t *const *)p : p;
        if (!sub)
            return RSP_ERR_INVAL;
        rsp_buf inner = RSP_BUF_INIT;
        rsp_err e = canon_struct(f->sub, sub, &inner);
        e = e ? e : member(out, f->xml, inner.data, inner.len);
        rsp_buf_free(&inner);
        return e;
    }
    default:
        return RSP_ERR_UNSUPPORTED;
    }
}

static size_t item_size(const rsp_es_field *f)
{
    switch (f->item) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME: return sizeof(char *);
    case RSP_ES_T_INT: return sizeof(int64_t);
    case RSP_ES_T_BOOL: return sizeof(bool);
    case RSP_ES_T_ENUM: return sizeof(int);
    case RSP_ES_T_HEX: return sizeof(rsp_buf);
    case RSP_ES_T_STRUCT: return f->sub ? f->sub->size : 0;
    default: return 0;
    }
}

static bool present(const rsp_es_field *f, const uint8_t *p, const uint8_t *base)
{
    if (f->has_off != RSP_ES_NO_HAS)
        return *(const bool *)(base + f->has_off);
    if (!f->optional)
        return true;
    switch (f->type) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
    case RSP_ES_T_STRUCT: return *(void *const *)p != NULL;
    case RSP_ES_T_HEX: return ((const rsp_buf *)p)->len > 0;
    default: return true;
    }
}

static rsp_err canon_struct(const rsp_es_struct *sd, const uint8_t *base, rsp_buf *out)
{
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < sd->nfields && !e; i++) {
        const rsp_es_field *f = &sd->fields[i];
        const uint8_t *p = base + f->off;
        if (f->type == RSP_ES_T_LIST) {
            const rsp_es_list *l = (const rsp_es_list *)p;
            size_t sz = item_size(f);
            /* Struct items are stored by value: the item itself is the struct, not a pointer. */
            uint8_t t = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
            for (size_t k = 0; k < l->n && !e; k++)
                e = sz ? canon_value(f, t, (const uint8_t *)l->v + k * sz, out) : RSP_ERR_UNSUPPORTED;
        } else if (present(f, p, base)) {
            e = canon_value(f, f->type, p, out);
        }
    }
    return e;
}

rsp_err rsp_es_eis_canonical(const rsp_es_eum_signed_info *si, rsp_buf *out)
{
    const rsp_es_struct *sd = signed_info_desc();
    if (!sd || !si)
        return RSP_ERR_INTERNAL;
    return canon_struct(sd, (const uint8_t *)si, out);
}

rsp_err rsp_es_eis_sign(rsp_es_eis *eis, const rsp_eckey *eum)
{
    rsp_buf c = RSP_BUF_INIT;
    uint8_t sig[RSP_EC_SIG_LEN];
    rsp_err e = rsp_es_eis_canonical(eis->signed_info, &c);
    e = e ? e : rsp_ecdsa_sign(eum, c.data, c.len, sig);
    rsp_buf_reset(&eis->eum_signature);
    e = e ? e : rsp_buf_append(&eis->eum_signature, "\x5F\x37\x40", 3);
    e = e ? e : rsp_buf_append(&eis->eum_signature, sig, sizeof(sig));
    rsp_buf_free(&c);
    return e;
}

rsp_err rsp_es_eis_verify(const rsp_es_eis *eis, const rsp_eckey *eum, rsp_diag *diag)
{
    const rsp_buf *s = &eis->eum_signature;
    if (s->len != 3 + RSP_EC_SIG_LEN || memcmp(s->data, "\x5F\x37\x40", 3))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "EumSignature is not 5F37 40 r||s (%zu bytes)", s->len);
    rsp_buf c = RSP_BUF_INIT;
    rsp_err e = rsp_es_eis_canonical(eis->signed_info, &c);
    if (e)
        rsp_diag_set(diag, e, "EumSignedInfo has no canonical form");
    e = e ? e : rsp_ecdsa_verify(eum, c.data, c.len, s->data + 3, RSP_EC_SIG_LEN);
    if (e == RSP_ERR_VERIFY)
        rsp_diag_set(diag, e, "EumSignature does not verify with the EUM key");
    rsp_buf_free(&c);
    return e;
}

/* ---- key wrapping ---- */
rsp_err rsp_es_eis_aes_kw(bool wrap, const uint8_t kek[16], const uint8_t *in, size_t len, uint8_t *out,
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

rsp_err rsp_es_eis_kek(const uint8_t z[32], const uint8_t eid[16], uint8_t kvn, uint8_t key_id, uint8_t kek[16])
{
    uint8_t si[18];
    memcpy(si, eid, 16);
    si[16] = kvn;
    si[17] = key_id;
    return rsp_kdf_x963_sha256(z, 32, si, sizeof(si), kek, 16);
}

rsp_err rsp_es_eis_unwrap_key(const rsp_eckey *smsr, const uint8_t *tk, const uint8_t eid[16], uint8_t kvn,
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
        e = e ? e : rsp_es_eis_kek(z, eid, kvn, key_id, kek);
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
    e = e ? e : rsp_es_eis_aes_kw(false, kek, in, len, out, out_len);
    rsp_wipe(kek, sizeof(kek));
    return e;
}

/* ---- the chain an SM-SR checks on ES1.RegisterEIS ---- */
static rsp_err fault(rsp_es_eis_fault *f, rsp_es_eis_fault v, rsp_err e)
{
    if (f)
        *f = v;
    return e;
}

rsp_err rsp_es_eis_check_chain(const rsp_es_eis *eis, const rsp_eckey *ci, const rsp_buf *eum_der_given,
                               rsp_eckey **eum_key, rsp_es_eis_fault *f, rsp_diag *d)
{
    *eum_key = NULL;
    const rsp_es_eum_signed_info *si = eis ? eis->signed_info : NULL;
    if (!si || !si->eid || !si->eum_id)
        return fault(f, RSP_ES_EIS_FAULT_FORMAT, rsp_diag_set(d, RSP_ERR_FORMAT, "no EumSignedInfo with EID and Eum-Id"));
    rsp_err e = rsp_eid_check(si->eid, NULL);
    if (e)
        return fault(f, RSP_ES_EIS_FAULT_FORMAT, rsp_diag_set(d, e, "EID %s has wrong check digits", si->eid));
    if (eis->eum_signature.len == 0)
        return fault(f, RSP_ES_EIS_FAULT_UNSIGNED, rsp_diag_set(d, RSP_ERR_FORMAT, "the EIS carries no EumSignature"));
    const rsp_es_key_set *ks = si->ecasd && si->ecasd->key_sets.n ? si->ecasd->key_sets.v : NULL;
    /* CERT.ECASD, then CERT.EUM; an EIS from another EUM may carry CERT.ECASD alone, and the caller
     * gives the EUM certificate then. */
    size_t nc = ks ? ks->certificates.n : 0;
    if (nc != 2 && !(nc == 1 && eum_der_given))
        return fault(f, RSP_ES_EIS_FAULT_FORMAT,
                     rsp_diag_set(d, RSP_ERR_FORMAT, "the ECASD does not carry CERT.ECASD and CERT.EUM%s",
                                  nc == 1 ? " (give --eum for an EIS with CERT.ECASD only)" : ""));
    const rsp_buf *certs = ks->certificates.v;
    rsp_bytes eum_der = nc == 2 ? rsp_buf_view(&certs[1]) : rsp_buf_view(eum_der_given);
    rsp_gpcert ce, cm;
    rsp_es_eis_fault fv = RSP_ES_EIS_FAULT_FORMAT;
    e = rsp_gpcert_decode(certs[0].data, certs[0].len, &ce, d);
    e = e ? e : rsp_gpcert_decode(eum_der.p, eum_der.len, &cm, d);
    if (!e && (fv = RSP_ES_EIS_FAULT_EUM, cm.role != RSP_GPCERT_ROLE_EUM))
        e = rsp_diag_set(d, RSP_ERR_VERIFY, "CERT.EUM has role %d", cm.role);
    if (!e && rsp_gpcert_verify(&cm, ci) != RSP_OK)
        e = rsp_diag_set(d, RSP_ERR_VERIFY, "CERT.EUM is not signed by the CI");
    if (!e && eum_der_given && !rsp_bytes_eq(cm.raw, rsp_buf_view(eum_der_given)))
        e = rsp_diag_set(d, RSP_ERR_VERIFY, "CERT.EUM is not the EUM certificate given");
    if (!e && (fv = RSP_ES_EIS_FAULT_SIGNATURE,
               strlen(si->eum_id) != cm.subject.len || memcmp(si->eum_id, cm.subject.p, cm.subject.len)))
        e = rsp_diag_set(d, RSP_ERR_VERIFY, "Eum-Id '%s' is not the subject of CERT.EUM", si->eum_id);
    e = e ? e : rsp_gpcert_public_key(&cm, rsp_ec_curve(ci), eum_key);
    e = e ? e : rsp_es_eis_verify(eis, *eum_key, d);
    if (!e && (fv = RSP_ES_EIS_FAULT_ECASD,
               ce.role != RSP_GPCERT_ROLE_ECASD || rsp_gpcert_verify(&ce, *eum_key) != RSP_OK))
        e = rsp_diag_set(d, RSP_ERR_VERIFY, "CERT.ECASD is not an ECASD certificate signed by the EUM");
    if (!e && (strlen(si->eid) != ce.subject.len || memcmp(si->eid, ce.subject.p, ce.subject.len)))
        e = rsp_diag_set(d, RSP_ERR_VERIFY, "CERT.ECASD's subject is not the EID");
    if (e) {
        rsp_ec_free(*eum_key);
        *eum_key = NULL;
        return fault(f, fv, e);
    }
    return fault(f, RSP_ES_EIS_FAULT_NONE, RSP_OK);
}
