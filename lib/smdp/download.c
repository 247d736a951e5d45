/* The download procedure of the SM-DP as ONE step table with a durable cursor: a row per download in
 * the store's journal (rsp_store_smdp_dl_*), committed before each step acts. ES3 calls go through
 * rsp_smdp_es3 (the daemon implements it over HTTPS to the SM-SR); the ES8 payloads come from
 * rsp_smdp_es8 (key establishment and SCP03t, whose session keys live only in memory). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rsp/log.h"
#include "smdp_int.h"

/* On failure: before CreateISDP was sent the identity goes back to the pool; from then on the card
 * may hold an ISD-P, so it is deleted and the identity is spent. A crash during key establishment or
 * loading cannot resume (the ES8 session keys are gone): cleanup. GetEIS, admission, completion and
 * enabling are idempotent and resume in place.
 * journalled: reaching the step is committed before it acts. Not key-establishment nor load: create-isdp
 * before them and they are all unresumable with the same recovery (cleanup of the ISD-P CreateISDP may
 * have made; isdp=1 is committed before CreateISDP is sent), so those commits would only rename the
 * step an interrupted download's outcome names ("interrupted in create-isdp" for all three): two
 * fdatasyncs less per download (docs/modules/smdp.md "Throughput"). The load's end is committed
 * (the downloaded mark, the sealed ISD-P keys and the cursor at download-completed, one transaction)
 * before anything is sent for the next step. Not take: its allocation and the cursor at
 * create-isdp (ICCID, isdp=1) are one transaction (rsp_store_inv_allocate_dl), so a crash inside take
 * runs GetEIS again and one after it cleans up. The inventory marks of load (downloaded) and
 * download-completed (installed) are committed with the cursor's next step (one commit each). */
typedef struct dl_row {
    rsp_smdp_dl_step step;
    const char *name;
    rsp_smdp_dl_step next;
    rsp_smdp_dl_step on_fail;
    bool resumable;
    bool journalled;
} dl_row;

static const dl_row dl_table[] = {
    {RSP_SMDP_DL_GET_EIS, "get-eis", RSP_SMDP_DL_TAKE, RSP_SMDP_DL_FAILED, true, true},
    {RSP_SMDP_DL_TAKE, "take", RSP_SMDP_DL_CREATE_ISDP, RSP_SMDP_DL_FAILED, true, false},
    {RSP_SMDP_DL_CREATE_ISDP, "create-isdp", RSP_SMDP_DL_KEYEST, RSP_SMDP_DL_CLEANUP, false, true},
    {RSP_SMDP_DL_KEYEST, "key-establishment", RSP_SMDP_DL_LOAD, RSP_SMDP_DL_CLEANUP, false, false},
    {RSP_SMDP_DL_LOAD, "load", RSP_SMDP_DL_COMPLETED, RSP_SMDP_DL_CLEANUP, false, false},
    {RSP_SMDP_DL_COMPLETED, "download-completed", RSP_SMDP_DL_ENABLE, RSP_SMDP_DL_CLEANUP, true, true},
    {RSP_SMDP_DL_ENABLE, "enable", RSP_SMDP_DL_DONE, RSP_SMDP_DL_DONE, true, true},
    {RSP_SMDP_DL_DONE, "done", RSP_SMDP_DL_DONE, RSP_SMDP_DL_DONE, true, true},
    {RSP_SMDP_DL_CLEANUP, "cleanup", RSP_SMDP_DL_FAILED, RSP_SMDP_DL_FAILED, true, true},
    {RSP_SMDP_DL_FAILED, "failed", RSP_SMDP_DL_FAILED, RSP_SMDP_DL_FAILED, true, true},
};

const char *rsp_smdp_dl_step_name(rsp_smdp_dl_step st)
{
    return (unsigned)st <= RSP_SMDP_DL_FAILED ? dl_table[st].name : "unknown";
}

static bool finished(rsp_smdp_dl_step st) { return st == RSP_SMDP_DL_DONE || st == RSP_SMDP_DL_FAILED; }

static void to_row(const rsp_smdp_dl *d, rsp_store_smdp_dl *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", d->id);
    snprintf(r->op, sizeof r->op, "%s", d->op);
    snprintf(r->type, sizeof r->type, "%s", d->type);
    memcpy(r->eid, d->eid, sizeof r->eid);
    memcpy(r->iccid, d->iccid, sizeof r->iccid);
    r->enable = d->enable;
    r->isdp = d->isdp_requested;
    r->step = (int)d->step;
    r->live = !finished(d->step);
    memcpy(r->outcome, d->outcome, sizeof r->outcome);
    memcpy(r->status, d->status, sizeof r->status);
}

static rsp_err from_row(const rsp_store_smdp_dl *r, rsp_smdp_dl *d)
{
    memset(d, 0, sizeof *d);
    if ((unsigned)r->step > RSP_SMDP_DL_FAILED || strlen(r->id) > RSP_SMDP_NAME_MAX ||
        strlen(r->op) > RSP_SMDP_NAME_MAX || strlen(r->type) > RSP_SMDP_NAME_MAX)
        return RSP_ERR_FORMAT;
    memcpy(d->id, r->id, strlen(r->id) + 1);
    memcpy(d->op, r->op, strlen(r->op) + 1);
    memcpy(d->type, r->type, strlen(r->type) + 1);
    memcpy(d->eid, r->eid, sizeof d->eid);
    memcpy(d->iccid, r->iccid, sizeof d->iccid);
    d->enable = r->enable;
    d->isdp_requested = r->isdp;
    d->step = (rsp_smdp_dl_step)r->step;
    memcpy(d->outcome, r->outcome, sizeof d->outcome);
    memcpy(d->status, r->status, sizeof d->status);
    return RSP_OK;
}

/* One committed statement: the cursor is durable before the step it names acts. */
static rsp_err journal_write(rsp_smdp_inv *inv, const rsp_smdp_dl *d)
{
    rsp_store_smdp_dl r;
    to_row(d, &r);
    return rsp_store_smdp_dl_set(inv->s, &r, (int64_t)time(NULL));
}

rsp_err rsp_smdp_dl_load(rsp_smdp_inv *inv, const char *id, rsp_smdp_dl *d)
{
    rsp_store_smdp_dl r;
    if (!inv || !d || !rsp_smdp__name_ok(id))
        return RSP_ERR_INVAL;
    rsp_err e = rsp_store_smdp_dl_get(inv->s, id, &r);
    return e ? e : from_row(&r, d);
}

rsp_err rsp_smdp_dl_find(rsp_smdp_inv *inv, const char *eid, const char *iccid, rsp_smdp_dl *d)
{
    rsp_store_smdp_dl r;
    if (!inv || !d || !eid || !iccid)
        return RSP_ERR_INVAL;
    rsp_err e = rsp_store_smdp_dl_find(inv->s, eid, iccid, &r);
    return e ? e : from_row(&r, d);
}

rsp_err rsp_smdp_dl_start(rsp_smdp_inv *inv, const rsp_smdp_dl *req, rsp_diag *diag)
{
    if (!inv || !req)
        return RSP_ERR_INVAL;
    if (!rsp_smdp__name_ok(req->id) || !rsp_smdp__name_ok(req->op) || !rsp_smdp__name_ok(req->type) ||
        strlen(req->eid) != 32)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "download id, operator, type or EID malformed");
    rsp_smdp_dl d = *req;
    d.step = RSP_SMDP_DL_GET_EIS;
    d.iccid[0] = 0;
    d.outcome[0] = 0;
    d.status[0] = 0;
    d.isdp_requested = false;
    rsp_store_smdp_dl r;
    to_row(&d, &r);
    rsp_err e = rsp_store_smdp_dl_add(inv->s, &r, (int64_t)time(NULL));
    if (e == RSP_ERR_EXISTS)
        return rsp_diag_set(diag, e, "download %s exists", req->id);
    return e ? rsp_diag_set(diag, e, "download %s: the journal cannot be written", req->id) : RSP_OK;
}

/* After a refused DeleteISDP: true when the SM-SR's EIS has no ISD-P of the download's ICCID (the
 * CreateISDP was refused or never reached the card), so there is nothing left to delete. The SM-SR's
 * own list (hooks->live_eis when given: es3->get_eis may substitute an EUM's EIS file). */
static bool isdp_gone(const rsp_smdp_es3 *es3, const rsp_smdp_dl_hooks *h, const rsp_smdp_dl *d)
{
    const rsp_es_eis *eis = NULL;
    rsp_err e = h && h->live_eis ? h->live_eis(h->arg, d->eid, &eis, NULL) : es3->get_eis(es3->arg, d->eid, &eis, NULL);
    if (e != RSP_OK || !eis)
        return false;
    const rsp_es_profile_info *pi = eis->profiles.v;
    for (size_t i = 0; i < eis->profiles.n; i++)
        if (pi[i].iccid && strcmp(pi[i].iccid, d->iccid) == 0)
            return false;
    return true;
}

/* What a step that succeeded leaves for the cursor's write: an inventory mark committed with it, or
 * nothing because the step wrote the cursor itself. */
typedef struct dl_after {
    bool mark;
    bool state_ok;          /* the mark may already be there (made before a crash) */
    rsp_smdp_state from, to;
    bool written;
} dl_after;

/* Runs one step; RSP_OK moves to the table's next step. */
static rsp_err step(rsp_smdp_inv *inv, const rsp_smdp_trust *trust, const rsp_smdp_es3 *es3,
                    const rsp_smdp_es8 *es8, const rsp_smdp_dl_hooks *hooks, rsp_smdp_dl *d, int64_t now,
                    rsp_smdp_taken *tk, rsp_buf *resp, dl_after *af, rsp_diag *diag)
{
    rsp_err e = RSP_OK;
    switch (d->step) {
    case RSP_SMDP_DL_GET_EIS: {
        const rsp_es_eis *eis = NULL;
        size_t pkg_len = 0; /* admission needs its size only: the take reads and personalises it */
        char path[RSP_SMDP_PATH_MAX];
        e = snprintf(path, sizeof path, "%s/packages/%s/%s.der", inv->dir, d->op, d->type) < (int)sizeof path
                ? rsp_smdp__file_size(path, &pkg_len)
                : RSP_ERR_LENGTH;
        if (e != RSP_OK)
            e = rsp_diag_set(diag, e, "no package for %s/%s", d->op, d->type);
        e = e ? e : es3->get_eis(es3->arg, d->eid, &eis, diag);
        e = e ? e : rsp_smdp_admit(trust, eis, pkg_len, now, diag);
        return e;
    }
    case RSP_SMDP_DL_TAKE:
        if (d->iccid[0])
            return RSP_OK;
        e = rsp_smdp__take_dl(inv, d, now, tk, diag);
        af->written = e == RSP_OK;
        return e;
    case RSP_SMDP_DL_CREATE_ISDP:
        if (!tk->package.len && (e = rsp_smdp_retake(inv, d->iccid, tk, diag)) != RSP_OK)
            return e;
        if (!d->isdp_requested) { /* durable before the call: cleanup must delete it */
            d->isdp_requested = true;
            if ((e = journal_write(inv, d)) != RSP_OK)
                return e;
        }
        /* The ISD-P's quota: the package rounded up to the cipher block, plus one block: the card
         * counts the last segment's padding before deciphering it (lib/card/scp03t.c). */
        return es3->create_isdp(es3->arg, d->eid, d->iccid, (tk->package.len + 15) / 16 * 16 + 16, diag);
    case RSP_SMDP_DL_KEYEST:
        rsp_buf_reset(resp);
        for (unsigned n = 0; n < 2 && e == RSP_OK; n++) {
            rsp_buf out = RSP_BUF_INIT;
            e = es8->keyest(es8->arg, n, resp, &out, diag);
            rsp_buf_reset(resp);
            e = e ? e : es3->send_data(es3->arg, d->eid, d->iccid, out.data, out.len, resp, diag);
            rsp_buf_free(&out);
        }
        return e ? e : es8->keyest(es8->arg, 2, resp, NULL, diag);
    case RSP_SMDP_DL_LOAD: {
        if (!tk->package.len && (e = rsp_smdp_retake(inv, d->iccid, tk, diag)) != RSP_OK)
            return e;
        bool last = false;
        rsp_buf_reset(resp);
        for (unsigned n = 0; !last && e == RSP_OK; n++) {
            rsp_buf out = RSP_BUF_INIT;
            e = es8->load(es8->arg, &tk->package, n, resp, &out, &last, diag);
            rsp_buf_reset(resp);
            e = e ? e : es3->send_data(es3->arg, d->eid, d->iccid, out.data, out.len, resp, diag);
            rsp_buf_free_secret(&out);
        }
        e = e ? e : es8->installed(es8->arg, resp, diag);
        *af = (dl_after){true, false, RSP_SMDP_ALLOCATED, RSP_SMDP_DOWNLOADED, false};
        return e;
    }
    case RSP_SMDP_DL_COMPLETED:
        *af = (dl_after){true, true, RSP_SMDP_DOWNLOADED, RSP_SMDP_INSTALLED, false};
        return es3->completed(es3->arg, d->eid, d->iccid, diag);
    case RSP_SMDP_DL_ENABLE:
        if (!d->enable)
            return RSP_OK;
        /* state_ok: the SM-SR's enable notification may have marked it first (es2_notif.c) */
        *af = (dl_after){true, true, RSP_SMDP_INSTALLED, RSP_SMDP_ENABLED, false};
        return es3->enable(es3->arg, d->eid, d->iccid, diag);
    case RSP_SMDP_DL_CLEANUP:
        if (d->isdp_requested && (e = es3->delete_isdp(es3->arg, d->eid, d->iccid, diag)) != RSP_OK &&
            !isdp_gone(es3, hooks, d))
            return e;
        (void)rsp_smdp__mark_from_any(inv, d->iccid, RSP_SMDP_DELETED, false, now); /* the identity is spent */
        return RSP_OK;
    default:
        return RSP_OK;
    }
}

rsp_err rsp_smdp_dl_run(rsp_smdp_inv *inv, const rsp_smdp_trust *trust, const rsp_smdp_es3 *es3,
                        const rsp_smdp_es8 *es8, const char *id, int64_t now, rsp_smdp_dl *out, rsp_diag *diag)
{
    return rsp_smdp_dl_run_ex(inv, trust, es3, es8, NULL, id, now, out, diag);
}

#ifndef NDEBUG
/* Test hook (debug builds only): RSP_SMDP_TEST_KILL=<step name> kills the process as that step begins,
 * its cursor committed, as a kill -9 there would (tests/cli/test_smdp_resume.sh): the one moment a
 * signal from outside cannot hit reliably (download-completed lasts ~100 ms). */
static void test_kill(rsp_smdp_dl_step at)
{
    const char *k = getenv("RSP_SMDP_TEST_KILL");
    if (k && strcmp(k, dl_table[at].name) == 0)
        raise(SIGKILL);
}
#else
#define test_kill(at) ((void)0)
#endif

static bool hook_cancelled(const rsp_smdp_dl_hooks *h)
{
    return h && h->cancelled && h->cancelled(h->arg);
}

rsp_err rsp_smdp_dl_run_ex(rsp_smdp_inv *inv, const rsp_smdp_trust *trust, const rsp_smdp_es3 *es3,
                           const rsp_smdp_es8 *es8, const rsp_smdp_dl_hooks *hooks, const char *id, int64_t now,
                           rsp_smdp_dl *out, rsp_diag *diag)
{
    rsp_smdp_dl d;
    if (!inv || !trust || !es3 || !es8 || !out)
        return RSP_ERR_INVAL;
    rsp_err e = rsp_smdp_dl_load(inv, id, &d);
    if (e != RSP_OK)
        return rsp_diag_set(diag, e, "download %s: no readable journal", id ? id : "?");
    /* Resumed inside a step that cannot resume: the card's state is unknown, so clean up. */
    if (!dl_table[d.step].resumable) {
        snprintf(d.outcome, sizeof d.outcome, "interrupted in %s", dl_table[d.step].name);
        d.step = RSP_SMDP_DL_CLEANUP;
        if ((e = journal_write(inv, &d)) != RSP_OK)
            return e;
    }
    rsp_smdp_taken tk;
    memset(&tk, 0, sizeof tk);
    rsp_buf resp = RSP_BUF_INIT;
    rsp_err first = RSP_OK;   /* what made the download fail, reported after cleanup */
    bool cancelled = false;
    rsp_err werr = RSP_OK;   /* a journal write that failed while stopping */
    while (d.step != RSP_SMDP_DL_DONE && d.step != RSP_SMDP_DL_FAILED) {
        rsp_diag sd;
        rsp_diag_clear(&sd);
        rsp_smdp_dl_step at = d.step;
        if (hook_cancelled(hooks)) {
            cancelled = true;
            if (!dl_table[at].resumable) { /* as below: the ES8 keys die with this run */
                snprintf(d.outcome, sizeof d.outcome, "interrupted in %s", dl_table[at].name);
                d.step = RSP_SMDP_DL_CLEANUP;
                werr = journal_write(inv, &d);
            }
            break;
        }
        test_kill(at);
        dl_after af = {false, false, RSP_SMDP_AVAILABLE, RSP_SMDP_AVAILABLE, false};
        e = step(inv, trust, es3, es8, hooks, &d, now, &tk, &resp, &af, &sd);
        if (e != RSP_OK && hook_cancelled(hooks)) {
            /* stopped inside the step: as after a crash, left for the next run */
            cancelled = true;
            if (!dl_table[at].resumable) {
                snprintf(d.outcome, sizeof d.outcome, "interrupted in %s", dl_table[at].name);
                d.step = RSP_SMDP_DL_CLEANUP;
                werr = journal_write(inv, &d);
            }
            break;
        }
        if (e == RSP_OK) {
            d.step = dl_table[at].next;
            if (d.step == RSP_SMDP_DL_ENABLE && !d.enable)
                d.step = RSP_SMDP_DL_DONE;
        } else {
            if (first == RSP_OK)
                first = e;
            if (!d.outcome[0]) {
                snprintf(d.outcome, sizeof d.outcome, "%s: %s", dl_table[at].name, rsp_err_name(e));
                const char *st = hooks && hooks->status ? hooks->status(hooks->arg) : NULL;
                if (st)
                    snprintf(d.status, sizeof d.status, "%s", st);
            }
            if (diag && !diag->msg[0])
                *diag = sd;
            if (at == RSP_SMDP_DL_TAKE || at == RSP_SMDP_DL_GET_EIS) {
                d.step = RSP_SMDP_DL_FAILED;
            } else if (at == RSP_SMDP_DL_CREATE_ISDP && !d.isdp_requested) {
                rsp_smdp_mark(inv, d.iccid, RSP_SMDP_ALLOCATED, RSP_SMDP_AVAILABLE, now);
                d.step = RSP_SMDP_DL_FAILED;
            } else if (at == RSP_SMDP_DL_CLEANUP) {
                break;   /* stays in cleanup: retried on the next run */
            } else {
                d.step = dl_table[at].on_fail;
            }
        }
        if (at == RSP_SMDP_DL_ENABLE && e != RSP_OK)
            snprintf(d.outcome, sizeof d.outcome, "installed, enable failed");
        if (d.step == RSP_SMDP_DL_DONE && !d.outcome[0])
            snprintf(d.outcome, sizeof d.outcome, d.enable ? "installed and enabled" : "installed");
        rsp_err w = RSP_OK;
        if (e == RSP_OK && af.mark) {
            rsp_store_smdp_dl r;
            to_row(&d, &r);
            /* the ISD-P keys the load sealed, if any, in the commit of its "downloaded" mark */
            const uint8_t *kp = NULL;
            size_t kl = 0;
            if (at != RSP_SMDP_DL_LOAD || !hooks || !hooks->sealed_keys || !hooks->sealed_keys(hooks->arg, &kp, &kl))
                kl = 0;
            w = rsp_store_inv_transition_dl_keys(inv->s, d.iccid, (rsp_store_inv_state)af.from,
                                                 (rsp_store_inv_state)af.to, &r, kp, kl, now);
            if (w == RSP_ERR_STATE && af.state_ok)
                w = journal_write(inv, &d);
        } else if (e != RSP_OK || (dl_table[d.step].journalled && !af.written)) {
            w = journal_write(inv, &d);
        }
        if (w != RSP_OK) {
            e = w;
            break;
        }
        /* one enabled profile per card: the one this download enabled replaced any other of ours */
        if (at == RSP_SMDP_DL_ENABLE && e == RSP_OK && d.enable &&
            (w = rsp_smdp_disable_others(inv, d.eid, d.iccid, now)) != RSP_OK)
            RSP_LOGN(RSP_SS_SMDP, "other profiles not marked disabled", "dl=%s eid=%s err=%s", d.id, d.eid,
                     rsp_err_name(w));
    }
    rsp_smdp_taken_clear(&tk);
    rsp_buf_free(&resp);
    *out = d;
    if (cancelled)
        return werr != RSP_OK ? werr
                              : rsp_diag_set(diag, RSP_ERR_BUSY, "download %s stopped at %s: the next run resumes it",
                                             d.id, dl_table[d.step].name);
    if (d.step == RSP_SMDP_DL_DONE)
        return RSP_OK;
    if (e != RSP_OK)
        return e;
    return first != RSP_OK ? first : RSP_ERR_STATE;
}

static rsp_err rows_to_dl(rsp_err e, rsp_store_smdp_dl *rows, size_t cnt, rsp_smdp_dl **out, size_t *n)
{
    size_t k = 0;
    if (e != RSP_OK)
        return e;
    rsp_smdp_dl *v = calloc(cnt ? cnt : 1, sizeof *v);
    if (!v) {
        free(rows);
        return RSP_ERR_NOMEM;
    }
    for (size_t i = 0; i < cnt; i++)
        if (from_row(&rows[i], &v[k]) == RSP_OK) /* a row no build of ours wrote: skipped */
            k++;
    free(rows);
    *out = v;
    *n = k;
    return RSP_OK;
}

rsp_err rsp_smdp_dl_list(rsp_smdp_inv *inv, bool unfinished_only, rsp_smdp_dl **out, size_t *n)
{
    rsp_store_smdp_dl *rows = NULL;
    size_t cnt = 0;
    if (!inv || !out || !n)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    rsp_err e = rsp_store_smdp_dl_list(inv->s, unfinished_only, &rows, &cnt); /* before rows and cnt are read */
    return rows_to_dl(e, rows, cnt, out, n);
}

rsp_err rsp_smdp_dl_of_eid(rsp_smdp_inv *inv, const char *eid, rsp_smdp_dl **out, size_t *n)
{
    rsp_store_smdp_dl *rows = NULL;
    size_t cnt = 0;
    if (!inv || !eid || !out || !n)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    rsp_err e = rsp_store_smdp_dl_list_eid(inv->s, eid, &rows, &cnt);
    return rows_to_dl(e, rows, cnt, out, n);
}

/* ---- journals of an older SM-DP: <dir>/downloads/<id>.dl, "key=value" lines ---- */

/* The value of "key=" on a line of text (after a newline), cut to n - 1 bytes; "" when absent. Shared by
 * the old journal files and the pending-reply files (es2_reply.c), both "key=value" lines. */
void rsp_smdp__kv_field(const char *text, const char *key, char *out, size_t n)
{
    char k[32];
    snprintf(k, sizeof k, "\n%s=", key);
    const char *p = strstr(text, k);
    out[0] = 0;
    if (!p)
        return;
    p += strlen(k);
    size_t l = strcspn(p, "\n");
    if (l >= n)
        l = n - 1;
    memcpy(out, p, l);
    out[l] = 0;
}

static rsp_err old_fields(const char *id, const char *t, rsp_smdp_dl *d)
{
    char v[16];
    snprintf(d->id, sizeof d->id, "%s", id);
    rsp_smdp__kv_field(t, "step", v, sizeof v);
    char *end = NULL;
    long st = strtol(v, &end, 10);
    if (!v[0] || *end || st < 0 || st > RSP_SMDP_DL_FAILED)
        return RSP_ERR_FORMAT;
    d->step = (rsp_smdp_dl_step)st;
    rsp_smdp__kv_field(t, "op", d->op, sizeof d->op);
    rsp_smdp__kv_field(t, "type", d->type, sizeof d->type);
    rsp_smdp__kv_field(t, "eid", d->eid, sizeof d->eid);
    rsp_smdp__kv_field(t, "iccid", d->iccid, sizeof d->iccid);
    rsp_smdp__kv_field(t, "outcome", d->outcome, sizeof d->outcome);
    rsp_smdp__kv_field(t, "status", d->status, sizeof d->status);
    rsp_smdp__kv_field(t, "enable", v, sizeof v);
    d->enable = v[0] == '1';
    rsp_smdp__kv_field(t, "isdp", v, sizeof v);
    d->isdp_requested = v[0] == '1';
    if (!rsp_smdp__name_ok(d->op) || !rsp_smdp__name_ok(d->type) || strlen(d->eid) != 32)
        return RSP_ERR_FORMAT;
    return RSP_OK;
}

rsp_err rsp_smdp__dl_parse_old(const char *id, const uint8_t *p, size_t len, rsp_smdp_dl *d)
{
    if (!id || !d || (!p && len))
        return RSP_ERR_INVAL;
    memset(d, 0, sizeof *d);
    if (!rsp_smdp__name_ok(id))
        return RSP_ERR_FORMAT;
    rsp_buf b = RSP_BUF_INIT; /* "\n" + the text + NUL: every key is then found as "\nkey=" */
    rsp_err e = rsp_buf_append_byte(&b, '\n');
    e = e ? e : rsp_buf_append(&b, p, len);
    e = e ? e : rsp_buf_append_byte(&b, 0);
    e = e ? e : old_fields(id, (const char *)b.data, d);
    rsp_buf_free(&b);
    if (e != RSP_OK)
        memset(d, 0, sizeof *d);
    return e;
}

/* Each file is added to the store (a row already there, from an import cut short, is kept) and then
 * removed, so a second pass finds nothing. A file that cannot be read as a journal stops the import
 * and the open, naming it: a download would otherwise be lost silently. */
rsp_err rsp_smdp__dl_import(rsp_smdp_inv *inv, rsp_diag *diag)
{
    char path[RSP_SMDP_PATH_MAX];
    snprintf(path, sizeof path, "%s/downloads", inv->dir);
    DIR *dir = opendir(path);
    if (!dir)
        return errno == ENOENT ? RSP_OK : rsp_diag_set(diag, RSP_ERR_IO, "cannot read %s", path);
    rsp_err e = RSP_OK;
    unsigned n = 0;
    struct dirent *de;
    while (e == RSP_OK && (de = readdir(dir)) != NULL) {
        size_t l = strlen(de->d_name);
        char id[RSP_SMDP_NAME_MAX + 1], file[RSP_SMDP_PATH_MAX + 264];
        if (l < 4 || strcmp(de->d_name + l - 3, ".dl") != 0)
            continue;   /* ".dl.tmp" of a write cut short: the .dl beside it is the journal */
        snprintf(file, sizeof file, "%s/%s", path, de->d_name);
        if (l - 3 > RSP_SMDP_NAME_MAX) {
            e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: not a download journal (name too long)", file);
            break;
        }
        memcpy(id, de->d_name, l - 3);
        id[l - 3] = 0;
        rsp_buf b = RSP_BUF_INIT;
        rsp_smdp_dl d;
        e = rsp_smdp__name_ok(id) ? rsp_smdp__read_file(file, &b) : RSP_ERR_FORMAT;
        e = e ? e : rsp_smdp__dl_parse_old(id, b.data, b.len, &d);
        rsp_buf_free(&b);
        if (e != RSP_OK) {
            e = rsp_diag_set(diag, e, "%s: not a readable download journal of an older SM-DP; move it away to start",
                             file);
            break;
        }
        rsp_store_smdp_dl r;
        to_row(&d, &r);
        e = rsp_store_smdp_dl_add(inv->s, &r, (int64_t)time(NULL));
        if (e == RSP_OK || e == RSP_ERR_EXISTS)
            e = unlink(file) == 0 || errno == ENOENT ? RSP_OK : RSP_ERR_IO;
        if (e != RSP_OK)
            e = rsp_diag_set(diag, e, "%s: cannot move it into the store", file);
        else
            n++;
    }
    closedir(dir);
    if (e == RSP_OK && n)
        RSP_LOGN(RSP_SS_SMDP, "download journals imported", "count=%u from=%s", n, path);
    return e;
}
