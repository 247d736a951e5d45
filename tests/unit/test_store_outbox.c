/* The outbox and pending replies of the store, on SQLite and PostgreSQL (test_store_fixture.h):
 * add / de-duplication by key, claims under a lease (a held row is not handed out again until the
 * lease lapses; a due time is honoured), fenced outcomes (a stale claimer is refused), retry and
 * dead bookkeeping, pruning of sent rows, stats; replies ready only once their operation settled,
 * moved exactly once when two connections race; two connections claiming concurrently never get
 * the same row; a failed commit (SQLite file that may not grow) leaves nothing and is an error. */
#include <pthread.h>

#include "rsp/log.h"
#include "store/store_int.h"
#include "test_store_fixture.h"

static void msg(rsp_store_outbox *m, const char *key, int64_t created)
{
    memset(m, 0, sizeof *m);
    snprintf(m->owner, sizeof m->owner, "smsr");
    snprintf(m->key, sizeof m->key, "%s", key);
    snprintf(m->url, sizeof m->url, "https://127.0.0.1:9/cb");
    snprintf(m->ctype, sizeof m->ctype, "application/json");
    snprintf(m->action, sizeof m->action, "urn:x");
    assert_int_equal(rsp_buf_append(&m->body, "{\"a\":1}", 7), RSP_OK);
    m->created = created;
    m->next_attempt = created;
}

static void free_claimed(rsp_store_outbox *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rsp_store_outbox_clear(&v[i]);
    free(v);
}

static void test_outbox_lease_retry(void **state)
{
    fx *f = fx_get(state);
    rsp_store_outbox m, g, *v = NULL;
    size_t n = 0;
    int64_t id1 = 0, id2 = 0, x = 0;
    memset(&g, 0, sizeof g);
    msg(&m, "k1", 100);
    assert_int_equal(rsp_store_outbox_add(f->s, &m, &id1), RSP_OK);
    assert_int_equal(rsp_store_outbox_add(f->s, &m, &x), RSP_ERR_EXISTS); /* same key: one row */
    m.key[0] = 0; /* keyless rows are never de-duplicated */
    assert_int_equal(rsp_store_outbox_add(f->s, &m, &id2), RSP_OK);
    m.next_attempt = 500; /* not due before 500 */
    assert_int_equal(rsp_store_outbox_add(f->s, &m, &x), RSP_OK);
    rsp_store_outbox_clear(&m);
    fx_reopen(f); /* committed */
    assert_int_equal(rsp_store_outbox_get(f->s, id1, &g), RSP_OK);
    assert_string_equal(g.url, "https://127.0.0.1:9/cb");
    assert_int_equal(g.body.len, 7);
    assert_int_equal(g.state, RSP_STORE_OUTBOX_PENDING);
    rsp_store_outbox_clear(&g);

    /* Claim at 100: the two due rows, leased until 130. */
    assert_int_equal(rsp_store_outbox_claim(f->s, "smsr", "w1", 100, 30, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 2);
    int64_t gen1 = v[0].id == id1 ? v[0].generation : v[1].generation;
    assert_int_equal(gen1, 1);
    assert_string_equal(v[0].worker, "w1");
    assert_int_equal(v[0].lease_until, 130);
    free_claimed(v, n);
    /* Held: nothing for another worker until the lease lapses; another owner sees nothing. */
    assert_int_equal(rsp_store_outbox_claim(f->s, "smsr", "w2", 120, 30, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 0);
    assert_null(v);
    assert_int_equal(rsp_store_outbox_claim(f->s, "smdp", "w2", 200, 30, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 0);
    /* w1 delivers row 1; row 2 fails and is retried at 160. */
    assert_int_equal(rsp_store_outbox_sent(f->s, id1, gen1, 121), RSP_OK);
    assert_int_equal(rsp_store_outbox_retry(f->s, id2, 1, 122, 160, "HTTP 503"), RSP_OK);
    assert_int_equal(rsp_store_outbox_claim(f->s, "smsr", "w2", 150, 30, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 0); /* retry not due yet, sent row never again */
    assert_int_equal(rsp_store_outbox_claim(f->s, "smsr", "w2", 160, 30, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, id2);
    assert_int_equal(v[0].attempts, 1);
    assert_string_equal(v[0].last_error, "HTTP 503");
    assert_int_equal(v[0].generation, 2);
    free_claimed(v, n);
    /* w1's late outcome on row 2 (its claim was generation 1) is fenced. */
    assert_int_equal(rsp_store_outbox_sent(f->s, id2, 1, 161), RSP_STORE_FENCED);
    assert_int_equal(rsp_store_outbox_sent(f->s, 999999, 1, 161), RSP_ERR_NOT_FOUND);
    /* A lapsed lease lets another worker take the row over (the holder died mid-POST). */
    assert_int_equal(rsp_store_outbox_claim(f->s, "smsr", "w3", 191, 30, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].generation, 3);
    free_claimed(v, n);
    assert_int_equal(rsp_store_outbox_dead(f->s, id2, 3, 192, "too old"), RSP_OK);
    assert_int_equal(rsp_store_outbox_sent(f->s, id2, 3, 193), RSP_STORE_FENCED); /* no longer pending */

    rsp_store_outbox_stats st;
    assert_int_equal(rsp_store_outbox_stats_get(f->s, "smsr", &st), RSP_OK);
    assert_int_equal(st.pending, 1);
    assert_int_equal(st.sent, 1);
    assert_int_equal(st.dead, 1);
    assert_int_equal(st.oldest_pending, 100);
    /* Pruning takes sent rows older than the bound only; dead ones stay for audit. */
    size_t pr = 9;
    assert_int_equal(rsp_store_outbox_prune(f->s, 121, &pr), RSP_OK);
    assert_int_equal(pr, 0);
    assert_int_equal(rsp_store_outbox_prune(f->s, 122, &pr), RSP_OK);
    assert_int_equal(pr, 1);
    assert_int_equal(rsp_store_outbox_get(f->s, id1, &g), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_outbox_get(f->s, id2, &g), RSP_OK);
    assert_int_equal(g.state, RSP_STORE_OUTBOX_DEAD);
    assert_int_equal(g.attempts, 2);
    rsp_store_outbox_clear(&g);
    /* Bad input before SQL. */
    msg(&m, "", 1);
    m.url[0] = 0;
    assert_int_equal(rsp_store_outbox_add(f->s, &m, &x), RSP_ERR_INVAL);
    rsp_store_outbox_clear(&m);
    assert_int_equal(rsp_store_outbox_claim(f->s, "smsr", "w", 1, 0, 1, &v, &n), RSP_ERR_INVAL);
}

static void reply(rsp_store_outbox_reply *r, const char *key, int64_t op_id)
{
    memset(r, 0, sizeof *r);
    snprintf(r->owner, sizeof r->owner, "smsr");
    snprintf(r->key, sizeof r->key, "%s", key);
    r->op_id = op_id;
    snprintf(r->caller, sizeof r->caller, "MNO1");
    snprintf(r->function, sizeof r->function, "ES4.EnableProfile");
    snprintf(r->reply_to, sizeof r->reply_to, "https://mno.example/cb");
    snprintf(r->message_id, sizeof r->message_id, "urn:uuid:1");
    snprintf(r->eid, sizeof r->eid, EID_A);
    r->flags = 0x1234;
    r->created = 7;
}

static void test_reply_ready_move(void **state)
{
    fx *f = fx_get(state);
    fx_eis(f->s, EID_A);
    rsp_store_op op;
    memset(&op, 0, sizeof op);
    snprintf(op.eid, sizeof op.eid, EID_A);
    snprintf(op.function, sizeof op.function, "ES4.EnableProfile");
    snprintf(op.requester, sizeof op.requester, "MNO1");
    snprintf(op.fcid, sizeof op.fcid, "f1");
    op.created = 1;
    op.deadline = 1000;
    int64_t opid = 0, rid = 0, nid = 0, x = 0;
    assert_int_equal(rsp_store_op_submit(f->s, &op, &opid, NULL), RSP_OK);
    rsp_store_outbox_reply r, *v = NULL;
    size_t n = 0;
    reply(&r, "r:1", opid);
    assert_int_equal(rsp_store_outbox_reply_add(f->s, &r, &rid), RSP_OK);
    assert_int_equal(rsp_store_outbox_reply_add(f->s, &r, &x), RSP_ERR_EXISTS);
    reply(&r, "n:1", 0); /* a notification: ready at once */
    assert_int_equal(rsp_store_outbox_reply_add(f->s, &r, &nid), RSP_OK);
    assert_int_equal(rsp_store_outbox_reply_ready(f->s, "smsr", 10, &v, &n), RSP_OK);
    assert_int_equal(n, 1); /* the op has not settled */
    assert_int_equal(v[0].id, nid);
    free(v);
    /* The op settles: both ready, oldest first, every field back. */
    rsp_store_op c;
    memset(&c, 0, sizeof c);
    assert_int_equal(rsp_store_op_claim(f->s, "w", 2, 30, &c), RSP_OK);
    rsp_store_fence fe = {c.id, c.generation};
    rsp_store_op_change chg = {.now = 3};
    assert_int_equal(rsp_store_op_transition(f->s, opid, &fe, RSP_STORE_OP_SENT, RSP_STORE_OP_DONE, &chg), RSP_OK);
    rsp_store_op_clear(&c);
    assert_int_equal(rsp_store_outbox_reply_ready(f->s, "smsr", 10, &v, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].id, rid);
    assert_string_equal(v[0].reply_to, "https://mno.example/cb");
    assert_string_equal(v[0].message_id, "urn:uuid:1");
    assert_string_equal(v[0].eid, EID_A);
    assert_int_equal(v[0].flags, 0x1234);
    assert_int_equal(v[0].op_id, opid);
    free(v);
    /* Two connections move the same reply: one message. */
    rsp_store *s2 = NULL;
    assert_int_equal(rsp_store_open(f->uri, NULL, &s2), RSP_OK);
    rsp_store_outbox m;
    msg(&m, "r:1", 4);
    int64_t ob = 0;
    assert_int_equal(rsp_store_outbox_reply_move(f->s, rid, &m, &ob), RSP_OK);
    assert_true(ob > 0);
    assert_int_equal(rsp_store_outbox_reply_move(s2, rid, &m, &ob), RSP_ERR_NOT_FOUND);
    rsp_store_close(s2);
    /* Dropping: nothing to send. */
    assert_int_equal(rsp_store_outbox_reply_move(f->s, nid, NULL, &ob), RSP_OK);
    assert_int_equal(ob, 0);
    assert_int_equal(rsp_store_outbox_reply_ready(f->s, "smsr", 10, &v, &n), RSP_OK);
    assert_int_equal(n, 0);
    rsp_store_outbox_stats st;
    assert_int_equal(rsp_store_outbox_stats_get(f->s, "smsr", &st), RSP_OK);
    assert_int_equal(st.pending, 1);
    rsp_store_outbox_clear(&m);
}

/* Two connections claiming at the same time (threads, one handle each) never share a row. */
typedef struct claimer {
    const char *uri;
    char worker[8];
    int64_t got[64];
    size_t n;
    rsp_err err;
} claimer;

static void *claim_thread(void *arg)
{
    claimer *c = arg;
    rsp_store *s = NULL;
    if ((c->err = rsp_store_open(c->uri, NULL, &s)) != RSP_OK)
        return NULL;
    for (int round = 0; round < 40 && c->n < 64; round++) {
        rsp_store_outbox *v = NULL;
        size_t n = 0;
        if ((c->err = rsp_store_outbox_claim(s, "smsr", c->worker, 1000, 60, 3, &v, &n)) != RSP_OK)
            break;
        for (size_t i = 0; i < n && c->n < 64; i++)
            c->got[c->n++] = v[i].id;
        free_claimed(v, n);
    }
    rsp_store_close(s);
    return NULL;
}

static void test_outbox_no_double_claim(void **state)
{
    fx *f = fx_get(state);
    rsp_store_outbox m;
    msg(&m, "", 10);
    for (int i = 0; i < 40; i++)
        assert_int_equal(rsp_store_outbox_add(f->s, &m, NULL), RSP_OK);
    rsp_store_outbox_clear(&m);
    claimer a = {.uri = f->uri, .worker = "wa"}, b = {.uri = f->uri, .worker = "wb"};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, claim_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, claim_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.err, RSP_OK);
    assert_int_equal(b.err, RSP_OK);
    assert_int_equal(a.n + b.n, 40); /* every row once */
    for (size_t i = 0; i < a.n; i++)
        for (size_t j = 0; j < b.n; j++)
            assert_true(a.got[i] != b.got[j]);
}

/* SQLite: the file may not grow; a big message cannot be committed: an error, nothing visible,
 * and the same call succeeds once the cap is lifted. */
static void test_outbox_commit_failure(void **state)
{
    fx *f = fx_get(state);
    rsp_store_outbox m;
    int64_t pages = 0, id = 0;
    char sql[64];
    rsp_store_outbox_stats st;
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_NONE);
    msg(&m, "big", 1);
    assert_int_equal(rsp_buf_reserve(&m.body, 200000), RSP_OK);
    memset(m.body.data, 0x41, 200000);
    m.body.len = 200000;
    assert_int_equal(f->s->ops->query_int(f->s, "PRAGMA page_count", &pages), RSP_OK);
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages);
    assert_int_equal(f->s->ops->exec(f->s, sql), RSP_OK);
    assert_int_not_equal(rsp_store_outbox_add(f->s, &m, &id), RSP_OK);
    assert_int_equal(rsp_store_outbox_stats_get(f->s, "smsr", &st), RSP_OK);
    assert_int_equal(st.pending, 0);
    /* a reply move that cannot commit leaves the reply where it was */
    rsp_store_outbox_reply r;
    reply(&r, "r:big", 0);
    int64_t rid = 0;
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 20);
    assert_int_equal(f->s->ops->exec(f->s, sql), RSP_OK);
    assert_int_equal(rsp_store_outbox_reply_add(f->s, &r, &rid), RSP_OK);
    assert_int_not_equal(rsp_store_outbox_reply_move(f->s, rid, &m, &id), RSP_OK);
    rsp_store_outbox_reply *v = NULL;
    size_t n = 0;
    assert_int_equal(rsp_store_outbox_reply_ready(f->s, "smsr", 4, &v, &n), RSP_OK);
    assert_int_equal(n, 1);
    free(v);
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 1000);
    assert_int_equal(f->s->ops->exec(f->s, sql), RSP_OK);
    assert_int_equal(rsp_store_outbox_reply_move(f->s, rid, &m, &id), RSP_OK);
    assert_true(id > 0);
    assert_int_equal(rsp_store_outbox_stats_get(f->s, "smsr", &st), RSP_OK);
    assert_int_equal(st.pending, 1);
    rsp_store_outbox_clear(&m);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
}

/* A v4 database gains the outbox on open, its data kept. */
static void test_outbox_migration(void **state)
{
    fx *f = fx_get(state);
    int v = 0;
    rsp_store *old = fx_open_old(f, "old.db", 4);
    fx_eis(old, EID_A);
    rsp_store_outbox m;
    msg(&m, "", 1);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_NONE);
    assert_int_not_equal(rsp_store_outbox_add(old, &m, NULL), RSP_OK); /* no table yet */
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    rsp_store_close(old);
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
    assert_int_equal(rsp_store_schema_version(f->s, &v), RSP_OK);
    assert_int_equal(v, RSP_STORE_SCHEMA_VERSION); /* 5 or later */
    assert_int_equal(rsp_store_outbox_add(f->s, &m, NULL), RSP_OK);
    rsp_store_outbox_clear(&m);
    rsp_store_eis e;
    memset(&e, 0, sizeof e);
    assert_int_equal(rsp_store_eis_get(f->s, EID_A, &e), RSP_OK);
    rsp_store_eis_clear(&e);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        BOTH(test_outbox_lease_retry), BOTH(test_reply_ready_move), BOTH(test_outbox_no_double_claim),
        BOTH(test_outbox_migration),
        cmocka_unit_test_setup_teardown(test_outbox_commit_failure, fx_setup_sqlite, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
