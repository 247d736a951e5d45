/* `rsp bench download-prep` (was `download`, which now runs download-https): what the SM-DP spends per
 * download on its own side today: admission of the
 * EIS (CERT.ECASD -> EUM -> CI, two ECDSA verifies), taking an identity from the pool (a committed
 * allocation on SQLite) and personalising the TS.48 package. Printed beside the crypto floor of one
 * whole download (NUMBERS.md: chain check, ephemeral key, one signature, ECDH, SCP03t over the
 * package: ~0.7 ms), composed from OpenSSL primitives measured in the same run.
 * Then whole downloads through the download procedure (journal, admission, take, CreateISDP, ES8
 * key establishment, SCP03t in 1 KB SendData, EUICCResponse) with the card's side played in the
 * same process by lib/card's ECASD and ISD-P codecs (a bench harness: no ES3 transport, no SM-SR,
 * no SCP80/SCP81), so its CPU includes the card's half of the crypto too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "cli.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/saip.h"
#include "rsp/smdp.h"

#define EID "89049032123451234512345678901235"

static void issue(rsp_eckey *subject, rsp_eckey *issuer, int role, rsp_buf *out)
{
    static const uint8_t serial[] = {0x01};
    const rsp_gpcert_template t = {serial, 1, "CA", "S", 0x82, "20260101", "20361231", role, NULL, 0};
    (void)rsp_gpcert_issue(&t, subject, issuer, out);
}


/* Bench harness "SM-SR + card": SendData straight into the card codecs. */
typedef struct bcard {
    rsp_es_eis *eis;
    rsp_keyest_card ke;
    rsp_scp03t_card dl;
    bool dl_open;
    rsp_aid isdp;
    size_t expect;      /* package length: the EUICCResponse comes after the last byte */
} bcard;

static rsp_err b_eis(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag)
{
    (void)eid;
    (void)diag;
    *eis = ((bcard *)arg)->eis;
    return RSP_OK;
}

static rsp_err b_ok(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    (void)arg;
    (void)eid;
    (void)iccid;
    (void)diag;
    return RSP_OK;
}

static rsp_err b_create(void *arg, const char *eid, const char *iccid, size_t mem, rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    (void)diag;
    (void)mem; /* the quota: the package rounded up plus a block, more than the card will receive */
    return rsp_aid_isdp(0x10, &((bcard *)arg)->isdp);
}

static rsp_err b_send(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                      rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    bcard *c = arg;
    if (c->ke.state != RSP_KEYEST_DONE) {
        rsp_scp03_keys k;
        memset(&k, 0, sizeof k);
        rsp_err e = rsp_keyest_card_store_data(&c->ke, p, len, resp, &k, diag);
        if (e == RSP_OK && c->ke.state == RSP_KEYEST_DONE) {
            rsp_scp03_card_params cp = {.aid = c->isdp.b, .aid_len = 16, .seq = 1, .i_param = 0x70};
            e = rsp_scp03t_card_init(&c->dl, &k, &cp);
            c->dl_open = e == RSP_OK;
        }
        rsp_wipe(&k, sizeof k);
        return e;
    }
    rsp_err e = rsp_scp03t_card_process(&c->dl, p, len, resp, diag);
    if (e != RSP_OK || c->dl.plain.len < c->expect)
        return e;
    rsp_saip_pe_status st = {RSP_SAIP_ST_OK, false, 0, false, 0, false, 0};
    rsp_saip_euicc_response r;
    memset(&r, 0, sizeof r);
    r.pe_status = &st;
    r.n_pe_status = 1;
    return rsp_saip_euicc_response_encode(&r, resp);
}

static void bcard_close(bcard *c)
{
    if (c->dl_open)
        rsp_scp03t_card_close(&c->dl);
    rsp_keyest_card_close(&c->ke);
}

int rsp_bench_download(rsp_bench *b, int argc, char **argv)
{
    long count = 200;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--count"))
            count = strtol(argv[i + 1], NULL, 10);
    if (count < 1 || count > 100000)
        return rsp_cli_usage_error("bench download-prep: --count 1..100000");
    const char *sh = getenv("RSP_SHARED_DIR");
    char path[1024], dir[] = "/tmp/rsp_bench_download_XXXXXX";
    snprintf(path, sizeof path, "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", sh && *sh ? sh : "../shared");
    rsp_buf der = RSP_BUF_INIT;
    if (rsp_cli_read_file(path, &der) != RSP_OK || !mkdtemp(dir)) {
        rsp_buf_free(&der);
        return rsp_cli_usage_error("bench download-prep: cannot read %s (set RSP_SHARED_DIR)", path);
    }
    rsp_smdp_inv *inv = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_smdp_inv_open(dir, NULL, &d, &inv);
    rsp_bench_progress(b, "filling the pool");
    e = e ? e : rsp_smdp_import_package(inv, "BENCH", "ts48", der.data, der.len, &d);
    e = e ? e : rsp_smdp_generate_identities(inv, "BENCH", "ts48", "8999", "00101", 1, (size_t)count, &d);
    /* The PKI of the admission check. */
    rsp_eckey *ci = NULL, *eum = NULL, *ecasd = NULL, *dp = NULL;
    rsp_buf eum_cert = RSP_BUF_INIT, ecasd_cert = RSP_BUF_INIT, dp_cert = RSP_BUF_INIT;
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &ci);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &eum);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &ecasd);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &dp);
    e = e ? e : rsp_smdp_generate_identities(inv, "BENCH", "ts48", "8998", "00102", 1, (size_t)count, &d);
    if (e == RSP_OK) {
        issue(dp, ci, RSP_GPCERT_ROLE_SMDP, &dp_cert);
        issue(eum, ci, RSP_GPCERT_ROLE_EUM, &eum_cert);
        issue(ecasd, eum, RSP_GPCERT_ROLE_ECASD, &ecasd_cert);
    }
    const rsp_bytes eums[1] = {rsp_buf_view(&eum_cert)};
    const rsp_smdp_trust trust = {ci, eums, 1, NULL};
    rsp_es_key_set ks;
    rsp_es_security_domain sd;
    rsp_es_euicc_capabilities cap;
    rsp_es_eum_signed_info si;
    rsp_es_eis eis;
    memset(&ks, 0, sizeof ks);
    memset(&sd, 0, sizeof sd);
    memset(&cap, 0, sizeof cap);
    memset(&si, 0, sizeof si);
    memset(&eis, 0, sizeof eis);
    ks.certificates.v = &ecasd_cert;
    ks.certificates.n = 1;
    sd.key_sets.v = &ks;
    sd.key_sets.n = 1;
    cap.http_support = true;
    si.ecasd = &sd;
    si.capabilities = &cap;
    eis.signed_info = &si;
    eis.available_memory_for_profiles = eis.remaining_memory = 1 << 20;
    double t0 = 0, c0 = 0, wall = 0, cpu = 0;
    if (e == RSP_OK) {
        rsp_bench_progress(b, "downloads (SM-DP side)");
        t0 = rsp_bench_now();
        c0 = (double)clock() / CLOCKS_PER_SEC;
        for (long i = 0; i < count && e == RSP_OK; i++) {
            rsp_smdp_taken t;
            e = rsp_smdp_admit(&trust, &eis, der.len, (int64_t)time(NULL), &d);
            e = e ? e : rsp_smdp_take(inv, "BENCH", "ts48", EID, (int64_t)i, &t, &d);
            if (e == RSP_OK)
                rsp_smdp_taken_clear(&t);
        }
        wall = rsp_bench_now() - t0;
        cpu = (double)clock() / CLOCKS_PER_SEC - c0;
    }
    /* Whole downloads, both sides in this process. */
    double wall2 = 0, cpu2 = 0;
    if (e == RSP_OK) {
        rsp_bench_progress(b, "whole downloads (SM-DP + card codecs)");
        t0 = rsp_bench_now();
        c0 = (double)clock() / CLOCKS_PER_SEC;
        for (long i = 0; i < count && e == RSP_OK; i++) {
            rsp_smdp_dl req, out;
            memset(&req, 0, sizeof req);
            snprintf(req.id, sizeof req.id, "b%ld", i);
            strcpy(req.op, "BENCH");
            strcpy(req.type, "ts48");
            strcpy(req.eid, EID);
            bcard c;
            memset(&c, 0, sizeof c);
            c.eis = &eis;
            c.expect = der.len; /* personalisation keeps the package's length */
            rsp_keyest_card_init(&c.ke, ci, ecasd, RSP_GPCERT_ROLE_SMDP);
            rsp_smdp_es8_session s8;
            const rsp_smdp_es3 es3 = {&c, b_eis, b_create, b_send, b_ok, b_ok, b_ok, NULL};
            e = rsp_smdp_dl_start(inv, &req, &d);
            e = e ? e : rsp_smdp_es8_open(&s8, dp, dp_cert.data, dp_cert.len, ecasd_cert.data, ecasd_cert.len, 0x30, &d);
            if (e == RSP_OK) {
                const rsp_smdp_es8 es8 = rsp_smdp_es8_of(&s8);
                e = rsp_smdp_dl_run(inv, &trust, &es3, &es8, req.id, (int64_t)i, &out, &d);
                rsp_smdp_es8_close(&s8);
            }
            bcard_close(&c);
        }
        wall2 = rsp_bench_now() - t0;
        cpu2 = (double)clock() / CLOCKS_PER_SEC - c0;
    }
    int rc = RSP_EXIT_OK;
    if (e != RSP_OK) {
        rc = rsp_cli_fail("bench download-prep", e, &d);
    } else {
        double v = rsp_bench_floor_ecdsa_verify(b, RSP_CURVE_P256);
        double s = rsp_bench_floor_ecdsa_sign(b, RSP_CURVE_P256);
        double x = rsp_bench_floor_ecdh(b, RSP_CURVE_P256);
        double aes = rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 1024), mac = rsp_bench_floor_cmac_mbs(b, 1024);
        /* Chain (2 verifies), ephemeral key + signature (~2 signs), ECDH, SCP03t encrypt + MAC. */
        double floor_s = 2 / v + 2 / s + 1 / x + (double)der.len / (aes * 1e6) + (double)der.len / (mac * 1e6);
        rsp_bench_report(b, "SM-DP prep (admit + take + personalise) /s", (double)count / wall, "ops/s",
                         "download crypto floor /s", 1 / floor_s);
        rsp_bench_report(b, "SM-DP prep CPU per download", cpu / (double)count * 1e3, "ms", "download crypto floor",
                         floor_s * 1e3);
        rsp_bench_report(b, "whole download (both sides, in process) /s", (double)count / wall2, "ops/s",
                         "download crypto floor /s", 1 / floor_s);
        rsp_bench_report(b, "whole download CPU (both sides)", cpu2 / (double)count * 1e3, "ms",
                         "download crypto floor", floor_s * 1e3);
    }
    rsp_ec_free(ci);
    rsp_ec_free(eum);
    rsp_ec_free(ecasd);
    rsp_ec_free(dp);
    rsp_buf_free(&dp_cert);
    rsp_buf_free(&eum_cert);
    rsp_buf_free(&ecasd_cert);
    rsp_buf_free(&der);
    rsp_smdp_inv_close(inv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench download-prep: could not remove %s\n", dir);
    return rc;
}
