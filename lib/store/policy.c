/* Audit trail (append-only), PLMA and ONC. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

rsp_err rsp_store_audit_append(rsp_store *s, const rsp_store_audit *a, int64_t *id)
{
    if (!s || !a)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(a->actor, sizeof a->actor));
    RSP_STORE_TRY(rsp_store__chk(a->eid, sizeof a->eid));
    RSP_STORE_TRY(rsp_store__chk(a->iccid, sizeof a->iccid));
    RSP_STORE_TRY(rsp_store__chk(a->event, sizeof a->event));
    RSP_STORE_TRY(rsp_store__chk(a->detail, sizeof a->detail));
    const rsp_store_param p[] = {
        SP_INT(a->ts), SP_TEXT(a->actor), SP_TEXT(a->eid), SP_TEXT(a->iccid), SP_INT(a->op_id),
        SP_TEXT(a->event), SP_TEXT(a->detail),
    };
    int64_t got = 0;
    RSP_STORE_TRY(rsp_store__wbegin(s));
    rsp_err e = rsp_store__first(s, RSP_STMT_AUD_APPEND, p, 7);
    if (e == RSP_ERR_END)
        e = RSP_ERR_INTERNAL;
    if (e == RSP_OK) {
        got = s->ops->col_int(s, 0);
        e = rsp_store__done(s);
    }
    /* The id is handed out only once the row is committed. */
    if ((e = rsp_store__wend(s, e)) == RSP_OK && id)
        *id = got;
    return e;
}

rsp_err rsp_store__audit_read(rsp_store *s, rsp_store_audit *a)
{
    memset(a, 0, sizeof *a);
    a->id = s->ops->col_int(s, 0);
    a->ts = s->ops->col_int(s, 1);
    RSP_STORE_TRY(rsp_store__col_str(s, 2, a->actor, sizeof a->actor));
    RSP_STORE_TRY(rsp_store__col_str(s, 3, a->eid, sizeof a->eid));
    RSP_STORE_TRY(rsp_store__col_str(s, 4, a->iccid, sizeof a->iccid));
    a->op_id = s->ops->col_int(s, 5);
    RSP_STORE_TRY(rsp_store__col_str(s, 6, a->event, sizeof a->event));
    return rsp_store__col_str(s, 7, a->detail, sizeof a->detail);
}

rsp_err rsp_store_audit_list(rsp_store *s, const char *eid, int64_t after_id, size_t max,
                             rsp_store_audit **out, size_t *n)
{
    if (!s || !out || !n || max == 0 || max > INT64_MAX)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    if (!eid)
        eid = "";
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    rsp_store_audit *v = NULL;
    size_t cnt = 0;
    const rsp_store_param p[] = {SP_INT(after_id), SP_TEXT(eid), SP_INT((int64_t)max)};
    RSP_STORE_TRY(s->ops->run(s, RSP_STMT_AUD_LIST, p, 3));
    rsp_err e;
    while ((e = s->ops->next(s)) == RSP_OK) {
        rsp_store_audit *nv = realloc(v, (cnt + 1) * sizeof *v);
        if (!nv) {
            e = RSP_ERR_NOMEM;
            break;
        }
        v = nv;
        if ((e = rsp_store__audit_read(s, &v[cnt])) != RSP_OK)
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

/* ---- PLMA ---- */

static rsp_err plma_keys(const char *op, const char *sp, const char *pt)
{
    RSP_STORE_TRY(rsp_store__chk(op, RSP_STORE_ID_LEN));
    RSP_STORE_TRY(rsp_store__chk(sp, RSP_STORE_ID_LEN));
    return rsp_store__chk(pt, RSP_STORE_ID_LEN);
}

rsp_err rsp_store_plma_set(rsp_store *s, const char *operator_id, const char *m2msp_id,
                           const char *profile_type, uint32_t functions)
{
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(plma_keys(operator_id, m2msp_id, profile_type));
    const rsp_store_param p[] = {SP_TEXT(operator_id), SP_TEXT(m2msp_id), SP_TEXT(profile_type),
                                 SP_INT(functions)};
    if (functions == 0)
        return rsp_store__write(s, RSP_STMT_PLMA_DEL, p, 3, NULL);
    return rsp_store__write(s, RSP_STMT_PLMA_SET, p, 4, NULL);
}

rsp_err rsp_store_plma_get(rsp_store *s, const char *operator_id, const char *m2msp_id,
                           const char *profile_type, uint32_t *functions)
{
    if (!s || !functions)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(plma_keys(operator_id, m2msp_id, profile_type));
    const rsp_store_param p[] = {SP_TEXT(operator_id), SP_TEXT(m2msp_id), SP_TEXT(profile_type)};
    rsp_err e = rsp_store__first(s, RSP_STMT_PLMA_GET, p, 3);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    *functions = (uint32_t)s->ops->col_int(s, 0);
    s->ops->finish(s);
    return RSP_OK;
}

rsp_err rsp_store_plma_check(rsp_store *s, const char *operator_id, const char *m2msp_id,
                             const char *profile_type, uint32_t fn)
{
    uint32_t have = 0;
    if (fn == 0)
        return RSP_ERR_INVAL;
    rsp_err e = rsp_store_plma_get(s, operator_id, m2msp_id, profile_type, &have);
    if (e == RSP_ERR_NOT_FOUND)
        return RSP_ERR_DENIED;
    if (e != RSP_OK)
        return e;
    return (have & fn) == fn ? RSP_OK : RSP_ERR_DENIED;
}

/* ---- ONC ---- */

rsp_err rsp_store_onc_set(rsp_store *s, const char *operator_id, const char *profile_type,
                          uint32_t notifications)
{
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(operator_id, RSP_STORE_ID_LEN));
    RSP_STORE_TRY(rsp_store__chk(profile_type, RSP_STORE_ID_LEN));
    const rsp_store_param p[] = {SP_TEXT(operator_id), SP_TEXT(profile_type),
                                 SP_INT(notifications)};
    if (notifications == 0)
        return rsp_store__write(s, RSP_STMT_ONC_DEL, p, 2, NULL);
    return rsp_store__write(s, RSP_STMT_ONC_SET, p, 3, NULL);
}

rsp_err rsp_store_onc_get(rsp_store *s, const char *operator_id, const char *profile_type,
                          uint32_t *notifications)
{
    if (!s || !notifications)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(operator_id, RSP_STORE_ID_LEN));
    RSP_STORE_TRY(rsp_store__chk(profile_type, RSP_STORE_ID_LEN));
    const rsp_store_param p[] = {SP_TEXT(operator_id), SP_TEXT(profile_type)};
    rsp_err e = rsp_store__first(s, RSP_STMT_ONC_GET, p, 2);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    *notifications = (uint32_t)s->ops->col_int(s, 0);
    s->ops->finish(s);
    return RSP_OK;
}
