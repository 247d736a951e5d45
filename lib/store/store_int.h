/* Internals of the store: the backend function-pointer table, the prepared-statement catalogue and
 * the helpers the entity files (eis.c, keyset.c, op.c, ...) share.
 *
 * Why the table sits at the SQL level (run a prepared statement, read rows) rather than one entry
 * per entity function: the entity logic (idempotency, the transition table, claim rules, counter
 * limits) is then written once, so the two backends cannot drift apart; what differs between them
 * is confined to the SQL text of a few statements, the schema DDL and the backend file. */
#ifndef RSP_STORE_INT_H
#define RSP_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "rsp/store.h"
#include "console_sql.h" /* the web console's statements (RSP_STORE_CONSOLE_*) */
#include "smdp_dl_sql.h" /* the SM-DP download journal's (RSP_STORE_SMDP_DL_*) */
#include "smds_sql.h"    /* the SM-DS event records' (RSP_STORE_SMDS_*) */

/* Prepared statements, indexed by enum (osmo-hlr style). The SQL lives in sql.c; "$n" parameters
 * are used by both backends (rewritten to "?n" for SQLite). */
#define RSP_STORE_STMT_LIST(X) \
    X(EIS_PUT) X(EIS_GET) X(EIS_DEL) \
    X(PROF_PUT) X(PROF_GET) X(PROF_LIST) X(PROF_SET_STATE) X(PROF_SET_POL2) X(PROF_FB_CLEAR) \
    X(PROF_FB_SET) X(PROF_EM_CLEAR) X(PROF_EM_SET) X(PROF_DEL) X(PROF_BY_MSISDN) \
    X(PROF_ENABLED_OTHER) X(PROF_ENABLED_MSISDN) X(PROF_ENABLED_DUP) X(PROF_DISABLE_OTHERS) X(PROF_ENABLE_ONE) \
    X(KS_PUT) X(KS_GET) X(KS_DEL) X(KS_RESERVE) X(KS_RESERVE_OP) X(KS_RAISE) X(KS_COUNTER) \
    X(OP_INSERT) X(OP_BY_FCID) X(OP_GET) X(OP_CLAIM_TAKEOVER) X(OP_CLAIM_HEAD) X(OP_CLAIM_BROKEN) \
    X(OP_TRANS) X(OP_STATE) X(OP_RENEW) X(OP_EXPIRE) X(OP_EXPIRING) X(OP_COUNT) \
    X(OP_TALLY_ADD) X(OP_TALLY) X(OP_LIVE_COUNT) \
    X(LANE_ADD) X(LANE_LOCK) X(LANE_BUSY) X(LANE_RELEASE) X(LANE_ADVANCE) X(LANE_HEAL) \
    X(AUD_APPEND) X(AUD_LIST) X(AUD_BACK) X(AUD_NOTIF) \
    X(PLMA_SET) X(PLMA_DEL) X(PLMA_GET) X(ONC_SET) X(ONC_DEL) X(ONC_GET) \
    X(INV_ADD) X(INV_GET) X(INV_ALLOC) X(INV_TRANS) X(INV_STATE) X(INV_COUNT) \
    X(OB_ADD) X(OB_GET) X(OB_CLAIM) X(OB_SENT) X(OB_RETRY) X(OB_DEAD) X(OB_WHY) X(OB_PRUNE) X(OB_STATS) \
    X(RP_ADD) X(RP_READY) X(RP_DEL) \
    RSP_STORE_CONSOLE_STMTS(X) RSP_STORE_SMDP_DL_STMTS(X) RSP_STORE_SMDS_STMTS(X)

typedef enum rsp_store_stmt {
#define RSP_STORE_STMT_ENUM_(n) RSP_STMT_##n,
    RSP_STORE_STMT_LIST(RSP_STORE_STMT_ENUM_)
#undef RSP_STORE_STMT_ENUM_
    RSP_STMT__COUNT
} rsp_store_stmt;

typedef enum rsp_store_backend_id { RSP_STORE_BE_SQLITE = 0, RSP_STORE_BE_PG = 1 } rsp_store_backend_id;

/* SQL of a statement for a backend. */
const char *rsp_store__sql(rsp_store_backend_id be, rsp_store_stmt st);

typedef enum rsp_store_pkind { RSP_SP_NULL, RSP_SP_INT, RSP_SP_TEXT, RSP_SP_BLOB } rsp_store_pkind;

/* One bound parameter; borrowed pointers, valid for the duration of the run call. */
typedef struct rsp_store_param {
    rsp_store_pkind kind;
    int64_t i;
    const char *s;
    const uint8_t *b;
    size_t len;
} rsp_store_param;

#define SP_INT(v) ((rsp_store_param){RSP_SP_INT, (int64_t)(v), NULL, NULL, 0})
#define SP_TEXT(v) ((rsp_store_param){RSP_SP_TEXT, 0, (v), NULL, 0})
#define SP_BLOB(p, n) ((rsp_store_param){RSP_SP_BLOB, 0, NULL, (p), (n)})

/* The backend table (curl vtls style). One statement is active at a time per connection: run
 * replaces the previous one; rows are read with next/col_* until next returns RSP_ERR_END; finish
 * releases it (must be called before commit). Column text is borrowed until the next next/finish. */
typedef struct rsp_store_ops {
    const char *name;
    rsp_store_backend_id id;
    rsp_err (*open)(rsp_store *s, const char *conninfo, rsp_diag *diag);
    void (*close)(rsp_store *s);
    /* Write transaction of several statements (SQLite: the writer lock, then BEGIN IMMEDIATE, so
     * the write lock is taken up front). commit reports a failed commit. */
    rsp_err (*begin)(rsp_store *s);
    rsp_err (*commit)(rsp_store *s);
    void (*rollback)(rsp_store *s);
    /* Around a single-statement write. SQLite: the same as begin/commit/rollback, because an
     * autocommit statement with RETURNING commits inside sqlite3_reset, whose error is easy to lose,
     * and because the writer lock must be held. PostgreSQL: nothing (an autocommit statement's
     * result already reports its commit). */
    rsp_err (*wbegin)(rsp_store *s);
    rsp_err (*wcommit)(rsp_store *s);
    void (*wrollback)(rsp_store *s);
    /* Runs a script of ;-separated statements (schema DDL); no parameters, no rows. */
    rsp_err (*exec)(rsp_store *s, const char *sql);
    /* Runs ad-hoc SQL returning one integer in its first row; RSP_ERR_END if no row. */
    rsp_err (*query_int)(rsp_store *s, const char *sql, int64_t *out);
    rsp_err (*run)(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t n);
    rsp_err (*next)(rsp_store *s);
    bool (*col_null)(rsp_store *s, int col);
    int64_t (*col_int)(rsp_store *s, int col);
    const char *(*col_text)(rsp_store *s, int col);
    rsp_err (*col_blob)(rsp_store *s, int col, rsp_buf *out);
    int64_t (*changes)(rsp_store *s); /* rows written by the last run (no RETURNING) */
    void (*finish)(rsp_store *s);
    /* Is a transaction open on the connection? (Both engines roll a whole transaction back on
     * some errors: SQLite on a full disk or I/O error, PostgreSQL aborts it on any error.) */
    bool (*in_tx)(rsp_store *s);
} rsp_store_ops;

struct rsp_store {
    const rsp_store_ops *ops;
    void *be; /* backend connection state */
    bool broken_claim; /* test hook only (rsp_store__test_break_claim) */
    /* Group commit (batch.c, docs/modules/store.md "Group commit"): between batch_begin and
     * batch_commit every unit of work is a SAVEPOINT inside one transaction, opened by the first
     * unit (so a turn that writes nothing costs nothing). */
    bool batch;        /* a batch is open */
    bool batch_tx;     /* its transaction has begun */
    unsigned depth;    /* savepoints open */
    bool rel_pending;  /* PostgreSQL: the last depth-0 unit's RELEASE is not sent yet (batch.c) */
    bool bare;         /* SQLite: a single-statement unit runs without a savepoint (batch.c) */
    rsp_err batch_err; /* the batch's transaction was lost (an inner error rolled all of it back) */
    rsp_store_batch_stats bst;
    char tally_key[64]; /* rsp_store_tally_key: this handle's rows of op_tally */
    rsp_store_batch_fn on_open; /* rsp_store_batch_hook */
    void *on_open_arg;
};

/* Test hook, never called by production code: makes this handle claim with a deliberately broken
 * statement (it ignores the one-in-flight-per-eUICC and FIFO rules), so the concurrency test can
 * show that it catches a wrong claim query. */
void rsp_store__test_break_claim(rsp_store *s);

extern const rsp_store_ops rsp_store_sqlite_ops;
extern const rsp_store_ops rsp_store_pg_ops;

/* Migrations (schema.c). Opens with the schema at most at max_version (tests build old databases
 * with it); rsp_store_open uses RSP_STORE_SCHEMA_VERSION. */
rsp_err rsp_store__migrate(rsp_store *s, int max_version, rsp_diag *diag);
rsp_err rsp_store__open_version(const char *uri, int max_version, rsp_diag *diag, rsp_store **out);

/* Helpers (store.c). */
/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows written. */
rsp_err rsp_store__exec_stmt(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t n,
                             int64_t *changes);
/* Runs a statement and positions on its first row; RSP_ERR_END (statement finished) if none. */
rsp_err rsp_store__first(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t n);
/* Copies column text into dst[cap]; RSP_ERR_LENGTH if it does not fit. NULL becomes "". */
rsp_err rsp_store__col_str(rsp_store *s, int col, char *dst, size_t cap);
/* One audit row from the current result, columns id, ts, actor, eid, iccid, op_id, event, detail in
 * that order (every audit query selects them so). policy.c */
rsp_err rsp_store__audit_read(rsp_store *s, rsp_store_audit *a);
/* Checks that str is non-NULL and fits in cap bytes with its NUL. */
rsp_err rsp_store__chk(const char *str, size_t cap);
/* Transactions of several statements. Inside a batch they are savepoints of the batch's transaction
 * (batch.c): commit releases it (durable only when the batch commits), rollback undoes only it. */
rsp_err rsp_store__begin(rsp_store *s);
rsp_err rsp_store__commit(rsp_store *s);
void rsp_store__rollback(rsp_store *s);
/* batch.c: the savepoint forms of begin / commit / rollback, used when s->batch. */
rsp_err rsp_store__sp_begin(rsp_store *s);
/* SQLite, at depth 0: a single-statement write's unit of work without a SAVEPOINT (batch.c). */
rsp_err rsp_store__sp_bare_begin(rsp_store *s);
rsp_err rsp_store__sp_bare_end(rsp_store *s, rsp_err e);
rsp_err rsp_store__sp_commit(rsp_store *s);
void rsp_store__sp_rollback(rsp_store *s);
/* Single-statement writes: wbegin, then the statement(s), then wend(s, e), which commits if e is
 * RSP_OK (returning the commit's error) and rolls back otherwise (returning e). */
rsp_err rsp_store__wbegin(rsp_store *s);
rsp_err rsp_store__wend(rsp_store *s, rsp_err e);
/* A write run as one unit: wbegin, exec_stmt, wend. */
rsp_err rsp_store__write(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t n,
                         int64_t *changes);
/* After reading a RETURNING row: steps the statement to its end and reports any error there. */
rsp_err rsp_store__done(rsp_store *s);

#define RSP_STORE_TRY(expr) do { rsp_err e_ = (expr); if (e_ != RSP_OK) return e_; } while (0)

#endif
