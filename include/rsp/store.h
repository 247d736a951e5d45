/* The store: every durable fact of the SM-SR and SM-DP (EIS, profiles, key sets and SCP80 counters,
 * operations, audit trail, PLMA/ONC, SM-DP profile inventory) behind one API with two backends:
 * SQLite (embedded default) and PostgreSQL (scale-out). See docs/modules/store.md.
 *
 * Handles: an rsp_store is one database connection. It is not thread-safe: open one per thread
 * (they may share the same database; claims and counter reservations are safe across connections
 * and processes).
 * Durability: every function that writes has committed durably before it returns RSP_OK; when it
 * returns an error, nothing of the write is visible (a failed commit, e.g. a full disk, is an error).
 * Ownership: an operation is held by the worker that claimed it, for its lease; the claim's
 * generation is the fence (rsp_store_fence) that every write about the operation presents, and a
 * stale holder's writes are refused with RSP_STORE_FENCED. See docs/modules/store.md, "Guarantees".
 * Strings: identifiers are NUL-terminated text in fixed arrays of the structs; over-long inputs are
 * refused with RSP_ERR_LENGTH rather than truncated.
 * Buffers: rsp_buf members of structs filled by the store are owned by the struct; release them
 * with the matching rsp_store_*_clear (which wipes key material). Arrays returned by *_list are
 * malloc'd and freed by the caller with free(). Time values are Unix seconds (int64). */
#ifndef RSP_STORE_H
#define RSP_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

#define RSP_STORE_ID_LEN 128   /* EUM, SM-SR, SM-DP, MNO, M2M SP ids, requester, FCID, profile type */
#define RSP_STORE_SCHEMA_VERSION 13

typedef struct rsp_store rsp_store;

/* The error of a write about an operation whose fence is stale: the operation was claimed again
 * (taken over after the lease lapsed) or finished, or the lease lapsed before a renewal or counter
 * reservation. The writer no longer holds the operation and must stop working on it. (Among the
 * operation-scoped writes, RSP_ERR_DENIED means nothing else.) */
#define RSP_STORE_FENCED RSP_ERR_FENCED

/* Proof of holding an operation: its id and the generation its claim gave it
 * ({op.id, op.generation} after rsp_store_op_claim). */
typedef struct rsp_store_fence {
    int64_t op_id;
    int64_t generation;
} rsp_store_fence;

/* Opens "sqlite:/path/file.db", "postgresql://..." / "postgres://...", or any libpq key=value conninfo
 * (recognised by containing '='). Creates or migrates the schema; a database of a newer schema
 * version than this build knows is refused with RSP_ERR_UNSUPPORTED and a message in diag. */
rsp_err rsp_store_open(const char *uri, rsp_diag *diag, rsp_store **out);
void rsp_store_close(rsp_store *s);
/* "sqlite" or "postgresql". */
const char *rsp_store_backend(const rsp_store *s);
/* Schema version of the open database. */
rsp_err rsp_store_schema_version(rsp_store *s, int *version);

/* ---- Group commit (lib/store/batch.c; docs/modules/store.md "Group commit") ----
 * Between rsp_store_batch_begin and rsp_store_batch_commit, the "committed durably before it returns"
 * promise above is deferred: each writing function still succeeds or fails as a whole (it runs as a
 * SAVEPOINT: its own rollback undoes only its part) and its writes are visible to this handle at once,
 * but they become durable, and visible to other connections, only when rsp_store_batch_commit returns
 * RSP_OK. So nothing that reveals them (an answer, an SMS, a callback) may leave the process before.
 * rsp_store_batch_commit returning an error means NONE of the batch's writes happened (rolled back),
 * whatever its functions returned: the caller must drop what it decided in the batch. Once the batch's
 * transaction is lost (an engine error rolled it all back) every later write in it fails with that
 * error. The transaction is opened by the first write (a batch without writes costs nothing); on
 * SQLite the writer lock is held from there to the batch commit. */
typedef struct rsp_store_batch_stats {
    uint64_t commits; /* durable commits made by this handle: batches with writes, and writes outside a batch */
    uint64_t batches; /* batches committed that had written something (failed ones included) */
    uint64_t units;   /* units of work (transactions, single writes) run inside batches */
    uint64_t failed;  /* batches whose commit failed (rolled back) */
} rsp_store_batch_stats;
rsp_err rsp_store_batch_begin(rsp_store *s); /* RSP_ERR_STATE if one is open */
rsp_err rsp_store_batch_commit(rsp_store *s); /* RSP_ERR_STATE if none is open */
void rsp_store_batch_abort(rsp_store *s);     /* rolls the open batch back, if any */
bool rsp_store_batch_open(const rsp_store *s);
void rsp_store_batch_stats_get(const rsp_store *s, rsp_store_batch_stats *out);
/* fn(arg) runs whenever a batch's transaction opens (its first write): lib/svc uses it to end the
 * event-loop turn before libevent polls again (docs/modules/svc.md "Group commit"). NULL removes it. */
typedef void (*rsp_store_batch_fn)(void *arg);
void rsp_store_batch_hook(rsp_store *s, rsp_store_batch_fn fn, void *arg);

/* ---- EIS ---- */
enum {
    RSP_STORE_CAP_CATTP = 1u << 0,
    RSP_STORE_CAP_HTTP = 1u << 1,
};

typedef struct rsp_store_eis {
    char eid[33];
    char eum_id[RSP_STORE_ID_LEN];
    char production_date[32];
    char platform_type[64];
    char platform_version[32];
    uint32_t caps;                  /* RSP_STORE_CAP_* */
    char cattp_version[16];
    char http_version[16];
    char secure_packet_version[16];
    char rp_version[16];            /* RemoteProvisioningVersion */
    int64_t remaining_memory;
    int64_t available_memory;       /* AvailableMemoryForProfiles */
    int64_t last_audit;             /* 0: never audited */
    char smsr_id[RSP_STORE_ID_LEN];
    rsp_buf signed_blob;            /* the EIS as signed by the EUM, verbatim (owned) */
} rsp_store_eis;

void rsp_store_eis_clear(rsp_store_eis *e);
/* Inserts or replaces the EIS of e->eid (profiles are kept). */
rsp_err rsp_store_eis_put(rsp_store *s, const rsp_store_eis *e);
/* Fills *e (cleared first; caller clears after). RSP_ERR_NOT_FOUND if unknown. */
rsp_err rsp_store_eis_get(rsp_store *s, const char *eid, rsp_store_eis *e);
/* Deletes the EIS and its profiles and key sets (operations and audit stay). */
rsp_err rsp_store_eis_delete(rsp_store *s, const char *eid);

/* ---- Profiles (ProfileInfo of the EIS) ---- */
typedef enum rsp_store_profile_state {
    RSP_STORE_PROFILE_IN_CREATION = 0, /* ISD-P being created / loaded */
    RSP_STORE_PROFILE_CREATED = 1,     /* ISD-P exists, download not completed */
    RSP_STORE_PROFILE_DISABLED = 2,
    RSP_STORE_PROFILE_ENABLED = 3,
} rsp_store_profile_state;

/* POL2 as a rule set: Subject is always PROFILE, so a rule is (Action, Qualification), one bit each. */
enum {
    RSP_STORE_POL2_DISABLE_NOT_ALLOWED = 1u << 0,
    RSP_STORE_POL2_DELETE_NOT_ALLOWED = 1u << 1,
    RSP_STORE_POL2_ENABLE_NOT_ALLOWED = 1u << 2,
    RSP_STORE_POL2_DISABLE_AUTO_DELETE = 1u << 3,
};

typedef struct rsp_store_profile {
    char iccid[21];
    char eid[33];
    char isdp_aid[33];              /* upper-case hex */
    char mno_id[RSP_STORE_ID_LEN];
    char smdp_id[RSP_STORE_ID_LEN];
    char profile_type[RSP_STORE_ID_LEN];
    char msisdn[21];
    char imsi[17];
    rsp_store_profile_state state;
    bool fallback;
    uint32_t pol2;                  /* RSP_STORE_POL2_* */
    int64_t allocated_memory;
    bool emergency;                 /* v6: the emergency profile attribute (one per eUICC at most) */
} rsp_store_profile;

/* Inserts or replaces (by ICCID). The EIS must exist (RSP_ERR_NOT_FOUND otherwise). At most one
 * profile per eUICC is enabled (schema v9, a constraint of the store): putting an enabled profile
 * while another of its eUICC is enabled, or setting it enabled, is RSP_ERR_STATE (logged with both
 * ICCIDs); a switch writes the disable first, in the same transaction. */
rsp_err rsp_store_profile_put(rsp_store *s, const rsp_store_profile *p);
rsp_err rsp_store_profile_get(rsp_store *s, const char *iccid, rsp_store_profile *p);
/* A profile of an eUICC other than not_eid whose MSISDN is msisdn (any one), into *out
 * (lib/store/lookup.c). RSP_ERR_NOT_FOUND when none. */
rsp_err rsp_store_profile_msisdn_other(rsp_store *s, const char *msisdn, const char *not_eid,
                                       rsp_store_profile *out);
/* The MSISDN of eid's enabled profile into out ("" when none is enabled): one probe of
 * profile_one_enabled (the SM-SR addresses every packet by it; lib/store/lookup.c). */
rsp_err rsp_store_profile_enabled_msisdn(rsp_store *s, const char *eid, char out[21]);
/* All profiles of an eUICC ordered by ISD-P AID; *out is malloc'd (NULL when *n is 0). */
rsp_err rsp_store_profile_list(rsp_store *s, const char *eid, rsp_store_profile **out, size_t *n);
rsp_err rsp_store_profile_set_state(rsp_store *s, const char *iccid, rsp_store_profile_state st);
/* A profile switch as the store records it: every other enabled profile of eid is disabled, then
 * iccid is enabled, in one transaction (so the one-enabled rule holds at every statement). iccid
 * NULL or "": only the disable. RSP_ERR_NOT_FOUND (nothing written) when iccid is not a profile of
 * eid. */
rsp_err rsp_store_profile_switch(rsp_store *s, const char *eid, const char *iccid);
rsp_err rsp_store_profile_set_pol2(rsp_store *s, const char *iccid, uint32_t pol2);
/* Gives the fall-back attribute to iccid and takes it from every other profile of the eUICC, in one
 * transaction (one profile holds it). */
rsp_err rsp_store_profile_set_fallback(rsp_store *s, const char *eid, const char *iccid);
/* on: gives the emergency attribute to iccid and takes it from every other profile of the eUICC (the
 * card moves it the same way, docs/ENCODINGS.md 3A06); off: clears it on iccid only. One transaction;
 * RSP_ERR_NOT_FOUND (nothing changed) when iccid is not a profile of eid. */
rsp_err rsp_store_profile_set_emergency(rsp_store *s, const char *eid, const char *iccid, bool on);
rsp_err rsp_store_profile_delete(rsp_store *s, const char *iccid);

/* ---- Key sets and SCP80 counters ---- */
#define RSP_STORE_COUNTER_MAX 0xFFFFFFFFFFull /* SCP80 counters are 5 bytes */

typedef struct rsp_store_keyset {
    char eid[33];
    uint8_t kvn;                    /* key version number */
    uint8_t type;                   /* caller-defined (e.g. SCP80 / SCP81 / SCP03) */
    rsp_buf keys;                   /* opaque key blob (owned, secret: wiped by _clear) */
    uint64_t counter;               /* last counter value used */
} rsp_store_keyset;

void rsp_store_keyset_clear(rsp_store_keyset *k);
/* Inserts or replaces the keys of (eid, kvn). The stored counter never goes down: it becomes
 * max(stored, k->counter). */
rsp_err rsp_store_keyset_put(rsp_store *s, const rsp_store_keyset *k);
rsp_err rsp_store_keyset_get(rsp_store *s, const char *eid, uint8_t kvn, rsp_store_keyset *k);
rsp_err rsp_store_keyset_delete(rsp_store *s, const char *eid, uint8_t kvn);
/* Atomically increments the counter and returns the new value, committed (durable) before return,
 * so no two packets ever carry the same counter even across crashes and concurrent workers.
 * RSP_ERR_OVERFLOW when the 40-bit counter is exhausted.
 * Operation-scoped: for a packet of an operation, fence is the holder's fence and the reservation
 * is made only if, at `now`, that operation is in flight for this eid, its generation is the
 * fence's and its lease has not lapsed (lease_until >= now); otherwise RSP_STORE_FENCED and the
 * counter is untouched. The SM-SR always passes a fence; NULL is for packets outside any
 * operation (tools, tests), and then `now` is ignored. */
rsp_err rsp_store_counter_reserve(rsp_store *s, const rsp_store_fence *fence, const char *eid,
                                  uint8_t kvn, int64_t now, uint64_t *counter);
/* Raises the counter to value (e.g. the card reported a higher one); RSP_ERR_REPLAY if value is not
 * above the stored counter. */
rsp_err rsp_store_counter_raise(rsp_store *s, const char *eid, uint8_t kvn, uint64_t value);

/* ---- Operations (SM-SR) ---- */
typedef enum rsp_store_op_state {
    RSP_STORE_OP_QUEUED = 0,
    RSP_STORE_OP_SENT = 1,
    RSP_STORE_OP_AWAITING = 2,
    RSP_STORE_OP_DONE = 3,
    RSP_STORE_OP_FAILED = 4,
    RSP_STORE_OP_EXPIRED = 5,
} rsp_store_op_state;

typedef struct rsp_store_op {
    int64_t id;
    char eid[33];
    char function[64];              /* e.g. "ES4.EnableProfile" */
    char requester[RSP_STORE_ID_LEN];
    char fcid[RSP_STORE_ID_LEN];    /* FunctionCallIdentifier: unique per requester */
    int64_t created;
    int64_t deadline;               /* end of the validity period */
    rsp_store_op_state state;
    uint32_t attempts;              /* retries so far */
    int64_t next_attempt;           /* not claimed before this time */
    int64_t lease_until;            /* while SENT/AWAITING: the holder's lease (0 otherwise) */
    char worker[64];                /* last worker that claimed it */
    int64_t generation;             /* number of claims so far: the fence of the current holder */
    rsp_buf script;                 /* owned */
    rsp_buf result;                 /* owned; empty until set */
} rsp_store_op;

void rsp_store_op_clear(rsp_store_op *op);
/* The single transition table (docs/modules/store.md). SENT->SENT (a lapsed lease taken over) is
 * only done by rsp_store_op_claim. */
bool rsp_store_op_transition_allowed(rsp_store_op_state from, rsp_store_op_state to);
const char *rsp_store_op_state_name(rsp_store_op_state st);

/* Queues an operation (reads eid, function, requester, fcid, created, deadline, next_attempt, script).
 * If (requester, fcid) was submitted before, nothing is written: *id is the first operation's id and
 * *replayed is true (read it with rsp_store_op_get for its state and result). */
rsp_err rsp_store_op_submit(rsp_store *s, const rsp_store_op *op, int64_t *id, bool *replayed);
rsp_err rsp_store_op_get(rsp_store *s, int64_t id, rsp_store_op *op);
/* Claims one operation, FIFO per eUICC and at most one in flight per eUICC: first a SENT/AWAITING
 * one whose lease lapsed (lease_until < now) and whose deadline has not passed (taken over,
 * attempts+1); else the oldest queued operation of an eUICC with nothing in flight, if
 * next_attempt <= now and deadline > now (a queued op past its deadline holds its eUICC's queue
 * until rsp_store_op_expire). It becomes SENT, held by worker_id until now+lease, with
 * generation+1; the caller's fence is {op->id, op->generation}. RSP_ERR_END if none. The cost does
 * not grow with the number of queued operations (docs/modules/store.md, "Claim semantics"). */
rsp_err rsp_store_op_claim(rsp_store *s, const char *worker_id, int64_t now, int64_t lease,
                           rsp_store_op *op);
/* The holder extends its lease (e.g. while it waits for a PoR): lease_until becomes the given
 * value. RSP_STORE_FENCED unless the op is SENT/AWAITING with the fence's generation and its lease
 * has not lapsed at now (lease_until >= now); RSP_ERR_NOT_FOUND if no such op; RSP_ERR_INVAL if
 * lease_until < now. */
rsp_err rsp_store_op_renew(rsp_store *s, const rsp_store_fence *fence, int64_t now,
                           int64_t lease_until);

typedef struct rsp_store_op_change {
    int64_t now;
    int64_t lease_until;            /* to AWAITING: how long the holder waits for the PoR */
    int64_t next_attempt;           /* to QUEUED (retry): when to try again */
    const rsp_bytes *result;        /* to DONE/FAILED/EXPIRED: stored if non-NULL */
} rsp_store_op_change;

/* Checked compare-and-set: moves op id from `from` to `to` if the table allows it and the op is in
 * `from`. From SENT/AWAITING the caller must hold the op: fence is required (RSP_ERR_INVAL if
 * NULL) and must carry the op's current generation, else RSP_STORE_FENCED (a holder whose lease
 * lapsed but was not taken over may still record the outcome). From QUEUED nobody holds the op
 * and fence must be NULL (refusal before sending, expiry). A retry (to QUEUED) adds one to
 * attempts. RSP_ERR_STATE if the table refuses or the op is not in `from`; RSP_ERR_NOT_FOUND if no
 * such op. */
rsp_err rsp_store_op_transition(rsp_store *s, int64_t id, const rsp_store_fence *fence,
                                rsp_store_op_state from, rsp_store_op_state to,
                                const rsp_store_op_change *chg);
/* Moves to EXPIRED every QUEUED op past its deadline and every SENT/AWAITING one past its deadline
 * whose lease lapsed, and lets the eUICCs' queues move on. *n (may be NULL) gets the count. The
 * SM-SR runs it periodically. */
rsp_err rsp_store_op_expire(rsp_store *s, int64_t now, size_t *n);
/* The same sweep, telling fn (after the commit) how many operations of each function it expired. */
typedef void (*rsp_store_expired_fn)(void *arg, const char *function, size_t n);
rsp_err rsp_store_op_expire_each(rsp_store *s, int64_t now, rsp_store_expired_fn fn, void *arg, size_t *n);
rsp_err rsp_store_op_count(rsp_store *s, rsp_store_op_state st, size_t *n);
/* Operations by state, all six (index = rsp_store_op_state): the live ones counted (a few rows,
 * partial index), the settled ones from the tally kept as they settle (schema v10), so the cost does
 * not grow with the operations ever kept. */
rsp_err rsp_store_op_states(rsp_store *s, size_t out[6]);
/* The key under which this handle tallies the operations it settles or expires (the SM-SR: its
 * worker id; "" by default). Rows of other keys are never written by this handle. */
rsp_err rsp_store_tally_key(rsp_store *s, const char *key);

/* ---- Audit trail (append-only: the schema refuses UPDATE and DELETE) ---- */
typedef struct rsp_store_audit {
    int64_t id;                     /* assigned by append */
    int64_t ts;
    char actor[RSP_STORE_ID_LEN];
    char eid[33];                   /* may be empty */
    char iccid[21];                 /* may be empty */
    int64_t op_id;                  /* 0: none */
    char event[64];
    char detail[512];               /* never key material */
} rsp_store_audit;

rsp_err rsp_store_audit_append(rsp_store *s, const rsp_store_audit *a, int64_t *id);
/* Entries with id > after_id, oldest first, at most max; eid NULL or "" for all. */
rsp_err rsp_store_audit_list(rsp_store *s, const char *eid, int64_t after_id, size_t max,
                             rsp_store_audit **out, size_t *n);
/* The entries of one eUICC (eid non-empty), newest first: fn(arg, entry) on each until it returns
 * true or none are left (lib/store/audit_back.c). Read in pages through audit_eid, so a look-up of
 * a card's latest steps costs what it reads, not the card's whole history. fn must not call the
 * store (a page's statement may be open). */
typedef bool (*rsp_store_audit_fn)(void *arg, const rsp_store_audit *a);
rsp_err rsp_store_audit_walk_back(rsp_store *s, const char *eid, rsp_store_audit_fn fn, void *arg);
/* Is there an "smsr.notif" entry of eid (non-empty) whose detail starts with prefix (non-empty)?
 * One probe of the partial index audit_notif (schema v12), whatever the card's history. */
rsp_err rsp_store_audit_notif_seen(rsp_store *s, const char *eid, const char *prefix, bool *seen);

/* ---- PLMA and ONC ---- */
/* Functions an Operator may delegate to an M2M SP (POL2 management is never delegated). */
enum {
    RSP_STORE_FN_ENABLE = 1u << 0,
    RSP_STORE_FN_DISABLE = 1u << 1,
    RSP_STORE_FN_DELETE = 1u << 2,
    RSP_STORE_FN_AUDIT = 1u << 3,
    RSP_STORE_FN_GET_EIS = 1u << 4,
    RSP_STORE_FN_SET_FALLBACK = 1u << 5,
    RSP_STORE_FN_UPDATE_SUBSCRIPTION_ADDRESS = 1u << 6,
    RSP_STORE_FN_SET_EMERGENCY = 1u << 7,
    RSP_STORE_FN_SMSR_CHANGE = 1u << 8, /* ES4.PrepareSMSRChange + SMSRChange (docs/ENCODINGS.md) */
};
/* Notifications an Operator wants (ONC). */
enum {
    RSP_STORE_NOTIF_ENABLED = 1u << 0,
    RSP_STORE_NOTIF_DISABLED = 1u << 1,
    RSP_STORE_NOTIF_DELETED = 1u << 2,
    RSP_STORE_NOTIF_SMSR_CHANGE = 1u << 3,
    RSP_STORE_NOTIF_FALLBACK = 1u << 4,
    RSP_STORE_NOTIF_DOWNLOADED = 1u << 5,
};

/* Sets the functions (RSP_STORE_FN_*) operator grants m2msp on profile_type; 0 revokes. */
rsp_err rsp_store_plma_set(rsp_store *s, const char *operator_id, const char *m2msp_id,
                           const char *profile_type, uint32_t functions);
rsp_err rsp_store_plma_get(rsp_store *s, const char *operator_id, const char *m2msp_id,
                           const char *profile_type, uint32_t *functions);
/* RSP_OK if every bit of fn is granted, RSP_ERR_DENIED otherwise (including no entry). */
rsp_err rsp_store_plma_check(rsp_store *s, const char *operator_id, const char *m2msp_id,
                             const char *profile_type, uint32_t fn);
/* Sets the notifications (RSP_STORE_NOTIF_*) operator wants for profile_type; 0 removes. */
rsp_err rsp_store_onc_set(rsp_store *s, const char *operator_id, const char *profile_type,
                          uint32_t notifications);
rsp_err rsp_store_onc_get(rsp_store *s, const char *operator_id, const char *profile_type,
                          uint32_t *notifications);

/* ---- Outbox: messages to deliver, durably (lib/svc/svc_outbox.c sends them) ----
 * One row per message (a result callback, a Handle*Notification): stored before any attempt, so a
 * crash or a peer that is down loses nothing. Delivery is at least once: a row is claimed with a
 * lease (a crash mid-POST lets another worker resend it after the lease; PostgreSQL claims with
 * SKIP LOCKED, so two workers never hold the same row at once), marked sent on a 2xx, else retried
 * later, and dead after the sender's maximum age. Sent rows are kept for audit until pruned.
 * docs/modules/store.md, "Outbox". */
typedef enum rsp_store_outbox_state {
    RSP_STORE_OUTBOX_PENDING = 0,
    RSP_STORE_OUTBOX_SENT = 1,
    RSP_STORE_OUTBOX_DEAD = 2,
} rsp_store_outbox_state;

#define RSP_STORE_URL_LEN 512

typedef struct rsp_store_outbox {
    int64_t id;                     /* assigned by add */
    char owner[64];                 /* the daemon that sends it ("smsr", "smdp") */
    char key[256];                  /* "" or a de-duplication key: one row per key, ever */
    char url[RSP_STORE_URL_LEN];    /* https://host[:port]/path */
    char ctype[128];                /* Content-Type */
    char action[256];               /* SOAPAction ("" for none) */
    rsp_buf body;                   /* owned */
    int64_t created;
    int64_t next_attempt;           /* not claimed before */
    uint32_t attempts;              /* failed attempts so far */
    rsp_store_outbox_state state;
    char last_error[256];
    int64_t op_id;                  /* 0: none; else the operation it answers (audit) */
    int64_t lease_until;            /* while claimed */
    char worker[64];                /* last claimer */
    int64_t generation;             /* claims so far: the fence of the claimer's writes */
    int64_t updated;                /* last change (sent: when) */
} rsp_store_outbox;

void rsp_store_outbox_clear(rsp_store_outbox *m);
/* Stores m as PENDING (reads owner, key, url, ctype, action, body, created, next_attempt, op_id).
 * RSP_ERR_EXISTS when m->key is set and a row with that key exists (nothing written). */
rsp_err rsp_store_outbox_add(rsp_store *s, const rsp_store_outbox *m, int64_t *id);
rsp_err rsp_store_outbox_get(rsp_store *s, int64_t id, rsp_store_outbox *m);
/* Claims up to max PENDING rows of owner that are due (next_attempt <= now) and not held (lease
 * lapsed), oldest due first: each gets lease_until = now + lease, worker, generation + 1. *out is
 * malloc'd (clear each row, then free); *n may be 0. */
rsp_err rsp_store_outbox_claim(rsp_store *s, const char *owner, const char *worker, int64_t now,
                               int64_t lease, size_t max, rsp_store_outbox **out, size_t *n);
/* The claimer's outcome for row id claimed with generation gen: delivered (SENT), to try again at
 * next_attempt (attempts + 1, err kept), or given up (DEAD). RSP_STORE_FENCED when the row was
 * claimed again since (or is no longer PENDING); RSP_ERR_NOT_FOUND if no such row. */
rsp_err rsp_store_outbox_sent(rsp_store *s, int64_t id, int64_t gen, int64_t now);
rsp_err rsp_store_outbox_retry(rsp_store *s, int64_t id, int64_t gen, int64_t now,
                               int64_t next_attempt, const char *err);
rsp_err rsp_store_outbox_dead(rsp_store *s, int64_t id, int64_t gen, int64_t now, const char *err);
/* Deletes SENT rows last changed before `before`; *n (may be NULL) gets the count. */
rsp_err rsp_store_outbox_prune(rsp_store *s, int64_t before, size_t *n);

typedef struct rsp_store_outbox_stats {
    size_t pending, sent, dead;
    int64_t oldest_pending;         /* created of the oldest PENDING row; 0 when none */
} rsp_store_outbox_stats;
/* Counts of owner's rows by state (the whole fleet's, whichever worker asks). */
rsp_err rsp_store_outbox_stats_get(rsp_store *s, const char *owner, rsp_store_outbox_stats *st);

/* Pending replies: what a message needs to be built later, recorded when the obligation arises (an
 * ES call accepted with a ReplyTo, an ONC event) and turned into an outbox row by whichever worker
 * sees it ready: at once when op_id is 0, else once operation op_id has settled (DONE, FAILED or
 * EXPIRED). The move deletes the reply and adds the message in one transaction, so a reply becomes
 * exactly one message even when several workers race for it. */
typedef struct rsp_store_outbox_reply {
    int64_t id;                     /* assigned by add */
    char owner[64];
    char key[256];                  /* unique: adding the same key twice keeps the first */
    int64_t op_id;                  /* 0: ready now */
    char caller[RSP_STORE_ID_LEN];  /* who gets the message (the requester, the Operator) */
    char function[64];              /* e.g. "ES4.EnableProfile", "ES4.HandleProfileEnabledNotification" */
    char reply_to[RSP_STORE_URL_LEN]; /* the request's ReplyTo ("" for notifications) */
    char message_id[256];           /* the request's MessageID (the result's RelatesTo) */
    char fcid[RSP_STORE_ID_LEN];    /* FunctionCallIdentifier */
    char eid[33];
    char iccid[21];
    uint32_t flags;                 /* the owner's encoding facts (dialect, binding, role, ...) */
    int64_t created;
} rsp_store_outbox_reply;

/* RSP_ERR_EXISTS when r->key is already recorded (nothing written). */
rsp_err rsp_store_outbox_reply_add(rsp_store *s, const rsp_store_outbox_reply *r, int64_t *id);
/* Up to max replies of owner that are ready (see above), oldest first; *out malloc'd. */
rsp_err rsp_store_outbox_reply_ready(rsp_store *s, const char *owner, size_t max, rsp_store_outbox_reply **out,
                              size_t *n);
/* Turns reply id into the message m (m NULL: drops the reply, nothing to send), in one
 * transaction. RSP_ERR_NOT_FOUND when the reply is gone (another worker moved it): nothing
 * written. *outbox_id (may be NULL) gets the message's row (0 when dropped, or when m->key was
 * already in the outbox). */
rsp_err rsp_store_outbox_reply_move(rsp_store *s, int64_t id, const rsp_store_outbox *m, int64_t *outbox_id);

/* ---- SM-DP profile inventory ---- */
typedef enum rsp_store_inv_state {
    RSP_STORE_INV_AVAILABLE = 0,
    RSP_STORE_INV_ALLOCATED = 1,    /* reserved for an EID by DownloadProfile */
    RSP_STORE_INV_DOWNLOADED = 2,   /* package delivered to the eUICC */
    RSP_STORE_INV_INSTALLED = 3,    /* ProfileDownloadCompleted */
    RSP_STORE_INV_RETIRED = 4,      /* deleted from the eUICC or withdrawn; never reused */
    RSP_STORE_INV_ENABLED = 5,      /* installed, and enabled on the card (as the SM-SR last said) */
    RSP_STORE_INV_DISABLED = 6,     /* installed, and disabled again (as the SM-SR last said) */
} rsp_store_inv_state;

typedef struct rsp_store_inv {
    char iccid[21];
    char profile_type[RSP_STORE_ID_LEN];
    rsp_store_inv_state state;
    char eid[33];                   /* allocated EID, empty if none */
    char package_path[256];         /* where the package lives, if not inline */
    rsp_buf package;                /* inline package (owned, secret: wiped by _clear) */
    int64_t updated;
} rsp_store_inv;

void rsp_store_inv_clear(rsp_store_inv *p);
bool rsp_store_inv_transition_allowed(rsp_store_inv_state from, rsp_store_inv_state to);
/* Adds a profile as AVAILABLE. RSP_ERR_EXISTS if the ICCID is known. */
rsp_err rsp_store_inv_add(rsp_store *s, const rsp_store_inv *p);
rsp_err rsp_store_inv_get(rsp_store *s, const char *iccid, rsp_store_inv *p);
/* Allocates the oldest AVAILABLE profile of profile_type to eid (concurrency-safe); fills *p.
 * RSP_ERR_END if none is available. */
rsp_err rsp_store_inv_allocate(rsp_store *s, const char *profile_type, const char *eid, int64_t now,
                               rsp_store_inv *p);
/* Checked compare-and-set of the state. To ALLOCATED, eid is recorded; to AVAILABLE it is cleared. */
rsp_err rsp_store_inv_transition(rsp_store *s, const char *iccid, rsp_store_inv_state from,
                                 rsp_store_inv_state to, const char *eid, int64_t now);
rsp_err rsp_store_inv_count(rsp_store *s, const char *profile_type, rsp_store_inv_state st,
                            size_t *n);

/* ---- SM-DP download journal (lib/store/smdp_dl.c): the cursor of each download ----
 * step, outcome and status mean what lib/smdp/download.c says; the store keeps them. live = not
 * finished (what a restarted SM-DP resumes). */
typedef struct rsp_store_smdp_dl {
    char id[64];
    char op[64];
    char type[64];
    char eid[33];
    char iccid[21];
    bool enable;
    bool isdp;                      /* CreateISDP (maybe) sent */
    int step;
    bool live;
    char outcome[96];
    char status[40];
    int64_t updated;
} rsp_store_smdp_dl;

/* Adds a download; RSP_ERR_EXISTS (nothing written) when its id is known. */
rsp_err rsp_store_smdp_dl_add(rsp_store *s, const rsp_store_smdp_dl *d, int64_t now);
/* Rewrites the cursor fields (iccid, enable, isdp, step, live, outcome, status) of d->id. */
rsp_err rsp_store_smdp_dl_set(rsp_store *s, const rsp_store_smdp_dl *d, int64_t now);
rsp_err rsp_store_smdp_dl_get(rsp_store *s, const char *id, rsp_store_smdp_dl *d);
/* The latest download of iccid onto eid; RSP_ERR_NOT_FOUND when none. */
rsp_err rsp_store_smdp_dl_find(rsp_store *s, const char *eid, const char *iccid, rsp_store_smdp_dl *d);
/* All downloads (live_only: the unfinished ones) by id; *out malloc'd. */
rsp_err rsp_store_smdp_dl_list(rsp_store *s, bool live_only, rsp_store_smdp_dl **out, size_t *n);
/* All downloads onto eid, by id; *out malloc'd. */
rsp_err rsp_store_smdp_dl_list_eid(rsp_store *s, const char *eid, rsp_store_smdp_dl **out, size_t *n);
/* rsp_store_inv_allocate and the write of d (its iccid set to the allocated one) as one transaction:
 * no identity is allocated that no journal names. */
rsp_err rsp_store_inv_allocate_dl(rsp_store *s, const char *profile_type, const char *eid, int64_t now,
                                  rsp_store_smdp_dl *d, rsp_store_inv *p);
/* rsp_store_inv_transition (eid kept) and the write of d as one transaction: the inventory state and
 * the cursor that follows from it move together. */
rsp_err rsp_store_inv_transition_dl(rsp_store *s, const char *iccid, rsp_store_inv_state from,
                                    rsp_store_inv_state to, const rsp_store_smdp_dl *d, int64_t now);
/* The SM-DP's sealed ISD-P keys of a profile (column inv.isdp_keys, schema v13; opaque here, sealed by
 * lib/smdp/isdp.c). _dl_keys: rsp_store_inv_transition_dl that also writes keys (keys_len > 0) in the
 * same transaction. keys_set: one committed write, len 0 removes them; RSP_ERR_NOT_FOUND for an
 * unknown ICCID. keys_get: RSP_ERR_NOT_FOUND when the profile has none. */
rsp_err rsp_store_inv_transition_dl_keys(rsp_store *s, const char *iccid, rsp_store_inv_state from,
                                         rsp_store_inv_state to, const rsp_store_smdp_dl *d, const uint8_t *keys,
                                         size_t keys_len, int64_t now);
rsp_err rsp_store_inv_keys_set(rsp_store *s, const char *iccid, const uint8_t *keys, size_t len);
rsp_err rsp_store_inv_keys_get(rsp_store *s, const char *iccid, rsp_buf *out);


/* ---- SM-DS event records (lib/store/smds.c; table smds_event, schema v11) ----
 * One record per (eid, eventId), registered by an SM-DP+ over ES12, read by ES11 for the EID, removed
 * by the SM-DP+ that registered it (ES12 DeleteEvent) or once the LPA consumed it (docs/modules/smds.md). */
typedef struct rsp_store_smds_event {
    char eid[33];
    char event_id[65];
    char rsp_server_address[256];
    bool forwarding;
    char registered_by[256];        /* the registering SM-DP+'s TLS identity */
    int64_t created;                /* microseconds since the epoch: the EID's events' order */
} rsp_store_smds_event;

/* Registers ev. Idempotent: a replay of the same record (address, forwarding, registered_by) is
 * RSP_OK and writes nothing; RSP_ERR_EXISTS when (eid, eventId) is taken by a different record. */
rsp_err rsp_store_smds_register(rsp_store *s, const rsp_store_smds_event *ev);
rsp_err rsp_store_smds_get(rsp_store *s, const char *eid, const char *event_id, rsp_store_smds_event *ev);
/* At most max events of eid, oldest first; *out malloc'd (NULL when *n is 0). */
rsp_err rsp_store_smds_list(rsp_store *s, const char *eid, size_t max, rsp_store_smds_event **out, size_t *n);
/* Removes (eid, eventId). by: the requester, which must be the SM-DP+ that registered it (else
 * RSP_ERR_DENIED, nothing removed), or NULL for no owner check (an administrator's removal).
 * RSP_ERR_NOT_FOUND when there is none. */
rsp_err rsp_store_smds_delete(rsp_store *s, const char *eid, const char *event_id, const char *by);
rsp_err rsp_store_smds_count(rsp_store *s, size_t *n);

#endif
