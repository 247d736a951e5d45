/* `rsp bench ota`: SCP03t throughput (host wrap and card unwrap of a 100 KB profile in 1,024-byte
 * segments) and ES8 key establishment per second in both roles, each beside the OpenSSL floor of the
 * same primitives measured in this run; then the SCP80 figures of `ota-scp80`. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/keyest.h"
#include "rsp/scp03t.h"

#define PROFILE_LEN (100 * 1024)

typedef struct ota_arg {
    rsp_scp03_session h;
    rsp_scp03t_card c;
    rsp_scp03_session card_open; /* card session right after 85, restored before each unwrap */
    uint8_t *profile;
    rsp_buf wrapped, out;
    /* key establishment */
    rsp_eckey *ci, *dp, *ecasd;
    rsp_buf cert, apdu1, apdu2;
    uint8_t rc[16];
} ota_arg;

static int step_wrap(void *arg)
{
    ota_arg *a = arg;
    rsp_buf_reset(&a->out);
    return rsp_scp03t_host_wrap(&a->h, a->profile, PROFILE_LEN, RSP_SCP03T_SEGMENT, &a->out) != RSP_OK;
}

static int step_unwrap(void *arg)
{
    ota_arg *a = arg;
    a->c.s = a->card_open;
    a->c.state = RSP_SCP03T_OPEN;
    rsp_buf_reset(&a->c.plain);
    rsp_buf_reset(&a->out);
    return rsp_scp03t_card_process(&a->c, a->wrapped.data, a->wrapped.len, &a->out, NULL) != RSP_OK ||
           a->c.plain.len != PROFILE_LEN;
}

static int step_host(void *arg)
{
    ota_arg *a = arg;
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    rsp_buf apdu = RSP_BUF_INIT;
    uint8_t resp[20] = {0x85, 0x10};
    memcpy(resp + 2, a->rc, 16);
    rsp_keyest_params p = {0};
    p.kvn = 0x30;
    rsp_scp03_keys keys;
    rsp_err e = rsp_keyest_host_cert_apdu(a->cert.data, a->cert.len, &apdu);
    if (!e)
        e = rsp_keyest_host_challenge(&h, resp, 18, NULL);
    if (!e)
        e = rsp_keyest_host_keyagree_apdu(&h, &p, a->dp, RSP_CURVE_P256, &apdu);
    /* The receipt answered by a card depends on this run's fresh ephemeral key, so a stored answer
     * cannot match: finish still does all its work (ECDH, KDF, CMAC, compare) and then says VERIFY,
     * which is the expected outcome here. */
    uint8_t receipt[18] = {0x86, 0x10};
    if (!e) {
        e = rsp_keyest_host_finish(&h, a->ecasd, receipt, 18, &keys, NULL);
        if (e == RSP_ERR_VERIFY)
            e = RSP_OK;
    }
    rsp_keyest_host_close(&h);
    rsp_buf_free(&apdu);
    return e != RSP_OK;
}

static int step_card(void *arg)
{
    ota_arg *a = arg;
    rsp_keyest_card c;
    rsp_keyest_card_init(&c, a->ci, a->ecasd, 1);
    c.fixed_rc = a->rc; /* the pre-signed 3A02 covers this challenge */
    rsp_scp03_keys keys;
    rsp_buf_reset(&a->out);
    rsp_err e = rsp_keyest_card_store_data(&c, a->apdu1.data, a->apdu1.len, &a->out, &keys, NULL);
    if (!e)
        e = rsp_keyest_card_store_data(&c, a->apdu2.data, a->apdu2.len, &a->out, &keys, NULL);
    rsp_keyest_card_close(&c);
    rsp_wipe(&keys, sizeof(keys));
    return e != RSP_OK;
}

static rsp_err setup_scp03t(ota_arg *a)
{
    uint8_t k[16] = {0x40, 0x41, 0x42}, hc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    rsp_scp03_keys keys;
    rsp_scp03_keys_set(&keys, 0x30, k, k, k, 16);
    rsp_scp03_card_params p = {RSP_AID_ISDR.b, RSP_AID_ISDR.len, 1, 0x70, {0}, NULL};
    rsp_buf m = RSP_BUF_INIT, r = RSP_BUF_INIT;
    rsp_err e = rsp_scp03t_card_init(&a->c, &keys, &p);
    if (!e) e = rsp_scp03t_host_init(0x30, 1, hc, &m);
    if (!e) e = rsp_scp03t_card_process(&a->c, m.data, m.len, &r, NULL);
    if (!e) e = rsp_scp03t_host_begin(&a->h, &keys, hc, r.data, r.len, NULL);
    rsp_buf_reset(&m);
    if (!e) e = rsp_scp03t_host_auth(&a->h, 0x33, &m);
    if (!e) e = rsp_scp03t_card_process(&a->c, m.data, m.len, &r, NULL);
    a->card_open = a->c.s;
    if (!e) e = rsp_scp03t_host_wrap(&a->h, a->profile, PROFILE_LEN, RSP_SCP03T_SEGMENT, &a->wrapped);
    rsp_wipe(&keys, sizeof(keys));
    rsp_buf_free(&m);
    rsp_buf_free(&r);
    return e;
}

static rsp_err setup_keyest(ota_arg *a)
{
    static const uint8_t serial[1] = {1};
    rsp_gpcert_template t = {serial, 1, "CI", "SMDP", 0x88, NULL, "20451231", 1, NULL, 0};
    rsp_err e = rsp_ec_generate(RSP_CURVE_P256, &a->ci);
    if (!e) e = rsp_ec_generate(RSP_CURVE_P256, &a->dp);
    if (!e) e = rsp_ec_generate(RSP_CURVE_P256, &a->ecasd);
    if (!e) e = rsp_gpcert_issue(&t, a->dp, a->ci, &a->cert);
    if (!e) e = rsp_random(a->rc, 16);
    if (!e) e = rsp_keyest_host_cert_apdu(a->cert.data, a->cert.len, &a->apdu1);
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    uint8_t resp[18] = {0x85, 0x10};
    memcpy(resp + 2, a->rc, 16);
    rsp_keyest_params p = {0};
    p.kvn = 0x30;
    if (!e) e = rsp_keyest_host_challenge(&h, resp, 18, NULL);
    if (!e) e = rsp_keyest_host_keyagree_apdu(&h, &p, a->dp, RSP_CURVE_P256, &a->apdu2);
    rsp_keyest_host_close(&h);
    return e;
}

static double serial_rate(double a, double b, double c)
{
    /* Operations done one after another: the rates add as times. */
    double t = 1.0 / a + 1.0 / b + (c > 0 ? 1.0 / c : 0);
    return a > 0 && b > 0 ? 1.0 / t : -1;
}

int rsp_bench_ota(rsp_bench *b, int argc, char **argv)
{
    ota_arg a;
    memset(&a, 0, sizeof(a));
    int rc = RSP_EXIT_OK;
    a.profile = malloc(PROFILE_LEN);
    if (!a.profile || rsp_random(a.profile, PROFILE_LEN) != RSP_OK || setup_scp03t(&a) != RSP_OK ||
        setup_keyest(&a) != RSP_OK) {
        fprintf(stderr, "rsp: bench ota: setup failed\n");
        rc = RSP_EXIT_FAIL;
        goto done;
    }
    rsp_bench_progress(b, "SCP03t");
    double mb = PROFILE_LEN / 1e6;
    double wrap = rsp_bench_rate(b, step_wrap, &a) * mb;
    double unwrap = rsp_bench_rate(b, step_unwrap, &a) * mb;
    double cbc = rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", RSP_SCP03T_SEGMENT);
    double cmac = rsp_bench_floor_cmac_mbs(b, RSP_SCP03T_SEGMENT);
    double floor = serial_rate(cbc, cmac, 0);
    rsp_bench_report(b, "scp03t host wrap 100KB/1024B segments", wrap, "MB/s", "AES-128-CBC + CMAC 1KB", floor);
    rsp_bench_report(b, "scp03t card unwrap+verify+reassemble", unwrap, "MB/s", "AES-128-CBC + CMAC 1KB", floor);
    rsp_bench_progress(b, "ES8 key establishment");
    double host = rsp_bench_rate(b, step_host, &a);
    double card = rsp_bench_rate(b, step_card, &a);
    double sign = rsp_bench_floor_ecdsa_sign(b, RSP_CURVE_P256);
    double verify = rsp_bench_floor_ecdsa_verify(b, RSP_CURVE_P256);
    double ecdh = rsp_bench_floor_ecdh(b, RSP_CURVE_P256);
    rsp_bench_report(b, "keyest host (3A01+3A02 sign+receipt)", host, "op/s", "P-256 sign + ECDH", serial_rate(sign, ecdh, 0));
    rsp_bench_report(b, "keyest card (chain+sig+ECDH+KDF+rcpt)", card, "op/s", "P-256 2x verify + ECDH",
                     serial_rate(verify, verify, ecdh));
    if (wrap < 0 || unwrap < 0 || host < 0 || card < 0)
        rc = RSP_EXIT_FAIL;
    rsp_bench_call(b, "ota-scp80", argc, argv);
done:
    rsp_scp03_close(&a.h);
    rsp_scp03t_card_close(&a.c);
    rsp_scp03_close(&a.card_open);
    free(a.profile);
    rsp_buf_free(&a.wrapped);
    rsp_buf_free(&a.out);
    rsp_ec_free(a.ci);
    rsp_ec_free(a.dp);
    rsp_ec_free(a.ecasd);
    rsp_buf_free(&a.cert);
    rsp_buf_free(&a.apdu1);
    rsp_buf_free(&a.apdu2);
    return rc;
}
