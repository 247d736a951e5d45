/* ES3 (SM-DP -> SM-SR) and its notifications (SM-SR -> SM-DP). */
#include "es_int.h"

#define T rsp_es_download_req
static const rsp_es_field create_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Iccid", "iccid", iccid),
    F_STR(T, "Mno-Id", "mnoId", mno_id),
    F_INT(T, "RequiredMemory", "requiredMemory", required_memory),
    F_OBOOL(T, "moreToDo", "moreToDo", more_to_do),
};
static RSP_ES_DESC(create_req, "CreateISDPRequest", T, create_f);
static const rsp_es_field completed_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Iccid", "iccid", iccid),
    F_STR(T, "ProfileType", "profileType", profile_type),
    F_OSTRUCT(T, "SubscriptionAddress", "subscriptionAddress", subscription_address, rsp_es_d_subaddr),
    F_OSTRUCT(T, "Pol2", "pol2", pol2, rsp_es_d_pol2),
};
static RSP_ES_DESC(completed_req, "ProfileDownloadCompletedRequest", T, completed_f);
#undef T

#define T rsp_es_send_data_req
static const rsp_es_field send_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_HEX(T, "sd-aid", "sdAid", sd_aid),
    F_HEX(T, "Data", "data", data),
    F_OBOOL(T, "moreToDo", "moreToDo", more_to_do),
};
static RSP_ES_DESC(send_req, "SendDataRequest", T, send_f);
#undef T

#define T rsp_es_profile_req
static const rsp_es_field conn_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Iccid", "iccid", iccid),
    F_HEX(T, "ConnectivityParameters", "connectivityParameters", connectivity_parameters),
};
static RSP_ES_DESC(conn_req, "UpdateConnectivityParametersRequest", T, conn_f);
#undef T

#define T rsp_es_data_resp
static const rsp_es_field create_resp_f[] = {
    RSP_ES_RESP_HDR(T),
    F_OHEX(T, "Isd-p-aid", "isdPAid", isd_p_aid),
    F_OHEX(T, "EuiccResponseData", "euiccResponseData", euicc_response_data),
};
static RSP_ES_DESC(create_resp, "CreateISDPResponse", T, create_resp_f);
#undef T

#define A RSP_ES_ASYNC
#define N RSP_ES_ONEWAY
#define P RSP_ES_G_PROFILE
static const rsp_es_func es3_funcs[] = {
    {RSP_ES3, "GetEIS", A, P, &rsp_es_d_eid_req, &rsp_es_d_eis_resp},
    {RSP_ES3, "AuditEIS", A, P, &rsp_es_d_audit_req, &rsp_es_d_eis_resp},
    {RSP_ES3, "CreateISDP", A, P, &create_req, &create_resp},
    {RSP_ES3, "SendData", A, P, &send_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES3, "ProfileDownloadCompleted", A, P, &completed_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES3, "UpdatePolicyRules", A, P, &rsp_es_d_pol2_req, &rsp_es_d_basic_resp},
    {RSP_ES3, "UpdateSubscriptionAddress", A, P, &rsp_es_d_subaddr_req, &rsp_es_d_basic_resp},
    {RSP_ES3, "UpdateConnectivityParameters", A, P, &conn_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES3, "EnableProfile", A, P, &rsp_es_d_profile_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES3, "DisableProfile", A, P, &rsp_es_d_profile_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES3, "DeleteISDP", A, P, &rsp_es_d_profile_req, &rsp_es_d_euicc_data_resp},
    {RSP_ES3, "HandleProfileEnabledNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES3, "HandleProfileDisabledNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES3, "HandleProfileDeletedNotification", N, P, &rsp_es_d_notif_profile, NULL},
    {RSP_ES3, "HandleSMSRChangeNotification", N, P, &rsp_es_d_notif_smsr, NULL},
};
const rsp_es_iface_table rsp_es_es3_table = {RSP_ES3, "ES3", es3_funcs, RSP_ES_NFIELDS(es3_funcs)};
