/* Every function of every interface: a fully populated request and response (every field set, lists
 * with two items, built from the descriptors) survives struct -> SOAP -> struct and
 * struct -> JSON -> struct unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "es/es_int.h"

static size_t checked;

static void round_trip(const rsp_es_func *f, bool response)
{
    rsp_es_msg m;
    assert_int_equal(rsp_es_msg_init(&m, f, response), RSP_OK);
    assert_int_equal(rsp_es_body_sample(rsp_es_msg_desc(&m), m.body, 7), RSP_OK);
    m.wsa.message_id = strdup("urn:uuid:1234");
    m.wsa.relates_to = response ? strdup("urn:uuid:0000") : NULL;
    m.wsa.from = strdup("https://op.example/es?EntityId=1.2.3");
    m.wsa.reply_to = strdup("https://op.example/cb");
    m.wsa.to = strdup("https://smsr.example/es4");

    rsp_buf x = RSP_BUF_INIT;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_es_soap_encode(&m, &x, &d);
    if (e != RSP_OK)
        fail_msg("%s %s: encode %s", f->name, response ? "resp" : "req", d.msg);
    rsp_es_msg back;
    e = rsp_es_soap_decode(x.data, x.len, NULL, NULL, &back, &d);
    if (e != RSP_OK)
        fail_msg("%s-%s %s: SOAP decode: %s\n%.*s", rsp_es_iface_get(f->iface)->name, f->name,
                 response ? "resp" : "req", d.msg, (int)x.len, x.data);
    assert_ptr_equal(back.func, f);
    assert_int_equal(back.response, response);
    assert_int_equal(back.soap_version, 12);
    if (!rsp_es_body_equal(rsp_es_msg_desc(&m), m.body, back.body))
        fail_msg("%s: SOAP round trip differs\n%.*s", f->name, (int)x.len, x.data);
    assert_string_equal(back.wsa.message_id, "urn:uuid:1234");
    assert_string_equal(back.wsa.reply_to, "https://op.example/cb");
    assert_string_equal(back.wsa.from, "https://op.example/es?EntityId=1.2.3");
    assert_non_null(back.wsa.action);
    rsp_es_msg_free(&back);

    rsp_buf j = RSP_BUF_INIT;
    e = rsp_es_json_encode(&m, &j, &d);
    if (e != RSP_OK)
        fail_msg("%s: JSON encode %s", f->name, d.msg);
    e = rsp_es_json_decode(f, response, j.data, j.len, NULL, &back, &d);
    if (e != RSP_OK)
        fail_msg("%s: JSON decode: %s\n%.*s", f->name, d.msg, (int)j.len, j.data);
    if (!rsp_es_body_equal(rsp_es_msg_desc(&m), m.body, back.body))
        fail_msg("%s: JSON round trip differs\n%.*s", f->name, (int)j.len, j.data);
    assert_string_equal(back.wsa.message_id, "urn:uuid:1234");
    rsp_es_msg_free(&back);

    rsp_buf_free(&x);
    rsp_buf_free(&j);
    rsp_es_msg_free(&m);
    checked++;
}

static void test_all_functions(void **state)
{
    (void)state;
    size_t nfunc = 0;
    for (int i = 0; i < RSP_ES__COUNT; i++) {
        const rsp_es_iface_table *t = rsp_es_iface_get((rsp_es_iface)i);
        assert_non_null(t);
        assert_true(t->n > 0);
        for (size_t k = 0; k < t->n; k++) {
            const rsp_es_func *f = &t->funcs[k];
            assert_int_equal(f->iface, i);
            assert_non_null(f->req);
            assert_true((f->mode == RSP_ES_ONEWAY) == (f->resp == NULL));
            round_trip(f, false);
            if (f->resp)
                round_trip(f, true);
            nfunc++;
        }
    }
    assert_true(nfunc >= 55);
    print_message("checked %zu functions, %zu messages\n", nfunc, checked);
}

static void test_action_uris(void **state)
{
    (void)state;
    char a[160];
    const rsp_es_func *f = rsp_es_func_find(RSP_ES4, "EnableProfile", 13), *g;
    bool resp;
    assert_int_equal(rsp_es_action_format(f, false, a, sizeof(a)), RSP_OK);
    assert_string_equal(a, "http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile");
    assert_int_equal(rsp_es_action_format(f, true, a, sizeof(a)), RSP_OK);
    assert_string_equal(a, "http://gsma.com/ES4/ProfileManagentCallBack/ES4-EnableProfile");
    static const struct {
        const char *uri;
        rsp_es_iface iface;
        const char *name;
        bool resp;
    } cases[] = {
        {"http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile", RSP_ES4, "EnableProfile", false},
        {"http://gsma.com/ES4/ProfileManagement/ES4-EnableProfile", RSP_ES4, "EnableProfile", false},
        {"\"http://gsma.com/ES3/ProfileManagent/ES3-SendData\"", RSP_ES3, "SendData", false},
        {"http://gsma.com/ES2/ProfileManagent/ES2-DownloadProfileRequest", RSP_ES2, "DownloadProfile", false},
        {"http://gsma.com/ES1/eUICCManagement/ES1-RegisterEISRequest", RSP_ES1, "RegisterEIS", false},
        {"http://gsma.com/ES4/eUICCManagement/ES4-SMSRChange", RSP_ES4, "SMSRChange", false},
        {"http://gsma.com/ES7/eUICCManagement/ES7-HandoverEUICC", RSP_ES7, "HandoverEUICC", false},
        {"http://gsma.com/ES4/ProfileManagentCallBack/ES4-EnableProfile", RSP_ES4, "EnableProfile", true},
        {"http://gsma.com/ES3/ProfileManagentCallback/ES3-AuditEIS", RSP_ES3, "AuditEIS", true},
        {"http://gsma.com/ES4/ProfileManagentCallBack/ES4-HandleSMSRChangeNotification", RSP_ES4,
         "HandleSMSRChangeNotification", false},
        {"http://gsma.com/ES4A/ProfileManagement/ES4A-SetPLMA", RSP_ES4A, "SetPLMA", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rsp_diag d;
        rsp_diag_clear(&d);
        if (rsp_es_action_parse(cases[i].uri, &g, &resp, &d) != RSP_OK)
            fail_msg("%s: %s", cases[i].uri, d.msg);
        assert_int_equal(g->iface, cases[i].iface);
        assert_string_equal(g->name, cases[i].name);
        assert_int_equal(resp, cases[i].resp);
    }
    assert_int_equal(rsp_es_action_parse("http://gsma.com/ES9/x/ES9-Foo", &g, &resp, NULL), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_es_action_parse("http://gsma.com/ES4/x/ES4-Foo", &g, &resp, NULL), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_es_action_parse("garbage", &g, &resp, NULL), RSP_ERR_NOT_FOUND);
}

static void test_json_paths(void **state)
{
    (void)state;
    char p[96];
    const rsp_es_func *f = rsp_es_func_find(RSP_ES4A, "GetONC", 6), *g;
    assert_int_equal(rsp_es_json_path(f, p, sizeof(p)), RSP_OK);
    assert_string_equal(p, "/es4a/GetONC");
    assert_int_equal(rsp_es_json_path_parse("/es4/EnableProfile", &g, NULL), RSP_OK);
    assert_string_equal(g->name, "EnableProfile");
    assert_int_equal(rsp_es_json_path_parse("/ES4/enableprofile/", &g, NULL), RSP_OK);
    assert_int_equal(rsp_es_json_path_parse("/es4/Nope", &g, NULL), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_es_json_path_parse("/es4/EnableProfile/x", &g, NULL), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_es_json_path_parse("es4", &g, NULL), RSP_ERR_NOT_FOUND);
}

static void test_datetime(void **state)
{
    (void)state;
    assert_true(rsp_es_datetime_ok("2024-01-02T03:04:05Z"));
    assert_true(rsp_es_datetime_ok("2024-01-02T03:04:05.123+02:00"));
    assert_true(rsp_es_datetime_ok("2024-01-02T03:04:05"));
    assert_false(rsp_es_datetime_ok("2024-01-02 03:04:05"));
    assert_false(rsp_es_datetime_ok("2024-01-02T03:04:05ZZ"));
    char now[21];
    rsp_es_datetime_now(now);
    assert_true(rsp_es_datetime_ok(now));
}

/* Every key of sd and of the structs it nests (their "### Name" sections) is in the doc. */
static void doc_has_struct(const char *doc, const rsp_es_struct *sd, int depth)
{
    char line[200];
    assert_true(depth < 8);
    for (size_t n = 0; n < sd->nfields; n++) {
        const rsp_es_field *f = &sd->fields[n];
        snprintf(line, sizeof(line), "| `%s` | `%s` |", f->json, f->xml);
        if (!strstr(doc, line))
            fail_msg("docs/ES-JSON.md lacks %s of %s", line, sd->name);
        if (f->sub) {
            snprintf(line, sizeof(line), "### %s\n", f->sub->name);
            if (!strstr(doc, line))
                fail_msg("docs/ES-JSON.md lacks the section %s", line);
            doc_has_struct(doc, f->sub, depth + 1);
        }
    }
}

/* docs/ES-JSON.md is generated from the tables: every path and every key, nested ones included, must be
 * in it. */
static void test_json_doc_in_sync(void **state)
{
    (void)state;
    rsp_buf doc = RSP_BUF_INIT;
    tu_read_file(RSP_SOURCE_DIR "/docs/ES-JSON.md", &doc);
    rsp_buf_append_byte(&doc, 0);
    for (int i = 0; i < RSP_ES__COUNT; i++) {
        const rsp_es_iface_table *t = rsp_es_iface_get((rsp_es_iface)i);
        for (size_t k = 0; k < t->n; k++) {
            char p[128], line[160];
            rsp_es_json_path(&t->funcs[k], p, sizeof(p));
            snprintf(line, sizeof(line), "`POST %s`", p);
            if (!strstr((const char *)doc.data, line))
                fail_msg("docs/ES-JSON.md lacks %s", line);
            const rsp_es_struct *sds[2] = {t->funcs[k].req, t->funcs[k].resp};
            for (int s = 0; s < 2 && sds[s]; s++)
                doc_has_struct((const char *)doc.data, sds[s], 0);
        }
    }
    rsp_buf_free(&doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_functions),
        cmocka_unit_test(test_action_uris),
        cmocka_unit_test(test_json_paths),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_json_doc_in_sync),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
