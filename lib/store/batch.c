/* Group commit: the writes of one event-loop turn in one durable commit (docs/modules/store.md,
 * "Group commit"). The Redis AOF pattern: a daemon opens a batch before the turn, every store
 * function called during it runs as a SAVEPOINT of one transaction, and the daemon commits the batch
 * before its loop sleeps and before anything that reveals those writes leaves the process. N
 * operations handled in one turn then cost one fsync instead of several each.
 *
 * Why savepoints rather than flattening: the entity functions keep their "all or nothing" contract
 * (a refused transition, a fenced counter reservation, a duplicate insert undo only their own
 * part), and a PostgreSQL statement error does not abort the turn's other work.
 *
 * The transaction is opened by the first unit of work, not by batch_begin: a turn that only reads
 * (most turns of an idle daemon) takes no writer lock and costs no commit. Once opened, the SQLite
 * writer lock is held until the batch commits: other writers of the database wait for the end of
 * the turn (milliseconds), which is the price of sharing the fsync. */
#include <stdio.h>

#include "rsp/log.h"
#include "store_int.h"

static rsp_err sp_exec(rsp_store *s, const char *verb, unsigned depth)
{
    char sql[64];
    snprintf(sql, sizeof sql, "%s rsp_sp%u", verb, depth);
    return s->ops->exec(s, sql);
}

/* The batch's transaction is gone (the engine rolled it back, or it can no longer commit): every
 * later unit and the batch commit fail with this error, never silently start a new transaction. */
static void lost(rsp_store *s, rsp_err e)
{
    if (s->batch_err == RSP_OK) {
        s->batch_err = e != RSP_OK ? e : RSP_ERR_DB;
        RSP_LOGE(RSP_SS_STORE, "batch transaction lost", "backend=%s err=%s", s->ops->name,
                 rsp_err_name(s->batch_err));
    }
}

/* The batch's transaction, opened by its first unit. */
static rsp_err tx_open(rsp_store *s)
{
    if (s->batch_err != RSP_OK)
        return s->batch_err;
    if (!s->batch_tx) {
        RSP_STORE_TRY(s->ops->begin(s));
        s->batch_tx = true;
        if (s->on_open)
            s->on_open(s->on_open_arg);
    } else if (!s->ops->in_tx(s)) {
        /* never let a statement open a new transaction that would commit on its own */
        lost(s, RSP_ERR_DB);
        return s->batch_err;
    }
    return RSP_OK;
}

rsp_err rsp_store__sp_begin(rsp_store *s)
{
    RSP_STORE_TRY(tx_open(s));
    rsp_err e;
    if (s->rel_pending && s->depth == 0) {
        /* the previous unit's RELEASE goes in the same round trip (see rsp_store__sp_commit) */
        s->rel_pending = false;
        e = s->ops->exec(s, "RELEASE rsp_sp0; SAVEPOINT rsp_sp0");
    } else {
        e = sp_exec(s, "SAVEPOINT", s->depth);
    }
    if (e != RSP_OK) {
        if (!s->ops->in_tx(s))
            lost(s, e);
        return e;
    }
    s->depth++;
    s->bst.units++;
    return RSP_OK;
}

void rsp_store__sp_rollback(rsp_store *s)
{
    s->ops->finish(s);
    if (s->depth == 0)
        return;
    s->depth--;
    if (s->batch_err != RSP_OK)
        return;
    /* ROLLBACK TO keeps the savepoint open: release it too, so the depth stays in step. */
    rsp_err e = sp_exec(s, "ROLLBACK TO", s->depth);
    if (e == RSP_OK)
        e = sp_exec(s, "RELEASE", s->depth);
    if (e != RSP_OK || !s->ops->in_tx(s))
        lost(s, e);
}

rsp_err rsp_store__sp_commit(rsp_store *s)
{
    s->ops->finish(s);
    if (s->batch_err != RSP_OK) {
        if (s->depth)
            s->depth--;
        return s->batch_err;
    }
    if (s->depth == 0)
        return RSP_ERR_INTERNAL;
    /* PostgreSQL: every SAVEPOINT and RELEASE is a round trip. A healthy outer unit's RELEASE
     * (the transaction is not in error: in_tx is a local status check) is sent with the next
     * unit's SAVEPOINT, or not at all when COMMIT comes first (it ends every savepoint): one round
     * trip less per unit of work. The unit is as committed as before, since its work only becomes
     * durable with the batch. SQLite's savepoints cost no round trip: released at once. */
    if (s->ops->id == RSP_STORE_BE_PG && s->depth == 1 && s->ops->in_tx(s)) {
        s->rel_pending = true;
        s->depth--;
        return RSP_OK;
    }
    rsp_err e = sp_exec(s, "RELEASE", s->depth - 1);
    if (e != RSP_OK) {
        rsp_store__sp_rollback(s);
        return e;
    }
    s->depth--;
    return RSP_OK;
}

/* A single-statement write needs no savepoint on SQLite: a statement that fails is undone by
 * SQLite itself (its statement journal) and the transaction goes on, as ROLLBACK TO would leave it;
 * the errors that end the whole transaction (full disk, I/O) are seen by in_tx, as after a
 * savepoint. The SAVEPOINT and RELEASE pair was about 60 us of the SM-SR's CPU per ES4 operation
 * (10 such units each). PostgreSQL keeps the savepoint: a failed statement aborts its transaction.
 * Inside another unit (depth > 0) the savepoint stays too (the unit's nesting rules). */
rsp_err rsp_store__sp_bare_begin(rsp_store *s)
{
    if (s->ops->id != RSP_STORE_BE_SQLITE || s->depth != 0)
        return rsp_store__sp_begin(s);
    RSP_STORE_TRY(tx_open(s));
    s->bare = true;
    s->bst.units++;
    return RSP_OK;
}

rsp_err rsp_store__sp_bare_end(rsp_store *s, rsp_err e)
{
    if (!s->bare) {
        if (e != RSP_OK) {
            rsp_store__sp_rollback(s);
            return e;
        }
        return rsp_store__sp_commit(s);
    }
    s->bare = false;
    s->ops->finish(s);
    if (s->batch_err != RSP_OK)
        return s->batch_err;
    if (!s->ops->in_tx(s)) {
        lost(s, e);
        return s->batch_err;
    }
    return e;
}

rsp_err rsp_store_batch_begin(rsp_store *s)
{
    if (!s)
        return RSP_ERR_INVAL;
    if (s->batch)
        return RSP_ERR_STATE;
    s->batch = true;
    s->batch_tx = false;
    s->depth = 0;
    s->rel_pending = false;
    s->bare = false;
    s->batch_err = RSP_OK;
    return RSP_OK;
}

bool rsp_store_batch_open(const rsp_store *s)
{
    return s && s->batch;
}

static void end(rsp_store *s)
{
    s->batch = false;
    s->batch_tx = false;
    s->depth = 0;
    s->rel_pending = false;
    s->bare = false;
}

void rsp_store_batch_abort(rsp_store *s)
{
    if (!s || !s->batch)
        return;
    if (s->batch_tx)
        s->ops->rollback(s);
    end(s);
}

rsp_err rsp_store_batch_commit(rsp_store *s)
{
    if (!s)
        return RSP_ERR_INVAL;
    if (!s->batch)
        return RSP_ERR_STATE;
    rsp_err e = s->batch_err;
    if (e == RSP_OK && s->depth != 0) {
        /* a unit of work was left open: its caller never learned whether it committed */
        RSP_LOGE(RSP_SS_STORE, "batch committed with a unit open", "depth=%u", s->depth);
        e = RSP_ERR_INTERNAL;
    }
    if (!s->batch_tx) {
        end(s);
        return e;
    }
    if (e == RSP_OK) {
        s->bst.commits++;
        s->bst.batches++;
        if ((e = s->ops->commit(s)) != RSP_OK)
            RSP_LOGE(RSP_SS_STORE, "batch commit failed", "backend=%s err=%s", s->ops->name, rsp_err_name(e));
    }
    if (e != RSP_OK) {
        s->bst.failed++;
        s->ops->rollback(s); /* nothing of the batch is visible */
    }
    end(s);
    return e;
}

void rsp_store_batch_stats_get(const rsp_store *s, rsp_store_batch_stats *out)
{
    if (!out)
        return;
    if (!s) {
        *out = (rsp_store_batch_stats){0};
        return;
    }
    *out = s->bst;
}

void rsp_store_batch_hook(rsp_store *s, rsp_store_batch_fn fn, void *arg)
{
    if (!s)
        return;
    s->on_open = fn;
    s->on_open_arg = arg;
}
