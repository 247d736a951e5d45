/* `rsp bench smdpp` (issue 14, Numbers): complete SGP.22 downloads per second with the three roles on
 * this machine: `rsp smdpp run` as its own process (ES9+ over HTTPS, its SQLite store), and in this
 * process the LPA (lib/lpa: ES9+ client, the download procedure of SGP22.md up to the PIR delivered by
 * handleNotification) driving consumer cards (lib/euicc, direct attachment). CPU per download split
 * by role: the SM-DP+ from /proc/<pid>/stat; the card as the CPU spent inside the transport's transmit
 * (every ES10 command is processed there, synchronously); the LPA as this process's CPU minus the card's.
 *
 * Beside it, the crypto floor of one download measured in the same run (OpenSSL straight, P-256, the
 * curve of `rsp ci init --sgp22`), split by who must do it (SGP22.md §Signatures, §BPP):
 *   SM-DP+: sign serverSigned1, verify CERT.EUM and CERT.EUICC, verify euiccSignature1, sign
 *           smdpSigned2, verify euiccSignature2, one-time key + ECDH, sign the BF23, protect the
 *           package (AES-CBC + CMAC over its bytes), verify the PIR: 3 signs, 5 verifies, 2 ECDH-sized
 *           scalar multiplications, AES + CMAC;
 *   card:   verify CERT.DPauth, serverSignature1, CERT.DPpb, smdpSignature2 and the BF23's smdpSign,
 *           sign euiccSigned1, euiccSigned2 and the PIR, one-time key + ECDH, unprotect the package:
 *           the same count.
 * TLS (a handshake per download: the LPA's connection lives for one download) is not in the floor:
 * the protocol's own crypto is. The goal of the issue: SM-DP+ CPU within 3x of its share.
 *
 * Durability beside it: the SM-DP+'s commits per download from its /metrics (the plain
 * --metrics-listen port: rsp_smdpp_commits_total), durable ones (smdpp.db at synchronous FULL, the
 * inventory's store) and light ones (smdpp.db at NORMAL: kill -9 safe, no fdatasync), and the CPU of
 * one durable commit at its least, measured here on the same file system (a 4 KiB block overwritten
 * in place + fdatasync; appended + fdatasync, as a growing WAL is): how much of the gap durability
 * alone explains. */
#define _GNU_SOURCE /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_procs.h"
#include "cli.h"
#include "rsp/lpa.h"

enum { PER_CARD = 6, MAX_COUNT = 2000 }; /* a consumer card holds 8 profiles: 6 per card */

/* The direct transport with the CPU spent inside the card counted. */
typedef struct timed {
    const rsp_lpa_transport_ops *inner;
    void *ctx;
    double cpu_s;
} timed;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static rsp_err t_open(const char *arg, void **ctx, rsp_diag *diag)
{
    timed *t = calloc(1, sizeof(*t));
    if (!t)
        return RSP_ERR_NOMEM;
    rsp_err e = rsp_lpa_transport_find("direct", &t->inner, diag);
    e = e ? e : t->inner->open(arg, &t->ctx, diag);
    if (e) {
        free(t);
        return e;
    }
    *ctx = t;
    return RSP_OK;
}

static rsp_err t_transmit(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag)
{
    timed *t = ctx;
    double c0 = thread_cpu();
    rsp_err e = t->inner->transmit(t->ctx, capdu, len, rapdu, diag);
    t->cpu_s += thread_cpu() - c0;
    return e;
}

static void t_close(void *ctx)
{
    timed *t = ctx;
    if (!t)
        return;
    t->inner->close(t->ctx);
    free(t);
}

static const rsp_lpa_transport_ops timed_ops = {"direct-timed", "direct, CPU counted", t_open, t_transmit, t_close};

static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

typedef struct setup {
    char dir[64], p[4][300];
    rsp_bench_procs pr;
} setup;

static char *at(setup *s, int k, const char *rel)
{
    char tmp[sizeof(s->p[k])];
    snprintf(tmp, sizeof(tmp), "%s/%s", s->dir, rel);
    memcpy(s->p[k], tmp, sizeof(tmp));
    return s->p[k];
}

/* PKI, cards, the SM-DP+'s pool and `count` orders BS-<i> (any EID). Non-zero on failure. */
static int prepare(setup *s, char *pkg, long count, long cards)
{
    char n[16], nc[16];
    snprintf(n, sizeof(n), "%ld", count);
    snprintf(nc, sizeof(nc), "%ld", cards);
    rsp_bench_procs *p = &s->pr;
    if (RSP_BENCH_PROCS_RUN(p, "ci", "init", "--sgp22", "--dir", at(s, 0, "ci")) ||
        RSP_BENCH_PROCS_RUN(p, "ci", "issue", "--sgp22", "--dir", at(s, 0, "ci"), "--role", "eum", "--id", "EUM", "--org",
                            "Bench EUM", "--eid-prefix", "89049032", "--out", at(s, 1, "eum")) ||
        RSP_BENCH_PROCS_RUN(p, "eum", "make", "--sgp22", "--ci", at(s, 0, "ci"), "--eum", at(s, 1, "eum"), "--count", nc,
                            "--out", at(s, 2, "cards")))
        return 1;
    char *const roles[][3] = {{"dpauth", "DPauth", "smdpp/dpauth"}, {"dppb", "DPpb", "smdpp/dppb"},
                                           {"dptls", "DPtls", "smdpp/dptls"}};
    for (int i = 0; i < 3; i++)
        if (i < 2 ? RSP_BENCH_PROCS_RUN(p, "ci", "issue", "--sgp22", "--dir", at(s, 0, "ci"), "--role", roles[i][0],
                                        "--id", roles[i][1], "--oid", "2.999.10", "--out", at(s, 1, roles[i][2]))
                  : RSP_BENCH_PROCS_RUN(p, "ci", "issue", "--sgp22", "--dir", at(s, 0, "ci"), "--role", roles[i][0],
                                        "--id", roles[i][1], "--oid", "2.999.10", "--dns", "localhost", "--out",
                                        at(s, 1, roles[i][2])))
            return 1;
    if (RSP_BENCH_PROCS_RUN(p, "smdp", "import", "package", "--dir", at(s, 0, "smdpp"), "--operator", "MNO", "--type",
                            "T48", pkg) ||
        RSP_BENCH_PROCS_RUN(p, "smdp", "import", "generate", "--dir", at(s, 0, "smdpp"), "--operator", "MNO", "--type",
                            "T48", "--count", n, "--iccid-prefix", "8944502"))
        return 1;
    for (long i = 0; i < count; i++) {
        char mid[32];
        snprintf(mid, sizeof(mid), "BS-%ld", i);
        if (RSP_BENCH_PROCS_RUN(p, "smdpp", "order", "--dir", at(s, 0, "smdpp"), "--address", "localhost",
                                "--matching-id", mid, "--operator", "MNO", "--type", "T48"))
            return 1;
    }
    return 0;
}

/* The card folders of `rsp eum make --sgp22` (names: the EIDs). */
static size_t card_dirs(const char *dir, char (*out)[300], size_t max)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "ls '%s'", dir);
    FILE *f = popen(cmd, "r");
    size_t n = 0;
    char line[128];
    while (f && n < max && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        if (strlen(line) == 32)
            snprintf(out[n++], 300, "%.250s/%.32s", dir, line);
    }
    if (f)
        pclose(f);
    return n;
}

/* The SM-DP+'s commits so far (its /metrics on the plain --metrics-listen port): smdpp.db's durable
 * (synchronous FULL: an fdatasync each) and light ones (NORMAL: kill -9 safe, no sync), and the
 * inventory store's (durable). Non-zero when /metrics did not answer. */
static int commits(uint16_t port, double c[3])
{
    static const char *const names[3] = {"rsp_smdpp_commits_total{db=\"smdpp\",sync=\"full\"}",
                                         "rsp_smdpp_commits_total{db=\"smdpp\",sync=\"normal\"}",
                                         "rsp_smdpp_commits_total{db=\"inventory\",sync=\"full\"}"};
    for (int i = 0; i < 3; i++)
        if (rsp_bench_procs_metric(port, names[i], &c[i]) != RSP_OK)
            return 1;
    return 0;
}

/* The system part (kernel: fdatasync, TCP, ...) of a process's CPU so far; 0 when unreadable. */
static double sys_cpu(pid_t pid)
{
    double u = 0, st = 0;
    return rsp_bench_procs_pid_cpu(pid, &u, &st) ? st : 0;
}

typedef struct run_out {
    double wall, lpa_cpu, card_cpu, dp_cpu, dp_sys;
    double commits[3]; /* during the downloads: as commits() */
    uint16_t mport;
    long ok;
    char why[600];
} run_out;

static int downloads(setup *s, long count, const char *address, run_out *r)
{
    long ncards = (count + PER_CARD - 1) / PER_CARD;
    char(*cards)[300] = calloc((size_t)ncards, sizeof(*cards));
    if (!cards || card_dirs(at(s, 2, "cards"), cards, (size_t)ncards) != (size_t)ncards) {
        free(cards);
        snprintf(r->why, sizeof(r->why), "the cards of %.300s", s->p[2]);
        return 1;
    }
    const char *ca = at(s, 3, "ci/ci.crt.pem");
    double k0[3], k1[3];
    if (commits(r->mport, k0) != 0) {
        free(cards);
        snprintf(r->why, sizeof(r->why), "the SM-DP+'s /metrics on port %u", (unsigned)r->mport);
        return 1;
    }
    double dp0 = rsp_bench_procs_cpu(&s->pr, 0), ds0 = sys_cpu(s->pr.pid[0]), c0 = self_cpu(), t0 = rsp_bench_now();
    for (long k = 0; k < ncards && !r->why[0]; k++) {
        rsp_lpa_card c;
        memset(&c, 0, sizeof(c));
        rsp_diag d = {0};
        if (rsp_lpa_card_open(&c, &timed_ops, cards[k], 255, &d) != RSP_OK) {
            snprintf(r->why, sizeof(r->why), "card %s: %s", cards[k], d.msg);
            break;
        }
        for (long i = k * PER_CARD; i < count && i < (k + 1) * PER_CARD; i++) {
            char mid[32];
            snprintf(mid, sizeof(mid), "BS-%ld", i);
            rsp_lpa_download_opts o = {address, mid, NULL, ca, 0, 0, NULL, NULL, NULL, false};
            rsp_lpa_download_result res;
            if (rsp_lpa_download(&c, &o, &res, &d) != RSP_OK) {
                snprintf(r->why, sizeof(r->why), "download %s: %s", mid, d.msg);
                break;
            }
            r->ok++;
        }
        r->card_cpu += ((timed *)c.ctx)->cpu_s;
        rsp_lpa_card_close(&c);
    }
    r->wall = rsp_bench_now() - t0;
    r->lpa_cpu = self_cpu() - c0 - r->card_cpu;
    r->dp_cpu = rsp_bench_procs_cpu(&s->pr, 0) - dp0;
    r->dp_sys = sys_cpu(s->pr.pid[0]) - ds0;
    free(cards);
    if (!r->why[0] && commits(r->mport, k1) != 0)
        snprintf(r->why, sizeof(r->why), "the SM-DP+'s /metrics on port %u", (unsigned)r->mport);
    for (int i = 0; i < 3; i++)
        r->commits[i] = k1[i] - k0[i];
    return r->why[0] ? 1 : 0;
}

int rsp_bench_smdpp(rsp_bench *b, int argc, char **argv)
{
    long count = 60;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--count"))
            count = strtol(argv[i + 1], NULL, 10);
    if (count < 1 || count > MAX_COUNT)
        return rsp_cli_usage_error("bench smdpp: --count 1..%d", MAX_COUNT);
    const char *sh = getenv("RSP_SHARED_DIR");
    char pkg[1024];
    snprintf(pkg, sizeof(pkg), "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", sh && *sh ? sh : "../shared");
    rsp_buf der = RSP_BUF_INIT;
    if (rsp_cli_read_file(pkg, &der) != RSP_OK)
        return rsp_cli_usage_error("bench smdpp: cannot read %s (set RSP_SHARED_DIR)", pkg);
    setup *s = calloc(1, sizeof(*s));
    int rc = RSP_EXIT_OK;
    if (!s || rsp_bench_procs_init(&s->pr) != RSP_OK) {
        free(s);
        rsp_buf_free(&der);
        return rsp_cli_fail("bench smdpp", RSP_ERR_NOMEM, NULL);
    }
    snprintf(s->dir, sizeof(s->dir), "/tmp/rsp_bench_smdpp_XXXXXX");
    rsp_bench_progress(b, "PKI, cards, the SM-DP+'s pool and orders");
    if (!mkdtemp(s->dir) || prepare(s, pkg, count, (count + PER_CARD - 1) / PER_CARD) != 0) {
        rc = rsp_cli_usage_error("bench smdpp: setup failed (see %s)", s->dir);
        goto out;
    }
    rsp_bench_progress(b, "starting rsp smdpp run");
    char port_file[128], mport_file[128], log[128], address[64];
    snprintf(port_file, sizeof(port_file), "%s/smdpp.port", s->dir);
    snprintf(mport_file, sizeof(mport_file), "%s/smdpp.mport", s->dir);
    snprintf(log, sizeof(log), "%s/smdpp.log", s->dir);
    if (RSP_BENCH_PROCS_START(&s->pr, 0, log, "smdpp", "run", "--dir", at(s, 0, "smdpp"), "--address", "localhost",
                              "--listen", "127.0.0.1:0", "--port-file", port_file, "--metrics-listen", "127.0.0.1:0",
                              "--metrics-port-file", mport_file) != RSP_OK ||
        rsp_bench_procs_wait_file(port_file, NULL) != RSP_OK || rsp_bench_procs_wait_file(mport_file, NULL) != RSP_OK) {
        rc = rsp_cli_fail("bench smdpp: rsp smdpp run did not start", RSP_ERR_STATE, NULL);
        goto out;
    }
    unsigned port = 0, mport = 0;
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(k ? mport_file : port_file, "r");
        unsigned *pp = k ? &mport : &port;
        if (!f || fscanf(f, "%u", pp) != 1 || *pp == 0 || *pp > 65535) {
            if (f)
                fclose(f);
            rc = rsp_cli_fail("bench smdpp: port file", RSP_ERR_FORMAT, NULL);
            goto out;
        }
        fclose(f);
    }
    snprintf(address, sizeof(address), "localhost:%u", port);
    rsp_bench_progress(b, "downloads: LPA + card (this process) against rsp smdpp run");
    run_out r;
    memset(&r, 0, sizeof(r));
    r.mport = (uint16_t)mport;
    if (downloads(s, count, address, &r) != 0) {
        fprintf(stderr, "bench smdpp: %ld of %ld downloads, then: %s\n", r.ok, count, r.why);
        rc = RSP_EXIT_FAIL;
        goto out;
    }
    /* The floor's rates are wall-clock; the roles' figures are CPU. On a loaded machine (others'
     * processes on the same cores) wall time stretches and the floor with it, which made the ratio
     * look better than it was: the floor is scaled by this thread's CPU over wall while measuring it. */
    double fw0 = rsp_bench_now(), fc0 = thread_cpu();
    double v = rsp_bench_floor_ecdsa_verify(b, RSP_CURVE_P256), sg = rsp_bench_floor_ecdsa_sign(b, RSP_CURVE_P256);
    double x = rsp_bench_floor_ecdh(b, RSP_CURVE_P256);
    double aes = rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 1024), mac = rsp_bench_floor_cmac_mbs(b, 1024);
    double fw = rsp_bench_now() - fw0, fc = thread_cpu() - fc0;
    /* one durable commit at its least (4 KiB pwrite + fdatasync on the file system of smdpp.db) */
    double sync_cpu = rsp_bench_procs_durable_write_cpu(s->dir, 200, false),
           append_cpu = rsp_bench_procs_durable_write_cpu(s->dir, 200, true);
    double cpu_per_wall = fw > 0 && fc > 0 && fc < fw ? fc / fw : 1;
    /* per role: 3 signs, 5 verifies, 2 scalar multiplications (key pair + ECDH), AES + CMAC of the package */
    double share = (3 / sg + 5 / v + 2 / x + (double)der.len / (aes * 1e6) + (double)der.len / (mac * 1e6)) *
                   cpu_per_wall;
    double n = (double)count;
    rsp_bench_report(b, "complete SGP.22 downloads /s (LPA + card + SM-DP+, PIR delivered)", n / r.wall, "ops/s",
                     "crypto floor of both roles /s", 1 / (2 * share));
    rsp_bench_report(b, "CPU per download: rsp smdpp run (SM-DP+)", r.dp_cpu / n * 1e3, "ms", "SM-DP+'s crypto share",
                     share * 1e3);
    rsp_bench_report(b, "CPU per download: SM-DP+ in the kernel (fdatasync, TCP)", r.dp_sys / n * 1e3, "ms", NULL, 0);
    rsp_bench_report(b, "CPU per download: card (ES10 processing)", r.card_cpu / n * 1e3, "ms", "card's crypto share",
                     share * 1e3);
    rsp_bench_report(b, "CPU per download: LPA (ES9+ HTTPS client, ES10 transport)", r.lpa_cpu / n * 1e3, "ms",
                     "card's crypto share", share * 1e3);
    double durable = (r.commits[0] + r.commits[2]) / n;
    rsp_bench_report(b, "durable commits per download: SM-DP+ smdpp.db (synchronous FULL)", r.commits[0] / n,
                     "commits", NULL, 0);
    rsp_bench_report(b, "durable commits per download: SM-DP+ inventory (identity taken, marked)", r.commits[2] / n,
                     "commits", NULL, 0);
    rsp_bench_report(b, "light commits per download: SM-DP+ smdpp.db (NORMAL, no fdatasync)", r.commits[1] / n,
                     "commits", NULL, 0);
    if (sync_cpu > 0)
        rsp_bench_report(b, "CPU of one durable commit (4 KiB write + fdatasync): in place", sync_cpu * 1e6, "us",
                         NULL, 0);
    if (append_cpu > 0)
        rsp_bench_report(b, "CPU of one durable commit (4 KiB write + fdatasync): appended", append_cpu * 1e6, "us",
                         NULL, 0);
    if (!b->json) {
        printf("  SM-DP+ CPU is %.1fx its crypto share (goal: within 3x); %ld downloads, %.0f ms wall each\n",
               r.dp_cpu / n / share, count, r.wall / n * 1e3);
        if (sync_cpu > 0 && append_cpu > 0) {
            double lo = durable * sync_cpu, hi = durable * (sync_cpu > append_cpu ? sync_cpu : append_cpu);
            printf("  durability: %.1f durable commits x %.0f-%.0f us = %.2f-%.2f ms of the SM-DP+'s %.2f ms per "
                   "download; the rest is %.1f-%.1fx its crypto share\n",
                   durable, sync_cpu * 1e6, append_cpu * 1e6, lo * 1e3, hi * 1e3, r.dp_cpu / n * 1e3,
                   (r.dp_cpu / n - hi) / share, (r.dp_cpu / n - lo) / share);
        }
    }
out:
    rsp_bench_procs_stop(&s->pr);
    if (rc == RSP_EXIT_OK && strstr(s->dir, "XXXXXX") == NULL) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench smdpp: could not remove %s\n", s->dir);
    }
    free(s);
    rsp_buf_free(&der);
    return rc;
}
