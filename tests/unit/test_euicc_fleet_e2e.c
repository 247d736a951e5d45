/* Black-box test of the fleet daemon: `rsp smsc` and `rsp euicc run` as separate processes on ports
 * picked here, a fleet made by `rsp eum make`, and this program as both the SM-SR's ESME and its
 * PSK-TLS admin server (net layer). Checked:
 * - at start every card sends its pending notification as an MO SMS from its own MSISDN: a command
 *   packet secured with the card's SCP80 keys (from keys-out) carrying E1 {4C EID, 4D type, 4E seq};
 * - an SMS-PP (SCP80, built with the host codec) to a card's MSISDN reaches that card and its PoR
 *   comes back, opened and checked with the keys of keys-out (GET DATA 5A on the ECASD -> the EID);
 *   40 at once to 40 cards all come back, committed in NVM groups (status nvm_groups < nvm_grouped);
 * - a trigger opens an SCP81 admin session (PSK-TLS 1.2, the card's PSK): first POST without body,
 *   a GET DATA FF21 script, its response with X-Admin-Script-Status ok, then 204; a session the
 *   server breaks off is resumed (X-Admin-Resume) as the trigger's retry policy allows; 98 sessions
 *   at once all end with 204;
 * - offline: the SMS is not answered; online again: it is; drop-sms 100: lost; drop-sms 0: answered;
 *   switching a device off in the middle of its admin session ends the session;
 * - net-down on a card with no other profile is refused (bad-state, exit 1) and sends nothing;
 * - reset, and kill -9 of the daemon in the middle of an admin session, then a restart: the card
 *   opens consistent, its SCP80 counter survived (the replayed trigger gets PoR status 02) and it
 *   answers the next SMS; SIGTERM stops it cleanly (exit 0, control socket removed).
 * Everything started here is killed in the teardown, also when a check fails. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "euicc/fleet_int.h"
#include "rsp/http.h"
#include "rsp/ids.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/scp81.h"
#include "rsp/smpp.h"
#include "rsp/tls.h"
#include "testutil.h"

#define SMSR_MSISDN "447700100999"
#define NCARDS 100 /* enough for 98 admin sessions at once */
#define MAX_GOT 1024

typedef struct card_keys {
    char eid[33], msisdn[24], psk_id[160];
    uint8_t kic[16], kid[16], psk[16];
    uint64_t cntr;
} card_keys;

typedef struct env {
    char dir[64], fleet[128], keys[128], ctl[128], runlog[128];
    uint16_t smsc_port, https_port;
    pid_t smsc, run;
    struct event_base *base;
    rsp_smpp_esme *esme;
    rsp_smpp_pdu got[MAX_GOT];
    size_t ngot;
    card_keys card[NCARDS];
    rsp_tls_ctx *tls;
    rsp_http_server *http;
    /* admin server */
    int posts, ended, hold, fail_next, resumed_posts;
    char last_status[32];
    rsp_buf script_resp;
    rsp_http_req *held;
} env;

static env E;

/* ---- processes ---- */

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

static int ctl(const char *line, char *ans, size_t cap)
{
    return (int)rsp_fleet_ctl_call(E.ctl, line, 5000, ans, cap);
}

/* Waits until the daemon answers on its control socket and its binds are up. */
static void wait_daemon(void)
{
    char ans[RSP_FLEET_CTL_ANSWER_MAX];
    for (int i = 0; i < 300; i++) {
        if (ctl("status", ans, sizeof(ans)) == RSP_OK && strstr(ans, "\"binds_up\":1"))
            return;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("daemon not ready (see %s; RSP_KEEP_TMP=1 keeps it)", E.runlog);
}

static void start_daemon(void)
{
    char smsc[32];
    snprintf(smsc, sizeof(smsc), "127.0.0.1:%u", E.smsc_port);
    const char *argv[] = {tu_rsp_bin(), "euicc", "run", "--fleet", E.fleet, "--smsc", smsc, "--control", E.ctl,
                          "--tick-ms", "50", "--admin-timeout-ms", "5000", "--admin-retry-ms", "100", NULL};
    E.run = spawn(argv, E.runlog);
    wait_daemon();
}

/* ---- the event loop of this process (ESME and admin server) ---- */

typedef bool (*pred_fn)(void);

static void loop_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pred_fn p = (pred_fn)arg;
    if (!p || p())
        event_base_loopbreak(E.base);
}

/* Runs the loop until pred() holds or ms pass; returns pred's final value. */
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

static uint32_t on_deliver(void *arg, const rsp_smpp_pdu *pdu)
{
    (void)arg;
    if (!(pdu->esm_class & RSP_SMPP_ESM_RECEIPT) && E.ngot < MAX_GOT)
        E.got[E.ngot++] = *pdu;
    return RSP_SMPP_ROK;
}

/* ---- keys-out ---- */

static bool field(const char *line, const char *key, char *out, size_t cap)
{
    char pat[40];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = strstr(line, pat);
    if (!p)
        return false;
    p += strlen(pat);
    size_t n = strcspn(p, "\"");
    if (n >= cap)
        return false;
    memcpy(out, p, n);
    out[n] = 0;
    return true;
}

static void hex16(const char *line, const char *key, uint8_t out[16])
{
    char h[40];
    rsp_buf b = RSP_BUF_INIT;
    assert_true(field(line, key, h, sizeof(h)));
    tu_hex(h, &b);
    assert_int_equal(b.len, 16);
    memcpy(out, b.data, 16);
    rsp_buf_free_secret(&b);
}

static void load_keys(void)
{
    rsp_buf f = RSP_BUF_INIT;
    tu_read_file(E.keys, &f);
    rsp_buf_append_byte(&f, 0);
    char *save = NULL;
    size_t i = 0;
    for (char *line = strtok_r((char *)f.data, "\n", &save); line && i < NCARDS; line = strtok_r(NULL, "\n", &save), i++) {
        card_keys *k = &E.card[i];
        assert_true(field(line, "eid", k->eid, sizeof(k->eid)));
        assert_true(field(line, "msisdn", k->msisdn, sizeof(k->msisdn)));
        assert_true(field(line, "psk_id", k->psk_id, sizeof(k->psk_id)));
        hex16(line, "kic", k->kic);
        hex16(line, "kid", k->kid);
        hex16(line, "psk", k->psk);
    }
    assert_int_equal(i, NCARDS);
    rsp_buf_free_secret(&f);
}

/* ---- SCP80 as the SM-SR ---- */

static rsp_scp80_hdr cmd_hdr(card_keys *k, uint32_t tar, uint64_t cntr)
{
    rsp_scp80_hdr h;
    memset(&h, 0, sizeof(h));
    h.spi[0] = 0x16; /* CC, ciphered, counter must be higher */
    h.spi[1] = 0x39; /* PoR always, CC, ciphered, by SMS-SUBMIT */
    h.kic = 0x12;    /* KVN 1, AES-CBC */
    h.kid = 0x12;    /* KVN 1, AES-CMAC */
    h.tar[0] = (uint8_t)(tar >> 16), h.tar[1] = (uint8_t)(tar >> 8), h.tar[2] = (uint8_t)tar;
    for (int i = 0; i < 5; i++)
        h.cntr[i] = (uint8_t)(cntr >> (8 * (4 - i)));
    (void)k;
    return h;
}

/* Sends one secured packet to card c: script data to tar with counter cntr. */
static void send_packet(int c, uint32_t tar, uint64_t cntr, const uint8_t *data, size_t len, rsp_scp80_hdr *h_out)
{
    card_keys *k = &E.card[c];
    rsp_scp80_keys keys = {k->kic, 16, k->kid, 16};
    rsp_scp80_hdr h = cmd_hdr(k, tar, cntr);
    uint8_t pkt[200];
    size_t n = 0;
    assert_int_equal(rsp_scp80_cmd_build(&keys, &h, data, len, pkt, sizeof(pkt), &n, NULL), RSP_OK);
    assert_true(n + 3 <= 140);
    rsp_smpp_pdu sm;
    rsp_smpp_pdu_init(&sm, RSP_SMPP_SUBMIT_SM, 0);
    strcpy(sm.source_addr, SMSR_MSISDN);
    sm.src_ton = sm.dst_ton = 1;
    sm.src_npi = sm.dst_npi = 1;
    strcpy(sm.dest_addr, k->msisdn);
    sm.esm_class = RSP_SMPP_ESM_UDHI;
    sm.protocol_id = 0x7F;
    sm.data_coding = 0xF6;
    sm.short_message[0] = 0x02, sm.short_message[1] = 0x70, sm.short_message[2] = 0x00;
    memcpy(sm.short_message + 3, pkt, n);
    sm.sm_length = (uint8_t)(n + 3);
    assert_int_equal(rsp_smpp_esme_submit(E.esme, &sm, NULL, NULL), RSP_OK);
    if (h_out)
        *h_out = h;
}

static size_t por_index;
static const char *por_from;
static bool have_por(void)
{
    for (size_t i = por_index; i < E.ngot; i++)
        if (!strcmp(E.got[i].source_addr, por_from) && E.got[i].sm_length > 3 && E.got[i].short_message[1] == 0x71)
            return true;
    return false;
}

/* Waits for the PoR from card c (UDH 71) after index `from`; opens it with the card's keys. Returns
 * false when none came within ms. */
static bool wait_por(int c, size_t from, const rsp_scp80_hdr *h, unsigned ms, rsp_scp80_por *por, uint8_t *work)
{
    por_index = from;
    por_from = E.card[c].msisdn;
    if (!run_until(have_por, ms))
        return false;
    for (size_t i = from; i < E.ngot; i++) {
        const rsp_smpp_pdu *p = &E.got[i];
        if (strcmp(p->source_addr, por_from) || p->short_message[1] != 0x71)
            continue;
        assert_int_equal(p->dst_ton, 1);
        assert_string_equal(p->dest_addr, SMSR_MSISDN);
        assert_int_equal(p->esm_class & RSP_SMPP_ESM_UDHI, RSP_SMPP_ESM_UDHI);
        rsp_scp80_keys keys = {E.card[c].kic, 16, E.card[c].kid, 16};
        assert_int_equal(rsp_scp80_por_open(&keys, h, p->short_message, p->sm_length, work, 300, por, NULL), RSP_OK);
        return true;
    }
    return false;
}

/* GET DATA 5A to the ECASD of card c by SMS; asserts the PoR carries the card's EID. */
static void sms_get_eid(int c)
{
    static const uint8_t script[] = {0x80, 0xCA, 0x00, 0x5A, 0x00};
    rsp_scp80_hdr h;
    size_t from = E.ngot;
    send_packet(c, 0x000002, ++E.card[c].cntr, script, sizeof(script), &h);
    rsp_scp80_por por;
    uint8_t work[300];
    assert_true(wait_por(c, from, &h, 5000, &por, work));
    assert_int_equal(por.status, 0);
    assert_true(por.cc_valid);
    /* compact response: count 01 | SW 9000 | 5A 10 EID */
    uint8_t want[3 + 18] = {0x01, 0x90, 0x00, 0x5A, 0x10};
    assert_int_equal(rsp_eid_to_bytes(E.card[c].eid, want + 5), RSP_OK);
    assert_int_equal(por.data_len, sizeof(want));
    assert_memory_equal(por.data, want, sizeof(want));
}

/* ---- SCP81 admin server ---- */

static rsp_err psk_lookup(void *arg, const char *identity, uint8_t *key, size_t keymax, size_t *keylen)
{
    (void)arg;
    for (int i = 0; i < NCARDS; i++)
        if (!strcmp(identity, E.card[i].psk_id) && keymax >= 16) {
            memcpy(key, E.card[i].psk, 16);
            *keylen = 16;
            return RSP_OK;
        }
    return RSP_ERR_NOT_FOUND;
}

static void admin_handler(void *arg, rsp_http_req *req)
{
    (void)arg;
    E.posts++;
    size_t blen = 0;
    const uint8_t *body = rsp_http_req_body(req, &blen);
    const char *proto = rsp_http_req_header(req, "X-Admin-Protocol");
    const char *from = rsp_http_req_header(req, "X-Admin-From");
    const char *st = rsp_http_req_header(req, "X-Admin-Script-Status");
    const char *resume = rsp_http_req_header(req, "X-Admin-Resume");
    const rsp_net_peer *peer = rsp_http_req_peer(req);
    int who = -1;
    for (int i = 0; i < NCARDS && who < 0 && from; i++)
        if (strstr(from, E.card[i].eid))
            who = i;
    /* The TLS layer authenticated the card's own PSK identity, and the headers name the same EID. */
    if (!proto || strcmp(proto, RSP_SCP81_PROTOCOL) || who < 0 || peer->kind != RSP_NET_PEER_PSK ||
        strcmp(peer->psk_identity, E.card[who].psk_id)) {
        rsp_http_respond(req, 400, NULL, NULL, 0);
        return;
    }
    if (resume && !strcmp(resume, "true"))
        E.resumed_posts++;
    if (blen == 0 && E.fail_next > 0 && !resume) {
        E.fail_next--;
        rsp_http_respond(req, 500, NULL, NULL, 0); /* the session breaks off */
        return;
    }
    rsp_buf hdr = RSP_BUF_INIT;
    int status = 0;
    if (blen == 0) {
        /* First POST: the card opens; with `hold` the test kills the daemon now. */
        if (E.hold) {
            E.held = req;
            return;
        }
        static const uint8_t get_ff21[] = {0x80, 0xCA, 0xFF, 0x21, 0x00};
        rsp_bytes cmds[1] = {{get_ff21, sizeof(get_ff21)}};
        rsp_buf script = RSP_BUF_INIT;
        assert_int_equal(rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, cmds, 1, &script), RSP_OK);
        rsp_scp81_server_resp r = {false, "/admin/next", NULL, 0};
        assert_int_equal(rsp_scp81_server_headers(&r, &status, &hdr), RSP_OK);
        rsp_buf_append_byte(&hdr, 0);
        rsp_http_respond(req, status, (const char *)hdr.data, script.data, script.len);
        rsp_buf_free(&script);
    } else {
        snprintf(E.last_status, sizeof(E.last_status), "%s", st ? st : "");
        rsp_buf_set(&E.script_resp, body, blen);
        rsp_scp81_server_resp r = {true, NULL, NULL, 0};
        assert_int_equal(rsp_scp81_server_headers(&r, &status, &hdr), RSP_OK);
        rsp_buf_append_byte(&hdr, 0);
        rsp_http_respond(req, status, (const char *)hdr.data, NULL, 0);
        E.ended++;
    }
    rsp_buf_free(&hdr);
}

static void trigger_data(rsp_buf *out, uint8_t retry)
{
    uint8_t conn[5] = {0x3C, 0x03, 0x02, (uint8_t)(E.https_port >> 8), (uint8_t)E.https_port};
    rsp_scp81_trigger t;
    memset(&t, 0, sizeof(t));
    t.conn = rsp_bytes_of(conn, sizeof(conn));
    t.host = rsp_bytes_of((const uint8_t *)"127.0.0.1", 9);
    t.uri = rsp_bytes_of((const uint8_t *)"/admin", 6);
    uint8_t rp[1] = {retry};
    if (retry)
        t.retry = rsp_bytes_of(rp, 1);
    assert_int_equal(rsp_scp81_trigger_build(&t, out), RSP_OK);
}

static bool admin_ended(void)
{
    return E.ended > 0;
}
static bool admin_held(void)
{
    return E.held != NULL;
}

/* ---- setup / teardown ---- */

static int setup(void **state)
{
    (void)state;
    memset(&E, 0, sizeof(E));
    snprintf(E.dir, sizeof(E.dir), "/tmp/rsp-fleet-test-XXXXXX");
    assert_non_null(mkdtemp(E.dir));
    snprintf(E.fleet, sizeof(E.fleet), "%s/fleet", E.dir);
    snprintf(E.keys, sizeof(E.keys), "%s/keys.jsonl", E.dir);
    snprintf(E.ctl, sizeof(E.ctl), "%s/ctl.sock", E.dir);
    snprintf(E.runlog, sizeof(E.runlog), "%s/run.log", E.dir);
    E.smsc_port = free_port();
    E.https_port = free_port();
    char cmd[2048];
    const char *bin = tu_rsp_bin();
    snprintf(cmd, sizeof(cmd),
             "set -e; cd %s; %s ci init --dir pki >/dev/null; %s ci issue --dir pki --role eum --id EUM-T --out eum >/dev/null;"
             "%s eum make --ci pki --eum eum --profile %s/profiles/TS48v7_SAIP2.3_NoBERTLV.der --smsr-id SMSR-T"
             " --count %d --out fleet --keys-out keys.jsonl --transport-key 000102030405060708090a0b0c0d0e0f"
             " --msisdn-start 447700900100 --smsr-msisdn %s --smsr-host 127.0.0.1 --smsr-port %u --smsr-uri /admin >make.log 2>&1",
             E.dir, bin, bin, bin, getenv("RSP_SHARED_DIR") ? getenv("RSP_SHARED_DIR") : RSP_SHARED_DIR, NCARDS,
             SMSR_MSISDN, E.https_port);
    assert_int_equal(tu_run(cmd, NULL), 0);
    load_keys();

    char listen[32], log[128];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", E.smsc_port);
    snprintf(log, sizeof(log), "%s/smsc.log", E.dir);
    const char *sargv[] = {bin, "smsc", "--listen", listen, NULL};
    E.smsc = spawn(sargv, log);

    /* The SM-SR binds first, so the cards' first notifications find it. */
    E.base = event_base_new();
    rsp_smpp_esme_opts eo = {0};
    eo.host = "127.0.0.1";
    eo.port = E.smsc_port;
    eo.system_id = "smsr";
    eo.password = "x";
    eo.address_range = SMSR_MSISDN;
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
    rsp_buf_free(&E.script_resp);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", E.dir);
    if (!getenv("RSP_KEEP_TMP"))
        tu_run(cmd, NULL);
    return 0;
}

/* ---- the tests, in order ---- */

static bool two_notifs(void)
{
    int n = 0;
    for (size_t i = 0; i < E.ngot; i++)
        n += E.got[i].short_message[1] == 0x70;
    return n >= NCARDS;
}

static void test_first_notifications(void **state)
{
    (void)state;
    assert_true(run_until(two_notifs, 5000));
    for (int c = 0; c < NCARDS; c++) {
        const rsp_smpp_pdu *p = NULL;
        for (size_t i = 0; i < E.ngot; i++)
            if (!strcmp(E.got[i].source_addr, E.card[c].msisdn) && E.got[i].short_message[1] == 0x70)
                p = &E.got[i];
        assert_non_null(p);
        assert_string_equal(p->dest_addr, SMSR_MSISDN);
        rsp_scp80_keys keys = {E.card[c].kic, 16, E.card[c].kid, 16};
        uint8_t work[300];
        rsp_scp80_cmd cmd;
        assert_int_equal(rsp_scp80_cmd_open(&keys, p->short_message + 3, p->sm_length - 3u, work, sizeof(work), &cmd, NULL),
                         RSP_OK);
        /* E1 { 4C 10 EID, 4D 01 type, 4E 02 seq, ... } */
        uint8_t eid[16];
        assert_int_equal(rsp_eid_to_bytes(E.card[c].eid, eid), RSP_OK);
        assert_true(cmd.data_len > 24);
        assert_int_equal(cmd.data[0], 0xE1);
        assert_int_equal(cmd.data[2], 0x4C);
        assert_int_equal(cmd.data[3], 0x10);
        assert_memory_equal(cmd.data + 4, eid, 16);
        assert_int_equal(cmd.data[20], 0x4D);
        /* Unconfirmed: the daemon's timer holds the card's resend time (its back-off, 30 s first). */
        char line[64], ans[RSP_FLEET_CTL_ANSWER_MAX];
        snprintf(line, sizeof(line), "status %s", E.card[c].eid);
        assert_int_equal(ctl(line, ans, sizeof(ans)), RSP_OK);
        const char *nt = strstr(ans, "\"next_tick_ms\":");
        assert_non_null(nt);
        long ms = strtol(nt + 15, NULL, 10);
        if (ms < 15000 || ms > 30000)
            fail_msg("next resend in %ld ms: %s", ms, ans);
    }
}

static void test_sms_por(void **state)
{
    (void)state;
    sms_get_eid(0);
    sms_get_eid(1);
    char ans[RSP_FLEET_CTL_ANSWER_MAX];
    assert_int_equal(ctl("status", ans, sizeof(ans)), RSP_OK);
    assert_non_null(strstr(ans, "\"sms_to_card\":2"));
}

/* 40 SMS-PP to 40 cards at once: every PoR verifies (status 00, the card's EID), and the daemon
 * committed them in groups (one NVM transaction per loop turn, fleet_group.c), answers only after. */
static void test_burst_grouped(void **state)
{
    (void)state;
    static const uint8_t script[] = {0x80, 0xCA, 0x00, 0x5A, 0x00};
    enum { FIRST = 10, N = 40 };
    rsp_scp80_hdr h[N];
    size_t from = E.ngot;
    for (int i = 0; i < N; i++)
        send_packet(FIRST + i, 0x000002, ++E.card[FIRST + i].cntr, script, sizeof(script), &h[i]);
    for (int i = 0; i < N; i++) {
        rsp_scp80_por por;
        uint8_t work[300];
        assert_true(wait_por(FIRST + i, from, &h[i], 10000, &por, work));
        assert_int_equal(por.status, 0);
        assert_true(por.cc_valid);
        uint8_t eid[16];
        assert_int_equal(rsp_eid_to_bytes(E.card[FIRST + i].eid, eid), RSP_OK);
        assert_int_equal(por.data_len, 3 + 18);
        assert_memory_equal(por.data + 5, eid, 16);
    }
    char ans[RSP_FLEET_CTL_ANSWER_MAX];
    assert_int_equal(ctl("status", ans, sizeof(ans)), RSP_OK);
    const char *g = strstr(ans, "\"nvm_groups\":"), *gd = strstr(ans, "\"nvm_grouped\":"),
               *gf = strstr(ans, "\"nvm_group_failed\":");
    assert_non_null(g);
    assert_non_null(gd);
    assert_non_null(gf);
    long groups = strtol(g + 13, NULL, 10), grouped = strtol(gd + 14, NULL, 10);
    assert_int_equal(strtol(gf + 19, NULL, 10), 0);
    /* every card's first notification and these PoRs went through groups, several per group */
    assert_true(grouped >= NCARDS + N);
    assert_true(groups >= 1);
    assert_true(groups < grouped);
    /* each group is one NVM transaction; cards outside a group commit on their own */
    const char *nc = strstr(ans, "\"nvm_commits\":");
    assert_non_null(nc);
    assert_true(strtol(nc + 14, NULL, 10) >= groups);
}

static void test_admin_session(void **state)
{
    (void)state;
    rsp_buf trig = RSP_BUF_INIT;
    trigger_data(&trig, 0);
    rsp_scp80_hdr h;
    size_t from = E.ngot;
    send_packet(0, 0x000001, ++E.card[0].cntr, trig.data, trig.len, &h);
    rsp_buf_free(&trig);
    rsp_scp80_por por;
    uint8_t work[300];
    assert_true(wait_por(0, from, &h, 5000, &por, work));
    assert_int_equal(por.status, 0);
    assert_true(run_until(admin_ended, 8000));
    assert_int_equal(E.posts, 2);
    assert_string_equal(E.last_status, "ok");
    rsp_rapdu_resp r;
    assert_int_equal(rsp_rapdu_resp_parse(RSP_RAPDU_EXPANDED, E.script_resp.data, E.script_resp.len, &r, NULL), RSP_OK);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.rsps[0].sw, 0x9000);
    assert_true(r.rsps[0].len > 3);
    assert_int_equal(r.rsps[0].p[0], 0xFF);
    assert_int_equal(r.rsps[0].p[1], 0x21);
    char ans[RSP_FLEET_CTL_ANSWER_MAX];
    for (int i = 0; i < 100; i++) { /* the 204 is handled a moment after the server sent it */
        assert_int_equal(ctl("status", ans, sizeof(ans)), RSP_OK);
        if (strstr(ans, "\"admin_ok\":1"))
            break;
        run_until(NULL, 20);
    }
    assert_non_null(strstr(ans, "\"admin_ok\":1"));
    assert_non_null(strstr(ans, "\"admin_active\":0"));
}

static bool status_has(const char *want)
{
    char ans[RSP_FLEET_CTL_ANSWER_MAX];
    for (int i = 0; i < 200; i++) {
        if (ctl("status", ans, sizeof(ans)) == RSP_OK && strstr(ans, want))
            return true;
        run_until(NULL, 20);
    }
    fprintf(stderr, "status: %s\n", ans);
    return false;
}

/* The server answers the first POST with 500: the card is told the session broke off, and the agent
 * opens it again (trigger retry policy 1) with X-Admin-Resume: true, which then runs to its 204. */
static void test_admin_resume(void **state)
{
    (void)state;
    E.posts = E.ended = E.resumed_posts = 0;
    E.fail_next = 1;
    rsp_buf trig = RSP_BUF_INIT;
    trigger_data(&trig, 1);
    send_packet(0, 0x000001, ++E.card[0].cntr, trig.data, trig.len, NULL);
    rsp_buf_free(&trig);
    assert_true(run_until(admin_ended, 8000));
    assert_int_equal(E.posts, 3);
    assert_int_equal(E.resumed_posts, 1);
    assert_string_equal(E.last_status, "ok");
    assert_true(status_has("\"admin_ok\":2,\"admin_failed\":0,\"admin_resumed\":1,\"admin_active\":0"));
}

static int ended_target;
static bool many_ended(void)
{
    return E.ended >= ended_target;
}

/* Every other card triggered at once: 98 PSK-TLS sessions on the daemon's one loop. */
static void test_many_sessions(void **state)
{
    (void)state;
    E.posts = E.ended = 0;
    rsp_buf trig = RSP_BUF_INIT;
    trigger_data(&trig, 0);
    for (int c = 2; c < NCARDS; c++)
        send_packet(c, 0x000001, ++E.card[c].cntr, trig.data, trig.len, NULL);
    rsp_buf_free(&trig);
    ended_target = NCARDS - 2;
    assert_true(run_until(many_ended, 30000));
    assert_int_equal(E.posts, 2 * (NCARDS - 2));
    char want[120];
    snprintf(want, sizeof(want), "\"admin_opened\":%d,\"admin_ok\":%d,\"admin_failed\":0", NCARDS, NCARDS);
    assert_true(status_has(want));
    assert_true(status_has("\"admin_active\":0"));
}

static void test_offline_drop(void **state)
{
    (void)state;
    char line[128], ans[RSP_FLEET_CTL_ANSWER_MAX];
    static const uint8_t script[] = {0x80, 0xCA, 0x00, 0x5A, 0x00};
    rsp_scp80_hdr h;
    rsp_scp80_por por;
    uint8_t work[300];

    snprintf(line, sizeof(line), "offline %s", E.card[1].eid);
    assert_int_equal(ctl(line, ans, sizeof(ans)), RSP_OK);
    assert_non_null(strstr(ans, "\"online\":false"));
    size_t from = E.ngot;
    send_packet(1, 0x000002, ++E.card[1].cntr, script, sizeof(script), &h);
    assert_false(wait_por(1, from, &h, 700, &por, work));
    assert_int_equal(ctl("status", ans, sizeof(ans)), RSP_OK);
    assert_non_null(strstr(ans, "\"sms_offline\":1"));
    snprintf(line, sizeof(line), "online %s", E.card[1].eid);
    assert_int_equal(ctl(line, ans, sizeof(ans)), RSP_OK);
    sms_get_eid(1);

    /* Off for one second: on again by itself. */
    snprintf(line, sizeof(line), "offline %s 1", E.card[1].eid);
    assert_int_equal(ctl(line, ans, sizeof(ans)), RSP_OK);
    from = E.ngot;
    send_packet(1, 0x000002, ++E.card[1].cntr, script, sizeof(script), &h);
    assert_false(wait_por(1, from, &h, 500, &por, work));
    assert_true(status_has("\"sms_offline\":2"));
    run_until(NULL, 700);
    sms_get_eid(1);

    assert_int_equal(ctl("drop-sms 100", ans, sizeof(ans)), RSP_OK);
    from = E.ngot;
    send_packet(1, 0x000002, ++E.card[1].cntr, script, sizeof(script), &h);
    assert_false(wait_por(1, from, &h, 700, &por, work));
    assert_int_equal(ctl("status", ans, sizeof(ans)), RSP_OK);
    assert_non_null(strstr(ans, "\"sms_dropped\":1"));
    assert_int_equal(ctl("drop-sms 0", ans, sizeof(ans)), RSP_OK);
    sms_get_eid(1);
}

/* Switching a device off in the middle of its admin session ends the session (told to the card). */
static void test_offline_ends_session(void **state)
{
    (void)state;
    rsp_buf trig = RSP_BUF_INIT;
    trigger_data(&trig, 0);
    E.hold = 1;
    E.held = NULL;
    send_packet(1, 0x000001, ++E.card[1].cntr, trig.data, trig.len, NULL);
    rsp_buf_free(&trig);
    assert_true(run_until(admin_held, 8000));
    assert_true(status_has("\"admin_active\":1"));
    char line[128], ans[RSP_FLEET_CTL_ANSWER_MAX];
    snprintf(line, sizeof(line), "offline %s 60", E.card[1].eid);
    assert_int_equal(ctl(line, ans, sizeof(ans)), RSP_OK);
    assert_true(status_has("\"admin_failed\":1,\"admin_resumed\":1,\"admin_active\":0"));
    snprintf(line, sizeof(line), "online %s", E.card[1].eid);
    assert_int_equal(ctl(line, ans, sizeof(ans)), RSP_OK);
    run_until(NULL, 100); /* the server sees the connection close */
    E.hold = 0;
    E.held = NULL;
    sms_get_eid(1);
}

static void test_net_down_refused_and_reset(void **state)
{
    (void)state;
    /* Through the CLI: a card whose only profile is the enabled one has nothing to fall back to. */
    char cmd[512], *out = NULL;
    size_t from = E.ngot;
    snprintf(cmd, sizeof(cmd), "%s euicc ctl --control %s --json net-down %s", tu_rsp_bin(), E.ctl, E.card[1].eid);
    assert_int_equal(tu_run(cmd, &out), 1);
    assert_non_null(strstr(out, "\"error\":\"bad-state\""));
    free(out);
    snprintf(cmd, sizeof(cmd), "%s euicc ctl --control %s net-down 123", tu_rsp_bin(), E.ctl);
    assert_int_equal(tu_run(cmd, NULL), 2);
    run_until(NULL, 300);
    for (size_t i = from; i < E.ngot; i++)
        assert_string_not_equal(E.got[i].source_addr, E.card[1].msisdn);

    char line[128], ans[RSP_FLEET_CTL_ANSWER_MAX];
    snprintf(line, sizeof(line), "reset %s", E.card[1].eid);
    assert_int_equal(ctl(line, ans, sizeof(ans)), RSP_OK);
    assert_non_null(strstr(ans, "\"reset\":true"));
    sms_get_eid(1); /* the counter survived the power cut: the next one is still accepted */
    assert_int_equal(ctl("reset 89049032000000000000000000000999", ans, sizeof(ans)), RSP_OK);
    assert_non_null(strstr(ans, "\"error\":\"not-found\""));
}

static void test_kill9_restart(void **state)
{
    (void)state;
    rsp_buf trig = RSP_BUF_INIT;
    trigger_data(&trig, 0);
    E.hold = 1;
    E.held = NULL;
    rsp_scp80_hdr h;
    uint64_t cntr = ++E.card[0].cntr;
    send_packet(0, 0x000001, cntr, trig.data, trig.len, &h);
    assert_true(run_until(admin_held, 8000));
    /* The admin session is open (its first POST is waiting here): power is cut under it. */
    stop(&E.run, SIGKILL);
    run_until(NULL, 200);
    E.held = NULL; /* released by the server when the connection closed */
    E.hold = 0;
    start_daemon();
    /* The same trigger again: its counter was committed before the card acted, so it is a replay. */
    size_t from = E.ngot;
    send_packet(0, 0x000001, cntr, trig.data, trig.len, &h);
    rsp_scp80_por por;
    uint8_t work[300];
    assert_true(wait_por(0, from, &h, 5000, &por, work));
    assert_int_equal(por.status, 0x02); /* counter low */
    rsp_buf_free(&trig);
    sms_get_eid(0);


    /* SIGTERM with an admin session open: clean stop (the session is told to the card as broken
     * off; under ASan a leak would change the exit code), control socket removed. */
    trigger_data(&trig, 0);
    E.hold = 1;
    E.held = NULL;
    send_packet(0, 0x000001, ++E.card[0].cntr, trig.data, trig.len, NULL);
    rsp_buf_free(&trig);
    assert_true(run_until(admin_held, 8000));
    kill(E.run, SIGTERM);
    int st = 0;
    assert_int_equal(waitpid(E.run, &st, 0), E.run);
    E.run = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_not_equal(access(E.ctl, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_notifications),
        cmocka_unit_test(test_sms_por),
        cmocka_unit_test(test_burst_grouped),
        cmocka_unit_test(test_admin_session),
        cmocka_unit_test(test_admin_resume),
        cmocka_unit_test(test_many_sessions),
        cmocka_unit_test(test_offline_drop),
        cmocka_unit_test(test_offline_ends_session),
        cmocka_unit_test(test_net_down_refused_and_reset),
        cmocka_unit_test(test_kill9_restart),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
