#include "rsp/rapdu.h"

#include <string.h>

#include "rsp/apdu.h"
#include "rsp/tlv.h"

rsp_rapdu_format rsp_rapdu_detect(const uint8_t *p, size_t len)
{
    if (len && (p[0] == 0xAA || p[0] == 0xAB))
        return RSP_RAPDU_EXPANDED;
    if (len && (p[0] == 0xAE || p[0] == 0xAF))
        return RSP_RAPDU_EXPANDED_INDEF;
    return RSP_RAPDU_COMPACT;
}

/* Opens the outer container; indefinite form for AE/AF. */
static rsp_err open_container(rsp_rapdu_format f, const uint8_t *p, size_t len, uint8_t def_tag, uint8_t indef_tag,
                              rsp_tlv *t, rsp_diag *d)
{
    rsp_err e = rsp_tlv_parse(p, len, RSP_TLV_ALLOW_INDEFINITE, t, d);
    if (e != RSP_OK)
        return e;
    uint8_t want = f == RSP_RAPDU_EXPANDED ? def_tag : indef_tag;
    if (t->tag != want)
        return rsp_diag_set_at(d, RSP_ERR_TAG, 0, "tag %02X where %02X was expected", (unsigned)t->tag, want);
    if ((f == RSP_RAPDU_EXPANDED_INDEF) != t->indefinite)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, 1, "tag %02X needs %s length", want,
                               t->indefinite ? "a definite" : "the indefinite (80)");
    if (t->raw_len != len)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, t->raw_len, "%zu bytes after the %02X TLV", len - t->raw_len, want);
    return RSP_OK;
}

rsp_err rsp_rapdu_script_build(rsp_rapdu_format f, const rsp_bytes *apdus, size_t n, rsp_buf *out)
{
    if (!out || (n && !apdus))
        return RSP_ERR_INVAL;
    rsp_err e = RSP_OK;
    if (f == RSP_RAPDU_COMPACT) {
        for (size_t i = 0; i < n && e == RSP_OK; i++)
            e = rsp_buf_append(out, apdus[i].p, apdus[i].len);
        return e;
    }
    size_t mark = 0;
    if (f == RSP_RAPDU_EXPANDED)
        e = rsp_tlv_begin(out, 0xAA, &mark);
    else
        e = rsp_buf_append(out, "\xAE\x80", 2);
    for (size_t i = 0; i < n && e == RSP_OK; i++)
        e = rsp_tlv_put(out, 0x22, apdus[i].p, apdus[i].len);
    if (e == RSP_OK)
        e = f == RSP_RAPDU_EXPANDED ? rsp_tlv_end(out, mark) : rsp_buf_append(out, "\x00\x00", 2);
    return e;
}

rsp_err rsp_rapdu_script_parse(rsp_rapdu_format f, const uint8_t *p, size_t len, rsp_rapdu_script *out, rsp_diag *d)
{
    if (!out || (!p && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    out->format = f;
    rsp_err e;
    rsp_apdu a;
    if (f == RSP_RAPDU_COMPACT) {
        size_t off = 0, used;
        while (off < len) {
            if (out->n == RSP_RAPDU_MAX_ITEMS)
                return rsp_diag_set_at(d, RSP_ERR_RANGE, off, "more than %d C-APDUs", RSP_RAPDU_MAX_ITEMS);
            if ((e = rsp_apdu_next_t0(p + off, len - off, &a, &used, d)) != RSP_OK) {
                if (d)
                    d->offset += off;
                return e;
            }
            out->cmds[out->n++] = (rsp_rapdu_item){p + off, used, 0};
            off += used;
        }
        return RSP_OK;
    }
    rsp_tlv t;
    if ((e = open_container(f, p, len, 0xAA, 0xAE, &t, d)) != RSP_OK)
        return e;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, t.value, t.len, 0);
    r.base = (size_t)(t.value - p);
    rsp_tlv c;
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK) {
        size_t at = r.base + c.offset;
        switch (c.tag) {
        case 0x22:
            if (out->n == RSP_RAPDU_MAX_ITEMS)
                return rsp_diag_set_at(d, RSP_ERR_RANGE, at, "more than %d C-APDUs", RSP_RAPDU_MAX_ITEMS);
            if ((e = rsp_apdu_parse(c.value, c.len, &a, NULL)) != RSP_OK)
                return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "C-APDU TLV 22 #%zu is not a short C-APDU (%zu bytes)",
                                       out->n + 1, c.len);
            out->cmds[out->n++] = (rsp_rapdu_item){c.value, c.len, 0};
            break;
        case 0x81: out->has_immediate = true; break;
        case 0x82: out->has_error_action = true; break;
        case 0x83: out->has_chaining = true; break;
        default:
            return rsp_diag_set_at(d, RSP_ERR_TAG, at, "tag %X in a command script (22, 81, 82, 83 expected)",
                                   (unsigned)c.tag);
        }
    }
    if (e != RSP_ERR_END) {
        if (d)
            *d = r.diag;
        return e;
    }
    return RSP_OK;
}

rsp_err rsp_rapdu_resp_build(rsp_rapdu_format f, unsigned count, const rsp_bytes *rapdus, size_t n, rsp_buf *out)
{
    if (!out || (n && !rapdus) || count > 255)
        return RSP_ERR_INVAL;
    rsp_err e;
    if (f == RSP_RAPDU_COMPACT) {
        if (n == 0 || rapdus[n - 1].len < 2)
            return RSP_ERR_INVAL;
        const rsp_bytes *l = &rapdus[n - 1];
        if ((e = rsp_buf_append_byte(out, (uint8_t)count)) != RSP_OK ||
            (e = rsp_buf_append(out, l->p + l->len - 2, 2)) != RSP_OK)
            return e;
        return rsp_buf_append(out, l->p, l->len - 2);
    }
    size_t mark = 0;
    e = f == RSP_RAPDU_EXPANDED ? rsp_tlv_begin(out, 0xAB, &mark) : rsp_buf_append(out, "\xAF\x80", 2);
    if (e == RSP_OK)
        e = rsp_tlv_put_u8(out, 0x80, (uint8_t)count);
    for (size_t i = 0; i < n && e == RSP_OK; i++)
        e = rsp_tlv_put(out, 0x23, rapdus[i].p, rapdus[i].len);
    if (e == RSP_OK)
        e = f == RSP_RAPDU_EXPANDED ? rsp_tlv_end(out, mark) : rsp_buf_append(out, "\x00\x00", 2);
    return e;
}

rsp_err rsp_rapdu_execute(const rsp_rapdu_script *s, rsp_rapdu_exec_fn fn, void *ctx, rsp_buf *out)
{
    if (!s || !fn || !out)
        return RSP_ERR_INVAL;
    /* R-APDUs are collected in one buffer; views are taken once it stops moving. */
    rsp_buf all = RSP_BUF_INIT;
    size_t ends[RSP_RAPDU_MAX_ITEMS];
    size_t n = 0;
    rsp_err e = RSP_OK;
    for (; n < s->n; n++) {
        size_t before = all.len;
        if ((e = fn(ctx, s->cmds[n].p, s->cmds[n].len, &all)) != RSP_OK)
            break;
        if (all.len < before + 2) {
            e = RSP_ERR_PROTOCOL; /* the executor must append at least a status word */
            break;
        }
        ends[n] = all.len;
        if (!rsp_apdu_sw_continues(rsp_be16(all.data + all.len - 2))) {
            n++;
            break;
        }
    }
    if (e == RSP_OK) {
        rsp_bytes v[RSP_RAPDU_MAX_ITEMS];
        for (size_t i = 0; i < n; i++) {
            size_t st = i ? ends[i - 1] : 0;
            v[i] = rsp_bytes_of(all.data + st, ends[i] - st);
        }
        e = n ? rsp_rapdu_resp_build(s->format, (unsigned)n, v, n, out)
              : (s->format == RSP_RAPDU_COMPACT ? RSP_ERR_INVAL : rsp_rapdu_resp_build(s->format, 0, NULL, 0, out));
    }
    rsp_buf_free(&all);
    return e;
}

rsp_err rsp_rapdu_resp_parse(rsp_rapdu_format f, const uint8_t *p, size_t len, rsp_rapdu_resp *out, rsp_diag *d)
{
    if (!out || (!p && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    out->format = f;
    rsp_err e;
    if (f == RSP_RAPDU_COMPACT) {
        if (len < 3)
            return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, len, "compact response needs count and SW (3 bytes), has %zu", len);
        out->count = p[0];
        out->n = 1;
        out->rsps[0] = (rsp_rapdu_item){p + 3, len - 3, rsp_be16(p + 1)};
        return RSP_OK;
    }
    rsp_tlv t;
    if ((e = open_container(f, p, len, 0xAB, 0xAF, &t, d)) != RSP_OK)
        return e;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, t.value, t.len, 0);
    r.base = (size_t)(t.value - p);
    rsp_tlv c;
    bool has_count = false;
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK) {
        size_t at = r.base + c.offset;
        if (c.tag == 0x80 || c.tag == 0x90) {
            if (c.len != 1)
                return rsp_diag_set_at(d, RSP_ERR_LENGTH, at, "tag %02X needs 1 byte, has %zu", (unsigned)c.tag, c.len);
            if (c.tag == 0x80) {
                out->count = c.value[0];
                has_count = true;
            } else {
                out->bad_format = true;
                out->bad_format_code = c.value[0];
            }
        } else if (c.tag == 0x23) {
            if (out->n == RSP_RAPDU_MAX_ITEMS)
                return rsp_diag_set_at(d, RSP_ERR_RANGE, at, "more than %d R-APDUs", RSP_RAPDU_MAX_ITEMS);
            if (c.len < 2)
                return rsp_diag_set_at(d, RSP_ERR_LENGTH, at, "R-APDU TLV 23 of %zu bytes has no status word", c.len);
            out->rsps[out->n++] = (rsp_rapdu_item){c.value, c.len - 2, rsp_be16(c.value + c.len - 2)};
        } else {
            return rsp_diag_set_at(d, RSP_ERR_TAG, at, "tag %X in a response (80, 23, 90 expected)", (unsigned)c.tag);
        }
    }
    if (e != RSP_ERR_END) {
        if (d)
            *d = r.diag;
        return e;
    }
    if (!has_count && !out->bad_format)
        return rsp_diag_set_at(d, RSP_ERR_TAG, 0, "response without the executed-count TLV 80");
    return RSP_OK;
}
