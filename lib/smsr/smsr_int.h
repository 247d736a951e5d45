/* Internals shared by the engine files of lib/smsr. */
#ifndef RSP_SMSR_INT_H
#define RSP_SMSR_INT_H

#include "rsp/scp81.h"
#include "rsp/smsr.h"

struct rsp_smsr {
    rsp_store *st;          /* borrowed */
    rsp_smsr_config cfg;
    char worker[64];
    /* set by smsr_https_new / smsr_es3_new (borrowed, cleared by their free): ES3 download ops go
     * into the card's admin session and are answered from here (es3_dl.c) */
    struct smsr_https *https;
    struct smsr_es3 *es3;
    /* the sealing keys of keys.c, derived from the master key once (smsr_keys_init; two CMAC KDFs
     * per key read were ~3% of the CPU per operation), wiped by rsp_smsr_free */
    uint8_t kenc[32], kmac[32];
    /* ops this process holds in its admin sessions, their short leases renewed while held (lease.c) */
    struct smsr_lease *leases;
    size_t nleases, cap_leases;
};

/* ---- leases of operations in admin sessions (lease.c) ---- */
typedef struct smsr_lease {
    char eid[33];
    int64_t op_id, gen; /* the fence of the claim that queued it */
    int64_t until;      /* the lease as last written */
} smsr_lease;
/* The short lease an op in an admin session gets while an admin server renews it (seconds). */
int64_t smsr_lease_beat(const rsp_smsr *e);
/* How often the admin server renews (seconds, >= 1). */
int64_t smsr_lease_period(const rsp_smsr *e);
/* lease_until for an op sent into an admin session now: the short lease when this process runs an
 * admin server (e->https), else the whole wait at once (PoR back-off, at least admin_wait). */
int64_t smsr_lease_https(const rsp_smsr *e, uint32_t attempts, int64_t now);
/* Records op (fence op_id/gen) as held in eid's session with lease until: renewed from now on. */
void smsr_lease_hold(rsp_smsr *e, const char *eid, int64_t op_id, int64_t gen, int64_t until);
/* Forgets op_id's entry (gen 0: whatever its generation). */
void smsr_lease_drop(rsp_smsr *e, int64_t op_id, int64_t gen);
/* Renews (fenced) the leases older than a second whose op held() says is still in a session; drops
 * the others and those the store refuses (taken over, settled). */
void smsr_lease_renew(rsp_smsr *e, int64_t now, bool (*held)(void *arg, const char *eid, int64_t op_id), void *arg);

/* What an operation is about, as kept in its script column ("iccid=...;aid=..."). */
typedef struct smsr_target {
    char iccid[21];
    uint8_t aid[16];
    size_t aid_len;
} smsr_target;

rsp_err smsr_target_encode(const char *iccid, const char *aid_hex, rsp_buf *out);
rsp_err smsr_target_decode(const rsp_buf *script, smsr_target *t);

/* The durable step cursor: the last "smsr.step" audit entry of the operation. found is false when
 * the operation never moved (a fresh claim starts at COMMAND). */
typedef struct smsr_cursor {
    bool found;
    rsp_smsr_step step;
    uint64_t counter;       /* of the packet sent at WAIT_POR */
    int64_t generation;     /* of the claim that sent it */
} smsr_cursor;

rsp_err smsr_cursor_get(rsp_smsr *e, const char *eid, int64_t op_id, smsr_cursor *c);
/* The operation waiting for a PoR of this counter on eid (latest step entry naming it). */
rsp_err smsr_cursor_find_counter(rsp_smsr *e, const char *eid, uint64_t counter, int64_t *op_id,
                                 int64_t *generation);
/* The latest operation of eid that recorded a step (the one in flight, if any); c (may be NULL):
 * that entry, which is the operation's cursor while the operation is live. */
rsp_err smsr_cursor_latest_op(rsp_smsr *e, const char *eid, int64_t *op_id, smsr_cursor *c);
rsp_err smsr_cursor_put(rsp_smsr *e, const char *eid, int64_t op_id, rsp_smsr_step step,
                        uint64_t counter, int64_t generation, int64_t now);
rsp_err smsr_audit(rsp_smsr *e, const char *eid, const char *iccid, int64_t op_id, const char *event,
                   const char *detail, int64_t now);

/* Result text kept in the op's result column: "status|subject|reason|message". */
rsp_err smsr_result_encode(const char *status, const char *subject, const char *reason, const char *msg,
                           rsp_buf *out);
void smsr_result_fill(const rsp_store_op *op, rsp_smsr_result *res);
/* Records the outcome of a step change of a held op (fence) from its store state to `to`. */
rsp_err smsr_finish(rsp_smsr *e, const rsp_store_op *op, const rsp_store_fence *fence,
                    rsp_store_op_state from, rsp_smsr_step to, const char *subject, const char *reason,
                    const char *msg, int64_t now);

/* Applies a successful outcome to the EIS (profile deleted, fall-back moved). */
rsp_err smsr_apply_done(rsp_smsr *e, rsp_smsr_fn fn, const rsp_store_op *op, const smsr_target *t);

/* POL2 rules of an EIS or UpdatePolicyRules as RSP_STORE_POL2_* bits (import.c). */
struct rsp_es_pol2;
uint32_t smsr_pol2_of(const struct rsp_es_pol2 *p);
/* ISD-R SCP80 keys at rest (keys.c): KIc || KID sealed under the master key, bound to eid/kvn. */
/* Derives the sealing keys from cfg.master_key (none without one); rsp_smsr_new calls it. */
rsp_err smsr_keys_init(rsp_smsr *e);
rsp_err smsr_keys_seal(const rsp_smsr *e, const char *eid, uint8_t kvn, const uint8_t clear[32], rsp_buf *out);
rsp_err smsr_keys_open(const rsp_smsr *e, const char *eid, uint8_t kvn, const rsp_buf *blob, uint8_t clear[32]);
/* The keys of eid at the configured KVN, in clear into clear (the caller wipes it). */
rsp_err smsr_keys_get(rsp_smsr *e, const char *eid, uint8_t clear[32]);
/* The ISD-R SCP81 PSK (16 bytes, AES-128 PSK-TLS) at rest, a key set row of its own SCP81 KVN
 * (0x40..0x4F, else RSP_ERR_RANGE): sealed like the SCP80 keys, with its own blob header. */
rsp_err smsr_psk_seal(const rsp_smsr *e, const char *eid, uint8_t kvn, const uint8_t psk[16], rsp_buf *out);
rsp_err smsr_psk_open(const rsp_smsr *e, const char *eid, uint8_t kvn, const rsp_buf *blob, uint8_t psk[16]);
rsp_err smsr_psk_put(rsp_smsr *e, const char *eid, uint8_t kvn, const uint8_t psk[16]);
/* Into psk (the caller wipes it); RSP_ERR_NOT_FOUND when the card has no PSK of that KVN. */
rsp_err smsr_psk_get(rsp_smsr *e, const char *eid, uint8_t kvn, uint8_t psk[16]);

/* Builds an SCP80 packet of one C-APDU for eid: counter reserved under fence (NULL outside an op). */
rsp_err smsr_packet_build(rsp_smsr *e, const char *eid, const rsp_store_fence *fence, const rsp_buf *apdu,
                          int64_t now, rsp_smsr_packet *pkt);
/* The same with secured data as given (an SCP81 trigger `81 ...`); por_on_error asks the card for a
 * PoR only when the packet fails. */
rsp_err smsr_packet_build_data(rsp_smsr *e, const char *eid, const rsp_store_fence *fence, const uint8_t *data,
                               size_t len, bool por_on_error, int64_t now, rsp_smsr_packet *pkt);
/* The same to another TAR of the card (an ISD-P's, for SCP03t by SMS), under the ISD-R's key set. */
rsp_err smsr_packet_build_to(rsp_smsr *e, const char *eid, const rsp_store_fence *fence, uint32_t tar,
                             const uint8_t *data, size_t len, bool por_on_error, int64_t now, rsp_smsr_packet *pkt);
/* How long a sent packet waits for its PoR at this attempt: por_wait doubled per attempt, capped. */
int64_t smsr_por_wait(const rsp_smsr *e, uint32_t attempts);
/* An E1 notification (from an MO packet or an admin session's ?msg=): the EIS follows the card, the
 * waiting switch settles, POL2 auto-delete is queued; *seq gets its sequence number to confirm
 * (also for a duplicate). notif.c */
rsp_err smsr_notif_handle(rsp_smsr *e, const char *eid, const uint8_t *e1, size_t len, int64_t now, uint16_t *seq,
                          rsp_diag *diag);

/* ES3 for SM-DPs (es3.c): every call that touches a card is an engine operation (CreateISDP, SendData,
 * UpdateConnectivityParameters: es3_dl.c), its packets sent through send (the daemon's ESME) by the
 * kick, answered from smsr_es3_poll when it settles. */
typedef struct smsr_es3 smsr_es3;
typedef void (*smsr_send_fn)(void *arg, const rsp_smsr_packet *p);
struct rsp_es_handler;
rsp_err smsr_es3_new(rsp_smsr *e, const char *smdp_ids, smsr_send_fn send, void *arg, smsr_es3 **out);
/* Replaces *h (n entries) by a copy followed by the ES3 handlers, owned by x. */
rsp_err smsr_es3_merge(smsr_es3 *x, const struct rsp_es_handler **h, size_t *n);
/* Always RSP_ERR_NOT_FOUND: no ES3 call waits for a PoR outside the engine any more. */
rsp_err smsr_es3_on_por(smsr_es3 *x, const char *eid, const uint8_t *ud, size_t len, int64_t now);
void smsr_es3_poll(smsr_es3 *x, int64_t now);
/* SCP03t bodies of SendData go through h (borrowed; NULL: they are refused). Declared below. */
struct smsr_https;
void smsr_es3_set_https(smsr_es3 *x, struct smsr_https *h);
void smsr_es3_stop(smsr_es3 *x);
void smsr_es3_free(smsr_es3 *x);
/* GetEIS (es3_eis.c): the EIS of s with the profiles created by the SM-DP who, allocated for the
 * es layer to free. */
struct rsp_es_eis;
rsp_err smsr_es3_eis(rsp_smsr *e, const rsp_store_eis *s, const char *who, struct rsp_es_eis **out);
/* The same with the profiles keep() accepts (ES4.GetEIS: the caller's Operator view). */
rsp_err smsr_eis_of(rsp_smsr *e, const rsp_store_eis *s, bool (*keep)(void *ctx, const rsp_store_profile *p),
                    void *ctx, struct rsp_es_eis **out);
/* ES4.GetEIS (es4_eis.c): answers call for who in role (the handler has checked the identity). */
struct rsp_es_call;
rsp_err smsr_es4_get_eis(rsp_smsr *e, const char *who, rsp_smsr_role role, struct rsp_es_call *call);

/* ---- ES5 over HTTPS: the admin session table and POST reading (admin.c) ---- */
typedef enum smsr_adm_state {
    SMSR_ADM_CLOSED = 0,  /* no session (and nothing asked of the card) */
    SMSR_ADM_TRIGGERED,   /* trigger SMS sent, waiting for the card's first POST */
    SMSR_ADM_HELD,        /* the card's POST is held: nothing to send yet (bounded by the idle time) */
    SMSR_ADM_RUNNING,     /* a script is out, waiting for the POST that carries its answer */
} smsr_adm_state;
typedef enum smsr_adm_event {
    SMSR_ADM_EV_QUEUED = 0,     /* a script was queued for the card */
    SMSR_ADM_EV_POST_OPEN,      /* a POST without a script answer */
    SMSR_ADM_EV_POST_RESPONSE,  /* a POST with the answer to the script in flight */
    SMSR_ADM_EV_IDLE,           /* held for the idle time with nothing to send */
    SMSR_ADM_EV_TRIGGER_LOST,   /* no POST after a trigger; tries left */
    SMSR_ADM_EV_TRIGGER_GIVE_UP,/* no POST after the last trigger */
    SMSR_ADM_EV_NO_ANSWER,      /* a script out and no answer in time */
    SMSR_ADM_EV_GONE,           /* the card's connection closed, or the held POST could not be answered */
} smsr_adm_event;
enum {
    SMSR_ADM_A_TRIGGER = 1u << 0,        /* send the trigger SMS (fresh counter) */
    SMSR_ADM_A_SEND = 1u << 1,           /* answer the POST with the next queued script (200) */
    SMSR_ADM_A_HOLD = 1u << 2,           /* keep the POST unanswered */
    SMSR_ADM_A_END_HELD = 1u << 3,       /* answer the held POST with 204 */
    SMSR_ADM_A_DELIVER = 1u << 4,        /* hand the POST's body to whoever queued the script in flight */
    SMSR_ADM_A_FAIL_INFLIGHT = 1u << 5,  /* the script in flight gets no answer: fail it */
    SMSR_ADM_A_FAIL_QUEUE = 1u << 6,     /* fail every queued script */
};
rsp_err smsr_adm_next(smsr_adm_state from, smsr_adm_event ev, bool work, unsigned *actions, smsr_adm_state *to);
const char *smsr_adm_state_name(smsr_adm_state s);
/* true when script (an expanded AA{22 ...}) holds an enable, disable or 3A08 confirmation: the session
 * ends (204) after its answer instead of being held for the idle time (admin.c) */
bool smsr_adm_script_ends(const uint8_t *script, size_t len);
/* The SCP81 trigger (81 {83 {84 conn, 85 PSK identity/KVN, 89 host/URI}}) asking eid to open an admin
 * session to host:port uri with the PSK of kvn (admin.c) */
rsp_err smsr_adm_trigger_build(const char *eid, const char *host, uint16_t port, const char *uri, uint8_t kvn,
                               rsp_buf *out);

/* What a card's POST says. */
typedef struct smsr_adm_post {
    char eid[33];        /* from the PSK identity (the TLS layer checked the key) */
    uint8_t kvn, kid;
    bool response;       /* carries the answer to a script (body, response type or script status) */
    rsp_scp81_status status;
    bool resume;
    uint8_t msg[256];    /* ?msg=<hex>: an E1 notification */
    size_t msg_len;
} smsr_adm_post;
/* identity: the PSK identity text; target: the request target; headers: "Name: value\r\n" lines. */
rsp_err smsr_adm_post_parse(const char *identity, const char *target, const char *headers, size_t hlen,
                            size_t body_len, smsr_adm_post *out, rsp_diag *d);

/* ---- ES5 over HTTPS: the PSK-TLS admin server (es5_https.c) ---- */
typedef struct smsr_https smsr_https;
typedef struct smsr_https_opts {
    const char *listen;        /* HOST:PORT (port 0: ephemeral) */
    const char *port_file;     /* the bound port is written there (tests) */
    const char *host;          /* the host name in the trigger; NULL: the listen host */
    const char *uri;           /* the admin URI; NULL: "/gsma/adminagent" */
    unsigned idle_ms;          /* a held POST waits this long for a script (0: 10 s) */
    unsigned answer_ms;        /* a script out waits this long for its answer (0: 20 s) */
    unsigned trigger_ms;       /* a trigger waits this long for the first POST (0: 10 s) */
    unsigned trigger_tries;    /* triggers sent before the queue fails (0: 3) */
    smsr_send_fn send;         /* the trigger SMS */
    void *send_arg;
    unsigned dl_idle_ms;       /* after an answer to an ISD-P's script (a download) at least this (0: 10 s) */
} smsr_https_opts;
struct event_base;
/* base and e are borrowed for the server's life; o is copied and its strings read during the call only.
 * Free with smsr_https_free before the loop and the engine. */
rsp_err smsr_https_new(struct event_base *base, rsp_smsr *e, const smsr_https_opts *o, smsr_https **out,
                       rsp_diag *d);
uint16_t smsr_https_port(const smsr_https *h);
/* The outcome of a queued script: err RSP_OK with the card's answer body (status: the card's
 * X-Admin-Script-Status), or an error with why (the session broke, no session, stopping). */
typedef void (*smsr_https_done_fn)(void *arg, uint64_t tag, rsp_err err, rsp_scp81_status status,
                                   const uint8_t *body, size_t len, const char *why);
/* Queues script (copied) for eid, targeted at aid (NULL: the ISD-R); done(arg, tag, ...) is called
 * exactly once when it settles, possibly before this returns (a trigger that cannot be sent). */
rsp_err smsr_https_queue(smsr_https *h, const char *eid, const uint8_t *aid, size_t aid_len, const uint8_t *script,
                         size_t len, smsr_https_done_fn done, void *arg, uint64_t tag);
/* Does eid have an SCP81 PSK of the configured KVN (so HTTPS can reach it)? */
bool smsr_https_reachable(smsr_https *h, const char *eid);
typedef struct smsr_https_stats {
    unsigned long opened, refused_psk, triggers, scripts, answers, notifs, failed;
    unsigned long gone; /* sessions ended by the card's connection closing (held POST or script out) */
} smsr_https_stats;
void smsr_https_stats_get(const smsr_https *h, smsr_https_stats *s);
/* Fails every queued and in-flight script ("SM-SR stopping") and ends held POSTs. */
void smsr_https_stop(smsr_https *h);
void smsr_https_free(smsr_https *h);

/* Shared by the HTTPS handlers of es_api.c and es3.c (es_common.c). */
struct rsp_es_req_hdr;
/* The CN of a peer's subject ("...CN=x,...") into out (cap bytes; "" when there is none). */
void smsr_cn_of(const char *peer, char *out, size_t cap);
/* Is id one of the comma-separated list? */
bool smsr_listed(const char *list, const char *id);
/* The request's ValidityPeriod in seconds, 3600 when absent or not positive. */
int64_t smsr_validity(const struct rsp_es_req_hdr *hdr);
/* Answers call from a settled result: complete on Executed-Success, else rejected with its status. */
rsp_err smsr_call_answer(struct rsp_es_call *call, const rsp_smsr_result *r);
/* v (n used of *cap elements of size bytes) with room for one more: v itself, a grown copy (*cap
 * updated), or NULL when out of memory (v is then unchanged and still owned by the caller). */
void *smsr_grow(void *v, size_t n, size_t *cap, size_t size);

#endif
