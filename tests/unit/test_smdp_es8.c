/* The SM-DP's ES8 session through the whole download procedure, against the card-side codecs of
 * lib/card (ECASD key establishment, ISD-P SCP03t). TEST HARNESS, not a product path: the ES3
 * "SM-SR" here hands each SendData straight to those codecs instead of tunnelling it over SCP80 /
 * SCP81, and plays the ISD-P's EUICCResponse once the reassembled package parses to its end
 * element. Checked: the card derives the same keys (SCP03t C-MACs verify), the package arrives byte
 * for byte as personalised, SendData x n with two 1 KB segments each, a card that answers not-enough-memory
 * makes the download fail and the ISD-P be deleted, and a CERT.DP of the wrong role is refused by
 * the card. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/smsr.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/saip.h"
#include "rsp/smdp.h"
#include "testutil.h"

#define EID "89049032123451234512345678901235"

typedef struct card {
    rsp_es_eis eis;
    rsp_es_eum_signed_info si;
    rsp_es_security_domain sd;
    rsp_es_key_set ks;
    rsp_es_euicc_capabilities cap;
    rsp_keyest_card ke;
    rsp_scp03t_card dl;
    bool dl_open;
    rsp_aid isdp;
    unsigned sends, deletes;
    size_t max_send;        /* the largest SendData: the SM-SR takes SCP03t bodies up to 4 KiB */
    bool no_memory;
    bool bad_receipt;       /* one bit of the key establishment receipt (86) flipped on its way back */
    rsp_buf received;       /* the plaintext package once complete */
} card;

static rsp_err c_get_eis(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag)
{
    (void)eid;
    (void)diag;
    *eis = &((card *)arg)->eis;
    return RSP_OK;
}

static rsp_err c_ok(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    (void)arg;
    (void)eid;
    (void)iccid;
    (void)diag;
    return RSP_OK;
}

static rsp_err c_create(void *arg, const char *eid, const char *iccid, size_t mem, rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    (void)mem;
    (void)diag;
    return rsp_aid_isdp(0x10, &((card *)arg)->isdp);
}

static rsp_err c_delete(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    (void)diag;
    ((card *)arg)->deletes++;
    return RSP_OK;
}

static rsp_err c_send(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                      rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    card *c = arg;
    c->sends++;
    if (len > c->max_send)
        c->max_send = len;
    if (c->ke.state != RSP_KEYEST_DONE) {
        rsp_scp03_keys k;
        memset(&k, 0, sizeof k);
        rsp_err e = rsp_keyest_card_store_data(&c->ke, p, len, resp, &k, diag);
        for (size_t i = 0; e == RSP_OK && c->bad_receipt && c->ke.state == RSP_KEYEST_DONE && i + 18 <= resp->len; i++)
            if (resp->data[i] == 0x86 && resp->data[i + 1] == 0x10) {
                resp->data[i + 7] ^= 0x04;
                break;
            }
        if (e == RSP_OK && c->ke.state == RSP_KEYEST_DONE) {
            rsp_scp03_card_params cp = {.aid = c->isdp.b, .aid_len = 16, .seq = 1, .i_param = 0x70};
            e = rsp_scp03t_card_init(&c->dl, &k, &cp);
            c->dl_open = e == RSP_OK;
        }
        rsp_wipe(&k, sizeof k);
        return e;
    }
    rsp_err e = rsp_scp03t_card_process(&c->dl, p, len, resp, diag);
    if (e != RSP_OK)
        return RSP_OK;   /* the 9F answer travels back as data, as the SM-SR would relay it */
    rsp_saip_package pkg;
    size_t end;
    if (rsp_saip_parse(c->dl.plain.data, c->dl.plain.len, 0, &pkg, NULL) != RSP_OK)
        return RSP_OK;
    bool complete = rsp_saip_find(&pkg, RSP_SAIP_TAG_END, 0, &end) == RSP_OK;
    rsp_saip_package_free(&pkg);
    if (!complete)
        return RSP_OK;
    rsp_buf_set(&c->received, c->dl.plain.data, c->dl.plain.len);
    rsp_saip_pe_status st = {c->no_memory ? RSP_SAIP_ST_NOT_ENOUGH_MEMORY : RSP_SAIP_ST_OK, false, 0, false, 0, false, 0};
    rsp_saip_euicc_response r;
    memset(&r, 0, sizeof r);
    r.pe_status = &st;
    r.n_pe_status = 1;
    r.installation_aborted = c->no_memory;
    return rsp_saip_euicc_response_encode(&r, resp);
}

typedef struct fixture {
    char dir[64];
    rsp_smdp_inv *inv;
    rsp_eckey *ci, *dp, *eum, *ecasd;
    rsp_buf cert_dp, cert_eum, cert_ecasd;
    rsp_bytes eums[1];
    rsp_smdp_trust trust;
    card c;
} fixture;

static void issue(rsp_eckey *subject, rsp_eckey *issuer, int role, rsp_buf *out)
{
    static const uint8_t serial[] = {0x09};
    const rsp_gpcert_template t = {serial, 1, "CI", "S", 0x82, "20260101", "20361231", role, NULL, 0};
    assert_int_equal(rsp_gpcert_issue(&t, subject, issuer, out), RSP_OK);
}

static void card_reset(fixture *f)
{
    card *c = &f->c;
    if (c->dl_open)
        rsp_scp03t_card_close(&c->dl);
    rsp_keyest_card_close(&c->ke);
    rsp_buf_free(&c->received);
    memset(c, 0, sizeof *c);
    c->ks.certificates.v = &f->cert_ecasd;
    c->ks.certificates.n = 1;
    c->sd.key_sets.v = &c->ks;
    c->sd.key_sets.n = 1;
    c->cap.http_support = true;
    c->si.eid = EID;
    c->si.ecasd = &c->sd;
    c->si.capabilities = &c->cap;
    c->eis.signed_info = &c->si;
    c->eis.available_memory_for_profiles = 1 << 20;
    c->eis.remaining_memory = 1 << 20;
    rsp_keyest_card_init(&c->ke, f->ci, f->ecasd, RSP_GPCERT_ROLE_SMDP);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_smdp_es8_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(rsp_smdp_inv_open(f->dir, NULL, NULL, &f->inv), RSP_OK);
    rsp_buf der = RSP_BUF_INIT;
    char path[1024];
    tu_read_file(tu_shared_path("profiles/TS48v7_SAIP2.3_BERTLV_SUCI.der", path, sizeof path), &der);
    assert_int_equal(rsp_smdp_import_package(f->inv, "OPA", "ts48", der.data, der.len, NULL), RSP_OK);
    assert_int_equal(rsp_smdp_generate_identities(f->inv, "OPA", "ts48", "8999000", "00101", 1, 4, NULL), RSP_OK);
    rsp_buf_free(&der);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &f->ci), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &f->dp), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &f->eum), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &f->ecasd), RSP_OK);
    issue(f->dp, f->ci, RSP_GPCERT_ROLE_SMDP, &f->cert_dp);
    issue(f->eum, f->ci, RSP_GPCERT_ROLE_EUM, &f->cert_eum);
    issue(f->ecasd, f->eum, RSP_GPCERT_ROLE_ECASD, &f->cert_ecasd);
    f->eums[0] = rsp_buf_view(&f->cert_eum);
    f->trust = (rsp_smdp_trust){f->ci, f->eums, 1, NULL};
    card_reset(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    card *c = &f->c;
    if (c->dl_open)
        rsp_scp03t_card_close(&c->dl);
    rsp_keyest_card_close(&c->ke);
    rsp_buf_free(&c->received);
    rsp_smdp_inv_close(f->inv);
    rsp_ec_free(f->ci);
    rsp_ec_free(f->dp);
    rsp_ec_free(f->eum);
    rsp_ec_free(f->ecasd);
    rsp_buf_free(&f->cert_dp);
    rsp_buf_free(&f->cert_eum);
    rsp_buf_free(&f->cert_ecasd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static rsp_err run(fixture *f, const char *id, const rsp_buf *cert_dp, rsp_smdp_dl *d)
{
    rsp_smdp_dl req;
    memset(&req, 0, sizeof req);
    snprintf(req.id, sizeof req.id, "%s", id);
    strcpy(req.op, "OPA");
    strcpy(req.type, "ts48");
    strcpy(req.eid, EID);
    req.enable = true;
    assert_int_equal(rsp_smdp_dl_start(f->inv, &req, NULL), RSP_OK);
    rsp_smdp_es8_session s;
    assert_int_equal(rsp_smdp_es8_open(&s, f->dp, cert_dp->data, cert_dp->len, f->cert_ecasd.data, f->cert_ecasd.len,
                                       0x30, NULL), RSP_OK);
    const rsp_smdp_es8 es8 = rsp_smdp_es8_of(&s);
    const rsp_smdp_es3 es3 = {&f->c, c_get_eis, c_create, c_send, c_ok, c_ok, c_delete, NULL};
    rsp_err e = rsp_smdp_dl_run(f->inv, &f->trust, &es3, &es8, id, 5, d, NULL);
    rsp_smdp_es8_close(&s);
    return e;
}

static void test_real_es8(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    assert_int_equal(run(f, "d1", &f->cert_dp, &d), RSP_OK);
    assert_string_equal(d.outcome, "installed and enabled");
    rsp_smdp_taken tk;
    assert_int_equal(rsp_smdp_retake(f->inv, d.iccid, &tk, NULL), RSP_OK);
    assert_int_equal(f->c.received.len, tk.package.len);
    assert_memory_equal(f->c.received.data, tk.package.data, tk.package.len);
    /* 2 key establishment + 1 init + one per four 1 KB segments (lib/smdp/es8.c), each one SCP80 packet
     * of at most RSP_SMSR_MAX_PARTS SMS (40 x 134 bytes of UD less the packet's 42 + 8 bytes of headers) */
    assert_int_equal(f->c.sends, 3 + (tk.package.len + 4 * RSP_SCP03T_SEGMENT - 1) / (4 * RSP_SCP03T_SEGMENT));
    assert_true(f->c.max_send > 4 * RSP_SCP03T_SEGMENT && f->c.max_send + 42 + 8 <= RSP_SMSR_MAX_PARTS * 134);
    assert_int_equal(f->c.deletes, 0);
    rsp_smdp_taken_clear(&tk);
}

static void test_card_out_of_memory(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    f->c.no_memory = true;
    assert_int_equal(run(f, "d2", &f->cert_dp, &d), RSP_ERR_STATE);
    assert_int_equal(d.step, RSP_SMDP_DL_FAILED);
    assert_non_null(strstr(d.outcome, "load"));
    assert_int_equal(f->c.deletes, 1);
}

/* Bad input "a card answer with a bad MAC": the receipt of the key establishment (a CMAC over the
 * agreement) does not verify: the download fails there, nothing of the package is sent, the ISD-P is
 * deleted and its identity spent (CreateISDP was sent: never reused), the outcome names the step. */
static void test_bad_receipt(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    f->c.bad_receipt = true;
    assert_int_equal(run(f, "d4", &f->cert_dp, &d), RSP_ERR_VERIFY);
    assert_int_equal(d.step, RSP_SMDP_DL_FAILED);
    assert_string_equal(d.outcome, "key-establishment: verify-failed");
    assert_int_equal(f->c.sends, 2);       /* the certificate and the key agreement, no SCP03t */
    assert_int_equal(f->c.received.len, 0);
    assert_int_equal(f->c.deletes, 1);
    rsp_smdp_pool *pools = NULL;
    size_t np = 0;
    assert_int_equal(rsp_smdp_inventory(f->inv, &pools, &np), RSP_OK);
    assert_int_equal(np, 1);
    assert_int_equal(pools[0].count[RSP_SMDP_DELETED], 1);
    assert_int_equal(pools[0].count[RSP_SMDP_AVAILABLE], 3);
    assert_int_equal(pools[0].count[RSP_SMDP_ALLOCATED], 0);
    free(pools);
}

static void test_wrong_role_refused_by_card(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    rsp_buf sr = RSP_BUF_INIT;
    issue(f->dp, f->ci, RSP_GPCERT_ROLE_SMSR, &sr);
    assert_int_not_equal(run(f, "d3", &sr, &d), RSP_OK);
    assert_non_null(strstr(d.outcome, "key-establishment"));
    assert_int_equal(f->c.sends, 1);
    assert_int_equal(f->c.deletes, 1);
    rsp_buf_free(&sr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_real_es8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_card_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_role_refused_by_card, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_receipt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
