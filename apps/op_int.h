/* `rsp op` internals: the parsed command line, the request built from flags (op_req.c), the outcome of
 * one call and its output (op_out.c), the callback listener (op_cb.c), one call (cmd_op.c) and the batch
 * over a list of EIDs (op_batch.c). docs/modules/op.md. */
#ifndef RSP_APPS_OP_INT_H
#define RSP_APPS_OP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <pthread.h>

#include "rsp/es.h"
#include "rsp/svc_client.h"

/* Exit codes (README): 0 executed (or accepted without --wait), 1 refused / failed / expired / SOAP
 * Fault, 2 usage, 3 no usable answer (network, timeout, undecodable): the outcome is unknown. */
enum { OP_EXIT_NO_ANSWER = 3 };

#define OP_MAX_FIELDS 24

typedef struct op_kv {
    const char *name; /* flag without "--" */
    const char *value; /* NULL for a flag without a value */
} op_kv;

typedef struct op_args {
    const rsp_es_func *f;
    const char *url, *cert, *key, *ca, *from;
    rsp_svc_binding binding;
    rsp_es_dialect dialect;
    bool wait, json;
    const char *cb_listen, *cb_url; /* callback listener HOST:PORT, and the URL sent as ReplyTo */
    const char *reply_to;           /* without --wait: ReplyTo, where the server sends the result */
    unsigned timeout_ms;
    const char *dump_request;       /* a file that receives the request as sent */
    const char *dump_response;      /* a file that receives the HTTP answer's body */
    pthread_mutex_t *dump_mu;       /* batch: the dumps are written one at a time (same temp file) */
    const char *body;               /* --body JSON or @FILE: the request body as in docs/ES-JSON.md */
    op_kv kv[OP_MAX_FIELDS];        /* the function's own flags (--eid, --iccid, ...) */
    size_t nkv;
    /* batch */
    const char *eids_file, *results;
    unsigned concurrency;
} op_args;

/* ---- op_req.c ---- */
/* "ES4.EnableProfile", "es2.GetEIS" or a bare name (ES4A, then ES4, then ES2: the SM-SR's functions
 * first; DownloadProfile and the ES2-only ones are found in ES2). iface_hint (may be NULL) forces the
 * interface. NULL when unknown or not a function `rsp op` sends (notifications, SM-SR change). */
const rsp_es_func *op_find(const char *name, const char *iface_hint);
/* Whether --name is one of f's flags, and whether it takes a value. */
bool op_is_field_flag(const rsp_es_func *f, const char *name, bool *takes_value);
/* The request of a->f from --body and the flags; eid/iccid (may be NULL) override --eid/--iccid (batch).
 * Usage errors (a missing mandatory element, a bad value) are RSP_ERR_INVAL with diag naming it. */
rsp_err op_build(const op_args *a, const char *eid, const char *iccid, rsp_es_msg *m, rsp_diag *d);
/* Prints the function's flags (for --help). */
void op_print_fields(FILE *o, const rsp_es_func *f);
/* Prints the list of functions. */
void op_print_functions(FILE *o);

/* ---- op_out.c ---- */
typedef enum op_outcome {
    OP_EXECUTED = 0, /* EXECUTED_SUCCESS or EXECUTED_WITH_WARNING */
    OP_ACCEPTED,     /* 202, the result goes to ReplyTo (without --wait) */
    OP_REFUSED,      /* Failed / Expired result */
    OP_FAULT,        /* SOAP Fault / JSON error */
    OP_NO_ANSWER,    /* network, timeout, an answer we cannot decode: outcome unknown */
    OP_INVALID,      /* the request could not be built (batch: a bad line): nothing sent */
} op_outcome;

typedef struct op_result {
    op_outcome outcome;
    int http_status;
    char function_call_id[96];
    char message_id[64];
    char error[256];    /* FAULT / NO_ANSWER: what happened */
    rsp_es_msg resp;    /* the decoded result (resp.func NULL when there is none) */
    const char *via;    /* "http-response", "callback" or "none" */
} op_result;

const char *op_outcome_name(op_outcome o);
int op_exit_code(op_outcome o);
/* The result as one JSON object: function, outcome, http_status, message_id, function_call_id, status,
 * subject, reason, message, iccid (when the request or result names one), error, result (the body). */
json_t *op_result_json(const rsp_es_msg *req, const op_result *r);
/* Human lines on out. */
void op_result_print(FILE *out, const rsp_es_msg *req, const op_result *r);
/* The ICCID a request or its result names, or NULL. */
const char *op_iccid_of(const rsp_es_msg *req, const op_result *r);
/* Deep copy of a message (through its JSON form). */
rsp_err op_msg_copy(const rsp_es_msg *src, rsp_es_msg *dst);

/* ---- op_cb.c: the callback listener (its own thread and loop) ---- */
typedef struct op_cb op_cb;
/* Starts an mTLS listener on a->cb_listen for the results of a->f. *reply_to receives the URL to send
 * as ReplyTo (a->cb_url, else https://HOST:PORT/ of the bound port; owned by the listener). */
rsp_err op_cb_start(const op_args *a, op_cb **out, const char **reply_to, rsp_diag *d);
/* Registers a MessageID before its request is sent (a result may come before the 202). */
rsp_err op_cb_expect(op_cb *cb, const char *message_id);
/* Waits until the result relating to message_id comes (copied into out: RSP_OK) or timeout_ms passes
 * (RSP_ERR_TIMEOUT); forgets the MessageID either way. */
rsp_err op_cb_wait(op_cb *cb, const char *message_id, unsigned timeout_ms, rsp_es_msg *out);
void op_cb_stop(op_cb *cb);

/* ---- cmd_op.c ---- */
/* One call: builds the request, sends it, waits for the result as asked. cl and cb are the caller's
 * (cb NULL without a listener); eid, iccid and fcid (NULL: from the flags) override the flags (batch).
 * req is left with what was sent (free it). */
void op_run_one(const op_args *a, rsp_svc_client *cl, op_cb *cb, const char *reply_to, const char *eid,
                const char *iccid, const char *fcid, rsp_es_msg *req, op_result *r);
void op_result_free(op_result *r);
rsp_err op_client_new(const op_args *a, rsp_svc_client **cl, rsp_diag *d);

/* ---- op_batch.c ---- */
int op_batch(const op_args *a);

/* One line of an EID list file (--eids of `rsp op` and `rsp op smsr-change`). */
typedef struct op_eid_row {
    char *eid;   /* as written: each command checks it (a bad EID is one failed line of a batch) */
    char *iccid; /* the optional second column, or NULL */
} op_eid_row;
/* Reads an EID list: one "EID [ICCID]" a line, blank- or comma-separated, '#' starts a comment, blank
 * lines skipped. cmd names the command in the messages. Returns -1 with *rows (malloc'd, and each
 * string: free with op_eid_rows_free) holding *n >= 1 rows, or the usage exit code after its message
 * (unreadable file, a third column, no EID at all). */
int op_eid_rows_load(const char *cmd, const char *path, op_eid_row **rows, size_t *n);
void op_eid_rows_free(op_eid_row *rows, size_t n);

/* ---- commands of `rsp op` that are not ES requests (their own flags; argv[0] is the command) ---- */
/* `rsp op ota`: ES6, the Operator's OTA to the MNO-SD of its enabled profile (op_ota.c). */
int op_ota(int argc, char **argv);
/* `rsp op smsr-change`: a batch of SM-SR changes (op_smsr_change.c). */
int op_smsr_change(int argc, char **argv);

#endif
