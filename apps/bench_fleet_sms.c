/* `rsp bench fleet-sms [--cards N] [--window W]`: the SMS path below the SM-SR, as processes.
 *
 * Manufactures N cards (default 200) into a fleet, starts `rsp smsc` and `rsp euicc run` as children,
 * and plays the SM-SR itself with one in-process ESME: every card always has one SCP80 command packet
 * (GET STATUS to the ISD-R, counter checked and committed by the card) in flight; each PoR that comes
 * back sends the card's next packet. So the figure is what the SMSC and the card fleet sustain (submit_sm
 * -> deliver_sm -> card NVM commit -> PoR submit_sm -> deliver_sm), with N commands outstanding, and
 * the CPU each process spends per round trip. An ES4.EnableProfile over SMS costs two such round trips
 * plus one MO notification, so 1,000 enables/s need about 2,000 round trips/s here.
 * The floor beside it: the SCP80 crypto of one round trip (2x AES-128-CBC + 2x CMAC over 64 bytes),
 * measured in the same run. Children are stopped on every path; the scratch folder is removed when the
 * run succeeded (kept with the logs otherwise). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench.h"
#include "bench_procs.h"
#include "cli.h"
#include "rsp/euicc.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/smpp.h"

enum { P_SMSC, P_EUICC, P_N };
#define FS_SMSR "447700900001"

typedef struct fs_card {
    char msisdn[21]; /* an SMPP address */
    uint64_t cntr;
    double sent;
} fs_card;

typedef struct fs {
    rsp_bench *b;
    struct event_base *base;
    rsp_smpp_esme *esme;
    fs_card *card;
    size_t n;
    rsp_buf script;
    bool measuring;
    size_t done, lost, bad;
    double *lat;
    size_t nlat, caplat;
} fs;

static void send_cmd(fs *s, size_t i);

static void on_submitted(void *arg, rsp_err err, uint32_t status, const char *message_id)
{
    (void)message_id;
    fs *s = arg;
    if (err != RSP_OK) {
        s->lost++;
        fprintf(stderr, "rsp: bench fleet-sms: submit refused: %s 0x%X\n", rsp_err_name(err), status);
    }
}

static void send_cmd(fs *s, size_t i)
{
    fs_card *c = &s->card[i];
    rsp_scp80_hdr h = {{0x16, 0x39}, 0x12, 0x12, {0, 0, 1}, {0}, 0, 0};
    uint64_t n = ++c->cntr;
    for (int k = 0; k < 5; k++)
        h.cntr[k] = (uint8_t)(n >> (8 * (4 - k)));
    uint8_t key[16];
    memset(key, 0x42, sizeof(key));
    rsp_scp80_keys k = {key, 16, key, 16};
    rsp_smpp_pdu sm;
    rsp_smpp_pdu_init(&sm, RSP_SMPP_SUBMIT_SM, 0);
    size_t plen = 0;
    if (rsp_scp80_cmd_build(&k, &h, s->script.data, s->script.len, sm.short_message + 3, RSP_SMPP_MAX_SM - 3, &plen,
                            NULL) != RSP_OK || plen + 3 > 140) {
        s->lost++;
        return;
    }
    memcpy(sm.short_message, "\x02\x70\x00", 3); /* UDH: command packet (TS 31.115) */
    sm.sm_length = (uint8_t)(plen + 3);
    sm.src_ton = sm.src_npi = sm.dst_ton = sm.dst_npi = 1;
    snprintf(sm.source_addr, sizeof(sm.source_addr), FS_SMSR);
    memcpy(sm.dest_addr, c->msisdn, sizeof(sm.dest_addr));
    sm.esm_class = RSP_SMPP_ESM_UDHI;
    sm.protocol_id = RSP_SMPP_PID_SIM_DOWNLOAD;
    sm.data_coding = RSP_SMPP_DCS_SIM_BINARY;
    c->sent = rsp_bench_now();
    if (rsp_smpp_esme_submit(s->esme, &sm, on_submitted, s) != RSP_OK)
        s->lost++;
}

static int cmp_msisdn(const void *a, const void *b)
{
    return strcmp((const char *)a, ((const fs_card *)b)->msisdn);
}

static uint32_t on_deliver(void *arg, const rsp_smpp_pdu *p)
{
    fs *s = arg;
    /* PoRs only (UDH 02 71 00); the cards' own notifications (02 70 00) and receipts are ignored. */
    if ((p->esm_class & RSP_SMPP_ESM_RECEIPT) || p->sm_length < 3 || memcmp(p->short_message, "\x02\x71\x00", 3))
        return RSP_SMPP_ROK;
    fs_card *c = bsearch(p->source_addr, s->card, s->n, sizeof(*s->card), cmp_msisdn);
    if (!c)
        return RSP_SMPP_ROK;
    /* The PoR must verify (CC, deciphering) and say 00 for this card's last counter, else the card did
     * not really run the command. */
    rsp_scp80_hdr h = {{0x16, 0x39}, 0x12, 0x12, {0, 0, 1}, {0}, 0, 0};
    for (int k = 0; k < 5; k++)
        h.cntr[k] = (uint8_t)(c->cntr >> (8 * (4 - k)));
    uint8_t key[16], work[RSP_SMPP_MAX_SM];
    memset(key, 0x42, sizeof(key));
    rsp_scp80_keys k = {key, 16, key, 16};
    rsp_scp80_por por;
    if (rsp_scp80_por_open(&k, &h, p->short_message + 3, p->sm_length - 3u, work, sizeof(work), &por, NULL) != RSP_OK ||
        !por.cc_valid || por.status != 0 || memcmp(por.cntr, h.cntr, 5)) {
        s->bad++;
        return RSP_SMPP_ROK; /* this card stops: its last command is not confirmed */
    }
    if (s->measuring) {
        s->done++;
        if (s->nlat == s->caplat) {
            size_t cap = s->caplat ? 2 * s->caplat : 4096;
            double *v = realloc(s->lat, cap * sizeof(*v));
            if (v) {
                s->lat = v;
                s->caplat = cap;
            }
        }
        if (s->nlat < s->caplat)
            s->lat[s->nlat++] = rsp_bench_now() - c->sent;
    }
    send_cmd(s, (size_t)(c - s->card));
    return RSP_SMPP_ROK;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void run_for(struct event_base *base, double secs)
{
    struct timeval tv = {(time_t)secs, (suseconds_t)((secs - (double)(time_t)secs) * 1e6)};
    struct event *ev = evtimer_new(base, on_stop, base);
    if (ev && evtimer_add(ev, &tv) == 0)
        event_base_dispatch(base);
    if (ev)
        event_free(ev);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Binds our ESME, primes every card with one command, warms up, measures. */
static int measure(fs *s, rsp_bench_procs *pr, uint16_t port, unsigned window)
{
    rsp_smpp_esme_opts eo = {0};
    eo.host = "127.0.0.1";
    eo.port = port;
    eo.system_id = "smsr";
    eo.address_range = FS_SMSR;
    eo.window = window;
    eo.max_queue = 1000000;
    eo.on_deliver = on_deliver;
    eo.arg = s;
    if (rsp_smpp_esme_new(s->base, &eo, &s->esme) != RSP_OK)
        return RSP_EXIT_FAIL;
    for (int k = 0; k < 100 && !rsp_smpp_esme_bound(s->esme); k++)
        run_for(s->base, 0.05);
    if (!rsp_smpp_esme_bound(s->esme)) {
        fprintf(stderr, "rsp: bench fleet-sms: the SMSC did not bind us\n");
        return RSP_EXIT_FAIL;
    }
    for (size_t i = 0; i < s->n; i++)
        send_cmd(s, i);
    rsp_bench_progress(s->b, "warming up (1 s)");
    run_for(s->base, 1.0);
    double cpu0[P_N], cpu1[P_N];
    for (int i = 0; i < P_N; i++)
        cpu0[i] = rsp_bench_procs_cpu(pr, (size_t)i);
    s->measuring = true;
    double t0 = rsp_bench_now();
    run_for(s->base, s->b->seconds);
    double secs = rsp_bench_now() - t0;
    s->measuring = false;
    for (int i = 0; i < P_N; i++)
        cpu1[i] = rsp_bench_procs_cpu(pr, (size_t)i);
    if (s->done == 0 || s->lost || s->bad) {
        fprintf(stderr, "rsp: bench fleet-sms: %zu round trips, %zu submits lost, %zu PoRs wrong\n", s->done, s->lost,
                s->bad);
        return RSP_EXIT_FAIL;
    }
    rsp_bench_progress(s->b, "SCP80 crypto floor");
    /* One round trip: the SM-SR wraps (CBC + CMAC), the card opens (CBC + CMAC), and the same for the PoR;
     * the floor counts the card's half and the SMSC none: 2x CBC + 2x CMAC over 64 bytes. */
    double cbc = rsp_bench_floor_cipher_mbs(s->b, "AES-128-CBC", 64) * 1e6 / 64, cmac = rsp_bench_floor_cmac_ops(s->b, 64);
    double floor = cbc > 0 && cmac > 0 ? 1.0 / (2.0 / cbc + 2.0 / cmac) : 0;
    char name[96];
    snprintf(name, sizeof(name), "SCP80 round trips via rsp smsc + rsp euicc run (%zu in flight)", s->n);
    rsp_bench_report(s->b, name, (double)s->done / secs, "op/s", "SCP80 2x AES-128-CBC + 2x CMAC", floor);
    qsort(s->lat, s->nlat, sizeof(*s->lat), cmp_d);
    rsp_bench_report(s->b, "round trip latency p50", s->lat[s->nlat / 2] * 1000, "ms", NULL, 0);
    rsp_bench_report(s->b, "round trip latency p99", s->lat[(size_t)((double)s->nlat * 0.99)] * 1000, "ms", NULL, 0);
    static const char *const names[P_N] = {"CPU per round trip: rsp smsc", "CPU per round trip: rsp euicc run"};
    for (int i = 0; i < P_N; i++)
        rsp_bench_report(s->b, names[i], (cpu1[i] - cpu0[i]) / (double)s->done * 1e6, "us",
                         "SCP80 crypto floor (us)", floor > 0 ? 1e6 / floor : 0);
    return RSP_EXIT_OK;
}

int rsp_bench_fleet_sms(rsp_bench *b, int argc, char **argv)
{
    long n = 200, window = 100;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--cards") == 0 && i + 1 < argc)
            n = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
            window = strtol(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "rsp: bench fleet-sms: unknown argument '%s' (--cards N, --window W)\n", argv[i]);
            return RSP_EXIT_USAGE;
        }
    }
    if (n < 1 || n > 100000 || window < 1 || window > 100000) {
        fprintf(stderr, "rsp: bench fleet-sms: --cards 1..100000, --window 1..100000\n");
        return RSP_EXIT_USAGE;
    }
    const char *shared = getenv("RSP_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", shared && *shared ? shared : "../shared");
    rsp_buf pkg = RSP_BUF_INIT;
    if (rsp_cli_read_file(path, &pkg) != RSP_OK) {
        fprintf(stderr, "rsp: bench fleet-sms: cannot load %s (set RSP_SHARED_DIR)\n", path);
        return RSP_EXIT_USAGE;
    }
    fs s;
    memset(&s, 0, sizeof(s));
    s.b = b;
    s.n = (size_t)n;
    s.card = calloc(s.n, sizeof(*s.card));
    rsp_bench_procs pr;
    char dir[] = "/tmp/rsp-bench-fleet-sms.XXXXXX", fleet[64], log[P_N][96], listen[32], ctl[96];
    if (!s.card || rsp_bench_procs_init(&pr) != RSP_OK || !mkdtemp(dir)) {
        rsp_buf_free(&pkg);
        free(s.card);
        return RSP_EXIT_FAIL;
    }
    snprintf(fleet, sizeof(fleet), "%s/fleet", dir);
    snprintf(log[P_SMSC], sizeof(log[P_SMSC]), "%s/smsc.log", dir);
    snprintf(log[P_EUICC], sizeof(log[P_EUICC]), "%s/euicc.log", dir);
    snprintf(ctl, sizeof(ctl), "%s/ctl.sock", dir);
    rsp_err e = rsp_bench_make_fleet(b, fleet, (long)s.n, &pkg, FS_SMSR, NULL);
    for (size_t i = 0; i < s.n; i++) /* the MSISDNs rsp_bench_make_fleet gives */
        snprintf(s.card[i].msisdn, sizeof(s.card[i].msisdn), "4479%08zu", i % 100000000);
    rsp_buf_free(&pkg);
    uint16_t port = 0;
    e = e ? e : rsp_bench_procs_free_port(&port);
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", port);
    rsp_bench_progress(b, "starting rsp smsc and rsp euicc run");
    e = e ? e : RSP_BENCH_PROCS_START(&pr, P_SMSC, log[P_SMSC], "smsc", "--listen", listen);
    e = e ? e : rsp_bench_procs_wait_file(log[P_SMSC], "listening");
    e = e ? e : RSP_BENCH_PROCS_START(&pr, P_EUICC, log[P_EUICC], "euicc", "run", "--fleet", fleet, "--smsc", listen,
                                      "--control", ctl);
    e = e ? e : rsp_bench_procs_wait_file(log[P_EUICC], "bound to the SMSC");
    int rc = RSP_EXIT_FAIL;
    s.base = e ? NULL : event_base_new();
    static const uint8_t gs[] = {0x80, 0xF2, 0x40, 0x02, 0x02, 0x4F, 0x00}; /* GET STATUS, ISD-Ps */
    rsp_bytes one = {gs, sizeof(gs)};
    if (s.base && rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, &one, 1, &s.script) == RSP_OK)
        rc = measure(&s, &pr, port, (unsigned)window);
    else
        fprintf(stderr, "rsp: bench fleet-sms: setup failed: %s\n", rsp_err_msg(e ? e : RSP_ERR_NOMEM));
    rsp_smpp_esme_free(s.esme);
    if (s.base)
        event_base_free(s.base);
    rsp_bench_procs_stop(&pr);
    if (rc == RSP_EXIT_OK) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "rsp: bench fleet-sms: could not remove %s\n", dir);
    } else {
        fprintf(stderr, "rsp: bench fleet-sms: logs kept in %s\n", dir);
    }
    rsp_buf_free(&s.script);
    free(s.lat);
    free(s.card);
    return rc;
}
