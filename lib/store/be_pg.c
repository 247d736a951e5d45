/* PostgreSQL backend (libpq): for fleets, several stateless workers sharing one database.
 *
 * Statements are prepared lazily on first use (so a connection that never claims never prepares
 * the claim) under the names "rsp<N>". Parameters go as text except blobs (binary, so keys and
 * packages are never escaped into a string); results come back as text, bytea decoded with
 * PQunescapeBytea. synchronous_commit is forced on per session: a server configured with it off
 * would otherwise acknowledge a counter reservation before it is durable. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pq_load.h"
#include "rsp/log.h"
#include "store_int.h"

#define PG_MAX_PARAMS 16

typedef struct pg {
    rsp_pq pq;          /* libpq, opened with the store (pq_load.c) */
    PGconn *conn;
    bool prepared[RSP_STMT__COUNT];
    PGresult *res;      /* the active result */
    int row;            /* next row to hand out */
    int64_t changes;
} pg;

static rsp_err map_res(pg *g, PGresult *r, const char *what)
{
    ExecStatusType st = r ? g->pq.PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return RSP_OK;
    const char *state = r ? g->pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state) {
        if (strcmp(state, "23505") == 0)
            return RSP_ERR_EXISTS;
        if (strcmp(state, "23503") == 0)
            return RSP_ERR_NOT_FOUND;
        if (strcmp(state, "P0001") == 0) /* RAISE EXCEPTION: the audit append-only trigger */
            return RSP_ERR_DENIED;
        if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
            strcmp(state, "55P03") == 0)
            return RSP_ERR_BUSY;
    }
    /* Server messages name relations and constraints; values (keys) are not echoed for the
     * constraint kinds mapped above, and the rest carry no bound parameter values. */
    RSP_LOGE(RSP_SS_STORE, "postgresql error", "what=%s sqlstate=%s msg=\"%s\"", what,
             state ? state : "-", r ? g->pq.PQresultErrorMessage(r) : g->pq.PQerrorMessage(g->conn));
    if (g->pq.PQstatus(g->conn) != CONNECTION_OK)
        return RSP_ERR_NET;
    return RSP_ERR_DB;
}

static rsp_err pg_exec(rsp_store *s, const char *sql)
{
    pg *g = s->be;
    PGresult *r = g->pq.PQexec(g->conn, sql);
    rsp_err e = map_res(g, r, "exec");
    g->pq.PQclear(r);
    return e;
}

static void pg_notice(void *arg, const char *msg)
{
    (void)arg;
    (void)msg; /* NOTICEs (e.g. "relation exists") are not errors; keep stderr clean. */
}

static rsp_err pg_open(rsp_store *s, const char *conninfo, rsp_diag *diag)
{
    pg *g = calloc(1, sizeof *g);
    if (!g)
        return RSP_ERR_NOMEM;
    s->be = g;
    rsp_err le = rsp_pq_load(&g->pq, diag);
    if (le != RSP_OK) {
        free(g);
        s->be = NULL;
        return le;
    }
    g->conn = g->pq.PQconnectdb(conninfo);
    if (!g->conn || g->pq.PQstatus(g->conn) != CONNECTION_OK) {
        /* The conninfo may hold a password: report libpq's message only, never the string. */
        rsp_diag_set(diag, RSP_ERR_NET, "store: cannot connect to postgresql: %s",
                     g->conn ? g->pq.PQerrorMessage(g->conn) : "out of memory");
        g->pq.PQfinish(g->conn);
        rsp_pq_unload(&g->pq);
        free(g);
        s->be = NULL;
        return RSP_ERR_NET;
    }
    g->pq.PQsetNoticeProcessor(g->conn, pg_notice, NULL);
    rsp_err e = pg_exec(s, "SET synchronous_commit = on; SET client_min_messages = warning");
    if (e != RSP_OK) {
        rsp_diag_set(diag, e, "store: cannot configure the postgresql session");
        g->pq.PQfinish(g->conn);
        rsp_pq_unload(&g->pq);
        free(g);
        s->be = NULL;
    }
    return e;
}

static void pg_finish(rsp_store *s)
{
    pg *g = s->be;
    g->pq.PQclear(g->res);
    g->res = NULL;
    g->row = 0;
}

static void pg_close(rsp_store *s)
{
    pg *g = s->be;
    if (!g)
        return;
    pg_finish(s);
    g->pq.PQfinish(g->conn);
    rsp_pq_unload(&g->pq);
    free(g);
    s->be = NULL;
}

static rsp_err pg_begin(rsp_store *s)
{
    return pg_exec(s, "BEGIN");
}

static rsp_err pg_commit(rsp_store *s)
{
    pg_finish(s);
    return pg_exec(s, "COMMIT");
}

static void pg_rollback(rsp_store *s)
{
    pg *g = s->be;
    pg_finish(s);
    if (g->pq.PQtransactionStatus(g->conn) != PQTRANS_IDLE)
        g->pq.PQclear(g->pq.PQexec(g->conn, "ROLLBACK"));
}

/* Single-statement writes run in autocommit: the statement's own result reports its commit. */
static rsp_err pg_nop(rsp_store *s)
{
    (void)s;
    return RSP_OK;
}

static void pg_nop_rollback(rsp_store *s)
{
    pg_finish(s);
}

static rsp_err pg_query_int(rsp_store *s, const char *sql, int64_t *out)
{
    pg *g = s->be;
    PGresult *r = g->pq.PQexec(g->conn, sql);
    rsp_err e = map_res(g, r, "query");
    if (e == RSP_OK) {
        if (g->pq.PQntuples(r) < 1 || g->pq.PQgetisnull(r, 0, 0))
            e = RSP_ERR_END;
        else
            *out = strtoll(g->pq.PQgetvalue(r, 0, 0), NULL, 10);
    }
    g->pq.PQclear(r);
    return e;
}

static rsp_err pg_run(rsp_store *s, rsp_store_stmt id, const rsp_store_param *p, size_t n)
{
    pg *g = s->be;
    char name[16], nums[PG_MAX_PARAMS][24];
    const char *vals[PG_MAX_PARAMS];
    int lens[PG_MAX_PARAMS], fmts[PG_MAX_PARAMS];

    pg_finish(s);
    if ((unsigned)id >= RSP_STMT__COUNT || n > PG_MAX_PARAMS)
        return RSP_ERR_INVAL;
    snprintf(name, sizeof name, "rsp%d", (int)id);
    if (!g->prepared[id]) {
        PGresult *r = g->pq.PQprepare(g->conn, name, rsp_store__sql(RSP_STORE_BE_PG, id), 0, NULL);
        rsp_err e = map_res(g, r, "prepare");
        g->pq.PQclear(r);
        if (e != RSP_OK)
            return e;
        g->prepared[id] = true;
    }
    for (size_t i = 0; i < n; i++) {
        lens[i] = 0;
        fmts[i] = 0;
        switch (p[i].kind) {
        case RSP_SP_NULL: vals[i] = NULL; break;
        case RSP_SP_INT:
            snprintf(nums[i], sizeof nums[i], "%" PRId64, p[i].i);
            vals[i] = nums[i];
            break;
        case RSP_SP_TEXT: vals[i] = p[i].s; break;
        case RSP_SP_BLOB:
            vals[i] = p[i].b ? (const char *)p[i].b : "";
            lens[i] = (int)p[i].len;
            fmts[i] = 1;
            break;
        }
    }
    PGresult *r = g->pq.PQexecPrepared(g->conn, name, (int)n, vals, lens, fmts, 0);
    rsp_err e = map_res(g, r, "run");
    if (e != RSP_OK) {
        g->pq.PQclear(r);
        return e;
    }
    g->res = r;
    g->row = -1;
    const char *ct = g->pq.PQcmdTuples(r);
    g->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
    return RSP_OK;
}

static rsp_err pg_next(rsp_store *s)
{
    pg *g = s->be;
    if (!g->res || g->row + 1 >= g->pq.PQntuples(g->res))
        return RSP_ERR_END;
    g->row++;
    return RSP_OK;
}

static bool pg_col_null(rsp_store *s, int col)
{
    pg *g = s->be;
    return g->pq.PQgetisnull(g->res, g->row, col) != 0;
}

static int64_t pg_col_int(rsp_store *s, int col)
{
    pg *g = s->be;
    return strtoll(g->pq.PQgetvalue(g->res, g->row, col), NULL, 10);
}

static const char *pg_col_text(rsp_store *s, int col)
{
    pg *g = s->be;
    return g->pq.PQgetvalue(g->res, g->row, col); /* "" for NULL */
}

static rsp_err pg_col_blob(rsp_store *s, int col, rsp_buf *out)
{
    pg *g = s->be;
    rsp_buf_reset(out);
    if (g->pq.PQgetisnull(g->res, g->row, col))
        return RSP_OK;
    size_t n = 0;
    unsigned char *b = g->pq.PQunescapeBytea((const unsigned char *)g->pq.PQgetvalue(g->res, g->row, col), &n);
    if (!b)
        return RSP_ERR_NOMEM;
    rsp_err e = n ? rsp_buf_append(out, b, n) : RSP_OK;
    rsp_wipe(b, n); /* may be key material */
    g->pq.PQfreemem(b);
    return e;
}

static int64_t pg_changes(rsp_store *s)
{
    pg *g = s->be;
    return g->changes;
}

/* INTRANS only: INERROR (a failed statement) is a transaction that can no longer commit. */
static bool pg_in_tx(rsp_store *s)
{
    pg *g = s->be;
    return g->pq.PQtransactionStatus(g->conn) == PQTRANS_INTRANS;
}

const rsp_store_ops rsp_store_pg_ops = {
    .name = "postgresql",
    .id = RSP_STORE_BE_PG,
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .wbegin = pg_nop,
    .wcommit = pg_nop,
    .wrollback = pg_nop_rollback,
    .exec = pg_exec,
    .query_int = pg_query_int,
    .run = pg_run,
    .next = pg_next,
    .col_null = pg_col_null,
    .col_int = pg_col_int,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .changes = pg_changes,
    .finish = pg_finish,
    .in_tx = pg_in_tx,
};
