/* A metrics registry and its Prometheus text exposition (format 0.0.4).
 *
 * Escaping follows the format's rules: in HELP text a backslash and a line feed become \\ and \n; in
 * label values a backslash, a double quote and a line feed become \\, \" and \n. Everything else is
 * passed as is (the format is UTF-8; our label values are ASCII in practice). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/metrics.h"

typedef struct series {
    char *values[RSP_METRICS_MAX_LABELS];
    double v;        /* counter / gauge */
    double sum;      /* histogram */
    uint64_t count;  /* histogram */
    uint64_t *bucket; /* histogram: per-bucket (not cumulative) counts, nbuckets + 1 (+Inf) */
} series;

struct rsp_metric {
    rsp_metric_type type;
    char *name, *help;
    char *labels[RSP_METRICS_MAX_LABELS];
    size_t nlabels;
    double buckets[RSP_METRICS_MAX_BUCKETS];
    size_t nbuckets;
    series *s;
    size_t ns, cap;
};

struct rsp_metrics {
    rsp_metric **f;
    size_t nf, cap;
    struct {
        rsp_metrics_collect_fn fn;
        void *arg;
    } hooks[8];
    size_t nhooks;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

static int valid_name(const char *s, int colon)
{
    if (!s || !*s)
        return 0;
    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
                 (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return 0;
    }
    return 1;
}

rsp_err rsp_metrics_new(rsp_metrics **out)
{
    if (!out)
        return RSP_ERR_INVAL;
    *out = calloc(1, sizeof(**out));
    return *out ? RSP_OK : RSP_ERR_NOMEM;
}

static void family_free(rsp_metric *f)
{
    for (size_t i = 0; i < f->ns; i++) {
        for (size_t k = 0; k < f->nlabels; k++)
            free(f->s[i].values[k]);
        free(f->s[i].bucket);
    }
    for (size_t k = 0; k < f->nlabels; k++)
        free(f->labels[k]);
    free(f->s);
    free(f->name);
    free(f->help);
    free(f);
}

void rsp_metrics_free(rsp_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nf; i++)
        family_free(m->f[i]);
    free(m->f);
    free(m);
}

rsp_err rsp_metrics_on_collect(rsp_metrics *m, rsp_metrics_collect_fn fn, void *arg)
{
    if (!m || !fn)
        return RSP_ERR_INVAL;
    if (m->nhooks >= sizeof(m->hooks) / sizeof(m->hooks[0]))
        return RSP_ERR_RANGE;
    m->hooks[m->nhooks].fn = fn;
    m->hooks[m->nhooks++].arg = arg;
    return RSP_OK;
}

rsp_metric *rsp_metrics_find(rsp_metrics *m, const char *name)
{
    for (size_t i = 0; m && name && i < m->nf; i++)
        if (!strcmp(m->f[i]->name, name))
            return m->f[i];
    return NULL;
}

static series *series_get(rsp_metric *f, const char *const *values, int create, rsp_err *err);

rsp_err rsp_metrics_add(rsp_metrics *m, rsp_metric_type type, const char *name, const char *help,
                        const char *const *labels, size_t nlabels, const double *buckets, size_t nbuckets,
                        rsp_metric **out)
{
    if (!m || type > RSP_METRIC_HISTOGRAM || !valid_name(name, 1) || nlabels > RSP_METRICS_MAX_LABELS ||
        (nlabels && !labels) || nbuckets > RSP_METRICS_MAX_BUCKETS || (nbuckets && !buckets))
        return RSP_ERR_INVAL;
    for (size_t k = 0; k < nlabels; k++) {
        if (!valid_name(labels[k], 0) || !strncmp(labels[k], "__", 2) ||
            (type == RSP_METRIC_HISTOGRAM && !strcmp(labels[k], "le")))
            return RSP_ERR_INVAL;
        for (size_t j = 0; j < k; j++)
            if (!strcmp(labels[j], labels[k]))
                return RSP_ERR_INVAL;
    }
    for (size_t k = 0; k < nbuckets; k++)
        if (!isfinite(buckets[k]) || (k && buckets[k] <= buckets[k - 1]))
            return RSP_ERR_INVAL;
    if (rsp_metrics_find(m, name))
        return RSP_ERR_EXISTS;
    if (m->nf == m->cap) {
        size_t nc = m->cap ? 2 * m->cap : 16;
        rsp_metric **nf = realloc(m->f, nc * sizeof(*nf));
        if (!nf)
            return RSP_ERR_NOMEM;
        m->f = nf;
        m->cap = nc;
    }
    rsp_metric *f = calloc(1, sizeof(*f));
    if (!f)
        return RSP_ERR_NOMEM;
    f->type = type;
    f->name = dup_str(name);
    f->help = dup_str(help ? help : "");
    int bad = !f->name || !f->help;
    for (size_t k = 0; k < nlabels; k++)
        bad |= !(f->labels[k] = dup_str(labels[k]));
    f->nlabels = nlabels;
    if (type == RSP_METRIC_HISTOGRAM && nbuckets)
        memcpy(f->buckets, buckets, nbuckets * sizeof(double));
    f->nbuckets = type == RSP_METRIC_HISTOGRAM ? nbuckets : 0;
    rsp_err e = RSP_OK;
    /* A family without labels has its one series from the start, so it is exposed at 0. */
    if (!bad && nlabels == 0 && !series_get(f, NULL, 1, &e))
        bad = 1;
    if (bad) {
        family_free(f);
        return e ? e : RSP_ERR_NOMEM;
    }
    m->f[m->nf++] = f;
    if (out)
        *out = f;
    return RSP_OK;
}

static series *series_get(rsp_metric *f, const char *const *values, int create, rsp_err *err)
{
    *err = RSP_OK;
    if (f->nlabels && !values) {
        *err = RSP_ERR_INVAL;
        return NULL;
    }
    for (size_t i = 0; i < f->ns; i++) {
        size_t k = 0;
        while (k < f->nlabels && values[k] && !strcmp(f->s[i].values[k], values[k]))
            k++;
        if (k == f->nlabels)
            return &f->s[i];
    }
    if (!create)
        return NULL;
    for (size_t k = 0; k < f->nlabels; k++)
        if (!values[k]) {
            *err = RSP_ERR_INVAL;
            return NULL;
        }
    if (f->ns >= RSP_METRICS_MAX_SERIES) {
        *err = RSP_ERR_RANGE;
        return NULL;
    }
    if (f->ns == f->cap) {
        size_t nc = f->cap ? 2 * f->cap : 4;
        series *ns = realloc(f->s, nc * sizeof(*ns));
        if (!ns) {
            *err = RSP_ERR_NOMEM;
            return NULL;
        }
        f->s = ns;
        f->cap = nc;
    }
    series *s = &f->s[f->ns];
    memset(s, 0, sizeof(*s));
    int bad = 0;
    for (size_t k = 0; k < f->nlabels; k++)
        bad |= !(s->values[k] = dup_str(values[k]));
    if (f->type == RSP_METRIC_HISTOGRAM)
        bad |= !(s->bucket = calloc(f->nbuckets + 1, sizeof(uint64_t)));
    if (bad) {
        for (size_t k = 0; k < f->nlabels; k++)
            free(s->values[k]);
        free(s->bucket);
        *err = RSP_ERR_NOMEM;
        return NULL;
    }
    f->ns++;
    return s;
}

rsp_err rsp_metric_inc(rsp_metric *f, const char *const *values, double v)
{
    if (!f || f->type == RSP_METRIC_HISTOGRAM || (f->type == RSP_METRIC_COUNTER && !(v >= 0)))
        return RSP_ERR_INVAL;
    rsp_err e;
    series *s = series_get(f, values, 1, &e);
    if (!s)
        return e;
    s->v += v;
    return RSP_OK;
}

rsp_err rsp_metric_set(rsp_metric *f, const char *const *values, double v)
{
    if (!f || f->type == RSP_METRIC_HISTOGRAM)
        return RSP_ERR_INVAL;
    rsp_err e;
    series *s = series_get(f, values, 1, &e);
    if (!s)
        return e;
    /* A counter only goes up (mirroring a total kept elsewhere). */
    if (f->type == RSP_METRIC_COUNTER && !(v >= s->v))
        return RSP_ERR_INVAL;
    s->v = v;
    return RSP_OK;
}

rsp_err rsp_metric_observe(rsp_metric *f, const char *const *values, double v)
{
    if (!f || f->type != RSP_METRIC_HISTOGRAM || isnan(v))
        return RSP_ERR_INVAL;
    rsp_err e;
    series *s = series_get(f, values, 1, &e);
    if (!s)
        return e;
    size_t k = 0;
    while (k < f->nbuckets && v > f->buckets[k])
        k++;
    s->bucket[k]++;
    s->count++;
    s->sum += v;
    return RSP_OK;
}

double rsp_metric_value(const rsp_metric *f, const char *const *values)
{
    rsp_err e;
    const series *s = f ? series_get((rsp_metric *)f, values, 0, &e) : NULL;
    if (!s)
        return 0;
    return f->type == RSP_METRIC_HISTOGRAM ? (double)s->count : s->v;
}

void rsp_metrics_format_value(double v, char *out, size_t outsz)
{
    if (isnan(v)) {
        snprintf(out, outsz, "NaN");
    } else if (isinf(v)) {
        snprintf(out, outsz, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, outsz, "%.0f", v);
    } else {
        /* the shortest %g that reads back as the same double */
        for (int prec = 6; prec <= 17; prec++) {
            snprintf(out, outsz, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                break;
        }
    }
}

static rsp_err put(rsp_buf *b, const char *s) { return rsp_buf_append(b, s, strlen(s)); }

/* HELP: \ and LF escaped; label values: \ " and LF. */
static rsp_err put_escaped(rsp_buf *b, const char *s, int quote)
{
    rsp_err e = RSP_OK;
    for (; *s && !e; s++) {
        if (*s == '\\')
            e = put(b, "\\\\");
        else if (*s == '\n')
            e = put(b, "\\n");
        else if (quote && *s == '"')
            e = put(b, "\\\"");
        else
            e = rsp_buf_append(b, s, 1);
    }
    return e;
}

/* name{l1="v1",...[,le="x"]} value\n */
static rsp_err put_sample(rsp_buf *b, const rsp_metric *f, const series *s, const char *suffix, const char *le,
                          double v)
{
    char num[40];
    rsp_err e = put(b, f->name);
    if (!e)
        e = put(b, suffix);
    if (!e && (f->nlabels || le)) {
        e = put(b, "{");
        for (size_t k = 0; k < f->nlabels && !e; k++) {
            if (k)
                e = put(b, ",");
            if (!e)
                e = put(b, f->labels[k]);
            if (!e)
                e = put(b, "=\"");
            if (!e)
                e = put_escaped(b, s->values[k], 1);
            if (!e)
                e = put(b, "\"");
        }
        if (!e && le) {
            e = put(b, f->nlabels ? ",le=\"" : "le=\"");
            if (!e)
                e = put(b, le);
            if (!e)
                e = put(b, "\"");
        }
        if (!e)
            e = put(b, "}");
    }
    rsp_metrics_format_value(v, num, sizeof(num));
    if (!e)
        e = put(b, " ");
    if (!e)
        e = put(b, num);
    if (!e)
        e = put(b, "\n");
    return e;
}

static const char *type_name(rsp_metric_type t)
{
    return t == RSP_METRIC_COUNTER ? "counter" : t == RSP_METRIC_GAUGE ? "gauge" : "histogram";
}

rsp_err rsp_metrics_render(rsp_metrics *m, rsp_buf *out)
{
    if (!m || !out)
        return RSP_ERR_INVAL;
    for (size_t i = 0; i < m->nhooks; i++)
        m->hooks[i].fn(m->hooks[i].arg, m);
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < m->nf && !e; i++) {
        const rsp_metric *f = m->f[i];
        e = put(out, "# HELP ");
        if (!e)
            e = put(out, f->name);
        if (!e)
            e = put(out, " ");
        if (!e)
            e = put_escaped(out, f->help, 0);
        if (!e)
            e = put(out, "\n# TYPE ");
        if (!e)
            e = put(out, f->name);
        if (!e)
            e = put(out, " ");
        if (!e)
            e = put(out, type_name(f->type));
        if (!e)
            e = put(out, "\n");
        for (size_t j = 0; j < f->ns && !e; j++) {
            const series *s = &f->s[j];
            if (f->type != RSP_METRIC_HISTOGRAM) {
                e = put_sample(out, f, s, "", NULL, s->v);
                continue;
            }
            uint64_t cum = 0;
            char le[40];
            for (size_t k = 0; k <= f->nbuckets && !e; k++) {
                cum += s->bucket[k];
                if (k < f->nbuckets)
                    rsp_metrics_format_value(f->buckets[k], le, sizeof(le));
                else
                    snprintf(le, sizeof(le), "+Inf");
                e = put_sample(out, f, s, "_bucket", le, (double)cum);
            }
            if (!e)
                e = put_sample(out, f, s, "_sum", NULL, s->sum);
            if (!e)
                e = put_sample(out, f, s, "_count", NULL, (double)s->count);
        }
    }
    return e;
}
