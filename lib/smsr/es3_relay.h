/* The SM-SR side of the ES3 functions an SM-DP relays from ES2 (lib/smsr/es3_relay.c): DisableProfile
 * and AuditEIS as engine operations (ES4's rows, requester = the SM-DP, authorised on the ISD-Ps it
 * created), UpdatePolicyRules and UpdateSubscriptionAddress as store updates of those profiles,
 * UpdateConnectivityParameters sent to the ISD-P as a durable op like SendData's (es3_dl.c).
 * ES3.EnableProfile / DeleteISDP are es3.c's. */
#ifndef RSP_SMSR_ES3_RELAY_H
#define RSP_SMSR_ES3_RELAY_H

#include "rsp/es_endpoint.h"
#include "smsr_int.h"

/* es3.c: answers call once engine operation op_id has settled (polled by smsr_es3_poll). */
rsp_err smsr_es3_wait_op(smsr_es3 *x, rsp_es_call *call, int64_t op_id);

/* es3.c: the EIS of an executed ES3.AuditEIS call into its response, as the calling SM-DP sees it
 * (the ISD-Ps it created, as ES3.GetEIS): the audit refreshed the store from the card before its
 * operation settled (audit.c), so this is the card's truth. Failure is logged; the answer then carries
 * the status only. */
rsp_err smsr_es3_audit_eis(rsp_smsr *e, rsp_es_call *call);

/* es3.c: RSP_ERR_DENIED (call answered 1.1 / 1.2) when the call's ReplyTo is not one of who's
 * configured callback URLs (ES4's rule). */
rsp_err smsr_es3_reply_check(smsr_es3 *x, rsp_es_call *call, const char *who);

/* ES3 and ES4 UpdateSubscriptionAddress once the caller is authorised on p: MSISDN / IMSI of q
 * written to the store (p updated), the MSISDN index moved to the new number, audit entry
 * "smsr.subscription-address" (detail: MSISDN and by), call answered. */
rsp_err smsr_subaddr_apply(rsp_smsr *e, rsp_es_call *call, rsp_store_profile *p, const rsp_es_profile_req *q,
                           const char *by);

/* Appends the relay handlers to *all (n used entries before them, ES3's included), reallocating it:
 * their context lives in the same allocation, so freeing *all frees it. smdp_ids: the SM-DP CNs
 * (comma-separated). On failure *all is freed and set to NULL. *n is NOT changed for the entries
 * before; it grows by the number appended. */
rsp_err smsr_es3_relay_append(smsr_es3 *x, rsp_smsr *e, const char *smdp_ids, rsp_es_handler **all, size_t used,
                              size_t *n);

#endif
