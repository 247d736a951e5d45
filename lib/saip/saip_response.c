/* EUICCResponse (end of PEDefinitions), AUTOMATIC TAGS:
 *   EUICCResponse ::= SEQUENCE { peStatus [0] SEQUENCE OF PEStatus, profileInstallationAborted [1] NULL
 *                                OPTIONAL, statusMessage [2] UTF8String (SIZE (2..64)) OPTIONAL }
 *   PEStatus ::= SEQUENCE { status [0] INTEGER, identification [1] UInt15 OPTIONAL,
 *                           additional-information [2] UInt8 OPTIONAL, offset [3] UInt31 OPTIONAL } */
#include <stdlib.h>
#include <string.h>

#include "rsp/saip.h"
#include "saip_int.h"

rsp_err rsp_saip_euicc_response_encode(const rsp_saip_euicc_response *r, rsp_buf *out)
{
    if (!r || !out || (r->n_pe_status && !r->pe_status))
        return RSP_ERR_INVAL;
    size_t msg_len = r->has_status_message ? strnlen(r->status_message, sizeof(r->status_message)) : 0;
    if (r->has_status_message && (msg_len < 2 || msg_len > RSP_SAIP_STATUS_MSG_MAX))
        return RSP_ERR_RANGE;
    size_t start = out->len, top, seq;
    rsp_err e = rsp_tlv_begin(out, 0x30, &top);
    if (!e)
        e = rsp_tlv_begin(out, 0xA0, &seq);
    for (size_t i = 0; !e && i < r->n_pe_status; i++) {
        const rsp_saip_pe_status *s = &r->pe_status[i];
        size_t m;
        if ((s->has_identification && s->identification > 0x7FFF) || (s->has_offset && s->offset > 0x7FFFFFFF)) {
            e = RSP_ERR_RANGE;
            break;
        }
        e = rsp_tlv_begin(out, 0x30, &m);
        if (!e)
            e = saip_uint_put(out, 0x80, s->status);
        if (!e && s->has_identification)
            e = saip_uint_put(out, 0x81, s->identification);
        if (!e && s->has_additional_information)
            e = saip_uint_put(out, 0x82, s->additional_information);
        if (!e && s->has_offset)
            e = saip_uint_put(out, 0x83, s->offset);
        if (!e)
            e = rsp_tlv_end(out, m);
    }
    if (!e)
        e = rsp_tlv_end(out, seq);
    if (!e && r->installation_aborted)
        e = rsp_tlv_put(out, 0x81, NULL, 0);
    if (!e && r->has_status_message)
        e = rsp_tlv_put(out, 0x82, r->status_message, msg_len);
    if (!e)
        e = rsp_tlv_end(out, top);
    if (e)
        out->len = start;
    return e;
}

void rsp_saip_euicc_response_free(rsp_saip_euicc_response *r)
{
    if (!r)
        return;
    free(r->pe_status);
    memset(r, 0, sizeof(*r));
}

static rsp_err decode_status(const rsp_tlv_reader *parent, const rsp_tlv *st, rsp_saip_pe_status *s, rsp_diag *diag)
{
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    int last = -1;
    rsp_tlv_reader_nested(&r, parent, st);
    memset(s, 0, sizeof(*s));
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        size_t off = r.base + t.offset;
        int slot = t.tag >= 0x80 && t.tag <= 0x83 ? (int)(t.tag - 0x80) : -1;
        if (slot < 0)
            continue; /* EXTENSIBILITY IMPLIED */
        if (last < 0 && slot != 0)
            return rsp_diag_set_at(diag, RSP_ERR_TAG, off, "PEStatus does not start with status (80)");
        if (slot <= last)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, off, "PEStatus component %X out of order", (unsigned)t.tag);
        last = slot;
        static const uint32_t max[4] = {0xFFFFFFFFu, 0x7FFF, 0xFF, 0x7FFFFFFF};
        uint32_t v;
        if ((e = saip_uint_decode(t.value, t.len, max[slot], &v)) != RSP_OK)
            return rsp_diag_set_at(diag, e, off, "PEStatus component %X is not an integer in range", (unsigned)t.tag);
        switch (slot) {
        case 0: s->status = v; break;
        case 1: s->has_identification = true, s->identification = (uint16_t)v; break;
        case 2: s->has_additional_information = true, s->additional_information = (uint8_t)v; break;
        default: s->has_offset = true, s->offset = v; break;
        }
    }
    if (e != RSP_ERR_END)
        return rsp_diag_set_at(diag, e, r.diag.offset, "PEStatus: %s", r.diag.msg);
    if (last < 0)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, st->offset + parent->base, "PEStatus has no status (80)");
    return RSP_OK;
}

rsp_err rsp_saip_euicc_response_decode(const uint8_t *p, size_t len, rsp_saip_euicc_response *out,
                                       rsp_diag *diag)
{
    if (!out || (!p && len))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "no input");
    memset(out, 0, sizeof(*out));
    rsp_tlv top, t, ps;
    rsp_tlv_reader outer, r;
    rsp_tlv_reader_init(&outer, p, len, SAIP_TLV_FLAGS);
    rsp_err e = rsp_tlv_next(&outer, &top);
    if (e)
        return rsp_diag_set_at(diag, e == RSP_ERR_END ? RSP_ERR_TRUNCATED : e, outer.diag.offset, "EUICCResponse: %s",
                               e == RSP_ERR_END ? "empty input" : outer.diag.msg);
    if (top.tag != 0x30)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, 0, "EUICCResponse: expected SEQUENCE (30), found %X",
                               (unsigned)top.tag);
    if (top.raw_len != len)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, top.raw_len, "EUICCResponse: %zu trailing bytes",
                               len - top.raw_len);
    rsp_tlv_reader_nested(&r, &outer, &top);
    if ((e = rsp_tlv_next(&r, &t)) != RSP_OK || t.tag != 0xA0)
        return rsp_diag_set_at(diag, e == RSP_OK || e == RSP_ERR_END ? RSP_ERR_TAG : e, r.base,
                               "EUICCResponse does not start with peStatus (A0)");
    rsp_tlv_reader list;
    rsp_tlv_reader_nested(&list, &r, &t);
    size_t cap = 0;
    while ((e = rsp_tlv_next(&list, &ps)) == RSP_OK) {
        if (ps.tag != 0x30) {
            e = rsp_diag_set_at(diag, RSP_ERR_TAG, list.base + ps.offset, "peStatus entry %zu is not a SEQUENCE",
                                out->n_pe_status);
            break;
        }
        if (out->n_pe_status == cap) {
            cap = cap ? 2 * cap : 8;
            rsp_saip_pe_status *v = realloc(out->pe_status, cap * sizeof(*v));
            if (!v) {
                e = rsp_diag_set(diag, RSP_ERR_NOMEM, "out of memory");
                break;
            }
            out->pe_status = v;
        }
        if ((e = decode_status(&list, &ps, &out->pe_status[out->n_pe_status], diag)) != RSP_OK)
            break;
        out->n_pe_status++;
    }
    /* An error from decode_status already filled diag, and the first error set wins. */
    if (e == RSP_ERR_END)
        e = RSP_OK;
    else if (e)
        rsp_diag_set_at(diag, e, list.diag.offset, "peStatus: %s", list.diag.msg);
    int last = 0;
    while (!e && (e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        size_t off = r.base + t.offset;
        int slot = t.tag == 0x81 ? 1 : t.tag == 0x82 ? 2 : 0;
        if (slot == 0)
            continue; /* EXTENSIBILITY IMPLIED */
        if (slot <= last) {
            e = rsp_diag_set_at(diag, RSP_ERR_FORMAT, off, "EUICCResponse component %X out of order",
                                (unsigned)t.tag);
            break;
        }
        last = slot;
        if (slot == 1 && t.len != 0) {
            e = rsp_diag_set_at(diag, RSP_ERR_LENGTH, off, "profileInstallationAborted NULL has length %zu", t.len);
        } else if (slot == 1) {
            out->installation_aborted = true;
        } else if (t.len < 2 || t.len > RSP_SAIP_STATUS_MSG_MAX || memchr(t.value, 0, t.len)) {
            e = rsp_diag_set_at(diag, RSP_ERR_LENGTH, off, "statusMessage of %zu bytes (2..64 allowed)", t.len);
        } else {
            memcpy(out->status_message, t.value, t.len);
            out->status_message[t.len] = '\0';
            out->has_status_message = true;
        }
    }
    if (e == RSP_ERR_END)
        e = RSP_OK;
    else if (e)
        rsp_diag_set_at(diag, e, r.diag.offset, "EUICCResponse: %s", r.diag.msg);
    if (e)
        rsp_saip_euicc_response_free(out);
    return e;
}
