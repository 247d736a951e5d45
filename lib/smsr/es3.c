/* ES3 (SM-DP -> SM-SR) over HTTPS (lib/svc's ES endpoint): CreateISDP, SendData,
 * ProfileDownloadCompleted, DeleteISDP, EnableProfile and GetEIS. The caller is an SM-DP by its client certificate
 * CN (listed in --smdp-ids); it acts only on ISD-Ps it created (the profile's smdp_id).
 *
 * CreateISDP and SendData are durable engine operations (es3_dl.c); DeleteISDP and EnableProfile are
 * engine operations with ES4's rows (requester = the SM-DP). A call waits here for its op to settle
 * (smsr_es3_poll), with a durable reply when it named a ReplyTo. UpdateConnectivityParameters
 * (es3_relay.c) is a durable op like SendData (es3_dl.c smsr_dl_on_conn): nothing waits in memory
 * that a restart would lose. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/es_endpoint.h"
#include "rsp/es_types.h"
#include "rsp/ids.h"
#include "rsp/log.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/sms.h"
#include "es3_relay.h"
#include "smsr_dl.h"
#include "smsr_outbox.h"

enum { ES3_NH = 6 };

/* A call waiting for an engine op (P_DL: a download op, answered with its data) */
typedef enum { P_OP, P_DL } pend_kind;

typedef struct pend {
    pend_kind kind;
    int64_t op_id;
    rsp_es_call *call;
    int64_t reply_id;  /* 0, or the durable pending reply that carries the result */
    bool audit;        /* AuditEIS: answered with the refreshed EIS */
} pend;

struct smsr_es3 {
    rsp_smsr *e;
    char smdp[512];
    smsr_send_fn send;
    void *arg;
    rsp_es_handler h[ES3_NH];
    rsp_es_handler *all; /* merged with the ES4 handlers (owned) */
    pend *p;
    size_t n, cap;
    smsr_https *https;   /* ES5 over HTTPS (the kick's admin scripts), or NULL */
    rsp_smsr_es *es;     /* borrowed, found at merge: strict ReplyTo, durable results, muting; or NULL */
    bool kicking;        /* inside smsr_dl_kick (an admin answer settled synchronously re-enters) */
};

/* The calling SM-DP's CN into who, or a rejection (false). */
static bool smdp_of(smsr_es3 *x, rsp_es_call *call, char who[RSP_STORE_ID_LEN])
{
    smsr_cn_of(rsp_es_call_peer(call), who, RSP_STORE_ID_LEN);
    if (!who[0] || !smsr_listed(x->smdp, who)) {
        rsp_es_call_reject(call, "1.1", "1.2", NULL, "ES3 is for SM-DPs only");
        return false;
    }
    return !smsr_es_reply_to_refused(x->es, call, who); /* ES4's rule: the SM-DP's configured URLs only */
}

static rsp_err pend_add(smsr_es3 *x, const pend *p)
{
    pend *np = smsr_grow(x->p, x->n, &x->cap, sizeof(*np));
    if (!np)
        return RSP_ERR_NOMEM;
    x->p = np;
    x->p[x->n++] = *p;
    return RSP_OK;
}

void smsr_es3_set_https(smsr_es3 *x, smsr_https *h)
{
    if (x)
        x->https = h;
}

rsp_err smsr_es3_reply_check(smsr_es3 *x, rsp_es_call *call, const char *who)
{
    return smsr_es_reply_to_refused(x->es, call, who) ? RSP_ERR_DENIED : RSP_OK;
}

static rsp_err on_completed(void *hctx, rsp_es_call *call)
{
    smsr_es3 *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_download_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    if (!smdp_of(x, call, who))
        return RSP_OK;
    rsp_store_profile p;
    if (!q || !q->eid || !q->iccid || rsp_store_profile_get(x->e->st, q->iccid, &p) != RSP_OK ||
        strcmp(p.eid, q->eid) != 0)
        return rsp_es_call_reject(call, "8.2.1", "3.9", NULL, "unknown ICCID on this eUICC");
    if (strcmp(p.smdp_id, who) != 0)
        return rsp_es_call_reject(call, "8.2.1", "1.2", NULL, "ISD-P created by another SM-DP");
    if (q->profile_type)
        snprintf(p.profile_type, sizeof(p.profile_type), "%s", q->profile_type);
    if (q->subscription_address) {
        if (q->subscription_address->msisdn)
            snprintf(p.msisdn, sizeof(p.msisdn), "%s", q->subscription_address->msisdn);
        if (q->subscription_address->imsi)
            snprintf(p.imsi, sizeof(p.imsi), "%s", q->subscription_address->imsi);
    }
    p.pol2 = smsr_pol2_of(q->pol2);
    if (p.state < RSP_STORE_PROFILE_DISABLED)
        p.state = RSP_STORE_PROFILE_DISABLED; /* installed: an ISD-P that is not enabled */
    rsp_err err = rsp_store_profile_put(x->e->st, &p);
    if (err == RSP_OK && p.msisdn[0])
        err = rsp_smsr_msisdn_register(x->e, p.eid, p.msisdn, (int64_t)time(NULL));
    return err != RSP_OK ? err : rsp_es_call_complete(call);
}

/* A call waiting for engine operation op_id (rq as submitted). With a ReplyTo its result is durable:
 * a pending reply is recorded before the endpoint gives its 202 (es_api.c's rule), so whichever
 * worker sees the op settle sends it, after a restart too; the in-memory answer is then muted. A
 * deletion records the Operator's HandleProfileDeletedNotification intent (ONC) as ES4's does, sent
 * only if the op ends DONE. */
static rsp_err wait_op(smsr_es3 *x, rsp_es_call *call, const rsp_smsr_request *rq, int64_t op_id)
{
    pend p = {P_OP, op_id, call, 0, rq->fn == RSP_SMSR_FN_AUDIT};
    rsp_err err = smsr_es_reply_begin(x->es, call, rq, op_id, p.audit, &p.reply_id);
    if (err == RSP_OK && rq->fn == RSP_SMSR_FN_DELETE && rq->iccid && rq->iccid[0])
        err = smsr_onc_delete_queued(x->e, rq->iccid, op_id, rq->now);
    return err != RSP_OK ? err : pend_add(x, &p);
}

/* DeleteISDP and EnableProfile: engine operations (the rows of ES4.DeleteProfile / EnableProfile),
 * requester the SM-DP, whose ownership the engine checks (submit.c). */
static rsp_err engine_call(smsr_es3 *x, rsp_es_call *call, rsp_smsr_fn fn)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    if (!smdp_of(x, call, who))
        return RSP_OK;
    if (!q || !q->eid || !q->iccid || !q->hdr.function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID, ICCID and FunctionCallIdentifier are needed");
    rsp_smsr_request rq = {fn, RSP_SMSR_ROLE_SMDP, who, q->hdr.function_call_id, q->eid, q->iccid,
                           (int64_t)time(NULL), smsr_validity(&q->hdr)};
    rsp_smsr_result r;
    rsp_err err = rsp_smsr_submit(x->e, &rq, &r);
    if (err != RSP_OK)
        return err;
    if (r.status[0])
        return smsr_call_answer(call, &r);
    if ((err = wait_op(x, call, &rq, r.op_id)) == RSP_OK)
        smsr_dl_kick(x); /* sent now, not at the daemon's next tick */
    return err;
}

rsp_err smsr_es3_wait_op(smsr_es3 *x, rsp_es_call *call, int64_t op_id)
{
    /* a relay (es3_relay.c): the request as the engine recorded it */
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    smsr_target t;
    memset(&t, 0, sizeof(t));
    rsp_err err = rsp_store_op_get(x->e->st, op_id, &op);
    if (err == RSP_OK && smsr_target_decode(&op.script, &t) != RSP_OK)
        t.iccid[0] = 0;
    rsp_smsr_fn fn = RSP_SMSR_FN_AUDIT;
    if (err == RSP_OK && rsp_smsr_fn_parse(op.function, &fn) == RSP_OK) {
        rsp_smsr_request rq = {fn, RSP_SMSR_ROLE_SMDP, op.requester, op.fcid, op.eid, t.iccid, (int64_t)time(NULL), 1};
        err = wait_op(x, call, &rq, op_id);
    } else if (err == RSP_OK) {
        err = RSP_ERR_STATE;
    }
    rsp_store_op_clear(&op);
    return err;
}

static rsp_err on_delete(void *hctx, rsp_es_call *call)
{
    return engine_call(hctx, call, RSP_SMSR_FN_DELETE);
}

static rsp_err on_enable(void *hctx, rsp_es_call *call)
{
    return engine_call(hctx, call, RSP_SMSR_FN_ENABLE);
}

static rsp_err on_get_eis(void *hctx, rsp_es_call *call)
{
    smsr_es3 *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_eid_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    if (!smdp_of(x, call, who))
        return RSP_OK;
    rsp_store_eis s;
    memset(&s, 0, sizeof(s));
    if (!q || !q->eid || rsp_store_eis_get(x->e->st, q->eid, &s) != RSP_OK) {
        rsp_store_eis_clear(&s);
        return rsp_es_call_reject(call, "8.1.1", "3.9", NULL, "unknown EID");
    }
    rsp_es_eis_resp *r = rsp_es_call_response(call);
    rsp_err err = r ? smsr_es3_eis(x->e, &s, who, &r->eis) : RSP_ERR_INTERNAL;
    rsp_store_eis_clear(&s);
    return err != RSP_OK ? err : rsp_es_call_complete(call);
}

rsp_err smsr_es3_audit_eis(rsp_smsr *e, rsp_es_call *call)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_eid_req *q = m ? m->body : NULL;
    rsp_es_eis_resp *r = rsp_es_call_response(call);
    char who[RSP_STORE_ID_LEN];
    smsr_cn_of(rsp_es_call_peer(call), who, sizeof(who));
    if (!q || !q->eid || !r || !who[0])
        return RSP_ERR_INTERNAL;
    if (r->eis)
        return RSP_OK;
    rsp_store_eis s;
    memset(&s, 0, sizeof(s));
    rsp_err err = rsp_store_eis_get(e->st, q->eid, &s);
    if (err == RSP_OK)
        err = smsr_es3_eis(e, &s, who, &r->eis); /* r->eis is the response's, freed with it */
    rsp_store_eis_clear(&s);
    if (err != RSP_OK)
        RSP_LOGN(RSP_SS_SMSR, "ES3 AuditEIS answered without its EIS", "eid=%s err=%s", q->eid, rsp_err_name(err));
    return err;
}

rsp_err smsr_es3_on_por(smsr_es3 *x, const char *eid, const uint8_t *ud, size_t len, int64_t now)
{
    /* every ES3 command to a card is an engine operation now (UpdateConnectivityParameters too:
     * es3_dl.c), whose PoR rsp_smsr_on_por settles: a PoR it did not know is nobody's */
    (void)x, (void)eid, (void)ud, (void)len, (void)now;
    return RSP_ERR_NOT_FOUND;
}

void smsr_es3_poll(smsr_es3 *x, int64_t now)
{
    (void)now;
    for (size_t i = 0; x && i < x->n;) {
        pend p = x->p[i];
        rsp_smsr_result r;
        if (rsp_smsr_result_get(x->e, p.op_id, &r) != RSP_OK || !r.status[0]) {
            i++;
            continue;
        }
        x->p[i] = x->p[--x->n]; /* first: the answer may re-enter (a kick settling another op) */
        if (p.kind == P_DL) {
            smsr_dl_answer(x, p.call, p.reply_id, p.op_id, &r);
            continue;
        }
        if (p.audit && strcmp(r.status, "Executed-Success") == 0)
            smsr_es3_audit_eis(x->e, p.call);
        smsr_es_reply_answer(x->es, p.call, p.reply_id, &r);
    }
}

static rsp_err on_create(void *hctx, rsp_es_call *call)
{
    return smsr_dl_on_create(hctx, call);
}

static rsp_err on_send(void *hctx, rsp_es_call *call)
{
    return smsr_dl_on_send(hctx, call);
}

bool smsr_es3_caller(smsr_es3 *x, rsp_es_call *call, char who[RSP_STORE_ID_LEN])
{
    return smdp_of(x, call, who);
}

rsp_smsr *smsr_es3_engine(smsr_es3 *x)
{
    return x->e;
}

void smsr_es3_answer(smsr_es3 *x, rsp_es_call *call, int64_t reply_id, const rsp_smsr_result *r)
{
    smsr_es_reply_answer(x->es, call, reply_id, r);
}

rsp_err smsr_es3_wait_dl(smsr_es3 *x, rsp_es_call *call, const rsp_smsr_request *rq, int64_t op_id)
{
    rsp_smsr_result r;
    rsp_err err = rsp_smsr_result_get(x->e, op_id, &r);
    if (err != RSP_OK)
        return err;
    if (r.status[0]) { /* settled already: a refusal recorded now, or a replay */
        smsr_dl_answer(x, call, 0, op_id, &r);
        return RSP_OK;
    }
    pend p = {P_DL, op_id, call, 0, false};
    if ((err = smsr_es_reply_begin(x->es, call, rq, op_id, false, &p.reply_id)) != RSP_OK)
        return err;
    return pend_add(x, &p);
}

/* An engine command for the card's admin session, sent by the kick: its answer settles the op as
 * the daemon's do (rsp_smsr_on_admin: lost = no usable answer, sent again). */
typedef struct kick_op {
    smsr_es3 *x;
    char eid[33];
    int64_t op_id, gen;
} kick_op;

static void kick_admin_done(void *arg, uint64_t tag, rsp_err err, rsp_scp81_status st, const uint8_t *body,
                            size_t len, const char *why)
{
    (void)tag;
    kick_op *k = arg;
    smsr_es3 *x = k->x;
    int64_t now = (int64_t)time(NULL);
    if (err != RSP_ERR_STATE) { /* stopping: the lease lapses, a restart resends */
        bool lost = err != RSP_OK || (st != RSP_SCP81_STATUS_OK && st != RSP_SCP81_STATUS_NONE);
        rsp_diag dg;
        rsp_diag_clear(&dg);
        rsp_err r = rsp_smsr_on_admin(x->e, k->eid, k->op_id, k->gen, body, len, lost, now, &dg);
        char m[160];
        /* the daemon's line for the same event (its own engine scripts log it there) */
        RSP_LOGN(RSP_SS_SMSR, "admin answer", "eid=%s op=%lld lost=%d%s%s result=%s%s%s", k->eid,
                 (long long)k->op_id, (int)lost, why ? " why=" : "", why ? why : "", rsp_err_name(r),
                 r ? " detail=" : "", r ? rsp_diag_str(&dg, r, m, sizeof(m)) : "");
    }
    free(k);
    if (err != RSP_ERR_STATE) {
        smsr_es3_poll(x, now);
        smsr_dl_kick(x);
    }
}

void smsr_dl_kick(smsr_es3 *x)
{
    if (!x || x->kicking)
        return; /* the outer kick's loop sends what this one would */
    x->kicking = true;
    int64_t now = (int64_t)time(NULL);
    for (int i = 0; i < 64; i++) {
        rsp_smsr_packet pkt;
        if (rsp_smsr_next(x->e, now, &pkt) != RSP_OK)
            break;
        kick_op *k = pkt.https ? calloc(1, sizeof(*k)) : NULL;
        if (pkt.https && k && x->https) {
            *k = (kick_op){x, "", pkt.op_id, pkt.generation};
            snprintf(k->eid, sizeof(k->eid), "%s", pkt.eid);
            if (smsr_https_queue(x->https, pkt.eid, NULL, 0, pkt.script.data, pkt.script.len, kick_admin_done, k,
                                 (uint64_t)pkt.op_id) != RSP_OK)
                free(k); /* the lease lapses and the op is sent again */
        } else if (pkt.https) {
            free(k);
        } else {
            x->send(x->arg, &pkt);
        }
        rsp_smsr_packet_clear(&pkt);
    }
    x->kicking = false;
}

rsp_err smsr_es3_new(rsp_smsr *e, const char *smdp_ids, smsr_send_fn send, void *arg, smsr_es3 **out)
{
    if (!e || !send || !out || (smdp_ids && strlen(smdp_ids) >= 512))
        return RSP_ERR_INVAL;
    smsr_es3 *x = calloc(1, sizeof(*x));
    if (!x)
        return RSP_ERR_NOMEM;
    x->e = e;
    x->send = send;
    x->arg = arg;
    snprintf(x->smdp, sizeof(x->smdp), "%s", smdp_ids ? smdp_ids : "");
    e->es3 = x;
    x->h[0] = (rsp_es_handler){RSP_ES3, "CreateISDP", false, on_create, x};
    x->h[1] = (rsp_es_handler){RSP_ES3, "SendData", false, on_send, x};
    x->h[2] = (rsp_es_handler){RSP_ES3, "ProfileDownloadCompleted", false, on_completed, x};
    x->h[3] = (rsp_es_handler){RSP_ES3, "DeleteISDP", false, on_delete, x};
    x->h[4] = (rsp_es_handler){RSP_ES3, "GetEIS", false, on_get_eis, x};
    x->h[5] = (rsp_es_handler){RSP_ES3, "EnableProfile", false, on_enable, x};
    *out = x;
    return RSP_OK;
}

rsp_err smsr_es3_merge(smsr_es3 *x, const rsp_es_handler **h, size_t *n)
{
    rsp_es_handler *all = calloc(*n + ES3_NH, sizeof(*all));
    if (!all)
        return RSP_ERR_NOMEM;
    x->es = smsr_es_of(*h, *n);
    if (*n)
        memcpy(all, *h, *n * sizeof(*all));
    memcpy(all + *n, x->h, sizeof(x->h));
    if (smsr_es3_relay_append(x, x->e, x->smdp, &all, *n + ES3_NH, n) != RSP_OK)
        return RSP_ERR_NOMEM;
    free(x->all);
    x->all = all;
    *h = all;
    *n += ES3_NH;
    return RSP_OK;
}

void smsr_es3_stop(smsr_es3 *x)
{
    for (size_t i = 0; x && i < x->n; i++) /* the op goes on; a durable reply carries its result */
        smsr_es_reply_answer(x->es, x->p[i].call, x->p[i].reply_id, NULL);
    if (x)
        x->n = 0;
}

void smsr_es3_free(smsr_es3 *x)
{
    if (!x)
        return;
    x->es = NULL; /* may be freed already (the daemon frees it first): answer any leftover plainly */
    if (x->e->es3 == x)
        x->e->es3 = NULL;
    smsr_es3_stop(x);
    free(x->p);
    free(x->all);
    free(x);
}
