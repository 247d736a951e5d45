/* The LPA's ES9+ client (lpa.h §ES9+): one synchronous call = Q's codec (es9p.h) + our HTTPS client
 * (http.h) on a private event loop. The server is authenticated by TLS against the CA file the user
 * gives (SGP22.md: the DP TLS certificate chains to a CI); there is no client certificate in ES9+. Each
 * call may reuse the kept-alive connection; nothing of the session lives in it (SGP22.md [run]). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "rsp/es9p.h"
#include "rsp/hostport.h"
#include "rsp/http.h"
#include "rsp/lpa.h"
#include "rsp/tls.h"

struct rsp_lpa_es9 {
    struct event_base *base;
    rsp_tls_ctx *tls;
    rsp_http_client *http;
    char host[256];
    uint16_t port;
};

rsp_err rsp_lpa_es9_new(const char *address, const char *ca_file, bool insecure, unsigned timeout_ms,
                        rsp_lpa_es9 **out, rsp_diag *diag)
{
    *out = NULL;
    if (!ca_file && !insecure)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "ES9+: a CA file is needed to authenticate %s (--ca)", address);
    if (ca_file && insecure)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "ES9+: --ca and --insecure exclude each other");
    rsp_lpa_es9 *s = calloc(1, sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    /* "host", "host:port", "[v6]" or "[v6]:port"; the default port of ES9+ is HTTPS's */
    rsp_diag hd;
    rsp_diag_clear(&hd);
    if (rsp_hostport_split(address, 443, s->host, sizeof(s->host), &s->port, &hd) != RSP_OK || !s->port) {
        free(s);
        return hd.msg[0] ? rsp_diag_set(diag, RSP_ERR_FORMAT, "SM-DP+ %s", hd.msg)
                         : rsp_diag_set(diag, RSP_ERR_FORMAT, "SM-DP+ address '%s': port 0", address);
    }
    const char *cas[] = {ca_file};
    rsp_err e = insecure ? rsp_tls_client_unverified_new(&s->tls) : rsp_tls_client_mtls_new(NULL, NULL, cas, 1, &s->tls);
    if (e) {
        free(s);
        return rsp_diag_set(diag, e, "ES9+: CA file %s: %s", ca_file ? ca_file : "-", rsp_err_msg(e));
    }
    s->base = event_base_new();
    rsp_http_client_opts o = {s->host, s->port, s->tls, timeout_ms ? timeout_ms : 30000, 0};
    e = s->base ? rsp_http_client_new(s->base, &o, &s->http) : RSP_ERR_NOMEM;
    if (e) {
        rsp_lpa_es9_free(s);
        return rsp_diag_set(diag, e, "ES9+: HTTPS client: %s", rsp_err_msg(e));
    }
    *out = s;
    return RSP_OK;
}

void rsp_lpa_es9_free(rsp_lpa_es9 *s)
{
    if (!s)
        return;
    rsp_http_client_free(s->http);
    if (s->base)
        event_base_free(s->base);
    rsp_tls_ctx_free(s->tls);
    free(s);
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

static const char es9_headers[] = "Content-Type: application/json\r\nX-Admin-Protocol: gsma/rsp/v2.2.0\r\n"
                                  "User-Agent: gsma-rsp-lpad\r\n";

/* One POST; *status and the body in r. */
static rsp_err post(rsp_lpa_es9 *s, const char *path, const uint8_t *body, size_t len, reply *r, rsp_diag *diag)
{
    rsp_err e = rsp_http_client_post(s->http, path, es9_headers, body, len, on_reply, r);
    while (!e && !r->done)
        if (event_base_dispatch(s->base) < 0)
            e = RSP_ERR_INTERNAL;
    const char *fn = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!e && r->err)
        e = rsp_diag_set(diag, r->err, "%s: %s (%s:%u)", fn, rsp_err_msg(r->err), s->host, s->port);
    if (!e && (r->status < 200 || r->status > 299))
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "%s: HTTP %d", fn, r->status);
    return e;
}

rsp_err rsp_lpa_es9_post(rsp_lpa_es9 *s, const char *path, const rsp_buf *body, rsp_buf *ans, rsp_diag *diag)
{
    reply r = {s->base, false, RSP_OK, 0, RSP_BUF_INIT};
    rsp_buf_reset(ans);
    rsp_err e = post(s, path, body->data, body->len, &r, diag);
    e = e ? e : rsp_buf_append(ans, r.body.data, r.body.len);
    rsp_buf_free(&r.body);
    return e;
}

rsp_err rsp_lpa_es9_call(rsp_lpa_es9 *s, const rsp_es9p_msg *req, rsp_es9p_msg *ans, rsp_diag *diag)
{
    rsp_buf body = RSP_BUF_INIT;
    rsp_err e = rsp_es9p_encode(req, &body, diag);
    if (e) {
        rsp_buf_free(&body);
        return e;
    }
    reply r = {s->base, false, RSP_OK, 0, RSP_BUF_INIT};
    e = post(s, rsp_es9p_path(req->func), body.data, body.len, &r, diag);
    rsp_buf_free(&body);
    if (!e && r.status == 204 && r.body.len)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "%s: HTTP 204 with a body", rsp_es9p_func_name(req->func));
    if (!e)
        e = rsp_es9p_decode(req->func, true, r.body.data, r.body.len, ans, diag);
    else
        rsp_es9p_msg_init(ans, req->func, true);
    rsp_buf_free(&r.body);
    return e;
}
