/* saip walker on broken packages: truncated, wrong lengths, missing end, unknown tags, bad order,
 * bad headers, random damage. Each must fail with a clear message and offset, never crash or leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/saip.h"
#include "testutil.h"

static rsp_buf pkg_bytes;
static rsp_saip_package pkg;

static int setup(void **state)
{
    (void)state;
    char path[1024];
    tu_read_file(tu_shared_path("profiles/TS48v7_SAIP2.3_BERTLV_SUCI.der", path, sizeof(path)), &pkg_bytes);
    return rsp_saip_parse(pkg_bytes.data, pkg_bytes.len, 0, &pkg, NULL) == RSP_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rsp_saip_package_free(&pkg);
    rsp_buf_free(&pkg_bytes);
    return 0;
}

/* Parses and expects failure with e (or any error when e == RSP_OK); returns the diag. */
static rsp_diag expect_fail(const uint8_t *p, size_t len, unsigned flags, rsp_err e)
{
    rsp_saip_package out;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err got = rsp_saip_parse(p, len, flags, &out, &d);
    if (got == RSP_OK)
        fail_msg("parse of %zu bytes unexpectedly succeeded", len);
    if (e != RSP_OK && got != e)
        fail_msg("expected %s, got %s: %s", rsp_err_name(e), rsp_err_name(got), d.msg);
    assert_int_equal(d.err, got);
    assert_true(d.msg[0] != '\0');
    assert_null(out.pes);
    return d;
}

static void append_pe(rsp_buf *b, size_t i)
{
    rsp_buf_append(b, pkg.pes[i].raw.p, pkg.pes[i].raw.len);
}

static void test_truncated(void **state)
{
    (void)state;
    expect_fail(pkg_bytes.data, 0, 0, RSP_ERR_TRUNCATED);
    for (size_t l = 1; l < pkg_bytes.len; l += (l < 300 || l > pkg_bytes.len - 300) ? 1 : 7) {
        rsp_diag d = expect_fail(pkg_bytes.data, l, 0, RSP_OK);
        assert_true(d.has_offset);
        assert_true(d.offset <= l);
        assert_non_null(strstr(d.msg, "element"));
    }
}

static void test_missing_end(void **state)
{
    (void)state;
    size_t l = pkg.pes[pkg.n_pes - 1].offset;
    rsp_diag d = expect_fail(pkg_bytes.data, l, 0, RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "without the end element"));
    assert_int_equal(d.offset, l);
}

static void test_after_end(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    rsp_buf_set(&b, pkg_bytes.data, pkg_bytes.len);
    append_pe(&b, 1);
    rsp_diag d = expect_fail(b.data, b.len, 0, RSP_ERR_FORMAT);
    char want[64];
    snprintf(want, sizeof(want), "element %zu", pkg.n_pes);
    assert_non_null(strstr(d.msg, want));
    assert_non_null(strstr(d.msg, "follows the end"));
    assert_int_equal(d.offset, pkg_bytes.len);
    /* Trailing garbage after end is also refused. */
    b.len = pkg_bytes.len;
    rsp_buf_append(&b, "\x00\x00", 2);
    expect_fail(b.data, b.len, 0, RSP_OK);
    rsp_buf_free(&b);
}

static void test_order(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    append_pe(&b, 1); /* mf first */
    append_pe(&b, 0);
    append_pe(&b, pkg.n_pes - 1);
    rsp_diag d = expect_fail(b.data, b.len, 0, RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "begin with the header"));
    assert_int_equal(d.offset, 0);
    rsp_buf_reset(&b);
    append_pe(&b, 0);
    append_pe(&b, 1);
    size_t second = b.len;
    append_pe(&b, 0);
    append_pe(&b, pkg.n_pes - 1);
    d = expect_fail(b.data, b.len, 0, RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "element 2: a second header"));
    assert_int_equal(d.offset, second);
    rsp_buf_free(&b);
}

static void test_unknown_tag(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    rsp_buf_set(&b, pkg_bytes.data, pkg_bytes.len);
    b.data[pkg.pes[3].offset] = 0xE1; /* private, constructed */
    rsp_diag d = expect_fail(b.data, b.len, 0, RSP_ERR_TAG);
    assert_non_null(strstr(d.msg, "element 3: tag E1 is not a ProfileElement"));
    assert_int_equal(d.offset, pkg.pes[3].offset);
    rsp_saip_package p2;
    assert_int_equal(rsp_saip_parse(b.data, b.len, RSP_SAIP_ALLOW_UNKNOWN, &p2, NULL), RSP_OK);
    assert_string_equal(p2.pes[3].name, "unknown");
    assert_false(p2.pes[3].known);
    rsp_saip_package_free(&p2);

    /* Two-byte tags: BF1F/BF20/BF21 are alternatives, BF22 is not. */
    const uint8_t pe_body[] = {0x0A, 0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x07, 0x81, 0x01, 0x00};
    const uint8_t tags[4][2] = {{0xBF, 0x1F}, {0xBF, 0x20}, {0xBF, 0x21}, {0xBF, 0x22}};
    const char *names[3] = {"df-5gprose", "iot", "opt-iot"};
    for (int i = 0; i < 4; i++) {
        rsp_buf_reset(&b);
        append_pe(&b, 0);
        size_t at = b.len;
        rsp_buf_append(&b, tags[i], 2);
        rsp_buf_append(&b, pe_body, sizeof(pe_body));
        append_pe(&b, pkg.n_pes - 1);
        if (i < 3) {
            rsp_diag_clear(&d);
            assert_int_equal(rsp_saip_parse(b.data, b.len, 0, &p2, &d), RSP_OK);
            assert_int_equal(p2.n_pes, 3);
            assert_string_equal(p2.pes[1].name, names[i]);
            assert_int_equal(p2.pes[1].identification, 7);
            assert_true(p2.pes[1].mandated);
            rsp_saip_package_free(&p2);
        } else {
            d = expect_fail(b.data, b.len, 0, RSP_ERR_TAG);
            assert_non_null(strstr(d.msg, "BF22"));
            assert_int_equal(d.offset, at);
        }
    }
    rsp_buf_free(&b);
}

static void test_wrong_lengths(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    /* EF.ICCID content length 0A -> 0B inside the mf element: the nested check catches it. */
    rsp_buf_set(&b, pkg_bytes.data, pkg_bytes.len);
    const uint8_t needle[] = {0x83, 0x0A, 0x98, 0x00};
    uint8_t *hit = NULL;
    for (size_t i = pkg.pes[1].offset; !hit && i + sizeof(needle) <= pkg.pes[2].offset; i++)
        if (!memcmp(b.data + i, needle, sizeof(needle)))
            hit = b.data + i;
    assert_non_null(hit);
    hit[1] = 0x0B;
    rsp_diag d = expect_fail(b.data, b.len, 0, RSP_OK);
    assert_non_null(strstr(d.msg, "element 1 (mf"));
    assert_true(d.offset > pkg.pes[1].offset && d.offset < pkg.pes[2].offset);
    /* ...but a shallow walk does not look inside. */
    rsp_saip_package p2;
    assert_int_equal(rsp_saip_parse(b.data, b.len, RSP_SAIP_SHALLOW, &p2, NULL), RSP_OK);
    rsp_saip_package_free(&p2);

    /* An element's own length one too long swallows the next tag. */
    for (size_t i = 1; i + 1 < pkg.n_pes; i += 5) {
        rsp_buf_set(&b, pkg_bytes.data, pkg_bytes.len);
        uint8_t *l = b.data + pkg.pes[i].offset + 1;
        size_t nlen = (*l & 0x80) ? (*l & 0x7F) : 0;
        l[nlen] = (uint8_t)(l[nlen] + 1);
        expect_fail(b.data, b.len, 0, RSP_OK);
        l[nlen] = (uint8_t)(l[nlen] - 2);
        expect_fail(b.data, b.len, 0, RSP_OK);
    }

    /* Non-minimal length (81 07 for 7 bytes) is not DER. */
    rsp_buf_reset(&b);
    append_pe(&b, 0);
    rsp_buf_append(&b, "\xAA\x81\x07\xA0\x05\x80\x00\x81\x01\x1F", 10);
    d = expect_fail(b.data, b.len, 0, RSP_ERR_LENGTH);
    assert_non_null(strstr(d.msg, "minimal"));

    /* Four length bytes. */
    rsp_buf_reset(&b);
    rsp_buf_append(&b, "\xA0\x84\x00\x00\x00\x01\x00", 7);
    expect_fail(b.data, b.len, 0, RSP_ERR_LENGTH);
    rsp_buf_free(&b);
}

static void test_bad_pe_headers(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    static const struct {
        const char *hex;
        const char *msg;
    } cases[] = {
        {"A2038101 05", "does not start with a PE header"},
        {"A200", "does not start with a PE header"},
        {"A204A0028000", "no identification"},
        {"A205A003800100", "mandated"},
        {"A205A003810180", "not a UInt15"},
        {"A206A00481028000", "not a UInt15"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rsp_buf pe = RSP_BUF_INIT;
        tu_hex(cases[i].hex, &pe);
        rsp_buf_reset(&b);
        append_pe(&b, 0);
        rsp_buf_append(&b, pe.data, pe.len);
        append_pe(&b, pkg.n_pes - 1);
        rsp_diag d = expect_fail(b.data, b.len, 0, RSP_OK);
        if (!strstr(d.msg, cases[i].msg) || !strstr(d.msg, "element 1 (pinCodes)"))
            fail_msg("case %zu: message '%s'", i, d.msg);
        rsp_buf_free(&pe);
    }
    rsp_buf_free(&b);
}

static void test_bad_headers(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        const char *msg;
    } cases[] = {
        {"A00A800102810103A500A600", "iccid is missing"},
        {"A016800102810103830A8900012345678901234A A500A600", "iccid is not 10 bytes"},
        {"A0158001028101038309890001234567890123 A500A600", "iccid is not 10 bytes"},
        {"A016810103800102830A89000123456789012341A500A600", "out of order"},
        {"A0148001028101038 30A89000123456789012341A500", "eUICC-Mandatory-GFSTEList is missing"},
        {"A019800102810103820100830A89000123456789012341A500A600", "profileType"},
        {"A01780020100810103830A89000123456789012341A500A600", "major-version"},
        {"A018800102810103830A89000123456789012341A5020400A600", "services"},
        {"A019800102810103830A89000123456789012341A500A60306018 0", "OID"},
    };
    rsp_buf b = RSP_BUF_INIT, h = RSP_BUF_INIT;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_hex(cases[i].hex, &h);
        rsp_buf_set(&b, h.data, h.len);
        append_pe(&b, pkg.n_pes - 1);
        rsp_diag d = expect_fail(b.data, b.len, 0, RSP_OK);
        if (!strstr(d.msg, cases[i].msg) || !strstr(d.msg, "header"))
            fail_msg("case %zu: message '%s'", i, d.msg);
    }
    /* The smallest valid header, with POL1. */
    tu_hex("A019800102810103830A89000123456789012341840101A500A600", &h);
    rsp_buf_set(&b, h.data, h.len);
    append_pe(&b, pkg.n_pes - 1);
    rsp_saip_package p2;
    assert_int_equal(rsp_saip_parse(b.data, b.len, 0, &p2, NULL), RSP_OK);
    assert_true(p2.header.has_pol);
    assert_int_equal(p2.header.pol.len, 1);
    assert_false(p2.header.has_profile_type);
    assert_int_equal(p2.header.n_gfste, 0);
    rsp_saip_package_free(&p2);
    rsp_buf_free(&b);
    rsp_buf_free(&h);
}

/* Deterministic random damage: any outcome but a crash, a leak or a half-filled package. */
static void test_random_damage(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    uint32_t x = 12345;
    int failed = 0;
    for (int it = 0; it < 3000; it++) {
        rsp_buf_set(&b, pkg_bytes.data, pkg_bytes.len);
        for (int j = 0; j < 1 + it % 4; j++) {
            x = x * 1103515245u + 12345u;
            size_t pos = (x >> 8) % b.len;
            x = x * 1103515245u + 12345u;
            b.data[pos] = (uint8_t)(x >> 16);
        }
        rsp_saip_package p2;
        rsp_diag d;
        rsp_diag_clear(&d);
        if (rsp_saip_parse(b.data, b.len, 0, &p2, &d) == RSP_OK) {
            rsp_buf out = RSP_BUF_INIT;
            assert_int_equal(rsp_saip_encode(&p2, &out), RSP_OK);
            assert_memory_equal(out.data, b.data, b.len);
            rsp_buf_free(&out);
            rsp_saip_package_free(&p2);
        } else {
            assert_true(d.msg[0] != '\0');
            failed++;
        }
    }
    assert_true(failed > 100);
    rsp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated),     cmocka_unit_test(test_missing_end),
        cmocka_unit_test(test_after_end),     cmocka_unit_test(test_order),
        cmocka_unit_test(test_unknown_tag),   cmocka_unit_test(test_wrong_lengths),
        cmocka_unit_test(test_bad_pe_headers), cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_random_damage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
