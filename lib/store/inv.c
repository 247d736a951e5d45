/* SM-DP profile inventory: ICCIDs of prepared profiles, allocated to an EID by DownloadProfile. */
#include <string.h>

#include "smdp_dl.h"

/* Checked in one place: AVAILABLE -> ALLOCATED -> DOWNLOADED -> INSTALLED -> RETIRED, an allocation
 * may be released (ALLOCATED -> AVAILABLE) when the download never started, and any live profile may
 * be withdrawn (-> RETIRED). An installed profile moves between ENABLED and DISABLED as the SM-SR
 * reports (numbered after RETIRED: the values already stored keep their meaning). A retired ICCID is
 * never handed out again. */
static const bool inv_table[7][7] = {
    /*                 AV     AL     DL     IN     RE     EN     DI */
    /* AVAILABLE  */ {false, true,  false, false, true,  false, false},
    /* ALLOCATED  */ {true,  false, true,  false, true,  false, false},
    /* DOWNLOADED */ {false, false, false, true,  true,  false, false},
    /* INSTALLED  */ {false, false, false, false, true,  true,  true},
    /* RETIRED    */ {false, false, false, false, false, false, false},
    /* ENABLED    */ {false, false, false, false, true,  false, true},
    /* DISABLED   */ {false, false, false, false, true,  true,  false},
};

bool rsp_store_inv_transition_allowed(rsp_store_inv_state from, rsp_store_inv_state to)
{
    if ((unsigned)from > RSP_STORE_INV_DISABLED || (unsigned)to > RSP_STORE_INV_DISABLED)
        return false;
    return inv_table[from][to];
}

void rsp_store_inv_clear(rsp_store_inv *p)
{
    if (!p)
        return;
    rsp_buf_free_secret(&p->package);
    memset(p, 0, sizeof *p);
}

static rsp_err inv_read(rsp_store *s, rsp_store_inv *p)
{
    rsp_store_inv_clear(p);
    RSP_STORE_TRY(rsp_store__col_str(s, 0, p->iccid, sizeof p->iccid));
    RSP_STORE_TRY(rsp_store__col_str(s, 1, p->profile_type, sizeof p->profile_type));
    p->state = (rsp_store_inv_state)s->ops->col_int(s, 2);
    RSP_STORE_TRY(rsp_store__col_str(s, 3, p->eid, sizeof p->eid));
    RSP_STORE_TRY(rsp_store__col_str(s, 4, p->package_path, sizeof p->package_path));
    RSP_STORE_TRY(s->ops->col_blob(s, 5, &p->package));
    p->updated = s->ops->col_int(s, 6);
    return RSP_OK;
}

rsp_err rsp_store_inv_add(rsp_store *s, const rsp_store_inv *p)
{
    if (!s || !p)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(p->iccid, sizeof p->iccid));
    RSP_STORE_TRY(rsp_store__chk(p->profile_type, sizeof p->profile_type));
    RSP_STORE_TRY(rsp_store__chk(p->package_path, sizeof p->package_path));
    if (!p->iccid[0])
        return RSP_ERR_INVAL;
    const rsp_store_param a[] = {SP_TEXT(p->iccid), SP_TEXT(p->profile_type),
                                 SP_TEXT(p->package_path), SP_BLOB(p->package.data, p->package.len),
                                 SP_INT(p->updated)};
    return rsp_store__write(s, RSP_STMT_INV_ADD, a, 5, NULL);
}

rsp_err rsp_store_inv_get(rsp_store *s, const char *iccid, rsp_store_inv *p)
{
    if (!s || !p)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param a[] = {SP_TEXT(iccid)};
    rsp_err e = rsp_store__first(s, RSP_STMT_INV_GET, a, 1);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    e = inv_read(s, p);
    s->ops->finish(s);
    if (e != RSP_OK)
        rsp_store_inv_clear(p);
    return e;
}

rsp_err rsp_store_inv_allocate(rsp_store *s, const char *profile_type, const char *eid, int64_t now,
                               rsp_store_inv *p)
{
    return rsp_store_inv_allocate_dl(s, profile_type, eid, now, NULL, p);
}

rsp_err rsp_store_inv_allocate_dl(rsp_store *s, const char *profile_type, const char *eid, int64_t now,
                                  rsp_store_smdp_dl *d, rsp_store_inv *p)
{
    if (!s || !p)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(profile_type, RSP_STORE_ID_LEN));
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    const rsp_store_param a[] = {SP_TEXT(profile_type), SP_TEXT(eid), SP_INT(now)};
    /* Same locking as the operation claim: IMMEDIATE on SQLite, SKIP LOCKED on PostgreSQL. */
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__first(s, RSP_STMT_INV_ALLOC, a, 3);
    if (e == RSP_OK) {
        e = inv_read(s, p);
        s->ops->finish(s);
    }
    if (e == RSP_OK && d) {
        memcpy(d->iccid, p->iccid, sizeof d->iccid);
        e = rsp_store__smdp_dl_set(s, d, now);
    }
    if (e != RSP_OK) {
        if (d)
            d->iccid[0] = 0;
        rsp_store__rollback(s);
        rsp_store_inv_clear(p);
        return e;
    }
    if ((e = rsp_store__commit(s)) != RSP_OK) {
        rsp_store_inv_clear(p);
        if (d)
            d->iccid[0] = 0;
    }
    return e;
}

static rsp_err inv_trans(rsp_store *s, const char *iccid, rsp_store_inv_state from, rsp_store_inv_state to,
                         const char *eid, const rsp_store_smdp_dl *d, int64_t now)
{
    int64_t n = 0;
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    if (!rsp_store_inv_transition_allowed(from, to))
        return RSP_ERR_STATE;
    if (to == RSP_STORE_INV_ALLOCATED && (!eid || !eid[0]))
        return RSP_ERR_INVAL;
    if (eid)
        RSP_STORE_TRY(rsp_store__chk(eid, 33));
    /* The EID stays recorded after allocation (who got the profile) unless it is released;
     * NULL keeps the stored one. */
    rsp_store_param a[] = {SP_TEXT(iccid), SP_INT(from), SP_INT(to),
                           (rsp_store_param){RSP_SP_NULL, 0, NULL, NULL, 0}, SP_INT(now)};
    if (to == RSP_STORE_INV_ALLOCATED)
        a[3] = SP_TEXT(eid);
    else if (to == RSP_STORE_INV_AVAILABLE)
        a[3] = SP_TEXT("");
    if (d) { /* inside the caller's transaction, with the journal write */
        RSP_STORE_TRY(rsp_store__exec_stmt(s, RSP_STMT_INV_TRANS, a, 5, &n));
        if (n)
            return rsp_store__smdp_dl_set(s, d, now);
    } else {
        RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_INV_TRANS, a, 5, &n));
    }
    if (n)
        return RSP_OK;
    const rsp_store_param q[] = {SP_TEXT(iccid)};
    rsp_err e = rsp_store__first(s, RSP_STMT_INV_STATE, q, 1);
    if (e == RSP_ERR_END)
        return RSP_ERR_NOT_FOUND;
    s->ops->finish(s);
    return e == RSP_OK ? RSP_ERR_STATE : e;
}

rsp_err rsp_store_inv_transition(rsp_store *s, const char *iccid, rsp_store_inv_state from,
                                 rsp_store_inv_state to, const char *eid, int64_t now)
{
    return inv_trans(s, iccid, from, to, eid, NULL, now);
}

rsp_err rsp_store_inv_count(rsp_store *s, const char *profile_type, rsp_store_inv_state st,
                            size_t *n)
{
    if (!s || !n)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(profile_type, RSP_STORE_ID_LEN));
    const rsp_store_param p[] = {SP_TEXT(profile_type), SP_INT(st)};
    RSP_STORE_TRY(rsp_store__first(s, RSP_STMT_INV_COUNT, p, 2));
    *n = (size_t)s->ops->col_int(s, 0);
    s->ops->finish(s);
    return RSP_OK;
}

rsp_err rsp_store_inv_transition_dl(rsp_store *s, const char *iccid, rsp_store_inv_state from,
                                    rsp_store_inv_state to, const rsp_store_smdp_dl *d, int64_t now)
{
    return rsp_store_inv_transition_dl_keys(s, iccid, from, to, d, NULL, 0, now);
}

rsp_err rsp_store_inv_transition_dl_keys(rsp_store *s, const char *iccid, rsp_store_inv_state from,
                                         rsp_store_inv_state to, const rsp_store_smdp_dl *d, const uint8_t *keys,
                                         size_t keys_len, int64_t now)
{
    if (!s || !d || (keys_len && !keys))
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = inv_trans(s, iccid, from, to, NULL, d, now);
    if (e == RSP_OK && keys_len) /* one commit with the mark: no keys of a profile not downloaded */
        e = rsp_store__inv_keys_put(s, iccid, keys, keys_len);
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        return e;
    }
    return rsp_store__commit(s);
}
