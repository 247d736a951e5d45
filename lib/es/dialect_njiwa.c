/* The njiwa dialect: the contract of bagyenda/njiwa (the one public SGP.02 SM-SR/SM-DP), read from its
 * JAX-WS WSDLs (shared/interop/njiwa-wsdl, commit b04eb01). Every row below is a fact of those WSDLs:
 * operation names, SOAPActions, the order and spelling of rpc parts, the `return` part of results,
 * the callback operations of ES3Resp/ES7, and the spellings of nested elements and enum values.
 * Nothing here is code: the SOAP codec reads it (dialect_int.h).
 *
 * The EIS: njiwa's eis type, member by member (lower-case list names, attributes on keys and key
 * components, certificates with Index/CaId, audit records with their status, the "FreeMemoery" typo);
 * its EumSignature is an XML-DSig ds:Signature, kept whole (rsp_es_eis.eum_dsig). The one member
 * njiwa cannot carry, a profile's EmergencyProfileAttribute, is dropped on the way out (RSP_ES_R_DROP). */
#include "dialect_int.h"

#define ROWS(a) a, RSP_ES_NFIELDS(a)
/* name, ours, item, form, flags, sub */
#define R(n) {n, NULL, NULL, 0, 0, NULL}
#define RO(n, o) {n, o, NULL, 0, 0, NULL}
#define RA(n, o) {n, o, NULL, 0, RSP_ES_R_ALWAYS, NULL}
#define RF(n, o, form) {n, o, NULL, form, 0, NULL}
#define RW(n, o, item) {n, o, item, 0, 0, NULL}
#define RT(n, o) {n, o, NULL, 0, RSP_ES_R_ATTR, NULL}

/* ---- nested structs ---- */
static const rsp_es_drow status_code[] = {RO("Subject", "SubjectCode"), RO("Reason", "ReasonCode"),
                                          R("SubjectIdentifier"), R("Message")};
static const rsp_es_drow pol2[] = {RO("rules", "Rule")};
static const rsp_es_drow subaddr[] = {R("Imsi"), R("Msisdn")};

/* ---- the EIS ---- */
static const rsp_es_drow eis[] = {R("EumSignedInfo"),
                                  RO("Signature", "Signature"),
                                  R("RemainingMemory"),
                                  R("AvailableMemoryForProfiles"),
                                  RO("lastAuditDate", "LastAuditDate"),
                                  RO("Smsr-id", "Smsr-Id"),
                                  R("EumCertificateId"),
                                  RO("profiles", "ProfileInfo"),
                                  RO("isd-r", "Isd-r"),
                                  RW("AuditTrail", "AuditTrailRecord", "auditTrailRecords"),
                                  RW("AdditionalProperties", "AdditionalProperty", "properties")};
static const rsp_es_drow signed_info[] = {R("Eid"),
                                          R("Eum-Id"),
                                          R("ProductionDate"),
                                          R("PlatformType"),
                                          R("PlatformVersion"),
                                          RO("isd-p-loadfile-aid", "Isd-p-loadfile-aid"),
                                          RO("isd-p-module-aid", "Isd-p-module-aid"),
                                          R("Ecasd"),
                                          R("EuiccCapabilities")};
static const rsp_es_drow sd[] = {R("Aid"), R("Tar"), R("Sin"), R("Sdin"), R("Role"), RO("keySets", "KeySet")};
static const rsp_es_drow keyset[] = {R("Version"), R("Type"),
                                     {"Cntr", NULL, NULL, RSP_ES_FORM_HEX_LONG, RSP_ES_R_ALWAYS, NULL},
                                     RO("keys", "Key"), RO("certificates", "CertificateEntry")};
static const rsp_es_drow key[] = {RT("kcv", "Kcv"), RO("Index", "KeyIdentifier"), RO("components", "KeyComponent")};
static const rsp_es_drow keycomp[] = {RT("type", "Type"), RT("value", "Value")};
static const rsp_es_drow pinfo[] = {R("Iccid"),
                                    R("Isd-p-aid"),
                                    RO("Mno-id", "Mno-Id"),
                                    R("FallbackAttribute"),
                                    /* njiwa's profileInfo has no such element (ES4.wsdl): dropped, the
                                     * fall-back and state still go; a gsma-dialect GetEIS shows it */
                                    {"EmergencyProfileAttribute", NULL, NULL, 0, RSP_ES_R_DROP, NULL},
                                    R("SubscriptionAddress"),
                                    R("State"),
                                    RO("Smdp-id", "Smdp-Id"),
                                    R("ProfileType"),
                                    R("AllocatedMemory"),
                                    {"FreeMemoery", "FreeMemory", NULL, 0, RSP_ES_R_ALWAYS, NULL}, /* sic */
                                    R("pol2")};
static const rsp_es_drow audit[] = {R("Eid"),           RO("Smsr-id", "Smsr-Id"), R("OperationDate"),
                                    R("OperationType"), RO("RequesterId", "Requester-Id"),
                                    R("OperationExecutionStatus"), R("Isd-p-aid"), R("Iccid"), R("Imei"), R("Meid")};
static const rsp_es_drow property[] = {RO("key", "Key"), RO("value", "Value")};

/* ---- results: baseResponseType and its extensions ---- */
#define BASE                                                                                                 \
    R("ProcessingStart"), R("ProcessingEnd"), RA("AcceptableValidityPeriod", NULL), R("FunctionExecutionStatus")
static const rsp_es_drow res_base[] = {BASE};
static const rsp_es_drow res_euicc[] = {BASE, R("EuiccResponseData")};
/* sendDataResponse / createISDPResponse spell it EuiCCResponseData; the ES3Resp callbacks do not */
static const rsp_es_drow res_euicc_cc[] = {BASE, RO("EuiCCResponseData", "EuiccResponseData")};
static const rsp_es_drow res_create[] = {BASE, R("Isd-p-aid"), RO("EuiCCResponseData", "EuiccResponseData")};
static const rsp_es_drow res_create_cb[] = {BASE, R("Isd-p-aid"), R("EuiccResponseData")};
static const rsp_es_drow res_download[] = {BASE, R("Iccid")};
static const rsp_es_drow res_eis[] = {BASE, R("Eis")};
static const rsp_es_drow res_auth[] = {BASE, R("RandomChallenge")};
static const rsp_es_drow res_keyset[] = {BASE, R("DerivationRandom"), R("Receipt")};

static const rsp_es_layout layouts[] = {
    {"StatusCodeData", ROWS(status_code)},
    {"Pol2", ROWS(pol2)},
    {"SubscriptionAddress", ROWS(subaddr)},
    {"Eis", ROWS(eis)},
    {"EumSignedInfo", ROWS(signed_info)},
    {"SecurityDomain", ROWS(sd)},
    {"KeySet", ROWS(keyset)},
    {"Key", ROWS(key)},
    {"KeyComponent", ROWS(keycomp)},
    {"ProfileInfo", ROWS(pinfo)},
    {"AuditTrailRecord", ROWS(audit)},
    {"AdditionalProperty", ROWS(property)},
    {"nj.base", ROWS(res_base)},
    {"nj.euicc", ROWS(res_euicc)},
    {"nj.euicc_cc", ROWS(res_euicc_cc)},
    {"nj.create", ROWS(res_create)},
    {"nj.create_cb", ROWS(res_create_cb)},
    {"nj.download", ROWS(res_download)},
    {"nj.eis", ROWS(res_eis)},
    {"nj.auth", ROWS(res_auth)},
    {"nj.keyset", ROWS(res_keyset)},
};

/* ---- request parts ---- */
#define HDR R("FunctionCallIdentifier"), R("ValidityPeriod")
static const rsp_es_drow p_eis[] = {HDR, R("Eis")};
static const rsp_es_drow p_eid[] = {HDR, R("Eid")};
static const rsp_es_drow p_eid_smsr[] = {HDR, R("Eid"), RO("Smsr-id", "Smsr-Id")};
static const rsp_es_drow p_profile[] = {HDR, R("Eid"), R("Iccid")};
static const rsp_es_drow p_profile_smsr[] = {HDR, R("Eid"), RO("Smsr-id", "Smsr-Id"), R("Iccid")};
static const rsp_es_drow p_download[] = {HDR, R("Eid"), RO("Smsr-id", "Smsr-Id"), R("ProfileType"), R("Iccid"),
                                         R("EnableProfile")};
static const rsp_es_drow p_pol2_smsr[] = {HDR, R("Eid"), R("Iccid"), R("Smsr-Id"), R("pol2")};
static const rsp_es_drow p_pol2[] = {HDR, R("Eid"), R("Iccid"), R("pol2")};
static const rsp_es_drow p_send[] = {HDR, R("Eid"), R("sd-aid"), R("Data"), R("moreToDo")};
static const rsp_es_drow p_completed[] = {HDR, R("Eid"), R("Iccid"), R("ProfileType"), R("SubscriptionAddress"),
                                          R("pol2")};
static const rsp_es_drow p_create[] = {HDR, R("Eid"), R("Iccid"), RO("Mno-id", "Mno-Id"), R("RequiredMemory"),
                                       R("moreToDo")};
static const rsp_es_drow p_conn[] = {HDR, R("Eid"), R("Iccid"), R("ConnectivityParameters")};
/* ES4 AuditEIS: the ICCIDs are a JAXB stringArray, <Iccid><item>...</item></Iccid> */
static const rsp_es_drow p_audit4[] = {HDR, R("Eid"), RW("Iccid", "Iccid", "item")};
static const rsp_es_drow p_prepare[] = {HDR, R("Eid"), RO("CurrentSMSRid", "CurrentSmsr-Id")};
static const rsp_es_drow p_change[] = {HDR, R("Eid"), RO("Target-Smsr-id", "TargetSmsr-Id")};
/* ES7 requests carry no FunctionCallIdentifier, and their validity period as AcceptableValidityPeriod;
 * ECCKeyLength is "ECC-256" and ScenarioParameter an xs:byte in decimal. */
static const rsp_es_drow p_auth[] = {RO("AcceptableValidityPeriod", "ValidityPeriod"), R("Eid"), R("SmsrCertificate")};
static const rsp_es_drow p_keyset[] = {RO("AcceptableValidityPeriod", "ValidityPeriod"),
                                       R("Eid"),
                                       R("KeyVersionNumber"),
                                       R("InitialSequenceCounter"),
                                       RF("ECCKeyLength", NULL, RSP_ES_FORM_ECC),
                                       RF("ScenarioParameter", NULL, RSP_ES_FORM_BYTE_DEC),
                                       R("HostID"),
                                       R("EphemeralPublicKey"),
                                       R("Signature")};

#define G "http://gsma.com/"
#define NS "http://namespaces.gsma.org/esim-messaging/1/"
/* iface, func, op, alias, request Action, parts, return part, its Action, callback op, callback Action,
 * callback's return part, result layout, callback result layout, callback spells relatesTo, what the
 * answer to the callback holds (ES3Resp: a string; ES7: a baseResponseType) */
static const rsp_es_dop ops[] = {
    {RSP_ES1, "RegisterEIS", "RegisterEIS", NULL, G "ES1/eUICCManagement/ES1-RegisterEISRequest", ROWS(p_eis),
     "FunctionExecutionStatus", G "ES1/eUICCManagement/ES1-RegisterEISResponse", NULL, NULL, NULL, "nj.base", NULL,
     0, RSP_ES_ACK_NONE},

    {RSP_ES2, "DownloadProfile", "DownloadProfile", NULL, G "ES2/ProfileManagent/ES2-DownloadProfileRequest",
     ROWS(p_download), "return", G "ES2/ProfileManagent/ES2-DownloadProfileResponse", NULL, NULL, NULL, "nj.download",
     NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES2, "UpdatePolicyRules", "UpdatePolicyRules", NULL, G "ES2/ProfileManagement/ES2-UpdatePolicyRules",
     ROWS(p_pol2_smsr), "return", G "ES2/ProfileManagement/ES2-UpdatePolicyRules", NULL, NULL, NULL, "nj.base",
     NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES2, "GetEIS", "GetEIS", NULL, G "ES2/ProfileManagent/ES2-GetEISRequest", ROWS(p_eid_smsr), "return",
     G "ES2/ProfileManagent/ES2-GetEISResponse", NULL, NULL, NULL, "nj.eis", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES2, "DisableProfile", "DisableProfile", NULL, G "ES2/ProfileManagent/ES2-DisableProfileRequest",
     ROWS(p_profile_smsr), "return", G "ES2/ProfileManagent/ES2-DisableProfileResponse", NULL, NULL, NULL,
     "nj.base", NULL,
     0, RSP_ES_ACK_NONE},
    {RSP_ES2, "DeleteProfile", "DeleteProfile", NULL, G "ES2/ProfileManagent/ES2-DeleteProfileRequest",
     ROWS(p_profile_smsr), "return", G "ES2/ProfileManagent/ES2-DeleteProfileResponse", NULL, NULL, NULL, "nj.base",
     NULL,
     0, RSP_ES_ACK_NONE},
    {RSP_ES2, "EnableProfile", "EnableProfile", NULL, G "ES2/ProfileManagent/ES2-EnableProfileRequest",
     ROWS(p_profile_smsr), "return", G "ES2/ProfileManagent/ES2-EnableProfileResponse", NULL, NULL, NULL, "nj.base",
     NULL,
     0, RSP_ES_ACK_NONE},

    {RSP_ES3, "SendData", "SendData", NULL, G "ES3/ProfileManagent/ES3-SendData", ROWS(p_send), "return",
     NS "ES3/SendDataResponse", "SendDataResponse", G "ES3/ProfileManagentCallBack/ES3-SendData", NULL, "nj.euicc_cc",
     "nj.euicc", 1, RSP_ES_ACK_STRING},
    {RSP_ES3, "UpdatePolicyRules", "UpdatePolicyRules", NULL, G "ES3/ProfileManagent/ES3-UpdatePolicyRules",
     ROWS(p_pol2), "return", NS "ES3/UpdatePolicyRulesResponse", NULL, NULL, NULL, "nj.base", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES3, "ProfileDownloadCompleted", "ProfileDownloadCompleted", NULL,
     G "ES3/ProfileManagent/ES3-ProfileDownloadCompleted", ROWS(p_completed), "return",
     NS "ES3/ProfileDownloadCompletedResponse", NULL, NULL, NULL, "nj.base", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES3, "CreateISDP", "CreateISDP", NULL, G "ES3/ProfileManagent/ES3-CreateISDP", ROWS(p_create), "return",
     NS "ES3/CreateISDPResponse", "CreateISDPResponse", G "ES3/ProfileManagentCallBack/ES3-CreateISDP",
     NULL, "nj.create", "nj.create_cb", 1, RSP_ES_ACK_STRING},
    {RSP_ES3, "DeleteISDP", "DeleteISDP", NULL, G "ES3/ProfileManagent/ES3-DeleteISDP", ROWS(p_profile), "return",
     NS "ES3/DeleteISDPResponse", NULL, NULL, NULL, "nj.euicc", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES3, "GetEIS", "GetEIS", NULL, G "ES3/ProfileManagent/ES3-GetEISRequest", ROWS(p_eid),
     "FunctionExecutionStatus", G "ES3/ProfileManagent/ES3-GetEISResponse", NULL, NULL, NULL, "nj.eis", NULL, 0,
     RSP_ES_ACK_NONE},
    {RSP_ES3, "DisableProfile", "DisableProfile", NULL, G "ES3/ProfileManagent/ES3-DisableProfile", ROWS(p_profile),
     "return", NS "ES3/DisableProfileResponse", NULL, NULL, NULL, "nj.euicc", NULL, 0, RSP_ES_ACK_NONE},
    /* njiwa's SM-DP names the result of ES3 EnableProfile "EnableISDP" (ES3Resp.wsdl) */
    {RSP_ES3, "EnableProfile", "EnableProfile", "EnableISDP", G "ES3/ProfileManagent/ES3-EnableProfile",
     ROWS(p_profile), "return", NS "ES3/EnableProfileResponse", "EnableISDPResponse",
     G "ES3/ProfileManagentCallBack/ES3-EnableISDP", NULL, "nj.euicc", "nj.euicc", 1, RSP_ES_ACK_STRING},
    {RSP_ES3, "UpdateConnectivityParameters", "UpdateConnectivityParameters", NULL,
     G "ES3/ProfileManagent/ES3-UpdateConnectivityParameters", ROWS(p_conn), "return",
     NS "ES3/UpdateConnectivityParametersResponse", NULL, NULL, NULL, "nj.euicc", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES3, "AuditEIS", "AuditEIS", NULL, G "ES3/ProfileManagent/ES3-AuditEIS", ROWS(p_eid),
     "FunctionExecutionStatus", G "ES3/ProfileManagentCallback/ES3-AuditEIS", NULL, NULL, NULL, "nj.eis", NULL, 0,
     RSP_ES_ACK_NONE},

    {RSP_ES4, "UpdatePolicyRules", "UpdatePolicyRules", NULL, G "ES4/ProfileManagent/ES4-UpdatePolicyRules",
     ROWS(p_pol2), "return", NS "ES4/UpdatePolicyRulesResponse", NULL, NULL, NULL, "nj.base", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES4, "PrepareSMSRChange", "PrepareSMSRChangeRequest", NULL, G "ES4/eUICCManagement/ES4-PrepareSMSRChange",
     ROWS(p_prepare), "return", NS "ES4/PrepareSMSRChangeRequestResponse", NULL, NULL, NULL, "nj.base", NULL, 0,
     RSP_ES_ACK_NONE},
    {RSP_ES4, "GetEIS", "GetEIS", NULL, G "ES4/ProfileManagent/ES4-GetEISRequest", ROWS(p_eid),
     "FunctionExecutionStatus", G "ES4/ProfileManagent/ES4-GetEISResponse", NULL, NULL, NULL, "nj.eis", NULL, 0,
     RSP_ES_ACK_NONE},
    {RSP_ES4, "SMSRChange", "SMSRChangeRequest", NULL, G "ES4/eUICCManagement/ES4-SMSRChange", ROWS(p_change),
     "return", NS "ES4/SMSRChangeRequestResponse", NULL, NULL, NULL, "nj.base", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES4, "DeleteProfile", "DeleteProfile", NULL, G "ES4/ProfileManagent/ES4-DeleteProfile", ROWS(p_profile),
     "return", NS "ES4/DeleteProfileResponse", NULL, NULL, NULL, "nj.base", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES4, "DisableProfile", "DisableProfile", NULL, G "ES4/ProfileManagent/ES4-DisableProfile", ROWS(p_profile),
     "return", NS "ES4/DisableProfileResponse", NULL, NULL, NULL, "nj.euicc", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES4, "EnableProfile", "EnableProfile", NULL, G "ES4/ProfileManagent/ES4-EnableProfile", ROWS(p_profile),
     "return", NS "ES4/EnableProfileResponse", NULL, NULL, NULL, "nj.euicc", NULL, 0, RSP_ES_ACK_NONE},
    {RSP_ES4, "AuditEIS", "AuditEIS", NULL, G "ES4/ProfileManagent/ES4-AuditEIS", ROWS(p_audit4),
     "FunctionExecutionStatus", G "ES4/ProfileManagentCallback/ES4-AuditEIS", NULL, NULL, NULL, "nj.eis", NULL, 0,
     RSP_ES_ACK_NONE},

    {RSP_ES7, "HandoverEUICC", "HandoverEUICC", NULL, G "ES7/eUICCManagement/ES7-HandoverEUICC", ROWS(p_eis),
     "return", NS "ES7/HandoverEUICCResponse", "HandoverEUICCResponse",
     G "ES7/eUICCManagementCallBack/ES7-HandoverEUICC", "return", "nj.base", "nj.base", 0, RSP_ES_ACK_STATUS},
    {RSP_ES7, "CreateAdditionalKeySet", "CreateAdditionalKeySetRequest", NULL,
     G "ES7/eUICCManagement/ES7-CreateAdditionalKeySet", ROWS(p_keyset), "return",
     NS "ES7/CreateAdditionalKeySetRequestResponse", "CreateAdditionalKeySetResponse",
     /* sic: the WSDL's SOAPAction has a space after the dash */
     G "ES7/eUICCManagementCallBack/ES7- CreateAdditionalKeySet", NULL, "nj.keyset", "nj.keyset", 1, RSP_ES_ACK_STATUS},
    {RSP_ES7, "AuthenticateSMSR", "AuthenticateSMSRRequest", NULL, G "ES7/eUICCManagement/ES7-AuthenticateSMSR",
     ROWS(p_auth), "return", NS "ES7/AuthenticateSMSRRequestResponse", "AuthenticateSMSRResponse",
     G "ES7/eUICCManagementCallBack/ES7-AuthenticateSMSR", NULL, "nj.auth", "nj.auth", 1, RSP_ES_ACK_STATUS},
};

static const rsp_es_dvalue values[] = {
    {&rsp_es_e_keyset, RSP_ES_KS_TOKEN, "TokenGeneration"},
    {&rsp_es_e_keyset, RSP_ES_KS_RECEIPT, "ReceiptVerification"},
};

const rsp_es_dialect_def rsp_es_dialect_njiwa = {
    .name = "njiwa",
    .soap_version = 11,
    .wsa_ns = "http://www.w3.org/2007/05/addressing/metadata",
    .wsa_prefix = "wsam",
    .address_qualified = false,
    .rpc_result = true,
    .request_response = true,
    .ops = ops,
    .nops = RSP_ES_NFIELDS(ops),
    .layouts = layouts,
    .nlayouts = RSP_ES_NFIELDS(layouts),
    .values = values,
    .nvalues = RSP_ES_NFIELDS(values),
};
