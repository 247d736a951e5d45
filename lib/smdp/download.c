/* The download procedure of the SM-DP as ONE step table with a durable cursor (a journal file per
 * download, written atomically before each step is acted on: the store has no cursor for SM-DP
 * downloads and lib/store is not ours). ES3 calls go through rsp_smdp_es3 (the daemon implements it
 * over HTTPS to the SM-SR); the ES8 payloads come from rsp_smdp_es8 (key establishment and SCP03t,
 * whose session keys live only in memory). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "smdp_int.h"

/* On failure: before CreateISDP was sent the identity goes back to the pool; from then on the card
 * may hold an ISD-P, so it is deleted and the identity is spent. A crash during key establishment or
 * loading cannot resume (the ES8 session keys are gone): cleanup. GetEIS, admission, completion and
 * enabling are idempotent and resume in place.
 * journalled: whether reaching the step is written before it acts. Every fsync'd write costs (it is
 * most of the SM-DP's CPU per download), so a step whose crash leads where the previous step's crash
 * leads is not: take (GetEIS again), key-establishment and load (cleanup, as from create-isdp; the
 * journal then says "interrupted in create-isdp"). Failures and stops are always written. */
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

static void journal_path(const rsp_smdp_inv *inv, const char *id, char *out, size_t n)
{
    snprintf(out, n, "%s/downloads/%s.dl", inv->dir, id);
}

static rsp_err journal_write(rsp_smdp_inv *inv, const rsp_smdp_dl *d)
{
    char path[RSP_SMDP_PATH_MAX], text[512];
    journal_path(inv, d->id, path, sizeof path);
    int n = snprintf(text, sizeof text,
                     "step=%d\nop=%s\ntype=%s\neid=%s\niccid=%s\nenable=%d\nisdp=%d\noutcome=%s\nstatus=%s\n",
                     (int)d->step, d->op, d->type, d->eid, d->iccid, d->enable ? 1 : 0, d->isdp_requested ? 1 : 0,
                     d->outcome, d->status);
    if (n < 0 || n >= (int)sizeof text)
        return RSP_ERR_LENGTH;
    return rsp_smdp__write_atomic(path, text, (size_t)n);
}

static void field(const char *text, const char *key, char *out, size_t n)
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

rsp_err rsp_smdp_dl_load(rsp_smdp_inv *inv, const char *id, rsp_smdp_dl *d)
{
    char path[RSP_SMDP_PATH_MAX], v[16];
    if (!inv || !d || !rsp_smdp__name_ok(id))
        return RSP_ERR_INVAL;
    journal_path(inv, id, path, sizeof path);
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_smdp__read_file(path, &b);
    if (e == RSP_OK)
        e = rsp_buf_insert(&b, 0, "\n", 1);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(&b, 0);
    if (e != RSP_OK) {
        rsp_buf_free(&b);
        return e;
    }
    const char *t = (const char *)b.data;
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", id);
    field(t, "step", v, sizeof v);
    d->step = (rsp_smdp_dl_step)atoi(v);
    field(t, "op", d->op, sizeof d->op);
    field(t, "type", d->type, sizeof d->type);
    field(t, "eid", d->eid, sizeof d->eid);
    field(t, "iccid", d->iccid, sizeof d->iccid);
    field(t, "outcome", d->outcome, sizeof d->outcome);
    field(t, "status", d->status, sizeof d->status);
    field(t, "enable", v, sizeof v);
    d->enable = v[0] == '1';
    field(t, "isdp", v, sizeof v);
    d->isdp_requested = v[0] == '1';
    rsp_buf_free(&b);
    return (unsigned)d->step <= RSP_SMDP_DL_FAILED ? RSP_OK : RSP_ERR_FORMAT;
}

rsp_err rsp_smdp_dl_start(rsp_smdp_inv *inv, const rsp_smdp_dl *req, rsp_diag *diag)
{
    char path[RSP_SMDP_PATH_MAX];
    if (!inv || !req)
        return RSP_ERR_INVAL;
    if (!rsp_smdp__name_ok(req->id) || !rsp_smdp__name_ok(req->op) || !rsp_smdp__name_ok(req->type) ||
        strlen(req->eid) != 32)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "download id, operator, type or EID malformed");
    snprintf(path, sizeof path, "%s/downloads", inv->dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return rsp_diag_set(diag, RSP_ERR_IO, "cannot create %s", path);
    journal_path(inv, req->id, path, sizeof path);
    if (access(path, F_OK) == 0)
        return rsp_diag_set(diag, RSP_ERR_EXISTS, "download %s exists", req->id);
    rsp_smdp_dl d = *req;
    d.step = RSP_SMDP_DL_GET_EIS;
    d.iccid[0] = 0;
    d.outcome[0] = 0;
    d.status[0] = 0;
    d.isdp_requested = false;
    return journal_write(inv, &d);
}

/* After a refused DeleteISDP: true when the SM-SR's EIS has no ISD-P of the download's ICCID (the
 * CreateISDP was refused or never reached the card), so there is nothing left to delete. */
static bool isdp_gone(const rsp_smdp_es3 *es3, const rsp_smdp_dl *d)
{
    const rsp_es_eis *eis = NULL;
    if (es3->get_eis(es3->arg, d->eid, &eis, NULL) != RSP_OK || !eis)
        return false;
    const rsp_es_profile_info *pi = eis->profiles.v;
    for (size_t i = 0; i < eis->profiles.n; i++)
        if (pi[i].iccid && strcmp(pi[i].iccid, d->iccid) == 0)
            return false;
    return true;
}

/* Runs one step; RSP_OK moves to the table's next step. */
static rsp_err step(rsp_smdp_inv *inv, const rsp_smdp_trust *trust, const rsp_smdp_es3 *es3,
                    const rsp_smdp_es8 *es8, rsp_smdp_dl *d, int64_t now, rsp_smdp_taken *tk, rsp_buf *resp,
                    rsp_diag *diag)
{
    rsp_err e = RSP_OK;
    switch (d->step) {
    case RSP_SMDP_DL_GET_EIS: {
        const rsp_es_eis *eis = NULL;
        rsp_buf pkg = RSP_BUF_INIT;
        char path[RSP_SMDP_PATH_MAX];
        e = snprintf(path, sizeof path, "%s/packages/%s/%s.der", inv->dir, d->op, d->type) < (int)sizeof path
                ? rsp_smdp__read_file(path, &pkg)
                : RSP_ERR_LENGTH;
        if (e != RSP_OK)
            e = rsp_diag_set(diag, e, "no package for %s/%s", d->op, d->type);
        e = e ? e : es3->get_eis(es3->arg, d->eid, &eis, diag);
        e = e ? e : rsp_smdp_admit(trust, eis, pkg.len, diag);
        rsp_buf_free(&pkg);
        return e;
    }
    case RSP_SMDP_DL_TAKE:
        if (d->iccid[0])
            return RSP_OK;
        e = rsp_smdp_take(inv, d->op, d->type, d->eid, now, tk, diag);
        if (e == RSP_OK) {
            memcpy(d->iccid, tk->id.iccid, sizeof d->iccid);
            d->isdp_requested = true; /* journalled with the ICCID on entering create-isdp */
        }
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
        e = e ? e : rsp_smdp_mark(inv, d->iccid, RSP_SMDP_ALLOCATED, RSP_SMDP_DOWNLOADED, now);
        return e;
    }
    case RSP_SMDP_DL_COMPLETED:
        e = es3->completed(es3->arg, d->eid, d->iccid, diag);
        if (e == RSP_OK) {
            e = rsp_smdp_mark(inv, d->iccid, RSP_SMDP_DOWNLOADED, RSP_SMDP_INSTALLED, now);
            if (e == RSP_ERR_STATE)   /* marked before a crash */
                e = RSP_OK;
        }
        return e;
    case RSP_SMDP_DL_ENABLE:
        return d->enable ? es3->enable(es3->arg, d->eid, d->iccid, diag) : RSP_OK;
    case RSP_SMDP_DL_CLEANUP:
        if (d->isdp_requested && (e = es3->delete_isdp(es3->arg, d->eid, d->iccid, diag)) != RSP_OK &&
            !isdp_gone(es3, d))
            return e;
        for (int s = RSP_SMDP_ALLOCATED; s <= RSP_SMDP_INSTALLED; s++)
            if (rsp_smdp_mark(inv, d->iccid, (rsp_smdp_state)s, RSP_SMDP_DELETED, now) == RSP_OK)
                break;
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
        e = step(inv, trust, es3, es8, &d, now, &tk, &resp, &sd);
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
        rsp_err w = e != RSP_OK || dl_table[d.step].journalled ? journal_write(inv, &d) : RSP_OK;
        if (w != RSP_OK) {
            e = w;
            break;
        }
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

static int cmp_dl(const void *a, const void *b)
{
    return strcmp(((const rsp_smdp_dl *)a)->id, ((const rsp_smdp_dl *)b)->id);
}

rsp_err rsp_smdp_dl_list(rsp_smdp_inv *inv, bool unfinished_only, rsp_smdp_dl **out, size_t *n)
{
    char path[RSP_SMDP_PATH_MAX];
    if (!inv || !out || !n)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    snprintf(path, sizeof path, "%s/downloads", inv->dir);
    DIR *dir = opendir(path);
    if (!dir)
        return errno == ENOENT ? RSP_OK : RSP_ERR_IO;
    rsp_smdp_dl *v = NULL;
    size_t cnt = 0, cap = 0;
    rsp_err e = RSP_OK;
    struct dirent *de;
    while (e == RSP_OK && (de = readdir(dir)) != NULL) {
        size_t l = strlen(de->d_name);
        char id[RSP_SMDP_NAME_MAX + 1];
        if (l < 4 || l - 3 > RSP_SMDP_NAME_MAX || strcmp(de->d_name + l - 3, ".dl") != 0)
            continue;
        memcpy(id, de->d_name, l - 3);
        id[l - 3] = 0;
        rsp_smdp_dl d;
        if (!rsp_smdp__name_ok(id) || rsp_smdp_dl_load(inv, id, &d) != RSP_OK)
            continue;
        if (unfinished_only && (d.step == RSP_SMDP_DL_DONE || d.step == RSP_SMDP_DL_FAILED))
            continue;
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            rsp_smdp_dl *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                e = RSP_ERR_NOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        v[cnt++] = d;
    }
    closedir(dir);
    if (e != RSP_OK) {
        free(v);
        return e;
    }
    if (cnt)
        qsort(v, cnt, sizeof *v, cmp_dl);
    *out = v;
    *n = cnt;
    return RSP_OK;
}
