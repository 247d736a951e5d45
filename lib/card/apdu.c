#include "rsp/apdu.h"

#include <string.h>

rsp_err rsp_apdu_parse(const uint8_t *p, size_t len, rsp_apdu *out, rsp_diag *diag)
{
    if (!out || (!p && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (len < 4)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "C-APDU shorter than its 4-byte header (%zu bytes)", len);
    out->cla = p[0];
    out->ins = p[1];
    out->p1 = p[2];
    out->p2 = p[3];
    if (len == 4) {
        out->apdu_case = 1;
        return RSP_OK;
    }
    size_t b5 = p[4];
    if (len == 5) {
        out->apdu_case = 2;
        out->has_le = true;
        out->le = b5 ? (unsigned)b5 : 256u;
        return RSP_OK;
    }
    /* Lc of 00 would announce the extended form, which this short-form codec does not carry. */
    if (b5 == 0)
        return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, 4, "extended-length C-APDU (Lc byte 00) not supported");
    if (len < 5 + b5)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "C-APDU data shorter than Lc %zu", b5);
    out->lc = b5;
    out->data = p + 5;
    if (len == 5 + b5) {
        out->apdu_case = 3;
        return RSP_OK;
    }
    if (len == 6 + b5) {
        out->apdu_case = 4;
        out->has_le = true;
        out->le = p[5 + b5] ? p[5 + b5] : 256u;
        return RSP_OK;
    }
    return rsp_diag_set_at(diag, RSP_ERR_LENGTH, 5 + b5, "C-APDU has %zu bytes after Lc data (at most 1 Le byte)",
                           len - 5 - b5);
}

bool rsp_apdu_ins_outgoing(uint8_t cla, uint8_t ins)
{
    (void)cla;
    switch (ins) {
    case 0xB0: /* READ BINARY */
    case 0xB2: /* READ RECORD */
    case 0xC0: /* GET RESPONSE */
    case 0xCA: /* GET DATA */
    case 0x12: /* FETCH */
    case 0x84: /* GET CHALLENGE */
    case 0xF2: /* STATUS (TS 102 221 class 8x/Ax) is outgoing when P3 is Le; GP GET STATUS has data */
        return ins != 0xF2 || (cla & 0xF0) == 0xA0;
    default:
        return false;
    }
}

rsp_err rsp_apdu_next_t0(const uint8_t *p, size_t len, rsp_apdu *out, size_t *consumed, rsp_diag *diag)
{
    if (!out || !consumed || (!p && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (len < 5)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "C-APDU shorter than header and P3 (%zu bytes)", len);
    out->cla = p[0];
    out->ins = p[1];
    out->p1 = p[2];
    out->p2 = p[3];
    size_t p3 = p[4];
    if (rsp_apdu_ins_outgoing(p[0], p[1])) {
        out->apdu_case = 2;
        out->has_le = true;
        out->le = p3 ? (unsigned)p3 : 256u;
        *consumed = 5;
        return RSP_OK;
    }
    if (len < 5 + p3)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "C-APDU data shorter than P3 %zu", p3);
    out->apdu_case = p3 ? 3 : 1;
    out->lc = p3;
    out->data = p3 ? p + 5 : NULL;
    *consumed = 5 + p3;
    return RSP_OK;
}

rsp_err rsp_apdu_build(rsp_buf *out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                       size_t lc, bool has_le, unsigned le)
{
    if (!out || lc > 255 || (lc && !data) || (has_le && (le < 1 || le > 256)))
        return RSP_ERR_INVAL;
    uint8_t h[5] = {cla, ins, p1, p2, (uint8_t)lc};
    rsp_err e = rsp_buf_append(out, h, lc ? 5 : 4);
    if (e == RSP_OK && lc)
        e = rsp_buf_append(out, data, lc);
    if (e == RSP_OK && has_le)
        e = rsp_buf_append_byte(out, (uint8_t)(le & 0xFF));
    return e;
}

rsp_err rsp_apdu_encode(rsp_buf *out, const rsp_apdu *a)
{
    if (!a)
        return RSP_ERR_INVAL;
    return rsp_apdu_build(out, a->cla, a->ins, a->p1, a->p2, a->data, a->lc, a->has_le, a->le);
}

rsp_err rsp_apdu_resp_split(const uint8_t *p, size_t len, rsp_bytes *data, uint16_t *sw, rsp_diag *diag)
{
    if (!data || !sw || (!p && len))
        return RSP_ERR_INVAL;
    if (len < 2)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "R-APDU shorter than its status word (%zu bytes)", len);
    *data = rsp_bytes_of(p, len - 2);
    *sw = rsp_be16(p + len - 2);
    return RSP_OK;
}

rsp_err rsp_apdu_resp_build(rsp_buf *out, const uint8_t *data, size_t len, uint16_t sw)
{
    if (!out || (len && !data))
        return RSP_ERR_INVAL;
    rsp_err e = len ? rsp_buf_append(out, data, len) : RSP_OK;
    return e == RSP_OK ? rsp_buf_append_u16(out, sw) : e;
}

bool rsp_apdu_sw_continues(uint16_t sw)
{
    uint8_t sw1 = (uint8_t)(sw >> 8);
    return sw == 0x9000 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63;
}
