/* `rsp lpa profile download` and `rsp lpa notification process`: the ES9+ side of the LPA (lib/lpa
 * download.c, es9c.c). A progress line per phase (stdout; stderr with --json, whose one document is
 * the result). Exit: 0 installed / all sent; 1 refused by the card or the SM-DP+, unreachable, or the
 * clock is wrong; 2 usage or a malformed activation code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lpa_cmds.h"
#include "rsp/es9p.h"
#include "rsp/lpa.h"

/* Takes "--name VALUE" out of argv; NULL when absent. */
static const char *opt(int *argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < *argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            const char *v = argv[i + 1];
            memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2) * sizeof(char *));
            *argc -= 2;
            return v;
        }
    }
    return NULL;
}

/* --ca FILE, or --insecure (issue 13: allowed, stated loudly): the server is then not authenticated
 * and whoever answers receives the card's signatures, so every command that uses it says so on stderr
 * and in --json. Never both. */
static int net_opts(int *argc, char **argv, const char **ca, bool *insecure)
{
    *insecure = rsp_cli_take_flag(argc, argv, "--insecure");
    *ca = opt(argc, argv, "--ca");
    if (*insecure && *ca)
        return rsp_cli_usage_error("lpa: --ca and --insecure exclude each other");
    if (!*ca && !*insecure)
        return rsp_cli_usage_error("lpa: --ca FILE is required (the CA the SM-DP+'s TLS certificate chains to; "
                                   "--insecure to skip that check, labs only)");
    return 0;
}

static void insecure_warning(bool insecure)
{
    if (insecure)
        fprintf(stderr, "rsp: lpa: WARNING: --insecure: the server's TLS certificate is NOT checked; anyone on the "
                        "path can pose as the server and receive the card's signatures\n");
}

int rsp_lpa_check_net_opts(int argc, char **argv)
{
    char *copy[64];
    if (argc > 64)
        return rsp_cli_usage_error("lpa: too many arguments");
    memcpy(copy, argv, (size_t)argc * sizeof(char *));
    const char *ca = NULL;
    bool insecure = false;
    return net_opts(&argc, copy, &ca, &insecure);
}

static void on_progress(void *arg, rsp_lpa_phase phase, const char *detail)
{
    FILE *f = arg;
    fprintf(f, "[%s] %s\n", rsp_lpa_phase_name(phase), detail);
    fflush(f);
}

/* One download's result as JSON (rsp lpa profile download --json, and each event of discover). */
static json_t *result_json(const rsp_lpa_download_result *r, rsp_err e, const char *error)
{
    json_t *j = json_object();
    json_object_set_new(j, "installed", json_boolean(r->installed));
    json_object_set_new(j, "phase", json_string(rsp_lpa_phase_name(r->reached)));
    json_object_set_new(j, "transaction_id", json_string(r->tid));
    json_object_set_new(j, "iccid", json_string(r->iccid));
    json_object_set_new(j, "name", json_string(r->name));
    json_object_set_new(j, "spn", json_string(r->spn));
    json_object_set_new(j, "pir_sent", json_boolean(r->pir_sent));
    json_object_set_new(j, "retry_safe", json_boolean(r->retry_safe));
    json_object_set_new(j, "cancel_reason", r->cancel_reason >= 0 ? json_integer(r->cancel_reason) : json_null());
    json_object_set_new(j, "card_cancelled", json_boolean(r->card_cancelled));
    json_object_set_new(j, "server_cancelled", json_boolean(r->server_cancelled));
    if (r->subject_code[0]) {
        json_object_set_new(j, "subject_code", json_string(r->subject_code));
        json_object_set_new(j, "reason_code", json_string(r->reason_code));
    }
    if (r->card_error >= 0)
        json_object_set_new(j, "card_error", json_integer(r->card_error));
    if (r->error_reason >= 0) {
        json_object_set_new(j, "bpp_command_id", json_integer(r->bpp_command_id));
        json_object_set_new(j, "error_reason", json_integer(r->error_reason));
    }
    if (r->reached == RSP_LPA_PH_INSTALL && !r->installed)
        json_object_set_new(j, "profile_on_card", json_boolean(r->profile_on_card));
    if (e)
        json_object_set_new(j, "error", json_string(error && *error ? error : rsp_err_msg(e)));
    if (r->recovered) {
        json_t *p = json_object();
        json_object_set_new(p, "transaction_id", json_string(r->recovered_tid));
        json_object_set_new(p, "phase", json_string(rsp_lpa_phase_name(r->recovered_phase)));
        json_object_set_new(p, "profile_on_card", json_boolean(r->recovered_on_card));
        json_object_set_new(j, "previous", p);
    }
    return j;
}

static void after_failure(const rsp_lpa_download_result *r)
{
    if (r->retry_safe)
        fprintf(stderr, "rsp: lpa: nothing reached the card's profiles: safe to retry\n");
    else
        fprintf(stderr, "rsp: lpa: failed during installation: the card %s the profile; list the profiles before any retry\n",
                r->installed || r->profile_on_card ? "holds" : "does not hold");
}

int rsp_lpa_cmd_download(lpa_ctx *x, int argc, char **argv)
{
    const char *ca = NULL;
    bool insecure = false;
    int rc = net_opts(&argc, argv, &ca, &insecure);
    if (rc)
        return rc;
    const char *acs = opt(&argc, argv, "--activation-code"), *cc = opt(&argc, argv, "--confirmation-code");
    const char *session = opt(&argc, argv, "--session");
    if (!acs || argc != 1)
        return rsp_cli_usage_error("lpa profile download --activation-code 'LPA:1$ADDRESS$MATCHING_ID' "
                                   "[--confirmation-code C] [--session FILE] --ca FILE | --insecure");
    rsp_es9p_ac ac;
    rsp_diag d = {0};
    rsp_err e = rsp_es9p_ac_parse(acs, strlen(acs), &ac, &d);
    if (e)
        return rsp_cli_usage_error("lpa: activation code: %s", d.msg[0] ? d.msg : rsp_err_msg(e));
    if (ac.cc_required && !cc)
        return rsp_cli_usage_error("lpa: the activation code says a confirmation code is required (--confirmation-code)");
    insecure_warning(insecure);
    rsp_lpa_download_opts o = {ac.address, ac.matching_id, cc, ca, 0, 0, NULL, on_progress, x->json ? stderr : stdout,
                               insecure};
    o.session_path = session;
    const char *cut = getenv("RSP_LPA_TEST_CUT"); /* the tests' mid-installation cut (lpa.h) */
    if (cut)
        o.cut_after_pieces = strtoul(cut, NULL, 10);
    rsp_lpa_download_result r;
    e = rsp_lpa_download(&x->card, &o, &r, &d);
    if (x->json) {
        json_t *j = result_json(&r, e, d.msg);
        json_object_set_new(j, "insecure", json_boolean(insecure));
        rsp_cli_json_out(j);
    }
    if (!e)
        return RSP_EXIT_OK;
    fprintf(stderr, "rsp: lpa: download failed in %s: %s\n", rsp_lpa_phase_name(r.reached),
            d.msg[0] ? d.msg : rsp_err_msg(e));
    after_failure(&r);
    return e == RSP_ERR_FORMAT || e == RSP_ERR_INVAL ? RSP_EXIT_USAGE : RSP_EXIT_FAIL;
}

int rsp_lpa_cmd_discover(lpa_ctx *x, int argc, char **argv)
{
    const char *ca = NULL;
    bool insecure = false;
    int rc = net_opts(&argc, argv, &ca, &insecure);
    if (rc)
        return rc;
    const char *smds = opt(&argc, argv, "--smds"), *session = opt(&argc, argv, "--session");
    if (!smds || argc != 1)
        return rsp_cli_usage_error("lpa profile discover --smds ADDRESS [--session FILE] --ca FILE | --insecure");
    if (!*smds || strlen(smds) > RSP_ES9P_MAX_ADDRESS || strchr(smds, '/'))
        return rsp_cli_usage_error("lpa: --smds '%s': an address host[:port]", smds);
    insecure_warning(insecure);
    rsp_lpa_download_opts o = {smds, NULL, NULL, ca, 0, 0, session, on_progress, x->json ? stderr : stdout, insecure};
    const char *cut = getenv("RSP_LPA_TEST_CUT"); /* as for download: each event's download is cut */
    if (cut)
        o.cut_after_pieces = strtoul(cut, NULL, 10);
    rsp_lpa_discover_result *r = calloc(1, sizeof(*r));
    if (!r)
        return rsp_cli_fail("lpa: discover", RSP_ERR_NOMEM, NULL);
    rsp_diag d = {0};
    rsp_err e = rsp_lpa_discover(&x->card, &o, r, &d);
    bool es11_failed = e && r->n_events == 0 && r->installed + r->failed == 0 && r->auth.reached != RSP_LPA_PH_DONE;
    if (x->json) {
        json_t *j = json_object(), *evs = json_array();
        json_object_set_new(j, "smds", json_string(smds));
        json_object_set_new(j, "insecure", json_boolean(insecure));
        json_object_set_new(j, "transaction_id", json_string(r->auth.tid));
        if (es11_failed) {
            json_object_set_new(j, "phase", json_string(rsp_lpa_phase_name(r->auth.reached)));
            if (r->auth.subject_code[0]) {
                json_object_set_new(j, "subject_code", json_string(r->auth.subject_code));
                json_object_set_new(j, "reason_code", json_string(r->auth.reason_code));
            }
            if (r->auth.card_error >= 0)
                json_object_set_new(j, "card_error", json_integer(r->auth.card_error));
        }
        for (size_t i = 0; i < r->n_events; i++) {
            const rsp_lpa_event_result *ev = &r->ev[i];
            json_t *o2 = ev->attempted ? result_json(&ev->dl, ev->err, ev->error) : json_object();
            json_object_set_new(o2, "event_id", json_string(ev->event_id));
            json_object_set_new(o2, "address", json_string(ev->address));
            json_object_set_new(o2, "attempted", json_boolean(ev->attempted));
            json_array_append_new(evs, o2);
        }
        json_object_set_new(j, "events", evs);
        json_object_set_new(j, "installed", json_integer((json_int_t)r->installed));
        json_object_set_new(j, "failed", json_integer((json_int_t)r->failed));
        json_object_set_new(j, "skipped", json_integer((json_int_t)r->skipped));
        if (e)
            json_object_set_new(j, "error", json_string(d.msg[0] ? d.msg : rsp_err_msg(e)));
        rsp_cli_json_out(j);
    } else if (!e) {
        printf("%zu event%s, %zu installed\n", r->n_events, r->n_events == 1 ? "" : "s", r->installed);
    }
    if (e) {
        fprintf(stderr, "rsp: lpa: discover: %s\n", d.msg[0] ? d.msg : rsp_err_msg(e));
        for (size_t i = 0; i < r->n_events; i++)
            if (r->ev[i].attempted && r->ev[i].err) {
                fprintf(stderr, "rsp: lpa: event %s failed in %s: %s\n", r->ev[i].event_id,
                        rsp_lpa_phase_name(r->ev[i].dl.reached), r->ev[i].error);
                after_failure(&r->ev[i].dl);
            }
    }
    free(r);
    if (!e)
        return RSP_EXIT_OK;
    return e == RSP_ERR_FORMAT || e == RSP_ERR_INVAL ? RSP_EXIT_USAGE : RSP_EXIT_FAIL;
}

/* Sends one pending notification to the address in its metadata; true when the SM-DP+ took it. */
static bool send_one(const char *ca, bool insecure, const rsp_es10_pending *p, const char *address, rsp_diag *d)
{
    rsp_lpa_es9 *es9 = NULL;
    rsp_es9p_msg m, a;
    rsp_es9p_msg_init(&m, RSP_ES9P_HANDLE_NOTIFICATION, false);
    rsp_es9p_msg_init(&a, RSP_ES9P_HANDLE_NOTIFICATION, true);
    rsp_err e = rsp_lpa_es9_new(address, ca, insecure, 0, &es9, d);
    e = e ? e : rsp_buf_set(&m.pending_notification, p->raw.p, p->raw.len);
    if (!e) {
        rsp_es9p_msg_free(&a);
        e = rsp_lpa_es9_call(es9, &m, &a, d);
    }
    bool ok = !e && a.header.status == RSP_ES9P_SUCCESS;
    if (!e && !ok)
        rsp_diag_set(d, RSP_ERR_DENIED, "SM-DP+ answered %s/%s", a.header.subject_code, a.header.reason_code);
    rsp_es9p_msg_free(&m);
    rsp_es9p_msg_free(&a);
    rsp_lpa_es9_free(es9);
    return ok;
}

int rsp_lpa_cmd_process(lpa_ctx *x, int argc, char **argv)
{
    const char *ca = NULL;
    bool insecure = false;
    int rc = net_opts(&argc, argv, &ca, &insecure);
    if (rc)
        return rc;
    insecure_warning(insecure);
    if (argc > 2)
        return rsp_cli_usage_error("lpa notification process [SEQ] --ca FILE");
    long only = -1;
    if (argc == 2) {
        char *end = NULL;
        only = strtol(argv[1], &end, 10);
        if (!*argv[1] || *end || only < 0)
            return rsp_cli_usage_error("lpa notification process: '%s' is not a sequence number", argv[1]);
    }
    rsp_buf raw = RSP_BUF_INIT, one = RSP_BUF_INIT;
    rsp_es10_notif_list *l = calloc(1, sizeof(*l)), *r = calloc(1, sizeof(*r));
    rsp_diag d = {0};
    rsp_err e = l && r ? rsp_lpa_list_notifications(&x->card, &raw, l, &d) : RSP_ERR_NOMEM;
    if (e || !l->ok) {
        free(l);
        free(r);
        rsp_buf_free(&raw);
        return e ? rsp_cli_fail("lpa: ListNotification", e, &d) : RSP_EXIT_FAIL;
    }
    /* in seqNumber order: an older event first (seed 003: several pending events, in order) */
    size_t order[RSP_ES10_MAX_ITEMS];
    for (size_t i = 0; i < l->n; i++) {
        size_t j = i;
        while (j > 0 && l->metas[order[j - 1]].seq > l->metas[i].seq) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    json_t *arr = json_array();
    size_t sent = 0, failed = 0;
    for (size_t k = 0; k < l->n; k++) {
        const rsp_es10_notif_meta *m = &l->metas[order[k]];
        if (only >= 0 && m->seq != (uint32_t)only)
            continue;
        char address[RSP_ES9P_MAX_ADDRESS + 1];
        snprintf(address, sizeof(address), "%.*s", (int)m->address.len, (const char *)m->address.p);
        rsp_diag nd = {0};
        bool ok = rsp_lpa_retrieve_notification(&x->card, m->seq, &one, r, &nd) == RSP_OK && r->ok && r->n == 1 &&
                  send_one(ca, insecure, &r->items[0], address, &nd);
        int result = -1;
        if (ok && rsp_lpa_remove_notification(&x->card, m->seq, &result, &nd) != RSP_OK)
            ok = false;
        ok ? sent++ : failed++;
        if (x->json) {
            json_t *o = json_object();
            json_object_set_new(o, "seq", json_integer(m->seq));
            json_object_set_new(o, "address", json_string(address));
            json_object_set_new(o, "sent", json_boolean(ok));
            if (!ok)
                json_object_set_new(o, "error", json_string(nd.msg));
            json_array_append_new(arr, o);
        } else {
            printf("notification %u to %s: %s%s\n", m->seq, address, ok ? "sent, removed" : "not sent: ",
                   ok ? "" : nd.msg);
        }
    }
    if (x->json)
        rsp_cli_json_out(arr);
    else
        json_decref(arr);
    free(l);
    free(r);
    rsp_buf_free(&raw);
    rsp_buf_free(&one);
    if (only >= 0 && sent + failed == 0) {
        fprintf(stderr, "rsp: lpa: no pending notification %ld\n", only);
        return RSP_EXIT_FAIL;
    }
    return failed ? RSP_EXIT_FAIL : RSP_EXIT_OK;
}
