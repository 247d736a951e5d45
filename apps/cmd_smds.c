/* `rsp smds`: the SM-DS (SGP.22). Thin: lib/smds does the work (include/rsp/smds.h).
 *   run    --dir D --address HOST[:PORT] --listen HOST:PORT [--port-file F]
 *          --es12-listen HOST:PORT --es12-ca CA.pem [--es12-port-file F] [--store URI]
 *   events --dir D --eid EID [--store URI] [--json]    the event records held for one EID
 *   delete --dir D --eid EID --event-id ID [--store URI]  an operator's removal of one record */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rsp/smds.h"

typedef struct opts {
    const char *dir, *address, *listen, *port_file, *es12_listen, *es12_ca, *es12_port_file, *store, *eid, *event_id;
    bool json;
} opts;

static int parse(int *argcp, char **argv, opts *o)
{
    memset(o, 0, sizeof(*o));
    o->json = rsp_cli_take_flag(argcp, argv, "--json");
    if (rsp_cli_take_flag(argcp, argv, "--help"))
        return -2;
    static const struct option lo[] = {
        {"dir", 1, 0, 'd'},         {"address", 1, 0, 'a'},        {"listen", 1, 0, 'l'},
        {"port-file", 1, 0, 'p'},   {"es12-listen", 1, 0, 'L'},    {"es12-ca", 1, 0, 'C'},
        {"es12-port-file", 1, 0, 'P'}, {"store", 1, 0, 's'},       {"eid", 1, 0, 'e'},
        {"event-id", 1, 0, 'i'},    {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(*argcp, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'a': o->address = optarg; break;
        case 'l': o->listen = optarg; break;
        case 'p': o->port_file = optarg; break;
        case 'L': o->es12_listen = optarg; break;
        case 'C': o->es12_ca = optarg; break;
        case 'P': o->es12_port_file = optarg; break;
        case 's': o->store = optarg; break;
        case 'e': o->eid = optarg; break;
        case 'i': o->event_id = optarg; break;
        default: return -1;
        }
    }
    return optind;
}

static int open_smds(const opts *o, rsp_smds **s)
{
    rsp_diag d = {0};
    rsp_smds_opts so = {o->dir, o->address ? o->address : "localhost", o->store, NULL};
    rsp_err e = rsp_smds_open(&so, s, &d);
    return e ? rsp_cli_fail("smds: opening the SM-DS", e, &d) : RSP_EXIT_OK;
}

#define RUN_USAGE                                                                              \
    "usage: rsp smds run --dir D --address HOST[:PORT] --listen HOST:PORT [--port-file F]\n"    \
    "       --es12-listen HOST:PORT --es12-ca SMDPP_CA.pem [--es12-port-file F] [--store URI]\n" \
    "  D holds dsauth/{key.pem,cert.der,ci.crt.der} and dstls/{key.pem,cert.pem} (rsp ci issue --sgp22);\n" \
    "  ES11 (LPAs) on --listen, ES12 (SM-DP+s, mutual TLS, certificates chaining to --es12-ca) on\n" \
    "  --es12-listen; the event records in D/smds.db unless --store names another store."
static int smds_run(int argc, char **argv)
{
    opts o;
    int r = parse(&argc, argv, &o);
    if (r == -2)
        return puts(RUN_USAGE), RSP_EXIT_OK;
    if (r < 0 || !o.dir || !o.address || !o.listen || !o.es12_listen || !o.es12_ca)
        return rsp_cli_usage_error("%s", RUN_USAGE);
    rsp_smds *s;
    if ((r = open_smds(&o, &s)) != RSP_EXIT_OK)
        return r;
    rsp_diag d = {0};
    rsp_smds_run_opts ro = {o.listen, o.port_file, o.es12_listen, o.es12_ca, o.es12_port_file};
    rsp_err e = rsp_smds_run(s, &ro, &d);
    rsp_smds_close(s);
    return e ? rsp_cli_fail("smds run", e, &d) : RSP_EXIT_OK;
}

#define EVENTS_USAGE "usage: rsp smds events --dir D --eid EID [--store URI] [--json]"
static int smds_events(int argc, char **argv)
{
    opts o;
    int r = parse(&argc, argv, &o);
    if (r == -2)
        return puts(EVENTS_USAGE), RSP_EXIT_OK;
    if (r < 0 || !o.dir || !o.eid)
        return rsp_cli_usage_error("%s", EVENTS_USAGE);
    rsp_smds *s;
    if ((r = open_smds(&o, &s)) != RSP_EXIT_OK)
        return r;
    rsp_store_smds_event *v = NULL;
    size_t n = 0;
    rsp_err e = rsp_store_smds_list(rsp_smds_store(s), o.eid, 1000, &v, &n);
    if (!e && o.json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s,s:s,s:b,s:s,s:I}", "eventId", v[i].event_id,
                                                 "rspServerAddress", v[i].rsp_server_address, "forwarding",
                                                 v[i].forwarding, "registeredBy", v[i].registered_by, "created",
                                                 (json_int_t)(v[i].created / 1000000)));
        rsp_cli_json_out(json_pack("{s:s,s:o}", "eid", o.eid, "events", arr));
    } else if (!e) {
        for (size_t i = 0; i < n; i++)
            printf("%s  %s  (registered by %s)\n", v[i].event_id, v[i].rsp_server_address, v[i].registered_by);
        if (n == 0)
            printf("no events for %s\n", o.eid);
    }
    free(v);
    rsp_smds_close(s);
    return e ? rsp_cli_fail("smds events", e, NULL) : RSP_EXIT_OK;
}

#define DELETE_USAGE "usage: rsp smds delete --dir D --eid EID --event-id ID [--store URI]"
/* Without an owner check: for an event its SM-DP+ will never delete (records have no expiry). */
static int smds_delete(int argc, char **argv)
{
    opts o;
    int r = parse(&argc, argv, &o);
    if (r == -2)
        return puts(DELETE_USAGE), RSP_EXIT_OK;
    if (r < 0 || !o.dir || !o.eid || !o.event_id)
        return rsp_cli_usage_error("%s", DELETE_USAGE);
    rsp_smds *s;
    if ((r = open_smds(&o, &s)) != RSP_EXIT_OK)
        return r;
    rsp_err e = rsp_store_smds_delete(rsp_smds_store(s), o.eid, o.event_id, NULL);
    rsp_smds_close(s);
    if (e == RSP_ERR_NOT_FOUND)
        return rsp_cli_usage_error("smds delete: no event %s for %s", o.event_id, o.eid);
    return e ? rsp_cli_fail("smds delete", e, NULL) : RSP_EXIT_OK;
}

int rsp_cmd_smds(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"run", smds_run, "the SM-DS daemon: ES11 for LPAs, ES12 for SM-DP+s"},
        {"events", smds_events, "the event records held for one EID"},
        {"delete", smds_delete, "remove one event record (an operator's decision; no owner check)"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp smds", sub, argc, argv);
}
