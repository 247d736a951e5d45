/* The SM-DP+ (SGP.22): ES9+ toward LPAs, orders with activation codes, binding of the personalised
 * SAIP package to one eUICC per download session. docs/modules/smdpp.md.
 *
 * A folder DIR is one SM-DP+:
 *   DIR/dpauth/{key.pem,cert.der,ci.crt.der}, DIR/dppb/{key.pem,cert.der}  (`rsp ci issue --sgp22`)
 *   DIR/dptls/{key.pem,cert.pem}        the TLS server certificate (role dptls, P-256)
 *   DIR/smdpp.db                        orders and ES9+ sessions (SQLite, WAL; every change committed
 *                                       before the answer that depends on it leaves)
 *   DIR/smdp.db, DIR/packages/          the identity pools of lib/smdp (`rsp smdp import --dir DIR`)
 * The trusted CI is DIR/dpauth/ci.crt.der (the CI its own certificates chain to). */
#ifndef RSP_SMDPP_H
#define RSP_SMDPP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"
#include "rsp/crypto.h"
#include "rsp/es10.h"
#include "rsp/es9p.h"
#include "rsp/pki22.h"

typedef struct rsp_smdpp rsp_smdpp;

typedef struct rsp_smdpp_opts {
    const char *dir;
    const char *address;      /* our SM-DP+ address as LPAs write it (activation code): host[:port] */
    unsigned cc_tries;        /* wrong confirmation codes before the order is refused for good; 0 = 3 */
    int64_t (*clock)(void);   /* seconds; NULL = time(NULL) (tests move it) */
} rsp_smdpp_opts;

/* Loads the keys and certificates, opens the databases. diag names the missing file. */
rsp_err rsp_smdpp_open(const rsp_smdpp_opts *o, rsp_smdpp **out, rsp_diag *diag);
void rsp_smdpp_close(rsp_smdpp *s);

/* Orders (what an operator's ES2+ DownloadOrder + ConfirmOrder leave behind). */
typedef enum rsp_smdpp_order_state {
    RSP_SMDPP_ORDER_RELEASED = 1,   /* downloadable */
    RSP_SMDPP_ORDER_DOWNLOADING,    /* a session passed authenticateClient */
    RSP_SMDPP_ORDER_BOUND,          /* the BPP left */
    RSP_SMDPP_ORDER_INSTALLED,      /* a successful PIR came back */
    RSP_SMDPP_ORDER_FAILED,         /* refused for good (confirmation code retries exhausted) */
    RSP_SMDPP_ORDER_CANCELLED,
    RSP_SMDPP_ORDER_EXPIRED,
    RSP_SMDPP_ORDER_ORDERED,        /* ES2+ DownloadOrder: identity reserved, not yet confirmed */
    RSP_SMDPP_ORDER_CONFIRMED,      /* ES2+ ConfirmOrder with releaseFlag false: waits ReleaseProfile */
} rsp_smdpp_order_state;
const char *rsp_smdpp_order_state_name(int st);

typedef struct rsp_smdpp_order {
    char matching_id[65];
    char op[65], type[65];    /* the lib/smdp pool */
    char eid[33];             /* "" = any eUICC (bound to the first that authenticates) */
    char iccid[21];           /* "" until an identity is taken */
    int state;
    bool cc;                  /* a confirmation code is required */
    uint8_t cc_hash[32];      /* SHA-256(confirmation code) */
    unsigned cc_left;
    int64_t expires;          /* 0 = never */
    char tid[RSP_ES9P_MAX_TID_HEX + 1]; /* the session holding it, "" none */
    int64_t updated;
    /* ES2+ ConfirmOrder's smdsAddress: the SM-DS (its ES12 host:port) where the order's event
     * (eventId = matchingId) is registered while the order is downloadable; "" none, or once the
     * DeleteEvent of an ended order is queued */
    char smds[RSP_ES9P_MAX_ADDRESS + 1];
} rsp_smdpp_order;

/* Adds an order (RSP_ERR_EXISTS for a known matchingId; RSP_ERR_INVAL for a matchingId an LPA
 * would refuse). cc: NULL or the confirmation code (stored as its hash). */
rsp_err rsp_smdpp_order_add(rsp_smdpp *s, const char *matching_id, const char *op, const char *type, const char *eid,
                            const char *cc, int64_t expires, rsp_diag *diag);
rsp_err rsp_smdpp_order_get(rsp_smdpp *s, const char *matching_id, rsp_smdpp_order *out);
rsp_err rsp_smdpp_order_cancel(rsp_smdpp *s, const char *matching_id);

/* One ES9+ call: function f, the request body; the answer into *status (HTTP) and body (appended;
 * empty for 204). Never fails on bad input: that is an answer with its status code. */
void rsp_smdpp_es9(rsp_smdpp *s, rsp_es9p_func f, const uint8_t *body, size_t len, int *status, rsp_buf *out);

/* Sessions ended at open: how many a restart found mid-way and how each was settled (docs). */
size_t rsp_smdpp_recovered(const rsp_smdpp *s);

/* One ES2+ call (lib/smdpp/es2.c) from the operator authenticated as `operator` (its client
 * certificate's CN; it must also be the request's functionRequesterIdentifier, and it names the
 * lib/smdp pools "<operator>/<profileType>"). Same contract as rsp_smdpp_es9. */
void rsp_smdpp_es2(rsp_smdpp *s, const char *operator_id, const char *path, const uint8_t *body, size_t len,
                   int *status, rsp_buf *out);

/* ---- the common mutual authentication (lib/smdpp/auth.c) ----
 * initiateAuthentication and the certificate/signature half of authenticateClient, with the checks
 * and status codes of SGP22.md §ES9+, for any server that authenticates an eUICC this way: the SM-DP+
 * (ES9+, CERT.DPauth) and the SM-DS (ES11, CERT.DSauth). The caller keeps the session (durably or
 * not) and answers authenticateClient its own way. */
typedef struct rsp_smdpp_auth_cfg {
    const char *address, *address2;  /* accepted server addresses (case-insensitive); address2 NULL or "" */
    const rsp_eckey *sk;             /* SK.DPauth / SK.DSauth */
    rsp_bytes cert;                  /* CERT.DPauth / CERT.DSauth (DER) */
    const rsp_pki22_info *info;      /* its inspection: its AKI names the one CI we take */
    rsp_bytes ci;                    /* that CI's certificate (DER) */
    rsp_pki22_anchors *anchors;      /* ci decoded once (NULL: decoded per call); the caller's */
} rsp_smdpp_auth_cfg;

typedef struct rsp_smdpp_auth_session {
    char tid[RSP_ES9P_MAX_TID_HEX + 1]; /* drawn by initiate (16 random bytes, hex) */
    uint8_t euicc_challenge[16], server_challenge[16];
} rsp_smdpp_auth_session;

/* initiateAuthentication: checks the address and the CI choice, draws the transactionId and the
 * serverChallenge into *sess, fills ans (transactionId, serverSigned1, serverSignature1,
 * euiccCiPKIdToBeUsed, serverCertificate). RSP_OK, or RSP_ERR_VERIFY (a refusal) / another error with
 * *fail holding status Failed and the subject/reason codes to answer (message = why). */
rsp_err rsp_smdpp_auth_initiate(const rsp_smdpp_auth_cfg *cfg, const rsp_es9p_msg *req, rsp_smdpp_auth_session *sess,
                                rsp_es9p_msg *ans, rsp_es9p_header *fail);
/* authenticateClient of the session sess (the caller found it by req->transaction_id): decodes
 * AuthenticateServerResponse, checks the transactionId, the CERT.EUM/CERT.EUICC chain to our CI, the
 * EID range, euiccSignature1 and the serverChallenge. On RSP_OK *r holds views into req (valid while
 * req lives) and *euicc the verified eUICC certificate (its EID). Same failure contract as above. */
rsp_err rsp_smdpp_auth_client(const rsp_smdpp_auth_cfg *cfg, const rsp_smdpp_auth_session *sess,
                              const rsp_es9p_msg *req, rsp_es10_auth_server_resp *r, rsp_pki22_info *euicc,
                              rsp_es9p_header *fail);
/* The matchingId of ctxParams1 (A0{80 matchingId?, ...}) into out[cap], "" when absent; false when
 * ctxParams1 is not that or the matchingId does not fit or holds NUL. */
bool rsp_smdpp_auth_matching_id(rsp_bytes ctx_params1, char *out, size_t cap);

/* ---- the daemon (lib/smdpp/daemon.c) ---- */
typedef struct rsp_smdpp_run_opts {
    const char *listen;       /* host:port, port 0 = ephemeral */
    const char *port_file;    /* NULL or a file that receives "PORT\n" */
    const char *es2_listen;   /* NULL, or host:port of the ES2+ listener (mutual TLS) */
    const char *es2_ca;       /* PEM file: operators' client certificates must chain to it */
    const char *es2_port_file;
    /* NULL, or the operator's ES2+ URL for HandleDownloadProgressInfo: each step of each order is
     * stored in lib/svc's durable outbox (the store of the identity pools) and POSTed over mutual TLS
     * (our DPtls certificate; the operator's server must chain to es2_ca), retried until delivered */
    const char *es2_notify;
    /* NULL, or the PEM CA the SM-DSs' TLS certificates chain to (the CI's): enables ES12. An order
     * confirmed with an smdsAddress then has its event registered there (RegisterEvent) when it
     * becomes downloadable and deleted (DeleteEvent) when it ends (installed, cancelled, failed,
     * expired), both through the same durable outbox, over mutual TLS with our DPtls certificate */
    const char *smds_ca;
    /* NULL, or host:port (port 0: ephemeral) of a plain-HTTP listener answering /metrics and
     * /health only (monitoring, `rsp bench smdpp`); its port goes to metrics_port_file if set */
    const char *metrics_listen;
    const char *metrics_port_file;
} rsp_smdpp_run_opts;
/* Serves ES9+ (and /metrics, /health) over HTTPS until SIGTERM/SIGINT. */
rsp_err rsp_smdpp_run(rsp_smdpp *s, const rsp_smdpp_run_opts *o, rsp_diag *diag);


#endif
