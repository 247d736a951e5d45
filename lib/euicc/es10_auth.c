/* ES10 codecs: AuthenticateServer and PrepareDownload (ES10b), with the signed objects inside them
 * (SGP22.md §"ASN.1 tag maps" and §"Signatures"). Signed objects are kept raw as received. */
#include <string.h>

#include "es10_int.h"

rsp_err rsp_es10_server_signed1_encode(const rsp_es10_server_signed1 *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, 0x30, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, in->transaction_id.p, in->transaction_id.len);
    e = e ? e : rsp_tlv_put(out, 0x81, in->euicc_challenge.p, in->euicc_challenge.len);
    e = e ? e : rsp_tlv_put(out, 0x83, in->server_address.p, in->server_address.len);
    e = e ? e : rsp_tlv_put(out, 0x84, in->server_challenge.p, in->server_challenge.len);
    return e ? e : rsp_tlv_end(out, m);
}

static rsp_err signed1_fields(const uint8_t *origin, const rsp_tlv *t, rsp_es10_server_signed1 *out, rsp_diag *d)
{
    out->raw = rsp_bytes_of(t->raw, t->raw_len);
    es10_field f[] = {
        {0x80, 0, 1, RSP_ES10_MAX_TID, &out->transaction_id},
        {0x81, 0, RSP_ES10_CHALLENGE_LEN, RSP_ES10_CHALLENGE_LEN, &out->euicc_challenge},
        {0x83, 0, 1, 255, &out->server_address},
        {0x84, 0, RSP_ES10_CHALLENGE_LEN, RSP_ES10_CHALLENGE_LEN, &out->server_challenge},
    };
    return es10_fields(origin, t, f, 4, d);
}

rsp_err rsp_es10_server_signed1_decode(const uint8_t *p, size_t len, rsp_es10_server_signed1 *out, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_err e = es10_outer(p, p, len, 0x30, &t, diag);
    return e ? e : signed1_fields(p, &t, out, diag);
}

/* CtxParams1 is a CHOICE whose one alternative, ctxParamsForCommonAuthentication, is tagged A0: the
 * A0 in the request is that alternative itself, {80 matchingId?, A1 deviceInfo}. */
static rsp_err ctx_decode(const uint8_t *origin, rsp_bytes raw, rsp_es10_ctx_params1 *out, rsp_diag *d)
{
    rsp_tlv a;
    rsp_bytes dev;
    rsp_err e = es10_outer(origin, raw.p, raw.len, 0xA0, &a, d);
    if (e)
        return e;
    out->raw = raw;
    es10_field f[] = {{0x80, ES10_OPT, 0, 255, &out->matching_id}, {0xA1, 0, 0, 0, &dev}};
    if ((e = es10_fields(origin, &a, f, 2, d)) != RSP_OK)
        return e;
    out->has_matching_id = out->matching_id.p != NULL;
    rsp_tlv dt = {.tag = 0xA1, .constructed = true, .value = dev.p, .len = dev.len, .raw = dev.p, .raw_len = dev.len};
    es10_field g[] = {{0x80, 0, 4, 8, &out->tac}, {0xA1, 0, 0, 0, &out->device_capabilities},
                      {0x82, ES10_OPT, 8, 8, &out->imei}};
    if ((e = es10_fields(origin, &dt, g, 3, d)) != RSP_OK)
        return e;
    if (out->tac.len != 4 && out->tac.len != 8)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, es10_off(origin, out->tac.p), "TAC of %zu bytes (4, or 8 in older modules)",
                               out->tac.len);
    return RSP_OK;
}

rsp_err rsp_es10_auth_server_req_encode(const rsp_es10_auth_server_req *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_AUTHENTICATE_SERVER, &m);
    e = e ? e : rsp_buf_append(out, in->signed1.raw.p, in->signed1.raw.len);
    e = e ? e : rsp_tlv_put(out, 0x5F37, in->server_signature1.p, in->server_signature1.len);
    e = e ? e : rsp_tlv_put(out, 0x04, in->ci_pkid.p, in->ci_pkid.len);
    e = e ? e : rsp_buf_append(out, in->server_certificate.p, in->server_certificate.len);
    e = e ? e : rsp_buf_append(out, in->ctx.raw.p, in->ctx.raw.len);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_auth_server_req_decode(const uint8_t *p, size_t len, rsp_es10_auth_server_req *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv t, s;
    rsp_bytes s1, ctx;
    /* serverSigned1 and serverCertificate are both 30: the table reads them in order. */
    es10_field f[] = {
        {0x30, ES10_RAW, 0, 0, &s1},
        {0x5F37, 0, RSP_ES10_SIG_LEN, RSP_ES10_SIG_LEN, &out->server_signature1},
        {0x04, 0, 1, 32, &out->ci_pkid},
        {0x30, ES10_RAW, 0, 0, &out->server_certificate},
        {0xA0, ES10_RAW, 0, 0, &ctx},
    };
    rsp_err e = es10_outer(p, p, len, RSP_ES10_AUTHENTICATE_SERVER, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 5, diag);
    e = e ? e : es10_outer(p, s1.p, s1.len, 0x30, &s, diag);
    e = e ? e : signed1_fields(p, &s, &out->signed1, diag);
    return e ? e : ctx_decode(p, ctx, &out->ctx, diag);
}

rsp_err rsp_es10_euicc_signed1_encode(const rsp_es10_euicc_signed1 *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, 0x30, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, in->transaction_id.p, in->transaction_id.len);
    e = e ? e : rsp_tlv_put(out, 0x83, in->server_address.p, in->server_address.len);
    e = e ? e : rsp_tlv_put(out, 0x84, in->server_challenge.p, in->server_challenge.len);
    e = e ? e : rsp_buf_append(out, in->euicc_info2.p, in->euicc_info2.len);
    e = e ? e : rsp_buf_append(out, in->ctx_params1.p, in->ctx_params1.len);
    return e ? e : rsp_tlv_end(out, m);
}

static rsp_err euicc_signed1_fields(const uint8_t *origin, const rsp_tlv *t, rsp_es10_euicc_signed1 *out, rsp_diag *d)
{
    out->raw = rsp_bytes_of(t->raw, t->raw_len);
    es10_field f[] = {
        {0x80, 0, 1, RSP_ES10_MAX_TID, &out->transaction_id},
        {0x83, 0, 1, 255, &out->server_address},
        {0x84, 0, RSP_ES10_CHALLENGE_LEN, RSP_ES10_CHALLENGE_LEN, &out->server_challenge},
        {RSP_ES10_EUICC_INFO2, ES10_RAW, 0, 0, &out->euicc_info2},
        {0xA0, ES10_RAW, 0, 0, &out->ctx_params1},
    };
    return es10_fields(origin, t, f, 5, d);
}

rsp_err rsp_es10_euicc_signed1_decode(const uint8_t *p, size_t len, rsp_es10_euicc_signed1 *out, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_err e = es10_outer(p, p, len, 0x30, &t, diag);
    return e ? e : euicc_signed1_fields(p, &t, out, diag);
}

/* The error form shared by both answers: A1{80 tid, 02 code}. Unknown codes read as undefined (127). */
static rsp_err error_encode(rsp_buf *b, rsp_bytes tid, int code)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(b, 0xA1, &m);
    e = e ? e : rsp_tlv_put(b, 0x80, tid.p, tid.len);
    e = e ? e : es10_put_int(b, 0x02, code);
    return e ? e : rsp_tlv_end(b, m);
}

static rsp_err error_decode(const uint8_t *origin, rsp_bytes raw, rsp_bytes *tid, int *code, rsp_diag *d)
{
    rsp_tlv t;
    rsp_bytes c;
    es10_field f[] = {{0x80, 0, 1, RSP_ES10_MAX_TID, tid}, {0x02, 0, 1, 4, &c}};
    rsp_err e = es10_outer(origin, raw.p, raw.len, 0xA1, &t, d);
    e = e ? e : es10_fields(origin, &t, f, 2, d);
    return e ? e : es10_code(origin, c, 1, code, d);
}

rsp_err rsp_es10_auth_server_resp_encode(const rsp_es10_auth_server_resp *in, rsp_buf *out)
{
    size_t m = 0, a = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_AUTHENTICATE_SERVER, &m);
    if (!e && !in->ok) {
        e = error_encode(out, in->transaction_id, in->error);
    } else if (!e) {
        e = rsp_tlv_begin(out, 0xA0, &a);
        e = e ? e : rsp_buf_append(out, in->signed1.raw.p, in->signed1.raw.len);
        e = e ? e : rsp_tlv_put(out, 0x5F37, in->euicc_signature1.p, in->euicc_signature1.len);
        e = e ? e : rsp_buf_append(out, in->cert_euicc.p, in->cert_euicc.len);
        e = e ? e : rsp_buf_append(out, in->cert_eum.p, in->cert_eum.len);
        e = e ? e : rsp_tlv_end(out, a);
    }
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_auth_server_resp_decode(const uint8_t *p, size_t len, rsp_es10_auth_server_resp *out,
                                         rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv a, s;
    rsp_bytes okr, err;
    rsp_err e = es10_answer(p, len, RSP_ES10_AUTHENTICATE_SERVER, 0xA0, 0xA1, &okr, &err, diag);
    if (e)
        return e;
    if (err.p)
        return error_decode(p, err, &out->transaction_id, &out->error, diag);
    out->ok = true;
    rsp_bytes s1;
    es10_field g[] = {
        {0x30, ES10_RAW, 0, 0, &s1},
        {0x5F37, 0, RSP_ES10_SIG_LEN, RSP_ES10_SIG_LEN, &out->euicc_signature1},
        {0x30, ES10_RAW, 0, 0, &out->cert_euicc},
        {0x30, ES10_RAW, 0, 0, &out->cert_eum},
    };
    e = es10_outer(p, okr.p, okr.len, 0xA0, &a, diag);
    e = e ? e : es10_fields(p, &a, g, 4, diag);
    e = e ? e : es10_outer(p, s1.p, s1.len, 0x30, &s, diag);
    e = e ? e : euicc_signed1_fields(p, &s, &out->signed1, diag);
    if (!e)
        out->transaction_id = out->signed1.transaction_id;
    return e;
}

rsp_err rsp_es10_smdp_signed2_encode(const rsp_es10_smdp_signed2 *in, rsp_buf *out)
{
    size_t m = 0;
    uint8_t flag = in->cc_required ? 0xFF : 0x00;
    rsp_err e = rsp_tlv_begin(out, 0x30, &m);
    e = e ? e : rsp_tlv_put(out, 0x80, in->transaction_id.p, in->transaction_id.len);
    e = e ? e : rsp_tlv_put(out, 0x01, &flag, 1);
    if (!e && in->bpp_euicc_otpk.len)
        e = rsp_tlv_put(out, 0x5F49, in->bpp_euicc_otpk.p, in->bpp_euicc_otpk.len);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_prepare_req_encode(const rsp_es10_prepare_req *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_PREPARE_DOWNLOAD, &m);
    e = e ? e : rsp_buf_append(out, in->signed2.raw.p, in->signed2.raw.len);
    e = e ? e : rsp_tlv_put(out, 0x5F37, in->smdp_signature2.p, in->smdp_signature2.len);
    if (!e && in->hash_cc.len)
        e = rsp_tlv_put(out, 0x04, in->hash_cc.p, in->hash_cc.len);
    e = e ? e : rsp_buf_append(out, in->cert_dppb.p, in->cert_dppb.len);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_prepare_req_decode(const uint8_t *p, size_t len, rsp_es10_prepare_req *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv t, s;
    rsp_bytes s2, flag;
    es10_field f[] = {
        {0x30, ES10_RAW, 0, 0, &s2},
        {0x5F37, 0, RSP_ES10_SIG_LEN, RSP_ES10_SIG_LEN, &out->smdp_signature2},
        {0x04, ES10_OPT, 32, 32, &out->hash_cc},
        {0x30, ES10_RAW, 0, 0, &out->cert_dppb},
    };
    es10_field g[] = {
        {0x80, 0, 1, RSP_ES10_MAX_TID, &out->signed2.transaction_id},
        {0x01, 0, 1, 1, &flag},
        {0x5F49, ES10_OPT, RSP_ES10_POINT_LEN, RSP_ES10_POINT_LEN, &out->signed2.bpp_euicc_otpk},
    };
    rsp_err e = es10_outer(p, p, len, RSP_ES10_PREPARE_DOWNLOAD, &t, diag);
    e = e ? e : es10_fields(p, &t, f, 4, diag);
    e = e ? e : es10_outer(p, s2.p, s2.len, 0x30, &s, diag);
    e = e ? e : es10_fields(p, &s, g, 3, diag);
    e = e ? e : es10_bool(p, flag, &out->signed2.cc_required, diag);
    if (!e)
        out->signed2.raw = s2;
    return e;
}

rsp_err rsp_es10_euicc_signed2_encode(const rsp_es10_prepare_resp *in, rsp_buf *signed2)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(signed2, 0x30, &m);
    e = e ? e : rsp_tlv_put(signed2, 0x80, in->transaction_id.p, in->transaction_id.len);
    e = e ? e : rsp_tlv_put(signed2, 0x5F49, in->euicc_otpk.p, in->euicc_otpk.len);
    if (!e && in->hash_cc.len)
        e = rsp_tlv_put(signed2, 0x04, in->hash_cc.p, in->hash_cc.len);
    return e ? e : rsp_tlv_end(signed2, m);
}

rsp_err rsp_es10_prepare_resp_encode(const rsp_es10_prepare_resp *in, rsp_buf *out)
{
    size_t m = 0;
    rsp_err e = rsp_tlv_begin(out, RSP_ES10_PREPARE_DOWNLOAD, &m);
    if (!e)
        e = in->ok ? es10_put_signed(out, in->signed2_raw, in->euicc_signature2)
                   : error_encode(out, in->transaction_id, in->error);
    return e ? e : rsp_tlv_end(out, m);
}

rsp_err rsp_es10_prepare_resp_decode(const uint8_t *p, size_t len, rsp_es10_prepare_resp *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv a, s;
    rsp_bytes okr, err;
    rsp_err e = es10_answer(p, len, RSP_ES10_PREPARE_DOWNLOAD, 0xA0, 0xA1, &okr, &err, diag);
    if (e)
        return e;
    if (err.p)
        return error_decode(p, err, &out->transaction_id, &out->error, diag);
    out->ok = true;
    es10_field g[] = {{0x30, ES10_RAW, 0, 0, &out->signed2_raw},
                      {0x5F37, 0, RSP_ES10_SIG_LEN, RSP_ES10_SIG_LEN, &out->euicc_signature2}};
    es10_field h[] = {{0x80, 0, 1, RSP_ES10_MAX_TID, &out->transaction_id},
                      {0x5F49, 0, RSP_ES10_POINT_LEN, RSP_ES10_POINT_LEN, &out->euicc_otpk},
                      {0x04, ES10_OPT, 32, 32, &out->hash_cc}};
    e = es10_outer(p, okr.p, okr.len, 0xA0, &a, diag);
    e = e ? e : es10_fields(p, &a, g, 2, diag);
    e = e ? e : es10_outer(p, out->signed2_raw.p, out->signed2_raw.len, 0x30, &s, diag);
    return e ? e : es10_fields(p, &s, h, 3, diag);
}
