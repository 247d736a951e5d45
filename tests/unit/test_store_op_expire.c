/* rsp_store_op_expire_each on both backends: one sweep expires what rsp_store_op_expire would
 * (queued past its deadline; in flight past its deadline with a lapsed lease) and tells, after its
 * commit, how many of each function it moved; an op still valid, or held with a live lease, stays;
 * a second sweep finds nothing. (The SM-SR counts rsp_smsr_operations_total{function,outcome=expired}
 * from it; it used to say function="unknown".) */
#include "test_store_fixture.h"

#define EID1 "89049032123451234512345678901235"
#define EID2 "89049032123451234512345678901243"

typedef struct seen {
    char f[4][64];
    size_t n[4], k;
} seen;

static void on_expired(void *arg, const char *function, size_t n)
{
    seen *s = arg;
    assert_true(s->k < 4);
    snprintf(s->f[s->k], sizeof s->f[s->k], "%s", function);
    s->n[s->k++] = n;
}

static size_t count_of(const seen *s, const char *f)
{
    for (size_t i = 0; i < s->k; i++)
        if (strcmp(s->f[i], f) == 0)
            return s->n[i];
    return 0;
}

static int64_t add(rsp_store *s, const char *eid, const char *fn, const char *fcid, int64_t now, int64_t validity)
{
    rsp_store_op op;
    int64_t id = 0;
    bool replayed = false;
    memset(&op, 0, sizeof op);
    snprintf(op.eid, sizeof op.eid, "%s", eid);
    snprintf(op.function, sizeof op.function, "%s", fn);
    snprintf(op.requester, sizeof op.requester, "dp1");
    snprintf(op.fcid, sizeof op.fcid, "%s", fcid);
    op.created = now;
    op.next_attempt = now;
    op.deadline = now + validity;
    assert_int_equal(rsp_buf_append(&op.script, "iccid=1;aid=A0\n", 15), RSP_OK);
    assert_int_equal(rsp_store_op_submit(s, &op, &id, &replayed), RSP_OK);
    rsp_buf_free(&op.script);
    return id;
}

static void test_expire_each(void **state)
{
    fx *f = *state;
    if (!f->s)
        skip(); /* PostgreSQL skipped on purpose (RSP_PG_SKIP=1) */
    const int64_t T = 1800000000;
    int64_t a = add(f->s, EID1, "ES3.SendData", "a", T, 10);      /* EID1's head: claimed below */
    add(f->s, EID1, "ES3.SendData", "b", T, 10);                  /* queued behind it */
    add(f->s, EID1, "ES4.EnableProfile", "c", T, 1000);           /* still valid */
    add(f->s, EID2, "ES3.CreateISDP", "d", T, 10);                /* queued */
    rsp_store_op op;
    memset(&op, 0, sizeof op);
    assert_int_equal(rsp_store_op_claim(f->s, "w1", T, 100, &op), RSP_OK); /* lease until T+100 */
    int64_t held = op.id;
    rsp_store_op_clear(&op);
    assert_true(held == a || held > 0);
    seen s;
    memset(&s, 0, sizeof s);
    size_t n = 99;
    /* T+50: past the deadlines, but the held op's lease is live: it stays */
    assert_int_equal(rsp_store_op_expire_each(f->s, T + 50, on_expired, &s, &n), RSP_OK);
    size_t want = held == a ? 2 : 1; /* the queued ones past their deadline (not the held one) */
    assert_int_equal(n, want);
    assert_int_equal(count_of(&s, "ES3.SendData") + count_of(&s, "ES3.CreateISDP"), want);
    assert_int_equal(count_of(&s, "ES4.EnableProfile"), 0);
    /* T+200: the lease lapsed: the held op expires too */
    memset(&s, 0, sizeof s);
    assert_int_equal(rsp_store_op_expire_each(f->s, T + 200, on_expired, &s, &n), RSP_OK);
    assert_int_equal(n, 3 - want);
    /* every deadline-10 op is expired now, the valid one is not */
    size_t expired = 0, queued = 0;
    assert_int_equal(rsp_store_op_count(f->s, RSP_STORE_OP_EXPIRED, &expired), RSP_OK);
    assert_int_equal(rsp_store_op_count(f->s, RSP_STORE_OP_QUEUED, &queued), RSP_OK);
    assert_int_equal(expired, 3);
    assert_int_equal(queued, 1);
    /* nothing left: no callback */
    memset(&s, 0, sizeof s);
    assert_int_equal(rsp_store_op_expire_each(f->s, T + 300, on_expired, &s, &n), RSP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s.k, 0);
    assert_int_equal(rsp_store_op_expire_each(NULL, T, on_expired, &s, &n), RSP_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        BOTH(test_expire_each),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
