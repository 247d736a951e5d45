/* SCP03 (GP Amd D) host and card roles. See include/rsp/scp03.h. */
#include <string.h>

#include "rsp/crypto.h"
#include "rsp/scp03.h"
#include "scp03_prim.h"

enum { KDF_CARD_CRYPTOGRAM = 0x00, KDF_HOST_CRYPTOGRAM = 0x01, KDF_CARD_CHALLENGE = 0x02,
       KDF_S_ENC = 0x04, KDF_S_MAC = 0x06, KDF_S_RMAC = 0x07 };

static bool keylen_ok(size_t n) { return n == 16 || n == 24 || n == 32; }

rsp_err rsp_scp03_keys_set(rsp_scp03_keys *keys, uint8_t kvn, const uint8_t *enc, const uint8_t *mac,
                           const uint8_t *dek, size_t len)
{
    if (!keys || !enc || !mac || !keylen_ok(len))
        return RSP_ERR_INVAL;
    memset(keys, 0, sizeof(*keys));
    memcpy(keys->enc, enc, len);
    memcpy(keys->mac, mac, len);
    if (dek)
        memcpy(keys->dek, dek, len);
    keys->len = len;
    keys->kvn = kvn;
    return RSP_OK;
}

void rsp_scp03_close(rsp_scp03_session *s)
{
    if (s)
        rsp_wipe(s, sizeof(*s));
}

rsp_err rsp_scp03_kcv(const uint8_t *key, size_t keylen, uint8_t out[3])
{
    uint8_t blk[16];
    memset(blk, 0x01, sizeof(blk));
    rsp_err e = rsp_cipher(RSP_CIPHER_AES, RSP_MODE_ECB, true, key, keylen, NULL, blk, 16, blk);
    if (!e)
        memcpy(out, blk, 3);
    return e;
}

bool rsp_scp03_sl_valid(uint8_t sl)
{
    return sl == 0x01 || sl == 0x03 || sl == 0x11 || sl == 0x13 || sl == 0x31 || sl == 0x33;
}

rsp_err rsp_scp03_card_challenge(const uint8_t *kenc, size_t keylen, const uint8_t seq[3], const uint8_t *aid,
                                 size_t aid_len, uint8_t out[8])
{
    uint8_t ctx[3 + 16];
    if (aid_len > 16 || (aid_len && !aid))
        return RSP_ERR_INVAL;
    memcpy(ctx, seq, 3);
    if (aid_len)
        memcpy(ctx + 3, aid, aid_len);
    return rsp_kdf_scp03(kenc, keylen, KDF_CARD_CHALLENGE, ctx, 3 + aid_len, out, 8);
}

rsp_err rsp_scp03_derive(rsp_scp03_session *s, const rsp_scp03_keys *keys)
{
    if (!s || !keys || !keylen_ok(keys->len))
        return RSP_ERR_INVAL;
    uint8_t ctx[16];
    memcpy(ctx, s->host_challenge, 8);
    memcpy(ctx + 8, s->card_challenge, 8);
    size_t n = keys->len;
    rsp_err e;
    if ((e = rsp_kdf_scp03(keys->enc, n, KDF_S_ENC, ctx, 16, s->s_enc, n)) ||
        (e = rsp_kdf_scp03(keys->mac, n, KDF_S_MAC, ctx, 16, s->s_mac, n)) ||
        (e = rsp_kdf_scp03(keys->mac, n, KDF_S_RMAC, ctx, 16, s->s_rmac, n)) ||
        (e = rsp_kdf_scp03(s->s_mac, n, KDF_CARD_CRYPTOGRAM, ctx, 16, s->card_cryptogram, 8)) ||
        (e = rsp_kdf_scp03(s->s_mac, n, KDF_HOST_CRYPTOGRAM, ctx, 16, s->host_cryptogram, 8)))
        return e;
    memcpy(s->dek, keys->dek, n);
    s->keylen = n;
    s->kvn = keys->kvn;
    memset(s->mcv, 0, 16); /* the first C-MAC (EXTERNAL AUTHENTICATE) chains from zero */
    s->counter = 0;
    return RSP_OK;
}

/* A parsed short C-APDU. */
typedef struct c_apdu {
    const uint8_t *hdr; /* CLA INS P1 P2 */
    const uint8_t *data;
    size_t lc;
    bool has_le;
    uint8_t le;
} c_apdu;

static rsp_err apdu_parse(const uint8_t *p, size_t len, c_apdu *a, rsp_diag *diag)
{
    memset(a, 0, sizeof(*a));
    if (!p || len < 4)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, len, "APDU of %zu bytes is shorter than its header", len);
    a->hdr = p;
    if (len == 4)
        return RSP_OK;
    if (len == 5) {
        a->has_le = true;
        a->le = p[4];
        return RSP_OK;
    }
    if (p[4] == 0)
        return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, 4, "extended-length APDUs are not supported");
    a->lc = p[4];
    a->data = p + 5;
    if (len == 5 + a->lc)
        return RSP_OK;
    if (len == 6 + a->lc) {
        a->has_le = true;
        a->le = p[len - 1];
        return RSP_OK;
    }
    return rsp_diag_set_at(diag, len < 5 + a->lc ? RSP_ERR_TRUNCATED : RSP_ERR_LENGTH, 4,
                           "Lc %zu does not match the %zu bytes that follow", a->lc, len - 5);
}

/* Secure messaging indication in CLA: bit 3 for channels 0-3, bit 6 for the further interindustry
 * classes (channels 4-19), GP CS 11.1.4. */
static uint8_t cla_sm(uint8_t cla) { return (cla & 0x40) ? (uint8_t)(cla | 0x20) : (uint8_t)(cla | 0x04); }
static uint8_t cla_plain(uint8_t cla) { return (cla & 0x40) ? (uint8_t)(cla & ~0x20) : (uint8_t)(cla & ~0x04); }

static bool sw_is_error(uint16_t sw)
{
    uint8_t sw1 = (uint8_t)(sw >> 8);
    return !(sw == 0x9000 || sw1 == 0x61 || sw1 == 0x62 || sw1 == 0x63);
}

/* ---- host role ---- */

rsp_err rsp_scp03_host_init_update(uint8_t kvn, const uint8_t host_challenge[8], rsp_buf *apdu)
{
    if (!host_challenge || !apdu)
        return RSP_ERR_INVAL;
    const uint8_t hdr[5] = {0x80, 0x50, kvn, 0x00, 0x08};
    rsp_err e = rsp_buf_append(apdu, hdr, 5);
    if (!e)
        e = rsp_buf_append(apdu, host_challenge, 8);
    if (!e)
        e = rsp_buf_append_byte(apdu, 0x00);
    return e;
}

rsp_err rsp_scp03_host_begin(rsp_scp03_session *s, const rsp_scp03_keys *keys, const uint8_t host_challenge[8],
                             const uint8_t *resp, size_t len, rsp_diag *diag)
{
    if (!s || !keys || !host_challenge || (!resp && len))
        return RSP_ERR_INVAL;
    memset(s, 0, sizeof(*s));
    s->role = RSP_SCP03_HOST;
    if ((len == 31 || len == 34) && resp[len - 2] == 0x90 && resp[len - 1] == 0x00)
        len -= 2;
    if (len != 29 && len != 32)
        return rsp_diag_set(diag, len < 29 ? RSP_ERR_TRUNCATED : RSP_ERR_LENGTH,
                            "INITIALIZE UPDATE response is %zu bytes, expected 29 or 32", len);
    if (resp[11] != 0x03)
        return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, 11, "card answers with SCP%02X, not SCP03", resp[11]);
    s->kvn = resp[10];
    s->i_param = resp[12];
    if (s->i_param & RSP_SCP03_I_S16)
        return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, 12, "S16 mode (i=%02X) is not supported", s->i_param);
    if (keys->kvn && s->kvn != keys->kvn)
        return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, 10, "card uses KVN %02X, keys are KVN %02X", s->kvn,
                               keys->kvn);
    memcpy(s->host_challenge, host_challenge, 8);
    memcpy(s->card_challenge, resp + 13, 8);
    if (len == 32)
        memcpy(s->seq, resp + 29, 3);
    rsp_err e = rsp_scp03_derive(s, keys);
    if (e)
        return e;
    s->card_cryptogram_ok = rsp_ct_equal(s->card_cryptogram, resp + 21, 8);
    if (!s->card_cryptogram_ok)
        return rsp_diag_set_at(diag, RSP_ERR_VERIFY, 21, "card cryptogram does not verify");
    return RSP_OK;
}

/* C-MAC over MCV || CLA' INS P1 P2 Lc' || data', appended, chaining value updated. */
static rsp_err cmac_append(rsp_scp03_session *s, rsp_buf *out, size_t start)
{
    uint8_t mac[16];
    rsp_bytes parts[2] = {rsp_bytes_of(s->mcv, 16), rsp_bytes_of(out->data + start, out->len - start)};
    rsp_err e = rsp_aes_cmac_parts(s->s_mac, s->keylen, parts, 2, mac);
    if (e)
        return e;
    memcpy(s->mcv, mac, 16);
    return rsp_buf_append(out, mac, 8);
}

rsp_err rsp_scp03_host_ext_auth(rsp_scp03_session *s, uint8_t sl, rsp_buf *apdu)
{
    if (!s || !apdu || s->role != RSP_SCP03_HOST)
        return RSP_ERR_INVAL;
    if (!s->card_cryptogram_ok || s->authenticated)
        return RSP_ERR_STATE;
    if (!rsp_scp03_sl_valid(sl))
        return RSP_ERR_RANGE;
    size_t start = apdu->len;
    const uint8_t hdr[5] = {0x84, 0x82, sl, 0x00, 0x10};
    rsp_err e = rsp_buf_append(apdu, hdr, 5);
    if (!e)
        e = rsp_buf_append(apdu, s->host_cryptogram, 8);
    if (!e)
        e = cmac_append(s, apdu, start);
    if (e) {
        apdu->len = start;
        return e;
    }
    s->sl = sl;
    s->authenticated = true;
    return RSP_OK;
}

rsp_err rsp_scp03_host_wrap(rsp_scp03_session *s, const uint8_t *in, size_t len, rsp_buf *out, rsp_diag *diag)
{
    if (!s || !out || s->role != RSP_SCP03_HOST)
        return RSP_ERR_INVAL;
    if (!s->authenticated)
        return rsp_diag_set(diag, RSP_ERR_STATE, "no authenticated session");
    c_apdu a;
    rsp_err e = apdu_parse(in, len, &a, diag);
    if (e)
        return e;
    bool enc = (s->sl & RSP_SCP03_SL_CENC) && a.lc > 0;
    size_t lc2 = (enc ? (a.lc / 16 + 1) * 16 : a.lc) + 8;
    if (lc2 > 255)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "wrapped data would be %zu bytes (> 255)", lc2);
    /* Amd D 6.2.6: the counter moves for every command, with or without data. */
    if (s->sl & RSP_SCP03_SL_CENC)
        s->counter++;
    size_t start = out->len;
    const uint8_t hdr[5] = {cla_sm(a.hdr[0]), a.hdr[1], a.hdr[2], a.hdr[3], (uint8_t)lc2};
    if ((e = rsp_buf_append(out, hdr, 5)) != RSP_OK)
        goto fail;
    if (enc) {
        uint8_t icv[16];
        if ((e = rsp_scp03i_icv(s->s_enc, s->keylen, s->counter, false, icv)) != RSP_OK ||
            (e = rsp_scp03i_encrypt_append(s->s_enc, s->keylen, icv, a.data, a.lc, out)) != RSP_OK)
            goto fail;
    } else if (a.lc && (e = rsp_buf_append(out, a.data, a.lc)) != RSP_OK) {
        goto fail;
    }
    if ((e = cmac_append(s, out, start)) != RSP_OK)
        goto fail;
    if (a.has_le && (e = rsp_buf_append_byte(out, a.le)) != RSP_OK)
        goto fail;
    return RSP_OK;
fail:
    out->len = start;
    return e;
}

rsp_err rsp_scp03_host_unwrap(rsp_scp03_session *s, const uint8_t *resp, size_t len, rsp_buf *out, rsp_diag *diag)
{
    if (!s || !out || (!resp && len) || s->role != RSP_SCP03_HOST)
        return RSP_ERR_INVAL;
    if (!s->authenticated)
        return rsp_diag_set(diag, RSP_ERR_STATE, "no authenticated session");
    if (len < 2)
        return rsp_diag_set(diag, RSP_ERR_TRUNCATED, "response of %zu bytes has no status word", len);
    uint16_t sw = rsp_be16(resp + len - 2);
    size_t body = len - 2;
    if (!(s->sl & RSP_SCP03_SL_RMAC) || (body == 0 && sw_is_error(sw)))
        return rsp_buf_append(out, resp, len);
    if (body < 8)
        return rsp_diag_set(diag, RSP_ERR_TRUNCATED, "response of %zu bytes has no room for its R-MAC", len);
    size_t dlen = body - 8;
    uint8_t mac[16];
    rsp_bytes parts[3] = {rsp_bytes_of(s->mcv, 16), rsp_bytes_of(resp, dlen), rsp_bytes_of(resp + len - 2, 2)};
    rsp_err e = rsp_aes_cmac_parts(s->s_rmac, s->keylen, parts, 3, mac);
    if (e)
        return e;
    if (!rsp_ct_equal(mac, resp + dlen, 8))
        return rsp_diag_set_at(diag, RSP_ERR_VERIFY, dlen, "R-MAC does not verify");
    size_t start = out->len;
    if ((s->sl & RSP_SCP03_SL_RENC) && dlen) {
        uint8_t icv[16];
        if ((e = rsp_scp03i_icv(s->s_enc, s->keylen, s->counter, true, icv)) != RSP_OK)
            return e;
        e = rsp_scp03i_decrypt_append(s->s_enc, s->keylen, icv, resp, dlen, out);
        if (e)
            return rsp_diag_set(diag, e, "R-ENC data does not decipher to padded plaintext");
    } else if ((e = rsp_buf_append(out, resp, dlen)) != RSP_OK) {
        return e;
    }
    if ((e = rsp_buf_append(out, resp + len - 2, 2)) != RSP_OK)
        out->len = start;
    return e;
}

/* ---- card role ---- */

rsp_err rsp_scp03_card_init_update(rsp_scp03_session *s, const rsp_scp03_keys *keys, const rsp_scp03_card_params *p,
                                   const uint8_t *in, size_t len, rsp_buf *resp, rsp_diag *diag)
{
    if (!s || !keys || !p || !resp)
        return RSP_ERR_INVAL;
    c_apdu a;
    rsp_err e = apdu_parse(in, len, &a, diag);
    if (e)
        return e;
    if ((a.hdr[0] & 0x80) == 0 || a.hdr[1] != 0x50)
        return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, 0, "not an INITIALIZE UPDATE command");
    if (a.lc != 8)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, 4, "host challenge is %zu bytes, expected 8", a.lc);
    if (a.hdr[2] != 0 && a.hdr[2] != keys->kvn)
        return rsp_diag_set_at(diag, RSP_ERR_NOT_FOUND, 2, "no key set with KVN %02X", a.hdr[2]);
    if (p->i_param & RSP_SCP03_I_S16)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "S16 mode is not supported");
    memset(s, 0, sizeof(*s));
    s->role = RSP_SCP03_CARD;
    s->i_param = p->i_param;
    rsp_put_be24(s->seq, p->seq & 0xFFFFFF);
    memcpy(s->host_challenge, a.data, 8);
    if (p->i_param & RSP_SCP03_I_PSEUDO_RANDOM)
        e = rsp_scp03_card_challenge(keys->enc, keys->len, s->seq, p->aid, p->aid_len, s->card_challenge);
    else if (p->card_challenge)
        memcpy(s->card_challenge, p->card_challenge, 8);
    else
        e = rsp_random(s->card_challenge, 8);
    if (!e)
        e = rsp_scp03_derive(s, keys);
    if (e) {
        rsp_scp03_close(s);
        return e;
    }
    size_t start = resp->len;
    const uint8_t mid[3] = {keys->kvn, 0x03, p->i_param};
    if ((e = rsp_buf_append(resp, p->key_div, 10)) || (e = rsp_buf_append(resp, mid, 3)) ||
        (e = rsp_buf_append(resp, s->card_challenge, 8)) || (e = rsp_buf_append(resp, s->card_cryptogram, 8)) ||
        ((p->i_param & RSP_SCP03_I_PSEUDO_RANDOM) && (e = rsp_buf_append(resp, s->seq, 3)))) {
        resp->len = start;
        return e;
    }
    return RSP_OK;
}

/* Checks the C-MAC of a parsed command and updates the chaining value. */
static rsp_err card_check_mac(rsp_scp03_session *s, const c_apdu *a, rsp_diag *diag)
{
    if (a->lc < 8)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, 4, "command data of %zu bytes has no C-MAC", a->lc);
    uint8_t hdr[5] = {a->hdr[0], a->hdr[1], a->hdr[2], a->hdr[3], (uint8_t)a->lc};
    uint8_t mac[16];
    rsp_bytes parts[3] = {rsp_bytes_of(s->mcv, 16), rsp_bytes_of(hdr, 5), rsp_bytes_of(a->data, a->lc - 8)};
    rsp_err e = rsp_aes_cmac_parts(s->s_mac, s->keylen, parts, 3, mac);
    if (e)
        return e;
    if (!rsp_ct_equal(mac, a->data + a->lc - 8, 8))
        return rsp_diag_set_at(diag, RSP_ERR_VERIFY, 5 + a->lc - 8, "C-MAC does not verify");
    memcpy(s->mcv, mac, 16);
    return RSP_OK;
}

rsp_err rsp_scp03_card_ext_auth(rsp_scp03_session *s, const uint8_t *in, size_t len, rsp_diag *diag)
{
    if (!s || s->role != RSP_SCP03_CARD)
        return RSP_ERR_INVAL;
    if (s->authenticated)
        return rsp_diag_set(diag, RSP_ERR_STATE, "session already authenticated");
    c_apdu a;
    rsp_err e = apdu_parse(in, len, &a, diag);
    if (e)
        return e;
    if (a.hdr[1] != 0x82 || a.lc != 16)
        return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, 1, "not an EXTERNAL AUTHENTICATE with 16 data bytes");
    if (!rsp_scp03_sl_valid(a.hdr[2]))
        return rsp_diag_set_at(diag, RSP_ERR_RANGE, 2, "security level %02X is not supported", a.hdr[2]);
    if ((e = card_check_mac(s, &a, diag)) != RSP_OK)
        return e;
    if (!rsp_ct_equal(a.data, s->host_cryptogram, 8))
        return rsp_diag_set_at(diag, RSP_ERR_VERIFY, 5, "host cryptogram does not verify");
    s->sl = a.hdr[2];
    s->authenticated = true;
    return RSP_OK;
}

rsp_err rsp_scp03_card_unwrap(rsp_scp03_session *s, const uint8_t *in, size_t len, rsp_buf *out, rsp_diag *diag)
{
    if (!s || !out || s->role != RSP_SCP03_CARD)
        return RSP_ERR_INVAL;
    if (!s->authenticated)
        return rsp_diag_set(diag, RSP_ERR_STATE, "no authenticated session");
    c_apdu a;
    rsp_err e = apdu_parse(in, len, &a, diag);
    if (e)
        return e;
    if (cla_sm(a.hdr[0]) != a.hdr[0])
        return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, 0, "CLA %02X lacks the secure messaging bit", a.hdr[0]);
    if ((e = card_check_mac(s, &a, diag)) != RSP_OK)
        return e;
    if (s->sl & RSP_SCP03_SL_CENC)
        s->counter++;
    size_t dlen = a.lc - 8, start = out->len;
    const uint8_t hdr[4] = {cla_plain(a.hdr[0]), a.hdr[1], a.hdr[2], a.hdr[3]};
    if ((e = rsp_buf_append(out, hdr, 4)) != RSP_OK)
        return e;
    if (dlen) {
        size_t lcpos = out->len;
        if ((e = rsp_buf_append_byte(out, 0)) != RSP_OK)
            goto fail;
        if (s->sl & RSP_SCP03_SL_CENC) {
            uint8_t icv[16];
            if ((e = rsp_scp03i_icv(s->s_enc, s->keylen, s->counter, false, icv)) != RSP_OK)
                goto fail;
            if ((e = rsp_scp03i_decrypt_append(s->s_enc, s->keylen, icv, a.data, dlen, out)) != RSP_OK) {
                rsp_diag_set_at(diag, e, 5, "command data does not decipher to padded plaintext");
                goto fail;
            }
        } else if ((e = rsp_buf_append(out, a.data, dlen)) != RSP_OK) {
            goto fail;
        }
        out->data[lcpos] = (uint8_t)(out->len - lcpos - 1);
        if (out->len == lcpos + 1) /* only padding was ciphered: no data after all */
            out->len = lcpos;
    }
    if (a.has_le && (e = rsp_buf_append_byte(out, a.le)) != RSP_OK)
        goto fail;
    return RSP_OK;
fail:
    out->len = start;
    return e;
}

rsp_err rsp_scp03_card_wrap(rsp_scp03_session *s, const uint8_t *data, size_t len, uint16_t sw, rsp_buf *out)
{
    if (!s || !out || (!data && len) || s->role != RSP_SCP03_CARD)
        return RSP_ERR_INVAL;
    if (!s->authenticated)
        return RSP_ERR_STATE;
    size_t start = out->len;
    rsp_err e;
    uint8_t swb[2];
    rsp_put_be16(swb, sw);
    if (!(s->sl & RSP_SCP03_SL_RMAC) || (len == 0 && sw_is_error(sw))) {
        if ((len && (e = rsp_buf_append(out, data, len)) != RSP_OK) || (e = rsp_buf_append(out, swb, 2)) != RSP_OK)
            goto fail;
        return RSP_OK;
    }
    if ((s->sl & RSP_SCP03_SL_RENC) && len) {
        uint8_t icv[16];
        if ((e = rsp_scp03i_icv(s->s_enc, s->keylen, s->counter, true, icv)) != RSP_OK ||
            (e = rsp_scp03i_encrypt_append(s->s_enc, s->keylen, icv, data, len, out)) != RSP_OK)
            goto fail;
    } else if (len && (e = rsp_buf_append(out, data, len)) != RSP_OK) {
        goto fail;
    }
    uint8_t mac[16];
    /* out->data may still be NULL when there is no data at all. */
    rsp_bytes parts[3] = {rsp_bytes_of(s->mcv, 16),
                          rsp_bytes_of(out->len > start ? out->data + start : NULL, out->len - start),
                          rsp_bytes_of(swb, 2)};
    if ((e = rsp_aes_cmac_parts(s->s_rmac, s->keylen, parts, 3, mac)) != RSP_OK ||
        (e = rsp_buf_append(out, mac, 8)) != RSP_OK || (e = rsp_buf_append(out, swb, 2)) != RSP_OK)
        goto fail;
    return RSP_OK;
fail:
    out->len = start;
    return e;
}
