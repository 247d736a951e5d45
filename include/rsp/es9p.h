/* ES9+ (LPA <-> SM-DP+, SGP.22) in its JSON binding, and activation codes: ../shared/spec/SGP22.md
 * §"ES9+" and §"Procedures". Both halves live here: the LPA encodes requests and decodes answers, the
 * SM-DP+ (lib/smdpp) decodes requests and encodes answers, from one field table (lib/es/es9p.c).
 *
 * The codec is the transport layer only: each binary field is the standard base64 (with padding;
 * whitespace is stripped on input) of one complete DER TLV whose outer tag is checked here
 * (euiccInfo1 BF20, serverSigned1 30, serverSignature1 5F37, ... see the table in es9p.c); what is
 * inside is for the ES10 codecs (include/rsp/es10.h). A decoder never leaves a half-filled message:
 * on failure *out is freed and diag names the JSON field and what was wrong with it (for base64 the
 * character offset, for DER the byte offset). Choices: docs/ENCODINGS.md §"ES9+ and activation codes". */
#ifndef RSP_ES9P_H
#define RSP_ES9P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

typedef enum rsp_es9p_func {
    RSP_ES9P_INITIATE_AUTHENTICATION,
    RSP_ES9P_AUTHENTICATE_CLIENT,
    RSP_ES9P_GET_BOUND_PROFILE_PACKAGE,
    RSP_ES9P_HANDLE_NOTIFICATION,
    RSP_ES9P_CANCEL_SESSION,
    RSP_ES9P_FUNC_N
} rsp_es9p_func;

/* "initiateAuthentication", ... (static). */
const char *rsp_es9p_func_name(rsp_es9p_func f);
/* "/gsma/rsp2/es9plus/initiateAuthentication", ... (static). */
const char *rsp_es9p_path(rsp_es9p_func f);
/* The function of a request target (a query string is ignored). RSP_ERR_NOT_FOUND otherwise. */
rsp_err rsp_es9p_path_parse(const char *target, rsp_es9p_func *f, rsp_diag *diag);

typedef enum rsp_es9p_status {
    RSP_ES9P_SUCCESS,       /* "Executed-Success" */
    RSP_ES9P_WARNING,       /* "Executed-WithWarning" */
    RSP_ES9P_FAILED,        /* "Failed" */
    RSP_ES9P_EXPIRED,       /* "Expired" */
} rsp_es9p_status;

/* header.functionExecutionStatus of an answer. Codes are "" when statusCodeData is absent. */
typedef struct rsp_es9p_header {
    rsp_es9p_status status;
    char subject_code[16], reason_code[16]; /* e.g. "8.8.1", "3.8" */
    char subject_id[64];                     /* subjectIdentifier, "" absent */
    char message[160];                       /* "" absent */
} rsp_es9p_header;

#define RSP_ES9P_MAX_TID_HEX 32   /* transactionId: 1..16 bytes as a hex string */
#define RSP_ES9P_MAX_ADDRESS 255

/* One request (response = false) or answer of one function. Only the fields of that function and
 * direction are encoded or decoded (SGP22.md's table); the others stay empty. Every rsp_buf is owned
 * by the message (rsp_es9p_msg_free). In an answer whose status is Failed or Expired the payload
 * fields are optional (an SM-DP+ leaves them out). */
typedef struct rsp_es9p_msg {
    rsp_es9p_func func;
    bool response;
    rsp_es9p_header header;                           /* answers only */
    char transaction_id[RSP_ES9P_MAX_TID_HEX + 1];    /* hex as sent (echoed verbatim); "" absent */
    char smdp_address[RSP_ES9P_MAX_ADDRESS + 1];      /* initiateAuthentication request */
    /* initiateAuthentication: request, then answer */
    rsp_buf euicc_challenge;                          /* 16 raw bytes (not a TLV) */
    rsp_buf euicc_info1;                              /* BF20 */
    rsp_buf server_signed1;                           /* 30 */
    rsp_buf server_signature1;                        /* 5F37 40 r||s */
    rsp_buf euicc_ci_pkid;                            /* 04 14 SKI */
    rsp_buf server_certificate;                       /* 30: CERT.DPauth */
    /* authenticateClient */
    rsp_buf authenticate_server_response;             /* BF38 */
    rsp_buf profile_metadata;                         /* BF25 */
    rsp_buf smdp_signed2;                             /* 30 */
    rsp_buf smdp_signature2;                          /* 5F37 */
    rsp_buf smdp_certificate;                         /* 30: CERT.DPpb */
    /* getBoundProfilePackage */
    rsp_buf prepare_download_response;                /* BF21 */
    rsp_buf bound_profile_package;                    /* BF36 */
    /* handleNotification */
    rsp_buf pending_notification;                     /* BF37 (PIR) or 30 (other signed notification) */
    /* cancelSession */
    rsp_buf cancel_session_response;                  /* BF41 */
} rsp_es9p_msg;

void rsp_es9p_msg_init(rsp_es9p_msg *m, rsp_es9p_func f, bool response);
void rsp_es9p_msg_free(rsp_es9p_msg *m);
/* An answer that failed: status Failed with subjectCode/reasonCode (and an optional message);
 * clears nothing else: encode leaves the payload out for a failed answer anyway. */
void rsp_es9p_set_failed(rsp_es9p_msg *m, const char *subject, const char *reason, const char *message);

/* Appends the JSON body of m to out (compact, "header" first, then the fields in the table's order).
 * A request carries no header (as LPAs send it). The successful handleNotification answer has no body
 * at all (the SM-DP+ answers HTTP 204): nothing is appended. RSP_ERR_INVAL when a mandatory field is
 * empty or a field is not what its tag says (diag names it). */
rsp_err rsp_es9p_encode(const rsp_es9p_msg *m, rsp_buf *out, rsp_diag *diag);
/* Decodes the JSON body of a request or an answer of f (outside input). Unknown keys are ignored
 * (the binding is extensible; a request "header" is accepted and ignored); duplicate keys, a wrong
 * type, bad base64, a TLV that is not one complete DER TLV of the field's tag, a missing mandatory
 * field are refused with RSP_ERR_FORMAT (RSP_ERR_TAG / RSP_ERR_LENGTH for the DER faults). An
 * empty body decodes as the successful handleNotification answer. *out is initialised here. */
rsp_err rsp_es9p_decode(rsp_es9p_func f, bool response, const uint8_t *json, size_t len, rsp_es9p_msg *out,
                        rsp_diag *diag);

/* Standard base64 with padding (RFC 4648 §4). decode strips ASCII whitespace, refuses anything else
 * outside the alphabet, bad padding and non-zero trailing bits (diag: the character offset); appends
 * to out. */
rsp_err rsp_es9p_b64_encode(const uint8_t *p, size_t len, rsp_buf *out);
rsp_err rsp_es9p_b64_decode(const char *s, size_t len, rsp_buf *out, rsp_diag *diag);

/* transactionId bytes <-> the uppercase hex string of the JSON binding (1..16 bytes). */
rsp_err rsp_es9p_tid_to_hex(const uint8_t *tid, size_t len, char out[RSP_ES9P_MAX_TID_HEX + 1]);
rsp_err rsp_es9p_tid_from_hex(const char *hex, uint8_t out[16], size_t *len, rsp_diag *diag);

/* ---- ES11 (LPA <-> SM-DS), es9p_es11.c ----
 * ES11 is the common mutual authentication of ES9+ (its initiateAuthentication and authenticateClient
 * requests, and the initiateAuthentication answer, are the ES9+ messages above) with another
 * authenticateClient answer: {"header","transactionId","eventEntries":[{"eventId","rspServerAddress"}]}.
 * An SM-DS serves both path families (SGP22.md §SM-DS): /gsma/rsp2/es11/<function> (a vendor SDK) and
 * the ES9+ paths (lpac); the initiateAuthentication request may name the server "smdpAddress" or
 * "smdsAddress" (rsp_es9p_decode accepts either, one of them, into smdp_address). */
#define RSP_ES11_MAX_EVENTS 16   /* per answer; an SM-DS answers the oldest, the rest after they go */

typedef struct rsp_es11_event {
    char event_id[65];                                 /* used by the LPA as an ES9+ matchingId */
    char rsp_server_address[RSP_ES9P_MAX_ADDRESS + 1]; /* the SM-DP+ (or SM-DS) to go to */
} rsp_es11_event;

typedef struct rsp_es11_answer {
    rsp_es9p_header header;
    char transaction_id[RSP_ES9P_MAX_TID_HEX + 1];
    size_t n_events;
    rsp_es11_event events[RSP_ES11_MAX_EVENTS];
} rsp_es11_answer;

/* "/gsma/rsp2/es11/initiateAuthentication", "/gsma/rsp2/es11/authenticateClient"; NULL otherwise. */
const char *rsp_es9p_es11_path(rsp_es9p_func f);
/* A request target of an SM-DS: either family, initiateAuthentication or authenticateClient only
 * (a query string is ignored). RSP_ERR_NOT_FOUND otherwise. */
rsp_err rsp_es9p_es11_path_parse(const char *target, rsp_es9p_func *f, rsp_diag *diag);
/* The authenticateClient answer of ES11. encode appends compact JSON ("header" first; a Failed or
 * Expired answer is the header alone; RSP_ERR_INVAL for an entry decode would refuse). decode (outside
 * input): duplicate keys, a wrong type, a missing transactionId or eventEntries in a successful answer,
 * an eventId an LPA would refuse (rsp_es9p_matching_id_ok), an address that is not 1..255 printable
 * characters, more than RSP_ES11_MAX_EVENTS entries: RSP_ERR_FORMAT, diag naming the field; unknown
 * keys are ignored; *out is reset first and on failure. */
rsp_err rsp_es9p_es11_answer_encode(const rsp_es11_answer *a, rsp_buf *out, rsp_diag *diag);
rsp_err rsp_es9p_es11_answer_decode(const uint8_t *json, size_t len, rsp_es11_answer *out, rsp_diag *diag);

/* ---- activation codes (es9p_ac.c) ----
 * "LPA:1$<SM-DP+ address>$<matchingId>[$<SM-DP+ OID>[$1]]" (SGP22.md §Procedures); the "LPA:" prefix
 * (as in a QR code) is optional on input and always printed. The OID field may be empty ("$$1"); the
 * matchingId may be empty (the LPA then asks the default SM-DP+). Fields hold printable ASCII without
 * '$'; the OID is digits and dots; the last field, when present, must be "1" (confirmation code
 * required). print(parse(s)) == s for every s without a trailing empty field. */
typedef struct rsp_es9p_ac {
    char address[RSP_ES9P_MAX_ADDRESS + 1];
    char matching_id[256];
    char oid[128];                                    /* "" absent */
    bool cc_required;
} rsp_es9p_ac;

rsp_err rsp_es9p_ac_parse(const char *s, size_t len, rsp_es9p_ac *out, rsp_diag *diag);
/* NUL-terminated into out. RSP_ERR_INVAL for fields that parse would refuse, RSP_ERR_OVERFLOW when
 * outlen is too small. */
rsp_err rsp_es9p_ac_print(const rsp_es9p_ac *ac, char *out, size_t outlen);
/* A matchingId an LPA accepts ([A-Za-z0-9-] only, SGP22.md), 1..64 characters. */
bool rsp_es9p_matching_id_ok(const char *mid);

#endif
