/* A consumer card folder on disk and an SM-DP+ played by the test, for the tests of the card's
 * LoadBoundProfilePackage and profile management through rsp_es10_card_open/apdu (the entry point
 * `rsp euicc attach` and `rsp lpa` use). The server side is built from our SGP.22 PKI, the ES10 codecs and
 * lib/card/bsp.c only; every signature of the card is checked as a server checks it. Included by one
 * test file each (static functions). */
#ifndef TEST_EUICC_ES10_WORLD_H
#define TEST_EUICC_ES10_WORLD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsp/apdu.h"
#include "rsp/bsp.h"
#include "rsp/es10.h"
#include "rsp/ids.h"
#include "rsp/pki22.h"
#include "rsp/saip.h"
#include "rsp/tlv.h"
#include "testutil.h"

#define W_EID "89049032123451234512345678901235"
#define W_ADDR "smdp.example.test"

typedef struct world {
    rsp_eckey *ci, *eum, *euicc, *dpauth, *dppb;
    rsp_buf c_ci, c_eum, c_euicc, c_dpauth, c_dppb;
    char dir[64];
    rsp_es10_slot *slot;
    size_t block;                  /* STORE DATA block size */
    uint8_t tid[16], euicc_otpk[65], euicc_sig1[64], sig2[64];
} world;

static void w_issue(rsp_pki22_role role, const char *rid, rsp_eckey *k, rsp_eckey *ik, const rsp_buf *ic, rsp_buf *out)
{
    static const uint8_t serial[] = {0x07};
    static const char *const pre[] = {"89049032", NULL};
    time_t now = time(NULL);
    rsp_pki22_template t = {.role = role, .common_name = "T", .organisation = "EUM", .serial = serial,
                            .serial_len = 1, .not_before = now - 60, .not_after = now + 86400, .eid = W_EID,
                            .eid_prefixes = pre, .rid = rid};
    assert_int_equal(rsp_pki22_issue(&t, k, ik, ic ? ic->data : NULL, ic ? ic->len : 0, out, NULL), RSP_OK);
}

static void w_write(const char *dir, const char *name, const rsp_buf *b)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
    fclose(f);
}

static void w_open(world *w)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es10_card_open(w->dir, &w->slot, &d) != RSP_OK)
        fail_msg("open: %s", d.msg);
}

static void w_make(world *w)
{
    memset(w, 0, sizeof(*w));
    w->block = 120;
    rsp_eckey **keys[] = {&w->ci, &w->eum, &w->euicc, &w->dpauth, &w->dppb};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, keys[i]), RSP_OK);
    w_issue(RSP_PKI22_CI, NULL, w->ci, w->ci, NULL, &w->c_ci);
    w_issue(RSP_PKI22_EUM, NULL, w->eum, w->ci, &w->c_ci, &w->c_eum);
    w_issue(RSP_PKI22_EUICC, NULL, w->euicc, w->eum, &w->c_eum, &w->c_euicc);
    w_issue(RSP_PKI22_DPAUTH, "2.999.10", w->dpauth, w->ci, &w->c_ci, &w->c_dpauth);
    w_issue(RSP_PKI22_DPPB, "2.999.10", w->dppb, w->ci, &w->c_ci, &w->c_dppb);
    snprintf(w->dir, sizeof(w->dir), "/tmp/rsp-es10-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    char p[128];
    snprintf(p, sizeof(p), "%s/sk_euicc.pem", w->dir);
    assert_int_equal(rsp_ec_save_private_pem(w->euicc, p), RSP_OK);
    w_write(w->dir, "cert_euicc.der", &w->c_euicc);
    w_write(w->dir, "cert_eum.der", &w->c_eum);
    w_write(w->dir, "ci_0.der", &w->c_ci);
    w_open(w);
}

static void w_free(world *w)
{
    rsp_es10_card_close(w->slot);
    rsp_eckey *keys[] = {w->ci, w->eum, w->euicc, w->dpauth, w->dppb};
    rsp_buf *bufs[] = {&w->c_ci, &w->c_eum, &w->c_euicc, &w->c_dpauth, &w->c_dppb};
    for (size_t i = 0; i < 5; i++) {
        rsp_ec_free(keys[i]);
        rsp_buf_free(bufs[i]);
    }
    const char *files[] = {"sk_euicc.pem", "cert_euicc.der", "cert_eum.der", "ci_0.der", "card.db", "card.db-wal",
                           "card.db-shm", "card.lock"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char p[128];
        snprintf(p, sizeof(p), "%s/%s", w->dir, files[i]);
        unlink(p);
    }
    rmdir(w->dir);
}

static uint16_t w_apdu(world *w, const uint8_t *c, size_t len, rsp_buf *out)
{
    rsp_buf r = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_card_apdu(w->slot, c, len, &r), RSP_OK);
    assert_true(r.len >= 2);
    uint16_t sw = (uint16_t)(r.data[r.len - 2] << 8 | r.data[r.len - 1]);
    if (out)
        rsp_buf_append(out, r.data, r.len - 2);
    rsp_buf_free(&r);
    return sw;
}

/* One ES10 command: STORE DATA blocks of w->block bytes, GET RESPONSE while 61xx; the answer TLV into out
 * (reset first; empty for a BPP piece answered 9000 alone). Returns the last SW. */
static uint16_t w_es10_raw(world *w, const uint8_t *req, size_t len, rsp_buf *out)
{
    rsp_buf_reset(out);
    uint16_t sw = 0;
    for (size_t off = 0, p2 = 0; off < len; p2++) {
        size_t n = len - off < w->block ? len - off : w->block;
        rsp_buf c = RSP_BUF_INIT;
        rsp_apdu_build(&c, 0x81, 0xE2, off + n == len ? 0x91 : 0x11, (uint8_t)p2, req + off, n, false, 0);
        rsp_buf r = RSP_BUF_INIT;
        sw = w_apdu(w, c.data, c.len, &r);
        if (off + n == len)
            rsp_buf_append(out, r.data, r.len);
        off += n;
        rsp_buf_free(&c);
        rsp_buf_free(&r);
        if (off < len && sw != 0x9000)
            return sw;
    }
    while ((sw & 0xFF00) == 0x6100) {
        uint8_t gr[5] = {0x81, 0xC0, 0x00, 0x00, (uint8_t)sw};
        sw = w_apdu(w, gr, 5, out);
    }
    return sw;
}

static void w_es10(world *w, const rsp_buf *req, rsp_buf *out)
{
    assert_int_equal(w_es10_raw(w, req->data, req->len, out), 0x9000);
}

/* Opens logical channel 1 and selects the ISD-R there, as lpac does. */
static void w_select(world *w)
{
    static const uint8_t open1[] = {0x00, 0x70, 0x00, 0x00, 0x01};
    rsp_buf r = RSP_BUF_INIT, c = RSP_BUF_INIT;
    assert_int_equal(w_apdu(w, open1, sizeof(open1), &r), 0x9000);
    tu_assert_hex(r.data, r.len, "01");
    rsp_apdu_build(&c, 0x01, 0xA4, 0x04, 0x0C, rsp_es10_isdr_aid, 16, false, 0);
    assert_int_equal(w_apdu(w, c.data, c.len, NULL), 0x9000);
    rsp_buf_free(&r);
    rsp_buf_free(&c);
}

/* Challenge, AuthenticateServer and PrepareDownload as an SM-DP+ drives them; the card's answers checked.
 * Returns AuthenticateServer's error code (0: the session is prepared). */
static int w_session_try(world *w)
{
    int code = 0;
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT, s1 = RSP_BUF_INIT, ctx = RSP_BUF_INIT, s2 = RSP_BUF_INIT;
    uint8_t ch[16], sch[16], sig1[64];
    rsp_es10_empty_request(RSP_ES10_GET_CHALLENGE, &req);
    w_es10(w, &req, &ans);
    assert_int_equal(rsp_es10_challenge_response_decode(ans.data, ans.len, ch, NULL), RSP_OK);
    rsp_random(w->tid, 16);
    rsp_random(sch, 16);
    rsp_es10_server_signed1 ss = {.transaction_id = rsp_bytes_of(w->tid, 16), .euicc_challenge = rsp_bytes_of(ch, 16),
                                  .server_address = rsp_bytes_of((const uint8_t *)W_ADDR, strlen(W_ADDR)),
                                  .server_challenge = rsp_bytes_of(sch, 16)};
    assert_int_equal(rsp_es10_server_signed1_encode(&ss, &s1), RSP_OK);
    assert_int_equal(rsp_ecdsa_sign(w->dpauth, s1.data, s1.len, sig1), RSP_OK);
    rsp_pki22_info ci;
    assert_int_equal(rsp_pki22_inspect(w->c_ci.data, w->c_ci.len, &ci, NULL), RSP_OK);
    size_t a = 0, dev = 0, caps = 0;
    rsp_tlv_begin(&ctx, 0xA0, &a);
    rsp_tlv_begin(&ctx, 0xA1, &dev);
    rsp_tlv_put(&ctx, 0x80, "\x35\x29\x06\x11", 4);
    rsp_tlv_begin(&ctx, 0xA1, &caps);
    rsp_tlv_end(&ctx, caps);
    rsp_tlv_end(&ctx, dev);
    rsp_tlv_end(&ctx, a);
    rsp_es10_auth_server_req ar = {.signed1 = {.raw = rsp_buf_view(&s1)}, .server_signature1 = rsp_bytes_of(sig1, 64),
                                   .ci_pkid = rsp_bytes_of(ci.ski, ci.ski_len),
                                   .server_certificate = rsp_buf_view(&w->c_dpauth), .ctx = {.raw = rsp_buf_view(&ctx)}};
    rsp_buf_reset(&req);
    assert_int_equal(rsp_es10_auth_server_req_encode(&ar, &req), RSP_OK);
    w_es10(w, &req, &ans);
    rsp_es10_auth_server_resp r;
    assert_int_equal(rsp_es10_auth_server_resp_decode(ans.data, ans.len, &r, NULL), RSP_OK);
    if (!r.ok) {
        code = r.error;
        goto out;
    }
    memcpy(w->euicc_sig1, r.euicc_signature1.p, 64);
    rsp_es10_smdp_signed2 sm2 = {.transaction_id = rsp_bytes_of(w->tid, 16)};
    assert_int_equal(rsp_es10_smdp_signed2_encode(&sm2, &s2), RSP_OK);
    rsp_buf tbs = RSP_BUF_INIT;
    rsp_buf_append(&tbs, s2.data, s2.len);
    rsp_tlv_put(&tbs, 0x5F37, w->euicc_sig1, 64);
    assert_int_equal(rsp_ecdsa_sign(w->dppb, tbs.data, tbs.len, w->sig2), RSP_OK);
    rsp_es10_prepare_req pr = {.signed2 = {.raw = rsp_buf_view(&s2)}, .smdp_signature2 = rsp_bytes_of(w->sig2, 64),
                               .cert_dppb = rsp_buf_view(&w->c_dppb)};
    rsp_buf_reset(&req);
    assert_int_equal(rsp_es10_prepare_req_encode(&pr, &req), RSP_OK);
    w_es10(w, &req, &ans);
    rsp_es10_prepare_resp pa;
    assert_int_equal(rsp_es10_prepare_resp_decode(ans.data, ans.len, &pa, NULL), RSP_OK);
    assert_true(pa.ok);
    memcpy(w->euicc_otpk, pa.euicc_otpk.p, 65);
    rsp_buf_free(&tbs);
out:;
    rsp_buf *bufs[] = {&req, &ans, &s1, &ctx, &s2};
    for (size_t i = 0; i < 5; i++)
        rsp_buf_free(bufs[i]);
    return code;
}

static void w_session(world *w)
{
    assert_int_equal(w_session_try(w), 0);
}

/* How the test's SM-DP+ builds one BPP, and what to tamper with. */
typedef struct bpp_opts {
    const rsp_buf *upp;            /* the profile package */
    const char *iccid;             /* of the metadata (NULL: the package's) */
    int pclass;                    /* -1: absent (operational) */
    unsigned ppr;
    bool has_ppr, ppk, double_wrap;/* ReplaceSessionKeys; members as VECTORS §D's older BPP */
    int remote_op, key_type;       /* 0: the right ones */
    bool flip_sign, flip_87, flip_88, flip_86, wrong_tid, bad_configure, bad_otpk, flip_a2;
    const char *notif_addr;        /* B6: enable/disable/delete notifications go there */
} bpp_opts;

static void w_seq(rsp_buf *bpp, uint32_t tag, const rsp_buf *members, bool double_wrap, uint8_t mtag)
{
    size_t m = 0;
    rsp_tlv_begin(bpp, tag, &m);
    if (!double_wrap) {
        rsp_buf_append(bpp, members->data, members->len);
    } else {
        rsp_tlv_reader r;
        rsp_tlv t;
        rsp_tlv_reader_init(&r, members->data, members->len, 0);
        while (rsp_tlv_next(&r, &t) == RSP_OK)
            rsp_tlv_put(bpp, mtag, t.raw, t.raw_len);
    }
    rsp_tlv_end(bpp, m);
}

static void w_build_bpp(world *w, const bpp_opts *o, rsp_buf *bpp)
{
    uint8_t iccid[10], shs[32], otpk[65], sig[64];
    if (o->iccid) {
        assert_int_equal(rsp_iccid_to_swapped(o->iccid, iccid), RSP_OK);
    } else {
        rsp_saip_package pkg;
        assert_int_equal(rsp_saip_parse(o->upp->data, o->upp->len, 0, &pkg, NULL), RSP_OK);
        assert_int_equal(rsp_iccid_to_swapped(pkg.header.iccid, iccid), RSP_OK);
        rsp_saip_package_free(&pkg);
    }
    rsp_eckey *ot = NULL, *peer = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &ot), RSP_OK);
    assert_int_equal(rsp_ec_public_point(ot, otpk), RSP_OK);
    if (o->bad_otpk)
        otpk[64] ^= 1; /* signed as it is, but not a point of the curve */
    assert_int_equal(rsp_ec_from_public(RSP_CURVE_P256, w->euicc_otpk, 65, &peer), RSP_OK);
    assert_int_equal(rsp_ecdh(ot, peer, shs), RSP_OK);
    uint8_t eid[16];
    rsp_eid_to_bytes(W_EID, eid);
    rsp_bsp bsp;
    static const uint8_t host[] = "mahlzeit";
    assert_int_equal(rsp_bsp_derive(&bsp, shs, 32, host, 8, eid, 16), RSP_OK);
    uint8_t tid[16];
    memcpy(tid, w->tid, 16);
    if (o->wrong_tid)
        tid[0] ^= 1;
    rsp_es10_init_sc isc = {.remote_op = o->remote_op ? o->remote_op : 1, .transaction_id = rsp_bytes_of(tid, 16),
                            .key_type = o->key_type ? o->key_type : 0x88, .key_len = 0x10,
                            .host_id = rsp_bytes_of(host, 8), .smdp_otpk = rsp_bytes_of(otpk, 65)};
    rsp_buf tbs = RSP_BUF_INIT, signed_data = RSP_BUF_INIT, body = RSP_BUF_INIT, seg = RSP_BUF_INIT,
            plain = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_init_sc_tbs_encode(&isc, &tbs), RSP_OK);
    assert_int_equal(rsp_es10_init_sc_signed_data(rsp_buf_view(&tbs), w->euicc_otpk, &signed_data), RSP_OK);
    assert_int_equal(rsp_ecdsa_sign(w->dppb, signed_data.data, signed_data.len, sig), RSP_OK);
    if (o->flip_sign)
        sig[10] ^= 1;
    assert_int_equal(rsp_es10_init_sc_encode(rsp_buf_view(&tbs), sig, &body), RSP_OK);
    /* A0: ConfigureISDP */
    if (o->bad_configure)
        rsp_tlv_put(&plain, 0xBF25, NULL, 0); /* MACs right, is not a ConfigureISDP */
    else
        assert_int_equal(rsp_es10_configure_isdp_encode(rsp_bytes_of(NULL, 0), &plain), RSP_OK);
    assert_int_equal(rsp_bsp_protect(&bsp, 0x87, plain.data, plain.len, &seg), RSP_OK);
    if (o->flip_87)
        seg.data[4] ^= 1;
    w_seq(&body, 0xA0, &seg, o->double_wrap, 0x87);
    /* A1: StoreMetadata, MAC only */
    rsp_buf nc = RSP_BUF_INIT;
    if (o->notif_addr) {
        rsp_es10_notif_target t = {RSP_ES10_EVENT_ENABLE | RSP_ES10_EVENT_DISABLE | RSP_ES10_EVENT_DELETE,
                                   rsp_bytes_of((const uint8_t *)o->notif_addr, strlen(o->notif_addr))};
        rsp_es10_notif_config_encode(&t, 1, &nc);
    }
    rsp_es10_metadata md = {.iccid = rsp_bytes_of(iccid, 10), .spn = rsp_bytes_of((const uint8_t *)"OpenRSP", 7),
                            .name = rsp_bytes_of((const uint8_t *)"Test profile", 12), .icon_type = -1,
                            .profile_class = o->pclass, .notif_config = rsp_buf_view(&nc), .has_ppr = o->has_ppr,
                            .ppr = o->ppr};
    rsp_buf_reset(&plain);
    rsp_buf_reset(&seg);
    assert_int_equal(rsp_es10_metadata_encode(&md, &plain), RSP_OK);
    assert_int_equal(rsp_bsp_protect(&bsp, 0x88, plain.data, plain.len, &seg), RSP_OK);
    if (o->flip_88)
        seg.data[6] ^= 1;
    w_seq(&body, 0xA1, &seg, o->double_wrap, 0x88);
    /* A2: ReplaceSessionKeys to PPKs */
    if (o->ppk) {
        uint8_t mcv[16], enc[16], mac[16];
        rsp_random(mcv, 16);
        rsp_random(enc, 16);
        rsp_random(mac, 16);
        rsp_buf_reset(&plain);
        rsp_buf_reset(&seg);
        rsp_es10_rsk_encode(mcv, enc, mac, &plain);
        assert_int_equal(rsp_bsp_protect(&bsp, 0x87, plain.data, plain.len, &seg), RSP_OK);
        if (o->flip_a2)
            seg.data[5] ^= 1;
        w_seq(&body, 0xA2, &seg, o->double_wrap, 0x87);
        rsp_bsp_init(&bsp, enc, mac, mcv);
    }
    rsp_buf_reset(&seg);
    assert_int_equal(rsp_bsp_protect_all(&bsp, 0x86, o->upp->data, o->upp->len, RSP_BSP_MAX_PLAIN_ENC, &seg), RSP_OK);
    if (o->flip_86)
        seg.data[seg.len - 20] ^= 1;
    w_seq(&body, 0xA3, &seg, o->double_wrap, 0x86);
    rsp_buf_reset(bpp);
    rsp_tlv_put(bpp, RSP_ES10_BPP, body.data, body.len);
    rsp_bsp_close(&bsp);
    rsp_ec_free(ot);
    rsp_ec_free(peer);
    rsp_buf *bufs[] = {&tbs, &signed_data, &body, &seg, &plain, &nc};
    for (size_t i = 0; i < 6; i++)
        rsp_buf_free(bufs[i]);
}

/* Sends the BPP piece by piece as an LPA does; the BF37 (the answer to the last piece sent, or the first
 * piece answered with data) into pir. Returns how many pieces were sent. */
static size_t w_load(world *w, const rsp_buf *bpp, rsp_buf *pir)
{
    rsp_bytes pieces[64];
    size_t n = 0, i;
    assert_int_equal(rsp_es10_bpp_split(bpp->data, bpp->len, pieces, 64, &n, NULL), RSP_OK);
    rsp_buf_reset(pir);
    for (i = 0; i < n; i++) {
        assert_int_equal(w_es10_raw(w, pieces[i].p, pieces[i].len, pir), 0x9000);
        if (pir->len)
            return i + 1;
    }
    return i;
}

/* The PIR as an SM-DP+ reads it: decodes, euiccSignPIR verifies with CERT.EUICC over BF27 as received,
 * the tid is the session's. */
static void w_check_pir(world *w, const rsp_buf *pir, rsp_es10_pir *out)
{
    assert_int_equal(rsp_es10_pir_decode(pir->data, pir->len, out, NULL), RSP_OK);
    rsp_pki22_info eu;
    rsp_eckey *pk = NULL;
    assert_int_equal(rsp_pki22_inspect(w->c_euicc.data, w->c_euicc.len, &eu, NULL), RSP_OK);
    assert_int_equal(rsp_ec_from_public(eu.curve, eu.pub, 65, &pk), RSP_OK);
    assert_int_equal(rsp_ecdsa_verify(pk, out->data_raw.p, out->data_raw.len, out->signature.p, 64), RSP_OK);
    rsp_ec_free(pk);
    assert_int_equal(out->transaction_id.len, 16);
}

static void read_profile(rsp_buf *upp)
{
    char p[512];
    tu_read_file(tu_shared_path("profiles/TS48v7_SAIP2.3_NoBERTLV.der", p, sizeof(p)), upp);
}

/* GetProfilesInfo: how many profiles the card lists. */
static size_t profile_count(world *w, rsp_es10_profiles *out)
{
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es10_profiles_req r = {0};
    rsp_es10_profiles_req_encode(&r, &req);
    w_es10(w, &req, &ans);
    static rsp_buf keep = RSP_BUF_INIT; /* out points into the answer */
    rsp_buf_free(&keep);
    keep = ans;
    assert_int_equal(rsp_es10_profiles_decode(keep.data, keep.len, out, NULL), RSP_OK);
    assert_true(out->ok);
    rsp_buf_free(&req);
    return out->n;
}

static void notifications(world *w, rsp_es10_notif_list *out, rsp_buf *keep)
{
    rsp_buf req = RSP_BUF_INIT;
    rsp_es10_retrieve_req r = {0};
    rsp_es10_retrieve_req_encode(&r, &req);
    w_es10(w, &req, keep);
    assert_int_equal(rsp_es10_notif_list_decode(keep->data, keep->len, RSP_ES10_RETRIEVE_NOTIFICATIONS, out, NULL),
                     RSP_OK);
    rsp_buf_free(&req);
}

static void download(world *w, const bpp_opts *o, rsp_buf *pir)
{
    rsp_buf bpp = RSP_BUF_INIT;
    w_session(w);
    w_build_bpp(w, o, &bpp);
    w_load(w, &bpp, pir);
    rsp_buf_free(&bpp);
}

#endif
