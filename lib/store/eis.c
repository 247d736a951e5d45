/* EIS and ProfileInfo rows. */
#include <stdlib.h>
#include <string.h>

#include "rsp/log.h"
#include "store_int.h"

void rsp_store_eis_clear(rsp_store_eis *e)
{
    if (!e)
        return;
    rsp_buf_free(&e->signed_blob);
    memset(e, 0, sizeof *e);
}

static rsp_err eis_check(const rsp_store_eis *e)
{
    RSP_STORE_TRY(rsp_store__chk(e->eid, sizeof e->eid));
    if (strlen(e->eid) != 32)
        return RSP_ERR_FORMAT;
    RSP_STORE_TRY(rsp_store__chk(e->eum_id, sizeof e->eum_id));
    RSP_STORE_TRY(rsp_store__chk(e->production_date, sizeof e->production_date));
    RSP_STORE_TRY(rsp_store__chk(e->platform_type, sizeof e->platform_type));
    RSP_STORE_TRY(rsp_store__chk(e->platform_version, sizeof e->platform_version));
    RSP_STORE_TRY(rsp_store__chk(e->cattp_version, sizeof e->cattp_version));
    RSP_STORE_TRY(rsp_store__chk(e->http_version, sizeof e->http_version));
    RSP_STORE_TRY(rsp_store__chk(e->secure_packet_version, sizeof e->secure_packet_version));
    RSP_STORE_TRY(rsp_store__chk(e->rp_version, sizeof e->rp_version));
    return rsp_store__chk(e->smsr_id, sizeof e->smsr_id);
}

rsp_err rsp_store_eis_put(rsp_store *s, const rsp_store_eis *e)
{
    if (!s || !e)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(eis_check(e));
    const rsp_store_param p[] = {
        SP_TEXT(e->eid), SP_TEXT(e->eum_id), SP_TEXT(e->production_date),
        SP_TEXT(e->platform_type), SP_TEXT(e->platform_version), SP_INT(e->caps),
        SP_TEXT(e->cattp_version), SP_TEXT(e->http_version), SP_TEXT(e->secure_packet_version),
        SP_TEXT(e->rp_version), SP_INT(e->remaining_memory), SP_INT(e->available_memory),
        SP_INT(e->last_audit), SP_TEXT(e->smsr_id),
        SP_BLOB(e->signed_blob.data, e->signed_blob.len),
    };
    return rsp_store__write(s, RSP_STMT_EIS_PUT, p, sizeof p / sizeof p[0], NULL);
}

rsp_err rsp_store_eis_get(rsp_store *s, const char *eid, rsp_store_eis *e)
{
    if (!s || !e)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    rsp_store_eis_clear(e);
    const rsp_store_param p[] = {SP_TEXT(eid)};
    rsp_err r = rsp_store__first(s, RSP_STMT_EIS_GET, p, 1);
    if (r != RSP_OK)
        return r == RSP_ERR_END ? RSP_ERR_NOT_FOUND : r;
    const rsp_store_ops *o = s->ops;
    if ((r = rsp_store__col_str(s, 0, e->eid, sizeof e->eid)) == RSP_OK &&
        (r = rsp_store__col_str(s, 1, e->eum_id, sizeof e->eum_id)) == RSP_OK &&
        (r = rsp_store__col_str(s, 2, e->production_date, sizeof e->production_date)) == RSP_OK &&
        (r = rsp_store__col_str(s, 3, e->platform_type, sizeof e->platform_type)) == RSP_OK &&
        (r = rsp_store__col_str(s, 4, e->platform_version, sizeof e->platform_version)) ==
            RSP_OK &&
        (r = rsp_store__col_str(s, 6, e->cattp_version, sizeof e->cattp_version)) == RSP_OK &&
        (r = rsp_store__col_str(s, 7, e->http_version, sizeof e->http_version)) == RSP_OK &&
        (r = rsp_store__col_str(s, 8, e->secure_packet_version,
                                sizeof e->secure_packet_version)) == RSP_OK &&
        (r = rsp_store__col_str(s, 9, e->rp_version, sizeof e->rp_version)) == RSP_OK &&
        (r = rsp_store__col_str(s, 13, e->smsr_id, sizeof e->smsr_id)) == RSP_OK)
        r = o->col_blob(s, 14, &e->signed_blob);
    e->caps = (uint32_t)o->col_int(s, 5);
    e->remaining_memory = o->col_int(s, 10);
    e->available_memory = o->col_int(s, 11);
    e->last_audit = o->col_int(s, 12);
    o->finish(s);
    if (r != RSP_OK)
        rsp_store_eis_clear(e);
    return r;
}

rsp_err rsp_store_eis_delete(rsp_store *s, const char *eid)
{
    int64_t n = 0;
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    const rsp_store_param p[] = {SP_TEXT(eid)};
    RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_EIS_DEL, p, 1, &n));
    return n ? RSP_OK : RSP_ERR_NOT_FOUND;
}

/* ---- profiles ---- */

static rsp_err prof_check(const rsp_store_profile *p)
{
    RSP_STORE_TRY(rsp_store__chk(p->iccid, sizeof p->iccid));
    RSP_STORE_TRY(rsp_store__chk(p->eid, sizeof p->eid));
    RSP_STORE_TRY(rsp_store__chk(p->isdp_aid, sizeof p->isdp_aid));
    RSP_STORE_TRY(rsp_store__chk(p->mno_id, sizeof p->mno_id));
    RSP_STORE_TRY(rsp_store__chk(p->smdp_id, sizeof p->smdp_id));
    RSP_STORE_TRY(rsp_store__chk(p->profile_type, sizeof p->profile_type));
    RSP_STORE_TRY(rsp_store__chk(p->msisdn, sizeof p->msisdn));
    RSP_STORE_TRY(rsp_store__chk(p->imsi, sizeof p->imsi));
    if (!p->iccid[0] || (unsigned)p->state > RSP_STORE_PROFILE_ENABLED)
        return RSP_ERR_INVAL;
    return RSP_OK;
}

static rsp_err prof_read(rsp_store *s, rsp_store_profile *p)
{
    const rsp_store_ops *o = s->ops;
    memset(p, 0, sizeof *p);
    RSP_STORE_TRY(rsp_store__col_str(s, 0, p->iccid, sizeof p->iccid));
    RSP_STORE_TRY(rsp_store__col_str(s, 1, p->eid, sizeof p->eid));
    RSP_STORE_TRY(rsp_store__col_str(s, 2, p->isdp_aid, sizeof p->isdp_aid));
    RSP_STORE_TRY(rsp_store__col_str(s, 3, p->mno_id, sizeof p->mno_id));
    RSP_STORE_TRY(rsp_store__col_str(s, 4, p->smdp_id, sizeof p->smdp_id));
    RSP_STORE_TRY(rsp_store__col_str(s, 5, p->profile_type, sizeof p->profile_type));
    RSP_STORE_TRY(rsp_store__col_str(s, 6, p->msisdn, sizeof p->msisdn));
    RSP_STORE_TRY(rsp_store__col_str(s, 7, p->imsi, sizeof p->imsi));
    p->state = (rsp_store_profile_state)o->col_int(s, 8);
    p->fallback = o->col_int(s, 9) != 0;
    p->pol2 = (uint32_t)o->col_int(s, 10);
    p->allocated_memory = o->col_int(s, 11);
    p->emergency = o->col_int(s, 12) != 0;
    return RSP_OK;
}

/* The rule "one enabled profile per eUICC" is the unique index profile_one_enabled (schema v9).
 * Its violation is reported as RSP_ERR_STATE with a log line, not the generic RSP_ERR_EXISTS of a
 * duplicate key: the caller did a switch in the wrong order, or the store disagrees with the card. */
static rsp_err second_enabled(const char *iccid, const char *eid, const char *other)
{
    RSP_LOGE(RSP_SS_STORE, "refused: a second enabled profile on one eUICC",
             "iccid=%s eid=%s enabled=%s", iccid, eid ? eid : "-", other ? other : "-");
    return RSP_ERR_STATE;
}

rsp_err rsp_store_profile_put(rsp_store *s, const rsp_store_profile *p)
{
    if (!s || !p)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(prof_check(p));
    if (p->state == RSP_STORE_PROFILE_ENABLED) {
        /* Looked up first so that the refusal names the other profile (the index alone would
         * answer a bare duplicate key, which UNIQUE(eid, isdp_aid) also gives). */
        char other[21] = "";
        const rsp_store_param q[] = {SP_TEXT(p->eid), SP_TEXT(p->iccid)};
        rsp_err e = rsp_store__first(s, RSP_STMT_PROF_ENABLED_OTHER, q, 2);
        if (e == RSP_OK) {
            e = rsp_store__col_str(s, 0, other, sizeof other);
            s->ops->finish(s);
            return e != RSP_OK ? e : second_enabled(p->iccid, p->eid, other);
        }
        if (e != RSP_ERR_END)
            return e;
    }
    const rsp_store_param a[] = {
        SP_TEXT(p->iccid), SP_TEXT(p->eid), SP_TEXT(p->isdp_aid), SP_TEXT(p->mno_id),
        SP_TEXT(p->smdp_id), SP_TEXT(p->profile_type), SP_TEXT(p->msisdn), SP_TEXT(p->imsi),
        SP_INT(p->state), SP_INT(p->fallback ? 1 : 0), SP_INT(p->pol2),
        SP_INT(p->allocated_memory), SP_INT(p->emergency ? 1 : 0),
    };
    return rsp_store__write(s, RSP_STMT_PROF_PUT, a, sizeof a / sizeof a[0], NULL);
}

rsp_err rsp_store_profile_get(rsp_store *s, const char *iccid, rsp_store_profile *p)
{
    if (!s || !p)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param a[] = {SP_TEXT(iccid)};
    rsp_err e = rsp_store__first(s, RSP_STMT_PROF_GET, a, 1);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    e = prof_read(s, p);
    s->ops->finish(s);
    return e;
}

rsp_err rsp_store_profile_list(rsp_store *s, const char *eid, rsp_store_profile **out, size_t *n)
{
    if (!s || !out || !n)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    const rsp_store_param a[] = {SP_TEXT(eid)};
    RSP_STORE_TRY(s->ops->run(s, RSP_STMT_PROF_LIST, a, 1));
    rsp_store_profile *v = NULL;
    size_t cnt = 0, cap = 0;
    rsp_err e;
    while ((e = s->ops->next(s)) == RSP_OK) {
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 4;
            rsp_store_profile *nv = realloc(v, nc * sizeof *v);
            if (!nv) {
                e = RSP_ERR_NOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        if ((e = prof_read(s, &v[cnt])) != RSP_OK)
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

static rsp_err prof_update(rsp_store *s, rsp_store_stmt st, const char *iccid, int64_t v)
{
    int64_t n = 0;
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param a[] = {SP_TEXT(iccid), SP_INT(v)};
    RSP_STORE_TRY(rsp_store__write(s, st, a, 2, &n));
    return n ? RSP_OK : RSP_ERR_NOT_FOUND;
}

rsp_err rsp_store_profile_set_state(rsp_store *s, const char *iccid, rsp_store_profile_state st)
{
    if ((unsigned)st > RSP_STORE_PROFILE_ENABLED)
        return RSP_ERR_INVAL;
    rsp_err e = prof_update(s, RSP_STMT_PROF_SET_STATE, iccid, st);
    /* An UPDATE of the state can only break the one-enabled index (the keys do not change). */
    return e == RSP_ERR_EXISTS ? second_enabled(iccid, NULL, NULL) : e;
}

rsp_err rsp_store_profile_switch(rsp_store *s, const char *eid, const char *iccid)
{
    int64_t n = 0;
    if (!s)
        return RSP_ERR_INVAL;
    if (!iccid)
        iccid = "";
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param a[] = {SP_TEXT(eid), SP_TEXT(iccid)};
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__exec_stmt(s, RSP_STMT_PROF_DISABLE_OTHERS, a, 2, NULL);
    if (e == RSP_OK && iccid[0]) {
        e = rsp_store__exec_stmt(s, RSP_STMT_PROF_ENABLE_ONE, a, 2, &n);
        if (e == RSP_OK && n == 0)
            e = RSP_ERR_NOT_FOUND;
        if (e == RSP_ERR_EXISTS) /* another writer enabled one in between (PostgreSQL) */
            e = second_enabled(iccid, eid, NULL);
    }
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        return e;
    }
    return rsp_store__commit(s);
}

rsp_err rsp_store_profile_set_pol2(rsp_store *s, const char *iccid, uint32_t pol2)
{
    return prof_update(s, RSP_STMT_PROF_SET_POL2, iccid, pol2);
}

rsp_err rsp_store_profile_set_fallback(rsp_store *s, const char *eid, const char *iccid)
{
    int64_t n = 0;
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param a[] = {SP_TEXT(eid), SP_TEXT(iccid)};
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__exec_stmt(s, RSP_STMT_PROF_FB_CLEAR, a, 1, NULL);
    if (e == RSP_OK)
        e = rsp_store__exec_stmt(s, RSP_STMT_PROF_FB_SET, a, 2, &n);
    if (e == RSP_OK && n == 0)
        e = RSP_ERR_NOT_FOUND; /* no such profile on that eUICC: keep the old holder */
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        return e;
    }
    return rsp_store__commit(s);
}

rsp_err rsp_store_profile_set_emergency(rsp_store *s, const char *eid, const char *iccid, bool on)
{
    int64_t n = 0;
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param a[] = {SP_TEXT(eid), SP_TEXT(iccid), SP_INT(on ? 1 : 0)};
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__exec_stmt(s, RSP_STMT_PROF_EM_SET, a, 3, &n);
    if (e == RSP_OK && n == 0)
        e = RSP_ERR_NOT_FOUND; /* no such profile on that eUICC: keep the old holder */
    if (e == RSP_OK && on)
        e = rsp_store__exec_stmt(s, RSP_STMT_PROF_EM_CLEAR, a, 2, NULL);
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        return e;
    }
    return rsp_store__commit(s);
}

rsp_err rsp_store_profile_delete(rsp_store *s, const char *iccid)
{
    int64_t n = 0;
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(iccid, 21));
    const rsp_store_param a[] = {SP_TEXT(iccid)};
    RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_PROF_DEL, a, 1, &n));
    return n ? RSP_OK : RSP_ERR_NOT_FOUND;
}
