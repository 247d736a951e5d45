/* Internals of the SCP81 admin server shared by es5_https.c (sessions, queues, timers, triggers) and
 * es5_https_post.c (what a card's POST and connection do, the PSK look-up, the lease renewals). */
#ifndef RSP_SMSR_ES5_HTTPS_INT_H
#define RSP_SMSR_ES5_HTTPS_INT_H

#include <event2/event.h>

#include "rsp/http.h"
#include "smsr_int.h"

typedef struct job {
    uint64_t tag;           /* the caller's, handed back to done */
    uint8_t aid[16];
    size_t aid_len;
    uint8_t *body; /* the script; then, once answered, the card's answer */
    size_t len;
    smsr_https_done_fn done; /* NULL: the SM-SR's own (a 3A08 confirmation) */
    void *arg;
    rsp_err err;
    rsp_scp81_status status;
    const char *why;
    bool ends; /* an enable, disable or 3A08: the session ends after its answer (smsr_adm_script_ends) */
    struct job *next;
} job;

typedef struct ses {
    smsr_https *h;
    char eid[33];
    smsr_adm_state st;
    rsp_http_req *held;
    uint64_t conn; /* the HTTP connection of the card's last POST (rsp_http_req_conn) */
    job *inflight, *head, *tail;
    struct event *timer;
    unsigned tries; /* triggers sent since the card last talked */
    bool isdp_last; /* the last answer was to a script targeted at an ISD-P (a download's SCP03t body) */
} ses;

struct smsr_https {
    struct event_base *base;
    rsp_smsr *e;
    smsr_https_opts o;
    char host[128], uri[128];
    uint16_t port;
    rsp_tls_ctx *tls;
    rsp_http_server *srv;
    ses **s;
    size_t n, cap;
    /* EID -> session: open addressing over s (slot = index + 1, 0 empty), at most half full. A
     * linear scan with strcasecmp per POST was ~2 % of the SM-SR's CPU at 1,000 cards and grows with
     * the fleet (10,000 cards: 10,000 compares per POST). Sessions are only removed by smsr_https_free. */
    size_t *idx, idx_cap;
    smsr_https_stats st;
    struct event *renew; /* renews the short leases of the engine's ops in the sessions (lease.c) */
};

/* What the event that fires carries: the POST being answered, or nothing (a timer, a queue). */
typedef struct post_ctx {
    rsp_http_req *req;
    const uint8_t *body;
    size_t len;
    rsp_scp81_status status;
} post_ctx;

int64_t smsr_https_now(void);
/* eid's session; create: made when missing (NULL when out of memory) */
ses *smsr_https_ses(smsr_https *h, const char *eid, bool create);
/* Runs the table's row for ev (admin.c) on s: actions, timers, then the settled scripts' callbacks. */
void smsr_https_fire(ses *s, smsr_adm_event ev, const post_ctx *pc);
/* es5_https_post.c: the HTTP server's handler and connection-close hook, the TLS PSK look-up, and the
 * timer that renews the leases of the engine's ops held in the sessions (lease.c) */
void smsr_https_on_request(void *arg, rsp_http_req *req);
void smsr_https_on_close(void *arg, uint64_t conn_id);
rsp_err smsr_https_psk_lookup(void *arg, const char *identity, uint8_t *key, size_t keymax, size_t *keylen);
void smsr_https_on_renew(evutil_socket_t fd, short what, void *arg);

#endif
