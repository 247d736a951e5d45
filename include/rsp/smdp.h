/* The SM-DP role library: the profile inventory (per Operator and ProfileType pools of a checked
 * SAIP package and identities ICCID/IMSI/Ki/OPc), from which each download takes one identity and
 * personalises the package. See docs/modules/smdp.md.
 *
 * Storage: a pool is "<operator>/<profile type>". Its package lives in <dir>/packages/<operator>/
 * <profile type>.der (written atomically); each identity is one row of the store's SM-DP inventory
 * (rsp_store_inv_*), keyed by ICCID, whose secret blob holds IMSI, Ki and OPc (wiped on release).
 * Handing out goes through rsp_store_inv_allocate, so an identity is never handed out twice, across
 * threads and processes sharing the database.
 * Handles: an rsp_smdp_inv is one store connection and, like it, not thread-safe: open one per thread. */
#ifndef RSP_SMDP_H
#define RSP_SMDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"
#include "rsp/es.h"
#include "rsp/es_types.h"
#include "rsp/keyest.h"
#include "rsp/scp03.h"
#include "rsp/scp03t.h"
#include "rsp/store.h"

#define RSP_SMDP_NAME_MAX 60    /* operator and profile type names: [A-Za-z0-9._-], 1..60 */
#define RSP_SMDP_KEY_MAX 32     /* Ki / OPc: 16 or 32 bytes */

/* Lifecycle of an inventory entry: available -> allocated -> downloaded -> installed -> enabled |
 * disabled -> deleted, all kept by the store. Enabled / disabled follow what the SM-SR reports: the
 * results of the ES2 Enable/Disable/DeleteProfile calls the SM-DP relays, its end-of-download enable,
 * the ES3 Handle*Notification the SM-SR sends, and a relayed AuditEIS (lib/smdp/inv_state.c). */
typedef enum rsp_smdp_state {
    RSP_SMDP_AVAILABLE = RSP_STORE_INV_AVAILABLE,
    RSP_SMDP_ALLOCATED = RSP_STORE_INV_ALLOCATED,
    RSP_SMDP_DOWNLOADED = RSP_STORE_INV_DOWNLOADED,
    RSP_SMDP_INSTALLED = RSP_STORE_INV_INSTALLED,
    RSP_SMDP_DELETED = RSP_STORE_INV_RETIRED,
    RSP_SMDP_ENABLED = RSP_STORE_INV_ENABLED,
    RSP_SMDP_DISABLED = RSP_STORE_INV_DISABLED,
} rsp_smdp_state;
#define RSP_SMDP_STATES 7    /* states are 0 .. RSP_SMDP_STATES - 1 */
/* "available", "allocated", "downloaded", "installed", "deleted", "enabled", "disabled". Static. */
const char *rsp_smdp_state_name(rsp_smdp_state st);
/* The states in lifecycle order (available .. disabled, deleted last), for listings. */
extern const rsp_smdp_state rsp_smdp_state_order[RSP_SMDP_STATES];

/* One subscriber identity. ki/opc are secrets: wipe with rsp_smdp_identity_wipe. */
typedef struct rsp_smdp_identity {
    char iccid[21];
    char imsi[16];
    uint8_t ki[RSP_SMDP_KEY_MAX];
    size_t ki_len;
    uint8_t opc[RSP_SMDP_KEY_MAX];
    size_t opc_len;
} rsp_smdp_identity;
void rsp_smdp_identity_wipe(rsp_smdp_identity *id);

/* ---- identity CSV (outside input) ----
 * One identity a line: iccid,imsi,ki,opc (hex keys). Blank lines and lines starting with '#' are
 * skipped; a first line starting with "iccid" is a header. ICCIDs are Luhn-checked and must be
 * unique within the file. On failure diag names the line ("line 7: ...") and *out is left empty.
 * *out is a malloc'd array the caller wipes (rsp_smdp_identities_free); *lines (when lines is not
 * NULL) a malloc'd array of each identity's line number, freed with free(). */
rsp_err rsp_smdp_csv_parse(const char *text, size_t len, rsp_smdp_identity **out, size_t *n,
                           size_t **lines, rsp_diag *diag);
void rsp_smdp_identities_free(rsp_smdp_identity *ids, size_t n);

/* ---- the inventory ---- */
typedef struct rsp_smdp_inv rsp_smdp_inv;

/* Opens the inventory kept under dir (created if missing). store_uri NULL means
 * "sqlite:<dir>/smdp.db". */
rsp_err rsp_smdp_inv_open(const char *dir, const char *store_uri, rsp_diag *diag, rsp_smdp_inv **out);
void rsp_smdp_inv_close(rsp_smdp_inv *inv);
/* The store connection (borrowed), for the download state machine sharing it. */
rsp_store *rsp_smdp_inv_store(rsp_smdp_inv *inv);

/* Imports (or replaces) the package of a pool. It is parsed with every nested TLV checked and
 * personalised once with a throw-away identity, so a package that cannot carry an identity is
 * refused now rather than at download; the walker's diagnosis is in diag. */
rsp_err rsp_smdp_import_package(rsp_smdp_inv *inv, const char *op, const char *type, const uint8_t *der,
                                size_t len, rsp_diag *diag);
/* Adds identities to a pool whose package is imported. All are checked against the store before any
 * is added (a known ICCID is refused with its index in diag, "line N" when lines is given: the CSV
 * line of each identity). */
rsp_err rsp_smdp_import_identities(rsp_smdp_inv *inv, const char *op, const char *type,
                                   const rsp_smdp_identity *ids, size_t n, const size_t *lines,
                                   rsp_diag *diag);
/* Test/lab helper: n identities with ICCIDs <iccid_prefix><serial><Luhn> (19 digits before the
 * check digit), IMSIs <imsi_prefix><serial> (15 digits) and random Ki/OPc, serials from first. */
rsp_err rsp_smdp_generate_identities(rsp_smdp_inv *inv, const char *op, const char *type,
                                     const char *iccid_prefix, const char *imsi_prefix, uint64_t first,
                                     size_t n, rsp_diag *diag);

/* What one download takes: the identity and the personalised package (owned, secret: free with
 * rsp_smdp_taken_clear). */
typedef struct rsp_smdp_taken {
    rsp_smdp_identity id;
    rsp_buf package;
} rsp_smdp_taken;
void rsp_smdp_taken_clear(rsp_smdp_taken *t);

/* Allocates the oldest available identity of the pool to eid and personalises the pool's package
 * with it. RSP_ERR_END when the pool is empty. The allocation is committed before it returns; if the
 * personalisation then fails the identity is retired (never reused) and the error returned. */
rsp_err rsp_smdp_take(rsp_smdp_inv *inv, const char *op, const char *type, const char *eid, int64_t now,
                      rsp_smdp_taken *out, rsp_diag *diag);
/* Rebuilds the personalised package of an identity already allocated (download resumed after a
 * restart). */
rsp_err rsp_smdp_retake(rsp_smdp_inv *inv, const char *iccid, rsp_smdp_taken *out, rsp_diag *diag);
/* The IMSI of an identity (not secret; the subscription address of its profile). */
rsp_err rsp_smdp_imsi_of(rsp_smdp_inv *inv, const char *iccid, char imsi[16]);
/* Checked state change of one identity (see rsp_store_inv_transition). */
rsp_err rsp_smdp_mark(rsp_smdp_inv *inv, const char *iccid, rsp_smdp_state from, rsp_smdp_state to,
                      int64_t now);

/* The state of one identity now. RSP_ERR_NOT_FOUND when the ICCID is not in the inventory. */
rsp_err rsp_smdp_state_of(rsp_smdp_inv *inv, const char *iccid, rsp_smdp_state *st);
/* What the SM-SR reported of a profile on a card: to (ENABLED, DISABLED or DELETED) from whichever of
 * installed / enabled / disabled the identity is in (compare-and-set, retried when another connection
 * moved it meanwhile). Already there: RSP_OK. Not on a card (still downloading, deleted already):
 * RSP_ERR_STATE, nothing written. To ENABLED with eid given: every other identity of this inventory
 * enabled on that eUICC becomes DISABLED (one enabled profile per card, SGP.02). */
rsp_err rsp_smdp_mark_card(rsp_smdp_inv *inv, const char *eid, const char *iccid, rsp_smdp_state to, int64_t now);
/* The "one enabled per card" part of rsp_smdp_mark_card alone: the identities other than iccid that
 * this inventory has ENABLED on eid become DISABLED. */
rsp_err rsp_smdp_disable_others(rsp_smdp_inv *inv, const char *eid, const char *iccid, int64_t now);

/* Counts of one pool per state. */
typedef struct rsp_smdp_pool {
    char op[RSP_SMDP_NAME_MAX + 1];
    char type[RSP_SMDP_NAME_MAX + 1];
    size_t package_len;
    char header_iccid[21];     /* the template's ICCID */
    size_t count[RSP_SMDP_STATES];   /* indexed by rsp_smdp_state */
} rsp_smdp_pool;
/* Every pool with an imported package, sorted by operator then type. *out malloc'd, caller frees. */
rsp_err rsp_smdp_inventory(rsp_smdp_inv *inv, rsp_smdp_pool **out, size_t *n);

/* ---- admission (download step 1, before any ISD-P exists) ---- */
typedef struct rsp_smdp_trust {
    const rsp_eckey *ci;        /* the CI's public key (borrowed) */
    const rsp_bytes *eum_certs; /* EUM certificates (7F21) the SM-DP knows; each must be CI-signed */
    size_t n_eum;
    struct rsp_crl_file *crl;   /* the CI's CRL (--crl), or NULL: the EUM must not be revoked */
} rsp_smdp_trust;

/* Checks an EIS from ES3.GetEIS: its CERT.ECASD (first certificate of the ECASD key sets) has the
 * ECASD role and verifies under an EUM certificate that itself verifies under the CI; the card
 * offers a download transport; AvailableMemoryForProfiles >= package_len. RSP_ERR_VERIFY for a broken
 * chain, RSP_ERR_RANGE for memory, RSP_ERR_UNSUPPORTED for transport, RSP_ERR_FORMAT for a missing
 * certificate; diag says which. now (Unix seconds): when the CRL must be fresh. */
rsp_err rsp_smdp_admit(const rsp_smdp_trust *t, const rsp_es_eis *eis, size_t package_len, int64_t now,
                       rsp_diag *diag);

/* ---- the download procedure (one step table, durable cursor; lib/smdp/download.c) ---- */
typedef enum rsp_smdp_dl_step {
    RSP_SMDP_DL_GET_EIS = 0,    /* ES3.GetEIS, then admission (rsp_smdp_admit): before any ISD-P */
    RSP_SMDP_DL_TAKE,           /* an identity from the pool, package personalised */
    RSP_SMDP_DL_CREATE_ISDP,    /* ES3.CreateISDP */
    RSP_SMDP_DL_KEYEST,         /* ES8 key establishment: two ES3.SendData */
    RSP_SMDP_DL_LOAD,           /* SCP03t segments: ES3.SendData x n; the EUICCResponse decides */
    RSP_SMDP_DL_COMPLETED,      /* ES3.ProfileDownloadCompleted */
    RSP_SMDP_DL_ENABLE,         /* ES3.EnableProfile when asked */
    RSP_SMDP_DL_DONE,
    RSP_SMDP_DL_CLEANUP,        /* ES3.DeleteISDP; identity spent */
    RSP_SMDP_DL_FAILED,
} rsp_smdp_dl_step;
const char *rsp_smdp_dl_step_name(rsp_smdp_dl_step st);

/* One download as journalled (a row of the store's SM-DP download journal, rewritten at every step;
 * SM-DP dirs with the older journal files <dir>/downloads/<id>.dl are imported at rsp_smdp_inv_open). */
typedef struct rsp_smdp_dl {
    char id[RSP_SMDP_NAME_MAX + 1];     /* the caller's, e.g. the ES2 FunctionCallIdentifier */
    char op[RSP_SMDP_NAME_MAX + 1];
    char type[RSP_SMDP_NAME_MAX + 1];
    char eid[33];
    char iccid[21];                     /* set by the take step */
    bool enable;
    bool isdp_requested;                /* CreateISDP was (maybe) sent: cleanup deletes it */
    rsp_smdp_dl_step step;
    char outcome[96];                   /* final status for the Operator */
    char status[40];                    /* "subject/reason" of the SM-SR's refusal that failed it, or "" */
} rsp_smdp_dl;

/* ES3 as the SM-SR serves it (the daemon implements it over HTTPS mTLS). Each returns RSP_OK or an
 * error with diag. get_eis lends an EIS valid until the next call. */
typedef struct rsp_smdp_es3 {
    void *arg;
    rsp_err (*get_eis)(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag);
    rsp_err (*create_isdp)(void *arg, const char *eid, const char *iccid, size_t memory, rsp_diag *diag);
    rsp_err (*send_data)(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len,
                         rsp_buf *resp, rsp_diag *diag);
    rsp_err (*completed)(void *arg, const char *eid, const char *iccid, rsp_diag *diag);
    rsp_err (*enable)(void *arg, const char *eid, const char *iccid, rsp_diag *diag);
    rsp_err (*delete_isdp)(void *arg, const char *eid, const char *iccid, rsp_diag *diag);
    /* ES3.UpdateConnectivityParameters carrying one C-APDU of the SM-DP's SCP03 session to the ISD-P
     * of iccid (opaque to the SM-SR); resp gets the card's answer data. May be NULL (no session). */
    rsp_err (*conn)(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                    rsp_diag *diag);
} rsp_smdp_es3;

/* Optional hooks of rsp_smdp_dl_run_ex (each may be NULL). */
typedef struct rsp_smdp_dl_hooks {
    void *arg;
    /* true once the caller wants the download left for a later run (a daemon stopping): the run
     * stops between calls with RSP_ERR_BUSY; a resumable step stays as it is, an unresumable one is
     * marked for cleanup ("interrupted in <step>") without running it. */
    bool (*cancelled)(void *arg);
    /* "subject/reason" of the SM-SR's answer when the last ES3 call failed with a status, else NULL;
     * kept in the journal (status=) for the Operator's final answer. */
    const char *(*status)(void *arg);
    /* The SM-SR's own EIS (its live ISD-P list), for cleanup's "is the ISD-P gone?" when get_eis may
     * hand back another EIS (the runner's --eis-dir file, for CERT.ECASD). NULL: get_eis is used. */
    rsp_err (*live_eis)(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag);
    /* The ISD-P keys the load step's es8->installed sealed (RSP_SMDP_ISDP_SEALED_LEN bytes), written
     * in the commit of the "downloaded" mark; false: none to keep. */
    bool (*sealed_keys)(void *arg, const uint8_t **p, size_t *len);
} rsp_smdp_dl_hooks;

/* The product ES3: rsp_smdp_es3 over HTTPS with mutual TLS to an SM-SR (lib/smdp/es3_client.c), JSON
 * (gsma dialect) or SOAP 1.1 (njiwa dialect, opts.dialect), each call answered synchronously ("Prefer: wait"). The SM-SR knows the SM-DP by
 * the CN of tls_cert. One client serves one thread. */
typedef struct rsp_smdp_es3_client rsp_smdp_es3_client;
typedef struct rsp_smdp_es3_client_opts {
    const char *url;            /* "https://HOST:PORT" of the SM-SR's ES endpoint */
    const char *tls_cert, *tls_key, *tls_ca;
    const char *mno_id;         /* the Operator named in CreateISDP (Mno-Id, mandatory) */
    unsigned timeout_ms;        /* per call; 0 = 60 s (a call waits for the card's PoR) */
    rsp_es_dialect dialect;     /* RSP_ES_DIALECT_GSMA (0): JSON; RSP_ES_DIALECT_NJIWA: SOAP 1.1 as njiwa's
                                 * ES3.wsdl (an SM-SR shaped like bagyenda/njiwa) */
    const char *dump_dir;       /* NULL, or a folder where each request is written as sent (debugging,
                                 * the WSDL contract test); copied */
} rsp_smdp_es3_client_opts;
/* "gsma-json" / "njiwa-soap" (--smsr-dialect, [es3] dialect) to a dialect; RSP_ERR_FORMAT otherwise. */
rsp_err rsp_smdp_es3_dialect_parse(const char *name, rsp_es_dialect *out);
const char *rsp_smdp_es3_dialect_name(rsp_es_dialect d);
rsp_err rsp_smdp_es3_client_new(const rsp_smdp_es3_client_opts *o, rsp_smdp_es3_client **out, rsp_diag *diag);
/* The interface for rsp_smdp_dl_run (borrows c). */
rsp_smdp_es3 rsp_smdp_es3_client_iface(rsp_smdp_es3_client *c);
void rsp_smdp_es3_client_free(rsp_smdp_es3_client *c);
/* The download the next calls belong to: the Operator named by CreateISDP (Mno-Id; NULL keeps the
 * client's) and the ProfileType of ProfileDownloadCompleted (mandatory there; "unknown" unless set). */
void rsp_smdp_es3_client_set_download(rsp_smdp_es3_client *c, const char *mno_id, const char *type);
/* The SubscriptionAddress of the next ProfileDownloadCompleted (NULL/"" members are left out). */
void rsp_smdp_es3_client_set_address(rsp_smdp_es3_client *c, const char *imsi, const char *msisdn);
/* The StatusCodeData of the last call when the SM-SR answered Failed / Expired (valid until the next
 * call); false when it succeeded or never answered. */
bool rsp_smdp_es3_client_last_status(const rsp_smdp_es3_client *c, const char **subject, const char **reason);

/* The ES8 session toward the ISD-P (keys in memory only). keyest gives payload n (0, 1) from the
 * previous response, and with n == 2 (out NULL) checks the card's receipt in prev; load gives
 * payload n of the package (0: SCP03t init; from 1 on, the segments) from the previous response and
 * sets *last on the final one; installed decides from the last response (the EUICCResponse). */
typedef struct rsp_smdp_es8 {
    void *arg;
    rsp_err (*keyest)(void *arg, unsigned n, const rsp_buf *prev, rsp_buf *out, rsp_diag *diag);
    rsp_err (*load)(void *arg, const rsp_buf *package, unsigned n, const rsp_buf *prev, rsp_buf *out, bool *last,
                    rsp_diag *diag);
    rsp_err (*installed)(void *arg, const rsp_buf *last_resp, rsp_diag *diag);
} rsp_smdp_es8;

/* The product ES8: Scenario#3 key establishment signed with SK.DP.ECDSA (its CERT.DP.ECDSA sent
 * first) against PK.ECASD from the admitted CERT.ECASD, then SCP03t (SL 33, one 1 KB segment per
 * SendData). sk_dp and cert_dp are borrowed and must outlive the session. */
typedef struct rsp_smdp_es8_session {
    const rsp_eckey *sk_dp;
    const uint8_t *cert_dp;
    size_t cert_dp_len;
    rsp_eckey *pk_ecasd;        /* owned */
    uint8_t kvn;
    rsp_keyest_host h;
    rsp_scp03_keys keys;        /* secret */
    uint8_t hc[8];
    rsp_scp03_session scp;
} rsp_smdp_es8_session;
rsp_err rsp_smdp_es8_open(rsp_smdp_es8_session *s, const rsp_eckey *sk_dp, const uint8_t *cert_dp,
                          size_t cert_dp_len, const uint8_t *cert_ecasd, size_t cert_ecasd_len, uint8_t kvn,
                          rsp_diag *diag);
void rsp_smdp_es8_close(rsp_smdp_es8_session *s);
rsp_smdp_es8 rsp_smdp_es8_of(rsp_smdp_es8_session *s);

/* Journals a new download (req: id, op, type, eid, enable) at GET_EIS. RSP_ERR_EXISTS if id is known. */
rsp_err rsp_smdp_dl_start(rsp_smdp_inv *inv, const rsp_smdp_dl *req, rsp_diag *diag);
rsp_err rsp_smdp_dl_load(rsp_smdp_inv *inv, const char *id, rsp_smdp_dl *d);
/* The latest download of iccid onto eid (the owner of a profile); RSP_ERR_NOT_FOUND when none. */
rsp_err rsp_smdp_dl_find(rsp_smdp_inv *inv, const char *eid, const char *iccid, rsp_smdp_dl *d);
/* Runs (or resumes after a crash) download id to DONE (RSP_OK) or FAILED (an error); *out gets the
 * final record with its outcome. Failure before CreateISDP returns the identity to the pool; from
 * CreateISDP on the ISD-P is deleted and the identity spent (deleted). Resuming inside key
 * establishment or loading cleans up the same way: the ES8 session keys died with the process. */
/* Every journalled download (unfinished_only: not done nor failed, what a restarted daemon runs
 * again), sorted by id. *out malloc'd, caller frees. */
rsp_err rsp_smdp_dl_list(rsp_smdp_inv *inv, bool unfinished_only, rsp_smdp_dl **out, size_t *n);
/* Every download onto eid (finished or not), by id. *out malloc'd, caller frees. */
rsp_err rsp_smdp_dl_of_eid(rsp_smdp_inv *inv, const char *eid, rsp_smdp_dl **out, size_t *n);
rsp_err rsp_smdp_dl_run(rsp_smdp_inv *inv, const rsp_smdp_trust *t, const rsp_smdp_es3 *es3,
                        const rsp_smdp_es8 *es8, const char *id, int64_t now, rsp_smdp_dl *out, rsp_diag *diag);
rsp_err rsp_smdp_dl_run_ex(rsp_smdp_inv *inv, const rsp_smdp_trust *t, const rsp_smdp_es3 *es3,
                           const rsp_smdp_es8 *es8, const rsp_smdp_dl_hooks *hooks, const char *id, int64_t now,
                           rsp_smdp_dl *out, rsp_diag *diag);

/* ---- one download with the product clients (lib/smdp/runner.c) ----
 * rsp_smdp_dl_run over the ES3 client (HTTPS mTLS to the SM-SR) and the product ES8 session, opened
 * once admission has accepted the card's CERT.ECASD. The SM-SR's GetEIS may not carry the ECASD key
 * sets (rsp smsr keeps no certificates): then CERT.ECASD and the capabilities come from the EUM's EIS
 * file <eis_dir>/<EID>.json (ES1.RegisterEIS JSON, as `rsp eum make` writes it), the free memory
 * still from the SM-SR. Either way admission checks the chain to the CI. One runner serves one
 * thread (its ES3 client is synchronous). */
/* what: the ES3 function; n: the SendData's number (1..), else 0; seconds: the call's wall time. */
typedef void (*rsp_smdp_trace_fn)(void *arg, const char *dl_id, const char *what, unsigned n, rsp_err e,
                                  const rsp_diag *d, double seconds);
typedef struct rsp_smdp_runner_opts {
    const rsp_smdp_trust *trust;        /* borrowed, must outlive the runner */
    const rsp_eckey *sk_dp;             /* SK.DP.ECDSA, borrowed */
    const uint8_t *cert_dp;             /* CERT.DP.ECDSA (7F21), borrowed */
    size_t cert_dp_len;
    rsp_smdp_es3_client_opts es3;       /* strings read during rsp_smdp_runner_new only */
    const char *eis_dir;                /* optional; copied */
    rsp_smdp_trace_fn trace;            /* each ES3 call's outcome (may be NULL) */
    void *trace_arg;
    /* ISD-P keys kept (sealed under this key, borrowed, 16 or 32 bytes) once a download is installed,
     * for the SM-DP's later SCP03 sessions; NULL: not kept (no UpdateConnectivityParameters). */
    const uint8_t *master_key;
    size_t master_key_len;
    bool token_key;                     /* PUT KEY of a master delete token key in each download */
} rsp_smdp_runner_opts;
typedef struct rsp_smdp_runner rsp_smdp_runner;
rsp_err rsp_smdp_runner_new(const rsp_smdp_runner_opts *o, rsp_smdp_runner **out, rsp_diag *diag);
/* Runs (or resumes) the journalled download id, as rsp_smdp_dl_run. */
rsp_err rsp_smdp_runner_run(rsp_smdp_runner *r, rsp_smdp_inv *inv, const char *id, int64_t now, rsp_smdp_dl *out,
                            rsp_diag *diag);
/* The ES3 interface of the runner (its client, traced), for relayed calls. */
rsp_smdp_es3 rsp_smdp_runner_es3(rsp_smdp_runner *r);
rsp_smdp_es3_client *rsp_smdp_runner_client(rsp_smdp_runner *r);
/* ES2.UpdateConnectivityParameters of a profile this SM-DP installed: STORE DATA 3A07 params (the
 * A0{...} TLV) inside the SM-DP's SCP03 session with its ISD-P, through the SM-SR. */
rsp_err rsp_smdp_runner_ucp(rsp_smdp_runner *r, rsp_smdp_inv *inv, const char *eid, const char *iccid,
                            const uint8_t *params, size_t len, rsp_diag *diag);
/* Master delete of a profile this SM-DP installed with a token key: the DELETE with its token by
 * ES3.SendData to the ISD-R (POL1 does not stop it), then ES3.AuditEIS so the SM-SR learns the ISD-P is
 * gone. RSP_ERR_NOT_FOUND: no token key kept for iccid. */
rsp_err rsp_smdp_runner_master_delete(rsp_smdp_runner *r, rsp_smdp_inv *inv, const char *eid, const char *iccid,
                                      rsp_diag *diag);
/* From any thread: the download running (and the next ones) stop at the next ES3 call boundary, left
 * for a later run (rsp_smdp_es3.cancelled). */
void rsp_smdp_runner_cancel(rsp_smdp_runner *r);
void rsp_smdp_runner_free(rsp_smdp_runner *r);

/* ---- the SM-DP's SCP03 session with an ISD-P it downloaded (lib/smdp/isdp.c) ----
 * The session's static keys are those of the download's key establishment; with the master delete
 * token key (KVN 70) the SM-DP put, they are kept sealed under a master key in the inventory row of
 * the profile (store v13, committed with the download's "downloaded" mark), or, for profiles an older
 * SM-DP downloaded, in <dir>/isdp/<iccid>.key (docs/modules/smdp.md). */
#define RSP_SMDP_TOKEN_KVN 0x70
#define RSP_SMDP_ISDP_SEALED_LEN 114 /* "4B 44" || IV || AES-256-CBC(80 bytes) || CMAC */
typedef struct rsp_smdp_isdp_keys {
    rsp_scp03_keys keys;        /* secret */
    bool has_token;
    uint8_t token[16];          /* secret */
} rsp_smdp_isdp_keys;
void rsp_smdp_isdp_keys_wipe(rsp_smdp_isdp_keys *k);
/* The master key (16 or 32 bytes) from a file of 32 / 64 hex digits; path NULL: <dir>/master.key,
 * made (mode 0600, 32 random bytes) when missing. */
rsp_err rsp_smdp_master_key(const char *dir, const char *path, uint8_t key[32], size_t *len, rsp_diag *diag);
rsp_err rsp_smdp_isdp_keys_save(const char *dir, const uint8_t *mk, size_t mk_len, const char *iccid,
                                const rsp_smdp_isdp_keys *k);
/* RSP_ERR_NOT_FOUND: none kept; RSP_ERR_VERIFY: another master key or another ICCID's file. */
rsp_err rsp_smdp_isdp_keys_load(const char *dir, const uint8_t *mk, size_t mk_len, const char *iccid,
                                rsp_smdp_isdp_keys *k, rsp_diag *diag);
rsp_err rsp_smdp_isdp_keys_forget(const char *dir, const char *iccid);
/* The sealed form alone (the bytes of the key file; nothing written). */
rsp_err rsp_smdp_isdp_keys_seal(const uint8_t *mk, size_t mk_len, const char *iccid, const rsp_smdp_isdp_keys *k,
                                uint8_t out[RSP_SMDP_ISDP_SEALED_LEN]);
/* The inventory's copy (one committed write; RSP_ERR_NOT_FOUND for a profile not in the inventory);
 * get reads it, else an older SM-DP's key file in the inventory's folder; drop removes both. */
rsp_err rsp_smdp_isdp_keys_put(rsp_smdp_inv *inv, const uint8_t *mk, size_t mk_len, const char *iccid,
                               const rsp_smdp_isdp_keys *k);
rsp_err rsp_smdp_isdp_keys_get(rsp_smdp_inv *inv, const uint8_t *mk, size_t mk_len, const char *iccid,
                               rsp_smdp_isdp_keys *k, rsp_diag *diag);
rsp_err rsp_smdp_isdp_keys_drop(rsp_smdp_inv *inv, const char *iccid);
/* STORE DATA 3A07 around params (the A0{...} connectivity parameters TLV and what follows it):
 * 80 E2 88 00 Lc 3A07 L params. Appends to out. */
rsp_err rsp_smdp_ucp_apdu(const uint8_t *params, size_t len, rsp_buf *out);
/* PUT KEY of the token key under K-DEK: 80 D8 00 01 18 | 70 88 11 10 <key> 03 <KCV>; kcv gets the KCV. */
rsp_err rsp_smdp_put_token_apdu(const rsp_scp03_keys *k, const uint8_t token[16], rsp_buf *out, uint8_t kcv[3]);
/* The master delete DELETE to the ISD-R: 80 E4 00 40 Lc | 4F AID | B6{42 sin, 45 AID, 5F20 provider,
 * 93 token_id} | 9E AES-CMAC(token, 00 40 Lc' 4F.. B6..). */
rsp_err rsp_smdp_master_delete_apdu(const uint8_t token[16], const uint8_t *aid, size_t aid_len, const char *sin,
                                    const char *provider, uint8_t token_id, rsp_buf *out);
/* Runs cmds (plain C-APDUs) in one SCP03 session at security level 33 with the ISD-P of iccid:
 * INITIALIZE UPDATE by es3->send_data, EXTERNAL AUTHENTICATE and each wrapped command by es3->conn
 * (the SM-SR routes a SendData starting 84 as SCP03t). resp gets the last command's answer data
 * (R-MAC checked, deciphered). Any SW but 9000 fails the session. */
rsp_err rsp_smdp_isdp_session(const rsp_smdp_es3 *es3, const char *eid, const char *iccid, const rsp_scp03_keys *k,
                              const rsp_bytes *cmds, size_t n, rsp_buf *resp, rsp_diag *diag);

/* ---- ES2 (Operator -> SM-DP) ---- */
/* Accepts ES2.DownloadProfile from operator_id (taken from the caller's TLS client certificate, never
 * from the message): checks Eid, ProfileType (a pool of that operator) and FunctionCallIdentifier,
 * and journals the download (not run: the daemon's worker runs it). The download id derives from
 * (operator, FunctionCallIdentifier): a replay sets *replayed and returns the first download's
 * record. An Operator-chosen ICCID is refused (RSP_ERR_UNSUPPORTED): identities come from the pool. */
rsp_err rsp_smdp_es2_download(rsp_smdp_inv *inv, const char *operator_id, const rsp_es_download_req *req,
                              rsp_smdp_dl *out, bool *replayed, rsp_diag *diag);

/* ---- the daemon: `rsp smdp run` (lib/smdp/daemon.c, es2_api.c; docs/modules/smdp.md) ----
 * ES2 for Operators over lib/svc (mTLS, SOAP and JSON on one port, /metrics, /health, SIGTERM):
 * DownloadProfile is accepted at once and run on a worker thread (each with its own store connection
 * and ES3 client), its result going to the Operator (callback to ReplyTo, or the deferred answer
 * with "Prefer: wait"); the profile functions are relayed over ES3 on worker threads. Downloads left
 * unfinished by a stop or a crash are resumed at start (rsp_smdp_dl_list unfinished_only). */
struct rsp_svc_opts;
typedef struct rsp_smdp_daemon_opts {
    const char *dir, *store;            /* the inventory (rsp_smdp_inv_open) */
    const struct rsp_svc_opts *svc;     /* listen, tls_*, port_file, metrics_listen, ... (name, log,
                                         * handlers and hooks are set by the daemon) */
    const char *smsr_url;               /* https://HOST:PORT of the SM-SR's ES3 */
    const char *smsr_cert, *smsr_key, *smsr_ca; /* our identity toward the SM-SR (NULL: svc's tls_*) */
    const char *operators;              /* comma-separated Operator CNs allowed on ES2; NULL/"" = any CN
                                         * (a pool of that name is still needed to download) */
    const rsp_smdp_trust *trust;
    const rsp_eckey *sk_dp;
    const uint8_t *cert_dp;
    size_t cert_dp_len;
    const char *eis_dir;                /* see rsp_smdp_runner_opts */
    unsigned workers;                   /* download / relay threads; 0 = 2 */
    unsigned es3_timeout_ms;            /* per ES3 call; 0 = 60 s */
    const uint8_t *master_key;          /* see rsp_smdp_runner_opts (borrowed) */
    size_t master_key_len;
    bool token_key;                     /* see rsp_smdp_runner_opts */
    const char *callbacks;              /* "OP=https://...,OP=...": where each Operator's notifications go */
    const char *smsr_ids;               /* CNs allowed to send ES3 notifications; NULL/"": any CN that is not
                                         * one of the operators */
    unsigned cleanup_retry_ms;          /* a download left in cleanup runs again this often; 0 = 30 s */
    rsp_es_dialect smsr_dialect;        /* the SM-SR's ES3: gsma JSON (0) or njiwa SOAP 1.1; downloads and relays */
    const char *es3_dump_dir;           /* NULL, or where each ES3 request of the downloads is written as sent */
} rsp_smdp_daemon_opts;
/* Runs until SIGTERM / SIGINT: the stop refuses new work, downloads stop at their next ES3 call
 * boundary (journalled, resumed at the next start), ES2 calls still held are answered. */
rsp_err rsp_smdp_daemon_run(const rsp_smdp_daemon_opts *o, rsp_diag *diag);

#endif
