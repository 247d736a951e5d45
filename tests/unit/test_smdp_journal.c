/* The SM-DP download journal in the store (lib/store/smdp_dl.c, inv.c) on SQLite and PostgreSQL:
 * rows, replay refusal, the unfinished list, the profile's owner; the identity allocation and the
 * cursor naming it in one transaction (and nothing of either when one part fails); the v6 -> v7
 * migration; an SM-DP dir of an older build (journal files) imported at open, or refused naming the
 * file it cannot read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_store_fixture.h"
#include "rsp/smdp.h"
#include "store/store_int.h"

#define EID "89049032123451234512345678901235"

static rsp_store_smdp_dl row(const char *id, int step)
{
    rsp_store_smdp_dl r;
    memset(&r, 0, sizeof r);
    snprintf(r.id, sizeof r.id, "%s", id);
    snprintf(r.op, sizeof r.op, "MNO1");
    snprintf(r.type, sizeof r.type, "T1");
    memcpy(r.eid, EID, 33);
    r.step = step;
    r.live = step != RSP_SMDP_DL_DONE && step != RSP_SMDP_DL_FAILED;
    return r;
}

static void add_identity(rsp_store *s, const char *iccid)
{
    rsp_store_inv p;
    memset(&p, 0, sizeof p);
    snprintf(p.iccid, sizeof p.iccid, "%s", iccid);
    snprintf(p.profile_type, sizeof p.profile_type, "MNO1/T1");
    assert_int_equal(rsp_buf_set(&p.package, (const uint8_t *)"\x01", 1), RSP_OK);
    p.updated = 1;
    assert_int_equal(rsp_store_inv_add(s, &p), RSP_OK);
    rsp_store_inv_clear(&p);
}

static void test_rows(void **state)
{
    fx *f = fx_get(state);
    rsp_store_smdp_dl a = row("dl-a", RSP_SMDP_DL_GET_EIS), b = row("dl-b", RSP_SMDP_DL_GET_EIS), g;
    assert_int_equal(rsp_store_smdp_dl_add(f->s, &a, 100), RSP_OK);
    assert_int_equal(rsp_store_smdp_dl_add(f->s, &b, 100), RSP_OK);
    a.step = RSP_SMDP_DL_LOAD;
    assert_int_equal(rsp_store_smdp_dl_add(f->s, &a, 101), RSP_ERR_EXISTS); /* a replay writes nothing */
    assert_int_equal(rsp_store_smdp_dl_get(f->s, "dl-a", &g), RSP_OK);
    assert_int_equal(g.step, RSP_SMDP_DL_GET_EIS);
    /* the cursor moves; what is read back is what was written, after a reopen (committed) */
    b = row("dl-b", RSP_SMDP_DL_DONE);
    snprintf(b.iccid, sizeof b.iccid, "8900000000000000001");
    snprintf(b.outcome, sizeof b.outcome, "installed and enabled");
    snprintf(b.status, sizeof b.status, "8.4/4.2");
    b.enable = b.isdp = true;
    assert_int_equal(rsp_store_smdp_dl_set(f->s, &b, 200), RSP_OK);
    fx_reopen(f);
    assert_int_equal(rsp_store_smdp_dl_get(f->s, "dl-b", &g), RSP_OK);
    assert_int_equal(g.step, RSP_SMDP_DL_DONE);
    assert_true(g.enable && g.isdp);
    assert_string_equal(g.iccid, "8900000000000000001");
    assert_string_equal(g.outcome, "installed and enabled");
    assert_string_equal(g.status, "8.4/4.2");
    assert_string_equal(g.eid, EID);
    assert_int_equal(g.updated, 200);
    assert_int_equal(rsp_store_smdp_dl_get(f->s, "dl-none", &g), RSP_ERR_NOT_FOUND);
    rsp_store_smdp_dl none = row("dl-none", RSP_SMDP_DL_DONE);
    assert_int_equal(rsp_store_smdp_dl_set(f->s, &none, 1), RSP_ERR_NOT_FOUND);
    /* live only: what a restarted SM-DP resumes */
    rsp_store_smdp_dl *v = NULL;
    size_t n = 0;
    assert_int_equal(rsp_store_smdp_dl_list(f->s, true, &v, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].id, "dl-a");
    free(v);
    assert_int_equal(rsp_store_smdp_dl_list(f->s, false, &v, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_string_equal(v[1].id, "dl-b");
    free(v);
    /* the owner of a profile */
    assert_int_equal(rsp_store_smdp_dl_find(f->s, EID, "8900000000000000001", &g), RSP_OK);
    assert_string_equal(g.id, "dl-b");
    assert_int_equal(rsp_store_smdp_dl_find(f->s, EID, "8900000000000000002", &g), RSP_ERR_NOT_FOUND);
    /* text that does not fit is refused, not cut */
    rsp_store_smdp_dl bad = row("dl-c", 0);
    memset(bad.outcome, 'x', sizeof bad.outcome);
    assert_int_equal(rsp_store_smdp_dl_add(f->s, &bad, 1), RSP_ERR_LENGTH);
}

static void test_allocate_with_cursor(void **state)
{
    fx *f = fx_get(state);
    add_identity(f->s, "8900000000000000010");
    rsp_store_smdp_dl a = row("dl-1", RSP_SMDP_DL_GET_EIS), b = row("dl-2", RSP_SMDP_DL_GET_EIS), g;
    assert_int_equal(rsp_store_smdp_dl_add(f->s, &a, 1), RSP_OK);
    assert_int_equal(rsp_store_smdp_dl_add(f->s, &b, 1), RSP_OK);
    rsp_store_inv p;
    memset(&p, 0, sizeof p);
    a.step = RSP_SMDP_DL_CREATE_ISDP;
    a.isdp = true;
    assert_int_equal(rsp_store_inv_allocate_dl(f->s, "MNO1/T1", EID, 5, &a, &p), RSP_OK);
    assert_string_equal(p.iccid, "8900000000000000010");
    assert_string_equal(a.iccid, p.iccid);
    rsp_store_inv_clear(&p);
    assert_int_equal(rsp_store_smdp_dl_get(f->s, "dl-1", &g), RSP_OK);
    assert_string_equal(g.iccid, "8900000000000000010");
    assert_int_equal(g.step, RSP_SMDP_DL_CREATE_ISDP);
    assert_true(g.isdp);
    /* pool empty: neither the inventory nor the cursor moves */
    b.step = RSP_SMDP_DL_CREATE_ISDP;
    assert_int_equal(rsp_store_inv_allocate_dl(f->s, "MNO1/T1", EID, 6, &b, &p), RSP_ERR_END);
    assert_string_equal(b.iccid, "");
    assert_int_equal(rsp_store_smdp_dl_get(f->s, "dl-2", &g), RSP_OK);
    assert_int_equal(g.step, RSP_SMDP_DL_GET_EIS);
    /* a cursor that cannot be written (no such download) undoes the allocation */
    add_identity(f->s, "8900000000000000028");
    rsp_store_smdp_dl ghost = row("dl-ghost", RSP_SMDP_DL_CREATE_ISDP);
    assert_int_equal(rsp_store_inv_allocate_dl(f->s, "MNO1/T1", EID, 7, &ghost, &p), RSP_ERR_NOT_FOUND);
    size_t n = 0;
    assert_int_equal(rsp_store_inv_count(f->s, "MNO1/T1", RSP_STORE_INV_AVAILABLE, &n), RSP_OK);
    assert_int_equal(n, 1);
    /* the inventory mark and the cursor move together, or neither */
    a.step = RSP_SMDP_DL_COMPLETED;
    assert_int_equal(rsp_store_inv_transition_dl(f->s, a.iccid, RSP_STORE_INV_ALLOCATED, RSP_STORE_INV_DOWNLOADED,
                                                  &a, 8),
                     RSP_OK);
    a.step = RSP_SMDP_DL_ENABLE;
    assert_int_equal(rsp_store_inv_transition_dl(f->s, a.iccid, RSP_STORE_INV_ALLOCATED, RSP_STORE_INV_DOWNLOADED,
                                                  &a, 9),
                     RSP_ERR_STATE);
    assert_int_equal(rsp_store_smdp_dl_get(f->s, "dl-1", &g), RSP_OK);
    assert_int_equal(g.step, RSP_SMDP_DL_COMPLETED);
    assert_int_equal(rsp_store_inv_count(f->s, "MNO1/T1", RSP_STORE_INV_DOWNLOADED, &n), RSP_OK);
    assert_int_equal(n, 1);
}

static void test_migrate(void **state)
{
    fx *f = fx_get(state);
    rsp_store_close(f->s);
    f->s = NULL;
    char uri[1100];
    snprintf(uri, sizeof uri, "%s", f->uri);
    if (f->be == BE_SQLITE) {
        snprintf(uri, sizeof uri, "sqlite:%s/v6.db", f->dir);
    } else {
        char sql[200];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE; CREATE SCHEMA %s", f->schema, f->schema);
        assert_int_equal(fx_pg_admin(sql), 1);
    }
    rsp_store *old = NULL;
    assert_int_equal(rsp_store__open_version(uri, 6, NULL, &old), RSP_OK);
    rsp_store_smdp_dl a = row("dl-a", 0);
    assert_int_not_equal(rsp_store_smdp_dl_add(old, &a, 1), RSP_OK); /* no table before v7 */
    rsp_store_close(old);
    assert_int_equal(rsp_store_open(uri, NULL, &f->s), RSP_OK);
    int v = 0;
    assert_int_equal(rsp_store_schema_version(f->s, &v), RSP_OK);
    assert_true(v >= 7);
    assert_int_equal(rsp_store_smdp_dl_add(f->s, &a, 1), RSP_OK);
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* An SM-DP dir of the file-journal build: its journals move into the store at the first open. */
static void test_import_old_journals(void **state)
{
    fx *f = fx_get(state);
    char dir[] = "/tmp/rsp-smdp-journal.XXXXXX", path[600];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/downloads", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/downloads/es2-0123456789ab.dl", dir);
    write_file(path, "step=5\nop=MNO1\ntype=T1\neid=" EID "\niccid=8900000000000000010\nenable=1\nisdp=1\n"
                     "outcome=\nstatus=\n");
    snprintf(path, sizeof path, "%s/downloads/es2-0123456789ab.dl.tmp", dir); /* a write cut short */
    write_file(path, "step=6\n");
    snprintf(path, sizeof path, "%s/downloads/cli-2.dl", dir);
    write_file(path, "step=9\nop=MNO1\ntype=T1\neid=" EID "\niccid=\nenable=0\nisdp=0\n"
                     "outcome=get-eis: verify-failed\nstatus=8.1/6.1\n");
    rsp_smdp_inv *inv = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_inv_open(dir, f->uri, &d, &inv), RSP_OK);
    rsp_smdp_dl dl;
    assert_int_equal(rsp_smdp_dl_load(inv, "es2-0123456789ab", &dl), RSP_OK);
    assert_int_equal(dl.step, RSP_SMDP_DL_COMPLETED);
    assert_true(dl.enable && dl.isdp_requested);
    assert_string_equal(dl.iccid, "8900000000000000010");
    assert_int_equal(rsp_smdp_dl_load(inv, "cli-2", &dl), RSP_OK);
    assert_int_equal(dl.step, RSP_SMDP_DL_FAILED);
    assert_string_equal(dl.outcome, "get-eis: verify-failed");
    assert_string_equal(dl.status, "8.1/6.1");
    rsp_smdp_dl *v = NULL;
    size_t n = 0;
    assert_int_equal(rsp_smdp_dl_list(inv, true, &v, &n), RSP_OK);
    assert_int_equal(n, 1); /* the one to resume */
    free(v);
    rsp_smdp_inv_close(inv);
    snprintf(path, sizeof path, "%s/downloads/cli-2.dl", dir);
    assert_int_equal(access(path, F_OK), -1); /* moved, not copied: a second open adds nothing */
    /* a journal it cannot read: the open is refused, naming the file */
    snprintf(path, sizeof path, "%s/downloads/cli-3.dl", dir);
    write_file(path, "step=12\nop=MNO1\n");
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_inv_open(dir, f->uri, &d, &inv), RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "downloads/cli-3.dl"));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rows, fx_setup_sqlite, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rows, fx_setup_pg, fx_teardown),
        cmocka_unit_test_setup_teardown(test_allocate_with_cursor, fx_setup_sqlite, fx_teardown),
        cmocka_unit_test_setup_teardown(test_allocate_with_cursor, fx_setup_pg, fx_teardown),
        cmocka_unit_test_setup_teardown(test_migrate, fx_setup_sqlite, fx_teardown),
        cmocka_unit_test_setup_teardown(test_migrate, fx_setup_pg, fx_teardown),
        cmocka_unit_test_setup_teardown(test_import_old_journals, fx_setup_sqlite, fx_teardown),
        cmocka_unit_test_setup_teardown(test_import_old_journals, fx_setup_pg, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
