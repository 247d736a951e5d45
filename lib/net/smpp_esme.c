/* SMPP ESME: bind_transceiver, a window of outstanding submit_sm, a send-rate throttle, enquire_link
 * keepalive and reconnection with doubling backoff. Everything runs on the caller's loop.
 *
 * Submits are never lost silently: the outstanding list is kept in send order, so after a dropped
 * link they go back to the front of the queue in their original order; a resp that does not come in
 * time causes a bounded resend; ESME_RTHROTTLED / ESME_RMSGQFUL pause sending (doubling) and resend. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "rsp/log.h"
#include "smpp_int.h"

typedef struct sub {
    struct sub *next;
    rsp_smpp_pdu pdu;
    rsp_smpp_submit_fn cb;
    void *arg;
    double sent_at;
    unsigned timeouts, throttles;
} sub;

typedef enum { ST_DOWN, ST_CONNECTING, ST_BINDING, ST_BOUND } esme_state;

struct rsp_smpp_esme {
    struct event_base *base;
    rsp_smpp_esme_opts o;
    char host[256], system_id[16], password[9], system_type[13], address_range[41];
    struct bufferevent *bev;
    esme_state st;
    sub *qhead, *qtail; /* waiting to be sent */
    size_t queued;
    sub *out, *out_tail; /* sent, awaiting submit_sm_resp, oldest first */
    unsigned nout;
    uint32_t seq;
    struct event *ev_reconnect, *ev_enquire, *ev_send, *ev_subto;
    unsigned backoff_ms;
    double next_send; /* throttle: earliest time of the next submit_sm */
    double enquire_sent; /* 0 when none outstanding */
    double pause_until;  /* the SMSC throttled us: no submit before this */
    unsigned throttle_ms; /* the next pause */
    struct held { uint32_t seq, status; } *held; /* deliver_sm_resps waiting for release (hold_deliver_resp) */
    size_t nheld, capheld;
    rsp_buf scratch; /* PDU encoding, reused */
    sub *spare;      /* freed submits, reused: no allocation per message once warm */
    size_t nspare;   /* at most window + 64 kept: a drained storm does not pin its memory */
    rsp_smpp_esme_stats stats;
};

static void tv_of(struct timeval *tv, double secs)
{
    if (secs < 0)
        secs = 0;
    tv->tv_sec = (time_t)secs;
    tv->tv_usec = (suseconds_t)((secs - (double)tv->tv_sec) * 1e6);
}

static uint32_t next_seq(rsp_smpp_esme *e)
{
    e->seq = e->seq >= 0x7FFFFFFFu ? 1 : e->seq + 1;
    return e->seq;
}

static void esme_connect(rsp_smpp_esme *e);

static sub *sub_new(rsp_smpp_esme *e)
{
    sub *s = e->spare;
    if (s) {
        e->spare = s->next;
        e->nspare--;
    } else if (!(s = malloc(sizeof(*s))))
        return NULL;
    memset(s, 0, sizeof(*s));
    return s;
}

static void sub_put(rsp_smpp_esme *e, sub *s)
{
    if (e->nspare >= e->o.window + 64) {
        free(s);
        return;
    }
    s->next = e->spare;
    e->spare = s;
    e->nspare++;
}

/* Puts the list first..last (n entries, in order) in front of the queue. */
static void requeue_front(rsp_smpp_esme *e, sub *first, sub *last, unsigned n)
{
    if (!first)
        return;
    last->next = e->qhead;
    if (!e->qhead)
        e->qtail = last;
    e->qhead = first;
    e->queued += n;
}

static void arm_subto(rsp_smpp_esme *e)
{
    if (!e->out) {
        evtimer_del(e->ev_subto);
        return;
    }
    struct timeval tv;
    tv_of(&tv, e->out->sent_at + e->o.submit_timeout_ms / 1000.0 - rsp_smpp_now() + 0.001);
    evtimer_add(e->ev_subto, &tv);
}

static void esme_drop(rsp_smpp_esme *e, const char *why)
{
    int was_bound = e->st == ST_BOUND;
    if (e->bev)
        bufferevent_free(e->bev);
    e->bev = NULL;
    e->st = ST_DOWN;
    e->enquire_sent = 0;
    e->nheld = 0; /* their session is gone: the SMSC counts those deliveries as not acknowledged */
    evtimer_del(e->ev_enquire);
    evtimer_del(e->ev_send);
    evtimer_del(e->ev_subto);
    /* Unacknowledged submits go back to the front of the queue, in send order: at-least-once. */
    e->stats.resent_link += e->nout;
    requeue_front(e, e->out, e->out_tail, e->nout);
    e->out = e->out_tail = NULL;
    e->nout = 0;
    RSP_LOGN(RSP_SS_SMPP, "esme link down", "system_id=%s why=\"%s\" retry_ms=%u", e->system_id, why, e->backoff_ms);
    struct timeval tv = {(time_t)(e->backoff_ms / 1000), (suseconds_t)(e->backoff_ms % 1000) * 1000};
    evtimer_add(e->ev_reconnect, &tv);
    e->backoff_ms = e->backoff_ms * 2 > e->o.reconnect_max_ms ? e->o.reconnect_max_ms : e->backoff_ms * 2;
    if (was_bound && e->o.on_state)
        e->o.on_state(e->o.arg, 0);
}

static void pump(rsp_smpp_esme *e)
{
    while (e->st == ST_BOUND && e->qhead && e->nout < e->o.window) {
        double now = rsp_smpp_now();
        double at = e->pause_until;
        if (e->o.rate > 0 && e->next_send > at)
            at = e->next_send;
        if (now < at) {
            struct timeval tv;
            tv_of(&tv, at - now);
            evtimer_add(e->ev_send, &tv);
            return;
        }
        sub *s = e->qhead;
        e->qhead = s->next;
        if (!e->qhead)
            e->qtail = NULL;
        e->queued--;
        s->pdu.sequence = next_seq(e);
        if (rsp_smpp_io_send(e->bev, &s->pdu, &e->scratch) != RSP_OK) {
            if (s->cb)
                s->cb(s->arg, RSP_ERR_NOMEM, 0, NULL);
            sub_put(e, s);
            continue;
        }
        s->next = NULL;
        s->sent_at = now;
        if (e->out_tail)
            e->out_tail->next = s;
        else
            e->out = s;
        e->out_tail = s;
        if (e->nout++ == 0)
            arm_subto(e);
        e->stats.submitted++;
        if (e->nout > e->stats.max_outstanding)
            e->stats.max_outstanding = e->nout;
        if (e->o.rate > 0)
            e->next_send = (e->next_send > now ? e->next_send : now) + 1.0 / e->o.rate;
    }
}

static sub *take_out(rsp_smpp_esme *e, uint32_t seq)
{
    sub *prev = NULL;
    for (sub *s = e->out; s; prev = s, s = s->next)
        if (s->pdu.sequence == seq) {
            if (prev)
                prev->next = s->next;
            else
                e->out = s->next;
            if (e->out_tail == s)
                e->out_tail = prev;
            s->next = NULL;
            e->nout--;
            if (!prev)
                arm_subto(e); /* the oldest changed */
            return s;
        }
    return NULL;
}

/* A submit_sm_resp that says "not now": pause, then send the same message again (bounded). */
static int throttled(rsp_smpp_esme *e, sub *s, uint32_t status)
{
    if (status != RSP_SMPP_RTHROTTLED && status != RSP_SMPP_RMSGQFUL)
        return 0;
    if (s->throttles >= e->o.throttle_retries) {
        RSP_LOGN(RSP_SS_SMPP, "esme submit throttled too often", "system_id=%s status=0x%X tries=%u",
                 e->system_id, status, s->throttles + 1);
        if (s->cb)
            s->cb(s->arg, RSP_ERR_BUSY, status, NULL);
        sub_put(e, s);
        return 1;
    }
    s->throttles++;
    e->stats.resent_throttle++;
    double until = rsp_smpp_now() + e->throttle_ms / 1000.0;
    if (until > e->pause_until)
        e->pause_until = until;
    RSP_LOGI(RSP_SS_SMPP, "esme throttled by the smsc", "system_id=%s status=0x%X pause_ms=%u", e->system_id,
             status, e->throttle_ms);
    if (e->throttle_ms < 16 * e->o.throttle_ms)
        e->throttle_ms *= 2;
    requeue_front(e, s, s, 1);
    return 1;
}

/* The oldest outstanding submits got no resp in time: resend them (bounded), in order. */
static void subto_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_smpp_esme *e = arg;
    double now = rsp_smpp_now(), lim = e->o.submit_timeout_ms / 1000.0;
    sub *first = NULL, *last = NULL;
    unsigned n = 0;
    while (e->out && now - e->out->sent_at >= lim) {
        sub *s = e->out;
        e->out = s->next;
        if (!e->out)
            e->out_tail = NULL;
        s->next = NULL;
        e->nout--;
        if (s->timeouts >= e->o.submit_retries) {
            e->stats.timed_out++;
            RSP_LOGN(RSP_SS_SMPP, "esme submit unanswered", "system_id=%s dest=%s sends=%u", e->system_id,
                     s->pdu.dest_addr, s->timeouts + 1);
            if (s->cb)
                s->cb(s->arg, RSP_ERR_TIMEOUT, 0, NULL);
            sub_put(e, s);
            continue;
        }
        s->timeouts++;
        e->stats.resent_timeout++;
        if (last)
            last->next = s;
        else
            first = s;
        last = s;
        n++;
    }
    requeue_front(e, first, last, n);
    arm_subto(e);
    pump(e);
}

/* deliver_sm_resp carries an empty message_id (17 bytes), unlike the header-only resps. */
static void deliver_resp(rsp_smpp_esme *e, uint32_t seq, uint32_t status)
{
    uint8_t r[17];
    rsp_put_be32(r, sizeof(r));
    rsp_put_be32(r + 4, RSP_SMPP_DELIVER_SM | RSP_SMPP_RESP);
    rsp_put_be32(r + 8, status);
    rsp_put_be32(r + 12, seq);
    r[16] = 0;
    bufferevent_write(e->bev, r, sizeof(r));
}

static void on_pdu(rsp_smpp_esme *e, const rsp_smpp_pdu *p, rsp_err derr)
{
    if (derr == RSP_ERR_UNSUPPORTED && !(p->command_id & RSP_SMPP_RESP)) {
        rsp_smpp_io_reply(e->bev, RSP_SMPP_GENERIC_NACK, RSP_SMPP_RINVCMDID, p->sequence);
        return;
    }
    if (derr != RSP_OK) {
        rsp_smpp_io_reply(e->bev, RSP_SMPP_GENERIC_NACK, RSP_SMPP_RINVCMDLEN, p->sequence);
        return;
    }
    switch (p->command_id) {
    case RSP_SMPP_BIND_TRANSCEIVER | RSP_SMPP_RESP:
        if (e->st != ST_BINDING)
            return;
        if (p->command_status != RSP_SMPP_ROK) {
            char why[48];
            snprintf(why, sizeof(why), "bind refused, status 0x%X", p->command_status);
            esme_drop(e, why);
            return;
        }
        e->st = ST_BOUND;
        e->stats.binds++;
        e->backoff_ms = e->o.reconnect_min_ms;
        bufferevent_set_timeouts(e->bev, NULL, NULL);
        {
            struct timeval tv = {(time_t)(e->o.enquire_link_ms / 1000), (suseconds_t)(e->o.enquire_link_ms % 1000) * 1000};
            evtimer_add(e->ev_enquire, &tv);
        }
        RSP_LOGI(RSP_SS_SMPP, "esme bound", "system_id=%s smsc=%s", e->system_id, p->system_id);
        if (e->o.on_state)
            e->o.on_state(e->o.arg, 1);
        pump(e);
        return;
    case RSP_SMPP_SUBMIT_SM | RSP_SMPP_RESP:
    case RSP_SMPP_GENERIC_NACK: {
        sub *s = take_out(e, p->sequence);
        if (!s)
            return;
        e->stats.acked++;
        if (p->command_id != RSP_SMPP_GENERIC_NACK && throttled(e, s, p->command_status)) {
            pump(e);
            return;
        }
        e->throttle_ms = e->o.throttle_ms;
        if (s->cb)
            s->cb(s->arg, p->command_status == RSP_SMPP_ROK && p->command_id != RSP_SMPP_GENERIC_NACK ? RSP_OK
                                                                                                   : RSP_ERR_DENIED,
                  p->command_status, p->message_id);
        sub_put(e, s);
        pump(e);
        return;
    }
    case RSP_SMPP_DELIVER_SM: {
        e->stats.delivered++;
        struct bufferevent *bev = e->bev;
        uint32_t st = e->o.on_deliver ? e->o.on_deliver(e->o.arg, p) : RSP_SMPP_ROK;
        if (e->bev != bev || !e->bev)
            return; /* the link dropped inside the callback: no session to answer on */
        if (e->o.hold_deliver_resp) {
            if (e->nheld == e->capheld) {
                size_t cap = e->capheld ? 2 * e->capheld : 64;
                struct held *v = realloc(e->held, cap * sizeof(*v));
                if (!v) {
                    /* Cannot hold it: refuse rather than acknowledge before the receiver is durable. */
                    deliver_resp(e, p->sequence, RSP_SMPP_RSYSERR);
                    return;
                }
                e->held = v;
                e->capheld = cap;
            }
            e->held[e->nheld++] = (struct held){p->sequence, st};
            return;
        }
        deliver_resp(e, p->sequence, st);
        return;
    }
    case RSP_SMPP_ENQUIRE_LINK:
        rsp_smpp_io_reply(e->bev, RSP_SMPP_ENQUIRE_LINK | RSP_SMPP_RESP, 0, p->sequence);
        return;
    case RSP_SMPP_ENQUIRE_LINK | RSP_SMPP_RESP:
        e->enquire_sent = 0;
        e->stats.enquire_acked++;
        return;
    case RSP_SMPP_UNBIND:
        rsp_smpp_io_reply(e->bev, RSP_SMPP_UNBIND | RSP_SMPP_RESP, 0, p->sequence);
        esme_drop(e, "unbound by the SMSC");
        return;
    default:
        return;
    }
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    rsp_smpp_esme *e = arg;
    rsp_smpp_pdu p;
    rsp_err derr;
    rsp_diag d;
    int r;
    rsp_diag_clear(&d);
    /* Stop when the link dropped under us (e->bev changed). */
    while (e->bev == bev && (r = rsp_smpp_io_next(bev, &p, &derr, &d)) != 0) {
        if (r < 0) {
            esme_drop(e, d.msg);
            return;
        }
        on_pdu(e, &p, derr);
    }
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    rsp_smpp_esme *e = arg;
    if (what & BEV_EVENT_CONNECTED) {
        rsp_smpp_pdu b;
        rsp_smpp_pdu_init(&b, RSP_SMPP_BIND_TRANSCEIVER, next_seq(e));
        memcpy(b.system_id, e->system_id, sizeof(b.system_id));
        memcpy(b.password, e->password, sizeof(b.password));
        memcpy(b.system_type, e->system_type, sizeof(b.system_type));
        memcpy(b.address_range, e->address_range, sizeof(b.address_range));
        b.interface_version = 0x34;
        e->st = ST_BINDING;
        rsp_smpp_io_send(e->bev, &b, &e->scratch);
        return;
    }
    esme_drop(e, what & BEV_EVENT_TIMEOUT ? "timeout" : what & BEV_EVENT_EOF ? "closed by peer" : "socket error");
}

static void esme_connect(rsp_smpp_esme *e)
{
    struct addrinfo hints = {0}, *ai = NULL;
    char port[8];
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%u", e->o.port);
    e->stats.connects++;
    if (getaddrinfo(e->host, port, &hints, &ai) != 0 || !ai) {
        esme_drop(e, "cannot resolve host");
        return;
    }
    e->bev = bufferevent_socket_new(e->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!e->bev) {
        freeaddrinfo(ai);
        esme_drop(e, "out of memory");
        return;
    }
    bufferevent_setcb(e->bev, read_cb, NULL, event_cb, e);
    struct timeval tv = {(time_t)(e->o.response_timeout_ms / 1000), (suseconds_t)(e->o.response_timeout_ms % 1000) * 1000};
    bufferevent_set_timeouts(e->bev, &tv, NULL); /* connect + bind must finish in time */
    bufferevent_setwatermark(e->bev, EV_READ, 0, 8 * RSP_SMPP_MAX_PDU);
    bufferevent_enable(e->bev, EV_READ | EV_WRITE);
    e->st = ST_CONNECTING;
    int rc = bufferevent_socket_connect(e->bev, ai->ai_addr, (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc != 0) {
        esme_drop(e, "connect failed");
        return;
    }
    int one = 1; /* PDUs are small and latency-bound */
    setsockopt(bufferevent_getfd(e->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    esme_connect(arg);
}

static void send_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pump(arg);
}

static void enquire_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_smpp_esme *e = arg;
    if (e->st != ST_BOUND)
        return;
    double now = rsp_smpp_now();
    if (e->enquire_sent > 0 && now - e->enquire_sent > e->o.response_timeout_ms / 1000.0) {
        esme_drop(e, "enquire_link not answered");
        return;
    }
    if (e->enquire_sent == 0) {
        rsp_smpp_io_reply(e->bev, RSP_SMPP_ENQUIRE_LINK, 0, next_seq(e));
        e->enquire_sent = now;
        e->stats.enquire_sent++;
    }
    unsigned ms = e->o.enquire_link_ms < e->o.response_timeout_ms ? e->o.enquire_link_ms : e->o.response_timeout_ms;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(e->ev_enquire, &tv);
}

static int copy_str(char *dst, size_t n, const char *src)
{
    if (!src)
        src = "";
    if (strlen(src) >= n)
        return -1;
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

rsp_err rsp_smpp_esme_new(struct event_base *base, const rsp_smpp_esme_opts *opts, rsp_smpp_esme **out)
{
    if (!base || !opts || !opts->host || !opts->system_id || !out)
        return RSP_ERR_INVAL;
    rsp_smpp_esme *e = calloc(1, sizeof(*e));
    if (!e)
        return RSP_ERR_NOMEM;
    if (copy_str(e->host, sizeof(e->host), opts->host) || copy_str(e->system_id, sizeof(e->system_id), opts->system_id) ||
        copy_str(e->password, sizeof(e->password), opts->password) ||
        copy_str(e->system_type, sizeof(e->system_type), opts->system_type) ||
        copy_str(e->address_range, sizeof(e->address_range), opts->address_range)) {
        free(e);
        return RSP_ERR_RANGE;
    }
    e->base = base;
    e->o = *opts;
    e->o.host = e->o.system_id = e->o.password = e->o.system_type = e->o.address_range = NULL;
    if (!e->o.window) e->o.window = 10;
    if (!e->o.enquire_link_ms) e->o.enquire_link_ms = 30000;
    if (!e->o.response_timeout_ms) e->o.response_timeout_ms = 10000;
    if (!e->o.reconnect_min_ms) e->o.reconnect_min_ms = 200;
    if (!e->o.reconnect_max_ms) e->o.reconnect_max_ms = 30000;
    if (!e->o.max_queue) e->o.max_queue = 10000;
    if (!e->o.submit_timeout_ms) e->o.submit_timeout_ms = e->o.response_timeout_ms;
    if (!e->o.submit_retries) e->o.submit_retries = 2;
    if (!e->o.throttle_ms) e->o.throttle_ms = 1000;
    if (!e->o.throttle_retries) e->o.throttle_retries = 20;
    e->throttle_ms = e->o.throttle_ms;
    e->backoff_ms = e->o.reconnect_min_ms;
    e->ev_reconnect = evtimer_new(base, reconnect_cb, e);
    e->ev_enquire = evtimer_new(base, enquire_cb, e);
    e->ev_send = evtimer_new(base, send_cb, e);
    e->ev_subto = evtimer_new(base, subto_cb, e);
    if (!e->ev_reconnect || !e->ev_enquire || !e->ev_send || !e->ev_subto) {
        rsp_smpp_esme_free(e);
        return RSP_ERR_NOMEM;
    }
    esme_connect(e);
    *out = e;
    return RSP_OK;
}

rsp_err rsp_smpp_esme_submit(rsp_smpp_esme *e, const rsp_smpp_pdu *sm, rsp_smpp_submit_fn cb, void *arg)
{
    if (!e || !sm || sm->sm_length > RSP_SMPP_MAX_SM)
        return RSP_ERR_INVAL;
    if (e->queued >= e->o.max_queue)
        return RSP_ERR_BUSY;
    sub *s = sub_new(e);
    if (!s)
        return RSP_ERR_NOMEM;
    s->pdu = *sm;
    s->pdu.command_id = RSP_SMPP_SUBMIT_SM;
    s->pdu.command_status = 0;
    s->cb = cb;
    s->arg = arg;
    if (e->qtail)
        e->qtail->next = s;
    else
        e->qhead = s;
    e->qtail = s;
    e->queued++;
    pump(e);
    return RSP_OK;
}

int rsp_smpp_esme_bound(const rsp_smpp_esme *e) { return e && e->st == ST_BOUND; }

size_t rsp_smpp_esme_release(rsp_smpp_esme *e, uint32_t fail_status)
{
    if (!e || !e->nheld)
        return 0;
    size_t n = e->nheld;
    e->nheld = 0;
    for (size_t k = 0; e->bev && k < n; k++) {
        uint32_t st = e->held[k].status == RSP_SMPP_ROK && fail_status ? fail_status : e->held[k].status;
        deliver_resp(e, e->held[k].seq, st);
    }
    return e->bev ? n : 0;
}

size_t rsp_smpp_esme_held(const rsp_smpp_esme *e) { return e ? e->nheld : 0; }

void rsp_smpp_esme_stats_get(const rsp_smpp_esme *e, rsp_smpp_esme_stats *out) { *out = e->stats; }

static void fail_list(sub *s)
{
    while (s) {
        sub *n = s->next;
        if (s->cb)
            s->cb(s->arg, RSP_ERR_STATE, 0, NULL);
        free(s);
        s = n;
    }
}

void rsp_smpp_esme_free(rsp_smpp_esme *e)
{
    if (!e)
        return;
    if (e->bev)
        bufferevent_free(e->bev);
    if (e->ev_reconnect) event_free(e->ev_reconnect);
    if (e->ev_enquire) event_free(e->ev_enquire);
    if (e->ev_send) event_free(e->ev_send);
    if (e->ev_subto) event_free(e->ev_subto);
    fail_list(e->out);
    fail_list(e->qhead);
    free(e->held);
    rsp_buf_free(&e->scratch);
    while (e->spare) {
        sub *n = e->spare->next;
        free(e->spare);
        e->spare = n;
    }
    free(e);
}
