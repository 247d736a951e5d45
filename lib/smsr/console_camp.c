/* Campaigns in the console: a batch of operations (`rsp op --eids`, `rsp demo`) seen as one.
 *
 * How a campaign is identified (docs/modules/console.md, "Campaigns"): by its requester and the
 * shape of its FunctionCallIdentifiers, with no new column. A 32-digit run (an EID) inside the FCID
 * is the per-card part: "demo-enable-<EID>-<stamp>" -> "demo-enable-*-<stamp>", and
 * "op-<batch>-<EID>" -> "op-<batch>-*". An FCID without an EID groups by what precedes its last '-'
 * ("x-1", "x-2" -> "x-*"), and a random hex segment before that goes too ("smdp-T-P-41af1eb6-2" ->
 * "smdp-T-P-*": the SM-DP's ES3 calls of one run, not one campaign per download). The store query is a range on the (requester, fcid) unique index (the
 * literal part before the wildcard) refined by LIKE, so a campaign's figures cost its own rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "smsr_int.h"

typedef struct family {
    char prefix[RSP_STORE_ID_LEN];   /* literal part before the wildcard */
    char like[RSP_STORE_ID_LEN * 2]; /* LIKE pattern, '\' escaping */
    char shown[RSP_STORE_ID_LEN];    /* with '*' for the wildcard */
} family;

static void esc_append(char *dst, size_t cap, const char *src, size_t n)
{
    size_t l = strlen(dst);
    for (size_t i = 0; i < n && l + 2 < cap; i++) {
        if (src[i] == '%' || src[i] == '_' || src[i] == '\\')
            dst[l++] = '\\';
        dst[l++] = src[i];
    }
    dst[l] = 0;
}

/* false: the FCID belongs to no campaign (no EID, no '-'). */
static bool family_of(const char *fcid, family *f)
{
    memset(f, 0, sizeof(*f));
    size_t n = strlen(fcid), start = 0, end = 0;
    bool found = false;
    for (size_t i = 0; i < n && !found;) {
        if (fcid[i] < '0' || fcid[i] > '9') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && fcid[j] >= '0' && fcid[j] <= '9')
            j++;
        if (j - i == 32) {
            start = i;
            end = j;
            found = true;
        }
        i = j;
    }
    if (!found) {
        const char *dash = strrchr(fcid, '-');
        if (!dash || dash == fcid)
            return false;
        start = (size_t)(dash - fcid) + 1;
        end = n;
        /* a random-looking segment before it (hex, 6+, with a letter: the SM-DP's per-download
         * "smdp-<time>-<pid>-<random>-<n>") is per call too: the campaign is the SM-DP's run */
        size_t b = start - 1, a = b;
        while (a > 0 && fcid[a - 1] != '-')
            a--;
        bool hex = a > 1 && b - a >= 6, letter = false;
        for (size_t i = a; hex && i < b; i++) {
            hex = (fcid[i] >= '0' && fcid[i] <= '9') || (fcid[i] >= 'a' && fcid[i] <= 'f');
            letter |= fcid[i] >= 'a';
        }
        if (hex && letter)
            start = a;
    }
    if (start >= sizeof(f->prefix))
        return false;
    memcpy(f->prefix, fcid, start);
    esc_append(f->like, sizeof(f->like), fcid, start);
    strcat(f->like, "%");
    esc_append(f->like, sizeof(f->like), fcid + end, n - end);
    snprintf(f->shown, sizeof(f->shown), "%.*s*%s", (int)start, fcid, fcid + end);
    return true;
}

typedef struct reasons {
    struct {
        char why[160];
        long n;
    } r[16];
    size_t n;
    long other;
} reasons;

static void on_fail(void *arg, rsp_store_op_state st, const uint8_t *res, size_t len)
{
    reasons *rs = arg;
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    op.state = st;
    op.result.data = (uint8_t *)res;
    op.result.len = len;
    rsp_smsr_result r;
    memset(&r, 0, sizeof(r));
    smsr_result_fill(&op, &r);
    char why[160];
    snprintf(why, sizeof(why), "%s %s/%s %s", r.status, r.subject, r.reason, r.message);
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->r[i].why, why)) {
            rs->r[i].n++;
            return;
        }
    if (rs->n == sizeof(rs->r) / sizeof(rs->r[0])) {
        rs->other++;
        return;
    }
    snprintf(rs->r[rs->n].why, sizeof(rs->r[0].why), "%s", why);
    rs->r[rs->n++].n = 1;
}

/* The figures of one campaign; with_reasons adds the failures grouped by their result. */
static json_t *campaign_json(rsp_smsr_console *c, const char *requester, const char *sample, bool with_reasons,
                             int64_t now, rsp_err *err)
{
    family f;
    if (!family_of(sample, &f)) {
        *err = RSP_ERR_NOT_FOUND;
        return NULL;
    }
    rsp_store_console_campaign cs;
    if ((*err = rsp_store_console_campaign_get(c->st, requester, f.prefix, f.like, &cs)) != RSP_OK)
        return NULL;
    int64_t total = 0;
    for (int i = 0; i <= RSP_STORE_OP_EXPIRED; i++)
        total += cs.by_state[i];
    int64_t live = cs.by_state[0] + cs.by_state[1] + cs.by_state[2];
    int64_t settled = total - live;
    int64_t end = live ? now : cs.last_updated;
    int64_t span = end > cs.first_created ? end - cs.first_created : 1;
    double rate = (double)settled / (double)span;
    json_t *o = json_pack("{s:o,s:o,s:o,s:o,s:I,s:{s:I,s:I,s:I,s:I,s:I},s:I,s:I,s:I,s:f,s:o,s:b}", "requester",
                          console_jstr(requester), "sample", console_jstr(sample), "pattern", console_jstr(f.shown),
                          "function", console_jstr(cs.function), "total", (json_int_t)total, "counts", "queued",
                          (json_int_t)cs.by_state[0], "in-flight", (json_int_t)(cs.by_state[1] + cs.by_state[2]),
                          "done", (json_int_t)cs.by_state[3], "failed", (json_int_t)cs.by_state[4], "expired",
                          (json_int_t)cs.by_state[5], "first_created", (json_int_t)cs.first_created,
                          "last_updated", (json_int_t)cs.last_updated, "elapsed_s", (json_int_t)span, "rate_per_s",
                          rate, "eta_s", live && rate > 0 ? json_integer((json_int_t)((double)live / rate)) : json_null(),
                          "running", live > 0);
    if (o && with_reasons) {
        reasons rs;
        memset(&rs, 0, sizeof(rs));
        *err = rsp_store_console_campaign_failures(c->st, requester, f.prefix, f.like, 5000, on_fail, &rs);
        json_t *a = json_array();
        for (size_t i = 0; i < rs.n; i++)
            json_array_append_new(a, json_pack("{s:o,s:I}", "reason", console_jstr(rs.r[i].why), "count",
                                               (json_int_t)rs.r[i].n));
        if (rs.other)
            json_array_append_new(a, json_pack("{s:s,s:I}", "reason", "(other reasons)", "count", (json_int_t)rs.other));
        json_object_set_new(o, "failures", a);
    }
    return o;
}

console_reply console_api_campaigns(rsp_smsr_console *c, const rsp_smsr_console_query *q, int64_t now)
{
    (void)q;
    rsp_store_console_recent_op *r = NULL;
    size_t n = 0;
    /* the newest operations name the campaigns worth showing; older ones stay reachable by URL */
    rsp_err e = rsp_store_console_recent(c->st, 5000, &r, &n);
    if (e)
        return console_error(500, "store: %s", rsp_err_name(e));
    enum { MAXC = 20 };
    struct {
        char requester[RSP_STORE_ID_LEN], sample[RSP_STORE_ID_LEN], shown[RSP_STORE_ID_LEN];
        long n;
    } *seen = calloc(MAXC, sizeof(*seen));
    size_t ns = 0;
    for (size_t i = 0; seen && i < n; i++) {
        family f;
        if (!family_of(r[i].fcid, &f))
            continue;
        size_t k = 0;
        while (k < ns && (strcmp(seen[k].requester, r[i].requester) || strcmp(seen[k].shown, f.shown)))
            k++;
        if (k == ns) {
            if (ns == MAXC)
                continue;
            snprintf(seen[k].requester, sizeof(seen[k].requester), "%s", r[i].requester);
            snprintf(seen[k].sample, sizeof(seen[k].sample), "%s", r[i].fcid);
            snprintf(seen[k].shown, sizeof(seen[k].shown), "%s", f.shown);
            ns++;
        }
        seen[k].n++;
    }
    free(r);
    json_t *items = json_array();
    for (size_t k = 0; seen && k < ns && e == RSP_OK; k++) {
        if (seen[k].n < 2) /* one operation is not a batch */
            continue;
        json_t *o = campaign_json(c, seen[k].requester, seen[k].sample, false, now, &e);
        if (o)
            json_array_append_new(items, o);
    }
    free(seen);
    if (e && e != RSP_ERR_NOT_FOUND) {
        json_decref(items);
        return console_error(500, "store: %s", rsp_err_name(e));
    }
    return (console_reply){200, json_pack("{s:o,s:I}", "items", items, "now", (json_int_t)now)};
}

console_reply console_api_campaign(rsp_smsr_console *c, const rsp_smsr_console_query *q, int64_t now)
{
    const char *rq = rsp_smsr_console_query_get(q, "requester"), *fc = rsp_smsr_console_query_get(q, "fcid");
    rsp_diag d;
    rsp_diag_clear(&d);
    if (!rq || !fc)
        return console_error(400, "parameters 'requester' and 'fcid' (one FCID of the campaign) are required");
    if (rsp_smsr_console_check(RSP_SMSR_CONSOLE_NAME, rq, &d) != RSP_OK)
        return console_error(400, "parameter 'requester': %s", d.msg);
    if (rsp_smsr_console_check(RSP_SMSR_CONSOLE_NAME, fc, &d) != RSP_OK)
        return console_error(400, "parameter 'fcid': %s", d.msg);
    rsp_err e = RSP_OK;
    json_t *o = campaign_json(c, rq, fc, true, now, &e);
    if (e == RSP_ERR_NOT_FOUND)
        return console_error(404, "'%s' names no campaign (no EID and no '-' in it)", fc);
    if (!o || e)
        return console_error(500, "store: %s", rsp_err_name(e));
    json_object_set_new(o, "now", json_integer(now));
    return (console_reply){200, o};
}
