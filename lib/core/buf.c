#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "rsp/buf.h"

bool rsp_bytes_eq(rsp_bytes a, rsp_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

void rsp_buf_init(rsp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void rsp_buf_free(rsp_buf *b)
{
    if (!b)
        return;
    free(b->data);
    rsp_buf_init(b);
}

void rsp_buf_free_secret(rsp_buf *b)
{
    if (!b)
        return;
    if (b->data)
        OPENSSL_cleanse(b->data, b->cap);
    rsp_buf_free(b);
}

void rsp_buf_reset(rsp_buf *b)
{
    b->len = 0;
}

rsp_err rsp_buf_reserve(rsp_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len)
        return RSP_ERR_NOMEM;
    size_t need = b->len + extra;
    if (need <= b->cap)
        return RSP_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return RSP_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return RSP_OK;
}

rsp_err rsp_buf_append(rsp_buf *b, const void *p, size_t len)
{
    if (len == 0)
        return RSP_OK;
    rsp_err e = rsp_buf_reserve(b, len);
    if (e)
        return e;
    memmove(b->data + b->len, p, len);
    b->len += len;
    return RSP_OK;
}

rsp_err rsp_buf_append_byte(rsp_buf *b, uint8_t v)
{
    return rsp_buf_append(b, &v, 1);
}

rsp_err rsp_buf_append_u16(rsp_buf *b, uint16_t v)
{
    uint8_t t[2];
    rsp_put_be16(t, v);
    return rsp_buf_append(b, t, 2);
}

rsp_err rsp_buf_append_u24(rsp_buf *b, uint32_t v)
{
    uint8_t t[3];
    rsp_put_be24(t, v);
    return rsp_buf_append(b, t, 3);
}

rsp_err rsp_buf_append_u32(rsp_buf *b, uint32_t v)
{
    uint8_t t[4];
    rsp_put_be32(t, v);
    return rsp_buf_append(b, t, 4);
}

rsp_err rsp_buf_extend(rsp_buf *b, size_t n, uint8_t **out)
{
    rsp_err e = rsp_buf_reserve(b, n);
    if (e)
        return e;
    *out = b->data + b->len;
    b->len += n;
    return RSP_OK;
}

rsp_err rsp_buf_set(rsp_buf *b, const void *p, size_t len)
{
    b->len = 0;
    return rsp_buf_append(b, p, len);
}

rsp_err rsp_buf_insert(rsp_buf *b, size_t pos, const void *p, size_t len)
{
    if (pos > b->len)
        return RSP_ERR_RANGE;
    rsp_err e = rsp_buf_reserve(b, len);
    if (e)
        return e;
    memmove(b->data + pos + len, b->data + pos, b->len - pos);
    memcpy(b->data + pos, p, len);
    b->len += len;
    return RSP_OK;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

rsp_err rsp_hex_decode(const char *hex, rsp_buf *out, rsp_diag *diag)
{
    if (!hex)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "no hex given");
    size_t start = out->len;
    int hi = -1;
    size_t hi_pos = 0;
    for (size_t i = 0; hex[i]; i++) {
        unsigned char c = (unsigned char)hex[i];
        if (isspace(c) || c == ':')
            continue;
        int v = hexval(c);
        if (v < 0) {
            out->len = start;
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "'%c' is not a hex digit",
                                   isprint(c) ? c : '?');
        }
        if (hi < 0) {
            hi = v;
            hi_pos = i;
        } else {
            rsp_err e = rsp_buf_append_byte(out, (uint8_t)(hi << 4 | v));
            if (e) {
                out->len = start;
                return e;
            }
            hi = -1;
        }
    }
    if (hi >= 0) {
        out->len = start;
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, hi_pos, "odd number of hex digits");
    }
    return RSP_OK;
}

rsp_err rsp_hex_decode_fixed(const char *hex, uint8_t *out, size_t len, rsp_diag *diag)
{
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_hex_decode(hex, &b, diag);
    if (e == RSP_OK && b.len != len)
        e = rsp_diag_set(diag, RSP_ERR_LENGTH, "expected %zu bytes of hex, got %zu", len, b.len);
    if (e == RSP_OK)
        memcpy(out, b.data, len);
    rsp_buf_free_secret(&b);
    return e;
}

static rsp_err hex_encode(const uint8_t *p, size_t len, char *out, size_t outlen, const char *digits)
{
    if (outlen < 2 * len + 1)
        return RSP_ERR_OVERFLOW;
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
    return RSP_OK;
}

rsp_err rsp_hex_encode(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    return hex_encode(p, len, out, outlen, "0123456789abcdef");
}

rsp_err rsp_hex_encode_upper(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    return hex_encode(p, len, out, outlen, "0123456789ABCDEF");
}

char *rsp_hex_dup(const uint8_t *p, size_t len)
{
    char *s = malloc(2 * len + 1);
    if (s)
        rsp_hex_encode(p, len, s, 2 * len + 1);
    return s;
}

bool rsp_ct_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

void rsp_wipe(void *p, size_t len)
{
    if (p && len)
        OPENSSL_cleanse(p, len);
}
