/* The SM-SR change (SGP02.md "SM-SR change", docs/modules/smsr_change.md): one procedure per eUICC on
 * each side, SM-SR1 (the sender, S: the card's current SM-SR) and SM-SR2 (the receiver, R).
 *
 * The ONE state table of the procedure is change.c's (both roles); its durable step cursor is the
 * last "smsr.change" audit entry of the card (the engine's pattern: the audit trail is append-only and
 * shared by every worker), written BEFORE the step's effect. The ES handlers (es7_api.c) never block:
 * they record a step, or answer from the store, with "Executed-WithWarning" (1.6 / 3.7 "in progress")
 * while the peer should ask again. The driver (change_drv.c, its own thread and store connection) moves
 * each open procedure one step at a time by calling the peer (ES7 over mutual TLS) and submitting
 * ISD-R commands to the engine (change_isdr.c). */
#ifndef RSP_SMSR_CHANGE_H
#define RSP_SMSR_CHANGE_H

#include "rsp/keyest.h"
#include "smsr_int.h"

typedef enum smsr_chg_step {
    CHG_NONE = 0,
    /* the sender (SM-SR1) */
    CHG_S_REQUESTED,  /* ES4.SMSRChange accepted: HandoverEUICC to the target until it answers */
    CHG_S_DONE,       /* the target took the card: the EIS is deleted here */
    CHG_S_FAILED,     /* the target refused: the card stays here, nothing changed */
    /* the receiver (SM-SR2) */
    CHG_R_PREPARED,   /* ES4.PrepareSMSRChange accepted: waiting for the HandoverEUICC */
    CHG_R_HANDED,     /* the EIS is here (no keys yet): AuthenticateSMSR through the sender */
    CHG_R_AUTH,       /* the card's challenge is known: make the ephemeral key */
    CHG_R_KEYSET,     /* ephemeral key stored (sealed): CreateAdditionalKeySet through the sender */
    CHG_R_KEYS,       /* the receipt verified, the new key sets stored: 3A07 (our address) to the card */
    CHG_R_ADDR,       /* the card sends its notifications here: FinaliseISDRhandover (DELETE) */
    CHG_R_DONE,       /* the sender's keys are gone from the card: the card is ours alone */
    CHG_R_FAILED,     /* stopped before any key of ours was usable: our copy of the EIS dropped */
    CHG__COUNT
} smsr_chg_step;

typedef enum smsr_chg_event {
    CHG_EV_CHANGE = 0,   /* S: ES4.SMSRChange */
    CHG_EV_HANDOVER_OK,  /* S: the target answered HandoverEUICC Executed-Success */
    CHG_EV_HANDOVER_NO,  /* S: the target answered Failed */
    CHG_EV_PREPARE,      /* R: ES4.PrepareSMSRChange */
    CHG_EV_HANDOVER_IN,  /* R: HandoverEUICC from the SM-SR named by the Prepare */
    CHG_EV_AUTH_OK,      /* R: AuthenticateSMSR answered the card's challenge */
    CHG_EV_KEYSET_SENT,  /* R: the ephemeral key is durable, CreateAdditionalKeySet may go */
    CHG_EV_RECEIPT_OK,   /* R: the card's receipt verifies; key sets stored */
    CHG_EV_RECEIPT_BAD,  /* R: the receipt does not verify: stop */
    CHG_EV_CARD_RETRY,   /* R: the card refused 3A01/3A02 (or the sender failed it): a fresh attempt */
    CHG_EV_GIVE_UP,      /* R: attempts exhausted, or the sender refuses */
    CHG_EV_ADDR_OK,      /* R: 3A07 done */
    CHG_EV_DELETE_OK,    /* R: DELETE of the sender's key sets done (or 6A88 to a resend: done before) */
    CHG_EV_RESEND,       /* R: our own 3A07 / DELETE operation failed or expired: a new one (sub + 1) */
    CHG_EV__COUNT
} smsr_chg_event;

/* The table's row for (step, event): RSP_ERR_STATE when there is none (the event is refused). */
rsp_err smsr_chg_next(smsr_chg_step from, smsr_chg_event ev, smsr_chg_step *to);
const char *smsr_chg_step_name(smsr_chg_step s);
/* Which side may manage the card while the procedure is at s (docs/modules/smsr_change.md):
 * 'S' the sender, 'R' the receiver, 'B' both hold working keys (R_KEYS: the window the DELETE closes). */
char smsr_chg_manager(smsr_chg_step s);
#define SMSR_CHG_ATTEMPTS 3 /* key establishments tried before the receiver gives up */

/* A procedure's cursor as kept in the audit trail ("smsr.change"). */
typedef struct smsr_chg {
    char eid[33];
    smsr_chg_step step;
    char peer[RSP_STORE_ID_LEN]; /* the other SM-SR's certificate CN */
    char by[RSP_STORE_ID_LEN];   /* the Operator (or M2M SP) that asked */
    char fcid[64];               /* S: the SMSRChange's FunctionCallIdentifier (a repeat polls, a new one retries) */
    unsigned attempt;            /* R: key establishment attempt, growing for the card forever (FCIDs name it) */
    unsigned sub;                /* R: attempts of this procedure before R_KEYS; then resubmissions of
                                  * the current own ISD-R command */
    uint8_t old80, old81;        /* R: the sender's SCP80 / SCP81 KVNs (0: none) */
    uint8_t rc[16];
    bool has_rc;
    char why[96];
    int64_t ts;
} smsr_chg;

rsp_err smsr_chg_encode(const smsr_chg *c, char *out, size_t cap);
rsp_err smsr_chg_decode(const char *detail, smsr_chg *c);
/* The latest cursor of eid (c->step CHG_NONE when the card never had one). */
rsp_err smsr_chg_get(rsp_store *st, const char *eid, smsr_chg *c);
/* Appends the cursor (moving to `to` by ev from c->step, checked against the table) and updates *c. */
rsp_err smsr_chg_move(rsp_store *st, smsr_chg *c, smsr_chg_event ev, const char *actor, int64_t now);

/* ---- ISD-R commands of the change (change_isdr.c) ---- */
struct rsp_es_key_req;
/* FinaliseISDRhandover: 80 E4 00 00 Lc {F2 03 KVN first-key last-key}: SCP80 old80 keys 1-3, SCP81
 * old81 keys 1-2 (old81 0: none). Appends one C-APDU. */
rsp_err smsr_chg_delete_apdu(uint8_t old80, uint8_t old81, rsp_buf *out);
/* 3A07 on the ISD-R: STORE DATA 80 E2 88 00 | 3A07 L A3 {81 L TOA(91) BCD(msisdn)} (the card's SM-SR
 * addressing parameters, SGP02.md "SM-SR addressing parameters"; 81 = SMS address, ours). */
rsp_err smsr_chg_addr_apdu(const char *msisdn, rsp_buf *out);
/* The second STORE DATA of EstablishISDRKeySet rebuilt by the sender from ES7.CreateAdditionalKeySet's
 * fields (the receiver signed these exact bytes): 80 E2 89 01 | 3A02 L A6{CRT, 96 01 00} | 7F49 | 5F37. */
rsp_err smsr_chg_keyset_apdu(const struct rsp_es_key_req *q, rsp_buf *out);
/* The inverse, for the receiver: the ES7 fields of a 3A02 C-APDU it built and signed. */
rsp_err smsr_chg_keyset_fields(const uint8_t *apdu, size_t len, struct rsp_es_key_req *q);
/* An ISD-R C-APDU as an engine operation of the SM-SR holding e (the ES3.SendData rows: INSTALL [for
 * personalization] of the ISD-R + the C-APDU by SMS, the card's answer data kept in the result).
 * (requester, fcid) makes it idempotent: a replay gives the first operation's id. */
rsp_err smsr_chg_isdr_submit(rsp_smsr *e, const char *eid, const char *requester, const char *fcid,
                             const rsp_buf *apdu, int64_t now, int64_t *op_id);
/* The state of that operation: 0 pending, 1 done (data = the card's answer to the C-APDU), -1 failed
 * (msg says why: "refused by the eUICC: ... SW 6A88" ...). */
int smsr_chg_isdr_result(rsp_smsr *e, int64_t op_id, rsp_buf *data, char msg[96]);
/* The new ISD-R key sets the card made (isdp.c isdr_new_keys: SCP80 KIc = K-ENC, KID = K-MAC at kvn;
 * SCP81 PSK = K-DEK at kvn81), stored sealed for eid. */
rsp_err smsr_chg_keys_store(rsp_smsr *e, const char *eid, uint8_t kvn, uint8_t kvn81, const rsp_scp03_keys *k);
/* The receiver's ephemeral private key between its CreateAdditionalKeySet and the receipt: a key set
 * row of its own (KVN SMSR_CHG_ESK_KVN), sealed like the ISD-R keys. */
#define SMSR_CHG_ESK_KVN 0x7E
rsp_err smsr_chg_esk_put(rsp_smsr *e, const char *eid, const uint8_t d[32]);
rsp_err smsr_chg_esk_get(rsp_smsr *e, const char *eid, uint8_t d[32]);

/* The file at path into out (appended), refused above max bytes (RSP_ERR_LENGTH); RSP_ERR_NOT_FOUND
 * when it cannot be opened. For the small local files of the change: CERT.SR, the EUM's EIS. */
rsp_err smsr_chg_read_file(const char *path, size_t max, rsp_buf *out);

/* ---- wiring (es7_api.c handlers, change_drv.c driver; the daemon calls these) ---- */
typedef struct smsr_chg_opts {
    const char *db;                         /* the driver's own store connection */
    const char *tls_cert, *tls_key, *tls_ca; /* ES7 client = the daemon's identity; CERT.SR.ECDSA is the
                                             * `gpcert` beside tls_key (the `rsp ci issue` folder) */
    const char *callbacks;                  /* ID=URL: the peer SM-SRs' ES endpoints, the Operators' URLs */
    const char *msisdn;                     /* ours: the card's new SM-SR address (3A07) */
    const char *m2msp_ids, *smdp_ids;       /* roles by CN, as ES4 */
    const char *eis_dir;                    /* the EUM's EIS files: CERT.ECASD for the EIS handed over */
} smsr_chg_opts;
typedef struct smsr_chg_es smsr_chg_es;
struct rsp_es_handler;
/* e borrowed (the daemon's engine, main thread). Starts the driver thread. */
rsp_err smsr_chg_es_new(rsp_smsr *e, const smsr_chg_opts *o, smsr_chg_es **out, rsp_diag *d);
/* Replaces *h (n entries) by a copy followed by the change's handlers, owned by x. */
rsp_err smsr_chg_es_merge(smsr_chg_es *x, const struct rsp_es_handler **h, size_t *n);
/* Stops and joins the driver (a blocking call ends within its timeout), frees everything. */
void smsr_chg_es_free(smsr_chg_es *x);

#endif
