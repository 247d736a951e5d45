/* `rsp bench console`: the SM-SR web console's answers with a large fleet in a SQLite store
 * (default 100,000 cards, one profile each, and 10,000 operations of which a 10,000-op campaign):
 * fleet search by EID / ICCID / MSISDN prefix on the first page and deep in the fleet (keyset
 * paging: the cost must not grow with the depth), a card, operation pages and a campaign's figures,
 * each as a whole console answer (query parsing, store queries, JSON), without sockets
 * (rsp_smsr_console_serve). Figures: answers/s and p50/p99 latency; floor: SHA-256 over the same
 * number of answer bytes, measured in the same run.
 *   rsp bench console [--cards N] [--dir D] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "rsp/log.h"
#include "rsp/smsr.h"
#include "rsp/smsr_console.h"
#include "rsp/store.h"

typedef struct bc {
    rsp_smsr_console *c;
    const char *target;
    size_t bytes;
    int status;
} bc;

static int serve_once(void *arg)
{
    bc *x = arg;
    rsp_smsr_console_answer a;
    rsp_smsr_console_serve(x->c, "op1", "GET", x->target, NULL, NULL, 0, 1800000000, &a);
    x->status = a.status;
    x->bytes = a.body.len;
    rsp_buf_free(&a.body);
    return a.status == 200 ? 0 : 1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void measure(rsp_bench *b, bc *x, const char *name, const char *target, double sha_mbs, int *rc)
{
    x->target = target;
    rsp_bench_progress(b, name);
    enum { S = 300 };
    double lat[S];
    for (int i = 0; i < S; i++) {
        double t0 = rsp_bench_now();
        if (serve_once(x) != 0) {
            fprintf(stderr, "rsp: bench console: %s answered %d\n", target, x->status);
            *rc = 1;
            return;
        }
        lat[i] = rsp_bench_now() - t0;
    }
    qsort(lat, S, sizeof(lat[0]), cmp_d);
    double r = rsp_bench_rate(b, serve_once, x);
    char n[128];
    /* the floor: hashing the answer's bytes, the least any server does to send them */
    rsp_bench_report(b, name, r, "answer/s", "SHA-256 of the answer bytes", sha_mbs * 1e6 / (double)x->bytes);
    snprintf(n, sizeof(n), "  %s p50 / p99 (ms), %zu bytes", name, x->bytes);
    if (!b->json)
        printf("  %-44s %8.3f / %.3f\n", n + 2, lat[S / 2] * 1e3, lat[S * 99 / 100] * 1e3);
    snprintf(n, sizeof(n), "%s p99", name);
    rsp_bench_report(b, n, lat[S * 99 / 100] * 1e3, "ms", "", 0);
}

static rsp_err fill(rsp_store *s, long cards, long ops)
{
    rsp_err e = rsp_store_batch_begin(s);
    for (long i = 0; e == RSP_OK && i < cards; i++) {
        rsp_store_eis eis;
        memset(&eis, 0, sizeof(eis));
        snprintf(eis.eid, sizeof(eis.eid), "8904903200000000000%013lu", (unsigned long)i % 10000000000000ul);
        snprintf(eis.eum_id, sizeof(eis.eum_id), "EUM1");
        snprintf(eis.smsr_id, sizeof(eis.smsr_id), "SMSR1");
        e = rsp_store_eis_put(s, &eis);
        rsp_store_profile p;
        memset(&p, 0, sizeof(p));
        snprintf(p.iccid, sizeof(p.iccid), "8900100%013lu", (unsigned long)i % 10000000000000ul);
        memcpy(p.eid, eis.eid, sizeof(p.eid));
        snprintf(p.isdp_aid, sizeof(p.isdp_aid), "A0000005591010FFFFFFFF8900001000");
        snprintf(p.mno_id, sizeof(p.mno_id), "op1");
        snprintf(p.profile_type, sizeof(p.profile_type), "m2m");
        snprintf(p.msisdn, sizeof(p.msisdn), "4477%08lu", (unsigned long)i % 100000000ul);
        p.state = RSP_STORE_PROFILE_ENABLED;
        p.fallback = true;
        e = e ? e : rsp_store_profile_put(s, &p);
        if (i < ops) {
            rsp_store_op op;
            memset(&op, 0, sizeof(op));
            memcpy(op.eid, eis.eid, sizeof(op.eid));
            snprintf(op.function, sizeof(op.function), "ES4.EnableProfile");
            snprintf(op.requester, sizeof(op.requester), "op1");
            snprintf(op.fcid, sizeof(op.fcid), "bench-%s-1", eis.eid);
            op.created = 1800000000 - ops + i;
            op.deadline = 1800003600;
            op.next_attempt = op.created;
            int64_t id;
            bool rep;
            e = e ? e : rsp_store_op_submit(s, &op, &id, &rep);
        }
        if (e == RSP_OK && i % 20000 == 19999) /* bounded transactions */
            e = rsp_store_batch_commit(s) ? RSP_ERR_DB : rsp_store_batch_begin(s);
    }
    rsp_err c = rsp_store_batch_commit(s);
    return e ? e : c;
}

int rsp_bench_console(rsp_bench *b, int argc, char **argv)
{
    long cards = 100000;
    const char *base = "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cards") && i + 1 < argc)
            cards = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            base = argv[++i];
        else
            return rsp_cli_usage_error("usage: rsp bench console [--cards N] [--dir D]");
    }
    if (cards < 100 || cards > 10000000)
        return rsp_cli_usage_error("bench console: --cards 100..10000000");
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    rsp_log_set_level(RSP_SS_SMSR, RSP_LOG_ERROR);
    char dir[512], uri[600];
    snprintf(dir, sizeof(dir), "%s/rsp-bench-console.XXXXXX", base);
    if (!mkdtemp(dir))
        return rsp_cli_usage_error("bench console: cannot create a directory under %s", base);
    snprintf(uri, sizeof(uri), "sqlite:%s/c.db", dir);
    rsp_store *st = NULL;
    rsp_smsr *e = NULL;
    bc x = {0};
    int rc = 0;
    long ops = cards / 10;
    rsp_err err = rsp_store_open(uri, NULL, &st);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    err = err ? err : rsp_smsr_new(st, &cfg, &e);
    rsp_bench_progress(b, "filling the store");
    double t0 = rsp_bench_now();
    err = err ? err : fill(st, cards, ops);
    double fill_s = rsp_bench_now() - t0;
    rsp_smsr_console_opts o = {NULL, NULL, NULL, false, NULL, NULL, NULL, false, "", ""};
    err = err ? err : rsp_smsr_console_new(NULL, e, st, &o, &x.c, NULL);
    if (err) {
        fprintf(stderr, "rsp: bench console: setup: %s\n", rsp_err_name(err));
        rc = 1;
    } else {
        char n[64];
        snprintf(n, sizeof(n), "store filled: %ld cards, %ld ops", cards, ops);
        rsp_bench_report(b, n, fill_s, "s", "", 0);
        double sha = rsp_bench_floor_sha256_mbs(b, 4096);
        rsp_bench_report(b, "floor: SHA-256 (4 KB blocks)", sha, "MB/s", "", 0);
        char t[256], mid[40], midi[24], mids[24];
        snprintf(mid, sizeof(mid), "8904903200000000000%013lu", (unsigned long)cards / 2);
        snprintf(midi, sizeof(midi), "8900100%013lu", (unsigned long)cards / 2 % 10000000000000ul);
        snprintf(mids, sizeof(mids), "4477%08lu", (unsigned long)cards / 2 % 100000000ul);
        measure(b, &x, "search EID prefix, first page (25)", "/api/search?by=eid&q=8904", sha, &rc);
        snprintf(t, sizeof(t), "/api/search?by=eid&q=8904&after=%s", mid);
        measure(b, &x, "search EID prefix, page at the middle", t, sha, &rc);
        measure(b, &x, "search ICCID prefix, first page", "/api/search?by=iccid&q=89001", sha, &rc);
        snprintf(t, sizeof(t), "/api/search?by=msisdn&q=4477&after=%s&after_iccid=%s", mids, midi);
        measure(b, &x, "search MSISDN prefix, page at the middle", t, sha, &rc);
        snprintf(t, sizeof(t), "/api/search?by=eid&q=%s", mid);
        measure(b, &x, "search one whole EID", t, sha, &rc);
        snprintf(t, sizeof(t), "/api/card?eid=%s", mid);
        measure(b, &x, "card (profiles, audit, its operations)", t, sha, &rc);
        measure(b, &x, "operations, newest page", "/api/ops", sha, &rc);
        snprintf(t, sizeof(t), "/api/ops?eid=8904903200000000000%013lu", (unsigned long)ops / 2);
        measure(b, &x, "operations of one card", t, sha, &rc);
        snprintf(t, sizeof(t), "/api/campaign?requester=op1&fcid=bench-%s-1", mid);
        snprintf(n, sizeof(n), "campaign figures (%ld ops)", ops);
        measure(b, &x, n, t, sha, &rc);
    }
    rsp_smsr_console_free(x.c);
    rsp_smsr_free(e);
    rsp_store_close(st);
    static const char *const sfx[] = {"c.db", "c.db-wal", "c.db-shm", "c.db-wlock"};
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        snprintf(uri, sizeof(uri), "%s/%s", dir, sfx[i]);
        unlink(uri);
    }
    rmdir(dir);
    return rc;
}
