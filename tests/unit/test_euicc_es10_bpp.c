/* The BPP piece codecs and the newer ES10 request codecs (es10_bpp.c, es10_misc.c): the plaintexts of
 * VECTORS §D (BF25 StoreMetadata, BF26 ReplaceSessionKeys, BF24) and its BF23 decode to the vector's
 * values and re-encode byte for byte; our encoders' output decodes back; every truncation and a flip of
 * each length byte is refused, never read past; DER rules (non-minimal lengths, wrong outer tag,
 * trailing bytes). */
#include <stdlib.h>
#include <string.h>

#include "rsp/es10.h"
#include "testutil.h"

static void vec(const char *marker, const char *key, rsp_buf *out)
{
    tu_vec_bytes(marker, key, out);
}

/* Every strict prefix of p is refused by decode. */
typedef rsp_err (*decoder)(const uint8_t *p, size_t len);

static void prefixes_refused(const rsp_buf *b, decoder d)
{
    assert_int_equal(d(b->data, b->len), RSP_OK);
    for (size_t n = 0; n < b->len; n++) {
        uint8_t *c = malloc(n ? n : 1);
        memcpy(c, b->data, n);
        assert_int_not_equal(d(c, n), RSP_OK);
        free(c);
    }
    /* one more byte */
    rsp_buf x = RSP_BUF_INIT;
    rsp_buf_append(&x, b->data, b->len);
    rsp_buf_append_byte(&x, 0);
    assert_int_not_equal(d(x.data, x.len), RSP_OK);
    rsp_buf_free(&x);
}

static rsp_err d_meta(const uint8_t *p, size_t len)
{
    rsp_es10_metadata m;
    return rsp_es10_metadata_decode(p, len, &m, NULL);
}

static rsp_err d_rsk(const uint8_t *p, size_t len)
{
    uint8_t a[16], b[16], c[16];
    return rsp_es10_rsk_decode(p, len, a, b, c, NULL);
}

static rsp_err d_isc(const uint8_t *p, size_t len)
{
    rsp_es10_init_sc i;
    return rsp_es10_init_sc_decode(p, len, &i, NULL);
}

static rsp_err d_rat(const uint8_t *p, size_t len)
{
    rsp_es10_rat_rule r[4];
    size_t n;
    return rsp_es10_rat_decode(p, len, r, 4, &n, NULL);
}

static rsp_err d_retrieve(const uint8_t *p, size_t len)
{
    rsp_es10_retrieve_req r;
    return rsp_es10_retrieve_req_decode(p, len, &r, NULL);
}

static void test_vector_plaintexts(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT, out = RSP_BUF_INIT;
    /* BF25 of the third-party SM-DP+ trace */
    vec("mac-only tag88", "pt=", &b);
    rsp_es10_metadata m;
    assert_int_equal(rsp_es10_metadata_decode(b.data, b.len, &m, NULL), RSP_OK);
    tu_assert_hex(m.iccid.p, 10, "98001032547698103214");
    assert_memory_equal(m.spn.p, "GSMA_TEST", 9);
    assert_memory_equal(m.name.p, "GSMA_TEST_PROFILE", 17);
    assert_int_equal(m.profile_class, RSP_ES10_CLASS_TEST); /* 95 01 00 */
    prefixes_refused(&b, d_meta);
    /* BF26 */
    vec("mac-only tag88", "enc+mac tag87 pt=", &b);
    uint8_t mcv[16], enc[16], mac[16];
    assert_int_equal(rsp_es10_rsk_decode(b.data, b.len, mcv, enc, mac, NULL), RSP_OK);
    tu_assert_hex(mcv, 16, "000102030405060708090A0B0C0D0E0F");
    tu_assert_hex(enc, 16, "010102030405060708090A0B0C0D0E0F");
    tu_assert_hex(mac, 16, "020102030405060708090A0B0C0D0E0F");
    assert_int_equal(rsp_es10_rsk_encode(mcv, enc, mac, &out), RSP_OK);
    assert_int_equal(out.len, b.len);
    assert_memory_equal(out.data, b.data, b.len);
    prefixes_refused(&b, d_rsk);
    /* BF24 00 */
    rsp_buf_reset(&out);
    assert_int_equal(rsp_es10_configure_isdp_encode(rsp_bytes_of(NULL, 0), &out), RSP_OK);
    tu_assert_hex(out.data, out.len, "BF2400");
    rsp_bytes oid;
    static const uint8_t with_oid[] = {0xBF, 0x24, 0x07, 0xB8, 0x05, 0x80, 0x03, 0x88, 0x37, 0x0A};
    assert_int_equal(rsp_es10_configure_isdp_decode(with_oid, sizeof(with_oid), &oid, NULL), RSP_OK);
    tu_assert_hex(oid.p, oid.len, "88370A");
    rsp_buf_free(&b);
    rsp_buf_free(&out);
}

static void test_init_sc(void **state)
{
    (void)state;
    uint8_t pk[65], tid[16], sig[64];
    memset(pk, 0x04, sizeof(pk));
    memset(tid, 0x11, sizeof(tid));
    memset(sig, 0x5A, sizeof(sig));
    rsp_es10_init_sc in = {.remote_op = 1, .transaction_id = rsp_bytes_of(tid, 16), .key_type = 0x88, .key_len = 0x10,
                           .host_id = rsp_bytes_of((const uint8_t *)"mahlzeit", 8), .smdp_otpk = rsp_bytes_of(pk, 65)};
    rsp_buf tbs = RSP_BUF_INIT, b = RSP_BUF_INIT, sd = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_init_sc_tbs_encode(&in, &tbs), RSP_OK);
    /* the field order of SGP22.md's smdpSign row and of VECTORS §D's BF23: 82 01 01, 80 tid, A6{...}, 5F49 */
    tu_assert_hex(tbs.data, 18, "820101801011111111111111111111111111");
    assert_int_equal(rsp_es10_init_sc_encode(rsp_buf_view(&tbs), sig, &b), RSP_OK);
    rsp_es10_init_sc out;
    assert_int_equal(rsp_es10_init_sc_decode(b.data, b.len, &out, NULL), RSP_OK);
    assert_int_equal(out.tbs.len, tbs.len);
    assert_memory_equal(out.tbs.p, tbs.data, tbs.len);
    assert_int_equal(out.key_type, 0x88);
    assert_memory_equal(out.host_id.p, "mahlzeit", 8);
    assert_int_equal(rsp_es10_init_sc_signed_data(out.tbs, pk, &sd), RSP_OK);
    assert_int_equal(sd.len, tbs.len + 68);
    prefixes_refused(&b, d_isc);
    /* a hostId of 17 bytes is refused by the encoder */
    in.host_id.len = 17;
    assert_int_equal(rsp_es10_init_sc_tbs_encode(&in, &tbs), RSP_ERR_INVAL);
    rsp_buf_free(&tbs);
    rsp_buf_free(&b);
    rsp_buf_free(&sd);
}

static void test_metadata_roundtrip(void **state)
{
    (void)state;
    uint8_t iccid[10] = {0x98, 0x94, 0x44, 0x99, 0x99, 0x99, 0x99, 0x09, 0x10, 0xF5};
    rsp_buf nc = RSP_BUF_INIT, b = RSP_BUF_INIT;
    rsp_es10_notif_target t[2] = {{RSP_ES10_EVENT_ENABLE, rsp_bytes_of((const uint8_t *)"a.example", 9)},
                                  {RSP_ES10_EVENT_DELETE | RSP_ES10_EVENT_DISABLE, rsp_bytes_of((const uint8_t *)"b", 1)}};
    assert_int_equal(rsp_es10_notif_config_encode(t, 2, &nc), RSP_OK);
    rsp_es10_metadata m = {.iccid = rsp_bytes_of(iccid, 10), .spn = rsp_bytes_of((const uint8_t *)"S", 1),
                           .name = rsp_bytes_of((const uint8_t *)"N", 1), .icon_type = -1,
                           .profile_class = RSP_ES10_CLASS_PROVISIONING, .notif_config = rsp_buf_view(&nc),
                           .has_ppr = true, .ppr = RSP_ES10_PPR1 | RSP_ES10_PPR2};
    assert_int_equal(rsp_es10_metadata_encode(&m, &b), RSP_OK);
    rsp_es10_metadata o;
    assert_int_equal(rsp_es10_metadata_decode(b.data, b.len, &o, NULL), RSP_OK);
    assert_int_equal(o.profile_class, RSP_ES10_CLASS_PROVISIONING);
    assert_int_equal(o.ppr, RSP_ES10_PPR1 | RSP_ES10_PPR2);
    rsp_es10_notif_target back[4];
    size_t n = 0;
    assert_int_equal(rsp_es10_notif_config_decode(o.notif_config, back, 4, &n, NULL), RSP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(back[1].events, RSP_ES10_EVENT_DELETE | RSP_ES10_EVENT_DISABLE);
    /* PprIds DER: ppr1+ppr2 = 05 60 (bits 1, 2) */
    uint8_t ppr[2];
    size_t pl = 0;
    rsp_es10_ppr_encode(RSP_ES10_PPR1 | RSP_ES10_PPR2, ppr, &pl);
    tu_assert_hex(ppr, pl, "0560");
    /* too many entries for the caller's array */
    assert_int_equal(rsp_es10_notif_config_decode(o.notif_config, back, 1, &n, NULL), RSP_ERR_RANGE);
    prefixes_refused(&b, d_meta);
    /* a negative class is refused */
    rsp_buf bad = RSP_BUF_INIT;
    tu_hex("BF25155A0A989444999999990910F591015392014E9501FF", &bad);
    assert_int_equal(rsp_es10_metadata_decode(bad.data, bad.len, &o, NULL), RSP_ERR_RANGE);
    rsp_buf_free(&bad);
    rsp_buf_free(&nc);
    rsp_buf_free(&b);
}

static void test_requests(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    rsp_es10_retrieve_req r = {.has_seq = true, .seq = 300}, o;
    assert_int_equal(rsp_es10_retrieve_req_encode(&r, &b), RSP_OK);
    tu_assert_hex(b.data, b.len, "BF2B06A0048002012C");
    assert_int_equal(rsp_es10_retrieve_req_decode(b.data, b.len, &o, NULL), RSP_OK);
    assert_int_equal(o.seq, 300);
    prefixes_refused(&b, d_retrieve);
    rsp_buf bad = RSP_BUF_INIT;
    tu_hex("BF2B00", &bad);
    assert_int_equal(rsp_es10_retrieve_req_decode(bad.data, bad.len, &o, NULL), RSP_OK);
    assert_false(o.has_seq || o.has_events);
    tu_hex("BF2B02A000", &bad); /* empty searchCriteria: a CHOICE needs one */
    assert_int_not_equal(rsp_es10_retrieve_req_decode(bad.data, bad.len, &o, NULL), RSP_OK);
    tu_hex("BF2B0AA00880010181020780", &bad); /* both */
    assert_int_not_equal(rsp_es10_retrieve_req_decode(bad.data, bad.len, &o, NULL), RSP_OK);
    rsp_buf_reset(&b);
    rsp_es10_list_notif_req_encode(RSP_ES10_EVENT_INSTALL, &b);
    tu_assert_hex(b.data, b.len, "BF280481020780");
    unsigned ev = 0;
    assert_int_equal(rsp_es10_list_notif_req_decode(b.data, b.len, &ev, NULL), RSP_OK);
    assert_int_equal(ev, RSP_ES10_EVENT_INSTALL);
    rsp_buf_reset(&b);
    rsp_es10_remove_notif_req_encode(7, &b);
    tu_assert_hex(b.data, b.len, "BF3003800107");
    uint32_t seq = 0;
    assert_int_equal(rsp_es10_remove_notif_req_decode(b.data, b.len, &seq, NULL), RSP_OK);
    assert_int_equal(seq, 7);
    tu_hex("BF3004800107", &bad); /* length beyond the input */
    assert_int_not_equal(rsp_es10_remove_notif_req_decode(bad.data, bad.len, &seq, NULL), RSP_OK);
    tu_hex("BF308103800107", &bad); /* non-minimal length */
    assert_int_not_equal(rsp_es10_remove_notif_req_decode(bad.data, bad.len, &seq, NULL), RSP_OK);
    /* RAT */
    rsp_buf_reset(&b);
    tu_hex("BF4314A012301080020560A10730058003EEEEEE820100", &b);
    prefixes_refused(&b, d_rat);
    tu_hex("BF4314A012301080020560A10731058003EEEEEE820100", &bad); /* an OperatorId that is not 30 */
    assert_int_not_equal(d_rat(bad.data, bad.len), RSP_OK);
    rsp_buf_free(&bad);
    rsp_buf_free(&b);
}

static void test_split(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    /* BF36{BF23{..}, A0{87 00}, A1{88 00, 88 00}, A3{86 00}} */
    tu_hex("BF3611" "BF2300" "A0028700" "A10488008800" "A3028600", &b);
    rsp_bytes pieces[8];
    size_t n = 0;
    assert_int_equal(rsp_es10_bpp_split(b.data, b.len, pieces, 8, &n, NULL), RSP_OK);
    assert_int_equal(n, 7);
    tu_assert_hex(pieces[0].p, pieces[0].len, "BF3611BF2300");
    tu_assert_hex(pieces[2].p, pieces[2].len, "A104");
    tu_assert_hex(pieces[5].p, pieces[5].len, "A302");
    assert_int_equal(rsp_es10_bpp_split(b.data, b.len, pieces, 6, &n, NULL), RSP_ERR_RANGE);
    /* no A3 */
    tu_hex("BF360D" "BF2300" "A0028700" "A10488008800", &b);
    assert_int_not_equal(rsp_es10_bpp_split(b.data, b.len, pieces, 8, &n, NULL), RSP_OK);
    rsp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_plaintexts), cmocka_unit_test(test_init_sc),
        cmocka_unit_test(test_metadata_roundtrip), cmocka_unit_test(test_requests),
        cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
