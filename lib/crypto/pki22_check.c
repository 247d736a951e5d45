/* SGP.22 certificates as outside input: decoding the fields the protocol uses, and the role profiles
 * and the EID range rule that OpenSSL does not know. The chain check itself is pki22_verify.c. */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki22_int.h"
#include "x509_int.h"

static const char *const fault_names[] = {"ok",           "bad-certificate", "wrong-role", "unsupported-curve",
                                          "ci-unknown",   "expired",         "eid-out-of-range"};

const char *rsp_pki22_fault_name(rsp_pki22_fault f)
{
    return (unsigned)f < sizeof(fault_names) / sizeof(fault_names[0]) ? fault_names[f] : "unknown";
}

static time_t asn1_time(const ASN1_TIME *t)
{
    int64_t v = 0;
    return rsp_x509__time_seconds(t, &v) ? (time_t)v : 0;
}

static void str_of(const ASN1_STRING *s, char *out, size_t n)
{
    unsigned char *u = NULL;
    int len = s ? ASN1_STRING_to_UTF8(&u, s) : -1;
    out[0] = '\0';
    if (len >= 0 && (size_t)len < n) {
        memcpy(out, u, (size_t)len);
        out[len] = '\0';
    }
    OPENSSL_free(u);
}

static void name_entry(const X509_NAME *name, int nid, char *out, size_t n)
{
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    out[0] = '\0';
    if (i >= 0)
        str_of(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)), out, n);
}

static bool ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

/* The role is the RSP policy among the certificate's policies: 2.23.146.1.2.1.x, or the newer EUM
 * variant 2.23.146.1.2.1.0.0.0. */
static int policy_role(X509 *x)
{
    CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
    int role = -1;
    for (int i = 0; cp && role < 0 && i < sk_POLICYINFO_num(cp); i++) {
        char oid[80];
        static const char arc[] = "2.23.146.1.2.1.";
        if (OBJ_obj2txt(oid, sizeof(oid), sk_POLICYINFO_value(cp, i)->policyid, 1) <= 0 ||
            strncmp(oid, arc, sizeof(arc) - 1))
            continue;
        const char *tail = oid + sizeof(arc) - 1;
        if (!strcmp(tail, "0.0.0"))
            role = RSP_PKI22_EUM;
        else if (tail[0] >= '0' && tail[0] <= '7' && !tail[1])
            role = tail[0] - '0';
    }
    CERTIFICATEPOLICIES_free(cp);
    return role;
}

static void san_fields(X509 *x, rsp_pki22_info *o)
{
    GENERAL_NAMES *gn = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; gn && i < sk_GENERAL_NAME_num(gn); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, i);
        if (g->type == GEN_RID && !o->rid[0]) {
            size_t n = (size_t)OBJ_length(g->d.registeredID);
            if (OBJ_obj2txt(o->rid, sizeof(o->rid), g->d.registeredID, 1) <= 0 || n == 0 || n > sizeof(o->rid_der)) {
                o->rid[0] = '\0';
            } else {
                memcpy(o->rid_der, OBJ_get0_data(g->d.registeredID), n);
                o->rid_der_len = n;
            }
        }
        if (g->type == GEN_DNS && !o->dns[0])
            str_of(g->d.dNSName, o->dns, sizeof(o->dns));
    }
    GENERAL_NAMES_free(gn);
}

static void constraint_fields(X509 *x, rsp_pki22_info *o)
{
    NAME_CONSTRAINTS *nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
    for (int i = 0; nc && i < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); i++) {
        const GENERAL_NAME *g = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, i)->base;
        if (g->type != GEN_DIRNAME || o->n_prefixes >= RSP_PKI22_MAX_PREFIXES)
            continue;
        name_entry(g->d.directoryName, NID_serialNumber, o->prefixes[o->n_prefixes], sizeof(o->prefixes[0]));
        name_entry(g->d.directoryName, NID_organizationName, o->prefix_org[o->n_prefixes], sizeof(o->prefix_org[0]));
        if (o->prefixes[o->n_prefixes][0])
            o->n_prefixes++;
    }
    NAME_CONSTRAINTS_free(nc);
}

static rsp_err key_fields(X509 *x, rsp_pki22_info *o, rsp_diag *diag)
{
    EVP_PKEY *pk = X509_get0_pubkey(x);
    char group[64];
    size_t glen = 0, plen = 0;
    if (!pk || EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) != 1 ||
        rsp_curve_parse(group, &o->curve) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "the subject key is not on P-256 or brainpoolP256r1");
    if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, o->pub, sizeof(o->pub), &plen) != 1 ||
        plen != RSP_EC_POINT_LEN || o->pub[0] != 0x04)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "the subject key is not an uncompressed point");
    return RSP_OK;
}

rsp_err rsp_pki22__fill_info(X509 *x, rsp_pki22_info *o, rsp_diag *diag)
{
    memset(o, 0, sizeof(*o));
    /* Computes the cached extension flags; a malformed extension marks the certificate invalid. */
    uint32_t flags = X509_get_extension_flags(x);
    if (flags & EXFLAG_INVALID)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "a certificate extension is malformed");
    rsp_err e = key_fields(x, o, diag);
    if (e)
        return e;
    o->role = policy_role(x);
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x), *aki = X509_get0_authority_key_id(x);
    if (ski && ASN1_STRING_length(ski) <= 20) {
        o->ski_len = (size_t)ASN1_STRING_length(ski);
        memcpy(o->ski, ASN1_STRING_get0_data(ski), o->ski_len);
    }
    if (aki && ASN1_STRING_length(aki) <= 20) {
        o->aki_len = (size_t)ASN1_STRING_length(aki);
        memcpy(o->aki, ASN1_STRING_get0_data(aki), o->aki_len);
    }
    o->is_ca = (flags & EXFLAG_CA) != 0;
    o->pathlen = (int)X509_get_pathlen(x);
    uint32_t ku = X509_get_key_usage(x);
    o->key_usage = ku == UINT32_MAX ? 0 : ku;
    o->ku_critical = ext_critical(x, NID_key_usage);
    o->policy_critical = ext_critical(x, NID_certificate_policies);
    uint32_t xku = X509_get_extended_key_usage(x);
    o->eku_server = xku != UINT32_MAX && (xku & XKU_SSL_SERVER);
    o->eku_client = xku != UINT32_MAX && (xku & XKU_SSL_CLIENT);
    const X509_NAME *subj = X509_get_subject_name(x);
    char sn[80];
    name_entry(subj, NID_serialNumber, sn, sizeof(sn));
    size_t snl = strlen(sn), i = 0;
    while (i < snl && sn[i] >= '0' && sn[i] <= '9')
        i++;
    if (snl == RSP_PKI22_EID_DIGITS && i == snl)
        memcpy(o->eid, sn, snl + 1);
    name_entry(subj, NID_organizationName, o->org, sizeof(o->org));
    name_entry(subj, NID_commonName, o->cn, sizeof(o->cn));
    san_fields(x, o);
    constraint_fields(x, o);
    o->not_before = asn1_time(X509_get0_notBefore(x));
    o->not_after = asn1_time(X509_get0_notAfter(x));
    return RSP_OK;
}

X509 *rsp_pki22__decode(const uint8_t *der, size_t len, rsp_diag *diag)
{
    const unsigned char *p = der;
    X509 *x = len && len < (1u << 24) ? d2i_X509(NULL, &p, (long)len) : NULL;
    if (x && p == der + len)
        return x;
    X509_free(x);
    rsp_diag_set_at(diag, RSP_ERR_FORMAT, x ? (size_t)(p - der) : 0,
                    x ? "trailing bytes after the certificate" : "not a DER X.509 certificate");
    return NULL;
}

rsp_err rsp_pki22_inspect(const uint8_t *der, size_t len, rsp_pki22_info *out, rsp_diag *diag)
{
    X509 *x = rsp_pki22__decode(der, len, diag);
    if (!x)
        return RSP_ERR_FORMAT;
    rsp_err e = rsp_pki22__fill_info(x, out, diag);
    X509_free(x);
    return e;
}

const char *rsp_pki22__profile_fault(const rsp_pki22_info *c, rsp_pki22_role role)
{
    bool tls = rsp_pki22_role_is_tls(role);
    if (!c->ku_critical)
        return "key usage absent or not critical";
    if (!tls && !c->policy_critical)
        return "certificate policy not critical";
    if (c->ski_len == 0)
        return "no subject key identifier";
    if (role != RSP_PKI22_CI && c->aki_len == 0)
        return "no authority key identifier";
    switch (role) {
    case RSP_PKI22_CI:
        return c->is_ca && (c->key_usage & KU_KEY_CERT_SIGN) ? NULL : "a CI must be a CA with keyCertSign";
    case RSP_PKI22_EUM:
        if (!c->is_ca || !(c->key_usage & KU_KEY_CERT_SIGN) || c->pathlen != 0)
            return "an EUM must be a CA with keyCertSign and pathlen 0";
        return c->n_prefixes ? NULL : "an EUM without permitted EID prefixes (nameConstraints)";
    case RSP_PKI22_EUICC:
        if (!c->eid[0])
            return "no 32-digit EID in the subject serialNumber";
        break;
    case RSP_PKI22_DPTLS:
    case RSP_PKI22_DSTLS:
        if (!c->eku_server || !c->dns[0])
            return "a TLS certificate needs serverAuth and a DNS name";
        break;
    default:
        break;
    }
    if (c->is_ca || (c->key_usage & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) || !(c->key_usage & KU_DIGITAL_SIGNATURE))
        return "an end-entity certificate needs digitalSignature only";
    return NULL;
}

bool rsp_pki22__eid_permitted(const rsp_pki22_info *eum, const rsp_pki22_info *leaf)
{
    for (size_t i = 0; i < eum->n_prefixes; i++)
        if (!strncmp(leaf->eid, eum->prefixes[i], strlen(eum->prefixes[i])) &&
            (!eum->prefix_org[i][0] || !strcmp(eum->prefix_org[i], leaf->org)))
            return true;
    return false;
}
