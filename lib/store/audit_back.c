/* A card's audit trail read newest first (rsp_store_audit_walk_back). The SM-SR finds an
 * operation's step cursor, the operation waiting for a PoR counter and the card's latest operation
 * in the trail; read oldest first, each look-up cost the card's whole history (every PoR re-read
 * it). Newest first, a look-up stops at its answer, a few entries back. */
#include <string.h>

#include "store_int.h"

#define PAGE 32 /* PostgreSQL fetches a whole result: small pages, most walks stop in the first */

rsp_err rsp_store_audit_walk_back(rsp_store *s, const char *eid, rsp_store_audit_fn fn, void *arg)
{
    if (!s || !eid || !*eid || !fn)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    rsp_store_audit a;
    int64_t before = INT64_MAX;
    for (;;) {
        const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(before), SP_INT(PAGE)};
        RSP_STORE_TRY(s->ops->run(s, RSP_STMT_AUD_BACK, p, 3));
        rsp_err e = RSP_ERR_END;
        size_t n = 0;
        bool stop = false;
        while (!stop && (e = s->ops->next(s)) == RSP_OK) {
            if ((e = rsp_store__audit_read(s, &a)) != RSP_OK)
                break;
            n++;
            before = a.id;
            stop = fn(arg, &a);
        }
        s->ops->finish(s);
        if (stop)
            return RSP_OK;
        if (e != RSP_ERR_END)
            return e;
        if (n < PAGE)
            return RSP_OK;
    }
}

rsp_err rsp_store_audit_notif_seen(rsp_store *s, const char *eid, const char *prefix, bool *seen)
{
    if (!s || !eid || !*eid || !prefix || !seen)
        return RSP_ERR_INVAL;
    *seen = false;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    char hi[64];
    size_t n = strlen(prefix);
    /* [prefix, prefix with its last byte one higher): every detail that starts with prefix */
    if (n == 0 || n >= sizeof hi || (unsigned char)prefix[n - 1] >= 0x7F)
        return RSP_ERR_INVAL;
    memcpy(hi, prefix, n + 1);
    hi[n - 1]++;
    const rsp_store_param p[] = {SP_TEXT(eid), SP_TEXT(prefix), SP_TEXT(hi)};
    rsp_err e = rsp_store__first(s, RSP_STMT_AUD_NOTIF, p, 3);
    if (e == RSP_OK) {
        s->ops->finish(s);
        *seen = true;
    }
    return e == RSP_ERR_END ? RSP_OK : e;
}
