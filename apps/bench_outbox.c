/* rsp bench outbox: the store side of the durable outbox (docs/modules/store.md "Outbox").
 *   cycle: a message stored (1 commit), claimed in batches of 32 (1 commit per batch), marked sent
 *          (1 commit): about 2 durable commits per message;
 *   reply: a pending reply recorded (1 commit), listed ready, moved into the outbox (1 commit).
 * The floor, measured in the same run on the same file system: 4 KB write + fdatasync, halved (two
 * durable commits per message). PostgreSQL too with --pg CONNINFO or RSP_PG_DSN. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "rsp/log.h"
#include "rsp/store.h"

typedef struct ob_arg {
    rsp_store *s;
    rsp_store_outbox m;
    int64_t now;
    size_t backlog; /* added, not yet claimed */
    rsp_err err;
} ob_arg;

/* One message through its whole life; claims run once 32 are waiting. */
static int cycle_step(void *arg)
{
    ob_arg *a = arg;
    if ((a->err = rsp_store_outbox_add(a->s, &a->m, NULL)) != RSP_OK)
        return 1;
    if (++a->backlog < 32)
        return 0;
    rsp_store_outbox *v = NULL;
    size_t n = 0;
    if ((a->err = rsp_store_outbox_claim(a->s, "bench", "w", a->now, 60, 32, &v, &n)) != RSP_OK)
        return 1;
    for (size_t i = 0; i < n; i++) {
        if (a->err == RSP_OK)
            a->err = rsp_store_outbox_sent(a->s, v[i].id, v[i].generation, a->now);
        rsp_store_outbox_clear(&v[i]);
    }
    free(v);
    a->backlog = 0;
    return a->err != RSP_OK;
}

static int reply_step(void *arg)
{
    ob_arg *a = arg;
    static uint64_t seq;
    rsp_store_outbox_reply r;
    memset(&r, 0, sizeof(r));
    snprintf(r.owner, sizeof(r.owner), "bench");
    snprintf(r.key, sizeof(r.key), "b:%d:%llu", (int)getpid(), (unsigned long long)++seq);
    snprintf(r.caller, sizeof(r.caller), "MNO1");
    snprintf(r.function, sizeof(r.function), "ES4.EnableProfile");
    snprintf(r.reply_to, sizeof(r.reply_to), "https://mno.example/cb");
    r.created = a->now;
    int64_t id = 0;
    if ((a->err = rsp_store_outbox_reply_add(a->s, &r, &id)) != RSP_OK)
        return 1;
    rsp_store_outbox_reply *v = NULL;
    size_t n = 0;
    if ((a->err = rsp_store_outbox_reply_ready(a->s, "bench", 1, &v, &n)) != RSP_OK)
        return 1;
    free(v);
    snprintf(a->m.key, sizeof(a->m.key), "%s", r.key);
    a->err = rsp_store_outbox_reply_move(a->s, id, &a->m, NULL);
    a->m.key[0] = 0;
    return a->err != RSP_OK;
}

static int fsync_step(void *arg)
{
    int fd = *(int *)arg;
    static char blk[4096];
    return pwrite(fd, blk, sizeof(blk), 0) != (ssize_t)sizeof(blk) || fdatasync(fd) != 0;
}

static void measure(rsp_bench *b, const char *backend, const char *uri, double floor, int *rc)
{
    ob_arg a;
    memset(&a, 0, sizeof(a));
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_store_open(uri, &d, &a.s) != RSP_OK) {
        fprintf(stderr, "rsp: bench outbox: cannot open the %s store: %s\n", backend, d.msg);
        *rc = 1;
        return;
    }
    snprintf(a.m.owner, sizeof(a.m.owner), "bench");
    snprintf(a.m.url, sizeof(a.m.url), "https://mno.example/cb");
    snprintf(a.m.ctype, sizeof(a.m.ctype), "application/soap+xml; charset=utf-8");
    uint8_t body[1024];
    memset(body, 'x', sizeof(body));
    a.m.body.data = body; /* borrowed: never cleared */
    a.m.body.len = sizeof(body);
    a.now = a.m.created = a.m.next_attempt = (int64_t)time(NULL);
    char name[96];
    rsp_bench_progress(b, "outbox cycle");
    double r = rsp_bench_rate(b, cycle_step, &a);
    snprintf(name, sizeof(name), "%s: outbox message stored, claimed (x32), sent (1 KB)", backend);
    rsp_bench_report(b, name, r, "msg/s", "fsync / 2", floor / 2);
    if (r < 0)
        *rc = 1;
    rsp_bench_progress(b, "reply move");
    r = rsp_bench_rate(b, reply_step, &a);
    snprintf(name, sizeof(name), "%s: pending reply recorded, found ready, moved into the outbox", backend);
    rsp_bench_report(b, name, r, "reply/s", "fsync / 2", floor / 2);
    if (r < 0 || a.err != RSP_OK) {
        fprintf(stderr, "rsp: bench outbox: %s\n", rsp_err_name(a.err));
        *rc = 1;
    }
    rsp_store_close(a.s);
}

int rsp_bench_outbox(rsp_bench *b, int argc, char **argv)
{
    const char *dsn = getenv("RSP_PG_DSN");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pg") && i + 1 < argc)
            dsn = argv[++i];
        else
            return rsp_cli_usage_error("usage: rsp bench outbox [--pg CONNINFO]");
    }
    rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
    char dir[64] = "/tmp/rsp-bench-outbox.XXXXXX", p[128];
    if (!mkdtemp(dir)) {
        fprintf(stderr, "rsp: bench outbox: cannot create a directory under /tmp\n");
        return 1;
    }
    snprintf(p, sizeof(p), "%s/fsync-floor", dir);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600), rc = 0;
    rsp_bench_progress(b, "floor: 4 KB write + fdatasync");
    double fs = fd >= 0 ? rsp_bench_rate(b, fsync_step, &fd) : -1;
    if (fd >= 0)
        close(fd);
    unlink(p);
    rsp_bench_report(b, "floor: 4 KB write + fdatasync", fs, "fsync/s", "", 0);
    snprintf(p, sizeof(p), "sqlite:%s/outbox.db", dir);
    measure(b, "sqlite", p, fs, &rc);
    if (dsn && *dsn)
        measure(b, "postgresql", dsn, fs, &rc);
    else if (!b->json)
        printf("  postgresql: not measured (give --pg CONNINFO or set RSP_PG_DSN, e.g. under scripts/with-pg)\n");
    static const char *const sfx[] = {"outbox.db", "outbox.db-wal", "outbox.db-shm", "outbox.db-wlock"};
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, sfx[i]);
        unlink(p);
    }
    rmdir(dir);
    return rc;
}
