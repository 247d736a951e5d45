/* ES3.CreateISDP / SendData as durable engine operations (es3_dl.c), in process: lib/svc's ES
 * endpoint (JSON, Prefer: wait), the engine on SQLite, the card played here (SCP80 open, PoR build).
 * Checks: the table rows of the download functions; the op script encoding and its malformed forms;
 * CreateISDP recorded before its packet, the INSTALL [for install] bytes (SGP02.md "ES5": 80E60C00,
 * load file / module / instance AIDs, privileges 80C000, C9{81 02 0370} EF{83 04 quota}: a fact from
 * outside), a restart (a new engine on the same store) resending it with a fresh counter and the PoR
 * of the resend answering the SM-DP with the ISD-P AID, a replayed FCID answered from the store with
 * the same AID and nothing sent, another request under that FCID refused 1.1/2.1; SendData's
 * transport by download phase: two key establishment C-APDUs by SMS (the card's data answered), then
 * an SCP03t body (this SM-SR has no admin server: by SMS to the ISD-P's TAR, the PoR data answered raw), and a body
 * starting with 84 before key establishment still going by SMS as a C-APDU. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/es_endpoint.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/smsr.h"
#include "rsp/store.h"
#include "smsr/smsr_dl.h"

#define EID "89049032123451234512345678901235"
#define AID1 "A0000005591010FFFFFFFF8900001000"
#define AIDN "A0000005591010FFFFFFFF8900001100" /* the next free ISD-P: TAR 000011 */
#define ICC "8988247000000000011"
#define ICCN "8988247000000000029"
/* INSTALL [for install and make selectable] of AIDN, quota 70000 = 0x00011170 (SGP02.md ES5) */
#define INSTALL_N "80E60C0047" "10A0000005591010FFFFFFFF8900000D00" "10A0000005591010FFFFFFFF8900000E00" \
                  "10" AIDN "0380C0000EC90481020370EF068304000111700" "0"
#define PERSO_N "80E62000160000" "10" AIDN "000000"

typedef struct world {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
    rsp_smsr_config cfg;
    smsr_es3 *x3;
    rsp_es_endpoint *ep;
    uint8_t keys[32];
    size_t sent;
    rsp_buf pkt;
    uint64_t cntr;
    int responses, status;
    rsp_buf body;
} world;

static void on_send(void *arg, const rsp_smsr_packet *p)
{
    world *w = arg;
    w->sent++;
    assert_int_equal(p->n, 1);
    assert_string_equal(p->msisdn, "447700900101");
    w->cntr = p->counter;
    assert_int_equal(rsp_buf_set(&w->pkt, p->parts[0].data, p->parts[0].len), RSP_OK);
}

static rsp_err no_callbacks(void *c, const char *u, const char *ct, const char *a, const uint8_t *b, size_t n)
{
    (void)c, (void)u, (void)ct, (void)a, (void)b, (void)n;
    fail_msg("Prefer: wait answers in the HTTP response, never by callback");
    return RSP_ERR_INTERNAL;
}

static void respond(void *rctx, const rsp_es_http_out *o)
{
    world *w = rctx;
    w->responses++;
    w->status = o->status;
    assert_int_equal(rsp_buf_set(&w->body, o->body, o->body_len), RSP_OK);
    assert_int_equal(rsp_buf_append(&w->body, (const uint8_t *)"", 1), RSP_OK);
}

static void start(world *w)
{
    assert_int_equal(rsp_store_open(w->uri, NULL, &w->st), RSP_OK);
    rsp_smsr_config_default(&w->cfg);
    w->cfg.worker_id = "w1";
    assert_int_equal(rsp_smsr_new(w->st, &w->cfg, &w->e), RSP_OK);
    assert_int_equal(smsr_es3_new(w->e, "dp1,dp2", on_send, w, &w->x3), RSP_OK);
    const rsp_es_handler *h = NULL;
    size_t n = 0;
    assert_int_equal(smsr_es3_merge(w->x3, &h, &n), RSP_OK);
    rsp_es_endpoint_cfg cfg = {h, n, no_callbacks, w, "https://smsr.example/es3", {0, 0}};
    assert_int_equal(rsp_es_endpoint_new(&cfg, &w->ep), RSP_OK);
}

/* A process that stops: what waits in memory is dropped (the endpoint answers nothing more). */
static void stop(world *w)
{
    smsr_es3_stop(w->x3);
    rsp_es_endpoint_free(w->ep);
    smsr_es3_free(w->x3);
    rsp_smsr_free(w->e);
    rsp_store_close(w->st);
    w->ep = NULL;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    snprintf(w->dir, sizeof(w->dir), "/tmp/smsr-dl-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    snprintf(w->uri, sizeof(w->uri), "sqlite:%s/s.db", w->dir);
    start(w);
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), EID);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    snprintf(eis.smsr_id, sizeof(eis.smsr_id), "sr1");
    assert_int_equal(rsp_store_eis_put(w->st, &eis), RSP_OK);
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), ICC);
    snprintf(p.eid, sizeof(p.eid), EID);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), AID1);
    snprintf(p.mno_id, sizeof(p.mno_id), "op1");
    snprintf(p.smdp_id, sizeof(p.smdp_id), "dp1");
    snprintf(p.msisdn, sizeof(p.msisdn), "447700900101");
    p.state = RSP_STORE_PROFILE_ENABLED;
    assert_int_equal(rsp_store_profile_put(w->st, &p), RSP_OK);
    for (int i = 0; i < 32; i++)
        w->keys[i] = (uint8_t)(0x11 * (i % 15) + i);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), EID);
    ks.kvn = 1;
    assert_int_equal(rsp_buf_set(&ks.keys, w->keys, 32), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(w->st, &ks), RSP_OK);
    rsp_buf_free(&ks.keys);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    if (w->ep) {
        assert_int_equal(rsp_es_endpoint_pending(w->ep), 0);
        stop(w);
    }
    rsp_buf_free(&w->pkt);
    rsp_buf_free(&w->body);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w);
    return 0;
}

static void post(world *w, const char *who, const char *function, const char *json)
{
    char path[64], peer[64];
    snprintf(path, sizeof(path), "/es3/%s", function);
    snprintf(peer, sizeof(peer), "CN=%s,O=test", who);
    rsp_es_http_in in = {path, "application/json", NULL, "wait", peer, (const uint8_t *)json, strlen(json)};
    rsp_es_endpoint_handle(w->ep, &in, respond, w);
}

static void create(world *w, const char *fcid, const char *iccid, int mem)
{
    char b[256];
    snprintf(b, sizeof(b),
             "{\"functionCallIdentifier\":\"%s\",\"eid\":\"" EID "\",\"iccid\":\"%s\",\"mnoId\":\"op1\","
             "\"requiredMemory\":%d}",
             fcid, iccid, mem);
    post(w, "dp1", "CreateISDP", b);
}

static void send_data(world *w, const char *fcid, const char *aid, const char *hex)
{
    char b[512];
    snprintf(b, sizeof(b), "{\"functionCallIdentifier\":\"%s\",\"eid\":\"" EID "\",\"sdAid\":\"%s\",\"data\":\"%s\"}",
             fcid, aid, hex);
    post(w, "dp1", "SendData", b);
}

static bool body_has(const world *w, const char *s)
{
    return w->body.data && strstr((const char *)w->body.data, s);
}

/* The card: opens the last SMS, checks its script's C-APDUs (want[0..n-1] hex), answers each with
 * 9000 and the last with data_hex || sw; the PoR goes to the engine, then ES3 answers. */
static void card(world *w, const char *const *want, size_t n, const char *data_hex, uint16_t sw)
{
    const rsp_buf *ud = &w->pkt;
    assert_true(ud->len > 3 && ud->data[0] == 0x02 && ud->data[1] == 0x70 && ud->data[2] == 0x00);
    rsp_scp80_keys k = {w->keys, 16, w->keys + 16, 16};
    uint8_t work[300];
    rsp_scp80_cmd c;
    assert_int_equal(rsp_scp80_cmd_open(&k, ud->data + 3, ud->len - 3, work, sizeof(work), &c, NULL), RSP_OK);
    assert_true(c.cc_valid);
    rsp_rapdu_script s;
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, c.data, c.data_len, &s, NULL), RSP_OK);
    assert_int_equal(s.n, n);
    for (size_t i = 0; i < n; i++)
        tu_assert_hex(s.cmds[i].p, s.cmds[i].len, want[i]);
    uint8_t last[64];
    size_t dl = strlen(data_hex) / 2;
    if (dl)
        assert_int_equal(rsp_hex_decode_fixed(data_hex, last, dl, NULL), RSP_OK);
    last[dl] = (uint8_t)(sw >> 8);
    last[dl + 1] = (uint8_t)sw;
    static const uint8_t ok[2] = {0x90, 0x00};
    rsp_bytes r[2] = {{ok, 2}, {last, dl + 2}};
    if (n == 1)
        r[0] = r[1];
    rsp_buf resp = RSP_BUF_INIT;
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_EXPANDED, (unsigned)n, r, n, &resp), RSP_OK);
    uint8_t out[300];
    size_t on = 0;
    assert_int_equal(rsp_scp80_por_build(&k, &c.h, 0, resp.data, resp.len, out, sizeof(out), &on, NULL), RSP_OK);
    rsp_buf_free(&resp);
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(rsp_smsr_on_por(w->e, EID, out, on, now, NULL), RSP_OK);
    smsr_es3_poll(w->x3, now);
}

static void test_rows(void **state)
{
    (void)state;
    static const rsp_smsr_fn fns[2] = {RSP_SMSR_FN_CREATE_ISDP, RSP_SMSR_FN_SEND_DATA};
    static const struct {
        rsp_smsr_step from;
        rsp_smsr_event ev;
        rsp_smsr_step to; /* RSP_SMSR_STEP__COUNT: no row */
    } rows[] = {
        {RSP_SMSR_STEP_COMMAND, RSP_SMSR_EV_SENT, RSP_SMSR_STEP_WAIT_POR},
        {RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_OK, RSP_SMSR_STEP_DONE},
        {RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_REFUSED, RSP_SMSR_STEP_FAILED},
        {RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_SECURITY, RSP_SMSR_STEP_COMMAND},
        {RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_TIMEOUT, RSP_SMSR_STEP_COMMAND},
        {RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_ADMIN_LOST, RSP_SMSR_STEP_COMMAND},
        {RSP_SMSR_STEP_COMMAND, RSP_SMSR_EV_DEADLINE, RSP_SMSR_STEP_EXPIRED},
        {RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_DEADLINE, RSP_SMSR_STEP_EXPIRED},
        /* no notification ends a download op */
        {RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_NOTIF_DONE, RSP_SMSR_STEP__COUNT},
        {RSP_SMSR_STEP_WAIT_NOTIF, RSP_SMSR_EV_TIMEOUT, RSP_SMSR_STEP__COUNT},
        {RSP_SMSR_STEP_WAIT_NOTIF, RSP_SMSR_EV_DEADLINE, RSP_SMSR_STEP__COUNT},
    };
    for (size_t f = 0; f < 2; f++)
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
            rsp_smsr_step n = RSP_SMSR_STEP__COUNT;
            rsp_err r = rsp_smsr_step_next(fns[f], rows[i].from, rows[i].ev, &n);
            if (rows[i].to == RSP_SMSR_STEP__COUNT) {
                assert_int_equal(r, RSP_ERR_STATE);
            } else {
                assert_int_equal(r, RSP_OK);
                assert_int_equal(n, rows[i].to);
            }
        }
    /* a resend refused 6985: CreateISDP's ISD-P exists (done), SendData's refusal fails */
    rsp_smsr_step again = RSP_SMSR_STEP__COUNT;
    assert_int_equal(rsp_smsr_step_next(RSP_SMSR_FN_CREATE_ISDP, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_REFUSED_AGAIN,
                                        &again), RSP_OK);
    assert_int_equal(again, RSP_SMSR_STEP_DONE);
    assert_int_equal(rsp_smsr_step_next(RSP_SMSR_FN_SEND_DATA, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_REFUSED_AGAIN,
                                        &again), RSP_OK);
    assert_int_equal(again, RSP_SMSR_STEP_FAILED);
    rsp_smsr_fn fn;
    assert_int_equal(rsp_smsr_fn_parse("ES3.CreateISDP", &fn), RSP_OK);
    assert_int_equal(fn, RSP_SMSR_FN_CREATE_ISDP);
    assert_int_equal(rsp_smsr_fn_parse("ES3.SendData", &fn), RSP_OK);
    assert_int_equal(fn, RSP_SMSR_FN_SEND_DATA);
    /* ES4's submit does not take them: their request is not a profile's */
    rsp_smsr_request q = {RSP_SMSR_FN_SEND_DATA, RSP_SMSR_ROLE_SMDP, "dp1", "f", EID, ICC, 1, 60};
    rsp_smsr_result res;
    assert_int_equal(rsp_smsr_submit(NULL, &q, &res), RSP_ERR_INVAL);
}

static void test_script(void **state)
{
    (void)state;
    smsr_dl d;
    const char ok[] = "iccid=" ICC ";aid=" AID1 ";t=sms\n\x80\xCA\x00\x66\x00";
    rsp_buf s = RSP_BUF_INIT;
    assert_int_equal(rsp_buf_set(&s, ok, sizeof(ok) - 1), RSP_OK);
    assert_int_equal(smsr_dl_decode(RSP_SMSR_FN_SEND_DATA, &s, &d), RSP_OK);
    assert_string_equal(d.iccid, ICC);
    assert_int_equal(d.aid_len, 16);
    assert_false(d.scp03t);
    tu_assert_hex(d.data, d.len, "80CA006600");
    assert_int_equal(smsr_dl_decode(RSP_SMSR_FN_CREATE_ISDP, &s, &d), RSP_ERR_FORMAT); /* t= is SendData's */
    assert_int_equal(smsr_dl_decode(RSP_SMSR_FN_ENABLE, &s, &d), RSP_ERR_FORMAT);
    const char *bad[] = {
        "iccid=" ICC ";aid=" AID1 ";t=sms",                 /* no end of header */
        "iccid=" ICC ";aid=" AID1 ";t=sms\n",               /* no data */
        "iccid=" ICC ";aid=" AID1 ";t=xyz\n\x80\x00\x00\x00\x00",
        "iccid=" ICC ";aid=A000;t=sms\n\x80\x00\x00\x00\x00", /* AID too short */
        "iccid=" ICC ";aid=" AID1 ";mem=12\n",              /* CreateISDP's */
        "iccid=;aid=" AID1 ";t=sms\n\x80\x00\x00\x00\x00",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(rsp_buf_set(&s, bad[i], strlen(bad[i])), RSP_OK);
        assert_int_equal(smsr_dl_decode(RSP_SMSR_FN_SEND_DATA, &s, &d), RSP_ERR_FORMAT);
    }
    const char cr[] = "iccid=" ICC ";aid=" AID1 ";mem=70000\n";
    assert_int_equal(rsp_buf_set(&s, cr, sizeof(cr) - 1), RSP_OK);
    assert_int_equal(smsr_dl_decode(RSP_SMSR_FN_CREATE_ISDP, &s, &d), RSP_OK);
    assert_int_equal(d.mem, 70000);
    const char cr2[] = "iccid=" ICC ";aid=" AID1 ";mem=99999999999\n";
    assert_int_equal(rsp_buf_set(&s, cr2, sizeof(cr2) - 1), RSP_OK);
    assert_int_equal(smsr_dl_decode(RSP_SMSR_FN_CREATE_ISDP, &s, &d), RSP_ERR_FORMAT);
    rsp_buf_free(&s);
}

static void test_create_restart_replay(void **state)
{
    world *w = *state;
    create(w, "c1", ICCN, 70000);
    assert_int_equal(w->sent, 1);      /* kicked at once, not at the daemon's next tick */
    assert_int_equal(w->responses, 0); /* waits for the PoR */
    rsp_store_profile p;
    assert_int_equal(rsp_store_profile_get(w->st, ICCN, &p), RSP_OK);
    assert_string_equal(p.isdp_aid, AIDN);
    assert_int_equal(p.state, RSP_STORE_PROFILE_IN_CREATION); /* committed before the packet */
    uint64_t first = w->cntr;
    /* the SM-SR stops before the PoR: the SM-DP's call is answered 8.7 / 3.7, the op goes on */
    stop(w);
    assert_int_equal(w->responses, 1);
    assert_true(body_has(w, "\"reasonCode\":\"3.7\""));
    start(w);
    rsp_smsr_packet pkt;
    int64_t later = (int64_t)time(NULL) + 100; /* the first holder's lease lapsed */
    assert_int_equal(rsp_smsr_next(w->e, later, &pkt), RSP_OK);
    assert_false(pkt.https);
    assert_true(pkt.counter > first); /* a fresh counter: none is reused */
    on_send(w, &pkt);
    rsp_smsr_packet_clear(&pkt);
    const char *want[1] = {INSTALL_N};
    card(w, want, 1, "", 0x9000);
    assert_int_equal(rsp_store_profile_get(w->st, ICCN, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_CREATED);
    /* the SM-DP asks again with the same FCID: the first result, with the AID, from the store */
    size_t sent = w->sent;
    create(w, "c1", ICCN, 70000);
    assert_int_equal(w->responses, 2);
    assert_true(body_has(w, "EXECUTED_SUCCESS"));
    assert_true(body_has(w, AIDN));
    assert_int_equal(w->sent, sent);
    /* the same FCID for another request */
    create(w, "c1", ICCN, 80000);
    assert_int_equal(w->responses, 3);
    assert_true(body_has(w, "\"subjectCode\":\"1.1\"") && body_has(w, "\"reasonCode\":\"2.1\""));
    /* another FCID for the same ICCID: refused, and the refusal is recorded */
    create(w, "c2", ICCN, 70000);
    assert_int_equal(w->responses, 4);
    assert_true(body_has(w, "\"reasonCode\":\"3.3\""));
    assert_int_equal(w->sent, sent);
}

static void test_senddata_phase(void **state)
{
    world *w = *state;
    create(w, "c1", ICCN, 70000);
    const char *want_c[1] = {INSTALL_N};
    card(w, want_c, 1, "", 0x9000);
    assert_int_equal(w->responses, 1);
    /* before key establishment a body starting with 84 is a C-APDU (CLA 84), by SMS */
    send_data(w, "s0", AIDN, "8400010203");
    assert_int_equal(w->sent, 2);
    const char *want0[2] = {PERSO_N, "8400010203"};
    card(w, want0, 2, "", 0x6A80);
    assert_int_equal(w->responses, 2);
    assert_true(body_has(w, "command 2 of 2: SW 6A80"));
    /* key establishment: 3A01 then 3A02, the card's answers reach the SM-DP */
    send_data(w, "k1", AIDN, "80E29100063A01037F2100");
    const char *want1[2] = {PERSO_N, "80E29100063A01037F2100"};
    card(w, want1, 2, "8510000102030405060708090A0B0C0D0E0F", 0x9000);
    assert_true(body_has(w, "EXECUTED_SUCCESS") && body_has(w, "8510000102030405060708090A0B0C0D0E0F"));
    send_data(w, "k2", AIDN, "80E28901053A02020000");
    const char *want2[2] = {PERSO_N, "80E28901053A02020000"};
    card(w, want2, 2, "8610AABBCCDDEEFF00112233445566778899", 0x9000);
    assert_true(body_has(w, "8610AABBCCDDEEFF00112233445566778899"));
    assert_int_equal(w->responses, 4);
    /* then an SCP03t body: no admin server here, so by SMS (helper U): the body itself as the secured
     * data of an SCP80 packet to the ISD-P's TAR (000011), and the PoR's response data is the answer */
    send_data(w, "t1", AIDN, "8400010203");
    assert_int_equal(w->responses, 4);
    size_t sent = w->sent;
    assert_int_equal(sent, 5);
    {
        rsp_scp80_keys k = {w->keys, 16, w->keys + 16, 16};
        uint8_t work[300], out[300];
        rsp_scp80_cmd c;
        assert_int_equal(rsp_scp80_cmd_open(&k, w->pkt.data + 3, w->pkt.len - 3, work, sizeof(work), &c, NULL),
                         RSP_OK);
        tu_assert_hex(c.h.tar, 3, "000011");
        tu_assert_hex(c.data, c.data_len, "8400010203");
        static const uint8_t ans[2] = {0x9F, 0x03};
        size_t on = 0;
        assert_int_equal(rsp_scp80_por_build(&k, &c.h, 0, ans, 2, out, sizeof(out), &on, NULL), RSP_OK);
        int64_t now = (int64_t)time(NULL);
        assert_int_equal(rsp_smsr_on_por(w->e, EID, out, on, now, NULL), RSP_OK);
        smsr_es3_poll(w->x3, now);
    }
    assert_int_equal(w->responses, 5);
    assert_true(body_has(w, "EXECUTED_SUCCESS") && body_has(w, "9F03"));
    /* a replay of k2 from the store: its data again, nothing sent */
    send_data(w, "k2", AIDN, "80E28901053A02020000");
    assert_int_equal(w->responses, 6);
    assert_true(body_has(w, "8610AABBCCDDEEFF00112233445566778899"));
    assert_int_equal(w->sent, sent);
}

/* The SM-DP cleans up an ISD-P the card never made (its CreateISDP was refused at once... or lost):
 * the card answers the DELETE 6A88, the record follows the card and the deletion is done. */
static void test_delete_absent(void **state)
{
    world *w = *state;
    create(w, "c1", ICCN, 70000);
    const char *want_c[1] = {INSTALL_N};
    card(w, want_c, 1, "", 0x9000);
    post(w, "dp1", "DeleteISDP", "{\"functionCallIdentifier\":\"d1\",\"eid\":\"" EID "\",\"iccid\":\"" ICCN "\"}");
    assert_int_equal(w->sent, 2);
    const char *want_d[1] = {"80E40040124F10" AIDN};
    card(w, want_d, 1, "", 0x6A88);
    assert_int_equal(w->responses, 2);
    assert_true(body_has(w, "EXECUTED_SUCCESS"));
    rsp_store_profile p;
    assert_int_equal(rsp_store_profile_get(w->st, ICCN, &p), RSP_ERR_NOT_FOUND);
}

/* The PoR of a CreateISDP is lost (the card made the ISD-P): the resend, with a fresh counter, is
 * refused 6985 because the ISD-P exists, and the op ends done with the ISD-P's AID (the record
 * CREATED), not failed. A FIRST packet refused 6985 still fails (the AID was taken by someone else). */
static void test_create_lost_por(void **state)
{
    world *w = *state;
    create(w, "c1", ICCN, 70000);
    assert_int_equal(w->sent, 1);
    uint64_t first = w->cntr;
    /* no PoR: past the PoR wait (and the lease) the engine sends it again */
    rsp_smsr_packet pkt;
    int64_t later = (int64_t)time(NULL) + 100;
    assert_int_equal(rsp_smsr_next(w->e, later, &pkt), RSP_OK);
    assert_true(pkt.counter > first);
    on_send(w, &pkt);
    rsp_smsr_packet_clear(&pkt);
    assert_int_equal(w->responses, 0);
    const char *want[1] = {INSTALL_N};
    card(w, want, 1, "", 0x6985);
    assert_int_equal(w->responses, 1);
    assert_true(body_has(w, "EXECUTED_SUCCESS"));
    assert_true(body_has(w, AIDN));
    rsp_store_profile p;
    assert_int_equal(rsp_store_profile_get(w->st, ICCN, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_CREATED);
    assert_string_equal(p.isdp_aid, AIDN);
    /* a first packet refused 6985: failed, and nothing recorded */
    create(w, "c2", "8988247000000000037", 70000);
    assert_int_equal(w->sent, 3);
    rsp_scp80_keys k = {w->keys, 16, w->keys + 16, 16};
    uint8_t work[300], out[300];
    rsp_scp80_cmd c;
    assert_int_equal(rsp_scp80_cmd_open(&k, w->pkt.data + 3, w->pkt.len - 3, work, sizeof(work), &c, NULL), RSP_OK);
    static const uint8_t r6985[] = {0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x69, 0x85};
    size_t on = 0;
    assert_int_equal(rsp_scp80_por_build(&k, &c.h, 0, r6985, sizeof r6985, out, sizeof(out), &on, NULL), RSP_OK);
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(rsp_smsr_on_por(w->e, EID, out, on, now, NULL), RSP_OK);
    smsr_es3_poll(w->x3, now);
    assert_int_equal(w->responses, 2);
    assert_false(body_has(w, "EXECUTED_SUCCESS"));
    assert_true(body_has(w, "6985"));
    assert_int_equal(rsp_store_profile_get(w->st, "8988247000000000037", &p), RSP_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_script),
        cmocka_unit_test_setup_teardown(test_create_restart_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_senddata_phase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_absent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_lost_por, setup, teardown),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
