/* ES10b AuthenticateServer and PrepareDownload codecs over a real PKI of ours (pki22): the request and
 * answer encode to the notes' layout, decode back to the same pieces (signed objects raw, as received),
 * and the signatures of SGP22.md §"Signatures" verify over exactly those bytes. Then the DER strictness
 * rules of every decoder: order, repetition, missing members, extensions, non-minimal and indefinite
 * lengths, trailing bytes; truncations and mutations of every message fail cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/crypto.h"
#include "rsp/es10.h"
#include "rsp/pki22.h"
#include "rsp/tlv.h"
#include "testutil.h"

typedef struct keys {
    rsp_eckey *ci, *dpauth, *dppb, *eum, *euicc;
    rsp_buf c_ci, c_dpauth, c_dppb, c_eum, c_euicc;
} keys;

static void issue(rsp_pki22_role role, rsp_eckey *k, rsp_eckey *ik, const rsp_buf *icert, rsp_buf *out)
{
    static const uint8_t serial[] = {0x42};
    static const char *const pre[] = {"89049032", NULL};
    time_t now = time(NULL);
    rsp_pki22_template t = {.role = role, .common_name = "T", .organisation = "O", .serial = serial, .serial_len = 1,
                            .not_before = now - 60, .not_after = now + 86400, .eid = "89049032000000000000000000000017",
                            .eid_prefixes = pre, .rid = "2.999.10"};
    assert_int_equal(rsp_pki22_issue(&t, k, ik, icert ? icert->data : NULL, icert ? icert->len : 0, out, NULL), RSP_OK);
}

static void keys_make(keys *k)
{
    memset(k, 0, sizeof(*k));
    rsp_eckey **all[] = {&k->ci, &k->dpauth, &k->dppb, &k->eum, &k->euicc};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, all[i]), RSP_OK);
    issue(RSP_PKI22_CI, k->ci, k->ci, NULL, &k->c_ci);
    issue(RSP_PKI22_DPAUTH, k->dpauth, k->ci, &k->c_ci, &k->c_dpauth);
    issue(RSP_PKI22_DPPB, k->dppb, k->ci, &k->c_ci, &k->c_dppb);
    issue(RSP_PKI22_EUM, k->eum, k->ci, &k->c_ci, &k->c_eum);
    issue(RSP_PKI22_EUICC, k->euicc, k->eum, &k->c_eum, &k->c_euicc);
}

static void keys_free(keys *k)
{
    rsp_eckey *all[] = {k->ci, k->dpauth, k->dppb, k->eum, k->euicc};
    rsp_buf *b[] = {&k->c_ci, &k->c_dpauth, &k->c_dppb, &k->c_eum, &k->c_euicc};
    for (size_t i = 0; i < 5; i++) {
        rsp_ec_free(all[i]);
        rsp_buf_free(b[i]);
    }
}

typedef rsp_err (*decode_fn)(const uint8_t *p, size_t len, rsp_diag *d);

static void hammer(const rsp_buf *msg, decode_fn fn)
{
    rsp_diag d;
    for (size_t n = 0; n < msg->len; n++) {
        rsp_diag_clear(&d);
        assert_int_not_equal(fn(msg->data, n, &d), RSP_OK);
        assert_int_not_equal(d.err, RSP_OK);
    }
    uint8_t *m = malloc(msg->len);
    for (size_t i = 0; i < msg->len; i++) {
        memcpy(m, msg->data, msg->len);
        m[i] ^= 0x5A;
        (void)fn(m, msg->len, NULL);
    }
    free(m);
}

static rsp_err dec_asreq(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_auth_server_req x;
    return rsp_es10_auth_server_req_decode(p, n, &x, d);
}

static rsp_err dec_asresp(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_auth_server_resp x;
    return rsp_es10_auth_server_resp_decode(p, n, &x, d);
}

static rsp_err dec_pdreq(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_prepare_req x;
    return rsp_es10_prepare_req_decode(p, n, &x, d);
}

static rsp_err dec_pdresp(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_prepare_resp x;
    return rsp_es10_prepare_resp_decode(p, n, &x, d);
}

/* ctxParams1 as an LPA sends it: A0{80 matchingId, A1 deviceInfo{80 tac, A1 {}}}. */
static void ctx_params(rsp_buf *b)
{
    size_t a, dev, caps;
    static const uint8_t tac[] = {0x35, 0x29, 0x06, 0x11};
    rsp_tlv_begin(b, 0xA0, &a);
    rsp_tlv_put(b, 0x80, "MATCH-1", 7);
    rsp_tlv_begin(b, 0xA1, &dev);
    rsp_tlv_put(b, 0x80, tac, 4);
    rsp_tlv_begin(b, 0xA1, &caps);
    rsp_tlv_end(b, caps);
    rsp_tlv_end(b, dev);
    rsp_tlv_end(b, a);
}

static void test_authenticate_server(void **state)
{
    (void)state;
    keys k;
    keys_make(&k);
    uint8_t tid[16], ech[16], sch[16], sig1[64], esig1[64];
    rsp_random(tid, 16);
    rsp_random(ech, 16);
    rsp_random(sch, 16);
    static const char addr[] = "smdp.example.test";
    rsp_es10_server_signed1 s1 = {.transaction_id = rsp_bytes_of(tid, 16), .euicc_challenge = rsp_bytes_of(ech, 16),
                                  .server_address = rsp_bytes_of((const uint8_t *)addr, strlen(addr)),
                                  .server_challenge = rsp_bytes_of(sch, 16)};
    rsp_buf s1der = RSP_BUF_INIT, ctx = RSP_BUF_INIT, req = RSP_BUF_INIT, ski = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_server_signed1_encode(&s1, &s1der), RSP_OK);
    assert_int_equal(s1der.data[0], 0x30);
    assert_int_equal(rsp_ecdsa_sign(k.dpauth, s1der.data, s1der.len, sig1), RSP_OK);
    ctx_params(&ctx);
    rsp_pki22_info ci;
    assert_int_equal(rsp_pki22_inspect(k.c_ci.data, k.c_ci.len, &ci, NULL), RSP_OK);
    rsp_es10_auth_server_req in = {.signed1 = {.raw = rsp_buf_view(&s1der)},
                                   .server_signature1 = rsp_bytes_of(sig1, 64),
                                   .ci_pkid = rsp_bytes_of(ci.ski, ci.ski_len),
                                   .server_certificate = rsp_buf_view(&k.c_dpauth),
                                   .ctx = {.raw = rsp_buf_view(&ctx)}};
    assert_int_equal(rsp_es10_auth_server_req_encode(&in, &req), RSP_OK);
    /* BF38 L | serverSigned1 | 5F37 40 sig | 04 14 SKI | CERT.DPauth | A0 ctxParams1 */
    rsp_es10_auth_server_req x;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es10_auth_server_req_decode(req.data, req.len, &x, &d), RSP_OK);
    assert_int_equal(x.signed1.raw.len, s1der.len);
    assert_memory_equal(x.signed1.raw.p, s1der.data, s1der.len);
    assert_memory_equal(x.signed1.euicc_challenge.p, ech, 16);
    assert_memory_equal(x.signed1.server_challenge.p, sch, 16);
    assert_int_equal(x.signed1.server_address.len, strlen(addr));
    assert_int_equal(x.ci_pkid.len, 20);
    assert_int_equal(x.server_certificate.len, k.c_dpauth.len);
    assert_true(x.ctx.has_matching_id);
    assert_memory_equal(x.ctx.matching_id.p, "MATCH-1", 7);
    tu_assert_hex(x.ctx.tac.p, x.ctx.tac.len, "35290611");
    assert_int_equal(x.ctx.device_capabilities.len, 0);
    assert_int_equal(x.ctx.raw.len, ctx.len);
    /* What the card will check: CERT.DPauth to the CI, then serverSignature1 over the bytes received. */
    rsp_bytes cis[1] = {rsp_buf_view(&k.c_ci)};
    rsp_pki22_info dp;
    assert_int_equal(rsp_pki22_verify(x.server_certificate.p, x.server_certificate.len, RSP_PKI22_DPAUTH, NULL, 0, cis,
                                      1, 0, &dp, NULL, NULL, NULL),
                     RSP_OK);
    rsp_eckey *pk = NULL;
    assert_int_equal(rsp_ec_from_public(dp.curve, dp.pub, 65, &pk), RSP_OK);
    assert_int_equal(rsp_ecdsa_verify(pk, x.signed1.raw.p, x.signed1.raw.len, x.server_signature1.p, 64), RSP_OK);
    rsp_ec_free(pk);
    hammer(&req, dec_asreq);

    /* The card's answer: euiccSigned1 {tid, address, serverChallenge, BF22, ctxParams1} signed by SK.EUICC. */
    rsp_buf info2 = RSP_BUF_INIT, es1 = RSP_BUF_INIT, resp = RSP_BUF_INIT, rspcap = RSP_BUF_INIT;
    tu_hex("0598", &rspcap);
    rsp_es10_info2 i2 = {.profile_version = {2, 3, 1}, .svn = {2, 2, 2}, .firmware_version = {1, 0, 0},
                         .ext_card_resource = rsp_bytes_of(NULL, 0), .uicc_capability = rsp_buf_view(&rspcap),
                         .rsp_capability = rsp_buf_view(&rspcap), .euicc_category = 2, .pp_version = {1, 0, 0},
                         .sas_accreditation = rsp_bytes_of((const uint8_t *)"OPENRSP", 7)};
    i2.verification.n = i2.signing.n = 1;
    i2.verification.ski[0] = i2.signing.ski[0] = rsp_bytes_of(ci.ski, 20);
    assert_int_equal(rsp_es10_info2_encode(&i2, &info2), RSP_OK);
    rsp_es10_euicc_signed1 e1 = {.transaction_id = x.signed1.transaction_id, .server_address = x.signed1.server_address,
                                 .server_challenge = x.signed1.server_challenge, .euicc_info2 = rsp_buf_view(&info2),
                                 .ctx_params1 = x.ctx.raw};
    assert_int_equal(rsp_es10_euicc_signed1_encode(&e1, &es1), RSP_OK);
    assert_int_equal(rsp_ecdsa_sign(k.euicc, es1.data, es1.len, esig1), RSP_OK);
    rsp_es10_auth_server_resp r = {.ok = true, .signed1 = {.raw = rsp_buf_view(&es1)},
                                   .euicc_signature1 = rsp_bytes_of(esig1, 64), .cert_euicc = rsp_buf_view(&k.c_euicc),
                                   .cert_eum = rsp_buf_view(&k.c_eum)};
    assert_int_equal(rsp_es10_auth_server_resp_encode(&r, &resp), RSP_OK);
    rsp_es10_auth_server_resp rx;
    assert_int_equal(rsp_es10_auth_server_resp_decode(resp.data, resp.len, &rx, NULL), RSP_OK);
    assert_true(rx.ok);
    assert_memory_equal(rx.transaction_id.p, tid, 16);
    assert_int_equal(rx.signed1.euicc_info2.len, info2.len);
    assert_int_equal(rx.signed1.ctx_params1.len, ctx.len);
    assert_int_equal(rx.cert_eum.len, k.c_eum.len);
    /* The server's checks: CERT.EUICC -> CERT.EUM -> CI, euiccSignature1 over euiccSigned1 as received. */
    rsp_pki22_info eu;
    assert_int_equal(rsp_pki22_verify(rx.cert_euicc.p, rx.cert_euicc.len, RSP_PKI22_EUICC, rx.cert_eum.p,
                                      rx.cert_eum.len, cis, 1, 0, &eu, NULL, NULL, NULL),
                     RSP_OK);
    assert_int_equal(rsp_ec_from_public(eu.curve, eu.pub, 65, &pk), RSP_OK);
    assert_int_equal(rsp_ecdsa_verify(pk, rx.signed1.raw.p, rx.signed1.raw.len, rx.euicc_signature1.p, 64), RSP_OK);
    rsp_ec_free(pk);
    rsp_es10_info2 back;
    assert_int_equal(rsp_es10_info2_decode(rx.signed1.euicc_info2.p, rx.signed1.euicc_info2.len, &back, NULL), RSP_OK);
    assert_int_equal(back.euicc_category, 2);
    hammer(&resp, dec_asresp);
    /* The error form, and an unknown code read as undefined. */
    rsp_buf_reset(&resp);
    r.ok = false;
    r.transaction_id = rsp_bytes_of(tid, 16);
    r.error = RSP_ES10_AUTH_CHALLENGE_MISMATCH;
    assert_int_equal(rsp_es10_auth_server_resp_encode(&r, &resp), RSP_OK);
    tu_assert_hex(resp.data, 6, "BF3817A11580");
    assert_int_equal(rsp_es10_auth_server_resp_decode(resp.data, resp.len, &rx, NULL), RSP_OK);
    assert_false(rx.ok);
    assert_int_equal(rx.error, 6);
    resp.data[resp.len - 1] = 0x50; /* 80: not a defined code */
    assert_int_equal(rsp_es10_auth_server_resp_decode(resp.data, resp.len, &rx, NULL), RSP_OK);
    assert_int_equal(rx.error, 80);
    rsp_buf_reset(&resp);
    tu_hex("BF3809A10780010102 0200C8", &resp); /* 200 */
    assert_int_equal(rsp_es10_auth_server_resp_decode(resp.data, resp.len, &rx, NULL), RSP_OK);
    assert_int_equal(rx.error, 127);

    /* PrepareDownload: smdpSigned2 {tid, ccRequired, no otPK}; smdpSignature2 over smdpSigned2 || 5F37 40
     * euiccSignature1; hashCc = SHA-256(SHA-256(code) || tid); the answer euiccSigned2, signed over
     * euiccSigned2 || 5F37 40 smdpSignature2. */
    rsp_buf s2 = RSP_BUF_INIT, tbs = RSP_BUF_INIT, pd = RSP_BUF_INIT, e2 = RSP_BUF_INIT, pdr = RSP_BUF_INIT;
    rsp_es10_smdp_signed2 sd2 = {.transaction_id = rsp_bytes_of(tid, 16), .cc_required = true};
    assert_int_equal(rsp_es10_smdp_signed2_encode(&sd2, &s2), RSP_OK);
    rsp_buf_append(&tbs, s2.data, s2.len);
    rsp_tlv_put(&tbs, 0x5F37, esig1, 64);
    uint8_t sig2[64], hcc[32], h1[32], esig2[64], otpk[65];
    assert_int_equal(rsp_ecdsa_sign(k.dppb, tbs.data, tbs.len, sig2), RSP_OK);
    uint8_t cc_in[32 + 16];
    rsp_sha256((const uint8_t *)"1234", 4, h1);
    memcpy(cc_in, h1, 32);
    memcpy(cc_in + 32, tid, 16);
    rsp_sha256(cc_in, sizeof(cc_in), hcc);
    rsp_es10_prepare_req pr = {.signed2 = {.raw = rsp_buf_view(&s2)}, .smdp_signature2 = rsp_bytes_of(sig2, 64),
                               .hash_cc = rsp_bytes_of(hcc, 32), .cert_dppb = rsp_buf_view(&k.c_dppb)};
    assert_int_equal(rsp_es10_prepare_req_encode(&pr, &pd), RSP_OK);
    rsp_es10_prepare_req px;
    assert_int_equal(rsp_es10_prepare_req_decode(pd.data, pd.len, &px, NULL), RSP_OK);
    assert_true(px.signed2.cc_required);
    assert_int_equal(px.signed2.bpp_euicc_otpk.len, 0);
    assert_memory_equal(px.hash_cc.p, hcc, 32);
    assert_int_equal(px.signed2.raw.len, s2.len);
    tu_assert_hex(px.signed2.raw.p + px.signed2.raw.len - 3, 3, "0101FF");
    rsp_buf_reset(&tbs);
    rsp_buf_append(&tbs, px.signed2.raw.p, px.signed2.raw.len);
    rsp_tlv_put(&tbs, 0x5F37, esig1, 64);
    rsp_pki22_info pb;
    assert_int_equal(rsp_pki22_inspect(px.cert_dppb.p, px.cert_dppb.len, &pb, NULL), RSP_OK);
    assert_int_equal(rsp_ec_from_public(pb.curve, pb.pub, 65, &pk), RSP_OK);
    assert_int_equal(rsp_ecdsa_verify(pk, tbs.data, tbs.len, px.smdp_signature2.p, 64), RSP_OK);
    rsp_ec_free(pk);
    hammer(&pd, dec_pdreq);
    rsp_eckey *ot = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &ot), RSP_OK);
    rsp_ec_public_point(ot, otpk);
    rsp_es10_prepare_resp prr = {.ok = true, .transaction_id = rsp_bytes_of(tid, 16), .euicc_otpk = rsp_bytes_of(otpk, 65),
                                 .hash_cc = rsp_bytes_of(hcc, 32)};
    assert_int_equal(rsp_es10_euicc_signed2_encode(&prr, &e2), RSP_OK);
    rsp_buf_reset(&tbs);
    rsp_buf_append(&tbs, e2.data, e2.len);
    rsp_tlv_put(&tbs, 0x5F37, sig2, 64);
    assert_int_equal(rsp_ecdsa_sign(k.euicc, tbs.data, tbs.len, esig2), RSP_OK);
    prr.signed2_raw = rsp_buf_view(&e2);
    prr.euicc_signature2 = rsp_bytes_of(esig2, 64);
    assert_int_equal(rsp_es10_prepare_resp_encode(&prr, &pdr), RSP_OK);
    rsp_es10_prepare_resp pry;
    assert_int_equal(rsp_es10_prepare_resp_decode(pdr.data, pdr.len, &pry, NULL), RSP_OK);
    assert_true(pry.ok);
    assert_memory_equal(pry.euicc_otpk.p, otpk, 65);
    assert_memory_equal(pry.hash_cc.p, hcc, 32);
    assert_int_equal(pry.signed2_raw.len, e2.len);
    hammer(&pdr, dec_pdresp);
    rsp_buf_reset(&pdr);
    prr.ok = false;
    prr.error = RSP_ES10_DL_INVALID_TRANSACTION_ID;
    assert_int_equal(rsp_es10_prepare_resp_encode(&prr, &pdr), RSP_OK);
    assert_int_equal(rsp_es10_prepare_resp_decode(pdr.data, pdr.len, &pry, NULL), RSP_OK);
    assert_false(pry.ok);
    assert_int_equal(pry.error, 5);
    rsp_ec_free(ot);
    rsp_buf *bufs[] = {&s1der, &ctx, &req, &ski, &info2, &es1, &resp, &rspcap, &s2, &tbs, &pd, &e2, &pdr};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        rsp_buf_free(bufs[i]);
    keys_free(&k);
}

static rsp_err dec_info1(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_info1 x;
    return rsp_es10_info1_decode(p, n, &x, d);
}

/* DER strictness, one rule per case, on EUICCInfo1 and the AuthenticateServer answer. */
static void test_der_rules(void **state)
{
    (void)state;
    /* want RSP_ERR__COUNT: any error (the TLV reader names non-DER lengths its own way). */
    static const struct {
        const char *hex;
        rsp_err want;
        const char *why;
    } cases[] = {
        {"BF200D 8203020202 A90404021122 AA00", RSP_OK, "baseline"},
        {"BF200D 8203020202 A90404021122 AA00 00", RSP_ERR_LENGTH, "a trailing byte"},
        {"BF20810D 8203020202 A90404021122 AA00", RSP_ERR__COUNT, "a non-minimal length (81 0D)"},
        {"BF2080 8203020202 A90404021122 AA00 0000", RSP_ERR__COUNT, "an indefinite length"},
        {"BF200B 8203020202 A90404021122", RSP_ERR_TAG, "AA missing"},
        {"BF200D A90404021122 AA00 8203020202", RSP_ERR_TAG, "82 after A9 and AA"},
        {"BF2012 8203020202 8203020202 A90404021122 AA00", RSP_ERR_TAG, "82 repeated"},
        {"BF2011 8203020202 A90404021122 AA00 8F020102", RSP_OK, "an unknown extension 8F at the end"},
        {"BF200C 82020202 A90404021122 AA00", RSP_ERR_LENGTH, "svn of 2 bytes"},
        {"BF200D 8203020202 A90405021122 AA00", RSP_ERR_TAG, "a CI id that is not 04"},
        {"BF200B 8203020202 A9020400 AA00", RSP_ERR_TAG, "an empty CI id"},
        {"BF200E 8203020202 A90504021122 AA00", RSP_ERR__COUNT, "A9 longer than its content"},
        {"BF2100", RSP_ERR_TAG, "another function's tag"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rsp_buf b = RSP_BUF_INIT;
        char hex[256];
        size_t n = 0;
        for (const char *c = cases[i].hex; *c && n + 1 < sizeof(hex); c++)
            if (*c != ' ')
                hex[n++] = *c;
        hex[n] = '\0';
        tu_hex(hex, &b);
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = dec_info1(b.data, b.len, &d);
        if (cases[i].want == RSP_ERR__COUNT ? e == RSP_OK : e != cases[i].want)
            fail_msg("case '%s': got %s (%s), want %s", cases[i].why, rsp_err_name(e), d.msg, rsp_err_name(cases[i].want));
        if (e)
            assert_true(d.msg[0] != '\0');
        rsp_buf_free(&b);
    }
    /* An answer with both A0 and A1, or neither. */
    rsp_buf b = RSP_BUF_INIT;
    rsp_es10_auth_server_resp r;
    tu_hex("BF3806A000A1028000", &b);
    assert_int_equal(rsp_es10_auth_server_resp_decode(b.data, b.len, &r, NULL), RSP_ERR_TAG);
    rsp_buf_reset(&b);
    tu_hex("BF3800", &b);
    assert_int_equal(rsp_es10_auth_server_resp_decode(b.data, b.len, &r, NULL), RSP_ERR_TAG);
    rsp_buf_free(&b);
}


static rsp_err dec_pending(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_pending x;
    return rsp_es10_pending_decode(p, n, &x, d);
}

static rsp_err dec_retrieve(const uint8_t *p, size_t n, rsp_diag *d)
{
    static rsp_es10_notif_list x;
    return rsp_es10_notif_list_decode(p, n, RSP_ES10_RETRIEVE_NOTIFICATIONS, &x, d);
}

static rsp_err dec_listn(const uint8_t *p, size_t n, rsp_diag *d)
{
    static rsp_es10_notif_list x;
    return rsp_es10_notif_list_decode(p, n, RSP_ES10_LIST_NOTIFICATION, &x, d);
}

static rsp_err dec_profiles(const uint8_t *p, size_t n, rsp_diag *d)
{
    static rsp_es10_profiles x;
    return rsp_es10_profiles_decode(p, n, &x, d);
}

static rsp_err dec_preq(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_profile_req x;
    return rsp_es10_profile_req_decode(p, n, &x, d);
}

static rsp_err dec_info2(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_info2 x;
    return rsp_es10_info2_decode(p, n, &x, d);
}

/* The fuzz seeds are valid messages of their decoder, so the fuzzers start from deep inside them. */
static void test_fuzz_seeds_decode(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        decode_fn fn;
    } seeds[] = {
        {"fuzz_euicc_es10_info/info1_real", dec_info1},
        {"fuzz_euicc_es10_info/info2_sysmo", dec_info2},
        {"fuzz_euicc_es10_auth/authsrv_req", dec_asreq},
        {"fuzz_euicc_es10_auth/authsrv_resp_ok", dec_asresp},
        {"fuzz_euicc_es10_auth/authsrv_resp_err", dec_asresp},
        {"fuzz_euicc_es10_auth/prepare_req", dec_pdreq},
        {"fuzz_euicc_es10_auth/prepare_resp_ok", dec_pdresp},
        {"fuzz_euicc_es10_auth/prepare_resp_err", dec_pdresp},
        {"fuzz_euicc_es10_notif/pir_real", dec_pending},
        {"fuzz_euicc_es10_notif/pir_success", dec_pending},
        {"fuzz_euicc_es10_notif/retrieve_real", dec_retrieve},
        {"fuzz_euicc_es10_notif/retrieve_other", dec_retrieve},
        {"fuzz_euicc_es10_notif/list_notification", dec_listn},
        {"fuzz_euicc_es10_mgmt/profiles", dec_profiles},
        {"fuzz_euicc_es10_mgmt/enable_iccid", dec_preq},
        {"fuzz_euicc_es10_mgmt/delete_aid", dec_preq},
    };
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/fuzz/corpus/%s", RSP_SOURCE_DIR, seeds[i].path);
        rsp_buf b = RSP_BUF_INIT;
        tu_read_file(path, &b);
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = seeds[i].fn(b.data, b.len, &d);
        if (e)
            fail_msg("seed %s: %s", seeds[i].path, d.msg);
        rsp_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authenticate_server),
        cmocka_unit_test(test_der_rules),
        cmocka_unit_test(test_fuzz_seeds_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
