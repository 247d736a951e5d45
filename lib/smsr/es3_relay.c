/* ES3 functions relayed by an SM-DP for its Operators (SGP.02 ES2 -> ES3): DisableProfile and
 * AuditEIS go through the engine's submit path like their ES4 rows (requester the SM-DP, which the
 * engine authorises on the ISD-Ps it created; POL2 and fall-back checked there), UpdatePolicyRules
 * and UpdateSubscriptionAddress change the store's profile of an ISD-P the SM-DP created (what
 * ProfileDownloadCompleted set first); UpdateConnectivityParameters goes to the ISD-P the SM-DP
 * created as a durable operation like SendData's (es3_dl.c smsr_dl_on_conn). ES3 has no SetFallBackAttribute (v3.x catalogue). */
#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "es3_relay.h"
#include "smsr_dl.h"
#include "rsp/es_types.h"
#include "rsp/log.h"

/* RELAY_NH handlers; ES3_CONN_MAX: a ConnectivityParameters body (a few TLVs) is taken up to 4 KiB,
 * within what an op's script holds (es3_dl.c's DL_SCP03T_MAX): larger ones are refused. */
enum { RELAY_NH = 5, ES3_CONN_MAX = 4096 };

typedef struct relay_ctx {
    smsr_es3 *x;
    rsp_smsr *e;
    char smdp[512];
} relay_ctx;

/* The calling SM-DP's CN into who, or the call rejected (false). */
static bool smdp_of(relay_ctx *r, rsp_es_call *call, char who[RSP_STORE_ID_LEN])
{
    smsr_cn_of(rsp_es_call_peer(call), who, RSP_STORE_ID_LEN);
    if (!who[0] || !smsr_listed(r->smdp, who)) {
        rsp_es_call_reject(call, "1.1", "1.2", NULL, "ES3 is for SM-DPs only");
        return false;
    }
    return true;
}

/* Submits fn for (eid, iccid) as the SM-DP and answers now (refused, replayed and settled) or when
 * the operation settles. */
static rsp_err submit(relay_ctx *r, rsp_es_call *call, rsp_smsr_fn fn, const char *who, const rsp_es_req_hdr *hdr,
                      const char *eid, const char *iccid)
{
    rsp_smsr_request rq = {fn, RSP_SMSR_ROLE_SMDP, who, hdr->function_call_id, eid, iccid, (int64_t)time(NULL),
                           smsr_validity(hdr)};
    rsp_smsr_result res;
    rsp_err err = rsp_smsr_submit(r->e, &rq, &res);
    if (err != RSP_OK)
        return err;
    RSP_LOGI(RSP_SS_SMSR, "ES3 relayed", "fn=%s smdp=%s eid=%s iccid=%s op=%lld status=%s", rsp_smsr_fn_name(fn),
             who, eid, iccid, (long long)res.op_id, res.status[0] ? res.status : "queued");
    if (res.status[0] && fn == RSP_SMSR_FN_AUDIT && strcmp(res.status, "Executed-Success") == 0)
        smsr_es3_audit_eis(r->e, call); /* a replay of a settled audit: the EIS as it is now */
    if (res.status[0])
        return smsr_call_answer(call, &res);
    return smsr_es3_wait_op(r->x, call, res.op_id);
}

static rsp_err on_disable(void *hctx, rsp_es_call *call)
{
    relay_ctx *r = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    if (!smdp_of(r, call, who))
        return RSP_OK;
    if (!q || !q->eid || !q->iccid || !q->hdr.function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID, ICCID and FunctionCallIdentifier are needed");
    return submit(r, call, RSP_SMSR_FN_DISABLE, who, &q->hdr, q->eid, q->iccid);
}

/* AuditEIS of the ICCID named, or of the first ISD-P this SM-DP created on the card. */
static rsp_err on_audit(void *hctx, rsp_es_call *call)
{
    relay_ctx *r = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_eid_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN], iccid[21] = "";
    if (!smdp_of(r, call, who))
        return RSP_OK;
    if (!q || !q->eid || !q->hdr.function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID and FunctionCallIdentifier are needed");
    if (q->iccids.n) {
        snprintf(iccid, sizeof(iccid), "%.20s", ((char *const *)q->iccids.v)[0]);
    } else {
        rsp_store_profile *all = NULL;
        size_t n = 0;
        if (rsp_store_profile_list(r->e->st, q->eid, &all, &n) == RSP_OK)
            for (size_t i = 0; i < n && !iccid[0]; i++)
                if (strcmp(all[i].smdp_id, who) == 0)
                    snprintf(iccid, sizeof(iccid), "%s", all[i].iccid);
        free(all);
        if (!iccid[0])
            return rsp_es_call_reject(call, "8.1.1", "3.9", q->eid, "no ISD-P of this SM-DP on that eUICC");
    }
    return submit(r, call, RSP_SMSR_FN_AUDIT, who, &q->hdr, q->eid, iccid);
}

/* The profile (eid, iccid) if this SM-DP created its ISD-P, else the call rejected (false). */
static bool own_profile(relay_ctx *r, rsp_es_call *call, const rsp_es_profile_req *q, const char *who,
                        rsp_store_profile *p)
{
    if (!q || !q->eid || !q->iccid) {
        rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID and ICCID are needed");
        return false;
    }
    if (rsp_store_profile_get(r->e->st, q->iccid, p) != RSP_OK || strcmp(p->eid, q->eid) != 0) {
        rsp_es_call_reject(call, "8.2.1", "3.9", q->iccid, "Unknown ICCID on this eUICC");
        return false;
    }
    if (strcmp(p->smdp_id, who) != 0) {
        rsp_es_call_reject(call, "8.2.1", "1.2", q->iccid, "ISD-P created by another SM-DP");
        return false;
    }
    return true;
}

static rsp_err on_pol2(void *hctx, rsp_es_call *call)
{
    relay_ctx *r = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN], d[40];
    rsp_store_profile p;
    if (!smdp_of(r, call, who) || !own_profile(r, call, q, who, &p))
        return RSP_OK;
    if (!q->pol2)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "POL2 is needed");
    uint32_t pol2 = smsr_pol2_of(q->pol2);
    snprintf(d, sizeof(d), "pol2=%u by=smdp", (unsigned)pol2);
    rsp_err err = rsp_store_profile_set_pol2(r->e->st, q->iccid, pol2);
    err = err ? err : smsr_audit(r->e, q->eid, q->iccid, 0, "smsr.pol2", d, (int64_t)time(NULL));
    return err ? err : rsp_es_call_complete(call);
}

rsp_err smsr_subaddr_apply(rsp_smsr *e, rsp_es_call *call, rsp_store_profile *p, const rsp_es_profile_req *q,
                           const char *by)
{
    const rsp_es_subscription_address *sa = q->subscription_address;
    if (!sa || (!sa->msisdn && !sa->imsi))
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "SubscriptionAddress (MSISDN or IMSI) is needed");
    if ((sa->msisdn && strlen(sa->msisdn) >= sizeof(p->msisdn)) || (sa->imsi && strlen(sa->imsi) >= sizeof(p->imsi)))
        return rsp_es_call_reject(call, "1.1", "2.1", NULL, "MSISDN or IMSI too long");
    if (sa->msisdn)
        snprintf(p->msisdn, sizeof(p->msisdn), "%s", sa->msisdn);
    if (sa->imsi)
        snprintf(p->imsi, sizeof(p->imsi), "%s", sa->imsi);
    char d[RSP_STORE_ID_LEN + 40];
    snprintf(d, sizeof(d), "%.24s by=%s", p->msisdn, by);
    rsp_err err = rsp_store_profile_put(e->st, p);
    if (err == RSP_OK && sa->msisdn && p->msisdn[0]) /* the card is reached at its new number */
        err = rsp_smsr_msisdn_register(e, p->eid, p->msisdn, (int64_t)time(NULL));
    err = err ? err : smsr_audit(e, p->eid, p->iccid, 0, "smsr.subscription-address", d, (int64_t)time(NULL));
    return err ? err : rsp_es_call_complete(call);
}

static rsp_err on_subaddr(void *hctx, rsp_es_call *call)
{
    relay_ctx *r = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    rsp_store_profile p;
    if (!smdp_of(r, call, who) || !own_profile(r, call, q, who, &p))
        return RSP_OK;
    return smsr_subaddr_apply(r->e, call, &p, q, "smdp");
}

/* ES3.UpdateConnectivityParameters: the SM-DP's STORE DATA 3A07 (SCP03-wrapped for its ISD-P: the
 * SM-SR cannot read it) goes to the ISD-P like SendData's Data: by SMS when it is one C-APDU that
 * fits, else through the admin session; answered on the card's answer. */
static rsp_err on_conn(void *hctx, rsp_es_call *call)
{
    relay_ctx *r = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_profile_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    rsp_store_profile p;
    if (!smdp_of(r, call, who) || smsr_es3_reply_check(r->x, call, who) != RSP_OK || !own_profile(r, call, q, who, &p))
        return RSP_OK;
    const rsp_buf *cp = &q->connectivity_parameters;
    if (cp->len < 5 || cp->len > ES3_CONN_MAX)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "ConnectivityParameters (a C-APDU) is needed");
    size_t al = strlen(p.isdp_aid);
    if (al < 10 || al > 32 || al % 2)
        return rsp_es_call_reject(call, "8.2.1", "3.9", q->iccid, "the ISD-P has no AID yet");
    RSP_LOGI(RSP_SS_SMSR, "ES3.UpdateConnectivityParameters", "smdp=%s eid=%s iccid=%s bytes=%zu", who, p.eid,
             p.iccid, cp->len);
    return smsr_dl_on_conn(r->x, call, &p, who, &q->hdr, rsp_buf_view(cp));
}

rsp_err smsr_es3_relay_append(smsr_es3 *x, rsp_smsr *e, const char *smdp_ids, rsp_es_handler **all, size_t used,
                              size_t *n)
{
    /* the context rides at the end of the handler array, aligned, so the owner's free(all) frees it */
    size_t al = alignof(max_align_t);
    size_t off = ((used + RELAY_NH) * sizeof(rsp_es_handler) + al - 1) / al * al;
    rsp_es_handler *v = realloc(*all, off + sizeof(relay_ctx));
    if (!v || !e || (smdp_ids && strlen(smdp_ids) >= sizeof(((relay_ctx *)0)->smdp))) {
        free(v ? v : *all);
        *all = NULL;
        return v ? RSP_ERR_INVAL : RSP_ERR_NOMEM;
    }
    relay_ctx *r = (relay_ctx *)((char *)v + off);
    r->x = x;
    r->e = e;
    snprintf(r->smdp, sizeof(r->smdp), "%s", smdp_ids ? smdp_ids : "");
    v[used] = (rsp_es_handler){RSP_ES3, "DisableProfile", false, on_disable, r};
    v[used + 1] = (rsp_es_handler){RSP_ES3, "AuditEIS", false, on_audit, r};
    v[used + 2] = (rsp_es_handler){RSP_ES3, "UpdatePolicyRules", false, on_pol2, r};
    v[used + 3] = (rsp_es_handler){RSP_ES3, "UpdateSubscriptionAddress", false, on_subaddr, r};
    v[used + 4] = (rsp_es_handler){RSP_ES3, "UpdateConnectivityParameters", false, on_conn, r};
    *all = v;
    *n += RELAY_NH;
    return RSP_OK;
}
