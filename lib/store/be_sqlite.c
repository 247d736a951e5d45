/* SQLite backend: embedded, one file, WAL.
 *
 * synchronous=FULL: in WAL mode NORMAL does not corrupt the database on power loss but may lose the
 * last committed transactions. Losing a reserved SCP80 counter would let a later packet reuse it,
 * which the card rejects as a replay (or worse, accepts a duplicate), and losing a queued operation
 * breaks the "a crash loses nothing" promise; so each commit waits for its WAL fsync (~0.2 ms, see
 * shared/spec/NUMBERS.md), far below what the SMS binds allow.
 *
 * Writers are serialised by an OFD lock on a side file ("<db>-wlock") taken before BEGIN IMMEDIATE
 * and released after COMMIT/ROLLBACK. Why: SQLite's own busy handler sleeps in growing steps (up to
 * 100 ms) and wakes in no order, so under 4-8 writers some waited 1-2 s, longer than a lease. Here
 * a waiter polls briefly, then blocks in the kernel and is woken the moment the holder unlocks,
 * with a "starving" stamp in the side file's shared page that makes the others let it go first
 * (wlock below); OFD locks belong to the open file, so two connections of one process exclude each
 * other too, and the kernel drops the lock when its holder dies, so a killed worker never wedges
 * the others.
 *
 * Checkpoints run outside that lock: SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses 1000 WAL pages, i.e. while the writer lock is held, and on a slow disk it wrote and
 * fsynced for hundreds of ms while every other writer waited. A WAL hook notes the size instead,
 * and the committing connection runs a PASSIVE checkpoint after releasing the lock (PASSIVE never
 * blocks writers: they keep appending to the WAL meanwhile). */
#define _GNU_SOURCE /* F_OFD_SETLKW */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "rsp/log.h"
#include "store_int.h"

#define BUSY_TIMEOUT_MS 10000
#define CHECKPOINT_PAGES 1000 /* SQLite's own default threshold */
#define XCACHE 16

typedef struct sq {
    sqlite3 *db;
    sqlite3_stmt *stmt[RSP_STMT__COUNT];
    sqlite3_stmt *cur;  /* the active statement */
    int pending;        /* SQLITE_ROW or SQLITE_DONE from the first step, not yet consumed */
    int64_t changes;
    int lockfd;         /* the writer lock's side file, -1 for an in-memory database */
    _Atomic int64_t *starving; /* in the side file's shared page: stamp of a starving waiter */
    bool locked;
    int wal_pages;      /* WAL size after the last commit (WAL hook) */
    /* Prepared forms of the short control statements (BEGIN IMMEDIATE, COMMIT, and the group
     * commit's SAVEPOINT / RELEASE / ROLLBACK TO rsp_spN): a batch runs two or three of them per
     * unit of work, and sqlite3_exec parsed and compiled each one every time (perf: about 50 per
     * ES4 operation at 1 client). Keyed by the exact text; XCACHE entries, first come. */
    struct {
        char sql[32];
        sqlite3_stmt *st;
    } x[XCACHE];
} sq;

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    ((sq *)arg)->wal_pages = pages;
    return SQLITE_OK;
}

static rsp_err map_rc(sq *q, int rc, const char *what)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return RSP_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return RSP_ERR_BUSY;
    case SQLITE_NOMEM:
        return RSP_ERR_NOMEM;
    default:
        break;
    }
    int ext = sqlite3_extended_errcode(q->db);
    switch (ext) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
        return RSP_ERR_EXISTS;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return RSP_ERR_NOT_FOUND;
    case SQLITE_CONSTRAINT_TRIGGER:
        return RSP_ERR_DENIED;
    default:
        break;
    }
    /* The message names tables and constraints, never bound values, so no secret can leak. */
    RSP_LOGE(RSP_SS_STORE, "sqlite error", "what=%s rc=%d msg=\"%s\"", what, ext,
             sqlite3_errmsg(q->db));
    return RSP_ERR_DB;
}

/* The cached statement for a short transaction-control statement (no ';'), prepared on first use;
 * NULL for any other text or when the cache is full (the caller then runs sqlite3_exec). */
static sqlite3_stmt *xstmt(sq *q, const char *sql)
{
    static const char *const verbs[] = {"SAVEPOINT ", "RELEASE ", "ROLLBACK TO ", "BEGIN ", "COMMIT"};
    size_t n = strlen(sql), v = 0;
    while (v < sizeof verbs / sizeof verbs[0] && strncmp(sql, verbs[v], strlen(verbs[v])) != 0)
        v++;
    if (v == sizeof verbs / sizeof verbs[0] || n >= sizeof q->x[0].sql || strchr(sql, ';'))
        return NULL;
    for (size_t i = 0; i < XCACHE; i++) {
        if (!q->x[i].st) {
            if (sqlite3_prepare_v3(q->db, sql, (int)n, SQLITE_PREPARE_PERSISTENT, &q->x[i].st, NULL) != SQLITE_OK) {
                sqlite3_finalize(q->x[i].st);
                q->x[i].st = NULL;
                return NULL;
            }
            memcpy(q->x[i].sql, sql, n + 1);
            return q->x[i].st;
        }
        if (strcmp(q->x[i].sql, sql) == 0)
            return q->x[i].st;
    }
    return NULL;
}

static rsp_err sq_exec(rsp_store *s, const char *sql)
{
    sq *q = s->be;
    sqlite3_stmt *st = xstmt(q, sql);
    int rc;
    if (st) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) /* none of the cached statements returns rows */
            rc = SQLITE_DONE;
        /* map_rc reads the error of the step: reset only after it (reset repeats the code) */
        rsp_err e = map_rc(q, rc, "exec");
        sqlite3_reset(st);
        return e;
    }
    rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);
    return map_rc(q, rc, "exec");
}

/* The side file's first page, shared by every connection to the database. */
static int map_page(sq *q)
{
    struct stat st;
    if (fstat(q->lockfd, &st) != 0 || (st.st_size < 4096 && ftruncate(q->lockfd, 4096) != 0))
        return -1;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, q->lockfd, 0);
    if (p == MAP_FAILED)
        return -1;
    q->starving = p;
    return 0;
}

static void unmap_page(sq *q)
{
    if (q->starving)
        munmap((void *)q->starving, 4096);
    q->starving = NULL;
}

static rsp_err sq_open(rsp_store *s, const char *path, rsp_diag *diag)
{
    sq *q = calloc(1, sizeof *q);
    if (!q)
        return RSP_ERR_NOMEM;
    s->be = q;
    /* NOMUTEX: a handle belongs to one thread (see store.h), so SQLite's own locking is waste. */
    int rc = sqlite3_open_v2(path, &q->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        rsp_diag_set(diag, RSP_ERR_DB, "store: cannot open sqlite database %s: %s", path,
                     q->db ? sqlite3_errmsg(q->db) : "out of memory");
        sqlite3_close(q->db);
        free(q);
        s->be = NULL;
        return RSP_ERR_DB;
    }
    q->lockfd = -1;
    if (strcmp(path, ":memory:") != 0) {
        char lp[4096];
        if (snprintf(lp, sizeof lp, "%s-wlock", path) >= (int)sizeof lp ||
            (q->lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
            map_page(q) != 0) {
            rsp_diag_set(diag, RSP_ERR_IO, "store: cannot open the writer lock %s-wlock", path);
            if (q->lockfd >= 0)
                close(q->lockfd);
            sqlite3_close(q->db);
            free(q);
            s->be = NULL;
            return RSP_ERR_IO;
        }
    }
    /* Only a writer that does not take our lock (the sqlite3 shell, an older build) makes
     * SQLite's busy handler wait. */
    sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_wal_hook(q->db, wal_hook, q); /* replaces the automatic checkpoint (see top) */
    rsp_err e = sq_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                           " PRAGMA foreign_keys=ON;");
    if (e != RSP_OK) {
        rsp_diag_set(diag, e, "store: cannot configure sqlite database %s", path);
        unmap_page(q);
        if (q->lockfd >= 0)
            close(q->lockfd);
        sqlite3_close(q->db);
        free(q);
        s->be = NULL;
    }
    return e;
}

static void sq_finish(rsp_store *s)
{
    sq *q = s->be;
    if (q->cur) {
        sqlite3_reset(q->cur);
        sqlite3_clear_bindings(q->cur);
        q->cur = NULL;
    }
    q->pending = 0;
}

static void sq_close(rsp_store *s)
{
    sq *q = s->be;
    if (!q)
        return;
    sq_finish(s);
    for (int i = 0; i < RSP_STMT__COUNT; i++)
        sqlite3_finalize(q->stmt[i]);
    for (int i = 0; i < XCACHE; i++)
        sqlite3_finalize(q->x[i].st);
    sqlite3_close(q->db);
    unmap_page(q);
    if (q->lockfd >= 0)
        close(q->lockfd); /* drops the writer lock if still held */
    free(q);
    s->be = NULL;
}

/* The writer lock (see the top of the file). Taking it: a waiter first polls without blocking
 * (every 50 us, up to SPIN_US), so a writer that just committed may take the lock again at once
 * instead of handing it over (a hand-off costs a context switch, milliseconds on a loaded host).
 * A waiter that polled SPIN_US without luck is starving: it stamps the shared page and blocks in
 * the kernel; while a stamp is fresh (younger than POLITE_US) nobody takes the lock without
 * blocking, so the starving writer is next. A stamp left by a killed waiter just goes stale. */
#define SPIN_US 2000
#define POLITE_US 20000

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* one clock for all processes of the host */
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void nap(void)
{
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
}

static rsp_err wlock_fail(void)
{
    RSP_LOGE(RSP_SS_STORE, "sqlite writer lock failed", "errno=%d", errno);
    return RSP_ERR_IO;
}

static rsp_err wlock(sq *q)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (q->lockfd < 0)
        return RSP_OK;
    int64_t t0 = mono_us(), now = t0, stamp;
    while ((stamp = atomic_load(q->starving)) != 0 && now - stamp < POLITE_US &&
           now - t0 < POLITE_US) {
        nap();
        now = mono_us();
    }
    for (t0 = now;;) {
        if (fcntl(q->lockfd, F_OFD_SETLK, &fl) == 0)
            return RSP_OK;
        if (errno != EAGAIN && errno != EACCES && errno != EINTR)
            return wlock_fail();
        if ((now = mono_us()) - t0 >= SPIN_US)
            break;
        nap();
    }
    atomic_store(q->starving, now);
    int rc;
    while ((rc = fcntl(q->lockfd, F_OFD_SETLKW, &fl)) < 0 && errno == EINTR)
        ;
    int64_t mine = now;
    atomic_compare_exchange_strong(q->starving, &mine, 0); /* unless a newer waiter stamped */
    return rc < 0 ? wlock_fail() : RSP_OK;
}

static void wunlock(sq *q)
{
    if (q->locked) {
        struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
        if (fcntl(q->lockfd, F_OFD_SETLK, &fl) < 0)
            wlock_fail();
        q->locked = false;
    }
    if (q->wal_pages >= CHECKPOINT_PAGES) {
        q->wal_pages = 0;
        /* Not part of any commit: a busy or failed checkpoint is retried after the next one. */
        sqlite3_wal_checkpoint_v2(q->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
}

static rsp_err sq_begin(rsp_store *s)
{
    sq *q = s->be;
    if (!q->locked) {
        RSP_STORE_TRY(wlock(q));
        q->locked = true;
    }
    rsp_err e = sq_exec(s, "BEGIN IMMEDIATE");
    if (e != RSP_OK)
        wunlock(q);
    return e;
}

/* A failed COMMIT (disk full, I/O error) is returned; SQLite has then rolled the transaction back
 * (or the caller's rollback does), so nothing of it is visible. */
static rsp_err sq_commit(rsp_store *s)
{
    sq *q = s->be;
    sq_finish(s);
    rsp_err e = sq_exec(s, "COMMIT");
    if (e == RSP_OK || sqlite3_get_autocommit(q->db))
        wunlock(q);
    return e;
}

static void sq_rollback(rsp_store *s)
{
    sq *q = s->be;
    sq_finish(s);
    if (!sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    wunlock(q);
}

static rsp_err sq_query_int(rsp_store *s, const char *sql, int64_t *out)
{
    sq *q = s->be;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return map_rc(q, rc, "prepare");
    rc = sqlite3_step(st);
    rsp_err e = RSP_ERR_END;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        e = RSP_OK;
    } else if (rc != SQLITE_DONE) {
        e = map_rc(q, rc, "query");
    }
    sqlite3_finalize(st);
    return e;
}

/* "$n" parameters become "?n" so index n binds exactly the n-th parameter. */
static rsp_err prepare(sq *q, rsp_store_stmt id, sqlite3_stmt **out)
{
    const char *sql = rsp_store__sql(RSP_STORE_BE_SQLITE, id);
    size_t n = strlen(sql);
    char *t = malloc(n + 1);
    if (!t)
        return RSP_ERR_NOMEM;
    for (size_t i = 0; i <= n; i++)
        t[i] = (sql[i] == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9') ? '?' : sql[i];
    int rc = sqlite3_prepare_v3(q->db, t, (int)n, SQLITE_PREPARE_PERSISTENT, out, NULL);
    free(t);
    return map_rc(q, rc, "prepare");
}

static rsp_err sq_run(rsp_store *s, rsp_store_stmt id, const rsp_store_param *p, size_t n)
{
    static const uint8_t empty[1] = {0};
    sq *q = s->be;
    sq_finish(s);
    if ((unsigned)id >= RSP_STMT__COUNT)
        return RSP_ERR_INVAL;
    if (!q->stmt[id])
        RSP_STORE_TRY(prepare(q, id, &q->stmt[id]));
    sqlite3_stmt *st = q->stmt[id];
    if ((int)n != sqlite3_bind_parameter_count(st))
        return RSP_ERR_INTERNAL;
    int rc = SQLITE_OK;
    for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
        int ix = (int)i + 1;
        switch (p[i].kind) {
        case RSP_SP_NULL: rc = sqlite3_bind_null(st, ix); break;
        case RSP_SP_INT: rc = sqlite3_bind_int64(st, ix, p[i].i); break;
        case RSP_SP_TEXT:
            rc = p[i].s ? sqlite3_bind_text(st, ix, p[i].s, -1, SQLITE_STATIC)
                        : sqlite3_bind_null(st, ix);
            break;
        case RSP_SP_BLOB:
            /* A NULL pointer would bind SQL NULL; an empty blob is still a value. */
            rc = sqlite3_bind_blob(st, ix, p[i].b ? (const void *)p[i].b : empty, (int)p[i].len,
                                   SQLITE_STATIC);
            break;
        }
    }
    if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(st);
        return map_rc(q, rc, "bind");
    }
    q->cur = st;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rsp_err e = map_rc(q, rc, "step");
        sq_finish(s);
        return e;
    }
    q->pending = rc;
    q->changes = sqlite3_changes64(q->db);
    return RSP_OK;
}

static rsp_err sq_next(rsp_store *s)
{
    sq *q = s->be;
    if (!q->cur)
        return RSP_ERR_END;
    int rc;
    if (q->pending) {
        rc = q->pending;
        q->pending = 0;
    } else {
        rc = sqlite3_step(q->cur);
    }
    if (rc == SQLITE_ROW)
        return RSP_OK;
    if (rc == SQLITE_DONE)
        return RSP_ERR_END;
    return map_rc(q, rc, "step");
}

static bool sq_col_null(rsp_store *s, int col)
{
    sq *q = s->be;
    return sqlite3_column_type(q->cur, col) == SQLITE_NULL;
}

static int64_t sq_col_int(rsp_store *s, int col)
{
    sq *q = s->be;
    return sqlite3_column_int64(q->cur, col);
}

static const char *sq_col_text(rsp_store *s, int col)
{
    sq *q = s->be;
    return (const char *)sqlite3_column_text(q->cur, col);
}

static rsp_err sq_col_blob(rsp_store *s, int col, rsp_buf *out)
{
    sq *q = s->be;
    const void *b = sqlite3_column_blob(q->cur, col);
    int n = sqlite3_column_bytes(q->cur, col);
    rsp_buf_reset(out);
    return n > 0 ? rsp_buf_append(out, b, (size_t)n) : RSP_OK;
}

static int64_t sq_changes(rsp_store *s)
{
    sq *q = s->be;
    return q->changes;
}

static bool sq_in_tx(rsp_store *s)
{
    sq *q = s->be;
    return !sqlite3_get_autocommit(q->db);
}

const rsp_store_ops rsp_store_sqlite_ops = {
    .name = "sqlite",
    .id = RSP_STORE_BE_SQLITE,
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .wbegin = sq_begin,
    .wcommit = sq_commit,
    .wrollback = sq_rollback,
    .exec = sq_exec,
    .query_int = sq_query_int,
    .run = sq_run,
    .next = sq_next,
    .col_null = sq_col_null,
    .col_int = sq_col_int,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .changes = sq_changes,
    .finish = sq_finish,
    .in_tx = sq_in_tx,
};
