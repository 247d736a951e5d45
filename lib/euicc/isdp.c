/* ISD-Ps and Scenario#3: key establishment through the ECASD (ES8 for an ISD-P, EstablishISDRKeySet
 * for the ISD-R), the SM-DP's SCP03 session (PUT KEY of the token key, 3A07 connectivity parameters)
 * and the SCP03t download (isdp_dl.c). Keys come into force only when the command that makes them
 * answers 9000, and they are committed before that answer leaves. */
#include <string.h>

#include "euicc_int.h"
#include "rsp/apdu.h"
#include "rsp/crypto.h"
#include "rsp/gpcert.h"
#include "rsp/tlv.h"

static void keyest_drop(eu_vol *v)
{
    if (v->ke_active)
        rsp_keyest_card_close(&v->ke);
    rsp_ec_free(v->pk_ci);
    rsp_ec_free(v->sk_ecasd);
    v->pk_ci = v->sk_ecasd = NULL;
    v->ke_active = false;
    v->ke_tar = 0;
}

void eu_vol_drop_sessions(eu_vol *v)
{
    keyest_drop(v);
    rsp_scp03_close(&v->s03);
    v->s03_tar = 0;
    if (v->dl_active)
        rsp_scp03t_card_close(&v->dl);
    v->dl_active = false;
    v->dl_tar = 0;
    v->perso_tar = 0;
}

static uint16_t keyest_sw(rsp_err e)
{
    switch (e) {
    case RSP_ERR_VERIFY: case RSP_ERR_DENIED: return SW_SECURITY;
    case RSP_ERR_STATE: return SW_COND;
    case RSP_ERR_UNSUPPORTED: return SW_FUNC;
    case RSP_ERR_NOMEM: return SW_MEMORY_FAILURE;
    default: return SW_BAD_DATA;
    }
}

static rsp_err keyest_start(rsp_euicc *c, eu_vol *v, uint32_t tar)
{
    keyest_drop(v);
    eu_ecasd_row r;
    rsp_err e = eu_db_ecasd_get(c->f->db, c->eid, &r);
    if (e)
        return e;
    e = rsp_ec_from_public((rsp_curve)r.curve, r.pk_ci.data, r.pk_ci.len, &v->pk_ci);
    e = e ? e : rsp_ec_from_private((rsp_curve)r.curve, r.sk, &v->sk_ecasd);
    eu_ecasd_row_free(&r);
    if (e) {
        keyest_drop(v);
        return e;
    }
    rsp_keyest_card_init(&v->ke, v->pk_ci, v->sk_ecasd, tar == EU_TAR_ISDR ? RSP_GPCERT_ROLE_SMSR : RSP_GPCERT_ROLE_SMDP);
    v->ke_active = true;
    v->ke_tar = tar;
    return RSP_OK;
}

/* The new ISD-R key sets of an SM-SR change: SCP80 KIc = K-ENC, KID = K-MAC at the CRT's KVN; SCP81 PSK
 * = K-DEK at KVN 3F + that (01 <-> 40 as personalised, 02 <-> 41, ...). A set already at either KVN is
 * replaced: it can only be what an earlier attempt of the same SM-SR left (its receipt was lost, or a
 * crash came in between), and replacing makes a retried EstablishISDRKeySet land where the new SM-SR
 * looks, instead of at "highest + 1" where it never would. The one exception keeps the card reachable:
 * a CRT naming the card's only SCP80 set (the one this command came under) gets the highest + 1. */
static uint16_t isdr_new_keys(eu_state *st, const rsp_scp03_keys *k)
{
    if (k->len != 16)
        return SW_NO_MEMORY;
    uint8_t hi80 = 0;
    int at80 = -1, at81 = -1;
    for (unsigned i = 0; i < st->n80; i++) {
        hi80 = st->s80[i].kvn > hi80 ? st->s80[i].kvn : hi80;
        if (st->s80[i].kvn == k->kvn)
            at80 = (int)i;
    }
    uint8_t kvn80 = k->kvn >= 1 && k->kvn <= 0x0F ? k->kvn : (uint8_t)(hi80 + 1);
    if (at80 >= 0 && st->n80 < 2) {
        kvn80 = (uint8_t)(hi80 + 1);
        at80 = -1;
    }
    uint8_t kvn81 = (uint8_t)(0x3F + kvn80);
    for (unsigned i = 0; i < st->n81; i++)
        if (st->s81[i].kvn == kvn81)
            at81 = (int)i;
    if (kvn80 > 0x0F || (at80 < 0 && st->n80 >= EU_MAX_KEYSETS) || (at81 < 0 && st->n81 >= EU_MAX_KEYSETS))
        return SW_NO_MEMORY;
    eu_scp80 *s = &st->s80[at80 >= 0 ? (unsigned)at80 : st->n80++];
    memset(s, 0, sizeof(*s));
    s->kvn = kvn80;
    memcpy(s->kic, k->enc, 16);
    memcpy(s->kid, k->mac, 16);
    eu_scp81 *p = &st->s81[at81 >= 0 ? (unsigned)at81 : st->n81++];
    memset(p, 0, sizeof(*p));
    p->kvn = kvn81;
    memcpy(p->psk, k->dek, 16);
    return SW_OK;
}

rsp_err eu_keyest(eu_ctx *x, uint32_t tar, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    eu_vol *v = eu_card_vol(x->c);
    if (!v)
        return eu_answer(rapdu, NULL, 0, SW_MEMORY_FAILURE);
    eu_profile *p = tar == EU_TAR_ISDR ? NULL : eu_profile_by_tar(x->c->st, tar);
    if (tar != EU_TAR_ISDR && !p)
        return eu_answer(rapdu, NULL, 0, SW_NOT_FOUND);
    bool cert = len > 6 && capdu[5] == 0x3A && capdu[6] == 0x01;
    if (cert && keyest_start(x->c, v, tar) != RSP_OK)
        return eu_answer(rapdu, NULL, 0, SW_MEMORY_FAILURE);
    if (cert) {
        v->ke.crl = x->c->f->crl; /* a revoked SM-DP / SM-SR certificate is refused at 3A01 */
        v->ke.now = x->now / 1000;
    }
    if (!v->ke_active || v->ke_tar != tar)
        return eu_answer(rapdu, NULL, 0, SW_COND);
    rsp_buf resp = RSP_BUF_INIT;
    rsp_scp03_keys keys;
    memset(&keys, 0, sizeof(keys));
    rsp_err e = rsp_keyest_card_store_data(&v->ke, capdu, len, &resp, &keys, NULL);
    uint16_t sw = e ? keyest_sw(e) : SW_OK;
    if (!e && v->ke.state == RSP_KEYEST_DONE) {
        if (p) {
            p->keys = keys;
            p->flags |= EU_PF_KEYS;
        } else {
            sw = isdr_new_keys(x->c->st, &keys);
        }
        if (sw == SW_OK)
            x->dirty = true;
        keyest_drop(v);
    } else if (e) {
        keyest_drop(v); /* a failed step ends the procedure: it restarts with 3A01 */
    }
    rsp_wipe(&keys, sizeof(keys));
    e = eu_answer(rapdu, sw == SW_OK ? resp.data : NULL, sw == SW_OK ? resp.len : 0, sw);
    rsp_buf_free(&resp);
    return e;
}

/* ---- the SM-DP's SCP03 session ---- */

/* PUT KEY of the master delete token key: 80 D8 00 KID 18 | 70 88 11 10 <key under K-DEK> 03 <KCV>. */
static uint16_t put_key(eu_ctx *x, eu_profile *p, const rsp_apdu *a, rsp_buf *data)
{
    const uint8_t *d = a->data;
    if (a->lc != 24 || d[0] != 0x70 || d[1] != 0x88 || d[2] != 0x11 || d[3] != 0x10 || d[20] != 0x03)
        return SW_BAD_DATA;
    uint8_t key[16], kcv[3];
    uint16_t sw = SW_OK;
    if (rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, false, p->keys.dek, p->keys.len, NULL, d + 4, 16, key) ||
        rsp_scp03_kcv(key, 16, kcv) || !rsp_ct_equal(kcv, d + 21, 3))
        sw = SW_BAD_DATA;
    if (sw == SW_OK) {
        memcpy(p->token, key, 16);
        p->flags |= EU_PF_TOKEN;
        x->dirty = true;
        uint8_t r[4] = {0x70, kcv[0], kcv[1], kcv[2]};
        if (rsp_buf_append(data, r, 4))
            sw = SW_MEMORY_FAILURE;
    }
    rsp_wipe(key, sizeof(key));
    return sw;
}

/* 3A07 on an ISD-P: A0{06 L 91 <SMSC BCD>, ...} connectivity parameters; an A1{81 L TOA BCD} after it
 * sets the profile's MSISDN (OpenRSP's, docs/ENCODINGS.md). */
static uint16_t connectivity(eu_ctx *x, eu_profile *p, const uint8_t *v, size_t len)
{
    rsp_tlv a0, a1, t;
    char msisdn[24] = "";
    if (rsp_tlv_parse(v, len, 0, &a0, NULL) != RSP_OK || a0.tag != 0xA0 || a0.len > sizeof(p->conn))
        return SW_BAD_DATA;
    rsp_tlv_reader r;
    rsp_err e;
    rsp_tlv_reader_init(&r, a0.value, a0.len, 0);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK)
        ;
    if (e != RSP_ERR_END)
        return SW_BAD_DATA;
    if (rsp_tlv_find(a0.value, a0.len, 0x06, &t) == RSP_OK) {
        char smsc[24];
        if (t.len < 2 || t.len > 11 || rsp_bcd_swap_decode(t.value + 1, t.len - 1, smsc, sizeof(smsc)) != RSP_OK)
            return SW_BAD_DATA;
    }
    if (a0.raw_len < len) {
        if (rsp_tlv_expect(v + a0.raw_len, len - a0.raw_len, 0xA1, &a1, NULL) != RSP_OK ||
            rsp_tlv_expect(a1.value, a1.len, 0x81, &t, NULL) != RSP_OK || t.len < 2 || t.len > 11 ||
            rsp_bcd_swap_decode(t.value + 1, t.len - 1, msisdn, sizeof(msisdn)) != RSP_OK)
            return SW_BAD_DATA;
    }
    memcpy(p->conn, a0.value, a0.len);
    p->conn_len = (uint8_t)a0.len;
    if (msisdn[0])
        memcpy(p->msisdn, msisdn, sizeof(msisdn));
    x->dirty = true;
    return SW_OK;
}

/* A command that arrived inside the SCP03 session, already unwrapped. */
static uint16_t isdp_secured(eu_ctx *x, eu_profile *p, const uint8_t *capdu, size_t len, rsp_buf *data)
{
    rsp_apdu a;
    if (rsp_apdu_parse(capdu, len, &a, NULL) != RSP_OK)
        return SW_WRONG_LENGTH;
    if (a.ins == 0xD8)
        return put_key(x, p, &a, data);
    if (a.ins == 0xE2) {
        uint16_t dgi;
        size_t hdr, vlen;
        if (rsp_keyest_dgi_parse(a.data, a.lc, &dgi, &hdr, &vlen, NULL) != RSP_OK || hdr + vlen != a.lc)
            return SW_BAD_DATA;
        if (dgi == 0x3A07)
            return connectivity(x, p, a.data + hdr, vlen);
        return SW_BAD_DATA;
    }
    return SW_INS;
}

rsp_err eu_isdp_exec(eu_ctx *x, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    eu_profile *p = eu_profile_by_tar(x->c->st, x->tar);
    eu_vol *v = eu_card_vol(x->c);
    if (!p || !v)
        return eu_answer(rapdu, NULL, 0, p ? SW_MEMORY_FAILURE : SW_NOT_FOUND);
    rsp_apdu a;
    rsp_apdu_parse(capdu, len, &a, NULL);
    if (a.cla == 0x80 && a.ins == 0xE2 && a.lc >= 2 && a.data[0] == 0x3A && (a.data[1] == 0x01 || a.data[1] == 0x02))
        return eu_keyest(x, p->tar, capdu, len, rapdu);
    if (a.cla == 0x80 && a.ins == 0x50) {
        if (!(p->flags & EU_PF_KEYS))
            return eu_answer(rapdu, NULL, 0, SW_NOT_FOUND);
        rsp_scp03_close(&v->s03);
        /* The sequence counter moves before the card challenge leaves, and is committed with it. */
        uint8_t aid[16];
        eu_isdp_aid(p->tar, aid);
        rsp_scp03_card_params cp = {.aid = aid, .aid_len = 16, .seq = (p->scp03_seq + 1) & 0xFFFFFF, .i_param = 0x70};
        rsp_buf resp = RSP_BUF_INIT;
        rsp_err e = rsp_scp03_card_init_update(&v->s03, &p->keys, &cp, capdu, len, &resp, NULL);
        if (!e) {
            p->scp03_seq = cp.seq;
            x->dirty = true;
            v->s03_tar = p->tar;
        } else {
            rsp_scp03_close(&v->s03);
            v->s03_tar = 0;
        }
        e = eu_answer(rapdu, e ? NULL : resp.data, e ? 0 : resp.len, e ? (e == RSP_ERR_NOT_FOUND ? SW_NOT_FOUND : SW_BAD_DATA) : SW_OK);
        rsp_buf_free(&resp);
        return e;
    }
    if ((a.cla & 0x04) == 0 || v->s03_tar != p->tar)
        return eu_answer(rapdu, NULL, 0, SW_SECURITY); /* ISD-P commands need the SCP03 session */
    if (a.ins == 0x82) {
        if (rsp_scp03_card_ext_auth(&v->s03, capdu, len, NULL) != RSP_OK) {
            rsp_scp03_close(&v->s03);
            v->s03_tar = 0;
            return eu_answer(rapdu, NULL, 0, SW_SECURITY);
        }
        return eu_answer(rapdu, NULL, 0, SW_OK);
    }
    rsp_buf plain = RSP_BUF_INIT, data = RSP_BUF_INIT;
    rsp_err e = v->s03.authenticated ? rsp_scp03_card_unwrap(&v->s03, capdu, len, &plain, NULL) : RSP_ERR_STATE;
    if (e) {
        rsp_scp03_close(&v->s03);
        v->s03_tar = 0;
        rsp_buf_free_secret(&plain);
        return eu_answer(rapdu, NULL, 0, SW_SECURITY);
    }
    uint16_t sw = isdp_secured(x, p, plain.data, plain.len, &data);
    e = rsp_scp03_card_wrap(&v->s03, sw == SW_OK ? data.data : NULL, sw == SW_OK ? data.len : 0, sw, rapdu);
    rsp_buf_free_secret(&plain);
    rsp_buf_free(&data);
    return e;
}
