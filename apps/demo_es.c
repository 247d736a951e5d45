/* `rsp demo`: ES calls as an Operator, an M2M SP or the EUM would make them: the JSON binding over
 * HTTPS with mutual TLS (docs/ES-JSON.md), `Prefer: wait` so that the answer is the function's
 * result. A pool of kept-alive connections on one libevent loop gives bounded concurrency without
 * threads (lib/net's client carries one request at a time per connection); a timer redraws the
 * progress line and notices Ctrl-C. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "demo.h"
#include "rsp/http.h"
#include "rsp/tls.h"

#define DEMO_ES_TIMEOUT_MS 120000u /* a download through SMS and admin sessions can take a while */

struct demo_es {
    struct event_base *base;
    rsp_tls_ctx *tls;
    uint16_t port;
    unsigned nc;
    rsp_http_client **c;
    bool *busy;
    unsigned connects_done; /* connections of clients already freed */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static rsp_err client_new(demo_es *es, unsigned i)
{
    rsp_http_client_opts o = {"127.0.0.1", es->port, es->tls, DEMO_ES_TIMEOUT_MS, 0};
    return rsp_http_client_new(es->base, &o, &es->c[i]);
}

rsp_err demo_es_new(struct event_base *base, uint16_t port, const char *id_dir, unsigned conns, demo_es **out,
                    rsp_diag *diag)
{
    char cert[600], key[600], ca[600];
    snprintf(cert, sizeof(cert), "%s/tls.crt.pem", id_dir);
    snprintf(key, sizeof(key), "%s/key.pem", id_dir);
    snprintf(ca, sizeof(ca), "%s/ca.crt.pem", id_dir);
    demo_es *es = calloc(1, sizeof(*es));
    if (!es || conns == 0)
        return free(es), RSP_ERR_NOMEM;
    es->base = base;
    es->port = port;
    es->nc = conns;
    es->c = calloc(conns, sizeof(*es->c));
    es->busy = calloc(conns, sizeof(*es->busy));
    const char *cas[1] = {ca};
    rsp_err e = es->c && es->busy ? RSP_OK : RSP_ERR_NOMEM;
    e = e ? e : rsp_tls_client_mtls_new(cert, key, cas, 1, &es->tls);
    if (e) {
        demo_es_free(es);
        return rsp_diag_set(diag, e, "TLS client from %s: %s", id_dir, rsp_err_msg(e));
    }
    for (unsigned i = 0; e == RSP_OK && i < conns; i++)
        e = client_new(es, i);
    if (e) {
        demo_es_free(es);
        return rsp_diag_set(diag, e, "HTTPS client: %s", rsp_err_msg(e));
    }
    *out = es;
    return RSP_OK;
}

void demo_es_free(demo_es *es)
{
    if (!es)
        return;
    for (unsigned i = 0; es->c && i < es->nc; i++)
        if (es->c[i])
            rsp_http_client_free(es->c[i]);
    free(es->c);
    free(es->busy);
    rsp_tls_ctx_free(es->tls);
    free(es);
}

unsigned demo_es_connects(const demo_es *es)
{
    unsigned n = es->connects_done;
    for (unsigned i = 0; i < es->nc; i++)
        n += es->c[i] ? rsp_http_client_connects(es->c[i]) : 0;
    return n;
}

/* ---- one batch ---- */
typedef struct run run;
typedef struct slot {
    run *r;
    size_t i;
    unsigned conn;
} slot;

struct run {
    demo_es *es;
    demo_batch *b;
    size_t next, in_flight, finished;
    unsigned conc;
    double t0, last_line;
    bool tty, stopped;
    rsp_err err;
};

static void result_of(int http, const uint8_t *body, size_t len, demo_es_result *r)
{
    memset(r, 0, sizeof(*r));
    r->http = http;
    r->answer = body && len ? json_loadb((const char *)body, len, 0, NULL) : NULL;
    json_t *fes = json_object_get(r->answer, "functionExecutionStatus");
    const char *st = json_string_value(json_object_get(fes, "status"));
    r->ok = http == 200 && st && (!strcmp(st, "EXECUTED_SUCCESS") || !strcmp(st, "EXECUTED_WITHWARNING"));
    r->warning = r->ok && !strcmp(st, "EXECUTED_WITHWARNING");
    if (r->ok && !r->warning)
        return;
    json_t *scd = json_object_get(fes, "statusCodeData");
    const char *sub = json_string_value(json_object_get(scd, "subjectCode"));
    const char *rea = json_string_value(json_object_get(scd, "reasonCode"));
    const char *msg = json_string_value(json_object_get(scd, "message"));
    const char *emsg = json_string_value(json_object_get(json_object_get(r->answer, "error"), "message"));
    if (st)
        snprintf(r->why, sizeof(r->why), "%s %s/%s %s", st, sub ? sub : "-", rea ? rea : "-", msg ? msg : "");
    else if (emsg)
        snprintf(r->why, sizeof(r->why), "HTTP %d: %s", http, emsg);
    else
        snprintf(r->why, sizeof(r->why), "HTTP %d without a result", http);
}

static void progress(run *r, bool final)
{
    demo_batch *b = r->b;
    if (!b->progress)
        return;
    double t = now_s(), el = t - r->t0;
    if (!final && !r->tty && t - r->last_line < 2.0)
        return;
    r->last_line = t;
    double rate = el > 0 ? (double)r->finished / el : 0;
    double eta = rate > 0 ? (double)(b->n - r->finished) / rate : 0;
    char etas[24] = "?";
    if (r->finished)
        snprintf(etas, sizeof(etas), "%.0f s", eta);
    fprintf(stderr, "%s  %-9s %zu/%zu done, %zu failed, %zu in flight, %.1f/s, ETA %s   %s", r->tty ? "\r" : "",
            b->label, b->ok, b->n, b->failed, r->in_flight, rate, etas, r->tty && !final ? "" : "\n");
    fflush(stderr);
}

static void launch(run *r);

static void on_answer(void *arg, rsp_err err, const rsp_http_response *resp)
{
    slot *s = arg;
    run *r = s->r;
    demo_es_result res;
    if (err)
        memset(&res, 0, sizeof(res)), snprintf(res.why, sizeof(res.why), "transport: %s", rsp_err_msg(err));
    else
        result_of(resp->status, resp->body, resp->body_len, &res);
    if (!r->stopped || !err) {
        r->b->done(r->b->arg, s->i, &res);
        res.ok ? r->b->ok++ : r->b->failed++;
    }
    json_decref(res.answer);
    r->es->busy[s->conn] = false;
    r->in_flight--;
    r->finished++;
    free(s);
    if (!r->stopped)
        launch(r);
}

static void launch(run *r)
{
    demo_batch *b = r->b;
    while (r->err == RSP_OK && r->next < b->n && r->in_flight < r->conc) {
        unsigned c = 0;
        while (c < r->es->nc && r->es->busy[c])
            c++;
        if (c == r->es->nc)
            break;
        size_t i = r->next++;
        char path[128];
        json_t *body = NULL;
        slot *s = malloc(sizeof(*s));
        rsp_err e = s ? b->build(b->arg, i, path, sizeof(path), &body) : RSP_ERR_NOMEM;
        char *txt = e ? NULL : json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (!txt) {
            free(s);
            r->err = e ? e : RSP_ERR_NOMEM;
            break;
        }
        *s = (slot){r, i, c};
        e = rsp_http_client_post(r->es->c[c], path, "Content-Type: application/json\r\nPrefer: wait\r\n",
                                 (const uint8_t *)txt, strlen(txt), on_answer, s);
        free(txt);
        if (e) {
            free(s);
            r->err = e;
            break;
        }
        r->es->busy[c] = true;
        r->in_flight++;
    }
    if ((r->finished == b->n || r->err) && r->in_flight == 0)
        event_base_loopbreak(r->es->base);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    run *r = arg;
    if (demo_stopping()) {
        r->stopped = true;
        event_base_loopbreak(r->es->base);
        return;
    }
    progress(r, false);
}

rsp_err demo_es_batch(demo_es *es, demo_batch *b)
{
    run r;
    memset(&r, 0, sizeof(r));
    r.es = es;
    r.b = b;
    r.conc = b->concurrency ? b->concurrency : 1;
    if (r.conc > es->nc)
        r.conc = es->nc;
    r.t0 = now_s();
    r.tty = isatty(STDERR_FILENO);
    b->ok = b->failed = 0;
    if (b->n == 0)
        return RSP_OK;
    struct event *tick = event_new(es->base, -1, EV_PERSIST, on_tick, &r);
    struct timeval tv = {0, 250000};
    if (!tick || event_add(tick, &tv) != 0) {
        event_free(tick);
        return RSP_ERR_NOMEM;
    }
    launch(&r);
    if (r.in_flight)
        event_base_dispatch(es->base);
    event_free(tick);
    if (r.stopped) {
        /* Calls still out are abandoned: freeing their connection answers their callbacks now
         * (RSP_ERR_STATE), while r is still alive. */
        for (unsigned i = 0; i < es->nc; i++)
            if (es->busy[i]) {
                es->connects_done += rsp_http_client_connects(es->c[i]);
                rsp_http_client_free(es->c[i]);
                es->c[i] = NULL;
                if (client_new(es, i) != RSP_OK)
                    es->c[i] = NULL;
            }
    }
    b->seconds = now_s() - r.t0;
    progress(&r, true);
    if (r.stopped)
        return RSP_ERR_STATE;
    return r.err;
}

/* ---- GET (/metrics, /health): lib/net's client only POSTs, so a plain request on the transport ---- */
typedef struct get_ctx {
    struct event_base *base;
    struct evbuffer *in;
    bool done, failed;
} get_ctx;

static void get_read(struct bufferevent *bev, void *arg)
{
    get_ctx *g = arg;
    evbuffer_add_buffer(g->in, bufferevent_get_input(bev));
}

static void get_event(struct bufferevent *bev, short what, void *arg)
{
    get_ctx *g = arg;
    if (what & BEV_EVENT_CONNECTED)
        return;
    evbuffer_add_buffer(g->in, bufferevent_get_input(bev));
    g->failed = (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) && evbuffer_get_length(g->in) == 0;
    g->done = true;
    event_base_loopbreak(g->base);
}

rsp_err demo_es_get(demo_es *es, const char *path, int *status, char **body, rsp_diag *diag)
{
    *status = 0;
    *body = NULL;
    struct bufferevent *bev = NULL;
    rsp_err e = rsp_tls_transport(es->tls)->client_bev(es->base, es->tls, "127.0.0.1", &bev);
    if (e)
        return rsp_diag_set(diag, e, "GET %s: %s", path, rsp_err_msg(e));
    get_ctx g = {es->base, evbuffer_new(), false, false};
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(es->port);
    struct timeval tv = {10, 0};
    bufferevent_setcb(bev, get_read, NULL, get_event, &g);
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    if (!g.in || bufferevent_socket_connect(bev, (struct sockaddr *)&a, sizeof(a)) != 0) {
        e = RSP_ERR_NET;
    } else {
        evbuffer_add_printf(bufferevent_get_output(bev),
                            "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", path, es->port);
        while (!g.done && event_base_dispatch(es->base) == 0 && !g.done)
            ;
        e = g.failed ? RSP_ERR_NET : RSP_OK;
    }
    bufferevent_free(bev);
    size_t n = g.in ? evbuffer_get_length(g.in) : 0;
    char *all = e ? NULL : malloc(n + 1);
    if (all) {
        evbuffer_remove(g.in, all, n);
        all[n] = 0;
        int st = 0;
        const char *sep = strstr(all, "\r\n\r\n");
        if (sscanf(all, "HTTP/1.%*d %d", &st) == 1 && sep) {
            *status = st;
            memmove(all, sep + 4, strlen(sep + 4) + 1);
            *body = all;
        } else {
            free(all);
            e = RSP_ERR_PROTOCOL;
        }
    }
    if (g.in)
        evbuffer_free(g.in);
    return e ? rsp_diag_set(diag, e, "GET %s: %s", path, rsp_err_msg(e)) : RSP_OK;
}
