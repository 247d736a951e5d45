/* JSON binding: key leniency, types, and malformed/hostile bodies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/es.h"
#include "rsp/es_types.h"

static const rsp_es_func *enable(void)
{
    return rsp_es_func_find(RSP_ES4, "EnableProfile", 13);
}

static rsp_err dec(const char *js, rsp_es_msg *m, rsp_diag *d)
{
    rsp_diag_clear(d);
    return rsp_es_json_decode(enable(), false, (const uint8_t *)js, strlen(js), NULL, m, d);
}

static void expect(const char *js, rsp_err want, const char *needle)
{
    rsp_es_msg m;
    rsp_diag d;
    rsp_err e = dec(js, &m, &d);
    if (e != want || !strstr(d.msg, needle))
        fail_msg("%s: got %s '%s', want %s with '%s'", js, rsp_err_name(e), d.msg, rsp_err_name(want), needle);
    rsp_es_msg_free(&m);
}

static void test_lenient_keys(void **state)
{
    (void)state;
    rsp_es_msg m;
    rsp_diag d;
    assert_int_equal(dec("{\"FunctionCallIdentifier\":\"a\",\"validity_period\":\"60\",\"EID\":\"1\",\"iccid\":\"2\","
                         "\"addressing\":{\"relatesTo\":\"r\"}}",
                         &m, &d),
                     RSP_OK);
    const rsp_es_profile_req *r = m.body;
    assert_string_equal(r->hdr.function_call_id, "a");
    assert_int_equal(r->hdr.validity_period, 60);
    assert_string_equal(r->eid, "1");
    assert_string_equal(m.wsa.relates_to, "r");
    rsp_es_msg_free(&m);
}

static void test_malformed(void **state)
{
    (void)state;
    expect("", RSP_ERR_FORMAT, "not valid JSON");
    expect("[1,2]", RSP_ERR_FORMAT, "must be an object");
    expect("{\"functionCallIdentifier\":\"a\",\"eid\":\"1\"}", RSP_ERR_TAG, "'iccid' missing");
    expect("{\"functionCallIdentifier\":\"a\",\"eid\":1,\"iccid\":\"2\"}", RSP_ERR_FORMAT, "'eid': expected a string");
    expect("{\"functionCallIdentifier\":\"a\",\"validityPeriod\":true,\"eid\":\"1\",\"iccid\":\"2\"}", RSP_ERR_FORMAT,
           "expected an integer");
    expect("{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"eid\":\"1\",\"iccid\":\"2\"}", RSP_ERR_FORMAT,
           "not valid JSON"); /* duplicate keys refused by the parser */
    expect("{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"EID\":\"1\",\"iccid\":\"2\"}", RSP_ERR_FORMAT,
           "given twice");
    expect("{\"functionCallIdentifier\":\"a\",\"eid\":\"1\\u0000x\",\"iccid\":\"2\"}", RSP_ERR_FORMAT, "NUL");
    /* no silent loss: a key we cannot place is refused by name, at any depth and in addressing */
    expect("{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"iccid\":\"2\",\"unknown\":[1,2,{}]}", RSP_ERR_TAG,
           "unknown key 'unknown' in ProfileRequest");
    expect("{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"iccid\":\"2\",\"addressing\":{\"faultTo\":\"x\"}}",
           RSP_ERR_TAG, "unknown key 'faultTo' in addressing");
    expect("{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"iccid\":\"2\",\"addressing\":{\"to\":7}}",
           RSP_ERR_FORMAT, "addressing.to: expected a string");
    char deep[400];
    memset(deep, '[', 200);
    memset(deep + 200, ']', 200);
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_json_decode(enable(), false, (const uint8_t *)deep, sizeof(deep), NULL, &m, &d),
                     RSP_ERR_RANGE);
    rsp_es_msg_free(&m);
    rsp_es_limits lim = {16, 0};
    const char *js = "{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"iccid\":\"2\"}";
    assert_int_equal(rsp_es_json_decode(enable(), false, (const uint8_t *)js, strlen(js), &lim, &m, NULL),
                     RSP_ERR_LENGTH);
    rsp_es_msg_free(&m);
}

static void test_nested_types(void **state)
{
    (void)state;
    const rsp_es_func *f = rsp_es_func_find(RSP_ES4, "UpdatePolicyRules", 17);
    const char *ok = "{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"iccid\":\"2\",\"pol2\":{\"rules\":["
                     "{\"subject\":\"profile\",\"action\":\"Disable\",\"qualification\":\"NOT_ALLOWED\"}]}}";
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_json_decode(f, false, (const uint8_t *)ok, strlen(ok), NULL, &m, &d), RSP_OK);
    const rsp_es_profile_req *r = m.body;
    const rsp_es_pol2_rule *rule = r->pol2->rules.v;
    assert_int_equal(rule->action, RSP_ES_POL2_DISABLE);
    assert_int_equal(rule->qualification, RSP_ES_POL2_NOT_ALLOWED);
    rsp_es_msg_free(&m);
    const char *bad = "{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"iccid\":\"2\",\"pol2\":{\"rules\":["
                      "{\"subject\":\"profile\",\"action\":\"Explode\",\"qualification\":\"NOT_ALLOWED\"}]}}";
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_json_decode(f, false, (const uint8_t *)bad, strlen(bad), NULL, &m, &d), RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "action"));
    assert_string_equal(m.bad_element, "Action");
    rsp_es_msg_free(&m);
    const char *notarr = "{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"iccid\":\"2\",\"pol2\":{\"rules\":{}}}";
    assert_int_equal(rsp_es_json_decode(f, false, (const uint8_t *)notarr, strlen(notarr), NULL, &m, NULL),
                     RSP_ERR_FORMAT);
    rsp_es_msg_free(&m);
    const char *extra = "{\"functionCallIdentifier\":\"a\",\"eid\":\"1\",\"iccid\":\"2\",\"pol2\":{\"rules\":["
                        "{\"subject\":\"profile\",\"action\":\"Disable\",\"qualification\":\"NOT_ALLOWED\",\"x\":1}]}}";
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_json_decode(f, false, (const uint8_t *)extra, strlen(extra), NULL, &m, &d), RSP_ERR_TAG);
    assert_non_null(strstr(d.msg, "unknown key 'x' in Rule"));
    rsp_es_msg_free(&m);
    /* one-way functions have no result */
    const rsp_es_func *n = rsp_es_func_find(RSP_ES4, "HandleProfileEnabledNotification", 32);
    assert_int_equal(rsp_es_json_decode(n, true, (const uint8_t *)"{}", 2, NULL, &m, NULL), RSP_ERR_INVAL);
    rsp_es_msg_free(&m);
}

/* Large hex values are spliced into jansson's text after it is dumped (lib/es/json.c): the text is
 * the same as jansson's own (the one "data" key, upper-case hex, the other fields as usual), it decodes
 * back, and a string field that spells a placeholder ("\x01" "0") sends the message through jansson
 * whole, unchanged in meaning. */
static void test_hex_splice(void **state)
{
    (void)state;
    const rsp_es_func *f = rsp_es_func_find(RSP_ES3, "SendData", 8);
    assert_non_null(f);
    for (int collide = 0; collide < 2; collide++) {
        rsp_es_msg m, back;
        assert_int_equal(rsp_es_msg_init(&m, f, false), RSP_OK);
        rsp_es_send_data_req *q = m.body;
        q->hdr.function_call_id = strdup(collide ? "\x01" "0" : "fc-1");
        q->eid = strdup("89049032000000000000000000000163");
        static const uint8_t aid[] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
        assert_int_equal(rsp_buf_set(&q->sd_aid, aid, sizeof aid), RSP_OK);
        for (int i = 0; i < 4208; i++)
            assert_int_equal(rsp_buf_append_byte(&q->data, (uint8_t)(i * 7)), RSP_OK);
        rsp_buf out = RSP_BUF_INIT;
        rsp_diag d;
        rsp_diag_clear(&d);
        assert_int_equal(rsp_es_json_encode(&m, &out, &d), RSP_OK);
        assert_int_equal(rsp_buf_append_byte(&out, 0), RSP_OK);
        const char *t = (const char *)out.data;
        /* the data once, as upper-case hex between its quotes */
        const char *k = strstr(t, "\"data\":\"");
        assert_non_null(k);
        assert_null(strstr(k + 1, "\"data\":"));
        char *hex = malloc(2 * q->data.len + 1);
        assert_non_null(hex);
        rsp_hex_encode_upper(q->data.data, q->data.len, hex, 2 * q->data.len + 1);
        assert_memory_equal(k + 8, hex, 2 * q->data.len);
        assert_int_equal(k[8 + 2 * q->data.len], '"');
        free(hex);
        assert_non_null(strstr(t, "\"sdAid\":\"A0000005591010FFFFFFFF8900001000\""));
        assert_non_null(strstr(t, collide ? "\"functionCallIdentifier\":\"\\u00010\"" : "\"functionCallIdentifier\":\"fc-1\""));
        rsp_diag_clear(&d);
        assert_int_equal(rsp_es_json_decode(f, false, out.data, out.len - 1, NULL, &back, &d), RSP_OK);
        const rsp_es_send_data_req *b = back.body;
        assert_string_equal(b->hdr.function_call_id, q->hdr.function_call_id);
        assert_int_equal(b->data.len, q->data.len);
        assert_memory_equal(b->data.data, q->data.data, q->data.len);
        rsp_es_msg_free(&back);
        rsp_es_msg_free(&m);
        rsp_buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lenient_keys),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nested_types),
        cmocka_unit_test(test_hex_splice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
