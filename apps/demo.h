/* `rsp demo`: a fleet switched from operator A to operator B with every role a real process
 * (docs/modules/demo.md).
 *   cmd_demo.c     the options
 *   demo_run.c     the run: PKI, manufacture, the daemons, the order of the phases, metrics
 *   demo_calls.c   the ES phases (ES1, ES4A PLMA, ES2 download, ES4 fall-back + delete, ES4 audit)
 *   demo_proc.c    the child processes: start, readiness, logs, stop (SIGTERM then SIGKILL), CPU
 *   demo_es.c      the ES calls: JSON over HTTPS with mutual TLS, a bounded pool, live progress
 *   demo_report.c  the summary table and the --json object
 * No global state: SIGINT and SIGTERM are blocked in the demo and seen pending (demo_stopping). */
#ifndef RSP_APPS_DEMO_H
#define RSP_APPS_DEMO_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "rsp/err.h"

struct event_base;

/* ---- demo_proc.c ---- */
#define DEMO_MAX_CHILDREN 16
#define DEMO_NAME_MAX 24

typedef struct demo_child {
    char name[DEMO_NAME_MAX]; /* "smsc", "smsr", "smdp", "euicc" */
    pid_t pid;                /* 0 once reaped */
    int status;               /* wait status once reaped */
    char log[512];            /* DIR/logs/<name>.log (stdout and stderr, appended) */
    /* its arguments (after "rsp"), kept for a restart (--faults): NUL-separated in args */
    char args[2048];
    size_t nargs;
    unsigned restarts;
} demo_child;

/* CPU seconds (user + system, from wait4) per process name; one-shot commands ("ci", "eum", ...)
 * add up under their name. */
typedef struct demo_cpu {
    char name[DEMO_NAME_MAX];
    double s;
} demo_cpu;

typedef struct demo_procs {
    char self[512];   /* the rsp binary this is (/proc/self/exe) */
    char dir[400];    /* DIR */
    demo_child ch[DEMO_MAX_CHILDREN];
    size_t n;
    demo_cpu cpu[DEMO_MAX_CHILDREN];
    size_t ncpu;
    sigset_t child_mask; /* the signal mask children start with (the demo's before blocking) */
} demo_procs;

/* Blocks SIGINT and SIGTERM in the demo (children get the mask they had, see demo_proc_start), so
 * that a Ctrl-C is a pending signal every wait loop sees with demo_stopping() and the children are
 * stopped in order; old receives the previous mask. */
void demo_signals_block(sigset_t *old);
bool demo_stopping(void);

rsp_err demo_procs_init(demo_procs *p, const char *dir, const sigset_t *child_mask, rsp_diag *diag);
/* Starts `rsp ARGS...` (argv NULL-terminated, argv[0] is the first argument after "rsp") as a
 * daemon named name, its output in DIR/logs/<name>.log; its pid goes to DIR/pids. */
rsp_err demo_proc_start(demo_procs *p, const char *name, const char *const *argv, demo_child **out, rsp_diag *diag);
/* Runs `rsp ARGS...` to its end (stderr to DIR/logs/<name>.log, stdout there too or to the file out);
 * *exit_code = its exit status (-1: killed by a signal or stopped by the demo). */
rsp_err demo_proc_run(demo_procs *p, const char *name, const char *const *argv, const char *out, int *exit_code,
                      rsp_diag *diag);
/* Waits until ready() says yes (polled every 50 ms), the child dies (RSP_ERR_STATE, with the end of
 * its log in diag), timeout_ms passes (RSP_ERR_TIMEOUT) or a stop is requested (RSP_ERR_STATE). */
rsp_err demo_proc_wait_ready(demo_procs *p, demo_child *c, bool (*ready)(void *arg), void *arg, unsigned timeout_ms,
                             rsp_diag *diag);
bool demo_proc_alive(demo_procs *p, demo_child *c);
/* --faults: the value after flag in c's kept arguments becomes value (e.g. "--listen" 127.0.0.1:0 ->
 * the port it got, so that a restart listens where the clients call). */
rsp_err demo_proc_set_arg(demo_child *c, const char *flag, const char *value);
/* --faults: kill -9 (no grace: as a crash) and reap; then, later, the same arguments again in the
 * same slot (its new pid appended to DIR/pids). */
void demo_proc_kill9(demo_procs *p, demo_child *c);
rsp_err demo_proc_restart(demo_procs *p, demo_child *c, rsp_diag *diag);
/* SIGTERM, then SIGKILL after grace_ms; every child reaped (CPU recorded). Idempotent. */
void demo_proc_stop(demo_procs *p, demo_child *c, unsigned grace_ms);
void demo_proc_stop_all(demo_procs *p, unsigned grace_ms);
/* True if the child's log contains needle (readiness signals written by the daemons). */
bool demo_proc_log_has(const demo_child *c, const char *needle);
/* A free loopback TCP port (bound to port 0 and closed; for daemons without a port file). */
rsp_err demo_free_port(uint16_t *port);
bool demo_tcp_open(uint16_t port);

/* ---- demo_es.c: one server, one client identity, a pool of kept-alive connections ---- */
typedef struct demo_es demo_es;

/* dir holds tls.crt.pem, key.pem, ca.crt.pem (as `rsp ci issue` writes them). */
rsp_err demo_es_new(struct event_base *base, uint16_t port, const char *id_dir, unsigned conns, demo_es **out,
                    rsp_diag *diag);
void demo_es_free(demo_es *es);
/* HTTPS connections the pool opened. */
unsigned demo_es_connects(const demo_es *es);

/* One finished call: the HTTP status (0 on a transport failure), the answer's JSON (NULL if none),
 * and for a failure "subject/reason message" or the transport error, in why. */
typedef struct demo_es_result {
    int http;
    json_t *answer;     /* borrowed for the callback */
    bool ok;            /* functionExecutionStatus.status is EXECUTED_SUCCESS or ..._WITHWARNING */
    bool warning;       /* ..._WITHWARNING (why says which) */
    char why[200];
} demo_es_result;

/* A batch: n calls, at most `concurrency` in flight; build(i) gives the path and the request body
 * (a new reference, stolen), done(i, r) takes each result. A progress line (done / failed / in flight /
 * rate / ETA) goes to stderr when progress is set. Returns when every call finished or a stop is
 * requested (RSP_ERR_STATE). */
typedef struct demo_batch {
    const char *label;
    size_t n;
    unsigned concurrency;
    bool progress;
    rsp_err (*build)(void *arg, size_t i, char *path, size_t pathsz, json_t **body);
    void (*done)(void *arg, size_t i, const demo_es_result *r);
    void *arg;
    /* out */
    size_t ok, failed;
    double seconds;
} demo_batch;
rsp_err demo_es_batch(demo_es *es, demo_batch *b);
/* GET path (e.g. "/metrics", "/health"), blocking; *status 0 if the server could not be reached. */
rsp_err demo_es_get(demo_es *es, const char *path, int *status, char **body /* free() */, rsp_diag *diag);

/* ---- demo_report.c ---- */
typedef struct demo_phase {
    const char *name;  /* "pki", "manufacture", "register", "plma", "download", "delete", "audit" */
    bool run;          /* false: not available (why says so) */
    size_t ok, failed;
    double seconds;
    char why[240];     /* the first failure's reason, or why the phase did not run */
} demo_phase;

enum { DEMO_PH_PKI, DEMO_PH_MAKE, DEMO_PH_REGISTER, DEMO_PH_PLMA, DEMO_PH_DOWNLOAD, DEMO_PH_DELETE,
       DEMO_PH_AUDIT, DEMO_PH_SMSR_CHANGE /* --smsr-change only */, DEMO_PH_N };

typedef struct demo_summary {
    int euiccs;
    size_t registered, downloaded, enabled, old_deleted, audited, consistent;
    size_t moved;                               /* --smsr-change: cards now at SM-SR2 */
    size_t failed;
    double elapsed_s;
    demo_phase ph[DEMO_PH_N];
    long long sms_out, sms_in, https_sessions; /* -1: not reported by the daemons */
    unsigned es_connections;                    /* the demo's own HTTPS connections (ES calls) */
    json_t *failures;                           /* [{"eid","phase","reason"}], at most a few */
    const demo_procs *procs;
    const char *dir, *store, *transport;
    char console_url[64]; /* the SM-SR's web console, "" when it did not come up */
} demo_summary;

void demo_report_table(const demo_summary *s, FILE *out);
json_t *demo_report_json(const demo_summary *s);
/* Adds a failure (first 20 kept) and counts it in its phase. */
void demo_report_fail(demo_summary *s, int phase, const char *eid, const char *why);

/* ---- the run's state (demo_run.c, demo_calls.c) ---- */
typedef struct demo_card {
    char eid[40], iccid_a[24], iccid_b[24]; /* MNO-A's profile (from the EIS), MNO-B's (downloaded) */
    char eis_file[700];
    bool registered, downloaded, enabled, fallback_moved, deleted, audited, consistent;
    bool retry;         /* --faults: the answer was lost (transport, 5xx): resend, same FCID */
    bool redo;          /* --faults: the first download failed: one more, a new FCID */
    bool warned;        /* --faults: installed, the enable not confirmed (the delete phase tells) */
    json_t *view; /* the SM-SR's profiles of the card, from AuditEIS */
} demo_card;

typedef struct demo_ctx {
    const struct demo_opts *o;
    demo_procs procs;
    demo_summary sum;
    char dir[400], p[700]; /* p: scratch path */
    char db[700], type_a[128]; /* the SM-SR's store; MNO-A's profile type (from the EIS) */
    demo_card *cards;
    size_t n;
    size_t *idx, nidx; /* the cards the current batch works on (those that got this far) */
    size_t nsample;    /* how many cards the audit takes */
    struct event_base *base;
    uint16_t smsc_port, smsr_port, admin_port, smdp_port, console_port;
    demo_child *smsc, *smsr, *smdp, *euicc;
    uint16_t smsr2_port;                /* --smsr-change: SM-SR2's ES port (chosen before SM-SR1 starts) */
    demo_child *smsr2;
    demo_es *eum, *mno_a, *mno_b, *sp1; /* pools to the SM-SR, by the identity they call as */
    demo_es *mno_b_dp;                  /* MNO-B to its SM-DP */
    bool have_smdp;
    rsp_diag diag;
    long stamp;                  /* the run's start (in FunctionCallIdentifiers: a resend is a replay) */
    struct demo_faults *faults;  /* --faults: the schedule (demo_faults.c) */
    bool last_round;             /* --faults: no more resends, a lost answer is a failure */
    int dl_attempt;              /* 1, or 2 for the download of the cards whose first one failed */
} demo_ctx;

#define DEMO_TYPE_B "MNO-B-IoT" /* MNO-B's profile type at its SM-DP */
#define DEMO_VALIDITY_S 60      /* ES4 calls: the SM-SR expires what a card does not answer within this */

/* ---- demo_calls.c: the ES phases (each timed into ctx->sum, failures with their reasons) ---- */
rsp_err demo_phase_register(demo_ctx *x);
rsp_err demo_phase_plma(demo_ctx *x);
rsp_err demo_phase_download(demo_ctx *x);
rsp_err demo_phase_delete(demo_ctx *x);
rsp_err demo_phase_audit(demo_ctx *x);
/* Compares each audited card's own state (`rsp euicc show --json`, run once the fleet is stopped)
 * with the SM-SR's view; sets consistent and counts. */
rsp_err demo_audit_compare(demo_ctx *x);

/* ---- demo_change.c: --smsr-change, after the switch: the fleet moves to a second SM-SR ---- */
#define DEMO_SMSR2_MSISDN "447700100998"
rsp_err demo_phase_smsr_change(demo_ctx *x);

/* ---- demo_faults.c: --faults SEED (kill -9 + restart of the daemons, drop-sms, offline cards) ---- */
typedef struct demo_faults demo_faults;
rsp_err demo_faults_arm(demo_ctx *x);    /* the schedule from the seed, as timers on x->base */
rsp_err demo_faults_settle(demo_ctx *x); /* every fault fired, every daemon up again */
void demo_faults_free(demo_ctx *x);
void demo_idle(demo_ctx *x, unsigned ms); /* runs the event loop (the fault timers) for ms */

/* ---- demo_run.c ---- */
typedef struct demo_opts { /* from the command line (cmd_demo.c) */
    int euiccs;
    const char *transport; /* auto|sms|https */
    const char *store;     /* sqlite | postgres[:URI] */
    const char *keep;      /* NULL: a temporary directory, removed at the end */
    bool json;
    unsigned concurrency;
    const char *profile;   /* SAIP package of both operators' profiles */
    unsigned smdp_workers; /* the SM-DP's --workers; 0 = concurrency */
    bool faults;           /* --faults SEED */
    unsigned long long fault_seed;
    bool smsr_change;      /* --smsr-change: afterwards the fleet moves from SM-SR1 to SM-SR2 (ES7) */
} demo_opts;
int demo_run(const demo_opts *o);
#endif
