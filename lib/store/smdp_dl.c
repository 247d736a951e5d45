/* The SM-DP's download journal: one row per download, the durable cursor of lib/smdp/download.c.
 * Each write is one committed statement (was a file + its folder fsync'd per step); the allocation of
 * an identity and the cursor that names it are one transaction (inv.c, rsp_store_inv_allocate_dl). */
#include <stdlib.h>
#include <string.h>

#include "smdp_dl.h"

static rsp_err dl_chk(const rsp_store_smdp_dl *d)
{
    RSP_STORE_TRY(rsp_store__chk(d->id, sizeof d->id));
    RSP_STORE_TRY(rsp_store__chk(d->op, sizeof d->op));
    RSP_STORE_TRY(rsp_store__chk(d->type, sizeof d->type));
    RSP_STORE_TRY(rsp_store__chk(d->eid, sizeof d->eid));
    RSP_STORE_TRY(rsp_store__chk(d->iccid, sizeof d->iccid));
    RSP_STORE_TRY(rsp_store__chk(d->outcome, sizeof d->outcome));
    RSP_STORE_TRY(rsp_store__chk(d->status, sizeof d->status));
    return d->id[0] ? RSP_OK : RSP_ERR_INVAL;
}

/* Columns as sql.c's DL_COLS: id, op, type, eid, iccid, enable, isdp, step, outcome, status, updated. */
static rsp_err dl_read(rsp_store *s, rsp_store_smdp_dl *d)
{
    memset(d, 0, sizeof *d);
    RSP_STORE_TRY(rsp_store__col_str(s, 0, d->id, sizeof d->id));
    RSP_STORE_TRY(rsp_store__col_str(s, 1, d->op, sizeof d->op));
    RSP_STORE_TRY(rsp_store__col_str(s, 2, d->type, sizeof d->type));
    RSP_STORE_TRY(rsp_store__col_str(s, 3, d->eid, sizeof d->eid));
    RSP_STORE_TRY(rsp_store__col_str(s, 4, d->iccid, sizeof d->iccid));
    d->enable = s->ops->col_int(s, 5) != 0;
    d->isdp = s->ops->col_int(s, 6) != 0;
    d->step = (int)s->ops->col_int(s, 7);
    RSP_STORE_TRY(rsp_store__col_str(s, 8, d->outcome, sizeof d->outcome));
    RSP_STORE_TRY(rsp_store__col_str(s, 9, d->status, sizeof d->status));
    d->updated = s->ops->col_int(s, 10);
    return RSP_OK;
}

rsp_err rsp_store_smdp_dl_add(rsp_store *s, const rsp_store_smdp_dl *d, int64_t now)
{
    int64_t n = 0;
    if (!s || !d)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(dl_chk(d));
    const rsp_store_param p[] = {SP_TEXT(d->id), SP_TEXT(d->op), SP_TEXT(d->type), SP_TEXT(d->eid),
                                 SP_TEXT(d->iccid), SP_INT(d->enable), SP_INT(d->isdp), SP_INT(d->step),
                                 SP_TEXT(d->outcome), SP_TEXT(d->status), SP_INT(d->live), SP_INT(now)};
    RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_DL_ADD, p, 12, &n));
    return n ? RSP_OK : RSP_ERR_EXISTS;
}

/* The update alone, for callers already inside a transaction (inv.c). */
rsp_err rsp_store__smdp_dl_set(rsp_store *s, const rsp_store_smdp_dl *d, int64_t now)
{
    int64_t n = 0;
    RSP_STORE_TRY(dl_chk(d));
    const rsp_store_param p[] = {SP_TEXT(d->id), SP_TEXT(d->iccid), SP_INT(d->enable), SP_INT(d->isdp),
                                 SP_INT(d->step), SP_TEXT(d->outcome), SP_TEXT(d->status), SP_INT(d->live),
                                 SP_INT(now)};
    RSP_STORE_TRY(rsp_store__exec_stmt(s, RSP_STMT_DL_SET, p, 9, &n));
    return n ? RSP_OK : RSP_ERR_NOT_FOUND;
}

rsp_err rsp_store_smdp_dl_set(rsp_store *s, const rsp_store_smdp_dl *d, int64_t now)
{
    if (!s || !d)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__wbegin(s));
    return rsp_store__wend(s, rsp_store__smdp_dl_set(s, d, now));
}

static rsp_err get_one(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t n, rsp_store_smdp_dl *d)
{
    rsp_err e = rsp_store__first(s, st, p, n);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    e = dl_read(s, d);
    s->ops->finish(s);
    return e;
}

rsp_err rsp_store_smdp_dl_get(rsp_store *s, const char *id, rsp_store_smdp_dl *d)
{
    if (!s || !d)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(id, sizeof d->id));
    const rsp_store_param p[] = {SP_TEXT(id)};
    return get_one(s, RSP_STMT_DL_GET, p, 1, d);
}

rsp_err rsp_store_smdp_dl_find(rsp_store *s, const char *eid, const char *iccid, rsp_store_smdp_dl *d)
{
    if (!s || !d)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, sizeof d->eid));
    RSP_STORE_TRY(rsp_store__chk(iccid, sizeof d->iccid));
    if (!iccid[0])
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_TEXT(eid), SP_TEXT(iccid)};
    return get_one(s, RSP_STMT_DL_FIND, p, 2, d);
}

static rsp_err list(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t np, rsp_store_smdp_dl **out,
                    size_t *n)
{
    *out = NULL;
    *n = 0;
    rsp_store_smdp_dl *v = NULL;
    size_t cnt = 0, cap = 0;
    RSP_STORE_TRY(s->ops->run(s, st, p, np));
    rsp_err e;
    while ((e = s->ops->next(s)) == RSP_OK) {
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            rsp_store_smdp_dl *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                e = RSP_ERR_NOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        if ((e = dl_read(s, &v[cnt])) != RSP_OK)
            break;
        cnt++;
    }
    s->ops->finish(s);
    if (e != RSP_ERR_END) {
        free(v);
        return e;
    }
    *out = v;
    *n = cnt;
    return RSP_OK;
}

rsp_err rsp_store_smdp_dl_list(rsp_store *s, bool live_only, rsp_store_smdp_dl **out, size_t *n)
{
    if (!s || !out || !n)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(live_only ? 1 : 0)};
    return list(s, RSP_STMT_DL_LIST, p, 1, out, n);
}

rsp_err rsp_store_smdp_dl_list_eid(rsp_store *s, const char *eid, rsp_store_smdp_dl **out, size_t *n)
{
    if (!s || !out || !n)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    const rsp_store_param p[] = {SP_TEXT(eid)};
    return list(s, RSP_STMT_DL_EID, p, 1, out, n);
}

/* ---- the sealed ISD-P keys of a profile (inv.isdp_keys, schema v13): opaque here, sealed by lib/smdp/isdp.c ---- */

static rsp_err keys_put(rsp_store *s, const char *iccid, const uint8_t *keys, size_t len, bool in_tx)
{
    int64_t n = 0;
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param p[] = {SP_TEXT(iccid),
                                 len ? SP_BLOB(keys, len) : (rsp_store_param){RSP_SP_NULL, 0, NULL, NULL, 0}};
    RSP_STORE_TRY(in_tx ? rsp_store__exec_stmt(s, RSP_STMT_DL_KEYS_SET, p, 2, &n)
                        : rsp_store__write(s, RSP_STMT_DL_KEYS_SET, p, 2, &n));
    return n ? RSP_OK : RSP_ERR_NOT_FOUND;
}

rsp_err rsp_store_inv_keys_set(rsp_store *s, const char *iccid, const uint8_t *keys, size_t len)
{
    if (!s || (len && !keys))
        return RSP_ERR_INVAL;
    return keys_put(s, iccid, keys, len, false);
}

rsp_err rsp_store_inv_keys_get(rsp_store *s, const char *iccid, rsp_buf *out)
{
    if (!s || !out)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param p[] = {SP_TEXT(iccid)};
    rsp_err e = rsp_store__first(s, RSP_STMT_DL_KEYS_GET, p, 1);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    e = s->ops->col_blob(s, 0, out);
    s->ops->finish(s);
    return e == RSP_OK && !out->len ? RSP_ERR_NOT_FOUND : e;
}

/* For rsp_store_inv_transition_dl_keys (inv.c): inside its transaction. */
rsp_err rsp_store__inv_keys_put(rsp_store *s, const char *iccid, const uint8_t *keys, size_t len)
{
    return keys_put(s, iccid, keys, len, true);
}
