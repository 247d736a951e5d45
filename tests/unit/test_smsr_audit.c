/* AuditEIS refreshes the EIS: the GET STATUS parser on exact bytes (the card's answer as
 * docs/modules/euicc.md gives it) and on malformed input, the GET DATA FF21 parser on SGP02.md's
 * layout and on malformed input, the audit script's bytes, the whole operation through the engine
 * (the script out, the card's answer in a PoR, stored states and memory changed and each change in the
 * audit trail), POL2 back in the EIS the SM-SR answers (GetEIS), and that EIS in njiwa's form for a
 * card with an emergency profile, valid against njiwa's ES4 schemas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/es_types.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/smsr.h"
#include "rsp/store.h"
#include "es/es_int.h"
#include "smsr/smsr_audit.h"

#define EID "89049032123451234512345678901235"
#define AID1 "A0000005591010FFFFFFFF8900001000"
#define AID2 "A0000005591010FFFFFFFF8900001100"
#define ICC1 "8988247000000000011"
#define ICC2 "8988247000000000029"
#define T0 1800000000LL

/* Two ISD-Ps as the simulator answers GET STATUS: AID1 disabled (flags 00), AID2 enabled and the
 * fall-back (flags 01), quota 00010000, free 00008000. */
#define E3(aid, lcs, flags) "E3" "25" "4F10" aid "9F7001" lcs "5301" flags "8F0400010000" "910400008000"
static const char SWAPPED[] = E3(AID1, "1F", "00") E3(AID2, "3F", "01");
/* then the device: AID1 becomes the emergency profile (flags 02) */
static const char EMERG[] = E3(AID1, "1F", "02") E3(AID2, "3F", "01");

static void test_parse_exact(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    tu_hex(SWAPPED, &b);
    rsp_smsr_isdp_status s[4];
    size_t n = 0;
    assert_int_equal(rsp_smsr_status_parse(b.data, b.len, s, 4, &n, NULL), RSP_OK);
    assert_int_equal(n, 2);
    tu_assert_hex(s[0].aid, s[0].aid_len, AID1);
    assert_int_equal(s[0].lcs, 0x1F);
    assert_true(s[0].has_flags && s[0].has_quota && s[0].has_free);
    assert_int_equal(s[0].flags, 0);
    assert_int_equal(s[0].quota, 0x10000);
    assert_int_equal(s[0].free_mem, 0x8000);
    tu_assert_hex(s[1].aid, s[1].aid_len, AID2);
    assert_int_equal(s[1].lcs, 0x3F);
    assert_int_equal(s[1].flags, 1);
    /* the minimum: 4F and 9F70; unknown tags inside E3 skipped */
    rsp_buf_free(&b);
    tu_hex("E30D" "4F05A000000559" "9F700107" "C500", &b);
    assert_int_equal(rsp_smsr_status_parse(b.data, b.len, s, 4, &n, NULL), RSP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].aid_len, 5);
    assert_false(s[0].has_flags || s[0].has_quota || s[0].has_free);
    /* more than cap */
    rsp_buf_free(&b);
    tu_hex(SWAPPED, &b);
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smsr_status_parse(b.data, b.len, s, 1, &n, &d), RSP_ERR_LENGTH);
    assert_true(d.has_offset && d.offset == 0x27);
    rsp_buf_free(&b);
}

static void test_parse_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                             /* no data */
        "E203" "9F7001",                                /* not E3 */
        "E306" "4F0412345678" "",                       /* AID too short (4) */
        "E307" "4F05A000000559",                        /* no 9F70 */
        "E304" "9F70013F",                              /* no 4F */
        "E30C" "4F05A000000559" "9F70023F00",           /* LCS of 2 bytes: lengths disagree too */
        "E30B" "4F05A000000559" "9F7002013F",           /* LCS of 2 bytes */
        "E30F" "4F05A000000559" "9F70013F" "53010153",  /* 53 twice, the second truncated */
        "E312" "4F05A000000559" "9F70013F" "5301015301",/* 53 twice */
        "E30D" "4F05A000000559" "9F70013F" "8F0100",    /* quota of 1 byte */
        "E30C" "4F05A000000559" "9F70013F",             /* E3 longer than its content: truncated */
        "E381",                                         /* truncated length */
        "E3820005" "4F05A000000559",                    /* non-minimal length (DER) */
        "E311" "4F11A0000005591010FFFFFFFF890000100000" "9F70013F", /* AID of 17 bytes */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rsp_buf b = RSP_BUF_INIT;
        tu_hex(bad[i], &b);
        rsp_smsr_isdp_status s[2];
        size_t n = 9;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_smsr_status_parse(b.data, b.len, s, 2, &n, &d);
        if (e == RSP_OK)
            fail_msg("case %zu accepted: %s", i, bad[i]);
        assert_true(e == RSP_ERR_FORMAT || e == RSP_ERR_LENGTH || e == RSP_ERR_TRUNCATED);
        assert_true(d.msg[0] != 0);
        rsp_buf_free(&b);
    }
    size_t n;
    rsp_smsr_isdp_status s;
    assert_int_equal(rsp_smsr_status_parse(NULL, 0, &s, 1, &n, NULL), RSP_ERR_FORMAT);
    assert_int_equal(rsp_smsr_status_parse(NULL, 3, &s, 1, &n, NULL), RSP_ERR_INVAL);
}

/* FF21 as our card answers it (lib/euicc/isdr.c: 81 01 apps, 82 04 free, 83 02 1000) and as
 * SGP02.md allows it ("integers of any length": 3 bytes, leading zeros, an unknown tag). */
static void test_resources_exact(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    smsr_resources r;
    tu_hex("FF210D" "810102" "820400012345" "83021000", &b);
    assert_int_equal(smsr_resources_parse(b.data, b.len, &r, NULL), RSP_OK);
    assert_int_equal(r.apps, 2);
    assert_true(r.has_free_nvm);
    assert_int_equal(r.free_nvm, 0x12345);
    assert_int_equal(r.free_volatile, 0x1000);
    rsp_buf_free(&b);
    tu_hex("FF2113" "82030F4240" "8409000000000000000005" "8101FF", &b);
    assert_int_equal(smsr_resources_parse(b.data, b.len, &r, NULL), RSP_OK);
    assert_int_equal(r.free_nvm, 1000000);
    assert_int_equal(r.apps, 255);
    assert_int_equal(r.free_volatile, 0);
    rsp_buf_free(&b);
    tu_hex("FF210B" "8209007FFFFFFFFFFFFFFF", &b); /* 9 bytes, the largest value */
    assert_int_equal(smsr_resources_parse(b.data, b.len, &r, NULL), RSP_OK);
    assert_int_equal(r.free_nvm, INT64_MAX);
    rsp_buf_free(&b);
}

static void test_resources_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                     /* no data */
        "FF2200",                               /* another tag */
        "E30A" "4F05A000000559" "9F70013F",     /* a GET STATUS answer */
        "FF2103" "810102",                      /* no 82 */
        "FF2106" "820101" "820102",             /* 82 twice */
        "FF2102" "8200",                        /* 82 empty */
        "FF210A" "82088000000000000000",        /* 2^63: too large */
        "FF210B" "8209010000000000000000",      /* 2^64 */
        "FF2104" "820400",                      /* 82 longer than FF21 */
        "FF2105" "82020001",                    /* FF21 longer than its content */
        "FF2103" "820101" "00",                 /* a byte after FF21 */
        "FF21",                                 /* no length */
        "FF218103" "820101",                    /* non-minimal length (DER) */
        "FF2103" "820101" "FF2103820101",       /* FF21 twice */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rsp_buf b = RSP_BUF_INIT;
        tu_hex(bad[i], &b);
        smsr_resources r;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = smsr_resources_parse(b.data, b.len, &r, &d);
        if (e == RSP_OK)
            fail_msg("case %zu accepted: %s", i, bad[i]);
        if (!(e == RSP_ERR_FORMAT || e == RSP_ERR_LENGTH || e == RSP_ERR_TRUNCATED) || !d.msg[0])
            fail_msg("case %zu: %s '%s'", i, rsp_err_name(e), d.msg);
        rsp_buf_free(&b);
    }
    smsr_resources r;
    assert_int_equal(smsr_resources_parse(NULL, 3, &r, NULL), RSP_ERR_INVAL);
    assert_int_equal(smsr_resources_parse((const uint8_t *)"", 0, NULL, NULL), RSP_ERR_INVAL);
}

/* The script: GET STATUS (every ISD-P: 4F 00, or one) then GET DATA FF21, expanded definite form. */
static void test_audit_script(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT, aid = RSP_BUF_INIT;
    assert_int_equal(smsr_audit_script(NULL, 0, &b), RSP_OK);
    tu_assert_hex(b.data, b.len, "AA15" "220C" "80F2400207" "4F00" "5C034F9F70" "2205" "80CAFF2100");
    rsp_buf_reset(&b);
    tu_hex(AID1, &aid);
    assert_int_equal(smsr_audit_script(aid.data, aid.len, &b), RSP_OK);
    tu_assert_hex(b.data, b.len, "AA25" "221C" "80F2400217" "4F10" AID1 "5C034F9F70" "2205" "80CAFF2100");
    assert_int_equal(smsr_audit_script(aid.data, 4, &b), RSP_ERR_INVAL);
    /* and it reads back as two commands */
    rsp_buf_reset(&b);
    assert_int_equal(smsr_audit_script(NULL, 0, &b), RSP_OK);
    rsp_rapdu_script s;
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, b.data, b.len, &s, NULL), RSP_OK);
    assert_int_equal(s.n, 2);
    rsp_buf_free(&b);
    rsp_buf_free(&aid);
}

typedef struct fx {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
    uint8_t keys[32];
} fx;

static void put_profile(fx *x, const char *iccid, const char *aid, rsp_store_profile_state st, bool fb, uint32_t pol2)
{
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), "%s", iccid);
    snprintf(p.eid, sizeof(p.eid), EID);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), "%s", aid);
    snprintf(p.mno_id, sizeof(p.mno_id), "op1");
    snprintf(p.smdp_id, sizeof(p.smdp_id), "dp1");
    snprintf(p.profile_type, sizeof(p.profile_type), "m2m");
    snprintf(p.msisdn, sizeof(p.msisdn), "44770090010%c", iccid[18]);
    p.state = st;
    p.fallback = fb;
    p.pol2 = pol2;
    assert_int_equal(rsp_store_profile_put(x->st, &p), RSP_OK);
}

static void fx_setup(fx *x)
{
    memset(x, 0, sizeof(*x));
    snprintf(x->dir, sizeof(x->dir), "/tmp/smsr-aud-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->uri, sizeof(x->uri), "sqlite:%s/s.db", x->dir);
    assert_int_equal(rsp_store_open(x->uri, NULL, &x->st), RSP_OK);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    assert_int_equal(rsp_smsr_new(x->st, &cfg, &x->e), RSP_OK);
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), EID);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    snprintf(eis.smsr_id, sizeof(eis.smsr_id), "sr1");
    assert_int_equal(rsp_store_eis_put(x->st, &eis), RSP_OK);
    put_profile(x, ICC1, AID1, RSP_STORE_PROFILE_ENABLED, false, 0);
    put_profile(x, ICC2, AID2, RSP_STORE_PROFILE_DISABLED, false, 0);
    for (int i = 0; i < 32; i++)
        x->keys[i] = (uint8_t)(0x13 * i + 7);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), EID);
    ks.kvn = 1;
    assert_int_equal(rsp_buf_set(&ks.keys, x->keys, 32), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(x->st, &ks), RSP_OK);
    rsp_buf_free(&ks.keys);
}

static void fx_teardown(fx *x)
{
    rsp_smsr_free(x->e);
    rsp_store_close(x->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
    assert_int_equal(system(cmd), 0);
}

#define CARD_FF21 "FF210D" "810102" "820400012345" "83021000" /* as lib/euicc/isdr.c answers */

/* The card: opens the packet, checks the script (GET STATUS of every ISD-P, GET DATA FF21: the
 * bytes SGP02.md gives, not our builder's), answers data || 9000 and CARD_FF21 || 9000 in a PoR.
 * Returns the number of commands. */
static size_t card_answer(fx *x, const rsp_smsr_packet *p, const char *data_hex, rsp_buf *por)
{
    assert_int_equal(p->n, 1);
    const rsp_buf *ud = &p->parts[0];
    rsp_scp80_keys k = {x->keys, 16, x->keys + 16, 16};
    uint8_t work[300];
    rsp_scp80_cmd c;
    assert_int_equal(rsp_scp80_cmd_open(&k, ud->data + 3, ud->len - 3, work, sizeof(work), &c, NULL), RSP_OK);
    rsp_rapdu_script s;
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, c.data, c.data_len, &s, NULL), RSP_OK);
    assert_int_equal(s.n, 2);
    tu_assert_hex(s.cmds[0].p, s.cmds[0].len, "80F2400207" "4F00" "5C034F9F70");
    tu_assert_hex(s.cmds[1].p, s.cmds[1].len, "80CAFF2100");
    rsp_buf r[2] = {RSP_BUF_INIT, RSP_BUF_INIT}, resp = RSP_BUF_INIT;
    tu_hex(data_hex, &r[0]);
    tu_hex(CARD_FF21, &r[1]);
    rsp_bytes rb[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rsp_buf_append(&r[i], (const uint8_t *)"\x90\x00", 2), RSP_OK);
        rb[i] = rsp_buf_view(&r[i]);
    }
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_EXPANDED, (unsigned)s.n, rb, s.n, &resp), RSP_OK);
    uint8_t out[300];
    size_t n = 0;
    assert_int_equal(rsp_scp80_por_build(&k, &c.h, 0, resp.data, resp.len, out, sizeof(out), &n, NULL), RSP_OK);
    rsp_buf_reset(por);
    assert_int_equal(rsp_buf_append(por, out, n), RSP_OK);
    rsp_buf_free(&r[0]);
    rsp_buf_free(&r[1]);
    rsp_buf_free(&resp);
    return s.n;
}

static size_t changes_in_trail(fx *x, char details[8][128])
{
    rsp_store_audit *v = NULL;
    size_t n = 0, k = 0;
    assert_int_equal(rsp_store_audit_list(x->st, EID, 0, 256, &v, &n), RSP_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].event, "smsr.audit.changed") == 0 && k < 8)
            snprintf(details[k++], 128, "%.100s", v[i].detail);
    free(v);
    return k;
}

/* The card's truth differs (the fall-back fired behind the SM-SR's back): AuditEIS of ICC1 sends
 * GET STATUS 80F24002 {4F 00: every ISD-P, 5C 03 4F9F70} and GET DATA FF21; its answer swaps the
 * stored states, moves the fall-back flag, sets the memory figures, records each change; the same
 * answer again changes nothing. */
static void test_audit_refresh(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x);
    rsp_smsr_request q = {RSP_SMSR_FN_AUDIT, RSP_SMSR_ROLE_OPERATOR, "op1", "a1", EID, ICC1, T0, 3600};
    rsp_smsr_result r;
    assert_int_equal(rsp_smsr_submit(x.e, &q, &r), RSP_OK);
    rsp_smsr_packet p;
    assert_int_equal(rsp_smsr_next(x.e, T0, &p), RSP_OK);
    rsp_buf por = RSP_BUF_INIT;
    assert_int_equal(card_answer(&x, &p, SWAPPED, &por), 2);
    assert_int_equal(rsp_smsr_on_por(x.e, EID, por.data, por.len, T0 + 1, NULL), RSP_OK);
    rsp_smsr_packet_clear(&p);
    rsp_smsr_result res;
    assert_int_equal(rsp_smsr_result_get(x.e, r.op_id, &res), RSP_OK);
    assert_int_equal(res.state, RSP_STORE_OP_DONE);
    rsp_store_profile a, b;
    assert_int_equal(rsp_store_profile_get(x.st, ICC1, &a), RSP_OK);
    assert_int_equal(rsp_store_profile_get(x.st, ICC2, &b), RSP_OK);
    assert_int_equal(a.state, RSP_STORE_PROFILE_DISABLED);
    assert_int_equal(b.state, RSP_STORE_PROFILE_ENABLED);
    assert_false(a.fallback);
    assert_true(b.fallback);
    char d[8][128];
    size_t base = changes_in_trail(&x, d);
    assert_int_equal(base, 4);
    assert_string_equal(d[0], ICC1 " state enabled->disabled");
    assert_string_equal(d[1], ICC2 " fallback on");
    assert_string_equal(d[2], ICC2 " state disabled->enabled");
    assert_string_equal(d[3], "memory 0/0->74565"); /* after the profiles' */
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    assert_int_equal(rsp_store_eis_get(x.st, EID, &eis), RSP_OK);
    assert_int_equal(eis.remaining_memory, 0x12345); /* the card's FF21 figure */
    assert_int_equal(eis.available_memory, 0x12345);
    rsp_store_eis_clear(&eis);
    /* the same truth again: nothing to change */
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    snprintf(op.eid, sizeof(op.eid), EID);
    rsp_buf data = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    tu_hex(SWAPPED, &data);
    assert_int_equal(rsp_buf_append(&data, (const uint8_t *)"\x90\x00", 2), RSP_OK);
    rsp_bytes rb = rsp_buf_view(&data);
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_EXPANDED, 1, &rb, 1, &resp), RSP_OK);
    size_t n = 9;
    assert_int_equal(smsr_audit_refresh(x.e, &op, resp.data, resp.len, T0 + 2, &n, NULL), RSP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(changes_in_trail(&x, d), base);
    /* the emergency flag (53 bit 02) follows the card too */
    rsp_buf_reset(&data);
    rsp_buf_reset(&resp);
    tu_hex(EMERG, &data);
    assert_int_equal(rsp_buf_append(&data, (const uint8_t *)"\x90\x00", 2), RSP_OK);
    rb = rsp_buf_view(&data);
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_EXPANDED, 1, &rb, 1, &resp), RSP_OK);
    assert_int_equal(smsr_audit_refresh(x.e, &op, resp.data, resp.len, T0 + 2, &n, NULL), RSP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(rsp_store_profile_get(x.st, ICC1, &a), RSP_OK);
    assert_true(a.emergency);
    assert_int_equal(changes_in_trail(&x, d), base + 1);
    assert_string_equal(d[base], ICC1 " emergency on");
    /* unreadable: nothing changed, the trail says so, the operation still settles */
    rsp_buf_reset(&resp);
    rb = (rsp_bytes){(const uint8_t *)"\xE3\x01\x00\x90\x00", 5};
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_EXPANDED, 1, &rb, 1, &resp), RSP_OK);
    rsp_diag dg;
    rsp_diag_clear(&dg);
    assert_int_equal(smsr_audit_refresh(x.e, &op, resp.data, resp.len, T0 + 3, &n, &dg), RSP_ERR_FORMAT);
    assert_int_equal(smsr_audit_done(x.e, &op, resp.data, resp.len, T0 + 3), RSP_OK);
    assert_int_equal(rsp_store_profile_get(x.st, ICC2, &b), RSP_OK);
    assert_int_equal(b.state, RSP_STORE_PROFILE_ENABLED);
    rsp_buf_free(&data);
    rsp_buf_free(&resp);
    rsp_buf_free(&por);
    fx_teardown(&x);
}

/* The card's answer of n R-APDUs, each hex data || 9000, in the expanded format. */
static void answer_of(const char *const *hex, size_t n, rsp_buf *resp)
{
    rsp_buf r[3] = {RSP_BUF_INIT, RSP_BUF_INIT, RSP_BUF_INIT};
    rsp_bytes rb[3];
    assert_true(n <= 3);
    for (size_t i = 0; i < n; i++) {
        tu_hex(hex[i], &r[i]);
        assert_int_equal(rsp_buf_append(&r[i], (const uint8_t *)"\x90\x00", 2), RSP_OK);
        rb[i] = rsp_buf_view(&r[i]);
    }
    rsp_buf_reset(resp);
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_EXPANDED, (unsigned)n, rb, n, resp), RSP_OK);
    for (size_t i = 0; i < n; i++)
        rsp_buf_free(&r[i]);
}

static void eis_memory(fx *x, int64_t *rem, int64_t *avail, int64_t *last)
{
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    assert_int_equal(rsp_store_eis_get(x->st, EID, &eis), RSP_OK);
    *rem = eis.remaining_memory;
    *avail = eis.available_memory;
    *last = eis.last_audit;
    rsp_store_eis_clear(&eis);
}

/* GET DATA FF21 in the answer (SGP02.md's layout, a 3-byte 82) refreshes RemainingMemory and
 * AvailableMemoryForProfiles, once per change and in either order; the profiles stay; an answer with
 * FF21 twice, FF21 without 82, or no GET STATUS changes nothing at all. */
static void test_audit_memory(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x);
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    snprintf(op.eid, sizeof(op.eid), EID);
    op.id = 7;
    static const char same[] = E3(AID1, "3F", "00") E3(AID2, "1F", "00"); /* what the store says */
    rsp_buf resp = RSP_BUF_INIT;
    size_t n = 9;
    int64_t rem, avail, last;
    answer_of((const char *const[]){same, "FF2108" "810102" "82030F4240"}, 2, &resp);
    assert_int_equal(smsr_audit_refresh(x.e, &op, resp.data, resp.len, T0, &n, NULL), RSP_OK);
    assert_int_equal(n, 1);
    eis_memory(&x, &rem, &avail, &last);
    assert_int_equal(rem, 1000000);
    assert_int_equal(avail, 1000000);
    assert_int_equal(last, T0);
    char d[8][128];
    assert_int_equal(changes_in_trail(&x, d), 1);
    assert_string_equal(d[0], "memory 0/0->1000000");
    rsp_store_profile *all = NULL;
    size_t np = 0;
    assert_int_equal(rsp_store_profile_list(x.st, EID, &all, &np), RSP_OK);
    assert_int_equal(np, 2); /* the EIS rewritten, its profiles kept */
    free(all);
    /* the same again: no change, only the audit date moves */
    assert_int_equal(smsr_audit_refresh(x.e, &op, resp.data, resp.len, T0 + 1, &n, NULL), RSP_OK);
    assert_int_equal(n, 0);
    eis_memory(&x, &rem, &avail, &last);
    assert_int_equal(last, T0 + 1);
    assert_int_equal(changes_in_trail(&x, d), 1);
    /* FF21 first */
    answer_of((const char *const[]){"FF2104" "82020384", same}, 2, &resp);
    assert_int_equal(smsr_audit_refresh(x.e, &op, resp.data, resp.len, T0 + 2, &n, NULL), RSP_OK);
    assert_int_equal(n, 1);
    eis_memory(&x, &rem, &avail, &last);
    assert_int_equal(rem, 900);
    /* unreadable answers: nothing changes, not even what the readable part says */
    static const char *const bad[][3] = {
        {SWAPPED, "FF2104" "82020001", "FF2104" "82020001"}, /* FF21 twice */
        {SWAPPED, "FF2103" "810101", NULL},                 /* FF21 without 82 */
        {"FF2104" "82020001", NULL, NULL},                  /* no GET STATUS */
        {SWAPPED, SWAPPED, NULL},                           /* GET STATUS twice */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t k = 0;
        while (k < 3 && bad[i][k])
            k++;
        answer_of(bad[i], k, &resp);
        rsp_diag dg;
        rsp_diag_clear(&dg);
        if (smsr_audit_refresh(x.e, &op, resp.data, resp.len, T0 + 3, &n, &dg) != RSP_ERR_FORMAT || !dg.msg[0])
            fail_msg("bad answer %zu read: '%s'", i, dg.msg);
        assert_int_equal(n, 0);
    }
    eis_memory(&x, &rem, &avail, &last);
    assert_int_equal(rem, 900);
    assert_int_equal(last, T0 + 2);
    rsp_store_profile a;
    assert_int_equal(rsp_store_profile_get(x.st, ICC1, &a), RSP_OK);
    assert_int_equal(a.state, RSP_STORE_PROFILE_ENABLED);
    assert_int_equal(changes_in_trail(&x, d), 2);
    rsp_buf_free(&resp);
    fx_teardown(&x);
}

/* POL2 kept by the store comes back in the EIS as the es layer's rules (GetEIS after
 * UpdatePolicyRules shows them); a profile without POL2 has no Pol2 element. */
static void test_pol2_in_eis(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x);
    put_profile(&x, ICC2, AID2, RSP_STORE_PROFILE_DISABLED, false,
                RSP_STORE_POL2_DELETE_NOT_ALLOWED | RSP_STORE_POL2_DISABLE_AUTO_DELETE);
    rsp_store_eis s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(rsp_store_eis_get(x.st, EID, &s), RSP_OK);
    rsp_es_eis *eis = NULL;
    assert_int_equal(smsr_es3_eis(x.e, &s, "dp1", &eis), RSP_OK);
    assert_int_equal(eis->profiles.n, 2);
    const rsp_es_profile_info *pi = eis->profiles.v;
    assert_null(pi[0].pol2);
    assert_non_null(pi[1].pol2);
    const rsp_es_pol2_rule *rule = pi[1].pol2->rules.v;
    assert_int_equal(pi[1].pol2->rules.n, 2);
    assert_int_equal(rule[0].subject, RSP_ES_POL2_SUBJECT_PROFILE);
    assert_int_equal(rule[0].action, RSP_ES_POL2_DELETE);
    assert_int_equal(rule[0].qualification, RSP_ES_POL2_NOT_ALLOWED);
    assert_int_equal(rule[1].action, RSP_ES_POL2_DISABLE);
    assert_int_equal(rule[1].qualification, RSP_ES_POL2_AUTO_DELETE);
    /* and back: the store's bits again */
    assert_int_equal(smsr_pol2_of(pi[1].pol2), RSP_STORE_POL2_DELETE_NOT_ALLOWED | RSP_STORE_POL2_DISABLE_AUTO_DELETE);
    rsp_es_body_free(&rsp_es_d_eis, eis);
    rsp_store_eis_clear(&s);
    fx_teardown(&x);
}

/* The EIS the SM-SR answers GetEIS/AuditEIS with (es3_eis.c's builder, from the store), for a card
 * with an emergency profile, in njiwa's form: it encodes (the emergency attribute dropped: njiwa's
 * profileInfo has none) and validates against njiwa's ES4 WSDL schemas (tests/es/wsdl_gen.py builds
 * them and a sample GetEIS answer whose Eis is replaced by ours). */
static void test_eis_njiwa(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x);
    assert_int_equal(rsp_store_profile_set_emergency(x.st, EID, ICC2, true), RSP_OK);
    rsp_store_eis s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(rsp_store_eis_get(x.st, EID, &s), RSP_OK);
    rsp_es_eis *eis = NULL;
    assert_int_equal(smsr_es3_eis(x.e, &s, "dp1", &eis), RSP_OK);
    const rsp_es_profile_info *pi = eis->profiles.v;
    assert_true(pi[1].has_emergency_profile_attribute && pi[1].emergency_profile_attribute);
    char cmd[1024], wsdl[512], path[200], *out = NULL;
    tu_shared_path("interop/njiwa-wsdl", wsdl, sizeof(wsdl));
    snprintf(cmd, sizeof(cmd), "python3 '%s/tests/es/wsdl_gen.py' gen '%s' '%s/nj' >/dev/null", RSP_SOURCE_DIR, wsdl,
             x.dir);
    if (tu_run(cmd, &out) != 0)
        fail_msg("generator: %s", out);
    free(out);
    snprintf(path, sizeof(path), "%s/nj/ES4/GetEIS.res.xml", x.dir);
    rsp_buf b = RSP_BUF_INIT, y = RSP_BUF_INIT;
    tu_read_file(path, &b);
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es_soap_decode(b.data, b.len, "http://gsma.com/ES4/ProfileManagent/ES4-GetEISResponse", NULL, &m, &d))
        fail_msg("%s", d.msg);
    rsp_es_eis_resp *r = m.body;
    rsp_es_body_free(&rsp_es_d_eis, r->eis);
    r->eis = eis;
    if (rsp_es_soap_encode(&m, &y, &d) != RSP_OK)
        fail_msg("the SM-SR's EIS in njiwa's form: %s", d.msg);
    snprintf(path, sizeof(path), "%s/nj/ES4/GetEIS.smsr.xml", x.dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(y.data, 1, y.len, f), y.len);
    fclose(f);
    assert_int_equal(rsp_buf_append(&y, (const uint8_t *)"", 1), RSP_OK);
    assert_null(strstr((const char *)y.data, "Emergency"));
    assert_non_null(strstr((const char *)y.data, "<Iccid>" ICC2 "</Iccid>"));
    snprintf(cmd, sizeof(cmd), "xmllint --noout --schema '%s/nj/ES4/main.xsd' '%s' 2>&1", x.dir, path);
    if (tu_run(cmd, &out) != 0)
        fail_msg("not valid against njiwa's ES4 schema:\n%s", out);
    free(out);
    rsp_es_msg_free(&m);
    rsp_buf_free(&b);
    rsp_buf_free(&y);
    rsp_store_eis_clear(&s);
    fx_teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_exact),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_resources_exact),
        cmocka_unit_test(test_resources_malformed),
        cmocka_unit_test(test_audit_script),
        cmocka_unit_test(test_audit_refresh),
        cmocka_unit_test(test_audit_memory),
        cmocka_unit_test(test_pol2_in_eis),
        cmocka_unit_test(test_eis_njiwa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
