/* The leases of operations this process holds in its cards' admin sessions (ES5 over HTTPS).
 *
 * An operation sent over HTTPS waits for a trigger, its resends and a session: longer than one PoR.
 * Its lease used to cover all of that at once (admin_wait, 90 s), so when the SM-SR died (kill -9)
 * with operations in its sessions (they are in memory only and die with it), nobody could take them
 * over for 90 s, and their cards sat idle that long after the restart (demo --faults: 90 of its
 * ~100 s). Now, while an admin server runs, such an op gets a short lease (smsr_lease_https) that the
 * server renews while a job of that op is still in its session (smsr_lease_renew, from its timer):
 * a live SM-SR keeps its op however long the card takes; a dead one stops renewing and any worker
 * takes the op over within that short lease. Never twice is untouched: a takeover is the store's
 * fenced claim (generation + 1) and the old generation's answer is refused, exactly as after the old
 * 90 s lapse; only the time changes.
 *
 * One op in flight per eUICC (the store's lane), so the table holds about one entry per card with an
 * op in a session (integer compares only: it is walked per hold and per settle); it lives in the
 * engine (no global state), owned by it, freed by rsp_smsr_free. */
#include <stdio.h>
#include <string.h>

#include "rsp/log.h"
#include "smsr_int.h"

/* The heartbeat lease: the PoR wait (the SCP80 path's first back-off), at least 10 s so that a loop
 * slowed down (a loaded machine, a long store commit) renews in time, at most admin_wait. */
int64_t smsr_lease_beat(const rsp_smsr *e)
{
    int64_t a = e->cfg.por_wait < 10 ? 10 : e->cfg.por_wait;
    return e->cfg.admin_wait > 0 && a > e->cfg.admin_wait ? e->cfg.admin_wait : a;
}

int64_t smsr_lease_https(const rsp_smsr *e, uint32_t attempts, int64_t now)
{
    if (e->https)
        return now + smsr_lease_beat(e);
    /* no admin server in this process to renew it: the whole wait at once, as before */
    int64_t w = smsr_por_wait(e, attempts);
    return now + (w < e->cfg.admin_wait ? e->cfg.admin_wait : w);
}

void smsr_lease_hold(rsp_smsr *e, const char *eid, int64_t op_id, int64_t gen, int64_t until)
{
    if (!e->https)
        return;
    smsr_lease *l = NULL;
    for (size_t i = 0; i < e->nleases && !l; i++)
        if (e->leases[i].op_id == op_id)
            l = &e->leases[i]; /* an earlier claim's entry (a stale one of another op goes at the next renewal) */
    if (!l) {
        smsr_lease *v = smsr_grow(e->leases, e->nleases, &e->cap_leases, sizeof(*v));
        if (!v)
            return; /* not renewed: the lease lapses and another claim takes the op over (as before) */
        e->leases = v;
        l = &e->leases[e->nleases++];
    }
    memset(l, 0, sizeof(*l));
    snprintf(l->eid, sizeof(l->eid), "%s", eid);
    l->op_id = op_id;
    l->gen = gen;
    l->until = until;
}

void smsr_lease_drop(rsp_smsr *e, int64_t op_id, int64_t gen)
{
    for (size_t i = 0; i < e->nleases; i++)
        if (e->leases[i].op_id == op_id && (gen == 0 || e->leases[i].gen == gen)) {
            e->leases[i] = e->leases[--e->nleases];
            return;
        }
}

void smsr_lease_renew(rsp_smsr *e, int64_t now, bool (*held)(void *arg, const char *eid, int64_t op_id), void *arg)
{
    int64_t beat = smsr_lease_beat(e);
    /* one durable commit for the tick's renewals: the loop turn's group commit when one is open (the
     * daemon with ES listeners), else a batch of our own (a batch without writes costs nothing) */
    bool own = rsp_store_batch_begin(e->st) == RSP_OK;
    for (size_t i = 0; i < e->nleases;) {
        smsr_lease *l = &e->leases[i];
        if (l->until - now >= beat) { /* held or renewed this very second */
            i++;
            continue;
        }
        rsp_err err = RSP_ERR_NOT_FOUND;
        if (held(arg, l->eid, l->op_id)) {
            rsp_store_fence f = {l->op_id, l->gen};
            if ((err = rsp_store_op_renew(e->st, &f, now, now + beat)) == RSP_OK) {
                l->until = now + beat;
                i++;
                continue;
            }
            if (err != RSP_STORE_FENCED && err != RSP_ERR_NOT_FOUND) {
                /* the store failed (busy, I/O, a lost batch), not the fence: the job is still ours and
                 * in the session, so the entry stays and the next tick tries again (dropping it would
                 * let another worker take the op over and send it a second time) */
                RSP_LOGE(RSP_SS_SMSR, "admin op lease renewal failed: retried next tick", "eid=%s op=%lld err=%s",
                         l->eid, (long long)l->op_id, rsp_err_name(err));
                i++;
                continue;
            }
            /* fenced: taken over (our lease had lapsed) or settled elsewhere; our job's answer is
             * refused by its generation. Either way not ours to keep alive. */
            RSP_LOGN(RSP_SS_SMSR, "admin op lease not renewed", "eid=%s op=%lld gen=%lld err=%s", l->eid,
                     (long long)l->op_id, (long long)l->gen, rsp_err_name(err));
        }
        /* not in a session any more (queue failed, settled): nothing to keep alive */
        *l = e->leases[--e->nleases];
    }
    rsp_err err = own ? rsp_store_batch_commit(e->st) : RSP_OK;
    if (err != RSP_OK) { /* none of them written: due again at the next tick */
        RSP_LOGE(RSP_SS_SMSR, "admin op leases not renewed: commit failed", "err=%s", rsp_err_name(err));
        for (size_t i = 0; i < e->nleases; i++)
            if (e->leases[i].until == now + beat)
                e->leases[i].until = now;
    }
}

int64_t smsr_lease_period(const rsp_smsr *e)
{
    int64_t p = smsr_lease_beat(e) / 3;
    return p < 1 ? 1 : p;
}
