/* saip personalisation and segmentation over the TS.48 v7 packages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/saip.h"
#include "rsp/tlv.h"
#include "testutil.h"

static const char *const packages[4] = {
    "TS48v7_SAIP2.3_NoBERTLV",
    "TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM",
    "TS48v7_SAIP2.3_BERTLV_SUCI",
    "TS48v7_SAIP2.3_BERTLV_SUCI_NoRAMRFM",
};

static void load(const char *name, rsp_buf *out)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof(rel), "profiles/%s.der", name);
    tu_read_file(tu_shared_path(rel, path, sizeof(path)), out);
}

/* The value at a tag path inside element pe (first match at each level). */
static rsp_tlv at(const rsp_saip_pe *pe, const uint32_t *path, size_t depth)
{
    rsp_tlv t;
    assert_int_equal(rsp_tlv_find_path(pe->value.p, pe->value.len, path, depth, &t), RSP_OK);
    return t;
}

static const uint32_t P_EF_ICCID[] = {0xA4, 0x83};
static const uint32_t P_EF_IMSI[] = {0xA3, 0x83};
static const uint32_t P_KEY[] = {0xA1, 0xA1, 0x82};
static const uint32_t P_OPC[] = {0xA1, 0xA1, 0x83};

static void test_personalise_all(void **state)
{
    (void)state;
    rsp_buf ki = RSP_BUF_INIT, opc = RSP_BUF_INIT;
    tu_hex("465B5CE8B199B49FAA5F0A2EE238A6BC", &ki);
    tu_hex("CD63CB71954A9F4E48A5994E37A02BAF", &opc);
    for (int k = 0; k < 4; k++) {
        rsp_buf der = RSP_BUF_INIT, copy = RSP_BUF_INIT, out = RSP_BUF_INIT;
        load(packages[k], &der);
        rsp_buf_set(&copy, der.data, der.len);
        rsp_saip_package in, pz;
        assert_int_equal(rsp_saip_parse(der.data, der.len, 0, &in, NULL), RSP_OK);
        /* 8944 1234 5678 9012 345 + Luhn digit */
        const rsp_saip_perso ps = {"89441234567890123456", "234150123456789", ki.data, 16, opc.data, 16};
        char iccid[21];
        memcpy(iccid, ps.iccid, 21);
        assert_int_equal(rsp_iccid_check(iccid), RSP_ERR_CHECKSUM);
        iccid[19] = (char)('0' + rsp_luhn_digit(iccid, 19));
        const rsp_saip_perso p2 = {iccid, ps.imsi, ps.ki, 16, ps.opc, 16};
        rsp_diag d;
        rsp_diag_clear(&d);
        assert_int_equal(rsp_saip_personalize(&in, &ps, &out, &d), RSP_ERR_CHECKSUM);
        assert_int_equal(rsp_saip_personalize(&in, &p2, &out, &d), RSP_OK);
        assert_memory_equal(der.data, copy.data, der.len); /* input untouched */
        assert_int_equal(rsp_saip_parse(out.data, out.len, 0, &pz, &d), RSP_OK);
        assert_string_equal(pz.header.iccid, iccid);
        assert_int_equal(pz.n_pes, in.n_pes);
        assert_int_equal(out.len, der.len); /* same sizes, so no length changed anywhere */

        int aka = 0;
        for (size_t i = 0; i < pz.n_pes; i++) {
            const rsp_saip_pe *a = &in.pes[i], *b = &pz.pes[i];
            assert_int_equal(a->tag, b->tag);
            assert_int_equal(a->identification, b->identification);
            if (b->tag == RSP_SAIP_TAG_MF) {
                rsp_tlv t = at(b, P_EF_ICCID, 2);
                uint8_t sw[10];
                for (int j = 0; j < 10; j++)
                    sw[j] = (uint8_t)((iccid[2 * j] - '0') | (iccid[2 * j + 1] - '0') << 4);
                assert_int_equal(t.len, 10);
                assert_memory_equal(t.value, sw, 10);
            } else if (b->tag == RSP_SAIP_TAG_USIM) {
                rsp_tlv t = at(b, P_EF_IMSI, 2);
                tu_assert_hex(t.value, t.len, "082943511032547698");
            } else if (b->tag == RSP_SAIP_TAG_AKA) {
                rsp_tlv t = at(b, P_KEY, 3);
                assert_memory_equal(t.value, ki.data, 16);
                t = at(b, P_OPC, 3);
                assert_memory_equal(t.value, opc.data, 16);
                aka++;
            } else if (i > 0) {
                /* Everything else byte for byte. */
                assert_int_equal(a->raw.len, b->raw.len);
                assert_memory_equal(a->raw.p, b->raw.p, a->raw.len);
            }
        }
        assert_int_equal(aka, 2);
        rsp_saip_package_free(&pz);
        rsp_saip_package_free(&in);
        rsp_buf_free_secret(&out);
        rsp_buf_free(&der);
        rsp_buf_free(&copy);
    }
    rsp_buf_free(&ki);
    rsp_buf_free(&opc);
}

/* Writing the values the package already holds must give back the very same bytes: proves the
 * re-encoding of every nesting level is exact. */
static void test_personalise_identity(void **state)
{
    (void)state;
    rsp_buf ki = RSP_BUF_INIT, opc = RSP_BUF_INIT;
    tu_hex("000102030405060708090A0B0C0D0E0F", &ki);
    tu_hex("00000000000000000000000000000000", &opc);
    const rsp_saip_perso ps = {"89000123456789012341", "001010123456789", ki.data, 16, opc.data, 16};
    for (int k = 0; k < 4; k++) {
        rsp_buf der = RSP_BUF_INIT, out = RSP_BUF_INIT;
        load(packages[k], &der);
        rsp_saip_package in;
        assert_int_equal(rsp_saip_parse(der.data, der.len, 0, &in, NULL), RSP_OK);
        assert_int_equal(rsp_saip_personalize(&in, &ps, &out, NULL), RSP_OK);
        assert_int_equal(out.len, der.len);
        assert_memory_equal(out.data, der.data, der.len);
        rsp_saip_package_free(&in);
        rsp_buf_free(&out);
        rsp_buf_free(&der);
    }
    rsp_buf_free(&ki);
    rsp_buf_free(&opc);
}

/* Lengths change: a shorter IMSI keeps EF.IMSI at 9 bytes, but a 32-byte Ki cannot go into a
 * usim-test-algorithm element; an ICCID-only change leaves Ki alone. */
static void test_personalise_partial_and_errors(void **state)
{
    (void)state;
    rsp_buf der = RSP_BUF_INIT, out = RSP_BUF_INIT, k32 = RSP_BUF_INIT;
    load(packages[0], &der);
    tu_hex("00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF", &k32);
    rsp_saip_package in, pz;
    assert_int_equal(rsp_saip_parse(der.data, der.len, 0, &in, NULL), RSP_OK);

    const rsp_saip_perso imsi14 = {NULL, "23415012345678", NULL, 0, NULL, 0};
    assert_int_equal(rsp_saip_personalize(&in, &imsi14, &out, NULL), RSP_OK);
    assert_int_equal(rsp_saip_parse(out.data, out.len, 0, &pz, NULL), RSP_OK);
    size_t u;
    assert_int_equal(rsp_saip_find(&pz, RSP_SAIP_TAG_USIM, 0, &u), RSP_OK);
    rsp_tlv t = at(&pz.pes[u], P_EF_IMSI, 2);
    tu_assert_hex(t.value, t.len, "0821435110325476F8");
    char back[16];
    assert_int_equal(rsp_saip_imsi_decode(t.value, t.len, back), RSP_OK);
    assert_string_equal(back, "23415012345678");
    assert_string_equal(pz.header.iccid, "89000123456789012341");
    rsp_saip_package_free(&pz);

    rsp_diag d;
    rsp_diag_clear(&d);
    const rsp_saip_perso big = {NULL, NULL, k32.data, 32, NULL, 0};
    assert_int_equal(rsp_saip_personalize(&in, &big, &out, &d), RSP_ERR_LENGTH);
    assert_int_equal(out.len, 0);
    assert_non_null(strstr(d.msg, "Ki"));
    const rsp_saip_perso opc32 = {NULL, NULL, NULL, 0, k32.data, 32};
    assert_int_equal(rsp_saip_personalize(&in, &opc32, &out, NULL), RSP_ERR_LENGTH);
    const rsp_saip_perso ki15 = {NULL, NULL, k32.data, 15, NULL, 0};
    assert_int_equal(rsp_saip_personalize(&in, &ki15, &out, NULL), RSP_ERR_LENGTH);
    const rsp_saip_perso shortimsi = {NULL, "12345", NULL, 0, NULL, 0};
    assert_int_equal(rsp_saip_personalize(&in, &shortimsi, &out, NULL), RSP_ERR_FORMAT);
    const rsp_saip_perso alpha = {NULL, "00101012345678A", NULL, 0, NULL, 0};
    assert_int_equal(rsp_saip_personalize(&in, &alpha, &out, NULL), RSP_ERR_FORMAT);
    const rsp_saip_perso badiccid = {"8900012345678901234", NULL, NULL, 0, NULL, 0};
    assert_int_equal(rsp_saip_personalize(&in, &badiccid, &out, NULL), RSP_ERR_CHECKSUM);

    /* A package with only header and end has nowhere to put an IMSI. */
    rsp_buf mini = RSP_BUF_INIT;
    rsp_buf_append(&mini, in.pes[0].raw.p, in.pes[0].raw.len);
    rsp_buf_append(&mini, in.pes[in.n_pes - 1].raw.p, in.pes[in.n_pes - 1].raw.len);
    rsp_saip_package m;
    assert_int_equal(rsp_saip_parse(mini.data, mini.len, 0, &m, NULL), RSP_OK);
    const rsp_saip_perso imsi = {NULL, "001010123456789", NULL, 0, NULL, 0};
    rsp_diag_clear(&d);
    assert_int_equal(rsp_saip_personalize(&m, &imsi, &out, &d), RSP_ERR_NOT_FOUND);
    assert_non_null(strstr(d.msg, "usim"));
    const rsp_saip_perso iccid = {"89000123456789012341", NULL, NULL, 0, NULL, 0};
    assert_int_equal(rsp_saip_personalize(&m, &iccid, &out, NULL), RSP_ERR_NOT_FOUND);
    const rsp_saip_perso key = {NULL, NULL, k32.data, 16, NULL, 0};
    assert_int_equal(rsp_saip_personalize(&m, &key, &out, NULL), RSP_ERR_NOT_FOUND);
    rsp_saip_package_free(&m);
    rsp_buf_free(&mini);

    rsp_saip_package_free(&in);
    rsp_buf_free(&out);
    rsp_buf_free(&der);
    rsp_buf_free(&k32);
}

static void test_imsi_codec(void **state)
{
    (void)state;
    uint8_t b[9];
    char s[16];
    assert_int_equal(rsp_saip_imsi_encode("001010123456789", b), RSP_OK);
    tu_assert_hex(b, 9, "080910101032547698"); /* as in TS.48 EF.IMSI */
    assert_int_equal(rsp_saip_imsi_decode(b, 9, s), RSP_OK);
    assert_string_equal(s, "001010123456789");
    assert_int_equal(rsp_saip_imsi_encode("123456", b), RSP_OK);
    tu_assert_hex(b, 9, "04113254F6FFFFFFFF"); /* 6 digits: even, 4 bytes, F filler */
    assert_int_equal(rsp_saip_imsi_decode(b, 9, s), RSP_OK);
    assert_string_equal(s, "123456");
    assert_int_equal(rsp_saip_imsi_encode("1234567890123456", b), RSP_ERR_FORMAT);
    const uint8_t bad_len[] = {0x09, 0x09, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98};
    assert_int_equal(rsp_saip_imsi_decode(bad_len, 9, s), RSP_ERR_FORMAT);
    const uint8_t bad_type[] = {0x08, 0x0A, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98};
    assert_int_equal(rsp_saip_imsi_decode(bad_type, 9, s), RSP_ERR_FORMAT);
    const uint8_t bad_digit[] = {0x08, 0x09, 0x10, 0x1A, 0x10, 0x32, 0x54, 0x76, 0x98};
    assert_int_equal(rsp_saip_imsi_decode(bad_digit, 9, s), RSP_ERR_FORMAT);
}

static void check_plan(const rsp_saip_package *pkg, size_t max, bool pe)
{
    rsp_saip_segment *seg = NULL;
    size_t n = 0, off = 0, pes = 0;
    assert_int_equal(rsp_saip_segment_plan(pkg, max, pe, &seg, &n), RSP_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(seg[i].offset, off);
        assert_true(seg[i].len > 0 && seg[i].len <= max);
        off += seg[i].len;
        pes += seg[i].n_pes;
        if (seg[i].pe_aligned) {
            assert_true(seg[i].n_pes > 0);
            assert_int_equal(pkg->pes[seg[i].first_pe].offset, seg[i].offset);
            const rsp_saip_pe *last = &pkg->pes[seg[i].first_pe + seg[i].n_pes - 1];
            assert_int_equal(last->offset + last->raw.len, seg[i].offset + seg[i].len);
        }
        if (pe && i + 1 < n && seg[i].pe_aligned)
            /* Greedy: the next element would not have fitted. */
            assert_true(seg[i].len + pkg->pes[seg[i].first_pe + seg[i].n_pes].raw.len > max);
    }
    assert_int_equal(off, pkg->data.len);
    assert_int_equal(pes, pkg->n_pes);
    if (!pe)
        assert_int_equal(n, (pkg->data.len + max - 1) / max);
    free(seg);
}

static void test_segments(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        rsp_buf der = RSP_BUF_INIT;
        load(packages[k], &der);
        rsp_saip_package pkg;
        assert_int_equal(rsp_saip_parse(der.data, der.len, 0, &pkg, NULL), RSP_OK);
        const size_t sizes[] = {1024, 1500, 4096, 65536};
        for (size_t i = 0; i < 4; i++) {
            check_plan(&pkg, sizes[i], true);
            check_plan(&pkg, sizes[i], false);
        }
        rsp_saip_segment *seg = NULL;
        size_t n;
        assert_int_equal(rsp_saip_segment_plan(&pkg, 1023, true, &seg, &n), RSP_ERR_INVAL);
        assert_int_equal(rsp_saip_segment_plan(&pkg, 65536, true, &seg, &n), RSP_OK);
        assert_int_equal(n, 1);
        assert_true(seg[0].pe_aligned);
        free(seg);
        rsp_saip_package_free(&pkg);
        rsp_buf_free(&der);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_personalise_all),
        cmocka_unit_test(test_personalise_identity),
        cmocka_unit_test(test_personalise_partial_and_errors),
        cmocka_unit_test(test_imsi_codec),
        cmocka_unit_test(test_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
