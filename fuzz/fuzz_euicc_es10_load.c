/* Fuzzes LoadBoundProfilePackage past its signatures: the harness plays the SM-DP+ (our PKI, codecs and
 * lib/card/bsp.c) up to a valid BF23 for each input, then protects the input's plaintexts with the
 * session keys and sends them as the BPP pieces, in the input's order: records [op][2-byte length]
 * [plaintext], op & 3 = 0 A0{87}, 1 A1 header + 88s, 2 A2{87} (ReplaceSessionKeys: the harness follows
 * a BF26 it sends), 3 A3 header + 86s (1,007-byte segments). This reaches ConfigureISDP, StoreMetadata,
 * the PPK switch, the SAIP walker and the install commit with any content. After every input: at most
 * one profile enabled, the NVM holds at most the profiles it can, and every answer that is a BF37 decodes
 * and carries a signature that verifies under CERT.EUICC. */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/euicc/c22_int.h"
#include "rsp/ids.h"
#include "rsp/tlv.h"

static rsp_eckey *k_ci, *k_eum, *k_euicc, *k_auth, *k_pb, *pk_euicc;
static rsp_buf c_ci, c_eum, c_euicc, c_auth, c_pb;
static rsp_es10_card *card;
static const uint8_t eid[16] = {0x89, 0x04, 0x90, 0x32, 0x12, 0x34, 0x51, 0x23,
                                0x45, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x35};

static void issue(rsp_pki22_role role, const char *rid, rsp_eckey *k, rsp_eckey *ik, const rsp_buf *ic, rsp_buf *out)
{
    static const uint8_t serial[] = {0x07};
    static const char *const pre[] = {"89049032", NULL};
    rsp_pki22_template t = {.role = role, .common_name = "T", .organisation = "EUM", .serial = serial,
                            .serial_len = 1, .not_before = 1700000000, .not_after = 4100000000,
                            .eid = "89049032123451234512345678901235", .eid_prefixes = pre, .rid = rid};
    if (rsp_pki22_issue(&t, k, ik, ic ? ic->data : NULL, ic ? ic->len : 0, out, NULL) != RSP_OK)
        abort();
}

static void setup(void)
{
    if (card)
        return;
    rsp_eckey **keys[] = {&k_ci, &k_eum, &k_euicc, &k_auth, &k_pb};
    for (size_t i = 0; i < 5; i++)
        if (rsp_ec_generate(RSP_CURVE_P256, keys[i]) != RSP_OK)
            abort();
    issue(RSP_PKI22_CI, NULL, k_ci, k_ci, NULL, &c_ci);
    issue(RSP_PKI22_EUM, NULL, k_eum, k_ci, &c_ci, &c_eum);
    issue(RSP_PKI22_EUICC, NULL, k_euicc, k_eum, &c_eum, &c_euicc);
    issue(RSP_PKI22_DPAUTH, "2.999.10", k_auth, k_ci, &c_ci, &c_auth);
    issue(RSP_PKI22_DPPB, "2.999.10", k_pb, k_ci, &c_ci, &c_pb);
    uint8_t pub[RSP_EC_POINT_LEN];
    rsp_es10_card_config cfg = {.sk_euicc = k_euicc, .cert_euicc = rsp_buf_view(&c_euicc),
                                .cert_eum = rsp_buf_view(&c_eum), .n_ci = 1, .svn = {2, 2, 2}, .now = 1800000000};
    cfg.cis[0] = rsp_buf_view(&c_ci);
    memcpy(cfg.eid, eid, 16);
    if (rsp_es10_card_new(&cfg, &card, NULL) != RSP_OK || rsp_ec_public_point(k_euicc, pub) != RSP_OK ||
        rsp_ec_from_public(RSP_CURVE_P256, pub, sizeof(pub), &pk_euicc) != RSP_OK)
        abort();
}

static void call(const rsp_buf *req, rsp_buf *resp)
{
    rsp_buf_reset(resp);
    if (rsp_es10_card_handle(card, req->data, req->len, resp) != RSP_OK)
        abort();
}

/* Challenge, AuthenticateServer, PrepareDownload; the card's one-time key into otpk. */
static void session(uint8_t tid[16], uint8_t otpk[RSP_ES10_POINT_LEN])
{
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT, s1 = RSP_BUF_INIT, s2 = RSP_BUF_INIT, tbs = RSP_BUF_INIT;
    uint8_t ch[16], sig1[64], sig2[64];
    static const uint8_t ctx[] = {0xA0, 0x0A, 0xA1, 0x08, 0x80, 0x04, 0x35, 0x29, 0x06, 0x11, 0xA1, 0x00};
    memset(tid, 0x42, 16);
    rsp_es10_empty_request(RSP_ES10_GET_CHALLENGE, &req);
    call(&req, &ans);
    if (rsp_es10_challenge_response_decode(ans.data, ans.len, ch, NULL) != RSP_OK)
        abort();
    rsp_es10_server_signed1 ss = {.transaction_id = rsp_bytes_of(tid, 16), .euicc_challenge = rsp_bytes_of(ch, 16),
                                  .server_address = rsp_bytes_of((const uint8_t *)"dp.example", 10),
                                  .server_challenge = rsp_bytes_of(ch, 16)};
    rsp_pki22_info ci;
    if (rsp_es10_server_signed1_encode(&ss, &s1) || rsp_ecdsa_sign(k_auth, s1.data, s1.len, sig1) ||
        rsp_pki22_inspect(c_ci.data, c_ci.len, &ci, NULL))
        abort();
    rsp_es10_auth_server_req ar = {.signed1 = {.raw = rsp_buf_view(&s1)}, .server_signature1 = rsp_bytes_of(sig1, 64),
                                   .ci_pkid = rsp_bytes_of(ci.ski, ci.ski_len), .server_certificate = rsp_buf_view(&c_auth),
                                   .ctx = {.raw = rsp_bytes_of(ctx, sizeof(ctx))}};
    rsp_buf_reset(&req);
    rsp_es10_auth_server_resp r;
    if (rsp_es10_auth_server_req_encode(&ar, &req))
        abort();
    call(&req, &ans);
    if (rsp_es10_auth_server_resp_decode(ans.data, ans.len, &r, NULL) || !r.ok)
        abort();
    rsp_es10_smdp_signed2 sm2 = {.transaction_id = rsp_bytes_of(tid, 16)};
    if (rsp_es10_smdp_signed2_encode(&sm2, &s2) || rsp_buf_append(&tbs, s2.data, s2.len) ||
        rsp_tlv_put(&tbs, 0x5F37, r.euicc_signature1.p, 64) || rsp_ecdsa_sign(k_pb, tbs.data, tbs.len, sig2))
        abort();
    rsp_es10_prepare_req pr = {.signed2 = {.raw = rsp_buf_view(&s2)}, .smdp_signature2 = rsp_bytes_of(sig2, 64),
                               .cert_dppb = rsp_buf_view(&c_pb)};
    rsp_buf_reset(&req);
    rsp_es10_prepare_resp pa;
    if (rsp_es10_prepare_req_encode(&pr, &req))
        abort();
    call(&req, &ans);
    if (rsp_es10_prepare_resp_decode(ans.data, ans.len, &pa, NULL) || !pa.ok)
        abort();
    memcpy(otpk, pa.euicc_otpk.p, RSP_ES10_POINT_LEN);
    rsp_buf *b[] = {&req, &ans, &s1, &s2, &tbs};
    for (size_t i = 0; i < 5; i++)
        rsp_buf_free(b[i]);
}

/* Every BF37 answer is the card's: it decodes and verifies. */
static void check_answer(const rsp_buf *resp)
{
    if (resp->len == 0)
        return;
    rsp_es10_pir p;
    if (rsp_es10_pir_decode(resp->data, resp->len, &p, NULL) != RSP_OK ||
        rsp_ecdsa_verify(pk_euicc, p.data_raw.p, p.data_raw.len, p.signature.p, p.signature.len) != RSP_OK)
        __builtin_trap();
}

static void invariants(void)
{
    c22_profile *p = NULL;
    size_t n = 0, on = 0;
    if (c22_profiles(card->store, &p, &n))
        __builtin_trap();
    for (size_t i = 0; i < n; i++)
        on += p[i].state == 1;
    if (on > 1 || n > C22_MAX_PROFILES)
        __builtin_trap();
    c22_profiles_free(p, n);
}

/* The session of every input, made once: the card's one-time key (its scalar kept), the BF23 signed
 * for it, and the BSP state it derives. Each input then starts from a card put in that prepared state
 * (the state PrepareDownload leaves, checked by the unit tests), which keeps the signatures out of the
 * loop. */
static uint8_t ot_d[RSP_EC_SCALAR_LEN], tid[16];
static rsp_buf bf23;
static rsp_bsp bsp0;
static rsp_pki22_info pb_info;

static void prepare_once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    uint8_t otpk[RSP_ES10_POINT_LEN], dp_pk[RSP_EC_POINT_LEN], shs[32], sig[64];
    session(tid, otpk); /* a real session once: the card's checks all pass */
    if (rsp_ec_private_scalar(card->otsk, ot_d) != RSP_OK)
        abort();
    rsp_eckey *ot = NULL, *peer = NULL;
    static const uint8_t host[] = "fuzzhost";
    if (rsp_ec_generate(RSP_CURVE_P256, &ot) || rsp_ec_public_point(ot, dp_pk) ||
        rsp_ec_from_public(RSP_CURVE_P256, otpk, sizeof(otpk), &peer) || rsp_ecdh(ot, peer, shs) ||
        rsp_bsp_derive(&bsp0, shs, 32, host, 8, eid, 16))
        abort();
    rsp_ec_free(ot);
    rsp_ec_free(peer);
    rsp_es10_init_sc isc = {.remote_op = 1, .transaction_id = rsp_bytes_of(tid, 16), .key_type = 0x88, .key_len = 0x10,
                            .host_id = rsp_bytes_of(host, 8), .smdp_otpk = rsp_bytes_of(dp_pk, sizeof(dp_pk))};
    rsp_buf tbs = RSP_BUF_INIT, sd = RSP_BUF_INIT;
    if (rsp_es10_init_sc_tbs_encode(&isc, &tbs) || rsp_es10_init_sc_signed_data(rsp_buf_view(&tbs), otpk, &sd) ||
        rsp_ecdsa_sign(k_pb, sd.data, sd.len, sig) || rsp_es10_init_sc_encode(rsp_buf_view(&tbs), sig, &bf23) ||
        rsp_pki22_inspect(c_pb.data, c_pb.len, &pb_info, NULL))
        abort();
    rsp_buf_free(&tbs);
    rsp_buf_free(&sd);
}

/* The card as PrepareDownload leaves it for tid. */
static void prepared(void)
{
    rsp_es10_card_reset(card);
    card->authenticated = card->prepared = true;
    memcpy(card->tid, tid, 16);
    card->tid_len = 16;
    memcpy(card->dp_oid_der, pb_info.rid_der, pb_info.rid_der_len);
    card->dp_oid_der_len = pb_info.rid_der_len;
    snprintf(card->server_address, sizeof(card->server_address), "dp.example");
    memcpy(card->pk_dppb, pb_info.pub, sizeof(card->pk_dppb));
    card->dppb_curve = pb_info.curve;
    if (rsp_ec_from_private(RSP_CURVE_P256, ot_d, &card->otsk) != RSP_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    prepare_once();
    if (c22_store_clear(card->store) != RSP_OK)
        abort();
    prepared();
    rsp_bsp bsp = bsp0;
    rsp_buf body = RSP_BUF_INIT, seg = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    if (rsp_buf_append(&body, bf23.data, bf23.len))
        abort();
    /* the pieces after BF23, protected in the input's order */
    size_t off = 0;
    while (off + 3 <= size) {
        uint8_t op = data[off] & 3;
        size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
        off += 3;
        if (n > size - off)
            n = size - off;
        static const uint8_t tags[4] = {0xA0, 0xA1, 0xA2, 0xA3}, seg_tags[4] = {0x87, 0x88, 0x87, 0x86};
        rsp_buf_reset(&seg);
        if (rsp_bsp_protect_all(&bsp, seg_tags[op], n ? data + off : NULL, n, RSP_BSP_MAX_PLAIN_ENC, &seg) ||
            rsp_tlv_put(&body, tags[op], seg.data, seg.len))
            abort();
        uint8_t mcv[16], enc[16], mac[16];
        if (op == 2 && rsp_es10_rsk_decode(data + off, n, mcv, enc, mac, NULL) == RSP_OK)
            rsp_bsp_init(&bsp, enc, mac, mcv); /* follow the card onto the PPKs */
        off += n;
    }
    rsp_buf bpp = RSP_BUF_INIT;
    rsp_bytes pieces[600];
    size_t np = 0;
    if (rsp_tlv_put(&bpp, RSP_ES10_BPP, body.data, body.len))
        abort();
    /* split by hand: BF36 header + BF23, then each sequence as the LPA sends it */
    rsp_tlv outer, t;
    rsp_tlv_parse(bpp.data, bpp.len, 0, &outer, NULL);
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, outer.value, outer.len, 0);
    while (np < 590 && rsp_tlv_next(&r, &t) == RSP_OK) {
        if (t.tag == 0xBF23) {
            pieces[np++] = rsp_bytes_of(bpp.data, (size_t)(t.raw + t.raw_len - bpp.data));
        } else if (t.tag == 0xA1 || t.tag == 0xA3) {
            pieces[np++] = rsp_bytes_of(t.raw, (size_t)(t.value - t.raw));
            rsp_tlv_reader m;
            rsp_tlv s;
            rsp_tlv_reader_init(&m, t.value, t.len, 0);
            while (np < 590 && rsp_tlv_next(&m, &s) == RSP_OK)
                pieces[np++] = rsp_bytes_of(s.raw, s.raw_len);
        } else {
            pieces[np++] = rsp_bytes_of(t.raw, t.raw_len);
        }
    }
    for (size_t i = 0; i < np; i++) {
        rsp_buf_reset(&resp);
        (void)rsp_es10_card_handle(card, pieces[i].p, pieces[i].len, &resp);
        check_answer(&resp);
        invariants();
    }
    rsp_bsp_close(&bsp);
    rsp_buf *b[] = {&body, &seg, &resp, &bpp};
    for (size_t i = 0; i < 4; i++)
        rsp_buf_free(b[i]);
    return 0;
}
