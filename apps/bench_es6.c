/* `rsp bench es6`: the card's cost of one ES6 packet to the MNO-SD without the SMS and the database
 * (open the SCP80 command, build the file system view of the enabled profile's package, run SELECT
 * 7FF0 / SELECT 6F07 / READ BINARY, secure the PoR), the same with an UPDATE BINARY written back into
 * the package, and the Operator's side (script, packet, PoR opened and decoded). Floors measured in
 * this run: SHA-256 over the package (the view walks the whole package, every packet) and AES-128-CBC
 * + CMAC over the packet. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "euicc/mno_sd.h"
#include "rsp/es6.h"
#include "rsp/rapdu.h"

typedef struct es6_arg {
    rsp_buf pkg;
    uint8_t key[16];
    rsp_scp80_hdr h;
    rsp_buf pkt_read, pkt_update, por, resp, work, out;
    uint8_t porbuf[1024];
} es6_arg;

/* One packet as the card handles it (the counter check and the commit aside). */
static int card_packet(es6_arg *a, const rsp_buf *pkt, bool write_back)
{
    rsp_scp80_keys k = {a->key, 16, a->key, 16};
    rsp_scp80_cmd cmd;
    eu_efs fs;
    rsp_rapdu_script s;
    if (rsp_scp80_cmd_open(&k, pkt->data, pkt->len, a->work.data, a->work.len, &cmd, NULL) != RSP_OK ||
        eu_efs_load(a->pkg.data, a->pkg.len, &fs, NULL) != RSP_OK)
        return 1;
    eu_rfm r;
    eu_rfm_init(&r, &fs, &fs.pkg, false, true);
    rsp_buf_reset(&a->resp);
    int bad = rsp_rapdu_script_parse(RSP_RAPDU_EXPANDED, cmd.data, cmd.data_len, &s, NULL) != RSP_OK ||
              rsp_rapdu_execute(&s, eu_rfm_exec, &r, &a->resp) != RSP_OK;
    if (!bad && write_back)
        bad = !fs.dirty || eu_efs_encode(&fs, &a->out, NULL) != RSP_OK;
    eu_efs_free(&fs);
    size_t n = 0;
    return bad || rsp_scp80_por_build(&k, &cmd.h, 0, a->resp.data, a->resp.len, a->porbuf, sizeof(a->porbuf), &n,
                                      NULL) != RSP_OK;
}

static int step_read(void *arg) { es6_arg *a = arg; return card_packet(a, &a->pkt_read, false); }
static int step_update(void *arg) { es6_arg *a = arg; return card_packet(a, &a->pkt_update, true); }

static int step_operator(void *arg)
{
    es6_arg *a = arg;
    rsp_scp80_keys k = {a->key, 16, a->key, 16};
    rsp_es6_cmd c = {RSP_ES6_READ, {0x7FF0, 0x6F07}, 2, 0, NULL, 0};
    rsp_buf script = RSP_BUF_INIT, parts[4];
    for (int i = 0; i < 4; i++)
        rsp_buf_init(&parts[i]);
    size_t n = 0;
    rsp_es6_answer ans;
    int bad = rsp_es6_script(&c, &script) != RSP_OK ||
              rsp_es6_packet(&k, &a->h, script.data, script.len, 1, parts, 4, &n, NULL) != RSP_OK ||
              rsp_es6_answer_parse(&k, &a->h, a->por.data, a->por.len, &ans, NULL) != RSP_OK || ans.sw != 0x9000;
    rsp_buf_free(&script);
    for (int i = 0; i < 4; i++)
        rsp_buf_free(&parts[i]);
    return bad;
}

static rsp_err packet(es6_arg *a, const rsp_es6_cmd *c, rsp_buf *out)
{
    rsp_scp80_keys k = {a->key, 16, a->key, 16};
    rsp_buf script = RSP_BUF_INIT;
    uint8_t *p;
    size_t n = 0;
    rsp_err e = rsp_es6_script(c, &script);
    e = e ? e : rsp_buf_extend(out, script.len + RSP_SCP80_OVERHEAD, &p);
    e = e ? e : rsp_scp80_cmd_build(&k, &a->h, script.data, script.len, p, out->len, &n, NULL);
    out->len = n;
    rsp_buf_free(&script);
    return e;
}

int rsp_bench_es6(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    es6_arg a;
    memset(&a, 0, sizeof(a));
    int rc = RSP_EXIT_OK;
    const char *dir = getenv("RSP_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", dir && *dir ? dir : "../shared");
    for (int i = 0; i < 16; i++)
        a.key[i] = (uint8_t)i; /* the TS.48 MNO-SD keys */
    a.h = (rsp_scp80_hdr){{0x16, 0x39}, 0x22, 0x22, {0xB0, 0x01, 0x40}, {0, 0, 0, 0, 1}, 0, 0};
    static const uint8_t imsi[9] = {0x08, 0x09, 0x10, 0x10, 0x99, 0x99, 0x99, 0x99, 0x99};
    rsp_es6_cmd rd = {RSP_ES6_READ, {0x7FF0, 0x6F07}, 2, 0, NULL, 0};
    rsp_es6_cmd up = {RSP_ES6_UPDATE, {0x7FF0, 0x6F07}, 2, 0, imsi, 9};
    uint8_t *w;
    if (rsp_cli_read_file(path, &a.pkg) != RSP_OK) {
        fprintf(stderr, "rsp: bench es6: cannot load %s (set RSP_SHARED_DIR)\n", path);
        return RSP_EXIT_USAGE;
    }
    /* the PoR the Operator opens: the card's answer to the read */
    static const uint8_t resp[] = {0xAB, 0x10, 0x80, 0x01, 0x03, 0x23, 0x0B, 0x08, 0x09, 0x10,
                                   0x10, 0x99, 0x99, 0x99, 0x99, 0x99, 0x90, 0x00};
    rsp_scp80_keys k = {a.key, 16, a.key, 16};
    size_t n = 0;
    if (packet(&a, &rd, &a.pkt_read) != RSP_OK || packet(&a, &up, &a.pkt_update) != RSP_OK ||
        rsp_buf_extend(&a.work, 1024, &w) != RSP_OK ||
        rsp_buf_extend(&a.por, 256, &w) != RSP_OK ||
        rsp_scp80_por_build(&k, &a.h, 0, resp, sizeof(resp), a.por.data, a.por.len, &n, NULL) != RSP_OK) {
        fprintf(stderr, "rsp: bench es6: setup failed\n");
        rc = RSP_EXIT_FAIL;
        goto done;
    }
    a.por.len = n;
    rsp_bench_progress(b, "ES6 card and Operator");
    double rd_rate = rsp_bench_rate(b, step_read, &a);
    double up_rate = rsp_bench_rate(b, step_update, &a);
    double op_rate = rsp_bench_rate(b, step_operator, &a);
    double sha = rsp_bench_floor_sha256_mbs(b, a.pkg.len) * 1e6 / (double)a.pkg.len;
    double cmac = rsp_bench_floor_cmac_ops(b, 64);
    rsp_bench_report(b, "es6 card: read EF.IMSI packet (SCP80, package view, RFM, PoR)", rd_rate, "pkt/s",
                     "SHA-256 over the package", sha);
    rsp_bench_report(b, "es6 card: update EF.IMSI packet (+ package write-back)", up_rate, "pkt/s",
                     "SHA-256 over the package", sha);
    rsp_bench_report(b, "es6 operator: script + packet + PoR opened", op_rate, "op/s", "AES-CMAC 64 B", cmac);
    if (rd_rate < 0 || up_rate < 0 || op_rate < 0)
        rc = RSP_EXIT_FAIL;
done:
    rsp_buf_free_secret(&a.pkg);
    rsp_buf_free(&a.pkt_read);
    rsp_buf_free(&a.pkt_update);
    rsp_buf_free(&a.por);
    rsp_buf_free(&a.resp);
    rsp_buf_free(&a.work);
    rsp_buf_free_secret(&a.out);
    return rc;
}
