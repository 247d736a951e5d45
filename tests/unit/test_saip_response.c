/* EUICCResponse encode/decode: exact DER for hand-computed cases, round trips, malformed input. */
#include <stdlib.h>
#include <string.h>

#include "rsp/saip.h"
#include "testutil.h"

static bool same(const rsp_saip_pe_status *a, const rsp_saip_pe_status *b)
{
    return a->status == b->status && a->has_identification == b->has_identification &&
           (!a->has_identification || a->identification == b->identification) &&
           a->has_additional_information == b->has_additional_information &&
           (!a->has_additional_information || a->additional_information == b->additional_information) &&
           a->has_offset == b->has_offset && (!a->has_offset || a->offset == b->offset);
}

static void test_encode_exact(void **state)
{
    (void)state;
    rsp_buf out = RSP_BUF_INIT;
    rsp_saip_pe_status ok = {RSP_SAIP_ST_OK, true, 1, false, 0, false, 0};
    rsp_saip_euicc_response r = {&ok, 1, false, false, ""};
    assert_int_equal(rsp_saip_euicc_response_encode(&r, &out), RSP_OK);
    /* 30 { A0 { 30 { 80 00, 81 01 } } } */
    tu_assert_hex(out.data, out.len, "300aa00830068001008101 01");

    /* Status 0x9000 ('9000'H as ISO range value 36864) needs a leading 00; offset 128 too. */
    rsp_buf_reset(&out);
    rsp_saip_pe_status st[2] = {{36864, true, 300, true, 3, true, 128}, {RSP_SAIP_ST_BAD_VALUES, false, 0, false, 0, false, 0}};
    rsp_saip_euicc_response r2 = {st, 2, true, true, "failed"};
    assert_int_equal(rsp_saip_euicc_response_encode(&r2, &out), RSP_OK);
    tu_assert_hex(out.data, out.len,
                  "3023 a017 3010 8003009000 8102012c 820103 83020080 3003 800103"
                  " 8100 8206 6661696c6564");

    rsp_saip_euicc_response back;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_saip_euicc_response_decode(out.data, out.len, &back, &d), RSP_OK);
    assert_int_equal(back.n_pe_status, 2);
    assert_true(same(&back.pe_status[0], &st[0]));
    assert_int_equal(back.pe_status[1].status, 3);
    assert_false(back.pe_status[1].has_identification);
    assert_true(back.installation_aborted);
    assert_true(back.has_status_message);
    assert_string_equal(back.status_message, "failed");
    assert_string_equal(rsp_saip_status_name(back.pe_status[1].status), "bad-values");
    rsp_saip_euicc_response_free(&back);

    /* Empty peStatus is a valid SEQUENCE OF. */
    rsp_buf_reset(&out);
    rsp_saip_euicc_response r3 = {NULL, 0, false, false, ""};
    assert_int_equal(rsp_saip_euicc_response_encode(&r3, &out), RSP_OK);
    tu_assert_hex(out.data, out.len, "3002a000");
    assert_int_equal(rsp_saip_euicc_response_decode(out.data, out.len, &back, NULL), RSP_OK);
    assert_int_equal(back.n_pe_status, 0);
    rsp_saip_euicc_response_free(&back);

    /* Out-of-range values are refused and leave out unchanged. */
    rsp_buf_reset(&out);
    rsp_saip_pe_status badid = {0, true, 0x8000, false, 0, false, 0};
    rsp_saip_euicc_response r4 = {&badid, 1, false, false, ""};
    assert_int_equal(rsp_saip_euicc_response_encode(&r4, &out), RSP_ERR_RANGE);
    assert_int_equal(out.len, 0);
    rsp_saip_euicc_response r5 = {NULL, 0, false, true, "x"};
    assert_int_equal(rsp_saip_euicc_response_encode(&r5, &out), RSP_ERR_RANGE);
    rsp_buf_free(&out);
}

static void test_round_trip_many(void **state)
{
    (void)state;
    enum { N = 40 };
    rsp_saip_pe_status st[N];
    for (int i = 0; i < N; i++) {
        rsp_saip_pe_status s = {(uint32_t)(i * 1700), i % 2 == 0, (uint16_t)(i * 800), i % 3 == 0,
                                (uint8_t)(i * 7), i % 5 == 0, (uint32_t)i * 50000000u};
        st[i] = s;
    }
    rsp_saip_euicc_response r = {st, N, false, true, "installation of element 12 failed: bad-values"};
    rsp_buf out = RSP_BUF_INIT;
    assert_int_equal(rsp_saip_euicc_response_encode(&r, &out), RSP_OK);
    rsp_saip_euicc_response back;
    assert_int_equal(rsp_saip_euicc_response_decode(out.data, out.len, &back, NULL), RSP_OK);
    assert_int_equal(back.n_pe_status, N);
    for (int i = 0; i < N; i++)
        assert_true(same(&back.pe_status[i], &st[i]));
    assert_string_equal(back.status_message, r.status_message);
    rsp_saip_euicc_response_free(&back);
    /* Every truncation fails cleanly. */
    for (size_t l = 0; l < out.len; l++) {
        rsp_diag d;
        rsp_diag_clear(&d);
        assert_int_not_equal(rsp_saip_euicc_response_decode(out.data, l, &back, &d), RSP_OK);
        assert_true(d.msg[0] != '\0');
        assert_null(back.pe_status);
    }
    rsp_buf_free(&out);
}

static void test_decode_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        rsp_err err;
        const char *msg;
    } cases[] = {
        {"", RSP_ERR_TRUNCATED, "empty"},
        {"3100", RSP_ERR_TAG, "SEQUENCE"},
        {"3000", RSP_ERR_TAG, "peStatus"},
        {"3002a100", RSP_ERR_TAG, "peStatus"},
        {"3002a00000", RSP_ERR_LENGTH, "trailing"},
        {"3004a0023000", RSP_ERR_TAG, "no status"},
        {"3007a00530038101 01", RSP_ERR_TAG, "start with status"},
        {"3007a005300380 01ff", RSP_ERR_RANGE, "integer"},
        {"3008a0063004800200 01", RSP_ERR_FORMAT, "integer"},
        {"300aa008300680010081018 0", RSP_ERR_RANGE, "integer"},
        {"300aa0083006800100800100", RSP_ERR_FORMAT, "out of order"},
        {"3004a0020400", RSP_ERR_TAG, "not a SEQUENCE"},
        {"3005a00081010 0", RSP_ERR_LENGTH, "profileInstallationAborted"},
        {"3005a000820161", RSP_ERR_LENGTH, "statusMessage"},
        {"3008a0008202616181 00", RSP_ERR_FORMAT, "out of order"},
        {"3006a000a0038000", RSP_ERR_TRUNCATED, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rsp_buf in = RSP_BUF_INIT;
        if (cases[i].hex[0])
            tu_hex(cases[i].hex, &in);
        rsp_saip_euicc_response r;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_saip_euicc_response_decode(in.data ? in.data : (const uint8_t *)"", in.len, &r, &d);
        if (e != cases[i].err || !strstr(d.msg, cases[i].msg))
            fail_msg("case %zu (%s): got %s '%s'", i, cases[i].hex, rsp_err_name(e), d.msg);
        assert_null(r.pe_status);
        rsp_buf_free(&in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_exact),
        cmocka_unit_test(test_round_trip_many),
        cmocka_unit_test(test_decode_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
