/* `rsp demo`: the child processes. Each daemon is this very binary (/proc/self/exe) run with a
 * subcommand, its stdout and stderr appended to DIR/logs/<name>.log, its pid written to DIR/pids
 * (so a test can check that nothing is left running), stopped with SIGTERM then SIGKILL after a
 * grace, and reaped with wait4() for its CPU time. The children also get PR_SET_PDEATHSIG so that a
 * demo killed with SIGKILL does not leave them behind. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "demo.h"

void demo_signals_block(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigprocmask(SIG_BLOCK, &s, old);
}

bool demo_stopping(void)
{
    sigset_t s;
    if (sigpending(&s) != 0)
        return false;
    return sigismember(&s, SIGINT) == 1 || sigismember(&s, SIGTERM) == 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_ms(unsigned ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

rsp_err demo_procs_init(demo_procs *p, const char *dir, const sigset_t *child_mask, rsp_diag *diag)
{
    memset(p, 0, sizeof(*p));
    p->child_mask = *child_mask;
    ssize_t n = readlink("/proc/self/exe", p->self, sizeof(p->self) - 1);
    if (n <= 0 || (size_t)n >= sizeof(p->self) - 1)
        return rsp_diag_set(diag, RSP_ERR_IO, "cannot find this program (/proc/self/exe)");
    p->self[n] = 0;
    if (strlen(dir) >= sizeof(p->dir))
        return rsp_diag_set(diag, RSP_ERR_RANGE, "directory name too long");
    snprintf(p->dir, sizeof(p->dir), "%s", dir);
    char logs[sizeof(p->dir) + 8];
    snprintf(logs, sizeof(logs), "%s/logs", dir);
    if (rsp_cli_mkdirs(logs) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_IO, "cannot create %s", logs);
    return RSP_OK;
}

static void cpu_add(demo_procs *p, const char *name, const struct rusage *ru)
{
    double s = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 + (double)ru->ru_stime.tv_sec +
               (double)ru->ru_stime.tv_usec / 1e6;
    for (size_t i = 0; i < p->ncpu; i++)
        if (!strcmp(p->cpu[i].name, name)) {
            p->cpu[i].s += s;
            return;
        }
    if (p->ncpu < DEMO_MAX_CHILDREN) {
        snprintf(p->cpu[p->ncpu].name, sizeof(p->cpu[p->ncpu].name), "%s", name);
        p->cpu[p->ncpu++].s = s;
    }
}

static pid_t spawn(demo_procs *p, const char *name, const char *const *argv, const char *log, const char *out,
                   rsp_diag *diag)
{
    const char *args[64];
    size_t n = 0;
    args[n++] = p->self;
    for (size_t i = 0; argv[i]; i++) {
        if (n == sizeof(args) / sizeof(args[0]) - 1) {
            rsp_diag_set(diag, RSP_ERR_RANGE, "too many arguments for %s", name);
            return -1;
        }
        args[n++] = argv[i];
    }
    args[n] = NULL;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int ofd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600) : fd;
    if (fd < 0 || ofd < 0) {
        rsp_diag_set(diag, RSP_ERR_IO, "cannot open %s: %s", fd < 0 ? log : out, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* Its own process group: a Ctrl-C reaches the demo only, which then stops the children in
         * order. PDEATHSIG: a demo killed outright still takes its children with it. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(ofd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, STDIN_FILENO);
        sigprocmask(SIG_SETMASK, &p->child_mask, NULL);
        signal(SIGPIPE, SIG_DFL); /* the demo ignores it (demo_run.c) */
        execv(p->self, (char *const *)args);
        dprintf(STDERR_FILENO, "rsp demo: exec %s: %s\n", p->self, strerror(errno));
        _exit(127);
    }
    close(fd);
    if (ofd != fd)
        close(ofd);
    if (pid < 0) {
        rsp_diag_set(diag, RSP_ERR_IO, "fork for %s: %s", name, strerror(errno));
        return -1;
    }
    return pid;
}

static bool reap(demo_procs *p, demo_child *c, bool block);

static void pid_line(demo_procs *p, const demo_child *c)
{
    char pids[sizeof(p->dir) + 8];
    snprintf(pids, sizeof(pids), "%s/pids", p->dir);
    FILE *f = fopen(pids, "a");
    if (f) {
        fprintf(f, "%s %ld\n", c->name, (long)c->pid);
        fclose(f);
    }
}

/* Keeps argv in c->args (for a restart). */
static rsp_err keep_args(demo_child *c, const char *const *argv)
{
    size_t off = 0;
    c->nargs = 0;
    for (size_t i = 0; argv[i]; i++) {
        size_t l = strlen(argv[i]) + 1;
        if (off + l > sizeof(c->args) || c->nargs == 62)
            return RSP_ERR_RANGE;
        memcpy(c->args + off, argv[i], l);
        off += l;
        c->nargs++;
    }
    return RSP_OK;
}

/* c->args as an argv (pointers into c->args), NULL-terminated. */
static void args_of(const demo_child *c, const char *argv[64])
{
    const char *a = c->args;
    size_t i = 0;
    for (; i < c->nargs; i++, a += strlen(a) + 1)
        argv[i] = a;
    argv[i] = NULL;
}

rsp_err demo_proc_start(demo_procs *p, const char *name, const char *const *argv, demo_child **out, rsp_diag *diag)
{
    if (p->n >= DEMO_MAX_CHILDREN)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "too many children");
    demo_child *c = &p->ch[p->n];
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    snprintf(c->log, sizeof(c->log), "%s/logs/%s.log", p->dir, name);
    if (keep_args(c, argv) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "arguments of %s too long", name);
    pid_t pid = spawn(p, name, argv, c->log, NULL, diag);
    if (pid < 0)
        return RSP_ERR_IO;
    c->pid = pid;
    p->n++;
    pid_line(p, c);
    *out = c;
    return RSP_OK;
}

rsp_err demo_proc_set_arg(demo_child *c, const char *flag, const char *value)
{
    const char *argv[64];
    char old[sizeof(c->args)];
    memcpy(old, c->args, sizeof(old));
    demo_child tmp = *c;
    memcpy(tmp.args, old, sizeof(old));
    args_of(&tmp, argv);
    for (size_t i = 0; i + 1 < tmp.nargs; i++)
        if (!strcmp(argv[i], flag)) {
            argv[i + 1] = value;
            return keep_args(c, argv);
        }
    return RSP_ERR_NOT_FOUND;
}

void demo_proc_kill9(demo_procs *p, demo_child *c)
{
    if (c->pid > 0)
        kill(c->pid, SIGKILL);
    reap(p, c, true);
}

rsp_err demo_proc_restart(demo_procs *p, demo_child *c, rsp_diag *diag)
{
    if (c->pid > 0)
        return RSP_OK;
    const char *argv[64];
    args_of(c, argv);
    FILE *f = fopen(c->log, "a");
    if (f) {
        fprintf(f, "---- rsp demo --faults: restarted after kill -9 ----\n");
        fclose(f);
    }
    pid_t pid = spawn(p, c->name, argv, c->log, NULL, diag);
    if (pid < 0)
        return RSP_ERR_IO;
    c->pid = pid;
    c->restarts++;
    pid_line(p, c);
    return RSP_OK;
}

/* Reaps c if it has ended (or waits for it when block); records its CPU. */
static bool reap(demo_procs *p, demo_child *c, bool block)
{
    if (c->pid <= 0)
        return true;
    struct rusage ru;
    int st = 0;
    pid_t r;
    do
        r = wait4(c->pid, &st, block ? 0 : WNOHANG, &ru);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return false;
    if (r == c->pid)
        cpu_add(p, c->name, &ru);
    c->status = st;
    c->pid = 0;
    return true;
}

rsp_err demo_proc_run(demo_procs *p, const char *name, const char *const *argv, const char *out, int *exit_code,
                      rsp_diag *diag)
{
    demo_child c;
    memset(&c, 0, sizeof(c));
    snprintf(c.name, sizeof(c.name), "%s", name);
    snprintf(c.log, sizeof(c.log), "%s/logs/%s.log", p->dir, name);
    pid_t pid = spawn(p, name, argv, c.log, out, diag);
    if (pid < 0)
        return RSP_ERR_IO;
    c.pid = pid;
    while (!reap(p, &c, false)) {
        if (demo_stopping()) {
            kill(c.pid, SIGTERM);
            nap_ms(200);
            if (!reap(p, &c, false)) {
                kill(c.pid, SIGKILL);
                reap(p, &c, true);
            }
            *exit_code = -1;
            return rsp_diag_set(diag, RSP_ERR_STATE, "stopped (signal)");
        }
        nap_ms(5);
    }
    *exit_code = WIFEXITED(c.status) ? WEXITSTATUS(c.status) : -1;
    return RSP_OK;
}

bool demo_proc_alive(demo_procs *p, demo_child *c)
{
    return !reap(p, c, false);
}

bool demo_proc_log_has(const demo_child *c, const char *needle)
{
    FILE *f = fopen(c->log, "r");
    if (!f)
        return false;
    char line[1024];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

/* The last line of a log, for a failure message. */
static void log_tail(const demo_child *c, char *out, size_t cap)
{
    out[0] = 0;
    FILE *f = fopen(c->log, "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        size_t l = strlen(line);
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r'))
            line[--l] = 0;
        if (l && snprintf(out, cap, "%s", line) >= (int)cap)
            out[cap - 1] = 0; /* a longer last line is kept cut: it is only shown to the user */
    }
    fclose(f);
}

rsp_err demo_proc_wait_ready(demo_procs *p, demo_child *c, bool (*ready)(void *arg), void *arg, unsigned timeout_ms,
                             rsp_diag *diag)
{
    double end = now_s() + timeout_ms / 1000.0;
    for (;;) {
        if (ready(arg))
            return RSP_OK;
        if (!demo_proc_alive(p, c)) {
            char t[200];
            log_tail(c, t, sizeof(t));
            return rsp_diag_set(diag, RSP_ERR_STATE, "%s exited (%s): %s", c->name, c->log, t);
        }
        if (demo_stopping())
            return rsp_diag_set(diag, RSP_ERR_STATE, "stopped (signal)");
        if (now_s() > end)
            return rsp_diag_set(diag, RSP_ERR_TIMEOUT, "%s not ready after %u ms (%s)", c->name, timeout_ms, c->log);
        nap_ms(50);
    }
}

void demo_proc_stop(demo_procs *p, demo_child *c, unsigned grace_ms)
{
    if (c->pid <= 0 || reap(p, c, false))
        return;
    kill(c->pid, SIGTERM);
    double end = now_s() + grace_ms / 1000.0;
    while (now_s() < end) {
        if (reap(p, c, false))
            return;
        nap_ms(20);
    }
    kill(c->pid, SIGKILL);
    reap(p, c, true);
}

void demo_proc_stop_all(demo_procs *p, unsigned grace_ms)
{
    /* Reverse order of start: the cards first, the SMSC last (the daemons log their unbind). All
     * get SIGTERM at once so that the grace is paid once, not per child. */
    for (size_t i = p->n; i-- > 0;)
        if (p->ch[i].pid > 0 && !reap(p, &p->ch[i], false))
            kill(p->ch[i].pid, SIGTERM);
    double end = now_s() + grace_ms / 1000.0;
    for (;;) {
        bool left = false;
        for (size_t i = 0; i < p->n; i++)
            left |= !reap(p, &p->ch[i], false);
        if (!left || now_s() >= end)
            break;
        nap_ms(20);
    }
    for (size_t i = 0; i < p->n; i++)
        if (p->ch[i].pid > 0) {
            kill(p->ch[i].pid, SIGKILL);
            reap(p, &p->ch[i], true);
        }
}

rsp_err demo_free_port(uint16_t *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return RSP_ERR_NET;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof(a);
    rsp_err e = RSP_ERR_NET;
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(s, (struct sockaddr *)&a, &l) == 0) {
        *port = ntohs(a.sin_port);
        e = RSP_OK;
    }
    close(s);
    return e;
}

bool demo_tcp_open(uint16_t port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return false;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    bool ok = connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(s);
    return ok;
}
