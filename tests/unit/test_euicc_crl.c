/* The card and the CI's CRL (<fleet folder>/ci.crl): EstablishISDRKeySet (3A01 to the ISD-R) with an
 * SM-SR certificate the CRL lists is refused 6982 and leaves the key sets as they were; so is any
 * certificate while the CRL is forged or stale; a CRL listing another serial lets it through, and a
 * replaced file is seen by the running fleet without a reopen. ES8 (SM-DP) is the same check
 * (lib/card/keyest_card.c), run across processes in tests/cli/test_ci_revoke.sh. */
#include "test_euicc_fixture.h"

#include "rsp/crl.h"

static void put_crl(const fx *x, const rsp_eckey *signer, int64_t this_s, int64_t next_s, const rsp_buf *revoked_cert)
{
    rsp_crl_entry en;
    memset(&en, 0, sizeof(en));
    size_t n = 0;
    if (revoked_cert) {
        rsp_gpcert c;
        assert_int_equal(rsp_gpcert_decode(revoked_cert->data, revoked_cert->len, &c, NULL), RSP_OK);
        memcpy(en.serial, c.serial.p, c.serial.len);
        en.serial_len = c.serial.len;
        en.date = this_s;
        en.reason = RSP_CRL_REASON_KEY_COMPROMISE;
        n = 1;
    }
    rsp_crl_template t = {this_s, next_s, 1, &en, n};
    rsp_buf der = RSP_BUF_INIT;
    assert_int_equal(rsp_crl_issue(&t, signer, NULL, "CI", &der), RSP_OK);
    char tmp[400], path[400];
    snprintf(tmp, sizeof(tmp), "%s/ci.crl.tmp", x->dir);
    snprintf(path, sizeof(path), "%s/ci.crl", x->dir);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(der.data, 1, der.len, f), der.len);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
    rsp_buf_free(&der);
}

/* 3A01 with the SM-SR's certificate to the ISD-R: the SW. */
static uint16_t sr_cert(fx *x, rsp_euicc *c)
{
    rsp_buf apdu = RSP_BUF_INIT;
    assert_int_equal(rsp_keyest_host_cert_apdu(x->cert_sr.data, x->cert_sr.len, &apdu), RSP_OK);
    char *hex = rsp_hex_dup(apdu.data, apdu.len);
    uint16_t sw = fx_sms1(x, c, 1, hex, NULL);
    free(hex);
    rsp_buf_free(&apdu);
    return sw;
}

static void test_revoked_smsr(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_euicc_crl_XXXXXX";
    assert_non_null(mkdtemp(dir));
    fx x;
    fx_setup(&x, dir, 1);
    rsp_euicc *c = fx_card(&x, 0);
    int64_t now = x.now / 1000;
    rsp_euicc_info info;
    /* no CRL in the folder: no check */
    assert_int_equal(sr_cert(&x, c), 0x9000);
    /* the SM-SR revoked: refused, nothing changes */
    put_crl(&x, x.ci, now - 3600, now + 86400, &x.cert_sr);
    assert_int_equal(sr_cert(&x, c), 0x6982);
    assert_int_equal(rsp_euicc_info_get(c, &info), RSP_OK);
    assert_int_equal(info.n_scp80, 1);
    /* a CRL revoking someone else (the SM-DP): the SM-SR passes */
    put_crl(&x, x.ci, now - 3600, now + 86400, &x.cert_dp);
    assert_int_equal(sr_cert(&x, c), 0x9000);
    /* stale (the card's clock is past nextUpdate), not yet valid, forged: refused */
    put_crl(&x, x.ci, now - 7200, now - 1, NULL);
    assert_int_equal(sr_cert(&x, c), 0x6982);
    put_crl(&x, x.ci, now + 3600, now + 7200, NULL);
    assert_int_equal(sr_cert(&x, c), 0x6982);
    put_crl(&x, x.eum, now - 3600, now + 86400, NULL);
    assert_int_equal(sr_cert(&x, c), 0x6982);
    /* a corrupt file is refused too (present but unreadable is not "no CRL") */
    char path[400];
    snprintf(path, sizeof(path), "%s/ci.crl", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("garbage", f);
    fclose(f);
    assert_int_equal(sr_cert(&x, c), 0x6982);
    unlink(path);
    assert_int_equal(sr_cert(&x, c), 0x9000);
    fx_teardown(&x);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_revoked_smsr)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
