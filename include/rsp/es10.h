/* ES10a/b/c (LPA <-> consumer eUICC, SGP.22): DER codecs of the requests and answers of
 * ../shared/spec/SGP22.md §"ES10 functions" and §"ASN.1 tag maps".
 *
 * Decoders are zero-copy: every rsp_bytes points into the caller's input, which must outlive the
 * struct. They take outside input: strict DER lengths, every mandatory field, sizes of the notes, and
 * an rsp_diag naming the fault and its offset; unknown fields after the known ones are skipped (the
 * module is extensible). Objects that are signed (serverSigned1, euiccSigned1, smdpSigned2, ...) are
 * also kept raw, tag and length included, because signatures cover the bytes as received.
 * Encoders append strict DER to an rsp_buf owned by the caller. Choices: docs/ENCODINGS.md §"ES10". */
#ifndef RSP_ES10_H
#define RSP_ES10_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <time.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"

/* Tags of the ES10 functions (request and answer share the tag). */
enum {
    RSP_ES10_EUICC_INFO1 = 0xBF20,
    RSP_ES10_PREPARE_DOWNLOAD = 0xBF21,
    RSP_ES10_EUICC_INFO2 = 0xBF22,
    RSP_ES10_LIST_NOTIFICATION = 0xBF28,
    RSP_ES10_SET_NICKNAME = 0xBF29,
    RSP_ES10_RETRIEVE_NOTIFICATIONS = 0xBF2B,
    RSP_ES10_GET_PROFILES_INFO = 0xBF2D,
    RSP_ES10_GET_CHALLENGE = 0xBF2E,
    RSP_ES10_NOTIFICATION_METADATA = 0xBF2F,
    RSP_ES10_REMOVE_NOTIFICATION = 0xBF30,
    RSP_ES10_ENABLE_PROFILE = 0xBF31,
    RSP_ES10_DISABLE_PROFILE = 0xBF32,
    RSP_ES10_DELETE_PROFILE = 0xBF33,
    RSP_ES10_MEMORY_RESET = 0xBF34,
    RSP_ES10_BPP = 0xBF36,
    RSP_ES10_PIR = 0xBF37,
    RSP_ES10_PIR_DATA = 0xBF27,
    RSP_ES10_AUTHENTICATE_SERVER = 0xBF38,
    RSP_ES10_CONFIGURED_ADDRESSES = 0xBF3C,
    RSP_ES10_GET_EID = 0xBF3E,
    RSP_ES10_SET_DEFAULT_DP = 0xBF3F,
    RSP_ES10_CANCEL_SESSION = 0xBF41,
    RSP_ES10_GET_RAT = 0xBF43,
    RSP_ES10_LOAD_CRL = 0xBF35,
};

#define RSP_ES10_MAX_CI 8          /* CI key ids in one EUICCInfo list */
#define RSP_ES10_CHALLENGE_LEN 16
#define RSP_ES10_MAX_TID 16        /* transactionId: 1..16 bytes */
#define RSP_ES10_SIG_LEN 64        /* 5F37: r || s */
#define RSP_ES10_POINT_LEN 65      /* 5F49: 04 || X || Y */
#define RSP_ES10_MAX_ITEMS 32      /* profiles / notifications in one answer */

/* An ES10 request's function: its outer tag, for a dispatcher. RSP_ERR_FORMAT when p is not one
 * complete DER TLV. */
rsp_err rsp_es10_peek_tag(const uint8_t *p, size_t len, uint32_t *tag, rsp_diag *diag);
/* A request that is only its tag and an empty body, or fixed content: BF20 00, BF22 00, BF2E 00,
 * BF3C 00, BF43 00, and GetEID's BF3E 03 5C 01 5A. */
rsp_err rsp_es10_empty_request(uint32_t tag, rsp_buf *out);
rsp_err rsp_es10_empty_request_check(const uint8_t *p, size_t len, uint32_t tag, rsp_diag *diag);

/* ---- es10_info.c: GetEID, challenge, EUICCInfo1/2, configured addresses ---- */

rsp_err rsp_es10_eid_response_encode(const uint8_t eid[16], rsp_buf *out);
rsp_err rsp_es10_eid_response_decode(const uint8_t *p, size_t len, uint8_t eid[16], rsp_diag *diag);
rsp_err rsp_es10_challenge_response_encode(const uint8_t c[RSP_ES10_CHALLENGE_LEN], rsp_buf *out);
rsp_err rsp_es10_challenge_response_decode(const uint8_t *p, size_t len, uint8_t c[RSP_ES10_CHALLENGE_LEN],
                                           rsp_diag *diag);

typedef struct rsp_es10_ci_list {
    rsp_bytes ski[RSP_ES10_MAX_CI]; /* SubjectKeyIdentifier values (20 bytes in practice) */
    size_t n;
} rsp_es10_ci_list;

typedef struct rsp_es10_info1 {
    uint8_t svn[3];
    rsp_es10_ci_list verification, signing;
} rsp_es10_info1;

rsp_err rsp_es10_info1_encode(const rsp_es10_info1 *in, rsp_buf *out);
rsp_err rsp_es10_info1_decode(const uint8_t *p, size_t len, rsp_es10_info1 *out, rsp_diag *diag);

typedef struct rsp_es10_info2 {
    uint8_t profile_version[3], svn[3], firmware_version[3];
    rsp_bytes ext_card_resource;   /* OCTET STRING content: TLVs 81 apps, 82 free NVM, 83 free RAM */
    rsp_bytes uicc_capability;     /* BIT STRING content, unused-bits byte first */
    bool has_ts102241_version, has_gp_version;
    uint8_t ts102241_version[3], gp_version[3];
    rsp_bytes rsp_capability;      /* BIT STRING content */
    rsp_es10_ci_list verification, signing;
    int euicc_category;            /* -1: absent */
    rsp_bytes forbidden_ppr;       /* BIT STRING content; len 0: absent */
    uint8_t pp_version[3];
    rsp_bytes sas_accreditation;   /* UTF8String */
    rsp_bytes certification_data;  /* AC content; len 0: absent */
} rsp_es10_info2;

rsp_err rsp_es10_info2_encode(const rsp_es10_info2 *in, rsp_buf *out);
rsp_err rsp_es10_info2_decode(const uint8_t *p, size_t len, rsp_es10_info2 *out, rsp_diag *diag);

/* ---- es10_auth.c: AuthenticateServer and PrepareDownload (ES10b) ---- */

typedef struct rsp_es10_server_signed1 {
    rsp_bytes raw;                 /* the whole 30 TLV: what serverSignature1 covers */
    rsp_bytes transaction_id, euicc_challenge, server_address, server_challenge;
} rsp_es10_server_signed1;

rsp_err rsp_es10_server_signed1_encode(const rsp_es10_server_signed1 *in, rsp_buf *out);
rsp_err rsp_es10_server_signed1_decode(const uint8_t *p, size_t len, rsp_es10_server_signed1 *out, rsp_diag *diag);

/* CtxParams1 (A0): matchingId and deviceInfo, the fields the eUICC copies into euiccSigned1. */
typedef struct rsp_es10_ctx_params1 {
    rsp_bytes raw;                 /* the whole A0 TLV */
    bool has_matching_id;
    rsp_bytes matching_id;         /* UTF8String */
    rsp_bytes tac;                 /* 4 bytes (8 accepted: older module) */
    rsp_bytes device_capabilities; /* A1 content */
    rsp_bytes imei;                /* len 0: absent */
} rsp_es10_ctx_params1;

typedef struct rsp_es10_auth_server_req {
    rsp_es10_server_signed1 signed1;
    rsp_bytes server_signature1;   /* 64 bytes */
    rsp_bytes ci_pkid;             /* euiccCiPKIdToBeUsed: the SKI */
    rsp_bytes server_certificate;  /* CERT.DPauth DER (the whole 30 TLV) */
    rsp_es10_ctx_params1 ctx;
} rsp_es10_auth_server_req;

/* Encodes from the raw pieces (signed1.raw, ctx.raw, certificate DER) plus signature and ci_pkid. */
rsp_err rsp_es10_auth_server_req_encode(const rsp_es10_auth_server_req *in, rsp_buf *out);
rsp_err rsp_es10_auth_server_req_decode(const uint8_t *p, size_t len, rsp_es10_auth_server_req *out,
                                        rsp_diag *diag);

typedef enum rsp_es10_auth_error {
    RSP_ES10_AUTH_INVALID_CERTIFICATE = 1,
    RSP_ES10_AUTH_INVALID_SIGNATURE = 2,
    RSP_ES10_AUTH_UNSUPPORTED_CURVE = 3,
    RSP_ES10_AUTH_NO_SESSION_CONTEXT = 4,
    RSP_ES10_AUTH_INVALID_OID = 5,
    RSP_ES10_AUTH_CHALLENGE_MISMATCH = 6,
    RSP_ES10_AUTH_CI_PK_UNKNOWN = 7,
    RSP_ES10_AUTH_UNDEFINED = 127,
} rsp_es10_auth_error;

/* EuiccSigned1 30{80 tid, 83 serverAddress, 84 serverChallenge, BF22 euiccInfo2, A0 ctxParams1}. */
typedef struct rsp_es10_euicc_signed1 {
    rsp_bytes raw;
    rsp_bytes transaction_id, server_address, server_challenge;
    rsp_bytes euicc_info2;         /* the whole BF22 TLV */
    rsp_bytes ctx_params1;         /* the whole A0 TLV */
} rsp_es10_euicc_signed1;

rsp_err rsp_es10_euicc_signed1_encode(const rsp_es10_euicc_signed1 *in, rsp_buf *out);
rsp_err rsp_es10_euicc_signed1_decode(const uint8_t *p, size_t len, rsp_es10_euicc_signed1 *out, rsp_diag *diag);

/* AuthenticateServerResponse: ok (A0) or error (A1). */
typedef struct rsp_es10_auth_server_resp {
    bool ok;
    rsp_es10_euicc_signed1 signed1;
    rsp_bytes euicc_signature1, cert_euicc, cert_eum;
    rsp_bytes transaction_id;      /* error form */
    int error;                     /* rsp_es10_auth_error; unknown values decode as 127 */
} rsp_es10_auth_server_resp;

rsp_err rsp_es10_auth_server_resp_encode(const rsp_es10_auth_server_resp *in, rsp_buf *out);
rsp_err rsp_es10_auth_server_resp_decode(const uint8_t *p, size_t len, rsp_es10_auth_server_resp *out,
                                         rsp_diag *diag);

typedef struct rsp_es10_smdp_signed2 {
    rsp_bytes raw;
    rsp_bytes transaction_id;
    bool cc_required;
    rsp_bytes bpp_euicc_otpk;      /* len 0: absent */
} rsp_es10_smdp_signed2;

rsp_err rsp_es10_smdp_signed2_encode(const rsp_es10_smdp_signed2 *in, rsp_buf *out);

typedef struct rsp_es10_prepare_req {
    rsp_es10_smdp_signed2 signed2;
    rsp_bytes smdp_signature2;
    rsp_bytes hash_cc;             /* 32 bytes; len 0: absent */
    rsp_bytes cert_dppb;
} rsp_es10_prepare_req;

rsp_err rsp_es10_prepare_req_encode(const rsp_es10_prepare_req *in, rsp_buf *out);
rsp_err rsp_es10_prepare_req_decode(const uint8_t *p, size_t len, rsp_es10_prepare_req *out, rsp_diag *diag);

typedef enum rsp_es10_download_error {
    RSP_ES10_DL_INVALID_CERTIFICATE = 1,
    RSP_ES10_DL_INVALID_SIGNATURE = 2,
    RSP_ES10_DL_UNSUPPORTED_CURVE = 3,
    RSP_ES10_DL_NO_SESSION_CONTEXT = 4,
    RSP_ES10_DL_INVALID_TRANSACTION_ID = 5,
    RSP_ES10_DL_UNDEFINED = 127,
} rsp_es10_download_error;

typedef struct rsp_es10_prepare_resp {
    bool ok;
    rsp_bytes signed2_raw;         /* EUICCSigned2, the whole 30 TLV */
    rsp_bytes transaction_id, euicc_otpk, hash_cc; /* of EUICCSigned2 (hash_cc len 0: absent); tid also error form */
    rsp_bytes euicc_signature2;
    int error;
} rsp_es10_prepare_resp;

/* Encodes EUICCSigned2 from transaction_id, euicc_otpk, hash_cc (signed2_raw is ignored) into
 * signed2 (appended), for the caller to sign. */
rsp_err rsp_es10_euicc_signed2_encode(const rsp_es10_prepare_resp *in, rsp_buf *signed2);
/* The answer from the raw EUICCSigned2 and the signature (ok) or the error. */
rsp_err rsp_es10_prepare_resp_encode(const rsp_es10_prepare_resp *in, rsp_buf *out);
rsp_err rsp_es10_prepare_resp_decode(const uint8_t *p, size_t len, rsp_es10_prepare_resp *out, rsp_diag *diag);

/* ---- es10_notif.c: notifications and the ProfileInstallationResult ---- */

/* NotificationEvent bits (BIT STRING, bit 0 first). */
enum {
    RSP_ES10_EVENT_INSTALL = 1u << 0,
    RSP_ES10_EVENT_ENABLE = 1u << 1,
    RSP_ES10_EVENT_DISABLE = 1u << 2,
    RSP_ES10_EVENT_DELETE = 1u << 3,
};

typedef struct rsp_es10_notif_meta {
    rsp_bytes raw;                 /* the whole BF2F TLV (what euiccNotificationSignature covers) */
    uint32_t seq;
    unsigned events;               /* RSP_ES10_EVENT_* bits */
    rsp_bytes address;             /* UTF8String */
    rsp_bytes iccid;               /* 10 bytes; len 0: absent */
} rsp_es10_notif_meta;

rsp_err rsp_es10_notif_meta_encode(const rsp_es10_notif_meta *in, rsp_buf *out);
rsp_err rsp_es10_notif_meta_decode(const uint8_t *p, size_t len, rsp_es10_notif_meta *out, rsp_diag *diag);

typedef struct rsp_es10_pir {
    rsp_bytes raw;                 /* the whole BF37 */
    rsp_bytes data_raw;            /* the whole BF27: what euiccSignPIR covers */
    rsp_bytes transaction_id;
    rsp_es10_notif_meta meta;
    rsp_bytes smdp_oid;            /* OBJECT IDENTIFIER content; len 0: absent (older module) */
    bool success;
    rsp_bytes isdp_aid, sima_response; /* success; sima_response also in an error (len 0: absent) */
    int bpp_command_id, error_reason;  /* error */
    rsp_bytes signature;           /* euiccSignPIR, 64 bytes */
} rsp_es10_pir;

/* ProfileInstallationResultData (BF27) from the fields (raw pieces ignored), for the caller to sign. */
rsp_err rsp_es10_pir_data_encode(const rsp_es10_pir *in, rsp_buf *out);
/* BF37 { data (BF27 DER as given), 5F37 signature }. */
rsp_err rsp_es10_pir_encode(const uint8_t *data, size_t data_len, const uint8_t sig[RSP_ES10_SIG_LEN], rsp_buf *out);
rsp_err rsp_es10_pir_decode(const uint8_t *p, size_t len, rsp_es10_pir *out, rsp_diag *diag);

/* A PendingNotification: a PIR (BF37) or an OtherSignedNotification (30). */
typedef struct rsp_es10_pending {
    bool is_pir;
    rsp_es10_pir pir;
    rsp_es10_notif_meta meta;      /* the other form: tbsOtherNotification */
    rsp_bytes raw, signature, cert_euicc, cert_eum;
} rsp_es10_pending;

rsp_err rsp_es10_pending_decode(const uint8_t *p, size_t len, rsp_es10_pending *out, rsp_diag *diag);
/* OtherSignedNotification 30{BF2F meta (DER as given), 5F37 sig, 30 CERT.EUICC, 30 CERT.EUM}. */
rsp_err rsp_es10_other_notif_encode(const uint8_t *meta, size_t meta_len, const uint8_t sig[RSP_ES10_SIG_LEN],
                                    const uint8_t *cert_euicc, size_t cert_euicc_len, const uint8_t *cert_eum,
                                    size_t cert_eum_len, rsp_buf *out);

/* The list of RetrieveNotificationsList (BF2B) or ListNotification (BF28): A0 { item... } or 81 error. */
typedef struct rsp_es10_notif_list {
    bool ok;
    int error;
    size_t n;
    rsp_es10_pending items[RSP_ES10_MAX_ITEMS]; /* BF2B */
    rsp_es10_notif_meta metas[RSP_ES10_MAX_ITEMS]; /* BF28 */
} rsp_es10_notif_list;

/* p is the whole BF2B or BF28 answer; or, with tag 0, a bare A0 list of pending notifications. */
rsp_err rsp_es10_notif_list_decode(const uint8_t *p, size_t len, uint32_t tag, rsp_es10_notif_list *out,
                                   rsp_diag *diag);

/* ---- es10_mgmt.c: profiles (ES10c) and simple results ---- */

typedef enum rsp_es10_select {
    RSP_ES10_BY_AID = 0x4F,
    RSP_ES10_BY_ICCID = 0x5A,
    RSP_ES10_BY_CLASS = 0x95,
} rsp_es10_select;

/* Enable (BF31), Disable (BF32): A0{4F|5A}, 81 refreshFlag. Delete (BF33): 4F|5A alone. */
typedef struct rsp_es10_profile_req {
    uint32_t tag;
    rsp_es10_select by;
    rsp_bytes id;                  /* AID 5..16 bytes or ICCID 10 bytes */
    bool refresh;
} rsp_es10_profile_req;

rsp_err rsp_es10_profile_req_encode(const rsp_es10_profile_req *in, rsp_buf *out);
rsp_err rsp_es10_profile_req_decode(const uint8_t *p, size_t len, rsp_es10_profile_req *out, rsp_diag *diag);

/* Answers of the form T{80 INTEGER} (enable, disable, delete, nickname, memory reset, remove
 * notification, set default address) and, with code_tag 81, T{81 INTEGER} errors. */
rsp_err rsp_es10_result_encode(uint32_t tag, int result, rsp_buf *out);
rsp_err rsp_es10_result_decode(const uint8_t *p, size_t len, uint32_t tag, int *result, rsp_diag *diag);

typedef struct rsp_es10_profile_info {
    rsp_bytes iccid, isdp_aid;
    int state;                     /* 0 disabled, 1 enabled, -1 absent */
    rsp_bytes nickname, spn, name, icon;
    int icon_type, profile_class;  /* -1: absent */
    rsp_bytes notif_config, owner, dp_proprietary, ppr; /* raw contents; len 0: absent */
} rsp_es10_profile_info;

rsp_err rsp_es10_profile_info_encode(const rsp_es10_profile_info *in, rsp_buf *out);

typedef struct rsp_es10_profiles {
    bool ok;
    int error;
    size_t n;
    rsp_es10_profile_info items[RSP_ES10_MAX_ITEMS];
} rsp_es10_profiles;

/* GetProfilesInfo answer BF2D{A0{E3...}} or BF2D{81 error}. */
rsp_err rsp_es10_profiles_encode(const rsp_es10_profile_info *items, size_t n, rsp_buf *out);
rsp_err rsp_es10_profiles_decode(const uint8_t *p, size_t len, rsp_es10_profiles *out, rsp_diag *diag);

/* ---- es10_misc.c: the remaining ES10a/c requests of the notes' table ---- */

/* GetProfilesInfo request BF2D{[A0{4F aid | 5A iccid | 95 class}], [5C tagList]}. */
typedef struct rsp_es10_profiles_req {
    bool has_search;
    rsp_es10_select by;
    rsp_bytes value;               /* AID 5..16, ICCID 10, or the class INTEGER content */
    rsp_bytes tag_list;            /* len 0: absent (all tags) */
} rsp_es10_profiles_req;

rsp_err rsp_es10_profiles_req_encode(const rsp_es10_profiles_req *in, rsp_buf *out);
rsp_err rsp_es10_profiles_req_decode(const uint8_t *p, size_t len, rsp_es10_profiles_req *out, rsp_diag *diag);

/* SetNickname BF29{5A iccid, 90 nickname}; the nickname tag 8F (pysim) is accepted on decode. */
rsp_err rsp_es10_nickname_req_encode(rsp_bytes iccid, rsp_bytes nickname, rsp_buf *out);
rsp_err rsp_es10_nickname_req_decode(const uint8_t *p, size_t len, rsp_bytes *iccid, rsp_bytes *nickname,
                                     rsp_diag *diag);

/* eUICCMemoryReset BF34{82 BIT STRING}: bits deleteOperationalProfiles (0), deleteFieldLoadedTestProfiles
 * (1), resetDefaultSmdpAddress (2), as bit n = 1u << n. */
rsp_err rsp_es10_memory_reset_req_encode(unsigned bits, rsp_buf *out);
rsp_err rsp_es10_memory_reset_req_decode(const uint8_t *p, size_t len, unsigned *bits, rsp_diag *diag);

/* GetEuiccConfiguredAddresses answer BF3C{80 defaultDpAddress?, 81 rootDsAddress}, and
 * SetDefaultDpAddress request BF3F{80 address}. */
rsp_err rsp_es10_addresses_encode(rsp_bytes default_dp, rsp_bytes root_ds, rsp_buf *out);
rsp_err rsp_es10_addresses_decode(const uint8_t *p, size_t len, rsp_bytes *default_dp, rsp_bytes *root_ds,
                                  rsp_diag *diag);
rsp_err rsp_es10_set_default_dp_encode(rsp_bytes address, rsp_buf *out);
rsp_err rsp_es10_set_default_dp_decode(const uint8_t *p, size_t len, rsp_bytes *address, rsp_diag *diag);

/* ListNotification request BF28{[81 NotificationEvent]}: events 0 when absent (all). */
rsp_err rsp_es10_list_notif_req_encode(unsigned events, rsp_buf *out);
rsp_err rsp_es10_list_notif_req_decode(const uint8_t *p, size_t len, unsigned *events, rsp_diag *diag);
/* RetrieveNotificationsList request BF2B{[A0{80 seqNumber | 81 NotificationEvent}]}. */
typedef struct rsp_es10_retrieve_req {
    bool has_seq, has_events;      /* neither: all */
    uint32_t seq;
    unsigned events;
} rsp_es10_retrieve_req;
rsp_err rsp_es10_retrieve_req_encode(const rsp_es10_retrieve_req *in, rsp_buf *out);
rsp_err rsp_es10_retrieve_req_decode(const uint8_t *p, size_t len, rsp_es10_retrieve_req *out, rsp_diag *diag);
/* RemoveNotificationFromList request BF30{80 seqNumber}. */
rsp_err rsp_es10_remove_notif_req_encode(uint32_t seq, rsp_buf *out);
rsp_err rsp_es10_remove_notif_req_decode(const uint8_t *p, size_t len, uint32_t *seq, rsp_diag *diag);

/* GetRAT answer BF43{A0{30{80 pprIds, A1{30 OperatorId{80 mccMnc(3), 81 gid1?, 82 gid2?}...}, 82 pprFlags}...}}.
 * OperatorIds and flags are kept raw (contents). */
typedef struct rsp_es10_rat_rule {
    unsigned ppr;                  /* RSP_ES10_PPR* bits the rule allows */
    rsp_bytes operators;           /* A1 content: 30{80 mccMnc ...}... */
    rsp_bytes flags;               /* pprFlags BIT STRING content: consentRequired(0) */
} rsp_es10_rat_rule;
rsp_err rsp_es10_rat_encode(const rsp_es10_rat_rule *rules, size_t n, rsp_buf *out);
rsp_err rsp_es10_rat_decode(const uint8_t *p, size_t len, rsp_es10_rat_rule *rules, size_t max, size_t *n,
                            rsp_diag *diag);

/* LoadCRL (ES10b) request BF35{A0 crl}: the CertificateList with its SEQUENCE tag replaced by A0
 * (implicit tagging). encode takes the CRL's DER (30 ...); decode gives the CRL back as DER into crl
 * (appended: the 30 header rebuilt over the received content). */
rsp_err rsp_es10_load_crl_req_encode(const uint8_t *crl_der, size_t len, rsp_buf *out);
rsp_err rsp_es10_load_crl_req_decode(const uint8_t *p, size_t len, rsp_buf *crl_der, rsp_diag *diag);
/* LoadCRLResponse: BF35{A0{}} (ok, no missingParts) or BF35{81 code}. Codes [G, module only]: */
enum {
    RSP_ES10_CRL_INVALID_SIGNATURE = 1,
    RSP_ES10_CRL_INVALID_FORMAT = 2,
    RSP_ES10_CRL_NO_MEMORY = 3,
    RSP_ES10_CRL_KEY_NOT_FOUND = 4,
    RSP_ES10_CRL_FRESHER_LOADED = 5,
    RSP_ES10_CRL_UNDEFINED = 127,
};
/* error 0: the ok form. decode: *error 0 for ok (missingParts are skipped), else the code (unknown
 * values read as 127). */
rsp_err rsp_es10_load_crl_resp_encode(int error, rsp_buf *out);
rsp_err rsp_es10_load_crl_resp_decode(const uint8_t *p, size_t len, int *error, rsp_diag *diag);

/* ---- es10_cancel.c: CancelSession (ES10b) ---- */

typedef enum rsp_es10_cancel_reason {
    RSP_ES10_CANCEL_END_USER_REJECTION = 0,
    RSP_ES10_CANCEL_POSTPONED = 1,
    RSP_ES10_CANCEL_TIMEOUT = 2,
    RSP_ES10_CANCEL_PPR_NOT_ALLOWED = 3,
    RSP_ES10_CANCEL_METADATA_MISMATCH = 4,
    RSP_ES10_CANCEL_LOAD_BPP_ERROR = 5,
    RSP_ES10_CANCEL_UNDEFINED = 127,
} rsp_es10_cancel_reason;

/* BF41{80 transactionId, 81 reason}. */
rsp_err rsp_es10_cancel_req_encode(rsp_bytes tid, int reason, rsp_buf *out);
rsp_err rsp_es10_cancel_req_decode(const uint8_t *p, size_t len, rsp_bytes *tid, int *reason, rsp_diag *diag);

typedef struct rsp_es10_cancel_resp {
    bool ok;
    int error;                     /* 5 invalidTransactionId, 127 */
    rsp_bytes signed_raw;          /* euiccCancelSessionSigned, the whole 30 TLV: what the signature covers */
    rsp_bytes transaction_id, smdp_oid; /* smdpOid: OBJECT IDENTIFIER content */
    int reason;
    rsp_bytes signature;
} rsp_es10_cancel_resp;

/* euiccCancelSessionSigned 30{80 tid, 81 smdpOid, 82 reason}, for the caller to sign. */
rsp_err rsp_es10_cancel_signed_encode(rsp_bytes tid, rsp_bytes smdp_oid, int reason, rsp_buf *out);
/* ok: BF41{A0{signed_raw, 5F37 signature}}; else BF41{81 error}. */
rsp_err rsp_es10_cancel_resp_encode(const rsp_es10_cancel_resp *in, rsp_buf *out);
rsp_err rsp_es10_cancel_resp_decode(const uint8_t *p, size_t len, rsp_es10_cancel_resp *out, rsp_diag *diag);

/* ---- es10_bpp.c: the pieces of a BoundProfilePackage (ES8+ inside LoadBoundProfilePackage) ----
 * SGP22.md §"Bound profile package" and §"ASN.1 tag maps". The server side builds them (then protects
 * them with include/rsp/bsp.h), the card decodes them. */

/* InitialiseSecureChannelRequest BF23{82 remoteOpId, 80 tid, A6{80 keyType, 81 keyLen, 84 hostId},
 * 5F49 otPK.DP, 5F37 smdpSign}. smdpSign covers tbs || 5F49 41 <otPK.EUICC>, tbs being the fields
 * from 82 to the end of the 5F49 otPK.DP TLV as received. */
typedef struct rsp_es10_init_sc {
    rsp_bytes raw;                 /* the whole BF23 */
    rsp_bytes tbs;                 /* 82 .. 5F49 otPK.DP, as received */
    int remote_op;                 /* 1 installBoundProfilePackage */
    rsp_bytes transaction_id;
    int key_type, key_len;         /* CRT 80 (88: AES), 81 (10: 16 bytes) */
    rsp_bytes host_id;             /* 1..16 bytes */
    rsp_bytes smdp_otpk;           /* 65 bytes */
    rsp_bytes smdp_sign;           /* 64 bytes */
} rsp_es10_init_sc;

/* Appends the signed body (82, 80, A6, 5F49: tbs) from remote_op, transaction_id, key_type, key_len,
 * host_id, smdp_otpk. */
rsp_err rsp_es10_init_sc_tbs_encode(const rsp_es10_init_sc *in, rsp_buf *out);
/* What smdpSign covers: tbs || 5F49 41 <euicc_otpk>, into out (appended). */
rsp_err rsp_es10_init_sc_signed_data(rsp_bytes tbs, const uint8_t euicc_otpk[RSP_ES10_POINT_LEN], rsp_buf *out);
/* BF23{tbs, 5F37 sig}. */
rsp_err rsp_es10_init_sc_encode(rsp_bytes tbs, const uint8_t sig[RSP_ES10_SIG_LEN], rsp_buf *out);
rsp_err rsp_es10_init_sc_decode(const uint8_t *p, size_t len, rsp_es10_init_sc *out, rsp_diag *diag);

/* ConfigureISDPRequest BF24{[B8{80 dpOid}]}: dp_oid is the OID content, len 0 when absent. */
rsp_err rsp_es10_configure_isdp_encode(rsp_bytes dp_oid, rsp_buf *out);
rsp_err rsp_es10_configure_isdp_decode(const uint8_t *p, size_t len, rsp_bytes *dp_oid, rsp_diag *diag);

/* StoreMetadataRequest BF25 (also ES9+ profileMetadata). Profile classes: */
enum { RSP_ES10_CLASS_TEST = 0, RSP_ES10_CLASS_PROVISIONING = 1, RSP_ES10_CLASS_OPERATIONAL = 2 };
/* PprIds bits (BIT STRING, bit 0 first): */
enum { RSP_ES10_PPR_UPDATE_CONTROL = 1u << 0, RSP_ES10_PPR1 = 1u << 1, RSP_ES10_PPR2 = 1u << 2 };

typedef struct rsp_es10_metadata {
    rsp_bytes raw;                 /* the whole BF25 */
    rsp_bytes iccid;               /* 10 bytes, EF.ICCID coding */
    rsp_bytes spn, name;           /* UTF8String <= 32, <= 64 */
    int icon_type;                 /* 0 jpg, 1 png; -1 absent */
    rsp_bytes icon;                /* <= 1024 bytes; len 0 absent */
    int profile_class;             /* RSP_ES10_CLASS_*; absent reads as operational, other values 3..127 as
                                    * they are (decode); -1 or 2 leaves it out (encode) */
    rsp_bytes notif_config;        /* B6 content: 30{80 events, 81 address}...; len 0 absent */
    rsp_bytes owner;               /* B7 content; len 0 absent */
    bool has_ppr;
    unsigned ppr;                  /* RSP_ES10_PPR* bits */
} rsp_es10_metadata;

rsp_err rsp_es10_metadata_encode(const rsp_es10_metadata *in, rsp_buf *out);
rsp_err rsp_es10_metadata_decode(const uint8_t *p, size_t len, rsp_es10_metadata *out, rsp_diag *diag);
/* PprIds BIT STRING content (unused-bits byte first) <-> bits. */
rsp_err rsp_es10_ppr_encode(unsigned bits, uint8_t out[2], size_t *len);
rsp_err rsp_es10_ppr_decode(rsp_bytes v, unsigned *bits, rsp_diag *diag);

/* One entry of notificationConfigurationInfo: the events it asks for and where to send them. */
typedef struct rsp_es10_notif_target {
    unsigned events;               /* RSP_ES10_EVENT_* */
    rsp_bytes address;             /* UTF8String (an FQDN) */
} rsp_es10_notif_target;

/* The B6 content: up to max entries into out, *n how many. */
rsp_err rsp_es10_notif_config_decode(rsp_bytes content, rsp_es10_notif_target *out, size_t max, size_t *n,
                                     rsp_diag *diag);
rsp_err rsp_es10_notif_config_encode(const rsp_es10_notif_target *in, size_t n, rsp_buf *content);

/* ReplaceSessionKeysRequest BF26{80 initialMacChainingValue, 81 ppkEnc, 82 ppkCmac}, 16 bytes each. */
rsp_err rsp_es10_rsk_encode(const uint8_t mcv[16], const uint8_t enc[16], const uint8_t mac[16], rsp_buf *out);
rsp_err rsp_es10_rsk_decode(const uint8_t *p, size_t len, uint8_t mcv[16], uint8_t enc[16], uint8_t mac[16],
                            rsp_diag *diag);

/* The ES10 commands an LPA sends for one BPP, in SGP22.md's order: BF36 header + BF23, the whole A0,
 * the A1 header, each 88 TLV, the whole A2 (when present), the A3 header, each 86 TLV. pieces[] point
 * into bpp (max entries; RSP_ERR_RANGE beyond). A piece's bytes are one complete STORE DATA chain. */
rsp_err rsp_es10_bpp_split(const uint8_t *bpp, size_t len, rsp_bytes *pieces, size_t max, size_t *n, rsp_diag *diag);

/* ---- es10_transport.c: the card side of the ES10 transport (SGP22.md §"ES10 transport") ----
 * Logical channels 0..3 (MANAGE CHANNEL), SELECT of the ISD-R with its FCI, TERMINAL CAPABILITY,
 * STORE DATA chaining (P1 11 more / 91 last, P2 the block number from 00, any block up to 255 bytes,
 * 9000 with no data to each non-final block), answers longer than Le (or with no Le) by 61xx and
 * GET RESPONSE (CLA 0x or 8x). The complete ES10 command of each chain goes to the handler. */

#define RSP_ES10_CHANNELS 4
#define RSP_ES10_MAX_COMMAND 32768 /* bytes of one STORE DATA chain (a BPP piece is ~1 KB) */

extern const uint8_t rsp_es10_isdr_aid[16]; /* A0000005591010FFFFFFFF8900000100 */

/* Handles one complete ES10 command (req, the reassembled STORE DATA data) and appends its answer
 * TLV to resp (nothing for a BPP piece that is not the last). An error with resp left empty is
 * answered SW 6A80; function errors belong inside the answer TLV with SW 9000. */
typedef rsp_err (*rsp_es10_handler)(void *ctx, const uint8_t *req, size_t len, rsp_buf *resp);

typedef struct rsp_es10_channel {
    bool open, isdr_selected;
    rsp_buf command;          /* STORE DATA blocks so far */
    unsigned next_block;      /* P2 expected next */
    rsp_buf pending;          /* answer bytes not yet fetched by GET RESPONSE */
    size_t pending_off;
} rsp_es10_channel;

typedef struct rsp_es10_transport {
    rsp_es10_channel ch[RSP_ES10_CHANNELS];
    uint8_t svn[3];           /* in the ISD-R FCI */
    rsp_es10_handler handler;
    void *ctx;
    bool terminal_capability; /* a TERMINAL CAPABILITY was received */
} rsp_es10_transport;

/* Channel 0 is open; nothing is selected. The transport owns its buffers: rsp_es10_transport_free. */
void rsp_es10_transport_init(rsp_es10_transport *t, const uint8_t svn[3], rsp_es10_handler h, void *ctx);
void rsp_es10_transport_free(rsp_es10_transport *t);
/* A card reset: channels closed, selections and partial commands dropped. */
void rsp_es10_transport_reset(rsp_es10_transport *t);
/* One C-APDU in, its R-APDU (data || SW) appended to rapdu. Only an internal failure (memory) is an
 * error; every fault of the terminal is answered with its status word. */
rsp_err rsp_es10_transport_apdu(rsp_es10_transport *t, const uint8_t *capdu, size_t len, rsp_buf *rapdu);

/* ---- es10_card.c (+ c22_bpp.c, c22_mgmt.c): the consumer eUICC's ES10 functions ----
 * GetEID, GetEuiccChallenge, EUICCInfo1/2, AuthenticateServer, PrepareDownload and CancelSession, with the
 * checks of SGP22.md §"The eUICC checks"; LoadBoundProfilePackage (c22_bpp.c) and the ES10a/c functions,
 * notifications, LoadCRL and GetRAT (c22_mgmt.c) over the card's NVM. The session (challenge,
 * transactionId, the signatures it chains, the one-time key, a BPP being loaded) is volatile, as on a
 * card: a reset or a new challenge drops it. */

typedef struct rsp_es10_card_config {
    uint8_t eid[16];
    const rsp_eckey *sk_euicc;     /* SK.EUICC: the card keeps a copy of the private scalar */
    rsp_bytes cert_euicc, cert_eum;/* DER, copied */
    rsp_bytes cis[RSP_ES10_MAX_CI];/* trusted CI certificates (DER, copied): both EUICCInfo lists */
    size_t n_ci;
    uint8_t svn[3];
    time_t now;                    /* certificate validity checked at this time; 0: the system clock */
    const char *nvm_dir;           /* the card's NVM: nvm_dir/card.db; NULL: in memory (lost at free) */
} rsp_es10_card_config;

typedef struct rsp_es10_card rsp_es10_card;

rsp_err rsp_es10_card_new(const rsp_es10_card_config *cfg, rsp_es10_card **out, rsp_diag *diag);
void rsp_es10_card_free(rsp_es10_card *c);
/* Drops the volatile session (a card reset). */
void rsp_es10_card_reset(rsp_es10_card *c);
/* The ES10 dispatcher, an rsp_es10_handler (ctx = the card): one complete request in, its answer out. */
rsp_err rsp_es10_card_handle(void *card, const uint8_t *req, size_t len, rsp_buf *resp);

/* A consumer card's folder, as `rsp eum make --sgp22` writes it: sk_euicc.pem (0600), cert_euicc.der,
 * cert_eum.der, ci_0.der .. ci_7.der (the CIs it trusts). The EID is CERT.EUICC's serialNumber.
 * Loads it into a card (svn 2.2.2). */
rsp_err rsp_es10_card_load(const char *dir, time_t now, rsp_es10_card **out, rsp_diag *diag);

/* ---- c22_slot.c: a consumer card in its slot, durable (the entry point of `rsp euicc attach` and of
 * `rsp lpa`'s direct transport) ----
 * One card folder (as `rsp eum make --sgp22` writes it, see rsp_es10_card_load) is one card: its keys
 * and certificates, and its non-volatile memory `card.db` (SQLite, 0600, created on first open:
 * profiles, notifications, addresses). The ES10 transport, the session and a BPP being loaded are
 * volatile, as on a card: a reset or a close drops them and nothing half-installed stays. Every state
 * change is committed before its answer leaves rsp_es10_card_apdu. One process holds a card at a time
 * (an exclusive lock on `card.lock`): a second open gets RSP_ERR_BUSY. Certificates are checked against
 * the system clock at each command. */

typedef struct rsp_es10_slot rsp_es10_slot;

/* Opens the card folder dir (the card's files must exist; card.db is created when missing). The caller
 * owns *out and closes it with rsp_es10_card_close. Errors: RSP_ERR_NOT_FOUND / FORMAT / VERIFY (the
 * folder's files), RSP_ERR_BUSY (another process holds the card), RSP_ERR_DB; all with diag. */
rsp_err rsp_es10_card_open(const char *dir, rsp_es10_slot **out, rsp_diag *diag);
/* One C-APDU in (any case 1..4 APDU, short lengths), its R-APDU (data || SW1 SW2) appended to rapdu.
 * Every fault of the terminal is an SW, never an error. RSP_OK whenever rapdu got an answer; an error
 * (RSP_ERR_NOMEM, RSP_ERR_DB: the card's memory failed) leaves rapdu holding 6F00 and the state as it
 * was before the command. */
rsp_err rsp_es10_card_apdu(rsp_es10_slot *s, const uint8_t *capdu, size_t len, rsp_buf *rapdu);
/* A card reset (power off/on, warm reset): channels, selection, session and a partial BPP dropped. */
void rsp_es10_card_reset_slot(rsp_es10_slot *s);
/* The card's ATR (constant; T=0 and T=1 offered); returns its length (<= 33). */
size_t rsp_es10_card_atr(uint8_t atr[33]);
/* The 16 EID bytes of the card. */
void rsp_es10_card_eid(const rsp_es10_slot *s, uint8_t eid[16]);
/* Closes the card: volatile state dropped, the lock released. NULL is fine. */
void rsp_es10_card_close(rsp_es10_slot *s);

#endif
