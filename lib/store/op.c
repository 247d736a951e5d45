/* SM-SR operations: submit (idempotent on requester + FunctionCallIdentifier), claim (FIFO per
 * eUICC, one in flight per eUICC), and the checked state transitions. */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

/* The one transition table (docs/modules/store.md). Rows: from; columns: to. */
static const bool transitions[6][6] = {
    /*                 Q      S      A      D      F      E */
    /* QUEUED   */ {false, true,  false, false, true,  true},
    /* SENT     */ {true,  false, true,  true,  true,  true},
    /* AWAITING */ {true,  false, false, true,  true,  true},
    /* DONE     */ {false, false, false, false, false, false},
    /* FAILED   */ {false, false, false, false, false, false},
    /* EXPIRED  */ {false, false, false, false, false, false},
};

bool rsp_store_op_transition_allowed(rsp_store_op_state from, rsp_store_op_state to)
{
    if ((unsigned)from > RSP_STORE_OP_EXPIRED || (unsigned)to > RSP_STORE_OP_EXPIRED)
        return false;
    return transitions[from][to];
}

const char *rsp_store_op_state_name(rsp_store_op_state st)
{
    static const char *const names[] = {"queued", "sent", "awaiting", "done", "failed", "expired"};
    return (unsigned)st <= RSP_STORE_OP_EXPIRED ? names[st] : "unknown";
}

void rsp_store_op_clear(rsp_store_op *op)
{
    if (!op)
        return;
    rsp_buf_free(&op->script);
    rsp_buf_free(&op->result);
    memset(op, 0, sizeof *op);
}

/* Reads a row in OP_COLS order into op (cleared first). */
static rsp_err op_read(rsp_store *s, rsp_store_op *op)
{
    const rsp_store_ops *o = s->ops;
    rsp_store_op_clear(op);
    op->id = o->col_int(s, 0);
    RSP_STORE_TRY(rsp_store__col_str(s, 1, op->eid, sizeof op->eid));
    RSP_STORE_TRY(rsp_store__col_str(s, 2, op->function, sizeof op->function));
    RSP_STORE_TRY(rsp_store__col_str(s, 3, op->requester, sizeof op->requester));
    RSP_STORE_TRY(rsp_store__col_str(s, 4, op->fcid, sizeof op->fcid));
    op->created = o->col_int(s, 5);
    op->deadline = o->col_int(s, 6);
    op->state = (rsp_store_op_state)o->col_int(s, 7);
    op->attempts = (uint32_t)o->col_int(s, 8);
    op->next_attempt = o->col_int(s, 9);
    op->lease_until = o->col_int(s, 10);
    RSP_STORE_TRY(rsp_store__col_str(s, 11, op->worker, sizeof op->worker));
    RSP_STORE_TRY(o->col_blob(s, 12, &op->script));
    op->generation = o->col_int(s, 14);
    return o->col_blob(s, 13, &op->result);
}

rsp_err rsp_store_op_submit(rsp_store *s, const rsp_store_op *op, int64_t *id, bool *replayed)
{
    if (!s || !op || !id)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(op->eid, sizeof op->eid));
    RSP_STORE_TRY(rsp_store__chk(op->function, sizeof op->function));
    RSP_STORE_TRY(rsp_store__chk(op->requester, sizeof op->requester));
    RSP_STORE_TRY(rsp_store__chk(op->fcid, sizeof op->fcid));
    if (!op->eid[0] || !op->fcid[0])
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {
        SP_TEXT(op->eid), SP_TEXT(op->function), SP_TEXT(op->requester), SP_TEXT(op->fcid),
        SP_INT(op->created), SP_INT(op->deadline), SP_INT(op->next_attempt),
        SP_BLOB(op->script.data, op->script.len),
    };
    /* INSERT ... ON CONFLICT DO NOTHING RETURNING id: no row means the key was taken, by this
     * request earlier or by a concurrent replay; either way the first operation answers. A new op
     * heads its eUICC's lane if the lane is empty, in the same transaction. The id is handed out
     * only once both are committed. */
    int64_t got = 0;
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__first(s, RSP_STMT_OP_INSERT, p, 8);
    bool fresh = e == RSP_OK;
    if (fresh) {
        got = s->ops->col_int(s, 0);
        e = rsp_store__done(s);
        const rsp_store_param l[] = {SP_TEXT(op->eid), SP_INT(got)};
        if (e == RSP_OK)
            e = rsp_store__exec_stmt(s, RSP_STMT_LANE_ADD, l, 2, NULL);
    }
    if (e != RSP_OK && e != RSP_ERR_END) {
        rsp_store__rollback(s);
        return e;
    }
    RSP_STORE_TRY(rsp_store__commit(s));
    if (!fresh) {
        const rsp_store_param k[] = {SP_TEXT(op->requester), SP_TEXT(op->fcid)};
        if ((e = rsp_store__first(s, RSP_STMT_OP_BY_FCID, k, 2)) != RSP_OK)
            return e == RSP_ERR_END ? RSP_ERR_INTERNAL : e;
        got = s->ops->col_int(s, 0);
        s->ops->finish(s);
    }
    *id = got;
    if (replayed)
        *replayed = !fresh;
    return RSP_OK;
}

rsp_err rsp_store_op_get(rsp_store *s, int64_t id, rsp_store_op *op)
{
    if (!s || !op)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(id)};
    rsp_err e = rsp_store__first(s, RSP_STMT_OP_GET, p, 1);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    e = op_read(s, op);
    s->ops->finish(s);
    if (e != RSP_OK)
        rsp_store_op_clear(op);
    return e;
}

rsp_err rsp_store_op_claim(rsp_store *s, const char *worker_id, int64_t now, int64_t lease,
                           rsp_store_op *op)
{
    if (!s || !op || lease <= 0)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(worker_id, sizeof op->worker));
    const rsp_store_param p[] = {SP_TEXT(worker_id), SP_INT(now), SP_INT(now + lease)};
    /* SQLite: BEGIN IMMEDIATE serialises claimers on the write lock before the candidate is read.
     * PostgreSQL: the statement's FOR UPDATE SKIP LOCKED lets concurrent claimers pass over each
     * other's candidates instead of queueing on them. */
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e;
    bool head = false;
    if (s->broken_claim) {
        e = rsp_store__first(s, RSP_STMT_OP_CLAIM_BROKEN, p, 3);
    } else {
        /* Lapsed leases first (a dead worker's op goes on), then idle lanes' heads. */
        e = rsp_store__first(s, RSP_STMT_OP_CLAIM_TAKEOVER, p, 3);
        if (e == RSP_ERR_END) {
            e = rsp_store__first(s, RSP_STMT_OP_CLAIM_HEAD, p, 3);
            head = true;
        }
    }
    if (e == RSP_OK) {
        e = op_read(s, op);
        if (e == RSP_OK)
            e = rsp_store__done(s);
        s->ops->finish(s);
    }
    if (e == RSP_OK && head) {
        const rsp_store_param l[] = {SP_TEXT(op->eid), SP_INT(op->id)};
        e = rsp_store__exec_stmt(s, RSP_STMT_LANE_BUSY, l, 2, NULL);
    }
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        if (e != RSP_ERR_END)
            rsp_store_op_clear(op);
        return e;
    }
    if ((e = rsp_store__commit(s)) != RSP_OK)
        rsp_store_op_clear(op);
    return e;
}

/* Why a fenced or compare-and-set update of op id hit no row. */
static rsp_err op_why(rsp_store *s, int64_t id, const rsp_store_fence *fence, rsp_err otherwise)
{
    const rsp_store_param q[] = {SP_INT(id)};
    rsp_err e = rsp_store__first(s, RSP_STMT_OP_STATE, q, 1);
    if (e == RSP_ERR_END)
        return RSP_ERR_NOT_FOUND;
    if (e != RSP_OK)
        return e;
    int64_t gen = s->ops->col_int(s, 1);
    s->ops->finish(s);
    return fence && gen != fence->generation ? RSP_STORE_FENCED : otherwise;
}

rsp_err rsp_store_op_renew(rsp_store *s, const rsp_store_fence *fence, int64_t now,
                           int64_t lease_until)
{
    int64_t n = 0;
    if (!s || !fence || lease_until < now)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(fence->op_id), SP_INT(fence->generation), SP_INT(now),
                                 SP_INT(lease_until)};
    RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_OP_RENEW, p, 4, &n));
    /* Same generation but not renewed: finished, or the lease lapsed. Either way it is not ours. */
    return n ? RSP_OK : op_why(s, fence->op_id, fence, RSP_STORE_FENCED);
}

/* Counts n operations that reached state st under this handle's key, in the caller's transaction. */
static rsp_err tally(rsp_store *s, rsp_store_op_state st, int64_t n)
{
    const rsp_store_param t[] = {SP_TEXT(s->tally_key), SP_INT(st), SP_INT(n)};
    return rsp_store__exec_stmt(s, RSP_STMT_OP_TALLY_ADD, t, 3, NULL);
}

rsp_err rsp_store_tally_key(rsp_store *s, const char *key)
{
    if (!s || !key)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(key, sizeof s->tally_key));
    snprintf(s->tally_key, sizeof s->tally_key, "%s", key);
    return RSP_OK;
}

rsp_err rsp_store_op_transition(rsp_store *s, int64_t id, const rsp_store_fence *fence,
                                rsp_store_op_state from, rsp_store_op_state to,
                                const rsp_store_op_change *chg)
{
    int64_t n = 0;
    if (!s || !chg)
        return RSP_ERR_INVAL;
    /* To SENT only by a claim (the table allows QUEUED -> SENT for it). */
    if (!rsp_store_op_transition_allowed(from, to) || to == RSP_STORE_OP_SENT)
        return RSP_ERR_STATE;
    /* In flight, only the holder moves the op; queued, nobody holds it. */
    const bool held = from == RSP_STORE_OP_SENT || from == RSP_STORE_OP_AWAITING;
    if (held != (fence != NULL) || (fence && (fence->op_id != id || fence->generation < 0)))
        return RSP_ERR_INVAL;
    const bool retry = to == RSP_STORE_OP_QUEUED;
    const bool terminal = to >= RSP_STORE_OP_DONE;
    const rsp_store_param p[] = {
        SP_INT(id), SP_INT(from), SP_INT(to), SP_INT(retry ? 1 : 0),
        retry ? SP_INT(chg->next_attempt) : (rsp_store_param){RSP_SP_NULL, 0, NULL, NULL, 0},
        SP_INT(to == RSP_STORE_OP_AWAITING ? chg->lease_until : 0),
        terminal && chg->result ? SP_BLOB(chg->result->p, chg->result->len)
                                : (rsp_store_param){RSP_SP_NULL, 0, NULL, NULL, 0},
        SP_INT(chg->now), SP_INT(fence ? fence->generation : -1),
    };
    if (to == RSP_STORE_OP_AWAITING) {
        RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_OP_TRANS, p, 9, &n));
        return n ? RSP_OK : op_why(s, id, fence, RSP_ERR_STATE);
    }
    /* The op leaves its lane's head or flight: the lane moves on in the same transaction, under
     * the lane's lock (PostgreSQL) taken first. */
    const rsp_store_param q[] = {SP_INT(id)};
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__exec_stmt(s, RSP_STMT_LANE_LOCK, q, 1, NULL);
    if (e == RSP_OK)
        e = rsp_store__exec_stmt(s, RSP_STMT_OP_TRANS, p, 9, &n);
    if (e == RSP_OK && n)
        e = rsp_store__exec_stmt(s, held ? RSP_STMT_LANE_RELEASE : RSP_STMT_LANE_ADVANCE, q, 1,
                                 NULL);
    if (e == RSP_OK && n && terminal)
        e = tally(s, to, 1);
    if (e != RSP_OK || !n) {
        rsp_store__rollback(s);
        return e != RSP_OK ? e : op_why(s, id, fence, RSP_ERR_STATE);
    }
    return rsp_store__commit(s);
}

rsp_err rsp_store_op_expire(rsp_store *s, int64_t now, size_t *n)
{
    int64_t c = 0;
    if (!s)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(now)};
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_err e = rsp_store__exec_stmt(s, RSP_STMT_OP_EXPIRE, p, 1, &c);
    if (e == RSP_OK && c)
        e = tally(s, RSP_STORE_OP_EXPIRED, c);
    /* Every sweep also repairs lanes (even with nothing expired): see LANE_HEAL. */
    if (e == RSP_OK)
        e = rsp_store__exec_stmt(s, RSP_STMT_LANE_HEAL, NULL, 0, NULL);
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        return e;
    }
    RSP_STORE_TRY(rsp_store__commit(s));
    if (n)
        *n = (size_t)c;
    return RSP_OK;
}

rsp_err rsp_store_op_expire_each(rsp_store *s, int64_t now, rsp_store_expired_fn fn, void *arg, size_t *n)
{
    /* the few functions of the SM-SR; beyond MAXF in one sweep the last slot counts them as "other" */
    enum { MAXF = 16 };
    struct {
        char f[64];
        size_t n;
    } v[MAXF];
    size_t k = 0;
    int64_t c = 0;
    if (!s)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(now)};
    RSP_STORE_TRY(rsp_store__begin(s));
    /* counted and expired in one transaction: the counts are those of the rows the UPDATE moves */
    rsp_err e = s->ops->run(s, RSP_STMT_OP_EXPIRING, p, 1);
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        int64_t cnt = s->ops->col_int(s, 1);
        if (k == MAXF) {
            snprintf(v[MAXF - 1].f, sizeof v[MAXF - 1].f, "other");
            v[MAXF - 1].n += (size_t)(cnt > 0 ? cnt : 0);
            continue;
        }
        if (rsp_store__col_str(s, 0, v[k].f, sizeof v[k].f) != RSP_OK)
            snprintf(v[k].f, sizeof v[k].f, "other");
        v[k++].n = (size_t)(cnt > 0 ? cnt : 0);
    }
    s->ops->finish(s);
    if (e == RSP_ERR_END)
        e = RSP_OK;
    if (e == RSP_OK)
        e = rsp_store__exec_stmt(s, RSP_STMT_OP_EXPIRE, p, 1, &c);
    if (e == RSP_OK && c)
        e = tally(s, RSP_STORE_OP_EXPIRED, c);
    if (e == RSP_OK)
        e = rsp_store__exec_stmt(s, RSP_STMT_LANE_HEAL, NULL, 0, NULL);
    if (e != RSP_OK) {
        rsp_store__rollback(s);
        return e;
    }
    RSP_STORE_TRY(rsp_store__commit(s));
    for (size_t i = 0; fn && i < k; i++)
        if (v[i].n)
            fn(arg, v[i].f, v[i].n);
    if (n)
        *n = (size_t)c;
    return RSP_OK;
}

rsp_err rsp_store_op_count(rsp_store *s, rsp_store_op_state st, size_t *n)
{
    if (!s || !n)
        return RSP_ERR_INVAL;
    const rsp_store_param p[] = {SP_INT(st)};
    RSP_STORE_TRY(rsp_store__first(s, RSP_STMT_OP_COUNT, p, 1));
    *n = (size_t)s->ops->col_int(s, 0);
    s->ops->finish(s);
    return RSP_OK;
}

static rsp_err add_counts(rsp_store *s, rsp_store_stmt st, size_t out[6])
{
    rsp_err e = s->ops->run(s, st, NULL, 0);
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        int64_t k = s->ops->col_int(s, 0), v = s->ops->col_int(s, 1);
        if (k >= 0 && k <= RSP_STORE_OP_EXPIRED && v > 0)
            out[k] += (size_t)v;
    }
    s->ops->finish(s);
    return e == RSP_ERR_END ? RSP_OK : e;
}

rsp_err rsp_store_op_states(rsp_store *s, size_t out[6])
{
    if (!s || !out)
        return RSP_ERR_INVAL;
    memset(out, 0, 6 * sizeof out[0]);
    RSP_STORE_TRY(add_counts(s, RSP_STMT_OP_LIVE_COUNT, out));
    return add_counts(s, RSP_STMT_OP_TALLY, out);
}
