/* The ES10 transport from the terminal's side (lpa.h; SGP22.md §"ES10 transport"). One state table:
 *
 * | step                  | C-APDU                              | answer taken                         |
 * | open a channel        | 00 70 00 00 01                      | <ch> 9000 -> ch; 6881/6D00/6E00/6A81: basic channel 0 |
 * | select the ISD-R      | 0c A4 04 00 10 <AID> 00             | 9000 / 61xx (FCI kept); else fail    |
 * | ES10 command          | 8c E2 11 nn Lc <block> (more)       | 9000, no data; else fail             |
 * |                       | 8c E2 91 nn Lc <block> (last)       | data 9000, or 61xx -> GET RESPONSE    |
 * | GET RESPONSE          | 0c C0 00 00 xx                      | data 61xx (again) or data 9000       |
 * | close                 | 00 70 80 <ch> 00                    | ignored (best effort)                |
 *
 * The STORE DATA block number P2 starts at 00 for each command; the block size is the caller's
 * (6..255). 6Cxx (wrong Le) to a case 2 command resends it with Le = xx. Every other SW ends the command as a protocol
 * failure naming the SW, because an LPA cannot tell what the card did with a chain cut short. */
#include <string.h>

#include "rsp/apdu.h"
#include "rsp/es10.h"
#include "rsp/lpa.h"

#define MAX_GET_RESPONSE 512 /* rounds per answer: 128 KiB at 256 bytes a round */

static rsp_err xmit(rsp_lpa_card *c, const uint8_t *capdu, size_t len, rsp_buf *rapdu, uint16_t *sw,
                    rsp_diag *diag)
{
    rsp_buf_reset(rapdu);
    c->apdus++;
    rsp_err e = c->ops->transmit(c->ctx, capdu, len, rapdu, diag);
    if (e)
        return e;
    if (rapdu->len < 2)
        return rsp_diag_set(diag, RSP_ERR_PROTOCOL, "card answered %zu bytes (no status word)", rapdu->len);
    *sw = (uint16_t)(rapdu->data[rapdu->len - 2] << 8 | rapdu->data[rapdu->len - 1]);
    rapdu->len -= 2;
    return RSP_OK;
}

/* Sends capdu; answers 61xx with GET RESPONSE and 6Cxx with the same command at Le = xx; appends the
 * data to out and leaves the final SW in *sw. */
static rsp_err exchange(rsp_lpa_card *c, const uint8_t *capdu, size_t len, rsp_buf *out, uint16_t *sw,
                        rsp_diag *diag)
{
    rsp_buf r = RSP_BUF_INIT, cmd = RSP_BUF_INIT;
    rsp_err e = xmit(c, capdu, len, &r, sw, diag);
    if (!e && (*sw & 0xFF00) == 0x6C00 && (len == 4 || len == 5)) { /* case 2: P3 is Le */
        e = rsp_buf_set(&cmd, capdu, 4);
        e = e ? e : rsp_buf_append_byte(&cmd, (uint8_t)(*sw & 0xFF));
        e = e ? e : xmit(c, cmd.data, cmd.len, &r, sw, diag);
    }
    for (int round = 0; !e; round++) {
        e = rsp_buf_append(out, r.data, r.len);
        if (e || (*sw & 0xFF00) != 0x6100)
            break;
        if (round >= MAX_GET_RESPONSE) {
            e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "card keeps answering 61xx");
            break;
        }
        uint8_t gr[5] = {(uint8_t)(capdu[0] & 0x03), 0xC0, 0x00, 0x00, (uint8_t)(*sw & 0xFF)};
        e = xmit(c, gr, sizeof(gr), &r, sw, diag);
    }
    rsp_buf_free(&r);
    rsp_buf_free(&cmd);
    return e;
}

rsp_err rsp_lpa_apdu(rsp_lpa_card *c, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag)
{
    if (len < 4)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "APDU of %zu bytes", len);
    rsp_buf cmd = RSP_BUF_INIT;
    uint16_t sw = 0;
    rsp_err e = rsp_buf_set(&cmd, capdu, len);
    if (!e && c->channel)
        cmd.data[0] = (uint8_t)((cmd.data[0] & 0xFC) | c->channel);
    e = e ? e : exchange(c, cmd.data, cmd.len, rapdu, &sw, diag);
    e = e ? e : rsp_buf_append_u16(rapdu, sw);
    rsp_buf_free(&cmd);
    return e;
}

static rsp_err sw_fail(uint16_t sw, const char *what, rsp_diag *diag)
{
    return rsp_diag_set(diag, RSP_ERR_PROTOCOL, "%s: card answered SW %04X", what, sw);
}

rsp_err rsp_lpa_card_open(rsp_lpa_card *c, const rsp_lpa_transport_ops *ops, const char *arg, size_t block,
                          rsp_diag *diag)
{
    memset(c, 0, sizeof(*c));
    if (block == 0)
        block = RSP_LPA_BLOCK_DEFAULT;
    if (block < 6 || block > 255)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "STORE DATA block size %zu: 6..255", block);
    c->ops = ops;
    c->arg = arg;
    c->block = block;
    rsp_err e = ops->open(arg, &c->ctx, diag);
    if (e) {
        ops->close(c->ctx);
        c->ctx = NULL;
        c->ops = NULL;
        return e;
    }
    rsp_buf r = RSP_BUF_INIT, sel = RSP_BUF_INIT;
    uint16_t sw = 0;
    static const uint8_t open_ch[] = {0x00, 0x70, 0x00, 0x00, 0x01};
    e = exchange(c, open_ch, sizeof(open_ch), &r, &sw, diag);
    if (!e && sw == 0x9000 && r.len == 1 && r.data[0] >= 1 && r.data[0] <= 3)
        c->channel = r.data[0];
    else if (!e && sw != 0x6881 && sw != 0x6D00 && sw != 0x6E00 && sw != 0x6A81 && sw != 0x6A86)
        e = sw_fail(sw, "MANAGE CHANNEL", diag);
    e = e ? e : rsp_apdu_build(&sel, c->channel, 0xA4, 0x04, 0x00, rsp_es10_isdr_aid, sizeof(rsp_es10_isdr_aid), true,
                               256);
    e = e ? e : exchange(c, sel.data, sel.len, &c->fci, &sw, diag);
    if (!e && sw != 0x9000)
        e = sw_fail(sw, "SELECT ISD-R", diag);
    rsp_buf_free(&r);
    rsp_buf_free(&sel);
    if (e)
        rsp_lpa_card_close(c);
    return e;
}

void rsp_lpa_card_close(rsp_lpa_card *c)
{
    if (c->ops && c->ctx && c->channel) {
        uint8_t close_ch[4] = {0x00, 0x70, 0x80, c->channel};
        rsp_buf r = RSP_BUF_INIT;
        uint16_t sw;
        (void)xmit(c, close_ch, sizeof(close_ch), &r, &sw, NULL);
        rsp_buf_free(&r);
    }
    if (c->ops)
        c->ops->close(c->ctx);
    rsp_buf_free(&c->fci);
    c->ctx = NULL;
    c->ops = NULL;
    c->channel = 0;
}

rsp_err rsp_lpa_es10(rsp_lpa_card *c, const uint8_t *req, size_t len, rsp_buf *resp, rsp_diag *diag)
{
    if (!c->ops)
        return rsp_diag_set(diag, RSP_ERR_STATE, "no card");
    if (len == 0)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "empty ES10 command");
    if ((len + c->block - 1) / c->block > 256)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "ES10 command of %zu bytes needs more than 256 blocks", len);
    rsp_buf cmd = RSP_BUF_INIT, data = RSP_BUF_INIT;
    rsp_err e = RSP_OK;
    uint16_t sw = 0;
    for (size_t off = 0, blk = 0; !e && off < len; off += c->block, blk++) {
        size_t n = len - off < c->block ? len - off : c->block;
        bool last = off + n == len;
        rsp_buf_reset(&cmd);
        rsp_buf_reset(&data);
        e = rsp_apdu_build(&cmd, (uint8_t)(0x80 | c->channel), 0xE2, last ? 0x91 : 0x11, (uint8_t)blk, req + off, n,
                           false, 0);
        e = e ? e : exchange(c, cmd.data, cmd.len, last ? resp : &data, &sw, diag);
        if (!e && sw != 0x9000)
            e = sw_fail(sw, last ? "STORE DATA (last block)" : "STORE DATA", diag);
        if (!e && !last && data.len)
            e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "card answered data to block %zu of a chain", blk);
    }
    rsp_buf_free(&cmd);
    rsp_buf_free(&data);
    return e;
}
