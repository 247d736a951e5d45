/* The leases of operations in admin sessions (lib/smsr/lease.c, docs/modules/smsr.md "Leases of
 * operations in admin sessions"): with an admin server an op sent over HTTPS gets the short lease
 * (max(por_wait, 10 s)), not admin_wait (90 s); the server's timer renews it while the op's job is in
 * the card's session; an entry is dropped (no write) once its job is gone, and when the store refuses
 * the renewal (another worker took the op over after a lapse: fenced), leaving the taker's lease as
 * it is; the session's answer drops it; without an admin server the lease is the whole wait at once;
 * each round of triggers (a new queue after a round never answered) sends 3 again. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/ids.h"
#include "smsr/smsr_dl.h"
#include "smsr/smsr_int.h"

#define EID "89049032123451234512345678901235"
#define ICCID "8988247000000000011"

typedef struct fx {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
    struct event_base *base;
    smsr_https *h;
    unsigned triggers;
    int dones;
} fx;

static void fx_open(fx *x)
{
    memset(x, 0, sizeof(*x));
    snprintf(x->dir, sizeof(x->dir), "/tmp/smsr-lease-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->uri, sizeof(x->uri), "sqlite:%s/s.db", x->dir);
    assert_int_equal(rsp_store_open(x->uri, NULL, &x->st), RSP_OK);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    cfg.worker_id = "w1";
    static const uint8_t mk[32] = {0x42};
    cfg.master_key = mk;
    cfg.master_key_len = 32;
    cfg.es5_transport = RSP_SMSR_ES5_HTTPS;
    cfg.por_wait = 2; /* the short lease is still 10 s (a slowed loop must renew in time) */
    assert_int_equal(rsp_smsr_new(x->st, &cfg, &x->e), RSP_OK);
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), EID);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    assert_int_equal(rsp_store_eis_put(x->st, &eis), RSP_OK);
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), ICCID);
    snprintf(p.eid, sizeof(p.eid), EID);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), "A0000005591010FFFFFFFF8900001000");
    snprintf(p.msisdn, sizeof(p.msisdn), "447700900101");
    snprintf(p.mno_id, sizeof(p.mno_id), "op1");
    p.state = RSP_STORE_PROFILE_ENABLED;
    assert_int_equal(rsp_store_profile_put(x->st, &p), RSP_OK);
    uint8_t k[32];
    memset(k, 0x33, sizeof(k));
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), EID);
    ks.kvn = 1;
    assert_int_equal(smsr_keys_seal(x->e, EID, 1, k, &ks.keys), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(x->st, &ks), RSP_OK);
    rsp_store_keyset_clear(&ks);
    const uint8_t psk[16] = {0x5A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xA5};
    assert_int_equal(smsr_psk_put(x->e, EID, 0x40, psk), RSP_OK);
}

static void fx_close(fx *x)
{
    smsr_https_free(x->h);
    if (x->base)
        event_base_free(x->base);
    rsp_smsr_free(x->e);
    rsp_store_close(x->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
    assert_int_equal(system(cmd), 0);
}

static void on_trigger(void *arg, const rsp_smsr_packet *p)
{
    (void)p;
    ((fx *)arg)->triggers++;
}

static void on_done(void *arg, uint64_t tag, rsp_err err, rsp_scp81_status st, const uint8_t *body, size_t len,
                    const char *why)
{
    (void)tag, (void)err, (void)st, (void)body, (void)len, (void)why;
    ((fx *)arg)->dones++;
}

static void start_t(fx *x, unsigned trigger_ms)
{
    x->base = event_base_new();
    assert_non_null(x->base);
    smsr_https_opts o;
    memset(&o, 0, sizeof(o));
    o.listen = "127.0.0.1:0";
    o.trigger_ms = trigger_ms;
    o.send = on_trigger;
    o.send_arg = x;
    assert_int_equal(smsr_https_new(x->base, x->e, &o, &x->h, NULL), RSP_OK);
}

static void start(fx *x)
{
    start_t(x, 600000); /* the card never answers; the job stays queued for the whole test */
}

static int64_t submit(fx *x, const char *fcid, int64_t now)
{
    rsp_smsr_request q = {RSP_SMSR_FN_AUDIT, RSP_SMSR_ROLE_OPERATOR, "op1", fcid, EID, ICCID, now, 3600};
    rsp_smsr_result r;
    assert_int_equal(rsp_smsr_submit(x->e, &q, &r), RSP_OK);
    return r.op_id;
}

static int64_t lease_of(fx *x, int64_t op_id)
{
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    assert_int_equal(rsp_store_op_get(x->st, op_id, &op), RSP_OK);
    int64_t l = op.lease_until;
    rsp_store_op_clear(&op);
    return l;
}

static bool yes(void *arg, const char *eid, int64_t op_id)
{
    (void)arg, (void)eid, (void)op_id;
    return true;
}

static bool no(void *arg, const char *eid, int64_t op_id)
{
    (void)arg, (void)eid, (void)op_id;
    return false;
}

/* The server's own timer renews a queued op's lease (real time: one period, 3 s). */
static void test_renewed_while_held(void **state)
{
    (void)state;
    fx x;
    fx_open(&x);
    start(&x);
    int64_t t0 = (int64_t)time(NULL);
    int64_t op = submit(&x, "l1", t0);
    rsp_smsr_packet p;
    assert_int_equal(rsp_smsr_next(x.e, t0, &p), RSP_OK);
    assert_true(p.https);
    assert_int_equal(smsr_lease_beat(x.e), 10);
    assert_int_equal(smsr_lease_period(x.e), 3);
    assert_int_equal(lease_of(&x, op), t0 + 10); /* not admin_wait (90) */
    assert_int_equal(x.e->nleases, 1);
    assert_int_equal(smsr_https_queue(x.h, EID, NULL, 0, p.script.data, p.script.len, on_done, &x, (uint64_t)op),
                     RSP_OK);
    assert_int_equal(x.triggers, 1);
    int64_t gen = p.generation;
    rsp_smsr_packet_clear(&p);
    /* one renewal period and a bit: the timer fires, the job is queued in the session, renewed */
    for (int i = 0; i < 450 && lease_of(&x, op) == t0 + 10; i++)
        event_base_loop(x.base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(10000);
    int64_t l = lease_of(&x, op);
    assert_true(l > t0 + 10 && l <= (int64_t)time(NULL) + 10);
    assert_int_equal(x.dones, 0);
    /* the session's answer (here: its loss) settles the op and drops the entry */
    assert_int_equal(rsp_smsr_on_admin(x.e, EID, op, gen, NULL, 0, true, (int64_t)time(NULL), NULL), RSP_OK);
    assert_int_equal(x.e->nleases, 0);
    fx_close(&x);
}

/* Deterministic times through smsr_lease_renew: not held -> dropped, no write; fenced -> dropped, the
 * taker's lease kept; renewed only once at least a second old. */
static void test_drop_and_fence(void **state)
{
    (void)state;
    const int64_t T = 1800000000;
    fx x;
    fx_open(&x);
    start(&x);
    int64_t op = submit(&x, "l2", T);
    rsp_smsr_packet p;
    assert_int_equal(rsp_smsr_next(x.e, T, &p), RSP_OK);
    rsp_smsr_packet_clear(&p);
    assert_int_equal(lease_of(&x, op), T + 10);
    smsr_lease_renew(x.e, T, yes, NULL); /* held this very second: nothing written */
    assert_int_equal(lease_of(&x, op), T + 10);
    smsr_lease_renew(x.e, T + 3, yes, NULL);
    assert_int_equal(lease_of(&x, op), T + 13);
    smsr_lease_renew(x.e, T + 6, no, NULL); /* the job is gone: forgotten, the lease left to lapse */
    assert_int_equal(x.e->nleases, 0);
    assert_int_equal(lease_of(&x, op), T + 13);
    /* lapsed and taken over by another worker (generation + 1): our renewal is fenced */
    assert_int_equal(rsp_smsr_next(x.e, T + 14, &p), RSP_OK); /* this engine's own claim: entry again */
    int64_t gen = p.generation;
    rsp_smsr_packet_clear(&p);
    assert_int_equal(x.e->nleases, 1);
    rsp_store_op taken;
    memset(&taken, 0, sizeof(taken));
    assert_int_equal(rsp_store_op_claim(x.st, "w2", T + 30, 50, &taken), RSP_OK);
    assert_int_equal(taken.id, op);
    assert_true(taken.generation > gen);
    rsp_store_op_clear(&taken);
    smsr_lease_renew(x.e, T + 31, yes, NULL);
    assert_int_equal(x.e->nleases, 0);
    assert_int_equal(lease_of(&x, op), T + 80); /* w2's, untouched */
    fx_close(&x);
}

/* A round of triggers never answered fails the queue; the next queue starts a new round of 3 (the
 * count restarts when the session closes: it did not, and every later round sent ONE trigger). */
static void test_round_restarts(void **state)
{
    (void)state;
    fx x;
    fx_open(&x);
    start_t(&x, 50);
    const uint8_t s1[] = {0xAA, 0x02, 0x22, 0x00};
    for (int round = 1; round <= 2; round++) {
        assert_int_equal(smsr_https_queue(x.h, EID, NULL, 0, s1, sizeof(s1), on_done, &x, 7), RSP_OK);
        for (int i = 0; i < 4000 && x.dones < round; i++)
            event_base_loop(x.base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
        assert_int_equal(x.dones, round);
        assert_int_equal(x.triggers, 3 * (unsigned)round);
    }
    fx_close(&x);
}

/* No admin server in the process: nobody would renew, so the whole wait at once (as before). */
static void test_no_server(void **state)
{
    (void)state;
    const int64_t T = 1800000000;
    fx x;
    fx_open(&x);
    int64_t op = submit(&x, "l3", T);
    rsp_smsr_packet p;
    assert_int_equal(rsp_smsr_next(x.e, T, &p), RSP_OK);
    assert_true(p.https);
    rsp_smsr_packet_clear(&p);
    assert_int_equal(lease_of(&x, op), T + 90);
    assert_int_equal(x.e->nleases, 0);
    fx_close(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drop_and_fence),
        cmocka_unit_test(test_no_server),
        cmocka_unit_test(test_round_restarts),
        cmocka_unit_test(test_renewed_while_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
