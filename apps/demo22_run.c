/* `rsp demo sgp22`: issue 14's consumer story, every role a real process of this binary on loopback:
 * rsp smds run (the SM-DS), rsp smdpp run (the SM-DP+, ES9+ and ES2+), and per device `rsp lpa` on its
 * own simulated consumer card (direct attachment, one card folder each, made by rsp eum make --sgp22).
 * The operator (this process) orders N profiles over ES2+ (DownloadOrder + ConfirmOrder, mutual TLS):
 * the even devices get an activation code, the odd ones are found through the SM-DS (ConfirmOrder with
 * smdsAddress: the SM-DP+ registers an event by ES12). One state table:
 *
 * | phase       | what                                                          | counted per device    |
 * | pki         | SGP.22 CI, EUM, DPauth/DPpb/DPtls, DSauth/DStls; operators' CA | -                     |
 * | manufacture | N consumer cards; the SM-DP+'s pool of N identities            | -                     |
 * | start       | rsp smds run, rsp smdpp run (port files)                       | -                     |
 * | order       | ES2+ DownloadOrder(eid) + ConfirmOrder(releaseFlag, [smds])    | matchingId, ICCID     |
 * | download    | rsp lpa profile download (AC) / profile discover (SM-DS)      | installed (PIR sent)  |
 * | enable      | rsp lpa profile enable ICCID                                   | result 0              |
 * | notify      | rsp lpa notification process (the enable notification)        | every one sent        |
 * | check       | the SM-DP+: each order installed (rsp smdpp show), /metrics    | order installed       |
 *
 * Exit 0 only when every device installed and enabled its profile, every notification was taken and
 * the SM-DP+'s counters agree; 1 otherwise (what failed is listed); 2 usage. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "demo.h"
#include "demo22.h"
#include "rsp/es9p.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail_dev(d22 *x, int ph, const d22_dev *d, const char *why)
{
    x->ph[ph].failed++;
    if (!x->ph[ph].why[0])
        snprintf(x->ph[ph].why, sizeof(x->ph[ph].why), "%s: %s", d ? d->eid : "-", why);
    if (json_array_size(x->failures) < 20)
        json_array_append_new(x->failures, json_pack("{s:s,s:s,s:s}", "phase", d22_phase_names[ph], "eid", d ? d->eid : "",
                                                     "reason", why));
}

/* `rsp ARGS...` to its end under name; stdout to out (NULL: the log). A non-zero exit is an error. */
static rsp_err run(d22 *x, const char *name, const char *const *argv, const char *out, int *rc_out)
{
    int rc = 0;
    rsp_err e = demo_proc_run(&x->procs, name, argv, out, &rc, &x->diag);
    if (rc_out)
        *rc_out = rc;
    if (!e && rc != 0 && !rc_out)
        e = rsp_diag_set(&x->diag, RSP_ERR_STATE, "rsp %s %s exited %d (see %s/logs/%s.log)", argv[0], argv[1], rc,
                         x->dir, name);
    return e;
}

static const char *path(d22 *x, const char *fmt, const char *a)
{
    snprintf(x->p, sizeof(x->p), fmt, x->dir, a);
    return x->p;
}

static rsp_err phase_pki(d22 *x)
{
    char ci[500], eum[500], dp[500], opci[500], op[500];
    snprintf(ci, sizeof(ci), "%s/ci", x->dir);
    snprintf(eum, sizeof(eum), "%s/eum", x->dir);
    snprintf(opci, sizeof(opci), "%s/operators-ca", x->dir);
    snprintf(op, sizeof(op), "%s/operator", x->dir);
    const char *init[] = {"ci", "init", "--sgp22", "--dir", ci, NULL};
    const char *iss_eum[] = {"ci", "issue", "--sgp22", "--dir", ci, "--role", "eum", "--id", "EUM", "--org", "Demo EUM",
                             "--eid-prefix", "89049032", "--out", eum, NULL};
    const char *opinit[] = {"ci", "init", "--dir", opci, NULL};
    const char *opiss[] = {"ci", "issue", "--dir", opci, "--role", "operator", "--id", "MNO", "--out", op, NULL};
    rsp_err e = run(x, "ci", init, NULL, NULL);
    e = e ? e : run(x, "ci", iss_eum, NULL, NULL);
    e = e ? e : run(x, "ci", opinit, NULL, NULL);
    e = e ? e : run(x, "ci", opiss, NULL, NULL);
    static const char *const roles[][4] = {{"dpauth", "DPauth", "smdpp/dpauth", "2.999.10"},
                                           {"dppb", "DPpb", "smdpp/dppb", "2.999.10"},
                                           {"dptls", "DPtls", "smdpp/dptls", "2.999.10"},
                                           {"dsauth", "DSauth", "smds/dsauth", "2.999.20"},
                                           {"dstls", "DStls", "smds/dstls", "2.999.20"}};
    for (size_t i = 0; !e && i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (i >= 3 && !x->have_smds)
            break;
        snprintf(dp, sizeof(dp), "%s/%s", x->dir, roles[i][2]);
        bool tls = strstr(roles[i][0], "tls") != NULL;
        const char *iss[] = {"ci", "issue", "--sgp22", "--dir", ci, "--role", roles[i][0], "--id", roles[i][1],
                             "--oid", roles[i][3], "--out", dp, tls ? "--dns" : NULL, "localhost", NULL};
        e = run(x, "ci", iss, NULL, NULL);
    }
    return e;
}

static rsp_err phase_make(d22 *x)
{
    char ci[500], eum[500], cards[500], dp[500], count[16];
    snprintf(ci, sizeof(ci), "%s/ci", x->dir);
    snprintf(eum, sizeof(eum), "%s/eum", x->dir);
    snprintf(cards, sizeof(cards), "%s/cards", x->dir);
    snprintf(dp, sizeof(dp), "%s/smdpp", x->dir);
    snprintf(count, sizeof(count), "%d", x->n);
    const char *make[] = {"eum", "make", "--sgp22", "--ci", ci, "--eum", eum, "--count", count, "--out", cards, NULL};
    const char *pkg[] = {"smdp", "import", "package", "--dir", dp, "--operator", "MNO", "--type", "T48", x->profile, NULL};
    const char *gen[] = {"smdp", "import", "generate", "--dir", dp, "--operator", "MNO", "--type", "T48", "--count", count,
                         "--iccid-prefix", "8944502", NULL};
    rsp_err e = run(x, "eum", make, NULL, NULL);
    e = e ? e : run(x, "smdp", pkg, NULL, NULL);
    e = e ? e : run(x, "smdp", gen, NULL, NULL);
    if (e)
        return e;
    DIR *d = opendir(cards);
    struct dirent *de;
    int k = 0;
    while (d && (de = readdir(d)) != NULL && k < x->n)
        if (strlen(de->d_name) == 32 && strspn(de->d_name, "0123456789") == 32)
            snprintf(x->devs[k++].eid, sizeof(x->devs[0].eid), "%.32s", de->d_name);
    if (d)
        closedir(d);
    if (k != x->n)
        return rsp_diag_set(&x->diag, RSP_ERR_STATE, "%d cards in %s, %d expected", k, cards, x->n);
    for (int i = 0; i < x->n; i++)
        x->devs[i].via_smds = x->have_smds && (i % 2) == 1;
    return RSP_OK;
}

typedef struct port_wait {
    const char *file;
} port_wait;

static bool port_ready(void *arg)
{
    struct stat st;
    return stat(((port_wait *)arg)->file, &st) == 0 && st.st_size > 0;
}

static rsp_err read_port(d22 *x, const char *file, uint16_t *port)
{
    FILE *f = fopen(file, "r");
    unsigned v = 0;
    bool ok = f && fscanf(f, "%u", &v) == 1 && v > 0 && v < 65536;
    if (f)
        fclose(f);
    *port = (uint16_t)v;
    return ok ? RSP_OK : rsp_diag_set(&x->diag, RSP_ERR_FORMAT, "port file %s unreadable", file);
}

static rsp_err start_daemon(d22 *x, const char *name, const char *const *argv, const char *const *files,
                            uint16_t *const *ports, demo_child **c)
{
    rsp_err e = demo_proc_start(&x->procs, name, argv, c, &x->diag);
    for (size_t i = 0; !e && files[i]; i++) {
        port_wait w = {files[i]};
        e = demo_proc_wait_ready(&x->procs, *c, port_ready, &w, 60000, &x->diag);
        e = e ? e : read_port(x, files[i], ports[i]);
    }
    return e;
}

static rsp_err phase_start(d22 *x)
{
    char dp[500], pf[500], ef[500], mf[500], opca[500], dsd[500], sf[500], lf[500], ca[500];
    snprintf(ca, sizeof(ca), "%s/ci/ci.crt.pem", x->dir);
    snprintf(dp, sizeof(dp), "%s/smdpp", x->dir);
    snprintf(pf, sizeof(pf), "%s/smdpp.port", x->dir);
    snprintf(ef, sizeof(ef), "%s/smdpp-es2.port", x->dir);
    snprintf(mf, sizeof(mf), "%s/smdpp-metrics.port", x->dir);
    snprintf(opca, sizeof(opca), "%s/operators-ca/ci.crt.pem", x->dir);
    snprintf(dsd, sizeof(dsd), "%s/smds", x->dir);
    snprintf(sf, sizeof(sf), "%s/smds.port", x->dir);
    snprintf(lf, sizeof(lf), "%s/smds-es12.port", x->dir);
    rsp_err e = RSP_OK;
    if (x->have_smds) {
        /* ES11 for the LPAs on one port, ES12 for the SM-DP+ (mutual TLS: its DPtls, our CI) on another */
        const char *argv[] = {"smds", "run", "--dir", dsd, "--address", "localhost", "--listen", "127.0.0.1:0",
                              "--port-file", sf, "--es12-listen", "127.0.0.1:0", "--es12-ca", ca, "--es12-port-file",
                              lf, NULL};
        const char *files[] = {sf, lf, NULL};
        uint16_t *ports[] = {&x->smds_port, &x->es12_port};
        e = start_daemon(x, "smds", argv, files, ports, &x->smds);
        snprintf(x->smds_addr, sizeof(x->smds_addr), "localhost:%u", x->smds_port);
        snprintf(x->es12_addr, sizeof(x->es12_addr), "localhost:%u", x->es12_port);
    }
    /* /metrics on a plain port of its own (the check reads the notifications the SM-DP+ counted) */
    const char *argv[] = {"smdpp", "run", "--dir", dp, "--address", "localhost", "--listen", "127.0.0.1:0",
                          "--port-file", pf, "--es2-listen", "127.0.0.1:0", "--es2-ca", opca, "--es2-port-file", ef,
                          "--metrics-listen", "127.0.0.1:0", "--metrics-port-file", mf,
                          x->have_smds ? "--smds-ca" : NULL, ca, NULL};
    const char *files[] = {pf, ef, mf, NULL};
    uint16_t *ports[] = {&x->smdpp_port, &x->es2_port, &x->smdpp_mport};
    e = e ? e : start_daemon(x, "smdpp", argv, files, ports, &x->smdpp);
    snprintf(x->smdpp_addr, sizeof(x->smdpp_addr), "localhost:%u", x->smdpp_port);
    return e;
}

static rsp_err phase_order(d22 *x)
{
    char cert[500], key[500], ca[500];
    snprintf(cert, sizeof(cert), "%s/operator/tls.crt.pem", x->dir);
    snprintf(key, sizeof(key), "%s/operator/key.pem", x->dir);
    snprintf(ca, sizeof(ca), "%s/ci/ci.crt.pem", x->dir);
    d22_es2 *c = NULL;
    rsp_err e = d22_es2_new("localhost", x->es2_port, cert, key, ca, &c, &x->diag);
    for (int i = 0; !e && i < x->n; i++) {
        d22_dev *d = &x->devs[i];
        rsp_es2p_msg q, a;
        rsp_es2p_msg_init(&q, RSP_ES2P_DOWNLOAD_ORDER, false);
        snprintf(q.requester, sizeof(q.requester), "MNO");
        snprintf(q.call_id, sizeof(q.call_id), "demo22-do-%d", i);
        snprintf(q.eid, sizeof(q.eid), "%s", d->eid);
        snprintf(q.profile_type, sizeof(q.profile_type), "T48");
        rsp_diag dd = {0};
        char why[300] = "";
        if (d22_es2_call(c, &q, &a, &dd) != RSP_OK || a.header.status != RSP_ES9P_SUCCESS) {
            snprintf(why, sizeof(why), "downloadOrder: %.150s %s/%s %.100s", dd.msg, a.header.subject_code,
                     a.header.reason_code, a.header.message);
            fail_dev(x, PH_ORDER, d, why);
            continue;
        }
        snprintf(d->iccid, sizeof(d->iccid), "%s", a.iccid);
        rsp_es2p_msg_init(&q, RSP_ES2P_CONFIRM_ORDER, false);
        snprintf(q.requester, sizeof(q.requester), "MNO");
        snprintf(q.call_id, sizeof(q.call_id), "demo22-co-%d", i);
        snprintf(q.eid, sizeof(q.eid), "%s", d->eid);
        snprintf(q.iccid, sizeof(q.iccid), "%s", d->iccid);
        q.release_flag = 1;
        if (d->via_smds)
            snprintf(q.smds_address, sizeof(q.smds_address), "%s", x->es12_addr);
        if (d22_es2_call(c, &q, &a, &dd) != RSP_OK || a.header.status != RSP_ES9P_SUCCESS) {
            snprintf(why, sizeof(why), "confirmOrder: %.150s %s/%s %.100s", dd.msg, a.header.subject_code,
                     a.header.reason_code, a.header.message);
            fail_dev(x, PH_ORDER, d, why);
            continue;
        }
        snprintf(d->mid, sizeof(d->mid), "%s", a.matching_id);
        rsp_es9p_ac ac;
        memset(&ac, 0, sizeof(ac));
        snprintf(ac.address, sizeof(ac.address), "%s", a.smdp_address[0] ? a.smdp_address : x->smdpp_addr);
        snprintf(ac.matching_id, sizeof(ac.matching_id), "%s", d->mid);
        if (rsp_es9p_ac_print(&ac, d->ac, sizeof(d->ac)) != RSP_OK) {
            fail_dev(x, PH_ORDER, d, "the answer makes no activation code");
            continue;
        }
        d->ordered = true;
        x->ph[PH_ORDER].ok++;
    }
    d22_es2_free(c);
    return e;
}

/* `rsp lpa --card DIR --json ARGS...` for device d; its JSON answer (NULL if none) and exit code. */
static json_t *lpa(d22 *x, const d22_dev *d, const char *const *args, int *rc)
{
    const char *argv[24] = {"lpa", "--card", NULL, "--json"};
    char card[500], out[500];
    snprintf(card, sizeof(card), "%s/cards/%s", x->dir, d->eid);
    snprintf(out, sizeof(out), "%s/out/%s.%s.json", x->dir, d->eid, args[1]);
    argv[2] = card;
    size_t n = 4;
    for (size_t i = 0; args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    *rc = -1;
    if (run(x, "lpa", argv, out, rc) != RSP_OK)
        return NULL;
    return json_load_file(out, 0, NULL);
}

static void device_steps(d22 *x, d22_dev *d, const char *ca)
{
    int rc;
    char why[400];
    const char *dl_ac[] = {"profile", "download", "--activation-code", d->ac, "--ca", ca, NULL};
    const char *dl_ds[] = {"profile", "discover", "--smds", x->smds_addr, "--ca", ca, NULL};
    double t = now_s();
    json_t *j = lpa(x, d, d->via_smds ? dl_ds : dl_ac, &rc);
    json_t *r = d->via_smds ? json_array_get(json_object_get(j, "events"), 0) : j;
    const char *iccid = json_string_value(json_object_get(r, "iccid"));
    d->installed = rc == 0 && json_is_true(json_object_get(r, "installed")) && iccid && !strcmp(iccid, d->iccid) &&
                   (!d->via_smds || json_array_size(json_object_get(j, "events")) == 1);
    const char *err = json_string_value(json_object_get(j, "error"));
    snprintf(why, sizeof(why), "%s exit %d: %s", d->via_smds ? "discover" : "download", rc,
             err ? err : iccid ? "another profile than ordered" : "no result");
    d->installed ? x->ph[PH_DOWNLOAD].ok++ : (fail_dev(x, PH_DOWNLOAD, d, why), 0);
    json_decref(j);
    x->ph[PH_DOWNLOAD].seconds += now_s() - t;
    if (!d->installed)
        return;
    t = now_s();
    const char *en[] = {"profile", "enable", d->iccid, NULL};
    j = lpa(x, d, en, &rc);
    d->enabled = rc == 0 && json_integer_value(json_object_get(j, "result")) == 0;
    snprintf(why, sizeof(why), "enable exit %d, result %lld", rc, (long long)json_integer_value(json_object_get(j, "result")));
    d->enabled ? x->ph[PH_ENABLE].ok++ : (fail_dev(x, PH_ENABLE, d, why), 0);
    json_decref(j);
    x->ph[PH_ENABLE].seconds += now_s() - t;
    t = now_s();
    const char *np[] = {"notification", "process", "--ca", ca, NULL};
    j = lpa(x, d, np, &rc);
    size_t sent = 0, k;
    json_t *v;
    json_array_foreach(j, k, v) sent += json_is_true(json_object_get(v, "sent"));
    d->notified = rc == 0 && sent >= 1 && sent == json_array_size(j);
    snprintf(why, sizeof(why), "notification process exit %d: %zu of %zu sent", rc, sent, json_array_size(j));
    d->notified ? x->ph[PH_NOTIFY].ok++ : (fail_dev(x, PH_NOTIFY, d, why), 0);
    json_decref(j);
    x->ph[PH_NOTIFY].seconds += now_s() - t;
}

static rsp_err phase_devices(d22 *x)
{
    char ca[500];
    snprintf(ca, sizeof(ca), "%s/ci/ci.crt.pem", x->dir);
    if (rsp_cli_mkdirs(path(x, "%s/out%s", "")) != RSP_OK)
        return rsp_diag_set(&x->diag, RSP_ERR_IO, "cannot create %s", x->p);
    double t0 = now_s(), last = t0;
    for (int i = 0; i < x->n && !demo_stopping(); i++) {
        if (x->devs[i].ordered)
            device_steps(x, &x->devs[i], ca);
        if (now_s() - last > 2 || i + 1 == x->n) {
            fprintf(stderr, "  devices   %d/%d done: installed %zu, enabled %zu, notified %zu, failed %zu\n", i + 1,
                    x->n, x->ph[PH_DOWNLOAD].ok, x->ph[PH_ENABLE].ok, x->ph[PH_NOTIFY].ok,
                    x->ph[PH_DOWNLOAD].failed + x->ph[PH_ENABLE].failed + x->ph[PH_NOTIFY].failed);
            last = now_s();
        }
    }
    return demo_stopping() ? rsp_diag_set(&x->diag, RSP_ERR_STATE, "stopped (signal)") : RSP_OK;
}

/* The SM-DP+'s view: each order installed (its own state, read with rsp smdpp show), and its
 * handleNotification counter: one PIR and one enable notification per device. */
static rsp_err phase_check(d22 *x)
{
    char dp[500], out[500], ca[500];
    snprintf(dp, sizeof(dp), "%s/smdpp", x->dir);
    snprintf(out, sizeof(out), "%s/out/show.json", x->dir);
    snprintf(ca, sizeof(ca), "%s/ci/ci.crt.pem", x->dir);
    size_t want = 0;
    for (int i = 0; i < x->n; i++) {
        d22_dev *d = &x->devs[i];
        if (!d->ordered)
            continue;
        const char *argv[] = {"smdpp", "show", "--dir", dp, "--address", "localhost", "--matching-id", d->mid, "--json",
                              NULL};
        int rc = 0;
        json_t *j = run(x, "smdpp-show", argv, out, &rc) == RSP_OK ? json_load_file(out, 0, NULL) : NULL;
        const char *st = json_string_value(json_object_get(j, "state"));
        d->checked = rc == 0 && st && !strcmp(st, "installed");
        char why[200];
        snprintf(why, sizeof(why), "order %s at the SM-DP+: %s", d->mid, st ? st : "unknown");
        d->checked ? x->ph[PH_CHECK].ok++ : (fail_dev(x, PH_CHECK, d, why), 0);
        want += (size_t)d->installed + (size_t)d->notified;
        json_decref(j);
    }
    rsp_diag md = {0};
    if (d22_smdpp_metric(x->smdpp_mport, "rsp_smdpp_es9_calls_total", "function=\"handleNotification\",result=\"ok\"",
                         &x->notifications, &md) != RSP_OK) {
        fail_dev(x, PH_CHECK, NULL, md.msg);
    } else if (x->notifications < (double)want) {
        char why[200];
        snprintf(why, sizeof(why), "the SM-DP+ counted %.0f notifications, %zu sent", x->notifications, want);
        fail_dev(x, PH_CHECK, NULL, why);
    }
    return RSP_OK;
}

typedef rsp_err (*phase_fn)(d22 *x);

static rsp_err run_phases(d22 *x)
{
    /* the SM-DS half runs when this build has `rsp smds` */
    const char *probe[] = {"smds", "--help", NULL};
    int rc = 1;
    x->have_smds = demo_proc_run(&x->procs, "probe", probe, "/dev/null", &rc, NULL) == RSP_OK && rc == 0;
    static const struct { int ph; phase_fn fn; const char *what; } steps[] = {
        {PH_PKI, phase_pki, "SGP.22 PKI (CI, EUM, SM-DP+ and SM-DS certificates) and the operators' CA"},
        {PH_MAKE, phase_make, "consumer cards and the SM-DP+'s identity pool"},
        {PH_START, phase_start, "rsp smds run, rsp smdpp run"},
        {PH_ORDER, phase_order, "ES2+ DownloadOrder + ConfirmOrder per device"},
        {PH_DOWNLOAD, phase_devices, "each device: download or discover, enable, notifications"},
        {PH_CHECK, phase_check, "the SM-DP+'s orders and counters"},
    };
    rsp_err e = RSP_OK;
    for (size_t i = 0; !e && i < sizeof(steps) / sizeof(steps[0]); i++) {
        fprintf(stderr, "  %-12s %s\n", d22_phase_names[steps[i].ph], steps[i].what);
        double t = now_s();
        e = steps[i].fn(x);
        if (steps[i].ph != PH_DOWNLOAD)
            x->ph[steps[i].ph].seconds += now_s() - t;
        if (!e && steps[i].ph <= PH_START)
            x->ph[steps[i].ph].ok++;
    }
    return e;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static const char USAGE[] =
    "usage: rsp demo sgp22 [--devices N] [--keep DIR] [--profile PKG.der] [--json]\n"
    "  Consumer RSP (SGP.22) end to end, every role a real process of this binary on loopback: rsp smds\n"
    "  run (SM-DS), rsp smdpp run (SM-DP+: ES9+ for LPAs, ES2+ for the operator over mutual TLS) and N\n"
    "  devices, each `rsp lpa` on its own simulated consumer eUICC (rsp eum make --sgp22, direct\n"
    "  attachment). The operator orders N profiles by ES2+ (DownloadOrder + ConfirmOrder); even devices get\n"
    "  an activation code, odd ones find theirs through the SM-DS (ConfirmOrder with smdsAddress: ES12\n"
    "  RegisterEvent, then ES11 from the LPA). Every device installs, enables and sends its notifications;\n"
    "  the SM-DP+'s orders and counters are checked.\n"
    "  --devices N   devices (1..1000, default 4)\n"
    "  --keep DIR    run in DIR (empty or absent) and keep it; default a temporary directory, removed\n"
    "  --json        the report as one JSON object, the last line of stdout (progress and table on stderr)\n"
    "  Exit: 0 every device installed and enabled its profile and the SM-DP+ took every notification,\n"
    "  1 otherwise (failures listed), 2 usage.\n";

int rsp_demo22(int argc, char **argv)
{
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        fputs(USAGE, stdout);
        return RSP_EXIT_OK;
    }
    int n = 4;
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    const char *keep = NULL;
    char pbuf[1024];
    const char *shared = getenv("RSP_SHARED_DIR"), *profile = pbuf;
    snprintf(pbuf, sizeof(pbuf), "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", shared && *shared ? shared : "../shared");
    static const struct option opts[] = {{"devices", 1, 0, 'n'}, {"keep", 1, 0, 'k'}, {"profile", 1, 0, 'p'}, {0, 0, 0, 0}};
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            n = (int)strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 1000)
                return rsp_cli_usage_error("demo sgp22: --devices must be 1..1000, not '%s'", optarg);
            break;
        case 'k': keep = optarg; break;
        case 'p': profile = optarg; break;
        default: return RSP_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return rsp_cli_usage_error("demo sgp22: unexpected argument '%s'", argv[optind]);
    if (access(profile, R_OK) != 0)
        return rsp_cli_usage_error("demo sgp22: cannot read the profile package %s (RSP_SHARED_DIR or --profile)",
                                   profile);
    if (keep) {
        DIR *d = opendir(keep);
        struct dirent *de;
        int entries = 0;
        while (d && (de = readdir(d)) != NULL)
            entries += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        if (d)
            closedir(d);
        if (entries)
            return rsp_cli_usage_error("demo sgp22: --keep %s is not empty", keep);
        if (strlen(keep) >= sizeof(((d22 *)0)->dir) || rsp_cli_mkdirs(keep) != RSP_OK)
            return rsp_cli_usage_error("demo sgp22: cannot use --keep %s", keep);
    }
    static d22 zero;
    d22 *x = malloc(sizeof(*x));
    if (!x)
        return RSP_EXIT_FAIL;
    *x = zero;
    x->n = n;
    x->json = json;
    x->keep = keep;
    x->profile = profile;
    if (keep) {
        snprintf(x->dir, sizeof(x->dir), "%s", keep);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(x->dir, sizeof(x->dir), "%s/rsp-demo22-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(x->dir)) {
            free(x);
            return rsp_cli_fail("demo sgp22: temporary directory", RSP_ERR_IO, NULL);
        }
    }
    sigset_t old;
    demo_signals_block(&old);
    struct sigaction ign, old_pipe;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
    x->devs = calloc((size_t)x->n, sizeof(*x->devs));
    x->failures = json_array();
    double t0 = now_s();
    rsp_err e = x->devs ? demo_procs_init(&x->procs, x->dir, &old, &x->diag) : RSP_ERR_NOMEM;
    e = e ? e : run_phases(x);
    demo_proc_stop_all(&x->procs, 5000);
    d22_report(x, e, now_s() - t0);
    int rc = !e && d22_complete(x) ? RSP_EXIT_OK : RSP_EXIT_FAIL;
    if (!x->keep)
        nftw(x->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    json_decref(x->failures);
    free(x->devs);
    free(x);
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
