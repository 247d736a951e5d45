/* Over-the-air inputs: SMS-PP (SCP80 card side: reassembly, key set by KVN, checksum and counter with
 * replay protection, routing by TAR: a script, an SCP81 trigger, or an SCP03t body for an ISD-P; PoR
 * as the SPI asks) and the SCP81 admin session steps. A packet that fails a check is answered with
 * the PoR status TS 102 225 names (when the SPI asks for a PoR on error) and changes nothing; an
 * accepted packet's counter is committed together with whatever its script changed, before the PoR
 * leaves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "euicc_int.h"
#include "mno_sd.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/scp81.h"
#include "rsp/tlv.h"

rsp_err eu_ctx_commit(eu_ctx *x)
{
    if (!x->dirty)
        return RSP_OK;
    rsp_err e = eu_commit_pkg(x->c, x->pkg_tar, x->pkg, x->pkg_len);
    x->dirty = false;
    x->pkg_tar = 0;
    x->pkg = NULL;
    x->pkg_len = 0;
    return e ? RSP_ERR_IO : RSP_OK;
}

static rsp_err exec_cb(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    eu_ctx *x = ctx;
    if (x->fatal)
        return x->fatal;
    rsp_err e = eu_exec(x, capdu, len, rapdu);
    return e ? e : x->fatal;
}

/* Runs a remote APDU script for target x->tar into resp. A script that does not parse is answered
 * with the "bad format" TLV 90 (TS 102 226) and runs nothing. */
static rsp_err run_script(eu_ctx *x, const uint8_t *p, size_t len, rsp_buf *resp)
{
    static const uint8_t bad[] = {0xAB, 0x03, 0x90, 0x01, 0x01};
    static const uint8_t bad_indef[] = {0xAF, 0x80, 0x90, 0x01, 0x01, 0x00, 0x00};
    rsp_rapdu_script *s = malloc(sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    rsp_rapdu_format f = rsp_rapdu_detect(p, len);
    size_t before = resp->len;
    rsp_err e = rsp_rapdu_script_parse(f, p, len, s, NULL);
    if (!e)
        e = rsp_rapdu_execute(s, exec_cb, x, resp);
    free(s);
    if (x->fatal)
        return x->fatal;
    if (e == RSP_ERR_NOMEM)
        return e;
    if (e) {
        /* Not a script we can run (or an empty compact one): "bad format", nothing else answered.
         * Commands run before the fault keep their effect, as on a card. */
        resp->len = before;
        if (f == RSP_RAPDU_COMPACT)
            return RSP_OK;
        return f == RSP_RAPDU_EXPANDED ? rsp_buf_append(resp, bad, sizeof(bad))
                                       : rsp_buf_append(resp, bad_indef, sizeof(bad_indef));
    }
    return RSP_OK;
}

/* An SCP03t body rather than a remote APDU script (docs/ENCODINGS.md "SCP03t over SCP80"): only for an
 * ISD-P, and told by its first byte: SCP03t TLVs are 84 (init), 85 (auth) and 86 (segment); a script
 * is AA/AE (expanded). A compact script whose first C-APDU has class 84..86 would be taken for
 * SCP03t, so an ISD-P takes its scripts in the expanded format (our SM-SR sends no other). */
static bool is_scp03t(uint32_t tar, const uint8_t *p, size_t len)
{
    return tar != EU_TAR_ISDR && tar != EU_TAR_ECASD && len && (p[0] == 0x84 || p[0] == 0x85 || p[0] == 0x86);
}

/* The SCP03t session outlives one SMS (a download is many packets) but never its ISD-P: once the
 * ISD-P is gone or installed (deleted, or its package committed) the session and its deciphered
 * partial package go, so an ISD-P created again at the same TAR cannot inherit them. */
static void drop_stale_download(rsp_euicc *c)
{
    eu_vol *v = c->vol;
    if (!v || !v->dl_active)
        return;
    const eu_profile *p = c->st ? eu_profile_by_tar(c->st, v->dl_tar) : NULL;
    if (p && p->lcs == EU_LCS_CREATED)
        return;
    rsp_scp03t_card_close(&v->dl);
    v->dl_active = false;
    v->dl_tar = 0;
}

static bool tar_known(eu_state *st, uint32_t tar)
{
    return tar == EU_TAR_ISDR || tar == EU_TAR_ECASD || eu_profile_by_tar(st, tar) != NULL;
}

/* Trigger (81 ...): what the device needs to open the admin session. */
static rsp_err trigger(rsp_euicc *c, const uint8_t *p, size_t len, rsp_euicc_out *out, rsp_diag *diag)
{
    rsp_scp81_trigger t;
    rsp_err e = rsp_scp81_trigger_parse(p, len, &t, diag);
    if (e)
        return e;
    eu_state *st = c->st;
    rsp_euicc_admin *a = &out->admin;
    memset(a, 0, sizeof(*a));
    if (eu_db_admin_get(c->f->db, c->eid, a->host, &a->port, a->uri) != RSP_OK)
        a->host[0] = a->uri[0] = 0;
    if (t.host.len && t.host.len < sizeof(a->host))
        memcpy(a->host, t.host.p, t.host.len), a->host[t.host.len] = 0;
    if (t.uri.len && t.uri.len < sizeof(a->uri))
        memcpy(a->uri, t.uri.p, t.uri.len), a->uri[t.uri.len] = 0;
    if (t.agent_id.len && t.agent_id.len < sizeof(a->agent_id))
        memcpy(a->agent_id, t.agent_id.p, t.agent_id.len), a->agent_id[t.agent_id.len] = 0;
    rsp_tlv port;
    if (t.conn.len && rsp_tlv_find(t.conn.p, t.conn.len, 0x3C, &port) == RSP_OK && port.len == 3)
        a->port = rsp_be16(port.value + 1);
    a->retry = t.retry.len ? t.retry.p[0] : 0;
    uint8_t kvn = t.has_security ? t.kvn : 0, kid = t.has_security && t.kid ? t.kid : 0x01;
    const eu_scp81 *ks = NULL;
    for (unsigned i = 0; i < st->n81; i++)
        if (!ks && (!kvn || st->s81[i].kvn == kvn))
            ks = &st->s81[i];
    if (!ks)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no SCP81 key set %02X", kvn);
    if (t.has_security && t.psk_id.len) {
        if (t.psk_id.len * 2 >= sizeof(a->psk_identity))
            return rsp_diag_set(diag, RSP_ERR_LENGTH, "PSK identity too long");
        rsp_hex_encode_upper(t.psk_id.p, t.psk_id.len, a->psk_identity, sizeof(a->psk_identity));
    } else {
        uint8_t eid[16];
        e = rsp_eid_to_bytes(c->eid, eid);
        e = e ? e : rsp_scp81_psk_identity(eid, RSP_AID_ISDR.b, RSP_AID_ISDR.len, kid, ks->kvn, a->psk_identity,
                                           sizeof(a->psk_identity));
        if (e)
            return e;
    }
    memcpy(a->psk, ks->psk, 16);
    a->psk_len = 16;
    out->open_admin = true;
    return RSP_OK;
}

/* Sends the PoR to `to` when SPI byte 2 asks for one (always, or only on error). */
rsp_err eu_por_send(rsp_euicc *c, const rsp_scp80_keys *k, const rsp_scp80_hdr *h, uint8_t status,
                        const uint8_t *data, size_t len, const char *to, rsp_euicc_out *out)
{
    uint8_t mode = h->spi[1] & RSP_SCP80_SPI2_POR_MASK;
    if (mode == 0 || (mode == 2 && status == RSP_SCP80_POR_OK) || mode == 3)
        return RSP_OK;
    size_t cap = len + RSP_SCP80_OVERHEAD, n = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return RSP_ERR_NOMEM;
    rsp_err e = rsp_scp80_por_build(k, h, status, data, len, buf, cap, &n, NULL);
    /* The PoR carries its own UDH 02 71 00; the SMS layer splits from RPL on. */
    size_t before = out->n_sms;
    e = e ? e : eu_sms_submit(c, to, buf + RSP_SCP80_POR_UDH_LEN, n - RSP_SCP80_POR_UDH_LEN, RSP_SMS_IEI_RESP_PKT, out);
    if (e && e != RSP_ERR_NOMEM && len) {
        /* More than 16 SMS: the answer does not fit; say so (07) instead of sending part of it. */
        for (size_t i = before; i < out->n_sms; i++)
            rsp_buf_free(&out->sms[i].tpdu);
        out->n_sms = before;
        e = rsp_scp80_por_build(k, h, RSP_SCP80_NO_MEMORY, NULL, 0, buf, cap, &n, NULL);
        e = e ? e : eu_sms_submit(c, to, buf + RSP_SCP80_POR_UDH_LEN, n - RSP_SCP80_POR_UDH_LEN, RSP_SMS_IEI_RESP_PKT,
                                  out);
    }
    free(buf);
    return e;
}

static rsp_err secured_packet(rsp_euicc *c, const char *from, const uint8_t *pkt, size_t len, int64_t now,
                              rsp_euicc_out *out, rsp_diag *diag)
{
    rsp_scp80_hdr h;
    if (rsp_scp80_cmd_peek(pkt, len, &h, diag) != RSP_OK)
        return RSP_OK; /* no header to answer to */
    /* ES6: the TAR decides who answers; the enabled profile's MNO-SD has keys of its own */
    bool handled = false;
    rsp_err me = eu_mnosd_packet(c, from, &h, pkt, len, now, out, &handled, diag);
    if (handled)
        return me;
    eu_state *st = c->st;
    uint8_t kvn = (h.kic >> 4) ? (uint8_t)(h.kic >> 4) : (uint8_t)(h.kid >> 4);
    eu_scp80 *ks = NULL;
    for (unsigned i = 0; i < st->n80; i++)
        if (st->s80[i].kvn == kvn)
            ks = &st->s80[i];
    if (!ks)
        return eu_por_send(c, NULL, &h, RSP_SCP80_SECURITY_ERROR, NULL, 0, from, out);
    rsp_scp80_keys k = {ks->kic, 16, ks->kid, 16};
    uint8_t *work = malloc(len);
    if (!work)
        return RSP_ERR_NOMEM;
    rsp_scp80_cmd cmd;
    memset(&cmd, 0, sizeof(cmd));
    rsp_err e = rsp_scp80_cmd_open(&k, pkt, len, work, len, &cmd, diag);
    uint8_t status = e ? (cmd.status ? cmd.status : RSP_SCP80_SECURITY_ERROR) : RSP_SCP80_POR_OK;
    if (!e)
        h = cmd.h; /* the counter was ciphered: only now is it known */
    /* The command packet is secured by the SPI it names; the card asks for at least a CC (or RC). */
    if (!e && (h.spi[0] & RSP_SCP80_SPI1_CHK_MASK) == RSP_SCP80_CHK_NONE)
        status = RSP_SCP80_LOW_SECURITY;
    if (status == RSP_SCP80_POR_OK && rsp_scp80_counter_check(h.spi, ks->cntr, h.cntr, &status) != RSP_OK && !status)
        status = RSP_SCP80_SECURITY_ERROR;
    if (status == RSP_SCP80_POR_OK && !tar_known(st, rsp_be24(h.tar)))
        status = RSP_SCP80_TAR_UNKNOWN;
    if (status != RSP_SCP80_POR_OK) {
        rsp_wipe(work, len);
        free(work);
        return eu_por_send(c, &k, &h, status, NULL, 0, from, out);
    }
    eu_ctx x = {.c = c, .now = now, .local = false, .tar = rsp_be24(h.tar), .out = out};
    if (rsp_scp80_spi_cntr_mode(h.spi) != RSP_SCP80_CNTR_NONE) {
        memcpy(ks->cntr, h.cntr, 5);
        x.dirty = true;
    }
    rsp_buf resp = RSP_BUF_INIT;
    if (x.tar == EU_TAR_ISDR && cmd.data_len && cmd.data[0] == 0x81) {
        if (trigger(c, cmd.data, cmd.data_len, out, diag) != RSP_OK)
            out->open_admin = false;
    } else if (is_scp03t(x.tar, cmd.data, cmd.data_len)) {
        /* SCP03t over SCP80 (the SMS-only download): the ISD-P's answer (84 / 9F xx / EUICCResponse,
         * or nothing) is the PoR's response data as it is, not an R-APDU script */
        e = eu_isdp_scp03t(&x, x.tar, cmd.data, cmd.data_len, &resp);
    } else {
        e = run_script(&x, cmd.data, cmd.data_len, &resp);
        /* INSTALL [for personalization] lasts for the rest of its script (an SMS is one session). */
        if (c->vol && !c->vol->admin_open)
            c->vol->perso_tar = 0;
    }
    drop_stale_download(c);
    rsp_wipe(work, len);
    free(work);
    rsp_err ce = eu_ctx_commit(&x);
    if (e || ce || x.fatal) {
        rsp_buf_free(&resp);
        if (out->open_admin)
            rsp_wipe(&out->admin, sizeof(out->admin)), out->open_admin = false;
        return rsp_diag_set(diag, RSP_ERR_IO, "card %s: state not committed, nothing answered", c->eid);
    }
    /* ks may have moved if the script changed the key sets: look the keys up again for the PoR. */
    const eu_scp80 *pk = NULL;
    for (unsigned i = 0; i < c->st->n80; i++)
        if (c->st->s80[i].kvn == kvn)
            pk = &c->st->s80[i];
    rsp_scp80_keys k2 = {pk ? pk->kic : NULL, 16, pk ? pk->kid : NULL, 16};
    e = pk ? eu_por_send(c, &k2, &h, RSP_SCP80_POR_OK, resp.data, resp.len, from, out) : RSP_OK;
    rsp_buf_free(&resp);
    return e;
}

rsp_err rsp_euicc_sms_pp(rsp_euicc *c, const uint8_t *tpdu, size_t len, int64_t now, rsp_euicc_out *out,
                         rsp_diag *diag)
{
    if (!c || !out || (!tpdu && len))
        return RSP_ERR_INVAL;
    rsp_err e = eu_card_load(c);
    if (e)
        return rsp_diag_set(diag, e, "card %s: state unreadable", c->eid);
    eu_vol *v = eu_card_vol(c);
    if (!v)
        return RSP_ERR_NOMEM;
    rsp_sms_tpdu t;
    if (rsp_sms_tpdu_parse(tpdu, len, &t, diag) != RSP_OK || t.type != RSP_SMS_DELIVER || !(t.fo & 0x40) ||
        t.ud_len == 0)
        return RSP_OK; /* not a secured packet: a real card drops it */
    rsp_buf pkt = RSP_BUF_INIT;
    uint8_t iei = 0;
    bool done = false;
    rsp_sms_reasm_expire(&v->reasm, (uint64_t)(now > 0 ? now : 0));
    e = rsp_sms_reasm_add(&v->reasm, t.addr.digits, t.ud, t.ud_len, (uint64_t)(now > 0 ? now : 0), &pkt, &iei,
                          &done, diag);
    if (!e && done && iei == RSP_SMS_IEI_CMD_PKT)
        e = secured_packet(c, t.addr.digits, pkt.data, pkt.len, now, out, diag);
    else
        e = RSP_OK;
    rsp_buf_free_secret(&pkt);
    eu_vol_release_idle(c);
    return e;
}

/* ---- SCP81 admin session ---- */

rsp_err rsp_euicc_admin_script(rsp_euicc *c, const uint8_t *script, size_t len, const uint8_t *targeted_aid,
                               size_t aid_len, int64_t now, rsp_buf *response, char status[32],
                               rsp_euicc_out *out, rsp_diag *diag)
{
    if (!c || !response || !status || !out || (!script && len))
        return RSP_ERR_INVAL;
    snprintf(status, 32, "%s", "ok");
    rsp_err e = eu_card_load(c);
    if (e)
        return rsp_diag_set(diag, e, "card %s: state unreadable", c->eid);
    eu_vol *v = eu_card_vol(c);
    if (!v)
        return RSP_ERR_NOMEM;
    v->admin_open = true;
    uint32_t tar = EU_TAR_ISDR;
    if (targeted_aid && aid_len) {
        rsp_aid a;
        eu_profile *p = eu_profile_by_aid(c->st, targeted_aid, aid_len);
        if (p)
            tar = p->tar;
        else if (rsp_aid_from_bytes(targeted_aid, aid_len, &a) == RSP_OK && rsp_aid_eq(&a, &RSP_AID_ECASD))
            tar = EU_TAR_ECASD;
        else if (rsp_aid_from_bytes(targeted_aid, aid_len, &a) != RSP_OK || !rsp_aid_eq(&a, &RSP_AID_ISDR)) {
            snprintf(status, 32, "%s", "unknown-application");
            return RSP_OK;
        }
    }
    eu_ctx x = {.c = c, .now = now, .local = false, .tar = tar, .out = out};
    size_t before = response->len;
    e = is_scp03t(tar, script, len) ? eu_isdp_scp03t(&x, tar, script, len, response)
                                    : run_script(&x, script, len, response);
    drop_stale_download(c);
    rsp_err ce = eu_ctx_commit(&x);
    if (e || ce || x.fatal) {
        response->len = before;
        snprintf(status, 32, "%s", "security-error");
        return rsp_diag_set(diag, RSP_ERR_IO, "card %s: state not committed, nothing answered", c->eid);
    }
    return RSP_OK;
}

void rsp_euicc_admin_end(rsp_euicc *c, bool ok, int64_t now)
{
    (void)ok; /* either way the session's channels close; a download not installed by now is dropped */
    (void)now;
    if (!c || !c->vol)
        return;
    c->vol->admin_open = false;
    eu_vol_drop_sessions(c->vol);
    eu_vol_release_idle(c);
}

void rsp_euicc_reset(rsp_euicc *c, int64_t now)
{
    (void)now;
    if (!c)
        return;
    eu_vol_free(c);
    if (c->st)
        eu_card_reload(c); /* RAM back to exactly what NVM holds */
}
