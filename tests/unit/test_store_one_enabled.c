/* "At most one enabled profile per eUICC" is a constraint of the store (schema v9), on SQLite and
 * PostgreSQL: a second enabled profile is refused through the API with RSP_ERR_STATE and a log line
 * naming both profiles, refused even by raw SQL that bypasses the API, and a database that already
 * breaks the rule is refused by the migration with the EIDs named. */
#include "rsp/log.h"
#include "store/store_int.h"
#include "test_store_fixture.h"

#define AID_1 "A0000005591010FFFFFFFF8900001000"
#define AID_2 "A0000005591010FFFFFFFF8900001100"
#define ICC_1 "8949000000000000018"
#define ICC_2 "8949000000000000026"
#define ICC_3 "8949000000000000034"

typedef struct logcap {
    char text[2048];
} logcap;

static void cap_sink(void *ctx, rsp_log_subsys ss, rsp_log_level lvl, const char *line)
{
    logcap *c = ctx;
    (void)ss;
    (void)lvl;
    size_t n = strlen(c->text);
    snprintf(c->text + n, sizeof c->text - n, "%s\n", line);
}

static void prof(rsp_store *s, const char *eid, const char *iccid, const char *aid,
                 rsp_store_profile_state st, rsp_err want)
{
    rsp_store_profile p;
    memset(&p, 0, sizeof p);
    snprintf(p.eid, sizeof p.eid, "%s", eid);
    snprintf(p.iccid, sizeof p.iccid, "%s", iccid);
    snprintf(p.isdp_aid, sizeof p.isdp_aid, "%s", aid);
    snprintf(p.mno_id, sizeof p.mno_id, "mno-1");
    snprintf(p.profile_type, sizeof p.profile_type, "iot");
    p.state = st;
    assert_int_equal(rsp_store_profile_put(s, &p), want);
}

static int enabled_count(rsp_store *s, const char *eid)
{
    rsp_store_profile *v = NULL;
    size_t n = 0;
    int k = 0;
    assert_int_equal(rsp_store_profile_list(s, eid, &v, &n), RSP_OK);
    for (size_t i = 0; i < n; i++)
        k += v[i].state == RSP_STORE_PROFILE_ENABLED;
    free(v);
    return k;
}

static void test_second_enabled_refused(void **state)
{
    fx *f = fx_get(state);
    logcap cap = {{0}};
    fx_eis(f->s, EID_A);
    fx_eis(f->s, EID_B);
    prof(f->s, EID_A, ICC_1, AID_1, RSP_STORE_PROFILE_ENABLED, RSP_OK);
    prof(f->s, EID_A, ICC_2, AID_2, RSP_STORE_PROFILE_DISABLED, RSP_OK);
    /* Another eUICC's enabled profile is no conflict. */
    prof(f->s, EID_B, ICC_3, AID_1, RSP_STORE_PROFILE_ENABLED, RSP_OK);

    rsp_log_set_sink(cap_sink, &cap);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    /* Through the API: put of a second enabled profile, and the state update alone. */
    prof(f->s, EID_A, ICC_2, AID_2, RSP_STORE_PROFILE_ENABLED, RSP_ERR_STATE);
    assert_non_null(strstr(cap.text, "second enabled profile"));
    assert_non_null(strstr(cap.text, "iccid=" ICC_2));
    assert_non_null(strstr(cap.text, "enabled=" ICC_1));
    cap.text[0] = 0;
    assert_int_equal(rsp_store_profile_set_state(f->s, ICC_2, RSP_STORE_PROFILE_ENABLED),
                     RSP_ERR_STATE);
    assert_non_null(strstr(cap.text, "second enabled profile"));
    rsp_log_set_sink(NULL, NULL);
    assert_int_equal(enabled_count(f->s, EID_A), 1);

    /* Past the API (raw SQL): the index of the store refuses it too. */
    assert_int_not_equal(f->s->ops->exec(f->s, "UPDATE profile SET state = 3 WHERE iccid = '"
                                               ICC_2 "'"),
                         RSP_OK);
    assert_int_equal(enabled_count(f->s, EID_A), 1);

    /* A switch in one transaction (the daemon's batch): enabling first is refused and rolled back
     * alone (its savepoint), the disable then the enable pass, and the batch commits. */
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    assert_int_equal(rsp_store_profile_set_state(f->s, ICC_2, RSP_STORE_PROFILE_ENABLED),
                     RSP_ERR_STATE);
    assert_int_equal(rsp_store_profile_set_state(f->s, ICC_1, RSP_STORE_PROFILE_DISABLED), RSP_OK);
    assert_int_equal(rsp_store_profile_set_state(f->s, ICC_2, RSP_STORE_PROFILE_ENABLED), RSP_OK);
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_OK);
    fx_reopen(f);
    rsp_store_profile p;
    assert_int_equal(rsp_store_profile_get(f->s, ICC_2, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_ENABLED);
    assert_int_equal(rsp_store_profile_get(f->s, ICC_1, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_DISABLED);
    /* Re-putting the enabled profile itself (an audit refresh) is no conflict. */
    prof(f->s, EID_A, ICC_2, AID_2, RSP_STORE_PROFILE_ENABLED, RSP_OK);
    assert_int_equal(enabled_count(f->s, EID_A), 1);

    /* rsp_store_profile_switch: back to ICC_1 in one call; a profile of another eUICC or an
     * unknown one changes nothing; to the enabled one itself keeps it; NULL disables all. */
    assert_int_equal(rsp_store_profile_switch(f->s, EID_A, ICC_1), RSP_OK);
    assert_int_equal(rsp_store_profile_get(f->s, ICC_1, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_ENABLED);
    assert_int_equal(rsp_store_profile_get(f->s, ICC_2, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_DISABLED);
    assert_int_equal(rsp_store_profile_switch(f->s, EID_A, ICC_3), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_profile_switch(f->s, EID_A, "8949000000000000999"),
                     RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_profile_get(f->s, ICC_1, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_ENABLED);
    assert_int_equal(rsp_store_profile_get(f->s, ICC_3, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_ENABLED); /* EID_B's untouched */
    assert_int_equal(rsp_store_profile_switch(f->s, EID_A, ICC_1), RSP_OK);
    assert_int_equal(enabled_count(f->s, EID_A), 1);
    assert_int_equal(rsp_store_profile_switch(f->s, EID_A, NULL), RSP_OK);
    assert_int_equal(enabled_count(f->s, EID_A), 0);
    assert_int_equal(enabled_count(f->s, EID_B), 1);
}

static void test_migration_refuses_violation(void **state)
{
    fx *f = fx_get(state);
    rsp_diag d;
    int v = 0;
    /* A version-8 database (no index) holding two enabled profiles on EID_B. */
    rsp_store *old = fx_open_old(f, "v8.db", 8);
    fx_eis(old, EID_A);
    fx_eis(old, EID_B);
    prof(old, EID_A, ICC_1, AID_1, RSP_STORE_PROFILE_ENABLED, RSP_OK);
    prof(old, EID_B, ICC_2, AID_1, RSP_STORE_PROFILE_ENABLED, RSP_OK);
    assert_int_equal(old->ops->exec(old, "INSERT INTO profile(iccid, eid, isdp_aid, mno_id,"
                                         " smdp_id, profile_type, msisdn, imsi, state, fallback,"
                                         " pol2, allocated_memory) VALUES('" ICC_3 "', '" EID_B
                                         "', '" AID_2 "', 'm', '', 't', '', '', 3, 0, 0, 0)"),
                     RSP_OK);
    rsp_store_close(old);

    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_NONE);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_store_open(f->uri, &d, &f->s), RSP_ERR_STATE);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    assert_null(f->s);
    assert_non_null(strstr(d.msg, "several enabled profiles"));
    assert_non_null(strstr(d.msg, EID_B));
    assert_null(strstr(d.msg, EID_A));
    /* Nothing changed: still version 8, both rows enabled. */
    assert_int_equal(rsp_store__open_version(f->uri, 8, NULL, &old), RSP_OK);
    assert_int_equal(rsp_store_schema_version(old, &v), RSP_OK);
    assert_int_equal(v, 8);
    assert_int_equal(enabled_count(old, EID_B), 2);
    /* The repair store.md describes: disable all but the real one, then open again. */
    assert_int_equal(rsp_store_profile_set_state(old, ICC_3, RSP_STORE_PROFILE_DISABLED), RSP_OK);
    rsp_store_close(old);
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
    assert_int_equal(rsp_store_schema_version(f->s, &v), RSP_OK);
    assert_int_equal(v, RSP_STORE_SCHEMA_VERSION);
    assert_true(v >= 9);
    assert_int_equal(rsp_store_profile_set_state(f->s, ICC_3, RSP_STORE_PROFILE_ENABLED),
                     RSP_ERR_STATE);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        BOTH(test_second_enabled_refused),
        BOTH(test_migration_refuses_violation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
