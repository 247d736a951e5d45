/* `rsp smdpp run`: ES9+ over HTTPS (server authentication only: an LPA has no client certificate),
 * plus GET /metrics and /health, on one libevent loop; SIGTERM/SIGINT stop it after the answers in
 * flight. Conventions of the other daemons: --listen with port 0, --port-file written atomically,
 * key=value log lines. Each ES9+ call is answered synchronously (es9.c commits before answering). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "rsp/heap.h"
#include "rsp/hostport.h"
#include "rsp/http.h"
#include "rsp/log.h"
#include "rsp/metrics.h"
#include "rsp/smds.h"
#include "rsp/store.h"
#include "rsp/svc.h"
#include "rsp/tls.h"
#include "smdpp_int.h"

typedef struct daemon_ctx {
    rsp_smdpp *s;
    struct event_base *base;
    rsp_http_server *http, *es2, *plain; /* plain: --metrics-listen (/metrics, /health only) */
    rsp_metrics *metrics;
    rsp_metric *m_calls, *m_commits;
    int stopping;
    rsp_svc *svc;                /* the outbox's sender, when --es2-notify is set */
    rsp_svc_outbox *outbox;
    const char *notify_url;
    unsigned long seq;
} daemon_ctx;

/* ES2+.HandleDownloadProgressInfo into the durable outbox (delivered at least once; the key makes a
 * step reported once per order and point). */
static void progress(void *arg, const rsp_smdpp_order *o, int point, bool ok, const char *subject, const char *reason)
{
    daemon_ctx *d = arg;
    char ts[32], call_id[64], key[128];
    time_t now = (time_t)rsp_smdpp__now(d->s);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(call_id, sizeof(call_id), "smdpp-%ld-%lu", (long)now, ++d->seq);
    snprintf(key, sizeof(key), "es2p-%s-%s-%d", o->iccid, o->tid[0] ? o->tid : o->matching_id, point);
    json_t *st = ok ? json_pack("{s:s}", "status", "Executed-Success")
                    : json_pack("{s:s,s:{s:s,s:s}}", "status", "Failed", "statusCodeData", "subjectCode",
                                subject ? subject : "8.1", "reasonCode", reason ? reason : "127");
    json_t *j = json_pack("{s:{s:s,s:s},s:s,s:s,s:s,s:s,s:i,s:o}", "header", "functionRequesterIdentifier",
                          d->s->public_address, "functionCallIdentifier", call_id, "eid", o->eid, "iccid", o->iccid,
                          "profileType", o->type, "timestamp", ts, "notificationPointId", point,
                          "notificationPointStatus", st);
    char *body = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    rsp_err e = body ? rsp_svc_outbox_put(d->outbox, key, 0, d->notify_url, "application/json", NULL,
                                          (const uint8_t *)body, strlen(body))
                     : RSP_ERR_NOMEM;
    if (e)
        RSP_LOGE(RSP_SS_SMDP, "es2+ progress not stored", "iccid=%s point=%d err=%s", o->iccid, point,
                 rsp_err_name(e));
    free(body);
    json_decref(j);
}

/* ES12 RegisterEvent / DeleteEvent of an order into the same outbox (smds_ev.c decides when). The
 * eventId is the matchingId: the LPA uses it as one at our ES9+ (SGP22.md §SM-DS). */
static rsp_err smds_event(void *arg, const rsp_smdpp_order *o, bool reg)
{
    daemon_ctx *d = arg;
    rsp_smds_es12_msg m;
    rsp_smds_es12_msg_init(&m, reg ? RSP_SMDS_REGISTER_EVENT : RSP_SMDS_DELETE_EVENT, false);
    snprintf(m.requester, sizeof(m.requester), "%.64s", d->s->public_address);
    snprintf(m.call_id, sizeof(m.call_id), "smdpp-%s-%lu", reg ? "reg" : "del", ++d->seq);
    snprintf(m.eid, sizeof(m.eid), "%s", o->eid);
    snprintf(m.event_id, sizeof(m.event_id), "%s", o->matching_id);
    snprintf(m.rsp_server_address, sizeof(m.rsp_server_address), "%s", d->s->public_address);
    char url[RSP_ES9P_MAX_ADDRESS + 64], key[160];
    snprintf(url, sizeof(url), "https://%s%s", o->smds, rsp_smds_es12_path(m.func));
    snprintf(key, sizeof(key), "es12-%s-%s-%s", reg ? "reg" : "del", o->eid, o->matching_id);
    rsp_buf body = RSP_BUF_INIT;
    rsp_diag dg = {0};
    rsp_err e = rsp_smds_es12_encode(&m, &body, &dg);
    if (!e)
        e = rsp_svc_outbox_put(d->outbox, key, 0, url, "application/json", NULL, body.data, body.len);
    if (e)
        RSP_LOGE(RSP_SS_SMDP, "es12 event not stored", "matching_id=%s smds=%s err=%s why=\"%s\"", o->matching_id,
                 o->smds, rsp_err_name(e), dg.msg);
    else
        RSP_LOGN(RSP_SS_SMDP, "es12 event queued", "matching_id=%s eid=%s smds=%s call=%s", o->matching_id, o->eid,
                 o->smds, reg ? "registerEvent" : "deleteEvent");
    rsp_buf_free(&body);
    return e;
}

static const char json_headers[] = "Content-Type: application/json;charset=UTF-8\r\nX-Admin-Protocol: gsma/rsp/v2.2.0\r\n";

static void collect(void *arg, rsp_metrics *m)
{
    (void)m;
    daemon_ctx *d = arg;
    for (int f = 0; f < RSP_ES9P_FUNC_N; f++)
        for (int failed = 0; failed < 2; failed++) {
            const char *v[] = {rsp_es9p_func_name((rsp_es9p_func)f), failed ? "failed" : "ok"};
            rsp_metric_set(d->m_calls, v, (double)d->s->calls[f][failed]);
        }
    /* the commits behind those calls: smdpp.db's by level, and the inventory's store (identities
     * taken and marked, the outbox), whose every commit outside a batch is durable */
    const char *full[] = {"smdpp", "full"}, *normal[] = {"smdpp", "normal"}, *inv[] = {"inventory", "full"};
    rsp_store_batch_stats st;
    rsp_store_batch_stats_get(rsp_smdp_inv_store(d->s->inv), &st);
    rsp_metric_set(d->m_commits, full, (double)d->s->commits[1]);
    rsp_metric_set(d->m_commits, normal, (double)d->s->commits[0]);
    rsp_metric_set(d->m_commits, inv, (double)st.commits);
}

static void on_request(void *arg, rsp_http_req *req)
{
    daemon_ctx *d = arg;
    const char *target = rsp_http_req_target(req);
    const char *method = rsp_http_req_method(req);
    if (rsp_svc_http_ops(req, d->metrics, d->stopping))
        return;
    rsp_es9p_func f;
    if (rsp_es9p_path_parse(target, &f, NULL) != RSP_OK) {
        rsp_http_respond(req, 404, "Content-Type: text/plain\r\n", (const uint8_t *)"no such function\n", 17);
        return;
    }
    if (strcmp(method, "POST")) {
        rsp_http_respond(req, 405, "Allow: POST\r\n", NULL, 0);
        return;
    }
    const char *ct = rsp_http_req_header(req, "Content-Type");
    const char *ap = rsp_http_req_header(req, "X-Admin-Protocol");
    size_t len;
    const uint8_t *body = rsp_http_req_body(req, &len);
    rsp_buf out = RSP_BUF_INIT;
    int status = 200;
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ap && strncmp(ap, "gsma/rsp/v", 10) != 0)) {
        /* as osmo-smdpp: a request that is not ES9+ JSON is refused before it is read */
        rsp_es9p_msg m;
        rsp_es9p_msg_init(&m, f, true);
        rsp_es9p_set_failed(&m, "1.2.1", "2.1", "Content-Type must be application/json");
        rsp_es9p_encode(&m, &out, NULL);
    } else {
        rsp_smdpp_es9(d->s, f, body, len, &status, &out);
    }
    rsp_http_respond(req, status, status == 204 ? "X-Admin-Protocol: gsma/rsp/v2.2.0\r\n" : json_headers, out.data,
                     out.len);
    rsp_buf_free(&out);
}

/* --metrics-listen: a plain-HTTP listener for monitoring (and `rsp bench smdpp`) that answers
 * /metrics and /health only, never ES9+. */
static void on_plain(void *arg, rsp_http_req *req)
{
    daemon_ctx *d = arg;
    if (!rsp_svc_http_ops(req, d->metrics, d->stopping))
        rsp_http_respond(req, 404, "Content-Type: text/plain\r\n", (const uint8_t *)"no such page\n", 13);
}

/* ES2+: mutual TLS, the operator is its certificate's CN. */
static void on_es2(void *arg, rsp_http_req *req)
{
    daemon_ctx *d = arg;
    if (strcmp(rsp_http_req_method(req), "POST")) {
        rsp_http_respond(req, 405, "Allow: POST\r\n", NULL, 0);
        return;
    }
    const rsp_net_peer *peer = rsp_http_req_peer(req);
    size_t len;
    const uint8_t *body = rsp_http_req_body(req, &len);
    rsp_buf out = RSP_BUF_INIT;
    int status = 200;
    rsp_smdpp_es2(d->s, peer->kind == RSP_NET_PEER_CERT ? peer->cn : NULL, rsp_http_req_target(req), body, len, &status,
                  &out);
    rsp_http_respond(req, status, status == 200 ? json_headers : "Content-Type: text/plain\r\n", out.data, out.len);
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
    RSP_LOGN(RSP_SS_SMDP, "smdpp stopping", "name=%s", "smdpp");
    rsp_http_server_drain(d->http);
    if (d->es2)
        rsp_http_server_drain(d->es2);
    if (d->plain)
        rsp_http_server_drain(d->plain);
    if (d->svc) {
        rsp_svc_stop(d->svc); /* its run returns once the callbacks queued are sent (grace) */
        return;
    }
    struct timeval tv = {0, 200000};
    event_base_loopexit(d->base, &tv);
}

/* Binds one HTTPS listener of the loop (ES9+ or ES2+) to its handler. */
static rsp_err listen_on(daemon_ctx *d, const char *host, uint16_t port, rsp_tls_ctx *tls, rsp_http_handler_fn handler,
                         const char *log_name, const char *listen, rsp_http_server **out, rsp_diag *diag)
{
    rsp_http_server_opts ho;
    memset(&ho, 0, sizeof(ho));
    ho.host = host;
    ho.port = port;
    ho.tls = tls;
    ho.handler = handler;
    ho.arg = d;
    ho.log_name = log_name;
    rsp_err e = rsp_http_server_new(d->base, &ho, out);
    return e ? rsp_diag_set(diag, e, "cannot listen on %s", listen) : RSP_OK;
}

rsp_err rsp_smdpp_run(rsp_smdpp *s, const rsp_smdpp_run_opts *o, rsp_diag *diag)
{
    if (!s || !o || !o->listen)
        return RSP_ERR_INVAL;
    char host[256], host2[256], host3[256];
    uint16_t port, port2 = 0, port3 = 0;
    rsp_err e0 = rsp_hostport_split(o->listen, RSP_HOSTPORT_REQUIRED, host, sizeof(host), &port, diag);
    if (!e0 && o->metrics_listen)
        e0 = rsp_hostport_split(o->metrics_listen, RSP_HOSTPORT_REQUIRED, host3, sizeof(host3), &port3, diag);
    if (!e0 && o->es2_listen) {
        if (!o->es2_ca)
            return rsp_diag_set(diag, RSP_ERR_INVAL, "ES2+ needs the operators' CA (--es2-ca)");
        e0 = rsp_hostport_split(o->es2_listen, RSP_HOSTPORT_REQUIRED, host2, sizeof(host2), &port2, diag);
    }
    if (e0)
        return e0;
    rsp_heap_tune_daemon(); /* `rsp smdpp run` is a daemon: every call allocates SQLite/TLS buffers */
    daemon_ctx d;
    memset(&d, 0, sizeof(d));
    d.s = s;
    rsp_tls_ctx *tls = NULL, *tls2 = NULL;
    struct event *ev_term = NULL, *ev_int = NULL;
    /* our DPtls certificate, on ES9+ (clients are not asked for one: an LPA has none), ES2+ and the outbox */
    char cert[700], key[700];
    snprintf(cert, sizeof(cert), "%s/dptls/cert.pem", s->dir);
    snprintf(key, sizeof(key), "%s/dptls/key.pem", s->dir);
    rsp_err e = rsp_tls_server_new(cert, key, &tls);
    if (e)
        rsp_diag_set(diag, e, "TLS: cannot load %s / %s", cert, key);
    if (!e && !(d.base = event_base_new()))
        e = RSP_ERR_NOMEM;
    if (!e)
        e = rsp_metrics_new(&d.metrics);
    static const char *const labels[] = {"function", "result"};
    if (!e)
        e = rsp_metrics_add(d.metrics, RSP_METRIC_COUNTER, "rsp_smdpp_es9_calls_total", "ES9+ calls by function and result.",
                            labels, 2, NULL, 0, &d.m_calls);
    static const char *const clabels[] = {"db", "sync"};
    if (!e)
        e = rsp_metrics_add(d.metrics, RSP_METRIC_COUNTER, "rsp_smdpp_commits_total",
                            "Commits of smdpp.db by synchronous level, and of the inventory's store.", clabels, 2,
                            NULL, 0, &d.m_commits);
    if (!e)
        e = rsp_metrics_on_collect(d.metrics, collect, &d);
    if (!e)
        e = listen_on(&d, host, port, tls, on_request, "smdpp", o->listen, &d.http, diag);
    if (!e && o->metrics_listen)
        e = listen_on(&d, host3, port3, NULL, on_plain, "smdpp-metrics", o->metrics_listen, &d.plain, diag);
    if (!e && o->metrics_port_file && rsp_hostport_port_file(o->metrics_port_file, rsp_http_server_port(d.plain)))
        e = rsp_diag_set(diag, RSP_ERR_IO, "cannot write the port file %s", o->metrics_port_file);
    if (!e && o->es2_listen) {
        const char *cas[] = {o->es2_ca};
        if ((e = rsp_tls_server_mtls_new(cert, key, cas, 1, &tls2)) != RSP_OK)
            rsp_diag_set(diag, e, "ES2+ TLS: cannot load %s with the CA %s", cert, o->es2_ca);
    }
    if (!e && o->es2_listen)
        e = listen_on(&d, host2, port2, tls2, on_es2, "smdpp-es2", o->es2_listen, &d.es2, diag);
    if (!e && o->es2_port_file && rsp_hostport_port_file(o->es2_port_file, rsp_http_server_port(d.es2)))
        e = rsp_diag_set(diag, RSP_ERR_IO, "cannot write the port file %s", o->es2_port_file);
    /* the trust store of the outbox's client: the operators' servers and the SM-DSs */
    char ca_list[1500];
    snprintf(ca_list, sizeof(ca_list), "%s%s%s", o->es2_ca ? o->es2_ca : "", o->es2_ca && o->smds_ca ? "," : "",
             o->smds_ca ? o->smds_ca : "");
    if (!e && (o->es2_notify || o->smds_ca)) {
        if (o->es2_notify && !o->es2_listen)
            e = rsp_diag_set(diag, RSP_ERR_INVAL, "--es2-notify needs ES2+ (--es2-listen, --es2-ca)");
        /* lib/svc owns the outbox and its sender; its own listener (loopback, any port) is unused */
        rsp_svc_opts so;
        memset(&so, 0, sizeof(so));
        so.name = "smdpp";
        so.log_ss = RSP_SS_SMDP;
        so.base = d.base;
        so.listen = "127.0.0.1:0";
        so.tls_cert = cert;
        so.tls_key = key;
        so.tls_ca = ca_list;
        so.no_signals = 1;
        if (!e)
            e = rsp_svc_new(&so, &d.svc, diag);
        rsp_svc_outbox_opts oo;
        memset(&oo, 0, sizeof(oo));
        oo.st = rsp_smdp_inv_store(s->inv);
        oo.owner = "smdpp";
        oo.worker = "smdpp";
        if (!e && (e = rsp_svc_outbox_new(d.svc, &oo, &d.outbox)) != RSP_OK)
            rsp_diag_set(diag, e, "cannot start the ES2+ outbox");
        if (!e && o->es2_notify) {
            d.notify_url = o->es2_notify;
            s->progress = progress;
            s->progress_arg = &d;
        }
        if (!e && o->smds_ca) {
            s->smds_event = smds_event;
            s->smds_arg = &d;
        }
    }
    if (!e && !strchr(s->address, ':')) {
        char pa[sizeof(s->public_address) + 8];
        snprintf(pa, sizeof(pa), "%s:%u", s->address, rsp_http_server_port(d.http));
        if (strlen(pa) < sizeof(s->public_address))
            memcpy(s->public_address, pa, strlen(pa) + 1);
    }
    if (!e)
        rsp_smdpp__smds_sweep(s); /* events a crash left behind their orders (smds_ev.c) */
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
        RSP_LOGN(RSP_SS_SMDP, "listening", "name=smdpp addr=%s port=%u address=%s pid=%ld recovered=%zu",
                 o->listen, rsp_http_server_port(d.http), s->address, (long)getpid(), s->recovered);
        if (d.svc)
            e = rsp_svc_run(d.svc);
        else
            event_base_dispatch(d.base);
        RSP_LOGN(RSP_SS_SMDP, "stopped", "name=%s", "smdpp");
    }
    s->progress = NULL;
    s->smds_event = NULL;
    if (d.svc)
        rsp_svc_free(d.svc);
    if (ev_term)
        event_free(ev_term);
    if (ev_int)
        event_free(ev_int);
    if (d.http)
        rsp_http_server_free(d.http);
    if (d.es2)
        rsp_http_server_free(d.es2);
    if (d.plain)
        rsp_http_server_free(d.plain);
    rsp_tls_ctx_free(tls2);
    rsp_metrics_free(d.metrics);
    if (d.base)
        event_base_free(d.base);
    rsp_tls_ctx_free(tls);
    return e;
}
