/* LoadBoundProfilePackage on the consumer card, through its entry point (rsp_es10_card_open/apdu, a card
 * folder on disk): a full download played by the test's SM-DP+ (our PKI, codecs and lib/card/bsp.c), with
 * and without ReplaceSessionKeys, in the double-wrapped form of VECTORS §D too; the PIR verified as a
 * server does; the profile durable across a close and reopen. Every error reason the card produces from a
 * tampered input, each leaving no profile behind and its signed PIR in the notification list. Outside
 * facts: VECTORS §D's BPP (pysim) opened by the card's segment reader with the vector's keys, its BF23
 * decoded, its UPP read by the SAIP walker; §D's two 86 segments after ReplaceSessionKeys opened into the
 * vector's plaintexts byte for byte. */
#include "../../lib/euicc/c22_int.h"
#include "test_euicc_es10_world.h"

static void test_slot(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    rsp_es10_slot *two = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es10_card_open(w.dir, &two, &d), RSP_ERR_BUSY); /* one process per card */
    uint8_t atr[33];
    size_t n = rsp_es10_card_atr(atr);
    uint8_t x = 0;
    for (size_t i = 1; i < n; i++)
        x ^= atr[i];
    assert_int_equal(x, 0); /* TCK */
    w_select(&w);
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es10_empty_request(RSP_ES10_GET_EID, &req);
    w_es10(&w, &req, &ans);
    tu_assert_hex(ans.data, ans.len, "BF3E125A1089049032123451234512345678901235");
    uint8_t eid[16];
    rsp_es10_card_eid(w.slot, eid);
    tu_assert_hex(eid, 16, W_EID);
    /* a reset closes channel 1 */
    rsp_es10_card_reset_slot(w.slot);
    assert_int_equal(w_es10_raw(&w, req.data, req.len, &ans), 0x6881);
    /* a folder that is not a card */
    assert_int_equal(rsp_es10_card_open("/nonexistent-card-dir", &two, &d), RSP_ERR_NOT_FOUND);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    w_free(&w);
}

static void test_download(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf upp = RSP_BUF_INIT, pir = RSP_BUF_INIT, keep = RSP_BUF_INIT;
    read_profile(&upp);
    /* with ReplaceSessionKeys, blocks of 255 bytes */
    w.block = 255;
    bpp_opts o = {.upp = &upp, .pclass = -1, .ppk = true};
    download(&w, &o, &pir);
    rsp_es10_pir p;
    w_check_pir(&w, &pir, &p);
    assert_true(p.success);
    /* the first ISD-P of a real sysmoEUICC1-C2T (pysim tests/pySim-shell_test/euicc/
     * test_enable_disable_profile.script) has this AID too */
    tu_assert_hex(p.isdp_aid.p, p.isdp_aid.len, "A0000005591010FFFFFFFF8900001000");
    assert_memory_equal(p.transaction_id.p, w.tid, 16);
    assert_int_equal(p.meta.seq, 1);
    assert_int_equal(p.meta.events, RSP_ES10_EVENT_INSTALL);
    assert_int_equal(p.meta.address.len, strlen(W_ADDR));
    tu_assert_hex(p.smdp_oid.p, p.smdp_oid.len, "88370A"); /* 2.999.10 */
    rsp_saip_euicc_response er;
    assert_int_equal(rsp_saip_euicc_response_decode(p.sima_response.p, p.sima_response.len, &er, NULL), RSP_OK);
    assert_false(er.installation_aborted);
    rsp_saip_euicc_response_free(&er);
    rsp_es10_profiles pr;
    assert_int_equal(profile_count(&w, &pr), 1);
    assert_int_equal(pr.items[0].state, 0);
    assert_int_equal(pr.items[0].profile_class, RSP_ES10_CLASS_OPERATIONAL);
    assert_memory_equal(pr.items[0].iccid.p, p.meta.iccid.p, 10);
    assert_int_equal(pr.items[0].spn.len, 7);
    /* EUICCInfo2 counts it: one profile, 1 MiB less the package of free NVM */
    rsp_buf i2req = RSP_BUF_INIT, i2 = RSP_BUF_INIT;
    rsp_es10_empty_request(RSP_ES10_EUICC_INFO2, &i2req);
    w_es10(&w, &i2req, &i2);
    rsp_es10_info2 info;
    assert_int_equal(rsp_es10_info2_decode(i2.data, i2.len, &info, NULL), RSP_OK);
    uint8_t ecr[9] = {0x81, 0x01, 0x01, 0x82, 0x04};
    rsp_put_be32(ecr + 5, (uint32_t)(1024 * 1024 - upp.len));
    assert_memory_equal(info.ext_card_resource.p, ecr, 9);
    rsp_buf_free(&i2req);
    rsp_buf_free(&i2);
    /* without ReplaceSessionKeys, double-wrapped members (VECTORS §D's form), 6-byte blocks */
    w.block = 6;
    o = (bpp_opts){.upp = &upp, .iccid = "8949449999999990023", .pclass = RSP_ES10_CLASS_TEST, .double_wrap = true};
    download(&w, &o, &pir);
    /* the package's ICCID is not the metadata's: dataMismatch, nothing installed */
    w_check_pir(&w, &pir, &p);
    assert_false(p.success);
    assert_int_equal(p.bpp_command_id, 5);
    assert_int_equal(p.error_reason, 13);
    w.block = 120;
    /* durable: close, reopen, the profile and both PIRs are there */
    rsp_es10_card_close(w.slot);
    w_open(&w);
    w_select(&w);
    assert_int_equal(profile_count(&w, &pr), 1);
    rsp_es10_notif_list nl;
    notifications(&w, &nl, &keep);
    assert_int_equal(nl.n, 2);
    assert_true(nl.items[0].is_pir && nl.items[0].pir.success);
    assert_int_equal(nl.items[1].pir.meta.seq, 2);
    rsp_buf_free(&upp);
    rsp_buf_free(&pir);
    rsp_buf_free(&keep);
    w_free(&w);
}

/* One tampered download: the PIR's command and reason, and no profile left behind. */
static void expect_error(world *w, const bpp_opts *o, int cmd, int reason, size_t profiles)
{
    rsp_buf pir = RSP_BUF_INIT;
    download(w, o, &pir);
    rsp_es10_pir p;
    w_check_pir(w, &pir, &p);
    assert_false(p.success);
    assert_int_equal(p.bpp_command_id, cmd);
    assert_int_equal(p.error_reason, reason);
    rsp_es10_profiles pr;
    assert_int_equal(profile_count(w, &pr), profiles);
    rsp_buf_free(&pir);
}

static void test_errors(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf upp = RSP_BUF_INIT, junk = RSP_BUF_INIT, pir = RSP_BUF_INIT, bpp = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    read_profile(&upp);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .flip_sign = true}, 0, 2, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .wrong_tid = true}, 0, 3, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .key_type = 0x89}, 0, 4, 0);
    /* after a failed BPP the LPA cancels the session: signed, with the session's tid, once */
    rsp_buf cancel = RSP_BUF_INIT, cans = RSP_BUF_INIT;
    for (int i = 0; i < 2; i++) {
        rsp_buf_reset(&cancel);
        rsp_es10_cancel_req_encode(rsp_bytes_of(w.tid, 16), RSP_ES10_CANCEL_LOAD_BPP_ERROR, &cancel);
        w_es10(&w, &cancel, &cans);
        rsp_es10_cancel_resp cr;
        assert_int_equal(rsp_es10_cancel_resp_decode(cans.data, cans.len, &cr, NULL), RSP_OK);
        assert_int_equal(cr.ok, i == 0);
        if (i == 0) {
            assert_memory_equal(cr.transaction_id.p, w.tid, 16);
            assert_int_equal(cr.reason, RSP_ES10_CANCEL_LOAD_BPP_ERROR);
        }
    }
    rsp_buf_free(&cancel);
    rsp_buf_free(&cans);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .remote_op = 2}, 0, 5, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .flip_87 = true}, 1, 8, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .bad_configure = true}, 1, 1, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .flip_88 = true}, 2, 8, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = 3}, 2, 6, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = RSP_ES10_CLASS_TEST, .has_ppr = true, .ppr = RSP_ES10_PPR1},
                 2, 15, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .flip_86 = true, .ppk = true}, 5, 8, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .bad_otpk = true}, 0, 1, 0);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .flip_a2 = true, .ppk = true}, 4, 8, 0);
    /* not a profile package: peProcessingError with the EUICCResponse */
    rsp_buf_append(&junk, upp.data + 100, 3000);
    download(&w, &(bpp_opts){.upp = &junk, .iccid = "8949449999999990023", .pclass = -1}, &pir);
    rsp_es10_pir p;
    w_check_pir(&w, &pir, &p);
    assert_int_equal(p.error_reason, 12);
    assert_true(p.sima_response.len > 0);
    /* installed once; the same ICCID again: iccidAlreadyExistsOnEuicc at StoreMetadata */
    download(&w, &(bpp_opts){.upp = &upp, .pclass = -1}, &pir);
    w_check_pir(&w, &pir, &p);
    assert_true(p.success);
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1}, 2, 9, 1);
    /* pieces out of order: the A1 header first */
    w_session(&w);
    w_build_bpp(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .iccid = "8949449999999990031"}, &bpp);
    rsp_bytes pieces[64];
    size_t n = 0;
    assert_int_equal(rsp_es10_bpp_split(bpp.data, bpp.len, pieces, 64, &n, NULL), RSP_OK);
    assert_int_equal(w_es10_raw(&w, pieces[0].p, pieces[0].len, &ans), 0x9000);
    assert_int_equal(ans.len, 0);
    assert_int_equal(w_es10_raw(&w, pieces[2].p, pieces[2].len, &pir), 0x9000);
    w_check_pir(&w, &pir, &p);
    assert_int_equal(p.bpp_command_id, 1);
    assert_int_equal(p.error_reason, 7);
    /* a BF23 that does not decode, with a session prepared: incorrectInputValues */
    w_session(&w);
    rsp_buf_reset(&bpp);
    w_build_bpp(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .iccid = "8949449999999990031"}, &bpp);
    assert_int_equal(rsp_es10_bpp_split(bpp.data, bpp.len, pieces, 64, &n, NULL), RSP_OK);
    rsp_buf bad = RSP_BUF_INIT;
    rsp_buf_append(&bad, pieces[0].p, pieces[0].len);
    bad.data[9] = 0x83; /* BF36 82 LL LL, BF23 81 LL, [82]: remoteOpId's tag */
    assert_int_equal(w_es10_raw(&w, bad.data, bad.len, &pir), 0x9000);
    w_check_pir(&w, &pir, &p);
    assert_int_equal(p.bpp_command_id, 0);
    assert_int_equal(p.error_reason, 1);
    rsp_buf_free(&bad);
    /* a second BF36 while one loads: structure error for the step expected */
    w_session(&w);
    rsp_buf_reset(&bpp);
    w_build_bpp(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .iccid = "8949449999999990031"}, &bpp);
    assert_int_equal(rsp_es10_bpp_split(bpp.data, bpp.len, pieces, 64, &n, NULL), RSP_OK);
    assert_int_equal(w_es10_raw(&w, pieces[0].p, pieces[0].len, &ans), 0x9000);
    assert_int_equal(w_es10_raw(&w, pieces[0].p, pieces[0].len, &pir), 0x9000);
    w_check_pir(&w, &pir, &p);
    assert_int_equal(p.bpp_command_id, 1);
    assert_int_equal(p.error_reason, 7);
    /* a piece with no BPP loading is refused by the transport, not taken for a function */
    assert_int_equal(w_es10_raw(&w, pieces[1].p, pieces[1].len, &ans), 0x6A80);
    /* interrupted by another command: the BPP is gone, its PIR says interruption (11) */
    w_session(&w);
    rsp_buf_reset(&bpp);
    w_build_bpp(&w, &(bpp_opts){.upp = &upp, .pclass = -1, .iccid = "8949449999999990031"}, &bpp);
    assert_int_equal(rsp_es10_bpp_split(bpp.data, bpp.len, pieces, 64, &n, NULL), RSP_OK);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(w_es10_raw(&w, pieces[i].p, pieces[i].len, &ans), 0x9000);
    rsp_buf eid = RSP_BUF_INIT;
    rsp_es10_empty_request(RSP_ES10_GET_EID, &eid);
    w_es10(&w, &eid, &ans);
    assert_int_equal(w_es10_raw(&w, pieces[5].p, pieces[5].len, &ans), 0x6A80);
    rsp_es10_profiles pr;
    assert_int_equal(profile_count(&w, &pr), 1);
    /* a BF36 with no session: invalidTransactionId, no smdpOid, kept nowhere */
    assert_int_equal(w_es10_raw(&w, pieces[0].p, pieces[0].len, &pir), 0x9000);
    w_check_pir(&w, &pir, &p);
    assert_int_equal(p.error_reason, 3);
    assert_int_equal(p.smdp_oid.len, 0);
    rsp_es10_notif_list nl;
    rsp_buf keep = RSP_BUF_INIT;
    notifications(&w, &nl, &keep);
    /* 14 tampered, 1 success, out of order, bad BF23, second BF36, interrupted */
    assert_int_equal(nl.n, 19);
    assert_int_equal(nl.items[18].pir.error_reason, 11);
    assert_int_equal(nl.items[18].pir.meta.seq, 19);
    rsp_buf *bufs[] = {&upp, &junk, &pir, &bpp, &ans, &eid, &keep};
    for (size_t i = 0; i < 7; i++)
        rsp_buf_free(bufs[i]);
    w_free(&w);
}

/* Nine profiles do not fit: the ninth is refused at ConfigureISDP (insufficientMemory). */
static void test_full(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    w.block = 255;
    rsp_buf upp = RSP_BUF_INIT, pir = RSP_BUF_INIT;
    read_profile(&upp);
    static const char *const iccids[] = {"8949449999999990015", "8949449999999990023", "8949449999999990031",
                                         "8949449999999990049", "8949449999999990056", "8949449999999990064",
                                         "8949449999999990072", "8949449999999990080"};
    rsp_saip_package pkg;
    for (size_t i = 0; i < C22_MAX_PROFILES; i++) {
        rsp_buf one = RSP_BUF_INIT;
        assert_int_equal(rsp_saip_parse(upp.data, upp.len, 0, &pkg, NULL), RSP_OK);
        rsp_saip_perso ps = {.iccid = iccids[i]};
        assert_int_equal(rsp_saip_personalize(&pkg, &ps, &one, NULL), RSP_OK);
        rsp_saip_package_free(&pkg);
        download(&w, &(bpp_opts){.upp = &one, .pclass = -1}, &pir);
        rsp_es10_pir p;
        w_check_pir(&w, &pir, &p);
        assert_true(p.success);
        assert_int_equal(p.isdp_aid.p[14], 0x10 + i);
        rsp_buf_free_secret(&one);
    }
    expect_error(&w, &(bpp_opts){.upp = &upp, .pclass = -1}, 1, 10, C22_MAX_PROFILES);
    rsp_buf_free(&upp);
    rsp_buf_free(&pir);
    w_free(&w);
}

/* Standard base64 up to the first character outside the alphabet (test helper). */
static void b64_decode(const char *s, rsp_buf *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    for (; *s && *s != '='; s++) {
        const char *q = strchr(al, *s);
        if (!q || !*s)
            break;
        acc = (acc << 6) | (uint32_t)(q - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            rsp_buf_append_byte(out, (uint8_t)(acc >> bits));
        }
    }
}

/* VECTORS §D's whole BPP (pysim's test data) read on the card side with the vector's keys. */
static void test_vector_d(void **state)
{
    (void)state;
    const char *b64 = strstr(tu_vectors(), "bpp_b64 = ");
    assert_non_null(b64);
    rsp_buf bpp = RSP_BUF_INIT, k = RSP_BUF_INIT, m = RSP_BUF_INIT, v = RSP_BUF_INIT, plain = RSP_BUF_INIT;
    b64_decode(b64 + 10, &bpp);
    rsp_bytes pieces[64];
    size_t n = 0;
    assert_int_equal(rsp_es10_bpp_split(bpp.data, bpp.len, pieces, 64, &n, NULL), RSP_OK);
    assert_int_equal(n, 2 + 1 + 1 + 1 + 13); /* BF36+BF23, A0, A1 header, one 88, A3 header, 13 86s */
    rsp_es10_init_sc isc;
    size_t hl = 5; /* BF36 82 xx xx */
    assert_int_equal(rsp_es10_init_sc_decode(pieces[0].p + hl, pieces[0].len - hl, &isc, NULL), RSP_OK);
    assert_int_equal(isc.remote_op, 1);
    assert_int_equal(isc.key_type, 0x88);
    assert_int_equal(isc.key_len, 0x10);
    assert_memory_equal(isc.host_id.p, "mahlzeit", 8);
    rsp_bsp b;
    tu_vec_bytes("Full BPP decode test", "S-ENC ", &k);
    tu_vec_bytes("Full BPP decode test", "S-MAC ", &m);
    tu_vec_bytes("Full BPP decode test", "MCV ", &v);
    rsp_bsp_init(&b, k.data, m.data, v.data);
    rsp_tlv a0;
    assert_int_equal(rsp_tlv_parse(pieces[1].p, pieces[1].len, 0, &a0, NULL), RSP_OK);
    assert_int_equal(c22_bpp_open_segment(&b, 0x87, a0.value, a0.len, &plain), 0);
    tu_assert_hex(plain.data, plain.len, "BF2400");
    rsp_buf_reset(&plain);
    assert_int_equal(c22_bpp_open_segment(&b, 0x88, pieces[3].p, pieces[3].len, &plain), 0);
    char *want = tu_vec("firstSequenceOf87 -> bf2400", "sequenceOf88 -> ");
    want[strcspn(want, " \n")] = 0;
    tu_assert_hex(plain.data, plain.len, want);
    free(want);
    rsp_es10_metadata md;
    assert_int_equal(rsp_es10_metadata_decode(plain.data, plain.len, &md, NULL), RSP_OK);
    assert_memory_equal(md.spn.p, "OsmocomSPN", 10);
    /* the 86s: the precomputed package's PPKs (00.., 11.., 22..), counter from 1 */
    uint8_t pe[16], pm[16], pv[16];
    memset(pe, 0x00, 16);
    memset(pm, 0x11, 16);
    memset(pv, 0x22, 16);
    rsp_bsp_init(&b, pe, pm, pv);
    rsp_buf_reset(&plain);
    for (size_t i = 5; i < n; i++)
        assert_int_equal(c22_bpp_open_segment(&b, 0x86, pieces[i].p, pieces[i].len, &plain), 0);
    assert_int_equal(plain.len, 12251);
    rsp_saip_package pkg;
    assert_int_equal(rsp_saip_parse(plain.data, plain.len, 0, &pkg, NULL), RSP_OK);
    assert_int_equal(pkg.pes[pkg.n_pes - 1].tag, RSP_SAIP_TAG_END);
    rsp_saip_package_free(&pkg);
    /* a flipped bit: C-MAC refused (8), nothing appended */
    rsp_bsp_init(&b, pe, pm, pv);
    rsp_buf_reset(&plain);
    uint8_t *p = (uint8_t *)pieces[5].p;
    p[20] ^= 1;
    assert_int_equal(c22_bpp_open_segment(&b, 0x86, pieces[5].p, pieces[5].len, &plain), 8);
    assert_int_equal(plain.len, 0);
    assert_int_equal(c22_bpp_open_segment(&b, 0x87, pieces[5].p, pieces[5].len, &plain), 7);
    /* §D's two 1,020-byte 86 segments after ReplaceSessionKeys (S-ENC 01 01 02..0F, S-MAC 02 01 02..0F,
     * MCV 00..0F), each opened by the card's reader into the vector's plaintext byte for byte */
    for (int i = 0; i < 16; i++)
        pe[i] = pm[i] = pv[i] = (uint8_t)i;
    pe[0] = 0x01;
    pm[0] = 0x02;
    rsp_bsp_init(&b, pe, pm, pv);
    const char *seg[2][2] = {{"segment0 protected =", "segment0 plaintext ="},
                             {"segment1 protected =", "segment1 plaintext ="}};
    for (int i = 0; i < 2; i++) {
        rsp_buf prot = RSP_BUF_INIT, pt = RSP_BUF_INIT;
        tu_vec_bytes("[after ReplaceSessionKeys]", seg[i][0], &prot);
        tu_vec_bytes("[after ReplaceSessionKeys]", seg[i][1], &pt);
        assert_int_equal(prot.len, RSP_BSP_MAX_TLV);
        rsp_buf_reset(&plain);
        assert_int_equal(c22_bpp_open_segment(&b, 0x86, prot.data, prot.len, &plain), 0);
        assert_int_equal(plain.len, pt.len);
        assert_memory_equal(plain.data, pt.data, pt.len);
        rsp_buf_free(&prot);
        rsp_buf_free(&pt);
    }
    rsp_bsp_close(&b);
    rsp_buf *bufs[] = {&bpp, &k, &m, &v, &plain};
    for (size_t i = 0; i < 5; i++)
        rsp_buf_free(bufs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot),   cmocka_unit_test(test_download), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_full),   cmocka_unit_test(test_vector_d),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
