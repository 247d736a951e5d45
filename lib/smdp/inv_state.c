/* The on-card part of an identity's lifecycle: installed -> enabled | disabled -> deleted. The SM-DP
 * never sees the card; it records what the SM-SR reports (relayed ES2 results, ES3 notifications, an
 * AuditEIS), so every report is applied from whatever on-card state the identity is in: reports can
 * arrive in any order (a notification can overtake the result of the call that caused it). */
#include <stdlib.h>
#include <string.h>

#include "smdp_int.h"

const rsp_smdp_state rsp_smdp_state_order[RSP_SMDP_STATES] = {
    RSP_SMDP_AVAILABLE, RSP_SMDP_ALLOCATED, RSP_SMDP_DOWNLOADED, RSP_SMDP_INSTALLED,
    RSP_SMDP_ENABLED,   RSP_SMDP_DISABLED,  RSP_SMDP_DELETED,
};

const char *rsp_smdp_state_name(rsp_smdp_state st)
{
    static const char *const names[RSP_SMDP_STATES] = {"available", "allocated", "downloaded", "installed",
                                                       "deleted",   "enabled",   "disabled"};
    return (unsigned)st < RSP_SMDP_STATES ? names[st] : "unknown";
}

rsp_err rsp_smdp_state_of(rsp_smdp_inv *inv, const char *iccid, rsp_smdp_state *st)
{
    if (!inv || !iccid || !st)
        return RSP_ERR_INVAL;
    rsp_store_inv row;
    memset(&row, 0, sizeof row);
    rsp_err e = rsp_store_inv_get(inv->s, iccid, &row);
    if (e == RSP_OK)
        *st = (rsp_smdp_state)row.state;
    rsp_store_inv_clear(&row); /* the row's blob is the identity's secrets: wiped */
    return e;
}

static bool on_card(rsp_smdp_state st)
{
    return st == RSP_SMDP_INSTALLED || st == RSP_SMDP_ENABLED || st == RSP_SMDP_DISABLED;
}

/* to from whichever state iccid is in (card_only: an on-card one; else any but available, the store's
 * table deciding the rest); a few tries, since another connection (a download's own enable step, a
 * notification handled meanwhile) may move it between the read and the write. */
rsp_err rsp_smdp__mark_from_any(rsp_smdp_inv *inv, const char *iccid, rsp_smdp_state to, bool card_only, int64_t now)
{
    for (int tries = 0; tries < 4; tries++) {
        rsp_smdp_state st;
        rsp_err e = rsp_smdp_state_of(inv, iccid, &st);
        if (e != RSP_OK)
            return e;
        if (st == to)
            return RSP_OK;
        if (card_only ? !on_card(st) : st == RSP_SMDP_AVAILABLE)
            return RSP_ERR_STATE;
        e = rsp_smdp_mark(inv, iccid, st, to, now);
        if (e != RSP_ERR_STATE)
            return e;
    }
    return RSP_ERR_STATE;
}

rsp_err rsp_smdp_disable_others(rsp_smdp_inv *inv, const char *eid, const char *iccid, int64_t now)
{
    rsp_smdp_dl *v = NULL;
    size_t n = 0;
    if (!inv || !eid || !iccid)
        return RSP_ERR_INVAL;
    rsp_err e = rsp_smdp_dl_of_eid(inv, eid, &v, &n);
    for (size_t i = 0; e == RSP_OK && i < n; i++) {
        rsp_smdp_state st;
        if (!v[i].iccid[0] || strcmp(v[i].iccid, iccid) == 0 ||
            rsp_smdp_state_of(inv, v[i].iccid, &st) != RSP_OK || st != RSP_SMDP_ENABLED)
            continue;
        e = rsp_smdp_mark(inv, v[i].iccid, RSP_SMDP_ENABLED, RSP_SMDP_DISABLED, now);
        if (e == RSP_ERR_STATE) /* moved meanwhile (deleted, disabled): no longer enabled either way */
            e = RSP_OK;
    }
    free(v);
    return e;
}

rsp_err rsp_smdp_mark_card(rsp_smdp_inv *inv, const char *eid, const char *iccid, rsp_smdp_state to, int64_t now)
{
    if (!inv || !iccid || (to != RSP_SMDP_ENABLED && to != RSP_SMDP_DISABLED && to != RSP_SMDP_DELETED))
        return RSP_ERR_INVAL;
    rsp_err e = rsp_smdp__mark_from_any(inv, iccid, to, true, now);
    if (e == RSP_OK && to == RSP_SMDP_ENABLED && eid && eid[0])
        e = rsp_smdp_disable_others(inv, eid, iccid, now);
    return e;
}
