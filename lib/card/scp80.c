/* SCP80 packets. Both the command and the PoR put exactly 16 bytes before the checksum field
 * (CPL..PCNTR, and 02 71 00..RSC), which is a whole number of DES and AES blocks: the checksum is
 * computed over (that prefix, the bytes after the checksum field) without copying them together. */
#include "rsp/scp80.h"

#include <string.h>

#include "crc.h"
#include "rsp/buf.h"
#include "rsp/crypto.h"

static const uint8_t por_udh[3] = {0x02, 0x71, 0x00};

const char *rsp_scp80_status_name(uint8_t status)
{
    switch (status) {
#define RSP_SCP80_ST_NAME_(v, id, name) \
    case v:                             \
        return name;
        RSP_SCP80_STATUS_LIST(RSP_SCP80_ST_NAME_)
#undef RSP_SCP80_ST_NAME_
    default:
        return "reserved";
    }
}

rsp_scp80_cntr_mode rsp_scp80_spi_cntr_mode(const uint8_t spi[2])
{
    return (rsp_scp80_cntr_mode)((spi[0] >> RSP_SCP80_SPI1_CNTR_SHIFT) & 3);
}

rsp_err rsp_scp80_chk_len(uint8_t chk, uint8_t kid, uint8_t cc_len_opt, uint8_t *out)
{
    switch (chk) {
    case RSP_SCP80_CHK_NONE:
        *out = 0;
        return RSP_OK;
    case RSP_SCP80_CHK_RC:
        /* For RC the KID low nibble names the CRC, not a key. */
        if ((kid & 0x0F) == 0x01)
            *out = 2;
        else if ((kid & 0x0F) == 0x05)
            *out = 4;
        else
            return RSP_ERR_UNSUPPORTED;
        return RSP_OK;
    case RSP_SCP80_CHK_CC:
        if (cc_len_opt == 0 || cc_len_opt == 8)
            *out = 8;
        else if (cc_len_opt == 4 && (kid & 0x03) == 0x02)
            *out = 4; /* the short CC exists for AES-CMAC only */
        else
            return RSP_ERR_UNSUPPORTED;
        return RSP_OK;
    default:
        return RSP_ERR_UNSUPPORTED; /* DS: no digital signature scheme is defined for SGP.02 */
    }
}

/* The algorithm a KIc/KID low nibble names, checked against the key length given. */
static rsp_err pick_alg(uint8_t kx, size_t keylen, bool for_mac, rsp_cipher_alg *alg, rsp_cipher_mode *mode,
                        const char *which, rsp_diag *d)
{
    size_t want = 0;
    *mode = RSP_MODE_CBC;
    switch (kx & 0x0F) {
    case 0x1: *alg = RSP_CIPHER_3DES; want = 8; break;   /* single DES as K1=K2=K3 */
    case 0x5: *alg = RSP_CIPHER_3DES; want = 16; break;
    case 0x9: *alg = RSP_CIPHER_3DES; want = 24; break;
    case 0xD:
        if (for_mac)
            return rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "%s %02X: DES-ECB is not a checksum algorithm", which, kx);
        *alg = RSP_CIPHER_3DES;
        *mode = RSP_MODE_ECB;
        want = 8;
        break;
    case 0x2:
        *alg = RSP_CIPHER_AES;
        if (keylen != 16 && keylen != 24 && keylen != 32)
            return rsp_diag_set(d, RSP_ERR_INVAL, "%s %02X names AES: key must be 16, 24 or 32 bytes, not %zu", which,
                                kx, keylen);
        return RSP_OK;
    default:
        return rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "%s %02X: algorithm nibble %X not supported", which, kx, kx & 0x0F);
    }
    if (keylen != want)
        return rsp_diag_set(d, RSP_ERR_INVAL, "%s %02X needs a %zu-byte key, not %zu", which, kx, want, keylen);
    return RSP_OK;
}

/* CBC-MAC (zero IV, zero padding of the last partial block) over pre(16) || rest, chained through the
 * IV so nothing is copied but one block at a time. */
static rsp_err des_cbc_mac2(const uint8_t *key, size_t keylen, const uint8_t *pre, const uint8_t *rest,
                            size_t rest_len, uint8_t out[8])
{
    uint8_t scratch[256], iv[8];
    rsp_err e = rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, true, key, keylen, NULL, pre, 16, scratch);
    if (e != RSP_OK)
        return e;
    memcpy(iv, scratch + 8, 8);
    size_t full = rest_len & ~(size_t)7;
    for (size_t off = 0; off < full;) {
        size_t n = full - off > sizeof(scratch) ? sizeof(scratch) : full - off;
        if ((e = rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, true, key, keylen, iv, rest + off, n, scratch)) != RSP_OK)
            return e;
        memcpy(iv, scratch + n - 8, 8);
        off += n;
    }
    if (rest_len > full) {
        uint8_t last[8] = {0};
        memcpy(last, rest + full, rest_len - full);
        if ((e = rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, true, key, keylen, iv, last, 8, scratch)) != RSP_OK)
            return e;
        memcpy(iv, scratch, 8);
    }
    memcpy(out, iv, 8);
    rsp_wipe(scratch, sizeof(scratch));
    return RSP_OK;
}

static rsp_err checksum(uint8_t chk, uint8_t kid, const rsp_scp80_keys *k, const uint8_t *pre, const uint8_t *rest,
                        size_t rest_len, uint8_t cclen, uint8_t *out, rsp_diag *d)
{
    if (chk == RSP_SCP80_CHK_RC) {
        if (cclen == 2) {
            uint16_t c = rsp_crc16_update(rsp_crc16_init(), pre, 16);
            rsp_put_be16(out, rsp_crc16_final(rsp_crc16_update(c, rest, rest_len)));
        } else {
            uint32_t c = rsp_crc32_update(rsp_crc32_init(), pre, 16);
            rsp_put_be32(out, rsp_crc32_final(rsp_crc32_update(c, rest, rest_len)));
        }
        return RSP_OK;
    }
    if (!k || !k->kid)
        return rsp_diag_set(d, RSP_ERR_INVAL, "a KID key is needed for the cryptographic checksum");
    rsp_cipher_alg alg;
    rsp_cipher_mode mode;
    rsp_err e = pick_alg(kid, k->kid_len, true, &alg, &mode, "KID", d);
    if (e != RSP_OK)
        return e;
    if (alg == RSP_CIPHER_AES) {
        rsp_bytes parts[2] = {rsp_bytes_of(pre, 16), rsp_bytes_of(rest, rest_len)};
        uint8_t mac[16];
        if ((e = rsp_aes_cmac_parts(k->kid, k->kid_len, parts, 2, mac)) != RSP_OK)
            return rsp_diag_set(d, e, "AES-CMAC failed");
        memcpy(out, mac, cclen);
        return RSP_OK;
    }
    uint8_t mac[8];
    if ((e = des_cbc_mac2(k->kid, k->kid_len, pre, rest, rest_len, mac)) != RSP_OK)
        return rsp_diag_set(d, e, "DES CBC-MAC failed");
    memcpy(out, mac, cclen);
    return RSP_OK;
}

rsp_err rsp_scp80_checksum(uint8_t chk, uint8_t kid, const uint8_t *key, size_t keylen, uint8_t cc_len,
                           const uint8_t *msg, size_t len, uint8_t *out, rsp_diag *diag)
{
    uint8_t want;
    if (!msg || !out || len < 16)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "checksum input must be at least 16 bytes");
    if (rsp_scp80_chk_len(chk, kid, cc_len, &want) != RSP_OK || want != cc_len)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "checksum type %u, KID %02X, length %u not supported", chk, kid,
                            cc_len);
    rsp_scp80_keys k = {NULL, 0, key, keylen};
    return checksum(chk, kid, &k, msg, msg + 16, len - 16, cc_len, out, diag);
}

/* Ciphers (or deciphers) buf in place with the KIc algorithm; *bs gets the block size. */
static rsp_err cipher_alg(const rsp_scp80_keys *k, uint8_t kic, rsp_cipher_alg *alg, rsp_cipher_mode *mode, size_t *bs,
                          rsp_diag *d)
{
    if (!k || !k->kic)
        return rsp_diag_set(d, RSP_ERR_INVAL, "a KIc key is needed for ciphering");
    rsp_err e = pick_alg(kic, k->kic_len, false, alg, mode, "KIc", d);
    if (e == RSP_OK)
        *bs = rsp_cipher_block_size(*alg);
    return e;
}

static void pad(uint8_t *p, size_t n, uint8_t pad80)
{
    memset(p, 0, n);
    if (n && pad80)
        p[0] = 0x80;
}

rsp_err rsp_scp80_cmd_build(const rsp_scp80_keys *k, const rsp_scp80_hdr *h, const uint8_t *data, size_t len,
                            uint8_t *out, size_t cap, size_t *out_len, rsp_diag *diag)
{
    if (!h || !out || !out_len || (len && !data))
        return RSP_ERR_INVAL;
    uint8_t chk = h->spi[0] & RSP_SCP80_SPI1_CHK_MASK, cclen;
    if (rsp_scp80_chk_len(chk, h->kid, h->cc_len, &cclen) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "SPI %02X%02X with KID %02X: checksum not supported", h->spi[0],
                            h->spi[1], h->kid);
    bool ciph = h->spi[0] & RSP_SCP80_SPI1_CIPHER;
    rsp_cipher_alg alg = RSP_CIPHER_AES;
    rsp_cipher_mode mode = RSP_MODE_CBC;
    size_t bs = 1;
    rsp_err e;
    if (ciph && (e = cipher_alg(k, h->kic, &alg, &mode, &bs, diag)) != RSP_OK)
        return e;
    size_t body = 6 + cclen + len;
    size_t padn = (bs - body % bs) % bs;
    size_t total = 10 + body + padn;
    if (total - 2 > 0xFFFF)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "secured data of %zu bytes exceeds CPL", len);
    if (cap < total)
        return rsp_diag_set(diag, RSP_ERR_OVERFLOW, "output needs %zu bytes, have %zu", total, cap);
    rsp_put_be16(out, (uint16_t)(total - 2));
    out[2] = (uint8_t)(13 + cclen);
    out[3] = h->spi[0];
    out[4] = h->spi[1];
    out[5] = h->kic;
    out[6] = h->kid;
    memcpy(out + 7, h->tar, 3);
    memcpy(out + 10, h->cntr, 5);
    out[15] = (uint8_t)padn;
    uint8_t *rest = out + 16 + cclen;
    if (len)
        memmove(rest, data, len);
    pad(rest + len, padn, h->pad80);
    if (cclen && (e = checksum(chk, h->kid, k, out, rest, len + padn, cclen, out + 16, diag)) != RSP_OK)
        return e;
    if (ciph && (e = rsp_cipher(alg, mode, true, k->kic, k->kic_len, NULL, out + 10, total - 10, out + 10)) != RSP_OK)
        return rsp_diag_set(diag, e, "ciphering failed");
    *out_len = total;
    return RSP_OK;
}

rsp_err rsp_scp80_cmd_peek(const uint8_t *pkt, size_t len, rsp_scp80_hdr *h, rsp_diag *diag)
{
    if (!h || (!pkt && len))
        return RSP_ERR_INVAL;
    memset(h, 0, sizeof(*h));
    if (len < RSP_SCP80_CMD_HDR_MIN)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len,
                               "command packet truncated: %zu bytes, the header alone is 16 (CPL..PCNTR)", len);
    size_t cpl = rsp_be16(pkt);
    if (len < cpl + 2)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "command packet truncated: CPL says %zu bytes, %zu present",
                               cpl, len - 2);
    if (len > cpl + 2)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, cpl + 2, "command packet has %zu bytes after CPL %zu",
                               len - 2 - cpl, cpl);
    uint8_t chl = pkt[2];
    if (chl < 13 || (chl - 13 != 0 && chl - 13 != 2 && chl - 13 != 4 && chl - 13 != 8))
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, 2, "CHL %02X: must be 0D + 0, 2, 4 or 8", chl);
    if ((size_t)chl + 3 > len)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "command packet truncated inside its header (CHL %02X)", chl);
    h->spi[0] = pkt[3];
    h->spi[1] = pkt[4];
    h->kic = pkt[5];
    h->kid = pkt[6];
    memcpy(h->tar, pkt + 7, 3);
    h->cc_len = (uint8_t)(chl - 13);
    /* CNTR is ciphered when SPI says so; it is filled in by _open. */
    if (!(h->spi[0] & RSP_SCP80_SPI1_CIPHER))
        memcpy(h->cntr, pkt + 10, 5);
    return RSP_OK;
}

rsp_err rsp_scp80_cmd_open(const rsp_scp80_keys *k, const uint8_t *pkt, size_t len, uint8_t *work, size_t cap,
                           rsp_scp80_cmd *out, rsp_diag *diag)
{
    if (!out || !work)
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    out->status = RSP_SCP80_SECURITY_ERROR;
    rsp_err e = rsp_scp80_cmd_peek(pkt, len, &out->h, diag);
    if (e != RSP_OK)
        return e;
    if (cap < len)
        return rsp_diag_set(diag, RSP_ERR_OVERFLOW, "work buffer needs %zu bytes, have %zu", len, cap);
    out->cpl = rsp_be16(pkt);
    out->chl = pkt[2];
    uint8_t cclen = out->h.cc_len, chk = out->h.spi[0] & RSP_SCP80_SPI1_CHK_MASK, want;
    if (rsp_scp80_chk_len(chk, out->h.kid, cclen, &want) != RSP_OK || want != cclen)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, 2, "CHL %02X does not match SPI %02X%02X / KID %02X", out->chl,
                               out->h.spi[0], out->h.spi[1], out->h.kid);
    if (work != pkt)
        memmove(work, pkt, len);
    if (out->h.spi[0] & RSP_SCP80_SPI1_CIPHER) {
        rsp_cipher_alg alg;
        rsp_cipher_mode mode;
        size_t bs;
        if ((e = cipher_alg(k, out->h.kic, &alg, &mode, &bs, diag)) != RSP_OK) {
            out->status = RSP_SCP80_CIPHER_ERROR;
            return e;
        }
        if ((len - 10) % bs) {
            out->status = RSP_SCP80_CIPHER_ERROR;
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, 10, "ciphered part (%zu bytes) is not a whole number of %zu-byte blocks",
                                   len - 10, bs);
        }
        if ((e = rsp_cipher(alg, mode, false, k->kic, k->kic_len, NULL, work + 10, len - 10, work + 10)) != RSP_OK)
            return rsp_diag_set(diag, e, "deciphering failed");
        memcpy(out->h.cntr, work + 10, 5);
    }
    out->pcntr = work[15];
    memcpy(out->cc, work + 16, cclen);
    out->cc_len = cclen;
    size_t after = len - 16 - cclen;
    if (out->pcntr > after) {
        out->status = RSP_SCP80_CIPHER_ERROR;
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, 15, "PCNTR %u exceeds the %zu bytes of secured data", out->pcntr, after);
    }
    out->data = work + 16 + cclen;
    out->data_len = after - out->pcntr;
    if (cclen) {
        uint8_t calc[8];
        if ((e = checksum(chk, out->h.kid, k, work, work + 16 + cclen, after, cclen, calc, diag)) != RSP_OK)
            return e;
        out->cc_valid = rsp_ct_equal(calc, out->cc, cclen);
        if (!out->cc_valid) {
            out->status = RSP_SCP80_CHK_FAILED;
            return rsp_diag_set(diag, RSP_ERR_VERIFY, "%s does not verify", chk == RSP_SCP80_CHK_RC ? "RC" : "CC");
        }
    }
    out->status = RSP_SCP80_POR_OK;
    return RSP_OK;
}

static uint64_t cntr_u64(const uint8_t c[5])
{
    return ((uint64_t)c[0] << 32) | rsp_be32(c + 1);
}

rsp_err rsp_scp80_counter_check(const uint8_t spi[2], const uint8_t stored[RSP_SCP80_CNTR_LEN],
                                const uint8_t recv[RSP_SCP80_CNTR_LEN], uint8_t *status)
{
    if (!spi || !stored || !recv || !status)
        return RSP_ERR_INVAL;
    rsp_scp80_cntr_mode m = rsp_scp80_spi_cntr_mode(spi);
    *status = RSP_SCP80_POR_OK;
    if (m == RSP_SCP80_CNTR_NONE || m == RSP_SCP80_CNTR_NOCHECK)
        return RSP_OK;
    uint64_t s = cntr_u64(stored), r = cntr_u64(recv);
    if (s == 0xFFFFFFFFFFull)
        *status = RSP_SCP80_CNTR_BLOCKED;
    else if (r <= s)
        *status = RSP_SCP80_CNTR_LOW;
    else if (m == RSP_SCP80_CNTR_ONE_HIGHER && r != s + 1)
        *status = RSP_SCP80_CNTR_HIGH;
    return *status == RSP_SCP80_POR_OK ? RSP_OK : RSP_ERR_REPLAY;
}

static bool status_secured(uint8_t st)
{
    return st == 0x00 || st == 0x07 || st == 0x08 || st == 0x0B || st == 0x0C;
}

rsp_err rsp_scp80_por_build(const rsp_scp80_keys *k, const rsp_scp80_hdr *cmd, uint8_t status, const uint8_t *data,
                            size_t len, uint8_t *out, size_t cap, size_t *out_len, rsp_diag *diag)
{
    if (!cmd || !out || !out_len || (len && !data))
        return RSP_ERR_INVAL;
    bool sec = status_secured(status);
    uint8_t chk = sec ? (cmd->spi[1] >> RSP_SCP80_SPI2_POR_CHK_SHIFT) & 3 : 0, cclen;
    if (rsp_scp80_chk_len(chk, cmd->kid, cmd->cc_len, &cclen) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "PoR checksum of SPI %02X%02X with KID %02X not supported",
                            cmd->spi[0], cmd->spi[1], cmd->kid);
    bool ciph = sec && (cmd->spi[1] & RSP_SCP80_SPI2_POR_CIPHER);
    rsp_cipher_alg alg = RSP_CIPHER_AES;
    rsp_cipher_mode mode = RSP_MODE_CBC;
    size_t bs = 1;
    rsp_err e;
    if (ciph && (e = cipher_alg(k, cmd->kic, &alg, &mode, &bs, diag)) != RSP_OK)
        return e;
    size_t body = 7 + cclen + len;
    size_t padn = (bs - body % bs) % bs;
    size_t total = 9 + body + padn;
    if (total - 5 > 0xFFFF)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "PoR data of %zu bytes exceeds RPL", len);
    if (cap < total)
        return rsp_diag_set(diag, RSP_ERR_OVERFLOW, "output needs %zu bytes, have %zu", total, cap);
    memcpy(out, por_udh, 3);
    rsp_put_be16(out + 3, (uint16_t)(total - 5));
    out[5] = (uint8_t)(10 + cclen);
    memcpy(out + 6, cmd->tar, 3);
    memcpy(out + 9, cmd->cntr, 5);
    out[14] = (uint8_t)padn;
    out[15] = status;
    uint8_t *rest = out + 16 + cclen;
    if (len)
        memmove(rest, data, len);
    pad(rest + len, padn, cmd->pad80);
    if (cclen && (e = checksum(chk, cmd->kid, k, out, rest, len + padn, cclen, out + 16, diag)) != RSP_OK)
        return e;
    if (ciph && (e = rsp_cipher(alg, mode, true, k->kic, k->kic_len, NULL, out + 9, total - 9, out + 9)) != RSP_OK)
        return rsp_diag_set(diag, e, "ciphering failed");
    *out_len = total;
    return RSP_OK;
}

rsp_err rsp_scp80_por_open(const rsp_scp80_keys *k, const rsp_scp80_hdr *cmd, const uint8_t *por, size_t len,
                           uint8_t *work, size_t cap, rsp_scp80_por *out, rsp_diag *diag)
{
    if (!cmd || !out || !work || (!por && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    bool has_udh = len >= 5 && memcmp(por, por_udh, 3) == 0 && (size_t)rsp_be16(por + 3) + 5 == len;
    size_t total = has_udh ? len : len + 3;
    size_t base = has_udh ? 3 : 0; /* offset of RPL in the caller's input, for diagnostics */
    if (len < (has_udh ? 16u : 13u))
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "PoR truncated: %zu bytes, the header alone is 13 (RPL..RSC)",
                               len - base);
    if (cap < total)
        return rsp_diag_set(diag, RSP_ERR_OVERFLOW, "work buffer needs %zu bytes, have %zu", total, cap);
    memmove(work + 3, por + base, total - 3);
    memcpy(work, por_udh, 3);
    out->rpl = rsp_be16(work + 3);
    if ((size_t)out->rpl + 5 > total)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "PoR truncated: RPL says %u bytes, %zu present", out->rpl,
                               total - 5);
    if ((size_t)out->rpl + 5 < total)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, out->rpl + 2 + base, "PoR has %zu bytes after RPL %u",
                               total - 5 - out->rpl, out->rpl);
    out->rhl = work[5];
    uint8_t cclen = (uint8_t)(out->rhl - 10);
    if (out->rhl < 10 || (cclen != 0 && cclen != 2 && cclen != 4 && cclen != 8))
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, base + 2, "RHL %02X: must be 0A + 0, 2, 4 or 8", out->rhl);
    if (16 + (size_t)cclen > total)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "PoR truncated inside its header (RHL %02X)", out->rhl);
    memcpy(out->tar, work + 6, 3);
    uint8_t chk = (cmd->spi[1] >> RSP_SCP80_SPI2_POR_CHK_SHIFT) & 3;
    rsp_err e;
    /* An error PoR comes back without the security SPI asked for; an announced-but-missing
     * checksum, or a length that cannot be ciphertext, tells it apart. */
    bool ciph = (cmd->spi[1] & RSP_SCP80_SPI2_POR_CIPHER) && !(chk != 0 && cclen == 0);
    if (ciph) {
        rsp_cipher_alg alg;
        rsp_cipher_mode mode;
        size_t bs;
        if ((e = cipher_alg(k, cmd->kic, &alg, &mode, &bs, diag)) != RSP_OK)
            return e;
        if ((total - 9) % bs == 0) {
            if ((e = rsp_cipher(alg, mode, false, k->kic, k->kic_len, NULL, work + 9, total - 9, work + 9)) != RSP_OK)
                return rsp_diag_set(diag, e, "deciphering failed");
            out->ciphered = true;
        } else if (cclen) {
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, base + 6,
                                   "ciphered PoR part (%zu bytes) is not a whole number of %zu-byte blocks", total - 9, bs);
        }
    }
    memcpy(out->cntr, work + 9, 5);
    out->pcntr = work[14];
    out->status = work[15];
    memcpy(out->cc, work + 16, cclen);
    out->cc_len = cclen;
    size_t after = total - 16 - cclen;
    if (out->pcntr > after)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, base + 11, "PCNTR %u exceeds the %zu bytes of response data",
                               out->pcntr, after);
    out->data = work + 16 + cclen;
    out->data_len = after - out->pcntr;
    if (cclen) {
        if (chk == RSP_SCP80_CHK_NONE)
            chk = (cclen == 8 || (cclen == 4 && (cmd->kid & 3) == 2)) ? RSP_SCP80_CHK_CC : RSP_SCP80_CHK_RC;
        uint8_t want, calc[8];
        if (rsp_scp80_chk_len(chk, cmd->kid, cclen, &want) != RSP_OK || want != cclen)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, base + 2, "RHL %02X does not match SPI %02X%02X / KID %02X",
                                   out->rhl, cmd->spi[0], cmd->spi[1], cmd->kid);
        if ((e = checksum(chk, cmd->kid, k, work, work + 16 + cclen, after, cclen, calc, diag)) != RSP_OK)
            return e;
        out->cc_valid = rsp_ct_equal(calc, out->cc, cclen);
        if (!out->cc_valid)
            return rsp_diag_set(diag, RSP_ERR_VERIFY, "PoR %s does not verify", chk == RSP_SCP80_CHK_RC ? "RC" : "CC");
    }
    return RSP_OK;
}
