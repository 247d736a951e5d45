/* ONC applied: when a profile is enabled, disabled or deleted, its Operator gets the
 * Handle*Notification it listed in its ONC for the profile's type (ES4A.SetONC), and the SM-DP that
 * downloaded it the ES3 one (smsr_onc_event), through the outbox, at the peer's configured callback
 * URL; and the mover that turns ready pending replies (results of calls
 * with a ReplyTo, and these notifications) into outbox rows.
 *
 * Durability: the notification is recorded as a pending reply before the EIS changes (notif.c), keyed
 * by the card notification's sequence number, so a crash in between records it again and the key
 * keeps it single; a deletion is recorded when it is queued and becomes ready when its operation
 * settles (sent only if it ended DONE: the profile row is gone by then, so its Operator and type are
 * taken at queue time). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/es.h"
#include "rsp/es_types.h"
#include "rsp/log.h"
#include "smsr_outbox.h"

typedef struct notif_kind {
    uint32_t bit;
    const char *function; /* ES4 catalogue name */
} notif_kind;

static const notif_kind kinds[] = {
    {RSP_STORE_NOTIF_ENABLED, "HandleProfileEnabledNotification"},
    {RSP_STORE_NOTIF_DISABLED, "HandleProfileDisabledNotification"},
    {RSP_STORE_NOTIF_DELETED, "HandleProfileDeletedNotification"},
};

static const char *kind_name(uint32_t bit)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (kinds[i].bit == bit)
            return kinds[i].function;
    return NULL;
}

/* One pending notification: to the Operator (ES4, key onc:...) or to the profile's SM-DP (ES3, key
 * es3n:...). */
static rsp_err record(rsp_smsr *e, const rsp_store_profile *p, const char *fn, bool es3, const char *tag,
                      int64_t op_id, int64_t now)
{
    rsp_store_outbox_reply r;
    memset(&r, 0, sizeof(r));
    snprintf(r.owner, sizeof(r.owner), SMSR_OWNER);
    if (snprintf(r.key, sizeof(r.key), "%s:%s:%s:%s", es3 ? "es3n" : "onc", fn + 13, p->iccid, tag) >=
        (int)sizeof(r.key))
        return RSP_ERR_LENGTH;
    r.op_id = op_id;
    snprintf(r.caller, sizeof(r.caller), "%s", es3 ? p->smdp_id : p->mno_id);
    snprintf(r.function, sizeof(r.function), "%s.%s", es3 ? "ES3" : "ES4", fn);
    snprintf(r.eid, sizeof(r.eid), "%s", p->eid);
    snprintf(r.iccid, sizeof(r.iccid), "%s", p->iccid);
    r.created = now;
    rsp_err err = rsp_store_outbox_reply_add(e->st, &r, NULL);
    if (err == RSP_OK)
        RSP_LOGI(RSP_SS_SMSR, es3 ? "ES3 notification recorded" : "ONC notification recorded",
                 "fn=%s to=%s iccid=%s op=%lld", fn, r.caller, p->iccid, (long long)op_id);
    return err == RSP_ERR_EXISTS ? RSP_OK : err;
}

/* ES4 to the Operator when its ONC for the profile's type lists the notification (opt-in, as
 * ES4A.SetONC has always been read here); ES3 to the SM-DP that downloaded the profile unless the
 * Operator set an ONC for that type that leaves it out (SGP02.md: ONC = "types to drop": without one
 * nothing is dropped). The SM-DP relays it to the Operator over ES2 (lib/smdp/es2_notif.c). */
rsp_err smsr_onc_event(rsp_smsr *e, const rsp_store_profile *p, uint32_t kind, const char *tag, int64_t op_id,
                       int64_t now)
{
    const char *fn = kind_name(kind);
    if (!e || !p || !fn || !tag)
        return RSP_ERR_INVAL;
    uint32_t want = 0;
    rsp_err err = rsp_store_onc_get(e->st, p->mno_id, p->profile_type, &want);
    if (err != RSP_OK && err != RSP_ERR_NOT_FOUND)
        return err;
    bool onc = err == RSP_OK, es4 = onc && (want & kind), es3 = p->smdp_id[0] && (!onc || (want & kind));
    err = es4 ? record(e, p, fn, false, tag, op_id, now) : RSP_OK;
    return err == RSP_OK && es3 ? record(e, p, fn, true, tag, op_id, now) : err;
}

rsp_err smsr_onc_delete_queued(rsp_smsr *e, const char *iccid, int64_t op_id, int64_t now)
{
    rsp_store_profile p;
    rsp_err err = rsp_store_profile_get(e->st, iccid, &p);
    if (err != RSP_OK)
        return err == RSP_ERR_NOT_FOUND ? RSP_OK : err;
    char tag[32];
    snprintf(tag, sizeof(tag), "op%lld", (long long)op_id);
    return smsr_onc_event(e, &p, RSP_STORE_NOTIF_DELETED, tag, op_id, now);
}

/* The notification of a ready reply, SOAP 1.2 in the gsma dialect (njiwa's WSDLs have no notification
 * operation to take another shape from), to url. */
static rsp_err notification(const rsp_store_outbox_reply *r, const char *url, rsp_store_outbox *m)
{
    const char *dot = strchr(r->function, '.');
    rsp_es_iface iface = strncmp(r->function, "ES3.", 4) == 0 ? RSP_ES3 : RSP_ES4;
    const rsp_es_func *f = dot ? rsp_es_func_find(iface, dot + 1, strlen(dot + 1)) : NULL;
    if (!f)
        return RSP_ERR_FORMAT;
    rsp_es_msg msg;
    memset(&msg, 0, sizeof(msg));
    rsp_err err = rsp_es_msg_init(&msg, f, false);
    if (err != RSP_OK)
        return err;
    msg.dialect = RSP_ES_DIALECT_GSMA;
    rsp_es_notification *n = msg.body;
    char ts[32];
    time_t t = (time_t)r->created;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    n->hdr.function_call_id = strdup(r->key); /* stable across resends: the Operator can de-duplicate */
    n->eid = strdup(r->eid);
    n->iccid = strdup(r->iccid);
    n->completion_timestamp = strdup(ts);
    snprintf(m->owner, sizeof(m->owner), SMSR_OWNER);
    snprintf(m->key, sizeof(m->key), "%s", r->key);
    snprintf(m->url, sizeof(m->url), "%s", url);
    snprintf(m->ctype, sizeof(m->ctype), RSP_ES_SOAP12_CTYPE);
    m->op_id = r->op_id;
    err = rsp_es_action_format(f, false, m->action, sizeof(m->action));
    msg.wsa.to = strdup(url);
    msg.wsa.action = strdup(m->action);
    msg.wsa.message_id = strdup(r->key);
    if (err == RSP_OK && (!n->hdr.function_call_id || !n->eid || !n->iccid || !n->completion_timestamp ||
                          !msg.wsa.to || !msg.wsa.action || !msg.wsa.message_id))
        err = RSP_ERR_NOMEM;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (err == RSP_OK)
        err = rsp_es_soap_encode(&msg, &m->body, &d);
    rsp_es_msg_free(&msg);
    return err;
}

/* A deletion's notification is due only if its operation ended DONE. */
static bool op_done(rsp_smsr *e, int64_t op_id)
{
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    bool done = rsp_store_op_get(e->st, op_id, &op) == RSP_OK && op.state == RSP_STORE_OP_DONE;
    rsp_store_op_clear(&op);
    return done;
}

rsp_err smsr_outbox_move(rsp_smsr *e, const smsr_callbacks *cb, rsp_svc_outbox *ob, size_t max,
                         smsr_mover_stats *st)
{
    rsp_store_outbox_reply *v = NULL;
    size_t n = 0;
    rsp_err err = rsp_store_outbox_reply_ready(e->st, SMSR_OWNER, max, &v, &n);
    if (err != RSP_OK)
        return err;
    size_t moved = 0;
    for (size_t i = 0; i < n; i++) {
        const rsp_store_outbox_reply *r = &v[i];
        rsp_store_outbox m;
        memset(&m, 0, sizeof(m));
        bool notif = strstr(r->function, "Notification") != NULL, send = true;
        rsp_err be = RSP_OK;
        if (notif) {
            const char *url = smsr_callbacks_url(cb, r->caller);
            if (r->op_id && !op_done(e, r->op_id)) {
                send = false; /* the deletion did not happen */
            } else if (!url) {
                send = false;
                if (st)
                    st->no_url++;
                RSP_LOGN(RSP_SS_SMSR, "notification not sent: no callback URL configured", "fn=%s mno=%s iccid=%s",
                         r->function, r->caller, r->iccid);
            } else {
                be = notification(r, url, &m);
            }
        } else {
            be = smsr_reply_result(e, r, &m);
        }
        /* the outbox ages a message from its creation (max age, back-off): it is created now */
        if (be == RSP_OK && !m.created)
            m.created = m.next_attempt = (int64_t)time(NULL);
        m.created = m.next_attempt = (int64_t)time(NULL); /* its age (max_age) counts from here */
        if (be != RSP_OK) {
            /* cannot be built (a bug or a vanished op): logged and dropped, never retried forever */
            RSP_LOGE(RSP_SS_SMSR, "reply not built", "key=%s err=%s", r->key, rsp_err_name(be));
            send = false;
        }
        err = rsp_store_outbox_reply_move(e->st, r->id, send ? &m : NULL, NULL);
        rsp_store_outbox_clear(&m);
        if (err == RSP_ERR_NOT_FOUND) { /* another worker moved it */
            err = RSP_OK;
            continue;
        }
        if (err != RSP_OK)
            break;
        moved += send;
        if (st)
            send ? st->moved++ : st->dropped++;
    }
    free(v);
    if (moved)
        rsp_svc_outbox_kick(ob);
    return err;
}
