#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "bench.h"
#include "cli.h"

typedef struct bench_entry {
    const char *name;
    rsp_bench_fn fn;
    const char *summary;
} bench_entry;

static const bench_entry benches[] = {
#define RSP_BENCH(name, fn, summary) {name, fn, summary},
#include "benches.def"
#undef RSP_BENCH
    {NULL, NULL, NULL},
};

double rsp_bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double rsp_bench_rate(const rsp_bench *b, int (*fn)(void *), void *arg)
{
    uint64_t n = 0, batch = 1;
    double t0 = rsp_bench_now(), t;
    do {
        for (uint64_t i = 0; i < batch; i++)
            if (fn(arg) != 0)
                return -1;
        n += batch;
        if (batch < 1024)
            batch *= 2;
        t = rsp_bench_now();
    } while (t - t0 < b->seconds);
    return (double)n / (t - t0);
}

void rsp_bench_progress(const rsp_bench *b, const char *what)
{
    if (!b->json)
        fprintf(stderr, "  measuring %s ...\n", what);
}

void rsp_bench_report(rsp_bench *b, const char *name, double value, const char *unit, const char *floor_name,
                      double floor_value)
{
    if (b->json) {
        json_t *o = json_pack("{s:s, s:f, s:s}", "name", name, "value", value, "unit", unit);
        if (floor_value > 0) {
            json_object_set_new(o, "floor_name", json_string(floor_name));
            json_object_set_new(o, "floor_value", json_real(floor_value));
            json_object_set_new(o, "ratio", json_real(value / floor_value));
        }
        json_array_append_new(b->results, o);
        return;
    }
    if (floor_value > 0)
        printf("  %-44s %14.1f %-8s | floor %-30s %14.1f %-8s (%.0f%%)\n", name, value, unit, floor_name,
               floor_value, unit, 100.0 * value / floor_value);
    else
        printf("  %-44s %14.1f %s\n", name, value, unit);
}

int rsp_bench_call(rsp_bench *b, const char *name, int argc, char **argv)
{
    for (const bench_entry *e = benches; e->name; e++)
        if (!strcmp(e->name, name))
            return e->fn(b, argc, argv);
    if (!b->json)
        printf("  (%s: not built)\n", name);
    return RSP_EXIT_USAGE;
}

/* ---- the OpenSSL floor: EVP called directly, contexts reused ---- */

typedef struct floor_cipher {
    EVP_CIPHER_CTX *ctx;
    uint8_t *buf;
    size_t len;
} floor_cipher;

static int floor_cipher_step(void *arg)
{
    floor_cipher *f = arg;
    int outl;
    return EVP_EncryptUpdate(f->ctx, f->buf, &outl, f->buf, (int)f->len) == 1 ? 0 : 1;
}

double rsp_bench_floor_cipher_mbs(const rsp_bench *b, const char *cipher, size_t block)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, cipher, NULL);
    floor_cipher f = {EVP_CIPHER_CTX_new(), calloc(1, block), block};
    uint8_t key[32] = {1}, iv[16] = {0};
    double r = -1;
    if (c && f.ctx && f.buf && EVP_EncryptInit_ex2(f.ctx, c, key, iv, NULL) == 1) {
        EVP_CIPHER_CTX_set_padding(f.ctx, 0);
        r = rsp_bench_rate(b, floor_cipher_step, &f) * (double)block / 1e6;
    }
    EVP_CIPHER_CTX_free(f.ctx);
    EVP_CIPHER_free(c);
    free(f.buf);
    return r;
}

typedef struct floor_mac {
    EVP_MAC_CTX *ctx;
    uint8_t *buf;
    size_t len;
} floor_mac;

static int floor_cmac_step(void *arg)
{
    floor_mac *f = arg;
    static const uint8_t key[16] = {1};
    uint8_t out[16];
    size_t outl;
    if (EVP_MAC_init(f->ctx, key, 16, NULL) != 1 || EVP_MAC_update(f->ctx, f->buf, f->len) != 1 ||
        EVP_MAC_final(f->ctx, out, &outl, sizeof(out)) != 1)
        return 1;
    return 0;
}

double rsp_bench_floor_cmac_ops(const rsp_bench *b, size_t block)
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    floor_mac f = {mac ? EVP_MAC_CTX_new(mac) : NULL, calloc(1, block ? block : 1), block};
    OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string("cipher", (char *)"AES-128-CBC", 0),
                       OSSL_PARAM_construct_end()};
    double r = -1;
    if (f.ctx && f.buf && EVP_MAC_CTX_set_params(f.ctx, p) == 1)
        r = rsp_bench_rate(b, floor_cmac_step, &f);
    EVP_MAC_CTX_free(f.ctx);
    EVP_MAC_free(mac);
    free(f.buf);
    return r;
}

double rsp_bench_floor_cmac_mbs(const rsp_bench *b, size_t block)
{
    return rsp_bench_floor_cmac_ops(b, block) * (double)block / 1e6;
}

typedef struct floor_sha {
    uint8_t *buf;
    size_t len;
    EVP_MD *md;
} floor_sha;

static int floor_sha_step(void *arg)
{
    floor_sha *f = arg;
    uint8_t out[32];
    return EVP_Digest(f->buf, f->len, out, NULL, f->md, NULL) == 1 ? 0 : 1;
}

double rsp_bench_floor_sha256_mbs(const rsp_bench *b, size_t block)
{
    floor_sha f = {calloc(1, block), block, EVP_MD_fetch(NULL, "SHA256", NULL)};
    double r = f.buf && f.md ? rsp_bench_rate(b, floor_sha_step, &f) * (double)block / 1e6 : -1;
    EVP_MD_free(f.md);
    free(f.buf);
    return r;
}

typedef struct floor_ec {
    EVP_PKEY *key, *peer;
    uint8_t sig[80];
    size_t siglen;
    uint8_t msg[32];
} floor_ec;

static EVP_PKEY *floor_keygen(rsp_curve c)
{
    return EVP_PKEY_Q_keygen(NULL, NULL, "EC", c == RSP_CURVE_P256 ? "prime256v1" : "brainpoolP256r1");
}

static int floor_sign_step(void *arg)
{
    floor_ec *f = arg;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    f->siglen = sizeof(f->sig);
    int ok = md && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, f->key, NULL) == 1 &&
             EVP_DigestSign(md, f->sig, &f->siglen, f->msg, sizeof(f->msg)) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : 1;
}

static int floor_verify_step(void *arg)
{
    floor_ec *f = arg;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, f->key, NULL) == 1 &&
             EVP_DigestVerify(md, f->sig, f->siglen, f->msg, sizeof(f->msg)) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : 1;
}

/* The least an ECDH with a received point needs: the point checked on the curve (enough with cofactor
 * 1, both our curves), then one scalar multiplication; as lib/crypto/ec.c rsp_ecdh does. OpenSSL's
 * EVP_PKEY_derive_set_peer would also check n*Q = O, a second multiplication. */
static int floor_ecdh_step(void *arg)
{
    floor_ec *f = arg;
    uint8_t out[32];
    size_t len = sizeof(out);
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, f->peer, NULL);
    int ok = pc && EVP_PKEY_public_check_quick(pc) == 1;
    EVP_PKEY_CTX_free(pc);
    EVP_PKEY_CTX *ctx = ok ? EVP_PKEY_CTX_new_from_pkey(NULL, f->key, NULL) : NULL;
    ok = ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer_ex(ctx, f->peer, 0) == 1 &&
         EVP_PKEY_derive(ctx, out, &len) == 1;
    EVP_PKEY_CTX_free(ctx);
    return ok ? 0 : 1;
}

static double floor_ec_run(const rsp_bench *b, rsp_curve c, int (*step)(void *))
{
    floor_ec f = {floor_keygen(c), floor_keygen(c), {0}, 0, {0}};
    double r = -1;
    if (f.key && f.peer && floor_sign_step(&f) == 0)
        r = rsp_bench_rate(b, step, &f);
    EVP_PKEY_free(f.key);
    EVP_PKEY_free(f.peer);
    return r;
}

double rsp_bench_floor_ecdsa_sign(const rsp_bench *b, rsp_curve c) { return floor_ec_run(b, c, floor_sign_step); }
double rsp_bench_floor_ecdsa_verify(const rsp_bench *b, rsp_curve c) { return floor_ec_run(b, c, floor_verify_step); }
double rsp_bench_floor_ecdh(const rsp_bench *b, rsp_curve c) { return floor_ec_run(b, c, floor_ecdh_step); }

/* ---- `rsp bench crypto`: our wrappers against the floor ---- */

typedef struct wrap_arg {
    uint8_t buf[1024];
    size_t len;
    rsp_eckey *key, *peer;
    uint8_t sig[64];
} wrap_arg;

static int wrap_cbc(void *arg)
{
    wrap_arg *w = arg;
    static const uint8_t key[16] = {1};
    return rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, key, 16, NULL, w->buf, w->len, w->buf) ? 1 : 0;
}

static int wrap_cmac(void *arg)
{
    wrap_arg *w = arg;
    static const uint8_t key[16] = {1};
    uint8_t out[16];
    return rsp_aes_cmac(key, 16, w->buf, w->len, out) ? 1 : 0;
}

static int wrap_sign(void *arg)
{
    wrap_arg *w = arg;
    return rsp_ecdsa_sign(w->key, w->buf, 32, w->sig) ? 1 : 0;
}

static int wrap_verify(void *arg)
{
    wrap_arg *w = arg;
    return rsp_ecdsa_verify(w->key, w->buf, 32, w->sig, 64) ? 1 : 0;
}

static int wrap_ecdh(void *arg)
{
    wrap_arg *w = arg;
    uint8_t out[32];
    return rsp_ecdh(w->key, w->peer, out) ? 1 : 0;
}

int rsp_bench_crypto(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    wrap_arg w = {{0}, 16, NULL, NULL, {0}};
    w.len = 16;
    rsp_bench_progress(b, "AES-128-CBC, 16-byte messages");
    rsp_bench_report(b, "rsp_cipher AES-128-CBC 16 B (MB/s)", rsp_bench_rate(b, wrap_cbc, &w) * 16 / 1e6, "MB/s",
                     "EVP AES-128-CBC 16 B", rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 16));
    w.len = 1024;
    rsp_bench_report(b, "rsp_cipher AES-128-CBC 1 KB (MB/s)", rsp_bench_rate(b, wrap_cbc, &w) * 1024 / 1e6, "MB/s",
                     "EVP AES-128-CBC 1 KB", rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 1024));
    rsp_bench_progress(b, "AES-CMAC");
    w.len = 16;
    rsp_bench_report(b, "rsp_aes_cmac 16 B (ops/s)", rsp_bench_rate(b, wrap_cmac, &w), "ops/s", "EVP_MAC CMAC 16 B",
                     rsp_bench_floor_cmac_ops(b, 16));
    w.len = 1024;
    rsp_bench_report(b, "rsp_aes_cmac 1 KB (ops/s)", rsp_bench_rate(b, wrap_cmac, &w), "ops/s", "EVP_MAC CMAC 1 KB",
                     rsp_bench_floor_cmac_ops(b, 1024));
    const rsp_curve curves[2] = {RSP_CURVE_P256, RSP_CURVE_BP256R1};
    for (int i = 0; i < 2; i++) {
        char name[96];
        rsp_bench_progress(b, rsp_curve_name(curves[i]));
        if (rsp_ec_generate(curves[i], &w.key) || rsp_ec_generate(curves[i], &w.peer))
            return RSP_EXIT_FAIL;
        snprintf(name, sizeof(name), "rsp_ecdsa_sign %s", rsp_curve_name(curves[i]));
        rsp_bench_report(b, name, rsp_bench_rate(b, wrap_sign, &w), "ops/s", "EVP ECDSA sign",
                         rsp_bench_floor_ecdsa_sign(b, curves[i]));
        snprintf(name, sizeof(name), "rsp_ecdsa_verify %s", rsp_curve_name(curves[i]));
        rsp_bench_report(b, name, rsp_bench_rate(b, wrap_verify, &w), "ops/s", "EVP ECDSA verify",
                         rsp_bench_floor_ecdsa_verify(b, curves[i]));
        snprintf(name, sizeof(name), "rsp_ecdh %s", rsp_curve_name(curves[i]));
        rsp_bench_report(b, name, rsp_bench_rate(b, wrap_ecdh, &w), "ops/s", "EVP ECDH",
                         rsp_bench_floor_ecdh(b, curves[i]));
        rsp_ec_free(w.key);
        rsp_ec_free(w.peer);
    }
    return RSP_EXIT_OK;
}

/* ---- `rsp bench` with no name: every benchmark, short, one table ---- */

/* Arguments that keep the long benchmarks short in the all-run (each still measures what it names). */
static const char *const QUICK[][4] = {
    {"euicc", "--cards", "2000", NULL},
    {"smsr-e2e", "--count", "8", NULL},
    {"smsr", "--count", "8", NULL},
    {"download-https", "--count", "4", NULL},
};

static bool seen(json_t *all, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        const char *n = json_string_value(json_object_get(r, "name"));
        if (n && !strcmp(n, name))
            return true;
    }
    return false;
}

static int bench_all(double seconds, bool json)
{
    json_t *all = json_array(), *runs = json_array();
    if (!json)
        fprintf(stderr, "rsp bench: every benchmark, %.2f s per figure (%s)\n", seconds,
                OpenSSL_version(OPENSSL_VERSION));
    int worst = RSP_EXIT_OK;
    for (const bench_entry *e = benches; e->name; e++) {
        const bench_entry *first = benches;
        while (first != e && first->fn != e->fn)
            first++;
        if (first != e) { /* another name of a benchmark already run */
            if (!json)
                fprintf(stderr, "  %-16s (the same as %s)\n", e->name, first->name);
            continue;
        }
        /* each benchmark stores its figures quietly (as with --json); the table comes at the end */
        rsp_bench b = {true, seconds, json_array()};
        char *argv[8] = {(char *)e->name, NULL};
        int argc = 1;
        for (size_t q = 0; q < sizeof(QUICK) / sizeof(QUICK[0]); q++)
            if (!strcmp(QUICK[q][0], e->name))
                for (size_t k = 1; k < 4 && QUICK[q][k]; k++)
                    argv[argc++] = (char *)QUICK[q][k];
        if (!json)
            fprintf(stderr, "  %-16s ...", e->name);
        double t0 = rsp_bench_now();
        fflush(stdout);
        int rc = e->fn(&b, argc, argv);
        double took = rsp_bench_now() - t0;
        if (!json)
            fprintf(stderr, " %.1f s%s\n", took, rc ? " (failed)" : "");
        if (rc && worst == RSP_EXIT_OK)
            worst = RSP_EXIT_FAIL;
        json_array_append_new(runs, json_pack("{s:s,s:i,s:f,s:I}", "bench", e->name, "exit", rc, "seconds", took,
                                              "figures", (json_int_t)json_array_size(b.results)));
        size_t i;
        json_t *r;
        json_array_foreach(b.results, i, r)
        {
            const char *n = json_string_value(json_object_get(r, "name"));
            if (!n || seen(all, n)) /* `es` runs `es-https` too, `ota` runs `ota-scp80`: once each */
                continue;
            json_object_set_new(r, "bench", json_string(e->name));
            json_array_append(all, r);
        }
        json_decref(b.results);
    }
    if (json) {
        rsp_cli_json_out(json_pack("{s:s,s:f,s:o,s:o}", "openssl", OpenSSL_version(OPENSSL_VERSION), "seconds",
                                   seconds, "runs", runs, "results", all));
        return worst;
    }
    printf("%-16s %-58s %14s %-8s %-32s %14s %7s\n", "bench", "figure", "value", "unit", "floor", "floor value",
           "ratio");
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r)
    {
        const char *fn = json_string_value(json_object_get(r, "floor_name"));
        double fv = json_real_value(json_object_get(r, "floor_value"));
        char fvs[32] = "-", ratio[16] = "-";
        if (fn) {
            snprintf(fvs, sizeof(fvs), "%.1f", fv);
            snprintf(ratio, sizeof(ratio), "%.3f", json_real_value(json_object_get(r, "ratio")));
        }
        printf("%-16s %-58.58s %14.1f %-8s %-32.32s %14s %7s\n", json_string_value(json_object_get(r, "bench")),
               json_string_value(json_object_get(r, "name")), json_number_value(json_object_get(r, "value")),
               json_string_value(json_object_get(r, "unit")), fn ? fn : "-", fvs, ratio);
    }
    json_array_foreach(runs, i, r)
    {
        if (json_integer_value(json_object_get(r, "exit")) != 0)
            printf("%-16s FAILED (exit %lld): run `rsp bench %s` alone to see why\n",
                   json_string_value(json_object_get(r, "bench")),
                   (long long)json_integer_value(json_object_get(r, "exit")),
                   json_string_value(json_object_get(r, "bench")));
    }
    json_decref(all);
    json_decref(runs);
    return worst;
}

int rsp_cmd_bench(int argc, char **argv)
{
    rsp_bench b = {false, 1.0, NULL};
    b.json = rsp_cli_take_flag(&argc, argv, "--json");
    bool quick = rsp_cli_take_flag(&argc, argv, "--quick");
    bool sec_set = false;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--seconds")) {
            b.seconds = atof(argv[i + 1]);
            if (b.seconds <= 0)
                return rsp_cli_usage_error("bench: --seconds needs a positive number");
            memmove(argv + i, argv + i + 2, sizeof(char *) * (size_t)(argc - i - 1));
            argc -= 2;
            sec_set = true;
            break;
        }
    }
    if (argc < 2)
        return bench_all(sec_set && !quick ? b.seconds : 0.25, b.json);
    if (!strcmp(argv[1], "--help")) {
        printf("usage: rsp bench [<name>] [--json] [--seconds S]\n"
               "  without a name: every benchmark, short (0.25 s per figure, or --seconds S; the long ones on\n"
               "  fewer cards), and one table: bench, figure, value, unit, floor, floor value, ratio\n"
               "  (--json: {\"runs\":[{bench,exit,seconds,figures}],\"results\":[...]})\n\nbenchmarks:\n");
        for (const bench_entry *e = benches; e->name; e++)
            printf("  %-10s %s\n", e->name, e->summary);
        return RSP_EXIT_OK;
    }
    for (const bench_entry *e = benches; e->name; e++) {
        if (strcmp(argv[1], e->name))
            continue;
        /* `rsp bench NAME --help` answers, never starts the (possibly minutes-long) run. */
        for (int i = 2; i < argc; i++)
            if (!strcmp(argv[i], "--help")) {
                printf("usage: rsp bench %s [--json] [--seconds S] [options of this benchmark]\n  %s\n"
                       "  (options and figures: docs/OPERATING.md \"Benchmarks\" and the module docs)\n", e->name,
                       e->summary);
                return RSP_EXIT_OK;
            }
        b.results = json_array();
        if (!b.json)
            printf("rsp bench %s (%.1f s per figure, %s)\n", e->name, b.seconds, OpenSSL_version(OPENSSL_VERSION));
        int rc = e->fn(&b, argc - 1, argv + 1);
        if (b.json) {
            json_t *o = json_pack("{s:s, s:s, s:f, s:o}", "bench", e->name, "openssl",
                                  OpenSSL_version(OPENSSL_VERSION), "seconds", b.seconds, "results", b.results);
            rsp_cli_json_out(o);
        } else {
            json_decref(b.results);
        }
        return rc;
    }
    return rsp_cli_usage_error("bench: unknown benchmark '%s'", argv[1]);
}
