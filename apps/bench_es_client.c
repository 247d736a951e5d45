/* `rsp bench es-client`: whole ES calls per second through the blocking client (rsp/svc_client.h)
 * against an in-process rsp_svc on loopback, mutual TLS, kept-alive connections: ES4.EnableProfile
 * with Prefer: wait, encoded, sent, decoded and dispatched by the endpoint, answered, decoded again.
 * SOAP gsma, SOAP njiwa and JSON on one client; then JSON with 1, 2 and 4 clients on as many threads
 * (what `rsp op --eids --concurrency N` does). The server runs on its own thread: on this 2-core
 * machine both sides share the cores. Beside the OpenSSL floor of the same run. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench.h"
#include "cli.h"
#include "rsp/log.h"
#include "rsp/svc.h"
#include "rsp/svc_client.h"
#include "rsp/tls.h"

typedef struct ctx {
    char f[6][128];
    rsp_svc *svc;
    struct event_base *base;
    struct event *ev_stop;
    int pipefd[2];
    pthread_t th;
    char url[64];
    double seconds;
} ctx;

typedef struct runner {
    ctx *x;
    rsp_svc_binding binding;
    rsp_es_dialect dialect;
    rsp_svc_client *cl;
    pthread_t th;
    double until;
    long calls;
    int err;
} runner;

static rsp_err on_enable(void *hctx, rsp_es_call *c)
{
    (void)hctx;
    rsp_es_data_resp *res = rsp_es_call_response(c);
    rsp_buf_set(&res->euicc_response_data, "\x90\x00", 2);
    return rsp_es_call_complete(c);
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_svc_stop(arg);
}

static void *serve(void *arg)
{
    rsp_svc_run(arg);
    return NULL;
}

static int one_call(runner *r)
{
    const rsp_es_func *f = rsp_es_func_find(RSP_ES4, "EnableProfile", 13);
    rsp_es_msg m, res;
    memset(&res, 0, sizeof(res));
    if (rsp_es_msg_init(&m, f, false) != RSP_OK)
        return 1;
    rsp_es_profile_req *q = m.body;
    q->eid = strdup("89049032000000000000000000000163");
    q->iccid = strdup("89000123456789012366");
    int st = 0;
    rsp_err e = rsp_svc_client_call(r->cl, &m, true, &res, &st, NULL);
    const rsp_es_fes *s = rsp_svc_client_status(&res);
    int bad = e != RSP_OK || !s || s->status != RSP_ES_EXECUTED_SUCCESS;
    rsp_es_msg_free(&m);
    rsp_es_msg_free(&res);
    return bad;
}

static int step(void *arg)
{
    return one_call(arg);
}

static void *run_until(void *arg)
{
    runner *r = arg;
    while (!r->err && rsp_bench_now() < r->until) {
        r->err = one_call(r);
        r->calls++;
    }
    return NULL;
}

static rsp_err client(ctx *x, runner *r, rsp_svc_binding b, rsp_es_dialect d)
{
    rsp_svc_client_opts o = {x->url, x->f[4], x->f[5], x->f[0], b, d, 5000, NULL};
    memset(r, 0, sizeof(*r));
    r->x = x;
    r->binding = b;
    r->dialect = d;
    return rsp_svc_client_new(&o, &r->cl, NULL);
}

/* calls/s of n clients on n threads, JSON */
static double parallel(ctx *x, unsigned n)
{
    runner r[4];
    long total = 0;
    int err = 0;
    double t0 = rsp_bench_now();
    unsigned started = 0;
    for (; started < n; started++) {
        if (client(x, &r[started], RSP_SVC_BINDING_JSON, RSP_ES_DIALECT_GSMA) != RSP_OK)
            break;
        r[started].until = t0 + x->seconds;
        if (pthread_create(&r[started].th, NULL, run_until, &r[started]) != 0) {
            rsp_svc_client_free(r[started].cl);
            break;
        }
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(r[i].th, NULL);
        total += r[i].calls;
        err |= r[i].err;
        rsp_svc_client_free(r[i].cl);
    }
    double el = rsp_bench_now() - t0;
    return err || started < n || el <= 0 ? -1 : (double)total / el;
}

int rsp_bench_es_client(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/rsp-bench-es-client-XXXXXX";
    if (!mkdtemp(dir))
        return rsp_cli_usage_error("bench es-client: cannot create a temporary directory");
    ctx x;
    memset(&x, 0, sizeof(x));
    x.pipefd[0] = x.pipefd[1] = -1;
    x.seconds = b->seconds;
    const char *names[6] = {"ca.pem", "ca.key", "srv.pem", "srv.key", "cli.pem", "cli.key"};
    for (int i = 0; i < 6; i++)
        snprintf(x.f[i], sizeof(x.f[i]), "%s/%s", dir, names[i]);
    int rc = RSP_EXIT_FAIL;
    bool running = false;
    rsp_log_set_level_all(RSP_LOG_ERROR);
    rsp_es_handler h = {RSP_ES4, "EnableProfile", false, on_enable, NULL};
    x.base = event_base_new();
    if (!x.base || rsp_tls_gen_ca("bench CI", x.f[0], x.f[1]) ||
        rsp_tls_gen_leaf(x.f[0], x.f[1], "smsr", 2, x.f[2], x.f[3]) ||
        rsp_tls_gen_leaf(x.f[0], x.f[1], "MNO1", 0, x.f[4], x.f[5])) {
        fprintf(stderr, "rsp: bench es-client: TLS setup failed\n");
        goto out;
    }
    rsp_svc_opts o = {0};
    o.name = "bench";
    o.log_ss = RSP_SS_TOOL;
    o.base = x.base;
    o.listen = "127.0.0.1:0";
    o.tls_cert = x.f[2];
    o.tls_key = x.f[3];
    o.tls_ca = x.f[0];
    o.no_signals = 1;
    o.handlers = &h;
    o.n_handlers = 1;
    if (rsp_svc_new(&o, &x.svc, NULL) != RSP_OK || pipe(x.pipefd) != 0)
        goto out;
    snprintf(x.url, sizeof(x.url), "https://127.0.0.1:%u", rsp_svc_port(x.svc));
    x.ev_stop = event_new(x.base, x.pipefd[0], EV_READ, on_stop, x.svc);
    if (!x.ev_stop || event_add(x.ev_stop, NULL) != 0 || pthread_create(&x.th, NULL, serve, x.svc) != 0)
        goto out;
    running = true;

    /* one call seals and opens two ~1-2 KB bodies each way: the floor is 4 AES-GCM 1 KB records */
    double gcm = rsp_bench_floor_cipher_mbs(b, "AES-256-GCM", 1024);
    double floor = gcm > 0 ? gcm * 1e6 / 1024 / 4 : -1;
    const struct {
        const char *name, *what;
        rsp_svc_binding b;
        rsp_es_dialect d;
    } one[] = {
        {"es-client ES4.EnableProfile SOAP gsma, 1 client (calls/s)", "SOAP gsma", RSP_SVC_BINDING_SOAP,
         RSP_ES_DIALECT_GSMA},
        {"es-client ES4.EnableProfile SOAP njiwa, 1 client (calls/s)", "SOAP njiwa", RSP_SVC_BINDING_SOAP,
         RSP_ES_DIALECT_NJIWA},
        {"es-client ES4.EnableProfile JSON, 1 client (calls/s)", "JSON", RSP_SVC_BINDING_JSON, RSP_ES_DIALECT_GSMA},
    };
    rc = RSP_EXIT_OK;
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
        runner r;
        if (client(&x, &r, one[i].b, one[i].d) != RSP_OK || one_call(&r) != 0) {
            rsp_svc_client_free(r.cl);
            rc = RSP_EXIT_FAIL;
            break;
        }
        rsp_bench_progress(b, one[i].what);
        double v = rsp_bench_rate(b, step, &r);
        rsp_svc_client_free(r.cl);
        rsp_bench_report(b, one[i].name, v, "calls/s", "EVP AES-256-GCM 1 KB / 4 records", floor);
        if (v <= 0)
            rc = RSP_EXIT_FAIL;
    }
    for (unsigned n = 2; rc == RSP_EXIT_OK && n <= 4; n *= 2) {
        char name[96], what[64];
        snprintf(what, sizeof(what), "JSON, %u clients on %u threads", n, n);
        rsp_bench_progress(b, what);
        double v = parallel(&x, n);
        snprintf(name, sizeof(name), "es-client ES4.EnableProfile JSON, %u clients (calls/s)", n);
        rsp_bench_report(b, name, v, "calls/s", "EVP AES-256-GCM 1 KB / 4 records", floor);
        if (v <= 0)
            rc = RSP_EXIT_FAIL;
    }
out:
    if (running) {
        if (write(x.pipefd[1], "x", 1) == 1)
            pthread_join(x.th, NULL);
    }
    if (x.ev_stop)
        event_free(x.ev_stop);
    rsp_svc_free(x.svc);
    if (x.base)
        event_base_free(x.base);
    for (int i = 0; i < 2; i++)
        if (x.pipefd[i] >= 0)
            close(x.pipefd[i]);
    for (int i = 0; i < 6; i++)
        unlink(x.f[i]);
    rmdir(dir);
    return rc;
}
