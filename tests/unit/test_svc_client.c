/* The blocking ES client against an in-process rsp_svc (its own loop in a second thread, mutual TLS on
 * loopback, a throwaway PKI): a result in the HTTP response in SOAP (gsma and njiwa) and JSON, the
 * FunctionCallIdentifier / MessageID it fills in, a refusal as a Failed result with its codes, a SOAP
 * Fault and a JSON error object as RSP_ERR_DENIED, 202 without a body when the result goes to ReplyTo,
 * keep-alive reuse, a closed port as RSP_ERR_NET, bad options; rsp_svc_client_decode on malformed answers
 * (truncated, not JSON, bad values, HTML, a DTD, a request instead of a result) never accepts them. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "testutil.h"

#include "rsp/es_types.h"
#include "rsp/svc.h"
#include "rsp/svc_client.h"
#include "rsp/tls.h"

#define EID "89001012012341234012345678901224"
#define ICCID "8988211000000000017"

typedef struct fx {
    char dir[64];
    char ca[96], cak[96], srv[96], srvk[96], cli[96], clik[96];
    struct event_base *base;
    rsp_es_handler h[2];
    rsp_svc *svc;
    pthread_t th;
    int pipefd[2];
    struct event *ev_stop;
    char url[64];
    char peer[200]; /* written by the server thread before it answers: read after the answer */
} fx;

static void path(fx *f, char *out, const char *name) { snprintf(out, 96, "%s/%s", f->dir, name); }

static rsp_err on_enable(void *hctx, rsp_es_call *c)
{
    fx *f = hctx;
    snprintf(f->peer, sizeof(f->peer), "%s", rsp_es_call_peer(c) ? rsp_es_call_peer(c) : "");
    rsp_es_data_resp *res = rsp_es_call_response(c);
    rsp_buf_set(&res->euicc_response_data, "\x90\x00", 2);
    return rsp_es_call_complete(c);
}

static rsp_err on_audit(void *hctx, rsp_es_call *c)
{
    (void)hctx;
    return rsp_es_call_reject(c, "8.1.1", "3.9", NULL, "Unknown eUICC");
}

/* The svc's loop is not thread-safe: the main thread asks it to stop through a pipe. */
static void on_stop_pipe(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_svc_stop(arg);
}

static void *server_main(void *arg)
{
    rsp_svc_run(arg);
    return NULL;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/rsp-svcc-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    path(f, f->ca, "ca.pem"), path(f, f->cak, "ca.key"), path(f, f->srv, "smsr.pem"), path(f, f->srvk, "smsr.key");
    path(f, f->cli, "op.pem"), path(f, f->clik, "op.key");
    assert_int_equal(rsp_tls_gen_ca("Test CI", f->ca, f->cak), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca, f->cak, "smsr1", 2, f->srv, f->srvk), RSP_OK);
    assert_int_equal(rsp_tls_gen_leaf(f->ca, f->cak, "MNO1", 0, f->cli, f->clik), RSP_OK);
    f->base = event_base_new();
    f->h[0] = (rsp_es_handler){RSP_ES4, "EnableProfile", false, on_enable, f};
    f->h[1] = (rsp_es_handler){RSP_ES4, "AuditEIS", false, on_audit, f};
    rsp_svc_opts o = {0};
    o.name = "smsr";
    o.log_ss = RSP_SS_SMSR;
    o.base = f->base;
    o.listen = "127.0.0.1:0";
    o.tls_cert = f->srv;
    o.tls_key = f->srvk;
    o.tls_ca = f->ca;
    o.no_signals = 1;
    o.stop_grace_ms = 2000;
    o.handlers = f->h;
    o.n_handlers = 2;
    o.callback_timeout_ms = 1000;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_svc_new(&o, &f->svc, &d) != RSP_OK)
        fail_msg("svc_new: %s", d.msg);
    snprintf(f->url, sizeof(f->url), "https://127.0.0.1:%u", rsp_svc_port(f->svc));
    assert_int_equal(pipe(f->pipefd), 0);
    f->ev_stop = event_new(f->base, f->pipefd[0], EV_READ, on_stop_pipe, f->svc);
    event_add(f->ev_stop, NULL);
    assert_int_equal(pthread_create(&f->th, NULL, server_main, f->svc), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(write(f->pipefd[1], "x", 1), 1);
    pthread_join(f->th, NULL);
    event_free(f->ev_stop);
    rsp_svc_free(f->svc);
    event_base_free(f->base);
    close(f->pipefd[0]);
    close(f->pipefd[1]);
    const char *names[] = {f->ca, f->cak, f->srv, f->srvk, f->cli, f->clik};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        unlink(names[i]);
    rmdir(f->dir);
    free(f);
    return 0;
}

static rsp_svc_client *client(fx *f, rsp_svc_binding b, rsp_es_dialect d)
{
    rsp_svc_client_opts o = {0};
    o.url = f->url;
    o.tls_cert = f->cli;
    o.tls_key = f->clik;
    o.tls_ca = f->ca;
    o.binding = b;
    o.dialect = d;
    o.timeout_ms = 5000;
    rsp_svc_client *c = NULL;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    if (rsp_svc_client_new(&o, &c, &dg) != RSP_OK)
        fail_msg("client_new: %s", dg.msg);
    return c;
}

static void profile_req(rsp_es_msg *m, const char *fn)
{
    memset(m, 0, sizeof(*m));
    assert_int_equal(rsp_es_msg_init(m, rsp_es_func_find(RSP_ES4, fn, strlen(fn)), false), RSP_OK);
    if (!strcmp(fn, "AuditEIS")) {
        rsp_es_eid_req *q = m->body;
        q->eid = strdup(EID);
    } else {
        rsp_es_profile_req *q = m->body;
        q->eid = strdup(EID);
        q->iccid = strdup(ICCID);
    }
}

/* EnableProfile with wait, in one binding/dialect: the result, the fields filled in. */
static void enable_once(fx *f, rsp_svc_binding b, rsp_es_dialect d)
{
    rsp_svc_client *c = client(f, b, d);
    rsp_es_msg m, r;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    int st = -1;
    for (int i = 0; i < 2; i++) {
        profile_req(&m, "EnableProfile");
        rsp_err e = rsp_svc_client_call(c, &m, true, &r, &st, &dg);
        if (e != RSP_OK)
            fail_msg("call (%d/%d): %s", (int)b, (int)d, dg.msg);
        assert_int_equal(st, 200);
        assert_ptr_equal(r.func, m.func);
        const rsp_es_fes *s = rsp_svc_client_status(&r);
        assert_non_null(s);
        assert_int_equal(s->status, RSP_ES_EXECUTED_SUCCESS);
        const rsp_es_data_resp *dr = r.body;
        assert_int_equal(dr->euicc_response_data.len, 2);
        /* what the client filled in, left in the request */
        const rsp_es_req_hdr *h = m.body;
        assert_non_null(h->function_call_id);
        assert_non_null(strstr(h->function_call_id, "op-"));
        assert_non_null(m.wsa.message_id);
        assert_int_equal(strncmp(m.wsa.message_id, "urn:uuid:", 9), 0);
        assert_string_equal(m.wsa.to, f->url);
        if (b == RSP_SVC_BINDING_SOAP && d == RSP_ES_DIALECT_GSMA)
            assert_string_equal(r.wsa.relates_to, m.wsa.message_id);
        assert_true(rsp_svc_client_last_request(c)->len > 0);
        assert_true(rsp_svc_client_last_response(c)->len > 0);
        rsp_es_msg_free(&m);
        rsp_es_msg_free(&r);
    }
    assert_non_null(strstr(f->peer, "MNO1")); /* the server saw our certificate */
    assert_int_equal(rsp_svc_client_connects(c), 1); /* two calls, one connection */
    rsp_svc_client_free(c);
}

static void test_result_in_response(void **state)
{
    fx *f = *state;
    enable_once(f, RSP_SVC_BINDING_SOAP, RSP_ES_DIALECT_GSMA);
    enable_once(f, RSP_SVC_BINDING_SOAP, RSP_ES_DIALECT_NJIWA);
    enable_once(f, RSP_SVC_BINDING_JSON, RSP_ES_DIALECT_GSMA);
}

static void test_refusal_is_a_result(void **state)
{
    fx *f = *state;
    for (int b = 0; b < 2; b++) {
        rsp_svc_client *c = client(f, (rsp_svc_binding)b, RSP_ES_DIALECT_GSMA);
        rsp_es_msg m, r;
        rsp_diag dg;
        rsp_diag_clear(&dg);
        int st = 0;
        profile_req(&m, "AuditEIS");
        assert_int_equal(rsp_svc_client_call(c, &m, true, &r, &st, &dg), RSP_OK);
        const rsp_es_fes *s = rsp_svc_client_status(&r);
        assert_non_null(s);
        assert_int_equal(s->status, RSP_ES_FAILED);
        assert_non_null(s->code);
        assert_string_equal(s->code->subject, "8.1.1");
        assert_string_equal(s->code->reason, "3.9");
        rsp_es_msg_free(&m);
        rsp_es_msg_free(&r);
        rsp_svc_client_free(c);
    }
}

/* A function the server has no handler for: SOAP Fault / JSON error -> RSP_ERR_DENIED with its reason. */
static void test_fault_and_error(void **state)
{
    fx *f = *state;
    for (int b = 0; b < 2; b++) {
        rsp_svc_client *c = client(f, (rsp_svc_binding)b, RSP_ES_DIALECT_GSMA);
        rsp_es_msg m, r;
        rsp_diag dg;
        rsp_diag_clear(&dg);
        int st = 0;
        profile_req(&m, "DeleteProfile");
        rsp_err e = rsp_svc_client_call(c, &m, true, &r, &st, &dg);
        assert_int_equal(e, RSP_ERR_DENIED);
        assert_true(st >= 400);
        assert_null(rsp_svc_client_status(&r));
        assert_true(strlen(dg.msg) > 0);
        if (b == 0)
            assert_non_null(strstr(dg.msg, "SOAP Fault"));
        rsp_es_msg_free(&m);
        rsp_es_msg_free(&r);
        rsp_svc_client_free(c);
    }
}

/* Without wait and with a ReplyTo: 202, no body; the result goes to ReplyTo (a closed port here). */
static void test_accepted_202(void **state)
{
    fx *f = *state;
    rsp_svc_client *c = client(f, RSP_SVC_BINDING_SOAP, RSP_ES_DIALECT_GSMA);
    rsp_es_msg m, r;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    int st = 0;
    profile_req(&m, "EnableProfile");
    m.wsa.reply_to = strdup("https://127.0.0.1:9/callbacks");
    assert_int_equal(rsp_svc_client_call(c, &m, false, &r, &st, &dg), RSP_OK);
    assert_int_equal(st, 202);
    assert_null(r.func);
    assert_null(rsp_svc_client_status(&r));
    rsp_es_msg_free(&m);
    rsp_es_msg_free(&r);
    rsp_svc_client_free(c);
}

static void test_no_server_and_bad_opts(void **state)
{
    fx *f = *state;
    rsp_svc_client_opts o = {0};
    o.url = "https://127.0.0.1:1";
    o.tls_cert = f->cli;
    o.tls_key = f->clik;
    o.tls_ca = f->ca;
    o.timeout_ms = 2000;
    rsp_svc_client *c = NULL;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    assert_int_equal(rsp_svc_client_new(&o, &c, &dg), RSP_OK);
    rsp_es_msg m, r;
    int st = -1;
    profile_req(&m, "EnableProfile");
    rsp_err e = rsp_svc_client_call(c, &m, true, &r, &st, &dg);
    assert_true(e == RSP_ERR_NET || e == RSP_ERR_TIMEOUT);
    assert_int_equal(st, 0);
    assert_non_null(strstr(dg.msg, "no answer"));
    rsp_es_msg_free(&m);
    rsp_es_msg_free(&r);
    rsp_svc_client_free(c);

    const char *bad[] = {"http://127.0.0.1:80", "127.0.0.1:80", "https://", "https://h:99999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o.url = bad[i];
        rsp_diag_clear(&dg);
        assert_int_equal(rsp_svc_client_new(&o, &c, &dg), RSP_ERR_FORMAT);
    }
    o.url = "https://127.0.0.1:1";
    o.tls_key = "/nonexistent/key.pem";
    assert_int_not_equal(rsp_svc_client_new(&o, &c, &dg), RSP_OK);
    o.tls_key = NULL;
    assert_int_equal(rsp_svc_client_new(&o, &c, &dg), RSP_ERR_INVAL);
}

/* rsp_svc_client_decode on answers that are not results of the function: never RSP_OK. */
static void test_decode_malformed(void **state)
{
    (void)state;
    const rsp_es_func *en = rsp_es_func_find(RSP_ES4, "EnableProfile", 13);
    const rsp_es_func *ge = rsp_es_func_find(RSP_ES4, "GetEIS", 6);
    const char *json = "application/json", *soap = "application/soap+xml; charset=utf-8";
    static const char ok_json[] = "{\"functionExecutionStatus\":{\"status\":\"EXECUTED_SUCCESS\"}}";
    const struct {
        const rsp_es_func *f;
        const char *ctype, *body;
        rsp_err want; /* RSP_OK: any error but RSP_OK and RSP_ERR_DENIED */
    } cases[] = {
        {en, json, "", RSP_OK},
        {en, json, "{\"functionExecutionStatus\":", RSP_OK},                 /* truncated */
        {en, json, "[1,2,3]", RSP_OK},                                          /* not an object */
        {en, json, "{\"functionExecutionStatus\":{\"status\":\"MAYBE\"}}", RSP_OK}, /* bad enum */
        {en, json, "{}", RSP_OK},                                               /* status missing */
        {en, json, "{\"error\":{\"code\":\"busy\",\"message\":\"x\"}}", RSP_ERR_DENIED},
        {en, "text/html", "<html><body>502 Bad Gateway</body></html>", RSP_OK},
        {en, soap, "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>", RSP_OK},
        {en, soap,
         "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body><e:Fault><e:Code><e:Value>"
         "e:Sender</e:Value></e:Code><e:Reason><e:Text xml:lang=\"en\">no</e:Text></e:Reason></e:Fault>"
         "</e:Body></e:Envelope>",
         RSP_ERR_DENIED},
        /* a request, not a result */
        {en, soap,
         "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:w=\"http://www.w3.org/2005/08/"
         "addressing\"><e:Header><w:Action>http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile</w:Action>"
         "</e:Header><e:Body><EnableProfile><FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>" EID
         "</Eid><Iccid>" ICCID "</Iccid></EnableProfile></e:Body></e:Envelope>",
         RSP_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rsp_es_msg m;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_svc_client_decode(cases[i].f, 500, cases[i].ctype, NULL, (const uint8_t *)cases[i].body,
                                          strlen(cases[i].body), &m, &d);
        if (cases[i].want == RSP_ERR_DENIED)
            assert_int_equal(e, RSP_ERR_DENIED);
        else if (e == RSP_OK || e == RSP_ERR_DENIED)
            fail_msg("case %zu accepted (%d): %s", i, (int)e, cases[i].body);
        assert_true(strlen(d.msg) > 0);
        rsp_es_msg_free(&m);
    }
    /* a valid result of another function: a protocol error naming both */
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_svc_client_decode(en, 200, json, NULL, (const uint8_t *)ok_json, strlen(ok_json), &m, &d),
                     RSP_OK);
    rsp_es_msg_free(&m);
    /* a real GetEIS result of the SM-SR (the fuzz seed, after its selector byte): fine as GetEIS's,
     * a protocol error as EnableProfile's */
    rsp_buf seed = RSP_BUF_INIT;
    tu_read_file(RSP_SOURCE_DIR "/fuzz/corpus/fuzz_svc_client/es4_geteis_soap12", &seed);
    assert_true(seed.len > 1);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_svc_client_decode(ge, 200, soap, NULL, seed.data + 1, seed.len - 1, &m, &d), RSP_OK);
    rsp_es_msg_free(&m);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_svc_client_decode(en, 200, soap, NULL, seed.data + 1, seed.len - 1, &m, &d), RSP_ERR_PROTOCOL);
    assert_non_null(strstr(d.msg, "GetEIS"));
    rsp_es_msg_free(&m);
    rsp_buf_free(&seed);
    assert_int_equal(rsp_svc_client_decode(NULL, 200, json, NULL, NULL, 0, &m, &d), RSP_ERR_INVAL);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_result_in_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_is_a_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_and_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_202, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_server_and_bad_opts, setup, teardown),
        cmocka_unit_test(test_decode_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
