/* The console's two actions (POST, only with --console-actions): cancel a queued operation, retry
 * a failed or expired one. Each is authorised as ES4 authorises the identity for the operation's
 * profile (submit.c's rules: an Operator its own profiles, an M2M SP under a PLMA of the profile's
 * Operator for that function, an SM-DP the ISD-Ps it created; the operation's own requester may
 * always cancel its request) and written to the audit trail under the identity, the intent before
 * the change, so the trail names who acted even if the change is then refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "rsp/log.h"
#include "smsr_int.h"

static uint32_t plma_bit(const char *function)
{
    rsp_smsr_fn fn;
    if (rsp_smsr_fn_parse(function, &fn) != RSP_OK)
        return 0;
    switch (fn) {
    case RSP_SMSR_FN_ENABLE: return RSP_STORE_FN_ENABLE;
    case RSP_SMSR_FN_DISABLE: return RSP_STORE_FN_DISABLE;
    case RSP_SMSR_FN_DELETE: return RSP_STORE_FN_DELETE;
    case RSP_SMSR_FN_SET_FALLBACK: return RSP_STORE_FN_SET_FALLBACK;
    case RSP_SMSR_FN_SET_EMERGENCY: return RSP_STORE_FN_SET_EMERGENCY;
    case RSP_SMSR_FN_AUDIT: return RSP_STORE_FN_AUDIT;
    default: return 0; /* ES3 download steps: the SM-DP's, never delegated */
    }
}

/* RSP_OK when identity may act on op (its profile: *iccid). */
static rsp_err allowed(rsp_smsr_console *c, const char *identity, const rsp_store_op *op, char iccid[21])
{
    smsr_target t;
    memset(&t, 0, sizeof(t));
    iccid[0] = 0;
    if (smsr_target_decode(&op->script, &t) == RSP_OK)
        snprintf(iccid, 21, "%s", t.iccid);
    if (!strcmp(identity, op->requester))
        return RSP_OK;
    rsp_store_profile p;
    if (!iccid[0] || rsp_store_profile_get(c->st, iccid, &p) != RSP_OK)
        return RSP_ERR_DENIED; /* no profile to be authorised on: only the requester */
    switch (console_role(c, identity)) {
    case RSP_SMSR_ROLE_OPERATOR: return strcmp(p.mno_id, identity) ? RSP_ERR_DENIED : RSP_OK;
    case RSP_SMSR_ROLE_SMDP: return strcmp(p.smdp_id, identity) ? RSP_ERR_DENIED : RSP_OK;
    case RSP_SMSR_ROLE_M2MSP: {
        uint32_t bit = plma_bit(op->function);
        return bit ? rsp_store_plma_check(c->st, p.mno_id, identity, p.profile_type, bit) : RSP_ERR_DENIED;
    }
    default: return RSP_ERR_DENIED;
    }
}

static rsp_err audit(rsp_smsr_console *c, const char *identity, const rsp_store_op *op, const char *iccid,
                     const char *event, const char *detail, int64_t now)
{
    rsp_store_audit a;
    memset(&a, 0, sizeof(a));
    a.ts = now;
    snprintf(a.actor, sizeof(a.actor), "%s", identity);
    snprintf(a.eid, sizeof(a.eid), "%s", op->eid);
    snprintf(a.iccid, sizeof(a.iccid), "%s", iccid);
    a.op_id = op->id;
    snprintf(a.event, sizeof(a.event), "%s", event);
    snprintf(a.detail, sizeof(a.detail), "%s", detail);
    int64_t id;
    return rsp_store_audit_append(c->st, &a, &id);
}

/* The operation named by ?id=, read; a reply when it cannot be. */
static bool load(rsp_smsr_console *c, const rsp_smsr_console_query *q, rsp_store_op *op, console_reply *r)
{
    const char *id = rsp_smsr_console_query_get(q, "id");
    rsp_diag d;
    rsp_diag_clear(&d);
    memset(op, 0, sizeof(*op));
    if (!id || rsp_smsr_console_check(RSP_SMSR_CONSOLE_ID, id, &d) != RSP_OK) {
        *r = console_error(400, "parameter 'id': %s", id ? d.msg : "missing");
        return false;
    }
    rsp_err e = rsp_store_op_get(c->st, atoll(id), op);
    if (e)
        *r = console_error(e == RSP_ERR_NOT_FOUND ? 404 : 500, "operation %s: %s", id, rsp_err_name(e));
    return e == RSP_OK;
}

console_reply console_act_cancel(rsp_smsr_console *c, const char *identity, const rsp_smsr_console_query *q,
                                 int64_t now)
{
    rsp_store_op op;
    console_reply r;
    if (!load(c, q, &op, &r))
        return r;
    char iccid[21];
    if (op.state != RSP_STORE_OP_QUEUED) {
        r = console_error(409, "operation %lld is %s: only a queued one can be cancelled", (long long)op.id,
                          rsp_store_op_state_name(op.state));
    } else if (allowed(c, identity, &op, iccid) != RSP_OK) {
        r = console_error(403, "%s may not act on operation %lld (not authorised as at ES4)", identity,
                          (long long)op.id);
    } else {
        char msg[160], res[200];
        snprintf(msg, sizeof(msg), "cancelled by %s (console)", identity);
        /* SGP.02 has no code for a cancelled call: the SM-SR (8.7) refused (3.8) to go on */
        snprintf(res, sizeof(res), "Failed|8.7|3.8|%s", msg);
        rsp_bytes rb = rsp_bytes_of((const uint8_t *)res, strlen(res));
        rsp_store_op_change chg = {.now = now, .result = &rb};
        rsp_err e = audit(c, identity, &op, iccid, "console.cancel", "requested", now);
        e = e ? e : rsp_store_op_transition(c->st, op.id, NULL, RSP_STORE_OP_QUEUED, RSP_STORE_OP_FAILED, &chg);
        if (e == RSP_ERR_STATE) { /* claimed meanwhile */
            audit(c, identity, &op, iccid, "console.cancel.refused", "no longer queued", now);
            r = console_error(409, "operation %lld left the queue meanwhile", (long long)op.id);
        } else if (e) {
            r = console_error(500, "store: %s", rsp_err_name(e));
        } else {
            RSP_LOGN(RSP_SS_SMSR, "console: operation cancelled", "op=%lld eid=%s by=%s", (long long)op.id, op.eid,
                     identity);
            r = (console_reply){200, json_pack("{s:I,s:s,s:o}", "op", (json_int_t)op.id, "state", "failed", "message",
                                               console_jstr(msg))};
        }
    }
    rsp_store_op_clear(&op);
    return r;
}

console_reply console_act_retry(rsp_smsr_console *c, const char *identity, const rsp_smsr_console_query *q,
                                int64_t now)
{
    rsp_store_op op;
    console_reply r;
    if (!load(c, q, &op, &r))
        return r;
    char iccid[21];
    rsp_smsr_fn fn;
    if (op.state != RSP_STORE_OP_FAILED && op.state != RSP_STORE_OP_EXPIRED) {
        r = console_error(409, "operation %lld is %s: only a failed or expired one can be retried", (long long)op.id,
                          rsp_store_op_state_name(op.state));
    } else if (rsp_smsr_fn_parse(op.function, &fn) != RSP_OK || !plma_bit(op.function)) {
        r = console_error(409, "%s is not retried from the console (its requester resends it)", op.function);
    } else if (allowed(c, identity, &op, iccid) != RSP_OK || !iccid[0]) {
        r = console_error(403, "%s may not act on operation %lld (not authorised as at ES4)", identity,
                          (long long)op.id);
    } else {
        /* A new operation under the acting identity; the FCID is fixed per original, so a
         * double click is a replay of the same retry, not a second one. */
        char fcid[64];
        snprintf(fcid, sizeof(fcid), "console-retry-%lld", (long long)op.id);
        int64_t validity = op.deadline - op.created > 60 ? op.deadline - op.created : 60;
        rsp_smsr_request rq = {fn, console_role(c, identity), identity, fcid, op.eid, iccid, now, validity};
        rsp_smsr_result res;
        memset(&res, 0, sizeof(res));
        char det[200];
        snprintf(det, sizeof(det), "requested as %s", fcid);
        rsp_err e = audit(c, identity, &op, iccid, "console.retry", det, now);
        e = e ? e : rsp_smsr_submit(c->e, &rq, &res);
        if (e) {
            r = console_error(500, "submit: %s", rsp_err_name(e));
        } else {
            RSP_LOGN(RSP_SS_SMSR, "console: operation retried", "op=%lld new=%lld eid=%s by=%s state=%s",
                     (long long)op.id, (long long)res.op_id, op.eid, identity, rsp_store_op_state_name(res.state));
            bool refused = res.state == RSP_STORE_OP_FAILED;
            r = (console_reply){refused ? 403 : 200,
                                json_pack("{s:I,s:I,s:s,s:b,s:o,s:o,s:o,s:o}", "op", (json_int_t)op.id, "new_op",
                                          (json_int_t)res.op_id, "state", rsp_store_op_state_name(res.state),
                                          "replayed", res.replayed, "status", console_jstr(res.status), "subject",
                                          console_jstr(res.subject), "reason", console_jstr(res.reason), "message",
                                          console_jstr(res.message))};
        }
    }
    rsp_store_op_clear(&op);
    return r;
}
