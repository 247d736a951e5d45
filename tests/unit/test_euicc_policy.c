/* Card model policy: POL1 refusals (69E1) and "delete when disabled" on confirmation, fall-back on
 * loss of network (notification 05), roll-back of a switch that cannot attach (03), the emergency and
 * test attributes with local (ESx) enable/disable, and "exactly one profile enabled" after every step. */
#include "test_euicc_fixture.h"

#define PROV 0x000010u

static void one_enabled(rsp_euicc *c)
{
    rsp_euicc_info info;
    assert_int_equal(rsp_euicc_info_get(c, &info), RSP_OK);
    int n = 0;
    for (size_t i = 0; i < info.n_profiles; i++)
        n += info.profiles[i].lcs == 0x3F;
    assert_int_equal(n, 1);
}

static uint16_t sd(fx *x, rsp_euicc *c, const char *dgi, uint32_t tar)
{
    char cmd[80];
    fx_sd_aid(dgi, tar, cmd);
    uint16_t sw = fx_sms1(x, c, 1, cmd, NULL);
    one_enabled(c);
    return sw;
}

/* Ticks and confirms every pending notification; returns the type of the last one sent. */
static uint8_t flush_notifs(fx *x, rsp_euicc *c, rsp_buf *last_answer)
{
    uint8_t types[8];
    uint16_t seqs[8];
    x->now += 3600000;
    size_t n = fx_tick(x, c, types, seqs);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fx_confirm(x, c, seqs[i], last_answer), 0x9000);
    return n ? types[n - 1] : 0;
}

static void download(fx *x, rsp_euicc *c, uint32_t tar, uint8_t pol1, const char *iccid18)
{
    rsp_buf pkg = RSP_BUF_INIT;
    char imsi[16];
    snprintf(imsi, sizeof(imsi), "0010100000%05u", tar);
    fx_package("TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der", iccid18, imsi, pol1, &pkg);
    rsp_scp03_keys keys;
    fx_download(x, c, 0, tar, &pkg, &keys);
    assert_int_equal(fx_prof(c, tar).pol1, pol1);
    rsp_buf_free_secret(&pkg);
}

static void test_pol1(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    rsp_buf d = RSP_BUF_INIT;
    flush_notifs(&x, c, &d);
    download(&x, c, 0x20, 0x01, "894450100000002000"); /* disable not allowed */
    download(&x, c, 0x21, 0x02, "894450100000002100"); /* delete not allowed */
    download(&x, c, 0x22, 0x04, "894450100000002200"); /* delete when disabled */

    assert_int_equal(sd(&x, c, "3A03", 0x20), 0x9000);
    assert_int_equal(flush_notifs(&x, c, &d), 0x02);
    assert_int_equal(sd(&x, c, "3A04", 0x20), 0x69E1);
    assert_int_equal(sd(&x, c, "3A03", 0x21), 0x69E1); /* would disable 20 */
    assert_int_equal(fx_prof(c, 0x20).lcs, 0x3F);
    /* Fall-back ignores POL1 "disable not allowed". */
    assert_int_equal(rsp_euicc_net_down(c, x.now, NULL), RSP_OK);
    assert_int_equal(fx_prof(c, PROV).lcs, 0x3F);
    one_enabled(c);
    assert_int_equal(flush_notifs(&x, c, &d), 0x05);
    /* No fall-back from the fall-back profile. */
    assert_int_equal(rsp_euicc_net_down(c, x.now, NULL), RSP_ERR_STATE);

    assert_int_equal(fx_sms1(&x, c, 1, "80E40040124F10A0000005591010FFFFFFFF8900002100", NULL), 0x69E1);
    assert_int_equal(fx_prof(c, 0x21).lcs, 0x1F);

    /* 22: enable, then disable; the confirmation of the 05 deletes it and says so; a repeated
     * confirmation says it again. */
    assert_int_equal(sd(&x, c, "3A03", 0x22), 0x9000);
    assert_int_equal(flush_notifs(&x, c, &d), 0x02);
    tu_assert_hex(d.data, d.len, "8000");
    assert_int_equal(sd(&x, c, "3A04", 0x22), 0x9000);
    uint8_t types[8];
    uint16_t seqs[8];
    assert_int_equal(fx_tick(&x, c, types, seqs), 1);
    assert_int_equal(types[0], 0x05);
    assert_int_equal(fx_prof(c, 0x22).lcs, 0x1F);
    assert_int_equal(fx_confirm(&x, c, seqs[0], &d), 0x9000);
    tu_assert_hex(d.data, d.len, "80124F10A0000005591010FFFFFFFF8900002200");
    assert_int_equal(fx_prof(c, 0x22).lcs, 0);
    assert_int_equal(fx_confirm(&x, c, seqs[0], &d), 0x9000);
    tu_assert_hex(d.data, d.len, "80124F10A0000005591010FFFFFFFF8900002200");
    rsp_buf_free(&d);
    fx_teardown(&x);
}

static void test_fallback_and_rollback(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    rsp_buf d = RSP_BUF_INIT;
    flush_notifs(&x, c, &d);
    download(&x, c, 0x20, 0, "894450100000003000");
    download(&x, c, 0x21, 0, "894450100000003100");
    /* The fall-back attribute moves; a created-only ISD-P cannot hold it. */
    assert_int_equal(sd(&x, c, "3A05", 0x21), 0x9000);
    assert_true(fx_prof(c, 0x21).fallback);
    assert_false(fx_prof(c, PROV).fallback);
    assert_int_equal(fx_create_isdp(&x, c, 0x22, 0x1000), 0x9000);
    assert_int_equal(sd(&x, c, "3A05", 0x22), 0x6985);
    assert_int_equal(sd(&x, c, "3A05", 0x99), 0x6A88);
    /* Switch to 20; it cannot attach before its 02 is confirmed: roll back to PROV, 03 replaces 02. */
    assert_int_equal(sd(&x, c, "3A03", 0x20), 0x9000);
    assert_int_equal(rsp_euicc_net_down(c, x.now, NULL), RSP_OK);
    assert_int_equal(fx_prof(c, PROV).lcs, 0x3F);
    assert_int_equal(fx_prof(c, 0x20).lcs, 0x1F);
    uint8_t types[8];
    uint16_t seqs[8];
    assert_int_equal(fx_tick(&x, c, types, seqs), 1);
    assert_int_equal(types[0], 0x03);
    assert_int_equal(fx_confirm(&x, c, seqs[0], NULL), 0x9000);
    /* Switch again and confirm: now losing the network means fall-back (to 21), notification 05. */
    assert_int_equal(sd(&x, c, "3A03", 0x20), 0x9000);
    assert_int_equal(flush_notifs(&x, c, &d), 0x02);
    assert_int_equal(rsp_euicc_net_down(c, x.now, NULL), RSP_OK);
    assert_int_equal(fx_prof(c, 0x21).lcs, 0x3F);
    assert_int_equal(flush_notifs(&x, c, &d), 0x05);
    one_enabled(c);
    rsp_buf_free(&d);
    fx_teardown(&x);
}

static uint16_t local_sd(fx *x, rsp_euicc *c, const char *dgi, uint32_t tar)
{
    char cmd[80];
    fx_sd_aid(dgi, tar, cmd);
    uint16_t sw = fx_apdu(x, c, cmd, NULL);
    one_enabled(c);
    return sw;
}

static void test_emergency_and_test(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    rsp_buf d = RSP_BUF_INIT;
    flush_notifs(&x, c, &d);
    download(&x, c, 0x20, 0x01, "894450100000004000"); /* operational, disable not allowed */
    download(&x, c, 0x21, 0, "894450100000004100");    /* will be the emergency profile */
    download(&x, c, 0x22, 0, "894450100000004200");    /* will be a test profile */
    char aid[33], cmd[120];
    /* 3A06 (ours): the fall-back profile cannot be the emergency profile. */
    fx_isdp_hex(PROV, aid);
    snprintf(cmd, sizeof(cmd), "80E28800183A06154F10%s800101", aid);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x6985);
    fx_isdp_hex(0x21, aid);
    snprintf(cmd, sizeof(cmd), "80E28800183A06154F10%s800101", aid);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x9000);
    assert_true(fx_prof(c, 0x21).emergency);
    assert_int_equal(sd(&x, c, "3A05", 0x21), 0x6985); /* the emergency profile is never the fall-back */
    snprintf(cmd, sizeof(cmd), "80E28800183A06154F10%s800102", aid);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x6A80);
    fx_isdp_hex(0x22, aid);
    snprintf(cmd, sizeof(cmd), "80E28800183A06154F10%s810101", aid);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x9000);
    assert_true(fx_prof(c, 0x22).test);
    /* The device may not set attributes, nor switch to an ordinary profile. */
    assert_int_equal(fx_apdu(&x, c, cmd, NULL), 0x6982);
    assert_int_equal(local_sd(&x, c, "3A03", 0x20), 0x6982);

    assert_int_equal(sd(&x, c, "3A03", 0x20), 0x9000);
    assert_int_equal(flush_notifs(&x, c, &d), 0x02);
    /* The device enables the emergency profile although 20 says "disable not allowed". */
    assert_int_equal(local_sd(&x, c, "3A03", 0x21), 0x9000);
    assert_int_equal(fx_prof(c, 0x21).lcs, 0x3F);
    assert_int_equal(flush_notifs(&x, c, &d), 0x02);
    /* While it is in use: no fall-back, no remote switch, no remote unset. */
    assert_int_equal(rsp_euicc_net_down(c, x.now, NULL), RSP_ERR_STATE);
    assert_int_equal(sd(&x, c, "3A03", PROV), 0x6985);
    fx_isdp_hex(0x21, aid);
    snprintf(cmd, sizeof(cmd), "80E28800183A06154F10%s800100", aid);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x6985);
    /* The device disables it: back to the profile enabled before. */
    assert_int_equal(local_sd(&x, c, "3A04", 0x21), 0x9000);
    assert_int_equal(fx_prof(c, 0x20).lcs, 0x3F);
    /* The test profile: local enable, no fall-back while it is enabled, local disable. */
    assert_int_equal(local_sd(&x, c, "3A03", 0x22), 0x9000);
    assert_int_equal(rsp_euicc_net_down(c, x.now, NULL), RSP_ERR_STATE);
    assert_int_equal(local_sd(&x, c, "3A04", 0x22), 0x9000);
    assert_int_equal(fx_prof(c, 0x20).lcs, 0x3F);
    /* Local refusals for the rest of the ISD-R's commands. */
    assert_int_equal(fx_apdu(&x, c, "80E40040124F10A0000005591010FFFFFFFF8900002200", NULL), 0x6982);
    assert_int_equal(fx_apdu(&x, c, "80E28900073A08044E020001", NULL), 0x6982);
    assert_int_equal(fx_apdu(&x, c, "80F24002024F00", &d), 0x9000);
    rsp_buf_free(&d);
    fx_teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pol1),
        cmocka_unit_test(test_fallback_and_rollback),
        cmocka_unit_test(test_emergency_and_test),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
