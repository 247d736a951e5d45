/* Machinery shared by the HTTPS handlers of es_api.c (ES1/ES4/ES4A) and es3.c (ES3): the caller's
 * identity from its client certificate, the role lists, the request's validity period, answering a
 * call from an operation's result, and the growth of the arrays of calls waiting for an answer;
 * the peers' callback URLs, and the pending replies of calls with a ReplyTo with the result built
 * from them (smsr_outbox.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/crypto.h"
#include "rsp/es_endpoint.h"
#include "rsp/es_types.h"
#include "smsr_dl.h"
#include "smsr_outbox.h"

void smsr_cn_of(const char *peer, char *out, size_t cap)
{
    out[0] = 0;
    const char *p = peer ? strstr(peer, "CN=") : NULL;
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, ",+/");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

bool smsr_listed(const char *list, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && strncmp(p, id, n) == 0)
            return true;
        p += l;
        if (*p == ',')
            p++;
    }
    return false;
}

int64_t smsr_validity(const struct rsp_es_req_hdr *hdr)
{
    return hdr->has_validity_period && hdr->validity_period > 0 ? hdr->validity_period : 3600;
}

rsp_err smsr_call_answer(struct rsp_es_call *call, const rsp_smsr_result *r)
{
    if (strcmp(r->status, "Executed-Success") == 0)
        return rsp_es_call_complete(call);
    return rsp_es_call_reject(call, r->subject, r->reason, NULL, r->message);
}

void *smsr_grow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : 16;
    void *nv = realloc(v, nc * size);
    if (nv)
        *cap = nc;
    return nv;
}

/* ---- callback URLs per peer, pending replies and their results (smsr_outbox.h) ---- */

/* https://host[:port][/path], nothing that could smuggle another authority or path in. */
static bool url_shape_ok(const char *u)
{
    if (strncmp(u, "https://", 8) != 0 || !u[8] || u[8] == '/' || strstr(u, ".."))
        return false;
    size_t auth = strcspn(u + 8, "/?#");
    if (memchr(u + 8, '@', auth))
        return false;
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F || strchr("\"<>\\^`{|}", *p))
            return false;
    return true;
}

rsp_err smsr_callbacks_parse(const char *spec, smsr_callbacks *cb, rsp_diag *diag)
{
    memset(cb, 0, sizeof(*cb));
    for (const char *p = spec ? spec : ""; *p;) {
        size_t l = strcspn(p, ",");
        const char *eq = memchr(p, '=', l);
        size_t il = eq ? (size_t)(eq - p) : 0, ul = eq ? l - il - 1 : 0;
        smsr_callback c;
        memset(&c, 0, sizeof(c));
        if (!eq || !il || il >= sizeof(c.id) || ul >= sizeof(c.prefix)) {
            smsr_callbacks_free(cb);
            return rsp_diag_set(diag, RSP_ERR_INVAL, "callbacks: \"%.*s\" is not ID=https://host[:port]/path",
                                (int)(l > 80 ? 80 : l), p);
        }
        memcpy(c.id, p, il);
        memcpy(c.prefix, eq + 1, ul);
        if (!url_shape_ok(c.prefix)) {
            smsr_callbacks_free(cb);
            return rsp_diag_set(diag, RSP_ERR_INVAL, "callbacks: %s: \"%s\" is not an https URL prefix", c.id,
                                c.prefix);
        }
        smsr_callback *nv = realloc(cb->v, (cb->n + 1) * sizeof(*nv));
        if (!nv) {
            smsr_callbacks_free(cb);
            return RSP_ERR_NOMEM;
        }
        cb->v = nv;
        cb->v[cb->n++] = c;
        p += l;
        if (*p == ',')
            p++;
    }
    return RSP_OK;
}

void smsr_callbacks_free(smsr_callbacks *cb)
{
    free(cb->v);
    cb->v = NULL;
    cb->n = 0;
}

bool smsr_callbacks_allow(const smsr_callbacks *cb, const char *id, const char *url)
{
    if (!url || !url_shape_ok(url))
        return false;
    for (size_t i = 0; i < cb->n; i++) {
        const char *pre = cb->v[i].prefix;
        size_t n = strlen(pre);
        if (strcmp(cb->v[i].id, id) != 0 || strncmp(url, pre, n) != 0)
            continue;
        if (pre[n - 1] == '/' || url[n] == 0 || url[n] == '/' || url[n] == '?')
            return true;
    }
    return false;
}

bool smsr_callbacks_allow_any(const smsr_callbacks *cb, const char *url)
{
    for (size_t i = 0; i < cb->n; i++)
        if (smsr_callbacks_allow(cb, cb->v[i].id, url))
            return true;
    return false;
}

const char *smsr_callbacks_url(const smsr_callbacks *cb, const char *id)
{
    for (size_t i = 0; i < cb->n; i++)
        if (strcmp(cb->v[i].id, id) == 0)
            return cb->v[i].prefix;
    return NULL;
}

rsp_err smsr_reply_record(rsp_smsr *e, const rsp_es_msg *m, const rsp_smsr_request *rq, int64_t op_id, bool audit,
                          int64_t *reply_id)
{
    rsp_store_outbox_reply r;
    memset(&r, 0, sizeof(r));
    const char *mid = m->wsa.message_id ? m->wsa.message_id : "";
    const char *rt = m->wsa.reply_to ? m->wsa.reply_to : "";
    snprintf(r.owner, sizeof(r.owner), SMSR_OWNER);
    /* one reply per (operation, caller, request message): a retried request is recorded once */
    if (snprintf(r.key, sizeof(r.key), "r:%lld:%s:%s", (long long)op_id, rq->requester, mid) >= (int)sizeof(r.key) ||
        snprintf(r.reply_to, sizeof(r.reply_to), "%s", rt) >= (int)sizeof(r.reply_to) ||
        snprintf(r.message_id, sizeof(r.message_id), "%s", mid) >= (int)sizeof(r.message_id))
        return RSP_ERR_LENGTH;
    r.op_id = op_id;
    snprintf(r.caller, sizeof(r.caller), "%s", rq->requester);
    snprintf(r.function, sizeof(r.function), "%s.%s", rsp_es_iface_get(m->func->iface)->name, m->func->name);
    snprintf(r.fcid, sizeof(r.fcid), "%s", rq->fcid);
    snprintf(r.eid, sizeof(r.eid), "%s", rq->eid ? rq->eid : "");
    snprintf(r.iccid, sizeof(r.iccid), "%s", rq->iccid ? rq->iccid : "");
    r.flags = ((uint32_t)m->dialect & 0xFu) | ((uint32_t)rq->role << 8) | (m->soap_version == 0 ? SMSR_RF_JSON : 0) |
              (m->soap_version == 11 ? SMSR_RF_SOAP11 : 0) | (audit ? SMSR_RF_AUDIT : 0);
    r.created = rq->now;
    rsp_err err = rsp_store_outbox_reply_add(e->st, &r, reply_id);
    return err == RSP_ERR_EXISTS ? RSP_OK : err;
}

/* The profiles of an AuditEIS result: the Operator's own, or an M2M SP's by PLMA (as ES4.GetEIS), or
 * an SM-DP's (ES3: the ISD-Ps it created). */
typedef struct audit_view {
    rsp_smsr *e;
    const char *who;
    unsigned role;
} audit_view;

static bool audit_visible(void *ctx, const rsp_store_profile *p)
{
    const audit_view *v = ctx;
    if (v->role == RSP_SMSR_ROLE_OPERATOR)
        return strcmp(p->mno_id, v->who) == 0;
    if (v->role == RSP_SMSR_ROLE_SMDP) /* ES3.AuditEIS: the ISD-Ps it created, as its GetEIS */
        return strcmp(p->smdp_id, v->who) == 0;
    return v->role == RSP_SMSR_ROLE_M2MSP &&
           rsp_store_plma_check(v->e->st, p->mno_id, v->who, p->profile_type, RSP_STORE_FN_GET_EIS) == RSP_OK;
}

static char *new_message_id(void)
{
    uint8_t b[16];
    char *s = malloc(46);
    if (!s || rsp_random(b, sizeof(b)) != RSP_OK) {
        free(s);
        return NULL;
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(s, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return s;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

/* The status part of a result from the operation's outcome. */
static rsp_err fill_status(rsp_es_resp_hdr *h, const rsp_smsr_result *res)
{
    char now[21];
    rsp_es_datetime_now(now);
    h->processing_start = strdup(now);
    h->processing_end = strdup(now);
    if (!h->processing_start || !h->processing_end)
        return RSP_ERR_NOMEM;
    if (strcmp(res->status, "Executed-Success") == 0) {
        h->status.status = RSP_ES_EXECUTED_SUCCESS;
        return RSP_OK;
    }
    h->status.status = strcmp(res->status, "Expired") == 0 ? RSP_ES_EXPIRED : RSP_ES_FAILED;
    rsp_es_status_code *sc = h->status.code = calloc(1, sizeof(*sc));
    if (!sc)
        return RSP_ERR_NOMEM;
    sc->subject = strdup(res->subject[0] ? res->subject : "1.2");
    sc->reason = strdup(res->reason[0] ? res->reason : "4.2");
    sc->message = dup_or_null(res->message);
    return sc->subject && sc->reason ? RSP_OK : RSP_ERR_NOMEM;
}

rsp_err smsr_reply_result(rsp_smsr *e, const rsp_store_outbox_reply *r, rsp_store_outbox *m)
{
    const char *dot = strchr(r->function, '.');
    rsp_es_iface iface;
    if (!dot || rsp_es_iface_parse(r->function, (size_t)(dot - r->function), &iface) != RSP_OK)
        return RSP_ERR_FORMAT;
    const rsp_es_func *f = rsp_es_func_find(iface, dot + 1, strlen(dot + 1));
    rsp_smsr_result res;
    if (!f || !f->resp)
        return RSP_ERR_FORMAT;
    rsp_err err = rsp_smsr_result_get(e, r->op_id, &res);
    if (err != RSP_OK)
        return err;
    rsp_es_msg msg;
    memset(&msg, 0, sizeof(msg));
    if ((err = rsp_es_msg_init(&msg, f, true)) != RSP_OK)
        return err;
    bool json = r->flags & SMSR_RF_JSON;
    msg.dialect = (rsp_es_dialect)SMSR_RF_DIALECT(r->flags);
    msg.soap_version = json ? 0 : (r->flags & SMSR_RF_SOAP11) ? 11 : 12;
    err = fill_status(msg.body, &res);
    if (err == RSP_OK && (r->flags & SMSR_RF_AUDIT) && strcmp(res.status, "Executed-Success") == 0) {
        rsp_store_eis s;
        memset(&s, 0, sizeof(s));
        audit_view v = {e, r->caller, SMSR_RF_ROLE(r->flags)};
        if ((err = rsp_store_eis_get(e->st, r->eid, &s)) == RSP_OK)
            err = smsr_eis_of(e, &s, audit_visible, &v, &((rsp_es_eis_resp *)msg.body)->eis);
        rsp_store_eis_clear(&s);
    }
    /* ES3 download results carry what the in-memory answer carries: the ISD-P AID, the card's data
     * (an unreadable op still sends its status, as the in-memory answer does) */
    if (err == RSP_OK && strcmp(res.status, "Executed-Success") == 0 &&
        (strcmp(r->function, "ES3.CreateISDP") == 0 || strcmp(r->function, "ES3.SendData") == 0 ||
         strcmp(r->function, "ES3.UpdateConnectivityParameters") == 0) &&
        smsr_dl_result_data(e, r->op_id, msg.body) == RSP_ERR_NOMEM)
        err = RSP_ERR_NOMEM;
    snprintf(m->owner, sizeof(m->owner), SMSR_OWNER);
    snprintf(m->key, sizeof(m->key), "%s", r->key);
    snprintf(m->url, sizeof(m->url), "%s", r->reply_to);
    snprintf(m->ctype, sizeof(m->ctype), "%s", json ? "application/json" : msg.soap_version == 11 ? RSP_ES_SOAP11_CTYPE
                                                                                                 : RSP_ES_SOAP12_CTYPE);
    m->op_id = r->op_id;
    if (err == RSP_OK)
        err = rsp_es_action_format(f, true, m->action, sizeof(m->action));
    msg.wsa.to = dup_or_null(r->reply_to);
    msg.wsa.relates_to = dup_or_null(r->message_id);
    msg.wsa.message_id = new_message_id();
    msg.wsa.action = dup_or_null(m->action);
    if (err == RSP_OK && (!msg.wsa.message_id || !msg.wsa.action))
        err = RSP_ERR_NOMEM;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (err == RSP_OK)
        err = json ? rsp_es_json_encode(&msg, &m->body, &d) : rsp_es_soap_encode(&msg, &m->body, &d);
    rsp_es_msg_free(&msg);
    return err;
}
