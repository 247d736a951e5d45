/* The SM-SR's durable messages (docs/modules/smsr.md, "Results, callbacks and ONC"): the peers'
 * configured callback URLs (ReplyTo checked against them), pending replies recorded when a call
 * with a ReplyTo is accepted, ONC notifications recorded when a profile changes state, and the mover
 * that turns the ready ones into outbox rows (es_common.c, onc.c). */
#ifndef RSP_SMSR_OUTBOX_H
#define RSP_SMSR_OUTBOX_H

#include "rsp/svc.h"
#include "smsr_int.h"

#define SMSR_OWNER "smsr" /* the SM-SR's rows of the outbox */

/* ---- callback URLs per peer: "ID=PREFIX[,ID=PREFIX...]" (es_common.c) ---- */
typedef struct smsr_callback {
    char id[RSP_STORE_ID_LEN];
    char prefix[RSP_STORE_URL_LEN];
} smsr_callback;

typedef struct smsr_callbacks {
    smsr_callback *v;
    size_t n;
} smsr_callbacks;

/* Parses spec (NULL or "" = none). A prefix must be https://host[:port][/path] without userinfo,
 * spaces, quotes or "..": RSP_ERR_INVAL naming the entry in diag. */
rsp_err smsr_callbacks_parse(const char *spec, smsr_callbacks *cb, rsp_diag *diag);
void smsr_callbacks_free(smsr_callbacks *cb);
/* Does url lie under one of id's prefixes? (the prefix ends at '/', or url continues with '/', '?'
 * or ends there: "https://a/cb" covers "https://a/cb/x", never "https://a/cbx" nor "https://a.evil"). */
bool smsr_callbacks_allow(const smsr_callbacks *cb, const char *id, const char *url);
/* Under some peer's prefix? (callbacks whose caller is not known here: ES3's) */
bool smsr_callbacks_allow_any(const smsr_callbacks *cb, const char *url);
/* id's first prefix as a URL (notifications go there), or NULL. */
const char *smsr_callbacks_url(const smsr_callbacks *cb, const char *id);

/* ---- pending replies of ES calls (es_common.c) ---- */
/* What a result needs besides the operation: flags of rsp_store_outbox_reply. */
enum {
    SMSR_RF_JSON = 1u << 4,
    SMSR_RF_SOAP11 = 1u << 5,
    SMSR_RF_AUDIT = 1u << 12, /* AuditEIS: the EIS in the result */
};
#define SMSR_RF_DIALECT(f) ((f) & 0xFu)
#define SMSR_RF_ROLE(f) (((f) >> 8) & 0xFu)

struct rsp_es_msg;
/* Records that op_id's result goes to the ReplyTo of request m (the decoded call of rq; JSON when
 * m->soap_version is 0), keyed by op, caller and MessageID (a repeated request is recorded once). */
rsp_err smsr_reply_record(rsp_smsr *e, const struct rsp_es_msg *m, const rsp_smsr_request *rq, int64_t op_id,
                          bool audit, int64_t *reply_id);
/* The result message of a ready reply (its operation has settled): encoded in the request's binding
 * and dialect, To = ReplyTo, RelatesTo = the request's MessageID. m is filled (caller clears). */
rsp_err smsr_reply_result(rsp_smsr *e, const rsp_store_outbox_reply *r, rsp_store_outbox *m);

/* ---- ONC (onc.c) ---- */
/* Profile p changes (kind RSP_STORE_NOTIF_ENABLED / _DISABLED now, _DELETED when op_id settles DONE):
 * when p's Operator listed kind in its ONC for p's profile type, a notification is recorded (once
 * per tag: the card notification's sequence number, or the op). */
rsp_err smsr_onc_event(rsp_smsr *e, const rsp_store_profile *p, uint32_t kind, const char *tag, int64_t op_id,
                       int64_t now);
/* The same for a profile known by ICCID (deletions queued by ES4 or POL2). */
rsp_err smsr_onc_delete_queued(rsp_smsr *e, const char *iccid, int64_t op_id, int64_t now);

typedef struct smsr_mover_stats {
    uint64_t moved, dropped, no_url;
} smsr_mover_stats;
/* Moves up to max ready replies into the outbox (results to their ReplyTo, notifications to the
 * Operator's configured URL: none -> logged, counted in st->no_url, dropped), then kicks ob. */
rsp_err smsr_outbox_move(rsp_smsr *e, const smsr_callbacks *cb, rsp_svc_outbox *ob, size_t max,
                         smsr_mover_stats *st);

/* ---- wiring (es_api.c; the daemon calls these) ---- */
/* ES3's share of the ES4 endpoint state (es3.c, whose handlers are merged with es_api.c's): x found
 * in the merged handler table (NULL when none of es_api.c's is there; the functions below then check
 * nothing, record nothing and answer plainly). */
rsp_smsr_es *smsr_es_of(const struct rsp_es_handler *h, size_t n);
/* The strict ReplyTo check of ES4 for who's call; true: already rejected 1.1 / 1.2. */
bool smsr_es_reply_to_refused(rsp_smsr_es *x, rsp_es_call *call, const char *who);
/* Records the durable pending reply of op_id when call is answered by callback (a usable ReplyTo, not
 * njiwa, not SYNC, not Prefer: wait, and an outbox attached); *reply_id 0 when none is needed. */
rsp_err smsr_es_reply_begin(rsp_smsr_es *x, rsp_es_call *call, const rsp_smsr_request *rq, int64_t op_id,
                            bool audit, int64_t *reply_id);
/* Answers call with r (NULL: 8.7 / 3.7, the SM-SR stops and the operation continues); when reply_id
 * carries the result, the endpoint's own callback is muted (the outbox row is the one copy). */
void smsr_es_reply_answer(rsp_smsr_es *x, rsp_es_call *call, int64_t reply_id, const rsp_smsr_result *r);

/* svc's es_send: the endpoint's callbacks of calls without a durable reply go to the outbox (put);
 * those with one are muted (the reply is the one copy). A URL under no configured peer's prefix (any
 * URL when none is configured) is refused (RSP_ERR_DENIED, logged): the ES3 handlers do not check their
 * caller's ReplyTo, this keeps the SM-SR from posting where no peer is configured. ctx: the rsp_smsr_es. */
rsp_err rsp_smsr_es_send(void *ctx, const char *url, const char *ctype, const char *action, const uint8_t *body,
                         size_t len);
/* Attaches svc's durable outbox (created here, rows of owner "smsr", leases held as worker) and the
 * peers' callback URLs ("ID=PREFIX[,ID=PREFIX...]"). With at least one entry a ReplyTo outside the caller's
 * prefixes is refused (1.1 / 1.2); with none (NULL) every usable ReplyTo is refused the same way (logged
 * at start) and no notification has a URL; registers rsp_smsr_notifications_no_url_total. */
rsp_err rsp_smsr_es_outbox(rsp_smsr_es *x, rsp_svc *svc, const char *worker, const char *callbacks, rsp_diag *diag);

#endif
