/* SM-DS (SGP.22): ES12, the SM-DP+'s RegisterEvent and DeleteEvent, in their JSON binding
 * (../shared/spec/SGP22.md §"SM-DS: ES12 and ES11"). Requests carry the ES2+ request header
 * {"functionRequesterIdentifier","functionCallIdentifier"}; answers the functionExecutionStatus header
 * of ES9+ (rsp_es9p_header, encoded and decoded by the ES9+ codec's own code in lib/es). The event
 * records, ES11 and the daemon are not here yet (docs/modules/smds.md says what is left). */
#ifndef RSP_SMDS_H
#define RSP_SMDS_H

#include <stdbool.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/es9p.h"

typedef enum rsp_smds_es12_func {
    RSP_SMDS_REGISTER_EVENT,
    RSP_SMDS_DELETE_EVENT,
    RSP_SMDS_ES12_FUNC_N
} rsp_smds_es12_func;

/* "/gsma/rsp2/es12/registerEvent", "/gsma/rsp2/es12/deleteEvent" (static). */
const char *rsp_smds_es12_path(rsp_smds_es12_func f);
/* The function of a request target (a query string is ignored); RSP_ERR_NOT_FOUND otherwise. */
rsp_err rsp_smds_es12_path_parse(const char *target, rsp_smds_es12_func *f, rsp_diag *diag);

#define RSP_SMDS_MAX_EVENT_ID 64     /* the LPA uses it as an ES9+ matchingId (rsp_es9p_matching_id_ok) */

/* One request (response = false) or answer. The answer is the header alone in both functions. */
typedef struct rsp_smds_es12_msg {
    rsp_smds_es12_func func;
    bool response;
    rsp_es9p_header header;                           /* answers */
    char requester[65], call_id[65];                  /* request header, 1..64 characters each */
    char eid[33];                                     /* both requests: 32 digits, mod 97 checked */
    char event_id[RSP_SMDS_MAX_EVENT_ID + 1];         /* both requests */
    char rsp_server_address[RSP_ES9P_MAX_ADDRESS + 1];/* registerEvent: the SM-DP+'s FQDN (host[:port]) */
    bool forwarding_indicator;                        /* registerEvent: cascade to a Root SM-DS */
} rsp_smds_es12_msg;

void rsp_smds_es12_msg_init(rsp_smds_es12_msg *m, rsp_smds_es12_func f, bool response);
/* Appends the compact JSON body, "header" first. RSP_ERR_INVAL when a request field is missing or not
 * what it must be (diag names it). */
rsp_err rsp_smds_es12_encode(const rsp_smds_es12_msg *m, rsp_buf *out, rsp_diag *diag);
/* Decodes a body (outside input). Unknown keys are ignored; duplicate keys, a wrong type, a missing
 * field, an EID that fails its check digits, an eventId an LPA would refuse or an address that is not
 * a host[:port] are RSP_ERR_FORMAT with diag naming the field. *out is fully reset first. */
rsp_err rsp_smds_es12_decode(rsp_smds_es12_func f, bool response, const uint8_t *json, size_t len,
                             rsp_smds_es12_msg *out, rsp_diag *diag);

#endif
