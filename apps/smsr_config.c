/* `rsp smsr run --config FILE`: the daemon's own rows of the settings table. The builtin table
 * (lib/core/config.c) still carries rows of the planned SM-SR (per-interface [es1]..[es7]
 * listeners, [smsr] workers, lease_s, ...) that this daemon never read; they are left out here, so
 * such a key in a file is refused as unknown instead of being silently ignored. The rows of other
 * daemons ([smdp], [es3] url, ...) stay known: one file may configure several daemons. */
#include "smsr_config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define S(sec, key, def, doc) {sec, key, RSP_CONFIG_STR, def, 0, 0, NULL, 0, "smsr", doc}
#define I(sec, key, def, lo, hi, doc) {sec, key, RSP_CONFIG_INT, def, lo, hi, NULL, 0, "smsr", doc}

/* Every key with its flag; docs/CONFIG.md "rsp smsr run" renders this. */
static const rsp_config_setting own[] = {
    S("smsr", "listen", NULL, "--listen: HTTPS (mutual TLS) address:port of the ES interfaces; unset: none"),
    S("smsr", "tls_cert", NULL, "--tls-cert: certificate chain (PEM) of the listener and of callbacks"),
    S("smsr", "tls_key", NULL, "--tls-key: private key (PEM) of tls_cert"),
    S("smsr", "tls_ca", NULL, "--tls-ca: comma-separated CA files of peers' certificates"),
    S("smsr", "port_file", "", "--port-file: receives the bound port of listen"),
    S("smsr", "metrics_listen", "", "plain-HTTP address:port for /metrics and /health only; empty: none"),
    I("smsr", "max_connections", "1024", 1, 1000000, "open connections per listener"),
    I("smsr", "max_pending", "10000", 1, 10000000, "ES calls accepted and not finished; more get 503"),
    I("smsr", "stop_grace_ms", "10000", 1, 3600000, "on SIGTERM, how long in-flight answers may take"),
    I("smsr", "callback_queue", "1000", 1, 1000000, "callbacks waiting per destination"),
    I("smsr", "callback_timeout_ms", "30000", 100, 3600000, "connect + answer time of one callback POST"),
    S("smsr", "worker", "smsr", "--worker: this worker's name in operation leases"),
    S("smsr", "msisdn", NULL, "--msisdn: the SM-SR's own number (bind address range, SMS source)"),
    I("smsr", "tick_ms", "200", 1, 60000, "--tick-ms: engine pump period"),
    I("smsr", "por_wait_s", "30", 1, 86400, "--por-wait: first wait for a PoR before a resend (doubles)"),
    I("smsr", "notif_wait_s", "60", 1, 86400, "--notif-wait: wait for the card's notification after a switch"),
    S("smsr", "master_key_file", NULL, "--master-key: file of 32/64 hex digits sealing ISD-R keys at rest"),
    S("smsr", "m2msp_ids", "", "--m2msp-ids: comma-separated certificate CNs of M2M SPs"),
    S("smsr", "smdp_ids", "", "--smdp-ids: comma-separated certificate CNs of SM-DPs"),
    S("smsr", "ci", NULL, "--ci: the CI folder; enables ES1.RegisterEIS"),
    S("smsr", "transport_key", NULL, "--transport-key: HEX or FILE, the EUM transport key (needs ci)"),
    S("smsr", "crl", NULL, "--crl: the CI's CRL file (needs ci); a revoked EUM's ES1.RegisterEIS is refused"),
    S("smsr", "callbacks", NULL, "--callbacks: ID=URLPREFIX[,ID=URLPREFIX...]"),
    {"smsr", "es5_transport", RSP_CONFIG_ENUM, "sms", 0, 0, "sms,https,auto", 0, "smsr",
     "--es5-transport: the engine's operations by SMS, HTTPS or auto (https/auto need [scp81] listen)"},
    S("scp81", "listen", NULL, "--admin-listen: the SCP81 admin server (PSK-TLS); unset: ES5 by SMS only"),
    S("scp81", "port_file", "", "--admin-port-file: receives the bound admin port"),
    S("scp81", "host", NULL, "--admin-host: the host the trigger names; unset: listen's host"),
    I("scp81", "idle_ms", "10000", 1, 3600000, "--admin-idle-ms: an idle session ends after this"),
    I("scp81", "trigger_ms", "10000", 1, 3600000, "--admin-trigger-ms: an unanswered trigger is resent after"),
    S("console", "listen", NULL, "--console-listen: the web console's HOST:PORT (loopback advised); unset: no console"),
    S("console", "port_file", "", "--console-port-file: receives the console's bound port"),
    S("console", "token_file", NULL, "--console-token-file: lines \"TOKEN [IDENTITY]\" (bearer tokens, login form)"),
    {"console", "mtls", RSP_CONFIG_BOOL, "false", 0, 0, NULL, 0, "smsr",
     "--console-mtls: the console is mutual TLS ([smsr] tls_*); the client certificate's CN is the identity"},
    {"console", "actions", RSP_CONFIG_BOOL, "false", 0, 0, NULL, 0, "smsr",
     "--console-actions: retry a failed operation, cancel a queued one (authorised as ES4, audited)"},
    S("smpp", "host", "127.0.0.1", "--smsc HOST:PORT: the SMSC"),
    I("smpp", "port", "2775", 1, 65535, "--smsc HOST:PORT: the SMSC's port"),
    S("smpp", "system_id", "smsr", "--system-id: bind system_id"),
    {"smpp", "password", RSP_CONFIG_STR, "smsr", 0, 0, NULL, RSP_CONFIG_SECRET, "smsr",
     "--password: bind password (secret, never logged)"},
    S("smpp", "system_type", "", "bind system_type"),
    I("smpp", "window", "10", 1, 1000, "outstanding submit_sm without response"),
    I("smpp", "throttle", "0", 0, 100000, "submit_sm per second; 0: unlimited"),
    I("smpp", "enquire_link_s", "30", 1, 3600, "seconds between enquire_link"),
};

/* Builtin rows of this daemon's sections, and the rows used by the SM-SR alone, are replaced by own[]. */
static int dropped(const rsp_config_setting *s)
{
    return !strcmp(s->section, "smsr") || !strcmp(s->section, "scp81") || !strcmp(s->section, "smpp") ||
           !strcmp(s->section, "console") ||
           (s->used_by && !strcmp(s->used_by, "smsr"));
}

static const char *str(const smsr_file *f, const char *sec, const char *key)
{
    const char *v = NULL;
    return rsp_config_get_str(f->cfg, sec, key, &v) == RSP_OK && v && *v ? v : NULL;
}

static long num(const smsr_file *f, const char *sec, const char *key)
{
    int64_t v = 0;
    return rsp_config_get_int(f->cfg, sec, key, &v) == RSP_OK ? (long)v : 0;
}

rsp_err smsr_file_load(const char *path, const char *const *envp, smsr_file *f, rsp_diag *d)
{
    memset(f, 0, sizeof(*f));
    size_t nb = 0, n = 0, no = sizeof(own) / sizeof(own[0]);
    const rsp_config_setting *b = rsp_config_settings(&nb);
    if (!(f->table = calloc(nb + no, sizeof(*f->table))))
        return RSP_ERR_NOMEM;
    for (size_t i = 0; i < nb; i++)
        if (!dropped(&b[i]))
            f->table[n++] = b[i];
    memcpy(f->table + n, own, sizeof(own));
    n += no;
    rsp_err e = rsp_config_new(f->table, n, &f->cfg);
    e = e ? e : rsp_config_load(f->cfg, path, d);
    e = e ? e : rsp_config_apply_env(f->cfg, envp);
    e = e ? e : rsp_config_check(f->cfg, d, NULL);
    e = e ? e : rsp_svc_opts_from_config(f->cfg, "smsr", &f->svc, d);
    if (e)
        return e;
    f->db = rsp_config_is_set(f->cfg, "store", "uri") ? str(f, "store", "uri") : NULL;
    f->smsc_host = str(f, "smpp", "host");
    f->smsc_port = num(f, "smpp", "port");
    f->system_id = str(f, "smpp", "system_id");
    f->password = str(f, "smpp", "password");
    f->system_type = str(f, "smpp", "system_type");
    f->window = num(f, "smpp", "window");
    f->throttle = num(f, "smpp", "throttle");
    f->enquire_link_s = num(f, "smpp", "enquire_link_s");
    f->msisdn = str(f, "smsr", "msisdn");
    f->worker = str(f, "smsr", "worker");
    f->tick_ms = num(f, "smsr", "tick_ms");
    f->por_wait = num(f, "smsr", "por_wait_s");
    f->notif_wait = num(f, "smsr", "notif_wait_s");
    f->master_key_file = str(f, "smsr", "master_key_file");
    f->m2msp_ids = str(f, "smsr", "m2msp_ids");
    f->smdp_ids = str(f, "smsr", "smdp_ids");
    f->ci = str(f, "smsr", "ci");
    f->transport_key = str(f, "smsr", "transport_key");
    f->crl = str(f, "smsr", "crl");
    f->callbacks = str(f, "smsr", "callbacks");
    f->es5_transport = str(f, "smsr", "es5_transport");
    f->admin_listen = str(f, "scp81", "listen");
    f->admin_port_file = str(f, "scp81", "port_file");
    f->admin_host = str(f, "scp81", "host");
    f->admin_idle_ms = num(f, "scp81", "idle_ms");
    f->admin_trigger_ms = num(f, "scp81", "trigger_ms");
    f->console_listen = str(f, "console", "listen");
    f->console_port_file = str(f, "console", "port_file");
    f->console_token_file = str(f, "console", "token_file");
    rsp_config_get_bool(f->cfg, "console", "mtls", &f->console_mtls);
    rsp_config_get_bool(f->cfg, "console", "actions", &f->console_actions);
    return RSP_OK;
}

void smsr_file_free(smsr_file *f)
{
    rsp_config_free(f->cfg);
    free(f->table);
    memset(f, 0, sizeof(*f));
}
