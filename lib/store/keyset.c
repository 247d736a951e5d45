/* Key sets and SCP80 counters. Keys are opaque blobs here (the caller decides whether they are
 * wrapped); they are never logged and are wiped when released. */
#include <string.h>

#include "store_int.h"

void rsp_store_keyset_clear(rsp_store_keyset *k)
{
    if (!k)
        return;
    rsp_buf_free_secret(&k->keys);
    memset(k, 0, sizeof *k);
}

rsp_err rsp_store_keyset_put(rsp_store *s, const rsp_store_keyset *k)
{
    if (!s || !k || k->counter > RSP_STORE_COUNTER_MAX)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(k->eid, sizeof k->eid));
    const rsp_store_param p[] = {
        SP_TEXT(k->eid), SP_INT(k->kvn), SP_INT(k->type), SP_BLOB(k->keys.data, k->keys.len),
        SP_INT((int64_t)k->counter),
    };
    return rsp_store__write(s, RSP_STMT_KS_PUT, p, 5, NULL);
}

rsp_err rsp_store_keyset_get(rsp_store *s, const char *eid, uint8_t kvn, rsp_store_keyset *k)
{
    if (!s || !k)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    rsp_store_keyset_clear(k);
    const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(kvn)};
    rsp_err e = rsp_store__first(s, RSP_STMT_KS_GET, p, 2);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    e = rsp_store__col_str(s, 0, k->eid, sizeof k->eid);
    k->kvn = (uint8_t)s->ops->col_int(s, 1);
    k->type = (uint8_t)s->ops->col_int(s, 2);
    if (e == RSP_OK)
        e = s->ops->col_blob(s, 3, &k->keys);
    k->counter = (uint64_t)s->ops->col_int(s, 4);
    s->ops->finish(s);
    if (e != RSP_OK)
        rsp_store_keyset_clear(k);
    return e;
}

rsp_err rsp_store_keyset_delete(rsp_store *s, const char *eid, uint8_t kvn)
{
    int64_t n = 0;
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(kvn)};
    RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_KS_DEL, p, 2, &n));
    return n ? RSP_OK : RSP_ERR_NOT_FOUND;
}

/* Tells "no such key set" from "counter at its limit / not above" after a guarded update hit no row. */
static rsp_err why_no_row(rsp_store *s, const char *eid, uint8_t kvn, rsp_err if_exists)
{
    const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(kvn)};
    rsp_err e = rsp_store__first(s, RSP_STMT_KS_COUNTER, p, 2);
    if (e == RSP_ERR_END)
        return RSP_ERR_NOT_FOUND;
    s->ops->finish(s);
    return e == RSP_OK ? if_exists : e;
}

rsp_err rsp_store_counter_reserve(rsp_store *s, const rsp_store_fence *fence, const char *eid,
                                  uint8_t kvn, int64_t now, uint64_t *counter)
{
    uint64_t got = 0;
    if (!s || !counter)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    /* One UPDATE ... RETURNING: atomic against every other connection; with a fence it also
     * checks, in the same statement, that the caller still holds the operation. The value reaches
     * the caller only after the commit succeeded (a failed commit must not hand out a counter that
     * the next call would hand out again). */
    const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(kvn), SP_INT((int64_t)RSP_STORE_COUNTER_MAX),
                                 SP_INT(fence ? fence->op_id : 0),
                                 SP_INT(fence ? fence->generation : 0), SP_INT(now)};
    RSP_STORE_TRY(rsp_store__wbegin(s));
    rsp_err e = rsp_store__first(s, fence ? RSP_STMT_KS_RESERVE_OP : RSP_STMT_KS_RESERVE, p,
                                 fence ? 6 : 3);
    const bool hit = e == RSP_OK;
    if (hit) {
        got = (uint64_t)s->ops->col_int(s, 0);
        e = rsp_store__done(s);
    }
    if ((e = rsp_store__wend(s, e == RSP_ERR_END ? RSP_OK : e)) != RSP_OK)
        return e;
    if (!hit) {
        /* No such key set, counter exhausted, or (with a fence) not the holder. */
        const rsp_store_param k[] = {SP_TEXT(eid), SP_INT(kvn)};
        if ((e = rsp_store__first(s, RSP_STMT_KS_COUNTER, k, 2)) != RSP_OK)
            return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
        uint64_t c = (uint64_t)s->ops->col_int(s, 0);
        s->ops->finish(s);
        return c >= RSP_STORE_COUNTER_MAX ? RSP_ERR_OVERFLOW : RSP_STORE_FENCED;
    }
    *counter = got;
    return RSP_OK;
}

rsp_err rsp_store_counter_raise(rsp_store *s, const char *eid, uint8_t kvn, uint64_t value)
{
    int64_t n = 0;
    if (!s || value > RSP_STORE_COUNTER_MAX)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(kvn), SP_INT((int64_t)value)};
    RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_KS_RAISE, p, 3, &n));
    return n ? RSP_OK : why_no_row(s, eid, kvn, RSP_ERR_REPLAY);
}
