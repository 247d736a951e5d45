/* Card model durability: a process that drives a card (downloads, switches, confirmations) is killed
 * with SIGKILL at a random moment; the fleet reopened by another process holds a consistent card:
 * exactly one profile enabled, every ISD-P either created and empty or fully installed, and the SM-SR
 * can go on (its counter is still accepted). Also: notifications go into an open admin session. */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "test_euicc_fixture.h"

static void worker(fx *x, int ready_fd)
{
    /* The child: an endless stream of work on card 0, until it is killed. It opens the fleet itself
     * (an SQLite connection must not cross a fork). */
    if (rsp_euicc_fleet_open(x->dir, NULL, &x->f) != RSP_OK)
        _exit(3);
    rsp_euicc *c = fx_card(x, 0);
    rsp_buf pkg = RSP_BUF_INIT;
    fx_package("TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der", "894450100000009000", "001010000009000", 0, &pkg);
    for (uint32_t round = 0;; round++) {
        uint32_t tar = 0x100 + (round % 4);
        char cmd[300], aid[33];
        for (uint32_t t = 0x100; t < 0x104; t++) { /* disable and delete what earlier runs left */
            fx_sd_aid("3A04", t, cmd);
            fx_sms1(x, c, 1, cmd, NULL);
            fx_isdp_hex(t, aid);
            snprintf(cmd, sizeof(cmd), "80E40040124F10%s", aid);
            fx_sms1(x, c, 1, cmd, NULL);
        }
        rsp_scp03_keys keys;
        fx_download(x, c, 0, tar, &pkg, &keys);
        fx_sd_aid("3A03", tar, cmd);
        fx_sms1(x, c, 1, cmd, NULL);
        if (round == 0 && write(ready_fd, "r", 1) != 1) /* the parent starts its clock now */
            _exit(4);
        uint8_t types[8];
        uint16_t seqs[8];
        x->now += 3600000;
        size_t n = fx_tick(x, c, types, seqs);
        for (size_t i = 0; i < n; i++)
            fx_confirm(x, c, seqs[i], NULL);
        fx_sd_aid("3A04", tar, cmd);
        fx_sms1(x, c, 1, cmd, NULL);
    }
}

static void test_kill9(void **state)
{
    (void)state;
    char dir[256];
    snprintf(dir, sizeof(dir), "/tmp/test_euicc_crash.XXXXXX");
    assert_non_null(mkdtemp(dir));
    fx x;
    fx_setup(&x, dir, 1);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    uint16_t last_seq = 0;
    for (int run = 0; run < 3; run++) {
        rsp_euicc_fleet_close(x.f);
        x.f = NULL;
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
            close(fds[0]);
            worker(&x, fds[1]);
        }
        close(fds[1]);
        char ready;
        ssize_t got = read(fds[0], &ready, 1); /* the child has switched once */
        close(fds[0]);
        struct timespec ts = {0, (long)(rand() % 500) * 1000000L};
        if (got == 1)
            nanosleep(&ts, NULL);
        kill(pid, SIGKILL); /* before any assertion, so a failing test stops its child too */
        int st = 0;
        waitpid(pid, &st, 0);
        assert_int_equal(got, 1);
        assert_true(WIFSIGNALED(st));
        /* Reopen: the card is consistent. */
        assert_int_equal(rsp_euicc_fleet_open(dir, NULL, &x.f), RSP_OK);
        rsp_euicc *c = fx_card(&x, 0);
        rsp_euicc_info info;
        assert_int_equal(rsp_euicc_info_get(c, &info), RSP_OK);
        int enabled = 0;
        for (size_t i = 0; i < info.n_profiles; i++) {
            const rsp_euicc_profile_info *p = &info.profiles[i];
            enabled += p->lcs == 0x3F;
            if (p->lcs == 0x07)
                assert_true(p->used == 0 && p->iccid[0] == 0);      /* created: nothing half-installed */
            else
                assert_true(p->used > 0 && strlen(p->iccid) >= 19); /* installed: whole */
        }
        assert_int_equal(enabled, 1);
        last_seq = info.last_seq;
        /* The SM-SR goes on: its next counter is above whatever the child used. */
        x.cntr += 1000000;
        assert_int_equal(fx_sms1(&x, c, 1, "80CAFF2100", NULL), 0x9000);
    }
    assert_true(last_seq > 1); /* the children got as far as switching profiles */
    fx_teardown(&x);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_notification_in_admin_session(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    /* A session is open (the SM-SR's first script): the due first-attach notification goes into it. */
    rsp_buf script = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    tu_hex("AA09220780F24002024F00", &script);
    char status[32];
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    assert_int_equal(rsp_euicc_admin_script(c, script.data, script.len, NULL, 0, x.now, &resp, status, &out, NULL),
                     RSP_OK);
    assert_string_equal(status, "ok");
    rsp_rapdu_resp r;
    assert_int_equal(rsp_rapdu_resp_parse(RSP_RAPDU_EXPANDED, resp.data, resp.len, &r, NULL), RSP_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.rsps[0].sw, 0x9000);
    int64_t next = 0;
    assert_int_equal(rsp_euicc_tick(c, x.now, &out, &next), RSP_OK);
    assert_int_equal(out.n_sms, 0);
    assert_true(out.notif_msg.len > 20);
    assert_int_equal(out.notif_msg.data[0], 0xE1);
    assert_int_equal(next, x.now + 30000);
    rsp_euicc_out_clear(&out);
    /* The session ends unconfirmed: the resend goes by SMS. */
    rsp_euicc_admin_end(c, true, x.now);
    x.now += 30000;
    assert_int_equal(rsp_euicc_tick(c, x.now, &out, &next), RSP_OK);
    assert_int_equal(out.n_sms, 1);
    assert_int_equal(out.notif_msg.len, 0);
    rsp_euicc_out_clear(&out);
    /* An unknown targeted application. */
    uint8_t bogus[16] = {0xA0, 0, 0, 0, 0x99};
    assert_int_equal(rsp_euicc_admin_script(c, script.data, script.len, bogus, 16, x.now, &resp, status, &out, NULL),
                     RSP_OK);
    assert_string_equal(status, "unknown-application");
    rsp_euicc_out_clear(&out);
    rsp_buf_free(&script);
    rsp_buf_free(&resp);
    fx_teardown(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9),
        cmocka_unit_test(test_notification_in_admin_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
