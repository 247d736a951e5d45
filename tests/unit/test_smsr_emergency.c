/* The emergency profile attribute, SM-SR side: the 3A06 STORE DATA byte for byte (the layout of
 * docs/ENCODINGS.md, the one the card model's isdr.c special_attr parses), the checks made before
 * sending, and the store's v6 column on SQLite and PostgreSQL (round trip, the attribute moves, a
 * database created at v5 migrates with every profile at 0). */
#include "test_store_fixture.h"

#include "rsp/smsr.h"
#include "smsr/smsr_emergency.h"
#include "store/store_int.h"

static const uint8_t AID[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x11, 0x00};

static void hex_eq(const rsp_buf *b, const char *want)
{
    char got[256];
    rsp_hex_encode_upper(b->data, b->len, got, sizeof(got));
    assert_string_equal(got, want);
}

static void test_apdu(void **state)
{
    (void)state;
    rsp_buf b = {0};
    /* 80E28800 Lc=18 | 3A06 15 | 4F 10 <AID> | 80 01 01 (set) */
    assert_int_equal(smsr_apdu_set_emergency(AID, 16, true, &b), RSP_OK);
    hex_eq(&b, "80E28800183A06154F10A0000005591010FFFFFFFF8900001100800101");
    rsp_buf_free(&b);
    assert_int_equal(smsr_apdu_set_emergency(AID, 16, false, &b), RSP_OK);
    hex_eq(&b, "80E28800183A06154F10A0000005591010FFFFFFFF8900001100800100");
    rsp_buf_free(&b);
    /* the 3A03-3A05 layout with 4F first (the fall-back command for comparison: same AID TLV) */
    assert_int_equal(rsp_smsr_apdu_set_fallback(AID, 16, &b), RSP_OK);
    hex_eq(&b, "80E28800153A05124F10A0000005591010FFFFFFFF8900001100");
    rsp_buf_free(&b);
    assert_int_equal(smsr_apdu_set_emergency(AID, 4, true, &b), RSP_ERR_INVAL);
    assert_int_equal(smsr_apdu_set_emergency(AID, 17, true, &b), RSP_ERR_INVAL);
    assert_int_equal(smsr_apdu_set_emergency(NULL, 16, true, &b), RSP_ERR_INVAL);
    assert_int_equal(b.len, 0);
    rsp_buf_free(&b);
}

static void test_refusal(void **state)
{
    (void)state;
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    p.state = RSP_STORE_PROFILE_DISABLED;
    assert_null(smsr_emergency_refusal(&p));
    p.state = RSP_STORE_PROFILE_ENABLED;
    assert_null(smsr_emergency_refusal(&p));
    p.fallback = true;
    assert_non_null(strstr(smsr_emergency_refusal(&p), "fall-back"));
    p.fallback = false;
    p.state = RSP_STORE_PROFILE_IN_CREATION;
    assert_non_null(strstr(smsr_emergency_refusal(&p), "not installed"));
}

static void put(rsp_store *s, const char *iccid, const char *aid, bool emergency)
{
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), "%s", iccid);
    snprintf(p.eid, sizeof(p.eid), EID_A);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), "%s", aid);
    snprintf(p.mno_id, sizeof(p.mno_id), "MNO1");
    p.state = RSP_STORE_PROFILE_DISABLED;
    p.emergency = emergency;
    assert_int_equal(rsp_store_profile_put(s, &p), RSP_OK);
}

static bool em(rsp_store *s, const char *iccid)
{
    rsp_store_profile p;
    assert_int_equal(rsp_store_profile_get(s, iccid, &p), RSP_OK);
    return p.emergency;
}

#define I1 "8949000000000000011"
#define I2 "8949000000000000029"
#define I3 "8949000000000000037"

static void test_store(void **state)
{
    fx *f = fx_get(state);
    fx_eis(f->s, EID_A);
    fx_eis(f->s, EID_B);
    put(f->s, I1, "A0000005591010FFFFFFFF8900001100", true);
    put(f->s, I2, "A0000005591010FFFFFFFF8900001200", false);
    assert_true(em(f->s, I1));
    assert_false(em(f->s, I2));
    /* set on I2: moves from I1 */
    assert_int_equal(rsp_store_profile_set_emergency(f->s, EID_A, I2, true), RSP_OK);
    assert_false(em(f->s, I1));
    assert_true(em(f->s, I2));
    fx_reopen(f); /* committed */
    assert_true(em(f->s, I2));
    /* a profile of another eUICC: not found, nothing changed */
    assert_int_equal(rsp_store_profile_set_emergency(f->s, EID_B, I1, true), RSP_ERR_NOT_FOUND);
    assert_true(em(f->s, I2));
    assert_int_equal(rsp_store_profile_set_emergency(f->s, EID_A, "8949000000000000999", true), RSP_ERR_NOT_FOUND);
    assert_true(em(f->s, I2));
    /* off clears that profile only */
    assert_int_equal(rsp_store_profile_set_emergency(f->s, EID_A, I2, false), RSP_OK);
    assert_false(em(f->s, I2));
    assert_false(em(f->s, I1));
    /* the list carries it too */
    assert_int_equal(rsp_store_profile_set_emergency(f->s, EID_A, I1, true), RSP_OK);
    rsp_store_profile *all = NULL;
    size_t n = 0;
    assert_int_equal(rsp_store_profile_list(f->s, EID_A, &all, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_true(all[0].emergency);
    assert_false(all[1].emergency);
    free(all);
}

/* A database created at v5 (before the column) migrates to v6 with its profiles at 0. */
static void test_migrate(void **state)
{
    fx *f = fx_get(state);
    rsp_store *old = fx_open_old(f, "v5.db", 5);
    int v = 0;
    assert_int_equal(rsp_store_schema_version(old, &v), RSP_OK);
    assert_int_equal(v, 5);
    fx_eis(old, EID_A);
    assert_int_equal(old->ops->exec(old, "INSERT INTO profile(iccid,eid,isdp_aid,mno_id,smdp_id,profile_type,"
                                         "msisdn,imsi,state,fallback,pol2,allocated_memory) VALUES('" I3 "','" EID_A
                                         "','A0000005591010FFFFFFFF8900001300','MNO1','','','','',2,0,0,0)"),
                     RSP_OK);
    rsp_store_close(old);
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
    assert_int_equal(rsp_store_schema_version(f->s, &v), RSP_OK);
    assert_true(v >= 6); /* the current version: later migrations keep v6's column */
    assert_false(em(f->s, I3));
    assert_int_equal(rsp_store_profile_set_emergency(f->s, EID_A, I3, true), RSP_OK);
    assert_true(em(f->s, I3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apdu),
        cmocka_unit_test(test_refusal),
        BOTH(test_store),
        BOTH(test_migrate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
