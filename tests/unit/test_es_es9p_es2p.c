/* ES2+ JSON codec (include/rsp/es2p.h): the fields of SGP22.md's ES2+ table (pysim es2p.py) both ways,
 * request headers, failed answers, and malformed bodies refused with the field named. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/es2p.h"

static void roundtrip(const rsp_es2p_msg *m, const char *want)
{
    rsp_buf a = RSP_BUF_INIT, b = RSP_BUF_INIT;
    rsp_diag d = {0};
    assert_int_equal(rsp_es2p_encode(m, &a, &d), RSP_OK);
    if (want && (a.len != strlen(want) || memcmp(a.data, want, a.len)))
        fail_msg("got %.*s\nwant %s", (int)a.len, a.data, want);
    rsp_es2p_msg back;
    if (rsp_es2p_decode(m->func, m->response, a.data, a.len, &back, &d) != RSP_OK)
        fail_msg("%s: %.*s", d.msg, (int)a.len, a.data);
    assert_int_equal(rsp_es2p_encode(&back, &b, &d), RSP_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    rsp_buf_free(&a);
    rsp_buf_free(&b);
}

static void test_functions(void **state)
{
    (void)state;
    rsp_es2p_msg m;
    rsp_es2p_msg_init(&m, RSP_ES2P_DOWNLOAD_ORDER, false);
    strcpy(m.requester, "MNO");
    strcpy(m.call_id, "1");
    strcpy(m.eid, "89049032123451234512345678901235");
    strcpy(m.profile_type, "T48");
    roundtrip(&m, "{\"header\":{\"functionRequesterIdentifier\":\"MNO\",\"functionCallIdentifier\":\"1\"},"
                  "\"eid\":\"89049032123451234512345678901235\",\"profileType\":\"T48\"}");
    rsp_es2p_msg_init(&m, RSP_ES2P_CONFIRM_ORDER, false);
    strcpy(m.requester, "MNO");
    strcpy(m.call_id, "2");
    strcpy(m.iccid, "8900000000000000001F");
    m.release_flag = 0;
    strcpy(m.matching_id, "ABC-1");
    strcpy(m.confirmation_code, "12345678");
    roundtrip(&m, "{\"header\":{\"functionRequesterIdentifier\":\"MNO\",\"functionCallIdentifier\":\"2\"},"
                  "\"iccid\":\"8900000000000000001F\",\"matchingId\":\"ABC-1\",\"confirmationCode\":\"12345678\","
                  "\"releaseFlag\":false}");
    rsp_es2p_msg_init(&m, RSP_ES2P_CONFIRM_ORDER, true);
    strcpy(m.matching_id, "ABC-1");
    strcpy(m.smdp_address, "smdp.example.com");
    roundtrip(&m, "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},"
                  "\"matchingId\":\"ABC-1\",\"smdpAddress\":\"smdp.example.com\"}");
    rsp_es2p_msg_init(&m, RSP_ES2P_CANCEL_ORDER, false);
    strcpy(m.requester, "MNO");
    strcpy(m.call_id, "3");
    strcpy(m.iccid, "89000000000000000017");
    strcpy(m.final_status, "Available");
    roundtrip(&m, NULL);
    rsp_es2p_msg_init(&m, RSP_ES2P_RELEASE_PROFILE, true);
    m.header.status = RSP_ES9P_FAILED;
    strcpy(m.header.subject_code, "8.2.1");
    strcpy(m.header.reason_code, "3.9");
    roundtrip(&m, "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\",\"statusCodeData\":{"
                  "\"subjectCode\":\"8.2.1\",\"reasonCode\":\"3.9\"}}}}");
    rsp_es2p_func f;
    assert_int_equal(rsp_es2p_path_parse("/gsma/rsp2/es2plus/releaseProfile", &f, NULL), RSP_OK);
    assert_int_equal(f, RSP_ES2P_RELEASE_PROFILE);
    assert_int_equal(rsp_es2p_path_parse("/gsma/rsp2/es9plus/releaseProfile", &f, NULL), RSP_ERR_NOT_FOUND);
}

static void test_malformed(void **state)
{
    (void)state;
    const char *H = "\"header\":{\"functionRequesterIdentifier\":\"MNO\",\"functionCallIdentifier\":\"1\"}";
    struct {
        const char *body, *needle;
    } bad[] = {
        {"{", "JSON"},
        {"{\"iccid\":\"89000000000000000017\",\"releaseFlag\":true}", "header"},
        {"{\"header\":{\"functionRequesterIdentifier\":\"\",\"functionCallIdentifier\":\"1\"},\"iccid\":\"89000000000000000017\",\"releaseFlag\":true}",
         "functionRequesterIdentifier"},
        {"{%s,\"iccid\":\"890000000000000001\",\"releaseFlag\":true}", "19 or 20"},
        {"{%s,\"iccid\":\"8900000000000000001X\",\"releaseFlag\":true}", "not a digit"},
        {"{%s,\"iccid\":\"89000000000000000017\",\"releaseFlag\":1}", "boolean"},
        {"{%s,\"iccid\":\"89000000000000000017\"}", "releaseFlag"},
        {"{%s,\"iccid\":\"89000000000000000017\",\"releaseFlag\":true,\"eid\":\"89049032123451234512345678901234\"}",
         "EID"},
        {"{%s,\"iccid\":8900,\"releaseFlag\":true}", "not a string"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[600];
        snprintf(body, sizeof(body), bad[i].body, H);
        rsp_es2p_msg m;
        rsp_diag d = {0};
        if (rsp_es2p_decode(RSP_ES2P_CONFIRM_ORDER, false, (const uint8_t *)body, strlen(body), &m, &d) != RSP_ERR_FORMAT ||
            !strstr(d.msg, bad[i].needle))
            fail_msg("%s: '%s', want '%s'", body, d.msg, bad[i].needle);
        assert_int_equal(m.iccid[0], 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_functions), cmocka_unit_test(test_malformed)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
