/* ES10 codecs: the GetProfilesInfo request, SetNickname, eUICCMemoryReset, configured addresses and
 * SetDefaultDpAddress (SGP22.md §"ES10 functions"). */
#include <string.h>

#include "es10_int.h"

rsp_err rsp_es10_profiles_req_encode(const rsp_es10_profiles_req *in, rsp_buf *out)
{
    size_t m = 0, a = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_GET_PROFILES_INFO, &m);
    if (!e && in->has_search) {
        e = rsp_tlv_begin(out, 0xA0, &a);
        e = e ? e : rsp_tlv_put(out, in->by, in->value.p, in->value.len);
        e = e ? e : rsp_tlv_end(out, a);
    }
    if (!e && in->tag_list.len)
        e = rsp_tlv_put(out, 0x5C, in->tag_list.p, in->tag_list.len);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_profiles_req_decode(const uint8_t *p, size_t len, rsp_es10_profiles_req *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv t, a;
    rsp_bytes search, aid, iccid, cls;
    es10_field f[] = {{0xA0, ES10_RAW | ES10_OPT, 0, 0, &search}, {0x5C, ES10_OPT, 1, 0, &out->tag_list}};
    es10_field g[] = {{0x4F, ES10_OPT, 5, 16, &aid}, {0x5A, ES10_OPT, 10, 10, &iccid}, {0x95, ES10_OPT, 1, 1, &cls}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_GET_PROFILES_INFO, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 2, diag);
    if (e || !search.p)
        return e;
    e = es10_outer(p, search.p, search.len, 0xA0, &a, diag);
    e = e ? e : es10_fields(p, &a, g, 3, diag);
    if (e)
        return e;
    if ((aid.p != NULL) + (iccid.p != NULL) + (cls.p != NULL) != 1)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, es10_off(p, search.p), "searchCriteria needs exactly one of 4F, 5A, 95");
    out->has_search = true;
    out->by = aid.p ? RSP_ES10_BY_AID : iccid.p ? RSP_ES10_BY_ICCID : RSP_ES10_BY_CLASS;
    out->value = aid.p ? aid : iccid.p ? iccid : cls;
    return RSP_OK;
}

rsp_err rsp_es10_nickname_req_encode(rsp_bytes iccid, rsp_bytes nickname, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_SET_NICKNAME, &m);
    e = e ? e : rsp_tlv_put(out, 0x5A, iccid.p, iccid.len);
    e = e ? e : rsp_tlv_put(out, 0x90, nickname.p, nickname.len);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_nickname_req_decode(const uint8_t *p, size_t len, rsp_bytes *iccid, rsp_bytes *nickname,
                                     rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes n8f, n90;
    es10_field f[] = {{0x5A, 0, 10, 10, iccid}, {0x8F, ES10_OPT, 0, 64, &n8f}, {0x90, ES10_OPT, 0, 64, &n90}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_SET_NICKNAME, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 3, diag);
    if (!e && !n8f.p == !n90.p)
        e = rsp_diag_set_at(diag, RSP_ERR_TAG, 0, "SetNickname needs exactly one nickname (90, or 8F)");
    if (!e)
        *nickname = n90.p ? n90 : n8f;
    return e;
}

rsp_err rsp_es10_memory_reset_req_encode(unsigned bits, rsp_buf *out)
{
    if (bits == 0 || bits > 0xFF)
        return RSP_ERR_INVAL;
    int hi = 7;
    while (!(bits & (1u << hi)))
        hi--;
    uint8_t v[2] = {(uint8_t)(7 - hi), 0};
    for (int i = 0; i <= hi; i++)
        if (bits & (1u << i))
            v[1] |= (uint8_t)(0x80 >> i);
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_MEMORY_RESET, &m);
    e = e ? e : rsp_tlv_put(out, 0x82, v, 2);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_memory_reset_req_decode(const uint8_t *p, size_t len, unsigned *bits, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes v;
    es10_field f[] = {{0x82, 0, 1, 2, &v}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_MEMORY_RESET, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    if (e)
        return e;
    if (v.p[0] > 7 || (v.len == 1 && v.p[0]))
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, es10_off(p, v.p), "resetOptions: malformed BIT STRING");
    *bits = 0;
    for (int j = 0; v.len == 2 && j < 8; j++)
        if (v.p[1] & (0x80 >> j))
            *bits |= 1u << j;
    return RSP_OK;
}

rsp_err rsp_es10_addresses_encode(rsp_bytes default_dp, rsp_bytes root_ds, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_CONFIGURED_ADDRESSES, &m);
    if (!e && default_dp.len)
        e = rsp_tlv_put(out, 0x80, default_dp.p, default_dp.len);
    e = e ? e : rsp_tlv_put(out, 0x81, root_ds.p, root_ds.len);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_addresses_decode(const uint8_t *p, size_t len, rsp_bytes *default_dp, rsp_bytes *root_ds,
                                  rsp_diag *diag)
{
    rsp_tlv t;
    es10_field f[] = {{0x80, ES10_OPT, 0, 255, default_dp}, {0x81, 0, 1, 255, root_ds}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_CONFIGURED_ADDRESSES, &t, diag);
    return e ? e : es10_fields(p, &t, f, 2, diag);
}

rsp_err rsp_es10_set_default_dp_encode(rsp_bytes address, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_SET_DEFAULT_DP, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, address.p, address.len);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_set_default_dp_decode(const uint8_t *p, size_t len, rsp_bytes *address, rsp_diag *diag)
{
    rsp_tlv t;
    es10_field f[] = {{0x80, 0, 0, 255, address}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_SET_DEFAULT_DP, &t, diag);
    return e ? e : es10_fields(p, &t, f, 1, diag);
}

rsp_err rsp_es10_list_notif_req_encode(unsigned events, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_LIST_NOTIFICATION, &m);
    if (!e && events)
        e = es10_events_put(out, 0x81, events);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_list_notif_req_decode(const uint8_t *p, size_t len, unsigned *events, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes ev = {NULL, 0};
    es10_field f[] = {{0x81, ES10_OPT, 1, 5, &ev}};
    *events = 0;
    rsp_err e = es10_outer(p, p, len, RSP_ES10_LIST_NOTIFICATION, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    return e || !ev.p ? e : es10_events_get(p, ev, events, diag);
}

rsp_err rsp_es10_retrieve_req_encode(const rsp_es10_retrieve_req *in, rsp_buf *out)
{
    size_t m = 0, a = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_RETRIEVE_NOTIFICATIONS, &m);
    if (!e && (in->has_seq || in->has_events)) {
        e = rsp_tlv_begin(out, 0xA0, &a);
        if (!e && in->has_seq)
            e = es10_put_int(out, 0x80, (long)in->seq);
        else if (!e)
            e = es10_events_put(out, 0x81, in->events);
        e = e ? e : rsp_tlv_end(out, a);
    }
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_retrieve_req_decode(const uint8_t *p, size_t len, rsp_es10_retrieve_req *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv t, a;
    rsp_bytes crit = {NULL, 0}, seq = {NULL, 0}, ev = {NULL, 0};
    es10_field f[] = {{0xA0, ES10_RAW | ES10_OPT, 0, 0, &crit}};
    es10_field g[] = {{0x80, ES10_OPT, 1, 5, &seq}, {0x81, ES10_OPT, 1, 5, &ev}};
    long v = 0;
    rsp_err e = es10_outer(p, p, len, RSP_ES10_RETRIEVE_NOTIFICATIONS, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    if (e || !crit.p)
        return e;
    e = es10_outer(p, crit.p, crit.len, 0xA0, &a, diag);
    e = e ? e : es10_fields(p, &a, g, 2, diag);
    if (!e && !seq.p == !ev.p)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, es10_off(p, crit.p), "searchCriteria needs exactly one of 80, 81");
    if (!e && seq.p && (e = es10_int(p, seq, 0, 0x7FFFFFFFL, &v, diag)) == RSP_OK) {
        out->has_seq = true;
        out->seq = (uint32_t)v;
    }
    if (!e && ev.p && (e = es10_events_get(p, ev, &out->events, diag)) == RSP_OK)
        out->has_events = true;
    return e;
}

rsp_err rsp_es10_remove_notif_req_encode(uint32_t seq, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_REMOVE_NOTIFICATION, &m);
    e = e ? e : es10_put_int(out, 0x80, (long)seq);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_remove_notif_req_decode(const uint8_t *p, size_t len, uint32_t *seq, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes s;
    long v = 0;
    es10_field f[] = {{0x80, 0, 1, 5, &s}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_REMOVE_NOTIFICATION, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    e = e ? e : es10_int(p, s, 0, 0x7FFFFFFFL, &v, diag);
    if (!e)
        *seq = (uint32_t)v;
    return e;
}

rsp_err rsp_es10_rat_encode(const rsp_es10_rat_rule *rules, size_t n, rsp_buf *out)
{
    size_t m = 0, a = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_GET_RAT, &m);
    e = e ? e : rsp_tlv_begin(out, 0xA0, &a);
    for (size_t i = 0; !e && i < n; i++) {
        size_t r = 0, len = 0;
        uint8_t ppr[2];
        e = rsp_tlv_begin(out, 0x30, &r);
        e = e ? e : rsp_es10_ppr_encode(rules[i].ppr, ppr, &len);
        e = e ? e : rsp_tlv_put(out, 0x80, ppr, len);
        e = e ? e : rsp_tlv_put(out, 0xA1, rules[i].operators.p, rules[i].operators.len);
        e = e ? e : rsp_tlv_put(out, 0x82, rules[i].flags.p, rules[i].flags.len);
        e = e ? e : rsp_tlv_end(out, r);
    }
    e = e ? e : rsp_tlv_end(out, a);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_rat_decode(const uint8_t *p, size_t len, rsp_es10_rat_rule *rules, size_t max, size_t *n,
                            rsp_diag *diag)
{
    *n = 0;
    rsp_tlv t, a, c, o;
    rsp_bytes list;
    es10_field f[] = {{0xA0, ES10_RAW, 0, 0, &list}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_GET_RAT, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    e = e ? e : es10_outer(p, list.p, list.len, 0xA0, &a, diag);
    if (e)
        return e;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, a.value, a.len, RSP_TLV_DER);
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK) {
        if (c.tag != 0x30)
            return rsp_diag_set_at(diag, RSP_ERR_TAG, es10_off(p, c.raw), "RAT: expected 30, found %X", (unsigned)c.tag);
        if (*n == max)
            return rsp_diag_set_at(diag, RSP_ERR_RANGE, es10_off(p, c.raw), "RAT: more than %zu rules", max);
        rsp_bytes ppr;
        rsp_es10_rat_rule *x = &rules[*n];
        es10_field g[] = {{0x80, 0, 1, 5, &ppr}, {0xA1, 0, 0, 0, &x->operators}, {0x82, 0, 1, 5, &x->flags}};
        e = es10_fields(p, &c, g, 3, diag);
        e = e ? e : rsp_es10_ppr_decode(ppr, &x->ppr, diag);
        if (e)
            return e;
        /* every OperatorId: 30{80 mccMnc(3), 81 gid1?, 82 gid2?} */
        rsp_tlv_reader ro;
        rsp_tlv_reader_init(&ro, x->operators.p, x->operators.len, RSP_TLV_DER);
        while ((e = rsp_tlv_next(&ro, &o)) == RSP_OK) {
            rsp_bytes mm, g1, g2;
            es10_field h[] = {{0x80, 0, 3, 3, &mm}, {0x81, ES10_OPT, 0, 0, &g1}, {0x82, ES10_OPT, 0, 0, &g2}};
            if (o.tag != 0x30)
                return rsp_diag_set_at(diag, RSP_ERR_TAG, es10_off(p, o.raw), "OperatorId: expected 30");
            if ((e = es10_fields(p, &o, h, 3, diag)) != RSP_OK)
                return e;
        }
        if (e != RSP_ERR_END)
            return rsp_diag_set_at(diag, e, es10_off(p, x->operators.p), "RAT: malformed OperatorId list");
        (*n)++;
    }
    return e == RSP_ERR_END ? RSP_OK : rsp_diag_set_at(diag, e, es10_off(p, a.raw), "RAT: malformed list");
}

rsp_err rsp_es10_load_crl_req_encode(const uint8_t *crl_der, size_t len, rsp_buf *out)
{
    rsp_tlv t;
    if (rsp_tlv_expect(crl_der, len, 0x30, &t, NULL) != RSP_OK)
        return RSP_ERR_INVAL;
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_LOAD_CRL, &m);
    e = e ? e : rsp_tlv_put(out, 0xA0, t.value, t.len);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_load_crl_req_decode(const uint8_t *p, size_t len, rsp_buf *crl_der, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes crl;
    es10_field f[] = {{0xA0, 0, 1, 0, &crl}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_LOAD_CRL, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    return e ? e : rsp_tlv_put(crl_der, 0x30, crl.p, crl.len);
}

rsp_err rsp_es10_load_crl_resp_encode(int error, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_LOAD_CRL, &m);
    if (!e && error == 0)
        e = rsp_tlv_put(out, 0xA0, NULL, 0);
    else if (!e)
        e = es10_put_int(out, 0x81, error);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_load_crl_resp_decode(const uint8_t *p, size_t len, int *error, rsp_diag *diag)
{
    rsp_bytes ok, err;
    rsp_err e = es10_answer(p, len, RSP_ES10_LOAD_CRL, 0xA0, 0x81, &ok, &err, diag);
    if (e)
        return e;
    *error = 0;
    return err.p ? es10_code(p, err, 1, error, diag) : RSP_OK;
}
