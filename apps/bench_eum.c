/* `rsp bench eum`: cards per second made by `rsp eum make`'s per-card path (ECASD key and certificate,
 * personalised profile, card committed to a fleet database in groups, signed EIS in SOAP with
 * XML-DSig and JSON, files written), in a temporary folder, with the two key wrapping modes.
 *
 * The floor is the public-key work a card needs, on OpenSSL directly in the same run: ECASD key
 * generation plus three ECDSA signatures (CERT.ECASD, EumSignature, XML-DSig), counted as four
 * signatures; ECIES adds an ephemeral key and an ECDH. What is left above the floor is OpenRSP's. */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "eum_eis.h"
#include "eum_int.h"
#include "rsp/gpcert.h"

typedef struct eum_arg {
    rsp_eum_ctx x;
    rsp_euicc_fleet *f;
    char eis_dir[300];
    rsp_buf keys, xml, json, scratch;
    uint64_t next;
} eum_arg;

#define BENCH_GROUP 500

static int step_card(void *arg)
{
    eum_arg *a = arg;
    rsp_eum_ids ids;
    rsp_es_msg msg;
    memset(&msg, 0, sizeof(msg));
    uint64_t i = a->next++;
    rsp_err e = i % BENCH_GROUP == 0 ? rsp_euicc_fleet_begin(a->f) : RSP_OK;
    e = e ? e : rsp_eum_ids_at("890490320000000000000000000001", "894400000000000001", "001010000000001",
                               "447700900001", i, &ids);
    e = e ? e : rsp_eum_card_make(&a->x, &ids, a->f, &msg, &a->keys, NULL);
    e = e ? e : rsp_eum_eis_write_dsig(&msg, a->eis_dir, a->x.eum.key, &a->xml, &a->json, &a->scratch, NULL);
    rsp_es_msg_free(&msg);
    rsp_wipe(a->keys.data, a->keys.len);
    a->keys.len = 0;
    if (i % BENCH_GROUP == BENCH_GROUP - 1) {
        rsp_err ce = rsp_euicc_fleet_commit(a->f);
        e = e ? e : ce;
    }
    return e ? 1 : 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A PKI made in memory: a CI key and an EUM certificate it signs. */
static rsp_err make_ctx(rsp_eum_ctx *x, const char *pkg_path)
{
    rsp_eckey *ci = NULL;
    rsp_err e = rsp_ec_generate(RSP_CURVE_P256, &ci);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &x->eum.key);
    e = e ? e : rsp_ec_public_point(ci, x->pk_ci);
    snprintf(x->eum.id, sizeof(x->eum.id), "EUM-BENCH");
    static const uint8_t serial[] = {0x02};
    rsp_gpcert_template t = {serial, 1, "CI-BENCH", "EUM-BENCH", 0x82, "20260101", "20351231", RSP_GPCERT_ROLE_EUM,
                             NULL, 0};
    e = e ? e : rsp_gpcert_issue(&t, x->eum.key, ci, &x->eum.gpcert_der);
    e = e ? e : rsp_gpcert_decode(x->eum.gpcert_der.data, x->eum.gpcert_der.len, &x->eum.gpcert, NULL);
    rsp_ec_free(ci);
    snprintf(x->today, sizeof(x->today), "20260101");
    snprintf(x->expiry, sizeof(x->expiry), "20351231");
    rsp_es_datetime_now(x->production_date);
    e = e ? e : rsp_cli_read_file(pkg_path, &x->pkg_der);
    e = e ? e : rsp_saip_parse(x->pkg_der.data, x->pkg_der.len, 0, &x->pkg, NULL);
    x->smsr_id = "SMSR-BENCH";
    x->mno_id = "MNO1";
    x->platform_type = "OpenRSP eUICC simulator";
    x->platform_version = "1.0";
    x->memory = 1048576;
    snprintf(x->smsr_msisdn, sizeof(x->smsr_msisdn), "447700900000");
    snprintf(x->smsr_host, sizeof(x->smsr_host), "127.0.0.1");
    snprintf(x->smsr_uri, sizeof(x->smsr_uri), "/gsma/adminagent");
    x->smsr_port = 8481;
    return e;
}

/* One measurement: a fresh fleet in a fresh folder, removed afterwards. */
static double run(rsp_bench *b, eum_arg *a, const char *base)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/fleet", base);
    snprintf(a->eis_dir, sizeof(a->eis_dir), "%s/eis", dir);
    a->next = 0;
    double r = -1;
    if (rsp_euicc_fleet_create(dir, NULL, &a->f) == RSP_OK && rsp_cli_mkdirs(a->eis_dir) == RSP_OK) {
        r = rsp_bench_rate(b, step_card, a);
        if (a->next % BENCH_GROUP && rsp_euicc_fleet_commit(a->f) != RSP_OK)
            r = -1;
    }
    rsp_euicc_fleet_close(a->f);
    a->f = NULL;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return r;
}

int rsp_bench_eum(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *shared = getenv("RSP_SHARED_DIR");
    char pkg[1024], base[] = "/tmp/rsp-bench-eum-XXXXXX";
    snprintf(pkg, sizeof(pkg), "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", shared && *shared ? shared : "../shared");
    eum_arg a;
    memset(&a, 0, sizeof(a));
    rsp_eckey *smsr = NULL;
    uint8_t tk[RSP_EUM_TK_LEN];
    int rc = RSP_EXIT_OK;
    if (make_ctx(&a.x, pkg) != RSP_OK || rsp_ec_generate(RSP_CURVE_P256, &smsr) != RSP_OK || !mkdtemp(base)) {
        fprintf(stderr, "rsp: bench eum: cannot set up (profile %s; set RSP_SHARED_DIR)\n", pkg);
        rc = RSP_EXIT_USAGE;
    }
    if (rc == RSP_EXIT_OK) {
        rsp_bench_progress(b, "OpenSSL floor: ECDSA sign and ECDH (P-256)");
        double sign = rsp_bench_floor_ecdsa_sign(b, RSP_CURVE_P256), ecdh = rsp_bench_floor_ecdh(b, RSP_CURVE_P256);
        double floor_tk = sign / 4, floor_ecies = 1 / (5 / sign + 1 / ecdh);

        rsp_bench_progress(b, "cards, transport-key wrapping");
        rsp_random(tk, sizeof(tk));
        rsp_eum_wrap_for_transport(tk, &a.x.wrap);
        a.x.wrap_name = "aes128kw-transport-key";
        double r1 = run(b, &a, base);
        rsp_bench_report(b, "eum make, transport key (cards/s)", r1, "cards/s", "4 ECDSA signs (keygen + 3 signatures)",
                         floor_tk);
        rsp_eum_wrap_free(a.x.wrap);

        rsp_bench_progress(b, "cards, ECIES wrapping to an SM-SR key");
        rsp_eum_wrap_for_smsr(smsr, &a.x.wrap);
        a.x.wrap_name = "ecies-x963-sha256-aes128kw";
        a.x.has_isdp_aid = false;
        double r2 = run(b, &a, base);
        rsp_bench_report(b, "eum make, ECIES to the SM-SR (cards/s)", r2, "cards/s", "5 ECDSA signs + 1 ECDH",
                         floor_ecies);
        if (r1 < 0 || r2 < 0)
            rc = RSP_EXIT_FAIL;
        rmdir(base);
    }
    rsp_wipe(tk, sizeof(tk));
    rsp_ec_free(smsr);
    rsp_eum_wrap_free(a.x.wrap);
    a.x.wrap = NULL;
    rsp_saip_package_free(&a.x.pkg);
    rsp_buf_free(&a.x.pkg_der);
    rsp_pki_role_free(&a.x.eum);
    rsp_buf_free_secret(&a.keys);
    rsp_buf_free(&a.xml);
    rsp_buf_free(&a.json);
    rsp_buf_free(&a.scratch);
    return rc;
}
