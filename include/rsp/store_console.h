/* Read queries of the SM-SR web console (lib/store/console.c; docs/modules/console.md): fleet search
 * by EID / ICCID / MSISDN prefix and operation lists, keyset-paged on indexes (schema v7) so a page
 * costs what it returns with 100,000 cards; campaign figures; an operation's audit steps.
 *
 * Prefixes and keys are checked by the caller (lib/smsr/console_query.c); here they are only
 * bounded. Arrays are malloc'd, freed by the caller with free(). Nothing returned is key material:
 * EIS signatures, key sets and operation scripts are never read. */
#ifndef RSP_STORE_CONSOLE_H
#define RSP_STORE_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "rsp/store.h"

#define RSP_STORE_CONSOLE_PAGE_MAX 200
#define RSP_STORE_CONSOLE_COUNT_CAP 10000 /* counts above this are reported as cap + 1 */

typedef enum rsp_store_console_by {
    RSP_STORE_CONSOLE_BY_EID = 0,
    RSP_STORE_CONSOLE_BY_ICCID,
    RSP_STORE_CONSOLE_BY_MSISDN,
} rsp_store_console_by;

/* One search hit: by EID a card (iccid, msisdn empty; profiles = its count); by ICCID / MSISDN a
 * profile with its card. */
typedef struct rsp_store_console_hit {
    char eid[33];
    char iccid[21];
    char msisdn[21];
    char eum_id[RSP_STORE_ID_LEN]; /* by EID */
    int64_t last_audit;            /* by EID */
    int64_t profiles;              /* by EID */
    rsp_store_profile_state state; /* by ICCID / MSISDN */
    char mno_id[RSP_STORE_ID_LEN];
    char profile_type[RSP_STORE_ID_LEN];
    bool fallback;
} rsp_store_console_hit;

/* Up to max (<= RSP_STORE_CONSOLE_PAGE_MAX) hits whose key starts with prefix, in key order, after
 * the hit keyed after_key / after_iccid (the previous page's last eid, iccid, or msisdn + iccid;
 * "" = from the start). *total (may be NULL) gets the number of matches, capped at
 * RSP_STORE_CONSOLE_COUNT_CAP + 1. */
rsp_err rsp_store_console_search(rsp_store *s, rsp_store_console_by by, const char *prefix, const char *after_key,
                                 const char *after_iccid, size_t max, rsp_store_console_hit **out, size_t *n,
                                 int64_t *total);

/* An operation as the console lists it (no script; result is the stored text, owned). */
typedef struct rsp_store_console_op {
    rsp_store_op op;  /* script empty; result as stored */
    int64_t updated;
} rsp_store_console_op;

typedef struct rsp_store_console_op_filter {
    int64_t before_id;                 /* 0: newest first from the top */
    int state_min, state_max;          /* RSP_STORE_OP_* range (queued..expired for all) */
    const char *function;              /* NULL/"" = any */
    const char *requester;             /* NULL/"" = any */
    const char *eid;                   /* NULL/"" = any */
} rsp_store_console_op_filter;

/* Operations matching f, newest first, at most max. Release each with rsp_store_op_clear(&x.op). */
rsp_err rsp_store_console_ops(rsp_store *s, const rsp_store_console_op_filter *f, size_t max,
                              rsp_store_console_op **out, size_t *n);
void rsp_store_console_ops_free(rsp_store_console_op *v, size_t n);

/* The operations queued (out[0]), sent (out[1]) and awaiting an answer (out[2]); costs the live
 * operations only (the settled ones are counted by /metrics). */
rsp_err rsp_store_console_live_counts(rsp_store *s, int64_t out[3]);

/* The audit entries of operation op_id on eid, oldest first, at most max. */
rsp_err rsp_store_console_op_audit(rsp_store *s, const char *eid, int64_t op_id, size_t max,
                                   rsp_store_audit **out, size_t *n);
/* The card's audit entries before before_id (0: newest), newest first, at most max. */
rsp_err rsp_store_console_card_audit(rsp_store *s, const char *eid, int64_t before_id, size_t max,
                                     rsp_store_audit **out, size_t *n);

/* The newest max operations' (requester, fcid, function, state), newest first: the console derives
 * campaigns from them. */
typedef struct rsp_store_console_recent {
    char requester[RSP_STORE_ID_LEN];
    char fcid[RSP_STORE_ID_LEN];
    char function[64];
    rsp_store_op_state state;
} rsp_store_console_recent_op;
rsp_err rsp_store_console_recent(rsp_store *s, size_t max, rsp_store_console_recent_op **out, size_t *n);

/* A campaign: the operations of requester whose FCID matches the LIKE pattern (with '\' escaping
 * '%', '_' and '\'), whose literal prefix (before the first wildcard) is prefix. */
typedef struct rsp_store_console_campaign {
    int64_t by_state[RSP_STORE_OP_EXPIRED + 1];
    int64_t first_created, last_updated;
    char function[64];      /* the function when all share one, else "mixed" */
} rsp_store_console_campaign;
rsp_err rsp_store_console_campaign_get(rsp_store *s, const char *requester, const char *prefix,
                                       const char *pattern, rsp_store_console_campaign *c);
/* fn(arg, state, result) for its failed / expired operations, newest first, at most max. */
typedef void (*rsp_store_console_fail_fn)(void *arg, rsp_store_op_state st, const uint8_t *result, size_t len);
rsp_err rsp_store_console_campaign_failures(rsp_store *s, const char *requester, const char *prefix,
                                            const char *pattern, size_t max, rsp_store_console_fail_fn fn,
                                            void *arg);

#endif
