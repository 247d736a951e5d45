/* ES2+ on the SM-DP+ (SGP22.md §"ES2+"): the operator's side of an order.
 *
 *   DownloadOrder(profileType[, eid])   an identity of pool <operator>/<profileType> is reserved  -> ORDERED
 *   ConfirmOrder(iccid, releaseFlag, [matchingId, eid, confirmationCode, smdsAddress])  matchingId
 *                                       chosen or made -> RELEASED (releaseFlag) or CONFIRMED; with
 *                                       smdsAddress the event follows the order (smds_ev.c)
 *   ReleaseProfile(iccid)               CONFIRMED -> RELEASED
 *   CancelOrder(iccid, finalProfileStatusIndicator)  -> CANCELLED; the identity back to the pool
 *                                       ("Available", only if it never left) or retired
 * The operator is the CN of its client certificate and must be the functionRequesterIdentifier; it only
 * sees its own orders. Status codes not in the notes are our choices (docs/modules/smdpp.md). */
#include <stdio.h>
#include <string.h>

#include "rsp/es2p.h"
#include "rsp/log.h"
#include "smdpp_int.h"

#define SC_MALFORMED "1.2.1", "2.1"
#define SC_REQUESTER "1.1.1", "2.1"
#define SC_ICCID "8.2.1", "3.9"
#define SC_STATE "8.2.1", "3.5"
#define SC_NO_PROFILE "8.2.5", "4.3"
#define SC_MATCHING_ID "8.2.6", "3.3"
#define SC_INTERNAL "8.1", "127"
#define SC_EID_MISSING "8.1.1", "2.2"
#define SC_NO_SMDS "8.9", "3.8"

static void fail(rsp_es2p_msg *a, const char *subject, const char *reason, const char *why)
{
    a->header.status = RSP_ES9P_FAILED;
    snprintf(a->header.subject_code, sizeof(a->header.subject_code), "%s", subject);
    snprintf(a->header.reason_code, sizeof(a->header.reason_code), "%s", reason);
    snprintf(a->header.message, sizeof(a->header.message), "%.150s", why);
    RSP_LOGI(RSP_SS_SMDP, "es2+ refused", "function=%s code=%s/%s why=\"%s\"", rsp_es2p_func_name(a->func), subject,
             reason, why);
}

/* 04386-AGYFT-A74Y8-3F815 style: 20 of [0-9A-Z] in groups of five (an LPA accepts [A-Za-z0-9-]). */
static rsp_err make_matching_id(char out[24])
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    uint8_t r[20];
    rsp_err e = rsp_random(r, sizeof(r));
    if (e)
        return e;
    size_t k = 0;
    for (size_t i = 0; i < 20; i++) {
        if (i && i % 5 == 0)
            out[k++] = '-';
        out[k++] = al[r[i] % 36];
    }
    out[k] = '\0';
    return RSP_OK;
}

static bool mine(const rsp_smdpp_order *o, const char *op) { return !strcmp(o->op, op); }

static void download_order(rsp_smdpp *s, const char *op, const rsp_es2p_msg *q, rsp_es2p_msg *a)
{
    if (q->iccid[0])
        return fail(a, SC_ICCID, "ordering a given ICCID is not supported: order by profileType");
    if (!q->profile_type[0])
        return fail(a, SC_NO_PROFILE, "profileType missing");
    rsp_smdp_taken t;
    memset(&t, 0, sizeof(t));
    rsp_diag d = {0};
    int64_t now = rsp_smdpp__now(s);
    rsp_err e = rsp_smdp_take(s->inv, op, q->profile_type, q->eid, now, &t, &d);
    if (e)
        return fail(a, SC_NO_PROFILE, e == RSP_ERR_END ? "no identity left for this profileType" : "unknown profileType");
    rsp_smdpp_order o;
    memset(&o, 0, sizeof(o));
    /* a provisional matchingId (the key of the row) until ConfirmOrder names the real one */
    char mid[24];
    if (make_matching_id(mid)) {
        rsp_smdp_taken_clear(&t);
        return fail(a, SC_INTERNAL, "no randomness");
    }
    snprintf(o.matching_id, sizeof(o.matching_id), "%s", mid);
    snprintf(o.op, sizeof(o.op), "%s", op);
    snprintf(o.type, sizeof(o.type), "%s", q->profile_type);
    snprintf(o.eid, sizeof(o.eid), "%s", q->eid);
    snprintf(o.iccid, sizeof(o.iccid), "%s", t.id.iccid);
    rsp_smdp_taken_clear(&t);
    o.state = RSP_SMDPP_ORDER_ORDERED;
    o.updated = now;
    if (rsp_smdpp__order_put(s, &o))
        return fail(a, SC_INTERNAL, "store");
    snprintf(a->iccid, sizeof(a->iccid), "%s", o.iccid);
}

static void confirm_order(rsp_smdpp *s, const char *op, const rsp_es2p_msg *q, rsp_es2p_msg *a)
{
    rsp_smdpp_order o, other;
    if (rsp_smdpp__order_by_iccid(s, q->iccid, &o) != RSP_OK || !mine(&o, op))
        return fail(a, SC_ICCID, "unknown ICCID");
    if (o.state != RSP_SMDPP_ORDER_ORDERED)
        return fail(a, SC_STATE, "the order is not waiting for a confirmation");
    if (q->eid[0] && o.eid[0] && strcmp(q->eid, o.eid))
        return fail(a, SC_ICCID, "the order was made for another EID");
    /* an event is registered for one EID (SGP22.md §SM-DS): smdsAddress needs it */
    if (q->smds_address[0] && !q->eid[0] && !o.eid[0])
        return fail(a, SC_EID_MISSING, "smdsAddress given without an EID");
    if (q->smds_address[0] && !s->smds_event)
        return fail(a, SC_NO_SMDS, "this SM-DP+ has no ES12 client (rsp smdpp run --smds-ca)");
    char mid[65];
    if (q->matching_id[0]) {
        if (!rsp_es9p_matching_id_ok(q->matching_id))
            return fail(a, SC_MATCHING_ID, "matchingId: 1..64 of [A-Za-z0-9-]");
        if (rsp_smdpp_order_get(s, q->matching_id, &other) == RSP_OK)
            return fail(a, SC_MATCHING_ID, "matchingId already in use");
        snprintf(mid, sizeof(mid), "%s", q->matching_id);
    } else {
        snprintf(mid, sizeof(mid), "%s", o.matching_id);
    }
    char old[65];
    snprintf(old, sizeof(old), "%s", o.matching_id);
    snprintf(o.matching_id, sizeof(o.matching_id), "%s", mid);
    if (q->eid[0])
        snprintf(o.eid, sizeof(o.eid), "%s", q->eid);
    if (q->confirmation_code[0]) {
        o.cc = true;
        rsp_sha256((const uint8_t *)q->confirmation_code, strlen(q->confirmation_code), o.cc_hash);
        o.cc_left = s->cc_tries;
    }
    snprintf(o.smds, sizeof(o.smds), "%s", q->smds_address);
    o.state = q->release_flag ? RSP_SMDPP_ORDER_RELEASED : RSP_SMDPP_ORDER_CONFIRMED;
    o.updated = rsp_smdpp__now(s);
    if (rsp_smdpp__begin(s) || (strcmp(old, mid) && rsp_smdpp__order_delete(s, old)) || rsp_smdpp__order_put(s, &o) ||
        rsp_smdpp__commit(s)) {
        rsp_smdpp__rollback(s);
        rsp_wipe(o.cc_hash, sizeof(o.cc_hash));
        return fail(a, SC_INTERNAL, "store");
    }
    rsp_smdpp__smds_sync(s, &o);
    rsp_wipe(o.cc_hash, sizeof(o.cc_hash));
    snprintf(a->matching_id, sizeof(a->matching_id), "%s", mid);
    snprintf(a->eid, sizeof(a->eid), "%s", o.eid);
    snprintf(a->smdp_address, sizeof(a->smdp_address), "%s", s->public_address);
}

static void release_profile(rsp_smdpp *s, const char *op, const rsp_es2p_msg *q, rsp_es2p_msg *a)
{
    rsp_smdpp_order o;
    if (rsp_smdpp__order_by_iccid(s, q->iccid, &o) != RSP_OK || !mine(&o, op))
        return fail(a, SC_ICCID, "unknown ICCID");
    if (o.state != RSP_SMDPP_ORDER_CONFIRMED)
        return fail(a, SC_STATE, "the order is not waiting for a release");
    o.state = RSP_SMDPP_ORDER_RELEASED;
    o.updated = rsp_smdpp__now(s);
    if (rsp_smdpp__order_put(s, &o))
        return fail(a, SC_INTERNAL, "store");
    rsp_smdpp__smds_sync(s, &o);
}

static void cancel_order(rsp_smdpp *s, const char *op, const rsp_es2p_msg *q, rsp_es2p_msg *a)
{
    rsp_smdpp_order o;
    if (rsp_smdpp__order_by_iccid(s, q->iccid, &o) != RSP_OK || !mine(&o, op))
        return fail(a, SC_ICCID, "unknown ICCID");
    if (q->matching_id[0] && strcmp(q->matching_id, o.matching_id))
        return fail(a, SC_MATCHING_ID, "matchingId does not match the order");
    bool available = !strcmp(q->final_status, "Available");
    if (!available && strcmp(q->final_status, "Unavailable"))
        return fail(a, SC_MALFORMED, "finalProfileStatusIndicator must be Available or Unavailable");
    if (o.state == RSP_SMDPP_ORDER_INSTALLED || o.state == RSP_SMDPP_ORDER_CANCELLED)
        return fail(a, SC_STATE, "the order is over");
    if (rsp_smdpp__order_end(s, &o, RSP_SMDPP_ORDER_CANCELLED, NULL, available, rsp_smdpp__now(s)) != RSP_OK)
        return fail(a, SC_INTERNAL, "store");
}

void rsp_smdpp_es2(rsp_smdpp *s, const char *operator_id, const char *path, const uint8_t *body, size_t len,
                   int *status, rsp_buf *out)
{
    rsp_es2p_func f;
    *status = 200;
    if (rsp_es2p_path_parse(path, &f, NULL) != RSP_OK) {
        *status = 404;
        return;
    }
    rsp_es2p_msg q, a;
    rsp_es2p_msg_init(&a, f, true);
    rsp_diag d = {0};
    if (rsp_es2p_decode(f, false, body, len, &q, &d) != RSP_OK)
        fail(&a, SC_MALFORMED, d.msg);
    else if (!operator_id || strcmp(q.requester, operator_id))
        fail(&a, SC_REQUESTER, "functionRequesterIdentifier is not the client certificate's CN");
    else if (f == RSP_ES2P_DOWNLOAD_ORDER)
        download_order(s, operator_id, &q, &a);
    else if (f == RSP_ES2P_CONFIRM_ORDER)
        confirm_order(s, operator_id, &q, &a);
    else if (f == RSP_ES2P_RELEASE_PROFILE)
        release_profile(s, operator_id, &q, &a);
    else
        cancel_order(s, operator_id, &q, &a);
    rsp_wipe(q.confirmation_code, sizeof(q.confirmation_code));
    if (rsp_es2p_encode(&a, out, NULL) != RSP_OK) {
        rsp_buf_reset(out);
        *status = 500;
    }
}
