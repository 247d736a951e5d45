/* The consumer eUICC's ES10 functions (es10_card.c) against an SM-DP+ played by the test with our
 * PKI and codecs: the common mutual authentication and PrepareDownload through the ES10 transport
 * (STORE DATA chains of 120 bytes, as a public LPA cuts them), the card's signatures checked as the
 * SM-DP+ checks them, and each AuthenticateServer / PrepareDownload error code produced by a tampered
 * input: another CI, a DPpb as DPauth, a flipped serverSignature1, a stale challenge, no session, a
 * tampered ctxParams1 or a request cut after serverSignature1 (undefinedError 127), a DPauth with a
 * flipped CI signature or expired (invalidCertificate 1), a
 * wrong transactionId, a flipped smdpSignature2, a brainpool CERT.DPauth re-signed by our P-256 CI, a DPpb of another SM-DP+, a missing hashCc; and
 * CancelSession, signed with the DPauth's OID, ending the session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "rsp/apdu.h"
#include "rsp/ids.h"
#include "rsp/es10.h"
#include "rsp/pki22.h"
#include "rsp/tlv.h"
#include "testutil.h"

typedef struct world {
    rsp_eckey *ci, *ci2, *eum, *euicc, *dpauth, *dppb, *dppb_other, *dpauth2;
    rsp_buf c_ci, c_ci2, c_eum, c_euicc, c_dpauth, c_dppb, c_dppb_other, c_dpauth2;
    rsp_es10_card *card;
    rsp_es10_transport tr;
} world;

static void issue(rsp_pki22_role role, const char *rid, rsp_eckey *k, rsp_eckey *ik, const rsp_buf *ic, rsp_buf *out)
{
    static const uint8_t serial[] = {0x07};
    static const char *const pre[] = {"89049032", NULL};
    time_t now = time(NULL);
    rsp_pki22_template t = {.role = role, .common_name = "T", .organisation = "EUM", .serial = serial,
                            .serial_len = 1, .not_before = now - 60, .not_after = now + 86400,
                            .eid = "89049032123451234512345678901235", .eid_prefixes = pre, .rid = rid};
    assert_int_equal(rsp_pki22_issue(&t, k, ik, ic ? ic->data : NULL, ic ? ic->len : 0, out, NULL), RSP_OK);
}

static void world_make(world *w)
{
    memset(w, 0, sizeof(*w));
    rsp_eckey **keys[] = {&w->ci, &w->ci2, &w->eum, &w->euicc, &w->dpauth, &w->dppb, &w->dppb_other, &w->dpauth2};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, keys[i]), RSP_OK);
    issue(RSP_PKI22_CI, NULL, w->ci, w->ci, NULL, &w->c_ci);
    issue(RSP_PKI22_CI, NULL, w->ci2, w->ci2, NULL, &w->c_ci2);
    issue(RSP_PKI22_EUM, NULL, w->eum, w->ci, &w->c_ci, &w->c_eum);
    issue(RSP_PKI22_EUICC, NULL, w->euicc, w->eum, &w->c_eum, &w->c_euicc);
    issue(RSP_PKI22_DPAUTH, "2.999.10", w->dpauth, w->ci, &w->c_ci, &w->c_dpauth);
    issue(RSP_PKI22_DPPB, "2.999.10", w->dppb, w->ci, &w->c_ci, &w->c_dppb);
    issue(RSP_PKI22_DPPB, "2.999.11", w->dppb_other, w->ci, &w->c_ci, &w->c_dppb_other);
    issue(RSP_PKI22_DPAUTH, "2.999.10", w->dpauth2, w->ci2, &w->c_ci2, &w->c_dpauth2);
    rsp_es10_card_config cfg = {.sk_euicc = w->euicc, .cert_euicc = rsp_buf_view(&w->c_euicc),
                                .cert_eum = rsp_buf_view(&w->c_eum), .n_ci = 1, .svn = {2, 2, 2}};
    cfg.cis[0] = rsp_buf_view(&w->c_ci);
    assert_int_equal(rsp_eid_to_bytes("89049032123451234512345678901235", cfg.eid), RSP_OK);
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es10_card_new(&cfg, &w->card, &d) != RSP_OK)
        fail_msg("card: %s", d.msg);
    rsp_es10_transport_init(&w->tr, cfg.svn, rsp_es10_card_handle, w->card);
    rsp_buf sel = RSP_BUF_INIT, r = RSP_BUF_INIT;
    rsp_apdu_build(&sel, 0x00, 0xA4, 0x04, 0x0C, rsp_es10_isdr_aid, 16, false, 0);
    assert_int_equal(rsp_es10_transport_apdu(&w->tr, sel.data, sel.len, &r), RSP_OK);
    tu_assert_hex(r.data, r.len, "9000");
    rsp_buf_free(&sel);
    rsp_buf_free(&r);
}

static void world_free(world *w)
{
    rsp_es10_transport_free(&w->tr);
    rsp_es10_card_free(w->card);
    rsp_eckey *keys[] = {w->ci, w->ci2, w->eum, w->euicc, w->dpauth, w->dppb, w->dppb_other, w->dpauth2};
    rsp_buf *bufs[] = {&w->c_ci, &w->c_ci2, &w->c_eum, &w->c_euicc, &w->c_dpauth, &w->c_dppb, &w->c_dppb_other,
                       &w->c_dpauth2};
    for (size_t i = 0; i < 8; i++) {
        rsp_ec_free(keys[i]);
        rsp_buf_free(bufs[i]);
    }
}

/* One ES10 command through the transport on the basic channel: STORE DATA of 120-byte blocks without
 * Le, then GET RESPONSE while 61xx. The answer TLV goes to out (reset first). */
static void es10(world *w, const rsp_buf *req, rsp_buf *out)
{
    rsp_buf_reset(out);
    uint16_t sw = 0;
    for (size_t off = 0, p2 = 0; off < req->len; p2++) {
        size_t n = req->len - off < 120 ? req->len - off : 120;
        rsp_buf c = RSP_BUF_INIT, r = RSP_BUF_INIT;
        rsp_apdu_build(&c, 0x80, 0xE2, off + n == req->len ? 0x91 : 0x11, (uint8_t)p2, req->data + off, n, false, 0);
        assert_int_equal(rsp_es10_transport_apdu(&w->tr, c.data, c.len, &r), RSP_OK);
        sw = (uint16_t)(r.data[r.len - 2] << 8 | r.data[r.len - 1]);
        off += n;
        rsp_buf_free(&c);
        rsp_buf_free(&r);
    }
    while ((sw & 0xFF00) == 0x6100) {
        uint8_t gr[5] = {0x80, 0xC0, 0x00, 0x00, (uint8_t)sw};
        rsp_buf r = RSP_BUF_INIT;
        assert_int_equal(rsp_es10_transport_apdu(&w->tr, gr, 5, &r), RSP_OK);
        sw = (uint16_t)(r.data[r.len - 2] << 8 | r.data[r.len - 1]);
        rsp_buf_append(out, r.data, r.len - 2);
        rsp_buf_free(&r);
    }
    assert_int_equal(sw, 0x9000);
}

/* The SM-DP+'s side of one session. */
typedef struct smdp {
    uint8_t tid[16], challenge[16], server_challenge[16], sig1[64], euicc_sig1[64], sig2[64];
    rsp_buf signed1, auth_req, auth_resp, signed2, prep_req, prep_resp, ctx;
} smdp;

static void smdp_free(smdp *s)
{
    rsp_buf *b[] = {&s->signed1, &s->auth_req, &s->auth_resp, &s->signed2, &s->prep_req, &s->prep_resp, &s->ctx};
    for (size_t i = 0; i < 7; i++)
        rsp_buf_free(b[i]);
}

/* GetEuiccChallenge, EUICCInfo1 checks, then the AuthenticateServerRequest signed by key with cert. */
static void smdp_auth_request(world *w, smdp *s, rsp_eckey *key, const rsp_buf *cert, const rsp_buf *ci_cert)
{
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es10_empty_request(RSP_ES10_GET_CHALLENGE, &req);
    es10(w, &req, &ans);
    assert_int_equal(rsp_es10_challenge_response_decode(ans.data, ans.len, s->challenge, NULL), RSP_OK);
    rsp_random(s->tid, 16);
    rsp_random(s->server_challenge, 16);
    static const char addr[] = "smdp.example.test";
    rsp_es10_server_signed1 s1 = {.transaction_id = rsp_bytes_of(s->tid, 16),
                                  .euicc_challenge = rsp_bytes_of(s->challenge, 16),
                                  .server_address = rsp_bytes_of((const uint8_t *)addr, strlen(addr)),
                                  .server_challenge = rsp_bytes_of(s->server_challenge, 16)};
    rsp_buf_reset(&s->signed1);
    assert_int_equal(rsp_es10_server_signed1_encode(&s1, &s->signed1), RSP_OK);
    assert_int_equal(rsp_ecdsa_sign(key, s->signed1.data, s->signed1.len, s->sig1), RSP_OK);
    rsp_pki22_info ci;
    assert_int_equal(rsp_pki22_inspect(ci_cert->data, ci_cert->len, &ci, NULL), RSP_OK);
    size_t a = 0, dev = 0, caps = 0;
    rsp_buf_reset(&s->ctx);
    rsp_tlv_begin(&s->ctx, 0xA0, &a);
    rsp_tlv_put(&s->ctx, 0x80, "ORDER-1", 7);
    rsp_tlv_begin(&s->ctx, 0xA1, &dev);
    rsp_tlv_put(&s->ctx, 0x80, "\x35\x29\x06\x11", 4);
    rsp_tlv_begin(&s->ctx, 0xA1, &caps);
    rsp_tlv_end(&s->ctx, caps);
    rsp_tlv_end(&s->ctx, dev);
    rsp_tlv_end(&s->ctx, a);
    rsp_es10_auth_server_req r = {.signed1 = {.raw = rsp_buf_view(&s->signed1)},
                                  .server_signature1 = rsp_bytes_of(s->sig1, 64),
                                  .ci_pkid = rsp_bytes_of(ci.ski, ci.ski_len), .server_certificate = rsp_buf_view(cert),
                                  .ctx = {.raw = rsp_buf_view(&s->ctx)}};
    rsp_buf_reset(&s->auth_req);
    assert_int_equal(rsp_es10_auth_server_req_encode(&r, &s->auth_req), RSP_OK);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
}

/* Sends the AuthenticateServerRequest; returns the error code (0 when ok, after the SM-DP+'s checks). */
static int smdp_auth(world *w, smdp *s)
{
    es10(w, &s->auth_req, &s->auth_resp);
    rsp_es10_auth_server_resp r;
    assert_int_equal(rsp_es10_auth_server_resp_decode(s->auth_resp.data, s->auth_resp.len, &r, NULL), RSP_OK);
    assert_memory_equal(r.transaction_id.p, s->tid, 16);
    if (!r.ok)
        return r.error;
    /* authenticateClient: chain to the CI, euiccSignature1, the serverChallenge, ctxParams1 copied. */
    rsp_bytes cis[1] = {rsp_buf_view(&w->c_ci)};
    rsp_pki22_info eu;
    assert_int_equal(rsp_pki22_verify(r.cert_euicc.p, r.cert_euicc.len, RSP_PKI22_EUICC, r.cert_eum.p, r.cert_eum.len,
                                      cis, 1, 0, &eu, NULL, NULL, NULL),
                     RSP_OK);
    assert_string_equal(eu.eid, "89049032123451234512345678901235");
    rsp_eckey *pk = NULL;
    assert_int_equal(rsp_ec_from_public(eu.curve, eu.pub, 65, &pk), RSP_OK);
    assert_int_equal(rsp_ecdsa_verify(pk, r.signed1.raw.p, r.signed1.raw.len, r.euicc_signature1.p, 64), RSP_OK);
    rsp_ec_free(pk);
    assert_memory_equal(r.signed1.server_challenge.p, s->server_challenge, 16);
    assert_int_equal(r.signed1.ctx_params1.len, s->ctx.len);
    assert_memory_equal(r.signed1.ctx_params1.p, s->ctx.data, s->ctx.len);
    memcpy(s->euicc_sig1, r.euicc_signature1.p, 64);
    return 0;
}

/* PrepareDownload with key/cert (DPpb); cc: with hashCc. Returns the error code (0 when ok). */
static int smdp_prepare(world *w, smdp *s, rsp_eckey *key, const rsp_buf *cert, const uint8_t *tid, bool cc_required,
                        bool send_hash, bool flip_sig)
{
    rsp_es10_smdp_signed2 s2 = {.transaction_id = rsp_bytes_of(tid, 16), .cc_required = cc_required};
    rsp_buf_reset(&s->signed2);
    assert_int_equal(rsp_es10_smdp_signed2_encode(&s2, &s->signed2), RSP_OK);
    rsp_buf tbs = RSP_BUF_INIT;
    rsp_buf_append(&tbs, s->signed2.data, s->signed2.len);
    rsp_tlv_put(&tbs, 0x5F37, s->euicc_sig1, 64);
    assert_int_equal(rsp_ecdsa_sign(key, tbs.data, tbs.len, s->sig2), RSP_OK);
    if (flip_sig)
        s->sig2[5] ^= 1;
    uint8_t hcc[32] = {1};
    rsp_es10_prepare_req r = {.signed2 = {.raw = rsp_buf_view(&s->signed2)}, .smdp_signature2 = rsp_bytes_of(s->sig2, 64),
                              .hash_cc = rsp_bytes_of(hcc, send_hash ? 32 : 0), .cert_dppb = rsp_buf_view(cert)};
    rsp_buf_reset(&s->prep_req);
    assert_int_equal(rsp_es10_prepare_req_encode(&r, &s->prep_req), RSP_OK);
    es10(w, &s->prep_req, &s->prep_resp);
    rsp_es10_prepare_resp a;
    assert_int_equal(rsp_es10_prepare_resp_decode(s->prep_resp.data, s->prep_resp.len, &a, NULL), RSP_OK);
    rsp_buf_free(&tbs);
    if (!a.ok)
        return a.error;
    /* getBoundProfilePackage: euiccSignature2 over euiccSigned2 || 5F37 40 smdpSignature2. */
    rsp_buf_reset(&tbs);
    rsp_buf_append(&tbs, a.signed2_raw.p, a.signed2_raw.len);
    rsp_tlv_put(&tbs, 0x5F37, s->sig2, 64);
    rsp_pki22_info eu;
    rsp_eckey *pk = NULL;
    assert_int_equal(rsp_pki22_inspect(w->c_euicc.data, w->c_euicc.len, &eu, NULL), RSP_OK);
    assert_int_equal(rsp_ec_from_public(eu.curve, eu.pub, 65, &pk), RSP_OK);
    assert_int_equal(rsp_ecdsa_verify(pk, tbs.data, tbs.len, a.euicc_signature2.p, 64), RSP_OK);
    assert_memory_equal(a.transaction_id.p, s->tid, 16);
    assert_int_equal(a.euicc_otpk.len, 65);
    assert_int_equal(a.hash_cc.len, send_hash ? 32 : 0);
    rsp_ec_free(pk);
    rsp_buf_free(&tbs);
    return 0;
}

static void test_info_and_eid(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es10_empty_request(RSP_ES10_GET_EID, &req);
    es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF3E125A1089049032123451234512345678901235");
    rsp_buf_reset(&req);
    rsp_es10_empty_request(RSP_ES10_EUICC_INFO1, &req);
    es10(&w, &req, &ans);
    rsp_es10_info1 i1;
    assert_int_equal(rsp_es10_info1_decode(ans.data, ans.len, &i1, NULL), RSP_OK);
    rsp_pki22_info ci;
    rsp_pki22_inspect(w.c_ci.data, w.c_ci.len, &ci, NULL);
    assert_int_equal(i1.verification.n, 1);
    assert_memory_equal(i1.signing.ski[0].p, ci.ski, 20);
    tu_assert_hex(i1.svn, 3, "020202");
    rsp_buf_reset(&req);
    rsp_es10_empty_request(RSP_ES10_EUICC_INFO2, &req);
    es10(&w, &req, &ans);
    rsp_es10_info2 i2;
    assert_int_equal(rsp_es10_info2_decode(ans.data, ans.len, &i2, NULL), RSP_OK);
    tu_assert_hex(i2.rsp_capability.p, i2.rsp_capability.len, "0490");
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    world_free(&w);
}

static void test_download_start(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    smdp s = {0};
    smdp_auth_request(&w, &s, w.dpauth, &w.c_dpauth, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), 0);
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, s.tid, true, true, false), 0);
    /* The same session, no confirmation code. */
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, s.tid, false, false, false), 0);
    smdp_free(&s);
    world_free(&w);
}

static void test_authenticate_errors(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    smdp s = {0};
    /* ciPKUnknown: a CI the card does not know. */
    smdp_auth_request(&w, &s, w.dpauth2, &w.c_dpauth2, &w.c_ci2);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_CI_PK_UNKNOWN);
    /* invalidOid: a DPpb certificate where the DPauth goes. */
    smdp_auth_request(&w, &s, w.dppb, &w.c_dppb, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_INVALID_OID);
    /* A DPauth of the other CI sent with our CI's key id: its chain names another CI (ciPKUnknown). */
    smdp_auth_request(&w, &s, w.dpauth2, &w.c_dpauth2, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_CI_PK_UNKNOWN);
    /* invalidSignature: serverSignature1 by another key. */
    smdp_auth_request(&w, &s, w.dppb, &w.c_dpauth, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_INVALID_SIGNATURE);
    /* A flipped bit of serverSigned1 after signing. */
    smdp_auth_request(&w, &s, w.dpauth, &w.c_dpauth, &w.c_ci);
    size_t at = 0;
    while (at + 16 <= s.auth_req.len && memcmp(s.auth_req.data + at, s.server_challenge, 16))
        at++;
    s.auth_req.data[at] ^= 1;
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_INVALID_SIGNATURE);
    /* euiccChallengeMismatch: signed for an older challenge (a new one was asked since). */
    smdp_auth_request(&w, &s, w.dpauth, &w.c_dpauth, &w.c_ci);
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es10_empty_request(RSP_ES10_GET_CHALLENGE, &req);
    es10(&w, &req, &ans);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_CHALLENGE_MISMATCH);
    /* noSessionContext: the challenge was used up by the refused attempt. */
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_NO_SESSION_CONTEXT);
    /* undefinedError (127): ctxParams1 tampered (deviceInfo's TAC tag 80 -> 85: no TAC) behind a sound
     * serverSigned1; the answer names the transactionId and the challenge is used up. */
    smdp_auth_request(&w, &s, w.dpauth, &w.c_dpauth, &w.c_ci);
    static const uint8_t tac[] = {0x80, 0x04, 0x35, 0x29, 0x06, 0x11};
    for (at = 0; at + sizeof(tac) <= s.auth_req.len && memcmp(s.auth_req.data + at, tac, sizeof(tac)); at++)
        ;
    assert_true(at + sizeof(tac) <= s.auth_req.len);
    s.auth_req.data[at] = 0x85;
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_UNDEFINED);
    s.auth_req.data[at] = 0x80;
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_NO_SESSION_CONTEXT);
    /* 127 too for a request cut after serverSigned1 and its signature (no certificate, no ctxParams1). */
    smdp_auth_request(&w, &s, w.dpauth, &w.c_dpauth, &w.c_ci);
    rsp_buf cut = RSP_BUF_INIT;
    rsp_tlv_put(&cut, 0x5F37, s.sig1, 64);
    rsp_buf trunc = RSP_BUF_INIT;
    size_t m = 0;
    rsp_tlv_begin(&trunc, RSP_ES10_AUTHENTICATE_SERVER, &m);
    rsp_buf_append(&trunc, s.signed1.data, s.signed1.len);
    rsp_buf_append(&trunc, cut.data, cut.len);
    rsp_tlv_end(&trunc, m);
    rsp_buf_reset(&s.auth_req);
    rsp_buf_append(&s.auth_req, trunc.data, trunc.len);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_UNDEFINED);
    rsp_buf_free(&cut);
    rsp_buf_free(&trunc);
    /* invalidCertificate (1): CERT.DPauth whose CI signature has its last byte flipped. */
    rsp_buf bad = RSP_BUF_INIT;
    rsp_buf_append(&bad, w.c_dpauth.data, w.c_dpauth.len);
    bad.data[bad.len - 1] ^= 0x01;
    smdp_auth_request(&w, &s, w.dpauth, &bad, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_INVALID_CERTIFICATE);
    /* invalidCertificate (1): a CERT.DPauth of the right CI that expired an hour ago. */
    rsp_eckey *old_k = NULL;
    rsp_buf old_c = RSP_BUF_INIT;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &old_k), RSP_OK);
    static const uint8_t serial[] = {0x09};
    time_t now = time(NULL);
    rsp_pki22_template t = {.role = RSP_PKI22_DPAUTH, .common_name = "T", .organisation = "DP", .serial = serial,
                            .serial_len = 1, .not_before = now - 86400, .not_after = now - 3600, .rid = "2.999.10"};
    assert_int_equal(rsp_pki22_issue(&t, old_k, w.ci, w.c_ci.data, w.c_ci.len, &old_c, NULL), RSP_OK);
    smdp_auth_request(&w, &s, old_k, &old_c, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_INVALID_CERTIFICATE);
    rsp_ec_free(old_k);
    rsp_buf_free(&old_c);
    rsp_buf_free(&bad);
    /* A malformed request is answered 6A80 by the transport (no TLV to put a code in). */
    rsp_buf c = RSP_BUF_INIT, r = RSP_BUF_INIT;
    tu_hex("80E2910004BF380130", &c);
    assert_int_equal(rsp_es10_transport_apdu(&w.tr, c.data, c.len, &r), RSP_OK);
    tu_assert_hex(r.data, r.len, "6A80");
    rsp_buf_free(&c);
    rsp_buf_free(&r);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    smdp_free(&s);
    world_free(&w);
}

/* unsupportedCurve (3): CERT.DPauth carrying a brainpoolP256r1 key, re-signed by the right (P-256) CI
 * with OpenSSL directly (our issuer refuses it), serverSignature1 made by that brainpool key: the chain
 * and the signature are sound, only the curve is not the CI's. */
static void test_authenticate_curve(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    rsp_eckey *bp = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_BP256R1, &bp), RSP_OK);
    const unsigned char *q = w.c_dpauth.data;
    X509 *x = d2i_X509(NULL, &q, (long)w.c_dpauth.len);
    assert_non_null(x);
    assert_int_equal(X509_set_pubkey(x, (EVP_PKEY *)rsp_ec_evp_pkey(bp)), 1);
    assert_true(X509_sign(x, (EVP_PKEY *)rsp_ec_evp_pkey(w.ci), EVP_sha256()) > 0);
    int len = i2d_X509(x, NULL);
    assert_true(len > 0);
    rsp_buf forged = RSP_BUF_INIT;
    uint8_t *out;
    assert_int_equal(rsp_buf_extend(&forged, (size_t)len, &out), RSP_OK);
    assert_int_equal(i2d_X509(x, &out), len);
    X509_free(x);
    smdp s = {0};
    smdp_auth_request(&w, &s, bp, &forged, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), RSP_ES10_AUTH_UNSUPPORTED_CURVE);
    /* the refusal used the challenge up; the genuine certificate then authenticates */
    smdp_auth_request(&w, &s, w.dpauth, &w.c_dpauth, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), 0);
    rsp_buf_free(&forged);
    rsp_ec_free(bp);
    smdp_free(&s);
    world_free(&w);
}

static void test_prepare_errors(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    smdp s = {0};
    /* noSessionContext: no AuthenticateServer yet. */
    memset(s.euicc_sig1, 0, 64);
    uint8_t tid[16] = {0};
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, tid, false, false, false), RSP_ES10_DL_NO_SESSION_CONTEXT);
    smdp_auth_request(&w, &s, w.dpauth, &w.c_dpauth, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), 0);
    /* invalidTransactionId. */
    memcpy(tid, s.tid, 16);
    tid[0] ^= 0xFF;
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, tid, false, false, false),
                     RSP_ES10_DL_INVALID_TRANSACTION_ID);
    /* invalidSignature: smdpSignature2 flipped; and signed by the DPauth key. */
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, s.tid, false, false, true), RSP_ES10_DL_INVALID_SIGNATURE);
    assert_int_equal(smdp_prepare(&w, &s, w.dpauth, &w.c_dppb, s.tid, false, false, false), RSP_ES10_DL_INVALID_SIGNATURE);
    /* invalidCertificate: a DPauth certificate as DPpb; a DPpb of another SM-DP+ (OID 2.999.11). */
    assert_int_equal(smdp_prepare(&w, &s, w.dpauth, &w.c_dpauth, s.tid, false, false, false),
                     RSP_ES10_DL_INVALID_CERTIFICATE);
    assert_int_equal(smdp_prepare(&w, &s, w.dppb_other, &w.c_dppb_other, s.tid, false, false, false),
                     RSP_ES10_DL_INVALID_CERTIFICATE);
    /* undefinedError: a confirmation code required but no hashCc. */
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, s.tid, true, false, false), RSP_ES10_DL_UNDEFINED);
    /* And the good one still works in this session. */
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, s.tid, true, true, false), 0);
    /* A reset drops the session. */
    rsp_es10_card_reset(w.card);
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, s.tid, false, false, false), RSP_ES10_DL_NO_SESSION_CONTEXT);
    smdp_free(&s);
    world_free(&w);
}


/* CancelSession: the session's tid only; the answer signed by SK.EUICC over {tid, smdpOid, reason},
 * the smdpOid being CERT.DPauth's SAN RID (2.999.10 = 88 37 0A); the session ends. */
static void test_cancel_session(void **state)
{
    (void)state;
    world w;
    world_make(&w);
    smdp s = {0};
    smdp_auth_request(&w, &s, w.dpauth, &w.c_dpauth, &w.c_ci);
    assert_int_equal(smdp_auth(&w, &s), 0);
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    uint8_t bad[16];
    memcpy(bad, s.tid, 16);
    bad[15] ^= 1;
    rsp_es10_cancel_req_encode(rsp_bytes_of(bad, 16), RSP_ES10_CANCEL_POSTPONED, &req);
    es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF4103810105");
    rsp_buf_reset(&req);
    rsp_es10_cancel_req_encode(rsp_bytes_of(s.tid, 16), RSP_ES10_CANCEL_POSTPONED, &req);
    es10(&w, &req, &ans);
    rsp_es10_cancel_resp r;
    assert_int_equal(rsp_es10_cancel_resp_decode(ans.data, ans.len, &r, NULL), RSP_OK);
    assert_true(r.ok);
    assert_memory_equal(r.transaction_id.p, s.tid, 16);
    tu_assert_hex(r.smdp_oid.p, r.smdp_oid.len, "88370A");
    assert_int_equal(r.reason, RSP_ES10_CANCEL_POSTPONED);
    rsp_pki22_info eu;
    rsp_eckey *pk = NULL;
    assert_int_equal(rsp_pki22_inspect(w.c_euicc.data, w.c_euicc.len, &eu, NULL), RSP_OK);
    assert_int_equal(rsp_ec_from_public(eu.curve, eu.pub, 65, &pk), RSP_OK);
    assert_int_equal(rsp_ecdsa_verify(pk, r.signed_raw.p, r.signed_raw.len, r.signature.p, 64), RSP_OK);
    rsp_ec_free(pk);
    /* The session is gone: PrepareDownload and a second cancel are refused. */
    assert_int_equal(smdp_prepare(&w, &s, w.dppb, &w.c_dppb, s.tid, false, false, false), RSP_ES10_DL_NO_SESSION_CONTEXT);
    es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF4103810105");
    /* Codec corners: an unknown reason reads as undefined; both forms at once are refused. */
    rsp_buf_reset(&req);
    tu_hex("BF41078001AA81020190", &req);
    rsp_bytes tid;
    int reason = 0;
    assert_int_equal(rsp_es10_cancel_req_decode(req.data, req.len, &tid, &reason, NULL), RSP_OK);
    assert_int_equal(reason, 127);
    rsp_buf_reset(&req);
    tu_hex("BF4105A000810101", &req);
    assert_int_equal(rsp_es10_cancel_resp_decode(req.data, req.len, &r, NULL), RSP_ERR_TAG);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    smdp_free(&s);
    world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_and_eid),
        cmocka_unit_test(test_download_start),
        cmocka_unit_test(test_authenticate_errors),
        cmocka_unit_test(test_authenticate_curve),
        cmocka_unit_test(test_prepare_errors),
        cmocka_unit_test(test_cancel_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
