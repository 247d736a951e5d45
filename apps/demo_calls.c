/* `rsp demo`: the ES phases, as the real parties make them over HTTPS with mutual TLS (JSON binding,
 * `Prefer: wait`): the EUM registers each EIS with the SM-SR (ES1), the Operators grant the M2M SP
 * its PLMAs (ES4A), MNO-B orders the download of its profile for every EID from the SM-DP (ES2), SP1
 * moves the fall-back attribute and deletes MNO-A's profile (ES4), then audits a sample (ES4) and the
 * SM-SR's answer is compared with each card's own state. Each phase is timed; each failure is kept
 * with the reason the daemon gave. A batch works on x->idx: the cards that got this far. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "demo.h"

/* The same for a resend of the same call (--faults), so that the daemon answers it as a replay. */
static void fcid(const demo_ctx *x, char *out, size_t n, const char *what, const demo_card *c)
{
    snprintf(out, n, "demo-%s-%.32s-%ld", what, c->eid, x->stamp);
}

/* --faults: an answer lost to a crash (transport error, or a 5xx from a daemon going down) is not the
 * function's result: the card's call is resent in the next round. */
static bool retry_later(demo_ctx *x, demo_card *c, const demo_es_result *r)
{
    if (!x->o->faults || x->last_round || (r->http != 0 && r->http < 500))
        return false;
    c->retry = true;
    return true;
}

static demo_card *nth(demo_ctx *x, size_t i)
{
    return &x->cards[x->idx[i]];
}

#define RESEND_ROUNDS 40 /* --faults: rounds of resends, a second apart (a daemon restarts in ~1 s) */

/* Runs one phase's batch over x->idx, timing it. With --faults, the calls whose answer was lost are
 * resent (same FunctionCallIdentifier) round after round until each has its result. */
static rsp_err batch(demo_ctx *x, int ph, demo_es *es, const char *label,
                     rsp_err (*build)(void *, size_t, char *, size_t, json_t **),
                     void (*done)(void *, size_t, const demo_es_result *))
{
    x->sum.ph[ph].run = true;
    x->last_round = false;
    for (unsigned round = 0;; round++) {
        for (size_t i = 0; i < x->nidx; i++)
            x->cards[x->idx[i]].retry = false;
        demo_batch b = {label, x->nidx, x->o->concurrency, true, build, done, x, 0, 0, 0};
        rsp_err e = demo_es_batch(es, &b);
        x->sum.ph[ph].seconds += b.seconds;
        if (e)
            return rsp_diag_set(&x->diag, e, "%s: %s", label, e == RSP_ERR_STATE ? "stopped (signal)" : rsp_err_msg(e));
        size_t k = 0;
        for (size_t i = 0; i < x->nidx; i++)
            if (x->cards[x->idx[i]].retry)
                x->idx[k++] = x->idx[i];
        if (k == 0)
            return RSP_OK;
        x->nidx = k;
        x->last_round = round + 2 >= RESEND_ROUNDS;
        fprintf(stderr, "  %s: %zu answers lost (a daemon down?): resent in 1 s\n", label, k);
        demo_idle(x, 1000);
        x->sum.ph[ph].seconds += 1.0;
    }
}

/* x->idx = the cards for which pick() holds. */
static void select_cards(demo_ctx *x, bool (*pick)(const demo_card *c))
{
    x->nidx = 0;
    for (size_t i = 0; i < x->n; i++)
        if (pick(&x->cards[i]))
            x->idx[x->nidx++] = i;
}

/* ---- ES1.RegisterEIS: the EIS file `rsp eum make` wrote is the request ---- */
static rsp_err build_register(void *arg, size_t i, char *p, size_t psz, json_t **body)
{
    demo_ctx *x = arg;
    snprintf(p, psz, "/es1/RegisterEIS");
    *body = json_load_file(nth(x, i)->eis_file, 0, NULL);
    return *body ? RSP_OK : RSP_ERR_FORMAT;
}

static void done_register(void *arg, size_t i, const demo_es_result *r)
{
    demo_ctx *x = arg;
    demo_card *c = nth(x, i);
    if (retry_later(x, c, r))
        return;
    c->registered = r->ok;
    if (r->ok)
        x->sum.ph[DEMO_PH_REGISTER].ok++;
    else
        demo_report_fail(&x->sum, DEMO_PH_REGISTER, c->eid, r->why);
}

static bool any(const demo_card *c)
{
    (void)c;
    return true;
}

rsp_err demo_phase_register(demo_ctx *x)
{
    select_cards(x, any);
    rsp_err e = batch(x, DEMO_PH_REGISTER, x->eum, "register", build_register, done_register);
    x->sum.registered = x->sum.ph[DEMO_PH_REGISTER].ok;
    return e;
}

/* ---- ES4A.SetPLMA: one call per Operator, for SP1 on the Operator's profile type ---- */
typedef struct plma_arg {
    const char *mno, *type;
    bool ok;
    char why[200];
} plma_arg;

static rsp_err build_plma(void *arg, size_t i, char *p, size_t psz, json_t **body)
{
    (void)i;
    plma_arg *a = arg;
    char f[64];
    snprintf(f, sizeof(f), "demo-plma-%s-%ld", a->mno, (long)time(NULL));
    snprintf(p, psz, "/es4a/SetPLMA");
    *body = json_pack("{s:s,s:[{s:s,s:s,s:s,s:[s,s,s,s]}]}", "functionCallIdentifier", f, "plma", "mnoId", a->mno,
                      "m2mspId", "SP1", "profileType", a->type, "allowedFunctions", "ES4-DeleteProfile",
                      "ES4-AuditEIS", "ES4-GetEIS", "ES4-SetFallBackAttribute");
    return *body ? RSP_OK : RSP_ERR_NOMEM;
}

static void done_plma(void *arg, size_t i, const demo_es_result *r)
{
    (void)i;
    plma_arg *a = arg;
    a->ok = r->ok;
    snprintf(a->why, sizeof(a->why), "%s", r->why);
}

static rsp_err one_plma(demo_ctx *x, demo_es *es, const char *mno, const char *type)
{
    plma_arg a = {mno, type, false, ""};
    demo_batch b = {"plma", 1, 1, false, build_plma, done_plma, &a, 0, 0, 0};
    rsp_err e = demo_es_batch(es, &b);
    x->sum.ph[DEMO_PH_PLMA].seconds += b.seconds;
    if (e == RSP_OK && a.ok)
        x->sum.ph[DEMO_PH_PLMA].ok++;
    else
        demo_report_fail(&x->sum, DEMO_PH_PLMA, mno,
                         e == RSP_ERR_STATE ? "stopped (signal)" : e ? rsp_err_msg(e) : a.why);
    /* as batch() says it: a SIGINT that lands in this phase ends the run "stopped (signal)" */
    return e ? rsp_diag_set(&x->diag, e, "plma: %s", e == RSP_ERR_STATE ? "stopped (signal)" : rsp_err_msg(e)) : e;
}

rsp_err demo_phase_plma(demo_ctx *x)
{
    x->sum.ph[DEMO_PH_PLMA].run = true;
    rsp_err e = one_plma(x, x->mno_a, "MNO-A", x->type_a);
    if (e == RSP_OK && x->have_smdp)
        e = one_plma(x, x->mno_b, "MNO-B", DEMO_TYPE_B);
    return e;
}

/* ---- ES2.DownloadProfile(enable), MNO-B to its SM-DP ---- */
static rsp_err build_download(void *arg, size_t i, char *p, size_t psz, json_t **body)
{
    demo_ctx *x = arg;
    demo_card *c = nth(x, i);
    char f[80];
    fcid(x, f, sizeof(f), x->dl_attempt == 1 ? "dl" : "dl2", c);
    snprintf(p, psz, "/es2/DownloadProfile");
    *body = json_pack("{s:s,s:s,s:s,s:s,s:b}", "functionCallIdentifier", f, "eid", c->eid, "smsrId", "SMSR-1",
                      "profileType", DEMO_TYPE_B, "enableProfile", 1);
    return *body ? RSP_OK : RSP_ERR_NOMEM;
}

static void done_download(void *arg, size_t i, const demo_es_result *r)
{
    demo_ctx *x = arg;
    demo_card *c = nth(x, i);
    if (retry_later(x, c, r))
        return;
    const char *iccid = json_string_value(json_object_get(r->answer, "iccid"));
    c->downloaded = r->ok && iccid;
    if (x->o->faults && x->dl_attempt == 1 && !r->ok) {
        /* --faults: a download cut by a crash ends Failed; the Operator orders another one */
        fprintf(stderr, "  download %s failed (%s): ordered again after the faults\n", c->eid, r->why);
        c->redo = true;
        return;
    }
    /* Executed-WithWarning: installed, but the enable failed (the warning says why). */
    c->enabled = c->downloaded && !r->warning;
    if (c->downloaded)
        snprintf(c->iccid_b, sizeof(c->iccid_b), "%s", iccid);
    if (x->o->faults && c->downloaded && r->warning) {
        /* --faults: the enable's answer may be what a crash cut, not the card's state: the delete phase
         * finds out (MNO-A's profile can only go if MNO-B's is enabled) and reports the outcome */
        fprintf(stderr, "  download %s: installed, enable not confirmed (%s): the delete phase tells\n", c->eid, r->why);
        c->warned = true;
        x->sum.downloaded++;
        return;
    }
    if (c->enabled)
        x->sum.ph[DEMO_PH_DOWNLOAD].ok++;
    else
        demo_report_fail(&x->sum, DEMO_PH_DOWNLOAD, c->eid,
                         !r->ok  ? r->why
                         : !iccid ? "no ICCID in the answer"
                                  : "installed, not enabled (Executed-WithWarning)");
    x->sum.downloaded += c->downloaded;
    x->sum.enabled += c->enabled;
}

static bool registered(const demo_card *c)
{
    return c->registered;
}

static bool redo(const demo_card *c)
{
    return c->redo;
}

rsp_err demo_phase_download(demo_ctx *x)
{
    select_cards(x, registered);
    x->dl_attempt = 1;
    rsp_err e = batch(x, DEMO_PH_DOWNLOAD, x->mno_b_dp, "download", build_download, done_download);
    if (e == RSP_OK && x->o->faults) {
        e = demo_faults_settle(x);
        select_cards(x, redo);
        x->dl_attempt = 2;
        if (e == RSP_OK && x->nidx)
            e = batch(x, DEMO_PH_DOWNLOAD, x->mno_b_dp, "download (2nd)", build_download, done_download);
    }
    return e;
}

/* ---- after the switch, SP1 under the PLMAs: the fall-back attribute to MNO-B's profile, then
 * MNO-A's profile deleted (a profile with the fall-back attribute cannot be deleted: 8.2.3 / 3.8) ---- */
static rsp_err build_es4(demo_ctx *x, size_t i, char *p, size_t psz, json_t **body, const char *fn, bool old)
{
    demo_card *c = nth(x, i);
    char f[80];
    fcid(x, f, sizeof(f), fn, c);
    snprintf(p, psz, "/es4/%s", fn);
    *body = json_pack("{s:s,s:i,s:s,s:s}", "functionCallIdentifier", f, "validityPeriod", DEMO_VALIDITY_S, "eid",
                      c->eid, "iccid", old ? c->iccid_a : c->iccid_b);
    return *body ? RSP_OK : RSP_ERR_NOMEM;
}

static rsp_err build_fallback(void *arg, size_t i, char *p, size_t psz, json_t **body)
{
    return build_es4(arg, i, p, psz, body, "SetFallBackAttribute", false);
}

static rsp_err build_delete(void *arg, size_t i, char *p, size_t psz, json_t **body)
{
    return build_es4(arg, i, p, psz, body, "DeleteProfile", true);
}

static void done_fallback(void *arg, size_t i, const demo_es_result *r)
{
    demo_ctx *x = arg;
    demo_card *c = nth(x, i);
    if (retry_later(x, c, r))
        return;
    c->fallback_moved = r->ok;
    if (!r->ok)
        demo_report_fail(&x->sum, DEMO_PH_DELETE, c->eid, r->why);
}

static void done_delete(void *arg, size_t i, const demo_es_result *r)
{
    demo_ctx *x = arg;
    demo_card *c = nth(x, i);
    if (retry_later(x, c, r))
        return;
    c->deleted = r->ok;
    if (r->ok && c->warned) { /* MNO-A's profile is gone, so MNO-B's was enabled after all */
        c->enabled = true;
        x->sum.enabled++;
        x->sum.ph[DEMO_PH_DOWNLOAD].ok++;
    }
    if (r->ok)
        x->sum.ph[DEMO_PH_DELETE].ok++;
    else
        demo_report_fail(&x->sum, DEMO_PH_DELETE, c->eid, r->why);
}

static bool enabled(const demo_card *c)
{
    return c->enabled || c->warned;
}

static bool fallback_moved(const demo_card *c)
{
    return c->fallback_moved;
}

rsp_err demo_phase_delete(demo_ctx *x)
{
    select_cards(x, enabled);
    rsp_err e = batch(x, DEMO_PH_DELETE, x->sp1, "fall-back", build_fallback, done_fallback);
    if (e == RSP_OK) {
        select_cards(x, fallback_moved);
        e = batch(x, DEMO_PH_DELETE, x->sp1, "delete", build_delete, done_delete);
    }
    x->sum.old_deleted = x->sum.ph[DEMO_PH_DELETE].ok;
    return e;
}

/* ---- ES4.AuditEIS by SP1 on a sample (spread over the fleet); with --faults ES4.GetEIS (the
 * SM-SR's own record, no card asked) of every card ---- */
static rsp_err build_audit(void *arg, size_t i, char *p, size_t psz, json_t **body)
{
    demo_ctx *x = arg;
    demo_card *c = nth(x, i);
    char f[80];
    fcid(x, f, sizeof(f), x->o->faults ? "geteis" : "audit", c);
    snprintf(p, psz, x->o->faults ? "/es4/GetEIS" : "/es4/AuditEIS");
    *body = json_pack("{s:s,s:i,s:s}", "functionCallIdentifier", f, "validityPeriod", DEMO_VALIDITY_S, "eid", c->eid);
    return *body ? RSP_OK : RSP_ERR_NOMEM;
}

static void done_audit(void *arg, size_t i, const demo_es_result *r)
{
    demo_ctx *x = arg;
    demo_card *c = nth(x, i);
    if (retry_later(x, c, r))
        return;
    json_t *profiles = json_object_get(json_object_get(r->answer, "eis"), "profiles");
    c->audited = r->ok && json_is_array(profiles);
    if (c->audited) {
        c->view = json_incref(profiles);
        x->sum.ph[DEMO_PH_AUDIT].ok++;
    } else {
        demo_report_fail(&x->sum, DEMO_PH_AUDIT, c->eid, r->ok ? "no profiles in the EIS" : r->why);
    }
}

rsp_err demo_phase_audit(demo_ctx *x)
{
    select_cards(x, registered);
    size_t n = x->nidx, k = n < x->nsample ? n : x->nsample;
    for (size_t j = 0; j < k; j++) /* evenly spread: first, ..., last */
        x->idx[j] = x->idx[k > 1 ? j * (n - 1) / (k - 1) : 0];
    x->nidx = k;
    rsp_err e = batch(x, DEMO_PH_AUDIT, x->sp1, "audit", build_audit, done_audit);
    x->sum.audited = x->sum.ph[DEMO_PH_AUDIT].ok;
    return e;
}

/* The card's profiles as "ICCID=state" strings, sorted, from either side. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static size_t states(json_t *profiles, bool card_side, char out[][48], size_t cap)
{
    size_t n = 0, i;
    json_t *p;
    json_array_foreach(profiles, i, p)
    {
        const char *iccid = json_string_value(json_object_get(p, "iccid"));
        const char *st = json_string_value(json_object_get(p, "state"));
        if (!iccid || !iccid[0] || !st || n == cap)
            continue;
        char low[24];
        size_t l = 0;
        for (; st[l] && l < sizeof(low) - 1; l++)
            low[l] = (char)(st[l] >= 'A' && st[l] <= 'Z' ? st[l] + 32 : st[l]);
        low[l] = 0;
        if (!card_side && !strcmp(low, "deleted"))
            continue;
        snprintf(out[n++], 48, "%s=%s", iccid, low);
    }
    qsort(out, n, 48, cmp_str);
    return n;
}

rsp_err demo_audit_compare(demo_ctx *x)
{
    char fleet[500], out[500];
    snprintf(fleet, sizeof(fleet), "%s/fleet", x->dir);
    snprintf(out, sizeof(out), "%s/logs/show.json", x->dir);
    for (size_t i = 0; i < x->n; i++) {
        demo_card *c = &x->cards[i];
        if (!c->audited)
            continue;
        const char *argv[] = {"euicc", "show", "--fleet", fleet, "--eid", c->eid, "--json", NULL};
        int rc = 0;
        rsp_err e = demo_proc_run(&x->procs, "show", argv, out, &rc, &x->diag);
        if (e)
            return e;
        json_t *j = rc == 0 ? json_load_file(out, 0, NULL) : NULL;
        char a[8][48] = {{0}}, b[8][48] = {{0}}; /* zeroed: compared whole with memcmp */
        size_t na = states(json_object_get(j, "profiles"), true, a, 8);
        size_t nb = states(c->view, false, b, 8);
        c->consistent = j && na == nb && memcmp(a, b, na * 48) == 0;
        json_decref(j);
        if (c->consistent) {
            x->sum.consistent++;
            continue;
        }
        char why[240];
        snprintf(why, sizeof(why), "card %.40s%s%.40s / SM-SR %.40s%s%.40s", na ? a[0] : "-", na > 1 ? ", " : "",
                 na > 1 ? a[1] : "", nb ? b[0] : "-", nb > 1 ? ", " : "", nb > 1 ? b[1] : "");
        demo_report_fail(&x->sum, DEMO_PH_AUDIT, c->eid, why);
    }
    return RSP_OK;
}
