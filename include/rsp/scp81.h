/* SCP81 framing (GlobalPlatform Amendment B, SGP.02 §SCP81), without sockets:
 * - the trigger parameters sent to the ISD-R in an SCP80 packet (81 { 83 {84, 85, A5, 86, 89 {8A, 8B, 8C}}, B3 }),
 * - the TLS-PSK identity of SGP.02,
 * - the admin-protocol HTTP header rules for both roles (card POSTs, server answers 200 with a script or
 *   204 to end).
 * Parsed structures borrow from the caller's input unless said otherwise. */
#ifndef RSP_SCP81_H
#define RSP_SCP81_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

#define RSP_SCP81_PROTOCOL "globalplatform-remote-admin/1.0"
#define RSP_SCP81_CT_SCRIPT "application/vnd.globalplatform.card-content-mgt;version=1.0"
#define RSP_SCP81_CT_RESPONSE "application/vnd.globalplatform.card-content-mgt-response;version=1.0"

/* Trigger parameters. Empty views are absent TLVs. */
typedef struct rsp_scp81_trigger {
    bool use_default;       /* encodes/decodes as 81 00: the card's default configuration */
    rsp_bytes conn;         /* 84: OPEN CHANNEL TLVs (35 bearer, 39 buffer, 47 APN, 3C, 3E), opaque */
    bool has_security;      /* 85 */
    rsp_bytes psk_id;
    uint8_t kvn, kid;
    rsp_bytes ext_security; /* A5, opaque */
    rsp_bytes retry;        /* 86, opaque */
    rsp_bytes host;         /* 89/8A */
    rsp_bytes agent_id;     /* 89/8B */
    rsp_bytes uri;          /* 89/8C */
    rsp_bytes dns;          /* B3, opaque */
} rsp_scp81_trigger;

rsp_err rsp_scp81_trigger_build(const rsp_scp81_trigger *t, rsp_buf *out);
rsp_err rsp_scp81_trigger_parse(const uint8_t *p, size_t len, rsp_scp81_trigger *t, rsp_diag *diag);

/* PSK identity: uppercase hex text of 80 01 02 | 81 10 EID | 4F L AID | 82 01 kid | 83 01 kvn.
 * out gets a NUL-terminated string (outlen >= 2 * (13 + 16 + aidlen) + 1). */
rsp_err rsp_scp81_psk_identity(const uint8_t eid[16], const uint8_t *aid, size_t aidlen, uint8_t kid, uint8_t kvn,
                               char *out, size_t outlen);
rsp_err rsp_scp81_psk_identity_parse(const char *id, uint8_t eid[16], uint8_t aid[16], size_t *aidlen, uint8_t *kid,
                                     uint8_t *kvn, rsp_diag *diag);

typedef enum rsp_scp81_status {
    RSP_SCP81_STATUS_NONE = 0,
    RSP_SCP81_STATUS_OK,
    RSP_SCP81_STATUS_UNKNOWN_APPLICATION,
    RSP_SCP81_STATUS_NOT_A_SECURITY_DOMAIN,
    RSP_SCP81_STATUS_SECURITY_ERROR,
} rsp_scp81_status;

/* "ok", "unknown-application", "not-a-security-domain", "security-error" ("" for NONE). */
const char *rsp_scp81_status_name(rsp_scp81_status s);

/* Card: headers of a POST. The first POST has no body and no script status; later POSTs carry the
 * response to the previous script (content type ...-response, X-Admin-Script-Status). */
typedef struct rsp_scp81_card_req {
    const char *eid;           /* 32 digits */
    const uint8_t *agent_aid;  /* the ISD-R AID: X-Admin-From //aa-id/aid/<RID>/<PIX> */
    size_t agent_aid_len;
    bool has_body;
    rsp_scp81_status status;
    bool resume;               /* X-Admin-Resume: true after an interruption */
} rsp_scp81_card_req;
/* Appends "Name: value\r\n" lines. */
rsp_err rsp_scp81_card_headers(const rsp_scp81_card_req *r, rsp_buf *out);

/* Server: the answer. end selects 204 (no body, session over); otherwise 200 with Next-URI, an
 * optional targeted application and the script content type. *http_status gets 200 or 204. */
typedef struct rsp_scp81_server_resp {
    bool end;
    const char *next_uri;
    const uint8_t *target_aid;
    size_t target_aid_len;
} rsp_scp81_server_resp;
rsp_err rsp_scp81_server_headers(const rsp_scp81_server_resp *r, int *http_status, rsp_buf *out);

/* Either side: what a header block says (copied out; the input need not outlive it). Unknown
 * headers are ignored; names are case-insensitive. */
typedef struct rsp_scp81_msg {
    bool protocol_ok;
    char eid[33];
    uint8_t from_aid[16];
    size_t from_aid_len;
    char next_uri[256];
    uint8_t target_aid[16];
    size_t target_aid_len;
    rsp_scp81_status status;
    bool resume;
    int content;               /* 0 none, 1 script, 2 script response */
} rsp_scp81_msg;
rsp_err rsp_scp81_headers_parse(const char *text, size_t len, rsp_scp81_msg *out, rsp_diag *diag);

#endif
