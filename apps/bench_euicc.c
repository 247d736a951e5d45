/* `rsp bench euicc [--cards N] [--dir D]`: the card model at fleet scale.
 *
 * Manufactures N cards (default 100,000) into a fleet database, closes it, then measures what the
 * fleet daemon pays: the time to open the fleet and its RSS, the time and RSS after every card has
 * been touched (a tick sends each card's first-attach notification, which loads its state), and the
 * rate of SCP80 round trips (SMS-PP in, GET STATUS, PoR out, with the counter committed) on one card.
 * The floor beside the round trips is ECDSA P-256 verify/s, the most expensive check an SM-SR does per
 * notification, measured in the same run. All cards share one ECASD key pair and certificate to keep
 * manufacturing fast (the EIDs differ); a card's RAM does not depend on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "rsp/euicc.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/sms.h"

typedef struct rt_arg {
    rsp_euicc *c;
    uint64_t cntr;
    int64_t now;
    uint8_t key[16];
    rsp_buf script;
} rt_arg;

/* One SM-SR round trip: wrap, SMS-DELIVER, card, PoR back. */
static int step_roundtrip(void *arg)
{
    rt_arg *a = arg;
    rsp_scp80_hdr h = {{0x16, 0x39}, 0x12, 0x12, {0, 0, 1}, {0}, 0, 0};
    uint64_t n = ++a->cntr;
    for (int i = 0; i < 5; i++)
        h.cntr[i] = (uint8_t)(n >> (8 * (4 - i)));
    rsp_scp80_keys k = {a->key, 16, a->key, 16};
    uint8_t pkt[256], ud[200];
    size_t plen = 0;
    if (rsp_scp80_cmd_build(&k, &h, a->script.data, a->script.len, pkt, sizeof(pkt), &plen, NULL) || plen + 3 > 140)
        return 1;
    memcpy(ud, "\x02\x70\x00", 3);
    memcpy(ud + 3, pkt, plen);
    rsp_sms_tpdu t;
    memset(&t, 0, sizeof(t));
    t.type = RSP_SMS_DELIVER;
    rsp_sms_addr_set(&t.addr, 0x91, "447700900001");
    t.ud = ud;
    t.ud_len = plen + 3;
    rsp_buf tp = RSP_BUF_INIT;
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    int rc = rsp_sms_tpdu_build(&t, &tp) || rsp_euicc_sms_pp(a->c, tp.data, tp.len, a->now, &out, NULL) ||
             out.n_sms != 1;
    rsp_euicc_out_clear(&out);
    rsp_buf_free(&tp);
    return rc;
}

/* Also used by bench_fleet_sms.c. Card i: EID 890490320000000000<i, 12 digits> (+ check digits),
 * MSISDN 4479<i, 8 digits>; the fleet's SCP80 keys are 16 x 42. */
rsp_err rsp_bench_make_fleet(rsp_bench *b, const char *dir, long n, const rsp_buf *pkg, const char *smsr_msisdn,
                             double *secs)
{
    rsp_eckey *ci = NULL, *eum = NULL, *ecasd = NULL;
    rsp_buf cert = RSP_BUF_INIT;
    uint8_t sk[32], pk_ci[65], serial = 1;
    rsp_gpcert_template t = {&serial, 1, "EUM1", "ECASD", 0x82, "20261121", "20361121", RSP_GPCERT_ROLE_ECASD, NULL, 0};
    rsp_err e = rsp_ec_generate(RSP_CURVE_P256, &ci);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &eum);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &ecasd);
    e = e ? e : rsp_gpcert_issue(&t, ecasd, eum, &cert);
    e = e ? e : rsp_ec_private_scalar(ecasd, sk);
    e = e ? e : rsp_ec_public_point(ci, pk_ci);
    rsp_euicc_fleet *f = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    e = e ? e : rsp_euicc_fleet_create(dir, &d, &f);
    rsp_euicc_init in;
    memset(&in, 0, sizeof(in));
    in.sk_ecasd = sk;
    in.sk_ecasd_len = 32;
    in.curve = RSP_CURVE_P256;
    in.cert_ecasd = cert.data;
    in.cert_ecasd_len = cert.len;
    in.pk_ci = pk_ci;
    in.pk_ci_len = 65;
    in.scp80_kvn = 1;
    memset(in.scp80_kic, 0x42, 16);
    memset(in.scp80_kid, 0x42, 16);
    in.scp81_kvn = 0x40;
    snprintf(in.smsr_msisdn, sizeof(in.smsr_msisdn), "%s", smsr_msisdn);
    in.profile = pkg->data;
    in.profile_len = pkg->len;
    in.memory = 512 * 1024;
    double t0 = rsp_bench_now();
    rsp_bench_progress(b, "manufacturing the fleet");
    for (long i = 0; !e && i < n; i++) {
        char d30[40];
        snprintf(d30, sizeof(d30), "890490320000000000%012ld", i);
        e = rsp_eid_complete(d30, in.eid);
        snprintf(in.msisdn, sizeof(in.msisdn), "4479%08ld", i % 100000000);
        if (!e && i % 1000 == 0)
            e = rsp_euicc_fleet_begin(f);
        e = e ? e : rsp_euicc_fleet_add(f, &in, &d);
        if (!e && (i % 1000 == 999 || i == n - 1))
            e = rsp_euicc_fleet_commit(f);
    }
    if (secs)
        *secs = rsp_bench_now() - t0;
    if (e)
        fprintf(stderr, "rsp: bench: making the fleet: %s\n", d.msg[0] ? d.msg : rsp_err_msg(e));
    rsp_euicc_fleet_close(f);
    rsp_wipe(sk, sizeof(sk));
    rsp_buf_free(&cert);
    rsp_ec_free(ci);
    rsp_ec_free(eum);
    rsp_ec_free(ecasd);
    return e;
}

int rsp_bench_euicc(rsp_bench *b, int argc, char **argv)
{
    long n = 100000;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cards") == 0 && i + 1 < argc)
            n = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
    }
    if (n < 1) {
        fprintf(stderr, "rsp: bench euicc: --cards must be at least 1\n");
        return RSP_EXIT_USAGE;
    }
    const char *shared = getenv("RSP_SHARED_DIR");
    char path[1024], tmp[] = "/tmp/rsp-bench-euicc.XXXXXX";
    snprintf(path, sizeof(path), "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", shared && *shared ? shared : "../shared");
    rsp_buf pkg = RSP_BUF_INIT;
    if (rsp_cli_read_file(path, &pkg) != RSP_OK) {
        fprintf(stderr, "rsp: bench euicc: cannot load %s (set RSP_SHARED_DIR)\n", path);
        return RSP_EXIT_USAGE;
    }
    if (!dir && !(dir = mkdtemp(tmp))) {
        rsp_buf_free(&pkg);
        return RSP_EXIT_FAIL;
    }
    double make_s = 0;
    int rc = rsp_bench_make_fleet(b, dir, n, &pkg, "447700900001", &make_s) == RSP_OK ? RSP_EXIT_OK : RSP_EXIT_FAIL;
    rsp_buf_free(&pkg);
    if (rc)
        return rc;
    rsp_bench_report(b, "euicc manufacture (cards/s)", (double)n / make_s, "cards/s", NULL, 0);

    long rss0 = rsp_cli_rss_kib();
    double t0 = rsp_bench_now();
    rsp_euicc_fleet *f = NULL;
    if (rsp_euicc_fleet_open(dir, NULL, &f) != RSP_OK)
        return RSP_EXIT_FAIL;
    double open_s = rsp_bench_now() - t0;
    long rss1 = rsp_cli_rss_kib();
    rsp_bench_report(b, "euicc fleet open (ms)", open_s * 1000, "ms", NULL, 0);
    rsp_bench_report(b, "euicc RSS after open (MB)", (double)rss1 / 1024, "MB", NULL, 0);
    rsp_bench_report(b, "euicc RAM per card after open (B)", (double)(rss1 - rss0) * 1024 / (double)n, "B", NULL, 0);

    /* Every card's first-attach notification falls due: the tick loads each card and sends one SMS. */
    rsp_bench_progress(b, "ticking every card (loads its state)");
    t0 = rsp_bench_now();
    size_t sent = 0;
    for (size_t i = 0; i < rsp_euicc_fleet_count(f); i++) {
        rsp_euicc_out out;
        memset(&out, 0, sizeof(out));
        if (rsp_euicc_tick(rsp_euicc_fleet_at(f, i), 1800000000000LL, &out, NULL) == RSP_OK)
            sent += out.n_sms;
        rsp_euicc_out_clear(&out);
    }
    double tick_s = rsp_bench_now() - t0;
    long rss2 = rsp_cli_rss_kib();
    rsp_bench_report(b, "euicc tick of every card (ms)", tick_s * 1000, "ms", NULL, 0);
    rsp_bench_report(b, "euicc notifications sent", (double)sent, "SMS", NULL, 0);
    rsp_bench_report(b, "euicc RSS with every card loaded (MB)", (double)rss2 / 1024, "MB", NULL, 0);

    rt_arg a;
    memset(&a, 0, sizeof(a));
    a.c = rsp_euicc_fleet_at(f, 0);
    a.now = 1800000000000LL;
    memset(a.key, 0x42, 16);
    static const uint8_t gs[] = {0x80, 0xF2, 0x40, 0x02, 0x02, 0x4F, 0x00};
    rsp_bytes one = {gs, sizeof(gs)};
    rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, &one, 1, &a.script);
    rsp_bench_progress(b, "ECDSA verify floor");
    double floor_v = rsp_bench_floor_ecdsa_verify(b, RSP_CURVE_P256);
    rsp_bench_progress(b, "SCP80 round trips with a durable counter");
    double rt = rsp_bench_rate(b, step_roundtrip, &a);
    rsp_bench_report(b, "euicc SMS-PP round trips, committed (/s)", rt, "op/s", "ECDSA P-256 verify", floor_v);
    rsp_buf_free(&a.script);
    rsp_euicc_fleet_close(f);
    if (strcmp(dir, tmp) == 0) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "rsp: bench euicc: could not remove %s\n", tmp);
    }
    return rt > 0 ? RSP_EXIT_OK : RSP_EXIT_FAIL;
}
