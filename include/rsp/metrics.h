/* Metrics: a registry of counters, gauges and histograms, rendered in the Prometheus text exposition
 * format 0.0.4 (docs/modules/metrics.md).
 *
 * No global registry: a daemon owns one rsp_metrics and hands it to whatever counts. Each metric
 * family declares its label names once (at most RSP_METRICS_MAX_LABELS); a series is created the
 * first time a tuple of label values is used, up to RSP_METRICS_MAX_SERIES per family, so an
 * outside value used as a label cannot grow memory without bound. Single-threaded (the loop's
 * thread), like everything else on the loop. */
#ifndef RSP_METRICS_H
#define RSP_METRICS_H

#include <stddef.h>

#include "rsp/buf.h"
#include "rsp/err.h"

#define RSP_METRICS_MAX_LABELS 4
#define RSP_METRICS_MAX_SERIES 256
#define RSP_METRICS_MAX_BUCKETS 32
#define RSP_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct rsp_metrics rsp_metrics; /* the registry */
typedef struct rsp_metric rsp_metric;   /* one family, owned by the registry */

typedef enum rsp_metric_type {
    RSP_METRIC_COUNTER = 0,
    RSP_METRIC_GAUGE = 1,
    RSP_METRIC_HISTOGRAM = 2,
} rsp_metric_type;

/* Called at the start of every render, to refresh gauges that mirror state held elsewhere (open
 * connections, queue depths). */
typedef void (*rsp_metrics_collect_fn)(void *arg, rsp_metrics *m);

rsp_err rsp_metrics_new(rsp_metrics **out);
void rsp_metrics_free(rsp_metrics *m);
/* Adds a collect hook (at most 8; called in the order added). */
rsp_err rsp_metrics_on_collect(rsp_metrics *m, rsp_metrics_collect_fn fn, void *arg);

/* Registers a family. name: [a-zA-Z_:][a-zA-Z0-9_:]* (counters should end in _total); help: any
 * text (escaped on output); labels: nlabels names [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__",
 * and not "le" for histograms. buckets: strictly increasing finite upper bounds, +Inf is implied.
 * Strings are copied. RSP_ERR_INVAL for a bad name, RSP_ERR_EXISTS for a name taken. *out (may be
 * NULL) is owned by the registry. */
rsp_err rsp_metrics_add(rsp_metrics *m, rsp_metric_type type, const char *name, const char *help,
                        const char *const *labels, size_t nlabels, const double *buckets, size_t nbuckets,
                        rsp_metric **out);
/* The family registered under name, or NULL. */
rsp_metric *rsp_metrics_find(rsp_metrics *m, const char *name);

/* Series operations. values: one label value per label name (any bytes but NUL; escaped on output),
 * NULL when the family has no labels. RSP_ERR_RANGE when a new series would pass
 * RSP_METRICS_MAX_SERIES (nothing is counted), RSP_ERR_INVAL on a wrong type or a negative counter
 * increment. */
rsp_err rsp_metric_inc(rsp_metric *f, const char *const *values, double v);     /* counter, gauge */
rsp_err rsp_metric_set(rsp_metric *f, const char *const *values, double v);     /* gauge; counter when v grows */
rsp_err rsp_metric_observe(rsp_metric *f, const char *const *values, double v); /* histogram */
/* The value of a counter/gauge series, or the count of a histogram series; 0 when absent. */
double rsp_metric_value(const rsp_metric *f, const char *const *values);

/* Appends the whole registry in text format 0.0.4: per family "# HELP", "# TYPE", then its series in
 * creation order (histograms: _bucket{...,le="..."} cumulative with le="+Inf", _sum, _count). */
rsp_err rsp_metrics_render(rsp_metrics *m, rsp_buf *out);
/* Writes v the way the format spells numbers: integers without a fraction, others with the fewest
 * digits that read back the same, "+Inf", "-Inf", "NaN". */
void rsp_metrics_format_value(double v, char *out, size_t outsz);

#endif
