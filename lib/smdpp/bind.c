/* Binding (SGP22.md §"Bound profile package", OTA.md §"SGP.22 BSP"): the personalised SAIP package of
 * one order, bound to the eUICC of one session:
 *   BF36{ BF23 InitialiseSecureChannel (otPK.DP, signed with SK.DPpb over tbs || 5F49 otPK.EUICC),
 *         A0{87 ConfigureISDP}, A1{88 StoreMetadata...}, A2{87 ReplaceSessionKeys}, A3{86 profile...} }
 * Session keys come from ECDH(otSK.DP, otPK.EUICC) and X9.63 with hostId and EID (lib/card/bsp.c);
 * ReplaceSessionKeys hands the card the order's PPKs, under which the profile elements were protected
 * once (ppp.c): only BF23, A0, A1 and A2 are made per session, A3 is the stored one. Every protected
 * TLV is at most 1,020 bytes (1,007 plaintext bytes per ciphered segment). */
#include <stdio.h>
#include <string.h>

#include "rsp/bsp.h"
#include "rsp/ids.h"
#include "rsp/tlv.h"
#include "smdpp_int.h"

/* pysim's host id ("mahlzeit"): any 1..16 bytes do; it enters the KDF's SharedInfo. */
static const uint8_t host_id[] = "OpenRSP1";
#define HOST_ID_LEN 8

rsp_err rsp_smdpp__metadata(rsp_smdpp *s, const rsp_smdpp_order *o, rsp_buf *out)
{
    uint8_t iccid[10];
    rsp_err e = rsp_iccid_to_swapped(o->iccid, iccid);
    if (e != RSP_OK)
        return e;
    /* enable/disable/delete notifications come back to us (the PIR finds us by transactionId) */
    char host[RSP_ES9P_MAX_ADDRESS + 1];
    snprintf(host, sizeof(host), "%s", s->public_address);
    rsp_es10_notif_target nt = {RSP_ES10_EVENT_ENABLE | RSP_ES10_EVENT_DISABLE | RSP_ES10_EVENT_DELETE,
                                rsp_bytes_of((const uint8_t *)host, strlen(host))};
    rsp_buf nc = RSP_BUF_INIT;
    if ((e = rsp_es10_notif_config_encode(&nt, 1, &nc)) != RSP_OK)
        return e;
    char name[80];
    snprintf(name, sizeof(name), "%.32s %.31s", o->op, o->type);
    rsp_es10_metadata md;
    memset(&md, 0, sizeof(md));
    md.iccid = rsp_bytes_of(iccid, 10);
    md.spn = rsp_bytes_of((const uint8_t *)o->op, strlen(o->op) > 32 ? 32 : strlen(o->op));
    md.name = rsp_bytes_of((const uint8_t *)name, strlen(name));
    md.icon_type = -1;
    md.profile_class = RSP_ES10_CLASS_OPERATIONAL;
    md.notif_config = rsp_buf_view(&nc);
    e = rsp_es10_metadata_encode(&md, out);
    rsp_buf_free(&nc);
    return e;
}

/* tag{ pieces } where pieces already hold complete TLVs. */
static rsp_err wrap(rsp_buf *out, uint32_t tag, const rsp_buf *inner)
{
    return rsp_tlv_put(out, tag, inner->data, inner->len);
}

rsp_err rsp_smdpp__bind(rsp_smdpp *s, const smdpp_session *ss, const rsp_smdpp_order *o, rsp_bytes euicc_otpk,
                        const smdpp_ppp *ppp, rsp_buf *bpp, rsp_diag *diag)
{
    uint8_t tid[16], eid[16], otpk_dp[RSP_EC_POINT_LEN], shs[32], sig[64];
    size_t tid_len;
    rsp_eckey *ot = NULL, *peer = NULL;
    rsp_buf tbs = RSP_BUF_INIT, sd = RSP_BUF_INIT, bf23 = RSP_BUF_INIT, tmp = RSP_BUF_INIT, a0 = RSP_BUF_INIT,
            a1 = RSP_BUF_INIT, a2 = RSP_BUF_INIT, body = RSP_BUF_INIT;
    rsp_bsp b;
    memset(&b, 0, sizeof(b));
    rsp_err e = rsp_es9p_tid_from_hex(ss->tid, tid, &tid_len, diag);
    if (!e)
        e = rsp_eid_to_bytes(ss->eid, eid);
    if (!e && euicc_otpk.len != RSP_EC_POINT_LEN)
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "otPK.EUICC is %zu bytes", euicc_otpk.len);
    /* the one-time key is on the curve of CERT.DPpb (the card's otPK is on the same one) */
    if (!e)
        e = rsp_ec_generate(s->pb_info.curve, &ot);
    if (!e)
        e = rsp_ec_from_public(s->pb_info.curve, euicc_otpk.p, euicc_otpk.len, &peer);
    if (e == RSP_ERR_CRYPTO || e == RSP_ERR_FORMAT || e == RSP_ERR_INVAL)
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "otPK.EUICC is not a point of the DPpb curve");
    if (!e)
        e = rsp_ec_public_point(ot, otpk_dp);
    if (!e)
        e = rsp_ecdh(ot, peer, shs);
    if (!e) {
        rsp_es10_init_sc sc;
        memset(&sc, 0, sizeof(sc));
        sc.remote_op = 1;
        sc.transaction_id = rsp_bytes_of(tid, tid_len);
        sc.key_type = 0x88;
        sc.key_len = 0x10;
        sc.host_id = rsp_bytes_of(host_id, HOST_ID_LEN);
        sc.smdp_otpk = rsp_bytes_of(otpk_dp, sizeof(otpk_dp));
        e = rsp_es10_init_sc_tbs_encode(&sc, &tbs);
    }
    if (!e)
        e = rsp_es10_init_sc_signed_data(rsp_buf_view(&tbs), euicc_otpk.p, &sd);
    if (!e)
        e = rsp_ecdsa_sign(s->sk_pb, sd.data, sd.len, sig);
    if (!e)
        e = rsp_es10_init_sc_encode(rsp_buf_view(&tbs), sig, &bf23);
    if (!e)
        e = rsp_bsp_derive(&b, shs, sizeof(shs), host_id, HOST_ID_LEN, eid, sizeof(eid));
    /* A0: ConfigureISDP with our OID as dpProprietaryData */
    if (!e)
        e = rsp_es10_configure_isdp_encode(rsp_bytes_of(s->pb_info.rid_der, s->pb_info.rid_der_len), &tmp);
    if (!e)
        e = rsp_bsp_protect(&b, RSP_BSP_TAG_ENC, tmp.data, tmp.len, &a0);
    /* A1: StoreMetadata, MAC only */
    if (!e) {
        rsp_buf_reset(&tmp);
        e = rsp_smdpp__metadata(s, o, &tmp);
    }
    if (!e)
        e = rsp_bsp_protect_all(&b, RSP_BSP_TAG_MAC, tmp.data, tmp.len, RSP_BSP_MAX_PLAIN_ENC, &a1);
    /* A2: ReplaceSessionKeys to the order's PPKs; A3 was protected under them once (ppp.c) */
    if (!e) {
        rsp_buf_reset(&tmp);
        e = rsp_es10_rsk_encode(ppp->ppk, ppp->ppk + 16, ppp->ppk + 32, &tmp);
    }
    if (!e)
        e = rsp_bsp_protect(&b, RSP_BSP_TAG_ENC, tmp.data, tmp.len, &a2);
    if (!e && !(e = rsp_buf_append(&body, bf23.data, bf23.len)) && !(e = wrap(&body, 0xA0, &a0)) &&
        !(e = wrap(&body, 0xA1, &a1)) && !(e = wrap(&body, 0xA2, &a2)) && !(e = wrap(&body, 0xA3, &ppp->a3)))
        e = rsp_tlv_put(bpp, 0xBF36, body.data, body.len);
    rsp_bsp_close(&b);
    rsp_wipe(shs, sizeof(shs));
    rsp_buf_free_secret(&tmp);
    rsp_buf_free(&tbs);
    rsp_buf_free(&sd);
    rsp_buf_free(&bf23);
    rsp_buf_free(&a0);
    rsp_buf_free(&a1);
    rsp_buf_free(&a2);
    rsp_buf_free(&body);
    rsp_ec_free(ot);
    rsp_ec_free(peer);
    return e;
}
