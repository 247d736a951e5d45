/* ES8 Scenario #3, card role (ISD-P/ISD-R with the ECASD). Parses outside input: every fault is
 * reported with its offset in the STORE DATA data field. */
#include <string.h>

#include "es8_encoding.h"
#include "keyest_int.h"
#include "rsp/crl.h"
#include "rsp/gpcert.h"
#include "rsp/tlv.h"

void rsp_keyest_card_init(rsp_keyest_card *c, const rsp_eckey *pk_ci, const rsp_eckey *sk_ecasd, int expected_role)
{
    memset(c, 0, sizeof(*c));
    c->pk_ci = pk_ci;
    c->sk_ecasd = sk_ecasd;
    c->expected_role = expected_role;
}

void rsp_keyest_card_close(rsp_keyest_card *c)
{
    if (!c)
        return;
    rsp_ec_free(c->pk_host);
    rsp_wipe(c, sizeof(*c));
}

static rsp_err store_cert(rsp_keyest_card *c, const uint8_t *v, size_t vlen, size_t base, rsp_buf *resp,
                          rsp_diag *diag)
{
    rsp_gpcert cert;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_gpcert_decode(v, vlen, &cert, &d);
    if (e)
        return rsp_diag_set_at(diag, e, base + (d.has_offset ? d.offset : 0), "certificate: %s", d.msg);
    if (!c->pk_ci)
        return rsp_diag_set(diag, RSP_ERR_STATE, "no PK.CI to verify the certificate with");
    if (rsp_gpcert_verify(&cert, c->pk_ci) != RSP_OK)
        return rsp_diag_set_at(diag, RSP_ERR_VERIFY, base, "certificate is not signed by the CI");
    if (c->expected_role >= 0 && cert.role != c->expected_role)
        return rsp_diag_set_at(diag, RSP_ERR_DENIED, base, "certificate role %d, expected %d", cert.role,
                               c->expected_role);
    /* Revoked, or a CRL the card cannot trust (forged, stale, unreadable): refused alike (6982), since
     * a card that let a certificate through on a bad CRL would be trivially bypassed. */
    if (c->crl) {
        rsp_diag rd;
        rsp_diag_clear(&rd);
        if ((e = rsp_crl_file_check_cert(c->crl, c->pk_ci, v, vlen, c->now, &rd)) != RSP_OK)
            return rsp_diag_set_at(diag, e == RSP_ERR_NOMEM ? e : RSP_ERR_DENIED, base, "%s", rd.msg);
    }
    rsp_ec_free(c->pk_host);
    c->pk_host = NULL;
    if ((e = rsp_gpcert_public_key(&cert, rsp_ec_curve(c->sk_ecasd), &c->pk_host)) != RSP_OK)
        return rsp_diag_set_at(diag, e, base, "certificate public key is not usable");
    if (c->fixed_rc)
        memcpy(c->rc, c->fixed_rc, 16);
    else if ((e = rsp_random(c->rc, 16)) != RSP_OK)
        return e;
    if ((e = rsp_tlv_put(resp, RSP_ES8_TAG_RC, c->rc, 16)) != RSP_OK)
        return e;
    c->state = RSP_KEYEST_CERT_OK;
    return RSP_OK;
}

/* 7F49 holds the raw point (emitted) or {B0|86 point, [F0 curve]} (accepted). */
static rsp_err parse_epk(const rsp_tlv *t, size_t base, rsp_curve curve, rsp_eckey **out, rsp_diag *diag)
{
    rsp_bytes point = {NULL, 0};
    int ref = -1;
    if (t->len == RSP_EC_POINT_LEN && t->value[0] == 0x04) {
        point = rsp_bytes_of(t->value, t->len);
    } else {
        rsp_tlv_reader r;
        rsp_tlv in;
        rsp_err e;
        rsp_tlv_reader_init(&r, t->value, t->len, 0);
        while ((e = rsp_tlv_next(&r, &in)) == RSP_OK) {
            if (in.tag == RSP_ES8_TAG_POINT || in.tag == RSP_ES8_TAG_POINT_ALT)
                point = rsp_bytes_of(in.value, in.len);
            else if (in.tag == RSP_ES8_TAG_CURVE && in.len == 1)
                ref = in.value[0];
        }
        if (e != RSP_ERR_END)
            return rsp_diag_set_at(diag, e, base + r.diag.offset, "in 7F49: %s", r.diag.msg);
    }
    if (point.len != RSP_EC_POINT_LEN)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, base, "7F49 holds no uncompressed point");
    if (ref >= 0 && ref != (int)curve)
        return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, base, "ePK curve %02X is not the ECASD's", ref);
    if (rsp_ec_from_public(curve, point.p, point.len, out) != RSP_OK)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, base, "ePK is not a point on the curve");
    return RSP_OK;
}

static rsp_err store_keyagree(rsp_keyest_card *c, const uint8_t *data, size_t dlen, size_t hdr, size_t vlen,
                              rsp_buf *resp, rsp_scp03_keys *out, rsp_diag *diag)
{
    if (c->state != RSP_KEYEST_CERT_OK)
        return rsp_diag_set(diag, RSP_ERR_STATE, "3A02 before a verified 3A01 certificate");
    rsp_tlv a6, epk, sig;
    rsp_err e = rsp_tlv_parse(data + hdr, vlen, 0, &a6, diag);
    if (e)
        return e;
    if (a6.tag != RSP_ES8_TAG_CRT)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, hdr, "3A02 does not start with the A6 CRT");
    /* §E2: 7F49 and 5F37 follow the DGI; also accept them inside it. */
    size_t pos = a6.raw_len < vlen ? hdr + a6.raw_len : hdr + vlen;
    size_t end = a6.raw_len < vlen ? hdr + vlen : dlen;
    if (a6.raw_len < vlen && hdr + vlen != dlen)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, hdr + vlen, "bytes after the 3A02 DGI");
    if ((e = rsp_tlv_parse(data + pos, end - pos, 0, &epk, diag)) != RSP_OK)
        return e;
    if (epk.tag != RSP_ES8_TAG_EPK)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, pos, "expected 7F49, found %X", (unsigned)epk.tag);
    size_t sigpos = pos + epk.raw_len;
    if ((e = rsp_tlv_parse(data + sigpos, end - sigpos, 0, &sig, diag)) != RSP_OK)
        return e;
    if (sig.tag != RSP_ES8_TAG_SIG || sig.len != RSP_EC_SIG_LEN)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, sigpos, "expected 5F37 with a 64-byte r||s");
    if (sigpos + sig.raw_len != end)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, sigpos + sig.raw_len, "bytes after the signature");
    rsp_keyesti_crt crt;
    if ((e = rsp_keyesti_crt_parse(a6.value, a6.len, hdr + (a6.raw_len - a6.len), &crt, diag)) != RSP_OK)
        return e;
    rsp_eckey *ek = NULL;
    if ((e = parse_epk(&epk, pos, rsp_ec_curve(c->sk_ecasd), &ek, diag)) != RSP_OK)
        return e;
    /* Signed: every byte before 5F37, then 00 85 10 RC. */
    rsp_buf signed_data = RSP_BUF_INIT;
    const uint8_t rch[3] = {0x00, RSP_ES8_TAG_RC, RSP_ES8_RC_LEN};
    uint8_t shs[32], kd[128], dr[RSP_ES8_DR_LEN], receipt[16];
    size_t drlen = (crt.options & RSP_ES8_OPT_DR) ? RSP_ES8_DR_LEN : 0;
    if ((e = rsp_buf_append(&signed_data, data, sigpos)) || (e = rsp_buf_append(&signed_data, rch, 3)) ||
        (e = rsp_buf_append(&signed_data, c->rc, 16)))
        goto done;
    if (rsp_ecdsa_verify(c->pk_host, signed_data.data, signed_data.len, sig.value, sig.len) != RSP_OK) {
        e = rsp_diag_set_at(diag, RSP_ERR_VERIFY, sigpos, "signature does not verify");
        goto done;
    }
    if (drlen && c->fixed_dr)
        memcpy(dr, c->fixed_dr, drlen);
    else if (drlen && (e = rsp_random(dr, drlen)))
        goto done;
    if ((e = rsp_ecdh(c->sk_ecasd, ek, shs)) || (e = rsp_keyesti_kdf(shs, &crt, dr, drlen, kd)) ||
        (e = rsp_keyesti_receipt(kd, &crt, a6.raw, a6.raw_len, dr, drlen, receipt, out)))
        goto done;
    if ((drlen && (e = rsp_tlv_put(resp, RSP_ES8_TAG_RC, dr, drlen))) ||
        (e = rsp_tlv_put(resp, RSP_ES8_TAG_RECEIPT, receipt, 16)))
        goto done;
    c->state = RSP_KEYEST_DONE;
done:
    rsp_ec_free(ek);
    rsp_buf_free(&signed_data);
    rsp_wipe(shs, sizeof(shs));
    rsp_wipe(kd, sizeof(kd));
    return e;
}

rsp_err rsp_keyest_card_store_data(rsp_keyest_card *c, const uint8_t *in, size_t len, rsp_buf *resp,
                                   rsp_scp03_keys *out, rsp_diag *diag)
{
    if (!c || !resp || !out || (!in && len) || !c->sk_ecasd)
        return RSP_ERR_INVAL;
    const uint8_t *data = in;
    size_t dlen = len;
    if (len >= 5 && (in[0] & 0xF0) == 0x80 && in[1] == 0xE2) {
        size_t lc = in[4];
        if (len != 5 + lc && len != 6 + lc)
            return rsp_diag_set_at(diag, len < 5 + lc ? RSP_ERR_TRUNCATED : RSP_ERR_LENGTH, 4,
                                   "Lc %zu does not match the %zu bytes that follow", lc, len - 5);
        data = in + 5;
        dlen = lc;
    }
    uint16_t dgi;
    size_t hdr, vlen;
    rsp_err e = rsp_keyest_dgi_parse(data, dlen, &dgi, &hdr, &vlen, diag);
    if (e)
        return e;
    if (dgi == RSP_ES8_DGI_CERT) {
        if (hdr + vlen != dlen)
            return rsp_diag_set_at(diag, RSP_ERR_LENGTH, hdr + vlen, "bytes after the 3A01 DGI");
        return store_cert(c, data + hdr, vlen, hdr, resp, diag);
    }
    if (dgi == RSP_ES8_DGI_KEYAGREE)
        return store_keyagree(c, data, dlen, hdr, vlen, resp, out, diag);
    return rsp_diag_set_at(diag, RSP_ERR_TAG, 0, "DGI %04X is neither 3A01 nor 3A02", dgi);
}
