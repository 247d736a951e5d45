/* ES3.UpdateConnectivityParameters at the SM-SR (es3_relay.c -> es3_dl.c: a durable engine operation like
 * SendData), driven through lib/svc's ES endpoint in process (JSON, Prefer: wait, the peer's certificate
 * CN) with the card played here by the card-role codecs: the SMS carries one expanded script to the
 * ISD-R, INSTALL [for personalization] of the ISD-P then the ConnectivityParameters bytes unchanged, and
 * the call is answered when the PoR settles its operation. Outside fact: the STORE DATA 3A07 of SGP02.md
 * ("Card and SM-SR details", SMSC +33689924111 -> 06 07 91 3386994211F1). Refusals: another SM-DP's
 * ISD-P, an Operator, no parameters, a card refusal; a body longer than one short C-APDU goes to the
 * admin session (refused here: no SCP81 server), and a CLA 84 (SCP03-wrapped) C-APDU still goes by SMS.
 * Durability: the SM-SR "crashes" with the PoR outstanding (engine, ES3 and endpoint freed, the store
 * kept); a new engine resends with a fresh counter once the lease lapses, the card's answer settles
 * it, a replayed FCID gets that result from the store with nothing sent, and the FCID with other
 * parameters is refused 1.1 / 2.1. */
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
#include "smsr/smsr_int.h"

#define EID "89049032123451234512345678901235"
#define AID1 "A0000005591010FFFFFFFF8900001000"
#define ICC "8988247000000000011"
/* SGP02.md: 80E28800 Lc 3A07 L A0 L 06 L 91 <SMSC>, for +33689924111 */
#define CP_SPEC "80E288000E3A070BA0090607913386994211F1"
/* the same command SCP03-wrapped by the SM-DP (CLA 84, C-MAC): opaque to the SM-SR */
#define CP_WRAPPED "84E28800163A070BA0090607913386994211F10102030405060708"
#define PERSO "80E62000160000" "10" AID1 "000000"

typedef struct world {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
    rsp_smsr_config cfg;
    smsr_es3 *x3;
    rsp_es_endpoint *ep;
    uint8_t keys[32];
    size_t sent;          /* packets sent */
    rsp_buf pkt;          /* the last one's single part */
    uint64_t cntr;
    int responses, status;
    rsp_buf body;         /* the last HTTP answer */
    char settled_fn[64];  /* the function name the last settle reported (what /metrics counts) */
} world;

static void on_settled(void *arg, const char *function, rsp_store_op_state outcome, int64_t seconds)
{
    (void)outcome, (void)seconds;
    world *w = arg;
    snprintf(w->settled_fn, sizeof(w->settled_fn), "%s", function);
}

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
    assert_int_equal(rsp_buf_append(&w->body, (const uint8_t *)"", 1), RSP_OK); /* NUL for strstr */
}

/* The SM-SR's in-process part on the store: engine, ES3 handlers, the ES endpoint. */
static void engine_up(world *w)
{
    rsp_smsr_config_default(&w->cfg);
    w->cfg.worker_id = "w1";
    w->cfg.on_settled = on_settled;
    w->cfg.settled_arg = w;
    assert_int_equal(rsp_smsr_new(w->st, &w->cfg, &w->e), RSP_OK);
    assert_int_equal(smsr_es3_new(w->e, "dp1,dp2", on_send, w, &w->x3), RSP_OK);
    const rsp_es_handler *h = NULL;
    size_t n = 0;
    assert_int_equal(smsr_es3_merge(w->x3, &h, &n), RSP_OK);
    rsp_es_endpoint_cfg cfg = {h, n, no_callbacks, w, "https://smsr.example/es3", {0, 0}};
    assert_int_equal(rsp_es_endpoint_new(&cfg, &w->ep), RSP_OK);
}

/* Gone as in a crash, as far as the store sees: nothing settled (a waiting call is told 8.7 / 3.7). */
static void engine_down(world *w)
{
    smsr_es3_free(w->x3);
    rsp_es_endpoint_free(w->ep);
    rsp_smsr_free(w->e);
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    snprintf(w->dir, sizeof(w->dir), "/tmp/smsr-ucp-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    snprintf(w->uri, sizeof(w->uri), "sqlite:%s/s.db", w->dir);
    assert_int_equal(rsp_store_open(w->uri, NULL, &w->st), RSP_OK);
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
    snprintf(p.profile_type, sizeof(p.profile_type), "m2m");
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
    engine_up(w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    assert_int_equal(rsp_es_endpoint_pending(w->ep), 0);
    engine_down(w);
    rsp_store_close(w->st);
    rsp_buf_free(&w->pkt);
    rsp_buf_free(&w->body);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w);
    return 0;
}

/* POSTs UpdateConnectivityParameters as the certificate CN who with FCID fcid; cp_hex NULL: none. The
 * engine settles what it can at once (a refusal at claim time): the waiting calls are polled as the
 * daemon's tick does. */
static void post_f(world *w, const char *fcid, const char *who, const char *iccid, const char *cp_hex)
{
    char body[1400], peer[64];
    snprintf(body, sizeof(body),
             "{\"functionCallIdentifier\":\"%s\",\"eid\":\"" EID "\",\"iccid\":\"%s\"%s%s%s}", fcid, iccid,
             cp_hex ? ",\"connectivityParameters\":\"" : "", cp_hex ? cp_hex : "", cp_hex ? "\"" : "");
    snprintf(peer, sizeof(peer), "CN=%s,O=test", who);
    rsp_es_http_in in = {"/es3/UpdateConnectivityParameters", "application/json", NULL, "wait", peer,
                         (const uint8_t *)body, strlen(body)};
    rsp_es_endpoint_handle(w->ep, &in, respond, w);
    smsr_es3_poll(w->x3, 0);
}

static void post(world *w, const char *who, const char *iccid, const char *cp_hex)
{
    post_f(w, "c1", who, iccid, cp_hex);
}

static bool answered_with(const world *w, const char *subject, const char *reason)
{
    const char *b = (const char *)w->body.data;
    if (w->status != 200)
        return false;
    char s[40], r[40];
    snprintf(s, sizeof(s), "\"subjectCode\":\"%s\"", subject);
    snprintf(r, sizeof(r), "\"reasonCode\":\"%s\"", reason);
    return b && strstr(b, "FAILED") && strstr(b, s) && strstr(b, r);
}

/* The card: opens the SMS, checks the script is exactly PERSO then want_hex, answers sw1 / sw2. */
static void card(world *w, const char *want_hex, uint16_t sw2)
{
    const rsp_buf *ud = &w->pkt;
    assert_true(ud->len > 3 && ud->data[0] == 0x02 && ud->data[1] == 0x70 && ud->data[2] == 0x00);
    rsp_scp80_keys k = {w->keys, 16, w->keys + 16, 16};
    uint8_t work[300];
    rsp_scp80_cmd c;
    assert_int_equal(rsp_scp80_cmd_open(&k, ud->data + 3, ud->len - 3, work, sizeof(work), &c, NULL), RSP_OK);
    assert_true(c.cc_valid);
    uint64_t cntr = 0;
    for (int i = 0; i < 5; i++)
        cntr = cntr << 8 | c.h.cntr[i];
    assert_int_equal(cntr, w->cntr);
    rsp_rapdu_script s;
    assert_int_equal(rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, c.data, c.data_len, &s, NULL), RSP_OK);
    assert_int_equal(s.n, 2);
    tu_assert_hex(s.cmds[0].p, s.cmds[0].len, PERSO);
    tu_assert_hex(s.cmds[1].p, s.cmds[1].len, want_hex);
    /* the second R-APDU carries data when the command succeeds (the SM-DP gets it in EuiccResponseData) */
    uint8_t sws[7] = {0x90, 0x00, 0xC0, 0xFF, 0xEE, (uint8_t)(sw2 >> 8), (uint8_t)sw2};
    rsp_bytes r[2] = {{sws, 2}, {sws + (sw2 == 0x9000 ? 2 : 5), sw2 == 0x9000 ? 5u : 2u}};
    rsp_buf resp = RSP_BUF_INIT;
    assert_int_equal(rsp_rapdu_resp_build(RSP_RAPDU_EXPANDED, 2, r, 2, &resp), RSP_OK);
    uint8_t out[300];
    size_t n = 0;
    assert_int_equal(rsp_scp80_por_build(&k, &c.h, 0, resp.data, resp.len, out, sizeof(out), &n, NULL), RSP_OK);
    rsp_buf_free(&resp);
    rsp_diag dg;
    rsp_diag_clear(&dg);
    /* the engine's PoR path settles the op (no ES3 bytes wait outside it any more) */
    assert_int_equal(smsr_es3_on_por(w->x3, EID, out, n, 0), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_smsr_on_por(w->e, EID, out, n, (int64_t)time(NULL), &dg), RSP_OK);
    smsr_es3_poll(w->x3, 0);
}

static void test_spec_example(void **state)
{
    world *w = *state;
    post(w, "dp1", ICC, CP_SPEC);
    assert_int_equal(w->sent, 1);
    assert_int_equal(w->responses, 0); /* answered on the PoR */
    card(w, CP_SPEC, 0x9000);
    assert_int_equal(w->responses, 1);
    assert_non_null(strstr((const char *)w->body.data, "EXECUTED_SUCCESS"));
    assert_non_null(strstr((const char *)w->body.data, "C0FFEE")); /* the card's data */
    /* a function of its own, not ES3.SendData: in what /metrics counts and in the audit trail */
    assert_string_equal(w->settled_fn, "ES3.UpdateConnectivityParameters");
    rsp_store_audit *v = NULL;
    size_t n = 0, queued = 0;
    assert_int_equal(rsp_store_audit_list(w->st, EID, 0, 256, &v, &n), RSP_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].event, "smsr.queued") == 0) {
            assert_string_equal(v[i].detail, "ES3.UpdateConnectivityParameters");
            queued++;
        }
    free(v);
    assert_int_equal(queued, 1);
}

/* A crash with the PoR outstanding: resent with a fresh counter after the lease, settled once, replayed. */
static void test_restart(void **state)
{
    world *w = *state;
    post_f(w, "u7", "dp1", ICC, CP_SPEC);
    assert_int_equal(w->sent, 1);
    uint64_t first = w->cntr;
    engine_down(w); /* the waiting call is told the SM-SR stops; the op stays in the store */
    assert_int_equal(w->responses, 1);
    assert_true(answered_with(w, "8.7", "3.7"));
    engine_up(w);
    rsp_smsr_packet pkt;
    int64_t later = (int64_t)time(NULL) + 1000; /* past the PoR wait: the lease lapsed */
    assert_int_equal(rsp_smsr_next(w->e, later, &pkt), RSP_OK);
    on_send(w, &pkt);
    rsp_smsr_packet_clear(&pkt);
    assert_int_equal(w->sent, 2);
    assert_true(w->cntr > first); /* never the same counter twice */
    card(w, CP_SPEC, 0x9000);
    assert_int_equal(rsp_smsr_next(w->e, later, &pkt), RSP_ERR_END); /* settled: nothing more */
    post_f(w, "u7", "dp1", ICC, CP_SPEC); /* the SM-DP asks again: the first result, nothing sent */
    assert_int_equal(w->sent, 2);
    assert_int_equal(w->responses, 2);
    assert_non_null(strstr((const char *)w->body.data, "EXECUTED_SUCCESS"));
    assert_non_null(strstr((const char *)w->body.data, "C0FFEE"));
    post_f(w, "u7", "dp1", ICC, CP_WRAPPED); /* the same FCID, other parameters */
    assert_true(answered_with(w, "1.1", "2.1"));
    assert_int_equal(w->sent, 2);
}

static void test_wrapped_by_sms(void **state)
{
    world *w = *state;
    post(w, "dp1", ICC, CP_WRAPPED); /* CLA 84: a C-APDU, not an SCP03t body: by SMS */
    assert_int_equal(w->sent, 1);
    card(w, CP_WRAPPED, 0x6A80);     /* the ISD-P refuses it: the SM-DP is told */
    assert_int_equal(w->responses, 1);
    assert_true(answered_with(w, "8.4", "4.2"));
    assert_non_null(strstr((const char *)w->body.data, "6A80"));
}

static void test_refusals(void **state)
{
    world *w = *state;
    post(w, "dp2", ICC, CP_SPEC);
    assert_true(answered_with(w, "8.2.1", "1.2")); /* another SM-DP's ISD-P */
    post(w, "op1", ICC, CP_SPEC);
    assert_true(answered_with(w, "1.1", "1.2")); /* ES3 is for SM-DPs */
    post(w, "dp1", "8988247000000000999", CP_SPEC);
    assert_true(answered_with(w, "8.2.1", "3.9"));
    post(w, "dp1", ICC, NULL); /* refused by the endpoint's decoder (a mandatory field) */
    assert_int_equal(w->status, 400);
    post(w, "dp1", ICC, "80E288");
    assert_true(answered_with(w, "1.1", "2.2"));
    /* longer than one short C-APDU: the admin session, which this SM-SR has not */
    char big[2 * 300 + 1];
    for (size_t i = 0; i < 300; i++)
        memcpy(big + 2 * i, i < 4 ? &"84E28800"[2 * i] : "00", 2);
    big[600] = 0;
    post(w, "dp1", ICC, big);
    assert_true(answered_with(w, "8.4", "4.2"));
    assert_non_null(strstr((const char *)w->body.data, "SCP81"));
    assert_int_equal(w->responses, 6);
    assert_int_equal(w->sent, 0); /* nothing reached the card */
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(test_spec_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrapped_by_sms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
