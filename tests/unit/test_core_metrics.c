/* The metrics registry against golden Prometheus text (format 0.0.4), escaping included.
 *
 * Fact from outside: prometheus/client_python's test_escaping (PR #15, "Escape double quotes, not
 * single") exposes Counter('cc', 'A\ncount\\er', ['a']) with label value '\\x\n"' incremented once as
 *   # HELP cc A\ncount\\er
 *   # TYPE cc counter
 *   cc{a="\\x\n\""} 1.0
 * (the exposition format: HELP escapes backslash and line feed; label values backslash, double quote
 * and line feed). We print integral values without ".0", which Prometheus parses the same. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/metrics.h"

static char *render(rsp_metrics *m)
{
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_metrics_render(m, &b), RSP_OK);
    char *s = calloc(1, b.len + 1);
    memcpy(s, b.data, b.len);
    rsp_buf_free(&b);
    return s;
}

static void test_client_python_escaping(void **state)
{
    (void)state;
    rsp_metrics *m;
    rsp_metric *cc;
    assert_int_equal(rsp_metrics_new(&m), RSP_OK);
    const char *labels[] = {"a"};
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_COUNTER, "cc", "A\ncount\\er", labels, 1, NULL, 0, &cc), RSP_OK);
    const char *v[] = {"\\x\n\""};
    assert_int_equal(rsp_metric_inc(cc, v, 1), RSP_OK);
    char *s = render(m);
    assert_string_equal(s, "# HELP cc A\\ncount\\\\er\n# TYPE cc counter\ncc{a=\"\\\\x\\n\\\"\"} 1\n");
    free(s);
    rsp_metrics_free(m);
}

static void collect(void *arg, rsp_metrics *m)
{
    (*(int *)arg)++;
    rsp_metric_set(rsp_metrics_find(m, "rsp_http_connections_open"), NULL, 3);
}

static void test_golden(void **state)
{
    (void)state;
    rsp_metrics *m;
    rsp_metric *req, *open, *lat;
    int collected = 0;
    assert_int_equal(rsp_metrics_new(&m), RSP_OK);
    const char *rl[] = {"iface", "function", "result"};
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_es_requests_total", "ES requests handled.", rl, 3,
                                     NULL, 0, &req), RSP_OK);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_http_connections_open", "Open connections.", NULL, 0,
                                     NULL, 0, &open), RSP_OK);
    const double b[] = {0.005, 0.1, 1, 2.5};
    const char *ll[] = {"iface"};
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_HISTOGRAM, "rsp_es_seconds", "Time to answer.", ll, 1, b, 4, &lat),
                     RSP_OK);
    assert_int_equal(rsp_metrics_on_collect(m, collect, &collected), RSP_OK);
    const char *a1[] = {"ES3", "EnableProfile", "ok"}, *a2[] = {"ES3", "EnableProfile", "failed"};
    assert_int_equal(rsp_metric_inc(req, a1, 1), RSP_OK);
    assert_int_equal(rsp_metric_inc(req, a2, 1), RSP_OK);
    assert_int_equal(rsp_metric_inc(req, a1, 2), RSP_OK);
    const char *es3[] = {"ES3"};
    const double obs[] = {0.001, 0.005, 0.05, 0.3, 7};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(rsp_metric_observe(lat, es3, obs[i]), RSP_OK);
    char *s = render(m);
    assert_string_equal(s,
        "# HELP rsp_es_requests_total ES requests handled.\n"
        "# TYPE rsp_es_requests_total counter\n"
        "rsp_es_requests_total{iface=\"ES3\",function=\"EnableProfile\",result=\"ok\"} 3\n"
        "rsp_es_requests_total{iface=\"ES3\",function=\"EnableProfile\",result=\"failed\"} 1\n"
        "# HELP rsp_http_connections_open Open connections.\n"
        "# TYPE rsp_http_connections_open gauge\n"
        "rsp_http_connections_open 3\n"
        "# HELP rsp_es_seconds Time to answer.\n"
        "# TYPE rsp_es_seconds histogram\n"
        "rsp_es_seconds_bucket{iface=\"ES3\",le=\"0.005\"} 2\n"
        "rsp_es_seconds_bucket{iface=\"ES3\",le=\"0.1\"} 3\n"
        "rsp_es_seconds_bucket{iface=\"ES3\",le=\"1\"} 4\n"
        "rsp_es_seconds_bucket{iface=\"ES3\",le=\"2.5\"} 4\n"
        "rsp_es_seconds_bucket{iface=\"ES3\",le=\"+Inf\"} 5\n"
        "rsp_es_seconds_sum{iface=\"ES3\"} 7.356\n"
        "rsp_es_seconds_count{iface=\"ES3\"} 5\n");
    free(s);
    assert_int_equal(collected, 1);
    assert_true(rsp_metric_value(req, a1) == 3);
    assert_true(rsp_metric_value(lat, es3) == 5);
    assert_true(rsp_metric_value(req, (const char *[]){"ES3", "x", "ok"}) == 0);
    rsp_metrics_free(m);
}

static void test_refusals(void **state)
{
    (void)state;
    rsp_metrics *m;
    rsp_metric *c, *g;
    assert_int_equal(rsp_metrics_new(&m), RSP_OK);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_COUNTER, "9bad", "", NULL, 0, NULL, 0, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_COUNTER, "a-b", "", NULL, 0, NULL, 0, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_COUNTER, "", "", NULL, 0, NULL, 0, NULL), RSP_ERR_INVAL);
    const char *le[] = {"le"}, *dunder[] = {"__x"}, *colon[] = {"a:b"}, *dup[] = {"x", "x"};
    const double inc[] = {1, 1}, inf[] = {INFINITY};
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_HISTOGRAM, "h", "", le, 1, inc, 1, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_HISTOGRAM, "h", "", NULL, 0, inc, 2, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_HISTOGRAM, "h", "", NULL, 0, inf, 1, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_GAUGE, "g", "", dunder, 1, NULL, 0, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_GAUGE, "g", "", colon, 1, NULL, 0, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_GAUGE, "g", "", dup, 2, NULL, 0, NULL), RSP_ERR_INVAL);
    const char *x[] = {"x"};
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_COUNTER, "ns:c_total", "", x, 1, NULL, 0, &c), RSP_OK);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_COUNTER, "ns:c_total", "", NULL, 0, NULL, 0, NULL),
                     RSP_ERR_EXISTS);
    assert_int_equal(rsp_metrics_add(m, RSP_METRIC_GAUGE, "g", "", NULL, 0, NULL, 0, &g), RSP_OK);
    assert_int_equal(rsp_metric_inc(c, x, -1), RSP_ERR_INVAL);   /* counters only go up */
    assert_int_equal(rsp_metric_inc(c, NULL, 1), RSP_ERR_INVAL); /* labels missing */
    assert_int_equal(rsp_metric_observe(c, x, 1), RSP_ERR_INVAL);
    assert_int_equal(rsp_metric_set(c, x, 5), RSP_OK);
    assert_int_equal(rsp_metric_set(c, x, 4), RSP_ERR_INVAL);
    assert_int_equal(rsp_metric_inc(g, NULL, -2.5), RSP_OK);
    /* the series cap holds whatever outside values are used as labels */
    char val[16];
    for (int i = 0; i < RSP_METRICS_MAX_SERIES + 5; i++) {
        snprintf(val, sizeof(val), "v%d", i);
        const char *vv[] = {val};
        assert_int_equal(rsp_metric_inc(c, vv, 1), i < RSP_METRICS_MAX_SERIES - 1 ? RSP_OK : RSP_ERR_RANGE);
    }
    char num[40];
    rsp_metrics_format_value(0.1, num, sizeof(num));
    assert_string_equal(num, "0.1");
    rsp_metrics_format_value(-2.5, num, sizeof(num));
    assert_string_equal(num, "-2.5");
    rsp_metrics_format_value(1e20, num, sizeof(num));
    assert_string_equal(num, "1e+20");
    rsp_metrics_format_value(-INFINITY, num, sizeof(num));
    assert_string_equal(num, "-Inf");
    rsp_metrics_format_value(NAN, num, sizeof(num));
    assert_string_equal(num, "NaN");
    rsp_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_python_escaping),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
