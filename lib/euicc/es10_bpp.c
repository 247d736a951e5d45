/* ES10 codecs of the BoundProfilePackage pieces (es10.h §es10_bpp.c): InitialiseSecureChannel (BF23),
 * ConfigureISDP (BF24), StoreMetadata (BF25, with notificationConfigurationInfo and PprIds),
 * ReplaceSessionKeys (BF26), and the split of a whole BF36 into the ES10 commands an LPA sends.
 * SGP22.md §"Bound profile package", §"ASN.1 tag maps", §Signatures (smdpSign). */
#include <string.h>

#include "es10_int.h"

rsp_err rsp_es10_init_sc_tbs_encode(const rsp_es10_init_sc *in, rsp_buf *out)
{
    if (in->transaction_id.len < 1 || in->transaction_id.len > RSP_ES10_MAX_TID || in->host_id.len < 1 ||
        in->host_id.len > 16 || in->smdp_otpk.len != RSP_ES10_POINT_LEN)
        return RSP_ERR_INVAL;
    size_t m = 0;
    rsp_err e = es10_put_int(out, 0x82, in->remote_op);
    e = e ? e : rsp_tlv_put(out, 0x80, in->transaction_id.p, in->transaction_id.len);
    e = e ? e : rsp_tlv_begin(out, 0xA6, &m);
    e = e ? e : rsp_tlv_put_u8(out, 0x80, (uint8_t)in->key_type);
    e = e ? e : rsp_tlv_put_u8(out, 0x81, (uint8_t)in->key_len);
    e = e ? e : rsp_tlv_put(out, 0x84, in->host_id.p, in->host_id.len);
    e = e ? e : rsp_tlv_end(out, m);
    return e ? e : rsp_tlv_put(out, 0x5F49, in->smdp_otpk.p, in->smdp_otpk.len);
}

rsp_err rsp_es10_init_sc_signed_data(rsp_bytes tbs, const uint8_t euicc_otpk[RSP_ES10_POINT_LEN], rsp_buf *out)
{
    rsp_err e = rsp_buf_append(out, tbs.p, tbs.len);
    return e ? e : rsp_tlv_put(out, 0x5F49, euicc_otpk, RSP_ES10_POINT_LEN);
}

rsp_err rsp_es10_init_sc_encode(rsp_bytes tbs, const uint8_t sig[RSP_ES10_SIG_LEN], rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, 0xBF23, &m);
    e = e ? e : rsp_buf_append(out, tbs.p, tbs.len);
    e = e ? e : rsp_tlv_put(out, 0x5F37, sig, RSP_ES10_SIG_LEN);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_init_sc_decode(const uint8_t *p, size_t len, rsp_es10_init_sc *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv t, c;
    rsp_bytes op, crt, kt, kl;
    es10_field f[] = {{0x82, 0, 1, 4, &op},
                      {0x80, 0, 1, RSP_ES10_MAX_TID, &out->transaction_id},
                      {0xA6, ES10_RAW, 0, 0, &crt},
                      {0x5F49, 0, RSP_ES10_POINT_LEN, RSP_ES10_POINT_LEN, &out->smdp_otpk},
                      {0x5F37, 0, RSP_ES10_SIG_LEN, RSP_ES10_SIG_LEN, &out->smdp_sign}};
    es10_field g[] = {{0x80, 0, 1, 1, &kt}, {0x81, 0, 1, 1, &kl}, {0x84, 0, 1, 16, &out->host_id}};
    long v = 0;
    rsp_err e = es10_outer(p, p, len, 0xBF23, &t, diag);
    e = e ? e : es10_fields(p, &t, f, sizeof(f) / sizeof(f[0]), diag);
    e = e ? e : es10_outer(p, crt.p, crt.len, 0xA6, &c, diag);
    e = e ? e : es10_fields(p, &c, g, 3, diag);
    e = e ? e : es10_int(p, op, 0, 0x7FFFFFFF, &v, diag);
    if (e)
        return e;
    out->remote_op = (int)v;
    out->key_type = kt.p[0];
    out->key_len = kl.p[0];
    out->raw = rsp_bytes_of(t.raw, t.raw_len);
    /* 82 is the first member (mandatory, in order): the signed body runs from it to the end of 5F49. */
    out->tbs = rsp_bytes_of(t.value, (size_t)(out->smdp_otpk.p + out->smdp_otpk.len - t.value));
    return RSP_OK;
}

rsp_err rsp_es10_configure_isdp_encode(rsp_bytes dp_oid, rsp_buf *out)
{
    size_t m = 0, b = 0;
    rsp_err e = rsp_tlv_begin(out, 0xBF24, &m);
    if (!e && dp_oid.len) {
        e = rsp_tlv_begin(out, 0xB8, &b);
        e = e ? e : rsp_tlv_put(out, 0x80, dp_oid.p, dp_oid.len);
        e = e ? e : rsp_tlv_end(out, b);
    }
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_configure_isdp_decode(const uint8_t *p, size_t len, rsp_bytes *dp_oid, rsp_diag *diag)
{
    rsp_tlv t, b;
    rsp_bytes dp = {NULL, 0};
    es10_field f[] = {{0xB8, ES10_RAW | ES10_OPT, 0, 0, &dp}};
    es10_field g[] = {{0x80, 0, 1, 64, dp_oid}};
    *dp_oid = rsp_bytes_of(NULL, 0);
    rsp_err e = es10_outer(p, p, len, 0xBF24, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    if (e || !dp.p)
        return e;
    e = es10_outer(p, dp.p, dp.len, 0xB8, &b, diag);
    return e ? e : es10_fields(p, &b, g, 1, diag);
}

rsp_err rsp_es10_ppr_encode(unsigned bits, uint8_t out[2], size_t *len)
{
    if (bits >> 8)
        return RSP_ERR_INVAL;
    int hi = -1;
    for (int i = 0; i < 8; i++)
        if (bits & (1u << i))
            hi = i;
    out[0] = hi < 0 ? 0 : (uint8_t)(7 - hi);
    out[1] = 0;
    for (int i = 0; i <= hi; i++)
        if (bits & (1u << i))
            out[1] |= (uint8_t)(0x80 >> i);
    *len = hi < 0 ? 1 : 2;
    return RSP_OK;
}

rsp_err rsp_es10_ppr_decode(rsp_bytes v, unsigned *bits, rsp_diag *diag)
{
    if (v.len < 1 || v.len > 5 || v.p[0] > 7 || (v.len == 1 && v.p[0]))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "PprIds: malformed BIT STRING");
    *bits = 0;
    for (size_t i = 1; i < v.len; i++)
        for (int j = 0; j < 8; j++)
            if (v.p[i] & (0x80 >> j))
                *bits |= 1u << ((i - 1) * 8 + (size_t)j);
    return RSP_OK;
}

static rsp_err put_opt(rsp_buf *b, uint32_t tag, rsp_bytes v)
{
    return v.len ? rsp_tlv_put(b, tag, v.p, v.len) : RSP_OK;
}

rsp_err rsp_es10_metadata_encode(const rsp_es10_metadata *in, rsp_buf *out)
{
    if (in->iccid.len != 10 || in->spn.len > 32 || in->name.len > 64 || in->icon.len > 1024)
        return RSP_ERR_INVAL;
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, 0xBF25, &m);
    e = e ? e : rsp_tlv_put(out, 0x5A, in->iccid.p, in->iccid.len);
    e = e ? e : rsp_tlv_put(out, 0x91, in->spn.p, in->spn.len);
    e = e ? e : rsp_tlv_put(out, 0x92, in->name.p, in->name.len);
    if (!e && in->icon_type >= 0 && in->icon.len)
        e = es10_put_int(out, 0x93, in->icon_type);
    e = e ? e : put_opt(out, 0x94, in->icon);
    /* operational is the default: DER leaves it out */
    if (!e && in->profile_class >= 0 && in->profile_class != RSP_ES10_CLASS_OPERATIONAL)
        e = es10_put_int(out, 0x95, in->profile_class);
    e = e ? e : put_opt(out, 0xB6, in->notif_config);
    e = e ? e : put_opt(out, 0xB7, in->owner);
    if (!e && in->has_ppr) {
        uint8_t v[2];
        size_t n = 0;
        e = rsp_es10_ppr_encode(in->ppr, v, &n);
        e = e ? e : rsp_tlv_put(out, 0x99, v, n);
    }
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_metadata_decode(const uint8_t *p, size_t len, rsp_es10_metadata *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv t;
    rsp_bytes it = {NULL, 0}, cls = {NULL, 0}, ppr = {NULL, 0};
    es10_field f[] = {{0x5A, 0, 10, 10, &out->iccid},        {0x91, 0, 0, 32, &out->spn},
                      {0x92, 0, 0, 64, &out->name},          {0x93, ES10_OPT, 1, 1, &it},
                      {0x94, ES10_OPT, 1, 1024, &out->icon}, {0x95, ES10_OPT, 1, 2, &cls},
                      {0xB6, ES10_OPT, 0, 0, &out->notif_config}, {0xB7, ES10_OPT, 0, 0, &out->owner},
                      {0x99, ES10_OPT, 1, 5, &ppr}};
    long v = 0;
    rsp_err e = es10_outer(p, p, len, 0xBF25, &t, diag);
    e = e ? e : es10_fields(p, &t, f, sizeof(f) / sizeof(f[0]), diag);
    if (e)
        return e;
    out->raw = rsp_bytes_of(t.raw, t.raw_len);
    out->icon_type = -1;
    if (it.p && (e = es10_int(p, it, 0, 127, &v, diag)) != RSP_OK)
        return e;
    if (it.p)
        out->icon_type = (int)v;
    out->profile_class = RSP_ES10_CLASS_OPERATIONAL;
    if (cls.p && (e = es10_int(p, cls, 0, 127, &v, diag)) != RSP_OK)
        return e;
    if (cls.p)
        out->profile_class = (int)v;
    if (ppr.p) {
        out->has_ppr = true;
        if ((e = rsp_es10_ppr_decode(ppr, &out->ppr, diag)) != RSP_OK)
            return e;
    }
    if (out->notif_config.p) {
        size_t n = 0;
        rsp_es10_notif_target tg[8];
        e = rsp_es10_notif_config_decode(out->notif_config, tg, 8, &n, diag);
    }
    return e;
}

rsp_err rsp_es10_notif_config_decode(rsp_bytes content, rsp_es10_notif_target *out, size_t max, size_t *n,
                                     rsp_diag *diag)
{
    *n = 0;
    rsp_tlv_reader r;
    rsp_tlv c;
    rsp_err e;
    rsp_tlv_reader_init(&r, content.p, content.len, RSP_TLV_DER);
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK) {
        if (c.tag != 0x30)
            return rsp_diag_set(diag, RSP_ERR_TAG, "notificationConfigurationInfo: expected 30, found %X",
                                (unsigned)c.tag);
        if (*n == max)
            return rsp_diag_set(diag, RSP_ERR_RANGE, "notificationConfigurationInfo: more than %zu entries", max);
        rsp_bytes ev;
        es10_field f[] = {{0x80, 0, 1, 5, &ev}, {0x81, 0, 1, 255, &out[*n].address}};
        e = es10_fields(content.p, &c, f, 2, diag);
        e = e ? e : es10_events_get(content.p, ev, &out[*n].events, diag);
        if (e)
            return e;
        (*n)++;
    }
    return e == RSP_ERR_END ? RSP_OK : rsp_diag_set(diag, e, "notificationConfigurationInfo: malformed");
}

rsp_err rsp_es10_notif_config_encode(const rsp_es10_notif_target *in, size_t n, rsp_buf *content)
{
    rsp_err e = RSP_OK;
    for (size_t i = 0; !e && i < n; i++) {
        size_t m = 0;
        e = rsp_tlv_begin(content, 0x30, &m);
        e = e ? e : es10_events_put(content, 0x80, in[i].events);
        e = e ? e : rsp_tlv_put(content, 0x81, in[i].address.p, in[i].address.len);
        e = e ? e : rsp_tlv_end(content, m);
    }
    return e;
}

rsp_err rsp_es10_rsk_encode(const uint8_t mcv[16], const uint8_t enc[16], const uint8_t mac[16], rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, 0xBF26, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, mcv, 16);
    e = e ? e : rsp_tlv_put(out, 0x81, enc, 16);
    e = e ? e : rsp_tlv_put(out, 0x82, mac, 16);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_rsk_decode(const uint8_t *p, size_t len, uint8_t mcv[16], uint8_t enc[16], uint8_t mac[16],
                            rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes a, b, c;
    es10_field f[] = {{0x80, 0, 16, 16, &a}, {0x81, 0, 16, 16, &b}, {0x82, 0, 16, 16, &c}};
    rsp_err e = es10_outer(p, p, len, 0xBF26, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 3, diag);
    if (e)
        return e;
    memcpy(mcv, a.p, 16);
    memcpy(enc, b.p, 16);
    memcpy(mac, c.p, 16);
    return RSP_OK;
}

static rsp_err add_piece(rsp_bytes *pieces, size_t max, size_t *n, const uint8_t *p, size_t len)
{
    if (*n == max)
        return RSP_ERR_RANGE;
    pieces[(*n)++] = rsp_bytes_of(p, len);
    return RSP_OK;
}

/* The members of a sequenceOf8x, each its own piece. */
static rsp_err split_members(const uint8_t *origin, const rsp_tlv *seq, rsp_bytes *pieces, size_t max, size_t *n,
                             rsp_diag *d)
{
    rsp_tlv_reader r;
    rsp_tlv c;
    rsp_err e;
    rsp_tlv_reader_init(&r, seq->value, seq->len, RSP_TLV_DER);
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK)
        if ((e = add_piece(pieces, max, n, c.raw, c.raw_len)) != RSP_OK)
            return rsp_diag_set_at(d, e, es10_off(origin, c.raw), "BPP: more than %zu pieces", max);
    return e == RSP_ERR_END ? RSP_OK : rsp_diag_set_at(d, e, es10_off(origin, seq->raw), "BPP: malformed sequence");
}

rsp_err rsp_es10_bpp_split(const uint8_t *bpp, size_t len, rsp_bytes *pieces, size_t max, size_t *n, rsp_diag *diag)
{
    *n = 0;
    rsp_tlv t;
    rsp_bytes isc, a0, a1, a2 = {NULL, 0}, a3;
    es10_field f[] = {{0xBF23, ES10_RAW, 0, 0, &isc}, {0xA0, ES10_RAW, 0, 0, &a0}, {0xA1, ES10_RAW, 0, 0, &a1},
                      {0xA2, ES10_RAW | ES10_OPT, 0, 0, &a2}, {0xA3, ES10_RAW, 0, 0, &a3}};
    rsp_err e = es10_outer(bpp, bpp, len, RSP_ES10_BPP, &t, diag);
    e = e ? e : es10_fields(bpp, &t, f, 5, diag);
    if (e)
        return e;
    rsp_tlv s1, s3;
    e = add_piece(pieces, max, n, bpp, (size_t)(isc.p + isc.len - bpp)); /* BF36 header + BF23 */
    e = e ? e : add_piece(pieces, max, n, a0.p, a0.len);
    e = e ? e : rsp_tlv_parse(a1.p, a1.len, RSP_TLV_DER, &s1, diag);
    e = e ? e : add_piece(pieces, max, n, a1.p, (size_t)(s1.value - a1.p));
    e = e ? e : split_members(bpp, &s1, pieces, max, n, diag);
    if (!e && a2.p)
        e = add_piece(pieces, max, n, a2.p, a2.len);
    e = e ? e : rsp_tlv_parse(a3.p, a3.len, RSP_TLV_DER, &s3, diag);
    e = e ? e : add_piece(pieces, max, n, a3.p, (size_t)(s3.value - a3.p));
    e = e ? e : split_members(bpp, &s3, pieces, max, n, diag);
    if (e == RSP_ERR_RANGE)
        rsp_diag_set(diag, e, "BPP: more than %zu pieces", max);
    return e;
}
