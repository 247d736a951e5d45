/* The text forms around ES9+ (include/rsp/es9p.h): base64 of the JSON binding and activation codes.
 * Both take outside input (a JSON string, a scanned QR code), so both are strict and say where the
 * fault is. */
#include <stdio.h>
#include <string.h>

#include "rsp/es9p.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

rsp_err rsp_es9p_b64_encode(const uint8_t *p, size_t n, rsp_buf *out)
{
    if (!out || (!p && n))
        return RSP_ERR_INVAL;
    if (n == 0)
        return RSP_OK;
    uint8_t *w;
    rsp_err e = rsp_buf_extend(out, (n + 2) / 3 * 4, &w);
    if (e != RSP_OK)
        return e;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *w++ = (uint8_t)b64[v >> 18];
        *w++ = (uint8_t)b64[(v >> 12) & 63];
        *w++ = (uint8_t)(i + 1 < n ? b64[(v >> 6) & 63] : '=');
        *w++ = (uint8_t)(i + 2 < n ? b64[v & 63] : '=');
    }
    return RSP_OK;
}

static int b64_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

rsp_err rsp_es9p_b64_decode(const char *s, size_t len, rsp_buf *out, rsp_diag *diag)
{
    if (!out || (!s && len))
        return RSP_ERR_INVAL;
    size_t start = out->len;
    uint32_t acc = 0;
    unsigned nq = 0, pad = 0;  /* characters in the current quantum; '=' seen */
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < len && e == RSP_OK; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            /* padding only in the last two places of the last quantum */
            if (nq < 2)
                e = rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "base64: '=' too early");
            pad++;
            nq++;
        } else {
            int v = b64_val(c);
            if (v < 0)
                e = rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "base64: 0x%02X is not in the alphabet", (unsigned char)c);
            else if (pad)
                e = rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "base64: data after '='");
            acc = acc << 6 | (uint32_t)(v < 0 ? 0 : v);
            nq++;
        }
        if (e == RSP_OK && nq == 4) {
            if (pad == 0) {
                uint8_t t[3] = {(uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc};
                e = rsp_buf_append(out, t, 3);
            } else {
                /* the bits below the last whole byte must be zero (one text per value) */
                uint32_t bits = pad == 1 ? acc << 6 : acc << 12;
                if ((pad == 1 && (bits & 0xFF)) || (pad == 2 && (bits & 0xFFFF)))
                    e = rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "base64: non-zero bits before the padding");
                uint8_t t[2] = {(uint8_t)(bits >> 16), (uint8_t)(bits >> 8)};
                if (e == RSP_OK)
                    e = rsp_buf_append(out, t, pad == 1 ? 2 : 1);
                for (size_t j = i + 1; e == RSP_OK && j < len; j++)
                    if (s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n')
                        e = rsp_diag_set_at(diag, RSP_ERR_FORMAT, j, "base64: data after the padding");
                nq = 0;
                break;
            }
            acc = 0;
            nq = 0;
        }
    }
    if (e == RSP_OK && nq != 0)
        e = rsp_diag_set_at(diag, RSP_ERR_FORMAT, len, "base64: %u characters left over (padding missing)", nq);
    if (e != RSP_OK) {
        if (out->len > start)
            rsp_wipe(out->data + start, out->len - start);
        out->len = start;
    }
    return e;
}

/* ---- activation codes ---- */
static bool field_char_ok(char c)
{
    return c > 0x20 && c < 0x7F && c != '$';
}

static bool oid_ok(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' ? (i > 0 && s[i - 1] == '.') : !(s[i] >= '0' && s[i] <= '9'))
            return false;
    }
    return true;
}

rsp_err rsp_es9p_ac_parse(const char *s, size_t len, rsp_es9p_ac *out, rsp_diag *diag)
{
    if (!out || (!s && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    size_t i = 0;
    if (len >= 4 && (s[0] == 'L' || s[0] == 'l') && (s[1] == 'P' || s[1] == 'p') && (s[2] == 'A' || s[2] == 'a') &&
        s[3] == ':')
        i = 4;
    /* fields: format, address, matchingId, oid, ccRequired */
    size_t start[5], flen[5], nf = 0;
    start[0] = i;
    for (; i <= len; i++) {
        if (i == len || s[i] == '$') {
            if (nf == 5)
                return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "activation code: more than 5 fields");
            flen[nf] = i - start[nf];
            nf++;
            if (i < len && nf < 5)
                start[nf] = i + 1;
            else if (i < len)
                return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "activation code: more than 5 fields");
            continue;
        }
        if (!field_char_ok(s[i]))
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "activation code: byte 0x%02X not allowed",
                                   (unsigned char)s[i]);
    }
    if (nf < 3)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, len, "activation code: %zu fields, want at least 3 "
                               "(1$address$matchingId)", nf);
    if (flen[0] != 1 || s[start[0]] != '1')
        return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, start[0], "activation code: format '%.*s', want 1",
                               (int)(flen[0] > 8 ? 8 : flen[0]), s + start[0]);
    if (flen[1] == 0 || flen[1] > RSP_ES9P_MAX_ADDRESS)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, start[1], "activation code: address of %zu characters", flen[1]);
    if (flen[2] >= sizeof(out->matching_id))
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, start[2], "activation code: matchingId too long");
    if (nf >= 4 && (flen[3] >= sizeof(out->oid) || !oid_ok(s + start[3], flen[3])))
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, start[3], "activation code: SM-DP+ OID is not dotted digits");
    if (nf == 5 && (flen[4] != 1 || s[start[4]] != '1'))
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, start[4], "activation code: confirmation code flag must be 1");
    memcpy(out->address, s + start[1], flen[1]);
    memcpy(out->matching_id, s + start[2], flen[2]);
    if (nf >= 4)
        memcpy(out->oid, s + start[3], flen[3]);
    out->cc_required = nf == 5;
    return RSP_OK;
}

static bool field_ok(const char *s, bool allow_empty)
{
    size_t n = strlen(s);
    if (!n)
        return allow_empty;
    for (size_t i = 0; i < n; i++)
        if (!field_char_ok(s[i]))
            return false;
    return true;
}

rsp_err rsp_es9p_ac_print(const rsp_es9p_ac *ac, char *out, size_t outlen)
{
    if (!ac || !out || !outlen)
        return RSP_ERR_INVAL;
    if (strnlen(ac->address, sizeof(ac->address)) == sizeof(ac->address) ||
        strnlen(ac->matching_id, sizeof(ac->matching_id)) == sizeof(ac->matching_id) ||
        strnlen(ac->oid, sizeof(ac->oid)) == sizeof(ac->oid))
        return RSP_ERR_INVAL;
    if (!field_ok(ac->address, false) || !field_ok(ac->matching_id, true) || !oid_ok(ac->oid, strlen(ac->oid)))
        return RSP_ERR_INVAL;
    int w;
    if (ac->cc_required)
        w = snprintf(out, outlen, "LPA:1$%s$%s$%s$1", ac->address, ac->matching_id, ac->oid);
    else if (ac->oid[0])
        w = snprintf(out, outlen, "LPA:1$%s$%s$%s", ac->address, ac->matching_id, ac->oid);
    else
        w = snprintf(out, outlen, "LPA:1$%s$%s", ac->address, ac->matching_id);
    return w > 0 && (size_t)w < outlen ? RSP_OK : RSP_ERR_OVERFLOW;
}

bool rsp_es9p_matching_id_ok(const char *mid)
{
    size_t n = mid ? strlen(mid) : 0;
    if (n < 1 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = mid[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}
