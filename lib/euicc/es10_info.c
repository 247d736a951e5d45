/* ES10 codecs: GetEID, GetEuiccChallenge, EUICCInfo1, EUICCInfo2 (SGP22.md §"ASN.1 tag maps"). */
#include <string.h>

#include "es10_int.h"

rsp_err rsp_es10_eid_response_encode(const uint8_t eid[16], rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_GET_EID, &m);
    e = e ? e : rsp_tlv_put(out, 0x5A, eid, 16);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_eid_response_decode(const uint8_t *p, size_t len, uint8_t eid[16], rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes v;
    es10_field f[] = {{0x5A, 0, 16, 16, &v}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_GET_EID, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    if (!e)
        memcpy(eid, v.p, 16);
    return e;
}

rsp_err rsp_es10_challenge_response_encode(const uint8_t c[RSP_ES10_CHALLENGE_LEN], rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_GET_CHALLENGE, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, c, RSP_ES10_CHALLENGE_LEN);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_challenge_response_decode(const uint8_t *p, size_t len, uint8_t c[RSP_ES10_CHALLENGE_LEN],
                                           rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes v;
    es10_field f[] = {{0x80, 0, RSP_ES10_CHALLENGE_LEN, RSP_ES10_CHALLENGE_LEN, &v}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_GET_CHALLENGE, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 1, diag);
    if (!e)
        memcpy(c, v.p, RSP_ES10_CHALLENGE_LEN);
    return e;
}

/* A9/AA { 04 SKI ... }: SEQUENCE OF SubjectKeyIdentifier. */
static rsp_err ci_list_decode(const uint8_t *origin, rsp_bytes raw, rsp_es10_ci_list *out, rsp_diag *d)
{
    out->n = 0;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, raw.p, raw.len, RSP_TLV_DER);
    rsp_tlv c;
    rsp_err e;
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK) {
        size_t at = es10_off(origin, c.raw);
        if (c.tag != 0x04 || c.len == 0 || c.len > 32)
            return rsp_diag_set_at(d, RSP_ERR_TAG, at, "a CI key id must be an OCTET STRING of 1..32 bytes");
        if (out->n == RSP_ES10_MAX_CI)
            return rsp_diag_set_at(d, RSP_ERR_RANGE, at, "more than %d CI key ids", RSP_ES10_MAX_CI);
        out->ski[out->n++] = rsp_bytes_of(c.value, c.len);
    }
    return e == RSP_ERR_END ? RSP_OK
                            : rsp_diag_set_at(d, e, es10_off(origin, raw.p) + r.diag.offset, "CI list: %s", r.diag.msg);
}

static rsp_err ci_list_encode(rsp_buf *b, uint32_t tag, const rsp_es10_ci_list *l)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(b, tag, &m);
    for (size_t i = 0; !e && i < l->n && i < RSP_ES10_MAX_CI; i++)
        e = rsp_tlv_put(b, 0x04, l->ski[i].p, l->ski[i].len);
    return e ? e : rsp_tlv_end(b, m);
}

rsp_err rsp_es10_info1_encode(const rsp_es10_info1 *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_EUICC_INFO1, &m);
    e = e ? e : rsp_tlv_put(out, 0x82, in->svn, 3);
    e = e ? e : ci_list_encode(out, 0xA9, &in->verification);
    e = e ? e : ci_list_encode(out, 0xAA, &in->signing);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_info1_decode(const uint8_t *p, size_t len, rsp_es10_info1 *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv t;
    rsp_bytes svn, ver, sig;
    es10_field f[] = {{0x82, 0, 3, 3, &svn}, {0xA9, 0, 0, 0, &ver}, {0xAA, 0, 0, 0, &sig}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_EUICC_INFO1, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 3, diag);
    e = e ? e : ci_list_decode(p, ver, &out->verification, diag);
    e = e ? e : ci_list_decode(p, sig, &out->signing, diag);
    if (!e)
        memcpy(out->svn, svn.p, 3);
    return e;
}

static rsp_err put_opt(rsp_buf *b, uint32_t tag, rsp_bytes v)
{
    return v.p || v.len ? rsp_tlv_put(b, tag, v.p, v.len) : RSP_OK;
}

rsp_err rsp_es10_info2_encode(const rsp_es10_info2 *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_EUICC_INFO2, &m);
    e = e ? e : rsp_tlv_put(out, 0x81, in->profile_version, 3);
    e = e ? e : rsp_tlv_put(out, 0x82, in->svn, 3);
    e = e ? e : rsp_tlv_put(out, 0x83, in->firmware_version, 3);
    e = e ? e : rsp_tlv_put(out, 0x84, in->ext_card_resource.p, in->ext_card_resource.len);
    e = e ? e : rsp_tlv_put(out, 0x85, in->uicc_capability.p, in->uicc_capability.len);
    if (!e && in->has_ts102241_version)
        e = rsp_tlv_put(out, 0x86, in->ts102241_version, 3);
    if (!e && in->has_gp_version)
        e = rsp_tlv_put(out, 0x87, in->gp_version, 3);
    e = e ? e : rsp_tlv_put(out, 0x88, in->rsp_capability.p, in->rsp_capability.len);
    e = e ? e : ci_list_encode(out, 0xA9, &in->verification);
    e = e ? e : ci_list_encode(out, 0xAA, &in->signing);
    if (!e && in->euicc_category >= 0)
        e = es10_put_int(out, 0x8B, in->euicc_category);
    e = e ? e : put_opt(out, 0x99, in->forbidden_ppr);
    e = e ? e : rsp_tlv_put(out, 0x04, in->pp_version, 3);
    e = e ? e : rsp_tlv_put(out, 0x0C, in->sas_accreditation.p, in->sas_accreditation.len);
    e = e ? e : put_opt(out, 0xAC, in->certification_data);
    return e ? e : rsp_tlv_end(out, m);
}

/* BIT STRING content: the unused-bits count (0..7) first, and no unused bits without data. */
static rsp_err bit_string(const uint8_t *origin, rsp_bytes v, const char *what, rsp_diag *d)
{
    if (!v.p)
        return RSP_OK;
    if (v.len == 0 || v.p[0] > 7 || (v.len == 1 && v.p[0] != 0))
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, es10_off(origin, v.p), "%s: malformed BIT STRING", what);
    return RSP_OK;
}

rsp_err rsp_es10_info2_decode(const uint8_t *p, size_t len, rsp_es10_info2 *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    out->euicc_category = -1;
    rsp_tlv t;
    rsp_bytes pv, svn, fw, ts, gp, ver, sig, cat, ppv;
    es10_field f[] = {
        {0x81, 0, 3, 3, &pv},
        {0x82, 0, 3, 3, &svn},
        {0x83, 0, 3, 3, &fw},
        {0x84, 0, 0, 0, &out->ext_card_resource},
        {0x85, 0, 1, 0, &out->uicc_capability},
        {0x86, ES10_OPT, 3, 3, &ts},
        {0x87, ES10_OPT, 3, 3, &gp},
        {0x88, 0, 1, 0, &out->rsp_capability},
        {0xA9, 0, 0, 0, &ver},
        {0xAA, 0, 0, 0, &sig},
        {0x8B, ES10_OPT, 1, 4, &cat},
        {0x99, ES10_OPT, 1, 0, &out->forbidden_ppr},
        {0x04, 0, 3, 3, &ppv},
        {0x0C, 0, 0, 64, &out->sas_accreditation},
        {0xAC, ES10_OPT, 0, 0, &out->certification_data},
    };
    rsp_err e = es10_outer(p, p, len, RSP_ES10_EUICC_INFO2, &t, diag);
    e = e ? e : es10_fields(p, &t, f, sizeof(f) / sizeof(f[0]), diag);
    e = e ? e : ci_list_decode(p, ver, &out->verification, diag);
    e = e ? e : ci_list_decode(p, sig, &out->signing, diag);
    e = e ? e : bit_string(p, out->uicc_capability, "uiccCapability", diag);
    e = e ? e : bit_string(p, out->rsp_capability, "rspCapability", diag);
    e = e ? e : bit_string(p, out->forbidden_ppr, "forbiddenProfilePolicyRules", diag);
    long c = -1;
    if (!e && cat.p)
        e = es10_int(p, cat, 0, 127, &c, diag);
    if (e)
        return e;
    out->euicc_category = (int)c;
    memcpy(out->profile_version, pv.p, 3);
    memcpy(out->svn, svn.p, 3);
    memcpy(out->firmware_version, fw.p, 3);
    memcpy(out->pp_version, ppv.p, 3);
    if ((out->has_ts102241_version = ts.p != NULL))
        memcpy(out->ts102241_version, ts.p, 3);
    if ((out->has_gp_version = gp.p != NULL))
        memcpy(out->gp_version, gp.p, 3);
    return RSP_OK;
}
