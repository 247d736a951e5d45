/* HTTP/1.1 server on a libevent loop: keep-alive, limits, timeouts and deferred responses.
 *
 * One request per connection is outstanding at a time: pipelined requests wait in the input buffer
 * until the previous one is answered, which keeps responses in order without a queue.
 *
 * Answers leave on the loop turn after the one that made them: rsp_http_respond stages the bytes
 * and a zero timer (which fires only after the next poll, i.e. in the next turn) moves them to the
 * connection. Why: a daemon with group commit (docs/modules/svc.md) commits the turn's store writes
 * at the end of the turn, and an answer must not reveal them before; a plain-socket bufferevent
 * would only write on the next poll anyway, but an OpenSSL socket bufferevent calls SSL_write at
 * once from inside bufferevent_write. */
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
#include <event2/listener.h>
#include <openssl/err.h>

#include "http_int.h"
#include "listen.h"
#include "rsp/log.h"

typedef struct conn conn;

struct rsp_http_req {
    rsp_http_server *srv;
    conn *c;                     /* NULL once the connection has gone */
    rsp_http_req *prev, *next;   /* every live request, so server_free can release them */
    uint64_t conn_id;            /* of c, kept when c goes */
    int keep_alive;
    rsp_net_peer peer;
    char *method, *target;
    size_t nh;
    char *hname[RSP_HTTP_MAX_HEADERS], *hval[RSP_HTTP_MAX_HEADERS];
    uint8_t *body;
    size_t body_len;
    char *strs;    /* NUL-terminated copies of method, target and headers */
    uint8_t *raw;  /* copy of the request bytes (body points in here) */
};

struct conn {
    rsp_http_server *srv;
    struct bufferevent *bev;
    conn *prev, *next;
    uint64_t id;    /* rsp_http_req_conn; 1, 2, ... in accept order */
    int served;     /* a request was handed to the handler: on_close tells of the close */
    rsp_net_peer peer;
    int peer_done;
    rsp_http_req *pending;
    int closing;
    int lingering;
    int in_handler;
    size_t need; /* bytes needed before a re-parse is worthwhile */
    struct evbuffer *staged; /* answers of this turn, not yet handed to bev (see the top) */
    struct event *flush_ev;  /* zero timer: staged -> bev on the next turn */
};

struct rsp_http_server {
    struct event_base *base;
    struct evconnlistener *lis;
    rsp_http_server_opts o;
    const rsp_net_transport *tp;
    uint16_t port;
    conn *conns;
    rsp_http_req *reqs;
    uint64_t last_id;
    int draining;
    rsp_http_server_stats st;
    char name[32];
};

static void tv_ms(struct timeval *tv, unsigned ms)
{
    tv->tv_sec = ms / 1000;
    tv->tv_usec = (ms % 1000) * 1000;
}

static void req_unlink_free(rsp_http_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        r->srv->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    free(r->strs);
    free(r->raw);
    free(r);
}

/* tell: the peer's close (or an error, a timeout) ends it, not the server stopping: on_close is called. */
static void conn_free(conn *c, int tell)
{
    rsp_http_server *s = c->srv;
    uint64_t id = c->id;
    tell = tell && c->served && s->o.on_close;
    c->srv->st.open--;
    if (c->pending)
        c->pending->c = NULL; /* the handler still owns it until it responds */
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    bufferevent_free(c->bev);
    if (c->flush_ev)
        event_free(c->flush_ev);
    if (c->staged)
        evbuffer_free(c->staged);
    free(c);
    if (tell)
        s->o.on_close(s->o.arg, id);
}

/* Bytes not yet written: staged or in the bufferevent. */
static size_t unsent(const conn *c)
{
    return (c->staged ? evbuffer_get_length(c->staged) : 0) + evbuffer_get_length(bufferevent_get_output(c->bev));
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn *c = arg;
    /* One piece: an OpenSSL bufferevent calls SSL_write per chain of its output, so the head and the
     * body went as two TLS records and two write(2)s (loopback writes cost ~30 us of kernel time each
     * here: issue 14, Numbers); on allocation failure the chains go as they are. */
    (void)evbuffer_pullup(c->staged, -1);
    /* may write at once (TLS); a write error comes back through conn_event_cb later */
    if (evbuffer_add_buffer(bufferevent_get_output(c->bev), c->staged) != 0)
        RSP_LOGE(RSP_SS_NET, "http answer lost", "name=%s peer=%s why=nomem", c->srv->name, c->peer.addr);
}

static void set_wait_timeout(conn *c, int partial)
{
    struct timeval rd, wr;
    tv_ms(&rd, partial ? c->srv->o.read_timeout_ms : c->srv->o.idle_timeout_ms);
    tv_ms(&wr, c->srv->o.read_timeout_ms);
    bufferevent_set_timeouts(c->bev, &rd, &wr);
}

static rsp_err write_response(conn *c, int status, const char *extra, const uint8_t *body, size_t len,
                              int keep_alive)
{
    if (!c->staged && !(c->staged = evbuffer_new()))
        return RSP_ERR_NOMEM;
    if (!c->flush_ev && !(c->flush_ev = evtimer_new(c->srv->base, flush_cb, c)))
        return RSP_ERR_NOMEM;
    struct evbuffer *out = c->staged;
    static const struct timeval zero = {0, 0};
    if (evtimer_add(c->flush_ev, &zero) != 0)
        return RSP_ERR_NOMEM;
    if (evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nContent-Length: %zu\r\n%s%s\r\n", status,
                            rsp_http_reason(status), len, keep_alive ? "" : "Connection: close\r\n",
                            extra ? extra : "") < 0 ||
        (len && evbuffer_add(out, body, len) != 0))
        return RSP_ERR_NOMEM;
    if (!keep_alive)
        c->closing = 1;
    return RSP_OK;
}

static rsp_http_req *req_new(conn *c, const uint8_t *p, const rsp_http_parsed *r)
{
    rsp_http_req *q = calloc(1, sizeof(*q));
    size_t slen = r->method_len + r->target_len + 2;
    for (size_t i = 0; i < r->nheaders; i++)
        slen += r->headers[i].name_len + r->headers[i].value_len + 2;
    if (!q || !(q->strs = malloc(slen)) || !(q->raw = malloc(r->consumed ? r->consumed : 1))) {
        if (q)
            free(q->strs);
        free(q);
        return NULL;
    }
    memcpy(q->raw, p, r->consumed);
    char *s = q->strs;
#define PUT(dst, src, n) (memcpy(s, src, n), s[n] = 0, (dst) = s, s += (n) + 1)
    PUT(q->method, r->method, r->method_len);
    PUT(q->target, r->target, r->target_len);
    for (size_t i = 0; i < r->nheaders; i++) {
        PUT(q->hname[i], r->headers[i].name, r->headers[i].name_len);
        PUT(q->hval[i], r->headers[i].value, r->headers[i].value_len);
    }
#undef PUT
    q->nh = r->nheaders;
    q->body = q->raw + (r->body_raw - p);
    q->body_len = r->chunked ? rsp_http_dechunk(q->body, r->body_raw_len, q->body) : r->body_len;
    q->keep_alive = r->keep_alive;
    q->peer = c->peer;
    q->srv = c->srv;
    q->c = c;
    q->conn_id = c->id;
    q->next = c->srv->reqs;
    if (q->next)
        q->next->prev = q;
    c->srv->reqs = q;
    return q;
}

/* Parses and dispatches whatever complete requests are buffered; never frees c. */
static void conn_process(conn *c)
{
    rsp_http_server *s = c->srv;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    if (c->lingering) {
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    while (!c->pending && !c->closing) {
        size_t avail = evbuffer_get_length(in);
        if (avail == 0) {
            set_wait_timeout(c, 0);
            return;
        }
        if (avail < c->need) {
            set_wait_timeout(c, 1);
            return;
        }
        size_t cap = s->o.limits.max_header_bytes + s->o.limits.max_body_bytes;
        size_t want = avail < cap ? avail : cap;
        const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)want);
        rsp_http_parsed r;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_http_parse_request(p, want, &s->o.limits, &r, &d);
        if (e == RSP_ERR_TRUNCATED) {
            c->need = r.consumed;
            set_wait_timeout(c, 1);
            return;
        }
        c->need = 0;
        if (!c->peer_done) {
            s->tp->peer(c->bev, &c->peer);
            c->peer_done = 1;
        }
        if (e != RSP_OK) {
            char msg[300], line[100];
            rsp_diag_str(&d, e, msg, sizeof(msg));
            s->st.refused_req++;
            /* The first bytes of what was sent, escaped: it is outside input. */
            rsp_http_log_escape(p, want < 48 ? want : 48, line, sizeof(line));
            RSP_LOGI(RSP_SS_NET, "http request refused", "name=%s peer=%s status=%d why=\"%s\" start=\"%s\"",
                     s->name, c->peer.addr, r.status_hint, msg, line);
            size_t ml = strlen(msg);
            msg[ml++] = '\n';
            write_response(c, r.status_hint ? r.status_hint : 400, "Content-Type: text/plain\r\n",
                           (const uint8_t *)msg, ml, 0);
            return;
        }
        rsp_http_req *q = req_new(c, p, &r);
        evbuffer_drain(in, r.consumed);
        if (!q) {
            write_response(c, 503, NULL, NULL, 0, 0);
            return;
        }
        c->pending = q;
        c->served = 1;
        s->st.requests++;
        if (rsp_log_enabled(RSP_SS_NET, RSP_LOG_DEBUG)) {
            char tgt[160], who[160];
            rsp_http_log_escape(q->target, strlen(q->target), tgt, sizeof(tgt));
            rsp_http_log_escape(c->peer.cn, strlen(c->peer.cn), who, sizeof(who));
            RSP_LOGD(RSP_SS_NET, "http request", "name=%s peer=%s cn=\"%s\" method=%s target=\"%s\" body=%zu",
                     s->name, c->peer.addr, who, q->method, tgt, q->body_len);
        }
        /* The handler may take its time (deferred): no read timeout meanwhile. */
        bufferevent_set_timeouts(c->bev, NULL, NULL);
        c->in_handler = 1;
        s->o.handler(s->o.arg, q);
        c->in_handler = 0;
    }
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_process(arg);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
    conn *c = arg;
    if (c->closing && !c->lingering && unsent(c) == 0) {
        /* Lingering close: stop sending, but keep reading (and discarding) for a moment, so a
         * client still sending the body we refused is not hit by a reset that destroys our
         * answer before it reads it. */
        c->lingering = 1;
        shutdown(bufferevent_getfd(bev), SHUT_WR);
        struct timeval tv = {1, 0};
        bufferevent_set_timeouts(bev, &tv, NULL);
        bufferevent_disable(bev, EV_WRITE);
        bufferevent_setwatermark(bev, EV_READ, 0, 0);
        evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
    }
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        return;
    }
    if (what & BEV_EVENT_ERROR) {
        unsigned long e;
        char buf[200] = "-";
        while ((e = bufferevent_get_openssl_error(bev)) != 0)
            ERR_error_string_n(e, buf, sizeof(buf));
        RSP_LOGI(RSP_SS_NET, "http connection error", "name=%s peer=%s tls=\"%s\"", c->srv->name, c->peer.addr, buf);
    } else if (what & BEV_EVENT_TIMEOUT) {
        RSP_LOGD(RSP_SS_NET, "http connection timed out", "peer=%s", c->peer.addr);
    }
    conn_free(c, 1);
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)lis;
    rsp_http_server *s = arg;
    if (s->st.open >= s->o.max_connections) {
        /* Over the cap: close at once, before any TLS work is spent on it. */
        s->st.refused_cap++;
        evutil_closesocket(fd);
        RSP_LOGI(RSP_SS_NET, "http connection refused", "name=%s why=max_connections open=%u refused=%llu", s->name,
                 s->st.open, s->st.refused_cap);
        return;
    }
    /* Request/response traffic: Nagle plus delayed ACK would add ~40 ms per round trip. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn *c = calloc(1, sizeof(*c));
    if (!c || s->tp->server_bev(s->base, fd, s->o.tls, &c->bev) != RSP_OK) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    char host[46] = "?", serv[8] = "?";
    getnameinfo(sa, (socklen_t)salen, host, sizeof(host), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(c->peer.addr, sizeof(c->peer.addr), "%s:%s", host, serv);
    c->srv = s;
    c->id = ++s->last_id;
    s->st.open++;
    s->st.accepted++;
    c->next = s->conns;
    if (c->next)
        c->next->prev = c;
    s->conns = c;
    bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
    /* Bound what one client can make us buffer. */
    bufferevent_setwatermark(c->bev, EV_READ, 0, s->o.limits.max_header_bytes + s->o.limits.max_body_bytes + 1);
    set_wait_timeout(c, 1); /* the TLS handshake counts as reading a request */
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

rsp_err rsp_http_server_new(struct event_base *base, const rsp_http_server_opts *opts, rsp_http_server **out)
{
    if (!base || !opts || !opts->handler || !out)
        return RSP_ERR_INVAL;
    rsp_http_server *s = calloc(1, sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    s->base = base;
    s->o = *opts;
    s->o.host = NULL;
    if (!s->o.limits.max_header_bytes)
        s->o.limits.max_header_bytes = RSP_HTTP_DEF_HEADER_BYTES;
    if (!s->o.limits.max_body_bytes)
        s->o.limits.max_body_bytes = RSP_HTTP_DEF_BODY_BYTES;
    if (!s->o.read_timeout_ms)
        s->o.read_timeout_ms = 30000;
    if (!s->o.idle_timeout_ms)
        s->o.idle_timeout_ms = 60000;
    if (!s->o.max_connections)
        s->o.max_connections = 1024;
    snprintf(s->name, sizeof(s->name), "%s", opts->log_name ? opts->log_name : "http");
    s->o.log_name = NULL;
    s->tp = rsp_tls_transport(opts->tls);

    rsp_err e = rsp_net_listen(base, opts->host, opts->port, accept_cb, s, &s->lis, &s->port);
    if (e) {
        free(s);
        return e;
    }
    RSP_LOGI(RSP_SS_NET, "http listening", "name=%s port=%u transport=%s max_connections=%u", s->name, s->port,
             s->tp->name, s->o.max_connections);
    *out = s;
    return RSP_OK;
}

uint16_t rsp_http_server_port(const rsp_http_server *s) { return s ? s->port : 0; }

void rsp_http_server_stats_get(const rsp_http_server *s, rsp_http_server_stats *out)
{
    *out = s->st;
    out->pending = 0;
    for (const rsp_http_req *q = s->reqs; q; q = q->next)
        out->pending++;
    out->writing = 0;
    for (const conn *c = s->conns; c; c = c->next)
        if (!c->lingering && unsent(c) > 0)
            out->writing++;
}

void rsp_http_server_drain(rsp_http_server *s)
{
    if (!s || s->draining)
        return;
    s->draining = 1;
    if (s->lis)
        evconnlistener_free(s->lis);
    s->lis = NULL;
    /* Idle connections go now; one with a request in the handler closes after its answer (respond
     * sees draining), one still flushing an answer closes when that is written. */
    conn *c = s->conns;
    while (c) {
        conn *n = c->next;
        if (!c->pending && !c->closing) {
            if (unsent(c) == 0)
                conn_free(c, 0);
            else
                c->closing = 1;
        }
        c = n;
    }
}

void rsp_http_server_free(rsp_http_server *s)
{
    if (!s)
        return;
    if (s->lis)
        evconnlistener_free(s->lis);
    while (s->conns)
        conn_free(s->conns, 0);
    while (s->reqs)
        req_unlink_free(s->reqs);
    free(s);
}

const char *rsp_http_req_method(const rsp_http_req *q) { return q->method; }
const char *rsp_http_req_target(const rsp_http_req *q) { return q->target; }
const rsp_net_peer *rsp_http_req_peer(const rsp_http_req *q) { return &q->peer; }
uint64_t rsp_http_req_conn(const rsp_http_req *q) { return q->conn_id; }

const char *rsp_http_req_header(const rsp_http_req *q, const char *name)
{
    for (size_t i = 0; i < q->nh; i++)
        if (rsp_http_ieq(q->hname[i], strlen(q->hname[i]), name))
            return q->hval[i];
    return NULL;
}

const uint8_t *rsp_http_req_body(const rsp_http_req *q, size_t *len)
{
    if (len)
        *len = q->body_len;
    return q->body;
}

rsp_err rsp_http_respond(rsp_http_req *q, int status, const char *extra, const uint8_t *body, size_t len)
{
    if (!q)
        return RSP_ERR_INVAL;
    conn *c = q->c;
    if (!c) {
        req_unlink_free(q);
        return RSP_ERR_STATE;
    }
    /* Write before freeing: body may point into the request (an echo). */
    rsp_err e = write_response(c, status < 100 || status > 599 ? 500 : status, extra, body, len,
                               q->keep_alive && !c->srv->draining);
    req_unlink_free(q);
    c->pending = NULL;
    if (!c->in_handler && !c->closing) {
        /* Resume pipelined input from the loop, not from inside whoever called us. */
        set_wait_timeout(c, 0);
        bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
    }
    return e;
}
