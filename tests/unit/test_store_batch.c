/* Group commit (lib/store/batch.c) on SQLite and PostgreSQL (test_store_fixture.h): a batch's writes
 * are seen by its own handle at once but by another connection only after the batch commits, and
 * then survive a reopen; a unit of work that fails inside a batch undoes only its own part (a
 * foreign-key refusal, an explicit rollback of a multi-statement unit) and the batch goes on; a
 * batch whose COMMIT fails (a deferred constraint checked at commit) reports the error and leaves
 * nothing; a transaction lost under the batch (rolled back behind its back) makes every later write
 * and the commit fail instead of silently committing on their own; the counters say one commit per
 * batch. Also rsp_store_audit_walk_back (the SM-SR's cursor look-ups): one card's entries, newest
 * first, across page boundaries, stopping where the callback says; rsp_store_profile_msisdn_other. */
#include "rsp/log.h"
#include "store/store_int.h"
#include "test_store_fixture.h"

static rsp_store *other(fx *f)
{
    rsp_store *o = NULL;
    assert_int_equal(rsp_store_open(f->uri, NULL, &o), RSP_OK);
    return o;
}

static bool has_eis(rsp_store *s, const char *eid)
{
    rsp_store_eis e;
    memset(&e, 0, sizeof e);
    rsp_err err = rsp_store_eis_get(s, eid, &e);
    rsp_store_eis_clear(&e);
    assert_true(err == RSP_OK || err == RSP_ERR_NOT_FOUND);
    return err == RSP_OK;
}

static void outbox_msg(rsp_store_outbox *m, const char *key)
{
    memset(m, 0, sizeof *m);
    snprintf(m->owner, sizeof m->owner, "smsr");
    snprintf(m->key, sizeof m->key, "%s", key);
    snprintf(m->url, sizeof m->url, "https://127.0.0.1:9/cb");
    snprintf(m->ctype, sizeof m->ctype, "application/json");
    assert_int_equal(rsp_buf_append(&m->body, "{}", 2), RSP_OK);
    m->created = m->next_attempt = 10;
}

static void test_batch_visibility(void **state)
{
    fx *f = fx_get(state);
    rsp_store *o = other(f);
    rsp_store_batch_stats a, b;
    rsp_store_batch_stats_get(f->s, &a);
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_ERR_STATE);
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    assert_true(rsp_store_batch_open(f->s));
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_ERR_STATE);
    fx_eis(f->s, EID_A);  /* a single-statement write */
    rsp_store_outbox m;   /* a multi-statement transaction */
    outbox_msg(&m, "k1");
    int64_t id = 0;
    assert_int_equal(rsp_store_outbox_add(f->s, &m, &id), RSP_OK);
    assert_true(has_eis(f->s, EID_A));   /* its own handle sees it */
    assert_false(has_eis(o, EID_A));     /* nobody else, yet */
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_OK);
    assert_false(rsp_store_batch_open(f->s));
    assert_true(has_eis(o, EID_A));
    rsp_store_batch_stats_get(f->s, &b);
    assert_int_equal(b.commits - a.commits, 1); /* two units, one commit */
    assert_int_equal(b.batches - a.batches, 1);
    assert_true(b.units - a.units >= 2);
    /* a batch that writes nothing commits nothing */
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    assert_true(has_eis(f->s, EID_A));
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_OK);
    rsp_store_batch_stats_get(f->s, &a);
    assert_int_equal(a.commits, b.commits);
    rsp_store_close(o);
    fx_reopen(f);
    assert_true(has_eis(f->s, EID_A));
    rsp_store_outbox_stats st;
    assert_int_equal(rsp_store_outbox_stats_get(f->s, "smsr", &st), RSP_OK);
    assert_int_equal(st.pending, 1);
    rsp_store_outbox_clear(&m);
}

static void test_batch_inner_rollback(void **state)
{
    fx *f = fx_get(state);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_NONE);
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    fx_eis(f->s, EID_A);
    /* a profile of an unknown eUICC: refused by the foreign key, inside the batch's transaction */
    rsp_store_profile p;
    memset(&p, 0, sizeof p);
    snprintf(p.iccid, sizeof p.iccid, "8901000000000000001");
    snprintf(p.eid, sizeof p.eid, "%s", EID_B);
    snprintf(p.isdp_aid, sizeof p.isdp_aid, "A0000005591010FFFFFFFF8900001000");
    snprintf(p.mno_id, sizeof p.mno_id, "mno");
    snprintf(p.profile_type, sizeof p.profile_type, "t");
    assert_int_equal(rsp_store_profile_put(f->s, &p), RSP_ERR_NOT_FOUND);
    /* a multi-statement unit that writes, then rolls back: only its write is undone */
    assert_int_equal(rsp_store__begin(f->s), RSP_OK);
    rsp_store_param del[] = {SP_TEXT(EID_A)};
    int64_t n = 0;
    assert_int_equal(rsp_store__exec_stmt(f->s, RSP_STMT_EIS_DEL, del, 1, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_false(has_eis(f->s, EID_A));
    rsp_store__rollback(f->s);
    assert_true(has_eis(f->s, EID_A));
    /* the batch is intact: more work, one commit */
    fx_eis(f->s, EID_B);
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_OK);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    fx_reopen(f);
    assert_true(has_eis(f->s, EID_A));
    assert_true(has_eis(f->s, EID_B));
    rsp_store_profile g;
    memset(&g, 0, sizeof g);
    assert_int_equal(rsp_store_profile_get(f->s, p.iccid, &g), RSP_ERR_NOT_FOUND);
}

/* COMMIT itself fails: a deferred foreign key is only checked then (both engines). */
static void test_batch_commit_failure(void **state)
{
    fx *f = fx_get(state);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_NONE);
    assert_int_equal(f->s->ops->exec(f->s, "CREATE TABLE bt_parent(id INTEGER PRIMARY KEY);"
                                           " CREATE TABLE bt_child(pid INTEGER REFERENCES bt_parent(id)"
                                           " DEFERRABLE INITIALLY DEFERRED)"),
                     RSP_OK);
    rsp_store_batch_stats a, b;
    rsp_store_batch_stats_get(f->s, &a);
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    fx_eis(f->s, EID_A);
    assert_int_equal(f->s->ops->exec(f->s, "INSERT INTO bt_child VALUES(42)"), RSP_OK); /* not checked yet */
    assert_int_not_equal(rsp_store_batch_commit(f->s), RSP_OK);
    assert_false(rsp_store_batch_open(f->s));
    rsp_store_batch_stats_get(f->s, &b);
    assert_int_equal(b.failed - a.failed, 1);
    assert_false(has_eis(f->s, EID_A)); /* rolled back, on this handle too */
    /* the handle works on: the next batch commits */
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    fx_eis(f->s, EID_B);
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_OK);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    fx_reopen(f);
    assert_false(has_eis(f->s, EID_A));
    assert_true(has_eis(f->s, EID_B));
    int64_t kids = -1;
    assert_int_equal(f->s->ops->query_int(f->s, "SELECT COUNT(*) FROM bt_child", &kids), RSP_OK);
    assert_int_equal(kids, 0);
}

/* The transaction disappears under the batch: later writes fail, they never autocommit alone. */
static void test_batch_lost_transaction(void **state)
{
    fx *f = fx_get(state);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_NONE);
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    fx_eis(f->s, EID_A);
    assert_int_equal(f->s->ops->exec(f->s, "ROLLBACK"), RSP_OK);
    rsp_store_eis e;
    memset(&e, 0, sizeof e);
    snprintf(e.eid, sizeof e.eid, "%s", EID_B);
    snprintf(e.eum_id, sizeof e.eum_id, "eum");
    snprintf(e.smsr_id, sizeof e.smsr_id, "smsr");
    assert_int_not_equal(rsp_store_eis_put(f->s, &e), RSP_OK);
    assert_int_not_equal(rsp_store_batch_commit(f->s), RSP_OK);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    fx_reopen(f);
    assert_false(has_eis(f->s, EID_A));
    assert_false(has_eis(f->s, EID_B));
    /* an aborted batch leaves nothing either */
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK);
    fx_eis(f->s, EID_A);
    rsp_store_batch_abort(f->s);
    assert_false(rsp_store_batch_open(f->s));
    assert_false(has_eis(f->s, EID_A));
}

typedef struct seen {
    int64_t ids[64];
    size_t n, stop_at;
} seen;

static bool collect(void *arg, const rsp_store_audit *a)
{
    seen *v = arg;
    assert_string_equal(a->eid, EID_A);
    v->ids[v->n++] = a->op_id;
    return v->n == v->stop_at;
}

static void test_audit_walk_back(void **state)
{
    fx *f = fx_get(state);
    rsp_store_audit a;
    memset(&a, 0, sizeof a);
    snprintf(a.actor, sizeof a.actor, "t");
    snprintf(a.event, sizeof a.event, "smsr.step");
    assert_int_equal(rsp_store_batch_begin(f->s), RSP_OK); /* 80 appends, one commit */
    for (int i = 1; i <= 80; i++) {
        snprintf(a.eid, sizeof a.eid, "%s", i % 2 ? EID_A : EID_B);
        a.op_id = i;
        assert_int_equal(rsp_store_audit_append(f->s, &a, NULL), RSP_OK);
    }
    assert_int_equal(rsp_store_batch_commit(f->s), RSP_OK);
    seen v = {.stop_at = 0};
    assert_int_equal(rsp_store_audit_walk_back(f->s, EID_A, collect, &v), RSP_OK);
    assert_int_equal(v.n, 40); /* every entry of A, over two pages */
    for (size_t i = 0; i < v.n; i++)
        assert_int_equal(v.ids[i], 79 - 2 * (int64_t)i);
    seen w = {.stop_at = 3};
    assert_int_equal(rsp_store_audit_walk_back(f->s, EID_A, collect, &w), RSP_OK);
    assert_int_equal(w.n, 3);
    assert_int_equal(w.ids[2], 75);
    assert_int_equal(rsp_store_audit_walk_back(f->s, "", collect, &w), RSP_ERR_INVAL);
}

/* rsp_store_profile_msisdn_other (T's guard against one MSISDN on two cards) */
static void test_msisdn_other(void **state)
{
    fx *f = fx_get(state);
    fx_eis(f->s, EID_A);
    fx_eis(f->s, EID_B);
    rsp_store_profile p, g;
    memset(&p, 0, sizeof p);
    snprintf(p.iccid, sizeof p.iccid, "8901000000000000001");
    snprintf(p.eid, sizeof p.eid, "%s", EID_A);
    snprintf(p.isdp_aid, sizeof p.isdp_aid, "A0000005591010FFFFFFFF8900001000");
    snprintf(p.mno_id, sizeof p.mno_id, "mno");
    snprintf(p.profile_type, sizeof p.profile_type, "t");
    snprintf(p.msisdn, sizeof p.msisdn, "447700900123");
    assert_int_equal(rsp_store_profile_put(f->s, &p), RSP_OK);
    assert_int_equal(rsp_store_profile_msisdn_other(f->s, "447700900123", EID_A, &g), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_profile_msisdn_other(f->s, "447700900124", EID_B, &g), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_profile_msisdn_other(f->s, "447700900123", EID_B, &g), RSP_OK);
    assert_string_equal(g.iccid, p.iccid);
    assert_string_equal(g.eid, EID_A);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        BOTH(test_batch_visibility), BOTH(test_batch_inner_rollback), BOTH(test_batch_commit_failure),
        BOTH(test_batch_lost_transaction), BOTH(test_audit_walk_back),
        BOTH(test_msisdn_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
