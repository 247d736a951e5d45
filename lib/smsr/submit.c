/* From an ES call to a durable operation: authorisation from the caller's identity, POL2 and the
 * fall-back attribute are checked before anything could be sent; refusals are recorded as failed
 * operations too, so that a replayed FunctionCallIdentifier answers the same refusal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smsr_emergency.h"
#include "smsr_dl.h"

typedef struct verdict {
    bool refused;
    const char *subject, *reason, *msg;
} verdict;

static void refuse(verdict *v, const char *subject, const char *reason, const char *msg)
{
    if (v->refused)
        return; /* the first reason found is the one answered */
    v->refused = true;
    v->subject = subject;
    v->reason = reason;
    v->msg = msg;
}

static uint32_t plma_bit(rsp_smsr_fn fn)
{
    switch (fn) {
    case RSP_SMSR_FN_ENABLE: return RSP_STORE_FN_ENABLE;
    case RSP_SMSR_FN_DISABLE: return RSP_STORE_FN_DISABLE;
    case RSP_SMSR_FN_DELETE: return RSP_STORE_FN_DELETE;
    case RSP_SMSR_FN_SET_FALLBACK: return RSP_STORE_FN_SET_FALLBACK;
    case RSP_SMSR_FN_SET_EMERGENCY: return RSP_STORE_FN_SET_EMERGENCY;
    default: return RSP_STORE_FN_AUDIT;
    }
}

static rsp_err authorise(rsp_smsr *e, const rsp_smsr_request *q, const rsp_store_profile *p, verdict *v)
{
    switch (q->role) {
    case RSP_SMSR_ROLE_SELF: return RSP_OK;
    case RSP_SMSR_ROLE_OPERATOR:
        if (strcmp(p->mno_id, q->requester) != 0)
            refuse(v, "8.2.1", "1.2", "not the Operator of this profile");
        return RSP_OK;
    case RSP_SMSR_ROLE_SMDP:
        if (strcmp(p->smdp_id, q->requester) != 0)
            refuse(v, "8.2.1", "1.2", "ISD-P created by another SM-DP");
        return RSP_OK;
    case RSP_SMSR_ROLE_M2MSP: {
        rsp_err err = rsp_store_plma_check(e->st, p->mno_id, q->requester, p->profile_type, plma_bit(q->fn));
        if (err == RSP_ERR_DENIED)
            refuse(v, "8.2.1", "1.2", "no PLMA of the Operator allows this function");
        return err == RSP_ERR_DENIED ? RSP_OK : err;
    }
    }
    return RSP_ERR_INVAL;
}

/* POL2 and fall-back rules of the target and, for an enable, of the profile it would disable. */
static rsp_err policy(rsp_smsr *e, const rsp_smsr_request *q, const rsp_store_profile *p, verdict *v)
{
    switch (q->fn) {
    case RSP_SMSR_FN_ENABLE: {
        if (p->state != RSP_STORE_PROFILE_DISABLED)
            refuse(v, "8.2.1", "1.2", "profile not in the Disabled state");
        if (p->pol2 & RSP_STORE_POL2_ENABLE_NOT_ALLOWED)
            refuse(v, "8.2.3", "3.8", "Denied by POL2");
        rsp_store_profile *all = NULL;
        size_t n = 0;
        rsp_err err = rsp_store_profile_list(e->st, q->eid, &all, &n);
        if (err != RSP_OK)
            return err;
        for (size_t i = 0; i < n; i++)
            if (all[i].state == RSP_STORE_PROFILE_ENABLED && (all[i].pol2 & RSP_STORE_POL2_DISABLE_NOT_ALLOWED))
                refuse(v, "8.2.3", "3.8", "Denied by POL2 of the enabled profile");
        free(all);
        return RSP_OK;
    }
    case RSP_SMSR_FN_DISABLE:
        if (p->state != RSP_STORE_PROFILE_ENABLED)
            refuse(v, "8.2.1", "1.2", "profile not in the Enabled state");
        if (p->pol2 & RSP_STORE_POL2_DISABLE_NOT_ALLOWED)
            refuse(v, "8.2.3", "3.8", "Denied by POL2");
        if (p->fallback)
            refuse(v, "8.2.3", "3.8", "Denied by fall-back attribute");
        return RSP_OK;
    case RSP_SMSR_FN_DELETE:
        if (p->state == RSP_STORE_PROFILE_ENABLED)
            refuse(v, "8.2.1", "1.2", "profile is Enabled");
        if (p->pol2 & RSP_STORE_POL2_DELETE_NOT_ALLOWED)
            refuse(v, "8.2.3", "3.8", "Denied by POL2");
        if (p->fallback)
            refuse(v, "8.2.3", "3.8", "Denied by fall-back attribute");
        return RSP_OK;
    case RSP_SMSR_FN_SET_FALLBACK:
        if (p->state != RSP_STORE_PROFILE_ENABLED && p->state != RSP_STORE_PROFILE_DISABLED)
            refuse(v, "8.2.1", "1.2", "profile not installed");
        if (p->emergency)
            refuse(v, "8.2.1", "1.2", "the emergency profile cannot be the fall-back profile");
        return RSP_OK;
    case RSP_SMSR_FN_SET_EMERGENCY: { /* the card would refuse these 6985 (isdr.c special_attr) */
        const char *why = smsr_emergency_refusal(p);
        if (why)
            refuse(v, "8.2.1", "1.2", why);
        return RSP_OK;
    }
    default: return RSP_OK;
    }
}

static rsp_err judge(rsp_smsr *e, const rsp_smsr_request *q, rsp_buf *script, verdict *v)
{
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    rsp_err err = rsp_store_eis_get(e->st, q->eid, &eis);
    rsp_store_eis_clear(&eis);
    if (err == RSP_ERR_NOT_FOUND) {
        refuse(v, "8.1.1", "3.9", "Unknown EID");
        return RSP_OK;
    }
    if (err != RSP_OK)
        return err;
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    err = rsp_store_profile_get(e->st, q->iccid, &p);
    if (err == RSP_ERR_NOT_FOUND || (err == RSP_OK && strcmp(p.eid, q->eid) != 0)) {
        refuse(v, "8.2.1", "3.9", "Unknown ICCID on this eUICC");
        return RSP_OK;
    }
    if (err != RSP_OK)
        return err;
    if ((err = smsr_target_encode(p.iccid, p.isdp_aid, script)) != RSP_OK)
        return err;
    if ((err = authorise(e, q, &p, v)) != RSP_OK)
        return err;
    return policy(e, q, &p, v);
}

static rsp_err submit_writes(rsp_smsr *e, const smsr_submission *q, rsp_smsr_result *res)
{
    memset(res, 0, sizeof(*res));
    rsp_store_op op, first;
    memset(&op, 0, sizeof(op));
    memset(&first, 0, sizeof(first));
    rsp_err err = RSP_OK;
    snprintf(op.eid, sizeof(op.eid), "%s", q->eid);
    snprintf(op.function, sizeof(op.function), "%s", q->function);
    if (snprintf(op.requester, sizeof(op.requester), "%s", q->requester) >= (int)sizeof(op.requester) ||
        snprintf(op.fcid, sizeof(op.fcid), "%s", q->fcid) >= (int)sizeof(op.fcid)) {
        err = RSP_ERR_LENGTH;
        goto out;
    }
    op.script = (rsp_buf){(uint8_t *)q->script.p, q->script.len, q->script.len}; /* borrowed: not cleared */
    op.created = q->now;
    op.deadline = q->now + q->validity;
    /* a refused op must never be claimed in the instant before it is marked failed */
    op.next_attempt = q->refused ? INT64_MAX / 2 : q->now;
    int64_t id = 0;
    bool replayed = false;
    err = rsp_store_op_submit(e->st, &op, &id, &replayed);
    op.script = (rsp_buf)RSP_BUF_INIT;
    if (err != RSP_OK)
        goto out;
    if (replayed) {
        if ((err = rsp_store_op_get(e->st, id, &first)) != RSP_OK)
            goto out;
        /* the same request? (function, EID and target; the FCID matched already) */
        if (strcmp(first.function, op.function) != 0 || strcmp(first.eid, op.eid) != 0 ||
            !(q->same ? q->same(rsp_buf_view(&first.script), q->script)
                      : rsp_bytes_eq(rsp_buf_view(&first.script), q->script))) {
            res->replayed = true;
            snprintf(res->status, sizeof(res->status), "Failed");
            snprintf(res->subject, sizeof(res->subject), "1.1");
            snprintf(res->reason, sizeof(res->reason), "2.1");
            snprintf(res->message, sizeof(res->message), "FunctionCallIdentifier reused for another request");
            res->state = RSP_STORE_OP_FAILED;
            goto out;
        }
        smsr_result_fill(&first, res);
        res->op_id = id;
        res->replayed = true;
        goto out;
    }
    op.id = id;
    if (q->refused) {
        err = smsr_finish(e, &op, NULL, RSP_STORE_OP_QUEUED, RSP_SMSR_STEP_FAILED, q->subject, q->reason, q->msg,
                          q->now);
        if (err == RSP_OK)
            err = rsp_smsr_result_get(e, id, res);
        goto out;
    }
    err = smsr_audit(e, q->eid, q->iccid, id, "smsr.queued", op.function, q->now);
    res->op_id = id;
    res->state = RSP_STORE_OP_QUEUED;
out:
    rsp_store_op_clear(&op);
    rsp_store_op_clear(&first);
    return err;
}

rsp_err smsr_submit_op(rsp_smsr *e, const smsr_submission *q, rsp_smsr_result *res)
{
    /* One unit: the operation row and its "smsr.queued" entry (or its failure) become visible together. A
     * running daemon that claimed the row in between wrote its step before the queued entry, and the step
     * walk (engine.c, stopping at that entry) then missed the cursor: the card's answer was refused as a
     * late one and the op waited out its lease (90 s over HTTPS) to be sent again. Callers inside a batch
     * (the daemon's group commit) already have that unit. */
    if (rsp_store_batch_open(e->st))
        return submit_writes(e, q, res);
    rsp_err err = rsp_store_batch_begin(e->st);
    if (err == RSP_OK && (err = submit_writes(e, q, res)) == RSP_OK)
        err = rsp_store_batch_commit(e->st);
    if (err != RSP_OK)
        rsp_store_batch_abort(e->st);
    return err;
}

rsp_err rsp_smsr_submit(rsp_smsr *e, const rsp_smsr_request *q, rsp_smsr_result *res)
{
    /* ES3.CreateISDP / SendData are submitted by es3_dl.c (their request is not a profile's) */
    if (!e || !q || !res || !q->requester || !q->fcid || !q->eid || !q->iccid || q->validity <= 0 ||
        (unsigned)q->fn >= RSP_SMSR_FN_CREATE_ISDP)
        return RSP_ERR_INVAL;
    memset(res, 0, sizeof(*res));
    verdict v = {0};
    rsp_buf script = RSP_BUF_INIT;
    rsp_err err = judge(e, q, &script, &v);
    if (err == RSP_OK && script.len == 0) {
        char s[64];
        snprintf(s, sizeof(s), "iccid=%.20s;aid=", q->iccid); /* refused before the profile was known */
        err = rsp_buf_set(&script, s, strlen(s));
    }
    if (err == RSP_OK) {
        smsr_submission sq = {rsp_smsr_fn_name(q->fn), q->requester, q->fcid, q->eid, q->iccid,
                              rsp_buf_view(&script), q->now, q->validity, v.refused, v.subject, v.reason, v.msg, NULL};
        err = smsr_submit_op(e, &sq, res);
    }
    rsp_buf_free(&script);
    return err;
}

rsp_err rsp_smsr_expire_each(rsp_smsr *e, int64_t now, void (*fn)(void *arg, const char *function, size_t n),
                             void *arg, size_t *n)
{
    return e ? rsp_store_op_expire_each(e->st, now, fn, arg, n) : RSP_ERR_INVAL;
}
