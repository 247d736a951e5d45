/* The service shell: loop, signals, listeners, routing and graceful stop (docs/modules/svc.md).
 *
 * Stop is a small state machine driven by one periodic event (ev_stop), Redis-style: a signal only
 * calls rsp_svc_stop, which drains the listeners and runs the daemon's stop hook; then every 20 ms
 * the svc checks whether anything is still in flight (an unanswered request, an answer not yet
 * written, an ES call pending, a callback not yet answered) and exits the loop once nothing is, or
 * when stop_grace_ms has passed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "rsp/heap.h"
#include "rsp/hostport.h"
#include "rsp/store.h"
#include "svc_int.h"

#define SVC_LOG(s, lvl, msg, kv, ...) rsp_log((s)->o.log_ss, lvl, msg, "name=%s " kv, (s)->name, __VA_ARGS__)

typedef struct rctx { /* one ES request awaiting its answer */
    rsp_svc *svc;
    rsp_http_req *req;
} rctx;

static const char *const ROUTES[] = {"es", "metrics", "health", "not_found"};

static void count_route(rsp_svc *s, int r)
{
    const char *v[] = {ROUTES[r]};
    rsp_metric_inc(s->m_routes, v, 1);
}

static void es_respond(void *arg, const rsp_es_http_out *out)
{
    rctx *r = arg;
    char hdr[160] = "";
    if (out->content_type && out->body_len) {
        /* The endpoint's content types are ours (constants), but keep header injection impossible. */
        if (strpbrk(out->content_type, "\r\n") == NULL)
            snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\n", out->content_type);
    }
    char st[8];
    snprintf(st, sizeof(st), "%d", out->status);
    const char *v[] = {st};
    rsp_metric_inc(r->svc->m_es_status, v, 1);
    rsp_err e = rsp_http_respond(r->req, out->status, hdr, out->body, out->body_len);
    if (e == RSP_ERR_STATE)
        SVC_LOG(r->svc, RSP_LOG_INFO, "answer dropped: the client left", "status=%d", out->status);
    free(r);
}

static void answer_text(rsp_http_req *req, int status, const char *text)
{
    rsp_http_respond(req, status, "Content-Type: text/plain; charset=utf-8\r\n", (const uint8_t *)text, strlen(text));
}

static int is_get(rsp_http_req *req)
{
    return !strcmp(rsp_http_req_method(req), "GET");
}

static void path_of(rsp_http_req *req, char *out, size_t outsz)
{
    const char *t = rsp_http_req_target(req);
    size_t n = strcspn(t, "?");
    if (n >= outsz)
        n = outsz - 1;
    memcpy(out, t, n);
    out[n] = 0;
}

/* /metrics (GET only) and /health of path: 1 and 2 when answered, 0 when path is neither. */
static int ops_path(rsp_http_req *req, const char *path, rsp_metrics *m, bool stopping)
{
    if (!strcmp(path, "/metrics")) {
        if (!is_get(req)) {
            rsp_http_respond(req, 405, "Allow: GET\r\n", NULL, 0);
            return 1;
        }
        rsp_buf b = RSP_BUF_INIT;
        if (rsp_metrics_render(m, &b) != RSP_OK) {
            rsp_buf_free(&b);
            answer_text(req, 500, "metrics could not be rendered\n");
            return 1;
        }
        rsp_http_respond(req, 200, "Content-Type: " RSP_METRICS_CONTENT_TYPE "\r\n", b.data, b.len);
        rsp_buf_free(&b);
        return 1;
    }
    if (!strcmp(path, "/health")) {
        /* A stopping daemon says so, so a load balancer moves on. */
        answer_text(req, stopping ? 503 : 200, stopping ? "stopping\n" : "ok\n");
        return 2;
    }
    return 0;
}

int rsp_svc_http_ops(rsp_http_req *req, rsp_metrics *m, bool stopping)
{
    char path[256];
    path_of(req, path, sizeof(path));
    return ops_path(req, path, m, stopping);
}

/* /metrics and /health, on either listener; returns 1 if req was answered. */
static int route_common(rsp_svc *s, rsp_http_req *req, const char *path)
{
    int r = ops_path(req, path, s->metrics, s->stopping);
    if (r)
        count_route(s, r);
    return r != 0;
}

static void on_https(void *arg, rsp_http_req *req)
{
    rsp_svc *s = arg;
    char path[256];
    path_of(req, path, sizeof(path));
    if (route_common(s, req, path))
        return;
    if (strcmp(rsp_http_req_method(req), "POST")) {
        count_route(s, 3);
        rsp_http_respond(req, is_get(req) ? 404 : 405, "Allow: POST\r\n", NULL, 0);
        return;
    }
    count_route(s, 0);
    s->turn_calls++;
    if (rsp_es_endpoint_pending(s->ep) >= s->o.max_pending) {
        /* Admission control: a flood of deferred calls must not grow memory without bound. */
        const char *v[] = {"503"};
        rsp_metric_inc(s->m_es_status, v, 1);
        rsp_http_respond(req, 503, "Retry-After: 1\r\nContent-Type: text/plain\r\n", (const uint8_t *)"busy\n", 5);
        return;
    }
    rctx *r = malloc(sizeof(*r));
    if (!r) {
        answer_text(req, 503, "out of memory\n");
        return;
    }
    r->svc = s;
    r->req = req;
    const rsp_net_peer *peer = rsp_http_req_peer(req);
    size_t blen;
    const uint8_t *body = rsp_http_req_body(req, &blen);
    rsp_es_http_in in = {path,
                         rsp_http_req_header(req, "Content-Type"),
                         rsp_http_req_header(req, "SOAPAction"),
                         rsp_http_req_header(req, "Prefer"),
                         peer->kind == RSP_NET_PEER_CERT ? peer->subject : NULL,
                         body,
                         blen};
    /* a handler may ask whether its answer will be the HTTP response (rsp_svc_dispatch_prefers_wait) */
    s->dispatch_wait = 0;
    for (const char *p = in.prefer; p && *p && !s->dispatch_wait; p++) /* as the endpoint reads it */
        s->dispatch_wait = strncasecmp(p, "wait", 4) == 0;
    rsp_es_endpoint_handle(s->ep, &in, es_respond, r);
    s->dispatch_wait = 0;
}

static void on_metrics_http(void *arg, rsp_http_req *req)
{
    rsp_svc *s = arg;
    char path[256];
    path_of(req, path, sizeof(path));
    if (!route_common(s, req, path)) {
        count_route(s, 3);
        answer_text(req, 404, "only /metrics and /health here\n");
    }
}

static int in_flight(rsp_svc *s, rsp_http_server_stats *st)
{
    rsp_http_server_stats m = {0};
    rsp_http_server_stats_get(s->https, st);
    if (s->mhttp)
        rsp_http_server_stats_get(s->mhttp, &m);
    return st->pending + st->writing + m.pending + m.writing + (rsp_es_endpoint_pending(s->ep) > 0) +
           (s->queued > 0);
}

static void stop_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_svc *s = arg;
    rsp_http_server_stats st;
    int busy = in_flight(s, &st);
    int late = rsp_svc_now() > s->stop_deadline;
    if (busy && !late)
        return; /* the event is persistent: look again in 20 ms */
    if (busy)
        SVC_LOG(s, RSP_LOG_NOTICE, "stop grace period over", "unanswered=%u es_pending=%zu callbacks=%zu", st.pending,
                rsp_es_endpoint_pending(s->ep), s->queued);
    else
        SVC_LOG(s, RSP_LOG_NOTICE, "stopped", "%s", "clean=yes");
    event_del(s->ev_stop);
    s->stopped = 1;
    event_base_loopexit(s->base, NULL);
}

void rsp_svc_stop(rsp_svc *s)
{
    if (!s || s->stopping)
        return;
    s->stopping = 1;
    s->stop_deadline = rsp_svc_now() + s->o.stop_grace_ms / 1000.0;
    SVC_LOG(s, RSP_LOG_NOTICE, "stopping", "grace_ms=%u", s->o.stop_grace_ms);
    rsp_http_server_drain(s->https);
    rsp_http_server_drain(s->mhttp);
    if (s->o.on_stop)
        s->o.on_stop(s->o.hook_arg, s);
    rsp_svc__outbox_stop(s->outbox); /* POSTs in flight finish within the grace period */
    struct timeval tv = {0, 20000};
    event_add(s->ev_stop, &tv);
}

int rsp_svc_stopping(const rsp_svc *s) { return s && s->stopping; }

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    rsp_svc *s = arg;
    if (sig == SIGHUP) {
        SVC_LOG(s, RSP_LOG_NOTICE, "SIGHUP", "%s", "action=reload");
        if (s->o.on_hup)
            s->o.on_hup(s->o.hook_arg, s);
        return;
    }
    SVC_LOG(s, RSP_LOG_NOTICE, "signal", "sig=%s", sig == SIGTERM ? "TERM" : "INT");
    rsp_svc_stop(s);
}

static rsp_err load_tls(rsp_svc *s, rsp_diag *d)
{
    char buf[1024];
    const char *cas[SVC_MAX_CAS];
    size_t n = 0;
    if (!s->o.tls_cert || !s->o.tls_key || !s->o.tls_ca)
        return rsp_diag_set(d, RSP_ERR_INVAL, "tls_cert, tls_key and tls_ca are required (mutual TLS)");
    if (strlen(s->o.tls_ca) >= sizeof(buf))
        return rsp_diag_set(d, RSP_ERR_RANGE, "tls_ca list too long");
    strcpy(buf, s->o.tls_ca);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (!*t)
            continue;
        if (n == SVC_MAX_CAS)
            return rsp_diag_set(d, RSP_ERR_RANGE, "more than %d CA files", SVC_MAX_CAS);
        cas[n++] = t;
    }
    if (!n)
        return rsp_diag_set(d, RSP_ERR_INVAL, "tls_ca names no file");
    rsp_err e = rsp_tls_server_mtls_new(s->o.tls_cert, s->o.tls_key, cas, n, &s->stls);
    if (e)
        return rsp_diag_set(d, e, "server TLS from %s / %s", s->o.tls_cert, s->o.tls_key);
    if ((e = rsp_tls_client_mtls_new(s->o.tls_cert, s->o.tls_key, cas, n, &s->ctls)))
        return rsp_diag_set(d, e, "callback client TLS from %s", s->o.tls_cert);
    return RSP_OK;
}

static rsp_err listen_on(rsp_svc *s, const char *addr, rsp_tls_ctx *tls, rsp_http_handler_fn h,
                         rsp_http_server **out, rsp_diag *d)
{
    char host[256];
    uint16_t port;
    rsp_err e = rsp_hostport_split(addr, RSP_HOSTPORT_REQUIRED, host, sizeof(host), &port, d);
    if (e)
        return e; /* d quotes the address and says what is wrong with it */
    rsp_http_server_opts ho = {0};
    ho.host = host;
    ho.port = port;
    ho.tls = tls;
    ho.limits = s->o.limits;
    ho.read_timeout_ms = s->o.read_timeout_ms;
    ho.idle_timeout_ms = s->o.idle_timeout_ms;
    ho.handler = h;
    ho.arg = s;
    ho.max_connections = s->o.max_connections;
    ho.log_name = s->name;
    e = rsp_http_server_new(s->base, &ho, out);
    return e ? rsp_diag_set(d, e, "cannot listen on %s", addr) : RSP_OK;
}

static void collect(void *arg, rsp_metrics *m)
{
    rsp_svc *s = arg;
    rsp_http_server_stats st;
    rsp_http_server_stats_get(s->https, &st);
    rsp_metric_set(rsp_metrics_find(m, "rsp_http_connections_open"), NULL, st.open);
    rsp_metric_set(rsp_metrics_find(m, "rsp_http_connections_accepted_total"), NULL, (double)st.accepted);
    rsp_metric_set(rsp_metrics_find(m, "rsp_http_connections_refused_total"), NULL, (double)st.refused_cap);
    rsp_metric_set(rsp_metrics_find(m, "rsp_http_requests_refused_total"), NULL, (double)st.refused_req);
    rsp_metric_set(rsp_metrics_find(m, "rsp_es_calls_pending"), NULL, (double)rsp_es_endpoint_pending(s->ep));
    rsp_metric_set(rsp_metrics_find(m, "rsp_callbacks_queued"), NULL, (double)s->queued);
}

static rsp_err add_metrics(rsp_svc *s)
{
    static const char *const route[] = {"route"}, *const status[] = {"status"}, *const result[] = {"result"},
                             *const info[] = {"daemon", "version"};
    rsp_metrics *m = s->metrics;
    rsp_metric *bi;
    rsp_err e;
    if ((e = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_build_info", "The daemon and its version.", info, 2, NULL, 0,
                             &bi)) ||
        (e = rsp_metric_set(bi, (const char *[]){s->name, "0.1.0"}, 1)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_http_connections_open", "HTTPS connections open now.", NULL, 0,
                             NULL, 0, NULL)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_http_connections_accepted_total",
                             "HTTPS connections accepted.", NULL, 0, NULL, 0, NULL)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_http_connections_refused_total",
                             "HTTPS connections closed at once because max_connections were open.", NULL, 0, NULL, 0,
                             NULL)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_http_requests_refused_total",
                             "Requests refused by the HTTP parser (malformed, too large).", NULL, 0, NULL, 0, NULL)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_http_requests_total", "Requests by route.", route, 1, NULL, 0,
                             &s->m_routes)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_es_answers_total", "ES answers by HTTP status.", status, 1,
                             NULL, 0, &s->m_es_status)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_es_calls_pending", "ES calls accepted and not finished.", NULL,
                             0, NULL, 0, NULL)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_callbacks_total", "Callback POSTs by outcome.", result, 1,
                             NULL, 0, &s->m_callbacks)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_callbacks_queued", "Callbacks not yet answered.", NULL, 0, NULL,
                             0, NULL)))
        return e;
    return rsp_metrics_on_collect(m, collect, s);
}

/* The endpoint's callbacks: the daemon's es_send when it set one, else the durable outbox when
 * there is one (stored before any attempt), else straight to the sender. */
static rsp_err es_send_route(void *sctx, const char *url, const char *ctype, const char *action,
                             const uint8_t *body, size_t len)
{
    rsp_svc *s = sctx;
    if (s->o.es_send)
        return s->o.es_send(s->o.es_send_ctx, url, ctype, action, body, len);
    if (s->outbox)
        return rsp_svc_outbox_put(s->outbox, NULL, 0, url, ctype, action, body, len);
    return rsp_svc_send(s, url, ctype, action, body, len, NULL);
}

rsp_err rsp_svc_new(const rsp_svc_opts *o, rsp_svc **out, rsp_diag *d)
{
    if (!o || !out || !o->listen)
        return rsp_diag_set(d, RSP_ERR_INVAL, "listen address missing");
    rsp_heap_tune_daemon(); /* before the daemon starts its threads */
    rsp_svc *s = calloc(1, sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    s->o = *o;
    snprintf(s->name, sizeof(s->name), "%s", o->name ? o->name : "rsp");
    if (!s->o.stop_grace_ms)
        s->o.stop_grace_ms = 10000;
    if (!s->o.max_pending)
        s->o.max_pending = 10000;
    s->base = o->base;
    if (!s->base) {
        s->base = event_base_new();
        s->own_base = 1;
    }
    rsp_err e = s->base ? RSP_OK : RSP_ERR_NOMEM;
    if (!e)
        e = rsp_metrics_new(&s->metrics);
    if (!e) {
        rsp_es_endpoint_cfg ec = {o->handlers, o->n_handlers, es_send_route, s, o->self_address, o->es_limits};
        e = rsp_es_endpoint_new(&ec, &s->ep);
    }
    if (!e)
        e = add_metrics(s);
    if (!e)
        e = load_tls(s, d);
    if (!e)
        e = listen_on(s, o->listen, s->stls, on_https, &s->https, d);
    if (!e && o->metrics_listen)
        e = listen_on(s, o->metrics_listen, NULL, on_metrics_http, &s->mhttp, d);
    if (!e && o->port_file && rsp_hostport_port_file(o->port_file, rsp_http_server_port(s->https)))
        e = rsp_diag_set(d, RSP_ERR_IO, "cannot write the port file %s", o->port_file);
    if (!e) {
        s->ev_stop = event_new(s->base, -1, EV_PERSIST, stop_tick, s);
        if (!s->ev_stop)
            e = RSP_ERR_NOMEM;
    }
    if (!e && !o->no_signals) {
        /* A peer that closes while we write must cost an error return, not the process. */
        signal(SIGPIPE, SIG_IGN);
        s->ev_term = evsignal_new(s->base, SIGTERM, on_signal, s);
        s->ev_int = evsignal_new(s->base, SIGINT, on_signal, s);
        if (o->on_hup)
            s->ev_hup = evsignal_new(s->base, SIGHUP, on_signal, s);
        if (!s->ev_term || !s->ev_int || (o->on_hup && !s->ev_hup) || evsignal_add(s->ev_term, NULL) ||
            evsignal_add(s->ev_int, NULL) || (s->ev_hup && evsignal_add(s->ev_hup, NULL)))
            e = rsp_diag_set(d, RSP_ERR_IO, "cannot install signal handlers");
    }
    if (e) {
        rsp_svc_free(s);
        return e;
    }
    SVC_LOG(s, RSP_LOG_NOTICE, "listening", "addr=%s port=%u metrics_port=%u pid=%ld", o->listen,
            rsp_http_server_port(s->https), rsp_http_server_port(s->mhttp), (long)getpid());
    /* The option strings are read here only (they may be the caller's temporaries). */
    s->o.name = s->o.listen = s->o.tls_cert = s->o.tls_key = s->o.tls_ca = NULL;
    s->o.port_file = s->o.metrics_listen = s->o.self_address = NULL;
    *out = s;
    return RSP_OK;
}

/* Group commit: the batch's first write ends the turn. libevent's EVLOOP_ONCE alone is no boundary:
 * when callbacks are still ready after a pass (more than 32 deferred bufferevent callbacks, which
 * every TLS connection uses, spill into the next pass) it polls again within the same call, and
 * that poll would write what the turn queued before the commit. loopbreak ends the call right after
 * this callback; callbacks made ready after it run in the next turn, after the commit. */
static void turn_end(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_svc *s = arg;
    event_base_loopbreak(s->base);
}

static void batch_opened(void *arg)
{
    rsp_svc *s = arg;
    if (s->in_loop)
        event_active(s->ev_turn_end, EV_TIMEOUT, 1);
}

static rsp_err run_turns(rsp_svc *s)
{
    rsp_store *st = s->o.batch_store;
    if (st) {
        if (!s->ev_turn_end && !(s->ev_turn_end = event_new(s->base, -1, 0, turn_end, s)))
            return RSP_ERR_NOMEM;
        rsp_store_batch_hook(st, batch_opened, s);
    }
    rsp_err e = RSP_OK;
    while (!s->stopped && e == RSP_OK) {
        if (st && (e = rsp_store_batch_begin(st)) != RSP_OK)
            break;
        s->turn_calls = 0;
        s->in_loop = 1;
        int r = event_base_loop(s->base, EVLOOP_ONCE);
        s->in_loop = 0;
        if (s->o.on_turn)
            s->o.on_turn(s->o.hook_arg, s, s->turn_calls);
        if (st && (e = rsp_store_batch_commit(st)) != RSP_OK) {
            /* Fail-stop: the loop never polls again, so the answers, callbacks and PDUs this turn
             * queued are dropped with the process; the store has none of the turn's writes. */
            SVC_LOG(s, RSP_LOG_ERROR, "group commit failed: stopping at once", "err=%s", rsp_err_name(e));
            break;
        }
        if (r < 0)
            e = RSP_ERR_IO;
        else if (r == 1 && !s->stopped)
            e = RSP_ERR_STATE; /* nothing left to wait for: a caller freed what the loop served */
    }
    if (st)
        rsp_store_batch_hook(st, NULL, NULL);
    return e;
}

rsp_err rsp_svc_run(rsp_svc *s)
{
    if (!s)
        return RSP_ERR_INVAL;
    if (s->o.batch_store || s->o.on_turn)
        return run_turns(s);
    while (!s->stopped) {
        int r = event_base_dispatch(s->base);
        if (r < 0)
            return RSP_ERR_IO;
        if (r == 1 && !s->stopped)
            return RSP_ERR_STATE; /* nothing left to wait for: a caller freed what the loop served */
    }
    return RSP_OK;
}

void rsp_svc_free(rsp_svc *s)
{
    if (!s)
        return;
    rsp_svc_send_free_all(s); /* reports unsent callbacks to the outbox first */
    rsp_svc__outbox_free(s->outbox);
    rsp_http_server_free(s->https);
    rsp_http_server_free(s->mhttp);
    /* Calls a handler still holds would be leaked by the endpoint: it requires pending == 0. */
    if (s->ep && rsp_es_endpoint_pending(s->ep) == 0)
        rsp_es_endpoint_free(s->ep);
    else if (s->ep)
        SVC_LOG(s, RSP_LOG_ERROR, "ES calls never finished", "pending=%zu", rsp_es_endpoint_pending(s->ep));
    struct event *evs[] = {s->ev_term, s->ev_int, s->ev_hup, s->ev_stop, s->ev_turn_end};
    for (size_t i = 0; i < 5; i++)
        if (evs[i])
            event_free(evs[i]);
    rsp_metrics_free(s->metrics);
    rsp_tls_ctx_free(s->stls);
    rsp_tls_ctx_free(s->ctls);
    if (s->own_base && s->base)
        event_base_free(s->base);
    free(s);
}

int rsp_svc_dispatch_prefers_wait(const rsp_svc *s) { return s && s->dispatch_wait; }
struct event_base *rsp_svc_base(rsp_svc *s) { return s ? s->base : NULL; }
rsp_metrics *rsp_svc_metrics(rsp_svc *s) { return s ? s->metrics : NULL; }
rsp_es_endpoint *rsp_svc_endpoint(rsp_svc *s) { return s ? s->ep : NULL; }
uint16_t rsp_svc_port(const rsp_svc *s) { return s ? rsp_http_server_port(s->https) : 0; }
uint16_t rsp_svc_metrics_port(const rsp_svc *s) { return s ? rsp_http_server_port(s->mhttp) : 0; }
