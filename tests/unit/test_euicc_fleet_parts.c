/* The fleet daemon's pure parts: control command parsing (valid and malformed), the control socket
 * round trip, deliver_sm -> SMS-DELIVER (checked byte for byte against the real SMS-DELIVER of
 * VECTORS.txt §A1), SMS-SUBMIT -> submit_sm, and the bind address ranges (cover every MSISDN, fit
 * SMPP's 40 characters, as few binds as asked). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "euicc/fleet_int.h"
#include "rsp/sms.h"
#include "testutil.h"

static void test_ctl_parse_ok(void **state)
{
    (void)state;
    const char *eid = "89049032123451234512345678901235";
    char line[200];
    rsp_fleet_ctl_cmd c;
    snprintf(line, sizeof(line), "net-down %s", eid);
    assert_int_equal(rsp_fleet_ctl_parse(line, strlen(line), &c, NULL), RSP_OK);
    assert_int_equal(c.op, RSP_FLEET_CTL_NET_DOWN);
    assert_string_equal(c.eid, eid);
    snprintf(line, sizeof(line), "  offline\t%s 30\r", eid);
    assert_int_equal(rsp_fleet_ctl_parse(line, strlen(line), &c, NULL), RSP_OK);
    assert_int_equal(c.op, RSP_FLEET_CTL_OFFLINE);
    assert_int_equal(c.seconds, 30);
    snprintf(line, sizeof(line), "offline %s", eid);
    assert_int_equal(rsp_fleet_ctl_parse(line, strlen(line), &c, NULL), RSP_OK);
    assert_int_equal(c.seconds, 0);
    assert_int_equal(rsp_fleet_ctl_parse("drop-sms 100", 12, &c, NULL), RSP_OK);
    assert_int_equal(c.op, RSP_FLEET_CTL_DROP_SMS);
    assert_int_equal(c.percent, 100);
    assert_int_equal(rsp_fleet_ctl_parse("status", 6, &c, NULL), RSP_OK);
    assert_int_equal(c.op, RSP_FLEET_CTL_STATUS);
    assert_string_equal(c.eid, "");
    snprintf(line, sizeof(line), "reset %s", eid);
    assert_int_equal(rsp_fleet_ctl_parse(line, strlen(line), &c, NULL), RSP_OK);
    assert_int_equal(c.op, RSP_FLEET_CTL_RESET);
}

static void test_ctl_parse_bad(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        rsp_err want;
    } bad[] = {
        {"", RSP_ERR_FORMAT},
        {"   ", RSP_ERR_FORMAT},
        {"reboot 89049032123451234512345678901235", RSP_ERR_UNSUPPORTED},
        {"net-down", RSP_ERR_FORMAT},
        {"net-down 8904903212345123451234567890123", RSP_ERR_FORMAT},   /* 31 digits */
        {"net-down 8904903212345123451234567890123X", RSP_ERR_FORMAT},  /* a letter */
        {"net-down 89049032123451234512345678901235 x", RSP_ERR_FORMAT}, /* extra word */
        {"drop-sms 101", RSP_ERR_RANGE},
        {"drop-sms -1", RSP_ERR_FORMAT},
        {"drop-sms 99999999999", RSP_ERR_RANGE},
        {"offline 89049032123451234512345678901235 0", RSP_ERR_RANGE},
        {"offline 89049032123451234512345678901235 1e3", RSP_ERR_FORMAT},
        {"status\x01", RSP_ERR_FORMAT},
        {"NET-DOWN 89049032123451234512345678901235", RSP_ERR_UNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rsp_fleet_ctl_cmd c;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_fleet_ctl_parse(bad[i].line, strlen(bad[i].line), &c, &d);
        if (e != bad[i].want)
            fail_msg("'%s': got %s, want %s", bad[i].line, rsp_err_name(e), rsp_err_name(bad[i].want));
        assert_true(d.msg[0] != 0);
    }
    char lng[400];
    memset(lng, 'a', sizeof(lng));
    assert_int_equal(rsp_fleet_ctl_parse(lng, sizeof(lng), &(rsp_fleet_ctl_cmd){0}, NULL), RSP_ERR_LENGTH);
}

static void test_json_escape(void **state)
{
    (void)state;
    char out[64], ans[200];
    rsp_fleet_json_str(out, sizeof(out), "a\"b\\c\n");
    assert_string_equal(out, "a\\\"b\\\\c\\u000a");
    rsp_fleet_json_str(out, 4, "a\"bc"); /* never cuts an escape in half */
    assert_string_equal(out, "a\\\"");
    rsp_fleet_ctl_error(ans, sizeof(ans), RSP_ERR_NOT_FOUND, "no \"card\"");
    assert_string_equal(ans, "{\"ok\":false,\"error\":\"not-found\",\"message\":\"no \\\"card\\\"\"}");
}

/* ---- control socket round trip: the daemon side on a loop, the client in a thread ---- */

typedef struct ctl_case {
    const char *path;
    char answer[RSP_FLEET_CTL_ANSWER_MAX];
    char answer_bad[RSP_FLEET_CTL_ANSWER_MAX];
    rsp_err e, e_bad;
    int done;
    int calls;
    struct event_base *base;
} ctl_case;

static void fake_daemon(void *arg, const rsp_fleet_ctl_cmd *cmd, char *answer, size_t cap)
{
    ctl_case *t = arg;
    t->calls++;
    snprintf(answer, cap, "{\"ok\":true,\"op\":%d,\"eid\":\"%s\"}", (int)cmd->op, cmd->eid);
}

static void *client_thread(void *arg)
{
    ctl_case *t = arg;
    t->e = rsp_fleet_ctl_call(t->path, "reset 89049032123451234512345678901235", 5000, t->answer, sizeof(t->answer));
    t->e_bad = rsp_fleet_ctl_call(t->path, "explode now", 5000, t->answer_bad, sizeof(t->answer_bad));
    __atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void poll_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ctl_case *t = arg;
    if (__atomic_load_n(&t->done, __ATOMIC_SEQ_CST))
        event_base_loopbreak(t->base);
}

static void test_ctl_socket(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/rsp-fleet-ctl-%d.sock", (int)getpid());
    /* A regular file in the way is not ours to delete. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    struct event_base *base = event_base_new();
    rsp_fleet_ctl_server *srv = NULL;
    ctl_case t = {.path = path, .base = base};
    assert_int_equal(rsp_fleet_ctl_listen(base, path, fake_daemon, &t, &srv), RSP_ERR_EXISTS);
    unlink(path);
    assert_int_equal(rsp_fleet_ctl_listen(base, path, fake_daemon, &t, &srv), RSP_OK);
    assert_int_equal(access(path, F_OK), 0);

    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, client_thread, &t), 0);
    struct event *tick = event_new(base, -1, EV_PERSIST, poll_done, &t);
    struct timeval tv = {0, 10000};
    event_add(tick, &tv);
    event_base_dispatch(base);
    pthread_join(th, NULL);
    event_free(tick);
    assert_int_equal(t.e, RSP_OK);
    assert_string_equal(t.answer, "{\"ok\":true,\"op\":6,\"eid\":\"89049032123451234512345678901235\"}");
    assert_int_equal(t.e_bad, RSP_OK);
    assert_non_null(strstr(t.answer_bad, "\"ok\":false,\"error\":\"unsupported\""));
    assert_int_equal(t.calls, 1); /* the malformed line never reached the daemon */
    rsp_fleet_ctl_free(srv);
    assert_int_not_equal(access(path, F_OK), 0); /* removed on free */
    event_base_free(base);
    char ans[64];
    assert_int_equal(rsp_fleet_ctl_call(path, "status", 1000, ans, sizeof(ans)), RSP_ERR_NET);
}

/* ---- SMS ---- */

static void test_deliver_to_tpdu_vector(void **state)
{
    (void)state;
    /* §A1: the SMS-DELIVER that carried the 3DES ciphered command to a real card: OA 12345678 (TOA
     * 81), PID 7F, DCS F6, SCTS 22 70 52 00 00 00 00 (2022-07-25 00:00:00 UTC), UDHI. Its UDL is
     * the test's quirk (03); the correct 8-bit UDL is 0x25. */
    rsp_buf want = RSP_BUF_INIT, cmd = RSP_BUF_INIT, tpdu = RSP_BUF_INIT;
    tu_vec_bytes("SMS-DELIVER TPDU from same test:", "", &want);
    assert_int_equal(want.data[16], 0x03);
    want.data[16] = 0x25;
    tu_vec_bytes("[3DES-SJA5-CIPHERED-CC]", "CMD =", &cmd);
    rsp_smpp_pdu dv;
    rsp_smpp_pdu_init(&dv, RSP_SMPP_DELIVER_SM, 7);
    strcpy(dv.source_addr, "12345678");
    dv.src_ton = 0;
    dv.src_npi = 1;
    strcpy(dv.dest_addr, "447700900001");
    dv.esm_class = RSP_SMPP_ESM_UDHI;
    dv.protocol_id = 0x7F;
    dv.data_coding = 0xF6;
    static const uint8_t udh[3] = {0x02, 0x70, 0x00};
    memcpy(dv.short_message, udh, 3);
    memcpy(dv.short_message + 3, cmd.data, cmd.len);
    dv.sm_length = (uint8_t)(3 + cmd.len);
    assert_int_equal(rsp_fleet_deliver_to_tpdu(&dv, 1658707200000LL, &tpdu, NULL), RSP_OK);
    assert_int_equal(tpdu.len, want.len);
    assert_memory_equal(tpdu.data, want.data, want.len);

    /* Malformed: an alphanumeric sender, and more octets than an SMS holds. */
    rsp_diag d;
    rsp_diag_clear(&d);
    strcpy(dv.source_addr, "OPERATOR");
    dv.src_ton = 5;
    rsp_buf_reset(&tpdu);
    assert_int_equal(rsp_fleet_deliver_to_tpdu(&dv, 0, &tpdu, &d), RSP_ERR_FORMAT);
    strcpy(dv.source_addr, "+12345678");
    dv.sm_length = 141;
    assert_int_equal(rsp_fleet_deliver_to_tpdu(&dv, 0, &tpdu, NULL), RSP_ERR_LENGTH);
    rsp_buf_free(&want);
    rsp_buf_free(&cmd);
    rsp_buf_free(&tpdu);
}

static void test_tpdu_to_submit(void **state)
{
    (void)state;
    /* A card's PoR (§A1, UD with 02 71 00) in an SMS-SUBMIT to the SM-SR's number. */
    rsp_buf ud = RSP_BUF_INIT, tpdu = RSP_BUF_INIT;
    tu_vec_bytes("[3DES-SJA5-CIPHERED-CC]", "PoR (UD incl. UDH) =", &ud);
    rsp_sms_tpdu t;
    memset(&t, 0, sizeof(t));
    t.type = RSP_SMS_SUBMIT;
    t.mr = 9;
    assert_int_equal(rsp_sms_addr_set(&t.addr, 0x91, "447700900999"), RSP_OK);
    t.ud = ud.data;
    t.ud_len = ud.len;
    assert_int_equal(rsp_sms_tpdu_build(&t, &tpdu), RSP_OK);
    rsp_smpp_pdu sm;
    assert_int_equal(rsp_fleet_tpdu_to_submit(tpdu.data, tpdu.len, "447700900001", "", &sm, NULL), RSP_OK);
    assert_int_equal(sm.command_id, RSP_SMPP_SUBMIT_SM);
    assert_string_equal(sm.source_addr, "447700900001");
    assert_string_equal(sm.dest_addr, "447700900999");
    assert_int_equal(sm.dst_ton, 1);
    assert_int_equal(sm.dst_npi, 1);
    assert_int_equal(sm.esm_class, RSP_SMPP_ESM_UDHI);
    assert_int_equal(sm.protocol_id, 0x7F);
    assert_int_equal(sm.data_coding, 0xF6);
    assert_int_equal(sm.sm_length, ud.len);
    assert_memory_equal(sm.short_message, ud.data, ud.len);
    /* The card's `to` wins over TP-DA. */
    assert_int_equal(rsp_fleet_tpdu_to_submit(tpdu.data, tpdu.len, "447700900001", "1234", &sm, NULL), RSP_OK);
    assert_string_equal(sm.dest_addr, "1234");
    /* An SMS-DELIVER is not something a card sends; a cut TPDU is malformed. */
    rsp_buf dl = RSP_BUF_INIT;
    tu_vec_bytes("SMS-DELIVER TPDU from same test:", "", &dl);
    assert_int_not_equal(rsp_fleet_tpdu_to_submit(dl.data, dl.len, "1", NULL, &sm, NULL), RSP_OK);
    assert_int_not_equal(rsp_fleet_tpdu_to_submit(tpdu.data, tpdu.len - 1, "1", NULL, &sm, NULL), RSP_OK);
    rsp_buf_free(&dl);
    rsp_buf_free(&ud);
    rsp_buf_free(&tpdu);
}

/* ---- address ranges ---- */

static bool range_match(const char *range, const char *msisdn)
{
    const char *p = range;
    while (*p) {
        size_t k = strcspn(p, ",");
        if (k && p[k - 1] == '*' ? !strncmp(p, msisdn, k - 1) : k == strlen(msisdn) && !strncmp(p, msisdn, k))
            return true;
        p += k + (p[k] == ',');
    }
    return false;
}

static void check_cover(const char *const *v, size_t n, size_t max)
{
    char r[RSP_FLEET_MAX_BINDS][RSP_FLEET_RANGE_MAX + 1];
    size_t nr = 0;
    assert_int_equal(rsp_fleet_ranges(v, n, max, r, &nr), RSP_OK);
    assert_true(nr >= 1 && nr <= max);
    for (size_t b = 0; b < nr; b++)
        assert_true(strlen(r[b]) <= RSP_FLEET_RANGE_MAX);
    for (size_t i = 0; i < n; i++) {
        bool hit = false;
        for (size_t b = 0; b < nr && !hit; b++)
            hit = range_match(r[b], v[i]);
        if (!hit)
            fail_msg("%s not covered", v[i]);
    }
}

static void test_ranges(void **state)
{
    (void)state;
    /* Small fleet: the exact numbers, one bind. */
    const char *small[] = {"", "447700900001", "447700900002"};
    char r[RSP_FLEET_MAX_BINDS][RSP_FLEET_RANGE_MAX + 1];
    size_t nr = 0;
    assert_int_equal(rsp_fleet_ranges(small, 3, 4, r, &nr), RSP_OK);
    assert_int_equal(nr, 1);
    assert_string_equal(r[0], "447700900001,447700900002");
    /* 100,000 consecutive numbers: a few prefixes. */
    size_t n = 100000;
    char (*num)[16] = malloc(n * sizeof(*num));
    const char **v = malloc(n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        snprintf(num[i], sizeof(num[i]), "447700%06zu", i + 150000);
        v[i] = num[i];
    }
    /* 447700 150000..249999: equal lengths, so numeric order is string order. */
    check_cover(v, n, 4);
    check_cover(v, n, 1);
    /* The longest prefixes that fit: 8 digits in 3 binds, or 7 digits in one. */
    assert_int_equal(rsp_fleet_ranges(v, n, 4, r, &nr), RSP_OK);
    assert_int_equal(nr, 3);
    assert_string_equal(r[0], "44770015*,44770016*,44770017*,44770018*");
    assert_string_equal(r[2], "44770023*,44770024*");
    assert_int_equal(rsp_fleet_ranges(v, n, 1, r, &nr), RSP_OK);
    assert_int_equal(nr, 1);
    assert_string_equal(r[0], "4477001*,4477002*");
    /* A whole decade block: one prefix covers exactly these numbers, so one bind, not four. */
    for (size_t i = 0; i < 1000; i++)
        snprintf(num[i], sizeof(num[i]), "447700000%03zu", i);
    assert_int_equal(rsp_fleet_ranges(v, 1000, 4, r, &nr), RSP_OK);
    assert_int_equal(nr, 1);
    assert_string_equal(r[0], "447700000*");
    /* Two disjoint countries, one bind each at most. */
    const char *two[] = {"3361234", "3361235", "447700900001"};
    check_cover(two, 3, 1);
    /* Unsorted input is refused; nothing at all gives no range. */
    const char *uns[] = {"2", "1"};
    assert_int_equal(rsp_fleet_ranges(uns, 2, 4, r, &nr), RSP_ERR_INVAL);
    assert_int_equal(rsp_fleet_ranges(small, 1, 4, r, &nr), RSP_OK);
    assert_int_equal(nr, 0);
    free(num);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctl_parse_ok),      cmocka_unit_test(test_ctl_parse_bad),
        cmocka_unit_test(test_json_escape),       cmocka_unit_test(test_ctl_socket),
        cmocka_unit_test(test_deliver_to_tpdu_vector), cmocka_unit_test(test_tpdu_to_submit),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
