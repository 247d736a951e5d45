/* Orders and ES9+ sessions of the SM-DP+ in DIR/smdpp.db (SQLite, WAL, synchronous FULL): each ES9+
 * step's decision is one transaction committed before its answer leaves, so a kill -9 between two
 * calls finds the session where the last answer said it was (rsp_smdpp_open settles the rest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es9p.h"
#include "rsp/ids.h"
#include "smdpp_int.h"

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS smdpp_order(matching_id TEXT PRIMARY KEY, op TEXT NOT NULL, type TEXT NOT NULL,"
    " eid TEXT NOT NULL, iccid TEXT NOT NULL, state INTEGER NOT NULL, cc INTEGER NOT NULL, cc_hash BLOB,"
    " cc_left INTEGER NOT NULL, expires INTEGER NOT NULL, tid TEXT NOT NULL, updated INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS smdpp_session(tid TEXT PRIMARY KEY, step INTEGER NOT NULL, euicc_challenge BLOB,"
    " server_challenge BLOB, ci_index INTEGER NOT NULL, eid TEXT NOT NULL, matching_id TEXT NOT NULL,"
    " smdp_sig2 BLOB, cert_euicc BLOB, updated INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS smdpp_session_live ON smdpp_session(step) WHERE step > 0;"
    /* ES2+ names orders by ICCID (order_by_iccid): without it each call scanned every order. Partial:
     * an order without an identity yet (most, before authenticateClient) has no entry to keep */
    "CREATE INDEX IF NOT EXISTS smdpp_order_iccid ON smdpp_order(iccid) WHERE iccid != '';";

static rsp_err exec(rsp_smdpp *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? RSP_OK : RSP_ERR_DB;
}

/* The statements of every ES9+ call, prepared once per connection (issue 14, Numbers: parsing them on
 * each call, with sqlite3_exec's BEGIN/COMMIT/PRAGMA, was ~9% of the SM-DP+'s CPU per download). Each
 * is reset and its bindings cleared after use, so none holds a read transaction or a caller's pointer
 * between calls; a schema change re-prepares them inside sqlite3_step. Rare statements (the restart
 * settlement, the SM-DS sweep) stay prepared per call. A put is an upsert, not INSERT OR REPLACE: the
 * row is changed where it is (REPLACE deletes it and appends a new one, touching its key's index and a
 * second table page: more WAL pages per commit). */
enum { ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_SYNC_FULL, ST_SYNC_NORMAL, ST_ORDER_PUT, ST_ORDER_ICCID,
       ST_ORDER_BY_MID, ST_ORDER_BY_ICCID, ST_ORDER_DELETE, ST_SESS_PUT, ST_SESS_GET, ST_N };

#define ORDER_COLS "matching_id,op,type,eid,iccid,state,cc,cc_hash,cc_left,expires,tid,updated,smds"
#define SESS_COLS "tid,step,euicc_challenge,server_challenge,ci_index,eid,matching_id,smdp_sig2,cert_euicc,updated"
/* the newest order of an ICCID: an identity spent and retired never comes back to another. The
 * ICCID's "!= ''" (order_by_iccid never asks for '') lets SQLite use the partial index. */
#define ORDER_BY(col, also) \
    "SELECT " ORDER_COLS " FROM smdpp_order WHERE " col " = ?" also " ORDER BY updated DESC LIMIT 1"

static const char *const stmt_sql[ST_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SYNC_FULL] = "PRAGMA synchronous=FULL",
    [ST_SYNC_NORMAL] = "PRAGMA synchronous=NORMAL",
    [ST_ORDER_PUT] = "INSERT INTO smdpp_order(" ORDER_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"
                     " ON CONFLICT(matching_id) DO UPDATE SET op=excluded.op,type=excluded.type,eid=excluded.eid,"
                     "state=excluded.state,cc=excluded.cc,cc_hash=excluded.cc_hash,"
                     "cc_left=excluded.cc_left,expires=excluded.expires,tid=excluded.tid,updated=excluded.updated,"
                     "smds=excluded.smds",
    /* iccid apart: SQLite rewrites the entry of every index on a column an UPDATE sets, even to the
     * same value (one more WAL page per commit); it changes once or twice in an order's life */
    [ST_ORDER_ICCID] = "UPDATE smdpp_order SET iccid = ?2 WHERE matching_id = ?1 AND iccid != ?2",
    [ST_ORDER_BY_MID] = ORDER_BY("matching_id", ""),
    [ST_ORDER_BY_ICCID] = ORDER_BY("iccid", " AND iccid != ''"),
    [ST_ORDER_DELETE] = "DELETE FROM smdpp_order WHERE matching_id = ?",
    [ST_SESS_PUT] = "INSERT INTO smdpp_session(" SESS_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT(tid) DO UPDATE SET step=excluded.step,euicc_challenge=excluded.euicc_challenge,"
                    "server_challenge=excluded.server_challenge,ci_index=excluded.ci_index,eid=excluded.eid,"
                    "matching_id=excluded.matching_id,smdp_sig2=excluded.smdp_sig2,cert_euicc=excluded.cert_euicc,"
                    "updated=excluded.updated",
    [ST_SESS_GET] = "SELECT " SESS_COLS " FROM smdpp_session WHERE tid = ?",
};

struct smdpp_stmts {
    sqlite3_stmt *st[ST_N];
    sqlite3_stmt *ext[SMDPP_ST_EXT_N]; /* the other files' (rsp_smdpp__stmt_ext) */
};

static sqlite3_stmt *prepared(rsp_smdpp *s, sqlite3_stmt **st, const char *sql)
{
    if (!*st && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
    }
    return *st;
}

/* The statement k, prepared at its first use; NULL when it cannot be (the caller answers RSP_ERR_DB). */
static sqlite3_stmt *stmt(rsp_smdpp *s, int k)
{
    if (!s->stmts && !(s->stmts = calloc(1, sizeof(*s->stmts))))
        return NULL;
    return prepared(s, &s->stmts->st[k], stmt_sql[k]);
}

sqlite3_stmt *rsp_smdpp__stmt_ext(rsp_smdpp *s, int slot, const char *sql)
{
    if (slot < 0 || slot >= SMDPP_ST_EXT_N || (!s->stmts && !(s->stmts = calloc(1, sizeof(*s->stmts)))))
        return NULL;
    return prepared(s, &s->stmts->ext[slot], sql);
}

/* Back to unused: no open read, no binding pointing into the caller's memory. */
void rsp_smdpp__stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* One step of a statement that returns no row. */
static rsp_err step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    rsp_smdpp__stmt_done(st);
    return rc == SQLITE_DONE ? RSP_OK : (rc == SQLITE_CONSTRAINT ? RSP_ERR_EXISTS : RSP_ERR_DB);
}

static rsp_err run(rsp_smdpp *s, int k)
{
    sqlite3_stmt *st = stmt(s, k);
    return st ? step_done(st) : RSP_ERR_DB;
}

void rsp_smdpp__db_close(rsp_smdpp *s)
{
    if (s->stmts) {
        for (int k = 0; k < ST_N; k++)
            sqlite3_finalize(s->stmts->st[k]);
        for (int k = 0; k < SMDPP_ST_EXT_N; k++)
            sqlite3_finalize(s->stmts->ext[k]);
    }
    free(s->stmts);
    s->stmts = NULL;
    if (s->db)
        sqlite3_close(s->db);
    s->db = NULL;
}

/* Every commit of the connection, explicit or a single write's own (sqlite3_commit_hook), counted
 * by the synchronous level it runs at: what `rsp bench smdpp` reads as commits per download. */
static int count_commit(void *arg)
{
    rsp_smdpp *s = arg;
    s->commits[s->light ? 0 : 1]++;
    return 0; /* the commit goes on */
}

rsp_err rsp_smdpp__db_open(rsp_smdpp *s, rsp_diag *diag)
{
    char p[600];
    snprintf(p, sizeof(p), "%s/smdpp.db", s->dir);
    if (sqlite3_open_v2(p, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK)
        return rsp_diag_set(diag, RSP_ERR_DB, "cannot open %s: %s", p, s->db ? sqlite3_errmsg(s->db) : "?");
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_commit_hook(s->db, count_commit, s);
    if (exec(s, schema) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_DB, "%s: %s", p, sqlite3_errmsg(s->db));
    /* the SM-DS of an order's event (ES12): a column added to databases made before it */
    sqlite3_stmt *st;
    bool has = sqlite3_prepare_v2(s->db, "SELECT smds FROM smdpp_order LIMIT 0", -1, &st, NULL) == SQLITE_OK;
    sqlite3_finalize(st);
    if (!has && exec(s, "ALTER TABLE smdpp_order ADD COLUMN smds TEXT NOT NULL DEFAULT ''") != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_DB, "%s: %s", p, sqlite3_errmsg(s->db));
    return RSP_OK;
}

rsp_err rsp_smdpp__begin(rsp_smdpp *s) { return run(s, ST_BEGIN); }
rsp_err rsp_smdpp__commit(rsp_smdpp *s) { return run(s, ST_COMMIT); }

/* begin_light/commit_light: a transaction that survives a kill -9 (WAL, synchronous NORMAL: the
 * frames are in the OS's cache) but not necessarily a power failure until the next FULL commit syncs
 * the WAL with it (the WAL is appended in order, so a later durable commit makes every earlier one
 * durable too). For the steps whose loss after a power failure ends the session cleanly (unknown
 * transactionId, or a step back); one fdatasync less each (issue 14, Numbers: the syncs were the
 * SM-DP+'s largest CPU item). */
rsp_err rsp_smdpp__begin_light(rsp_smdpp *s)
{
    /* SQLite refuses to change the level inside a transaction: set before, restored by commit_light
     * or rollback */
    rsp_err e = run(s, ST_SYNC_NORMAL);
    s->light = e == RSP_OK;
    return e ? e : run(s, ST_BEGIN);
}

rsp_err rsp_smdpp__commit_light(rsp_smdpp *s)
{
    rsp_err e = run(s, ST_COMMIT);
    if (e)
        return e;
    e = run(s, ST_SYNC_FULL);
    s->light = e != RSP_OK;
    return e;
}

void rsp_smdpp__rollback(rsp_smdpp *s)
{
    (void)run(s, ST_ROLLBACK);
    if (run(s, ST_SYNC_FULL) == RSP_OK) /* after a failed begin_light/commit_light */
        s->light = false;
}

static void text_col(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static rsp_err order_upsert(rsp_smdpp *s, const rsp_smdpp_order *o)
{
    sqlite3_stmt *st = stmt(s, ST_ORDER_PUT), *si = stmt(s, ST_ORDER_ICCID);
    if (!st || !si)
        return RSP_ERR_DB;
    sqlite3_bind_text(st, 1, o->matching_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->op, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, o->eid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, o->iccid, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, o->state);
    sqlite3_bind_int(st, 7, o->cc);
    sqlite3_bind_blob(st, 8, o->cc_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, (int)o->cc_left);
    sqlite3_bind_int64(st, 10, o->expires);
    sqlite3_bind_text(st, 11, o->tid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, o->updated);
    sqlite3_bind_text(st, 13, o->smds, -1, SQLITE_STATIC);
    rsp_err e = step_done(st);
    if (e)
        return e;
    sqlite3_bind_text(si, 1, o->matching_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(si, 2, o->iccid, -1, SQLITE_STATIC);
    return step_done(si);
}

/* Two statements: one transaction, the caller's, else its own (a put is never half made). */
rsp_err rsp_smdpp__order_put(rsp_smdpp *s, const rsp_smdpp_order *o)
{
    if (!sqlite3_get_autocommit(s->db))
        return order_upsert(s, o);
    rsp_err e = rsp_smdpp__begin(s);
    if (!e)
        e = order_upsert(s, o);
    if (!e)
        e = rsp_smdpp__commit(s);
    if (e)
        (void)run(s, ST_ROLLBACK);
    return e;
}

static rsp_err order_select(rsp_smdpp *s, int k, const char *key, rsp_smdpp_order *o)
{
    memset(o, 0, sizeof(*o));
    sqlite3_stmt *st = stmt(s, k);
    if (!st)
        return RSP_ERR_DB;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    rsp_err e = rc == SQLITE_ROW ? RSP_OK : rc == SQLITE_DONE ? RSP_ERR_NOT_FOUND : RSP_ERR_DB;
    if (e == RSP_OK) {
        text_col(st, 0, o->matching_id, sizeof(o->matching_id));
        text_col(st, 1, o->op, sizeof(o->op));
        text_col(st, 2, o->type, sizeof(o->type));
        text_col(st, 3, o->eid, sizeof(o->eid));
        text_col(st, 4, o->iccid, sizeof(o->iccid));
        o->state = sqlite3_column_int(st, 5);
        o->cc = sqlite3_column_int(st, 6) != 0;
        if (sqlite3_column_bytes(st, 7) == 32)
            memcpy(o->cc_hash, sqlite3_column_blob(st, 7), 32);
        o->cc_left = (unsigned)sqlite3_column_int(st, 8);
        o->expires = sqlite3_column_int64(st, 9);
        text_col(st, 10, o->tid, sizeof(o->tid));
        o->updated = sqlite3_column_int64(st, 11);
        text_col(st, 12, o->smds, sizeof(o->smds));
    }
    rsp_smdpp__stmt_done(st);
    return e;
}

rsp_err rsp_smdpp_order_get(rsp_smdpp *s, const char *mid, rsp_smdpp_order *o)
{
    return order_select(s, ST_ORDER_BY_MID, mid, o);
}

rsp_err rsp_smdpp__order_by_iccid(rsp_smdpp *s, const char *iccid, rsp_smdpp_order *o)
{
    return iccid && *iccid ? order_select(s, ST_ORDER_BY_ICCID, iccid, o) : RSP_ERR_NOT_FOUND;
}

rsp_err rsp_smdpp__order_delete(rsp_smdpp *s, const char *mid)
{
    sqlite3_stmt *st = stmt(s, ST_ORDER_DELETE);
    if (!st)
        return RSP_ERR_DB;
    sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
    return step_done(st);
}

rsp_err rsp_smdpp_order_add(rsp_smdpp *s, const char *mid, const char *op, const char *type, const char *eid,
                            const char *cc, int64_t expires, rsp_diag *diag)
{
    if (!rsp_es9p_matching_id_ok(mid))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "matchingId '%.80s': 1..64 of [A-Za-z0-9-]", mid ? mid : "");
    if (!op || !type || strlen(op) > 64 || strlen(type) > 64 || !*op || !*type)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "order: operator and profile type are 1..64 characters");
    if (eid && *eid && rsp_eid_check(eid, NULL) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "order: '%.40s' is not a valid EID", eid);
    rsp_smdpp_order o;
    memset(&o, 0, sizeof(o));
    snprintf(o.matching_id, sizeof(o.matching_id), "%s", mid);
    snprintf(o.op, sizeof(o.op), "%s", op);
    snprintf(o.type, sizeof(o.type), "%s", type);
    snprintf(o.eid, sizeof(o.eid), "%s", eid ? eid : "");
    o.state = RSP_SMDPP_ORDER_RELEASED;
    if (cc && *cc) {
        o.cc = true;
        rsp_sha256((const uint8_t *)cc, strlen(cc), o.cc_hash);
        o.cc_left = s->cc_tries;
    }
    o.expires = expires;
    o.updated = rsp_smdpp__now(s);
    rsp_smdpp_order old;
    if (rsp_smdpp_order_get(s, mid, &old) == RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_EXISTS, "order %s exists", mid);
    rsp_err e = rsp_smdpp__order_put(s, &o);
    rsp_wipe(o.cc_hash, sizeof(o.cc_hash));
    return e;
}

rsp_err rsp_smdpp_order_cancel(rsp_smdpp *s, const char *mid)
{
    rsp_smdpp_order o;
    rsp_err e = rsp_smdpp_order_get(s, mid, &o);
    if (e != RSP_OK)
        return e;
    if (o.state == RSP_SMDPP_ORDER_INSTALLED)
        return RSP_ERR_STATE;
    if (o.state == RSP_SMDPP_ORDER_CANCELLED)
        return RSP_OK; /* once: its identity may be back in the pool and another order's now */
    /* as ES2+ CancelOrder with "Available": package dropped, identity back to the pool if never sent */
    return rsp_smdpp__order_end(s, &o, RSP_SMDPP_ORDER_CANCELLED, NULL, true, rsp_smdpp__now(s));
}

rsp_err rsp_smdpp__sess_put(rsp_smdpp *s, const smdpp_session *ss)
{
    sqlite3_stmt *st = stmt(s, ST_SESS_PUT);
    if (!st)
        return RSP_ERR_DB;
    sqlite3_bind_text(st, 1, ss->tid, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, ss->step);
    sqlite3_bind_blob(st, 3, ss->euicc_challenge, 16, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, ss->server_challenge, 16, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, ss->ci_index);
    sqlite3_bind_text(st, 6, ss->eid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, ss->matching_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, ss->smdp_sig2, 64, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, ss->cert_euicc.data ? (const void *)ss->cert_euicc.data : (const void *)"",
                      (int)ss->cert_euicc.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, ss->updated);
    return step_done(st);
}

static rsp_err sess_read(sqlite3_stmt *st, smdpp_session *ss)
{
    text_col(st, 0, ss->tid, sizeof(ss->tid));
    ss->step = sqlite3_column_int(st, 1);
    if (sqlite3_column_bytes(st, 2) == 16)
        memcpy(ss->euicc_challenge, sqlite3_column_blob(st, 2), 16);
    if (sqlite3_column_bytes(st, 3) == 16)
        memcpy(ss->server_challenge, sqlite3_column_blob(st, 3), 16);
    ss->ci_index = sqlite3_column_int(st, 4);
    text_col(st, 5, ss->eid, sizeof(ss->eid));
    text_col(st, 6, ss->matching_id, sizeof(ss->matching_id));
    if (sqlite3_column_bytes(st, 7) == 64)
        memcpy(ss->smdp_sig2, sqlite3_column_blob(st, 7), 64);
    rsp_buf_reset(&ss->cert_euicc);
    int n = sqlite3_column_bytes(st, 8);
    rsp_err e = n > 0 ? rsp_buf_append(&ss->cert_euicc, sqlite3_column_blob(st, 8), (size_t)n) : RSP_OK;
    ss->updated = sqlite3_column_int64(st, 9);
    return e;
}

rsp_err rsp_smdpp__sess_get(rsp_smdpp *s, const char *tid, smdpp_session *ss)
{
    sqlite3_stmt *st = stmt(s, ST_SESS_GET);
    if (!st)
        return RSP_ERR_DB;
    /* the JSON transactionId is echoed verbatim; ours are uppercase */
    char up[RSP_ES9P_MAX_TID_HEX + 1];
    size_t i = 0;
    for (; tid[i] && i < RSP_ES9P_MAX_TID_HEX; i++)
        up[i] = (char)(tid[i] >= 'a' && tid[i] <= 'f' ? tid[i] - 32 : tid[i]);
    up[i] = '\0';
    sqlite3_bind_text(st, 1, up, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    rsp_err e = rc == SQLITE_ROW ? sess_read(st, ss) : rc == SQLITE_DONE ? RSP_ERR_NOT_FOUND : RSP_ERR_DB;
    rsp_smdpp__stmt_done(st);
    return e;
}

rsp_err rsp_smdpp__sess_live(rsp_smdpp *s, smdpp_session **out, size_t *n)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT " SESS_COLS " FROM smdpp_session WHERE step > 0 ORDER BY tid", -1, &st,
                           NULL) != SQLITE_OK)
        return RSP_ERR_DB;
    rsp_err e = RSP_OK;
    int rc;
    while (e == RSP_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        smdpp_session *grown = realloc(*out, (*n + 1) * sizeof(**out));
        if (!grown) {
            e = RSP_ERR_NOMEM;
            break;
        }
        *out = grown;
        memset(&grown[*n], 0, sizeof(grown[*n]));
        e = sess_read(st, &grown[*n]);
        (*n)++;
    }
    sqlite3_finalize(st);
    return e;
}

rsp_err rsp_smdpp__orders_with_smds(rsp_smdpp *s, char (**mids)[65], size_t *n)
{
    sqlite3_stmt *st;
    *mids = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT matching_id FROM smdpp_order WHERE smds != '' ORDER BY updated", -1, &st,
                           NULL) != SQLITE_OK)
        return RSP_ERR_DB;
    size_t cap = 0;
    rsp_err e = RSP_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char(*nv)[65] = realloc(*mids, nc * sizeof(**mids));
            if (!nv) {
                e = RSP_ERR_NOMEM;
                break;
            }
            *mids = nv;
            cap = nc;
        }
        text_col(st, 0, (*mids)[*n], 65);
        (*n)++;
    }
    if (!e && rc != SQLITE_DONE)
        e = RSP_ERR_DB;
    sqlite3_finalize(st);
    if (e) {
        free(*mids);
        *mids = NULL;
        *n = 0;
    }
    return e;
}
