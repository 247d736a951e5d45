/* njiwa's EIS and its XML-DSig EumSignature: the golden EIS in njiwa's form (what has no form there is
 * refused by name until moved to njiwa's shape), signed, verified, decoded and re-encoded with the
 * signature kept whole, and refused after tampering (a value, the signature, another key, an algorithm
 * we do not implement, the signature's base64 re-spelled). One fact from outside: Python's C14N and python3-cryptography's ECDSA accept
 * our signature (tests/es/dsig_check.py; skipped if that library is absent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/crypto.h"
#include "rsp/es.h"

static void load_golden_eis(rsp_es_msg *m)
{
    char path[512];
    rsp_buf x = RSP_BUF_INIT;
    snprintf(path, sizeof(path), "%s/tests/golden/es/es1_register_eis.xml", RSP_SOURCE_DIR);
    tu_read_file(path, &x);
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es_soap_decode(x.data, x.len, NULL, NULL, m, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    rsp_buf_free(&x);
}

/* The golden (gsma) EIS as njiwa's EIS: its hex EumSignature and bare Certificate list have no form
 * there, so encoding refuses until they are moved to njiwa's shapes. */
static void to_njiwa(rsp_es_msg *m, rsp_buf *out)
{
    rsp_es_eis *eis = ((rsp_es_eis_req *)m->body)->eis;
    m->dialect = RSP_ES_DIALECT_NJIWA;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_soap_encode(m, out, &d), RSP_ERR_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "'EumSignature' of Eis has no form in dialect njiwa"));
    rsp_buf_free(&eis->eum_signature);
    rsp_buf_free(out);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_soap_encode(m, out, &d), RSP_ERR_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "'Certificate' of KeySet has no form in dialect njiwa"));
    rsp_buf_free(out);
    rsp_es_key_set *ks = eis->signed_info->ecasd->key_sets.v;
    rsp_es_certificate *ce = calloc(ks->certificates.n, sizeof(*ce));
    assert_non_null(ce);
    for (size_t i = 0; i < ks->certificates.n; i++) {
        ce[i].index = (int64_t)i + 1;
        ce[i].value = ((rsp_buf *)ks->certificates.v)[i]; /* moved */
    }
    free(ks->certificates.v);
    ks->certificates.v = NULL;
    ks->certificate_entries.v = ce;
    ks->certificate_entries.n = ks->certificates.n;
    ks->certificates.n = 0;
    rsp_diag_clear(&d);
    if (rsp_es_soap_encode(m, out, &d) != RSP_OK)
        fail_msg("%s", d.msg);
}

static rsp_err verify(const rsp_buf *b, const rsp_eckey *k, rsp_diag *d)
{
    rsp_diag_clear(d);
    return rsp_es_eis_dsig_verify(b->data, b->len, k, d);
}

/* replaces the first `from` in b by `to` (same length) */
static void tamper(rsp_buf *b, const char *from, const char *to)
{
    rsp_buf_append_byte(b, 0);
    char *p = strstr((char *)b->data, from);
    assert_non_null(p);
    memcpy(p, to, strlen(to));
    b->len--;
}

static void test_sign_verify_tamper(void **state)
{
    (void)state;
    rsp_es_msg m;
    load_golden_eis(&m);
    rsp_buf nj = RSP_BUF_INIT, signed_doc = RSP_BUF_INIT, again = RSP_BUF_INIT;
    to_njiwa(&m, &nj);
    assert_non_null(strstr((const char *)nj.data, "<keySets><Version>115</Version><Type>CA</Type><Cntr>0</Cntr>"
                                                  "<certificates><Index>1</Index><Value>7F2181B0</Value>"));
    assert_non_null(strstr((const char *)nj.data, "<keys><Index>1</Index><components type=\"88\" value=\"0011"));
    assert_non_null(strstr((const char *)nj.data, "<FreeMemoery>1200</FreeMemoery>"));
    rsp_eckey *k, *other;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &k), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &other), RSP_OK);
    rsp_diag d;
    rsp_diag_clear(&d);
    static const uint8_t cert[] = {0x30, 0x03, 0x02, 0x01, 0x01}; /* KeyInfo carries whatever DER it is given */
    if (rsp_es_eis_dsig_sign(nj.data, nj.len, k, cert, sizeof(cert), &signed_doc, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    assert_int_equal(verify(&signed_doc, k, &d), RSP_OK);
    assert_int_equal(verify(&signed_doc, other, &d), RSP_ERR_VERIFY);
    assert_non_null(strstr(d.msg, "SignatureValue does not verify"));

    /* decoded in njiwa's form, the ds:Signature is kept whole; re-encoded, it still verifies */
    rsp_es_msg back;
    rsp_diag_clear(&d);
    if (rsp_es_soap_decode(signed_doc.data, signed_doc.len, NULL, NULL, &back, &d) != RSP_OK)
        fail_msg("%s", d.msg);
    const rsp_es_eis *be = ((rsp_es_eis_req *)back.body)->eis;
    assert_non_null(be->eum_dsig);
    assert_non_null(strstr(be->eum_dsig, "<ds:SignatureValue>"));
    assert_non_null(strstr(be->eum_dsig, "<ds:X509Certificate>MAMCAQE=</ds:X509Certificate>"));
    assert_int_equal(rsp_es_soap_encode(&back, &again, NULL), RSP_OK);
    assert_int_equal(verify(&again, k, &d), RSP_OK);

    /* an outside check: Python's C14N and python3-cryptography */
    char dir[] = "/tmp/rsp-es-dsig-XXXXXX", doc[96], pem[96], cmd[512], *out = NULL;
    assert_non_null(mkdtemp(dir));
    snprintf(doc, sizeof(doc), "%s/signed.xml", dir);
    snprintf(pem, sizeof(pem), "%s/eum.pem", dir);
    FILE *f = fopen(doc, "wb");
    assert_non_null(f);
    fwrite(again.data, 1, again.len, f);
    fclose(f);
    assert_int_equal(rsp_ec_save_public_pem(k, pem), RSP_OK);
    snprintf(cmd, sizeof(cmd), "python3 '%s/tests/es/dsig_check.py' '%s' '%s'", RSP_SOURCE_DIR, doc, pem);
    int rc = tu_run(cmd, &out);
    if (rc != 0 && rc != 77)
        fail_msg("python's check refused our signature (%d): %s", rc, out);
    printf("outside check (python C14N + cryptography ECDSA): %s\n",
           rc == 77 ? "skipped, no python3-cryptography" : out);
    free(out);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    tu_run(cmd, &out);
    free(out);

    /* tampering */
    rsp_buf t = RSP_BUF_INIT;
    rsp_buf_set(&t, signed_doc.data, signed_doc.len);
    tamper(&t, "<PlatformVersion>1.0.0<", "<PlatformVersion>1.0.1<");
    assert_int_equal(verify(&t, k, &d), RSP_ERR_VERIFY);
    assert_non_null(strstr(d.msg, "DigestValue does not match the EumSignedInfo"));
    rsp_buf_set(&t, signed_doc.data, signed_doc.len);
    rsp_buf_append_byte(&t, 0);
    char *sv = strstr((char *)t.data, "<ds:SignatureValue>") + strlen("<ds:SignatureValue>");
    sv[3] = sv[3] == 'A' ? 'B' : 'A';
    t.len--;
    assert_int_equal(verify(&t, k, &d), RSP_ERR_VERIFY);
    /* one signature, one text: the SignatureValue re-spelled with non-zero bits before its padding (the
     * same 64 bytes to a lax base64 decoder) is refused */
    static const char b64a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    rsp_buf_set(&t, signed_doc.data, signed_doc.len);
    rsp_buf_append_byte(&t, 0);
    char *pad = strstr((char *)t.data, "==</ds:SignatureValue>");
    assert_non_null(pad);
    const char *q = strchr(b64a, pad[-1]);
    assert_non_null(q);
    pad[-1] = b64a[((q - b64a) & 0x30) | 0x05];
    t.len--;
    rsp_diag_clear(&d);
    assert_int_equal(verify(&t, k, &d), RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "SignatureValue"));
    rsp_buf_set(&t, signed_doc.data, signed_doc.len);
    tamper(&t, "xmldsig-more#ecdsa-sha256", "xmldsig-more#rsa--sha256");
    assert_int_equal(verify(&t, k, &d), RSP_ERR_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "SignatureMethod"));
    rsp_buf_set(&t, signed_doc.data, signed_doc.len);
    tamper(&t, "http://www.w3.org/2001/10/xml-exc-c14n#", "http://www.w3.org/2006/12/xml-c14n11");
    assert_int_equal(verify(&t, k, &d), RSP_ERR_UNSUPPORTED);
    assert_non_null(strstr(d.msg, "CanonicalizationMethod"));
    assert_int_equal(verify(&nj, k, &d), RSP_ERR_TAG); /* unsigned */

    rsp_buf_free(&t);
    rsp_es_msg_free(&back);
    rsp_es_msg_free(&m);
    rsp_ec_free(k);
    rsp_ec_free(other);
    rsp_buf_free(&nj);
    rsp_buf_free(&signed_doc);
    rsp_buf_free(&again);
}

/* A ds:Signature given through JSON is checked and canonicalised before SOAP ever writes it. */
static void test_json_dsig_is_checked(void **state)
{
    (void)state;
    const rsp_es_func *f = rsp_es_func_find(RSP_ES7, "HandoverEUICC", 13);
    const char *bad = "{\"functionCallIdentifier\":\"f\",\"eis\":{\"eumSignedInfo\":{},\"eumSignature\":\"\","
                      "\"eumDsig\":\"</Eis><Injected/>\"}}";
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_not_equal(rsp_es_json_decode(f, false, (const uint8_t *)bad, strlen(bad), NULL, &m, &d), RSP_OK);
    rsp_es_msg_free(&m);
    const char *notsig = "{\"functionCallIdentifier\":\"f\",\"eis\":{\"eumDsig\":\"<Foo/>\"}}";
    rsp_diag_clear(&d);
    assert_int_equal(rsp_es_json_decode(f, false, (const uint8_t *)notsig, strlen(notsig), NULL, &m, &d), RSP_ERR_TAG);
    assert_non_null(strstr(d.msg, "expected a ds:Signature"));
    rsp_es_msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_tamper),
        cmocka_unit_test(test_json_dsig_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
