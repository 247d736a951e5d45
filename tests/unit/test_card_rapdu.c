/* Remote APDU formats: the §F expanded-format-over-HTTP sample (indefinite AE/AF), definite AA/AB,
 * compact responses of §A1/§A3, the stop-on-error rule, malformed scripts; plus APDU helpers. */
#include <stdlib.h>
#include <string.h>

#include "rsp/apdu.h"
#include "rsp/rapdu.h"
#include "testutil.h"

typedef struct exec_ctx {
    const uint16_t *sws;
    size_t calls;
} exec_ctx;

static rsp_err exec_fn(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *r)
{
    exec_ctx *c = ctx;
    (void)capdu;
    (void)len;
    uint16_t sw = c->sws[c->calls++];
    if (sw == 0x9000 && c->calls == 1)
        rsp_buf_append(r, "\x93\x05", 2); /* the §F sample's response data */
    return rsp_buf_append_u16(r, sw);
}

static void test_f_http_sample(void **state)
{
    (void)state;
    /* "server body ae80 22 05 80caff2100 0000 ; card reply af80 80 01 01 23 04 9305 9000 0000" */
    const char *line = strstr(tu_vectors(), "server body ");
    assert_non_null(line);
    char body_hex[64] = "", reply_hex[64] = "";
    const char *rb = strstr(line, "card reply ");
    assert_non_null(rb);
    memcpy(body_hex, line + 12, (size_t)(strchr(line, ';') - line - 12));
    const char *re = strchr(rb, '\n');
    memcpy(reply_hex, rb + 11, (size_t)(re - rb - 11));
    rsp_buf body = RSP_BUF_INIT, reply = RSP_BUF_INIT, out = RSP_BUF_INIT, apdu = RSP_BUF_INIT;
    tu_hex(body_hex, &body);
    tu_hex(reply_hex, &reply);
    tu_hex("80caff2100", &apdu);
    /* Server builds the script; card parses and executes it; card's response matches; server parses. */
    rsp_bytes a = rsp_buf_view(&apdu);
    assert_int_equal(rsp_rapdu_script_build(RSP_RAPDU_EXPANDED_INDEF, &a, 1, &out), RSP_OK);
    assert_int_equal(out.len, body.len);
    assert_memory_equal(out.data, body.data, body.len);
    assert_int_equal(rsp_rapdu_detect(body.data, body.len), RSP_RAPDU_EXPANDED_INDEF);
    rsp_rapdu_script s;
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED_INDEF, body.data, body.len, &s, NULL), RSP_OK);
    assert_int_equal(s.n, 1);
    assert_memory_equal(s.cmds[0].p, apdu.data, apdu.len);
    uint16_t sws[] = {0x9000};
    exec_ctx c = {sws, 0};
    rsp_buf_reset(&out);
    assert_int_equal(rsp_rapdu_execute(&s, exec_fn, &c, &out), RSP_OK);
    assert_int_equal(out.len, reply.len);
    assert_memory_equal(out.data, reply.data, reply.len);
    rsp_rapdu_resp r;
    assert_int_equal(rsp_rapdu_resp_parse(RSP_RAPDU_EXPANDED_INDEF, reply.data, reply.len, &r, NULL), RSP_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.rsps[0].sw, 0x9000);
    tu_assert_hex(r.rsps[0].p, r.rsps[0].len, "9305");
    /* The definite forms carry the same content. */
    rsp_buf_reset(&out);
    assert_int_equal(rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, &a, 1, &out), RSP_OK);
    tu_assert_hex(out.data, out.len, "aa07220580caff2100");
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, out.data, out.len, &s, NULL), RSP_OK);
    c.calls = 0;
    rsp_buf_reset(&out);
    assert_int_equal(rsp_rapdu_execute(&s, exec_fn, &c, &out), RSP_OK);
    tu_assert_hex(out.data, out.len, "ab09800101230493059000");
    /* Definite tag with indefinite length and vice versa are refused. */
    assert_int_not_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, body.data, body.len, &s, NULL), RSP_OK);
    /* Every truncation of the samples is refused. */
    for (size_t n = 0; n < body.len; n++)
        assert_int_not_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED_INDEF, body.data, n, &s, NULL), RSP_OK);
    for (size_t n = 0; n < reply.len; n++)
        assert_int_not_equal(rsp_rapdu_resp_parse(RSP_RAPDU_EXPANDED_INDEF, reply.data, n, &r, NULL), RSP_OK);
    rsp_buf_free(&body);
    rsp_buf_free(&reply);
    rsp_buf_free(&out);
    rsp_buf_free(&apdu);
}

static void test_stop_on_error(void **state)
{
    (void)state;
    rsp_buf script = RSP_BUF_INIT, out = RSP_BUF_INIT;
    rsp_bytes a[4] = {rsp_bytes_of((const uint8_t *)"\x00\xA4\x00\x04\x02\x3F\x00", 7),
                      rsp_bytes_of((const uint8_t *)"\x00\xB0\x00\x00\x10", 5),
                      rsp_bytes_of((const uint8_t *)"\x00\xB0\x00\x10\x10", 5),
                      rsp_bytes_of((const uint8_t *)"\x00\xB0\x00\x20\x10", 5)};
    uint16_t sws[4] = {0x6132, 0x6283, 0x6A82, 0x9000};
    for (int f = 0; f < 3; f++) {
        rsp_buf_reset(&script);
        rsp_buf_reset(&out);
        assert_int_equal(rsp_rapdu_script_build((rsp_rapdu_format)f, a, 4, &script), RSP_OK);
        rsp_rapdu_script s;
        assert_int_equal(rsp_rapdu_script_parse((rsp_rapdu_format)f, script.data, script.len, &s, NULL), RSP_OK);
        assert_int_equal(s.n, 4);
        exec_ctx c = {sws, 0};
        assert_int_equal(rsp_rapdu_execute(&s, exec_fn, &c, &out), RSP_OK);
        assert_int_equal(c.calls, 3); /* 6A82 stops the script and is the last R-APDU */
        rsp_rapdu_resp r;
        assert_int_equal(rsp_rapdu_resp_parse((rsp_rapdu_format)f, out.data, out.len, &r, NULL), RSP_OK);
        assert_int_equal(r.count, 3);
        assert_int_equal(r.rsps[r.n - 1].sw, 0x6A82);
        assert_int_equal(r.n, f == RSP_RAPDU_COMPACT ? 1 : 3);
    }
    rsp_buf_free(&script);
    rsp_buf_free(&out);
}

static void test_compact_vectors(void **state)
{
    (void)state;
    rsp_buf resp = RSP_BUF_INIT, apdus = RSP_BUF_INIT;
    tu_vec_bytes("## A3.", "compact=", &resp);
    tu_vec_bytes("## A3.", "APDUs=", &apdus);
    rsp_rapdu_resp r;
    assert_int_equal(rsp_rapdu_resp_parse(RSP_RAPDU_COMPACT, resp.data, resp.len, &r, NULL), RSP_OK);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.rsps[0].sw, 0x9000);
    assert_int_equal(r.rsps[0].len, resp.len - 3);
    /* The two SIM APDUs (SELECT 7F20 case 3, GET RESPONSE case 2) split with T=0 rules. */
    rsp_rapdu_script s;
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_COMPACT, apdus.data, apdus.len, &s, NULL), RSP_OK);
    assert_int_equal(s.n, 2);
    tu_assert_hex(s.cmds[0].p, s.cmds[0].len, "a0a40000027f20");
    tu_assert_hex(s.cmds[1].p, s.cmds[1].len, "a0c0000016");
    /* Re-encode the response. */
    rsp_buf out = RSP_BUF_INIT, ra = RSP_BUF_INIT;
    rsp_apdu_resp_build(&ra, r.rsps[0].p, r.rsps[0].len, r.rsps[0].sw);
    rsp_bytes v = rsp_buf_view(&ra);
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_COMPACT, 2, &v, 1, &out), RSP_OK);
    assert_memory_equal(out.data, resp.data, resp.len);
    tu_vec_bytes("[AES128-SJA5-CIPHERED-CC]", "compact remote response =", &resp);
    assert_int_equal(rsp_rapdu_resp_parse(RSP_RAPDU_COMPACT, resp.data, resp.len, &r, NULL), RSP_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.rsps[0].sw, 0x6132);
    assert_int_equal(rsp_rapdu_resp_parse(RSP_RAPDU_COMPACT, resp.data, 2, &r, NULL), RSP_ERR_TRUNCATED);
    static const uint8_t trunc[] = {0xA0, 0xA4, 0x00, 0x00, 0x02, 0x7F};
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_COMPACT, trunc, sizeof(trunc), &s, &d), RSP_ERR_TRUNCATED);
    static const uint8_t badtag[] = {0xAA, 0x03, 0x24, 0x01, 0x00};
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, badtag, sizeof(badtag), &s, NULL), RSP_ERR_TAG);
    static const uint8_t badapdu[] = {0xAA, 0x05, 0x22, 0x03, 0x00, 0xA4, 0x00};
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, badapdu, sizeof(badapdu), &s, NULL), RSP_ERR_FORMAT);
    static const uint8_t badfmt[] = {0xAB, 0x03, 0x90, 0x01, 0x01};
    assert_int_equal(rsp_rapdu_resp_parse(RSP_RAPDU_EXPANDED, badfmt, sizeof(badfmt), &r, NULL), RSP_OK);
    assert_true(r.bad_format);
    rsp_buf_free(&resp);
    rsp_buf_free(&apdus);
    rsp_buf_free(&out);
    rsp_buf_free(&ra);
}

static void test_apdu(void **state)
{
    (void)state;
    rsp_apdu a;
    rsp_buf b = RSP_BUF_INIT;
    static const char *cases[] = {"80f22002", "80ca006600", "80f220020a4f0212345c054f9f70c5", "80f28002024f0000"};
    for (int i = 0; i < 4; i++) {
        tu_hex(cases[i], &b);
        assert_int_equal(rsp_apdu_parse(b.data, b.len, &a, NULL), RSP_OK);
        assert_int_equal(a.apdu_case, i + 1);
        rsp_buf o = RSP_BUF_INIT;
        assert_int_equal(rsp_apdu_encode(&o, &a), RSP_OK);
        tu_assert_hex(o.data, o.len, cases[i]);
        rsp_buf_free(&o);
    }
    assert_int_equal(a.le, 256);
    assert_int_equal(rsp_apdu_parse(b.data, 3, &a, NULL), RSP_ERR_TRUNCATED);
    tu_hex("80f220020a4f02", &b);
    assert_int_equal(rsp_apdu_parse(b.data, b.len, &a, NULL), RSP_ERR_TRUNCATED);
    tu_hex("80f2200201aa0000", &b);
    assert_int_equal(rsp_apdu_parse(b.data, b.len, &a, NULL), RSP_ERR_LENGTH);
    rsp_bytes data;
    uint16_t sw;
    tu_hex("bf3e9000", &b);
    assert_int_equal(rsp_apdu_resp_split(b.data, b.len, &data, &sw, NULL), RSP_OK);
    assert_int_equal(sw, 0x9000);
    assert_int_equal(data.len, 2);
    assert_int_equal(rsp_apdu_resp_split(b.data, 1, &data, &sw, NULL), RSP_ERR_TRUNCATED);
    assert_true(rsp_apdu_sw_continues(0x6310) && !rsp_apdu_sw_continues(0x6400) && !rsp_apdu_sw_continues(0x9F10));
    rsp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f_http_sample),
        cmocka_unit_test(test_stop_on_error),
        cmocka_unit_test(test_compact_vectors),
        cmocka_unit_test(test_apdu),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
