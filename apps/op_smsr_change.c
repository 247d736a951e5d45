/* `rsp op smsr-change`: the Operator moves a batch of eUICCs from one SM-SR to another (SGP.02 "SM-SR
 * change"): ES4.PrepareSMSRChange to the new SM-SR, then ES4.SMSRChange to the current one, asked again
 * with the same FunctionCallIdentifier until it answers Executed-Success or Failed (the SM-SRs answer
 * Executed-WithWarning 1.6 / 3.7 "in progress" meanwhile: docs/modules/smsr_change.md). Progress on
 * stderr, one line per card on stdout (or one JSON object with --json). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "op_int.h"
#include "rsp/es_types.h"
#include "rsp/svc_client.h"

static const char USAGE[] =
    "usage: rsp op smsr-change --eids FILE --from URL --from-id ID --to URL --to-id ID\n"
    "                          --tls-cert PEM --tls-key PEM --tls-ca PEM [--timeout S] [--poll-ms N] [--json]\n"
    "\n"
    "Moves every eUICC of FILE (one EID per line, # comments) from the SM-SR at --from (certificate CN\n"
    "--from-id) to the one at --to (--to-id): ES4.PrepareSMSRChange to --to, then ES4.SMSRChange to --from,\n"
    "polled (same FunctionCallIdentifier) every --poll-ms (default 300) until each is done or refused,\n"
    "at most --timeout seconds in all (default 300). The TLS identity is the Operator of the cards'\n"
    "enabled profiles. Progress goes to stderr.\n"
    "Exit: 0 every card moved, 1 one refused or not done in time, 2 usage.\n";

typedef struct chg_args {
    const char *eids, *from, *from_id, *to, *to_id, *cert, *key, *ca;
    long timeout, poll_ms;
    bool json;
} chg_args;

typedef struct card {
    char eid[40];
    char fcid[64];
    int state; /* 0 in progress, 1 done, -1 refused */
    char msg[160];
} card;

static int parse(int argc, char **argv, chg_args *a)
{
    memset(a, 0, sizeof(*a));
    a->timeout = 300;
    a->poll_ms = 300;
    a->json = rsp_cli_take_flag(&argc, argv, "--json");
    static const struct option opts[] = {{"eids", 1, 0, 'e'},    {"from", 1, 0, 'f'},    {"from-id", 1, 0, 'F'},
                                         {"to", 1, 0, 't'},      {"to-id", 1, 0, 'T'},   {"tls-cert", 1, 0, 'c'},
                                         {"tls-key", 1, 0, 'k'}, {"tls-ca", 1, 0, 'a'},  {"timeout", 1, 0, 's'},
                                         {"poll-ms", 1, 0, 'p'}, {"help", 0, 0, 'h'},    {0, 0, 0, 0}};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e': a->eids = optarg; break;
        case 'f': a->from = optarg; break;
        case 'F': a->from_id = optarg; break;
        case 't': a->to = optarg; break;
        case 'T': a->to_id = optarg; break;
        case 'c': a->cert = optarg; break;
        case 'k': a->key = optarg; break;
        case 'a': a->ca = optarg; break;
        case 's': a->timeout = strtol(optarg, NULL, 10); break;
        case 'p': a->poll_ms = strtol(optarg, NULL, 10); break;
        case 'h': fputs(USAGE, stdout); return 0;
        default: return rsp_cli_usage_error("op smsr-change: bad arguments (see --help)");
        }
    }
    if (optind != argc || !a->eids || !a->from || !a->from_id || !a->to || !a->to_id || !a->cert || !a->key || !a->ca)
        return rsp_cli_usage_error("op smsr-change: --eids, --from, --from-id, --to, --to-id and --tls-* are needed");
    if (a->timeout <= 0 || a->poll_ms <= 0 || a->poll_ms > 60000)
        return rsp_cli_usage_error("op smsr-change: --timeout and --poll-ms must be positive");
    return -1;
}

/* The EID list (op_eid_rows_load's format; an ICCID column is not used here). */
static int load(const char *path, card **out, size_t *n)
{
    op_eid_row *r = NULL;
    size_t nr = 0;
    int rc = op_eid_rows_load("op smsr-change", path, &r, &nr);
    if (rc >= 0)
        return rc;
    *n = 0;
    if (!(*out = calloc(nr, sizeof(card))))
        rc = rsp_cli_usage_error("op smsr-change: out of memory");
    for (size_t i = 0; rc < 0 && i < nr; i++) {
        if (strlen(r[i].eid) != 32 || strspn(r[i].eid, "0123456789") != 32) {
            rc = rsp_cli_usage_error("op smsr-change: %s: not an EID: %s", path, r[i].eid);
            free(*out);
            *out = NULL;
        } else
            snprintf((*out)[(*n)++].eid, sizeof((*out)[0].eid), "%s", r[i].eid);
    }
    op_eid_rows_free(r, nr);
    return rc;
}

/* One ES4 call: 1 Executed-Success, 0 in progress (Executed-WithWarning) or no answer, -1 refused. */
static int call(rsp_svc_client *cl, const char *fn, const char *eid, const char *smsr_id, const char *fcid, bool prepare,
                char msg[160])
{
    rsp_es_msg req, resp;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    const rsp_es_func *f = rsp_es_func_find(RSP_ES4, fn, strlen(fn));
    rsp_err e = f ? rsp_es_msg_init(&req, f, false) : RSP_ERR_INTERNAL;
    rsp_es_smsr_change_req *q = req.body;
    if (e == RSP_OK && (!(q->eid = strdup(eid)) || !(q->hdr.function_call_id = strdup(fcid)) ||
                        !(*(prepare ? &q->current_smsr_id : &q->target_smsr_id) = strdup(smsr_id))))
        e = RSP_ERR_NOMEM;
    int http = 0, r = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (e == RSP_OK)
        e = rsp_svc_client_call(cl, &req, false, &resp, &http, &d);
    const rsp_es_fes *s = e == RSP_OK ? rsp_svc_client_status(&resp) : NULL;
    msg[0] = 0;
    if (e != RSP_OK) {
        char m[140];
        snprintf(msg, 160, "%s: no answer: %s", fn, rsp_diag_str(&d, e, m, sizeof(m)));
    } else if (!s || s->status == RSP_ES_EXECUTED_SUCCESS) {
        r = 1;
    } else if (s->status == RSP_ES_EXECUTED_WITH_WARNING) {
        snprintf(msg, 160, "%s", s->code && s->code->message ? s->code->message : "in progress");
    } else {
        r = -1;
        snprintf(msg, 160, "%s %s/%s: %s", fn, s->code && s->code->subject ? s->code->subject : "?",
                 s->code && s->code->reason ? s->code->reason : "?",
                 s->code && s->code->message ? s->code->message : "refused");
    }
    rsp_es_msg_free(&req);
    rsp_es_msg_free(&resp);
    return r;
}

static rsp_err client(const chg_args *a, const char *url, rsp_svc_client **cl, rsp_diag *d)
{
    rsp_svc_client_opts o;
    memset(&o, 0, sizeof(o));
    o.url = url;
    o.tls_cert = a->cert;
    o.tls_key = a->key;
    o.tls_ca = a->ca;
    o.binding = RSP_SVC_BINDING_JSON;
    o.timeout_ms = 10000;
    return rsp_svc_client_new(&o, cl, d);
}

static void report(const chg_args *a, const card *v, size_t n, size_t done, size_t failed)
{
    if (!a->json) {
        for (size_t i = 0; i < n; i++)
            printf("%s %s%s%s\n", v[i].eid, v[i].state > 0 ? "done" : v[i].state < 0 ? "failed" : "timeout",
                   v[i].state > 0 ? "" : " ", v[i].state > 0 ? "" : v[i].msg);
        return;
    }
    printf("{\"from\": \"%s\", \"to\": \"%s\", \"total\": %zu, \"done\": %zu, \"failed\": %zu, \"timeout\": %zu, "
           "\"results\": [", a->from_id, a->to_id, n, done, failed, n - done - failed);
    for (size_t i = 0; i < n; i++) {
        printf("%s{\"eid\": \"%s\", \"status\": \"%s\", \"message\": \"", i ? ", " : "", v[i].eid,
               v[i].state > 0 ? "done" : v[i].state < 0 ? "failed" : "timeout");
        for (const char *p = v[i].state > 0 ? "" : v[i].msg; *p; p++)
            if (*p == '"' || *p == '\\')
                printf("\\%c", *p);
            else if ((unsigned char)*p >= 0x20)
                putchar(*p);
        printf("\"}");
    }
    printf("]}\n");
}

int op_smsr_change(int argc, char **argv)
{
    chg_args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    card *v = NULL;
    size_t n = 0, done = 0, failed = 0;
    if ((rc = load(a.eids, &v, &n)) >= 0)
        return rc;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_svc_client *from = NULL, *to = NULL;
    rsp_err e = client(&a, a.from, &from, &d);
    if (e == RSP_OK)
        e = client(&a, a.to, &to, &d);
    if (e != RSP_OK) {
        free(v);
        rsp_svc_client_free(from);
        return rsp_cli_fail("op smsr-change", e, &d);
    }
    time_t t0 = time(NULL);
    for (size_t i = 0; i < n; i++) { /* the target first: it must expect the card before the handover */
        snprintf(v[i].fcid, sizeof(v[i].fcid), "chg-%lld-%zu", (long long)t0, i);
        char pf[80];
        snprintf(pf, sizeof(pf), "%s-p", v[i].fcid);
        if (call(to, "PrepareSMSRChange", v[i].eid, a.from_id, pf, true, v[i].msg) != 1) {
            v[i].state = -1;
            failed++;
        }
    }
    fprintf(stderr, "smsr-change: %zu prepared on %s, %zu refused\n", n - failed, a.to_id, failed);
    while (done + failed < n && time(NULL) - t0 < a.timeout) {
        for (size_t i = 0; i < n; i++) {
            if (v[i].state)
                continue;
            int r = call(from, "SMSRChange", v[i].eid, a.to_id, v[i].fcid, false, v[i].msg);
            if (r) {
                v[i].state = r;
                r > 0 ? done++ : failed++;
            }
        }
        fprintf(stderr, "smsr-change: %zu/%zu done, %zu failed, %zu in progress (%llds)\n", done, n, failed,
                n - done - failed, (long long)(time(NULL) - t0));
        if (done + failed < n) {
            struct timespec ts = {a.poll_ms / 1000, (a.poll_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    report(&a, v, n, done, failed);
    rsp_svc_client_free(from);
    rsp_svc_client_free(to);
    free(v);
    return done == n ? 0 : 1;
}
