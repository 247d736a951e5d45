/* Process harness of the end-to-end benches: see bench_procs.h. */
#include "bench_procs.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "euicc/fleet_int.h"
#include "rsp/buf.h"

rsp_err rsp_bench_procs_init(rsp_bench_procs *p)
{
    memset(p, 0, sizeof *p);
    ssize_t sl = readlink("/proc/self/exe", p->self, sizeof p->self - 1);
    if (sl <= 0)
        return RSP_ERR_IO;
    p->self[sl] = 0;
    return RSP_OK;
}

/* fork + exec of this binary; the child writes to log (or /dev/null). */
static pid_t spawn(const rsp_bench_procs *p, const char *log, char *const *argv)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    execv(p->self, argv);
    _exit(127);
}

rsp_err rsp_bench_procs_run(const rsp_bench_procs *p, const char *log, char *const *argv)
{
    pid_t pid = spawn(p, log, argv);
    if (pid < 0)
        return RSP_ERR_IO;
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return RSP_ERR_IO;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? RSP_OK : RSP_ERR_STATE;
}

rsp_err rsp_bench_procs_start(rsp_bench_procs *p, size_t slot, const char *log, char *const *argv)
{
    if (slot >= RSP_BENCH_PROCS_MAX || p->pid[slot] > 0)
        return RSP_ERR_INVAL;
    pid_t pid = spawn(p, log, argv);
    if (pid < 0)
        return RSP_ERR_IO;
    p->pid[slot] = pid;
    return RSP_OK;
}

void rsp_bench_procs_nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void rsp_bench_procs_stop(rsp_bench_procs *p)
{
    /* all are told first, so they wind down together; the later ones were started on the earlier */
    for (int i = RSP_BENCH_PROCS_MAX - 1; i >= 0; i--)
        if (p->pid[i] > 0)
            kill(p->pid[i], SIGTERM);
    for (int i = RSP_BENCH_PROCS_MAX - 1; i >= 0; i--) {
        for (int t = 0; p->pid[i] > 0 && t < 100; t++) {
            if (waitpid(p->pid[i], NULL, WNOHANG) == p->pid[i])
                p->pid[i] = 0;
            else
                rsp_bench_procs_nap_ms(50);
        }
        if (p->pid[i] > 0) {
            kill(p->pid[i], SIGKILL);
            waitpid(p->pid[i], NULL, 0);
            p->pid[i] = 0;
        }
    }
}

double rsp_bench_procs_cpu(const rsp_bench_procs *p, size_t slot)
{
    double u = 0, s = 0;
    return slot < RSP_BENCH_PROCS_MAX && rsp_bench_procs_pid_cpu(p->pid[slot], &u, &s) ? u + s : 0;
}

bool rsp_bench_procs_pid_cpu(pid_t pid, double *user, double *sys)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* comm may hold spaces and parentheses: the fields start after the last ')' */
    const char *q = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (!q || sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return false;
    *user = (double)ut / (double)sysconf(_SC_CLK_TCK);
    *sys = (double)st / (double)sysconf(_SC_CLK_TCK);
    return true;
}

rsp_err rsp_bench_procs_free_port(uint16_t *port)
{
    *port = 0;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t l = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &l) == 0)
        *port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return *port ? RSP_OK : RSP_ERR_NET;
}

rsp_err rsp_bench_procs_wait_file(const char *path, const char *needle)
{
    for (int i = 0; i < 400; i++) {
        struct stat sb;
        if (!needle && stat(path, &sb) == 0 && (S_ISSOCK(sb.st_mode) || sb.st_size > 0))
            return RSP_OK;
        rsp_buf b = RSP_BUF_INIT;
        bool ok = rsp_cli_read_file(path, &b) == RSP_OK && b.len &&
                  (!needle || (rsp_buf_append_byte(&b, 0) == RSP_OK && strstr((char *)b.data, needle)));
        rsp_buf_free(&b);
        if (ok)
            return RSP_OK;
        rsp_bench_procs_nap_ms(50);
    }
    return RSP_ERR_TIMEOUT;
}

rsp_err rsp_bench_procs_port_url(const char *port_file, char *url, size_t cap)
{
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_cli_read_file(port_file, &b);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(&b, 0);
    if (e != RSP_OK) {
        rsp_buf_free(&b);
        return RSP_ERR_IO;
    }
    int n = (int)strcspn((char *)b.data, "\n");
    int w = n > 0 ? snprintf(url, cap, "https://127.0.0.1:%.*s", n, (char *)b.data) : -1;
    rsp_buf_free(&b);
    return w > 0 && (size_t)w < cap ? RSP_OK : RSP_ERR_FORMAT;
}

rsp_err rsp_bench_procs_fleet_eids(const char *eis_dir, char (*eid)[33], size_t max, size_t *n)
{
    *n = 0;
    DIR *dir = opendir(eis_dir);
    if (!dir)
        return RSP_ERR_IO;
    struct dirent *de;
    while (*n < max && (de = readdir(dir)) != NULL) {
        if (strlen(de->d_name) == 37 && strcmp(de->d_name + 32, ".json") == 0) {
            memcpy(eid[*n], de->d_name, 32);
            eid[(*n)++][32] = 0;
        }
    }
    closedir(dir);
    return RSP_OK;
}

char *rsp_bench_procs_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

rsp_err rsp_bench_procs_metric(uint16_t port, const char *name, double *out)
{
    *out = 0;
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_bench_procs_metrics_text(port, &b);
    size_t nl = strlen(name);
    e = e != RSP_OK ? e : RSP_ERR_NOT_FOUND;
    for (const char *l = b.data ? (const char *)b.data : ""; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, name, nl) == 0 && l[nl] == ' ') {
            *out = strtod(l + nl + 1, NULL);
            e = RSP_OK;
            break;
        }
    rsp_buf_free(&b);
    return e;
}

rsp_err rsp_bench_procs_metrics_text(uint16_t port, rsp_buf *out)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0 || write(s, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
        if (s >= 0)
            close(s);
        return RSP_ERR_NET;
    }
    char chunk[4096];
    ssize_t n;
    rsp_err e = RSP_OK;
    rsp_buf_reset(out);
    while (e == RSP_OK && (n = read(s, chunk, sizeof chunk)) > 0)
        e = rsp_buf_append(out, chunk, (size_t)n);
    close(s);
    return e ? e : rsp_buf_append_byte(out, 0);
}

rsp_err rsp_bench_procs_ctl_count(const char *ctl_sock, const char *key, double *out)
{
    char ans[RSP_FLEET_CTL_ANSWER_MAX], pat[64];
    *out = 0;
    if (rsp_fleet_ctl_call(ctl_sock, "status", 10000, ans, sizeof ans) != RSP_OK)
        return RSP_ERR_NET;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *v = strstr(ans, pat);
    if (!v)
        return RSP_ERR_NOT_FOUND;
    *out = strtod(v + strlen(pat), NULL);
    return RSP_OK;
}

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double rsp_bench_procs_durable_write_cpu(const char *dir, unsigned n, bool append)
{
    char path[512];
    snprintf(path, sizeof path, "%s/durable-write.tmp", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || n == 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    uint8_t block[4096];
    memset(block, 0xA5, sizeof block);
    /* the block exists first: in place, the measured writes overwrite it */
    bool ok = pwrite(fd, block, sizeof block, 0) == (ssize_t)sizeof block && fdatasync(fd) == 0;
    double t0 = thread_cpu();
    for (unsigned i = 0; ok && i < n; i++) {
        block[i % sizeof block] ^= 1;
        off_t at = append ? (off_t)(i + 1) * (off_t)sizeof block : 0;
        ok = pwrite(fd, block, sizeof block, at) == (ssize_t)sizeof block && fdatasync(fd) == 0;
    }
    double t = thread_cpu() - t0;
    close(fd);
    unlink(path);
    return ok ? t / n : -1;
}
