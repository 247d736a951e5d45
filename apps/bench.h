/* Benchmark plumbing for `rsp bench <name>`: timing loops, the OpenSSL floor, reporting.
 *
 * Every benchmark prints its figures beside the floor: the same primitives called straight on
 * OpenSSL EVP with contexts reused, measured in the same run, so a figure can be read as
 * "how close to the crypto cost are we". */
#ifndef RSP_APPS_BENCH_H
#define RSP_APPS_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "rsp/crypto.h"

typedef struct rsp_bench {
    bool json;
    double seconds;   /* per measurement; --seconds S, default 1 */
    json_t *results;  /* array of {name, value, unit, floor_name, floor_value, ratio} */
} rsp_bench;

typedef int (*rsp_bench_fn)(rsp_bench *b, int argc, char **argv);

#define RSP_BENCH(name, fn, summary) int fn(rsp_bench *b, int argc, char **argv);
#include "benches.def"
#undef RSP_BENCH

double rsp_bench_now(void);
/* Calls fn(arg) in a loop for about b->seconds; returns calls per second. fn returns non-zero to stop
 * with an error (then the rate is negative). */
double rsp_bench_rate(const rsp_bench *b, int (*fn)(void *), void *arg);
/* Prints (or stores, with --json) one figure, with its floor when floor_value > 0. */
void rsp_bench_report(rsp_bench *b, const char *name, double value, const char *unit, const char *floor_name,
                      double floor_value);
void rsp_bench_progress(const rsp_bench *b, const char *what);
/* Manufactures n cards with pkg as their profile into a new fleet at dir (bench_euicc.c); *secs
 * (if not NULL) gets the time it took. */
rsp_err rsp_bench_make_fleet(rsp_bench *b, const char *dir, long n, const rsp_buf *pkg, const char *smsr_msisdn,
                             double *secs);
/* Runs another registered benchmark by name inside this one (so `rsp bench es` can include the
 * figures of `es-https`). Returns RSP_EXIT_USAGE, after printing a note, if it is not registered. */
int rsp_bench_call(rsp_bench *b, const char *name, int argc, char **argv);

/* The OpenSSL floor, measured now. */
double rsp_bench_floor_cipher_mbs(const rsp_bench *b, const char *cipher, size_t block); /* MB/s */
double rsp_bench_floor_cmac_mbs(const rsp_bench *b, size_t block);                       /* AES-128 */
double rsp_bench_floor_cmac_ops(const rsp_bench *b, size_t block);                       /* ops/s */
double rsp_bench_floor_ecdsa_sign(const rsp_bench *b, rsp_curve c);
double rsp_bench_floor_ecdsa_verify(const rsp_bench *b, rsp_curve c);
double rsp_bench_floor_ecdh(const rsp_bench *b, rsp_curve c);
double rsp_bench_floor_sha256_mbs(const rsp_bench *b, size_t block);

#endif
