/* The SM-SR's SCP03t SendData by SMS (es3_dl_sms.c smsr_dl_queue_pkt: an SM-SR without an admin server),
 * engine and SQLite store in process, the card played here with the card-role codecs (reassembly,
 * SCP80 open, PoR build). Checks: the packet of an `85 + 86` body of a 1,024-byte segment is 9 SMS
 * (140-byte UD less the UDH: 8 bytes in the first part, 6 in the others, SGP02.md "SCP80 over SMS" — a
 * fact from outside, not our splitter's word), reassembles to one SCP80 packet to the ISD-P's TAR
 * (000011 from its AID) under the ISD-R key set whose secured data is the body byte for byte; its
 * counter is the one the store reserved (the cursor finds the op by it, and the next packet's is
 * higher); the PoR's response data settles the op DONE with that data kept raw (no R-APDU script); a
 * PoR with a security status sends it again with a fresh counter; a body too long for 20 SMS fails
 * 8.4 / 4.2 with nothing sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/scp80.h"
#include "rsp/sms.h"
#include "rsp/smsr.h"
#include "rsp/store.h"
#include "smsr/smsr_dl.h"
#include "smsr/smsr_dl_sms.h"

#define EID "89049032123451234512345678901235"
#define AID1 "A0000005591010FFFFFFFF8900001000"
#define AIDN "A0000005591010FFFFFFFF8900001100" /* TAR 000011 */
#define ICC "8988247000000000011"
#define ICCN "8988247000000000029"
#define T0 1800000000

typedef struct world {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
    rsp_smsr_config cfg;
    uint8_t keys[32];
} world;

static int setup(void **state)
{
    world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    snprintf(w->dir, sizeof(w->dir), "/tmp/smsr-dlsms-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    snprintf(w->uri, sizeof(w->uri), "sqlite:%s/s.db", w->dir);
    assert_int_equal(rsp_store_open(w->uri, NULL, &w->st), RSP_OK);
    rsp_smsr_config_default(&w->cfg);
    w->cfg.worker_id = "w1";
    assert_int_equal(rsp_smsr_new(w->st, &w->cfg, &w->e), RSP_OK);
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), EID);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    snprintf(eis.smsr_id, sizeof(eis.smsr_id), "sr1");
    assert_int_equal(rsp_store_eis_put(w->st, &eis), RSP_OK);
    const char *iccs[2] = {ICC, ICCN}, *aids[2] = {AID1, AIDN};
    for (int i = 0; i < 2; i++) {
        rsp_store_profile p;
        memset(&p, 0, sizeof(p));
        snprintf(p.iccid, sizeof(p.iccid), "%s", iccs[i]);
        snprintf(p.eid, sizeof(p.eid), EID);
        snprintf(p.isdp_aid, sizeof(p.isdp_aid), "%s", aids[i]);
        snprintf(p.mno_id, sizeof(p.mno_id), "op1");
        snprintf(p.smdp_id, sizeof(p.smdp_id), "dp1");
        if (i == 0)
            snprintf(p.msisdn, sizeof(p.msisdn), "447700900101");
        p.state = i == 0 ? RSP_STORE_PROFILE_ENABLED : RSP_STORE_PROFILE_CREATED;
        assert_int_equal(rsp_store_profile_put(w->st, &p), RSP_OK);
    }
    for (int i = 0; i < 32; i++)
        w->keys[i] = (uint8_t)(0x13 * (i % 11) + i);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), EID);
    ks.kvn = 1;
    assert_int_equal(rsp_buf_set(&ks.keys, w->keys, 32), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(w->st, &ks), RSP_OK);
    rsp_buf_free(&ks.keys);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    rsp_smsr_free(w->e);
    rsp_store_close(w->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w);
    return 0;
}

/* Queues an SCP03t SendData of body to ISD-P AIDN (as smsr_dl_on_send does after key establishment). */
static int64_t submit(world *w, const char *fcid, const uint8_t *body, size_t len)
{
    rsp_buf script = RSP_BUF_INIT;
    const char hdr[] = "iccid=" ICCN ";aid=" AIDN ";t=scp03t\n";
    assert_int_equal(rsp_buf_set(&script, hdr, strlen(hdr)), RSP_OK);
    assert_int_equal(rsp_buf_append(&script, body, len), RSP_OK);
    smsr_submission sq = {rsp_smsr_fn_name(RSP_SMSR_FN_SEND_DATA), "dp1", fcid, EID, ICCN, rsp_buf_view(&script),
                          T0, 3600, false, NULL, NULL, NULL, NULL};
    rsp_smsr_result r;
    assert_int_equal(smsr_submit_op(w->e, &sq, &r), RSP_OK);
    assert_true(r.op_id > 0);
    assert_string_equal(r.status, "");
    rsp_buf_free(&script);
    return r.op_id;
}

/* The card: reassembles the packet's parts (checking each part's size), opens it; returns its data. */
static void card_open(world *w, const rsp_smsr_packet *pkt, rsp_scp80_cmd *c, uint8_t *work, size_t cap)
{
    rsp_sms_reasm r;
    rsp_sms_reasm_init(&r, 60000);
    rsp_buf whole = RSP_BUF_INIT;
    uint8_t iei = 0;
    bool done = false;
    for (size_t i = 0; i < pkt->n; i++) {
        assert_true(pkt->parts[i].len <= 140);
        assert_int_equal(rsp_sms_reasm_add(&r, "smsr", pkt->parts[i].data, pkt->parts[i].len, 1, &whole, &iei, &done,
                                           NULL),
                         RSP_OK);
        assert_true(done == (i + 1 == pkt->n));
    }
    assert_int_equal(iei, RSP_SMS_IEI_CMD_PKT);
    rsp_scp80_keys k = {w->keys, 16, w->keys + 16, 16};
    assert_true(whole.len <= cap);
    assert_int_equal(rsp_scp80_cmd_open(&k, whole.data, whole.len, work, cap, c, NULL), RSP_OK);
    assert_true(c->cc_valid);
    rsp_buf_free(&whole);
    rsp_sms_reasm_free(&r);
}

static void por(world *w, const rsp_scp80_cmd *c, uint8_t status, const uint8_t *data, size_t len, int64_t now)
{
    rsp_scp80_keys k = {w->keys, 16, w->keys + 16, 16};
    uint8_t out[512];
    size_t on = 0;
    assert_int_equal(rsp_scp80_por_build(&k, &c->h, status, data, len, out, sizeof(out), &on, NULL), RSP_OK);
    assert_int_equal(rsp_smsr_on_por(w->e, EID, out, on, now, NULL), RSP_OK);
}

static void test_segment_by_sms(void **state)
{
    world *w = *state;
    /* 85 11 <17> then 86 82 04 18 <1,048>: the first segment's body as the SM-DP sends it */
    uint8_t body[19 + 4 + 1048];
    body[0] = 0x85, body[1] = 0x11;
    for (size_t i = 2; i < 19; i++)
        body[i] = (uint8_t)i;
    body[19] = 0x86, body[20] = 0x82, body[21] = 0x04, body[22] = 0x18;
    for (size_t i = 23; i < sizeof(body); i++)
        body[i] = (uint8_t)(i * 7);
    int64_t id = submit(w, "t1", body, sizeof(body));
    assert_true(smsr_dl_scp03t_by_sms(w->e, EID)); /* no admin server */
    rsp_smsr_packet pkt;
    assert_int_equal(rsp_smsr_next(w->e, T0, &pkt), RSP_OK);
    assert_int_equal(pkt.op_id, id);
    assert_false(pkt.https);
    assert_string_equal(pkt.msisdn, "447700900101");
    /* SGP02.md: first part UDH 02 70 00 + 00 03 ref n i (8 bytes with UDHL), later 05 00 03 ref n i */
    size_t wire = 0;
    for (size_t i = 0; i < pkt.n; i++)
        wire += pkt.parts[i].len - (i == 0 ? 8 : 6);
    for (size_t i = 0; i + 1 < pkt.n; i++)
        assert_int_equal(pkt.parts[i].len, 140); /* every part but the last full */
    assert_int_equal(pkt.n, 1 + (wire - 132 + 133) / 134);
    assert_true(wire >= sizeof(body) + 3 + 16 + 8 && wire <= sizeof(body) + RSP_SCP80_OVERHEAD);
    assert_int_equal(pkt.n, 9);
    assert_int_equal(pkt.parts[0].data[0], 7); /* UDHL: 70 00 and 00 03 ref 09 01 */
    tu_assert_hex(pkt.parts[0].data + 1, 4, "70000003");
    assert_int_equal(pkt.parts[0].data[6], 9);
    tu_assert_hex(pkt.parts[8].data, 3, "050003");
    uint8_t *work = malloc(4096);
    assert_non_null(work);
    rsp_scp80_cmd c;
    card_open(w, &pkt, &c, work, 4096);
    tu_assert_hex(c.h.tar, 3, "000011");
    assert_int_equal(c.h.kic, 0x12);
    assert_int_equal(c.data_len, sizeof(body));
    assert_memory_equal(c.data, body, sizeof(body));
    uint64_t cntr = 0;
    for (int i = 0; i < 5; i++)
        cntr = cntr << 8 | c.h.cntr[i];
    assert_int_equal(cntr, pkt.counter);
    /* the counter is durable: another engine on the same store finds the op by it */
    int64_t op = 0, gen = 0;
    rsp_smsr *e2 = NULL;
    assert_int_equal(rsp_smsr_new(w->st, &w->cfg, &e2), RSP_OK);
    assert_int_equal(smsr_cursor_find_counter(e2, EID, pkt.counter, &op, &gen), RSP_OK);
    assert_int_equal(op, id);
    rsp_smsr_free(e2);
    /* a PoR with a security status: sent again, with a higher counter */
    por(w, &c, RSP_SCP80_SECURITY_ERROR, NULL, 0, T0 + 1);
    rsp_smsr_packet again;
    assert_int_equal(rsp_smsr_next(w->e, T0 + 1, &again), RSP_OK);
    assert_int_equal(again.op_id, id);
    assert_true(again.counter > pkt.counter);
    assert_int_equal(again.n, 9);
    card_open(w, &again, &c, work, 4096);
    assert_memory_equal(c.data, body, sizeof(body));
    /* the card's answer to a segment before the last is nothing; here an EUICCResponse-like blob, raw */
    static const uint8_t ans[6] = {0x30, 0x04, 0xA0, 0x02, 0x30, 0x00};
    por(w, &c, RSP_SCP80_POR_OK, ans, sizeof(ans), T0 + 2);
    rsp_store_op o;
    memset(&o, 0, sizeof(o));
    assert_int_equal(rsp_store_op_get(w->st, id, &o), RSP_OK);
    assert_int_equal(o.state, RSP_STORE_OP_DONE);
    const uint8_t *nul = memchr(o.result.data, 0, o.result.len);
    assert_non_null(nul);
    assert_int_equal(o.result.len - (size_t)(nul + 1 - o.result.data), sizeof(ans));
    assert_memory_equal(nul + 1, ans, sizeof(ans));
    rsp_store_op_clear(&o);
    /* settled: nothing more to send */
    rsp_smsr_packet_clear(&pkt);
    rsp_smsr_packet_clear(&again);
    assert_int_equal(rsp_smsr_next(w->e, T0 + 3, &pkt), RSP_ERR_END);
    free(work);
}

static void test_too_long_for_sms(void **state)
{
    world *w = *state;
    uint8_t body[5400];
    memset(body, 0x5A, sizeof(body));
    body[0] = 0x86, body[1] = 0x82, body[2] = 0x0A, body[3] = 0x88;
    int64_t id = submit(w, "t2", body, sizeof(body));
    rsp_smsr_packet pkt;
    assert_int_equal(rsp_smsr_next(w->e, T0, &pkt), RSP_ERR_END); /* nothing sent */
    rsp_store_op o;
    memset(&o, 0, sizeof(o));
    assert_int_equal(rsp_store_op_get(w->st, id, &o), RSP_OK);
    assert_int_equal(o.state, RSP_STORE_OP_FAILED);
    char txt[160];
    snprintf(txt, sizeof(txt), "%.*s", (int)(o.result.len < 159 ? o.result.len : 159), (const char *)o.result.data);
    assert_non_null(strstr(txt, "8.4|4.2|SCP03t body too long"));
    rsp_store_op_clear(&o);
    /* a body that just fits 40 SMS goes */
    int64_t id2 = submit(w, "t3", body, 5310);
    assert_int_equal(rsp_smsr_next(w->e, T0, &pkt), RSP_OK);
    assert_int_equal(pkt.op_id, id2);
    assert_true(pkt.n > 20 && pkt.n <= RSP_SMSR_MAX_PARTS);
    rsp_smsr_packet_clear(&pkt);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(test_segment_by_sms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_long_for_sms, setup, teardown),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
