/* Card model, secure channel side: replayed, forged and otherwise refused SCP80 packets (PoR status,
 * nothing changed: the counter mode "exactly one higher" proves the stored counter did not move),
 * concatenated SMS in any order, malformed TPDUs, the SCP81 trigger, the SM-SR change
 * (EstablishISDRKeySet + FinaliseISDRhandover), and the PoR a card gives the VECTORS.txt §A1 packet. */
#include "test_euicc_fixture.h"

/* Sends one packet with the given SPI and counter; returns the PoR user data (with 02 71 00). */
static void send_raw(fx *x, rsp_euicc *c, uint32_t tar, const uint8_t spi[2], uint64_t cntr, const char *script_hex,
                     rsp_buf *por, rsp_euicc_out *keep)
{
    rsp_buf s = RSP_BUF_INIT, tp[16];
    tu_hex(script_hex, &s);
    size_t n = 0;
    fx_sms_packet(x, tar, spi, cntr, s.data, s.len, tp, &n);
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    fx_feed(x, c, tp, n, &out);
    fx_por_ud(&out, por);
    if (keep)
        *keep = out;
    else
        rsp_euicc_out_clear(&out);
    rsp_buf_free(&s);
}

static uint8_t por_status(fx *x, const rsp_buf *por, const uint8_t spi[2])
{
    uint8_t ki = (uint8_t)(x->kvn << 4 | 2);
    rsp_scp80_hdr h = {{spi[0], spi[1]}, ki, ki, {0}, {0}, 0, 0};
    rsp_scp80_keys k = {x->kic, 16, x->kid, 16};
    uint8_t work[600];
    rsp_scp80_por p;
    assert_true(por->len > 0 && por->len + 3 <= sizeof(work));
    rsp_err e = rsp_scp80_por_open(&k, &h, por->data, por->len, work, sizeof(work), &p, NULL);
    assert_true(e == RSP_OK || e == RSP_ERR_VERIFY);
    return p.status;
}

static void test_replay_forgery_state_unchanged(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    const uint8_t one_higher[2] = {0x1E, 0x39}; /* CC, ciphered, counter exactly one higher */
    rsp_buf por = RSP_BUF_INIT;
    char en[80];
    fx_sd_aid("3A04", 0x10, en); /* refused anyway (fall-back): the script runs but changes nothing */
    char script[120];
    snprintf(script, sizeof(script), "AA%02zX22%02zX%s", strlen(en) / 2 + 2, strlen(en) / 2, en);
    send_raw(&x, c, 1, one_higher, 1, script, &por, NULL);
    assert_int_equal(por_status(&x, &por, one_higher), 0x00);
    rsp_euicc_info before, after;
    assert_int_equal(rsp_euicc_info_get(c, &before), RSP_OK);
    /* Replay of counter 1: 02, and counter 3 is "too high" (03). */
    send_raw(&x, c, 1, one_higher, 1, script, &por, NULL);
    assert_int_equal(por_status(&x, &por, one_higher), 0x02);
    send_raw(&x, c, 1, one_higher, 3, script, &por, NULL);
    assert_int_equal(por_status(&x, &por, one_higher), 0x03);
    /* Forged: wrong keys give a bad CC (01) (deciphering garbage is caught by the CC). */
    uint8_t good[16];
    memcpy(good, x.kid, 16);
    x.kid[0] ^= 1;
    send_raw(&x, c, 1, one_higher, 2, script, &por, NULL);
    memcpy(x.kid, good, 16);
    assert_int_equal(por_status(&x, &por, one_higher), 0x01);
    /* Unknown key version: 06; unknown TAR: 09 (counter 2 is still free: nothing above moved it). */
    x.kvn = 5;
    send_raw(&x, c, 1, one_higher, 2, script, &por, NULL);
    x.kvn = 1;
    assert_int_equal(por_status(&x, &por, one_higher), 0x06);
    send_raw(&x, c, 0x00ABCD, one_higher, 2, script, &por, NULL);
    assert_int_equal(por_status(&x, &por, one_higher), 0x09);
    /* No checksum at all: insufficient security level (0A). */
    const uint8_t nocc[2] = {0x00, 0x21};
    send_raw(&x, c, 1, nocc, 2, script, &por, NULL);
    assert_int_equal(por_status(&x, &por, nocc), 0x0A);
    /* PoR only on error: nothing comes back for a good packet. */
    assert_int_equal(rsp_euicc_info_get(c, &after), RSP_OK);
    assert_memory_equal(&before, &after, sizeof(before));
    const uint8_t on_error[2] = {0x1E, 0x3A};
    send_raw(&x, c, 1, on_error, 2, script, &por, NULL);
    assert_int_equal(por.len, 0);
    /* And counter 3 is now the next one. */
    send_raw(&x, c, 1, one_higher, 3, script, &por, NULL);
    assert_int_equal(por_status(&x, &por, one_higher), 0x00);
    rsp_buf_free(&por);
    fx_teardown(&x);
}

static void test_concatenated_and_malformed(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    /* A script of 8 GET STATUS commands does not fit one SMS. */
    const char *a[8];
    const char *gs = "80F24002124F10A0000005591010FFFFFFFF8900001000";
    for (int i = 0; i < 8; i++)
        a[i] = gs;
    rsp_buf d = RSP_BUF_INIT;
    assert_int_equal(fx_sms_script(&x, c, 1, a, 8, &d, NULL), 0x9000);
    uint32_t path[] = {0xE3, 0x9F70};
    rsp_tlv t;
    assert_int_equal(rsp_tlv_find_path(d.data, d.len, path, 2, &t), RSP_OK);
    assert_int_equal(t.value[0], 0x3F);
    /* The same parts fed in reverse order, with a duplicate, reassemble too. */
    rsp_buf s = RSP_BUF_INIT, sc = RSP_BUF_INIT, tp[16];
    rsp_bytes b[8];
    rsp_buf ab[8];
    for (int i = 0; i < 8; i++) {
        rsp_buf_init(&ab[i]);
        tu_hex(gs, &ab[i]);
        b[i] = rsp_buf_view(&ab[i]);
    }
    assert_int_equal(rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, b, 8, &sc), RSP_OK);
    size_t n = 0;
    const uint8_t spi[2] = {0x16, 0x39};
    fx_sms_packet(&x, 1, spi, ++x.cntr, sc.data, sc.len, tp, &n);
    assert_true(n >= 2);
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    rsp_buf dup = RSP_BUF_INIT;
    rsp_buf_append(&dup, tp[n - 1].data, tp[n - 1].len);
    for (size_t i = n; i-- > 0;) {
        assert_int_equal(rsp_euicc_sms_pp(c, tp[i].data, tp[i].len, x.now, &out, NULL), RSP_OK);
        if (i == n - 1)
            assert_int_equal(rsp_euicc_sms_pp(c, dup.data, dup.len, x.now, &out, NULL), RSP_OK);
        rsp_buf_free(&tp[i]);
    }
    assert_true(out.n_sms >= 1);
    rsp_euicc_out_clear(&out);
    /* Malformed TPDUs and packets: no answer, no change. */
    rsp_euicc_info before, after;
    assert_int_equal(rsp_euicc_info_get(c, &before), RSP_OK);
    const char *bad[] = {
        "",                                         /* nothing */
        "40",                                       /* truncated */
        "4008812143658 77FF6227052000000000302700000", /* odd garbage */
        "000881214365877FF622705200000000030102",    /* no UDHI */
        "400881214365877FF62270520000000003027000", /* UDL says 3, 3 present: no packet */
        "400881214365877FF62270520000000006027000001000", /* CPL too short */
        "410008812143658700F603027000",              /* SMS-SUBMIT, not DELIVER */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char clean[200];
        size_t k = 0;
        for (const char *p = bad[i]; *p; p++)
            if (*p != ' ')
                clean[k++] = *p;
        clean[k] = 0;
        if (k % 2)
            clean[--k] = 0;
        rsp_buf_reset(&s);
        if (k)
            tu_hex(clean, &s);
        memset(&out, 0, sizeof(out));
        assert_int_equal(rsp_euicc_sms_pp(c, s.data, s.len, x.now, &out, NULL), RSP_OK);
        assert_int_equal(out.n_sms, 0);
        rsp_euicc_out_clear(&out);
    }
    assert_int_equal(rsp_euicc_info_get(c, &after), RSP_OK);
    assert_memory_equal(&before, &after, sizeof(before));
    /* Twelve CERT.ECASD.ECKA reads through the ECASD's TAR do not fit 16 SMS: PoR 07, no partial answer. */
    char big[200] = "AA54";
    for (int i = 0; i < 12; i++)
        strcat(big, "220580CA7F2100");
    rsp_buf por12 = RSP_BUF_INIT;
    send_raw(&x, c, 2, spi, ++x.cntr, big, &por12, NULL);
    assert_int_equal(por_status(&x, &por12, spi), 0x07);
    rsp_buf_free(&por12);
    /* A script that is not a script: "bad format" (90) in the PoR, nothing run. */
    rsp_buf por = RSP_BUF_INIT;
    send_raw(&x, c, 1, spi, ++x.cntr, "AA0522FF", &por, NULL);
    assert_int_equal(por_status(&x, &por, spi), 0x00);
    for (int i = 0; i < 8; i++)
        rsp_buf_free(&ab[i]);
    rsp_buf_free(&por);
    rsp_buf_free(&dup);
    rsp_buf_free(&s);
    rsp_buf_free(&sc);
    rsp_buf_free(&d);
    fx_teardown(&x);
}

static void test_trigger(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    const uint8_t spi[2] = {0x16, 0x39};
    rsp_buf por = RSP_BUF_INIT;
    rsp_euicc_out out;
    send_raw(&x, c, 1, spi, ++x.cntr, "8100", &por, &out);
    assert_int_equal(por_status(&x, &por, spi), 0x00);
    assert_true(out.open_admin);
    assert_string_equal(out.admin.host, "127.0.0.1");
    assert_int_equal(out.admin.port, 8443);
    assert_string_equal(out.admin.uri, "/gp/admin");
    assert_int_equal(out.admin.psk_len, 16);
    assert_int_equal(out.admin.psk[0], 0x5A);
    /* SGP.02 PSK identity: 80 01 02 | 81 10 EID | 4F 10 ISD-R | 82 01 kid | 83 01 40 (upper-case hex). */
    uint8_t eid[16];
    char eidhex[33], want[200];
    rsp_eid_to_bytes(rsp_euicc_eid(c), eid);
    rsp_hex_encode_upper(eid, 16, eidhex, sizeof(eidhex));
    snprintf(want, sizeof(want), "8001028110%s4F10A0000005591010FFFFFFFF8900000100820101830140", eidhex);
    assert_string_equal(out.admin.psk_identity, want);
    rsp_euicc_out_clear(&out);
    assert_false(out.open_admin);
    rsp_buf_free(&por);
    fx_teardown(&x);
}

static void test_smsr_change(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    /* EstablishISDRKeySet: the SM-SR's certificate, not an SM-DP's. */
    rsp_buf apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    assert_int_equal(rsp_keyest_host_cert_apdu(x.cert_dp.data, x.cert_dp.len, &apdu), RSP_OK);
    char *hex = rsp_hex_dup(apdu.data, apdu.len);
    assert_int_equal(fx_sms1(&x, c, 1, hex, NULL), 0x6982);
    free(hex);
    rsp_buf_reset(&apdu);
    assert_int_equal(rsp_keyest_host_cert_apdu(x.cert_sr.data, x.cert_sr.len, &apdu), RSP_OK);
    hex = rsp_hex_dup(apdu.data, apdu.len);
    assert_int_equal(fx_sms1(&x, c, 1, hex, &resp), 0x9000);
    free(hex);
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    assert_int_equal(rsp_keyest_host_challenge(&h, resp.data, resp.len, NULL), RSP_OK);
    rsp_keyest_params p = {0, 0, 16, 0, 0x02, true, NULL, 0, NULL, 0};
    rsp_buf_reset(&apdu);
    assert_int_equal(rsp_keyest_host_keyagree_apdu(&h, &p, x.sr, RSP_CURVE_P256, &apdu), RSP_OK);
    hex = rsp_hex_dup(apdu.data, apdu.len);
    assert_int_equal(fx_sms1(&x, c, 1, hex, &resp), 0x9000);
    free(hex);
    uint8_t pt[65];
    rsp_eckey *pk = NULL;
    rsp_ec_public_point(x.ecasd[0], pt);
    rsp_ec_from_public(RSP_CURVE_P256, pt, 65, &pk);
    rsp_scp03_keys nk;
    assert_int_equal(rsp_keyest_host_finish(&h, pk, resp.data, resp.len, &nk, NULL), RSP_OK);
    rsp_ec_free(pk);
    rsp_keyest_host_close(&h);
    rsp_euicc_info info;
    assert_int_equal(rsp_euicc_info_get(c, &info), RSP_OK);
    assert_int_equal(info.n_scp80, 2);
    assert_int_equal(info.scp80_kvns[1], 0x02);
    assert_int_equal(info.scp81_kvns[1], 0x41);
    /* SM-SR2 takes over with KVN 2 and deletes SM-SR1's key sets. */
    x.kvn = 2;
    memcpy(x.kic, nk.enc, 16);
    memcpy(x.kid, nk.mac, 16);
    assert_int_equal(fx_sms1(&x, c, 1, "80E400000AF203010103F203400102", NULL), 0x9000);
    assert_int_equal(rsp_euicc_info_get(c, &info), RSP_OK);
    assert_int_equal(info.n_scp80, 1);
    assert_int_equal(info.scp80_kvns[0], 0x02);
    assert_int_equal(info.n_scp81, 1);
    assert_int_equal(info.scp81_kvns[0], 0x41);
    /* Deleting the last SCP80 key set is refused; an unknown KVN is not found. */
    assert_int_equal(fx_sms1(&x, c, 1, "80E4000005F203020103", NULL), 0x6985);
    assert_int_equal(fx_sms1(&x, c, 1, "80E400000AF203020103F203020103", NULL), 0x6985); /* named twice */
    assert_int_equal(fx_sms1(&x, c, 1, "80E4000005F203090103", NULL), 0x6A88);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
    fx_teardown(&x);
}

/* VECTORS.txt §A1 AES packet (KVN 2, TAR B00011, a SIM RFM TAR this card does not have): the card
 * verifies its CC with the vector's keys and answers TAR unknown (09) in an unsecured PoR, echoing the
 * vector's TAR and counter (TS 102 225 via OTA.md). */
static void test_vector_a1_packet(void **state)
{
    (void)state;
    fx x;
    memset(&x, 0, sizeof(x));
    fx_setup(&x, NULL, 0);
    rsp_buf kic = RSP_BUF_INIT, kid = RSP_BUF_INIT, cmd = RSP_BUF_INIT;
    tu_vec_bytes("[AES128-SJA5-CIPHERED-CC]", "KIc=", &kic);
    tu_vec_bytes("[AES128-SJA5-CIPHERED-CC]", "KID=", &kid);
    tu_vec_bytes("[AES128-SJA5-CIPHERED-CC]", "CMD =", &cmd);
    memcpy(x.kic, kic.data, 16);
    memcpy(x.kid, kid.data, 16);
    x.kvn = 2;
    fx_add_card(&x, 0);
    rsp_euicc *c = fx_card(&x, 0);
    rsp_buf tpdu = RSP_BUF_INIT;
    tu_hex("400881214365877FF622705200000000", &tpdu);
    rsp_buf_append_byte(&tpdu, (uint8_t)(3 + cmd.len));
    rsp_buf_append(&tpdu, "\x02\x70\x00", 3);
    rsp_buf_append(&tpdu, cmd.data, cmd.len);
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    assert_int_equal(rsp_euicc_sms_pp(c, tpdu.data, tpdu.len, x.now, &out, NULL), RSP_OK);
    rsp_buf por = RSP_BUF_INIT;
    fx_por_ud(&out, &por);
    tu_assert_hex(por.data, por.len, "027100000B0AB00011000000000000" "09");
    assert_string_equal(out.sms[0].to, "12345678");
    rsp_euicc_out_clear(&out);
    rsp_buf_free(&por);
    rsp_buf_free(&tpdu);
    rsp_buf_free(&kic);
    rsp_buf_free(&kid);
    rsp_buf_free(&cmd);
    fx_teardown(&x);
}

/* 3A07 on the ISD-R (SM-SR addressing, A3 {81 TOA BCD}): notifications go to the new address. */
static void test_smsr_addressing(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    assert_int_equal(fx_sms1(&x, c, 1, "80E28800133A0710A30E810C911122334455667788990011", NULL), 0x6A80); /* 81 too long */
    assert_int_equal(fx_sms1(&x, c, 1, "80E288000E3A070BA3098107914477009099F1", NULL), 0x9000);
    rsp_euicc_info info;
    assert_int_equal(rsp_euicc_info_get(c, &info), RSP_OK);
    assert_string_equal(info.smsr_msisdn, "44770009991");
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    assert_int_equal(rsp_euicc_tick(c, x.now, &out, NULL), RSP_OK);
    assert_int_equal(out.n_sms, 1);
    assert_string_equal(out.sms[0].to, "44770009991");
    rsp_euicc_out_clear(&out);
    fx_teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_forgery_state_unchanged),
        cmocka_unit_test(test_concatenated_and_malformed),
        cmocka_unit_test(test_trigger),
        cmocka_unit_test(test_smsr_change),
        cmocka_unit_test(test_vector_a1_packet),
        cmocka_unit_test(test_smsr_addressing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
