/* The CI's CRL: issue, parse, verify, look up (format in rsp/crl.h and docs/ENCODINGS.md). Parsing is
 * OpenSSL's DER decoder; the rules RFC 5280 leaves to the relying party (signature algorithm, the
 * presence of nextUpdate, unknown critical extensions, serial sizes) are checked here, because a CRL
 * that cannot be judged must be refused rather than read as "nothing revoked". */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rsp/crl.h"
#include "x509_int.h"

#define CRL_MAX_ENTRIES 65536
#define CRL_CLOCK_SKEW 300 /* seconds a thisUpdate may lie in the future */

struct rsp_crl {
    X509_CRL *x;
    rsp_crl_entry *e;   /* sorted by (length, bytes) for rsp_crl_lookup */
    size_t n;
    int64_t this_update, next_update;
    uint64_t number;
    char issuer[256];
};

static const char *const reason_names[] = {
    "unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation",
    "certificateHold",
};
static const char *const reason_short[] = {
    "unspecified", "key-compromise", "ca-compromise", "affiliation-changed", "superseded", "cessation", "hold",
};

const char *rsp_crl_reason_name(int reason)
{
    return reason >= 0 && reason < (int)(sizeof(reason_names) / sizeof(reason_names[0])) ? reason_names[reason] : NULL;
}

rsp_err rsp_crl_reason_parse(const char *s, int *out)
{
    for (int i = 0; s && i < (int)(sizeof(reason_names) / sizeof(reason_names[0])); i++)
        if (!strcmp(s, reason_names[i]) || !strcmp(s, reason_short[i])) {
            *out = i;
            return RSP_OK;
        }
    return RSP_ERR_INVAL;
}

size_t rsp_crl_serial_norm(const uint8_t *p, size_t len, const uint8_t **out)
{
    while (len > 1 && p[0] == 0)
        p++, len--;
    *out = p;
    return len;
}

static int cmp_entry(const void *a, const void *b)
{
    const rsp_crl_entry *x = a, *y = b;
    if (x->serial_len != y->serial_len)
        return x->serial_len < y->serial_len ? -1 : 1;
    return memcmp(x->serial, y->serial, x->serial_len);
}

/* ---- issue ---- */

static X509_REVOKED *revoked_of(const rsp_crl_entry *en)
{
    X509_REVOKED *r = X509_REVOKED_new();
    BIGNUM *bn = BN_bin2bn(en->serial, (int)en->serial_len, NULL);
    ASN1_INTEGER *s = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    ASN1_TIME *d = ASN1_TIME_set(NULL, (time_t)en->date);
    ASN1_ENUMERATED *why = en->reason >= 0 ? ASN1_ENUMERATED_new() : NULL;
    int ok = r && s && d && X509_REVOKED_set_serialNumber(r, s) == 1 && X509_REVOKED_set_revocationDate(r, d) == 1;
    if (ok && en->reason >= 0)
        ok = why && ASN1_ENUMERATED_set(why, en->reason) == 1 &&
             X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, why, 0, 0) == 1;
    BN_free(bn);
    ASN1_INTEGER_free(s);
    ASN1_TIME_free(d);
    ASN1_ENUMERATED_free(why);
    if (!ok) {
        X509_REVOKED_free(r);
        return NULL;
    }
    return r;
}

static X509 *read_pem_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

rsp_err rsp_crl_issue(const rsp_crl_template *t, const rsp_eckey *ci, const char *issuer_cert_pem,
                      const char *issuer_cn, rsp_buf *out)
{
    if (!t || !ci || !out || (!issuer_cert_pem && !issuer_cn) || (t->n && !t->entries) ||
        t->next_update <= t->this_update || !rsp_ec_has_private(ci))
        return RSP_ERR_INVAL;
    for (size_t i = 0; i < t->n; i++)
        if (!t->entries[i].serial_len || t->entries[i].serial_len > RSP_CRL_SERIAL_MAX)
            return RSP_ERR_INVAL;
    rsp_err rc = RSP_ERR_CRYPTO;
    X509_CRL *x = X509_CRL_new();
    X509 *issuer = NULL;
    X509_NAME *name = NULL;
    ASN1_TIME *tu = ASN1_TIME_set(NULL, (time_t)t->this_update), *nu = ASN1_TIME_set(NULL, (time_t)t->next_update);
    ASN1_INTEGER *num = ASN1_INTEGER_new();
    if (!x || !tu || !nu || !num)
        goto done;
    if (issuer_cert_pem) {
        if (!(issuer = read_pem_cert(issuer_cert_pem))) {
            rc = RSP_ERR_IO;
            goto done;
        }
        if (X509_CRL_set_issuer_name(x, X509_get_subject_name(issuer)) != 1)
            goto done;
    } else {
        name = X509_NAME_new();
        if (!name || X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)issuer_cn, -1, -1,
                                                0) != 1 ||
            X509_CRL_set_issuer_name(x, name) != 1)
            goto done;
    }
    if (X509_CRL_set_version(x, 1) != 1 || X509_CRL_set1_lastUpdate(x, tu) != 1 ||
        X509_CRL_set1_nextUpdate(x, nu) != 1 || ASN1_INTEGER_set_uint64(num, t->number) != 1 ||
        X509_CRL_add1_ext_i2d(x, NID_crl_number, num, 0, 0) != 1)
        goto done;
    for (size_t i = 0; i < t->n; i++) {
        X509_REVOKED *r = revoked_of(&t->entries[i]);
        if (!r)
            goto done;
        if (X509_CRL_add0_revoked(x, r) != 1) {
            X509_REVOKED_free(r);
            goto done;
        }
    }
    if (X509_CRL_sort(x) != 1 || X509_CRL_sign(x, (EVP_PKEY *)rsp_ec_evp_pkey(ci), EVP_sha256()) <= 0)
        goto done;
    int len = i2d_X509_CRL(x, NULL);
    uint8_t *p;
    if (len <= 0)
        goto done;
    if ((rc = rsp_buf_extend(out, (size_t)len, &p)) != RSP_OK)
        goto done;
    rc = i2d_X509_CRL(x, &p) == len ? RSP_OK : RSP_ERR_CRYPTO;
done:
    X509_CRL_free(x);
    X509_free(issuer);
    X509_NAME_free(name);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    ASN1_INTEGER_free(num);
    return rc;
}

/* ---- parse ---- */

void rsp_crl_free(rsp_crl *c)
{
    if (!c)
        return;
    X509_CRL_free(c->x);
    free(c->e);
    free(c);
}

/* RFC 5280 5.2: an unrecognised critical extension makes the CRL unusable. */
static bool known_crl_ext(int nid)
{
    return nid == NID_crl_number || nid == NID_authority_key_identifier;
}

static rsp_err parse_entry(const X509_REVOKED *r, size_t i, rsp_crl_entry *en, rsp_diag *diag)
{
    const ASN1_INTEGER *s = X509_REVOKED_get0_serialNumber(r);
    if (!s || ASN1_STRING_type(s) != V_ASN1_INTEGER)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "entry %zu: serial is negative or missing", i);
    const uint8_t *p;
    size_t len = rsp_crl_serial_norm(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), &p);
    if (len == 0 || len > RSP_CRL_SERIAL_MAX)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "entry %zu: serial of %zu bytes (1..20)", i, len);
    memcpy(en->serial, p, len);
    en->serial_len = len;
    if (!rsp_x509__time_seconds(X509_REVOKED_get0_revocationDate(r), &en->date))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "entry %zu: bad revocationDate", i);
    en->reason = RSP_CRL_REASON_NONE;
    int crit = -1;
    ASN1_ENUMERATED *why = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
    if (why) {
        long v = ASN1_ENUMERATED_get(why);
        ASN1_ENUMERATED_free(why);
        if (v < 0 || v > 10)
            return rsp_diag_set(diag, RSP_ERR_RANGE, "entry %zu: reasonCode %ld", i, v);
        en->reason = (int)v;
    } else if (crit != -1) {
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "entry %zu: reasonCode does not decode or repeats", i);
    }
    const STACK_OF(X509_EXTENSION) *exts = X509_REVOKED_get0_extensions(r);
    for (int k = 0; k < sk_X509_EXTENSION_num(exts); k++) {
        X509_EXTENSION *ex = sk_X509_EXTENSION_value(exts, k);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ex));
        if (X509_EXTENSION_get_critical(ex) && nid != NID_crl_reason && nid != NID_invalidity_date)
            return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "entry %zu: unknown critical extension (an indirect CRL?)",
                                i);
    }
    return RSP_OK;
}

static rsp_err parse_fields(rsp_crl *c, rsp_diag *diag)
{
    X509_CRL *x = c->x;
    long ver = X509_CRL_get_version(x);
    if (ver != 0 && ver != 1)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "CRL version %ld", ver + 1);
    if (X509_CRL_get_signature_nid(x) != NID_ecdsa_with_SHA256)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "signature algorithm is not ecdsa-with-SHA256");
    if (!rsp_x509__time_seconds(X509_CRL_get0_lastUpdate(x), &c->this_update))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "bad thisUpdate");
    if (!X509_CRL_get0_nextUpdate(x))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "no nextUpdate: freshness cannot be judged");
    if (!rsp_x509__time_seconds(X509_CRL_get0_nextUpdate(x), &c->next_update))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "bad nextUpdate");
    if (c->next_update <= c->this_update)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "nextUpdate is not after thisUpdate");
    const STACK_OF(X509_EXTENSION) *exts = X509_CRL_get0_extensions(x);
    for (int k = 0; k < sk_X509_EXTENSION_num(exts); k++) {
        X509_EXTENSION *ex = sk_X509_EXTENSION_value(exts, k);
        if (X509_EXTENSION_get_critical(ex) && !known_crl_ext(OBJ_obj2nid(X509_EXTENSION_get_object(ex))))
            return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "unknown critical CRL extension");
    }
    int crit = -1;
    ASN1_INTEGER *num = X509_CRL_get_ext_d2i(x, NID_crl_number, &crit, NULL);
    if (num) {
        int ok = ASN1_INTEGER_get_uint64(&c->number, num);
        ASN1_INTEGER_free(num);
        if (ok != 1)
            return rsp_diag_set(diag, RSP_ERR_RANGE, "cRLNumber is negative or over 64 bits");
    } else if (crit != -1) {
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "cRLNumber does not decode or repeats");
    }
    BIO *b = BIO_new(BIO_s_mem());
    c->issuer[0] = '\0';
    if (b && X509_NAME_print_ex(b, X509_CRL_get_issuer(x), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int n = BIO_read(b, c->issuer, (int)sizeof(c->issuer) - 1);
        c->issuer[n > 0 ? n : 0] = '\0';
    }
    BIO_free(b);
    STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(x);
    int n = revs ? sk_X509_REVOKED_num(revs) : 0;
    if (n < 0 || n > CRL_MAX_ENTRIES)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "%d entries (at most %d)", n, CRL_MAX_ENTRIES);
    if (n && !(c->e = calloc((size_t)n, sizeof(*c->e))))
        return RSP_ERR_NOMEM;
    for (int i = 0; i < n; i++) {
        rsp_err e = parse_entry(sk_X509_REVOKED_value(revs, i), (size_t)i, &c->e[i], diag);
        if (e)
            return e;
    }
    c->n = (size_t)n;
    if (c->n > 1)
        qsort(c->e, c->n, sizeof(*c->e), cmp_entry);
    return RSP_OK;
}

rsp_err rsp_crl_parse(const uint8_t *data, size_t len, rsp_crl **out, rsp_diag *diag)
{
    if (!out || (!data && len))
        return RSP_ERR_INVAL;
    *out = NULL;
    if (len == 0)
        return rsp_diag_set(diag, RSP_ERR_TRUNCATED, "empty CRL");
    if (len > RSP_CRL_MAX_LEN)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "CRL of %zu bytes (at most %u)", len, RSP_CRL_MAX_LEN);
    rsp_crl *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    static const char pem[] = "-----BEGIN X509 CRL-----";
    if (len >= sizeof(pem) - 1 && memcmp(data, pem, sizeof(pem) - 1) == 0) {
        BIO *b = BIO_new_mem_buf(data, (int)len);
        c->x = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
    } else {
        const unsigned char *p = data;
        c->x = d2i_X509_CRL(NULL, &p, (long)len);
        if (c->x && p != data + len) {
            size_t at = (size_t)(p - data);
            rsp_crl_free(c);
            return rsp_diag_set_at(diag, RSP_ERR_LENGTH, at, "bytes after the CRL");
        }
    }
    if (!c->x) {
        rsp_crl_free(c);
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "not a DER or PEM X.509 CRL");
    }
    rsp_err e = parse_fields(c, diag);
    if (e) {
        rsp_crl_free(c);
        return e;
    }
    *out = c;
    return RSP_OK;
}

rsp_err rsp_crl_verify(const rsp_crl *c, const rsp_eckey *ci, int64_t now, rsp_diag *diag)
{
    if (!c || !ci)
        return RSP_ERR_INVAL;
    if (X509_CRL_verify(c->x, (EVP_PKEY *)rsp_ec_evp_pkey(ci)) != 1)
        return rsp_diag_set(diag, RSP_ERR_VERIFY, "CRL #%llu is not signed by the CI", (unsigned long long)c->number);
    return rsp_crl_verify_time(c, now, diag);
}

rsp_err rsp_crl_verify_time(const rsp_crl *c, int64_t now, rsp_diag *diag)
{
    if (!c)
        return RSP_ERR_INVAL;
    if (c->this_update > now + CRL_CLOCK_SKEW)
        return rsp_diag_set(diag, RSP_ERR_STATE, "CRL #%llu is not valid yet (thisUpdate %lld, now %lld)",
                            (unsigned long long)c->number, (long long)c->this_update, (long long)now);
    if (now >= c->next_update)
        return rsp_diag_set(diag, RSP_ERR_STATE, "CRL #%llu is stale (nextUpdate %lld, now %lld)",
                            (unsigned long long)c->number, (long long)c->next_update, (long long)now);
    return RSP_OK;
}

const rsp_crl_entry *rsp_crl_lookup(const rsp_crl *c, const uint8_t *serial, size_t len)
{
    if (!c || !serial || !len)
        return NULL;
    rsp_crl_entry key;
    const uint8_t *p;
    key.serial_len = rsp_crl_serial_norm(serial, len, &p);
    if (key.serial_len > RSP_CRL_SERIAL_MAX)
        return NULL;
    memcpy(key.serial, p, key.serial_len);
    return c->n ? bsearch(&key, c->e, c->n, sizeof(*c->e), cmp_entry) : NULL;
}

int64_t rsp_crl_this_update(const rsp_crl *c) { return c->this_update; }
int64_t rsp_crl_next_update(const rsp_crl *c) { return c->next_update; }
uint64_t rsp_crl_number(const rsp_crl *c) { return c->number; }
size_t rsp_crl_count(const rsp_crl *c) { return c->n; }
const rsp_crl_entry *rsp_crl_entry_at(const rsp_crl *c, size_t i) { return i < c->n ? &c->e[i] : NULL; }
const char *rsp_crl_issuer(const rsp_crl *c) { return c->issuer; }
