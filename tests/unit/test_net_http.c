/* The pure HTTP/1.1 request parser: good, pipelined and malformed requests. */
#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "net/http_int.h"
#include "rsp/http.h"

static rsp_err parse(const char *s, const rsp_http_limits *lim, rsp_http_parsed *r)
{
    return rsp_http_parse_request((const uint8_t *)s, strlen(s), lim, r, NULL);
}

static void test_good(void **state)
{
    (void)state;
    rsp_http_parsed r;
    const char *req = "POST /gsma/ES3?x=1 HTTP/1.1\r\nHost: smsr\r\nContent-Type:  text/xml \r\n"
                      "Content-Length: 5\r\n\r\nhello";
    assert_int_equal(parse(req, NULL, &r), RSP_OK);
    assert_true(rsp_http_ieq(r.method, r.method_len, "POST"));
    assert_int_equal(r.target_len, strlen("/gsma/ES3?x=1"));
    assert_memory_equal(r.target, "/gsma/ES3?x=1", r.target_len);
    assert_int_equal(r.nheaders, 3);
    const rsp_http_header *h = rsp_http_parsed_header(&r, "content-type");
    assert_non_null(h);
    assert_int_equal(h->value_len, 8);
    assert_memory_equal(h->value, "text/xml", 8);
    assert_int_equal(r.body_len, 5);
    assert_memory_equal(r.body, "hello", 5);
    assert_int_equal(r.consumed, strlen(req));
    assert_true(r.keep_alive);

    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n", NULL, &r), RSP_OK);
    assert_false(r.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", NULL, &r), RSP_OK);
    assert_false(r.keep_alive);
}

static void test_pipelined_and_incremental(void **state)
{
    (void)state;
    const char *two = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nde";
    size_t len = strlen(two), off = 0;
    rsp_http_parsed r;
    assert_int_equal(rsp_http_parse_request((const uint8_t *)two, len, NULL, &r, NULL), RSP_OK);
    assert_memory_equal(r.body, "abc", 3);
    off = r.consumed;
    assert_int_equal(rsp_http_parse_request((const uint8_t *)two + off, len - off, NULL, &r, NULL), RSP_OK);
    assert_memory_equal(r.target, "/b", 2);
    assert_int_equal(off + r.consumed, len);
    /* Every strict prefix of a good request asks for more. */
    const char *one = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    for (size_t i = 0; i < strlen(one); i++)
        assert_int_equal(rsp_http_parse_request((const uint8_t *)one, i, NULL, &r, NULL), RSP_ERR_TRUNCATED);
}

typedef struct bad_case {
    const char *req;
    int status;
} bad_case;

static void test_malformed(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"POST  /a HTTP/1.1\r\nHost: h\r\n\r\n", 400},                 /* double space */
        {"POST a HTTP/1.1\r\nHost: h\r\n\r\n", 400},                   /* not origin-form */
        {"GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
        {"GET / HTTP/1.1\nHost: h\r\n\r\n", 400},                      /* bare LF */
        {"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHo st: h\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nX: a\x01\r\nHost: h\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n\r\n", 400},                               /* no Host */
        {"POST / HTTP/1.1\r\nHost: h\r\n\r\nbody", 411},               /* body without length */
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", 400},
        /* malformed chunk framing */
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\x01\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", 413},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", 413}, /* 1001 > 1000 */
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n", 413}, /* 2 x 512 > 1000 */
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n", 413},
    };
    rsp_http_limits lim = {512, 1000};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rsp_http_parsed r;
        rsp_diag d;
        rsp_diag_clear(&d);
        char buf[2048];
        size_t len = strlen(cases[i].req);
        memcpy(buf, cases[i].req, len);
        if (cases[i].status == 413 && strstr(cases[i].req, "\r\n200\r\n")) {
            /* two full chunks of 512 (the second over the decoded limit) */
            memset(buf + len, 'a', 512);
            memcpy(buf + len + 512, "\r\n200\r\n", 7);
            memset(buf + len + 519, 'b', 512);
            len += 1031;
        }
        rsp_err e = rsp_http_parse_request((const uint8_t *)buf, len, &lim, &r, &d);
        if (e == RSP_OK || e == RSP_ERR_TRUNCATED || r.status_hint != cases[i].status)
            print_error("case %zu: err=%s status=%d msg=%s\n", i, rsp_err_name(e), r.status_hint, d.msg);
        assert_true(e != RSP_OK && e != RSP_ERR_TRUNCATED);
        assert_int_equal(r.status_hint, cases[i].status);
        assert_true(d.msg[0] != 0);
    }
}

static void test_header_too_long(void **state)
{
    (void)state;
    rsp_http_limits lim = {256, 1000};
    char big[1024];
    int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: h\r\nX-Long: ");
    memset(big + n, 'a', sizeof(big) - (size_t)n - 1);
    big[sizeof(big) - 1] = 0;
    rsp_http_parsed r;
    assert_int_equal(parse(big, &lim, &r), RSP_ERR_RANGE);
    assert_int_equal(r.status_hint, 431);
    /* Long request line, no CRLF yet. */
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "GET /", 5);
    assert_int_equal(parse(big, &lim, &r), RSP_ERR_RANGE);
    assert_int_equal(r.status_hint, 431);
    /* Too many headers. */
    char many[4096] = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < RSP_HTTP_MAX_HEADERS + 1; i++)
        strcat(many, "A: b\r\n");
    strcat(many, "\r\n");
    assert_int_equal(parse(many, NULL, &r), RSP_ERR_RANGE);
    assert_int_equal(r.status_hint, 431);
}

static void test_response_parser(void **state)
{
    (void)state;
    const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Admin-Next-URI: /next\r\n\r\nhi";
    rsp_http_response r;
    size_t used;
    int ka;
    assert_int_equal(rsp_http_parse_response((const uint8_t *)s, strlen(s), 1 << 20, &r, &used, &ka, NULL), RSP_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(used, strlen(s));
    assert_true(ka);
    assert_non_null(rsp_http_response_header(&r, "x-admin-next-uri"));
    assert_int_equal(rsp_http_parse_response((const uint8_t *)s, 20, 1 << 20, &r, &used, &ka, NULL), RSP_ERR_TRUNCATED);
    const char *bad = "HTTP/1.1 2x0 OK\r\n\r\n";
    assert_int_not_equal(rsp_http_parse_response((const uint8_t *)bad, strlen(bad), 1 << 20, &r, &used, &ka, NULL),
                         RSP_OK);
}

static void test_chunked(void **state)
{
    (void)state;
    /* RFC 9112 7.1 framing: sizes in hex (any case), an extension, a trailer field (ignored). */
    const char *req = "POST /es2 HTTP/1.1\r\nHost: smdp\r\nTransfer-Encoding: Chunked\r\n\r\n"
                      "5;name=val\r\nhello\r\nA\r\n, world!!!\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                      "0\r\nX-Checksum: 1\r\n\r\n"
                      "GET /next HTTP/1.1\r\nHost: smdp\r\n\r\n";
    size_t len = strlen(req);
    rsp_http_parsed r;
    assert_int_equal(rsp_http_parse_request((const uint8_t *)req, len, NULL, &r, NULL), RSP_OK);
    assert_true(r.chunked);
    assert_null(r.body);
    assert_int_equal(r.body_len, 5 + 10 + 26);
    const char *nxt = strstr(req, "GET /next");
    assert_int_equal(r.consumed, (size_t)(nxt - req));
    uint8_t out[64];
    assert_int_equal(rsp_http_dechunk(r.body_raw, r.body_raw_len, out), r.body_len);
    assert_memory_equal(out, "hello, world!!!abcdefghijklmnopqrstuvwxyz", r.body_len);
    /* in place, as the server decodes */
    uint8_t copy[256];
    memcpy(copy, r.body_raw, r.body_raw_len);
    assert_int_equal(rsp_http_dechunk(copy, r.body_raw_len, copy), r.body_len);
    assert_memory_equal(copy, "hello, world!!!abcdefghijklmnopqrstuvwxyz", r.body_len);
    /* the next pipelined request follows */
    assert_int_equal(parse(nxt, NULL, &r), RSP_OK);
    assert_memory_equal(r.target, "/next", 5);
    /* Every strict prefix of the chunked request asks for more, with a lower bound beyond what is
     * there once the headers are complete. */
    size_t whole = (size_t)(nxt - req), hdr = (size_t)(strstr(req, "\r\n\r\n") - req) + 4;
    for (size_t i = 0; i < whole; i++) {
        rsp_err e = rsp_http_parse_request((const uint8_t *)req, i, NULL, &r, NULL);
        assert_int_equal(e, RSP_ERR_TRUNCATED);
        if (i >= hdr) {
            assert_true(r.consumed > i);
            assert_true(r.consumed <= whole);
        }
    }
    /* An empty chunked body. */
    assert_int_equal(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", NULL, &r),
                     RSP_OK);
    assert_int_equal(r.body_len, 0);
    /* Many small chunks: the framing counts against max_header_bytes + max_body_bytes. */
    char many[8192];
    int n = snprintf(many, sizeof(many), "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
    while (n < 7000)
        n += snprintf(many + n, sizeof(many) - (size_t)n, "1\r\nx\r\n");
    n += snprintf(many + n, sizeof(many) - (size_t)n, "0\r\n\r\n");
    rsp_http_limits lim = {512, 1200};
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_http_parse_request((const uint8_t *)many, (size_t)n, &lim, &r, &d), RSP_ERR_RANGE);
    assert_int_equal(r.status_hint, 413);
    lim.max_body_bytes = 8192;
    assert_int_equal(rsp_http_parse_request((const uint8_t *)many, (size_t)n, &lim, &r, NULL), RSP_OK);
    assert_int_equal(r.body_len, (r.body_raw_len - 5) / 6);
}

static void test_log_escape(void **state)
{
    (void)state;
    char out[32];
    assert_string_equal(rsp_http_log_escape("a\"b\\c\r\nd\x7f\xc3\xa9", 12, out, sizeof(out)),
                        "a\\\"b\\\\c\\x0D\\x0Ad\\x7F\\xC3\\xA9");
    /* stops at len and at NUL */
    assert_string_equal(rsp_http_log_escape("abcdef", 3, out, sizeof(out)), "abc");
    assert_string_equal(rsp_http_log_escape("ab\0cd", 5, out, sizeof(out)), "ab");
    /* capped: what fits beside "..." and never half an escape */
    char small[10];
    assert_string_equal(rsp_http_log_escape("abcdefghijkl", 12, small, sizeof(small)), "abcdef...");
    assert_string_equal(rsp_http_log_escape("abcdefghi", 9, small, sizeof(small)), "abcdefghi");
    assert_string_equal(rsp_http_log_escape("abcd\x01xyzw", 9, small, sizeof(small)), "abcd...");
    assert_string_equal(rsp_http_log_escape(NULL, 0, small, sizeof(small)), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_pipelined_and_incremental),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_header_too_long),
        cmocka_unit_test(test_response_parser),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_log_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
