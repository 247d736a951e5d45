/* ES8 Scenario #3 key establishment, host and card roles. See include/rsp/keyest.h; the encoding
 * constants are all in es8_encoding.h. */
#include <string.h>

#include "es8_encoding.h"
#include "keyest_int.h"
#include "rsp/gpcert.h"
#include "rsp/keyest.h"
#include "rsp/tlv.h"


rsp_err rsp_keyest_dgi_put(rsp_buf *out, uint16_t dgi, const uint8_t *value, size_t len)
{
    if (!out || (!value && len) || len > 0xFFFF)
        return RSP_ERR_INVAL;
    size_t start = out->len;
    rsp_err e = rsp_buf_append_u16(out, dgi);
    if (!e && len < 0xFF)
        e = rsp_buf_append_byte(out, (uint8_t)len);
    else if (!e && !(e = rsp_buf_append_byte(out, 0xFF)))
        e = rsp_buf_append_u16(out, (uint16_t)len);
    if (!e && len)
        e = rsp_buf_append(out, value, len);
    if (e)
        out->len = start;
    return e;
}

rsp_err rsp_keyest_dgi_parse(const uint8_t *p, size_t len, uint16_t *dgi, size_t *hdr, size_t *vlen, rsp_diag *diag)
{
    if (!p || len < 3)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, 0, "DGI header needs 3 bytes, have %zu", len);
    *dgi = rsp_be16(p);
    if (p[2] != 0xFF) {
        *hdr = 3;
        *vlen = p[2];
    } else {
        if (len < 5)
            return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, 2, "DGI length FF needs two more bytes");
        *hdr = 5;
        *vlen = rsp_be16(p + 3);
    }
    if (*vlen > len - *hdr)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, 2, "DGI %04X says %zu bytes, %zu follow", *dgi, *vlen,
                               len - *hdr);
    return RSP_OK;
}

rsp_err rsp_keyesti_crt_parse(const uint8_t *v, size_t len, size_t base, rsp_keyesti_crt *c, rsp_diag *diag)
{
    memset(c, 0, sizeof(*c));
    unsigned seen = 0;
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    rsp_tlv_reader_init(&r, v, len, 0);
    r.base = base;
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        size_t at = base + t.offset;
        if (t.tag == RSP_ES8_TAG_SCENARIO) {
            if (t.len != 2 || t.value[0] != RSP_ES8_SCENARIO_ID)
                return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, at, "scenario (90) is not 03 <options>");
            c->options = t.value[1];
            seen |= 1;
        } else if (t.tag == RSP_ES8_TAG_HOSTID) {
            c->host_id = rsp_bytes_of(t.value, t.len);
        } else if (t.tag == RSP_ES8_TAG_SMSR) {
            c->smsr = t.len == 1 && t.value[0] == 0x00;
        } else if (t.tag == RSP_ES8_TAG_SDIN) {
            c->sdin = rsp_bytes_of(t.value, t.len);
        } else if (t.tag == RSP_ES8_TAG_KUQ || t.tag == RSP_ES8_TAG_KEYTYPE || t.tag == RSP_ES8_TAG_KEYLEN ||
                   t.tag == RSP_ES8_TAG_KEYID || t.tag == RSP_ES8_TAG_KVN) {
            if (t.len != 1)
                return rsp_diag_set_at(diag, RSP_ERR_LENGTH, at, "CRT tag %02X must hold one byte", (unsigned)t.tag);
            uint8_t b = t.value[0];
            switch (t.tag) {
            case RSP_ES8_TAG_KUQ: c->kuq = b; seen |= 2; break;
            case RSP_ES8_TAG_KEYTYPE: c->keytype = b; seen |= 4; break;
            case RSP_ES8_TAG_KEYLEN: c->keylen = b; seen |= 8; break;
            case RSP_ES8_TAG_KEYID: c->keyid = b; break;
            default: c->kvn = b; seen |= 16; break;
            }
        }
        /* 91 (counter) and anything else: carried by the CRT bytes the receipt covers (96 is read above). */
    }
    if (e != RSP_ERR_END) {
        if (diag && diag->err == RSP_OK)
            *diag = r.diag;
        return e;
    }
    if (seen != 31)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, base, "CRT lacks one of 90, 95, 80, 81, 83");
    if (c->kuq != RSP_ES8_KUQ_3KEYS && c->kuq != RSP_ES8_KUQ_ALT)
        return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, base, "key usage qualifier %02X", c->kuq);
    if (c->keytype != RSP_ES8_KEYTYPE_AES || (c->keylen != 16 && c->keylen != 24 && c->keylen != 32))
        return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, base, "key type %02X length %u", c->keytype, c->keylen);
    return RSP_OK;
}

rsp_err rsp_keyest_crt_parse(const uint8_t *v, size_t len, rsp_keyest_params *p, rsp_diag *diag)
{
    if (!v || !p)
        return RSP_ERR_INVAL;
    rsp_keyesti_crt c;
    rsp_err e = rsp_keyesti_crt_parse(v, len, 0, &c, diag);
    if (e)
        return e;
    memset(p, 0, sizeof(*p));
    p->options = c.options;
    p->kuq = c.kuq;
    p->key_len = c.keylen;
    p->key_id = c.keyid;
    p->kvn = c.kvn;
    p->smsr = c.smsr;
    p->host_id = c.host_id.p;
    p->host_id_len = c.host_id.len;
    p->sdin = c.sdin.p;
    p->sdin_len = c.sdin.len;
    return RSP_OK;
}

rsp_err rsp_keyesti_kdf(const uint8_t shs[32], const rsp_keyesti_crt *c, const uint8_t *dr, size_t dr_len, uint8_t *kd)
{
    uint8_t si[3 + 32 + 1 + 127];
    size_t n = 0;
    si[n++] = c->kuq;
    si[n++] = c->keytype;
    si[n++] = c->keylen;
    if ((c->options & RSP_ES8_OPT_DR) && dr_len) {
        if (dr_len > 32)
            return RSP_ERR_LENGTH;
        memcpy(si + n, dr, dr_len);
        n += dr_len;
    }
    if ((c->options & RSP_ES8_OPT_HOSTID) && c->host_id.len) {
        if (c->host_id.len > 127)
            return RSP_ERR_LENGTH;
        si[n++] = (uint8_t)c->host_id.len;
        memcpy(si + n, c->host_id.p, c->host_id.len);
        n += c->host_id.len;
    }
    return rsp_kdf_x963_sha256(shs, 32, si, n, kd, 4u * c->keylen);
}

rsp_err rsp_keyest_kdf(const uint8_t shs[32], const uint8_t *crt_value, size_t crt_len, const uint8_t *dr,
                       size_t dr_len, uint8_t *key_data, size_t out_len)
{
    rsp_keyesti_crt c;
    rsp_err e = rsp_keyesti_crt_parse(crt_value, crt_len, 0, &c, NULL);
    if (e)
        return e;
    if (out_len != 4u * c.keylen)
        return RSP_ERR_LENGTH;
    return rsp_keyesti_kdf(shs, &c, dr, dr_len, key_data);
}

/* Receipt = CMAC(receipt key, A6 TLV [|| 85 L DR]); the key set is split out of keyData. */
rsp_err rsp_keyesti_receipt(const uint8_t *kd, const rsp_keyesti_crt *c, const uint8_t *crt_tlv, size_t crt_tlv_len,
                                const uint8_t *dr, size_t dr_len, uint8_t receipt[16], rsp_scp03_keys *out)
{
    uint8_t drh[2] = {RSP_ES8_TAG_RC, (uint8_t)dr_len};
    rsp_bytes parts[3] = {rsp_bytes_of(crt_tlv, crt_tlv_len), rsp_bytes_of(drh, dr_len ? 2 : 0),
                          rsp_bytes_of(dr, dr_len)};
    size_t k = c->keylen;
    rsp_err e = rsp_aes_cmac_parts(kd, k, parts, 3, receipt);
    if (!e && out)
        e = rsp_scp03_keys_set(out, c->kvn, kd + k, kd + 2 * k, kd + 3 * k, k);
    return e;
}

/* ---- host ---- */

rsp_err rsp_keyest_host_cert_apdu(const uint8_t *cert, size_t len, rsp_buf *apdu)
{
    if (!cert || !apdu)
        return RSP_ERR_INVAL;
    size_t dlen = len + (len < 0xFF ? 3 : 5);
    if (dlen > 255)
        return RSP_ERR_LENGTH; /* short APDUs only: a GP certificate is ~170 bytes */
    const uint8_t hdr[5] = {0x80, 0xE2, RSP_ES8_SD_P1_CERT, 0x00, (uint8_t)dlen};
    size_t start = apdu->len;
    rsp_err e = rsp_buf_append(apdu, hdr, 5);
    if (!e)
        e = rsp_keyest_dgi_put(apdu, RSP_ES8_DGI_CERT, cert, len);
    if (e)
        apdu->len = start;
    return e;
}

rsp_err rsp_keyest_host_challenge(rsp_keyest_host *h, const uint8_t *resp, size_t len, rsp_diag *diag)
{
    if (!h || (!resp && len))
        return RSP_ERR_INVAL;
    if (len == 20 && resp[18] == 0x90 && resp[19] == 0x00)
        len = 18;
    rsp_tlv t;
    rsp_err e = rsp_tlv_expect(resp, len, RSP_ES8_TAG_RC, &t, diag);
    if (e)
        return e;
    if (t.len != RSP_ES8_RC_LEN)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, 1, "random challenge is %zu bytes, expected 16", t.len);
    memcpy(h->rc, t.value, 16);
    h->have_rc = true;
    return RSP_OK;
}

rsp_err rsp_keyest_host_set_ephemeral(rsp_keyest_host *h, rsp_curve curve, const uint8_t d[32])
{
    if (!h || !d)
        return RSP_ERR_INVAL;
    rsp_ec_free(h->eph);
    h->eph = NULL;
    return rsp_ec_from_private(curve, d, &h->eph);
}

rsp_err rsp_keyest_crt_build(const rsp_keyest_params *p, rsp_buf *out)
{
    if (!p || !out)
        return RSP_ERR_INVAL;
    size_t mark, start = out->len;
    uint8_t opts = p->options ? p->options : RSP_ES8_EMIT_OPTIONS;
    const uint8_t scen[2] = {RSP_ES8_SCENARIO_ID, opts};
    rsp_err e = rsp_tlv_begin(out, RSP_ES8_TAG_CRT, &mark);
    if (!e) e = rsp_tlv_put(out, RSP_ES8_TAG_SCENARIO, scen, 2);
    if (!e) e = rsp_tlv_put_u8(out, RSP_ES8_TAG_KUQ, p->kuq ? p->kuq : RSP_ES8_KUQ_3KEYS);
    if (!e && p->smsr) e = rsp_tlv_put_u8(out, RSP_ES8_TAG_SMSR, 0x00);
    if (!e) e = rsp_tlv_put_u8(out, RSP_ES8_TAG_KEYTYPE, RSP_ES8_KEYTYPE_AES);
    if (!e) e = rsp_tlv_put_u8(out, RSP_ES8_TAG_KEYLEN, p->key_len ? p->key_len : 16);
    if (!e) e = rsp_tlv_put_u8(out, RSP_ES8_TAG_KEYID, p->key_id ? p->key_id : RSP_ES8_EMIT_KEYID);
    if (!e) e = rsp_tlv_put_u8(out, RSP_ES8_TAG_KVN, p->kvn);
    if (!e) e = rsp_tlv_put(out, RSP_ES8_TAG_SEQ, NULL, 0);
    if (!e && (opts & RSP_ES8_OPT_HOSTID) && p->sdin_len) e = rsp_tlv_put(out, RSP_ES8_TAG_SDIN, p->sdin, p->sdin_len);
    if (!e && (opts & RSP_ES8_OPT_HOSTID) && p->host_id_len)
        e = rsp_tlv_put(out, RSP_ES8_TAG_HOSTID, p->host_id, p->host_id_len);
    if (!e) e = rsp_tlv_end(out, mark);
    if (e)
        out->len = start;
    return e;
}

rsp_err rsp_keyest_host_keyagree_apdu(rsp_keyest_host *h, const rsp_keyest_params *p, const rsp_eckey *sk_sign,
                                      rsp_curve curve, rsp_buf *apdu)
{
    if (!h || !p || !sk_sign || !apdu)
        return RSP_ERR_INVAL;
    if (!h->have_rc)
        return RSP_ERR_STATE;
    rsp_err e;
    if (!h->eph && (e = rsp_ec_generate(curve, &h->eph)) != RSP_OK)
        return e;
    h->p = *p;
    rsp_buf_reset(&h->crt);
    rsp_buf data = RSP_BUF_INIT;
    uint8_t point[RSP_EC_POINT_LEN], sig[RSP_EC_SIG_LEN];
    const uint8_t rch[3] = {0x00, RSP_ES8_TAG_RC, RSP_ES8_RC_LEN};
    if ((e = rsp_keyest_crt_build(p, &h->crt)) ||
        (e = rsp_keyest_dgi_put(&data, RSP_ES8_DGI_KEYAGREE, h->crt.data, h->crt.len)) ||
        (e = rsp_ec_public_point(h->eph, point)) || (e = rsp_tlv_put(&data, RSP_ES8_TAG_EPK, point, sizeof(point))))
        goto done;
    /* Signed: 3A02.. || 7F49.. || 00 85 10 RC (§E2/§E3). */
    size_t signed_len = data.len;
    if ((e = rsp_buf_append(&data, rch, 3)) || (e = rsp_buf_append(&data, h->rc, 16)) ||
        (e = rsp_ecdsa_sign(sk_sign, data.data, data.len, sig)))
        goto done;
    data.len = signed_len;
    if ((e = rsp_tlv_put(&data, RSP_ES8_TAG_SIG, sig, sizeof(sig))))
        goto done;
    if (data.len > 255) {
        e = RSP_ERR_LENGTH;
        goto done;
    }
    const uint8_t hdr[5] = {0x80, 0xE2, RSP_ES8_SD_P1_KEYAGREE, RSP_ES8_SD_P2_KEYAGREE, (uint8_t)data.len};
    if (!(e = rsp_buf_append(apdu, hdr, 5)))
        e = rsp_buf_append(apdu, data.data, data.len);
done:
    rsp_buf_free(&data);
    return e;
}

rsp_err rsp_keyest_host_finish(rsp_keyest_host *h, const rsp_eckey *pk_ecasd, const uint8_t *resp, size_t len,
                               rsp_scp03_keys *out, rsp_diag *diag)
{
    if (!h || !pk_ecasd || !out || (!resp && len))
        return RSP_ERR_INVAL;
    if (!h->eph || !h->crt.len)
        return RSP_ERR_STATE;
    if (len >= 2 && resp[len - 2] == 0x90 && resp[len - 1] == 0x00 && (len == 20 || len == 38))
        len -= 2;
    rsp_keyesti_crt c;
    rsp_tlv a6;
    rsp_err e = rsp_tlv_parse(h->crt.data, h->crt.len, 0, &a6, NULL);
    if (!e)
        e = rsp_keyesti_crt_parse(a6.value, a6.len, 0, &c, NULL);
    if (e)
        return e;
    rsp_bytes dr = {NULL, 0}, receipt = {NULL, 0};
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_tlv_reader_init(&r, resp, len, 0);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (t.tag == RSP_ES8_TAG_RC && !receipt.p)
            dr = rsp_bytes_of(t.value, t.len);
        else if (t.tag == RSP_ES8_TAG_RECEIPT)
            receipt = rsp_bytes_of(t.value, t.len);
        else
            return rsp_diag_set_at(diag, RSP_ERR_TAG, t.offset, "unexpected tag %X in the card's answer", (unsigned)t.tag);
    }
    if (e != RSP_ERR_END) {
        if (diag && diag->err == RSP_OK)
            *diag = r.diag;
        return e;
    }
    if (receipt.len != 16)
        return rsp_diag_set(diag, RSP_ERR_TAG, "no 16-byte receipt (86) in the card's answer");
    if ((c.options & RSP_ES8_OPT_DR) && (dr.len == 0 || dr.len > 32))
        return rsp_diag_set(diag, RSP_ERR_TAG, "the CRT asked for a DR (85) and the card sent none");
    uint8_t shs[32], kd[128], mine[16];
    if ((e = rsp_ecdh(h->eph, pk_ecasd, shs)) == RSP_OK && (e = rsp_keyesti_kdf(shs, &c, dr.p, dr.len, kd)) == RSP_OK &&
        (e = rsp_keyesti_receipt(kd, &c, h->crt.data, h->crt.len, dr.p, dr.len, mine, out)) == RSP_OK &&
        !rsp_ct_equal(mine, receipt.p, 16)) {
        rsp_wipe(out, sizeof(*out));
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "receipt does not verify");
    }
    rsp_wipe(shs, sizeof(shs));
    rsp_wipe(kd, sizeof(kd));
    return e;
}

void rsp_keyest_host_close(rsp_keyest_host *h)
{
    if (!h)
        return;
    rsp_ec_free(h->eph);
    rsp_buf_free(&h->crt);
    rsp_wipe(h, sizeof(*h));
}

/* The card role is in keyest_card.c. */
