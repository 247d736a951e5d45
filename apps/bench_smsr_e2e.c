/* rsp bench smsr-e2e: ES4 operations end to end over SMS through the real processes on this
 * machine: an Operator's ES4 calls (JSON, Prefer: wait, one blocking client per thread, mTLS
 * keep-alive) to `rsp smsr run`, which sends each as an SCP80 packet over SMPP through `rsp smsc` to
 * `rsp euicc run`. --op enable (default): every card first gets a second profile (one
 * ES2.DownloadProfile per card through `rsp smdp run`, not measured), then ES4.EnableProfile of its
 * disabled profile, the two in turn (command, PoR, the card's notification, the 3A08 confirmation).
 * --op audit: ES4.AuditEIS (command + PoR), no download. N cards, K concurrent clients, each on its
 * own cards (operations on one card are FIFO). Reports ops/s, p50/p99 latency and the CPU per
 * operation of smsc, smsr and euicc (/proc/<pid>/stat; a PostgreSQL server's CPU is not counted),
 * beside the SCP80 crypto floor of one operation measured in the same run (per packet one
 * AES-128-CBC + one CMAC). --store sqlite (default) or postgres (an empty database: --pg CONNINFO or
 * RSP_PG_DSN, e.g. under scripts/with-pg). Every child is stopped on exit and on error; the scratch
 * folder is removed when the run succeeded (kept with the logs otherwise). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "bench_procs.h"
#include "cli.h"
#include "rsp/es.h"
#include "rsp/svc_client.h"

/* P_SMDP runs only with --op enable (the downloads of the second profiles); it is not measured */
enum { P_SMSC, P_SMSR, P_EUICC, P_MEAS, P_SMDP = P_MEAS, P_N, MAX_CARDS = 256, MAX_THREADS = 64 };
static const char *const pnames[P_N] = {"smsc", "smsr", "euicc", "smdp"};

typedef struct hb {
    char dir[64], url[64], dp_url[64], db[512];
    rsp_bench_procs pr; /* the children, by P_* slot */
    char eid[MAX_CARDS][33];
    char icc[MAX_CARDS][2][24]; /* --op enable: the card's first profile, the downloaded one */
    int on[MAX_CARDS];          /* which of them is enabled */
    size_t n_eid;
    double seconds;
    bool enable, download;      /* --op enable; the download phase is running */
    uint16_t mport;             /* the SM-SR's plain-HTTP /metrics (its store commits) */
} hb;

typedef struct worker {
    hb *h;
    size_t idx, stride; /* cards idx, idx + stride, ... */
    size_t ok, cap;
    double *lat;
    rsp_err err;
    char why[160];
} worker;

#define RUN(h, ...) RSP_BENCH_PROCS_RUN(&(h)->pr, __VA_ARGS__)
#define START(h, slot, log, ...) RSP_BENCH_PROCS_START(&(h)->pr, slot, log, __VA_ARGS__)

static void *client(void *arg)
{
    worker *w = arg;
    hb *h = w->h;
    char cert[128], key[128], ca[128];
    snprintf(cert, sizeof cert, "%s/mno1/tls.crt.pem", h->dir);
    snprintf(key, sizeof key, "%s/mno1/key.pem", h->dir);
    snprintf(ca, sizeof ca, "%s/mno1/ca.crt.pem", h->dir);
    rsp_svc_client_opts co = {h->download ? h->dp_url : h->url, cert, key, ca, RSP_SVC_BINDING_JSON,
                              RSP_ES_DIALECT_GSMA, h->download ? 300000 : 120000, NULL};
    rsp_svc_client *c = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    const char *fn = h->download ? "DownloadProfile" : h->enable ? "EnableProfile" : "AuditEIS";
    const rsp_es_func *f = rsp_es_func_find(h->download ? RSP_ES2 : RSP_ES4, fn, strlen(fn));
    w->err = f ? rsp_svc_client_new(&co, &c, &d) : RSP_ERR_INTERNAL;
    double end = rsp_bench_now() + h->seconds;
    size_t card = w->idx;
    for (size_t n = 0; w->err == RSP_OK && (h->download ? card < h->n_eid : n < 2 || rsp_bench_now() < end); n++) {
        rsp_es_msg m, res;
        memset(&res, 0, sizeof res);
        char fcid[48];
        snprintf(fcid, sizeof fcid, "e2e-%zu-%zu", w->idx, n);
        if ((w->err = rsp_es_msg_init(&m, f, false)) != RSP_OK)
            break;
        bool nomem;
        int target = 1 - h->on[card];
        if (h->download) {
            rsp_es_download_req *q = m.body;
            q->hdr.function_call_id = rsp_bench_procs_strdup(fcid);
            q->eid = rsp_bench_procs_strdup(h->eid[card]);
            q->smsr_id = rsp_bench_procs_strdup("SMSR-T");
            q->profile_type = rsp_bench_procs_strdup("ts48");
            nomem = !q->hdr.function_call_id || !q->eid || !q->smsr_id || !q->profile_type;
        } else if (h->enable) {
            rsp_es_profile_req *q = m.body;
            q->hdr.function_call_id = rsp_bench_procs_strdup(fcid);
            q->eid = rsp_bench_procs_strdup(h->eid[card]);
            q->iccid = rsp_bench_procs_strdup(h->icc[card][target]);
            nomem = !q->hdr.function_call_id || !q->eid || !q->iccid;
        } else {
            rsp_es_eid_req *q = m.body;
            q->hdr.function_call_id = rsp_bench_procs_strdup(fcid);
            q->eid = rsp_bench_procs_strdup(h->eid[card]);
            nomem = !q->hdr.function_call_id || !q->eid;
        }
        int status = 0;
        double t0 = rsp_bench_now();
        if (nomem)
            w->err = RSP_ERR_NOMEM;
        else
            w->err = rsp_svc_client_call(c, &m, true, &res, &status, &d);
        double dt = rsp_bench_now() - t0;
        const rsp_es_fes *st = w->err == RSP_OK ? rsp_svc_client_status(&res) : NULL;
        if (w->err == RSP_OK && (!st || st->status != RSP_ES_EXECUTED_SUCCESS)) {
            w->err = RSP_ERR_STATE;
            snprintf(w->why, sizeof w->why, "%s: %s", h->eid[card],
                     st && st->code && st->code->message ? st->code->message : "not done");
        } else if (w->err != RSP_OK) {
            snprintf(w->why, sizeof w->why, "%.150s", d.msg);
        } else if (w->ok == w->cap) {
            size_t nc = w->cap ? w->cap * 2 : 256;
            double *nv = realloc(w->lat, nc * sizeof *nv);
            if (nv) {
                w->lat = nv;
                w->cap = nc;
            } else {
                w->err = RSP_ERR_NOMEM;
            }
        }
        if (w->err == RSP_OK && h->download) {
            const rsp_es_data_resp *dr = res.body;
            snprintf(h->icc[card][1], sizeof h->icc[card][1], "%s", dr && dr->iccid ? dr->iccid : "");
        } else if (w->err == RSP_OK && h->enable) {
            h->on[card] = target;
        }
        if (w->err == RSP_OK)
            w->lat[w->ok++] = dt;
        rsp_es_msg_free(&m);
        rsp_es_msg_free(&res);
        card += w->stride;
        if (card >= h->n_eid && !h->download)
            card = w->idx;
    }
    rsp_svc_client_free(c);
    return NULL;
}

/* The PKI, the fleet registered in the SM-SR's store (keys sealed under a master key), the
 * SM-SR's and the Operator's certificates. */
static int prepare(hb *h, const char *pkg, long count)
{
    char p[9][160], n[16];
    const char *sub[] = {"pki", "eum", "fleet", "keys.jsonl", "mk", "sr", "mno1", "dp1", "dp"};
    for (int i = 0; i < 9; i++)
        snprintf(p[i], sizeof p[i], "%s/%s", h->dir, sub[i]);
    snprintf(n, sizeof n, "%ld", count);
    FILE *f = fopen(p[4], "w");
    if (!f)
        return -1;
    fprintf(f, "%064d\n", 7);
    fclose(f);
    if (RUN(h, "ci", "init", "--dir", p[0]) || RUN(h, "ci", "issue", "--dir", p[0], "--role", "eum", "--id", "EUM-T", "--out", p[1]) ||
        RUN(h, "eum", "make", "--ci", p[0], "--eum", p[1], "--profile", (char *)pkg, "--smsr-id", "SMSR-T", "--count", n,
            "--out", p[2], "--keys-out", p[3], "--transport-key", "000102030405060708090a0b0c0d0e0f", "--msisdn-start",
            "447700900500", "--smsr-msisdn", "447700100997") ||
        RUN(h, "ci", "issue", "--dir", p[0], "--role", "smsr", "--id", "SMSR-T", "--out", p[5]) ||
        RUN(h, "ci", "issue", "--dir", p[0], "--role", "operator", "--id", "MNO1", "--out", p[6]))
        return -1;
    if (h->enable && (RUN(h, "ci", "issue", "--dir", p[0], "--role", "smdp", "--id", "DP1", "--out", p[7]) ||
                      RUN(h, "smdp", "import", "package", "--dir", p[8], "--operator", "MNO1", "--type", "ts48", (char *)pkg) ||
                      RUN(h, "smdp", "import", "generate", "--dir", p[8], "--operator", "MNO1", "--type", "ts48", "--count", n)))
        return -1;
    char eisdir[200];
    snprintf(eisdir, sizeof eisdir, "%s/eis", p[2]);
    if (rsp_bench_procs_fleet_eids(eisdir, h->eid, MAX_CARDS, &h->n_eid) != RSP_OK || h->n_eid != (size_t)count)
        return -1;
    char **av = calloc(h->n_eid + 10, sizeof *av);
    char (*files)[240] = calloc(h->n_eid, sizeof *files);
    int rc = -1;
    if (av && files) {
        size_t k = 0;
        const char *head[] = {"rsp", "smsr", "import", "--db", h->db, "--master-key", p[4], "--keys", p[3]};
        for (size_t i = 0; i < 9; i++)
            av[k++] = (char *)head[i];
        for (size_t i = 0; i < h->n_eid; i++) {
            snprintf(files[i], sizeof files[i], "%s/%s.json", eisdir, h->eid[i]);
            av[k++] = files[i];
            /* the card's first profile: the first "iccid" of its EIS (as the e2e test reads it) */
            rsp_buf j = RSP_BUF_INIT;
            const char *q = NULL;
            if (rsp_cli_read_file(files[i], &j) == RSP_OK && rsp_buf_append_byte(&j, 0) == RSP_OK)
                q = strstr((char *)j.data, "\"iccid\"");
            q = q ? strchr(q + 7, '"') : NULL;
            size_t l = q ? strspn(q + 1, "0123456789F") : 0;
            if (l > 0 && l < sizeof h->icc[i][0])
                memcpy(h->icc[i][0], q + 1, l);
            rsp_buf_free(&j);
            if (!l)
                files[i][0] = 0;
        }
        for (size_t i = 0; i < h->n_eid; i++)
            if (!files[i][0])
                k = 0; /* an EIS without an ICCID: fail below */
        rc = k && rsp_bench_procs_run(&h->pr, NULL, av) == RSP_OK ? 0 : -1;
    }
    free(av);
    free(files);
    return rc;
}

static int start(hb *h)
{
    char log[P_N][128], a[10][200];
    for (int i = 0; i < P_N; i++)
        snprintf(log[i], sizeof log[i], "%s/%s.log", h->dir, pnames[i]);
    uint16_t sp = 0;
    if (rsp_bench_procs_free_port(&sp) != RSP_OK)
        return -1;
    snprintf(a[0], sizeof a[0], "127.0.0.1:%u", (unsigned)sp);
    /* a config file only for metrics_listen: the SM-SR's store commits per operation */
    snprintf(a[1], sizeof a[1], "%s/smsr.conf", h->dir);
    FILE *cf = rsp_bench_procs_free_port(&h->mport) == RSP_OK ? fopen(a[1], "w") : NULL;
    if (!cf || fprintf(cf, "[smsr]\nmetrics_listen = 127.0.0.1:%u\n", (unsigned)h->mport) < 0 || fclose(cf) != 0)
        return -1;
    snprintf(a[2], sizeof a[2], "%s/mk", h->dir);
    snprintf(a[3], sizeof a[3], "%s/es.port", h->dir);
    snprintf(a[4], sizeof a[4], "%s/sr/tls.crt.pem", h->dir);
    snprintf(a[5], sizeof a[5], "%s/sr/key.pem", h->dir);
    snprintf(a[6], sizeof a[6], "%s/sr/ca.crt.pem", h->dir);
    snprintf(a[7], sizeof a[7], "%s/admin.port", h->dir);
    snprintf(a[8], sizeof a[8], "%s/fleet", h->dir);
    snprintf(a[9], sizeof a[9], "%s/ctl.sock", h->dir);
    rsp_err e_smsc = START(h, P_SMSC, log[P_SMSC], "smsc", "--listen", a[0]);
    rsp_err e_smsr = START(h, P_SMSR, log[P_SMSR], "smsr", "run", "--config", a[1], "--db", h->db, "--master-key", a[2], "--smsc", a[0],
            "--msisdn", "447700100997", "--worker", "w1", "--tick-ms", "20", "--listen",
            "127.0.0.1:0", "--port-file", a[3], "--tls-cert", a[4], "--tls-key", a[5],
            "--tls-ca", a[6], "--smdp-ids", "DP1", "--admin-listen", "127.0.0.1:0",
            "--admin-port-file", a[7], "--admin-idle-ms", "2000");
    if (e_smsc != RSP_OK || e_smsr != RSP_OK || rsp_bench_procs_wait_file(a[3], NULL) != RSP_OK ||
        rsp_bench_procs_wait_file(log[P_SMSC], "bound system_id=smsr") != RSP_OK)
        return -1;
    if (rsp_bench_procs_port_url(a[3], h->url, sizeof h->url) != RSP_OK)
        return -1;
    rsp_err e_euicc = START(h, P_EUICC, log[P_EUICC], "euicc", "run", "--fleet", a[8], "--smsc", a[0], "--control", a[9],
            "--tick-ms", "20");
    if (e_euicc != RSP_OK || rsp_bench_procs_wait_file(a[9], NULL) != RSP_OK ||
        rsp_bench_procs_wait_file(a[7], NULL) != RSP_OK)
        return -1;
    if (h->enable) {
        char dp[160], dpport[160], pki[160], dp1[160], eum[160], eisd[160];
        snprintf(dp, sizeof dp, "%s/dp", h->dir);
        snprintf(dpport, sizeof dpport, "%s/dp.port", h->dir);
        snprintf(pki, sizeof pki, "%s/pki", h->dir);
        snprintf(dp1, sizeof dp1, "%s/dp1", h->dir);
        snprintf(eum, sizeof eum, "%s/eum", h->dir);
        snprintf(eisd, sizeof eisd, "%s/fleet/eis", h->dir);
        rsp_err e_smdp = START(h, P_SMDP, log[P_SMDP], "smdp", "run", "--dir", dp, "--listen", "127.0.0.1:0", "--port-file",
                dpport, "--smsr", h->url, "--ci", pki, "--dp", dp1, "--eum", eum,
                "--eis-dir", eisd, "--workers", "4");
        if (e_smdp != RSP_OK || rsp_bench_procs_wait_file(dpport, NULL) != RSP_OK ||
            rsp_bench_procs_port_url(dpport, h->dp_url, sizeof h->dp_url) != RSP_OK)
            return -1;
    }
    /* the cards' first-attach notifications go first, so they are not in the measured window */
    rsp_bench_procs_nap_ms(1000);
    return 0;
}

/* Occurrences of needle in the file at path (0 when unreadable). */
static size_t count_in_file(const char *path, const char *needle)
{
    rsp_buf b = RSP_BUF_INIT;
    size_t n = 0;
    if (rsp_cli_read_file(path, &b) == RSP_OK && rsp_buf_append_byte(&b, 0) == RSP_OK)
        for (const char *q = strstr((char *)b.data, needle); q; q = strstr(q + 1, needle))
            n++;
    rsp_buf_free(&b);
    return n;
}

/* Waits (bounded: 60 s) until every admin session the cards opened has ended (rsp euicc run's log:
 * as many "session done" as "session opening"). A download's SCP81 session is held open 10 s after
 * its last ISD-P script (es5_https.c dl_idle_ms); an enable sent while it is open joins the session,
 * and the card's notification waits for the session's end (the card opens a new one with ?msg=), so
 * every measured operation took the 2 s --admin-idle-ms: the "2 s p50" of issue 9. */
static int wait_sessions_ended(const hb *h)
{
    char log[128];
    snprintf(log, sizeof log, "%s/%s.log", h->dir, pnames[P_EUICC]);
    for (int i = 0; i < 600; i++) {
        size_t open = count_in_file(log, "admin session opening"), done = count_in_file(log, "admin session done");
        if (done >= open)
            return 0;
        rsp_bench_procs_nap_ms(100);
    }
    return -1;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs nt clients on threads to their end; RSP_EXIT_OK when none failed. */
static int clients(hb *h, worker *w, long nt)
{
    pthread_t th[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    int rc = RSP_EXIT_OK;
    for (long i = 0; i < nt; i++) {
        w[i].h = h;
        w[i].idx = (size_t)i;
        w[i].stride = (size_t)nt;
        w[i].err = RSP_OK;
        if (pthread_create(&th[i], NULL, client, &w[i]) == 0)
            started[i] = true;
        else
            w[i].err = RSP_ERR_INTERNAL;
    }
    for (long i = 0; i < nt; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        if (w[i].err != RSP_OK) {
            fprintf(stderr, "bench smsr-e2e: %s: %s\n", rsp_err_name(w[i].err), w[i].why);
            rc = RSP_EXIT_FAIL;
        }
    }
    return rc;
}

#define USAGE "bench smsr-e2e: [--count N (cards)] [--threads K] [--op audit|enable] [--store sqlite|postgres] [--pg CONNINFO]"

int rsp_bench_smsr_e2e(rsp_bench *b, int argc, char **argv)
{
    long count = 8, threads = 4;
    const char *store = "sqlite", *op = "enable", *pg = getenv("RSP_PG_DSN");
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--count") == 0)
            count = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--store") == 0)
            store = argv[i + 1];
        else if (strcmp(argv[i], "--pg") == 0)
            pg = argv[i + 1];
        else if (strcmp(argv[i], "--op") == 0)
            op = argv[i + 1];
        else
            return rsp_cli_usage_error(USAGE);
    }
    if (argc % 2 == 0 || count < 1 || count > MAX_CARDS || threads < 1 || threads > MAX_THREADS)
        return rsp_cli_usage_error(USAGE " (--count 1..%d, --threads 1..%d)", MAX_CARDS, MAX_THREADS);
    bool use_pg = strcmp(store, "postgres") == 0;
    if (strcmp(op, "enable") != 0 && strcmp(op, "audit") != 0)
        return rsp_cli_usage_error(USAGE);
    if (!use_pg && strcmp(store, "sqlite") != 0)
        return rsp_cli_usage_error(USAGE);
    if (use_pg && (!pg || !*pg))
        return rsp_cli_usage_error("bench smsr-e2e: --store postgres needs --pg CONNINFO or RSP_PG_DSN (scripts/with-pg)");
    const char *sh = getenv("RSP_SHARED_DIR");
    char pkg[1024];
    snprintf(pkg, sizeof pkg, "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", sh && *sh ? sh : "../shared");
    struct stat sb;
    if (stat(pkg, &sb) != 0)
        return rsp_cli_usage_error("bench smsr-e2e: cannot read %s (set RSP_SHARED_DIR)", pkg);
    hb *h = calloc(1, sizeof *h);
    if (!h)
        return RSP_EXIT_FAIL;
    h->seconds = b->seconds > 0 ? b->seconds : 1;
    h->enable = strcmp(op, "enable") == 0;
    snprintf(h->dir, sizeof h->dir, "/tmp/rsp_bench_smsre2e_XXXXXX");
    int rc = RSP_EXIT_OK;
    worker w[MAX_THREADS];
    memset(w, 0, sizeof w);
    if (rsp_bench_procs_init(&h->pr) != RSP_OK || !mkdtemp(h->dir)) {
        rc = rsp_cli_usage_error("bench smsr-e2e: no scratch folder or no /proc/self/exe");
        goto out;
    }
    if (use_pg)
        snprintf(h->db, sizeof h->db, "%s", pg);
    else
        snprintf(h->db, sizeof h->db, "sqlite:%s/smsr.db", h->dir);
    rsp_bench_progress(b, "PKI, fleet, SM-SR registration");
    if (prepare(h, pkg, count) != 0) {
        rc = rsp_cli_usage_error("bench smsr-e2e: setup failed (on PostgreSQL the database must be empty; see %s)", h->dir);
        goto out;
    }
    rsp_bench_progress(b, h->enable ? "starting rsp smsc, smsr run, euicc run, smdp run" : "starting rsp smsc, smsr run, euicc run");
    if (start(h) != 0) {
        fprintf(stderr, "bench smsr-e2e: a process did not start (logs in %s)\n", h->dir);
        rc = RSP_EXIT_FAIL;
        goto out;
    }
    long nt = threads < count ? threads : count;
    if (h->enable) {
        rsp_bench_progress(b, "a second profile on every card (ES2.DownloadProfile through rsp smdp run)");
        h->download = true;
        if (clients(h, w, nt) != RSP_EXIT_OK) {
            rc = RSP_EXIT_FAIL;
            goto out;
        }
        h->download = false;
        /* the downloads' SCP81 sessions end before the clock starts, so the enables go by SMS; a
         * shorter --admin-idle-ms (200 ms) cut downloads in two sessions under load, and the second
         * refused the SCP03t segments (9F 03) */
        if (wait_sessions_ended(h) != 0) {
            fprintf(stderr, "bench smsr-e2e: the cards' admin sessions did not end within 60 s\n");
            rc = RSP_EXIT_FAIL;
            goto out;
        }
        for (long i = 0; i < nt; i++)
            w[i].ok = 0;
        for (size_t i = 0; i < h->n_eid; i++)
            if (!h->icc[i][1][0]) {
                fprintf(stderr, "bench smsr-e2e: no ICCID for the download to %s\n", h->eid[i]);
                rc = RSP_EXIT_FAIL;
                goto out;
            }
    }
    double cpu0[P_MEAS], cpu1[P_MEAS], commits0 = -1, commits1 = -1;
    if (rsp_bench_procs_metric(h->mport, "rsp_smsr_store_commits_total", &commits0) != RSP_OK)
        commits0 = -1;
    for (int i = 0; i < P_MEAS; i++)
        cpu0[i] = rsp_bench_procs_cpu(&h->pr, (size_t)i);
    rsp_bench_progress(b, h->enable ? "ES4.EnableProfile, the two profiles in turn (HTTPS -> SM-SR -> SMS -> card)"
                                    : "ES4.AuditEIS (HTTPS -> SM-SR -> SMPP -> SCP80 -> card -> PoR)");
    double t0 = rsp_bench_now();
    rc = clients(h, w, nt);
    size_t ok = 0;
    for (long i = 0; i < nt; i++)
        ok += w[i].ok;
    double wall = rsp_bench_now() - t0;
    for (int i = 0; i < P_MEAS; i++)
        cpu1[i] = rsp_bench_procs_cpu(&h->pr, (size_t)i);
    if (rsp_bench_procs_metric(h->mport, "rsp_smsr_store_commits_total", &commits1) != RSP_OK)
        commits1 = -1;
    if (rc == RSP_EXIT_OK && ok > 0) {
        double *all = malloc(ok * sizeof *all);
        if (!all) {
            rc = RSP_EXIT_FAIL;
            goto out;
        }
        size_t k = 0;
        for (long i = 0; i < nt; i++)
            for (size_t j = 0; j < w[i].ok; j++)
                all[k++] = w[i].lat[j];
        qsort(all, ok, sizeof *all, cmp_d);
        double p50 = all[ok / 2] * 1e3, p99 = all[(ok * 99) / 100] * 1e3;
        free(all);
        rsp_bench_progress(b, "SCP80 OpenSSL floor");
        double cbc = rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 48) * 1e6 / 48;
        double mac = rsp_bench_floor_cmac_ops(b, 56);
        /* packets of one operation: command + PoR; enable adds the card's notification + the confirmation */
        double np = h->enable ? 4 : 2;
        double floor_s = (cbc > 0 && mac > 0) ? np / cbc + np / mac : 0;
        const char *fn = h->enable ? "ES4.EnableProfile" : "ES4.AuditEIS";
        char name[128];
        snprintf(name, sizeof name, "%s end to end over SMS (%s, %ld cards, %ld clients)", fn,
                 use_pg ? "PostgreSQL" : "SQLite", count, nt);
        rsp_bench_report(b, name, (double)ok / wall, "ops/s",
                         h->enable ? "SCP80 4x AES-128-CBC + 4x CMAC" : "SCP80 2x AES-128-CBC + 2x CMAC",
                         floor_s > 0 ? 1 / floor_s : 0);
        snprintf(name, sizeof name, "%s latency p50", fn);
        rsp_bench_report(b, name, p50, "ms", NULL, 0);
        snprintf(name, sizeof name, "%s latency p99", fn);
        rsp_bench_report(b, name, p99, "ms", NULL, 0);
        double sum = 0;
        for (int i = 0; i < P_MEAS; i++) {
            snprintf(name, sizeof name, "CPU per operation: rsp %s", pnames[i]);
            rsp_bench_report(b, name, (cpu1[i] - cpu0[i]) / (double)ok * 1e6, "us", "SCP80 crypto floor", floor_s * 1e6);
            sum += cpu1[i] - cpu0[i];
        }
        rsp_bench_report(b, "CPU per operation: all three processes", sum / (double)ok * 1e6, "us", "SCP80 crypto floor",
                         floor_s * 1e6);
        /* group commit: several operations share one fsync when the SM-SR handles them in one turn */
        if (commits0 >= 0 && commits1 >= commits0)
            rsp_bench_report(b, "SM-SR durable store commits per operation", (commits1 - commits0) / (double)ok,
                             "commits", NULL, 0);
    } else if (rc == RSP_EXIT_OK) {
        fprintf(stderr, "bench smsr-e2e: no operation completed (logs in %s)\n", h->dir);
        rc = RSP_EXIT_FAIL;
    }
out:
    rsp_bench_procs_stop(&h->pr);
    if (rc != RSP_EXIT_OK && h->dir[0] && strstr(h->dir, "XXXXXX") == NULL)
        fprintf(stderr, "bench smsr-e2e: scratch folder and process logs kept in %s\n", h->dir);
    for (int i = 0; i < MAX_THREADS; i++)
        free(w[i].lat);
    if (h->dir[0] && strstr(h->dir, "XXXXXX") == NULL && rc == RSP_EXIT_OK) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench smsr-e2e: could not remove %s\n", h->dir);
    }
    free(h);
    return rc;
}
