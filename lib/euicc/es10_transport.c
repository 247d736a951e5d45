/* The card side of the ES10 transport (es10.h; SGP22.md §"ES10 transport"). One state table:
 *
 * | C-APDU (INS)              | needs                         | effect / answer                                    |
 * | MANAGE CHANNEL open (70)  | CLA 0x, channel open          | lowest free channel 1..3 (P2 00) or P2's: <ch> 9000 |
 * | MANAGE CHANNEL close (70) | P2 = an open channel 1..3     | channel state dropped; 9000                        |
 * | SELECT by name (A4 04)    | the ISD-R AID                 | selected on this channel; FCI (P2 00) or none (0C) |
 * |                           | another AID                   | nothing selected; 6A82                             |
 * | TERMINAL CAPABILITY (AA)  | CLA 8x, data A9{...}          | noted; 9000                                        |
 * | STORE DATA (E2)           | CLA 8x, ISD-R selected        | P1 11: block kept, 9000; P1 91: the chain is one   |
 * |                           | P2 = 00 or the next block     | ES10 command for the handler; its answer           |
 * | GET RESPONSE (C0)         | an answer pending             | up to Le bytes; 61xx while more remain, else 9000  |
 *
 * An answer longer than Le, or to a command without Le, waits: 61xx (xx = what remains, 00 for 256 or
 * more) and GET RESPONSE. Any other command on the channel drops it. Status words: 6881 channel not
 * open or not supported, 6882 secure messaging, 6985 wrong state, 6A80 bad data, 6A82 not found,
 * 6A84 command too long, 6A86 bad P1/P2, 6700 bad length, 6D00 INS, 6E00 CLA. */
#include <string.h>

#include "rsp/apdu.h"
#include "rsp/es10.h"
#include "rsp/tlv.h"

const uint8_t rsp_es10_isdr_aid[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};

enum {
    SW_OK = 0x9000,
    SW_LEN = 0x6700,
    SW_CHANNEL = 0x6881,
    SW_SM = 0x6882,
    SW_STATE = 0x6985,
    SW_DATA = 0x6A80,
    SW_NOT_FOUND = 0x6A82,
    SW_NO_MEMORY = 0x6A84,
    SW_P1P2 = 0x6A86,
    SW_REF = 0x6A88,
    SW_INS = 0x6D00,
    SW_CLA = 0x6E00,
};

static void channel_drop(rsp_es10_channel *c)
{
    rsp_buf_free(&c->command);
    rsp_buf_free(&c->pending);
    c->pending_off = 0;
    c->next_block = 0;
    c->isdr_selected = false;
}

void rsp_es10_transport_init(rsp_es10_transport *t, const uint8_t svn[3], rsp_es10_handler h, void *ctx)
{
    memset(t, 0, sizeof(*t));
    memcpy(t->svn, svn, 3);
    t->handler = h;
    t->ctx = ctx;
    t->ch[0].open = true;
}

void rsp_es10_transport_reset(rsp_es10_transport *t)
{
    for (int i = 0; i < RSP_ES10_CHANNELS; i++) {
        channel_drop(&t->ch[i]);
        t->ch[i].open = i == 0;
    }
    t->terminal_capability = false;
}

void rsp_es10_transport_free(rsp_es10_transport *t)
{
    for (int i = 0; i < RSP_ES10_CHANNELS; i++)
        channel_drop(&t->ch[i]);
}

static rsp_err sw(rsp_buf *out, uint16_t w)
{
    return rsp_apdu_resp_build(out, NULL, 0, w);
}

/* Sends up to `max` pending bytes, then 61xx for the rest or 9000. */
static rsp_err send_pending(rsp_es10_channel *c, size_t max, rsp_buf *out)
{
    size_t left = c->pending.len - c->pending_off, n = left < max ? left : max;
    left -= n;
    rsp_err e = rsp_apdu_resp_build(out, c->pending.data + c->pending_off, n,
                                    left ? (uint16_t)(0x6100 | (left >= 256 ? 0 : left)) : SW_OK);
    c->pending_off += n;
    if (!left) {
        rsp_buf_free(&c->pending);
        c->pending_off = 0;
    }
    return e;
}

/* An answer of any length: at once when Le covers it, else by GET RESPONSE. */
static rsp_err reply(rsp_es10_channel *c, const rsp_apdu *a, const uint8_t *data, size_t len, rsp_buf *out)
{
    if (len == 0)
        return sw(out, SW_OK);
    if (a->has_le && len <= a->le)
        return rsp_apdu_resp_build(out, data, len, SW_OK);
    rsp_buf_reset(&c->pending);
    c->pending_off = 0;
    rsp_err e = rsp_buf_append(&c->pending, data, len);
    if (e)
        return e;
    return send_pending(c, a->has_le ? a->le : 0, out);
}

static rsp_err manage_channel(rsp_es10_transport *t, const rsp_apdu *a, rsp_buf *out)
{
    if (a->cla & 0x80)
        return sw(out, SW_CLA);
    if (a->p1 == 0x00) {
        int k = a->p2;
        if (k == 0)
            for (k = 1; k < RSP_ES10_CHANNELS && t->ch[k].open; k++)
                ;
        if (k >= RSP_ES10_CHANNELS || t->ch[k].open)
            return sw(out, k >= RSP_ES10_CHANNELS && a->p2 == 0 ? 0x6A81 : SW_P1P2);
        channel_drop(&t->ch[k]);
        t->ch[k].open = true;
        uint8_t n = (uint8_t)k;
        return a->p2 == 0 ? rsp_apdu_resp_build(out, &n, 1, SW_OK) : sw(out, SW_OK);
    }
    if (a->p1 == 0x80) {
        if (a->p2 == 0 || a->p2 >= RSP_ES10_CHANNELS)
            return sw(out, SW_P1P2);
        if (!t->ch[a->p2].open)
            return sw(out, SW_REF);
        channel_drop(&t->ch[a->p2]);
        t->ch[a->p2].open = false;
        return sw(out, SW_OK);
    }
    return sw(out, SW_P1P2);
}

/* The ISD-R FCI: 6F{84 AID, E0 ISDRProprietaryApplicationTemplate{82 svn}}. */
static rsp_err select_isdr(rsp_es10_transport *t, rsp_es10_channel *c, const rsp_apdu *a, rsp_buf *out)
{
    if (a->p1 != 0x04 || (a->p2 != 0x00 && a->p2 != 0x0C))
        return sw(out, SW_P1P2);
    if (a->lc < 5 || a->lc > 16)
        return sw(out, SW_LEN);
    c->isdr_selected = a->lc == sizeof(rsp_es10_isdr_aid) && !memcmp(a->data, rsp_es10_isdr_aid, a->lc);
    rsp_buf_reset(&c->command);
    c->next_block = 0;
    if (!c->isdr_selected)
        return sw(out, SW_NOT_FOUND);
    if (a->p2 == 0x0C)
        return sw(out, SW_OK);
    rsp_buf fci = RSP_BUF_INIT;
    size_t m = 0, e0 = 0;
    rsp_err e = rsp_tlv_begin(&fci, 0x6F, &m);
    e = e ? e : rsp_tlv_put(&fci, 0x84, rsp_es10_isdr_aid, sizeof(rsp_es10_isdr_aid));
    e = e ? e : rsp_tlv_begin(&fci, 0xE0, &e0);
    e = e ? e : rsp_tlv_put(&fci, 0x82, t->svn, 3);
    e = e ? e : rsp_tlv_end(&fci, e0);
    e = e ? e : rsp_tlv_end(&fci, m);
    e = e ? e : reply(c, a, fci.data, fci.len, out);
    rsp_buf_free(&fci);
    return e;
}

static rsp_err store_data(rsp_es10_transport *t, rsp_es10_channel *c, const rsp_apdu *a, rsp_buf *out)
{
    if (!(a->cla & 0x80))
        return sw(out, SW_CLA);
    if (!c->isdr_selected)
        return sw(out, SW_STATE);
    if (a->p1 != 0x11 && a->p1 != 0x91)
        return sw(out, SW_P1P2);
    if (a->p2 == 0) {
        rsp_buf_reset(&c->command); /* a new command: an unfinished chain is abandoned */
        c->next_block = 0;
    } else if (a->p2 != c->next_block) {
        rsp_buf_reset(&c->command);
        c->next_block = 0;
        return sw(out, SW_P1P2);
    }
    if (a->lc == 0)
        return sw(out, SW_LEN);
    if (c->command.len + a->lc > RSP_ES10_MAX_COMMAND) {
        rsp_buf_free(&c->command);
        c->next_block = 0;
        return sw(out, SW_NO_MEMORY);
    }
    rsp_err e = rsp_buf_append(&c->command, a->data, a->lc);
    if (e)
        return e;
    if (a->p1 == 0x11) {
        if (++c->next_block > 0xFF) {
            rsp_buf_reset(&c->command);
            c->next_block = 0;
            return sw(out, SW_P1P2);
        }
        return sw(out, SW_OK);
    }
    /* The command is complete: hand it over, and forget it before answering. */
    rsp_buf cmd = c->command, resp = RSP_BUF_INIT;
    rsp_buf_init(&c->command);
    c->next_block = 0;
    rsp_err he = t->handler ? t->handler(t->ctx, cmd.data, cmd.len, &resp) : RSP_ERR_UNSUPPORTED;
    if (he == RSP_ERR_NOMEM)
        e = he;
    else if (he && resp.len == 0)
        e = sw(out, SW_DATA);
    else
        e = reply(c, a, resp.data, resp.len, out);
    rsp_buf_free_secret(&cmd);
    rsp_buf_free(&resp);
    return e;
}

rsp_err rsp_es10_transport_apdu(rsp_es10_transport *t, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    rsp_apdu a;
    if (rsp_apdu_parse(capdu, len, &a, NULL) != RSP_OK)
        return sw(rapdu, SW_LEN);
    if (a.cla == 0xFF)
        return sw(rapdu, SW_CLA);
    if (a.cla & 0x40)
        return sw(rapdu, SW_CHANNEL); /* further interindustry classes: channels 4..19 are not offered */
    if (a.cla & 0x0C)
        return sw(rapdu, SW_SM);
    rsp_es10_channel *c = &t->ch[a.cla & 0x03];
    if (!c->open)
        return sw(rapdu, SW_CHANNEL);
    if (a.ins == 0xC0) {
        if (a.p1 || a.p2)
            return sw(rapdu, SW_P1P2);
        if (c->pending.len == 0)
            return sw(rapdu, SW_STATE);
        return send_pending(c, a.has_le ? a.le : 256, rapdu);
    }
    rsp_buf_free(&c->pending); /* ISO 7816-4: an answer not fetched at once is lost */
    c->pending_off = 0;
    switch (a.ins) {
    case 0x70:
        return manage_channel(t, &a, rapdu);
    case 0xA4:
        if (a.cla & 0x80)
            return sw(rapdu, SW_CLA);
        return select_isdr(t, c, &a, rapdu);
    case 0xAA: {
        rsp_tlv tl;
        if (!(a.cla & 0x80))
            return sw(rapdu, SW_CLA);
        if (a.p1 || a.p2)
            return sw(rapdu, SW_P1P2);
        if (a.lc == 0 || rsp_tlv_parse(a.data, a.lc, 0, &tl, NULL) != RSP_OK || tl.tag != 0xA9 || tl.raw_len != a.lc)
            return sw(rapdu, SW_DATA);
        t->terminal_capability = true;
        return sw(rapdu, SW_OK);
    }
    case 0xE2:
        return store_data(t, c, &a, rapdu);
    default:
        return sw(rapdu, SW_INS);
    }
}
