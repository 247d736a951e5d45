/* ES10 codecs: NotificationMetadata, the ProfileInstallationResult (BF37), pending notifications and
 * their lists (ListNotification BF28, RetrieveNotificationsList BF2B). SGP22.md §"ASN.1 tag maps". */
#include <string.h>

#include "es10_int.h"

/* NotificationEvent as DER BIT STRING: only the bits up to the highest one set, the rest unused. */
rsp_err es10_events_put(rsp_buf *b, uint32_t tag, unsigned events)
{
    int hi = -1;
    for (int i = 0; i < 8; i++)
        if (events & (1u << i))
            hi = i;
    if (hi < 0 || events >> 8)
        return RSP_ERR_INVAL;
    uint8_t v[2] = {(uint8_t)(7 - hi), 0};
    for (int i = 0; i <= hi; i++)
        if (events & (1u << i))
            v[1] |= (uint8_t)(0x80 >> i);
    return rsp_tlv_put(b, tag, v, 2);
}

rsp_err es10_events_get(const uint8_t *origin, rsp_bytes v, unsigned *out, rsp_diag *d)
{
    size_t at = es10_off(origin, v.p);
    if (v.len < 1 || v.p[0] > 7 || (v.len == 1 && v.p[0]))
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "NotificationEvent: malformed BIT STRING");
    unsigned bits = 0;
    for (size_t i = 1; i < v.len && i <= 4; i++)
        for (int j = 0; j < 8; j++)
            if (v.p[i] & (0x80 >> j))
                bits |= 1u << ((i - 1) * 8 + (size_t)j);
    *out = bits;
    return RSP_OK;
}

rsp_err rsp_es10_notif_meta_encode(const rsp_es10_notif_meta *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_NOTIFICATION_METADATA, &m);
    e = e ? e : es10_put_int(out, 0x80, (long)in->seq);
    e = e ? e : es10_events_put(out, 0x81, in->events);
    e = e ? e : rsp_tlv_put(out, 0x0C, in->address.p, in->address.len);
    if (!e && in->iccid.len)
        e = rsp_tlv_put(out, 0x5A, in->iccid.p, in->iccid.len);
    return e ? e : rsp_tlv_end(out, m);
}

static rsp_err meta_fields(const uint8_t *origin, const rsp_tlv *t, rsp_es10_notif_meta *out, rsp_diag *d)
{
    memset(out, 0, sizeof(*out));
    out->raw = rsp_bytes_of(t->raw, t->raw_len);
    rsp_bytes seq, ev;
    es10_field f[] = {{0x80, 0, 1, 5, &seq}, {0x81, 0, 1, 5, &ev}, {0x0C, 0, 0, 255, &out->address},
                      {0x5A, ES10_OPT, 10, 10, &out->iccid}};
    long s = 0;
    rsp_err e = es10_fields(origin, t, f, 4, d);
    e = e ? e : es10_int(origin, seq, 0, 0x7FFFFFFFL, &s, d);
    e = e ? e : es10_events_get(origin, ev, &out->events, d);
    if (!e)
        out->seq = (uint32_t)s;
    return e;
}

rsp_err rsp_es10_notif_meta_decode(const uint8_t *p, size_t len, rsp_es10_notif_meta *out, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_err e = es10_outer(p, p, len, RSP_ES10_NOTIFICATION_METADATA, &t, diag);
    return e ? e : meta_fields(p, &t, out, diag);
}

rsp_err rsp_es10_pir_data_encode(const rsp_es10_pir *in, rsp_buf *out)
{
    size_t m = 0, a = 0, r = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_PIR_DATA, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, in->transaction_id.p, in->transaction_id.len);
    e = e ? e : rsp_es10_notif_meta_encode(&in->meta, out);
    /* smdpOid: always sent (mandatory in the v2.2+ module) when the card knows it: a PIR answering a
     * BF23 without any session has none. */
    if (!e && in->smdp_oid.len)
        e = rsp_tlv_put(out, 0x06, in->smdp_oid.p, in->smdp_oid.len);
    e = e ? e : rsp_tlv_begin(out, 0xA2, &a);
    if (!e && in->success) {
        e = rsp_tlv_begin(out, 0xA0, &r);
        e = e ? e : rsp_tlv_put(out, 0x4F, in->isdp_aid.p, in->isdp_aid.len);
        e = e ? e : rsp_tlv_put(out, 0x04, in->sima_response.p, in->sima_response.len);
    } else if (!e) {
        e = rsp_tlv_begin(out, 0xA1, &r);
        e = e ? e : es10_put_int(out, 0x80, in->bpp_command_id);
        e = e ? e : es10_put_int(out, 0x81, in->error_reason);
        if (!e && in->sima_response.len)
            e = rsp_tlv_put(out, 0x82, in->sima_response.p, in->sima_response.len);
    }
    e = e ? e : rsp_tlv_end(out, r);
    e = e ? e : rsp_tlv_end(out, a);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_pir_encode(const uint8_t *data, size_t data_len, const uint8_t sig[RSP_ES10_SIG_LEN], rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_PIR, &m);
    e = e ? e : rsp_buf_append(out, data, data_len);
    e = e ? e : rsp_tlv_put(out, 0x5F37, sig, RSP_ES10_SIG_LEN);
    return e ? e : rsp_tlv_end(out, m);
}

static rsp_err final_result(const uint8_t *origin, rsp_bytes raw, rsp_es10_pir *out, rsp_diag *d)
{
    rsp_tlv t, r;
    rsp_bytes ok, err;
    es10_field f[] = {{0xA0, ES10_RAW | ES10_OPT, 0, 0, &ok}, {0xA1, ES10_RAW | ES10_OPT, 0, 0, &err}};
    rsp_err e = es10_outer(origin, raw.p, raw.len, 0xA2, &t, d);
    e = e ? e : es10_fields(origin, &t, f, 2, d);
    if (e)
        return e;
    if (!ok.p == !err.p)
        return rsp_diag_set_at(d, RSP_ERR_TAG, es10_off(origin, raw.p), "finalResult needs exactly one of A0, A1");
    if ((out->success = ok.p != NULL)) {
        es10_field g[] = {{0x4F, 0, 5, 16, &out->isdp_aid}, {0x04, 0, 0, 0, &out->sima_response}};
        e = es10_outer(origin, ok.p, ok.len, 0xA0, &r, d);
        return e ? e : es10_fields(origin, &r, g, 2, d);
    }
    rsp_bytes cmd, reason;
    long c = 0;
    es10_field g[] = {{0x80, 0, 1, 4, &cmd}, {0x81, 0, 1, 4, &reason}, {0x82, ES10_OPT, 0, 0, &out->sima_response}};
    e = es10_outer(origin, err.p, err.len, 0xA1, &r, d);
    e = e ? e : es10_fields(origin, &r, g, 3, d);
    e = e ? e : es10_int(origin, cmd, 0, 0x7FFFFF, &c, d);
    if (!e)
        out->bpp_command_id = (int)c;
    /* Unknown reasons read as installFailedDueToUnknownError (127). */
    return e ? e : es10_code(origin, reason, 1, &out->error_reason, d);
}

static rsp_err pir_fields(const uint8_t *origin, const rsp_tlv *t, rsp_es10_pir *out, rsp_diag *d)
{
    memset(out, 0, sizeof(*out));
    out->raw = rsp_bytes_of(t->raw, t->raw_len);
    rsp_bytes meta, fr;
    rsp_tlv dt, mt;
    es10_field f[] = {{RSP_ES10_PIR_DATA, ES10_RAW, 0, 0, &out->data_raw},
                      {0x5F37, 0, RSP_ES10_SIG_LEN, RSP_ES10_SIG_LEN, &out->signature}};
    es10_field g[] = {{0x80, 0, 1, RSP_ES10_MAX_TID, &out->transaction_id},
                      {RSP_ES10_NOTIFICATION_METADATA, ES10_RAW, 0, 0, &meta},
                      {0x06, ES10_OPT, 1, 64, &out->smdp_oid},
                      {0xA2, ES10_RAW, 0, 0, &fr}};
    rsp_err e = es10_fields(origin, t, f, 2, d);
    e = e ? e : es10_outer(origin, out->data_raw.p, out->data_raw.len, RSP_ES10_PIR_DATA, &dt, d);
    e = e ? e : es10_fields(origin, &dt, g, 4, d);
    e = e ? e : es10_outer(origin, meta.p, meta.len, RSP_ES10_NOTIFICATION_METADATA, &mt, d);
    e = e ? e : meta_fields(origin, &mt, &out->meta, d);
    return e ? e : final_result(origin, fr, out, d);
}

rsp_err rsp_es10_pir_decode(const uint8_t *p, size_t len, rsp_es10_pir *out, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_err e = es10_outer(p, p, len, RSP_ES10_PIR, &t, diag);
    return e ? e : pir_fields(p, &t, out, diag);
}

rsp_err rsp_es10_other_notif_encode(const uint8_t *meta, size_t meta_len, const uint8_t sig[RSP_ES10_SIG_LEN],
                                    const uint8_t *cert_euicc, size_t cert_euicc_len, const uint8_t *cert_eum,
                                    size_t cert_eum_len, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, 0x30, &m);
    e = e ? e : rsp_buf_append(out, meta, meta_len);
    e = e ? e : rsp_tlv_put(out, 0x5F37, sig, RSP_ES10_SIG_LEN);
    e = e ? e : rsp_buf_append(out, cert_euicc, cert_euicc_len);
    e = e ? e : rsp_buf_append(out, cert_eum, cert_eum_len);
    return e ? e : rsp_tlv_end(out, m);
}

static rsp_err pending_tlv(const uint8_t *origin, const rsp_tlv *t, rsp_es10_pending *out, rsp_diag *d)
{
    memset(out, 0, sizeof(*out));
    out->raw = rsp_bytes_of(t->raw, t->raw_len);
    if (t->tag == RSP_ES10_PIR) {
        out->is_pir = true;
        return pir_fields(origin, t, &out->pir, d);
    }
    if (t->tag != 0x30)
        return rsp_diag_set_at(d, RSP_ERR_TAG, es10_off(origin, t->raw), "a pending notification is BF37 or 30, not %X",
                               (unsigned)t->tag);
    rsp_bytes meta;
    rsp_tlv mt;
    es10_field f[] = {{RSP_ES10_NOTIFICATION_METADATA, ES10_RAW, 0, 0, &meta},
                      {0x5F37, 0, RSP_ES10_SIG_LEN, RSP_ES10_SIG_LEN, &out->signature},
                      {0x30, ES10_RAW, 0, 0, &out->cert_euicc},
                      {0x30, ES10_RAW, 0, 0, &out->cert_eum}};
    rsp_err e = es10_fields(origin, t, f, 4, d);
    e = e ? e : es10_outer(origin, meta.p, meta.len, RSP_ES10_NOTIFICATION_METADATA, &mt, d);
    return e ? e : meta_fields(origin, &mt, &out->meta, d);
}

rsp_err rsp_es10_pending_decode(const uint8_t *p, size_t len, rsp_es10_pending *out, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_err e = rsp_tlv_parse(p, len, RSP_TLV_DER, &t, diag);
    if (!e && t.raw_len != len)
        e = rsp_diag_set_at(diag, RSP_ERR_LENGTH, t.raw_len, "bytes after the pending notification");
    return e ? e : pending_tlv(p, &t, out, diag);
}

static rsp_err list_items(const uint8_t *origin, const rsp_tlv *a, uint32_t tag, rsp_es10_notif_list *out, rsp_diag *d)
{
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, a->value, a->len, RSP_TLV_DER);
    rsp_tlv c;
    rsp_err e;
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK) {
        if (out->n == RSP_ES10_MAX_ITEMS)
            return rsp_diag_set_at(d, RSP_ERR_RANGE, es10_off(origin, c.raw), "more than %d notifications",
                                   RSP_ES10_MAX_ITEMS);
        if (tag == RSP_ES10_LIST_NOTIFICATION) {
            if (c.tag != RSP_ES10_NOTIFICATION_METADATA)
                return rsp_diag_set_at(d, RSP_ERR_TAG, es10_off(origin, c.raw), "expected BF2F, found %X", (unsigned)c.tag);
            e = meta_fields(origin, &c, &out->metas[out->n], d);
        } else {
            e = pending_tlv(origin, &c, &out->items[out->n], d);
        }
        if (e)
            return e;
        out->n++;
    }
    return e == RSP_ERR_END ? RSP_OK
                            : rsp_diag_set_at(d, e, es10_off(origin, a->value) + r.diag.offset, "list: %s", r.diag.msg);
}

rsp_err rsp_es10_notif_list_decode(const uint8_t *p, size_t len, uint32_t tag, rsp_es10_notif_list *out,
                                   rsp_diag *diag)
{
    out->ok = false;
    out->error = 0;
    out->n = 0;
    rsp_tlv a;
    rsp_err e;
    if (tag == 0) {
        e = es10_outer(p, p, len, 0xA0, &a, diag);
        if (!e)
            out->ok = true;
        return e ? e : list_items(p, &a, RSP_ES10_RETRIEVE_NOTIFICATIONS, out, diag);
    }
    if (tag != RSP_ES10_LIST_NOTIFICATION && tag != RSP_ES10_RETRIEVE_NOTIFICATIONS)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "tag %X is not a notification list", (unsigned)tag);
    rsp_bytes list, err;
    e = es10_answer(p, len, tag, 0xA0, 0x81, &list, &err, diag);
    if (e || err.p)
        return e ? e : es10_code(p, err, 1, &out->error, diag);
    out->ok = true;
    e = es10_outer(p, list.p, list.len, 0xA0, &a, diag);
    return e ? e : list_items(p, &a, tag, out, diag);
}
