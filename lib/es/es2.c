/* ES2 (Operator -> SM-DP) and its notifications (SM-DP -> Operator). Profile functions carry Smsr-Id
 * because the SM-DP relays them over ES3 to the SM-SR the Operator names. */
#include "es_int.h"

#define T rsp_es_download_req
static const rsp_es_field download_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Smsr-Id", "smsrId", smsr_id),
    F_STR(T, "ProfileType", "profileType", profile_type),
    F_OSTR(T, "Iccid", "iccid", iccid),
    F_BOOL(T, "EnableProfile", "enableProfile", enable_profile),
};
static RSP_ES_DESC(download_req, "DownloadProfileRequest", T, download_f);
#undef T

/* ES2.UpdateConnectivityParameters (SGP.02 v3+; not in njiwa's WSDL): ConnectivityParameters is the
 * A0{...} TLV the SM-DP puts in STORE DATA 3A07 inside its SCP03 session with the ISD-P. */
#define T rsp_es_profile_req
static const rsp_es_field ucp_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Smsr-Id", "smsrId", smsr_id),
    F_STR(T, "Iccid", "iccid", iccid),
    F_HEX(T, "ConnectivityParameters", "connectivityParameters", connectivity_parameters),
};
static RSP_ES_DESC(ucp_req, "UpdateConnectivityParametersRequest", T, ucp_f);
#undef T

#define T rsp_es_data_resp
static const rsp_es_field download_resp_f[] = {
    RSP_ES_RESP_HDR(T),
    F_OSTR(T, "Iccid", "iccid", iccid),
    F_OHEX(T, "EuiccResponseData", "euiccResponseData", euicc_response_data),
};
static RSP_ES_DESC(download_resp, "DownloadProfileResponse", T, download_resp_f);
#undef T

#define A RSP_ES_ASYNC
#define N RSP_ES_ONEWAY
#define P RSP_ES_G_PROFILE
static const rsp_es_func es2_funcs[] = {
    {RSP_ES2, "GetEIS", A, P, &rsp_es_d_eid_smsr_req, &rsp_es_d_eis_resp},
    {RSP_ES2, "DownloadProfile", A, P, &download_req, &download_resp},
    {RSP_ES2, "UpdatePolicyRules", A, P, &rsp_es_d_pol2_smsr_req, &rsp_es_d_basic_resp},
    {RSP_ES2, "UpdateSubscriptionAddress", A, P, &rsp_es_d_subaddr_smsr_req, &rsp_es_d_basic_resp},
    {RSP_ES2, "EnableProfile", A, P, &rsp_es_d_profile_smsr_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES2, "DisableProfile", A, P, &rsp_es_d_profile_smsr_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES2, "DeleteProfile", A, P, &rsp_es_d_profile_smsr_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES2, "AuditEIS", A, P, &rsp_es_d_audit_smsr_req, &rsp_es_d_eis_resp},
    {RSP_ES2, "UpdateConnectivityParameters", A, P, &ucp_req, &rsp_es_d_basic_resp},
    /* v4 */
    {RSP_ES2, "SetFallBackAttribute", A, P, &rsp_es_d_profile_smsr_req, &rsp_es_d_basic_resp},
    {RSP_ES2, "SetEmergencyProfileAttribute", A, P, &rsp_es_d_profile_smsr_req, &rsp_es_d_basic_resp},
    {RSP_ES2, "GetAuthorisationsOfM2MSP", A, P, &rsp_es_d_get_plma_req, &rsp_es_d_plma_resp},
    {RSP_ES2, "SetAuthorisationsOfM2MSP", A, P, &rsp_es_d_set_plma_req, &rsp_es_d_basic_resp},
    {RSP_ES2, "SetONC", A, P, &rsp_es_d_set_onc_req, &rsp_es_d_basic_resp},
    {RSP_ES2, "GetONC", A, P, &rsp_es_d_get_onc_req, &rsp_es_d_onc_resp},
    /* notifications (one-way) */
    {RSP_ES2, "HandleProfileEnabledNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES2, "HandleProfileDisabledNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES2, "HandleProfileDeletedNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES2, "HandleSMSRChangeNotification", N, P, &rsp_es_d_notif_smsr, NULL},
    {RSP_ES2, "HandleProfileDownloadedNotification", N, P, &rsp_es_d_notif_downloaded, NULL},
};
const rsp_es_iface_table rsp_es_es2_table = {RSP_ES2, "ES2", es2_funcs, RSP_ES_NFIELDS(es2_funcs)};
