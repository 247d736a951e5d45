/* The SM-SR side of the ES3 functions an SM-DP relays from ES2 (lib/smsr/es3_relay.c): DisableProfile
 * and AuditEIS as engine operations (ES4's rows, requester = the SM-DP, authorised on the ISD-Ps it
 * created), UpdatePolicyRules and UpdateSubscriptionAddress as store updates of those profiles.
 * ES3.EnableProfile / DeleteISDP are es3.c's. */
#ifndef RSP_SMSR_ES3_RELAY_H
#define RSP_SMSR_ES3_RELAY_H

#include "rsp/es_endpoint.h"
#include "smsr_int.h"

/* es3.c: answers call once engine operation op_id has settled (polled by smsr_es3_poll). */
rsp_err smsr_es3_wait_op(smsr_es3 *x, rsp_es_call *call, int64_t op_id);

/* Appends the relay handlers to *all (n used entries before them, ES3's included), reallocating it:
 * their context lives in the same allocation, so freeing *all frees it. smdp_ids: the SM-DP CNs
 * (comma-separated). On failure *all is freed and set to NULL. *n is NOT changed for the entries
 * before; it grows by the number appended. */
rsp_err smsr_es3_relay_append(smsr_es3 *x, rsp_smsr *e, const char *smdp_ids, rsp_es_handler **all, size_t used,
                              size_t *n);

#endif
