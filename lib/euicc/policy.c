/* Profile policy on the card: exactly one profile enabled, one fall-back profile, POL1, the emergency
 * and test attributes, fall-back on loss of network and roll-back of a switch the new profile could not
 * attach with. Every rule answers a status word and changes the state only when it answers 9000, so a
 * refused command leaves the card as it was. The table of rules is in docs/modules/euicc.md.
 *
 * Switches and their notifications:
 *   remote enable (3A03)              -> 02, roll-back armed (switch_from)
 *   remote disable (3A04)             -> fall-back profile enabled, 05, roll-back armed
 *   network lost, roll-back armed     -> previous profile re-enabled, 03 replaces the pending one
 *   network lost otherwise            -> fall-back profile enabled, 05
 *   local (ESx) emergency/test enable -> 02; local disable returns to the profile enabled before */
#include <string.h>

#include "euicc_int.h"

static eu_profile *fallback_profile(eu_state *st)
{
    for (unsigned i = 0; i < st->np; i++)
        if (st->p[i].flags & EU_PF_FALLBACK)
            return &st->p[i];
    return NULL;
}

static void drop_notif(eu_state *st, uint16_t seq)
{
    for (unsigned i = 0; i < st->nn; i++) {
        if (st->n[i].seq == seq) {
            memmove(&st->n[i], &st->n[i + 1], (st->nn - i - 1u) * sizeof(st->n[0]));
            st->nn--;
            return;
        }
    }
}

/* Switches from `from` (may be NULL) to `to` and queues the notification. */
static uint16_t do_switch(eu_ctx *x, eu_profile *from, eu_profile *to, uint8_t type, bool arm_rollback)
{
    eu_state *st = x->c->st;
    uint32_t from_tar = from ? from->tar : 0, to_tar = to->tar;
    if (from)
        from->lcs = EU_LCS_DISABLED;
    to->lcs = EU_LCS_ENABLED;
    if (eu_notif_queue(x->c, type, to_tar, from_tar, x->now) != RSP_OK)
        return SW_MEMORY_FAILURE;
    st->switch_from = arm_rollback ? from_tar : 0;
    st->switch_seq = arm_rollback ? st->notif_seq : 0;
    return SW_OK;
}

uint16_t eu_pol_enable(eu_ctx *x, eu_profile *p)
{
    eu_state *st = x->c->st;
    eu_profile *cur = eu_profile_enabled(st);
    bool special = p->flags & (EU_PF_EMERGENCY | EU_PF_TEST);
    if (x->local && !special)
        return SW_SECURITY;             /* the device may only switch to an emergency or test profile */
    if (p->lcs != EU_LCS_DISABLED)
        return SW_COND;                 /* already enabled, or only created */
    if (cur && (cur->flags & EU_PF_EMERGENCY) && !x->local)
        return SW_COND;                 /* an emergency profile in use is left alone remotely */
    if (cur && (cur->pol1 & EU_POL1_NO_DISABLE) && !(x->local && special))
        return SW_POL1;
    uint32_t prev = cur ? cur->tar : 0;
    uint16_t sw = do_switch(x, cur, p, EU_NOTIF_SWITCH_OK, !x->local);
    if (sw == SW_OK && x->local)
        st->local_prev = prev;
    return sw;
}

uint16_t eu_pol_disable(eu_ctx *x, eu_profile *p)
{
    eu_state *st = x->c->st;
    if (p->lcs != EU_LCS_ENABLED)
        return SW_COND;
    if (x->local) {
        if (!(p->flags & (EU_PF_EMERGENCY | EU_PF_TEST)))
            return SW_SECURITY;
        eu_profile *back = st->local_prev ? eu_profile_by_tar(st, st->local_prev) : NULL;
        if (!back || back->lcs != EU_LCS_DISABLED)
            back = fallback_profile(st);
        if (!back || back == p)
            return SW_COND;
        uint16_t sw = do_switch(x, p, back, EU_NOTIF_SWITCH_OK, false);
        if (sw == SW_OK)
            st->local_prev = 0;
        return sw;
    }
    if (p->flags & EU_PF_FALLBACK)
        return SW_COND;
    if (p->pol1 & EU_POL1_NO_DISABLE)
        return SW_POL1;
    eu_profile *fb = fallback_profile(st);
    if (!fb || fb->lcs != EU_LCS_DISABLED)
        return SW_COND;                 /* exactly one profile must stay enabled */
    return do_switch(x, p, fb, EU_NOTIF_FALLBACK, true);
}

uint16_t eu_pol_fallback_attr(eu_ctx *x, eu_profile *p)
{
    if (x->local)
        return SW_SECURITY;
    if (p->lcs == EU_LCS_CREATED || (p->flags & EU_PF_EMERGENCY))
        return SW_COND;                 /* not installed; the emergency profile is never the fall-back */
    eu_state *st = x->c->st;
    for (unsigned i = 0; i < st->np; i++)
        st->p[i].flags &= (uint8_t)~EU_PF_FALLBACK;
    p->flags |= EU_PF_FALLBACK;
    return SW_OK;
}

uint16_t eu_pol_delete(eu_ctx *x, eu_profile *p, bool master)
{
    if (x->local)
        return SW_SECURITY;
    if (p->lcs == EU_LCS_ENABLED || (p->flags & EU_PF_FALLBACK))
        return SW_COND;
    if (!master && (p->pol1 & EU_POL1_NO_DELETE))
        return SW_POL1;
    eu_state *st = x->c->st;
    if (st->local_prev == p->tar)
        st->local_prev = 0;
    if (st->switch_from == p->tar)
        st->switch_from = 0;
    eu_profile_remove(st, p->tar);
    return SW_OK;
}

rsp_err rsp_euicc_net_down(rsp_euicc *c, int64_t now, rsp_euicc_out *out)
{
    (void)out; /* notifications leave at the next tick */
    if (!c)
        return RSP_ERR_INVAL;
    rsp_err e = eu_card_load(c);
    if (e)
        return e;
    eu_state *st = c->st;
    eu_ctx x = {.c = c, .now = now, .local = false};
    eu_profile *cur = eu_profile_enabled(st);
    if (!cur)
        return RSP_ERR_STATE;
    eu_profile *prev = st->switch_from ? eu_profile_by_tar(st, st->switch_from) : NULL;
    bool pending = false;
    for (unsigned i = 0; i < st->nn; i++)
        pending |= st->n[i].seq == st->switch_seq;
    if (prev && pending && prev->lcs == EU_LCS_DISABLED) {
        /* The profile just switched to cannot attach: back to the one before, notification 03. */
        drop_notif(st, st->switch_seq);
        if (do_switch(&x, cur, prev, EU_NOTIF_ROLLBACK, false) != SW_OK) {
            eu_card_reload(c);
            return RSP_ERR_NOMEM;
        }
        return eu_commit(c);
    }
    if ((cur->flags & (EU_PF_FALLBACK | EU_PF_EMERGENCY | EU_PF_TEST)))
        return RSP_ERR_STATE; /* no fall-back from the fall-back, emergency or test profile */
    eu_profile *fb = fallback_profile(st);
    if (!fb || fb->lcs != EU_LCS_DISABLED)
        return RSP_ERR_STATE;
    /* Fall-back ignores POL1 "disable not allowed": connectivity comes first. */
    if (do_switch(&x, cur, fb, EU_NOTIF_FALLBACK, false) != SW_OK) {
        eu_card_reload(c);
        return RSP_ERR_NOMEM;
    }
    return eu_commit(c);
}
