/* HTTP server and client over mutual TLS, PSK-TLS and plain TCP, on one loop in-process, with a
 * throwaway PKI generated per run. Every loop is bounded in time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "testutil.h"

#include "rsp/http.h"
#include "rsp/log.h"
#include "rsp/tls.h"

typedef struct fx {
    char dir[64];
    char ca1[96], ca1k[96], ca2[96], ca2k[96], srv[96], srvk[96], cli[96], clik[96], bad[96], badk[96];
    struct event_base *base;
    /* what the handler saw */
    int requests;
    rsp_net_peer last_peer;
    rsp_http_req *deferred;
    struct event *defer_ev;
} fx;

typedef struct result {
    int done;
    rsp_err err;
    int status;
    char body[256];
} result;

static void on_resp(void *arg, rsp_err err, const rsp_http_response *resp)
{
    result *r = arg;
    if (getenv("TDEBUG"))
        print_error("on_resp err=%d resp=%p\n", err, (const void *)resp);
    r->done = 1;
    r->err = err;
    if (resp) {
        r->status = resp->status;
        size_t n = resp->body_len < sizeof(r->body) - 1 ? resp->body_len : sizeof(r->body) - 1;
        memcpy(r->body, resp->body, n);
        r->body[n] = 0;
    }
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

/* Runs the loop until *done reaches want or 10 s pass. */
static void run_until(struct event_base *base, int *done, int want)
{
    int timed_out = 0;
    struct event *t = evtimer_new(base, on_timeout, &timed_out);
    struct timeval tv = {10, 0};
    evtimer_add(t, &tv);
    for (long i = 0; i < 100000000L && *done < want && !timed_out; i++)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    assert_false(timed_out);
}

static void defer_fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fx *f = arg;
    assert_int_equal(rsp_http_respond(f->deferred, 200, "X-Late: yes\r\n", (const uint8_t *)"late", 4), RSP_OK);
    f->deferred = NULL;
}

static void handler(void *arg, rsp_http_req *req)
{
    fx *f = arg;
    f->requests++;
    f->last_peer = *rsp_http_req_peer(req);
    if (!strcmp(rsp_http_req_target(req), "/defer")) {
        f->deferred = req;
        struct timeval tv = {0, 50000};
        evtimer_add(f->defer_ev, &tv);
        return;
    }
    size_t len;
    const uint8_t *body = rsp_http_req_body(req, &len);
    rsp_http_respond(req, 200, "Content-Type: application/octet-stream\r\n", body, len);
}

static void path(fx *f, char *out, const char *name)
{
    snprintf(out, 96, "%s/%s", f->dir, name);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/rsp-net-tls-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    path(f, f->ca1, "ca1.pem"), path(f, f->ca1k, "ca1.key"), path(f, f->ca2, "ca2.pem"), path(f, f->ca2k, "ca2.key");
    path(f, f->srv, "srv.pem"), path(f, f->srvk, "srv.key"), path(f, f->cli, "cli.pem"), path(f, f->clik, "cli.key");
    path(f, f->bad, "bad.pem"), path(f, f->badk, "bad.key");
    assert_int_equal(rsp_tls_gen_ca("Test CI", f->ca1, f->ca1k), RSP_OK);
    assert_int_equal(rsp_tls_gen_ca("Other CI", f->ca2, f->ca2k), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca1, f->ca1k, "smsr.test", 1, f->srv, f->srvk), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca1, f->ca1k, "smdp1", 0, f->cli, f->clik), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca2, f->ca2k, "intruder", 0, f->bad, f->badk), RSP_OK);
    f->base = event_base_new();
    f->defer_ev = evtimer_new(f->base, defer_fire, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    const char *names[] = {f->ca1, f->ca1k, f->ca2, f->ca2k, f->srv, f->srvk, f->cli, f->clik, f->bad, f->badk};
    for (size_t i = 0; i < 10; i++)
        unlink(names[i]);
    rmdir(f->dir);
    event_free(f->defer_ev);
    event_base_free(f->base);
    free(f);
    return 0;
}

static rsp_http_server *start_server(fx *f, rsp_tls_ctx *tls)
{
    rsp_http_server_opts o = {0};
    o.host = "127.0.0.1";
    o.tls = tls;
    o.handler = handler;
    o.arg = f;
    o.limits.max_body_bytes = 64 * 1024;
    o.read_timeout_ms = 3000;
    rsp_http_server *s;
    assert_int_equal(rsp_http_server_new(f->base, &o, &s), RSP_OK);
    assert_true(rsp_http_server_port(s) > 0);
    return s;
}

static rsp_http_client *start_client(fx *f, rsp_http_server *s, rsp_tls_ctx *tls)
{
    rsp_http_client_opts o = {0};
    o.host = "127.0.0.1";
    o.port = rsp_http_server_port(s);
    o.tls = tls;
    o.timeout_ms = 3000;
    rsp_http_client *c;
    assert_int_equal(rsp_http_client_new(f->base, &o, &c), RSP_OK);
    return c;
}

static void test_mtls_good_keepalive(void **state)
{
    fx *f = *state;
    const char *cas[] = {f->ca2, f->ca1}; /* a trust store of two CAs */
    rsp_tls_ctx *stls, *ctls;
    assert_int_equal(rsp_tls_server_mtls_new(f->srv, f->srvk, cas, 2, &stls), RSP_OK);
    assert_int_equal(rsp_tls_client_mtls_new(f->cli, f->clik, (const char *const[]){f->ca1}, 1, &ctls), RSP_OK);
    rsp_http_server *s = start_server(f, stls);
    rsp_http_client *c = start_client(f, s, ctls);
    enum { N = 8 };
    result r[N];
    memset(r, 0, sizeof(r));
    uint8_t body[1024];
    memset(body, 'x', sizeof(body));
    int done = 0;
    for (int i = 0; i < N; i++) {
        body[0] = (uint8_t)('0' + i);
        assert_int_equal(rsp_http_client_post(c, "/gsma/ES3", "Content-Type: text/xml\r\n", body, sizeof(body),
                                              on_resp, &r[i]), RSP_OK);
    }
    for (int i = 0; i < N; i++) {
        run_until(f->base, &r[i].done, 1);
        assert_int_equal(r[i].err, RSP_OK);
        assert_int_equal(r[i].status, 200);
        assert_int_equal(r[i].body[0], '0' + i);
        done++;
    }
    assert_int_equal(done, N);
    assert_int_equal(rsp_http_client_connects(c), 1);
    assert_int_equal(f->last_peer.kind, RSP_NET_PEER_CERT);
    assert_string_equal(f->last_peer.cn, "smdp1");
    assert_non_null(strstr(f->last_peer.subject, "CN=smdp1"));
    assert_int_equal(rsp_http_client_peer(c)->kind, RSP_NET_PEER_CERT);
    assert_string_equal(rsp_http_client_peer(c)->cn, "smsr.test");

    /* Deferred: the handler answers 50 ms later from a timer. */
    result d = {0};
    assert_int_equal(rsp_http_client_post(c, "/defer", NULL, NULL, 0, on_resp, &d), RSP_OK);
    run_until(f->base, &d.done, 1);
    assert_int_equal(d.err, RSP_OK);
    assert_int_equal(d.status, 200);
    assert_string_equal(d.body, "late");
    assert_int_equal(rsp_http_client_connects(c), 1);

    rsp_http_client_free(c);
    rsp_http_server_free(s);
    rsp_tls_ctx_free(stls);
    rsp_tls_ctx_free(ctls);
}

static void refused(fx *f, const char *cert, const char *key)
{
    rsp_tls_ctx *stls, *ctls;
    assert_int_equal(rsp_tls_server_mtls_new(f->srv, f->srvk, (const char *const[]){f->ca1}, 1, &stls), RSP_OK);
    assert_int_equal(rsp_tls_client_mtls_new(cert, key, (const char *const[]){f->ca1}, 1, &ctls), RSP_OK);
    rsp_http_server *s = start_server(f, stls);
    rsp_http_client *c = start_client(f, s, ctls);
    result r = {0};
    f->requests = 0;
    assert_int_equal(rsp_http_client_post(c, "/gsma/ES3", NULL, (const uint8_t *)"x", 1, on_resp, &r), RSP_OK);
    run_until(f->base, &r.done, 1);
    assert_int_not_equal(r.err, RSP_OK);
    assert_int_equal(f->requests, 0);
    rsp_http_client_free(c);
    rsp_http_server_free(s);
    rsp_tls_ctx_free(stls);
    rsp_tls_ctx_free(ctls);
}

static void test_mtls_no_cert_refused(void **state)
{
    fx *f = *state;
    refused(f, NULL, NULL);
}

static void test_mtls_other_ca_refused(void **state)
{
    fx *f = *state;
    refused(f, f->bad, f->badk);
}

/* Server-only TLS (ES9+): a client without a certificate is served (peer NONE); the client still
 * checks the server, so one that trusts another CA gets no answer. */
static void test_server_only(void **state)
{
    fx *f = *state;
    rsp_tls_ctx *stls, *anon, *other;
    assert_int_equal(rsp_tls_server_new(NULL, f->srvk, &stls), RSP_ERR_INVAL);
    assert_int_equal(rsp_tls_server_new(f->srv, f->srvk, &stls), RSP_OK);
    assert_int_equal(rsp_tls_client_mtls_new(NULL, NULL, (const char *const[]){f->ca1}, 1, &anon), RSP_OK);
    assert_int_equal(rsp_tls_client_mtls_new(NULL, NULL, (const char *const[]){f->ca2}, 1, &other), RSP_OK);
    rsp_http_server *s = start_server(f, stls);
    rsp_http_client *c = start_client(f, s, anon);
    result r = {0};
    f->requests = 0;
    assert_int_equal(rsp_http_client_post(c, "/gsma/rsp2/es9plus", NULL, (const uint8_t *)"hi", 2, on_resp, &r), RSP_OK);
    run_until(f->base, &r.done, 1);
    assert_int_equal(r.err, RSP_OK);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hi");
    assert_int_equal(f->requests, 1);
    assert_int_equal(f->last_peer.kind, RSP_NET_PEER_NONE);
    assert_string_equal(rsp_http_client_peer(c)->cn, "smsr.test");
    rsp_http_client_free(c);
    c = start_client(f, s, other);
    result o = {0};
    assert_int_equal(rsp_http_client_post(c, "/gsma/rsp2/es9plus", NULL, (const uint8_t *)"x", 1, on_resp, &o), RSP_OK);
    run_until(f->base, &o.done, 1);
    assert_int_not_equal(o.err, RSP_OK);
    assert_int_equal(f->requests, 1);
    rsp_http_client_free(c);
    rsp_http_server_free(s);
    rsp_tls_ctx_free(stls);
    rsp_tls_ctx_free(anon);
    rsp_tls_ctx_free(other);
}

static void test_deferred_after_client_left(void **state)
{
    fx *f = *state;
    rsp_http_server *s = start_server(f, NULL);
    rsp_http_client *c = start_client(f, s, NULL);
    result r = {0};
    f->requests = 0;
    assert_int_equal(rsp_http_client_post(c, "/defer", NULL, NULL, 0, on_resp, &r), RSP_OK);
    run_until(f->base, &f->requests, 1);
    rsp_http_client_free(c); /* callback runs with RSP_ERR_STATE */
    assert_int_equal(r.err, RSP_ERR_STATE);
    /* Let the server see the close, then answer: dropped, but no crash or leak. */
    evtimer_del(f->defer_ev);
    for (int i = 0; i < 20; i++)
        event_base_loop(f->base, EVLOOP_NONBLOCK);
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    event_base_loop(f->base, EVLOOP_NONBLOCK);
    rsp_err e = rsp_http_respond(f->deferred, 200, NULL, NULL, 0);
    assert_true(e == RSP_ERR_STATE || e == RSP_OK);
    f->deferred = NULL;
    rsp_http_server_free(s);
}

static void test_plain_limits(void **state)
{
    fx *f = *state;
    rsp_http_server *s = start_server(f, NULL);
    rsp_http_client *c = start_client(f, s, NULL);
    size_t big = 100 * 1024;
    uint8_t *body = calloc(1, big);
    result r = {0}, r2 = {0};
    assert_int_equal(rsp_http_client_post(c, "/big", NULL, body, big, on_resp, &r), RSP_OK);
    run_until(f->base, &r.done, 1);
    assert_int_equal(r.err, RSP_OK);
    assert_int_equal(r.status, 413);
    /* The server closed; the next request reconnects. */
    assert_int_equal(rsp_http_client_post(c, "/small", NULL, body, 10, on_resp, &r2), RSP_OK);
    run_until(f->base, &r2.done, 1);
    assert_int_equal(r2.status, 200);
    assert_int_equal(rsp_http_client_connects(c), 2);
    assert_int_equal(f->last_peer.kind, RSP_NET_PEER_NONE);
    free(body);
    rsp_http_client_free(c);
    rsp_http_server_free(s);
}

/* ---- PSK ---- */
static const uint8_t psk_key[16] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                                    0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF, 0x00};
#define PSK_ID "8001028110890490320010012345000000000000000000000000000000000000"

static rsp_err lookup(void *arg, const char *identity, uint8_t *key, size_t keymax, size_t *keylen)
{
    (void)arg;
    if (strcmp(identity, PSK_ID) || keymax < sizeof(psk_key))
        return RSP_ERR_NOT_FOUND;
    memcpy(key, psk_key, sizeof(psk_key));
    *keylen = sizeof(psk_key);
    return RSP_OK;
}

static void psk_try(fx *f, const char *id, const uint8_t *key, const char *ciphers, int expect_ok)
{
    rsp_tls_ctx *stls, *ctls = NULL;
    assert_int_equal(rsp_tls_server_psk_new(lookup, NULL, &stls), RSP_OK);
    if (rsp_tls_client_psk_new(id, key, 16, ciphers, &ctls) != RSP_OK) {
        assert_false(expect_ok); /* OpenSSL refused the cipher list itself */
        rsp_tls_ctx_free(stls);
        return;
    }
    rsp_http_server *s = start_server(f, stls);
    rsp_http_client *c = start_client(f, s, ctls);
    result r = {0};
    f->requests = 0;
    assert_int_equal(rsp_http_client_post(c, "/gp/ras", "X-Admin-Protocol: globalplatform-remote-admin/1.0\r\n",
                                          (const uint8_t *)"", 0, on_resp, &r), RSP_OK);
    run_until(f->base, &r.done, 1);
    if (expect_ok) {
        assert_int_equal(r.err, RSP_OK);
        assert_int_equal(r.status, 200);
        assert_int_equal(f->last_peer.kind, RSP_NET_PEER_PSK);
        assert_string_equal(f->last_peer.psk_identity, id);
    } else {
        if (r.err == RSP_OK)
            print_error("psk %s: status %d requests %d peer %d\n", id, r.status, f->requests, f->last_peer.kind);
        assert_int_not_equal(r.err, RSP_OK);
        assert_int_equal(f->requests, 0);
    }
    rsp_http_client_free(c);
    rsp_http_server_free(s);
    rsp_tls_ctx_free(stls);
    rsp_tls_ctx_free(ctls);
}

static void test_psk_good(void **state)
{
    psk_try(*state, PSK_ID, psk_key, NULL, 1);
    psk_try(*state, PSK_ID, psk_key, "PSK-AES128-CBC-SHA256", 1);
}

static void test_psk_wrong_key(void **state)
{
    uint8_t k[16];
    memcpy(k, psk_key, 16);
    k[15] ^= 1;
    psk_try(*state, PSK_ID, k, NULL, 0);
    psk_try(*state, "UNKNOWN", psk_key, NULL, 0);
}

static void test_psk_no_null_ciphers(void **state)
{
    rsp_tls_ctx *stls;
    assert_int_equal(rsp_tls_server_psk_new(lookup, NULL, &stls), RSP_OK);
    SSL *ssl = SSL_new(rsp_tls_ctx_ssl_ctx(stls));
    STACK_OF(SSL_CIPHER) *sk = SSL_get_ciphers(ssl);
    int n = sk_SSL_CIPHER_num(sk);
    assert_true(n >= 2);
    for (int i = 0; i < n; i++) {
        const char *name = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));
        assert_null(strstr(name, "NULL"));
        assert_true(!strcmp(name, "PSK-AES128-GCM-SHA256") || !strcmp(name, "PSK-AES128-CBC-SHA256"));
    }
    SSL_free(ssl);
    rsp_tls_ctx_free(stls);
    /* A client offering only a NULL cipher gets nowhere. */
    psk_try(*state, PSK_ID, psk_key, "PSK-NULL-SHA256:@SECLEVEL=0", 0);
}

int main(void)
{
    if (getenv("TDEBUG"))
        rsp_log_set_level_all(RSP_LOG_DEBUG);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mtls_good_keepalive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtls_no_cert_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtls_other_ca_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_after_client_left, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psk_no_null_ciphers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
