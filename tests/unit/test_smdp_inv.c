/* SM-DP inventory: identity CSV (malformed input named by line), package import checks, taking an
 * identity personalises the package, the on-card states (enabled / disabled / deleted as the SM-SR
 * reports), and concurrent takes never hand out one identity twice. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsp/ids.h"
#include "rsp/saip.h"
#include "rsp/smdp.h"
#include "testutil.h"

#define EID "89049032123451234512345678901235"
#define KI "465B5CE8B199B49FAA5F0A2EE238A6BC"
#define OPC "CD63CB71954A9F4E48A5994E37A02BAF"

static void tmpdir(char out[64])
{
    snprintf(out, 64, "/tmp/test_smdp_XXXXXX");
    assert_non_null(mkdtemp(out));
}

static void rmdir_r(const char *d)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
}

static void load_ts48(rsp_buf *out)
{
    char path[1024];
    tu_read_file(tu_shared_path("profiles/TS48v7_SAIP2.3_NoBERTLV.der", path, sizeof path), out);
}

static rsp_err csv(const char *text, size_t *n, rsp_diag *d)
{
    rsp_smdp_identity *ids = NULL;
    size_t *lines = NULL;
    rsp_diag_clear(d);
    rsp_err e = rsp_smdp_csv_parse(text, strlen(text), &ids, n, &lines, d);
    rsp_smdp_identities_free(ids, *n);
    free(lines);
    return e;
}

static void test_csv(void **state)
{
    (void)state;
    rsp_diag d;
    size_t n = 0;
    /* 8944123456789012345 -> Luhn 4 (the check digit the saip perso test derives too) */
    assert_int_equal(rsp_luhn_digit("8944123456789012345", 19), 4);
    assert_int_equal(csv("iccid,imsi,ki,opc\n# comment\n\n89441234567890123454, 234150123456789 ," KI "," OPC "\r\n",
                         &n, &d), RSP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(csv("89441234567890123455,234150123456789," KI "," OPC "\n", &n, &d), RSP_ERR_CHECKSUM);
    assert_non_null(strstr(d.msg, "line 1"));
    assert_int_equal(csv("# x\n89441234567890123454,234150123456789," KI "," OPC "\n"
                         "89441234567890123462,234150123456788," KI "," OPC "\n"
                         "89441234567890123454,234150123456787," KI "," OPC "\n", &n, &d), RSP_ERR_EXISTS);
    assert_non_null(strstr(d.msg, "line 4"));
    assert_non_null(strstr(d.msg, "line 2"));
    assert_int_equal(csv("89441234567890123454,234150123456789," KI "\n", &n, &d), RSP_ERR_FORMAT);
    assert_int_equal(csv("89441234567890123454,234150123456789," KI "," OPC ",x\n", &n, &d), RSP_ERR_FORMAT);
    assert_int_equal(csv("89441234567890123454,2341501234567890," KI "," OPC "\n", &n, &d), RSP_ERR_FORMAT);
    assert_int_equal(csv("89441234567890123454,234150123456789,ZZ5B5CE8B199B49FAA5F0A2EE238A6BC," OPC "\n", &n, &d),
                     RSP_ERR_FORMAT);
    assert_int_equal(csv("89441234567890123454,234150123456789,465B," OPC "\n", &n, &d), RSP_ERR_LENGTH);
    char big[700];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(csv(big, &n, &d), RSP_ERR_LENGTH);
    assert_int_equal(csv("", &n, &d), RSP_OK);
    assert_int_equal(n, 0);
}

static void test_import_and_take(void **state)
{
    (void)state;
    char dir[64];
    tmpdir(dir);
    rsp_smdp_inv *inv = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_inv_open(dir, NULL, &d, &inv), RSP_OK);
    rsp_buf der = RSP_BUF_INIT;
    load_ts48(&der);
    /* A truncated package is refused with the walker's diagnosis, and no pool appears. */
    assert_int_equal(rsp_smdp_import_package(inv, "OPA", "ts48", der.data, 100, &d), RSP_ERR_TRUNCATED);
    assert_non_null(strstr(d.msg, "element 0"));
    assert_int_equal(rsp_smdp_import_package(inv, "../x", "ts48", der.data, der.len, &d), RSP_ERR_FORMAT);
    rsp_smdp_identity one;
    memset(&one, 0, sizeof one);
    strcpy(one.iccid, "89441234567890123454");
    strcpy(one.imsi, "234150123456789");
    one.ki_len = one.opc_len = 16;
    rsp_hex_decode_fixed(KI, one.ki, 16, NULL);
    rsp_hex_decode_fixed(OPC, one.opc, 16, NULL);
    assert_int_equal(rsp_smdp_import_identities(inv, "OPA", "ts48", &one, 1, NULL, &d), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_smdp_import_package(inv, "OPA", "ts48", der.data, der.len, &d), RSP_OK);
    assert_int_equal(rsp_smdp_import_identities(inv, "OPA", "ts48", &one, 1, NULL, &d), RSP_OK);
    /* Known ICCID: refused, named by its line, and nothing of the batch is added. */
    rsp_smdp_identity two[2] = {one, one};
    strcpy(two[0].iccid, "89441234567890123462");
    const size_t lines[2] = {3, 9};
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_import_identities(inv, "OPA", "ts48", two, 2, lines, &d), RSP_ERR_EXISTS);
    assert_non_null(strstr(d.msg, "line 9"));
    rsp_smdp_pool *p = NULL;
    size_t n = 0;
    assert_int_equal(rsp_smdp_inventory(inv, &p, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].op, "OPA");
    assert_string_equal(p[0].type, "ts48");
    assert_int_equal(p[0].count[RSP_SMDP_AVAILABLE], 1);
    free(p);

    rsp_smdp_taken t;
    assert_int_equal(rsp_smdp_take(inv, "OPA", "ts48", EID, 100, &t, &d), RSP_OK);
    assert_string_equal(t.id.iccid, one.iccid);
    rsp_saip_package pkg;
    assert_int_equal(rsp_saip_parse(t.package.data, t.package.len, 0, &pkg, NULL), RSP_OK);
    assert_string_equal(pkg.header.iccid, one.iccid);
    /* Header ICCID is reading-order BCD (SAIP header iccid, tag 83). */
    tu_assert_hex(pkg.header.iccid_raw.p, 10, "89441234567890123454");
    rsp_saip_package_free(&pkg);
    rsp_smdp_taken again;
    assert_int_equal(rsp_smdp_retake(inv, one.iccid, &again, &d), RSP_OK);
    assert_int_equal(again.package.len, t.package.len);
    assert_memory_equal(again.package.data, t.package.data, t.package.len);
    rsp_smdp_taken_clear(&again);
    rsp_smdp_taken_clear(&t);
    assert_int_equal(rsp_smdp_take(inv, "OPA", "ts48", EID, 101, &t, &d), RSP_ERR_END);
    /* Lifecycle: only the allowed steps. */
    assert_int_equal(rsp_smdp_mark(inv, one.iccid, RSP_SMDP_ALLOCATED, RSP_SMDP_INSTALLED, 102), RSP_ERR_STATE);
    assert_int_equal(rsp_smdp_mark(inv, one.iccid, RSP_SMDP_ALLOCATED, RSP_SMDP_DOWNLOADED, 102), RSP_OK);
    assert_int_equal(rsp_smdp_mark(inv, one.iccid, RSP_SMDP_DOWNLOADED, RSP_SMDP_INSTALLED, 103), RSP_OK);
    assert_int_equal(rsp_smdp_mark(inv, one.iccid, RSP_SMDP_INSTALLED, RSP_SMDP_DELETED, 104), RSP_OK);
    assert_int_equal(rsp_smdp_mark(inv, one.iccid, RSP_SMDP_DELETED, RSP_SMDP_AVAILABLE, 105), RSP_ERR_STATE);
    assert_string_equal(rsp_smdp_state_name(RSP_SMDP_DELETED), "deleted");
    rsp_buf_free(&der);
    rsp_smdp_inv_close(inv);
    rmdir_r(dir);
}

/* The on-card states follow what the SM-SR reports, from whichever on-card state the identity is in,
 * and one enabled profile per card: enabling one disables the other this inventory had enabled there. */
static void test_card_states(void **state)
{
    (void)state;
    char dir[64];
    tmpdir(dir);
    rsp_smdp_inv *inv = NULL;
    rsp_diag d;
    rsp_buf der = RSP_BUF_INIT;
    load_ts48(&der);
    assert_int_equal(rsp_smdp_inv_open(dir, NULL, &d, &inv), RSP_OK);
    assert_int_equal(rsp_smdp_import_package(inv, "OPA", "ts48", der.data, der.len, &d), RSP_OK);
    assert_int_equal(rsp_smdp_generate_identities(inv, "OPA", "ts48", "8944", "23415", 1, 3, &d), RSP_OK);
    char ic[2][21];
    for (int i = 0; i < 2; i++) {
        rsp_smdp_taken t;
        assert_int_equal(rsp_smdp_take(inv, "OPA", "ts48", EID, 100, &t, &d), RSP_OK);
        memcpy(ic[i], t.id.iccid, sizeof ic[i]);
        rsp_smdp_taken_clear(&t);
        rsp_store_smdp_dl row;
        memset(&row, 0, sizeof row);
        snprintf(row.id, sizeof row.id, "dl-%d", i);
        strcpy(row.op, "OPA");
        strcpy(row.type, "ts48");
        strcpy(row.eid, EID);
        memcpy(row.iccid, ic[i], sizeof row.iccid);
        row.step = RSP_SMDP_DL_DONE;
        assert_int_equal(rsp_store_smdp_dl_add(rsp_smdp_inv_store(inv), &row, 100), RSP_OK);
        /* still downloading: a report of the card is not applied */
        assert_int_equal(rsp_smdp_mark_card(inv, EID, ic[i], RSP_SMDP_ENABLED, 101), RSP_ERR_STATE);
        assert_int_equal(rsp_smdp_mark(inv, ic[i], RSP_SMDP_ALLOCATED, RSP_SMDP_DOWNLOADED, 101), RSP_OK);
        assert_int_equal(rsp_smdp_mark(inv, ic[i], RSP_SMDP_DOWNLOADED, RSP_SMDP_INSTALLED, 102), RSP_OK);
    }
    rsp_smdp_state st;
    assert_int_equal(rsp_smdp_mark_card(inv, EID, ic[0], RSP_SMDP_ENABLED, 103), RSP_OK);
    assert_int_equal(rsp_smdp_state_of(inv, ic[0], &st), RSP_OK);
    assert_int_equal(st, RSP_SMDP_ENABLED);
    /* the second enabled on the same card: the first is disabled by it */
    assert_int_equal(rsp_smdp_mark_card(inv, EID, ic[1], RSP_SMDP_ENABLED, 104), RSP_OK);
    assert_int_equal(rsp_smdp_state_of(inv, ic[0], &st), RSP_OK);
    assert_int_equal(st, RSP_SMDP_DISABLED);
    assert_int_equal(rsp_smdp_mark_card(inv, EID, ic[1], RSP_SMDP_ENABLED, 105), RSP_OK); /* again: no change */
    assert_int_equal(rsp_smdp_state_of(inv, ic[1], &st), RSP_OK);
    assert_int_equal(st, RSP_SMDP_ENABLED);
    /* a report with no EID (an audit) changes that one only */
    assert_int_equal(rsp_smdp_mark_card(inv, NULL, ic[0], RSP_SMDP_ENABLED, 106), RSP_OK);
    assert_int_equal(rsp_smdp_state_of(inv, ic[1], &st), RSP_OK);
    assert_int_equal(st, RSP_SMDP_ENABLED);
    assert_int_equal(rsp_smdp_mark_card(inv, NULL, ic[0], RSP_SMDP_DISABLED, 107), RSP_OK);
    /* deleted from disabled; then nothing brings it back */
    assert_int_equal(rsp_smdp_mark_card(inv, EID, ic[0], RSP_SMDP_DELETED, 108), RSP_OK);
    assert_int_equal(rsp_smdp_mark_card(inv, EID, ic[0], RSP_SMDP_ENABLED, 109), RSP_ERR_STATE);
    assert_int_equal(rsp_smdp_mark_card(inv, EID, ic[0], RSP_SMDP_DELETED, 109), RSP_OK);
    assert_int_equal(rsp_smdp_mark(inv, ic[0], RSP_SMDP_DELETED, RSP_SMDP_ENABLED, 109), RSP_ERR_STATE);
    assert_int_equal(rsp_smdp_mark_card(inv, EID, ic[1], RSP_SMDP_INSTALLED, 110), RSP_ERR_INVAL);
    assert_int_equal(rsp_smdp_mark_card(inv, EID, "89440000000000000000", RSP_SMDP_ENABLED, 110), RSP_ERR_NOT_FOUND);
    rsp_smdp_pool *p = NULL;
    size_t n = 0;
    assert_int_equal(rsp_smdp_inventory(inv, &p, &n), RSP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].count[RSP_SMDP_AVAILABLE], 1);
    assert_int_equal(p[0].count[RSP_SMDP_ENABLED], 1);
    assert_int_equal(p[0].count[RSP_SMDP_DISABLED], 0);
    assert_int_equal(p[0].count[RSP_SMDP_DELETED], 1);
    free(p);
    assert_string_equal(rsp_smdp_state_name(RSP_SMDP_ENABLED), "enabled");
    assert_string_equal(rsp_smdp_state_name(RSP_SMDP_DISABLED), "disabled");
    assert_string_equal(rsp_smdp_state_name((rsp_smdp_state)RSP_SMDP_STATES), "unknown");
    assert_int_equal(rsp_smdp_state_order[RSP_SMDP_STATES - 1], RSP_SMDP_DELETED);
    rsp_buf_free(&der);
    rsp_smdp_inv_close(inv);
    rmdir_r(dir);
}

#define POOL 40
#define THREADS 4

typedef struct taker {
    const char *dir;
    char got[POOL][21];
    size_t n;
    rsp_err last;
} taker;

static void *take_all(void *arg)
{
    taker *t = arg;
    rsp_smdp_inv *inv = NULL;
    t->last = rsp_smdp_inv_open(t->dir, NULL, NULL, &inv);
    while (t->last == RSP_OK) {
        rsp_smdp_taken tk;
        t->last = rsp_smdp_take(inv, "OPB", "ts48", EID, 1, &tk, NULL);
        if (t->last == RSP_OK) {
            if (t->n < POOL)
                memcpy(t->got[t->n], tk.id.iccid, 21);
            t->n++;
            rsp_smdp_taken_clear(&tk);
        }
    }
    rsp_smdp_inv_close(inv);
    return NULL;
}

static int cmp21(const void *a, const void *b) { return strcmp(a, b); }

static void test_concurrent_takes(void **state)
{
    (void)state;
    char dir[64];
    tmpdir(dir);
    rsp_smdp_inv *inv = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_inv_open(dir, NULL, &d, &inv), RSP_OK);
    rsp_buf der = RSP_BUF_INIT;
    load_ts48(&der);
    assert_int_equal(rsp_smdp_import_package(inv, "OPB", "ts48", der.data, der.len, &d), RSP_OK);
    assert_int_equal(rsp_smdp_generate_identities(inv, "OPB", "ts48", "8999000", "00101", 1, POOL, &d), RSP_OK);
    /* Generating the same serials again collides with the first batch. */
    assert_int_equal(rsp_smdp_generate_identities(inv, "OPB", "ts48", "8999000", "00101", POOL, 2, &d),
                     RSP_ERR_EXISTS);
    rsp_smdp_inv_close(inv);
    static taker tk[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        memset(&tk[i], 0, sizeof tk[i]);
        tk[i].dir = dir;
        assert_int_equal(pthread_create(&th[i], NULL, take_all, &tk[i]), 0);
    }
    static char all[POOL][21];
    size_t total = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(tk[i].last, RSP_ERR_END);
        assert_true(total + tk[i].n <= POOL);
        memcpy(all[total], tk[i].got, tk[i].n * 21);
        total += tk[i].n;
    }
    assert_int_equal(total, POOL);
    qsort(all, POOL, 21, cmp21);
    for (size_t i = 1; i < POOL; i++)
        assert_string_not_equal(all[i], all[i - 1]);
    for (size_t i = 0; i < POOL; i++)
        assert_int_equal(rsp_iccid_check(all[i]), RSP_OK);
    rsp_buf_free(&der);
    rmdir_r(dir);
}

/* 200 downloads starting at once on one pool of 150 (issue 10): each its own thread and store
 * connection taking one identity, released together by a barrier: 150 get distinct identities, 50
 * find the pool empty, none errs otherwise. */
#define AT_ONCE 200
#define POOL2 150

typedef struct one_take {
    const char *dir;
    pthread_barrier_t *go;
    char iccid[21];
    rsp_err e;
} one_take;

static void *take_one(void *arg)
{
    one_take *t = arg;
    rsp_smdp_inv *inv = NULL;
    t->e = rsp_smdp_inv_open(t->dir, NULL, NULL, &inv);
    pthread_barrier_wait(t->go);
    rsp_smdp_taken tk;
    if (t->e == RSP_OK && (t->e = rsp_smdp_take(inv, "OPB", "ts48", EID, 1, &tk, NULL)) == RSP_OK) {
        memcpy(t->iccid, tk.id.iccid, 21);
        rsp_smdp_taken_clear(&tk);
    }
    rsp_smdp_inv_close(inv);
    return NULL;
}

static void test_200_at_once(void **state)
{
    (void)state;
    char dir[64];
    tmpdir(dir);
    rsp_smdp_inv *inv = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_inv_open(dir, NULL, &d, &inv), RSP_OK);
    rsp_buf der = RSP_BUF_INIT;
    load_ts48(&der);
    assert_int_equal(rsp_smdp_import_package(inv, "OPB", "ts48", der.data, der.len, &d), RSP_OK);
    assert_int_equal(rsp_smdp_generate_identities(inv, "OPB", "ts48", "8999001", "00102", 1, POOL2, &d), RSP_OK);
    rsp_smdp_inv_close(inv);
    static one_take t[AT_ONCE];
    static pthread_t th[AT_ONCE];
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, AT_ONCE);
    for (int i = 0; i < AT_ONCE; i++) {
        memset(&t[i], 0, sizeof t[i]);
        t[i].dir = dir;
        t[i].go = &go;
        assert_int_equal(pthread_create(&th[i], NULL, take_one, &t[i]), 0);
    }
    static char all[AT_ONCE][21];
    size_t ok = 0, empty = 0;
    for (int i = 0; i < AT_ONCE; i++) {
        pthread_join(th[i], NULL);
        if (t[i].e == RSP_OK)
            memcpy(all[ok++], t[i].iccid, 21);
        else if (t[i].e == RSP_ERR_END)
            empty++;
        else
            fail_msg("take %d: %s", i, rsp_err_name(t[i].e));
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(ok, POOL2);
    assert_int_equal(empty, AT_ONCE - POOL2);
    qsort(all, ok, 21, cmp21);
    for (size_t i = 1; i < ok; i++)
        assert_string_not_equal(all[i], all[i - 1]);
    assert_int_equal(rsp_smdp_inv_open(dir, NULL, &d, &inv), RSP_OK);
    rsp_smdp_pool *pools = NULL;
    size_t np = 0;
    assert_int_equal(rsp_smdp_inventory(inv, &pools, &np), RSP_OK);
    assert_int_equal(np, 1);
    assert_int_equal(pools[0].count[RSP_STORE_INV_ALLOCATED], POOL2);
    assert_int_equal(pools[0].count[RSP_STORE_INV_AVAILABLE], 0);
    free(pools);
    rsp_smdp_inv_close(inv);
    rsp_buf_free(&der);
    rmdir_r(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_import_and_take),
        cmocka_unit_test(test_card_states),
        cmocka_unit_test(test_concurrent_takes),
        cmocka_unit_test(test_200_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
