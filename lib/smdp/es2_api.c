/* ES2 (Operator -> SM-DP) over HTTPS, the handlers of `rsp smdp run`. The Operator is the CN of its
 * TLS client certificate (never a field of the message). DownloadProfile is journalled at once
 * (rsp_smdp_es2_download) and answered when its download ends, with the ICCID or the status that
 * failed it; the profile functions are relayed to the SM-SR over ES3 (same body, the SM-SR's result
 * passed back), only for profiles this SM-DP downloaded for that Operator. Everything here runs on
 * the svc loop; the ES3 traffic is the workers' (daemon.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon_int.h"
#include "rsp/ids.h"
#include "rsp/log.h"
#include "rsp/svc_client.h"

/* ES2 function, the ES3 one it is relayed as (NULL: not relayed), whether it names a profile. */
typedef struct relay_row {
    const char *es2, *es3;
    bool profile;
} relay_row;

static const relay_row relays[] = {
    {"EnableProfile", "EnableProfile", true},
    {"DisableProfile", "DisableProfile", true},
    {"DeleteProfile", "DeleteISDP", true},
    {"UpdatePolicyRules", "UpdatePolicyRules", true},
    {"UpdateSubscriptionAddress", "UpdateSubscriptionAddress", true},
    {"SetFallBackAttribute", NULL, true}, /* ES3 has no such function (SGP.02 v3.x catalogue) */
    {"GetEIS", "GetEIS", false},
    {"AuditEIS", "AuditEIS", false},
};

/* The calling Operator's CN into op, or the call rejected (false). */
static bool operator_of(smdp_d *d, rsp_es_call *call, const char *fn, char op[RSP_SMDP_NAME_MAX + 1])
{
    const char *peer = rsp_es_call_peer(call);
    const char *p = peer ? strstr(peer, "CN=") : NULL;
    size_t n = p ? strcspn(p + 3, ",+/") : 0;
    op[0] = 0;
    if (p && n <= RSP_SMDP_NAME_MAX) {
        memcpy(op, p + 3, n);
        op[n] = 0;
    }
    bool ok = rsp_smdp__name_ok(op);
    const char *list = d->o->operators;
    if (ok && list && *list) {
        ok = false;
        for (const char *q = list; *q && !ok;) {
            size_t l = strcspn(q, ",");
            ok = l == strlen(op) && strncmp(q, op, l) == 0;
            q += l + (q[l] == ',');
        }
    }
    if (!ok) {
        smdp_es2_count(d, fn, "refused");
        rsp_es_call_reject(call, "1.1", "1.2", NULL, "ES2 is for the Operators this SM-DP serves");
    }
    return ok;
}

/* The SGP.02 status of a download that did not end installed: the SM-SR's when it refused a call,
 * else from the step that failed (docs/modules/smdp.md). */
void smdp_dl_status(const rsp_smdp_dl *dl, char sub[16], char rea[16])
{
    const char *o = dl->outcome;
    const char *slash = strchr(dl->status, '/');
    if (slash && slash - dl->status < 16 && strlen(slash + 1) < 16) {
        memcpy(sub, dl->status, (size_t)(slash - dl->status));
        sub[slash - dl->status] = 0;
        strcpy(rea, slash + 1);
        return;
    }
    struct {
        const char *prefix, *sub, *rea;
    } map[] = {
        {"get-eis: verify-failed", "8.1", "6.1"},  {"get-eis: out-of-range", "8.1", "3.8"},
        {"get-eis: unsupported", "8.1", "3.8"},    {"get-eis:", "8.1", "2.1"},
        {"take: end", "8.2.5", "3.7"},             {"key-establishment:", "8.4", "4.2"},
        {"load:", "8.4", "4.2"},                   {"interrupted in", "8.4", "4.2"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(o, map[i].prefix, strlen(map[i].prefix)) == 0) {
            strcpy(sub, map[i].sub);
            strcpy(rea, map[i].rea);
            return;
        }
    strcpy(sub, "1.2");
    strcpy(rea, "4.2");
}

/* Answers a DownloadProfile call from its download's record. */
static void answer_dl(smdp_d *d, rsp_es_call *call, const rsp_smdp_dl *dl, rsp_err err)
{
    if (err == RSP_ERR_BUSY) { /* stopped: the journal resumes it at the next start */
        smdp_es2_count(d, "DownloadProfile", "interrupted");
        rsp_es_call_reject(call, "1.2", "4.4", NULL, "SM-DP stopping: the download resumes when it restarts");
        return;
    }
    if (dl->step == RSP_SMDP_DL_DONE) {
        rsp_es_data_resp *r = rsp_es_call_response(call);
        if (r && !(r->iccid = strdup(dl->iccid))) {
            rsp_es_call_reject(call, "1.2", "4.2", NULL, "out of memory");
            return;
        }
        if (r && strstr(dl->outcome, "enable failed"))
            r->hdr.status.status = RSP_ES_EXECUTED_WITH_WARNING;
        smdp_es2_count(d, "DownloadProfile", "executed");
        rsp_es_call_complete(call);
        return;
    }
    char sub[16], rea[16], msg[200];
    smdp_dl_status(dl, sub, rea);
    snprintf(msg, sizeof msg, "download %s: %s", dl->id, dl->outcome[0] ? dl->outcome : "failed");
    smdp_es2_count(d, "DownloadProfile", "failed");
    rsp_es_call_reject(call, sub, rea, NULL, msg);
}

static rsp_err wait_add(smdp_d *d, const char *dl_id, rsp_es_call *call, const char *reply)
{
    if (d->n_w == d->cap_w) {
        size_t nc = d->cap_w ? d->cap_w * 2 : 16;
        smdp_wait *nw = realloc(d->w, nc * sizeof *nw);
        if (!nw)
            return RSP_ERR_NOMEM;
        d->w = nw;
        d->cap_w = nc;
    }
    snprintf(d->w[d->n_w].dl_id, sizeof d->w[d->n_w].dl_id, "%s", dl_id);
    snprintf(d->w[d->n_w].reply, sizeof d->w[d->n_w].reply, "%s", reply);
    d->w[d->n_w++].call = call;
    return RSP_OK;
}

static rsp_err on_download(void *hctx, rsp_es_call *call)
{
    smdp_d *d = hctx;
    char op[RSP_SMDP_NAME_MAX + 1];
    if (!operator_of(d, call, "DownloadProfile", op))
        return RSP_OK;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_download_req *q = m ? m->body : NULL;
    if (atomic_load(&d->stopping))
        return rsp_es_call_reject(call, "1.2", "3.7", NULL, "SM-DP stopping");
    if (!q)
        return RSP_ERR_INTERNAL;
    rsp_smdp_dl dl;
    bool replayed = false;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    rsp_err e = rsp_smdp_es2_download(d->inv, op, q, &dl, &replayed, &dg);
    if (e != RSP_OK) {
        const char *sub = "1.2", *rea = "4.2";
        if (e == RSP_ERR_NOT_FOUND) /* no pool of that ProfileType for this Operator */
            sub = "8.2.5", rea = "3.9";
        else if (e == RSP_ERR_UNSUPPORTED)
            sub = "8.2.1", rea = "3.8";
        else if (e == RSP_ERR_FORMAT && (!q->eid || rsp_eid_check(q->eid, NULL) != RSP_OK))
            sub = "8.1.1", rea = "2.1";
        else if (e == RSP_ERR_FORMAT && (!q->hdr.function_call_id || !*q->hdr.function_call_id))
            sub = "1.1", rea = "2.2";
        else if (e == RSP_ERR_FORMAT)
            sub = "8.2.5", rea = "2.1";
        else if (e == RSP_ERR_DENIED)
            sub = "1.1", rea = "1.2";
        else
            return e;
        smdp_es2_count(d, "DownloadProfile", "refused");
        RSP_LOGI(RSP_SS_SMDP, "ES2.DownloadProfile refused", "op=%s why=\"%s\"", op, dg.msg);
        return rsp_es_call_reject(call, sub, rea, NULL, dg.msg);
    }
    RSP_LOGN(RSP_SS_SMDP, replayed ? "ES2.DownloadProfile replayed" : "ES2.DownloadProfile accepted",
             "dl=%s op=%s type=%s eid=%s step=%s", dl.id, dl.op, dl.type, dl.eid, rsp_smdp_dl_step_name(dl.step));
    if (dl.step == RSP_SMDP_DL_DONE || dl.step == RSP_SMDP_DL_FAILED) {
        answer_dl(d, call, &dl, RSP_OK);
        return RSP_OK;
    }
    char reply[SMDP_REPLY_NAME];
    if ((e = smdp_reply_record(d, dl.id, m, reply)) != RSP_OK) /* durable before the 202 */
        return e;
    if ((e = wait_add(d, dl.id, call, reply)) != RSP_OK) {
        smdp_reply_done(d, reply);
        return e;
    }
    smdp_es2_count(d, "DownloadProfile", replayed ? "replayed" : "accepted");
    if (smdp_is_active(d, dl.id))
        return RSP_OK;
    smdp_job *j = calloc(1, sizeof *j);
    if (!j || smdp_enqueue(d, (j->kind = SMDP_JOB_DOWNLOAD, memcpy(j->dl_id, dl.id, sizeof j->dl_id), j)) != RSP_OK) {
        free(j);
        smdp_reply_done(d, d->w[--d->n_w].reply); /* the call is answered by the endpoint's error path */
        return RSP_ERR_NOMEM;
    }
    return RSP_OK;
}

/* Did this SM-DP download iccid onto eid for op (and is it installed)? */
static bool owned(smdp_d *d, const char *op, const char *eid, const char *iccid)
{
    rsp_smdp_dl dl;
    return rsp_smdp_dl_find(d->inv, eid, iccid, &dl) == RSP_OK && dl.step == RSP_SMDP_DL_DONE &&
           strcmp(dl.op, op) == 0;
}

static rsp_err on_relay(smdp_d *d, rsp_es_call *call, const relay_row *row)
{
    char op[RSP_SMDP_NAME_MAX + 1];
    if (!operator_of(d, call, row->es2, op))
        return RSP_OK;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    if (!m || !m->body)
        return RSP_ERR_INTERNAL;
    if (atomic_load(&d->stopping))
        return rsp_es_call_reject(call, "1.2", "3.7", NULL, "SM-DP stopping");
    if (!row->es3) {
        smdp_es2_count(d, row->es2, "refused");
        return rsp_es_call_reject(call, "1.2", "3.8", NULL,
                                  "not relayable: ES3 has no SetFallBackAttribute; the SM-SR serves it on ES4");
    }
    if (row->profile) {
        const rsp_es_profile_req *q = m->body;
        if (!q->eid || !q->iccid)
            return rsp_es_call_reject(call, "1.1", "2.2", NULL, "Eid and Iccid are needed");
        if (!owned(d, op, q->eid, q->iccid)) {
            smdp_es2_count(d, row->es2, "refused");
            return rsp_es_call_reject(call, "8.2.1", "3.9", NULL,
                                      "no profile with this ICCID downloaded by this SM-DP for you on that eUICC");
        }
    } else {
        const rsp_es_eid_req *q = m->body;
        if (!q->eid || rsp_eid_check(q->eid, NULL) != RSP_OK)
            return rsp_es_call_reject(call, "8.1.1", "2.1", NULL, "Eid is not a valid EID");
    }
    smdp_job *j = calloc(1, sizeof *j);
    if (!j)
        return RSP_ERR_NOMEM;
    j->kind = SMDP_JOB_RELAY;
    j->f3 = rsp_es_func_find(RSP_ES3, row->es3, strlen(row->es3));
    j->req2 = m->body;
    j->call = call;
    memcpy(j->op, op, sizeof j->op);
    rsp_err e = j->f3 ? smdp_enqueue(d, j) : RSP_ERR_INTERNAL;
    if (e != RSP_OK)
        free(j);
    else
        smdp_es2_count(d, row->es2, "relayed");
    return e;
}

#define RELAY_FN(name, i)                                                                                  \
    static rsp_err name(void *hctx, rsp_es_call *call)                                                     \
    {                                                                                                      \
        return on_relay(hctx, call, &relays[i]);                                                           \
    }
RELAY_FN(on_enable, 0)
RELAY_FN(on_disable, 1)
RELAY_FN(on_delete, 2)
RELAY_FN(on_pol2, 3)
RELAY_FN(on_subaddr, 4)
RELAY_FN(on_fallback, 5)
RELAY_FN(on_get_eis, 6)
RELAY_FN(on_audit, 7)

/* ES2.UpdateConnectivityParameters: not relayed but computed here, in the SM-DP's own SCP03 session
 * with the ISD-P (a worker job: rsp_smdp_runner_ucp). */
static rsp_err on_ucp(void *hctx, rsp_es_call *call)
{
    smdp_d *d = hctx;
    static const char fn[] = "UpdateConnectivityParameters";
    char op[RSP_SMDP_NAME_MAX + 1];
    if (!operator_of(d, call, fn, op))
        return RSP_OK;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    if (!q)
        return RSP_ERR_INTERNAL;
    if (atomic_load(&d->stopping))
        return rsp_es_call_reject(call, "1.2", "3.7", NULL, "SM-DP stopping");
    if (!q->eid || !q->iccid)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "Eid and Iccid are needed");
    const rsp_buf *cp = &q->connectivity_parameters;
    if (cp->len < 2 || cp->len > 244 || cp->data[0] != 0xA0) {
        smdp_es2_count(d, fn, "refused");
        return rsp_es_call_reject(call, "1.1", "2.1", NULL,
                                  "ConnectivityParameters: the A0 TLV of STORE DATA 3A07, at most 244 bytes");
    }
    if (!owned(d, op, q->eid, q->iccid)) {
        smdp_es2_count(d, fn, "refused");
        return rsp_es_call_reject(call, "8.2.1", "3.9", NULL,
                                  "no profile with this ICCID downloaded by this SM-DP for you on that eUICC");
    }
    smdp_job *j = calloc(1, sizeof *j);
    if (!j)
        return RSP_ERR_NOMEM;
    j->kind = SMDP_JOB_UCP;
    j->req2 = q;
    j->call = call;
    memcpy(j->op, op, sizeof j->op);
    rsp_err e = smdp_enqueue(d, j);
    if (e != RSP_OK)
        free(j);
    else
        smdp_es2_count(d, fn, "accepted");
    return e;
}

static void answer_ucp(smdp_d *d, smdp_job *j)
{
    static const char fn[] = "UpdateConnectivityParameters";
    if (j->err == RSP_OK) {
        smdp_es2_count(d, fn, "executed");
        rsp_es_call_complete(j->call);
        return;
    }
    char m[256];
    const char *sub = "8.4", *rea = "4.2";
    if (j->err == RSP_ERR_NOT_FOUND || j->err == RSP_ERR_VERIFY)
        sub = "8.2.1", rea = "3.9"; /* no keys kept for it (downloaded before they were), or not ours */
    else if (j->err == RSP_ERR_BUSY)
        sub = "1.2", rea = "4.4";
    smdp_es2_count(d, fn, "failed");
    rsp_es_call_reject(j->call, sub, rea, NULL, rsp_diag_str(&j->diag, j->err, m, sizeof m));
}

void smdp_es2_handlers(smdp_d *d)
{
    rsp_es_handler_fn fns[] = {on_enable, on_disable, on_delete, on_pol2, on_subaddr, on_fallback, on_get_eis, on_audit};
    d->h[0] = (rsp_es_handler){RSP_ES2, "DownloadProfile", false, on_download, d};
    for (size_t i = 0; i < sizeof relays / sizeof relays[0] && i + 1 < SMDP_NH; i++)
        d->h[i + 1] = (rsp_es_handler){RSP_ES2, relays[i].es2, false, fns[i], d};
    d->h[9] = (rsp_es_handler){RSP_ES2, "UpdateConnectivityParameters", false, on_ucp, d};
    smdp_notif_handlers(d, d->h + 10, SMDP_NH - 10);
}

/* Keeps in an EIS result only the profiles of op (Mno-Id): the SM-SR shows the SM-DP every ISD-P it
 * created, whichever Operator's. Done on the JSON form, because a profile removed from the list
 * must be freed by the es layer's own descriptor, which it keeps private. */
static rsp_err eis_for(rsp_es_msg *res, const char *op)
{
    rsp_buf j = RSP_BUF_INIT;
    rsp_es_msg out;
    memset(&out, 0, sizeof out);
    rsp_err e = rsp_es_json_encode(res, &j, NULL);
    json_t *root = e == RSP_OK ? json_loadb((const char *)j.data, j.len, 0, NULL) : NULL;
    json_t *pr = json_object_get(json_object_get(root, "eis"), "profiles");
    for (size_t i = json_array_size(pr); i-- > 0;) {
        const char *mno = json_string_value(json_object_get(json_array_get(pr, i), "mnoId"));
        if (!mno || strcmp(mno, op) != 0)
            json_array_remove(pr, i);
    }
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    if (e == RSP_OK)
        e = text ? rsp_es_json_decode(res->func, true, (const uint8_t *)text, strlen(text), NULL, &out, NULL)
                 : RSP_ERR_FORMAT;
    if (e == RSP_OK) {
        rsp_es_msg_free(res);
        *res = out;
    } else {
        rsp_es_msg_free(&out);
    }
    free(text);
    json_decref(root);
    rsp_buf_free(&j);
    return e;
}

/* A relayed AuditEIS lists what the card itself holds (the SM-SR refreshes its store from the card's
 * GET STATUS and drops the ISD-Ps it no longer lists, lib/smsr/audit.c): an installed profile this SM-DP
 * downloaded for op on that eUICC and missing from it is gone, so its identity is spent. (The SM-SR's
 * HandleProfileDeletedNotification of that drop does the same, es2_notif.c, when it has our URL.) */
static void follow_audit(smdp_d *d, const char *op, const rsp_es_eid_req *q, const rsp_es_eis *eis)
{
    rsp_smdp_dl *v = NULL;
    size_t n = 0;
    if (!eis || !q->eid || rsp_smdp_dl_of_eid(d->inv, q->eid, &v, &n) != RSP_OK)
        return;
    const rsp_es_profile_info *pi = eis->profiles.v;
    char *const *asked = q->iccids.v;
    for (size_t i = 0; i < n; i++) {
        if (v[i].step != RSP_SMDP_DL_DONE || strcmp(v[i].op, op) != 0)
            continue;
        const rsp_es_profile_info *on_card = NULL; /* the card's entry of this ICCID */
        for (size_t k = 0; k < eis->profiles.n && !on_card; k++)
            if (pi[k].iccid && strcmp(pi[k].iccid, v[i].iccid) == 0)
                on_card = &pi[k];
        bool audited = q->iccids.n == 0; /* an audit of some ICCIDs says nothing of the others */
        for (size_t k = 0; k < q->iccids.n && !audited; k++)
            audited = asked[k] && strcmp(asked[k], v[i].iccid) == 0;
        if (!on_card) {
            if (audited &&
                rsp_smdp_mark_card(d->inv, NULL, v[i].iccid, RSP_SMDP_DELETED, (int64_t)time(NULL)) == RSP_OK)
                RSP_LOGN(RSP_SS_SMDP, "profile gone from the card", "eid=%s iccid=%s op=%s by=AuditEIS", q->eid,
                         v[i].iccid, op);
            continue;
        }
        /* listed: its state as the card reported it */
        if (on_card->state == RSP_ES_STATE_ENABLED || on_card->state == RSP_ES_STATE_DISABLED)
            rsp_smdp_mark_card(d->inv, NULL, v[i].iccid,
                               on_card->state == RSP_ES_STATE_ENABLED ? RSP_SMDP_ENABLED : RSP_SMDP_DISABLED,
                               (int64_t)time(NULL));
    }
    free(v);
}

/* The SM-SR's result of a relayed call into the ES2 answer (payloads moved, not copied). */
static void answer_relay(smdp_d *d, smdp_job *j)
{
    const char *fn = rsp_es_call_msg(j->call)->func->name;
    if (j->master_deleted) { /* the SM-SR's DeleteISDP was refused; the token deleted it */
        const rsp_es_profile_req *q = rsp_es_call_msg(j->call)->body;
        rsp_smdp_mark_card(d->inv, q->eid, q->iccid, RSP_SMDP_DELETED, (int64_t)time(NULL));
        smdp_es2_count(d, fn, "master-deleted");
        rsp_es_call_complete(j->call);
        return;
    }
    const rsp_es_fes *st = j->err == RSP_OK ? rsp_svc_client_status(&j->res) : NULL;
    if (!st) {
        char m[256];
        smdp_es2_count(d, fn, "failed");
        rsp_es_call_reject(j->call, "8.7", "3.7", NULL, rsp_diag_str(&j->diag, j->err, m, sizeof m));
        return;
    }
    if (st->status == RSP_ES_FAILED || st->status == RSP_ES_EXPIRED) {
        const rsp_es_status_code *c = st->code;
        smdp_es2_count(d, fn, "failed");
        rsp_es_call_reject(j->call, c && c->subject ? c->subject : "8.7", c && c->reason ? c->reason : "4.2",
                           c ? c->subject_identifier : NULL, c ? c->message : "failed at the SM-SR");
        return;
    }
    int status = st->status; /* st points into j->res, which eis_for replaces */
    void *r2 = rsp_es_call_response(j->call);
    if (r2 && (strcmp(fn, "GetEIS") == 0 || strcmp(fn, "AuditEIS") == 0)) {
        if (eis_for(&j->res, j->op) != RSP_OK) {
            smdp_es2_count(d, fn, "failed");
            rsp_es_call_reject(j->call, "1.2", "4.2", NULL, "the SM-SR's EIS could not be read");
            return;
        }
        rsp_es_eis_resp *a = r2, *b = j->res.body;
        if (strcmp(fn, "AuditEIS") == 0)
            follow_audit(d, j->op, rsp_es_call_msg(j->call)->body, b->eis);
        a->eis = b->eis;
        b->eis = NULL;
    } else if (r2 && (strcmp(fn, "EnableProfile") == 0 || strcmp(fn, "DisableProfile") == 0 ||
                      strcmp(fn, "DeleteProfile") == 0)) {
        rsp_es_data_resp *a = r2, *b = j->res.body;
        a->euicc_response_data = b->euicc_response_data;
        memset(&b->euicc_response_data, 0, sizeof b->euicc_response_data);
    }
    if (r2)
        ((rsp_es_resp_hdr *)r2)->status.status = status;
    /* The inventory follows the card: the identity is spent with its profile (deleted), or enabled /
     * disabled as the SM-SR executed it (with a warning too: the card did it). */
    rsp_smdp_state to = strcmp(fn, "DeleteProfile") == 0    ? RSP_SMDP_DELETED
                        : strcmp(fn, "EnableProfile") == 0  ? RSP_SMDP_ENABLED
                        : strcmp(fn, "DisableProfile") == 0 ? RSP_SMDP_DISABLED
                                                            : RSP_SMDP_AVAILABLE;
    if (to != RSP_SMDP_AVAILABLE) {
        const rsp_es_profile_req *q = rsp_es_call_msg(j->call)->body;
        rsp_err me = rsp_smdp_mark_card(d->inv, q->eid, q->iccid, to, (int64_t)time(NULL));
        if (me != RSP_OK)
            RSP_LOGN(RSP_SS_SMDP, "inventory not updated", "fn=%s iccid=%s to=%s err=%s", fn, q->iccid,
                     rsp_smdp_state_name(to), rsp_err_name(me));
    }
    smdp_es2_count(d, fn, "executed");
    rsp_es_call_complete(j->call);
}

void smdp_es2_job_done(smdp_d *d, smdp_job *j)
{
    if (j->kind == SMDP_JOB_RELAY) {
        answer_relay(d, j);
        return;
    }
    if (j->kind == SMDP_JOB_UCP) {
        answer_ucp(d, j);
        return;
    }
    for (size_t i = 0; i < d->n_w;) {
        if (strcmp(d->w[i].dl_id, j->dl_id) == 0) {
            answer_dl(d, d->w[i].call, &j->dl, j->err);
            if (j->err != RSP_ERR_BUSY) /* answered for good: its durable record is not needed */
                smdp_reply_done(d, d->w[i].reply);
            d->w[i] = d->w[--d->n_w];
        } else {
            i++;
        }
    }
}

void smdp_es2_stop(smdp_d *d)
{
    /* Every held DownloadProfile is answered now, not when its worker reaches a call boundary (an ES3
     * call may outlast the stop's grace): the download resumes at the next start, and the durable
     * ReplyTo record stays, so the final result still reaches the Operator then. The jobs borrow
     * nothing from these calls. */
    for (size_t i = 0; i < d->n_w; i++) {
        smdp_es2_count(d, "DownloadProfile", "interrupted");
        rsp_es_call_reject(d->w[i].call, "1.2", "4.4", NULL, "SM-DP stopping: the download resumes when it restarts");
    }
    d->n_w = 0;
}
