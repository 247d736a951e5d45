/* crypto layer: RFC 4493 CMAC (§C), SP 800-108 (§C2), SCP03 KDF and KCV (§B), ECDH + X9.63 (§D),
 * the SCP80 3DES CBC-MAC (§A5), ECDSA raw r||s round trips and negative cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/crypto.h"
#include "testutil.h"

static void test_cmac_rfc4493(void **state)
{
    (void)state;
    rsp_buf k = RSP_BUF_INIT, m = RSP_BUF_INIT;
    uint8_t out[16];
    tu_vec_bytes("## C. AES-CMAC", "K=", &k);
    const char *lens[3] = {"Mlen=0:", "Mlen=16:", "Mlen=40:"};
    for (int i = 0; i < 3; i++) {
        if (i == 0)
            rsp_buf_reset(&m);
        else
            tu_vec_bytes(lens[i], "M=", &m);
        assert_int_equal(rsp_aes_cmac(k.data, k.len, m.data, m.len, out), RSP_OK);
        char *want = tu_vec(lens[i], "CMAC=");
        tu_assert_hex(out, 16, want);
        free(want);
    }
    assert_int_equal(rsp_aes_cmac(k.data, 15, m.data, m.len, out), RSP_ERR_INVAL);
    rsp_buf_free(&k);
    rsp_buf_free(&m);
}

static void test_sp800_108(void **state)
{
    (void)state;
    const char *markers[2] = {"KI=dff1e50ac0b69dc40f1051d46c2b069c", "KI=682e814d872397eba71170a693514904"};
    const size_t lens[2] = {16, 32};
    rsp_buf ki = RSP_BUF_INIT, fixed = RSP_BUF_INIT;
    for (int i = 0; i < 2; i++) {
        tu_hex(markers[i] + 3, &ki);
        tu_vec_bytes(markers[i], "Fixed=", &fixed);
        uint8_t out[32];
        assert_int_equal(rsp_kdf_ctr_cmac(ki.data, ki.len, NULL, 0, fixed.data, fixed.len, out, lens[i]), RSP_OK);
        char *want = tu_vec(markers[i], "KO=");
        tu_assert_hex(out, lens[i], want);
        free(want);
    }
    rsp_buf_free(&ki);
    rsp_buf_free(&fixed);
}

static void test_scp03_kdf(void **state)
{
    (void)state;
    /* §B AES128_11: static keys 000102..0f / 101112..1f; session keys from host||card challenge. */
    rsp_buf enc = RSP_BUF_INIT, mac = RSP_BUF_INIT, ctx = RSP_BUF_INIT, iu = RSP_BUF_INIT, iur = RSP_BUF_INIT;
    tu_hex("000102030405060708090a0b0c0d0e0f", &enc);
    tu_hex("101112131415161718191a1b1c1d1e1f", &mac);
    tu_vec_bytes("[AES128_11]", "INIT UPDATE cmd  =", &iu);
    tu_vec_bytes("[AES128_11]", "INIT UPDATE resp =", &iur);
    rsp_buf_append(&ctx, iu.data + 5, 8);        /* host challenge */
    rsp_buf_append(&ctx, iur.data + 13, 8);      /* card challenge */
    uint8_t out[16];
    char *want;
    assert_int_equal(rsp_kdf_scp03(enc.data, 16, 0x04, ctx.data, ctx.len, out, 16), RSP_OK);
    tu_assert_hex(out, 16, want = tu_vec("[AES128_11]", "S-ENC  ="));
    free(want);
    assert_int_equal(rsp_kdf_scp03(mac.data, 16, 0x06, ctx.data, ctx.len, out, 16), RSP_OK);
    tu_assert_hex(out, 16, want = tu_vec("[AES128_11]", "S-MAC  ="));
    free(want);
    /* Card challenge: KDF(K-ENC, 02, seq || AID, 64 bits). */
    uint8_t seqaid[19];
    memcpy(seqaid, iur.data + 29, 3);
    rsp_buf aid = RSP_BUF_INIT;
    tu_hex("A0000005591010FFFFFFFF8900000100", &aid);
    memcpy(seqaid + 3, aid.data, 16);
    assert_int_equal(rsp_kdf_scp03(enc.data, 16, 0x02, seqaid, sizeof(seqaid), out, 8), RSP_OK);
    tu_assert_hex(out, 8, "3eb51047495b249f");
    /* KCV = AES(K, 01*16)[0:3] */
    uint8_t ones[16];
    memset(ones, 1, 16);
    assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_ECB, true, enc.data, 16, NULL, ones, 16, out), RSP_OK);
    tu_assert_hex(out, 3, want = tu_vec("KCV = AES-ECB", "ENC"));
    free(want);
    rsp_buf_free(&enc);
    rsp_buf_free(&mac);
    rsp_buf_free(&ctx);
    rsp_buf_free(&iu);
    rsp_buf_free(&iur);
    rsp_buf_free(&aid);
}

static void test_des3_cbc_mac(void **state)
{
    (void)state;
    /* §A5: key AABBCCDDEEFF1122 || 00*8, data1 || data2. */
    rsp_buf key = RSP_BUF_INIT, d1 = RSP_BUF_INIT, d2 = RSP_BUF_INIT;
    tu_hex("AABBCCDDEEFF11220000000000000000", &key);
    tu_vec_bytes("## A5.", "data1 = ", &d1);
    const char *d2s[3] = {"data2=0123456789abcdef0123456701234567:", "data2=0123456789abcdef0123456701234567aa:",
                          "data2=0123456789abcdef01234567012345:"};
    for (int i = 0; i < 3; i++) {
        char d2hex[64];
        snprintf(d2hex, sizeof(d2hex), "%s", d2s[i] + 6);
        d2hex[strlen(d2hex) - 1] = '\0';
        tu_hex(d2hex, &d2);
        rsp_buf msg = RSP_BUF_INIT;
        rsp_buf_append(&msg, d1.data, d1.len);
        rsp_buf_append(&msg, d2.data, d2.len);
        uint8_t mac[8], cmac[16];
        assert_int_equal(rsp_des3_cbc_mac(key.data, 16, msg.data, msg.len, mac), RSP_OK);
        char *want = tu_vec(d2s[i], "3DES-CBC-MAC=");
        tu_assert_hex(mac, 8, want);
        free(want);
        assert_int_equal(rsp_aes_cmac(key.data, 16, msg.data, msg.len, cmac), RSP_OK);
        want = tu_vec(d2s[i], "AES-CMAC[0:8]=");
        tu_assert_hex(cmac, 8, want);
        free(want);
        rsp_buf_free(&msg);
    }
    rsp_buf_free(&key);
    rsp_buf_free(&d1);
    rsp_buf_free(&d2);
}

static void test_ecdh_x963(void **state)
{
    (void)state;
    rsp_buf sk = RSP_BUF_INIT, pk = RSP_BUF_INIT, epk = RSP_BUF_INIT, z = RSP_BUF_INIT, si = RSP_BUF_INIT;
    tu_vec_bytes("ECKA (P-256)", "SM-DP otSK", &sk);
    tu_vec_bytes("ECKA (P-256)", "SM-DP otPK", &pk);
    tu_vec_bytes("ECKA (P-256)", "eUICC otPK", &epk);
    rsp_eckey *priv = NULL, *peer = NULL;
    assert_int_equal(rsp_ec_from_private(RSP_CURVE_P256, sk.data, &priv), RSP_OK);
    uint8_t pt[65], shs[32];
    assert_int_equal(rsp_ec_public_point(priv, pt), RSP_OK);
    assert_memory_equal(pt, pk.data, 65);
    assert_int_equal(rsp_ec_from_public(RSP_CURVE_P256, epk.data, epk.len, &peer), RSP_OK);
    assert_int_equal(rsp_ecdh(priv, peer, shs), RSP_OK);
    char *want = tu_vec("ECKA (P-256)", "ShS (x-coordinate) =");
    tu_assert_hex(shs, 32, want);
    free(want);
    /* X9.63: both BSP samples. */
    const char *zs[2] = {"Z=8902dca391bbb22570fe60c176076246f568b1941265dff1d729e63039658089",
                         "Z=c9a993dd4879a8f7161f2085410edd4f9652f1df37be097ba96ba2ca6be528fe"};
    for (int i = 0; i < 2; i++) {
        tu_hex(zs[i] + 2, &z);
        tu_vec_bytes(zs[i], "SharedInfo=", &si);
        uint8_t kd[48];
        assert_int_equal(rsp_kdf_x963_sha256(z.data, z.len, si.data, si.len, kd, 48), RSP_OK);
        char *mcv = tu_vec(zs[i], "MCV="), *senc = tu_vec(zs[i], "S-ENC="), *smac = tu_vec(zs[i], "S-MAC=");
        tu_assert_hex(kd, 16, mcv);
        tu_assert_hex(kd + 16, 16, senc);
        tu_assert_hex(kd + 32, 16, smac);
        free(mcv);
        free(senc);
        free(smac);
    }
    /* An off-curve point is refused. */
    epk.data[40] ^= 1;
    rsp_eckey *bad = NULL;
    assert_int_not_equal(rsp_ec_from_public(RSP_CURVE_P256, epk.data, epk.len, &bad), RSP_OK);
    assert_null(bad);
    /* and on brainpoolP256r1 (rsp_ecdh's quick check relies on every rsp_eckey being on its curve): a
     * point of a fresh key is taken back, one with a flipped bit of y is not, nor a P-256 point */
    rsp_eckey *bk = NULL, *bp = NULL;
    uint8_t bpt[RSP_EC_POINT_LEN];
    assert_int_equal(rsp_ec_generate(RSP_CURVE_BP256R1, &bk), RSP_OK);
    assert_int_equal(rsp_ec_public_point(bk, bpt), RSP_OK);
    assert_int_equal(rsp_ec_from_public(RSP_CURVE_BP256R1, bpt, sizeof bpt, &bp), RSP_OK);
    rsp_ec_free(bp);
    bp = NULL;
    bpt[64] ^= 1;
    assert_int_not_equal(rsp_ec_from_public(RSP_CURVE_BP256R1, bpt, sizeof bpt, &bp), RSP_OK);
    assert_null(bp);
    epk.data[40] ^= 1; /* the P-256 point again, valid there */
    assert_int_not_equal(rsp_ec_from_public(RSP_CURVE_BP256R1, epk.data, epk.len, &bp), RSP_OK);
    assert_null(bp);
    rsp_ec_free(bk);
    rsp_ec_free(priv);
    rsp_ec_free(peer);
    rsp_buf_free(&sk);
    rsp_buf_free(&pk);
    rsp_buf_free(&epk);
    rsp_buf_free(&z);
    rsp_buf_free(&si);
}

static void test_es8_sample_e3(void **state)
{
    (void)state;
    /* §E3: the helper project's key pairs; private keys derive the public keys given. */
    rsp_buf esk = RSP_BUF_INIT, epk = RSP_BUF_INIT, sk = RSP_BUF_INIT, pk = RSP_BUF_INIT;
    tu_vec_bytes("SM ephemeral", "eSK", &esk);
    tu_vec_bytes("SM ephemeral", "ePK", &epk);
    tu_vec_bytes("ECASD.ECKA", "SK", &sk);
    tu_vec_bytes("ECASD.ECKA", "PK", &pk);
    rsp_eckey *a = NULL, *b = NULL;
    uint8_t pt[65], z1[32], z2[32];
    assert_int_equal(rsp_ec_from_private(RSP_CURVE_P256, esk.data, &a), RSP_OK);
    assert_int_equal(rsp_ec_from_private(RSP_CURVE_P256, sk.data, &b), RSP_OK);
    assert_int_equal(rsp_ec_public_point(a, pt), RSP_OK);
    assert_memory_equal(pt, epk.data, 65);
    assert_int_equal(rsp_ec_public_point(b, pt), RSP_OK);
    assert_memory_equal(pt, pk.data, 65);
    assert_int_equal(rsp_ecdh(a, b, z1), RSP_OK);
    assert_int_equal(rsp_ecdh(b, a, z2), RSP_OK);
    assert_memory_equal(z1, z2, 32);
    char *want = tu_vec("SELF-COMPUTED here", "ShS = ECDH(eSK, PK.ECASD) x-coord =");
    tu_assert_hex(z1, 32, want);
    free(want);
    rsp_ec_free(a);
    rsp_ec_free(b);
    rsp_buf_free(&esk);
    rsp_buf_free(&epk);
    rsp_buf_free(&sk);
    rsp_buf_free(&pk);
}

static void test_ecdsa_roundtrip(void **state)
{
    (void)state;
    const rsp_curve curves[2] = {RSP_CURVE_P256, RSP_CURVE_BP256R1};
    for (int i = 0; i < 2; i++) {
        rsp_eckey *k = NULL, *pub = NULL;
        uint8_t msg[40] = "message to sign", sig[64], pt[65];
        assert_int_equal(rsp_ec_generate(curves[i], &k), RSP_OK);
        assert_int_equal(rsp_ecdsa_sign(k, msg, sizeof(msg), sig), RSP_OK);
        assert_int_equal(rsp_ec_public_point(k, pt), RSP_OK);
        assert_int_equal(rsp_ec_from_public(curves[i], pt, 65, &pub), RSP_OK);
        assert_false(rsp_ec_has_private(pub));
        assert_int_equal(rsp_ecdsa_verify(pub, msg, sizeof(msg), sig, 64), RSP_OK);
        msg[0] ^= 1;
        assert_int_equal(rsp_ecdsa_verify(pub, msg, sizeof(msg), sig, 64), RSP_ERR_VERIFY);
        msg[0] ^= 1;
        sig[10] ^= 0x80;
        assert_int_equal(rsp_ecdsa_verify(pub, msg, sizeof(msg), sig, 64), RSP_ERR_VERIFY);
        assert_int_equal(rsp_ecdsa_verify(pub, msg, sizeof(msg), sig, 63), RSP_ERR_VERIFY);
        assert_int_equal(rsp_ecdsa_sign(pub, msg, sizeof(msg), sig), RSP_ERR_STATE);
        rsp_ec_free(k);
        rsp_ec_free(pub);
    }
}

static void test_ciphers(void **state)
{
    (void)state;
    uint8_t key[32], pt[48], ct[48], back[48], iv[16] = {9};
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 48; i++)
        pt[i] = (uint8_t)(i * 7);
    const size_t aes_keys[3] = {16, 24, 32};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, key, aes_keys[i], iv, pt, 48, ct), RSP_OK);
        assert_memory_not_equal(ct, pt, 48);
        assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, false, key, aes_keys[i], iv, ct, 48, back), RSP_OK);
        assert_memory_equal(back, pt, 48);
    }
    const size_t des_keys[3] = {8, 16, 24};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, true, key, des_keys[i], NULL, pt, 48, ct), RSP_OK);
        assert_int_equal(rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, false, key, des_keys[i], NULL, ct, 48, back), RSP_OK);
        assert_memory_equal(back, pt, 48);
    }
    /* 2-key 3DES is 3-key with K3 = K1. */
    uint8_t k3[24], ct2[48];
    memcpy(k3, key, 16);
    memcpy(k3 + 16, key, 8);
    rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, true, key, 16, NULL, pt, 48, ct);
    rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, true, k3, 24, NULL, pt, 48, ct2);
    assert_memory_equal(ct, ct2, 48);
    /* Known answer: FIPS-197 AES-128 ECB. */
    rsp_buf k = RSP_BUF_INIT, p = RSP_BUF_INIT;
    tu_hex("000102030405060708090a0b0c0d0e0f", &k);
    tu_hex("00112233445566778899aabbccddeeff", &p);
    assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_ECB, true, k.data, 16, NULL, p.data, 16, ct), RSP_OK);
    tu_assert_hex(ct, 16, "69c4e0d86a7b0430d8cdb78070b4c55a");
    /* Bad sizes. */
    assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, key, 16, NULL, pt, 15, ct), RSP_ERR_INVAL);
    assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, key, 17, NULL, pt, 16, ct), RSP_ERR_INVAL);
    assert_int_equal(rsp_cipher(RSP_CIPHER_3DES, RSP_MODE_CBC, true, key, 12, NULL, pt, 16, ct), RSP_ERR_INVAL);
    rsp_buf_free(&k);
    rsp_buf_free(&p);
}

static void test_aes_key_matches_one_shot(void **state)
{
    (void)state;
    /* The keyed object must give the same bytes as the one-shot calls, across many reuses, IV changes
     * and both directions, for every key size; and CMAC restarts must not leak state between calls. */
    uint8_t key[32], iv[16], pt[64], a[64], b[64], m1[16], m2[16];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(3 * i + 1);
    const size_t sizes[3] = {16, 24, 32};
    for (int s = 0; s < 3; s++) {
        rsp_aes_key *k = NULL;
        assert_int_equal(rsp_aes_key_new(key, sizes[s], &k), RSP_OK);
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 64; i++)
                pt[i] = (uint8_t)(i ^ round);
            memset(iv, round, 16);
            assert_int_equal(rsp_aes_key_cipher(k, RSP_MODE_CBC, true, iv, pt, 64, a), RSP_OK);
            assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, key, sizes[s], iv, pt, 64, b), RSP_OK);
            assert_memory_equal(a, b, 64);
            assert_int_equal(rsp_aes_key_cipher(k, RSP_MODE_CBC, false, iv, a, 64, b), RSP_OK);
            assert_memory_equal(b, pt, 64);
            assert_int_equal(rsp_aes_key_cipher(k, RSP_MODE_ECB, true, NULL, pt, 32, a), RSP_OK);
            assert_int_equal(rsp_cipher(RSP_CIPHER_AES, RSP_MODE_ECB, true, key, sizes[s], NULL, pt, 32, b), RSP_OK);
            assert_memory_equal(a, b, 32);
            rsp_bytes parts[2] = {rsp_bytes_of(pt, 10), rsp_bytes_of(pt + 10, 20 + (size_t)round)};
            assert_int_equal(rsp_aes_key_cmac_parts(k, parts, 2, m1), RSP_OK);
            assert_int_equal(rsp_aes_cmac(key, sizes[s], pt, 30 + (size_t)round, m2), RSP_OK);
            assert_memory_equal(m1, m2, 16);
        }
        assert_int_equal(rsp_aes_key_cipher(k, RSP_MODE_CBC, true, NULL, pt, 15, a), RSP_ERR_INVAL);
        rsp_aes_key_free(k);
    }
    rsp_aes_key *bad = NULL;
    assert_int_equal(rsp_aes_key_new(key, 20, &bad), RSP_ERR_INVAL);
    /* RFC 4493 through the keyed object. */
    rsp_buf k4 = RSP_BUF_INIT, m = RSP_BUF_INIT;
    tu_vec_bytes("## C. AES-CMAC", "K=", &k4);
    tu_vec_bytes("Mlen=40:", "M=", &m);
    rsp_aes_key *k = NULL;
    assert_int_equal(rsp_aes_key_new(k4.data, k4.len, &k), RSP_OK);
    rsp_bytes whole = rsp_buf_view(&m);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rsp_aes_key_cmac_parts(k, &whole, 1, m1), RSP_OK);
        char *want = tu_vec("Mlen=40:", "CMAC=");
        tu_assert_hex(m1, 16, want);
        free(want);
    }
    rsp_aes_key_free(k);
    rsp_buf_free(&k4);
    rsp_buf_free(&m);
}

static void test_random(void **state)
{
    (void)state;
    uint8_t a[32] = {0}, b[32] = {0};
    assert_int_equal(rsp_random(a, 32), RSP_OK);
    assert_int_equal(rsp_random(b, 32), RSP_OK);
    assert_memory_not_equal(a, b, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmac_rfc4493), cmocka_unit_test(test_sp800_108),
        cmocka_unit_test(test_scp03_kdf),    cmocka_unit_test(test_des3_cbc_mac),
        cmocka_unit_test(test_ecdh_x963),    cmocka_unit_test(test_es8_sample_e3),
        cmocka_unit_test(test_ecdsa_roundtrip), cmocka_unit_test(test_ciphers),
        cmocka_unit_test(test_aes_key_matches_one_shot), cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
