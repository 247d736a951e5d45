/* Group commit of the fleet's NVM: every card input of one libevent loop turn (the deliver_sm of every
 * bind read in that turn, a tick run, admin scripts) goes into one SQLite transaction, and nothing the
 * cards answered leaves before that transaction is committed: the deliver_sm_resps are held by the
 * ESMEs (hold_deliver_resp), MO SMS and admin session POSTs are held here. This is the rule of a real
 * card (the answer follows the NVM write) at the cost of one fsync per turn instead of one per command.
 *
 * The group is opened by the first input of a turn and committed by an event made active then, which
 * libevent runs after the callbacks already due in that turn. A failed commit is a power cut for the
 * cards of the group: each is reset (RAM back to what NVM holds, volatile state dropped), its outputs
 * are dropped, its admin session ends, and the held deliver_sm_resps say ESME_RSYSERR, so the senders
 * see the messages undelivered and send them again. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fleet_int.h"
#include "rsp/log.h"

static void commit_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_fleet_group_commit(arg);
}

rsp_err rsp_fleet_group_init(rsp_fleet_host *h)
{
    h->commit_ev = event_new(h->base, -1, 0, commit_cb, h);
    return h->commit_ev ? RSP_OK : RSP_ERR_NOMEM;
}

void rsp_fleet_group_arm(rsp_fleet_host *h)
{
    if (h->commit_ev)
        event_active(h->commit_ev, EV_TIMEOUT, 1);
}

void rsp_fleet_group_join(rsp_fleet_host *h)
{
    if (!h->commit_ev)
        return; /* the daemon is stopping: every card commits on its own */
    if (!h->group && rsp_euicc_fleet_begin(h->fleet) == RSP_OK)
        h->group = true;
    /* Armed even when no group could be opened: held deliver_sm_resps still need their release. */
    event_active(h->commit_ev, EV_TIMEOUT, 1);
}

static rsp_fleet_pending *pend_add(rsp_fleet_host *h, size_t i)
{
    if (h->npend == h->cappend) {
        size_t cap = h->cappend ? 2 * h->cappend : 64;
        rsp_fleet_pending *v = realloc(h->pend, cap * sizeof(*v));
        if (!v)
            return NULL;
        h->pend = v;
        h->cappend = cap;
    }
    rsp_fleet_pending *p = &h->pend[h->npend++];
    memset(p, 0, sizeof(*p));
    p->i = i;
    return p;
}

void rsp_fleet_host_carry_out(rsp_fleet_host *h, size_t i, rsp_euicc_out *out)
{
    /* Whatever happened may have queued notifications: ask the card again soon (a tick sets its own
     * answer after this). */
    rsp_fleet_ask_soon(h, i);
    rsp_fleet_pending *p = h->group ? pend_add(h, i) : NULL;
    if (!p) {
        /* No group (or no memory to hold it): the card committed on its own, carry out now. Out of
         * memory inside a group: commit the group first, so the answer still follows the write. */
        if (h->group)
            rsp_fleet_group_commit(h);
        rsp_fleet_carry_out_now(h, i, out);
        return;
    }
    p->out = *out;
    memset(out, 0, sizeof(*out)); /* moved: the pending entry owns the buffers (and the PSK) now */
}

void rsp_fleet_group_admin_post(rsp_fleet_host *h, size_t i)
{
    rsp_fleet_pending *p = h->group ? pend_add(h, i) : NULL;
    if (p) {
        p->admin_post = true;
        return;
    }
    if (h->group)
        rsp_fleet_group_commit(h); /* out of memory: commit now, then post */
    if (h->cards[i].admin)
        rsp_fleet_admin_flush(h->cards[i].admin, true);
}

static void release_binds(rsp_fleet_host *h, uint32_t fail_status)
{
    for (size_t b = 0; b < h->nbinds; b++)
        rsp_smpp_esme_release(h->esme[b], fail_status);
    for (size_t b = 0; b < h->nextra; b++)
        rsp_smpp_esme_release(h->extra[b], fail_status);
}

static void commit_round(rsp_fleet_host *h)
{
    bool ok = true;
    if (h->group) {
        h->group = false;
        ok = rsp_euicc_fleet_commit(h->fleet) == RSP_OK;
        if (ok) {
            h->st.nvm_groups++;
        } else {
            h->st.nvm_group_failed++;
            RSP_LOGE(RSP_SS_EUICC, "NVM group commit failed: its cards are reset, nothing answered", "cards=%zu",
                     h->npend);
        }
    }
    release_binds(h, ok ? 0 : RSP_SMPP_RSYSERR);
    /* Entries may be added while this runs (a flushed POST that fails at once ends its session, which
     * asks the card in a new group): only the first n are this round's. */
    size_t n = h->npend;
    rsp_fleet_pending *v = h->pend;
    h->pend = NULL;
    h->npend = h->cappend = 0;
    int64_t now = rsp_fleet_now_ms();
    for (size_t k = 0; k < n; k++) {
        rsp_fleet_pending *p = &v[k];
        if (ok) {
            h->st.nvm_grouped++;
            if (p->admin_post) {
                if (h->cards[p->i].admin)
                    rsp_fleet_admin_flush(h->cards[p->i].admin, true);
            } else {
                rsp_fleet_carry_out_now(h, p->i, &p->out);
            }
            continue;
        }
        rsp_euicc_out_clear(&p->out);
        if (h->cards[p->i].admin)
            rsp_fleet_admin_abort(h->cards[p->i].admin, false); /* the reset below rolls the card back */
        rsp_euicc_reset(rsp_euicc_fleet_at(h->fleet, p->i), now);
        h->cards[p->i].next_due = 1;
    }
    free(v);
}

void rsp_fleet_group_commit(rsp_fleet_host *h)
{
    /* Until nothing is open: a caller (a control command, the daemon stopping) relies on no group
     * being open afterwards. Each further round exists only if the previous one's outputs asked a card
     * again, which they do at most once per admin session. */
    do
        commit_round(h);
    while (h->group || h->npend);
}
