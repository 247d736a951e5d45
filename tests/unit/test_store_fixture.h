/* Fixture of the store conformance suite: one fresh database per test, on each backend.
 * SQLite: a file in a new temp directory. PostgreSQL: a new schema in the database of RSP_PG_DSN
 * (scripts/with-pg provides one), selected through the connection's search_path.
 * With RSP_PG_DSN unset the PostgreSQL tests FAIL, unless RSP_PG_SKIP=1 says skipping is wanted:
 * CI must not go green without having run them. */
#ifndef TEST_STORE_FIXTURE_H
#define TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "rsp/store.h"
#include "store/store_int.h"
#include "testutil.h"

enum { BE_SQLITE = 0, BE_PG = 1 };

typedef struct fx {
    int be;
    char uri[1024];
    char dir[256];   /* sqlite temp dir */
    char schema[64]; /* pg schema */
    rsp_store *s;
} fx;

static int fx_counter __attribute__((unused));

static __attribute__((unused)) int fx_pg_admin(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("RSP_PG_DSN"));
    int ok = c && PQstatus(c) == CONNECTION_OK;
    if (ok) {
        PQclear(PQexec(c, "SET client_min_messages = warning"));
        PGresult *r = PQexec(c, sql);
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "pg admin: %s", PQerrorMessage(c));
        PQclear(r);
    } else {
        fprintf(stderr, "pg admin: cannot connect: %s", c ? PQerrorMessage(c) : "?");
    }
    PQfinish(c);
    return ok;
}

/* cmocka skips teardown when setup fails: release the fixture here. */
static __attribute__((unused)) int fx_fail(void **state)
{
    free(*state);
    *state = NULL;
    return -1;
}

/* Prepares a fresh database for backend be and opens f->s on it. */
static __attribute__((unused)) int fx_setup(void **state, int be)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->be = be;
    *state = f;
    if (be == BE_SQLITE) {
        snprintf(f->dir, sizeof f->dir, "/tmp/rsp-store-test.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->uri, sizeof f->uri, "sqlite:%s/store.db", f->dir);
    } else {
        const char *dsn = getenv("RSP_PG_DSN");
        if (!dsn || !*dsn) {
            const char *skip = getenv("RSP_PG_SKIP");
            if (skip && strcmp(skip, "1") == 0)
                return 0; /* the test body skips */
            fprintf(stderr, "RSP_PG_DSN is not set: run under scripts/with-pg "
                            "(or set RSP_PG_SKIP=1 to skip PostgreSQL explicitly)\n");
            return fx_fail(state);
        }
        snprintf(f->schema, sizeof f->schema, "rsp_t_%ld_%d", (long)getpid(), ++fx_counter);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE SCHEMA %s", f->schema);
        if (!fx_pg_admin(sql))
            return fx_fail(state);
        if (strncmp(dsn, "postgres", 8) == 0)
            snprintf(f->uri, sizeof f->uri, "%s%coptions=-csearch_path%%3D%s", dsn,
                     strchr(dsn, '?') ? '&' : '?', f->schema);
        else
            snprintf(f->uri, sizeof f->uri, "%s options='-c search_path=%s'", dsn, f->schema);
    }
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_store_open(f->uri, &d, &f->s);
    if (e != RSP_OK) {
        char m[300];
        fprintf(stderr, "open %s: %s\n", f->uri, rsp_diag_str(&d, e, m, sizeof m));
        return fx_fail(state);
    }
    return 0;
}

static __attribute__((unused)) int fx_setup_sqlite(void **state)
{
    return fx_setup(state, BE_SQLITE);
}

static __attribute__((unused)) int fx_setup_pg(void **state)
{
    return fx_setup(state, BE_PG);
}

static __attribute__((unused)) int fx_teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    rsp_store_close(f->s);
    if (f->be == BE_SQLITE && f->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", f->dir);
    } else if (f->schema[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", f->schema);
        fx_pg_admin(sql);
    }
    free(f);
    return 0;
}

/* Returns the fixture, or skips the test when PostgreSQL was explicitly skipped. */
static __attribute__((unused)) fx *fx_get(void **state)
{
    fx *f = *state;
    if (!f->s)
        skip();
    return f;
}

/* Reopens f->s (durability checks: what was returned must be there after a close). */
static __attribute__((unused)) void fx_reopen(fx *f)
{
    rsp_store_close(f->s);
    f->s = NULL;
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
}

/* One test on both backends: its SQLite run and its PostgreSQL run. */
#define BOTH(fn)                                                                                   \
    cmocka_unit_test_setup_teardown(fn, fx_setup_sqlite, fx_teardown),                             \
        cmocka_unit_test_setup_teardown(fn, fx_setup_pg, fx_teardown)

/* For a migration test: closes f->s and opens an empty store of an older schema version in a fresh
 * place (SQLite: file in the test's directory; PostgreSQL: the test's schema dropped and created
 * again), which f->uri then names. The test fills it, closes it, and rsp_store_open(f->uri) migrates. */
static __attribute__((unused)) rsp_store *fx_open_old(fx *f, const char *file, int version)
{
    rsp_store_close(f->s);
    f->s = NULL;
    if (f->be == BE_SQLITE) {
        snprintf(f->uri, sizeof f->uri, "sqlite:%s/%s", f->dir, file);
    } else {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE; CREATE SCHEMA %s", f->schema, f->schema);
        assert_true(fx_pg_admin(sql));
    }
    rsp_store *old = NULL;
    assert_int_equal(rsp_store__open_version(f->uri, version, NULL, &old), RSP_OK);
    return old;
}

#define EID_A "89049032123451234512345678901235"
#define EID_B "89049032123451234512345678901236"

static __attribute__((unused)) void fx_eis(rsp_store *s, const char *eid)
{
    rsp_store_eis e;
    memset(&e, 0, sizeof e);
    snprintf(e.eid, sizeof e.eid, "%s", eid);
    snprintf(e.eum_id, sizeof e.eum_id, "1.3.6.1.4.1.99999.1");
    snprintf(e.smsr_id, sizeof e.smsr_id, "1.3.6.1.4.1.99999.2");
    snprintf(e.platform_type, sizeof e.platform_type, "openrsp-sim");
    snprintf(e.platform_version, sizeof e.platform_version, "1.0.0");
    snprintf(e.production_date, sizeof e.production_date, "2024-01-31");
    snprintf(e.rp_version, sizeof e.rp_version, "3.1.0");
    snprintf(e.secure_packet_version, sizeof e.secure_packet_version, "9.2.0");
    e.caps = RSP_STORE_CAP_HTTP;
    e.remaining_memory = 300000;
    e.available_memory = 250000;
    assert_int_equal(rsp_buf_append(&e.signed_blob, "\x30\x03\x02\x01\x00", 5), RSP_OK);
    assert_int_equal(rsp_store_eis_put(s, &e), RSP_OK);
    rsp_store_eis_clear(&e);
}

#endif
