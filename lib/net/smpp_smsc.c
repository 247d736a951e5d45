/* A small SMSC: accepts binds, routes submit_sm by destination address to the bound ESME that
 * registered it, delivers as deliver_sm and produces delivery receipts on request.
 *
 * Address registration: an ESME receives for its system_id and for each entry of its bind
 * address_range, a list separated by commas or spaces where an entry ending in '*' is a prefix
 * ("4477*"). No store-and-forward: a destination nobody registered is refused with ESME_RINVDSTADR. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "rsp/heap.h"
#include "rsp/log.h"
#include "listen.h"
#include "smpp_int.h"

typedef struct dlv { /* a deliver_sm awaiting its resp */
    struct dlv *next;
    uint32_t seq;
    char msg_id[17], orig_system[16], src[21], dst[21];
    uint8_t reg;
    time_t submitted;
} dlv;

typedef struct sess {
    rsp_smpp_smsc *smsc;
    struct bufferevent *bev;
    struct sess *prev, *next;
    int bound, closing;
    char system_id[16], addrs[41], peer[64];
    uint32_t seq;
    dlv *pending;     /* oldest first: resps come back mostly in order, so a match is found at once */
    dlv **pending_end; /* &next of the newest (or &pending) */
} sess;

struct rsp_smpp_smsc {
    struct event_base *base;
    struct evconnlistener *lis;
    rsp_smpp_account *accounts;
    size_t naccounts;
    char *account_strs;
    sess *sessions;
    uint64_t next_msg;
    uint16_t port;
    rsp_smpp_smsc_faults faults;
    dlv *spare; /* freed records, reused: no allocation per message once warm */
    size_t nspare; /* at most 4096 kept */
    rsp_buf scratch; /* PDU encoding, reused */
};

static dlv *dlv_new(rsp_smpp_smsc *m)
{
    dlv *d = m->spare;
    if (d) {
        m->spare = d->next;
        m->nspare--;
    } else if (!(d = malloc(sizeof(*d))))
        return NULL;
    memset(d, 0, sizeof(*d));
    return d;
}

static void dlv_put(rsp_smpp_smsc *m, dlv *d)
{
    if (m->nspare >= 4096) {
        free(d);
        return;
    }
    d->next = m->spare;
    m->spare = d;
    m->nspare++;
}

static void send_receipt(rsp_smpp_smsc *m, const dlv *d, int delivered);

static void sess_free(sess *s)
{
    /* Messages the device never acknowledged: tell the sender they were not delivered. */
    dlv *d = s->pending;
    s->pending = NULL;
    s->pending_end = &s->pending;
    while (d) {
        dlv *n = d->next;
        send_receipt(s->smsc, d, 0);
        dlv_put(s->smsc, d);
        d = n;
    }
    if (s->prev)
        s->prev->next = s->next;
    else
        s->smsc->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (s->bound)
        RSP_LOGN(RSP_SS_SMSC, "unbound", "system_id=%s peer=%s", s->system_id, s->peer);
    bufferevent_free(s->bev);
    free(s);
}

static int addr_match(const sess *s, const char *addr)
{
    if (!s->bound || !addr[0])
        return 0;
    if (!strcmp(s->system_id, addr))
        return 1;
    const char *p = s->addrs;
    while (*p) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t n = strcspn(p, ", ");
        if (n && p[n - 1] == '*' ? !strncmp(p, addr, n - 1)
              : n && strlen(addr) == n && !strncmp(p, addr, n))
            return 1;
        p += n;
    }
    return 0;
}

static sess *route(rsp_smpp_smsc *m, const char *addr)
{
    for (sess *s = m->sessions; s; s = s->next)
        if (!s->closing && addr_match(s, addr))
            return s;
    return NULL;
}

static uint32_t sess_seq(sess *s)
{
    s->seq = s->seq >= 0x7FFFFFFFu ? 1 : s->seq + 1;
    return s->seq;
}

static void send_receipt(rsp_smpp_smsc *m, const dlv *d, int delivered)
{
    /* registered_delivery bits 0-1: 1 = receipt always, 2 = on failure only. */
    int want = d->reg & 3;
    if (want == 0 || (want == 2 && delivered))
        return;
    sess *to = NULL;
    for (sess *s = m->sessions; s; s = s->next)
        if (s->bound && !s->closing && !strcmp(s->system_id, d->orig_system))
            to = s;
    if (!to)
        return;
    rsp_smpp_pdu r;
    rsp_smpp_pdu_init(&r, RSP_SMPP_DELIVER_SM, sess_seq(to));
    memcpy(r.source_addr, d->dst, sizeof(r.source_addr));
    memcpy(r.dest_addr, d->src, sizeof(r.dest_addr));
    r.esm_class = RSP_SMPP_ESM_RECEIPT;
    char sub[64], done[64];
    time_t now = time(NULL);
    struct tm tm;
    /* SMPP 3.4 Appendix B dates are YYMMDDhhmm: two-digit years by definition. */
    gmtime_r(&d->submitted, &tm);
    snprintf(sub, sizeof(sub), "%02d%02d%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min);
    gmtime_r(&now, &tm);
    snprintf(done, sizeof(done), "%02d%02d%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min);
    int n = snprintf((char *)r.short_message, sizeof(r.short_message),
                     "id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:000 text:", d->msg_id,
                     delivered ? "001" : "000", sub, done, delivered ? "DELIVRD" : "UNDELIV");
    r.sm_length = (uint8_t)(n > 0 && (size_t)n < sizeof(r.short_message) ? n : 0);
    memcpy(r.receipted_message_id, d->msg_id, sizeof(d->msg_id));
    r.message_state = delivered ? RSP_SMPP_STATE_DELIVERED : RSP_SMPP_STATE_UNDELIVERABLE;
    rsp_smpp_io_send(to->bev, &r, &m->scratch);
    RSP_LOGD(RSP_SS_SMSC, "receipt", "id=%s to=%s stat=%s", d->msg_id, to->system_id, delivered ? "DELIVRD" : "UNDELIV");
}

static int account_ok(const rsp_smpp_smsc *m, const rsp_smpp_pdu *p, uint32_t *status)
{
    if (!m->accounts)
        return 1;
    for (size_t i = 0; i < m->naccounts; i++)
        if (!strcmp(m->accounts[i].system_id, p->system_id)) {
            if (!strcmp(m->accounts[i].password, p->password))
                return 1;
            *status = RSP_SMPP_RINVPASWD;
            return 0;
        }
    *status = RSP_SMPP_RBINDFAIL;
    return 0;
}

static void on_bind(sess *s, const rsp_smpp_pdu *p)
{
    rsp_smpp_pdu r;
    rsp_smpp_pdu_init(&r, p->command_id | RSP_SMPP_RESP, p->sequence);
    snprintf(r.system_id, sizeof(r.system_id), "rsp-smsc");
    uint32_t st = RSP_SMPP_ROK;
    if (s->bound)
        st = RSP_SMPP_RALYBND;
    else if (!p->system_id[0])
        st = RSP_SMPP_RBINDFAIL;
    else if (account_ok(s->smsc, p, &st)) {
        s->bound = 1;
        memcpy(s->system_id, p->system_id, sizeof(s->system_id));
        memcpy(s->addrs, p->address_range, sizeof(s->addrs));
        RSP_LOGN(RSP_SS_SMSC, "bound", "system_id=%s addresses=\"%s\" peer=%s", s->system_id, s->addrs, s->peer);
    } else {
        RSP_LOGN(RSP_SS_SMSC, "bind refused", "system_id=%s status=0x%X peer=%s", p->system_id, st, s->peer);
    }
    r.command_status = st;
    rsp_smpp_io_send(s->bev, &r, &s->smsc->scratch);
}

/* Test faults: 0 none, 1 the submit was consumed by one, -1 consumed and the session freed. */
static int inject_fault(sess *s, const rsp_smpp_pdu *p)
{
    rsp_smpp_smsc_faults *f = &s->smsc->faults;
    if (f->drop_after_submits && --f->drop_after_submits == 0) {
        RSP_LOGN(RSP_SS_SMSC, "fault: dropping the link", "system_id=%s", s->system_id);
        sess_free(s);
        return -1;
    }
    if (f->withhold_next) {
        f->withhold_next--;
        RSP_LOGN(RSP_SS_SMSC, "fault: submit swallowed", "system_id=%s seq=%u", s->system_id, p->sequence);
        return 1;
    }
    if (f->refuse_next) {
        f->refuse_next--;
        rsp_smpp_io_reply(s->bev, RSP_SMPP_SUBMIT_SM | RSP_SMPP_RESP,
                          f->refuse_status ? f->refuse_status : RSP_SMPP_RTHROTTLED, p->sequence);
        return 1;
    }
    return 0;
}

void rsp_smpp_smsc_set_faults(rsp_smpp_smsc *m, const rsp_smpp_smsc_faults *f) { m->faults = *f; }

/* Returns 0 when s was freed. */
static int on_submit(sess *s, const rsp_smpp_pdu *p)
{
    rsp_smpp_smsc *m = s->smsc;
    int fault = s->bound ? inject_fault(s, p) : 0;
    if (fault)
        return fault > 0;
    rsp_smpp_pdu r;
    rsp_smpp_pdu_init(&r, RSP_SMPP_SUBMIT_SM | RSP_SMPP_RESP, p->sequence);
    sess *to = s->bound ? route(m, p->dest_addr) : NULL;
    if (!s->bound || !to) {
        r.command_status = s->bound ? RSP_SMPP_RINVDSTADR : RSP_SMPP_RINVBNDSTS;
        RSP_LOGN(RSP_SS_SMSC, "submit refused", "from=%s to=%s status=0x%X", s->system_id, p->dest_addr,
                 r.command_status);
        rsp_smpp_io_send(s->bev, &r, &s->smsc->scratch);
        return 1;
    }
    dlv *d = dlv_new(m);
    if (!d) {
        r.command_status = RSP_SMPP_RMSGQFUL;
        rsp_smpp_io_send(s->bev, &r, &s->smsc->scratch);
        return 1;
    }
    snprintf(d->msg_id, sizeof(d->msg_id), "%llX", (unsigned long long)++m->next_msg);
    memcpy(r.message_id, d->msg_id, sizeof(d->msg_id));
    rsp_smpp_io_send(s->bev, &r, &s->smsc->scratch);

    rsp_smpp_pdu dv = *p;
    dv.command_id = RSP_SMPP_DELIVER_SM;
    dv.command_status = 0;
    dv.sequence = sess_seq(to);
    dv.registered_delivery = 0;
    dv.receipted_message_id[0] = 0;
    dv.message_state = -1;
    dv.schedule_delivery_time[0] = dv.validity_period[0] = 0; /* must be NULL in deliver_sm */
    d->seq = dv.sequence;
    memcpy(d->orig_system, s->system_id, sizeof(d->orig_system));
    memcpy(d->src, p->source_addr, sizeof(d->src));
    memcpy(d->dst, p->dest_addr, sizeof(d->dst));
    d->reg = p->registered_delivery;
    d->submitted = time(NULL);
    *to->pending_end = d;
    to->pending_end = &d->next;
    rsp_smpp_io_send(to->bev, &dv, &m->scratch);
    /* Per message: DEBUG (RSP_LOG_LEVEL=debug), so a busy SMSC does not pay a log write per SMS. */
    RSP_LOGD(RSP_SS_SMSC, "submit", "id=%s from=%s to=%s via=%s esm=0x%02X pid=0x%02X dcs=0x%02X len=%u", d->msg_id,
             p->source_addr, p->dest_addr, to->system_id, p->esm_class, p->protocol_id, p->data_coding, p->sm_length);
    return 1;
}

static void on_deliver_resp(sess *s, const rsp_smpp_pdu *p)
{
    for (dlv **pp = &s->pending; *pp; pp = &(*pp)->next)
        if ((*pp)->seq == p->sequence) {
            dlv *d = *pp;
            *pp = d->next;
            if (!d->next)
                s->pending_end = pp;
            send_receipt(s->smsc, d, p->command_status == RSP_SMPP_ROK);
            dlv_put(s->smsc, d);
            return;
        }
    /* Receipts are not tracked: their resps land here and are ignored. */
}

static void sess_read_cb(struct bufferevent *bev, void *arg)
{
    sess *s = arg;
    rsp_smpp_pdu p;
    rsp_err derr;
    rsp_diag d;
    int r;
    rsp_diag_clear(&d);
    while (!s->closing && (r = rsp_smpp_io_next(bev, &p, &derr, &d)) != 0) {
        if (r < 0) {
            RSP_LOGN(RSP_SS_SMSC, "unframeable input, closing", "peer=%s why=\"%s\"", s->peer, d.msg);
            sess_free(s);
            return;
        }
        if (derr != RSP_OK) {
            RSP_LOGI(RSP_SS_SMSC, "bad pdu", "peer=%s why=\"%s\"", s->peer, d.msg);
            if (!(p.command_id & RSP_SMPP_RESP))
                rsp_smpp_io_reply(bev, RSP_SMPP_GENERIC_NACK,
                                  derr == RSP_ERR_UNSUPPORTED ? RSP_SMPP_RINVCMDID : RSP_SMPP_RINVCMDLEN, p.sequence);
            rsp_diag_clear(&d);
            continue;
        }
        switch (p.command_id) {
        case RSP_SMPP_BIND_TRANSCEIVER:
        case RSP_SMPP_BIND_TRANSMITTER:
        case RSP_SMPP_BIND_RECEIVER:
            on_bind(s, &p);
            break;
        case RSP_SMPP_SUBMIT_SM:
            if (!on_submit(s, &p))
                return;
            break;
        case RSP_SMPP_DELIVER_SM | RSP_SMPP_RESP:
            on_deliver_resp(s, &p);
            break;
        case RSP_SMPP_ENQUIRE_LINK:
            rsp_smpp_io_reply(bev, RSP_SMPP_ENQUIRE_LINK | RSP_SMPP_RESP, 0, p.sequence);
            break;
        case RSP_SMPP_UNBIND:
            rsp_smpp_io_reply(bev, RSP_SMPP_UNBIND | RSP_SMPP_RESP, 0, p.sequence);
            s->closing = 1; /* freed once the resp is flushed */
            break;
        case RSP_SMPP_DELIVER_SM:
            rsp_smpp_io_reply(bev, RSP_SMPP_GENERIC_NACK, RSP_SMPP_RINVCMDID, p.sequence);
            break;
        default:
            break; /* stray responses */
        }
    }
}

static void sess_write_cb(struct bufferevent *bev, void *arg)
{
    sess *s = arg;
    if (s->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        sess_free(s);
}

static void sess_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    (void)what;
    sess_free(arg);
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)lis;
    rsp_smpp_smsc *m = arg;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sess *s = calloc(1, sizeof(*s));
    if (!s || !(s->bev = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
        free(s);
        evutil_closesocket(fd);
        return;
    }
    char host[46] = "?", serv[8] = "?";
    getnameinfo(sa, (socklen_t)salen, host, sizeof(host), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
    snprintf(s->peer, sizeof(s->peer), "%s:%s", host, serv);
    s->smsc = m;
    s->pending_end = &s->pending;
    s->next = m->sessions;
    if (s->next)
        s->next->prev = s;
    m->sessions = s;
    bufferevent_setcb(s->bev, sess_read_cb, sess_write_cb, sess_event_cb, s);
    bufferevent_setwatermark(s->bev, EV_READ, 0, 8 * RSP_SMPP_MAX_PDU);
    bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

rsp_err rsp_smpp_smsc_new(struct event_base *base, const rsp_smpp_smsc_opts *opts, rsp_smpp_smsc **out)
{
    if (!base || !opts || !out)
        return RSP_ERR_INVAL;
    rsp_heap_tune_daemon(); /* `rsp smsc` is a daemon: see rsp/heap.h */
    rsp_smpp_smsc *m = calloc(1, sizeof(*m));
    if (!m)
        return RSP_ERR_NOMEM;
    m->base = base;
    if (opts->accounts) {
        /* Copy the accounts: one array plus one block of strings. */
        size_t total = 0;
        for (size_t i = 0; i < opts->naccounts; i++)
            total += strlen(opts->accounts[i].system_id) + strlen(opts->accounts[i].password) + 2;
        m->accounts = calloc(opts->naccounts ? opts->naccounts : 1, sizeof(*m->accounts));
        m->account_strs = malloc(total ? total : 1);
        if (!m->accounts || !m->account_strs) {
            rsp_smpp_smsc_free(m);
            return RSP_ERR_NOMEM;
        }
        char *p = m->account_strs;
        for (size_t i = 0; i < opts->naccounts; i++) {
            size_t a = strlen(opts->accounts[i].system_id) + 1, b = strlen(opts->accounts[i].password) + 1;
            m->accounts[i].system_id = memcpy(p, opts->accounts[i].system_id, a);
            m->accounts[i].password = memcpy(p + a, opts->accounts[i].password, b);
            p += a + b;
        }
        m->naccounts = opts->naccounts;
    }
    rsp_err e = rsp_net_listen(base, opts->host, opts->port, accept_cb, m, &m->lis, &m->port);
    if (e) {
        rsp_smpp_smsc_free(m);
        return e;
    }
    *out = m;
    return RSP_OK;
}

uint16_t rsp_smpp_smsc_port(const rsp_smpp_smsc *m) { return m ? m->port : 0; }

unsigned rsp_smpp_smsc_drop(rsp_smpp_smsc *m, const char *system_id)
{
    unsigned n = 0;
    sess *s = m->sessions;
    while (s) {
        sess *next = s->next;
        if (s->bound && !strcmp(s->system_id, system_id)) {
            sess_free(s);
            n++;
        }
        s = next;
    }
    return n;
}

void rsp_smpp_smsc_free(rsp_smpp_smsc *m)
{
    if (!m)
        return;
    if (m->lis)
        evconnlistener_free(m->lis);
    /* No receipts on shutdown: forget pending deliveries first. */
    for (sess *s = m->sessions; s; s = s->next)
        while (s->pending) {
            dlv *d = s->pending;
            s->pending = d->next;
            free(d);
        }
    while (m->spare) {
        dlv *d = m->spare;
        m->spare = d->next;
        free(d);
    }
    while (m->sessions)
        sess_free(m->sessions);
    free(m->accounts);
    free(m->account_strs);
    rsp_buf_free(&m->scratch);
    free(m);
}
