/* `rsp bench smsr-engine` (was `rsp bench smsr`; that name now runs smsr-e2e, issue 9's figure): ES4.EnableProfile operations through the SM-SR engine on SQLite, one card
 * switching between two profiles: submit (policy checks, durable op), claim + fenced counter +
 * SCP80 packet, the card's PoR (card-role codecs, in process), PoR matched through the store,
 * notification 02 opened, EIS updated, op settled, 3A08 confirmation packet built. Ops/s and p50/p99
 * latency beside the floor of the same run: the SCP80 crypto of one operation (4 packets: command,
 * PoR, notification, confirmation = 4x AES-128-CBC + 4x CMAC on OpenSSL). SMPP and the card model
 * are not in this loop (see docs/modules/smsr.md: enable/disable over SMS needs a downloaded profile). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/smsr.h"
#include "rsp/store.h"
#include "rsp/tlv.h"

#define B_EID "89049032123451234512345678901235"
static const char *const AIDS[2] = {"A0000005591010FFFFFFFF8900001000", "A0000005591010FFFFFFFF8900001100"};
static const char *const ICCIDS[2] = {"8988247000000000011", "8988247000000000029"};

typedef struct bctx {
    rsp_store *st;
    rsp_smsr *e;
    uint8_t keys[32];
    uint64_t mo_cntr, n;
    double *lat;
    size_t nlat, cap;
    int64_t now;
} bctx;

static int card_por(bctx *c, const rsp_smsr_packet *p, rsp_buf *por)
{
    rsp_scp80_keys k = {c->keys, 16, c->keys + 16, 16};
    uint8_t work[300], out[300];
    rsp_scp80_cmd cmd;
    size_t n = 0;
    if (p->n != 1 || p->parts[0].len < 4 ||
        rsp_scp80_cmd_open(&k, p->parts[0].data + 3, p->parts[0].len - 3, work, sizeof(work), &cmd, NULL) != RSP_OK)
        return -1;
    const uint8_t resp[] = {0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00};
    if (rsp_scp80_por_build(&k, &cmd.h, 0, resp, sizeof(resp), out, sizeof(out), &n, NULL) != RSP_OK)
        return -1;
    rsp_buf_reset(por);
    return rsp_buf_append(por, out, n) == RSP_OK ? 0 : -1;
}

static int card_notif(bctx *c, const char *aid_hex, uint16_t seq, rsp_buf *pkt)
{
    uint8_t e1[64], aid[16], eid[16];
    rsp_hex_decode_fixed(B_EID, eid, 16, NULL);
    rsp_hex_decode_fixed(aid_hex, aid, 16, NULL);
    size_t i = 0;
    e1[i++] = 0xE1, e1[i++] = 0x2B, e1[i++] = 0x4C, e1[i++] = 0x10;
    memcpy(e1 + i, eid, 16), i += 16;
    e1[i++] = 0x4D, e1[i++] = 0x01, e1[i++] = 0x02, e1[i++] = 0x4E, e1[i++] = 0x02;
    e1[i++] = (uint8_t)(seq >> 8), e1[i++] = (uint8_t)seq, e1[i++] = 0x4F, e1[i++] = 0x10;
    memcpy(e1 + i, aid, 16), i += 16;
    rsp_scp80_hdr h = {.spi = {0x16, 0x00}, .kic = 0x12, .kid = 0x12, .tar = {0, 0, 1}};
    uint64_t v = ++c->mo_cntr;
    for (int j = 4; j >= 0; j--, v >>= 8)
        h.cntr[j] = (uint8_t)v;
    rsp_scp80_keys k = {c->keys, 16, c->keys + 16, 16};
    uint8_t out[200];
    size_t n = 0;
    if (rsp_scp80_cmd_build(&k, &h, e1, i, out, sizeof(out), &n, NULL) != RSP_OK)
        return -1;
    rsp_buf_reset(pkt);
    return rsp_buf_append(pkt, out, n) == RSP_OK ? 0 : -1;
}

/* One ES4.EnableProfile of the disabled profile, to completion. */
static int one_op(void *arg)
{
    bctx *c = arg;
    double t0 = rsp_bench_now();
    int target = (int)((c->n + 1) % 2); /* profile 0 starts enabled */
    char fcid[32];
    snprintf(fcid, sizeof(fcid), "b%llu", (unsigned long long)c->n);
    c->now++;
    rsp_smsr_request q = {RSP_SMSR_FN_ENABLE, RSP_SMSR_ROLE_OPERATOR, "op1", fcid, B_EID, ICCIDS[target], c->now, 3600};
    rsp_smsr_result r;
    rsp_smsr_packet p, conf;
    rsp_buf por = RSP_BUF_INIT, mo = RSP_BUF_INIT;
    int rc = -1;
    memset(&p, 0, sizeof(p));
    memset(&conf, 0, sizeof(conf));
    if (rsp_smsr_submit(c->e, &q, &r) != RSP_OK || r.state != RSP_STORE_OP_QUEUED ||
        rsp_smsr_next(c->e, c->now, &p) != RSP_OK || card_por(c, &p, &por) ||
        rsp_smsr_on_por(c->e, B_EID, por.data, por.len, c->now, NULL) != RSP_OK ||
        card_notif(c, AIDS[target], (uint16_t)(c->n + 1), &mo) ||
        rsp_smsr_on_mo(c->e, B_EID, mo.data, mo.len, c->now, &conf, NULL) != RSP_OK)
        goto out;
    if (rsp_smsr_result_get(c->e, r.op_id, &r) != RSP_OK || r.state != RSP_STORE_OP_DONE)
        goto out;
    if (c->nlat == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 1024;
        double *nv = realloc(c->lat, nc * sizeof(*nv));
        if (!nv)
            goto out;
        c->lat = nv;
        c->cap = nc;
    }
    c->lat[c->nlat++] = rsp_bench_now() - t0;
    c->n++;
    rc = 0;
out:
    rsp_smsr_packet_clear(&p);
    rsp_smsr_packet_clear(&conf);
    rsp_buf_free(&por);
    rsp_buf_free(&mo);
    return rc;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int setup(bctx *c, const char *dir)
{
    char uri[300];
    snprintf(uri, sizeof(uri), "sqlite:%s/smsr.db", dir);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    cfg.worker_id = "bench";
    if (rsp_store_open(uri, NULL, &c->st) != RSP_OK || rsp_smsr_new(c->st, &cfg, &c->e) != RSP_OK)
        return -1;
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), B_EID);
    if (rsp_store_eis_put(c->st, &eis) != RSP_OK)
        return -1;
    for (int i = 0; i < 2; i++) {
        rsp_store_profile p;
        memset(&p, 0, sizeof(p));
        snprintf(p.iccid, sizeof(p.iccid), "%s", ICCIDS[i]);
        snprintf(p.eid, sizeof(p.eid), B_EID);
        snprintf(p.isdp_aid, sizeof(p.isdp_aid), "%s", AIDS[i]);
        snprintf(p.mno_id, sizeof(p.mno_id), "op1");
        snprintf(p.msisdn, sizeof(p.msisdn), "44770090010%d", i);
        p.state = i == 0 ? RSP_STORE_PROFILE_ENABLED : RSP_STORE_PROFILE_DISABLED;
        if (rsp_store_profile_put(c->st, &p) != RSP_OK)
            return -1;
    }
    if (rsp_random(c->keys, sizeof(c->keys)) != RSP_OK)
        return -1;
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), B_EID);
    ks.kvn = 1;
    int rc = rsp_buf_set(&ks.keys, c->keys, 32) == RSP_OK && rsp_store_keyset_put(c->st, &ks) == RSP_OK ? 0 : -1;
    rsp_store_keyset_clear(&ks);
    c->now = 1800000000;
    c->mo_cntr = 1;
    return rc;
}

int rsp_bench_smsr(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/rsp-bench-smsr-XXXXXX";
    if (!mkdtemp(dir))
        return rsp_cli_usage_error("bench smsr-engine: cannot make a temporary directory");
    bctx c;
    memset(&c, 0, sizeof(c));
    int rc = RSP_EXIT_OK;
    if (setup(&c, dir) != 0) {
        rc = rsp_cli_usage_error("bench smsr-engine: setup failed");
        goto out;
    }
    rsp_bench_progress(b, "smsr: ES4.EnableProfile through the engine on SQLite");
    double rate = rsp_bench_rate(b, one_op, &c);
    if (rate <= 0 || c.nlat == 0) {
        rc = rsp_cli_usage_error("bench smsr-engine: an operation failed");
        goto out;
    }
    qsort(c.lat, c.nlat, sizeof(double), cmp_d);
    double p50 = c.lat[c.nlat / 2] * 1e3, p99 = c.lat[(c.nlat * 99) / 100] * 1e3;
    rsp_bench_progress(b, "smsr: OpenSSL floor");
    double cbc = rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 48) * 1e6 / 48;
    double mac = rsp_bench_floor_cmac_ops(b, 56);
    double floor = (cbc > 0 && mac > 0) ? 1.0 / (4.0 / cbc + 4.0 / mac) : 0;
    rsp_bench_report(b, "ES4.EnableProfile ops (submit..notification, engine + SQLite)", rate, "ops/s",
                     "4x AES-128-CBC + 4x CMAC", floor);
    rsp_bench_report(b, "ES4.EnableProfile latency p50", p50, "ms", NULL, 0);
    rsp_bench_report(b, "ES4.EnableProfile latency p99", p99, "ms", NULL, 0);
out:
    free(c.lat);
    rsp_smsr_free(c.e);
    if (c.st)
        rsp_store_close(c.st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = rc ? rc : RSP_EXIT_FAIL;
    return rc;
}
