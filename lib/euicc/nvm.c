/* The cards' non-volatile memory: one SQLite database per fleet (dir/cards.db), WAL journal,
 * synchronous=FULL, prepared statements kept for the life of the fleet. A card's state is one blob
 * (state.c) rewritten in one transaction per state-changing command, so a kill -9 leaves every card
 * either before or after a command, never in between. The directory ":memory:" gives a fleet without
 * files (fuzzing, unit tests).
 *
 * Group commit: the host may open an outer transaction (rsp_euicc_fleet_begin) around many commands of
 * many cards (`rsp euicc run` does, once per loop turn, and answers only after the commit). Inside it
 * each command is a SAVEPOINT, so a command that fails rolls back only itself, never the commands of
 * the other cards already done in the group; one fsync then covers the whole group. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "euicc_int.h"

enum { Q_SCAN, Q_LOAD, Q_INSERT, Q_UPDATE, Q_PKG_PUT, Q_PKG_DEL, Q_PKG_GET, Q_ECASD_PUT, Q_ECASD_GET,
       Q_ADMIN_PUT, Q_ADMIN_GET, Q_PKG_TARS, Q_BEGIN, Q_COMMIT, Q_ROLLBACK, Q_SAVEPOINT, Q_RELEASE, Q_ROLLBACK_TO,
       Q__N };

static const char *const queries[Q__N] = {
    [Q_SCAN] = "SELECT eid, msisdn, due FROM card ORDER BY eid",
    [Q_LOAD] = "SELECT state FROM card WHERE eid = ?1",
    [Q_INSERT] = "INSERT INTO card(eid, msisdn, due, state) VALUES (?1, ?2, ?3, ?4)",
    [Q_UPDATE] = "UPDATE card SET msisdn = ?2, due = ?3, state = ?4 WHERE eid = ?1",
    [Q_PKG_PUT] = "INSERT OR REPLACE INTO pkg(eid, tar, der) VALUES (?1, ?2, ?3)",
    [Q_PKG_DEL] = "DELETE FROM pkg WHERE eid = ?1 AND tar = ?2",
    [Q_PKG_GET] = "SELECT der FROM pkg WHERE eid = ?1 AND tar = ?2",
    [Q_ECASD_PUT] = "INSERT INTO ecasd(eid, curve, sk, cert, cert_eum, pk_ci) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_ECASD_GET] = "SELECT curve, sk, cert, cert_eum, pk_ci FROM ecasd WHERE eid = ?1",
    [Q_ADMIN_PUT] = "INSERT OR REPLACE INTO admin(eid, host, port, uri) VALUES (?1, ?2, ?3, ?4)",
    [Q_ADMIN_GET] = "SELECT host, port, uri FROM admin WHERE eid = ?1",
    [Q_PKG_TARS] = "SELECT tar FROM pkg WHERE eid = ?1",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
    [Q_ROLLBACK] = "ROLLBACK",
    [Q_SAVEPOINT] = "SAVEPOINT nv",
    [Q_RELEASE] = "RELEASE nv",
    [Q_ROLLBACK_TO] = "ROLLBACK TO nv",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta(k, v) VALUES ('format', 'openrsp-euicc-1');"
    "CREATE TABLE IF NOT EXISTS card(eid TEXT PRIMARY KEY, msisdn TEXT NOT NULL, due INTEGER NOT NULL,"
    " state BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ecasd(eid TEXT PRIMARY KEY, curve INTEGER NOT NULL, sk BLOB NOT NULL,"
    " cert BLOB NOT NULL, cert_eum BLOB NOT NULL, pk_ci BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS admin(eid TEXT PRIMARY KEY, host TEXT NOT NULL, port INTEGER NOT NULL,"
    " uri TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS pkg(eid TEXT NOT NULL, tar INTEGER NOT NULL, der BLOB NOT NULL,"
    " PRIMARY KEY(eid, tar));";

struct eu_db {
    sqlite3 *h;
    sqlite3_stmt *q[Q__N];
    int depth;                  /* eu_db_begin nesting: 1 = the transaction, deeper = savepoints */
    uint64_t commits;           /* transactions committed (each one durable write of the NVM) */
};

static rsp_err db_err(eu_db *db, rsp_diag *diag, const char *what)
{
    return rsp_diag_set(diag, RSP_ERR_DB, "%s: %s", what, db && db->h ? sqlite3_errmsg(db->h) : "no database");
}

rsp_err eu_db_open(const char *dir, bool create, eu_db **out, rsp_diag *diag)
{
    *out = NULL;
    char path[4096];
    bool mem = strcmp(dir, ":memory:") == 0;
    if (mem) {
        snprintf(path, sizeof(path), ":memory:");
    } else {
        if (snprintf(path, sizeof(path), "%s/cards.db", dir) >= (int)sizeof(path))
            return rsp_diag_set(diag, RSP_ERR_INVAL, "fleet directory name too long");
        struct stat sb;
        if (create) {
            if (mkdir(dir, 0700) != 0 && errno != EEXIST)
                return rsp_diag_set(diag, RSP_ERR_IO, "%s: %s", dir, strerror(errno));
            if (stat(path, &sb) == 0)
                return rsp_diag_set(diag, RSP_ERR_EXISTS, "%s already holds a fleet", dir);
        } else if (stat(path, &sb) != 0) {
            return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "%s: no fleet (cards.db missing)", dir);
        }
    }
    eu_db *db = calloc(1, sizeof(*db));
    if (!db)
        return RSP_ERR_NOMEM;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create || mem ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
        rsp_err e = db_err(db, diag, path);
        eu_db_close(db);
        return e;
    }
    sqlite3_busy_timeout(db->h, 5000);
    const char *pragmas = mem ? "PRAGMA journal_mode=MEMORY;" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;";
    if (sqlite3_exec(db->h, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db->h, schema, NULL, NULL, NULL) != SQLITE_OK) {
        rsp_err e = db_err(db, diag, "schema");
        eu_db_close(db);
        return e;
    }
    if (!mem)
        chmod(path, 0600); /* the cards' secrets live here, as in a card's NVM */
    for (int i = 0; i < Q__N; i++) {
        if (sqlite3_prepare_v3(db->h, queries[i], -1, SQLITE_PREPARE_PERSISTENT, &db->q[i], NULL) != SQLITE_OK) {
            rsp_err e = db_err(db, diag, "prepare");
            eu_db_close(db);
            return e;
        }
    }
    *out = db;
    return RSP_OK;
}

void eu_db_close(eu_db *db)
{
    if (!db)
        return;
    for (int i = 0; i < Q__N; i++)
        sqlite3_finalize(db->q[i]);
    sqlite3_close(db->h);
    free(db);
}

static int step_done(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return rc;
}

rsp_err eu_db_begin(eu_db *db)
{
    if (db->depth > 0) {
        if (step_done(db->q[Q_SAVEPOINT]) != SQLITE_DONE)
            return RSP_ERR_DB;
        db->depth++;
        return RSP_OK;
    }
    if (step_done(db->q[Q_BEGIN]) != SQLITE_DONE)
        return RSP_ERR_DB;
    db->depth = 1;
    return RSP_OK;
}

rsp_err eu_db_commit(eu_db *db)
{
    if (db->depth == 0)
        return RSP_OK;
    if (db->depth > 1) {
        db->depth--;
        return step_done(db->q[Q_RELEASE]) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
    }
    db->depth = 0;
    if (step_done(db->q[Q_COMMIT]) != SQLITE_DONE) {
        if (!sqlite3_get_autocommit(db->h))
            step_done(db->q[Q_ROLLBACK]);
        return RSP_ERR_DB;
    }
    db->commits++;
    return RSP_OK;
}

uint64_t eu_db_commits(const eu_db *db) { return db ? db->commits : 0; }

/* Undoes the innermost level only: a failed command inside a group leaves the group's other commands. */
static void db_rollback(eu_db *db)
{
    if (db->depth > 1) {
        db->depth--;
        step_done(db->q[Q_ROLLBACK_TO]);
        step_done(db->q[Q_RELEASE]);
        return;
    }
    db->depth = 0;
    if (!sqlite3_get_autocommit(db->h))
        step_done(db->q[Q_ROLLBACK]);
}

rsp_err eu_db_scan(eu_db *db, rsp_err (*fn)(void *ctx, const char *eid, const char *msisdn, int64_t due),
                   void *ctx)
{
    sqlite3_stmt *s = db->q[Q_SCAN];
    rsp_err e = RSP_OK;
    int rc;
    while (!e && (rc = sqlite3_step(s)) == SQLITE_ROW)
        e = fn(ctx, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
               sqlite3_column_int64(s, 2));
    if (!e && rc != SQLITE_DONE)
        e = RSP_ERR_DB;
    sqlite3_reset(s);
    return e;
}

rsp_err eu_db_load(eu_db *db, const char *eid, eu_state *st)
{
    sqlite3_stmt *s = db->q[Q_LOAD];
    sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
    rsp_err e = RSP_ERR_NOT_FOUND;
    if (sqlite3_step(s) == SQLITE_ROW)
        e = eu_state_decode(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), st);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return e;
}

/* Packages of ISD-Ps that are gone from the state (deleted) go in the same transaction. */
static rsp_err pkg_gc(eu_db *db, const char *eid, const eu_state *st)
{
    uint32_t gone[16];
    size_t n = 0;
    sqlite3_stmt *s = db->q[Q_PKG_TARS];
    sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
    while (sqlite3_step(s) == SQLITE_ROW) {
        uint32_t tar = (uint32_t)sqlite3_column_int64(s, 0);
        bool live = false;
        for (unsigned i = 0; i < st->np; i++)
            live |= st->p[i].tar == tar;
        if (!live && n < 16)
            gone[n++] = tar;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    for (size_t i = 0; i < n; i++) {
        s = db->q[Q_PKG_DEL];
        sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, gone[i]);
        if (step_done(s) != SQLITE_DONE)
            return RSP_ERR_DB;
    }
    return RSP_OK;
}

rsp_err eu_db_save(eu_db *db, const char *eid, const char *msisdn, int64_t due, const eu_state *st,
                   uint32_t pkg_tar, const uint8_t *pkg, size_t pkg_len, bool insert)
{
    rsp_buf blob = RSP_BUF_INIT;
    rsp_err e = eu_state_encode(st, &blob);
    if (e)
        return e;
    if ((e = eu_db_begin(db)) != RSP_OK) {
        rsp_buf_free_secret(&blob);
        return e;
    }
    sqlite3_stmt *s = db->q[insert ? Q_INSERT : Q_UPDATE];
    sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, msisdn, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, due);
    sqlite3_bind_blob(s, 4, blob.data, (int)blob.len, SQLITE_STATIC);
    int rc = step_done(s);
    if (rc == SQLITE_CONSTRAINT)
        e = RSP_ERR_EXISTS;
    else if (rc != SQLITE_DONE || (!insert && sqlite3_changes(db->h) != 1))
        e = RSP_ERR_DB;
    if (!e)
        e = pkg_gc(db, eid, st);
    if (!e && pkg_tar) {
        s = db->q[pkg ? Q_PKG_PUT : Q_PKG_DEL];
        sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, pkg_tar);
        if (pkg)
            sqlite3_bind_blob(s, 3, pkg, (int)pkg_len, SQLITE_STATIC);
        if (step_done(s) != SQLITE_DONE)
            e = RSP_ERR_DB;
    }
    rsp_buf_free_secret(&blob);
    if (e) {
        db_rollback(db);
        return e;
    }
    return eu_db_commit(db);
}

rsp_err eu_db_ecasd_put(eu_db *db, const char *eid, const eu_ecasd_row *r)
{
    sqlite3_stmt *s = db->q[Q_ECASD_PUT];
    sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, r->curve);
    sqlite3_bind_blob(s, 3, r->sk, 32, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, r->cert.data, (int)r->cert.len, SQLITE_STATIC);
    sqlite3_bind_blob(s, 5, r->cert_eum.data ? (const void *)r->cert_eum.data : "", (int)r->cert_eum.len,
                      SQLITE_STATIC);
    sqlite3_bind_blob(s, 6, r->pk_ci.data, (int)r->pk_ci.len, SQLITE_STATIC);
    int rc = step_done(s);
    return rc == SQLITE_DONE ? RSP_OK : rc == SQLITE_CONSTRAINT ? RSP_ERR_EXISTS : RSP_ERR_DB;
}

static rsp_err col_buf(sqlite3_stmt *s, int i, rsp_buf *out)
{
    const void *p = sqlite3_column_blob(s, i);
    return rsp_buf_set(out, p ? p : "", (size_t)sqlite3_column_bytes(s, i));
}

rsp_err eu_db_ecasd_get(eu_db *db, const char *eid, eu_ecasd_row *r)
{
    memset(r, 0, sizeof(*r));
    sqlite3_stmt *s = db->q[Q_ECASD_GET];
    sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
    rsp_err e = RSP_ERR_NOT_FOUND;
    if (sqlite3_step(s) == SQLITE_ROW) {
        r->curve = (uint8_t)sqlite3_column_int(s, 0);
        e = sqlite3_column_bytes(s, 1) == 32 ? RSP_OK : RSP_ERR_DB;
        if (!e)
            memcpy(r->sk, sqlite3_column_blob(s, 1), 32);
        e = e ? e : col_buf(s, 2, &r->cert);
        e = e ? e : col_buf(s, 3, &r->cert_eum);
        e = e ? e : col_buf(s, 4, &r->pk_ci);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (e)
        eu_ecasd_row_free(r);
    return e;
}

void eu_ecasd_row_free(eu_ecasd_row *r)
{
    rsp_wipe(r->sk, sizeof(r->sk));
    rsp_buf_free(&r->cert);
    rsp_buf_free(&r->cert_eum);
    rsp_buf_free(&r->pk_ci);
}

rsp_err eu_db_admin_put(eu_db *db, const char *eid, const char *host, uint16_t port, const char *uri)
{
    sqlite3_stmt *s = db->q[Q_ADMIN_PUT];
    sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, host, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, port);
    sqlite3_bind_text(s, 4, uri, -1, SQLITE_STATIC);
    return step_done(s) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
}

rsp_err eu_db_admin_get(eu_db *db, const char *eid, char host[256], uint16_t *port, char uri[256])
{
    sqlite3_stmt *s = db->q[Q_ADMIN_GET];
    sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
    rsp_err e = RSP_ERR_NOT_FOUND;
    if (sqlite3_step(s) == SQLITE_ROW) {
        snprintf(host, 256, "%s", (const char *)sqlite3_column_text(s, 0));
        *port = (uint16_t)sqlite3_column_int(s, 1);
        snprintf(uri, 256, "%s", (const char *)sqlite3_column_text(s, 2));
        e = RSP_OK;
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return e;
}

rsp_err eu_db_pkg_get(eu_db *db, const char *eid, uint32_t tar, rsp_buf *out)
{
    sqlite3_stmt *s = db->q[Q_PKG_GET];
    sqlite3_bind_text(s, 1, eid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, tar);
    rsp_err e = RSP_ERR_NOT_FOUND;
    if (sqlite3_step(s) == SQLITE_ROW)
        e = col_buf(s, 0, out);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return e;
}
