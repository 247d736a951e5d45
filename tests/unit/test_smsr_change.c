/* The SM-SR change's pieces (lib/smsr/change*.c): the state table and its recovery rule (no row leaves
 * R_KEYS / R_ADDR but forward), the cursor in the audit trail, the ISD-R commands against the spec
 * notes byte for byte (FinaliseISDRhandover's DELETE, the 3A02 CRT with 96 01 00), the sender's 3A02
 * rebuilt from ES7 fields equal to what the receiver signed, both key-establishment roles as the SM-SR
 * change uses them (receipt checked, a tampered one refused, a DP certificate refused by the card), and
 * the ISD-R command as an idempotent engine operation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsp/es_types.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/keyest.h"
#include "rsp/tlv.h"
#include "smsr/smsr_change.h"
#include "testutil.h"

static void test_table(void **state)
{
    (void)state;
    smsr_chg_step to;
    /* the happy paths of both roles */
    static const struct {
        smsr_chg_step from;
        smsr_chg_event ev;
        smsr_chg_step to;
    } path[] = {{CHG_NONE, CHG_EV_CHANGE, CHG_S_REQUESTED},        {CHG_S_REQUESTED, CHG_EV_HANDOVER_OK, CHG_S_DONE},
                {CHG_NONE, CHG_EV_PREPARE, CHG_R_PREPARED},        {CHG_R_PREPARED, CHG_EV_HANDOVER_IN, CHG_R_HANDED},
                {CHG_R_HANDED, CHG_EV_AUTH_OK, CHG_R_AUTH},        {CHG_R_AUTH, CHG_EV_KEYSET_SENT, CHG_R_KEYSET},
                {CHG_R_KEYSET, CHG_EV_RECEIPT_OK, CHG_R_KEYS},     {CHG_R_KEYS, CHG_EV_ADDR_OK, CHG_R_ADDR},
                {CHG_R_ADDR, CHG_EV_DELETE_OK, CHG_R_DONE},        {CHG_R_KEYSET, CHG_EV_RECEIPT_BAD, CHG_R_FAILED},
                {CHG_R_KEYSET, CHG_EV_CARD_RETRY, CHG_R_HANDED},   {CHG_S_REQUESTED, CHG_EV_HANDOVER_NO, CHG_S_FAILED},
                {CHG_R_DONE, CHG_EV_CHANGE, CHG_S_REQUESTED},      {CHG_S_DONE, CHG_EV_PREPARE, CHG_R_PREPARED}};
    for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
        assert_int_equal(smsr_chg_next(path[i].from, path[i].ev, &to), RSP_OK);
        assert_int_equal(to, path[i].to);
    }
    /* "never neither": once our keys may be on the card, no event leads back or to a failure */
    for (int ev = 0; ev < CHG_EV__COUNT; ev++) {
        smsr_chg_step from[2] = {CHG_R_KEYS, CHG_R_ADDR};
        for (int k = 0; k < 2; k++)
            if (smsr_chg_next(from[k], (smsr_chg_event)ev, &to) == RSP_OK)
                assert_true(to == from[k] || to == CHG_R_ADDR || to == CHG_R_DONE);
    }
    /* "never both": the sender gives the card up only on the receiver's success */
    for (int ev = 0; ev < CHG_EV__COUNT; ev++)
        if (smsr_chg_next(CHG_S_REQUESTED, (smsr_chg_event)ev, &to) == RSP_OK && to == CHG_S_DONE)
            assert_int_equal(ev, CHG_EV_HANDOVER_OK);
    /* refusals: a card under change is not prepared again, a card handed away is not handed again */
    assert_int_equal(smsr_chg_next(CHG_R_HANDED, CHG_EV_PREPARE, &to), RSP_ERR_STATE);
    assert_int_equal(smsr_chg_next(CHG_S_DONE, CHG_EV_CHANGE, &to), RSP_ERR_STATE);
    assert_int_equal(smsr_chg_next(CHG_R_KEYS, CHG_EV_GIVE_UP, &to), RSP_ERR_STATE);
    assert_int_equal(smsr_chg_manager(CHG_R_KEYS), 'B');
    assert_int_equal(smsr_chg_manager(CHG_R_DONE), 'S');
    assert_int_equal(smsr_chg_manager(CHG_S_DONE), '-');
}

static void test_cursor_text(void **state)
{
    (void)state;
    smsr_chg c, back;
    memset(&c, 0, sizeof(c));
    memset(&back, 0, sizeof(back));
    c.step = CHG_R_KEYSET;
    snprintf(c.peer, sizeof(c.peer), "SMSR-1");
    snprintf(c.by, sizeof(c.by), "MNO1");
    c.attempt = 2;
    c.old80 = 1;
    c.old81 = 0x40;
    c.has_rc = true;
    for (int i = 0; i < 16; i++)
        c.rc[i] = (uint8_t)(0xA0 + i);
    snprintf(c.why, sizeof(c.why), "a reason; with = signs");
    char d[512];
    assert_int_equal(smsr_chg_encode(&c, d, sizeof(d)), RSP_OK);
    assert_int_equal(smsr_chg_decode(d, &back), RSP_OK);
    assert_int_equal(back.step, CHG_R_KEYSET);
    assert_string_equal(back.peer, "SMSR-1");
    assert_string_equal(back.by, "MNO1");
    assert_string_equal(back.fcid, "");
    assert_int_equal(back.attempt, 2);
    assert_int_equal(back.old81, 0x40);
    assert_true(back.has_rc);
    assert_memory_equal(back.rc, c.rc, 16);
    assert_string_equal(back.why, "a reason; with = signs");
    /* separators in an identity are refused, never cut; damaged text is refused */
    snprintf(c.by, sizeof(c.by), "MNO;1");
    assert_int_equal(smsr_chg_encode(&c, d, sizeof(d)), RSP_ERR_FORMAT);
    assert_int_equal(smsr_chg_decode("step=99;peer=a;by=b;fcid=-;att=0;sub=0;o80=01;o81=00;rc=;why=", &back),
                     RSP_ERR_FORMAT);
    assert_int_equal(smsr_chg_decode("step=5;peer=a", &back), RSP_ERR_FORMAT);
    assert_int_equal(smsr_chg_decode("step=5;peer=a;by=b;fcid=-;att=0;sub=0;o80=01;o81=00;rc=ABC;why=", &back),
                     RSP_ERR_FORMAT);
}

/* SGP02.md "SM-SR change and master delete": FinaliseISDRhandover `80E40000 Lc {F2 03 <KVN> <first key id>
 * <last key id>}*` deleting the old SM-SR's SCP80 (e.g. KVN 01, keys 1-3) and SCP81 (e.g. KVN 41, keys 1-2). */
static void test_spec_delete_bytes(void **state)
{
    (void)state;
    rsp_buf a = RSP_BUF_INIT;
    assert_int_equal(smsr_chg_delete_apdu(0x01, 0x41, &a), RSP_OK);
    tu_assert_hex(a.data, a.len, "80E400000AF2030101 03F203410102");
    rsp_buf_reset(&a);
    assert_int_equal(smsr_chg_delete_apdu(0x02, 0, &a), RSP_OK);
    tu_assert_hex(a.data, a.len, "80E4000005F2030201 03");
    assert_int_equal(smsr_chg_delete_apdu(0, 0x40, &a), RSP_ERR_INVAL);
    /* 3A07 A3 {81 L TOA BCD}: +33689924111 as SGP02.md writes SMS addresses (nibble-swapped, F-padded) */
    rsp_buf_reset(&a);
    assert_int_equal(smsr_chg_addr_apdu("33689924111", &a), RSP_OK);
    tu_assert_hex(a.data, a.len, "80E288000E 3A070B A309 8107 91 3386994211F1");
    rsp_buf_free(&a);
}

typedef struct pki {
    rsp_eckey *ci, *sr, *ecasd;
    rsp_buf cert, dp_cert;
} pki;

static void pki_make(pki *k)
{
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &k->ci), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &k->sr), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &k->ecasd), RSP_OK);
    static const uint8_t serial[2] = {0x01, 0x02};
    rsp_gpcert_template t = {serial, 2, "CI", "SMSR-2", 0x82, NULL, "20451231", RSP_GPCERT_ROLE_SMSR, NULL, 0};
    rsp_buf_init(&k->cert);
    rsp_buf_init(&k->dp_cert);
    assert_int_equal(rsp_gpcert_issue(&t, k->sr, k->ci, &k->cert), RSP_OK);
    t.role = RSP_GPCERT_ROLE_SMDP;
    t.subject = "DP1";
    assert_int_equal(rsp_gpcert_issue(&t, k->sr, k->ci, &k->dp_cert), RSP_OK);
}

static void pki_free(pki *k)
{
    rsp_ec_free(k->ci);
    rsp_ec_free(k->sr);
    rsp_ec_free(k->ecasd);
    rsp_buf_free(&k->cert);
    rsp_buf_free(&k->dp_cert);
}

/* The receiver builds and signs 3A02; the sender rebuilds it from the ES7 fields; the card (ISD-R role:
 * only an SM-SR certificate) answers; the receiver checks the receipt and gets the card's keys. */
static void test_keyest_roles(void **state)
{
    (void)state;
    pki k;
    pki_make(&k);
    rsp_keyest_card card;
    rsp_keyest_card_init(&card, k.ci, k.ecasd, RSP_GPCERT_ROLE_SMSR);
    rsp_buf c1 = RSP_BUF_INIT, resp = RSP_BUF_INIT, a2 = RSP_BUF_INIT, again = RSP_BUF_INIT;
    rsp_scp03_keys ck, hk;
    memset(&ck, 0, sizeof(ck));
    memset(&hk, 0, sizeof(hk));
    /* a DP certificate at the ISD-R: refused (the role check) */
    assert_int_equal(rsp_keyest_host_cert_apdu(k.dp_cert.data, k.dp_cert.len, &c1), RSP_OK);
    assert_int_not_equal(rsp_keyest_card_store_data(&card, c1.data, c1.len, &resp, &ck, NULL), RSP_OK);
    rsp_keyest_card_close(&card);
    rsp_keyest_card_init(&card, k.ci, k.ecasd, RSP_GPCERT_ROLE_SMSR);
    rsp_buf_reset(&c1);
    rsp_buf_reset(&resp);
    assert_int_equal(rsp_keyest_host_cert_apdu(k.cert.data, k.cert.len, &c1), RSP_OK);
    assert_int_equal(rsp_keyest_card_store_data(&card, c1.data, c1.len, &resp, &ck, NULL), RSP_OK);
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    assert_int_equal(rsp_keyest_host_challenge(&h, resp.data, resp.len, NULL), RSP_OK);
    rsp_keyest_params p;
    memset(&p, 0, sizeof(p));
    p.kvn = 2;
    p.smsr = true;
    assert_int_equal(rsp_keyest_host_keyagree_apdu(&h, &p, k.sr, RSP_CURVE_P256, &a2), RSP_OK);
    /* SGP02.md: A6{90 02 03 <scenario>, 95 01 10, 96 01 00, 80 01 88, 81 01 10, 82 01 01, 83 01 KVN, 91 ..} */
    tu_assert_hex(a2.data, 34, "80E28901 A4 3A021A A618 900203 09 950110 960100 800188 810110 820101 830102 9100");
    rsp_es_key_req q;
    memset(&q, 0, sizeof(q));
    assert_int_equal(smsr_chg_keyset_fields(a2.data, a2.len, &q), RSP_OK);
    assert_int_equal(q.key_version_number, 2);
    assert_int_equal(smsr_chg_keyset_apdu(&q, &again), RSP_OK);
    assert_int_equal(again.len, a2.len);
    assert_memory_equal(again.data, a2.data, a2.len);
    /* fields the sender does not relay are refused, not rebuilt differently from what was signed */
    q.key_version_number = 0x10;
    rsp_buf_reset(&again);
    assert_int_equal(smsr_chg_keyset_apdu(&q, &again), RSP_ERR_FORMAT);
    q.key_version_number = 2;
    q.scenario_parameter.data[0] = 0x00; /* lib/card's builder would emit its default (09) instead */
    assert_int_equal(smsr_chg_keyset_apdu(&q, &again), RSP_ERR_FORMAT);
    q.scenario_parameter.data[0] = 0x09;
    /* the receiver never relays a CRT the sender would not rebuild byte for byte (lib/card's parser, then
     * its builder): scenario options 00; 96 01 01; 96 and 80 swapped (the card accepts any order) */
    rsp_es_key_req q2;
    for (int i = 0; i < 3; i++) {
        rsp_buf m = RSP_BUF_INIT;
        assert_int_equal(rsp_buf_set(&m, a2.data, a2.len), RSP_OK);
        static const uint8_t swapped[6] = {0x80, 0x01, 0x88, 0x96, 0x01, 0x00};
        if (i == 0)
            m.data[13] = 0x00;
        else if (i == 1)
            m.data[19] = 0x01;
        else
            memcpy(m.data + 17, swapped, 6);
        memset(&q2, 0, sizeof(q2));
        assert_int_equal(smsr_chg_keyset_fields(m.data, m.len, &q2), RSP_ERR_FORMAT);
        rsp_buf_free(&q2.scenario_parameter);
        rsp_buf_free(&q2.ephemeral_public_key);
        rsp_buf_free(&q2.signature);
        rsp_buf_free(&m);
    }
    rsp_buf_reset(&resp);
    assert_int_equal(rsp_keyest_card_store_data(&card, a2.data, a2.len, &resp, &ck, NULL), RSP_OK);
    /* a receipt with one bit changed does not verify */
    rsp_buf bad = RSP_BUF_INIT;
    assert_int_equal(rsp_buf_set(&bad, resp.data, resp.len), RSP_OK);
    bad.data[bad.len - 1] ^= 0x01;
    assert_int_equal(rsp_keyest_host_finish(&h, k.ecasd, bad.data, bad.len, &hk, NULL), RSP_ERR_VERIFY);
    assert_int_equal(rsp_keyest_host_finish(&h, k.ecasd, resp.data, resp.len, &hk, NULL), RSP_OK);
    assert_memory_equal(hk.enc, ck.enc, 16);
    assert_memory_equal(hk.mac, ck.mac, 16);
    assert_memory_equal(hk.dek, ck.dek, 16);
    rsp_buf_free(&bad);
    rsp_buf_free(&q.scenario_parameter);
    rsp_buf_free(&q.ephemeral_public_key);
    rsp_buf_free(&q.signature);
    rsp_keyest_host_close(&h);
    rsp_keyest_card_close(&card);
    rsp_buf_free(&c1);
    rsp_buf_free(&resp);
    rsp_buf_free(&a2);
    rsp_buf_free(&again);
    pki_free(&k);
}

/* The ISD-R command as an engine operation: queued once per (requester, FCID), pending until it settles;
 * the cursor is the latest "smsr.change" entry of the card. */
static void test_store(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_smsr_change.XXXXXX", uri[128];
    assert_non_null(mkdtemp(dir));
    snprintf(uri, sizeof(uri), "sqlite:%s/s.db", dir);
    rsp_store *st = NULL;
    rsp_smsr *e = NULL;
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    cfg.worker_id = "w1";
    assert_int_equal(rsp_store_open(uri, NULL, &st), RSP_OK);
    assert_int_equal(rsp_smsr_new(st, &cfg, &e), RSP_OK);
    const char *eid = "89001012012341234012345678901224";
    rsp_buf a = RSP_BUF_INIT, data = RSP_BUF_INIT;
    assert_int_equal(smsr_chg_delete_apdu(1, 0x40, &a), RSP_OK);
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(smsr_chg_isdr_submit(e, eid, "SMSR-2", "f1", &a, 1000, &id1), RSP_OK);
    assert_int_equal(smsr_chg_isdr_submit(e, eid, "SMSR-2", "f1", &a, 1001, &id2), RSP_OK);
    assert_int_equal(id1, id2);
    char msg[96];
    assert_int_equal(smsr_chg_isdr_result(e, id1, &data, msg), 0);
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    assert_int_equal(rsp_store_op_get(st, id1, &op), RSP_OK);
    assert_string_equal(op.function, "ES3.SendData");
    /* the header the engine's SendData rows read, then the C-APDU */
    assert_true(op.script.len > a.len);
    assert_int_equal(op.script.len, 51 + a.len);
    assert_memory_equal(op.script.data, "iccid=0;aid=A0000005591010FFFFFFFF8900000100;t=sms\n", 51);
    assert_memory_equal(op.script.data + 51, a.data, a.len);
    rsp_store_op_clear(&op);
    smsr_chg c;
    assert_int_equal(smsr_chg_get(st, eid, &c), RSP_OK);
    assert_int_equal(c.step, CHG_NONE);
    snprintf(c.peer, sizeof(c.peer), "SMSR-1");
    snprintf(c.by, sizeof(c.by), "MNO1");
    assert_int_equal(smsr_chg_move(st, &c, CHG_EV_PREPARE, "w1", 2000), RSP_OK);
    assert_int_equal(smsr_chg_move(st, &c, CHG_EV_AUTH_OK, "w1", 2001), RSP_ERR_STATE);
    assert_int_equal(smsr_chg_move(st, &c, CHG_EV_HANDOVER_IN, "w1", 2002), RSP_OK);
    smsr_chg back;
    assert_int_equal(smsr_chg_get(st, eid, &back), RSP_OK);
    assert_int_equal(back.step, CHG_R_HANDED);
    assert_string_equal(back.peer, "SMSR-1");
    assert_int_equal(back.ts, 2002);
    rsp_buf_free(&a);
    rsp_buf_free(&data);
    rsp_smsr_free(e);
    rsp_store_close(st);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_cursor_text),
        cmocka_unit_test(test_spec_delete_bytes), cmocka_unit_test(test_keyest_roles),
        cmocka_unit_test(test_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
