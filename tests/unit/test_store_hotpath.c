/* The store look-ups on the SM-SR's per-operation path, on both backends: a notification's duplicate
 * check (rsp_store_audit_notif_seen, schema v12's audit_notif) matches exactly its sequence number's
 * prefix, of this card, of "smsr.notif" entries only; the MSISDN a packet is addressed to
 * (rsp_store_profile_enabled_msisdn) is the enabled profile's and follows a switch. On SQLite the
 * plans are checked too: the duplicate check is a probe of audit_notif, and a lane's next head is
 * read from the live operations (op_eid), not from every operation the card ever had (op_by_eid,
 * which SQLite picked before it was named). Single-statement writes in a group commit keep their
 * all-or-nothing contract without a savepoint each on SQLite. */
#include <sqlite3.h>

#include "rsp/log.h"
#include "store/store_int.h"
#include "test_store_fixture.h"

static void audit(rsp_store *s, const char *eid, const char *event, const char *detail)
{
    rsp_store_audit a;
    int64_t id = 0;
    memset(&a, 0, sizeof a);
    a.ts = 1800000000;
    snprintf(a.actor, sizeof a.actor, "smsr");
    snprintf(a.eid, sizeof a.eid, "%s", eid);
    snprintf(a.event, sizeof a.event, "%s", event);
    snprintf(a.detail, sizeof a.detail, "%s", detail);
    assert_int_equal(rsp_store_audit_append(s, &a, &id), RSP_OK);
    assert_true(id > 0);
}

static bool seen(rsp_store *s, const char *eid, const char *prefix)
{
    bool b = true;
    assert_int_equal(rsp_store_audit_notif_seen(s, eid, prefix, &b), RSP_OK);
    return b;
}

static void test_notif_seen(void **state)
{
    fx *f = fx_get(state);
    assert_false(seen(f->s, EID_A, "seq=12 "));
    audit(f->s, EID_A, "smsr.notif", "seq=12 type=02");
    audit(f->s, EID_A, "smsr.step", "seq=7 not a notification");
    audit(f->s, EID_B, "smsr.notif", "seq=9 type=03");
    assert_true(seen(f->s, EID_A, "seq=12 "));
    assert_false(seen(f->s, EID_A, "seq=1 "));   /* a prefix of 12, not 12 */
    assert_false(seen(f->s, EID_A, "seq=123 ")); /* 12 is a prefix of it */
    assert_false(seen(f->s, EID_A, "seq=7 "));   /* another event */
    assert_false(seen(f->s, EID_A, "seq=9 "));   /* another card's */
    assert_true(seen(f->s, EID_B, "seq=9 "));
    /* many entries of one card: still exact */
    char d[64];
    for (int i = 100; i < 140; i++) {
        snprintf(d, sizeof d, "seq=%d type=02", i);
        audit(f->s, EID_A, "smsr.notif", d);
    }
    assert_true(seen(f->s, EID_A, "seq=139 "));
    assert_false(seen(f->s, EID_A, "seq=140 "));
    assert_false(seen(f->s, EID_A, "seq=13 "));
    fx_reopen(f);
    assert_true(seen(f->s, EID_A, "seq=12 "));
    bool b = false;
    assert_int_equal(rsp_store_audit_notif_seen(f->s, "", "seq=1 ", &b), RSP_ERR_INVAL);
    assert_int_equal(rsp_store_audit_notif_seen(f->s, EID_A, "", &b), RSP_ERR_INVAL);
    assert_int_equal(rsp_store_audit_notif_seen(f->s, EID_A, "seq=1\x7f", &b), RSP_ERR_INVAL);
    assert_int_equal(rsp_store_audit_notif_seen(NULL, EID_A, "seq=1 ", &b), RSP_ERR_INVAL);
}

static void prof(rsp_store *s, const char *iccid, const char *aid, const char *msisdn, rsp_store_profile_state st)
{
    rsp_store_profile p;
    memset(&p, 0, sizeof p);
    snprintf(p.eid, sizeof p.eid, "%s", EID_A);
    snprintf(p.iccid, sizeof p.iccid, "%s", iccid);
    snprintf(p.isdp_aid, sizeof p.isdp_aid, "%s", aid);
    snprintf(p.mno_id, sizeof p.mno_id, "mno-1");
    snprintf(p.profile_type, sizeof p.profile_type, "iot");
    snprintf(p.msisdn, sizeof p.msisdn, "%s", msisdn);
    p.state = st;
    assert_int_equal(rsp_store_profile_put(s, &p), RSP_OK);
}

static void test_enabled_msisdn(void **state)
{
    fx *f = fx_get(state);
    char m[21] = "x";
    fx_eis(f->s, EID_A);
    assert_int_equal(rsp_store_profile_enabled_msisdn(f->s, EID_A, m), RSP_OK);
    assert_string_equal(m, ""); /* no profile */
    prof(f->s, "89440000000000000011", "A0000005591010FFFFFFFF8900001100", "447700000011",
         RSP_STORE_PROFILE_DISABLED);
    assert_int_equal(rsp_store_profile_enabled_msisdn(f->s, EID_A, m), RSP_OK);
    assert_string_equal(m, ""); /* none enabled */
    prof(f->s, "89440000000000000012", "A0000005591010FFFFFFFF8900001200", "447700000012",
         RSP_STORE_PROFILE_ENABLED);
    assert_int_equal(rsp_store_profile_enabled_msisdn(f->s, EID_A, m), RSP_OK);
    assert_string_equal(m, "447700000012");
    assert_int_equal(rsp_store_profile_switch(f->s, EID_A, "89440000000000000011"), RSP_OK);
    assert_int_equal(rsp_store_profile_enabled_msisdn(f->s, EID_A, m), RSP_OK);
    assert_string_equal(m, "447700000011");
    assert_int_equal(rsp_store_profile_enabled_msisdn(f->s, EID_B, m), RSP_OK);
    assert_string_equal(m, "");
    assert_int_equal(rsp_store_profile_enabled_msisdn(f->s, NULL, m), RSP_ERR_INVAL);
}

/* Single-statement writes in a group commit (batch.c: on SQLite without a savepoint of their own):
 * a refused one (a key set of an unknown eUICC: foreign key) leaves nothing and does not cost the
 * batch its other writes, before or after it; a second batch still commits. */
static void test_batch_bare(void **state)
{
    fx *f = fx_get(state);
    rsp_store_batch_stats st0, st1;
    rsp_store_batch_stats_get(f->s, &st0);
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    audit(f->s, EID_A, "smsr.notif", "seq=1 type=02");
    rsp_store_keyset k;
    memset(&k, 0, sizeof k);
    snprintf(k.eid, sizeof k.eid, "%s", EID_B); /* no EIS */
    k.kvn = 1;
    assert_int_equal(rsp_buf_append(&k.keys, "0123456789abcdef", 16), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(f->s, &k), RSP_ERR_NOT_FOUND);
    fx_eis(f->s, EID_A);
    snprintf(k.eid, sizeof k.eid, "%s", EID_A);
    assert_int_equal(rsp_store_keyset_put(f->s, &k), RSP_OK);
    audit(f->s, EID_A, "smsr.notif", "seq=2 type=02");
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_OK);
    rsp_store_batch_stats_get(f->s, &st1);
    assert_int_equal(st1.batches, st0.batches + 1);
    assert_int_equal(st1.units, st0.units + 5);
    fx_reopen(f);
    assert_true(seen(f->s, EID_A, "seq=1 "));
    assert_true(seen(f->s, EID_A, "seq=2 "));
    rsp_store_keyset got;
    memset(&got, 0, sizeof got);
    assert_int_equal(rsp_store_keyset_get(f->s, EID_B, 1, &got), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_keyset_get(f->s, EID_A, 1, &got), RSP_OK);
    assert_int_equal(got.keys.len, 16);
    rsp_store_keyset_clear(&got);
    /* the next batch: the refused statement left no trace in the connection's state */
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(f->s, &k), RSP_OK); /* replaces */
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_OK);
    rsp_store_keyset_clear(&k);
}

/* The plan SQLite makes for statement st, all its detail lines in one string. */
static void plan_of(const char *path, rsp_store_stmt st, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char sql[2048];
    out[0] = 0;
    /* "$n" as in the backend's rewrite */
    const char *src = rsp_store__sql(RSP_STORE_BE_SQLITE, st);
    size_t n = (size_t)snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", src);
    assert_true(n < sizeof sql);
    for (char *p = sql; *p; p++)
        if (*p == '$')
            *p = '?';
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    while (sqlite3_step(q) == SQLITE_ROW) {
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s\n", (const char *)sqlite3_column_text(q, 3));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
}

static void test_plans(void **state)
{
    fx *f = fx_get(state);
    char plan[4096], path[600];
    snprintf(path, sizeof path, "%s", f->uri + strlen("sqlite:"));
    plan_of(path, RSP_STMT_AUD_NOTIF, plan, sizeof plan);
    assert_non_null(strstr(plan, "audit_notif"));
    const rsp_store_stmt lanes[] = {RSP_STMT_LANE_RELEASE, RSP_STMT_LANE_ADVANCE, RSP_STMT_LANE_HEAL};
    for (size_t i = 0; i < sizeof lanes / sizeof lanes[0]; i++) {
        plan_of(path, lanes[i], plan, sizeof plan);
        assert_non_null(strstr(plan, "op_eid"));
        assert_null(strstr(plan, "op_by_eid"));
    }
    plan_of(path, RSP_STMT_PROF_ENABLED_MSISDN, plan, sizeof plan);
    assert_null(strstr(plan, "SCAN"));
}

int main(void)
{
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        BOTH(test_notif_seen),
        BOTH(test_enabled_msisdn),
        BOTH(test_batch_bare),
        cmocka_unit_test_setup_teardown(test_plans, fx_setup_sqlite, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
