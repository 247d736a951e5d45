/* Card notifications (E1) arriving as MO SCP80 command packets: the EIS follows the card (which
 * profile is enabled), the switch operation waiting for it completes through the table, POL2
 * "disable → auto-delete" queues a deletion, and the card gets its 3A08 confirmation, also for a
 * duplicate (the card resends until confirmed; dropping duplicates silently is njiwa's bug). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rsp/scp80.h"
#include "smsr_int.h"
#include "smsr_outbox.h"

/* Has this sequence number been handled for eid? (an "smsr.notif" audit entry names it; one probe
 * of the store's audit_notif index: reading the card's whole trail was 14% of the SM-SR's CPU) */
static rsp_err seen_before(rsp_smsr *e, const char *eid, uint16_t seq, bool *seen)
{
    char want[32];
    snprintf(want, sizeof(want), "seq=%u ", (unsigned)seq);
    return rsp_store_audit_notif_seen(e->st, eid, want, seen);
}

/* The enabled profile is now the one of aid: the EIS follows, the ones disabled are returned in
 * auto_del when their POL2 asks for deletion on disable. Each change is first recorded as the ONC
 * notification its Operator wants (onc.c; keyed by seq, so a redo after a crash adds nothing). */
static rsp_err follow_card(rsp_smsr *e, const char *eid, const rsp_smsr_notif *nt, char auto_del[][21],
                           size_t *n_del, int64_t now)
{
    char tag[16];
    snprintf(tag, sizeof(tag), "seq%u", (unsigned)nt->seq);
    char aid[33];
    *n_del = 0;
    if (nt->aid_len == 0)
        return RSP_OK;
    rsp_hex_encode_upper(nt->aid, nt->aid_len, aid, sizeof(aid));
    rsp_store_profile *all = NULL;
    size_t n = 0;
    const char *enable = NULL; /* the target's ICCID, NULL when the store does not know it */
    bool change = false;
    rsp_err err = rsp_store_profile_list(e->st, eid, &all, &n);
    for (size_t i = 0; err == RSP_OK && i < n; i++) {
        bool target = strcmp(all[i].isdp_aid, aid) == 0;
        if (target)
            enable = all[i].iccid;
        if (target && all[i].state != RSP_STORE_PROFILE_ENABLED) {
            err = smsr_onc_event(e, &all[i], RSP_STORE_NOTIF_ENABLED, tag, 0, now);
            change = true;
        } else if (!target && all[i].state == RSP_STORE_PROFILE_ENABLED) {
            err = smsr_onc_event(e, &all[i], RSP_STORE_NOTIF_DISABLED, tag, 0, now);
            change = true;
            if (err == RSP_OK && (all[i].pol2 & RSP_STORE_POL2_DISABLE_AUTO_DELETE) && *n_del < 4)
                snprintf(auto_del[(*n_del)++], 21, "%s", all[i].iccid);
        }
    }
    /* the disables, then the enable, in one transaction of the store (its one-enabled index
     * refuses any other order); a target the store does not know only disables the others */
    if (err == RSP_OK && change)
        err = rsp_store_profile_switch(e->st, eid, enable);
    free(all);
    return err;
}

/* The switch operation in flight for eid, if the notification settles it. */
static rsp_err settle_op(rsp_smsr *e, const char *eid, const rsp_smsr_notif *nt, int64_t now)
{
    int64_t op_id = 0;
    smsr_cursor c;
    rsp_err err = smsr_cursor_latest_op(e, eid, &op_id, &c);
    if (err == RSP_ERR_NOT_FOUND)
        return RSP_OK;
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    if (err == RSP_OK)
        err = rsp_store_op_get(e->st, op_id, &op);
    rsp_smsr_fn fn;
    if (err != RSP_OK || op.state != RSP_STORE_OP_AWAITING || rsp_smsr_fn_parse(op.function, &fn) != RSP_OK ||
        (fn != RSP_SMSR_FN_ENABLE && fn != RSP_SMSR_FN_DISABLE))
        goto out; /* live (AWAITING): c, the entry that named it, is its cursor */
    rsp_smsr_event ev = nt->type == RSP_SMSR_NOTIF_ROLLBACK ? RSP_SMSR_EV_NOTIF_ROLLBACK : RSP_SMSR_EV_NOTIF_DONE;
    rsp_smsr_step next;
    if (rsp_smsr_step_next(fn, c.step, ev, &next) != RSP_OK)
        goto out;
    /* whoever receives the notification records the outcome, with the generation it read: a
     * takeover in between makes this write fenced, and the new holder settles it instead */
    rsp_store_fence fence = {op.id, op.generation};
    if (next == RSP_SMSR_STEP_DONE)
        err = smsr_finish(e, &op, &fence, RSP_STORE_OP_AWAITING, next, NULL, NULL, NULL, now);
    else
        err = smsr_finish(e, &op, &fence, RSP_STORE_OP_AWAITING, next, "8.4", "4.2",
                          "the eUICC rolled the switch back (no network on the new profile)", now);
    if (err == RSP_STORE_FENCED || err == RSP_ERR_STATE)
        err = RSP_OK;
out:
    rsp_store_op_clear(&op);
    return err;
}

rsp_err smsr_notif_handle(rsp_smsr *e, const char *eid, const uint8_t *e1, size_t len, int64_t now, uint16_t *seq,
                          rsp_diag *diag)
{
    rsp_smsr_notif nt;
    rsp_err err = rsp_smsr_notif_parse(e1, len, &nt, diag);
    if (err == RSP_OK && strcasecmp(nt.eid, eid) != 0)
        err = rsp_diag_set(diag, RSP_ERR_DENIED, "notification names another eUICC");
    bool dup = false;
    if (err == RSP_OK)
        err = seen_before(e, eid, nt.seq, &dup);
    if (err == RSP_OK && !dup && nt.type != RSP_SMSR_NOTIF_FIRST_ATTACH) {
        char del[4][21];
        size_t n_del = 0;
        if ((err = follow_card(e, eid, &nt, del, &n_del, now)) == RSP_OK)
            err = settle_op(e, eid, &nt, now);
        for (size_t i = 0; err == RSP_OK && i < n_del; i++) {
            char fcid[128];
            snprintf(fcid, sizeof(fcid), "pol2-auto-delete:%.20s:%u", del[i], (unsigned)nt.seq);
            rsp_smsr_request q = {RSP_SMSR_FN_DELETE, RSP_SMSR_ROLE_SELF, e->worker, fcid, eid, del[i], now, 86400};
            rsp_smsr_result r;
            err = rsp_smsr_submit(e, &q, &r);
            if (err == RSP_OK && r.op_id && !r.status[0]) /* ONC: the Operator hears of it once done */
                err = smsr_onc_delete_queued(e, del[i], r.op_id, now);
        }
    }
    if (err == RSP_OK && !dup) { /* recorded last: a crash above sees it again and redoes it */
        char d[64];
        snprintf(d, sizeof(d), "seq=%u type=%02X", (unsigned)nt.seq, nt.type);
        err = smsr_audit(e, eid, NULL, 0, "smsr.notif", d, now);
    }
    if (err == RSP_OK)
        *seq = nt.seq;
    return err;
}

rsp_err rsp_smsr_on_mo(rsp_smsr *e, const char *eid, const uint8_t *pkt, size_t len, int64_t now,
                       rsp_smsr_packet *confirm, rsp_diag *diag)
{
    if (!e || !eid || !pkt || !confirm || len > 4096)
        return RSP_ERR_INVAL;
    memset(confirm, 0, sizeof(*confirm));
    uint8_t key[32];
    rsp_err err = smsr_keys_get(e, eid, key);
    if (err != RSP_OK)
        return err;
    rsp_scp80_keys k = {key, 16, key + 16, 16};
    uint8_t *work = malloc(len);
    rsp_scp80_cmd cmd;
    err = work ? rsp_scp80_cmd_open(&k, pkt, len, work, len, &cmd, diag) : RSP_ERR_NOMEM;
    rsp_wipe(key, sizeof(key));
    uint16_t seq = 0;
    if (err == RSP_OK)
        err = smsr_notif_handle(e, eid, cmd.data, cmd.data_len, now, &seq, diag);
    rsp_buf apdu = RSP_BUF_INIT;
    if (err == RSP_OK && (err = rsp_smsr_apdu_confirm(seq, &apdu)) == RSP_OK)
        err = smsr_packet_build(e, eid, NULL, &apdu, now, confirm);
    rsp_buf_free(&apdu);
    free(work);
    return err;
}
