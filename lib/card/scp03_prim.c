#include <string.h>

#include "rsp/crypto.h"
#include "rsp/tlv.h"
#include "scp03_prim.h"

rsp_err rsp_scp03i_icv(const uint8_t *senc, size_t keylen, uint32_t counter, bool response, uint8_t icv[16])
{
    uint8_t blk[16] = {0};
    rsp_put_be32(blk + 12, counter);
    if (response)
        blk[0] = 0x80; /* GP Amd D 6.2.7: keeps response ICVs apart from command ICVs */
    return rsp_cipher(RSP_CIPHER_AES, RSP_MODE_ECB, true, senc, keylen, NULL, blk, 16, icv);
}

/* Appends data || 80 00.. to a multiple of 16; *p and *padded locate the block run to encipher. */
static rsp_err pad80_append(rsp_buf *b, const uint8_t *data, size_t len, uint8_t **p, size_t *padded)
{
    *padded = (len / 16 + 1) * 16; /* 80 is always added, so an aligned input gains a block */
    rsp_err e = rsp_buf_extend(b, *padded, p);
    if (e)
        return e;
    if (len)
        memcpy(*p, data, len);
    (*p)[len] = 0x80;
    memset(*p + len + 1, 0, *padded - len - 1);
    return RSP_OK;
}

/* p (len bytes, the tail of out from start) holds deciphered data: strips the 80 00.. padding, which
 * lies within the last block by construction, and wipes it. On bad padding the whole tail is wiped and
 * removed. */
static rsp_err unpad80(rsp_buf *out, size_t start, uint8_t *p, size_t len)
{
    size_t n = len;
    while (n > 0 && p[n - 1] == 0x00 && len - n < 16)
        n--;
    if (n == 0 || p[n - 1] != 0x80 || len - n >= 16) {
        rsp_wipe(p, len);
        out->len = start;
        return RSP_ERR_FORMAT;
    }
    rsp_wipe(p + n - 1, len - n + 1);
    out->len = start + n - 1;
    return RSP_OK;
}

rsp_err rsp_scp03i_encrypt_append(const uint8_t *senc, size_t keylen, const uint8_t icv[16], const uint8_t *data,
                                  size_t len, rsp_buf *b)
{
    uint8_t *p;
    size_t padded;
    rsp_err e = pad80_append(b, data, len, &p, &padded);
    return e ? e : rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, senc, keylen, icv, p, padded, p);
}

rsp_err rsp_scp03i_decrypt_append(const uint8_t *senc, size_t keylen, const uint8_t icv[16], const uint8_t *ct,
                                  size_t len, rsp_buf *out)
{
    if (len == 0 || len % 16)
        return RSP_ERR_LENGTH;
    size_t start = out->len;
    uint8_t *p;
    rsp_err e = rsp_buf_extend(out, len, &p);
    if (e)
        return e;
    e = rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, false, senc, keylen, icv, ct, len, p);
    if (e) {
        out->len = start;
        return e;
    }
    return unpad80(out, start, p, len);
}

rsp_err rsp_scp03i_keys_open(rsp_scp03i_keys *k, const uint8_t *senc, const uint8_t *smac, size_t keylen)
{
    k->enc = k->mac = NULL;
    rsp_err e = senc ? rsp_aes_key_new(senc, keylen, &k->enc) : RSP_OK;
    if (!e)
        e = rsp_aes_key_new(smac, keylen, &k->mac);
    if (e)
        rsp_scp03i_keys_close(k);
    return e;
}

void rsp_scp03i_keys_close(rsp_scp03i_keys *k)
{
    rsp_aes_key_free(k->enc);
    rsp_aes_key_free(k->mac);
    k->enc = k->mac = NULL;
}

static rsp_err keyed_icv(rsp_aes_key *kenc, uint32_t counter, uint8_t icv[16])
{
    uint8_t blk[16] = {0};
    rsp_put_be32(blk + 12, counter);
    return rsp_aes_key_cipher(kenc, RSP_MODE_ECB, true, NULL, blk, 16, icv);
}

rsp_err rsp_scp03i_seg_protect(const rsp_scp03i_keys *k, uint8_t mcv[16], uint32_t counter, uint8_t tag, bool encrypt,
                               const uint8_t *data, size_t len, rsp_buf *out)
{
    if (encrypt && !k->enc)
        return RSP_ERR_INVAL;
    size_t ctlen = encrypt ? (len / 16 + 1) * 16 : len;
    size_t start = out->len;
    rsp_err e = rsp_buf_reserve(out, ctlen + 8 + 6);
    if (!e)
        e = rsp_buf_append_byte(out, tag);
    if (!e)
        e = rsp_tlv_put_len(out, ctlen + 8);
    if (e)
        goto fail;
    if (encrypt) {
        uint8_t icv[16], *p;
        size_t padded;
        if ((e = keyed_icv(k->enc, counter, icv)) != RSP_OK || (e = pad80_append(out, data, len, &p, &padded)) != RSP_OK ||
            (e = rsp_aes_key_cipher(k->enc, RSP_MODE_CBC, true, icv, p, padded, p)) != RSP_OK)
            goto fail;
    } else if ((e = rsp_buf_append(out, data, len)) != RSP_OK) {
        goto fail;
    }
    rsp_bytes parts[2] = {rsp_bytes_of(mcv, 16), rsp_bytes_of(out->data + start, out->len - start)};
    uint8_t mac[16];
    if ((e = rsp_aes_key_cmac_parts(k->mac, parts, 2, mac)) != RSP_OK)
        goto fail;
    memcpy(mcv, mac, 16);
    return rsp_buf_append(out, mac, 8);
fail:
    out->len = start;
    return e;
}

rsp_err rsp_scp03i_seg_unprotect(const rsp_scp03i_keys *k, uint8_t mcv[16], uint32_t counter, bool decrypt,
                                 const uint8_t *tlv_raw, size_t hdr_len, size_t value_len, rsp_buf *out,
                                 rsp_diag *diag)
{
    if (value_len < 8)
        return rsp_diag_set(diag, RSP_ERR_TRUNCATED, "segment of %zu bytes has no room for its 8-byte C-MAC",
                            value_len);
    if (decrypt && !k->enc)
        return RSP_ERR_INVAL;
    size_t ctlen = value_len - 8;
    rsp_bytes parts[2] = {rsp_bytes_of(mcv, 16), rsp_bytes_of(tlv_raw, hdr_len + ctlen)};
    uint8_t mac[16];
    rsp_err e = rsp_aes_key_cmac_parts(k->mac, parts, 2, mac);
    if (e)
        return e;
    if (!rsp_ct_equal(mac, tlv_raw + hdr_len + ctlen, 8))
        return rsp_diag_set(diag, RSP_ERR_VERIFY, "C-MAC of the segment does not verify");
    memcpy(mcv, mac, 16);
    const uint8_t *ct = tlv_raw + hdr_len;
    if (!decrypt)
        return rsp_buf_append(out, ct, ctlen);
    if (ctlen == 0 || ctlen % 16)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "ciphertext of %zu bytes is not whole AES blocks", ctlen);
    uint8_t icv[16], *p;
    size_t start = out->len;
    if ((e = keyed_icv(k->enc, counter, icv)) != RSP_OK || (e = rsp_buf_extend(out, ctlen, &p)) != RSP_OK)
        return e;
    if ((e = rsp_aes_key_cipher(k->enc, RSP_MODE_CBC, false, icv, ct, ctlen, p)) != RSP_OK) {
        out->len = start;
        return e;
    }
    if ((e = unpad80(out, start, p, ctlen)) == RSP_ERR_FORMAT)
        return rsp_diag_set(diag, e, "bad 80 00.. padding after decryption");
    return e;
}
