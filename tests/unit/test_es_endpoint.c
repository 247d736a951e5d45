/* The endpoint against a fake transport: 202 + callback to ReplyTo with RelatesTo, synchronous Failed
 * answers for invalid requests, faults for garbage, one-way notifications, deferred answers
 * (Prefer: wait), JSON and SOAP, handlers that finish later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/es_endpoint.h"

typedef struct fake {
    int responses;
    int status;
    char ctype[80];
    rsp_buf body;
    int sends;
    char url[200];
    char action[200];
    rsp_buf sent;
    rsp_es_call *held; /* a call the handler keeps to finish later */
    int handled;
    bool hold, reject, fail;
    char peer[64];
} fake;

static void respond(void *rctx, const rsp_es_http_out *o)
{
    fake *f = rctx;
    f->responses++;
    f->status = o->status;
    snprintf(f->ctype, sizeof(f->ctype), "%s", o->content_type ? o->content_type : "");
    rsp_buf_set(&f->body, o->body, o->body_len);
}

static rsp_err send_cb(void *sctx, const char *url, const char *ctype, const char *action, const uint8_t *b,
                       size_t n)
{
    fake *f = sctx;
    (void)ctype;
    f->sends++;
    snprintf(f->url, sizeof(f->url), "%s", url ? url : "");
    snprintf(f->action, sizeof(f->action), "%s", action);
    return rsp_buf_set(&f->sent, b, n);
}

static rsp_err on_enable(void *hctx, rsp_es_call *c)
{
    fake *f = hctx;
    f->handled++;
    snprintf(f->peer, sizeof(f->peer), "%s", rsp_es_call_peer(c) ? rsp_es_call_peer(c) : "");
    const rsp_es_profile_req *r = rsp_es_call_msg(c)->body;
    if (f->fail)
        return RSP_ERR_DB;
    if (f->reject || strcmp(r->eid, "89001012012341234012345678901224"))
        return rsp_es_call_reject(c, "8.1.1", "3.9", "EID", "Unknown EID");
    rsp_es_data_resp *res = rsp_es_call_response(c);
    assert_non_null(res);
    rsp_buf_set(&res->euicc_response_data, "\x90\x00", 2);
    if (f->hold) {
        f->held = c;
        return RSP_OK;
    }
    return rsp_es_call_complete(c);
}

static rsp_err on_notif(void *hctx, rsp_es_call *c)
{
    fake *f = hctx;
    f->handled++;
    assert_null(rsp_es_call_response(c));
    return rsp_es_call_complete(c);
}

static const char *enable_xml(const char *eid, const char *reply_to)
{
    static char buf[2048];
    snprintf(buf, sizeof(buf),
             "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" "
             "xmlns:w=\"http://www.w3.org/2005/08/addressing\"><e:Header>"
             "%s%s%s<w:MessageID>m-77</w:MessageID>"
             "<w:Action>http://gsma.com/ES4/ProfileManagement/ES4-EnableProfile</w:Action></e:Header>"
             "<e:Body><EnableProfile><FunctionCallIdentifier>f1</FunctionCallIdentifier>%s%s%s"
             "<Iccid>8988211000000000017</Iccid></EnableProfile></e:Body></e:Envelope>",
             reply_to ? "<w:ReplyTo><w:Address>" : "", reply_to ? reply_to : "", reply_to ? "</w:Address></w:ReplyTo>" : "",
             eid ? "<Eid>" : "", eid ? eid : "", eid ? "</Eid>" : "");
    return buf;
}

typedef struct world {
    fake f;
    rsp_es_handler h[2];
    rsp_es_endpoint *ep;
} world;

static int setup(void **state)
{
    world *w = calloc(1, sizeof(*w));
    w->h[0] = (rsp_es_handler){RSP_ES4, "EnableProfile", false, on_enable, &w->f};
    w->h[1] = (rsp_es_handler){RSP_ES4, "HandleProfileDisabledNotification", false, on_notif, &w->f};
    rsp_es_endpoint_cfg cfg = {w->h, 2, send_cb, &w->f, "https://smsr.example/es4", {0, 0}};
    assert_int_equal(rsp_es_endpoint_new(&cfg, &w->ep), RSP_OK);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    assert_int_equal(rsp_es_endpoint_pending(w->ep), 0);
    rsp_es_endpoint_free(w->ep);
    rsp_buf_free(&w->f.body);
    rsp_buf_free(&w->f.sent);
    free(w);
    return 0;
}

static void post(world *w, const char *ctype, const char *path, const char *prefer, const char *body)
{
    rsp_es_http_in in = {path, ctype, NULL, prefer, "CN=operator1", (const uint8_t *)body, strlen(body)};
    rsp_es_endpoint_handle(w->ep, &in, respond, &w->f);
}

static rsp_es_msg decode_sent(const rsp_buf *b)
{
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es_soap_decode(b->data, b->len, NULL, NULL, &m, &d) != RSP_OK)
        fail_msg("%s\n%.*s", d.msg, (int)b->len, b->data);
    return m;
}

static void test_async_callback(void **state)
{
    world *w = *state;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL, enable_xml("89001012012341234012345678901224", "https://op/cb"));
    assert_int_equal(w->f.responses, 1);
    assert_int_equal(w->f.status, 202);
    assert_int_equal(w->f.body.len, 0);
    assert_string_equal(w->f.peer, "CN=operator1");
    assert_int_equal(w->f.sends, 1);
    assert_string_equal(w->f.url, "https://op/cb");
    assert_string_equal(w->f.action, "http://gsma.com/ES4/ProfileManagentCallBack/ES4-EnableProfile");
    rsp_es_msg m = decode_sent(&w->f.sent);
    assert_true(m.response);
    assert_string_equal(m.wsa.relates_to, "m-77");
    assert_string_equal(m.wsa.from, "https://smsr.example/es4");
    assert_non_null(m.wsa.message_id);
    const rsp_es_data_resp *r = m.body;
    assert_int_equal(r->hdr.status.status, RSP_ES_EXECUTED_SUCCESS);
    assert_non_null(r->hdr.processing_start);
    tu_assert_hex(r->euicc_response_data.data, r->euicc_response_data.len, "9000");
    rsp_es_msg_free(&m);
}

static void test_async_later(void **state)
{
    world *w = *state;
    w->f.hold = true;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL, enable_xml("89001012012341234012345678901224", "https://op/cb"));
    assert_int_equal(w->f.status, 202);
    assert_int_equal(w->f.sends, 0);
    assert_int_equal(rsp_es_endpoint_pending(w->ep), 1);
    assert_int_equal(rsp_es_call_complete(w->f.held), RSP_OK);
    assert_int_equal(w->f.sends, 1);
    assert_int_equal(w->f.responses, 1);
}

static void test_deferred_prefer_wait(void **state)
{
    world *w = *state;
    w->f.hold = true;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", "wait", enable_xml("89001012012341234012345678901224", "https://op/cb"));
    assert_int_equal(w->f.responses, 0); /* nothing until the handler completes */
    rsp_es_call_complete(w->f.held);
    assert_int_equal(w->f.responses, 1);
    assert_int_equal(w->f.status, 200);
    assert_int_equal(w->f.sends, 0);
    rsp_es_msg m = decode_sent(&w->f.body);
    assert_true(m.response);
    assert_string_equal(m.wsa.relates_to, "m-77");
    rsp_es_msg_free(&m);
}

static void test_no_reply_to_is_deferred(void **state)
{
    world *w = *state;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL,
         enable_xml("89001012012341234012345678901224", "http://www.w3.org/2005/08/addressing/anonymous"));
    assert_int_equal(w->f.status, 200);
    assert_int_equal(w->f.sends, 0);
}

static void test_validation_failure_sync(void **state)
{
    world *w = *state;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL, enable_xml(NULL, "https://op/cb"));
    assert_int_equal(w->f.handled, 0);
    assert_int_equal(w->f.status, 200);
    assert_int_equal(w->f.sends, 0);
    rsp_es_msg m = decode_sent(&w->f.body);
    const rsp_es_data_resp *r = m.body;
    assert_int_equal(r->hdr.status.status, RSP_ES_FAILED);
    assert_string_equal(r->hdr.status.code->subject, "8.1.1");
    assert_string_equal(r->hdr.status.code->reason, "2.2");
    assert_string_equal(r->hdr.status.code->subject_identifier, "Eid");
    assert_non_null(strstr(r->hdr.status.code->message, "Eid"));
    assert_string_equal(m.wsa.relates_to, "m-77");
    rsp_es_msg_free(&m);
}

static void test_handler_reject_sync(void **state)
{
    world *w = *state;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL, enable_xml("89000000000000000000000000000000", "https://op/cb"));
    assert_int_equal(w->f.status, 200);
    assert_int_equal(w->f.sends, 0);
    rsp_es_msg m = decode_sent(&w->f.body);
    const rsp_es_data_resp *r = m.body;
    assert_int_equal(r->hdr.status.status, RSP_ES_FAILED);
    assert_string_equal(r->hdr.status.code->reason, "3.9");
    rsp_es_msg_free(&m);
    w->f.fail = true;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL, enable_xml("89001012012341234012345678901224", "https://op/cb"));
    m = decode_sent(&w->f.body);
    r = m.body;
    assert_string_equal(r->hdr.status.code->reason, "4.2");
    rsp_es_msg_free(&m);
}

static void test_garbage_and_unknown(void **state)
{
    world *w = *state;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL, "<<<");
    assert_int_equal(w->f.status, 400);
    assert_non_null(strstr((const char *)w->f.body.data, "env:Sender"));
    post(w, RSP_ES_SOAP11_CTYPE, "/es4", NULL, "<<<");
    assert_non_null(strstr((const char *)w->f.body.data, "soap:Client"));
    /* known function without a handler */
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL,
         "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Body><ES4-DisableProfileRequest>"
         "<FunctionCallIdentifier>1</FunctionCallIdentifier><Eid>1</Eid><Iccid>2</Iccid>"
         "</ES4-DisableProfileRequest></e:Body></e:Envelope>");
    assert_int_equal(w->f.status, 500);
    assert_non_null(strstr((const char *)w->f.body.data, "not served"));
    assert_int_equal(w->f.handled, 0);
}

static void test_notification_oneway(void **state)
{
    world *w = *state;
    post(w, RSP_ES_SOAP12_CTYPE, "/es4", NULL,
         "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Header>"
         "<Action xmlns=\"http://www.w3.org/2005/08/addressing\">"
         "http://gsma.com/ES4/ProfileManagentCallBack/ES4-HandleProfileDisabledNotification</Action></e:Header>"
         "<e:Body><HandleProfileDisabledNotification><Eid>1</Eid><Iccid>2</Iccid>"
         "<CompletionTimestamp>2024-01-01T00:00:00Z</CompletionTimestamp>"
         "</HandleProfileDisabledNotification></e:Body></e:Envelope>");
    assert_int_equal(w->f.handled, 1);
    assert_int_equal(w->f.status, 202);
    assert_int_equal(w->f.sends, 0);
}

static void test_json(void **state)
{
    world *w = *state;
    const char *js = "{\"functionCallIdentifier\":\"j1\",\"eid\":\"89001012012341234012345678901224\","
                     "\"iccid\":\"8988211000000000017\",\"addressing\":{\"messageId\":\"jm-1\",\"replyTo\":\"https://op/jcb\"}}";
    post(w, "application/json", "/es4/EnableProfile", NULL, js);
    assert_int_equal(w->f.status, 202);
    assert_int_equal(w->f.sends, 1);
    assert_string_equal(w->f.url, "https://op/jcb");
    rsp_es_msg m;
    const rsp_es_func *f = rsp_es_func_find(RSP_ES4, "EnableProfile", 13);
    assert_int_equal(rsp_es_json_decode(f, true, w->f.sent.data, w->f.sent.len, NULL, &m, NULL), RSP_OK);
    assert_string_equal(m.wsa.relates_to, "jm-1");
    assert_int_equal(((rsp_es_data_resp *)m.body)->hdr.status.status, RSP_ES_EXECUTED_SUCCESS);
    rsp_es_msg_free(&m);

    /* Prefer: wait -> the result is the HTTP response */
    post(w, "application/json", "/es4/EnableProfile", "wait", js);
    assert_int_equal(w->f.status, 200);
    assert_int_equal(w->f.sends, 1);
    assert_non_null(strstr((const char *)w->f.body.data, "EXECUTED_SUCCESS"));

    /* validation failure: 400 with the Failed status */
    post(w, "application/json", "/es4/EnableProfile", NULL, "{\"functionCallIdentifier\":\"j1\",\"eid\":7}");
    assert_int_equal(w->f.status, 400);
    assert_non_null(strstr((const char *)w->f.body.data, "FAILED"));
    assert_non_null(strstr((const char *)w->f.body.data, "\"reasonCode\":\"2.1\""));
    /* unknown path, bad JSON */
    post(w, "application/json", "/es4/Nope", NULL, "{}");
    assert_int_equal(w->f.status, 404);
    post(w, "application/json", "/es4/EnableProfile", NULL, "{\"a\":");
    assert_int_equal(w->f.status, 400);
    assert_non_null(strstr((const char *)w->f.body.data, "\"error\""));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_async_callback),       T(test_async_later),        T(test_deferred_prefer_wait),
        T(test_no_reply_to_is_deferred), T(test_validation_failure_sync), T(test_handler_reject_sync),
        T(test_garbage_and_unknown),  T(test_notification_oneway), T(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
