/* The shared DER plumbing of the ES10 codecs (es10_int.h). */
#include <string.h>

#include "es10_int.h"

rsp_err es10_outer(const uint8_t *origin, const uint8_t *p, size_t len, uint32_t tag, rsp_tlv *out, rsp_diag *d)
{
    size_t at = es10_off(origin, p);
    if (!p || len == 0)
        return rsp_diag_set_at(d, RSP_ERR_TRUNCATED, at, "empty input where tag %X was expected", (unsigned)tag);
    rsp_diag sub;
    rsp_diag_clear(&sub);
    rsp_err e = rsp_tlv_parse(p, len, RSP_TLV_DER, out, &sub);
    if (e)
        return rsp_diag_set_at(d, e, at + sub.offset, "tag %X: %s", (unsigned)tag, sub.msg);
    if (out->tag != tag)
        return rsp_diag_set_at(d, RSP_ERR_TAG, at, "expected tag %X, found %X", (unsigned)tag, (unsigned)out->tag);
    if (out->raw_len != len)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, at + out->raw_len, "%zu bytes after the %X TLV",
                               len - out->raw_len, (unsigned)tag);
    return RSP_OK;
}

rsp_err es10_fields(const uint8_t *origin, const rsp_tlv *t, const es10_field *f, size_t n, rsp_diag *d)
{
    if (!t->constructed)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, es10_off(origin, t->raw), "tag %X is not constructed",
                               (unsigned)t->tag);
    for (size_t i = 0; i < n; i++)
        *f[i].out = rsp_bytes_of(NULL, 0);
    bool seen[32] = {false};
    if (n > 32)
        return RSP_ERR_INTERNAL;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, t->value, t->len, RSP_TLV_DER);
    size_t next = 0;
    rsp_tlv c;
    rsp_err e;
    while ((e = rsp_tlv_next(&r, &c)) == RSP_OK) {
        size_t at = es10_off(origin, c.raw), k = next;
        while (k < n && f[k].tag != c.tag)
            k++;
        if (k == n) {
            for (size_t j = 0; j < next; j++)
                if (f[j].tag == c.tag)
                    return rsp_diag_set_at(d, RSP_ERR_TAG, at, "tag %X out of order or repeated in %X",
                                           (unsigned)c.tag, (unsigned)t->tag);
            continue; /* an extension this module version does not know */
        }
        for (size_t j = next; j < k; j++)
            if (!(f[j].flags & ES10_OPT))
                return rsp_diag_set_at(d, RSP_ERR_TAG, at, "tag %X missing before %X in %X", (unsigned)f[j].tag,
                                       (unsigned)c.tag, (unsigned)t->tag);
        if (c.len < f[k].min || (f[k].max && c.len > f[k].max))
            return rsp_diag_set_at(d, RSP_ERR_LENGTH, at, "tag %X: %zu bytes, expected %zu..%zu", (unsigned)c.tag,
                                   c.len, f[k].min, f[k].max);
        *f[k].out = f[k].flags & ES10_RAW ? rsp_bytes_of(c.raw, c.raw_len) : rsp_bytes_of(c.value, c.len);
        seen[k] = true;
        next = k + 1;
    }
    if (e != RSP_ERR_END)
        return rsp_diag_set_at(d, e, es10_off(origin, t->value) + r.diag.offset, "in %X: %s", (unsigned)t->tag,
                               r.diag.msg);
    for (size_t j = next; j < n; j++)
        if (!(f[j].flags & ES10_OPT))
            return rsp_diag_set_at(d, RSP_ERR_TAG, es10_off(origin, t->value) + t->len, "tag %X missing in %X",
                                   (unsigned)f[j].tag, (unsigned)t->tag);
    (void)seen;
    return RSP_OK;
}

rsp_err es10_int(const uint8_t *origin, rsp_bytes v, long min, long max, long *out, rsp_diag *d)
{
    size_t at = es10_off(origin, v.p);
    if (v.len == 0 || v.len > 4)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, at, "INTEGER of %zu bytes", v.len);
    if (v.len > 1 && ((v.p[0] == 0x00 && !(v.p[1] & 0x80)) || (v.p[0] == 0xFF && (v.p[1] & 0x80))))
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "INTEGER not in minimal DER form");
    long x = (v.p[0] & 0x80) ? -1 : 0;
    for (size_t i = 0; i < v.len; i++)
        x = (long)((unsigned long)x << 8) | v.p[i];
    if (x < min || x > max)
        return rsp_diag_set_at(d, RSP_ERR_RANGE, at, "INTEGER %ld outside %ld..%ld", x, min, max);
    *out = x;
    return RSP_OK;
}

rsp_err es10_put_int(rsp_buf *b, uint32_t tag, long v)
{
    uint8_t tmp[sizeof(long) + 1];
    size_t n = 0;
    /* Big-endian two's complement, then drop redundant leading bytes. */
    for (int i = (int)sizeof(long) - 1; i >= 0; i--)
        tmp[n++] = (uint8_t)((unsigned long)v >> (8 * i));
    size_t s = 0;
    while (s + 1 < n && ((tmp[s] == 0x00 && !(tmp[s + 1] & 0x80)) || (tmp[s] == 0xFF && (tmp[s + 1] & 0x80))))
        s++;
    return rsp_tlv_put(b, tag, tmp + s, n - s);
}

rsp_err es10_code(const uint8_t *origin, rsp_bytes v, int lowest, int *out, rsp_diag *d)
{
    long x = 0;
    rsp_err e = es10_int(origin, v, -0x800000L, 0x7FFFFFL, &x, d);
    if (!e)
        *out = x >= lowest && x <= 127 ? (int)x : 127;
    return e;
}

rsp_err es10_answer(const uint8_t *p, size_t len, uint32_t tag, uint32_t ok_tag, uint32_t err_tag, rsp_bytes *ok,
                    rsp_bytes *err, rsp_diag *d)
{
    rsp_tlv t;
    bool err_raw = (err_tag >> 8 ? err_tag >> 8 : err_tag) & 0x20;
    es10_field f[] = {{ok_tag, ES10_RAW | ES10_OPT, 0, 0, ok}, {err_tag, (err_raw ? ES10_RAW : 0) | ES10_OPT, 1, 0, err}};
    rsp_err e = es10_outer(p, p, len, tag, &t, d);
    e = e ? e : es10_fields(p, &t, f, 2, d);
    if (!e && !ok->p == !err->p)
        e = rsp_diag_set_at(d, RSP_ERR_TAG, 0, "tag %X needs exactly one of %X, %X", (unsigned)tag, (unsigned)ok_tag,
                            (unsigned)err_tag);
    return e;
}

rsp_err es10_put_signed(rsp_buf *b, rsp_bytes signed_raw, rsp_bytes sig)
{
    size_t a = 0;
    rsp_err e = rsp_tlv_begin(b, 0xA0, &a);
    e = e ? e : rsp_buf_append(b, signed_raw.p, signed_raw.len);
    e = e ? e : rsp_tlv_put(b, 0x5F37, sig.p, sig.len);
    return e ? e : rsp_tlv_end(b, a);
}

rsp_err es10_bool(const uint8_t *origin, rsp_bytes v, bool *out, rsp_diag *d)
{
    if (v.len != 1)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, es10_off(origin, v.p), "BOOLEAN of %zu bytes", v.len);
    *out = v.p[0] != 0;
    return RSP_OK;
}

rsp_err es10_fixed(const uint8_t *origin, rsp_bytes v, uint8_t *out, size_t n, const char *what, rsp_diag *d)
{
    if (v.len != n)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, es10_off(origin, v.p), "%s: %zu bytes, expected %zu", what, v.len, n);
    memcpy(out, v.p, n);
    return RSP_OK;
}

rsp_err rsp_es10_peek_tag(const uint8_t *p, size_t len, uint32_t *tag, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_err e = rsp_tlv_parse(p, len, RSP_TLV_DER, &t, diag);
    if (e)
        return e;
    if (t.raw_len != len)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, t.raw_len, "%zu bytes after the request TLV", len - t.raw_len);
    *tag = t.tag;
    return RSP_OK;
}

rsp_err rsp_es10_empty_request(uint32_t tag, rsp_buf *out)
{
    if (tag == RSP_ES10_GET_EID) {
        static const uint8_t tag_list[] = {0x5A};
        size_t m;
        rsp_err e = rsp_tlv_begin(out, tag, &m);
        e = e ? e : rsp_tlv_put(out, 0x5C, tag_list, sizeof(tag_list));
        return e ? e : rsp_tlv_end(out, m);
    }
    return rsp_tlv_put(out, tag, NULL, 0);
}

rsp_err rsp_es10_empty_request_check(const uint8_t *p, size_t len, uint32_t tag, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_err e = es10_outer(p, p, len, tag, &t, diag);
    if (e)
        return e;
    if (tag == RSP_ES10_GET_EID) {
        /* The tagList is optional in the module; when present it must ask for the EID. */
        rsp_bytes list;
        es10_field f[] = {{0x5C, ES10_OPT, 1, 0, &list}};
        if ((e = es10_fields(p, &t, f, 1, diag)) != RSP_OK)
            return e;
        if (list.p && !memchr(list.p, 0x5A, list.len))
            return rsp_diag_set_at(diag, RSP_ERR_RANGE, es10_off(p, list.p), "GetEID tagList without 5A");
        return RSP_OK;
    }
    /* Extensions may add members; an empty body is what every LPA sends. */
    return t.constructed ? RSP_OK : rsp_diag_set(diag, RSP_ERR_FORMAT, "tag %X is not constructed", (unsigned)tag);
}
