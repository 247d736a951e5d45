/* The profile package walker: splits the DER into ProfileElements without copying, checks ordering
 * and PE headers, decodes the ProfileHeader. Hand-written over rsp_tlv (see docs/modules/saip.md for
 * why not asn1c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/saip.h"
#include "saip_int.h"

/* Deeper nesting than any PEDefinitions type needs (about 6): bounds recursion on hostile input. */
#define SAIP_MAX_DEPTH 24

rsp_err saip_uint_decode(const uint8_t *p, size_t len, uint32_t max, uint32_t *out)
{
    if (len == 0 || len > 5)
        return RSP_ERR_LENGTH;
    if (p[0] & 0x80)
        return RSP_ERR_RANGE; /* negative */
    if (len > 1 && p[0] == 0 && !(p[1] & 0x80))
        return RSP_ERR_FORMAT; /* not minimal */
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++)
        v = v << 8 | p[i];
    if (v > max)
        return RSP_ERR_RANGE;
    *out = (uint32_t)v;
    return RSP_OK;
}

rsp_err saip_uint_put(rsp_buf *b, uint32_t tag, uint32_t v)
{
    uint8_t c[5];
    size_t n = 0;
    /* Minimal two's complement: a leading 00 only when the top bit of the next byte is set. */
    int started = 0;
    for (int i = 3; i >= 0; i--) {
        uint8_t byte = (uint8_t)(v >> (8 * i));
        if (!started && byte == 0 && i > 0)
            continue;
        if (!started && (byte & 0x80))
            c[n++] = 0;
        started = 1;
        c[n++] = byte;
    }
    return rsp_tlv_put(b, tag, c, n);
}

rsp_err rsp_saip_oid_str(rsp_bytes oid, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return RSP_ERR_INVAL;
    if (oid.len == 0)
        return RSP_ERR_FORMAT;
    size_t k = 0;
    uint64_t v = 0;
    int first = 1;
    for (size_t i = 0; i < oid.len; i++) {
        if (v == 0 && oid.p[i] == 0x80)
            return RSP_ERR_FORMAT; /* non-minimal subidentifier */
        if (v >> 50)
            return RSP_ERR_RANGE;
        v = v << 7 | (oid.p[i] & 0x7F);
        if (oid.p[i] & 0x80)
            continue;
        int w;
        if (first) {
            unsigned arc0 = v < 40 ? 0 : v < 80 ? 1 : 2;
            w = snprintf(out + k, outlen - k, "%u.%llu", arc0, (unsigned long long)(v - 40u * arc0));
            first = 0;
        } else {
            w = snprintf(out + k, outlen - k, ".%llu", (unsigned long long)v);
        }
        if (w < 0 || (size_t)w >= outlen - k)
            return RSP_ERR_OVERFLOW;
        k += (size_t)w;
        v = 0;
    }
    return (oid.p[oid.len - 1] & 0x80) ? RSP_ERR_FORMAT : RSP_OK;
}

/* The common DER headers (1- or 2-byte tag, length up to 82 xx xx), decoded inline: the nested check
 * visits thousands of TLVs per package, and a call into rsp_tlv per TLV dominated the parse. Accepts a
 * strict subset of what rsp_tlv_parse accepts with SAIP_TLV_FLAGS, with the same results; anything
 * else goes to rsp_tlv_parse. */
static inline bool fast_header(const uint8_t *p, size_t len, size_t *hdr, size_t *vlen)
{
    size_t i = 1;
    if (len < 2)
        return false;
    if ((p[0] & 0x1F) == 0x1F) {
        if (p[1] & 0x80)
            return false;
        i = 2;
    }
    if (i >= len)
        return false;
    uint8_t l0 = p[i++];
    size_t v;
    if (l0 < 0x80) {
        v = l0;
    } else if (l0 == 0x81 && i < len && p[i] >= 0x80) {
        v = p[i++];
    } else if (l0 == 0x82 && i + 1 < len && p[i] != 0) {
        v = (size_t)p[i] << 8 | p[i + 1];
        i += 2;
    } else {
        return false;
    }
    if (v > len - i)
        return false;
    *hdr = i;
    *vlen = v;
    return true;
}

/* Checks that every constructed TLV below `p` parses and fills its parent exactly: this is what
 * makes a wrong inner length an error at parse time instead of a surprise on the card. */
static rsp_err validate_nested(const uint8_t *base, const uint8_t *p, size_t len, int depth, rsp_diag *diag)
{
    if (depth > SAIP_MAX_DEPTH)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)(p - base), "TLVs nested deeper than %d",
                               SAIP_MAX_DEPTH);
    size_t pos = 0;
    while (pos < len) {
        size_t hdr, vlen;
        if (fast_header(p + pos, len - pos, &hdr, &vlen)) {
            rsp_err e;
            if ((p[pos] & 0x20) && (e = validate_nested(base, p + pos + hdr, vlen, depth + 1, diag)) != RSP_OK)
                return e;
            pos += hdr + vlen;
            continue;
        }
        rsp_tlv t;
        /* Parse without a diag on the hot path (clearing one per TLV costs more than the parse);
         * on failure parse again to get the message. */
        rsp_err e = rsp_tlv_parse(p + pos, len - pos, SAIP_TLV_FLAGS, &t, NULL);
        if (e) {
            rsp_diag inner;
            rsp_diag_clear(&inner);
            (void)rsp_tlv_parse(p + pos, len - pos, SAIP_TLV_FLAGS, &t, &inner);
            return rsp_diag_set_at(diag, e, (size_t)(p + pos - base) + inner.offset, "%s", inner.msg);
        }
        if (t.constructed && (e = validate_nested(base, t.value, t.len, depth + 1, diag)) != RSP_OK)
            return e;
        pos += t.raw_len;
    }
    return RSP_OK;
}

/* PEHeader ::= SEQUENCE { mandated NULL OPTIONAL, identification UInt15 } as the first component. */
static rsp_err parse_pe_header(const uint8_t *base, size_t idx, rsp_saip_pe *pe, rsp_diag *diag)
{
    rsp_tlv h, t;
    size_t off = pe->offset;
    if (pe->value.len == 0 || rsp_tlv_parse(pe->value.p, pe->value.len, SAIP_TLV_FLAGS, &h, NULL) != RSP_OK ||
        h.tag != 0xA0)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, off, "element %zu (%s): does not start with a PE header (A0)",
                               idx, pe->name);
    off = (size_t)(h.raw - base);
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, h.value, h.len, SAIP_TLV_FLAGS);
    rsp_err e = rsp_tlv_next(&r, &t);
    if (e == RSP_OK && t.tag == 0x80) {
        if (t.len != 0)
            return rsp_diag_set_at(diag, RSP_ERR_LENGTH, (size_t)(t.raw - base),
                                   "element %zu (%s): PE header 'mandated' NULL has length %zu", idx, pe->name,
                                   t.len);
        pe->mandated = true;
        e = rsp_tlv_next(&r, &t);
    }
    if (e != RSP_OK || t.tag != 0x81)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, off, "element %zu (%s): PE header has no identification (81)",
                               idx, pe->name);
    uint32_t id;
    if (saip_uint_decode(t.value, t.len, 0x7FFF, &id) != RSP_OK)
        return rsp_diag_set_at(diag, RSP_ERR_RANGE, (size_t)(t.raw - base),
                               "element %zu (%s): identification is not a UInt15", idx, pe->name);
    pe->identification = (uint16_t)id;
    pe->has_id = true;
    return RSP_OK;
}

static bool utf8_valid(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint8_t c = p[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || c == 0 || (n == 2 && c < 0xC2) || i + n > len)
            return false;
        for (size_t j = 1; j < n; j++)
            if ((p[i + j] & 0xC0) != 0x80)
                return false;
        i += n;
    }
    return true;
}

static rsp_err parse_services(const uint8_t *base, const rsp_tlv *s, rsp_saip_header *h, rsp_diag *diag)
{
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    rsp_tlv_reader_init(&r, s->value, s->len, SAIP_TLV_FLAGS);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        unsigned n;
        if ((t.raw[0] & 0xE0) != 0x80 || t.len != 0)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)(t.raw - base),
                                   "header: eUICC-Mandatory-services entry %X is not a context NULL",
                                   (unsigned)t.tag);
        n = t.tag_len == 1 ? (t.tag & 0x1F) : t.tag_len == 2 ? (t.tag & 0x7F) : 64;
        if (n < RSP_SAIP_SERVICE_MAX)
            h->services |= (uint64_t)1 << n;
    }
    return e == RSP_ERR_END ? RSP_OK : rsp_diag_set_at(diag, e, (size_t)(s->value - base) + r.diag.offset,
                                                       "header services: %s", r.diag.msg);
}

static rsp_err parse_gfste(const uint8_t *base, const rsp_tlv *s, rsp_saip_header *h, rsp_diag *diag)
{
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    size_t cap = 0;
    rsp_tlv_reader_init(&r, s->value, s->len, SAIP_TLV_FLAGS);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        char tmp[160];
        if (t.tag != 0x06 || rsp_saip_oid_str(rsp_bytes_of(t.value, t.len), tmp, sizeof(tmp)) != RSP_OK)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)(t.raw - base),
                                   "header: eUICC-Mandatory-GFSTEList entry %zu is not a valid OID", h->n_gfste);
        if (h->n_gfste == cap) {
            cap = cap ? 2 * cap : 16;
            rsp_bytes *g = realloc(h->gfste, cap * sizeof(*g));
            if (!g)
                return rsp_diag_set(diag, RSP_ERR_NOMEM, "out of memory");
            h->gfste = g;
        }
        h->gfste[h->n_gfste++] = rsp_bytes_of(t.value, t.len);
    }
    return e == RSP_ERR_END ? RSP_OK : rsp_diag_set_at(diag, e, (size_t)(s->value - base) + r.diag.offset,
                                                       "header GFSTE list: %s", r.diag.msg);
}

/* ProfileHeader components in order; the number is the position, to enforce SEQUENCE order. */
static int header_slot(uint32_t tag)
{
    static const uint32_t order[] = {0x80, 0x81, 0x82, 0x83, 0x84, 0xA5, 0xA6, 0x87, 0xA8, 0xA9};
    for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
        if (order[i] == tag)
            return i;
    return -1;
}

static rsp_err parse_header(const uint8_t *base, const rsp_saip_pe *pe, rsp_saip_header *h, rsp_diag *diag)
{
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    int last = -1;
    unsigned seen = 0;
    rsp_tlv_reader_init(&r, pe->value.p, pe->value.len, SAIP_TLV_FLAGS);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        size_t off = (size_t)(t.raw - base);
        int slot = header_slot(t.tag);
        if (slot < 0)
            continue; /* EXTENSIBILITY IMPLIED: later versions may add components */
        if (slot <= last)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, off, "header: component %X out of order or repeated",
                                   (unsigned)t.tag);
        last = slot;
        seen |= 1u << slot;
        uint32_t v;
        switch (t.tag) {
        case 0x80:
        case 0x81:
            if (saip_uint_decode(t.value, t.len, 255, &v) != RSP_OK)
                return rsp_diag_set_at(diag, RSP_ERR_RANGE, off, "header: %s-version is not a UInt8",
                                       t.tag == 0x80 ? "major" : "minor");
            *(t.tag == 0x80 ? &h->major : &h->minor) = v;
            break;
        case 0x82:
            if (t.len < 1 || t.len > 100 || !utf8_valid(t.value, t.len))
                return rsp_diag_set_at(diag, RSP_ERR_FORMAT, off,
                                       "header: profileType is not 1..100 bytes of UTF-8 (%zu bytes)", t.len);
            memcpy(h->profile_type, t.value, t.len);
            h->profile_type[t.len] = '\0';
            h->has_profile_type = true;
            break;
        case 0x83:
            if (t.len != 10 || rsp_iccid_from_bcd(t.value, h->iccid) != RSP_OK)
                return rsp_diag_set_at(diag, RSP_ERR_FORMAT, off,
                                       "header: iccid is not 10 bytes of BCD digits (%zu bytes)", t.len);
            h->iccid_raw = rsp_bytes_of(t.value, t.len);
            break;
        case 0x84:
            h->has_pol = true;
            h->pol = rsp_bytes_of(t.value, t.len);
            break;
        case 0xA5:
            if ((e = parse_services(base, &t, h, diag)) != RSP_OK)
                return e;
            break;
        case 0xA6:
            if ((e = parse_gfste(base, &t, h, diag)) != RSP_OK)
                return e;
            break;
        case 0x87: h->has_connectivity = true; break;
        case 0xA8: h->has_aids = true; break;
        case 0xA9: h->has_iot_options = true; break;
        default: break;
        }
    }
    if (e != RSP_ERR_END)
        return rsp_diag_set_at(diag, e, pe->offset + (size_t)(pe->value.p - pe->raw.p) + r.diag.offset,
                               "header: %s", r.diag.msg);
    static const struct { unsigned slot; const char *name; } required[] = {
        {0, "major-version"}, {1, "minor-version"}, {3, "iccid"},
        {5, "eUICC-Mandatory-services"}, {6, "eUICC-Mandatory-GFSTEList"},
    };
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        if (!(seen & (1u << required[i].slot)))
            return rsp_diag_set_at(diag, RSP_ERR_TAG, pe->offset, "element 0 (header): %s is missing",
                                   required[i].name);
    return RSP_OK;
}

void rsp_saip_package_free(rsp_saip_package *pkg)
{
    if (!pkg)
        return;
    free(pkg->pes);
    free(pkg->header.gfste);
    memset(pkg, 0, sizeof(*pkg));
}

static rsp_err add_pe(rsp_saip_package *pkg, size_t *cap, const rsp_saip_pe *pe)
{
    if (pkg->n_pes == *cap) {
        size_t ncap = *cap ? 2 * *cap : 32;
        rsp_saip_pe *n = realloc(pkg->pes, ncap * sizeof(*n));
        if (!n)
            return RSP_ERR_NOMEM;
        pkg->pes = n;
        *cap = ncap;
    }
    pkg->pes[pkg->n_pes++] = *pe;
    return RSP_OK;
}

static rsp_err parse_elements(const uint8_t *p, size_t len, unsigned flags, rsp_saip_package *out, rsp_diag *diag)
{
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    size_t cap = 0;
    bool ended = false;
    rsp_tlv_reader_init(&r, p, len, SAIP_TLV_FLAGS);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        size_t idx = out->n_pes;
        rsp_saip_pe pe = {t.tag, rsp_saip_pe_name(t.tag), true, false, false, 0, t.offset,
                          rsp_bytes_of(t.raw, t.raw_len), rsp_bytes_of(t.value, t.len)};
        if (ended)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, t.offset,
                                   "element %zu (tag %X) follows the end element", idx, (unsigned)t.tag);
        if (!pe.name) {
            if (!(flags & RSP_SAIP_ALLOW_UNKNOWN) || !t.constructed)
                return rsp_diag_set_at(diag, RSP_ERR_TAG, t.offset,
                                       "element %zu: tag %X is not a ProfileElement alternative", idx,
                                       (unsigned)t.tag);
            pe.name = "unknown";
            pe.known = false;
        }
        if (idx == 0 && t.tag != RSP_SAIP_TAG_HEADER)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, t.offset,
                                   "element 0 is %s, but a package must begin with the header", pe.name);
        if (idx > 0 && t.tag == RSP_SAIP_TAG_HEADER)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, t.offset, "element %zu: a second header", idx);
        bool dummy = pe.known && pe.name[0] == 'r' && !strncmp(pe.name, "rfu", 3);
        if (idx > 0 && pe.known && !dummy && (e = parse_pe_header(p, idx, &pe, diag)) != RSP_OK)
            return e;
        if (!(flags & RSP_SAIP_SHALLOW) && (e = validate_nested(p, t.value, t.len, 1, diag)) != RSP_OK) {
            char m[sizeof(diag->msg)];
            if (!diag)
                return e;
            snprintf(m, sizeof(m), "%s", diag->msg);
            size_t off = diag->offset;
            rsp_diag_clear(diag);
            return rsp_diag_set_at(diag, e, off, "element %zu (%s at offset %zu): %s", idx, pe.name, t.offset, m);
        }
        if (idx == 0 && (e = parse_header(p, &pe, &out->header, diag)) != RSP_OK)
            return e;
        ended = t.tag == RSP_SAIP_TAG_END;
        if ((e = add_pe(out, &cap, &pe)) != RSP_OK)
            return rsp_diag_set(diag, e, "out of memory");
    }
    if (e != RSP_ERR_END)
        return rsp_diag_set_at(diag, e, r.diag.offset, "element %zu: %s", out->n_pes, r.diag.msg);
    if (out->n_pes == 0)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, 0, "empty package");
    if (!ended)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, len, "element %zu: package ends without the end element",
                               out->n_pes);
    return RSP_OK;
}

rsp_err rsp_saip_parse(const uint8_t *p, size_t len, unsigned flags, rsp_saip_package *out, rsp_diag *diag)
{
    if (!out || (!p && len))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "no package");
    memset(out, 0, sizeof(*out));
    out->data = rsp_bytes_of(p, len);
    rsp_err e = parse_elements(p, len, flags, out, diag);
    if (e)
        rsp_saip_package_free(out);
    return e;
}

rsp_err rsp_saip_encode(const rsp_saip_package *pkg, rsp_buf *out)
{
    if (!pkg || !out)
        return RSP_ERR_INVAL;
    size_t total = 0;
    for (size_t i = 0; i < pkg->n_pes; i++)
        total += pkg->pes[i].raw.len;
    rsp_err e = rsp_buf_reserve(out, total);
    for (size_t i = 0; e == RSP_OK && i < pkg->n_pes; i++)
        e = rsp_buf_append(out, pkg->pes[i].raw.p, pkg->pes[i].raw.len);
    return e;
}

rsp_err rsp_saip_find(const rsp_saip_package *pkg, uint32_t tag, size_t from, size_t *index)
{
    if (!pkg || !index)
        return RSP_ERR_INVAL;
    for (size_t i = from; i < pkg->n_pes; i++)
        if (pkg->pes[i].tag == tag) {
            *index = i;
            return RSP_OK;
        }
    return RSP_ERR_NOT_FOUND;
}
