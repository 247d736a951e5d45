/* Internals of the SM-DP+ shared by the files of lib/smdpp. */
#ifndef RSP_SMDPP_INT_H
#define RSP_SMDPP_INT_H

#include <sqlite3.h>

#include "rsp/crypto.h"
#include "rsp/es10.h"
#include "rsp/pki22.h"
#include "rsp/smdp.h"
#include "rsp/smdpp.h"

/* The ES9+ steps of one session (the state table of es9.c's header). */
enum { SESS_ENDED = 0, SESS_INITIATED = 1, SESS_AUTHENTICATED = 2, SESS_BOUND = 3 };

typedef struct smdpp_session {
    char tid[RSP_ES9P_MAX_TID_HEX + 1];
    int step;
    uint8_t euicc_challenge[16], server_challenge[16];
    int ci_index;
    char eid[33];
    char matching_id[65];
    uint8_t smdp_sig2[64];
    rsp_buf cert_euicc;       /* DER (owned) */
    int64_t updated;
} smdpp_session;

enum { SMDPP_CERT_CACHE = 16 };

struct rsp_smdpp {
    char dir[512];
    char address[RSP_ES9P_MAX_ADDRESS + 1];
    /* address with the port bound by the daemon when address names none (tests, labs): LPAs may
     * write either; notifications go to this one */
    char public_address[RSP_ES9P_MAX_ADDRESS + 1];
    unsigned cc_tries;
    int64_t (*clock)(void);
    rsp_eckey *sk_auth, *sk_pb;
    rsp_buf cert_auth, cert_pb, ci;
    rsp_pki22_info auth_info, pb_info;
    sqlite3 *db;
    rsp_smdp_inv *inv;
    size_t recovered;
    /* ES2+.HandleDownloadProgressInfo: called after each step's commit (daemon.c puts it in the
     * durable outbox); NULL: nobody to tell */
    void (*progress)(void *arg, const rsp_smdpp_order *o, int point, bool ok, const char *subject,
                     const char *reason);
    void *progress_arg;
    /* ES12: stores the RegisterEvent (reg) or DeleteEvent of order o for its SM-DS in the durable
     * outbox (daemon.c); RSP_OK once stored. NULL: ES12 is off (no --smds-ca) */
    rsp_err (*smds_event)(void *arg, const rsp_smdpp_order *o, bool reg);
    void *smds_arg;
    unsigned long calls[RSP_ES9P_FUNC_N][2]; /* [function][failed] */
    /* Commits of smdpp.db (db.c's commit hook: transactions and single writes alike), by the
     * connection's synchronous level then: [0] NORMAL (begin_light: kill -9 safe, no fdatasync),
     * [1] FULL (durable: an fdatasync of the WAL each). /metrics rsp_smdpp_commits_total. */
    unsigned long commits[2];
    bool light; /* between begin_light and its commit_light/rollback */
    /* eUICC certificates of live sessions already decoded (es9.c session_cert): getBoundProfilePackage
     * and the PIR verify with the key of the certificate authenticateClient checked; decoding it again
     * (OpenSSL's X.509 and key decoders) was ~10% of the SM-DP+'s CPU per download. Memory only: a
     * restarted daemon decodes again. Round robin over SMDPP_CERT_CACHE slots. */
    struct {
        rsp_buf der;
        rsp_pki22_info info;
        rsp_eckey *key; /* info's public key, ready to verify with (owned; NULL until first needed) */
    } cert_cache[SMDPP_CERT_CACHE];
    unsigned cert_next;
    rsp_pki22_anchors *anchors;      /* s->ci decoded once (rsp_smdpp_open) */
    struct smdpp_stmts *stmts;       /* db.c: statements prepared once per connection */
    /* Kenc || Kmac sealing the PPKs at rest (ppp.c), from DIR/master.key at the first use; secret,
     * wiped at close */
    uint8_t seal[64];
    bool seal_ready;
};

int64_t rsp_smdpp__now(rsp_smdpp *s);

/* Subject/reason codes (SGP22.md's table); "malformed request" is our choice: docs/ENCODINGS.md. */
#define SC_MALFORMED "1.2.1", "2.1"
#define SC_ADDRESS "8.8.1", "3.8"
#define SC_NO_PKID "8.8.2", "3.1"
#define SC_NO_DPAUTH "8.8.4", "3.7"
#define SC_TID "8.10.1", "3.9"
#define SC_CI "8.11.1", "3.9"
#define SC_EUM "8.1.2", "6.1"
#define SC_EUM_EXPIRED "8.1.2", "6.3"
#define SC_EUICC_CERT "8.1.3", "6.1"
#define SC_EUICC_EXPIRED "8.1.3", "6.3"
#define SC_SIGNATURE "8.1", "6.1"
#define SC_EID_RANGE "8.1.4", "6.1"
#define SC_INTERNAL "8.1", "127"

/* auth.c: rsp_smdpp_auth_client, and when key is not NULL and it succeeds, *key = CERT.EUICC's
 * public key it verified euiccSignature1 with (the caller's; rsp_ec_free): es9.c keeps it for the
 * session's next signatures instead of building it from the point again (~1% of the CPU each). */
rsp_err rsp_smdpp__auth_client(const rsp_smdpp_auth_cfg *cfg, const rsp_smdpp_auth_session *sess,
                               const rsp_es9p_msg *req, rsp_es10_auth_server_resp *r, rsp_pki22_info *euicc,
                               rsp_eckey **key, rsp_es9p_header *fail);
/* auth.c: an ECDSA signature (64 bytes r||s) by the key of an inspected certificate. keep: NULL, or
 * when it verifies, *keep = the key built for it (the caller's: rsp_ec_free). */
bool rsp_smdpp__verify_sig(const rsp_pki22_info *cert, const uint8_t *p, size_t n, rsp_bytes sig, rsp_eckey **keep);

/* notificationPointId values we report (docs/modules/smdpp.md; the notes leave them open) */
enum { POINT_ELIGIBILITY = 1, POINT_CONFIRMATION = 2, POINT_BPP_DOWNLOAD = 3, POINT_BPP_INSTALL = 4,
       POINT_CANCELLED = 5 };
static inline void rsp_smdpp__progress(rsp_smdpp *s, const rsp_smdpp_order *o, int point, bool ok,
                                       const char *subject, const char *reason)
{
    if (s->progress && o && o->iccid[0])
        s->progress(s->progress_arg, o, point, ok, subject, reason);
}

/* smds_ev.c: after an order's change is committed, its SM-DS event follows it: registered while the
 * order is downloadable, deleted once it ended (then o->smds is cleared, durably). sweep does it for
 * every order still naming an SM-DS (at start: a crash between a commit and the outbox is healed). */
void rsp_smdpp__smds_sync(rsp_smdpp *s, const rsp_smdpp_order *o);
void rsp_smdpp__smds_sweep(rsp_smdpp *s);

/* db.c: orders and sessions in DIR/smdpp.db. */
rsp_err rsp_smdpp__db_open(rsp_smdpp *s, rsp_diag *diag);
void rsp_smdpp__db_close(rsp_smdpp *s); /* finalizes its prepared statements, closes s->db */
/* Statements of the other files (ppp.c), prepared once per connection as db.c's own (db.c's header:
 * parsing them per call was ~2% of the SM-DP+'s CPU per download): slot's statement, prepared from
 * sql at its first use (always pass the same sql for a slot); NULL when it cannot be. Each use ends
 * with rsp_smdpp__stmt_done (reset, bindings cleared: no read held, no pointer kept). */
enum { SMDPP_ST_PPP_GET, SMDPP_ST_PPP_PUT, SMDPP_ST_PPP_DROP, SMDPP_ST_EXT_N };
sqlite3_stmt *rsp_smdpp__stmt_ext(rsp_smdpp *s, int slot, const char *sql);
void rsp_smdpp__stmt_done(sqlite3_stmt *st);
rsp_err rsp_smdpp__begin(rsp_smdpp *s);
rsp_err rsp_smdpp__commit(rsp_smdpp *s);
/* kill -9 safe, not power-loss safe alone (db.c); a failure: rsp_smdpp__rollback */
rsp_err rsp_smdpp__begin_light(rsp_smdpp *s);
rsp_err rsp_smdpp__commit_light(rsp_smdpp *s);
void rsp_smdpp__rollback(rsp_smdpp *s);
rsp_err rsp_smdpp__order_put(rsp_smdpp *s, const rsp_smdpp_order *o);
/* The order holding an ICCID (RSP_ERR_NOT_FOUND), and an order's removal (ES2+ renames). */
rsp_err rsp_smdpp__order_by_iccid(rsp_smdpp *s, const char *iccid, rsp_smdpp_order *o);
rsp_err rsp_smdpp__order_delete(rsp_smdpp *s, const char *matching_id);
/* The matchingIds of the orders naming an SM-DS, oldest change first; *mids malloc'd. */
rsp_err rsp_smdpp__orders_with_smds(rsp_smdpp *s, char (**mids)[65], size_t *n);
rsp_err rsp_smdpp__sess_put(rsp_smdpp *s, const smdpp_session *ss);
/* RSP_ERR_NOT_FOUND when unknown; ss->cert_euicc is (re)filled. */
rsp_err rsp_smdpp__sess_get(rsp_smdpp *s, const char *tid, smdpp_session *ss);
/* Sessions not ended, for the restart settlement; *out malloc'd (caller frees each cert and it). */
rsp_err rsp_smdpp__sess_live(rsp_smdpp *s, smdpp_session **out, size_t *n);

/* ppp.c: the protected profile package of an order, made once, reused by each session. */
typedef struct smdpp_ppp {
    uint8_t ppk[48];   /* initial MCV || PPK-ENC || PPK-MAC (secret: rsp_smdpp__ppp_wipe) */
    rsp_buf a3;        /* the value of A3: the package in 86 segments under the PPKs */
} smdpp_ppp;
/* Creates smdpp_ppp IF NOT EXISTS (an older smdpp.db opens unchanged otherwise). */
rsp_err rsp_smdpp__ppp_open(rsp_smdpp *s, rsp_diag *diag);
/* The PPP of order o for its current identity (o->iccid); RSP_ERR_NOT_FOUND when none was made for
 * it; RSP_ERR_VERIFY when the seal does not open. */
rsp_err rsp_smdpp__ppp_get(rsp_smdpp *s, const rsp_smdpp_order *o, smdpp_ppp *p, rsp_diag *diag);
/* Fresh random PPKs and the personalised package protected under them. */
rsp_err rsp_smdpp__ppp_make(const uint8_t *package, size_t len, smdpp_ppp *p);
/* Stores it (PPKs sealed) for o; inside the caller's transaction. */
rsp_err rsp_smdpp__ppp_put(rsp_smdpp *s, const rsp_smdpp_order *o, const smdpp_ppp *p);
rsp_err rsp_smdpp__ppp_drop(rsp_smdpp *s, const char *matching_id);
void rsp_smdpp__ppp_wipe(smdpp_ppp *p);
/* An ended order's identity retired from allocated or downloaded (never back to the pool once out). */
void rsp_smdpp__identity_retire(rsp_smdpp *s, const char *iccid, int64_t now);
/* An order that ends without an install (cancelled, expired, confirmation code exhausted), the one way
 * for all of them: o in state st with no transaction, its protected package dropped (one transaction,
 * with ss written too when not NULL), then its identity back to the pool (to_pool, and only while it
 * is merely allocated: one that went out in a BPP may sit on a card) or retired, and the SM-DS told.
 * RSP_ERR_DB (nothing written) when the transaction fails. */
rsp_err rsp_smdpp__order_end(rsp_smdpp *s, rsp_smdpp_order *o, int st, const smdpp_session *ss, bool to_pool,
                             int64_t now);

/* bind.c: the BoundProfilePackage of a session around the order's PPP (BF23, A0, A1, A2 made here,
 * A3 = ppp->a3 as it is). */
rsp_err rsp_smdpp__bind(rsp_smdpp *s, const smdpp_session *ss, const rsp_smdpp_order *o, rsp_bytes euicc_otpk,
                        const smdpp_ppp *ppp, rsp_buf *bpp, rsp_diag *diag);
/* profileMetadata (BF25) of an order's identity. */
rsp_err rsp_smdpp__metadata(rsp_smdpp *s, const rsp_smdpp_order *o, rsp_buf *out);

#endif
