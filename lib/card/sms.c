/* TPDUs and the ENVELOPE. Reassembly lives in sms_reasm.c. */
#include "rsp/sms.h"

#include <string.h>

#include "rsp/tlv.h"

static const char bcd_ext[] = "0123456789*#abc";

static int digit_nibble(char c)
{
    const char *p = c ? strchr(bcd_ext, c >= 'A' && c <= 'C' ? c + 32 : c) : NULL;
    return p ? (int)(p - bcd_ext) : -1;
}

rsp_err rsp_sms_addr_set(rsp_sms_addr *a, uint8_t toa, const char *digits)
{
    if (!a || !digits || strlen(digits) > RSP_SMS_ADDR_DIGITS_MAX)
        return RSP_ERR_INVAL;
    for (const char *c = digits; *c; c++)
        if (digit_nibble(*c) < 0)
            return RSP_ERR_INVAL;
    a->toa = toa;
    strcpy(a->digits, digits);
    return RSP_OK;
}

/* TOA then swapped BCD digits with an F filler. */
static rsp_err put_bcd(rsp_buf *out, const rsp_sms_addr *a)
{
    size_t n = strlen(a->digits);
    rsp_err e = rsp_buf_append_byte(out, a->toa);
    for (size_t i = 0; e == RSP_OK && i < n; i += 2) {
        int lo = digit_nibble(a->digits[i]), hi = i + 1 < n ? digit_nibble(a->digits[i + 1]) : 0xF;
        if (lo < 0 || hi < 0)
            return RSP_ERR_INVAL;
        e = rsp_buf_append_byte(out, (uint8_t)(hi << 4 | lo));
    }
    return e;
}

static rsp_err get_bcd(const uint8_t *p, size_t ndigits, uint8_t toa, rsp_sms_addr *a, size_t off, rsp_diag *d)
{
    if (ndigits > RSP_SMS_ADDR_DIGITS_MAX)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, off, "address of %zu digits (at most 20)", ndigits);
    a->toa = toa;
    for (size_t i = 0; i < ndigits; i++) {
        unsigned nib = (p[i / 2] >> ((i & 1) * 4)) & 0xF;
        if (nib == 0xF)
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, off + i / 2, "filler nibble F inside the address digits");
        a->digits[i] = bcd_ext[nib];
    }
    a->digits[ndigits] = '\0';
    return RSP_OK;
}

/* DCS groups of TS 23.038 whose user data are octets (8-bit or UCS2) rather than septets. */
static bool dcs_octets(uint8_t dcs)
{
    if ((dcs & 0xC0) == 0x00 || (dcs & 0xC0) == 0x40)
        return (dcs & 0x0C) != 0x00;
    if ((dcs & 0xF0) == 0xF0)
        return (dcs & 0x04) != 0;
    if ((dcs & 0xF0) == 0xE0)
        return true;
    return false;
}

rsp_err rsp_sms_tpdu_build(const rsp_sms_tpdu *t, rsp_buf *out)
{
    if (!t || !out || t->ud_len > RSP_SMS_UD_MAX || (t->ud_len && !t->ud) || (t->vp_len != 0 && t->vp_len != 1 && t->vp_len != 7))
        return RSP_ERR_INVAL;
    uint8_t fo = t->fo ? t->fo : (t->type == RSP_SMS_SUBMIT ? 0x41 : 0x40);
    fo = (uint8_t)((fo & ~0x03) | (t->type == RSP_SMS_SUBMIT ? 0x01 : 0x00));
    if (t->type == RSP_SMS_SUBMIT) {
        fo &= (uint8_t)~0x18;
        fo |= t->vp_len == 1 ? 0x10 : t->vp_len == 7 ? 0x18 : 0x00;
    }
    rsp_err e = rsp_buf_append_byte(out, fo);
    if (e == RSP_OK && t->type == RSP_SMS_SUBMIT)
        e = rsp_buf_append_byte(out, t->mr);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(out, (uint8_t)strlen(t->addr.digits));
    if (e == RSP_OK)
        e = put_bcd(out, &t->addr);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(out, t->pid ? t->pid : RSP_SMS_PID_SIM_DOWNLOAD);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(out, t->dcs ? t->dcs : RSP_SMS_DCS_8BIT_CLASS2);
    if (e == RSP_OK && t->type == RSP_SMS_DELIVER)
        e = rsp_buf_append(out, t->scts, 7);
    if (e == RSP_OK && t->type == RSP_SMS_SUBMIT && t->vp_len)
        e = rsp_buf_append(out, t->vp, t->vp_len);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(out, (uint8_t)t->ud_len);
    if (e == RSP_OK && t->ud_len)
        e = rsp_buf_append(out, t->ud, t->ud_len);
    return e;
}

rsp_err rsp_sms_tpdu_parse(const uint8_t *p, size_t len, rsp_sms_tpdu *t, rsp_diag *d)
{
    if (!t || (!p && len))
        return RSP_ERR_INVAL;
    memset(t, 0, sizeof(*t));
    size_t i = 0;
#define NEED(n, what)                                                                                           \
    do {                                                                                                        \
        if (len - i < (size_t)(n))                                                                              \
            return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, len, "TPDU truncated in %s (needs %zu bytes at %zu)", what, \
                                   (size_t)(n), i);                                                            \
    } while (0)
    NEED(1, "first octet");
    t->fo = p[i++];
    switch (t->fo & 0x03) {
    case 0x00: t->type = RSP_SMS_DELIVER; break;
    case 0x01: t->type = RSP_SMS_SUBMIT; break;
    default:
        return rsp_diag_set_at(d, RSP_ERR_UNSUPPORTED, 0, "TP-MTI %u is neither SMS-DELIVER nor SMS-SUBMIT", t->fo & 3);
    }
    if (t->type == RSP_SMS_SUBMIT) {
        NEED(1, "TP-MR");
        t->mr = p[i++];
    }
    NEED(2, "address");
    size_t nd = p[i];
    uint8_t toa = p[i + 1];
    i += 2;
    NEED((nd + 1) / 2, "address digits");
    rsp_err e = get_bcd(p + i, nd, toa, &t->addr, i, d);
    if (e != RSP_OK)
        return e;
    i += (nd + 1) / 2;
    NEED(2, "PID/DCS");
    t->pid = p[i++];
    t->dcs = p[i++];
    if (t->type == RSP_SMS_DELIVER) {
        NEED(7, "TP-SCTS");
        memcpy(t->scts, p + i, 7);
        i += 7;
    } else {
        unsigned vpf = (t->fo >> 3) & 3;
        t->vp_len = vpf == 0 ? 0 : vpf == 2 ? 1 : 7;
        NEED(t->vp_len, "TP-VP");
        memcpy(t->vp, p + i, t->vp_len);
        i += t->vp_len;
    }
    NEED(1, "TP-UDL");
    size_t udl = p[i++];
    if (!dcs_octets(t->dcs))
        return rsp_diag_set_at(d, RSP_ERR_UNSUPPORTED, i - 2, "DCS %02X: 7-bit user data not supported (OTA uses 8-bit)",
                               t->dcs);
    if (udl > RSP_SMS_UD_MAX)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, i - 1, "TP-UDL %zu exceeds 140 octets", udl);
    if (udl > len - i)
        return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, len, "TPDU truncated: TP-UDL says %zu octets, %zu present", udl,
                               len - i);
    if (udl < len - i)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, i - 1, "TP-UDL %02zX says %zu octets but %zu follow", udl, udl,
                               len - i);
#undef NEED
    t->ud = udl ? p + i : NULL;
    t->ud_len = udl;
    return RSP_OK;
}

rsp_err rsp_sms_udh_parse(const uint8_t *ud, size_t len, rsp_sms_udh *out, rsp_diag *d)
{
    if (!out || (!ud && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (len < 1)
        return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, 0, "user data has no UDH length byte");
    size_t udhl = ud[0];
    if (udhl + 1 > len)
        return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, len, "UDHL %zu exceeds the %zu octets of user data", udhl, len);
    out->len = udhl + 1;
    for (size_t i = 1; i < udhl + 1;) {
        if (i + 2 > udhl + 1)
            return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, i, "UDH information element truncated");
        uint8_t iei = ud[i], l = ud[i + 1];
        const uint8_t *v = ud + i + 2;
        if (i + 2 + l > udhl + 1)
            return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, i, "UDH IE %02X of length %u overruns the UDH", iei, l);
        if (iei == RSP_SMS_IEI_CONCAT8 || iei == RSP_SMS_IEI_CONCAT16) {
            bool r16 = iei == RSP_SMS_IEI_CONCAT16;
            if (l != (r16 ? 4 : 3))
                return rsp_diag_set_at(d, RSP_ERR_FORMAT, i, "concatenation IE %02X has length %u", iei, l);
            out->concat = true;
            out->ref16 = r16;
            out->ref = r16 ? rsp_be16(v) : v[0];
            out->total = v[l - 2];
            out->seq = v[l - 1];
            if (out->total == 0 || out->seq == 0 || out->seq > out->total)
                return rsp_diag_set_at(d, RSP_ERR_FORMAT, i, "concatenation part %u of %u", out->seq, out->total);
        } else if (iei == RSP_SMS_IEI_CMD_PKT || iei == RSP_SMS_IEI_RESP_PKT) {
            out->spkt_iei = iei;
        }
        i += 2 + (size_t)l;
    }
    return RSP_OK;
}

rsp_err rsp_sms_split(const uint8_t *pkt, size_t len, uint8_t iei, uint16_t ref, bool ref16, rsp_buf *parts,
                      size_t max, size_t *n, rsp_diag *d)
{
    if (!parts || !n || (!pkt && len) || max == 0)
        return RSP_ERR_INVAL;
    *n = 0;
    if (len + 3 <= RSP_SMS_UD_MAX) {
        uint8_t h[3] = {0x02, iei, 0x00};
        rsp_buf_reset(&parts[0]);
        rsp_err e = rsp_buf_append(&parts[0], h, 3);
        if (e == RSP_OK)
            e = rsp_buf_append(&parts[0], pkt, len);
        if (e == RSP_OK)
            *n = 1;
        return e;
    }
    size_t cie = ref16 ? 6 : 5; /* concatenation IE with its IEI and length */
    size_t first = RSP_SMS_UD_MAX - (1 + 2 + cie), later = RSP_SMS_UD_MAX - (1 + cie);
    size_t total = 1 + (len - first + later - 1) / later;
    if (total > 255)
        return rsp_diag_set(d, RSP_ERR_RANGE, "packet of %zu bytes needs %zu SMS (at most 255)", len, total);
    if (total > max)
        return rsp_diag_set(d, RSP_ERR_OVERFLOW, "packet needs %zu SMS, room for %zu", total, max);
    size_t off = 0;
    for (size_t i = 0; i < total; i++) {
        rsp_buf *b = &parts[i];
        rsp_buf_reset(b);
        uint8_t h[16], k = 0;
        h[k++] = (uint8_t)((i == 0 ? 2 : 0) + cie);
        if (i == 0) {
            h[k++] = iei;
            h[k++] = 0x00;
        }
        h[k++] = ref16 ? RSP_SMS_IEI_CONCAT16 : RSP_SMS_IEI_CONCAT8;
        h[k++] = ref16 ? 4 : 3;
        if (ref16)
            h[k++] = (uint8_t)(ref >> 8);
        h[k++] = (uint8_t)ref;
        h[k++] = (uint8_t)total;
        h[k++] = (uint8_t)(i + 1);
        size_t chunk = i == 0 ? first : later;
        if (chunk > len - off)
            chunk = len - off;
        rsp_err e = rsp_buf_append(b, h, k);
        if (e == RSP_OK)
            e = rsp_buf_append(b, pkt + off, chunk);
        if (e != RSP_OK)
            return e;
        off += chunk;
    }
    *n = total;
    return RSP_OK;
}

/* Comprehension-TLV tags of TS 102 223: the CR bit (80) may or may not be set. */
static bool ctag_is(uint8_t tag, uint8_t want)
{
    return (tag & 0x7F) == want;
}

rsp_err rsp_sms_envelope_build(const rsp_sms_addr *smsc, const uint8_t *tpdu, size_t len, rsp_buf *out)
{
    if (!out || (!tpdu && len) || len > 255)
        return RSP_ERR_INVAL;
    rsp_buf body = RSP_BUF_INIT;
    static const uint8_t dev[4] = {0x82, 0x02, 0x83, 0x81};
    rsp_err e = rsp_buf_append(&body, dev, 4);
    if (e == RSP_OK && smsc) {
        rsp_buf a = RSP_BUF_INIT;
        e = put_bcd(&a, smsc);
        if (e == RSP_OK && (e = rsp_buf_append_byte(&body, 0x86)) == RSP_OK && (e = rsp_buf_append_byte(&body, (uint8_t)a.len)) == RSP_OK)
            e = rsp_buf_append(&body, a.data, a.len);
        rsp_buf_free(&a);
    }
    if (e == RSP_OK)
        e = rsp_buf_append_byte(&body, 0x8B);
    if (e == RSP_OK && len > 127)
        e = rsp_buf_append_byte(&body, 0x81);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(&body, (uint8_t)len);
    if (e == RSP_OK)
        e = rsp_buf_append(&body, tpdu, len);
    size_t dlen = body.len + 2 + (body.len > 127);
    if (e == RSP_OK && dlen > 255)
        e = RSP_ERR_RANGE;
    uint8_t h[8] = {0x80, 0xC2, 0x00, 0x00, (uint8_t)dlen, 0xD1}, k = 6;
    if (body.len > 127)
        h[k++] = 0x81;
    h[k++] = (uint8_t)body.len;
    if (e == RSP_OK)
        e = rsp_buf_append(out, h, k);
    if (e == RSP_OK)
        e = rsp_buf_append(out, body.data, body.len);
    rsp_buf_free(&body);
    return e;
}

rsp_err rsp_sms_envelope_parse(const uint8_t *p, size_t len, rsp_sms_envelope *out, rsp_diag *d)
{
    if (!out || (!p && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    size_t base = 0;
    if (len >= 2 && p[0] == 0x80 && p[1] == 0xC2) {
        if (len < 6)
            return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, len, "ENVELOPE shorter than its header");
        size_t lc = p[4];
        if (len < 5 + lc)
            return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, len, "ENVELOPE truncated: Lc %zu, %zu present", lc, len - 5);
        if (len > 6 + lc)
            return rsp_diag_set_at(d, RSP_ERR_LENGTH, 5 + lc, "ENVELOPE has %zu bytes after Lc data", len - 5 - lc);
        base = 5;
        len = 5 + lc;
    }
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e = rsp_tlv_parse(p + base, len - base, 0, &t, d);
    if (e != RSP_OK)
        return e;
    if (t.tag != 0xD1)
        return rsp_diag_set_at(d, RSP_ERR_TAG, base, "tag %02X: an SMS-PP download ENVELOPE is D1", (unsigned)t.tag);
    if (t.raw_len != len - base)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, base + t.raw_len, "%zu bytes after the D1 TLV", len - base - t.raw_len);
    size_t vbase = base + (size_t)(t.value - (p + base));
    /* Simple-TLV inside: one-byte tags, BER-style lengths (81 xx above 127). */
    rsp_tlv_reader_init(&r, t.value, t.len, 0);
    r.base = vbase;
    bool has_dev = false;
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        uint8_t tag = (uint8_t)t.tag;
        if (t.tag_len != 1)
            continue;
        if (ctag_is(tag, 0x02)) {
            if (t.len != 2)
                return rsp_diag_set_at(d, RSP_ERR_LENGTH, vbase + t.offset, "device identities of length %zu", t.len);
            out->dev_src = t.value[0];
            out->dev_dst = t.value[1];
            has_dev = true;
        } else if (ctag_is(tag, 0x06)) {
            if (t.len < 1)
                return rsp_diag_set_at(d, RSP_ERR_LENGTH, vbase + t.offset, "empty address TLV");
            size_t nd = (t.len - 1) * 2;
            if (nd && (t.value[t.len - 1] >> 4) == 0xF)
                nd--;
            if ((e = get_bcd(t.value + 1, nd, t.value[0], &out->smsc, vbase + t.offset, d)) != RSP_OK)
                return e;
            out->has_smsc = true;
        } else if (ctag_is(tag, 0x0B)) {
            out->tpdu = t.value;
            out->tpdu_len = t.len;
        }
    }
    if (e != RSP_ERR_END) {
        if (d)
            *d = r.diag;
        return e;
    }
    if (!has_dev)
        return rsp_diag_set_at(d, RSP_ERR_TAG, vbase, "ENVELOPE without device identities (82)");
    if (!out->tpdu)
        return rsp_diag_set_at(d, RSP_ERR_TAG, vbase, "ENVELOPE without an SMS TPDU (8B)");
    return RSP_OK;
}
