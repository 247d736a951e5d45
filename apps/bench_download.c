/* `rsp bench download`: what the SM-DP spends per download on its own side today: admission of the
 * EIS (CERT.ECASD -> EUM -> CI, two ECDSA verifies), taking an identity from the pool (a committed
 * allocation on SQLite) and personalising the TS.48 package. Printed beside the crypto floor of one
 * whole download (NUMBERS.md: chain check, ephemeral key, one signature, ECDH, SCP03t over the
 * package: ~0.7 ms), composed from OpenSSL primitives measured in the same run.
 * Not in the figure yet: ES8 key establishment, SCP03t wrapping and ES3 transport to the SM-SR
 * (the download state machine is not built; docs/modules/smdp.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "cli.h"
#include "rsp/gpcert.h"
#include "rsp/smdp.h"

#define EID "89049032123451234512345678901235"

static void issue(rsp_eckey *subject, rsp_eckey *issuer, int role, rsp_buf *out)
{
    static const uint8_t serial[] = {0x01};
    const rsp_gpcert_template t = {serial, 1, "CA", "S", 0x82, "20260101", "20361231", role, NULL, 0};
    (void)rsp_gpcert_issue(&t, subject, issuer, out);
}

int rsp_bench_download(rsp_bench *b, int argc, char **argv)
{
    long count = 200;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--count"))
            count = strtol(argv[i + 1], NULL, 10);
    if (count < 1 || count > 100000)
        return rsp_cli_usage_error("bench download: --count 1..100000");
    const char *sh = getenv("RSP_SHARED_DIR");
    char path[1024], dir[] = "/tmp/rsp_bench_download_XXXXXX";
    snprintf(path, sizeof path, "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", sh && *sh ? sh : "../shared");
    rsp_buf der = RSP_BUF_INIT;
    if (rsp_cli_read_file(path, &der) != RSP_OK || !mkdtemp(dir)) {
        rsp_buf_free(&der);
        return rsp_cli_usage_error("bench download: cannot read %s (set RSP_SHARED_DIR)", path);
    }
    rsp_smdp_inv *inv = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_smdp_inv_open(dir, NULL, &d, &inv);
    rsp_bench_progress(b, "filling the pool");
    e = e ? e : rsp_smdp_import_package(inv, "BENCH", "ts48", der.data, der.len, &d);
    e = e ? e : rsp_smdp_generate_identities(inv, "BENCH", "ts48", "8999", "00101", 1, (size_t)count, &d);
    /* The PKI of the admission check. */
    rsp_eckey *ci = NULL, *eum = NULL, *ecasd = NULL;
    rsp_buf eum_cert = RSP_BUF_INIT, ecasd_cert = RSP_BUF_INIT;
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &ci);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &eum);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &ecasd);
    if (e == RSP_OK) {
        issue(eum, ci, RSP_GPCERT_ROLE_EUM, &eum_cert);
        issue(ecasd, eum, RSP_GPCERT_ROLE_ECASD, &ecasd_cert);
    }
    const rsp_bytes eums[1] = {rsp_buf_view(&eum_cert)};
    const rsp_smdp_trust trust = {ci, eums, 1};
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
    eis.available_memory_for_profiles = 1 << 20;
    double t0 = 0, c0 = 0, wall = 0, cpu = 0;
    if (e == RSP_OK) {
        rsp_bench_progress(b, "downloads (SM-DP side)");
        t0 = rsp_bench_now();
        c0 = (double)clock() / CLOCKS_PER_SEC;
        for (long i = 0; i < count && e == RSP_OK; i++) {
            rsp_smdp_taken t;
            e = rsp_smdp_admit(&trust, &eis, der.len, &d);
            e = e ? e : rsp_smdp_take(inv, "BENCH", "ts48", EID, (int64_t)i, &t, &d);
            if (e == RSP_OK)
                rsp_smdp_taken_clear(&t);
        }
        wall = rsp_bench_now() - t0;
        cpu = (double)clock() / CLOCKS_PER_SEC - c0;
    }
    int rc = RSP_EXIT_OK;
    if (e != RSP_OK) {
        rc = rsp_cli_fail("bench download", e, &d);
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
    }
    rsp_ec_free(ci);
    rsp_ec_free(eum);
    rsp_ec_free(ecasd);
    rsp_buf_free(&eum_cert);
    rsp_buf_free(&ecasd_cert);
    rsp_buf_free(&der);
    rsp_smdp_inv_close(inv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench download: could not remove %s\n", dir);
    return rc;
}
