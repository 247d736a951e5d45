/* lib/smsr/metrics.c: the PoR latency histogram (one observation per PoR, from the last packet sent
 * to that card; a resend restarts the clock; a PoR nobody waits for is not counted; the table stays
 * bounded however many cards) and the oldest-operation gauges read from the store at each scrape. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/store.h"
#include "smsr/smsr_metrics.h"

typedef struct tfx {
    char dir[64];
    rsp_store *st;
    rsp_metrics *m;
    smsr_metrics *x;
} tfx;

static int setup(void **state)
{
    tfx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rsp-smsr-metrics.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char uri[128];
    snprintf(uri, sizeof uri, "sqlite:%s/s.db", f->dir);
    if (rsp_store_open(uri, NULL, &f->st) != RSP_OK || rsp_metrics_new(&f->m) != RSP_OK)
        return -1;
    f->x = malloc(sizeof *f->x);
    *state = f;
    return f->x ? 0 : -1;
}

static int teardown(void **state)
{
    tfx *f = *state;
    rsp_metrics_free(f->m);
    rsp_store_close(f->st);
    free(f->x);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", f->dir);
    free(f);
    return 0;
}

/* The value of the sample line that starts with `line ` in the rendered registry; -1 if absent. */
static double sample(rsp_metrics *m, const char *line)
{
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_metrics_render(m, &b), RSP_OK);
    assert_int_equal(rsp_buf_append(&b, "", 1), RSP_OK);
    double v = -1;
    size_t n = strlen(line);
    for (const char *p = (const char *)b.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, line, n) && p[n] == ' ')
            v = strtod(p + n + 1, NULL);
    rsp_buf_free(&b);
    return v;
}

#define E1 "89049032123451234512345678901235"
#define E2 "89049032123451234512345678901243"

static void test_por(void **state)
{
    tfx *f = *state;
    assert_int_equal(smsr_metrics_register(f->x, f->m, f->st), RSP_OK);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_count") == 0); /* exposed before any PoR */
    smsr_metrics_sent(f->x, E1, 1000);
    smsr_metrics_por(f->x, E1, 1300);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_count") == 1);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_bucket{le=\"0.25\"}") == 0);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_bucket{le=\"0.5\"}") == 1);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_sum") == 0.3);
    smsr_metrics_por(f->x, E1, 1400); /* a second PoR for the same packet */
    smsr_metrics_por(f->x, E2, 1400); /* nothing sent to E2 */
    assert_true(sample(f->m, "rsp_smsr_por_seconds_count") == 1);
    smsr_metrics_sent(f->x, E2, 10000);
    smsr_metrics_sent(f->x, E2, 40000); /* resent: the PoR answers this one */
    smsr_metrics_por(f->x, E2, 42000);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_count") == 2);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_bucket{le=\"1\"}") == 1);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_bucket{le=\"2\"}") == 2);
    /* more cards waiting than slots: the table stays bounded, the latest sent is still matched */
    char eid[33];
    for (int i = 0; i < 5 * SMSR_METRICS_SLOTS; i++) {
        snprintf(eid, sizeof eid, "8904903212345123451234%010u", (unsigned)i);
        smsr_metrics_sent(f->x, eid, 50000 + i);
    }
    smsr_metrics_por(f->x, eid, 60000 + 5 * SMSR_METRICS_SLOTS);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_count") == 3);
    /* bad input is ignored, not stored */
    smsr_metrics_sent(f->x, "", 1);
    smsr_metrics_sent(f->x, "8904903212345123451234567890123599", 1); /* longer than an EID */
    smsr_metrics_sent(NULL, E1, 1);
    smsr_metrics_por(NULL, E1, 1);
    smsr_metrics_por(f->x, "", 2);
    assert_true(sample(f->m, "rsp_smsr_por_seconds_count") == 3);
    assert_int_equal(smsr_metrics_register(f->x, f->m, f->st), RSP_ERR_EXISTS); /* names are taken */
}

static void test_oldest(void **state)
{
    tfx *f = *state;
    assert_int_equal(smsr_metrics_register(f->x, f->m, f->st), RSP_OK);
    assert_true(sample(f->m, "rsp_smsr_operation_oldest_seconds{state=\"queued\"}") == 0);
    rsp_store_op op;
    memset(&op, 0, sizeof op);
    int64_t now = (int64_t)time(NULL), id = 0;
    bool replayed = false;
    snprintf(op.eid, sizeof op.eid, "%s", E1);
    snprintf(op.function, sizeof op.function, "ES4.DisableProfile");
    snprintf(op.requester, sizeof op.requester, "op1");
    snprintf(op.fcid, sizeof op.fcid, "f1");
    op.created = now - 100;
    op.next_attempt = now - 100;
    op.deadline = now + 1000;
    assert_int_equal(rsp_buf_append(&op.script, "x", 1), RSP_OK);
    assert_int_equal(rsp_store_op_submit(f->st, &op, &id, &replayed), RSP_OK);
    rsp_buf_free(&op.script);
    double age = sample(f->m, "rsp_smsr_operation_oldest_seconds{state=\"queued\"}");
    assert_true(age >= 100 && age < 200);
    assert_true(sample(f->m, "rsp_smsr_operation_oldest_seconds{state=\"sent\"}") == 0);
    assert_true(sample(f->m, "rsp_smsr_operation_oldest_seconds{state=\"awaiting\"}") == 0);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(test_por, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oldest, setup, teardown),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
