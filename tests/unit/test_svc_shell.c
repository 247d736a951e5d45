/* The service shell on loopback with a throwaway PKI: an ES call over HTTPS with mutual TLS (the
 * handler sees the client certificate's subject), the result POSTed as a callback to a second mTLS
 * server, /metrics and /health on the plain metrics port, a client certificate from another CA
 * refused, the port file, and a graceful stop that still answers a deferred request. In-process, on
 * one loop; every wait is bounded. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>

#include "testutil.h"

#include "rsp/es_types.h"
#include "rsp/svc.h"
#include "rsp/tls.h"

#define EID "89001012012341234012345678901224"

typedef struct fx {
    char dir[64];
    char ca[96], cak[96], ca2[96], ca2k[96], srv[96], srvk[96], cli[96], clik[96], bad[96], badk[96];
    char op[96], opk[96], portf[96], ca3[96], ca3k[96];
    struct event_base *base;
    rsp_es_handler h[1];
    rsp_svc *svc;
    /* handler */
    int handled, hold, stop_hooks;
    size_t max_pending;
    char peer[300];
    rsp_es_call *held;
    /* callback receiver */
    rsp_http_server *cb_srv;
    rsp_tls_ctx *cb_tls;
    int cb_got;
    char cb_soapaction[200], cb_peer[200];
    int delivered;
    rsp_svc_delivery last_dl;
    char last_url[200]; /* the url is valid only during the callback */
} fx;

typedef struct result {
    int done;
    rsp_err err;
    int status;
    char ctype[80];
    char body[4096];
} result;

static void on_resp(void *arg, rsp_err err, const rsp_http_response *resp)
{
    result *r = arg;
    r->done = 1;
    r->err = err;
    if (resp) {
        r->status = resp->status;
        const rsp_http_header *h = rsp_http_response_header(resp, "Content-Type");
        if (h)
            snprintf(r->ctype, sizeof(r->ctype), "%.*s", (int)h->value_len, h->value);
        size_t n = resp->body_len < sizeof(r->body) - 1 ? resp->body_len : sizeof(r->body) - 1;
        memcpy(r->body, resp->body, n);
        r->body[n] = 0;
    }
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
    f->handled++;
    snprintf(f->peer, sizeof(f->peer), "%s", rsp_es_call_peer(c) ? rsp_es_call_peer(c) : "");
    rsp_es_data_resp *res = rsp_es_call_response(c);
    rsp_buf_set(&res->euicc_response_data, "\x90\x00", 2);
    if (f->hold) {
        f->held = c;
        return RSP_OK;
    }
    return rsp_es_call_complete(c);
}

/* The daemon's stop hook: finish the call it holds, so its client gets the answer. */
static void on_stop(void *arg, rsp_svc *s)
{
    (void)s;
    fx *f = arg;
    f->stop_hooks++;
    if (f->held) {
        rsp_es_call_complete(f->held);
        f->held = NULL;
    }
}

static void on_delivered(void *arg, const rsp_svc_delivery *d)
{
    fx *f = arg;
    f->delivered++;
    f->last_dl = *d;
    snprintf(f->last_url, sizeof(f->last_url), "%s", d->url);
    f->last_dl.url = NULL;
}

static void cb_handler(void *arg, rsp_http_req *req)
{
    fx *f = arg;
    f->cb_got++;
    const char *a = rsp_http_req_header(req, "SOAPAction");
    snprintf(f->cb_soapaction, sizeof(f->cb_soapaction), "%s", a ? a : "");
    snprintf(f->cb_peer, sizeof(f->cb_peer), "%s", rsp_http_req_peer(req)->cn);
    rsp_http_respond(req, 200, NULL, NULL, 0);
}

static const char *enable_xml(const char *reply_to)
{
    static char buf[2048];
    snprintf(buf, sizeof(buf),
             "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" "
             "xmlns:w=\"http://www.w3.org/2005/08/addressing\"><e:Header>"
             "<w:ReplyTo><w:Address>%s</w:Address></w:ReplyTo><w:MessageID>m-77</w:MessageID>"
             "<w:Action>http://gsma.com/ES4/ProfileManagement/ES4-EnableProfile</w:Action></e:Header>"
             "<e:Body><EnableProfile><FunctionCallIdentifier>f1</FunctionCallIdentifier><Eid>" EID "</Eid>"
             "<Iccid>8988211000000000017</Iccid></EnableProfile></e:Body></e:Envelope>",
             reply_to);
    return buf;
}

static void path(fx *f, char *out, const char *name) { snprintf(out, 96, "%s/%s", f->dir, name); }

static rsp_svc *make_svc(fx *f, int no_signals)
{
    rsp_svc_opts o = {0};
    o.name = "smsr";
    o.log_ss = RSP_SS_SMSR;
    o.base = f->base;
    o.listen = "127.0.0.1:0";
    o.tls_cert = f->srv;
    o.tls_key = f->srvk;
    char cas[200];
    snprintf(cas, sizeof(cas), "%s, %s", f->ca3, f->ca); /* a list: the client CA is the second */
    o.tls_ca = cas;
    o.port_file = f->portf;
    o.metrics_listen = "127.0.0.1:0";
    o.no_signals = no_signals;
    o.stop_grace_ms = 3000;
    o.handlers = f->h;
    o.n_handlers = 1;
    o.self_address = "https://smsr1.example/es4";
    o.on_delivered = on_delivered;
    o.delivered_arg = f;
    o.on_stop = on_stop;
    o.hook_arg = f;
    o.callback_timeout_ms = 3000;
    o.max_pending = f->max_pending;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_svc *svc = NULL;
    rsp_err e = rsp_svc_new(&o, &svc, &d);
    if (e)
        fail_msg("svc_new: %s", d.msg);
    return svc;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/rsp-svc-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    path(f, f->ca, "ca.pem"), path(f, f->cak, "ca.key"), path(f, f->ca2, "ca2.pem"), path(f, f->ca2k, "ca2.key");
    path(f, f->srv, "smsr.pem"), path(f, f->srvk, "smsr.key"), path(f, f->cli, "smdp.pem"), path(f, f->clik, "smdp.key");
    path(f, f->bad, "bad.pem"), path(f, f->badk, "bad.key"), path(f, f->op, "op.pem"), path(f, f->opk, "op.key");
    path(f, f->portf, "port"), path(f, f->ca3, "ca3.pem"), path(f, f->ca3k, "ca3.key");
    assert_int_equal(rsp_tls_gen_ca("Test CI", f->ca, f->cak), RSP_OK);
    assert_int_equal(rsp_tls_gen_ca("Other CI", f->ca2, f->ca2k), RSP_OK);
    assert_int_equal(rsp_tls_gen_ca("Peer CI", f->ca3, f->ca3k), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca, f->cak, "smsr1", 2, f->srv, f->srvk), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca, f->cak, "smdp1", 0, f->cli, f->clik), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca2, f->ca2k, "intruder", 0, f->bad, f->badk), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca, f->cak, "operator", 1, f->op, f->opk), RSP_OK);
    f->base = event_base_new();
    f->h[0] = (rsp_es_handler){RSP_ES4, "EnableProfile", false, on_enable, f};
    f->svc = make_svc(f, 1);

    /* The operator's callback endpoint: mTLS, trusts the CI. */
assert_int_equal(rsp_tls_server_mtls_new(f->op, f->opk, (const char *const[]){f->ca}, 1, &f->cb_tls), RSP_OK);
    rsp_http_server_opts so = {0};
    so.host = "127.0.0.1";
    so.tls = f->cb_tls;
    so.handler = cb_handler;
    so.arg = f;
    assert_int_equal(rsp_http_server_new(f->base, &so, &f->cb_srv), RSP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    rsp_svc_free(f->svc);
    rsp_http_server_free(f->cb_srv);
    rsp_tls_ctx_free(f->cb_tls);
    event_base_free(f->base);
    const char *names[] = {f->ca, f->cak, f->ca2, f->ca2k, f->srv, f->srvk, f->cli, f->clik,
                           f->bad, f->badk, f->op, f->opk, f->portf, f->ca3, f->ca3k};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(names[i]);
    rmdir(f->dir);
    free(f);
    return 0;
}

static rsp_http_client *client(fx *f, const char *cert, const char *key, rsp_tls_ctx **tls)
{
    assert_int_equal(rsp_tls_client_mtls_new(cert, key, (const char *const[]){f->ca}, 1, tls), RSP_OK);
    rsp_http_client_opts o = {0};
    o.host = "127.0.0.1";
    o.port = rsp_svc_port(f->svc);
    o.tls = *tls;
    o.timeout_ms = 3000;
    rsp_http_client *c;
    assert_int_equal(rsp_http_client_new(f->base, &o, &c), RSP_OK);
    return c;
}

/* GET over plain TCP on the metrics port; the loop runs while we wait. */
static void get_plain(fx *f, const char *target, char *out, size_t cap)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(rsp_svc_metrics_port(f->svc));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[128];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target);
    assert_int_equal(write(s, req, (size_t)n), n);
    fcntl(s, F_SETFL, O_NONBLOCK);
    size_t got = 0;
    for (int i = 0; i < 300; i++) {
        run_until(f->base, NULL, 0, 0.01);
        ssize_t r = read(s, out + got, cap - 1 - got);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            break;
    }
    out[got] = 0;
    close(s);
}

static void test_es_call_callback_metrics(void **state)
{
    fx *f = *state;
    /* the port file names the port bound */
    FILE *pf = fopen(f->portf, "r");
    assert_non_null(pf);
    unsigned port = 0;
    assert_int_equal(fscanf(pf, "%u", &port), 1);
    fclose(pf);
    assert_int_equal(port, rsp_svc_port(f->svc));

    rsp_tls_ctx *tls;
    rsp_http_client *c = client(f, f->cli, f->clik, &tls);
    /* 1. no usable ReplyTo: the result is the HTTP answer */
    result r1 = {0};
    const char *x = enable_xml("http://www.w3.org/2005/08/addressing/anonymous");
    assert_int_equal(rsp_http_client_post(c, "/es4", "Content-Type: " RSP_ES_SOAP12_CTYPE "\r\n", (const uint8_t *)x,
                                          strlen(x), on_resp, &r1), RSP_OK);
    assert_true(run_until(f->base, &r1.done, 1, 5));
    assert_int_equal(r1.err, RSP_OK);
    assert_int_equal(r1.status, 200);
    assert_non_null(strstr(r1.body, "EnableProfileResponse"));
    assert_non_null(strstr(r1.body, "m-77")); /* RelatesTo */
    assert_int_equal(f->handled, 1);
    assert_non_null(strstr(f->peer, "CN=smdp1")); /* the identity from the client certificate */

    /* 1b. JSON on the same port (Prefer: wait: the result is the answer) */
    result rj = {0};
    const char *js = "{\"functionCallIdentifier\":\"j1\",\"eid\":\"" EID "\",\"iccid\":\"8988211000000000017\","
                     "\"addressing\":{\"messageId\":\"jm-1\",\"replyTo\":\"https://op/jcb\"}}";
    assert_int_equal(rsp_http_client_post(c, "/es4/EnableProfile?x=1", "Content-Type: application/json\r\nPrefer: wait\r\n",
                                          (const uint8_t *)js, strlen(js), on_resp, &rj), RSP_OK);
    assert_true(run_until(f->base, &rj.done, 1, 5));
    assert_int_equal(rj.status, 200);
    assert_non_null(strstr(rj.body, "EXECUTED_SUCCESS"));
    assert_int_equal(f->handled, 2);

    /* 1c. njiwa's dialect (SOAP 1.1, JAX-WS shapes) on the same port: answered in kind */
    rsp_es_msg nm;
    assert_int_equal(rsp_es_msg_init(&nm, rsp_es_func_find(RSP_ES4, "EnableProfile", 13), false), RSP_OK);
    rsp_es_profile_req *np = nm.body;
    np->hdr.function_call_id = strdup("n1");
    np->eid = strdup(EID);
    np->iccid = strdup("8988211000000000017");
    nm.wsa.message_id = strdup("nm-1");
    nm.dialect = RSP_ES_DIALECT_NJIWA;
    rsp_buf nb = RSP_BUF_INIT;
    rsp_diag nd;
    rsp_diag_clear(&nd);
    if (rsp_es_soap_encode(&nm, &nb, &nd) != RSP_OK)
        fail_msg("njiwa encode: %s", nd.msg);
    char nh[200];
    snprintf(nh, sizeof(nh), "Content-Type: %s\r\n", rsp_es_dialect_content_type(RSP_ES_DIALECT_NJIWA));
    result rn = {0};
    assert_int_equal(rsp_http_client_post(c, "/es4", nh, nb.data, nb.len, on_resp, &rn), RSP_OK);
    assert_true(run_until(f->base, &rn.done, 1, 5));
    assert_int_equal(rn.status, 200);
    assert_int_equal(f->handled, 3);
    assert_non_null(strstr(rn.ctype, "text/xml")); /* SOAP 1.1, as asked */
    rsp_es_msg back;
    rsp_diag_clear(&nd);
    if (rsp_es_soap_decode((const uint8_t *)rn.body, strlen(rn.body), NULL, NULL, &back, &nd) != RSP_OK)
        fail_msg("njiwa answer: %s\n%s", nd.msg, rn.body);
    assert_int_equal(back.dialect, RSP_ES_DIALECT_NJIWA);
    assert_true(back.response);
    rsp_es_msg_free(&back);
    rsp_es_msg_free(&nm);
    rsp_buf_free(&nb);

    /* 2. ReplyTo an HTTPS endpoint: 202 now, the result POSTed there over mTLS with our certificate */
    char reply_to[128];
    snprintf(reply_to, sizeof(reply_to), "https://127.0.0.1:%u/op/es4cb", rsp_http_server_port(f->cb_srv));
    x = enable_xml(reply_to);
    result r2 = {0};
    assert_int_equal(rsp_http_client_post(c, "/es4", "Content-Type: " RSP_ES_SOAP12_CTYPE "\r\n", (const uint8_t *)x,
                                          strlen(x), on_resp, &r2), RSP_OK);
    assert_true(run_until(f->base, &r2.done, 1, 5));
    assert_int_equal(r2.status, 202);
    assert_true(run_until(f->base, &f->delivered, 1, 5));
    assert_int_equal(f->cb_got, 1);
    assert_string_equal(f->cb_peer, "smsr1");
    assert_int_equal(f->last_dl.err, RSP_OK);
    assert_int_equal(f->last_dl.status, 200);
    assert_string_equal(f->last_url, reply_to);

    /* 3. metrics and health on the plain port; the ES routes counted */
    char buf[8192];
    get_plain(f, "/metrics", buf, sizeof(buf));
    assert_non_null(strstr(buf, "HTTP/1.1 200 OK"));
    assert_non_null(strstr(buf, "Content-Type: text/plain; version=0.0.4"));
    assert_non_null(strstr(buf, "rsp_build_info{daemon=\"smsr\",version=\"0.1.0\"} 1\n"));
    assert_non_null(strstr(buf, "rsp_http_requests_total{route=\"es\"} 4\n"));
    assert_non_null(strstr(buf, "rsp_es_answers_total{status=\"200\"} 3\n"));
    assert_non_null(strstr(buf, "rsp_es_answers_total{status=\"202\"} 1\n"));
    assert_non_null(strstr(buf, "rsp_callbacks_total{result=\"ok\"} 1\n"));
    assert_non_null(strstr(buf, "# TYPE rsp_http_connections_open gauge\n"));
    get_plain(f, "/health", buf, sizeof(buf));
    assert_non_null(strstr(buf, "200 OK"));
    assert_non_null(strstr(buf, "\r\n\r\nok\n"));
    get_plain(f, "/es4", buf, sizeof(buf)); /* ES is not served on the plain port */
    assert_non_null(strstr(buf, "404"));

    /* 4. callback URLs are checked before anything is sent */
    assert_int_equal(rsp_svc_send(f->svc, "http://127.0.0.1:1/x", "text/xml", NULL, NULL, 0, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_svc_send(f->svc, "https://h/x\r\nEvil: 1", "text/xml", NULL, NULL, 0, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_svc_send(f->svc, "https://h/x", "text/xml", "a\"b", NULL, 0, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_svc_send(f->svc, "https://h:0/x", "text/xml", NULL, NULL, 0, NULL), RSP_ERR_INVAL);
    rsp_http_client_free(c);
    rsp_tls_ctx_free(tls);
}

static void test_wrong_client_cert_refused(void **state)
{
    fx *f = *state;
    rsp_tls_ctx *tls;
    rsp_http_client *c = client(f, f->bad, f->badk, &tls);
    result r = {0};
    const char *x = enable_xml("http://www.w3.org/2005/08/addressing/anonymous");
    assert_int_equal(rsp_http_client_post(c, "/es4", "Content-Type: " RSP_ES_SOAP12_CTYPE "\r\n", (const uint8_t *)x,
                                          strlen(x), on_resp, &r), RSP_OK);
    assert_true(run_until(f->base, &r.done, 1, 5));
    assert_int_not_equal(r.err, RSP_OK);
    assert_int_equal(f->handled, 0);
    rsp_http_client_free(c);
    rsp_tls_ctx_free(tls);
    /* and without any certificate */
    c = client(f, NULL, NULL, &tls);
    memset(&r, 0, sizeof(r));
    assert_int_equal(rsp_http_client_post(c, "/es4", "Content-Type: " RSP_ES_SOAP12_CTYPE "\r\n", (const uint8_t *)x,
                                          strlen(x), on_resp, &r), RSP_OK);
    assert_true(run_until(f->base, &r.done, 1, 5));
    assert_int_not_equal(r.err, RSP_OK);
    assert_int_equal(f->handled, 0);
    rsp_http_client_free(c);
    rsp_tls_ctx_free(tls);
}

static void stop_now(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_svc_stop(arg);
}

/* A request held by the handler when the stop begins is still answered; then run returns. */
static void test_stop_finishes_deferred(void **state)
{
    fx *f = *state;
    f->hold = 1;
    rsp_tls_ctx *tls;
    rsp_http_client *c = client(f, f->cli, f->clik, &tls);
    result r = {0};
    const char *x = enable_xml("http://www.w3.org/2005/08/addressing/anonymous");
    assert_int_equal(rsp_http_client_post(c, "/es4", "Content-Type: " RSP_ES_SOAP12_CTYPE "\r\n", (const uint8_t *)x,
                                          strlen(x), on_resp, &r), RSP_OK);
    assert_true(run_until(f->base, &f->handled, 1, 5));
    assert_non_null(f->held);
    assert_int_equal(r.done, 0);
    struct event *t = evtimer_new(f->base, stop_now, f->svc);
    struct timeval tv = {0, 20000};
    evtimer_add(t, &tv);
    assert_int_equal(rsp_svc_run(f->svc), RSP_OK); /* returns once the stop has completed */
    event_free(t);
    assert_true(rsp_svc_stopping(f->svc));
    assert_int_equal(f->stop_hooks, 1);
    assert_true(r.done); /* answered before run returned */
    assert_int_equal(r.err, RSP_OK);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "EnableProfileResponse"));
    assert_int_equal(rsp_es_endpoint_pending(rsp_svc_endpoint(f->svc)), 0);
    /* nothing new is accepted */
    result r2 = {0};
    rsp_tls_ctx *tls2;
    rsp_http_client *c2 = client(f, f->cli, f->clik, &tls2);
    assert_int_equal(rsp_http_client_post(c2, "/es4", "Content-Type: " RSP_ES_SOAP12_CTYPE "\r\n", (const uint8_t *)x,
                                          strlen(x), on_resp, &r2), RSP_OK);
    assert_true(run_until(f->base, &r2.done, 1, 5));
    assert_int_not_equal(r2.err, RSP_OK);
    assert_int_equal(f->handled, 1);
    rsp_http_client_free(c);
    rsp_http_client_free(c2);
    rsp_tls_ctx_free(tls);
    rsp_tls_ctx_free(tls2);
}

/* A real SIGTERM: the svc's signal event begins the stop, run returns. */
static void raise_term(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    raise(SIGTERM);
}

static void test_sigterm(void **state)
{
    fx *f = *state;
    rsp_svc_free(f->svc);
    f->svc = make_svc(f, 0);
    struct event *t = evtimer_new(f->base, raise_term, NULL);
    struct timeval tv = {0, 20000};
    evtimer_add(t, &tv);
    assert_int_equal(rsp_svc_run(f->svc), RSP_OK);
    event_free(t);
    assert_true(rsp_svc_stopping(f->svc));
    assert_int_equal(f->stop_hooks, 1);
    rsp_svc_free(f->svc); /* removes the signal events before the default disposition returns */
    f->svc = NULL;
}

/* Admission: with max_pending 1 and one call held, the next ES request is answered 503. */
static void test_max_pending(void **state)
{
    fx *f = *state;
    rsp_svc_free(f->svc);
    f->max_pending = 1;
    f->svc = make_svc(f, 1);
    f->hold = 1;
    rsp_tls_ctx *tls1, *tls2;
    rsp_http_client *c1 = client(f, f->cli, f->clik, &tls1), *c2 = client(f, f->cli, f->clik, &tls2);
    const char *x = enable_xml("http://www.w3.org/2005/08/addressing/anonymous");
    result r1 = {0}, r2 = {0};
    assert_int_equal(rsp_http_client_post(c1, "/es4", "Content-Type: " RSP_ES_SOAP12_CTYPE "\r\n", (const uint8_t *)x,
                                          strlen(x), on_resp, &r1), RSP_OK);
    assert_true(run_until(f->base, &f->handled, 1, 5));
    assert_int_equal(rsp_http_client_post(c2, "/es4", "Content-Type: " RSP_ES_SOAP12_CTYPE "\r\n", (const uint8_t *)x,
                                          strlen(x), on_resp, &r2), RSP_OK);
    assert_true(run_until(f->base, &r2.done, 1, 5));
    assert_int_equal(r2.status, 503);
    assert_int_equal(f->handled, 1);
    rsp_es_call_complete(f->held);
    f->held = NULL;
    assert_true(run_until(f->base, &r1.done, 1, 5));
    assert_int_equal(r1.status, 200);
    rsp_http_client_free(c1);
    rsp_http_client_free(c2);
    rsp_tls_ctx_free(tls1);
    rsp_tls_ctx_free(tls2);
}

/* The settings a daemon's section gives the svc (defaults from the table, values from the file). */
static void test_opts_from_config(void **state)
{
    (void)state;
    rsp_config *c;
    assert_int_equal(rsp_config_new(NULL, 0, &c), RSP_OK);
    const char *ini = "[smdp]\nlisten = [::1]:0\ntls_cert = a.pem\ntls_key = a.key\ntls_ca = ci.pem, peer.pem\n"
                      "metrics_listen = 127.0.0.1:9402\nmax_pending = 7\n";
    assert_int_equal(rsp_config_parse(c, ini, strlen(ini), "t.ini", NULL), RSP_OK);
    rsp_svc_opts o = {0};
    assert_int_equal(rsp_svc_opts_from_config(c, "smdp", &o, NULL), RSP_OK);
    assert_string_equal(o.name, "smdp");
    assert_string_equal(o.listen, "[::1]:0");
    assert_string_equal(o.tls_ca, "ci.pem, peer.pem");
    assert_string_equal(o.metrics_listen, "127.0.0.1:9402");
    assert_null(o.port_file); /* empty default: none */
    assert_int_equal(o.max_pending, 7);
    assert_int_equal(o.max_connections, 1024);
    assert_int_equal(o.stop_grace_ms, 10000);
    assert_int_equal(o.callback_queue, 1000);
    rsp_config_free(c);
}

/* A malformed listen address stops rsp_svc_new with the address and its fault named (rsp/hostport.h). */
static void test_bad_listen(void **state)
{
    fx *f = *state;
    rsp_svc_opts o = {0};
    o.name = "smsr";
    o.log_ss = RSP_SS_SMSR;
    o.base = f->base;
    o.listen = "::1:8443";
    o.tls_cert = f->srv;
    o.tls_key = f->srvk;
    o.tls_ca = f->ca;
    o.no_signals = 1;
    o.handlers = f->h;
    o.n_handlers = 1;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_svc *svc = NULL;
    assert_int_equal(rsp_svc_new(&o, &svc, &d), RSP_ERR_INVAL);
    assert_null(svc);
    assert_non_null(strstr(d.msg, "address '::1:8443': an IPv6 address goes in brackets"));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* what rsp_svc_new does unless no_signals */
    if (getenv("TDEBUG"))
        rsp_log_set_level_all(RSP_LOG_DEBUG);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_es_call_callback_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_client_cert_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_finishes_deferred, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_max_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_listen, setup, teardown),
        cmocka_unit_test(test_opts_from_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
