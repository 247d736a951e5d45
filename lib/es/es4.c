/* ES4 (Operator or M2M SP -> SM-SR) and its notifications. */
#include "es_int.h"

#define T rsp_es_smsr_change_req
static const rsp_es_field prepare_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "CurrentSmsr-Id", "currentSmsrId", current_smsr_id),
};
static RSP_ES_DESC(prepare_req, "PrepareSMSRChangeRequest", T, prepare_f);
static const rsp_es_field change_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "TargetSmsr-Id", "targetSmsrId", target_smsr_id),
};
static RSP_ES_DESC(change_req, "SMSRChangeRequest", T, change_f);
#undef T

#define A RSP_ES_ASYNC
#define N RSP_ES_ONEWAY
#define P RSP_ES_G_PROFILE
#define E RSP_ES_G_EUICC
static const rsp_es_func es4_funcs[] = {
    {RSP_ES4, "GetEIS", A, P, &rsp_es_d_eid_req, &rsp_es_d_eis_resp},
    {RSP_ES4, "AuditEIS", A, P, &rsp_es_d_audit_req, &rsp_es_d_eis_resp},
    {RSP_ES4, "UpdatePolicyRules", A, P, &rsp_es_d_pol2_req, &rsp_es_d_basic_resp},
    {RSP_ES4, "UpdateSubscriptionAddress", A, P, &rsp_es_d_subaddr_req, &rsp_es_d_basic_resp},
    {RSP_ES4, "EnableProfile", A, P, &rsp_es_d_profile_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES4, "DisableProfile", A, P, &rsp_es_d_profile_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES4, "DeleteProfile", A, P, &rsp_es_d_profile_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES4, "PrepareSMSRChange", A, E, &prepare_req, &rsp_es_d_basic_resp},
    {RSP_ES4, "SMSRChange", A, E, &change_req, &rsp_es_d_basic_resp},
    /* v4 */
    {RSP_ES4, "SetFallBackAttribute", A, P, &rsp_es_d_profile_req, &rsp_es_d_basic_resp},
    {RSP_ES4, "SetEmergencyProfileAttribute", A, P, &rsp_es_d_profile_req, &rsp_es_d_basic_resp},
    {RSP_ES4, "HandleProfileEnabledNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES4, "HandleProfileDisabledNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES4, "HandleProfileDeletedNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES4, "HandleSMSRChangeNotification", N, P, &rsp_es_d_notif_smsr, NULL},
};
const rsp_es_iface_table rsp_es_es4_table = {RSP_ES4, "ES4", es4_funcs, RSP_ES_NFIELDS(es4_funcs)};
