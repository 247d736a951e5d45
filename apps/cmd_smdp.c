/* rsp smdp: the SM-DP. Thin: argument parsing and output over lib/smdp (include/rsp/smdp.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "rsp/smdp.h"
#include "smdp_cmds.h"

typedef struct smdp_opts {
    const char *dir, *store, *op, *type, *eid, *out, *iccid_prefix, *imsi_prefix;
    long count;
    unsigned long long first;
    bool json;
} smdp_opts;

/* Parses the options shared by the subcommands; returns the index of the first operand or -1. */
enum { PARSE_HELP = -2 }; /* parse's answer to --help: the caller prints its usage, exit 0 */

static int parse(int *argcp, char **argv, smdp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->iccid_prefix = "8999000";
    o->imsi_prefix = "00101";
    o->first = 1;
    o->count = -1;
    o->json = rsp_cli_take_flag(argcp, argv, "--json");
    if (rsp_cli_take_flag(argcp, argv, "--help"))
        return PARSE_HELP;
    int argc = *argcp;
    static const struct option opts[] = {
        {"dir", 1, 0, 'd'},   {"store", 1, 0, 's'},        {"operator", 1, 0, 'o'},
        {"type", 1, 0, 't'},  {"eid", 1, 0, 'e'},          {"out", 1, 0, 'w'},
        {"count", 1, 0, 'n'}, {"iccid-prefix", 1, 0, 'c'}, {"imsi-prefix", 1, 0, 'm'},
        {"first", 1, 0, 'f'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 's': o->store = optarg; break;
        case 'o': o->op = optarg; break;
        case 't': o->type = optarg; break;
        case 'e': o->eid = optarg; break;
        case 'w': o->out = optarg; break;
        case 'n': o->count = strtol(optarg, NULL, 10); break;
        case 'c': o->iccid_prefix = optarg; break;
        case 'm': o->imsi_prefix = optarg; break;
        case 'f': o->first = strtoull(optarg, NULL, 10); break;
        default: return -1;
        }
    }
    return o->dir ? optind : -1;
}

static int open_inv(const smdp_opts *o, rsp_smdp_inv **inv)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_smdp_inv_open(o->dir, o->store, &d, inv);
    return e == RSP_OK ? RSP_EXIT_OK : rsp_cli_fail("smdp: opening the inventory", e, &d);
}

static int done(rsp_smdp_inv *inv, const char *what, rsp_err e, const rsp_diag *d)
{
    rsp_smdp_inv_close(inv);
    return e == RSP_OK ? RSP_EXIT_OK : rsp_cli_fail(what, e, d);
}

#define IMPORT_USAGE                                                                                         \
    "usage: rsp smdp import package|identities|generate --dir D [--store URI] --operator OP --type T\n"      \
    "  package FILE.der | identities FILE.csv (iccid,imsi,ki,opc) | generate --count N\n"                    \
    "  [--iccid-prefix P] [--imsi-prefix P] [--first N]"

static int smdp_import(int argc, char **argv)
{
    smdp_opts o;
    int i = parse(&argc, argv, &o);
    if (i == PARSE_HELP)
        return puts(IMPORT_USAGE), RSP_EXIT_OK;
    if (i < 0 || i >= argc || !o.op || !o.type)
        return rsp_cli_usage_error(IMPORT_USAGE);
    const char *what = argv[i];
    bool gen = !strcmp(what, "generate");
    if (gen ? (i + 1 != argc || o.count < 0) : (i + 2 != argc))
        return rsp_cli_usage_error(IMPORT_USAGE);
    if (strcmp(what, "package") && strcmp(what, "identities") && !gen)
        return rsp_cli_usage_error("smdp import: unknown kind '%s'\n" IMPORT_USAGE, what);
    rsp_buf in = RSP_BUF_INIT;
    rsp_err e = gen ? RSP_OK : rsp_cli_read_file(argv[i + 1], &in);
    if (e != RSP_OK)
        return rsp_cli_usage_error("smdp import: cannot read %s: %s", argv[i + 1], rsp_err_msg(e));
    rsp_smdp_inv *inv = NULL;
    int rc = open_inv(&o, &inv);
    if (rc != RSP_EXIT_OK) {
        rsp_buf_free_secret(&in);
        return rc;
    }
    rsp_diag d;
    rsp_diag_clear(&d);
    size_t n = 0;
    if (!strcmp(what, "package")) {
        e = rsp_smdp_import_package(inv, o.op, o.type, in.data, in.len, &d);
    } else if (gen) {
        n = (size_t)o.count;
        e = rsp_smdp_generate_identities(inv, o.op, o.type, o.iccid_prefix, o.imsi_prefix, o.first, n, &d);
    } else {
        rsp_smdp_identity *ids = NULL;
        size_t *lines = NULL;
        e = rsp_smdp_csv_parse((const char *)in.data, in.len, &ids, &n, &lines, &d);
        if (e == RSP_OK)
            e = rsp_smdp_import_identities(inv, o.op, o.type, ids, n, lines, &d);
        rsp_smdp_identities_free(ids, n);
        free(lines);
    }
    rsp_buf_free_secret(&in);
    if (e == RSP_OK) {
        if (o.json)
            rsp_cli_json_out(json_pack("{s:s, s:s, s:s, s:I}", "kind", what, "operator", o.op, "type", o.type,
                                       "identities", (json_int_t)n));
        else if (!strcmp(what, "package"))
            printf("package imported for %s/%s\n", o.op, o.type);
        else
            printf("%zu identities added to %s/%s\n", n, o.op, o.type);
    }
    return done(inv, "smdp import", e, &d);
}

#define INVENTORY_USAGE "usage: rsp smdp inventory --dir D [--store URI] [--json]"

static int smdp_inventory(int argc, char **argv)
{
    smdp_opts o;
    int i = parse(&argc, argv, &o);
    if (i == PARSE_HELP)
        return puts(INVENTORY_USAGE), RSP_EXIT_OK;
    if (i != argc)
        return rsp_cli_usage_error(INVENTORY_USAGE);
    rsp_smdp_inv *inv = NULL;
    int rc = open_inv(&o, &inv);
    if (rc != RSP_EXIT_OK)
        return rc;
    rsp_smdp_pool *p = NULL;
    size_t n = 0;
    rsp_err e = rsp_smdp_inventory(inv, &p, &n);
    if (e == RSP_OK && o.json) {
        json_t *arr = json_array();
        for (size_t k = 0; k < n; k++) {
            json_t *st = json_object();
            for (int s = 0; s < RSP_SMDP_STATES; s++)
                json_object_set_new(st, rsp_smdp_state_name(rsp_smdp_state_order[s]),
                                    json_integer((json_int_t)p[k].count[rsp_smdp_state_order[s]]));
            json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:s, s:o}", "operator", p[k].op, "type", p[k].type,
                                                 "package_bytes", (json_int_t)p[k].package_len, "template_iccid",
                                                 p[k].header_iccid, "states", st));
        }
        rsp_cli_json_out(json_pack("{s:o}", "pools", arr));
    } else if (e == RSP_OK) {
        printf("%-16s %-24s", "operator", "type");
        for (int s = 0; s < RSP_SMDP_STATES; s++)
            printf(" %10s", rsp_smdp_state_name(rsp_smdp_state_order[s]));
        for (size_t k = 0; k < n; k++) {
            printf("\n%-16s %-24s", p[k].op, p[k].type);
            for (int s = 0; s < RSP_SMDP_STATES; s++)
                printf(" %10zu", p[k].count[rsp_smdp_state_order[s]]);
        }
        putchar('\n');
    }
    free(p);
    return done(inv, "smdp inventory", e, NULL);
}

#define DOWNLOADS_USAGE "usage: rsp smdp downloads --dir D [--store URI] [--live] [--json]\n" \
    "  The download journal: one line per download (id=... step=N name=... op=... type=... eid=... iccid=...\n" \
    "  enable=0|1 isdp=0|1 status=... outcome=...; outcome last, to the end of the line). --live: unfinished only."

static int smdp_downloads(int argc, char **argv)
{
    smdp_opts o;
    bool live = rsp_cli_take_flag(&argc, argv, "--live");
    int i = parse(&argc, argv, &o);
    if (i == PARSE_HELP)
        return puts(DOWNLOADS_USAGE), RSP_EXIT_OK;
    if (i != argc)
        return rsp_cli_usage_error(DOWNLOADS_USAGE);
    rsp_smdp_inv *inv = NULL;
    int rc = open_inv(&o, &inv);
    if (rc != RSP_EXIT_OK)
        return rc;
    rsp_smdp_dl *v = NULL;
    size_t n = 0;
    rsp_err e = rsp_smdp_dl_list(inv, live, &v, &n);
    if (e == RSP_OK && o.json) {
        json_t *arr = json_array();
        for (size_t k = 0; k < n; k++)
            json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s}", "id", v[k].id,
                                                 "step", (int)v[k].step, "name", rsp_smdp_dl_step_name(v[k].step), "operator",
                                                 v[k].op, "type", v[k].type, "eid", v[k].eid, "iccid", v[k].iccid, "enable",
                                                 v[k].enable, "isdp", v[k].isdp_requested, "status", v[k].status,
                                                 "outcome", v[k].outcome));
        rsp_cli_json_out(json_pack("{s:o}", "downloads", arr));
    } else if (e == RSP_OK) {
        for (size_t k = 0; k < n; k++)
            printf("id=%s step=%d name=%s op=%s type=%s eid=%s iccid=%s enable=%d isdp=%d status=%s outcome=%s\n",
                   v[k].id, (int)v[k].step, rsp_smdp_dl_step_name(v[k].step), v[k].op, v[k].type, v[k].eid,
                   v[k].iccid, v[k].enable ? 1 : 0, v[k].isdp_requested ? 1 : 0, v[k].status, v[k].outcome);
    }
    free(v);
    return done(inv, "smdp downloads", e, NULL);
}

/* Takes one identity and writes the personalised package: what a download does first, usable on its
 * own to prepare a package out of band. */
#define TAKE_USAGE "usage: rsp smdp take --dir D [--store URI] --operator OP --type T --eid EID [--out FILE] [--json]"

static int smdp_take(int argc, char **argv)
{
    smdp_opts o;
    int i = parse(&argc, argv, &o);
    if (i == PARSE_HELP)
        return puts(TAKE_USAGE), RSP_EXIT_OK;
    if (i != argc || !o.op || !o.type || !o.eid)
        return rsp_cli_usage_error(TAKE_USAGE);
    rsp_smdp_inv *inv = NULL;
    int rc = open_inv(&o, &inv);
    if (rc != RSP_EXIT_OK)
        return rc;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_smdp_taken t;
    rsp_err e = rsp_smdp_take(inv, o.op, o.type, o.eid, (int64_t)time(NULL), &t, &d);
    if (e == RSP_OK && o.out)
        e = rsp_cli_write_file(o.out, t.package.data, t.package.len, 0600);
    if (e == RSP_OK) {
        if (o.json)
            rsp_cli_json_out(json_pack("{s:s, s:s, s:s, s:I}", "iccid", t.id.iccid, "imsi", t.id.imsi, "eid", o.eid,
                                       "package_bytes", (json_int_t)t.package.len));
        else
            printf("%s %s\n", t.id.iccid, t.id.imsi);
        rsp_smdp_taken_clear(&t);
    }
    return done(inv, "smdp take", e, &d);
}

/* ES8 key establishment (Scenario#3) with the ISD-P of iccid, each payload carried by ES3.SendData;
 * the card's receipt is verified (the keys then die with this process: a tool, not a download). */
static rsp_err es3_keyest(const rsp_smdp_es3 *es3, const char *eid, const char *iccid, const char *key_pem,
                          const char *cert_file, const char *ecasd_hex, rsp_diag *d)
{
    rsp_eckey *sk = NULL;
    rsp_buf cert = RSP_BUF_INIT, ce = RSP_BUF_INIT, out = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    rsp_smdp_es8_session s;
    memset(&s, 0, sizeof(s));
    bool open = false;
    rsp_err e = rsp_ec_load_pem(key_pem, &sk);
    e = e ? rsp_diag_set(d, e, "cannot read the SM-DP key %s", key_pem) : RSP_OK;
    if (e == RSP_OK && (e = rsp_cli_read_file(cert_file, &cert)) != RSP_OK)
        rsp_diag_set(d, e, "cannot read CERT.DP.ECDSA %s", cert_file);
    if (e == RSP_OK && (e = rsp_hex_decode(ecasd_hex, &ce, d)) == RSP_OK &&
        (e = rsp_smdp_es8_open(&s, sk, cert.data, cert.len, ce.data, ce.len, 0x30, d)) == RSP_OK)
        open = true;
    rsp_smdp_es8 es8 = rsp_smdp_es8_of(&s);
    for (unsigned n = 0; e == RSP_OK && n < 2; n++) {
        rsp_buf_reset(&out);
        if ((e = es8.keyest(es8.arg, n, &resp, &out, d)) == RSP_OK)
            e = es3->send_data(es3->arg, eid, iccid, out.data, out.len, &resp, d);
    }
    if (e == RSP_OK)
        e = es8.keyest(es8.arg, 2, &resp, NULL, d);
    if (open)
        rsp_smdp_es8_close(&s);
    rsp_ec_free(sk);
    rsp_buf_free(&cert);
    rsp_buf_free(&ce);
    rsp_buf_free_secret(&out);
    rsp_buf_free(&resp);
    return e;
}

#define ES3_USAGE                                                                                          \
    "usage: rsp smdp es3 --smsr https://HOST:PORT --tls-cert F --tls-key F --tls-ca F --eid EID [--iccid ICCID]\n" \
    "         [--operator MNO] [--memory BYTES] [--smsr-dialect gsma-json|njiwa-soap] [--json] get-eis | create-isdp | send-data HEX | completed | delete-isdp\n"        \
    "       | keyest --dp-key PEM --dp-cert GPCERT --ecasd-cert HEX   (ES8 key establishment via SendData)\n"  \
    "  One ES3 call to an SM-SR over HTTPS mTLS (the SM-SR knows this SM-DP by the certificate's CN).\n"       \
    "  Exit: 0 executed, 1 refused or failed, 2 usage."

/* One ES3 function through the product ES3 client (what a download does step by step). */
static int smdp_es3(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    rsp_smdp_es3_client_opts co = {0};
    const char *eid = NULL, *iccid = NULL, *dp_key = NULL, *dp_cert = NULL, *ecasd = NULL;
    unsigned long memory = 0;
    static const struct option opts[] = {{"smsr", 1, 0, 'u'},  {"tls-cert", 1, 0, 'c'}, {"tls-key", 1, 0, 'k'},
                                         {"tls-ca", 1, 0, 'a'}, {"eid", 1, 0, 'e'},      {"iccid", 1, 0, 'i'},
                                         {"memory", 1, 0, 'm'}, {"help", 0, 0, 'h'},     {"operator", 1, 0, 'o'},
                                         {"dp-key", 1, 0, 'K'}, {"dp-cert", 1, 0, 'C'}, {"ecasd-cert", 1, 0, 'E'},
                                         {"smsr-dialect", 1, 0, 'L'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': co.url = optarg; break;
        case 'c': co.tls_cert = optarg; break;
        case 'k': co.tls_key = optarg; break;
        case 'a': co.tls_ca = optarg; break;
        case 'e': eid = optarg; break;
        case 'i': iccid = optarg; break;
        case 'm': memory = strtoul(optarg, NULL, 10); break;
        case 'o': co.mno_id = optarg; break;
        case 'K': dp_key = optarg; break;
        case 'C': dp_cert = optarg; break;
        case 'E': ecasd = optarg; break;
        case 'L':
            if (rsp_smdp_es3_dialect_parse(optarg, &co.dialect) != RSP_OK)
                return rsp_cli_usage_error(ES3_USAGE);
            break;
        case 'h': puts(ES3_USAGE); return RSP_EXIT_OK;
        default: return rsp_cli_usage_error(ES3_USAGE);
        }
    }
    const char *fn = optind < argc ? argv[optind] : "";
    bool send = strcmp(fn, "send-data") == 0, get = strcmp(fn, "get-eis") == 0, kx = strcmp(fn, "keyest") == 0;
    if (kx && (!dp_key || !dp_cert || !ecasd))
        return rsp_cli_usage_error(ES3_USAGE);
    if (!co.url || !co.tls_cert || !co.tls_key || !co.tls_ca || !eid || optind + (send ? 2 : 1) != argc ||
        (!get && !iccid) ||
        (!get && !send && !kx && strcmp(fn, "create-isdp") && strcmp(fn, "completed") && strcmp(fn, "delete-isdp")))
        return rsp_cli_usage_error(ES3_USAGE);
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_smdp_es3_client *cl = NULL;
    rsp_buf data = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    if (send && rsp_hex_decode(argv[optind + 1], &data, NULL) != RSP_OK)
        return rsp_cli_usage_error("smdp es3: send-data wants a C-APDU in hex");
    rsp_err e = rsp_smdp_es3_client_new(&co, &cl, &d);
    rsp_smdp_es3 es3 = rsp_smdp_es3_client_iface(cl);
    const rsp_es_eis *eis = NULL;
    if (e == RSP_OK) {
        if (get)
            e = es3.get_eis(es3.arg, eid, &eis, &d);
        else if (strcmp(fn, "create-isdp") == 0)
            e = es3.create_isdp(es3.arg, eid, iccid, memory, &d);
        else if (send)
            e = es3.send_data(es3.arg, eid, iccid, data.data, data.len, &resp, &d);
        else if (kx)
            e = es3_keyest(&es3, eid, iccid, dp_key, dp_cert, ecasd, &d);
        else if (strcmp(fn, "completed") == 0)
            e = es3.completed(es3.arg, eid, iccid, &d);
        else
            e = es3.delete_isdp(es3.arg, eid, iccid, &d);
    }
    char hex[2 * 256 + 1] = "";
    if (e == RSP_OK && resp.len)
        rsp_hex_encode_upper(resp.data, resp.len < 256 ? resp.len : 256, hex, sizeof(hex));
    if (e == RSP_OK && get) {
        const rsp_es_profile_info *pi = eis->profiles.v;
        json_t *a = json_array();
        for (size_t k = 0; k < eis->profiles.n; k++) {
            char aid[33] = "";
            rsp_hex_encode_upper(pi[k].isd_p_aid.data, pi[k].isd_p_aid.len, aid, sizeof(aid));
            if (json)
                json_array_append_new(a, json_pack("{s:s, s:s, s:i}", "iccid", pi[k].iccid ? pi[k].iccid : "",
                                                   "isdp_aid", aid, "state", pi[k].state));
            else
                printf("%s %s state=%d smdp=%s\n", pi[k].iccid ? pi[k].iccid : "", aid, pi[k].state,
                       pi[k].smdp_id ? pi[k].smdp_id : "");
        }
        if (json)
            rsp_cli_json_out(json_pack("{s:s, s:o}", "eid", eid, "profiles", a));
        else
            json_decref(a);
    } else if (e == RSP_OK) {
        if (json)
            rsp_cli_json_out(json_pack("{s:s, s:s, s:s}", "function", fn, "status", "executed", "response", hex));
        else
            printf("%s: executed%s%s\n", fn, hex[0] ? " response " : "", hex);
    }
    rsp_buf_free(&data);
    rsp_buf_free(&resp);
    rsp_smdp_es3_client_free(cl);
    if (e != RSP_OK) /* a refusal or an unreachable SM-SR: 1, whatever the error (not a usage error) */
        rsp_cli_fail("smdp es3", e, &d);
    return e == RSP_OK ? RSP_EXIT_OK : RSP_EXIT_FAIL;
}

int rsp_cmd_smdp(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"import", smdp_import, "import a pool's SAIP package, identities from CSV, or generated identities"},
        {"inventory", smdp_inventory, "pools per operator and profile type with counts per state"},
        {"downloads", smdp_downloads, "the download journal: each download's step, identity and outcome"},
        {"take", smdp_take, "allocate one identity to an EID and write the personalised package"},
        {"download", rsp_smdp_cmd_download, "one whole download through an SM-SR in the foreground, each ES3 call printed"},
        {"run", rsp_smdp_cmd_run, "the SM-DP daemon: ES2 for Operators, downloads and ES3 relays through an SM-SR"},
        {"es3", smdp_es3, "one ES3 call to an SM-SR over HTTPS mTLS (get-eis, create-isdp, send-data, ...)"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp smdp", sub, argc, argv);
}
