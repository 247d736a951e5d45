/* SOAP binding: golden envelopes shaped like the ones peers send (SOAP 1.2 + WS-A, njiwa's SOAP 1.1 with
 * the "ProfileManagent" action, "CallBack"/"Callback", body element shapes and case), checked field by
 * field and through XML -> struct -> XML -> struct; then malformed and hostile input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/es.h"

static void load(const char *name, rsp_buf *out)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/golden/es/%s", RSP_SOURCE_DIR, name);
    tu_read_file(path, out);
}

/* Decodes a golden file, re-encodes it in our form, decodes that and checks the structs are equal. */
static void decode_golden(const char *name, rsp_es_msg *m)
{
    rsp_buf x = RSP_BUF_INIT, y = RSP_BUF_INIT;
    rsp_diag d;
    rsp_diag_clear(&d);
    load(name, &x);
    if (rsp_es_soap_decode(x.data, x.len, NULL, NULL, m, &d) != RSP_OK)
        fail_msg("%s: %s", name, d.msg);
    assert_int_equal(rsp_es_soap_encode(m, &y, &d), RSP_OK);
    rsp_es_msg again;
    if (rsp_es_soap_decode(y.data, y.len, NULL, NULL, &again, &d) != RSP_OK)
        fail_msg("%s re-encoded: %s\n%.*s", name, d.msg, (int)y.len, y.data);
    assert_ptr_equal(again.func, m->func);
    assert_int_equal(again.response, m->response);
    assert_true(rsp_es_body_equal(rsp_es_msg_desc(m), m->body, again.body));
    rsp_es_msg_free(&again);
    rsp_buf_free(&x);
    rsp_buf_free(&y);
}

static void test_golden_soap12_wsa(void **state)
{
    (void)state;
    rsp_es_msg m;
    decode_golden("es4_enable_soap12_wsa.xml", &m);
    assert_int_equal(m.soap_version, 12);
    assert_int_equal(m.func->iface, RSP_ES4);
    assert_string_equal(m.func->name, "EnableProfile");
    assert_false(m.response);
    assert_string_equal(m.wsa.from, "http://operator.example/es4?EntityId=1.3.6.1.4.1.99.1");
    assert_string_equal(m.wsa.to, "http://smsr.example/gsma/es4");
    assert_string_equal(m.wsa.reply_to, "http://operator.example/es4/callback");
    assert_string_equal(m.wsa.message_id, "urn:uuid:6b1ff5d2-3c1a-4f5e-9d0e-0f4c1f7e2a11");
    const rsp_es_profile_req *r = m.body;
    assert_string_equal(r->hdr.function_call_id, "FCI-0001");
    assert_true(r->hdr.has_validity_period);
    assert_int_equal(r->hdr.validity_period, 3600);
    assert_string_equal(r->eid, "89001012012341234012345678901224");
    assert_string_equal(r->iccid, "8988211000000000017");
    rsp_es_msg_free(&m);
}

static void test_golden_njiwa_soap11(void **state)
{
    (void)state;
    rsp_es_msg m;
    decode_golden("es3_senddata_soap11_njiwa.xml", &m);
    assert_int_equal(m.soap_version, 11);
    assert_int_equal(m.func->iface, RSP_ES3);
    assert_string_equal(m.func->name, "SendData");
    assert_string_equal(m.wsa.message_id, "njiwa-msg-42");
    assert_string_equal(m.wsa.reply_to, "http://smdp.example/dp/ES3");
    const rsp_es_send_data_req *r = m.body;
    tu_assert_hex(r->sd_aid.data, r->sd_aid.len, "a0000005591010ffffffff8900001000");
    tu_assert_hex(r->data.data, r->data.len, "811001020304");
    assert_true(r->has_more_to_do);
    assert_false(r->more_to_do);
    assert_int_equal(r->hdr.validity_period, 120);
    rsp_es_msg_free(&m);
}

static void test_golden_callback_result(void **state)
{
    (void)state;
    rsp_es_msg m;
    decode_golden("es4_enable_result_callback.xml", &m);
    assert_true(m.response);
    assert_string_equal(m.func->name, "EnableProfile");
    assert_string_equal(m.wsa.relates_to, "urn:uuid:6b1ff5d2-3c1a-4f5e-9d0e-0f4c1f7e2a11");
    const rsp_es_data_resp *r = m.body;
    assert_int_equal(r->hdr.status.status, RSP_ES_FAILED);
    assert_non_null(r->hdr.status.code);
    assert_string_equal(r->hdr.status.code->subject, "8.2.3");
    assert_string_equal(r->hdr.status.code->reason, "3.8");
    assert_string_equal(r->hdr.status.code->message, "Denied by POL2");
    assert_string_equal(r->hdr.processing_end, "2024-05-01T10:00:07.250+02:00");
    rsp_es_msg_free(&m);

    decode_golden("es3_auditeis_callback_lower.xml", &m);
    assert_true(m.response);
    assert_int_equal(m.func->iface, RSP_ES3);
    assert_string_equal(m.func->name, "AuditEIS");
    const rsp_es_eis_resp *a = m.body;
    assert_int_equal(a->hdr.status.status, RSP_ES_EXECUTED_SUCCESS);
    assert_null(a->eis);
    rsp_es_msg_free(&m);
}

static void test_golden_body_shape_no_action(void **state)
{
    (void)state;
    rsp_es_msg m;
    decode_golden("es2_download_noaction_case.xml", &m);
    assert_int_equal(m.func->iface, RSP_ES2);
    assert_string_equal(m.func->name, "DownloadProfile");
    assert_false(m.response);
    const rsp_es_download_req *r = m.body;
    assert_string_equal(r->hdr.function_call_id, "dl-1");
    assert_false(r->hdr.has_validity_period);
    assert_string_equal(r->smsr_id, "1.3.6.1.4.1.99.2");
    assert_string_equal(r->profile_type, "M2M-Generic");
    assert_null(r->iccid);
    assert_true(r->enable_profile);
    rsp_es_msg_free(&m);
}

static void test_golden_notification(void **state)
{
    (void)state;
    rsp_es_msg m;
    decode_golden("es4_disabled_notification.xml", &m);
    assert_false(m.response); /* a CallBack action, but notifications are one-way requests */
    assert_int_equal(m.func->mode, RSP_ES_ONEWAY);
    const rsp_es_notification *n = m.body;
    assert_null(n->hdr.function_call_id);
    assert_string_equal(n->completion_timestamp, "2024-05-01T10:00:09Z");
    rsp_es_msg_free(&m);
}

static void test_golden_eis(void **state)
{
    (void)state;
    rsp_es_msg m;
    decode_golden("es1_register_eis.xml", &m);
    assert_string_equal(m.func->name, "RegisterEIS");
    const rsp_es_eis *eis = ((const rsp_es_eis_req *)m.body)->eis;
    assert_non_null(eis);
    assert_string_equal(eis->signed_info->eid, "89001012012341234012345678901224");
    assert_true(eis->signed_info->capabilities->http_support);
    assert_null(eis->signed_info->capabilities->cattp_version);
    assert_int_equal(eis->signed_info->ecasd->role, RSP_ES_ROLE_ECASD);
    assert_int_equal(eis->remaining_memory, 400000);
    assert_int_equal(eis->profiles.n, 2);
    const rsp_es_profile_info *p = eis->profiles.v;
    assert_int_equal(p[0].state, RSP_ES_STATE_ENABLED);
    assert_true(p[0].fallback_attribute);
    assert_string_equal(p[0].subscription_address->msisdn, "447700900017");
    assert_int_equal(p[0].pol2->rules.n, 2);
    const rsp_es_pol2_rule *rule = p[0].pol2->rules.v;
    assert_int_equal(rule[1].action, RSP_ES_POL2_DELETE);
    assert_int_equal(rule[1].qualification, RSP_ES_POL2_AUTO_DELETE);
    assert_false(p[0].has_free_memory);
    assert_true(p[1].has_free_memory);
    assert_int_equal(p[1].free_memory, 1200);
    const rsp_es_key_set *ks = eis->isd_r->key_sets.v;
    assert_int_equal(ks->type, RSP_ES_KS_SCP80);
    const rsp_es_key *k = ks->keys.v;
    assert_int_equal(((const rsp_es_key_component *)k->components.v)->value.len, 16);
    assert_int_equal(eis->additional_properties.n, 1);
    rsp_es_msg_free(&m);
}

/* ---- malformed ---- */
static rsp_err try_decode(const char *xml, char *msg, size_t msglen)
{
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_es_soap_decode((const uint8_t *)xml, strlen(xml), NULL, NULL, &m, &d);
    snprintf(msg, msglen, "%s", d.msg);
    rsp_es_msg_free(&m);
    return e;
}

#define ENV12 "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://www.w3.org/2005/08/addressing\">"
#define ACT(a) "<e:Header><a:Action>http://gsma.com/ES4/ProfileManagent/ES4-" a "</a:Action></e:Header>"

static void expect(const char *xml, rsp_err want, const char *needle)
{
    char msg[256];
    rsp_err e = try_decode(xml, msg, sizeof(msg));
    if (e != want || !strstr(msg, needle))
        fail_msg("got %s '%s', want %s containing '%s'", rsp_err_name(e), msg, rsp_err_name(want), needle);
}

static void test_malformed(void **state)
{
    (void)state;
    expect("this is not xml", RSP_ERR_FORMAT, "not well-formed");
    expect("", RSP_ERR_FORMAT, "not well-formed");
    expect("<a><b></a>", RSP_ERR_FORMAT, "not well-formed");
    expect("<Envelope xmlns=\"urn:wrong\"><Body/></Envelope>", RSP_ERR_FORMAT, "neither SOAP");
    expect("<Foo/>", RSP_ERR_FORMAT, "not a SOAP Envelope");
    expect(ENV12 "<e:Header/></e:Envelope>", RSP_ERR_TAG, "no Body");
    expect(ENV12 "<e:Body/></e:Envelope>", RSP_ERR_TAG, "Body is empty");
    expect(ENV12 "<e:Header><a:Action>http://gsma.com/ES4/ProfileManagent/ES4-Frobnicate</a:Action></e:Header>"
                 "<e:Body><Frobnicate/></e:Body></e:Envelope>",
           RSP_ERR_NOT_FOUND, "unknown function");
    expect(ENV12 "<e:Body><EnableProfile/></e:Body></e:Envelope>", RSP_ERR_NOT_FOUND, "does not name");
    expect(ENV12 ACT("EnableProfile") "<e:Body><DisableProfile/></e:Body></e:Envelope>", RSP_ERR_TAG,
           "does not match");
    expect(ENV12 ACT("EnableProfile") "<e:Body><EnableProfile><FunctionCallIdentifier>1</FunctionCallIdentifier>"
                                      "<Eid>1</Eid></EnableProfile></e:Body></e:Envelope>",
           RSP_ERR_TAG, "mandatory element 'Iccid' missing");
    expect(ENV12 ACT("EnableProfile") "<e:Body><EnableProfile><FunctionCallIdentifier>1</FunctionCallIdentifier>"
                                      "<ValidityPeriod>soon</ValidityPeriod><Eid>1</Eid><Iccid>2</Iccid>"
                                      "</EnableProfile></e:Body></e:Envelope>",
           RSP_ERR_FORMAT, "'ValidityPeriod': 'soon' is not an integer");
    expect(ENV12 ACT("EnableProfile") "<e:Body><EnableProfile><FunctionCallIdentifier>1</FunctionCallIdentifier>"
                                      "<Eid><x/></Eid><Iccid>2</Iccid></EnableProfile></e:Body></e:Envelope>",
           RSP_ERR_FORMAT, "must hold text");
    expect(ENV12 ACT("EnableProfile") "<e:Body><EnableProfile><FunctionCallIdentifier>1</FunctionCallIdentifier>"
                                      "<Eid>1</Eid><Eid>1</Eid><Iccid>2</Iccid></EnableProfile></e:Body></e:Envelope>",
           RSP_ERR_FORMAT, "appears twice");
    expect(ENV12 "<e:Header><a:Action>http://gsma.com/ES3/ProfileManagent/ES3-SendData</a:Action></e:Header>"
                 "<e:Body><SendData><FunctionCallIdentifier>1</FunctionCallIdentifier><Eid>1</Eid>"
                 "<sd-aid>XYZ</sd-aid><Data>00</Data></SendData></e:Body></e:Envelope>",
           RSP_ERR_FORMAT, "not hexBinary");
    expect(ENV12 "<e:Body><e:Fault><e:Reason><e:Text>boom</e:Text></e:Reason></e:Fault></e:Body></e:Envelope>",
           RSP_ERR_PROTOCOL, "boom");
}

static void test_body_failure_keeps_function(void **state)
{
    (void)state;
    const char *xml = ENV12 "<e:Header><a:MessageID>m-1</a:MessageID></e:Header><e:Body><ES4-EnableProfileRequest>"
                            "<FunctionCallIdentifier>1</FunctionCallIdentifier><Iccid>2</Iccid>"
                            "</ES4-EnableProfileRequest></e:Body></e:Envelope>";
    rsp_es_msg m;
    assert_int_equal(rsp_es_soap_decode((const uint8_t *)xml, strlen(xml), NULL, NULL, &m, NULL), RSP_ERR_TAG);
    assert_non_null(m.func);
    assert_null(m.body);
    assert_string_equal(m.bad_element, "Eid");
    assert_string_equal(m.bad_reason, "2.2");
    assert_string_equal(m.wsa.message_id, "m-1");
    rsp_es_msg_free(&m);
}

static void test_entities_refused(void **state)
{
    (void)state;
    expect("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">"
           "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;\">]>" ENV12 "<e:Body><x>&lol3;</x></e:Body></e:Envelope>",
           RSP_ERR_FORMAT, "DOCTYPE");
    expect("<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" ENV12
           "<e:Body><x>&xxe;</x></e:Body></e:Envelope>",
           RSP_ERR_FORMAT, "DOCTYPE");
    expect("<!doctype x SYSTEM \"http://127.0.0.1:1/x.dtd\"><x/>", RSP_ERR_FORMAT, "DOCTYPE");
    /* an undeclared entity reference is a well-formedness error, not an expansion */
    expect(ENV12 "<e:Body><x>&undefined;</x></e:Body></e:Envelope>", RSP_ERR_FORMAT, "not well-formed");
}

static void test_limits(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    rsp_buf_append(&b, ENV12 "<e:Body>", strlen(ENV12 "<e:Body>"));
    for (int i = 0; i < 100; i++)
        rsp_buf_append(&b, "<a>", 3);
    for (int i = 0; i < 100; i++)
        rsp_buf_append(&b, "</a>", 4);
    rsp_buf_append(&b, "</e:Body></e:Envelope>", 22);
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_soap_decode(b.data, b.len, NULL, NULL, &m, &d), RSP_ERR_RANGE);
    assert_non_null(strstr(d.msg, "deeper"));
    rsp_es_msg_free(&m);
    /* 10000 levels: libxml2's own limit (256) stops it before our walk */
    rsp_buf_reset(&b);
    for (int i = 0; i < 10000; i++)
        rsp_buf_append(&b, "<a>", 3);
    assert_int_not_equal(rsp_es_soap_decode(b.data, b.len, NULL, NULL, &m, NULL), RSP_OK);
    rsp_es_msg_free(&m);
    rsp_es_limits lim = {64, 0};
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_soap_decode(b.data, b.len, NULL, &lim, &m, &d), RSP_ERR_LENGTH);
    assert_non_null(strstr(d.msg, "exceeds"));
    rsp_es_msg_free(&m);
    rsp_buf_free(&b);
}

static void test_action_hint_soap11(void **state)
{
    (void)state;
    const char *xml = "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Body><EnableProfile>"
                      "<FunctionCallIdentifier>1</FunctionCallIdentifier><Eid>1</Eid><Iccid>2</Iccid>"
                      "</EnableProfile></S:Body></S:Envelope>";
    rsp_es_msg m;
    assert_int_equal(rsp_es_soap_decode((const uint8_t *)xml, strlen(xml),
                                        "\"http://gsma.com/ES3/ProfileManagement/ES3-EnableProfile\"", NULL, &m, NULL),
                     RSP_OK);
    assert_int_equal(m.func->iface, RSP_ES3);
    assert_int_equal(m.soap_version, 11);
    rsp_es_msg_free(&m);
}

static void test_fault_emission(void **state)
{
    (void)state;
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_es_soap_fault(12, true, "bad <thing>", "m-1", &b), RSP_OK);
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_soap_decode(b.data, b.len, NULL, NULL, &m, &d), RSP_ERR_PROTOCOL);
    assert_non_null(strstr(d.msg, "bad <thing>"));
    rsp_es_msg_free(&m);
    rsp_buf_reset(&b);
    assert_int_equal(rsp_es_soap_fault(11, false, "oops", NULL, &b), RSP_OK);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_soap_decode(b.data, b.len, NULL, NULL, &m, &d), RSP_ERR_PROTOCOL);
    assert_non_null(strstr(d.msg, "oops"));
    rsp_es_msg_free(&m);
    rsp_buf_free(&b);
}

static void test_encode_missing_mandatory(void **state)
{
    (void)state;
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_msg_init(&m, rsp_es_func_find(RSP_ES4, "EnableProfile", 13), false), RSP_OK);
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_es_soap_encode(&m, &b, &d), RSP_ERR_INVAL);
    assert_non_null(strstr(d.msg, "FunctionCallIdentifier"));
    rsp_buf_free(&b);
    rsp_es_msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_soap12_wsa),
        cmocka_unit_test(test_golden_njiwa_soap11),
        cmocka_unit_test(test_golden_callback_result),
        cmocka_unit_test(test_golden_body_shape_no_action),
        cmocka_unit_test(test_golden_notification),
        cmocka_unit_test(test_golden_eis),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_body_failure_keeps_function),
        cmocka_unit_test(test_entities_refused),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_action_hint_soap11),
        cmocka_unit_test(test_fault_emission),
        cmocka_unit_test(test_encode_missing_mandatory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
