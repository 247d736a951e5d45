/* The SM-DP download journal in the store (lib/store/smdp_dl.c, inv.c) on SQLite and PostgreSQL:
 * rows, replay refusal, the unfinished list, the profile's owner; the identity allocation and the
 * cursor naming it in one transaction (and nothing of either when one part fails); the v6 -> v7
 * migration; an SM-DP dir of an older build (journal files) imported at open, or refused naming the
 * file it cannot read; the sealed ISD-P keys in the inventory row (v13): written with the
 * "downloaded" mark or not at all, read back byte for byte, an older SM-DP's key file as fallback. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_store_fixture.h"
#include "rsp/smdp.h"
#include "smdp/smdp_int.h"
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
    rsp_store *old = fx_open_old(f, "v6.db", 6);
    rsp_store_smdp_dl a = row("dl-a", 0);
    assert_int_not_equal(rsp_store_smdp_dl_add(old, &a, 1), RSP_OK); /* no table before v7 */
    rsp_store_close(old);
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
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

/* inv.isdp_keys (v13): in the commit of the "downloaded" mark, or nothing of either; the SM-DP's
 * sealed form through the inventory, and a key file of an older SM-DP still read. */
static void test_isdp_keys(void **state)
{
    fx *f = fx_get(state);
    uint8_t blob[RSP_SMDP_ISDP_SEALED_LEN];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (uint8_t)(i * 7 + 1);
    rsp_buf got = RSP_BUF_INIT;
    assert_int_equal(rsp_store_inv_keys_get(f->s, "8900000000000000010", &got), RSP_ERR_NOT_FOUND); /* no row */
    assert_int_equal(rsp_store_inv_keys_set(f->s, "8900000000000000010", blob, sizeof blob), RSP_ERR_NOT_FOUND);
    add_identity(f->s, "8900000000000000010");
    rsp_store_smdp_dl a = row("dl-k", RSP_SMDP_DL_GET_EIS);
    assert_int_equal(rsp_store_smdp_dl_add(f->s, &a, 1), RSP_OK);
    rsp_store_inv p;
    memset(&p, 0, sizeof p);
    a.step = RSP_SMDP_DL_CREATE_ISDP;
    assert_int_equal(rsp_store_inv_allocate_dl(f->s, "MNO1/T1", EID, 2, &a, &p), RSP_OK);
    rsp_store_inv_clear(&p);
    /* a mark from the wrong state: refused, and the keys with it */
    a.step = RSP_SMDP_DL_COMPLETED;
    assert_int_equal(rsp_store_inv_transition_dl_keys(f->s, a.iccid, RSP_STORE_INV_DOWNLOADED, RSP_STORE_INV_INSTALLED,
                                                       &a, blob, sizeof blob, 3),
                     RSP_ERR_STATE);
    assert_int_equal(rsp_store_inv_keys_get(f->s, a.iccid, &got), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_store_inv_transition_dl_keys(f->s, a.iccid, RSP_STORE_INV_ALLOCATED, RSP_STORE_INV_DOWNLOADED,
                                                       &a, blob, sizeof blob, 4),
                     RSP_OK);
    rsp_store_close(f->s); /* committed: read back after a reopen */
    f->s = NULL;
    assert_int_equal(rsp_store_open(f->uri, NULL, &f->s), RSP_OK);
    assert_int_equal(rsp_store_inv_keys_get(f->s, a.iccid, &got), RSP_OK);
    assert_int_equal(got.len, sizeof blob);
    assert_memory_equal(got.data, blob, sizeof blob);
    rsp_store_smdp_dl g;
    assert_int_equal(rsp_store_smdp_dl_get(f->s, "dl-k", &g), RSP_OK);
    assert_int_equal(g.step, RSP_SMDP_DL_COMPLETED);
    assert_int_equal(rsp_store_inv_keys_set(f->s, a.iccid, NULL, 0), RSP_OK);
    assert_int_equal(rsp_store_inv_keys_get(f->s, a.iccid, &got), RSP_ERR_NOT_FOUND);
    rsp_buf_free(&got);

    /* the SM-DP's side: sealed into the row, opened with the master key that sealed it only */
    char dir[] = "/tmp/rsp-smdp-keys.XXXXXX";
    assert_non_null(mkdtemp(dir));
    rsp_smdp_inv *inv = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_store_close(f->s);
    f->s = NULL;
    assert_int_equal(rsp_smdp_inv_open(dir, f->uri, &d, &inv), RSP_OK);
    uint8_t mk[32], mk2[32];
    memset(mk, 0x11, sizeof mk);
    memset(mk2, 0x22, sizeof mk2);
    rsp_smdp_isdp_keys k, r;
    memset(&k, 0, sizeof k);
    uint8_t enc[16], mac[16], dek[16];
    memset(enc, 1, 16);
    memset(mac, 2, 16);
    memset(dek, 3, 16);
    assert_int_equal(rsp_scp03_keys_set(&k.keys, 0x30, enc, mac, dek, 16), RSP_OK);
    k.has_token = true;
    memset(k.token, 0x70, 16);
    assert_int_equal(rsp_smdp_isdp_keys_put(inv, mk, 32, a.iccid, &k), RSP_OK);
    assert_int_equal(rsp_smdp_isdp_keys_get(inv, mk, 32, a.iccid, &r, &d), RSP_OK);
    assert_int_equal(r.keys.kvn, 0x30);
    assert_memory_equal(r.keys.enc, enc, 16);
    assert_memory_equal(r.keys.dek, dek, 16);
    assert_true(r.has_token);
    assert_memory_equal(r.token, k.token, 16);
    assert_int_equal(rsp_smdp_isdp_keys_get(inv, mk2, 32, a.iccid, &r, &d), RSP_ERR_VERIFY);
    /* another ICCID's sealed keys copied into this row: the CMAC binds them to their ICCID */
    add_identity(inv->s, "8900000000000000028");
    uint8_t sealed[RSP_SMDP_ISDP_SEALED_LEN];
    assert_int_equal(rsp_smdp_isdp_keys_seal(mk, 32, "8900000000000000028", &k, sealed), RSP_OK);
    assert_int_equal(rsp_store_inv_keys_set(inv->s, a.iccid, sealed, sizeof sealed), RSP_OK);
    assert_int_equal(rsp_smdp_isdp_keys_get(inv, mk, 32, a.iccid, &r, &d), RSP_ERR_VERIFY);
    /* an older SM-DP's key file: read when the row has none; drop removes both */
    assert_int_equal(rsp_smdp_isdp_keys_save(dir, mk, 32, "8900000000000000028", &k), RSP_OK);
    assert_int_equal(rsp_smdp_isdp_keys_get(inv, mk, 32, "8900000000000000028", &r, &d), RSP_OK);
    assert_memory_equal(r.keys.mac, mac, 16);
    assert_int_equal(rsp_smdp_isdp_keys_drop(inv, "8900000000000000028"), RSP_OK);
    assert_int_equal(rsp_smdp_isdp_keys_get(inv, mk, 32, "8900000000000000028", &r, &d), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_smdp_isdp_keys_drop(inv, a.iccid), RSP_OK);
    assert_int_equal(rsp_smdp_isdp_keys_get(inv, mk, 32, a.iccid, &r, &d), RSP_ERR_NOT_FOUND);
    rsp_smdp_isdp_keys_wipe(&k);
    rsp_smdp_isdp_keys_wipe(&r);
    rsp_smdp_inv_close(inv);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_rows),
        BOTH(test_allocate_with_cursor),
        BOTH(test_migrate),
        BOTH(test_import_old_journals),
        BOTH(test_isdp_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
