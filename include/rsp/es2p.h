/* ES2+ (Operator <-> SM-DP+, SGP.22) in its JSON binding: SGP22.md §"ES2+". Requests carry
 * "header":{"functionRequesterIdentifier","functionCallIdentifier"}; answers the functionExecutionStatus
 * header of ES9+ (rsp_es9p_header). One field table (lib/es/es2p.c) drives both directions; decoders
 * take outside input (strict types, sizes, digits; unknown keys ignored; a failed decode leaves *out
 * empty with diag naming the field). */
#ifndef RSP_ES2P_H
#define RSP_ES2P_H

#include <stdbool.h>
#include <stddef.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/es9p.h"

typedef enum rsp_es2p_func {
    RSP_ES2P_DOWNLOAD_ORDER,
    RSP_ES2P_CONFIRM_ORDER,
    RSP_ES2P_CANCEL_ORDER,
    RSP_ES2P_RELEASE_PROFILE,
    RSP_ES2P_FUNC_N
} rsp_es2p_func;

const char *rsp_es2p_func_name(rsp_es2p_func f);
/* "/gsma/rsp2/es2plus/downloadOrder", ... */
const char *rsp_es2p_path(rsp_es2p_func f);
rsp_err rsp_es2p_path_parse(const char *target, rsp_es2p_func *f, rsp_diag *diag);

/* Text fields are "" when absent; release_flag -1 when absent. */
typedef struct rsp_es2p_msg {
    rsp_es2p_func func;
    bool response;
    rsp_es9p_header header;             /* answers */
    char requester[65], call_id[65];    /* request header */
    char eid[33];                       /* 32 digits */
    char iccid[21];                     /* 19 or 20 digits (a 19-digit ICCID may end in F) */
    char profile_type[65];
    char matching_id[65];
    char confirmation_code[65];
    char smds_address[RSP_ES9P_MAX_ADDRESS + 1];
    char smdp_address[RSP_ES9P_MAX_ADDRESS + 1];
    char final_status[32];              /* finalProfileStatusIndicator: "Available" | "Unavailable" */
    int release_flag;
} rsp_es2p_msg;

void rsp_es2p_msg_init(rsp_es2p_msg *m, rsp_es2p_func f, bool response);
/* Appends the JSON body (requests with their header, answers with functionExecutionStatus first). */
rsp_err rsp_es2p_encode(const rsp_es2p_msg *m, rsp_buf *out, rsp_diag *diag);
rsp_err rsp_es2p_decode(rsp_es2p_func f, bool response, const uint8_t *json, size_t len, rsp_es2p_msg *out,
                        rsp_diag *diag);

#endif
