/* The asynchronous request pattern of SGP.02 (rsp/es_endpoint.h), transport-agnostic.
 *
 * A call is created per accepted message and lives until the handler finishes it. A handler may finish
 * inside its own function (in_dispatch): the endpoint then answers the HTTP request first (202, or the
 * synchronous reject) and only then sends the callback, so a requester never sees a result before the
 * acknowledgement of its request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dialect_int.h"
#include "soap_int.h"
#include "rsp/crypto.h"
#include "rsp/es_endpoint.h"
#include "rsp/log.h"

/* Subject code for a request element at fault when SGP.02 names no object for it [G]: the notes give
 * object subjects (8.1.1 EID, 8.2.1 ICCID, 8.2.5 Profile Type, 8.7 SM-SR) and nothing generic. */
#define SUBJECT_GENERIC "1.1"

struct rsp_es_endpoint {
    rsp_es_endpoint_cfg cfg;
    size_t pending;
};

struct rsp_es_call {
    rsp_es_endpoint *ep;
    const rsp_es_handler *h;
    rsp_es_msg req;
    char *peer;
    bool json;
    bool deferred;    /* the result goes into the HTTP response */
    bool in_dispatch; /* inside h->fn */
    bool done;        /* complete/reject was called */
    bool sync_answer; /* rejected inside h->fn: answer now, whatever the mode */
    void *resp;       /* result body, NULL for one-way messages */
    char start[21];
    rsp_es_respond_fn respond;
    void *rctx;
};

rsp_err rsp_es_endpoint_new(const rsp_es_endpoint_cfg *cfg, rsp_es_endpoint **out)
{
    if (!cfg || !out)
        return RSP_ERR_INVAL;
    rsp_es_endpoint *ep = calloc(1, sizeof(*ep));
    if (!ep)
        return RSP_ERR_NOMEM;
    ep->cfg = *cfg;
    *out = ep;
    return RSP_OK;
}

void rsp_es_endpoint_free(rsp_es_endpoint *ep)
{
    if (ep && ep->pending)
        RSP_LOGE(RSP_SS_ES, "endpoint freed with calls pending", "pending=%zu", ep->pending);
    free(ep);
}

size_t rsp_es_endpoint_pending(const rsp_es_endpoint *ep)
{
    return ep ? ep->pending : 0;
}

const rsp_es_msg *rsp_es_call_msg(const rsp_es_call *c)
{
    return &c->req;
}

const char *rsp_es_call_peer(const rsp_es_call *c)
{
    return c->peer;
}

void *rsp_es_call_response(rsp_es_call *c)
{
    return c->resp;
}

/* ---- HTTP answers ---- */
static void answer(rsp_es_respond_fn respond, void *rctx, int status, const char *ctype, const rsp_buf *b)
{
    rsp_es_http_out o = {status, b && b->len ? ctype : NULL, b ? b->data : NULL, b ? b->len : 0};
    respond(rctx, &o);
}

static void answer_error(rsp_es_respond_fn respond, void *rctx, bool json, int soap_version, int status,
                         rsp_err err, const char *why, const char *relates_to)
{
    rsp_buf b = RSP_BUF_INIT;
    if (json) {
        /* the message is our own diag text: escaping '"' and '\\' and dropping control bytes is enough */
        rsp_buf_append(&b, "{\"error\":{\"code\":\"", 18);
        rsp_buf_append(&b, rsp_err_name(err), strlen(rsp_err_name(err)));
        rsp_buf_append(&b, "\",\"message\":\"", 13);
        for (const char *p = why; *p; p++) {
            if (*p == '"' || *p == '\\')
                rsp_buf_append_byte(&b, '\\');
            if ((unsigned char)*p >= 0x20)
                rsp_buf_append_byte(&b, (uint8_t)*p);
        }
        rsp_buf_append(&b, "\"}}", 3);
        answer(respond, rctx, status, "application/json", &b);
    } else {
        rsp_es_soap_fault(soap_version, status < 500, why, relates_to, &b);
        answer(respond, rctx, status, soap_version == 11 ? RSP_ES_SOAP11_CTYPE : RSP_ES_SOAP12_CTYPE, &b);
    }
    rsp_buf_free(&b);
}

/* Answers use the SOAP version of the request (a SOAP 1.1 request is never answered in 1.2), else the
 * dialect's. */
static int soap_version(const rsp_es_msg *req)
{
    return req->soap_version ? req->soap_version : rsp_es_dialect_soap_version(req->dialect);
}

static const char *soap_ctype(const rsp_es_msg *req)
{
    return soap_version(req) == 11 ? RSP_ES_SOAP11_CTYPE : RSP_ES_SOAP12_CTYPE;
}

static char *new_message_id(void)
{
    uint8_t r[16];
    if (rsp_random(r, sizeof(r)) != RSP_OK)
        return NULL;
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    char *s = malloc(46);
    if (s)
        snprintf(s, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
                 r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
    return s;
}

/* strcasestr is a GNU extension; this is the portable few lines. */
static const char *ci_find(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return hay;
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Encodes the result of a request message (func, body) in the binding and dialect of the request, with
 * RelatesTo = the request's MessageID. `in_http` says whether it answers the HTTP request (njiwa then
 * wraps it in the operation's <return> part) or goes out as a callback. */
static rsp_err encode_result(const rsp_es_endpoint *ep, const rsp_es_msg *req, bool json, bool in_http, void *body,
                             rsp_buf *out, char *action, size_t alen, rsp_diag *d)
{
    rsp_es_msg res;
    memset(&res, 0, sizeof(res));
    res.func = req->func;
    res.response = true;
    res.body = body;
    res.dialect = req->dialect;
    res.soap_version = req->soap_version;
    res.in_http_response = in_http;
    rsp_err e = json ? rsp_es_action_format(req->func, true, action, alen) : rsp_es_soap_action(&res, action, alen);
    if (e != RSP_OK)
        return e;
    res.wsa.from = dup_or_null(ep->cfg.self_address);
    res.wsa.to = dup_or_null(req->wsa.reply_to);
    res.wsa.relates_to = dup_or_null(req->wsa.message_id);
    res.wsa.message_id = new_message_id();
    res.wsa.action = strdup(action);
    e = json ? rsp_es_json_encode(&res, out, d) : rsp_es_soap_encode(&res, out, d);
    rsp_es_wsa_free(&res.wsa);
    return e;
}

static void fill_times(const rsp_es_call *c)
{
    rsp_es_resp_hdr *h = c->resp; /* every response struct begins with rsp_es_resp_hdr */
    char now[21];
    if (!h->processing_start)
        h->processing_start = strdup(c->start);
    if (!h->processing_end) {
        rsp_es_datetime_now(now);
        h->processing_end = strdup(now);
    }
}

static void call_free(rsp_es_call *c)
{
    c->ep->pending--;
    rsp_es_body_free(c->req.func->resp, c->resp);
    rsp_es_msg_free(&c->req);
    free(c->peer);
    free(c);
}

static void finish(rsp_es_call *c)
{
    rsp_es_endpoint *ep = c->ep;
    if (c->resp) {
        fill_times(c);
        rsp_buf b = RSP_BUF_INIT;
        char action[160];
        rsp_diag d;
        rsp_diag_clear(&d);
        bool in_http = c->deferred || c->sync_answer;
        rsp_err e = encode_result(ep, &c->req, c->json, in_http, c->resp, &b, action, sizeof(action), &d);
        const char *ctype = c->json ? "application/json" : soap_ctype(&c->req);
        if (e != RSP_OK) {
            RSP_LOGE(RSP_SS_ES, "cannot encode result", "function=%s err=%s", c->req.func->name, d.msg);
            if (in_http)
                answer_error(c->respond, c->rctx, c->json, soap_version(&c->req), 500, e,
                             "result could not be encoded", NULL);
        } else if (c->deferred || c->sync_answer) {
            answer(c->respond, c->rctx, 200, ctype, &b);
        } else if (ep->cfg.send) {
            e = ep->cfg.send(ep->cfg.send_ctx, c->req.wsa.reply_to, ctype, action, b.data, b.len);
            if (e != RSP_OK)
                RSP_LOGE(RSP_SS_ES, "callback not delivered", "function=%s err=%s", c->req.func->name,
                         rsp_err_name(e));
        }
        rsp_buf_free(&b);
    }
    call_free(c);
}

rsp_err rsp_es_call_complete(rsp_es_call *c)
{
    if (!c || c->done)
        return RSP_ERR_STATE;
    c->done = true;
    if (!c->in_dispatch)
        finish(c);
    return RSP_OK;
}

static rsp_err set_failed(void *resp, const char *subject, const char *reason, const char *sid, const char *msg)
{
    rsp_es_resp_hdr *h = resp;
    h->status.status = RSP_ES_FAILED;
    rsp_es_body_free(&rsp_es_d_status_code, h->status.code);
    rsp_es_status_code *sc = h->status.code = calloc(1, sizeof(*sc));
    if (!sc)
        return RSP_ERR_NOMEM;
    sc->subject = strdup(subject ? subject : SUBJECT_GENERIC);
    sc->reason = strdup(reason ? reason : "2.1");
    sc->subject_identifier = dup_or_null(sid && *sid ? sid : NULL);
    sc->message = dup_or_null(msg);
    return sc->subject && sc->reason ? RSP_OK : RSP_ERR_NOMEM;
}

rsp_err rsp_es_call_reject(rsp_es_call *c, const char *subject, const char *reason, const char *subject_id,
                           const char *message)
{
    if (!c || c->done)
        return RSP_ERR_STATE;
    if (c->resp)
        set_failed(c->resp, subject, reason, subject_id, message);
    if (c->in_dispatch)
        c->sync_answer = true;
    return rsp_es_call_complete(c);
}

/* The answer to an accepted message that has no result of its own: 202, or for an incoming result in a
 * dialect whose callbacks are request-response (njiwa), that dialect's acknowledgement. */
static void accepted(const rsp_es_call *c)
{
    rsp_buf b = RSP_BUF_INIT;
    if (!c->json && c->req.response && rsp_es_soap_ack(&c->req, &b, NULL) == RSP_OK)
        answer(c->respond, c->rctx, 200, soap_ctype(&c->req), &b);
    else
        answer(c->respond, c->rctx, 202, NULL, NULL);
    rsp_buf_free(&b);
}

/* ---- dispatch ---- */
static const rsp_es_handler *find_handler(const rsp_es_endpoint *ep, const rsp_es_msg *m)
{
    for (size_t i = 0; i < ep->cfg.n_handlers; i++) {
        const rsp_es_handler *h = &ep->cfg.handlers[i];
        if (h->iface == m->func->iface && h->response == m->response && h->function &&
            !strcmp(h->function, m->func->name))
            return h;
    }
    return NULL;
}

static const char *subject_for(const char *element)
{
    static const struct {
        const char *elem, *subject;
    } map[] = {{"Eid", "8.1.1"}, {"Iccid", "8.2.1"}, {"ProfileType", "8.2.5"}, {"Smsr-Id", "8.7"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(element, map[i].elem))
            return map[i].subject;
    return SUBJECT_GENERIC;
}

/* Synchronous Failed answer for a request whose function is known but whose body did not validate. */
static void answer_invalid(rsp_es_endpoint *ep, const rsp_es_msg *m, bool json, const rsp_diag *d,
                           rsp_es_respond_fn respond, void *rctx)
{
    void *resp = rsp_es_body_new(m->func->resp);
    rsp_buf b = RSP_BUF_INIT;
    char action[160];
    rsp_err e = resp ? set_failed(resp, subject_for(m->bad_element), m->bad_reason ? m->bad_reason : "2.1",
                                  m->bad_element, d->msg)
                     : RSP_ERR_NOMEM;
    if (e == RSP_OK) {
        rsp_es_resp_hdr *h = resp;
        char now[21];
        rsp_es_datetime_now(now);
        h->processing_start = strdup(now);
        h->processing_end = strdup(now);
        e = encode_result(ep, m, json, true, resp, &b, action, sizeof(action), NULL);
    }
    if (e == RSP_OK)
        answer(respond, rctx, json ? 400 : 200, json ? "application/json" : soap_ctype(m), &b);
    else
        answer_error(respond, rctx, json, m->soap_version ? m->soap_version : 12, 400, e, d->msg, m->wsa.message_id);
    rsp_buf_free(&b);
    rsp_es_body_free(m->func->resp, resp);
}

static bool usable_reply_to(const char *r)
{
    return r && *r && !strstr(r, "/addressing/anonymous") && !strstr(r, "/addressing/none");
}

/* The action parameter of "application/soap+xml; charset=utf-8; action=\"...\"". */
static void ctype_action(const char *ct, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *p = ct ? ci_find(ct, "action=") : NULL;
    if (!p)
        return;
    p += 7;
    bool q = *p == '"';
    p += q;
    size_t n = q ? strcspn(p, "\"") : strcspn(p, "; \t");
    snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), p);
}

rsp_err rsp_es_endpoint_handle(rsp_es_endpoint *ep, const rsp_es_http_in *in, rsp_es_respond_fn respond,
                               void *rctx)
{
    if (!ep || !in || !respond)
        return RSP_ERR_INVAL;
    bool json = in->content_type && ci_find(in->content_type, "json");
    int sv = in->content_type && ci_find(in->content_type, "text/xml") ? 11 : 12;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_es_msg m;
    memset(&m, 0, sizeof(m));
    rsp_err e;
    if (json) {
        const rsp_es_func *f;
        if ((e = rsp_es_json_path_parse(in->path, &f, &d)) != RSP_OK) {
            answer_error(respond, rctx, true, 0, 404, e, d.msg, NULL);
            return e;
        }
        bool response = false;
        const rsp_es_func *af;
        if (in->soap_action && rsp_es_action_parse(in->soap_action, &af, &response, NULL) == RSP_OK && af != f)
            response = false;
        e = rsp_es_json_decode(f, response, in->body, in->body_len, &ep->cfg.limits, &m, &d);
    } else {
        char hint[200];
        ctype_action(in->content_type, hint, sizeof(hint));
        e = rsp_es_soap_decode(in->body, in->body_len, hint[0] ? hint : in->soap_action, &ep->cfg.limits, &m, &d);
        if (m.soap_version)
            sv = m.soap_version;
    }
    if (e != RSP_OK) {
        char why[300];
        rsp_diag_str(&d, e, why, sizeof(why));
        RSP_LOGN(RSP_SS_ES, "request refused", "peer=%s err=%s", in->peer ? in->peer : "-", why);
        if (m.func && !m.response && m.func->resp && m.bad_reason)
            answer_invalid(ep, &m, json, &d, respond, rctx);
        else
            answer_error(respond, rctx, json, sv, e == RSP_ERR_NOMEM ? 500 : 400, e, why, m.wsa.message_id);
        rsp_es_msg_free(&m);
        return e;
    }
    const rsp_es_handler *h = find_handler(ep, &m);
    if (!h) {
        char why[160];
        snprintf(why, sizeof(why), "%s-%s%s is not served by this endpoint", rsp_es_iface_get(m.func->iface)->name,
                 m.func->name, m.response ? " (result)" : "");
        answer_error(respond, rctx, json, sv, 500, RSP_ERR_UNSUPPORTED, why, m.wsa.message_id);
        rsp_es_msg_free(&m);
        return RSP_ERR_UNSUPPORTED;
    }
    rsp_es_call *c = calloc(1, sizeof(*c));
    bool want_result = !m.response && m.func->resp;
    if (!c || (want_result && !(c->resp = rsp_es_body_new(m.func->resp))) || (in->peer && !(c->peer = strdup(in->peer)))) {
        if (c) {
            rsp_es_body_free(m.func->resp, c->resp);
            free(c->peer);
        }
        free(c);
        answer_error(respond, rctx, json, sv, 500, RSP_ERR_NOMEM, "out of memory", m.wsa.message_id);
        rsp_es_msg_free(&m);
        return RSP_ERR_NOMEM;
    }
    c->ep = ep;
    c->h = h;
    c->req = m; /* the call owns the message now */
    c->json = json;
    c->respond = respond;
    c->rctx = rctx;
    rsp_es_datetime_now(c->start);
    /* a dialect whose operations are request-response (njiwa) reads the result from the HTTP answer */
    c->deferred = want_result && (m.func->mode == RSP_ES_SYNC || (in->prefer && ci_find(in->prefer, "wait")) ||
                                  !usable_reply_to(m.wsa.reply_to) ||
                                  (!json && rsp_es_dialect_get(m.dialect)->request_response));
    ep->pending++;

    c->in_dispatch = true;
    rsp_err hr = h->fn(h->ctx, c);
    if (hr != RSP_OK && !c->done) {
        if (!c->resp) { /* one-way: nothing to put a status in */
            answer_error(respond, rctx, json, sv, 500, hr, rsp_err_msg(hr), c->req.wsa.message_id);
            call_free(c);
            return hr;
        }
        rsp_es_call_reject(c, "1.2", "4.2", NULL, rsp_err_msg(hr)); /* still in dispatch: answered below */
    }
    c->in_dispatch = false;
    if (!c->done) {
        if (!c->deferred)
            accepted(c);
        return RSP_OK;
    }
    if (!c->sync_answer && !c->deferred)
        accepted(c);
    finish(c);
    return RSP_OK;
}
