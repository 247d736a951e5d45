/* rsp_err: the one return type of every OpenRSP function that can fail.
 *
 * Codes are small negative-free enum values, errno style: RSP_OK is 0 and every failure is non-zero,
 * so `if ((e = f()) != RSP_OK) return e;` works everywhere. Each code has a stable name (for logs and
 * JSON) and a human message. Parsers of outside input report *where* and *what* through rsp_diag. */
#ifndef RSP_ERR_H
#define RSP_ERR_H

#include <stddef.h>

#define RSP_ERR_LIST(X)                                                                  \
    X(RSP_OK,              "ok",               "success")                                \
    X(RSP_ERR_INVAL,       "invalid-argument", "invalid argument")                       \
    X(RSP_ERR_NOMEM,       "no-memory",        "out of memory")                          \
    X(RSP_ERR_TRUNCATED,   "truncated",        "input is truncated")                     \
    X(RSP_ERR_FORMAT,      "bad-format",       "malformed input")                        \
    X(RSP_ERR_TAG,         "unexpected-tag",   "unexpected or missing tag")              \
    X(RSP_ERR_LENGTH,      "bad-length",       "length field is wrong or too large")     \
    X(RSP_ERR_RANGE,       "out-of-range",     "value out of range")                     \
    X(RSP_ERR_CHECKSUM,    "bad-checksum",     "check digit or checksum mismatch")       \
    X(RSP_ERR_VERIFY,      "verify-failed",    "signature, MAC or cryptogram did not verify") \
    X(RSP_ERR_CRYPTO,      "crypto",           "cryptographic library failure")          \
    X(RSP_ERR_REPLAY,      "replay",           "counter replayed or out of sequence")    \
    X(RSP_ERR_UNSUPPORTED, "unsupported",      "not supported")                          \
    X(RSP_ERR_NOT_FOUND,   "not-found",        "not found")                              \
    X(RSP_ERR_EXISTS,      "exists",           "already exists")                         \
    X(RSP_ERR_STATE,       "bad-state",        "operation not allowed in this state")    \
    X(RSP_ERR_DENIED,      "denied",           "refused by policy or authorisation")     \
    X(RSP_ERR_FENCED,      "fenced",           "stale holder: the operation was taken over") \
    X(RSP_ERR_IO,          "io",               "input/output error")                     \
    X(RSP_ERR_DB,          "database",         "database error")                         \
    X(RSP_ERR_NET,         "network",          "network error")                          \
    X(RSP_ERR_PROTOCOL,    "protocol",         "protocol violation by the peer")         \
    X(RSP_ERR_TIMEOUT,     "timeout",          "timed out")                              \
    X(RSP_ERR_BUSY,        "busy",             "resource busy, try again")               \
    X(RSP_ERR_END,         "end",              "no more items")                          \
    X(RSP_ERR_OVERFLOW,    "overflow",         "output buffer too small")                \
    X(RSP_ERR_INTERNAL,    "internal",         "internal error")

typedef enum rsp_err {
#define RSP_ERR_ENUM_(code, name, msg) code,
    RSP_ERR_LIST(RSP_ERR_ENUM_)
#undef RSP_ERR_ENUM_
    RSP_ERR__COUNT
} rsp_err;

/* Stable short name, e.g. "truncated". Never NULL. */
const char *rsp_err_name(rsp_err e);
/* Human-readable message. Never NULL. */
const char *rsp_err_msg(rsp_err e);

/* Diagnostic detail for parsers of outside input: what was wrong and where. Callers that do not care
 * pass NULL; every rsp_diag_* function accepts NULL. The first error set wins, because the innermost
 * parser knows best what went wrong and outer layers should not overwrite it. */
typedef struct rsp_diag {
    rsp_err err;
    size_t offset;   /* byte offset in the input, when known */
    int has_offset;
    char msg[240];
} rsp_diag;

void rsp_diag_clear(rsp_diag *d);
/* Records err with a printf-style message and returns err, so parsers can `return rsp_diag_set(...)`. */
rsp_err rsp_diag_set(rsp_diag *d, rsp_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
rsp_err rsp_diag_set_at(rsp_diag *d, rsp_err err, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Formats "<msg> at offset N (<name>)" or the plain error message when nothing was recorded. */
const char *rsp_diag_str(const rsp_diag *d, rsp_err fallback, char *out, size_t outlen);

#endif
