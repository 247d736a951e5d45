/* Store durability under failed commits (SQLite): every writing function, with the database unable
 * to commit, must return an error and leave nothing visible; once the fault is gone the same call
 * must succeed and change the database (so the "nothing changed" check can fail).
 *
 * Faults are injected by a VFS shim registered as the default VFS, so the store's own connection
 * goes through it and its real commit path fails: the WAL write of the commit returns SQLITE_FULL
 * (a full disk) or SQLITE_IOERR_WRITE, or the WAL fsync returns SQLITE_IOERR_FSYNC. A fourth case
 * caps the file with PRAGMA max_page_count. What is visible is read by a second connection that
 * bypasses the shim, dumping every table. PostgreSQL: the same writes with its COMMIT failing
 * (a deferred trigger raising disk_full, see pg_faults_install). */
#include <sqlite3.h>

#include "rsp/log.h"
#include "store/store_int.h"
#include "test_store_fixture.h"

/* ---- the fault VFS (test-only global state: the VFS API offers no per-file context) ---- */
enum { FAULT_NONE, FAULT_WAL_FULL, FAULT_WAL_IOERR, FAULT_WAL_FSYNC };
static int fault_kind;
static int fault_hits;
static sqlite3_vfs *real_vfs;

typedef struct shim_file {
    sqlite3_file base;
    sqlite3_file *real; /* follows this struct in the same allocation */
    int is_wal;
} shim_file;

#define REAL(f) (((shim_file *)(f))->real)

static int sh_close(sqlite3_file *f)
{
    int rc = REAL(f)->pMethods->xClose(REAL(f));
    return rc;
}
static int sh_read(sqlite3_file *f, void *b, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), b, n, off);
}
static int sh_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 off)
{
    const bool armed = fault_kind == FAULT_WAL_FULL || fault_kind == FAULT_WAL_IOERR;
    if (((shim_file *)f)->is_wal && armed) {
        fault_hits++;
        return fault_kind == FAULT_WAL_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    }
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, off);
}
static int sh_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int sh_sync(sqlite3_file *f, int flags)
{
    if (((shim_file *)f)->is_wal && fault_kind == FAULT_WAL_FSYNC) {
        fault_hits++;
        return SQLITE_IOERR_FSYNC;
    }
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int sh_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int sh_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int sh_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int sh_check(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int sh_fctl(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int sh_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int sh_dev(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int sh_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp);
}
static int sh_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void sh_shm_barrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int sh_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int sh_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int sh_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods shim_io = {
    3, sh_close, sh_read, sh_write, sh_truncate, sh_sync, sh_size, sh_lock, sh_unlock, sh_check,
    sh_fctl, sh_sector, sh_dev, sh_shm_map, sh_shm_lock, sh_shm_barrier, sh_shm_unmap, sh_fetch,
    sh_unfetch,
};

static int sh_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    shim_file *s = (shim_file *)f;
    (void)vfs;
    s->real = (sqlite3_file *)(s + 1);
    s->is_wal = (flags & SQLITE_OPEN_WAL) != 0;
    int rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
    s->base.pMethods = rc == SQLITE_OK && s->real->pMethods ? &shim_io : NULL;
    return rc;
}

static sqlite3_vfs shim_vfs;

static void shim_register(void)
{
    if (real_vfs)
        return;
    real_vfs = sqlite3_vfs_find("unix");
    assert_non_null(real_vfs);
    shim_vfs = *real_vfs;
    shim_vfs.zName = "rsp-fault";
    shim_vfs.szOsFile = (int)sizeof(shim_file) + real_vfs->szOsFile;
    shim_vfs.xOpen = sh_open;
    shim_vfs.pNext = NULL;
    /* As the default VFS, so the store's connections use it. */
    assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

/* ---- what is visible: every table, from a connection that bypasses the shim ---- */
typedef struct snap {
    rsp_buf b;
} snap;

static snap dump_sqlite(const fx *f)
{
    static const char *const tables[] = {"eis", "profile", "keyset", "op", "audit", "plma", "onc",
                                         "inv"};
    sqlite3 *db = NULL;
    snap out = {RSP_BUF_INIT};
    assert_int_equal(sqlite3_open_v2(f->uri + 7, &db, SQLITE_OPEN_READONLY, "unix"), SQLITE_OK);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        char sql[64];
        sqlite3_stmt *st = NULL;
        snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY rowid", tables[t]);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        assert_int_equal(rsp_buf_append(&out.b, tables[t], strlen(tables[t])), RSP_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const void *v = sqlite3_column_blob(st, c);
                int n = sqlite3_column_bytes(st, c);
                assert_int_equal(rsp_buf_append(&out.b, "|", 1), RSP_OK);
                if (n > 0)
                    assert_int_equal(rsp_buf_append(&out.b, v, (size_t)n), RSP_OK);
            }
            assert_int_equal(rsp_buf_append(&out.b, "\n", 1), RSP_OK);
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

/* PostgreSQL: every row of every table as text, from a connection of its own. */
static snap dump_pg(const fx *f)
{
    static const char *const tables[] = {"eis", "profile", "keyset", "op", "audit", "plma", "onc",
                                         "inv", "lane"};
    snap out = {RSP_BUF_INIT};
    PGconn *c = PQconnectdb(getenv("RSP_PG_DSN"));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT r::text FROM %s.%s r ORDER BY 1", f->schema, tables[t]);
        PGresult *r = PQexec(c, sql);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        assert_int_equal(rsp_buf_append(&out.b, tables[t], strlen(tables[t])), RSP_OK);
        for (int i = 0; i < PQntuples(r); i++) {
            const char *v = PQgetvalue(r, i, 0);
            assert_int_equal(rsp_buf_append(&out.b, "|", 1), RSP_OK);
            assert_int_equal(rsp_buf_append(&out.b, v, strlen(v)), RSP_OK);
        }
        PQclear(r);
    }
    PQfinish(c);
    return out;
}

static snap dump(const fx *f)
{
    return f->be == BE_PG ? dump_pg(f) : dump_sqlite(f);
}

static bool same(const snap *a, const snap *b)
{
    return a->b.len == b->b.len && memcmp(a->b.data, b->b.data, a->b.len) == 0;
}

/* ---- the writes ---- */
#define EID_C "89049032123451234512345678901237"
#define IC1 "8949000000000000018"
#define IC2 "8949000000000000026"

typedef struct wctx {
    fx *f;
    rsp_store_fence fb;      /* fence of the op of EID_B, claimed in setup */
    int64_t op_b;
    int n;                   /* bumps on every call, so each call writes something new */
    uint64_t last_counter;
} wctx;

static void mkprof(rsp_store_profile *p, const char *iccid, const char *aid)
{
    memset(p, 0, sizeof *p);
    snprintf(p->eid, sizeof p->eid, EID_A);
    snprintf(p->iccid, sizeof p->iccid, "%s", iccid);
    snprintf(p->isdp_aid, sizeof p->isdp_aid, "%s", aid);
    snprintf(p->profile_type, sizeof p->profile_type, "iot");
    p->state = RSP_STORE_PROFILE_DISABLED;
}

static rsp_err w_eis_put(wctx *c)
{
    rsp_store_eis e;
    rsp_err r;
    memset(&e, 0, sizeof e);
    assert_int_equal(rsp_store_eis_get(c->f->s, EID_A, &e), RSP_OK);
    e.last_audit = 1000 + c->n;
    r = rsp_store_eis_put(c->f->s, &e);
    rsp_store_eis_clear(&e);
    return r;
}
static rsp_err w_eis_delete(wctx *c) { return rsp_store_eis_delete(c->f->s, EID_C); }
static rsp_err w_prof_put(wctx *c)
{
    rsp_store_profile p;
    char ic[21];
    snprintf(ic, sizeof ic, "89490000000001%05d", c->n);
    mkprof(&p, ic, ic);
    return rsp_store_profile_put(c->f->s, &p);
}
static rsp_err w_prof_state(wctx *c)
{
    (void)c;
    return rsp_store_profile_set_state(c->f->s, IC1, RSP_STORE_PROFILE_ENABLED);
}
static rsp_err w_prof_pol2(wctx *c)
{
    return rsp_store_profile_set_pol2(c->f->s, IC1, (uint32_t)c->n);
}
static rsp_err w_prof_fb(wctx *c)
{
    return rsp_store_profile_set_fallback(c->f->s, EID_A, c->n & 1 ? IC1 : IC2);
}
static rsp_err w_prof_delete(wctx *c) { return rsp_store_profile_delete(c->f->s, IC2); }
static rsp_err w_ks_put(wctx *c)
{
    rsp_store_keyset k;
    memset(&k, 0, sizeof k);
    snprintf(k.eid, sizeof k.eid, EID_A);
    k.kvn = (uint8_t)(10 + c->n % 200);
    assert_int_equal(rsp_buf_append(&k.keys, "k", 1), RSP_OK);
    rsp_err r = rsp_store_keyset_put(c->f->s, &k);
    rsp_store_keyset_clear(&k);
    return r;
}
static rsp_err w_ks_delete(wctx *c) { return rsp_store_keyset_delete(c->f->s, EID_A, 2); }
/* A reservation that fails must not hand out a value; the next one returns last + 1. */
static rsp_err w_reserve(wctx *c)
{
    uint64_t v = 0;
    rsp_err r = rsp_store_counter_reserve(c->f->s, NULL, EID_A, 1, 0, &v);
    if (r == RSP_OK) {
        assert_int_equal(v, c->last_counter + 1);
        c->last_counter = v;
    }
    return r;
}
static rsp_err w_reserve_fenced(wctx *c)
{
    uint64_t v = 0;
    rsp_err r = rsp_store_counter_reserve(c->f->s, &c->fb, EID_B, 1, 150, &v);
    if (r == RSP_OK)
        assert_int_equal(v, 1);
    return r;
}
static rsp_err w_raise(wctx *c)
{
    rsp_err r = rsp_store_counter_raise(c->f->s, EID_A, 1, 1000 + (uint64_t)c->n);
    if (r == RSP_OK)
        c->last_counter = 1000 + (uint64_t)c->n;
    return r;
}
static rsp_err w_submit(wctx *c)
{
    rsp_store_op op;
    int64_t id = 0;
    bool rep = true;
    memset(&op, 0, sizeof op);
    snprintf(op.eid, sizeof op.eid, EID_C);
    snprintf(op.fcid, sizeof op.fcid, "fc-%d", c->n);
    snprintf(op.requester, sizeof op.requester, "mno");
    op.deadline = 100000;
    op.next_attempt = 100;
    rsp_err r = rsp_store_op_submit(c->f->s, &op, &id, &rep);
    if (r == RSP_OK) {
        assert_false(rep); /* the failed attempt left no row to replay */
        assert_true(id > 0);
    }
    return r;
}
static rsp_err w_claim(wctx *c)
{
    rsp_store_op op;
    memset(&op, 0, sizeof op);
    rsp_err r = rsp_store_op_claim(c->f->s, "w", 200, 60, &op);
    if (r == RSP_OK)
        assert_string_equal(op.eid, EID_A);
    rsp_store_op_clear(&op);
    return r;
}
static rsp_err w_renew(wctx *c) { return rsp_store_op_renew(c->f->s, &c->fb, 150, 300 + c->n); }
static rsp_err w_transition(wctx *c)
{
    rsp_store_op_change ch = {.now = 160, .lease_until = 400};
    return rsp_store_op_transition(c->f->s, c->op_b, &c->fb, RSP_STORE_OP_SENT,
                                   RSP_STORE_OP_AWAITING, &ch);
}
static rsp_err w_expire(wctx *c)
{
    size_t n = 0;
    rsp_err r = rsp_store_op_expire(c->f->s, 150, &n);
    if (r == RSP_OK)
        assert_int_equal(n, 1);
    return r;
}
static rsp_err w_audit(wctx *c)
{
    rsp_store_audit a;
    int64_t id = 0;
    memset(&a, 0, sizeof a);
    a.ts = c->n;
    snprintf(a.actor, sizeof a.actor, "smsr");
    snprintf(a.event, sizeof a.event, "test");
    return rsp_store_audit_append(c->f->s, &a, &id);
}
static rsp_err w_plma(wctx *c)
{
    return rsp_store_plma_set(c->f->s, "op", "sp", "t", (uint32_t)c->n);
}
static rsp_err w_onc(wctx *c) { return rsp_store_onc_set(c->f->s, "op", "t", (uint32_t)c->n); }
static rsp_err w_inv_add(wctx *c)
{
    rsp_store_inv p;
    memset(&p, 0, sizeof p);
    snprintf(p.iccid, sizeof p.iccid, "89490000000002%05d", c->n);
    snprintf(p.profile_type, sizeof p.profile_type, "iot");
    assert_int_equal(rsp_buf_append(&p.package, "pkg", 3), RSP_OK);
    rsp_err r = rsp_store_inv_add(c->f->s, &p);
    rsp_store_inv_clear(&p);
    return r;
}
static rsp_err w_inv_alloc(wctx *c)
{
    rsp_store_inv p;
    memset(&p, 0, sizeof p);
    rsp_err r = rsp_store_inv_allocate(c->f->s, "gold", EID_A, 10, &p);
    rsp_store_inv_clear(&p);
    (void)c;
    return r;
}
static rsp_err w_inv_trans(wctx *c)
{
    (void)c;
    return rsp_store_inv_transition(c->f->s, "8949000000000003007", RSP_STORE_INV_AVAILABLE,
                                    RSP_STORE_INV_RETIRED, NULL, 11);
}

typedef struct wcase {
    const char *name;
    rsp_err (*fn)(wctx *c);
} wcase;

static const wcase cases[] = {
    {"eis_put", w_eis_put}, {"eis_delete", w_eis_delete}, {"profile_put", w_prof_put},
    {"profile_set_state", w_prof_state}, {"profile_set_pol2", w_prof_pol2},
    {"profile_set_fallback", w_prof_fb}, {"profile_delete", w_prof_delete},
    {"keyset_put", w_ks_put}, {"keyset_delete", w_ks_delete}, {"counter_reserve", w_reserve},
    {"counter_reserve(fenced)", w_reserve_fenced}, {"counter_raise", w_raise},
    {"op_submit", w_submit}, {"op_claim", w_claim}, {"op_renew", w_renew},
    {"op_transition", w_transition}, {"op_expire", w_expire}, {"audit_append", w_audit},
    {"plma_set", w_plma}, {"onc_set", w_onc}, {"inv_add", w_inv_add},
    {"inv_allocate", w_inv_alloc}, {"inv_transition", w_inv_trans},
};

static void setup_data(wctx *c)
{
    rsp_store *s = c->f->s;
    rsp_store_profile p;
    rsp_store_keyset k;
    rsp_store_op op;
    rsp_store_inv inv;
    int64_t id = 0;
    fx_eis(s, EID_A);
    fx_eis(s, EID_B);
    fx_eis(s, EID_C);
    mkprof(&p, IC1, "A0000005591010FFFFFFFF8900001100");
    assert_int_equal(rsp_store_profile_put(s, &p), RSP_OK);
    mkprof(&p, IC2, "A0000005591010FFFFFFFF8900001200");
    assert_int_equal(rsp_store_profile_put(s, &p), RSP_OK);
    for (int i = 0; i < 3; i++) {
        memset(&k, 0, sizeof k);
        snprintf(k.eid, sizeof k.eid, "%s", i == 2 ? EID_B : EID_A);
        k.kvn = i == 2 ? 1 : (uint8_t)(i + 1);
        assert_int_equal(rsp_buf_append(&k.keys, "0123456789abcdef", 16), RSP_OK);
        assert_int_equal(rsp_store_keyset_put(s, &k), RSP_OK);
        rsp_store_keyset_clear(&k);
    }
    /* EID_B: an op claimed by "w" at 100 (lease to 200); EID_A: one queued; EID_C: one past its
     * deadline (for the expiry sweep). */
    const char *eids[] = {EID_B, EID_A, EID_C};
    const int64_t deadlines[] = {100000, 100000, 120};
    for (int i = 0; i < 3; i++) {
        memset(&op, 0, sizeof op);
        snprintf(op.eid, sizeof op.eid, "%s", eids[i]);
        snprintf(op.fcid, sizeof op.fcid, "setup-%d", i);
        snprintf(op.requester, sizeof op.requester, "mno");
        op.deadline = deadlines[i];
        op.next_attempt = i == 1 ? 150 : 100;
        assert_int_equal(rsp_store_op_submit(s, &op, &id, NULL), RSP_OK);
        if (i == 0)
            c->op_b = id;
    }
    memset(&op, 0, sizeof op);
    assert_int_equal(rsp_store_op_claim(s, "w", 100, 100, &op), RSP_OK);
    assert_int_equal(op.id, c->op_b);
    c->fb = (rsp_store_fence){op.id, op.generation};
    rsp_store_op_clear(&op);
    const char *inv_ic[] = {"8949000000000003007", "8949000000000003015"};
    for (int i = 0; i < 2; i++) {
        memset(&inv, 0, sizeof inv);
        snprintf(inv.iccid, sizeof inv.iccid, "%s", inv_ic[i]);
        snprintf(inv.profile_type, sizeof inv.profile_type, i ? "gold" : "iot");
        assert_int_equal(rsp_buf_append(&inv.package, "p", 1), RSP_OK);
        assert_int_equal(rsp_store_inv_add(s, &inv), RSP_OK);
        rsp_store_inv_clear(&inv);
    }
}

/* PostgreSQL: the commit itself fails. A deferred constraint trigger on every table runs at
 * COMMIT (or at the end of an autocommit statement) and, while armed, raises SQLSTATE 53100
 * (disk_full); hits are counted in a sequence, which a rollback does not undo. */
static void pg_faults_install(const fx *f)
{
    static const char *const tables[] = {"eis", "profile", "keyset", "op", "audit", "plma", "onc",
                                         "inv", "lane"};
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TABLE %s.fault_armed(on_ BOOLEAN NOT NULL);"
             "INSERT INTO %s.fault_armed VALUES (false);"
             "CREATE SEQUENCE %s.fault_hits;"
             "CREATE FUNCTION %s.fault_commit() RETURNS trigger LANGUAGE plpgsql AS"
             " $$BEGIN IF (SELECT on_ FROM %s.fault_armed) THEN"
             " PERFORM nextval('%s.fault_hits');"
             " RAISE EXCEPTION 'injected commit failure' USING ERRCODE = '53100';"
             " END IF; RETURN NULL; END$$",
             f->schema, f->schema, f->schema, f->schema, f->schema, f->schema);
    assert_true(fx_pg_admin(sql));
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        snprintf(sql, sizeof sql,
                 "CREATE CONSTRAINT TRIGGER fault_%s AFTER INSERT OR UPDATE OR DELETE ON %s.%s"
                 " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION %s.fault_commit()",
                 tables[t], f->schema, tables[t], f->schema);
        assert_true(fx_pg_admin(sql));
    }
}

static int64_t pg_fault_hits(const fx *f)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT last_value + (CASE WHEN is_called THEN 0 ELSE -1 END)"
             " FROM %s.fault_hits", f->schema);
    PGconn *c = PQconnectdb(getenv("RSP_PG_DSN"));
    PGresult *r = PQexec(c, sql);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return n;
}

static void pg_fault_arm(const fx *f, bool on)
{
    char sql[192];
    snprintf(sql, sizeof sql, "UPDATE %s.fault_armed SET on_ = %s", f->schema,
             on ? "true" : "false");
    assert_true(fx_pg_admin(sql));
}

static void run_kind(void **state, int kind, const char *kname)
{
    fx *f = fx_get(state);
    wctx c = {.f = f};
    setup_data(&c);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snap before = dump(f);
        c.n++;
        int64_t pg_hits = 0;
        if (f->be == BE_PG) {
            pg_hits = pg_fault_hits(f);
            pg_fault_arm(f, true);
        }
        fault_kind = kind;
        fault_hits = 0;
        rsp_err e = cases[i].fn(&c);
        fault_kind = FAULT_NONE;
        if (f->be == BE_PG) {
            pg_fault_arm(f, false);
            fault_hits = (int)(pg_fault_hits(f) - pg_hits);
        }
        if (e == RSP_OK || fault_hits == 0)
            fail_msg("%s: %s returned %s with %d faults injected", kname, cases[i].name,
                     rsp_err_name(e), fault_hits);
        snap after = dump(f);
        if (!same(&before, &after))
            fail_msg("%s: %s failed (%s) but its write is visible", kname, cases[i].name,
                     rsp_err_name(e));
        rsp_buf_free(&after.b);
        /* The handle still works, and the same write now goes through and shows. */
        c.n++;
        e = cases[i].fn(&c);
        if (e != RSP_OK)
            fail_msg("%s: %s after the fault: %s", kname, cases[i].name, rsp_err_name(e));
        after = dump(f);
        if (same(&before, &after))
            fail_msg("%s: %s succeeded but changed nothing", kname, cases[i].name);
        rsp_buf_free(&before.b);
        rsp_buf_free(&after.b);
    }
    /* What succeeded is durable: the counter continues from the last value handed out. */
    fx_reopen(f);
    uint64_t v = 0;
    assert_int_equal(rsp_store_counter_reserve(f->s, NULL, EID_A, 1, 0, &v), RSP_OK);
    assert_int_equal(v, c.last_counter + 1);
}

static void test_fault_disk_full(void **state) { run_kind(state, FAULT_WAL_FULL, "disk full"); }

static void test_fault_pg_commit(void **state)
{
    fx *f = fx_get(state);
    pg_faults_install(f);
    run_kind(state, FAULT_NONE, "postgresql commit failure");
}
static void test_fault_write_ioerr(void **state)
{
    run_kind(state, FAULT_WAL_IOERR, "write I/O error");
}
static void test_fault_fsync_ioerr(void **state)
{
    run_kind(state, FAULT_WAL_FSYNC, "fsync I/O error");
}

/* The file may not grow (PRAGMA max_page_count at its current size): a write that needs new pages
 * fails, leaves nothing, and succeeds once the cap is lifted. */
static void test_fault_max_page_count(void **state)
{
    fx *f = fx_get(state);
    int64_t pages = 0;
    char sql[64];
    rsp_store_inv p;
    uint64_t v = 0;
    fx_eis(f->s, EID_A);
    rsp_store_keyset k;
    memset(&k, 0, sizeof k);
    snprintf(k.eid, sizeof k.eid, EID_A);
    k.kvn = 1;
    assert_int_equal(rsp_store_keyset_put(f->s, &k), RSP_OK);
    assert_int_equal(f->s->ops->query_int(f->s, "PRAGMA page_count", &pages), RSP_OK);
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages);
    assert_int_equal(f->s->ops->exec(f->s, sql), RSP_OK);
    snap before = dump(f);
    memset(&p, 0, sizeof p);
    snprintf(p.iccid, sizeof p.iccid, "8949000000000003007");
    snprintf(p.profile_type, sizeof p.profile_type, "iot");
    assert_int_equal(rsp_buf_reserve(&p.package, 65536), RSP_OK);
    memset(p.package.data, 0x5a, 65536);
    p.package.len = 65536;
    assert_int_not_equal(rsp_store_inv_add(f->s, &p), RSP_OK);
    snap after = dump(f);
    assert_true(same(&before, &after));
    rsp_buf_free(&after.b);
    /* Writes that fit in existing pages still work; the counter did not move on the failure. */
    assert_int_equal(rsp_store_counter_reserve(f->s, NULL, EID_A, 1, 0, &v), RSP_OK);
    assert_int_equal(v, 1);
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages + 100);
    assert_int_equal(f->s->ops->exec(f->s, sql), RSP_OK);
    assert_int_equal(rsp_store_inv_add(f->s, &p), RSP_OK);
    rsp_store_inv_clear(&p);
    rsp_buf_free(&before.b);
}

int main(void)
{
    /* The failures are expected: keep their error lines out of the output. */
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_NONE);
    shim_register(); /* before the fixture opens anything */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fault_disk_full, fx_setup_sqlite, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fault_write_ioerr, fx_setup_sqlite, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fault_fsync_ioerr, fx_setup_sqlite, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fault_pg_commit, fx_setup_pg, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fault_max_page_count, fx_setup_sqlite,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
