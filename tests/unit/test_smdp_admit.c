/* SM-DP admission of a download (before any ISD-P exists): CERT.ECASD -> EUM -> CI chain, transport,
 * memory. Certificates are issued here with the gpcert codec; the EIS is built as ES3.GetEIS
 * decodes it. */
#include <string.h>

#include "rsp/gpcert.h"
#include "rsp/smdp.h"
#include "testutil.h"

#define NOW ((int64_t)1798761600) /* 2027-01-01: inside the certificates' validity */

typedef struct pki {
    rsp_eckey *ci, *ci2, *eum, *eum2, *ecasd;
    rsp_buf eum_cert, eum2_cert, ecasd_cert, ecasd2_cert;
} pki;

static void issue(rsp_eckey *subject, rsp_eckey *issuer, int role, rsp_buf *out)
{
    static const uint8_t serial[] = {0x42};
    const rsp_gpcert_template t = {serial, 1, "CA", "SUBJECT", 0x82, "20260101", "20361231", role, NULL, 0};
    assert_int_equal(rsp_gpcert_issue(&t, subject, issuer, out), RSP_OK);
}

static void make_pki(pki *p)
{
    memset(p, 0, sizeof *p);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &p->ci), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &p->ci2), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &p->eum), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &p->eum2), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &p->ecasd), RSP_OK);
    issue(p->eum, p->ci, RSP_GPCERT_ROLE_EUM, &p->eum_cert);
    issue(p->eum2, p->ci2, RSP_GPCERT_ROLE_EUM, &p->eum2_cert);   /* an EUM of another CI */
    issue(p->ecasd, p->eum, RSP_GPCERT_ROLE_ECASD, &p->ecasd_cert);
    issue(p->ecasd, p->eum2, RSP_GPCERT_ROLE_ECASD, &p->ecasd2_cert);
}

static void free_pki(pki *p)
{
    rsp_ec_free(p->ci);
    rsp_ec_free(p->ci2);
    rsp_ec_free(p->eum);
    rsp_ec_free(p->eum2);
    rsp_ec_free(p->ecasd);
    rsp_buf_free(&p->eum_cert);
    rsp_buf_free(&p->eum2_cert);
    rsp_buf_free(&p->ecasd_cert);
    rsp_buf_free(&p->ecasd2_cert);
}

/* An EIS whose ECASD key set carries cert (borrowed). */
typedef struct eis_fix {
    rsp_es_eis eis;
    rsp_es_eum_signed_info si;
    rsp_es_security_domain ecasd;
    rsp_es_key_set ks;
    rsp_buf cert;
    rsp_es_euicc_capabilities cap;
} eis_fix;

static void make_eis(eis_fix *f, const rsp_buf *cert, int64_t memory)
{
    memset(f, 0, sizeof *f);
    f->cert = *cert;
    f->ks.certificates.v = &f->cert;
    f->ks.certificates.n = 1;
    f->ecasd.key_sets.v = &f->ks;
    f->ecasd.key_sets.n = 1;
    f->cap.http_support = true;
    f->si.eid = "89049032123451234512345678901235";
    f->si.ecasd = &f->ecasd;
    f->si.capabilities = &f->cap;
    f->eis.signed_info = &f->si;
    f->eis.available_memory_for_profiles = memory;
    f->eis.remaining_memory = memory;
}

static void test_admit(void **state)
{
    (void)state;
    pki p;
    make_pki(&p);
    const rsp_bytes eums[2] = {rsp_buf_view(&p.eum2_cert), rsp_buf_view(&p.eum_cert)};
    const rsp_smdp_trust t = {p.ci, eums, 2, NULL};
    eis_fix f;
    rsp_diag d;
    make_eis(&f, &p.ecasd_cert, 100000);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 12261, NOW, &d), RSP_OK);
    /* Signed by an EUM the CI never certified (it is in the list, but signed by another CI). */
    make_eis(&f, &p.ecasd2_cert, 100000);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 12261, NOW, &d), RSP_ERR_VERIFY);
    assert_non_null(strstr(d.msg, "not signed by any EUM"));
    /* Only the rogue EUM known: refused too. */
    const rsp_smdp_trust t1 = {p.ci, eums, 1, NULL};
    make_eis(&f, &p.ecasd_cert, 100000);
    assert_int_equal(rsp_smdp_admit(&t1, &f.eis, 12261, NOW, NULL), RSP_ERR_VERIFY);
    /* A certificate of the wrong role in the ECASD's place. */
    make_eis(&f, &p.eum_cert, 100000);
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 12261, NOW, NULL), RSP_ERR_VERIFY);
    /* One flipped bit of the signature. */
    rsp_buf bad = RSP_BUF_INIT;
    rsp_buf_set(&bad, p.ecasd_cert.data, p.ecasd_cert.len);
    bad.data[bad.len - 1] ^= 1;
    make_eis(&f, &bad, 100000);
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 12261, NOW, NULL), RSP_ERR_VERIFY);
    rsp_buf_free(&bad);
    /* Memory: exactly enough passes, one byte short is refused. */
    make_eis(&f, &p.ecasd_cert, 12261);
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 12261, NOW, NULL), RSP_OK);
    make_eis(&f, &p.ecasd_cert, 12260);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 12261, NOW, &d), RSP_ERR_RANGE);
    /* plenty set aside for profiles, but the profiles already there leave one byte too few */
    make_eis(&f, &p.ecasd_cert, 100000);
    f.eis.remaining_memory = 12260;
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 12261, NOW, &d), RSP_ERR_RANGE);
    assert_non_null(strstr(d.msg, "12260"));
    /* No transport, no certificate. */
    make_eis(&f, &p.ecasd_cert, 100000);
    f.cap.http_support = false;
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 1, NOW, NULL), RSP_ERR_UNSUPPORTED);
    make_eis(&f, &p.ecasd_cert, 100000);
    f.ks.certificates.n = 0;
    assert_int_equal(rsp_smdp_admit(&t, &f.eis, 1, NOW, NULL), RSP_ERR_FORMAT);
    free_pki(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_admit)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
