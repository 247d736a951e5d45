/* Process harness shared by the end-to-end benches (`rsp bench download-https`, `rsp bench smsr-e2e`):
 * runs this binary (/proc/self/exe) as children (rsp smsc, rsp smsr run, rsp euicc run, rsp smdp run
 * and one-shot setup commands), waits for their port files, reads their CPU time, stops them.
 * No state of its own: the caller owns the rsp_bench_procs (and with it every pid it holds) and must
 * call rsp_bench_procs_stop() on every path once a child may have been started. */
#ifndef RSP_APPS_BENCH_PROCS_H
#define RSP_APPS_BENCH_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rsp/buf.h"
#include "rsp/err.h"

enum { RSP_BENCH_PROCS_MAX = 8 };

typedef struct rsp_bench_procs {
    char self[512];                /* this binary, from /proc/self/exe */
    pid_t pid[RSP_BENCH_PROCS_MAX]; /* started children by slot; 0 = none (or already reaped) */
} rsp_bench_procs;

/* Fills p->self and clears the pids. RSP_ERR_IO when /proc/self/exe cannot be read. */
rsp_err rsp_bench_procs_init(rsp_bench_procs *p);

/* Runs this binary with argv (argv[0] = "rsp", NULL-terminated), stdout and stderr appended to log
 * (NULL: /dev/null), and waits for it. RSP_OK only when it exited with status 0; RSP_ERR_STATE when
 * it failed, RSP_ERR_IO when it could not be started. */
rsp_err rsp_bench_procs_run(const rsp_bench_procs *p, const char *log, char *const *argv);

/* One setup command "rsp <args...>", waited for: non-zero when it failed (so a chain of them reads with ||). */
#define RSP_BENCH_PROCS_RUN(p, ...) \
    (rsp_bench_procs_run((p), NULL, (char *const[]){"rsp", __VA_ARGS__, NULL}) != RSP_OK)

/* Starts this binary with argv (as above) in the background, into slot (< RSP_BENCH_PROCS_MAX); its
 * pid is kept in p->pid[slot] until rsp_bench_procs_stop(). RSP_ERR_IO when fork fails. */
rsp_err rsp_bench_procs_start(rsp_bench_procs *p, size_t slot, const char *log, char *const *argv);

/* A daemon "rsp <args...>" into slot, output to log: rsp_err. */
#define RSP_BENCH_PROCS_START(p, slot, log, ...) \
    rsp_bench_procs_start((p), (slot), (log), (char *const[]){"rsp", __VA_ARGS__, NULL})

/* Stops every started child, last slot first: SIGTERM, up to 5 s each to exit, then SIGKILL. Every
 * child is reaped and its slot cleared; safe to call twice. */
void rsp_bench_procs_stop(rsp_bench_procs *p);

/* CPU seconds (user + system) the child in slot has used so far (from /proc/<pid>/stat); 0 when it
 * is not running or cannot be read. */
double rsp_bench_procs_cpu(const rsp_bench_procs *p, size_t slot);
/* The user and system CPU seconds of process pid so far (/proc/<pid>/stat): false when unreadable. */
bool rsp_bench_procs_pid_cpu(pid_t pid, double *user, double *sys);

/* A loopback TCP port free right now (the kernel's pick; another process may take it before use).
 * RSP_ERR_NET when none could be had. */
rsp_err rsp_bench_procs_free_port(uint16_t *port);

/* Waits up to 20 s for path to exist (a socket, or a non-empty file) and, when needle is set, to
 * contain it. RSP_ERR_TIMEOUT when it did not. */
rsp_err rsp_bench_procs_wait_file(const char *path, const char *needle);

/* Reads a port file written by a daemon (a port number, maybe a newline) into url as
 * "https://127.0.0.1:<port>". RSP_ERR_IO when unreadable, RSP_ERR_FORMAT when empty or too long. */
rsp_err rsp_bench_procs_port_url(const char *port_file, char *url, size_t cap);

/* The EIDs of the fleet `rsp eum make` wrote: one per <32 characters>.json in eis_dir (directory
 * order), into eid[0 .. *n), at most max. RSP_ERR_IO when eis_dir cannot be opened. */
rsp_err rsp_bench_procs_fleet_eids(const char *eis_dir, char (*eid)[33], size_t max, size_t *n);

void rsp_bench_procs_nap_ms(long ms);

/* The value of an unlabelled metric `name` on a daemon's plain-HTTP /metrics at 127.0.0.1:port
 * (metrics_listen). RSP_ERR_NET when unreachable, RSP_ERR_NOT_FOUND when the line is absent. */
rsp_err rsp_bench_procs_metric(uint16_t port, const char *name, double *out);

/* The number after "key": in the JSON status answer of `rsp euicc run`'s control socket (`status`).
 * RSP_ERR_NET when the socket does not answer, RSP_ERR_NOT_FOUND when the key is absent. */
rsp_err rsp_bench_procs_ctl_count(const char *ctl_sock, const char *key, double *out);

/* The CPU (user + system, this thread) of one durable write to a scratch file in dir, the mean of n:
 * a 4 KiB pwrite then fdatasync, over the same block (append false: the least any durable commit
 * costs, as a commit into a reused WAL) or past the end (append true: a growing WAL, whose new size
 * makes fdatasync write the inode too). Negative when the file cannot be used. */
double rsp_bench_procs_durable_write_cpu(const char *dir, unsigned n, bool append);

/* The text of a daemon's plain-HTTP /metrics at 127.0.0.1:port (GET), NUL-terminated in out. RSP_ERR_NET
 * when unreachable. */
rsp_err rsp_bench_procs_metrics_text(uint16_t port, rsp_buf *out);

/* A malloc'd copy of s (the caller frees it); NULL when out of memory. */
char *rsp_bench_procs_strdup(const char *s);

#endif
