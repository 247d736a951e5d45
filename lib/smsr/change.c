/* The ONE state table of the SM-SR change, both roles (docs/modules/smsr_change.md), and its durable
 * cursor: the last "smsr.change" audit entry of the card, "step=N;peer=..;by=..;att=..;sub=..;o80=..;
 * o81=..;rc=..;why=..", appended before the step's effect is acted on. Nothing in a cursor is key
 * material (the challenge RC is public: the card sends it in clear). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/log.h"
#include "smsr_change.h"

typedef struct row {
    smsr_chg_step from;
    smsr_chg_event ev;
    smsr_chg_step to;
} row;

/* No row leaves R_KEYS or R_ADDR but forward: once the receiver's keys may be on the card, the sender's
 * are about to go, and giving up then could leave the card with no SM-SR ("never neither"). */
static const row TABLE[] = {
    /* the sender: a card it manages (never changed, or received in an earlier change) */
    {CHG_NONE, CHG_EV_CHANGE, CHG_S_REQUESTED},
    {CHG_R_DONE, CHG_EV_CHANGE, CHG_S_REQUESTED},
    {CHG_S_FAILED, CHG_EV_CHANGE, CHG_S_REQUESTED},
    {CHG_S_REQUESTED, CHG_EV_CHANGE, CHG_S_REQUESTED},
    {CHG_S_REQUESTED, CHG_EV_HANDOVER_OK, CHG_S_DONE},
    {CHG_S_REQUESTED, CHG_EV_HANDOVER_NO, CHG_S_FAILED},
    /* the receiver: a card it does not manage (never had, handed away, or an earlier change failed) */
    {CHG_NONE, CHG_EV_PREPARE, CHG_R_PREPARED},
    {CHG_S_DONE, CHG_EV_PREPARE, CHG_R_PREPARED},
    {CHG_R_FAILED, CHG_EV_PREPARE, CHG_R_PREPARED},
    {CHG_R_PREPARED, CHG_EV_PREPARE, CHG_R_PREPARED},
    {CHG_R_PREPARED, CHG_EV_HANDOVER_IN, CHG_R_HANDED},
    {CHG_R_HANDED, CHG_EV_AUTH_OK, CHG_R_AUTH},
    {CHG_R_AUTH, CHG_EV_KEYSET_SENT, CHG_R_KEYSET},
    {CHG_R_KEYSET, CHG_EV_RECEIPT_OK, CHG_R_KEYS},
    {CHG_R_KEYSET, CHG_EV_RECEIPT_BAD, CHG_R_FAILED},
    {CHG_R_HANDED, CHG_EV_CARD_RETRY, CHG_R_HANDED},
    {CHG_R_AUTH, CHG_EV_CARD_RETRY, CHG_R_HANDED},
    {CHG_R_KEYSET, CHG_EV_CARD_RETRY, CHG_R_HANDED},
    {CHG_R_HANDED, CHG_EV_GIVE_UP, CHG_R_FAILED},
    {CHG_R_AUTH, CHG_EV_GIVE_UP, CHG_R_FAILED},
    {CHG_R_KEYSET, CHG_EV_GIVE_UP, CHG_R_FAILED},
    {CHG_R_KEYS, CHG_EV_ADDR_OK, CHG_R_ADDR},
    {CHG_R_ADDR, CHG_EV_DELETE_OK, CHG_R_DONE},
    {CHG_R_KEYS, CHG_EV_RESEND, CHG_R_KEYS},
    {CHG_R_ADDR, CHG_EV_RESEND, CHG_R_ADDR},
};

rsp_err smsr_chg_next(smsr_chg_step from, smsr_chg_event ev, smsr_chg_step *to)
{
    for (size_t i = 0; i < sizeof(TABLE) / sizeof(TABLE[0]); i++)
        if (TABLE[i].from == from && TABLE[i].ev == ev) {
            *to = TABLE[i].to;
            return RSP_OK;
        }
    return RSP_ERR_STATE;
}

const char *smsr_chg_step_name(smsr_chg_step s)
{
    static const char *const n[CHG__COUNT] = {"none",   "s-requested", "s-done", "s-failed", "r-prepared",
                                              "r-handed", "r-auth",    "r-keyset", "r-keys", "r-addr",
                                              "r-done", "r-failed"};
    return (unsigned)s < CHG__COUNT ? n[s] : "?";
}

char smsr_chg_manager(smsr_chg_step s)
{
    switch (s) {
    case CHG_NONE:
    case CHG_S_REQUESTED:
    case CHG_S_FAILED:
    case CHG_R_DONE:
        return 'S'; /* seen from this side: the card is (still, or now) this SM-SR's */
    case CHG_R_KEYS:
        return 'B';
    case CHG_R_ADDR:
        return 'R';
    default:
        return '-'; /* S_DONE, R_PREPARED .. R_KEYSET, R_FAILED: the other SM-SR's */
    }
}

rsp_err smsr_chg_encode(const smsr_chg *c, char *out, size_t cap)
{
    char rc[33] = "";
    if (c->has_rc)
        rsp_hex_encode_upper(c->rc, 16, rc, sizeof(rc));
    if (strpbrk(c->peer, ";=") || strpbrk(c->by, ";=") || strpbrk(c->fcid, ";="))
        return RSP_ERR_FORMAT; /* identities and FCIDs with the separators are refused, never cut */
    int n = snprintf(out, cap, "step=%d;peer=%s;by=%s;fcid=%s;att=%u;sub=%u;o80=%02X;o81=%02X;rc=%s;why=%s",
                     (int)c->step, c->peer[0] ? c->peer : "-", c->by[0] ? c->by : "-", c->fcid[0] ? c->fcid : "-", c->attempt, c->sub,
                     c->old80, c->old81, rc, c->why);
    return n < 0 || (size_t)n >= cap ? RSP_ERR_LENGTH : RSP_OK;
}

/* Our own writing read back; a damaged entry is refused (the procedure then looks as if it never
 * started, which every table row treats as "not ours to act on"). */
rsp_err smsr_chg_decode(const char *detail, smsr_chg *c)
{
    char eid[33];
    memcpy(eid, c->eid, sizeof(eid));
    memset(c, 0, sizeof(*c));
    memcpy(c->eid, eid, sizeof(eid));
    int step = 0;
    unsigned o80 = 0, o81 = 0;
    char rc[40] = "";
    int used = 0;
    /* fields are never empty but for fcid and rc: "-" stands for an empty identity */
    (void)sscanf(detail, "step=%d;peer=%127[^;];by=%127[^;];fcid=%63[^;];att=%u;sub=%u;o80=%2X;o81=%2X;rc=%39[0-9A-F];why=%n",
                 &step, c->peer, c->by, c->fcid, &c->attempt, &c->sub, &o80, &o81, rc, &used);
    if (!used) { /* no challenge: "rc=;" */
        rc[0] = 0;
        (void)sscanf(detail, "step=%d;peer=%127[^;];by=%127[^;];fcid=%63[^;];att=%u;sub=%u;o80=%2X;o81=%2X;rc=;why=%n",
                     &step, c->peer, c->by, c->fcid, &c->attempt, &c->sub, &o80, &o81, &used);
    }
    char *dash[3] = {c->peer, c->by, c->fcid};
    for (int i = 0; i < 3; i++)
        if (strcmp(dash[i], "-") == 0)
            dash[i][0] = 0;
    if (!used || step <= CHG_NONE || step >= CHG__COUNT)
        return RSP_ERR_FORMAT;
    c->step = (smsr_chg_step)step;
    c->old80 = (uint8_t)o80;
    c->old81 = (uint8_t)o81;
    if (rc[0]) {
        if (strlen(rc) != 32 || rsp_hex_decode_fixed(rc, c->rc, 16, NULL) != RSP_OK)
            return RSP_ERR_FORMAT;
        c->has_rc = true;
    }
    snprintf(c->why, sizeof(c->why), "%s", detail + used);
    return RSP_OK;
}

typedef struct latest {
    smsr_chg *c;
    bool found;
    rsp_err err;
} latest;

static bool take_latest(void *arg, const rsp_store_audit *a)
{
    latest *l = arg;
    if (strcmp(a->event, "smsr.change") != 0)
        return false;
    l->err = smsr_chg_decode(a->detail, l->c);
    l->c->ts = a->ts;
    l->found = true;
    return true;
}

rsp_err smsr_chg_get(rsp_store *st, const char *eid, smsr_chg *c)
{
    memset(c, 0, sizeof(*c));
    if (strlen(eid) >= sizeof(c->eid))
        return RSP_ERR_LENGTH;
    snprintf(c->eid, sizeof(c->eid), "%s", eid);
    latest l = {c, false, RSP_OK};
    rsp_err err = rsp_store_audit_walk_back(st, eid, take_latest, &l);
    if (err == RSP_OK && l.found && l.err != RSP_OK) {
        RSP_LOGE(RSP_SS_SMSR, "SM-SR change cursor unreadable", "eid=%s", eid);
        err = l.err;
    }
    if (err != RSP_OK || !l.found) {
        memset(c, 0, sizeof(*c));
        snprintf(c->eid, sizeof(c->eid), "%s", eid);
    }
    return err;
}

rsp_err smsr_chg_move(rsp_store *st, smsr_chg *c, smsr_chg_event ev, const char *actor, int64_t now)
{
    smsr_chg_step to;
    rsp_err err = smsr_chg_next(c->step, ev, &to);
    if (err != RSP_OK)
        return err;
    smsr_chg n = *c;
    n.step = to;
    rsp_store_audit a;
    memset(&a, 0, sizeof(a));
    a.ts = now;
    snprintf(a.actor, sizeof(a.actor), "%s", actor ? actor : "");
    snprintf(a.eid, sizeof(a.eid), "%s", c->eid);
    snprintf(a.event, sizeof(a.event), "smsr.change");
    if ((err = smsr_chg_encode(&n, a.detail, sizeof(a.detail))) != RSP_OK)
        return err;
    if ((err = rsp_store_audit_append(st, &a, NULL)) != RSP_OK)
        return err;
    RSP_LOGN(RSP_SS_SMSR, "SM-SR change", "eid=%s step=%s->%s peer=%s att=%u%s%s", c->eid, smsr_chg_step_name(c->step),
             smsr_chg_step_name(to), c->peer, n.attempt, n.why[0] ? " why=" : "", n.why);
    n.ts = now;
    *c = n;
    return RSP_OK;
}
