/* rsp bench download-https: complete profile downloads through the real processes on this machine:
 * an Operator's ES2.DownloadProfile (JSON, Prefer: wait, one blocking client per thread) to
 * `rsp smdp run`, which runs each download through `rsp smsr run` (ES3 over mTLS; CreateISDP and key
 * establishment by SMS through `rsp smsc`, SCP03t through the SM-SR's SCP81 admin session) into
 * `rsp euicc run`. Reports downloads/s and the CPU time of each process per download (from
 * /proc/<pid>/stat), beside the crypto floor of one download measured in the same run (the same
 * floor as `rsp bench download-prep`). Every process is this binary, started with the options the
 * end-to-end tests use; the scratch folder is removed at the end. */
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

enum { P_SMSC, P_SMSR, P_EUICC, P_SMDP, P_N, MAX_CARDS = 256, MAX_THREADS = 16 };
static const char *const pnames[P_N] = {"smsc", "smsr", "euicc", "smdp"};

typedef struct hb {
    char dir[64], url[64];
    char ctl[200];           /* rsp euicc run's control socket (its NVM commits) */
    uint16_t mport[P_N];     /* plain-HTTP /metrics of rsp smsr run and rsp smdp run (their store commits) */
    rsp_bench_procs pr; /* the children, by P_* slot */
    char eid[MAX_CARDS][33];
    size_t n_eid;
} hb;

typedef struct worker {
    hb *h;
    size_t from, to; /* cards [from, to) */
    size_t ok;
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
    rsp_svc_client_opts co = {h->url, cert, key, ca, RSP_SVC_BINDING_JSON, RSP_ES_DIALECT_GSMA, 300000, NULL};
    rsp_svc_client *c = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    const rsp_es_func *f = rsp_es_func_find(RSP_ES2, "DownloadProfile", strlen("DownloadProfile"));
    w->err = f ? rsp_svc_client_new(&co, &c, &d) : RSP_ERR_INTERNAL;
    for (size_t i = w->from; w->err == RSP_OK && i < w->to; i++) {
        rsp_es_msg m, res;
        memset(&res, 0, sizeof res);
        char fcid[32];
        snprintf(fcid, sizeof fcid, "bench-%zu", i);
        if ((w->err = rsp_es_msg_init(&m, f, false)) != RSP_OK)
            break;
        rsp_es_download_req *q = m.body;
        q->hdr.function_call_id = rsp_bench_procs_strdup(fcid);
        q->eid = rsp_bench_procs_strdup(h->eid[i]);
        q->smsr_id = rsp_bench_procs_strdup("SMSR-T");
        q->profile_type = rsp_bench_procs_strdup("ts48");
        int status = 0;
        if (!q->hdr.function_call_id || !q->eid || !q->smsr_id || !q->profile_type)
            w->err = RSP_ERR_NOMEM;
        else
            w->err = rsp_svc_client_call(c, &m, true, &res, &status, &d);
        const rsp_es_fes *st = w->err == RSP_OK ? rsp_svc_client_status(&res) : NULL;
        if (w->err == RSP_OK && (!st || st->status != RSP_ES_EXECUTED_SUCCESS)) {
            w->err = RSP_ERR_STATE;
            snprintf(w->why, sizeof w->why, "%s: %s", h->eid[i],
                     st && st->code && st->code->message ? st->code->message : "not installed");
        } else if (w->err != RSP_OK) {
            snprintf(w->why, sizeof w->why, "%.150s", d.msg);
        } else {
            w->ok++;
        }
        rsp_es_msg_free(&m);
        rsp_es_msg_free(&res);
    }
    rsp_svc_client_free(c);
    return NULL;
}

/* The PKI, the fleet (one card per download) registered in the SM-SR, the SM-DP's pool. */
static int prepare(hb *h, const char *pkg, long count)
{
    char p[12][160], n[16];
    const char *sub[] = {"pki", "eum", "fleet", "keys.jsonl", "mk", "sr", "dp1", "mno1", "dp", "smsr.db"};
    for (int i = 0; i < 10; i++)
        snprintf(p[i], sizeof p[i], "%s/%s", h->dir, sub[i]);
    snprintf(p[10], sizeof p[10], "sqlite:%.150s", p[9]);
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
        RUN(h, "ci", "issue", "--dir", p[0], "--role", "smdp", "--id", "DP1", "--out", p[6]) ||
        RUN(h, "ci", "issue", "--dir", p[0], "--role", "operator", "--id", "MNO1", "--out", p[7]) ||
        RUN(h, "smdp", "import", "package", "--dir", p[8], "--operator", "MNO1", "--type", "ts48", (char *)pkg) ||
        RUN(h, "smdp", "import", "generate", "--dir", p[8], "--operator", "MNO1", "--type", "ts48", "--count", n))
        return -1;
    char eisdir[200];
    snprintf(eisdir, sizeof eisdir, "%s/eis", p[2]);
    if (rsp_bench_procs_fleet_eids(eisdir, h->eid, MAX_CARDS, &h->n_eid) != RSP_OK || h->n_eid != (size_t)count)
        return -1;
    /* smsr import of every EIS file (the argv holds them all) */
    char **av = calloc(h->n_eid + 10, sizeof *av);
    char (*files)[240] = calloc(h->n_eid, sizeof *files);
    int rc = -1;
    if (av && files) {
        size_t k = 0;
        const char *head[] = {"rsp", "smsr", "import", "--db", p[10], "--master-key", p[4], "--keys", p[3]};
        for (size_t i = 0; i < 9; i++)
            av[k++] = (char *)head[i];
        for (size_t i = 0; i < h->n_eid; i++) {
            snprintf(files[i], sizeof files[i], "%s/%s.json", eisdir, h->eid[i]);
            av[k++] = files[i];
        }
        rc = rsp_bench_procs_run(&h->pr, NULL, av) == RSP_OK ? 0 : -1;
    }
    free(av);
    free(files);
    return rc;
}

static int start(hb *h, long workers)
{
    char log[P_N][128], a[16][200];
    for (int i = 0; i < P_N; i++)
        snprintf(log[i], sizeof log[i], "%s/%s.log", h->dir, pnames[i]);
    uint16_t sp = 0;
    if (rsp_bench_procs_free_port(&sp) != RSP_OK)
        return -1;
    snprintf(a[0], sizeof a[0], "127.0.0.1:%u", (unsigned)sp);
    /* /metrics of the SM-SR (by its config file: metrics_listen) and of the SM-DP: their store commits */
    char conf[128], dp_metrics[32];
    snprintf(conf, sizeof conf, "%s/smsr.conf", h->dir);
    if (rsp_bench_procs_free_port(&h->mport[P_SMSR]) != RSP_OK || rsp_bench_procs_free_port(&h->mport[P_SMDP]) != RSP_OK)
        return -1;
    FILE *cf = fopen(conf, "w");
    if (!cf || fprintf(cf, "[smsr]\nmetrics_listen = 127.0.0.1:%u\n", (unsigned)h->mport[P_SMSR]) < 0 || fclose(cf) != 0)
        return -1;
    snprintf(dp_metrics, sizeof dp_metrics, "127.0.0.1:%u", (unsigned)h->mport[P_SMDP]);
    snprintf(a[1], sizeof a[1], "sqlite:%s/smsr.db", h->dir);
    snprintf(a[2], sizeof a[2], "%s/mk", h->dir);
    snprintf(a[3], sizeof a[3], "%s/es.port", h->dir);
    snprintf(a[4], sizeof a[4], "%s/sr/tls.crt.pem", h->dir);
    snprintf(a[5], sizeof a[5], "%s/sr/key.pem", h->dir);
    snprintf(a[6], sizeof a[6], "%s/sr/ca.crt.pem", h->dir);
    snprintf(a[7], sizeof a[7], "%s/admin.port", h->dir);
    snprintf(a[8], sizeof a[8], "%s/fleet", h->dir);
    snprintf(a[9], sizeof a[9], "%s/ctl.sock", h->dir);
    snprintf(a[10], sizeof a[10], "%s/dp", h->dir);
    snprintf(a[11], sizeof a[11], "%s/dp.port", h->dir);
    snprintf(a[12], sizeof a[12], "%ld", workers);
    snprintf(a[13], sizeof a[13], "%s/fleet/eis", h->dir);
    char pki[160], dp1[160], eum[160];
    snprintf(pki, sizeof pki, "%s/pki", h->dir);
    snprintf(dp1, sizeof dp1, "%s/dp1", h->dir);
    snprintf(eum, sizeof eum, "%s/eum", h->dir);
    rsp_err e_smsc = START(h, P_SMSC, log[P_SMSC], "smsc", "--listen", a[0]);
    snprintf(h->ctl, sizeof h->ctl, "%s", a[9]);
    rsp_err e_smsr = START(h, P_SMSR, log[P_SMSR], "smsr", "run", "--config", conf, "--db", a[1], "--master-key", a[2], "--smsc", a[0],
            "--msisdn", "447700100997", "--worker", "w1", "--tick-ms", "20", "--listen",
            "127.0.0.1:0", "--port-file", a[3], "--tls-cert", a[4], "--tls-key", a[5],
            "--tls-ca", a[6], "--smdp-ids", "DP1", "--admin-listen", "127.0.0.1:0",
            "--admin-port-file", a[7]);
    if (e_smsc != RSP_OK || e_smsr != RSP_OK || rsp_bench_procs_wait_file(a[3], NULL) != RSP_OK ||
        rsp_bench_procs_wait_file(a[7], NULL) != RSP_OK ||
        rsp_bench_procs_wait_file(log[P_SMSC], "bound system_id=smsr") != RSP_OK)
        return -1;
    char smsr_url[64];
    if (rsp_bench_procs_port_url(a[3], smsr_url, sizeof smsr_url) != RSP_OK)
        return -1;
    rsp_err e_euicc = START(h, P_EUICC, log[P_EUICC], "euicc", "run", "--fleet", a[8], "--smsc", a[0], "--control", a[9],
            "--tick-ms", "20");
    rsp_err e_smdp = START(h, P_SMDP, log[P_SMDP], "smdp", "run", "--dir", a[10], "--listen", "127.0.0.1:0", "--port-file",
            a[11], "--smsr", smsr_url, "--ci", pki, "--dp", dp1, "--eum", eum,
            "--eis-dir", a[13], "--workers", a[12], "--metrics-listen", dp_metrics);
    if (e_euicc != RSP_OK || e_smdp != RSP_OK || rsp_bench_procs_wait_file(a[9], NULL) != RSP_OK ||
        rsp_bench_procs_wait_file(a[11], NULL) != RSP_OK)
        return -1;
    if (rsp_bench_procs_port_url(a[11], h->url, sizeof h->url) != RSP_OK)
        return -1;
    return 0;
}

/* Durable commits each process has made so far (rsp smsc keeps nothing durable: 0); -1 when unreadable. */
static void commits_now(const hb *h, double c[P_N])
{
    c[P_SMSC] = 0;
    if (rsp_bench_procs_metric(h->mport[P_SMSR], "rsp_smsr_store_commits_total", &c[P_SMSR]) != RSP_OK)
        c[P_SMSR] = -1;
    if (rsp_bench_procs_metric(h->mport[P_SMDP], "rsp_smdp_store_commits_total", &c[P_SMDP]) != RSP_OK)
        c[P_SMDP] = -1;
    if (rsp_bench_procs_ctl_count(h->ctl, "nvm_commits", &c[P_EUICC]) != RSP_OK)
        c[P_EUICC] = -1;
}

/* What durability alone costs per download: each process's commits, times the CPU of the least durable
 * write (measured now, on the scratch folder's file system), beside the crypto floor; then the whole
 * CPU per download beside both floors together. The goal figure stays the crypto one. */
static void report_durability(rsp_bench *b, const hb *h, const double c0[P_N], const double c1[P_N], long count,
                              double all_s, double floor_s)
{
    double dw = rsp_bench_procs_durable_write_cpu(h->dir, 200, false), commits = 0;
    for (int i = 0; i < P_N; i++) {
        if (c0[i] < 0 || c1[i] < c0[i]) {
            fprintf(stderr, "bench download-https: the commits of rsp %s could not be read\n", pnames[i]);
            return;
        }
        char name[96];
        snprintf(name, sizeof name, "durable commits per download: rsp %s", pnames[i]);
        if (i != P_SMSC)
            rsp_bench_report(b, name, (c1[i] - c0[i]) / (double)count, "commits", NULL, 0);
        commits += c1[i] - c0[i];
    }
    if (dw < 0) {
        fprintf(stderr, "bench download-https: no durable write could be measured in %s\n", h->dir);
        return;
    }
    rsp_bench_report(b, "one durable write (4 KiB pwrite + fdatasync), CPU", dw * 1e6, "us", NULL, 0);
    double dur_s = commits / (double)count * dw;
    rsp_bench_report(b, "durability floor per download (commits x write)", dur_s * 1e3, "ms",
                     "download crypto floor", floor_s * 1e3);
    rsp_bench_report(b, "CPU per download, all four, vs both floors", all_s * 1e3, "ms", "crypto + durability floor",
                     (floor_s + dur_s) * 1e3);
}

int rsp_bench_download_https(rsp_bench *b, int argc, char **argv)
{
    long count = 8, threads = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--count") == 0)
            count = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--threads") == 0)
            threads = strtol(argv[i + 1], NULL, 10);
        else
            return rsp_cli_usage_error("bench download-https: [--count N (cards = downloads)] [--threads T]");
    }
    if (count < 1 || count > MAX_CARDS || threads < 1 || threads > MAX_THREADS)
        return rsp_cli_usage_error("bench download-https: --count 1..%d, --threads 1..%d", MAX_CARDS, MAX_THREADS);
    const char *sh = getenv("RSP_SHARED_DIR");
    char pkg[1024];
    snprintf(pkg, sizeof pkg, "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", sh && *sh ? sh : "../shared");
    rsp_buf der = RSP_BUF_INIT;
    hb *h = calloc(1, sizeof *h);
    if (!h || rsp_cli_read_file(pkg, &der) != RSP_OK) {
        free(h);
        return rsp_cli_usage_error("bench download-https: cannot read %s (set RSP_SHARED_DIR)", pkg);
    }
    snprintf(h->dir, sizeof h->dir, "/tmp/rsp_bench_dlh_XXXXXX");
    int rc = RSP_EXIT_OK;
    if (rsp_bench_procs_init(&h->pr) != RSP_OK || !mkdtemp(h->dir)) {
        rc = rsp_cli_usage_error("bench download-https: no scratch folder or no /proc/self/exe");
        goto out;
    }
    rsp_bench_progress(b, "PKI, fleet, SM-SR registration, SM-DP pool");
    if (prepare(h, pkg, count) != 0) {
        rc = rsp_cli_usage_error("bench download-https: setup failed (see %s)", h->dir);
        goto out;
    }
    rsp_bench_progress(b, "starting rsp smsc, smsr run, euicc run, smdp run");
    if (start(h, threads) != 0) {
        fprintf(stderr, "bench download-https: a process did not start (logs in %s)\n", h->dir);
        rc = RSP_EXIT_FAIL;
        goto out;
    }
    double cpu0[P_N], cpu1[P_N], c0[P_N], c1[P_N];
    commits_now(h, c0);
    for (int i = 0; i < P_N; i++)
        cpu0[i] = rsp_bench_procs_cpu(&h->pr, (size_t)i);
    rsp_bench_progress(b, "downloads (ES2 -> SM-DP -> ES3 -> SM-SR -> SMS / SCP81 -> card)");
    worker w[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    bool started[MAX_THREADS] = {false};
    memset(w, 0, sizeof w);
    double t0 = rsp_bench_now();
    long nt = threads < count ? threads : count;
    for (long i = 0; i < nt; i++) {
        w[i].h = h;
        w[i].from = (size_t)(count * i / nt);
        w[i].to = (size_t)(count * (i + 1) / nt);
        if (pthread_create(&th[i], NULL, client, &w[i]) == 0)
            started[i] = true;
        else
            w[i].err = RSP_ERR_INTERNAL;
    }
    size_t ok = 0;
    for (long i = 0; i < nt; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        ok += w[i].ok;
        if (w[i].err != RSP_OK) {
            fprintf(stderr, "bench download-https: %s: %s\n", rsp_err_name(w[i].err), w[i].why);
            rc = RSP_EXIT_FAIL;
        }
    }
    double wall = rsp_bench_now() - t0;
    for (int i = 0; i < P_N; i++)
        cpu1[i] = rsp_bench_procs_cpu(&h->pr, (size_t)i);
    commits_now(h, c1);
    if (rc == RSP_EXIT_OK && ok == (size_t)count) {
        double v = rsp_bench_floor_ecdsa_verify(b, RSP_CURVE_P256);
        double s = rsp_bench_floor_ecdsa_sign(b, RSP_CURVE_P256);
        double x = rsp_bench_floor_ecdh(b, RSP_CURVE_P256);
        double aes = rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 1024), mac = rsp_bench_floor_cmac_mbs(b, 1024);
        /* as `rsp bench download`: chain (2 verifies), ephemeral key + signature, ECDH, SCP03t */
        double floor_s = 2 / v + 2 / s + 1 / x + (double)der.len / (aes * 1e6) + (double)der.len / (mac * 1e6);
        rsp_bench_report(b, "whole downloads through the processes /s", (double)count / wall, "ops/s",
                         "download crypto floor /s", 1 / floor_s);
        double all = 0;
        for (int i = 0; i < P_N; i++) {
            char name[96];
            snprintf(name, sizeof name, "CPU per download: rsp %s", pnames[i]);
            rsp_bench_report(b, name, (cpu1[i] - cpu0[i]) / (double)count * 1e3, "ms", "download crypto floor",
                             floor_s * 1e3);
            all += cpu1[i] - cpu0[i];
        }
        rsp_bench_report(b, "CPU per download: all four processes", all / (double)count * 1e3, "ms",
                         "download crypto floor", floor_s * 1e3);
        report_durability(b, h, c0, c1, count, all / (double)count, floor_s);
    } else if (rc == RSP_EXIT_OK) {
        fprintf(stderr, "bench download-https: %zu of %ld downloads installed\n", ok, count);
        rc = RSP_EXIT_FAIL;
    }
out:
    rsp_bench_procs_stop(&h->pr);
    if (h->dir[0] && strstr(h->dir, "XXXXXX") == NULL && rc == RSP_EXIT_OK) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench download-https: could not remove %s\n", h->dir);
    }
    rsp_buf_free(&der);
    free(h);
    return rc;
}
