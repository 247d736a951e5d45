/* ES5 over HTTPS in the SM-SR (lib/smsr/admin.c, es5_https.c, keys.c): the admin session table, the
 * reading of a card's POST (PSK identity, ?msg=, X-Admin-*), the SCP81 PSK sealed at rest, and one
 * whole session over loopback with a real PSK-TLS client playing the card: queue -> trigger SMS ->
 * first POST answered with the script (Targeted-Application) -> the answer handed back -> held ->
 * a second script queued on the held POST -> idle 204; a session that breaks fails its script; an
 * identity without a stored PSK is refused at the handshake; the card's connection closing is seen at
 * once (script out: failed, the queue re-triggered, nothing sent twice; POST held: session closed);
 * an enable / disable / 3A08 script ends the session with 204 right after its answer. */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/http.h"
#include "rsp/ids.h"
#include "rsp/scp80.h"
#include "rsp/scp81.h"
#include "rsp/tls.h"
#include "smsr/smsr_dl.h"
#include "smsr/smsr_int.h"

#define EID "89049032123451234512345678901235"
#define AIDP "A0000005591010FFFFFFFF8900001000"

static const uint8_t PSK[16] = {0x5A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xA5};

/* ---- the table ---- */

static void row(smsr_adm_state from, smsr_adm_event ev, bool work, unsigned want_act, smsr_adm_state want_to)
{
    unsigned act = 0;
    smsr_adm_state to = SMSR_ADM_CLOSED;
    assert_int_equal(smsr_adm_next(from, ev, work, &act, &to), RSP_OK);
    assert_int_equal(act, want_act);
    assert_int_equal(to, want_to);
}

static void test_table(void **state)
{
    (void)state;
    row(SMSR_ADM_CLOSED, SMSR_ADM_EV_QUEUED, true, SMSR_ADM_A_TRIGGER, SMSR_ADM_TRIGGERED);
    row(SMSR_ADM_TRIGGERED, SMSR_ADM_EV_POST_OPEN, true, SMSR_ADM_A_SEND, SMSR_ADM_RUNNING);
    row(SMSR_ADM_RUNNING, SMSR_ADM_EV_POST_RESPONSE, false, SMSR_ADM_A_DELIVER | SMSR_ADM_A_HOLD, SMSR_ADM_HELD);
    row(SMSR_ADM_RUNNING, SMSR_ADM_EV_POST_RESPONSE, true, SMSR_ADM_A_DELIVER | SMSR_ADM_A_SEND, SMSR_ADM_RUNNING);
    row(SMSR_ADM_HELD, SMSR_ADM_EV_QUEUED, true, SMSR_ADM_A_SEND, SMSR_ADM_RUNNING);
    row(SMSR_ADM_HELD, SMSR_ADM_EV_IDLE, false, SMSR_ADM_A_END_HELD, SMSR_ADM_CLOSED);
    row(SMSR_ADM_RUNNING, SMSR_ADM_EV_POST_OPEN, false, SMSR_ADM_A_FAIL_INFLIGHT | SMSR_ADM_A_HOLD, SMSR_ADM_HELD);
    row(SMSR_ADM_TRIGGERED, SMSR_ADM_EV_TRIGGER_LOST, true, SMSR_ADM_A_TRIGGER, SMSR_ADM_TRIGGERED);
    row(SMSR_ADM_TRIGGERED, SMSR_ADM_EV_TRIGGER_GIVE_UP, true, SMSR_ADM_A_FAIL_QUEUE, SMSR_ADM_CLOSED);
    row(SMSR_ADM_RUNNING, SMSR_ADM_EV_NO_ANSWER, false, SMSR_ADM_A_FAIL_INFLIGHT | SMSR_ADM_A_FAIL_QUEUE,
        SMSR_ADM_CLOSED);
    unsigned act;
    smsr_adm_state to;
    assert_int_equal(smsr_adm_next(SMSR_ADM_CLOSED, SMSR_ADM_EV_IDLE, false, &act, &to), RSP_ERR_STATE);
    assert_int_equal(smsr_adm_next(SMSR_ADM_HELD, SMSR_ADM_EV_NO_ANSWER, false, &act, &to), RSP_ERR_STATE);
    /* every POST in every state is answered or held, never both, never left alone */
    for (int s = SMSR_ADM_CLOSED; s <= SMSR_ADM_RUNNING; s++)
        for (int ev = SMSR_ADM_EV_POST_OPEN; ev <= SMSR_ADM_EV_POST_RESPONSE; ev++)
            for (int w = 0; w < 2; w++) {
                assert_int_equal(smsr_adm_next((smsr_adm_state)s, (smsr_adm_event)ev, w, &act, &to), RSP_OK);
                bool send = act & SMSR_ADM_A_SEND, hold = act & SMSR_ADM_A_HOLD;
                assert_true(send != hold);
                assert_true(!send || w); /* a script is sent only when one is queued */
            }
}

/* ---- POST reading ---- */

static void identity(const char *eid, const rsp_aid *aid, uint8_t kvn, char out[160])
{
    uint8_t e[16];
    assert_int_equal(rsp_eid_to_bytes(eid, e), RSP_OK);
    assert_int_equal(rsp_scp81_psk_identity(e, aid->b, aid->len, 0x01, kvn, out, 160), RSP_OK);
}

static const char HDR1[] = "X-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"
                           "X-Admin-From: //se-id/eid/" EID ";//aa-id/aid/A000000559/1010FFFFFFFF8900000100\r\n";

static void test_post_parse(void **state)
{
    (void)state;
    char id[160];
    identity(EID, &RSP_AID_ISDR, 0x40, id);
    smsr_adm_post p;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(smsr_adm_post_parse(id, "/gsma/adminagent", HDR1, strlen(HDR1), 0, &p, &d), RSP_OK);
    assert_string_equal(p.eid, EID);
    assert_int_equal(p.kvn, 0x40);
    assert_false(p.response);
    assert_int_equal(p.msg_len, 0);
    /* a notification in the target */
    assert_int_equal(smsr_adm_post_parse(id, "/a?x=1&msg=E1034D0102", HDR1, strlen(HDR1), 0, &p, &d), RSP_OK);
    assert_int_equal(p.msg_len, 5);
    assert_int_equal(p.msg[0], 0xE1);
    assert_int_equal(p.msg[4], 0x02);
    assert_int_equal(smsr_adm_post_parse(id, "/a?msg=E10", HDR1, strlen(HDR1), 0, &p, &d), RSP_ERR_FORMAT);
    assert_int_equal(smsr_adm_post_parse(id, "/a?msg=ZZ", HDR1, strlen(HDR1), 0, &p, &d), RSP_ERR_FORMAT);
    char big[600] = "/a?msg=";
    memset(big + 7, 'A', 514);
    assert_int_equal(smsr_adm_post_parse(id, big, HDR1, strlen(HDR1), 0, &p, &d), RSP_ERR_FORMAT);
    /* an answer */
    const char h2[] = "X-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Script-Status: ok\r\n"
                      "Content-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\n";
    assert_int_equal(smsr_adm_post_parse(id, "/", h2, strlen(h2), 3, &p, &d), RSP_OK);
    assert_true(p.response);
    assert_int_equal(p.status, RSP_SCP81_STATUS_OK);
    /* refusals: no protocol, another card in X-Admin-From, an identity of another application */
    const char h3[] = "Content-Type: text/plain\r\n";
    assert_int_equal(smsr_adm_post_parse(id, "/", h3, strlen(h3), 0, &p, &d), RSP_ERR_PROTOCOL);
    char other[160];
    identity("89049032000000000000000000000163", &RSP_AID_ISDR, 0x40, other);
    assert_int_equal(smsr_adm_post_parse(other, "/", HDR1, strlen(HDR1), 0, &p, &d), RSP_ERR_DENIED);
    identity(EID, &RSP_AID_ECASD, 0x40, other);
    assert_int_equal(smsr_adm_post_parse(other, "/", HDR1, strlen(HDR1), 0, &p, &d), RSP_ERR_DENIED);
    assert_int_not_equal(smsr_adm_post_parse("nothex", "/", HDR1, strlen(HDR1), 0, &p, &d), RSP_OK);
    assert_int_not_equal(smsr_adm_post_parse("", "/", HDR1, strlen(HDR1), 0, &p, &d), RSP_OK);
}

/* ---- a store with one card ---- */

typedef struct fx {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
    uint8_t mk[32];
    struct event_base *base;
    smsr_https *h;
    unsigned triggers;
    uint64_t trig_cntr;
    /* the card */
    rsp_tls_ctx *ctls;
    rsp_http_client *cl;
    int status;
    char target_app[80];
    rsp_buf body;
    bool got;
    /* the SM-SR's callback */
    int dones;
    rsp_err done_err;
    rsp_buf answer;
    char why[96];
} fx;

static void fx_open_t(fx *x, bool master, int transport)
{
    memset(x, 0, sizeof(*x));
    snprintf(x->dir, sizeof(x->dir), "/tmp/smsr-https-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->uri, sizeof(x->uri), "sqlite:%s/s.db", x->dir);
    assert_int_equal(rsp_store_open(x->uri, NULL, &x->st), RSP_OK);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    cfg.worker_id = "w1";
    memset(x->mk, 0x42, sizeof(x->mk));
    if (master) {
        cfg.master_key = x->mk;
        cfg.master_key_len = 32;
    }
    cfg.es5_transport = transport;
    assert_int_equal(rsp_smsr_new(x->st, &cfg, &x->e), RSP_OK);
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), EID);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    assert_int_equal(rsp_store_eis_put(x->st, &eis), RSP_OK);
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), "8988247000000000011");
    snprintf(p.eid, sizeof(p.eid), EID);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), AIDP);
    snprintf(p.msisdn, sizeof(p.msisdn), "447700900101");
    snprintf(p.mno_id, sizeof(p.mno_id), "op1");
    p.state = RSP_STORE_PROFILE_ENABLED;
    assert_int_equal(rsp_store_profile_put(x->st, &p), RSP_OK);
    uint8_t k[32];
    memset(k, 0x33, sizeof(k));
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), EID);
    ks.kvn = 1;
    assert_int_equal(smsr_keys_seal(x->e, EID, 1, k, &ks.keys), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(x->st, &ks), RSP_OK);
    rsp_store_keyset_clear(&ks);
}

static void fx_open(fx *x, bool master)
{
    fx_open_t(x, master, RSP_SMSR_ES5_SMS);
}

static void fx_close(fx *x)
{
    smsr_https_free(x->h);
    rsp_http_client_free(x->cl);
    rsp_tls_ctx_free(x->ctls);
    if (x->base)
        event_base_free(x->base);
    rsp_smsr_free(x->e);
    rsp_store_close(x->st);
    rsp_buf_free(&x->body);
    rsp_buf_free(&x->answer);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
    assert_int_equal(system(cmd), 0);
}

static void test_psk_at_rest(void **state)
{
    (void)state;
    fx x;
    fx_open(&x, true);
    assert_int_equal(smsr_psk_put(x.e, EID, 0x40, PSK), RSP_OK);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    assert_int_equal(rsp_store_keyset_get(x.st, EID, 0x40, &ks), RSP_OK);
    assert_int_equal(ks.keys.len, 2 + 16 + 16 + 16);
    assert_int_equal(ks.keys.data[0], 0x4B);
    assert_int_equal(ks.keys.data[1], 0x32);
    for (size_t i = 0; i + 16 <= ks.keys.len; i++) /* never in clear */
        assert_true(memcmp(ks.keys.data + i, PSK, 16) != 0);
    uint8_t out[32];
    assert_int_equal(smsr_psk_get(x.e, EID, 0x40, out), RSP_OK);
    assert_memory_equal(out, PSK, 16);
    /* bound to the card and the key version; not SCP80 keys; SCP80 versions are not PSKs */
    assert_int_equal(smsr_psk_open(x.e, "89049032000000000000000000000163", 0x40, &ks.keys, out), RSP_ERR_VERIFY);
    assert_int_equal(smsr_psk_open(x.e, EID, 0x41, &ks.keys, out), RSP_ERR_VERIFY);
    assert_int_equal(smsr_keys_open(x.e, EID, 0x40, &ks.keys, out), RSP_ERR_FORMAT);
    assert_int_equal(smsr_psk_get(x.e, EID, 0x01, out), RSP_ERR_RANGE);
    assert_int_equal(smsr_psk_get(x.e, EID, 0x41, out), RSP_ERR_NOT_FOUND);
    rsp_store_keyset_clear(&ks);
    fx_close(&x);
}

/* ---- one session over loopback ---- */

static void on_trigger(void *arg, const rsp_smsr_packet *p)
{
    fx *x = arg;
    assert_string_equal(p->msisdn, "447700900101");
    assert_true(p->n >= 1);
    x->triggers++;
    x->trig_cntr = p->counter;
}

static void on_done(void *arg, uint64_t tag, rsp_err err, rsp_scp81_status st, const uint8_t *body, size_t len,
                    const char *why)
{
    fx *x = arg;
    (void)st;
    x->dones++;
    x->done_err = err;
    assert_int_equal(tag, 100 + x->dones);
    rsp_buf_reset(&x->answer);
    if (len)
        rsp_buf_set(&x->answer, body, len);
    snprintf(x->why, sizeof(x->why), "%s", why ? why : "");
}

static void on_resp(void *arg, rsp_err err, const rsp_http_response *r)
{
    fx *x = arg;
    x->got = true;
    x->status = err == RSP_OK ? r->status : -1;
    rsp_buf_reset(&x->body);
    x->target_app[0] = 0;
    if (err != RSP_OK)
        return;
    if (r->body_len)
        rsp_buf_set(&x->body, r->body, r->body_len);
    const rsp_http_header *t = rsp_http_response_header(r, "X-Admin-Targeted-Application");
    if (t)
        snprintf(x->target_app, sizeof(x->target_app), "%.*s", (int)t->value_len, t->value);
}

static void wait_for(fx *x, bool *flag, int *count, int want)
{
    for (int i = 0; i < 4000 && !(flag ? *flag : *count >= want); i++)
        event_base_loop(x->base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
    assert_true(flag ? *flag : *count >= want);
}

static void card_post(fx *x, const char *target, bool answer, const uint8_t *body, size_t len)
{
    rsp_scp81_card_req r = {EID, RSP_AID_ISDR.b, RSP_AID_ISDR.len, answer,
                            answer ? RSP_SCP81_STATUS_OK : RSP_SCP81_STATUS_NONE, false};
    rsp_buf hdr = RSP_BUF_INIT;
    assert_int_equal(rsp_scp81_card_headers(&r, &hdr), RSP_OK);
    rsp_buf_append_byte(&hdr, 0);
    x->got = false;
    assert_int_equal(rsp_http_client_post(x->cl, target, (const char *)hdr.data, body, len, on_resp, x), RSP_OK);
    rsp_buf_free(&hdr);
    wait_for(x, &x->got, NULL, 0);
}

static void start_t(fx *x, const char *identity_eid, unsigned idle_ms, unsigned trigger_ms)
{
    x->base = event_base_new();
    assert_non_null(x->base);
    smsr_https_opts o;
    memset(&o, 0, sizeof(o));
    o.listen = "127.0.0.1:0";
    o.idle_ms = idle_ms;
    o.dl_idle_ms = idle_ms; /* the download's longer hold is checked end to end (test_smdp_pool) */
    o.trigger_ms = trigger_ms;
    o.send = on_trigger;
    o.send_arg = x;
    assert_int_equal(smsr_https_new(x->base, x->e, &o, &x->h, NULL), RSP_OK);
    char id[160];
    identity(identity_eid, &RSP_AID_ISDR, 0x40, id);
    assert_int_equal(rsp_tls_client_psk_new(id, PSK, 16, NULL, &x->ctls), RSP_OK);
    rsp_http_client_opts co = {"127.0.0.1", smsr_https_port(x->h), x->ctls, 5000, 0};
    assert_int_equal(rsp_http_client_new(x->base, &co, &x->cl), RSP_OK);
}

static void start(fx *x, const char *identity_eid, unsigned idle_ms)
{
    start_t(x, identity_eid, idle_ms, 60000);
}

/* No card answers: the trigger is resent with a fresh counter, 3 times in all, then the script fails. */
static void test_trigger_resent(void **state)
{
    (void)state;
    fx x;
    fx_open(&x, true);
    assert_int_equal(smsr_psk_put(x.e, EID, 0x40, PSK), RSP_OK);
    start_t(&x, EID, 300, 50);
    const uint8_t s1[] = {0xAA, 0x02, 0x22, 0x00};
    assert_int_equal(smsr_https_queue(x.h, EID, NULL, 0, s1, sizeof(s1), on_done, &x, 101), RSP_OK);
    uint64_t first = x.trig_cntr;
    wait_for(&x, NULL, &x.dones, 1);
    assert_int_equal(x.triggers, 3);
    assert_true(x.trig_cntr >= first + 2); /* each resend reserved its own counter */
    assert_int_not_equal(x.done_err, RSP_OK);
    assert_non_null(strstr(x.why, "did not answer the trigger"));
    /* a card the SM-SR cannot send a trigger to (no keys, no number): the script fails at once */
    assert_int_equal(smsr_https_queue(x.h, "89049032000000000000000000000163", NULL, 0, s1, sizeof(s1), on_done, &x, 102),
                     RSP_OK);
    assert_int_equal(x.dones, 2);
    assert_int_not_equal(x.done_err, RSP_OK);
    assert_non_null(strstr(x.why, "cannot be sent"));
    fx_close(&x);
}

static void test_session(void **state)
{
    (void)state;
    fx x;
    fx_open(&x, true);
    assert_int_equal(smsr_psk_put(x.e, EID, 0x40, PSK), RSP_OK);
    start(&x, EID, 300);
    assert_true(smsr_https_reachable(x.h, EID));
    assert_false(smsr_https_reachable(x.h, "89049032000000000000000000000163"));
    uint8_t aid[16];
    assert_int_equal(rsp_hex_decode_fixed(AIDP, aid, 16, NULL), RSP_OK);
    const uint8_t s1[] = {0x84, 0x03, 0x01, 0x02, 0x03};
    assert_int_equal(smsr_https_queue(x.h, EID, aid, 16, s1, sizeof(s1), on_done, &x, 101), RSP_OK);
    assert_int_equal(x.triggers, 1); /* no session: the trigger went out at once */
    card_post(&x, "/gsma/adminagent", false, NULL, 0);
    assert_int_equal(x.status, 200);
    assert_memory_equal(x.body.data, s1, sizeof(s1));
    assert_string_equal(x.target_app, "//aid/A000000559/1010FFFFFFFF8900001000");
    const uint8_t a1[] = {0x84, 0x01, 0x00};
    /* the answer goes to whoever queued; nothing else queued: the POST is held */
    x.got = false;
    rsp_scp81_card_req r = {EID, RSP_AID_ISDR.b, RSP_AID_ISDR.len, true, RSP_SCP81_STATUS_OK, false};
    rsp_buf hdr = RSP_BUF_INIT;
    assert_int_equal(rsp_scp81_card_headers(&r, &hdr), RSP_OK);
    rsp_buf_append_byte(&hdr, 0);
    assert_int_equal(rsp_http_client_post(x.cl, "/gsma/adminagent", (const char *)hdr.data, a1, sizeof(a1), on_resp, &x),
                     RSP_OK);
    wait_for(&x, NULL, &x.dones, 1);
    assert_int_equal(x.done_err, RSP_OK);
    assert_memory_equal(x.answer.data, a1, sizeof(a1));
    assert_false(x.got); /* held */
    /* a second script is queued on the held POST: sent at once, same session, no new trigger */
    const uint8_t s2[] = {0x86, 0x02, 0xAA, 0xBB};
    assert_int_equal(smsr_https_queue(x.h, EID, aid, 16, s2, sizeof(s2), on_done, &x, 102), RSP_OK);
    wait_for(&x, &x.got, NULL, 0);
    assert_int_equal(x.status, 200);
    assert_memory_equal(x.body.data, s2, sizeof(s2));
    assert_int_equal(x.triggers, 1);
    /* the card answers nothing to an 86 segment: an empty answer, then idle -> 204 */
    x.got = false;
    assert_int_equal(rsp_http_client_post(x.cl, "/gsma/adminagent", (const char *)hdr.data, NULL, 0, on_resp, &x),
                     RSP_OK);
    wait_for(&x, NULL, &x.dones, 2);
    assert_int_equal(x.done_err, RSP_OK);
    assert_int_equal(x.answer.len, 0);
    wait_for(&x, &x.got, NULL, 0);
    assert_int_equal(x.status, 204);
    /* a script out when the card starts over (first POST again): the script fails */
    const uint8_t s3[] = {0x86, 0x01, 0xCC};
    assert_int_equal(smsr_https_queue(x.h, EID, aid, 16, s3, sizeof(s3), on_done, &x, 103), RSP_OK);
    assert_int_equal(x.triggers, 2);
    card_post(&x, "/gsma/adminagent", false, NULL, 0);
    assert_int_equal(x.status, 200);
    x.got = false;
    rsp_scp81_card_req r0 = {EID, RSP_AID_ISDR.b, RSP_AID_ISDR.len, false, RSP_SCP81_STATUS_NONE, true};
    rsp_buf h0 = RSP_BUF_INIT;
    assert_int_equal(rsp_scp81_card_headers(&r0, &h0), RSP_OK);
    rsp_buf_append_byte(&h0, 0);
    assert_int_equal(rsp_http_client_post(x.cl, "/gsma/adminagent", (const char *)h0.data, NULL, 0, on_resp, &x), RSP_OK);
    wait_for(&x, NULL, &x.dones, 3);
    assert_int_not_equal(x.done_err, RSP_OK);
    assert_non_null(strstr(x.why, "broke off"));
    wait_for(&x, &x.got, NULL, 0); /* held, then idle 204 */
    assert_int_equal(x.status, 204);
    smsr_https_stats st;
    smsr_https_stats_get(x.h, &st);
    assert_int_equal(st.triggers, 2);
    assert_int_equal(st.failed, 1);
    /* malformed POSTs of an authenticated card: another card in X-Admin-From 403, no protocol 400 */
    static const char other[] = "X-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"
                                "X-Admin-From: //se-id/eid/89049032000000000000000000000163;//aa-id/aid/A000000559/"
                                "1010FFFFFFFF8900000100\r\n";
    x.got = false;
    assert_int_equal(rsp_http_client_post(x.cl, "/gsma/adminagent", other, NULL, 0, on_resp, &x), RSP_OK);
    wait_for(&x, &x.got, NULL, 0);
    assert_int_equal(x.status, 403);
    x.got = false;
    assert_int_equal(rsp_http_client_post(x.cl, "/gsma/adminagent?msg=E1", "Content-Type: text/plain\r\n", NULL, 0,
                                          on_resp, &x),
                     RSP_OK);
    wait_for(&x, &x.got, NULL, 0);
    assert_int_equal(x.status, 400);
    rsp_buf_free(&hdr);
    rsp_buf_free(&h0);
    fx_close(&x);
}

static void test_unknown_identity(void **state)
{
    (void)state;
    fx x;
    fx_open(&x, false);
    assert_int_equal(smsr_psk_put(x.e, EID, 0x40, PSK), RSP_OK);
    start(&x, "89049032000000000000000000000163", 300); /* no PSK stored for that card */
    card_post(&x, "/gsma/adminagent", false, NULL, 0);
    assert_int_equal(x.status, -1);
    smsr_https_stats st;
    smsr_https_stats_get(x.h, &st);
    assert_true(st.refused_psk >= 1);
    assert_int_equal(st.opened, 0);
    fx_close(&x);
}

/* ---- the engine's operations over HTTPS ---- */

static int64_t submit_audit(fx *x, const char *fcid, int64_t now)
{
    rsp_smsr_request q = {RSP_SMSR_FN_AUDIT, RSP_SMSR_ROLE_OPERATOR, "op1", fcid, EID, "8988247000000000011", now, 3600};
    rsp_smsr_result r;
    assert_int_equal(rsp_smsr_submit(x->e, &q, &r), RSP_OK);
    assert_true(r.op_id > 0);
    return r.op_id;
}

static void test_engine_over_https(void **state)
{
    (void)state;
    const int64_t T0 = 1800000000;
    fx x;
    fx_open_t(&x, true, RSP_SMSR_ES5_HTTPS);
    assert_int_equal(smsr_psk_put(x.e, EID, 0x40, PSK), RSP_OK);
    int64_t op = submit_audit(&x, "a1", T0);
    rsp_smsr_packet p;
    assert_int_equal(rsp_smsr_next(x.e, T0, &p), RSP_OK);
    assert_true(p.https);
    assert_int_equal(p.n, 0);
    assert_int_equal(p.op_id, op);
    assert_true(p.script.len > 4 && p.script.data[0] == 0xAA); /* AA{22 GET STATUS} */
    int64_t gen = p.generation;
    rsp_smsr_packet_clear(&p);
    /* the session broke: the op goes back to the queue (after a PoR wait), not at once */
    assert_int_equal(rsp_smsr_on_admin(x.e, EID, op, gen, NULL, 0, true, T0 + 1, NULL), RSP_OK);
    assert_int_equal(rsp_smsr_next(x.e, T0 + 2, &p), RSP_ERR_END);
    assert_int_equal(rsp_smsr_next(x.e, T0 + 100, &p), RSP_OK);
    assert_true(p.https);
    int64_t gen2 = p.generation;
    rsp_smsr_packet_clear(&p);
    /* an answer for the first attempt is stale; the second's settles the op through the PoR rows */
    const uint8_t ok[] = {0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00};
    assert_true(gen2 > gen); /* a new claim: a new generation */
    assert_int_equal(rsp_smsr_on_admin(x.e, EID, op, gen, ok, sizeof(ok), false, T0 + 101, NULL), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_smsr_on_admin(x.e, EID, op, gen2, ok, sizeof(ok), false, T0 + 101, NULL), RSP_OK);
    rsp_smsr_result r;
    assert_int_equal(rsp_smsr_result_get(x.e, op, &r), RSP_OK);
    assert_string_equal(r.status, "Executed-Success");
    assert_int_equal(rsp_smsr_on_admin(x.e, EID, op, gen2, ok, sizeof(ok), false, T0 + 102, NULL), RSP_ERR_NOT_FOUND);
    /* a refusal in the answer: the PoR's refusal row (8.4 / 4.2 with the SW) */
    op = submit_audit(&x, "a2", T0 + 200);
    assert_int_equal(rsp_smsr_next(x.e, T0 + 200, &p), RSP_OK);
    const uint8_t no[] = {0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x6A, 0x88};
    assert_int_equal(rsp_smsr_on_admin(x.e, EID, op, p.generation, no, sizeof(no), false, T0 + 201, NULL), RSP_OK);
    rsp_smsr_packet_clear(&p);
    assert_int_equal(rsp_smsr_result_get(x.e, op, &r), RSP_OK);
    assert_string_equal(r.status, "Failed");
    assert_non_null(strstr(r.message, "6A88"));
    /* a card without a PSK goes by SMS even when HTTPS is asked */
    assert_int_equal(rsp_store_keyset_delete(x.st, EID, 0x40), RSP_OK);
    op = submit_audit(&x, "a3", T0 + 300);
    assert_int_equal(rsp_smsr_next(x.e, T0 + 300, &p), RSP_OK);
    assert_false(p.https);
    assert_int_equal(p.n, 1);
    rsp_smsr_packet_clear(&p);
    fx_close(&x);
    /* AUTO: a command that fits one SMS goes by SMS even for a card with a PSK */
    fx_open_t(&x, true, RSP_SMSR_ES5_AUTO);
    assert_int_equal(smsr_psk_put(x.e, EID, 0x40, PSK), RSP_OK);
    submit_audit(&x, "a4", T0);
    assert_int_equal(rsp_smsr_next(x.e, T0, &p), RSP_OK);
    assert_false(p.https);
    rsp_smsr_packet_clear(&p);
    fx_close(&x);
}

/* ---- the session's end: the card's connection closing, a profile change ---- */

static void new_card_conn(fx *x)
{
    rsp_http_client_free(x->cl);
    rsp_http_client_opts co = {"127.0.0.1", smsr_https_port(x->h), x->ctls, 5000, 0};
    assert_int_equal(rsp_http_client_new(x->base, &co, &x->cl), RSP_OK);
}

static void answer_post(fx *x, const uint8_t *body, size_t len)
{
    rsp_scp81_card_req r = {EID, RSP_AID_ISDR.b, RSP_AID_ISDR.len, true, RSP_SCP81_STATUS_OK, false};
    rsp_buf hdr = RSP_BUF_INIT;
    assert_int_equal(rsp_scp81_card_headers(&r, &hdr), RSP_OK);
    rsp_buf_append_byte(&hdr, 0);
    x->got = false;
    assert_int_equal(rsp_http_client_post(x->cl, "/gsma/adminagent", (const char *)hdr.data, body, len, on_resp, x),
                     RSP_OK);
    rsp_buf_free(&hdr);
}

/* A card killed mid-session closes its TCP connection: the SM-SR's HTTP server says so (on_close) and
 * the session settles at once. The idle time and answer_ms (20 s) are far beyond wait_for's ~4 s, so
 * only the close can end these waits. */
static void test_conn_close(void **state)
{
    (void)state;
    fx x;
    fx_open(&x, true);
    assert_int_equal(smsr_psk_put(x.e, EID, 0x40, PSK), RSP_OK);
    start(&x, EID, 60000);
    const uint8_t s1[] = {0xAA, 0x03, 0x22, 0x01, 0x11}, s2[] = {0xAA, 0x03, 0x22, 0x01, 0x22};
    assert_int_equal(smsr_https_queue(x.h, EID, NULL, 0, s1, sizeof(s1), on_done, &x, 101), RSP_OK);
    card_post(&x, "/gsma/adminagent", false, NULL, 0);
    assert_int_equal(x.status, 200);
    assert_memory_equal(x.body.data, s1, sizeof(s1));
    assert_int_equal(smsr_https_queue(x.h, EID, NULL, 0, s2, sizeof(s2), on_done, &x, 102), RSP_OK);
    assert_int_equal(x.triggers, 1);
    /* the card dies with s1 out and s2 queued */
    rsp_http_client_free(x.cl);
    x.cl = NULL;
    wait_for(&x, NULL, &x.dones, 1);
    assert_int_not_equal(x.done_err, RSP_OK); /* s1: no answer, ever (the card rolled back) */
    assert_non_null(strstr(x.why, "broke off"));
    assert_int_equal(x.triggers, 2); /* s2 asks for a new session now */
    assert_true(smsr_https_open(x.h, EID));
    smsr_https_stats st;
    smsr_https_stats_get(x.h, &st);
    assert_int_equal(st.gone, 1);
    /* the card back: s2 is sent, s1 is not sent again (its owner decides: the engine's op) */
    new_card_conn(&x);
    card_post(&x, "/gsma/adminagent", false, NULL, 0);
    assert_int_equal(x.status, 200);
    assert_memory_equal(x.body.data, s2, sizeof(s2));
    const uint8_t a2[] = {0x90, 0x00};
    answer_post(&x, a2, sizeof(a2));
    wait_for(&x, NULL, &x.dones, 2);
    assert_int_equal(x.done_err, RSP_OK);
    assert_memory_equal(x.answer.data, a2, sizeof(a2));
    assert_false(x.got); /* held (idle 60 s) */
    /* the card goes away with its POST held: the session is closed at once */
    rsp_http_client_free(x.cl);
    x.cl = NULL;
    for (int i = 0; i < 4000 && smsr_https_open(x.h, EID); i++)
        event_base_loop(x.base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
    assert_false(smsr_https_open(x.h, EID));
    smsr_https_stats_get(x.h, &st);
    assert_int_equal(st.gone, 2);
    assert_int_equal(st.scripts, 2);
    assert_int_equal(x.triggers, 2);
    fx_close(&x);
}

static void test_script_ends(void **state)
{
    (void)state;
    /* SGP02.md: enable 80E28800 15 3A03 12 4F10 <AID>, disable 3A04, confirmation 80E28900 07 3A08 04 4E02 <seq> */
    uint8_t en[] = {0xAA, 0x1C, 0x22, 0x1A, 0x80, 0xE2, 0x88, 0x00, 0x15, 0x3A, 0x03, 0x12, 0x4F, 0x10, 0xA0, 0x00,
                    0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
    const uint8_t conf[] = {0xAA, 0x0E, 0x22, 0x0C, 0x80, 0xE2, 0x89, 0x00, 0x07, 0x3A, 0x08, 0x04, 0x4E, 0x02, 0x00, 0x07};
    const uint8_t del[] = {0xAA, 0x09, 0x22, 0x07, 0x80, 0xE4, 0x00, 0x40, 0x02, 0x4F, 0x00};
    assert_true(smsr_adm_script_ends(en, sizeof(en)));
    assert_true(smsr_adm_script_ends(conf, sizeof(conf)));
    assert_false(smsr_adm_script_ends(del, sizeof(del)));
    assert_false(smsr_adm_script_ends(en, sizeof(en) - 1)); /* truncated */
    assert_false(smsr_adm_script_ends(en + 2, sizeof(en) - 2)); /* not a script */
    assert_false(smsr_adm_script_ends(NULL, 0));
    en[10] = 0x05; /* set fall-back: the card sends no notification */
    assert_false(smsr_adm_script_ends(en, sizeof(en)));
    en[10] = 0x04; /* disable */
    assert_true(smsr_adm_script_ends(en, sizeof(en)));
    en[6] = 0x08; /* not the last block of the STORE DATA */
    assert_false(smsr_adm_script_ends(en, sizeof(en)));
    en[6] = 0x88;
    /* in a session: the answer to the enable is answered 204 at once (idle 60 s) */
    fx x;
    fx_open(&x, true);
    assert_int_equal(smsr_psk_put(x.e, EID, 0x40, PSK), RSP_OK);
    start(&x, EID, 60000);
    assert_int_equal(smsr_https_queue(x.h, EID, NULL, 0, en, sizeof(en), on_done, &x, 101), RSP_OK);
    card_post(&x, "/gsma/adminagent", false, NULL, 0);
    assert_int_equal(x.status, 200);
    const uint8_t a1[] = {0x90, 0x00};
    answer_post(&x, a1, sizeof(a1));
    wait_for(&x, &x.got, NULL, 0);
    assert_int_equal(x.status, 204);
    assert_int_equal(x.dones, 1);
    assert_int_equal(x.done_err, RSP_OK);
    assert_false(smsr_https_open(x.h, EID));
    fx_close(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_post_parse),
        cmocka_unit_test(test_psk_at_rest),
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_trigger_resent),
        cmocka_unit_test(test_unknown_identity),
        cmocka_unit_test(test_engine_over_https),
        cmocka_unit_test(test_conn_close),
        cmocka_unit_test(test_script_ends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
