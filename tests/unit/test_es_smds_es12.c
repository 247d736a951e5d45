/* SM-DS ES12 JSON codec (include/rsp/smds.h). Outside facts: the paths and field names are
 * SGP22.md §"SM-DS" (the public SmdsHelper's), the answer header is written here as SGP22.md's ES9+
 * section shows it, and the EID is one of VECTORS.txt's (its mod 97 check digits are real). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/smds.h"

#define EID "89049032123451234512345678901235"

static void request(rsp_smds_es12_msg *m, rsp_smds_es12_func f)
{
    rsp_smds_es12_msg_init(m, f, false);
    strcpy(m->requester, "smdpp.example.com");
    strcpy(m->call_id, "call-1");
    strcpy(m->eid, EID);
    strcpy(m->event_id, "EVT-0001");
    if (f == RSP_SMDS_REGISTER_EVENT) {
        strcpy(m->rsp_server_address, "smdpp.example.com:8443");
        m->forwarding_indicator = true;
    }
}

static void test_vector_eid_is_real(void **st)
{
    (void)st;
    assert_non_null(strstr(tu_vectors(), EID));
}

static void test_round_trip(void **st)
{
    (void)st;
    for (int f = 0; f < RSP_SMDS_ES12_FUNC_N; f++) {
        rsp_smds_es12_msg m, d;
        request(&m, (rsp_smds_es12_func)f);
        rsp_buf b = RSP_BUF_INIT;
        assert_int_equal(rsp_smds_es12_encode(&m, &b, NULL), RSP_OK);
        assert_int_equal(rsp_smds_es12_decode((rsp_smds_es12_func)f, false, b.data, b.len, &d, NULL), RSP_OK);
        assert_string_equal(d.requester, m.requester);
        assert_string_equal(d.call_id, m.call_id);
        assert_string_equal(d.eid, EID);
        assert_string_equal(d.event_id, "EVT-0001");
        assert_string_equal(d.rsp_server_address, m.rsp_server_address);
        assert_int_equal(d.forwarding_indicator, m.forwarding_indicator);
        /* the body starts with the ES2+-style request header */
        assert_memory_equal(b.data, "{\"header\":{\"functionRequesterIdentifier\":", 41);
        rsp_buf_free(&b);
    }
}

static void test_spec_bodies(void **st)
{
    (void)st;
    /* registerEvent as SGP22.md names its fields; forwardingIndicator may be left out. */
    const char *reg = "{\"header\":{\"functionRequesterIdentifier\":\"dp\",\"functionCallIdentifier\":\"1\"},"
                      "\"eid\":\"" EID "\",\"rspServerAddress\":\"smdp.example.org\",\"eventId\":\"ABC-123\","
                      "\"extension\":{}}";
    rsp_smds_es12_msg m;
    assert_int_equal(rsp_smds_es12_decode(RSP_SMDS_REGISTER_EVENT, false, (const uint8_t *)reg, strlen(reg), &m,
                                          NULL), RSP_OK);
    assert_string_equal(m.rsp_server_address, "smdp.example.org");
    assert_false(m.forwarding_indicator);
    /* An answer header exactly as SGP22.md shows functionExecutionStatus. */
    const char *ans = "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\",\"statusCodeData\":"
                      "{\"subjectCode\":\"8.9\",\"reasonCode\":\"3.9\",\"message\":\"unknown event\"}}}}";
    assert_int_equal(rsp_smds_es12_decode(RSP_SMDS_DELETE_EVENT, true, (const uint8_t *)ans, strlen(ans), &m, NULL),
                     RSP_OK);
    assert_int_equal(m.header.status, RSP_ES9P_FAILED);
    assert_string_equal(m.header.subject_code, "8.9");
    assert_string_equal(m.header.reason_code, "3.9");
    /* and our answer re-encodes to those bytes */
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_smds_es12_encode(&m, &b, NULL), RSP_OK);
    assert_int_equal(b.len, strlen(ans));
    assert_memory_equal(b.data, ans, b.len);
    rsp_buf_free(&b);
}

static void expect_bad(rsp_smds_es12_func f, const char *body, const char *field)
{
    rsp_smds_es12_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smds_es12_decode(f, false, (const uint8_t *)body, strlen(body), &m, &d), RSP_ERR_FORMAT);
    if (!strstr(d.msg, field))
        fail_msg("diag '%s' does not name %s", d.msg, field);
    assert_string_equal(m.eid, ""); /* nothing half-filled */
}

#define HDR "{\"header\":{\"functionRequesterIdentifier\":\"dp\",\"functionCallIdentifier\":\"1\"},"

static void test_malformed(void **st)
{
    (void)st;
    expect_bad(RSP_SMDS_DELETE_EVENT, "{\"eid\":\"" EID "\",\"eventId\":\"A\"}", "header");
    expect_bad(RSP_SMDS_DELETE_EVENT, HDR "\"eventId\":\"A\"}", "eid");
    expect_bad(RSP_SMDS_DELETE_EVENT, HDR "\"eid\":\"89049032123451234512345678901234\",\"eventId\":\"A\"}", "eid");
    expect_bad(RSP_SMDS_DELETE_EVENT, HDR "\"eid\":\"" EID "\",\"eventId\":\"A_B\"}", "eventId");
    expect_bad(RSP_SMDS_DELETE_EVENT, HDR "\"eid\":\"" EID "\",\"eventId\":7}", "eventId");
    expect_bad(RSP_SMDS_DELETE_EVENT, HDR "\"eid\":\"" EID "\",\"eventId\":\"A\",\"eventId\":\"B\"}", "JSON");
    expect_bad(RSP_SMDS_REGISTER_EVENT, HDR "\"eid\":\"" EID "\",\"eventId\":\"A\"}", "rspServerAddress");
    expect_bad(RSP_SMDS_REGISTER_EVENT, HDR "\"eid\":\"" EID "\",\"eventId\":\"A\",\"rspServerAddress\":\"a b\"}",
               "rspServerAddress");
    expect_bad(RSP_SMDS_REGISTER_EVENT, HDR "\"eid\":\"" EID "\",\"eventId\":\"A\",\"rspServerAddress\":\"h:99999x\"}",
               "rspServerAddress");
    expect_bad(RSP_SMDS_REGISTER_EVENT,
               HDR "\"eid\":\"" EID "\",\"eventId\":\"A\",\"rspServerAddress\":\"h\",\"forwardingIndicator\":1}",
               "forwardingIndicator");
    expect_bad(RSP_SMDS_DELETE_EVENT, "[1]", "object");
    expect_bad(RSP_SMDS_DELETE_EVENT, "{", "JSON");
    /* our own encoder refuses what the decoder would */
    rsp_smds_es12_msg m;
    request(&m, RSP_SMDS_REGISTER_EVENT);
    m.rsp_server_address[0] = 0;
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_smds_es12_encode(&m, &b, NULL), RSP_ERR_INVAL);
    assert_int_equal(b.len, 0);
}

static void test_paths(void **st)
{
    (void)st;
    rsp_smds_es12_func f;
    assert_int_equal(rsp_smds_es12_path_parse("/gsma/rsp2/es12/registerEvent", &f, NULL), RSP_OK);
    assert_int_equal(f, RSP_SMDS_REGISTER_EVENT);
    assert_int_equal(rsp_smds_es12_path_parse("/gsma/rsp2/es12/deleteEvent?x=1", &f, NULL), RSP_OK);
    assert_int_equal(f, RSP_SMDS_DELETE_EVENT);
    assert_int_equal(rsp_smds_es12_path_parse("/gsma/rsp2/es12/deleteEventX", &f, NULL), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_smds_es12_path_parse("/gsma/rsp2/es9plus/initiateAuthentication", &f, NULL),
                     RSP_ERR_NOT_FOUND);
    assert_string_equal(rsp_smds_es12_path(RSP_SMDS_DELETE_EVENT), "/gsma/rsp2/es12/deleteEvent");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_eid_is_real), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_spec_bodies),        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
