/* ES11 in the ES9+ codec (include/rsp/es9p.h §ES11): the authenticateClient answer with event entries,
 * both path families and the smdsAddress alias. Outside facts: the bodies below are written as
 * SGP22.md §SM-DS shows them (field names, the /gsma/rsp2/es11/ paths of the vendor SDK, the ES9+
 * paths lpac posts to), not produced by our encoder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/es9p.h"

static const char ok_body[] =
    "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"0A1B2C\","
    "\"eventEntries\":[{\"eventId\":\"EVT-1\",\"rspServerAddress\":\"smdp.example.org\"},"
    "{\"eventId\":\"EVT-2\",\"rspServerAddress\":\"dp2.example.org:8443\",\"extra\":1}]}";

static void test_spec_answer(void **st)
{
    (void)st;
    rsp_es11_answer a;
    assert_int_equal(rsp_es9p_es11_answer_decode((const uint8_t *)ok_body, strlen(ok_body), &a, NULL), RSP_OK);
    assert_int_equal(a.header.status, RSP_ES9P_SUCCESS);
    assert_string_equal(a.transaction_id, "0A1B2C");
    assert_int_equal(a.n_events, 2);
    assert_string_equal(a.events[0].event_id, "EVT-1");
    assert_string_equal(a.events[1].rsp_server_address, "dp2.example.org:8443");
    /* re-encoded: the same entries, header first */
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_es9p_es11_answer_encode(&a, &b, NULL), RSP_OK);
    assert_memory_equal(b.data, "{\"header\":", 10);
    rsp_es11_answer a2;
    assert_int_equal(rsp_es9p_es11_answer_decode(b.data, b.len, &a2, NULL), RSP_OK);
    assert_memory_equal(&a.events, &a2.events, sizeof(a.events));
    rsp_buf_free(&b);
    /* no events: an empty array, still a success */
    const char *none = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},"
                       "\"transactionId\":\"AB\",\"eventEntries\":[]}";
    assert_int_equal(rsp_es9p_es11_answer_decode((const uint8_t *)none, strlen(none), &a, NULL), RSP_OK);
    assert_int_equal(a.n_events, 0);
    /* a failed answer is the header alone */
    const char *failed = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\",\"statusCodeData\":"
                         "{\"subjectCode\":\"8.1\",\"reasonCode\":\"6.1\"}}}}";
    assert_int_equal(rsp_es9p_es11_answer_decode((const uint8_t *)failed, strlen(failed), &a, NULL), RSP_OK);
    assert_int_equal(a.header.status, RSP_ES9P_FAILED);
    assert_string_equal(a.header.reason_code, "6.1");
}

static void test_malformed(void **st)
{
    (void)st;
    static const char *const bad[] = {
        "", "[]", "{}", "{\"header\":{}}",
        /* success without the payload */
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}}}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"AB\"}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"ABC\","
        "\"eventEntries\":[]}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"AB\","
        "\"eventEntries\":{}}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"AB\","
        "\"eventEntries\":[1]}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"AB\","
        "\"eventEntries\":[{\"eventId\":\"a b\",\"rspServerAddress\":\"x\"}]}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"AB\","
        "\"eventEntries\":[{\"eventId\":\"ab\",\"rspServerAddress\":\"\"}]}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"AB\","
        "\"eventEntries\":[{\"eventId\":\"ab\"}]}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\":\"AB\","
        "\"transactionId\":\"AB\",\"eventEntries\":[]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rsp_es11_answer a;
        rsp_diag d = {0};
        assert_int_equal(rsp_es9p_es11_answer_decode((const uint8_t *)bad[i], strlen(bad[i]), &a, &d), RSP_ERR_FORMAT);
        assert_true(d.msg[0] != '\0');
        assert_int_equal(a.n_events, 0);
    }
    /* too many entries */
    rsp_buf b = RSP_BUF_INIT;
    const char *head = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},"
                       "\"transactionId\":\"AB\",\"eventEntries\":[";
    rsp_buf_append(&b, head, strlen(head));
    for (int i = 0; i <= RSP_ES11_MAX_EVENTS; i++) {
        char e[80];
        snprintf(e, sizeof(e), "%s{\"eventId\":\"E%d\",\"rspServerAddress\":\"dp\"}", i ? "," : "", i);
        rsp_buf_append(&b, e, strlen(e));
    }
    rsp_buf_append(&b, "]}", 2);
    rsp_es11_answer a;
    assert_int_equal(rsp_es9p_es11_answer_decode(b.data, b.len, &a, NULL), RSP_ERR_FORMAT);
    rsp_buf_free(&b);
    /* encode refuses what decode would */
    memset(&a, 0, sizeof(a));
    strcpy(a.transaction_id, "AB");
    a.n_events = 1;
    strcpy(a.events[0].event_id, "bad id");
    strcpy(a.events[0].rsp_server_address, "dp");
    assert_int_equal(rsp_es9p_es11_answer_encode(&a, &b, NULL), RSP_ERR_INVAL);
    assert_int_equal(b.len, 0);
}

static void test_paths_and_alias(void **st)
{
    (void)st;
    rsp_es9p_func f;
    assert_int_equal(rsp_es9p_es11_path_parse("/gsma/rsp2/es11/initiateAuthentication", &f, NULL), RSP_OK);
    assert_int_equal(f, RSP_ES9P_INITIATE_AUTHENTICATION);
    assert_int_equal(rsp_es9p_es11_path_parse("/gsma/rsp2/es11/authenticateClient?x=1", &f, NULL), RSP_OK);
    assert_int_equal(f, RSP_ES9P_AUTHENTICATE_CLIENT);
    assert_int_equal(rsp_es9p_es11_path_parse("/gsma/rsp2/es9plus/authenticateClient", &f, NULL), RSP_OK);
    assert_int_equal(f, RSP_ES9P_AUTHENTICATE_CLIENT);
    assert_int_equal(rsp_es9p_es11_path_parse("/gsma/rsp2/es9plus/getBoundProfilePackage", &f, NULL),
                     RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_es9p_es11_path_parse("/gsma/rsp2/es11/getBoundProfilePackage", &f, NULL), RSP_ERR_NOT_FOUND);
    assert_string_equal(rsp_es9p_es11_path(RSP_ES9P_AUTHENTICATE_CLIENT), "/gsma/rsp2/es11/authenticateClient");
    assert_null(rsp_es9p_es11_path(RSP_ES9P_CANCEL_SESSION));
    /* initiateAuthentication with the vendor field name */
    const char *sds = "{\"euiccChallenge\":\"AAECAwQFBgcICQoLDA0ODw==\",\"euiccInfo1\":\"vyADggEC\","
                      "\"smdsAddress\":\"lpa.ds.example.com\"}";
    rsp_es9p_msg m;
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_INITIATE_AUTHENTICATION, false, (const uint8_t *)sds, strlen(sds), &m,
                                     NULL),
                     RSP_OK);
    assert_string_equal(m.smdp_address, "lpa.ds.example.com");
    rsp_es9p_msg_free(&m);
    const char *both = "{\"euiccChallenge\":\"AAECAwQFBgcICQoLDA0ODw==\",\"euiccInfo1\":\"vyADggEC\","
                       "\"smdsAddress\":\"a.example\",\"smdpAddress\":\"b.example\"}";
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_INITIATE_AUTHENTICATION, false, (const uint8_t *)both, strlen(both),
                                     &m, NULL),
                     RSP_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_answer),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_paths_and_alias),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
