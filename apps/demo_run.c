/* `rsp demo`: an IoT service provider (the M2M SP "SP1") moves its fleet from operator MNO-A to
 * operator MNO-B, every role a real process of this binary (docs/modules/demo.md):
 *   pki          `rsp ci`: the CI root, certificates of the EUM, SM-SR, SM-DP, both Operators, SP1
 *   manufacture  `rsp eum make`: N cards with MNO-A's profile, their signed EIS files
 *   register     ES1.RegisterEIS of every EIS over HTTPS, as the EUM, to `rsp smsr run`
 *   plma         ES4A.SetPLMA: MNO-A (and MNO-B) let SP1 audit and delete their profiles
 *   download     ES2.DownloadProfile(enable) by MNO-B to `rsp smdp run`, for every EID
 *   delete       SP1 moves the fall-back attribute to MNO-B's profile and deletes MNO-A's (ES4)
 *   audit        ES4.AuditEIS by SP1 on a sample; the SM-SR's view compared with each card's own state
 * A phase the binary cannot do yet is reported as not available, with why, never faked. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli.h"
#include "demo.h"
#include "rsp/crypto.h"
#include "rsp/ids.h"
#include "rsp/metrics_read.h"

#define SMSR_MSISDN "447700100999"
#define TRANSPORT_KEY "000102030405060708090a0b0c0d0e0f" /* EUM -> SM-SR key wrapping (demo only) */
#define AUDIT_SAMPLE 10
/* A card's admin session with nothing queued is held this long for the next script. It is no longer
 * latency: the enable (and the 3A08 confirmation) ends the session at once (smsr_adm_script_ends), so
 * the card's notification does not wait for it. Long enough that a slow SM-DP's next SendData still
 * finds the session (at 1 s, 68 of the first 1,900 downloads of a 10,000-card run under load average 20
 * lost it mid-download: key establishment 6985, SCP03t 9F 03). The SM-SR's default. */
#define DEMO_ADMIN_IDLE_MS "10000"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *path(demo_ctx *x, const char *rel)
{
    snprintf(x->p, sizeof(x->p), "%s/%s", x->dir, rel);
    return x->p;
}

static void note(demo_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(demo_ctx *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    FILE *out = x->o->json ? stderr : stdout;
    vfprintf(out, fmt, ap);
    fflush(out);
    va_end(ap);
}

/* One `rsp ...` to its end; a non-zero exit fails the phase with the log to read. */
static rsp_err oneshot(demo_ctx *x, const char *name, const char *const *argv)
{
    int rc = 0;
    rsp_err e = demo_proc_run(&x->procs, name, argv, NULL, &rc, &x->diag);
    if (e == RSP_OK && rc != 0)
        e = rsp_diag_set(&x->diag, RSP_ERR_STATE, "rsp %s %s exited %d (see %s/logs/%s.log)", argv[0], argv[1], rc,
                         x->dir, name);
    return e;
}

static rsp_err phase_pki(demo_ctx *x)
{
    char pki[500];
    snprintf(pki, sizeof(pki), "%s/pki", x->dir);
    const char *init[] = {"ci", "init", "--dir", pki, NULL};
    rsp_err e = oneshot(x, "ci", init);
    static const char *const ids[][3] = {{"eum", "EUM-A", "eum"},        {"smsr", "SMSR-1", "smsr"},
                                         {"operator", "MNO-A", "mno-a"}, {"operator", "MNO-B", "mno-b"},
                                         {"m2msp", "SP1", "sp1"},        {"smdp", "SMDP-B", "smdp"},
                                         {"smsr", "SMSR-2", "smsr2"}}; /* the last: --smsr-change only */
    size_t nid = sizeof(ids) / sizeof(ids[0]) - (x->o->smsr_change ? 0 : 1);
    for (size_t i = 0; e == RSP_OK && i < nid; i++) {
        char out[500];
        snprintf(out, sizeof(out), "%s/id/%s", x->dir, ids[i][2]);
        const char *iss[] = {"ci", "issue", "--dir", pki, "--role", ids[i][0], "--id", ids[i][1], "--out", out, NULL};
        e = oneshot(x, "ci", iss);
        x->sum.ph[DEMO_PH_PKI].ok += e == RSP_OK;
    }
    return e;
}

static uint64_t random_digits(void)
{
    uint8_t r[8];
    uint64_t v = (uint64_t)time(NULL);
    if (rsp_random(r, sizeof(r)) == RSP_OK)
        for (size_t i = 0; i < sizeof(r); i++)
            v = v * 131 + r[i];
    return v;
}

static int by_eid(const void *a, const void *b)
{
    return strcmp(((const demo_card *)a)->eid, ((const demo_card *)b)->eid);
}

static rsp_err phase_make(demo_ctx *x)
{
    char count[16], pki[500], eum[500], fleet[500];
    snprintf(count, sizeof(count), "%d", x->o->euiccs);
    snprintf(pki, sizeof(pki), "%s/pki", x->dir);
    snprintf(eum, sizeof(eum), "%s/id/eum", x->dir);
    snprintf(fleet, sizeof(fleet), "%s/fleet", x->dir);
    /* Identities drawn at random: a PostgreSQL store outlives a run, and ES1 refuses a known EID or
     * another card's ICCID. */
    char eid[40], iccid[24];
    uint64_t r = random_digits();
    snprintf(eid, sizeof(eid), "89049032%012llu0000000000", (unsigned long long)(r % 1000000000000ULL));
    snprintf(iccid, sizeof(iccid), "8944501%08llu0000", (unsigned long long)((r / 1000000000000ULL) % 100000000ULL));
    snprintf(iccid + 19, sizeof(iccid) - 19, "%d", rsp_luhn_digit(iccid, 19));
    const char *mk[] = {"eum", "make", "--ci", pki, "--eum", eum, "--profile", x->o->profile, "--smsr-id", "SMSR-1",
                        "--count", count, "--out", fleet, "--transport-key", TRANSPORT_KEY, "--msisdn-start",
                        "447700900001", "--smsr-msisdn", SMSR_MSISDN, "--mno-id", "MNO-A", "--iccid-start",
                        iccid, "--eid-start", eid, NULL};
    rsp_err e = oneshot(x, "eum", mk);
    if (e)
        return e;
    x->cards = calloc((size_t)x->o->euiccs, sizeof(demo_card));
    DIR *d = opendir(path(x, "fleet/eis"));
    if (!x->cards || !d) {
        if (d)
            closedir(d);
        return rsp_diag_set(&x->diag, RSP_ERR_IO, "no EIS files in %s", x->p);
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL && x->n < (size_t)x->o->euiccs) {
        size_t l = strlen(de->d_name);
        if (l != 37 || strcmp(de->d_name + 32, ".json"))
            continue;
        demo_card *c = &x->cards[x->n];
        snprintf(c->eid, sizeof(c->eid), "%.32s", de->d_name);
        snprintf(c->eis_file, sizeof(c->eis_file), "%s/fleet/eis/%s", x->dir, de->d_name);
        json_t *j = json_load_file(c->eis_file, 0, NULL);
        json_t *p0 = json_array_get(json_object_get(json_object_get(j, "eis"), "profiles"), 0);
        const char *ic = json_string_value(json_object_get(p0, "iccid"));
        const char *type = json_string_value(json_object_get(p0, "profileType"));
        if (ic)
            snprintf(c->iccid_a, sizeof(c->iccid_a), "%s", ic);
        if (type && !x->type_a[0])
            snprintf(x->type_a, sizeof(x->type_a), "%s", type);
        json_decref(j);
        x->n += ic != NULL;
    }
    closedir(d);
    qsort(x->cards, x->n, sizeof(demo_card), by_eid);
    x->sum.ph[DEMO_PH_MAKE].ok = x->n;
    if (x->n != (size_t)x->o->euiccs || !x->type_a[0])
        return rsp_diag_set(&x->diag, RSP_ERR_FORMAT, "rsp eum make gave %zu usable EIS of %d", x->n, x->o->euiccs);
    return RSP_OK;
}

/* ---- the daemons ---- */
typedef struct ready_arg {
    demo_ctx *x;
    const char *port_file, *bound;
    uint16_t *port;
    const demo_child *smsc;
} ready_arg;

static bool port_file_ready(void *arg)
{
    ready_arg *r = arg;
    FILE *f = fopen(r->port_file, "r");
    unsigned p = 0;
    if (f) {
        if (fscanf(f, "%u", &p) != 1)
            p = 0;
        fclose(f);
    }
    if (p == 0 || p > 65535)
        return false;
    *r->port = (uint16_t)p;
    return !r->bound || demo_proc_log_has(r->smsc, r->bound);
}

static bool smsc_ready(void *arg)
{
    return demo_tcp_open(*((ready_arg *)arg)->port);
}

static bool socket_ready(void *arg)
{
    ready_arg *r = arg;
    struct stat st;
    return stat(r->port_file, &st) == 0 && S_ISSOCK(st.st_mode) && demo_proc_log_has(r->smsc, r->bound);
}

static rsp_err start_core(demo_ctx *x)
{
    rsp_err e = demo_free_port(&x->smsc_port);
    if (e)
        return rsp_diag_set(&x->diag, e, "no free loopback port");
    char listen[32], smsc[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", x->smsc_port);
    snprintf(smsc, sizeof(smsc), "127.0.0.1:%u", x->smsc_port);
    const char *a_smsc[] = {"smsc", "--listen", listen, NULL};
    ready_arg r = {x, NULL, NULL, &x->smsc_port, NULL};
    e = demo_proc_start(&x->procs, "smsc", a_smsc, &x->smsc, &x->diag);
    e = e ? e : demo_proc_wait_ready(&x->procs, x->smsc, smsc_ready, &r, 60000, &x->diag);
    if (e)
        return e;
    /* The SM-SR's ISD-R keys are sealed at rest under a master key: a fresh one per demo. */
    uint8_t mk[32];
    char hex[65], pf[500], apf[500], cert[500], key[500], ca[500], ci[500], mkf[500], cpf[500], ctf[500];
    e = rsp_random(mk, sizeof(mk));
    for (size_t i = 0; i < sizeof(mk); i++)
        snprintf(hex + 2 * i, 3, "%02x", mk[i]);
    rsp_wipe(mk, sizeof(mk));
    snprintf(mkf, sizeof(mkf), "%s/smsr.master-key", x->dir);
    e = e ? e : rsp_cli_write_file(mkf, hex, 64, 0600);
    rsp_wipe(hex, sizeof(hex));
    if (e)
        return rsp_diag_set(&x->diag, e, "cannot write %s", mkf);
    /* The SM-SR's web console (docs/modules/console.md): a fresh token, seen as operator MNO-B */
    uint8_t tok[16];
    char tline[64];
    snprintf(ctf, sizeof(ctf), "%s/console.token", x->dir);
    snprintf(cpf, sizeof(cpf), "%s/console.port", x->dir);
    e = rsp_random(tok, sizeof(tok));
    for (size_t i = 0; i < sizeof(tok); i++)
        snprintf(tline + 2 * i, 3, "%02x", tok[i]);
    snprintf(tline + 32, sizeof(tline) - 32, " MNO-B\n");
    e = e ? e : rsp_cli_write_file(ctf, tline, strlen(tline), 0600);
    rsp_wipe(tok, sizeof(tok));
    rsp_wipe(tline, sizeof(tline));
    if (e)
        return rsp_diag_set(&x->diag, e, "cannot write %s", ctf);
    snprintf(pf, sizeof(pf), "%s/smsr.port", x->dir);
    snprintf(apf, sizeof(apf), "%s/smsr-admin.port", x->dir);
    snprintf(cert, sizeof(cert), "%s/id/smsr/tls.crt.pem", x->dir);
    snprintf(key, sizeof(key), "%s/id/smsr/key.pem", x->dir);
    snprintf(ca, sizeof(ca), "%s/id/smsr/ca.crt.pem", x->dir);
    snprintf(ci, sizeof(ci), "%s/pki", x->dir);
    const char *a_smsr[64] = {"smsr", "run", "--db", x->db, "--smsc", smsc, "--msisdn", SMSR_MSISDN, "--worker", "w1",
                            "--tick-ms", "50", "--por-wait", "5", "--master-key", mkf, "--listen", "127.0.0.1:0",
                            "--port-file", pf, "--tls-cert", cert, "--tls-key", key, "--tls-ca", ca, "--m2msp-ids",
                            "SP1", "--smdp-ids", "SMDP-B", "--ci", ci, "--transport-key", TRANSPORT_KEY,
                            "--es5-transport", x->o->transport, "--admin-listen", "127.0.0.1:0", "--admin-port-file",
                            apf, "--admin-idle-ms", DEMO_ADMIN_IDLE_MS, "--console-listen", "127.0.0.1:0",
                            "--console-port-file", cpf, "--console-token-file", ctf, NULL};
    /* --transport sms: SCP80 over SMPP only, no admin (SCP81) server: the download's SCP03t goes by
     * SMS too (slow), where the SM-SR can do it */
    bool admin = strcmp(x->o->transport, "sms") != 0;
    /* --smsr-change: SM-SR2's ES endpoint (its port chosen now) and the EUM's EIS files (CERT.ECASD
     * goes with the EIS handed over); docs/modules/smsr_change.md */
    char cb2[64], eisd[500];
    if (x->o->smsr_change) {
        if ((e = demo_free_port(&x->smsr2_port)) != RSP_OK)
            return rsp_diag_set(&x->diag, e, "no free loopback port");
        snprintf(cb2, sizeof(cb2), "SMSR-2=https://127.0.0.1:%u", x->smsr2_port);
        snprintf(eisd, sizeof(eisd), "%s/fleet/eis", x->dir);
        size_t k = 0;
        while (a_smsr[k])
            k++;
        const char *more[] = {"--callbacks", cb2, "--eis-dir", eisd, NULL};
        for (size_t i = 0; more[i]; i++)
            a_smsr[k++] = more[i];
        a_smsr[k] = NULL;
    }
    if (!admin) /* the admin server's four arguments out, the console's kept */
        for (size_t i = 0; a_smsr[i]; i++)
            if (!strcmp(a_smsr[i], "--admin-listen")) {
                for (size_t k = i; a_smsr[k + 5]; k++)
                    a_smsr[k] = a_smsr[k + 6];
                break;
            }
    ready_arg rs = {x, pf, "system_id=smsr", &x->smsr_port, x->smsc};
    ready_arg ra = {x, apf, NULL, &x->admin_port, NULL};
    e = demo_proc_start(&x->procs, "smsr", a_smsr, &x->smsr, &x->diag);
    e = e ? e : demo_proc_wait_ready(&x->procs, x->smsr, port_file_ready, &rs, 60000, &x->diag);
    if (admin)
        e = e ? e : demo_proc_wait_ready(&x->procs, x->smsr, port_file_ready, &ra, 20000, &x->diag);
    ready_arg rc = {x, cpf, NULL, &x->console_port, NULL};
    if (e == RSP_OK && demo_proc_wait_ready(&x->procs, x->smsr, port_file_ready, &rc, 5000, NULL) == RSP_OK) {
        snprintf(x->sum.console_url, sizeof(x->sum.console_url), "http://127.0.0.1:%u/", x->console_port);
        fprintf(stderr, "console: %s (token in %s)\n", x->sum.console_url, ctf);
        char l[32];
        snprintf(l, sizeof(l), "127.0.0.1:%u", x->console_port);
        e = demo_proc_set_arg(x->smsr, "--console-listen", l); /* a restart serves it there again */
    }
    /* A restart (--faults) listens where the clients, the SM-DP and the cards' admin sessions call. */
    char l[32];
    snprintf(l, sizeof(l), "127.0.0.1:%u", x->smsr_port);
    e = e ? e : demo_proc_set_arg(x->smsr, "--listen", l);
    snprintf(l, sizeof(l), "127.0.0.1:%u", x->admin_port);
    return e || !admin ? e : demo_proc_set_arg(x->smsr, "--admin-listen", l);
}

static rsp_err start_cards(demo_ctx *x)
{
    char smsc[32], fleet[500], ctl[500];
    snprintf(smsc, sizeof(smsc), "127.0.0.1:%u", x->smsc_port);
    snprintf(fleet, sizeof(fleet), "%s/fleet", x->dir);
    snprintf(ctl, sizeof(ctl), "%s/ctl.sock", x->dir);
    const char *a[] = {"euicc", "run", "--fleet", fleet, "--smsc", smsc, "--control", ctl, "--tick-ms", "100", NULL};
    ready_arg r = {x, ctl, "system_id=euicc-fleet", NULL, x->smsc};
    rsp_err e = demo_proc_start(&x->procs, "euicc", a, &x->euicc, &x->diag);
    return e ? e : demo_proc_wait_ready(&x->procs, x->euicc, socket_ready, &r, 60000, &x->diag);
}

static rsp_err pool(demo_ctx *x, uint16_t port, const char *who, demo_es **out)
{
    char d[500];
    snprintf(d, sizeof(d), "%s/id/%s", x->dir, who);
    return demo_es_new(x->base, port, d, x->o->concurrency, out, &x->diag);
}


/* ---- the SM-DP of MNO-B (`rsp smdp run`), when this binary has it ---- */
static bool smdp_present(demo_ctx *x)
{
    const char *argv[] = {"smdp", "run", "--help", NULL};
    int rc = 1;
    return demo_proc_run(&x->procs, "probe", argv, NULL, &rc, &x->diag) == RSP_OK && rc == 0;
}

static rsp_err start_smdp(demo_ctx *x)
{
    char sd[500], n[16], pf[500], url[64], ci[500], dp[500], eum[500], eis[500], workers[16];
    snprintf(sd, sizeof(sd), "%s/smdp", x->dir);
    /* --faults: a second download for the cards whose first one failed takes a new identity (one
     * handed out to a failed download is never given again). */
    snprintf(n, sizeof(n), "%zu", x->o->faults ? 2 * x->n : x->n);
    const char *pkg[] = {"smdp", "import", "package", "--dir", sd, "--operator", "MNO-B", "--type", DEMO_TYPE_B,
                         x->o->profile, NULL};
    const char *gen[] = {"smdp", "import", "generate", "--dir", sd, "--operator", "MNO-B", "--type", DEMO_TYPE_B,
                         "--count", n, "--iccid-prefix", "8944502", NULL};
    rsp_err e = oneshot(x, "smdp-import", pkg);
    e = e ? e : oneshot(x, "smdp-import", gen);
    if (e)
        return e;
    snprintf(pf, sizeof(pf), "%s/smdp.port", x->dir);
    snprintf(url, sizeof(url), "https://127.0.0.1:%u", x->smsr_port);
    snprintf(ci, sizeof(ci), "%s/pki", x->dir);
    snprintf(dp, sizeof(dp), "%s/id/smdp", x->dir);
    snprintf(eum, sizeof(eum), "%s/id/eum", x->dir);
    snprintf(eis, sizeof(eis), "%s/fleet/eis", x->dir);
    unsigned nw = x->o->smdp_workers ? x->o->smdp_workers : x->o->concurrency;
    snprintf(workers, sizeof(workers), "%u", nw > 64 ? 64 : nw);
    /* The SM-DP learns the cards' CERT.ECASD from the EUM's EIS files (--eis-dir) and checks them
     * against the EUM's certificate; its TLS identity is the --dp folder's (`rsp ci issue --role smdp`). */
    const char *a[] = {"smdp", "run", "--dir", sd, "--listen", "127.0.0.1:0", "--port-file", pf, "--smsr", url, "--ci",
                       ci, "--dp", dp, "--eum", eum, "--eis-dir", eis, "--operators", "MNO-B", "--workers", workers,
                       NULL};
    ready_arg r = {x, pf, NULL, &x->smdp_port, NULL};
    e = demo_proc_start(&x->procs, "smdp", a, &x->smdp, &x->diag);
    e = e ? e : demo_proc_wait_ready(&x->procs, x->smdp, port_file_ready, &r, 60000, &x->diag);
    char l[32];
    snprintf(l, sizeof(l), "127.0.0.1:%u", x->smdp_port);
    return e ? e : demo_proc_set_arg(x->smdp, "--listen", l); /* a restart (--faults) listens there again */
}

/* SMS counts and admin (SCP81) sessions from the SM-SR's /metrics (-1 when not exported, or when the
 * page does not read as the format: rsp_metrics_read_sum, lib/svc/metrics_read.c, fuzzed). */
static long long metric(const char *text, const char *name)
{
    double sum = 0;
    if (rsp_metrics_read_sum(text, strlen(text), name, &sum, NULL, NULL) != RSP_OK || sum < 0)
        return -1;
    return (long long)sum;
}

static void read_metrics(demo_ctx *x)
{
    int st = 0;
    char *body = NULL;
    x->sum.sms_out = x->sum.sms_in = x->sum.https_sessions = -1;
    if (demo_es_get(x->sp1, "/metrics", &st, &body, &x->diag) != RSP_OK || st != 200) {
        free(body);
        return;
    }
    x->sum.sms_out = metric(body, "rsp_smsr_sms_out_total");
    x->sum.sms_in = metric(body, "rsp_smsr_sms_in_total");
    x->sum.https_sessions = metric(body, "rsp_smsr_admin_sessions_total");
    if (x->sum.https_sessions < 0 && !strcmp(x->o->transport, "sms"))
        x->sum.https_sessions = 0; /* no admin server at all: none, not "not reported" */
    free(body);
}

/* ---- the run ---- */
static rsp_err run_phases(demo_ctx *x)
{
    double t = now_s();
    rsp_err e = phase_pki(x);
    x->sum.ph[DEMO_PH_PKI].run = true;
    x->sum.ph[DEMO_PH_PKI].seconds = now_s() - t;
    note(x, "pki: CI root and 6 certificates (%.2f s)\n", x->sum.ph[DEMO_PH_PKI].seconds);
    t = now_s();
    e = e ? e : phase_make(x);
    x->sum.ph[DEMO_PH_MAKE].run = e == RSP_OK;
    x->sum.ph[DEMO_PH_MAKE].seconds = now_s() - t;
    if (e == RSP_OK)
        note(x, "manufacture: %zu cards with MNO-A's profile (%.2f s)\n", x->n, x->sum.ph[DEMO_PH_MAKE].seconds);
    e = e ? e : start_core(x);
    e = e ? e : pool(x, x->smsr_port, "eum", &x->eum);
    e = e ? e : pool(x, x->smsr_port, "mno-a", &x->mno_a);
    e = e ? e : pool(x, x->smsr_port, "mno-b", &x->mno_b);
    e = e ? e : pool(x, x->smsr_port, "sp1", &x->sp1);
    if (e == RSP_OK)
        note(x, "started rsp smsc (port %u) and rsp smsr (ES port %u); logs in %s/logs\n", x->smsc_port,
             x->smsr_port, x->dir);
    /* Registered before the cards come up: their first-attach notifications find the SM-SR knowing them. */
    e = e ? e : demo_phase_register(x);
    if (e == RSP_OK)
        note(x, "register: %zu of %zu EIS registered by ES1 over HTTPS, as the EUM (%.2f s)\n", x->sum.registered,
             x->n, x->sum.ph[DEMO_PH_REGISTER].seconds);
    e = e ? e : start_cards(x);
    if (e == RSP_OK)
        note(x, "started rsp euicc run with %zu cards\n", x->n);
    if (e == RSP_OK && !smdp_present(x)) {
        snprintf(x->sum.ph[DEMO_PH_DOWNLOAD].why, sizeof(x->sum.ph[DEMO_PH_DOWNLOAD].why),
                 "`rsp smdp run` (the SM-DP daemon with ES2) is not in this build");
        snprintf(x->sum.ph[DEMO_PH_DELETE].why, sizeof(x->sum.ph[DEMO_PH_DELETE].why),
                 "needs the download phase (MNO-B's profile takes the fall-back attribute first)");
    } else if (e == RSP_OK) {
        x->have_smdp = true;
        e = start_smdp(x);
        e = e ? e : pool(x, x->smdp_port, "mno-b", &x->mno_b_dp);
        if (e == RSP_OK)
            note(x, "started rsp smdp run (MNO-B's SM-DP, ES port %u)\n", x->smdp_port);
    }
    e = e ? e : demo_phase_plma(x);
    if (e == RSP_OK)
        note(x, "plma: %zu PLMA set: SP1 may audit, move the fall-back attribute and delete\n",
             x->sum.ph[DEMO_PH_PLMA].ok);
    if (e == RSP_OK && x->have_smdp) {
        if (x->o->faults)
            e = demo_faults_arm(x);
        e = e ? e : demo_phase_download(x);
        if (e == RSP_OK)
            note(x, "download: MNO-B's profile downloaded on %zu, enabled on %zu of %zu cards by ES2 (%.2f s)\n",
                 x->sum.downloaded, x->sum.enabled, x->n, x->sum.ph[DEMO_PH_DOWNLOAD].seconds);
        e = e ? e : demo_phase_delete(x);
        if (e == RSP_OK)
            note(x, "delete: MNO-A's profile deleted on %zu cards by SP1 (ES4, %.2f s)\n", x->sum.old_deleted,
                 x->sum.ph[DEMO_PH_DELETE].seconds);
    }
    e = e ? e : demo_faults_settle(x);
    e = e ? e : demo_phase_audit(x);
    if (x->sp1 && x->smsr && x->smsr->pid > 0)
        read_metrics(x);
    if (e == RSP_OK && x->o->smsr_change) {
        e = demo_phase_smsr_change(x);
        if (e == RSP_OK)
            note(x, "smsr-change: %zu of %zu cards moved from SM-SR1 to SM-SR2 by MNO-B (ES4 + ES7, %.2f s)\n",
                 x->sum.moved, x->sum.enabled, x->sum.ph[DEMO_PH_SMSR_CHANGE].seconds);
    }
    /* The cards' own state is read with the fleet stopped (its store is then settled). */
    if (x->euicc)
        demo_proc_stop(&x->procs, x->euicc, 5000);
    double ta = now_s();
    rsp_err ec = e ? e : demo_audit_compare(x);
    x->sum.ph[DEMO_PH_AUDIT].seconds += now_s() - ta;
    if (e == RSP_OK && ec == RSP_OK)
        note(x, "audit: %zu cards audited by ES4; the card's own state equals the SM-SR's view on %zu\n",
             x->sum.audited, x->sum.consistent);
    return e ? e : ec;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

int demo_run(const demo_opts *o)
{
    static demo_ctx zero;
    demo_ctx *x = malloc(sizeof(*x));
    if (!x)
        return RSP_EXIT_FAIL;
    *x = zero;
    x->o = o;
    rsp_diag_clear(&x->diag);
    if (o->keep) {
        DIR *d = opendir(o->keep);
        struct dirent *de;
        int entries = 0;
        while (d && (de = readdir(d)) != NULL)
            entries += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        if (d)
            closedir(d);
        if (entries) {
            free(x);
            return rsp_cli_usage_error("demo: --keep %s is not empty (the demo makes a new PKI and fleet)", o->keep);
        }
        snprintf(x->dir, sizeof(x->dir), "%s", o->keep);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(x->dir, sizeof(x->dir), "%s/rsp-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(x->dir)) {
            free(x);
            return rsp_cli_fail("demo: temporary directory", RSP_ERR_IO, NULL);
        }
    }
    if (!strcmp(o->store, "sqlite"))
        snprintf(x->db, sizeof(x->db), "sqlite:%s/smsr.db", x->dir);
    else
        snprintf(x->db, sizeof(x->db), "%s", o->store);
    sigset_t old;
    demo_signals_block(&old);
    /* A daemon killed under a call (--faults, or a crash) must not take the demo with it: a write to
     * its dead socket is an error to handle, not SIGPIPE (the children get the default back). */
    struct sigaction ign, old_pipe;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
    x->sum.euiccs = o->euiccs;
    x->sum.store = strcmp(o->store, "sqlite") ? "postgresql" : "sqlite"; /* never the DSN: it may hold a password */
    x->sum.transport = o->transport;
    x->sum.dir = o->keep;
    x->nsample = o->faults ? (size_t)o->euiccs : AUDIT_SAMPLE;
    x->stamp = (long)time(NULL);
    x->dl_attempt = 1;
    double t0 = now_s();
    rsp_err e = demo_procs_init(&x->procs, x->dir, &old, &x->diag);
    x->idx = calloc((size_t)o->euiccs, sizeof(size_t));
    x->base = event_base_new();
    if (e == RSP_OK && (!x->idx || !x->base))
        e = RSP_ERR_NOMEM;
    e = e ? e : run_phases(x);
    demo_proc_stop_all(&x->procs, 5000);
    x->sum.elapsed_s = now_s() - t0;
    x->sum.procs = &x->procs;
    unsigned conns = 0;
    demo_es *pools[] = {x->eum, x->mno_a, x->mno_b, x->sp1, x->mno_b_dp};
    for (size_t i = 0; i < 5; i++)
        if (pools[i]) {
            conns += demo_es_connects(pools[i]);
            demo_es_free(pools[i]);
        }
    x->sum.es_connections = conns;
    for (size_t i = 0; i < DEMO_PH_N; i++)
        x->sum.failed += x->sum.ph[i].failed;
    char msg[300];
    if (e)
        fprintf(stderr, "rsp: demo: %s\n", rsp_diag_str(&x->diag, e, msg, sizeof(msg)));
    demo_report_table(&x->sum, o->json ? stderr : stdout);
    if (o->json) {
        json_t *j = demo_report_json(&x->sum);
        json_object_set_new(j, "error", e ? json_string(msg) : json_null());
        rsp_cli_json_out(j);
    }
    bool complete = x->have_smdp && x->n > 0 && x->sum.old_deleted == x->n && x->sum.consistent == x->sum.audited;
    if (!e && !complete)
        fprintf(o->json ? stderr : stdout, "  INCOMPLETE: %s\n",
                x->have_smdp ? "not every card ended on MNO-B's profile with MNO-A's deleted"
                             : x->sum.ph[DEMO_PH_DOWNLOAD].why);
    /* Exit 0 only when the switch is whole: every card on MNO-B's profile with MNO-A's deleted (and
     * the audited cards agreeing with the SM-SR). */
    /* --faults: the cards that could not switch are listed; what must hold is that every card agrees
     * with the SM-SR (ES4.GetEIS of each) and nothing failed but the switch of those cards. */
    if (o->faults)
        complete = x->n > 0 && x->sum.audited == x->n && x->sum.consistent == x->n;
    int rc = e || (!o->faults && x->sum.failed) || !complete ? RSP_EXIT_FAIL : RSP_EXIT_OK;
    for (size_t i = 0; i < x->n; i++)
        json_decref(x->cards[i].view);
    free(x->cards);
    free(x->idx);
    json_decref(x->sum.failures);
    demo_faults_free(x);
    if (x->base)
        event_base_free(x->base);
    if (!o->keep)
        nftw(x->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(x);
    /* A Ctrl-C that stopped the demo is taken off the pending set before the mask is restored. */
    if (demo_stopping())
        rc = RSP_EXIT_FAIL;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    struct timespec zero_ts = {0, 0};
    while (sigtimedwait(&s, NULL, &zero_ts) > 0)
        ;
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return rc;
}
