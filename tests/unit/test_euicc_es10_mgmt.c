/* The consumer card's profile management and notifications through its entry point, on profiles it
 * installed itself (test_euicc_es10_world.h): enable / disable / delete with one enabled profile at a
 * time, PPR1 and PPR2, the signed notifications the metadata asks for (checked as an SM-DP+ checks them:
 * euiccNotificationSignature by CERT.EUICC over the BF2F as received, the NotificationEvent DER of the
 * notes byte for byte), list / retrieve / remove, nickname, GetProfilesInfo search and tag list,
 * eUICCMemoryReset, configured addresses, GetRAT; every state durable across a close and reopen, and a
 * BPP cut in the middle (the card closed) leaving nothing. */
#include "rsp/crl.h"
#include "test_euicc_es10_world.h"

#define ICCID_A "8949449999999990015"
#define ICCID_B "8949449999999990023"
#define NOTIF_ADDR "notif.example.test"

static void install(world *w, const rsp_buf *upp, const char *iccid, int pclass, unsigned ppr)
{
    rsp_saip_package pkg;
    rsp_buf one = RSP_BUF_INIT, pir = RSP_BUF_INIT;
    assert_int_equal(rsp_saip_parse(upp->data, upp->len, 0, &pkg, NULL), RSP_OK);
    rsp_saip_perso ps = {.iccid = iccid};
    assert_int_equal(rsp_saip_personalize(&pkg, &ps, &one, NULL), RSP_OK);
    rsp_saip_package_free(&pkg);
    download(w, &(bpp_opts){.upp = &one, .pclass = pclass, .has_ppr = ppr != 0, .ppr = ppr, .notif_addr = NOTIF_ADDR},
             &pir);
    rsp_es10_pir p;
    w_check_pir(w, &pir, &p);
    assert_true(p.success);
    rsp_buf_free_secret(&one);
    rsp_buf_free(&pir);
}

/* Enable (BF31), disable (BF32) or delete (BF33) by ICCID; the result code. */
static int op(world *w, uint32_t tag, const char *iccid)
{
    uint8_t id[10];
    rsp_iccid_to_swapped(iccid, id);
    rsp_es10_profile_req r = {.tag = tag, .by = RSP_ES10_BY_ICCID, .id = rsp_bytes_of(id, 10), .refresh = true};
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_profile_req_encode(&r, &req), RSP_OK);
    w_es10(w, &req, &ans);
    int res = -1;
    assert_int_equal(rsp_es10_result_decode(ans.data, ans.len, tag, &res, NULL), RSP_OK);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    return res;
}

static int state_of(world *w, const char *iccid)
{
    uint8_t id[10];
    rsp_iccid_to_swapped(iccid, id);
    rsp_es10_profiles pr;
    size_t n = profile_count(w, &pr);
    for (size_t i = 0; i < n; i++)
        if (!memcmp(pr.items[i].iccid.p, id, 10))
            return pr.items[i].state;
    return -1;
}

/* The pending notifications other than PIRs, each checked as a server checks it. */
static size_t other_notifs(world *w, unsigned *events, uint32_t *seqs, size_t max)
{
    rsp_es10_notif_list nl;
    rsp_buf keep = RSP_BUF_INIT;
    notifications(w, &nl, &keep);
    rsp_pki22_info eu;
    rsp_eckey *pk = NULL;
    assert_int_equal(rsp_pki22_inspect(w->c_euicc.data, w->c_euicc.len, &eu, NULL), RSP_OK);
    assert_int_equal(rsp_ec_from_public(eu.curve, eu.pub, 65, &pk), RSP_OK);
    size_t k = 0;
    for (size_t i = 0; i < nl.n && k < max; i++) {
        if (nl.items[i].is_pir)
            continue;
        rsp_es10_pending *p = &nl.items[i];
        assert_int_equal(rsp_ecdsa_verify(pk, p->meta.raw.p, p->meta.raw.len, p->signature.p, 64), RSP_OK);
        assert_int_equal(p->cert_euicc.len, w->c_euicc.len);
        assert_int_equal(p->meta.address.len, strlen(NOTIF_ADDR));
        assert_memory_equal(p->meta.address.p, NOTIF_ADDR, strlen(NOTIF_ADDR));
        events[k] = p->meta.events;
        seqs[k++] = p->meta.seq;
    }
    rsp_ec_free(pk);
    rsp_buf_free(&keep);
    return k;
}

static void test_enable_disable_delete(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf upp = RSP_BUF_INIT;
    read_profile(&upp);
    install(&w, &upp, ICCID_A, -1, 0);
    install(&w, &upp, ICCID_B, -1, RSP_ES10_PPR2);
    assert_int_equal(op(&w, RSP_ES10_ENABLE_PROFILE, ICCID_A), 0);
    assert_int_equal(op(&w, RSP_ES10_ENABLE_PROFILE, ICCID_A), 2); /* not disabled */
    assert_int_equal(op(&w, RSP_ES10_DELETE_PROFILE, ICCID_A), 2); /* enabled */
    assert_int_equal(op(&w, RSP_ES10_ENABLE_PROFILE, ICCID_B), 0); /* A gives way */
    assert_int_equal(state_of(&w, ICCID_A), 0);
    assert_int_equal(state_of(&w, ICCID_B), 1);
    assert_int_equal(op(&w, RSP_ES10_DISABLE_PROFILE, ICCID_A), 2); /* not enabled */
    assert_int_equal(op(&w, RSP_ES10_DISABLE_PROFILE, ICCID_B), 0);
    assert_int_equal(op(&w, RSP_ES10_DELETE_PROFILE, ICCID_B), 3);  /* PPR2 */
    assert_int_equal(op(&w, RSP_ES10_DELETE_PROFILE, "8949449999999990031"), 1);
    assert_int_equal(op(&w, RSP_ES10_DELETE_PROFILE, ICCID_A), 0);
    assert_int_equal(state_of(&w, ICCID_A), -1);
    /* enable A(install) ... : notifications enable A, disable A, enable B, disable B, delete A, in order */
    unsigned ev[8];
    uint32_t seq[8];
    assert_int_equal(other_notifs(&w, ev, seq, 8), 5);
    unsigned want[] = {RSP_ES10_EVENT_ENABLE, RSP_ES10_EVENT_DISABLE, RSP_ES10_EVENT_ENABLE, RSP_ES10_EVENT_DISABLE,
                       RSP_ES10_EVENT_DELETE};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ev[i], want[i]);
        assert_int_equal(seq[i], 3 + i); /* the two PIRs took 1 and 2 */
    }
    /* the enable notification's BF2F carries the notes' DER: 81 02 06 40 */
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es10_retrieve_req rr = {.has_seq = true, .seq = 3};
    rsp_es10_retrieve_req_encode(&rr, &req);
    w_es10(&w, &req, &ans);
    rsp_es10_notif_list nl;
    assert_int_equal(rsp_es10_notif_list_decode(ans.data, ans.len, RSP_ES10_RETRIEVE_NOTIFICATIONS, &nl, NULL), RSP_OK);
    assert_int_equal(nl.n, 1);
    rsp_tlv ev_tlv;
    assert_int_equal(rsp_tlv_find(nl.items[0].meta.raw.p + 3, nl.items[0].meta.raw.len - 3, 0x81, &ev_tlv), RSP_OK);
    tu_assert_hex(ev_tlv.raw, ev_tlv.raw_len, "81020640");
    /* a seqNumber the card does not hold: noResult */
    rsp_buf_reset(&req);
    rr.seq = 99;
    rsp_es10_retrieve_req_encode(&rr, &req);
    w_es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF2B03810101");
    /* ListNotification filtered on delete */
    rsp_buf_reset(&req);
    rsp_es10_list_notif_req_encode(RSP_ES10_EVENT_DELETE, &req);
    w_es10(&w, &req, &ans);
    assert_int_equal(rsp_es10_notif_list_decode(ans.data, ans.len, RSP_ES10_LIST_NOTIFICATION, &nl, NULL), RSP_OK);
    assert_int_equal(nl.n, 1);
    assert_int_equal(nl.metas[0].seq, 7);
    tu_assert_hex(nl.metas[0].iccid.p, 10, "989444999999990910F5");
    /* remove: once ok, then nothingToDelete */
    for (int i = 0; i < 2; i++) {
        rsp_buf_reset(&req);
        rsp_es10_remove_notif_req_encode(7, &req);
        w_es10(&w, &req, &ans);
        int res = -1;
        assert_int_equal(rsp_es10_result_decode(ans.data, ans.len, RSP_ES10_REMOVE_NOTIFICATION, &res, NULL), RSP_OK);
        assert_int_equal(res, i);
    }
    /* all of it durable */
    rsp_es10_card_close(w.slot);
    w_open(&w);
    w_select(&w);
    assert_int_equal(other_notifs(&w, ev, seq, 8), 4);
    assert_int_equal(state_of(&w, ICCID_B), 0);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    rsp_buf_free(&upp);
    w_free(&w);
}

static void test_ppr1_nickname_info(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf upp = RSP_BUF_INIT, req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    read_profile(&upp);
    install(&w, &upp, ICCID_A, -1, RSP_ES10_PPR1);
    install(&w, &upp, ICCID_B, RSP_ES10_CLASS_TEST, 0);
    assert_int_equal(op(&w, RSP_ES10_ENABLE_PROFILE, ICCID_A), 0);
    assert_int_equal(op(&w, RSP_ES10_DISABLE_PROFILE, ICCID_A), 3); /* PPR1 */
    assert_int_equal(op(&w, RSP_ES10_ENABLE_PROFILE, ICCID_B), 3);  /* the enabled one has PPR1 */
    /* nickname (tag 90, and pysim's 8F) */
    uint8_t id[10];
    rsp_iccid_to_swapped(ICCID_B, id);
    assert_int_equal(rsp_es10_nickname_req_encode(rsp_bytes_of(id, 10), rsp_bytes_of((const uint8_t *)"lab", 3), &req),
                     RSP_OK);
    w_es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF2903800100");
    rsp_buf_reset(&req);
    tu_hex("BF29125A0A98944499999999091060" "8F04" "74657374", &req);
    w_es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF2903800101"); /* iccidNotFound */
    /* GetProfilesInfo by ICCID with a tag list: only those tags */
    rsp_buf_reset(&req);
    uint8_t tl[] = {0x5A, 0x90, 0x95, 0x99};
    rsp_es10_profiles_req pq = {.has_search = true, .by = RSP_ES10_BY_ICCID, .value = rsp_bytes_of(id, 10),
                                .tag_list = rsp_bytes_of(tl, sizeof(tl))};
    rsp_es10_profiles_req_encode(&pq, &req);
    w_es10(&w, &req, &ans);
    rsp_es10_profiles pr;
    assert_int_equal(rsp_es10_profiles_decode(ans.data, ans.len, &pr, NULL), RSP_OK);
    assert_int_equal(pr.n, 1);
    assert_memory_equal(pr.items[0].nickname.p, "lab", 3);
    assert_int_equal(pr.items[0].profile_class, RSP_ES10_CLASS_TEST);
    assert_int_equal(pr.items[0].state, -1);
    assert_int_equal(pr.items[0].isdp_aid.len, 0);
    tu_assert_hex(pr.items[0].ppr.p, pr.items[0].ppr.len, "00");
    /* by class: the operational one */
    rsp_buf_reset(&req);
    uint8_t cls = RSP_ES10_CLASS_OPERATIONAL;
    pq = (rsp_es10_profiles_req){.has_search = true, .by = RSP_ES10_BY_CLASS, .value = rsp_bytes_of(&cls, 1)};
    rsp_es10_profiles_req_encode(&pq, &req);
    w_es10(&w, &req, &ans);
    assert_int_equal(rsp_es10_profiles_decode(ans.data, ans.len, &pr, NULL), RSP_OK);
    assert_int_equal(pr.n, 1);
    assert_int_equal(pr.items[0].state, 1);
    /* memory reset of the test profiles, then of the operational ones (PPR1 does not apply) */
    unsigned bits[] = {2u, 2u, 1u};
    int want[] = {0, 1, 0};
    for (int i = 0; i < 3; i++) {
        rsp_buf_reset(&req);
        rsp_es10_memory_reset_req_encode(bits[i], &req);
        w_es10(&w, &req, &ans);
        int res = -1;
        assert_int_equal(rsp_es10_result_decode(ans.data, ans.len, RSP_ES10_MEMORY_RESET, &res, NULL), RSP_OK);
        assert_int_equal(res, want[i]);
    }
    rsp_es10_profiles none;
    assert_int_equal(profile_count(&w, &none), 0);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    rsp_buf_free(&upp);
    w_free(&w);
}

static void test_addresses_rat(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_bytes dp, ds;
    rsp_es10_empty_request(RSP_ES10_CONFIGURED_ADDRESSES, &req);
    w_es10(&w, &req, &ans);
    assert_int_equal(rsp_es10_addresses_decode(ans.data, ans.len, &dp, &ds, NULL), RSP_OK);
    assert_int_equal(dp.len, 0);
    assert_memory_equal(ds.p, "lpa.ds.gsma.com", 15);
    rsp_buf_reset(&req);
    rsp_es10_set_default_dp_encode(rsp_bytes_of((const uint8_t *)"smdp.example.test", 17), &req);
    w_es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF3F03800100");
    rsp_es10_card_close(w.slot); /* durable */
    w_open(&w);
    w_select(&w);
    rsp_buf_reset(&req);
    rsp_es10_empty_request(RSP_ES10_CONFIGURED_ADDRESSES, &req);
    w_es10(&w, &req, &ans);
    assert_int_equal(rsp_es10_addresses_decode(ans.data, ans.len, &dp, &ds, NULL), RSP_OK);
    assert_memory_equal(dp.p, "smdp.example.test", 17);
    /* memory reset bit 2 clears it */
    rsp_buf_reset(&req);
    rsp_es10_memory_reset_req_encode(4u, &req);
    w_es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF3403800100");
    rsp_buf_reset(&req);
    rsp_es10_empty_request(RSP_ES10_GET_RAT, &req);
    w_es10(&w, &req, &ans);
    rsp_es10_rat_rule rules[4];
    size_t n = 0;
    assert_int_equal(rsp_es10_rat_decode(ans.data, ans.len, rules, 4, &n, NULL), RSP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rules[0].ppr, RSP_ES10_PPR1 | RSP_ES10_PPR2);
    tu_assert_hex(ans.data, ans.len, "BF4314A012301080020560A1073005800" "3EEEEEE820100");
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    w_free(&w);
}

/* A BPP cut after StoreMetadata (the card closed, as a kill or power cut): nothing of it stays, and the
 * same profile then installs. */
static void test_cut(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf upp = RSP_BUF_INIT, bpp = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    read_profile(&upp);
    w_session(&w);
    w_build_bpp(&w, &(bpp_opts){.upp = &upp, .pclass = -1}, &bpp);
    rsp_bytes pieces[64];
    size_t n = 0;
    assert_int_equal(rsp_es10_bpp_split(bpp.data, bpp.len, pieces, 64, &n, NULL), RSP_OK);
    for (size_t i = 0; i < n - 1; i++)
        assert_int_equal(w_es10_raw(&w, pieces[i].p, pieces[i].len, &ans), 0x9000);
    rsp_es10_card_close(w.slot);
    w_open(&w);
    w_select(&w);
    rsp_es10_profiles pr;
    assert_int_equal(profile_count(&w, &pr), 0);
    install(&w, &upp, ICCID_A, -1, 0);
    assert_int_equal(profile_count(&w, &pr), 1);
    rsp_buf_free(&upp);
    rsp_buf_free(&bpp);
    rsp_buf_free(&ans);
    w_free(&w);
}

/* LoadCRL: a CRL of the card's CI, fresher than the one held, is kept (durably) and a revoked
 * CERT.DPauth is then refused with invalidCertificate; forged, malformed, stale and older CRLs are
 * refused with their codes. */
static int load_crl(world *w, rsp_eckey *key, uint64_t number, int64_t next, const uint8_t *serial)
{
    rsp_crl_entry ent = {.serial_len = 1, .date = (int64_t)time(NULL) - 10};
    if (serial)
        ent.serial[0] = *serial;
    int64_t now = (int64_t)time(NULL);
    rsp_crl_template t = {.this_update = now - 60, .next_update = now + next, .number = number,
                          .entries = serial ? &ent : NULL, .n = serial ? 1 : 0};
    rsp_buf crl = RSP_BUF_INIT, req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    assert_int_equal(rsp_crl_issue(&t, key, NULL, "CI", &crl), RSP_OK);
    assert_int_equal(rsp_es10_load_crl_req_encode(crl.data, crl.len, &req), RSP_OK);
    w_es10(w, &req, &ans);
    int code = -1;
    assert_int_equal(rsp_es10_load_crl_resp_decode(ans.data, ans.len, &code, NULL), RSP_OK);
    rsp_buf_free(&crl);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    return code;
}

static void test_crl(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    const uint8_t dp_serial = 0x07; /* the serial the world gives every certificate */
    assert_int_equal(load_crl(&w, w.dpauth, 1, 86400, &dp_serial), RSP_ES10_CRL_INVALID_SIGNATURE);
    assert_int_equal(load_crl(&w, w.ci, 1, -30, &dp_serial), RSP_ES10_CRL_UNDEFINED); /* stale */
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    tu_hex("BF3505A003020101", &req); /* not a CertificateList */
    w_es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF3503810102");
    assert_int_equal(load_crl(&w, w.ci, 5, 86400, NULL), 0);
    assert_int_equal(w_session_try(&w), 0);
    assert_int_equal(load_crl(&w, w.ci, 5, 86400, &dp_serial), RSP_ES10_CRL_FRESHER_LOADED);
    /* the card parses its CRL once per load: a refused LoadCRL leaves the one it checks with, an
     * accepted one replaces it at once (same card object), and a fresh load reads it from NVM */
    assert_int_equal(w_session_try(&w), 0);
    assert_int_equal(load_crl(&w, w.ci, 6, 86400, &dp_serial), 0);
    assert_int_equal(w_session_try(&w), RSP_ES10_AUTH_INVALID_CERTIFICATE);
    rsp_es10_card_close(w.slot);
    w_open(&w);
    w_select(&w);
    assert_int_equal(w_session_try(&w), RSP_ES10_AUTH_INVALID_CERTIFICATE);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    w_free(&w);
}

/* The notification list keeps the newest 32: the oldest give way, seqNumbers keep counting. */
static void test_notif_bound(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf upp = RSP_BUF_INIT, keep = RSP_BUF_INIT;
    read_profile(&upp);
    install(&w, &upp, ICCID_A, -1, 0); /* PIR: seq 1 */
    for (int i = 0; i < 17; i++) {     /* 34 notifications: seq 2..35 */
        assert_int_equal(op(&w, RSP_ES10_ENABLE_PROFILE, ICCID_A), 0);
        assert_int_equal(op(&w, RSP_ES10_DISABLE_PROFILE, ICCID_A), 0);
    }
    rsp_es10_notif_list nl;
    notifications(&w, &nl, &keep);
    assert_int_equal(nl.n, 32);
    assert_int_equal(nl.items[0].meta.seq, 4);
    assert_int_equal(nl.items[31].meta.seq, 35);
    rsp_buf_free(&upp);
    rsp_buf_free(&keep);
    w_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enable_disable_delete),
        cmocka_unit_test(test_ppr1_nickname_info),
        cmocka_unit_test(test_addresses_rat),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_crl),
        cmocka_unit_test(test_notif_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
