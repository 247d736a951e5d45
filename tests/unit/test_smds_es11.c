/* `rsp smds run` as a separate process: ES12 registrations over mutual TLS (our DPtls certificate),
 * then ES11 driven over HTTPS by an LPA played here with a consumer card of `rsp eum make --sgp22`
 * (APDUs through its ES10 transport) and the ES9+/ES11 codec. The card verifies CERT.DSauth and
 * serverSignature1 itself, so the common mutual authentication is checked by a peer built from
 * SGP22.md independently of the server. Refusals: wrong address (8.8.1/3.8), a card of another CI
 * (8.8.2/3.1), a tampered euiccSignature1 (8.1/6.1), an unknown or spent transactionId (8.10.1/3.9).
 * Outside fact: the /gsma/rsp2/es11/ path family and the smdsAddress field name of SGP22.md, sent as
 * text written here. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "testutil.h"

#include "rsp/es10.h"
#include "rsp/es9p.h"
#include "rsp/http.h"
#include "rsp/smds.h"
#include "rsp/tls.h"
#include "rsp/tlv.h"

#define OTHER_EID "89049032123451234512345678901235"

static struct {
    char tmp[128], eid[33], eid2[33], address[64];
    pid_t pid;
    uint16_t port, port12;
    struct event_base *base;
    rsp_tls_ctx *tls, *tls12;
    rsp_es10_slot *slot[2];
} E;

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    char *out = NULL;
    int rc = tu_run(cmd, &out);
    if (rc != 0)
        fail_msg("'%s' -> %d: %s", cmd, rc, out);
    free(out);
}

static unsigned read_port(const char *name)
{
    char pf[256];
    snprintf(pf, sizeof(pf), "%s/%s", E.tmp, name);
    FILE *f = fopen(pf, "r");
    unsigned p = 0;
    if (f) {
        if (fscanf(f, "%u", &p) != 1)
            p = 0;
        fclose(f);
    }
    return p;
}

static void daemon_start(void)
{
    E.pid = fork();
    assert_true(E.pid >= 0);
    if (E.pid == 0) {
        char dir[200], log[200], pf[200], pf12[200], ca[200];
        snprintf(dir, sizeof(dir), "%s/S", E.tmp);
        snprintf(log, sizeof(log), "%s/smds.log", E.tmp);
        snprintf(pf, sizeof(pf), "%s/ds.port", E.tmp);
        snprintf(pf12, sizeof(pf12), "%s/ds12.port", E.tmp);
        snprintf(ca, sizeof(ca), "%s/ci/ci.crt.pem", E.tmp);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!freopen(log, "a", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(127);
        execl(tu_rsp_bin(), "rsp", "smds", "run", "--dir", dir, "--address", "localhost", "--listen", "127.0.0.1:0",
              "--port-file", pf, "--es12-listen", "127.0.0.1:0", "--es12-ca", ca, "--es12-port-file", pf12,
              (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600 && !(E.port = (uint16_t)read_port("ds.port")); i++) { /* 60 s on a loaded machine */
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    assert_true(E.port > 0);
    E.port12 = (uint16_t)read_port("ds12.port");
    assert_true(E.port12 > 0);
    snprintf(E.address, sizeof(E.address), "localhost:%u", E.port);
}

/* ---- HTTPS ---- */
typedef struct reply {
    int status;
    rsp_buf body;
    bool done;
} reply;

static void on_reply(void *arg, rsp_err err, const rsp_http_response *r)
{
    reply *rp = arg;
    rp->done = true;
    rp->status = err == RSP_OK ? r->status : -1;
    if (err == RSP_OK && r->body_len)
        rsp_buf_append(&rp->body, r->body, r->body_len);
    event_base_loopbreak(E.base);
}

/* One POST on a new connection (the server may close between calls). Returns the HTTP status. */
static int post(uint16_t port, rsp_tls_ctx *tls, const char *path, const uint8_t *body, size_t len, rsp_buf *out)
{
    rsp_http_client *cli = NULL;
    rsp_http_client_opts o = {"localhost", port, tls, 30000, 0};
    assert_int_equal(rsp_http_client_new(E.base, &o, &cli), RSP_OK);
    reply rp = {0, RSP_BUF_INIT, false};
    assert_int_equal(rsp_http_client_post(cli, path,
                                          "Content-Type: application/json\r\nX-Admin-Protocol: gsma/rsp/v2.2.0\r\n",
                                          body, len, on_reply, &rp),
                     RSP_OK);
    while (!rp.done)
        event_base_dispatch(E.base);
    rsp_http_client_free(cli);
    rsp_buf_reset(out);
    rsp_buf_append(out, rp.body.data, rp.body.len);
    rsp_buf_free(&rp.body);
    return rp.status;
}

static void register_event(const char *eid, const char *id, const char *server)
{
    rsp_smds_es12_msg m;
    rsp_smds_es12_msg_init(&m, RSP_SMDS_REGISTER_EVENT, false);
    strcpy(m.requester, "dp1");
    strcpy(m.call_id, id);
    snprintf(m.eid, sizeof(m.eid), "%s", eid);
    snprintf(m.event_id, sizeof(m.event_id), "%s", id);
    snprintf(m.rsp_server_address, sizeof(m.rsp_server_address), "%s", server);
    rsp_buf b = RSP_BUF_INIT, out = RSP_BUF_INIT;
    assert_int_equal(rsp_smds_es12_encode(&m, &b, NULL), RSP_OK);
    assert_int_equal(post(E.port12, E.tls12, rsp_smds_es12_path(m.func), b.data, b.len, &out), 200);
    rsp_smds_es12_msg a;
    assert_int_equal(rsp_smds_es12_decode(m.func, true, out.data, out.len, &a, NULL), RSP_OK);
    assert_int_equal(a.header.status, RSP_ES9P_SUCCESS);
    rsp_buf_free(&b);
    rsp_buf_free(&out);
}

static void expect_code(const rsp_es9p_header *h, const char *subject, const char *reason)
{
    if (h->status != RSP_ES9P_FAILED || strcmp(h->subject_code, subject) || strcmp(h->reason_code, reason))
        fail_msg("want Failed %s/%s, got status %d %s/%s (%s)", subject, reason, h->status, h->subject_code,
                 h->reason_code, h->message);
}

/* ---- the card ---- */
static void apdu(rsp_es10_slot *s, const uint8_t *c, size_t n, rsp_buf *r)
{
    rsp_buf_reset(r);
    assert_int_equal(rsp_es10_card_apdu(s, c, n, r), RSP_OK);
    assert_true(r->len >= 2);
}

static void es10(rsp_es10_slot *s, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_buf r = RSP_BUF_INIT;
    rsp_buf_reset(resp);
    size_t off = 0;
    for (uint8_t blk = 0;; blk++) {
        size_t n = len - off > 255 ? 255 : len - off;
        uint8_t c[5 + 255] = {0x80, 0xE2, off + n < len ? 0x11 : 0x91, blk, (uint8_t)n};
        memcpy(c + 5, req + off, n);
        apdu(s, c, 5 + n, &r);
        off += n;
        if (off >= len)
            break;
        assert_int_equal(r.data[r.len - 2], 0x90);
    }
    for (;;) {
        uint8_t sw1 = r.data[r.len - 2], sw2 = r.data[r.len - 1];
        rsp_buf_append(resp, r.data, r.len - 2);
        if (sw1 == 0x90)
            break;
        if (sw1 != 0x61)
            fail_msg("ES10 SW %02X%02X", sw1, sw2);
        uint8_t g[5] = {0x80, 0xC0, 0x00, 0x00, sw2};
        apdu(s, g, 5, &r);
    }
    rsp_buf_free(&r);
}

static rsp_es10_slot *card_open(int i)
{
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/%s/%s", E.tmp, i ? "cards2" : "cards", i ? E.eid2 : E.eid);
    rsp_diag d = {0};
    if (!E.slot[i] && rsp_es10_card_open(dir, &E.slot[i], &d) != RSP_OK)
        fail_msg("card %s: %s", dir, d.msg);
    rsp_es10_card_reset_slot(E.slot[i]);
    static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                  0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00, 0x00};
    rsp_buf r = RSP_BUF_INIT;
    apdu(E.slot[i], sel, sizeof(sel), &r);
    rsp_buf_free(&r);
    return E.slot[i];
}

static rsp_bytes value_of(const rsp_buf *b)
{
    rsp_tlv t;
    assert_int_equal(rsp_tlv_parse(b->data, b->len, 0, &t, NULL), RSP_OK);
    return rsp_bytes_of(t.value, t.len);
}

enum tamper { T_NONE, T_SIG1, T_ADDRESS, T_REPLAY };
enum family { F_ES9P, F_ES11 };

/* initiateAuthentication; with F_ES11 the body names the server "smdsAddress" (written as text). */
static int initiate(rsp_es10_slot *card, enum family fam, const char *address, rsp_es9p_msg *ia)
{
    rsp_buf r = RSP_BUF_INIT, q = RSP_BUF_INIT, b = RSP_BUF_INIT, out = RSP_BUF_INIT;
    rsp_es10_empty_request(RSP_ES10_GET_CHALLENGE, &q);
    es10(card, q.data, q.len, &r);
    uint8_t chal[16];
    assert_int_equal(rsp_es10_challenge_response_decode(r.data, r.len, chal, NULL), RSP_OK);
    rsp_buf_reset(&q);
    rsp_es10_empty_request(RSP_ES10_EUICC_INFO1, &q);
    es10(card, q.data, q.len, &r);
    rsp_es9p_msg req;
    rsp_es9p_msg_init(&req, RSP_ES9P_INITIATE_AUTHENTICATION, false);
    rsp_buf_set(&req.euicc_challenge, chal, 16);
    rsp_buf_set(&req.euicc_info1, r.data, r.len);
    snprintf(req.smdp_address, sizeof(req.smdp_address), "%s", address);
    assert_int_equal(rsp_es9p_encode(&req, &b, NULL), RSP_OK);
    rsp_buf_append_byte(&b, 0);
    char *k = strstr((char *)b.data, "\"smdpAddress\"");
    assert_non_null(k);
    if (fam == F_ES11)
        k[4] = 's';
    int st = post(E.port, E.tls, fam == F_ES11 ? "/gsma/rsp2/es11/initiateAuthentication"
                                               : "/gsma/rsp2/es9plus/initiateAuthentication",
                  b.data, b.len - 1, &out);
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_INITIATE_AUTHENTICATION, true, out.data, out.len, ia, NULL), RSP_OK);
    rsp_es9p_msg_free(&req);
    rsp_buf_free(&r);
    rsp_buf_free(&q);
    rsp_buf_free(&b);
    rsp_buf_free(&out);
    return st;
}

/* The whole ES11 exchange for card 0; the authenticateClient answer into *a. */
static void discover(enum family fam, const char *mid, enum tamper t, rsp_es11_answer *a)
{
    rsp_es10_slot *card = card_open(0);
    rsp_es9p_msg ia;
    assert_int_equal(initiate(card, fam, t == T_ADDRESS ? "other.example.com" : E.address, &ia), 200);
    if (t == T_ADDRESS) {
        memset(a, 0, sizeof(*a));
        a->header = ia.header;
        rsp_es9p_msg_free(&ia);
        return;
    }
    assert_int_equal(ia.header.status, RSP_ES9P_SUCCESS);
    rsp_buf ctx = RSP_BUF_INIT, inner = RSP_BUF_INIT, r = RSP_BUF_INIT, q = RSP_BUF_INIT;
    if (mid)
        rsp_tlv_put(&inner, 0x80, mid, strlen(mid));
    static const uint8_t devinfo[] = {0xA1, 0x08, 0x80, 0x04, 0x35, 0x29, 0x06, 0x11, 0xA1, 0x00};
    rsp_buf_append(&inner, devinfo, sizeof(devinfo));
    rsp_tlv_put(&ctx, 0xA0, inner.data, inner.len);
    rsp_es10_auth_server_req as;
    memset(&as, 0, sizeof(as));
    as.signed1.raw = rsp_buf_view(&ia.server_signed1);
    as.server_signature1 = value_of(&ia.server_signature1);
    as.ci_pkid = value_of(&ia.euicc_ci_pkid);
    as.server_certificate = rsp_buf_view(&ia.server_certificate);
    as.ctx.raw = rsp_buf_view(&ctx);
    assert_int_equal(rsp_es10_auth_server_req_encode(&as, &q), RSP_OK);
    es10(card, q.data, q.len, &r);
    rsp_es10_auth_server_resp asr;
    assert_int_equal(rsp_es10_auth_server_resp_decode(r.data, r.len, &asr, NULL), RSP_OK);
    if (!asr.ok) /* the card checked CERT.DSauth and serverSignature1 */
        fail_msg("card refused AuthenticateServer with CERT.DSauth: %d", asr.error);
    if (t == T_SIG1)
        r.data[(size_t)(asr.euicc_signature1.p - r.data) + 63] ^= 1;
    rsp_es9p_msg req;
    rsp_es9p_msg_init(&req, RSP_ES9P_AUTHENTICATE_CLIENT, false);
    snprintf(req.transaction_id, sizeof(req.transaction_id), "%s", ia.transaction_id);
    rsp_buf_set(&req.authenticate_server_response, r.data, r.len);
    rsp_buf b = RSP_BUF_INIT, out = RSP_BUF_INIT;
    assert_int_equal(rsp_es9p_encode(&req, &b, NULL), RSP_OK);
    const char *path = fam == F_ES11 ? "/gsma/rsp2/es11/authenticateClient" : "/gsma/rsp2/es9plus/authenticateClient";
    assert_int_equal(post(E.port, E.tls, path, b.data, b.len, &out), 200);
    rsp_diag d = {0};
    if (rsp_es9p_es11_answer_decode(out.data, out.len, a, &d) != RSP_OK)
        fail_msg("ES11 answer: %s: %.*s", d.msg, (int)out.len, out.data);
    if (a->header.status == RSP_ES9P_SUCCESS)
        assert_string_equal(a->transaction_id, ia.transaction_id);
    if (t == T_REPLAY) { /* the same authenticateClient again: the session is spent */
        assert_int_equal(a->header.status, RSP_ES9P_SUCCESS);
        assert_int_equal(post(E.port, E.tls, path, b.data, b.len, &out), 200);
        assert_int_equal(rsp_es9p_es11_answer_decode(out.data, out.len, a, NULL), RSP_OK);
    }
    rsp_es9p_msg_free(&req);
    rsp_es9p_msg_free(&ia);
    rsp_buf_free(&ctx);
    rsp_buf_free(&inner);
    rsp_buf_free(&r);
    rsp_buf_free(&q);
    rsp_buf_free(&b);
    rsp_buf_free(&out);
}

static void test_events_of_the_eid(void **st)
{
    (void)st;
    rsp_es11_answer a;
    for (int fam = F_ES9P; fam <= F_ES11; fam++) {
        discover((enum family)fam, NULL, T_NONE, &a);
        assert_int_equal(a.header.status, RSP_ES9P_SUCCESS);
        /* registration order; the other EID's event is not there */
        assert_int_equal(a.n_events, 2);
        assert_string_equal(a.events[0].event_id, "EV-B");
        assert_string_equal(a.events[0].rsp_server_address, "dp1.example:8443");
        assert_string_equal(a.events[1].event_id, "EV-A");
        assert_string_equal(a.events[1].rsp_server_address, "dp2.example");
    }
    /* ctxParams1's matchingId names one event */
    discover(F_ES9P, "EV-A", T_NONE, &a);
    assert_int_equal(a.header.status, RSP_ES9P_SUCCESS);
    assert_int_equal(a.n_events, 1);
    assert_string_equal(a.events[0].event_id, "EV-A");
    discover(F_ES11, "EV-NONE", T_NONE, &a);
    assert_int_equal(a.header.status, RSP_ES9P_SUCCESS);
    assert_int_equal(a.n_events, 0);
}

static void test_refusals(void **st)
{
    (void)st;
    rsp_es11_answer a;
    discover(F_ES9P, NULL, T_ADDRESS, &a);
    expect_code(&a.header, "8.8.1", "3.8");
    discover(F_ES11, NULL, T_SIG1, &a);
    expect_code(&a.header, "8.1", "6.1");
    assert_int_equal(a.n_events, 0);
    discover(F_ES9P, NULL, T_REPLAY, &a);
    expect_code(&a.header, "8.10.1", "3.9");
    /* a card of another CI: none of its CIs is ours */
    rsp_es9p_msg ia;
    assert_int_equal(initiate(card_open(1), F_ES9P, E.address, &ia), 200);
    expect_code(&ia.header, "8.8.2", "3.1");
    rsp_es9p_msg_free(&ia);
    /* an unknown transactionId, malformed bodies, a function ES11 has not */
    const char *unk = "{\"transactionId\":\"00112233445566778899AABBCCDDEEFF\",\"authenticateServerResponse\":\"vzgA\"}";
    rsp_buf out = RSP_BUF_INIT;
    assert_int_equal(post(E.port, E.tls, "/gsma/rsp2/es11/authenticateClient", (const uint8_t *)unk, strlen(unk), &out),
                     200);
    assert_int_equal(rsp_es9p_es11_answer_decode(out.data, out.len, &a, NULL), RSP_OK);
    expect_code(&a.header, "8.10.1", "3.9");
    assert_int_equal(post(E.port, E.tls, "/gsma/rsp2/es11/initiateAuthentication", (const uint8_t *)"{", 1, &out), 200);
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_INITIATE_AUTHENTICATION, true, out.data, out.len, &ia, NULL), RSP_OK);
    expect_code(&ia.header, "1.2.1", "2.1");
    rsp_es9p_msg_free(&ia);
    assert_int_equal(post(E.port, E.tls, "/gsma/rsp2/es9plus/getBoundProfilePackage", (const uint8_t *)"{}", 2, &out),
                     404);
    rsp_buf_free(&out);
    /* after all that, the events are untouched */
    discover(F_ES11, NULL, T_NONE, &a);
    assert_int_equal(a.n_events, 2);
}

static int setup(void **state)
{
    (void)state;
    memset(&E, 0, sizeof(E));
    snprintf(E.tmp, sizeof(E.tmp), "/tmp/test_smds_XXXXXX");
    assert_non_null(mkdtemp(E.tmp));
    const char *B = tu_rsp_bin();
    sh("cd %s && %s ci init --sgp22 --dir ci >/dev/null 2>&1 && "
       "%s ci issue --sgp22 --dir ci --role eum --id EUM --org 'RSP Test EUM' --eid-prefix 89049032 --out eum >/dev/null 2>&1 && "
       "%s eum make --sgp22 --ci ci --eum eum --count 1 --out cards >/dev/null 2>&1 && mkdir S && "
       "%s ci issue --sgp22 --dir ci --role dsauth --id DSauth --out S/dsauth >/dev/null 2>&1 && "
       "%s ci issue --sgp22 --dir ci --role dstls --id DStls --dns localhost --out S/dstls >/dev/null 2>&1 && "
       "%s ci issue --sgp22 --dir ci --role dptls --id DP1 --dns localhost --oid 2.999.10 --out dp1 >/dev/null 2>&1 && "
       "%s ci init --sgp22 --dir ci2 --id OtherCI >/dev/null 2>&1 && "
       "%s ci issue --sgp22 --dir ci2 --role eum --id EUM2 --org 'Other EUM' --eid-prefix 89049032 --out eum2 >/dev/null 2>&1 && "
       "%s eum make --sgp22 --ci ci2 --eum eum2 --count 1 --out cards2 >/dev/null 2>&1",
       E.tmp, B, B, B, B, B, B, B, B, B);
    char cmd[512], *out = NULL;
    snprintf(cmd, sizeof(cmd), "ls %s/cards; ls %s/cards2", E.tmp, E.tmp);
    tu_run(cmd, &out);
    assert_int_equal(sscanf(out, "%32s %32s", E.eid, E.eid2), 2);
    free(out);
    daemon_start();
    E.base = event_base_new();
    char ca[256], cert[256], key[256];
    snprintf(ca, sizeof(ca), "%s/ci/ci.crt.pem", E.tmp);
    snprintf(cert, sizeof(cert), "%s/dp1/cert.pem", E.tmp);
    snprintf(key, sizeof(key), "%s/dp1/key.pem", E.tmp);
    const char *cas[] = {ca};
    assert_int_equal(rsp_tls_client_mtls_new(NULL, NULL, cas, 1, &E.tls), RSP_OK);
    assert_int_equal(rsp_tls_client_mtls_new(cert, key, cas, 1, &E.tls12), RSP_OK);
    register_event(E.eid, "EV-B", "dp1.example:8443");
    register_event(OTHER_EID, "EV-C", "dp1.example");
    register_event(E.eid, "EV-A", "dp2.example");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (E.pid > 0) {
        kill(E.pid, SIGTERM);
        waitpid(E.pid, NULL, 0);
    }
    for (int i = 0; i < 2; i++)
        rsp_es10_card_close(E.slot[i]);
    rsp_tls_ctx_free(E.tls);
    rsp_tls_ctx_free(E.tls12);
    if (E.base)
        event_base_free(E.base);
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", E.tmp);
    if (system(cmd) != 0)
        return -1;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_of_the_eid),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
