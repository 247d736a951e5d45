#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rsp/log.h"

static const char *const ss_names[] = {
#define RSP_SS_NAME_(id, name) name,
    RSP_LOG_SUBSYS_LIST(RSP_SS_NAME_)
#undef RSP_SS_NAME_
};

static const char *const lvl_names[] = {"DEBUG", "INFO", "NOTICE", "ERROR", "NONE"};

static void stderr_sink(void *ctx, rsp_log_subsys ss, rsp_log_level lvl, const char *line)
{
    (void)ctx;
    (void)ss;
    (void)lvl;
    fprintf(stderr, "%s\n", line);
}

/* The log sink: the single piece of process-wide mutable state (see docs/ARCHITECTURE.md). */
static struct {
    rsp_log_sink_fn fn;
    void *ctx;
    unsigned char level[RSP_SS__COUNT];
    int init;
} sink;

static void sink_init(void)
{
    if (sink.init)
        return;
    sink.fn = stderr_sink;
    for (int i = 0; i < RSP_SS__COUNT; i++)
        sink.level[i] = RSP_LOG_NOTICE;
    sink.init = 1;
}

void rsp_log_set_sink(rsp_log_sink_fn fn, void *ctx)
{
    sink_init();
    sink.fn = fn ? fn : stderr_sink;
    sink.ctx = ctx;
}

void rsp_log_set_level(rsp_log_subsys ss, rsp_log_level lvl)
{
    sink_init();
    if ((unsigned)ss < RSP_SS__COUNT)
        sink.level[ss] = (unsigned char)lvl;
}

void rsp_log_set_level_all(rsp_log_level lvl)
{
    for (int i = 0; i < RSP_SS__COUNT; i++)
        rsp_log_set_level((rsp_log_subsys)i, lvl);
}

int rsp_log_level_parse(const char *s)
{
    for (int i = 0; i <= RSP_LOG_NONE; i++)
        if (s && strcasecmp(s, lvl_names[i]) == 0)
            return i;
    return -1;
}

int rsp_log_enabled(rsp_log_subsys ss, rsp_log_level lvl)
{
    sink_init();
    return (unsigned)ss < RSP_SS__COUNT && lvl >= sink.level[ss] && lvl < RSP_LOG_NONE;
}

const char *rsp_log_subsys_name(rsp_log_subsys ss)
{
    return (unsigned)ss < RSP_SS__COUNT ? ss_names[ss] : "?";
}

void rsp_logv(rsp_log_subsys ss, rsp_log_level lvl, const char *msg, const char *kv, va_list ap)
{
    if (!rsp_log_enabled(ss, lvl))
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: %s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000, lvl_names[lvl], ss_names[ss], msg ? msg : "");
    if (n > 0 && (size_t)n < sizeof(line) - 2 && kv && *kv) {
        line[n++] = ' ';
        vsnprintf(line + n, sizeof(line) - (size_t)n, kv, ap);
    }
    sink.fn(sink.ctx, ss, lvl, line);
}

void rsp_log(rsp_log_subsys ss, rsp_log_level lvl, const char *msg, const char *kv, ...)
{
    va_list ap;
    va_start(ap, kv);
    rsp_logv(ss, lvl, msg, kv, ap);
    va_end(ap);
}
