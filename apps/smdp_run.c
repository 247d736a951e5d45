/* rsp smdp download / rsp smdp run: the options of the SM-DP's PKI (CI, EUM certificates, its own
 * ES8 identity), the SM-SR it uses and the daemon's settings, over lib/smdp (runner.c, daemon.c). */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pki_files.h"
#include "rsp/config.h"
#include "rsp/crl.h"
#include "rsp/smdp.h"
#include "rsp/svc.h"
#include "smdp_cmds.h"

#define DP_MAX_EUM 8
typedef struct dp_args {
    const char *dir, *store, *smsr, *cert, *key, *ca, *ci, *dp, *eis_dir, *op, *type, *eid, *id, *crl;
    const char *dialect, *es3_dump; /* --smsr-dialect (NULL: [es3] dialect, else gsma-json), --es3-dump */
    const char *eum[DP_MAX_EUM];
    size_t n_eum;
    bool enable, json;
} dp_args;

/* The trust of admission (CI, EUM certificates) and the SM-DP's ES8 identity, as `rsp ci` leaves
 * them. The TLS files default to the SM-DP's issued folder. */
typedef struct dp_trust {
    rsp_pki_role ci, dp, eum[DP_MAX_EUM];
    rsp_bytes eums[DP_MAX_EUM];
    rsp_smdp_trust t;
    rsp_crl_file *crl;
    char tls[3][1100];
} dp_trust;

static void dp_trust_free(dp_trust *t)
{
    rsp_pki_role_free(&t->ci);
    rsp_pki_role_free(&t->dp);
    rsp_crl_file_free(t->crl);
    t->crl = NULL;
    for (size_t i = 0; i < DP_MAX_EUM; i++)
        rsp_pki_role_free(&t->eum[i]);
}

static rsp_err dp_trust_load(dp_args *a, dp_trust *t, rsp_diag *d)
{
    memset(t, 0, sizeof *t);
    rsp_err e = rsp_pki_load_ci(a->ci, &t->ci, d);
    e = e ? e : rsp_pki_load_issued(a->dp, RSP_GPCERT_ROLE_SMDP, &t->ci, &t->dp, d);
    for (size_t i = 0; e == RSP_OK && i < a->n_eum; i++)
        if ((e = rsp_pki_load_cert(a->eum[i], RSP_GPCERT_ROLE_EUM, &t->ci, &t->eum[i], d)) == RSP_OK)
            t->eums[i] = rsp_buf_view(&t->eum[i].gpcert_der);
    t->t = (rsp_smdp_trust){t->ci.key, t->eums, a->n_eum, NULL};
    /* --crl: read now (a bad CRL stops the start), re-read whenever the file changes */
    if (e == RSP_OK && a->crl && (e = rsp_crl_file_new(a->crl, false, &t->crl)) == RSP_OK)
        e = rsp_crl_file_load(t->crl, d);
    t->t.crl = t->crl;
    const char *names[3] = {"tls.crt.pem", "key.pem", "ca.crt.pem"};
    const char **slot[3] = {&a->cert, &a->key, &a->ca};
    for (int i = 0; e == RSP_OK && i < 3; i++)
        if (!*slot[i]) {
            snprintf(t->tls[i], sizeof t->tls[i], "%s/%s", a->dp, names[i]);
            *slot[i] = t->tls[i];
        }
    return e;
}

/* Parses the options of download and run into a (run-only ones into extra, may be NULL). */
static int dp_parse(int argc, char **argv, dp_args *a, const char **extra, const struct option *more, size_t n_more)
{
    a->json = rsp_cli_take_flag(&argc, argv, "--json");
    a->enable = rsp_cli_take_flag(&argc, argv, "--enable");
    struct option opts[40] = {
        {"dir", 1, 0, 'd'},      {"store", 1, 0, 's'},   {"smsr", 1, 0, 'u'},    {"tls-cert", 1, 0, 'c'},
        {"tls-key", 1, 0, 'k'},  {"tls-ca", 1, 0, 'a'},  {"ci", 1, 0, 'I'},      {"dp", 1, 0, 'P'},
        {"eum", 1, 0, 'M'},      {"eis-dir", 1, 0, 'S'}, {"operator", 1, 0, 'o'}, {"type", 1, 0, 't'},
        {"eid", 1, 0, 'e'},      {"id", 1, 0, 'i'},      {"help", 0, 0, 'h'},    {"crl", 1, 0, 'R'},
        {"smsr-dialect", 1, 0, 'L'}, {"es3-dump", 1, 0, 'D'}};
    size_t n = 18;
    for (size_t i = 0; i < n_more && n < 39; i++)
        opts[n++] = more[i];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->dir = optarg; break;
        case 's': a->store = optarg; break;
        case 'u': a->smsr = optarg; break;
        case 'c': a->cert = optarg; break;
        case 'k': a->key = optarg; break;
        case 'a': a->ca = optarg; break;
        case 'I': a->ci = optarg; break;
        case 'P': a->dp = optarg; break;
        case 'M':
            if (a->n_eum == DP_MAX_EUM)
                return -1;
            a->eum[a->n_eum++] = optarg;
            break;
        case 'S': a->eis_dir = optarg; break;
        case 'o': a->op = optarg; break;
        case 't': a->type = optarg; break;
        case 'e': a->eid = optarg; break;
        case 'i': a->id = optarg; break;
        case 'R': a->crl = optarg; break;
        case 'L': a->dialect = optarg; break;
        case 'D': a->es3_dump = optarg; break;
        case 'h': return -2;
        default:
            if (c >= 1000 && c < 1000 + 32 && extra) {
                extra[c - 1000] = optarg ? optarg : "1";
                break;
            }
            return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

static void dl_trace(void *arg, const char *dl_id, const char *what, unsigned n, rsp_err e, const rsp_diag *d,
                     double seconds)
{
    (void)seconds;
    json_t *calls = arg;
    char m[256] = "";
    if (e != RSP_OK)
        rsp_diag_str(d, e, m, sizeof m);
    if (calls) {
        json_array_append_new(calls, json_pack("{s:s, s:i, s:s, s:s}", "call", what, "n", (int)n, "result",
                                               e == RSP_OK ? "ok" : rsp_err_name(e), "why", m));
        return;
    }
    (void)dl_id;
    if (n)
        printf("  ES3.%s #%u: %s%s%s\n", what, n, e == RSP_OK ? "ok" : "failed", e ? ": " : "", m);
    else
        printf("  ES3.%s: %s%s%s\n", what, e == RSP_OK ? "ok" : "failed", e ? ": " : "", m);
    fflush(stdout);
}

#define SMSR_DIALECT_HELP                                                                                    \
    "  --smsr-dialect: the SM-SR's ES3, gsma-json (default: ours, JSON) or njiwa-soap (SOAP 1.1 as the\n"     \
    "  ES3.wsdl of bagyenda/njiwa, POSTed to /es3; config: [es3] dialect).\n"       \
    "  --es3-dump DIR: each ES3 request written to DIR/<FunctionCallIdentifier>-<Function>.xml|json as sent\n" \
    "  (debugging: exactly what the SM-SR receives).\n"

#define DOWNLOAD_USAGE                                                                                       \
    "usage: rsp smdp download --dir D [--store URI] --smsr https://HOST:PORT --ci CI_DIR --dp DP_DIR\n"        \
    "         --eum EUM_CERT [--eum ...] [--eis-dir DIR] [--crl FILE] [--tls-cert F --tls-key F --tls-ca F]\n"  \
    "         (--operator OP --type T --eid EID [--enable] | --id ID) [--smsr-dialect gsma-json|njiwa-soap]\n" \
    "         [--es3-dump DIR] [--json]\n"                                                                    \
    "  One whole download in the foreground (GetEIS + admission, identity, CreateISDP, ES8 key\n"          \
    "  establishment, SCP03t load, ProfileDownloadCompleted, EnableProfile), each ES3 call printed.\n"     \
    "  --dp: the SM-DP's `rsp ci issue --role smdp` folder (ES8 key and CERT.DP; TLS files by default).\n"  \
    "  --eis-dir: the EUM's EIS files, for CERT.ECASD when the SM-SR's GetEIS carries none.\n"            \
    "  --crl: the CI's CRL (rsp ci crl), re-read when it changes: a revoked EUM's card is refused (8.1/6.1).\n" \
    "  --id: run (or resume) that journalled download; a new one gets --id or cli-<time>-<pid>.\n"        \
    SMSR_DIALECT_HELP                                                                                         \
    "  Exit: 0 done, 1 failed (the journal says how it ended), 2 usage."

/* One download through rsp smsr in the foreground. */
int rsp_smdp_cmd_download(int argc, char **argv)
{
    dp_args a;
    memset(&a, 0, sizeof a);
    int p = dp_parse(argc, argv, &a, NULL, NULL, 0);
    if (p == -2) {
        puts(DOWNLOAD_USAGE);
        return RSP_EXIT_OK;
    }
    rsp_es_dialect dialect = RSP_ES_DIALECT_GSMA;
    if (p < 0 || !a.dir || !a.smsr || !a.ci || !a.dp || !a.n_eum || (!a.id && (!a.op || !a.type || !a.eid)) ||
        (a.dialect && rsp_smdp_es3_dialect_parse(a.dialect, &dialect) != RSP_OK))
        return rsp_cli_usage_error(DOWNLOAD_USAGE);
    rsp_diag d;
    rsp_diag_clear(&d);
    dp_trust tr;
    rsp_err e = dp_trust_load(&a, &tr, &d);
    if (e != RSP_OK) {
        dp_trust_free(&tr);
        rsp_cli_fail("smdp download: PKI", e, &d);
        return RSP_EXIT_FAIL;
    }
    rsp_smdp_inv *inv = NULL;
    if ((e = rsp_smdp_inv_open(a.dir, a.store, &d, &inv)) != RSP_OK) {
        dp_trust_free(&tr);
        rsp_cli_fail("smdp download: opening the inventory", e, &d);
        return RSP_EXIT_FAIL;
    }
    rsp_smdp_dl req, out;
    memset(&req, 0, sizeof req);
    memset(&out, 0, sizeof out);
    if (a.id)
        snprintf(req.id, sizeof req.id, "%s", a.id);
    else
        snprintf(req.id, sizeof req.id, "cli-%lld-%d", (long long)time(NULL), (int)getpid());
    if (rsp_smdp_dl_load(inv, req.id, &out) != RSP_OK) {
        if (!a.op || !a.type || !a.eid) {
            rsp_smdp_inv_close(inv);
            dp_trust_free(&tr);
            return rsp_cli_usage_error("smdp download: no download %s to resume; give --operator, --type, --eid", req.id);
        }
        snprintf(req.op, sizeof req.op, "%s", a.op);
        snprintf(req.type, sizeof req.type, "%s", a.type);
        snprintf(req.eid, sizeof req.eid, "%s", a.eid);
        req.enable = a.enable;
        e = rsp_smdp_dl_start(inv, &req, &d);
    }
    json_t *calls = a.json ? json_array() : NULL;
    rsp_smdp_runner *r = NULL;
    uint8_t mk[32];
    size_t mkl = 0;
    if (e == RSP_OK)
        e = rsp_smdp_master_key(a.dir, NULL, mk, &mkl, &d);
    rsp_smdp_runner_opts ro = {&tr.t, tr.dp.key, tr.dp.gpcert_der.data, tr.dp.gpcert_der.len,
                               {a.smsr, a.cert, a.key, a.ca, NULL, 0, dialect, a.es3_dump}, a.eis_dir, dl_trace, calls, mk, mkl, false};
    rsp_smdp_dl cur;
    if (e == RSP_OK && rsp_smdp_dl_load(inv, req.id, &cur) == RSP_OK) {
        ro.es3.mno_id = cur.op;
        if (!a.json)
            printf("download %s: %s/%s to %s%s\n", req.id, cur.op, cur.type, cur.eid, cur.enable ? " (enable)" : "");
        e = rsp_smdp_runner_new(&ro, &r, &d);
    }
    if (e == RSP_OK)
        e = rsp_smdp_runner_run(r, inv, req.id, (int64_t)time(NULL), &out, &d);
    if (out.id[0]) {
        if (a.json)
            rsp_cli_json_out(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", out.id, "step",
                                       rsp_smdp_dl_step_name(out.step), "outcome", out.outcome, "iccid", out.iccid,
                                       "eid", out.eid, "result", e == RSP_OK ? "done" : "failed", "calls", calls));
        else
            printf("download %s: %s (%s)%s%s\n", out.id, rsp_smdp_dl_step_name(out.step), out.outcome,
                   out.iccid[0] ? " iccid " : "", out.iccid);
        calls = NULL;
    }
    json_decref(calls);
    rsp_wipe(mk, sizeof mk);
    rsp_smdp_runner_free(r);
    rsp_smdp_inv_close(inv);
    dp_trust_free(&tr);
    if (e != RSP_OK)
        rsp_cli_fail("smdp download", e, &d);
    return e == RSP_OK ? RSP_EXIT_OK : RSP_EXIT_FAIL;
}

#define RUN_USAGE                                                                                            \
    "usage: rsp smdp run [--config FILE] --dir D [--store URI] --listen HOST:PORT --smsr https://HOST:PORT\n"  \
    "         --ci CI_DIR --dp DP_DIR --eum EUM_CERT [--eum ...] [--eis-dir DIR] [--crl FILE]\n"                \
    "         [--tls-cert F --tls-key F --tls-ca F] [--smsr-cert F --smsr-key F --smsr-ca F]\n"               \
    "         [--port-file F] [--metrics-listen HOST:PORT] [--workers N] [--operators CN,CN]\n"               \
    "         [--stop-grace-ms MS] [--es3-timeout-ms MS] [--master-key FILE] [--token-key]\n"                 \
    "         [--callbacks OP=https://URL,...] [--smsr-ids CN,...] [--cleanup-retry-ms MS]\n"                 \
    "         [--smsr-dialect gsma-json|njiwa-soap] [--es3-dump DIR]\n"                                      \
    "  The SM-DP daemon: ES2 for Operators over HTTPS mTLS (SOAP and JSON on one port; /metrics, /health),\n" \
    "  DownloadProfile run on worker threads through the SM-SR's ES3, the profile functions relayed over\n"  \
    "  ES3. The Operator is its client certificate's CN. SIGTERM stops gracefully; downloads left\n"        \
    "  unfinished (stop or crash) resume at the next start. --config reads [smdp] (dir, workers, operators,\n" \
    "  ci, dp, eum, eis_dir, es3_timeout_ms, listen, tls_*, port_file, metrics_listen, ...), [es3] url,\n"    \
    "  client_cert, client_key, dialect and [store] uri; options override it. TLS files default to the --dp folder's.\n" \
    "  ISD-P keys (for UpdateConnectivityParameters) are kept sealed under --master-key (32/64 hex digits;\n" \
    "  default D/master.key, made on first start); --token-key puts a master delete token key in each download.\n" \
    "  The SM-SR's ES3 Handle*Notification (from --smsr-ids, default any non-Operator CN) are relayed to the\n"  \
    "  Operator's --callbacks URL over ES2 through the durable outbox. A download whose cleanup (DeleteISDP)\n" \
    "  did not go through runs it again every --cleanup-retry-ms (default 30000).\n"                        \
    SMSR_DIALECT_HELP                                                                                         \
    "  Exit: 0 after a graceful stop, 1 when it cannot start, 2 usage."

enum { RX_CONFIG, RX_LISTEN, RX_PORT_FILE, RX_METRICS, RX_WORKERS, RX_OPERATORS, RX_SMSR_CERT, RX_SMSR_KEY,
       RX_SMSR_CA, RX_GRACE, RX_ES3_TIMEOUT, RX_MASTER_KEY, RX_TOKEN_KEY, RX_CALLBACKS, RX_SMSR_IDS, RX_RETRY, RX_N };

/* [smdp] / [es3] / [store] settings for what the command line left unset. */
static rsp_err run_config(rsp_config *c, dp_args *a, const char **x, rsp_svc_opts *so, char *eums, size_t cap,
                          rsp_diag *d)
{
    rsp_err e = rsp_svc_opts_from_config(c, "smdp", so, d);
    const char *v = NULL;
    struct {
        const char *sec, *key, **dst;
    } str[] = {{"smdp", "dir", &a->dir},           {"smdp", "ci", &a->ci},
               {"smdp", "dp", &a->dp},             {"smdp", "eis_dir", &a->eis_dir},
               {"smdp", "crl", &a->crl},
               {"es3", "url", &a->smsr},           {"es3", "client_cert", &x[RX_SMSR_CERT]},
               {"es3", "client_key", &x[RX_SMSR_KEY]}, {"store", "uri", &a->store},
               {"smdp", "operators", &x[RX_OPERATORS]}};
    for (size_t i = 0; e == RSP_OK && i < sizeof str / sizeof str[0]; i++)
        if (!*str[i].dst && rsp_config_is_set(c, str[i].sec, str[i].key) &&
            rsp_config_get_str(c, str[i].sec, str[i].key, &v) == RSP_OK && *v)
            *str[i].dst = v;
    if (e == RSP_OK && !a->smsr && rsp_config_get_str(c, "es3", "url", &v) == RSP_OK)
        a->smsr = v;
    int dialect = 0; /* the index in "gsma-json,njiwa-soap" (lib/core/config.c) */
    if (e == RSP_OK && !a->dialect && rsp_config_is_set(c, "es3", "dialect") &&
        rsp_config_get_enum(c, "es3", "dialect", &dialect) == RSP_OK)
        a->dialect = dialect == 1 ? "njiwa-soap" : "gsma-json";
    if (e == RSP_OK && !a->n_eum && rsp_config_get_str(c, "smdp", "eum", &v) == RSP_OK && *v) {
        snprintf(eums, cap, "%s", v);
        for (char *p = strtok(eums, ","); p && a->n_eum < DP_MAX_EUM; p = strtok(NULL, ","))
            a->eum[a->n_eum++] = p;
    }
    return e;
}

/* The daemon: options (and --config) into rsp_smdp_daemon_opts, then rsp_smdp_daemon_run. */
int rsp_smdp_cmd_run(int argc, char **argv)
{
    static const struct option more[] = {
        {"config", 1, 0, 1000 + RX_CONFIG},         {"listen", 1, 0, 1000 + RX_LISTEN},
        {"port-file", 1, 0, 1000 + RX_PORT_FILE},   {"metrics-listen", 1, 0, 1000 + RX_METRICS},
        {"workers", 1, 0, 1000 + RX_WORKERS},       {"operators", 1, 0, 1000 + RX_OPERATORS},
        {"smsr-cert", 1, 0, 1000 + RX_SMSR_CERT},   {"smsr-key", 1, 0, 1000 + RX_SMSR_KEY},
        {"smsr-ca", 1, 0, 1000 + RX_SMSR_CA},       {"stop-grace-ms", 1, 0, 1000 + RX_GRACE},
        {"es3-timeout-ms", 1, 0, 1000 + RX_ES3_TIMEOUT}, {"master-key", 1, 0, 1000 + RX_MASTER_KEY},
        {"token-key", 0, 0, 1000 + RX_TOKEN_KEY},     {"callbacks", 1, 0, 1000 + RX_CALLBACKS},
        {"smsr-ids", 1, 0, 1000 + RX_SMSR_IDS},     {"cleanup-retry-ms", 1, 0, 1000 + RX_RETRY}};
    dp_args a;
    memset(&a, 0, sizeof a);
    const char *x[RX_N] = {0};
    int p = dp_parse(argc, argv, &a, x, more, sizeof more / sizeof more[0]);
    if (p == -2) {
        puts(RUN_USAGE);
        return RSP_EXIT_OK;
    }
    if (p < 0)
        return rsp_cli_usage_error(RUN_USAGE);
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_svc_opts so;
    memset(&so, 0, sizeof so);
    rsp_config *cfg = NULL;
    char eums[1024];
    int64_t workers = 0, es3_to = 0;
    rsp_err e = RSP_OK;
    if (x[RX_CONFIG]) {
        extern char **environ;
        size_t unknown = 0;
        e = rsp_config_new(NULL, 0, &cfg);
        e = e ? e : rsp_config_load(cfg, x[RX_CONFIG], &d);
        e = e ? e : rsp_config_apply_env(cfg, (const char *const *)environ);
        e = e ? e : rsp_config_check(cfg, &d, &unknown);
        e = e ? e : run_config(cfg, &a, x, &so, eums, sizeof eums, &d);
        if (e == RSP_OK && !x[RX_WORKERS])
            rsp_config_get_int(cfg, "smdp", "workers", &workers);
        if (e == RSP_OK && !x[RX_ES3_TIMEOUT])
            rsp_config_get_int(cfg, "smdp", "es3_timeout_ms", &es3_to);
        if (e != RSP_OK) {
            rsp_config_free(cfg);
            return rsp_cli_usage_error("smdp run: %s: %s", x[RX_CONFIG], d.msg[0] ? d.msg : rsp_err_msg(e));
        }
    }
    if (x[RX_LISTEN])
        so.listen = x[RX_LISTEN];
    if (x[RX_PORT_FILE])
        so.port_file = x[RX_PORT_FILE];
    if (x[RX_METRICS])
        so.metrics_listen = x[RX_METRICS];
    if (x[RX_GRACE])
        so.stop_grace_ms = (unsigned)strtoul(x[RX_GRACE], NULL, 10);
    if (x[RX_WORKERS])
        workers = strtol(x[RX_WORKERS], NULL, 10);
    if (x[RX_ES3_TIMEOUT])
        es3_to = strtol(x[RX_ES3_TIMEOUT], NULL, 10);
    long retry = x[RX_RETRY] ? strtol(x[RX_RETRY], NULL, 10) : 0;
    rsp_es_dialect dialect = RSP_ES_DIALECT_GSMA;
    if (a.dialect && rsp_smdp_es3_dialect_parse(a.dialect, &dialect) != RSP_OK) {
        rsp_config_free(cfg);
        return rsp_cli_usage_error("smdp run: --smsr-dialect %s: want gsma-json or njiwa-soap", a.dialect);
    }
    if (!a.dir || !a.smsr || !a.ci || !a.dp || !a.n_eum || !so.listen || workers < 0 || workers > 64 || es3_to < 0 ||
        (x[RX_RETRY] && (retry < 100 || retry > 86400000))) {
        rsp_config_free(cfg);
        return rsp_cli_usage_error(RUN_USAGE);
    }
    if (!a.cert)
        a.cert = so.tls_cert;
    if (!a.key)
        a.key = so.tls_key;
    if (!a.ca)
        a.ca = so.tls_ca;
    dp_trust tr;
    e = dp_trust_load(&a, &tr, &d);
    uint8_t mk[32];
    size_t mkl = 0;
    if (e == RSP_OK && mkdir(a.dir, 0700) != 0 && errno != EEXIST)
        e = rsp_diag_set(&d, RSP_ERR_IO, "cannot make %s", a.dir);
    e = e ? e : rsp_smdp_master_key(a.dir, x[RX_MASTER_KEY], mk, &mkl, &d);
    int rc = RSP_EXIT_OK;
    if (e == RSP_OK) {
        so.tls_cert = a.cert;
        so.tls_key = a.key;
        so.tls_ca = a.ca;
        rsp_smdp_daemon_opts o = {a.dir,
                                  a.store,
                                  &so,
                                  a.smsr,
                                  x[RX_SMSR_CERT],
                                  x[RX_SMSR_KEY],
                                  x[RX_SMSR_CA],
                                  x[RX_OPERATORS],
                                  &tr.t,
                                  tr.dp.key,
                                  tr.dp.gpcert_der.data,
                                  tr.dp.gpcert_der.len,
                                  a.eis_dir,
                                  (unsigned)workers,
                                  (unsigned)es3_to,
                                  mk,
                                  mkl,
                                  x[RX_TOKEN_KEY] != NULL,
                                  x[RX_CALLBACKS],
                                  x[RX_SMSR_IDS],
                                  (unsigned)retry,
                                  dialect,
                                  a.es3_dump};
        e = rsp_smdp_daemon_run(&o, &d);
    }
    if (e != RSP_OK) {
        rsp_cli_fail("smdp run", e, &d);
        rc = RSP_EXIT_FAIL;
    }
    rsp_wipe(mk, sizeof mk);
    dp_trust_free(&tr);
    rsp_config_free(cfg);
    return rc;
}

