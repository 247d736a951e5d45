/* The peer's contract, not our tables: tests/es/wsdl_gen.py builds, from njiwa's WSDL schemas
 * (shared/interop/njiwa-wsdl), one request and one result per operation with a distinct value in every
 * element. Each must decode (in the njiwa dialect) and come back out of our encoder with every value in
 * place and valid against the WSDL's schemas (xmllint); what we do not map yet (njiwa's EIS) must be
 * refused by name. The gsma dialect is held the same way against the golden envelopes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/es_endpoint.h"

static char dir[64];
static int acks, answers;
static rsp_es_endpoint *ep; /* serves every function, rejecting each: what we answer njiwa with */

static rsp_err reject(void *hctx, rsp_es_call *c)
{
    (void)hctx;
    return rsp_es_call_reject(c, "8.1.1", "3.9", "EID", "Unknown EID");
}

static void keep_answer(void *rctx, const rsp_es_http_out *o)
{
    rsp_buf *b = rctx;
    assert_int_equal(o->status, 200);
    assert_string_equal(o->content_type, RSP_ES_SOAP11_CTYPE);
    rsp_buf_set(b, o->body, o->body_len);
}

static void write_file(const char *path, const rsp_buf *b)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
    fclose(f);
}

/* Decodes `path` (SOAPAction `action`), re-encodes it in its own dialect into <path>.out.xml. */
static void roundtrip(const char *path, const char *action, rsp_es_dialect want)
{
    rsp_buf x = RSP_BUF_INIT, y = RSP_BUF_INIT;
    rsp_diag d;
    rsp_diag_clear(&d);
    tu_read_file(path, &x);
    rsp_es_msg m;
    if (rsp_es_soap_decode(x.data, x.len, action, NULL, &m, &d) != RSP_OK)
        fail_msg("%s: %s", path, d.msg);
    assert_int_equal(m.dialect, want);
    if (rsp_es_soap_encode(&m, &y, &d) != RSP_OK)
        fail_msg("%s: re-encoding: %s", path, d.msg);
    char out[600];
    snprintf(out, sizeof(out), "%.*s.out.xml", (int)(strlen(path) - 4), path);
    write_file(out, &y);
    /* a request is answered, by the endpoint, in njiwa's form: our Failed result inside its <return> */
    rsp_buf_free(&y);
    if (want == RSP_ES_DIALECT_NJIWA && !m.response && m.func->resp) {
        rsp_es_http_in in = {"/", "text/xml; charset=utf-8", action, NULL, NULL, x.data, x.len};
        rsp_es_endpoint_handle(ep, &in, keep_answer, &y);
        snprintf(out, sizeof(out), "%.*s.answer.xml", (int)(strlen(path) - 4), path);
        write_file(out, &y);
        rsp_buf_free(&y);
        answers++;
    }
    /* a callback we receive is answered with the acknowledgement its operation returns */
    if (m.response && !m.in_http_response && rsp_es_soap_ack(&m, &y, &d) == RSP_OK) {
        snprintf(out, sizeof(out), "%.*s.ack.xml", (int)(strlen(path) - 4), path);
        write_file(out, &y);
        acks++;
    }
    rsp_es_msg_free(&m);
    rsp_buf_free(&x);
    rsp_buf_free(&y);
}

static void test_njiwa_contract(void **state)
{
    (void)state;
    char cmd[1024], wsdl[512], *outp = NULL;
    tu_shared_path("interop/njiwa-wsdl", wsdl, sizeof(wsdl));
    snprintf(cmd, sizeof(cmd), "python3 '%s/tests/es/wsdl_gen.py' gen '%s' '%s'", RSP_SOURCE_DIR, wsdl, dir);
    if (tu_run(cmd, &outp) != 0)
        fail_msg("generator failed: %s", outp);
    free(outp);
    char mpath[128];
    snprintf(mpath, sizeof(mpath), "%s/manifest.txt", dir);
    FILE *mf = fopen(mpath, "r");
    assert_non_null(mf);
    char line[1024];
    int ok = 0, refused = 0;
    while (fgets(line, sizeof(line), mf)) {
        line[strcspn(line, "\n")] = '\0';
        char *rel = strtok(line, "\t"), *action = strtok(NULL, "\t"), *expect = strtok(NULL, "\t");
        if (!rel || !action || !expect)
            continue;
        char path[600];
        snprintf(path, sizeof(path), "%s/%s", dir, rel);
        if (!strcmp(expect, "ok")) {
            roundtrip(path, action, RSP_ES_DIALECT_NJIWA);
            ok++;
            continue;
        }
        /* refuse:<element>: a gap we have not mapped must be named, never half read */
        rsp_buf x = RSP_BUF_INIT;
        tu_read_file(path, &x);
        rsp_es_msg m;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_es_soap_decode(x.data, x.len, action, NULL, &m, &d);
        if (e == RSP_OK || !strstr(d.msg, expect + 7))
            fail_msg("%s: want a refusal naming %s, got %s '%s'", rel, expect + 7, rsp_err_name(e), d.msg);
        rsp_es_msg_free(&m);
        rsp_buf_free(&x);
        refused++;
    }
    fclose(mf);
    assert_int_equal(ok, 62); /* every request and result in njiwa's six WSDLs (acknowledgements of
                               * callbacks aside), the seven that carry its EIS included */
    assert_int_equal(refused, 0);
    assert_int_equal(acks, 6);     /* ES3Resp's three callbacks, ES7's three */
    assert_int_equal(answers, 28); /* one per request operation */
    snprintf(cmd, sizeof(cmd), "python3 '%s/tests/es/wsdl_gen.py' check '%s'", RSP_SOURCE_DIR, dir);
    int rc = tu_run(cmd, &outp);
    if (rc != 0)
        fail_msg("contract check failed:\n%s", outp);
    free(outp);

    /* the schemas bite: the same AuditEIS in the gsma dialect is not what njiwa accepts */
    char path[600];
    snprintf(path, sizeof(path), "%s/ES4/AuditEIS.req.xml", dir);
    rsp_buf x = RSP_BUF_INIT, y = RSP_BUF_INIT;
    tu_read_file(path, &x);
    rsp_es_msg m;
    assert_int_equal(rsp_es_soap_decode(x.data, x.len, NULL, NULL, &m, NULL), RSP_OK);
    m.dialect = RSP_ES_DIALECT_GSMA;
    assert_int_equal(rsp_es_soap_encode(&m, &y, NULL), RSP_OK);
    snprintf(path, sizeof(path), "%s/ES4/AuditEIS.gsma.xml", dir);
    write_file(path, &y);
    snprintf(cmd, sizeof(cmd), "xmllint --noout --schema '%s/ES4/main.xsd' '%s' 2>&1", dir, path);
    rc = tu_run(cmd, &outp);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(outp, "fails to validate"));
    free(outp);
    rsp_es_msg_free(&m);
    rsp_buf_free(&x);
    rsp_buf_free(&y);
}

static void test_gsma_goldens(void **state)
{
    (void)state;
    static const char *const gsma[] = {"es4_enable_soap12_wsa.xml", "es4_enable_result_callback.xml",
                                       "es4_disabled_notification.xml", "es2_download_noaction_case.xml",
                                       "es1_register_eis.xml"};
    char cmd[2048], *outp = NULL;
    snprintf(cmd, sizeof(cmd), "python3 '%s/tests/es/wsdl_gen.py' same", RSP_SOURCE_DIR);
    for (size_t i = 0; i < sizeof(gsma) / sizeof(gsma[0]); i++) {
        char src[512], path[512];
        snprintf(src, sizeof(src), "%s/tests/golden/es/%s", RSP_SOURCE_DIR, gsma[i]);
        snprintf(path, sizeof(path), "%s/%s", dir, gsma[i]);
        rsp_buf b = RSP_BUF_INIT;
        tu_read_file(src, &b);
        write_file(path, &b);
        rsp_buf_free(&b);
        roundtrip(path, NULL, RSP_ES_DIALECT_GSMA);
        size_t l = strlen(cmd);
        snprintf(cmd + l, sizeof(cmd) - l, " '%s' '%.*s.out.xml'", path, (int)(strlen(path) - 4), path);
    }
    int rc = tu_run(cmd, &outp);
    if (rc != 0)
        fail_msg("gsma goldens lost values:\n%s", outp);
    free(outp);
}

/* A GetEIS answer in njiwa's form for a card with an emergency profile: njiwa's profileInfo has no
 * EmergencyProfileAttribute, so the element is dropped (the answer used to fail to encode) and what is
 * sent validates against ES4.wsdl's schemas; the element put back in by hand does not (outside fact:
 * the WSDL refuses it). The gsma dialect keeps it. */
static void test_njiwa_emergency(void **state)
{
    (void)state;
    char cmd[1024], wsdl[512], path[600], out[600], *outp = NULL;
    snprintf(path, sizeof(path), "%s/ES4/GetEIS.res.xml", dir);
    if (access(path, R_OK) != 0) {
        tu_shared_path("interop/njiwa-wsdl", wsdl, sizeof(wsdl));
        snprintf(cmd, sizeof(cmd), "python3 '%s/tests/es/wsdl_gen.py' gen '%s' '%s'", RSP_SOURCE_DIR, wsdl, dir);
        if (tu_run(cmd, &outp) != 0)
            fail_msg("generator failed: %s", outp);
        free(outp);
    }
    rsp_buf x = RSP_BUF_INIT, y = RSP_BUF_INIT;
    tu_read_file(path, &x);
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es_soap_decode(x.data, x.len, "http://gsma.com/ES4/ProfileManagent/ES4-GetEISResponse", NULL, &m, &d))
        fail_msg("%s", d.msg);
    assert_int_equal(m.dialect, RSP_ES_DIALECT_NJIWA);
    rsp_es_eis_resp *r = m.body;
    assert_non_null(r->eis);
    assert_true(r->eis->profiles.n >= 2);
    rsp_es_profile_info *pi = r->eis->profiles.v;
    pi[1].has_emergency_profile_attribute = pi[1].emergency_profile_attribute = true;
    if (rsp_es_soap_encode(&m, &y, &d) != RSP_OK)
        fail_msg("njiwa GetEIS with an emergency profile: %s", d.msg);
    rsp_buf_append(&y, (const uint8_t *)"", 1);
    const char *xml = (const char *)y.data;
    assert_null(strstr(xml, "Emergency"));
    assert_non_null(strstr(xml, "<FallbackAttribute>true</FallbackAttribute>")); /* the rest is there */
    y.len--;
    snprintf(out, sizeof(out), "%s/ES4/GetEIS.emergency.xml", dir);
    write_file(out, &y);
    snprintf(cmd, sizeof(cmd), "xmllint --noout --schema '%s/ES4/main.xsd' '%s' 2>&1", dir, out);
    if (tu_run(cmd, &outp) != 0)
        fail_msg("not valid against njiwa's ES4 schema:\n%s", outp);
    free(outp);

    /* the element where the gsma form puts it (after FallbackAttribute) is refused by the schema */
    const char *at = strstr(xml, "</FallbackAttribute>") + strlen("</FallbackAttribute>");
    rsp_buf z = RSP_BUF_INIT;
    rsp_buf_append(&z, y.data, (size_t)(at - xml));
    static const char el[] = "<EmergencyProfileAttribute>true</EmergencyProfileAttribute>";
    rsp_buf_append(&z, (const uint8_t *)el, sizeof(el) - 1);
    rsp_buf_append(&z, (const uint8_t *)at, y.len - (size_t)(at - xml));
    snprintf(out, sizeof(out), "%s/ES4/GetEIS.emergency-kept.xml", dir);
    write_file(out, &z);
    snprintf(cmd, sizeof(cmd), "xmllint --noout --schema '%s/ES4/main.xsd' '%s' 2>&1", dir, out);
    assert_int_not_equal(tu_run(cmd, &outp), 0);
    assert_non_null(strstr(outp, "EmergencyProfileAttribute"));
    free(outp);

    /* read back in njiwa's envelope by our own name; the gsma dialect writes it */
    rsp_es_msg m2;
    assert_int_equal(rsp_es_soap_decode(z.data, z.len, NULL, NULL, &m2, NULL), RSP_OK);
    pi = ((rsp_es_eis_resp *)m2.body)->eis->profiles.v;
    assert_true(pi[0].has_emergency_profile_attribute && pi[0].emergency_profile_attribute); /* where it was put */
    m2.dialect = RSP_ES_DIALECT_GSMA;
    rsp_buf_free(&y);
    assert_int_equal(rsp_es_soap_encode(&m2, &y, NULL), RSP_OK);
    rsp_buf_append(&y, (const uint8_t *)"", 1);
    assert_non_null(strstr((const char *)y.data, "EmergencyProfileAttribute>true<"));
    rsp_es_msg_free(&m2);
    rsp_es_msg_free(&m);
    rsp_buf_free(&x);
    rsp_buf_free(&y);
    rsp_buf_free(&z);
}

static int setup(void **state)
{
    (void)state;
    static rsp_es_handler h[128];
    size_t n = 0;
    for (int i = 0; i < RSP_ES__COUNT; i++) {
        const rsp_es_iface_table *t = rsp_es_iface_get((rsp_es_iface)i);
        for (size_t k = 0; k < t->n && n < 128; k++)
            h[n++] = (rsp_es_handler){t->funcs[k].iface, t->funcs[k].name, false, reject, NULL};
    }
    rsp_es_endpoint_cfg cfg = {h, n, NULL, NULL, "http://smsr.example/es", {0, 0}};
    if (rsp_es_endpoint_new(&cfg, &ep) != RSP_OK)
        return -1;
    snprintf(dir, sizeof(dir), "/tmp/rsp-es-wsdl-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rsp_es_endpoint_free(ep);
    char cmd[128], *out = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    tu_run(cmd, &out);
    free(out);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_njiwa_contract),
        cmocka_unit_test(test_gsma_goldens),
        cmocka_unit_test(test_njiwa_emergency),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
