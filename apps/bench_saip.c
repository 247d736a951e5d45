/* `rsp bench saip`: profile package parsing and personalisation over the four TS.48 v7 packages.
 *
 * A parse is a single pass over memory with no crypto, so its floor is a memory-bound OpenSSL
 * primitive: SHA-256 over a buffer of the same size, measured in the same run. Parsing faster than
 * that floor means the walker costs less than hashing the package once. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "rsp/saip.h"

static const char *const ts48[4] = {
    "TS48v7_SAIP2.3_NoBERTLV.der",
    "TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der",
    "TS48v7_SAIP2.3_BERTLV_SUCI.der",
    "TS48v7_SAIP2.3_BERTLV_SUCI_NoRAMRFM.der",
};

typedef struct saip_arg {
    rsp_buf pkg[4];
    rsp_saip_package parsed[4];
    unsigned flags;
    unsigned next;
    rsp_buf out;
} saip_arg;

static int step_parse(void *arg)
{
    saip_arg *a = arg;
    unsigned i = a->next++ & 3;
    rsp_saip_package p;
    if (rsp_saip_parse(a->pkg[i].data, a->pkg[i].len, a->flags, &p, NULL) != RSP_OK)
        return 1;
    rsp_saip_package_free(&p);
    return 0;
}

static int step_perso(void *arg)
{
    static const uint8_t ki[16] = {1, 2, 3}, opc[16] = {4, 5, 6};
    static const rsp_saip_perso ps = {"89440000000000000010", "234150123456789", ki, 16, opc, 16};
    saip_arg *a = arg;
    unsigned i = a->next++ & 3;
    return rsp_saip_personalize(&a->parsed[i], &ps, &a->out, NULL) == RSP_OK ? 0 : 1;
}

int rsp_bench_saip(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("RSP_SHARED_DIR");
    saip_arg a;
    memset(&a, 0, sizeof(a));
    size_t total = 0;
    int rc = RSP_EXIT_OK;
    for (int i = 0; i < 4 && rc == RSP_EXIT_OK; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/profiles/%s", dir && *dir ? dir : "../shared", ts48[i]);
        if (rsp_cli_read_file(path, &a.pkg[i]) != RSP_OK ||
            rsp_saip_parse(a.pkg[i].data, a.pkg[i].len, 0, &a.parsed[i], NULL) != RSP_OK) {
            fprintf(stderr, "rsp: bench saip: cannot load %s (set RSP_SHARED_DIR)\n", path);
            rc = RSP_EXIT_USAGE;
        }
        total += a.pkg[i].len;
    }
    if (rc == RSP_EXIT_OK) {
        size_t avg = total / 4;
        double mb = (double)avg / 1e6;
        rsp_bench_progress(b, "SHA-256 floor over one package-sized buffer");
        double floor_mbs = rsp_bench_floor_sha256_mbs(b, avg);
        char floor_name[64];
        snprintf(floor_name, sizeof(floor_name), "SHA-256 over %zu B", avg);

        rsp_bench_progress(b, "full parse (elements, header, every nested TLV)");
        a.flags = 0;
        double full = rsp_bench_rate(b, step_parse, &a);
        rsp_bench_report(b, "saip parse, full check (packages/s)", full, "pkg/s", floor_name, floor_mbs / mb);
        rsp_bench_report(b, "saip parse, full check (MB/s)", full * mb, "MB/s", floor_name, floor_mbs);

        rsp_bench_progress(b, "shallow parse (elements and header only)");
        a.flags = RSP_SAIP_SHALLOW;
        double shallow = rsp_bench_rate(b, step_parse, &a);
        rsp_bench_report(b, "saip parse, shallow (MB/s)", shallow * mb, "MB/s", floor_name, floor_mbs);

        rsp_bench_progress(b, "personalise ICCID+IMSI+Ki+OPc (includes re-parse of the output)");
        double perso = rsp_bench_rate(b, step_perso, &a);
        rsp_bench_report(b, "saip personalise (packages/s)", perso, "pkg/s", floor_name, floor_mbs / mb);
        if (full < 0 || shallow < 0 || perso < 0)
            rc = RSP_EXIT_FAIL;
    }
    for (int i = 0; i < 4; i++) {
        rsp_saip_package_free(&a.parsed[i]);
        rsp_buf_free(&a.pkg[i]);
    }
    rsp_buf_free_secret(&a.out);
    return rc;
}
