/* ES10 codecs: CancelSession (SGP22.md §"ASN.1 tag maps": CancelSessionResponseOk). */
#include <string.h>

#include "es10_int.h"

rsp_err rsp_es10_cancel_req_encode(rsp_bytes tid, int reason, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_CANCEL_SESSION, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, tid.p, tid.len);
    e = e ? e : es10_put_int(out, 0x81, reason);
    return e ? e : rsp_tlv_end(out, m);
}

/* Reasons grew over versions: unknown ones read as undefinedReason. */
static int reason_of(long v)
{
    return v >= 0 && v <= 127 ? (int)v : RSP_ES10_CANCEL_UNDEFINED;
}

rsp_err rsp_es10_cancel_req_decode(const uint8_t *p, size_t len, rsp_bytes *tid, int *reason, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_bytes r;
    long v = 0;
    es10_field f[] = {{0x80, 0, 1, RSP_ES10_MAX_TID, tid}, {0x81, 0, 1, 4, &r}};
    rsp_err e = es10_outer(p, p, len, RSP_ES10_CANCEL_SESSION, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 2, diag);
    e = e ? e : es10_int(p, r, -0x800000L, 0x7FFFFFL, &v, diag);
    if (!e)
        *reason = reason_of(v);
    return e;
}

rsp_err rsp_es10_cancel_signed_encode(rsp_bytes tid, rsp_bytes smdp_oid, int reason, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, 0x30, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, tid.p, tid.len);
    e = e ? e : rsp_tlv_put(out, 0x81, smdp_oid.p, smdp_oid.len);
    e = e ? e : es10_put_int(out, 0x82, reason);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_cancel_resp_encode(const rsp_es10_cancel_resp *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_CANCEL_SESSION, &m);
    if (!e)
        e = in->ok ? es10_put_signed(out, in->signed_raw, in->signature) : es10_put_int(out, 0x81, in->error);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_cancel_resp_decode(const uint8_t *p, size_t len, rsp_es10_cancel_resp *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv a, s;
    rsp_bytes okr, err, reason;
    long v = 0;
    rsp_err e = es10_answer(p, len, RSP_ES10_CANCEL_SESSION, 0xA0, 0x81, &okr, &err, diag);
    if (e || err.p)
        return e ? e : es10_code(p, err, 1, &out->error, diag);
    out->ok = true;
    es10_field g[] = {{0x30, ES10_RAW, 0, 0, &out->signed_raw},
                      {0x5F37, 0, RSP_ES10_SIG_LEN, RSP_ES10_SIG_LEN, &out->signature}};
    es10_field h[] = {{0x80, 0, 1, RSP_ES10_MAX_TID, &out->transaction_id},
                      {0x81, 0, 1, 64, &out->smdp_oid},
                      {0x82, 0, 1, 4, &reason}};
    e = es10_outer(p, okr.p, okr.len, 0xA0, &a, diag);
    e = e ? e : es10_fields(p, &a, g, 2, diag);
    e = e ? e : es10_outer(p, out->signed_raw.p, out->signed_raw.len, 0x30, &s, diag);
    e = e ? e : es10_fields(p, &s, h, 3, diag);
    e = e ? e : es10_int(p, reason, -0x800000L, 0x7FFFFFL, &v, diag);
    if (!e)
        out->reason = reason_of(v);
    return e;
}
