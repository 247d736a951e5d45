/* SCP03 host and card roles against the real-card traces of VECTORS.txt §B (AES128_11, _03, _33),
 * AES-192/256 host<->card round trips, and negative cases (flipped bits, truncation, state). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/scp03.h"
#include "testutil.h"

static const char *const PLAIN_KEYS[4] = {"case1", "case2", "case3", "case4"};
static const char *const WRAP_KEYS[4] = {"wrap 80f22002 ->", "wrap 80ca006600 ->", "wrap 80f220020a4f0212345c054f9f70c5 ->",
                                         "wrap 80f28002024f0000 ->"};

static void static_keys(rsp_scp03_keys *k, size_t len, uint8_t kvn)
{
    uint8_t enc[32], mac[32], dek[32];
    for (size_t i = 0; i < 32; i++) {
        /* §B: AES192 = key || its first 8 bytes; AES256 = 16-byte key twice. */
        size_t j = len == 24 ? (i < 16 ? i : i - 16) : i % 16;
        enc[i] = (uint8_t)j;
        mac[i] = (uint8_t)(0x10 + j);
        dek[i] = (uint8_t)(0x20 + j);
    }
    assert_int_equal(rsp_scp03_keys_set(k, kvn, enc, mac, dek, len), RSP_OK);
}

static void expect_vec(const char *marker, const char *key, const uint8_t *p, size_t len)
{
    char *want = tu_vec(marker, key);
    tu_assert_hex(p, len, want);
    free(want);
}

/* Runs one §B trace through the host role and, independently, through the card role. */
static void run_trace(const char *marker, uint8_t sl)
{
    rsp_scp03_keys keys;
    static_keys(&keys, 16, 0x30);
    rsp_buf iu = RSP_BUF_INIT, iur = RSP_BUF_INIT, out = RSP_BUF_INIT, v = RSP_BUF_INIT, plain = RSP_BUF_INIT;
    tu_vec_bytes(marker, "INIT UPDATE cmd  =", &iu);
    tu_vec_bytes(marker, "INIT UPDATE resp =", &iur);
    const uint8_t *hc = iu.data + 5;

    /* ---- host ---- */
    rsp_scp03_session h;
    assert_int_equal(rsp_scp03_host_init_update(0x30, hc, &out), RSP_OK);
    assert_true(rsp_bytes_eq(rsp_buf_view(&out), rsp_buf_view(&iu)));
    assert_int_equal(rsp_scp03_host_begin(&h, &keys, hc, iur.data, iur.len, NULL), RSP_OK);
    expect_vec(marker, "S-ENC  =", h.s_enc, 16);
    expect_vec(marker, "S-MAC  =", h.s_mac, 16);
    expect_vec(marker, "S-RMAC =", h.s_rmac, 16);
    expect_vec(marker, "card challenge = KDF(K-ENC,02,seq||A0000005591010FFFFFFFF8900000100,64) =", h.card_challenge, 8);
    expect_vec(marker, "host cryptogram =", h.host_cryptogram, 8);
    rsp_buf_reset(&out);
    assert_int_equal(rsp_scp03_host_ext_auth(&h, sl, &out), RSP_OK);
    expect_vec(marker, "EXT AUTH =", out.data, out.len);
    rsp_buf_reset(&out);
    tu_vec_bytes("Plain APDUs:", "GET EID", &plain);
    assert_int_equal(rsp_scp03_host_wrap(&h, plain.data, plain.len, &out, NULL), RSP_OK);
    expect_vec(marker, "GET EID wrapped =", out.data, out.len);
    expect_vec(marker, "MCV after =", h.mcv, 16);

    /* Response of GET EID: data (|| R-MAC) with SW 9000 appended. */
    rsp_buf resp = RSP_BUF_INIT, rplain = RSP_BUF_INIT;
    tu_vec_bytes(marker, "GET EID response(data) =", &resp);
    rsp_buf_append_u16(&resp, 0x9000);
    tu_hex("bf3e125a1089882119900000000000000000000005", &rplain);
    rsp_buf_reset(&out);
    assert_int_equal(rsp_scp03_host_unwrap(&h, resp.data, resp.len, &out, NULL), RSP_OK);
    assert_int_equal(out.len, rplain.len + 2);
    assert_memory_equal(out.data, rplain.data, rplain.len);
    if (sl & RSP_SCP03_SL_RMAC) {
        /* A flipped bit in the R-MAC is refused and leaves the session usable. */
        resp.data[resp.len - 3] ^= 1;
        assert_int_equal(rsp_scp03_host_unwrap(&h, resp.data, resp.len, &out, NULL), RSP_ERR_VERIFY);
        resp.data[resp.len - 3] ^= 1;
    }
    for (int i = 0; i < 4; i++) {
        tu_vec_bytes("Plain APDUs:", PLAIN_KEYS[i], &plain);
        rsp_buf_reset(&out);
        assert_int_equal(rsp_scp03_host_wrap(&h, plain.data, plain.len, &out, NULL), RSP_OK);
        expect_vec(marker, WRAP_KEYS[i], out.data, out.len);
    }
    rsp_scp03_close(&h);

    /* ---- card ---- */
    rsp_scp03_session c;
    rsp_scp03_card_params p = {RSP_AID_ISDR.b, RSP_AID_ISDR.len, rsp_be24(iur.data + 29), 0x70, {0}, NULL};
    rsp_buf_reset(&out);
    assert_int_equal(rsp_scp03_card_init_update(&c, &keys, &p, iu.data, iu.len, &out, NULL), RSP_OK);
    assert_true(rsp_bytes_eq(rsp_buf_view(&out), rsp_buf_view(&iur)));
    tu_vec_bytes(marker, "EXT AUTH =", &v);
    assert_int_equal(rsp_scp03_card_ext_auth(&c, v.data, v.len, NULL), RSP_OK);
    assert_int_equal(c.sl, sl);
    tu_vec_bytes(marker, "GET EID wrapped =", &v);
    rsp_buf_reset(&out);
    assert_int_equal(rsp_scp03_card_unwrap(&c, v.data, v.len, &out, NULL), RSP_OK);
    tu_vec_bytes("Plain APDUs:", "GET EID", &plain);
    assert_true(rsp_bytes_eq(rsp_buf_view(&out), rsp_buf_view(&plain)));
    rsp_buf_reset(&out);
    assert_int_equal(rsp_scp03_card_wrap(&c, rplain.data, rplain.len, 0x9000, &out), RSP_OK);
    assert_true(rsp_bytes_eq(rsp_buf_view(&out), rsp_buf_view(&resp)));
    for (int i = 0; i < 4; i++) {
        tu_vec_bytes(marker, WRAP_KEYS[i], &v);
        tu_vec_bytes("Plain APDUs:", PLAIN_KEYS[i], &plain);
        rsp_buf_reset(&out);
        assert_int_equal(rsp_scp03_card_unwrap(&c, v.data, v.len, &out, NULL), RSP_OK);
        assert_true(rsp_bytes_eq(rsp_buf_view(&out), rsp_buf_view(&plain)));
    }
    rsp_scp03_close(&c);
    for (size_t i = 0; i < sizeof(c); i++)
        assert_int_equal(((uint8_t *)&c)[i], 0);
    rsp_buf_free(&iu);
    rsp_buf_free(&iur);
    rsp_buf_free(&out);
    rsp_buf_free(&v);
    rsp_buf_free(&plain);
    rsp_buf_free(&resp);
    rsp_buf_free(&rplain);
}

static void test_trace_11(void **state) { (void)state; run_trace("[AES128_11]", 0x11); }
static void test_trace_03(void **state) { (void)state; run_trace("[AES128_03]", 0x03); }
static void test_trace_33(void **state) { (void)state; run_trace("[AES128_33]", 0x33); }

static void test_r_enc_decrypt_block(void **state)
{
    (void)state;
    /* §B AES128_33 shows the padded R-ENC plaintext; our unwrap strips exactly that padding. */
    char *dec = tu_vec("[AES128_33]", "decrypted =");
    assert_string_equal(dec, "bf3e125a10898821199000000000000000000000058000000000000000000000");
    free(dec);
}

static void test_kcv(void **state)
{
    (void)state;
    rsp_scp03_keys k;
    static_keys(&k, 16, 0x30);
    uint8_t kcv[3];
    assert_int_equal(rsp_scp03_kcv(k.enc, 16, kcv), RSP_OK);
    expect_vec("KCV = AES-ECB", "ENC", kcv, 3);
    assert_int_equal(rsp_scp03_kcv(k.mac, 16, kcv), RSP_OK);
    expect_vec("KCV = AES-ECB", "MAC", kcv, 3);
    assert_int_equal(rsp_scp03_kcv(k.dek, 16, kcv), RSP_OK);
    expect_vec("KCV = AES-ECB", "DEK", kcv, 3);
}

/* Host and card talk to each other at every level and key size, random challenges. */
static void test_roundtrip_all(void **state)
{
    (void)state;
    const size_t lens[3] = {16, 24, 32};
    const uint8_t sls[6] = {0x01, 0x03, 0x11, 0x13, 0x31, 0x33};
    for (int k = 0; k < 3; k++) {
        for (int l = 0; l < 6; l++) {
            rsp_scp03_keys keys;
            static_keys(&keys, lens[k], (uint8_t)(0x30 + k));
            rsp_scp03_session h, c;
            uint8_t hc[8] = {1, 2, 3, 4, 5, 6, 7, (uint8_t)l};
            rsp_buf a = RSP_BUF_INIT, b = RSP_BUF_INIT, r = RSP_BUF_INIT;
            assert_int_equal(rsp_scp03_host_init_update(0, hc, &a), RSP_OK);
            rsp_scp03_card_params p = {RSP_AID_ISDR.b, RSP_AID_ISDR.len, 7, l % 2 ? 0x70 : 0x60, {0}, NULL};
            assert_int_equal(rsp_scp03_card_init_update(&c, &keys, &p, a.data, a.len, &b, NULL), RSP_OK);
            assert_int_equal(rsp_scp03_host_begin(&h, &keys, hc, b.data, b.len, NULL), RSP_OK);
            rsp_buf_reset(&a);
            assert_int_equal(rsp_scp03_host_ext_auth(&h, sls[l], &a), RSP_OK);
            assert_int_equal(rsp_scp03_card_ext_auth(&c, a.data, a.len, NULL), RSP_OK);
            for (size_t n = 0; n < 200; n += 37) {
                uint8_t cmd[5 + 255];
                memcpy(cmd, "\x80\xe2\x91\x00", 4);
                cmd[4] = (uint8_t)n;
                for (size_t i = 0; i < n; i++)
                    cmd[5 + i] = (uint8_t)(i * 7);
                size_t clen = n ? 5 + n : 4;
                rsp_buf_reset(&a);
                rsp_buf_reset(&b);
                assert_int_equal(rsp_scp03_host_wrap(&h, cmd, clen, &a, NULL), RSP_OK);
                assert_int_equal(rsp_scp03_card_unwrap(&c, a.data, a.len, &b, NULL), RSP_OK);
                assert_int_equal(b.len, clen);
                assert_memory_equal(b.data, cmd, clen);
                rsp_buf_reset(&a);
                rsp_buf_reset(&r);
                assert_int_equal(rsp_scp03_card_wrap(&c, cmd + 4, n, 0x9000, &a), RSP_OK);
                assert_int_equal(rsp_scp03_host_unwrap(&h, a.data, a.len, &r, NULL), RSP_OK);
                assert_int_equal(r.len, n + 2);
                if (n)
                    assert_memory_equal(r.data, cmd + 4, n);
            }
            /* An error SW without data is passed through unprotected. */
            rsp_buf_reset(&a);
            rsp_buf_reset(&r);
            assert_int_equal(rsp_scp03_card_wrap(&c, NULL, 0, 0x6A88, &a), RSP_OK);
            assert_int_equal(rsp_scp03_host_unwrap(&h, a.data, a.len, &r, NULL), RSP_OK);
            assert_int_equal(r.len, 2);
            rsp_scp03_close(&h);
            rsp_scp03_close(&c);
            rsp_buf_free(&a);
            rsp_buf_free(&b);
            rsp_buf_free(&r);
        }
    }
}

static void test_negative(void **state)
{
    (void)state;
    rsp_scp03_keys keys;
    static_keys(&keys, 16, 0x30);
    rsp_buf iu = RSP_BUF_INIT, iur = RSP_BUF_INIT, v = RSP_BUF_INIT, out = RSP_BUF_INIT;
    tu_vec_bytes("[AES128_11]", "INIT UPDATE cmd  =", &iu);
    tu_vec_bytes("[AES128_11]", "INIT UPDATE resp =", &iur);
    rsp_scp03_session h;
    rsp_diag d;
    /* Flipped card cryptogram bit: VERIFY, keys derived, ext auth refused. */
    iur.data[25] ^= 0x01;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_scp03_host_begin(&h, &keys, iu.data + 5, iur.data, iur.len, &d), RSP_ERR_VERIFY);
    assert_non_null(strstr(d.msg, "cryptogram"));
    assert_false(h.card_cryptogram_ok);
    assert_int_equal(rsp_scp03_host_ext_auth(&h, 0x11, &out), RSP_ERR_STATE);
    iur.data[25] ^= 0x01;
    /* Truncated response. */
    assert_int_equal(rsp_scp03_host_begin(&h, &keys, iu.data + 5, iur.data, 20, NULL), RSP_ERR_TRUNCATED);
    /* Wrap before authentication. */
    assert_int_equal(rsp_scp03_host_wrap(&h, iu.data, 4, &out, NULL), RSP_ERR_STATE);

    /* Card side: a flipped bit anywhere in EXTERNAL AUTHENTICATE or a wrapped command fails. */
    rsp_scp03_session c;
    rsp_scp03_card_params p = {RSP_AID_ISDR.b, RSP_AID_ISDR.len, 2, 0x70, {0}, NULL};
    assert_int_equal(rsp_scp03_card_init_update(&c, &keys, &p, iu.data, iu.len, &out, NULL), RSP_OK);
    tu_vec_bytes("[AES128_11]", "EXT AUTH =", &v);
    v.data[7] ^= 0x80; /* host cryptogram: MAC covers it, so the MAC fails first */
    assert_int_equal(rsp_scp03_card_ext_auth(&c, v.data, v.len, NULL), RSP_ERR_VERIFY);
    v.data[7] ^= 0x80;
    assert_int_equal(rsp_scp03_card_ext_auth(&c, v.data, v.len - 1, NULL), RSP_ERR_TRUNCATED);
    assert_int_equal(rsp_scp03_card_ext_auth(&c, v.data, v.len, NULL), RSP_OK);
    tu_vec_bytes("[AES128_11]", "GET EID wrapped =", &v);
    v.data[8] ^= 0x04;
    rsp_diag_clear(&d);
    rsp_buf_reset(&out);
    assert_int_equal(rsp_scp03_card_unwrap(&c, v.data, v.len, &out, &d), RSP_ERR_VERIFY);
    assert_int_equal(d.offset, 5 + 14 - 8);
    v.data[8] ^= 0x04;
    assert_int_equal(rsp_scp03_card_unwrap(&c, v.data, v.len, &out, NULL), RSP_OK);
    /* Lc larger than the data, and no C-MAC. */
    const uint8_t bad1[] = {0x84, 0xf2, 0x20, 0x02, 0x10, 1, 2};
    assert_int_equal(rsp_scp03_card_unwrap(&c, bad1, sizeof(bad1), &out, NULL), RSP_ERR_TRUNCATED);
    const uint8_t bad2[] = {0x84, 0xf2, 0x20, 0x02, 0x02, 1, 2};
    assert_int_equal(rsp_scp03_card_unwrap(&c, bad2, sizeof(bad2), &out, NULL), RSP_ERR_TRUNCATED);
    assert_int_equal(rsp_scp03_card_unwrap(&c, bad2, 3, &out, NULL), RSP_ERR_TRUNCATED);
    /* Unknown KVN, S16 mode. */
    rsp_scp03_session c2;
    iu.data[2] = 0x31;
    assert_int_equal(rsp_scp03_card_init_update(&c2, &keys, &p, iu.data, iu.len, &out, NULL), RSP_ERR_NOT_FOUND);
    iu.data[2] = 0x30;
    iur.data[12] = 0x71;
    assert_int_equal(rsp_scp03_host_begin(&h, &keys, iu.data + 5, iur.data, iur.len, NULL), RSP_ERR_UNSUPPORTED);
    rsp_scp03_close(&h);
    rsp_scp03_close(&c);
    rsp_buf_free(&iu);
    rsp_buf_free(&iur);
    rsp_buf_free(&v);
    rsp_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_11),   cmocka_unit_test(test_trace_03),
        cmocka_unit_test(test_trace_33),   cmocka_unit_test(test_r_enc_decrypt_block),
        cmocka_unit_test(test_kcv),        cmocka_unit_test(test_roundtrip_all),
        cmocka_unit_test(test_negative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
