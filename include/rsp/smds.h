/* SM-DS (SGP.22): ES12, the SM-DP+'s RegisterEvent and DeleteEvent, in their JSON binding
 * (../shared/spec/SGP22.md §"SM-DS: ES12 and ES11"). Requests carry the ES2+ request header
 * {"functionRequesterIdentifier","functionCallIdentifier"}; answers the functionExecutionStatus header
 * of ES9+ (rsp_es9p_header, encoded and decoded by the ES9+ codec's own code in lib/es). Then the
 * SM-DS itself: event records (lib/store, table smds_event), ES12 from SM-DP+s over mutual TLS, ES11
 * for LPAs (the common mutual authentication of lib/smdpp with our CERT.DSauth), the daemon.
 * docs/modules/smds.md. */
#ifndef RSP_SMDS_H
#define RSP_SMDS_H

#include <stdbool.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/es9p.h"
#include "rsp/store.h"

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


/* ---- the SM-DS (lib/smds/smds.c, daemon.c) ----
 * A folder DIR is one SM-DS:
 *   DIR/dsauth/{key.pem,cert.der,ci.crt.der}   CERT.DSauth (`rsp ci issue --sgp22 --role dsauth`); the
 *                                             trusted CI is the one it chains to
 *   DIR/dstls/{key.pem,cert.pem}              the TLS server certificate (role dstls, P-256)
 *   DIR/smds.db                               the event records (unless opts.store names another store) */
typedef struct rsp_smds rsp_smds;

typedef struct rsp_smds_opts {
    const char *dir;
    const char *address;      /* our SM-DS address as LPAs write it: host[:port] */
    const char *store;        /* NULL: sqlite:DIR/smds.db; else a store URI (postgresql://...) */
    int64_t (*clock)(void);   /* seconds; NULL = time(NULL) */
} rsp_smds_opts;

rsp_err rsp_smds_open(const rsp_smds_opts *o, rsp_smds **out, rsp_diag *diag);
void rsp_smds_close(rsp_smds *s);
/* The store of the event records (borrowed). */
rsp_store *rsp_smds_store(rsp_smds *s);

/* One ES12 call from the SM-DP+ authenticated as `peer` (its TLS certificate's subject; NULL: none).
 * Answers into *status (HTTP) and out (appended); bad input is an answer with its status code. */
void rsp_smds_es12(rsp_smds *s, const char *peer, rsp_smds_es12_func f, const uint8_t *body, size_t len, int *status,
                   rsp_buf *out);
/* One ES11 call (initiateAuthentication or authenticateClient; rsp_es9p_es11_path_parse). */
void rsp_smds_es11(rsp_smds *s, rsp_es9p_func f, const uint8_t *body, size_t len, int *status, rsp_buf *out);

typedef struct rsp_smds_run_opts {
    const char *listen;         /* ES11 (server authentication only), host:port, port 0 = ephemeral */
    const char *port_file;
    const char *es12_listen;    /* ES12 (mutual TLS), host:port */
    const char *es12_ca;        /* PEM: SM-DP+ client certificates must chain to it (the CI's) */
    const char *es12_port_file;
} rsp_smds_run_opts;
/* Serves ES11 (and /metrics, /health) and ES12 until SIGTERM/SIGINT. */
rsp_err rsp_smds_run(rsp_smds *s, const rsp_smds_run_opts *o, rsp_diag *diag);

#endif
