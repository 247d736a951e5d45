/* Internals shared by the svc files: the object itself and the callback sender. */
#ifndef RSP_SVC_INT_H
#define RSP_SVC_INT_H

#include "rsp/svc.h"
#include "rsp/tls.h"

#define SVC_MAX_CAS 8
#define SVC_MAX_DESTS 64

typedef struct svc_dest svc_dest; /* one callback destination (host:port), svc_send.c */

struct rsp_svc {
    rsp_svc_opts o;
    char name[32];
    struct event_base *base;
    int own_base;
    rsp_tls_ctx *stls, *ctls;
    rsp_http_server *https, *mhttp;
    rsp_es_endpoint *ep;
    rsp_metrics *metrics;
    struct event *ev_term, *ev_int, *ev_hup, *ev_stop;
    int stopping, stopped;
    double stop_deadline;
    uint64_t next_id;
    svc_dest *dests;
    unsigned ndests;
    size_t queued; /* callbacks not yet answered, all destinations */
    rsp_metric *m_routes, *m_es_status, *m_callbacks;
    rsp_svc_outbox *outbox; /* NULL, or the durable outbox (svc_outbox.c), owned */
    int dispatch_wait;      /* while an ES handler runs: its request asked Prefer: wait */
    /* group commit (svc.c rsp_svc_run) */
    struct event *ev_turn_end; /* activated by the batch's first write: ends the turn */
    int in_loop;               /* inside event_base_loop */
    unsigned turn_calls;       /* ES calls dispatched in this turn */
};

/* https://host[:port][/path] (the URL comes from outside: a request's ReplyTo) -> host, port (443 when
 * absent, never 0) and path (borrowed from url, "/" when absent). Fuzzed by fuzz/fuzz_svc_url.c. */
rsp_err rsp_svc_parse_url(const char *url, char *host, size_t hostsz, uint16_t *port, const char **path);
void rsp_svc_send_free_all(rsp_svc *s);
double rsp_svc_now(void);
/* The outbox's side of the svc (svc_outbox.c): every send outcome, the stop, the free. */
void rsp_svc__outbox_delivered(rsp_svc_outbox *ob, const rsp_svc_delivery *d);
void rsp_svc__outbox_stop(rsp_svc_outbox *ob);
void rsp_svc__outbox_free(rsp_svc_outbox *ob);

#endif
