/* Remote APDU formats of ETSI TS 102 226: compact and expanded (definite AA/AB, indefinite AE/AF),
 * for both roles: the server builds scripts and parses responses, the card parses scripts, executes
 * them through a callback and builds the response.
 *
 * Stop-on-error: execution stops at the first R-APDU whose SW is not 9000/61xx/62xx/63xx, and that
 * R-APDU is the last one returned. Parsed items borrow from the caller's input. */
#ifndef RSP_RAPDU_H
#define RSP_RAPDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

typedef enum rsp_rapdu_format {
    RSP_RAPDU_COMPACT = 0,
    RSP_RAPDU_EXPANDED = 1,       /* AA / AB, definite length */
    RSP_RAPDU_EXPANDED_INDEF = 2, /* AE / AF, 80 ... 00 00 */
} rsp_rapdu_format;

enum { RSP_RAPDU_MAX_ITEMS = 64 };

typedef struct rsp_rapdu_item {
    const uint8_t *p; /* C-APDU, or R-APDU data (without SW) */
    size_t len;
    uint16_t sw;      /* R-APDU only */
} rsp_rapdu_item;

/* A parsed command script. */
typedef struct rsp_rapdu_script {
    rsp_rapdu_format format;
    size_t n;
    rsp_rapdu_item cmds[RSP_RAPDU_MAX_ITEMS];
    bool has_immediate, has_error_action, has_chaining; /* tags 81, 82, 83 seen (kept opaque) */
} rsp_rapdu_script;

/* A parsed response. For compact, one item holds the last SW and data. */
typedef struct rsp_rapdu_resp {
    rsp_rapdu_format format;
    unsigned count;        /* number of commands executed */
    size_t n;              /* R-APDUs present */
    rsp_rapdu_item rsps[RSP_RAPDU_MAX_ITEMS];
    bool bad_format;       /* tag 90 */
    uint8_t bad_format_code;
} rsp_rapdu_resp;

/* Server: builds a script from n C-APDUs (each a complete short APDU). */
rsp_err rsp_rapdu_script_build(rsp_rapdu_format f, const rsp_bytes *apdus, size_t n, rsp_buf *out);
/* Card: parses a script. For compact, C-APDUs are delimited with T=0 rules (rsp_apdu_next_t0). */
rsp_err rsp_rapdu_script_parse(rsp_rapdu_format f, const uint8_t *p, size_t len, rsp_rapdu_script *out, rsp_diag *diag);
/* Guesses the format of a script or response from its first byte (AA/AB, AE/AF, else compact). */
rsp_rapdu_format rsp_rapdu_detect(const uint8_t *p, size_t len);

/* Card: executes one C-APDU; appends the R-APDU (data || SW) to rapdu. A non-OK return aborts. */
typedef rsp_err (*rsp_rapdu_exec_fn)(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu);
/* Card: runs a parsed script with the stop-on-error rule and appends the response to out, in the
 * matching format (compact: count || SW || data of the last; expanded: AB/AF {80 01 count, 23 ...}). */
rsp_err rsp_rapdu_execute(const rsp_rapdu_script *s, rsp_rapdu_exec_fn fn, void *ctx, rsp_buf *out);
/* Card: builds a response from R-APDUs already collected (data || SW each). */
rsp_err rsp_rapdu_resp_build(rsp_rapdu_format f, unsigned count, const rsp_bytes *rapdus, size_t n, rsp_buf *out);
/* Server: parses a response. */
rsp_err rsp_rapdu_resp_parse(rsp_rapdu_format f, const uint8_t *p, size_t len, rsp_rapdu_resp *out, rsp_diag *diag);

#endif
