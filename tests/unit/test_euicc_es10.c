/* ES10 codecs (include/rsp/es10.h). Outside facts, byte for byte: two real EUICCInfo1 answers (a
 * public LPA's unit test and the onomondo eIM documentation) decode and re-encode to the same bytes;
 * a real sysmoEUICC1-I2T PIR (tests/data/sgp26/SOURCE.md) decodes, its euiccSignPIR verifies with that
 * card's CERT.EUICC key over the BF27 bytes, and our encoder rebuilds that BF27 byte for byte; the
 * NotificationEvent DER of SGP22.md; pysim's real-card EUICCInfo2 and ProfileInfo values round-trip.
 * Then round trips of every request/answer, and malformed input (truncations, mutations, non-DER
 * lengths, missing, repeated and out-of-order members) fails cleanly with a diag. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/crypto.h"
#include "rsp/es10.h"
#include "rsp/pki22.h"
#include "rsp/tlv.h"
#include "testutil.h"

static void data_file(const char *name, rsp_buf *out)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/data/sgp26/%s", RSP_SOURCE_DIR, name);
    tu_read_file(path, out);
}

static const char SKI_NIST[] = "F54172BDF98A95D65CBEB88A38A1C11D800A85C3";
static const char SKI_BRP[] = "C0BC70BA36929D43B467FF57570530E57AB8FCD8";

/* Every proper prefix fails with a diag; every single-byte change is handled without a fault. */
typedef rsp_err (*decode_fn)(const uint8_t *p, size_t len, rsp_diag *d);

static void hammer(const rsp_buf *msg, decode_fn fn)
{
    rsp_diag d;
    for (size_t n = 0; n < msg->len; n++) {
        rsp_diag_clear(&d);
        rsp_err e = fn(msg->data, n, &d);
        assert_int_not_equal(e, RSP_OK);
        assert_int_not_equal(d.err, RSP_OK);
    }
    uint8_t *m = malloc(msg->len);
    for (size_t i = 0; i < msg->len; i++) {
        memcpy(m, msg->data, msg->len);
        m[i] ^= 0xA5;
        rsp_diag_clear(&d);
        (void)fn(m, msg->len, &d);
    }
    free(m);
}

static rsp_err dec_info1(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_info1 x;
    return rsp_es10_info1_decode(p, n, &x, d);
}

static void test_info1_real(void **state)
{
    (void)state;
    static const char *const samples[] = {
        /* svn 2.2.2 (a public Android LPA's unit test), and svn 2.5.0 (onomondo eIM documentation). */
        "BF20618203020202A92C0414F54172BDF98A95D65CBEB88A38A1C11D800A85C30414C0BC70BA36929D43B467FF57570530E57AB8FCD8"
        "AA2C0414F54172BDF98A95D65CBEB88A38A1C11D800A85C30414C0BC70BA36929D43B467FF57570530E57AB8FCD8",
        "BF20618203020500A92C0414F54172BDF98A95D65CBEB88A38A1C11D800A85C30414C0BC70BA36929D43B467FF57570530E57AB8FCD8"
        "AA2C0414F54172BDF98A95D65CBEB88A38A1C11D800A85C30414C0BC70BA36929D43B467FF57570530E57AB8FCD8",
    };
    for (size_t i = 0; i < 2; i++) {
        rsp_buf in = RSP_BUF_INIT, out = RSP_BUF_INIT;
        tu_hex(samples[i], &in);
        rsp_es10_info1 x;
        assert_int_equal(rsp_es10_info1_decode(in.data, in.len, &x, NULL), RSP_OK);
        tu_assert_hex(x.svn, 3, i == 0 ? "020202" : "020500");
        assert_int_equal(x.verification.n, 2);
        assert_int_equal(x.signing.n, 2);
        /* The SGP.26 test CIs' SKIs of SGP22.md, in both lists. */
        tu_assert_hex(x.verification.ski[0].p, x.verification.ski[0].len, SKI_NIST);
        tu_assert_hex(x.verification.ski[1].p, x.verification.ski[1].len, SKI_BRP);
        tu_assert_hex(x.signing.ski[1].p, x.signing.ski[1].len, SKI_BRP);
        assert_int_equal(rsp_es10_info1_encode(&x, &out), RSP_OK);
        assert_int_equal(out.len, in.len);
        assert_memory_equal(out.data, in.data, in.len);
        hammer(&in, dec_info1);
        rsp_buf_free(&in);
        rsp_buf_free(&out);
    }
}

static rsp_err dec_info2(const uint8_t *p, size_t n, rsp_diag *d)
{
    rsp_es10_info2 x;
    return rsp_es10_info2_decode(p, n, &x, d);
}

/* pysim tests/pySim-shell_test/euicc/euicc_info2.ok: a sysmoEUICC1-C2T's EUICCInfo2, as decoded values. */
static void test_info2_pysim_card(void **state)
{
    (void)state;
    rsp_buf ecr = RSP_BUF_INIT, uicc = RSP_BUF_INIT, rspc = RSP_BUF_INIT, ski = RSP_BUF_INIT, ppr = RSP_BUF_INIT,
            out = RSP_BUF_INIT;
    tu_hex("810108820400045bf883022419", &ecr);
    tu_hex("067f36f3c0", &uicc);
    tu_hex("0398", &rspc);
    tu_hex(SKI_NIST, &ski);
    tu_hex("0640", &ppr);
    rsp_es10_info2 in = {
        .profile_version = {2, 3, 1}, .svn = {2, 3, 0}, .firmware_version = {35, 6, 35},
        .ext_card_resource = rsp_buf_view(&ecr), .uicc_capability = rsp_buf_view(&uicc),
        .has_ts102241_version = true, .ts102241_version = {15, 1, 0}, .has_gp_version = true,
        .gp_version = {2, 3, 0}, .rsp_capability = rsp_buf_view(&rspc), .euicc_category = -1,
        .forbidden_ppr = rsp_buf_view(&ppr), .pp_version = {1, 0, 0},
        .sas_accreditation = rsp_bytes_of((const uint8_t *)"SYSMOCOM-TEST-1", 15),
    };
    in.verification.n = in.signing.n = 1;
    in.verification.ski[0] = in.signing.ski[0] = rsp_buf_view(&ski);
    assert_int_equal(rsp_es10_info2_encode(&in, &out), RSP_OK);
    rsp_es10_info2 x;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es10_info2_decode(out.data, out.len, &x, &d), RSP_OK);
    tu_assert_hex(x.firmware_version, 3, "230623");
    tu_assert_hex(x.ext_card_resource.p, x.ext_card_resource.len, "810108820400045BF883022419");
    tu_assert_hex(x.rsp_capability.p, x.rsp_capability.len, "0398");
    tu_assert_hex(x.forbidden_ppr.p, x.forbidden_ppr.len, "0640");
    assert_true(x.has_ts102241_version && x.has_gp_version);
    tu_assert_hex(x.pp_version, 3, "010000");
    assert_int_equal(x.euicc_category, -1);
    assert_int_equal(x.sas_accreditation.len, 15);
    tu_assert_hex(x.signing.ski[0].p, 20, SKI_NIST);
    /* The head of the value, by hand from the module's tags: 81 profileVersion, 82 svn, 83 firmware. */
    assert_true(out.len > 18 && out.data[0] == 0xBF && out.data[1] == 0x22 && out.data[2] == out.len - 3);
    tu_assert_hex(out.data + 3, 15, "810302030182030203008303230623");
    hammer(&out, dec_info2);
    rsp_buf_free(&ecr);
    rsp_buf_free(&uicc);
    rsp_buf_free(&rspc);
    rsp_buf_free(&ski);
    rsp_buf_free(&ppr);
    rsp_buf_free(&out);
}


static rsp_err dec_list(const uint8_t *p, size_t n, rsp_diag *d)
{
    static rsp_es10_notif_list x; /* large: kept off the stack */
    return rsp_es10_notif_list_decode(p, n, 0, &x, d);
}

/* A real card's pending PIR: fields, signature by its CERT.EUICC key, and our BF27 encoder byte for byte. */
static void test_pir_real_card(void **state)
{
    (void)state;
    rsp_buf list = RSP_BUF_INIT, cert = RSP_BUF_INIT, re = RSP_BUF_INIT;
    data_file("notifications_list_sysmoEUICC1-I2T.der", &list);
    data_file("CERT_EUICC_sysmoEUICC1-I2T.der", &cert);
    static rsp_es10_notif_list l;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es10_notif_list_decode(list.data, list.len, 0, &l, &d), RSP_OK);
    assert_true(l.ok);
    assert_int_equal(l.n, 1);
    const rsp_es10_pending *pn = &l.items[0];
    assert_true(pn->is_pir);
    const rsp_es10_pir *pir = &pn->pir;
    tu_assert_hex(pir->transaction_id.p, pir->transaction_id.len, "E0F1356728A44720B219A3B70C9DF57E");
    assert_int_equal(pir->meta.seq, 2);
    assert_int_equal(pir->meta.events, RSP_ES10_EVENT_INSTALL);
    assert_int_equal(pir->meta.address.len, 25);
    assert_memory_equal(pir->meta.address.p, "testsmdpplus1.example.com", 25);
    /* ICCID 8949449999999990031 (pysim's TS48V1-B-UNIQUE profile), nibble-swapped with F padding. */
    tu_assert_hex(pir->meta.iccid.p, pir->meta.iccid.len, "989444999999990930F1");
    tu_assert_hex(pir->smdp_oid.p, pir->smdp_oid.len, "88370A"); /* 2.999.10 */
    assert_false(pir->success);
    assert_int_equal(pir->bpp_command_id, 2);  /* storeMetadata */
    assert_int_equal(pir->error_reason, 9);    /* iccidAlreadyExistsOnEuicc */
    /* euiccSignPIR covers the BF27 bytes; the key is the card's CERT.EUICC. */
    rsp_pki22_info info;
    rsp_eckey *k = NULL;
    assert_int_equal(rsp_pki22_inspect(cert.data, cert.len, &info, NULL), RSP_OK);
    assert_int_equal(rsp_ec_from_public(info.curve, info.pub, sizeof(info.pub), &k), RSP_OK);
    assert_int_equal(rsp_ecdsa_verify(k, pir->data_raw.p, pir->data_raw.len, pir->signature.p, pir->signature.len),
                     RSP_OK);
    uint8_t bad[RSP_ES10_SIG_LEN];
    memcpy(bad, pir->signature.p, sizeof(bad));
    bad[10] ^= 1;
    assert_int_equal(rsp_ecdsa_verify(k, pir->data_raw.p, pir->data_raw.len, bad, sizeof(bad)), RSP_ERR_VERIFY);
    /* Our encoder, from the decoded fields, rebuilds the card's BF27 and the whole BF37. */
    assert_int_equal(rsp_es10_pir_data_encode(pir, &re), RSP_OK);
    assert_int_equal(re.len, pir->data_raw.len);
    assert_memory_equal(re.data, pir->data_raw.p, re.len);
    rsp_buf whole = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_pir_encode(re.data, re.len, pir->signature.p, &whole), RSP_OK);
    assert_int_equal(whole.len, pir->raw.len);
    assert_memory_equal(whole.data, pir->raw.p, whole.len);
    /* The same PIR inside a RetrieveNotificationsList answer (BF2B). */
    rsp_buf bf2b = RSP_BUF_INIT;
    size_t m;
    rsp_tlv_begin(&bf2b, RSP_ES10_RETRIEVE_NOTIFICATIONS, &m);
    rsp_buf_append(&bf2b, list.data, list.len);
    rsp_tlv_end(&bf2b, m);
    assert_int_equal(rsp_es10_notif_list_decode(bf2b.data, bf2b.len, RSP_ES10_RETRIEVE_NOTIFICATIONS, &l, NULL), RSP_OK);
    assert_int_equal(l.n, 1);
    hammer(&list, dec_list);
    rsp_ec_free(k);
    rsp_buf_free(&list);
    rsp_buf_free(&cert);
    rsp_buf_free(&re);
    rsp_buf_free(&whole);
    rsp_buf_free(&bf2b);
}

/* SGP22.md: NotificationEvent in DER, one bit each. */
static void test_notification_events(void **state)
{
    (void)state;
    static const struct {
        unsigned ev;
        const char *der;
    } cases[] = {{RSP_ES10_EVENT_INSTALL, "81020780"},
                 {RSP_ES10_EVENT_ENABLE, "81020640"},
                 {RSP_ES10_EVENT_DISABLE, "81020520"},
                 {RSP_ES10_EVENT_DELETE, "81020410"}};
    for (size_t i = 0; i < 4; i++) {
        rsp_buf b = RSP_BUF_INIT;
        rsp_es10_notif_meta m = {.seq = 300, .events = cases[i].ev,
                                 .address = rsp_bytes_of((const uint8_t *)"smdp.example", 12)};
        assert_int_equal(rsp_es10_notif_meta_encode(&m, &b), RSP_OK);
        /* BF2F 16 | 80 02 012C | 81 02 .. .. | 0C 0C smdp.example */
        tu_assert_hex(b.data, 7, "BF2F168002012C");
        tu_assert_hex(b.data + 7, 4, cases[i].der);
        rsp_es10_notif_meta back;
        assert_int_equal(rsp_es10_notif_meta_decode(b.data, b.len, &back, NULL), RSP_OK);
        assert_int_equal(back.events, cases[i].ev);
        assert_int_equal(back.seq, 300);
        assert_int_equal(back.iccid.len, 0);
        rsp_buf_free(&b);
    }
}

static void test_get_eid_challenge(void **state)
{
    (void)state;
    rsp_buf req = RSP_BUF_INIT, resp = RSP_BUF_INIT, eidb = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_empty_request(RSP_ES10_GET_EID, &req), RSP_OK);
    tu_assert_hex(req.data, req.len, "BF3E035C015A");
    assert_int_equal(rsp_es10_empty_request_check(req.data, req.len, RSP_ES10_GET_EID, NULL), RSP_OK);
    rsp_buf_reset(&req);
    tu_hex("BF3E035C0180", &req); /* a tagList without the EID */
    assert_int_equal(rsp_es10_empty_request_check(req.data, req.len, RSP_ES10_GET_EID, NULL), RSP_ERR_RANGE);
    rsp_buf_reset(&req);
    assert_int_equal(rsp_es10_empty_request(RSP_ES10_EUICC_INFO1, &req), RSP_OK);
    tu_assert_hex(req.data, req.len, "BF2000");
    /* pysim get_eid.ok: a real card's EID, in reading order. */
    tu_hex("89049044900000000000000000102355", &eidb);
    assert_int_equal(rsp_es10_eid_response_encode(eidb.data, &resp), RSP_OK);
    tu_assert_hex(resp.data, resp.len, "BF3E125A1089049044900000000000000000102355");
    uint8_t eid[16];
    assert_int_equal(rsp_es10_eid_response_decode(resp.data, resp.len, eid, NULL), RSP_OK);
    assert_memory_equal(eid, eidb.data, 16);
    rsp_buf_reset(&resp);
    assert_int_equal(rsp_es10_challenge_response_encode(eidb.data, &resp), RSP_OK);
    tu_assert_hex(resp.data, 5, "BF2E128010");
    uint8_t ch[16];
    assert_int_equal(rsp_es10_challenge_response_decode(resp.data, resp.len, ch, NULL), RSP_OK);
    /* A 15-byte challenge is refused. */
    rsp_buf_reset(&resp);
    tu_hex("BF2E11800F000102030405060708090A0B0C0D0E", &resp);
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es10_challenge_response_decode(resp.data, resp.len, ch, &d), RSP_ERR_LENGTH);
    assert_int_equal(d.offset, 3);
    rsp_buf_free(&req);
    rsp_buf_free(&resp);
    rsp_buf_free(&eidb);
}

static rsp_err dec_profiles(const uint8_t *p, size_t n, rsp_diag *d)
{
    static rsp_es10_profiles x;
    return rsp_es10_profiles_decode(p, n, &x, d);
}

/* pysim get_profiles_info.ok: a real card's two profiles (icon shortened), encoded and read back. */
static void test_profiles(void **state)
{
    (void)state;
    rsp_buf iccid1 = RSP_BUF_INIT, iccid2 = RSP_BUF_INIT, aid1 = RSP_BUF_INIT, aid2 = RSP_BUF_INIT, out = RSP_BUF_INIT;
    tu_hex("98001032547698103214", &iccid1); /* 89000123456789012341 as in EF.ICCID */
    tu_hex("989444999999990930F1", &iccid2);
    tu_hex("A0000005591010FFFFFFFF8900001000", &aid1);
    tu_hex("A0000005591010FFFFFFFF8900001200", &aid2);
    static const uint8_t png[] = {0x89, 0x50, 0x4E, 0x47};
    rsp_es10_profile_info p[2] = {
        {.iccid = rsp_buf_view(&iccid1), .isdp_aid = rsp_buf_view(&aid1), .state = 1,
         .nickname = rsp_bytes_of((const uint8_t *)"this-is-a-testprofile", 21),
         .spn = rsp_bytes_of((const uint8_t *)"SP Name 1", 9),
         .name = rsp_bytes_of((const uint8_t *)"Operational Profile Name 1", 26), .icon_type = 1,
         .icon = rsp_bytes_of(png, 4), .profile_class = 0},
        {.iccid = rsp_buf_view(&iccid2), .isdp_aid = rsp_buf_view(&aid2), .state = 0,
         .spn = rsp_bytes_of((const uint8_t *)"OsmocomSPN", 10),
         .name = rsp_bytes_of((const uint8_t *)"TS48V1-B-UNIQUE", 15), .icon_type = -1, .profile_class = 2},
    };
    assert_int_equal(rsp_es10_profiles_encode(p, 2, &out), RSP_OK);
    static rsp_es10_profiles x;
    assert_int_equal(rsp_es10_profiles_decode(out.data, out.len, &x, NULL), RSP_OK);
    assert_true(x.ok);
    assert_int_equal(x.n, 2);
    assert_int_equal(x.items[0].state, 1);
    assert_int_equal(x.items[0].profile_class, 0);
    assert_int_equal(x.items[0].icon_type, 1);
    assert_int_equal(x.items[1].state, 0);
    assert_int_equal(x.items[1].icon_type, -1);
    assert_int_equal(x.items[1].nickname.len, 0);
    tu_assert_hex(x.items[1].isdp_aid.p, 16, "A0000005591010FFFFFFFF8900001200");
    /* 9F70 profileState is a two-byte tag, after 5A and 4F in the first E3. */
    static const uint32_t path[] = {RSP_ES10_GET_PROFILES_INFO, 0xA0, 0xE3};
    rsp_tlv e3, st;
    assert_int_equal(rsp_tlv_find_path(out.data, out.len, path, 3, &e3), RSP_OK);
    tu_assert_hex(e3.value, 4, "5A0A9800");
    assert_int_equal(rsp_tlv_find(e3.value, e3.len, 0x9F70, &st), RSP_OK);
    tu_assert_hex(st.raw, st.raw_len, "9F700101");
    hammer(&out, dec_profiles);
    /* The error form. */
    rsp_buf_reset(&out);
    tu_hex("BF2D03810101", &out);
    assert_int_equal(rsp_es10_profiles_decode(out.data, out.len, &x, NULL), RSP_OK);
    assert_false(x.ok);
    assert_int_equal(x.error, 1);
    /* Enable by ICCID, refresh; delete by AID; results. */
    rsp_es10_profile_req rq = {.tag = RSP_ES10_ENABLE_PROFILE, .by = RSP_ES10_BY_ICCID, .id = rsp_buf_view(&iccid2),
                               .refresh = true}, back;
    rsp_buf_reset(&out);
    assert_int_equal(rsp_es10_profile_req_encode(&rq, &out), RSP_OK);
    tu_assert_hex(out.data, out.len, "BF3111A00C5A0A989444999999990930F18101FF");
    assert_int_equal(rsp_es10_profile_req_decode(out.data, out.len, &back, NULL), RSP_OK);
    assert_int_equal(back.by, RSP_ES10_BY_ICCID);
    assert_true(back.refresh);
    rq.tag = RSP_ES10_DELETE_PROFILE;
    rq.by = RSP_ES10_BY_AID;
    rq.id = rsp_buf_view(&aid2);
    rsp_buf_reset(&out);
    assert_int_equal(rsp_es10_profile_req_encode(&rq, &out), RSP_OK);
    tu_assert_hex(out.data, out.len, "BF33124F10A0000005591010FFFFFFFF8900001200");
    assert_int_equal(rsp_es10_profile_req_decode(out.data, out.len, &back, NULL), RSP_OK);
    assert_int_equal(back.tag, RSP_ES10_DELETE_PROFILE);
    rsp_buf_reset(&out);
    tu_hex("BF3306" "4F04A0000005", &out); /* an AID of 4 bytes */
    assert_int_equal(rsp_es10_profile_req_decode(out.data, out.len, &back, NULL), RSP_ERR_LENGTH);
    rsp_buf_reset(&out);
    assert_int_equal(rsp_es10_result_encode(RSP_ES10_DISABLE_PROFILE, 2, &out), RSP_OK);
    tu_assert_hex(out.data, out.len, "BF3203800102");
    int r = -1;
    assert_int_equal(rsp_es10_result_decode(out.data, out.len, RSP_ES10_DISABLE_PROFILE, &r, NULL), RSP_OK);
    assert_int_equal(r, 2);
    rsp_buf_reset(&out);
    tu_hex("BF320480020100", &out); /* 256: unknown results read as undefined */
    assert_int_equal(rsp_es10_result_decode(out.data, out.len, RSP_ES10_DISABLE_PROFILE, &r, NULL), RSP_OK);
    assert_int_equal(r, 127);
    rsp_buf_free(&iccid1);
    rsp_buf_free(&iccid2);
    rsp_buf_free(&aid1);
    rsp_buf_free(&aid2);
    rsp_buf_free(&out);
}


/* The remaining requests of the notes' table, byte for byte from the module's tags. */
static void test_misc_requests(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT, iccid = RSP_BUF_INIT;
    tu_hex("989444999999990930F1", &iccid);
    static const uint8_t tags[] = {0x5A, 0x4F, 0x9F, 0x70};
    rsp_es10_profiles_req pr = {.has_search = true, .by = RSP_ES10_BY_ICCID, .value = rsp_buf_view(&iccid),
                                .tag_list = rsp_bytes_of(tags, 4)}, px;
    assert_int_equal(rsp_es10_profiles_req_encode(&pr, &b), RSP_OK);
    tu_assert_hex(b.data, b.len, "BF2D14A00C5A0A989444999999990930F15C045A4F9F70");
    assert_int_equal(rsp_es10_profiles_req_decode(b.data, b.len, &px, NULL), RSP_OK);
    assert_true(px.has_search);
    assert_int_equal(px.by, RSP_ES10_BY_ICCID);
    assert_int_equal(px.tag_list.len, 4);
    rsp_buf_reset(&b);
    tu_hex("BF2D00", &b);
    assert_int_equal(rsp_es10_profiles_req_decode(b.data, b.len, &px, NULL), RSP_OK);
    assert_false(px.has_search);
    rsp_buf_reset(&b);
    tu_hex("BF2D07A0054F00950102", &b); /* an empty AID */
    assert_int_equal(rsp_es10_profiles_req_decode(b.data, b.len, &px, NULL), RSP_ERR_LENGTH);
    rsp_buf_reset(&b);
    tu_hex("BF2D11A00F5A0A989444999999990930F1950102", &b); /* two criteria */
    assert_int_equal(rsp_es10_profiles_req_decode(b.data, b.len, &px, NULL), RSP_ERR_TAG);
    /* SetNickname: 90 sent, 8F (pysim) accepted. */
    rsp_bytes ic, nick;
    rsp_buf_reset(&b);
    assert_int_equal(rsp_es10_nickname_req_encode(rsp_buf_view(&iccid), rsp_bytes_of((const uint8_t *)"work", 4), &b),
                     RSP_OK);
    tu_assert_hex(b.data, b.len, "BF29125A0A989444999999990930F19004776F726B");
    assert_int_equal(rsp_es10_nickname_req_decode(b.data, b.len, &ic, &nick, NULL), RSP_OK);
    assert_int_equal(nick.len, 4);
    b.data[b.len - 6] = 0x8F;
    assert_int_equal(rsp_es10_nickname_req_decode(b.data, b.len, &ic, &nick, NULL), RSP_OK);
    assert_memory_equal(nick.p, "work", 4);
    /* eUICCMemoryReset: deleteOperational + deleteFieldLoadedTest; resetDefaultSmdpAddress alone. */
    rsp_buf_reset(&b);
    assert_int_equal(rsp_es10_memory_reset_req_encode(3, &b), RSP_OK);
    tu_assert_hex(b.data, b.len, "BF3404820206C0");
    unsigned bits = 0;
    assert_int_equal(rsp_es10_memory_reset_req_decode(b.data, b.len, &bits, NULL), RSP_OK);
    assert_int_equal(bits, 3);
    rsp_buf_reset(&b);
    assert_int_equal(rsp_es10_memory_reset_req_encode(4, &b), RSP_OK);
    tu_assert_hex(b.data, b.len, "BF340482020520");
    rsp_buf_reset(&b);
    tu_hex("BF340482020880", &b); /* 8 unused bits */
    assert_int_equal(rsp_es10_memory_reset_req_decode(b.data, b.len, &bits, NULL), RSP_ERR_FORMAT);
    /* Configured addresses and SetDefaultDpAddress. */
    rsp_bytes dp, ds;
    rsp_buf_reset(&b);
    assert_int_equal(rsp_es10_addresses_encode(rsp_bytes_of((const uint8_t *)"smdp.io", 7),
                                               rsp_bytes_of((const uint8_t *)"lpa.ds.gsma.com", 15), &b),
                     RSP_OK);
    tu_assert_hex(b.data, 5, "BF3C1A8007");
    assert_int_equal(rsp_es10_addresses_decode(b.data, b.len, &dp, &ds, NULL), RSP_OK);
    assert_int_equal(dp.len, 7);
    assert_int_equal(ds.len, 15);
    rsp_buf_reset(&b);
    tu_hex("BF3C03800100", &b); /* rootDsAddress missing */
    assert_int_equal(rsp_es10_addresses_decode(b.data, b.len, &dp, &ds, NULL), RSP_ERR_TAG);
    rsp_buf_reset(&b);
    assert_int_equal(rsp_es10_set_default_dp_encode(rsp_bytes_of((const uint8_t *)"smdp.io", 7), &b), RSP_OK);
    tu_assert_hex(b.data, b.len, "BF3F098007736D64702E696F");
    assert_int_equal(rsp_es10_set_default_dp_decode(b.data, b.len, &dp, NULL), RSP_OK);
    rsp_buf_free(&b);
    rsp_buf_free(&iccid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info1_real),
        cmocka_unit_test(test_info2_pysim_card),
        cmocka_unit_test(test_pir_real_card),
        cmocka_unit_test(test_notification_events),
        cmocka_unit_test(test_get_eid_challenge),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_misc_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
