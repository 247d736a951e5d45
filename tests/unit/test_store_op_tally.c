/* rsp_store_op_states on both backends (schema v10): the live operations counted, the settled ones
 * from the tally kept as they settle. Checked against rsp_store_op_count (a COUNT over every
 * operation) after transitions to done and failed and an expiry sweep, by two handles with their own
 * tally keys (two workers); a version-9 database with settled operations gets them counted by the
 * migration. */
#include "rsp/log.h"
#include "store/store_int.h"
#include "test_store_fixture.h"

#define EID1 "89049032123451234512345678901235"
#define EID2 "89049032123451234512345678901243"
#define EID3 "89049032123451234512345678901250"

static int64_t add(rsp_store *s, const char *eid, const char *fcid, int64_t now, int64_t validity)
{
    rsp_store_op op;
    int64_t id = 0;
    bool replayed = false;
    memset(&op, 0, sizeof op);
    snprintf(op.eid, sizeof op.eid, "%s", eid);
    snprintf(op.function, sizeof op.function, "ES4.AuditEIS");
    snprintf(op.requester, sizeof op.requester, "mno1");
    snprintf(op.fcid, sizeof op.fcid, "%s", fcid);
    op.created = now;
    op.next_attempt = now;
    op.deadline = now + validity;
    assert_int_equal(rsp_buf_append(&op.script, "x", 1), RSP_OK);
    assert_int_equal(rsp_store_op_submit(s, &op, &id, &replayed), RSP_OK);
    rsp_buf_free(&op.script);
    return id;
}

/* Claims the head of a card's queue (the only one ready) and settles it in state to. */
static void settle(rsp_store *s, const char *worker, int64_t now, rsp_store_op_state to)
{
    rsp_store_op op;
    memset(&op, 0, sizeof op);
    assert_int_equal(rsp_store_op_claim(s, worker, now, 100, &op), RSP_OK);
    rsp_store_fence f = {op.id, op.generation};
    rsp_store_op_change chg;
    memset(&chg, 0, sizeof chg);
    chg.now = now;
    assert_int_equal(rsp_store_op_transition(s, op.id, &f, RSP_STORE_OP_SENT, to, &chg), RSP_OK);
    rsp_store_op_clear(&op);
}

static void same_as_count(rsp_store *s)
{
    size_t n[6];
    assert_int_equal(rsp_store_op_states(s, n), RSP_OK);
    for (int st = 0; st < 6; st++) {
        size_t c = 0;
        assert_int_equal(rsp_store_op_count(s, (rsp_store_op_state)st, &c), RSP_OK);
        assert_int_equal(n[st], c);
    }
}

static void test_tally(void **state)
{
    fx *f = fx_get(state);
    const int64_t T = 1800000000;
    fx_eis(f->s, EID1);
    rsp_store *w2 = NULL;
    assert_int_equal(rsp_store_open(f->uri, NULL, &w2), RSP_OK);
    assert_int_equal(rsp_store_tally_key(f->s, "w1"), RSP_OK);
    assert_int_equal(rsp_store_tally_key(w2, "w2"), RSP_OK);
    assert_int_equal(rsp_store_tally_key(w2, NULL), RSP_ERR_INVAL);
    add(f->s, EID1, "a", T, 1000);
    add(f->s, EID2, "b", T, 1000);
    add(f->s, EID3, "c", T, 10);  /* expires */
    add(f->s, EID1, "d", T, 1000); /* queued behind a */
    size_t n[6];
    assert_int_equal(rsp_store_op_states(f->s, n), RSP_OK);
    assert_int_equal(n[RSP_STORE_OP_QUEUED], 4);
    assert_int_equal(n[RSP_STORE_OP_DONE] + n[RSP_STORE_OP_FAILED] + n[RSP_STORE_OP_EXPIRED], 0);
    same_as_count(f->s);
    settle(f->s, "w1", T, RSP_STORE_OP_DONE);   /* a head of EID1 or EID2 or EID3 */
    settle(w2, "w2", T, RSP_STORE_OP_FAILED);
    same_as_count(f->s);
    same_as_count(w2);
    size_t swept = 0;
    assert_int_equal(rsp_store_op_expire(w2, T + 50, &swept), RSP_OK);
    same_as_count(f->s);
    assert_int_equal(rsp_store_op_states(f->s, n), RSP_OK);
    assert_int_equal(n[RSP_STORE_OP_DONE] + n[RSP_STORE_OP_FAILED] + n[RSP_STORE_OP_EXPIRED], 2 + swept);
    assert_int_equal(n[RSP_STORE_OP_QUEUED] + n[RSP_STORE_OP_SENT] + n[RSP_STORE_OP_AWAITING], 2 - swept);
    /* each handle wrote only its own rows */
    int64_t k = 0;
    assert_int_equal(f->s->ops->query_int(f->s, "SELECT COUNT(*) FROM op_tally WHERE worker NOT IN ('w1', 'w2')", &k),
                     RSP_OK);
    assert_int_equal(k, 0);
    assert_int_equal(f->s->ops->query_int(f->s, "SELECT COALESCE(SUM(n), 0) FROM op_tally WHERE worker = 'w1'", &k),
                     RSP_OK);
    assert_int_equal(k, 1);
    rsp_store_close(w2);
    /* durable: a new handle reads the same */
    fx_reopen(f);
    same_as_count(f->s);
    assert_int_equal(rsp_store_op_states(NULL, n), RSP_ERR_INVAL);
}

static void test_migration_fills(void **state)
{
    fx *f = fx_get(state);
    const int64_t T = 1800000000;
    rsp_store *old = fx_open_old(f, "v9.db", 9);
    add(old, EID1, "a", T, 1000);
    add(old, EID2, "b", T, 1000);
    add(old, EID3, "c", T, 1000);
    /* settled by a build before v10 (no tally then): written as it would have */
    assert_int_equal(old->ops->exec(old, "UPDATE op SET state = 3 WHERE fcid IN ('a', 'b')"), RSP_OK);
    rsp_store_close(old);
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
    size_t n[6];
    assert_int_equal(rsp_store_op_states(f->s, n), RSP_OK);
    assert_int_equal(n[RSP_STORE_OP_DONE], 2);
    assert_int_equal(n[RSP_STORE_OP_QUEUED], 1);
    same_as_count(f->s);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        BOTH(test_tally),
        BOTH(test_migration_fills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
