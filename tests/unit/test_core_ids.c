/* ids (EID §G, ICCID, AIDs), hex, buffers, error names, the log sink. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/buf.h"
#include "rsp/ids.h"
#include "rsp/log.h"
#include "testutil.h"

static void test_eid_vectors(void **state)
{
    (void)state;
    /* §G: 30 leading digits plus "00" -> the completed EID. */
    const char *in[2] = {"89049032123451234512345678901200", "89086030202200000022000023022900"};
    for (int i = 0; i < 2; i++) {
        char out[33], *want = tu_vec(in[i], "->");
        assert_int_equal(rsp_eid_complete(in[i], out), RSP_OK);
        assert_string_equal(out, want);
        assert_int_equal(rsp_eid_check(want, NULL), RSP_OK);
        char exp[3];
        assert_int_equal(rsp_eid_check(in[i], exp), RSP_ERR_CHECKSUM);
        assert_memory_equal(exp, want + 30, 2);
        free(want);
    }
    char out[33];
    /* §G's 30-digit form completes to the same EID as its first vector ("...35"). */
    char *w30 = tu_vec(in[0], "->");
    assert_int_equal(rsp_eid_complete("890490321234512345123456789012", out), RSP_OK);
    assert_string_equal(out, w30);
    free(w30);
    assert_int_equal(rsp_eid_check("8904903212345123451234567890123", NULL), RSP_ERR_FORMAT);
    assert_int_equal(rsp_eid_check("8904903212345123451234567890123A", NULL), RSP_ERR_FORMAT);
    assert_int_equal(rsp_eid_complete("12345", out), RSP_ERR_FORMAT);
    uint8_t bytes[16];
    char back[33];
    assert_int_equal(rsp_eid_to_bytes("89049032123451234512345678901235", bytes), RSP_OK);
    tu_assert_hex(bytes, 16, "89049032123451234512345678901235");
    assert_int_equal(rsp_eid_from_bytes(bytes, back), RSP_OK);
    assert_string_equal(back, "89049032123451234512345678901235");
    bytes[3] = 0xA0;
    assert_int_equal(rsp_eid_from_bytes(bytes, back), RSP_ERR_FORMAT);
}

static void test_iccid(void **state)
{
    (void)state;
    /* SAIP.md: 89000123456789012341 in reading order, 98001032547698103214 in EF.ICCID. */
    const char *iccid = "89000123456789012341";
    assert_int_equal(rsp_iccid_check(iccid), RSP_OK);
    assert_int_equal(rsp_iccid_check("89000123456789012342"), RSP_ERR_CHECKSUM);
    assert_int_equal(rsp_iccid_check("8900012345"), RSP_ERR_FORMAT);
    uint8_t sw[10], bcd[10];
    char out[21];
    assert_int_equal(rsp_iccid_to_swapped(iccid, sw), RSP_OK);
    tu_assert_hex(sw, 10, "98001032547698103214");
    assert_int_equal(rsp_iccid_from_swapped(sw, out), RSP_OK);
    assert_string_equal(out, iccid);
    assert_int_equal(rsp_iccid_to_bcd(iccid, bcd), RSP_OK);
    tu_assert_hex(bcd, 10, "89000123456789012341");
    assert_int_equal(rsp_iccid_from_bcd(bcd, out), RSP_OK);
    assert_string_equal(out, iccid);
    /* 19 digits: F padding at the end. */
    assert_int_equal(rsp_iccid_to_swapped("8944500000000000001", sw), RSP_OK);
    tu_assert_hex(sw, 10, "984405000000000000f1");
    assert_int_equal(rsp_iccid_from_swapped(sw, out), RSP_OK);
    assert_string_equal(out, "8944500000000000001");
    /* F in the middle is refused. */
    sw[2] = 0xF0;
    assert_int_equal(rsp_iccid_from_swapped(sw, out), RSP_ERR_FORMAT);
    assert_int_equal(rsp_luhn_digit("7992739871", 10), 3);
    assert_int_equal(rsp_luhn_digit("79x", 3), -1);
}

static void test_aid(void **state)
{
    (void)state;
    char s[33];
    rsp_aid_format(&RSP_AID_ISDR, s);
    assert_string_equal(s, "A0000005591010FFFFFFFF8900000100");
    rsp_aid_format(&RSP_AID_ECASD, s);
    assert_string_equal(s, "A0000005591010FFFFFFFF8900000200");
    rsp_aid a;
    assert_int_equal(rsp_aid_isdp(0x000010, &a), RSP_OK);
    rsp_aid_format(&a, s);
    assert_string_equal(s, "A0000005591010FFFFFFFF8900001000");
    uint32_t tar;
    assert_int_equal(rsp_aid_isdp_tar(&a, &tar), RSP_OK);
    assert_int_equal(tar, 0x10);
    assert_int_equal(rsp_aid_isdp(0x00000F, &a), RSP_ERR_RANGE);
    assert_int_equal(rsp_aid_isdp(0x010000, &a), RSP_ERR_RANGE);
    assert_int_equal(rsp_aid_isdp_tar(&RSP_AID_MNO_SD, &tar), RSP_ERR_FORMAT);
    assert_int_equal(rsp_aid_parse("A000000151000000", &a), RSP_OK);
    assert_true(rsp_aid_eq(&a, &RSP_AID_MNO_SD));
    assert_int_equal(rsp_aid_parse("A0000001", &a), RSP_ERR_LENGTH);
    assert_int_equal(rsp_aid_parse("A0000005591010FFFFFFFF890000010000", &a), RSP_ERR_LENGTH);
}

static void test_hex_and_buf(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_hex_decode("0a:0B cd\nEF", &b, &d), RSP_OK);
    tu_assert_hex(b.data, b.len, "0a0bcdef");
    rsp_diag_clear(&d);
    assert_int_equal(rsp_hex_decode("0a0", &b, &d), RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "odd"));
    assert_int_equal(b.len, 4); /* failed decode leaves the buffer as it was */
    rsp_diag_clear(&d);
    assert_int_equal(rsp_hex_decode("0g", &b, &d), RSP_ERR_FORMAT);
    assert_int_equal(d.offset, 1);
    char small[4];
    assert_int_equal(rsp_hex_encode(b.data, 4, small, sizeof(small)), RSP_ERR_OVERFLOW);
    uint8_t fixed[2];
    assert_int_equal(rsp_hex_decode_fixed("0102", fixed, 2, NULL), RSP_OK);
    assert_int_equal(rsp_hex_decode_fixed("010203", fixed, 2, NULL), RSP_ERR_LENGTH);
    rsp_buf_reset(&b);
    rsp_buf_append_u16(&b, 0x0102);
    rsp_buf_append_u24(&b, 0x030405);
    rsp_buf_append_u32(&b, 0x06070809);
    rsp_buf_insert(&b, 0, "\xAA", 1);
    tu_assert_hex(b.data, b.len, "aa010203040506070809");
    assert_int_equal(rsp_buf_insert(&b, 99, "x", 1), RSP_ERR_RANGE);
    assert_true(rsp_ct_equal(b.data, b.data, b.len));
    rsp_buf_free_secret(&b);
    assert_null(b.data);
}

static void test_errors(void **state)
{
    (void)state;
    assert_string_equal(rsp_err_name(RSP_OK), "ok");
    assert_string_equal(rsp_err_name(RSP_ERR_TRUNCATED), "truncated");
    assert_string_equal(rsp_err_name((rsp_err)9999), "unknown");
    for (int e = 0; e < RSP_ERR__COUNT; e++) {
        assert_non_null(rsp_err_msg((rsp_err)e));
        for (int f = e + 1; f < RSP_ERR__COUNT; f++)
            assert_string_not_equal(rsp_err_name((rsp_err)e), rsp_err_name((rsp_err)f));
    }
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_diag_set_at(&d, RSP_ERR_TAG, 12, "first %d", 1), RSP_ERR_TAG);
    rsp_diag_set(&d, RSP_ERR_LENGTH, "second"); /* the first error wins */
    char s[200];
    assert_string_equal(rsp_diag_str(&d, RSP_ERR_INTERNAL, s, sizeof(s)), "first 1 at offset 12 (unexpected-tag)");
    assert_int_equal(rsp_diag_set(NULL, RSP_ERR_IO, "x"), RSP_ERR_IO);
}

typedef struct captured {
    int n;
    char last[1024];
} captured;

static void capture(void *ctx, rsp_log_subsys ss, rsp_log_level lvl, const char *line)
{
    (void)ss;
    (void)lvl;
    captured *c = ctx;
    c->n++;
    snprintf(c->last, sizeof(c->last), "%s", line);
}

static void test_log(void **state)
{
    (void)state;
    captured c = {0, ""};
    rsp_log_set_sink(capture, &c);
    rsp_log_set_level(RSP_SS_SMSR, RSP_LOG_INFO);
    RSP_LOGD(RSP_SS_SMSR, "hidden", "k=%d", 1);
    assert_int_equal(c.n, 0);
    RSP_LOGI(RSP_SS_SMSR, "operation claimed", "eid=%s op=%d", "8904", 7);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.last, "INFO smsr: operation claimed eid=8904 op=7"));
    rsp_log_set_level_all(RSP_LOG_NONE);
    RSP_LOGE(RSP_SS_SMSR, "suppressed", NULL);
    assert_int_equal(c.n, 1);
    assert_int_equal(rsp_log_level_parse("debug"), RSP_LOG_DEBUG);
    assert_int_equal(rsp_log_level_parse("loud"), -1);
    rsp_log_set_sink(NULL, NULL);
    rsp_log_set_level_all(RSP_LOG_NOTICE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eid_vectors), cmocka_unit_test(test_iccid), cmocka_unit_test(test_aid),
        cmocka_unit_test(test_hex_and_buf), cmocka_unit_test(test_errors), cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
