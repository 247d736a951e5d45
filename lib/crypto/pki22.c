/* SGP.22 certificate issuing: the role profiles of SGP22.md §Certificates (the SGP.26 test PKI's),
 * built with OpenSSL's X509 API. Checking lives in pki22_check.c. */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rsp/pki22.h"
#include "x509_int.h"

static const char *const role_names[RSP_PKI22_ROLE_COUNT] = {"ci",    "euicc",  "eum",   "dptls",
                                                              "dpauth", "dppb", "dstls", "dsauth"};

const char *rsp_pki22_role_name(rsp_pki22_role r)
{
    return (unsigned)r < RSP_PKI22_ROLE_COUNT ? role_names[r] : NULL;
}

rsp_err rsp_pki22_role_parse(const char *s, rsp_pki22_role *out)
{
    for (unsigned i = 0; s && i < RSP_PKI22_ROLE_COUNT; i++)
        if (!strcmp(s, role_names[i])) {
            *out = (rsp_pki22_role)i;
            return RSP_OK;
        }
    return RSP_ERR_INVAL;
}

bool rsp_pki22_role_is_tls(rsp_pki22_role r)
{
    return r == RSP_PKI22_DPTLS || r == RSP_PKI22_DSTLS;
}

static bool all_digits(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    return n >= min && n <= max && strspn(s, "0123456789") == n;
}

/* The profile rules a template must meet before anything is signed. */
static rsp_err check_template(const rsp_pki22_template *t, const rsp_eckey *subject_key,
                              const rsp_eckey *issuer_key, const rsp_pki22_info *issuer, rsp_diag *diag)
{
    if ((unsigned)t->role >= RSP_PKI22_ROLE_COUNT)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "unknown role %d", (int)t->role);
    if (!t->common_name || !*t->common_name || strlen(t->common_name) > 64)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "common name must be 1..64 characters");
    if (!t->serial || t->serial_len == 0 || t->serial_len > 20)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "serial must be 1..20 bytes");
    if (t->organisation && strlen(t->organisation) > 64)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "organisation longer than 64 characters");
    if (t->country && strlen(t->country) != 2)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "country must be two letters");
    /* The CI is self-signed; the eUICC is signed by an EUM; every other role by the CI. */
    int want_issuer = t->role == RSP_PKI22_CI ? -1 : t->role == RSP_PKI22_EUICC ? RSP_PKI22_EUM : RSP_PKI22_CI;
    if (want_issuer < 0 && (issuer || issuer_key != subject_key))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "a CI certificate is self-signed");
    if (want_issuer >= 0 && (!issuer || issuer->role != want_issuer))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "a %s certificate must be issued by the %s", role_names[t->role],
                            role_names[want_issuer]);
    rsp_curve want = rsp_pki22_role_is_tls(t->role) ? RSP_CURVE_P256 : rsp_ec_curve(issuer_key);
    if (rsp_ec_curve(subject_key) != want)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "a %s key must be on %s", role_names[t->role],
                            rsp_curve_name(want));
    if (issuer && !rsp_pki22_role_is_tls(t->role) && issuer->curve != rsp_ec_curve(issuer_key))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "the issuer key is not the issuer certificate's");
    switch (t->role) {
    case RSP_PKI22_EUICC:
        if (!all_digits(t->eid, RSP_PKI22_EID_DIGITS, RSP_PKI22_EID_DIGITS))
            return rsp_diag_set(diag, RSP_ERR_INVAL, "an eUICC certificate needs a 32-digit EID");
        if (!t->organisation)
            return rsp_diag_set(diag, RSP_ERR_INVAL, "an eUICC certificate needs its EUM's organisation");
        for (size_t i = 0; i < issuer->n_prefixes; i++)
            if (!strncmp(t->eid, issuer->prefixes[i], strlen(issuer->prefixes[i])) &&
                (!issuer->prefix_org[i][0] || !strcmp(issuer->prefix_org[i], t->organisation)))
                return RSP_OK;
        return rsp_diag_set(diag, RSP_ERR_RANGE, "EID %s is outside the EUM's permitted prefixes", t->eid);
    case RSP_PKI22_EUM: {
        size_t n = 0;
        for (; t->eid_prefixes && t->eid_prefixes[n]; n++)
            if (!all_digits(t->eid_prefixes[n], 1, RSP_PKI22_EID_DIGITS))
                return rsp_diag_set(diag, RSP_ERR_INVAL, "EID prefix '%s' is not 1..32 digits", t->eid_prefixes[n]);
        if (n == 0 || n > RSP_PKI22_MAX_PREFIXES || !t->organisation)
            return rsp_diag_set(diag, RSP_ERR_INVAL, "an EUM certificate needs an organisation and 1..%d EID prefixes",
                                RSP_PKI22_MAX_PREFIXES);
        return RSP_OK;
    }
    case RSP_PKI22_DPTLS:
    case RSP_PKI22_DSTLS:
    case RSP_PKI22_DPAUTH:
    case RSP_PKI22_DPPB:
    case RSP_PKI22_DSAUTH:
        if (!t->rid)
            return rsp_diag_set(diag, RSP_ERR_INVAL, "a %s certificate needs the server's OID (SAN RID)",
                                role_names[t->role]);
        if (rsp_pki22_role_is_tls(t->role) && (!t->dns || !t->dns[0]))
            return rsp_diag_set(diag, RSP_ERR_INVAL, "a TLS certificate needs a DNS name");
        return RSP_OK;
    case RSP_PKI22_CI:
        return RSP_OK;
    }
    return RSP_OK;
}

static int name_add(X509_NAME *n, int nid, const char *v)
{
    return !v || X509_NAME_add_entry_by_NID(n, nid, nid == NID_countryName || nid == NID_serialNumber
                                                        ? MBSTRING_ASC : MBSTRING_UTF8,
                                            (const unsigned char *)v, -1, -1, 0) == 1;
}

/* The EUM's permitted EID ranges as SGP.26 writes them: one directoryName subtree {O, serialNumber =
 * prefix} per range. SGP.22 reads serialNumber as a prefix, not as X.509's whole-RDN match. */
static int add_name_constraints(X509 *x, const rsp_pki22_template *t)
{
    NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
    int ok = nc && (nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null()) != NULL;
    for (size_t i = 0; ok && t->eid_prefixes[i]; i++) {
        GENERAL_SUBTREE *st = GENERAL_SUBTREE_new();
        X509_NAME *dn = X509_NAME_new();
        ok = st && dn && name_add(dn, NID_organizationName, t->organisation) &&
             name_add(dn, NID_serialNumber, t->eid_prefixes[i]);
        if (ok) {
            st->base->type = GEN_DIRNAME;
            st->base->d.directoryName = dn;
            dn = NULL;
            ok = sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, st) > 0;
            if (ok)
                st = NULL;
        }
        X509_NAME_free(dn);
        GENERAL_SUBTREE_free(st);
    }
    ok = ok && X509_add1_ext_i2d(x, NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT) == 1;
    NAME_CONSTRAINTS_free(nc);
    return ok;
}

/* certificatePolicies by hand: OpenSSL's text form of this extension needs a config database. */
static int add_policy(X509 *x, rsp_pki22_role role, bool critical)
{
    char oid[32];
    snprintf(oid, sizeof(oid), "2.23.146.1.2.1.%d", (int)role);
    CERTIFICATEPOLICIES *cp = sk_POLICYINFO_new_null();
    POLICYINFO *pi = POLICYINFO_new();
    int ok = cp && pi;
    if (ok) {
        ASN1_OBJECT_free(pi->policyid);
        ok = (pi->policyid = OBJ_txt2obj(oid, 1)) != NULL && sk_POLICYINFO_push(cp, pi) > 0;
    }
    if (ok)
        pi = NULL;
    ok = ok && X509_add1_ext_i2d(x, NID_certificate_policies, cp, critical, X509V3_ADD_DEFAULT) == 1;
    POLICYINFO_free(pi);
    CERTIFICATEPOLICIES_free(cp);
    return ok;
}

static int set_serial(X509 *x, const uint8_t *s, size_t n)
{
    BIGNUM *bn = BN_bin2bn(s, (int)n, NULL);
    int ok = bn && !BN_is_zero(bn) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

static int add_extensions(X509 *x, X509 *iss, const rsp_pki22_template *t)
{
    static const char *const ku[RSP_PKI22_ROLE_COUNT] = {
        "critical,keyCertSign,cRLSign", "critical,digitalSignature", "critical,keyCertSign",
        "critical,digitalSignature",    "critical,digitalSignature", "critical,digitalSignature",
        "critical,digitalSignature",    "critical,digitalSignature"};
    char buf[1024];
    bool tls = rsp_pki22_role_is_tls(t->role);
    if (t->role != RSP_PKI22_CI && !rsp_x509__add_ext(x, iss, NID_authority_key_identifier, "keyid:always"))
        return 0;
    if (!rsp_x509__add_ext(x, iss, NID_subject_key_identifier, "hash") ||
        !rsp_x509__add_ext(x, iss, NID_key_usage, ku[t->role]))
        return 0;
    if (t->role == RSP_PKI22_CI && !rsp_x509__add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE"))
        return 0;
    if (t->role == RSP_PKI22_EUM && !rsp_x509__add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"))
        return 0;
    /* The TLS policy is not critical in SGP.26: a TLS stack that cannot read it must still accept it. */
    if (!add_policy(x, t->role, !tls))
        return 0;
    if (tls && !rsp_x509__add_ext(x, iss, NID_ext_key_usage, "critical,serverAuth,clientAuth"))
        return 0;
    size_t n = 0;
    buf[0] = '\0';
    for (const char *const *d = t->dns; tls && d && *d; d++)
        n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%sDNS:%s", n ? "," : "", *d);
    if (t->rid)
        n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%sRID:%s", n ? "," : "", t->rid);
    if (n >= sizeof(buf) || (n && !rsp_x509__add_ext(x, iss, NID_subject_alt_name, buf)))
        return 0;
    if (t->crl_url) {
        if (snprintf(buf, sizeof(buf), "URI:%s", t->crl_url) >= (int)sizeof(buf) ||
            !rsp_x509__add_ext(x, iss, NID_crl_distribution_points, buf))
            return 0;
    }
    if (t->role == RSP_PKI22_EUM && !add_name_constraints(x, t))
        return 0;
    return 1;
}

rsp_err rsp_pki22_issue(const rsp_pki22_template *t, const rsp_eckey *subject_key, const rsp_eckey *issuer_key,
                        const uint8_t *issuer_der, size_t issuer_len, rsp_buf *out, rsp_diag *diag)
{
    if (!t || !subject_key || !issuer_key || !out || !rsp_ec_has_private(issuer_key))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "template, keys (issuer private) and output are required");
    rsp_pki22_info *ii = NULL, info;
    if (issuer_der) {
        rsp_err e = rsp_pki22_inspect(issuer_der, issuer_len, &info, diag);
        if (e)
            return e;
        ii = &info;
    }
    rsp_err e = check_template(t, subject_key, issuer_key, ii, diag);
    if (e)
        return e;
    X509 *x = X509_new(), *iss = NULL;
    X509_NAME *name = X509_NAME_new();
    const unsigned char *p = issuer_der;
    e = RSP_ERR_CRYPTO;
    if (!x || !name || (issuer_der && !(iss = d2i_X509(NULL, &p, (long)issuer_len))))
        goto done;
    if (X509_set_version(x, 2) != 1 || !set_serial(x, t->serial, t->serial_len) ||
        !ASN1_TIME_set(X509_getm_notBefore(x), t->not_before) ||
        !(t->not_after ? ASN1_TIME_set(X509_getm_notAfter(x), t->not_after) != NULL
                       : ASN1_TIME_set_string_X509(X509_getm_notAfter(x), "99991231235959Z") == 1) ||
        X509_set_pubkey(x, (EVP_PKEY *)rsp_ec_evp_pkey(subject_key)) != 1)
        goto done;
    if (!name_add(name, NID_countryName, t->country) || !name_add(name, NID_organizationName, t->organisation) ||
        !name_add(name, NID_serialNumber, t->role == RSP_PKI22_EUICC ? t->eid : NULL) ||
        !name_add(name, NID_commonName, t->common_name) || X509_set_subject_name(x, name) != 1 ||
        X509_set_issuer_name(x, iss ? X509_get_subject_name(iss) : name) != 1)
        goto done;
    if (!add_extensions(x, iss ? iss : x, t)) {
        e = rsp_diag_set(diag, RSP_ERR_INVAL, "an extension value was refused (OID or URI malformed?)");
        goto done;
    }
    if (X509_sign(x, (EVP_PKEY *)rsp_ec_evp_pkey(issuer_key), EVP_sha256()) <= 0)
        goto done;
    int len = i2d_X509(x, NULL);
    uint8_t *w = NULL;
    if (len <= 0 || rsp_buf_extend(out, (size_t)len, &w) != RSP_OK)
        goto done;
    e = i2d_X509(x, &w) == len ? RSP_OK : RSP_ERR_CRYPTO;
done:
    X509_NAME_free(name);
    X509_free(iss);
    X509_free(x);
    return e;
}

rsp_err rsp_pki22_pem_to_der(const uint8_t *pem, size_t len, rsp_buf *out)
{
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    rsp_err e = RSP_ERR_FORMAT;
    int n = x ? i2d_X509(x, NULL) : 0;
    uint8_t *w = NULL;
    if (n > 0 && rsp_buf_extend(out, (size_t)n, &w) == RSP_OK)
        e = i2d_X509(x, &w) == n ? RSP_OK : RSP_ERR_CRYPTO;
    X509_free(x);
    BIO_free(b);
    return e;
}

rsp_err rsp_pki22_der_to_pem(const uint8_t *der, size_t len, rsp_buf *out)
{
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    BIO *b = BIO_new(BIO_s_mem());
    rsp_err e = RSP_ERR_FORMAT;
    if (x && b && p == der + len && PEM_write_bio_X509(b, x) == 1) {
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        e = n > 0 ? rsp_buf_append(out, data, (size_t)n) : RSP_ERR_CRYPTO;
    }
    BIO_free(b);
    X509_free(x);
    return e;
}
