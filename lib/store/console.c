/* Read queries of the SM-SR web console (include/rsp/store_console.h). Read-only: nothing here
 * writes, so a console page never holds the SQLite writer lock. The SQL is in console_sql.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/store_console.h"
#include "store_int.h"

/* Bounds of a keyset page: [lo, hi). lo is the prefix, or the previous page's last key followed
 * by \x01 (the smallest text above it: keys hold no control bytes); hi is the prefix followed by
 * '~', above every digit and letter a key can hold. */
typedef struct bounds {
    char lo[RSP_STORE_ID_LEN + 2], hi[RSP_STORE_ID_LEN + 2];
} bounds;

static rsp_err make_bounds(const char *prefix, const char *after, bool after_exclusive, bounds *b)
{
    size_t pl = strlen(prefix), al = after ? strlen(after) : 0;
    if (pl + 1 >= sizeof(b->hi) || al + 1 >= sizeof(b->lo))
        return RSP_ERR_LENGTH;
    memcpy(b->hi, prefix, pl);
    b->hi[pl] = '~';
    b->hi[pl + 1] = 0;
    /* an after key outside the prefix's range (a stale cursor) simply gives an empty page */
    if (al && strcmp(after, prefix) >= 0) {
        memcpy(b->lo, after, al);
        b->lo[al] = after_exclusive ? '\x01' : 0;
        b->lo[al + 1] = 0;
    } else {
        memcpy(b->lo, prefix, pl + 1);
    }
    return RSP_OK;
}

static rsp_err grow(void **v, size_t *cap, size_t n, size_t each)
{
    if (n < *cap)
        return RSP_OK;
    size_t nc = *cap ? *cap * 2 : 16;
    void *nv = realloc(*v, nc * each);
    if (!nv)
        return RSP_ERR_NOMEM;
    *v = nv;
    *cap = nc;
    return RSP_OK;
}

/* Text column into a fixed array, truncated (the console shows it; the schema bounds it anyway). */
static void col_cpy(rsp_store *s, int col, char *dst, size_t cap)
{
    const char *t = s->ops->col_text(s, col);
    size_t n = t ? strnlen(t, cap - 1) : 0;
    if (n)
        memcpy(dst, t, n);
    dst[n] = 0;
}

static rsp_err count_of(rsp_store *s, rsp_store_stmt st, const bounds *b, int64_t *total)
{
    const rsp_store_param p[] = {SP_TEXT(b->lo), SP_TEXT(b->hi)};
    rsp_err e = rsp_store__first(s, st, p, 2);
    if (e == RSP_OK) {
        *total = s->ops->col_int(s, 0);
        s->ops->finish(s);
    }
    return e == RSP_ERR_END ? (*total = 0, RSP_OK) : e;
}

rsp_err rsp_store_console_search(rsp_store *s, rsp_store_console_by by, const char *prefix, const char *after_key,
                                 const char *after_iccid, size_t max, rsp_store_console_hit **out, size_t *n,
                                 int64_t *total)
{
    if (!s || !prefix || !out || !n || max == 0 || max > RSP_STORE_CONSOLE_PAGE_MAX || (unsigned)by > 2)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    bounds b;
    bounds c; /* the count's range: the prefix alone */
    const bool msisdn = by == RSP_STORE_CONSOLE_BY_MSISDN;
    /* by MSISDN the row-value comparison (msisdn, iccid) > (lo, after_iccid) is already exclusive */
    RSP_STORE_TRY(make_bounds(prefix, after_key, !msisdn, &b));
    RSP_STORE_TRY(make_bounds(prefix, NULL, false, &c));
    const bool after = after_key && *after_key && strcmp(after_key, prefix) >= 0;
    const char *ai = msisdn && after && after_iccid ? after_iccid : "";
    static const rsp_store_stmt page[] = {RSP_STMT_CON_EIS_PAGE, RSP_STMT_CON_ICCID_PAGE, RSP_STMT_CON_MSISDN_PAGE};
    static const rsp_store_stmt cnt[] = {RSP_STMT_CON_EIS_COUNT, RSP_STMT_CON_ICCID_COUNT, RSP_STMT_CON_MSISDN_COUNT};
    if (total)
        RSP_STORE_TRY(count_of(s, cnt[by], &c, total));
    const rsp_store_param p[] = {SP_TEXT(b.lo), SP_TEXT(b.hi), SP_INT(max), SP_TEXT(ai)};
    rsp_err e = s->ops->run(s, page[by], p, msisdn ? 4 : 3);
    rsp_store_console_hit *v = NULL;
    size_t k = 0, cap = 0;
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        if ((e = grow((void **)&v, &cap, k, sizeof(*v))) != RSP_OK)
            break;
        rsp_store_console_hit *h = &v[k++];
        memset(h, 0, sizeof(*h));
        if (by == RSP_STORE_CONSOLE_BY_EID) {
            col_cpy(s, 0, h->eid, sizeof(h->eid));
            col_cpy(s, 1, h->eum_id, sizeof(h->eum_id));
            h->last_audit = s->ops->col_int(s, 2);
            h->profiles = s->ops->col_int(s, 3);
        } else {
            col_cpy(s, 0, h->iccid, sizeof(h->iccid));
            col_cpy(s, 1, h->eid, sizeof(h->eid));
            col_cpy(s, 2, h->msisdn, sizeof(h->msisdn));
            h->state = (rsp_store_profile_state)s->ops->col_int(s, 3);
            col_cpy(s, 4, h->mno_id, sizeof(h->mno_id));
            col_cpy(s, 5, h->profile_type, sizeof(h->profile_type));
            h->fallback = s->ops->col_int(s, 6) != 0;
        }
    }
    s->ops->finish(s);
    if (e != RSP_ERR_END) {
        free(v);
        return e;
    }
    *out = v;
    *n = k;
    return RSP_OK;
}

void rsp_store_console_ops_free(rsp_store_console_op *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        rsp_store_op_clear(&v[i].op);
    free(v);
}

rsp_err rsp_store_console_ops(rsp_store *s, const rsp_store_console_op_filter *f, size_t max,
                              rsp_store_console_op **out, size_t *n)
{
    if (!s || !f || !out || !n || max == 0 || max > RSP_STORE_CONSOLE_PAGE_MAX || f->state_min > f->state_max)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    const char *fn = f->function ? f->function : "", *rq = f->requester ? f->requester : "";
    const char *eid = f->eid ? f->eid : "";
    RSP_STORE_TRY(rsp_store__chk(fn, 64));
    RSP_STORE_TRY(rsp_store__chk(rq, RSP_STORE_ID_LEN));
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    rsp_store_stmt st = *eid ? RSP_STMT_CON_OP_PAGE_EID
                        : f->state_max <= RSP_STORE_OP_AWAITING ? RSP_STMT_CON_OP_PAGE_LIVE
                                                                : RSP_STMT_CON_OP_PAGE;
    const rsp_store_param p[] = {SP_INT(f->before_id > 0 ? f->before_id : INT64_MAX), SP_INT(f->state_min),
                                 SP_INT(f->state_max), SP_TEXT(fn), SP_TEXT(rq), SP_INT(max), SP_TEXT(eid)};
    rsp_err e = s->ops->run(s, st, p, *eid ? 7 : 6);
    rsp_store_console_op *v = NULL;
    size_t k = 0, cap = 0;
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        if ((e = grow((void **)&v, &cap, k, sizeof(*v))) != RSP_OK)
            break;
        rsp_store_console_op *o = &v[k++];
        memset(o, 0, sizeof(*o));
        rsp_store_op *op = &o->op;
        op->id = s->ops->col_int(s, 0);
        col_cpy(s, 1, op->eid, sizeof(op->eid));
        col_cpy(s, 2, op->function, sizeof(op->function));
        col_cpy(s, 3, op->requester, sizeof(op->requester));
        col_cpy(s, 4, op->fcid, sizeof(op->fcid));
        op->created = s->ops->col_int(s, 5);
        op->deadline = s->ops->col_int(s, 6);
        op->state = (rsp_store_op_state)s->ops->col_int(s, 7);
        op->attempts = (uint32_t)s->ops->col_int(s, 8);
        op->next_attempt = s->ops->col_int(s, 9);
        op->lease_until = s->ops->col_int(s, 10);
        col_cpy(s, 11, op->worker, sizeof(op->worker));
        o->updated = s->ops->col_int(s, 12);
        op->generation = s->ops->col_int(s, 13);
        if (!s->ops->col_null(s, 14))
            e = s->ops->col_blob(s, 14, &op->result);
    }
    s->ops->finish(s);
    if (e != RSP_ERR_END) {
        rsp_store_console_ops_free(v, k);
        return e;
    }
    *out = v;
    *n = k;
    return RSP_OK;
}

static rsp_err audit_rows(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t np,
                          rsp_store_audit **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    rsp_err e = s->ops->run(s, st, p, np);
    rsp_store_audit *v = NULL;
    size_t k = 0, cap = 0;
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        if ((e = grow((void **)&v, &cap, k, sizeof(*v))) != RSP_OK)
            break;
        memset(&v[k], 0, sizeof(v[k]));
        e = rsp_store__audit_read(s, &v[k++]);
    }
    s->ops->finish(s);
    if (e != RSP_ERR_END) {
        free(v);
        return e;
    }
    *out = v;
    *n = k;
    return RSP_OK;
}

rsp_err rsp_store_console_op_audit(rsp_store *s, const char *eid, int64_t op_id, size_t max,
                                   rsp_store_audit **out, size_t *n)
{
    if (!s || !eid || !out || !n || max == 0 || max > 1000)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(op_id), SP_INT(max)};
    return audit_rows(s, RSP_STMT_CON_AUD_OP, p, 3, out, n);
}

rsp_err rsp_store_console_card_audit(rsp_store *s, const char *eid, int64_t before_id, size_t max,
                                     rsp_store_audit **out, size_t *n)
{
    if (!s || !eid || !*eid || !out || !n || max == 0 || max > RSP_STORE_CONSOLE_PAGE_MAX)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    /* AUD_BACK: the card's entries below an id, newest first (index audit_eid) */
    const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(before_id > 0 ? before_id : INT64_MAX), SP_INT(max)};
    return audit_rows(s, RSP_STMT_AUD_BACK, p, 3, out, n);
}

rsp_err rsp_store_console_recent(rsp_store *s, size_t max, rsp_store_console_recent_op **out, size_t *n)
{
    if (!s || !out || !n || max == 0 || max > 100000)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    const rsp_store_param p[] = {SP_INT(max)};
    rsp_err e = s->ops->run(s, RSP_STMT_CON_OP_RECENT, p, 1);
    rsp_store_console_recent_op *v = NULL;
    size_t k = 0, cap = 0;
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        if ((e = grow((void **)&v, &cap, k, sizeof(*v))) != RSP_OK)
            break;
        rsp_store_console_recent_op *r = &v[k++];
        col_cpy(s, 0, r->requester, sizeof(r->requester));
        col_cpy(s, 1, r->fcid, sizeof(r->fcid));
        col_cpy(s, 2, r->function, sizeof(r->function));
        r->state = (rsp_store_op_state)s->ops->col_int(s, 3);
    }
    s->ops->finish(s);
    if (e != RSP_ERR_END) {
        free(v);
        return e;
    }
    *out = v;
    *n = k;
    return RSP_OK;
}

static rsp_err camp_params(const char *requester, const char *prefix, const char *pattern, bounds *b)
{
    if (!requester || !prefix || !pattern)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(requester, RSP_STORE_ID_LEN));
    RSP_STORE_TRY(rsp_store__chk(pattern, RSP_STORE_ID_LEN * 2));
    return make_bounds(prefix, NULL, false, b);
}

rsp_err rsp_store_console_campaign_get(rsp_store *s, const char *requester, const char *prefix,
                                       const char *pattern, rsp_store_console_campaign *c)
{
    bounds b;
    if (!s || !c)
        return RSP_ERR_INVAL;
    memset(c, 0, sizeof(*c));
    RSP_STORE_TRY(camp_params(requester, prefix, pattern, &b));
    const rsp_store_param p[] = {SP_TEXT(requester), SP_TEXT(b.lo), SP_TEXT(b.hi), SP_TEXT(pattern)};
    rsp_err e = s->ops->run(s, RSP_STMT_CON_CAMP_STATS, p, 4);
    bool first = true;
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        int64_t st = s->ops->col_int(s, 0);
        if (st >= 0 && st <= RSP_STORE_OP_EXPIRED)
            c->by_state[st] += s->ops->col_int(s, 1);
        int64_t fc = s->ops->col_int(s, 2), lu = s->ops->col_int(s, 3);
        if (first || fc < c->first_created)
            c->first_created = fc;
        if (lu > c->last_updated)
            c->last_updated = lu;
        char lo[64], hi[64];
        col_cpy(s, 4, lo, sizeof(lo));
        col_cpy(s, 5, hi, sizeof(hi));
        if (first)
            memcpy(c->function, lo, sizeof(lo));
        if (strcmp(lo, hi) != 0 || strcmp(lo, c->function) != 0)
            snprintf(c->function, sizeof(c->function), "mixed");
        first = false;
    }
    s->ops->finish(s);
    return e == RSP_ERR_END ? RSP_OK : e;
}

rsp_err rsp_store_console_campaign_failures(rsp_store *s, const char *requester, const char *prefix,
                                            const char *pattern, size_t max, rsp_store_console_fail_fn fn,
                                            void *arg)
{
    bounds b;
    if (!s || !fn || max == 0 || max > 100000)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(camp_params(requester, prefix, pattern, &b));
    const rsp_store_param p[] = {SP_TEXT(requester), SP_TEXT(b.lo), SP_TEXT(b.hi), SP_TEXT(pattern), SP_INT(max)};
    rsp_err e = s->ops->run(s, RSP_STMT_CON_CAMP_FAIL, p, 5);
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        rsp_buf r = RSP_BUF_INIT;
        rsp_store_op_state st = (rsp_store_op_state)s->ops->col_int(s, 0);
        if (!s->ops->col_null(s, 1) && (e = s->ops->col_blob(s, 1, &r)) != RSP_OK)
            break;
        fn(arg, st, r.data, r.len);
        rsp_buf_free(&r);
    }
    s->ops->finish(s);
    return e == RSP_ERR_END ? RSP_OK : e;
}

rsp_err rsp_store_console_live_counts(rsp_store *s, int64_t out[3])
{
    if (!s || !out)
        return RSP_ERR_INVAL;
    out[0] = out[1] = out[2] = 0;
    rsp_err e = s->ops->run(s, RSP_STMT_CON_OP_LIVE_COUNT, NULL, 0);
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        int64_t st = s->ops->col_int(s, 0);
        if (st >= 0 && st < 3)
            out[st] = s->ops->col_int(s, 1);
    }
    s->ops->finish(s);
    return e == RSP_ERR_END ? RSP_OK : e;
}
