/* Card model end to end, driven by the server-role codecs: CreateISDP by SMS, Scenario#3 through the
 * ECASD, SCP03t download of every TS.48 v7 package (personalised), EUICCResponse, enable with its
 * notification and confirmation, disable to the fall-back profile, delete; the SM-DP's SCP03 session
 * (3A07 with the SGP02.md example, PUT KEY of the token key, master delete); a download cut in the
 * middle leaves no half profile, also across a reopen of the fleet. */
#include "test_euicc_fixture.h"

#define PROV 0x000010u

static const char *const packages[] = {
    "TS48v7_SAIP2.3_NoBERTLV.der",
    "TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der",
    "TS48v7_SAIP2.3_BERTLV_SUCI.der",
    "TS48v7_SAIP2.3_BERTLV_SUCI_NoRAMRFM.der",
};

static void test_each_ts48_package(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    for (unsigned i = 0; i < 4; i++) {
        rsp_buf pkg = RSP_BUF_INIT;
        char iccid[20], imsi[16];
        snprintf(iccid, sizeof(iccid), "89445010000000010%u", i);
        snprintf(imsi, sizeof(imsi), "00101000000010%u", i);
        fx_package(packages[i], iccid, imsi, 0, &pkg);
        uint32_t tar = 0x20 + i;
        rsp_scp03_keys keys;
        fx_download(&x, c, 0, tar, &pkg, &keys);
        rsp_euicc_profile_info p = fx_prof(c, tar);
        assert_int_equal(p.lcs, 0x1F);
        assert_true(p.has_keys);
        assert_string_equal(p.msisdn, imsi); /* no 3A07 A1: the IMSI is the address */
        assert_int_equal(p.used, (int64_t)pkg.len);
        if (strncmp(p.iccid, iccid, strlen(iccid)) != 0)
            fail_msg("ICCID %s, expected %s + Luhn", p.iccid, iccid);
        /* GET STATUS sees it disabled; delete it again to make room. */
        char aid[33], cmd[80];
        fx_isdp_hex(tar, aid);
        snprintf(cmd, sizeof(cmd), "80F2400212 4F10%s", aid);
        rsp_buf d = RSP_BUF_INIT;
        char nospace[80];
        size_t k = 0;
        for (size_t j = 0; cmd[j]; j++)
            if (cmd[j] != ' ')
                nospace[k++] = cmd[j];
        nospace[k] = 0;
        assert_int_equal(fx_sms1(&x, c, 1, nospace, &d), 0x9000);
        rsp_tlv t;
        uint32_t path[] = {0xE3, 0x9F70};
        assert_int_equal(rsp_tlv_find_path(d.data, d.len, path, 2, &t), RSP_OK);
        assert_int_equal(t.value[0], 0x1F);
        snprintf(cmd, sizeof(cmd), "80E40040124F10%s", aid);
        assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x9000);
        assert_int_equal(fx_sms1(&x, c, 1, nospace, NULL), 0x6A88);
        rsp_buf_free(&d);
        rsp_buf_free_secret(&pkg);
    }
    fx_teardown(&x);
}

static void test_enable_notify_disable_delete(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    uint8_t types[8];
    uint16_t seqs[8];
    /* First attach (01) goes out at the first tick, then waits for its confirmation. */
    assert_int_equal(fx_tick(&x, c, types, seqs), 1);
    assert_int_equal(types[0], 0x01);
    assert_int_equal(fx_tick(&x, c, types, seqs), 0); /* not due again yet */
    rsp_buf d = RSP_BUF_INIT;
    assert_int_equal(fx_confirm(&x, c, seqs[0], &d), 0x9000);
    tu_assert_hex(d.data, d.len, "8000");

    rsp_buf pkg = RSP_BUF_INIT;
    fx_package(packages[0], "894450100000000200", "001010000000200", 0, &pkg);
    rsp_scp03_keys keys;
    fx_download(&x, c, 0, 0x30, &pkg, &keys);
    char cmd[80];
    fx_sd_aid("3A03", 0x30, cmd);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x9000);
    assert_int_equal(fx_prof(c, 0x30).lcs, 0x3F);
    assert_int_equal(fx_prof(c, PROV).lcs, 0x1F);
    assert_string_equal(rsp_euicc_msisdn(c), "001010000000200");
    assert_ptr_equal(rsp_euicc_fleet_by_msisdn(x.f, "001010000000200"), c);
    assert_null(rsp_euicc_fleet_by_msisdn(x.f, "447700900010"));
    /* Enabling it again: wrong state. */
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x6985);

    assert_int_equal(fx_tick(&x, c, types, seqs), 1);
    assert_int_equal(types[0], 0x02);
    uint16_t seq = seqs[0];
    /* Not confirmed: resent after the back-off, with the same sequence number. */
    x.now += 29000;
    assert_int_equal(fx_tick(&x, c, types, seqs), 0);
    x.now += 2000;
    assert_int_equal(fx_tick(&x, c, types, seqs), 1);
    assert_int_equal(seqs[0], seq);
    assert_int_equal(fx_confirm(&x, c, seq, &d), 0x9000);
    tu_assert_hex(d.data, d.len, "8000");
    /* A duplicate confirmation is answered again; an unknown one is refused. */
    assert_int_equal(fx_confirm(&x, c, seq, &d), 0x9000);
    tu_assert_hex(d.data, d.len, "8000");
    assert_int_equal(fx_confirm(&x, c, (uint16_t)(seq + 5), NULL), 0x6A88);
    x.now += 3600000;
    assert_int_equal(fx_tick(&x, c, types, seqs), 0);

    /* Disable: the fall-back profile comes back, notification 05. */
    fx_sd_aid("3A04", 0x30, cmd);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x9000);
    assert_int_equal(fx_prof(c, PROV).lcs, 0x3F);
    assert_int_equal(fx_tick(&x, c, types, seqs), 1);
    assert_int_equal(types[0], 0x05);
    /* Disabling the fall-back profile, deleting the enabled one: 6985. */
    fx_sd_aid("3A04", PROV, cmd);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x6985);
    assert_int_equal(fx_sms1(&x, c, 1, "80E40040124F10A0000005591010FFFFFFFF8900001000", NULL), 0x6985);
    assert_int_equal(fx_sms1(&x, c, 1, "80E40040124F10A0000005591010FFFFFFFF8900003000", NULL), 0x9000);
    assert_int_equal(fx_sms1(&x, c, 1, "80E40040124F10A0000005591010FFFFFFFF8900003000", NULL), 0x6A88);
    /* GET DATA FF21: one application left. */
    assert_int_equal(fx_sms1(&x, c, 1, "80CAFF2100", &d), 0x9000);
    assert_true(d.len > 6);
    tu_assert_hex(d.data, 6, "FF210D810101");
    rsp_buf_free(&d);
    rsp_buf_free_secret(&pkg);
    fx_teardown(&x);
}

/* The SM-DP's SCP03 session to the ISD-P, by SMS. Returns the unwrapped SW. */
static uint16_t s03_cmd(fx *x, rsp_euicc *c, uint32_t tar, rsp_scp03_session *s, const uint8_t *apdu, size_t len,
                        rsp_buf *data)
{
    rsp_buf w = RSP_BUF_INIT, r = RSP_BUF_INIT, u = RSP_BUF_INIT;
    assert_int_equal(rsp_scp03_host_wrap(s, apdu, len, &w, NULL), RSP_OK);
    char *hex = rsp_hex_dup(w.data, w.len);
    uint16_t sw = fx_sms1(x, c, tar, hex, &r);
    free(hex);
    uint8_t swb[2] = {(uint8_t)(sw >> 8), (uint8_t)sw};
    rsp_buf_append(&r, swb, 2);
    assert_int_equal(rsp_scp03_host_unwrap(s, r.data, r.len, &u, NULL), RSP_OK);
    sw = rsp_be16(u.data + u.len - 2);
    if (data) {
        rsp_buf_reset(data);
        rsp_buf_append(data, u.data, u.len - 2);
    }
    rsp_buf_free(&w);
    rsp_buf_free(&r);
    rsp_buf_free(&u);
    return sw;
}

static void test_scp03_session_token_master_delete(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    rsp_buf pkg = RSP_BUF_INIT;
    fx_package(packages[1], "894450100000000300", "001010000000300", 0, &pkg);
    rsp_scp03_keys keys;
    fx_download(&x, c, 0, 0x40, &pkg, &keys);
    /* Without the session an ISD-P command is refused. */
    assert_int_equal(fx_sms1(&x, c, 0x40, "80E288000E3A070BA0090607913386994211F1", NULL), 0x6982);

    uint8_t hc[8];
    rsp_random(hc, 8);
    rsp_buf a = RSP_BUF_INIT, r = RSP_BUF_INIT;
    assert_int_equal(rsp_scp03_host_init_update(0x30, hc, &a), RSP_OK);
    char *hex = rsp_hex_dup(a.data, a.len);
    assert_int_equal(fx_sms1(&x, c, 0x40, hex, &r), 0x9000);
    free(hex);
    rsp_scp03_session s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(rsp_scp03_host_begin(&s, &keys, hc, r.data, r.len, NULL), RSP_OK);
    rsp_buf_reset(&a);
    assert_int_equal(rsp_scp03_host_ext_auth(&s, 0x33, &a), RSP_OK);
    hex = rsp_hex_dup(a.data, a.len);
    assert_int_equal(fx_sms1(&x, c, 0x40, hex, NULL), 0x9000);
    free(hex);

    /* 3A07 connectivity parameters with the SGP02.md example 06 07 91 3386994211F1 (+33689924111),
     * and our A1 {81} MSISDN. */
    rsp_buf cp = RSP_BUF_INIT;
    tu_hex("80E28800193A0716A0090607913386994211F1A109810791447700999999", &cp);
    assert_int_equal(s03_cmd(&x, c, 0x40, &s, cp.data, cp.len, NULL), 0x9000);
    rsp_euicc_profile_info p = fx_prof(c, 0x40);
    assert_string_equal(p.smsc, "33689924111");
    assert_string_equal(p.msisdn, "447700999999");
    /* A malformed 3A07 changes nothing. */
    tu_hex("80E28800063A0703A00106", &cp);
    assert_int_equal(s03_cmd(&x, c, 0x40, &s, cp.data, cp.len, NULL), 0x6A80);
    assert_string_equal(fx_prof(c, 0x40).smsc, "33689924111");

    /* PUT KEY of the token key (KVN 70) under K-DEK, with its KCV. */
    uint8_t tk[16], enc[16], kcv[3];
    rsp_random(tk, 16);
    assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, keys.dek, 16, NULL, tk, 16, enc), RSP_OK);
    assert_int_equal(rsp_scp03_kcv(tk, 16, kcv), RSP_OK);
    uint8_t pk[5 + 24] = {0x80, 0xD8, 0x00, 0x01, 24, 0x70, 0x88, 0x11, 0x10};
    memcpy(pk + 9, enc, 16);
    pk[25] = 0x03;
    memcpy(pk + 26, kcv, 3);
    pk[26] ^= 1; /* wrong KCV first */
    assert_int_equal(s03_cmd(&x, c, 0x40, &s, pk, sizeof(pk), NULL), 0x6A80);
    assert_false(fx_prof(c, 0x40).has_token);
    pk[26] ^= 1;
    rsp_buf d = RSP_BUF_INIT;
    assert_int_equal(s03_cmd(&x, c, 0x40, &s, pk, sizeof(pk), &d), 0x9000);
    assert_int_equal(d.len, 4);
    assert_int_equal(d.data[0], 0x70);
    assert_memory_equal(d.data + 1, kcv, 3);
    assert_true(fx_prof(c, 0x40).has_token);
    rsp_scp03_close(&s);

    /* Master delete with a token: a wrong token is refused (6982), the right one deletes. */
    rsp_buf md = RSP_BUF_INIT;
    tu_hex("4F10A0000005591010FFFFFFFF8900004000B60C4201014501025F2003534D44", &md);
    uint8_t hdr[3] = {0x00, 0x40, (uint8_t)md.len}, mac[16];
    rsp_bytes parts[2] = {{hdr, 3}, {md.data, md.len}};
    assert_int_equal(rsp_aes_cmac_parts(tk, 16, parts, 2, mac), RSP_OK);
    rsp_buf apdu = RSP_BUF_INIT;
    uint8_t h5[5] = {0x80, 0xE4, 0x00, 0x40, (uint8_t)(md.len + 2 + 16)};
    rsp_buf_append(&apdu, h5, 5);
    rsp_buf_append(&apdu, md.data, md.len);
    uint8_t t9e[2] = {0x9E, 0x10};
    rsp_buf_append(&apdu, t9e, 2);
    mac[0] ^= 0xFF;
    rsp_buf_append(&apdu, mac, 16);
    hex = rsp_hex_dup(apdu.data, apdu.len);
    assert_int_equal(fx_sms1(&x, c, 1, hex, NULL), 0x6982);
    free(hex);
    assert_int_equal(fx_prof(c, 0x40).lcs, 0x1F);
    apdu.data[apdu.len - 16] ^= 0xFF;
    hex = rsp_hex_dup(apdu.data, apdu.len);
    assert_int_equal(fx_sms1(&x, c, 1, hex, NULL), 0x9000);
    free(hex);
    assert_int_equal(fx_prof(c, 0x40).lcs, 0);
    rsp_buf_free(&apdu);
    rsp_buf_free(&md);
    rsp_buf_free(&d);
    rsp_buf_free(&cp);
    rsp_buf_free(&a);
    rsp_buf_free(&r);
    rsp_buf_free_secret(&pkg);
    fx_teardown(&x);
}

static void test_cut_download_rolls_back(void **state)
{
    (void)state;
    char dir[256];
    snprintf(dir, sizeof(dir), "/tmp/test_euicc_dl.XXXXXX");
    assert_non_null(mkdtemp(dir));
    fx x;
    fx_setup(&x, dir, 1);
    rsp_euicc *c = fx_card(&x, 0);
    rsp_buf pkg = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    fx_package(packages[2], "894450100000000400", "001010000000400", 0, &pkg);
    assert_int_equal(fx_create_isdp(&x, c, 0x50, 0), 0x9000);
    rsp_scp03_keys keys;
    fx_keyest(&x, c, 0, 0x50, &keys);
    /* Half the segments arrive, then the session breaks off. */
    fx_scp03t(&x, c, 0x50, &keys, pkg.data, pkg.len, pkg.len / 2, &resp);
    assert_int_equal(resp.len, 0);
    rsp_euicc_admin_end(c, false, x.now);
    assert_int_equal(fx_prof(c, 0x50).lcs, 0x07);
    assert_int_equal(fx_prof(c, 0x50).used, 0);
    /* Again, cut, then the process dies: the reopened card holds the ISD-P created and empty. */
    fx_scp03t(&x, c, 0x50, &keys, pkg.data, pkg.len, pkg.len / 3, &resp);
    rsp_euicc_fleet_close(x.f);
    assert_int_equal(rsp_euicc_fleet_open(dir, NULL, &x.f), RSP_OK);
    c = fx_card(&x, 0);
    assert_int_equal(fx_prof(c, 0x50).lcs, 0x07);
    /* Continuing the old session is refused (9F 03); a new download installs. */
    uint8_t seg[4] = {0x86, 0x02, 0x00, 0x00};
    fx_admin(&x, c, 0x50, seg, 4, &resp, "ok");
    tu_assert_hex(resp.data, resp.len, "9F03");
    fx_scp03t(&x, c, 0x50, &keys, pkg.data, pkg.len, 0, &resp);
    rsp_saip_euicc_response r;
    assert_int_equal(rsp_saip_euicc_response_decode(resp.data, resp.len, &r, NULL), RSP_OK);
    assert_false(r.installation_aborted);
    rsp_saip_euicc_response_free(&r);
    assert_int_equal(fx_prof(c, 0x50).lcs, 0x1F);
    /* A second package with the same ICCID into another ISD-P is refused, leaving it created. */
    assert_int_equal(fx_create_isdp(&x, c, 0x51, 0), 0x9000);
    fx_keyest(&x, c, 0, 0x51, &keys);
    fx_scp03t(&x, c, 0x51, &keys, pkg.data, pkg.len, 0, &resp);
    assert_int_equal(rsp_saip_euicc_response_decode(resp.data, resp.len, &r, NULL), RSP_OK);
    assert_true(r.installation_aborted);
    assert_int_equal(r.pe_status[0].status, RSP_SAIP_ST_BAD_VALUES);
    rsp_saip_euicc_response_free(&r);
    assert_int_equal(fx_prof(c, 0x51).lcs, 0x07);
    /* 200,000 bytes: the provisioning profile and two ISD-Ps of 65,536 leave room for 16 KiB, not 64. */
    assert_int_equal(fx_create_isdp(&x, c, 0x52, 0x4000), 0x9000);
    assert_int_equal(fx_create_isdp(&x, c, 0x53, 0xFFFF), 0x6A84);
    assert_int_equal(fx_create_isdp(&x, c, 0x52, 0), 0x6985); /* exists */
    rsp_buf_free(&resp);
    rsp_buf_free_secret(&pkg);
    fx_teardown(&x);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Wraps `plain` as one SCP03t session (84, 85, 86s) and returns the card's answer to the 85/86 body;
 * flip > 0 corrupts that byte of the body first. */
static void scp03t_body(fx *x, rsp_euicc *c, uint32_t tar, const rsp_scp03_keys *keys, const char *plain_hex,
                        size_t flip, rsp_buf *resp)
{
    rsp_buf plain = RSP_BUF_INIT, b = RSP_BUF_INIT;
    tu_hex(plain_hex, &plain);
    uint8_t hc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(rsp_scp03t_host_init(keys->kvn, 0x01, hc, &b), RSP_OK);
    fx_admin(x, c, tar, b.data, b.len, resp, "ok");
    rsp_scp03_session s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(rsp_scp03t_host_begin(&s, keys, hc, resp->data, resp->len, NULL), RSP_OK);
    rsp_buf_reset(&b);
    assert_int_equal(rsp_scp03t_host_auth(&s, 0x33, &b), RSP_OK);
    assert_int_equal(rsp_scp03t_host_wrap(&s, plain.data, plain.len, 0, &b), RSP_OK);
    if (flip)
        b.data[flip] ^= 0x01;
    fx_admin(x, c, tar, b.data, b.len, resp, "ok");
    rsp_scp03_close(&s);
    rsp_buf_free(&b);
    rsp_buf_free(&plain);
}

static void test_bad_segments(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    assert_int_equal(fx_create_isdp(&x, c, 0x60, 0x4000), 0x9000);
    rsp_scp03_keys keys;
    fx_keyest(&x, c, 0, 0x60, &keys);
    rsp_buf resp = RSP_BUF_INIT;
    rsp_saip_euicc_response r;
    /* A flipped bit in the first segment: C-MAC fails, 9F 02. */
    scp03t_body(&x, c, 0x60, &keys, "A0058001028101AA00", 25, &resp);
    tu_assert_hex(resp.data, resp.len, "9F02");
    /* Whole TLVs ending with END but not a profile package: EUICCResponse, installation aborted. */
    scp03t_body(&x, c, 0x60, &keys, "300301010AAA00", 0, &resp);
    assert_int_equal(rsp_saip_euicc_response_decode(resp.data, resp.len, &r, NULL), RSP_OK);
    assert_true(r.installation_aborted);
    rsp_saip_euicc_response_free(&r);
    /* Not TLVs at all. */
    scp03t_body(&x, c, 0x60, &keys, "FFFFFFFFFFFF", 0, &resp);
    assert_int_equal(rsp_saip_euicc_response_decode(resp.data, resp.len, &r, NULL), RSP_OK);
    assert_true(r.installation_aborted);
    assert_int_equal(r.pe_status[0].status, RSP_SAIP_ST_INVALID_REQUEST_FORMAT);
    rsp_saip_euicc_response_free(&r);
    /* Each time the ISD-P stays created and empty. */
    assert_int_equal(fx_prof(c, 0x60).lcs, 0x07);
    assert_int_equal(fx_prof(c, 0x60).used, 0);
    /* SCP03t to an ISD-P without keys, or to one already installed: 9F 03. */
    assert_int_equal(fx_create_isdp(&x, c, 0x61, 0x4000), 0x9000);
    uint8_t init[12] = {0x84, 0x0A, 0x30, 0x01, 1, 2, 3, 4, 5, 6, 7, 8};
    fx_admin(&x, c, 0x61, init, sizeof(init), &resp, "ok");
    tu_assert_hex(resp.data, resp.len, "9F03");
    fx_admin(&x, c, 0x10, init, sizeof(init), &resp, "ok");
    tu_assert_hex(resp.data, resp.len, "9F03");
    rsp_buf_free(&resp);
    fx_teardown(&x);
}

/* ES8 through the ISD-R: INSTALL [for personalization] names the ISD-P for the STORE DATAs that
 * follow in the same script. */
static void test_install_perso_routes_keyest(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    assert_int_equal(fx_create_isdp(&x, c, 0x70, 0x4000), 0x9000);
    char aid[33], perso[80];
    fx_isdp_hex(0x70, aid);
    snprintf(perso, sizeof(perso), "80E62000160000 10%s000000", aid);
    size_t k = 0;
    for (size_t i = 0; perso[i]; i++)
        if (perso[i] != ' ')
            perso[k++] = perso[i];
    perso[k] = 0;
    assert_int_equal(fx_sms1(&x, c, 1, "80E6200016000010A0000005591010FFFFFFFF8900007700000000", NULL), 0x6A88);
    rsp_buf apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    assert_int_equal(rsp_keyest_host_cert_apdu(x.cert_dp.data, x.cert_dp.len, &apdu), RSP_OK);
    char *hex = rsp_hex_dup(apdu.data, apdu.len);
    /* Without INSTALL [perso] the ISD-R takes 3A01 for itself and wants an SM-SR certificate. */
    assert_int_equal(fx_sms1(&x, c, 1, hex, NULL), 0x6982);
    const char *s1[2] = {perso, hex};
    assert_int_equal(fx_sms_script(&x, c, 1, s1, 2, &resp, NULL), 0x9000);
    free(hex);
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    assert_int_equal(rsp_keyest_host_challenge(&h, resp.data, resp.len, NULL), RSP_OK);
    rsp_keyest_params p = {0, 0, 16, 0, 0x30, false, NULL, 0, NULL, 0};
    rsp_buf_reset(&apdu);
    assert_int_equal(rsp_keyest_host_keyagree_apdu(&h, &p, x.dp, RSP_CURVE_P256, &apdu), RSP_OK);
    hex = rsp_hex_dup(apdu.data, apdu.len);
    const char *s2[2] = {perso, hex};
    assert_int_equal(fx_sms_script(&x, c, 1, s2, 2, &resp, NULL), 0x9000);
    free(hex);
    uint8_t pt[65];
    rsp_eckey *pk = NULL;
    rsp_ec_public_point(x.ecasd[0], pt);
    rsp_ec_from_public(RSP_CURVE_P256, pt, 65, &pk);
    rsp_scp03_keys keys;
    assert_int_equal(rsp_keyest_host_finish(&h, pk, resp.data, resp.len, &keys, NULL), RSP_OK);
    assert_true(fx_prof(c, 0x70).has_keys);
    rsp_euicc_info info;
    assert_int_equal(rsp_euicc_info_get(c, &info), RSP_OK);
    assert_int_equal(info.n_scp80, 1); /* nothing went to the ISD-R */
    rsp_ec_free(pk);
    rsp_keyest_host_close(&h);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
    fx_teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_ts48_package),
        cmocka_unit_test(test_enable_notify_disable_delete),
        cmocka_unit_test(test_scp03_session_token_master_delete),
        cmocka_unit_test(test_cut_download_rolls_back),
        cmocka_unit_test(test_bad_segments),
        cmocka_unit_test(test_install_perso_routes_keyest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
