/* The blocking ES client (rsp/svc_client.h): encode, POST over mutual TLS, run our own loop until the
 * answer, decode. Each client owns its event_base, so clients in different threads share nothing. */
#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "rsp/crypto.h"
#include "rsp/http.h"
#include "rsp/svc_client.h"
#include "rsp/tls.h"
#include "svc_int.h"

struct rsp_svc_client {
    struct event_base *base;
    rsp_tls_ctx *tls;
    rsp_http_client *http;
    rsp_svc_binding binding;
    rsp_es_dialect dialect;
    char url[256];
    char path[128];    /* the URL's path, "" when it had none (SOAP then posts to /<iface>) */
    char *from;
    unsigned seq;      /* FunctionCallIdentifier counter */
    char prefix[48];   /* FunctionCallIdentifier prefix, unique per client */
    rsp_buf last_req, last_resp;
};

typedef struct answer {
    bool done;
    rsp_err err;
    int status;
    char ctype[96];
    char action[200];
} answer;

typedef struct pending {
    answer *a;
    rsp_buf *body;
} pending;

static void copy_header(const rsp_http_response *r, const char *name, char *out, size_t cap)
{
    const rsp_http_header *h = rsp_http_response_header(r, name);
    size_t n = h ? h->value_len : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(out, h->value, n);
    out[n] = 0;
}

static void on_answer(void *arg, rsp_err err, const rsp_http_response *resp)
{
    pending *p = arg;
    p->a->done = true;
    p->a->err = err;
    if (err != RSP_OK || !resp)
        return;
    p->a->status = resp->status;
    copy_header(resp, "Content-Type", p->a->ctype, sizeof(p->a->ctype));
    copy_header(resp, "SOAPAction", p->a->action, sizeof(p->a->action));
    if (rsp_buf_set(p->body, resp->body, resp->body_len) != RSP_OK)
        p->a->err = RSP_ERR_NOMEM;
}

static char *dup_str(const char *s)
{
    return s ? strdup(s) : NULL;
}

static char *new_uuid(void)
{
    uint8_t r[16];
    if (rsp_random(r, sizeof(r)) != RSP_OK)
        return NULL;
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* RFC 4122 version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    char *s = malloc(46);
    if (s)
        snprintf(s, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
                 r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
    return s;
}

rsp_err rsp_svc_client_new(const rsp_svc_client_opts *o, rsp_svc_client **out, rsp_diag *diag)
{
    char host[256];
    uint16_t port = 0;
    const char *path = NULL;
    if (!o || !o->url || !o->tls_cert || !o->tls_key || !o->tls_ca || !out)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "ES client: url, tls_cert, tls_key and tls_ca are required");
    if ((unsigned)o->dialect >= RSP_ES_DIALECT__COUNT || (o->binding != RSP_SVC_BINDING_SOAP && o->binding != RSP_SVC_BINDING_JSON))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "ES client: unknown binding or dialect");
    if (strlen(o->url) >= sizeof(((rsp_svc_client *)0)->url) ||
        rsp_svc_parse_url(o->url, host, sizeof(host), &port, &path) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "URL '%.120s': want https://HOST:PORT[/PATH]", o->url);
    /* libxml2 (2.9) initialises its globals on first use, not thread-safely: one decode here, in the
     * thread that creates the client (before the caller starts its workers), does it. */
    rsp_es_msg warm;
    rsp_es_soap_decode((const uint8_t *)"<a/>", 4, NULL, NULL, &warm, NULL);
    rsp_es_msg_free(&warm);
    rsp_svc_client *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    snprintf(c->url, sizeof(c->url), "%s", o->url);
    /* "/" alone means no path: SOAP then posts to /<iface> */
    if (path && strcmp(path, "/") != 0)
        snprintf(c->path, sizeof(c->path), "%s", path);
    c->binding = o->binding;
    c->dialect = o->dialect;
    uint8_t r[4] = {0};
    rsp_random(r, sizeof(r)); /* two clients started in the same second by one process differ */
    snprintf(c->prefix, sizeof(c->prefix), "op-%lld-%d-%02x%02x%02x%02x", (long long)time(NULL), (int)getpid(), r[0],
             r[1], r[2], r[3]);
    const char *cas[1] = {o->tls_ca};
    rsp_err err = RSP_OK;
    if (o->from && !(c->from = strdup(o->from)))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK && !(c->base = event_base_new()))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK && (err = rsp_tls_client_mtls_new(o->tls_cert, o->tls_key, cas, 1, &c->tls)) != RSP_OK)
        rsp_diag_set(diag, err, "TLS client certificate '%.60s', key or CA '%.60s' not usable", o->tls_cert, o->tls_ca);
    if (err == RSP_OK) {
        rsp_http_client_opts ho = {host, port, c->tls, o->timeout_ms ? o->timeout_ms : 60000, 0};
        err = rsp_http_client_new(c->base, &ho, &c->http);
    }
    if (err != RSP_OK) {
        rsp_svc_client_free(c);
        return err;
    }
    *out = c;
    return RSP_OK;
}

void rsp_svc_client_free(rsp_svc_client *c)
{
    if (!c)
        return;
    if (c->http)
        rsp_http_client_free(c->http);
    rsp_tls_ctx_free(c->tls);
    if (c->base)
        event_base_free(c->base);
    free(c->from);
    rsp_buf_free(&c->last_req);
    rsp_buf_free(&c->last_resp);
    free(c);
}

/* Fills what the request lacks (see the header); every request body starts with rsp_es_req_hdr. */
static rsp_err complete_request(rsp_svc_client *c, rsp_es_msg *m)
{
    rsp_es_req_hdr *h = m->body;
    char fcid[80];
    m->dialect = c->dialect;
    m->response = false;
    if (!h->function_call_id) {
        snprintf(fcid, sizeof(fcid), "%s-%u", c->prefix, ++c->seq);
        if (!(h->function_call_id = strdup(fcid)))
            return RSP_ERR_NOMEM;
    }
    if (!m->wsa.message_id && !(m->wsa.message_id = new_uuid()))
        return RSP_ERR_NOMEM;
    if (!m->wsa.to && !(m->wsa.to = strdup(c->url)))
        return RSP_ERR_NOMEM;
    if (!m->wsa.from && c->from && !(m->wsa.from = dup_str(c->from)))
        return RSP_ERR_NOMEM;
    return RSP_OK;
}

/* The WS-A Action our encoder wrote into the envelope (the dialect's spelling of it), for the SOAPAction
 * header. Our own bytes, written as "<px:Action>value</px:Action>" (lib/es/soap_enc.c), so the first
 * opening tag ending in ":Action>" holds it; the catalogue's form otherwise. */
static void envelope_action(const rsp_buf *env, const rsp_es_msg *m, char *out, size_t cap)
{
    const char *s = (const char *)env->data, *end = s + env->len;
    for (const char *p = s; p + 8 < end; p++) {
        if (memcmp(p, ":Action>", 8) != 0)
            continue;
        const char *lt = p;
        while (lt > s && *lt != '<')
            lt--;
        if (*lt != '<' || lt[1] == '/')
            continue; /* the closing tag */
        const char *v = p + 8, *e = memchr(v, '<', (size_t)(end - v));
        if (e && (size_t)(e - v) < cap) {
            memcpy(out, v, (size_t)(e - v));
            out[e - v] = 0;
            return;
        }
    }
    if (rsp_es_action_format(m->func, false, out, cap) != RSP_OK)
        out[0] = 0;
}

/* A JSON error object {"error":{"code":..,"message":..}} into diag; false when body is not one. */
static bool json_error(const uint8_t *body, size_t len, int status, rsp_diag *diag)
{
    json_t *j = json_loadb((const char *)body, len, 0, NULL);
    json_t *e = j ? json_object_get(j, "error") : NULL;
    bool is = json_is_object(e);
    if (is)
        rsp_diag_set(diag, RSP_ERR_DENIED, "HTTP %d: %.40s: %.160s", status,
                     json_string_value(json_object_get(e, "code")) ? json_string_value(json_object_get(e, "code")) : "?",
                     json_string_value(json_object_get(e, "message")) ? json_string_value(json_object_get(e, "message"))
                                                                       : "");
    json_decref(j);
    return is;
}

rsp_err rsp_svc_client_decode(const rsp_es_func *f, int status, const char *ctype, const char *soap_action,
                              const uint8_t *body, size_t len, rsp_es_msg *resp, rsp_diag *diag)
{
    if (!f || !resp || (!body && len))
        return RSP_ERR_INVAL;
    memset(resp, 0, sizeof(*resp));
    bool json = ctype && strstr(ctype, "json") != NULL;
    rsp_err err;
    if (json) {
        err = rsp_es_json_decode(f, true, body, len, NULL, resp, diag);
        if (err != RSP_OK) {
            rsp_diag d2;
            rsp_diag_clear(&d2);
            if (json_error(body, len, status, &d2)) {
                rsp_diag_clear(diag);
                if (diag)
                    *diag = d2;
                return RSP_ERR_DENIED;
            }
            return err;
        }
    } else {
        rsp_diag d2;
        rsp_diag_clear(&d2);
        err = rsp_es_soap_decode(body, len, soap_action && soap_action[0] ? soap_action : NULL, NULL, resp, &d2);
        if (err != RSP_OK && strncmp(d2.msg, "SOAP Fault", 10) == 0) {
            rsp_diag_set(diag, RSP_ERR_DENIED, "HTTP %d: %s", status, d2.msg);
            return RSP_ERR_DENIED;
        }
        if (err != RSP_OK) {
            if (diag)
                *diag = d2;
            return err;
        }
    }
    if (resp->func != f || !resp->response)
        return rsp_diag_set(diag, RSP_ERR_PROTOCOL, "answer to %s is %s%s", f->name, resp->func ? resp->func->name : "?",
                            resp->response ? "" : " (a request)");
    if (!resp->body)
        return rsp_diag_set(diag, RSP_ERR_PROTOCOL, "answer to %s: invalid result (%s)", f->name,
                            resp->bad_element[0] ? resp->bad_element : "body");
    return RSP_OK;
}

rsp_err rsp_svc_client_call(rsp_svc_client *c, rsp_es_msg *req, bool wait, rsp_es_msg *resp, int *http_status,
                            rsp_diag *diag)
{
    if (resp)
        memset(resp, 0, sizeof(*resp));
    if (http_status)
        *http_status = 0;
    if (!c || !req || !req->func || !req->body || !resp || req->func->mode == RSP_ES_ONEWAY)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "ES client: a request message (not a notification) is required");
    rsp_err err = complete_request(c, req);
    char path[200], headers[768], action[200];
    rsp_buf_reset(&c->last_req);
    rsp_buf_reset(&c->last_resp);
    if (err == RSP_OK && c->binding == RSP_SVC_BINDING_JSON) {
        err = rsp_es_json_path(req->func, path, sizeof(path));
        if (err == RSP_OK)
            err = rsp_es_json_encode(req, &c->last_req, diag);
        snprintf(headers, sizeof(headers), "Content-Type: application/json\r\n%s", wait ? "Prefer: wait\r\n" : "");
    } else if (err == RSP_OK) {
        const rsp_es_iface_table *t = rsp_es_iface_get(req->func->iface);
        if (c->path[0])
            snprintf(path, sizeof(path), "%s", c->path);
        else {
            snprintf(path, sizeof(path), "/%s", t ? t->name : "es");
            for (char *p = path; *p; p++)
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        }
        err = rsp_es_soap_encode(req, &c->last_req, diag);
        if (err == RSP_OK)
            envelope_action(&c->last_req, req, action, sizeof(action));
        /* SOAP 1.1 carries the action in SOAPAction, SOAP 1.2 in the Content-Type's action parameter;
         * both are sent (a 1.2 server ignores SOAPAction, and WS-A Action in the envelope rules anyway) */
        bool v12 = rsp_es_dialect_soap_version(c->dialect) == 12;
        snprintf(headers, sizeof(headers), "Content-Type: %s%s%s%s\r\nSOAPAction: \"%s\"\r\n%s",
                 rsp_es_dialect_content_type(c->dialect), v12 ? "; action=\"" : "", v12 && err == RSP_OK ? action : "",
                 v12 ? "\"" : "", err == RSP_OK ? action : "", wait ? "Prefer: wait\r\n" : "");
    }
    answer a;
    memset(&a, 0, sizeof(a));
    pending p = {&a, &c->last_resp};
    if (err == RSP_OK)
        err = rsp_http_client_post(c->http, path, headers, c->last_req.data, c->last_req.len, on_answer, &p);
    else
        return err;
    while (err == RSP_OK && !a.done)
        if (event_base_loop(c->base, EVLOOP_ONCE) < 0)
            err = RSP_ERR_NET;
    if (err == RSP_OK && a.err != RSP_OK)
        return rsp_diag_set(diag, a.err, "%s.%s: no answer from %.100s (%s)", rsp_es_iface_get(req->func->iface)->name,
                            req->func->name, c->url, rsp_err_msg(a.err));
    if (err != RSP_OK)
        return rsp_diag_set(diag, err, "%s: event loop failed", req->func->name);
    if (http_status)
        *http_status = a.status;
    if (c->last_resp.len == 0) {
        if (a.status >= 200 && a.status < 300)
            return RSP_OK; /* accepted: the result goes to ReplyTo */
        return rsp_diag_set(diag, RSP_ERR_DENIED, "HTTP %d %s without a body", a.status, rsp_http_reason(a.status));
    }
    err = rsp_svc_client_decode(req->func, a.status, a.ctype, a.action, c->last_resp.data, c->last_resp.len, resp, diag);
    if (err != RSP_OK && err != RSP_ERR_DENIED && diag && diag->msg[0] && a.status >= 400) {
        /* not an ES answer at all (a proxy's page, "busy"): say the status first */
        char m[sizeof(diag->msg)];
        memcpy(m, diag->msg, sizeof(m));
        snprintf(diag->msg, sizeof(diag->msg), "HTTP %d: %.200s", a.status, m);
    }
    return err;
}

const rsp_buf *rsp_svc_client_last_request(const rsp_svc_client *c)
{
    return &c->last_req;
}

const rsp_buf *rsp_svc_client_last_response(const rsp_svc_client *c)
{
    return &c->last_resp;
}

unsigned rsp_svc_client_connects(const rsp_svc_client *c)
{
    return c ? rsp_http_client_connects(c->http) : 0;
}

const rsp_es_fes *rsp_svc_client_status(const rsp_es_msg *resp)
{
    if (!resp || !resp->func || !resp->response || !resp->body)
        return NULL;
    const rsp_es_resp_hdr *h = resp->body;
    return &h->status;
}
