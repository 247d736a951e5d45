/* rsp_metrics_read_sum (rsp/metrics_read.h): one metric's samples summed from a Prometheus text page.
 * Moved out of apps/demo_run.c so that the parser of a peer's page has a fuzz target
 * (fuzz/fuzz_svc_metrics_read.c) and unit tests of malformed pages (tests/unit/test_svc_metrics_read.c).
 * The page is never assumed NUL-terminated: every read is bounded by the line's end, and the number is
 * copied out before strtod (which would otherwise read past len). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/metrics_read.h"

#define METRIC_MAX 1e15 /* beyond: not a count this project exports (and no longer exact in a double) */

static bool name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The label block at p[0] == '{' up to and including its '}', within [p, end): *after is the byte after. */
static rsp_err labels(const char *p, const char *end, const char **after, size_t line, rsp_diag *d)
{
    p++;
    for (;;) {
        if (p < end && *p == '}') {
            *after = p + 1;
            return RSP_OK;
        }
        /* label name */
        if (p >= end || !name_start(*p) || *p == ':')
            return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: a label name expected", line);
        while (p < end && name_char(*p) && *p != ':')
            p++;
        if (p >= end || *p != '=' || p + 1 >= end || p[1] != '"')
            return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: a label is name=\"value\"", line);
        /* quoted value: \\, \" and \n are the format's escapes */
        for (p += 2;; p++) {
            if (p >= end)
                return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: label value not closed", line);
            if (*p == '\\') {
                if (p + 1 >= end || (p[1] != '\\' && p[1] != '"' && p[1] != 'n'))
                    return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: bad escape in a label value", line);
                p++;
            } else if (*p == '"') {
                p++;
                break;
            }
        }
        if (p < end && *p == ',')
            p++; /* a trailing comma before '}' is allowed */
        else if (p >= end || *p != '}')
            return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: ',' or '}' expected after a label", line);
    }
}

/* One sample line of the metric (p just after its name, end at the line's end). */
static rsp_err sample(const char *p, const char *end, size_t line, double *v, rsp_diag *d)
{
    if (memchr(p, 0, (size_t)(end - p)))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: a NUL byte", line);
    if (p < end && *p == '{') {
        rsp_err e = labels(p, end, &p, line, d);
        if (e != RSP_OK)
            return e;
    }
    if (p >= end || !blank(*p))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: a blank then the value expected", line);
    while (p < end && blank(*p))
        p++;
    const char *v0 = p;
    while (p < end && !blank(*p) && *p != '\r')
        p++;
    char num[64];
    size_t n = (size_t)(p - v0);
    if (n == 0 || n >= sizeof(num))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: no value, or one of %zu bytes", line, n);
    memcpy(num, v0, n);
    num[n] = 0;
    char *stop;
    double x = strtod(num, &stop);
    if (stop != num + n || (num[0] != '+' && num[0] != '-' && num[0] != '.' && (num[0] < '0' || num[0] > '9') &&
                            strcmp(num, "NaN") != 0))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: value '%s' is not a number", line, num);
    /* an optional timestamp (integer milliseconds), then nothing but a CR */
    while (p < end && blank(*p))
        p++;
    if (p < end && *p != '\r') {
        const char *t0 = p;
        if (*p == '-')
            p++;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == t0 || (p == t0 + 1 && *t0 == '-'))
            return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: bytes after the value", line);
        while (p < end && blank(*p))
            p++;
    }
    if (p < end && !(*p == '\r' && p + 1 == end))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "line %zu: bytes after the timestamp", line);
    if (!isfinite(x) || x > METRIC_MAX || x < -METRIC_MAX)
        return rsp_diag_set(d, RSP_ERR_RANGE, "line %zu: value '%s' is not a finite count", line, num);
    *v = x;
    return RSP_OK;
}

rsp_err rsp_metrics_read_sum(const char *text, size_t len, const char *name, double *sum, size_t *samples,
                             rsp_diag *diag)
{
    if (sum)
        *sum = 0;
    if (samples)
        *samples = 0;
    size_t nl = name ? strlen(name) : 0;
    bool ok = nl > 0 && name_start(name[0]);
    for (size_t i = 1; ok && i < nl; i++)
        ok = name_char(name[i]);
    if (!ok || !sum || (!text && len))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "metrics: a metric name and a result are required");
    double total = 0;
    size_t count = 0, line = 0;
    const char *p = text, *end = text ? text + len : NULL;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        line++;
        if ((size_t)(le - p) > nl && memcmp(p, name, nl) == 0 && (p[nl] == '{' || blank(p[nl]))) {
            double v = 0;
            rsp_err e = sample(p + nl, le, line, &v, diag);
            if (e == RSP_OK && fabs(total + v) > METRIC_MAX)
                e = rsp_diag_set(diag, RSP_ERR_RANGE, "line %zu: the sum of %s goes beyond 1e15", line, name);
            if (e != RSP_OK)
                return e;
            total += v;
            count++;
        }
        p = eol ? eol + 1 : end;
    }
    if (count == 0)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "metrics: no sample of %.80s", name);
    *sum = total;
    if (samples)
        *samples = count;
    return RSP_OK;
}
