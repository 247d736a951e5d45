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
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", 400},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 501}, /* bad chunked */
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2000\r\n\r\n", 413},
    };
    rsp_http_limits lim = {512, 1000};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rsp_http_parsed r;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_http_parse_request((const uint8_t *)cases[i].req, strlen(cases[i].req), &lim, &r, &d);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_pipelined_and_incremental),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_header_too_long),
        cmocka_unit_test(test_response_parser),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
