/* ES3 notifications from the SM-SR, relayed to the Operator over ES2 (`rsp smdp run`). The SM-SR sends
 * HandleProfile{Enabled,Disabled,Deleted}Notification to the SM-DP that downloaded the profile (its
 * ONC rule: lib/smsr/onc.c); here the profile is looked up among this SM-DP's finished downloads (a
 * notification of a profile it does not know is refused), and the same notification, ES2 this time,
 * is stored in the durable outbox for the Operator's callback URL (--callbacks OP=URL) before the
 * SM-SR's call is answered: an SM-DP crash in between makes the SM-SR's outbox send it again, and the
 * outbox key (the SM-SR's FunctionCallIdentifier, stable across its resends) keeps it single. The
 * ES2 FunctionCallIdentifier and MessageID are that key too, so the Operator can de-duplicate.
 * The SM-DP's own HandleProfileDownloadedNotification goes the same way when a download ends installed
 * (key smdp-downloaded:<download>; sent when the loop sees the end: a crash just before loses it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon_int.h"
#include "rsp/log.h"

/* Is cn in the comma-separated list? */
static bool listed(const char *list, const char *cn)
{
    for (const char *q = list; q && *q;) {
        size_t l = strcspn(q, ",");
        if (l == strlen(cn) && strncmp(q, cn, l) == 0)
            return true;
        q += l + (q[l] == ',');
    }
    return false;
}

/* The Operator's callback URL from "OP=URL,OP=URL" into url (false: none). */
static bool callback_of(const char *spec, const char *op, char *url, size_t cap)
{
    for (const char *q = spec; q && *q;) {
        size_t l = strcspn(q, ",");
        const char *eq = memchr(q, '=', l);
        if (eq && (size_t)(eq - q) == strlen(op) && strncmp(q, op, strlen(op)) == 0 && l - (size_t)(eq - q) - 1 < cap) {
            snprintf(url, cap, "%.*s", (int)(l - (size_t)(eq - q) - 1), eq + 1);
            return strncmp(url, "https://", 8) == 0;
        }
        q += l + (q[l] == ',');
    }
    return false;
}

/* The Operator of the download that installed iccid on eid (false: not ours). A download still at
 * ProfileDownloadCompleted or EnableProfile counts: the card posts its enable notification as soon as
 * it answers the enable, so the SM-SR's ES3 notification can arrive before the EnableProfile result
 * has moved the journal to DONE (it was dropped as "not a profile of this SM-DP" then). */
static bool owner_of(smdp_d *d, const char *eid, const char *iccid, char op[RSP_SMDP_NAME_MAX + 1])
{
    rsp_smdp_dl dl;
    if (rsp_smdp_dl_find(d->inv, eid, iccid, &dl) != RSP_OK || dl.step < RSP_SMDP_DL_COMPLETED ||
        dl.step > RSP_SMDP_DL_DONE)
        return false;
    memcpy(op, dl.op, RSP_SMDP_NAME_MAX + 1);
    return true;
}

/* The ES2 notification (SOAP 1.2, gsma dialect, as the SM-SR's own) into the outbox. */
static rsp_err relay(smdp_d *d, const char *fn, const rsp_es_notification *in, const char *key, const char *url)
{
    const rsp_es_func *f = rsp_es_func_find(RSP_ES2, fn, strlen(fn));
    rsp_svc_outbox *ob = rsp_svc_outbox_of(d->svc);
    if (!f || !ob)
        return RSP_ERR_INTERNAL;
    rsp_es_msg msg;
    memset(&msg, 0, sizeof msg);
    rsp_err e = rsp_es_msg_init(&msg, f, false);
    if (e != RSP_OK)
        return e;
    msg.dialect = RSP_ES_DIALECT_GSMA;
    rsp_es_notification *n = msg.body;
    char ts[21], action[256];
    rsp_es_datetime_now(ts);
    n->hdr.function_call_id = strdup(key);
    n->eid = strdup(in->eid);
    if (in->iccid && !(n->iccid = strdup(in->iccid)))
        e = RSP_ERR_NOMEM;
    if (in->smsr_id && !(n->smsr_id = strdup(in->smsr_id)))
        e = RSP_ERR_NOMEM;
    n->eis = in->eis; /* borrowed: taken back before the message is freed */
    n->completion_timestamp = strdup(in->completion_timestamp ? in->completion_timestamp : ts);
    if (in->profile_type && !(n->profile_type = strdup(in->profile_type)))
        e = RSP_ERR_NOMEM;
    e = e ? e : rsp_es_action_format(f, false, action, sizeof action);
    msg.wsa.to = strdup(url);
    msg.wsa.action = strdup(action);
    msg.wsa.message_id = strdup(key);
    if (e == RSP_OK && (!n->hdr.function_call_id || !n->eid || !n->completion_timestamp || !msg.wsa.to ||
                        !msg.wsa.action || !msg.wsa.message_id))
        e = RSP_ERR_NOMEM;
    rsp_buf body = RSP_BUF_INIT;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    e = e ? e : rsp_es_soap_encode(&msg, &body, &dg);
    e = e ? e : rsp_svc_outbox_put(ob, key, 0, url, RSP_ES_SOAP12_CTYPE, action, body.data, body.len);
    if (e == RSP_ERR_EXISTS)
        e = RSP_OK; /* the SM-SR sent it again: stored already */
    rsp_buf_free(&body);
    n->eis = NULL;
    rsp_es_msg_free(&msg);
    return e;
}

/* HandleSMSRChangeNotification names an eUICC, not a profile: each Operator with a profile this SM-DP
 * installed there gets it once (key per Operator), its EIS cut down to that Operator's profiles (what
 * ES2.GetEIS relayed shows it). None: acknowledged and dropped, as an unknown profile's notification. */
static rsp_err on_smsr_change(smdp_d *d, rsp_es_call *call, const rsp_es_notification *q, const char *cn)
{
    static const char fn[] = "HandleSMSRChangeNotification";
    rsp_smdp_dl *v = NULL;
    size_t n = 0, relayed = 0;
    rsp_err e = rsp_smdp_dl_of_eid(d->inv, q->eid, &v, &n);
    if (e != RSP_OK)
        return e; /* an HTTP error: the SM-SR sends it again */
    rsp_es_profile_info *all = q->eis ? q->eis->profiles.v : NULL;
    size_t nall = q->eis ? q->eis->profiles.n : 0;
    rsp_es_profile_info *mine = calloc(nall ? nall : 1, sizeof *mine);
    if (!mine) {
        free(v);
        return RSP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n && e == RSP_OK; i++) {
        bool seen = false; /* one per Operator, at its first installed download */
        for (size_t j = 0; j < i && !seen; j++)
            seen = v[j].step == RSP_SMDP_DL_DONE && strcmp(v[j].op, v[i].op) == 0;
        if (seen || v[i].step != RSP_SMDP_DL_DONE)
            continue;
        char url[512], key[240];
        if (!callback_of(d->o->callbacks, v[i].op, url, sizeof url)) {
            smdp_es2_count(d, fn, "no-url");
            RSP_LOGN(RSP_SS_SMDP, "notification not relayed: no callback URL", "fn=%s op=%s eid=%s", fn, v[i].op, q->eid);
            continue;
        }
        size_t k = 0;
        for (size_t j = 0; j < nall; j++)
            if (all[j].mno_id && strcmp(all[j].mno_id, v[i].op) == 0)
                mine[k++] = all[j]; /* shallow: read by the encoder only */
        rsp_es_notification out = *q;
        rsp_es_eis eis;
        if (q->eis) {
            eis = *q->eis;
            eis.profiles.v = mine;
            eis.profiles.n = k;
            out.eis = &eis;
        }
        snprintf(key, sizeof key, "smdp-notif:%.40s:%.60s:%s", cn, q->hdr.function_call_id, v[i].op);
        if ((e = relay(d, fn, &out, key, url)) == RSP_OK) {
            relayed++;
            RSP_LOGI(RSP_SS_SMDP, "notification relayed to the Operator", "fn=%s op=%s eid=%s smsr=%s key=%s", fn,
                     v[i].op, q->eid, q->smsr_id ? q->smsr_id : "", key);
        }
    }
    free(mine);
    free(v);
    if (e != RSP_OK) { /* not all stored: the SM-SR's resend adds only the missing ones (keys) */
        smdp_es2_count(d, fn, "failed");
        return e;
    }
    if (!relayed && !n) {
        smdp_es2_count(d, fn, "refused");
        RSP_LOGN(RSP_SS_SMDP, "ES3 notification refused", "fn=%s eid=%s why=\"no profile of this SM-DP on it\"", fn,
                 q->eid);
        return rsp_es_call_complete(call);
    }
    if (relayed) {
        smdp_es2_count(d, fn, "relayed");
        rsp_svc_outbox_kick(rsp_svc_outbox_of(d->svc));
    }
    return rsp_es_call_complete(call);
}

static rsp_err on_notif(void *hctx, rsp_es_call *call)
{
    smdp_d *d = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_notification *q = m ? m->body : NULL;
    const char *fn = m ? m->func->name : "?";
    const char *peer = rsp_es_call_peer(call);
    const char *p = peer ? strstr(peer, "CN=") : NULL;
    char cn[RSP_SMDP_NAME_MAX + 1] = "", op[RSP_SMDP_NAME_MAX + 1], url[512], key[200];
    size_t l = p ? strcspn(p + 3, ",+/") : 0;
    if (p && l <= RSP_SMDP_NAME_MAX)
        snprintf(cn, sizeof cn, "%.*s", (int)l, p + 3);
    const char *sr = d->o->smsr_ids;
    /* A one-way call has no status to refuse with: a caller that is not our SM-SR gets an HTTP error
     * (the handler's error); a notification of a profile we do not know is acknowledged and dropped
     * (retrying it could never succeed). */
    if (!cn[0] || (sr && *sr ? !listed(sr, cn) : listed(d->o->operators, cn))) {
        smdp_es2_count(d, fn, "refused");
        RSP_LOGN(RSP_SS_SMDP, "ES3 notification refused", "fn=%s peer=%s why=\"not this SM-DP's SM-SR\"", fn, cn);
        return RSP_ERR_DENIED;
    }
    if (q && q->eid && q->hdr.function_call_id && *q->hdr.function_call_id &&
        strcmp(fn, "HandleSMSRChangeNotification") == 0)
        return on_smsr_change(d, call, q, cn);
    if (!q || !q->eid || !q->iccid || !q->hdr.function_call_id || !*q->hdr.function_call_id)
        return RSP_ERR_FORMAT;
    if (!owner_of(d, q->eid, q->iccid, op)) {
        smdp_es2_count(d, fn, "refused");
        RSP_LOGN(RSP_SS_SMDP, "ES3 notification refused", "fn=%s eid=%s iccid=%s why=\"not a profile of this SM-DP\"",
                 fn, q->eid, q->iccid);
        return rsp_es_call_complete(call);
    }
    /* The inventory follows what the SM-SR reports (before the relay: a crash after it is answered
     * again by the SM-SR's resend, and the mark is idempotent). Deleted: the identity is spent. */
    rsp_smdp_state to = strcmp(fn, "HandleProfileDeletedNotification") == 0    ? RSP_SMDP_DELETED
                        : strcmp(fn, "HandleProfileEnabledNotification") == 0 ? RSP_SMDP_ENABLED
                                                                                : RSP_SMDP_DISABLED;
    rsp_err me = rsp_smdp_mark_card(d->inv, q->eid, q->iccid, to, (int64_t)time(NULL));
    if (me != RSP_OK && me != RSP_ERR_STATE)
        return me; /* an HTTP error: the SM-SR sends it again */
    if (to == RSP_SMDP_DELETED)
        rsp_smdp_isdp_keys_drop(d->inv, q->iccid);
    if (!callback_of(d->o->callbacks, op, url, sizeof url)) {
        smdp_es2_count(d, fn, "no-url");
        RSP_LOGN(RSP_SS_SMDP, "notification not relayed: no callback URL", "fn=%s op=%s iccid=%s", fn, op, q->iccid);
        return rsp_es_call_complete(call);
    }
    snprintf(key, sizeof key, "smdp-notif:%.40s:%.60s", cn, q->hdr.function_call_id);
    rsp_err e = relay(d, m->func->name, q, key, url);
    if (e != RSP_OK) { /* not stored: an HTTP error, the SM-SR's outbox tries again later */
        smdp_es2_count(d, fn, "failed");
        return e;
    }
    RSP_LOGI(RSP_SS_SMDP, "notification relayed to the Operator", "fn=%s op=%s iccid=%s key=%s", fn, op, q->iccid, key);
    smdp_es2_count(d, fn, "relayed");
    rsp_svc_outbox_kick(rsp_svc_outbox_of(d->svc));
    return rsp_es_call_complete(call);
}

void smdp_notif_downloaded(smdp_d *d, const rsp_smdp_dl *dl)
{
    char url[512], key[160], ts[21];
    if (dl->step != RSP_SMDP_DL_DONE || !callback_of(d->o->callbacks, dl->op, url, sizeof url))
        return;
    rsp_es_datetime_now(ts);
    rsp_es_notification n;
    memset(&n, 0, sizeof n);
    n.eid = (char *)dl->eid;
    n.iccid = (char *)dl->iccid;
    n.profile_type = (char *)dl->type;
    n.completion_timestamp = ts;
    snprintf(key, sizeof key, "smdp-downloaded:%s", dl->id); /* one per download, however often it ends */
    static const char fn[] = "HandleProfileDownloadedNotification";
    rsp_err e = relay(d, fn, &n, key, url);
    smdp_es2_count(d, fn, e == RSP_OK ? "sent" : "failed");
    if (e == RSP_OK)
        rsp_svc_outbox_kick(rsp_svc_outbox_of(d->svc));
    else
        RSP_LOGN(RSP_SS_SMDP, "downloaded notification not stored", "dl=%s err=%s", dl->id, rsp_err_name(e));
}

size_t smdp_notif_handlers(smdp_d *d, rsp_es_handler *h, size_t cap)
{
    static const char *const fns[] = {"HandleProfileEnabledNotification", "HandleProfileDisabledNotification",
                                      "HandleProfileDeletedNotification", "HandleSMSRChangeNotification"};
    size_t n = 0;
    for (size_t i = 0; i < sizeof fns / sizeof fns[0] && n < cap; i++)
        h[n++] = (rsp_es_handler){RSP_ES3, fns[i], false, on_notif, d};
    return n;
}
