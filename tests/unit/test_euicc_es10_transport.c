/* The card side of the ES10 transport, driven by APDU traces: the LPA opening sequence of SGP22.md
 * (MANAGE CHANNEL, SELECT ISD-R, TERMINAL CAPABILITY as one public LPA sends them), STORE DATA chains
 * cut at 6, 120 and 255 bytes, answers by 61xx + GET RESPONSE (CLA 0x and 8x), and every refusal of
 * the state table with its status word. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/apdu.h"
#include "rsp/es10.h"
#include "rsp/tlv.h"
#include "testutil.h"

/* The handler: GetEID answers a fixed EID; BF2B answers `big` bytes in one TLV; anything else that is
 * one DER TLV is echoed; garbage is an error. It records what it saw. */
typedef struct seen {
    size_t calls, last_len;
    uint8_t last[RSP_ES10_MAX_COMMAND];
    size_t big;
} seen;

static rsp_err handler(void *ctx, const uint8_t *req, size_t len, rsp_buf *resp)
{
    seen *s = ctx;
    s->calls++;
    s->last_len = len;
    memcpy(s->last, req, len);
    uint32_t tag;
    rsp_err e = rsp_es10_peek_tag(req, len, &tag, NULL);
    if (e)
        return e;
    if (tag == RSP_ES10_GET_EID) {
        static const uint8_t eid[16] = {0x89, 0x04, 0x90, 0x44, 0x90, 0x00, 0x00, 0x00,
                                        0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x23, 0x55};
        return rsp_es10_eid_response_encode(eid, resp);
    }
    if (tag == RSP_ES10_RETRIEVE_NOTIFICATIONS) {
        uint8_t *v = malloc(s->big);
        for (size_t i = 0; i < s->big; i++)
            v[i] = (uint8_t)i;
        e = rsp_tlv_put(resp, 0x04, v, s->big);
        free(v);
        return e;
    }
    return rsp_buf_append(resp, req, len);
}

/* Sends hex (spaces ignored) and checks the whole R-APDU against want (hex; "*" ends a prefix match). */
static void xchg(rsp_es10_transport *t, const char *capdu, const char *want)
{
    char clean[4096];
    size_t n = 0;
    for (const char *c = capdu; *c && n + 1 < sizeof(clean); c++)
        if (*c != ' ')
            clean[n++] = *c;
    clean[n] = '\0';
    rsp_buf c = RSP_BUF_INIT, r = RSP_BUF_INIT, w = RSP_BUF_INIT;
    tu_hex(clean, &c);
    assert_int_equal(rsp_es10_transport_apdu(t, c.data, c.len, &r), RSP_OK);
    n = 0;
    bool prefix = false;
    for (const char *p = want; *p && n + 1 < sizeof(clean); p++) {
        if (*p == '*')
            prefix = true;
        else if (*p != ' ')
            clean[n++] = *p;
    }
    clean[n] = '\0';
    tu_hex(clean, &w);
    if ((prefix ? r.len < w.len : r.len != w.len) || (w.len && memcmp(r.data, w.data, w.len))) {
        fprintf(stderr, "C-APDU %s\n", capdu);
        tu_assert_hex(r.data, r.len, clean);
    }
    rsp_buf_free(&c);
    rsp_buf_free(&r);
    rsp_buf_free(&w);
}

/* Sends a raw C-APDU and returns the SW, with the data in data (may be NULL). */
static uint16_t send(rsp_es10_transport *t, const uint8_t *capdu, size_t len, rsp_buf *data)
{
    rsp_buf r = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_transport_apdu(t, capdu, len, &r), RSP_OK);
    assert_true(r.len >= 2);
    uint16_t w = (uint16_t)(r.data[r.len - 2] << 8 | r.data[r.len - 1]);
    if (data)
        rsp_buf_append(data, r.data, r.len - 2);
    rsp_buf_free(&r);
    return w;
}

/* One ES10 command as an LPA sends it: STORE DATA blocks of `block` bytes on channel ch; the answer is
 * fetched with GET RESPONSE (CLA gr_cla | ch) while the card says 61xx. Returns the final SW. */
static uint16_t es10_call(rsp_es10_transport *t, uint8_t ch, const uint8_t *req, size_t len, size_t block, bool le,
                          uint8_t gr_cla, rsp_buf *answer)
{
    uint16_t w = 0;
    size_t off = 0;
    unsigned p2 = 0;
    while (off < len) {
        size_t n = len - off < block ? len - off : block;
        rsp_buf c = RSP_BUF_INIT;
        bool last = off + n == len;
        rsp_apdu_build(&c, (uint8_t)(0x80 | ch), 0xE2, last ? 0x91 : 0x11, (uint8_t)p2++, req + off, n, le, 256);
        w = send(t, c.data, c.len, answer);
        rsp_buf_free(&c);
        off += n;
        if (!last)
            assert_int_equal(w, 0x9000);
    }
    while ((w & 0xFF00) == 0x6100) {
        uint8_t gr[5] = {(uint8_t)(gr_cla | ch), 0xC0, 0x00, 0x00, (uint8_t)(w & 0xFF)};
        w = send(t, gr, 5, answer);
    }
    return w;
}

static void open_isdr(rsp_es10_transport *t)
{
    /* The sequence of SGP22.md §"ES10 transport" (lpac driver/apdu/pcsc.c). */
    xchg(t, "00 70 00 00 01", "01 9000");
    xchg(t, "01 A4 04 00 10 A0000005591010FFFFFFFF8900000100 00",
         "6F 19 84 10 A0000005591010FFFFFFFF8900000100 E0 05 82 03 020300 9000");
    xchg(t, "80 AA 00 00 0A A9 08 81 00 82 01 01 83 01 07", "9000");
    assert_true(t->terminal_capability);
}

static void test_open_and_get_eid(void **state)
{
    (void)state;
    static seen s;
    memset(&s, 0, sizeof(s));
    rsp_es10_transport t;
    static const uint8_t svn[3] = {2, 3, 0};
    rsp_es10_transport_init(&t, svn, handler, &s);
    open_isdr(&t);
    /* GetEID in one block, with Le 00 and without Le (then 61 12 and GET RESPONSE). */
    xchg(&t, "81 E2 91 00 06 BF3E035C015A 00", "BF3E125A1089049044900000000000000000102355 9000");
    xchg(&t, "81 E2 91 00 06 BF3E035C015A", "6115");
    xchg(&t, "81 C0 00 00 15", "BF3E125A1089049044900000000000000000102355 9000");
    xchg(&t, "81 C0 00 00 15", "6985"); /* nothing left */
    xchg(&t, "81 E2 91 00 06 BF3E035C015A", "6115");
    xchg(&t, "01 C0 00 00 00", "BF3E125A1089049044900000000000000000102355 9000"); /* CLA 0x as well */
    /* SELECT with P2 0C: no FCI. */
    xchg(&t, "01 A4 04 0C 10 A0000005591010FFFFFFFF8900000100", "9000");
    /* Close the channel: it is gone. */
    xchg(&t, "00 70 80 01 00", "9000");
    xchg(&t, "81 E2 91 00 06 BF3E035C015A 00", "6881");
    assert_int_equal(s.calls, 3);
    rsp_es10_transport_free(&t);
}

static void test_chaining(void **state)
{
    (void)state;
    static seen s;
    memset(&s, 0, sizeof(s));
    rsp_es10_transport t;
    static const uint8_t svn[3] = {2, 3, 0};
    rsp_es10_transport_init(&t, svn, handler, &s);
    open_isdr(&t);
    /* A 1,000-byte command (one TLV) cut as LPAs cut it; the echo comes back whole. */
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    size_t m;
    rsp_tlv_begin(&req, RSP_ES10_AUTHENTICATE_SERVER, &m);
    for (int i = 0; i < 996; i++)
        rsp_buf_append_byte(&req, (uint8_t)(i * 7));
    rsp_tlv_end(&req, m);
    static const size_t blocks[] = {6, 120, 255, 1000};
    for (size_t i = 0; i < 4; i++) {
        for (int le = 0; le < 2; le++) {
            rsp_buf_reset(&ans);
            size_t before = s.calls;
            assert_int_equal(es10_call(&t, 1, req.data, req.len, blocks[i] > 255 ? 255 : blocks[i], le, 0x80, &ans),
                             0x9000);
            assert_int_equal(s.calls, before + 1);
            assert_int_equal(s.last_len, req.len);
            assert_memory_equal(s.last, req.data, req.len);
            assert_int_equal(ans.len, req.len);
            assert_memory_equal(ans.data, req.data, req.len);
        }
    }
    /* A 600-byte answer with Le 00: 256 + 61 00, 256 + 61 58 (88 left), 88 + 9000. */
    s.big = 596;
    xchg(&t, "81 E2 91 00 03 BF2B00 00", "*");
    rsp_buf_reset(&ans);
    uint8_t gr[5] = {0x81, 0xC0, 0x00, 0x00, 0x00};
    uint16_t w = send(&t, gr, 5, &ans);
    assert_int_equal(w, 0x6158);
    assert_int_equal(ans.len, 256);
    gr[4] = 0x58;
    w = send(&t, gr, 5, &ans);
    assert_int_equal(w, 0x9000);
    assert_int_equal(ans.len, 256 + 88);
    /* Two channels: a chain on channel 1 survives a whole command on channel 2. */
    xchg(&t, "00 70 00 00 01", "02 9000");
    xchg(&t, "02 A4 04 0C 10 A0000005591010FFFFFFFF8900000100", "9000");
    xchg(&t, "81 E2 11 00 03 BF3E03", "9000");
    xchg(&t, "82 E2 91 00 06 BF3E035C015A 00", "BF3E125A1089049044900000000000000000102355 9000");
    xchg(&t, "81 E2 91 01 03 5C015A 00", "BF3E125A1089049044900000000000000000102355 9000");
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    rsp_es10_transport_free(&t);
}

static void test_refusals(void **state)
{
    (void)state;
    static seen s;
    memset(&s, 0, sizeof(s));
    rsp_es10_transport t;
    static const uint8_t svn[3] = {2, 2, 0};
    rsp_es10_transport_init(&t, svn, handler, &s);
    xchg(&t, "80 E2 91 00 06 BF3E035C015A 00", "6985");             /* nothing selected */
    xchg(&t, "00 A4 04 00 05 A000000559 00", "6A82");               /* another AID */
    xchg(&t, "00 A4 04 00 10 A0000005591010FFFFFFFF8900000100", "611B"); /* no Le: 61xx */
    xchg(&t, "00 C0 00 00 1B", "6F 19 84 10 A0000005591010FFFFFFFF8900000100 E0 05 82 03 020200 9000");
    xchg(&t, "00 A4 02 00 02 3F00", "6A86");                        /* select by FID */
    xchg(&t, "00 A4 04 0C 10 A0000005591010FFFFFFFF8900000100", "9000");
    xchg(&t, "00 E2 91 00 06 BF3E035C015A", "6E00");                /* STORE DATA with CLA 00 */
    xchg(&t, "80 E2 01 00 06 BF3E035C015A", "6A86");                /* P1 01 */
    xchg(&t, "80 E2 11 00 03 BF3E03", "9000");
    xchg(&t, "80 E2 91 05 03 5C015A", "6A86");                      /* block 5 after block 0 */
    xchg(&t, "80 E2 91 01 03 5C015A", "6A86");                      /* the chain was dropped */
    xchg(&t, "80 E2 91 00 03 FFFFFF", "6A80");                      /* not a TLV: handler error */
    xchg(&t, "84 E2 91 00 06 BF3E035C015A", "6882");                /* secure messaging */
    xchg(&t, "C0 E2 91 00 06 BF3E035C015A", "6881");                /* further interindustry CLA */
    xchg(&t, "83 E2 91 00 06 BF3E035C015A", "6881");                /* channel 3 not open */
    xchg(&t, "FF E2 91 00 00", "6E00");
    xchg(&t, "80 CA 00 5A 00", "6D00");
    xchg(&t, "80 E2 91", "6700");                                   /* truncated */
    xchg(&t, "80 E2 91 00 06 BF3E", "6700");                        /* Lc beyond the data */
    xchg(&t, "80 AA 00 00 03 A10100", "6A80");                      /* terminal capability not A9 */
    xchg(&t, "80 C0 00 00 10", "6985");                             /* GET RESPONSE with nothing pending */
    xchg(&t, "00 70 80 00 00", "6A86");                             /* close channel 0 */
    xchg(&t, "00 70 80 02 00", "6A88");                             /* close a closed channel */
    xchg(&t, "00 70 00 00 01", "01 9000");
    xchg(&t, "00 70 00 00 01", "02 9000");
    xchg(&t, "00 70 00 00 01", "03 9000");
    xchg(&t, "00 70 00 00 01", "6A81");                             /* no channel left */
    xchg(&t, "00 70 00 02 00", "6A86");                             /* P2 names an open channel */
    /* A chain longer than the card takes. */
    rsp_buf blk = RSP_BUF_INIT;
    uint8_t data[255];
    memset(data, 0x41, sizeof(data));
    uint16_t w = 0;
    for (unsigned i = 0; i <= RSP_ES10_MAX_COMMAND / 255; i++) {
        rsp_buf_reset(&blk);
        rsp_apdu_build(&blk, 0x80, 0xE2, 0x11, (uint8_t)i, data, sizeof(data), false, 0);
        w = send(&t, blk.data, blk.len, NULL);
        if (w != 0x9000)
            break;
    }
    assert_int_equal(w, 0x6A84);
    /* P2 runs out after block FF. */
    for (unsigned i = 0; i <= 256; i++) {
        rsp_buf_reset(&blk);
        rsp_apdu_build(&blk, 0x80, 0xE2, 0x11, (uint8_t)i, data, 1, false, 0);
        w = send(&t, blk.data, blk.len, NULL);
        if (w != 0x9000)
            break;
    }
    assert_int_equal(w, 0x6A86);
    /* A reset closes every channel but the basic one and forgets the selection. */
    rsp_es10_transport_reset(&t);
    xchg(&t, "81 E2 91 00 06 BF3E035C015A 00", "6881");
    xchg(&t, "80 E2 91 00 06 BF3E035C015A 00", "6985");
    rsp_buf_free(&blk);
    rsp_es10_transport_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_get_eid),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
