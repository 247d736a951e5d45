/* The data of the ES1/ES2/ES3/ES4/ES4A/ES7 functions (SGP.02) as plain C structs.
 *
 * These structs are data only: the descriptor tables in lib/es/ (one per interface) say which members a
 * function carries, under which XML element and JSON key, of which type and whether mandatory. Both
 * bindings (SOAP and JSON) are driven from those tables, so a struct here never has codec code of its
 * own. Several functions share one struct shape (ES3 and ES4 EnableProfile, for instance); a member
 * that the function's table does not list is neither encoded nor decoded (it stays NULL/0).
 *
 * Ownership: a decoded struct owns every string, byte buffer, nested struct and list it points at;
 * rsp_es_body_free() (or rsp_es_msg_free() for a whole message) walks the descriptor and frees them.
 * Strings are malloc'd NUL-terminated UTF-8; an absent optional string/struct is NULL; an absent
 * optional integer/boolean/enum has its has_<member> flag false; an absent optional hexBinary is an
 * rsp_buf with data NULL and len 0 (so an empty optional hexBinary is read as absent). */
#ifndef RSP_ES_TYPES_H
#define RSP_ES_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"

/* A list: `v` points at `n` items stored contiguously (items of a struct type are stored by value).
 * Owned: the array and each item's contents are freed by the descriptor walk. */
typedef struct rsp_es_list {
    void *v;
    size_t n;
} rsp_es_list;

/* ---- enumerations (values index the names table in lib/es/types.c) ---- */
typedef enum rsp_es_status {
    RSP_ES_EXECUTED_SUCCESS = 0,
    RSP_ES_EXECUTED_WITH_WARNING,
    RSP_ES_FAILED,
    RSP_ES_EXPIRED,
} rsp_es_status;

typedef enum rsp_es_profile_state {
    RSP_ES_STATE_CREATED = 0,
    RSP_ES_STATE_DISABLED,
    RSP_ES_STATE_ENABLED,
    RSP_ES_STATE_INSTALL_IN_PROGRESS, /* njiwa's states around a download and a deletion [G] */
    RSP_ES_STATE_DELETED,
} rsp_es_profile_state;

typedef enum rsp_es_pol2_subject { RSP_ES_POL2_SUBJECT_PROFILE = 0 } rsp_es_pol2_subject;
typedef enum rsp_es_pol2_action {
    RSP_ES_POL2_ENABLE = 0,
    RSP_ES_POL2_DISABLE,
    RSP_ES_POL2_DELETE,
} rsp_es_pol2_action;
typedef enum rsp_es_pol2_qualification {
    RSP_ES_POL2_NOT_ALLOWED = 0,
    RSP_ES_POL2_AUTO_DELETE,
} rsp_es_pol2_qualification;

typedef enum rsp_es_sd_role { RSP_ES_ROLE_ISDR = 0, RSP_ES_ROLE_ECASD, RSP_ES_ROLE_ISDP, RSP_ES_ROLE_MNOSD } rsp_es_sd_role;
typedef enum rsp_es_keyset_type {
    RSP_ES_KS_SCP80 = 0,
    RSP_ES_KS_SCP81,
    RSP_ES_KS_SCP03,
    RSP_ES_KS_TOKEN,
    RSP_ES_KS_RECEIPT,
    RSP_ES_KS_CA,
} rsp_es_keyset_type;

/* ---- common header and status ---- */
typedef struct rsp_es_status_code { /* StatusCodeData */
    char *subject;            /* SubjectCode, e.g. "8.1.1" */
    char *reason;             /* ReasonCode, e.g. "3.9" */
    char *subject_identifier; /* optional */
    char *message;            /* optional */
} rsp_es_status_code;

typedef struct rsp_es_fes { /* FunctionExecutionStatus */
    int status;               /* rsp_es_status */
    rsp_es_status_code *code; /* optional StatusCodeData */
} rsp_es_fes;

typedef struct rsp_es_req_hdr {
    char *function_call_id;   /* FunctionCallIdentifier (optional in notifications) */
    bool has_validity_period;
    int64_t validity_period;  /* seconds */
} rsp_es_req_hdr;

typedef struct rsp_es_resp_hdr {
    char *processing_start;   /* xs:dateTime, optional */
    char *processing_end;     /* xs:dateTime, optional */
    bool has_acceptable_validity_period;
    int64_t acceptable_validity_period;
    rsp_es_fes status;        /* FunctionExecutionStatus, mandatory */
} rsp_es_resp_hdr;

/* ---- EIS and its parts ---- */
typedef struct rsp_es_subscription_address {
    char *imsi;   /* optional */
    char *msisdn; /* optional */
} rsp_es_subscription_address;

typedef struct rsp_es_pol2_rule {
    int subject;       /* rsp_es_pol2_subject */
    int action;        /* rsp_es_pol2_action */
    int qualification; /* rsp_es_pol2_qualification */
} rsp_es_pol2_rule;

typedef struct rsp_es_pol2 {
    rsp_es_list rules; /* of rsp_es_pol2_rule, XML <Rule>* */
} rsp_es_pol2;

typedef struct rsp_es_euicc_capabilities {
    bool cattp_support;
    char *cattp_version; /* optional */
    bool http_support;
    char *http_version; /* optional */
    char *secure_packet_version;
    char *remote_provisioning_version;
} rsp_es_euicc_capabilities;

typedef struct rsp_es_key_component {
    rsp_buf type;  /* key type byte(s), e.g. 88 (AES) */
    rsp_buf value; /* key value (wrapped) or public key */
} rsp_es_key_component;

typedef struct rsp_es_key {
    int64_t key_identifier;
    rsp_es_list components; /* of rsp_es_key_component, XML <KeyComponent>* */
    rsp_buf kcv;            /* optional key check value (njiwa: the kcv attribute) */
} rsp_es_key;

/* A certificate of a key set with its position and CA (njiwa's certificate{Index, CaId, Value}). */
typedef struct rsp_es_certificate {
    int64_t index;
    char *ca_id;  /* optional */
    rsp_buf value;
} rsp_es_certificate;

typedef struct rsp_es_key_set {
    int64_t version;      /* KVN */
    int type;             /* rsp_es_keyset_type */
    rsp_buf counter;      /* optional sequence counter */
    rsp_es_list keys;     /* of rsp_es_key, XML <Key>* */
    rsp_es_list certificates; /* of rsp_buf, XML <Certificate>* */
    rsp_es_list certificate_entries; /* of rsp_es_certificate, optional (njiwa's form) */
} rsp_es_key_set;

typedef struct rsp_es_security_domain {
    rsp_buf aid;
    rsp_buf tar;     /* optional */
    char *sin;       /* optional */
    char *sdin;      /* optional */
    int role;        /* rsp_es_sd_role */
    rsp_es_list key_sets; /* of rsp_es_key_set, XML <KeySet>* */
} rsp_es_security_domain;

typedef struct rsp_es_eum_signed_info {
    char *eid;
    char *eum_id;
    char *production_date; /* xs:dateTime */
    char *platform_type;
    char *platform_version;
    rsp_buf isd_p_loadfile_aid;
    rsp_buf isd_p_module_aid;
    rsp_es_security_domain *ecasd;
    rsp_es_euicc_capabilities *capabilities;
} rsp_es_eum_signed_info;

typedef struct rsp_es_profile_info {
    char *iccid;
    rsp_buf isd_p_aid;
    char *mno_id;
    bool fallback_attribute;
    bool has_emergency_profile_attribute; /* v4 */
    bool emergency_profile_attribute;
    rsp_es_subscription_address *subscription_address; /* optional */
    int state; /* rsp_es_profile_state */
    char *smdp_id;      /* optional */
    char *profile_type; /* optional */
    int64_t allocated_memory;
    bool has_free_memory;
    int64_t free_memory;
    rsp_es_pol2 *pol2; /* optional */
} rsp_es_profile_info;

typedef struct rsp_es_audit_record {
    char *operation_date; /* xs:dateTime */
    rsp_buf operation;    /* 2-byte operation code, e.g. 0200 Enable */
    char *requester_id;
    char *iccid;          /* optional */
    rsp_buf isd_p_aid;    /* optional */
    char *eid;            /* optional, and the rest: what njiwa's records carry */
    char *smsr_id;
    struct rsp_es_fes *status; /* OperationExecutionStatus */
    char *imei;
    char *meid;
} rsp_es_audit_record;

typedef struct rsp_es_property { /* AdditionalProperties entry */
    char *key;
    char *value;
} rsp_es_property;

typedef struct rsp_es_eis {
    rsp_es_eum_signed_info *signed_info;
    rsp_buf eum_signature;     /* our form: 5F37 40 r||s (docs/ENCODINGS.md) */
    char *eum_dsig;            /* optional XML-DSig <ds:Signature> over EumSignedInfo, exclusive C14N
                                * (njiwa's form; rsp_es_eis_dsig_verify checks it) */
    char *eum_certificate_id;  /* optional */
    int64_t remaining_memory;
    int64_t available_memory_for_profiles;
    char *last_audit_date; /* optional xs:dateTime */
    char *smsr_id;
    rsp_es_list profiles;      /* of rsp_es_profile_info, XML <ProfileInfo>* */
    rsp_es_security_domain *isd_r;
    rsp_es_list audit_trail;   /* of rsp_es_audit_record, optional */
    rsp_es_list additional_properties; /* of rsp_es_property, optional */
} rsp_es_eis;

/* PLMA entry [G]: an Operator authorises an M2M SP for functions on profiles of one type. */
typedef struct rsp_es_plma {
    char *mno_id;
    char *m2msp_id;
    char *profile_type;
    rsp_es_list allowed_functions; /* of char *, e.g. "ES4-EnableProfile" */
} rsp_es_plma;

/* ONC entry [G]: which notifications an Operator wants for one profile type, and where. */
typedef struct rsp_es_onc {
    char *mno_id;
    char *profile_type;
    rsp_es_list notifications; /* of char *, e.g. "HandleProfileEnabledNotification" */
    char *endpoint;            /* optional URL */
} rsp_es_onc;

/* ---- request shapes ---- */
typedef struct rsp_es_eis_req { /* ES1.RegisterEIS, ES7.HandoverEUICC */
    rsp_es_req_hdr hdr;
    rsp_es_eis *eis;
} rsp_es_eis_req;

typedef struct rsp_es_eid_req { /* GetEIS, AuditEIS, ES1.UpdateEISAdditionalProperties */
    rsp_es_req_hdr hdr;
    char *eid;
    char *smsr_id;      /* ES2 only */
    rsp_es_list iccids; /* AuditEIS: of char *, optional */
    rsp_es_list additional_properties; /* ES1.UpdateEISAdditionalProperties: of rsp_es_property */
} rsp_es_eid_req;

typedef struct rsp_es_profile_req { /* Enable/Disable/Delete, DeleteISDP, SetFallBack/Emergency, Update* */
    rsp_es_req_hdr hdr;
    char *eid;
    char *smsr_id; /* ES2 only */
    char *iccid;
    rsp_es_pol2 *pol2;                               /* UpdatePolicyRules */
    rsp_es_subscription_address *subscription_address; /* UpdateSubscriptionAddress */
    rsp_buf connectivity_parameters;                  /* ES3.UpdateConnectivityParameters */
} rsp_es_profile_req;

typedef struct rsp_es_download_req { /* ES2.DownloadProfile, ES3.CreateISDP, ES3.ProfileDownloadCompleted */
    rsp_es_req_hdr hdr;
    char *eid;
    char *smsr_id;      /* DownloadProfile */
    char *profile_type; /* DownloadProfile, ProfileDownloadCompleted */
    char *iccid;
    char *mno_id;       /* CreateISDP */
    int64_t required_memory; /* CreateISDP */
    bool enable_profile; /* DownloadProfile */
    bool has_more_to_do;
    bool more_to_do;    /* CreateISDP */
    rsp_es_subscription_address *subscription_address; /* ProfileDownloadCompleted */
    rsp_es_pol2 *pol2;  /* ProfileDownloadCompleted */
} rsp_es_download_req;

typedef struct rsp_es_send_data_req { /* ES3.SendData */
    rsp_es_req_hdr hdr;
    char *eid;
    rsp_buf sd_aid;
    rsp_buf data;
    bool has_more_to_do;
    bool more_to_do;
} rsp_es_send_data_req;

typedef struct rsp_es_smsr_change_req { /* ES4.PrepareSMSRChange, ES4.SMSRChange */
    rsp_es_req_hdr hdr;
    char *eid;
    char *current_smsr_id; /* PrepareSMSRChange */
    char *target_smsr_id;  /* SMSRChange */
} rsp_es_smsr_change_req;

typedef struct rsp_es_key_req { /* ES7.AuthenticateSMSR, ES7.CreateAdditionalKeySet */
    rsp_es_req_hdr hdr;
    char *eid;
    rsp_buf smsr_certificate; /* AuthenticateSMSR */
    int64_t key_version_number;
    int64_t initial_sequence_counter;
    int64_t ecc_key_length;
    rsp_buf scenario_parameter;
    rsp_buf host_id;          /* optional */
    rsp_buf ephemeral_public_key;
    rsp_buf signature;
} rsp_es_key_req;

typedef struct rsp_es_plma_req { /* Set/GetAuthorisationsOfM2MSP, Set/GetPLMA, Set/GetONC */
    rsp_es_req_hdr hdr;
    char *smsr_id;      /* ES2 only */
    char *m2msp_id;     /* Get* filter, optional */
    char *profile_type; /* Get* filter, optional */
    rsp_es_list plma;   /* Set*PLMA/Authorisations: of rsp_es_plma */
    rsp_es_list onc;    /* SetONC: of rsp_es_onc */
} rsp_es_plma_req;

typedef struct rsp_es_notification { /* Handle...Notification (one-way) */
    rsp_es_req_hdr hdr;
    char *eid;
    char *iccid;        /* profile notifications */
    char *smsr_id;      /* SMSRChange */
    char *profile_type; /* ProfileDownloaded, optional */
    rsp_es_eis *eis;    /* SMSRChange, optional */
    char *completion_timestamp; /* xs:dateTime */
} rsp_es_notification;

/* ---- response shapes ---- */
typedef struct rsp_es_basic_resp { /* status only */
    rsp_es_resp_hdr hdr;
} rsp_es_basic_resp;

typedef struct rsp_es_eis_resp { /* GetEIS, AuditEIS */
    rsp_es_resp_hdr hdr;
    rsp_es_eis *eis; /* optional */
} rsp_es_eis_resp;

typedef struct rsp_es_data_resp { /* results carrying card data */
    rsp_es_resp_hdr hdr;
    char *iccid;                 /* DownloadProfile */
    rsp_buf isd_p_aid;           /* CreateISDP */
    rsp_buf euicc_response_data; /* optional */
    rsp_buf random_challenge;    /* ES7.AuthenticateSMSR */
    rsp_buf derivation_random;   /* ES7.CreateAdditionalKeySet */
    rsp_buf receipt;             /* ES7.CreateAdditionalKeySet */
} rsp_es_data_resp;

typedef struct rsp_es_plma_resp { /* GetAuthorisationsOfM2MSP, GetPLMA, GetONC */
    rsp_es_resp_hdr hdr;
    rsp_es_list plma; /* of rsp_es_plma */
    rsp_es_list onc;  /* of rsp_es_onc */
} rsp_es_plma_resp;

#endif
