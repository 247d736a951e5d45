/* `rsp op --wait --callback-listen`: the listener that receives asynchronous results. An rsp_svc (mutual
 * TLS with the caller's certificate, the same CA) runs its own loop in a thread of its own; the threads
 * that send requests register the MessageID before sending (a result can come before the 202 does)
 * and wait on a condition variable for the result whose RelatesTo names it. The svc's loop is not
 * thread-safe, so the stop request reaches it through a pipe. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "op_int.h"
#include "rsp/hostport.h"
#include "rsp/svc.h"

typedef struct slot {
    struct slot *next;
    char *id;
    bool got;
    rsp_es_msg msg;
} slot;

struct op_cb {
    rsp_svc *svc;
    rsp_es_handler h;
    pthread_t th;
    bool running;
    int pipefd[2];
    struct event *ev_stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot *slots;
    unsigned long unmatched;
    char reply_to[300];
};

static rsp_err on_result(void *hctx, rsp_es_call *c)
{
    op_cb *cb = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(c);
    pthread_mutex_lock(&cb->mu);
    slot *s = cb->slots;
    while (s && (s->got || !m->wsa.relates_to || strcmp(s->id, m->wsa.relates_to) != 0))
        s = s->next;
    if (s && op_msg_copy(m, &s->msg) == RSP_OK) {
        s->got = true;
        pthread_cond_broadcast(&cb->cv);
    } else
        cb->unmatched++;
    pthread_mutex_unlock(&cb->mu);
    return rsp_es_call_complete(c);
}

static void on_stop_pipe(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_svc_stop(arg);
}

static void *loop_main(void *arg)
{
    rsp_svc_run(arg);
    return NULL;
}

/* The host of the listen address as it goes into the ReplyTo URL: the wildcard becomes loopback (the
 * server runs on this machine), an IPv6 literal goes back into brackets. */
static void url_host(const char *listen, char *out, size_t cap)
{
    char h[256];
    uint16_t port;
    if (rsp_hostport_split(listen, RSP_HOSTPORT_REQUIRED, h, sizeof(h), &port, NULL) != RSP_OK || !strcmp(h, "0.0.0.0"))
        snprintf(h, sizeof(h), "127.0.0.1");
    else if (!strcmp(h, "::"))
        snprintf(h, sizeof(h), "::1");
    snprintf(out, cap, strchr(h, ':') ? "[%s]" : "%s", h);
}

rsp_err op_cb_start(const op_args *a, op_cb **out, const char **reply_to, rsp_diag *d)
{
    op_cb *cb = calloc(1, sizeof(*cb));
    if (!cb)
        return RSP_ERR_NOMEM;
    cb->pipefd[0] = cb->pipefd[1] = -1;
    pthread_mutex_init(&cb->mu, NULL);
    pthread_cond_init(&cb->cv, NULL);
    cb->h = (rsp_es_handler){a->f->iface, a->f->name, true, on_result, cb};
    rsp_svc_opts o = {0};
    o.name = "op";
    o.log_ss = RSP_SS_TOOL;
    o.listen = a->cb_listen;
    o.tls_cert = a->cert;
    o.tls_key = a->key;
    o.tls_ca = a->ca;
    o.no_signals = 1; /* Ctrl-C belongs to the command */
    o.stop_grace_ms = 1000;
    o.handlers = &cb->h;
    o.n_handlers = 1;
    rsp_err e = rsp_svc_new(&o, &cb->svc, d);
    if (e == RSP_OK && pipe(cb->pipefd) != 0)
        e = rsp_diag_set(d, RSP_ERR_IO, "pipe: %s", strerror(errno));
    if (e == RSP_OK) {
        cb->ev_stop = event_new(rsp_svc_base(cb->svc), cb->pipefd[0], EV_READ, on_stop_pipe, cb->svc);
        if (!cb->ev_stop || event_add(cb->ev_stop, NULL) != 0)
            e = RSP_ERR_NOMEM;
    }
    if (e == RSP_OK && pthread_create(&cb->th, NULL, loop_main, cb->svc) != 0)
        e = rsp_diag_set(d, RSP_ERR_INTERNAL, "cannot start the listener thread");
    if (e != RSP_OK) {
        op_cb_stop(cb);
        return e;
    }
    cb->running = true;
    if (a->cb_url)
        snprintf(cb->reply_to, sizeof(cb->reply_to), "%s", a->cb_url);
    else {
        char host[256];
        url_host(a->cb_listen, host, sizeof(host));
        /* JSON results are routed by path (/<iface>/<Function>, docs/ES-JSON.md), SOAP ones by Action */
        char path[128] = "/";
        if (a->binding == RSP_SVC_BINDING_JSON && rsp_es_json_path(a->f, path, sizeof(path)) != RSP_OK)
            snprintf(path, sizeof(path), "/");
        snprintf(cb->reply_to, sizeof(cb->reply_to), "https://%.160s:%u%.100s", host, rsp_svc_port(cb->svc), path);
    }
    *reply_to = cb->reply_to;
    *out = cb;
    return RSP_OK;
}

rsp_err op_cb_expect(op_cb *cb, const char *message_id)
{
    slot *s = calloc(1, sizeof(*s));
    if (!s || !(s->id = strdup(message_id))) {
        free(s);
        return RSP_ERR_NOMEM;
    }
    pthread_mutex_lock(&cb->mu);
    s->next = cb->slots;
    cb->slots = s;
    pthread_mutex_unlock(&cb->mu);
    return RSP_OK;
}

rsp_err op_cb_wait(op_cb *cb, const char *message_id, unsigned timeout_ms, rsp_es_msg *out)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(timeout_ms / 1000);
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&cb->mu);
    slot **pp = &cb->slots;
    while (*pp && strcmp((*pp)->id, message_id) != 0)
        pp = &(*pp)->next;
    rsp_err e = *pp ? RSP_OK : RSP_ERR_NOT_FOUND;
    while (e == RSP_OK && !(*pp)->got) {
        if (pthread_cond_timedwait(&cb->cv, &cb->mu, &until) == ETIMEDOUT)
            e = RSP_ERR_TIMEOUT;
        /* another thread may have unlinked its own slot meanwhile: find ours again */
        for (pp = &cb->slots; *pp && strcmp((*pp)->id, message_id) != 0;)
            pp = &(*pp)->next;
    }
    if (*pp && (*pp)->got)
        e = RSP_OK;
    if (*pp) {
        slot *s = *pp;
        *pp = s->next;
        if (s->got)
            *out = s->msg; /* moved */
        free(s->id);
        free(s);
    }
    pthread_mutex_unlock(&cb->mu);
    return e;
}

void op_cb_stop(op_cb *cb)
{
    if (!cb)
        return;
    if (cb->running) {
        if (write(cb->pipefd[1], "x", 1) != 1)
            rsp_svc_stop(cb->svc); /* cannot happen with a fresh pipe; better than hanging */
        pthread_join(cb->th, NULL);
    }
    if (cb->ev_stop)
        event_free(cb->ev_stop);
    rsp_svc_free(cb->svc);
    for (int i = 0; i < 2; i++)
        if (cb->pipefd[i] >= 0)
            close(cb->pipefd[i]);
    while (cb->slots) {
        slot *s = cb->slots;
        cb->slots = s->next;
        rsp_es_msg_free(&s->msg);
        free(s->id);
        free(s);
    }
    pthread_mutex_destroy(&cb->mu);
    pthread_cond_destroy(&cb->cv);
    free(cb);
}
