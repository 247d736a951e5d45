/* ES9+ JSON codec and activation codes (include/rsp/es9p.h). Outside facts: the real BPP of
 * VECTORS.txt §D (pysim's test_esim_bsp.py, card-proven) travels as ES9+ boundProfilePackage base64
 * byte for byte, and pysim's activation code strings (tests/unittests/test_esim.py, copied below as
 * the strings they are) parse and print back unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/es9p.h"
#include "rsp/tlv.h"

/* The bpp_b64 line of VECTORS §D, as it is in the shared file. */
static char *vector_bpp_b64(void)
{
    const char *v = tu_vectors();
    const char *sec = strstr(v, "## D. SGP.22 BSP");
    assert_non_null(sec);
    const char *p = strstr(sec, "bpp_b64 = ");
    assert_non_null(p);
    p += strlen("bpp_b64 = ");
    size_t n = strcspn(p, " \r\n");
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static void test_bpp_vector(void **state)
{
    (void)state;
    char *b64 = vector_bpp_b64();
    char body[64 * 1024];
    snprintf(body, sizeof(body),
             "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},"
             "\"transactionId\":\"DF9C0EF4041A47EE9BFDCF0AB10770ED\",\"boundProfilePackage\":\"%s\"}",
             b64);
    rsp_es9p_msg m;
    rsp_diag d = {0};
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, true, (const uint8_t *)body, strlen(body),
                                     &m, &d),
                     RSP_OK);
    assert_int_equal(m.header.status, RSP_ES9P_SUCCESS);
    /* VECTORS §D: BF36{BF23, A0{87..}, A1{88..}, A3{86 x13}} */
    rsp_tlv t, c;
    assert_int_equal(rsp_tlv_expect(m.bound_profile_package.data, m.bound_profile_package.len, 0xBF36, &t, NULL),
                     RSP_OK);
    uint32_t want[] = {0xBF23, 0xA0, 0xA1, 0xA3};
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, t.value, t.len, 0);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(rsp_tlv_next(&r, &c), RSP_OK);
        assert_int_equal(c.tag, want[i]);
    }
    size_t n86 = 0;
    rsp_tlv_reader r3;
    rsp_tlv_reader_init(&r3, c.value, c.len, 0);
    rsp_tlv x;
    while (rsp_tlv_next(&r3, &x) == RSP_OK) {
        assert_int_equal(x.tag, 0x86);
        n86++;
    }
    assert_int_equal(n86, 13);
    /* the BF23's transactionId (80) is the vector's; the JSON one above was chosen equal to it */
    rsp_tlv_reader_init(&r, t.value, t.len, 0);
    assert_int_equal(rsp_tlv_next(&r, &c), RSP_OK);
    assert_int_equal(rsp_tlv_find(c.value, c.len, 0x80, &x), RSP_OK);
    tu_assert_hex(x.value, x.len, "DF9C0EF4041A47EE9BFDCF0AB10770ED");
    /* and back: the same base64 text, byte for byte */
    rsp_buf js = RSP_BUF_INIT;
    assert_int_equal(rsp_es9p_encode(&m, &js, &d), RSP_OK);
    assert_int_equal(js.len, strlen(body));
    assert_memory_equal(js.data, body, js.len);
    rsp_buf_free(&js);
    rsp_es9p_msg_free(&m);
    free(b64);
}

/* Each function, both directions: encode, decode, encode again gives the same bytes. */
static void fill_tlv(rsp_buf *b, uint32_t tag, size_t n)
{
    rsp_buf v = RSP_BUF_INIT;
    for (size_t i = 0; i < n; i++)
        rsp_buf_append_byte(&v, (uint8_t)(i * 7 + tag));
    rsp_buf_reset(b);
    assert_int_equal(rsp_tlv_put(b, tag, v.data, v.len), RSP_OK);
    rsp_buf_free(&v);
}

static bool contains(const rsp_buf *b, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= b->len; i++)
        if (memcmp(b->data + i, needle, n) == 0)
            return true;
    return false;
}

static void roundtrip(const rsp_es9p_msg *m, const char *needle)
{
    rsp_buf a = RSP_BUF_INIT, b = RSP_BUF_INIT;
    rsp_diag d = {0};
    assert_int_equal(rsp_es9p_encode(m, &a, &d), RSP_OK);
    if (needle && !contains(&a, needle))
        fail_msg("'%s' not in %.*s", needle, (int)a.len, a.data);
    rsp_es9p_msg back;
    if (rsp_es9p_decode(m->func, m->response, a.data, a.len, &back, &d) != RSP_OK)
        fail_msg("%s: %s in %.*s", rsp_es9p_func_name(m->func), d.msg, (int)a.len, a.data);
    assert_int_equal(rsp_es9p_encode(&back, &b, &d), RSP_OK);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    rsp_es9p_msg_free(&back);
    rsp_buf_free(&a);
    rsp_buf_free(&b);
}

static void test_all_functions(void **state)
{
    (void)state;
    rsp_es9p_msg m;
    rsp_es9p_msg_init(&m, RSP_ES9P_INITIATE_AUTHENTICATION, false);
    for (int i = 0; i < 16; i++)
        rsp_buf_append_byte(&m.euicc_challenge, (uint8_t)i);
    fill_tlv(&m.euicc_info1, 0xBF20, 40);
    strcpy(m.smdp_address, "smdp.example.com:8443");
    roundtrip(&m, "\"euiccChallenge\":\"AAECAwQFBgcICQoLDA0ODw==\"");
    rsp_es9p_msg_free(&m);

    rsp_es9p_msg_init(&m, RSP_ES9P_INITIATE_AUTHENTICATION, true);
    strcpy(m.transaction_id, "0123456789ABCDEF0123456789ABCDEF");
    fill_tlv(&m.server_signed1, 0x30, 60);
    fill_tlv(&m.server_signature1, 0x5F37, 64);
    fill_tlv(&m.euicc_ci_pkid, 0x04, 20);
    fill_tlv(&m.server_certificate, 0x30, 300);
    roundtrip(&m, "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}},\"transactionId\"");
    rsp_es9p_msg_free(&m);

    rsp_es9p_msg_init(&m, RSP_ES9P_AUTHENTICATE_CLIENT, false);
    strcpy(m.transaction_id, "AB");
    fill_tlv(&m.authenticate_server_response, 0xBF38, 900);
    roundtrip(&m, "\"authenticateServerResponse\":\"vziCA4Q");
    rsp_es9p_msg_free(&m);

    rsp_es9p_msg_init(&m, RSP_ES9P_AUTHENTICATE_CLIENT, true);
    strcpy(m.transaction_id, "AB");
    fill_tlv(&m.profile_metadata, 0xBF25, 30);
    fill_tlv(&m.smdp_signed2, 0x30, 25);
    fill_tlv(&m.smdp_signature2, 0x5F37, 64);
    fill_tlv(&m.smdp_certificate, 0x30, 250);
    roundtrip(&m, "\"profileMetadata\"");
    rsp_es9p_msg_free(&m);

    rsp_es9p_msg_init(&m, RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, false);
    strcpy(m.transaction_id, "ab01");
    fill_tlv(&m.prepare_download_response, 0xBF21, 120);
    roundtrip(&m, "\"transactionId\":\"ab01\"");
    rsp_es9p_msg_free(&m);

    rsp_es9p_msg_init(&m, RSP_ES9P_HANDLE_NOTIFICATION, false);
    fill_tlv(&m.pending_notification, 0x30, 400);
    roundtrip(&m, "pendingNotification");
    fill_tlv(&m.pending_notification, 0xBF37, 400);
    roundtrip(&m, "pendingNotification");
    rsp_es9p_msg_free(&m);

    rsp_es9p_msg_init(&m, RSP_ES9P_CANCEL_SESSION, false);
    strcpy(m.transaction_id, "AB");
    fill_tlv(&m.cancel_session_response, 0xBF41, 90);
    roundtrip(&m, "cancelSessionResponse");
    rsp_es9p_msg_free(&m);

    /* answers without payload: cancelSession (header only), handleNotification (204, no body) */
    rsp_es9p_msg_init(&m, RSP_ES9P_CANCEL_SESSION, true);
    roundtrip(&m, "Executed-Success");
    rsp_buf b = RSP_BUF_INIT;
    rsp_es9p_msg_init(&m, RSP_ES9P_HANDLE_NOTIFICATION, true);
    assert_int_equal(rsp_es9p_encode(&m, &b, NULL), RSP_OK);
    assert_int_equal(b.len, 0);
    rsp_es9p_msg back;
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_HANDLE_NOTIFICATION, true, NULL, 0, &back, NULL), RSP_OK);
    assert_int_equal(back.header.status, RSP_ES9P_SUCCESS);
    rsp_buf_free(&b);
}

static void test_failed_answer(void **state)
{
    (void)state;
    rsp_es9p_msg m;
    rsp_es9p_msg_init(&m, RSP_ES9P_AUTHENTICATE_CLIENT, true);
    fill_tlv(&m.profile_metadata, 0xBF25, 30); /* left out: the answer failed */
    rsp_es9p_set_failed(&m, "8.2.6", "3.8", "matchingId refused");
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_es9p_encode(&m, &b, NULL), RSP_OK);
    rsp_buf_append_byte(&b, 0);
    assert_string_equal((const char *)b.data,
                        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\",\"statusCodeData\":{"
                        "\"subjectCode\":\"8.2.6\",\"reasonCode\":\"3.8\",\"message\":\"matchingId refused\"}}}}");
    rsp_es9p_msg back;
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_AUTHENTICATE_CLIENT, true, b.data, b.len - 1, &back, NULL), RSP_OK);
    assert_int_equal(back.header.status, RSP_ES9P_FAILED);
    assert_string_equal(back.header.subject_code, "8.2.6");
    assert_string_equal(back.header.reason_code, "3.8");
    assert_int_equal(back.profile_metadata.len, 0);
    rsp_es9p_msg_free(&back);
    rsp_es9p_msg_free(&m);
    /* a failed handleNotification has a body */
    rsp_es9p_msg_init(&m, RSP_ES9P_HANDLE_NOTIFICATION, true);
    rsp_es9p_set_failed(&m, "8.1", "6.1", NULL);
    rsp_buf_reset(&b);
    assert_int_equal(rsp_es9p_encode(&m, &b, NULL), RSP_OK);
    assert_true(b.len > 0);
    rsp_buf_free(&b);
}

static void expect_req(rsp_es9p_func f, const char *js, rsp_err want, const char *needle)
{
    rsp_es9p_msg m;
    rsp_diag d = {0};
    rsp_err e = rsp_es9p_decode(f, false, (const uint8_t *)js, strlen(js), &m, &d);
    if (e != want || !strstr(d.msg, needle))
        fail_msg("%s: got %s '%s', want %s with '%s'", js, rsp_err_name(e), d.msg, rsp_err_name(want), needle);
    /* a failed decode leaves nothing behind */
    if (e != RSP_OK)
        assert_int_equal(m.euicc_info1.len + m.euicc_challenge.len + m.transaction_id[0], 0);
    rsp_es9p_msg_free(&m);
}

static void test_malformed(void **state)
{
    (void)state;
    const rsp_es9p_func IA = RSP_ES9P_INITIATE_AUTHENTICATION, AC = RSP_ES9P_AUTHENTICATE_CLIENT;
    /* BF20 00 = vyAA; 16 zero bytes = AAAAAAAAAAAAAAAAAAAAAA== */
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"a\"}",
               RSP_OK, "");
    expect_req(IA, "{\"euiccChallenge\":\"AAAA AAAAAAAAAAAA\\nAAAAAA==\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"a\","
                   "\"header\":{},\"extra\":1}",
               RSP_OK, "");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyAA\"}", RSP_ERR_FORMAT,
               "no smdpAddress");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAA\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"a\"}",
               RSP_ERR_LENGTH, "euiccChallenge: 15 bytes");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA=\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"a\"}",
               RSP_ERR_FORMAT, "padding missing");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAB==\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"a\"}",
               RSP_ERR_FORMAT, "non-zero bits");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyA*\",\"smdpAddress\":\"a\"}",
               RSP_ERR_FORMAT, "not in the alphabet");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyEA\",\"smdpAddress\":\"a\"}",
               RSP_ERR_TAG, "euiccInfo1: tag BF21");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyAAAA==\",\"smdpAddress\":\"a\"}",
               RSP_ERR_LENGTH, "after the TLV");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyCBAQA=\",\"smdpAddress\":\"a\"}",
               RSP_ERR_LENGTH, "euiccInfo1: not one DER TLV");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"\"}",
               RSP_ERR_FORMAT, "smdpAddress");
    expect_req(IA, "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"a\\u0000b\"}",
               RSP_ERR_FORMAT, "NUL");
    expect_req(IA, "{\"euiccChallenge\":1,\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"a\"}", RSP_ERR_FORMAT,
               "not a string");
    expect_req(IA, "{\"smdpAddress\":\"a\",\"smdpAddress\":\"b\"}", RSP_ERR_FORMAT, "duplicate");
    expect_req(IA, "[1]", RSP_ERR_FORMAT, "not an object");
    expect_req(IA, "{\"euiccChallenge\":", RSP_ERR_FORMAT, "JSON");
    expect_req(IA, "", RSP_ERR_FORMAT, "JSON");
    expect_req(AC, "{\"transactionId\":\"ABC\",\"authenticateServerResponse\":\"vzgA\"}", RSP_ERR_FORMAT, "even");
    expect_req(AC, "{\"transactionId\":\"XY\",\"authenticateServerResponse\":\"vzgA\"}", RSP_ERR_FORMAT, "hex digit");
    expect_req(AC, "{\"transactionId\":\"00112233445566778899AABBCCDDEEFF00\",\"authenticateServerResponse\":\"vzgA\"}",
               RSP_ERR_FORMAT, "2..32");
    expect_req(AC, "{\"transactionId\":\"AB\",\"authenticateServerResponse\":\"\"}", RSP_ERR_FORMAT, "empty");
    /* answers: header mandatory, status known, codes present */
    rsp_es9p_msg m;
    rsp_diag d = {0};
    const char *bad[] = {
        "{\"transactionId\":\"AB\"}",
        "{\"header\":{}}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Done\"}}}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Failed\",\"statusCodeData\":{\"subjectCode\":\"8\"}}}}",
        "{\"header\":{\"functionExecutionStatus\":{\"status\":\"Executed-Success\"}}}", /* payload missing */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(rsp_es9p_decode(RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, true, (const uint8_t *)bad[i],
                                         strlen(bad[i]), &m, &d),
                         RSP_ERR_FORMAT);
        rsp_es9p_msg_free(&m);
    }
    /* encoding refuses what decoding would refuse */
    rsp_es9p_msg_init(&m, RSP_ES9P_AUTHENTICATE_CLIENT, false);
    strcpy(m.transaction_id, "AB");
    fill_tlv(&m.authenticate_server_response, 0xBF21, 3);
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_es9p_encode(&m, &b, &d), RSP_ERR_INVAL);
    rsp_es9p_msg_free(&m);
    rsp_buf_free(&b);
}

static void test_paths_and_tid(void **state)
{
    (void)state;
    rsp_es9p_func f;
    for (int i = 0; i < RSP_ES9P_FUNC_N; i++) {
        assert_int_equal(rsp_es9p_path_parse(rsp_es9p_path((rsp_es9p_func)i), &f, NULL), RSP_OK);
        assert_int_equal(f, i);
    }
    assert_int_equal(rsp_es9p_path_parse("/gsma/rsp2/es9plus/cancelSession?x", &f, NULL), RSP_OK);
    assert_int_equal(f, RSP_ES9P_CANCEL_SESSION);
    assert_int_equal(rsp_es9p_path_parse("/gsma/rsp2/es9plus/cancelSessionX", &f, NULL), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_es9p_path_parse("/gsma/rsp2/es2plus/downloadOrder", &f, NULL), RSP_ERR_NOT_FOUND);
    uint8_t tid[16] = {0xDF, 0x9C, 0x0E}, back[16];
    char hex[33];
    size_t n;
    assert_int_equal(rsp_es9p_tid_to_hex(tid, 3, hex), RSP_OK);
    assert_string_equal(hex, "DF9C0E");
    assert_int_equal(rsp_es9p_tid_from_hex("df9c0e", back, &n, NULL), RSP_OK);
    assert_int_equal(n, 3);
    assert_memory_equal(back, tid, 3);
    assert_int_equal(rsp_es9p_tid_to_hex(tid, 17, hex), RSP_ERR_INVAL);
}

static void test_activation_codes(void **state)
{
    (void)state;
    /* pysim tests/unittests/test_esim.py TestActivationCode (there without the "LPA:" prefix) */
    static const char *const pysim[] = {
        "1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815",
        "1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$$1",
        "1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1",
        "1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746",
        "1$SMDP.GSMA.COM$$1.3.6.1.4.1.31746",
    };
    for (size_t i = 0; i < sizeof(pysim) / sizeof(pysim[0]); i++) {
        rsp_es9p_ac ac;
        rsp_diag d = {0};
        if (rsp_es9p_ac_parse(pysim[i], strlen(pysim[i]), &ac, &d) != RSP_OK)
            fail_msg("%s: %s", pysim[i], d.msg);
        char out[600], want[600];
        assert_int_equal(rsp_es9p_ac_print(&ac, out, sizeof(out)), RSP_OK);
        snprintf(want, sizeof(want), "LPA:%s", pysim[i]);
        assert_string_equal(out, want);
        assert_string_equal(ac.address, "SMDP.GSMA.COM");
        /* with the prefix too */
        assert_int_equal(rsp_es9p_ac_parse(want, strlen(want), &ac, NULL), RSP_OK);
    }
    rsp_es9p_ac ac;
    assert_int_equal(rsp_es9p_ac_parse("LPA:1$127.0.0.1:8443$MID-1$$1", 29, &ac, NULL), RSP_OK);
    assert_string_equal(ac.address, "127.0.0.1:8443");
    assert_string_equal(ac.matching_id, "MID-1");
    assert_string_equal(ac.oid, "");
    assert_true(ac.cc_required);
    const char *bad[] = {"", "LPA:", "LPA:1$a", "LPA:2$a$b", "LPA:1$$b", "LPA:1$a$b$1..2", "LPA:1$a$b$x",
                         "LPA:1$a$b$$0", "LPA:1$a$b$$1$", "LPA:1$a b$c", "LPA:1$a$b\n", "LPA:1$a$b$.1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rsp_diag d = {0};
        if (rsp_es9p_ac_parse(bad[i], strlen(bad[i]), &ac, &d) == RSP_OK)
            fail_msg("'%s' accepted", bad[i]);
        assert_true(d.msg[0] != '\0');
    }
    char small[8];
    assert_int_equal(rsp_es9p_ac_parse("1$a$b", 5, &ac, NULL), RSP_OK);
    assert_int_equal(rsp_es9p_ac_print(&ac, small, sizeof(small)), RSP_ERR_OVERFLOW);
    strcpy(ac.matching_id, "a$b");
    assert_int_equal(rsp_es9p_ac_print(&ac, small, sizeof(small)), RSP_ERR_INVAL);
    assert_true(rsp_es9p_matching_id_ok("AB-12-cd"));
    assert_false(rsp_es9p_matching_id_ok("AB_12"));
    assert_false(rsp_es9p_matching_id_ok(""));
}

/* Base64 values are spliced into the text after jansson (lib/es/es9p.c): a text field that spells the
 * placeholder's escape ("\\u0001" + a digit, as typed by a client) stays text, and the base64 fields
 * land at their own keys, each exactly once. */
static void test_splice_placeholder(void **state)
{
    (void)state;
    rsp_es9p_msg m, back;
    rsp_es9p_msg_init(&m, RSP_ES9P_INITIATE_AUTHENTICATION, false);
    for (int i = 0; i < 16; i++)
        rsp_buf_append_byte(&m.euicc_challenge, (uint8_t)(0xF0 + i));
    fill_tlv(&m.euicc_info1, 0xBF20, 40);
    strcpy(m.smdp_address, "\\u00010");
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_es9p_encode(&m, &b, NULL), RSP_OK);
    assert_int_equal(rsp_buf_append_byte(&b, 0), RSP_OK);
    const char *txt = (const char *)b.data;
    assert_non_null(strstr(txt, "\"smdpAddress\":\"\\\\u00010\""));
    assert_non_null(strstr(txt, "\"euiccChallenge\":\"8PHy8/T19vf4+fr7/P3+/w==\""));
    assert_null(strstr(txt, "u0001\""));
    rsp_diag d = {0};
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_INITIATE_AUTHENTICATION, false, b.data, b.len - 1, &back, &d), RSP_OK);
    assert_string_equal(back.smdp_address, m.smdp_address);
    assert_int_equal(back.euicc_info1.len, m.euicc_info1.len);
    assert_memory_equal(back.euicc_info1.data, m.euicc_info1.data, m.euicc_info1.len);
    assert_memory_equal(back.euicc_challenge.data, m.euicc_challenge.data, 16);
    rsp_es9p_msg_free(&back);
    rsp_es9p_msg_free(&m);
    rsp_buf_free(&b);
    /* a header string that spells a placeholder goes out with its control character as '?' */
    rsp_es9p_msg_init(&m, RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, true);
    strcpy(m.transaction_id, "0123456789ABCDEF0123456789ABCDEF");
    strcpy(m.header.subject_code, "8.1");
    strcpy(m.header.reason_code, "1");
    strcpy(m.header.message, "\x01" "0");
    fill_tlv(&m.bound_profile_package, 0xBF36, 3000);
    assert_int_equal(rsp_es9p_encode(&m, &b, NULL), RSP_OK);
    assert_int_equal(rsp_buf_append_byte(&b, 0), RSP_OK);
    assert_non_null(strstr((const char *)b.data, "\"message\":\"?0\""));
    assert_int_equal(rsp_es9p_decode(RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, true, b.data, b.len - 1, &back, &d), RSP_OK);
    assert_int_equal(back.bound_profile_package.len, m.bound_profile_package.len);
    assert_memory_equal(back.bound_profile_package.data, m.bound_profile_package.data, m.bound_profile_package.len);
    rsp_es9p_msg_free(&back);
    rsp_es9p_msg_free(&m);
    rsp_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpp_vector),      cmocka_unit_test(test_all_functions),
        cmocka_unit_test(test_failed_answer),   cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_paths_and_tid),   cmocka_unit_test(test_activation_codes),
        cmocka_unit_test(test_splice_placeholder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
