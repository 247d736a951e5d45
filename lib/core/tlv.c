#include <string.h>

#include "rsp/tlv.h"

/* Nesting bound for indefinite-length scans, which are the only recursive path: keeps hostile input
 * from exhausting the stack. */
#define TLV_MAX_INDEF_DEPTH 32

static rsp_err parse_at(const uint8_t *p, size_t len, size_t pos, unsigned flags, int depth, rsp_tlv *out,
                        rsp_diag *diag, size_t base);

static rsp_err parse_tag(const uint8_t *p, size_t len, size_t pos, rsp_tlv *out, rsp_diag *diag, size_t base)
{
    if (pos >= len)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, base + pos, "TLV truncated: no tag byte");
    uint32_t tag = p[pos];
    unsigned n = 1;
    if ((p[pos] & 0x1F) == 0x1F) {
        for (;;) {
            if (pos + n >= len)
                return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, base + pos,
                                       "TLV truncated inside a multi-byte tag");
            if (n == 3)
                return rsp_diag_set_at(diag, RSP_ERR_TAG, base + pos, "tag longer than 3 bytes");
            uint8_t b = p[pos + n];
            tag = tag << 8 | b;
            n++;
            if (!(b & 0x80))
                break;
        }
    }
    out->tag = tag;
    out->tag_len = n;
    out->constructed = (p[pos] & 0x20) != 0;
    return RSP_OK;
}

/* Finds the end-of-contents octets of an indefinite value starting at `start`; returns the value
 * length (excluding 00 00). */
static rsp_err scan_indefinite(const uint8_t *p, size_t len, size_t start, unsigned flags, int depth,
                               size_t *vlen, rsp_diag *diag, size_t base)
{
    if (depth >= TLV_MAX_INDEF_DEPTH)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, base + start, "indefinite lengths nested too deep");
    size_t pos = start;
    unsigned inner = flags & ~(unsigned)RSP_TLV_SKIP_PADDING;
    for (;;) {
        if (pos + 2 > len)
            return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, base + pos,
                                   "indefinite-length value has no end-of-contents 00 00");
        if (p[pos] == 0 && p[pos + 1] == 0) {
            *vlen = pos - start;
            return RSP_OK;
        }
        rsp_tlv t;
        rsp_err e = parse_at(p, len, pos, inner, depth + 1, &t, diag, base);
        if (e)
            return e;
        pos += t.raw_len;
    }
}

static rsp_err parse_at(const uint8_t *p, size_t len, size_t pos, unsigned flags, int depth, rsp_tlv *out,
                        rsp_diag *diag, size_t base)
{
    size_t start = pos;
    rsp_err e = parse_tag(p, len, pos, out, diag, base);
    if (e)
        return e;
    pos += out->tag_len;
    if (pos >= len)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, base + start, "TLV %X truncated: no length",
                               (unsigned)out->tag);
    uint8_t l0 = p[pos++];
    size_t vlen = 0;
    out->indefinite = false;
    if (l0 < 0x80) {
        vlen = l0;
    } else if (l0 == 0x80) {
        if (!(flags & RSP_TLV_ALLOW_INDEFINITE))
            return rsp_diag_set_at(diag, RSP_ERR_LENGTH, base + start,
                                   "TLV %X uses an indefinite length, which is not allowed here",
                                   (unsigned)out->tag);
        if (!out->constructed)
            return rsp_diag_set_at(diag, RSP_ERR_LENGTH, base + start,
                                   "primitive TLV %X with indefinite length", (unsigned)out->tag);
        e = scan_indefinite(p, len, pos, flags, depth, &vlen, diag, base);
        if (e)
            return e;
        out->indefinite = true;
    } else {
        unsigned n = l0 & 0x7F;
        if (n > 3)
            return rsp_diag_set_at(diag, RSP_ERR_LENGTH, base + start,
                                   "TLV %X length field has %u bytes (at most 3 allowed)",
                                   (unsigned)out->tag, n);
        if (len - pos < n)
            return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, base + start,
                                   "TLV %X truncated inside its length", (unsigned)out->tag);
        vlen = 0;
        for (unsigned i = 0; i < n; i++)
            vlen = vlen << 8 | p[pos + i];
        pos += n;
        if ((flags & RSP_TLV_DER) && vlen < (n == 1 ? 0x80u : 1u << (8 * (n - 1))))
            return rsp_diag_set_at(diag, RSP_ERR_LENGTH, base + start,
                                   "TLV %X length %zu is not minimally encoded", (unsigned)out->tag, vlen);
    }
    if (vlen > len - pos)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, base + start,
                               "TLV %X declares %zu value bytes but only %zu remain", (unsigned)out->tag,
                               vlen, len - pos);
    out->value = p + pos;
    out->len = vlen;
    out->raw = p + start;
    out->raw_len = pos - start + vlen + (out->indefinite ? 2 : 0);
    out->offset = start;
    return RSP_OK;
}

void rsp_tlv_reader_init(rsp_tlv_reader *r, const uint8_t *p, size_t len, unsigned flags)
{
    memset(r, 0, sizeof(*r));
    r->p = p;
    r->len = p ? len : 0;
    r->flags = flags;
}

void rsp_tlv_reader_nested(rsp_tlv_reader *child, const rsp_tlv_reader *parent, const rsp_tlv *t)
{
    rsp_tlv_reader_init(child, t->value, t->len, parent->flags);
    child->base = parent->base + (size_t)(t->value - parent->p);
}

rsp_err rsp_tlv_next(rsp_tlv_reader *r, rsp_tlv *out)
{
    if (r->flags & RSP_TLV_SKIP_PADDING)
        while (r->pos < r->len && (r->p[r->pos] == 0x00 || r->p[r->pos] == 0xFF))
            r->pos++;
    if (r->pos >= r->len)
        return RSP_ERR_END;
    rsp_diag_clear(&r->diag);
    rsp_err e = parse_at(r->p, r->len, r->pos, r->flags, 0, out, &r->diag, r->base);
    if (e)
        return e;
    r->pos += out->raw_len;
    return RSP_OK;
}

rsp_err rsp_tlv_parse(const uint8_t *p, size_t len, unsigned flags, rsp_tlv *out, rsp_diag *diag)
{
    if (!p && len)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "no input");
    return parse_at(p, len, 0, flags, 0, out, diag, 0);
}

rsp_err rsp_tlv_expect(const uint8_t *p, size_t len, uint32_t tag, rsp_tlv *out, rsp_diag *diag)
{
    rsp_err e = rsp_tlv_parse(p, len, 0, out, diag);
    if (e)
        return e;
    if (out->tag != tag)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, 0, "expected tag %X, found %X", (unsigned)tag,
                               (unsigned)out->tag);
    if (out->raw_len != len)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, out->raw_len, "%zu trailing bytes after TLV %X",
                               len - out->raw_len, (unsigned)tag);
    return RSP_OK;
}

rsp_err rsp_tlv_find(const uint8_t *p, size_t len, uint32_t tag, rsp_tlv *out)
{
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, p, len, 0);
    rsp_tlv t;
    rsp_err e;
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (t.tag == tag) {
            *out = t;
            return RSP_OK;
        }
    }
    return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
}

rsp_err rsp_tlv_find_path(const uint8_t *p, size_t len, const uint32_t *path, size_t depth, rsp_tlv *out)
{
    rsp_tlv t;
    for (size_t i = 0; i < depth; i++) {
        rsp_err e = rsp_tlv_find(p, len, path[i], &t);
        if (e)
            return e;
        p = t.value;
        len = t.len;
    }
    if (depth == 0)
        return RSP_ERR_INVAL;
    *out = t;
    return RSP_OK;
}

size_t rsp_tlv_tag_size(uint32_t tag)
{
    return tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1;
}

size_t rsp_tlv_len_size(size_t len)
{
    return len < 0x80 ? 1 : len <= 0xFF ? 2 : len <= 0xFFFF ? 3 : len <= 0xFFFFFF ? 4 : 0;
}

rsp_err rsp_tlv_put_tag(rsp_buf *b, uint32_t tag)
{
    uint8_t t[3];
    size_t n = rsp_tlv_tag_size(tag);
    for (size_t i = 0; i < n; i++)
        t[i] = (uint8_t)(tag >> (8 * (n - 1 - i)));
    return rsp_buf_append(b, t, n);
}

static size_t encode_len(size_t len, uint8_t out[4])
{
    size_t n = rsp_tlv_len_size(len);
    if (n == 1) {
        out[0] = (uint8_t)len;
    } else if (n > 1) {
        out[0] = (uint8_t)(0x80 | (n - 1));
        for (size_t i = 1; i < n; i++)
            out[i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    }
    return n;
}

rsp_err rsp_tlv_put_len(rsp_buf *b, size_t len)
{
    uint8_t l[4];
    size_t n = encode_len(len, l);
    if (n == 0)
        return RSP_ERR_LENGTH;
    return rsp_buf_append(b, l, n);
}

rsp_err rsp_tlv_put(rsp_buf *b, uint32_t tag, const void *value, size_t len)
{
    size_t mark = b->len;
    rsp_err e = rsp_tlv_put_tag(b, tag);
    if (!e)
        e = rsp_tlv_put_len(b, len);
    if (!e)
        e = rsp_buf_append(b, value, len);
    if (e)
        b->len = mark;
    return e;
}

rsp_err rsp_tlv_put_u8(rsp_buf *b, uint32_t tag, uint8_t v)
{
    return rsp_tlv_put(b, tag, &v, 1);
}

rsp_err rsp_tlv_begin(rsp_buf *b, uint32_t tag, size_t *mark)
{
    rsp_err e = rsp_tlv_put_tag(b, tag);
    if (!e)
        *mark = b->len;
    return e;
}

rsp_err rsp_tlv_end(rsp_buf *b, size_t mark)
{
    if (mark > b->len)
        return RSP_ERR_RANGE;
    uint8_t l[4];
    size_t n = encode_len(b->len - mark, l);
    if (n == 0)
        return RSP_ERR_LENGTH;
    return rsp_buf_insert(b, mark, l, n);
}
