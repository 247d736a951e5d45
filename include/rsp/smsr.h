/* The SM-SR role library (SGP.02): ISD-R script builders, the E1 notification parser, the ONE
 * operation step table, and the engine that turns ES calls touching a card into durable store
 * operations and drives them over ES5 (SCP80 over SMS). See docs/modules/smsr.md.
 *
 * Durability: every engine call that decides something commits it to the store before it returns
 * a packet to send; a packet is only returned for an operation this engine holds (its fence), with
 * an SCP80 counter reserved under that fence. The step cursor of a multi-step operation lives in
 * the store's audit trail (event "smsr.step"), so any worker resumes an operation at the step it
 * reached. Time is the caller's (Unix seconds); nothing here reads a clock. */
#ifndef RSP_SMSR_H
#define RSP_SMSR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/store.h"

/* ---- ISD-R commands (SGP02.md "Card and SM-SR details") ---- */
/* Each appends one complete C-APDU to out; aid is the ISD-P AID (5..16 bytes). */
rsp_err rsp_smsr_apdu_enable(const uint8_t *aid, size_t aid_len, rsp_buf *out);       /* 3A03 */
rsp_err rsp_smsr_apdu_disable(const uint8_t *aid, size_t aid_len, rsp_buf *out);      /* 3A04 */
rsp_err rsp_smsr_apdu_set_fallback(const uint8_t *aid, size_t aid_len, rsp_buf *out); /* 3A05 */
rsp_err rsp_smsr_apdu_delete(const uint8_t *aid, size_t aid_len, rsp_buf *out);       /* 80E40040 */
rsp_err rsp_smsr_apdu_audit(const uint8_t *aid, size_t aid_len, rsp_buf *out);        /* GET STATUS */
rsp_err rsp_smsr_apdu_confirm(uint16_t seq, rsp_buf *out);                            /* 3A08 */
/* Wraps one C-APDU into an expanded definite script AA{22 ...}. */
rsp_err rsp_smsr_script_one(const rsp_buf *apdu, rsp_buf *out);

/* An E1 notification from the card. */
enum {
    RSP_SMSR_NOTIF_FIRST_ATTACH = 0x01,
    RSP_SMSR_NOTIF_PROFILE_CHANGE = 0x02,
    RSP_SMSR_NOTIF_ROLLBACK = 0x03,
    RSP_SMSR_NOTIF_FALLBACK = 0x05,
};
typedef struct rsp_smsr_notif {
    char eid[33];          /* upper-case hex */
    uint8_t type;
    uint16_t seq;
    uint8_t aid[16];
    size_t aid_len;        /* 0 if absent */
} rsp_smsr_notif;

/* Parses E1{4C EID, 4D type, 4E seq, <4F | 2F | AF> AID, ...} (outside input; diag says where).
 * The three AID tags seen in the field are all accepted. */
rsp_err rsp_smsr_notif_parse(const uint8_t *p, size_t len, rsp_smsr_notif *out, rsp_diag *diag);

/* ---- The operation step table ---- */
typedef enum rsp_smsr_fn {
    RSP_SMSR_FN_ENABLE = 0,
    RSP_SMSR_FN_DISABLE,
    RSP_SMSR_FN_DELETE,
    RSP_SMSR_FN_SET_FALLBACK,
    RSP_SMSR_FN_AUDIT,
    RSP_SMSR_FN_SET_EMERGENCY, /* ES4.SetEmergencyProfileAttribute: STORE DATA 3A06 (smsr_emergency.h) */
    RSP_SMSR_FN_CREATE_ISDP,   /* ES3.CreateISDP: INSTALL [for install] of the ISD-P (es3_dl.c) */
    RSP_SMSR_FN_SEND_DATA,     /* ES3.SendData: the SM-DP's bytes to its ISD-P (es3_dl.c) */
    RSP_SMSR_FN__COUNT
} rsp_smsr_fn;
/* The stored function name of ES3.UpdateConnectivityParameters: an operation of its own in metrics and
 * the audit trail, run by RSP_SMSR_FN_SEND_DATA's rows (rsp_smsr_fn_parse maps it there). */
#define RSP_SMSR_FN_UCP_NAME "ES3.UpdateConnectivityParameters"

typedef enum rsp_smsr_step {
    RSP_SMSR_STEP_COMMAND = 0, /* a command packet is to be sent (held, store SENT) */
    RSP_SMSR_STEP_WAIT_POR,    /* sent; waiting for its PoR (store AWAITING) */
    RSP_SMSR_STEP_WAIT_NOTIF,  /* PoR acknowledged; the outcome is the card's notification */
    RSP_SMSR_STEP_DONE,
    RSP_SMSR_STEP_FAILED,
    RSP_SMSR_STEP_EXPIRED,
    RSP_SMSR_STEP__COUNT
} rsp_smsr_step;

typedef enum rsp_smsr_event {
    RSP_SMSR_EV_SENT = 0,      /* the packet left (counter reserved, handed to the ESME) */
    RSP_SMSR_EV_POR_OK,        /* PoR 00 and every R-APDU successful */
    RSP_SMSR_EV_POR_REFUSED,   /* PoR 00 with a refusing status word (6985, 69E1, 6A88, ...) */
    RSP_SMSR_EV_POR_REFUSED_AGAIN, /* 6985 to a RESENT switch: the first packet likely switched */
    RSP_SMSR_EV_POR_SECURITY,  /* PoR status other than 00 (counter low, bad CC): send again */
    RSP_SMSR_EV_NOTIF_DONE,    /* notification 02 (enable) / 05 (disable) */
    RSP_SMSR_EV_NOTIF_ROLLBACK,/* notification 03 */
    RSP_SMSR_EV_TIMEOUT,       /* the holder's lease lapsed with no answer */
    RSP_SMSR_EV_DEADLINE,      /* the validity period ended */
    RSP_SMSR_EV_ADMIN_LOST,    /* sent in an admin session (HTTPS) that broke, or was never opened,
                                * before the card answered: send again */
    RSP_SMSR_EV__COUNT
} rsp_smsr_event;

const char *rsp_smsr_fn_name(rsp_smsr_fn fn);      /* "ES4.EnableProfile", ... */
rsp_err rsp_smsr_fn_parse(const char *name, rsp_smsr_fn *out);
const char *rsp_smsr_step_name(rsp_smsr_step st);
/* The one table: the step after `ev` in `st` for `fn`. RSP_ERR_STATE when the table has no row. */
rsp_err rsp_smsr_step_next(rsp_smsr_fn fn, rsp_smsr_step st, rsp_smsr_event ev, rsp_smsr_step *next);
/* The store state an operation is in while at step st. */
rsp_store_op_state rsp_smsr_step_store_state(rsp_smsr_step st);

/* ---- Engine ---- */
/* The ISD-R SCP81 PSK's key version paired with the SCP80 set at kvn80 (01 <-> 40, 02 <-> 41, ...): where a
 * card an SM-SR change brings here puts it (lib/euicc/isdp.c) and where this SM-SR looks it up. */
#define RSP_SMSR_PSK_KVN(kvn80) ((uint8_t)(0x3F + (kvn80)))
typedef struct rsp_smsr_config {
    const char *worker_id;     /* unique per process (fencing is per claim, this is for the audit) */
    uint8_t kvn;               /* ISD-R SCP80 key version (KIc = KID = kvn<<4 | 2: AES) */
    uint8_t spi[2];            /* default 16 39: CC, ciphered, counter higher; PoR ciphered + CC */
    uint32_t tar;              /* ISD-R TAR, 000001 */
    int64_t por_wait;          /* seconds the holder waits for a PoR before resending (first try) */
    int64_t por_wait_max;      /* cap of the doubling back-off */
    int64_t notif_wait;        /* seconds between checks while waiting for a notification */
    const uint8_t *master_key; /* borrowed, 16 or 32 bytes: ISD-R keys sealed at rest; NULL: clear */
    size_t master_key_len;
    /* ES5 transport per operation: SMS (SCP80), HTTPS (the script in the card's SCP81 admin
     * session), or AUTO: HTTPS when the card has a stored SCP81 PSK and the SCP80 packet would take
     * more than one SMS, else SMS. HTTPS needs a card with a PSK (else that operation goes by SMS). */
    enum { RSP_SMSR_ES5_SMS = 0, RSP_SMSR_ES5_HTTPS, RSP_SMSR_ES5_AUTO } es5_transport;
    uint8_t psk_kvn;           /* the SCP81 key version whose PSK makes a card reachable (0: the one paired
                                * with kvn, RSP_SMSR_PSK_KVN: 0x40 for the default kvn 1) */
    int64_t admin_wait;        /* seconds an operation sent over HTTPS waits (trigger + session) */
    /* NULL, or called once for each operation this engine settles as DONE or FAILED (the worker
     * that records the outcome), with its function name and the seconds from submit to settle
     * (the daemon's per-function metrics) */
    void (*on_settled)(void *arg, const char *function, rsp_store_op_state outcome, int64_t seconds);
    void *settled_arg;
} rsp_smsr_config;

void rsp_smsr_config_default(rsp_smsr_config *c);

typedef struct rsp_smsr rsp_smsr;

/* The engine borrows store (one connection, one thread) for its lifetime. */
rsp_err rsp_smsr_new(rsp_store *store, const rsp_smsr_config *cfg, rsp_smsr **out);
void rsp_smsr_free(rsp_smsr *e);

/* Who calls (from the peer certificate). */
typedef enum rsp_smsr_role {
    RSP_SMSR_ROLE_OPERATOR = 0,
    RSP_SMSR_ROLE_M2MSP,
    RSP_SMSR_ROLE_SMDP,
    RSP_SMSR_ROLE_SELF,        /* the SM-SR's own follow-ups (POL2 auto-delete) */
} rsp_smsr_role;

typedef struct rsp_smsr_request {
    rsp_smsr_fn fn;
    rsp_smsr_role role;
    const char *requester;     /* identity from the certificate */
    const char *fcid;          /* FunctionCallIdentifier */
    const char *eid;
    const char *iccid;
    int64_t now;
    int64_t validity;          /* seconds */
} rsp_smsr_request;

/* The outcome of a function, as ES answers it. */
typedef struct rsp_smsr_result {
    int64_t op_id;             /* 0 when refused before an operation existed */
    rsp_store_op_state state;  /* QUEUED..EXPIRED */
    bool replayed;             /* the FCID was seen: this is the first call's outcome */
    char status[24];           /* "" while pending, else Executed-Success | Failed | Expired */
    char subject[8], reason[8];
    char message[96];
} rsp_smsr_result;

/* Checks authorisation, POL2 and the fall-back attribute, then queues the operation durably (or
 * records the refusal durably, so a replay answers it again). A replayed FCID with the same request
 * returns the first result; with a different request it is refused (1.1 / 2.1). */
rsp_err rsp_smsr_submit(rsp_smsr *e, const rsp_smsr_request *req, rsp_smsr_result *res);
/* The current outcome of an operation. */
rsp_err rsp_smsr_result_get(rsp_smsr *e, int64_t op_id, rsp_smsr_result *res);

/* An SCP80 command packet ready for the ESME: user data parts (UDH first); or, when https is set,
 * the expanded script for the card's admin session (its answer goes to rsp_smsr_on_admin). */
/* RSP_SMSR_MAX_PARTS: an SCP80 packet's SMS (the card reassembles up to 255): 40 carry 4 SCP03t
 * segments of one ES3.SendData (lib/smdp/es8.c) when a download goes by SMS only. */
enum { RSP_SMSR_MAX_PARTS = 40 };
typedef struct rsp_smsr_packet {
    char eid[33];
    char msisdn[21];           /* destination: the enabled profile's MSISDN */
    int64_t op_id;             /* 0 for a notification confirmation */
    uint64_t counter;
    size_t n;
    rsp_buf parts[RSP_SMSR_MAX_PARTS];
    bool https;                /* ES5 over HTTPS: script (AA{22 C-APDU}) instead of parts */
    rsp_buf script;
    int64_t generation;        /* of the claim that sent it (for rsp_smsr_on_admin) */
} rsp_smsr_packet;
void rsp_smsr_packet_clear(rsp_smsr_packet *p);

/* Claims the next operation that needs a packet (a queued one, or one whose lease lapsed), resumes
 * it at its durable step, and, when a command must go out, reserves a counter under its fence and
 * fills *pkt (committed as WAIT_POR before return). RSP_ERR_END when nothing is to be sent now. */
rsp_err rsp_smsr_next(rsp_smsr *e, int64_t now, rsp_smsr_packet *pkt);

/* A PoR (SMS user data, UDH 02 71 00 first) from the card of eid: matched to its operation through
 * the counter recorded in the store. RSP_ERR_NOT_FOUND when no operation waits for it. */
rsp_err rsp_smsr_on_por(rsp_smsr *e, const char *eid, const uint8_t *ud, size_t len, int64_t now,
                        rsp_diag *diag);

/* The answer of the card's admin session to the script of op_id sent by the claim of generation
 * (an R-APDU script AB{...} in body), or lost = true when the session broke or never opened: the
 * same table rows as a PoR (ADMIN_LOST: send again). RSP_ERR_NOT_FOUND when the op no longer waits
 * for it (settled, or taken over). */
rsp_err rsp_smsr_on_admin(rsp_smsr *e, const char *eid, int64_t op_id, int64_t generation, const uint8_t *body,
                          size_t len, bool lost, int64_t now, rsp_diag *diag);

/* An MO command packet (from CPL on, reassembled) from the card of eid carrying an E1
 * notification: the EIS is updated, the waiting operation (if any) completes, POL2 auto-delete is
 * queued, and *confirm gets the 3A08 confirmation packet (also for a duplicate). */
rsp_err rsp_smsr_on_mo(rsp_smsr *e, const char *eid, const uint8_t *pkt, size_t len, int64_t now,
                       rsp_smsr_packet *confirm, rsp_diag *diag);

/* Expires operations past their validity period (their result: Expired 1.6 / 5.3). */
rsp_err rsp_smsr_expire(rsp_smsr *e, int64_t now, size_t *n);
/* The same, telling fn how many of each function expired (the daemon's metrics). */
rsp_err rsp_smsr_expire_each(rsp_smsr *e, int64_t now, void (*fn)(void *arg, const char *function, size_t n),
                             void *arg, size_t *n);

/* ---- What the SM-SR knows of a card (import.c) ---- */
struct rsp_es_eis;
/* Stores the EIS and its profiles and records each profile's MSISDN in the index. The caller has
 * verified the EUM signature (ES1.RegisterEIS) or trusts the source. */
rsp_err rsp_smsr_eis_import(rsp_smsr *e, const struct rsp_es_eis *eis, int64_t now);
/* ES1.RegisterEIS (es1.c): what the SM-SR trusts. Borrowed. */
typedef struct rsp_smsr_es1_trust {
    const struct rsp_eckey *ci;       /* the CI's public key: CERT.EUM must chain to it */
    const uint8_t *transport_key;     /* 16 bytes (keyWrapping aes128kw-transport-key), or NULL */
    const struct rsp_eckey *smsr_key; /* private (keyWrapping ecies-x963-sha256-aes128kw), or NULL */
    struct rsp_crl_file *crl;         /* the CI's CRL (--crl), or NULL: CERT.EUM must not be revoked */
} rsp_smsr_es1_trust;
typedef struct rsp_smsr_refusal {
    char subject[8], reason[8]; /* SGP.02 status codes; empty when the failure is ours */
} rsp_smsr_refusal;
/* Checks the EIS (chain, EumSignature, keys unwrap) and stores it with its SCP80 keys sealed.
 * Refusals: RSP_ERR_VERIFY / FORMAT / UNSUPPORTED / CHECKSUM with ref set (docs/modules/smsr.md);
 * other errors (ref empty) are the store's. */
rsp_err rsp_smsr_eis_register(rsp_smsr *e, const rsp_smsr_es1_trust *t, const struct rsp_es_eis *eis,
                              int64_t now, rsp_smsr_refusal *ref, rsp_diag *d);
/* Stores the ISD-R SCP80 keys of one EUM keys-out line ({"eid", "scp80": {"kvn","kic","kid"}}). */
rsp_err rsp_smsr_keys_import(rsp_smsr *e, const char *line, size_t len);
/* Records that msisdn reaches the card eid (audit event "smsr.msisdn"). RSP_ERR_EXISTS (logged) when a
 * profile of another eUICC holds msisdn: the number stays with that card. */
rsp_err rsp_smsr_msisdn_register(rsp_smsr *e, const char *eid, const char *msisdn, int64_t now);

/* MSISDN -> EID, learnt by reading the audit trail forward (any worker sees every registration). */
typedef struct rsp_smsr_index rsp_smsr_index;
rsp_err rsp_smsr_index_new(rsp_smsr_index **out);
void rsp_smsr_index_free(rsp_smsr_index *ix);
rsp_err rsp_smsr_index_refresh(rsp_smsr *e, rsp_smsr_index *ix);
const char *rsp_smsr_index_eid(const rsp_smsr_index *ix, const char *msisdn); /* NULL: unknown */

/* ---- ES4 over HTTPS (es_api.c): handlers for lib/svc's ES endpoint ---- */
typedef struct rsp_smsr_es rsp_smsr_es;
struct rsp_es_handler;
/* m2msp_ids / smdp_ids: comma-separated certificate CNs of those roles (others are Operators). */
rsp_err rsp_smsr_es_new(rsp_smsr *e, const char *m2msp_ids, const char *smdp_ids, rsp_smsr_es **out);
/* EnableProfile, DisableProfile, DeleteProfile, SetFallBackAttribute of ES4 (borrowed array). */
const struct rsp_es_handler *rsp_smsr_es_handlers(rsp_smsr_es *x, size_t *n);
/* Answers the calls whose operation has settled (call it after engine work). */
void rsp_smsr_es_poll(rsp_smsr_es *x);
/* Enables ES1.RegisterEIS with these keys (copied struct; the keys are borrowed). */
void rsp_smsr_es_set_es1(rsp_smsr_es *x, const rsp_smsr_es1_trust *t);
/* Answers every waiting call (8.7 / 3.7: stopping); their operations go on in the store. */
void rsp_smsr_es_stop(rsp_smsr_es *x);
void rsp_smsr_es_free(rsp_smsr_es *x);

/* ---- AuditEIS (audit.c): the card's GET STATUS answer ---- */
/* One ISD-P of a GET STATUS answer: E3 {4F AID, 9F70 life cycle state, [53 flags], [8F quota],
 * [91 free memory]} (docs/modules/euicc.md; flags: 01 fall-back, 02 emergency, 04 test). */
typedef struct rsp_smsr_isdp_status {
    uint8_t aid[16];
    size_t aid_len;  /* 5..16 */
    uint8_t lcs;     /* 07 selectable, 0F personalized, 1F disabled, 3F enabled */
    bool has_flags, has_quota, has_free;
    uint8_t flags;
    uint32_t quota, free_mem;
} rsp_smsr_isdp_status;
#define RSP_SMSR_STATUS_MAX 32 /* ISD-Ps in one answer */
/* Parses the data of a GET STATUS answer (a sequence of E3, outside input): at most cap entries
 * into out, *n of them. Each E3 needs 4F (5..16 bytes) and 9F70 (1 byte); 53 is 1 byte, 8F and 91
 * 4 bytes; a tag twice in one E3, another top-level tag, an empty answer or a bad TLV is
 * an error (RSP_ERR_FORMAT, _LENGTH, _TRUNCATED) with the offset in diag; other tags inside E3 are
 * skipped. */
rsp_err rsp_smsr_status_parse(const uint8_t *p, size_t len, rsp_smsr_isdp_status *out, size_t cap, size_t *n,
                              rsp_diag *d);

/* ---- The daemon (daemon.c): ESME to the SMSC, the engine pumped on a timer ---- */
struct rsp_svc_opts;
typedef struct rsp_smsr_daemon_opts {
    const char *db;            /* store URI */
    const char *smsc_host;
    uint16_t smsc_port;
    const char *system_id, *password;
    const char *msisdn;        /* the SM-SR's own number (bind address range, MO destination) */
    const char *worker_id;
    unsigned tick_ms;          /* engine pump period; 0 = 200 */
    int64_t por_wait, notif_wait; /* 0 = defaults */
    const uint8_t *master_key;    /* borrowed; see rsp_smsr_config */
    size_t master_key_len;
    /* ES over HTTPS with mutual TLS (lib/svc): NULL listen = no ES endpoint */
    const char *listen, *tls_cert, *tls_key, *tls_ca, *port_file;
    const char *m2msp_ids, *smdp_ids; /* comma-separated CNs of M2M SPs / SM-DPs; others: Operators */
    const rsp_smsr_es1_trust *es1;    /* ES1.RegisterEIS trust; NULL: ES1 refuses (8.7 / 3.7) */
    /* ES5 over HTTPS (SCP81 admin sessions, PSK-TLS): NULL admin_listen = SMS only */
    const char *admin_listen;     /* HOST:PORT, port 0 = ephemeral */
    const char *admin_port_file;  /* the bound port, written once listening (tests) */
    const char *admin_host;       /* the host the trigger names; NULL: admin_listen's host */
    unsigned admin_idle_ms;       /* an open session with nothing to send ends after this; 0 = 10 s */
    unsigned admin_trigger_ms;    /* a trigger unanswered this long is resent; 0 = 10 s */
    /* "ID=URLPREFIX[,ID=URLPREFIX...]": each peer's callback URLs (docs/modules/smsr.md, "Results,
     * callbacks and ONC"); NULL: every ReplyTo refused, no ONC notification has a URL */
    const char *callbacks;
    int es5_transport;            /* RSP_SMSR_ES5_*: HTTPS and AUTO need admin_listen */
    /* NULL, or the svc settings beyond the listener (metrics_listen, max_connections, max_pending,
     * stop_grace_ms, callback_queue, callback_timeout_ms; [smsr] of the config file) */
    const struct rsp_svc_opts *svc;
    const char *system_type;      /* SMPP bind system_type; NULL: empty */
    unsigned smpp_window;         /* outstanding submit_sm; 0 = 10 */
    unsigned smpp_rate;           /* submit_sm per second; 0 = unlimited */
    unsigned enquire_link_ms;     /* 0 = 30 s */
    /* NULL, or the web console's listener on this loop (include/rsp/smsr_console.h) */
    const struct rsp_smsr_console_opts *console;
    uint8_t kvn;                  /* the ISD-R SCP80 key version this SM-SR uses (0 = 1); a card moved
                                   * here by an SM-SR change gets its keys at this version */
    const char *eis_dir;          /* NULL, or the EUM's EIS files (<EID>.json): CERT.ECASD in the EIS
                                   * handed over by ES7.HandoverEUICC (docs/modules/smsr_change.md) */
} rsp_smsr_daemon_opts;

/* Runs until SIGTERM/SIGINT; in-flight operations stay in the store, resumable by any worker. */
rsp_err rsp_smsr_daemon_run(const rsp_smsr_daemon_opts *o, rsp_diag *diag);

#endif
