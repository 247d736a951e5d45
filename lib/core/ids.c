#include <string.h>

#include "rsp/buf.h"
#include "rsp/ids.h"

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* ISO 7064 mod 97-10 over the 30 leading digits followed by "00". */
static unsigned eid_mod97(const char *d30)
{
    unsigned r = 0;
    for (int i = 0; i < 30; i++)
        r = (r * 10 + (unsigned)(d30[i] - '0')) % 97;
    r = (r * 100) % 97;
    return r;
}

rsp_err rsp_eid_complete(const char *digits, char out[33])
{
    if (!digits)
        return RSP_ERR_INVAL;
    size_t n = strlen(digits);
    if ((n != 30 && n != 32) || !all_digits(digits, n))
        return RSP_ERR_FORMAT;
    unsigned check = 98 - eid_mod97(digits);
    memcpy(out, digits, 30);
    out[30] = (char)('0' + check / 10);
    out[31] = (char)('0' + check % 10);
    out[32] = '\0';
    return RSP_OK;
}

rsp_err rsp_eid_check(const char *eid, char expected[3])
{
    if (!eid)
        return RSP_ERR_INVAL;
    if (strlen(eid) != RSP_EID_DIGITS || !all_digits(eid, RSP_EID_DIGITS))
        return RSP_ERR_FORMAT;
    char full[33];
    rsp_eid_complete(eid, full);
    if (expected) {
        expected[0] = full[30];
        expected[1] = full[31];
        expected[2] = '\0';
    }
    return memcmp(full + 30, eid + 30, 2) == 0 ? RSP_OK : RSP_ERR_CHECKSUM;
}

rsp_err rsp_eid_to_bytes(const char *eid, uint8_t out[16])
{
    if (!eid || strlen(eid) != RSP_EID_DIGITS || !all_digits(eid, RSP_EID_DIGITS))
        return RSP_ERR_FORMAT;
    for (int i = 0; i < 16; i++)
        out[i] = (uint8_t)((eid[2 * i] - '0') << 4 | (eid[2 * i + 1] - '0'));
    return RSP_OK;
}

rsp_err rsp_eid_from_bytes(const uint8_t in[16], char out[33])
{
    for (int i = 0; i < 16; i++) {
        uint8_t hi = in[i] >> 4, lo = in[i] & 15;
        if (hi > 9 || lo > 9)
            return RSP_ERR_FORMAT;
        out[2 * i] = (char)('0' + hi);
        out[2 * i + 1] = (char)('0' + lo);
    }
    out[32] = '\0';
    return RSP_OK;
}

int rsp_luhn_digit(const char *digits, size_t n)
{
    if (!all_digits(digits, n))
        return -1;
    unsigned sum = 0;
    /* Double every second digit counting from the right of the payload (the check digit goes after). */
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(digits[n - 1 - i] - '0');
        if (i % 2 == 0) {
            d *= 2;
            if (d > 9)
                d -= 9;
        }
        sum += d;
    }
    return (int)((10 - sum % 10) % 10);
}

rsp_err rsp_iccid_check(const char *iccid)
{
    if (!iccid)
        return RSP_ERR_INVAL;
    size_t n = strlen(iccid);
    if (n < 18 || n > 20 || !all_digits(iccid, n))
        return RSP_ERR_FORMAT;
    int d = rsp_luhn_digit(iccid, n - 1);
    return d == iccid[n - 1] - '0' ? RSP_OK : RSP_ERR_CHECKSUM;
}

rsp_err rsp_bcd_swap_encode(const char *digits, uint8_t *out, size_t outlen, size_t *written)
{
    size_t n = strlen(digits);
    size_t bytes = (n + 1) / 2;
    if (bytes > outlen)
        return RSP_ERR_OVERFLOW;
    for (size_t i = 0; i < n; i++) {
        char c = digits[i];
        unsigned v;
        if (c >= '0' && c <= '9')
            v = (unsigned)(c - '0');
        else if (c == 'f' || c == 'F')
            v = 15;
        else
            return RSP_ERR_FORMAT;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(0xF0 | v);
        else
            out[i / 2] = (uint8_t)((out[i / 2] & 0x0F) | v << 4);
    }
    if (written)
        *written = bytes;
    return RSP_OK;
}

rsp_err rsp_bcd_swap_decode(const uint8_t *in, size_t len, char *out, size_t outlen)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned lo = in[i] & 15, hi = in[i] >> 4;
        unsigned nib[2] = {lo, hi};
        for (int j = 0; j < 2; j++) {
            if (nib[j] == 15) {
                /* F is padding only at the very end. */
                if (i != len - 1 || (j == 0 && hi != 15))
                    return RSP_ERR_FORMAT;
                continue;
            }
            if (nib[j] > 9)
                return RSP_ERR_FORMAT;
            if (k + 1 >= outlen)
                return RSP_ERR_OVERFLOW;
            out[k++] = (char)('0' + nib[j]);
        }
    }
    if (k >= outlen)
        return RSP_ERR_OVERFLOW;
    out[k] = '\0';
    return RSP_OK;
}

rsp_err rsp_iccid_to_swapped(const char *iccid, uint8_t out[10])
{
    size_t n = strlen(iccid);
    if (n < 18 || n > 20 || !all_digits(iccid, n))
        return RSP_ERR_FORMAT;
    memset(out, 0xFF, 10);
    return rsp_bcd_swap_encode(iccid, out, 10, NULL);
}

rsp_err rsp_iccid_from_swapped(const uint8_t in[10], char out[21])
{
    return rsp_bcd_swap_decode(in, 10, out, 21);
}

rsp_err rsp_iccid_to_bcd(const char *iccid, uint8_t out[10])
{
    size_t n = strlen(iccid);
    if (n < 18 || n > 20 || !all_digits(iccid, n))
        return RSP_ERR_FORMAT;
    memset(out, 0xFF, 10);
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)(iccid[i] - '0');
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4 | 0x0F);
        else
            out[i / 2] = (uint8_t)((out[i / 2] & 0xF0) | v);
    }
    return RSP_OK;
}

rsp_err rsp_iccid_from_bcd(const uint8_t in[10], char out[21])
{
    size_t k = 0;
    for (size_t i = 0; i < 10; i++) {
        unsigned nib[2] = {in[i] >> 4, in[i] & 15u};
        for (int j = 0; j < 2; j++) {
            if (nib[j] == 15) {
                if (i != 9 || j != 1)
                    return RSP_ERR_FORMAT;
                continue;
            }
            if (nib[j] > 9)
                return RSP_ERR_FORMAT;
            out[k++] = (char)('0' + nib[j]);
        }
    }
    out[k] = '\0';
    return RSP_OK;
}

#define SGP02_RID_PIX 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89
const rsp_aid RSP_AID_ISDR = {{SGP02_RID_PIX, 0x00, 0x00, 0x01, 0x00}, 16};
const rsp_aid RSP_AID_ECASD = {{SGP02_RID_PIX, 0x00, 0x00, 0x02, 0x00}, 16};
const rsp_aid RSP_AID_ISDP_LOADFILE = {{SGP02_RID_PIX, 0x00, 0x00, 0x0D, 0x00}, 16};
const rsp_aid RSP_AID_ISDP_MODULE = {{SGP02_RID_PIX, 0x00, 0x00, 0x0E, 0x00}, 16};
const rsp_aid RSP_AID_MNO_SD = {{0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00}, 8};

rsp_err rsp_aid_from_bytes(const uint8_t *p, size_t len, rsp_aid *out)
{
    if (len < 5 || len > RSP_AID_MAX)
        return RSP_ERR_LENGTH;
    memset(out, 0, sizeof(*out));
    memcpy(out->b, p, len);
    out->len = (uint8_t)len;
    return RSP_OK;
}

rsp_err rsp_aid_parse(const char *hex, rsp_aid *out)
{
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_hex_decode(hex, &b, NULL);
    if (!e)
        e = rsp_aid_from_bytes(b.data, b.len, out);
    rsp_buf_free(&b);
    return e;
}

void rsp_aid_format(const rsp_aid *aid, char out[2 * RSP_AID_MAX + 1])
{
    rsp_hex_encode_upper(aid->b, aid->len, out, 2 * RSP_AID_MAX + 1);
}

bool rsp_aid_eq(const rsp_aid *a, const rsp_aid *b)
{
    return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

rsp_err rsp_aid_isdp(uint32_t tar, rsp_aid *out)
{
    if (tar < 0x000010 || tar > 0x00FFFF)
        return RSP_ERR_RANGE;
    *out = RSP_AID_ISDR;
    rsp_put_be24(out->b + 12, tar);
    out->b[15] = 0x00;
    return RSP_OK;
}

rsp_err rsp_aid_isdp_tar(const rsp_aid *aid, uint32_t *tar)
{
    if (aid->len != 16 || memcmp(aid->b, RSP_AID_ISDR.b, 12) != 0 || aid->b[15] != 0x00)
        return RSP_ERR_FORMAT;
    uint32_t t = rsp_be24(aid->b + 12);
    if (t < 0x000010 || t > 0x00FFFF)
        return RSP_ERR_FORMAT;
    *tar = t;
    return RSP_OK;
}
