#include "rsp/scp81.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rsp/tlv.h"

static rsp_err put_opt(rsp_buf *b, uint32_t tag, rsp_bytes v)
{
    return v.len ? rsp_tlv_put(b, tag, v.p, v.len) : RSP_OK;
}

rsp_err rsp_scp81_trigger_build(const rsp_scp81_trigger *t, rsp_buf *out)
{
    if (!t || !out)
        return RSP_ERR_INVAL;
    if (t->use_default)
        return rsp_buf_append(out, "\x81\x00", 2);
    size_t m81, m83, m89;
    rsp_err e = rsp_tlv_begin(out, 0x81, &m81);
    if (e == RSP_OK)
        e = rsp_tlv_begin(out, 0x83, &m83);
    if (e == RSP_OK)
        e = put_opt(out, 0x84, t->conn);
    if (e == RSP_OK && t->has_security) {
        if (t->psk_id.len > 255)
            return RSP_ERR_RANGE;
        size_t m85;
        uint8_t ids[3] = {0x02, t->kvn, t->kid};
        if ((e = rsp_tlv_begin(out, 0x85, &m85)) == RSP_OK && (e = rsp_buf_append_byte(out, (uint8_t)t->psk_id.len)) == RSP_OK &&
            (e = rsp_buf_append(out, t->psk_id.p, t->psk_id.len)) == RSP_OK && (e = rsp_buf_append(out, ids, 3)) == RSP_OK)
            e = rsp_tlv_end(out, m85);
    }
    if (e == RSP_OK)
        e = put_opt(out, 0xA5, t->ext_security);
    if (e == RSP_OK)
        e = put_opt(out, 0x86, t->retry);
    if (e == RSP_OK && (t->host.len || t->agent_id.len || t->uri.len)) {
        if ((e = rsp_tlv_begin(out, 0x89, &m89)) == RSP_OK && (e = put_opt(out, 0x8A, t->host)) == RSP_OK &&
            (e = put_opt(out, 0x8B, t->agent_id)) == RSP_OK && (e = put_opt(out, 0x8C, t->uri)) == RSP_OK)
            e = rsp_tlv_end(out, m89);
    }
    if (e == RSP_OK)
        e = rsp_tlv_end(out, m83);
    if (e == RSP_OK)
        e = put_opt(out, 0xB3, t->dns);
    if (e == RSP_OK)
        e = rsp_tlv_end(out, m81);
    return e;
}

static rsp_err parse_security(const rsp_tlv *c, size_t at, rsp_scp81_trigger *t, rsp_diag *d)
{
    /* 85: PSK id length, PSK id, 02, KVN, key id (VECTORS §F). */
    if (c->len < 1 || (size_t)c->value[0] + 4 != c->len || c->value[c->len - 3] != 0x02)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "security parameters 85 must be Lid id 02 KVN KID (%zu bytes)",
                               c->len);
    t->has_security = true;
    t->psk_id = rsp_bytes_of(c->value + 1, c->value[0]);
    t->kvn = c->value[c->len - 2];
    t->kid = c->value[c->len - 1];
    return RSP_OK;
}

rsp_err rsp_scp81_trigger_parse(const uint8_t *p, size_t len, rsp_scp81_trigger *t, rsp_diag *d)
{
    if (!t || (!p && len))
        return RSP_ERR_INVAL;
    memset(t, 0, sizeof(*t));
    rsp_tlv top, c, g;
    rsp_err e = rsp_tlv_expect(p, len, 0x81, &top, d);
    if (e != RSP_OK)
        return e;
    if (top.len == 0) {
        t->use_default = true;
        return RSP_OK;
    }
    rsp_tlv_reader r, r83, r89;
    rsp_tlv_reader_init(&r, p, len, 0);
    rsp_tlv_next(&r, &top);
    rsp_tlv_reader_nested(&r83, &r, &top);
    bool has83 = false;
    while ((e = rsp_tlv_next(&r83, &c)) == RSP_OK) {
        if (c.tag == 0xB3) {
            t->dns = rsp_bytes_of(c.value, c.len);
            continue;
        }
        if (c.tag != 0x83)
            return rsp_diag_set_at(d, RSP_ERR_TAG, c.offset, "tag %X inside 81 (83 or B3 expected)", (unsigned)c.tag);
        has83 = true;
        rsp_tlv_reader inner;
        rsp_tlv_reader_nested(&inner, &r83, &c);
        while ((e = rsp_tlv_next(&inner, &g)) == RSP_OK) {
            switch (g.tag) {
            case 0x84: t->conn = rsp_bytes_of(g.value, g.len); break;
            case 0x85:
                if ((e = parse_security(&g, g.offset, t, d)) != RSP_OK)
                    return e;
                break;
            case 0xA5: t->ext_security = rsp_bytes_of(g.value, g.len); break;
            case 0x86: t->retry = rsp_bytes_of(g.value, g.len); break;
            case 0x89: {
                rsp_tlv h;
                rsp_tlv_reader_nested(&r89, &inner, &g);
                while ((e = rsp_tlv_next(&r89, &h)) == RSP_OK) {
                    if (h.tag == 0x8A)
                        t->host = rsp_bytes_of(h.value, h.len);
                    else if (h.tag == 0x8B)
                        t->agent_id = rsp_bytes_of(h.value, h.len);
                    else if (h.tag == 0x8C)
                        t->uri = rsp_bytes_of(h.value, h.len);
                    else
                        return rsp_diag_set_at(d, RSP_ERR_TAG, h.offset, "tag %X inside 89 (8A, 8B, 8C expected)",
                                               (unsigned)h.tag);
                }
                if (e != RSP_ERR_END)
                    goto bad_nested89;
                break;
            }
            default:
                return rsp_diag_set_at(d, RSP_ERR_TAG, g.offset, "tag %X inside 83 (84, 85, A5, 86, 89 expected)",
                                       (unsigned)g.tag);
            }
        }
        if (e != RSP_ERR_END) {
            if (d)
                *d = inner.diag;
            return e;
        }
    }
    if (e != RSP_ERR_END) {
        if (d)
            *d = r83.diag;
        return e;
    }
    if (!has83)
        return rsp_diag_set_at(d, RSP_ERR_TAG, 0, "trigger 81 without connection parameters 83");
    return RSP_OK;
bad_nested89:
    if (d)
        *d = r89.diag;
    return e;
}

rsp_err rsp_scp81_psk_identity(const uint8_t eid[16], const uint8_t *aid, size_t aidlen, uint8_t kid, uint8_t kvn,
                               char *out, size_t outlen)
{
    if (!eid || !aid || aidlen < 5 || aidlen > 16 || !out)
        return RSP_ERR_INVAL;
    uint8_t b[64];
    size_t n = 0;
    b[n++] = 0x80; b[n++] = 0x01; b[n++] = 0x02;
    b[n++] = 0x81; b[n++] = 0x10;
    memcpy(b + n, eid, 16);
    n += 16;
    b[n++] = 0x4F; b[n++] = (uint8_t)aidlen;
    memcpy(b + n, aid, aidlen);
    n += aidlen;
    b[n++] = 0x82; b[n++] = 0x01; b[n++] = kid;
    b[n++] = 0x83; b[n++] = 0x01; b[n++] = kvn;
    if (outlen < 2 * n + 1)
        return RSP_ERR_OVERFLOW;
    return rsp_hex_encode_upper(b, n, out, outlen);
}

rsp_err rsp_scp81_psk_identity_parse(const char *id, uint8_t eid[16], uint8_t aid[16], size_t *aidlen, uint8_t *kid,
                                     uint8_t *kvn, rsp_diag *d)
{
    if (!id || !eid || !aid || !aidlen || !kid || !kvn)
        return RSP_ERR_INVAL;
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_hex_decode(id, &b, d);
    if (e != RSP_OK) {
        rsp_buf_free(&b); /* a failed decode may have appended part of the input */
        return e;
    }
    rsp_tlv_reader r;
    rsp_tlv t;
    unsigned seen = 0;
    rsp_tlv_reader_init(&r, b.data, b.len, 0);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (t.tag == 0x80 && t.len == 1 && t.value[0] == 0x02) seen |= 1;
        else if (t.tag == 0x81 && t.len == 16) { memcpy(eid, t.value, 16); seen |= 2; }
        else if (t.tag == 0x4F && t.len >= 5 && t.len <= 16) { memcpy(aid, t.value, t.len); *aidlen = t.len; seen |= 4; }
        else if (t.tag == 0x82 && t.len == 1) { *kid = t.value[0]; seen |= 8; }
        else if (t.tag == 0x83 && t.len == 1) { *kvn = t.value[0]; seen |= 16; }
        else { e = rsp_diag_set_at(d, RSP_ERR_FORMAT, t.offset, "unexpected TLV %X (%zu bytes) in a PSK identity", (unsigned)t.tag, t.len); break; }
    }
    if (e == RSP_ERR_END)
        e = seen == 31 ? RSP_OK : rsp_diag_set(d, RSP_ERR_TAG, "PSK identity lacks one of 80 01 02, 81, 4F, 82, 83");
    else if (e != RSP_OK && d && d->err == RSP_OK)
        *d = r.diag;
    rsp_buf_free(&b);
    return e;
}

static const char *const status_names[] = {"", "ok", "unknown-application", "not-a-security-domain", "security-error"};

const char *rsp_scp81_status_name(rsp_scp81_status s)
{
    return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s] : "";
}

static rsp_err put_hdr(rsp_buf *out, const char *name, const char *value)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "%s: %s\r\n", name, value);
    if (n < 0 || (size_t)n >= sizeof(line))
        return RSP_ERR_RANGE;
    return rsp_buf_append(out, line, (size_t)n);
}

/* "//aid/<RID>/<PIX>" form: RID is the first 5 bytes. */
static rsp_err aid_path(const uint8_t *aid, size_t len, char *out, size_t outlen)
{
    if (!aid || len < 5 || len > 16 || outlen < 40)
        return RSP_ERR_INVAL;
    char rid[11], pix[23];
    rsp_hex_encode_upper(aid, 5, rid, sizeof(rid));
    rsp_hex_encode_upper(aid + 5, len - 5, pix, sizeof(pix));
    snprintf(out, outlen, "%s/%s", rid, pix);
    return RSP_OK;
}

rsp_err rsp_scp81_card_headers(const rsp_scp81_card_req *r, rsp_buf *out)
{
    if (!r || !out || !r->eid || strlen(r->eid) != 32)
        return RSP_ERR_INVAL;
    char path[40], from[128];
    rsp_err e = aid_path(r->agent_aid, r->agent_aid_len, path, sizeof(path));
    if (e != RSP_OK)
        return e;
    snprintf(from, sizeof(from), "//se-id/eid/%s;//aa-id/aid/%s", r->eid, path);
    if ((e = put_hdr(out, "X-Admin-Protocol", RSP_SCP81_PROTOCOL)) != RSP_OK || (e = put_hdr(out, "X-Admin-From", from)) != RSP_OK)
        return e;
    if (r->has_body && (e = put_hdr(out, "Content-Type", RSP_SCP81_CT_RESPONSE)) != RSP_OK)
        return e;
    if (r->status != RSP_SCP81_STATUS_NONE && (e = put_hdr(out, "X-Admin-Script-Status", rsp_scp81_status_name(r->status))) != RSP_OK)
        return e;
    if (r->resume)
        e = put_hdr(out, "X-Admin-Resume", "true");
    return e;
}

rsp_err rsp_scp81_server_headers(const rsp_scp81_server_resp *r, int *http_status, rsp_buf *out)
{
    if (!r || !http_status || !out)
        return RSP_ERR_INVAL;
    rsp_err e = put_hdr(out, "X-Admin-Protocol", RSP_SCP81_PROTOCOL);
    if (e != RSP_OK)
        return e;
    if (r->end) {
        *http_status = 204;
        return RSP_OK;
    }
    if (!r->next_uri || !*r->next_uri)
        return RSP_ERR_INVAL;
    *http_status = 200;
    if ((e = put_hdr(out, "X-Admin-Next-URI", r->next_uri)) != RSP_OK)
        return e;
    if (r->target_aid) {
        char path[40], v[64];
        if ((e = aid_path(r->target_aid, r->target_aid_len, path, sizeof(path))) != RSP_OK)
            return e;
        snprintf(v, sizeof(v), "//aid/%s", path);
        if ((e = put_hdr(out, "X-Admin-Targeted-Application", v)) != RSP_OK)
            return e;
    }
    return put_hdr(out, "Content-Type", RSP_SCP81_CT_SCRIPT);
}

/* Parses "RID/PIX" hex into aid. */
static bool parse_aid_path(const char *s, size_t n, uint8_t aid[16], size_t *alen)
{
    char hex[40];
    size_t k = 0;
    for (size_t i = 0; i < n && k < sizeof(hex) - 1; i++)
        if (s[i] != '/')
            hex[k++] = s[i];
    hex[k] = '\0';
    rsp_buf b = RSP_BUF_INIT;
    bool ok = k && rsp_hex_decode(hex, &b, NULL) == RSP_OK && b.len >= 5 && b.len <= 16;
    if (ok) {
        memcpy(aid, b.data, b.len);
        *alen = b.len;
    }
    rsp_buf_free(&b);
    return ok;
}

static rsp_err parse_from(const char *v, size_t n, rsp_scp81_msg *m, size_t at, rsp_diag *d)
{
    static const char se[] = "//se-id/eid/", aa[] = ";//aa-id/aid/";
    const char *semi = memchr(v, ';', n);
    if (n < sizeof(se) - 1 || strncasecmp(v, se, sizeof(se) - 1) != 0 || !semi ||
        (size_t)(semi - v) - (sizeof(se) - 1) != 32)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "X-Admin-From must be //se-id/eid/<32 digits>;//aa-id/aid/<RID>/<PIX>");
    memcpy(m->eid, v + sizeof(se) - 1, 32);
    m->eid[32] = '\0';
    size_t rest = n - (size_t)(semi - v);
    if (rest < sizeof(aa) - 1 || strncasecmp(semi, aa, sizeof(aa) - 1) != 0 ||
        !parse_aid_path(semi + sizeof(aa) - 1, rest - (sizeof(aa) - 1), m->from_aid, &m->from_aid_len))
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "X-Admin-From agent part is not ;//aa-id/aid/<RID>/<PIX>");
    return RSP_OK;
}

rsp_err rsp_scp81_headers_parse(const char *text, size_t len, rsp_scp81_msg *m, rsp_diag *d)
{
    if (!m || (!text && len))
        return RSP_ERR_INVAL;
    memset(m, 0, sizeof(*m));
    size_t i = 0;
    while (i < len) {
        const char *ls = text + i, *nl = memchr(ls, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - ls) : len - i, at = i;
        i += ll + (nl ? 1 : 0);
        if (ll && ls[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break; /* end of the header block */
        const char *colon = memchr(ls, ':', ll);
        if (!colon)
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "header line without ':'");
        size_t nlen = (size_t)(colon - ls);
        const char *v = colon + 1;
        size_t vl = ll - nlen - 1;
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            vl--;
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(ls, name, nlen) == 0)
#define VIS(s) (vl == sizeof(s) - 1 && strncasecmp(v, s, vl) == 0)
        rsp_err e;
        if (IS("X-Admin-Protocol")) {
            m->protocol_ok = VIS(RSP_SCP81_PROTOCOL);
            if (!m->protocol_ok)
                return rsp_diag_set_at(d, RSP_ERR_PROTOCOL, at, "X-Admin-Protocol is not %s", RSP_SCP81_PROTOCOL);
        } else if (IS("X-Admin-From")) {
            if ((e = parse_from(v, vl, m, at, d)) != RSP_OK)
                return e;
        } else if (IS("X-Admin-Next-URI")) {
            if (vl == 0 || vl >= sizeof(m->next_uri))
                return rsp_diag_set_at(d, RSP_ERR_LENGTH, at, "X-Admin-Next-URI empty or longer than %zu", sizeof(m->next_uri) - 1);
            memcpy(m->next_uri, v, vl);
            m->next_uri[vl] = '\0';
        } else if (IS("X-Admin-Targeted-Application")) {
            if (vl < 6 || strncasecmp(v, "//aid/", 6) != 0 || !parse_aid_path(v + 6, vl - 6, m->target_aid, &m->target_aid_len))
                return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "X-Admin-Targeted-Application is not //aid/<RID>/<PIX>");
        } else if (IS("X-Admin-Script-Status")) {
            m->status = RSP_SCP81_STATUS_NONE;
            for (int s = RSP_SCP81_STATUS_OK; s <= RSP_SCP81_STATUS_SECURITY_ERROR; s++)
                if (vl == strlen(status_names[s]) && strncasecmp(v, status_names[s], vl) == 0)
                    m->status = (rsp_scp81_status)s;
            if (m->status == RSP_SCP81_STATUS_NONE)
                return rsp_diag_set_at(d, RSP_ERR_FORMAT, at, "unknown X-Admin-Script-Status '%.*s'", (int)(vl > 40 ? 40 : vl), v);
        } else if (IS("X-Admin-Resume")) {
            m->resume = VIS("true");
        } else if (IS("Content-Type")) {
            m->content = VIS(RSP_SCP81_CT_SCRIPT) ? 1 : VIS(RSP_SCP81_CT_RESPONSE) ? 2 : 0;
        }
#undef IS
#undef VIS
    }
    return RSP_OK;
}
