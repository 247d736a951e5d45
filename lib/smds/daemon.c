/* `rsp smds run`: ES11 over HTTPS for LPAs (server authentication: an LPA has no client certificate),
 * with GET /metrics and /health, and ES12 over mutual TLS for SM-DP+s, on one libevent loop; the
 * conventions of `rsp smdpp run` (port 0 with --port-file, key=value logs, SIGTERM/SIGINT stop after
 * the answers in flight). Every call is answered synchronously; ES12 commits before answering. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "rsp/svc.h"
#include "rsp/hostport.h"
#include "rsp/http.h"
#include "rsp/log.h"
#include "rsp/metrics.h"
#include "rsp/tls.h"
#include "smds_int.h"

typedef struct daemon_ctx {
    rsp_smds *s;
    struct event_base *base;
    rsp_http_server *http, *es12;
    rsp_metrics *metrics;
    rsp_metric *m_es11, *m_es12, *m_events;
    int stopping;
} daemon_ctx;

static const char json_headers[] = "Content-Type: application/json;charset=UTF-8\r\nX-Admin-Protocol: gsma/rsp/v2.2.0\r\n";

static void collect(void *arg, rsp_metrics *m)
{
    (void)m;
    daemon_ctx *d = arg;
    static const char *const es11[] = {"initiateAuthentication", "authenticateClient"};
    static const char *const es12[] = {"registerEvent", "deleteEvent"};
    for (int f = 0; f < 2; f++)
        for (int failed = 0; failed < 2; failed++) {
            const char *v11[] = {es11[f], failed ? "failed" : "ok"}, *v12[] = {es12[f], failed ? "failed" : "ok"};
            rsp_metric_set(d->m_es11, v11, (double)d->s->es11_calls[f][failed]);
            rsp_metric_set(d->m_es12, v12, (double)d->s->es12_calls[f][failed]);
        }
    size_t n = 0;
    if (rsp_store_smds_count(d->s->st, &n) == RSP_OK)
        rsp_metric_set(d->m_events, NULL, (double)n);
}

static bool json_request(rsp_http_req *req)
{
    const char *ct = rsp_http_req_header(req, "Content-Type");
    return ct && strncasecmp(ct, "application/json", 16) == 0;
}

static void on_es11(void *arg, rsp_http_req *req)
{
    daemon_ctx *d = arg;
    const char *target = rsp_http_req_target(req);
    if (rsp_svc_http_ops(req, d->metrics, d->stopping)) /* the svc's /metrics and /health */
        return;
    rsp_es9p_func f;
    if (rsp_es9p_es11_path_parse(target, &f, NULL) != RSP_OK) {
        rsp_http_respond(req, 404, "Content-Type: text/plain\r\n", (const uint8_t *)"no such function\n", 17);
        return;
    }
    if (strcmp(rsp_http_req_method(req), "POST")) {
        rsp_http_respond(req, 405, "Allow: POST\r\n", NULL, 0);
        return;
    }
    size_t len;
    const uint8_t *body = rsp_http_req_body(req, &len);
    rsp_buf out = RSP_BUF_INIT;
    int status = 200;
    /* as the SM-DP+: a body that is not JSON is refused before it is read */
    rsp_smds_es11(d->s, f, json_request(req) ? body : (const uint8_t *)"", json_request(req) ? len : 0, &status, &out);
    rsp_http_respond(req, status, json_headers, out.data, out.len);
    rsp_buf_free(&out);
}

static void on_es12(void *arg, rsp_http_req *req)
{
    daemon_ctx *d = arg;
    rsp_smds_es12_func f;
    if (rsp_smds_es12_path_parse(rsp_http_req_target(req), &f, NULL) != RSP_OK) {
        rsp_http_respond(req, 404, "Content-Type: text/plain\r\n", (const uint8_t *)"no such function\n", 17);
        return;
    }
    if (strcmp(rsp_http_req_method(req), "POST")) {
        rsp_http_respond(req, 405, "Allow: POST\r\n", NULL, 0);
        return;
    }
    const rsp_net_peer *peer = rsp_http_req_peer(req);
    size_t len;
    const uint8_t *body = rsp_http_req_body(req, &len);
    rsp_buf out = RSP_BUF_INIT;
    int status = 200;
    rsp_smds_es12(d->s, peer && peer->kind == RSP_NET_PEER_CERT ? peer->subject : NULL, f,
                  json_request(req) ? body : (const uint8_t *)"", json_request(req) ? len : 0, &status, &out);
    rsp_http_respond(req, status, json_headers, out.data, out.len);
    rsp_buf_free(&out);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    daemon_ctx *d = arg;
    if (d->stopping)
        return;
    d->stopping = 1;
    RSP_LOGN(RSP_SS_SMDP, "smds stopping", "name=%s", "smds");
    rsp_http_server_drain(d->http);
    rsp_http_server_drain(d->es12);
    struct timeval tv = {0, 200000};
    event_base_loopexit(d->base, &tv);
}

static rsp_err listen_on(daemon_ctx *d, const char *listen, rsp_tls_ctx *tls, rsp_http_handler_fn handler,
                         const char *log_name, rsp_http_server **out, rsp_diag *diag)
{
    char host[256];
    uint16_t port;
    rsp_err e = rsp_hostport_split(listen, RSP_HOSTPORT_REQUIRED, host, sizeof(host), &port, diag);
    if (e)
        return e;
    rsp_http_server_opts ho;
    memset(&ho, 0, sizeof(ho));
    ho.host = host;
    ho.port = port;
    ho.tls = tls;
    ho.handler = handler;
    ho.arg = d;
    ho.log_name = log_name;
    e = rsp_http_server_new(d->base, &ho, out);
    return e ? rsp_diag_set(diag, e, "cannot listen on %s", listen) : RSP_OK;
}

rsp_err rsp_smds_run(rsp_smds *s, const rsp_smds_run_opts *o, rsp_diag *diag)
{
    if (!s || !o || !o->listen || !o->es12_listen || !o->es12_ca)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "smds: --listen, --es12-listen and --es12-ca are needed");
    daemon_ctx d;
    memset(&d, 0, sizeof(d));
    d.s = s;
    rsp_tls_ctx *tls = NULL, *tls12 = NULL;
    struct event *ev_term = NULL, *ev_int = NULL;
    char cert[700], key[700];
    snprintf(cert, sizeof(cert), "%s/dstls/cert.pem", s->dir);
    snprintf(key, sizeof(key), "%s/dstls/key.pem", s->dir);
    const char *cas[] = {o->es12_ca};
    rsp_err e = rsp_tls_server_new(cert, key, &tls);
    if (e)
        rsp_diag_set(diag, e, "TLS: cannot load %s / %s", cert, key);
    if (!e && (e = rsp_tls_server_mtls_new(cert, key, cas, 1, &tls12)) != RSP_OK)
        rsp_diag_set(diag, e, "ES12 TLS: cannot load %s with the CA %s", cert, o->es12_ca);
    if (!e && !(d.base = event_base_new()))
        e = RSP_ERR_NOMEM;
    if (!e)
        e = rsp_metrics_new(&d.metrics);
    static const char *const labels[] = {"function", "result"};
    if (!e)
        e = rsp_metrics_add(d.metrics, RSP_METRIC_COUNTER, "rsp_smds_es11_calls_total", "ES11 calls by function and result.",
                            labels, 2, NULL, 0, &d.m_es11);
    if (!e)
        e = rsp_metrics_add(d.metrics, RSP_METRIC_COUNTER, "rsp_smds_es12_calls_total", "ES12 calls by function and result.",
                            labels, 2, NULL, 0, &d.m_es12);
    if (!e)
        e = rsp_metrics_add(d.metrics, RSP_METRIC_GAUGE, "rsp_smds_events", "Event records held.", NULL, 0, NULL, 0,
                            &d.m_events);
    if (!e)
        e = rsp_metrics_on_collect(d.metrics, collect, &d);
    if (!e)
        e = listen_on(&d, o->listen, tls, on_es11, "smds", &d.http, diag);
    if (!e)
        e = listen_on(&d, o->es12_listen, tls12, on_es12, "smds-es12", &d.es12, diag);
    if (!e && !strchr(s->address, ':')) {
        char pa[sizeof(s->public_address) + 8];
        snprintf(pa, sizeof(pa), "%s:%u", s->address, rsp_http_server_port(d.http));
        if (strlen(pa) < sizeof(s->public_address))
            memcpy(s->public_address, pa, strlen(pa) + 1);
    }
    if (!e && o->es12_port_file && rsp_hostport_port_file(o->es12_port_file, rsp_http_server_port(d.es12)))
        e = rsp_diag_set(diag, RSP_ERR_IO, "cannot write the port file %s", o->es12_port_file);
    if (!e && o->port_file && rsp_hostport_port_file(o->port_file, rsp_http_server_port(d.http)))
        e = rsp_diag_set(diag, RSP_ERR_IO, "cannot write the port file %s", o->port_file);
    if (!e) {
        signal(SIGPIPE, SIG_IGN);
        ev_term = evsignal_new(d.base, SIGTERM, on_signal, &d);
        ev_int = evsignal_new(d.base, SIGINT, on_signal, &d);
        if (!ev_term || !ev_int || evsignal_add(ev_term, NULL) || evsignal_add(ev_int, NULL))
            e = rsp_diag_set(diag, RSP_ERR_IO, "cannot install signal handlers");
    }
    if (!e) {
        size_t n = 0;
        (void)rsp_store_smds_count(s->st, &n);
        RSP_LOGN(RSP_SS_SMDP, "listening", "name=smds addr=%s port=%u es12_port=%u address=%s pid=%ld events=%zu",
                 o->listen, rsp_http_server_port(d.http), rsp_http_server_port(d.es12), s->address, (long)getpid(), n);
        event_base_dispatch(d.base);
        RSP_LOGN(RSP_SS_SMDP, "stopped", "name=%s", "smds");
    }
    if (ev_term)
        event_free(ev_term);
    if (ev_int)
        event_free(ev_int);
    if (d.http)
        rsp_http_server_free(d.http);
    if (d.es12)
        rsp_http_server_free(d.es12);
    rsp_metrics_free(d.metrics);
    if (d.base)
        event_base_free(d.base);
    rsp_tls_ctx_free(tls12);
    rsp_tls_ctx_free(tls);
    return e;
}
