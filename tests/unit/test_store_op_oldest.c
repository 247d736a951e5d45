/* rsp_store_op_oldest on both backends (the SM-SR's rsp_smsr_operation_oldest_seconds): 0 on an
 * empty store; the created time of the oldest queued operation; once the oldest is claimed it is
 * the oldest SENT one and the queued figure moves to the next; a settled operation counts in no
 * live state; a state that is not live is refused. */
#include "rsp/store_stats.h"
#include "test_store_fixture.h"

#define EID1 "89049032123451234512345678901235"
#define EID2 "89049032123451234512345678901243"

static int64_t add(rsp_store *s, const char *eid, const char *fcid, int64_t created)
{
    rsp_store_op op;
    int64_t id = 0;
    bool replayed = false;
    memset(&op, 0, sizeof op);
    snprintf(op.eid, sizeof op.eid, "%s", eid);
    snprintf(op.function, sizeof op.function, "ES4.EnableProfile");
    snprintf(op.requester, sizeof op.requester, "op1");
    snprintf(op.fcid, sizeof op.fcid, "%s", fcid);
    op.created = created;
    op.next_attempt = created;
    op.deadline = created + 100000;
    assert_int_equal(rsp_buf_append(&op.script, "iccid=1;aid=A0\n", 15), RSP_OK);
    assert_int_equal(rsp_store_op_submit(s, &op, &id, &replayed), RSP_OK);
    rsp_buf_free(&op.script);
    return id;
}

static int64_t oldest(rsp_store *s, rsp_store_op_state st)
{
    int64_t c = -1;
    assert_int_equal(rsp_store_op_oldest(s, st, &c), RSP_OK);
    return c;
}

static void test_oldest(void **state)
{
    fx *f = fx_get(state);
    const int64_t T = 1800000000;
    assert_int_equal(oldest(f->s, RSP_STORE_OP_QUEUED), 0);
    assert_int_equal(oldest(f->s, RSP_STORE_OP_SENT), 0);
    int64_t a = add(f->s, EID1, "a", T);
    add(f->s, EID2, "b", T + 7);
    add(f->s, EID1, "c", T + 9);
    assert_int_equal(oldest(f->s, RSP_STORE_OP_QUEUED), T);
    assert_int_equal(oldest(f->s, RSP_STORE_OP_AWAITING), 0);
    rsp_store_op op;
    memset(&op, 0, sizeof op);
    assert_int_equal(rsp_store_op_claim(f->s, "w1", T + 20, 60, &op), RSP_OK);
    assert_int_equal(op.id, a); /* FIFO: the oldest first */
    rsp_store_fence fence = {op.id, op.generation};
    rsp_store_op_clear(&op);
    assert_int_equal(oldest(f->s, RSP_STORE_OP_SENT), T);
    assert_int_equal(oldest(f->s, RSP_STORE_OP_QUEUED), T + 7);
    rsp_store_op_change chg = {.now = T + 21};
    assert_int_equal(rsp_store_op_transition(f->s, a, &fence, RSP_STORE_OP_SENT, RSP_STORE_OP_DONE, &chg), RSP_OK);
    assert_int_equal(oldest(f->s, RSP_STORE_OP_SENT), 0);
    assert_int_equal(oldest(f->s, RSP_STORE_OP_QUEUED), T + 7);
    int64_t c = 5;
    assert_int_equal(rsp_store_op_oldest(f->s, RSP_STORE_OP_DONE, &c), RSP_ERR_INVAL);
    assert_int_equal(rsp_store_op_oldest(NULL, RSP_STORE_OP_QUEUED, &c), RSP_ERR_INVAL);
    assert_int_equal(rsp_store_op_oldest(f->s, RSP_STORE_OP_QUEUED, NULL), RSP_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        BOTH(test_oldest),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
