/* The console's store queries (lib/store/console.c) on SQLite and PostgreSQL (scripts/with-pg):
 * schema v8 in place; keyset pages by EID, ICCID and MSISDN prefix visit every match once (MSISDNs
 * shared by several profiles split across pages), counts, a stale cursor gives an empty page; the
 * operation filters (state range, function, requester, EID) and a campaign's figures by FCID
 * pattern, with LIKE's '_' escaped (an FCID with '_' must not match another character). */
#include "test_store_fixture.h"

#include "rsp/store_console.h"

#define N 25
#define T0 1800000000LL

static void eid_of(int i, char out[33])
{
    snprintf(out, 33, "890490320000000000000000000%05u", (unsigned)(200 + i) % 100000u);
}

static void fill(rsp_store *s)
{
    assert_int_equal(rsp_store_batch_begin(s), RSP_OK);
    for (int i = 0; i < N; i++) {
        rsp_store_eis e;
        memset(&e, 0, sizeof(e));
        eid_of(i, e.eid);
        snprintf(e.eum_id, sizeof(e.eum_id), "eum");
        snprintf(e.smsr_id, sizeof(e.smsr_id), "sr");
        assert_int_equal(rsp_store_eis_put(s, &e), RSP_OK);
        rsp_store_profile p;
        memset(&p, 0, sizeof(p));
        snprintf(p.iccid, sizeof(p.iccid), "8900000000000%07u", (unsigned)(700 + i) % 10000000u);
        memcpy(p.eid, e.eid, sizeof(p.eid));
        snprintf(p.isdp_aid, sizeof(p.isdp_aid), "A0000005591010FFFFFFFF8900001000");
        snprintf(p.mno_id, sizeof(p.mno_id), "op1");
        snprintf(p.msisdn, sizeof(p.msisdn), "3361%u", (unsigned)(i % 4)); /* 7, 6, 6, 6 profiles */
        p.state = RSP_STORE_PROFILE_ENABLED;
        assert_int_equal(rsp_store_profile_put(s, &p), RSP_OK);
        rsp_store_op op;
        memset(&op, 0, sizeof(op));
        memcpy(op.eid, e.eid, sizeof(op.eid));
        snprintf(op.function, sizeof(op.function), i % 2 ? "ES4.EnableProfile" : "ES4.AuditEIS");
        snprintf(op.requester, sizeof(op.requester), i < 20 ? "op1" : "sp_1");
        /* campaign "c_1-<EID>" for 10 cards; "cx1-<EID>" must not be counted with it */
        snprintf(op.fcid, sizeof(op.fcid), i < 10 ? "c_1-%s" : "cx1-%s", e.eid);
        op.created = T0 + i;
        op.deadline = T0 + 3600;
        op.next_attempt = T0;
        int64_t id;
        bool rep;
        assert_int_equal(rsp_store_op_submit(s, &op, &id, &rep), RSP_OK);
    }
    assert_int_equal(rsp_store_batch_commit(s), RSP_OK);
}

static int pages(rsp_store *s, rsp_store_console_by by, const char *prefix, size_t lim, int64_t *total)
{
    char after[40] = "", after_iccid[24] = "", seen[N][40];
    int n = 0;
    for (;;) {
        rsp_store_console_hit *h = NULL;
        size_t k = 0;
        assert_int_equal(rsp_store_console_search(s, by, prefix, after, after_iccid, lim, &h, &k, total), RSP_OK);
        for (size_t i = 0; i < k; i++) {
            char key[40];
            snprintf(key, sizeof(key), "%s", by == RSP_STORE_CONSOLE_BY_EID ? h[i].eid : h[i].iccid);
            assert_int_equal(strncmp(by == RSP_STORE_CONSOLE_BY_EID     ? h[i].eid
                                     : by == RSP_STORE_CONSOLE_BY_ICCID ? h[i].iccid
                                                                        : h[i].msisdn,
                                     prefix, strlen(prefix)),
                             0);
            for (int m = 0; m < n; m++)
                assert_string_not_equal(seen[m], key);
            assert_true(n < N);
            snprintf(seen[n++], sizeof(seen[0]), "%s", key);
        }
        if (k < lim) {
            free(h);
            return n;
        }
        snprintf(after, sizeof(after), "%s",
                 by == RSP_STORE_CONSOLE_BY_EID ? h[k - 1].eid : by == RSP_STORE_CONSOLE_BY_ICCID ? h[k - 1].iccid
                                                                                                 : h[k - 1].msisdn);
        snprintf(after_iccid, sizeof(after_iccid), "%s", h[k - 1].iccid);
        free(h);
    }
}

static void t_queries(void **state)
{
    fx *f = fx_get(state);
    int v = 0;
    assert_int_equal(rsp_store_schema_version(f->s, &v), RSP_OK);
    assert_true(v >= 8);
    fill(f->s);
    int64_t total = 0;
    assert_int_equal(pages(f->s, RSP_STORE_CONSOLE_BY_EID, "8904", 4, &total), N);
    assert_int_equal(total, N);
    assert_int_equal(pages(f->s, RSP_STORE_CONSOLE_BY_EID, "8904903200000000000000000000021", 3, &total), 10);
    assert_int_equal(pages(f->s, RSP_STORE_CONSOLE_BY_ICCID, "", 6, &total), N);
    assert_int_equal(pages(f->s, RSP_STORE_CONSOLE_BY_MSISDN, "336", 4, &total), N);
    assert_int_equal(pages(f->s, RSP_STORE_CONSOLE_BY_MSISDN, "33610", 2, &total), 7);
    assert_int_equal(total, 7);
    assert_int_equal(pages(f->s, RSP_STORE_CONSOLE_BY_MSISDN, "4", 2, &total), 0);
    rsp_store_console_hit *h = NULL;
    size_t k = 9;
    /* a cursor from another prefix: from the prefix's start; one past the range: empty */
    assert_int_equal(rsp_store_console_search(f->s, RSP_STORE_CONSOLE_BY_EID, "8904", "9", "", 5, &h, &k, NULL), RSP_OK);
    assert_int_equal(k, 0);
    free(h);
    assert_int_equal(rsp_store_console_search(f->s, RSP_STORE_CONSOLE_BY_EID, "8904", "", "", 0, &h, &k, NULL),
                     RSP_ERR_INVAL);

    rsp_store_console_op *ops = NULL;
    size_t n = 0;
    rsp_store_console_op_filter fl = {0, 0, 5, NULL, NULL, NULL};
    assert_int_equal(rsp_store_console_ops(f->s, &fl, 100, &ops, &n), RSP_OK);
    assert_int_equal(n, N);
    assert_true(ops[0].op.id > ops[1].op.id); /* newest first */
    int64_t mid = ops[10].op.id;
    rsp_store_console_ops_free(ops, n);
    fl.before_id = mid;
    assert_int_equal(rsp_store_console_ops(f->s, &fl, 100, &ops, &n), RSP_OK);
    assert_int_equal(n, N - 11);
    rsp_store_console_ops_free(ops, n);
    rsp_store_console_op_filter f2 = {0, 0, 0, "ES4.AuditEIS", "op1", NULL}; /* queued only */
    assert_int_equal(rsp_store_console_ops(f->s, &f2, 100, &ops, &n), RSP_OK);
    assert_int_equal(n, 10); /* even i < 20 */
    rsp_store_console_ops_free(ops, n);
    char e3[33];
    eid_of(3, e3);
    rsp_store_console_op_filter f3 = {0, 0, 5, NULL, NULL, e3};
    assert_int_equal(rsp_store_console_ops(f->s, &f3, 100, &ops, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ops[0].op.eid, e3);
    rsp_store_console_ops_free(ops, n);
    rsp_store_console_op_filter f4 = {0, 3, 5, NULL, NULL, NULL}; /* settled: none */
    assert_int_equal(rsp_store_console_ops(f->s, &f4, 100, &ops, &n), RSP_OK);
    assert_int_equal(n, 0);
    rsp_store_console_ops_free(ops, n);

    rsp_store_console_campaign c;
    assert_int_equal(rsp_store_console_campaign_get(f->s, "op1", "c_1-", "c\\_1-%", &c), RSP_OK);
    assert_int_equal(c.by_state[RSP_STORE_OP_QUEUED], 10);
    assert_int_equal(c.first_created, T0);
    assert_string_equal(c.function, "mixed");
    assert_int_equal(rsp_store_console_campaign_get(f->s, "op1", "c", "c\\_%", &c), RSP_OK);
    assert_int_equal(c.by_state[RSP_STORE_OP_QUEUED], 10);
    assert_int_equal(rsp_store_console_campaign_get(f->s, "sp_1", "cx1-", "cx1-%", &c), RSP_OK);
    assert_int_equal(c.by_state[RSP_STORE_OP_QUEUED], 5);
    rsp_store_console_recent_op *r = NULL;
    assert_int_equal(rsp_store_console_recent(f->s, 7, &r, &n), RSP_OK);
    assert_int_equal(n, 7);
    assert_string_equal(r[0].requester, "sp_1");
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(t_queries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
