/* SM-SR engine over SQLite with the card played here by the card-role codecs (SCP80 open, PoR
 * build): ISD-R command bytes against SGP02.md "Card and SM-SR details" (a fact from outside), the
 * step table, E1 parsing, enable/disable/delete flows with notifications and confirmations, policy
 * refusals (POL2, fall-back, Operator, PLMA), POL1 from the card, FCID replay, restart resuming at
 * the durable step (PoR matched through the store by a new engine), lost-PoR resend with a fresh
 * counter, and expiry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/smsr.h"
#include "rsp/sms.h"
#include "rsp/store.h"
#include "rsp/tlv.h"

#define EID "89049032123451234512345678901235"
#define AID1 "A0000005591010FFFFFFFF8900001000"
#define AID2 "A0000005591010FFFFFFFF8900001100"
#define T0 1800000000LL

typedef struct fx {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
    rsp_smsr_config cfg;
    uint8_t keys[32];
    uint64_t mo_cntr;
    uint16_t seq;
} fx;

static void put_profile(fx *x, const char *iccid, const char *aid, rsp_store_profile_state st, bool fb,
                        const char *msisdn)
{
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), "%s", iccid);
    snprintf(p.eid, sizeof(p.eid), EID);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), "%s", aid);
    snprintf(p.mno_id, sizeof(p.mno_id), "op1");
    snprintf(p.smdp_id, sizeof(p.smdp_id), "dp1");
    snprintf(p.profile_type, sizeof(p.profile_type), "m2m");
    snprintf(p.msisdn, sizeof(p.msisdn), "%s", msisdn);
    p.state = st;
    p.fallback = fb;
    assert_int_equal(rsp_store_profile_put(x->st, &p), RSP_OK);
}

static void open_engine(fx *x, const char *worker)
{
    assert_int_equal(rsp_store_open(x->uri, NULL, &x->st), RSP_OK);
    rsp_smsr_config_default(&x->cfg);
    x->cfg.worker_id = worker;
    assert_int_equal(rsp_smsr_new(x->st, &x->cfg, &x->e), RSP_OK);
}

static void close_engine(fx *x)
{
    rsp_smsr_free(x->e);
    rsp_store_close(x->st);
    x->e = NULL;
    x->st = NULL;
}

static void fx_setup(fx *x)
{
    memset(x, 0, sizeof(*x));
    snprintf(x->dir, sizeof(x->dir), "/tmp/smsr-eng-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->uri, sizeof(x->uri), "sqlite:%s/s.db", x->dir);
    open_engine(x, "w1");
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), EID);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    snprintf(eis.smsr_id, sizeof(eis.smsr_id), "sr1");
    assert_int_equal(rsp_store_eis_put(x->st, &eis), RSP_OK);
    put_profile(x, "8988247000000000011", AID1, RSP_STORE_PROFILE_ENABLED, true, "447700900101");
    put_profile(x, "8988247000000000029", AID2, RSP_STORE_PROFILE_DISABLED, false, "447700900102");
    for (int i = 0; i < 32; i++)
        x->keys[i] = (uint8_t)(0x11 * (i % 15) + i);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), EID);
    ks.kvn = 1;
    assert_int_equal(rsp_buf_set(&ks.keys, x->keys, 32), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(x->st, &ks), RSP_OK);
    rsp_buf_free(&ks.keys);
    x->mo_cntr = 100;
}

static void fx_teardown(fx *x)
{
    close_engine(x);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
    assert_int_equal(system(cmd), 0);
}

static rsp_scp80_keys card_keys(fx *x)
{
    return (rsp_scp80_keys){x->keys, 16, x->keys + 16, 16};
}

/* The card: opens the (single-SMS) packet, checks its one C-APDU, answers a PoR with sw. */
static void card_answer(fx *x, const rsp_smsr_packet *p, const char *want_apdu_hex, uint16_t sw, rsp_buf *por)
{
    assert_int_equal(p->n, 1);
    const rsp_buf *ud = &p->parts[0];
    assert_true(ud->len > 3 && ud->data[0] == 0x02 && ud->data[1] == 0x70 && ud->data[2] == 0x00);
    rsp_scp80_keys k = card_keys(x);
    uint8_t work[300];
    rsp_scp80_cmd c;
    assert_int_equal(rsp_scp80_cmd_open(&k, ud->data + 3, ud->len - 3, work, sizeof(work), &c, NULL), RSP_OK);
    assert_true(c.cc_valid);
    assert_int_equal(c.h.spi[0], 0x16);
    uint64_t cntr = 0;
    for (int i = 0; i < 5; i++)
        cntr = cntr << 8 | c.h.cntr[i];
    assert_int_equal(cntr, p->counter);
    rsp_rapdu_script s;
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, c.data, c.data_len, &s, NULL), RSP_OK);
    /* AuditEIS: GET STATUS then GET DATA FF21 (audit.c); every other function: one C-APDU */
    bool audit = strncmp(want_apdu_hex, "80F24002", 8) == 0;
    assert_int_equal(s.n, audit ? 2 : 1);
    tu_assert_hex_(s.cmds[0].p, s.cmds[0].len, want_apdu_hex, __FILE__, __LINE__);
    if (audit)
        tu_assert_hex_(s.cmds[1].p, s.cmds[1].len, "80CAFF2100", __FILE__, __LINE__);
    uint8_t swb[2] = {(uint8_t)(sw >> 8), (uint8_t)sw};
    rsp_bytes r[2] = {{swb, 2}, {swb, 2}};
    rsp_buf resp = RSP_BUF_INIT;
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_EXPANDED, (unsigned)s.n, r, s.n, &resp), RSP_OK);
    uint8_t out[300];
    size_t n = 0;
    assert_int_equal(rsp_scp80_por_build(&k, &c.h, 0, resp.data, resp.len, out, sizeof(out), &n, NULL), RSP_OK);
    rsp_buf_reset(por);
    assert_int_equal(rsp_buf_append(por, out, n), RSP_OK);
    rsp_buf_free(&resp);
}

/* The card's MO notification packet (from CPL on) E1{4C EID, 4D type, 4E seq, 4F AID}. */
static void card_notif(fx *x, uint8_t type, uint16_t seq, const char *aid_hex, rsp_buf *pkt)
{
    rsp_buf e1 = RSP_BUF_INIT, eid = RSP_BUF_INIT, aid = RSP_BUF_INIT;
    tu_hex(EID, &eid);
    tu_hex(aid_hex, &aid);
    uint8_t sq[2] = {(uint8_t)(seq >> 8), (uint8_t)seq};
    size_t m;
    assert_int_equal(rsp_tlv_begin(&e1, 0xE1, &m), RSP_OK);
    assert_int_equal(rsp_tlv_put(&e1, 0x4C, eid.data, eid.len), RSP_OK);
    assert_int_equal(rsp_tlv_put_u8(&e1, 0x4D, type), RSP_OK);
    assert_int_equal(rsp_tlv_put(&e1, 0x4E, sq, 2), RSP_OK);
    assert_int_equal(rsp_tlv_put(&e1, 0x4F, aid.data, aid.len), RSP_OK);
    assert_int_equal(rsp_tlv_end(&e1, m), RSP_OK);
    rsp_scp80_hdr h = {.spi = {0x16, 0x00}, .kic = 0x12, .kid = 0x12, .tar = {0, 0, 1}};
    uint64_t c = ++x->mo_cntr;
    for (int i = 4; i >= 0; i--, c >>= 8)
        h.cntr[i] = (uint8_t)c;
    rsp_scp80_keys k = card_keys(x);
    uint8_t out[300];
    size_t n = 0;
    assert_int_equal(rsp_scp80_cmd_build(&k, &h, e1.data, e1.len, out, sizeof(out), &n, NULL), RSP_OK);
    rsp_buf_reset(pkt);
    assert_int_equal(rsp_buf_append(pkt, out, n), RSP_OK);
    rsp_buf_free(&e1);
    rsp_buf_free(&eid);
    rsp_buf_free(&aid);
}

/* The card receives the confirmation: it must carry 3A08 with the sequence number. */
static void check_confirm(fx *x, const rsp_smsr_packet *p, uint16_t seq)
{
    char want[64];
    snprintf(want, sizeof(want), "80E28900073A08044E02%04X", seq);
    rsp_buf por = RSP_BUF_INIT;
    card_answer(x, p, want, 0x9000, &por);
    rsp_buf_free(&por);
}

static void submit(fx *x, rsp_smsr_fn fn, rsp_smsr_role role, const char *who, const char *fcid, const char *iccid,
                   int64_t now, rsp_smsr_result *r)
{
    rsp_smsr_request q = {fn, role, who, fcid, EID, iccid, now, 3600};
    assert_int_equal(rsp_smsr_submit(x->e, &q, r), RSP_OK);
}

static rsp_store_profile_state pstate(fx *x, const char *iccid)
{
    rsp_store_profile p;
    assert_int_equal(rsp_store_profile_get(x->st, iccid, &p), RSP_OK);
    return p.state;
}

#include "test_smsr_engine_cases.inc"
