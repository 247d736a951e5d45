/* The HTTP server over plain TCP, driven by raw sockets: chunked request bodies end to end, the
 * connection cap, malformed chunk framing answered 400, a graceful drain that lets a deferred
 * answer go out, and on_close: a peer's close of a connection with a deferred request is told at
 * once (not at server free, not for a connection that sent nothing). Loops are bounded in time. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "testutil.h"

#include "rsp/http.h"

typedef struct fx {
    struct event_base *base;
    rsp_http_server *srv;
    int requests;
    rsp_http_req *deferred;
    char last_body[256];
    size_t last_len;
    uint64_t closed[8];
    int nclosed;
} fx;

static void on_close(void *arg, uint64_t id)
{
    fx *f = arg;
    if (f->nclosed < 8)
        f->closed[f->nclosed] = id;
    f->nclosed++;
}

static void handler(void *arg, rsp_http_req *req)
{
    fx *f = arg;
    f->requests++;
    size_t len;
    const uint8_t *body = rsp_http_req_body(req, &len);
    f->last_len = len;
    memcpy(f->last_body, body, len < sizeof(f->last_body) ? len : sizeof(f->last_body));
    if (!strcmp(rsp_http_req_target(req), "/defer")) {
        f->deferred = req;
        return;
    }
    rsp_http_respond(req, 200, NULL, body, len);
}

static void flag_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

static void spin(fx *f, double secs)
{
    int done = 0;
    struct event *t = evtimer_new(f->base, flag_cb, &done);
    struct timeval tv = {(time_t)secs, (suseconds_t)((secs - (double)(time_t)secs) * 1e6)};
    evtimer_add(t, &tv);
    while (!done)
        event_base_loop(f->base, EVLOOP_ONCE);
    event_free(t);
}

static int dial(fx *f)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(rsp_http_server_port(f->srv));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    fcntl(s, F_SETFL, O_NONBLOCK);
    return s;
}

/* Reads what the server sent within secs while running the loop; returns bytes, and *eof. */
static size_t slurp(fx *f, int s, char *out, size_t cap, double secs, int *eof)
{
    size_t n = 0;
    *eof = 0;
    for (int i = 0; i < (int)(secs * 100) && !*eof; i++) {
        spin(f, 0.01);
        for (;;) {
            ssize_t r = read(s, out + n, cap - 1 - n);
            if (r > 0) {
                n += (size_t)r;
                continue;
            }
            if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                *eof = 1;
            break;
        }
        if (n && strstr(out, "\r\n\r\n") && !*eof && i > 20)
            break;
    }
    out[n] = 0;
    return n;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->base = event_base_new();
    rsp_http_server_opts o = {0};
    o.host = "127.0.0.1";
    o.handler = handler;
    o.on_close = on_close;
    o.arg = f;
    o.limits.max_body_bytes = 1000;
    o.limits.max_header_bytes = 512;
    o.max_connections = 2;
    o.log_name = "testd";
    assert_int_equal(rsp_http_server_new(f->base, &o, &f->srv), RSP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    rsp_http_server_free(f->srv);
    event_base_free(f->base);
    free(f);
    return 0;
}

static void test_chunked_post(void **state)
{
    fx *f = *state;
    int s = dial(f);
    const char *req = "POST /es2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n";
    /* in two writes split inside a chunk, so the server sees a partial body first */
    assert_int_equal(write(s, req, 70), 70);
    spin(f, 0.05);
    assert_int_equal(f->requests, 0);
    assert_int_equal(write(s, req + 70, strlen(req) - 70), (ssize_t)(strlen(req) - 70));
    char buf[1024];
    int eof;
    slurp(f, s, buf, sizeof(buf), 1, &eof);
    assert_int_equal(f->requests, 1);
    /* RFC 9112 / Wikipedia's example: "Wiki" "pedia" " in\r\n\r\nchunks." */
    assert_int_equal(f->last_len, 23);
    assert_memory_equal(f->last_body, "Wikipedia in\r\n\r\nchunks.", 23);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\nContent-Length: 23\r\n"));
    assert_false(eof);
    /* a bad chunk size on the same connection: 400 and closed */
    const char *bad = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfoo\r\n";
    assert_int_equal(write(s, bad, strlen(bad)), (ssize_t)strlen(bad));
    slurp(f, s, buf, sizeof(buf), 2, &eof);
    assert_non_null(strstr(buf, "HTTP/1.1 400 Bad Request"));
    assert_true(eof);
    close(s);
    rsp_http_server_stats st;
    rsp_http_server_stats_get(f->srv, &st);
    assert_int_equal(st.requests, 1);
    assert_int_equal(st.refused_req, 1);
}

static void test_connection_cap(void **state)
{
    fx *f = *state;
    int a = dial(f), b = dial(f);
    spin(f, 0.05);
    int c = dial(f); /* third: over max_connections = 2 */
    char buf[256];
    int eof;
    slurp(f, c, buf, sizeof(buf), 1, &eof);
    assert_true(eof);
    rsp_http_server_stats st;
    rsp_http_server_stats_get(f->srv, &st);
    assert_int_equal(st.open, 2);
    assert_int_equal(st.refused_cap, 1);
    close(c);
    /* the two within the cap still work */
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(a, req, strlen(req)), (ssize_t)strlen(req));
    slurp(f, a, buf, sizeof(buf), 0.3, &eof);
    assert_non_null(strstr(buf, "200 OK"));
    /* one closes: a new one fits again */
    close(b);
    spin(f, 0.05);
    int d = dial(f);
    assert_int_equal(write(d, req, strlen(req)), (ssize_t)strlen(req));
    slurp(f, d, buf, sizeof(buf), 0.3, &eof);
    assert_non_null(strstr(buf, "200 OK"));
    rsp_http_server_stats_get(f->srv, &st);
    assert_int_equal(st.refused_cap, 1);
    assert_int_equal(st.accepted, 3);
    close(a);
    close(d);
}

/* Drain: idle connections close at once, no new connection is accepted, a deferred answer still
 * goes out (with Connection: close). */
static void test_drain_deferred(void **state)
{
    fx *f = *state;
    int idle = dial(f), busy = dial(f);
    const char *req = "POST /defer HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    assert_int_equal(write(busy, req, strlen(req)), (ssize_t)strlen(req));
    spin(f, 0.05);
    assert_non_null(f->deferred);
    rsp_http_server_drain(f->srv);
    char buf[512];
    int eof;
    slurp(f, idle, buf, sizeof(buf), 1, &eof);
    assert_true(eof);
    /* refused now: connect fails or the socket is closed without an answer */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(rsp_http_server_port(f->srv));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_not_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    close(s);
    assert_int_equal(rsp_http_respond(f->deferred, 200, NULL, (const uint8_t *)"late", 4), RSP_OK);
    f->deferred = NULL;
    slurp(f, busy, buf, sizeof(buf), 2, &eof);
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(buf, "Connection: close"));
    assert_non_null(strstr(buf, "late"));
    assert_true(eof);
    rsp_http_server_stats st;
    rsp_http_server_stats_get(f->srv, &st);
    assert_int_equal(st.pending, 0);
    assert_true(st.open <= 1); /* at most the answered one, in its lingering close */
    close(idle);
    close(busy);
}

/* A client that goes away while its request is deferred (a card killed in an admin session): the
 * handler is told with that request's connection id at once, and a late answer is dropped. */
static void test_peer_close(void **state)
{
    fx *f = *state;
    int a = dial(f), b = dial(f);
    const char *req = "POST /defer HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    assert_int_equal(write(a, req, strlen(req)), (ssize_t)strlen(req));
    const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(write(b, get, strlen(get)), (ssize_t)strlen(get));
    char buf[512];
    int eof;
    slurp(f, b, buf, sizeof(buf), 0.3, &eof);
    assert_non_null(strstr(buf, "200 OK"));
    assert_non_null(f->deferred);
    uint64_t id = rsp_http_req_conn(f->deferred);
    assert_true(id != 0);
    assert_int_equal(f->nclosed, 0);
    close(a);
    for (int i = 0; i < 200 && f->nclosed == 0; i++)
        spin(f, 0.01);
    assert_int_equal(f->nclosed, 1);
    assert_true(f->closed[0] == id);
    /* the handler still owns the request: its answer is dropped, the request released */
    assert_int_equal(rsp_http_respond(f->deferred, 200, NULL, NULL, 0), RSP_ERR_STATE);
    f->deferred = NULL;
    rsp_http_server_stats st;
    rsp_http_server_stats_get(f->srv, &st);
    assert_int_equal(st.pending, 0);
    /* a connection that never sent a request is not told of */
    int c = dial(f);
    spin(f, 0.05);
    close(c);
    spin(f, 0.2);
    assert_int_equal(f->nclosed, 1);
    /* nor are the connections the server itself closes when it is freed */
    rsp_http_server_free(f->srv);
    f->srv = NULL;
    assert_int_equal(f->nclosed, 1);
    close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chunked_post, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connection_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_drain_deferred, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peer_close, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
