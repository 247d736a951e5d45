/* The consumer card's non-volatile memory (c22_int.h): one SQLite file per card folder, dir/card.db
 * (0600: profile packages hold Ki/OPc, as a card's NVM does), WAL journal, synchronous=FULL, statements
 * prepared once, as lib/euicc/nvm.c does for the M2M fleet. Every state-changing ES10 command is one
 * transaction committed before its answer leaves, so a kill -9 leaves the card before or after a
 * command, never in between; a BPP being loaded is never written before its last 86 checks out. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "c22_int.h"

enum { Q_PLIST, Q_PINS, Q_PUPD, Q_PDEL, Q_NLIST, Q_NINS, Q_NDEL, Q_NOLD, Q_CGET, Q_CSET, Q_CDEL, Q_BEGIN, Q_COMMIT,
       Q_ROLLBACK, Q__N };

static const char *const queries[Q__N] = {
    [Q_PLIST] = "SELECT iccid, aid, state, class, ppr, nickname, meta, dp_oid, length(pkg) FROM profile ORDER BY rowid",
    [Q_PINS] = "INSERT INTO profile(iccid, aid, state, class, ppr, nickname, meta, dp_oid, pkg) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_PUPD] = "UPDATE profile SET state = ?2, nickname = ?3 WHERE iccid = ?1",
    [Q_PDEL] = "DELETE FROM profile WHERE iccid = ?1",
    [Q_NLIST] = "SELECT seq, event, address, iccid, der FROM notif ORDER BY seq",
    [Q_NINS] = "INSERT INTO notif(seq, event, address, iccid, der) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_NDEL] = "DELETE FROM notif WHERE seq = ?1",
    [Q_NOLD] = "DELETE FROM notif WHERE seq NOT IN (SELECT seq FROM notif ORDER BY seq DESC LIMIT ?1)",
    [Q_CGET] = "SELECT v FROM cfg WHERE k = ?1",
    [Q_CSET] = "INSERT OR REPLACE INTO cfg(k, v) VALUES (?1, ?2)",
    [Q_CDEL] = "DELETE FROM cfg WHERE k = ?1",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(k, v) VALUES ('format', 'openrsp-euicc22-1');"
    "CREATE TABLE IF NOT EXISTS profile(iccid BLOB PRIMARY KEY, aid BLOB NOT NULL UNIQUE, state INTEGER NOT NULL,"
    " class INTEGER NOT NULL, ppr INTEGER NOT NULL, nickname BLOB NOT NULL, meta BLOB NOT NULL,"
    " dp_oid BLOB NOT NULL, pkg BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS notif(seq INTEGER PRIMARY KEY, event INTEGER NOT NULL, address BLOB NOT NULL,"
    " iccid BLOB, der BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cfg(k TEXT PRIMARY KEY, v BLOB NOT NULL);";

struct c22_store {
    sqlite3 *h;
    sqlite3_stmt *q[Q__N];
};

static rsp_err db_err(c22_store *s, rsp_diag *diag, const char *what)
{
    return rsp_diag_set(diag, RSP_ERR_DB, "%s: %s", what, s && s->h ? sqlite3_errmsg(s->h) : "no database");
}

rsp_err c22_store_open(const char *dir, c22_store **out, rsp_diag *diag)
{
    *out = NULL;
    char path[4096];
    if (!dir)
        snprintf(path, sizeof(path), ":memory:");
    else if (snprintf(path, sizeof(path), "%s/card.db", dir) >= (int)sizeof(path))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "card folder name too long");
    c22_store *s = calloc(1, sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    rsp_err e = RSP_OK;
    if (sqlite3_open_v2(path, &s->h, flags, NULL) != SQLITE_OK)
        e = db_err(s, diag, path);
    if (!e) {
        sqlite3_busy_timeout(s->h, 5000);
        const char *pragmas = dir ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;" : "PRAGMA journal_mode=MEMORY;";
        if (sqlite3_exec(s->h, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(s->h, schema, NULL, NULL, NULL) != SQLITE_OK)
            e = db_err(s, diag, "schema");
    }
    if (!e && dir)
        chmod(path, 0600);
    for (int i = 0; !e && i < Q__N; i++)
        if (sqlite3_prepare_v3(s->h, queries[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i], NULL) != SQLITE_OK)
            e = db_err(s, diag, "prepare");
    if (e) {
        c22_store_close(s);
        return e;
    }
    *out = s;
    return RSP_OK;
}

void c22_store_close(c22_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < Q__N; i++)
        sqlite3_finalize(s->q[i]);
    sqlite3_close(s->h);
    free(s);
}

static int step_done(sqlite3_stmt *q)
{
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rc;
}

rsp_err c22_begin(c22_store *s)
{
    return step_done(s->q[Q_BEGIN]) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
}

rsp_err c22_commit(c22_store *s)
{
    if (step_done(s->q[Q_COMMIT]) == SQLITE_DONE)
        return RSP_OK;
    c22_rollback(s);
    return RSP_ERR_DB;
}

void c22_rollback(c22_store *s)
{
    if (!sqlite3_get_autocommit(s->h))
        step_done(s->q[Q_ROLLBACK]);
}

static rsp_err col_buf(sqlite3_stmt *q, int i, rsp_buf *b)
{
    const void *p = sqlite3_column_blob(q, i);
    int n = sqlite3_column_bytes(q, i);
    rsp_buf_init(b);
    return n > 0 ? rsp_buf_append(b, p, (size_t)n) : RSP_OK;
}

static void col_fixed(sqlite3_stmt *q, int i, uint8_t *out, size_t n)
{
    memset(out, 0, n);
    const void *p = sqlite3_column_blob(q, i);
    if (p && (size_t)sqlite3_column_bytes(q, i) == n)
        memcpy(out, p, n);
}

rsp_err c22_profiles(c22_store *s, c22_profile **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = s->q[Q_PLIST];
    rsp_err e = RSP_OK;
    int rc;
    while (!e && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        c22_profile *g = realloc(*out, (*n + 1) * sizeof(**out));
        if (!g) {
            e = RSP_ERR_NOMEM;
            break;
        }
        *out = g;
        c22_profile *p = &g[(*n)++];
        memset(p, 0, sizeof(*p));
        col_fixed(q, 0, p->iccid, 10);
        col_fixed(q, 1, p->aid, 16);
        p->state = sqlite3_column_int(q, 2);
        p->pclass = sqlite3_column_int(q, 3);
        p->ppr = (unsigned)sqlite3_column_int(q, 4);
        e = col_buf(q, 5, &p->nickname);
        e = e ? e : col_buf(q, 6, &p->meta);
        e = e ? e : col_buf(q, 7, &p->dp_oid);
        p->pkg_len = (size_t)sqlite3_column_int64(q, 8);
    }
    if (!e && rc != SQLITE_DONE)
        e = RSP_ERR_DB;
    sqlite3_reset(q);
    if (e) {
        c22_profiles_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

void c22_profiles_free(c22_profile *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        rsp_buf_free(&p[i].nickname);
        rsp_buf_free(&p[i].meta);
        rsp_buf_free(&p[i].dp_oid);
    }
    free(p);
}

static void bind_buf(sqlite3_stmt *q, int i, const rsp_buf *b)
{
    sqlite3_bind_blob(q, i, b->data ? (const void *)b->data : (const void *)"", (int)b->len, SQLITE_STATIC);
}

rsp_err c22_profile_put(c22_store *s, const c22_profile *p, const uint8_t *pkg, size_t pkg_len)
{
    sqlite3_stmt *q = s->q[pkg ? Q_PINS : Q_PUPD];
    sqlite3_bind_blob(q, 1, p->iccid, 10, SQLITE_STATIC);
    if (pkg) {
        sqlite3_bind_blob(q, 2, p->aid, 16, SQLITE_STATIC);
        sqlite3_bind_int(q, 3, p->state);
        sqlite3_bind_int(q, 4, p->pclass);
        sqlite3_bind_int(q, 5, (int)p->ppr);
        bind_buf(q, 6, &p->nickname);
        bind_buf(q, 7, &p->meta);
        bind_buf(q, 8, &p->dp_oid);
        sqlite3_bind_blob(q, 9, pkg, (int)pkg_len, SQLITE_STATIC);
    } else {
        sqlite3_bind_int(q, 2, p->state);
        bind_buf(q, 3, &p->nickname);
    }
    return step_done(q) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
}

rsp_err c22_profile_del(c22_store *s, const uint8_t iccid[10])
{
    sqlite3_bind_blob(s->q[Q_PDEL], 1, iccid, 10, SQLITE_STATIC);
    return step_done(s->q[Q_PDEL]) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
}

rsp_err c22_notifs(c22_store *s, c22_notif **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = s->q[Q_NLIST];
    rsp_err e = RSP_OK;
    int rc;
    while (!e && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        c22_notif *g = realloc(*out, (*n + 1) * sizeof(**out));
        if (!g) {
            e = RSP_ERR_NOMEM;
            break;
        }
        *out = g;
        c22_notif *p = &g[(*n)++];
        memset(p, 0, sizeof(*p));
        p->seq = (uint32_t)sqlite3_column_int64(q, 0);
        p->event = (unsigned)sqlite3_column_int(q, 1);
        e = col_buf(q, 2, &p->address);
        p->has_iccid = sqlite3_column_type(q, 3) == SQLITE_BLOB && sqlite3_column_bytes(q, 3) == 10;
        col_fixed(q, 3, p->iccid, 10);
        e = e ? e : col_buf(q, 4, &p->der);
    }
    if (!e && rc != SQLITE_DONE)
        e = RSP_ERR_DB;
    sqlite3_reset(q);
    if (e) {
        c22_notifs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

void c22_notifs_free(c22_notif *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        rsp_buf_free(&p[i].address);
        rsp_buf_free(&p[i].der);
    }
    free(p);
}

rsp_err c22_notif_add(c22_store *s, const c22_notif *n)
{
    sqlite3_stmt *q = s->q[Q_NINS];
    sqlite3_bind_int64(q, 1, n->seq);
    sqlite3_bind_int(q, 2, (int)n->event);
    bind_buf(q, 3, &n->address);
    if (n->has_iccid)
        sqlite3_bind_blob(q, 4, n->iccid, 10, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 4);
    bind_buf(q, 5, &n->der);
    if (step_done(q) != SQLITE_DONE)
        return RSP_ERR_DB;
    sqlite3_bind_int(s->q[Q_NOLD], 1, C22_MAX_NOTIFS);
    return step_done(s->q[Q_NOLD]) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
}

rsp_err c22_notif_del(c22_store *s, uint32_t seq, bool *found)
{
    sqlite3_bind_int64(s->q[Q_NDEL], 1, seq);
    if (step_done(s->q[Q_NDEL]) != SQLITE_DONE)
        return RSP_ERR_DB;
    *found = sqlite3_changes(s->h) > 0;
    return RSP_OK;
}

rsp_err c22_cfg_get(c22_store *s, const char *key, rsp_buf *out, bool *found)
{
    sqlite3_stmt *q = s->q[Q_CGET];
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    rsp_err e = RSP_OK;
    *found = rc == SQLITE_ROW;
    if (*found) {
        const void *p = sqlite3_column_blob(q, 0);
        int n = sqlite3_column_bytes(q, 0);
        e = n > 0 ? rsp_buf_append(out, p, (size_t)n) : RSP_OK;
    } else if (rc != SQLITE_DONE) {
        e = RSP_ERR_DB;
    }
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return e;
}

rsp_err c22_cfg_set(c22_store *s, const char *key, const uint8_t *v, size_t len)
{
    sqlite3_stmt *q = s->q[Q_CSET];
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_blob(q, 2, v ? (const void *)v : (const void *)"", (int)len, SQLITE_STATIC);
    return step_done(q) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
}

rsp_err c22_cfg_del(c22_store *s, const char *key)
{
    sqlite3_bind_text(s->q[Q_CDEL], 1, key, -1, SQLITE_STATIC);
    return step_done(s->q[Q_CDEL]) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
}

rsp_err c22_next_seq(c22_store *s, uint32_t *seq)
{
    rsp_buf b = RSP_BUF_INIT;
    bool found = false;
    rsp_err e = c22_cfg_get(s, "next_seq", &b, &found);
    uint32_t v = found && b.len == 4 ? rsp_be32(b.data) : 1;
    rsp_buf_free(&b);
    if (e)
        return e;
    if (v == 0 || v > 0x7FFFFFFF)
        v = 1;
    uint8_t nx[4];
    rsp_put_be32(nx, v + 1);
    *seq = v;
    return c22_cfg_set(s, "next_seq", nx, 4);
}

rsp_err c22_store_clear(c22_store *s)
{
    return sqlite3_exec(s->h, "DELETE FROM profile; DELETE FROM notif; DELETE FROM cfg;", NULL, NULL, NULL) == SQLITE_OK
               ? RSP_OK
               : RSP_ERR_DB;
}
