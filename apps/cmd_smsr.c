/* `rsp smsr`: the SM-SR daemon (run) and its operator tools on the same store (import, submit,
 * result). The logic lives in lib/smsr; this file only parses arguments and prints. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "eum_eis.h"
#include "pki_files.h"
#include "rsp/crypto.h"
#include "rsp/es.h"
#include "rsp/es_types.h"
#include "rsp/hostport.h"
#include "rsp/crl.h"
#include "rsp/smsr.h"
#include "rsp/smsr_console.h"
#include "smsr_config.h"

static const char USAGE[] =
    "usage: rsp smsr run [--config FILE] --db URI --smsc HOST:PORT --msisdn DIGITS [--worker ID] [--system-id ID]\n"
    "                    [--password PW] [--tick-ms N] [--por-wait S] [--notif-wait S] [--master-key FILE]\n"
    "                    [--listen HOST:PORT --tls-cert PEM --tls-key PEM --tls-ca PEM[,PEM] [--port-file F]\n"
    "                     [--m2msp-ids CN,CN] [--smdp-ids CN,CN] [--ci DIR [--transport-key HEX|FILE] [--crl FILE]]]\n"
    "                     [--callbacks ID=URLPREFIX[,ID=URLPREFIX...]]\n"
    "                    [--admin-listen HOST:PORT [--admin-port-file F] [--admin-host NAME] [--admin-idle-ms N]\n"
    "                     [--admin-trigger-ms N] [--es5-transport sms|https|auto]]\n"
    "                    [--console-listen HOST:PORT [--console-port-file F] [--console-token-file F]\n"
    "                     [--console-mtls] [--console-actions]] [--kvn N] [--eis-dir DIR]\n"
    "       rsp smsr plma --db URI --operator ID --m2msp ID --profile-type T --functions LIST|none\n"
    "       rsp smsr import --db URI [--keys KEYS.jsonl] [--master-key FILE] [--ci DIR --transport-key HEX|FILE\n"
    "                       | --ci DIR --tls-key PEM] [--crl FILE] [EIS.xml|EIS.json ...]\n"
    "       rsp smsr submit --db URI --fn NAME --eid EID --iccid ICCID --requester ID --fcid ID\n"
    "                       [--role operator|m2msp|smdp] [--validity S] [--json]\n"
    "       rsp smsr result --db URI --op ID [--json]\n"
    "  run: the daemon (SMPP ESME to the SMSC; stops on SIGTERM, operations stay resumable);\n"
    "       --listen adds ES4 Enable/Disable/DeleteProfile and SetFallBackAttribute over HTTPS with\n"
    "       mutual TLS (SOAP and JSON; the requester is the client certificate's CN, an Operator);\n"
    "       with --ci (the CI folder) also ES1.RegisterEIS: the EIS chain is verified, its ISD-R keys\n"
    "       unwrapped with --transport-key or the --tls-key (ECIES) and sealed under the master key;\n"
    "       --crl: the CI's CRL (rsp ci crl), re-read when the file changes: a revoked EUM is refused\n"
    "       (8.1 / 6.1), and so is every EIS while the CRL is missing, forged or stale (8.7 / 3.7)\n"
    "       --admin-listen adds ES5 over HTTPS: the SCP81 admin server (PSK-TLS 1.2, keys = the cards'\n"
    "       stored SCP81 PSKs), opened by a trigger SMS; ES3.SendData of SCP03t bodies goes through it;\n"
    "       --es5-transport: the engine's operations by SMS (default), HTTPS (cards with a PSK), or auto\n"
    "       (HTTPS for a card with a PSK when the command would not fit one SMS)\n"
    "       --config FILE: [smsr], [scp81], [smpp] and [store] settings (docs/CONFIG.md \"rsp smsr run\"),\n"
    "       overridden by the flags; an unknown key or a bad value is a usage error (exit 2)\n"
    "       --callbacks: each peer's callback URL prefixes; a ReplyTo outside the caller's is refused\n"
    "       (1.1 / 1.2); results and ONC notifications (to the Operator's first URL) go out durably\n"
    "       --kvn: the ISD-R SCP80 key version of this SM-SR (default 1), its SCP81 PSK at 3F + KVN (40);\n"
    "       a card an SM-SR change brings here gets both (a handover from an SM-SR with the same KVN is\n"
    "       refused 8.1.1 / 3.8); --eis-dir: the EUM's EIS\n"
    "       files, whose CERT.ECASD goes with an EIS handed to another SM-SR (docs/modules/smsr_change.md)\n"
    "       --console-listen: the web console (fleet, operations, campaigns; docs/modules/console.md) on\n"
    "       its own listener (use a loopback address); access by a token of --console-token-file (lines\n"
    "       \"TOKEN [IDENTITY]\") as a bearer token or through its login form, or with --console-mtls by a\n"
    "       client certificate (--tls-cert/--tls-key/--tls-ca; the CN is the identity); read-only unless\n"
    "       --console-actions (retry a failed operation, cancel a queued one, authorised as ES4)\n"
    "  import: stores EIS files (profiles, MSISDNs) and the EUM keys-out SCP80 keys and SCP81 PSK; with --ci each EIS\n"
    "          is verified and its own wrapped keys stored, as ES1.RegisterEIS does (exit 1 if refused)\n"
    "  submit: queues an ES4 function (ES4.EnableProfile, ES4.DisableProfile, ES4.DeleteProfile,\n"
    "          ES4.SetFallBackAttribute, ES4.AuditEIS, ES4.SetEmergencyProfileAttribute) as the daemon's ES\n"
    "          endpoint would\n"
    "  result: the outcome of an operation (status, subject/reason codes)\n"
    "  plma: what an Operator lets an M2M SP do on a profile type (LIST: enable,disable,delete,audit,\n"
    "        get-eis,set-fallback,update-subscription-address,set-emergency)\n"
    "  master key (ISD-R keys sealed at rest): --master-key FILE or RSP_SMSR_MASTER_KEY, 32/64 hex digits\n";

/* The lines of USAGE about one subcommand: from its "rsp smsr NAME" line to the next subcommand's,
 * then its own explanation ("  NAME:" up to the next "  X:" line), so --help of a subcommand
 * prints only what concerns it. */
static void usage_of(const char *name)
{
    char head[48], expl[32];
    snprintf(head, sizeof(head), "rsp smsr %s ", name);
    snprintf(expl, sizeof(expl), "  %s:", name);
    const char *a = strstr(USAGE, head), *b = a ? strstr(a + 1, "       rsp smsr ") : NULL;
    const char *u = strstr(USAGE, "\n  run:"), *x = u ? strstr(u, expl) : NULL; /* the explanations */
    if (!a) {
        fputs(USAGE, stdout);
        return;
    }
    const char *end = b ? b : u ? u + 1 : a + strlen(a);
    printf("usage: %.*s", (int)(end - a), a);
    if (x) {
        const char *y = x + 1;
        do
            y = strchr(y, '\n') + 1;
        while (*y == ' ' && y[1] == ' ' && y[2] == ' '); /* continuation lines are indented deeper */
        printf("%.*s", (int)(y - x), x);
    }
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

typedef struct args {
    const char *master_key, *listen, *tls_cert, *tls_key, *tls_ca, *port_file, *m2msp_ids, *smdp_ids;
    const char *ci, *crl, *transport_key, *admin_listen, *admin_port_file, *admin_host, *es5_transport;
    long admin_idle_ms, admin_trigger_ms;
    const char *console_listen, *console_port_file, *console_token_file;
    bool console_mtls, console_actions;
    const char *callbacks, *config, *eis_dir;
    long kvn;
    const char *operator_id, *m2msp, *profile_type, *functions;
    const char *db, *smsc, *msisdn, *worker, *system_id, *password, *keys, *fn, *eid, *iccid, *requester,
        *fcid, *role;
    long tick_ms, por_wait, notif_wait, validity, op;
    bool json;
} args;

static int parse(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof(*a));
    const char *sub = argc > 0 ? argv[0] : "run";
    a->validity = 3600;
    a->role = "operator";
    a->json = rsp_cli_take_flag(&argc, argv, "--json");
    static const struct option opts[] = {
        {"db", 1, 0, 'd'},        {"smsc", 1, 0, 's'},     {"msisdn", 1, 0, 'm'},    {"worker", 1, 0, 'w'},
        {"system-id", 1, 0, 'S'}, {"password", 1, 0, 'P'}, {"keys", 1, 0, 'k'},      {"fn", 1, 0, 'f'},
        {"eid", 1, 0, 'e'},       {"iccid", 1, 0, 'i'},    {"requester", 1, 0, 'r'}, {"fcid", 1, 0, 'c'},
        {"role", 1, 0, 'R'},      {"tick-ms", 1, 0, 't'},  {"por-wait", 1, 0, 'p'},  {"notif-wait", 1, 0, 'n'},
        {"validity", 1, 0, 'v'},  {"op", 1, 0, 'o'},       {"help", 0, 0, 'h'},      {"master-key", 1, 0, 'K'},
        {"listen", 1, 0, 'L'},    {"tls-cert", 1, 0, 'C'}, {"tls-key", 1, 0, 'Y'},   {"tls-ca", 1, 0, 'A'},
        {"port-file", 1, 0, 'F'}, {"m2msp-ids", 1, 0, 'M'}, {"smdp-ids", 1, 0, 'D'}, {"operator", 1, 0, 'O'},
        {"m2msp", 1, 0, 'Q'},     {"profile-type", 1, 0, 'T'}, {"functions", 1, 0, 'U'},
        {"ci", 1, 0, 'I'},        {"transport-key", 1, 0, 'X'}, {"callbacks", 1, 0, 'B'}, {"admin-listen", 1, 0, 1},
        {"admin-port-file", 1, 0, 2}, {"admin-host", 1, 0, 3}, {"admin-idle-ms", 1, 0, 4},
        {"admin-trigger-ms", 1, 0, 5}, {"es5-transport", 1, 0, 6}, {"config", 1, 0, 7},
        {"console-listen", 1, 0, 8}, {"console-port-file", 1, 0, 9}, {"console-token-file", 1, 0, 10},
        {"console-mtls", 0, 0, 11}, {"console-actions", 0, 0, 12}, {"crl", 1, 0, 13},
        {"kvn", 1, 0, 14},           {"eis-dir", 1, 0, 15},  {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': a->db = optarg; break;
        case 's': a->smsc = optarg; break;
        case 'm': a->msisdn = optarg; break;
        case 'w': a->worker = optarg; break;
        case 'S': a->system_id = optarg; break;
        case 'P': a->password = optarg; break;
        case 'k': a->keys = optarg; break;
        case 'f': a->fn = optarg; break;
        case 'e': a->eid = optarg; break;
        case 'i': a->iccid = optarg; break;
        case 'r': a->requester = optarg; break;
        case 'c': a->fcid = optarg; break;
        case 'R': a->role = optarg; break;
        case 't': a->tick_ms = strtol(optarg, NULL, 10); break;
        case 'p': a->por_wait = strtol(optarg, NULL, 10); break;
        case 'n': a->notif_wait = strtol(optarg, NULL, 10); break;
        case 'v': a->validity = strtol(optarg, NULL, 10); break;
        case 'o': a->op = strtol(optarg, NULL, 10); break;
        case 'K': a->master_key = optarg; break;
        case 'L': a->listen = optarg; break;
        case 'C': a->tls_cert = optarg; break;
        case 'Y': a->tls_key = optarg; break;
        case 'A': a->tls_ca = optarg; break;
        case 'F': a->port_file = optarg; break;
        case 'M': a->m2msp_ids = optarg; break;
        case 'D': a->smdp_ids = optarg; break;
        case 'O': a->operator_id = optarg; break;
        case 'Q': a->m2msp = optarg; break;
        case 'T': a->profile_type = optarg; break;
        case 'U': a->functions = optarg; break;
        case 'I': a->ci = optarg; break;
        case 'X': a->transport_key = optarg; break;
        case 'B': a->callbacks = optarg; break;
        case 1: a->admin_listen = optarg; break;
        case 2: a->admin_port_file = optarg; break;
        case 3: a->admin_host = optarg; break;
        case 4: a->admin_idle_ms = strtol(optarg, NULL, 10); break;
        case 5: a->admin_trigger_ms = strtol(optarg, NULL, 10); break;
        case 6: a->es5_transport = optarg; break;
        case 7: a->config = optarg; break;
        case 8: a->console_listen = optarg; break;
        case 9: a->console_port_file = optarg; break;
        case 10: a->console_token_file = optarg; break;
        case 11: a->console_mtls = true; break;
        case 12: a->console_actions = true; break;
        case 13: a->crl = optarg; break;
        case 14: a->kvn = strtol(optarg, NULL, 0); break;
        case 15: a->eis_dir = optarg; break;
        case 'h': usage_of(sub); return -1;
        default: return rsp_cli_usage_error("smsr: bad arguments (see --help)");
        }
    }
    return 0;
}

/* The master key sealing ISD-R keys at rest: --master-key FILE (hex text), else the environment
 * variable RSP_SMSR_MASTER_KEY (hex); 32 or 64 hex digits. *len 0: none (keys kept in clear). */
static int master_key(const args *a, uint8_t key[32], size_t *len)
{
    *len = 0;
    char text[80] = {0};
    const char *src = getenv("RSP_SMSR_MASTER_KEY");
    if (a->master_key) {
        rsp_buf b = RSP_BUF_INIT;
        if (rsp_cli_read_file(a->master_key, &b) != RSP_OK)
            return rsp_cli_usage_error("smsr: cannot read the master key file '%s'", a->master_key);
        size_t n = 0;
        for (size_t i = 0; i < b.len && n < sizeof(text) - 1; i++)
            if (b.data[i] != '\n' && b.data[i] != '\r' && b.data[i] != ' ')
                text[n++] = (char)b.data[i];
        rsp_wipe(b.data, b.len);
        rsp_buf_free(&b);
        src = text;
    }
    if (!src || !*src)
        return 0;
    size_t hl = strlen(src);
    int rc = 0;
    if ((hl != 32 && hl != 64) || rsp_hex_decode_fixed(src, key, hl / 2, NULL) != RSP_OK)
        rc = rsp_cli_usage_error("smsr: the master key must be 32 or 64 hex digits");
    else
        *len = hl / 2;
    rsp_wipe(text, sizeof(text));
    return rc;
}

/* ES1 trust (run --ci, import --ci): the CI's public key, the transport key, the SM-SR's own key (its
 * TLS key, the key its CI certificate carries) for ECIES-wrapped keys. */
typedef struct trust {
    rsp_pki_role ci;
    uint8_t tk[16];
    rsp_eckey *own;
    rsp_crl_file *crl;
    rsp_smsr_es1_trust t;
} trust;

static void trust_free(trust *tr)
{
    rsp_wipe(tr->tk, sizeof(tr->tk));
    rsp_ec_free(tr->own);
    rsp_crl_file_free(tr->crl);
    rsp_pki_role_free(&tr->ci);
}

static rsp_err trust_load(const args *a, trust *tr, rsp_diag *d)
{
    memset(tr, 0, sizeof(*tr));
    if (!a->ci)
        return RSP_OK;
    rsp_err e = rsp_pki_load_ci(a->ci, &tr->ci, d);
    if (e)
        return e;
    tr->t.ci = tr->ci.key;
    /* the CRL is read now so a bad one stops the start; afterwards it is re-read when it changes */
    if (a->crl && (e = rsp_crl_file_new(a->crl, false, &tr->crl)) == RSP_OK)
        e = rsp_crl_file_load(tr->crl, d);
    if (e)
        return e;
    tr->t.crl = tr->crl;
    if (a->tls_key && rsp_ec_load_pem(a->tls_key, &tr->own) == RSP_OK)
        tr->t.smsr_key = tr->own;
    if (a->transport_key) {
        rsp_buf b = RSP_BUF_INIT;
        e = rsp_cli_load_bytes(a->transport_key, &b, d);
        if (!e && b.len != sizeof(tr->tk))
            e = rsp_diag_set(d, RSP_ERR_LENGTH, "--transport-key must be 16 bytes");
        if (!e)
            memcpy(tr->tk, b.data, sizeof(tr->tk));
        rsp_buf_free_secret(&b);
        tr->t.transport_key = e ? NULL : tr->tk;
    }
    return e;
}

/* Fills what the command line left unset from the config file's values (flags override the file). */
static void from_file(args *a, const smsr_file *f)
{
    struct {
        const char **dst, *src;
    } s[] = {{&a->db, f->db}, {&a->msisdn, f->msisdn}, {&a->worker, f->worker}, {&a->system_id, f->system_id},
             {&a->password, f->password}, {&a->master_key, f->master_key_file}, {&a->listen, f->svc.listen},
             {&a->tls_cert, f->svc.tls_cert}, {&a->tls_key, f->svc.tls_key}, {&a->tls_ca, f->svc.tls_ca},
             {&a->port_file, f->svc.port_file}, {&a->m2msp_ids, f->m2msp_ids}, {&a->smdp_ids, f->smdp_ids},
             {&a->ci, f->ci}, {&a->crl, f->crl}, {&a->transport_key, f->transport_key}, {&a->callbacks, f->callbacks},
             {&a->es5_transport, f->es5_transport}, {&a->admin_listen, f->admin_listen},
             {&a->admin_port_file, f->admin_port_file}, {&a->admin_host, f->admin_host},
             {&a->console_listen, f->console_listen}, {&a->console_port_file, f->console_port_file},
             {&a->console_token_file, f->console_token_file}};
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
        if (!*s[i].dst)
            *s[i].dst = s[i].src;
    struct {
        long *dst, src;
    } n[] = {{&a->tick_ms, f->tick_ms}, {&a->por_wait, f->por_wait}, {&a->notif_wait, f->notif_wait},
             {&a->admin_idle_ms, f->admin_idle_ms}, {&a->admin_trigger_ms, f->admin_trigger_ms}};
    for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
        if (*n[i].dst <= 0)
            *n[i].dst = n[i].src;
    a->console_mtls |= f->console_mtls;
    a->console_actions |= f->console_actions;
}

static int cmd_run(int argc, char **argv)
{
    args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? RSP_EXIT_OK : rc;
    rsp_diag d;
    rsp_diag_clear(&d);
    smsr_file f;
    memset(&f, 0, sizeof(f));
    char host[128] = "";
    uint16_t port = 0;
    if (a.config) {
        extern char **environ;
        rsp_err fe = smsr_file_load(a.config, (const char *const *)environ, &f, &d);
        if (fe) {
            smsr_file_free(&f);
            return rsp_cli_usage_error("smsr run: %s%s%s", d.msg[0] ? "" : a.config, d.msg[0] ? "" : ": ",
                                       d.msg[0] ? d.msg : rsp_err_msg(fe));
        }
        from_file(&a, &f);
        if (!a.smsc && f.smsc_host) {
            snprintf(host, sizeof(host), "%s", f.smsc_host);
            port = (uint16_t)f.smsc_port;
        }
    }
    if (a.smsc) { /* the one host:port parser: brackets for IPv6, a port of 1..65535, the fault named */
        rsp_diag hd;
        rsp_diag_clear(&hd);
        if (rsp_hostport_split(a.smsc, RSP_HOSTPORT_REQUIRED, host, sizeof(host), &port, &hd) != RSP_OK || !port) {
            smsr_file_free(&f);
            return rsp_cli_usage_error("smsr run: --smsc wants HOST:PORT (not port 0): %s", hd.msg[0] ? hd.msg : a.smsc);
        }
    }
    if (!a.db || !host[0] || !port || !a.msisdn) {
        smsr_file_free(&f);
        return rsp_cli_usage_error("smsr run: --db, --smsc HOST:PORT and --msisdn are required (or their settings)");
    }
    uint8_t mk[32];
    size_t mkl = 0;
    if ((rc = master_key(&a, mk, &mkl)) != 0) {
        smsr_file_free(&f);
        return rc;
    }
    rsp_smsr_daemon_opts o = {a.db, host, port, a.system_id, a.password, a.msisdn,
                              a.worker, (unsigned)a.tick_ms, a.por_wait, a.notif_wait, mkl ? mk : NULL, mkl,
                              a.listen, a.tls_cert, a.tls_key, a.tls_ca, a.port_file, a.m2msp_ids, a.smdp_ids,
                              NULL, NULL, NULL, NULL, 0, 0, NULL, RSP_SMSR_ES5_SMS, NULL, NULL, 0, 0, 0, NULL, 0, NULL};
    if (a.config) {
        o.svc = &f.svc;
        o.system_type = f.system_type;
        o.smpp_window = (unsigned)f.window;
        o.smpp_rate = (unsigned)f.throttle;
        o.enquire_link_ms = (unsigned)f.enquire_link_s * 1000u;
    }
    trust tr;
    memset(&tr, 0, sizeof(tr));
    if ((a.transport_key || a.crl) && !a.ci) {
        rsp_wipe(mk, sizeof(mk));
        smsr_file_free(&f);
        return rsp_cli_usage_error("smsr run: --transport-key and --crl need --ci");
    }
    if (a.kvn < 0 || a.kvn > 15) {
        rsp_wipe(mk, sizeof(mk));
        smsr_file_free(&f);
        return rsp_cli_usage_error("smsr run: --kvn is an SCP80 key version, 1..15");
    }
    rsp_err e = trust_load(&a, &tr, &d);
    o.es1 = a.ci ? &tr.t : NULL;
    o.callbacks = a.callbacks;
    o.kvn = (uint8_t)a.kvn;
    o.eis_dir = a.eis_dir;
    o.admin_listen = a.admin_listen;
    o.admin_port_file = a.admin_port_file;
    o.admin_host = a.admin_host;
    o.admin_idle_ms = a.admin_idle_ms > 0 ? (unsigned)a.admin_idle_ms : 0;
    o.admin_trigger_ms = a.admin_trigger_ms > 0 ? (unsigned)a.admin_trigger_ms : 0;
    if (a.es5_transport) {
        static const char *const tn[] = {"sms", "https", "auto"};
        int t = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(a.es5_transport, tn[i]) == 0)
                t = i;
        if (t < 0 || (t > 0 && !a.admin_listen)) {
            rsp_wipe(mk, sizeof(mk));
            trust_free(&tr);
            smsr_file_free(&f);
            return rsp_cli_usage_error("smsr run: --es5-transport sms|https|auto (https and auto need --admin-listen)");
        }
        o.es5_transport = t;
    }
    rsp_smsr_console_opts co = {a.console_listen, a.console_port_file, a.console_token_file, a.console_mtls,
                                a.tls_cert, a.tls_key, a.tls_ca, a.console_actions, a.m2msp_ids, a.smdp_ids};
    if (!a.console_listen && (a.console_port_file || a.console_token_file || a.console_mtls || a.console_actions)) {
        rsp_wipe(mk, sizeof(mk));
        trust_free(&tr);
        smsr_file_free(&f);
        return rsp_cli_usage_error("smsr run: the --console-* options need --console-listen HOST:PORT");
    }
    if (a.console_listen && !a.console_token_file && !a.console_mtls) {
        rsp_wipe(mk, sizeof(mk));
        trust_free(&tr);
        smsr_file_free(&f);
        return rsp_cli_usage_error("smsr run: --console-listen needs --console-token-file F or --console-mtls");
    }
    o.console = a.console_listen ? &co : NULL;
    e = e ? e : rsp_smsr_daemon_run(&o, &d);
    rsp_wipe(mk, sizeof(mk));
    trust_free(&tr);
    smsr_file_free(&f);
    return e ? rsp_cli_fail("smsr run", e, &d) : RSP_EXIT_OK;
}

static int open_engine(const char *db, const uint8_t *mk, size_t mkl, rsp_store **st, rsp_smsr **e)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err err = rsp_store_open(db, &d, st);
    if (err)
        return rsp_cli_fail("smsr: store", err, &d);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    cfg.worker_id = "cli";
    cfg.master_key = mkl ? mk : NULL;
    cfg.master_key_len = mkl;
    if ((err = rsp_smsr_new(*st, &cfg, e)) != RSP_OK) {
        rsp_store_close(*st);
        return rsp_cli_fail("smsr", err, NULL);
    }
    return 0;
}

static int cmd_import(int argc, char **argv)
{
    args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? RSP_EXIT_OK : rc;
    if (!a.db)
        return rsp_cli_usage_error("smsr import: --db is required");
    if (a.crl && !a.ci)
        return rsp_cli_usage_error("smsr import: --crl needs --ci");
    rsp_store *st;
    rsp_smsr *e;
    uint8_t mk[32];
    size_t mkl = 0;
    if ((rc = master_key(&a, mk, &mkl)) != 0 || (rc = open_engine(a.db, mk, mkl, &st, &e)) != 0)
        return rc;
    size_t n_keys = 0, n_eis = 0;
    rsp_err err = RSP_OK;
    rsp_diag d;
    rsp_diag_clear(&d);
    /* With --ci each EIS is checked as ES1.RegisterEIS checks it (its keys come from the EIS);
     * without, the files are trusted. EIS first: key sets belong to a known eUICC. */
    trust tr;
    rsp_smsr_refusal ref = {"", ""};
    err = trust_load(&a, &tr, &d);
    for (int i = optind; err == RSP_OK && i < argc; i++) {
        rsp_es_msg m;
        if ((err = rsp_eum_eis_load(argv[i], &m, &d)) == RSP_OK) {
            const rsp_es_eis *eis = ((const rsp_es_eis_req *)m.body)->eis;
            err = a.ci ? rsp_smsr_eis_register(e, &tr.t, eis, now_s(), &ref, &d) : rsp_smsr_eis_import(e, eis, now_s());
            n_eis += err == RSP_OK;
            n_keys += err == RSP_OK && a.ci;
            if (err && ref.subject[0])
                fprintf(stderr, "rsp: smsr import: %s: refused %s / %s\n", argv[i], ref.subject, ref.reason);
        }
        rsp_es_msg_free(&m);
    }
    trust_free(&tr);
    if (err == RSP_OK && a.keys) {
        rsp_buf b = RSP_BUF_INIT;
        err = rsp_cli_read_file(a.keys, &b);
        for (size_t i = 0; err == RSP_OK && i < b.len;) {
            size_t j = i;
            while (j < b.len && b.data[j] != '\n')
                j++;
            if (j > i && (err = rsp_smsr_keys_import(e, (const char *)b.data + i, j - i)) == RSP_OK)
                n_keys++;
            i = j + 1;
        }
        rsp_wipe(b.data, b.len);
        rsp_buf_free(&b);
    }
    rsp_smsr_free(e);
    rsp_store_close(st);
    rsp_wipe(mk, sizeof(mk));
    if (err)
        return rsp_cli_fail("smsr import", err, &d);
    if (a.json) {
        json_t *j = json_pack("{s:I,s:I}", "eis", (json_int_t)n_eis, "keys", (json_int_t)n_keys);
        rsp_cli_json_out(j);
    } else {
        printf("imported %zu EIS, %zu key sets\n", n_eis, n_keys);
    }
    return RSP_EXIT_OK;
}

static void print_result(const rsp_smsr_result *r, bool json)
{
    const char *state = rsp_store_op_state_name(r->state);
    if (json) {
        rsp_cli_json_out(json_pack("{s:I,s:s,s:b,s:s,s:s,s:s,s:s}", "op", (json_int_t)r->op_id, "state", state,
                                   "replayed", r->replayed, "status", r->status, "subject", r->subject, "reason",
                                   r->reason, "message", r->message));
    } else {
        printf("op %lld %s %s %s %s %s\n", (long long)r->op_id, state, r->status[0] ? r->status : "-",
               r->subject[0] ? r->subject : "-", r->reason[0] ? r->reason : "-", r->message);
    }
}

static int cmd_submit(int argc, char **argv)
{
    args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? RSP_EXIT_OK : rc;
    rsp_smsr_fn fn;
    if (!a.db || !a.fn || !a.eid || !a.iccid || !a.requester || !a.fcid)
        return rsp_cli_usage_error("smsr submit: --db --fn --eid --iccid --requester --fcid are required");
    if (rsp_smsr_fn_parse(a.fn, &fn) != RSP_OK)
        return rsp_cli_usage_error("smsr submit: unknown function '%s'", a.fn);
    rsp_smsr_role role = RSP_SMSR_ROLE_OPERATOR;
    if (!strcmp(a.role, "m2msp"))
        role = RSP_SMSR_ROLE_M2MSP;
    else if (!strcmp(a.role, "smdp"))
        role = RSP_SMSR_ROLE_SMDP;
    else if (strcmp(a.role, "operator"))
        return rsp_cli_usage_error("smsr submit: unknown role '%s'", a.role);
    rsp_store *st;
    rsp_smsr *e;
    if ((rc = open_engine(a.db, NULL, 0, &st, &e)) != 0)
        return rc;
    rsp_smsr_request q = {fn, role, a.requester, a.fcid, a.eid, a.iccid, now_s(), a.validity};
    rsp_smsr_result r;
    rsp_err err = rsp_smsr_submit(e, &q, &r); /* one store unit (submit.c) */
    rsp_smsr_free(e);
    rsp_store_close(st);
    if (err)
        return rsp_cli_fail("smsr submit", err, NULL);
    print_result(&r, a.json);
    return r.state == RSP_STORE_OP_FAILED ? RSP_EXIT_FAIL : RSP_EXIT_OK;
}

static int cmd_result(int argc, char **argv)
{
    args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? RSP_EXIT_OK : rc;
    if (!a.db || a.op <= 0)
        return rsp_cli_usage_error("smsr result: --db and --op are required");
    rsp_store *st;
    rsp_smsr *e;
    if ((rc = open_engine(a.db, NULL, 0, &st, &e)) != 0)
        return rc;
    rsp_smsr_result r;
    rsp_err err = rsp_smsr_result_get(e, a.op, &r);
    rsp_smsr_free(e);
    rsp_store_close(st);
    if (err)
        return rsp_cli_fail("smsr result", err, NULL);
    print_result(&r, a.json);
    return RSP_EXIT_OK;
}

static int cmd_plma(int argc, char **argv)
{
    args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? RSP_EXIT_OK : rc;
    if (!a.db || !a.operator_id || !a.m2msp || !a.profile_type || !a.functions)
        return rsp_cli_usage_error("smsr plma: --db --operator --m2msp --profile-type --functions are required");
    static const struct {
        const char *name;
        uint32_t bit;
    } fns[] = {{"enable", RSP_STORE_FN_ENABLE},     {"disable", RSP_STORE_FN_DISABLE},
               {"delete", RSP_STORE_FN_DELETE},     {"audit", RSP_STORE_FN_AUDIT},
               {"get-eis", RSP_STORE_FN_GET_EIS},   {"set-fallback", RSP_STORE_FN_SET_FALLBACK},
               {"update-subscription-address", RSP_STORE_FN_UPDATE_SUBSCRIPTION_ADDRESS},
               {"set-emergency", RSP_STORE_FN_SET_EMERGENCY}};
    uint32_t bits = 0;
    if (strcmp(a.functions, "none") != 0) {
        for (const char *p = a.functions; *p;) {
            size_t l = strcspn(p, ","), i = 0;
            while (i < sizeof(fns) / sizeof(fns[0]) && (strlen(fns[i].name) != l || strncmp(fns[i].name, p, l)))
                i++;
            if (i == sizeof(fns) / sizeof(fns[0]))
                return rsp_cli_usage_error("smsr plma: unknown function '%.*s'", (int)l, p);
            bits |= fns[i].bit;
            p += l;
            if (*p == ',')
                p++;
        }
    }
    rsp_store *st;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err err = rsp_store_open(a.db, &d, &st);
    if (err)
        return rsp_cli_fail("smsr plma: store", err, &d);
    err = rsp_store_plma_set(st, a.operator_id, a.m2msp, a.profile_type, bits);
    rsp_store_close(st);
    return err ? rsp_cli_fail("smsr plma", err, NULL) : RSP_EXIT_OK;
}

int rsp_cmd_smsr(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(USAGE, stdout);
        return RSP_EXIT_OK;
    }
    static const rsp_cmd cmds[] = {{"run", cmd_run, "the SM-SR daemon"},
                                   {"import", cmd_import, "store EIS files and keys"},
                                   {"submit", cmd_submit, "queue an ES4 function"},
                                   {"result", cmd_result, "outcome of an operation"},
                                   {"plma", cmd_plma, "set an Operator's PLMA for an M2M SP"},
                                   {NULL, NULL, NULL}};
    return rsp_cli_dispatch("smsr", cmds, argc, argv);
}
