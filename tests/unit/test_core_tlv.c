/* BER-TLV reader/writer: tag and length forms, nesting without copies, strict bounds, indefinite
 * lengths only on request, and malformed input (truncated, over-long, wrong tags). */
#include <string.h>

#include "rsp/tlv.h"
#include "testutil.h"

static void test_tags_and_lengths(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    uint8_t big[300];
    memset(big, 0xAB, sizeof(big));
    assert_int_equal(rsp_tlv_put(&b, 0x4F, "\x01\x02", 2), RSP_OK);
    assert_int_equal(rsp_tlv_put(&b, 0x5F20, big, 127), RSP_OK);
    assert_int_equal(rsp_tlv_put(&b, 0x7F21, big, 128), RSP_OK);
    assert_int_equal(rsp_tlv_put(&b, 0xBF8122, big, 300), RSP_OK);
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_tlv_reader_init(&r, b.data, b.len, RSP_TLV_DER);
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_OK);
    assert_int_equal(t.tag, 0x4F);
    assert_int_equal(t.len, 2);
    assert_int_equal(t.raw_len, 4);
    assert_false(t.constructed);
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_OK);
    assert_int_equal(t.tag, 0x5F20);
    assert_int_equal(t.tag_len, 2);
    assert_int_equal(t.raw_len, 2 + 1 + 127);
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_OK);
    assert_int_equal(t.tag, 0x7F21);
    assert_true(t.constructed);
    assert_int_equal(t.raw_len, 2 + 2 + 128); /* 81 80 */
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_OK);
    assert_int_equal(t.tag, 0xBF8122);
    assert_int_equal(t.tag_len, 3);
    assert_int_equal(t.raw_len, 3 + 3 + 300); /* 82 01 2C */
    assert_ptr_equal(t.value, b.data + b.len - 300); /* zero-copy */
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_ERR_END);
    rsp_buf_free(&b);
}

static void test_nested_writer_and_find(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    size_t m1, m2;
    uint8_t filler[200] = {0};
    assert_int_equal(rsp_tlv_begin(&b, 0xE3, &m1), RSP_OK);
    rsp_tlv_put(&b, 0x4F, "\xA0\x00\x00\x05\x59", 5);
    assert_int_equal(rsp_tlv_begin(&b, 0xA5, &m2), RSP_OK);
    rsp_tlv_put(&b, 0x80, filler, sizeof(filler));
    assert_int_equal(rsp_tlv_end(&b, m2), RSP_OK);
    rsp_tlv_put_u8(&b, 0x9F70, 0x3F);
    assert_int_equal(rsp_tlv_end(&b, m1), RSP_OK);
    /* E3 81 D9 { 4F 05 .. | A5 81 CB { 80 81 C8 .. } | 9F70 01 3F } */
    tu_assert_hex(b.data, 3, "E381D9");
    rsp_tlv t;
    const uint32_t path[2] = {0xE3, 0x9F70};
    assert_int_equal(rsp_tlv_find_path(b.data, b.len, path, 2, &t), RSP_OK);
    assert_int_equal(t.len, 1);
    assert_int_equal(t.value[0], 0x3F);
    const uint32_t path2[3] = {0xE3, 0xA5, 0x80};
    assert_int_equal(rsp_tlv_find_path(b.data, b.len, path2, 3, &t), RSP_OK);
    assert_int_equal(t.len, 200);
    const uint32_t missing[2] = {0xE3, 0x53};
    assert_int_equal(rsp_tlv_find_path(b.data, b.len, missing, 2, &t), RSP_ERR_NOT_FOUND);
    /* Nested reader offsets point into the outer buffer. */
    rsp_tlv_reader r, in;
    rsp_tlv outer;
    rsp_tlv_reader_init(&r, b.data, b.len, 0);
    assert_int_equal(rsp_tlv_next(&r, &outer), RSP_OK);
    rsp_tlv_reader_nested(&in, &r, &outer);
    assert_int_equal(in.base, 3);
    rsp_buf_free(&b);
}

static void test_indefinite(void **state)
{
    (void)state;
    /* TS 102 226 expanded format, indefinite: AE 80 22 05 80CAFF2100 00 00 (§F). */
    rsp_buf b = RSP_BUF_INIT;
    tu_hex("ae8022058 0caff21000000", &b);
    rsp_tlv t;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_tlv_parse(b.data, b.len, 0, &t, &d), RSP_ERR_LENGTH);
    assert_non_null(strstr(d.msg, "indefinite"));
    assert_int_equal(rsp_tlv_parse(b.data, b.len, RSP_TLV_ALLOW_INDEFINITE, &t, NULL), RSP_OK);
    assert_true(t.indefinite);
    assert_int_equal(t.len, 7);
    assert_int_equal(t.raw_len, b.len);
    /* Nested indefinite, and a missing end-of-contents. */
    tu_hex("af80af80800101000000 00", &b);
    assert_int_equal(rsp_tlv_parse(b.data, b.len, RSP_TLV_ALLOW_INDEFINITE, &t, NULL), RSP_OK);
    assert_int_equal(t.raw_len, b.len);
    tu_hex("ae80220580caff2100", &b);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_tlv_parse(b.data, b.len, RSP_TLV_ALLOW_INDEFINITE, &t, &d), RSP_ERR_TRUNCATED);
    assert_non_null(strstr(d.msg, "end-of-contents"));
    /* Deep nesting is bounded. */
    rsp_buf deep = RSP_BUF_INIT;
    for (int i = 0; i < 100; i++)
        rsp_buf_append(&deep, "\xae\x80", 2);
    for (int i = 0; i < 100; i++)
        rsp_buf_append(&deep, "\x00\x00", 2);
    assert_int_not_equal(rsp_tlv_parse(deep.data, deep.len, RSP_TLV_ALLOW_INDEFINITE, &t, NULL), RSP_OK);
    rsp_buf_free(&deep);
    rsp_buf_free(&b);
}

static void expect(const char *hex, unsigned flags, rsp_err want, const char *needle)
{
    rsp_buf b = RSP_BUF_INIT;
    tu_hex(hex, &b);
    rsp_tlv t;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_tlv_parse(b.data, b.len, flags, &t, &d);
    if (e != want)
        fail_msg("%s: got %s, want %s (%s)", hex, rsp_err_name(e), rsp_err_name(want), d.msg);
    if (needle && !strstr(d.msg, needle))
        fail_msg("%s: diagnostic '%s' lacks '%s'", hex, d.msg, needle);
    rsp_buf_free(&b);
}

static void test_malformed(void **state)
{
    (void)state;
    expect("", 0, RSP_ERR_TRUNCATED, "no tag");
    expect("5f", 0, RSP_ERR_TRUNCATED, "multi-byte tag");
    expect("5f20", 0, RSP_ERR_TRUNCATED, "no length");
    expect("1f818181 01 00", 0, RSP_ERR_TAG, "longer than 3");
    expect("04 05 0102", 0, RSP_ERR_TRUNCATED, "declares 5 value bytes but only 2 remain");
    expect("04 81", 0, RSP_ERR_TRUNCATED, "inside its length");
    expect("04 84 00000001 00", 0, RSP_ERR_LENGTH, "4 bytes");
    expect("04 8f", 0, RSP_ERR_LENGTH, "15 bytes");
    expect("04 83 ffffff", 0, RSP_ERR_TRUNCATED, NULL);
    expect("04 81 05 0102030405", RSP_TLV_DER, RSP_ERR_LENGTH, "minimally");
    expect("04 81 05 0102030405", 0, RSP_OK, NULL);
    expect("04 80 0000", RSP_TLV_ALLOW_INDEFINITE, RSP_ERR_LENGTH, "primitive");
    /* Every truncation of a valid nested structure fails cleanly. */
    rsp_buf b = RSP_BUF_INIT;
    tu_hex("7f2181a5930102420102", &b);
    for (size_t n = 0; n < b.len; n++) {
        rsp_tlv t;
        assert_int_not_equal(rsp_tlv_parse(b.data, n, 0, &t, NULL), RSP_OK);
    }
    /* expect(): wrong tag and trailing data. */
    rsp_tlv t;
    rsp_diag d;
    rsp_diag_clear(&d);
    tu_hex("4f0101", &b);
    assert_int_equal(rsp_tlv_expect(b.data, b.len, 0x5A, &t, &d), RSP_ERR_TAG);
    tu_hex("4f010100", &b);
    assert_int_equal(rsp_tlv_expect(b.data, b.len, 0x4F, &t, NULL), RSP_ERR_LENGTH);
    /* A reader's diagnostics carry absolute offsets. */
    tu_hex("4f0101 5a05 01", &b);
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, b.data, b.len, 0);
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_OK);
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_ERR_TRUNCATED);
    assert_int_equal(r.diag.offset, 3);
    rsp_buf_free(&b);
}

static void test_padding(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    tu_hex("00ff4f0101ff005a0102", &b);
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_tlv_reader_init(&r, b.data, b.len, RSP_TLV_SKIP_PADDING);
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_OK);
    assert_int_equal(t.tag, 0x4F);
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_OK);
    assert_int_equal(t.tag, 0x5A);
    assert_int_equal(rsp_tlv_next(&r, &t), RSP_ERR_END);
    rsp_buf_free(&b);
}

static void test_writer_limits(void **state)
{
    (void)state;
    assert_int_equal(rsp_tlv_len_size(0x7F), 1);
    assert_int_equal(rsp_tlv_len_size(0x80), 2);
    assert_int_equal(rsp_tlv_len_size(0x100), 3);
    assert_int_equal(rsp_tlv_len_size(0x10000), 4);
    assert_int_equal(rsp_tlv_len_size(0x1000000), 0);
    rsp_buf b = RSP_BUF_INIT;
    size_t m = 7;
    assert_int_equal(rsp_tlv_end(&b, m), RSP_ERR_RANGE);
    rsp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tags_and_lengths), cmocka_unit_test(test_nested_writer_and_find),
        cmocka_unit_test(test_indefinite),       cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_padding),          cmocka_unit_test(test_writer_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
