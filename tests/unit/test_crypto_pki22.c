/* SGP.22 PKI: the SGP.26 public test certificates verify with our chain verifier and carry the SKIs of
 * SGP22.md (the outside fact); every role we issue, on both curves, has the profile of the notes when
 * read back by OpenSSL; wrong roles, curves, CIs, EIDs, times and signatures are refused with the
 * right fault; malformed DER fails cleanly; a server's role folder (rsp_pki22_load_role) loads only
 * a key and certificate that match, and an oversized certificate file is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rsp/pki22.h"
#include "testutil.h"

#define T_2026 ((time_t)1767225600)  /* 2026-01-01T00:00:00Z: inside every SGP.26 certificate used */
#define T_2027 ((time_t)1798761600)  /* 2027-01-01: after the SGP.26 DP TLS certificate's notAfter */

static void sgp26(const char *name, rsp_buf *out)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/sgp26/%s.der", RSP_SOURCE_DIR, name);
    tu_read_file(path, out);
}

static rsp_err verify(const rsp_buf *leaf, rsp_pki22_role role, const rsp_buf *eum, const rsp_bytes *cis, size_t n,
                      time_t at, rsp_pki22_fault *fault, size_t *ci_index)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_pki22_verify(leaf->data, leaf->len, role, eum ? eum->data : NULL, eum ? eum->len : 0, cis, n, at,
                                 NULL, ci_index, fault, &d);
    if (e && getenv("PKI22_DEBUG"))
        fprintf(stderr, "verify: %s\n", d.msg);
    /* The decoded anchors give the same answer, twice: the second call finds the EUM of a chain that
     * verified in the anchors' cache, and must still run every check. */
    rsp_pki22_anchors *a = NULL;
    assert_int_equal(rsp_pki22_anchors_new(cis, n, &a, NULL), RSP_OK);
    for (int round = 0; round < 2; round++) {
        rsp_pki22_fault f2 = RSP_PKI22_OK;
        size_t k2 = 99;
        assert_int_equal(rsp_pki22_verify_with(a, leaf->data, leaf->len, role, eum ? eum->data : NULL,
                                               eum ? eum->len : 0, at, NULL, NULL, &k2, &f2, NULL),
                         e);
        if (fault)
            assert_int_equal(f2, *fault);
        if (ci_index && e == RSP_OK)
            assert_int_equal(k2, *ci_index);
    }
    rsp_pki22_anchors_free(a);
    return e;
}

static void test_sgp26_chains(void **state)
{
    (void)state;
    rsp_buf ci_n = RSP_BUF_INIT, ci_b = RSP_BUF_INIT, c = RSP_BUF_INIT;
    sgp26("CERT_CI_ECDSA_NIST", &ci_n);
    sgp26("CERT_CI_ECDSA_BRP", &ci_b);
    rsp_pki22_info info;
    /* The SKIs SGP22.md lists for the SGP.26 test CIs. */
    assert_int_equal(rsp_pki22_inspect(ci_n.data, ci_n.len, &info, NULL), RSP_OK);
    assert_int_equal(info.role, RSP_PKI22_CI);
    assert_int_equal(info.curve, RSP_CURVE_P256);
    tu_assert_hex(info.ski, info.ski_len, "F54172BDF98A95D65CBEB88A38A1C11D800A85C3");
    assert_int_equal(rsp_pki22_inspect(ci_b.data, ci_b.len, &info, NULL), RSP_OK);
    assert_int_equal(info.curve, RSP_CURVE_BP256R1);
    tu_assert_hex(info.ski, info.ski_len, "C0BC70BA36929D43B467FF57570530E57AB8FCD8");
    /* The SKI is SHA-1 of the public point, the usual way (SGP22.md [G]): true of the SGP.26 CI. */
    uint8_t h[20];
    unsigned hl = 0;
    assert_int_equal(EVP_Digest(info.pub, sizeof(info.pub), h, &hl, EVP_sha1(), NULL), 1);
    tu_assert_hex(h, hl, "C0BC70BA36929D43B467FF57570530E57AB8FCD8");

    rsp_bytes cis[2] = {rsp_buf_view(&ci_n), rsp_buf_view(&ci_b)};
    static const struct {
        const char *file;
        rsp_pki22_role role;
        size_t ci;
    } leaves[] = {
        {"CERT_CI_ECDSA_NIST", RSP_PKI22_CI, 0},           {"CERT_CI_ECDSA_BRP", RSP_PKI22_CI, 1},
        {"CERT_S_SM_DPauth_ECDSA_NIST", RSP_PKI22_DPAUTH, 0}, {"CERT_S_SM_DPauth_ECDSA_BRP", RSP_PKI22_DPAUTH, 1},
        {"CERT_S_SM_DPpb_ECDSA_NIST", RSP_PKI22_DPPB, 0},   {"CERT_S_SM_DPpb_ECDSA_BRP", RSP_PKI22_DPPB, 1},
        {"CERT_S_SM_DP_TLS_NIST", RSP_PKI22_DPTLS, 0},      {"CERT_S_SM_DP_TLS_BRP", RSP_PKI22_DPTLS, 1},
    };
    for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
        sgp26(leaves[i].file, &c);
        rsp_pki22_fault f = RSP_PKI22_BAD_CERT;
        size_t k = 99;
        assert_int_equal(verify(&c, leaves[i].role, NULL, cis, 2, T_2026, &f, &k), RSP_OK);
        assert_int_equal(f, RSP_PKI22_OK);
        assert_int_equal(k, leaves[i].ci);
        /* Each is refused as another role, and without its own CI. */
        rsp_pki22_role other = leaves[i].role == RSP_PKI22_DPPB ? RSP_PKI22_DPAUTH : RSP_PKI22_DPPB;
        assert_int_equal(verify(&c, other, NULL, cis, 2, T_2026, &f, NULL), RSP_ERR_VERIFY);
        assert_int_equal(f, RSP_PKI22_BAD_ROLE);
        assert_int_equal(verify(&c, leaves[i].role, NULL, &cis[1 - leaves[i].ci], 1, T_2026, &f, NULL), RSP_ERR_VERIFY);
        assert_int_equal(f, RSP_PKI22_CI_UNKNOWN);
    }
    /* The SM-DP+ OID in the SAN RID, and the TLS name. */
    sgp26("CERT_S_SM_DPauth_ECDSA_NIST", &c);
    assert_int_equal(rsp_pki22_inspect(c.data, c.len, &info, NULL), RSP_OK);
    assert_string_equal(info.rid, "2.999.10");
    tu_assert_hex(info.rid_der, info.rid_der_len, "88370A"); /* the smdpOid bytes of a real card's PIR */
    tu_assert_hex(info.aki, info.aki_len, "F54172BDF98A95D65CBEB88A38A1C11D800A85C3");
    sgp26("CERT_S_SM_DP_TLS_NIST", &c);
    assert_int_equal(rsp_pki22_inspect(c.data, c.len, &info, NULL), RSP_OK);
    assert_string_equal(info.dns, "testsmdpplus1.example.com");
    assert_true(info.eku_server && info.eku_client && !info.policy_critical);
    /* The TLS certificate's notAfter (2026-08-02) has passed by 2027. */
    rsp_pki22_fault f;
    assert_int_equal(verify(&c, RSP_PKI22_DPTLS, NULL, cis, 2, T_2027, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_EXPIRED);
    rsp_buf_free(&ci_n);
    rsp_buf_free(&ci_b);
    rsp_buf_free(&c);
}

/* The SGP.26 EUM and a real test card's CERT.EUICC signed with its key (tests/data/sgp26/SOURCE.md):
 * the signatures chain to the NIST test CI, but the card's EID (89044045...) lies outside the EUM's
 * permitted prefix 89049032, so the SGP.22 range check, run after the chain, refuses it. */
static void test_sgp26_eum_and_card(void **state)
{
    (void)state;
    rsp_buf ci = RSP_BUF_INIT, eum = RSP_BUF_INIT, card = RSP_BUF_INIT;
    sgp26("CERT_CI_ECDSA_NIST", &ci);
    sgp26("CERT_EUM_ECDSA_NIST", &eum);
    sgp26("CERT_EUICC_sysmoEUICC1-I2T", &card);
    rsp_bytes cis[1] = {rsp_buf_view(&ci)};
    rsp_pki22_info info;
    rsp_pki22_fault f;
    assert_int_equal(rsp_pki22_inspect(eum.data, eum.len, &info, NULL), RSP_OK);
    assert_int_equal(info.role, RSP_PKI22_EUM);
    assert_int_equal(info.n_prefixes, 1);
    assert_string_equal(info.prefixes[0], "89049032");
    assert_string_equal(info.prefix_org[0], "RSP Test EUM");
    assert_string_equal(info.rid, "2.999.5");
    assert_int_equal(verify(&eum, RSP_PKI22_EUM, NULL, cis, 1, T_2026, &f, NULL), RSP_OK);
    assert_int_equal(rsp_pki22_inspect(card.data, card.len, &info, NULL), RSP_OK);
    assert_string_equal(info.eid, "89044045118427484800000000011628");
    assert_int_equal(info.role, RSP_PKI22_EUICC);
    tu_assert_hex(info.aki, info.aki_len, "DD3DA24D350C1CC5D0AF0965F40EC34C5EE409F1");
    assert_int_equal(verify(&card, RSP_PKI22_EUICC, &eum, cis, 1, T_2026, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_EID_RANGE);
    /* One flipped bit in its signature turns the refusal into a bad certificate: the chain is checked first. */
    card.data[card.len - 3] ^= 0x01;
    assert_int_equal(verify(&card, RSP_PKI22_EUICC, &eum, cis, 1, T_2026, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_CERT);
    rsp_buf_free(&ci);
    rsp_buf_free(&eum);
    rsp_buf_free(&card);
}

/* A small PKI: CI, EUM, eUICC and the server roles, as a test fixture. */
typedef struct pki {
    rsp_curve curve;
    rsp_eckey *ci_key, *eum_key, *euicc_key, *key[RSP_PKI22_ROLE_COUNT];
    rsp_buf ci, eum, euicc, cert[RSP_PKI22_ROLE_COUNT];
} pki;

static const char *const prefixes[] = {"89049032", "8933", NULL};
static const char *const dns[] = {"smdp.example.test", NULL};
static const uint8_t serial1[] = {0x01}, serial2[] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};

static rsp_err issue(rsp_pki22_role role, const char *eid, const rsp_eckey *subj, const rsp_eckey *iss,
                     const rsp_buf *iss_cert, time_t nb, time_t na, rsp_buf *out)
{
    rsp_pki22_template t = {
        .role = role, .common_name = rsp_pki22_role_name(role), .organisation = "RSP Test EUM", .country = "ES",
        .serial = role == RSP_PKI22_EUICC ? serial2 : serial1, .serial_len = role == RSP_PKI22_EUICC ? 8 : 1,
        .not_before = nb, .not_after = na, .eid = eid, .eid_prefixes = prefixes,
        .rid = role >= RSP_PKI22_DPTLS ? "2.999.10" : NULL, .dns = dns,
        .crl_url = role == RSP_PKI22_CI ? "http://ci.example.test/ci.crl" : NULL,
    };
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_buf_reset(out);
    rsp_err e = rsp_pki22_issue(&t, subj, iss, iss_cert ? iss_cert->data : NULL, iss_cert ? iss_cert->len : 0, out, &d);
    if (e && getenv("PKI22_DEBUG"))
        fprintf(stderr, "issue %s: %s\n", rsp_pki22_role_name(role), d.msg);
    return e;
}

static void pki_make(pki *p, rsp_curve curve)
{
    memset(p, 0, sizeof(*p));
    p->curve = curve;
    time_t now = time(NULL);
    assert_int_equal(rsp_ec_generate(curve, &p->ci_key), RSP_OK);
    assert_int_equal(rsp_ec_generate(curve, &p->eum_key), RSP_OK);
    assert_int_equal(rsp_ec_generate(curve, &p->euicc_key), RSP_OK);
    assert_int_equal(issue(RSP_PKI22_CI, NULL, p->ci_key, p->ci_key, NULL, now - 60, now + 86400 * 3650, &p->ci), RSP_OK);
    assert_int_equal(issue(RSP_PKI22_EUM, NULL, p->eum_key, p->ci_key, &p->ci, now - 60, now + 86400 * 3650, &p->eum),
                     RSP_OK);
    assert_int_equal(issue(RSP_PKI22_EUICC, "89049032123451234512345678901235", p->euicc_key, p->eum_key, &p->eum,
                           now - 60, 0, &p->euicc),
                     RSP_OK);
    for (int r = RSP_PKI22_DPTLS; r < RSP_PKI22_ROLE_COUNT; r++) {
        rsp_curve kc = rsp_pki22_role_is_tls((rsp_pki22_role)r) ? RSP_CURVE_P256 : curve;
        assert_int_equal(rsp_ec_generate(kc, &p->key[r]), RSP_OK);
        assert_int_equal(issue((rsp_pki22_role)r, NULL, p->key[r], p->ci_key, &p->ci, now - 60, now + 86400 * 365,
                               &p->cert[r]),
                         RSP_OK);
    }
}

static void pki_free(pki *p)
{
    rsp_ec_free(p->ci_key);
    rsp_ec_free(p->eum_key);
    rsp_ec_free(p->euicc_key);
    rsp_buf_free(&p->ci);
    rsp_buf_free(&p->eum);
    rsp_buf_free(&p->euicc);
    for (int r = 0; r < RSP_PKI22_ROLE_COUNT; r++) {
        rsp_ec_free(p->key[r]);
        rsp_buf_free(&p->cert[r]);
    }
}

static X509 *x509_of(const rsp_buf *b)
{
    const unsigned char *q = b->data;
    X509 *x = d2i_X509(NULL, &q, (long)b->len);
    assert_non_null(x);
    return x;
}

static bool ext_crit(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);
    assert_true(i >= 0);
    return X509_EXTENSION_get_critical(X509_get_ext(x, i)) != 0;
}

/* The policy OID text, read by OpenSSL (not by our decoder). */
static void assert_policy(X509 *x, const char *oid)
{
    CERTIFICATEPOLICIES *cp = X509_get_ext_d2i(x, NID_certificate_policies, NULL, NULL);
    assert_non_null(cp);
    assert_int_equal(sk_POLICYINFO_num(cp), 1);
    char buf[64];
    OBJ_obj2txt(buf, sizeof(buf), sk_POLICYINFO_value(cp, 0)->policyid, 1);
    assert_string_equal(buf, oid);
    CERTIFICATEPOLICIES_free(cp);
}

static void assert_ski_is_sha1(X509 *x)
{
    uint8_t h[20];
    unsigned hl = 0;
    const ASN1_BIT_STRING *pk = X509_get0_pubkey_bitstr(x);
    assert_int_equal(EVP_Digest(pk->data, (size_t)pk->length, h, &hl, EVP_sha1(), NULL), 1);
    const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(x);
    assert_non_null(ski);
    assert_int_equal(ASN1_STRING_length(ski), 20);
    assert_memory_equal(ASN1_STRING_get0_data(ski), h, 20);
}

static void assert_aki(X509 *x, X509 *issuer)
{
    const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(x), *ski = X509_get0_subject_key_id(issuer);
    assert_non_null(aki);
    assert_int_equal(ASN1_STRING_cmp(aki, ski), 0);
}

static void check_profiles(rsp_curve curve)
{
    pki p;
    pki_make(&p, curve);
    X509 *ci = x509_of(&p.ci), *eum = x509_of(&p.eum), *eu = x509_of(&p.euicc);
    /* CI: self-signed CA, keyCertSign + cRLSign, policy .0 critical, no AKI. */
    assert_policy(ci, "2.23.146.1.2.1.0");
    assert_true(ext_crit(ci, NID_certificate_policies) && ext_crit(ci, NID_key_usage) &&
                ext_crit(ci, NID_basic_constraints));
    assert_int_equal(X509_get_key_usage(ci), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
    assert_true(X509_get_extension_flags(ci) & EXFLAG_CA);
    assert_null(X509_get0_authority_key_id(ci));
    assert_ski_is_sha1(ci);
    /* EUM: CA pathlen 0, keyCertSign only, policy .2, AKI = CI's SKI, name constraints per prefix. */
    assert_policy(eum, "2.23.146.1.2.1.2");
    assert_int_equal(X509_get_key_usage(eum), KU_KEY_CERT_SIGN);
    assert_int_equal(X509_get_pathlen(eum), 0);
    assert_true(ext_crit(eum, NID_name_constraints));
    assert_ski_is_sha1(eum);
    assert_aki(eum, ci);
    rsp_pki22_info info;
    assert_int_equal(rsp_pki22_inspect(p.eum.data, p.eum.len, &info, NULL), RSP_OK);
    assert_int_equal(info.n_prefixes, 2);
    assert_string_equal(info.prefixes[0], "89049032");
    assert_string_equal(info.prefixes[1], "8933");
    assert_string_equal(info.prefix_org[0], "RSP Test EUM");
    /* eUICC: digitalSignature only, policy .1, EID as subject serialNumber, AKI = EUM's SKI, no expiry. */
    assert_policy(eu, "2.23.146.1.2.1.1");
    assert_int_equal(X509_get_key_usage(eu), KU_DIGITAL_SIGNATURE);
    assert_false(X509_get_extension_flags(eu) & EXFLAG_CA);
    assert_aki(eu, eum);
    assert_ski_is_sha1(eu);
    char sn[64];
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(eu), NID_serialNumber, sn, sizeof(sn)) == 32);
    assert_string_equal(sn, "89049032123451234512345678901235");
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(eu), (time_t)253402300798), 1);
    assert_int_equal(rsp_pki22_inspect(p.euicc.data, p.euicc.len, &info, NULL), RSP_OK);
    assert_int_equal(info.curve, curve);
    assert_string_equal(info.eid, "89049032123451234512345678901235");
    /* Server roles: policy .x, digitalSignature, SAN RID; TLS: EKU critical, DNS, P-256, policy not critical. */
    for (int r = RSP_PKI22_DPTLS; r < RSP_PKI22_ROLE_COUNT; r++) {
        X509 *x = x509_of(&p.cert[r]);
        char oid[32];
        snprintf(oid, sizeof(oid), "2.23.146.1.2.1.%d", r);
        assert_policy(x, oid);
        bool tls = rsp_pki22_role_is_tls((rsp_pki22_role)r);
        assert_int_equal(ext_crit(x, NID_certificate_policies), !tls);
        assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
        assert_aki(x, ci);
        assert_ski_is_sha1(x);
        assert_int_equal(rsp_pki22_inspect(p.cert[r].data, p.cert[r].len, &info, NULL), RSP_OK);
        assert_int_equal(info.role, r);
        assert_string_equal(info.rid, "2.999.10");
        assert_int_equal(info.curve, tls ? RSP_CURVE_P256 : curve);
        if (tls) {
            assert_true(ext_crit(x, NID_ext_key_usage));
            assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
            assert_string_equal(info.dns, "smdp.example.test");
        }
        rsp_bytes cis[1] = {rsp_buf_view(&p.ci)};
        rsp_pki22_fault f;
        assert_int_equal(verify(&p.cert[r], (rsp_pki22_role)r, NULL, cis, 1, 0, &f, NULL), RSP_OK);
        X509_free(x);
    }
    /* The eUICC chain verifies, with OpenSSL's own verifier too (minus SGP.22's prefix reading of the
     * name constraint, which OpenSSL reports as a violation). */
    rsp_bytes cis[1] = {rsp_buf_view(&p.ci)};
    rsp_pki22_fault f;
    assert_int_equal(verify(&p.euicc, RSP_PKI22_EUICC, &p.eum, cis, 1, 0, &f, NULL), RSP_OK);
    assert_int_equal(verify(&p.eum, RSP_PKI22_EUM, NULL, cis, 1, 0, &f, NULL), RSP_OK);
    X509_free(ci);
    X509_free(eum);
    X509_free(eu);
    pki_free(&p);
}

static void test_profiles_p256(void **state)
{
    (void)state;
    check_profiles(RSP_CURVE_P256);
}

static void test_profiles_brainpool(void **state)
{
    (void)state;
    check_profiles(RSP_CURVE_BP256R1);
}

/* Re-signs cert with key after edit (which may change the subject key or the subject). */
static void resign(rsp_buf *cert, const rsp_eckey *key, const rsp_eckey *new_subject_key, const char *new_eid)
{
    X509 *x = x509_of(cert);
    if (new_subject_key)
        assert_int_equal(X509_set_pubkey(x, (EVP_PKEY *)rsp_ec_evp_pkey(new_subject_key)), 1);
    if (new_eid) {
        /* A new name: editing an entry in place would leave the cached encoding with the old EID. */
        X509_NAME *n = X509_NAME_dup(X509_get_subject_name(x));
        int i = X509_NAME_get_index_by_NID(n, NID_serialNumber, -1);
        assert_true(i >= 0);
        X509_NAME_ENTRY_free(X509_NAME_delete_entry(n, i));
        assert_int_equal(X509_NAME_add_entry_by_NID(n, NID_serialNumber, MBSTRING_ASC,
                                                    (const unsigned char *)new_eid, -1, i, 0),
                         1);
        assert_int_equal(X509_set_subject_name(x, n), 1);
        X509_NAME_free(n);
    }
    assert_true(X509_sign(x, (EVP_PKEY *)rsp_ec_evp_pkey(key), EVP_sha256()) > 0);
    int len = i2d_X509(x, NULL);
    rsp_buf_reset(cert);
    uint8_t *w;
    assert_int_equal(rsp_buf_extend(cert, (size_t)len, &w), RSP_OK);
    assert_int_equal(i2d_X509(x, &w), len);
    X509_free(x);
}

static void test_refusals(void **state)
{
    (void)state;
    pki p, q;
    pki_make(&p, RSP_CURVE_P256);
    pki_make(&q, RSP_CURVE_BP256R1);
    rsp_bytes cis[1] = {rsp_buf_view(&p.ci)}, both[2] = {rsp_buf_view(&q.ci), rsp_buf_view(&p.ci)};
    rsp_pki22_fault f;
    size_t k;
    time_t now = time(NULL);
    /* Both CIs trusted: the chain picks its own by key identifier. */
    assert_int_equal(verify(&p.euicc, RSP_PKI22_EUICC, &p.eum, both, 2, 0, &f, &k), RSP_OK);
    assert_int_equal(k, 1);
    assert_int_equal(verify(&q.euicc, RSP_PKI22_EUICC, &q.eum, both, 2, 0, &f, &k), RSP_OK);
    assert_int_equal(k, 0);
    /* Wrong role: a DPpb offered as DPauth, an eUICC as its own EUM, a DPauth as an EUM. */
    assert_int_equal(verify(&p.cert[RSP_PKI22_DPPB], RSP_PKI22_DPAUTH, NULL, cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_ROLE);
    assert_int_equal(verify(&p.euicc, RSP_PKI22_EUICC, &p.euicc, cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_ROLE);
    assert_int_equal(verify(&p.euicc, RSP_PKI22_EUICC, &p.cert[RSP_PKI22_DPAUTH], cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_ROLE);
    /* A chain of the other CI. */
    assert_int_equal(verify(&q.euicc, RSP_PKI22_EUICC, &q.eum, cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_CI_UNKNOWN);
    /* An eUICC whose EUM is another EUM of the same CI: the AKI does not match. */
    rsp_buf eum2 = RSP_BUF_INIT;
    rsp_eckey *k2 = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &k2), RSP_OK);
    assert_int_equal(issue(RSP_PKI22_EUM, NULL, k2, p.ci_key, &p.ci, now - 60, now + 86400, &eum2), RSP_OK);
    assert_int_equal(verify(&p.euicc, RSP_PKI22_EUICC, &eum2, cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_CERT);
    /* Issuing refuses what verifying would: wrong curve, EID outside the EUM, a DPauth signed by an EUM. */
    rsp_buf c = RSP_BUF_INIT;
    assert_int_equal(issue(RSP_PKI22_DPAUTH, NULL, q.key[RSP_PKI22_DPAUTH], p.ci_key, &p.ci, now, now + 86400, &c),
                     RSP_ERR_UNSUPPORTED);
    assert_int_equal(issue(RSP_PKI22_DPTLS, NULL, q.key[RSP_PKI22_DPAUTH], q.ci_key, &q.ci, now, now + 86400, &c),
                     RSP_ERR_UNSUPPORTED);
    assert_int_equal(issue(RSP_PKI22_EUICC, "89049033123451234512345678901235", p.euicc_key, p.eum_key, &p.eum, now, 0, &c),
                     RSP_ERR_RANGE);
    assert_int_equal(issue(RSP_PKI22_EUICC, "8904903212345", p.euicc_key, p.eum_key, &p.eum, now, 0, &c), RSP_ERR_INVAL);
    assert_int_equal(issue(RSP_PKI22_DPAUTH, NULL, p.key[RSP_PKI22_DPAUTH], p.eum_key, &p.eum, now, now + 86400, &c),
                     RSP_ERR_INVAL);
    assert_int_equal(issue(RSP_PKI22_EUICC, "89049032123451234512345678901235", p.euicc_key, p.ci_key, &p.ci, now, 0, &c),
                     RSP_ERR_INVAL);
    /* Forged: a brainpool key in a P-256 chain (re-signed by the right CI) is an unsupported curve. */
    rsp_buf_reset(&c);
    rsp_buf_append(&c, p.cert[RSP_PKI22_DPAUTH].data, p.cert[RSP_PKI22_DPAUTH].len);
    resign(&c, p.ci_key, q.key[RSP_PKI22_DPAUTH], NULL);
    assert_int_equal(verify(&c, RSP_PKI22_DPAUTH, NULL, cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_CURVE);
    /* Forged: an EID outside the EUM's prefixes, re-signed by the EUM. */
    rsp_buf_reset(&c);
    rsp_buf_append(&c, p.euicc.data, p.euicc.len);
    resign(&c, p.eum_key, NULL, "89049099123451234512345678901235");
    assert_int_equal(verify(&c, RSP_PKI22_EUICC, &p.eum, cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_EID_RANGE);
    /* ... inside the second prefix it passes. */
    rsp_buf_reset(&c);
    rsp_buf_append(&c, p.euicc.data, p.euicc.len);
    resign(&c, p.eum_key, NULL, "89330000000000000000000000000017");
    assert_int_equal(verify(&c, RSP_PKI22_EUICC, &p.eum, cis, 1, 0, &f, NULL), RSP_OK);
    /* Signed by the wrong key (the EUM's name and AKI, another key). */
    resign(&c, k2, NULL, NULL);
    assert_int_equal(verify(&c, RSP_PKI22_EUICC, &p.eum, cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_CERT);
    /* A flipped bit in the signature. */
    rsp_buf_reset(&c);
    rsp_buf_append(&c, p.cert[RSP_PKI22_DPPB].data, p.cert[RSP_PKI22_DPPB].len);
    c.data[c.len - 5] ^= 0x01;
    assert_int_equal(verify(&c, RSP_PKI22_DPPB, NULL, cis, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_CERT);
    /* Not yet valid, and expired. */
    assert_int_equal(verify(&p.cert[RSP_PKI22_DPPB], RSP_PKI22_DPPB, NULL, cis, 1, now - 86400, &f, NULL), RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_EXPIRED);
    assert_int_equal(verify(&p.cert[RSP_PKI22_DPPB], RSP_PKI22_DPPB, NULL, cis, 1, now + 400 * 86400, &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_EXPIRED);
    /* A trusted "CI" that is not one (a DPauth offered as the anchor). */
    rsp_bytes fake[1] = {rsp_buf_view(&p.cert[RSP_PKI22_DPAUTH])};
    assert_int_equal(verify(&p.cert[RSP_PKI22_DPAUTH], RSP_PKI22_DPAUTH, NULL, fake, 1, 0, &f, NULL), RSP_ERR_VERIFY);
    /* Argument rules: an eUICC needs its EUM, nothing else takes one. */
    assert_int_equal(verify(&p.euicc, RSP_PKI22_EUICC, NULL, cis, 1, 0, &f, NULL), RSP_ERR_INVAL);
    assert_int_equal(verify(&p.cert[RSP_PKI22_DPPB], RSP_PKI22_DPPB, &p.eum, cis, 1, 0, &f, NULL), RSP_ERR_INVAL);
    rsp_ec_free(k2);
    rsp_buf_free(&eum2);
    rsp_buf_free(&c);
    pki_free(&p);
    pki_free(&q);
}

/* rsp_pki22_anchors (issue 14, Numbers): the CIs decoded once and the EUMs of verified chains kept
 * decoded. What the caches must never do: let a chain pass that the one-shot check refuses. A chain of
 * another CI, the cached EUM past its validity, the cached EUM's bytes changed, an eUICC signed by
 * another key or outside the range are each refused after the EUM was cached; a CI that does not
 * decode anchors nothing; more EUMs than slots still verify. */
static void test_anchors(void **state)
{
    (void)state;
    pki p, q;
    pki_make(&p, RSP_CURVE_P256);
    pki_make(&q, RSP_CURVE_P256);
    time_t now = time(NULL);
    rsp_bytes cis[1] = {rsp_buf_view(&p.ci)};
    rsp_pki22_anchors *a = NULL, *b = NULL;
    assert_int_equal(rsp_pki22_anchors_new(cis, 1, &a, NULL), RSP_OK);
    rsp_pki22_info li, ei, want;
    rsp_pki22_fault f;
    size_t k = 9;
    assert_int_equal(rsp_pki22_verify_with(a, p.euicc.data, p.euicc.len, RSP_PKI22_EUICC, p.eum.data, p.eum.len, 0,
                                           &li, &ei, &k, &f, NULL),
                     RSP_OK);
    assert_int_equal(k, 0);
    assert_int_equal(f, RSP_PKI22_OK);
    assert_string_equal(li.eid, "89049032123451234512345678901235");
    assert_int_equal(rsp_pki22_inspect(p.eum.data, p.eum.len, &want, NULL), RSP_OK);
    assert_memory_equal(&ei, &want, sizeof(want));
    /* the same again: served by the cache, the same fields */
    memset(&ei, 0, sizeof(ei));
    assert_int_equal(rsp_pki22_verify_with(a, p.euicc.data, p.euicc.len, RSP_PKI22_EUICC, p.eum.data, p.eum.len, 0,
                                           NULL, &ei, NULL, &f, NULL),
                     RSP_OK);
    assert_memory_equal(&ei, &want, sizeof(want));
    /* the cached EUM checked at a time after its notAfter (10 years) */
    assert_int_equal(rsp_pki22_verify_with(a, p.euicc.data, p.euicc.len, RSP_PKI22_EUICC, p.eum.data, p.eum.len,
                                           now + 86400 * 3700, NULL, NULL, NULL, &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_EXPIRED);
    /* its bytes with one bit of the signature flipped */
    rsp_buf c = RSP_BUF_INIT;
    rsp_buf_append(&c, p.eum.data, p.eum.len);
    c.data[c.len - 4] ^= 0x01;
    assert_int_equal(rsp_pki22_verify_with(a, p.euicc.data, p.euicc.len, RSP_PKI22_EUICC, c.data, c.len, 0, NULL, NULL,
                                           NULL, &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_CERT);
    /* an eUICC certificate signed by another key, and one outside the EUM's range, under the cached EUM */
    rsp_buf_reset(&c);
    rsp_buf_append(&c, p.euicc.data, p.euicc.len);
    resign(&c, q.eum_key, NULL, NULL);
    assert_int_equal(rsp_pki22_verify_with(a, c.data, c.len, RSP_PKI22_EUICC, p.eum.data, p.eum.len, 0, NULL, NULL,
                                           NULL, &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_CERT);
    resign(&c, p.eum_key, NULL, "89049099123451234512345678901235");
    assert_int_equal(rsp_pki22_verify_with(a, c.data, c.len, RSP_PKI22_EUICC, p.eum.data, p.eum.len, 0, NULL, NULL,
                                           NULL, &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_EID_RANGE);
    /* another CI's chain, then the anchors of that other CI (the trust changed): p's chain refused */
    assert_int_equal(rsp_pki22_verify_with(a, q.euicc.data, q.euicc.len, RSP_PKI22_EUICC, q.eum.data, q.eum.len, 0,
                                           NULL, NULL, NULL, &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_CI_UNKNOWN);
    rsp_bytes qci[2] = {rsp_bytes_of((const uint8_t *)"junk", 4), rsp_buf_view(&q.ci)};
    assert_int_equal(rsp_pki22_anchors_new(qci, 2, &b, NULL), RSP_OK);
    assert_int_equal(rsp_pki22_verify_with(b, p.euicc.data, p.euicc.len, RSP_PKI22_EUICC, p.eum.data, p.eum.len, 0,
                                           NULL, NULL, NULL, &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_CI_UNKNOWN);
    /* the undecodable entry anchors nothing; the index is the caller's */
    assert_int_equal(rsp_pki22_verify_with(b, q.euicc.data, q.euicc.len, RSP_PKI22_EUICC, q.eum.data, q.eum.len, 0,
                                           NULL, NULL, &k, &f, NULL),
                     RSP_OK);
    assert_int_equal(k, 1);
    /* more EUMs than the cache holds (8), twice round: each chain verifies, the first EUM's too */
    rsp_buf eums[10], cards[10];
    for (int i = 0; i < 10; i++) {
        rsp_eckey *ek = NULL, *ck = NULL;
        eums[i] = (rsp_buf)RSP_BUF_INIT;
        cards[i] = (rsp_buf)RSP_BUF_INIT;
        assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &ek), RSP_OK);
        assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &ck), RSP_OK);
        assert_int_equal(issue(RSP_PKI22_EUM, NULL, ek, p.ci_key, &p.ci, now - 60, now + 86400, &eums[i]), RSP_OK);
        assert_int_equal(issue(RSP_PKI22_EUICC, "89049032123451234512345678901235", ck, ek, &eums[i], now - 60, 0,
                               &cards[i]),
                         RSP_OK);
        rsp_ec_free(ek);
        rsp_ec_free(ck);
    }
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 10; i++) {
            assert_int_equal(rsp_pki22_verify_with(a, cards[i].data, cards[i].len, RSP_PKI22_EUICC, eums[i].data,
                                                   eums[i].len, 0, NULL, NULL, NULL, &f, NULL),
                             RSP_OK);
            /* a card with another EUM's certificate: the AKI does not match */
            int j = (i + 1) % 10;
            assert_int_equal(rsp_pki22_verify_with(a, cards[i].data, cards[i].len, RSP_PKI22_EUICC, eums[j].data,
                                                   eums[j].len, 0, NULL, NULL, NULL, &f, NULL),
                             RSP_ERR_VERIFY);
        }
    for (int i = 0; i < 10; i++) {
        rsp_buf_free(&eums[i]);
        rsp_buf_free(&cards[i]);
    }
    /* A cached EUM's signature by the CI is not checked again; everything that depends on the call is.
     * A CI valid one day, its EUM ten and a card under it: verified now (the EUM cached), then at a
     * time only the CI has expired, and before any of them is valid; a card re-signed by another key
     * and one outside the range under the cached EUM; each refused as the first time. */
    rsp_eckey *sk = NULL;
    rsp_buf sci = RSP_BUF_INIT, seum = RSP_BUF_INIT, scard = RSP_BUF_INIT;
    assert_int_equal(issue(RSP_PKI22_CI, NULL, p.ci_key, p.ci_key, NULL, now - 60, now + 86400, &sci), RSP_OK);
    assert_int_equal(issue(RSP_PKI22_EUM, NULL, p.eum_key, p.ci_key, &sci, now - 60, now + 86400 * 10, &seum), RSP_OK);
    assert_int_equal(issue(RSP_PKI22_EUICC, "89049032123451234512345678901235", p.euicc_key, p.eum_key, &seum,
                           now - 60, 0, &scard),
                     RSP_OK);
    rsp_bytes sc[1] = {rsp_buf_view(&sci)};
    rsp_pki22_anchors *s = NULL;
    assert_int_equal(rsp_pki22_anchors_new(sc, 1, &s, NULL), RSP_OK);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(rsp_pki22_verify_with(s, scard.data, scard.len, RSP_PKI22_EUICC, seum.data, seum.len, 0, NULL,
                                               NULL, NULL, &f, NULL),
                         RSP_OK);
        time_t bad[2] = {now + 86400 * 2, now - 86400};
        for (int i = 0; i < 2; i++) {
            assert_int_equal(rsp_pki22_verify_with(s, scard.data, scard.len, RSP_PKI22_EUICC, seum.data, seum.len,
                                                   bad[i], NULL, NULL, NULL, &f, NULL),
                             RSP_ERR_VERIFY);
            assert_int_equal(f, RSP_PKI22_EXPIRED);
        }
    }
    /* the other way round: the CI valid ten days, its EUM one; the EUM (the partial chain's trust anchor
     * once cached) past its notAfter while the CI and the card are valid: refused as expired */
    {
        rsp_buf lci = RSP_BUF_INIT, seum1 = RSP_BUF_INIT, scard1 = RSP_BUF_INIT;
        assert_int_equal(issue(RSP_PKI22_CI, NULL, p.ci_key, p.ci_key, NULL, now - 60, now + 86400 * 10, &lci), RSP_OK);
        assert_int_equal(issue(RSP_PKI22_EUM, NULL, p.eum_key, p.ci_key, &lci, now - 60, now + 86400, &seum1), RSP_OK);
        assert_int_equal(issue(RSP_PKI22_EUICC, "89049032123451234512345678901235", p.euicc_key, p.eum_key, &seum1,
                               now - 60, 0, &scard1),
                         RSP_OK);
        rsp_bytes lc[1] = {rsp_buf_view(&lci)};
        rsp_pki22_anchors *s1 = NULL;
        assert_int_equal(rsp_pki22_anchors_new(lc, 1, &s1, NULL), RSP_OK);
        for (int round = 0; round < 2; round++) {
            assert_int_equal(rsp_pki22_verify_with(s1, scard1.data, scard1.len, RSP_PKI22_EUICC, seum1.data, seum1.len,
                                                   0, NULL, NULL, NULL, &f, NULL),
                             RSP_OK);
            assert_int_equal(rsp_pki22_verify_with(s1, scard1.data, scard1.len, RSP_PKI22_EUICC, seum1.data, seum1.len,
                                                   now + 86400 * 2, NULL, NULL, NULL, &f, NULL),
                             RSP_ERR_VERIFY);
            assert_int_equal(f, RSP_PKI22_EXPIRED);
        }
        rsp_pki22_anchors_free(s1);
        rsp_buf_free(&lci);
        rsp_buf_free(&seum1);
        rsp_buf_free(&scard1);
    }
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &sk), RSP_OK);
    rsp_buf_reset(&c);
    rsp_buf_append(&c, scard.data, scard.len);
    resign(&c, sk, NULL, NULL);
    assert_int_equal(rsp_pki22_verify_with(s, c.data, c.len, RSP_PKI22_EUICC, seum.data, seum.len, 0, NULL, NULL, NULL,
                                           &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_BAD_CERT);
    resign(&c, p.eum_key, NULL, "89049099123451234512345678901235");
    assert_int_equal(rsp_pki22_verify_with(s, c.data, c.len, RSP_PKI22_EUICC, seum.data, seum.len, 0, NULL, NULL, NULL,
                                           &f, NULL),
                     RSP_ERR_VERIFY);
    assert_int_equal(f, RSP_PKI22_EID_RANGE);
    rsp_pki22_anchors_free(s);
    rsp_ec_free(sk);
    rsp_buf_free(&sci);
    rsp_buf_free(&seum);
    rsp_buf_free(&scard);
    /* arguments */
    assert_int_equal(rsp_pki22_verify_with(NULL, p.euicc.data, p.euicc.len, RSP_PKI22_EUICC, p.eum.data, p.eum.len, 0,
                                           NULL, NULL, NULL, &f, NULL),
                     RSP_ERR_INVAL);
    rsp_pki22_anchors_free(b);
    b = NULL;
    assert_int_equal(rsp_pki22_anchors_new(NULL, 1, &b, NULL), RSP_ERR_INVAL);
    assert_null(b);
    rsp_pki22_anchors_free(a);
    rsp_pki22_anchors_free(NULL);
    rsp_buf_free(&c);
    pki_free(&p);
    pki_free(&q);
}

static void write_file(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* rsp_pki22_load_role / rsp_pki22_read_cert (the SM-DP+'s and SM-DS's folders, the card's): the key
 * and certificate that belong together load; a missing file, a certificate of another role, another
 * key and an oversized file are refused with the codes the callers report. */
static void test_load_role(void **state)
{
    (void)state;
    pki p;
    pki_make(&p, RSP_CURVE_P256);
    char dir[] = "/tmp/pki22-load-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    rsp_bytes ci = rsp_buf_view(&p.ci);
    rsp_eckey *sk = NULL;
    rsp_buf cert = RSP_BUF_INIT;
    rsp_pki22_info info;
    rsp_diag d = {0};
    assert_int_equal(rsp_pki22_load_role(dir, RSP_PKI22_DSAUTH, &ci, &sk, &cert, &info, &d), RSP_ERR_NOT_FOUND);
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    assert_int_equal(rsp_ec_save_private_pem(p.key[RSP_PKI22_DSAUTH], path), RSP_OK);
    snprintf(path, sizeof(path), "%s/cert.der", dir);
    write_file(path, p.cert[RSP_PKI22_DPAUTH].data, p.cert[RSP_PKI22_DPAUTH].len);
    rsp_ec_free(sk), sk = NULL;
    assert_int_equal(rsp_pki22_load_role(dir, RSP_PKI22_DSAUTH, &ci, &sk, &cert, &info, &d), RSP_ERR_VERIFY);
    rsp_buf_reset(&cert);
    rsp_ec_free(sk), sk = NULL;
    rsp_diag_clear(&d); /* a diag keeps its first message */
    assert_int_equal(rsp_pki22_load_role(dir, RSP_PKI22_DPAUTH, &ci, &sk, &cert, &info, &d), RSP_ERR_VERIFY);
    assert_non_null(strstr(d.msg, "is not the key of"));
    write_file(path, p.cert[RSP_PKI22_DSAUTH].data, p.cert[RSP_PKI22_DSAUTH].len);
    rsp_buf_reset(&cert);
    rsp_ec_free(sk), sk = NULL;
    assert_int_equal(rsp_pki22_load_role(dir, RSP_PKI22_DSAUTH, &ci, &sk, &cert, &info, &d), RSP_OK);
    assert_memory_equal(cert.data, p.cert[RSP_PKI22_DSAUTH].data, cert.len);
    assert_int_equal(cert.len, p.cert[RSP_PKI22_DSAUTH].len);
    /* a certificate file over 64 KiB is a mistake, not read whole */
    uint8_t *big = calloc(1, 64 * 1024 + 1);
    assert_non_null(big);
    write_file(path, big, 64 * 1024 + 1);
    free(big);
    rsp_buf_reset(&cert);
    assert_int_equal(rsp_pki22_read_cert(path, &cert, &d), RSP_ERR_LENGTH);
    remove(path);
    snprintf(path, sizeof(path), "%s/key.pem", dir);
    remove(path);
    rmdir(dir);
    rsp_ec_free(sk);
    rsp_buf_free(&cert);
    pki_free(&p);
}

static void test_malformed(void **state)
{
    (void)state;
    rsp_buf ci = RSP_BUF_INIT, c = RSP_BUF_INIT;
    sgp26("CERT_CI_ECDSA_NIST", &ci);
    sgp26("CERT_S_SM_DPauth_ECDSA_NIST", &c);
    rsp_bytes cis[1] = {rsp_buf_view(&ci)};
    rsp_pki22_info info;
    rsp_diag d;
    /* Every truncation fails as a format error, never a crash. */
    for (size_t n = 0; n < c.len; n++) {
        rsp_diag_clear(&d);
        assert_int_equal(rsp_pki22_inspect(c.data, n, &info, &d), RSP_ERR_FORMAT);
        assert_int_equal(d.err, RSP_ERR_FORMAT);
        assert_int_equal(rsp_pki22_verify(c.data, n, RSP_PKI22_DPAUTH, NULL, 0, cis, 1, T_2026, NULL, NULL, NULL, NULL),
                         RSP_ERR_FORMAT);
    }
    /* A trailing byte. */
    rsp_buf_append_byte(&c, 0x00);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_pki22_inspect(c.data, c.len, &info, &d), RSP_ERR_FORMAT);
    assert_int_equal(d.offset, c.len - 1);
    c.len--;
    /* Every single-byte change either fails to decode or fails to verify; none verifies. */
    for (size_t i = 0; i < c.len; i++) {
        uint8_t old = c.data[i];
        c.data[i] ^= 0x41;
        assert_int_not_equal(rsp_pki22_verify(c.data, c.len, RSP_PKI22_DPAUTH, NULL, 0, cis, 1, T_2026, NULL, NULL, NULL,
                                              NULL),
                             RSP_OK);
        c.data[i] = old;
    }
    /* PEM round trip. */
    rsp_buf pem = RSP_BUF_INIT, der = RSP_BUF_INIT;
    assert_int_equal(rsp_pki22_der_to_pem(c.data, c.len, &pem), RSP_OK);
    assert_int_equal(rsp_pki22_pem_to_der(pem.data, pem.len, &der), RSP_OK);
    assert_int_equal(der.len, c.len);
    assert_memory_equal(der.data, c.data, c.len);
    assert_int_equal(rsp_pki22_pem_to_der((const uint8_t *)"junk", 4, &der), RSP_ERR_FORMAT);
    rsp_buf_free(&pem);
    rsp_buf_free(&der);
    rsp_buf_free(&ci);
    rsp_buf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgp26_chains),   cmocka_unit_test(test_sgp26_eum_and_card),
        cmocka_unit_test(test_profiles_p256),
        cmocka_unit_test(test_profiles_brainpool), cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_anchors),            cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_load_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
