/* `rsp bench store`: the SM-SR's operation cycle on the store, as worker processes run it.
 *
 * One cycle: claim -> (SENT) one SCP80 counter reserved under the claim's fence -> AWAITING ->
 * DONE, i.e. four commits. Figures, per backend and for 1, 2 and 4 worker processes (fork, one
 * connection each): cycles per second; then, with 8 workers, the latency of a single write call
 * (p50 / p99 / max), which is what a worker waits for its turn plus its own commit.
 * The floor, measured in the same run on the same file system: a 4 KB write + fdatasync, the cost
 * of one durable commit. "fsync / 4" is the cycle rate if each of the four commits cost exactly one
 * fsync with no batching; PostgreSQL can beat it (group commit), SQLite cannot (one writer).
 *
 * --ops N: the cost of one claim with N operations queued, three quarters of the eUICCs blocked
 * behind an operation that waits for its PoR, queued grouped by eUICC so that the oldest operations
 * are all blocked (the worst order for a claim). On PostgreSQL measured on a table never analysed
 * (autovacuum off) and again after ANALYZE; on SQLite with and without ANALYZE. These claims
 * commit without fsync, so the figure is the query's cost (a durable claim adds one fsync).
 *
 * SQLite runs in a temporary directory (--dir D to choose where: the disk matters). PostgreSQL runs
 * only with a conninfo: --pg CONNINFO or RSP_PG_DSN (scripts/with-pg provides one), in a
 * throwaway schema. */
#define _GNU_SOURCE /* MAP_ANONYMOUS */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


#include "bench.h"
#include "cli.h"
#include "rsp/log.h"
#include "store/pq_load.h"
#include "store/store_int.h"

#define BS_EIDS 200
#define BS_MAX_WORKERS 8
#define BS_MAX_LAT 60000 /* write latencies kept per worker */
#define BS_LEASE 60

typedef struct bs_db {
    bool pg;
    const char *dsn;
    char dir[512];
    char uri[1200];
    char schema[64];
} bs_db;

typedef struct bs_shm {
    atomic_int go, stop;
    atomic_long cycles[BS_MAX_WORKERS];
    atomic_int nlat[BS_MAX_WORKERS];
    atomic_int err;
    float lat[BS_MAX_WORKERS][BS_MAX_LAT]; /* seconds */
} bs_shm;

static int pg_admin(const char *dsn, const char *sql)
{
    rsp_pq pq;
    rsp_diag d = {0};
    if (rsp_pq_load(&pq, &d) != RSP_OK) {
        fprintf(stderr, "rsp: bench store: %s\n", d.msg);
        return 0;
    }
    PGconn *c = pq.PQconnectdb(dsn);
    int ok = c && pq.PQstatus(c) == CONNECTION_OK;
    if (ok) {
        pq.PQclear(pq.PQexec(c, "SET client_min_messages = warning"));
        PGresult *r = pq.PQexec(c, sql);
        ok = pq.PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "rsp: bench store: %s", pq.PQerrorMessage(c));
        pq.PQclear(r);
    }
    pq.PQfinish(c);
    rsp_pq_unload(&pq);
    return ok;
}

/* A fresh, empty database: a new SQLite file or a new PostgreSQL schema. */
static int db_fresh(bs_db *d, const char *base_dir, int n)
{
    if (!d->pg) {
        snprintf(d->uri, sizeof d->uri, "sqlite:%s/bench-%d.db", d->dir, n);
        (void)base_dir;
        return 0;
    }
    snprintf(d->schema, sizeof d->schema, "rsp_bench_%d_%d", (int)getpid(), n);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", d->schema);
    if (!pg_admin(d->dsn, sql))
        return -1;
    if (strncmp(d->dsn, "postgres", 8) == 0)
        snprintf(d->uri, sizeof d->uri, "%s%coptions=-csearch_path%%3D%s", d->dsn,
                 strchr(d->dsn, '?') ? '&' : '?', d->schema);
    else
        snprintf(d->uri, sizeof d->uri, "%s options='-c search_path=%s'", d->dsn, d->schema);
    return 0;
}

static void db_drop(bs_db *d)
{
    if (d->pg) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", d->schema);
        pg_admin(d->dsn, sql);
        return;
    }
    char p[1300];
    const char *suffix[] = {"", "-wal", "-shm", "-wlock"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", d->uri + 7, suffix[i]);
        unlink(p);
    }
}

static void eid_of(int e, char out[33])
{
    snprintf(out, 33, "8904903212345123451234%010u", (unsigned)e);
}

/* The raw inserts below bypass the store's lane upkeep: rebuild the lanes from the operations
 * (the same SQL as the v4 migration). */
static rsp_err lanes(rsp_store *s)
{
    return s->ops->exec(s, "DELETE FROM lane; INSERT INTO lane(eid, head, busy) SELECT eid,"
                           " COALESCE(MIN(CASE WHEN state IN (1,2) THEN id END), MIN(id)),"
                           " MAX(CASE WHEN state IN (1,2) THEN 1 ELSE 0 END) FROM op"
                           " WHERE state < 3 GROUP BY eid");
}

/* Bulk set-up on a connection whose commits skip the fsync (set-up only, never for the measured
 * workers): neids EIS + key sets, then nops queued operations, per_eid consecutive ones per eUICC
 * (per_eid 1: round robin over the eUICCs). Raw SQL for the operations, for speed. */
static int fill(rsp_store *s, bool pg, int neids, int nops, int per_eid, int64_t now)
{
    RSP_STORE_TRY(s->ops->exec(s, pg ? "SET synchronous_commit = off" : "PRAGMA synchronous = OFF"));
    for (int e = 0; e < neids; e++) {
        rsp_store_eis eis;
        rsp_store_keyset k;
        memset(&eis, 0, sizeof eis);
        memset(&k, 0, sizeof k);
        eid_of(e, eis.eid);
        memcpy(k.eid, eis.eid, sizeof k.eid);
        k.kvn = 1;
        rsp_err r = rsp_store_eis_put(s, &eis);
        if (r == RSP_OK && (r = rsp_buf_append(&k.keys, "0123456789abcdef", 16)) == RSP_OK)
            r = rsp_store_keyset_put(s, &k);
        rsp_store_keyset_clear(&k);
        if (r != RSP_OK)
            return r;
    }
    char sql[1024];
    const char *eid = per_eid > 1 ? "x / %d" : "x %% %d";
    char expr[32];
    snprintf(expr, sizeof expr, eid, per_eid > 1 ? per_eid : neids);
    if (pg)
        snprintf(sql, sizeof sql, "INSERT INTO op(eid,function,requester,fcid,created,deadline,"
                 "state,attempts,next_attempt,lease_until,worker,script,updated) SELECT"
                 " '8904903212345123451234' || lpad((%s)::text, 10, '0'), 'ES4.EnableProfile',"
                 " 'bench', 'fc-' || x, %lld, %lld, 0, 0, %lld, 0, '', '\\x00'::bytea, %lld"
                 " FROM generate_series(0, %d) AS g(x)", expr, (long long)now,
                 (long long)now + 86400, (long long)now, (long long)now, nops - 1);
    else
        snprintf(sql, sizeof sql, "WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g"
                 " WHERE x < %d) INSERT INTO op(eid,function,requester,fcid,created,deadline,"
                 "state,attempts,next_attempt,lease_until,worker,script,updated) SELECT"
                 " printf('8904903212345123451234%%010d', %s), 'ES4.EnableProfile', 'bench',"
                 " 'fc-' || x, %lld, %lld, 0, 0, %lld, 0, '', x'00', %lld FROM g", nops - 1, expr,
                 (long long)now, (long long)now + 86400, (long long)now, (long long)now);
    RSP_STORE_TRY(s->ops->exec(s, sql));
    RSP_STORE_TRY(lanes(s));
    return s->ops->exec(s, pg ? "SET synchronous_commit = on" : "PRAGMA synchronous = FULL");
}

static double wall(void)
{
    return rsp_bench_now();
}

/* One worker process: cycles until told to stop; every write call's latency is kept. */
static int worker(const char *uri, bs_shm *sh, int w)
{
    rsp_store *s = NULL;
    char wid[32];
    snprintf(wid, sizeof wid, "bench-%d", w);
    if (rsp_store_open(uri, NULL, &s) != RSP_OK)
        return 2;
    rsp_store_op op;
    memset(&op, 0, sizeof op);
    while (!atomic_load(&sh->go))
        usleep(100);
    int rc = 0;
    while (!atomic_load(&sh->stop)) {
        int64_t now = (int64_t)time(NULL);
        double t[5];
        uint64_t c = 0;
        t[0] = wall();
        rsp_err e = rsp_store_op_claim(s, wid, now, BS_LEASE, &op);
        if (e == RSP_ERR_END) {
            usleep(200);
            continue;
        }
        rsp_store_fence f = {op.id, op.generation};
        rsp_store_op_change aw = {.now = now, .lease_until = now + BS_LEASE}, dn = {.now = now};
        t[1] = wall();
        e = e ? e : rsp_store_counter_reserve(s, &f, op.eid, 1, now, &c);
        t[2] = wall();
        e = e ? e : rsp_store_op_transition(s, op.id, &f, RSP_STORE_OP_SENT, RSP_STORE_OP_AWAITING,
                                            &aw);
        t[3] = wall();
        e = e ? e : rsp_store_op_transition(s, op.id, &f, RSP_STORE_OP_AWAITING, RSP_STORE_OP_DONE,
                                            &dn);
        t[4] = wall();
        if (e != RSP_OK) {
            atomic_store(&sh->err, e);
            rc = 3;
            break;
        }
        atomic_fetch_add(&sh->cycles[w], 1);
        for (int i = 0; i < 4; i++) {
            int n = atomic_load(&sh->nlat[w]);
            if (n < BS_MAX_LAT) {
                sh->lat[w][n] = (float)(t[i + 1] - t[i]);
                atomic_store(&sh->nlat[w], n + 1);
            }
        }
    }
    rsp_store_op_clear(&op);
    rsp_store_close(s);
    return rc;
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

typedef struct bs_result {
    double cycles_per_s;
    double p50, p99, max; /* seconds */
} bs_result;

/* Runs nw workers for b->seconds on a fresh database; 0 on success. */
static int run_workers(rsp_bench *b, bs_db *d, int nw, int n, bs_result *r)
{
    rsp_store *s = NULL;
    rsp_diag diag;
    rsp_diag_clear(&diag);
    int nops = (int)(6000 * b->seconds) + 2000;
    if (db_fresh(d, d->dir, n) != 0 || rsp_store_open(d->uri, &diag, &s) != RSP_OK)
        return -1;
    int64_t now = (int64_t)time(NULL);
    rsp_err e = fill(s, d->pg, BS_EIDS, nops, 1, now - 1);
    rsp_store_close(s); /* no connection crosses the fork */
    if (e != RSP_OK) {
        db_drop(d);
        return -1;
    }
    bs_shm *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return -1;
    memset(sh, 0, sizeof *sh);
    pid_t pid[BS_MAX_WORKERS];
    fflush(NULL);
    for (int w = 0; w < nw; w++)
        if ((pid[w] = fork()) == 0)
            _exit(worker(d->uri, sh, w));
    usleep(200000); /* let every worker connect */
    double t0 = wall();
    atomic_store(&sh->go, 1);
    usleep((useconds_t)(b->seconds * 1e6));
    atomic_store(&sh->stop, 1);
    int bad = 0;
    for (int w = 0; w < nw; w++) {
        int st = 0;
        waitpid(pid[w], &st, 0);
        bad |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    double dt = wall() - t0;
    long cyc = 0;
    size_t nl = 0;
    for (int w = 0; w < nw; w++)
        cyc += atomic_load(&sh->cycles[w]);
    float *all = malloc(sizeof(float) * (size_t)BS_MAX_LAT * (size_t)nw);
    for (int w = 0; all && w < nw; w++) {
        memcpy(all + nl, sh->lat[w], sizeof(float) * (size_t)atomic_load(&sh->nlat[w]));
        nl += (size_t)atomic_load(&sh->nlat[w]);
    }
    if (all && nl) {
        qsort(all, nl, sizeof *all, cmp_f);
        r->p50 = all[nl / 2];
        r->p99 = all[(nl * 99) / 100];
        r->max = all[nl - 1];
    }
    r->cycles_per_s = (double)cyc / dt;
    if (bad)
        fprintf(stderr, "rsp: bench store: a worker failed (%s)\n",
                rsp_err_name((rsp_err)atomic_load(&sh->err)));
    free(all);
    munmap(sh, sizeof *sh);
    db_drop(d);
    return bad || cyc == 0 ? -1 : 0;
}

/* The floor: durable 4 KB appends (write + fdatasync) in the directory of the SQLite file. */
typedef struct fsync_arg {
    int fd;
    char blk[4096];
} fsync_arg;

static int fsync_step(void *arg)
{
    fsync_arg *a = arg;
    return (pwrite(a->fd, a->blk, sizeof a->blk, 0) != (ssize_t)sizeof a->blk ||
            fdatasync(a->fd) != 0);
}

static double fsync_floor(rsp_bench *b, const char *dir)
{
    fsync_arg a;
    char p[600];
    memset(&a, 0x5a, sizeof a);
    snprintf(p, sizeof p, "%s/fsync-floor", dir);
    if ((a.fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
        return -1;
    double r = rsp_bench_rate(b, fsync_step, &a);
    close(a.fd);
    unlink(p);
    return r;
}

/* Times k claims (each takes the head of a free eUICC and keeps it, so later claims have more to
 * skip); mean and p99 in ms. */
static int time_claims(rsp_store *s, int k, double *mean, double *p99)
{
    float *t = malloc(sizeof(float) * (size_t)k);
    rsp_store_op op;
    double sum = 0;
    memset(&op, 0, sizeof op);
    if (!t)
        return -1;
    /* One untimed claim first: the first one after the bulk set-up pays for cold caches. */
    if (rsp_store_op_claim(s, "bench", (int64_t)time(NULL), 100000, &op) != RSP_OK) {
        free(t);
        return -1;
    }
    for (int i = 0; i < k; i++) {
        double t0 = wall();
        rsp_err e = rsp_store_op_claim(s, "bench", (int64_t)time(NULL), 100000, &op);
        t[i] = (float)(wall() - t0);
        sum += t[i];
        if (e != RSP_OK) {
            fprintf(stderr, "rsp: bench store: claim: %s\n", rsp_err_name(e));
            free(t);
            return -1;
        }
    }
    rsp_store_op_clear(&op);
    qsort(t, (size_t)k, sizeof *t, cmp_f);
    *mean = sum / k * 1e3;
    *p99 = t[(k * 99) / 100] * 1e3;
    free(t);
    return 0;
}

/* The cost of a claim with nops queued (see the top of the file). */
static int claim_cost(rsp_bench *b, bs_db *d, int nops)
{
    const int per = 50, neids = nops / per > 0 ? nops / per : 1;
    /* Claims to time: at most the free eUICCs, less the two untimed ones. */
    const int k = neids - neids * 3 / 4 - 2 < 50 ? neids - neids * 3 / 4 - 2 : 50;
    if (k < 2)
        return rsp_cli_usage_error("bench store: --ops needs at least 1000") != 0;
    const char *be = d->pg ? "postgresql" : "sqlite";
    rsp_store *s = NULL;
    char sql[256], name[128], cut[33];
    double mean = 0, p99 = 0;
    int rc = 0;
    if (db_fresh(d, d->dir, 99) != 0 || rsp_store_open(d->uri, NULL, &s) != RSP_OK)
        return 1;
    snprintf(name, sizeof name, "store %s: filling %d operations", be, nops);
    rsp_bench_progress(b, name);
    int64_t now = (int64_t)time(NULL) - 1;
    /* Never analysed: no autovacuum on the table during the run. */
    if (d->pg && s->ops->exec(s, "ALTER TABLE op SET (autovacuum_enabled = false)") != RSP_OK)
        rc = 1;
    if (!rc && fill(s, d->pg, neids, neids * per, per, now) != RSP_OK)
        rc = 1;
    /* Three quarters of the eUICCs wait for a PoR: their head operation is AWAITING. */
    eid_of(neids * 3 / 4, cut);
    snprintf(sql, sizeof sql, "UPDATE op SET state = 2, gen = 1, lease_until = %lld, worker = 'w'"
             " WHERE eid < '%s' AND id IN (SELECT MIN(id) FROM op GROUP BY eid)",
             (long long)now + 100000, cut);
    if (!rc && (s->ops->exec(s, sql) != RSP_OK || lanes(s) != RSP_OK))
        rc = 1;
    /* The query's cost, not the disk's: this connection's commits skip the fsync (a durable claim
     * adds one, see the floor). */
    if (!rc && s->ops->exec(s, d->pg ? "SET synchronous_commit = off" : "PRAGMA synchronous = OFF")
                   != RSP_OK)
        rc = 1;
    snprintf(name, sizeof name, "store %s: claim, %d queued, never analysed", be, neids * per);
    if (!rc && time_claims(s, k / 2, &mean, &p99) == 0) {
        rsp_bench_report(b, name, mean, "ms", "", 0);
        snprintf(name, sizeof name, "store %s: claim p99, never analysed", be);
        rsp_bench_report(b, name, p99, "ms", "", 0);
    } else {
        rc = 1;
    }
    if (!rc && s->ops->exec(s, d->pg ? "ANALYZE op" : "ANALYZE") != RSP_OK)
        rc = 1;
    snprintf(name, sizeof name, "store %s: claim, %d queued, after ANALYZE", be, neids * per);
    if (!rc && time_claims(s, k - k / 2, &mean, &p99) == 0) {
        rsp_bench_report(b, name, mean, "ms", "", 0);
        snprintf(name, sizeof name, "store %s: claim p99, after ANALYZE", be);
        rsp_bench_report(b, name, p99, "ms", "", 0);
    } else {
        rc = 1;
    }
    rsp_store_close(s);
    db_drop(d);
    return rc;
}

static void report_backend(rsp_bench *b, bs_db *d, double fs, int *rc)
{
    static const int counts[] = {1, 2, 4};
    const char *be = d->pg ? "postgresql" : "sqlite";
    char name[96], floor_name[64];
    bs_result r;
    for (int i = 0; i < 3; i++) {
        memset(&r, 0, sizeof r);
        snprintf(name, sizeof name, "store %s: %d worker%s, cycles/s", be, counts[i],
                 counts[i] > 1 ? "s" : "");
        rsp_bench_progress(b, name);
        if (run_workers(b, d, counts[i], i, &r) != 0) {
            *rc = 1;
            continue;
        }
        rsp_bench_report(b, name, r.cycles_per_s, "cycle/s", "fsync / 4", fs / 4);
    }
    memset(&r, 0, sizeof r);
    snprintf(name, sizeof name, "store %s: 8 workers, cycles/s", be);
    rsp_bench_progress(b, name);
    if (run_workers(b, d, 8, 8, &r) != 0) {
        *rc = 1;
        return;
    }
    rsp_bench_report(b, name, r.cycles_per_s, "cycle/s", "fsync / 4", fs / 4);
    snprintf(floor_name, sizeof floor_name, "one fsync");
    snprintf(name, sizeof name, "store %s: 8 workers, write p50", be);
    rsp_bench_report(b, name, r.p50 * 1e3, "ms", floor_name, 1e3 / fs);
    snprintf(name, sizeof name, "store %s: 8 workers, write p99", be);
    rsp_bench_report(b, name, r.p99 * 1e3, "ms", floor_name, 1e3 / fs);
    snprintf(name, sizeof name, "store %s: 8 workers, write max", be);
    rsp_bench_report(b, name, r.max * 1e3, "ms", floor_name, 1e3 / fs);
}

int rsp_bench_store(rsp_bench *b, int argc, char **argv)
{
    const char *dsn = getenv("RSP_PG_DSN"), *dir = NULL;
    int ops = 0, rc = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pg") && i + 1 < argc)
            dsn = argv[++i];
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
            ops = atoi(argv[++i]);
        else
            return rsp_cli_usage_error("usage: rsp bench store [--pg CONNINFO] [--dir D] [--ops N]");
    }
    if (argc > 1 && ops < 0)
        return rsp_cli_usage_error("bench store: --ops needs a positive number");
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    bs_db d;
    memset(&d, 0, sizeof d);
    snprintf(d.dir, sizeof d.dir, "%s/rsp-bench-store.XXXXXX", dir ? dir : "/tmp");
    if (!mkdtemp(d.dir)) {
        fprintf(stderr, "rsp: bench store: cannot create a directory under %s\n", dir ? dir : "/tmp");
        return 1;
    }
    rsp_bench_progress(b, "floor: 4 KB write + fdatasync");
    double fs = fsync_floor(b, d.dir);
    rsp_bench_report(b, "floor: 4 KB write + fdatasync", fs, "fsync/s", "", 0);
    if (ops > 0) {
        rc |= claim_cost(b, &d, ops);
    } else {
        report_backend(b, &d, fs, &rc);
    }
    if (dsn && *dsn) {
        d.pg = true;
        d.dsn = dsn;
        if (ops > 0)
            rc |= claim_cost(b, &d, ops);
        else
            report_backend(b, &d, fs, &rc);
    } else if (!b->json) {
        printf("  postgresql: not measured (give --pg CONNINFO or set RSP_PG_DSN, e.g. under"
               " scripts/with-pg)\n");
    }
    rmdir(d.dir);
    return rc;
}
