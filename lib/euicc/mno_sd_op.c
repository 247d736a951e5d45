/* ES6, the Operator's side (include/rsp/es6.h): the request as a remote APDU script, secured as SMS
 * user data, and the PoR opened and decoded. The PoR comes from the network: every length in it is
 * checked, and nothing in a PoR whose CC does not verify is reported as the card's answer. */
#include <stdlib.h>
#include <string.h>

#include "rsp/apdu.h"
#include "rsp/es6.h"
#include "rsp/rapdu.h"
#include "rsp/sms.h"
#include "rsp/tlv.h"

rsp_err rsp_es6_path_parse(const char *s, uint16_t path[RSP_ES6_PATH_MAX], size_t *n)
{
    if (!s || !path || !n)
        return RSP_ERR_INVAL;
    *n = 0;
    while (*s) {
        uint8_t b[2];
        char h[5];
        size_t k = strcspn(s, "/");
        if (k != 4 || *n >= RSP_ES6_PATH_MAX)
            return RSP_ERR_FORMAT;
        memcpy(h, s, 4), h[4] = 0;
        if (rsp_hex_decode_fixed(h, b, 2, NULL) != RSP_OK)
            return RSP_ERR_FORMAT;
        path[(*n)++] = rsp_be16(b);
        s += 4;
        if (*s == '/' && !*++s)
            return RSP_ERR_FORMAT; /* a trailing '/' */
    }
    return *n ? RSP_OK : RSP_ERR_FORMAT;
}

uint32_t rsp_es6_default_tar(const rsp_es6_cmd *cmd)
{
    if (cmd->op == RSP_ES6_APPLET_STATUS)
        return RSP_ES6_TAR_RAM;
    return cmd->path_len && cmd->path[0] == 0x7FF0 ? RSP_ES6_TAR_RFM_USIM : RSP_ES6_TAR_RFM_UICC;
}

static rsp_err put_apdu(rsp_buf *out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                        size_t lc, int le)
{
    rsp_buf a = RSP_BUF_INIT;
    rsp_err e = rsp_buf_append_byte(&a, cla);
    e = e ? e : rsp_buf_append_byte(&a, ins);
    e = e ? e : rsp_buf_append_byte(&a, p1);
    e = e ? e : rsp_buf_append_byte(&a, p2);
    if (lc) {
        e = e ? e : rsp_buf_append_byte(&a, (uint8_t)lc);
        e = e ? e : rsp_buf_append(&a, data, lc);
    }
    if (le >= 0)
        e = e ? e : rsp_buf_append_byte(&a, (uint8_t)le);
    e = e ? e : rsp_tlv_put(out, 0x22, a.data, a.len);
    rsp_buf_free(&a);
    return e;
}

rsp_err rsp_es6_script(const rsp_es6_cmd *cmd, rsp_buf *out)
{
    if (!cmd || !out)
        return RSP_ERR_INVAL;
    bool upd = cmd->op == RSP_ES6_UPDATE || cmd->op == RSP_ES6_UPDATE_RECORD;
    bool rec = cmd->op == RSP_ES6_READ_RECORD || cmd->op == RSP_ES6_UPDATE_RECORD;
    if (cmd->op > RSP_ES6_APPLET_STATUS || (cmd->op != RSP_ES6_APPLET_STATUS && !cmd->path_len) ||
        cmd->path_len > RSP_ES6_PATH_MAX || (upd && (!cmd->data || !cmd->data_len || cmd->data_len > 255)) ||
        (rec && (cmd->record == 0 || cmd->record == 0xFF)))
        return RSP_ERR_INVAL;
    size_t mark;
    rsp_err e = rsp_tlv_begin(out, 0xAA, &mark);
    if (cmd->op == RSP_ES6_APPLET_STATUS) {
        static const uint8_t all[] = {0x4F, 0x00};
        e = e ? e : put_apdu(out, 0x80, 0xF2, 0x40, 0x02, all, sizeof(all), 0);
        return e ? e : rsp_tlv_end(out, mark);
    }
    for (size_t i = 0; i < cmd->path_len && !e; i++) { /* SELECT by FID, no FCP back */
        uint8_t fid[2];
        rsp_put_be16(fid, cmd->path[i]);
        e = put_apdu(out, 0x00, 0xA4, 0x00, 0x0C, fid, 2, -1);
    }
    switch (cmd->op) {
    case RSP_ES6_READ: e = e ? e : put_apdu(out, 0x00, 0xB0, 0x00, 0x00, NULL, 0, 0); break;
    case RSP_ES6_UPDATE: e = e ? e : put_apdu(out, 0x00, 0xD6, 0x00, 0x00, cmd->data, cmd->data_len, -1); break;
    case RSP_ES6_READ_RECORD: e = e ? e : put_apdu(out, 0x00, 0xB2, cmd->record, 0x04, NULL, 0, 0); break;
    default: e = e ? e : put_apdu(out, 0x00, 0xDC, cmd->record, 0x04, cmd->data, cmd->data_len, -1); break;
    }
    return e ? e : rsp_tlv_end(out, mark);
}

rsp_err rsp_es6_packet(const rsp_scp80_keys *k, const rsp_scp80_hdr *h, const uint8_t *data, size_t len,
                       uint8_t ref, rsp_buf *parts, size_t max, size_t *n, rsp_diag *diag)
{
    if (!k || !h || (!data && len) || !parts || !n)
        return RSP_ERR_INVAL;
    rsp_buf w = RSP_BUF_INIT;
    uint8_t *p;
    size_t plen = 0;
    rsp_err e = rsp_buf_extend(&w, len + RSP_SCP80_OVERHEAD, &p);
    e = e ? e : rsp_scp80_cmd_build(k, h, data, len, p, w.len, &plen, diag);
    e = e ? e : rsp_sms_split(p, plen, 0x70, ref, false, parts, max, n, diag);
    rsp_buf_free_secret(&w);
    return e;
}

rsp_err rsp_es6_answer_parse(const rsp_scp80_keys *k, const rsp_scp80_hdr *h, const uint8_t *por, size_t len,
                             rsp_es6_answer *out, rsp_diag *diag)
{
    if (!k || !h || !por || !out || len > 4096)
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    uint8_t *work = malloc(len + 3);
    if (!work)
        return RSP_ERR_NOMEM;
    rsp_scp80_por pr;
    memset(&pr, 0, sizeof(pr));
    rsp_err e = rsp_scp80_por_open(k, h, por, len, work, len + 3, &pr, diag);
    if (e)
        goto out;
    out->secured = pr.cc_len > 0 && pr.cc_valid;
    /* A secured PoR echoes the command's counter; an unsecured error PoR may not (the counter travels
     * ciphered; a real card answered a replay with 00..00: VECTORS.txt A3), so only its TAR is checked. */
    if (memcmp(pr.tar, h->tar, 3) != 0 || (out->secured && memcmp(pr.cntr, h->cntr, 5) != 0)) {
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "the PoR answers another packet (TAR %02X%02X%02X)", pr.tar[0],
                         pr.tar[1], pr.tar[2]);
        goto out;
    }
    out->status = pr.status;
    if (pr.status == 0 && !out->secured && (h->spi[1] & (3u << RSP_SCP80_SPI2_POR_CHK_SHIFT))) {
        /* "accepted" without the checksum the command asked for: anyone could have sent that */
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "a PoR status 00 without the checksum SPI asked for");
        goto out;
    }
    if (pr.status != 0 || !pr.data_len)
        goto out; /* a security status carries no response */
    rsp_rapdu_resp *r = malloc(sizeof(*r));
    if (!r) {
        e = RSP_ERR_NOMEM;
        goto out;
    }
    e = rsp_rapdu_resp_parse(rsp_rapdu_detect(pr.data, pr.data_len), pr.data, pr.data_len, r, diag);
    if (!e) {
        out->bad_format = r->bad_format;
        out->executed = r->count;
        if (r->n) {
            const rsp_rapdu_item *last = &r->rsps[r->n - 1];
            out->sw = last->sw;
            if (last->len > sizeof(out->data))
                e = rsp_diag_set(diag, RSP_ERR_LENGTH, "response data of %zu bytes", last->len);
            else
                memcpy(out->data, last->p, last->len), out->data_len = last->len;
        } else if (!r->bad_format) {
            e = rsp_diag_set(diag, RSP_ERR_FORMAT, "a response without any R-APDU");
        }
    } else if (e != RSP_ERR_NOMEM) {
        e = RSP_ERR_FORMAT;
    }
    free(r);
out:
    rsp_wipe(work, len + 3);
    free(work);
    return e;
}

rsp_err rsp_es6_apps_parse(const uint8_t *p, size_t len, rsp_es6_app *out, size_t max, size_t *n, rsp_diag *diag)
{
    if ((!p && len) || !n || (!out && max))
        return RSP_ERR_INVAL;
    *n = 0;
    rsp_tlv_reader r;
    rsp_tlv t, x;
    rsp_err e;
    rsp_tlv_reader_init(&r, p, len, 0);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (t.tag != 0xE3)
            return rsp_diag_set_at(diag, RSP_ERR_TAG, t.offset, "GET STATUS: %X where E3 belongs", (unsigned)t.tag);
        if (*n >= max)
            continue;
        rsp_es6_app *a = &out[*n];
        memset(a, 0, sizeof(*a));
        if (rsp_tlv_find(t.value, t.len, 0x4F, &x) != RSP_OK || x.len < 5 || x.len > 16)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, t.offset, "GET STATUS: an entry without a 5..16-byte AID");
        memcpy(a->aid, x.value, x.len), a->aid_len = x.len;
        if (rsp_tlv_find(t.value, t.len, 0x9F70, &x) != RSP_OK || x.len != 1)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, t.offset, "GET STATUS: an entry without a life cycle");
        a->lcs = x.value[0];
        if (rsp_tlv_find(t.value, t.len, 0xC5, &x) == RSP_OK) {
            if (x.len > 3)
                return rsp_diag_set_at(diag, RSP_ERR_FORMAT, t.offset, "GET STATUS: privileges of %zu bytes", x.len);
            memcpy(a->priv, x.value, x.len), a->priv_len = x.len;
        }
        (*n)++;
    }
    return e == RSP_ERR_END ? RSP_OK : rsp_diag_set(diag, RSP_ERR_FORMAT, "GET STATUS: %s", r.diag.msg);
}
