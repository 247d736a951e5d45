/* HTTP/1.1 client: a FIFO of POSTs over one kept-alive connection, reconnecting when the server
 * closed it. Requests are not pipelined (one outstanding), so a failure maps to exactly one request
 * and nothing is re-sent behind the caller's back (POSTs are not idempotent).
 *
 * A POST is sent at the earliest on the loop turn after the one that queued it (a zero timer moves
 * it from `fresh` to the queue): a daemon with group commit commits the turn's store writes at the
 * end of the turn, and a callback must not reveal them before (an OpenSSL socket bufferevent
 * writes at once from inside bufferevent_write; see http_server.c). */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "http_int.h"
#include "rsp/buf.h"
#include "rsp/log.h"

typedef struct creq {
    struct creq *next;
    rsp_buf wire; /* the whole serialised request */
    rsp_http_response_fn cb;
    void *arg;
} creq;

struct rsp_http_client {
    struct event_base *base;
    rsp_http_client_opts o;
    char *host;
    const rsp_net_transport *tp;
    struct bufferevent *bev;
    int connected;
    creq *head, *tail;
    creq *fresh, *fresh_tail; /* queued this turn: not sendable before the next one */
    struct event *ev_fresh;
    creq *inflight;
    unsigned connects;
    rsp_net_peer peer;
    int in_cb, free_pending;
};

static void drop_conn(rsp_http_client *c)
{
    if (c->bev)
        bufferevent_free(c->bev);
    c->bev = NULL;
    c->connected = 0;
}

static void creq_free(creq *r)
{
    rsp_buf_free(&r->wire);
    free(r);
}

static void really_free(rsp_http_client *c);

/* Runs the callback of r (removed from every list) and frees it. Returns 1 if the client was freed
 * from inside the callback (the caller must not touch c then). */
static int finish(rsp_http_client *c, creq *r, rsp_err e, const rsp_http_response *resp)
{
    c->in_cb++;
    r->cb(r->arg, e, resp);
    c->in_cb--;
    creq_free(r);
    if (c->free_pending && c->in_cb == 0) {
        really_free(c);
        return 1;
    }
    return 0;
}

static void kick(rsp_http_client *c);

static void fail_inflight(rsp_http_client *c, rsp_err e)
{
    creq *r = c->inflight;
    c->inflight = NULL;
    if (!r && !c->connected && c->head) {
        /* Connect or handshake failed: that is the answer to the first queued request, and
         * retrying in a loop would spin. */
        r = c->head;
        c->head = r->next;
        if (!c->head)
            c->tail = NULL;
    }
    drop_conn(c);
    if (r && finish(c, r, e, NULL))
        return;
    kick(c);
}

/* Handles a buffered response. Returns 0 if more bytes are needed, 1 if the in-flight request was
 * completed or failed (c may have been freed then). */
static int try_response(rsp_http_client *c, struct bufferevent *bev)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t avail = evbuffer_get_length(in);
    if (!c->inflight) {
        if (avail)
            fail_inflight(c, RSP_ERR_PROTOCOL); /* unsolicited bytes: the stream is unusable */
        return 1;
    }
    const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)avail);
    rsp_http_response resp;
    size_t used = 0;
    int ka = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_http_parse_response(p, avail, c->o.max_response_bytes, &resp, &used, &ka, &d);
    if (e == RSP_ERR_TRUNCATED)
        return 0;
    if (e) {
        char msg[300];
        RSP_LOGI(RSP_SS_NET, "http response refused", "why=\"%s\"", rsp_diag_str(&d, e, msg, sizeof(msg)));
        fail_inflight(c, RSP_ERR_PROTOCOL);
        return 1;
    }
    creq *r = c->inflight;
    c->inflight = NULL;
    /* The response views point into the input buffer: drain only after the callback. */
    c->in_cb++;
    r->cb(r->arg, RSP_OK, &resp);
    c->in_cb--;
    creq_free(r);
    if (c->free_pending && c->in_cb == 0) {
        really_free(c);
        return 1;
    }
    if (c->bev) {
        evbuffer_drain(bufferevent_get_input(c->bev), used);
        if (!ka || evbuffer_get_length(bufferevent_get_input(c->bev)))
            drop_conn(c);
        else
            bufferevent_set_timeouts(c->bev, NULL, NULL);
    }
    kick(c);
    return 1;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    try_response(arg, bev);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    rsp_http_client *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        c->connected = 1;
        memset(&c->peer, 0, sizeof(c->peer));
        c->tp->peer(bev, &c->peer);
        kick(c);
        return;
    }
    /* The server may answer (413, 431) and close before reading all we sent: a complete response
     * already buffered wins over the write error. */
    if (c->inflight && evbuffer_get_length(bufferevent_get_input(bev)) && try_response(c, bev))
        return;
    rsp_err e = (what & BEV_EVENT_TIMEOUT) ? RSP_ERR_TIMEOUT : RSP_ERR_NET;
    if (what & BEV_EVENT_ERROR) {
        unsigned long oe;
        char buf[200] = "-";
        while ((oe = bufferevent_get_openssl_error(bev)) != 0)
            ERR_error_string_n(oe, buf, sizeof(buf));
        RSP_LOGI(RSP_SS_NET, "http client connection error", "host=%s tls=\"%s\"", c->host, buf);
    }
    fail_inflight(c, e);
}

static rsp_err connect_now(rsp_http_client *c)
{
    struct addrinfo hints = {0}, *ai = NULL;
    char port[8];
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%u", c->o.port);
    if (getaddrinfo(c->host, port, &hints, &ai) != 0 || !ai)
        return RSP_ERR_NET;
    rsp_err e = c->tp->client_bev(c->base, c->o.tls, c->host, &c->bev);
    if (e == RSP_OK) {
        bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
        struct timeval tv = {(time_t)(c->o.timeout_ms / 1000), (suseconds_t)(c->o.timeout_ms % 1000) * 1000};
        bufferevent_set_timeouts(c->bev, &tv, &tv);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
        if (bufferevent_socket_connect(c->bev, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
            drop_conn(c);
            e = RSP_ERR_NET;
        } else {
            int one = 1; /* see http_server.c: no Nagle for request/response */
            setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            c->connects++;
        }
    }
    freeaddrinfo(ai);
    return e;
}

static void kick(rsp_http_client *c)
{
    while (!c->inflight && c->head) {
        if (!c->bev) {
            rsp_err e = connect_now(c);
            if (e != RSP_OK) {
                creq *r = c->head;
                c->head = r->next;
                if (!c->head)
                    c->tail = NULL;
                if (finish(c, r, e, NULL))
                    return;
                continue;
            }
        }
        if (!c->connected)
            return;
        creq *r = c->head;
        c->head = r->next;
        if (!c->head)
            c->tail = NULL;
        c->inflight = r;
        struct timeval tv = {(time_t)(c->o.timeout_ms / 1000), (suseconds_t)(c->o.timeout_ms % 1000) * 1000};
        bufferevent_set_timeouts(c->bev, &tv, &tv);
        if (bufferevent_write(c->bev, r->wire.data, r->wire.len) != 0)
            fail_inflight(c, RSP_ERR_NOMEM);
        return;
    }
}

rsp_err rsp_http_client_new(struct event_base *base, const rsp_http_client_opts *opts, rsp_http_client **out)
{
    if (!base || !opts || !opts->host || !out)
        return RSP_ERR_INVAL;
    rsp_http_client *c = calloc(1, sizeof(*c));
    if (!c || !(c->host = strdup(opts->host))) {
        free(c);
        return RSP_ERR_NOMEM;
    }
    c->base = base;
    c->o = *opts;
    c->o.host = c->host;
    if (!c->o.timeout_ms)
        c->o.timeout_ms = 30000;
    if (!c->o.max_response_bytes)
        c->o.max_response_bytes = 16u * 1024u * 1024u;
    c->tp = rsp_tls_transport(opts->tls);
    *out = c;
    return RSP_OK;
}

/* The next turn: this turn's POSTs join the queue (see the top). */
static void fresh_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_http_client *c = arg;
    if (!c->fresh)
        return;
    if (c->tail)
        c->tail->next = c->fresh;
    else
        c->head = c->fresh;
    c->tail = c->fresh_tail;
    c->fresh = c->fresh_tail = NULL;
    if (!c->in_cb)
        kick(c);
}

rsp_err rsp_http_client_post(rsp_http_client *c, const char *target, const char *extra, const uint8_t *body,
                             size_t len, rsp_http_response_fn cb, void *arg)
{
    if (!c || !target || target[0] != '/' || !cb || (len && !body))
        return RSP_ERR_INVAL;
    for (const char *t = target; *t; t++)
        if ((unsigned char)*t <= 0x20 || *t == 0x7f)
            return RSP_ERR_INVAL; /* no header injection through the target */
    creq *r = calloc(1, sizeof(*r));
    if (!r)
        return RSP_ERR_NOMEM;
    char head[512];
    int n = snprintf(head, sizeof(head), "Host: %s:%u\r\nContent-Length: %zu\r\n", c->host, c->o.port, len);
    rsp_err e;
    if ((e = rsp_buf_append(&r->wire, "POST ", 5)) || (e = rsp_buf_append(&r->wire, target, strlen(target))) ||
        (e = rsp_buf_append(&r->wire, " HTTP/1.1\r\n", 11)) || (e = rsp_buf_append(&r->wire, head, (size_t)n)) ||
        (extra && (e = rsp_buf_append(&r->wire, extra, strlen(extra)))) || (e = rsp_buf_append(&r->wire, "\r\n", 2)) ||
        (len && (e = rsp_buf_append(&r->wire, body, len)))) {
        creq_free(r);
        return e;
    }
    static const struct timeval zero = {0, 0};
    if ((!c->ev_fresh && !(c->ev_fresh = evtimer_new(c->base, fresh_cb, c))) || evtimer_add(c->ev_fresh, &zero) != 0) {
        creq_free(r);
        return RSP_ERR_NOMEM;
    }
    r->cb = cb;
    r->arg = arg;
    if (c->fresh_tail)
        c->fresh_tail->next = r;
    else
        c->fresh = r;
    c->fresh_tail = r;
    return RSP_OK;
}

unsigned rsp_http_client_connects(const rsp_http_client *c) { return c->connects; }
const rsp_net_peer *rsp_http_client_peer(const rsp_http_client *c) { return &c->peer; }

static void really_free(rsp_http_client *c)
{
    drop_conn(c);
    if (c->ev_fresh)
        event_free(c->ev_fresh);
    free(c->host);
    free(c);
}

void rsp_http_client_free(rsp_http_client *c)
{
    if (!c)
        return;
    if (c->in_cb) {
        c->free_pending = 1;
        return;
    }
    c->in_cb++; /* callbacks below must not free c again */
    creq *r = c->inflight;
    c->inflight = NULL;
    if (r) {
        r->cb(r->arg, RSP_ERR_STATE, NULL);
        creq_free(r);
    }
    if (c->tail) /* the fresh ones last, in order */
        c->tail->next = c->fresh;
    else
        c->head = c->fresh;
    c->fresh = c->fresh_tail = NULL;
    while ((r = c->head) != NULL) {
        c->head = r->next;
        r->cb(r->arg, RSP_ERR_STATE, NULL);
        creq_free(r);
    }
    really_free(c);
}
