/* SGP.22 BSP (VECTORS.txt §D) byte for byte: X9.63 session keys, the third-party SM-DP+ trace
 * (87, 88, 87 chained), the 1,020-byte 86 segments after ReplaceSessionKeys, and negatives. */
#include <stdlib.h>
#include <string.h>

#include "rsp/bsp.h"
#include "testutil.h"

static void expect_vec(const char *marker, const char *key, const uint8_t *p, size_t len)
{
    char *want = tu_vec(marker, key);
    tu_assert_hex(p, len, want);
    free(want);
}

static void test_kdf(void **state)
{
    (void)state;
    const char *markers[2] = {"Z=8902dca391bbb22570fe60c176076246", "Z=c9a993dd4879a8f7161f2085410edd4f"};
    for (int i = 0; i < 2; i++) {
        rsp_buf z = RSP_BUF_INIT, eid = RSP_BUF_INIT;
        /* Z is the marker's own value: look it up from the line before. */
        tu_vec_bytes(i == 0 ? "BSP KDF" : "EID=89049032123451234512345678901335", "Z=", &z);
        tu_vec_bytes(markers[i], "EID=", &eid);
        uint8_t host[8];
        memset(host, 0x80, 8);
        rsp_bsp b;
        assert_int_equal(rsp_bsp_derive(&b, z.data, z.len, host, 8, eid.data, eid.len), RSP_OK);
        expect_vec(markers[i], "MCV=", b.mcv, 16);
        expect_vec(markers[i], "S-ENC=", b.s_enc, 16);
        expect_vec(markers[i], "S-MAC=", b.s_mac, 16);
        rsp_bsp_close(&b);
        rsp_buf_free(&z);
        rsp_buf_free(&eid);
    }
}

static void test_trace(void **state)
{
    (void)state;
    const char *m = "[third-party SM-DP+ trace]";
    rsp_buf k1 = RSP_BUF_INIT, k2 = RSP_BUF_INIT, mcv = RSP_BUF_INIT, pt = RSP_BUF_INIT, out = RSP_BUF_INIT,
            back = RSP_BUF_INIT;
    tu_vec_bytes(m, "S-ENC", &k1);
    tu_vec_bytes(m, "S-MAC", &k2);
    tu_vec_bytes(m, "MCV0", &mcv);
    rsp_bsp host, card;
    rsp_bsp_init(&host, k1.data, k2.data, mcv.data);
    rsp_bsp_init(&card, k1.data, k2.data, mcv.data);
    const char *pts[3][2] = {{m, "tag87 pt="}, {"mac-only tag88", "pt="}, {"mac-only tag88", "enc+mac tag87 pt="}};
    const char *outs[3][2] = {{"enc+mac tag87 pt=bf2400", "->"}, {"mac-only tag88", "->"},
                              {"enc+mac tag87 pt=bf2636", "->"}};
    const uint8_t tags[3] = {0x87, 0x88, 0x87};
    for (int i = 0; i < 3; i++) {
        tu_vec_bytes(pts[i][0], pts[i][1], &pt);
        rsp_buf_reset(&out);
        assert_int_equal(rsp_bsp_protect(&host, tags[i], pt.data, pt.len, &out), RSP_OK);
        expect_vec(outs[i][0], outs[i][1], out.data, out.len);
        size_t used = 0;
        rsp_buf_reset(&back);
        assert_int_equal(rsp_bsp_unprotect(&card, out.data, out.len, &used, &back, NULL), RSP_OK);
        assert_int_equal(used, out.len);
        assert_true(rsp_bytes_eq(rsp_buf_view(&back), rsp_buf_view(&pt)));
    }
    /* A flipped bit in the next segment's MAC is refused; the state does not move. */
    rsp_buf_reset(&out);
    assert_int_equal(rsp_bsp_protect(&host, 0x87, pt.data, pt.len, &out), RSP_OK);
    uint32_t ctr = card.counter;
    out.data[out.len - 1] ^= 1;
    assert_int_equal(rsp_bsp_unprotect(&card, out.data, out.len, NULL, &back, NULL), RSP_ERR_VERIFY);
    assert_int_equal(card.counter, ctr);
    out.data[out.len - 1] ^= 1;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_bsp_unprotect(&card, out.data, out.len - 1, NULL, &back, &d), RSP_ERR_TRUNCATED);
    assert_int_equal(rsp_bsp_unprotect(&card, out.data, out.len, NULL, &back, NULL), RSP_OK);
    rsp_bsp_close(&host);
    rsp_bsp_close(&card);
    rsp_buf_free(&k1);
    rsp_buf_free(&k2);
    rsp_buf_free(&mcv);
    rsp_buf_free(&pt);
    rsp_buf_free(&out);
    rsp_buf_free(&back);
}

static void test_replace_session_keys_segments(void **state)
{
    (void)state;
    uint8_t senc[16], smac[16], mcv[16];
    for (int i = 0; i < 16; i++)
        senc[i] = smac[i] = mcv[i] = (uint8_t)i;
    senc[0] = 0x01; /* "010102..0f" */
    smac[0] = 0x02; /* "020102..0f" */
    rsp_bsp host, card;
    rsp_bsp_init(&host, senc, smac, mcv);
    rsp_bsp_init(&card, senc, smac, mcv);
    rsp_buf pt = RSP_BUF_INIT, all = RSP_BUF_INIT, out = RSP_BUF_INIT, back = RSP_BUF_INIT;
    const char *pk[2] = {"segment0 plaintext =", "segment1 plaintext ="};
    const char *ok[2] = {"segment0 protected =", "segment1 protected ="};
    for (int i = 0; i < 2; i++) {
        tu_vec_bytes("[after ReplaceSessionKeys]", pk[i], &pt);
        assert_int_equal(pt.len, RSP_BSP_MAX_PLAIN_ENC);
        rsp_buf_append(&all, pt.data, pt.len);
    }
    assert_int_equal(rsp_bsp_protect_all(&host, 0x86, all.data, all.len, RSP_BSP_MAX_PLAIN_ENC, &out), RSP_OK);
    assert_int_equal(out.len, 2 * RSP_BSP_MAX_TLV);
    expect_vec("[after ReplaceSessionKeys]", ok[0], out.data, RSP_BSP_MAX_TLV);
    expect_vec("[after ReplaceSessionKeys]", ok[1], out.data + RSP_BSP_MAX_TLV, RSP_BSP_MAX_TLV);
    size_t off = 0;
    while (off < out.len) {
        size_t used;
        assert_int_equal(rsp_bsp_unprotect(&card, out.data + off, out.len - off, &used, &back, NULL), RSP_OK);
        off += used;
    }
    assert_true(rsp_bytes_eq(rsp_buf_view(&back), rsp_buf_view(&all)));
    /* Wrong tag. */
    out.data[0] = 0x85;
    assert_int_equal(rsp_bsp_unprotect(&card, out.data, out.len, NULL, &back, NULL), RSP_ERR_TAG);
    rsp_bsp_close(&host);
    rsp_bsp_close(&card);
    rsp_buf_free(&pt);
    rsp_buf_free(&all);
    rsp_buf_free(&out);
    rsp_buf_free(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kdf),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_replace_session_keys_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
