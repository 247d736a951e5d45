/* The ISD-R: platform management (SGP02.md ES5). Each handler checks everything before it changes
 * anything, so a refused command leaves the state as it was; the status words are those of the spec
 * notes (table in docs/modules/euicc.md). */
#include <string.h>

#include "euicc_int.h"
#include "rsp/apdu.h"
#include "rsp/crypto.h"
#include "rsp/tlv.h"

/* Reads one length-value field (GP INSTALL data). */
static bool lv(const uint8_t *p, size_t len, size_t *pos, const uint8_t **v, size_t *vlen)
{
    if (*pos >= len || p[*pos] > len - *pos - 1)
        return false;
    *vlen = p[*pos];
    *v = p + *pos + 1;
    *pos += 1 + *vlen;
    return true;
}

static int64_t free_memory(const eu_state *st)
{
    int64_t used = 0;
    for (unsigned i = 0; i < st->np; i++)
        used += st->p[i].quota;
    return st->memory - used;
}

/* INSTALL [for install and make selectable]: creates an ISD-P. */
static uint16_t install_create(eu_ctx *x, const rsp_apdu *a)
{
    const uint8_t *lf, *mod, *inst, *priv, *par, *tok;
    size_t lfl, modl, instl, privl, parl, tokl, pos = 0;
    if (!lv(a->data, a->lc, &pos, &lf, &lfl) || !lv(a->data, a->lc, &pos, &mod, &modl) ||
        !lv(a->data, a->lc, &pos, &inst, &instl) || !lv(a->data, a->lc, &pos, &priv, &privl) ||
        !lv(a->data, a->lc, &pos, &par, &parl) || !lv(a->data, a->lc, &pos, &tok, &tokl) || pos != a->lc)
        return SW_BAD_DATA;
    rsp_aid lfa, moda, insta;
    if (rsp_aid_from_bytes(lf, lfl, &lfa) || rsp_aid_from_bytes(mod, modl, &moda) ||
        rsp_aid_from_bytes(inst, instl, &insta))
        return SW_BAD_DATA;
    if (!rsp_aid_eq(&lfa, &RSP_AID_ISDP_LOADFILE) || !rsp_aid_eq(&moda, &RSP_AID_ISDP_MODULE))
        return SW_NOT_FOUND;
    uint32_t tar;
    if (rsp_aid_isdp_tar(&insta, &tar) != RSP_OK || tar < 0x10 || tar > 0xFFFF)
        return SW_BAD_DATA;
    /* Install parameters: C9 (application specific) and optionally EF{83 quota}. */
    int64_t quota = EU_DEFAULT_QUOTA;
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    rsp_tlv_reader_init(&r, par, parl, 0);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (t.tag != 0xEF)
            continue;
        rsp_tlv q;
        if (rsp_tlv_find(t.value, t.len, 0x83, &q) == RSP_OK) {
            if (q.len == 0 || q.len > 4)
                return SW_BAD_DATA;
            quota = 0;
            for (size_t i = 0; i < q.len; i++)
                quota = quota << 8 | q.value[i];
        }
    }
    if (e != RSP_ERR_END)
        return SW_BAD_DATA;
    eu_state *st = x->c->st;
    if (eu_profile_by_tar(st, tar))
        return SW_COND;
    if (quota > free_memory(st) || st->np >= EU_MAX_PROFILES)
        return SW_NO_MEMORY;
    eu_profile *p = eu_profile_add(st);
    if (!p)
        return SW_NO_MEMORY;
    p->tar = tar;
    p->lcs = EU_LCS_CREATED;
    p->quota = quota;
    x->dirty = true;
    return SW_OK;
}

/* INSTALL [for personalization]: names the ISD-P that the following STORE DATAs of this session go to.
 * The ISD-R's own AID names the ISD-R again (perso_tar 0): the SM-SR change sends EstablishISDRKeySet
 * through the same two-command SendData as ES8 by SMS (lib/smsr/change_isdr.c), so a key establishment
 * an earlier download left pointed at an ISD-P is pointed back at the ISD-R. */
static uint16_t install_perso(eu_ctx *x, const rsp_apdu *a)
{
    const uint8_t *v[3];
    size_t vl[3], pos = 0;
    for (int i = 0; i < 3; i++)
        if (!lv(a->data, a->lc, &pos, &v[i], &vl[i]))
            return SW_BAD_DATA;
    bool isdr = vl[2] == RSP_AID_ISDR.len && memcmp(v[2], RSP_AID_ISDR.b, vl[2]) == 0;
    eu_profile *p = isdr ? NULL : eu_profile_by_aid(x->c->st, v[2], vl[2]);
    if (!p && !isdr)
        return SW_NOT_FOUND;
    eu_vol *vol = eu_card_vol(x->c);
    if (!vol)
        return SW_MEMORY_FAILURE;
    vol->perso_tar = isdr ? 0 : p->tar;
    return SW_OK;
}

/* 3A07 on the ISD-R: SM-SR addressing parameters A3{...}; 81 {TOA, BCD} is the SMS address (ours). */
static uint16_t smsr_addressing(eu_ctx *x, const uint8_t *v, size_t len)
{
    rsp_tlv t, a;
    if (rsp_tlv_expect(v, len, 0xA3, &t, NULL) != RSP_OK || t.len > sizeof(x->c->st->smsr_addr))
        return SW_BAD_DATA;
    char digits[24] = "";
    if (rsp_tlv_find(t.value, t.len, 0x81, &a) == RSP_OK) {
        if (a.len < 2 || a.len > 11 || rsp_bcd_swap_decode(a.value + 1, a.len - 1, digits, sizeof(digits)) != RSP_OK)
            return SW_BAD_DATA;
    }
    eu_state *st = x->c->st;
    memcpy(st->smsr_addr, t.value, t.len);
    st->smsr_addr_len = (uint8_t)t.len;
    if (digits[0])
        memcpy(st->smsr_msisdn, digits, sizeof(digits));
    x->dirty = true;
    return SW_OK;
}

/* 3A08: notification confirmation. Answers 80 L {4F AID}* (the ISD-Ps deleted by POL1 "delete when
 * disabled"); a repeated confirmation gets the same answer again. */
static uint16_t notif_confirm(eu_ctx *x, const uint8_t *v, size_t len, rsp_buf *data)
{
    rsp_tlv t;
    if (rsp_tlv_expect(v, len, 0x4E, &t, NULL) != RSP_OK || t.len != 2)
        return SW_BAD_DATA;
    eu_state *st = x->c->st;
    uint16_t seq = rsp_be16(t.value);
    int idx = -1;
    for (unsigned i = 0; i < st->nn; i++)
        if (st->n[i].seq == seq)
            idx = (int)i;
    if (idx < 0) {
        if (seq == 0 || (uint16_t)(st->notif_seq - seq) >= 0x8000)
            return SW_NOT_FOUND; /* never issued */
        uint8_t hdr[2] = {0x80, 0};
        if (seq != st->conf_seq)
            return rsp_buf_append(data, hdr, 2) ? SW_MEMORY_FAILURE : SW_OK;
    } else {
        uint32_t from = st->n[idx].from;
        memmove(&st->n[idx], &st->n[idx + 1], (st->nn - (unsigned)idx - 1u) * sizeof(st->n[0]));
        st->nn--;
        if (seq == st->switch_seq)
            st->switch_from = 0, st->switch_seq = 0;
        st->conf_seq = seq;
        st->conf_n = 0;
        for (unsigned i = 0; i < st->np;) {
            eu_profile *p = &st->p[i];
            /* POL1 "delete when disabled" applies to the profile this switch disabled. */
            if (p->tar == from && p->lcs == EU_LCS_DISABLED && (p->pol1 & EU_POL1_DELETE_WHEN_DISABLED) &&
                !(p->flags & EU_PF_FALLBACK)) {
                st->conf_deleted[st->conf_n++] = p->tar;
                eu_profile_remove(st, p->tar);
                continue;
            }
            i++;
        }
        x->dirty = true;
    }
    size_t mark;
    rsp_err e = rsp_tlv_begin(data, 0x80, &mark);
    for (unsigned i = 0; !e && i < st->conf_n; i++) {
        uint8_t aid[16];
        eu_isdp_aid(st->conf_deleted[i], aid);
        e = rsp_tlv_put(data, 0x4F, aid, 16);
    }
    e = e ? e : rsp_tlv_end(data, mark);
    return e ? SW_MEMORY_FAILURE : SW_OK;
}

/* 3A06 (OpenRSP's encoding, docs/ENCODINGS.md): 4F AID, [80 01 emergency 00|01], [81 01 test 00|01]. */
static uint16_t special_attr(eu_ctx *x, eu_profile *p, const uint8_t *rest, size_t len)
{
    int emerg = -1, test = -1;
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    rsp_tlv_reader_init(&r, rest, len, 0);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if ((t.tag != 0x80 && t.tag != 0x81) || t.len != 1 || t.value[0] > 1)
            return SW_BAD_DATA;
        *(t.tag == 0x80 ? &emerg : &test) = t.value[0];
    }
    if (e != RSP_ERR_END || (emerg < 0 && test < 0))
        return SW_BAD_DATA;
    if (x->local)
        return SW_SECURITY;
    if (p->lcs == EU_LCS_CREATED || (emerg == 1 && (p->flags & EU_PF_FALLBACK)))
        return SW_COND;     /* the emergency profile is never the fall-back profile */
    eu_profile *cur = eu_profile_enabled(x->c->st);
    if (cur == p && ((emerg == 0 && (p->flags & EU_PF_EMERGENCY)) || (test == 0 && (p->flags & EU_PF_TEST))))
        return SW_COND;     /* not while it is in use as such */
    eu_state *st = x->c->st;
    if (emerg == 1)         /* one emergency profile at most: the attribute moves */
        for (unsigned i = 0; i < st->np; i++)
            st->p[i].flags &= (uint8_t)~EU_PF_EMERGENCY;
    if (emerg >= 0)
        p->flags = (uint8_t)(emerg ? p->flags | EU_PF_EMERGENCY : p->flags & ~EU_PF_EMERGENCY);
    if (test >= 0)
        p->flags = (uint8_t)(test ? p->flags | EU_PF_TEST : p->flags & ~EU_PF_TEST);
    x->dirty = true;
    return SW_OK;
}

static rsp_err store_data(eu_ctx *x, const rsp_apdu *a, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    uint16_t dgi;
    size_t hdr, vlen;
    if (a->lc < 3 || rsp_keyest_dgi_parse(a->data, a->lc, &dgi, &hdr, &vlen, NULL) != RSP_OK)
        return eu_answer(rapdu, NULL, 0, SW_BAD_DATA);
    if (dgi == 0x3A01 || dgi == 0x3A02) {
        if (x->local)
            return eu_answer(rapdu, NULL, 0, SW_SECURITY);
        eu_vol *v = eu_card_vol(x->c);
        return eu_keyest(x, v && v->perso_tar ? v->perso_tar : EU_TAR_ISDR, capdu, len, rapdu);
    }
    if (hdr + vlen != a->lc)
        return eu_answer(rapdu, NULL, 0, SW_BAD_DATA);
    const uint8_t *v = a->data + hdr;
    rsp_buf data = RSP_BUF_INIT;
    uint16_t sw;
    if (dgi == 0x3A07) {
        sw = x->local ? SW_SECURITY : smsr_addressing(x, v, vlen);
    } else if (dgi == 0x3A08) {
        sw = x->local ? SW_SECURITY : notif_confirm(x, v, vlen, &data);
    } else if (dgi >= 0x3A03 && dgi <= 0x3A06) {
        rsp_tlv t;
        if (rsp_tlv_parse(v, vlen, 0, &t, NULL) != RSP_OK || t.tag != 0x4F ||
            (dgi != 0x3A06 && t.raw_len != vlen)) {
            sw = SW_BAD_DATA;
        } else {
            eu_profile *p = eu_profile_by_aid(x->c->st, t.value, t.len);
            if (!p)
                sw = SW_NOT_FOUND;
            else if (dgi == 0x3A03)
                sw = eu_pol_enable(x, p);
            else if (dgi == 0x3A04)
                sw = eu_pol_disable(x, p);
            else if (dgi == 0x3A05)
                sw = eu_pol_fallback_attr(x, p);
            else
                sw = special_attr(x, p, v + t.raw_len, vlen - t.raw_len);
            if (sw == SW_OK)
                x->dirty = true;
        }
    } else {
        sw = SW_BAD_DATA;
    }
    rsp_err e = eu_answer(rapdu, sw == SW_OK ? data.data : NULL, sw == SW_OK ? data.len : 0, sw);
    rsp_buf_free(&data);
    return e;
}

/* DELETE of an ISD-P (plain or master delete with the token), or of key sets (FinaliseISDRhandover). */
static uint16_t delete_cmd(eu_ctx *x, const rsp_apdu *a)
{
    eu_state *st = x->c->st;
    if (x->local)
        return SW_SECURITY;
    if (a->lc < 2 || a->p1 != 0x00)
        return a->p1 ? SW_BAD_P1P2 : SW_BAD_DATA;
    if (a->data[0] == 0xF2) {
        /* {F2 03 KVN first-key last-key}*: check all, then delete. */
        uint8_t kvns[8];
        size_t n = 0;
        for (size_t pos = 0; pos < a->lc; pos += 5) {
            if (a->lc - pos < 5 || a->data[pos] != 0xF2 || a->data[pos + 1] != 3 || n == 8)
                return SW_BAD_DATA;
            uint8_t kvn = a->data[pos + 2];
            bool found = false;
            for (unsigned i = 0; i < st->n80; i++)
                found |= st->s80[i].kvn == kvn;
            for (unsigned i = 0; i < st->n81; i++)
                found |= st->s81[i].kvn == kvn;
            if (!found)
                return SW_NOT_FOUND;
            kvns[n++] = kvn;
        }
        unsigned left80 = 0; /* SCP80 key sets not named (a KVN named twice counts once) */
        for (unsigned i = 0; i < st->n80; i++) {
            bool named = false;
            for (size_t k = 0; k < n; k++)
                named |= st->s80[i].kvn == kvns[k];
            left80 += !named;
        }
        if (left80 == 0)
            return SW_COND; /* the card would be unreachable */
        for (size_t k = 0; k < n; k++) {
            for (unsigned i = 0; i < st->n80; i++)
                if (st->s80[i].kvn == kvns[k]) {
                    rsp_wipe(&st->s80[i], sizeof(st->s80[i]));
                    memmove(&st->s80[i], &st->s80[i + 1], (st->n80 - i - 1u) * sizeof(st->s80[0]));
                    st->n80--;
                    break;
                }
            for (unsigned i = 0; i < st->n81; i++)
                if (st->s81[i].kvn == kvns[k]) {
                    rsp_wipe(&st->s81[i], sizeof(st->s81[i]));
                    memmove(&st->s81[i], &st->s81[i + 1], (st->n81 - i - 1u) * sizeof(st->s81[0]));
                    st->n81--;
                    break;
                }
        }
        x->dirty = true;
        return SW_OK;
    }
    rsp_tlv aid, b6, tok;
    if (rsp_tlv_parse(a->data, a->lc, 0, &aid, NULL) != RSP_OK || aid.tag != 0x4F)
        return SW_BAD_DATA;
    bool master = aid.raw_len < a->lc;
    if (master) {
        size_t off = aid.raw_len;
        if (rsp_tlv_parse(a->data + off, a->lc - off, 0, &b6, NULL) != RSP_OK || b6.tag != 0xB6)
            return SW_BAD_DATA;
        off += b6.raw_len;
        if (rsp_tlv_parse(a->data + off, a->lc - off, 0, &tok, NULL) != RSP_OK || tok.tag != 0x9E ||
            off + tok.raw_len != a->lc || (tok.len != 8 && tok.len != 16))
            return SW_BAD_DATA;
    }
    eu_profile *p = eu_profile_by_aid(st, aid.value, aid.len);
    if (!p)
        return SW_NOT_FOUND;
    if (master) {
        /* Token = AES-CMAC(token key, P1 P2 Lc' 4F.. B6..) (SGP02.md), compared on its length. */
        if (!(p->flags & EU_PF_TOKEN))
            return SW_SECURITY;
        size_t signed_len = aid.raw_len + b6.raw_len;
        uint8_t hdr[3] = {a->p1, a->p2, (uint8_t)signed_len}, mac[16];
        rsp_bytes parts[2] = {{hdr, 3}, {a->data, signed_len}};
        if (signed_len > 255 || rsp_aes_cmac_parts(p->token, 16, parts, 2, mac) != RSP_OK ||
            !rsp_ct_equal(mac, tok.value, tok.len))
            return SW_SECURITY;
    }
    uint16_t sw = eu_pol_delete(x, p, master);
    if (sw == SW_OK)
        x->dirty = true;
    return sw;
}

static rsp_err get_status(eu_ctx *x, const rsp_apdu *a, rsp_buf *rapdu)
{
    if (a->p1 != 0x40 || (a->p2 & 0xFE) != 0x02)
        return eu_answer(rapdu, NULL, 0, SW_BAD_P1P2);
    rsp_tlv t;
    if (a->lc < 2 || rsp_tlv_parse(a->data, a->lc, 0, &t, NULL) != RSP_OK || t.tag != 0x4F)
        return eu_answer(rapdu, NULL, 0, SW_BAD_DATA);
    eu_state *st = x->c->st;
    rsp_buf out = RSP_BUF_INIT;
    rsp_err e = RSP_OK;
    size_t hits = 0;
    for (unsigned i = 0; !e && i < st->np; i++) {
        const eu_profile *p = &st->p[i];
        uint8_t aid[16];
        eu_isdp_aid(p->tar, aid);
        if (t.len && (t.len > 16 || memcmp(aid, t.value, t.len) != 0))
            continue;
        uint8_t q[4], r[4];
        rsp_put_be32(q, (uint32_t)p->quota);
        rsp_put_be32(r, (uint32_t)(p->quota - p->used));
        size_t mark;
        e = rsp_tlv_begin(&out, 0xE3, &mark);
        e = e ? e : rsp_tlv_put(&out, 0x4F, aid, 16);
        e = e ? e : rsp_tlv_put_u8(&out, 0x9F70, p->lcs);
        e = e ? e : rsp_tlv_put_u8(&out, 0x53, (uint8_t)(p->flags & (EU_PF_FALLBACK | EU_PF_EMERGENCY | EU_PF_TEST)));
        e = e ? e : rsp_tlv_put(&out, 0x8F, q, 4);
        e = e ? e : rsp_tlv_put(&out, 0x91, r, 4);
        e = e ? e : rsp_tlv_end(&out, mark);
        hits++;
    }
    e = e ? e : eu_answer(rapdu, out.data, hits ? out.len : 0, hits ? SW_OK : SW_NOT_FOUND);
    rsp_buf_free(&out);
    return e;
}

static rsp_err get_data(eu_ctx *x, const rsp_apdu *a, rsp_buf *rapdu)
{
    if (a->apdu_case == 3 || a->apdu_case == 4)
        return eu_answer(rapdu, NULL, 0, SW_WRONG_LENGTH);
    if (a->p1 != 0xFF || a->p2 != 0x21)
        return eu_answer(rapdu, NULL, 0, SW_NOT_FOUND);
    int64_t fm = free_memory(x->c->st);
    uint8_t d[] = {0xFF, 0x21, 0x0D, 0x81, 0x01, x->c->st->np, 0x82, 0x04, 0, 0, 0, 0, 0x83, 0x02, 0x10, 0x00};
    rsp_put_be32(d + 8, (uint32_t)(fm > 0 ? fm : 0));
    return eu_answer(rapdu, d, sizeof(d), SW_OK);
}

rsp_err eu_isdr_exec(eu_ctx *x, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    rsp_apdu a;
    rsp_apdu_parse(capdu, len, &a, NULL);
    if (!(a.cla & 0x80) && !(a.ins == 0xCA && a.cla == 0x00))
        return eu_answer(rapdu, NULL, 0, SW_CLA);
    /* After INSTALL [for personalization] of an ISD-P in this script, the SM-DP's SCP03 session
     * (INITIALIZE UPDATE, and every command with secure messaging: EXTERNAL AUTHENTICATE, wrapped PUT
     * KEY / STORE DATA 3A07) goes to that ISD-P: ES3 carries it to the ISD-R with the INSTALL first
     * (lib/smsr/es3.c), as it does for ES8 key establishment. Plain ISD-R commands stay here. */
    if (!x->local && x->c->vol && x->c->vol->perso_tar && (a.ins == 0x50 || (a.cla & 0x04))) {
        uint32_t own = x->tar;
        x->tar = x->c->vol->perso_tar;
        rsp_err e = eu_isdp_exec(x, capdu, len, rapdu);
        x->tar = own;
        return e;
    }
    bool needs_data = a.ins == 0xE6 || a.ins == 0xE2 || a.ins == 0xE4 || a.ins == 0xF2;
    if (needs_data && a.lc == 0)
        return eu_answer(rapdu, NULL, 0, SW_WRONG_LENGTH);
    switch (a.ins) {
    case 0xE6:
        if (x->local)
            return eu_answer(rapdu, NULL, 0, SW_SECURITY);
        if (a.p1 == 0x0C)
            return eu_answer(rapdu, NULL, 0, install_create(x, &a));
        if (a.p1 == 0x20)
            return eu_answer(rapdu, NULL, 0, install_perso(x, &a));
        return eu_answer(rapdu, NULL, 0, SW_BAD_P1P2);
    case 0xE2:
        return store_data(x, &a, capdu, len, rapdu);
    case 0xE4:
        return eu_answer(rapdu, NULL, 0, delete_cmd(x, &a));
    case 0xF2:
        return get_status(x, &a, rapdu);
    case 0xCA:
        return get_data(x, &a, rapdu);
    default:
        return eu_answer(rapdu, NULL, 0, SW_INS);
    }
}
