/* Card model: fleet life cycle (create, add, open, look-ups), the NVM across a reopen, the ECASD's
 * GET DATA of the EID, and manufacturing refusals. */
#include "test_euicc_fixture.h"
#include "euicc/euicc_int.h"

static void tmpdir(char out[256])
{
    snprintf(out, 256, "/tmp/test_euicc_fleet.XXXXXX");
    assert_non_null(mkdtemp(out));
    /* fleet_create wants to make cards.db itself: the directory may exist. */
}

static void rmdir_all(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_get_eid(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 2);
    assert_int_equal(rsp_euicc_fleet_count(x.f), 2);
    rsp_euicc *c = fx_card(&x, 1);
    rsp_buf d = RSP_BUF_INIT;
    /* The EID lives in the ECASD: the ISD-R does not answer 5A. */
    assert_int_equal(fx_apdu(&x, c, "80CA005A00", NULL), 0x6A88);
    assert_int_equal(fx_apdu(&x, c, "00A4040010A0000005591010FFFFFFFF8900000200", NULL), 0x9000);
    assert_int_equal(fx_apdu(&x, c, "80CA005A00", &d), 0x9000);
    uint8_t eid[16];
    assert_int_equal(rsp_eid_to_bytes(rsp_euicc_eid(c), eid), RSP_OK);
    assert_int_equal(d.len, 18);
    assert_int_equal(d.data[0], 0x5A);
    assert_int_equal(d.data[1], 0x10);
    assert_memory_equal(d.data + 2, eid, 16);
    /* CERT.ECASD.ECKA verifies with the EUM key. */
    assert_int_equal(fx_apdu(&x, c, "80CA7F2100", &d), 0x9000);
    rsp_gpcert cert;
    assert_int_equal(rsp_gpcert_decode(d.data, d.len, &cert, NULL), RSP_OK);
    assert_int_equal(rsp_gpcert_verify(&cert, x.eum), RSP_OK);
    /* Malformed APDUs: Lc that disagrees with the data, a bare header of 3 bytes. */
    assert_int_equal(fx_apdu(&x, c, "80CA005A0501", NULL), 0x6700);
    rsp_buf r = RSP_BUF_INIT;
    uint8_t short_apdu[3] = {0x80, 0xCA, 0x00};
    assert_int_equal(rsp_euicc_apdu(c, short_apdu, 3, x.now, &r, NULL), RSP_OK);
    tu_assert_hex(r.data, r.len, "6700");
    rsp_buf_free(&r);
    rsp_buf_free(&d);
    fx_teardown(&x);
}

static void test_lookup_and_reopen(void **state)
{
    (void)state;
    char dir[256];
    tmpdir(dir);
    fx x;
    fx_setup(&x, dir, 3);
    rsp_euicc *c0 = rsp_euicc_fleet_at(x.f, 0), *c2 = rsp_euicc_fleet_at(x.f, 2);
    assert_true(strcmp(rsp_euicc_eid(c0), rsp_euicc_eid(c2)) < 0);
    assert_null(rsp_euicc_fleet_at(x.f, 3));
    assert_ptr_equal(rsp_euicc_fleet_by_msisdn(x.f, "447700900011"), fx_card(&x, 1));
    assert_string_equal(rsp_euicc_msisdn(fx_card(&x, 2)), "447700900012");
    assert_null(rsp_euicc_fleet_by_msisdn(x.f, "1234"));
    assert_null(rsp_euicc_fleet_by_eid(x.f, "89049032123451234512345678901234"));
    /* The same EID twice is refused; a wrong check digit too. */
    rsp_euicc_init in;
    memset(&in, 0, sizeof(in));
    fx_eid(1, in.eid);
    assert_int_equal(rsp_euicc_fleet_add(x.f, &in, NULL), RSP_ERR_EXISTS);
    in.eid[31] = in.eid[31] == '0' ? '1' : '0';
    assert_int_equal(rsp_euicc_fleet_add(x.f, &in, NULL), RSP_ERR_CHECKSUM);
    /* A second create in the same directory is refused. */
    rsp_euicc_fleet *f2 = NULL;
    assert_int_equal(rsp_euicc_fleet_create(dir, NULL, &f2), RSP_ERR_EXISTS);

    rsp_euicc_info info;
    assert_int_equal(rsp_euicc_info_get(fx_card(&x, 1), &info), RSP_OK);
    assert_int_equal(info.n_profiles, 1);
    assert_int_equal(info.profiles[0].lcs, 0x3F);
    assert_true(info.profiles[0].fallback);
    assert_string_equal(info.profiles[0].aid, "A0000005591010FFFFFFFF8900001000");
    assert_int_equal(info.n_notifs, 1); /* first attach (01) is due */
    assert_int_equal(info.notifs[0].type, 0x01);

    rsp_euicc_fleet_close(x.f);
    x.f = NULL;
    assert_int_equal(rsp_euicc_fleet_open(dir, NULL, &x.f), RSP_OK);
    assert_int_equal(rsp_euicc_fleet_count(x.f), 3);
    rsp_euicc *c1 = rsp_euicc_fleet_by_msisdn(x.f, "447700900011");
    assert_non_null(c1);
    rsp_euicc_info again;
    assert_int_equal(rsp_euicc_info_get(c1, &again), RSP_OK);
    assert_memory_equal(&info, &again, sizeof(info));
    assert_int_equal(fx_apdu(&x, c1, "00A4040010A0000005591010FFFFFFFF8900000200", NULL), 0x9000);
    rsp_buf d = RSP_BUF_INIT;
    assert_int_equal(fx_apdu(&x, c1, "80CA005A00", &d), 0x9000);
    assert_int_equal(d.len, 18);
    rsp_buf_free(&d);
    fx_teardown(&x);
    rmdir_all(dir);
    /* Opening a directory without a fleet fails cleanly. */
    assert_int_equal(rsp_euicc_fleet_open(dir, NULL, &f2), RSP_ERR_NOT_FOUND);
}

typedef struct dues {
    int64_t a, b;
} dues;

static rsp_err scan_due(void *ctx, const char *eid, const char *msisdn, int64_t due)
{
    (void)msisdn;
    dues *d = ctx;
    if (!strcmp(eid, "A"))
        d->a = due;
    if (!strcmp(eid, "B"))
        d->b = due;
    return RSP_OK;
}

/* Group commit (fleet_group.c): in a group, a command that fails rolls back only itself (savepoint),
 * never the commands of other cards already done in the group; the group commits them all at once. */
static void test_nvm_group_savepoints(void **state)
{
    (void)state;
    char dir[256];
    tmpdir(dir);
    eu_db *db = NULL;
    assert_int_equal(eu_db_open(dir, true, &db, NULL), RSP_OK);
    eu_state st;
    memset(&st, 0, sizeof(st));
    assert_int_equal(eu_db_save(db, "A", "1", 1, &st, 0, NULL, 0, true), RSP_OK);
    assert_int_equal(eu_db_save(db, "B", "2", 2, &st, 0, NULL, 0, true), RSP_OK);

    assert_int_equal(eu_db_begin(db), RSP_OK);
    assert_int_equal(eu_db_save(db, "A", "1", 5, &st, 0, NULL, 0, false), RSP_OK);
    /* B's command fails inside the group (its row exists: the insert breaks the key). */
    assert_int_equal(eu_db_save(db, "B", "2", 99, &st, 0, NULL, 0, true), RSP_ERR_EXISTS);
    assert_int_equal(eu_db_save(db, "B", "2", 7, &st, 0, NULL, 0, false), RSP_OK);
    assert_int_equal(eu_db_commit(db), RSP_OK);
    eu_db_close(db);

    dues d = {0, 0};
    assert_int_equal(eu_db_open(dir, false, &db, NULL), RSP_OK);
    assert_int_equal(eu_db_scan(db, scan_due, &d), RSP_OK);
    assert_int_equal(d.a, 5);
    assert_int_equal(d.b, 7);

    /* A nested group inside the group, as rsp eum make's batches around fleet_add: still one commit. */
    assert_int_equal(eu_db_begin(db), RSP_OK);
    assert_int_equal(eu_db_begin(db), RSP_OK);
    assert_int_equal(eu_db_save(db, "A", "1", 11, &st, 0, NULL, 0, false), RSP_OK);
    assert_int_equal(eu_db_commit(db), RSP_OK);
    assert_int_equal(eu_db_save(db, "B", "2", 12, &st, 0, NULL, 0, true), RSP_ERR_EXISTS);
    assert_int_equal(eu_db_commit(db), RSP_OK);
    d.a = d.b = 0;
    assert_int_equal(eu_db_scan(db, scan_due, &d), RSP_OK);
    assert_int_equal(d.a, 11);
    assert_int_equal(d.b, 7);
    eu_db_close(db);
    rmdir_all(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_eid),
        cmocka_unit_test(test_nvm_group_savepoints),
        cmocka_unit_test(test_lookup_and_reopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
