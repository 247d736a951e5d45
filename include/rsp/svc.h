/* The service shell shared by the daemons (rsp smsr, rsp smdp): one object that owns the event loop,
 * signals, the HTTPS listener with mutual TLS, routing (/metrics, /health, everything else to the ES
 * endpoint), the HTTPS callback sender and the metrics registry. docs/modules/svc.md.
 *
 * A daemon fills rsp_svc_opts (rsp_svc_opts_from_config reads its config section), creates the svc,
 * registers its own metrics on rsp_svc_metrics(), starts its workers on rsp_svc_base() and calls
 * rsp_svc_run(). SIGTERM/SIGINT (or rsp_svc_stop) stop it gracefully: the listeners close, idle
 * connections close, the daemon's stop hook runs, requests already with a handler are still answered
 * (up to stop_grace_ms), callbacks still queued are still sent, then rsp_svc_run returns.
 * Single-threaded: every call on the loop's thread. */
#ifndef RSP_SVC_H
#define RSP_SVC_H

#include <stddef.h>
#include <stdint.h>

#include "rsp/config.h"
#include "rsp/err.h"
#include "rsp/es_endpoint.h"
#include "rsp/http.h"
#include "rsp/log.h"
#include "rsp/metrics.h"

struct event_base;

typedef struct rsp_svc rsp_svc;

/* The outcome of one callback POST (rsp_svc_send). err RSP_OK means the peer answered 2xx; otherwise
 * status is the HTTP status (0 when there was no answer: RSP_ERR_NET, RSP_ERR_TIMEOUT, ...). The
 * message was not necessarily processed by the peer when err != RSP_OK: a durable outbox retries. */
typedef struct rsp_svc_delivery {
    uint64_t id; /* as returned by rsp_svc_send */
    const char *url; /* valid during the callback only */
    rsp_err err;
    int status;
} rsp_svc_delivery;
typedef void (*rsp_svc_delivered_fn)(void *arg, const rsp_svc_delivery *d);

/* Lifecycle hooks of the daemon. stop: called once when a graceful stop begins, to stop taking work
 * and to finish (or reject) ES calls it holds; hup: SIGHUP (reload), only installed when set. */
typedef void (*rsp_svc_hook_fn)(void *arg, rsp_svc *svc);

typedef struct rsp_svc_opts {
    const char *name;          /* daemon name, e.g. "smsr": "name=" in log lines, label of rsp_build_info */
    rsp_log_subsys log_ss;     /* subsystem of the svc's own log lines (RSP_SS_SMSR, RSP_SS_SMDP) */
    struct event_base *base;   /* NULL: the svc makes its own (and frees it) */
    /* HTTPS listener with mutual TLS */
    const char *listen;        /* "host:port", "[v6]:port"; port 0 = ephemeral */
    const char *tls_cert, *tls_key; /* our certificate chain and key (PEM): server and callback client */
    const char *tls_ca;        /* comma-separated CA files: client certificates must chain to one; also the
                                * trust store for callback servers */
    const char *port_file;     /* NULL, or a file that receives the bound port ("PORT\n", atomically) */
    const char *metrics_listen; /* NULL, or "host:port" of a plain-HTTP listener for /metrics and /health */
    unsigned max_connections;  /* per listener; 0 = 1024 */
    rsp_http_limits limits;    /* 0 = the HTTP defaults */
    unsigned read_timeout_ms, idle_timeout_ms; /* 0 = the HTTP defaults */
    unsigned stop_grace_ms;    /* how long a stop waits for in-flight answers and callbacks; 0 = 10 s */
    int no_signals;            /* tests: do not handle SIGTERM/SIGINT/SIGHUP */
    /* ES endpoint */
    const rsp_es_handler *handlers; /* borrowed; must outlive the svc */
    size_t n_handlers;
    const char *self_address;  /* From in callbacks; may be NULL; borrowed, must outlive the svc */
    rsp_es_limits es_limits;
    /* Callbacks: the endpoint's results go out through es_send when set (the daemon decides, e.g.
     * rsp_svc_outbox_put); else through the durable outbox once rsp_svc_outbox_new attached one
     * (stored first, then sent); else rsp_svc_send directly. */
    rsp_es_send_fn es_send;
    void *es_send_ctx;
    rsp_svc_delivered_fn on_delivered; /* every rsp_svc_send outcome; may be NULL */
    void *delivered_arg;
    size_t callback_queue;     /* callbacks waiting per destination before RSP_ERR_BUSY; 0 = 1000 */
    size_t max_pending;        /* ES calls accepted and not finished; more are answered 503; 0 = 10000 */
    unsigned callback_timeout_ms; /* connect + answer of one callback; 0 = 30 s */
    /* lifecycle */
    rsp_svc_hook_fn on_stop, on_hup;
    void *hook_arg;
    /* Group commit (docs/modules/svc.md "Group commit"; added last, zero = off). With batch_store set,
     * rsp_svc_run opens a store batch (rsp_store_batch_begin) for every loop turn and commits it
     * before libevent polls again, so the turn's writes cost one durable commit; answers and
     * callbacks made in the turn (lib/net stages them) and SMPP PDUs (written on the next poll) leave
     * only after it. A turn that writes ends there (the rest of libevent's ready callbacks run in the
     * next turn). If the commit fails, rsp_svc_run returns its error at once without polling again:
     * nothing decided in the turn leaves the process, and the daemon must exit (a restart resumes
     * from the store, as after kill -9). batch_store is borrowed and must be the connection every
     * writer on this loop uses. */
    struct rsp_store *batch_store;
    /* Called at the end of every turn, before the commit, with the ES calls handed to the endpoint
     * in that turn (the daemon's work that waits for the turn: claim what was submitted, answer what
     * settled). May be NULL. */
    void (*on_turn)(void *arg, rsp_svc *svc, unsigned es_calls);
} rsp_svc_opts;

/* Fills o from [section] of c (listen, tls_cert, tls_key, tls_ca, port_file, metrics_listen,
 * max_connections, max_pending, stop_grace_ms, callback_queue, callback_timeout_ms; docs/CONFIG.md) and sets
 * name = section. Strings are borrowed from c. Other fields are left as they were. */
rsp_err rsp_svc_opts_from_config(const rsp_config *c, const char *section, rsp_svc_opts *o, rsp_diag *diag);

/* Loads the TLS material, binds the listener(s), writes port_file, registers the svc's metrics. The
 * option strings are read during this call only, except self_address and handlers (kept).
 * RSP_ERR_INVAL for missing/bad options, RSP_ERR_NET when an address cannot be bound, TLS errors as
 * rsp_tls_server_mtls_new returns them; diag names what failed. */
rsp_err rsp_svc_new(const rsp_svc_opts *o, rsp_svc **out, rsp_diag *diag);
/* Runs the loop until a stop has completed. */
rsp_err rsp_svc_run(rsp_svc *s);
/* Begins a graceful stop, as SIGTERM does (idempotent). */
void rsp_svc_stop(rsp_svc *s);
int rsp_svc_stopping(const rsp_svc *s);
/* Frees everything (callbacks not yet sent are reported as RSP_ERR_STATE to on_delivered). */
void rsp_svc_free(rsp_svc *s);

struct event_base *rsp_svc_base(rsp_svc *s);
rsp_metrics *rsp_svc_metrics(rsp_svc *s);      /* register the daemon's metrics here */
/* The one /metrics (GET only, Prometheus text) and /health (200 ok, 503 stopping) answer, for daemons
 * with HTTP servers of their own (rsp smdpp run, rsp smds run): 1 (/metrics) or 2 (/health) when req's
 * path (its query ignored) was one of them and is answered, 0 when it is neither. */
int rsp_svc_http_ops(rsp_http_req *req, rsp_metrics *m, bool stopping);
rsp_es_endpoint *rsp_svc_endpoint(rsp_svc *s);
uint16_t rsp_svc_port(const rsp_svc *s);        /* the HTTPS port bound */
uint16_t rsp_svc_metrics_port(const rsp_svc *s); /* 0 without metrics_listen */

/* Queues a POST of body to url ("https://host[:port]/path"; host a name, IPv4 or [IPv6]) over a
 * kept-alive mTLS connection per host:port, with Content-Type ctype and, when action is set,
 * SOAPAction: "action". Copies everything. *id (may be NULL) identifies the outcome reported to
 * on_delivered. RSP_ERR_INVAL for a bad URL or header value, RSP_ERR_BUSY when the destination's
 * queue is full, RSP_ERR_STATE once a stop has finished. */
rsp_err rsp_svc_send(rsp_svc *s, const char *url, const char *ctype, const char *action, const uint8_t *body,
                     size_t len, uint64_t *id);

/* ---- Durable outbox (lib/svc/svc_outbox.c, docs/modules/svc.md "Outbox") ----
 * Once created, every callback of the ES endpoint is stored in the store's outbox before any
 * attempt (instead of going to es_send), and a pump on the svc's loop claims due rows under a
 * lease, POSTs them with rsp_svc_send, marks them sent on a 2xx and otherwise retries with a
 * doubling back-off (retry_min_s, 2x, ... capped at retry_max_s) until max_age_s after the message
 * was stored, when it is dead. At least once: a crash between the POST and the "sent" commit resends
 * after the lease. Several workers on one store share the rows (never the same row at once). */
struct rsp_store;
typedef struct rsp_svc_outbox rsp_svc_outbox;

typedef struct rsp_svc_outbox_opts {
    struct rsp_store *st;      /* borrowed: a connection used on the svc's loop only; outlives the svc */
    const char *owner;         /* the daemon's rows ("smsr"); copied */
    const char *worker;        /* lease holder name; copied */
    unsigned tick_ms;          /* pump period; 0 = 200 */
    unsigned retry_min_s;      /* first back-off; 0 = 1 */
    unsigned retry_max_s;      /* back-off cap; 0 = 300 */
    unsigned max_age_s;        /* dead when not delivered this long after being stored; 0 = 86400 */
    unsigned lease_s;          /* a claim's hold (longer than callback_timeout_ms); 0 = 60 */
    unsigned keep_sent_s;      /* sent rows pruned after; 0 = 7 days */
    size_t batch;              /* POSTs in flight at most; 0 = 32 */
} rsp_svc_outbox_opts;

/* Attaches a durable outbox to s (owned by s: freed by rsp_svc_free), starts its pump and registers
 * its metrics: rsp_outbox_pending, rsp_outbox_dead (gauges, the whole store's rows of owner at
 * scrape), rsp_outbox_oldest_pending_seconds, and this worker's rsp_outbox_sent_total,
 * rsp_outbox_retries_total, rsp_outbox_dead_total. RSP_ERR_EXISTS if s already has one. */
rsp_err rsp_svc_outbox_new(rsp_svc *s, const rsp_svc_outbox_opts *o, rsp_svc_outbox **out);
/* The outbox of s, or NULL. */
rsp_svc_outbox *rsp_svc_outbox_of(rsp_svc *s);
/* Stores one message (key: NULL or a de-duplication key, see rsp_store_outbox; op_id 0 or the
 * operation it answers) and pumps at once. RSP_OK also when key was stored before (nothing new);
 * RSP_ERR_INVAL for a URL rsp_svc_send would refuse; store errors as they come (nothing stored). */
rsp_err rsp_svc_outbox_put(rsp_svc_outbox *ob, const char *key, int64_t op_id, const char *url, const char *ctype,
                           const char *action, const uint8_t *body, size_t len);
/* Inside an ES handler called for a request of s: did the request ask "Prefer: wait" (its result
 * then goes into the HTTP response, never to ReplyTo)? 0 outside a handler. Lets a daemon decide
 * whether a call needs a durable reply. */
int rsp_svc_dispatch_prefers_wait(const rsp_svc *s);
/* Runs the pump now (after rows were added to the store directly, e.g. rsp_store_outbox_reply_move). */
void rsp_svc_outbox_kick(rsp_svc_outbox *ob);
/* The back-off before attempt number `attempts` + 1 (attempts >= 1 failed so far), in seconds. */
unsigned rsp_svc_outbox_backoff(const rsp_svc_outbox_opts *o, uint32_t attempts);

#endif
