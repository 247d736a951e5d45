/* The CI's CRL: issue -> parse -> verify -> lookup on both curves; forged, stale, not-yet-valid and
 * malformed CRLs refused (every truncation, trailing bytes, no nextUpdate, another signature
 * algorithm, an unknown critical extension); the file wrapper re-reads a replaced file; a GP
 * certificate (7F21) is looked up by its serial (93), the one check the SM-SR, SM-DP and card share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rsp/crl.h"
#include "rsp/gpcert.h"
#include "testutil.h"

#define T0 1800000000LL /* 2027-01-15 */

static const rsp_crl_entry entries[] = {
    {{0x05}, 1, T0 - 100, RSP_CRL_REASON_KEY_COMPROMISE},
    {{0x01, 0x00}, 2, T0 - 50, RSP_CRL_REASON_NONE},
    {{0x7F, 0xFF, 0xFF, 0xFF}, 4, T0 - 10, RSP_CRL_REASON_SUPERSEDED},
};

static void issue(const rsp_eckey *ci, int64_t this_u, int64_t next_u, rsp_buf *out)
{
    rsp_crl_template t = {this_u, next_u, 7, entries, 3};
    rsp_buf_reset(out);
    assert_int_equal(rsp_crl_issue(&t, ci, NULL, "Test-CI", out), RSP_OK);
}

static void roundtrip(rsp_curve curve)
{
    rsp_eckey *ci = NULL, *other = NULL;
    assert_int_equal(rsp_ec_generate(curve, &ci), RSP_OK);
    assert_int_equal(rsp_ec_generate(curve, &other), RSP_OK);
    rsp_buf der = RSP_BUF_INIT;
    issue(ci, T0, T0 + 86400, &der);
    rsp_crl *c = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_crl_parse(der.data, der.len, &c, &d), RSP_OK);
    assert_int_equal(rsp_crl_count(c), 3);
    assert_int_equal(rsp_crl_number(c), 7);
    assert_int_equal(rsp_crl_this_update(c), T0);
    assert_int_equal(rsp_crl_next_update(c), T0 + 86400);
    assert_string_equal(rsp_crl_issuer(c), "CN = Test-CI");
    assert_int_equal(rsp_crl_verify(c, ci, T0 + 10, &d), RSP_OK);
    /* signed by another key: forged */
    assert_int_equal(rsp_crl_verify(c, other, T0 + 10, NULL), RSP_ERR_VERIFY);
    /* freshness: stale at nextUpdate, not valid yet beyond 300 s of skew */
    assert_int_equal(rsp_crl_verify(c, ci, T0 + 86400, NULL), RSP_ERR_STATE);
    assert_int_equal(rsp_crl_verify(c, ci, T0 - 301, NULL), RSP_ERR_STATE);
    assert_int_equal(rsp_crl_verify(c, ci, T0 - 299, NULL), RSP_OK);
    /* lookup: leading zeros ignored, neighbours not matched */
    const uint8_t s5[] = {0x00, 0x00, 0x05}, s6[] = {0x06}, s256[] = {0x01, 0x00}, s1[] = {0x01};
    const rsp_crl_entry *en = rsp_crl_lookup(c, s5, sizeof(s5));
    assert_non_null(en);
    assert_int_equal(en->reason, RSP_CRL_REASON_KEY_COMPROMISE);
    assert_int_equal(en->date, T0 - 100);
    assert_null(rsp_crl_lookup(c, s6, 1));
    assert_null(rsp_crl_lookup(c, s1, 1));
    en = rsp_crl_lookup(c, s256, 2);
    assert_non_null(en);
    assert_int_equal(en->reason, RSP_CRL_REASON_NONE);
    assert_non_null(rsp_crl_lookup(c, entries[2].serial, 4));
    rsp_crl_free(c);
    /* a flipped bit in the signed part still parses but no longer verifies */
    size_t i = 40;
    while (der.data[i] != 0x05 || der.data[i - 1] != 0x01 || der.data[i - 2] != 0x02)
        i++; /* INTEGER 01 05: the first serial */
    der.data[i] = 0x06;
    assert_int_equal(rsp_crl_parse(der.data, der.len, &c, NULL), RSP_OK);
    assert_int_equal(rsp_crl_verify(c, ci, T0 + 10, NULL), RSP_ERR_VERIFY);
    rsp_crl_free(c);
    rsp_buf_free(&der);
    rsp_ec_free(ci);
    rsp_ec_free(other);
}

static void test_roundtrip_p256(void **state)
{
    (void)state;
    roundtrip(RSP_CURVE_P256);
}

static void test_roundtrip_brainpool(void **state)
{
    (void)state;
    roundtrip(RSP_CURVE_BP256R1);
}

static void test_malformed(void **state)
{
    (void)state;
    rsp_eckey *ci = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &ci), RSP_OK);
    rsp_buf der = RSP_BUF_INIT;
    issue(ci, T0, T0 + 86400, &der);
    rsp_crl *c = NULL;
    rsp_diag d;
    for (size_t n = 0; n < der.len; n++) {
        rsp_diag_clear(&d);
        assert_int_not_equal(rsp_crl_parse(der.data, n, &c, &d), RSP_OK);
        assert_null(c);
        assert_true(d.msg[0] != '\0');
    }
    assert_int_equal(rsp_buf_append_byte(&der, 0x00), RSP_OK);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_crl_parse(der.data, der.len, &c, &d), RSP_ERR_LENGTH);
    assert_int_equal(d.offset, der.len - 1);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    assert_int_equal(rsp_crl_parse(junk, sizeof(junk), &c, NULL), RSP_ERR_FORMAT);
    static const char pem_junk[] = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
    assert_int_equal(rsp_crl_parse((const uint8_t *)pem_junk, strlen(pem_junk), &c, NULL), RSP_ERR_FORMAT);
    uint8_t *big = calloc(1, RSP_CRL_MAX_LEN + 1);
    assert_non_null(big);
    assert_int_equal(rsp_crl_parse(big, RSP_CRL_MAX_LEN + 1, &c, NULL), RSP_ERR_LENGTH);
    free(big);
    /* the issuer refuses what it cannot sign sensibly */
    rsp_crl_template bad = {T0, T0, 1, NULL, 0};
    assert_int_equal(rsp_crl_issue(&bad, ci, NULL, "x", &der), RSP_ERR_INVAL);
    rsp_crl_entry long_serial = {{0}, 21, T0, 0};
    rsp_crl_template bad2 = {T0, T0 + 1, 1, &long_serial, 1};
    assert_int_equal(rsp_crl_issue(&bad2, ci, NULL, "x", &der), RSP_ERR_INVAL);
    rsp_buf_free(&der);
    rsp_ec_free(ci);
}

/* CRLs our issuer never makes, built with OpenSSL directly. */
static void openssl_crl(const rsp_eckey *ci, bool next_update, const EVP_MD *md, bool critical_ext, rsp_buf *out)
{
    X509_CRL *x = X509_CRL_new();
    X509_NAME *n = X509_NAME_new();
    ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)T0), *u = ASN1_TIME_set(NULL, (time_t)(T0 + 3600));
    assert_true(x && n && t && u);
    assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)"x", -1, -1, 0), 1);
    assert_int_equal(X509_CRL_set_version(x, 1), 1);
    assert_int_equal(X509_CRL_set_issuer_name(x, n), 1);
    assert_int_equal(X509_CRL_set1_lastUpdate(x, t), 1);
    if (next_update)
        assert_int_equal(X509_CRL_set1_nextUpdate(x, u), 1);
    if (critical_ext) {
        ASN1_INTEGER *num = ASN1_INTEGER_new();
        ASN1_INTEGER_set(num, 1);
        assert_int_equal(X509_CRL_add1_ext_i2d(x, NID_delta_crl, num, 1, 0), 1);
        ASN1_INTEGER_free(num);
    }
    assert_true(X509_CRL_sign(x, (EVP_PKEY *)rsp_ec_evp_pkey(ci), md) > 0);
    int len = i2d_X509_CRL(x, NULL);
    uint8_t *p;
    rsp_buf_reset(out);
    assert_int_equal(rsp_buf_extend(out, (size_t)len, &p), RSP_OK);
    assert_int_equal(i2d_X509_CRL(x, &p), len);
    X509_CRL_free(x);
    X509_NAME_free(n);
    ASN1_TIME_free(t);
    ASN1_TIME_free(u);
}

static void test_refused_shapes(void **state)
{
    (void)state;
    rsp_eckey *ci = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &ci), RSP_OK);
    rsp_buf der = RSP_BUF_INIT;
    rsp_crl *c = NULL;
    /* control: the same builder with every rule met parses and verifies */
    openssl_crl(ci, true, EVP_sha256(), false, &der);
    assert_int_equal(rsp_crl_parse(der.data, der.len, &c, NULL), RSP_OK);
    assert_int_equal(rsp_crl_verify(c, ci, T0 + 1, NULL), RSP_OK);
    assert_int_equal(rsp_crl_count(c), 0);
    rsp_crl_free(c);
    openssl_crl(ci, false, EVP_sha256(), false, &der);
    assert_int_equal(rsp_crl_parse(der.data, der.len, &c, NULL), RSP_ERR_FORMAT);
    openssl_crl(ci, true, EVP_sha384(), false, &der);
    assert_int_equal(rsp_crl_parse(der.data, der.len, &c, NULL), RSP_ERR_UNSUPPORTED);
    openssl_crl(ci, true, EVP_sha256(), true, &der);
    assert_int_equal(rsp_crl_parse(der.data, der.len, &c, NULL), RSP_ERR_UNSUPPORTED);
    rsp_buf_free(&der);
    rsp_ec_free(ci);
}

static void write_file(const char *path, const rsp_buf *b)
{
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
}

/* A fresh folder for ci.crl (path) and a new P-256 CI key. */
static rsp_eckey *new_crl_place(char *dir, char *path, size_t cap)
{
    assert_non_null(mkdtemp(dir));
    snprintf(path, cap, "%s/ci.crl", dir);
    rsp_eckey *ci = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &ci), RSP_OK);
    return ci;
}

static void test_file_reload(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_crl_XXXXXX", path[512];
    rsp_eckey *ci = new_crl_place(dir, path, sizeof(path));
    rsp_crl_file *opt = NULL, *req = NULL;
    assert_int_equal(rsp_crl_file_new(path, true, &opt), RSP_OK);
    assert_int_equal(rsp_crl_file_new(path, false, &req), RSP_OK);
    const uint8_t s5[] = {0x05}, s9[] = {0x09};
    rsp_diag d;
    /* no file: the optional one lets everything through, the required one nothing */
    assert_int_equal(rsp_crl_file_check(opt, ci, s5, 1, T0, NULL), RSP_OK);
    assert_int_equal(rsp_crl_file_load(opt, NULL), RSP_OK);
    assert_int_equal(rsp_crl_file_check(req, ci, s9, 1, T0, NULL), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_crl_file_load(req, NULL), RSP_ERR_NOT_FOUND);
    rsp_buf der = RSP_BUF_INIT;
    issue(ci, T0, T0 + 86400, &der);
    write_file(path, &der);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_crl_file_check(opt, ci, s5, 1, T0, &d), RSP_ERR_DENIED);
    assert_non_null(strstr(d.msg, "serial 05 is revoked (keyCompromise) by CRL #7"));
    assert_int_equal(rsp_crl_file_check(req, ci, s9, 1, T0, NULL), RSP_OK);
    assert_int_equal(rsp_crl_file_check(req, ci, s9, 1, T0 + 86400, NULL), RSP_ERR_STATE);
    /* the signature is remembered per CI key: the same file under another key does not verify */
    rsp_eckey *k2 = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &k2), RSP_OK);
    assert_int_equal(rsp_crl_file_check(req, k2, s9, 1, T0, NULL), RSP_ERR_VERIFY);
    assert_int_equal(rsp_crl_file_check(req, ci, s9, 1, T0, NULL), RSP_OK);
    rsp_ec_free(k2);
    /* replaced (a new CRL with nothing revoked): the next check sees it */
    rsp_crl_template empty = {T0, T0 + 3600, 8, NULL, 0};
    rsp_buf_reset(&der);
    assert_int_equal(rsp_crl_issue(&empty, ci, NULL, "Test-CI", &der), RSP_OK);
    write_file(path, &der);
    assert_int_equal(rsp_crl_file_check(opt, ci, s5, 1, T0, NULL), RSP_OK);
    /* a corrupt replacement refuses every check, even on the optional file */
    der.len /= 2;
    write_file(path, &der);
    assert_int_not_equal(rsp_crl_file_check(opt, ci, s9, 1, T0, NULL), RSP_OK);
    rsp_diag_clear(&d);
    assert_int_not_equal(rsp_crl_file_load(req, &d), RSP_OK);
    assert_non_null(strstr(d.msg, path));
    /* a forged one (another key) too */
    rsp_eckey *other = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &other), RSP_OK);
    issue(other, T0, T0 + 86400, &der);
    write_file(path, &der);
    assert_int_equal(rsp_crl_file_check(opt, ci, s9, 1, T0, NULL), RSP_ERR_VERIFY);
    unlink(path);
    assert_int_equal(rsp_crl_file_check(opt, ci, s5, 1, T0, NULL), RSP_OK);
    rmdir(dir);
    rsp_crl_file_free(opt);
    rsp_crl_file_free(req);
    rsp_buf_free(&der);
    rsp_ec_free(ci);
    rsp_ec_free(other);
}

static void gp_cert(const rsp_eckey *ci, const uint8_t *serial, size_t serial_len, rsp_buf *out)
{
    const rsp_gpcert_template t = {serial, serial_len, "CA", "EUM", 0x82, "20260101", "20361231",
                                   RSP_GPCERT_ROLE_EUM, NULL, 0};
    assert_int_equal(rsp_gpcert_issue(&t, ci, ci, out), RSP_OK);
}

static void test_file_check_cert(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_crl_XXXXXX", path[512];
    rsp_eckey *ci = new_crl_place(dir, path, sizeof(path));
    rsp_buf der = RSP_BUF_INIT, revoked = RSP_BUF_INIT, good = RSP_BUF_INIT;
    issue(ci, T0, T0 + 86400, &der);
    write_file(path, &der);
    rsp_crl_file *f = NULL;
    assert_int_equal(rsp_crl_file_new(path, false, &f), RSP_OK);
    /* 00 05 is entry 05 once its leading zero is dropped (RFC 5280 INTEGER vs GP's raw bytes) */
    const uint8_t s005[] = {0x00, 0x05}, s7fffffff[] = {0x7F, 0xFF, 0xFF, 0xFF}, s09[] = {0x09};
    gp_cert(ci, s005, sizeof s005, &revoked);
    gp_cert(ci, s09, sizeof s09, &good);
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_crl_file_check_cert(f, ci, revoked.data, revoked.len, T0, &d), RSP_ERR_DENIED);
    assert_non_null(strstr(d.msg, "serial 05 is revoked (keyCompromise)"));
    assert_int_equal(rsp_crl_file_check_cert(f, ci, good.data, good.len, T0, NULL), RSP_OK);
    rsp_buf_reset(&revoked);
    gp_cert(ci, s7fffffff, sizeof s7fffffff, &revoked);
    assert_int_equal(rsp_crl_file_check_cert(f, ci, revoked.data, revoked.len, T0, NULL), RSP_ERR_DENIED);
    /* the CRL's freshness is judged at the caller's now, not the clock's */
    assert_int_equal(rsp_crl_file_check_cert(f, ci, good.data, good.len, T0 + 86400, NULL), RSP_ERR_STATE);
    /* a certificate that does not decode is refused, never let through */
    rsp_diag_clear(&d);
    assert_int_not_equal(rsp_crl_file_check_cert(f, ci, good.data, good.len - 1, T0, &d), RSP_OK);
    assert_non_null(strstr(d.msg, "certificate: "));
    assert_int_equal(rsp_crl_file_check_cert(f, ci, good.data, 0, T0, NULL) != RSP_OK, true);
    unlink(path);
    rmdir(dir);
    rsp_crl_file_free(f);
    rsp_buf_free(&der);
    rsp_buf_free(&revoked);
    rsp_buf_free(&good);
    rsp_ec_free(ci);
}

static void test_reason_names(void **state)
{
    (void)state;
    int r = -5;
    assert_int_equal(rsp_crl_reason_parse("key-compromise", &r), RSP_OK);
    assert_int_equal(r, 1);
    assert_int_equal(rsp_crl_reason_parse("superseded", &r), RSP_OK);
    assert_int_equal(r, 4);
    assert_int_equal(rsp_crl_reason_parse("cessationOfOperation", &r), RSP_OK);
    assert_int_equal(r, 5);
    assert_int_equal(rsp_crl_reason_parse("bogus", &r), RSP_ERR_INVAL);
    assert_string_equal(rsp_crl_reason_name(1), "keyCompromise");
    assert_null(rsp_crl_reason_name(-1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_p256),   cmocka_unit_test(test_roundtrip_brainpool),
        cmocka_unit_test(test_malformed),        cmocka_unit_test(test_refused_shapes),
        cmocka_unit_test(test_file_reload),      cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_file_check_cert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
