/* GP certificates (7F21): the §E1 public sample decodes and re-encodes byte for byte; issue/verify on
 * both curves; malformed input (every truncation, wrong tags, order, lengths) fails cleanly. */
#include <stdlib.h>
#include <string.h>

#include "rsp/gpcert.h"
#include "rsp/tlv.h"
#include "testutil.h"

/* The certificate inside the §E1 STORE DATA (C-APDU TLV 22 | 80E20900 Lc | 3A01 L | 7F21...). */
static void e1_cert(rsp_buf *out)
{
    rsp_buf apdu = RSP_BUF_INIT;
    tu_vec_bytes("E1. Public Java project", "C-APDU TLV '22':", &apdu);
    size_t i = 0;
    while (i + 1 < apdu.len && !(apdu.data[i] == 0x7F && apdu.data[i + 1] == 0x21))
        i++;
    assert_true(i + 1 < apdu.len);
    rsp_tlv t;
    assert_int_equal(rsp_tlv_parse(apdu.data + i, apdu.len - i, 0, &t, NULL), RSP_OK);
    rsp_buf_reset(out);
    rsp_buf_append(out, t.raw, t.raw_len);
    rsp_buf_free(&apdu);
}

static void test_e1_sample_roundtrip(void **state)
{
    (void)state;
    rsp_buf der = RSP_BUF_INIT, re = RSP_BUF_INIT;
    e1_cert(&der);
    rsp_gpcert c;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_gpcert_decode(der.data, der.len, &c, &d), RSP_OK);
    /* Field values as listed in the §E1 dump. */
    tu_assert_hex(c.serial.p, c.serial.len, "02");
    tu_assert_hex(c.ca_id.p, c.ca_id.len, "02");
    tu_assert_hex(c.subject.p, c.subject.len, "02");
    tu_assert_hex(c.key_usage.p, c.key_usage.len, "88");
    tu_assert_hex(c.expiry.p, c.expiry.len, "21450101");
    assert_int_equal(c.role, 0x01);
    assert_int_equal(c.curve_ref, 0x00);
    assert_false(c.raw_point_key);
    char *pt = tu_vec("[WHTY certDpEcdsa]", "b0 L=0x41");
    tu_assert_hex(c.point.p, c.point.len, pt);
    free(pt);
    char *sig = tu_vec("[WHTY certDpEcdsa]", "5f37 L=0x40");
    tu_assert_hex(c.signature.p, c.signature.len, sig);
    free(sig);
    /* tbs is everything inside 7F21 before 5F37. */
    assert_int_equal(c.tbs.len + 3 + 64, der.len - 4);
    assert_int_equal(rsp_gpcert_encode(&c, &re), RSP_OK);
    assert_int_equal(re.len, der.len);
    assert_memory_equal(re.data, der.data, der.len);
    /* The public key is a valid P-256 point. */
    rsp_eckey *k = NULL;
    assert_int_equal(rsp_gpcert_public_key(&c, RSP_CURVE_BP256R1, &k), RSP_OK);
    assert_int_equal(rsp_ec_curve(k), RSP_CURVE_P256);
    rsp_ec_free(k);
    rsp_buf txt = RSP_BUF_INIT;
    assert_int_equal(rsp_gpcert_print(&c, &txt), RSP_OK);
    rsp_buf_append_byte(&txt, 0);
    assert_non_null(strstr((char *)txt.data, "2145-01-01"));
    assert_non_null(strstr((char *)txt.data, "SM-DP"));
    rsp_buf_free(&txt);
    rsp_buf_free(&der);
    rsp_buf_free(&re);
}

static void issue_and_verify(rsp_curve curve)
{
    rsp_eckey *ci = NULL, *dp = NULL, *other = NULL;
    assert_int_equal(rsp_ec_generate(curve, &ci), RSP_OK);
    assert_int_equal(rsp_ec_generate(curve, &dp), RSP_OK);
    assert_int_equal(rsp_ec_generate(curve, &other), RSP_OK);
    const uint8_t serial[] = {0x01, 0x02, 0x03};
    const uint8_t akid[] = {0xAA, 0xBB};
    rsp_gpcert_template t = {serial, sizeof(serial), "OpenRSP-CI", "SMDP1", 0x82, "20261121", "20361121",
                             RSP_GPCERT_ROLE_SMDP, akid, sizeof(akid)};
    rsp_buf der = RSP_BUF_INIT, re = RSP_BUF_INIT;
    assert_int_equal(rsp_gpcert_issue(&t, dp, ci, &der), RSP_OK);
    rsp_gpcert c;
    assert_int_equal(rsp_gpcert_decode(der.data, der.len, &c, NULL), RSP_OK);
    assert_int_equal(c.role, RSP_GPCERT_ROLE_SMDP);
    assert_int_equal(c.curve_ref, (int)curve);
    assert_int_equal(c.authority_key_id.len, 2);
    assert_int_equal(rsp_gpcert_verify(&c, ci), RSP_OK);
    assert_int_equal(rsp_gpcert_verify(&c, other), RSP_ERR_VERIFY);
    assert_int_equal(rsp_gpcert_encode(&c, &re), RSP_OK);
    assert_memory_equal(re.data, der.data, der.len);
    /* Any flipped bit in the signed part or the signature breaks verification (or decoding). */
    for (size_t i = 4; i < der.len; i += 7) {
        der.data[i] ^= 0x01;
        rsp_gpcert m;
        rsp_err e = rsp_gpcert_decode(der.data, der.len, &m, NULL);
        if (e == RSP_OK)
            assert_int_equal(rsp_gpcert_verify(&m, ci), RSP_ERR_VERIFY);
        der.data[i] ^= 0x01;
    }
    rsp_ec_free(ci);
    rsp_ec_free(dp);
    rsp_ec_free(other);
    rsp_buf_free(&der);
    rsp_buf_free(&re);
}

static void test_issue_verify_p256(void **state)
{
    (void)state;
    issue_and_verify(RSP_CURVE_P256);
}

static void test_issue_verify_brainpool(void **state)
{
    (void)state;
    issue_and_verify(RSP_CURVE_BP256R1);
}

static void expect_fault(const rsp_buf *b, rsp_err want, const char *needle)
{
    rsp_gpcert c;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_gpcert_decode(b->data, b->len, &c, &d);
    assert_int_equal(e, want);
    if (needle && !strstr(d.msg, needle))
        fail_msg("diagnostic '%s' does not mention '%s'", d.msg, needle);
}

static void test_malformed(void **state)
{
    (void)state;
    rsp_buf der = RSP_BUF_INIT, m = RSP_BUF_INIT;
    e1_cert(&der);
    /* Every truncation is refused with an error, never a crash. */
    for (size_t n = 0; n < der.len; n++) {
        rsp_gpcert c;
        assert_int_not_equal(rsp_gpcert_decode(der.data, n, &c, NULL), RSP_OK);
    }
    /* Wrong outer tag. */
    rsp_buf_set(&m, der.data, der.len);
    m.data[1] = 0x4E;
    expect_fault(&m, RSP_ERR_TAG, "expected tag 7F21");
    /* Trailing garbage. */
    rsp_buf_set(&m, der.data, der.len);
    rsp_buf_append_byte(&m, 0x00);
    expect_fault(&m, RSP_ERR_LENGTH, "trailing");
    /* Serial tag 93 -> 94: an unknown field. */
    rsp_buf_set(&m, der.data, der.len);
    m.data[4] = 0x94;
    expect_fault(&m, RSP_ERR_TAG, "unknown certificate field 94");
    /* Key usage tag 95 -> 93: out of order / repeated. */
    rsp_buf_set(&m, der.data, der.len);
    size_t i = 4 + 3 + 3 + 4; /* 93 01 02 | 42 01 02 | 5F20 01 02 */
    assert_int_equal(m.data[i], 0x95);
    m.data[i] = 0x93;
    expect_fault(&m, RSP_ERR_TAG, "out of order");
    /* Outer length larger than the data. */
    rsp_buf_set(&m, der.data, der.len);
    m.data[3] = (uint8_t)(m.data[3] + 1);
    expect_fault(&m, RSP_ERR_TRUNCATED, "7F21");
    /* Inner length larger than what is left of the outer value. */
    rsp_buf_set(&m, der.data, der.len);
    m.data[m.len - 65] = 0x41; /* the 5F37 length byte: 0x40 -> 0x41 */
    expect_fault(&m, RSP_ERR_TRUNCATED, "5F37");
    /* Indefinite length is refused. */
    rsp_buf_set(&m, der.data, der.len);
    m.data[2] = 0x80;
    assert_int_not_equal(rsp_gpcert_decode(m.data, m.len, &(rsp_gpcert){0}, NULL), RSP_OK);
    rsp_buf_free(&der);
    rsp_buf_free(&m);
}

static void test_missing_fields(void **state)
{
    (void)state;
    rsp_eckey *k = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &k), RSP_OK);
    uint8_t point[65];
    rsp_ec_public_point(k, point);
    /* A certificate without 5F24 and one with a short signature. */
    rsp_buf b = RSP_BUF_INIT;
    size_t m;
    uint8_t sig[64] = {0};
    rsp_tlv_begin(&b, 0x7F21, &m);
    rsp_tlv_put(&b, 0x93, "\x01", 1);
    rsp_tlv_put(&b, 0x42, "C", 1);
    rsp_tlv_put(&b, 0x5F20, "S", 1);
    rsp_tlv_put(&b, 0x95, "\x82", 1);
    rsp_tlv_put(&b, 0x7F49, point, 65);
    rsp_tlv_put(&b, 0x5F37, sig, 64);
    rsp_tlv_end(&b, m);
    expect_fault(&b, RSP_ERR_TAG, "expiration date");
    rsp_buf_reset(&b);
    rsp_tlv_begin(&b, 0x7F21, &m);
    rsp_tlv_put(&b, 0x93, "\x01", 1);
    rsp_tlv_put(&b, 0x42, "C", 1);
    rsp_tlv_put(&b, 0x5F20, "S", 1);
    rsp_tlv_put(&b, 0x95, "\x82", 1);
    rsp_tlv_put(&b, 0x5F24, "\x20\x30\x01\x01", 4);
    rsp_tlv_put(&b, 0x7F49, point, 65);
    rsp_tlv_put(&b, 0x5F37, sig, 63);
    rsp_tlv_end(&b, m);
    expect_fault(&b, RSP_ERR_LENGTH, "signature");
    /* The raw-point 7F49 variant decodes and re-encodes. */
    rsp_buf_reset(&b);
    rsp_tlv_begin(&b, 0x7F21, &m);
    rsp_tlv_put(&b, 0x93, "\x01", 1);
    rsp_tlv_put(&b, 0x42, "C", 1);
    rsp_tlv_put(&b, 0x5F20, "S", 1);
    rsp_tlv_put(&b, 0x95, "\x82", 1);
    rsp_tlv_put(&b, 0x5F24, "\x20\x30\x01\x01", 4);
    rsp_tlv_put(&b, 0x7F49, point, 65);
    rsp_tlv_put(&b, 0x5F37, sig, 64);
    rsp_tlv_end(&b, m);
    rsp_gpcert c;
    assert_int_equal(rsp_gpcert_decode(b.data, b.len, &c, NULL), RSP_OK);
    assert_true(c.raw_point_key);
    rsp_buf re = RSP_BUF_INIT;
    assert_int_equal(rsp_gpcert_encode(&c, &re), RSP_OK);
    assert_memory_equal(re.data, b.data, b.len);
    rsp_buf_free(&re);
    rsp_buf_free(&b);
    rsp_ec_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e1_sample_roundtrip), cmocka_unit_test(test_issue_verify_p256),
        cmocka_unit_test(test_issue_verify_brainpool), cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_missing_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
