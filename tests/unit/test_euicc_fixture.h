/* Fixture of the card model tests: a PKI (CI, EUM, SM-DP, SM-SR), cards manufactured into a fleet,
 * and the SERVER-role codecs driving them (SCP80 wrap + PoR open, SMS-DELIVER building, host key
 * establishment, SCP03 host, SCP03t host wrap), as the SM-SR and SM-DP do. Header-only, included by
 * each test_euicc_*.c. */
#ifndef TEST_EUICC_FIXTURE_H
#define TEST_EUICC_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/apdu.h"
#include "rsp/crypto.h"
#include "rsp/euicc.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/keyest.h"
#include "rsp/rapdu.h"
#include "rsp/saip.h"
#include "rsp/scp03.h"
#include "rsp/scp03t.h"
#include "rsp/scp80.h"
#include "rsp/sms.h"
#include "rsp/tlv.h"

#define FX_SMSR_MSISDN "447700900001"
#define FX_T0 1800000000000LL

typedef struct fx {
    rsp_eckey *ci, *eum, *dp, *sr;
    rsp_buf cert_eum, cert_dp, cert_sr;
    uint8_t pk_ci[65];
    rsp_buf pkg;                /* TS.48 package, personalised for the provisioning profile */
    rsp_euicc_fleet *f;
    char dir[256];
    /* the SM-SR's view of card 0 */
    uint8_t kic[16], kid[16];
    uint8_t kvn;                /* SCP80 key version the SM-SR uses (1 unless changed) */
    uint64_t cntr;
    rsp_eckey *ecasd[4];        /* each card's SK.ECASD (the SM-DP only needs the public half) */
    int64_t now;
} fx;

static inline void fx_issue(rsp_eckey *subject, rsp_eckey *issuer, const char *ca, const char *name, int role, rsp_buf *out)
{
    static uint8_t serial = 1;
    uint8_t s = serial++;
    rsp_gpcert_template t = {&s, 1, ca, name, 0x82, "20261121", "20361121", role, NULL, 0};
    assert_int_equal(rsp_gpcert_issue(&t, subject, issuer, out), RSP_OK);
}

static inline void fx_eid(int i, char out[33])
{
    char d30[40];
    snprintf(d30, sizeof(d30), "890490321234512345%012d", 100 + i);
    assert_int_equal(rsp_eid_complete(d30, out), RSP_OK);
}

/* A personalised TS.48 package (file: one of /work/shared/profiles). */
static inline void fx_package(const char *file, const char *iccid18, const char *imsi, uint8_t pol1, rsp_buf *out)
{
    char rel[256], path[512];
    rsp_buf raw = RSP_BUF_INIT;
    snprintf(rel, sizeof(rel), "profiles/%s", file);
    tu_read_file(tu_shared_path(rel, path, sizeof(path)), &raw);
    rsp_saip_package pkg;
    assert_int_equal(rsp_saip_parse(raw.data, raw.len, 0, &pkg, NULL), RSP_OK);
    char iccid[21];
    snprintf(iccid, sizeof(iccid), "%s%d", iccid18, rsp_luhn_digit(iccid18, strlen(iccid18)));
    uint8_t ki[16], opc[16];
    rsp_random(ki, 16);
    rsp_random(opc, 16);
    rsp_saip_perso perso = {iccid, imsi, ki, 16, opc, 16};
    rsp_buf_reset(out);
    assert_int_equal(rsp_saip_personalize(&pkg, &perso, out, NULL), RSP_OK);
    rsp_saip_package_free(&pkg);
    rsp_buf_free(&raw);
    if (pol1) {
        /* POL1 lives in the header (tag 84 inside A0): append it, fixing the two lengths. */
        assert_int_equal(out->data[0], 0xA0);
        rsp_tlv h;
        assert_int_equal(rsp_tlv_parse(out->data, out->len, 0, &h, NULL), RSP_OK);
        rsp_buf nh = RSP_BUF_INIT;
        rsp_buf val = RSP_BUF_INIT;
        rsp_tlv ic;
        assert_int_equal(rsp_tlv_find(h.value, h.len, 0x83, &ic), RSP_OK);
        size_t at = (size_t)(ic.raw + ic.raw_len - h.value); /* pol [4] follows iccid [3] */
        rsp_buf_append(&val, h.value, at);
        uint8_t pol[3] = {0x84, 0x01, pol1};
        rsp_buf_append(&val, pol, 3);
        rsp_buf_append(&val, h.value + at, h.len - at);
        rsp_tlv_put(&nh, 0xA0, val.data, val.len);
        rsp_buf_append(&nh, out->data + h.raw_len, out->len - h.raw_len);
        rsp_buf_free(out);
        *out = nh;
        rsp_buf_free(&val);
    }
}

/* Manufactures card i into x->f (keys of card 0 are kept for the SM-SR side). */
static inline void fx_add_card(fx *x, int i)
{
    rsp_euicc_init in;
    memset(&in, 0, sizeof(in));
    fx_eid(i, in.eid);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &x->ecasd[i]), RSP_OK);
    uint8_t sk[32];
    assert_int_equal(rsp_ec_private_scalar(x->ecasd[i], sk), RSP_OK);
    rsp_buf cert = RSP_BUF_INIT;
    fx_issue(x->ecasd[i], x->eum, "EUM1", in.eid, RSP_GPCERT_ROLE_ECASD, &cert);
    in.sk_ecasd = sk;
    in.sk_ecasd_len = 32;
    in.curve = RSP_CURVE_P256;
    in.cert_ecasd = cert.data;
    in.cert_ecasd_len = cert.len;
    in.cert_eum = x->cert_eum.data;
    in.cert_eum_len = x->cert_eum.len;
    in.pk_ci = x->pk_ci;
    in.pk_ci_len = 65;
    in.scp80_kvn = x->kvn;
    memcpy(in.scp80_kic, x->kic, 16);
    memcpy(in.scp80_kid, x->kid, 16);
    in.scp81_kvn = 0x40;
    memset(in.scp81_psk, 0x5A, 16);
    snprintf(in.smsr_msisdn, sizeof(in.smsr_msisdn), FX_SMSR_MSISDN);
    snprintf(in.smsr_host, sizeof(in.smsr_host), "127.0.0.1");
    in.smsr_port = 8443;
    snprintf(in.smsr_uri, sizeof(in.smsr_uri), "/gp/admin");
    in.profile = x->pkg.data;
    in.profile_len = x->pkg.len;
    snprintf(in.msisdn, sizeof(in.msisdn), "4477009%05d", 10 + i);
    in.memory = 200000;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_euicc_fleet_add(x->f, &in, &d);
    if (e)
        fail_msg("fleet_add: %s", d.msg);
    rsp_wipe(sk, sizeof(sk));
    rsp_buf_free(&cert);
}

/* dir NULL: an in-memory fleet. */
static inline void fx_setup(fx *x, const char *dir, int ncards)
{
    memset(x, 0, sizeof(*x));
    x->now = FX_T0;
    x->kvn = 0x01;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &x->ci), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &x->eum), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &x->dp), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &x->sr), RSP_OK);
    fx_issue(x->eum, x->ci, "CI", "EUM1", RSP_GPCERT_ROLE_EUM, &x->cert_eum);
    fx_issue(x->dp, x->ci, "CI", "SMDP1", RSP_GPCERT_ROLE_SMDP, &x->cert_dp);
    fx_issue(x->sr, x->ci, "CI", "SMSR2", RSP_GPCERT_ROLE_SMSR, &x->cert_sr);
    assert_int_equal(rsp_ec_public_point(x->ci, x->pk_ci), RSP_OK);
    rsp_random(x->kic, 16);
    rsp_random(x->kid, 16);
    fx_package("TS48v7_SAIP2.3_NoBERTLV.der", "894450100000000001", "001010000000001", 0, &x->pkg);
    snprintf(x->dir, sizeof(x->dir), "%s", dir ? dir : ":memory:");
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_euicc_fleet_create(x->dir, &d, &x->f) != RSP_OK)
        fail_msg("fleet_create: %s", d.msg);
    for (int i = 0; i < ncards; i++)
        fx_add_card(x, i);
}

static inline void fx_teardown(fx *x)
{
    rsp_euicc_fleet_close(x->f);
    rsp_ec_free(x->ci);
    rsp_ec_free(x->eum);
    rsp_ec_free(x->dp);
    rsp_ec_free(x->sr);
    for (int i = 0; i < 4; i++)
        rsp_ec_free(x->ecasd[i]);
    rsp_buf_free(&x->cert_eum);
    rsp_buf_free(&x->cert_dp);
    rsp_buf_free(&x->cert_sr);
    rsp_buf_free_secret(&x->pkg);
}

static inline rsp_euicc *fx_card(fx *x, int i)
{
    char eid[33];
    fx_eid(i, eid);
    rsp_euicc *c = rsp_euicc_fleet_by_eid(x->f, eid);
    assert_non_null(c);
    return c;
}

/* Local APDU: returns the SW; data (may be NULL) gets the response data. */
static inline uint16_t fx_apdu(fx *x, rsp_euicc *c, const char *hex, rsp_buf *data)
{
    rsp_buf ap = RSP_BUF_INIT, r = RSP_BUF_INIT;
    tu_hex(hex, &ap);
    assert_int_equal(rsp_euicc_apdu(c, ap.data, ap.len, x->now, &r, NULL), RSP_OK);
    assert_true(r.len >= 2);
    uint16_t sw = rsp_be16(r.data + r.len - 2);
    if (data) {
        rsp_buf_reset(data);
        rsp_buf_append(data, r.data, r.len - 2);
    }
    rsp_buf_free(&ap);
    rsp_buf_free(&r);
    return sw;
}

/* Builds the SMS-DELIVER TPDUs carrying one SCP80 command packet (tar, spi) with the given counter. */
static inline void fx_sms_packet(fx *x, uint32_t tar, const uint8_t spi[2], uint64_t cntr, const uint8_t *data, size_t len,
                          rsp_buf *tpdus, size_t *n)
{
    uint8_t ki = (uint8_t)(x->kvn << 4 | 2);
    rsp_scp80_hdr h = {{spi[0], spi[1]}, ki, ki, {(uint8_t)(tar >> 16), (uint8_t)(tar >> 8), (uint8_t)tar}, {0}, 0, 0};
    for (int i = 0; i < 5; i++)
        h.cntr[i] = (uint8_t)(cntr >> (8 * (4 - i)));
    rsp_scp80_keys k = {x->kic, 16, x->kid, 16};
    size_t cap = len + RSP_SCP80_OVERHEAD, plen = 0;
    uint8_t *pkt = malloc(cap);
    assert_int_equal(rsp_scp80_cmd_build(&k, &h, data, len, pkt, cap, &plen, NULL), RSP_OK);
    rsp_buf parts[16];
    for (int i = 0; i < 16; i++)
        rsp_buf_init(&parts[i]);
    assert_int_equal(rsp_sms_split(pkt, plen, RSP_SMS_IEI_CMD_PKT, (uint16_t)(cntr & 0xFF), false, parts, 16, n, NULL),
                     RSP_OK);
    for (size_t i = 0; i < *n; i++) {
        rsp_sms_tpdu t;
        memset(&t, 0, sizeof(t));
        t.type = RSP_SMS_DELIVER;
        rsp_sms_addr_set(&t.addr, 0x91, FX_SMSR_MSISDN);
        t.ud = parts[i].data;
        t.ud_len = parts[i].len;
        rsp_buf_init(&tpdus[i]);
        assert_int_equal(rsp_sms_tpdu_build(&t, &tpdus[i]), RSP_OK);
    }
    for (int i = 0; i < 16; i++)
        rsp_buf_free(&parts[i]);
    free(pkt);
}

/* Feeds SMS-DELIVER TPDUs to the card; collects the card's MO SMS in out. */
static inline void fx_feed(fx *x, rsp_euicc *c, rsp_buf *tpdus, size_t n, rsp_euicc_out *out)
{
    for (size_t i = 0; i < n; i++) {
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_euicc_sms_pp(c, tpdus[i].data, tpdus[i].len, x->now, out, &d);
        if (e)
            fail_msg("sms_pp: %s", d.msg);
        rsp_buf_free(&tpdus[i]);
    }
}

/* Reassembles the card's SMS-SUBMITs (PoR, iei 71) from out into the PoR user data (with 02 71 00). */
static inline void fx_por_ud(const rsp_euicc_out *out, rsp_buf *por)
{
    rsp_sms_reasm r;
    rsp_sms_reasm_init(&r, 60000);
    bool done = false;
    uint8_t iei = 0;
    rsp_buf pkt = RSP_BUF_INIT;
    rsp_buf_reset(por);
    for (size_t i = 0; i < out->n_sms && !done; i++) {
        rsp_sms_tpdu t;
        assert_int_equal(rsp_sms_tpdu_parse(out->sms[i].tpdu.data, out->sms[i].tpdu.len, &t, NULL), RSP_OK);
        assert_int_equal(t.type, RSP_SMS_SUBMIT);
        rsp_sms_udh u;
        assert_int_equal(rsp_sms_udh_parse(t.ud, t.ud_len, &u, NULL), RSP_OK);
        if (u.spkt_iei != RSP_SMS_IEI_RESP_PKT && !(u.concat && u.seq > 1))
            continue;
        assert_int_equal(rsp_sms_reasm_add(&r, "smsr", t.ud, t.ud_len, 1, &pkt, &iei, &done, NULL), RSP_OK);
    }
    if (done) {
        uint8_t udh[3] = {0x02, 0x71, 0x00};
        rsp_buf_append(por, udh, 3);
        rsp_buf_append(por, pkt.data, pkt.len);
    }
    rsp_buf_free(&pkt);
    rsp_sms_reasm_free(&r);
}

/* SM-SR -> card by SMS: one expanded script of n C-APDUs to `tar` with SPI 16 39; checks the PoR
 * (status, CC) and returns the last SW (0 if no R-APDU), the response R-APDU data of the last in data. */
static inline uint16_t fx_sms_script(fx *x, rsp_euicc *c, uint32_t tar, const char *const *apdus, size_t n, rsp_buf *data,
                              rsp_euicc_out *keep)
{
    rsp_buf a[8], script = RSP_BUF_INIT;
    rsp_bytes b[8];
    for (size_t i = 0; i < n; i++) {
        rsp_buf_init(&a[i]);
        tu_hex(apdus[i], &a[i]);
        b[i] = rsp_buf_view(&a[i]);
    }
    assert_int_equal(rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, b, n, &script), RSP_OK);
    const uint8_t spi[2] = {0x16, 0x39};
    rsp_buf tp[16];
    size_t nt = 0;
    x->cntr++;
    fx_sms_packet(x, tar, spi, x->cntr, script.data, script.len, tp, &nt);
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    fx_feed(x, c, tp, nt, &out);
    rsp_buf por = RSP_BUF_INIT;
    fx_por_ud(&out, &por);
    assert_true(por.len > 0);
    uint8_t ki = (uint8_t)(x->kvn << 4 | 2);
    rsp_scp80_hdr h = {{0x16, 0x39}, ki, ki, {0}, {0}, 0, 0};
    rsp_scp80_keys k = {x->kic, 16, x->kid, 16};
    uint8_t *work = malloc(por.len + 3);
    rsp_scp80_por p;
    assert_int_equal(rsp_scp80_por_open(&k, &h, por.data, por.len, work, por.len + 3, &p, NULL), RSP_OK);
    assert_int_equal(p.status, RSP_SCP80_POR_OK);
    assert_true(p.cc_valid);
    rsp_rapdu_resp r;
    assert_int_equal(rsp_rapdu_resp_parse(RSP_RAPDU_EXPANDED, p.data, p.data_len, &r, NULL), RSP_OK);
    uint16_t sw = r.n ? r.rsps[r.n - 1].sw : 0;
    if (data) {
        rsp_buf_reset(data);
        if (r.n)
            rsp_buf_append(data, r.rsps[r.n - 1].p, r.rsps[r.n - 1].len);
    }
    free(work);
    rsp_buf_free(&por);
    rsp_buf_free(&script);
    for (size_t i = 0; i < n; i++)
        rsp_buf_free(&a[i]);
    if (keep)
        *keep = out;
    else
        rsp_euicc_out_clear(&out);
    return sw;
}

static inline uint16_t fx_sms1(fx *x, rsp_euicc *c, uint32_t tar, const char *apdu, rsp_buf *data)
{
    const char *a[1] = {apdu};
    return fx_sms_script(x, c, tar, a, 1, data, NULL);
}

/* ISD-P AID hex for a TAR. */
static inline void fx_isdp_hex(uint32_t tar, char out[33])
{
    rsp_aid a;
    assert_int_equal(rsp_aid_isdp(tar, &a), RSP_OK);
    rsp_aid_format(&a, out);
}

/* STORE DATA <dgi> 12 4F10 <ISD-P AID> (enable/disable/fall-back) as hex. */
static inline void fx_sd_aid(const char *dgi, uint32_t tar, char out[80])
{
    char aid[33];
    fx_isdp_hex(tar, aid);
    snprintf(out, 80, "80E2880015%s124F10%s", dgi, aid);
}

/* CreateISDP for tar with an optional memory quota (0: none), by SMS to the ISD-R. */
static inline uint16_t fx_create_isdp(fx *x, rsp_euicc *c, uint32_t tar, unsigned quota)
{
    char aid[33], cmd[300], par[40];
    fx_isdp_hex(tar, aid);
    if (quota)
        snprintf(par, sizeof(par), "0CC90481020370EF048302%04X", quota & 0xFFFF);
    else
        snprintf(par, sizeof(par), "06C90481020370");
    size_t lc = 3 * 17 + 4 + (quota ? 13 : 7) + 1;
    snprintf(cmd, sizeof(cmd),
             "80E60C00%02zX10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010%s0380C000%s00", lc,
             aid, par);
    return fx_sms1(x, c, 0x000001, cmd, NULL);
}

/* SM-DP: Scenario#3 with the ISD-P at tar, through the SM-SR's SCP80 channel (SMS, TAR of the ISD-P).
 * keys gets the SCP03 key set (KVN 30). */
static inline void fx_keyest(fx *x, rsp_euicc *c, int card, uint32_t tar, rsp_scp03_keys *keys)
{
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    rsp_buf apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    assert_int_equal(rsp_keyest_host_cert_apdu(x->cert_dp.data, x->cert_dp.len, &apdu), RSP_OK);
    char *hex = rsp_hex_dup(apdu.data, apdu.len);
    assert_int_equal(fx_sms1(x, c, tar, hex, &resp), 0x9000);
    free(hex);
    assert_int_equal(rsp_keyest_host_challenge(&h, resp.data, resp.len, NULL), RSP_OK);
    rsp_keyest_params p = {0, 0, 16, 0, 0x30, false, NULL, 0, NULL, 0};
    rsp_buf_reset(&apdu);
    assert_int_equal(rsp_keyest_host_keyagree_apdu(&h, &p, x->dp, RSP_CURVE_P256, &apdu), RSP_OK);
    hex = rsp_hex_dup(apdu.data, apdu.len);
    assert_int_equal(fx_sms1(x, c, tar, hex, &resp), 0x9000);
    free(hex);
    rsp_eckey *pk = NULL;
    uint8_t pt[65];
    assert_int_equal(rsp_ec_public_point(x->ecasd[card], pt), RSP_OK);
    assert_int_equal(rsp_ec_from_public(RSP_CURVE_P256, pt, 65, &pk), RSP_OK);
    assert_int_equal(rsp_keyest_host_finish(&h, pk, resp.data, resp.len, keys, NULL), RSP_OK);
    rsp_ec_free(pk);
    rsp_keyest_host_close(&h);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
}

/* One admin session step; returns the response body. */
static inline void fx_admin(fx *x, rsp_euicc *c, uint32_t tar, const uint8_t *body, size_t len, rsp_buf *resp,
                            const char *want_status)
{
    uint8_t aid[16];
    rsp_aid a;
    assert_int_equal(rsp_aid_isdp(tar, &a), RSP_OK);
    memcpy(aid, a.b, 16);
    char status[32];
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    rsp_buf_reset(resp);
    assert_int_equal(rsp_euicc_admin_script(c, body, len, aid, 16, x->now, resp, status, &out, NULL), RSP_OK);
    assert_string_equal(status, want_status);
    rsp_euicc_out_clear(&out);
}

/* SM-DP: SCP03t download of pkg into the ISD-P at tar; resp gets the card's last answer
 * (the EUICCResponse when the package was complete). cut > 0 stops after that many bytes of 86 TLVs. */
static inline void fx_scp03t(fx *x, rsp_euicc *c, uint32_t tar, const rsp_scp03_keys *keys, const uint8_t *pkg,
                             size_t len, size_t cut, rsp_buf *resp)
{
    uint8_t hc[8];
    rsp_random(hc, 8);
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_scp03t_host_init(keys->kvn, 0x01, hc, &b), RSP_OK);
    fx_admin(x, c, tar, b.data, b.len, resp, "ok");
    rsp_scp03_session s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(rsp_scp03t_host_begin(&s, keys, hc, resp->data, resp->len, NULL), RSP_OK);
    rsp_buf_reset(&b);
    assert_int_equal(rsp_scp03t_host_auth(&s, 0x33, &b), RSP_OK);
    assert_int_equal(rsp_scp03t_host_wrap(&s, pkg, len, 0, &b), RSP_OK);
    size_t send = b.len;
    if (cut) { /* whole TLVs only, as a session that breaks off between two POSTs */
        size_t pos = 0;
        rsp_tlv t;
        while (pos < b.len && rsp_tlv_parse(b.data + pos, b.len - pos, 0, &t, NULL) == RSP_OK && pos + t.raw_len <= cut)
            pos += t.raw_len;
        send = pos;
    }
    fx_admin(x, c, tar, b.data, send, resp, "ok");
    rsp_scp03_close(&s);
    rsp_buf_free(&b);
}

/* CreateISDP + Scenario#3 + SCP03t of pkg; asserts the EUICCResponse says installed. */
static inline void fx_download(fx *x, rsp_euicc *c, int card, uint32_t tar, const rsp_buf *pkg, rsp_scp03_keys *keys)
{
    assert_int_equal(fx_create_isdp(x, c, tar, 0x8000), 0x9000);
    fx_keyest(x, c, card, tar, keys);
    rsp_buf resp = RSP_BUF_INIT;
    fx_scp03t(x, c, tar, keys, pkg->data, pkg->len, 0, &resp);
    rsp_saip_euicc_response r;
    assert_int_equal(rsp_saip_euicc_response_decode(resp.data, resp.len, &r, NULL), RSP_OK);
    assert_false(r.installation_aborted);
    assert_int_equal(r.n_pe_status, 1);
    assert_int_equal(r.pe_status[0].status, RSP_SAIP_ST_OK);
    rsp_saip_euicc_response_free(&r);
    rsp_buf_free(&resp);
    rsp_euicc_admin_end(c, true, x->now);
}

/* Profile info of tar. */
static inline rsp_euicc_profile_info fx_prof(rsp_euicc *c, uint32_t tar)
{
    rsp_euicc_info info;
    assert_int_equal(rsp_euicc_info_get(c, &info), RSP_OK);
    char aid[33];
    fx_isdp_hex(tar, aid);
    for (size_t i = 0; i < info.n_profiles; i++)
        if (strcmp(info.profiles[i].aid, aid) == 0)
            return info.profiles[i];
    rsp_euicc_profile_info none;
    memset(&none, 0, sizeof(none));
    return none;
}

/* Opens the card's MO notification SMS (one part) as the SM-SR does and returns the E1 TLV. */
static inline void fx_open_notif(fx *x, const rsp_euicc_mo_sms *m, rsp_buf *e1)
{
    rsp_sms_tpdu t;
    assert_int_equal(rsp_sms_tpdu_parse(m->tpdu.data, m->tpdu.len, &t, NULL), RSP_OK);
    assert_int_equal(t.type, RSP_SMS_SUBMIT);
    assert_string_equal(m->to, FX_SMSR_MSISDN);
    rsp_sms_udh u;
    assert_int_equal(rsp_sms_udh_parse(t.ud, t.ud_len, &u, NULL), RSP_OK);
    assert_int_equal(u.spkt_iei, RSP_SMS_IEI_CMD_PKT);
    rsp_scp80_keys k = {x->kic, 16, x->kid, 16};
    uint8_t work[512];
    rsp_scp80_cmd cmd;
    assert_int_equal(rsp_scp80_cmd_open(&k, t.ud + u.len, t.ud_len - u.len, work, sizeof(work), &cmd, NULL), RSP_OK);
    assert_true(cmd.cc_valid);
    tu_assert_hex(cmd.h.tar, 3, "000001");
    rsp_buf_reset(e1);
    rsp_buf_append(e1, cmd.data, cmd.data_len);
}

/* Ticks the card and returns the notifications (type, seq) it sent. */
static inline size_t fx_tick(fx *x, rsp_euicc *c, uint8_t types[8], uint16_t seqs[8])
{
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    int64_t next = 0;
    assert_int_equal(rsp_euicc_tick(c, x->now, &out, &next), RSP_OK);
    size_t n = 0;
    for (size_t i = 0; i < out.n_sms && n < 8; i++) {
        rsp_buf e1 = RSP_BUF_INIT;
        fx_open_notif(x, &out.sms[i], &e1);
        rsp_tlv t4d, t4e;
        assert_int_equal(e1.data[0], 0xE1);
        rsp_tlv e;
        assert_int_equal(rsp_tlv_expect(e1.data, e1.len, 0xE1, &e, NULL), RSP_OK);
        assert_int_equal(rsp_tlv_find(e.value, e.len, 0x4D, &t4d), RSP_OK);
        assert_int_equal(rsp_tlv_find(e.value, e.len, 0x4E, &t4e), RSP_OK);
        types[n] = t4d.value[0];
        seqs[n++] = rsp_be16(t4e.value);
        rsp_buf_free(&e1);
    }
    rsp_euicc_out_clear(&out);
    return n;
}

/* SM-SR confirms notification seq (3A08); returns the SW and the answer data. */
static inline uint16_t fx_confirm(fx *x, rsp_euicc *c, uint16_t seq, rsp_buf *data)
{
    char cmd[40];
    snprintf(cmd, sizeof(cmd), "80E28900073A08044E02%04X", seq);
    return fx_sms1(x, c, 0x000001, cmd, data);
}

#endif
