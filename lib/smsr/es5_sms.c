/* ES5 over SMS: claimed operations become SCP80 command packets (counter reserved under the
 * holder's fence before the packet exists), PoRs are matched to their operation through the
 * counter recorded in the store, and every step change goes through the one table (table.c).
 *
 * Key set blob of the ISD-R SCP80 keys in the store: KIc (16) || KID (16), AES. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/log.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/sms.h"
#include "smsr_audit.h"
#include "smsr_dl.h"
#include "smsr_dl_sms.h"
#include "smsr_emergency.h"
#include "smsr_int.h"

void rsp_smsr_packet_clear(rsp_smsr_packet *p)
{
    for (size_t i = 0; i < RSP_SMSR_MAX_PARTS; i++)
        rsp_buf_free(&p->parts[i]);
    rsp_buf_free(&p->script);
    memset(p, 0, sizeof(*p));
}

static void hdr_of(const rsp_smsr *e, uint32_t tar, uint64_t cntr, rsp_scp80_hdr *h)
{
    memset(h, 0, sizeof(*h));
    h->spi[0] = e->cfg.spi[0];
    h->spi[1] = e->cfg.spi[1];
    h->kic = h->kid = (uint8_t)(e->cfg.kvn << 4 | 0x02);
    rsp_put_be24(h->tar, tar);
    for (int i = 4; i >= 0; i--, cntr >>= 8)
        h->cntr[i] = (uint8_t)cntr;
}

/* The MSISDN the card answers on: its enabled profile's. */
static rsp_err msisdn_of(rsp_smsr *e, const char *eid, char out[21])
{
    return rsp_store_profile_enabled_msisdn(e->st, eid, out);
}

rsp_err smsr_packet_build_to(rsp_smsr *e, const char *eid, const rsp_store_fence *fence, uint32_t tar,
                             const uint8_t *data, size_t len, bool por_on_error, int64_t now, rsp_smsr_packet *pkt)
{
    uint8_t key[32];
    rsp_err err = smsr_keys_get(e, eid, key);
    if (err != RSP_OK)
        return err;
    rsp_scp80_keys k = {key, 16, key + 16, 16};
    rsp_buf wire = RSP_BUF_INIT;
    uint64_t cntr = 0;
    size_t n = 0;
    uint8_t *w;
    rsp_scp80_hdr h;
    if ((err = rsp_store_counter_reserve(e->st, fence, eid, e->cfg.kvn, now, &cntr)) != RSP_OK)
        goto out;
    hdr_of(e, tar, cntr, &h);
    if (por_on_error) /* SPI2 b2b1 = 10: PoR on error only (a trigger has nothing to answer) */
        h.spi[1] = (uint8_t)((h.spi[1] & ~0x03u) | 0x02u);
    if ((err = rsp_buf_extend(&wire, len + RSP_SCP80_OVERHEAD, &w)) != RSP_OK ||
        (err = rsp_scp80_cmd_build(&k, &h, data, len, w, wire.len, &n, NULL)) != RSP_OK)
        goto out;
    snprintf(pkt->eid, sizeof(pkt->eid), "%s", eid);
    pkt->counter = cntr;
    if ((err = rsp_sms_split(w, n, 0x70, (uint16_t)(cntr & 0xFF), false, pkt->parts, RSP_SMSR_MAX_PARTS, &pkt->n,
                             NULL)) != RSP_OK)
        goto out;
    err = msisdn_of(e, eid, pkt->msisdn);
out:
    rsp_wipe(key, sizeof(key));
    rsp_buf_free_secret(&wire);
    return err;
}

rsp_err smsr_packet_build_data(rsp_smsr *e, const char *eid, const rsp_store_fence *fence, const uint8_t *data,
                               size_t len, bool por_on_error, int64_t now, rsp_smsr_packet *pkt)
{
    return smsr_packet_build_to(e, eid, fence, e->cfg.tar, data, len, por_on_error, now, pkt);
}

rsp_err smsr_packet_build(rsp_smsr *e, const char *eid, const rsp_store_fence *fence, const rsp_buf *apdu,
                          int64_t now, rsp_smsr_packet *pkt)
{
    rsp_buf script = RSP_BUF_INIT;
    rsp_err err = rsp_smsr_script_one(apdu, &script);
    if (err == RSP_OK)
        err = smsr_packet_build_data(e, eid, fence, script.data, script.len, false, now, pkt);
    rsp_buf_free(&script);
    return err;
}

static rsp_err command_apdu(rsp_smsr_fn fn, const smsr_target *t, rsp_buf *out)
{
    switch (fn) {
    case RSP_SMSR_FN_ENABLE: return rsp_smsr_apdu_enable(t->aid, t->aid_len, out);
    case RSP_SMSR_FN_DISABLE: return rsp_smsr_apdu_disable(t->aid, t->aid_len, out);
    case RSP_SMSR_FN_DELETE: return rsp_smsr_apdu_delete(t->aid, t->aid_len, out);
    case RSP_SMSR_FN_SET_FALLBACK: return rsp_smsr_apdu_set_fallback(t->aid, t->aid_len, out);
    case RSP_SMSR_FN_SET_EMERGENCY: return smsr_apdu_set_emergency(t->aid, t->aid_len, true, out);
    default: return rsp_smsr_apdu_audit(t->aid, t->aid_len, out);
    }
}

int64_t smsr_por_wait(const rsp_smsr *e, uint32_t attempts)
{
    int64_t w = e->cfg.por_wait;
    for (uint32_t i = 0; i < attempts && w < e->cfg.por_wait_max; i++)
        w *= 2;
    return w < e->cfg.por_wait_max ? w : e->cfg.por_wait_max;
}

/* The transport of one command (cfg.es5_transport): HTTPS when asked and the card has a stored SCP81
 * PSK; AUTO only when the SCP80 packet of that script would not fit one SMS (140 bytes with the
 * 3-byte UDH): an SMS is cheaper than a trigger + a TLS session for one short command. */
static bool over_https(rsp_smsr *e, const char *eid, size_t script_len)
{
    /* the card is in (or being called into) an admin session: the command joins it rather than
     * wait for the session to idle out (a card in a session does not take SMS commands meanwhile) */
    if (e->https && smsr_https_open(e->https, eid))
        return true;
    if (e->cfg.es5_transport == RSP_SMSR_ES5_SMS ||
        (e->cfg.es5_transport == RSP_SMSR_ES5_AUTO && script_len + RSP_SCP80_OVERHEAD + 3 <= 140))
        return false;
    uint8_t psk[16];
    bool has = smsr_psk_get(e, eid, e->cfg.psk_kvn, psk) == RSP_OK;
    rsp_wipe(psk, sizeof(psk));
    return has;
}

/* The script of a claimed op for the card's admin session: no counter (TLS protects it), the cursor
 * records counter 0 and the claim's generation, which the answer must match. */
static rsp_err script_build(rsp_smsr *e, const rsp_store_op *op, const rsp_buf *script, rsp_smsr_packet *pkt)
{
    snprintf(pkt->eid, sizeof(pkt->eid), "%s", op->eid);
    pkt->https = true;
    pkt->generation = op->generation;
    (void)e;
    return rsp_buf_set(&pkt->script, script->data, script->len);
}

/* One claimed op: resumes it at its cursor. *sent tells whether pkt was filled. */
static rsp_err resume(rsp_smsr *e, const rsp_store_op *op, int64_t now, rsp_smsr_packet *pkt, bool *sent)
{
    *sent = false;
    rsp_store_fence fence = {op->id, op->generation};
    rsp_smsr_fn fn;
    smsr_target t;
    smsr_dl dl;
    smsr_cursor c;
    rsp_err err = rsp_smsr_fn_parse(op->function, &fn);
    if (err == RSP_OK)
        err = smsr_fn_is_dl(fn) ? smsr_dl_decode(fn, &op->script, &dl) : smsr_target_decode(&op->script, &t);
    if (err != RSP_OK) /* not ours to run (or damaged): fail it rather than block the card's queue */
        return smsr_finish(e, op, &fence, RSP_STORE_OP_SENT, RSP_SMSR_STEP_FAILED, "8.4", "4.2",
                           "unreadable operation", now);
    if ((err = smsr_cursor_get(e, op->eid, op->id, &c)) != RSP_OK)
        return err;
    rsp_smsr_step step = RSP_SMSR_STEP_COMMAND;
    if (c.found && c.step != RSP_SMSR_STEP_COMMAND &&
        (err = rsp_smsr_step_next(fn, c.step, RSP_SMSR_EV_TIMEOUT, &step)) != RSP_OK)
        return err;
    if (step == RSP_SMSR_STEP_WAIT_NOTIF) { /* executed already: wait on, never send it twice */
        rsp_store_op_change chg = {.now = now, .lease_until = now + e->cfg.notif_wait};
        if ((err = smsr_cursor_put(e, op->eid, op->id, step, 0, op->generation, now)) != RSP_OK)
            return err;
        return rsp_store_op_transition(e->st, op->id, &fence, RSP_STORE_OP_SENT, RSP_STORE_OP_AWAITING, &chg);
    }
    if (smsr_fn_is_dl(fn) && dl.scp03t) /* into the admin session by the engine itself (its own answer rule) */
        return smsr_dl_queue_pkt(e, op, &dl, now, pkt, sent);
    rsp_buf apdu = RSP_BUF_INIT, script = RSP_BUF_INIT;
    bool https = false;
    if (smsr_fn_is_dl(fn)) {
        if ((err = smsr_dl_command(fn, &dl, &script)) == RSP_OK && (https = over_https(e, op->eid, script.len)))
            err = script_build(e, op, &script, pkt);
        else if (err == RSP_OK && ((err = smsr_packet_build_data(e, op->eid, &fence, script.data, script.len, false,
                                                                 now, pkt)) == RSP_ERR_NOT_FOUND ||
                                   (err == RSP_OK && !pkt->msisdn[0]))) {
            /* no keys, or no enabled profile: the card cannot be reached by SMS, now or later */
            rsp_buf_free(&script);
            rsp_smsr_packet_clear(pkt);
            smsr_dl_outcome o = {RSP_STORE_OP_SENT, RSP_SMSR_STEP_FAILED, "8.1.1", "5.1",
                                 "the card cannot be reached (no keys or no MSISDN)", {NULL, 0}};
            return smsr_dl_finish(e, fn, op, &dl, &fence, &o, now);
        }
    } else {
        /* AuditEIS asks every ISD-P and the card's resources (GET STATUS 4F00 + GET DATA FF21: audit.c) */
        if (fn == RSP_SMSR_FN_AUDIT)
            err = smsr_audit_script(NULL, 0, &script);
        else if ((err = command_apdu(fn, &t, &apdu)) == RSP_OK)
            err = rsp_smsr_script_one(&apdu, &script);
        if (err == RSP_OK && (https = over_https(e, op->eid, script.len)))
            err = script_build(e, op, &script, pkt);
        else if (err == RSP_OK)
            err = smsr_packet_build_data(e, op->eid, &fence, script.data, script.len, false, now, pkt);
    }
    rsp_buf_free(&apdu);
    rsp_buf_free(&script);
    if (err == RSP_OK)
        err = rsp_smsr_step_next(fn, step, RSP_SMSR_EV_SENT, &step);
    /* the counter is recorded before the packet can leave: a PoR finds its op through it */
    if (err == RSP_OK)
        err = smsr_cursor_put(e, op->eid, op->id, step, pkt->counter, op->generation, now);
    if (err == RSP_OK) {
        /* over HTTPS the wait covers the trigger's resends and the session, not one SMS round trip:
         * a short lease the admin server renews while it holds the op (lease.c) */
        int64_t until = https ? smsr_lease_https(e, op->attempts, now) : now + smsr_por_wait(e, op->attempts);
        rsp_store_op_change chg = {.now = now, .lease_until = until};
        err = rsp_store_op_transition(e->st, op->id, &fence, RSP_STORE_OP_SENT, RSP_STORE_OP_AWAITING, &chg);
        if (err == RSP_OK && https)
            smsr_lease_hold(e, op->eid, op->id, op->generation, until);
    }
    if (err != RSP_OK) {
        rsp_smsr_packet_clear(pkt);
        return err;
    }
    pkt->op_id = op->id;
    *sent = true;
    return RSP_OK;
}

rsp_err rsp_smsr_next(rsp_smsr *e, int64_t now, rsp_smsr_packet *pkt)
{
    if (!e || !pkt)
        return RSP_ERR_INVAL;
    memset(pkt, 0, sizeof(*pkt));
    for (int i = 0; i < 64; i++) { /* ops that only wait on are settled here, then the next */
        rsp_store_op op;
        memset(&op, 0, sizeof(op));
        rsp_err err = rsp_store_op_claim(e->st, e->worker, now, e->cfg.por_wait, &op);
        if (err != RSP_OK)
            return err;
        bool sent = false;
        err = resume(e, &op, now, pkt, &sent);
        rsp_store_op_clear(&op);
        if (err == RSP_STORE_FENCED)
            continue; /* taken over meanwhile: not ours any more */
        if (err != RSP_OK || sent)
            return err;
    }
    return RSP_ERR_END;
}

static bool sw_ok(uint16_t sw)
{
    uint8_t sw1 = (uint8_t)(sw >> 8);
    return sw1 == 0x90 || sw1 == 0x9F || sw1 == 0x61;
}

rsp_err smsr_apply_done(rsp_smsr *e, rsp_smsr_fn fn, const rsp_store_op *op, const smsr_target *t)
{
    if (fn == RSP_SMSR_FN_DELETE) {
        rsp_err err = rsp_store_profile_delete(e->st, t->iccid);
        return err == RSP_ERR_NOT_FOUND ? RSP_OK : err;
    }
    if (fn == RSP_SMSR_FN_SET_FALLBACK)
        return rsp_store_profile_set_fallback(e->st, op->eid, t->iccid);
    if (fn == RSP_SMSR_FN_SET_EMERGENCY) /* the card moved it from any other profile: so does the store */
        return rsp_store_profile_set_emergency(e->st, op->eid, t->iccid, true);
    return RSP_OK;
}


/* The card says our counter is too low (its PoR, MAC checked, matched to the packet in flight): the
 * stored counter went backwards (a store restored from an old backup) or another system used the
 * keys. The card does not tell its own value, so the stored one is doubled (plus 1024) from the
 * refused one: "counter higher" (SPI1 b5b4 = 10, engine.c) accepts a jump, and after k refusals
 * the counter is past 2^k times the old one, so a card ahead by n packets costs about log2(n)
 * resends instead of refusing every packet until the operation expires. Doubling wastes at most half
 * of a 40-bit space no card uses up. A replayed PoR does not match the next packet's counter, so it
 * cannot raise anything twice. */
static rsp_err counter_catch_up(rsp_smsr *e, const char *eid, uint64_t cntr)
{
    uint64_t to = cntr >= (RSP_STORE_COUNTER_MAX - 1024) / 2 ? RSP_STORE_COUNTER_MAX - 1 : cntr * 2 + 1024;
    rsp_err err = rsp_store_counter_raise(e->st, eid, e->cfg.kvn, to);
    RSP_LOGN(RSP_SS_SMSR, "SCP80 counter too low for the card: raised", "eid=%s refused=%llu raised_to=%llu result=%s",
             eid, (unsigned long long)cntr, (unsigned long long)to, rsp_err_name(err));
    return err == RSP_ERR_REPLAY ? RSP_OK : err; /* already higher: another worker raised it */
}

rsp_err rsp_smsr_on_por(rsp_smsr *e, const char *eid, const uint8_t *ud, size_t len, int64_t now,
                        rsp_diag *diag)
{
    if (!e || !eid || !ud || len > 4096)
        return RSP_ERR_INVAL;
    uint8_t key[32];
    rsp_err err = smsr_keys_get(e, eid, key);
    if (err != RSP_OK)
        return err;
    rsp_scp80_keys k = {key, 16, key + 16, 16};
    rsp_scp80_hdr h;
    hdr_of(e, e->cfg.tar, 0, &h);
    uint8_t *work = malloc(len + 3);
    rsp_scp80_por por;
    err = work ? rsp_scp80_por_open(&k, &h, ud, len, work, len + 3, &por, diag) : RSP_ERR_NOMEM;
    rsp_wipe(key, sizeof(key));
    if (err != RSP_OK) /* a forged PoR changes nothing */
        goto out;
    uint64_t cntr = 0;
    for (int i = 0; i < 5; i++)
        cntr = cntr << 8 | por.cntr[i];
    int64_t op_id = 0, gen = 0;
    if ((err = smsr_cursor_find_counter(e, eid, cntr, &op_id, &gen)) != RSP_OK)
        goto out;
    if (por.status != 0)
        RSP_LOGN(RSP_SS_SMSR, "PoR with a security status: sending again", "eid=%s op=%lld status=%s", eid,
                 (long long)op_id, rsp_scp80_status_name(por.status));
    if (por.status == RSP_SCP80_CNTR_LOW && (err = counter_catch_up(e, eid, cntr)) != RSP_OK)
        goto out;
    err = smsr_settle(e, eid, op_id, gen, cntr, por.status != 0 ? RSP_SMSR_EV_POR_SECURITY : RSP_SMSR_EV_POR_OK,
                      por.data, por.data_len, false, now, diag);
out:
    free(work);
    return err;
}

rsp_err rsp_smsr_on_admin(rsp_smsr *e, const char *eid, int64_t op_id, int64_t generation, const uint8_t *body,
                          size_t len, bool lost, int64_t now, rsp_diag *diag)
{
    if (!e || !eid || (!body && len))
        return RSP_ERR_INVAL;
    return smsr_settle(e, eid, op_id, generation, 0, lost ? RSP_SMSR_EV_ADMIN_LOST : RSP_SMSR_EV_POR_OK, body, len,
                       false, now, diag);
}

/* The card's answer to the command of op_id (sent by the claim of generation gen, counter cntr; 0
 * over HTTPS): ev is POR_OK when R-APDUs came (the last SW decides), else the event as it is. */
rsp_err smsr_settle(rsp_smsr *e, const char *eid, int64_t op_id, int64_t gen, uint64_t cntr, rsp_smsr_event ev,
                    const uint8_t *data, size_t data_len, bool raw, int64_t now, rsp_diag *diag)
{
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    if (cntr == 0) /* an admin session's answer (or its loss): that session no longer holds the op */
        smsr_lease_drop(e, op_id, gen);
    rsp_err err = rsp_store_op_get(e->st, op_id, &op);
    if (err != RSP_OK)
        goto out;
    smsr_cursor c;
    if ((err = smsr_cursor_get(e, eid, op_id, &c)) != RSP_OK)
        goto out;
    if (op.state != RSP_STORE_OP_AWAITING || op.generation != gen || c.step != RSP_SMSR_STEP_WAIT_POR ||
        c.counter != cntr || strcmp(op.eid, eid) != 0) {
        err = RSP_ERR_NOT_FOUND; /* late answer of an earlier attempt, or of a settled op */
        goto out;
    }
    rsp_smsr_fn fn;
    smsr_target t;
    smsr_dl dl;
    if ((err = rsp_smsr_fn_parse(op.function, &fn)) != RSP_OK)
        goto out;
    bool is_dl = smsr_fn_is_dl(fn);
    if ((err = is_dl ? smsr_dl_decode(fn, &op.script, &dl) : smsr_target_decode(&op.script, &t)) != RSP_OK)
        goto out;
    uint16_t sw = 0x9000;
    smsr_dl_outcome o = {RSP_STORE_OP_AWAITING, RSP_SMSR_STEP_DONE, NULL, NULL, NULL, {NULL, 0}};
    char dmsg[96];
    if (is_dl) {
        smsr_dl_judge(fn, &op, data, data_len, raw, &ev, &o.resp, dmsg);
        o.msg = dmsg;
    } else if (ev == RSP_SMSR_EV_POR_OK) {
        rsp_rapdu_resp r;
        if (rsp_rapdu_resp_parse(rsp_rapdu_detect(data, data_len), data, data_len, &r, diag) != RSP_OK || r.n == 0)
            sw = 0x6F00;
        else
            sw = r.rsps[r.n - 1].sw;
        /* a DELETE answered 6A88 (referenced data not found): the card has no such ISD-P (a resend
         * whose first packet deleted it, or a CreateISDP that never reached the card): the record
         * follows the card and the deletion is done */
        if (fn == RSP_SMSR_FN_DELETE && sw == 0x6A88)
            RSP_LOGN(RSP_SS_SMSR, "delete: the card has no such ISD-P (6A88): record removed", "eid=%s op=%lld",
                     eid, (long long)op.id);
        else if (!sw_ok(sw))
            ev = (sw == 0x6985 && op.attempts > 0) ? RSP_SMSR_EV_POR_REFUSED_AGAIN : RSP_SMSR_EV_POR_REFUSED;
    }
    rsp_smsr_step next;
    if ((err = rsp_smsr_step_next(fn, RSP_SMSR_STEP_WAIT_POR, ev, &next)) != RSP_OK)
        goto out;
    rsp_store_fence fence = {op.id, op.generation};
    char msg[96];
    if (is_dl && (next == RSP_SMSR_STEP_DONE || next == RSP_SMSR_STEP_FAILED)) {
        o.to = next;
        err = smsr_dl_finish(e, fn, &op, &dl, &fence, &o, now);
        goto out;
    }
    switch (next) {
    case RSP_SMSR_STEP_DONE:
        err = smsr_apply_done(e, fn, &op, &t);
        if (err == RSP_OK && fn == RSP_SMSR_FN_AUDIT) /* the answer shows the card's truth (audit.c) */
            err = smsr_audit_done(e, &op, data, data_len, now);
        if (err == RSP_OK)
            err = smsr_finish(e, &op, &fence, RSP_STORE_OP_AWAITING, next, NULL, NULL, NULL, now);
        break;
    case RSP_SMSR_STEP_FAILED:
        snprintf(msg, sizeof(msg), "refused by the eUICC: SW %04X%s", sw, sw == 0x69E1 ? " (POL1)" : "");
        err = smsr_finish(e, &op, &fence, RSP_STORE_OP_AWAITING, next, "8.4", "4.2", msg, now);
        break;
    case RSP_SMSR_STEP_WAIT_NOTIF:
        if ((err = smsr_cursor_put(e, eid, op.id, next, 0, op.generation, now)) == RSP_OK)
            err = rsp_store_op_renew(e->st, &fence, now, now + e->cfg.notif_wait);
        break;
    default: { /* send again with a fresh counter: back to the queue, due now (a lost admin session:
                * after a PoR wait, not in a loop of triggers) */
        rsp_store_op_change chg = {.now = now, .next_attempt = ev == RSP_SMSR_EV_ADMIN_LOST ? now + e->cfg.por_wait : now};
        if ((err = smsr_cursor_put(e, eid, op.id, next, 0, op.generation, now)) == RSP_OK)
            err = rsp_store_op_transition(e->st, op.id, &fence, RSP_STORE_OP_AWAITING, RSP_STORE_OP_QUEUED, &chg);
        break;
    }
    }
out:
    rsp_store_op_clear(&op);
    return err;
}

rsp_err rsp_smsr_expire(rsp_smsr *e, int64_t now, size_t *n)
{
    return rsp_store_op_expire(e->st, now, n);
}
