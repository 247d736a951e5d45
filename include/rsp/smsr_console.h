/* The SM-SR web console (lib/smsr/console*.c; docs/modules/console.md): a small HTML page, one JS
 * file and CSS, and a JSON API under /api/, served on its own listener by `rsp smsr run`'s loop.
 * Access by a bearer token (Authorization header, or the cookie its login form sets) or, with
 * mtls, by a client certificate whose CN is the identity. Read-only unless actions is set; the two
 * actions (retry a failed operation, cancel a queued one) are authorised as ES4 authorises the
 * identity and written to the audit trail. */
#ifndef RSP_SMSR_CONSOLE_H
#define RSP_SMSR_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/smsr.h"
#include "rsp/store.h"

struct event_base;

/* ---- query strings (outside input: bounded, strict, fuzzed by fuzz/fuzz_smsr_console_query.c) ---- */
#define RSP_SMSR_CONSOLE_QMAX 12      /* parameters in one query string */
#define RSP_SMSR_CONSOLE_QKEY 16      /* key bytes + NUL */
#define RSP_SMSR_CONSOLE_QVAL 130     /* decoded value bytes + NUL */
#define RSP_SMSR_CONSOLE_QLEN 1024    /* query string bytes */

typedef struct rsp_smsr_console_query {
    size_t n;
    struct {
        char key[RSP_SMSR_CONSOLE_QKEY];
        char val[RSP_SMSR_CONSOLE_QVAL];
    } p[RSP_SMSR_CONSOLE_QMAX];
} rsp_smsr_console_query;

/* Parses "k=v&k2=v2" (the part after '?', len bytes, no NUL needed): keys are [a-z_] , values
 * percent-decoded ('+' is a space) and printable ASCII only after decoding; a key twice, an empty
 * key, a bad %XX, a control byte or anything over the bounds above is refused (RSP_ERR_FORMAT,
 * RSP_ERR_LENGTH, RSP_ERR_RANGE) with the offset in diag. */
rsp_err rsp_smsr_console_query_parse(const char *qs, size_t len, rsp_smsr_console_query *out, rsp_diag *diag);
/* The value of key, or NULL when absent. */
const char *rsp_smsr_console_query_get(const rsp_smsr_console_query *q, const char *key);

/* Value checks of the API (each refusal is a 400 naming the parameter). */
typedef enum rsp_smsr_console_kind {
    RSP_SMSR_CONSOLE_EID = 0,   /* 0-32 digits (a prefix) */
    RSP_SMSR_CONSOLE_ICCID,     /* 0-20 digits, F allowed (padding) */
    RSP_SMSR_CONSOLE_MSISDN,    /* 0-20 digits, a leading + dropped by the caller */
    RSP_SMSR_CONSOLE_ID,        /* 1-18 digits, > 0 */
    RSP_SMSR_CONSOLE_NAME,      /* 1-127 bytes of [A-Za-z0-9 ._:@/+=-] (requester, function, FCID) */
} rsp_smsr_console_kind;
rsp_err rsp_smsr_console_check(rsp_smsr_console_kind kind, const char *v, rsp_diag *diag);

/* ---- the console ---- */
typedef struct rsp_smsr_console_opts {
    const char *listen;       /* HOST:PORT (port 0: ephemeral); NULL: no socket (tests, bench) */
    const char *port_file;    /* receives the bound port; NULL: none */
    const char *token_file;   /* lines "TOKEN [IDENTITY]" (# comments); NULL: none */
    bool mtls;                /* the listener is mutual TLS with tls_cert/key/ca: the CN is the identity */
    const char *tls_cert, *tls_key, *tls_ca; /* tls_ca: comma-separated */
    bool actions;             /* retry / cancel allowed (else 403) */
    const char *m2msp_ids, *smdp_ids; /* roles of identities, as ES4 decides them */
} rsp_smsr_console_opts;

typedef struct rsp_smsr_console rsp_smsr_console;

/* Borrows base (may be NULL without listen), the engine and its store for its lifetime. */
rsp_err rsp_smsr_console_new(struct event_base *base, rsp_smsr *engine, rsp_store *st,
                             const rsp_smsr_console_opts *o, rsp_smsr_console **out, rsp_diag *diag);
uint16_t rsp_smsr_console_port(const rsp_smsr_console *c);
/* Closes the listener (a SIGTERM: the loop may end). */
void rsp_smsr_console_stop(rsp_smsr_console *c);
void rsp_smsr_console_free(rsp_smsr_console *c);

/* One answer of the console, without sockets (the server, tests, the bench). */
typedef struct rsp_smsr_console_answer {
    int status;
    char headers[1024];       /* CRLF-terminated extra header lines */
    rsp_buf body;             /* owned: rsp_buf_free */
} rsp_smsr_console_answer;

/* Serves one request (method, target = path and query) as identity (NULL: not authenticated: only
 * the login form, else 401). hdr_xrw is the X-Requested-With header (NULL: absent), which the
 * actions require. Always fills a (clear a->body after). */
void rsp_smsr_console_serve(rsp_smsr_console *c, const char *identity, const char *method, const char *target,
                            const char *hdr_xrw, const uint8_t *body, size_t len, int64_t now,
                            rsp_smsr_console_answer *a);
/* The identity of a bearer token (from Authorization or the cookie), or NULL. Constant time in the
 * token's bytes. */
const char *rsp_smsr_console_token_identity(const rsp_smsr_console *c, const char *token);

#endif
