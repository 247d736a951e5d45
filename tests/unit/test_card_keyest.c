/* ES8 key establishment: §E1 (certificate STORE DATA decodes/re-encodes byte for byte), §E2 (APDU
 * shape, accepted by the card parser), §E3 (signed data, ShS, keyData, receipt), both roles against
 * each other with every option, and negatives (chain, role, signature, receipt, truncation). */
#include <stdlib.h>
#include <string.h>

#include "rsp/gpcert.h"
#include "rsp/keyest.h"
#include "rsp/tlv.h"
#include "testutil.h"

typedef struct pki {
    rsp_eckey *ci, *dp, *ecasd;
    rsp_buf cert;
} pki;

static void pki_make(pki *k, rsp_curve curve, int role, const uint8_t *ecasd_d)
{
    assert_int_equal(rsp_ec_generate(curve, &k->ci), RSP_OK);
    assert_int_equal(rsp_ec_generate(curve, &k->dp), RSP_OK);
    if (ecasd_d)
        assert_int_equal(rsp_ec_from_private(curve, ecasd_d, &k->ecasd), RSP_OK);
    else
        assert_int_equal(rsp_ec_generate(curve, &k->ecasd), RSP_OK);
    static const uint8_t serial[2] = {0x01, 0x02};
    rsp_gpcert_template t = {serial, 2, "CI", "SMDP", 0x88, NULL, "20451231", role, NULL, 0};
    rsp_buf_init(&k->cert);
    assert_int_equal(rsp_gpcert_issue(&t, k->dp, k->ci, &k->cert), RSP_OK);
}

static void pki_free(pki *k)
{
    rsp_ec_free(k->ci);
    rsp_ec_free(k->dp);
    rsp_ec_free(k->ecasd);
    rsp_buf_free(&k->cert);
}

/* The C-APDU inside a §E expanded-format 22 TLV. */
static void e_apdu(const char *marker, const char *key, rsp_buf *apdu)
{
    rsp_buf t22 = RSP_BUF_INIT;
    tu_vec_bytes(marker, key, &t22);
    rsp_tlv t;
    assert_int_equal(rsp_tlv_expect(t22.data, t22.len, 0x22, &t, NULL), RSP_OK);
    rsp_buf_set(apdu, t.value, t.len);
    rsp_buf_free(&t22);
}

static void test_e1_cert_store_data(void **state)
{
    (void)state;
    rsp_buf apdu = RSP_BUF_INIT, again = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    e_apdu("E1. Public Java project", "TLV '22':", &apdu);
    tu_assert_hex(apdu.data, 8, "80e20900ac3a01a9");
    const uint8_t *cert = apdu.data + 8;
    size_t clen = apdu.len - 8;
    rsp_gpcert c;
    assert_int_equal(rsp_gpcert_decode(cert, clen, &c, NULL), RSP_OK);
    assert_int_equal(rsp_gpcert_encode(&c, &again), RSP_OK);
    assert_int_equal(again.len, clen);
    assert_memory_equal(again.data, cert, clen);
    rsp_buf_reset(&again);
    assert_int_equal(rsp_keyest_host_cert_apdu(cert, clen, &again), RSP_OK);
    assert_true(rsp_bytes_eq(rsp_buf_view(&again), rsp_buf_view(&apdu)));
    /* The card parses it and refuses it: it is not signed by our CI. */
    pki k;
    pki_make(&k, RSP_CURVE_P256, 1, NULL);
    rsp_keyest_card card;
    rsp_keyest_card_init(&card, k.ci, k.ecasd, 1);
    rsp_scp03_keys keys;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_keyest_card_store_data(&card, apdu.data, apdu.len, &resp, &keys, &d), RSP_ERR_VERIFY);
    assert_int_equal(resp.len, 0);
    /* Truncated: the DGI length runs past the end. */
    rsp_diag_clear(&d);
    assert_int_equal(rsp_keyest_card_store_data(&card, apdu.data + 5, apdu.len - 6, &resp, &keys, &d),
                     RSP_ERR_TRUNCATED);
    assert_true(d.has_offset);
    rsp_keyest_card_close(&card);
    pki_free(&k);
    rsp_buf_free(&apdu);
    rsp_buf_free(&again);
    rsp_buf_free(&resp);
}

static void run_cert(rsp_keyest_card *card, pki *k, rsp_keyest_host *h)
{
    rsp_buf apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    rsp_scp03_keys keys;
    assert_int_equal(rsp_keyest_host_cert_apdu(k->cert.data, k->cert.len, &apdu), RSP_OK);
    assert_int_equal(rsp_keyest_card_store_data(card, apdu.data, apdu.len, &resp, &keys, NULL), RSP_OK);
    assert_int_equal(resp.len, 18);
    assert_int_equal(rsp_keyest_host_challenge(h, resp.data, resp.len, NULL), RSP_OK);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
}

static void test_e3_sample(void **state)
{
    (void)state;
    rsp_buf esk = RSP_BUF_INIT, sk = RSP_BUF_INIT, pk = RSP_BUF_INIT, sd = RSP_BUF_INIT, apdu = RSP_BUF_INIT,
            resp = RSP_BUF_INIT;
    const char *m = "E3. Helper project";
    tu_vec_bytes(m, "eSK", &esk);
    tu_vec_bytes(m, "ECASD.ECKA    SK", &sk);
    tu_vec_bytes(m, "                PK", &pk);
    tu_vec_bytes(m, "signed data (3A02 A6.. || 7F49 41 ePK || 0085 10 RC) =", &sd);
    pki k;
    pki_make(&k, RSP_CURVE_P256, 1, sk.data);
    rsp_keyest_card card;
    rsp_keyest_card_init(&card, k.ci, k.ecasd, 1);
    card.fixed_rc = sd.data + sd.len - 16;
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    assert_int_equal(rsp_keyest_host_set_ephemeral(&h, RSP_CURVE_P256, esk.data), RSP_OK);
    run_cert(&card, &k, &h);
    rsp_keyest_params p = {0};
    p.kvn = 0x30;
    assert_int_equal(rsp_keyest_host_keyagree_apdu(&h, &p, k.dp, RSP_CURVE_P256, &apdu), RSP_OK);
    /* APDU minus 5F37, plus 00 85 10 RC, is E3's signed data byte for byte. */
    tu_assert_hex(apdu.data, 5, "80e28901a1");
    size_t body = apdu.len - 5 - 67;
    assert_int_equal(body + 19, sd.len);
    assert_memory_equal(apdu.data + 5, sd.data, body);
    tu_assert_hex(apdu.data + 5 + body, 3, "5f3740");
    rsp_scp03_keys ck, hk;
    assert_int_equal(rsp_keyest_card_store_data(&card, apdu.data, apdu.len, &resp, &ck, NULL), RSP_OK);
    char *want = tu_vec(m, "AES-CMAC(receiptKey, A615900203099501108001888101108201018301309100) =");
    assert_int_equal(resp.len, 18);
    tu_assert_hex(resp.data, 2, "8610");
    tu_assert_hex(resp.data + 2, 16, want);
    free(want);
    tu_assert_hex(ck.enc, 16, want = tu_vec(m, "K-ENC="));
    free(want);
    tu_assert_hex(ck.mac, 16, want = tu_vec(m, "K-MAC="));
    free(want);
    tu_assert_hex(ck.dek, 16, want = tu_vec(m, "K-DEK="));
    free(want);
    assert_int_equal(ck.kvn, 0x30);
    /* ShS and keyData from the sample keys. */
    rsp_eckey *pke = NULL;
    assert_int_equal(rsp_ec_from_public(RSP_CURVE_P256, pk.data, pk.len, &pke), RSP_OK);
    uint8_t shs[32], kd[64];
    assert_int_equal(rsp_ecdh(h.eph, pke, shs), RSP_OK);
    tu_assert_hex(shs, 32, want = tu_vec(m, "ShS = ECDH(eSK, PK.ECASD) x-coord ="));
    free(want);
    rsp_buf crt = RSP_BUF_INIT;
    tu_hex("900203099501108001888101108201018301309100", &crt);
    assert_int_equal(rsp_keyest_kdf(shs, crt.data, crt.len, NULL, 0, kd, 64), RSP_OK);
    tu_assert_hex(kd, 64, want = tu_vec(m, "SharedInfo=10 88 10, 64 bytes) ="));
    free(want);
    /* Host verifies the receipt; a flipped bit is refused. */
    assert_int_equal(rsp_keyest_host_finish(&h, pke, resp.data, resp.len, &hk, NULL), RSP_OK);
    assert_memory_equal(&hk, &ck, sizeof(hk));
    resp.data[5] ^= 0x01;
    assert_int_equal(rsp_keyest_host_finish(&h, pke, resp.data, resp.len, &hk, NULL), RSP_ERR_VERIFY);
    rsp_ec_free(pke);
    rsp_keyest_host_close(&h);
    rsp_keyest_card_close(&card);
    pki_free(&k);
    rsp_buf_free(&esk);
    rsp_buf_free(&sk);
    rsp_buf_free(&pk);
    rsp_buf_free(&sd);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
    rsp_buf_free(&crt);
}

static void test_e2_shape(void **state)
{
    (void)state;
    rsp_buf e2 = RSP_BUF_INIT, apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    e_apdu("E2. Same project", "P1=89 P2=01:", &e2);
    pki k;
    pki_make(&k, RSP_CURVE_P256, 2, NULL);
    rsp_keyest_card card;
    rsp_keyest_card_init(&card, k.ci, k.ecasd, 2);
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    run_cert(&card, &k, &h);
    rsp_keyest_params p = {0};
    p.kvn = 0x02;
    assert_int_equal(rsp_keyest_host_keyagree_apdu(&h, &p, k.dp, RSP_CURVE_P256, &apdu), RSP_OK);
    /* Same header, DGI, CRT and 7F49 41 as E2; only the key and signature differ. */
    assert_int_equal(apdu.len, e2.len);
    assert_memory_equal(apdu.data, e2.data, 5 + 3 + 0x17 + 3);
    assert_memory_equal(apdu.data + apdu.len - 67, e2.data + e2.len - 67, 3);
    /* The card parses E2 all the way to its signature, which is not ours. */
    rsp_scp03_keys keys;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_keyest_card_store_data(&card, e2.data, e2.len, &resp, &keys, &d), RSP_ERR_VERIFY);
    assert_non_null(strstr(d.msg, "signature"));
    rsp_keyest_host_close(&h);
    rsp_keyest_card_close(&card);
    pki_free(&k);
    rsp_buf_free(&e2);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
}

static void roundtrip(rsp_curve curve, uint8_t options, uint8_t kuq, uint8_t klen, bool smsr)
{
    pki k;
    int role = smsr ? 2 : 1;
    pki_make(&k, curve, role, NULL);
    rsp_keyest_card card;
    rsp_keyest_card_init(&card, k.ci, k.ecasd, role);
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    run_cert(&card, &k, &h);
    static const uint8_t hid[8] = "HOSTID01", sdin[4] = {1, 2, 3, 4};
    rsp_keyest_params p = {options, kuq, klen, 0, 0x70, smsr, hid, 8, sdin, 4};
    rsp_buf apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    assert_int_equal(rsp_keyest_host_keyagree_apdu(&h, &p, k.dp, curve, &apdu), RSP_OK);
    rsp_scp03_keys ck, hk;
    assert_int_equal(rsp_keyest_card_store_data(&card, apdu.data, apdu.len, &resp, &ck, NULL), RSP_OK);
    assert_int_equal(resp.len, (options & 0x02) ? 36 : 18);
    assert_int_equal(rsp_keyest_host_finish(&h, k.ecasd, resp.data, resp.len, &hk, NULL), RSP_OK);
    assert_memory_equal(&hk, &ck, sizeof(hk));
    assert_int_equal(ck.len, klen);
    /* Flipped signature bit: refused (a fresh card, since this one is done). */
    rsp_keyest_card c2;
    rsp_keyest_card_init(&c2, k.ci, k.ecasd, role);
    rsp_keyest_host h2;
    memset(&h2, 0, sizeof(h2));
    run_cert(&c2, &k, &h2);
    rsp_buf_reset(&apdu);
    rsp_buf_reset(&resp);
    assert_int_equal(rsp_keyest_host_keyagree_apdu(&h2, &p, k.dp, curve, &apdu), RSP_OK);
    apdu.data[apdu.len - 10] ^= 0x40;
    assert_int_equal(rsp_keyest_card_store_data(&c2, apdu.data, apdu.len, &resp, &ck, NULL), RSP_ERR_VERIFY);
    assert_int_equal(resp.len, 0);
    rsp_keyest_host_close(&h);
    rsp_keyest_host_close(&h2);
    rsp_keyest_card_close(&card);
    rsp_keyest_card_close(&c2);
    pki_free(&k);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
}

static void test_roundtrips(void **state)
{
    (void)state;
    roundtrip(RSP_CURVE_P256, 0, 0, 16, false);
    roundtrip(RSP_CURVE_P256, 0x0F, 0x5C, 32, true); /* DR + HostID, SM-SR change */
    roundtrip(RSP_CURVE_BP256R1, 0x0B, 0x10, 24, false);
}

static void test_chain_and_role(void **state)
{
    (void)state;
    pki k, other;
    pki_make(&k, RSP_CURVE_P256, 1, NULL);
    pki_make(&other, RSP_CURVE_P256, 1, NULL);
    rsp_buf apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    rsp_scp03_keys keys;
    rsp_keyest_card card;
    /* Certificate from another CI. */
    rsp_keyest_card_init(&card, other.ci, k.ecasd, 1);
    assert_int_equal(rsp_keyest_host_cert_apdu(k.cert.data, k.cert.len, &apdu), RSP_OK);
    assert_int_equal(rsp_keyest_card_store_data(&card, apdu.data, apdu.len, &resp, &keys, NULL), RSP_ERR_VERIFY);
    /* SM-DP certificate where an SM-SR one is required. */
    rsp_keyest_card_init(&card, k.ci, k.ecasd, 2);
    assert_int_equal(rsp_keyest_card_store_data(&card, apdu.data, apdu.len, &resp, &keys, NULL), RSP_ERR_DENIED);
    /* A flipped bit in the certificate's signature. */
    rsp_keyest_card_init(&card, k.ci, k.ecasd, 1);
    apdu.data[apdu.len - 5] ^= 1;
    assert_int_equal(rsp_keyest_card_store_data(&card, apdu.data, apdu.len, &resp, &keys, NULL), RSP_ERR_VERIFY);
    /* 3A02 before 3A01; unknown DGI; FF-length DGI round trip. */
    const uint8_t early[] = {0x3A, 0x02, 0x02, 0xA6, 0x00};
    assert_int_equal(rsp_keyest_card_store_data(&card, early, sizeof(early), &resp, &keys, NULL), RSP_ERR_STATE);
    const uint8_t odd[] = {0x3A, 0x09, 0x00};
    assert_int_equal(rsp_keyest_card_store_data(&card, odd, sizeof(odd), &resp, &keys, NULL), RSP_ERR_TAG);
    uint8_t big[300] = {0};
    rsp_buf_reset(&apdu);
    assert_int_equal(rsp_keyest_dgi_put(&apdu, 0x3A01, big, sizeof(big)), RSP_OK);
    tu_assert_hex(apdu.data, 5, "3a01ff012c");
    uint16_t dgi;
    size_t hdr, vlen;
    assert_int_equal(rsp_keyest_dgi_parse(apdu.data, apdu.len, &dgi, &hdr, &vlen, NULL), RSP_OK);
    assert_int_equal(hdr, 5);
    assert_int_equal(vlen, 300);
    assert_int_equal(rsp_keyest_dgi_parse(apdu.data, apdu.len - 1, &dgi, &hdr, &vlen, NULL), RSP_ERR_TRUNCATED);
    assert_int_equal(rsp_keyest_dgi_parse(apdu.data, 4, &dgi, &hdr, &vlen, NULL), RSP_ERR_TRUNCATED);
    assert_int_equal(resp.len, 0);
    rsp_keyest_card_close(&card);
    pki_free(&k);
    pki_free(&other);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
}

/* The one CRT builder and parser (include/rsp/keyest.h): the defaults give §E3's CRT (the bytes its
 * receipt covers, from VECTORS.txt, not from our code); with smsr, SGP02.md's ISD-R CRT with 96 01 00;
 * parse gives the fields back and the builder the same bytes; what the card refuses, the parser does. */
static void test_crt_one_builder(void **state)
{
    (void)state;
    rsp_buf crt = RSP_BUF_INIT, again = RSP_BUF_INIT;
    rsp_keyest_params p, q;
    memset(&p, 0, sizeof(p));
    p.kvn = 0x30;
    assert_int_equal(rsp_keyest_crt_build(&p, &crt), RSP_OK);
    assert_non_null(strstr(tu_vectors(), "AES-CMAC(receiptKey, A615900203099501108001888101108201018301309100)"));
    tu_assert_hex(crt.data, crt.len, "A615900203099501108001888101108201018301309100");
    assert_int_equal(crt.len, 23);
    assert_int_equal(rsp_keyest_crt_parse(crt.data + 2, crt.len - 2, &q, NULL), RSP_OK);
    assert_int_equal(q.options, 0x09);
    assert_int_equal(q.kuq, 0x10);
    assert_int_equal(q.key_len, 16);
    assert_int_equal(q.kvn, 0x30);
    assert_false(q.smsr);
    assert_int_equal(rsp_keyest_crt_build(&q, &again), RSP_OK);
    assert_int_equal(again.len, crt.len);
    assert_memory_equal(again.data, crt.data, crt.len);
    /* SM-SR change (SGP02.md "Card and SM-SR details"): 96 01 00 after the KUQ */
    rsp_buf_reset(&crt);
    rsp_buf_reset(&again);
    p.kvn = 2;
    p.smsr = true;
    assert_int_equal(rsp_keyest_crt_build(&p, &crt), RSP_OK);
    tu_assert_hex(crt.data, crt.len, "A618 900203 09 950110 960100 800188 810110 820101 830102 9100");
    assert_int_equal(rsp_keyest_crt_parse(crt.data + 2, crt.len - 2, &q, NULL), RSP_OK);
    assert_true(q.smsr);
    assert_int_equal(q.kvn, 2);
    assert_int_equal(rsp_keyest_crt_build(&q, &again), RSP_OK);
    assert_memory_equal(again.data, crt.data, crt.len);
    /* refusals: no KVN (83); an unknown key type; a truncated TLV; NULL */
    rsp_buf bad = RSP_BUF_INIT;
    tu_hex("90020309950110800188810110820101", &bad);
    assert_int_equal(rsp_keyest_crt_parse(bad.data, bad.len, &q, NULL), RSP_ERR_TAG);
    rsp_buf_reset(&bad);
    tu_hex("900203099501108001FF810110820101830102", &bad);
    assert_int_equal(rsp_keyest_crt_parse(bad.data, bad.len, &q, NULL), RSP_ERR_UNSUPPORTED);
    assert_int_not_equal(rsp_keyest_crt_parse(crt.data + 2, crt.len - 3, &q, NULL), RSP_OK); /* 83 01 cut */
    assert_int_equal(rsp_keyest_crt_parse(NULL, 0, &q, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_keyest_crt_build(NULL, &crt), RSP_ERR_INVAL);
    rsp_buf_free(&bad);
    rsp_buf_free(&crt);
    rsp_buf_free(&again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_e1_cert_store_data), cmocka_unit_test(test_e3_sample),
        cmocka_unit_test(test_e2_shape),           cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_chain_and_role),     cmocka_unit_test(test_crt_one_builder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
