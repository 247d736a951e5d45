/* Ownership under crashes and contention, on both backends: worker processes (fork, each with its
 * own connection) claim operations, hold them for a while, reserve two SCP80 counters each under
 * the claim's fence, wait for a "PoR" (AWAITING, renewing the lease) and finish. Some workers are
 * killed mid-operation (SIGKILL after their first counter), some stall past their lease and come
 * back (their later writes must be refused as fenced). The parent respawns killed workers.
 *
 * What is checked afterwards, from a log of every counter handed out (shared memory):
 * - every counter of an eUICC was handed out once (never reused);
 * - ordered by counter, the (operation, generation) pairs of an eUICC never go backwards: no two
 *   operations of one eUICC ran at once, they ran in FIFO order, and after a takeover the stale
 *   holder never got a counter again;
 * - every operation ended DONE through exactly one successful transition.
 * The same run with a deliberately broken claim statement (rsp_store__test_break_claim: no
 * per-eUICC rule) must FAIL these checks: the test can fail. */
#define _GNU_SOURCE /* MAP_ANONYMOUS, prctl */
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "rsp/log.h"
#include "store/store_int.h"
#include "test_store_fixture.h"

/* Sized for make test: each commit waits for an fsync (SQLite serialises them: ~4 ms each on a
 * slow VM disk), so a few hundred commits per backend. */
#define CR_EIDS 16
#define CR_PER_EID 4
#define CR_OPS (CR_EIDS * CR_PER_EID)
#define CR_WORKERS 6
#define CR_LEASE_MS 200
#define CR_MAX_EV (CR_OPS * 8)
#define CR_KVN 1

typedef struct cr_ev {
    int eix;
    int64_t op, gen;
    uint64_t counter;
} cr_ev;

typedef struct cr_shm {
    atomic_int nev;
    atomic_int done;               /* successful DONE transitions */
    atomic_int fenced;             /* stale writes refused */
    atomic_int killed;             /* workers that killed themselves mid-operation */
    atomic_int stalled;
    atomic_int stop;
    atomic_int go;                 /* start line: the first claims all happen at once */
    int64_t hard_stop;             /* workers give up by themselves after this (ms) */
    atomic_int done_ok[CR_OPS];
    int nops;
    int64_t first_id;
    cr_ev ev[CR_MAX_EV];
} cr_shm;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* one clock for every process of the machine */
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void cr_eid(int e, char out[33])
{
    snprintf(out, 33, "8904903212345123451234567890%04u", (unsigned)e % 10000u);
}

/* Which operations go wrong, on their first claim only (deterministic, so every run has both). */
static bool cr_kill(const rsp_store_op *op)
{
    return op->generation == 1 && op->id % 11 == 3;
}

static bool cr_stall(const rsp_store_op *op)
{
    return op->generation == 1 && op->id % 9 == 5;
}

/* One counter under the fence; logged on success. Returns false when the worker must let go. */
static bool cr_reserve(rsp_store *s, cr_shm *sh, const rsp_store_op *op, int eix, int *err)
{
    rsp_store_fence fence = {op->id, op->generation};
    uint64_t c = 0;
    rsp_err e = rsp_store_counter_reserve(s, &fence, op->eid, CR_KVN, now_ms(), &c);
    if (e == RSP_STORE_FENCED) {
        atomic_fetch_add(&sh->fenced, 1);
        return false;
    }
    if (e != RSP_OK) {
        *err = e;
        return false;
    }
    int i = atomic_fetch_add(&sh->nev, 1);
    if (i < CR_MAX_EV)
        sh->ev[i] = (cr_ev){eix, op->id, op->generation, c};
    return true;
}

/* Returns the exit code of the worker process: 0, or 10 + an unexpected rsp_err. */
static int cr_worker(const char *uri, cr_shm *sh, int index, bool broken)
{
    rsp_store *s = NULL;
    char wid[32];
    int err = 0;
    snprintf(wid, sizeof wid, "w%d.%d", index, (int)getpid());
    if (rsp_store_open(uri, NULL, &s) != RSP_OK)
        return 9;
    if (broken)
        rsp_store__test_break_claim(s);
    rsp_store_op op;
    memset(&op, 0, sizeof op);
    while (!atomic_load(&sh->go) && now_ms() < sh->hard_stop)
        sleep_ms(1);
    while (!atomic_load(&sh->stop) && now_ms() < sh->hard_stop && !err) {
        rsp_err e = rsp_store_op_claim(s, wid, now_ms(), CR_LEASE_MS, &op);
        if (e == RSP_ERR_END) {
            sleep_ms(2);
            continue;
        }
        if (e != RSP_OK) {
            err = e;
            break;
        }
        rsp_store_fence fence = {op.id, op.generation};
        int eix = atoi(op.eid + 28);
        sleep_ms(1);
        if (!cr_reserve(s, sh, &op, eix, &err))
            continue;
        if (cr_kill(&op)) {
            atomic_fetch_add(&sh->killed, 1);
            raise(SIGKILL); /* dies holding the op: someone takes it over once the lease lapses */
        }
        if (cr_stall(&op)) {
            atomic_fetch_add(&sh->stalled, 1);
            sleep_ms(CR_LEASE_MS + 150); /* lease lapses; it is taken over, or at least not ours */
        } else {
            sleep_ms(2);
        }
        if (!cr_reserve(s, sh, &op, eix, &err))
            continue;
        int64_t t = now_ms();
        rsp_store_op_change ch = {.now = t, .lease_until = t + CR_LEASE_MS};
        e = rsp_store_op_transition(s, op.id, &fence, RSP_STORE_OP_SENT, RSP_STORE_OP_AWAITING,
                                    &ch);
        if (e == RSP_OK) {
            sleep_ms(1); /* waiting for the PoR: keep the lease */
            t = now_ms();
            e = rsp_store_op_renew(s, &fence, t, t + CR_LEASE_MS);
        }
        if (e == RSP_OK) {
            const uint8_t por[] = {0x90, 0x00};
            rsp_bytes rb = rsp_bytes_of(por, 2);
            ch = (rsp_store_op_change){.now = now_ms(), .result = &rb};
            e = rsp_store_op_transition(s, op.id, &fence, RSP_STORE_OP_AWAITING,
                                        RSP_STORE_OP_DONE, &ch);
        }
        if (e == RSP_OK) {
            atomic_fetch_add(&sh->done_ok[op.id - sh->first_id], 1);
            atomic_fetch_add(&sh->done, 1);
        } else if (e == RSP_STORE_FENCED) {
            atomic_fetch_add(&sh->fenced, 1);
        } else {
            err = e;
        }
    }
    rsp_store_op_clear(&op);
    rsp_store_close(s);
    return err ? 10 + err : 0;
}

static pid_t cr_spawn(const char *uri, cr_shm *sh, int index, bool broken)
{
    fflush(NULL);
    pid_t p = fork();
    if (p == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed parent leaves no worker behind */
        _exit(cr_worker(uri, sh, index, broken));
    } /* _exit: no cmocka, no atexit in the child */
    return p;
}

static int cmp_ev(const void *a, const void *b)
{
    const cr_ev *x = a, *y = b;
    if (x->eix != y->eix)
        return x->eix < y->eix ? -1 : 1;
    return x->counter < y->counter ? -1 : x->counter > y->counter;
}

/* Counts violations of the guarantees in the log (see the top of the file). */
static int cr_check(cr_shm *sh, bool verbose)
{
    int n = atomic_load(&sh->nev), bad = 0;
    if (n > CR_MAX_EV)
        n = CR_MAX_EV;
    qsort(sh->ev, (size_t)n, sizeof sh->ev[0], cmp_ev);
    for (int i = 1; i < n; i++) {
        const cr_ev *p = &sh->ev[i - 1], *c = &sh->ev[i];
        if (p->eix != c->eix)
            continue;
        const char *what = NULL;
        if (c->counter == p->counter)
            what = "counter handed out twice";
        else if (c->op < p->op)
            what = "operations of one eUICC interleaved or out of FIFO order";
        else if (c->op == p->op && c->gen < p->gen)
            what = "a stale holder got a counter after the takeover";
        if (what) {
            if (verbose && bad < 5)
                fprintf(stderr, "  eUICC %d: counter %llu by op %lld gen %lld after op %lld"
                        " gen %lld: %s\n", c->eix, (unsigned long long)c->counter, (long long)c->op,
                        (long long)c->gen, (long long)p->op, (long long)p->gen, what);
            bad++;
        }
    }
    for (int i = 0; i < sh->nops; i++)
        if (atomic_load(&sh->done_ok[i]) != 1) {
            if (verbose && bad < 5)
                fprintf(stderr, "  op %lld finished %d times\n", (long long)(sh->first_id + i),
                        atomic_load(&sh->done_ok[i]));
            bad++;
        }
    return bad;
}

/* Runs the scenario over neids eUICCs; returns the number of violations. */
static int cr_run(fx *f, int neids, bool broken)
{
    cr_shm *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(sh != MAP_FAILED);
    memset(sh, 0, sizeof *sh);
    sh->nops = neids * CR_PER_EID;
    for (int e = 0; e < neids; e++) {
        char eid[33];
        cr_eid(e, eid);
        fx_eis(f->s, eid);
        rsp_store_keyset k;
        memset(&k, 0, sizeof k);
        snprintf(k.eid, sizeof k.eid, "%s", eid);
        k.kvn = CR_KVN;
        assert_int_equal(rsp_buf_append(&k.keys, "0123456789abcdef", 16), RSP_OK);
        assert_int_equal(rsp_store_keyset_put(f->s, &k), RSP_OK);
        rsp_store_keyset_clear(&k);
    }
    /* Grouped by eUICC: the head of the queue is one eUICC's ops, so a claim must skip past
     * blocked ones (and a claim that does not is caught at once). */
    int64_t t0 = now_ms();
    for (int e = 0; e < neids; e++)
        for (int k = 0; k < CR_PER_EID; k++) {
            rsp_store_op op;
            int64_t id = 0;
            memset(&op, 0, sizeof op);
            cr_eid(e, op.eid);
            snprintf(op.function, sizeof op.function, "ES4.EnableProfile");
            snprintf(op.requester, sizeof op.requester, "mno");
            snprintf(op.fcid, sizeof op.fcid, "fc-%d-%d", e, k);
            op.created = op.next_attempt = t0;
            op.deadline = t0 + 3600 * 1000;
            assert_int_equal(rsp_store_op_submit(f->s, &op, &id, NULL), RSP_OK);
            if (e == 0 && k == 0)
                sh->first_id = id;
            assert_int_equal(id - sh->first_id, e * CR_PER_EID + k);
        }
    /* No connection may cross a fork (SQLite keeps per-process lock state). */
    rsp_store_close(f->s);
    f->s = NULL;
    pid_t pids[CR_WORKERS];
    int64_t deadline = now_ms() + 20000;
    sh->hard_stop = deadline + 2000;
    for (int i = 0; i < CR_WORKERS; i++)
        pids[i] = cr_spawn(f->uri, sh, i, broken);
    sleep_ms(100); /* every worker connected: start together */
    atomic_store(&sh->go, 1);
    int live = CR_WORKERS, deaths = 0, errors = 0;

    while (live > 0) {
        int st = 0;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p <= 0) {
            if (atomic_load(&sh->done) >= sh->nops || now_ms() > deadline)
                atomic_store(&sh->stop, 1);
            sleep_ms(5);
            continue;
        }
        int slot = -1;
        for (int i = 0; i < CR_WORKERS; i++)
            if (pids[i] == p)
                slot = i;
        if (slot < 0)
            continue;
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
            deaths++;
            pids[slot] = atomic_load(&sh->stop) ? -1 : cr_spawn(f->uri, sh, slot, broken);
            if (pids[slot] < 0)
                live--;
            continue;
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "worker exited with status %d\n", st);
            errors++;
        }
        pids[slot] = -1;
        live--;
    }
    double secs = (double)(now_ms() - t0) / 1000.0;
    assert_int_equal(errors, 0);
    assert_int_equal(deaths, atomic_load(&sh->killed));
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
    size_t done = 0;
    assert_int_equal(rsp_store_op_count(f->s, RSP_STORE_OP_DONE, &done), RSP_OK);
    int bad = cr_check(sh, !broken);
    if (done != (size_t)sh->nops) {
        if (!broken)
            fprintf(stderr, "  %zu of %d operations done\n", done, sh->nops);
        bad++;
    }
    /* The database's counters are at least the highest one handed out (nothing handed out was
     * lost). */
    int n = atomic_load(&sh->nev) < CR_MAX_EV ? atomic_load(&sh->nev) : CR_MAX_EV;
    for (int i = 0; i < n; i++) {
        rsp_store_keyset k;
        char eid[33];
        memset(&k, 0, sizeof k);
        cr_eid(sh->ev[i].eix, eid);
        assert_int_equal(rsp_store_keyset_get(f->s, eid, CR_KVN, &k), RSP_OK);
        assert_true(k.counter >= sh->ev[i].counter);
        rsp_store_keyset_clear(&k);
    }
    printf("[ figures  ] %s%s: %d ops, %d workers, %d killed, %d stalled, %d stale writes refused,"
           " %d counters, %.2f s, %d violations\n", rsp_store_backend(f->s),
           broken ? " (broken claim)" : "", sh->nops, CR_WORKERS, deaths, atomic_load(&sh->stalled),
           atomic_load(&sh->fenced), n, secs, bad);
    if (!broken) {
        /* The scenario really exercised takeovers and fencing. */
        assert_true(deaths > 0);
        assert_true(atomic_load(&sh->fenced) > 0);
    }
    munmap(sh, sizeof *sh);
    return bad;
}

static void test_crash_ownership(void **state)
{
    fx *f = fx_get(state);
    assert_int_equal(cr_run(f, CR_EIDS, false), 0);
}

/* The checks catch a wrong claim: with the per-eUICC rule removed they must report violations. */
static void test_crash_catches_broken_claim(void **state)
{
    fx *f = fx_get(state);
    assert_true(cr_run(f, 6, true) > 0);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        BOTH(test_crash_ownership),
        BOTH(test_crash_catches_broken_claim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
