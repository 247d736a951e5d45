/* Dialects (issue "SOAP that interoperates"): each difference between the gsma form and njiwa's JAX-WS
 * contract, one by one, with hand-written envelopes shaped as njiwa's WSDLs define them: SOAP 1.1
 * answers, WS-A 2007/05 metadata headers with an unqualified Address, StatusCodeData Subject/Reason,
 * <return> results and JAX-WS default Actions, POL2 rules, ICCID item lists, ES7 value forms, njiwa's
 * operation names; and the refusals (unknown header, unexpected wrapper, a list where a scalar belongs),
 * each naming its path. The WSDL-driven sweep is test_es_wsdl.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/es_endpoint.h"

#define S11 "<S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\"><S:Header>"
#define WSAM(n, v) "<" n " xmlns=\"http://www.w3.org/2007/05/addressing/metadata\">" v "</" n ">"
#define BODY(x) "</S:Header><S:Body>" x "</S:Body></S:Envelope>"
#define ES(x) "<ns2:" x " xmlns:ns2=\"http://namespaces.gsma.org/esim-messaging/1\">"
#define EID "89001012012341234012345678901224"

static rsp_err dec(const char *xml, const char *hint, rsp_es_msg *m, rsp_diag *d)
{
    rsp_diag_clear(d);
    return rsp_es_soap_decode((const uint8_t *)xml, strlen(xml), hint, NULL, m, d);
}

static void expect_err(const char *xml, rsp_err want, const char *needle)
{
    rsp_es_msg m;
    rsp_diag d;
    rsp_err e = dec(xml, NULL, &m, &d);
    if (e != want || !strstr(d.msg, needle))
        fail_msg("got %s '%s', want %s containing '%s'", rsp_err_name(e), d.msg, rsp_err_name(want), needle);
    rsp_es_msg_free(&m);
}

static char *enc(rsp_es_msg *m)
{
    rsp_buf b = RSP_BUF_INIT;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es_soap_encode(m, &b, &d) != RSP_OK)
        fail_msg("encode: %s", d.msg);
    rsp_buf_append_byte(&b, 0);
    return (char *)b.data;
}

static void test_names(void **state)
{
    (void)state;
    rsp_es_dialect dl;
    assert_int_equal(rsp_es_dialect_parse("NJIWA", &dl), RSP_OK);
    assert_int_equal(dl, RSP_ES_DIALECT_NJIWA);
    assert_string_equal(rsp_es_dialect_name(RSP_ES_DIALECT_GSMA), "gsma");
    assert_int_equal(rsp_es_dialect_parse("soap", &dl), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_es_dialect_soap_version(RSP_ES_DIALECT_NJIWA), 11);
    assert_string_equal(rsp_es_dialect_content_type(RSP_ES_DIALECT_GSMA), RSP_ES_SOAP12_CTYPE);
}

/* 2, 6, 9: njiwa's WS-A headers and POL2 rules arrive; what we write back is its form, exactly. */
static void test_pol2_and_headers(void **state)
{
    (void)state;
    const char *xml = S11
        "<From xmlns=\"http://www.w3.org/2007/05/addressing/metadata\"><Address>http://op/ES2</Address>"
        "</From>" WSAM("MessageID", "m-7") WSAM("Action", "http://gsma.com/ES2/ProfileManagement/ES2-UpdatePolicyRules")
            BODY(ES("UpdatePolicyRules") "<FunctionCallIdentifier>f</FunctionCallIdentifier><ValidityPeriod>60</"
                                         "ValidityPeriod>"
                                         "<Eid>" EID
                                         "</Eid><Iccid>8988211000000000017</Iccid><Smsr-Id>SR-1</Smsr-Id><pol2>"
                                         "<rules><Subject>PROFILE</Subject><Action>DISABLE</"
                                         "Action><Qualification>Not-Allowed</Qualification></rules>"
                                         "<rules><Subject>PROFILE</Subject><Action>DELETE</"
                                         "Action><Qualification>Auto-Delete</Qualification></rules>"
                                         "</pol2></ns2:UpdatePolicyRules>");
    rsp_es_msg m;
    rsp_diag d;
    if (dec(xml, NULL, &m, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    assert_int_equal(m.dialect, RSP_ES_DIALECT_NJIWA);
    assert_int_equal(m.func->iface, RSP_ES2);
    assert_string_equal(m.wsa.from, "http://op/ES2");
    assert_string_equal(m.wsa.message_id, "m-7");
    const rsp_es_profile_req *r = m.body;
    assert_string_equal(r->smsr_id, "SR-1");
    assert_non_null(r->pol2);
    assert_int_equal(r->pol2->rules.n, 2);
    const rsp_es_pol2_rule *rule = r->pol2->rules.v;
    assert_int_equal(rule[0].action, RSP_ES_POL2_DISABLE);
    assert_int_equal(rule[1].action, RSP_ES_POL2_DELETE);
    assert_int_equal(rule[1].qualification, RSP_ES_POL2_AUTO_DELETE);
    char *out = enc(&m);
    assert_non_null(strstr(out, "xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\""));
    assert_non_null(strstr(out, "<wsam:From><Address>http://op/ES2</Address></wsam:From>"));
    assert_non_null(strstr(out, "<Iccid>8988211000000000017</Iccid><Smsr-Id>SR-1</Smsr-Id><pol2><rules>"));
    free(out);
    /* the same message asked of the gsma dialect: SOAP 1.2, WS-A 2005/08, our names */
    m.dialect = RSP_ES_DIALECT_GSMA;
    out = enc(&m);
    assert_non_null(strstr(out, "<wsa:From><wsa:Address>http://op/ES2</wsa:Address></wsa:From>"));
    assert_non_null(strstr(out, "<Smsr-Id>SR-1</Smsr-Id><Iccid>8988211000000000017</Iccid><Pol2><Rule>"));
    assert_null(strstr(out, "<rules>"));
    free(out);
    rsp_es_msg_free(&m);
    /* the path of a bad value deep in the rules */
    expect_err(
        S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-UpdatePolicyRules") BODY(ES(
            "UpdatePolicyRules") "<FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>1</Eid>"
                                 "<Iccid>2</Iccid><pol2><rules><Subject>PROFILE</Subject><Action>ENABLE</Action>"
                                 "<Qualification>Not-Allowed</Qualification></rules><rules><Subject>PROFILE</Subject>"
                                 "<Action>EXPLODE</Action><Qualification>Not-Allowed</Qualification></rules></pol2>"
                                 "</ns2:UpdatePolicyRules>"),
        RSP_ERR_FORMAT, "at Body/UpdatePolicyRules/pol2/rules[2]/Action");
}

/* 3, 4: its results: <return>, Subject/Reason, a JAX-WS default Action. */
static void test_return_and_status(void **state)
{
    (void)state;
    const char *xml = S11 WSAM("Action", "http://namespaces.gsma.org/esim-messaging/1/ES4/EnableProfileResponse")
        WSAM("RelatesTo", "m-1")
            BODY(ES("EnableProfileResponse") "<return><AcceptableValidityPeriod>0</AcceptableValidityPeriod>"
                                             "<FunctionExecutionStatus><Status>FAILED</"
                                             "Status><StatusCodeData><Subject>8.1.1</Subject>"
                                             "<Reason>3.9</Reason><Message>Unknown "
                                             "EID</Message></StatusCodeData></FunctionExecutionStatus>"
                                             "<EuiccResponseData>9000</EuiccResponseData></return></"
                                             "ns2:EnableProfileResponse>");
    rsp_es_msg m;
    rsp_diag d;
    if (dec(xml, NULL, &m, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    assert_true(m.response);
    assert_true(m.in_http_response);
    assert_int_equal(m.func->iface, RSP_ES4);
    assert_string_equal(m.func->name, "EnableProfile");
    const rsp_es_data_resp *r = m.body;
    assert_false(r->hdr.has_acceptable_validity_period); /* njiwa's 0 is its "unset" */
    assert_int_equal(r->hdr.status.status, RSP_ES_FAILED);
    assert_string_equal(r->hdr.status.code->subject, "8.1.1");
    assert_string_equal(r->hdr.status.code->reason, "3.9");
    tu_assert_hex(r->euicc_response_data.data, r->euicc_response_data.len, "9000");
    char *out = enc(&m);
    assert_non_null(
        strstr(out, "<es:EnableProfileResponse><return><AcceptableValidityPeriod>0</AcceptableValidityPeriod>"));
    assert_non_null(strstr(out, "<Subject>8.1.1</Subject><Reason>3.9</Reason>"));
    free(out);
    /* the same result as a callback (not in the HTTP answer) has no <return> */
    m.in_http_response = false;
    out = enc(&m);
    assert_non_null(strstr(out, "<es:EnableProfileResponse><AcceptableValidityPeriod>"));
    free(out);
    rsp_es_msg_free(&m);
    /* GetEIS names its result part FunctionExecutionStatus */
    xml = S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-GetEISResponse")
        BODY(ES("GetEISResponse") "<FunctionExecutionStatus><AcceptableValidityPeriod>5</AcceptableValidityPeriod>"
                                  "<FunctionExecutionStatus><Status>EXECUTED_SUCCESS</Status></FunctionExecutionStatus>"
                                  "</FunctionExecutionStatus></ns2:GetEISResponse>");
    if (dec(xml, NULL, &m, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    assert_true(m.in_http_response);
    assert_int_equal(((rsp_es_eis_resp *)m.body)->hdr.acceptable_validity_period, 5);
    rsp_es_msg_free(&m);
    /* njiwa's EIS: errors deep inside name their path; a Signature must be XML-DSig's */
    expect_err(
        S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-GetEISResponse") BODY(
            ES("GetEISResponse") "<FunctionExecutionStatus><AcceptableValidityPeriod>5</AcceptableValidityPeriod>"
                                 "<FunctionExecutionStatus><Status>EXECUTED_SUCCESS</Status></FunctionExecutionStatus>"
                                 "<Eis><RemainingMemory>1</RemainingMemory><profiles/></Eis>"
                                 "</FunctionExecutionStatus></ns2:GetEISResponse>"),
        RSP_ERR_TAG,
        "mandatory element 'Iccid' missing in ProfileInfo (at "
        "Body/GetEISResponse/FunctionExecutionStatus/Eis/profiles[1])");
    expect_err(S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-GetEISResponse") BODY(
                   ES("GetEISResponse") "<FunctionExecutionStatus><FunctionExecutionStatus><Status>EXECUTED_SUCCESS"
                                        "</Status></FunctionExecutionStatus><Eis><Signature>00</Signature></Eis>"
                                        "</FunctionExecutionStatus></ns2:GetEISResponse>"),
               RSP_ERR_TAG, "not in the XML-DSig namespace");
    expect_err(S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-GetEISResponse") BODY(
                   ES("GetEISResponse") "<FunctionExecutionStatus><FunctionExecutionStatus><Status>EXECUTED_SUCCESS"
                                        "</Status></FunctionExecutionStatus><Eis><isd-r><keySets><keys kcv=\"00\" "
                                        "colour=\"red\"/>"
                                        "</keySets></isd-r></Eis></FunctionExecutionStatus></ns2:GetEISResponse>"),
               RSP_ERR_TAG,
               "attribute 'colour' is not part of Key (at "
               "Body/GetEISResponse/FunctionExecutionStatus/Eis/isd-r/keySets[1]/keys[1]/@colour)");
}

/* 7: ES4 AuditEIS ICCIDs as a JAXB stringArray. */
static void test_iccid_items(void **state)
{
    (void)state;
    const char *xml = S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-AuditEIS") BODY(ES(
        "AuditEIS") "<FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>" EID "</Eid>"
                    "<Iccid><item>8988211000000000017</item><item>8988211000000000025</item></Iccid></ns2:AuditEIS>");
    rsp_es_msg m;
    rsp_diag d;
    if (dec(xml, NULL, &m, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    const rsp_es_eid_req *r = m.body;
    assert_int_equal(r->iccids.n, 2);
    assert_string_equal(((char **)r->iccids.v)[1], "8988211000000000025");
    char *out = enc(&m);
    assert_non_null(strstr(out, "<Iccid><item>8988211000000000017</item><item>8988211000000000025</item></Iccid>"));
    free(out);
    /* ES3 AuditEIS of njiwa has no ICCIDs: ours would be lost, so encoding refuses */
    const rsp_es_func *f3 = rsp_es_func_find(RSP_ES3, "AuditEIS", 8);
    rsp_es_msg m3;
    assert_int_equal(rsp_es_msg_init(&m3, f3, false), RSP_OK);
    m3.dialect = RSP_ES_DIALECT_NJIWA;
    rsp_es_eid_req *r3 = m3.body;
    r3->hdr.function_call_id = strdup("f");
    r3->eid = strdup(EID);
    r3->iccids = r->iccids;
    memset(&((rsp_es_eid_req *)m.body)->iccids, 0, sizeof(rsp_es_list));
    rsp_buf b = RSP_BUF_INIT;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_soap_encode(&m3, &b, &d), RSP_ERR_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "'Iccid' of AuditEISRequest has no form in dialect njiwa"));
    rsp_buf_free(&b);
    rsp_es_msg_free(&m3);
    rsp_es_msg_free(&m);
    /* a wrapper holding something else, a second wrapper, a list where a scalar belongs */
    expect_err(S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-AuditEIS")
                   BODY(ES("AuditEIS") "<FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>1</Eid>"
                                       "<Iccid><iccid>1</iccid></Iccid></ns2:AuditEIS>"),
               RSP_ERR_TAG, "'iccid' where a <item> item belongs (at Body/AuditEIS/Iccid/iccid)");
    expect_err(S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-AuditEIS")
                   BODY(ES("AuditEIS") "<FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>1</Eid>"
                                       "<Iccid><item>1</item></Iccid><Iccid><item>2</item></Iccid></ns2:AuditEIS>"),
               RSP_ERR_FORMAT, "appears twice");
    expect_err(S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile")
                   BODY(ES("EnableProfile") "<FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>1</Eid>"
                                            "<Iccid><item>1</item></Iccid></ns2:EnableProfile>"),
               RSP_ERR_FORMAT, "must hold text, not elements (at Body/EnableProfile/Iccid)");
}

/* 8: ES7 without FunctionCallIdentifier, ECC-256, ScenarioParameter in decimal, never guessed as hex. */
static void test_es7_forms(void **state)
{
    (void)state;
#define KS(scen)                                                                                                       \
    S11 WSAM("Action", "http://gsma.com/ES7/eUICCManagement/ES7-CreateAdditionalKeySet") BODY(                         \
        ES("CreateAdditionalKeySetRequest") "<AcceptableValidityPeriod>600</AcceptableValidityPeriod><Eid>" EID        \
                                            "</Eid><KeyVersionNumber>2</KeyVersionNumber><InitialSequenceCounter>0</"  \
                                            "InitialSequenceCounter>"                                                  \
                                            "<ECCKeyLength>ECC-256</ECCKeyLength><ScenarioParameter>" scen             \
                                            "</ScenarioParameter>"                                                     \
                                            "<EphemeralPublicKey>04AB</EphemeralPublicKey><Signature>5F37</Signature>" \
                                            "</ns2:CreateAdditionalKeySetRequest>")
    rsp_es_msg m;
    rsp_diag d;
    if (dec(KS("10"), NULL, &m, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    const rsp_es_key_req *r = m.body;
    assert_null(r->hdr.function_call_id);
    assert_int_equal(r->hdr.validity_period, 600);
    assert_int_equal(r->ecc_key_length, 256);
    tu_assert_hex(r->scenario_parameter.data, r->scenario_parameter.len, "0a"); /* ten, not 0x10 */
    char *out = enc(&m);
    assert_non_null(strstr(out, "<ECCKeyLength>ECC-256</ECCKeyLength><ScenarioParameter>10</ScenarioParameter>"));
    free(out);
    m.dialect = RSP_ES_DIALECT_GSMA; /* gsma: hexBinary and a plain number, and FunctionCallIdentifier is ours */
    rsp_buf b = RSP_BUF_INIT;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_soap_encode(&m, &b, &d), RSP_ERR_INVAL);
    assert_non_null(strstr(d.msg, "FunctionCallIdentifier"));
    rsp_buf_free(&b);
    ((rsp_es_key_req *)m.body)->hdr.function_call_id = strdup("f");
    out = enc(&m);
    assert_non_null(strstr(out, "<ECCKeyLength>256</ECCKeyLength><ScenarioParameter>0A</ScenarioParameter>"));
    free(out);
    rsp_es_msg_free(&m);
    expect_err(KS("0A"), RSP_ERR_FORMAT, "'ScenarioParameter': '0A' is not an xs:byte (decimal)");
    expect_err(KS("200"), RSP_ERR_FORMAT, "not an xs:byte");
#undef KS
}

/* 9: EnableISDP, PrepareSMSRChangeRequest, and names written exactly as njiwa matches them. */
static void test_operation_names(void **state)
{
    (void)state;
    const rsp_es_func *f;
    bool resp;
    assert_int_equal(rsp_es_action_parse("http://gsma.com/ES3/ProfileManagentCallBack/ES3-EnableISDP", &f, &resp, NULL),
                     RSP_OK);
    assert_string_equal(f->name, "EnableProfile");
    assert_true(resp);
    assert_int_equal(
        rsp_es_action_parse("http://gsma.com/ES7/eUICCManagementCallBack/ES7- CreateAdditionalKeySet", &f, &resp, NULL),
        RSP_OK);
    assert_string_equal(f->name, "CreateAdditionalKeySet");
    assert_true(resp);
    assert_int_equal(
        rsp_es_action_parse("http://namespaces.gsma.org/esim-messaging/1/ES4/PrepareSMSRChangeRequestResponse", &f,
                            &resp, NULL),
        RSP_OK);
    assert_string_equal(f->name, "PrepareSMSRChange");
    assert_true(resp);
    const char *xml = S11 WSAM("relatesTo", "m-9") WSAM("Action",
                                                        "http://gsma.com/ES3/ProfileManagentCallBack/ES3-EnableISDP")
        BODY(ES("EnableISDPResponse") "<AcceptableValidityPeriod>0</AcceptableValidityPeriod><FunctionExecutionStatus>"
                                      "<Status>EXECUTED_SUCCESS</Status></"
                                      "FunctionExecutionStatus><EuiccResponseData>9000</EuiccResponseData>"
                                      "</ns2:EnableISDPResponse>");
    rsp_es_msg m;
    rsp_diag d;
    if (dec(xml, NULL, &m, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    assert_int_equal(m.func->iface, RSP_ES3);
    assert_true(m.response);
    assert_false(m.in_http_response);
    assert_string_equal(m.wsa.relates_to, "m-9");
    char *out = enc(&m);
    assert_non_null(strstr(out, "<wsam:relatesTo>m-9</wsam:relatesTo>"));
    assert_non_null(strstr(out, "<es:EnableISDPResponse>"));
    free(out);
    rsp_es_msg_free(&m);
    /* requests we send to njiwa: its operation names and part spellings */
    const rsp_es_func *pf = rsp_es_func_find(RSP_ES4, "PrepareSMSRChange", 17);
    assert_int_equal(rsp_es_msg_init(&m, pf, false), RSP_OK);
    m.dialect = RSP_ES_DIALECT_NJIWA;
    rsp_es_smsr_change_req *pr = m.body;
    pr->hdr.function_call_id = strdup("f");
    pr->eid = strdup(EID);
    pr->current_smsr_id = strdup("SR-OLD");
    out = enc(&m);
    assert_non_null(
        strstr(out, "<wsam:Action>http://gsma.com/ES4/eUICCManagement/ES4-PrepareSMSRChange</wsam:Action>"));
    assert_non_null(strstr(out,
                           "<es:PrepareSMSRChangeRequest><FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>" EID
                           "</Eid><CurrentSMSRid>SR-OLD</CurrentSMSRid></es:PrepareSMSRChangeRequest>"));
    free(out);
    rsp_es_msg_free(&m);
    const rsp_es_func *cf = rsp_es_func_find(RSP_ES3, "CreateISDP", 10);
    assert_int_equal(rsp_es_msg_init(&m, cf, false), RSP_OK);
    m.dialect = RSP_ES_DIALECT_NJIWA;
    rsp_es_download_req *cr = m.body;
    cr->hdr.function_call_id = strdup("f");
    cr->eid = strdup(EID);
    cr->iccid = strdup("8988211000000000017");
    cr->mno_id = strdup("MNO-1");
    cr->required_memory = 4096;
    out = enc(&m);
    assert_non_null(strstr(out, "<Mno-id>MNO-1</Mno-id><RequiredMemory>4096</RequiredMemory>"));
    free(out);
    rsp_es_msg_free(&m);
}

/* Bad input: unknown header, unexpected wrapper, a second body element, mixed WS-A namespaces. */
static void test_refusals(void **state)
{
    (void)state;
    expect_err(
        S11
        "<Security xmlns=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\"/>" BODY(
            ES("EnableProfile") "</ns2:EnableProfile>"),
        RSP_ERR_UNSUPPORTED, "unknown header element");
    expect_err(S11 WSAM("FaultTo", "x") BODY(ES("EnableProfile") "</ns2:EnableProfile>"), RSP_ERR_UNSUPPORTED,
               "(at Header/FaultTo)");
    expect_err(S11 "<ReplyTo xmlns=\"http://www.w3.org/2007/05/addressing/metadata\"><Address>http://a</Address>"
                   "<ReferenceParameters>session-7</ReferenceParameters></ReplyTo>" BODY(
                       ES("EnableProfile") "</ns2:EnableProfile>"),
               RSP_ERR_UNSUPPORTED, "(at Header/ReplyTo/ReferenceParameters)");
    expect_err(S11 WSAM("Action", "a") "<Action xmlns=\"http://www.w3.org/2005/08/addressing\">a</Action>" BODY(
                   ES("EnableProfile") "</ns2:EnableProfile>"),
               RSP_ERR_FORMAT, "mixes WS-Addressing namespaces");
    /* <return> around a request, or in the gsma dialect, is a wrapper we do not expect */
    expect_err(S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile")
                   BODY(ES("EnableProfile") "<return><Eid>1</Eid></return></ns2:EnableProfile>"),
               RSP_ERR_TAG, "element 'return' is not part of ProfileRequest (at Body/EnableProfile/return)");
    expect_err("<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\"><e:Header>"
               "<a:Action xmlns:a=\"http://www.w3.org/2005/08/addressing\">http://gsma.com/ES4/ProfileManagentCallBack/"
               "ES4-EnableProfile</a:Action></e:Header><e:Body><EnableProfileResponse><return/></EnableProfileResponse>"
               "</e:Body></e:Envelope>",
               RSP_ERR_TAG, "(at Body/EnableProfileResponse/return)");
    expect_err(
        S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-UpdatePolicyRules") BODY(ES(
            "UpdatePolicyRules") "<FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>1</Eid>"
                                 "<Iccid>2</Iccid><pol2>stray<rules><Subject>PROFILE</Subject><Action>ENABLE</Action>"
                                 "<Qualification>Not-Allowed</Qualification></rules></pol2></ns2:UpdatePolicyRules>"),
        RSP_ERR_FORMAT, "text 'stray' where Pol2 holds only elements (at Body/UpdatePolicyRules/pol2)");
    expect_err(S11 WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile")
                   BODY(ES("EnableProfile") "</ns2:EnableProfile><x/>"),
               RSP_ERR_TAG, "second element 'x'");
}

/* 1: the endpoint answers a SOAP 1.1 njiwa request in its dialect, with the result in <return>. */
typedef struct out {
    int status;
    char ctype[80];
    rsp_buf body;
} out;

static void respond(void *rctx, const rsp_es_http_out *o)
{
    out *x = rctx;
    x->status = o->status;
    snprintf(x->ctype, sizeof(x->ctype), "%s", o->content_type ? o->content_type : "");
    rsp_buf_set(&x->body, o->body, o->body_len);
    rsp_buf_append_byte(&x->body, 0);
}

static rsp_err on_enable(void *hctx, rsp_es_call *c)
{
    (void)hctx;
    rsp_es_data_resp *res = rsp_es_call_response(c);
    rsp_buf_set(&res->euicc_response_data, "\x90\x00", 2);
    return rsp_es_call_complete(c);
}

static rsp_err on_result(void *hctx, rsp_es_call *c)
{
    ++*(int *)hctx;
    assert_true(rsp_es_call_msg(c)->response);
    return rsp_es_call_complete(c);
}

static rsp_err no_send(void *sctx, const char *url, const char *ct, const char *action, const uint8_t *b, size_t n)
{
    (void)url, (void)ct, (void)action, (void)b, (void)n;
    ++*(int *)sctx;
    return RSP_OK;
}

static void test_endpoint_answers_in_kind(void **state)
{
    (void)state;
    int sends = 0;
    rsp_es_handler h[] = {{RSP_ES4, "EnableProfile", false, on_enable, NULL}};
    rsp_es_endpoint_cfg cfg = {h, 1, no_send, &sends, "http://smsr.example/es4", {0, 0}};
    rsp_es_endpoint *ep;
    assert_int_equal(rsp_es_endpoint_new(&cfg, &ep), RSP_OK);
    const char *xml = S11
        "<From xmlns=\"http://www.w3.org/2007/05/addressing/metadata\"><Address>http://op</Address></From>"
        "<ReplyTo "
        "xmlns=\"http://www.w3.org/2007/05/addressing/metadata\"><Address>http://op/cb</Address></ReplyTo>" WSAM(
            "MessageID", "njiwa-1") WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile")
            BODY(ES(
                "EnableProfile") "<FunctionCallIdentifier>f</FunctionCallIdentifier><ValidityPeriod>60</ValidityPeriod>"
                                 "<Eid>" EID "</Eid><Iccid>8988211000000000017</Iccid></ns2:EnableProfile>");
    rsp_es_http_in in = {"/es4",
                         "text/xml; charset=utf-8",
                         "\"http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile\"",
                         NULL,
                         NULL,
                         (const uint8_t *)xml,
                         strlen(xml)};
    out o = {0};
    assert_int_equal(rsp_es_endpoint_handle(ep, &in, respond, &o), RSP_OK);
    assert_int_equal(o.status, 200);
    assert_string_equal(o.ctype, RSP_ES_SOAP11_CTYPE);
    assert_int_equal(sends, 0); /* njiwa reads the result from the HTTP answer */
    const char *b = (const char *)o.body.data;
    assert_non_null(strstr(b, "http://schemas.xmlsoap.org/soap/envelope/"));
    assert_non_null(strstr(b, "<wsam:Action>http://namespaces.gsma.org/esim-messaging/1/ES4/EnableProfileResponse"));
    assert_non_null(strstr(b, "<wsam:RelatesTo>njiwa-1</wsam:RelatesTo>"));
    assert_non_null(strstr(b, "<es:EnableProfileResponse><return>"));
    assert_non_null(strstr(b, "<EuiccResponseData>9000</EuiccResponseData></return>"));
    /* SOAP 1.1 with standard WS-A (the gsma dialect): the answer stays SOAP 1.1, with 2005/08 headers */
    const char *g11 = S11
        "<a:MessageID xmlns:a=\"http://www.w3.org/2005/08/addressing\">g-1</a:MessageID>"
        "<a:Action "
        "xmlns:a=\"http://www.w3.org/2005/08/addressing\">http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile"
        "</a:Action>" BODY(ES("EnableProfile") "<FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>" EID "</Eid>"
                                               "<Iccid>8988211000000000017</Iccid></ns2:EnableProfile>");
    in.body = (const uint8_t *)g11;
    in.body_len = strlen(g11);
    rsp_buf_free(&o.body);
    assert_int_equal(rsp_es_endpoint_handle(ep, &in, respond, &o), RSP_OK);
    assert_int_equal(o.status, 200); /* no ReplyTo: the result in the HTTP answer */
    assert_string_equal(o.ctype, RSP_ES_SOAP11_CTYPE);
    b = (const char *)o.body.data;
    assert_non_null(strstr(b, "xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\""));
    assert_non_null(strstr(b, "<wsa:RelatesTo>g-1</wsa:RelatesTo>"));
    assert_non_null(strstr(b, "<es:EnableProfileResponse><ProcessingStart>"));
    /* a njiwa request that fails validation: the Failed status, still in its form */
    const char *badx =
        S11 WSAM("MessageID", "njiwa-2") WSAM("Action", "http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile")
            BODY(ES("EnableProfile") "<FunctionCallIdentifier>f</FunctionCallIdentifier><Eid>" EID
                                     "</Eid></ns2:EnableProfile>");
    in.body = (const uint8_t *)badx;
    in.body_len = strlen(badx);
    rsp_buf_free(&o.body);
    assert_int_not_equal(rsp_es_endpoint_handle(ep, &in, respond, &o), RSP_OK);
    assert_int_equal(o.status, 200);
    b = (const char *)o.body.data;
    assert_non_null(strstr(b, "<return>"));
    assert_non_null(strstr(b, "<Status>FAILED</Status><StatusCodeData><Subject>8.2.1</Subject><Reason>2.2</Reason>"));
    rsp_buf_free(&o.body);
    assert_int_equal(rsp_es_endpoint_pending(ep), 0);
    rsp_es_endpoint_free(ep);

    /* njiwa's SM-SR calling back our SM-DP (ES3Resp EnableISDP): its client waits for the operation's answer */
    int results = 0;
    rsp_es_handler h3[] = {{RSP_ES3, "EnableProfile", true, on_result, &results}};
    rsp_es_endpoint_cfg cfg3 = {h3, 1, no_send, &sends, NULL, {0, 0}};
    assert_int_equal(rsp_es_endpoint_new(&cfg3, &ep), RSP_OK);
    const char *cb = S11 WSAM("relatesTo", "m-9") WSAM("Action",
                                                       "http://gsma.com/ES3/ProfileManagentCallBack/ES3-EnableISDP")
        BODY(ES("EnableISDPResponse") "<AcceptableValidityPeriod>0</AcceptableValidityPeriod><FunctionExecutionStatus>"
                                      "<Status>EXECUTED_SUCCESS</Status></FunctionExecutionStatus></"
                                      "ns2:EnableISDPResponse>");
    rsp_es_http_in in3 = {"/es3", "text/xml", NULL, NULL, NULL, (const uint8_t *)cb, strlen(cb)};
    out o3 = {0};
    assert_int_equal(rsp_es_endpoint_handle(ep, &in3, respond, &o3), RSP_OK);
    assert_int_equal(results, 1);
    assert_int_equal(o3.status, 200);
    assert_non_null(strstr((const char *)o3.body.data,
                           "<wsam:Action>http://namespaces.gsma.org/esim-messaging/1/ES3/EnableISDPResponseResponse"));
    assert_non_null(strstr((const char *)o3.body.data, "<es:EnableISDPResponseResponse><return>OK</return>"));
    rsp_buf_free(&o3.body);
    rsp_es_endpoint_free(ep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_pol2_and_headers),
        cmocka_unit_test(test_return_and_status),
        cmocka_unit_test(test_iccid_items),
        cmocka_unit_test(test_es7_forms),
        cmocka_unit_test(test_operation_names),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_endpoint_answers_in_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
