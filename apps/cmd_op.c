/* `rsp op FUNCTION ...`: the Operator / M2M SP client. Sends one ES2, ES4 or ES4A request over HTTPS
 * with mutual TLS (SOAP by default, JSON with --binding json) and prints the MessageID (accepted) or
 * the result; --wait waits for the result, through a callback listener of its own (--callback-listen)
 * or, without one, by asking the server for the result in the HTTP response (Prefer: wait). --eids runs
 * the same request over a list of EIDs (op_batch.c). docs/modules/op.md. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "op_int.h"
#include "rsp/crypto.h"
#include "rsp/log.h"

static void usage(FILE *o)
{
    fprintf(o,
            "usage: rsp op FUNCTION --url https://HOST:PORT[/PATH] --tls-cert FILE --tls-key FILE --tls-ca FILE\n"
            "              [--binding soap|json] [--dialect gsma|njiwa] [--iface es2|es4|es4a]\n"
            "              [--eid EID] [--iccid ICCID] [...the function's flags: rsp op FUNCTION --help]\n"
            "              [--body JSON|@FILE] [--wait [--callback-listen HOST:PORT [--callback-url URL]]]\n"
            "              [--reply-to URL] [--timeout SECONDS] [--from URI] [--dump-request FILE]\n"
            "              [--dump-response FILE] [--json] [--verbose]\n"
            "       rsp op FUNCTION ... --eids FILE [--concurrency N] [--results FILE.jsonl]\n"
            "       rsp op ota ...     ES6: file and applet requests to the MNO-SD of the enabled profile,\n"
            "                          over SMPP (rsp op ota --help)\n"
            "\n"
            "Sends one ES request as the Operator or M2M SP whose TLS certificate (from `rsp ci issue`) is given.\n"
            "FUNCTION is ES4.EnableProfile, es2.DownloadProfile, or a bare name (ES4A, then ES4, then ES2:\n"
            "EnableProfile is ES4's unless --iface es2). Functions:\n");
    op_print_functions(o);
    fprintf(o,
            "\n"
            "Without --wait: prints the MessageID once the server accepted the request (202) and will send the\n"
            "  result to --reply-to URL; without --reply-to (nowhere to send it) or in the njiwa dialect the\n"
            "  server answers with the result itself, which is printed; so is a refusal.\n"
            "--wait: prints the result. With --callback-listen, a listener (mutual TLS, the same certificate and\n"
            "  CA) receives it, the request carrying ReplyTo = --callback-url or https://HOST:PORT/ of the\n"
            "  listener (JSON: https://HOST:PORT/<iface>/<Function>, where JSON results are routed); without it,\n"
            "  the request asks for the result in the HTTP response (Prefer: wait).\n"
            "--timeout: seconds to wait for an answer or a result (default 60, 120 with --wait).\n"
            "--body: the request as its JSON form (docs/ES-JSON.md); flags given beside it override its members.\n"
            "--dump-request FILE, --dump-response FILE: the request as sent, the body of the HTTP answer (the\n"
            "  last ones in a batch).\n"
            "--eids FILE: one EID per line, optionally followed by an ICCID (blank lines and # comments skipped);\n"
            "  N requests in flight (--concurrency, default 4), a progress line on stderr, one JSON line per EID\n"
            "  in --results (default FILE.results.jsonl); a rerun with the same results file skips the EIDs that\n"
            "  have a final line (executed, refused); the others are resent under the FunctionCallIdentifier\n"
            "  recorded in FILE.jsonl.fcids before the first send, so the server replays its first result rather\n"
            "  than running the function twice. Ctrl-C stops taking new EIDs and waits for those in flight\n"
            "  (a second Ctrl-C quits at once).\n"
            "Output: human lines, or --json (one object; with --eids a summary object).\n"
            "Exit: 0 executed (or accepted, without --wait), 1 refused / failed / expired / SOAP Fault,\n"
            "  2 usage, 3 no usable answer (network, timeout: the outcome is unknown). A batch exits with the\n"
            "  worst of its EIDs (1 before 3 before 0), 130 when interrupted.\n");
}

static bool value_flag(const char *s, const char *name, int *i, int argc, char **argv, const char **out)
{
    if (strcmp(s, name) != 0 || *i + 1 >= argc)
        return false;
    *out = argv[++*i];
    return true;
}

/* Parses argv into a; returns -1 to go on, else an exit code (help printed, usage error). */
static int parse(int argc, char **argv, op_args *a)
{
    const char *fname = NULL, *binding = NULL, *dialect = NULL, *iface = NULL, *timeout = NULL, *conc = NULL;
    bool help = false, verbose = false;
    memset(a, 0, sizeof(*a));
    /* the function first, so that its flags can be recognised */
    if (argc > 1 && argv[1][0] != '-')
        fname = argv[1];
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            help = true;
        else if (!strcmp(argv[i], "--iface") && i + 1 < argc)
            iface = argv[i + 1];
    if (fname) {
        a->f = op_find(fname, iface);
        if (!a->f)
            return rsp_cli_usage_error("op: unknown function '%s'%s%s (rsp op --help lists them)", fname,
                                       iface ? " in " : "", iface ? iface : "");
    }
    if (help) {
        if (a->f)
            op_print_fields(stdout, a->f);
        else
            usage(stdout);
        return RSP_EXIT_OK;
    }
    if (!a->f)
        return rsp_cli_usage_error("op: FUNCTION first (rsp op --help)");
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        bool takes = false;
        if (s[0] != '-')
            return rsp_cli_usage_error("op: unexpected argument '%s'", s);
        else if (!strcmp(s, "--wait"))
            a->wait = true;
        else if (!strcmp(s, "--json"))
            a->json = true;
        else if (!strcmp(s, "--verbose"))
            verbose = true;
        else if (value_flag(s, "--url", &i, argc, argv, &a->url) || value_flag(s, "--tls-cert", &i, argc, argv, &a->cert) ||
                 value_flag(s, "--tls-key", &i, argc, argv, &a->key) || value_flag(s, "--tls-ca", &i, argc, argv, &a->ca) ||
                 value_flag(s, "--from", &i, argc, argv, &a->from) || value_flag(s, "--binding", &i, argc, argv, &binding) ||
                 value_flag(s, "--dialect", &i, argc, argv, &dialect) || value_flag(s, "--iface", &i, argc, argv, &iface) ||
                 value_flag(s, "--callback-listen", &i, argc, argv, &a->cb_listen) ||
                 value_flag(s, "--callback-url", &i, argc, argv, &a->cb_url) ||
                 value_flag(s, "--reply-to", &i, argc, argv, &a->reply_to) ||
                 value_flag(s, "--timeout", &i, argc, argv, &timeout) ||
                 value_flag(s, "--dump-request", &i, argc, argv, &a->dump_request) ||
                 value_flag(s, "--dump-response", &i, argc, argv, &a->dump_response) ||
                 value_flag(s, "--body", &i, argc, argv, &a->body) ||
                 value_flag(s, "--eids", &i, argc, argv, &a->eids_file) ||
                 value_flag(s, "--concurrency", &i, argc, argv, &conc) ||
                 value_flag(s, "--results", &i, argc, argv, &a->results))
            ;
        else if (s[0] == '-' && s[1] == '-' && op_is_field_flag(a->f, s + 2, &takes)) {
            if (a->nkv >= OP_MAX_FIELDS)
                return rsp_cli_usage_error("op: too many flags");
            a->kv[a->nkv].name = s + 2;
            if (takes) {
                if (i + 1 >= argc)
                    return rsp_cli_usage_error("op: --%s needs a value", s + 2);
                a->kv[a->nkv].value = argv[++i];
            }
            a->nkv++;
        } else
            return rsp_cli_usage_error("op: %s: unexpected '%s' (rsp op %s --help lists its flags)", a->f->name, s,
                                       a->f->name);
    }
    if (!a->url || !a->cert || !a->key || !a->ca)
        return rsp_cli_usage_error("op: --url, --tls-cert, --tls-key and --tls-ca are required");
    if (binding && !strcmp(binding, "json"))
        a->binding = RSP_SVC_BINDING_JSON;
    else if (binding && strcmp(binding, "soap") != 0)
        return rsp_cli_usage_error("op: --binding soap|json, not '%s'", binding);
    if (dialect && rsp_es_dialect_parse(dialect, &a->dialect) != RSP_OK)
        return rsp_cli_usage_error("op: --dialect gsma|njiwa, not '%s'", dialect);
    if (a->cb_listen && !a->wait)
        return rsp_cli_usage_error("op: --callback-listen goes with --wait");
    if (a->reply_to && a->wait)
        return rsp_cli_usage_error("op: --reply-to is for results that go elsewhere: without --wait");
    if (a->cb_url && !a->cb_listen)
        return rsp_cli_usage_error("op: --callback-url goes with --callback-listen");
    a->timeout_ms = a->wait ? 120000 : 60000;
    if (timeout) {
        char *end = NULL;
        unsigned long v = strtoul(timeout, &end, 10);
        if (!*timeout || *end || v == 0 || v > 86400)
            return rsp_cli_usage_error("op: --timeout SECONDS (1..86400), not '%s'", timeout);
        a->timeout_ms = (unsigned)v * 1000;
    }
    a->concurrency = 4;
    if (conc) {
        char *end = NULL;
        unsigned long v = strtoul(conc, &end, 10);
        if (!*conc || *end || v == 0 || v > 256)
            return rsp_cli_usage_error("op: --concurrency N (1..256), not '%s'", conc);
        a->concurrency = (unsigned)v;
    }
    if ((conc || a->results) && !a->eids_file)
        return rsp_cli_usage_error("op: --concurrency and --results go with --eids");
    for (size_t i = 0; a->eids_file && i < a->nkv; i++)
        if (!strcmp(a->kv[i].name, "fcid"))
            return rsp_cli_usage_error("op: --fcid with --eids would give every EID the same FunctionCallIdentifier");
    bool has_eid = false;
    if (a->eids_file && (!op_is_field_flag(a->f, "eid", &has_eid) || !has_eid))
        return rsp_cli_usage_error("op: %s takes no EID: --eids does not apply", a->f->name);
    /* the daemon shell's and the network's NOTICE lines are noise for a command-line tool */
    rsp_log_set_level_all(verbose ? RSP_LOG_INFO : RSP_LOG_ERROR);
    return -1;
}

rsp_err op_client_new(const op_args *a, rsp_svc_client **cl, rsp_diag *d)
{
    rsp_svc_client_opts o = {a->url, a->cert, a->key, a->ca, a->binding, a->dialect, a->timeout_ms, a->from};
    return rsp_svc_client_new(&o, cl, d);
}

static char *new_message_id(void)
{
    uint8_t r[16];
    char *s = malloc(46);
    if (!s || rsp_random(r, sizeof(r)) != RSP_OK) {
        free(s);
        return NULL;
    }
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    snprintf(s, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
             r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
    return s;
}

static op_outcome outcome_of(const rsp_es_msg *resp)
{
    const rsp_es_fes *s = rsp_svc_client_status(resp);
    return s && (s->status == RSP_ES_EXECUTED_SUCCESS || s->status == RSP_ES_EXECUTED_WITH_WARNING) ? OP_EXECUTED
                                                                                                    : OP_REFUSED;
}

void op_run_one(const op_args *a, rsp_svc_client *cl, op_cb *cb, const char *reply_to, const char *eid,
                const char *iccid, const char *fcid, rsp_es_msg *req, op_result *r)
{
    memset(r, 0, sizeof(*r));
    r->via = "none";
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = op_build(a, eid, iccid, req, &d);
    if (e != RSP_OK) {
        r->outcome = OP_INVALID;
        snprintf(r->error, sizeof(r->error), "%s", d.msg[0] ? d.msg : rsp_err_msg(e));
        return;
    }
    rsp_es_req_hdr *rh = req->body;
    if (fcid) {
        free(rh->function_call_id);
        rh->function_call_id = strdup(fcid);
    }
    bool use_cb = cb && a->wait;
    if (!a->wait && a->reply_to && !(req->wsa.reply_to = strdup(a->reply_to))) {
        r->outcome = OP_NO_ANSWER;
        snprintf(r->error, sizeof(r->error), "out of memory");
        return;
    }
    if (use_cb) {
        req->wsa.reply_to = strdup(reply_to);
        req->wsa.message_id = new_message_id();
        if (!req->wsa.reply_to || !req->wsa.message_id || op_cb_expect(cb, req->wsa.message_id) != RSP_OK) {
            r->outcome = OP_NO_ANSWER;
            snprintf(r->error, sizeof(r->error), "out of memory");
            return;
        }
    }
    /* 503 is the server's admission control (too many calls pending, Retry-After: 1): the request was
     * not taken, so sending it again (same FCID and MessageID) is safe; a second apart, within --timeout */
    for (unsigned attempt = 0;; attempt++) {
        rsp_diag_clear(&d);
        e = rsp_svc_client_call(cl, req, a->wait && !cb, &r->resp, &r->http_status, &d);
        if (e == RSP_OK || r->http_status != 503 || (attempt + 1) * 1000u >= a->timeout_ms)
            break;
        rsp_es_msg_free(&r->resp);
        rsp_log(RSP_SS_TOOL, RSP_LOG_INFO, "server busy (HTTP 503): sending again in 1 s", "attempt=%u", attempt + 1);
        struct timespec pause = {1, 0};
        nanosleep(&pause, NULL);
    }
    const rsp_es_req_hdr *h = req->body;
    snprintf(r->function_call_id, sizeof(r->function_call_id), "%s", h->function_call_id ? h->function_call_id : "");
    snprintf(r->message_id, sizeof(r->message_id), "%s", req->wsa.message_id ? req->wsa.message_id : "");
    if ((a->dump_request || a->dump_response) && a->dump_mu)
        pthread_mutex_lock(a->dump_mu);
    if (a->dump_request) {
        const rsp_buf *b = rsp_svc_client_last_request(cl);
        if (rsp_cli_write_file(a->dump_request, b->data, b->len, 0644) != RSP_OK)
            fprintf(stderr, "rsp: op: cannot write %s\n", a->dump_request);
    }
    if (a->dump_response) {
        const rsp_buf *b = rsp_svc_client_last_response(cl);
        if (rsp_cli_write_file(a->dump_response, b->data, b->len, 0644) != RSP_OK)
            fprintf(stderr, "rsp: op: cannot write %s\n", a->dump_response);
    }
    if ((a->dump_request || a->dump_response) && a->dump_mu)
        pthread_mutex_unlock(a->dump_mu);
    if (e == RSP_ERR_DENIED) {
        r->outcome = OP_FAULT;
        snprintf(r->error, sizeof(r->error), "%s", d.msg);
    } else if (e != RSP_OK) {
        r->outcome = OP_NO_ANSWER;
        snprintf(r->error, sizeof(r->error), "%s", d.msg[0] ? d.msg : rsp_err_msg(e));
    } else if (r->resp.func) {
        r->via = "http-response";
        r->outcome = outcome_of(&r->resp);
    } else if (!use_cb)
        r->outcome = OP_ACCEPTED;
    else if ((e = op_cb_wait(cb, r->message_id, a->timeout_ms, &r->resp)) == RSP_OK) {
        r->via = "callback";
        r->outcome = outcome_of(&r->resp);
        use_cb = false; /* the slot is gone */
    } else {
        r->outcome = OP_NO_ANSWER;
        snprintf(r->error, sizeof(r->error), "accepted, but no result at %s within %u s", reply_to, a->timeout_ms / 1000);
        use_cb = false;
    }
    if (use_cb) { /* answered in the HTTP response after all: forget the MessageID */
        rsp_es_msg none;
        op_cb_wait(cb, r->message_id, 0, &none);
        rsp_es_msg_free(&none);
    }
}

void op_result_free(op_result *r)
{
    rsp_es_msg_free(&r->resp);
}

int rsp_cmd_op(int argc, char **argv)
{
    /* commands with flags of their own, not ES functions */
    if (argc > 1 && !strcmp(argv[1], "ota"))
        return op_ota(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "smsr-change"))
        return op_smsr_change(argc - 1, argv + 1);
    op_args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    if (a.eids_file)
        return op_batch(&a);
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_svc_client *cl = NULL;
    op_cb *cb = NULL;
    const char *reply_to = NULL;
    rsp_err e = op_client_new(&a, &cl, &d);
    if (e != RSP_OK)
        return rsp_cli_fail("op", e, &d);
    if (a.cb_listen && (e = op_cb_start(&a, &cb, &reply_to, &d)) != RSP_OK) {
        rsp_svc_client_free(cl);
        return rsp_cli_fail("op: callback listener", e, &d);
    }
    rsp_es_msg req;
    op_result r;
    op_run_one(&a, cl, cb, reply_to, NULL, NULL, NULL, &req, &r);
    if (r.outcome == OP_INVALID)
        rc = rsp_cli_usage_error("op: %s", r.error);
    else if (a.json)
        rsp_cli_json_out(op_result_json(&req, &r));
    else
        op_result_print(stdout, &req, &r);
    if (r.outcome != OP_INVALID)
        rc = op_exit_code(r.outcome);
    op_result_free(&r);
    rsp_es_msg_free(&req);
    op_cb_stop(cb);
    rsp_svc_client_free(cl);
    return rc;
}
