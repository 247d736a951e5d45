/* `rsp demo sgp22`: the operator's ES2+ calls (JSON over HTTPS with mutual TLS, SGP22.md §ES2+; the
 * codec is lib/es/es2p.c) and a read of the SM-DP+'s /metrics (a GET on its plain --metrics-listen
 * port, as monitoring reads it). One call at a time on a private event loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "demo22.h"
#include "rsp/http.h"
#include "bench_procs.h"
#include "rsp/metrics_read.h"
#include "rsp/tls.h"

struct d22_es2 {
    struct event_base *base;
    rsp_tls_ctx *tls;
    rsp_http_client *http;
};

rsp_err d22_es2_new(const char *host, uint16_t port, const char *cert, const char *key, const char *ca, d22_es2 **out,
                    rsp_diag *diag)
{
    *out = NULL;
    d22_es2 *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    const char *cas[] = {ca};
    rsp_err e = rsp_tls_client_mtls_new(cert, key, cas, 1, &c->tls);
    c->base = e ? NULL : event_base_new();
    if (!e && !c->base)
        e = RSP_ERR_NOMEM;
    rsp_http_client_opts o = {host, port, c->tls, 30000, 0};
    e = e ? e : rsp_http_client_new(c->base, &o, &c->http);
    if (e) {
        d22_es2_free(c);
        return rsp_diag_set(diag, e, "ES2+ client (%s, %s): %s", cert, ca, rsp_err_msg(e));
    }
    *out = c;
    return RSP_OK;
}

void d22_es2_free(d22_es2 *c)
{
    if (!c)
        return;
    rsp_http_client_free(c->http);
    if (c->base)
        event_base_free(c->base);
    rsp_tls_ctx_free(c->tls);
    free(c);
}

typedef struct reply {
    struct event_base *base;
    bool done;
    rsp_err err;
    int status;
    rsp_buf body;
} reply;

static void on_reply(void *arg, rsp_err err, const rsp_http_response *resp)
{
    reply *r = arg;
    r->done = true;
    r->err = err;
    if (!err) {
        r->status = resp->status;
        if (rsp_buf_set(&r->body, resp->body, resp->body_len) != RSP_OK)
            r->err = RSP_ERR_NOMEM;
    }
    event_base_loopbreak(r->base);
}

rsp_err d22_es2_call(d22_es2 *c, const rsp_es2p_msg *req, rsp_es2p_msg *ans, rsp_diag *diag)
{
    rsp_buf body = RSP_BUF_INIT;
    rsp_es2p_msg_init(ans, req->func, true);
    rsp_err e = rsp_es2p_encode(req, &body, diag);
    reply r = {c->base, false, RSP_OK, 0, RSP_BUF_INIT};
    e = e ? e
          : rsp_http_client_post(c->http, rsp_es2p_path(req->func), "Content-Type: application/json\r\n", body.data,
                                 body.len, on_reply, &r);
    while (!e && !r.done)
        if (event_base_dispatch(c->base) < 0)
            e = RSP_ERR_INTERNAL;
    rsp_buf_free(&body);
    if (!e && r.err)
        e = rsp_diag_set(diag, r.err, "ES2+ %s: %s", rsp_es2p_func_name(req->func), rsp_err_msg(r.err));
    if (!e && r.status != 200)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "ES2+ %s: HTTP %d", rsp_es2p_func_name(req->func), r.status);
    e = e ? e : rsp_es2p_decode(req->func, true, r.body.data, r.body.len, ans, diag);
    rsp_buf_free(&r.body);
    return e;
}

rsp_err d22_smdpp_metric(uint16_t mport, const char *name, const char *labels, double *out, rsp_diag *diag)
{
    *out = 0;
    rsp_buf text = RSP_BUF_INIT;
    char address[32];
    snprintf(address, sizeof(address), "127.0.0.1:%u", (unsigned)mport);
    rsp_err e = rsp_bench_procs_metrics_text(mport, &text);
    if (e)
        rsp_diag_set(diag, e, "%s/metrics: no answer", address);
    bool found = false;
    size_t nl = strlen(name);
    for (char *line = (char *)text.data; !e && line && *line;) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (!strncmp(line, name, nl) && line[nl] == '{' && strstr(line, labels)) {
            /* the sample's value read as the format's (lib/svc/metrics_read.c, fuzzed), never guessed */
            double v = 0;
            rsp_diag md = {0};
            e = rsp_metrics_read_sum(line, strlen(line), name, &v, NULL, &md);
            if (e)
                rsp_diag_set(diag, e, "%s/metrics: %s", address, md.msg);
            *out += v;
            found = true;
        }
        line = next;
    }
    if (!e && !found)
        e = rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "metric %s{%s} not on %s/metrics", name, labels, address);
    rsp_buf_free(&text);
    return e;
}
