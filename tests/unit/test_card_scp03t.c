/* SCP03t host <-> card: §E4 TLV shapes, a 100 KB profile in 1,024-byte segments, the §B session keys
 * through the 84 exchange, and negatives (flipped bits, truncation, order, 9F answers). */
#include <stdlib.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/scp03t.h"
#include "rsp/tlv.h"
#include "testutil.h"

typedef struct fixture {
    rsp_scp03_keys keys;
    rsp_scp03_session h;
    rsp_scp03t_card c;
    rsp_buf a, r;
} fixture;

static void open_session(fixture *f, uint8_t sl)
{
    uint8_t enc[16], mac[16];
    for (int i = 0; i < 16; i++) {
        enc[i] = (uint8_t)i;
        mac[i] = (uint8_t)(0x10 + i);
    }
    assert_int_equal(rsp_scp03_keys_set(&f->keys, 0x30, enc, mac, NULL, 16), RSP_OK);
    rsp_scp03_card_params p = {RSP_AID_ISDR.b, RSP_AID_ISDR.len, 1, 0x70, {0}, NULL};
    assert_int_equal(rsp_scp03t_card_init(&f->c, &f->keys, &p), RSP_OK);
    const uint8_t hc[8] = {0x8e, 0x15, 0x52, 0xd0, 0x51, 0x3c, 0x60, 0xf3}; /* §B AES128_03 */
    rsp_buf_init(&f->a);
    rsp_buf_init(&f->r);
    assert_int_equal(rsp_scp03t_host_init(0x30, 0x01, hc, &f->a), RSP_OK);
    assert_int_equal(f->a.len, 12);
    assert_int_equal(f->a.data[0], 0x84);
    assert_int_equal(f->a.data[1], 0x0a);
    assert_int_equal(rsp_scp03t_card_process(&f->c, f->a.data, f->a.len, &f->r, NULL), RSP_OK);
    assert_int_equal(f->r.data[0], 0x84);
    assert_int_equal(rsp_scp03t_host_begin(&f->h, &f->keys, hc, f->r.data, f->r.len, NULL), RSP_OK);
    rsp_buf_reset(&f->a);
    rsp_buf_reset(&f->r);
    assert_int_equal(rsp_scp03t_host_auth(&f->h, sl, &f->a), RSP_OK);
    assert_int_equal(f->a.len, 19); /* 85 11 SL cryptogram(8) C-MAC(8) */
    assert_int_equal(f->a.data[0], 0x85);
    assert_int_equal(f->a.data[1], 0x11);
    assert_int_equal(f->a.data[2], sl);
    assert_int_equal(rsp_scp03t_card_process(&f->c, f->a.data, f->a.len, &f->r, NULL), RSP_OK);
    assert_int_equal(f->r.len, 0);
    assert_int_equal(f->c.state, RSP_SCP03T_OPEN);
}

static void close_session(fixture *f)
{
    rsp_scp03_close(&f->h);
    rsp_scp03t_card_close(&f->c);
    rsp_buf_free(&f->a);
    rsp_buf_free(&f->r);
}

static void test_sessions_keys_match_scp03_trace(void **state)
{
    (void)state;
    fixture f;
    open_session(&f, 0x33);
    /* The 84 exchange runs the SCP03 KDF: with §B AES128_03's host challenge and sequence counter
     * 000001 the card challenge and keys are the real card's. */
    char *want = tu_vec("[AES128_03]", "S-ENC  =");
    tu_assert_hex(f.h.s_enc, 16, want);
    free(want);
    tu_assert_hex(f.h.card_challenge, 8, want = tu_vec("[AES128_03]", "card challenge = KDF(K-ENC,02,seq||A0000005591010FFFFFFFF8900000100,64) ="));
    free(want);
    assert_memory_equal(f.h.s_mac, f.c.s.s_mac, 16);
    close_session(&f);
}

static void roundtrip(uint8_t sl, size_t total, size_t seg)
{
    fixture f;
    open_session(&f, sl);
    uint8_t *pp = malloc(total);
    for (size_t i = 0; i < total; i++)
        pp[i] = (uint8_t)(i * 31 + (i >> 8));
    rsp_buf_reset(&f.a);
    assert_int_equal(rsp_scp03t_host_wrap(&f.h, pp, total, seg, &f.a), RSP_OK);
    /* Feed in two ES8 SendData chunks, cut on a TLV boundary. */
    rsp_tlv t;
    assert_int_equal(rsp_tlv_parse(f.a.data, f.a.len, 0, &t, NULL), RSP_OK);
    assert_int_equal(t.tag, 0x86);
    size_t cut = t.raw_len;
    assert_int_equal(rsp_scp03t_card_process(&f.c, f.a.data, cut, &f.r, NULL), RSP_OK);
    assert_int_equal(rsp_scp03t_card_process(&f.c, f.a.data + cut, f.a.len - cut, &f.r, NULL), RSP_OK);
    assert_int_equal(f.r.len, 0);
    assert_int_equal(f.c.segments, (total + (seg ? seg : 1024) - 1) / (seg ? seg : 1024));
    assert_int_equal(f.c.plain.len, total);
    assert_memory_equal(f.c.plain.data, pp, total);
    free(pp);
    close_session(&f);
}

static void test_roundtrip_100k(void **state)
{
    (void)state;
    roundtrip(0x33, 100 * 1024, 0);
    roundtrip(0x33, 100 * 1024 + 17, 1500);
    roundtrip(0x01, 5000, 1024);
    roundtrip(0x03, 1024, 1024);
}

static void test_segment_shape(void **state)
{
    (void)state;
    fixture f;
    open_session(&f, 0x33);
    uint8_t seg[1024] = {0};
    rsp_buf_reset(&f.a);
    assert_int_equal(rsp_scp03t_host_wrap(&f.h, seg, sizeof(seg), 1024, &f.a), RSP_OK);
    /* 1,024 bytes pad to 1,040 (80 always added) + 8 MAC = 1,048 = 86 82 04 18. */
    assert_int_equal(f.a.len, 4 + 1048);
    tu_assert_hex(f.a.data, 4, "86820418");
    close_session(&f);
}

static void test_negative(void **state)
{
    (void)state;
    uint8_t pp[3000];
    memset(pp, 0x5a, sizeof(pp));
    /* Flipped bit in a segment: 9F 02, then every later TLV gets 9F 03. */
    for (size_t bit = 0; bit < 3; bit++) {
        fixture f;
        open_session(&f, 0x33);
        rsp_buf_reset(&f.a);
        assert_int_equal(rsp_scp03t_host_wrap(&f.h, pp, sizeof(pp), 1024, &f.a), RSP_OK);
        size_t pos = bit == 0 ? 10 : bit == 1 ? 1051 : f.a.len - 1; /* ct, MAC of segment 1, last MAC */
        f.a.data[pos] ^= 0x10;
        rsp_diag d;
        rsp_diag_clear(&d);
        assert_int_equal(rsp_scp03t_card_process(&f.c, f.a.data, f.a.len, &f.r, &d), RSP_ERR_VERIFY);
        tu_assert_hex(f.r.data, f.r.len, "9f02");
        assert_true(d.has_offset);
        assert_int_equal(rsp_scp03t_card_process(&f.c, f.a.data, 4, &f.r, NULL), RSP_ERR_STATE);
        tu_assert_hex(f.r.data + 2, 2, "9f03");
        close_session(&f);
    }
    /* Truncated TLV: 9F 01 and the offset of the fault. */
    {
        fixture f;
        open_session(&f, 0x33);
        rsp_buf_reset(&f.a);
        assert_int_equal(rsp_scp03t_host_wrap(&f.h, pp, sizeof(pp), 1024, &f.a), RSP_OK);
        rsp_diag d;
        rsp_diag_clear(&d);
        assert_int_equal(rsp_scp03t_card_process(&f.c, f.a.data, f.a.len - 5, &f.r, &d), RSP_ERR_TRUNCATED);
        tu_assert_hex(f.r.data, f.r.len, "9f01");
        assert_int_equal(d.offset, 2 * 1052);
        close_session(&f);
    }
    /* 86 before 85; wrong host cryptogram; 9F from the card seen by the host. */
    {
        fixture f;
        uint8_t enc[16] = {0}, mac[16] = {1};
        assert_int_equal(rsp_scp03_keys_set(&f.keys, 0x30, enc, mac, NULL, 16), RSP_OK);
        rsp_scp03_card_params p = {RSP_AID_ISDR.b, RSP_AID_ISDR.len, 1, 0x70, {0}, NULL};
        assert_int_equal(rsp_scp03t_card_init(&f.c, &f.keys, &p), RSP_OK);
        rsp_buf_init(&f.a);
        rsp_buf_init(&f.r);
        const uint8_t seg[] = {0x86, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        assert_int_equal(rsp_scp03t_card_process(&f.c, seg, sizeof(seg), &f.r, NULL), RSP_ERR_STATE);
        tu_assert_hex(f.r.data, f.r.len, "9f03");
        uint8_t hc[8] = {0};
        rsp_diag d;
        rsp_diag_clear(&d);
        assert_int_equal(rsp_scp03t_host_begin(&f.h, &f.keys, hc, f.r.data, f.r.len, &d), RSP_ERR_PROTOCOL);
        assert_non_null(strstr(d.msg, "9F 03"));
        rsp_scp03t_card_close(&f.c);
        assert_int_equal(rsp_scp03t_card_init(&f.c, &f.keys, &p), RSP_OK);
        rsp_buf_reset(&f.a);
        rsp_buf_reset(&f.r);
        rsp_scp03t_host_init(0x30, 1, hc, &f.a);
        assert_int_equal(rsp_scp03t_card_process(&f.c, f.a.data, f.a.len, &f.r, NULL), RSP_OK);
        assert_int_equal(rsp_scp03t_host_begin(&f.h, &f.keys, hc, f.r.data, f.r.len, NULL), RSP_OK);
        f.h.host_cryptogram[0] ^= 1; /* a host with the wrong cryptogram but the right MAC key */
        rsp_buf_reset(&f.a);
        rsp_buf_reset(&f.r);
        assert_int_equal(rsp_scp03t_host_auth(&f.h, 0x33, &f.a), RSP_OK);
        assert_int_equal(rsp_scp03t_card_process(&f.c, f.a.data, f.a.len, &f.r, NULL), RSP_ERR_VERIFY);
        tu_assert_hex(f.r.data, f.r.len, "9f02");
        close_session(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sessions_keys_match_scp03_trace),
        cmocka_unit_test(test_roundtrip_100k),
        cmocka_unit_test(test_segment_shape),
        cmocka_unit_test(test_negative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
