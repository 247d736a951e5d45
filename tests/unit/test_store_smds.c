/* The SM-DS event records (include/rsp/store.h §SM-DS) on both backends: registration idempotent on
 * (EID, eventId) and refused when the id is taken by another record, the EID's events in registration
 * order (and only that EID's), deletion only by the SM-DP+ that registered (or as consumed), and the
 * records still there after a reopen. */
#include "rsp/log.h"
#include "test_store_fixture.h"

static rsp_store_smds_event ev(const char *eid, const char *id, const char *addr, const char *by, int64_t t)
{
    rsp_store_smds_event e;
    memset(&e, 0, sizeof e);
    snprintf(e.eid, sizeof e.eid, "%s", eid);
    snprintf(e.event_id, sizeof e.event_id, "%s", id);
    snprintf(e.rsp_server_address, sizeof e.rsp_server_address, "%s", addr);
    snprintf(e.registered_by, sizeof e.registered_by, "%s", by);
    e.created = t;
    return e;
}

static void test_events(void **state)
{
    fx *f = fx_get(state);
    rsp_store_smds_event a = ev(EID_A, "EV-2", "dp1.example:443", "DP1", 2000000);
    rsp_store_smds_event b = ev(EID_A, "EV-1", "dp2.example", "DP2", 3000000);
    rsp_store_smds_event c = ev(EID_B, "EV-1", "dp1.example:443", "DP1", 1000000);
    assert_int_equal(rsp_store_smds_register(f->s, &a), RSP_OK);
    assert_int_equal(rsp_store_smds_register(f->s, &b), RSP_OK);
    assert_int_equal(rsp_store_smds_register(f->s, &c), RSP_OK);
    /* a replay: fine, nothing new; the same id with another address: refused */
    assert_int_equal(rsp_store_smds_register(f->s, &a), RSP_OK);
    rsp_store_smds_event a2 = ev(EID_A, "EV-2", "evil.example", "DP2", 5000000);
    assert_int_equal(rsp_store_smds_register(f->s, &a2), RSP_ERR_EXISTS);
    size_t n = 0;
    assert_int_equal(rsp_store_smds_count(f->s, &n), RSP_OK);
    assert_int_equal(n, 3);
    fx_reopen(f);
    rsp_store_smds_event *v = NULL;
    assert_int_equal(rsp_store_smds_list(f->s, EID_A, 16, &v, &n), RSP_OK);
    assert_int_equal(n, 2);
    /* registration order, not eventId order */
    assert_string_equal(v[0].event_id, "EV-2");
    assert_string_equal(v[0].rsp_server_address, "dp1.example:443");
    assert_string_equal(v[1].event_id, "EV-1");
    assert_string_equal(v[1].registered_by, "DP2");
    free(v);
    assert_int_equal(rsp_store_smds_list(f->s, EID_A, 1, &v, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].event_id, "EV-2");
    free(v);
    /* deletion: only the registering SM-DP+; consumption (by NULL) by anyone */
    assert_int_equal(rsp_store_smds_delete(f->s, EID_A, "EV-2", "DP2"), RSP_ERR_DENIED);
    assert_int_equal(rsp_store_smds_get(f->s, EID_A, "EV-2", &a2), RSP_OK);
    assert_int_equal(rsp_store_smds_delete(f->s, EID_A, "EV-2", "DP1"), RSP_OK);
    assert_int_equal(rsp_store_smds_delete(f->s, EID_A, "EV-2", "DP1"), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_smds_delete(f->s, EID_A, "EV-1", NULL), RSP_OK);
    assert_int_equal(rsp_store_smds_list(f->s, EID_A, 16, &v, &n), RSP_OK);
    assert_int_equal(n, 0);
    assert_null(v);
    assert_int_equal(rsp_store_smds_get(f->s, EID_B, "EV-1", &a2), RSP_OK);
    assert_string_equal(a2.registered_by, "DP1");
    /* bad arguments change nothing */
    rsp_store_smds_event bad = ev("", "x", "y", "z", 1);
    assert_int_equal(rsp_store_smds_register(f->s, &bad), RSP_ERR_INVAL);
    assert_int_equal(rsp_store_smds_count(f->s, &n), RSP_OK);
    assert_int_equal(n, 1);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {BOTH(test_events)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
