/* `rsp smdpp run` as a separate process, driven over HTTPS by an LPA played here from helper K's
 * consumer card (rsp_es10_card_open/apdu: a card folder from `rsp eum make --sgp22`, APDUs through
 * its ES10 transport) and the ES9+ codec. A whole download ends with the card's signed PIR, so the
 * BPP our server bound was installed by a card built from SGP22.md independently of the server;
 * each refusal is checked for its status code and for changing no order state. The outside fact:
 * the TS.48 v7 package of ../shared/profiles is what gets bound and installed. */
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

#include "rsp/crypto.h"
#include "rsp/es10.h"
#include "rsp/es9p.h"
#include "rsp/http.h"
#include "rsp/tls.h"
#include "rsp/tlv.h"

#define ADDRESS_FMT "localhost:%u"

static struct {
    char tmp[128], dir[192], cards[192];
    char eid[2][33];
    char address[64];
    pid_t pid, recv_pid;
    uint16_t port, recv_port, mport; /* mport: --metrics-listen (plain /metrics) */
    struct event_base *base;
    rsp_tls_ctx *tls;
    rsp_http_client *cli;
    rsp_es10_slot *slot[2];   /* open for the whole run: a failed test leaves no lock behind */
    bool kill_before_auth;    /* authenticate(): kill -9 + restart between initiate and authenticateClient */
    bool drop_ppp;            /* ... and the smdpp_ppp table dropped while it is down (an older smdpp.db) */
    bool cancel_before_auth;  /* authenticate(): cancelSession instead of authenticateClient */
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

/* The state of an order as `rsp smdpp show --json` prints it. */
static void order_state(const char *mid, char *state, size_t cap)
{
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof(cmd), "%s smdpp show --dir %s --address localhost --matching-id %s --json 2>/dev/null | jq -r .state",
             tu_rsp_bin(), E.dir, mid);
    tu_run(cmd, &out);
    snprintf(state, cap, "%.*s", (int)strcspn(out, "\n"), out);
    free(out);
}

static void daemon_start(void)
{
    char pf[256], mpf[256];
    snprintf(pf, sizeof(pf), "%s/port", E.tmp);
    snprintf(mpf, sizeof(mpf), "%s/mport", E.tmp);
    unlink(pf);
    unlink(mpf);
    E.pid = fork();
    assert_true(E.pid >= 0);
    if (E.pid == 0) {
        char listen[32], log[256];
        snprintf(listen, sizeof(listen), "127.0.0.1:0");
        snprintf(log, sizeof(log), "%s/smdpp.log", E.tmp);
        /* the daemon dies with the test (an abort must not leave it holding ctest's pipes) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (!freopen(log, "a", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(127);
        char ca[256], url[160];
        snprintf(ca, sizeof(ca), "%s/opca.pem", E.tmp);
        snprintf(url, sizeof(url), "https://localhost:%u/gsma/rsp2/es2plus/handleDownloadProgressInfo", E.recv_port);
        execl(tu_rsp_bin(), "rsp", "smdpp", "run", "--dir", E.dir, "--address", "localhost", "--listen", listen,
              "--port-file", pf, "--es2-listen", "127.0.0.1:0", "--es2-ca", ca, "--es2-notify", url,
              "--metrics-listen", "127.0.0.1:0", "--metrics-port-file", mpf, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 600; i++) { /* up to 60 s on a loaded machine */
        FILE *f = fopen(pf, "r"), *mf = fopen(mpf, "r");
        unsigned p = 0, mp = 0;
        if (f && fscanf(f, "%u", &p) == 1 && p && mf && fscanf(mf, "%u", &mp) == 1 && mp) {
            fclose(f);
            fclose(mf);
            E.port = (uint16_t)p;
            E.mport = (uint16_t)mp;
            snprintf(E.address, sizeof(E.address), ADDRESS_FMT, E.port);
            return;
        }
        if (f)
            fclose(f);
        if (mf)
            fclose(mf);
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    fail_msg("rsp smdpp run did not write its port file");
}

static void daemon_stop(int sig)
{
    if (E.pid > 0) {
        kill(E.pid, sig);
        waitpid(E.pid, NULL, 0);
        E.pid = 0;
    }
    if (E.cli) {
        rsp_http_client_free(E.cli);
        E.cli = NULL;
    }
}

/* ---- ES9+ over HTTPS ---- */
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

static int post_raw(const char *path, const char *ctype, const uint8_t *body, size_t len, rsp_buf *out)
{
    if (!E.cli) {
        rsp_http_client_opts o = {"localhost", E.port, E.tls, 30000, 0};
        assert_int_equal(rsp_http_client_new(E.base, &o, &E.cli), RSP_OK);
    }
    char hdr[200];
    snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\nX-Admin-Protocol: gsma/rsp/v2.2.0\r\nUser-Agent: gsma-rsp-lpad\r\n",
             ctype);
    reply rp = {0, RSP_BUF_INIT, false};
    assert_int_equal(rsp_http_client_post(E.cli, path, hdr, body, len, on_reply, &rp), RSP_OK);
    while (!rp.done)
        event_base_dispatch(E.base);
    rsp_buf_reset(out);
    rsp_buf_append(out, rp.body.data, rp.body.len);
    rsp_buf_free(&rp.body);
    return rp.status;
}

/* One call; ans decoded (the test fails on an answer our codec refuses). Returns the HTTP status. */
static int es9(const rsp_es9p_msg *req, rsp_es9p_msg *ans)
{
    rsp_buf b = RSP_BUF_INIT, out = RSP_BUF_INIT;
    rsp_diag d = {0};
    assert_int_equal(rsp_es9p_encode(req, &b, &d), RSP_OK);
    int st = post_raw(rsp_es9p_path(req->func), "application/json", b.data, b.len, &out);
    if (rsp_es9p_decode(req->func, true, out.data, out.len, ans, &d) != RSP_OK)
        fail_msg("%s answer %d: %s: %.*s", rsp_es9p_func_name(req->func), st, d.msg, (int)out.len, out.data);
    rsp_buf_free(&b);
    rsp_buf_free(&out);
    return st;
}

static void expect_code(const rsp_es9p_msg *ans, const char *subject, const char *reason)
{
    if (ans->header.status != RSP_ES9P_FAILED || strcmp(ans->header.subject_code, subject) ||
        strcmp(ans->header.reason_code, reason))
        fail_msg("want Failed %s/%s, got status %d %s/%s (%s)", subject, reason, ans->header.status,
                 ans->header.subject_code, ans->header.reason_code, ans->header.message);
}

/* ---- the card, through its APDU transport on the basic channel ---- */
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
    for (size_t off = 0, blk = 0; off < len || (len == 0 && blk == 0); blk++) {
        size_t n = len - off > 255 ? 255 : len - off;
        uint8_t c[5 + 255];
        c[0] = 0x80;
        c[1] = 0xE2;
        c[2] = off + n < len ? 0x11 : 0x91;
        c[3] = (uint8_t)blk;
        c[4] = (uint8_t)n;
        memcpy(c + 5, req + off, n);
        apdu(s, c, 5 + n, &r);
        off += n;
        if (off < len) {
            assert_int_equal(r.data[r.len - 2], 0x90);
            continue;
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
        break;
    }
    rsp_buf_free(&r);
}

static rsp_es10_slot *card_open(int i)
{
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/%s", E.cards, E.eid[i]);
    rsp_diag d = {0};
    if (!E.slot[i] && rsp_es10_card_open(dir, &E.slot[i], &d) != RSP_OK)
        fail_msg("card %s: %s", dir, d.msg);
    rsp_es10_slot *s = E.slot[i];
    rsp_es10_card_reset_slot(s);
    static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x00, 0x10, 0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                  0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00, 0x00};
    rsp_buf r = RSP_BUF_INIT;
    apdu(s, sel, sizeof(sel), &r);
    assert_true(r.data[r.len - 2] == 0x90 || r.data[r.len - 2] == 0x61);
    rsp_buf_free(&r);
    return s;
}

/* The value of a TLV held in b (5F37 40 <sig> -> sig). */
static rsp_bytes value_of(const rsp_buf *b)
{
    rsp_tlv t;
    assert_int_equal(rsp_tlv_parse(b->data, b->len, 0, &t, NULL), RSP_OK);
    return rsp_bytes_of(t.value, t.len);
}

enum tamper { T_NONE, T_SIG1, T_ADDRESS, T_SIG2 };

typedef struct session {
    rsp_es10_slot *card;
    char tid[RSP_ES9P_MAX_TID_HEX + 1];
    rsp_es9p_msg ac;          /* the authenticateClient answer */
} session;

static int cancel_session(session *ss);

/* Challenge, EUICCInfo1, initiateAuthentication, AuthenticateServer, authenticateClient. Returns the
 * authenticateClient answer in ss->ac (Failed or not). */
static void authenticate(session *ss, int card, const char *mid, enum tamper t)
{
    rsp_buf r = RSP_BUF_INIT, q = RSP_BUF_INIT;
    ss->card = card_open(card);
    rsp_es10_empty_request(RSP_ES10_GET_CHALLENGE, &q);
    es10(ss->card, q.data, q.len, &r);
    uint8_t chal[16];
    assert_int_equal(rsp_es10_challenge_response_decode(r.data, r.len, chal, NULL), RSP_OK);
    rsp_buf_reset(&q);
    rsp_es10_empty_request(RSP_ES10_EUICC_INFO1, &q);
    es10(ss->card, q.data, q.len, &r);
    rsp_es9p_msg req, ia;
    rsp_es9p_msg_init(&req, RSP_ES9P_INITIATE_AUTHENTICATION, false);
    rsp_buf_set(&req.euicc_challenge, chal, 16);
    rsp_buf_set(&req.euicc_info1, r.data, r.len);
    snprintf(req.smdp_address, sizeof(req.smdp_address), "%s", t == T_ADDRESS ? "other.example.com" : E.address);
    assert_int_equal(es9(&req, &ia), 200);
    rsp_es9p_msg_free(&req);
    if (t == T_ADDRESS) {
        expect_code(&ia, "8.8.1", "3.8");
        rsp_es9p_msg_init(&ss->ac, RSP_ES9P_AUTHENTICATE_CLIENT, true);
        ss->ac.header = ia.header;
        rsp_es9p_msg_free(&ia);
        goto out;
    }
    assert_int_equal(ia.header.status, RSP_ES9P_SUCCESS);
    snprintf(ss->tid, sizeof(ss->tid), "%s", ia.transaction_id);
    /* AuthenticateServer with ctxParams1 A0{80 matchingId, A1{80 tac, A1{}}} */
    rsp_buf ctx = RSP_BUF_INIT, inner = RSP_BUF_INIT;
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
    rsp_buf_reset(&q);
    assert_int_equal(rsp_es10_auth_server_req_encode(&as, &q), RSP_OK);
    es10(ss->card, q.data, q.len, &r);
    rsp_es10_auth_server_resp asr;
    assert_int_equal(rsp_es10_auth_server_resp_decode(r.data, r.len, &asr, NULL), RSP_OK);
    if (!asr.ok)
        fail_msg("card refused AuthenticateServer: %d", asr.error);
    if (E.kill_before_auth) {
        daemon_stop(SIGKILL);
        if (E.drop_ppp)
            sh("sqlite3 %s/smdpp.db 'DROP TABLE smdpp_ppp'", E.dir);
        daemon_start();
    }
    if (E.cancel_before_auth) { /* the session is INITIATED: cancelled before authenticateClient */
        rsp_es9p_msg_init(&ss->ac, RSP_ES9P_AUTHENTICATE_CLIENT, true);
        ss->ac.header.status = cancel_session(ss);
        rsp_es9p_msg_free(&ia);
        rsp_buf_free(&ctx);
        rsp_buf_free(&inner);
        goto out;
    }
    if (t == T_SIG1) /* the last byte of euiccSignature1 */
        r.data[(size_t)(asr.euicc_signature1.p - r.data) + 63] ^= 1;
    rsp_es9p_msg_init(&req, RSP_ES9P_AUTHENTICATE_CLIENT, false);
    snprintf(req.transaction_id, sizeof(req.transaction_id), "%s", ss->tid);
    rsp_buf_set(&req.authenticate_server_response, r.data, r.len);
    assert_int_equal(es9(&req, &ss->ac), 200);
    rsp_es9p_msg_free(&req);
    rsp_es9p_msg_free(&ia);
    rsp_buf_free(&ctx);
    rsp_buf_free(&inner);
out:
    rsp_buf_free(&r);
    rsp_buf_free(&q);
}

/* PrepareDownload (with cc when given) and getBoundProfilePackage; *bpp_ans the answer. */
static void get_bpp(session *ss, const char *cc, enum tamper t, rsp_es9p_msg *bpp_ans, rsp_buf *prep_out)
{
    rsp_buf r = RSP_BUF_INIT, q = RSP_BUF_INIT;
    rsp_es10_prepare_req pr;
    memset(&pr, 0, sizeof(pr));
    rsp_es10_smdp_signed2 s2raw;
    memset(&s2raw, 0, sizeof(s2raw));
    pr.signed2.raw = rsp_buf_view(&ss->ac.smdp_signed2);
    pr.smdp_signature2 = value_of(&ss->ac.smdp_signature2);
    pr.cert_dppb = rsp_buf_view(&ss->ac.smdp_certificate);
    uint8_t hcc[32];
    if (cc) {
        uint8_t in[48], tid[16];
        size_t n;
        rsp_sha256((const uint8_t *)cc, strlen(cc), in);
        assert_int_equal(rsp_es9p_tid_from_hex(ss->tid, tid, &n, NULL), RSP_OK);
        memcpy(in + 32, tid, n);
        rsp_sha256(in, 32 + n, hcc);
        pr.hash_cc = rsp_bytes_of(hcc, 32);
    }
    assert_int_equal(rsp_es10_prepare_req_encode(&pr, &q), RSP_OK);
    es10(ss->card, q.data, q.len, &r);
    rsp_es10_prepare_resp prr;
    assert_int_equal(rsp_es10_prepare_resp_decode(r.data, r.len, &prr, NULL), RSP_OK);
    if (!prr.ok)
        fail_msg("card refused PrepareDownload: %d", prr.error);
    if (t == T_SIG2)
        r.data[(size_t)(prr.euicc_signature2.p - r.data) + 10] ^= 0x80;
    if (prep_out)
        rsp_buf_set(prep_out, r.data, r.len);
    rsp_es9p_msg req;
    rsp_es9p_msg_init(&req, RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, false);
    snprintf(req.transaction_id, sizeof(req.transaction_id), "%s", ss->tid);
    rsp_buf_set(&req.prepare_download_response, r.data, r.len);
    assert_int_equal(es9(&req, bpp_ans), 200);
    rsp_es9p_msg_free(&req);
    rsp_buf_free(&r);
    rsp_buf_free(&q);
}

/* LoadBoundProfilePackage in the LPA's pieces; the PIR (BF37) into pir. */
static void load_bpp(session *ss, const rsp_buf *bpp, rsp_buf *pir)
{
    rsp_bytes pieces[256];
    size_t n = 0;
    rsp_diag d = {0};
    if (rsp_es10_bpp_split(bpp->data, bpp->len, pieces, 256, &n, &d) != RSP_OK)
        fail_msg("BPP split: %s", d.msg);
    assert_true(n >= 5);
    rsp_buf r = RSP_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        /* SGP.22: every protected TLV at most 1,020 bytes */
        assert_true(pieces[i].len <= 1020 || i == 0);
        es10(ss->card, pieces[i].p, pieces[i].len, &r);
        if (r.len) {
            rsp_buf_set(pir, r.data, r.len);
            break;
        }
    }
    rsp_buf_free(&r);
}

static int setup(void **state)
{
    (void)state;
    memset(&E, 0, sizeof(E));
    snprintf(E.tmp, sizeof(E.tmp), "/tmp/test_smdpp_XXXXXX");
    assert_non_null(mkdtemp(E.tmp));
    snprintf(E.dir, sizeof(E.dir), "%s/smdpp", E.tmp);
    snprintf(E.cards, sizeof(E.cards), "%s/cards", E.tmp);
    const char *B = tu_rsp_bin();
    char pkg[300];
    tu_shared_path("profiles/TS48v7_SAIP2.3_NoBERTLV.der", pkg, sizeof(pkg));
    sh("cd %s && %s ci init --sgp22 --dir ci >/dev/null 2>&1 && "
       "%s ci issue --sgp22 --dir ci --role eum --id EUM --org 'RSP Test EUM' --eid-prefix 89049032 --out eum >/dev/null 2>&1 && "
       "%s eum make --sgp22 --ci ci --eum eum --count 2 --out cards >/dev/null 2>&1 && mkdir smdpp && "
       "%s ci issue --sgp22 --dir ci --role dpauth --id DPauth --oid 2.999.10 --out smdpp/dpauth >/dev/null 2>&1 && "
       "%s ci issue --sgp22 --dir ci --role dppb --id DPpb --oid 2.999.10 --out smdpp/dppb >/dev/null 2>&1 && "
       "%s ci issue --sgp22 --dir ci --role dptls --id DPtls --dns localhost --oid 2.999.10 --out smdpp/dptls >/dev/null 2>&1 && "
       "%s smdp import package --dir smdpp --operator MNO --type T48 %s >/dev/null 2>&1 && "
       "%s smdp import generate --dir smdpp --operator MNO --type T48 --count 20 --iccid-prefix 8944502 >/dev/null 2>&1",
       E.tmp, B, B, B, B, B, B, B, pkg, B);
    char cmd[1024], *out = NULL;
    snprintf(cmd, sizeof(cmd), "ls %s", E.cards);
    tu_run(cmd, &out);
    assert_int_equal(sscanf(out, "%32s %32s", E.eid[0], E.eid[1]), 2);
    free(out);
    /* the operator: a CA, a server certificate for localhost, and its ES2+ receiver (mutual TLS,
     * trusting our DPtls through the CI) for HandleDownloadProgressInfo */
    sh("cd %s && openssl ecparam -name prime256v1 -genkey -noout -out opca.key 2>/dev/null && "
       "openssl req -x509 -new -key opca.key -subj '/CN=Operators CA' -days 2 -out opca.pem 2>/dev/null && "
       "openssl ecparam -name prime256v1 -genkey -noout -out op.key 2>/dev/null && "
       "openssl req -new -key op.key -subj '/CN=localhost' -out op.csr 2>/dev/null && "
       "printf 'subjectAltName=DNS:localhost\n' > op.ext && "
       "openssl x509 -req -in op.csr -CA opca.pem -CAkey opca.key -CAcreateserial -days 2 -extfile op.ext "
       "-out op.pem 2>/dev/null",
       E.tmp);
    char src[256], *pidout = NULL;
    snprintf(src, sizeof(src), "%s", RSP_SOURCE_DIR);
    snprintf(cmd, sizeof(cmd),
             "cd %s && (python3 %s/tests/cli/outbox_receiver.py --port 0 --cert op.pem --key op.key "
             "--ca ci/ci.crt.pem --log recv.log > recv.port 2>recv.err & echo $!)",
             E.tmp, src);
    tu_run(cmd, &pidout);
    E.recv_pid = (pid_t)atol(pidout);
    free(pidout);
    for (int i = 0; i < 600 && !E.recv_port; i++) {
        char pp[256];
        snprintf(pp, sizeof(pp), "%s/recv.port", E.tmp);
        FILE *f = fopen(pp, "r");
        unsigned p = 0;
        if (f && fscanf(f, "%u", &p) == 1)
            E.recv_port = (uint16_t)p;
        if (f)
            fclose(f);
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
    }
    assert_true(E.recv_port > 0);
    /* the SM-DP+ is "localhost"; LPAs write localhost:<the port it bound> (a restart binds anew) */
    daemon_start();
    E.base = event_base_new();
    char ca[300];
    snprintf(ca, sizeof(ca), "%s/ci/ci.crt.pem", E.tmp);
    const char *cas[] = {ca};
    assert_int_equal(rsp_tls_client_mtls_new(NULL, NULL, cas, 1, &E.tls), RSP_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    daemon_stop(SIGTERM);
    if (E.recv_pid > 0) {
        kill(E.recv_pid, SIGTERM);
        E.recv_pid = 0;
    }
    rsp_es10_card_close(E.slot[0]);
    rsp_es10_card_close(E.slot[1]);
    rsp_tls_ctx_free(E.tls);
    if (E.base)
        event_base_free(E.base);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", E.tmp);
    if (!getenv("RSP_KEEP_TMP"))
        tu_run(cmd, NULL);
    return 0;
}

static void order(const char *mid, const char *extra)
{
    sh("%s smdpp order --dir %s --address localhost --matching-id %s --operator MNO --type T48 %s >/dev/null 2>&1",
       tu_rsp_bin(), E.dir, mid, extra);
}

/* The daemon's commits so far, from its plain-HTTP /metrics (--metrics-listen): [0] smdpp.db durable
 * (synchronous FULL), [1] smdpp.db light (NORMAL), [2] the inventory's store. */
static void commits(long c[3])
{
    static const char *const sel[3] = {"db=\"smdpp\",sync=\"full\"", "db=\"smdpp\",sync=\"normal\"",
                                       "db=\"inventory\",sync=\"full\""};
    for (int i = 0; i < 3; i++) {
        char cmd[512], *out = NULL, *end = NULL;
        snprintf(cmd, sizeof(cmd), "curl -sf http://127.0.0.1:%u/metrics | grep -F 'rsp_smdpp_commits_total{%s} '",
                 E.mport, sel[i]);
        if (tu_run(cmd, &out) != 0 || !strchr(out, ' '))
            fail_msg("no rsp_smdpp_commits_total{%s} on /metrics: '%s'", sel[i], out ? out : "");
        c[i] = strtol(strchr(out, ' ') + 1, &end, 10);
        if (end == strchr(out, ' ') + 1)
            fail_msg("rsp_smdpp_commits_total{%s}: '%s'", sel[i], out);
        free(out);
    }
}

static void test_download(void **state)
{
    (void)state;
    /* the plain listener answers /metrics and /health, never ES9+ */
    char hcmd[300], *hout = NULL;
    snprintf(hcmd, sizeof(hcmd),
             "curl -s http://127.0.0.1:%u/health; curl -s -o /dev/null -w ' %%{http_code}' -X POST -H "
             "'Content-Type: application/json' -d '{}' http://127.0.0.1:%u/gsma/rsp2/es9plus/initiateAuthentication",
             E.mport, E.mport);
    tu_run(hcmd, &hout);
    assert_string_equal(hout, "ok\n 404");
    free(hout);
    long c0[3], c1[3];
    commits(c0);
    order("DL-1", "");
    session ss = {0};
    authenticate(&ss, 0, "DL-1", T_NONE);
    assert_int_equal(ss.ac.header.status, RSP_ES9P_SUCCESS);
    char st[32];
    order_state("DL-1", st, sizeof(st));
    assert_string_equal(st, "downloading");
    rsp_es9p_msg bpp;
    rsp_buf prep = RSP_BUF_INIT;
    get_bpp(&ss, NULL, T_NONE, &bpp, &prep);
    assert_int_equal(bpp.header.status, RSP_ES9P_SUCCESS);
    rsp_buf pir = RSP_BUF_INIT;
    load_bpp(&ss, &bpp.bound_profile_package, &pir);
    rsp_es10_pir p;
    assert_int_equal(rsp_es10_pir_decode(pir.data, pir.len, &p, NULL), RSP_OK);
    if (!p.success)
        fail_msg("the card's PIR: error command %d reason %d", p.bpp_command_id, p.error_reason);
    /* the same getBoundProfilePackage again (a replay): refused */
    rsp_es9p_msg again, req, ans;
    rsp_es9p_msg_init(&req, RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, false);
    snprintf(req.transaction_id, sizeof(req.transaction_id), "%s", ss.tid);
    rsp_buf_set(&req.prepare_download_response, prep.data, prep.len);
    assert_int_equal(es9(&req, &again), 200);
    expect_code(&again, "8.2", "3.7");
    rsp_es9p_msg_free(&req);
    rsp_buf_free(&prep);
    rsp_es9p_msg_init(&req, RSP_ES9P_HANDLE_NOTIFICATION, false);
    rsp_buf_set(&req.pending_notification, pir.data, pir.len);
    assert_int_equal(es9(&req, &ans), 204);
    /* one download's commits of smdpp.db: initiate and authenticateClient light (kill -9 safe), the
     * BPP's and the PIR's durable; the inventory: the identity taken, downloaded, installed (and the
     * outbox's progress points: at least those three) */
    commits(c1);
    assert_int_equal(c1[0] - c0[0], 2);
    assert_int_equal(c1[1] - c0[1], 2);
    assert_true(c1[2] - c0[2] >= 3);
    order_state("DL-1", st, sizeof(st));
    assert_string_equal(st, "installed");
    /* enable the profile on the card: its signed enable notification goes to us (metadata B6) */
    rsp_buf q = RSP_BUF_INIT, r = RSP_BUF_INIT;
    rsp_es10_profile_req en = {RSP_ES10_ENABLE_PROFILE, RSP_ES10_BY_ICCID, p.meta.iccid, false};
    assert_int_equal(rsp_es10_profile_req_encode(&en, &q), RSP_OK);
    es10(ss.card, q.data, q.len, &r);
    int result = -1;
    assert_int_equal(rsp_es10_result_decode(r.data, r.len, RSP_ES10_ENABLE_PROFILE, &result, NULL), RSP_OK);
    assert_int_equal(result, 0);
    static const uint8_t all[] = {0xBF, 0x2B, 0x00};
    es10(ss.card, all, sizeof(all), &r);
    rsp_es10_notif_list *nl = calloc(1, sizeof(*nl));
    assert_int_equal(rsp_es10_notif_list_decode(r.data, r.len, RSP_ES10_RETRIEVE_NOTIFICATIONS, nl, NULL), RSP_OK);
    size_t sent = 0;
    for (size_t i = 0; i < nl->n; i++) {
        if (nl->items[i].is_pir || !(nl->items[i].meta.events & RSP_ES10_EVENT_ENABLE))
            continue;
        rsp_es9p_msg_free(&ans);
        rsp_es9p_msg nreq;
        rsp_es9p_msg_init(&nreq, RSP_ES9P_HANDLE_NOTIFICATION, false);
        rsp_buf_set(&nreq.pending_notification, nl->items[i].raw.p, nl->items[i].raw.len);
        assert_int_equal(es9(&nreq, &ans), 204);
        /* the same with its signature's last byte flipped */
        size_t at = (size_t)(nl->items[i].signature.p - nl->items[i].raw.p) + 63;
        nreq.pending_notification.data[at] ^= 1;
        rsp_es9p_msg_free(&ans);
        assert_int_equal(es9(&nreq, &ans), 200);
        expect_code(&ans, "8.1", "6.1");
        rsp_es9p_msg_free(&nreq);
        sent++;
    }
    assert_int_equal(sent, 1);
    free(nl);
    rsp_buf_free(&q);
    rsp_buf_free(&r);
    /* the operator heard of each step of this order (ES2+.HandleDownloadProgressInfo, outbox) */
    char cmd[1024], *pts = NULL;
    snprintf(cmd, sizeof(cmd),
             "i=0; iccid=$(%s smdpp show --dir %s --address localhost --matching-id DL-1 --json | jq -r .iccid); "
             "while [ $i -lt 300 ]; do p=$(jq -r .body %s/recv.log 2>/dev/null | jq -r \"select(.iccid==\\\"$iccid\\\") | "
             ".notificationPointId\" | sort -u | tr '\\n' ' '); [ \"$p\" = '1 3 4 ' ] && break; sleep 0.1; i=$((i+1)); done; "
             "echo \"$p\"",
             tu_rsp_bin(), E.dir, E.tmp);
    tu_run(cmd, &pts);
    if (strcmp(pts, "1 3 4 \n") != 0)
        fail_msg("progress points seen by the operator: '%s'", pts);
    free(pts);
    /* the same PIR again: its session has ended */
    rsp_es9p_msg_free(&ans);
    assert_int_equal(es9(&req, &ans), 200);
    expect_code(&ans, "8.10.1", "3.9");
    rsp_es9p_msg_free(&req);
    rsp_es9p_msg_free(&ans);
    rsp_es9p_msg_free(&again);
    rsp_es9p_msg_free(&bpp);
    rsp_es9p_msg_free(&ss.ac);
    rsp_buf_free(&pir);
    
}

static void test_refusals(void **state)
{
    (void)state;
    char st[32];
    order("RF-1", "");
    session ss = {0};
    authenticate(&ss, 1, "RF-1", T_ADDRESS);
    
    rsp_es9p_msg_free(&ss.ac);
    memset(&ss, 0, sizeof(ss));
    authenticate(&ss, 1, "RF-1", T_SIG1);
    expect_code(&ss.ac, "8.1", "6.1");
    order_state("RF-1", st, sizeof(st));
    assert_string_equal(st, "released");
    
    rsp_es9p_msg_free(&ss.ac);
    memset(&ss, 0, sizeof(ss));
    authenticate(&ss, 1, "NO-SUCH-ORDER", T_NONE);
    expect_code(&ss.ac, "8.2.6", "3.8");
    
    rsp_es9p_msg_free(&ss.ac);
    /* an order confirmed over ES2+ without releaseFlag waits for ReleaseProfile */
    order("NR-1", "");
    sh("sqlite3 %s/smdpp.db \"UPDATE smdpp_order SET state=9 WHERE matching_id='NR-1'\"", E.dir);
    memset(&ss, 0, sizeof(ss));
    authenticate(&ss, 1, "NR-1", T_NONE);
    expect_code(&ss.ac, "8.2", "1.2");
    rsp_es9p_msg_free(&ss.ac);
    /* unknown transaction */
    rsp_es9p_msg req, ans;
    rsp_es9p_msg_init(&req, RSP_ES9P_AUTHENTICATE_CLIENT, false);
    snprintf(req.transaction_id, sizeof(req.transaction_id), "00112233445566778899AABBCCDDEEFF");
    static const uint8_t bf38[] = {0xBF, 0x38, 0x00};
    rsp_buf_set(&req.authenticate_server_response, bf38, sizeof(bf38));
    assert_int_equal(es9(&req, &ans), 200);
    expect_code(&ans, "8.10.1", "3.9");
    rsp_es9p_msg_free(&req);
    rsp_es9p_msg_free(&ans);
    /* malformed JSON and a wrong Content-Type */
    rsp_buf out = RSP_BUF_INIT;
    static const char *bad[] = {"{", "{\"transactionId\":\"AB\"}", "{\"transactionId\":\"AB\",\"authenticateServerResponse\":\"#\"}"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(post_raw(rsp_es9p_path(RSP_ES9P_AUTHENTICATE_CLIENT), "application/json",
                                  (const uint8_t *)bad[i], strlen(bad[i]), &out),
                         200);
        assert_int_equal(rsp_es9p_decode(RSP_ES9P_AUTHENTICATE_CLIENT, true, out.data, out.len, &ans, NULL), RSP_OK);
        expect_code(&ans, "1.2.1", "2.1");
        rsp_es9p_msg_free(&ans);
    }
    assert_int_equal(post_raw(rsp_es9p_path(RSP_ES9P_AUTHENTICATE_CLIENT), "text/plain", (const uint8_t *)"x", 1, &out),
                     200);
    assert_true(strstr((const char *)out.data, "1.2.1") != NULL);
    rsp_buf_free(&out);
    /* a wrong euiccSignature2 changes nothing: the same session then downloads */
    memset(&ss, 0, sizeof(ss));
    authenticate(&ss, 1, "RF-1", T_NONE);
    assert_int_equal(ss.ac.header.status, RSP_ES9P_SUCCESS);
    rsp_es9p_msg bpp;
    get_bpp(&ss, NULL, T_SIG2, &bpp, NULL);
    expect_code(&bpp, "8.1", "6.1");
    order_state("RF-1", st, sizeof(st));
    assert_string_equal(st, "downloading");
    rsp_es9p_msg_free(&bpp);
    
    rsp_es9p_msg_free(&ss.ac);
}

static void sql(const char *db, const char *q, char *out, size_t cap);
static void order_iccid(const char *mid, char iccid[32]);
static int inv_state(const char *iccid);

static void test_cancel_session(void **state)
{
    (void)state;
    order("CN-1", "");
    session ss = {0};
    authenticate(&ss, 1, "CN-1", T_NONE);
    assert_int_equal(ss.ac.header.status, RSP_ES9P_SUCCESS);
    /* the LPA cancels: ES10b.CancelSession on the card, then ES9+.cancelSession */
    uint8_t tid[16];
    size_t n;
    assert_int_equal(rsp_es9p_tid_from_hex(ss.tid, tid, &n, NULL), RSP_OK);
    rsp_buf q = RSP_BUF_INIT, r = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_cancel_req_encode(rsp_bytes_of(tid, n), RSP_ES10_CANCEL_POSTPONED, &q), RSP_OK);
    es10(ss.card, q.data, q.len, &r);
    rsp_es9p_msg req, ans;
    rsp_es9p_msg_init(&req, RSP_ES9P_CANCEL_SESSION, false);
    snprintf(req.transaction_id, sizeof(req.transaction_id), "%s", ss.tid);
    rsp_buf_set(&req.cancel_session_response, r.data, r.len);
    /* tampered first: refused, the session lives on */
    rsp_es10_cancel_resp cr;
    assert_int_equal(rsp_es10_cancel_resp_decode(r.data, r.len, &cr, NULL), RSP_OK);
    assert_true(cr.ok);
    req.cancel_session_response.data[(size_t)(cr.signature.p - r.data) + 5] ^= 1;
    assert_int_equal(es9(&req, &ans), 200);
    expect_code(&ans, "8.1", "6.1");
    rsp_es9p_msg_free(&ans);
    char st[32];
    order_state("CN-1", st, sizeof(st));
    assert_string_equal(st, "downloading");
    rsp_buf_set(&req.cancel_session_response, r.data, r.len);
    assert_int_equal(es9(&req, &ans), 200);
    assert_int_equal(ans.header.status, RSP_ES9P_SUCCESS);
    order_state("CN-1", st, sizeof(st));
    assert_string_equal(st, "released");
    rsp_es9p_msg_free(&ans);
    /* the session is over; the order downloads in a new one */
    assert_int_equal(es9(&req, &ans), 200);
    expect_code(&ans, "8.10.1", "3.9");
    rsp_es9p_msg_free(&ans);
    rsp_es9p_msg_free(&req);
    rsp_es9p_msg_free(&ss.ac);
    memset(&ss, 0, sizeof(ss));
    authenticate(&ss, 1, "CN-1", T_NONE);
    assert_int_equal(ss.ac.header.status, RSP_ES9P_SUCCESS);
    rsp_es9p_msg bpp;
    get_bpp(&ss, NULL, T_NONE, &bpp, NULL);
    assert_int_equal(bpp.header.status, RSP_ES9P_SUCCESS);
    rsp_es9p_msg_free(&bpp);
    rsp_es9p_msg_free(&ss.ac);
    rsp_buf_free(&q);
    rsp_buf_free(&r);
    /* bound (its protected package stored, its identity out in a BPP), then cancelled by the operator's
     * command as ES2+ CancelOrder would: the package dropped, the identity retired (it may sit on a
     * card: never back to the pool); a second cancel changes nothing */
    char iccid[32], cnt[16], qs[200];
    order_iccid("CN-1", iccid);
    assert_true(iccid[0]);
    snprintf(qs, sizeof(qs), "SELECT count(*) FROM smdpp_ppp WHERE matching_id='CN-1'");
    sql("smdpp.db", qs, cnt, sizeof(cnt));
    assert_string_equal(cnt, "1");
    assert_int_equal(inv_state(iccid), 2); /* downloaded */
    for (int i = 0; i < 2; i++) {
        sh("%s smdpp cancel --dir %s --address localhost --matching-id CN-1 >/dev/null 2>&1", tu_rsp_bin(), E.dir);
        order_state("CN-1", st, sizeof(st));
        assert_string_equal(st, "cancelled");
        sql("smdpp.db", qs, cnt, sizeof(cnt));
        assert_string_equal(cnt, "0");
        assert_int_equal(inv_state(iccid), 4); /* retired */
    }
}

static void test_confirmation_code(void **state)
{
    (void)state;
    order("CC-1", "--cc 1234");
    char st[32];
    /* (no hashCc at all is refused by the card itself: ccRequiredFlag without hashCc, undefinedError) */
    const char *tries[] = {"9999", "1111", "2222"};
    const char *want_reason[] = {"3.8", "3.8", "6.4"};
    for (size_t i = 0; i < 3; i++) {
        session ss = {0};
        authenticate(&ss, 0, "CC-1", T_NONE);
        assert_int_equal(ss.ac.header.status, RSP_ES9P_SUCCESS);
        rsp_es9p_msg bpp;
        get_bpp(&ss, tries[i], T_NONE, &bpp, NULL);
        expect_code(&bpp, "8.2.7", want_reason[i]);
        rsp_es9p_msg_free(&bpp);
        rsp_es9p_msg_free(&ss.ac);
        
        order_state("CC-1", st, sizeof(st));
        assert_string_equal(st, i < 2 ? "downloading" : "failed");
        if (i < 2) /* the LPA would cancel; here the order stays with this session: take it back */
            sh("sqlite3 %s/smdpp.db \"UPDATE smdpp_order SET state=1, tid='' WHERE matching_id='CC-1'\"", E.dir);
    }
    /* with the right code, on a fresh order */
    order("CC-2", "--cc 1234");
    session ss = {0};
    authenticate(&ss, 1, "CC-2", T_NONE);
    rsp_es9p_msg bpp;
    get_bpp(&ss, "1234", T_NONE, &bpp, NULL);
    assert_int_equal(bpp.header.status, RSP_ES9P_SUCCESS);
    assert_true(bpp.bound_profile_package.len > 1000);
    rsp_es9p_msg_free(&bpp);
    rsp_es9p_msg_free(&ss.ac);
    
}

static void test_expired(void **state)
{
    (void)state;
    order("EX-1", "--expires-in 1");
    sh("sqlite3 %s/smdpp.db \"UPDATE smdpp_order SET expires=1 WHERE matching_id='EX-1'\"", E.dir);
    session ss = {0};
    authenticate(&ss, 0, "EX-1", T_NONE);
    expect_code(&ss.ac, "8.8.5", "4.1");
    char st[32];
    order_state("EX-1", st, sizeof(st));
    assert_string_equal(st, "expired");
    rsp_es9p_msg_free(&ss.ac);
    
}

/* ---- kill -9 between every pair of ES9+ calls (issue 14) ---- */
static void restart(void)
{
    daemon_stop(SIGKILL);
    daemon_start();
}

/* One value of an SQLite query ("" when no row), through the sqlite3 shell. */
static void sql(const char *db, const char *q, char *out, size_t cap)
{
    char cmd[1024], *o = NULL;
    snprintf(cmd, sizeof(cmd), "sqlite3 %s/%s \"%s\"", E.dir, db, q);
    tu_run(cmd, &o);
    snprintf(out, cap, "%.*s", (int)strcspn(o, "\n"), o);
    free(o);
}

static void order_db_state(const char *mid, char *st, size_t cap)
{
    char q[200];
    snprintf(q, sizeof(q), "SELECT state FROM smdpp_order WHERE matching_id='%s'", mid);
    sql("smdpp.db", q, st, cap);
}

static void order_iccid(const char *mid, char iccid[32])
{
    char q[200];
    snprintf(q, sizeof(q), "SELECT iccid FROM smdpp_order WHERE matching_id='%s'", mid);
    sql("smdpp.db", q, iccid, 32);
}

/* The inventory state (lib/store: 1 allocated, 2 downloaded, 3 installed, 4 retired) of an ICCID. */
static int inv_state(const char *iccid)
{
    char q[200], v[32];
    snprintf(q, sizeof(q), "SELECT state FROM inv WHERE iccid='%s'", iccid);
    sql("smdp.db", q, v, sizeof(v));
    return v[0] ? atoi(v) : -1;
}

/* BF36's parts: 0 BF23, 1 A0, 2 A1, 3 A2, 4 A3 (whole TLVs). */
static void bpp_parts(const rsp_buf *bpp, rsp_bytes part[5])
{
    rsp_tlv t;
    assert_int_equal(rsp_tlv_expect(bpp->data, bpp->len, 0xBF36, &t, NULL), RSP_OK);
    static const uint32_t tags[5] = {0xBF23, 0xA0, 0xA1, 0xA2, 0xA3};
    for (size_t i = 0; i < 5; i++) {
        rsp_tlv c;
        assert_int_equal(rsp_tlv_find(t.value, t.len, tags[i], &c), RSP_OK);
        part[i] = rsp_bytes_of(c.raw, c.raw_len);
    }
}

/* ES10b CancelSession on the card, then ES9+ cancelSession; the answer's status. */
static int cancel_session(session *ss)
{
    uint8_t tid[16];
    size_t n;
    assert_int_equal(rsp_es9p_tid_from_hex(ss->tid, tid, &n, NULL), RSP_OK);
    rsp_buf q = RSP_BUF_INIT, r = RSP_BUF_INIT;
    assert_int_equal(rsp_es10_cancel_req_encode(rsp_bytes_of(tid, n), RSP_ES10_CANCEL_POSTPONED, &q), RSP_OK);
    es10(ss->card, q.data, q.len, &r);
    rsp_es9p_msg req, ans;
    rsp_es9p_msg_init(&req, RSP_ES9P_CANCEL_SESSION, false);
    snprintf(req.transaction_id, sizeof(req.transaction_id), "%s", ss->tid);
    rsp_buf_set(&req.cancel_session_response, r.data, r.len);
    assert_int_equal(es9(&req, &ans), 200);
    int st = ans.header.status;
    rsp_es9p_msg_free(&req);
    rsp_es9p_msg_free(&ans);
    rsp_buf_free(&q);
    rsp_buf_free(&r);
    return st;
}

/* handleNotification of a PIR: the HTTP status and (for 200) the answer's reason code. */
static int send_pir(const rsp_buf *pir, char *reason, size_t cap)
{
    rsp_es9p_msg req, ans;
    rsp_es9p_msg_init(&req, RSP_ES9P_HANDLE_NOTIFICATION, false);
    rsp_buf_set(&req.pending_notification, pir->data, pir->len);
    int st = es9(&req, &ans);
    snprintf(reason, cap, "%s", st == 200 ? ans.header.reason_code : "");
    rsp_es9p_msg_free(&req);
    rsp_es9p_msg_free(&ans);
    return st;
}

/* A whole download of order mid on card k from authenticateClient on; *bpp keeps the BPP. */
static void download_rest(session *ss, rsp_buf *bpp_out)
{
    assert_int_equal(ss->ac.header.status, RSP_ES9P_SUCCESS);
    rsp_es9p_msg bpp;
    get_bpp(ss, NULL, T_NONE, &bpp, NULL);
    assert_int_equal(bpp.header.status, RSP_ES9P_SUCCESS);
    rsp_buf pir = RSP_BUF_INIT;
    load_bpp(ss, &bpp.bound_profile_package, &pir);
    rsp_es10_pir p;
    assert_int_equal(rsp_es10_pir_decode(pir.data, pir.len, &p, NULL), RSP_OK);
    assert_true(p.success);
    char why[16];
    assert_int_equal(send_pir(&pir, why, sizeof(why)), 204);
    if (bpp_out)
        rsp_buf_set(bpp_out, bpp.bound_profile_package.data, bpp.bound_profile_package.len);
    rsp_es9p_msg_free(&bpp);
    rsp_buf_free(&pir);
}

/* Each row: where the SM-DP+ is killed (after which call) and how the LPA goes on. The order must end
 * installed (or released where the LPA cancelled), its identity used by it alone. */
enum kp { KP_INITIATE, KP_AUTH, KP_BPP, KP_PIR, KP_INITIATE_CANCEL, KP_AUTH_CANCEL, KP_BPP_CANCEL, KP_N };

static void test_kill_matrix(void **state)
{
    (void)state;
    char mids[KP_N][16], iccid[KP_N][32], st[32], why[16];
    for (int k = 0; k < KP_N; k++) {
        snprintf(mids[k], sizeof(mids[k]), "KM-%d", k);
        order(mids[k], "");
        int card = k % 2;
        session ss = {0};
        E.kill_before_auth = k == KP_INITIATE || k == KP_INITIATE_CANCEL;
        /* an older smdpp.db (no smdpp_ppp table) opens: the table is created IF NOT EXISTS */
        E.drop_ppp = k == KP_INITIATE;
        E.cancel_before_auth = k == KP_INITIATE_CANCEL;
        authenticate(&ss, card, mids[k], T_NONE);
        E.kill_before_auth = E.drop_ppp = E.cancel_before_auth = false;
        assert_int_equal(ss.ac.header.status, RSP_ES9P_SUCCESS);
        if (k == KP_AUTH || k == KP_AUTH_CANCEL)
            restart();
        if (k == KP_INITIATE || k == KP_AUTH) {
            download_rest(&ss, NULL);
        } else if (k == KP_INITIATE_CANCEL || k == KP_AUTH_CANCEL) {
            if (k == KP_AUTH_CANCEL) {
                assert_int_equal(cancel_session(&ss), RSP_ES9P_SUCCESS);
                restart(); /* and after cancelSession: the order stays released with its identity */
            }
        } else {
            rsp_es9p_msg bpp;
            get_bpp(&ss, NULL, T_NONE, &bpp, NULL);
            assert_int_equal(bpp.header.status, RSP_ES9P_SUCCESS);
            order_iccid(mids[k], iccid[k]);
            /* the protected package is stored (PPKs sealed: 2 + 16 + 48 + 16 bytes) before the BPP left */
            char q[200], v[32];
            snprintf(q, sizeof(q), "SELECT length(ppk) || ' ' || hex(substr(ppk,1,2)) FROM smdpp_ppp WHERE matching_id='%s'",
                     mids[k]);
            sql("smdpp.db", q, v, sizeof(v));
            assert_string_equal(v, "82 5050");
            assert_int_equal(inv_state(iccid[k]), 2);
            if (k != KP_PIR) /* (the PIR row kills after the PIR instead) */
                restart();
            if (k == KP_BPP_CANCEL) {
                /* the LPA gives up before loading; then re-downloads: the same identity and the very same
                 * protected package (A3 byte for byte), bound to a new session (BF23, A0, A2 differ) */
                assert_int_equal(cancel_session(&ss), RSP_ES9P_SUCCESS);
                restart();
                order_db_state(mids[k], st, sizeof(st));
                assert_string_equal(st, "1"); /* released */
                session s2 = {0};
                authenticate(&s2, card, mids[k], T_NONE);
                rsp_buf bpp2 = RSP_BUF_INIT;
                download_rest(&s2, &bpp2);
                rsp_bytes a[5], b[5];
                bpp_parts(&bpp.bound_profile_package, a);
                bpp_parts(&bpp2, b);
                assert_true(a[4].len > 1000 && a[4].len == b[4].len && !memcmp(a[4].p, b[4].p, a[4].len));
                for (int i = 0; i < 4; i++) /* A1 too (StoreMetadata, MAC only: the session's MAC key) */
                    assert_false(a[i].len == b[i].len && !memcmp(a[i].p, b[i].p, a[i].len));
                char again[32];
                order_iccid(mids[k], again);
                assert_string_equal(again, iccid[k]);
                rsp_buf_free(&bpp2);
                rsp_es9p_msg_free(&s2.ac);
            } else {
                rsp_buf pir = RSP_BUF_INIT;
                load_bpp(&ss, &bpp.bound_profile_package, &pir);
                if (k == KP_PIR) {
                    assert_int_equal(send_pir(&pir, why, sizeof(why)), 204);
                    restart();
                    /* the PIR again after the restart: its session is over, the order stays installed */
                    assert_int_equal(send_pir(&pir, why, sizeof(why)), 200);
                    assert_string_equal(why, "3.9");
                } else {
                    assert_int_equal(send_pir(&pir, why, sizeof(why)), 204);
                }
                rsp_buf_free(&pir);
            }
            rsp_es9p_msg_free(&bpp);
        }
        rsp_es9p_msg_free(&ss.ac);
        order_db_state(mids[k], st, sizeof(st));
        bool cancelled = k == KP_INITIATE_CANCEL || k == KP_AUTH_CANCEL;
        if (strcmp(st, cancelled ? "1" : "4")) /* released : installed (include/rsp/smdpp.h) */
            fail_msg("kill point %d: order %s is %s", k, mids[k], st);
        order_iccid(mids[k], iccid[k]);
        /* installed: inventory installed, the PPP gone; cancelled after authenticateClient: the identity
         * kept, still allocated (it never left); before it: none taken yet */
        if (k == KP_INITIATE_CANCEL) {
            assert_string_equal(iccid[k], "");
        } else {
            assert_true(iccid[k][0]);
            assert_int_equal(inv_state(iccid[k]), cancelled ? 1 : 3);
        }
        char q[200], n[16];
        snprintf(q, sizeof(q), "SELECT count(*) FROM smdpp_ppp WHERE matching_id='%s'", mids[k]);
        sql("smdpp.db", q, n, sizeof(n));
        assert_string_equal(n, "0");
    }
    /* no identity used twice: one order per ICCID across the whole database, and every live session
     * of the matrix ended */
    char dup[64];
    sql("smdpp.db", "SELECT count(*) FROM (SELECT iccid FROM smdpp_order WHERE iccid != '' GROUP BY iccid HAVING count(*) > 1)",
        dup, sizeof(dup));
    assert_string_equal(dup, "0");
    for (int k = 0; k < KP_N; k++)
        for (int j = 0; j < k; j++)
            if (iccid[k][0])
                assert_string_not_equal(iccid[k], iccid[j]);
    sql("smdpp.db", "SELECT count(*) FROM smdpp_session WHERE matching_id LIKE 'KM-%' AND step > 0", dup, sizeof(dup));
    assert_string_equal(dup, "0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_download),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_cancel_session),
        cmocka_unit_test(test_confirmation_code),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_kill_matrix),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
