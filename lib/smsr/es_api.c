/* ES4 over HTTPS (through lib/svc's ES endpoint): EnableProfile, DisableProfile, DeleteProfile,
 * SetFallBackAttribute and SetEmergencyProfileAttribute become engine operations (UpdatePolicyRules,
 * UpdateSubscriptionAddress and the ES4A functions, es4a.c, are store updates answered at once);
 * refusals and replays of settled calls are answered at once, the others when their operation settles (polled from the store, so whichever worker
 * settles it). The requester is the CN of the peer's client certificate: an M2M SP or SM-DP when
 * listed as one, else an Operator.
 * Results to a ReplyTo are durable: the ReplyTo is checked against the caller's configured callback
 * URLs before anything is queued, a pending reply is recorded right after the operation (before the
 * 202 is given), and whichever worker sees the operation settle moves the result into the outbox
 * (smsr_outbox.h). The call held in memory is then answered with its callback muted. Deferred
 * answers (Prefer: wait, njiwa's request-response) stay in memory: their HTTP connection dies with
 * the process anyway. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/crypto.h"
#include "rsp/es.h"
#include "rsp/es_endpoint.h"
#include "rsp/es_types.h"
#include "es3_relay.h"
#include "smsr_es4a.h"
#include "smsr_outbox.h"

typedef struct waiting {
    int64_t op_id;
    rsp_es_call *call;
    bool audit;              /* AuditEIS: answered with the EIS the caller may see */
    int64_t reply_id;        /* 0, or the durable pending reply that carries the result */
    rsp_smsr_role role;
    char who[RSP_STORE_ID_LEN];
} waiting;

struct rsp_smsr_es {
    rsp_smsr *e;
    char m2msp[512], smdp[512]; /* comma-separated identities (CNs) of those roles */
    rsp_es_handler h[14];
    rsp_smsr_es1_trust es1; /* borrowed keys; es1.ci NULL: ES1 refuses */
    waiting *w;
    size_t n, cap;
    smsr_callbacks cb;       /* callback URL prefixes per peer */
    rsp_svc_outbox *ob;      /* NULL: no durable results (not listening) */
    rsp_svc *svc;            /* borrowed: whose dispatch asks Prefer: wait */
    bool muting, muted_hit;  /* answering a call whose result the outbox carries */
    smsr_mover_stats mv;
    rsp_metric *m_no_url;
};

static rsp_err finish(rsp_smsr *e, const waiting *w, const rsp_smsr_result *r)
{
    if (w->audit && strcmp(r->status, "Executed-Success") == 0)
        return smsr_es4_get_eis(e, w->who, w->role, w->call);
    return smsr_call_answer(w->call, r);
}

static bool usable_reply_to(const char *r)
{
    return r && *r && !strstr(r, "/addressing/anonymous") && !strstr(r, "/addressing/none");
}

/* A ReplyTo outside the caller's configured callback URLs: refused before anything is queued. With
 * no --callbacks at all no URL is the caller's, so every ReplyTo is refused the same way: the SM-SR
 * never posts to an address a peer merely names (Prefer: wait and njiwa's request-response need none). */
static bool reply_to_refused(rsp_smsr_es *x, rsp_es_call *call, const char *who)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const char *rt = m ? m->wsa.reply_to : NULL;
    if (!usable_reply_to(rt) || smsr_callbacks_allow(&x->cb, who, rt))
        return false;
    char u[120];
    rsp_http_log_escape(rt, strlen(rt), u, sizeof(u));
    RSP_LOGN(RSP_SS_SMSR, "ReplyTo refused", "who=%s reply_to=\"%s\"", who, u);
    rsp_es_call_reject(call, "1.1", "1.2", "ReplyTo", "ReplyTo is not a callback URL configured for the caller");
    return true;
}

rsp_err smsr_es_reply_begin(rsp_smsr_es *x, rsp_es_call *call, const rsp_smsr_request *rq, int64_t op_id,
                            bool audit, int64_t *reply_id)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    *reply_id = 0;
    if (!x || !x->ob || !m || !usable_reply_to(m->wsa.reply_to) || m->dialect == RSP_ES_DIALECT_NJIWA ||
        m->func->mode == RSP_ES_SYNC || rsp_svc_dispatch_prefers_wait(x->svc))
        return RSP_OK;
    return smsr_reply_record(x->e, m, rq, op_id, audit, reply_id);
}

bool smsr_es_reply_to_refused(rsp_smsr_es *x, rsp_es_call *call, const char *who)
{
    return x && reply_to_refused(x, call, who);
}

/* Queues rq; answers now when it settled at once (a refusal, a replay), else when it settles. */
static rsp_err queue(rsp_smsr_es *x, rsp_es_call *call, const rsp_smsr_request *rq, bool audit)
{
    rsp_smsr_result r;
    if (reply_to_refused(x, call, rq->requester))
        return RSP_OK;
    rsp_err err = rsp_smsr_submit(x->e, rq, &r);
    if (err != RSP_OK)
        return err; /* the endpoint answers 1.2 / 4.2: our fault */
    waiting w = {r.op_id, call, audit, 0, rq->role, ""};
    snprintf(w.who, sizeof(w.who), "%s", rq->requester);
    if (r.status[0])
        return finish(x->e, &w, &r);
    /* Durable result: a callback (a usable ReplyTo; not Prefer: wait, not njiwa's request-response
     * calls: those answer in the HTTP response), recorded before the endpoint gives its 202. A crash
     * between the operation's commit and this one loses nothing promised: the caller has no 202 and
     * retries with the same FCID (a replay records it). */
    if ((err = smsr_es_reply_begin(x, call, rq, r.op_id, audit, &w.reply_id)) != RSP_OK)
        return err;
    waiting *nw = smsr_grow(x->w, x->n, &x->cap, sizeof(*nw));
    if (!nw)
        return RSP_ERR_NOMEM;
    x->w = nw;
    x->w[x->n++] = w;
    return RSP_OK;
}

static rsp_err on_call(void *hctx, rsp_es_call *call)
{
    rsp_smsr_es *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    static const char *const names[5] = {"EnableProfile", "DisableProfile", "DeleteProfile", "SetFallBackAttribute",
                                         "SetEmergencyProfileAttribute"};
    static const rsp_smsr_fn fns[5] = {RSP_SMSR_FN_ENABLE, RSP_SMSR_FN_DISABLE, RSP_SMSR_FN_DELETE,
                                       RSP_SMSR_FN_SET_FALLBACK, RSP_SMSR_FN_SET_EMERGENCY};
    int i = 0;
    while (i < 5 && (!m || !m->func || strcmp(m->func->name, names[i]) != 0))
        i++;
    if (i == 5 || !q)
        return rsp_es_call_reject(call, "1.1", "2.1", NULL, "function not handled");
    char who[RSP_STORE_ID_LEN];
    smsr_cn_of(rsp_es_call_peer(call), who, sizeof(who));
    if (!who[0])
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "no client certificate identity");
    if (!q->eid || !q->iccid || !q->hdr.function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID, ICCID and FunctionCallIdentifier are needed");
    rsp_smsr_role role = smsr_listed(x->m2msp, who) ? RSP_SMSR_ROLE_M2MSP
                         : smsr_listed(x->smdp, who) ? RSP_SMSR_ROLE_SMDP
                                                : RSP_SMSR_ROLE_OPERATOR;
    rsp_smsr_request rq = {fns[i], role, who, q->hdr.function_call_id, q->eid, q->iccid,
                           (int64_t)time(NULL), smsr_validity(&q->hdr)};
    rsp_err err = queue(x, call, &rq, false);
    if (err == RSP_OK && fns[i] == RSP_SMSR_FN_DELETE && x->n && x->w[x->n - 1].call == call)
        err = smsr_onc_delete_queued(x->e, q->iccid, x->w[x->n - 1].op_id, rq.now); /* ONC, when it is done */
    return err;
}

/* ES4.AuditEIS: an engine operation on the profile named, or the caller's first profile on the card
 * (which decides who may ask); the card is asked for every ISD-P and its free memory (GET STATUS 4F 00
 * and GET DATA FF21, audit.c), and on success the answer is the EIS as GetEIS gives it. */
static rsp_err on_audit(void *hctx, rsp_es_call *call)
{
    rsp_smsr_es *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_eid_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN], iccid[21] = "";
    smsr_cn_of(rsp_es_call_peer(call), who, sizeof(who));
    if (!who[0] || smsr_listed(x->smdp, who))
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "an Operator or M2M SP audits over ES4");
    if (!q || !q->eid || !q->hdr.function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID and FunctionCallIdentifier are needed");
    rsp_smsr_role role = smsr_listed(x->m2msp, who) ? RSP_SMSR_ROLE_M2MSP : RSP_SMSR_ROLE_OPERATOR;
    if (q->iccids.n) {
        snprintf(iccid, sizeof(iccid), "%.20s", ((char *const *)q->iccids.v)[0]);
    } else {
        rsp_store_profile *all = NULL;
        size_t n = 0;
        if (rsp_store_profile_list(x->e->st, q->eid, &all, &n) == RSP_OK)
            for (size_t i = 0; i < n && !iccid[0]; i++)
                if (role != RSP_SMSR_ROLE_OPERATOR || strcmp(all[i].mno_id, who) == 0)
                    snprintf(iccid, sizeof(iccid), "%s", all[i].iccid);
        free(all);
        if (!iccid[0])
            return rsp_es_call_reject(call, "8.1.1", "3.9", q->eid, "Unknown EID");
    }
    rsp_smsr_request rq = {RSP_SMSR_FN_AUDIT, role, who, q->hdr.function_call_id, q->eid, iccid,
                           (int64_t)time(NULL), smsr_validity(&q->hdr)};
    return queue(x, call, &rq, true);
}

/* The caller is an Operator (not listed as an M2M SP or SM-DP); who gets its CN. */
static bool operator_of(const rsp_smsr_es *x, rsp_es_call *call, char who[RSP_STORE_ID_LEN])
{
    smsr_cn_of(rsp_es_call_peer(call), who, RSP_STORE_ID_LEN);
    return who[0] && !smsr_listed(x->m2msp, who) && !smsr_listed(x->smdp, who);
}

/* ES4.UpdatePolicyRules: the profile's Operator replaces its POL2 in the store (never delegated). The
 * rules take effect on the SM-SR's next policy check (POL2 is enforced here, before anything is sent). */
static rsp_err on_update_pol2(void *hctx, rsp_es_call *call)
{
    rsp_smsr_es *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    if (!operator_of(x, call, who))
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "only the profile's Operator updates POL2");
    if (!q || !q->eid || !q->iccid || !q->pol2)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID, ICCID and POL2 are needed");
    rsp_store_profile p;
    if (rsp_store_profile_get(x->e->st, q->iccid, &p) != RSP_OK || strcmp(p.eid, q->eid) != 0)
        return rsp_es_call_reject(call, "8.2.1", "3.9", q->iccid, "Unknown ICCID on this eUICC");
    if (strcmp(p.mno_id, who) != 0)
        return rsp_es_call_reject(call, "8.2.1", "1.2", q->iccid, "not the Operator of this profile");
    uint32_t pol2 = smsr_pol2_of(q->pol2);
    char d[40];
    snprintf(d, sizeof(d), "pol2=%u", (unsigned)pol2);
    rsp_err err = rsp_store_profile_set_pol2(x->e->st, q->iccid, pol2);
    err = err ? err : smsr_audit(x->e, q->eid, q->iccid, 0, "smsr.pol2", d, (int64_t)time(NULL));
    return err ? err : rsp_es_call_complete(call);
}

/* ES4.UpdateSubscriptionAddress: the profile's Operator, or an M2M SP its Operator granted
 * ES4-UpdateSubscriptionAddress by PLMA for the profile's type; the store, the MSISDN index and the
 * audit log are updated and the call answered at once (es3_relay.c's code, shared with ES3). */
static rsp_err on_update_subaddr(void *hctx, rsp_es_call *call)
{
    rsp_smsr_es *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    smsr_cn_of(rsp_es_call_peer(call), who, sizeof(who));
    if (!who[0] || smsr_listed(x->smdp, who))
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "an Operator or M2M SP updates it over ES4");
    if (!q || !q->eid || !q->iccid)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID and ICCID are needed");
    rsp_store_profile p;
    if (rsp_store_profile_get(x->e->st, q->iccid, &p) != RSP_OK || strcmp(p.eid, q->eid) != 0)
        return rsp_es_call_reject(call, "8.2.1", "3.9", q->iccid, "Unknown ICCID on this eUICC");
    bool m2msp = smsr_listed(x->m2msp, who);
    uint32_t bits = 0;
    if (m2msp && rsp_store_plma_get(x->e->st, p.mno_id, who, p.profile_type, &bits) != RSP_OK)
        bits = 0;
    if (m2msp ? !(bits & RSP_STORE_FN_UPDATE_SUBSCRIPTION_ADDRESS) : strcmp(p.mno_id, who) != 0)
        return rsp_es_call_reject(call, "8.2.1", "1.2", q->iccid,
                                  m2msp ? "no PLMA for ES4-UpdateSubscriptionAddress" : "not the Operator of this profile");
    return smsr_subaddr_apply(x->e, call, &p, q, m2msp ? "m2msp" : "operator");
}

/* ES4.GetEIS (es4_eis.c): an Operator, or an M2M SP through PLMAs; an SM-DP uses ES3. */
static rsp_err on_get_eis(void *hctx, rsp_es_call *call)
{
    rsp_smsr_es *x = hctx;
    char who[RSP_STORE_ID_LEN];
    smsr_cn_of(rsp_es_call_peer(call), who, sizeof(who));
    if (!who[0] || smsr_listed(x->smdp, who))
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "an Operator or M2M SP reads an EIS over ES4");
    return smsr_es4_get_eis(x->e, who, smsr_listed(x->m2msp, who) ? RSP_SMSR_ROLE_M2MSP : RSP_SMSR_ROLE_OPERATOR, call);
}

/* ES4A (es4a.c): only an Operator manages its PLMAs and ONCs; who is NULL for any other caller. */
static rsp_err on_es4a(void *hctx, rsp_es_call *call)
{
    rsp_smsr_es *x = hctx;
    char who[RSP_STORE_ID_LEN];
    return smsr_es4a_call(x->e, operator_of(x, call, who) ? who : NULL, call);
}

/* ES1.RegisterEIS: the EUM registers its own cards (the client certificate's CN is the Eum-Id the
 * chain proves; checked after the chain so that an unknown EUM is told so). */
static rsp_err on_register(void *hctx, rsp_es_call *call)
{
    rsp_smsr_es *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_eis_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    smsr_cn_of(rsp_es_call_peer(call), who, sizeof(who));
    if (!q || !q->eis || !q->eis->signed_info)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "no Eis");
    rsp_smsr_refusal ref;
    rsp_diag d;
    rsp_diag_clear(&d);
    const char *eum = q->eis->signed_info->eum_id;
    if (!eum || strcmp(eum, who) != 0) { /* checked first only when it is plainly not the caller's */
        rsp_eckey *k = NULL;
        rsp_es_eis_fault f = RSP_ES_EIS_FAULT_NONE;
        if (x->es1.ci && rsp_es_eis_check_chain(q->eis, x->es1.ci, NULL, &k, &f, &d) == RSP_OK)
            return rsp_es_call_reject(call, "1.1", "1.2", NULL, "an EIS of another EUM");
        rsp_ec_free(k);
        rsp_diag_clear(&d);
    }
    rsp_err err = rsp_smsr_eis_register(x->e, &x->es1, q->eis, (int64_t)time(NULL), &ref, &d);
    if (err && ref.subject[0]) {
        char msg[300];
        return rsp_es_call_reject(call, ref.subject, ref.reason, q->eis->signed_info->eid,
                                  rsp_diag_str(&d, err, msg, sizeof(msg)));
    }
    return err ? err : rsp_es_call_complete(call);
}

void rsp_smsr_es_set_es1(rsp_smsr_es *x, const rsp_smsr_es1_trust *t)
{
    if (t)
        x->es1 = *t;
}

rsp_err rsp_smsr_es_new(rsp_smsr *e, const char *m2msp_ids, const char *smdp_ids, rsp_smsr_es **out)
{
    if ((m2msp_ids && strlen(m2msp_ids) >= 512) || (smdp_ids && strlen(smdp_ids) >= 512))
        return RSP_ERR_LENGTH;
    rsp_smsr_es *x = calloc(1, sizeof(*x));
    if (!x)
        return RSP_ERR_NOMEM;
    x->e = e;
    snprintf(x->m2msp, sizeof(x->m2msp), "%s", m2msp_ids ? m2msp_ids : "");
    snprintf(x->smdp, sizeof(x->smdp), "%s", smdp_ids ? smdp_ids : "");
    static const char *const names[4] = {"EnableProfile", "DisableProfile", "DeleteProfile", "SetFallBackAttribute"};
    for (int i = 0; i < 4; i++)
        x->h[i] = (rsp_es_handler){RSP_ES4, names[i], false, on_call, x};
    x->h[4] = (rsp_es_handler){RSP_ES4A, "SetPLMA", false, on_es4a, x};
    x->h[5] = (rsp_es_handler){RSP_ES1, "RegisterEIS", false, on_register, x};
    x->h[6] = (rsp_es_handler){RSP_ES4, "UpdatePolicyRules", false, on_update_pol2, x};
    x->h[7] = (rsp_es_handler){RSP_ES4A, "GetPLMA", false, on_es4a, x};
    x->h[8] = (rsp_es_handler){RSP_ES4A, "SetONC", false, on_es4a, x};
    x->h[9] = (rsp_es_handler){RSP_ES4A, "GetONC", false, on_es4a, x};
    x->h[10] = (rsp_es_handler){RSP_ES4, "GetEIS", false, on_get_eis, x};
    x->h[11] = (rsp_es_handler){RSP_ES4, "AuditEIS", false, on_audit, x};
    x->h[12] = (rsp_es_handler){RSP_ES4, "SetEmergencyProfileAttribute", false, on_call, x};
    x->h[13] = (rsp_es_handler){RSP_ES4, "UpdateSubscriptionAddress", false, on_update_subaddr, x};
    *out = x;
    return RSP_OK;
}

const rsp_es_handler *rsp_smsr_es_handlers(rsp_smsr_es *x, size_t *n)
{
    *n = sizeof(x->h) / sizeof(x->h[0]);
    return x->h;
}

/* Answers w; when a durable reply carries its result, the endpoint's own callback is muted. A call
 * answered in its HTTP response instead (deferred) does not need the reply: it is dropped. */
static void answer(rsp_smsr_es *x, const waiting *w, const rsp_smsr_result *r)
{
    x->muting = w->reply_id != 0;
    x->muted_hit = false;
    if (r)
        finish(x->e, w, r);
    else
        rsp_es_call_reject(w->call, "8.7", "3.7", NULL, "SM-SR stopping; the operation continues");
    x->muting = false;
    if (w->reply_id && !x->muted_hit && r)
        rsp_store_outbox_reply_move(x->e->st, w->reply_id, NULL, NULL);
}

void smsr_es_reply_answer(rsp_smsr_es *x, rsp_es_call *call, int64_t reply_id, const rsp_smsr_result *r)
{
    if (!x) {
        if (r)
            smsr_call_answer(call, r);
        else
            rsp_es_call_reject(call, "8.7", "3.7", NULL, "SM-SR stopping; the operation continues");
        return;
    }
    waiting w = {0, call, false, reply_id, RSP_SMSR_ROLE_SMDP, ""};
    answer(x, &w, r);
}

rsp_smsr_es *smsr_es_of(const rsp_es_handler *h, size_t n)
{
    for (size_t i = 0; h && i < n; i++)
        if (h[i].fn == on_call)
            return h[i].ctx;
    return NULL;
}

void rsp_smsr_es_poll(rsp_smsr_es *x)
{
    for (size_t i = 0; i < x->n;) {
        rsp_smsr_result r;
        if (rsp_smsr_result_get(x->e, x->w[i].op_id, &r) == RSP_OK && r.status[0]) {
            answer(x, &x->w[i], &r);
            x->w[i] = x->w[--x->n];
        } else {
            i++;
        }
    }
    if (!x->ob)
        return;
    uint64_t before = x->mv.no_url;
    rsp_err err = smsr_outbox_move(x->e, &x->cb, x->ob, 64, &x->mv);
    if (err != RSP_OK)
        RSP_LOGE(RSP_SS_SMSR, "outbox mover", "err=%s", rsp_err_name(err));
    if (x->mv.no_url != before)
        rsp_metric_inc(x->m_no_url, NULL, (double)(x->mv.no_url - before));
}

void rsp_smsr_es_stop(rsp_smsr_es *x)
{
    /* the operations go on in the store; their answers cannot wait for a process that stops
     * (a durable result is sent by whichever worker sees the operation settle) */
    for (size_t i = 0; i < x->n; i++)
        answer(x, &x->w[i], NULL);
    x->n = 0;
}

rsp_err rsp_smsr_es_send(void *ctx, const char *url, const char *ctype, const char *action, const uint8_t *body,
                         size_t len)
{
    rsp_smsr_es *x = ctx;
    if (x->muting) {
        x->muted_hit = true;
        return RSP_OK;
    }
    if (!smsr_callbacks_allow_any(&x->cb, url)) { /* none configured: nowhere to post */
        char u[120];
        rsp_http_log_escape(url, strlen(url), u, sizeof(u));
        RSP_LOGN(RSP_SS_SMSR, "callback refused: under no configured prefix", "url=\"%s\"", u);
        return RSP_ERR_DENIED;
    }
    return x->ob ? rsp_svc_outbox_put(x->ob, NULL, 0, url, ctype, action, body, len) : RSP_ERR_STATE;
}

rsp_err rsp_smsr_es_outbox(rsp_smsr_es *x, rsp_svc *svc, const char *worker, const char *callbacks, rsp_diag *diag)
{
    rsp_err err = smsr_callbacks_parse(callbacks, &x->cb, diag);
    if (err != RSP_OK)
        return err;
    rsp_svc_outbox_opts o;
    memset(&o, 0, sizeof(o));
    x->svc = svc;
    o.st = x->e->st;
    o.owner = SMSR_OWNER;
    o.worker = worker;
    if (!x->cb.n)
        RSP_LOGN(RSP_SS_SMSR, "every ReplyTo is refused", "why=\"no callback URLs configured (--callbacks)\"");
    if ((err = rsp_svc_outbox_new(svc, &o, &x->ob)) != RSP_OK)
        return rsp_diag_set(diag, err, "cannot start the outbox");
    return rsp_metrics_add(rsp_svc_metrics(svc), RSP_METRIC_COUNTER, "rsp_smsr_notifications_no_url_total",
                           "ONC notifications not sent: the Operator has no callback URL configured", NULL, 0, NULL, 0,
                           &x->m_no_url);
}

void rsp_smsr_es_free(rsp_smsr_es *x)
{
    if (!x)
        return;
    rsp_smsr_es_stop(x);
    smsr_callbacks_free(&x->cb);
    free(x->w);
    free(x);
}
