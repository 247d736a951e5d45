/* `rsp smsc`: a small SMPP 3.4 SMSC for tests and the demo. SM-SRs bind with their own address,
 * simulated devices with their MSISDNs (system_id, or a list in address_range); submit_sm is routed
 * to whoever registered the destination and delivered as deliver_sm, with delivery receipts.
 * --port-file: the bound port is written (whole, by rename) once listening, as the other daemons do,
 * so that a test can listen on port 0 instead of picking a free port first (a race). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cli.h"
#include "rsp/hostport.h"
#include "rsp/log.h"
#include "rsp/smpp.h"

typedef struct accounts {
    rsp_smpp_account *v;
    size_t n;
    char *text;
} accounts;

/* Config: one "account SYSTEM_ID PASSWORD" per line; '#' starts a comment. Without any account
 * line, every system_id/password is accepted. */
static int load_config(const char *path, accounts *a)
{
    rsp_buf b = RSP_BUF_INIT;
    if (rsp_cli_read_file(path, &b) != RSP_OK)
        return rsp_cli_usage_error("smsc: cannot read config '%s'", path);
    a->text = calloc(1, b.len + 1);
    a->v = calloc(b.len / 2 + 1, sizeof(*a->v));
    if (!a->text || !a->v) {
        rsp_buf_free(&b);
        return rsp_cli_usage_error("smsc: out of memory");
    }
    if (b.len)
        memcpy(a->text, b.data, b.len);
    rsp_buf_free(&b);
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(a->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *s2 = NULL, *kw = strtok_r(line, " \t\r", &s2);
        if (!kw)
            continue;
        char *id = strtok_r(NULL, " \t\r", &s2), *pw = strtok_r(NULL, " \t\r", &s2);
        if (strcmp(kw, "account") || !id || !pw || strtok_r(NULL, " \t\r", &s2) || strlen(id) > 15 || strlen(pw) > 8)
            return rsp_cli_usage_error("smsc: %s line %d: expected 'account SYSTEM_ID(<=15) PASSWORD(<=8)'",
                                       path, lineno);
        a->v[a->n].system_id = id;
        a->v[a->n].password = pw;
        a->n++;
    }
    return RSP_EXIT_OK;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    RSP_LOGN(RSP_SS_SMSC, "stopping", "signal=%d", (int)sig);
    event_base_loopbreak(arg);
}

int rsp_cmd_smsc(int argc, char **argv)
{
    const char *listen = NULL, *config = NULL, *port_file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--listen") && i + 1 < argc)
            listen = argv[++i];
        else if (!strcmp(argv[i], "--config") && i + 1 < argc)
            config = argv[++i];
        else if (!strcmp(argv[i], "--port-file") && i + 1 < argc)
            port_file = argv[++i];
        else if (!strcmp(argv[i], "--help")) {
            printf("usage: rsp smsc --listen HOST:PORT [--config FILE] [--port-file F]\n"
                   "  FILE: lines 'account SYSTEM_ID PASSWORD' (none: accept any bind)\n"
                   "  F: gets the bound port once listening (PORT 0 picks a free one)\n"
                   "  routing: an ESME receives for its system_id and for each address in its bind\n"
                   "  address_range (comma/space separated; 'PREFIX*' matches a prefix)\n");
            return RSP_EXIT_OK;
        } else
            return rsp_cli_usage_error("smsc: unexpected argument '%s' (see --help)", argv[i]);
    }
    if (!listen)
        return rsp_cli_usage_error("smsc: --listen HOST:PORT is required");
    char host[256];
    uint16_t port;
    rsp_diag hd;
    rsp_diag_clear(&hd);
    if (rsp_hostport_split(listen, RSP_HOSTPORT_REQUIRED, host, sizeof(host), &port, &hd))
        return rsp_cli_usage_error("smsc: --listen wants HOST:PORT or [IPv6]:PORT: %s", hd.msg);

    accounts acc = {NULL, 0, NULL};
    int rc = config ? load_config(config, &acc) : RSP_EXIT_OK;
    if (rc == RSP_EXIT_OK) {
        if (!rsp_log_enabled(RSP_SS_SMSC, RSP_LOG_INFO))
            rsp_log_set_level(RSP_SS_SMSC, RSP_LOG_INFO);
        struct event_base *base = event_base_new();
        rsp_smpp_smsc_opts o = {host, (uint16_t)port, acc.n ? acc.v : NULL, acc.n};
        rsp_smpp_smsc *smsc = NULL;
        rsp_err e = base ? rsp_smpp_smsc_new(base, &o, &smsc) : RSP_ERR_NOMEM;
        if (e != RSP_OK) {
            fprintf(stderr, "rsp: smsc: cannot listen on %s: %s\n", listen, rsp_err_msg(e));
            rc = RSP_EXIT_FAIL;
        } else {
            struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
            struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
            evsignal_add(sigint, NULL);
            evsignal_add(sigterm, NULL);
            RSP_LOGN(RSP_SS_SMSC, "listening", "addr=%s:%u accounts=%zu", host, rsp_smpp_smsc_port(smsc), acc.n);
            if (port_file && rsp_hostport_port_file(port_file, rsp_smpp_smsc_port(smsc)) != RSP_OK) {
                fprintf(stderr, "rsp: smsc: cannot write the port file %s\n", port_file);
                rc = RSP_EXIT_FAIL;
            } else {
                event_base_dispatch(base);
            }
            event_free(sigint);
            event_free(sigterm);
            rsp_smpp_smsc_free(smsc);
        }
        if (base)
            event_base_free(base);
    }
    free(acc.v);
    free(acc.text);
    return rc;
}
