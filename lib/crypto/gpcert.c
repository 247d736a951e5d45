/* GlobalPlatform TLV certificates (7F21). Zero-copy decode, canonical encode, issue, verify, print.
 * Field order is enforced on decode so that a decoded certificate re-encodes byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/gpcert.h"
#include "rsp/tlv.h"

#define TAG_CERT 0x7F21
#define TAG_SERIAL 0x93
#define TAG_CA_ID 0x42
#define TAG_SUBJECT 0x5F20
#define TAG_KEY_USAGE 0x95
#define TAG_EFFECTIVE 0x5F25
#define TAG_EXPIRY 0x5F24
#define TAG_DISCRETIONARY 0x73
#define TAG_ROLE 0xC8
#define TAG_AUTH_KEY_ID 0xC9
#define TAG_PUBKEY 0x7F49
#define TAG_POINT 0xB0
#define TAG_CURVE 0xF0
#define TAG_SIGNATURE 0x5F37

/* Canonical order; the flag says whether the field may be absent. */
static const struct {
    uint32_t tag;
    bool optional;
    const char *name;
} cert_fields[] = {
    {TAG_SERIAL, false, "serial number (93)"},       {TAG_CA_ID, false, "CA identifier (42)"},
    {TAG_SUBJECT, false, "subject identifier (5F20)"}, {TAG_KEY_USAGE, false, "key usage (95)"},
    {TAG_EFFECTIVE, true, "effective date (5F25)"},  {TAG_EXPIRY, false, "expiration date (5F24)"},
    {TAG_DISCRETIONARY, true, "discretionary data (73)"}, {TAG_PUBKEY, false, "public key (7F49)"},
    {TAG_SIGNATURE, false, "signature (5F37)"},
};
#define N_FIELDS (sizeof(cert_fields) / sizeof(cert_fields[0]))

static rsp_err decode_discretionary(const rsp_tlv *t, rsp_gpcert *c, rsp_diag *diag)
{
    rsp_tlv_reader r;
    rsp_tlv in;
    rsp_err e;
    rsp_tlv_reader_init(&r, t->value, t->len, 0);
    while ((e = rsp_tlv_next(&r, &in)) == RSP_OK) {
        if (in.tag == TAG_ROLE && in.len == 1)
            c->role = in.value[0];
        else if (in.tag == TAG_AUTH_KEY_ID)
            c->authority_key_id = rsp_bytes_of(in.value, in.len);
        /* Other discretionary data is kept as raw bytes in c->discretionary. */
    }
    if (e != RSP_ERR_END)
        return rsp_diag_set_at(diag, e, t->offset, "in discretionary data (73): %s", r.diag.msg);
    return RSP_OK;
}

static rsp_err decode_pubkey(const rsp_tlv *t, size_t base, rsp_gpcert *c, rsp_diag *diag)
{
    if (t->len == RSP_EC_POINT_LEN && t->value[0] == 0x04) {
        c->point = rsp_bytes_of(t->value, t->len);
        c->raw_point_key = true;
        return RSP_OK;
    }
    rsp_tlv_reader r;
    rsp_tlv in;
    rsp_err e;
    rsp_tlv_reader_init(&r, t->value, t->len, 0);
    while ((e = rsp_tlv_next(&r, &in)) == RSP_OK) {
        if (in.tag == TAG_POINT)
            c->point = rsp_bytes_of(in.value, in.len);
        else if (in.tag == TAG_CURVE && in.len == 1)
            c->curve_ref = in.value[0];
        else
            return rsp_diag_set_at(diag, RSP_ERR_TAG, base + in.offset,
                                   "unexpected tag %X in public key (7F49)", (unsigned)in.tag);
    }
    if (e != RSP_ERR_END)
        return rsp_diag_set_at(diag, e, base, "in public key (7F49): %s", r.diag.msg);
    if (c->point.len != RSP_EC_POINT_LEN || c->point.p[0] != 0x04)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, base,
                               "public key (7F49) has no uncompressed 65-byte point in B0 (found %zu bytes)",
                               c->point.len);
    return RSP_OK;
}

rsp_err rsp_gpcert_decode(const uint8_t *data, size_t len, rsp_gpcert *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    out->role = -1;
    out->curve_ref = -1;
    rsp_tlv cert;
    rsp_err e = rsp_tlv_expect(data, len, TAG_CERT, &cert, diag);
    if (e)
        return e;
    out->raw = rsp_bytes_of(cert.raw, cert.raw_len);
    size_t base = (size_t)(cert.value - data);
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, cert.value, cert.len, 0);
    r.base = base;
    size_t next = 0;
    rsp_tlv t;
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        size_t i = next;
        while (i < N_FIELDS && cert_fields[i].tag != t.tag)
            i++;
        if (i == N_FIELDS) {
            bool known = false;
            for (size_t k = 0; k < N_FIELDS; k++)
                known |= cert_fields[k].tag == t.tag;
            return rsp_diag_set_at(diag, RSP_ERR_TAG, base + t.offset,
                                   known ? "certificate field %X is out of order or repeated"
                                         : "unknown certificate field %X",
                                   (unsigned)t.tag);
        }
        for (size_t k = next; k < i; k++)
            if (!cert_fields[k].optional)
                return rsp_diag_set_at(diag, RSP_ERR_TAG, base + t.offset, "certificate lacks %s",
                                       cert_fields[k].name);
        next = i + 1;
        rsp_bytes v = rsp_bytes_of(t.value, t.len);
        switch (t.tag) {
        case TAG_SERIAL: out->serial = v; break;
        case TAG_CA_ID: out->ca_id = v; break;
        case TAG_SUBJECT: out->subject = v; break;
        case TAG_KEY_USAGE: out->key_usage = v; break;
        case TAG_EFFECTIVE: out->effective = v; break;
        case TAG_EXPIRY: out->expiry = v; break;
        case TAG_DISCRETIONARY:
            out->discretionary = v;
            if ((e = decode_discretionary(&t, out, diag)) != RSP_OK)
                return e;
            break;
        case TAG_PUBKEY:
            if ((e = decode_pubkey(&t, base + t.offset, out, diag)) != RSP_OK)
                return e;
            break;
        case TAG_SIGNATURE:
            out->signature = v;
            out->tbs = rsp_bytes_of(cert.value, t.offset);
            if (t.len != RSP_EC_SIG_LEN)
                return rsp_diag_set_at(diag, RSP_ERR_LENGTH, base + t.offset,
                                       "signature (5F37) is %zu bytes, expected 64 (r||s)", t.len);
            break;
        }
    }
    if (e != RSP_ERR_END) {
        if (diag && diag->err == RSP_OK)
            *diag = r.diag;
        return e;
    }
    for (size_t k = next; k < N_FIELDS; k++)
        if (!cert_fields[k].optional)
            return rsp_diag_set_at(diag, RSP_ERR_TAG, base + cert.len, "certificate lacks %s",
                                   cert_fields[k].name);
    return RSP_OK;
}

/* Writes every field before the signature (the signed part) into out. */
static rsp_err encode_tbs(const rsp_gpcert *c, rsp_buf *out)
{
    rsp_err e = RSP_OK;
    size_t m;
    e = e ? e : rsp_tlv_put(out, TAG_SERIAL, c->serial.p, c->serial.len);
    e = e ? e : rsp_tlv_put(out, TAG_CA_ID, c->ca_id.p, c->ca_id.len);
    e = e ? e : rsp_tlv_put(out, TAG_SUBJECT, c->subject.p, c->subject.len);
    e = e ? e : rsp_tlv_put(out, TAG_KEY_USAGE, c->key_usage.p, c->key_usage.len);
    if (!e && c->effective.len)
        e = rsp_tlv_put(out, TAG_EFFECTIVE, c->effective.p, c->effective.len);
    e = e ? e : rsp_tlv_put(out, TAG_EXPIRY, c->expiry.p, c->expiry.len);
    if (!e && c->discretionary.p)
        e = rsp_tlv_put(out, TAG_DISCRETIONARY, c->discretionary.p, c->discretionary.len);
    if (!e && c->raw_point_key) {
        e = rsp_tlv_put(out, TAG_PUBKEY, c->point.p, c->point.len);
    } else if (!e) {
        e = rsp_tlv_begin(out, TAG_PUBKEY, &m);
        e = e ? e : rsp_tlv_put(out, TAG_POINT, c->point.p, c->point.len);
        if (!e && c->curve_ref >= 0)
            e = rsp_tlv_put_u8(out, TAG_CURVE, (uint8_t)c->curve_ref);
        e = e ? e : rsp_tlv_end(out, m);
    }
    return e;
}

rsp_err rsp_gpcert_encode(const rsp_gpcert *c, rsp_buf *out)
{
    size_t start = out->len, m;
    rsp_err e = rsp_tlv_begin(out, TAG_CERT, &m);
    e = e ? e : encode_tbs(c, out);
    e = e ? e : rsp_tlv_put(out, TAG_SIGNATURE, c->signature.p, c->signature.len);
    e = e ? e : rsp_tlv_end(out, m);
    if (e)
        out->len = start;
    return e;
}

static rsp_err date_to_bcd(const char *s, uint8_t out[4])
{
    if (!s || strlen(s) != 8)
        return RSP_ERR_FORMAT;
    for (int i = 0; i < 8; i++)
        if (s[i] < '0' || s[i] > '9')
            return RSP_ERR_FORMAT;
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)((s[2 * i] - '0') << 4 | (s[2 * i + 1] - '0'));
    return RSP_OK;
}

rsp_err rsp_gpcert_issue(const rsp_gpcert_template *t, const rsp_eckey *subject_key,
                         const rsp_eckey *issuer_key, rsp_buf *out)
{
    if (!t || !t->ca_id || !t->subject || !t->serial || !t->serial_len)
        return RSP_ERR_INVAL;
    rsp_gpcert c;
    memset(&c, 0, sizeof(c));
    uint8_t eff[4], exp[4], point[RSP_EC_POINT_LEN], sig[RSP_EC_SIG_LEN], disc[64];
    rsp_err e;
    if ((e = date_to_bcd(t->expiry, exp)) != RSP_OK)
        return e;
    if (t->effective && (e = date_to_bcd(t->effective, eff)) != RSP_OK)
        return e;
    if ((e = rsp_ec_public_point(subject_key, point)) != RSP_OK)
        return e;
    c.serial = rsp_bytes_of(t->serial, t->serial_len);
    c.ca_id = rsp_bytes_of((const uint8_t *)t->ca_id, strlen(t->ca_id));
    c.subject = rsp_bytes_of((const uint8_t *)t->subject, strlen(t->subject));
    c.key_usage = rsp_bytes_of(&t->key_usage, 1);
    if (t->effective)
        c.effective = rsp_bytes_of(eff, 4);
    c.expiry = rsp_bytes_of(exp, 4);
    size_t dl = 0;
    if (t->role >= 0) {
        disc[dl++] = TAG_ROLE;
        disc[dl++] = 1;
        disc[dl++] = (uint8_t)t->role;
    }
    if (t->authority_key_id_len) {
        if (t->authority_key_id_len > 32)
            return RSP_ERR_RANGE;
        disc[dl++] = TAG_AUTH_KEY_ID;
        disc[dl++] = (uint8_t)t->authority_key_id_len;
        memcpy(disc + dl, t->authority_key_id, t->authority_key_id_len);
        dl += t->authority_key_id_len;
    }
    if (dl)
        c.discretionary = rsp_bytes_of(disc, dl);
    c.point = rsp_bytes_of(point, sizeof(point));
    c.curve_ref = rsp_ec_curve(subject_key);
    rsp_buf tbs = RSP_BUF_INIT;
    e = encode_tbs(&c, &tbs);
    e = e ? e : rsp_ecdsa_sign(issuer_key, tbs.data, tbs.len, sig);
    rsp_buf_free(&tbs);
    if (e)
        return e;
    c.signature = rsp_bytes_of(sig, sizeof(sig));
    return rsp_gpcert_encode(&c, out);
}

rsp_err rsp_gpcert_verify(const rsp_gpcert *c, const rsp_eckey *issuer_key)
{
    if (!c->tbs.p || c->signature.len != RSP_EC_SIG_LEN)
        return RSP_ERR_VERIFY;
    return rsp_ecdsa_verify(issuer_key, c->tbs.p, c->tbs.len, c->signature.p, c->signature.len);
}

rsp_err rsp_gpcert_public_key(const rsp_gpcert *c, rsp_curve fallback, rsp_eckey **out)
{
    rsp_curve curve = fallback;
    if (c->curve_ref == RSP_CURVE_P256 || c->curve_ref == RSP_CURVE_BP256R1)
        curve = (rsp_curve)c->curve_ref;
    else if (c->curve_ref >= 0)
        return RSP_ERR_UNSUPPORTED;
    return rsp_ec_from_public(curve, c->point.p, c->point.len, out);
}

void rsp_gpcert_date_str(rsp_bytes bcd, char out[11])
{
    if (bcd.len != 4) {
        snprintf(out, 11, "?");
        return;
    }
    for (size_t i = 0; i < 4; i++) {
        if ((bcd.p[i] >> 4) > 9 || (bcd.p[i] & 15) > 9) {
            snprintf(out, 11, "?");
            return;
        }
    }
    snprintf(out, 11, "%02x%02x-%02x-%02x", bcd.p[0], bcd.p[1], bcd.p[2], bcd.p[3]);
}

static const char *role_name(int role)
{
    switch (role) {
    case RSP_GPCERT_ROLE_SMDP: return "SM-DP";
    case RSP_GPCERT_ROLE_SMSR: return "SM-SR";
    case RSP_GPCERT_ROLE_EUM: return "EUM";
    case RSP_GPCERT_ROLE_ECASD: return "ECASD";
    case RSP_GPCERT_ROLE_CI: return "CI";
    default: return "unknown";
    }
}

/* Identifiers are printable in every known sample; fall back to hex when they are not. */
static rsp_err append_id(rsp_buf *out, const char *label, rsp_bytes v)
{
    bool printable = v.len > 0;
    for (size_t i = 0; i < v.len; i++)
        printable &= v.p[i] >= 0x20 && v.p[i] < 0x7F;
    char line[300];
    char *hex = rsp_hex_dup(v.p, v.len);
    if (!hex)
        return RSP_ERR_NOMEM;
    if (printable)
        snprintf(line, sizeof(line), "%-18s %.*s (%s)\n", label, (int)v.len, (const char *)v.p, hex);
    else
        snprintf(line, sizeof(line), "%-18s %s\n", label, hex);
    free(hex);
    return rsp_buf_append(out, line, strlen(line));
}

rsp_err rsp_gpcert_print(const rsp_gpcert *c, rsp_buf *out)
{
    char line[300], d1[11], d2[11];
    rsp_err e = RSP_OK;
    e = e ? e : append_id(out, "serial", c->serial);
    e = e ? e : append_id(out, "CA id", c->ca_id);
    e = e ? e : append_id(out, "subject", c->subject);
    if (e)
        return e;
    snprintf(line, sizeof(line), "%-18s %02X\n", "key usage", c->key_usage.len ? c->key_usage.p[0] : 0);
    e = rsp_buf_append(out, line, strlen(line));
    rsp_gpcert_date_str(c->effective, d1);
    rsp_gpcert_date_str(c->expiry, d2);
    snprintf(line, sizeof(line), "%-18s %s\n%-18s %s\n", "effective", c->effective.len ? d1 : "(absent)",
             "expires", d2);
    e = e ? e : rsp_buf_append(out, line, strlen(line));
    if (c->role >= 0) {
        snprintf(line, sizeof(line), "%-18s %02X (%s)\n", "role", (unsigned)c->role, role_name(c->role));
        e = e ? e : rsp_buf_append(out, line, strlen(line));
    }
    if (!e && c->authority_key_id.len)
        e = append_id(out, "authority key id", c->authority_key_id);
    snprintf(line, sizeof(line), "%-18s %s%s\n", "curve",
             c->curve_ref == RSP_CURVE_P256 ? "P-256 (00)"
             : c->curve_ref == RSP_CURVE_BP256R1 ? "brainpoolP256r1 (03)"
             : c->curve_ref < 0 ? "(not stated)" : "other",
             c->raw_point_key ? ", raw point in 7F49" : "");
    e = e ? e : rsp_buf_append(out, line, strlen(line));
    char *pt = rsp_hex_dup(c->point.p, c->point.len), *sig = rsp_hex_dup(c->signature.p, c->signature.len);
    if (!pt || !sig) {
        free(pt);
        free(sig);
        return RSP_ERR_NOMEM;
    }
    snprintf(line, sizeof(line), "%-18s %s\n%-18s %s\n", "public key", pt, "signature", sig);
    free(pt);
    free(sig);
    return e ? e : rsp_buf_append(out, line, strlen(line));
}
