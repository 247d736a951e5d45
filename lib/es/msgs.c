/* Request and response shapes shared by several interfaces: the ES3/ES4 profile functions, their ES2
 * forms (which add Smsr-Id: the Operator tells the SM-DP which SM-SR holds the eUICC), and the PLMA/ONC
 * functions of ES2 and ES4A. */
#include "es_int.h"

#define T rsp_es_eid_req
static const rsp_es_field eid_f[] = {RSP_ES_REQ_HDR(T), F_STR(T, "Eid", "eid", eid)};
RSP_ES_DESC(rsp_es_d_eid_req, "EidRequest", T, eid_f);
static const rsp_es_field eid_smsr_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Smsr-Id", "smsrId", smsr_id),
};
RSP_ES_DESC(rsp_es_d_eid_smsr_req, "EidSmsrRequest", T, eid_smsr_f);
static const rsp_es_field audit_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_LIST_STR(T, "Iccid", "iccids", iccids, 1),
};
RSP_ES_DESC(rsp_es_d_audit_req, "AuditEISRequest", T, audit_f);
static const rsp_es_field audit_smsr_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Smsr-Id", "smsrId", smsr_id),
    F_LIST_STR(T, "Iccid", "iccids", iccids, 1),
};
RSP_ES_DESC(rsp_es_d_audit_smsr_req, "AuditEISSmsrRequest", T, audit_smsr_f);
#undef T

#define T rsp_es_profile_req
static const rsp_es_field profile_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Iccid", "iccid", iccid),
};
RSP_ES_DESC(rsp_es_d_profile_req, "ProfileRequest", T, profile_f);
static const rsp_es_field profile_smsr_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Smsr-Id", "smsrId", smsr_id),
    F_STR(T, "Iccid", "iccid", iccid),
};
RSP_ES_DESC(rsp_es_d_profile_smsr_req, "ProfileSmsrRequest", T, profile_smsr_f);
static const rsp_es_field pol2_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Iccid", "iccid", iccid),
    F_STRUCT(T, "Pol2", "pol2", pol2, rsp_es_d_pol2),
};
RSP_ES_DESC(rsp_es_d_pol2_req, "UpdatePolicyRulesRequest", T, pol2_f);
static const rsp_es_field pol2_smsr_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Smsr-Id", "smsrId", smsr_id),
    F_STR(T, "Iccid", "iccid", iccid),
    F_STRUCT(T, "Pol2", "pol2", pol2, rsp_es_d_pol2),
};
RSP_ES_DESC(rsp_es_d_pol2_smsr_req, "UpdatePolicyRulesSmsrRequest", T, pol2_smsr_f);
static const rsp_es_field subaddr_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Iccid", "iccid", iccid),
    F_STRUCT(T, "NewSubscriptionAddress", "newSubscriptionAddress", subscription_address, rsp_es_d_subaddr),
};
RSP_ES_DESC(rsp_es_d_subaddr_req, "UpdateSubscriptionAddressRequest", T, subaddr_f);
static const rsp_es_field subaddr_smsr_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Smsr-Id", "smsrId", smsr_id),
    F_STR(T, "Iccid", "iccid", iccid),
    F_STRUCT(T, "NewSubscriptionAddress", "newSubscriptionAddress", subscription_address, rsp_es_d_subaddr),
};
RSP_ES_DESC(rsp_es_d_subaddr_smsr_req, "UpdateSubscriptionAddressSmsrRequest", T, subaddr_smsr_f);
#undef T

#define T rsp_es_data_resp
static const rsp_es_field euicc_data_f[] = {
    RSP_ES_RESP_HDR(T),
    F_OHEX(T, "EuiccResponseData", "euiccResponseData", euicc_response_data),
};
RSP_ES_DESC(rsp_es_d_euicc_data_resp, "EuiccDataResponse", T, euicc_data_f);
#undef T

/* PLMA/ONC [G]: Set carries the full list of entries the caller wants in force; Get filters by
 * M2M SP and profile type (both optional) and returns the matching entries. */
#define T rsp_es_plma_req
static const rsp_es_field set_plma_f[] = {
    RSP_ES_REQ_HDR(T),
    F_LIST_ST(T, "Plma", "plma", plma, rsp_es_d_plma, 0),
};
RSP_ES_DESC(rsp_es_d_set_plma_req, "SetPLMARequest", T, set_plma_f);
static const rsp_es_field get_plma_f[] = {
    RSP_ES_REQ_HDR(T),
    F_OSTR(T, "M2MSP-Id", "m2mspId", m2msp_id),
    F_OSTR(T, "ProfileType", "profileType", profile_type),
};
RSP_ES_DESC(rsp_es_d_get_plma_req, "GetPLMARequest", T, get_plma_f);
static const rsp_es_field set_onc_f[] = {
    RSP_ES_REQ_HDR(T),
    F_LIST_ST(T, "Onc", "onc", onc, rsp_es_d_onc, 0),
};
RSP_ES_DESC(rsp_es_d_set_onc_req, "SetONCRequest", T, set_onc_f);
static const rsp_es_field get_onc_f[] = {
    RSP_ES_REQ_HDR(T),
    F_OSTR(T, "ProfileType", "profileType", profile_type),
};
RSP_ES_DESC(rsp_es_d_get_onc_req, "GetONCRequest", T, get_onc_f);
#undef T

#define T rsp_es_plma_resp
static const rsp_es_field plma_resp_f[] = {
    RSP_ES_RESP_HDR(T),
    F_LIST_ST(T, "Plma", "plma", plma, rsp_es_d_plma, 1),
};
RSP_ES_DESC(rsp_es_d_plma_resp, "PLMAResponse", T, plma_resp_f);
static const rsp_es_field onc_resp_f[] = {
    RSP_ES_RESP_HDR(T),
    F_LIST_ST(T, "Onc", "onc", onc, rsp_es_d_onc, 1),
};
RSP_ES_DESC(rsp_es_d_onc_resp, "ONCResponse", T, onc_resp_f);
#undef T
