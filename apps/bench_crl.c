/* rsp bench crl: what revocation costs a daemon or the card per certificate check: rsp_crl_file_check
 * on a CRL of N entries (default 1,000; --entries N): one stat, the freshness check and a binary search
 * (the signature is verified once per file version and CI key); then the first check after a file
 * change (re-read, parse, ECDSA verify over the CRL). The floor is one OpenSSL ECDSA P-256 verify, what
 * a check would cost if it verified the CRL every time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "rsp/crl.h"

typedef struct crl_ctx {
    rsp_crl_file *f;
    rsp_eckey *ci;
    rsp_buf der;
    int64_t now;
    uint32_t i, n;
    const char *path;
} crl_ctx;

static int check_step(void *arg)
{
    crl_ctx *c = arg;
    /* serials 2..n+1 are on the list; alternate listed and not listed */
    uint32_t s = (c->i++ % 2) ? 2 + c->i % c->n : c->n + 10 + c->i;
    uint8_t ser[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};
    rsp_err e = rsp_crl_file_check(c->f, c->ci, ser, 4, c->now, NULL);
    return e != RSP_OK && e != RSP_ERR_DENIED;
}

/* A fresh handle: what the first check after a file change costs (read, parse, verify, lookup). */
static int reload_step(void *arg)
{
    crl_ctx *c = arg;
    rsp_crl_file *f = NULL;
    const uint8_t ser[1] = {0x01};
    rsp_err e = rsp_crl_file_new(c->path, false, &f);
    e = e ? e : rsp_crl_file_check(f, c->ci, ser, 1, c->now, NULL);
    rsp_crl_file_free(f);
    return e != RSP_OK;
}

int rsp_bench_crl(rsp_bench *b, int argc, char **argv)
{
    long n = 1000;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--entries"))
            n = atol(argv[i + 1]);
    if (n < 1 || n > 65536) {
        fprintf(stderr, "rsp: bench crl: --entries 1..65536\n");
        return 2;
    }
    crl_ctx c;
    memset(&c, 0, sizeof(c));
    c.n = (uint32_t)n;
    c.now = 1800000000;
    rsp_crl_entry *en = calloc((size_t)n, sizeof(*en));
    char path[] = "/tmp/rsp-bench-crl-XXXXXX";
    int fd = mkstemp(path);
    c.path = path;
    rsp_err e = en && fd >= 0 ? rsp_ec_generate(RSP_CURVE_P256, &c.ci) : RSP_ERR_IO;
    for (long i = 0; e == RSP_OK && i < n; i++) {
        uint32_t s = (uint32_t)(i + 2);
        en[i] = (rsp_crl_entry){{(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s}, 4, c.now - 60,
                                RSP_CRL_REASON_KEY_COMPROMISE};
        size_t skip = 0;
        while (skip < 3 && en[i].serial[skip] == 0)
            skip++;
        memmove(en[i].serial, en[i].serial + skip, 4 - skip);
        en[i].serial_len = 4 - skip;
    }
    rsp_crl_template t = {c.now - 3600, c.now + 86400, 1, en, (size_t)n};
    e = e ? e : rsp_crl_issue(&t, c.ci, NULL, "Bench-CI", &c.der);
    if (!e && write(fd, c.der.data, c.der.len) != (ssize_t)c.der.len)
        e = RSP_ERR_IO;
    e = e ? e : rsp_crl_file_new(path, false, &c.f);
    e = e ? e : rsp_crl_file_load(c.f, NULL);
    if (fd >= 0)
        close(fd);
    free(en);
    int rc = 0;
    if (e) {
        fprintf(stderr, "rsp: bench crl: set-up failed (%s)\n", rsp_err_msg(e));
        rc = 1;
    } else {
        char what[96];
        rsp_bench_progress(b, "crl: certificate checks");
        double check = rsp_bench_rate(b, check_step, &c);
        rsp_bench_progress(b, "crl: first check after a change");
        double reload = rsp_bench_rate(b, reload_step, &c);
        rsp_bench_progress(b, "crl: OpenSSL floor");
        double floor = rsp_bench_floor_ecdsa_verify(b, RSP_CURVE_P256);
        snprintf(what, sizeof(what), "crl check (stat + freshness + lookup, %ld entries, %zu bytes)", n, c.der.len);
        rsp_bench_report(b, what, check, "checks/s", "ECDSA P-256 verify", floor);
        snprintf(what, sizeof(what), "crl first check after a change (read + parse + verify, %ld entries)", n);
        rsp_bench_report(b, what, reload, "checks/s", "ECDSA P-256 verify", floor);
    }
    unlink(path);
    rsp_crl_file_free(c.f);
    rsp_ec_free(c.ci);
    rsp_buf_free(&c.der);
    return rc;
}
