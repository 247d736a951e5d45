/* `rsp smdpp`: the SM-DP+ (SGP.22). Thin: lib/smdpp does the work (include/rsp/smdpp.h).
 *   run    --dir D --address HOST[:PORT] --listen HOST:PORT [--port-file F]
 *          [--es2-listen HOST:PORT --es2-ca CA.pem [--es2-port-file F]]   ES2+ for operators (mTLS)
 *          [--smds-ca CI.pem]   ES12 to the SM-DSs named by ConfirmOrder's smdsAddress
 *          [--metrics-listen HOST:PORT [--metrics-port-file F]]   plain-HTTP /metrics and /health only
 *   order  --dir D --address A --matching-id M --operator OP --type T [--eid E] [--cc CODE]
 *          [--expires-in S] [--json]          prints the activation code
 *   show   --dir D --address A --matching-id M [--json]
 *   cancel --dir D --address A --matching-id M
 *   ac     parse|print|qr: activation codes (parse CODE; print --address A --matching-id M [--oid O]
 *          [--cc-required]; qr CODE [--png FILE [--scale N]]) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "rsp/smdpp.h"
#include "smdpp_cmds.h"

typedef struct opts {
    const char *dir, *address, *listen, *port_file, *mid, *op, *type, *eid, *cc, *oid, *es2_listen, *es2_ca,
        *es2_port_file, *es2_notify, *png, *smds_ca, *metrics_listen, *metrics_port_file;
    long scale;
    long expires_in;
    bool json, cc_flag;
} opts;

static int parse(int *argcp, char **argv, opts *o)
{
    memset(o, 0, sizeof(*o));
    o->json = rsp_cli_take_flag(argcp, argv, "--json");
    o->cc_flag = rsp_cli_take_flag(argcp, argv, "--cc-required");
    if (rsp_cli_take_flag(argcp, argv, "--help"))
        return -2;
    static const struct option lo[] = {
        {"dir", 1, 0, 'd'},        {"address", 1, 0, 'a'}, {"listen", 1, 0, 'l'},   {"port-file", 1, 0, 'p'},
        {"matching-id", 1, 0, 'm'}, {"operator", 1, 0, 'o'}, {"type", 1, 0, 't'},   {"eid", 1, 0, 'e'},
        {"cc", 1, 0, 'c'},         {"expires-in", 1, 0, 'x'}, {"oid", 1, 0, 'i'},    {"es2-listen", 1, 0, 'L'},
        {"es2-ca", 1, 0, 'C'},     {"es2-port-file", 1, 0, 'P'}, {"es2-notify", 1, 0, 'N'}, {"png", 1, 0, 'g'},
        {"scale", 1, 0, 's'},      {"smds-ca", 1, 0, 'S'}, {"metrics-listen", 1, 0, 'M'},
        {"metrics-port-file", 1, 0, 'F'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(*argcp, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'a': o->address = optarg; break;
        case 'l': o->listen = optarg; break;
        case 'p': o->port_file = optarg; break;
        case 'm': o->mid = optarg; break;
        case 'o': o->op = optarg; break;
        case 't': o->type = optarg; break;
        case 'e': o->eid = optarg; break;
        case 'c': o->cc = optarg; break;
        case 'x': o->expires_in = strtol(optarg, NULL, 10); break;
        case 'i': o->oid = optarg; break;
        case 'L': o->es2_listen = optarg; break;
        case 'C': o->es2_ca = optarg; break;
        case 'P': o->es2_port_file = optarg; break;
        case 'N': o->es2_notify = optarg; break;
        case 'g': o->png = optarg; break;
        case 's': o->scale = strtol(optarg, NULL, 10); break;
        case 'S': o->smds_ca = optarg; break;
        case 'M': o->metrics_listen = optarg; break;
        case 'F': o->metrics_port_file = optarg; break;
        default: return -1;
        }
    }
    return optind;
}

static int open_smdpp(const opts *o, rsp_smdpp **s)
{
    rsp_diag d = {0};
    rsp_smdpp_opts so = {o->dir, o->address, 0, NULL};
    rsp_err e = rsp_smdpp_open(&so, s, &d);
    return e ? rsp_cli_fail("smdpp: opening the SM-DP+", e, &d) : RSP_EXIT_OK;
}

#define RUN_USAGE                                                                                        \
    "usage: rsp smdpp run --dir D --address HOST[:PORT] --listen HOST:PORT [--port-file F]\n"              \
    "       [--es2-listen HOST:PORT --es2-ca OPERATORS_CA.pem [--es2-port-file F] [--es2-notify URL]]\n"       \
    "       [--smds-ca SMDS_CA.pem]   (ES12: events on the SM-DS of ConfirmOrder's smdsAddress)\n"           \
    "       [--metrics-listen HOST:PORT [--metrics-port-file F]]   (plain HTTP: /metrics, /health only)"
static int smdpp_run(int argc, char **argv)
{
    opts o;
    int r = parse(&argc, argv, &o);
    if (r == -2)
        return puts(RUN_USAGE), RSP_EXIT_OK;
    if (r < 0 || !o.dir || !o.address || !o.listen)
        return rsp_cli_usage_error("%s", RUN_USAGE);
    rsp_smdpp *s;
    if ((r = open_smdpp(&o, &s)) != RSP_EXIT_OK)
        return r;
    rsp_diag d = {0};
    rsp_smdpp_run_opts ro = {o.listen,        o.port_file,  o.es2_listen, o.es2_ca,
                             o.es2_port_file, o.es2_notify, o.smds_ca, o.metrics_listen, o.metrics_port_file};
    rsp_err e = rsp_smdpp_run(s, &ro, &d);
    rsp_smdpp_close(s);
    return e ? rsp_cli_fail("smdpp run", e, &d) : RSP_EXIT_OK;
}

static void print_order(const rsp_smdpp_order *or, const char *address, bool json)
{
    rsp_es9p_ac ac;
    memset(&ac, 0, sizeof(ac));
    snprintf(ac.address, sizeof(ac.address), "%s", address);
    snprintf(ac.matching_id, sizeof(ac.matching_id), "%s", or->matching_id);
    ac.cc_required = or->cc;
    char code[700] = "";
    rsp_es9p_ac_print(&ac, code, sizeof(code));
    if (json) {
        json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:i,s:I,s:s}", "matchingId", or->matching_id,
                              "activationCode", code, "operator", or->op, "type", or->type, "eid", or->eid, "iccid",
                              or->iccid, "ccRequired", or->cc, "ccLeft", (int)or->cc_left, "expires",
                              (json_int_t)or->expires, "state", rsp_smdpp_order_state_name(or->state));
        rsp_cli_json_out(j);
        return;
    }
    printf("%s\n  order %s: %s, pool %s/%s%s%s%s%s\n", code, or->matching_id, rsp_smdpp_order_state_name(or->state),
           or->op, or->type, or->eid[0] ? ", eUICC " : "", or->eid, or->iccid[0] ? ", ICCID " : "", or->iccid);
}

#define ORDER_USAGE                                                                                              \
    "usage: rsp smdpp order --dir D --address A --matching-id M --operator OP --type T [--eid E] [--cc CODE]\n" \
    "       [--expires-in SECONDS] [--json]"
static int smdpp_order(int argc, char **argv)
{
    opts o;
    int r = parse(&argc, argv, &o);
    if (r == -2)
        return puts(ORDER_USAGE), RSP_EXIT_OK;
    if (r < 0 || !o.dir || !o.address || !o.mid || !o.op || !o.type || o.expires_in < 0)
        return rsp_cli_usage_error("%s", ORDER_USAGE);
    rsp_smdpp *s;
    if ((r = open_smdpp(&o, &s)) != RSP_EXIT_OK)
        return r;
    rsp_diag d = {0};
    int64_t exp = o.expires_in ? (int64_t)time(NULL) + o.expires_in : 0;
    rsp_err e = rsp_smdpp_order_add(s, o.mid, o.op, o.type, o.eid, o.cc, exp, &d);
    rsp_smdpp_order or;
    if (!e)
        e = rsp_smdpp_order_get(s, o.mid, &or);
    if (!e)
        print_order(&or, o.address, o.json);
    rsp_smdpp_close(s);
    return e ? rsp_cli_fail("smdpp order", e, &d) : RSP_EXIT_OK;
}

#define SHOW_USAGE "usage: rsp smdpp show|cancel --dir D --address A --matching-id M [--json]"
static int show_or_cancel(int argc, char **argv, bool cancel)
{
    opts o;
    int r = parse(&argc, argv, &o);
    if (r == -2)
        return puts(SHOW_USAGE), RSP_EXIT_OK;
    if (r < 0 || !o.dir || !o.address || !o.mid)
        return rsp_cli_usage_error("%s", SHOW_USAGE);
    rsp_smdpp *s;
    if ((r = open_smdpp(&o, &s)) != RSP_EXIT_OK)
        return r;
    rsp_err e = cancel ? rsp_smdpp_order_cancel(s, o.mid) : RSP_OK;
    rsp_smdpp_order or;
    if (!e)
        e = rsp_smdpp_order_get(s, o.mid, &or);
    if (!e)
        print_order(&or, o.address, o.json);
    rsp_smdpp_close(s);
    if (e == RSP_ERR_NOT_FOUND)
        return rsp_cli_usage_error("smdpp: no order %s", o.mid);
    return e ? rsp_cli_fail(cancel ? "smdpp cancel" : "smdpp show", e, NULL) : RSP_EXIT_OK;
}
static int smdpp_show(int argc, char **argv) { return show_or_cancel(argc, argv, false); }
static int smdpp_cancel(int argc, char **argv) { return show_or_cancel(argc, argv, true); }

#define AC_USAGE                                                                                        \
    "usage: rsp smdpp ac parse CODE [--json]\n"                                                         \
    "       rsp smdpp ac print --address A --matching-id M [--oid OID] [--cc-required]\n"                     \
    "       rsp smdpp ac qr CODE [--png FILE [--scale N]]   (a QR code in the terminal, or a PNG)"
static int smdpp_ac(int argc, char **argv)
{
    opts o;
    int r = parse(&argc, argv, &o);
    if (r == -2)
        return puts(AC_USAGE), RSP_EXIT_OK;
    if (r < 0 || r >= argc)
        return rsp_cli_usage_error("%s", AC_USAGE);
    rsp_es9p_ac ac;
    memset(&ac, 0, sizeof(ac));
    if (!strcmp(argv[r], "qr")) {
        if (r + 1 >= argc)
            return rsp_cli_usage_error("%s", AC_USAGE);
        return rsp_smdpp_cmd_qr(argv[r + 1], o.png, o.scale ? (int)o.scale : 8);
    }
    if (!strcmp(argv[r], "parse")) {
        if (r + 1 >= argc)
            return rsp_cli_usage_error("%s", AC_USAGE);
        rsp_diag d = {0};
        rsp_err e = rsp_es9p_ac_parse(argv[r + 1], strlen(argv[r + 1]), &ac, &d);
        if (e)
            return rsp_cli_fail("smdpp ac parse", e == RSP_ERR_VERIFY ? RSP_ERR_FORMAT : e, &d);
        if (o.json)
            rsp_cli_json_out(json_pack("{s:s,s:s,s:s,s:b}", "address", ac.address, "matchingId", ac.matching_id,
                                       "oid", ac.oid, "ccRequired", ac.cc_required));
        else
            printf("address %s\nmatchingId %s\noid %s\nconfirmation code %s\n", ac.address, ac.matching_id,
                   ac.oid[0] ? ac.oid : "-", ac.cc_required ? "required" : "not required");
        return RSP_EXIT_OK;
    }
    if (strcmp(argv[r], "print") || !o.address)
        return rsp_cli_usage_error("%s", AC_USAGE);
    snprintf(ac.address, sizeof(ac.address), "%s", o.address);
    snprintf(ac.matching_id, sizeof(ac.matching_id), "%s", o.mid ? o.mid : "");
    snprintf(ac.oid, sizeof(ac.oid), "%s", o.oid ? o.oid : "");
    ac.cc_required = o.cc_flag;
    char out[700];
    if (rsp_es9p_ac_print(&ac, out, sizeof(out)) != RSP_OK)
        return rsp_cli_usage_error("smdpp ac print: a field holds '$', a space or a bad OID");
    puts(out);
    return RSP_EXIT_OK;
}

int rsp_cmd_smdpp(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"run", smdpp_run, "the SM-DP+ daemon: ES9+ over HTTPS for LPAs"},
        {"order", smdpp_order, "add a downloadable order and print its activation code"},
        {"show", smdpp_show, "an order's state and activation code"},
        {"cancel", smdpp_cancel, "cancel an order not yet installed"},
        {"ac", smdpp_ac, "activation codes: parse, print, QR code (terminal or PNG)"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp smdpp", sub, argc, argv);
}
