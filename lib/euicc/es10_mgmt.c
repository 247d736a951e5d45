/* ES10 codecs: profile management (ES10c: GetProfilesInfo, Enable, Disable, Delete) and the answers
 * that are one result code. SGP22.md §"ES10 functions". */
#include <string.h>

#include "es10_int.h"

static bool is_profile_tag(uint32_t tag)
{
    return tag == RSP_ES10_ENABLE_PROFILE || tag == RSP_ES10_DISABLE_PROFILE || tag == RSP_ES10_DELETE_PROFILE;
}

rsp_err rsp_es10_profile_req_encode(const rsp_es10_profile_req *in, rsp_buf *out)
{
    if (!is_profile_tag(in->tag) || (in->by != RSP_ES10_BY_AID && in->by != RSP_ES10_BY_ICCID))
        return RSP_ERR_INVAL;
    size_t m = 0, a = 0;
    rsp_err e = rsp_tlv_begin(out, in->tag, &m);
    if (in->tag == RSP_ES10_DELETE_PROFILE) {
        e = e ? e : rsp_tlv_put(out, in->by, in->id.p, in->id.len);
    } else {
        uint8_t flag = in->refresh ? 0xFF : 0x00;
        e = e ? e : rsp_tlv_begin(out, 0xA0, &a);
        e = e ? e : rsp_tlv_put(out, in->by, in->id.p, in->id.len);
        e = e ? e : rsp_tlv_end(out, a);
        e = e ? e : rsp_tlv_put(out, 0x81, &flag, 1);
    }
    return e ? e : rsp_tlv_end(out, m);
}

/* The identification CHOICE: exactly one of 4F (AID, 5..16 bytes) or 5A (ICCID, 10 bytes). */
static rsp_err choice(const uint8_t *origin, const rsp_tlv *t, rsp_es10_profile_req *out, rsp_diag *d)
{
    rsp_bytes aid, iccid;
    es10_field f[] = {{0x4F, ES10_OPT, 5, 16, &aid}, {0x5A, ES10_OPT, 10, 10, &iccid}};
    rsp_err e = es10_fields(origin, t, f, 2, d);
    if (e)
        return e;
    if (!aid.p == !iccid.p)
        return rsp_diag_set_at(d, RSP_ERR_TAG, es10_off(origin, t->raw), "the profile is named by exactly one of 4F, 5A");
    out->by = aid.p ? RSP_ES10_BY_AID : RSP_ES10_BY_ICCID;
    out->id = aid.p ? aid : iccid;
    return RSP_OK;
}

rsp_err rsp_es10_profile_req_decode(const uint8_t *p, size_t len, rsp_es10_profile_req *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    uint32_t tag = 0;
    rsp_err e = rsp_es10_peek_tag(p, len, &tag, diag);
    if (e)
        return e;
    if (!is_profile_tag(tag))
        return rsp_diag_set_at(diag, RSP_ERR_TAG, 0, "tag %X is not enable, disable or delete", (unsigned)tag);
    rsp_tlv t, a;
    out->tag = tag;
    e = es10_outer(p, p, len, tag, &t, diag);
    if (e || tag == RSP_ES10_DELETE_PROFILE)
        return e ? e : choice(p, &t, out, diag);
    rsp_bytes id, flag;
    es10_field f[] = {{0xA0, ES10_RAW, 0, 0, &id}, {0x81, 0, 1, 1, &flag}};
    e = es10_fields(p, &t, f, 2, diag);
    e = e ? e : es10_outer(p, id.p, id.len, 0xA0, &a, diag);
    e = e ? e : choice(p, &a, out, diag);
    return e ? e : es10_bool(p, flag, &out->refresh, diag);
}

rsp_err rsp_es10_result_encode(uint32_t tag, int result, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, tag, &m);
    e = e ? e : es10_put_int(out, 0x80, result);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_result_decode(const uint8_t *p, size_t len, uint32_t tag, int *result, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes v;
    es10_field f[] = {{0x80, 0, 1, 4, &v}};
    rsp_err e = es10_outer(p, p, len, tag, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    return e ? e : es10_code(p, v, 0, result, diag);
}

static rsp_err put_bytes_opt(rsp_buf *b, uint32_t tag, rsp_bytes v)
{
    return v.p ? rsp_tlv_put(b, tag, v.p, v.len) : RSP_OK;
}

rsp_err rsp_es10_profile_info_encode(const rsp_es10_profile_info *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, 0xE3, &m);
    e = e ? e : put_bytes_opt(out, 0x5A, in->iccid);
    e = e ? e : put_bytes_opt(out, 0x4F, in->isdp_aid);
    if (!e && in->state >= 0)
        e = es10_put_int(out, 0x9F70, in->state);
    e = e ? e : put_bytes_opt(out, 0x90, in->nickname);
    e = e ? e : put_bytes_opt(out, 0x91, in->spn);
    e = e ? e : put_bytes_opt(out, 0x92, in->name);
    if (!e && in->icon_type >= 0)
        e = es10_put_int(out, 0x93, in->icon_type);
    e = e ? e : put_bytes_opt(out, 0x94, in->icon);
    if (!e && in->profile_class >= 0)
        e = es10_put_int(out, 0x95, in->profile_class);
    e = e ? e : put_bytes_opt(out, 0xB6, in->notif_config);
    e = e ? e : put_bytes_opt(out, 0xB7, in->owner);
    e = e ? e : put_bytes_opt(out, 0xB8, in->dp_proprietary);
    e = e ? e : put_bytes_opt(out, 0x99, in->ppr);
    return e ? e : rsp_tlv_end(out, m);
}

static rsp_err small_int(const uint8_t *origin, rsp_bytes v, long max, int *out, rsp_diag *d)
{
    long x = -1;
    rsp_err e = v.p ? es10_int(origin, v, 0, max, &x, d) : RSP_OK;
    *out = (int)x;
    return e;
}

static rsp_err profile_info(const uint8_t *origin, const rsp_tlv *t, rsp_es10_profile_info *o, rsp_diag *d)
{
    memset(o, 0, sizeof(*o));
    rsp_bytes state, icon_type, cls;
    es10_field f[] = {
        {0x5A, ES10_OPT, 10, 10, &o->iccid},       {0x4F, ES10_OPT, 5, 16, &o->isdp_aid},
        {0x9F70, ES10_OPT, 1, 1, &state},          {0x90, ES10_OPT, 0, 64, &o->nickname},
        {0x91, ES10_OPT, 0, 32, &o->spn},          {0x92, ES10_OPT, 0, 64, &o->name},
        {0x93, ES10_OPT, 1, 1, &icon_type},        {0x94, ES10_OPT, 0, 1024, &o->icon},
        {0x95, ES10_OPT, 1, 1, &cls},              {0xB6, ES10_OPT, 0, 0, &o->notif_config},
        {0xB7, ES10_OPT, 0, 0, &o->owner},         {0xB8, ES10_OPT, 0, 0, &o->dp_proprietary},
        {0x99, ES10_OPT, 0, 0, &o->ppr},
    };
    rsp_err e = es10_fields(origin, t, f, sizeof(f) / sizeof(f[0]), d);
    e = e ? e : small_int(origin, state, 1, &o->state, d);
    e = e ? e : small_int(origin, icon_type, 1, &o->icon_type, d);
    return e ? e : small_int(origin, cls, 2, &o->profile_class, d);
}

rsp_err rsp_es10_profiles_encode(const rsp_es10_profile_info *items, size_t n, rsp_buf *out)
{
    size_t m = 0, a = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_GET_PROFILES_INFO, &m);
    e = e ? e : rsp_tlv_begin(out, 0xA0, &a);
    for (size_t i = 0; !e && i < n; i++)
        e = rsp_es10_profile_info_encode(&items[i], out);
    e = e ? e : rsp_tlv_end(out, a);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_profiles_decode(const uint8_t *p, size_t len, rsp_es10_profiles *out, rsp_diag *diag)
{
    out->ok = false;
    out->error = 0;
    out->n = 0;
    rsp_tlv a, c;
    rsp_bytes list, err;
    rsp_err e = es10_answer(p, len, RSP_ES10_GET_PROFILES_INFO, 0xA0, 0x81, &list, &err, diag);
    if (e || err.p)
        return e ? e : es10_code(p, err, 1, &out->error, diag);
    out->ok = true;
    if ((e = es10_outer(p, list.p, list.len, 0xA0, &a, diag)) != RSP_OK)
        return e;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, a.value, a.len, RSP_TLV_DER);
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK) {
        if (c.tag != 0xE3)
            return rsp_diag_set_at(diag, RSP_ERR_TAG, es10_off(p, c.raw), "expected ProfileInfo E3, found %X",
                                   (unsigned)c.tag);
        if (out->n == RSP_ES10_MAX_ITEMS)
            return rsp_diag_set_at(diag, RSP_ERR_RANGE, es10_off(p, c.raw), "more than %d profiles", RSP_ES10_MAX_ITEMS);
        if ((e = profile_info(p, &c, &out->items[out->n], diag)) != RSP_OK)
            return e;
        out->n++;
    }
    return e == RSP_ERR_END ? RSP_OK
                            : rsp_diag_set_at(diag, e, es10_off(p, a.value) + r.diag.offset, "profiles: %s", r.diag.msg);
}
