/* Store conformance: every test runs against SQLite and PostgreSQL (see test_store_fixture.h). */
#include <pthread.h>
#include <time.h>

#include "rsp/log.h"
#include "store/store_int.h"
#include "test_store_fixture.h"

static void test_eis_crud(void **state)
{
    fx *f = fx_get(state);
    rsp_store_eis e;
    memset(&e, 0, sizeof e);
    assert_int_equal(rsp_store_eis_get(f->s, EID_A, &e), RSP_ERR_NOT_FOUND);
    fx_eis(f->s, EID_A);
    assert_int_equal(rsp_store_eis_get(f->s, EID_A, &e), RSP_OK);
    assert_string_equal(e.eid, EID_A);
    assert_string_equal(e.eum_id, "1.3.6.1.4.1.99999.1");
    assert_string_equal(e.rp_version, "3.1.0");
    assert_int_equal(e.caps, RSP_STORE_CAP_HTTP);
    assert_int_equal(e.available_memory, 250000);
    tu_assert_hex(e.signed_blob.data, e.signed_blob.len, "3003020100");
    /* Replace: new memory figures and an audit date. */
    e.available_memory = 100;
    e.last_audit = 1700000000;
    assert_int_equal(rsp_store_eis_put(f->s, &e), RSP_OK);
    rsp_store_eis_clear(&e);
    fx_reopen(f);
    assert_int_equal(rsp_store_eis_get(f->s, EID_A, &e), RSP_OK);
    assert_int_equal(e.available_memory, 100);
    assert_int_equal(e.last_audit, 1700000000);
    rsp_store_eis_clear(&e);
    /* Malformed input is refused before reaching SQL. */
    snprintf(e.eid, sizeof e.eid, "1234");
    assert_int_equal(rsp_store_eis_put(f->s, &e), RSP_ERR_FORMAT);
    assert_int_equal(rsp_store_eis_delete(f->s, EID_A), RSP_OK);
    assert_int_equal(rsp_store_eis_delete(f->s, EID_A), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_eis_get(f->s, EID_A, &e), RSP_ERR_NOT_FOUND);
}

static void mkprof(rsp_store_profile *p, const char *eid, const char *iccid, const char *aid)
{
    memset(p, 0, sizeof *p);
    snprintf(p->eid, sizeof p->eid, "%s", eid);
    snprintf(p->iccid, sizeof p->iccid, "%s", iccid);
    snprintf(p->isdp_aid, sizeof p->isdp_aid, "%s", aid);
    snprintf(p->mno_id, sizeof p->mno_id, "mno-1");
    snprintf(p->profile_type, sizeof p->profile_type, "iot-basic");
    snprintf(p->msisdn, sizeof p->msisdn, "491701234567");
    snprintf(p->imsi, sizeof p->imsi, "262011234567890");
    p->state = RSP_STORE_PROFILE_DISABLED;
    p->pol2 = RSP_STORE_POL2_DELETE_NOT_ALLOWED;
    p->allocated_memory = 20000;
}

static void test_profiles(void **state)
{
    fx *f = fx_get(state);
    rsp_store_profile p, *list = NULL;
    size_t n = 0;
    mkprof(&p, EID_A, "8949000000000000018", "A0000005591010FFFFFFFF8900001100");
    assert_int_equal(rsp_store_profile_put(f->s, &p), RSP_ERR_NOT_FOUND); /* no EIS yet */
    fx_eis(f->s, EID_A);
    assert_int_equal(rsp_store_profile_put(f->s, &p), RSP_OK);
    mkprof(&p, EID_A, "8949000000000000026", "A0000005591010FFFFFFFF8900001000");
    p.state = RSP_STORE_PROFILE_ENABLED;
    p.fallback = true;
    assert_int_equal(rsp_store_profile_put(f->s, &p), RSP_OK);
    /* Same ISD-P AID twice on one eUICC is refused. */
    mkprof(&p, EID_A, "8949000000000000034", "A0000005591010FFFFFFFF8900001000");
    assert_int_equal(rsp_store_profile_put(f->s, &p), RSP_ERR_EXISTS);

    assert_int_equal(rsp_store_profile_list(f->s, EID_A, &list, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].iccid, "8949000000000000026"); /* ordered by ISD-P AID */
    assert_true(list[0].fallback);
    assert_int_equal(list[0].state, RSP_STORE_PROFILE_ENABLED);
    assert_string_equal(list[1].imsi, "262011234567890");
    free(list);

    assert_int_equal(rsp_store_profile_set_fallback(f->s, EID_A, "8949000000000000018"), RSP_OK);
    assert_int_equal(rsp_store_profile_get(f->s, "8949000000000000026", &p), RSP_OK);
    assert_false(p.fallback);
    assert_int_equal(rsp_store_profile_get(f->s, "8949000000000000018", &p), RSP_OK);
    assert_true(p.fallback);
    /* An unknown ICCID leaves the holder unchanged. */
    assert_int_equal(rsp_store_profile_set_fallback(f->s, EID_A, "8949000000000000999"),
                     RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_profile_get(f->s, "8949000000000000018", &p), RSP_OK);
    assert_true(p.fallback);

    /* One enabled profile per eUICC (v9): the switch disables 026 first. */
    assert_int_equal(rsp_store_profile_set_state(f->s, "8949000000000000018",
                                                 RSP_STORE_PROFILE_ENABLED), RSP_ERR_STATE);
    assert_int_equal(rsp_store_profile_set_state(f->s, "8949000000000000026",
                                                 RSP_STORE_PROFILE_DISABLED), RSP_OK);
    assert_int_equal(rsp_store_profile_set_state(f->s, "8949000000000000018",
                                                 RSP_STORE_PROFILE_ENABLED), RSP_OK);
    assert_int_equal(rsp_store_profile_set_pol2(f->s, "8949000000000000018",
                                                RSP_STORE_POL2_DISABLE_AUTO_DELETE), RSP_OK);
    assert_int_equal(rsp_store_profile_get(f->s, "8949000000000000018", &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_PROFILE_ENABLED);
    assert_int_equal(p.pol2, RSP_STORE_POL2_DISABLE_AUTO_DELETE);
    assert_int_equal(rsp_store_profile_set_state(f->s, "1", RSP_STORE_PROFILE_ENABLED),
                     RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_profile_delete(f->s, "8949000000000000018"), RSP_OK);
    assert_int_equal(rsp_store_profile_get(f->s, "8949000000000000018", &p), RSP_ERR_NOT_FOUND);
    /* Deleting the EIS takes its profiles with it. */
    assert_int_equal(rsp_store_eis_delete(f->s, EID_A), RSP_OK);
    assert_int_equal(rsp_store_profile_list(f->s, EID_A, &list, &n), RSP_OK);
    assert_int_equal(n, 0);
    assert_null(list);
}

static void test_keysets_counters(void **state)
{
    fx *f = fx_get(state);
    rsp_store_keyset k;
    memset(&k, 0, sizeof k);
    uint64_t c = 0;
    fx_eis(f->s, EID_A);
    assert_int_equal(rsp_store_counter_reserve(f->s, NULL, EID_A, 1, 0, &c), RSP_ERR_NOT_FOUND);
    snprintf(k.eid, sizeof k.eid, EID_A);
    k.kvn = 1;
    k.type = 80;
    k.counter = 5;
    tu_hex("00112233445566778899aabbccddeeff0011223344556677", &k.keys);
    assert_int_equal(rsp_store_keyset_put(f->s, &k), RSP_OK);
    rsp_store_keyset_clear(&k);
    for (uint64_t i = 6; i < 16; i++) {
        assert_int_equal(rsp_store_counter_reserve(f->s, NULL, EID_A, 1, 0, &c), RSP_OK);
        assert_int_equal(c, i);
    }
    /* Durable: close and reopen, the next value follows the last one returned. */
    fx_reopen(f);
    assert_int_equal(rsp_store_counter_reserve(f->s, NULL, EID_A, 1, 0, &c), RSP_OK);
    assert_int_equal(c, 16);
    assert_int_equal(rsp_store_keyset_get(f->s, EID_A, 1, &k), RSP_OK);
    assert_int_equal(k.counter, 16);
    assert_int_equal(k.type, 80);
    tu_assert_hex(k.keys.data, k.keys.len, "00112233445566778899aabbccddeeff0011223344556677");
    /* Re-putting the keys with an older counter never lowers it. */
    k.counter = 3;
    assert_int_equal(rsp_store_keyset_put(f->s, &k), RSP_OK);
    rsp_store_keyset_clear(&k);
    assert_int_equal(rsp_store_keyset_get(f->s, EID_A, 1, &k), RSP_OK);
    assert_int_equal(k.counter, 16);
    rsp_store_keyset_clear(&k);
    assert_int_equal(rsp_store_counter_raise(f->s, EID_A, 1, 16), RSP_ERR_REPLAY);
    assert_int_equal(rsp_store_counter_raise(f->s, EID_A, 1, 100), RSP_OK);
    assert_int_equal(rsp_store_counter_reserve(f->s, NULL, EID_A, 1, 0, &c), RSP_OK);
    assert_int_equal(c, 101);
    /* The 40-bit counter runs out instead of wrapping. */
    assert_int_equal(rsp_store_counter_raise(f->s, EID_A, 1, RSP_STORE_COUNTER_MAX), RSP_OK);
    assert_int_equal(rsp_store_counter_reserve(f->s, NULL, EID_A, 1, 0, &c), RSP_ERR_OVERFLOW);
    assert_int_equal(rsp_store_counter_raise(f->s, EID_A, 2, 7), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_keyset_delete(f->s, EID_A, 1), RSP_OK);
    assert_int_equal(rsp_store_keyset_get(f->s, EID_A, 1, &k), RSP_ERR_NOT_FOUND);
}

static void test_audit(void **state)
{
    fx *f = fx_get(state);
    rsp_store_audit a, *v = NULL;
    size_t n = 0;
    int64_t id1 = 0, id2 = 0;
    memset(&a, 0, sizeof a);
    a.ts = 1000;
    snprintf(a.actor, sizeof a.actor, "mno-1");
    snprintf(a.eid, sizeof a.eid, EID_A);
    snprintf(a.event, sizeof a.event, "ES4.EnableProfile");
    snprintf(a.detail, sizeof a.detail, "iccid=8949000000000000018");
    assert_int_equal(rsp_store_audit_append(f->s, &a, &id1), RSP_OK);
    snprintf(a.eid, sizeof a.eid, EID_B);
    a.op_id = 7;
    assert_int_equal(rsp_store_audit_append(f->s, &a, &id2), RSP_OK);
    assert_true(id2 > id1);
    assert_int_equal(rsp_store_audit_list(f->s, NULL, 0, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].id, id1);
    assert_string_equal(v[1].eid, EID_B);
    assert_int_equal(v[1].op_id, 7);
    free(v);
    assert_int_equal(rsp_store_audit_list(f->s, EID_B, 0, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 1);
    free(v);
    assert_int_equal(rsp_store_audit_list(f->s, NULL, id1, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, id2);
    free(v);
    /* Append-only is enforced by the schema, not just by the API. */
    assert_int_equal(f->s->ops->exec(f->s, "UPDATE audit SET event = 'forged'"), RSP_ERR_DENIED);
    assert_int_equal(f->s->ops->exec(f->s, "DELETE FROM audit"), RSP_ERR_DENIED);
    assert_int_equal(rsp_store_audit_list(f->s, NULL, 0, 10, &v, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].event, "ES4.EnableProfile");
    free(v);
}

static void test_plma_onc(void **state)
{
    fx *f = fx_get(state);
    uint32_t fn = 0;
    assert_int_equal(rsp_store_plma_check(f->s, "mno-1", "sp-1", "iot", RSP_STORE_FN_ENABLE),
                     RSP_ERR_DENIED);
    assert_int_equal(rsp_store_plma_set(f->s, "mno-1", "sp-1", "iot",
                                        RSP_STORE_FN_ENABLE | RSP_STORE_FN_DISABLE), RSP_OK);
    assert_int_equal(rsp_store_plma_get(f->s, "mno-1", "sp-1", "iot", &fn), RSP_OK);
    assert_int_equal(fn, RSP_STORE_FN_ENABLE | RSP_STORE_FN_DISABLE);
    assert_int_equal(rsp_store_plma_check(f->s, "mno-1", "sp-1", "iot", RSP_STORE_FN_ENABLE),
                     RSP_OK);
    assert_int_equal(rsp_store_plma_check(f->s, "mno-1", "sp-1", "iot",
                                          RSP_STORE_FN_ENABLE | RSP_STORE_FN_DELETE),
                     RSP_ERR_DENIED);
    assert_int_equal(rsp_store_plma_check(f->s, "mno-1", "sp-1", "other", RSP_STORE_FN_ENABLE),
                     RSP_ERR_DENIED);
    assert_int_equal(rsp_store_plma_check(f->s, "mno-2", "sp-1", "iot", RSP_STORE_FN_ENABLE),
                     RSP_ERR_DENIED);
    assert_int_equal(rsp_store_plma_set(f->s, "mno-1", "sp-1", "iot", RSP_STORE_FN_DELETE), RSP_OK);
    assert_int_equal(rsp_store_plma_check(f->s, "mno-1", "sp-1", "iot", RSP_STORE_FN_ENABLE),
                     RSP_ERR_DENIED);
    assert_int_equal(rsp_store_plma_set(f->s, "mno-1", "sp-1", "iot", 0), RSP_OK);
    assert_int_equal(rsp_store_plma_get(f->s, "mno-1", "sp-1", "iot", &fn), RSP_ERR_NOT_FOUND);

    assert_int_equal(rsp_store_onc_get(f->s, "mno-1", "iot", &fn), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_onc_set(f->s, "mno-1", "iot",
                                       RSP_STORE_NOTIF_ENABLED | RSP_STORE_NOTIF_FALLBACK), RSP_OK);
    assert_int_equal(rsp_store_onc_get(f->s, "mno-1", "iot", &fn), RSP_OK);
    assert_int_equal(fn, RSP_STORE_NOTIF_ENABLED | RSP_STORE_NOTIF_FALLBACK);
    assert_int_equal(rsp_store_onc_set(f->s, "mno-1", "iot", 0), RSP_OK);
    assert_int_equal(rsp_store_onc_get(f->s, "mno-1", "iot", &fn), RSP_ERR_NOT_FOUND);
}

static void add_inv(rsp_store *s, const char *iccid, const char *type, int64_t t)
{
    rsp_store_inv p;
    memset(&p, 0, sizeof p);
    snprintf(p.iccid, sizeof p.iccid, "%s", iccid);
    snprintf(p.profile_type, sizeof p.profile_type, "%s", type);
    snprintf(p.package_path, sizeof p.package_path, "/var/lib/openrsp/pkg/%s.der", iccid);
    p.updated = t;
    assert_int_equal(rsp_buf_append(&p.package, "\xa0\x01\x00", 3), RSP_OK);
    assert_int_equal(rsp_store_inv_add(s, &p), RSP_OK);
    assert_int_equal(rsp_store_inv_add(s, &p), RSP_ERR_EXISTS);
    rsp_store_inv_clear(&p);
}

static void test_inventory(void **state)
{
    fx *f = fx_get(state);
    rsp_store_inv p;
    size_t n = 0;
    memset(&p, 0, sizeof p);
    add_inv(f->s, "8949000000000000042", "iot", 20);
    add_inv(f->s, "8949000000000000018", "iot", 10);
    add_inv(f->s, "8949000000000000026", "phone", 5);
    assert_int_equal(rsp_store_inv_count(f->s, "iot", RSP_STORE_INV_AVAILABLE, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(rsp_store_inv_allocate(f->s, "iot", EID_A, 100, &p), RSP_OK);
    assert_string_equal(p.iccid, "8949000000000000018"); /* oldest first */
    assert_string_equal(p.eid, EID_A);
    assert_int_equal(p.state, RSP_STORE_INV_ALLOCATED);
    tu_assert_hex(p.package.data, p.package.len, "a00100");
    assert_int_equal(rsp_store_inv_allocate(f->s, "iot", EID_B, 101, &p), RSP_OK);
    assert_string_equal(p.iccid, "8949000000000000042");
    assert_int_equal(rsp_store_inv_allocate(f->s, "iot", EID_B, 102, &p), RSP_ERR_END);
    /* Release, then the lifecycle to the end. */
    assert_int_equal(rsp_store_inv_transition(f->s, "8949000000000000042", RSP_STORE_INV_ALLOCATED,
                                              RSP_STORE_INV_AVAILABLE, NULL, 103), RSP_OK);
    assert_int_equal(rsp_store_inv_get(f->s, "8949000000000000042", &p), RSP_OK);
    assert_string_equal(p.eid, "");
    const char *ic = "8949000000000000018";
    assert_int_equal(rsp_store_inv_transition(f->s, ic, RSP_STORE_INV_ALLOCATED,
                                              RSP_STORE_INV_INSTALLED, NULL, 104), RSP_ERR_STATE);
    assert_int_equal(rsp_store_inv_transition(f->s, ic, RSP_STORE_INV_AVAILABLE,
                                              RSP_STORE_INV_ALLOCATED, EID_B, 104), RSP_ERR_STATE);
    assert_int_equal(rsp_store_inv_transition(f->s, ic, RSP_STORE_INV_ALLOCATED,
                                              RSP_STORE_INV_DOWNLOADED, NULL, 105), RSP_OK);
    assert_int_equal(rsp_store_inv_transition(f->s, ic, RSP_STORE_INV_DOWNLOADED,
                                              RSP_STORE_INV_INSTALLED, NULL, 106), RSP_OK);
    assert_int_equal(rsp_store_inv_get(f->s, ic, &p), RSP_OK);
    assert_int_equal(p.state, RSP_STORE_INV_INSTALLED);
    assert_string_equal(p.eid, EID_A); /* kept for the record */
    assert_int_equal(p.updated, 106);
    assert_int_equal(rsp_store_inv_transition(f->s, ic, RSP_STORE_INV_INSTALLED,
                                              RSP_STORE_INV_RETIRED, NULL, 107), RSP_OK);
    assert_false(rsp_store_inv_transition_allowed(RSP_STORE_INV_RETIRED, RSP_STORE_INV_AVAILABLE));
    assert_int_equal(rsp_store_inv_transition(f->s, "8949000000000000999", RSP_STORE_INV_AVAILABLE,
                                              RSP_STORE_INV_RETIRED, NULL, 1), RSP_ERR_NOT_FOUND);
    rsp_store_inv_clear(&p);
}

static void test_migrations(void **state)
{
    fx *f = fx_get(state);
    rsp_diag d;
    int v = 0;
    rsp_store_eis e;
    memset(&e, 0, sizeof e);
    rsp_store *old = fx_open_old(f, "old.db", 1);
    assert_int_equal(rsp_store_schema_version(old, &v), RSP_OK);
    assert_int_equal(v, 1);
    fx_eis(old, EID_A);
    /* Version-2 tables do not exist yet. */
    assert_int_not_equal(rsp_store_plma_set(old, "m", "s", "t", 1), RSP_OK);
    rsp_store_close(old);

    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
    assert_int_equal(rsp_store_schema_version(f->s, &v), RSP_OK);
    assert_int_equal(v, RSP_STORE_SCHEMA_VERSION);
    assert_int_equal(rsp_store_eis_get(f->s, EID_A, &e), RSP_OK); /* data survived */
    rsp_store_eis_clear(&e);
    assert_int_equal(rsp_store_plma_set(f->s, "m", "s", "t", 1), RSP_OK);

    /* A database from the future is refused, with a message that says so. */
    assert_int_equal(f->s->ops->exec(f->s, "UPDATE schema_version SET version = 99"), RSP_OK);
    rsp_store_close(f->s);
    f->s = NULL;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_store_open(f->uri, &d, &f->s), RSP_ERR_UNSUPPORTED);
    assert_null(f->s);
    assert_non_null(strstr(d.msg, "newer"));
    assert_non_null(strstr(d.msg, "99"));
    assert_int_equal(rsp_store_open("mysql://x", NULL, &f->s), RSP_ERR_INVAL);
}

#include "test_store_ops.inc"

int main(void)
{
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        BOTH(test_eis_crud),        BOTH(test_profiles),  BOTH(test_keysets_counters),
        BOTH(test_audit),           BOTH(test_plma_onc),  BOTH(test_inventory),
        BOTH(test_migrations),      BOTH(test_op_idempotent), BOTH(test_op_fifo),
        BOTH(test_op_lease_retry_expiry), BOTH(test_op_fencing),
        BOTH(test_op_lanes),        BOTH(test_op_lanes_migration),
        BOTH(test_op_concurrent_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
