/* The LPA side of the ES10 transport (lib/lpa/es10c.c) against a scripted card: the exact C-APDUs
 * (SGP22.md §"ES10 transport": MANAGE CHANNEL 00 70 00 00 01, SELECT 0c A4 04 00 10 <ISD-R AID>,
 * STORE DATA 8c E2 11/91 with P2 counting blocks from 00, GET RESPONSE 0c C0 00 00 xx) at block sizes
 * 6, 120 and 255; 61xx joined; 6Cxx resent; the basic channel when the card has no logical channel;
 * each refusal SW a protocol error naming it; data to a non-final block refused; the vpcd framing
 * of vsmartcard's vpcd.c (2-byte big-endian length) in both directions. */
#include <string.h>

#include "rsp/apdu.h"
#include "rsp/lpa.h"
#include "testutil.h"

typedef struct script {
    rsp_buf sent[600];     /* the C-APDUs, in order */
    size_t n_sent;
    const char *answers[16]; /* hex R-APDUs handed out in order; then "9000" for ever */
    size_t n_ans, next;
} script;

static rsp_err s_open(const char *arg, void **ctx, rsp_diag *diag)
{
    (void)diag;
    *ctx = (void *)(uintptr_t)arg;
    return RSP_OK;
}

static rsp_err s_transmit(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag)
{
    (void)diag;
    script *s = ctx;
    assert_true(s->n_sent < 600);
    rsp_buf_set(&s->sent[s->n_sent++], capdu, len);
    const char *a = s->next < s->n_ans ? s->answers[s->next++] : "9000";
    return rsp_hex_decode(a, rapdu, NULL);
}

static void s_close(void *ctx)
{
    (void)ctx;
}

static const rsp_lpa_transport_ops sops = {"script", "", s_open, s_transmit, s_close};

static void s_free(script *s)
{
    for (size_t i = 0; i < s->n_sent; i++)
        rsp_buf_free(&s->sent[i]);
}

static void open_card(script *s, rsp_lpa_card *c, size_t block)
{
    rsp_diag d = {0};
    if (rsp_lpa_card_open(c, &sops, (const char *)s, block, &d) != RSP_OK)
        fail_msg("open: %s", d.msg);
}

static void test_open_and_chains(void **state)
{
    (void)state;
    static const size_t blocks[] = {6, 120, 255};
    for (size_t b = 0; b < 3; b++) {
        script s = {.answers = {"029000", "6F0584030102039000"}, .n_ans = 2};
        rsp_lpa_card c;
        open_card(&s, &c, blocks[b]);
        assert_int_equal(c.channel, 2);
        tu_assert_hex(s.sent[0].data, s.sent[0].len, "0070000001");
        tu_assert_hex(s.sent[1].data, s.sent[1].len, "02A4040010A0000005591010FFFFFFFF890000010000");
        tu_assert_hex(c.fci.data, c.fci.len, "6F058403010203");
        /* a 600-byte command: ceil(600 / block) blocks, P1 11 then 91, P2 00.., CLA 82 */
        uint8_t req[600];
        for (size_t i = 0; i < sizeof(req); i++)
            req[i] = (uint8_t)i;
        size_t before = s.n_sent; /* every answer from here on is 9000 with no data */
        size_t nblk = (sizeof(req) + blocks[b] - 1) / blocks[b];
        rsp_buf resp = RSP_BUF_INIT;
        rsp_diag d = {0};
        /* final block answered 9000 with no data: the command answer is empty (a BPP piece) */
        assert_int_equal(rsp_lpa_es10(&c, req, sizeof(req), &resp, &d), RSP_OK);
        assert_int_equal(resp.len, 0);
        assert_int_equal(s.n_sent - before, nblk);
        size_t off = 0;
        for (size_t i = 0; i < nblk; i++) {
            const rsp_buf *a = &s.sent[before + i];
            size_t n = sizeof(req) - off < blocks[b] ? sizeof(req) - off : blocks[b];
            assert_int_equal(a->data[0], 0x82);
            assert_int_equal(a->data[1], 0xE2);
            assert_int_equal(a->data[2], i + 1 == nblk ? 0x91 : 0x11);
            assert_int_equal(a->data[3], i);
            assert_int_equal(a->data[4], n);
            assert_int_equal(a->len, 5 + n); /* case 3: no Le */
            assert_memory_equal(a->data + 5, req + off, n);
            off += n;
        }
        rsp_buf_free(&resp);
        rsp_lpa_card_close(&c);
        /* close sends MANAGE CHANNEL close for channel 2 */
        tu_assert_hex(s.sent[s.n_sent - 1].data, s.sent[s.n_sent - 1].len, "00708002");
        s_free(&s);
    }
}

static void test_get_response_and_6c(void **state)
{
    (void)state;
    script s = {.answers = {"019000", "9000", "AABB6103", "CCDDEE9000", "6C02", "01029000"}, .n_ans = 6};
    rsp_lpa_card c;
    open_card(&s, &c, 0);
    assert_int_equal(c.block, RSP_LPA_BLOCK_DEFAULT);
    static const uint8_t eid_req[] = {0xBF, 0x3E, 0x03, 0x5C, 0x01, 0x5A};
    rsp_buf resp = RSP_BUF_INIT;
    rsp_diag d = {0};
    assert_int_equal(rsp_lpa_es10(&c, eid_req, sizeof(eid_req), &resp, &d), RSP_OK);
    tu_assert_hex(resp.data, resp.len, "AABBCCDDEE");
    tu_assert_hex(s.sent[2].data, s.sent[2].len, "81E2910006BF3E035C015A");
    tu_assert_hex(s.sent[3].data, s.sent[3].len, "01C0000003"); /* GET RESPONSE on channel 1 */
    /* a case 2 command answered 6C02 is sent again with Le 02 */
    rsp_buf_reset(&resp);
    static const uint8_t case2[] = {0x80, 0xCA, 0x00, 0xFE, 0x00};
    assert_int_equal(rsp_lpa_apdu(&c, case2, sizeof(case2), &resp, &d), RSP_OK);
    tu_assert_hex(resp.data, resp.len, "01029000");
    tu_assert_hex(s.sent[4].data, s.sent[4].len, "81CA00FE00");
    tu_assert_hex(s.sent[5].data, s.sent[5].len, "81CA00FE02");
    rsp_buf_free(&resp);
    rsp_lpa_card_close(&c);
    s_free(&s);
}

static void test_refusals(void **state)
{
    (void)state;
    /* no logical channel (6881): the basic channel; SELECT answered 6A82: open fails naming it */
    script s = {.answers = {"6881", "6A82"}, .n_ans = 2};
    rsp_lpa_card c;
    rsp_diag d = {0};
    assert_int_equal(rsp_lpa_card_open(&c, &sops, (const char *)&s, 0, &d), RSP_ERR_PROTOCOL);
    assert_non_null(strstr(d.msg, "6A82"));
    tu_assert_hex(s.sent[1].data, s.sent[1].len, "00A4040010A0000005591010FFFFFFFF890000010000");
    s_free(&s);
    /* a card that answers data to a non-final block, and one that refuses the last block */
    script t = {.answers = {"6D00", "9000", "AB9000"}, .n_ans = 3};
    open_card(&t, &c, 6);
    assert_int_equal(c.channel, 0);
    uint8_t req[10] = {0};
    rsp_buf resp = RSP_BUF_INIT;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_lpa_es10(&c, req, sizeof(req), &resp, &d), RSP_ERR_PROTOCOL);
    assert_non_null(strstr(d.msg, "block 0"));
    t.answers[t.n_ans++] = "6A80";
    rsp_diag_clear(&d);
    assert_int_equal(rsp_lpa_es10(&c, req, 5, &resp, &d), RSP_ERR_PROTOCOL);
    assert_non_null(strstr(d.msg, "6A80"));
    /* a one-byte answer has no status word */
    t.answers[t.n_ans++] = "90";
    rsp_diag_clear(&d);
    assert_int_equal(rsp_lpa_es10(&c, req, 5, &resp, &d), RSP_ERR_PROTOCOL);
    /* block size limits */
    rsp_lpa_card bad;
    assert_int_equal(rsp_lpa_card_open(&bad, &sops, (const char *)&t, 5, NULL), RSP_ERR_RANGE);
    assert_int_equal(rsp_lpa_card_open(&bad, &sops, (const char *)&t, 256, NULL), RSP_ERR_RANGE);
    rsp_buf_free(&resp);
    rsp_lpa_card_close(&c);
    s_free(&t);
}

static void test_vpcd_frames(void **state)
{
    (void)state;
    rsp_vpcd_reader r;
    rsp_vpcd_reader_init(&r);
    rsp_buf msg = RSP_BUF_INIT, out = RSP_BUF_INIT;
    /* vpcd.c: htons(length) then the payload; a GET ATR control (04) and an APDU split anywhere */
    static const uint8_t stream[] = {0x00, 0x01, 0x04, 0x00, 0x05, 0x00, 0x70, 0x00, 0x00, 0x01};
    for (size_t i = 0; i < sizeof(stream); i++)
        assert_int_equal(rsp_vpcd_feed(&r, stream + i, 1), RSP_OK);
    assert_int_equal(rsp_vpcd_next(&r, &msg, NULL), RSP_OK);
    tu_assert_hex(msg.data, msg.len, "04");
    assert_int_equal(rsp_vpcd_next(&r, &msg, NULL), RSP_OK);
    tu_assert_hex(msg.data, msg.len, "0070000001");
    assert_int_equal(rsp_vpcd_next(&r, &msg, NULL), RSP_ERR_END);
    /* a partial header and a partial body wait */
    assert_int_equal(rsp_vpcd_feed(&r, (const uint8_t *)"\x01", 1), RSP_OK);
    assert_int_equal(rsp_vpcd_next(&r, &msg, NULL), RSP_ERR_END);
    assert_int_equal(rsp_vpcd_feed(&r, (const uint8_t *)"\x00\xAA", 2), RSP_OK);
    assert_int_equal(rsp_vpcd_next(&r, &msg, NULL), RSP_ERR_END);
    /* length 0: out of step */
    rsp_vpcd_reader_free(&r);
    rsp_vpcd_reader_init(&r);
    rsp_diag d = {0};
    assert_int_equal(rsp_vpcd_feed(&r, (const uint8_t *)"\x00\x00", 2), RSP_OK);
    assert_int_equal(rsp_vpcd_next(&r, &msg, &d), RSP_ERR_FORMAT);
    /* the answer's framing */
    assert_int_equal(rsp_vpcd_frame((const uint8_t *)"\x90\x00", 2, &out), RSP_OK);
    tu_assert_hex(out.data, out.len, "00029000");
    assert_int_equal(rsp_vpcd_frame(NULL, 0, &out), RSP_ERR_INVAL);
    rsp_buf_free(&msg);
    rsp_buf_free(&out);
    rsp_vpcd_reader_free(&r);
}

static void test_iccid_digits(void **state)
{
    (void)state;
    uint8_t b[10];
    char s[24];
    assert_int_equal(rsp_lpa_iccid_from_digits("8944502000000000001", b, NULL), RSP_OK);
    tu_assert_hex(b, 10, "984405020000000000F1");
    rsp_lpa_iccid_to_digits(b, 10, s, sizeof(s));
    assert_string_equal(s, "8944502000000000001");
    assert_int_equal(rsp_lpa_iccid_from_digits("89445020000000000015", b, NULL), RSP_OK);
    tu_assert_hex(b, 10, "98440502000000000051");
    rsp_lpa_iccid_to_digits(b, 10, s, sizeof(s));
    assert_string_equal(s, "89445020000000000015");
    assert_int_equal(rsp_lpa_iccid_from_digits("8944502000000000001F", b, NULL), RSP_OK); /* typed padding */
    tu_assert_hex(b, 10, "984405020000000000F1");
    assert_int_equal(rsp_lpa_iccid_from_digits("89445020000000000", b, NULL), RSP_ERR_FORMAT); /* 17 */
    assert_int_equal(rsp_lpa_iccid_from_digits("89445020000000000x15", b, NULL), RSP_ERR_FORMAT);
    assert_int_equal(rsp_lpa_iccid_from_digits("894450200000000000150", b, NULL), RSP_ERR_FORMAT); /* 21 */
    /* F inside, or a nibble above 9: not an ICCID coding, shown in hex instead of cut short */
    static const uint8_t odd[10] = {0x98, 0x44, 0xF5, 0x02, 0, 0, 0, 0, 0, 0x51};
    rsp_lpa_iccid_to_digits(odd, 10, s, sizeof(s));
    assert_string_equal(s, "9844f502000000000051");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_chains), cmocka_unit_test(test_get_response_and_6c),
        cmocka_unit_test(test_refusals), cmocka_unit_test(test_vpcd_frames), cmocka_unit_test(test_iccid_digits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
