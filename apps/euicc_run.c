/* `rsp euicc run`: the fleet daemon (lib/euicc/fleet_*.c, docs/modules/euicc-fleet.md), and
 * `rsp euicc ctl`: its fault controls over the control socket. Argument handling and output only. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cli.h"
#include "euicc/fleet_int.h"
#include "euicc_cmds.h"
#include "rsp/hostport.h"
#include "rsp/log.h"

static const char RUN_USAGE[] =
    "usage: rsp euicc run --fleet DIR --smsc HOST:PORT [--control SOCKET] [options]\n"
    "  Hosts every card of the fleet in DIR (made by `rsp eum make`) in one process:\n"
    "  SMS-PP from the SMSC (SMPP deliver_sm to the card's MSISDN), PoRs and notifications back as\n"
    "  submit_sm, SCP81 admin sessions (PSK-TLS) when a trigger asks, notification resends.\n"
    "  --control SOCKET   unix socket for `rsp euicc ctl` (fault controls, status)\n"
    "  --system-id ID     SMPP system_id of the binds (<= 12 chars, default euicc-fleet)\n"
    "  --password PW      SMPP password (<= 8 chars)\n"
    "  --binds N          at most N SMPP binds (1..8, default 4); their address ranges cover all MSISDNs\n"
    "  --tick-ms MS       notification timer period (default 200)\n"
    "  --admin-timeout-ms MS  per HTTP exchange of an admin session (default 30000)\n"
    "  --admin-retry-ms MS    delay before an interrupted admin session is resumed (default 2000)\n"
    "  SIGTERM/SIGINT stop it cleanly (open admin sessions are told to the cards as broken off).\n";

static const char CTL_USAGE[] =
    "usage: rsp euicc ctl --control SOCKET [--json] COMMAND [ARGS]\n"
    "  status [EID]            fleet counters, or one card's state\n"
    "  net-down EID            the enabled profile loses its network: fall-back, notification\n"
    "  offline EID [SECONDS]   the device is off (SMS not answered) for SECONDS or until `online`\n"
    "  online EID              the device is on again\n"
    "  drop-sms PERCENT        lose this share of the SMS to the cards (0 stops it)\n"
    "  reset EID               power cut in the middle of whatever runs\n"
    "  Exit: 0 done, 1 refused by the daemon (or unreachable), 2 usage.\n";

static int parse_ms(const char *s, unsigned *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v <= 0 || v > 3600000)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    RSP_LOGN(RSP_SS_EUICC, "stopping", "signal=%d", (int)sig);
    event_base_loopbreak(arg);
}

int rsp_euicc_cmd_run(int argc, char **argv)
{
    const char *dir = NULL, *smsc = NULL, *control = NULL;
    rsp_fleet_host_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help")) {
            fputs(RUN_USAGE, stdout);
            return RSP_EXIT_OK;
        }
        if (!v)
            return rsp_cli_usage_error("euicc run: '%s' needs a value or is unknown (see --help)", a);
        i++;
        if (!strcmp(a, "--fleet"))
            dir = v;
        else if (!strcmp(a, "--smsc"))
            smsc = v;
        else if (!strcmp(a, "--control"))
            control = v;
        else if (!strcmp(a, "--system-id"))
            o.system_id = v;
        else if (!strcmp(a, "--password"))
            o.password = v;
        else if (!strcmp(a, "--binds")) {
            unsigned n = 0;
            if (parse_ms(v, &n) || n > RSP_FLEET_MAX_BINDS)
                return rsp_cli_usage_error("euicc run: --binds wants 1..%d", RSP_FLEET_MAX_BINDS);
            o.max_binds = n;
        } else {
            unsigned *dst = !strcmp(a, "--tick-ms")            ? &o.tick_ms
                            : !strcmp(a, "--admin-timeout-ms") ? &o.admin_timeout_ms
                            : !strcmp(a, "--admin-retry-ms")   ? &o.admin_retry_ms
                                                               : NULL;
            if (!dst || parse_ms(v, dst))
                return rsp_cli_usage_error("euicc run: bad argument '%s %s' (see --help)", a, v);
        }
    }
    char host[256];
    if (!dir || !smsc)
        return rsp_cli_usage_error("euicc run: --fleet DIR and --smsc HOST:PORT are required (see --help)");
    rsp_diag hd;
    rsp_diag_clear(&hd);
    if (rsp_hostport_split(smsc, RSP_HOSTPORT_REQUIRED, host, sizeof(host), &o.smsc_port, &hd) || !o.smsc_port)
        return rsp_cli_usage_error("euicc run: --smsc wants HOST:PORT (not port 0): %s",
                                   hd.msg[0] ? hd.msg : smsc);
    o.smsc_host = host;
    if ((o.system_id && (!o.system_id[0] || strlen(o.system_id) > 12)) || (o.password && strlen(o.password) > 8))
        return rsp_cli_usage_error("euicc run: --system-id is 1..12 characters, --password at most 8");
    if (!rsp_log_enabled(RSP_SS_EUICC, RSP_LOG_NOTICE))
        rsp_log_set_level(RSP_SS_EUICC, RSP_LOG_NOTICE);
    signal(SIGPIPE, SIG_IGN);

    printf("loading fleet %s ...\n", dir);
    fflush(stdout);
    double t0 = mono_s();
    rsp_euicc_fleet *fleet = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_euicc_fleet_open(dir, &d, &fleet);
    if (e != RSP_OK)
        return rsp_cli_fail("euicc run: cannot open the fleet", e, &d);
    size_t n = rsp_euicc_fleet_count(fleet);
    printf("loaded %zu cards in %.2f s, RSS %.1f MB\n", n, mono_s() - t0, (double)rsp_cli_rss_kib() / 1024.0);
    fflush(stdout);

    int rc = RSP_EXIT_OK;
    struct event_base *base = event_base_new();
    rsp_fleet_host *h = NULL;
    rsp_fleet_ctl_server *ctl = NULL;
    e = base ? rsp_fleet_host_new(base, fleet, &o, &h) : RSP_ERR_NOMEM;
    if (e == RSP_OK && control && (e = rsp_fleet_ctl_listen(base, control, rsp_fleet_host_ctl, h, &ctl)) != RSP_OK)
        fprintf(stderr, "rsp: euicc run: cannot listen on control socket '%s': %s\n", control, rsp_err_msg(e));
    else if (e != RSP_OK)
        fprintf(stderr, "rsp: euicc run: cannot start: %s\n", rsp_err_msg(e));
    if (e == RSP_OK) {
        const char *r[RSP_FLEET_MAX_BINDS];
        size_t nb = rsp_fleet_host_ranges(h, r, RSP_FLEET_MAX_BINDS);
        printf("running: %zu cards, SMSC %s, %zu bind(s):", n, smsc, nb);
        for (size_t b = 0; b < nb && b < RSP_FLEET_MAX_BINDS; b++)
            printf(" \"%s\"", r[b]);
        printf("%s%s, RSS %.1f MB\n", control ? ", control " : "", control ? control : "",
               (double)rsp_cli_rss_kib() / 1024.0);
        fflush(stdout);
        struct event *sigint = evsignal_new(base, SIGINT, on_signal, base);
        struct event *sigterm = evsignal_new(base, SIGTERM, on_signal, base);
        evsignal_add(sigint, NULL);
        evsignal_add(sigterm, NULL);
        event_base_dispatch(base);
        event_free(sigint);
        event_free(sigterm);
        printf("stopped\n");
    } else {
        rc = RSP_EXIT_FAIL;
    }
    rsp_fleet_ctl_free(ctl);
    rsp_fleet_host_free(h);
    if (base) {
        event_base_loop(base, EVLOOP_NONBLOCK); /* TLS bufferevents finish freeing from the loop */
        event_base_free(base);
    }
    rsp_euicc_fleet_close(fleet);
    return rc;
}

/* Human form of a flat JSON answer: "ok key=value ..." or "refused: message". */
static void print_human(const char *answer)
{
    json_error_t je;
    json_t *v = json_loads(answer, 0, &je);
    if (!json_is_object(v)) {
        printf("%s\n", answer);
        json_decref(v);
        return;
    }
    if (!json_is_true(json_object_get(v, "ok"))) {
        printf("refused (%s): %s\n", json_string_value(json_object_get(v, "error")),
               json_string_value(json_object_get(v, "message")));
        json_decref(v);
        return;
    }
    const char *key;
    json_t *val;
    printf("ok");
    json_object_foreach(v, key, val) {
        if (!strcmp(key, "ok"))
            continue;
        char *s = json_is_string(val) ? NULL : json_dumps(val, JSON_ENCODE_ANY);
        printf(" %s=%s", key, s ? s : json_string_value(val));
        free(s);
    }
    printf("\n");
    json_decref(v);
}

int rsp_euicc_cmd_ctl(int argc, char **argv)
{
    bool as_json = rsp_cli_take_flag(&argc, argv, "--json");
    const char *control = NULL;
    char line[RSP_FLEET_CTL_LINE_MAX + 1] = "";
    size_t len = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) {
            fputs(CTL_USAGE, stdout);
            return RSP_EXIT_OK;
        }
        if (!strcmp(argv[i], "--control") && i + 1 < argc) {
            control = argv[++i];
            continue;
        }
        size_t w = strlen(argv[i]);
        if (len + w + 2 > sizeof(line))
            return rsp_cli_usage_error("euicc ctl: command too long");
        if (len)
            line[len++] = ' ';
        memcpy(line + len, argv[i], w + 1);
        len += w;
    }
    if (!control || !len)
        return rsp_cli_usage_error("euicc ctl: --control SOCKET and a command are required (see --help)");
    /* Check the words here too, so a typo is a usage error and not a round trip. */
    rsp_fleet_ctl_cmd cmd;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_fleet_ctl_parse(line, len, &cmd, &d);
    if (e != RSP_OK)
        return rsp_cli_usage_error("euicc ctl: %s", d.msg);
    char answer[RSP_FLEET_CTL_ANSWER_MAX + 8];
    e = rsp_fleet_ctl_call(control, line, 10000, answer, sizeof(answer));
    if (e != RSP_OK) {
        fprintf(stderr, "rsp: euicc ctl: no answer from '%s': %s\n", control, rsp_err_msg(e));
        return RSP_EXIT_FAIL;
    }
    if (as_json)
        printf("%s\n", answer);
    else
        print_human(answer);
    return strstr(answer, "\"ok\":true") == answer + 1 ? RSP_EXIT_OK : RSP_EXIT_FAIL;
}
