/* The svc's durable outbox on loopback (throwaway PKI, SQLite store in a temp dir, one loop):
 * an ES call with a ReplyTo whose callback endpoint is down is stored, retried with the back-off and
 * delivered exactly once when the endpoint comes up (row SENT, counters in /metrics); a message past
 * its maximum age dies; a row left by an earlier process (lease lapsed) is sent by a new one; a
 * URL the sender would refuse is never stored; the back-off doubles and is capped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "testutil.h"

#include "rsp/es_types.h"
#include "rsp/store.h"
#include "rsp/svc.h"
#include "rsp/tls.h"

#define EID "89001012012341234012345678901224"

typedef struct fx {
    char dir[64], ca[96], cak[96], srv[96], srvk[96], cli[96], clik[96], op[96], opk[96], db[128];
    struct event_base *base;
    rsp_es_handler h[1];
    rsp_svc *svc;
    rsp_svc_outbox *ob;
    rsp_store *st;
    rsp_http_server *cb_srv;
    rsp_tls_ctx *cb_tls;
    uint16_t cb_port;
    int cb_got;
    char cb_body[4096];
    int waits[4], nwaits; /* rsp_svc_dispatch_prefers_wait seen by the handler, per call */
} fx;

typedef struct result {
    int done, status;
} result;

static void on_resp(void *arg, rsp_err err, const rsp_http_response *resp)
{
    result *r = arg;
    (void)err;
    r->done = 1;
    r->status = resp ? resp->status : 0;
}

static void flag_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(int *)arg = 1;
}

static int run_until(struct event_base *base, const int *v, int want, double secs)
{
    int timed_out = 0;
    struct event *t = evtimer_new(base, flag_cb, &timed_out);
    struct timeval tv = {(time_t)secs, (suseconds_t)((secs - (double)(time_t)secs) * 1e6)};
    evtimer_add(t, &tv);
    while ((!v || *v < want) && !timed_out)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(t);
    return v ? *v >= want : 1;
}

static rsp_err on_enable(void *hctx, rsp_es_call *c)
{
    fx *f = hctx;
    if (f->nwaits < 4)
        f->waits[f->nwaits++] = rsp_svc_dispatch_prefers_wait(f->svc);
    return rsp_es_call_complete(c);
}

static void cb_handler(void *arg, rsp_http_req *req)
{
    fx *f = arg;
    size_t n = 0;
    const uint8_t *b = rsp_http_req_body(req, &n);
    f->cb_got++;
    snprintf(f->cb_body, sizeof(f->cb_body), "%.*s", (int)n, (const char *)b);
    rsp_http_respond(req, 200, NULL, NULL, 0);
}

static void cb_up(fx *f)
{
    rsp_http_server_opts so = {0};
    so.host = "127.0.0.1";
    so.port = f->cb_port;
    so.tls = f->cb_tls;
    so.handler = cb_handler;
    so.arg = f;
    assert_int_equal(rsp_http_server_new(f->base, &so, &f->cb_srv), RSP_OK);
    f->cb_port = rsp_http_server_port(f->cb_srv);
}

static void cb_down(fx *f)
{
    rsp_http_server_free(f->cb_srv);
    f->cb_srv = NULL;
}

static void mkpath(fx *f, char *out, const char *name) { snprintf(out, 96, "%s/%s", f->dir, name); }

static void make_svc(fx *f, unsigned max_age)
{
    rsp_svc_opts o = {0};
    o.name = "smsr";
    o.log_ss = RSP_SS_SMSR;
    o.base = f->base;
    o.listen = "127.0.0.1:0";
    o.tls_cert = f->srv;
    o.tls_key = f->srvk;
    o.tls_ca = f->ca;
    o.no_signals = 1;
    o.stop_grace_ms = 2000;
    o.handlers = f->h;
    o.n_handlers = 1;
    o.callback_timeout_ms = 2000;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_svc_new(&o, &f->svc, &d))
        fail_msg("svc_new: %s", d.msg);
    rsp_svc_outbox_opts bo = {0};
    bo.st = f->st;
    bo.owner = "smsr";
    bo.worker = "w1";
    bo.tick_ms = 50;
    bo.retry_min_s = 1;
    bo.retry_max_s = 2;
    bo.max_age_s = max_age;
    bo.lease_s = 10;
    assert_int_equal(rsp_svc_outbox_new(f->svc, &bo, &f->ob), RSP_OK);
    assert_ptr_equal(rsp_svc_outbox_of(f->svc), f->ob);
    assert_int_equal(rsp_svc_outbox_new(f->svc, &bo, NULL), RSP_ERR_EXISTS);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/rsp-svcob-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    mkpath(f, f->ca, "ca.pem"), mkpath(f, f->cak, "ca.key"), mkpath(f, f->srv, "smsr.pem");
    mkpath(f, f->srvk, "smsr.key"), mkpath(f, f->cli, "mno.pem"), mkpath(f, f->clik, "mno.key");
    mkpath(f, f->op, "op.pem"), mkpath(f, f->opk, "op.key");
    snprintf(f->db, sizeof(f->db), "sqlite:%s/st.db", f->dir);
    assert_int_equal(rsp_tls_gen_ca("Test CI", f->ca, f->cak), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca, f->cak, "smsr1", 2, f->srv, f->srvk), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca, f->cak, "mno1", 0, f->cli, f->clik), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca, f->cak, "operator", 1, f->op, f->opk), RSP_OK);
    assert_int_equal(rsp_tls_server_mtls_new(f->op, f->opk, (const char *const[]){f->ca}, 1, &f->cb_tls), RSP_OK);
    assert_int_equal(rsp_store_open(f->db, NULL, &f->st), RSP_OK);
    f->base = event_base_new();
    f->h[0] = (rsp_es_handler){RSP_ES4, "EnableProfile", false, on_enable, f};
    cb_up(f); /* learn a free port, then close it: the endpoint starts down */
    cb_down(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    rsp_svc_free(f->svc);
    cb_down(f);
    rsp_tls_ctx_free(f->cb_tls);
    rsp_store_close(f->st);
    event_base_free(f->base);
    char cmd[100];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static rsp_store_outbox_stats stats(fx *f)
{
    rsp_store_outbox_stats st;
    assert_int_equal(rsp_store_outbox_stats_get(f->st, "smsr", &st), RSP_OK);
    return st;
}

/* The only row's current state. */
static rsp_store_outbox row1(fx *f)
{
    rsp_store_outbox m;
    memset(&m, 0, sizeof(m));
    assert_int_equal(rsp_store_outbox_get(f->st, 1, &m), RSP_OK);
    return m;
}

static void test_down_then_up_once(void **state)
{
    fx *f = *state;
    make_svc(f, 60);
    rsp_tls_ctx *tls;
    assert_int_equal(rsp_tls_client_mtls_new(f->cli, f->clik, (const char *const[]){f->ca}, 1, &tls), RSP_OK);
    rsp_http_client_opts co = {0};
    co.host = "127.0.0.1";
    co.port = rsp_svc_port(f->svc);
    co.tls = tls;
    co.timeout_ms = 3000;
    rsp_http_client *c;
    assert_int_equal(rsp_http_client_new(f->base, &co, &c), RSP_OK);
    char js[512];
    snprintf(js, sizeof(js),
             "{\"functionCallIdentifier\":\"j1\",\"eid\":\"" EID "\",\"iccid\":\"8988211000000000017\","
             "\"addressing\":{\"messageId\":\"jm-1\",\"replyTo\":\"https://127.0.0.1:%u/cb\"}}",
             (unsigned)f->cb_port);
    result r = {0};
    assert_int_equal(rsp_http_client_post(c, "/es4/EnableProfile", "Content-Type: application/json\r\n",
                                          (const uint8_t *)js, strlen(js), on_resp, &r), RSP_OK);
    assert_true(run_until(f->base, &r.done, 1, 5));
    assert_int_equal(r.status, 202);
    assert_int_equal(f->nwaits, 1);
    assert_int_equal(f->waits[0], 0);
    /* Prefer: wait: the handler is told (its answer is the HTTP response), and only during the call */
    result rw = {0};
    assert_int_equal(rsp_http_client_post(c, "/es4/EnableProfile", "Content-Type: application/json\r\nPrefer: Wait\r\n",
                                          (const uint8_t *)js, strlen(js), on_resp, &rw), RSP_OK);
    assert_true(run_until(f->base, &rw.done, 1, 5));
    assert_int_equal(rw.status, 200);
    assert_int_equal(f->nwaits, 2);
    assert_int_equal(f->waits[1], 1);
    assert_int_equal(rsp_svc_dispatch_prefers_wait(f->svc), 0);
    /* stored at once; the first attempt fails (nothing listens) and is rescheduled 1 s later */
    rsp_store_outbox m = row1(f);
    assert_string_equal(m.owner, "smsr");
    assert_non_null(strstr((const char *)m.body.data, "jm-1"));
    rsp_store_outbox_clear(&m);
    for (int i = 0; i < 100; i++) {
        run_until(f->base, NULL, 0, 0.05);
        m = row1(f);
        uint32_t a = m.attempts;
        int64_t gap = m.next_attempt - m.updated;
        rsp_store_outbox_clear(&m);
        if (a >= 1) {
            /* retry_min_s (1 s) doubling: under load a second attempt may already have failed */
            assert_true(a < 8);
            assert_int_equal(gap, (int64_t)1 << (a - 1));
            break;
        }
    }
    m = row1(f);
    assert_true(m.attempts >= 1);
    assert_int_equal(m.state, RSP_STORE_OUTBOX_PENDING);
    assert_true(m.last_error[0] != 0);
    rsp_store_outbox_clear(&m);
    assert_int_equal(stats(f).pending, 1);
    assert_int_equal(f->cb_got, 0);
    /* the endpoint comes up: delivered once, marked sent */
    cb_up(f);
    assert_true(run_until(f->base, &f->cb_got, 1, 6));
    run_until(f->base, NULL, 0, 1.5); /* no second copy arrives */
    assert_int_equal(f->cb_got, 1);
    assert_non_null(strstr(f->cb_body, "jm-1")); /* relatesTo the request */
    m = row1(f);
    assert_int_equal(m.state, RSP_STORE_OUTBOX_SENT);
    rsp_store_outbox_clear(&m);
    assert_int_equal(stats(f).pending, 0);
    assert_int_equal(stats(f).sent, 1);
    /* counters on the svc's registry */
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_metrics_render(rsp_svc_metrics(f->svc), &b), RSP_OK);
    assert_int_equal(rsp_buf_append(&b, "", 1), RSP_OK);
    assert_non_null(strstr((const char *)b.data, "rsp_outbox_sent_total 1\n"));
    assert_non_null(strstr((const char *)b.data, "rsp_outbox_pending 0\n"));
    assert_null(strstr((const char *)b.data, "rsp_outbox_retries_total 0\n"));
    assert_non_null(strstr((const char *)b.data, "rsp_outbox_dead_total 0\n"));
    assert_non_null(strstr((const char *)b.data, "rsp_outbox_oldest_pending_seconds 0\n"));
    rsp_buf_free(&b);
    rsp_http_client_free(c);
    rsp_tls_ctx_free(tls);
}

static void test_dead_after_max_age(void **state)
{
    fx *f = *state;
    make_svc(f, 1);
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/cb", (unsigned)f->cb_port);
    assert_int_equal(rsp_svc_outbox_put(f->ob, "k1", 0, url, "text/xml", "urn:a", (const uint8_t *)"<x/>", 4), RSP_OK);
    assert_int_equal(rsp_svc_outbox_put(f->ob, "k1", 0, url, "text/xml", "urn:a", (const uint8_t *)"<x/>", 4), RSP_OK);
    for (int i = 0; i < 80 && stats(f).dead == 0; i++)
        run_until(f->base, NULL, 0, 0.05);
    rsp_store_outbox_stats st = stats(f);
    assert_int_equal(st.dead, 1);
    assert_int_equal(st.pending, 0); /* the second put had the same key: one row */
    /* URLs the sender would refuse are never stored */
    assert_int_equal(rsp_svc_outbox_put(f->ob, NULL, 0, "http://x/cb", "text/xml", NULL, NULL, 0), RSP_ERR_INVAL);
    assert_int_equal(rsp_svc_outbox_put(f->ob, NULL, 0, "https://x/c b", "text/xml", NULL, NULL, 0), RSP_ERR_INVAL);
    assert_int_equal(rsp_svc_outbox_put(f->ob, NULL, 0, "https://x/cb", "a\r\nb", NULL, NULL, 0), RSP_ERR_INVAL);
    assert_int_equal(stats(f).pending + stats(f).dead, 1);
}

/* A row of an earlier process, claimed by it (lease lapsed): the new outbox sends it. */
static void test_leftover_row_sent(void **state)
{
    fx *f = *state;
    cb_up(f);
    rsp_store_outbox m;
    memset(&m, 0, sizeof(m));
    snprintf(m.owner, sizeof(m.owner), "smsr");
    snprintf(m.url, sizeof(m.url), "https://127.0.0.1:%u/cb", (unsigned)f->cb_port);
    snprintf(m.ctype, sizeof(m.ctype), "application/json");
    assert_int_equal(rsp_buf_append(&m.body, "{\"left\":1}", 10), RSP_OK);
    m.created = m.next_attempt = (int64_t)time(NULL) - 5;
    assert_int_equal(rsp_store_outbox_add(f->st, &m, NULL), RSP_OK);
    rsp_store_outbox_clear(&m);
    rsp_store_outbox *v = NULL;
    size_t n = 0;
    assert_int_equal(rsp_store_outbox_claim(f->st, "smsr", "dead-worker", (int64_t)time(NULL) - 5, 2, 4, &v, &n), RSP_OK);
    assert_int_equal(n, 1);
    rsp_store_outbox_clear(&v[0]);
    free(v);
    make_svc(f, 60);
    assert_true(run_until(f->base, &f->cb_got, 1, 5));
    assert_string_equal(f->cb_body, "{\"left\":1}");
    for (int i = 0; i < 40 && stats(f).sent == 0; i++)
        run_until(f->base, NULL, 0, 0.05);
    assert_int_equal(stats(f).sent, 1);
}

static void test_backoff(void **state)
{
    (void)state;
    rsp_svc_outbox_opts o = {0};
    assert_int_equal(rsp_svc_outbox_backoff(&o, 1), 1);
    assert_int_equal(rsp_svc_outbox_backoff(&o, 2), 2);
    assert_int_equal(rsp_svc_outbox_backoff(&o, 5), 16);
    assert_int_equal(rsp_svc_outbox_backoff(&o, 12), 300); /* default cap */
    o.retry_min_s = 5;
    o.retry_max_s = 30;
    assert_int_equal(rsp_svc_outbox_backoff(&o, 1), 5);
    assert_int_equal(rsp_svc_outbox_backoff(&o, 3), 20);
    assert_int_equal(rsp_svc_outbox_backoff(&o, 4), 30);
    assert_int_equal(rsp_svc_outbox_backoff(&o, 4000000000u), 30);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_SMSR, RSP_LOG_ERROR);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_down_then_up_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_after_max_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftover_row_sent, setup, teardown),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
