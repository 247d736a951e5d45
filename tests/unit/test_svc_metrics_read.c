/* rsp_metrics_read_sum (lib/svc/metrics_read.c): the example page of the Prometheus text format
 * documentation (prometheus.io/docs/instrumenting/exposition_formats, "Text format example") read as
 * written there, a page like the SM-SR's, and malformed pages: each refused with its line and reason,
 * never read past len. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rsp/metrics_read.h"

/* Verbatim from the Prometheus documentation (its escapes as C escapes). */
static const char PROM_EXAMPLE[] =
    "# HELP http_requests_total The total number of HTTP requests.\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
    "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
    "\n"
    "# Escaping in label values:\n"
    "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} "
    "1.458255915e9\n"
    "\n"
    "# Minimalistic line:\n"
    "metric_without_timestamp_and_labels 12.47\n"
    "\n"
    "# A weird metric from before the epoch:\n"
    "something_weird{problem=\"division by zero\"} +Inf -3982045\n";

static rsp_err sum_of(const char *text, const char *name, double *v, size_t *n, rsp_diag *d)
{
    rsp_diag_clear(d);
    return rsp_metrics_read_sum(text, strlen(text), name, v, n, d);
}

static void test_prometheus_example(void **state)
{
    (void)state;
    double v;
    size_t n;
    rsp_diag d;
    assert_int_equal(sum_of(PROM_EXAMPLE, "http_requests_total", &v, &n, &d), RSP_OK);
    assert_true(v == 1030.0);
    assert_int_equal(n, 2);
    assert_int_equal(sum_of(PROM_EXAMPLE, "msdos_file_access_time_seconds", &v, &n, &d), RSP_OK);
    assert_true(v == 1.458255915e9);
    assert_int_equal(sum_of(PROM_EXAMPLE, "metric_without_timestamp_and_labels", &v, &n, &d), RSP_OK);
    assert_true(v == 12.47);
    /* +Inf is the format's, but no count: refused, with its line */
    assert_int_equal(sum_of(PROM_EXAMPLE, "something_weird", &v, &n, &d), RSP_ERR_RANGE);
    assert_non_null(strstr(d.msg, "line 13"));
    assert_true(v == 0 && n == 0);
    /* a prefix is not a match; a name in a comment is not a sample */
    assert_int_equal(sum_of(PROM_EXAMPLE, "http_requests", &v, &n, &d), RSP_ERR_NOT_FOUND);
    assert_int_equal(sum_of(PROM_EXAMPLE, "HELP", &v, &n, &d), RSP_ERR_NOT_FOUND);
}

static void test_smsr_page(void **state)
{
    (void)state;
    /* labels holding '}', ',' , spaces and \" inside quotes; CRLF lines; tabs; a trailing comma */
    const char *page = "# TYPE rsp_smsr_sms_out_total counter\r\n"
                       "rsp_smsr_sms_out_total{worker=\"w1\",why=\"a } b, \\\"c\\\"\"} 7\r\n"
                       "rsp_smsr_sms_out_total{worker=\"w2\",}\t5\r\n"
                       "rsp_smsr_sms_out_totalx 1000\n"
                       "rsp_smsr_admin_sessions_total 0";
    double v;
    size_t n;
    rsp_diag d;
    assert_int_equal(sum_of(page, "rsp_smsr_sms_out_total", &v, &n, &d), RSP_OK);
    assert_true(v == 12.0);
    assert_int_equal(n, 2);
    assert_int_equal(sum_of(page, "rsp_smsr_admin_sessions_total", &v, &n, &d), RSP_OK); /* last line, no \n */
    assert_true(v == 0.0 && n == 1);
    assert_int_equal(sum_of("", "x", &v, &n, &d), RSP_ERR_NOT_FOUND);
    /* a page that is not NUL-terminated: len bounds every read (ASan would see an overread) */
    const char raw[] = "m{a=\"1\"} 4\nm 5";
    char *heap = malloc(sizeof(raw) - 1);
    assert_non_null(heap);
    memcpy(heap, raw, sizeof(raw) - 1);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_metrics_read_sum(heap, sizeof(raw) - 1, "m", &v, &n, &d), RSP_OK);
    assert_true(v == 9.0 && n == 2);
    /* cut inside the label block and inside the value */
    assert_int_equal(rsp_metrics_read_sum(heap, 6, "m", &v, &n, &d), RSP_ERR_FORMAT);
    assert_int_equal(rsp_metrics_read_sum(heap, 9, "m", &v, &n, &d), RSP_ERR_FORMAT);
    free(heap);
}

static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        rsp_err want;
        const char *why;
    } bad[] = {
        {"m{a=\"1\" 4\n", RSP_ERR_FORMAT, "after a label"},
        {"m{a=\"1} 4\n", RSP_ERR_FORMAT, "not closed"},
        {"m{a=1} 4\n", RSP_ERR_FORMAT, "name=\"value\""},
        {"m{=\"1\"} 4\n", RSP_ERR_FORMAT, "label name"},
        {"m{a=\"\\x\"} 4\n", RSP_ERR_FORMAT, "escape"},
        {"m{a=\"1\"}4\n", RSP_ERR_FORMAT, "blank"},
        {"m \n", RSP_ERR_FORMAT, "no value"},
        {"m abc\n", RSP_ERR_FORMAT, "not a number"},
        {"m inf\n", RSP_ERR_FORMAT, "not a number"},
        {"m 0x\n", RSP_ERR_FORMAT, "not a number"},
        {"m 4 12 x\n", RSP_ERR_FORMAT, "after the timestamp"},
        {"m 4 x\n", RSP_ERR_FORMAT, "after the value"},
        {"m NaN\n", RSP_ERR_RANGE, "finite"},
        {"m -Inf\n", RSP_ERR_RANGE, "finite"},
        {"m 1e300\n", RSP_ERR_RANGE, "finite"},
        {"m 9e14\nm 9e14\n", RSP_ERR_RANGE, "beyond"},
        {"ok 1\nm 1234567890123456789012345678901234567890123456789012345678901234567890\n", RSP_ERR_FORMAT, "line 2"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double v = -1;
        size_t n = 99;
        rsp_diag d;
        rsp_err e = sum_of(bad[i].text, "m", &v, &n, &d);
        if (e != bad[i].want || !strstr(d.msg, bad[i].why))
            fail_msg("case %zu '%s': %s '%s'", i, bad[i].text, rsp_err_name(e), d.msg);
        assert_true(v == 0 && n == 0);
    }
    /* a NUL inside a sample line */
    const char nul[] = "m 1\0 2\n";
    double v;
    size_t n;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_metrics_read_sum(nul, sizeof(nul) - 1, "m", &v, &n, &d), RSP_ERR_FORMAT);
    /* a NUL in another metric's line is not read */
    const char other[] = "x 1\0\nm 2\n";
    assert_int_equal(rsp_metrics_read_sum(other, sizeof(other) - 1, "m", &v, &n, &d), RSP_OK);
    assert_true(v == 2.0);
    /* the caller's mistakes */
    assert_int_equal(rsp_metrics_read_sum("m 1", 3, "", &v, &n, &d), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_read_sum("m 1", 3, "9m", &v, &n, &d), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_read_sum("m 1", 3, "m x", &v, &n, &d), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_read_sum(NULL, 3, "m", &v, &n, &d), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_read_sum("m 1", 3, "m", NULL, &n, &d), RSP_ERR_INVAL);
    assert_int_equal(rsp_metrics_read_sum(NULL, 0, "m", &v, NULL, NULL), RSP_ERR_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prometheus_example),
        cmocka_unit_test(test_smsr_page),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
