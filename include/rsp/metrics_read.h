/* Reading a peer's /metrics (Prometheus text exposition format 0.0.4) as a client: the figures `rsp
 * demo` reports (SMS, admin sessions) come from the SM-SR's own page. The text is outside input: it is
 * read with bounds (never past len, NUL-terminated or not), and a sample line of the metric asked for
 * that does not follow the format is an error with the line and the reason, never a guess.
 * lib/svc/metrics_read.c; docs/modules/svc.md. */
#ifndef RSP_METRICS_READ_H
#define RSP_METRICS_READ_H

#include <stddef.h>

#include "rsp/err.h"

/* The sum of every sample of metric `name` in text[0..len), whatever its labels
 *   name[{label="value",...}] value [timestamp]
 * Comment lines (#) and the samples of other metrics are skipped without being read further (a
 * prefix is not a match: rsp_x does not match rsp_x_total). name must be a valid metric name
 * ([a-zA-Z_:][a-zA-Z0-9_:]*), else RSP_ERR_INVAL.
 * RSP_OK: *sum and *samples (>= 1) set. RSP_ERR_NOT_FOUND: no sample of name (*sum 0, *samples 0).
 * Errors on a sample line of name (diag: 1-based line and why; *sum and *samples then 0):
 *   RSP_ERR_FORMAT  a label block not closed on its line, a label name or quoting that is not the
 *                   format's, no value, a value that is not a number, bytes after the timestamp, a NUL;
 *   RSP_ERR_RANGE   a value that is not finite (NaN, +Inf, -Inf are the format's, but not a count) or
 *                   beyond +-1e15, or a sum beyond that.
 * samples may be NULL. Nothing is allocated. */
rsp_err rsp_metrics_read_sum(const char *text, size_t len, const char *name, double *sum, size_t *samples,
                             rsp_diag *diag);

#endif
