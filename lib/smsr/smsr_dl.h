/* ES3.CreateISDP and ES3.SendData as durable engine operations (es3_dl.c), and the pieces of the
 * engine they share (submit.c, es5_sms.c, es3.c). docs/modules/smsr.md, "ES3 download operations". */
#ifndef RSP_SMSR_DL_H
#define RSP_SMSR_DL_H

#include "rsp/es_endpoint.h"
#include "smsr_int.h"

/* ---- submit.c: one operation into the store (FCID replay rule included) ---- */
typedef struct smsr_submission {
    const char *function;       /* rsp_smsr_fn_name */
    const char *requester, *fcid, *eid;
    const char *iccid;          /* for the audit entry */
    rsp_bytes script;           /* what the op is about: equal scripts = the same request on a replay */
    int64_t now, validity;
    bool refused;               /* recorded FAILED with subject / reason / msg (a replay answers it again) */
    const char *subject, *reason, *msg;
    /* NULL: equal scripts; else whether the first call's script is the same request (a SendData
     * replayed after its ISD-P's phase moved carries another transport in its script) */
    bool (*same)(rsp_bytes first, rsp_bytes now);
} smsr_submission;
/* res as rsp_smsr_submit's: op_id with status "" while pending; a replay with the same script gets
 * the first call's result (replayed), with another script Failed 1.1 / 2.1. */
rsp_err smsr_submit_op(rsp_smsr *e, const smsr_submission *q, rsp_smsr_result *res);

/* ---- es3_dl.c ---- */
static inline bool smsr_fn_is_dl(rsp_smsr_fn fn)
{
    return fn == RSP_SMSR_FN_CREATE_ISDP || fn == RSP_SMSR_FN_SEND_DATA;
}

/* The op's script decoded (docs/ENCODINGS.md "ES3 download operations"):
 * "iccid=<ICCID>;aid=<ISD-P AID hex>;<key>=<value>\n" then, for SendData, the SM-DP's Data as sent. */
typedef struct smsr_dl {
    char iccid[21];
    uint8_t aid[16];
    size_t aid_len;
    uint32_t mem;          /* CreateISDP: the quota of the INSTALL */
    bool scp03t;           /* SendData: an SCP03t body for the card's admin session (else one C-APDU by SMS) */
    bool ucp;              /* an ES3.UpdateConnectivityParameters (t=ucp: one C-APDU; t=ucpa: admin session only, scp03t set) */
    const uint8_t *data;   /* SendData: borrowed from the script */
    size_t len;
} smsr_dl;
rsp_err smsr_dl_decode(rsp_smsr_fn fn, const rsp_buf *script, smsr_dl *out);
/* The expanded script to the ISD-R: INSTALL [for install] (CreateISDP), or INSTALL [for
 * personalization] of the ISD-P then the SM-DP's C-APDU (SendData). */
rsp_err smsr_dl_command(rsp_smsr_fn fn, const smsr_dl *d, rsp_buf *script);
/* An SCP03t SendData claimed under fence: committed as WAIT_POR, then queued into the card's admin
 * session targeted at the ISD-P (its answer settles it through smsr_settle). *sent false: nothing
 * for the caller to send. */
rsp_err smsr_dl_queue(rsp_smsr *e, const rsp_store_op *op, const smsr_dl *d, int64_t now);
/* The card's answer judged for a download op (R-APDUs of the ISD-R script; raw: the admin session's
 * answer to an SCP03t body, ev given): *ev becomes POR_OK / POR_REFUSED(_AGAIN); *resp the data the
 * SM-DP gets (borrowed from data); msg the refusal text. */
void smsr_dl_judge(rsp_smsr_fn fn, const rsp_store_op *op, const uint8_t *data, size_t len, bool raw,
                   rsp_smsr_event *ev, rsp_bytes *resp, char msg[96]);
/* Records the outcome (DONE / FAILED) of a held download op with the card's data kept in the result
 * (after a NUL: smsr_result_fill reads the text part only) and its effects on the ISD-P record. */
typedef struct smsr_dl_outcome {
    rsp_store_op_state from;   /* the op's store state now (AWAITING; SENT when it could not be sent) */
    rsp_smsr_step to;          /* DONE or FAILED */
    const char *subject, *reason, *msg; /* FAILED: the status code (NULL: 8.4 / 4.2) and text */
    rsp_bytes resp;            /* DONE: the card's data for the SM-DP */
} smsr_dl_outcome;
rsp_err smsr_dl_finish(rsp_smsr *e, rsp_smsr_fn fn, const rsp_store_op *op, const smsr_dl *d,
                       const rsp_store_fence *fence, const smsr_dl_outcome *o, int64_t now);

/* ---- es5_sms.c: the one place an answer moves an op (PoR, admin answer) ---- */
rsp_err smsr_settle(rsp_smsr *e, const char *eid, int64_t op_id, int64_t gen, uint64_t cntr, rsp_smsr_event ev,
                    const uint8_t *data, size_t data_len, bool raw, int64_t now, rsp_diag *diag);
/* Is a session with eid open or opening (triggered, held, running)? Engine ops then go into it. */
bool smsr_https_open(smsr_https *h, const char *eid);

/* ---- es3.c internals shared with es3_dl.c ---- */
/* The calling SM-DP's CN into who; false: the call was rejected (not an SM-DP, ReplyTo refused). */
bool smsr_es3_caller(smsr_es3 *x, rsp_es_call *call, char who[RSP_STORE_ID_LEN]);
rsp_smsr *smsr_es3_engine(smsr_es3 *x);
/* Answers call once download op op_id settles (at once when it has): the result with the ISD-P
 * AID (CreateISDP) or the card's data (SendData); a ReplyTo makes it durable like ES4's. */
rsp_err smsr_es3_wait_dl(smsr_es3 *x, rsp_es_call *call, const rsp_smsr_request *rq, int64_t op_id);
/* Answers call with r through the durable reply reply_id (0: none), as ES4's answers are muted. */
void smsr_es3_answer(smsr_es3 *x, rsp_es_call *call, int64_t reply_id, const rsp_smsr_result *r);
/* The data of settled download op op_id into data_resp (an rsp_es_data_resp): the ISD-P AID
 * (CreateISDP) or the card's data (SendData); nothing unless DONE. For durable replies too. */
rsp_err smsr_dl_result_data(rsp_smsr *e, int64_t op_id, void *data_resp);
/* Answers call from download op op_id (settled) through the durable reply reply_id (0: none). */
void smsr_dl_answer(smsr_es3 *x, rsp_es_call *call, int64_t reply_id, int64_t op_id, const rsp_smsr_result *r);
/* Sends what the engine has to send now (the handler's op first in its card's queue), so a SendData
 * does not wait for the daemon's next tick. */
void smsr_dl_kick(smsr_es3 *x);
rsp_err smsr_dl_on_create(smsr_es3 *x, rsp_es_call *call);
rsp_err smsr_dl_on_send(smsr_es3 *x, rsp_es_call *call);
/* ES3.UpdateConnectivityParameters of cp (the SM-DP's C-APDU, 5..4096 bytes, passed unread) to the ISD-P
 * of p, which who created (checked by the caller): a durable op like SendData's (script t=ucp: one
 * C-APDU by SMS after INSTALL [for personalization]; t=ucpa, longer: the card's admin session only),
 * answered when it settles, through a durable reply when the call names a ReplyTo. */
rsp_err smsr_dl_on_conn(smsr_es3 *x, rsp_es_call *call, const rsp_store_profile *p, const char *who,
                        const rsp_es_req_hdr *hdr, rsp_bytes cp);

#endif
