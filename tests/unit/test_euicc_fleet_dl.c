/* Black-box test of the fleet daemon with downloads: the card model's test fixture (its SM-DP and
 * SM-SR roles, test_euicc_fixture.h) prepares a one-card fleet in this process (a second profile
 * downloaded and enabled, a third ISD-P created with its SCP03 keys established), then `rsp smsc` and
 * `rsp euicc run` run it as separate processes while this program is the SM-SR's ESME and the
 * PSK-TLS admin server. Checked:
 * - `rsp euicc ctl net-down EID`: the card falls back to its provisioning profile, and notification 05
 *   arrives as an MO SMS from the fall-back profile's MSISDN (a number no bind covered at start: the
 *   daemon binds for it), secured with the card's SCP80 keys; an SMS to that new MSISDN is answered;
 * - kill -9 of the daemon while an SCP81 session carries an SCP03t download (half the segments sent):
 *   the fleet reopens with the ISD-P created and empty (no half profile), and a restarted daemon
 *   serves the card;
 * - a notification the card has while its admin session is open (the switch an enable over HTTPS
 *   made) is POSTed as ?msg=<E1 hex> before the session ends, not sent by SMS. */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>

#include <event2/event.h>

#include "test_euicc_fixture.h"

#include "euicc/fleet_int.h"
#include "rsp/http.h"
#include "rsp/scp81.h"
#include "rsp/smpp.h"
#include "rsp/tls.h"

#define PROV 0x000010u
#define OPER 0x000030u
#define DL 0x000050u

typedef struct env {
    fx x;
    char dir[64], fleet[128], ctl[128], runlog[128];
    char eid[33], oper_msisdn[24], psk_id[160];
    uint16_t smsc_port, https_port;
    pid_t smsc, run;
    struct event_base *base;
    rsp_smpp_esme *esme;
    rsp_smpp_pdu got[64];
    size_t ngot;
    rsp_tls_ctx *tls;
    rsp_http_server *http;
    rsp_scp03_keys keys;   /* of the ISD-P being downloaded */
    rsp_buf pkg;
    int step, notif_mode, notif_posts;
    uint8_t notif_type;
    char last_target[256];
    rsp_scp03_session s;
    uint8_t hc[8];
    rsp_http_req *held;
    char status[3][32];
} env;

static env E;

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static pid_t spawn(const char *const *argv, const char *log)
{
    pid_t p = fork();
    assert_true(p >= 0);
    if (p == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return p;
}

static void stop(pid_t *p, int sig)
{
    if (*p > 0) {
        kill(*p, sig);
        waitpid(*p, NULL, 0);
    }
    *p = 0;
}

typedef bool (*pred_fn)(void);

static void loop_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pred_fn p = (pred_fn)arg;
    if (!p || p())
        event_base_loopbreak(E.base);
}

static bool run_until(pred_fn pred, unsigned ms)
{
    /* Without a predicate only the time-out ends the wait. */
    struct event *tick = pred ? event_new(E.base, -1, EV_PERSIST, loop_check, (void *)pred) : NULL;
    struct timeval tv = {0, 10000};
    if (tick)
        event_add(tick, &tv);
    struct event *to = evtimer_new(E.base, loop_check, NULL);
    struct timeval tmo = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(to, &tmo);
    event_base_dispatch(E.base);
    if (tick)
        event_free(tick);
    event_free(to);
    return pred ? pred() : true;
}

static void start_daemon(void)
{
    char smsc[32], ans[RSP_FLEET_CTL_ANSWER_MAX];
    snprintf(smsc, sizeof(smsc), "127.0.0.1:%u", E.smsc_port);
    const char *argv[] = {tu_rsp_bin(), "euicc", "run", "--fleet", E.fleet, "--smsc", smsc, "--control", E.ctl,
                          "--tick-ms", "50", NULL};
    E.run = spawn(argv, E.runlog);
    for (int i = 0; i < 300; i++) {
        if (rsp_fleet_ctl_call(E.ctl, "status", 2000, ans, sizeof(ans)) == RSP_OK && strstr(ans, "\"binds_up\":1"))
            return;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("daemon not ready (see %s; RSP_KEEP_TMP=1 keeps it)", E.runlog);
}

static uint32_t on_deliver(void *arg, const rsp_smpp_pdu *pdu)
{
    (void)arg;
    if (!(pdu->esm_class & RSP_SMPP_ESM_RECEIPT) && E.ngot < 64)
        E.got[E.ngot++] = *pdu;
    return RSP_SMPP_ROK;
}

/* SM-SR -> card: one secured packet (SPI 16 39, keys of the fixture) to `to`. */
static void send_packet(const char *to, uint32_t tar, const uint8_t *data, size_t len, rsp_scp80_hdr *h)
{
    uint8_t ki = (uint8_t)(E.x.kvn << 4 | 2);
    rsp_scp80_hdr hh = {{0x16, 0x39}, ki, ki, {(uint8_t)(tar >> 16), (uint8_t)(tar >> 8), (uint8_t)tar}, {0}, 0, 0};
    uint64_t cntr = ++E.x.cntr;
    for (int i = 0; i < 5; i++)
        hh.cntr[i] = (uint8_t)(cntr >> (8 * (4 - i)));
    rsp_scp80_keys k = {E.x.kic, 16, E.x.kid, 16};
    uint8_t pkt[200];
    size_t n = 0;
    assert_int_equal(rsp_scp80_cmd_build(&k, &hh, data, len, pkt, sizeof(pkt), &n, NULL), RSP_OK);
    assert_true(n + 3 <= 140);
    rsp_smpp_pdu sm;
    rsp_smpp_pdu_init(&sm, RSP_SMPP_SUBMIT_SM, 0);
    strcpy(sm.source_addr, FX_SMSR_MSISDN);
    sm.src_ton = sm.dst_ton = 1;
    sm.src_npi = sm.dst_npi = 1;
    snprintf(sm.dest_addr, sizeof(sm.dest_addr), "%s", to);
    sm.esm_class = RSP_SMPP_ESM_UDHI;
    sm.protocol_id = 0x7F;
    sm.data_coding = 0xF6;
    sm.short_message[0] = 0x02, sm.short_message[1] = 0x70, sm.short_message[2] = 0x00;
    memcpy(sm.short_message + 3, pkt, n);
    sm.sm_length = (uint8_t)(n + 3);
    assert_int_equal(rsp_smpp_esme_submit(E.esme, &sm, NULL, NULL), RSP_OK);
    if (h)
        *h = hh;
}

/* The next SMS from `from` with UDH iei `iei` (71 PoR, 70 notification) received after index *at. */
static const char *want_from;
static uint8_t want_iei;
static size_t want_at;
static const rsp_smpp_pdu *find_sms(void)
{
    for (size_t i = want_at; i < E.ngot; i++)
        if (!strcmp(E.got[i].source_addr, want_from) && E.got[i].sm_length > 3 && E.got[i].short_message[1] == want_iei)
            return &E.got[i];
    return NULL;
}
static bool have_sms(void)
{
    return find_sms() != NULL;
}
static const rsp_smpp_pdu *wait_sms(const char *from, uint8_t iei, size_t at, unsigned ms)
{
    want_from = from;
    want_iei = iei;
    want_at = at;
    return run_until(have_sms, ms) ? find_sms() : NULL;
}

/* GET DATA 5A (ECASD) by SMS to `msisdn`; the PoR must carry the card's EID. */
static void sms_get_eid(const char *msisdn)
{
    static const uint8_t script[] = {0x80, 0xCA, 0x00, 0x5A, 0x00};
    rsp_scp80_hdr h;
    size_t at = E.ngot;
    send_packet(msisdn, 0x000002, script, sizeof(script), &h);
    const rsp_smpp_pdu *p = wait_sms(msisdn, 0x71, at, 5000);
    assert_non_null(p);
    rsp_scp80_keys k = {E.x.kic, 16, E.x.kid, 16};
    uint8_t work[300];
    rsp_scp80_por por;
    assert_int_equal(rsp_scp80_por_open(&k, &h, p->short_message, p->sm_length, work, sizeof(work), &por, NULL), RSP_OK);
    assert_int_equal(por.status, 0);
    uint8_t want[3 + 18] = {0x01, 0x90, 0x00, 0x5A, 0x10};
    assert_int_equal(rsp_eid_to_bytes(E.eid, want + 5), RSP_OK);
    assert_int_equal(por.data_len, sizeof(want));
    assert_memory_equal(por.data, want, sizeof(want));
}

/* ---- SM-DP behind the SM-SR's admin server: an SCP03t download cut in the middle ---- */

static rsp_err psk_lookup(void *arg, const char *identity, uint8_t *key, size_t keymax, size_t *keylen)
{
    (void)arg;
    if (strcmp(identity, E.psk_id) || keymax < 16)
        return RSP_ERR_NOT_FOUND;
    memset(key, 0x5A, 16); /* the fixture's SCP81 PSK */
    *keylen = 16;
    return RSP_OK;
}

static void respond_script(rsp_http_req *req, const uint8_t *body, size_t len)
{
    rsp_aid a;
    assert_int_equal(rsp_aid_isdp(DL, &a), RSP_OK);
    rsp_scp81_server_resp r = {false, "/dl/next", a.b, a.len};
    rsp_buf hdr = RSP_BUF_INIT;
    int status = 0;
    assert_int_equal(rsp_scp81_server_headers(&r, &status, &hdr), RSP_OK);
    rsp_buf_append_byte(&hdr, 0);
    rsp_http_respond(req, status, (const char *)hdr.data, body, len);
    rsp_buf_free(&hdr);
}

/* Session of test_notification_in_session: the SM-SR enables a profile over HTTPS, keeps the card's
 * answer waiting while the daemon ticks, then ends with 204; the card's notification comes as
 * POST ...?msg=<hex> before the session closes. */
static void notif_handler(rsp_http_req *req)
{
    const char *target = rsp_http_req_target(req);
    snprintf(E.last_target, sizeof(E.last_target), "%s", target);
    const char *m = strstr(target, "?msg=");
    rsp_buf hdr = RSP_BUF_INIT;
    int status = 0;
    if (m) {
        E.notif_posts++;
        rsp_buf e1 = RSP_BUF_INIT;
        rsp_tlv t, t4d;
        if (rsp_hex_decode(m + 5, &e1, NULL) == RSP_OK &&
            rsp_tlv_expect(e1.data, e1.len, 0xE1, &t, NULL) == RSP_OK &&
            rsp_tlv_find(t.value, t.len, 0x4D, &t4d) == RSP_OK && t4d.len == 1)
            E.notif_type = t4d.value[0];
        rsp_buf_free(&e1);
        rsp_scp81_server_resp r = {true, NULL, NULL, 0};
        assert_int_equal(rsp_scp81_server_headers(&r, &status, &hdr), RSP_OK);
        rsp_buf_append_byte(&hdr, 0);
        rsp_http_respond(req, status, (const char *)hdr.data, NULL, 0);
    } else if (E.step++ == 0) {
        char cmd[80];
        fx_sd_aid("3A03", OPER, cmd);
        rsp_buf a = RSP_BUF_INIT, script = RSP_BUF_INIT;
        tu_hex(cmd, &a);
        rsp_bytes b[1] = {rsp_buf_view(&a)};
        assert_int_equal(rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, b, 1, &script), RSP_OK);
        rsp_scp81_server_resp r = {false, "/n/next", NULL, 0};
        assert_int_equal(rsp_scp81_server_headers(&r, &status, &hdr), RSP_OK);
        rsp_buf_append_byte(&hdr, 0);
        rsp_http_respond(req, status, (const char *)hdr.data, script.data, script.len);
        rsp_buf_free(&a);
        rsp_buf_free(&script);
    } else {
        E.held = req; /* answered with 204 by the test once the daemon has ticked */
    }
    rsp_buf_free(&hdr);
}

static void admin_handler(void *arg, rsp_http_req *req)
{
    (void)arg;
    if (E.notif_mode) {
        notif_handler(req);
        return;
    }
    size_t blen = 0;
    const uint8_t *body = rsp_http_req_body(req, &blen);
    const char *st = rsp_http_req_header(req, "X-Admin-Script-Status");
    if (E.step < 3)
        snprintf(E.status[E.step], sizeof(E.status[0]), "%s", st ? st : "");
    rsp_buf b = RSP_BUF_INIT;
    switch (E.step++) {
    case 0: /* the card opened: SCP03t INITIALIZE UPDATE to the ISD-P */
        rsp_random(E.hc, 8);
        assert_int_equal(rsp_scp03t_host_init(E.keys.kvn, 0x01, E.hc, &b), RSP_OK);
        respond_script(req, b.data, b.len);
        break;
    case 1: { /* its answer: authenticate, then the first half of the segments only */
        memset(&E.s, 0, sizeof(E.s));
        assert_int_equal(rsp_scp03t_host_begin(&E.s, &E.keys, E.hc, body, blen, NULL), RSP_OK);
        assert_int_equal(rsp_scp03t_host_auth(&E.s, 0x33, &b), RSP_OK);
        assert_int_equal(rsp_scp03t_host_wrap(&E.s, E.pkg.data, E.pkg.len, 0, &b), RSP_OK);
        size_t pos = 0, cut = b.len / 2;
        rsp_tlv t;
        while (pos < b.len && rsp_tlv_parse(b.data + pos, b.len - pos, 0, &t, NULL) == RSP_OK && pos + t.raw_len <= cut)
            pos += t.raw_len;
        respond_script(req, b.data, pos);
        rsp_scp03_close(&E.s);
        break;
    }
    default: /* the card took the half: the process dies before the rest is sent */
        E.held = req;
        break;
    }
    rsp_buf_free(&b);
}

static bool held(void)
{
    return E.held != NULL;
}

/* ---- setup / teardown ---- */

static int setup(void **state)
{
    (void)state;
    memset(&E, 0, sizeof(E));
    snprintf(E.dir, sizeof(E.dir), "/tmp/rsp-fleet-dl-XXXXXX");
    assert_non_null(mkdtemp(E.dir));
    snprintf(E.fleet, sizeof(E.fleet), "%s/fleet", E.dir);
    snprintf(E.ctl, sizeof(E.ctl), "%s/ctl.sock", E.dir);
    snprintf(E.runlog, sizeof(E.runlog), "%s/run.log", E.dir);
    E.smsc_port = free_port();
    E.https_port = free_port();

    /* The card, as the fixture's SM-SR and SM-DP leave it: 30 downloaded and enabled, 50 created with
     * its SCP03 keys. */
    fx_setup(&E.x, E.fleet, 1);
    E.x.now = rsp_fleet_now_ms();
    rsp_euicc *c = fx_card(&E.x, 0);
    fx_eid(0, E.eid);
    rsp_buf pkg = RSP_BUF_INIT;
    fx_package("TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der", "894450100000003000", "001010000003000", 0, &pkg);
    rsp_scp03_keys k30;
    fx_download(&E.x, c, 0, OPER, &pkg, &k30);
    rsp_wipe(&k30, sizeof(k30));
    char cmd[80];
    fx_sd_aid("3A03", OPER, cmd);
    assert_int_equal(fx_sms1(&E.x, c, 1, cmd, NULL), 0x9000);
    assert_int_equal(fx_prof(c, OPER).lcs, 0x3F);
    snprintf(E.oper_msisdn, sizeof(E.oper_msisdn), "%s", rsp_euicc_msisdn(c));
    /* The SM-SR confirms the pending notifications (01 attach, 02 switch): a switch still
     * unconfirmed would make a network loss a roll-back (03) rather than a fall-back (05). */
    for (int round = 0; round < 3; round++) {
        uint8_t types[8];
        uint16_t seqs[8];
        E.x.now += 3600000;
        size_t n = fx_tick(&E.x, c, types, seqs);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(fx_confirm(&E.x, c, seqs[i], NULL), 0x9000);
    }
    assert_string_not_equal(E.oper_msisdn, "447700900010");
    assert_int_equal(fx_create_isdp(&E.x, c, DL, 0), 0x9000);
    fx_keyest(&E.x, c, 0, DL, &E.keys);
    fx_package("TS48v7_SAIP2.3_NoBERTLV.der", "894450100000005000", "001010000005000", 0, &E.pkg);
    rsp_buf_free_secret(&pkg);
    rsp_euicc_fleet_close(E.x.f);
    E.x.f = NULL;
    uint8_t eidb[16];
    assert_int_equal(rsp_eid_to_bytes(E.eid, eidb), RSP_OK);
    assert_int_equal(rsp_scp81_psk_identity(eidb, RSP_AID_ISDR.b, RSP_AID_ISDR.len, 0x01, 0x40, E.psk_id,
                                            sizeof(E.psk_id)),
                     RSP_OK);

    char listen[32], log[128];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", E.smsc_port);
    snprintf(log, sizeof(log), "%s/smsc.log", E.dir);
    const char *sargv[] = {tu_rsp_bin(), "smsc", "--listen", listen, NULL};
    E.smsc = spawn(sargv, log);
    E.base = event_base_new();
    rsp_smpp_esme_opts eo = {0};
    eo.host = "127.0.0.1";
    eo.port = E.smsc_port;
    eo.system_id = "smsr";
    eo.password = "x";
    eo.address_range = FX_SMSR_MSISDN;
    eo.reconnect_min_ms = 50;
    eo.reconnect_max_ms = 200;
    eo.on_deliver = on_deliver;
    assert_int_equal(rsp_smpp_esme_new(E.base, &eo, &E.esme), RSP_OK);
    for (int i = 0; i < 500 && !rsp_smpp_esme_bound(E.esme); i++)
        run_until(NULL, 10);
    assert_true(rsp_smpp_esme_bound(E.esme));
    assert_int_equal(rsp_tls_server_psk_new(psk_lookup, NULL, &E.tls), RSP_OK);
    rsp_http_server_opts ho = {0};
    ho.host = "127.0.0.1";
    ho.port = E.https_port;
    ho.tls = E.tls;
    ho.handler = admin_handler;
    assert_int_equal(rsp_http_server_new(E.base, &ho, &E.http), RSP_OK);
    start_daemon();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    stop(&E.run, SIGKILL);
    stop(&E.smsc, SIGKILL);
    if (E.http)
        rsp_http_server_free(E.http);
    rsp_tls_ctx_free(E.tls);
    rsp_smpp_esme_free(E.esme);
    if (E.base) {
        /* libevent finishes freeing TLS bufferevents from the loop: let it run once. */
        event_base_loop(E.base, EVLOOP_NONBLOCK);
        event_base_free(E.base);
    }
    rsp_buf_free_secret(&E.pkg);
    rsp_wipe(&E.keys, sizeof(E.keys));
    fx_teardown(&E.x);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", E.dir);
    if (!getenv("RSP_KEEP_TMP"))
        tu_run(cmd, NULL);
    return 0;
}

/* ---- tests ---- */

static void test_net_down_fallback_notification(void **state)
{
    (void)state;
    sms_get_eid(E.oper_msisdn);
    size_t at = E.ngot;
    char cmd[512], *out = NULL;
    snprintf(cmd, sizeof(cmd), "%s euicc ctl --control %s --json net-down %s", tu_rsp_bin(), E.ctl, E.eid);
    assert_int_equal(tu_run(cmd, &out), 0);
    assert_non_null(strstr(out, "\"msisdn\":\"447700900010\""));
    free(out);
    /* Notification 05 (queued by the card, sent by the daemon's next tick) from the fall-back
     * profile's number, secured with the ISD-R's SCP80 keys. */
    /* Look for the 05 among what the card sends from its new number. */
    uint8_t eidb[16];
    assert_int_equal(rsp_eid_to_bytes(E.eid, eidb), RSP_OK);
    bool seen05 = false;
    for (int round = 0; round < 8 && !seen05; round++) {
        const rsp_smpp_pdu *p = wait_sms("447700900010", 0x70, at, 5000);
        assert_non_null(p);
        at = (size_t)(p - E.got) + 1;
        assert_string_equal(p->dest_addr, FX_SMSR_MSISDN);
        rsp_scp80_keys k = {E.x.kic, 16, E.x.kid, 16};
        uint8_t work[300];
        rsp_scp80_cmd c;
        assert_int_equal(rsp_scp80_cmd_open(&k, p->short_message + 3, p->sm_length - 3u, work, sizeof(work), &c, NULL),
                         RSP_OK);
        assert_true(c.cc_valid);
        rsp_tlv e1, t4c, t4d;
        assert_int_equal(rsp_tlv_expect(c.data, c.data_len, 0xE1, &e1, NULL), RSP_OK);
        assert_int_equal(rsp_tlv_find(e1.value, e1.len, 0x4C, &t4c), RSP_OK);
        assert_int_equal(rsp_tlv_find(e1.value, e1.len, 0x4D, &t4d), RSP_OK);
        assert_int_equal(t4c.len, 16);
        assert_memory_equal(t4c.value, eidb, 16);
        assert_int_equal(t4d.len, 1);
        seen05 = t4d.value[0] == 0x05;
    }
    assert_true(seen05);
    /* The new number is served (the daemon added a bind for it); the old one no longer. */
    sms_get_eid("447700900010");
    snprintf(cmd, sizeof(cmd), "%s euicc ctl --control %s net-down %s", tu_rsp_bin(), E.ctl, E.eid);
    assert_int_equal(tu_run(cmd, NULL), 1); /* no fall-back from the fall-back profile */
}

static void test_kill9_mid_download(void **state)
{
    (void)state;
    uint8_t conn[5] = {0x3C, 0x03, 0x02, (uint8_t)(E.https_port >> 8), (uint8_t)E.https_port};
    rsp_scp81_trigger t;
    memset(&t, 0, sizeof(t));
    t.conn = rsp_bytes_of(conn, sizeof(conn));
    t.host = rsp_bytes_of((const uint8_t *)"127.0.0.1", 9);
    t.uri = rsp_bytes_of((const uint8_t *)"/dl", 3);
    rsp_buf trig = RSP_BUF_INIT;
    assert_int_equal(rsp_scp81_trigger_build(&t, &trig), RSP_OK);
    send_packet("447700900010", 0x000001, trig.data, trig.len, NULL);
    rsp_buf_free(&trig);
    assert_true(run_until(held, 15000));
    assert_string_equal(E.status[1], "ok"); /* INITIALIZE UPDATE answered */
    assert_string_equal(E.status[2], "ok"); /* the first segments taken */
    stop(&E.run, SIGKILL);

    /* Opened again: the ISD-P is as before the download, created and empty. */
    rsp_euicc_fleet *f = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_euicc_fleet_open(E.fleet, &d, &f), RSP_OK);
    rsp_euicc *c = rsp_euicc_fleet_by_eid(f, E.eid);
    assert_non_null(c);
    rsp_euicc_profile_info pi = fx_prof(c, DL);
    assert_int_equal(pi.lcs, 0x07);
    assert_int_equal(pi.used, 0);
    assert_int_equal(pi.iccid[0], 0);
    assert_int_equal(fx_prof(c, PROV).lcs, 0x3F);
    rsp_euicc_fleet_close(f);
    E.held = NULL;

    start_daemon();
    sms_get_eid("447700900010");
}

static bool notif_done(void)
{
    return E.notif_posts > 0;
}

static void test_notification_in_session(void **state)
{
    (void)state;
    E.notif_mode = 1;
    E.step = 0;
    E.held = NULL;
    uint8_t conn[5] = {0x3C, 0x03, 0x02, (uint8_t)(E.https_port >> 8), (uint8_t)E.https_port};
    rsp_scp81_trigger t;
    memset(&t, 0, sizeof(t));
    t.conn = rsp_bytes_of(conn, sizeof(conn));
    t.host = rsp_bytes_of((const uint8_t *)"127.0.0.1", 9);
    t.uri = rsp_bytes_of((const uint8_t *)"/n", 2);
    rsp_buf trig = RSP_BUF_INIT;
    assert_int_equal(rsp_scp81_trigger_build(&t, &trig), RSP_OK);
    size_t at = E.ngot;
    send_packet("447700900010", 0x000001, trig.data, trig.len, NULL);
    rsp_buf_free(&trig);
    assert_true(run_until(held, 8000)); /* the enable ran; its answer waits here */
    run_until(NULL, 500);              /* the daemon ticks: the switch notification is due */
    rsp_scp81_server_resp r = {true, NULL, NULL, 0};
    rsp_buf hdr = RSP_BUF_INIT;
    int status = 0;
    assert_int_equal(rsp_scp81_server_headers(&r, &status, &hdr), RSP_OK);
    rsp_buf_append_byte(&hdr, 0);
    rsp_http_respond(E.held, status, (const char *)hdr.data, NULL, 0);
    rsp_buf_free(&hdr);
    E.held = NULL;
    assert_true(run_until(notif_done, 5000));
    assert_int_equal(E.notif_type, 0x02); /* profile change succeeded */
    assert_true(strncmp(E.last_target, "/n?msg=E1", 9) == 0);
    /* It went over HTTPS, not as an SMS. */
    for (size_t i = at; i < E.ngot; i++)
        assert_false(E.got[i].short_message[1] == 0x70);
    char ans[RSP_FLEET_CTL_ANSWER_MAX];
    for (int i = 0; i < 100; i++) {
        assert_int_equal(rsp_fleet_ctl_call(E.ctl, "status", 2000, ans, sizeof(ans)), RSP_OK);
        if (strstr(ans, "\"admin_ok\":1"))
            break;
        run_until(NULL, 20);
    }
    assert_non_null(strstr(ans, "\"admin_ok\":1"));
    E.notif_mode = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_down_fallback_notification),
        cmocka_unit_test(test_kill9_mid_download),
        cmocka_unit_test(test_notification_in_session),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
