/* The SM-SR's durable messages without processes (SQLite in a temp dir): the --callbacks parser and
 * the ReplyTo prefix rule; pending replies turned into results that decode back (SOAP 1.2 and JSON,
 * Failed with its codes, Expired 1.6 / 5.3, RelatesTo = the request's MessageID); ONC events
 * recorded once per tag and only when listed; a deletion's notification only when its operation
 * ended DONE; a notification without a configured URL counted and dropped; two engines moving the
 * same replies make one outbox row each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/es.h"
#include "rsp/es_types.h"
#include "rsp/log.h"
#include "smsr/smsr_outbox.h"

#define EID "89049032123451234512345678901235"
#define ICC "8949000000000000017"

typedef struct fx {
    char dir[64], uri[128];
    rsp_store *st, *st2;
    rsp_smsr *e, *e2;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/rsp-smsrob-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->uri, sizeof(f->uri), "sqlite:%s/st.db", f->dir);
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->st), RSP_OK);
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->st2), RSP_OK);
    rsp_smsr_config c;
    rsp_smsr_config_default(&c);
    c.worker_id = "w1";
    assert_int_equal(rsp_smsr_new(f->st, &c, &f->e), RSP_OK);
    c.worker_id = "w2";
    assert_int_equal(rsp_smsr_new(f->st2, &c, &f->e2), RSP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    rsp_smsr_free(f->e);
    rsp_smsr_free(f->e2);
    rsp_store_close(f->st);
    rsp_store_close(f->st2);
    char cmd[100];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void test_callbacks(void **state)
{
    (void)state;
    smsr_callbacks cb;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(smsr_callbacks_parse("MNO1=https://a.example/cb,SP1=https://[::1]:8443/sp/,MNO1=https://b/x", &cb, &d),
                     RSP_OK);
    assert_int_equal(cb.n, 3);
    assert_true(smsr_callbacks_allow(&cb, "MNO1", "https://a.example/cb"));
    assert_true(smsr_callbacks_allow(&cb, "MNO1", "https://a.example/cb/r1"));
    assert_true(smsr_callbacks_allow(&cb, "MNO1", "https://a.example/cb?x=1"));
    assert_true(smsr_callbacks_allow(&cb, "MNO1", "https://b/x")); /* its second prefix */
    assert_false(smsr_callbacks_allow(&cb, "MNO1", "https://a.example/cbx"));
    assert_false(smsr_callbacks_allow(&cb, "MNO1", "https://a.example.evil/cb"));
    assert_false(smsr_callbacks_allow(&cb, "MNO1", "https://a.example/cb/../admin"));
    assert_false(smsr_callbacks_allow(&cb, "MNO1", "https://a.example/cb/ x"));
    assert_false(smsr_callbacks_allow(&cb, "MNO1", "http://a.example/cb"));
    assert_false(smsr_callbacks_allow(&cb, "MNO1", "https://sp@a.example/cb"));
    assert_false(smsr_callbacks_allow(&cb, "SP1", "https://a.example/cb")); /* another peer's */
    assert_true(smsr_callbacks_allow(&cb, "SP1", "https://[::1]:8443/sp/r"));
    assert_false(smsr_callbacks_allow(&cb, "MNO2", "https://a.example/cb"));
    assert_true(smsr_callbacks_allow_any(&cb, "https://[::1]:8443/sp/r"));
    assert_true(smsr_callbacks_allow_any(&cb, "https://a.example/cb/1"));
    assert_false(smsr_callbacks_allow_any(&cb, "https://c.example/cb"));
    assert_string_equal(smsr_callbacks_url(&cb, "MNO1"), "https://a.example/cb");
    assert_null(smsr_callbacks_url(&cb, "MNO2"));
    smsr_callbacks_free(&cb);
    static const char *const bad[] = {"MNO1", "=https://a/", "MNO1=http://a/", "MNO1=https://u@a/", "MNO1=https://a/..",
                                      "MNO1=https:///x", "MNO1=https://a/ b", "MNO1=https://a/\"", ","};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rsp_diag_clear(&d);
        assert_int_equal(smsr_callbacks_parse(bad[i], &cb, &d), RSP_ERR_INVAL);
        assert_true(d.msg[0] != 0);
        assert_int_equal(cb.n, 0);
    }
    assert_int_equal(smsr_callbacks_parse(NULL, &cb, &d), RSP_OK);
    assert_int_equal(cb.n, 0);
}

/* An op of fn, settled as `to` with result text res ("status|subject|reason|msg"; NULL none). */
static int64_t settled_op(fx *f, const char *fn, const char *fcid, rsp_store_op_state to, const char *res)
{
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    snprintf(op.eid, sizeof(op.eid), EID);
    snprintf(op.function, sizeof(op.function), "%s", fn);
    snprintf(op.requester, sizeof(op.requester), "MNO1");
    snprintf(op.fcid, sizeof(op.fcid), "%s", fcid);
    op.created = 1;
    op.deadline = to == RSP_STORE_OP_EXPIRED ? 5 : 100000;
    int64_t id = 0;
    assert_int_equal(rsp_store_op_submit(f->st, &op, &id, NULL), RSP_OK);
    if (to == RSP_STORE_OP_EXPIRED) {
        assert_int_equal(rsp_store_op_expire(f->st, 10, NULL), RSP_OK);
        return id;
    }
    rsp_store_op c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(rsp_store_op_claim(f->st, "w", 2, 30, &c), RSP_OK);
    assert_int_equal(c.id, id);
    rsp_store_fence fe = {c.id, c.generation};
    rsp_bytes rb = {(const uint8_t *)res, res ? strlen(res) : 0};
    rsp_store_op_change chg = {.now = 3, .result = res ? &rb : NULL};
    assert_int_equal(rsp_store_op_transition(f->st, id, &fe, RSP_STORE_OP_SENT, to, &chg), RSP_OK);
    rsp_store_op_clear(&c);
    return id;
}

/* Records a reply for op as if request (fn, dialect, binding) had named ReplyTo. */
static void record(fx *f, int64_t op, const char *fn, int soap_version, const char *mid)
{
    rsp_es_msg m;
    memset(&m, 0, sizeof(m));
    assert_int_equal(rsp_es_msg_init(&m, rsp_es_func_find(RSP_ES4, fn, strlen(fn)), false), RSP_OK);
    m.soap_version = soap_version;
    m.wsa.reply_to = strdup("https://mno.example/cb");
    m.wsa.message_id = strdup(mid);
    rsp_smsr_request rq = {RSP_SMSR_FN_SET_FALLBACK, RSP_SMSR_ROLE_OPERATOR, "MNO1", "f", EID, ICC, 7, 3600};
    int64_t rid = 0;
    assert_int_equal(smsr_reply_record(f->e, &m, &rq, op, false, &rid), RSP_OK);
    assert_true(rid > 0);
    assert_int_equal(smsr_reply_record(f->e, &m, &rq, op, false, &rid), RSP_OK); /* once */
    rsp_es_msg_free(&m);
}

/* The outbox row of key (as moved), decoded. */
static void decoded(fx *f, const char *key, bool json, const char *fn, rsp_es_msg *out, rsp_store_outbox *row)
{
    bool found = false;
    for (int64_t id = 1; id < 64 && !found; id++) {
        memset(row, 0, sizeof(*row));
        if (rsp_store_outbox_get(f->st, id, row) == RSP_OK && strcmp(row->key, key) == 0)
            found = true;
        else
            rsp_store_outbox_clear(row);
    }
    assert_true(found);
    rsp_diag d;
    rsp_diag_clear(&d);
    memset(out, 0, sizeof(*out));
    rsp_err e = json ? rsp_es_json_decode(rsp_es_func_find(RSP_ES4, fn, strlen(fn)), true, row->body.data,
                                          row->body.len, NULL, out, &d)
                     : rsp_es_soap_decode(row->body.data, row->body.len, row->action, NULL, out, &d);
    if (e != RSP_OK)
        fail_msg("decode: %s", d.msg);
}

static void test_results(void **state)
{
    fx *f = *state;
    int64_t a = settled_op(f, "ES4.SetFallBackAttribute", "a", RSP_STORE_OP_FAILED, "Failed|8.2.1|1.2|not yours");
    int64_t b = settled_op(f, "ES4.SetFallBackAttribute", "b", RSP_STORE_OP_DONE, "Executed-Success|||");
    int64_t c = settled_op(f, "ES4.DeleteProfile", "c", RSP_STORE_OP_EXPIRED, NULL);
    record(f, a, "SetFallBackAttribute", 12, "m-a");
    record(f, b, "SetFallBackAttribute", 0, "m-b");
    record(f, c, "DeleteProfile", 11, "m-c");
    smsr_callbacks cb = {0};
    smsr_mover_stats st = {0};
    assert_int_equal(smsr_outbox_move(f->e, &cb, NULL, 16, &st), RSP_OK);
    assert_int_equal(st.moved, 3);
    char key[64];
    rsp_es_msg m;
    rsp_store_outbox row;
    /* SOAP 1.2: Failed with the op's codes, RelatesTo the request */
    snprintf(key, sizeof(key), "r:%lld:MNO1:m-a", (long long)a);
    decoded(f, key, false, "SetFallBackAttribute", &m, &row);
    assert_true(m.response);
    assert_int_equal(m.soap_version, 12);
    assert_string_equal(m.wsa.relates_to, "m-a");
    assert_string_equal(row.url, "https://mno.example/cb");
    assert_string_equal(row.ctype, RSP_ES_SOAP12_CTYPE);
    assert_int_equal(row.op_id, a);
    const rsp_es_resp_hdr *h = m.body;
    assert_int_equal(h->status.status, RSP_ES_FAILED);
    assert_string_equal(h->status.code->subject, "8.2.1");
    assert_string_equal(h->status.code->reason, "1.2");
    assert_string_equal(h->status.code->message, "not yours");
    assert_non_null(strstr(row.action, "CallBack/ES4-SetFallBackAttribute"));
    rsp_es_msg_free(&m);
    rsp_store_outbox_clear(&row);
    /* JSON: success */
    snprintf(key, sizeof(key), "r:%lld:MNO1:m-b", (long long)b);
    decoded(f, key, true, "SetFallBackAttribute", &m, &row);
    assert_string_equal(row.ctype, "application/json");
    assert_int_equal(((const rsp_es_resp_hdr *)m.body)->status.status, RSP_ES_EXECUTED_SUCCESS);
    assert_string_equal(m.wsa.relates_to, "m-b");
    rsp_es_msg_free(&m);
    rsp_store_outbox_clear(&row);
    /* SOAP 1.1: Expired 1.6 / 5.3 */
    snprintf(key, sizeof(key), "r:%lld:MNO1:m-c", (long long)c);
    decoded(f, key, false, "DeleteProfile", &m, &row);
    assert_string_equal(row.ctype, RSP_ES_SOAP11_CTYPE);
    h = m.body;
    assert_int_equal(h->status.status, RSP_ES_EXPIRED);
    assert_string_equal(h->status.code->subject, "1.6");
    assert_string_equal(h->status.code->reason, "5.3");
    rsp_es_msg_free(&m);
    rsp_store_outbox_clear(&row);
}

static void profile(fx *f, const char *iccid, const char *type)
{
    rsp_store_eis e;
    memset(&e, 0, sizeof(e));
    snprintf(e.eid, sizeof(e.eid), EID);
    assert_int_equal(rsp_buf_append(&e.signed_blob, "\x30\x00", 2), RSP_OK);
    assert_int_equal(rsp_store_eis_put(f->st, &e), RSP_OK);
    rsp_store_eis_clear(&e);
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), "%s", iccid);
    snprintf(p.eid, sizeof(p.eid), EID);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), "A0000005591010FFFFFFFF89000010%c0", iccid[strlen(iccid) - 1]);
    snprintf(p.mno_id, sizeof(p.mno_id), "MNO1");
    snprintf(p.profile_type, sizeof(p.profile_type), "%s", type);
    p.state = RSP_STORE_PROFILE_DISABLED;
    assert_int_equal(rsp_store_profile_put(f->st, &p), RSP_OK);
}

static size_t ready(fx *f)
{
    rsp_store_outbox_reply *v = NULL;
    size_t n = 0;
    assert_int_equal(rsp_store_outbox_reply_ready(f->st, SMSR_OWNER, 32, &v, &n), RSP_OK);
    free(v);
    return n;
}

static void test_onc(void **state)
{
    fx *f = *state;
    profile(f, ICC, "iot");
    profile(f, "8949000000000000025", "car");
    assert_int_equal(rsp_store_onc_set(f->st, "MNO1", "iot", RSP_STORE_NOTIF_ENABLED | RSP_STORE_NOTIF_DELETED), RSP_OK);
    rsp_store_profile p, q;
    assert_int_equal(rsp_store_profile_get(f->st, ICC, &p), RSP_OK);
    assert_int_equal(rsp_store_profile_get(f->st, "8949000000000000025", &q), RSP_OK);
    /* listed: recorded once per tag; not listed (DISABLED, or type car): nothing */
    assert_int_equal(smsr_onc_event(f->e, &p, RSP_STORE_NOTIF_ENABLED, "seq7", 0, 100), RSP_OK);
    assert_int_equal(smsr_onc_event(f->e, &p, RSP_STORE_NOTIF_ENABLED, "seq7", 0, 101), RSP_OK);
    assert_int_equal(smsr_onc_event(f->e, &p, RSP_STORE_NOTIF_DISABLED, "seq8", 0, 100), RSP_OK);
    assert_int_equal(smsr_onc_event(f->e, &q, RSP_STORE_NOTIF_ENABLED, "seq8", 0, 100), RSP_OK);
    assert_int_equal(ready(f), 1);
    assert_int_equal(smsr_onc_event(f->e, &p, 1u << 20, "x", 0, 100), RSP_ERR_INVAL);
    /* deletions: ready when their op settles, sent only if DONE */
    int64_t gone = settled_op(f, "ES4.DeleteProfile", "d1", RSP_STORE_OP_DONE, "Executed-Success|||");
    int64_t kept = settled_op(f, "ES4.DeleteProfile", "d2", RSP_STORE_OP_FAILED, "Failed|8.4|4.2|6985");
    assert_int_equal(smsr_onc_delete_queued(f->e, ICC, gone, 100), RSP_OK);
    assert_int_equal(smsr_onc_delete_queued(f->e, ICC, kept, 100), RSP_OK);
    assert_int_equal(smsr_onc_delete_queued(f->e, "8949000000000000999", kept, 100), RSP_OK); /* unknown: none */
    assert_int_equal(ready(f), 3);
    /* no URL for MNO1: counted and dropped */
    smsr_callbacks none = {0};
    smsr_mover_stats st = {0};
    assert_int_equal(smsr_outbox_move(f->e, &none, NULL, 16, &st), RSP_OK);
    assert_int_equal(st.no_url, 2); /* enabled + the DONE deletion */
    assert_int_equal(st.dropped, 3); /* ... and the FAILED deletion */
    assert_int_equal(st.moved, 0);
    assert_int_equal(ready(f), 0);
    /* again with a URL: the two due notifications become messages */
    assert_int_equal(smsr_onc_event(f->e, &p, RSP_STORE_NOTIF_ENABLED, "seq9", 0, 100), RSP_OK);
    assert_int_equal(smsr_onc_delete_queued(f->e, ICC, gone, 100), RSP_OK); /* the old key was moved: new row */
    smsr_callbacks cb;
    rsp_diag d;
    assert_int_equal(smsr_callbacks_parse("MNO1=https://mno.example/notif", &cb, &d), RSP_OK);
    memset(&st, 0, sizeof(st));
    assert_int_equal(smsr_outbox_move(f->e, &cb, NULL, 16, &st), RSP_OK);
    assert_int_equal(st.moved, 2);
    rsp_es_msg m;
    rsp_store_outbox row;
    decoded(f, "onc:EnabledNotification:" ICC ":seq9", false, "HandleProfileEnabledNotification", &m, &row);
    assert_false(m.response);
    assert_string_equal(m.func->name, "HandleProfileEnabledNotification");
    const rsp_es_notification *n = m.body;
    assert_string_equal(n->eid, EID);
    assert_string_equal(n->iccid, ICC);
    assert_string_equal(n->hdr.function_call_id, "onc:EnabledNotification:" ICC ":seq9");
    assert_string_equal(n->completion_timestamp, "1970-01-01T00:01:40Z");
    assert_string_equal(row.url, "https://mno.example/notif");
    rsp_es_msg_free(&m);
    rsp_store_outbox_clear(&row);
    smsr_callbacks_free(&cb);
}


/* Two workers move the same ready replies: each becomes one outbox row. */
static void test_two_movers(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 6; i++) {
        char fc[16];
        snprintf(fc, sizeof(fc), "t%d", i);
        int64_t op = settled_op(f, "ES4.SetFallBackAttribute", fc, RSP_STORE_OP_DONE, "Executed-Success|||");
        record(f, op, "SetFallBackAttribute", 12, fc);
    }
    smsr_callbacks cb = {0};
    smsr_mover_stats s1 = {0}, s2 = {0};
    for (int round = 0; round < 3; round++) {
        assert_int_equal(smsr_outbox_move(f->e, &cb, NULL, 2, &s1), RSP_OK);
        assert_int_equal(smsr_outbox_move(f->e2, &cb, NULL, 2, &s2), RSP_OK);
    }
    assert_int_equal(s1.moved + s2.moved, 6);
    rsp_store_outbox_stats st;
    assert_int_equal(rsp_store_outbox_stats_get(f->st, SMSR_OWNER, &st), RSP_OK);
    assert_int_equal(st.pending, 6);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_SMSR, RSP_LOG_ERROR);
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_callbacks),
        cmocka_unit_test_setup_teardown(test_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_onc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_movers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
