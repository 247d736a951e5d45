/* SCP81 framing: the §F trigger TLVs (85 security parameters, 8A host, 8C URI), the PSK identity of
 * SGP.02, and the admin-protocol headers in both roles. */
#include <stdlib.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/scp81.h"
#include "testutil.h"

static bool contains(const rsp_buf *b, const rsp_buf *needle)
{
    for (size_t i = 0; i + needle->len <= b->len; i++)
        if (memcmp(b->data + i, needle->data, needle->len) == 0)
            return true;
    return false;
}

/* §F writes these TLVs with spaces between fields ("85 08 04 deadbeef 02 00 40  -> ..."): take the
 * text of the line that starts with `start` up to "->". */
static void f_line_hex(const char *start, rsp_buf *out)
{
    const char *p = strstr(strstr(tu_vectors(), "## F."), start), *e = p ? strstr(p, "->") : NULL;
    assert_non_null(e);
    char tmp[128] = "";
    assert_true((size_t)(e - p) < sizeof(tmp));
    memcpy(tmp, p, (size_t)(e - p));
    tu_hex(tmp, out);
}

static void test_f_trigger(void **state)
{
    (void)state;
    rsp_buf sec = RSP_BUF_INIT, host = RSP_BUF_INIT, uri = RSP_BUF_INIT, out = RSP_BUF_INIT;
    f_line_hex("\n  85 ", &sec);
    f_line_hex("\n  8a ", &host);
    f_line_hex("\n  8c ", &uri);
    tu_assert_hex(sec.data, sec.len, "850804deadbeef020040");
    rsp_scp81_trigger t;
    memset(&t, 0, sizeof(t));
    t.has_security = true;
    t.psk_id = rsp_bytes_of((const uint8_t *)"\xde\xad\xbe\xef", 4);
    t.kvn = 0x00;
    t.kid = 0x40;
    t.host = rsp_bytes_of((const uint8_t *)"admin.host", 10);
    t.uri = rsp_bytes_of((const uint8_t *)"https://admin.host/uri", 22);
    t.conn = rsp_bytes_of((const uint8_t *)"\x35\x01\x03\x39\x02\x05\x78", 7);
    t.retry = rsp_bytes_of((const uint8_t *)"\x00\x03\x00\x00\x1e", 5);
    assert_int_equal(rsp_scp81_trigger_build(&t, &out), RSP_OK);
    assert_true(contains(&out, &sec));
    assert_true(contains(&out, &host));
    assert_true(contains(&out, &uri));
    assert_int_equal(out.data[0], 0x81);
    assert_int_equal(out.data[2], 0x83);
    rsp_scp81_trigger p;
    assert_int_equal(rsp_scp81_trigger_parse(out.data, out.len, &p, NULL), RSP_OK);
    assert_true(p.has_security);
    assert_int_equal(p.kvn, 0x00);
    assert_int_equal(p.kid, 0x40);
    tu_assert_hex(p.psk_id.p, p.psk_id.len, "deadbeef");
    assert_int_equal(p.host.len, 10);
    assert_memory_equal(p.host.p, "admin.host", 10);
    assert_memory_equal(p.uri.p, "https://admin.host/uri", 22);
    assert_int_equal(p.conn.len, 7);
    assert_int_equal(p.retry.len, 5);
    /* Re-encoding the parse gives the same bytes. */
    rsp_buf again = RSP_BUF_INIT;
    assert_int_equal(rsp_scp81_trigger_build(&p, &again), RSP_OK);
    assert_int_equal(again.len, out.len);
    assert_memory_equal(again.data, out.data, out.len);
    for (size_t n = 0; n < out.len; n++)
        assert_int_not_equal(rsp_scp81_trigger_parse(out.data, n, &p, NULL), RSP_OK);
    /* 81 00: the card's defaults. */
    rsp_buf_reset(&again);
    t.use_default = true;
    assert_int_equal(rsp_scp81_trigger_build(&t, &again), RSP_OK);
    tu_assert_hex(again.data, again.len, "8100");
    assert_int_equal(rsp_scp81_trigger_parse(again.data, again.len, &p, NULL), RSP_OK);
    assert_true(p.use_default);
    static const uint8_t badsec[] = {0x81, 0x07, 0x83, 0x05, 0x85, 0x03, 0x05, 0x02, 0x00};
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_scp81_trigger_parse(badsec, sizeof(badsec), &p, &d), RSP_ERR_FORMAT);
    rsp_buf_free(&sec);
    rsp_buf_free(&host);
    rsp_buf_free(&uri);
    rsp_buf_free(&out);
    rsp_buf_free(&again);
}

static void test_psk_identity(void **state)
{
    (void)state;
    uint8_t eid[16], eid2[16], aid[16], kid, kvn;
    size_t alen;
    assert_int_equal(rsp_eid_to_bytes("89049032123451234512345678901235", eid), RSP_OK);
    char id[128];
    assert_int_equal(rsp_scp81_psk_identity(eid, RSP_AID_ISDR.b, RSP_AID_ISDR.len, 0x01, 0x40, id, sizeof(id)), RSP_OK);
    assert_string_equal(id, "800102811089049032123451234512345678901235"
                            "4F10A0000005591010FFFFFFFF8900000100820101830140");
    assert_int_equal(rsp_scp81_psk_identity_parse(id, eid2, aid, &alen, &kid, &kvn, NULL), RSP_OK);
    assert_memory_equal(eid, eid2, 16);
    assert_int_equal(alen, 16);
    assert_int_equal(kid, 0x01);
    assert_int_equal(kvn, 0x40);
    id[10] = '\0';
    assert_int_not_equal(rsp_scp81_psk_identity_parse(id, eid2, aid, &alen, &kid, &kvn, NULL), RSP_OK);
}

static void test_headers(void **state)
{
    (void)state;
    rsp_buf h = RSP_BUF_INIT;
    rsp_scp81_card_req r = {.eid = "89049032123451234512345678901235", .agent_aid = RSP_AID_ISDR.b,
                            .agent_aid_len = RSP_AID_ISDR.len};
    assert_int_equal(rsp_scp81_card_headers(&r, &h), RSP_OK);
    rsp_buf_append_byte(&h, 0);
    assert_string_equal((char *)h.data, "X-Admin-Protocol: globalplatform-remote-admin/1.0\r\n"
                                        "X-Admin-From: //se-id/eid/89049032123451234512345678901235;"
                                        "//aa-id/aid/A000000559/1010FFFFFFFF8900000100\r\n");
    rsp_scp81_msg m;
    assert_int_equal(rsp_scp81_headers_parse((char *)h.data, h.len - 1, &m, NULL), RSP_OK);
    assert_true(m.protocol_ok);
    assert_string_equal(m.eid, r.eid);
    assert_int_equal(m.from_aid_len, 16);
    assert_memory_equal(m.from_aid, RSP_AID_ISDR.b, 16);
    /* Results POST with status and resume. */
    rsp_buf_reset(&h);
    r.has_body = true;
    r.status = RSP_SCP81_STATUS_SECURITY_ERROR;
    r.resume = true;
    assert_int_equal(rsp_scp81_card_headers(&r, &h), RSP_OK);
    assert_int_equal(rsp_scp81_headers_parse((char *)h.data, h.len, &m, NULL), RSP_OK);
    assert_int_equal(m.status, RSP_SCP81_STATUS_SECURITY_ERROR);
    assert_true(m.resume);
    assert_int_equal(m.content, 2);
    /* Server: 200 with Next-URI and target, then 204. */
    rsp_buf_reset(&h);
    int st;
    rsp_scp81_server_resp s = {.next_uri = "/ras/next?id=7", .target_aid = RSP_AID_ISDR.b, .target_aid_len = 16};
    assert_int_equal(rsp_scp81_server_headers(&s, &st, &h), RSP_OK);
    assert_int_equal(st, 200);
    assert_int_equal(rsp_scp81_headers_parse((char *)h.data, h.len, &m, NULL), RSP_OK);
    assert_string_equal(m.next_uri, "/ras/next?id=7");
    assert_int_equal(m.target_aid_len, 16);
    assert_int_equal(m.content, 1);
    rsp_buf_reset(&h);
    s.end = true;
    assert_int_equal(rsp_scp81_server_headers(&s, &st, &h), RSP_OK);
    assert_int_equal(st, 204);
    /* Wrong protocol and malformed From are refused with messages. */
    rsp_diag d;
    rsp_diag_clear(&d);
    const char *bad = "X-Admin-Protocol: globalplatform-remote-admin/2.0\r\n";
    assert_int_equal(rsp_scp81_headers_parse(bad, strlen(bad), &m, &d), RSP_ERR_PROTOCOL);
    const char *badfrom = "x-admin-from: //se-id/eid/123;//aa-id/aid/A000000559/10\r\n";
    assert_int_equal(rsp_scp81_headers_parse(badfrom, strlen(badfrom), &m, NULL), RSP_ERR_FORMAT);
    const char *st2 = "X-Admin-Script-Status: bogus\r\n";
    assert_int_equal(rsp_scp81_headers_parse(st2, strlen(st2), &m, NULL), RSP_ERR_FORMAT);
    rsp_buf_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f_trigger),
        cmocka_unit_test(test_psk_identity),
        cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
