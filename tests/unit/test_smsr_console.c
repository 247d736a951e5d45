/* The SM-SR web console without sockets: the query-string parser on malformed input (offsets
 * named), the value checks, and rsp_smsr_console_serve over a SQLite store of 30 cards: 401 without
 * an identity, keyset paging that visits every card once (EID, ICCID, MSISDN), an XSS-shaped name
 * returned as \u003c escapes, a demo-shaped campaign ("demo-enable-<EID>-<stamp>", as apps/demo_calls.c
 * names its calls) grouped as one, and the cancel action: off -> 403, on -> op failed 8.7/3.8 with a
 * console.cancel audit row by the identity, refused for an identity not on the profile. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "testutil.h"

#include "rsp/smsr.h"
#include "rsp/smsr_console.h"
#include "rsp/store.h"

#define T0 1800000000LL
#define NCARDS 30

static void parse_bad(const char *qs, rsp_err want, size_t at)
{
    rsp_smsr_console_query q;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smsr_console_query_parse(qs, strlen(qs), &q, &d), want);
    assert_true(d.has_offset);
    assert_int_equal(d.offset, at);
    assert_true(strlen(d.msg) > 0);
}

static void test_query_parse(void **state)
{
    (void)state;
    rsp_smsr_console_query q;
    const char *s = "by=msisdn&q=%2B4477+00&empty=&flag&after_iccid=8900";
    assert_int_equal(rsp_smsr_console_query_parse(s, strlen(s), &q, NULL), RSP_OK);
    assert_int_equal(q.n, 5);
    assert_string_equal(rsp_smsr_console_query_get(&q, "q"), "+4477 00");
    assert_string_equal(rsp_smsr_console_query_get(&q, "empty"), "");
    assert_string_equal(rsp_smsr_console_query_get(&q, "flag"), "");
    assert_null(rsp_smsr_console_query_get(&q, "nope"));
    assert_int_equal(rsp_smsr_console_query_parse("", 0, &q, NULL), RSP_OK);
    assert_int_equal(q.n, 0);
    /* not NUL-terminated: only len bytes are read */
    assert_int_equal(rsp_smsr_console_query_parse("a=1&b=2", 3, &q, NULL), RSP_OK);
    assert_int_equal(q.n, 1);

    parse_bad("q=1&q=2", RSP_ERR_FORMAT, 4);   /* twice */
    parse_bad("q=%zz", RSP_ERR_FORMAT, 2);     /* bad escape */
    parse_bad("q=ab%4", RSP_ERR_FORMAT, 4);    /* truncated escape */
    parse_bad("q=%", RSP_ERR_FORMAT, 2);
    parse_bad("q=%0a", RSP_ERR_FORMAT, 2);     /* control byte, escaped */
    parse_bad("q=a\tb", RSP_ERR_FORMAT, 3);    /* control byte, raw */
    parse_bad("q=%C3%A9", RSP_ERR_FORMAT, 2);  /* non-ASCII */
    parse_bad("q=%7F", RSP_ERR_FORMAT, 2);     /* DEL */
    parse_bad("Q=1", RSP_ERR_FORMAT, 0);       /* key: lower case only */
    parse_bad("a=1&=2", RSP_ERR_FORMAT, 4);    /* empty key */
    parse_bad("a=1&&b=2", RSP_ERR_FORMAT, 4);
    parse_bad("abcdefghijklmnopq=1", RSP_ERR_LENGTH, 0);
    char big[400];
    memset(big, 'x', sizeof(big));
    memcpy(big, "v=", 2);
    big[sizeof(big) - 1] = 0;
    parse_bad(big, RSP_ERR_LENGTH, 2 + RSP_SMSR_CONSOLE_QVAL - 1);
    char many[200] = "";
    for (int i = 0; i <= RSP_SMSR_CONSOLE_QMAX; i++) {
        char kv[16];
        snprintf(kv, sizeof(kv), "%sk%c=1", i ? "&" : "", 'a' + i);
        strcat(many, kv);
    }
    parse_bad(many, RSP_ERR_RANGE, (size_t)(strrchr(many, '&') - many) + 1);
    char huge[RSP_SMSR_CONSOLE_QLEN + 2];
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = 0;
    parse_bad(huge, RSP_ERR_LENGTH, RSP_SMSR_CONSOLE_QLEN);
}

static void test_checks(void **state)
{
    (void)state;
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_EID, "", NULL), RSP_OK);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_EID, "8904", NULL), RSP_OK);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_EID, "89O4", NULL), RSP_ERR_FORMAT);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_EID, "890490320000000000000000000000001", NULL), RSP_ERR_LENGTH);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_ICCID, "8900012345678901234F", NULL), RSP_OK);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_MSISDN, "+4477", NULL), RSP_ERR_FORMAT);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_ID, "0", NULL), RSP_ERR_RANGE);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_ID, "", NULL), RSP_ERR_LENGTH);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_ID, "1234567890123456789", NULL), RSP_ERR_LENGTH);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_NAME, "ES4.EnableProfile", NULL), RSP_OK);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_NAME, "<script>", NULL), RSP_ERR_FORMAT);
    assert_int_equal(rsp_smsr_console_check(RSP_SMSR_CONSOLE_NAME, "a\"b", NULL), RSP_ERR_FORMAT);
}

typedef struct fx {
    char dir[64], uri[128], tokens[128];
    rsp_store *st;
    rsp_smsr *e;
    rsp_smsr_console *c;
    int64_t queued_op;
} fx;

static void eid_of(int i, char out[33])
{
    snprintf(out, 33, "890490320000000000000000000%05u", (unsigned)(100 + i) % 100000u);
}

static int fx_setup(void **state)
{
    fx *x = calloc(1, sizeof(*x));
    snprintf(x->dir, sizeof(x->dir), "/tmp/smsr-con-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
    snprintf(x->uri, sizeof(x->uri), "sqlite:%s/s.db", x->dir);
    snprintf(x->tokens, sizeof(x->tokens), "%s/tokens", x->dir);
    FILE *f = fopen(x->tokens, "w");
    fprintf(f, "# tokens\n0123456789abcdef0123456789abcdef op1\nfedcba9876543210fedcba9876543210 op9\n");
    fclose(f);
    assert_int_equal(rsp_store_open(x->uri, NULL, &x->st), RSP_OK);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    assert_int_equal(rsp_smsr_new(x->st, &cfg, &x->e), RSP_OK);
    assert_int_equal(rsp_store_batch_begin(x->st), RSP_OK); /* one commit for the fleet */
    for (int i = 0; i < NCARDS; i++) {
        rsp_store_eis eis;
        memset(&eis, 0, sizeof(eis));
        eid_of(i, eis.eid);
        snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
        snprintf(eis.smsr_id, sizeof(eis.smsr_id), "sr1");
        assert_int_equal(rsp_store_eis_put(x->st, &eis), RSP_OK);
        rsp_store_profile p;
        memset(&p, 0, sizeof(p));
        snprintf(p.iccid, sizeof(p.iccid), "8900000000000%07u", (unsigned)(500 + i) % 10000000u);
        memcpy(p.eid, eis.eid, sizeof(p.eid));
        snprintf(p.isdp_aid, sizeof(p.isdp_aid), "A0000005591010FFFFFFFF8900001000");
        snprintf(p.mno_id, sizeof(p.mno_id), "op1");
        snprintf(p.smdp_id, sizeof(p.smdp_id), "dp1");
        snprintf(p.profile_type, sizeof(p.profile_type), i == 7 ? "<img src=x onerror=alert(1)>" : "m2m");
        snprintf(p.msisdn, sizeof(p.msisdn), "4477009%05u", (unsigned)(i % 10)); /* duplicates: paging by (msisdn, iccid) */
        p.state = RSP_STORE_PROFILE_ENABLED;
        p.fallback = true;
        assert_int_equal(rsp_store_profile_put(x->st, &p), RSP_OK);
    }
    assert_int_equal(rsp_store_batch_commit(x->st), RSP_OK);
    /* SM-DP-shaped calls (one random part per download): one campaign "smdp-100-7-*" */
    static const char *const dp[] = {"smdp-100-7-41af1eb6-2", "smdp-100-7-935d1f8e-3"};
    for (int i = 0; i < 2; i++) {
        char eid[33], iccid[21];
        eid_of(10 + i, eid);
        snprintf(iccid, sizeof(iccid), "8900000000000%07u", (unsigned)(510 + i) % 10000000u);
        rsp_smsr_request rq = {RSP_SMSR_FN_AUDIT, RSP_SMSR_ROLE_OPERATOR, "op1", dp[i], eid, iccid, T0, 3600};
        rsp_smsr_result r;
        assert_int_equal(rsp_smsr_submit(x->e, &rq, &r), RSP_OK);
    }
    /* a demo-shaped campaign on cards 0..2, and a second op queued behind card 0's */
    for (int i = 0; i < 4; i++) {
        char eid[33], iccid[21], fcid[96];
        eid_of(i == 3 ? 0 : i, eid);
        snprintf(iccid, sizeof(iccid), "8900000000000%07u", (unsigned)(500 + (i == 3 ? 0 : i)) % 10000000u);
        if (i < 3)
            snprintf(fcid, sizeof(fcid), "demo-enable-%s-1796018060", eid);
        else
            snprintf(fcid, sizeof(fcid), "later");
        rsp_smsr_request rq = {RSP_SMSR_FN_AUDIT, RSP_SMSR_ROLE_OPERATOR, "op1", fcid, eid, iccid, T0, 3600};
        rsp_smsr_result r;
        assert_int_equal(rsp_smsr_submit(x->e, &rq, &r), RSP_OK);
        assert_int_equal(r.state, RSP_STORE_OP_QUEUED);
        x->queued_op = r.op_id;
    }
    *state = x;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *x = *state;
    rsp_smsr_console_free(x->c);
    rsp_smsr_free(x->e);
    rsp_store_close(x->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
    assert_int_equal(system(cmd), 0);
    free(x);
    return 0;
}

static void open_console(fx *x, bool actions)
{
    rsp_smsr_console_free(x->c);
    rsp_smsr_console_opts o = {NULL, NULL, x->tokens, false, NULL, NULL, NULL, actions, "", ""};
    assert_int_equal(rsp_smsr_console_new(NULL, x->e, x->st, &o, &x->c, NULL), RSP_OK);
}

/* GET/POST as who; the JSON answer parsed (NULL when not JSON), *status set. */
static json_t *call(fx *x, const char *who, const char *method, const char *target, int *status, char **raw)
{
    rsp_smsr_console_answer a;
    rsp_smsr_console_serve(x->c, who, method, target, "rsp-console", NULL, 0, T0 + 10, &a);
    *status = a.status;
    json_t *j = json_loadb((const char *)a.body.data, a.body.len, 0, NULL);
    if (raw)
        *raw = strndup((const char *)a.body.data, a.body.len);
    rsp_buf_free(&a.body);
    return j;
}

static void test_auth(void **state)
{
    fx *x = *state;
    open_console(x, false);
    assert_string_equal(rsp_smsr_console_token_identity(x->c, "0123456789abcdef0123456789abcdef"), "op1");
    assert_null(rsp_smsr_console_token_identity(x->c, "0123456789abcdef0123456789abcdee"));
    assert_null(rsp_smsr_console_token_identity(x->c, "0123456789abcdef"));
    assert_null(rsp_smsr_console_token_identity(x->c, NULL));
    int st;
    json_t *j = call(x, NULL, "GET", "/api/search?q=89", &st, NULL);
    assert_int_equal(st, 401);
    json_decref(j);
    rsp_smsr_console_answer a;
    rsp_smsr_console_serve(x->c, NULL, "GET", "/", NULL, NULL, 0, T0, &a);
    assert_int_equal(a.status, 401);
    assert_non_null(strstr((const char *)a.body.data, "action=\"/login\""));
    rsp_buf_free(&a.body);
    const char *form = "token=0123456789abcdef0123456789abcdef";
    rsp_smsr_console_serve(x->c, NULL, "POST", "/login", NULL, (const uint8_t *)form, strlen(form), T0, &a);
    assert_int_equal(a.status, 303);
    assert_non_null(strstr(a.headers, "HttpOnly; SameSite=Strict"));
    rsp_buf_free(&a.body);
    rsp_smsr_console_serve(x->c, NULL, "DELETE", "/api/op", NULL, NULL, 0, T0, &a);
    assert_int_equal(a.status, 405);
    rsp_buf_free(&a.body);
    /* a console with neither tokens nor mTLS on a socket is refused */
    rsp_smsr_console *c2 = NULL;
    rsp_smsr_console_opts o = {"127.0.0.1:0", NULL, NULL, false, NULL, NULL, NULL, false, NULL, NULL};
    assert_int_equal(rsp_smsr_console_new(NULL, x->e, x->st, &o, &c2, NULL), RSP_ERR_INVAL);
}

/* Pages of `limit` through by/prefix until next is null: each key once, n in all. */
static void page_all(fx *x, const char *by, const char *prefix, int limit, int want)
{
    char after[40] = "", after_iccid[24] = "", seen[NCARDS][24];
    int n = 0, st, pages = 0;
    for (;;) {
        char t[256];
        snprintf(t, sizeof(t), "/api/search?by=%s&q=%s&limit=%d&after=%s&after_iccid=%s", by, prefix, limit, after,
                 after_iccid);
        json_t *j = call(x, "op1", "GET", t, &st, NULL);
        assert_int_equal(st, 200);
        assert_int_equal(json_integer_value(json_object_get(j, "total")), want);
        json_t *items = json_object_get(j, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            const char *k = json_string_value(json_object_get(json_array_get(items, i), strcmp(by, "eid") ? "iccid" : "eid"));
            for (int m = 0; m < n; m++)
                assert_string_not_equal(seen[m], k);
            assert_true(n < NCARDS);
            snprintf(seen[n++], sizeof(seen[0]), "%s", k);
        }
        pages++;
        json_t *next = json_object_get(j, "next");
        if (json_is_null(next)) {
            json_decref(j);
            break;
        }
        snprintf(after, sizeof(after), "%s", json_string_value(json_object_get(next, "after")));
        snprintf(after_iccid, sizeof(after_iccid), "%s", json_string_value(json_object_get(next, "after_iccid")));
        json_decref(j);
    }
    assert_int_equal(n, want);
    assert_int_equal(pages, want / limit + 1);
}

static void test_search(void **state)
{
    fx *x = *state;
    open_console(x, false);
    page_all(x, "eid", "8904903", 7, NCARDS);
    page_all(x, "eid", "8904903200000000000000000000010", 4, 10); /* ...00100 .. 00109 */
    page_all(x, "iccid", "89000", 8, NCARDS);
    page_all(x, "msisdn", "4477009", 7, NCARDS); /* 3 profiles per MSISDN: pages split inside one */
    page_all(x, "msisdn", "447700900003", 2, 3); /* cards 3, 13, 23 */
    int st;
    char *raw = NULL;
    char eid7[33], t[96];
    eid_of(7, eid7);
    snprintf(t, sizeof(t), "/api/card?eid=%s", eid7);
    json_t *j = call(x, "op1", "GET", t, &st, &raw);
    assert_int_equal(st, 200);
    assert_non_null(strstr(raw, "\\u003cimg src=x onerror=alert(1)\\u003e"));
    assert_null(strchr(raw, '<'));
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "profiles"), 0), "profile_type")),
                        "<img src=x onerror=alert(1)>");
    free(raw);
    json_decref(j);
    j = call(x, "op1", "GET", "/api/search?by=eid&q=89x", &st, NULL);
    assert_int_equal(st, 400);
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "'q'"));
    json_decref(j);
    j = call(x, "op1", "GET", "/api/card?eid=89049032000000000000000000099999", &st, NULL);
    assert_int_equal(st, 404);
    json_decref(j);
}

static void test_campaign(void **state)
{
    fx *x = *state;
    open_console(x, false);
    int st;
    json_t *j = call(x, "op1", "GET", "/api/campaigns", &st, NULL);
    assert_int_equal(st, 200);
    json_t *items = json_object_get(j, "items");
    assert_int_equal(json_array_size(items), 2); /* "later" is one op: not a batch */
    json_t *c = json_array_get(items, 0);        /* the newest first */
    assert_string_equal(json_string_value(json_object_get(c, "pattern")), "demo-enable-*-1796018060");
    json_t *c2 = json_array_get(items, 1);
    assert_string_equal(json_string_value(json_object_get(c2, "pattern")), "smdp-100-7-*");
    assert_int_equal(json_integer_value(json_object_get(c2, "total")), 2);
    assert_int_equal(json_integer_value(json_object_get(c, "total")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "counts"), "queued")), 3);
    char t[160];
    snprintf(t, sizeof(t), "/api/campaign?requester=op1&fcid=%s", json_string_value(json_object_get(c, "sample")));
    json_decref(j);
    j = call(x, "op1", "GET", t, &st, NULL);
    assert_int_equal(st, 200);
    assert_string_equal(json_string_value(json_object_get(j, "function")), "ES4.AuditEIS");
    assert_true(json_is_array(json_object_get(j, "failures")));
    json_decref(j);
    j = call(x, "op1", "GET", "/api/campaign?requester=op1&fcid=nodash", &st, NULL);
    assert_int_equal(st, 404);
    json_decref(j);
}

static void test_cancel(void **state)
{
    fx *x = *state;
    char t[64];
    snprintf(t, sizeof(t), "/api/op/cancel?id=%lld", (long long)x->queued_op);
    int st;
    open_console(x, false);
    json_t *j = call(x, "op1", "POST", t, &st, NULL);
    assert_int_equal(st, 403);
    json_decref(j);
    open_console(x, true);
    j = call(x, "op9", "POST", t, &st, NULL); /* not op1's Operator, not the requester */
    assert_int_equal(st, 403);
    json_decref(j);
    j = call(x, "op1", "POST", t, &st, NULL);
    assert_int_equal(st, 200);
    json_decref(j);
    rsp_smsr_result r;
    assert_int_equal(rsp_smsr_result_get(x->e, x->queued_op, &r), RSP_OK);
    assert_int_equal(r.state, RSP_STORE_OP_FAILED);
    assert_string_equal(r.subject, "8.7");
    assert_string_equal(r.reason, "3.8");
    rsp_store_audit *a = NULL;
    size_t n = 0;
    char eid0[33];
    eid_of(0, eid0);
    assert_int_equal(rsp_store_audit_list(x->st, eid0, 0, 100, &a, &n), RSP_OK);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        found |= !strcmp(a[i].event, "console.cancel") && !strcmp(a[i].actor, "op1") && a[i].op_id == x->queued_op;
    free(a);
    assert_true(found);
    j = call(x, "op1", "POST", t, &st, NULL);
    assert_int_equal(st, 409);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_parse),
        cmocka_unit_test(test_checks),
        cmocka_unit_test_setup_teardown(test_auth, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_search, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_campaign, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_cancel, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
