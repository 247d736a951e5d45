/* The outbox (messages to deliver, at least once) and the pending replies they are built from. The
 * sender (lib/svc/svc_outbox.c) claims due rows under a lease and reports each outcome with the
 * generation of its claim, so a worker whose lease lapsed cannot overwrite what the next holder
 * recorded. docs/modules/store.md, "Outbox". */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define SP_NULL ((rsp_store_param){RSP_SP_NULL, 0, NULL, NULL, 0})

void rsp_store_outbox_clear(rsp_store_outbox *m)
{
    if (!m)
        return;
    rsp_buf_free(&m->body);
    memset(m, 0, sizeof *m);
}

/* A row in OB_COLS order into m (cleared first). */
static rsp_err ob_read(rsp_store *s, rsp_store_outbox *m)
{
    const rsp_store_ops *o = s->ops;
    rsp_store_outbox_clear(m);
    m->id = o->col_int(s, 0);
    RSP_STORE_TRY(rsp_store__col_str(s, 1, m->owner, sizeof m->owner));
    RSP_STORE_TRY(rsp_store__col_str(s, 2, m->key, sizeof m->key));
    RSP_STORE_TRY(rsp_store__col_str(s, 3, m->url, sizeof m->url));
    RSP_STORE_TRY(rsp_store__col_str(s, 4, m->ctype, sizeof m->ctype));
    RSP_STORE_TRY(rsp_store__col_str(s, 5, m->action, sizeof m->action));
    RSP_STORE_TRY(o->col_blob(s, 6, &m->body));
    m->created = o->col_int(s, 7);
    m->next_attempt = o->col_int(s, 8);
    m->attempts = (uint32_t)o->col_int(s, 9);
    m->state = (rsp_store_outbox_state)o->col_int(s, 10);
    RSP_STORE_TRY(rsp_store__col_str(s, 11, m->last_error, sizeof m->last_error));
    m->op_id = o->col_int(s, 12);
    m->lease_until = o->col_int(s, 13);
    RSP_STORE_TRY(rsp_store__col_str(s, 14, m->worker, sizeof m->worker));
    m->generation = o->col_int(s, 15);
    m->updated = o->col_int(s, 16);
    return RSP_OK;
}

static rsp_err ob_check(const rsp_store_outbox *m)
{
    RSP_STORE_TRY(rsp_store__chk(m->owner, sizeof m->owner));
    RSP_STORE_TRY(rsp_store__chk(m->key, sizeof m->key));
    RSP_STORE_TRY(rsp_store__chk(m->url, sizeof m->url));
    RSP_STORE_TRY(rsp_store__chk(m->ctype, sizeof m->ctype));
    RSP_STORE_TRY(rsp_store__chk(m->action, sizeof m->action));
    return m->owner[0] && m->url[0] ? RSP_OK : RSP_ERR_INVAL;
}

/* The insert inside the caller's transaction: *id 0 when the key was taken. */
static rsp_err ob_insert(rsp_store *s, const rsp_store_outbox *m, int64_t *id)
{
    const rsp_store_param p[] = {
        SP_TEXT(m->owner), m->key[0] ? SP_TEXT(m->key) : SP_NULL, SP_TEXT(m->url), SP_TEXT(m->ctype),
        SP_TEXT(m->action), SP_BLOB(m->body.data, m->body.len), SP_INT(m->created),
        SP_INT(m->next_attempt), SP_INT(m->op_id),
    };
    *id = 0;
    rsp_err e = rsp_store__first(s, RSP_STMT_OB_ADD, p, 9);
    if (e == RSP_ERR_END)
        return RSP_OK;
    if (e != RSP_OK)
        return e;
    *id = s->ops->col_int(s, 0);
    return rsp_store__done(s);
}

rsp_err rsp_store_outbox_add(rsp_store *s, const rsp_store_outbox *m, int64_t *id)
{
    int64_t got = 0;
    if (!s || !m)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(ob_check(m));
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = ob_insert(s, m, &got);
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        return e;
    }
    RSP_STORE_TRY(rsp_store__commit(s));
    if (id)
        *id = got;
    return got ? RSP_OK : RSP_ERR_EXISTS;
}

rsp_err rsp_store_outbox_get(rsp_store *s, int64_t id, rsp_store_outbox *m)
{
    if (!s || !m)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(id)};
    rsp_err e = rsp_store__first(s, RSP_STMT_OB_GET, p, 1);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    e = ob_read(s, m);
    s->ops->finish(s);
    if (e != RSP_OK)
        rsp_store_outbox_clear(m);
    return e;
}

rsp_err rsp_store_outbox_claim(rsp_store *s, const char *owner, const char *worker, int64_t now,
                               int64_t lease, size_t max, rsp_store_outbox **out, size_t *n)
{
    if (!s || !owner || !out || !n || lease <= 0 || max == 0)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    RSP_STORE_TRY(rsp_store__chk(worker, sizeof((rsp_store_outbox *)0)->worker));
    rsp_store_outbox *v = calloc(max, sizeof *v);
    if (!v)
        return RSP_ERR_NOMEM;
    const rsp_store_param p[] = {SP_TEXT(owner), SP_INT(now), SP_TEXT(worker), SP_INT(now + lease),
                                 SP_INT((int64_t)max)};
    size_t k = 0;
    /* SQLite: the write lock of BEGIN IMMEDIATE orders claimers; PostgreSQL: SKIP LOCKED. The rows
     * are handed out only once the claim is committed. */
    rsp_err e = rsp_store__begin(s);
    if (e == RSP_OK)
        e = s->ops->run(s, RSP_STMT_OB_CLAIM, p, 5);
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK && k < max)
        if ((e = ob_read(s, &v[k])) == RSP_OK)
            k++;
    if (e == RSP_ERR_END)
        e = RSP_OK;
    s->ops->finish(s);
    if (e == RSP_OK)
        e = rsp_store__commit(s);
    else
        rsp_store__rollback(s);
    if (e != RSP_OK) {
        for (size_t i = 0; i < max; i++)
            rsp_store_outbox_clear(&v[i]);
        free(v);
        return e;
    }
    if (!k) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return RSP_OK;
}

/* A fenced outcome: one row written, or why not. */
static rsp_err ob_outcome(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t np)
{
    int64_t n = 0;
    RSP_STORE_TRY(rsp_store__write(s, st, p, np, &n));
    if (n)
        return RSP_OK;
    const rsp_store_param q[] = {p[0]};
    rsp_err e = rsp_store__first(s, RSP_STMT_OB_WHY, q, 1);
    if (e == RSP_ERR_END)
        return RSP_ERR_NOT_FOUND;
    s->ops->finish(s);
    return e != RSP_OK ? e : RSP_STORE_FENCED;
}

rsp_err rsp_store_outbox_sent(rsp_store *s, int64_t id, int64_t gen, int64_t now)
{
    if (!s)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(id), SP_INT(gen), SP_INT(now)};
    return ob_outcome(s, RSP_STMT_OB_SENT, p, 3);
}

/* err cut to the column's size (it comes from a peer's answer or a socket error). */
static void cut(const char *err, char out[256])
{
    size_t n = err ? strnlen(err, 255) : 0;
    memcpy(out, err ? err : "", n);
    out[n] = 0;
}

rsp_err rsp_store_outbox_retry(rsp_store *s, int64_t id, int64_t gen, int64_t now,
                               int64_t next_attempt, const char *err)
{
    char why[256];
    if (!s)
        return RSP_ERR_INVAL;
    cut(err, why);
    const rsp_store_param p[] = {SP_INT(id), SP_INT(gen), SP_INT(now), SP_INT(next_attempt),
                                 SP_TEXT(why)};
    return ob_outcome(s, RSP_STMT_OB_RETRY, p, 5);
}

rsp_err rsp_store_outbox_dead(rsp_store *s, int64_t id, int64_t gen, int64_t now, const char *err)
{
    char why[256];
    if (!s)
        return RSP_ERR_INVAL;
    cut(err, why);
    const rsp_store_param p[] = {SP_INT(id), SP_INT(gen), SP_INT(now), SP_TEXT(why)};
    return ob_outcome(s, RSP_STMT_OB_DEAD, p, 4);
}

rsp_err rsp_store_outbox_prune(rsp_store *s, int64_t before, size_t *n)
{
    int64_t c = 0;
    if (!s)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(before)};
    RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_OB_PRUNE, p, 1, &c));
    if (n)
        *n = (size_t)c;
    return RSP_OK;
}

rsp_err rsp_store_outbox_stats_get(rsp_store *s, const char *owner, rsp_store_outbox_stats *st)
{
    if (!s || !owner || !st)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_TEXT(owner)};
    RSP_STORE_TRY(rsp_store__first(s, RSP_STMT_OB_STATS, p, 1));
    st->pending = (size_t)s->ops->col_int(s, 0);
    st->sent = (size_t)s->ops->col_int(s, 1);
    st->dead = (size_t)s->ops->col_int(s, 2);
    st->oldest_pending = s->ops->col_int(s, 3);
    s->ops->finish(s);
    return RSP_OK;
}

/* ---- pending replies ---- */

rsp_err rsp_store_outbox_reply_add(rsp_store *s, const rsp_store_outbox_reply *r, int64_t *id)
{
    if (!s || !r)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(r->owner, sizeof r->owner));
    RSP_STORE_TRY(rsp_store__chk(r->key, sizeof r->key));
    RSP_STORE_TRY(rsp_store__chk(r->caller, sizeof r->caller));
    RSP_STORE_TRY(rsp_store__chk(r->function, sizeof r->function));
    RSP_STORE_TRY(rsp_store__chk(r->reply_to, sizeof r->reply_to));
    RSP_STORE_TRY(rsp_store__chk(r->message_id, sizeof r->message_id));
    RSP_STORE_TRY(rsp_store__chk(r->fcid, sizeof r->fcid));
    RSP_STORE_TRY(rsp_store__chk(r->eid, sizeof r->eid));
    RSP_STORE_TRY(rsp_store__chk(r->iccid, sizeof r->iccid));
    if (!r->owner[0] || !r->key[0])
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {
        SP_TEXT(r->owner), SP_TEXT(r->key), SP_INT(r->op_id), SP_TEXT(r->caller), SP_TEXT(r->function),
        SP_TEXT(r->reply_to), SP_TEXT(r->message_id), SP_TEXT(r->fcid), SP_TEXT(r->eid),
        SP_TEXT(r->iccid), SP_INT(r->flags), SP_INT(r->created),
    };
    int64_t got = 0;
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__first(s, RSP_STMT_RP_ADD, p, 12);
    if (e == RSP_OK) {
        got = s->ops->col_int(s, 0);
        e = rsp_store__done(s);
    }
    if (e != RSP_OK && e != RSP_ERR_END) {
        rsp_store__rollback(s);
        return e;
    }
    RSP_STORE_TRY(rsp_store__commit(s));
    if (id)
        *id = got;
    return got ? RSP_OK : RSP_ERR_EXISTS;
}

static rsp_err rp_read(rsp_store *s, rsp_store_outbox_reply *r)
{
    const rsp_store_ops *o = s->ops;
    memset(r, 0, sizeof *r);
    r->id = o->col_int(s, 0);
    RSP_STORE_TRY(rsp_store__col_str(s, 1, r->owner, sizeof r->owner));
    RSP_STORE_TRY(rsp_store__col_str(s, 2, r->key, sizeof r->key));
    r->op_id = o->col_int(s, 3);
    RSP_STORE_TRY(rsp_store__col_str(s, 4, r->caller, sizeof r->caller));
    RSP_STORE_TRY(rsp_store__col_str(s, 5, r->function, sizeof r->function));
    RSP_STORE_TRY(rsp_store__col_str(s, 6, r->reply_to, sizeof r->reply_to));
    RSP_STORE_TRY(rsp_store__col_str(s, 7, r->message_id, sizeof r->message_id));
    RSP_STORE_TRY(rsp_store__col_str(s, 8, r->fcid, sizeof r->fcid));
    RSP_STORE_TRY(rsp_store__col_str(s, 9, r->eid, sizeof r->eid));
    RSP_STORE_TRY(rsp_store__col_str(s, 10, r->iccid, sizeof r->iccid));
    r->flags = (uint32_t)o->col_int(s, 11);
    r->created = o->col_int(s, 12);
    return RSP_OK;
}

rsp_err rsp_store_outbox_reply_ready(rsp_store *s, const char *owner, size_t max,
                                     rsp_store_outbox_reply **out, size_t *n)
{
    if (!s || !owner || !out || !n || max == 0)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    rsp_store_outbox_reply *v = calloc(max, sizeof *v);
    if (!v)
        return RSP_ERR_NOMEM;
    const rsp_store_param p[] = {SP_TEXT(owner), SP_INT((int64_t)max)};
    size_t k = 0;
    rsp_err e = s->ops->run(s, RSP_STMT_RP_READY, p, 2);
    while (e == RSP_OK && k < max && (e = s->ops->next(s)) == RSP_OK)
        if ((e = rp_read(s, &v[k])) == RSP_OK)
            k++;
    s->ops->finish(s);
    if (e != RSP_OK && e != RSP_ERR_END) {
        free(v);
        return e;
    }
    if (!k) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return RSP_OK;
}

rsp_err rsp_store_outbox_reply_move(rsp_store *s, int64_t id, const rsp_store_outbox *m, int64_t *outbox_id)
{
    int64_t n = 0, got = 0;
    if (!s)
        return RSP_ERR_INVAL;
    if (m)
        RSP_STORE_TRY(ob_check(m));
    const rsp_store_param p[] = {SP_INT(id)};
    /* The delete decides who moves it: a second mover deletes nothing and writes nothing. */
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__exec_stmt(s, RSP_STMT_RP_DEL, p, 1, &n);
    if (e == RSP_OK && !n)
        e = RSP_ERR_NOT_FOUND;
    if (e == RSP_OK && m)
        e = ob_insert(s, m, &got);
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        return e;
    }
    RSP_STORE_TRY(rsp_store__commit(s));
    if (outbox_id)
        *outbox_id = got;
    return RSP_OK;
}
