/* Notifications from the card (SGP02.md "The E1 notification"): queued durably with a sequence number
 * by the command or event that causes them, sent at the next tick as a mobile-originated SCP80 command
 * packet (ISD-R keys, TAR 000001) by SMS to the SM-SR, or handed to an open admin session, and resent
 * with back-off until a STORE DATA 3A08 confirms them.
 *
 * The resend schedule (attempts, next time) is soft state: it is written with the next commit, and a
 * crash only makes the card resend sooner. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "euicc_int.h"
#include "rsp/scp80.h"
#include "rsp/tlv.h"

/* First resend 30 s after the first send, doubling, at most one hour apart. */
#define EU_RESEND_BASE_MS 30000
#define EU_RESEND_MAX_MS 3600000

rsp_err eu_notif_queue(rsp_euicc *c, uint8_t type, uint32_t tar, uint32_t from, int64_t now)
{
    eu_state *st = c->st;
    if (st->nn == EU_MAX_NOTIF) /* the oldest gives way: the SM-SR audits the card when it misses one */
        memmove(&st->n[0], &st->n[1], (EU_MAX_NOTIF - 1) * sizeof(st->n[0])), st->nn--;
    st->notif_seq = (uint16_t)(st->notif_seq == 0xFFFF ? 1 : st->notif_seq + 1);
    st->n[st->nn++] = (eu_notif){.seq = st->notif_seq, .type = type, .tar = tar, .from = from, .attempts = 0,
                                 .due = now > 0 ? now : 1};
    return RSP_OK;
}

void eu_notif_recompute_due(rsp_euicc *c)
{
    int64_t due = 0;
    for (unsigned i = 0; c->st && i < c->st->nn; i++)
        if (!due || c->st->n[i].due < due)
            due = c->st->n[i].due;
    if (c->st)
        c->due = due;
}

rsp_err eu_notif_build_e1(const rsp_euicc *c, const eu_notif *n, rsp_buf *out)
{
    uint8_t eid[16], aid[16], seq[2];
    rsp_err e = rsp_eid_to_bytes(c->eid, eid);
    if (e)
        return e;
    eu_isdp_aid(n->tar, aid);
    rsp_put_be16(seq, n->seq);
    size_t mark;
    e = rsp_tlv_begin(out, 0xE1, &mark);
    e = e ? e : rsp_tlv_put(out, 0x4C, eid, 16);
    e = e ? e : rsp_tlv_put_u8(out, 0x4D, n->type);
    e = e ? e : rsp_tlv_put(out, 0x4E, seq, 2);
    e = e ? e : rsp_tlv_put(out, 0x4F, aid, 16);
    return e ? e : rsp_tlv_end(out, mark);
}

rsp_err eu_out_sms(rsp_euicc_out *out, const char *to, const uint8_t *tpdu, size_t len)
{
    rsp_euicc_mo_sms *ns = realloc(out->sms, (out->n_sms + 1) * sizeof(*ns));
    if (!ns)
        return RSP_ERR_NOMEM;
    out->sms = ns;
    rsp_euicc_mo_sms *m = &out->sms[out->n_sms];
    memset(m, 0, sizeof(*m));
    snprintf(m->to, sizeof(m->to), "%s", to);
    rsp_err e = rsp_buf_set(&m->tpdu, tpdu, len);
    if (e)
        return e;
    out->n_sms++;
    return RSP_OK;
}

/* Splits a secured packet (command 70 or PoR 71) into SMS-SUBMIT TPDUs to `to`. */
rsp_err eu_sms_submit(rsp_euicc *c, const char *to, const uint8_t *pkt, size_t len, uint8_t iei,
                      rsp_euicc_out *out)
{
    rsp_buf parts[16];
    for (size_t i = 0; i < 16; i++)
        rsp_buf_init(&parts[i]);
    size_t n = 0;
    uint8_t ref = (uint8_t)(c->st ? c->st->mo_cntr[4] : 0);
    rsp_err e = rsp_sms_split(pkt, len, iei, ref, false, parts, 16, &n, NULL);
    for (size_t i = 0; !e && i < n; i++) {
        rsp_sms_tpdu t;
        memset(&t, 0, sizeof(t));
        t.type = RSP_SMS_SUBMIT;
        e = rsp_sms_addr_set(&t.addr, 0x91, to);
        t.ud = parts[i].data;
        t.ud_len = parts[i].len;
        rsp_buf tp = RSP_BUF_INIT;
        e = e ? e : rsp_sms_tpdu_build(&t, &tp);
        e = e ? e : eu_out_sms(out, to, tp.data, tp.len);
        rsp_buf_free(&tp);
    }
    for (size_t i = 0; i < 16; i++)
        rsp_buf_free(&parts[i]);
    return e;
}

/* The card's own counter for MO packets: strictly increasing across crashes without a commit per
 * packet, because it never falls below the clock (ms / 4 fits the 5-byte counter for 140 years). */
static void next_mo_counter(eu_state *st, int64_t now)
{
    uint64_t v = 0;
    for (int i = 0; i < 5; i++)
        v = v << 8 | st->mo_cntr[i];
    uint64_t clock = now > 0 ? (uint64_t)now / 4 : 0;
    v = v + 1 > clock ? v + 1 : clock;
    for (int i = 4; i >= 0; i--, v >>= 8)
        st->mo_cntr[i] = (uint8_t)v;
}

rsp_err eu_mo_send(rsp_euicc *c, const uint8_t *data, size_t len, int64_t now, rsp_euicc_out *out)
{
    eu_state *st = c->st;
    if (!st->n80 || !st->smsr_msisdn[0])
        return RSP_ERR_STATE;
    const eu_scp80 *ks = &st->s80[0];
    next_mo_counter(st, now);
    /* SPI 16 00: CC, ciphered, counter higher; no PoR asked of the SM-SR. */
    rsp_scp80_hdr h = {.spi = {0x16, 0x00}, .kic = (uint8_t)(ks->kvn << 4 | 0x02), .kid = (uint8_t)(ks->kvn << 4 | 0x02),
                       .tar = {0x00, 0x00, 0x01}};
    memcpy(h.cntr, st->mo_cntr, 5);
    rsp_scp80_keys k = {ks->kic, 16, ks->kid, 16};
    uint8_t pkt[512];
    size_t n = 0;
    if (len + RSP_SCP80_OVERHEAD > sizeof(pkt))
        return RSP_ERR_LENGTH;
    rsp_err e = rsp_scp80_cmd_build(&k, &h, data, len, pkt, sizeof(pkt), &n, NULL);
    e = e ? e : eu_sms_submit(c, st->smsr_msisdn, pkt, n, RSP_SMS_IEI_CMD_PKT, out);
    rsp_wipe(pkt, sizeof(pkt));
    return e;
}

rsp_err rsp_euicc_tick(rsp_euicc *c, int64_t now, rsp_euicc_out *out, int64_t *next)
{
    if (!c || !out)
        return RSP_ERR_INVAL;
    if (next)
        *next = c->due;
    if (c->vol) { /* incomplete concatenated SMS time out here too */
        rsp_sms_reasm_expire(&c->vol->reasm, (uint64_t)(now > 0 ? now : 0));
        eu_vol_release_idle(c);
    }
    if (c->due == 0 || c->due > now)
        return RSP_OK; /* nothing due: the card's state is not even loaded */
    rsp_err e = eu_card_load(c);
    if (e)
        return e;
    eu_state *st = c->st;
    bool session = c->vol && c->vol->admin_open;
    for (unsigned i = 0; !e && i < st->nn; i++) {
        eu_notif *n = &st->n[i];
        if (n->due > now)
            continue;
        rsp_buf e1 = RSP_BUF_INIT;
        e = eu_notif_build_e1(c, n, &e1);
        if (!e && session && !out->notif_msg.len)
            e = rsp_buf_set(&out->notif_msg, e1.data, e1.len);
        else if (!e)
            e = eu_mo_send(c, e1.data, e1.len, now, out);
        rsp_buf_free(&e1);
        if (e == RSP_ERR_STATE)
            e = RSP_OK; /* no SM-SR address or keys: keep it queued */
        n->attempts++;
        int64_t delay = EU_RESEND_BASE_MS;
        for (unsigned a = 1; a < n->attempts && delay < EU_RESEND_MAX_MS; a++)
            delay *= 2;
        n->due = now + (delay < EU_RESEND_MAX_MS ? delay : EU_RESEND_MAX_MS);
    }
    eu_notif_recompute_due(c);
    if (next)
        *next = c->due;
    return e;
}

void rsp_euicc_out_clear(rsp_euicc_out *out)
{
    if (!out)
        return;
    for (size_t i = 0; i < out->n_sms; i++)
        rsp_buf_free(&out->sms[i].tpdu);
    free(out->sms);
    rsp_buf_free(&out->notif_msg);
    rsp_wipe(out, sizeof(*out));
}
