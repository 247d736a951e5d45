/* `rsp demo --faults SEED`: the switch under faults (docs/modules/demo.md, "Fault run"). From the
 * start of the download phase, at moments drawn from SEED (so that a failing run replays):
 *   - kill -9 of `rsp smsr run`, `rsp smdp run` and `rsp euicc run`, each restarted a moment later
 *     with the same arguments, store and ports (a crash and its restart);
 *   - `rsp euicc ctl drop-sms P` (a share of the SMS to the cards lost) for a while;
 *   - two cards offline (`rsp euicc ctl offline EID SECONDS`).
 * The faults are timers on the demo's event loop, so they fire while ES calls are in flight. The ES
 * phases resend a call whose answer was lost (transport error, 5xx) with the same
 * FunctionCallIdentifier: the daemons answer a replay with the first result and never run it twice.
 * No global state: the schedule lives in demo_ctx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "demo.h"

enum { F_KILL, F_RESTART, F_DROP, F_OFFLINE };

typedef struct fault {
    demo_ctx *x;
    int kind;
    demo_child **who; /* F_KILL, F_RESTART */
    unsigned arg;     /* F_DROP: percent; F_OFFLINE: seconds */
    size_t card;      /* F_OFFLINE */
    double at;        /* seconds after arming */
    bool fired;
    struct event *ev;
} fault;

#define MAX_FAULTS 12

struct demo_faults {
    uint64_t rng;
    fault f[MAX_FAULTS];
    size_t n;
    double t0;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: small, seedable, the same sequence on every machine */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(next(s) >> 11) / 9007199254740992.0;
}

static void say(const char *what, const char *name, double at)
{
    fprintf(stderr, "\n  fault  t=%5.2f s  %s %s\n", at, what, name);
}

static void ctl(demo_ctx *x, const char *cmd, const char *a1, const char *a2)
{
    char sock[500];
    snprintf(sock, sizeof(sock), "%s/ctl.sock", x->dir);
    const char *argv[] = {"euicc", "ctl", "--control", sock, cmd, a1, a2, NULL};
    int rc = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (demo_proc_run(&x->procs, "ctl", argv, NULL, &rc, &d) != RSP_OK || rc != 0)
        fprintf(stderr, "  fault  rsp euicc ctl %s: exit %d (the fleet may be down; see logs/ctl.log)\n", cmd, rc);
}

static void fire(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    fault *f = arg;
    demo_ctx *x = f->x;
    char a[32], b[32];
    if (f->fired)
        return;
    f->fired = true;
    switch (f->kind) {
    case F_KILL:
        say("kill -9", (*f->who)->name, f->at);
        demo_proc_kill9(&x->procs, *f->who);
        break;
    case F_RESTART: {
        rsp_diag d;
        rsp_diag_clear(&d);
        say("restart", (*f->who)->name, f->at);
        if (demo_proc_restart(&x->procs, *f->who, &d) != RSP_OK)
            fprintf(stderr, "  fault  restart of %s failed\n", (*f->who)->name);
        break;
    }
    case F_DROP:
        snprintf(a, sizeof(a), "%u", f->arg);
        fprintf(stderr, "\n  fault  t=%5.2f s  drop-sms %u%%\n", f->at, f->arg);
        ctl(x, "drop-sms", a, NULL);
        break;
    case F_OFFLINE:
        snprintf(b, sizeof(b), "%u", f->arg);
        fprintf(stderr, "\n  fault  t=%5.2f s  offline %s for %u s\n", f->at, x->cards[f->card].eid, f->arg);
        ctl(x, "offline", x->cards[f->card].eid, b);
        break;
    }
}

static void add(demo_faults *F, demo_ctx *x, int kind, demo_child **who, unsigned arg, size_t card, double at)
{
    if (F->n == MAX_FAULTS)
        return;
    fault *f = &F->f[F->n++];
    *f = (fault){x, kind, who, arg, card, at, false, NULL};
}

static int by_time(const void *a, const void *b)
{
    double d = ((const fault *)a)->at - ((const fault *)b)->at;
    return d < 0 ? -1 : d > 0;
}

rsp_err demo_faults_arm(demo_ctx *x)
{
    demo_faults *F = calloc(1, sizeof(*F));
    if (!F)
        return RSP_ERR_NOMEM;
    x->faults = F;
    F->rng = x->o->fault_seed;
    /* The window scales with the fleet (a download takes seconds): kills land while downloads run. */
    double w = 2.0 + 0.25 * (double)x->n;
    if (w > 20)
        w = 20;
    demo_child **who[3] = {&x->smsr, &x->smdp, &x->euicc};
    for (size_t i = 0; i < 3; i++) {
        if (!*who[i])
            continue;
        double t = uniform(&F->rng, 0.5, w);
        add(F, x, F_KILL, who[i], 0, 0, t);
        add(F, x, F_RESTART, who[i], 0, 0, t + uniform(&F->rng, 0.2, 1.5));
    }
    unsigned pct = 10 + (unsigned)(next(&F->rng) % 21);
    add(F, x, F_DROP, NULL, pct, 0, 0.0);
    add(F, x, F_DROP, NULL, 0, 0, uniform(&F->rng, w / 2, w));
    for (size_t k = 0; k < 2 && x->n > 2; k++)
        add(F, x, F_OFFLINE, NULL, 2 + (unsigned)(next(&F->rng) % 5), (size_t)(next(&F->rng) % x->n),
            uniform(&F->rng, 0.0, w / 2));
    qsort(F->f, F->n, sizeof(fault), by_time);
    F->t0 = now_s();
    fprintf(stderr, "  faults: seed %llu (replay: RSP_FAULT_SEED=%llu, rsp demo --faults %llu); %zu events in %.1f s\n",
            (unsigned long long)x->o->fault_seed, (unsigned long long)x->o->fault_seed,
            (unsigned long long)x->o->fault_seed, F->n, w);
    for (size_t i = 0; i < F->n; i++) {
        fault *f = &F->f[i];
        struct timeval tv = {(time_t)f->at, (suseconds_t)((f->at - (double)(time_t)f->at) * 1e6)};
        f->ev = evtimer_new(x->base, fire, f);
        if (!f->ev || evtimer_add(f->ev, &tv) != 0)
            return RSP_ERR_NOMEM;
    }
    return RSP_OK;
}

static void quit(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    event_base_loopbreak(arg);
}

void demo_idle(demo_ctx *x, unsigned ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    struct event *ev = evtimer_new(x->base, quit, x->base);
    if (ev && evtimer_add(ev, &tv) == 0)
        event_base_dispatch(x->base);
    event_free(ev);
}

static bool port_up(void *arg)
{
    return demo_tcp_open(*(uint16_t *)arg);
}

/* The fleet's control socket accepts (a killed fleet leaves its socket file behind). */
static bool sock_up(void *arg)
{
    struct sockaddr_un a;
    memset(&a, 0, sizeof(a));
    a.sun_family = AF_UNIX;
    if (strlen(arg) >= sizeof(a.sun_path))
        return false;
    memcpy(a.sun_path, arg, strlen(arg));
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (s >= 0)
        close(s);
    return ok;
}

/* Every fault has fired (the loop runs until the last one), every daemon is up again. */
rsp_err demo_faults_settle(demo_ctx *x)
{
    demo_faults *F = x->faults;
    if (!F)
        return RSP_OK;
    for (size_t i = 0; i < F->n; i++)
        while (!F->f[i].fired && !demo_stopping())
            demo_idle(x, 100);
    for (size_t i = 0; i < F->n; i++)
        if (F->f[i].kind == F_DROP && F->f[i].arg == 0)
            ctl(x, "drop-sms", "0", NULL); /* also after a restart of the fleet in between */
    char sock[500];
    snprintf(sock, sizeof(sock), "%s/ctl.sock", x->dir);
    rsp_err e = RSP_OK;
    if (x->smsr)
        e = demo_proc_wait_ready(&x->procs, x->smsr, port_up, &x->smsr_port, 20000, &x->diag);
    if (e == RSP_OK && x->smdp)
        e = demo_proc_wait_ready(&x->procs, x->smdp, port_up, &x->smdp_port, 20000, &x->diag);
    if (e == RSP_OK && x->euicc)
        e = demo_proc_wait_ready(&x->procs, x->euicc, sock_up, sock, 20000, &x->diag);
    return e;
}

void demo_faults_free(demo_ctx *x)
{
    demo_faults *F = x->faults;
    if (!F)
        return;
    for (size_t i = 0; i < F->n; i++)
        if (F->f[i].ev)
            event_free(F->f[i].ev);
    free(F);
    x->faults = NULL;
}
