/* SCP80 command packets and PoRs against VECTORS.txt §A1 (four sysmoISIM-SJA5 packets and PoRs),
 * §A3 (two SJA2 commands/PoRs, the replayed-counter PoR 06) and §A5 (CC primitive, PCNTR table):
 * decoded and re-encoded byte for byte, in both roles; plus negative cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/scp80.h"
#include "testutil.h"

typedef struct vec {
    rsp_buf kic, kid, cmd, por, apdu, resp;
    rsp_scp80_hdr h;
} vec;

static void vec_free(vec *v)
{
    rsp_buf_free(&v->kic);
    rsp_buf_free(&v->kid);
    rsp_buf_free(&v->cmd);
    rsp_buf_free(&v->por);
    rsp_buf_free(&v->apdu);
    rsp_buf_free(&v->resp);
}

static void load_a1(const char *marker, vec *v)
{
    memset(v, 0, sizeof(*v));
    tu_vec_bytes(marker, "KIc=", &v->kic);
    tu_vec_bytes(marker, "KID=", &v->kid);
    tu_vec_bytes(marker, "CMD =", &v->cmd);
    tu_vec_bytes(marker, "PoR (UD incl. UDH) =", &v->por);
    tu_vec_bytes(marker, "C-APDU=", &v->apdu);
    tu_vec_bytes(marker, "compact remote response =", &v->resp);
    rsp_buf b = RSP_BUF_INIT;
    tu_vec_bytes(marker, "SPI=", &b);
    memcpy(v->h.spi, b.data, 2);
    tu_vec_bytes(marker, "KIc=0x", &b);
    v->h.kic = b.data[0];
    tu_vec_bytes(marker, "KID=0x", &b);
    v->h.kid = b.data[0];
    tu_vec_bytes(marker, "TAR=", &b);
    memcpy(v->h.tar, b.data, 3);
    tu_vec_bytes(marker, "CNTR=", &b);
    memcpy(v->h.cntr, b.data, 5);
    rsp_buf_free(&b);
}

/* Both roles on one vector: server wraps, card opens, card answers, server opens the PoR. */
static void check_roundtrip(vec *v)
{
    rsp_scp80_keys k = {v->kic.data, v->kic.len, v->kid.data, v->kid.len};
    uint8_t out[512], work[512];
    size_t n = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_scp80_cmd_build(&k, &v->h, v->apdu.data, v->apdu.len, out, sizeof(out), &n, &d), RSP_OK);
    assert_int_equal(n, v->cmd.len);
    assert_memory_equal(out, v->cmd.data, n);

    rsp_scp80_cmd c;
    assert_int_equal(rsp_scp80_cmd_open(&k, v->cmd.data, v->cmd.len, work, sizeof(work), &c, &d), RSP_OK);
    assert_true(c.cc_valid);
    assert_int_equal(c.status, 0);
    assert_int_equal(c.data_len, v->apdu.len);
    assert_memory_equal(c.data, v->apdu.data, c.data_len);
    assert_memory_equal(c.h.cntr, v->h.cntr, 5);

    rsp_scp80_por p;
    assert_int_equal(rsp_scp80_por_open(&k, &v->h, v->por.data, v->por.len, work, sizeof(work), &p, &d), RSP_OK);
    assert_int_equal(p.status, 0);
    assert_memory_equal(p.tar, v->h.tar, 3);
    assert_int_equal(p.data_len, v->resp.len);
    assert_memory_equal(p.data, v->resp.data, p.data_len);
    if (p.cc_len)
        assert_true(p.cc_valid);
    /* Without the UDH the same PoR opens the same way. */
    assert_int_equal(rsp_scp80_por_open(&k, &v->h, v->por.data + 3, v->por.len - 3, work, sizeof(work), &p, &d), RSP_OK);

    assert_int_equal(rsp_scp80_por_build(&k, &v->h, 0, v->resp.data, v->resp.len, out, sizeof(out), &n, &d), RSP_OK);
    assert_int_equal(n, v->por.len);
    assert_memory_equal(out, v->por.data, n);

    /* A flipped bit anywhere after the clear header fails the checksum (or the padding count). */
    for (size_t i = 10; i < v->cmd.len; i++) {
        memcpy(out, v->cmd.data, v->cmd.len);
        out[i] ^= 0x01;
        rsp_err e = rsp_scp80_cmd_open(&k, out, v->cmd.len, work, sizeof(work), &c, NULL);
        assert_true(e == RSP_ERR_VERIFY || e == RSP_ERR_FORMAT);
        assert_int_not_equal(c.status, 0);
    }
    if (p.cc_len) {
        memcpy(out, v->por.data, v->por.len);
        out[v->por.len - 1] ^= 0x80;
        rsp_err e = rsp_scp80_por_open(&k, &v->h, out, v->por.len, work, sizeof(work), &p, NULL);
        assert_true(e == RSP_ERR_VERIFY || e == RSP_ERR_FORMAT);
    }
    /* Truncation is reported, with a message. */
    assert_int_equal(rsp_scp80_cmd_open(&k, v->cmd.data, v->cmd.len - 1, work, sizeof(work), &c, &d), RSP_ERR_TRUNCATED);
    assert_non_null(strstr(d.msg, "truncated"));
}

static void test_a1(void **state)
{
    (void)state;
    const char *m[4] = {"[3DES-SJA5-CIPHERED-CC]", "[3DES-SJA5-UNCIPHERED-CC", "[3DES-SJA5-UNCIPHERED-NOCC",
                        "[AES128-SJA5-CIPHERED-CC]"};
    for (int i = 0; i < 4; i++) {
        vec v;
        load_a1(m[i], &v);
        check_roundtrip(&v);
        vec_free(&v);
    }
}

static void load_a3(const char *after, vec *v)
{
    memset(v, 0, sizeof(*v));
    tu_vec_bytes("## A3.", "KIC1=", &v->kic);
    tu_vec_bytes("## A3.", "KID1=", &v->kid);
    rsp_buf ud = RSP_BUF_INIT;
    tu_vec_bytes(after, "CMD UD =", &ud);
    assert_memory_equal(ud.data, "\x02\x70\x00", 3);
    rsp_buf_set(&v->cmd, ud.data + 3, ud.len - 3);
    tu_vec_bytes(after, "PoR UD =", &v->por);
    tu_vec_bytes(after, "APDUs=", &v->apdu);
    tu_vec_bytes(after, "compact=", &v->resp);
    memcpy(v->h.spi, v->cmd.data + 3, 2);
    v->h.kic = v->cmd.data[5];
    v->h.kid = v->cmd.data[6];
    memcpy(v->h.tar, v->cmd.data + 7, 3);
    rsp_buf_free(&ud);
}

static void test_a3(void **state)
{
    (void)state;
    vec v;
    load_a3("## A3.", &v);
    memset(v.h.cntr, 0, 5);
    check_roundtrip(&v);
    vec_free(&v);

    load_a3("RSC=0 CC ok=True compact", &v); /* after the first PoR */
    rsp_buf b = RSP_BUF_INIT;
    tu_vec_bytes("SPI=1619", "CNTR=", &b);
    memcpy(v.h.cntr, b.data, 5);
    check_roundtrip(&v);

    /* Card side: counter 0000000064 stored, the first packet (counter 0) replayed: refused. */
    uint8_t st = 0xFF, zero[5] = {0};
    assert_int_equal(rsp_scp80_counter_check(v.h.spi, v.h.cntr, zero, &st), RSP_ERR_REPLAY);
    assert_int_equal(st, RSP_SCP80_CNTR_LOW);
    assert_string_equal(rsp_scp80_status_name(st), "cntr-low");
    /* The real card answered 06, unciphered, without CC: decode and re-encode it. */
    rsp_buf por = RSP_BUF_INIT;
    tu_vec_bytes("Replayed CNTR", "-> PoR", &por);
    rsp_scp80_keys k = {v.kic.data, v.kic.len, v.kid.data, v.kid.len};
    rsp_scp80_hdr h = v.h;
    memset(h.cntr, 0, 5);
    uint8_t work[64], out[64];
    size_t n;
    rsp_scp80_por p;
    assert_int_equal(rsp_scp80_por_open(&k, &h, por.data, por.len, work, sizeof(work), &p, NULL), RSP_OK);
    assert_int_equal(p.status, RSP_SCP80_SECURITY_ERROR);
    assert_int_equal(p.cc_len, 0);
    assert_false(p.ciphered);
    assert_int_equal(p.data_len, 0);
    assert_string_equal(rsp_scp80_status_name(p.status), "unidentified-security-error");
    assert_int_equal(rsp_scp80_por_build(&k, &h, 0x06, NULL, 0, out, sizeof(out), &n, NULL), RSP_OK);
    assert_int_equal(n, por.len);
    assert_memory_equal(out, por.data, n);
    rsp_buf_free(&por);
    rsp_buf_free(&b);
    vec_free(&v);
}

static void test_counter_modes(void **state)
{
    (void)state;
    uint8_t s[5] = {0, 0, 0, 0, 5}, r[5] = {0, 0, 0, 0, 6}, st;
    uint8_t one[2] = {0x1E, 0}, higher[2] = {0x16, 0}, nocheck[2] = {0x0E, 0}, none[2] = {0x06, 0};
    assert_int_equal(rsp_scp80_counter_check(one, s, r, &st), RSP_OK);
    r[4] = 7;
    assert_int_equal(rsp_scp80_counter_check(one, s, r, &st), RSP_ERR_REPLAY);
    assert_int_equal(st, RSP_SCP80_CNTR_HIGH);
    assert_int_equal(rsp_scp80_counter_check(higher, s, r, &st), RSP_OK);
    r[4] = 5;
    assert_int_equal(rsp_scp80_counter_check(higher, s, r, &st), RSP_ERR_REPLAY);
    assert_int_equal(st, RSP_SCP80_CNTR_LOW);
    assert_int_equal(rsp_scp80_counter_check(nocheck, s, r, &st), RSP_OK);
    assert_int_equal(rsp_scp80_counter_check(none, s, r, &st), RSP_OK);
    memset(s, 0xFF, 5);
    assert_int_equal(rsp_scp80_counter_check(higher, s, r, &st), RSP_ERR_REPLAY);
    assert_int_equal(st, RSP_SCP80_CNTR_BLOCKED);
    for (unsigned i = 0; i <= 0x0C; i++)
        assert_string_not_equal(rsp_scp80_status_name((uint8_t)i), "reserved");
    assert_string_equal(rsp_scp80_status_name(0x0D), "reserved");
}

static void test_a5_cc_primitive(void **state)
{
    (void)state;
    rsp_buf key = RSP_BUF_INIT, d1 = RSP_BUF_INIT, d2 = RSP_BUF_INIT, msg = RSP_BUF_INIT;
    tu_hex("AABBCCDDEEFF1122", &key);
    rsp_buf_append(&key, "\0\0\0\0\0\0\0\0", 8);
    tu_vec_bytes("## A5.", "data1 =", &d1);
    const char *m[3] = {"data2=0123456789abcdef0123456701234567:", "data2=0123456789abcdef0123456701234567aa:",
                        "data2=0123456789abcdef01234567012345:"};
    for (int i = 0; i < 3; i++) {
        tu_hex(strchr(m[i], '=') + 1, &d2);
        rsp_buf_set(&msg, d1.data, d1.len);
        rsp_buf_append(&msg, d2.data, d2.len);
        uint8_t cc[8];
        char *want = tu_vec(m[i], "3DES-CBC-MAC=");
        assert_int_equal(rsp_scp80_checksum(RSP_SCP80_CHK_CC, 0x15, key.data, 16, 8, msg.data, msg.len, cc, NULL), RSP_OK);
        tu_assert_hex(cc, 8, want);
        free(want);
        want = tu_vec(m[i], "AES-CMAC[0:8]=");
        assert_int_equal(rsp_scp80_checksum(RSP_SCP80_CHK_CC, 0x12, key.data, 16, 8, msg.data, msg.len, cc, NULL), RSP_OK);
        tu_assert_hex(cc, 8, want);
        /* The 4-byte AES CC is the first half. */
        uint8_t cc4[4];
        assert_int_equal(rsp_scp80_checksum(RSP_SCP80_CHK_CC, 0x12, key.data, 16, 4, msg.data, msg.len, cc4, NULL), RSP_OK);
        assert_memory_equal(cc4, cc, 4);
        free(want);
    }
    rsp_buf_free(&key);
    rsp_buf_free(&d1);
    rsp_buf_free(&d2);
    rsp_buf_free(&msg);
}

/* §A5 PCNTR table: "3DES len 0/8/16/24->0, 1/9/17/25->7, 7/15/23->1 ; AES ...": len is the ciphered
 * part (CNTR..data). Checked on the helper for every entry and on real packets where reachable. */
static void test_a5_pcntr(void **state)
{
    (void)state;
    const char *line = strstr(tu_vectors(), "PCNTR: 3DES");
    assert_non_null(line);
    static const size_t des_l[] = {0, 8, 16, 24, 1, 9, 17, 25, 7, 15, 23}, des_p[] = {0, 0, 0, 0, 7, 7, 7, 7, 1, 1, 1};
    static const size_t aes_l[] = {0, 16, 32, 48, 1, 17, 33, 49, 15, 31, 47}, aes_p[] = {0, 0, 0, 0, 15, 15, 15, 15, 1, 1, 1};
    assert_non_null(strstr(line, "3DES len 0/8/16/24->0, 1/9/17/25->7, 7/15/23->1"));
    assert_non_null(strstr(line, "AES len 0/16/32/48->0, 1/17/33/49->15, 15/31/47->1"));
    uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, data[64] = {0}, out[128], work[128];
    rsp_scp80_keys k = {key, 16, key, 16};
    for (size_t i = 0; i < 11; i++) {
        assert_int_equal(rsp_scp80_pad_len(des_l[i], 8), des_p[i]);
        assert_int_equal(rsp_scp80_pad_len(aes_l[i], 16), aes_p[i]);
        for (int aes = 0; aes < 2; aes++) {
            size_t L = aes ? aes_l[i] : des_l[i];
            /* ciphered part = CNTR(5) + PCNTR(1) [+ CC 8] + data */
            rsp_scp80_hdr h = {.spi = {L >= 14 ? 0x06 : 0x04, 0}, .kic = aes ? 0x12 : 0x15, .kid = aes ? 0x12 : 0x15};
            size_t fixed = L >= 14 ? 14 : 6;
            if (L < fixed)
                continue;
            size_t n;
            rsp_scp80_cmd c;
            assert_int_equal(rsp_scp80_cmd_build(&k, &h, data, L - fixed, out, sizeof(out), &n, NULL), RSP_OK);
            assert_int_equal(rsp_scp80_cmd_open(&k, out, n, work, sizeof(work), &c, NULL), RSP_OK);
            assert_int_equal(c.pcntr, aes ? aes_p[i] : des_p[i]);
        }
    }
}

static void test_options(void **state)
{
    (void)state;
    /* Every checksum and cipher option round-trips, command and PoR, in both padding styles. */
    uint8_t key[32], data[40], out[160], work[160];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(0x40 + i * 7);
    for (int i = 0; i < 40; i++)
        data[i] = (uint8_t)i;
    static const struct { uint8_t kx; size_t klen; } algs[] = {{0x11, 8}, {0x15, 16}, {0x19, 24}, {0x12, 16},
                                                              {0x12, 24}, {0x12, 32}, {0x1D, 8}};
    static const struct { uint8_t spi1, kid, cc_len; } chks[] = {{0x00, 0, 0}, {0x01, 0x01, 0}, {0x01, 0x05, 0},
                                                                {0x02, 0xFF, 0}, {0x02, 0xFF, 4}};
    for (size_t a = 0; a < sizeof(algs) / sizeof(algs[0]); a++)
        for (size_t c = 0; c < sizeof(chks) / sizeof(chks[0]); c++)
            for (int ciph = 0; ciph < 2; ciph++)
                for (int p80 = 0; p80 < 2; p80++) {
                    uint8_t kid = chks[c].kid == 0xFF ? algs[a].kx : chks[c].kid;
                    if (chks[c].kid == 0xFF && (algs[a].kx & 0xF) == 0xD)
                        continue; /* DES-ECB is not a MAC */
                    if (chks[c].cc_len == 4 && (kid & 3) != 2)
                        continue;
                    uint8_t chk = chks[c].spi1;
                    rsp_scp80_hdr h = {.spi = {(uint8_t)(chk | (ciph ? 4 : 0) | 0x18),
                                               (uint8_t)(0x21 | (chk << 2) | (ciph ? 0x10 : 0))},
                                       .kic = algs[a].kx, .kid = kid, .tar = {0xB0, 0, 0x10},
                                       .cntr = {0, 0, 0, 1, 2}, .cc_len = chks[c].cc_len, .pad80 = (uint8_t)p80};
                    rsp_scp80_keys k = {key, algs[a].klen, key, algs[a].klen};
                    size_t n;
                    rsp_diag d;
                    rsp_diag_clear(&d);
                    assert_int_equal(rsp_scp80_cmd_build(&k, &h, data, 13, out, sizeof(out), &n, &d), RSP_OK);
                    rsp_scp80_cmd cm;
                    assert_int_equal(rsp_scp80_cmd_open(&k, out, n, work, sizeof(work), &cm, &d), RSP_OK);
                    assert_int_equal(cm.data_len, 13);
                    assert_memory_equal(cm.data, data, 13);
                    assert_memory_equal(cm.h.cntr, h.cntr, 5);
                    assert_int_equal(rsp_scp80_por_build(&k, &h, 0, data, 21, out, sizeof(out), &n, &d), RSP_OK);
                    rsp_scp80_por p;
                    assert_int_equal(rsp_scp80_por_open(&k, &h, out, n, work, sizeof(work), &p, &d), RSP_OK);
                    assert_int_equal(p.data_len, 21);
                    assert_memory_equal(p.data, data, 21);
                    assert_int_equal(p.ciphered, ciph);
                    if (p.cc_len) {
                        out[n - 1] ^= 1;
                        assert_int_not_equal(rsp_scp80_por_open(&k, &h, out, n, work, sizeof(work), &p, NULL), RSP_OK);
                    }
                }
}

static void test_malformed(void **state)
{
    (void)state;
    uint8_t work[64];
    rsp_scp80_cmd c;
    rsp_scp80_por p;
    rsp_diag d;
    rsp_scp80_hdr h = {.spi = {0, 0}};
    rsp_diag_clear(&d);
    static const uint8_t shortpkt[] = {0x00, 0x0E, 0x0D, 0x00};
    assert_int_equal(rsp_scp80_cmd_open(NULL, shortpkt, sizeof(shortpkt), work, sizeof(work), &c, &d), RSP_ERR_TRUNCATED);
    rsp_diag_clear(&d);
    static const uint8_t badchl[] = {0x00, 0x0E, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(rsp_scp80_cmd_open(NULL, badchl, sizeof(badchl), work, sizeof(work), &c, &d), RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "CHL"));
    static const uint8_t plain[] = {0x00, 0x10, 0x0D, 0, 0, 0, 0, 0xB0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA, 0xBB};
    assert_int_equal(rsp_scp80_cmd_open(NULL, plain, sizeof(plain), work, sizeof(work), &c, NULL), RSP_OK);
    assert_int_equal(c.data_len, 2);
    rsp_diag_clear(&d);
    static const uint8_t trailing[] = {0x00, 0x0E, 0x0D, 0, 0, 0, 0, 0xB0, 0, 0, 0, 0, 0, 0, 0, 0, 0xAA};
    assert_int_equal(rsp_scp80_cmd_open(NULL, trailing, sizeof(trailing), work, sizeof(work), &c, &d), RSP_ERR_LENGTH);
    /* Ciphering needs a KIc. */
    static const uint8_t ciph[] = {0x00, 0x16, 0x0D, 0x04, 0, 0x12, 0, 0xB0, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(rsp_scp80_cmd_open(NULL, ciph, sizeof(ciph), work, sizeof(work), &c, NULL), RSP_ERR_INVAL);
    assert_int_equal(c.status, RSP_SCP80_CIPHER_ERROR);
    static const uint8_t shortpor[] = {0x02, 0x71, 0x00, 0x00, 0x0A, 0x0A};
    assert_int_equal(rsp_scp80_por_open(NULL, &h, shortpor, sizeof(shortpor), work, sizeof(work), &p, NULL),
                     RSP_ERR_TRUNCATED);
    /* DS is not supported; a wrong key length is refused with a message. */
    uint8_t key[16] = {0}, out[64];
    size_t n;
    rsp_scp80_keys k = {key, 16, key, 16};
    h.spi[0] = 0x03;
    assert_int_equal(rsp_scp80_cmd_build(&k, &h, key, 1, out, sizeof(out), &n, NULL), RSP_ERR_UNSUPPORTED);
    h.spi[0] = 0x04;
    h.kic = 0x19;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_scp80_cmd_build(&k, &h, key, 1, out, sizeof(out), &n, &d), RSP_ERR_INVAL);
    assert_non_null(strstr(d.msg, "24-byte"));
    h.kic = 0x12;
    assert_int_equal(rsp_scp80_cmd_build(&k, &h, key, 1, out, 10, &n, NULL), RSP_ERR_OVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a1),          cmocka_unit_test(test_a3),        cmocka_unit_test(test_counter_modes),
        cmocka_unit_test(test_a5_cc_primitive), cmocka_unit_test(test_a5_pcntr), cmocka_unit_test(test_options),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
