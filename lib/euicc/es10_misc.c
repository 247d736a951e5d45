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
