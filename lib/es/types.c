/* Descriptors shared by several interfaces: header, FunctionExecutionStatus, EIS and its parts, POL2,
 * PLMA, ONC, and the response/notification shapes most functions reuse.
 *
 * Element names follow SGP.02 as public implementations spell them (njiwa: "Eid", "Iccid", "Smsr-Id",
 * "Isd-p-aid", "sd-aid", "moreToDo"); decoders match names case-insensitively and ignoring '-'/'_',
 * so "pol2"/"Pol2" and "IsdPAid"/"Isd-p-aid" are one element. */
#include "es_int.h"

/* The emitted spelling of each enum is chosen here, and only here. Status: the known implementations
 * serialise EXECUTED_SUCCESS etc.; "Executed-Success" also decodes (normalised comparison). */
static const char *const status_v[] = {"EXECUTED_SUCCESS", "EXECUTED_WITHWARNING", "FAILED", "EXPIRED"};
const rsp_es_enum rsp_es_e_status = {"Status", status_v, 4};
static const char *const state_v[] = {"Created", "Disabled", "Enabled", "InstallInProgress", "Deleted"};
const rsp_es_enum rsp_es_e_state = {"State", state_v, 5};
static const char *const subj_v[] = {"PROFILE"};
const rsp_es_enum rsp_es_e_pol2_subject = {"Subject", subj_v, 1};
static const char *const act_v[] = {"ENABLE", "DISABLE", "DELETE"};
const rsp_es_enum rsp_es_e_pol2_action = {"Action", act_v, 3};
static const char *const qual_v[] = {"Not-Allowed", "Auto-Delete"};
const rsp_es_enum rsp_es_e_pol2_qual = {"Qualification", qual_v, 2};
static const char *const role_v[] = {"ISD-R", "ECASD", "ISD-P", "MNO-SD"};
const rsp_es_enum rsp_es_e_role = {"Role", role_v, 4};
static const char *const ks_v[] = {"SCP80", "SCP81", "SCP03", "TOKEN", "RECEIPT", "CA"};
const rsp_es_enum rsp_es_e_keyset = {"KeySetType", ks_v, 6};

const char *rsp_es_status_name(int status)
{
    return status >= 0 && (size_t)status < rsp_es_e_status.n ? status_v[status] : "?";
}

#define T rsp_es_status_code
static const rsp_es_field status_code_f[] = {
    F_STR(T, "SubjectCode", "subjectCode", subject),
    F_STR(T, "ReasonCode", "reasonCode", reason),
    F_OSTR(T, "SubjectIdentifier", "subjectIdentifier", subject_identifier),
    F_OSTR(T, "Message", "message", message),
};
RSP_ES_DESC(rsp_es_d_status_code, "StatusCodeData", T, status_code_f);
#undef T

#define T rsp_es_fes
static const rsp_es_field fes_f[] = {
    F_ENUM(T, "Status", "status", status, rsp_es_e_status),
    F_OSTRUCT(T, "StatusCodeData", "statusCodeData", code, rsp_es_d_status_code),
};
RSP_ES_DESC(rsp_es_d_fes, "FunctionExecutionStatus", T, fes_f);
#undef T

#define T rsp_es_subscription_address
static const rsp_es_field subaddr_f[] = {
    F_OSTR(T, "Imsi", "imsi", imsi),
    F_OSTR(T, "Msisdn", "msisdn", msisdn),
};
RSP_ES_DESC(rsp_es_d_subaddr, "SubscriptionAddress", T, subaddr_f);
#undef T

#define T rsp_es_pol2_rule
static const rsp_es_field rule_f[] = {
    F_ENUM(T, "Subject", "subject", subject, rsp_es_e_pol2_subject),
    F_ENUM(T, "Action", "action", action, rsp_es_e_pol2_action),
    F_ENUM(T, "Qualification", "qualification", qualification, rsp_es_e_pol2_qual),
};
RSP_ES_DESC(rsp_es_d_pol2_rule, "Rule", T, rule_f);
#undef T

#define T rsp_es_pol2
static const rsp_es_field pol2_f[] = {
    F_LIST_ST(T, "Rule", "rules", rules, rsp_es_d_pol2_rule, 1),
};
RSP_ES_DESC(rsp_es_d_pol2, "Pol2", T, pol2_f);
#undef T

#define T rsp_es_euicc_capabilities
static const rsp_es_field caps_f[] = {
    F_BOOL(T, "CattpSupport", "cattpSupport", cattp_support),
    F_OSTR(T, "CattpVersion", "cattpVersion", cattp_version),
    F_BOOL(T, "HttpSupport", "httpSupport", http_support),
    F_OSTR(T, "HttpVersion", "httpVersion", http_version),
    F_STR(T, "SecurePacketVersion", "securePacketVersion", secure_packet_version),
    F_STR(T, "RemoteProvisioningVersion", "remoteProvisioningVersion", remote_provisioning_version),
};
RSP_ES_DESC(rsp_es_d_caps, "EuiccCapabilities", T, caps_f);
#undef T

#define T rsp_es_key_component
static const rsp_es_field keycomp_f[] = {
    F_HEX(T, "Type", "type", type),
    F_HEX(T, "Value", "value", value),
};
RSP_ES_DESC(rsp_es_d_keycomp, "KeyComponent", T, keycomp_f);
#undef T

#define T rsp_es_key
static const rsp_es_field key_f[] = {
    F_INT(T, "KeyIdentifier", "keyIdentifier", key_identifier),
    F_LIST_ST(T, "KeyComponent", "components", components, rsp_es_d_keycomp, 0),
    F_OHEX(T, "Kcv", "kcv", kcv),
};
RSP_ES_DESC(rsp_es_d_key, "Key", T, key_f);
#undef T

#define T rsp_es_certificate
static const rsp_es_field cert_f[] = {
    F_INT(T, "Index", "index", index),
    F_OSTR(T, "CaId", "caId", ca_id),
    F_HEX(T, "Value", "value", value),
};
RSP_ES_DESC(rsp_es_d_cert, "CertificateEntry", T, cert_f);
#undef T

#define T rsp_es_key_set
static const rsp_es_field keyset_f[] = {
    F_INT(T, "Version", "version", version),
    F_ENUM(T, "Type", "type", type, rsp_es_e_keyset),
    F_OHEX(T, "Cntr", "counter", counter),
    F_LIST_ST(T, "Key", "keys", keys, rsp_es_d_key, 1),
    F_LIST_HEX(T, "Certificate", "certificates", certificates, 1),
    F_LIST_ST(T, "CertificateEntry", "certificateEntries", certificate_entries, rsp_es_d_cert, 1),
};
RSP_ES_DESC(rsp_es_d_keyset, "KeySet", T, keyset_f);
#undef T

#define T rsp_es_security_domain
static const rsp_es_field sd_f[] = {
    F_HEX(T, "Aid", "aid", aid),
    F_OHEX(T, "Tar", "tar", tar),
    F_OSTR(T, "Sin", "sin", sin),
    F_OSTR(T, "Sdin", "sdin", sdin),
    F_ENUM(T, "Role", "role", role, rsp_es_e_role),
    F_LIST_ST(T, "KeySet", "keySets", key_sets, rsp_es_d_keyset, 1),
};
RSP_ES_DESC(rsp_es_d_sd, "SecurityDomain", T, sd_f);
#undef T

#define T rsp_es_eum_signed_info
static const rsp_es_field signed_f[] = {
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Eum-Id", "eumId", eum_id),
    F_TIME(T, "ProductionDate", "productionDate", production_date),
    F_STR(T, "PlatformType", "platformType", platform_type),
    F_STR(T, "PlatformVersion", "platformVersion", platform_version),
    F_HEX(T, "Isd-p-loadfile-aid", "isdPLoadfileAid", isd_p_loadfile_aid),
    F_HEX(T, "Isd-p-module-aid", "isdPModuleAid", isd_p_module_aid),
    F_STRUCT(T, "Ecasd", "ecasd", ecasd, rsp_es_d_sd),
    F_STRUCT(T, "EuiccCapabilities", "euiccCapabilities", capabilities, rsp_es_d_caps),
};
RSP_ES_DESC(rsp_es_d_signed_info, "EumSignedInfo", T, signed_f);
#undef T

#define T rsp_es_profile_info
static const rsp_es_field pinfo_f[] = {
    F_STR(T, "Iccid", "iccid", iccid),
    F_HEX(T, "Isd-p-aid", "isdPAid", isd_p_aid),
    F_STR(T, "Mno-Id", "mnoId", mno_id),
    F_BOOL(T, "FallbackAttribute", "fallbackAttribute", fallback_attribute),
    F_OBOOL(T, "EmergencyProfileAttribute", "emergencyProfileAttribute", emergency_profile_attribute),
    F_OSTRUCT(T, "SubscriptionAddress", "subscriptionAddress", subscription_address, rsp_es_d_subaddr),
    F_ENUM(T, "State", "state", state, rsp_es_e_state),
    F_OSTR(T, "Smdp-Id", "smdpId", smdp_id),
    F_OSTR(T, "ProfileType", "profileType", profile_type),
    F_INT(T, "AllocatedMemory", "allocatedMemory", allocated_memory),
    F_OINT(T, "FreeMemory", "freeMemory", free_memory),
    F_OSTRUCT(T, "Pol2", "pol2", pol2, rsp_es_d_pol2),
};
RSP_ES_DESC(rsp_es_d_profile_info, "ProfileInfo", T, pinfo_f);
#undef T

#define T rsp_es_audit_record
static const rsp_es_field audit_f[] = {
    F_TIME(T, "OperationDate", "operationDate", operation_date),
    F_HEX(T, "OperationType", "operationType", operation),
    F_STR(T, "Requester-Id", "requesterId", requester_id),
    F_OSTR(T, "Iccid", "iccid", iccid),
    F_OHEX(T, "Isd-p-aid", "isdPAid", isd_p_aid),
    F_OSTR(T, "Eid", "eid", eid),
    F_OSTR(T, "Smsr-Id", "smsrId", smsr_id),
    F_OSTRUCT(T, "OperationExecutionStatus", "operationExecutionStatus", status, rsp_es_d_fes),
    F_OSTR(T, "Imei", "imei", imei),
    F_OSTR(T, "Meid", "meid", meid),
};
RSP_ES_DESC(rsp_es_d_audit, "AuditTrailRecord", T, audit_f);
#undef T

#define T rsp_es_property
static const rsp_es_field prop_f[] = {
    F_STR(T, "Key", "key", key),
    F_STR(T, "Value", "value", value),
};
RSP_ES_DESC(rsp_es_d_property, "AdditionalProperty", T, prop_f);
#undef T

#define T rsp_es_eis
static const rsp_es_field eis_f[] = {
    F_STRUCT(T, "EumSignedInfo", "eumSignedInfo", signed_info, rsp_es_d_signed_info),
    F_HEX(T, "EumSignature", "eumSignature", eum_signature),
    F_OXML(T, "Signature", "eumDsig", eum_dsig),
    F_INT(T, "RemainingMemory", "remainingMemory", remaining_memory),
    F_INT(T, "AvailableMemoryForProfiles", "availableMemoryForProfiles", available_memory_for_profiles),
    F_OTIME(T, "LastAuditDate", "lastAuditDate", last_audit_date),
    F_STR(T, "Smsr-Id", "smsrId", smsr_id),
    F_OSTR(T, "EumCertificateId", "eumCertificateId", eum_certificate_id),
    F_LIST_ST(T, "ProfileInfo", "profiles", profiles, rsp_es_d_profile_info, 1),
    F_STRUCT(T, "Isd-r", "isdR", isd_r, rsp_es_d_sd),
    F_LIST_ST(T, "AuditTrailRecord", "auditTrail", audit_trail, rsp_es_d_audit, 1),
    F_LIST_ST(T, "AdditionalProperty", "additionalProperties", additional_properties, rsp_es_d_property, 1),
};
RSP_ES_DESC(rsp_es_d_eis, "Eis", T, eis_f);
#undef T

#define T rsp_es_plma
static const rsp_es_field plma_f[] = {
    F_STR(T, "Mno-Id", "mnoId", mno_id),
    F_STR(T, "M2MSP-Id", "m2mspId", m2msp_id),
    F_STR(T, "ProfileType", "profileType", profile_type),
    F_LIST_STR(T, "AllowedFunction", "allowedFunctions", allowed_functions, 0),
};
RSP_ES_DESC(rsp_es_d_plma, "Plma", T, plma_f);
#undef T

#define T rsp_es_onc
static const rsp_es_field onc_f[] = {
    F_STR(T, "Mno-Id", "mnoId", mno_id),
    F_STR(T, "ProfileType", "profileType", profile_type),
    F_LIST_STR(T, "Notification", "notifications", notifications, 0),
    F_OSTR(T, "Endpoint", "endpoint", endpoint),
};
RSP_ES_DESC(rsp_es_d_onc, "Onc", T, onc_f);
#undef T

/* ---- shapes reused across interfaces ---- */
#define T rsp_es_basic_resp
static const rsp_es_field basic_f[] = {RSP_ES_RESP_HDR(T)};
RSP_ES_DESC(rsp_es_d_basic_resp, "BasicResponse", T, basic_f);
#undef T

#define T rsp_es_eis_resp
static const rsp_es_field eis_resp_f[] = {
    RSP_ES_RESP_HDR(T),
    F_OSTRUCT(T, "Eis", "eis", eis, rsp_es_d_eis),
};
RSP_ES_DESC(rsp_es_d_eis_resp, "EisResponse", T, eis_resp_f);
#undef T

#define T rsp_es_notification
static const rsp_es_field notif_profile_f[] = {
    RSP_ES_NOTIF_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Iccid", "iccid", iccid),
    F_TIME(T, "CompletionTimestamp", "completionTimestamp", completion_timestamp),
};
RSP_ES_DESC(rsp_es_d_notif_profile, "ProfileNotification", T, notif_profile_f);
static const rsp_es_field notif_smsr_f[] = {
    RSP_ES_NOTIF_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_OSTR(T, "Smsr-Id", "smsrId", smsr_id),
    F_OSTRUCT(T, "Eis", "eis", eis, rsp_es_d_eis),
    F_TIME(T, "CompletionTimestamp", "completionTimestamp", completion_timestamp),
};
RSP_ES_DESC(rsp_es_d_notif_smsr, "SMSRChangeNotification", T, notif_smsr_f);
static const rsp_es_field notif_dl_f[] = {
    RSP_ES_NOTIF_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_STR(T, "Iccid", "iccid", iccid),
    F_OSTR(T, "ProfileType", "profileType", profile_type),
    F_TIME(T, "CompletionTimestamp", "completionTimestamp", completion_timestamp),
};
RSP_ES_DESC(rsp_es_d_notif_downloaded, "ProfileDownloadedNotification", T, notif_dl_f);
#undef T
