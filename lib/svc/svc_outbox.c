/* The durable outbox of a daemon: messages are rows of the store's outbox before any attempt, and
 * a pump on the svc's loop delivers them through rsp_svc_send.
 *
 * Row lifecycle (one state table; the store enforces it with the claim's generation as fence):
 * | row                | event                                  | next                          |
 * | pending, due       | claimed by this pump (lease)           | in flight (POST queued)       |
 * | pending, due       | older than max_age_s when claimed      | dead                          |
 * | in flight          | 2xx                                    | sent (pruned after keep_sent) |
 * | in flight          | other answer / no answer / refused URL | pending at now + back-off, or |
 * |                    |                                        | dead past max_age_s (bad URL: |
 * |                    |                                        | dead at once)                 |
 * | in flight          | process dies                           | pending again when the lease  |
 * |                    |                                        | lapses (another worker)       |
 * The in-flight rows of this process are a small array (at most `batch`): id of the send -> row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "rsp/store.h"
#include "svc_int.h"

typedef struct flight {
    uint64_t send_id;      /* 0: free slot */
    int64_t row, gen, created;
    uint32_t attempts;
} flight;

struct rsp_svc_outbox {
    rsp_svc *svc;
    rsp_svc_outbox_opts o;
    char owner[64], worker[64];
    struct event *tick;
    flight *fl;
    size_t nfl;            /* slots used */
    int64_t last_prune;
    uint64_t sent, retries, dead;
    rsp_metric *m_sent, *m_retries, *m_dead;
};

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

unsigned rsp_svc_outbox_backoff(const rsp_svc_outbox_opts *o, uint32_t attempts)
{
    unsigned lo = o->retry_min_s ? o->retry_min_s : 1, hi = o->retry_max_s ? o->retry_max_s : 300;
    uint64_t d = lo;
    for (uint32_t i = 1; i < attempts && d < hi; i++)
        d *= 2;
    return d < hi ? (unsigned)d : hi;
}

static flight *slot_of(rsp_svc_outbox *ob, uint64_t send_id)
{
    for (size_t i = 0; i < ob->o.batch; i++)
        if (ob->fl[i].send_id == send_id)
            return &ob->fl[i];
    return NULL;
}

static void log_store(rsp_svc_outbox *ob, const char *what, int64_t row, rsp_err e)
{
    rsp_log(ob->svc->o.log_ss, e == RSP_STORE_FENCED ? RSP_LOG_INFO : RSP_LOG_ERROR, "outbox", "name=%s what=%s row=%lld err=%s",
            ob->svc->name, what, (long long)row, rsp_err_name(e));
}

/* A failed attempt of row (attempts so far before this one): retry later, or dead. */
static void failed(rsp_svc_outbox *ob, int64_t row, int64_t gen, int64_t created, uint32_t attempts, const char *why,
                   int never)
{
    int64_t now = now_s();
    int64_t next = now + rsp_svc_outbox_backoff(&ob->o, attempts + 1);
    rsp_err e;
    if (never || next - created > (int64_t)ob->o.max_age_s) {
        if ((e = rsp_store_outbox_dead(ob->o.st, row, gen, now, why)) == RSP_OK) {
            ob->dead++;
            rsp_metric_inc(ob->m_dead, NULL, 1);
            rsp_log(ob->svc->o.log_ss, RSP_LOG_NOTICE, "outbox message dead", "name=%s row=%lld attempts=%u why=\"%s\"",
                    ob->svc->name, (long long)row, (unsigned)attempts + 1, why);
        } else {
            log_store(ob, "dead", row, e);
        }
        return;
    }
    if ((e = rsp_store_outbox_retry(ob->o.st, row, gen, now, next, why)) == RSP_OK) {
        ob->retries++;
        rsp_metric_inc(ob->m_retries, NULL, 1);
    } else {
        log_store(ob, "retry", row, e);
    }
}

void rsp_svc__outbox_delivered(rsp_svc_outbox *ob, const rsp_svc_delivery *d)
{
    flight *f = slot_of(ob, d->id);
    if (!f || !d->id)
        return; /* not one of ours (a direct rsp_svc_send) */
    flight x = *f;
    f->send_id = 0;
    ob->nfl--;
    if (d->err == RSP_ERR_STATE)
        return; /* the svc is going away: the lease lapses and the row is taken again */
    if (d->err == RSP_OK) {
        rsp_err e = rsp_store_outbox_sent(ob->o.st, x.row, x.gen, now_s());
        if (e == RSP_OK) {
            ob->sent++;
            rsp_metric_inc(ob->m_sent, NULL, 1);
        } else {
            log_store(ob, "sent", x.row, e); /* delivered anyway; a takeover may resend (at least once) */
        }
        return;
    }
    char why[64];
    if (d->status)
        snprintf(why, sizeof(why), "HTTP %d", d->status);
    else
        snprintf(why, sizeof(why), "%s", rsp_err_name(d->err));
    failed(ob, x.row, x.gen, x.created, x.attempts, why, 0);
}

static void pump(rsp_svc_outbox *ob)
{
    rsp_svc *s = ob->svc;
    if (s->stopping || s->stopped || ob->nfl >= ob->o.batch)
        return;
    int64_t now = now_s();
    rsp_store_outbox *v = NULL;
    size_t n = 0;
    rsp_err e = rsp_store_outbox_claim(ob->o.st, ob->owner, ob->worker, now, ob->o.lease_s, ob->o.batch - ob->nfl,
                                       &v, &n);
    if (e != RSP_OK) {
        log_store(ob, "claim", 0, e);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        rsp_store_outbox *m = &v[i];
        if (now - m->created > (int64_t)ob->o.max_age_s) {
            failed(ob, m->id, m->generation, m->created, m->attempts, "too old", 1);
            continue;
        }
        uint64_t id = 0;
        e = rsp_svc_send(s, m->url, m->ctype, m->action[0] ? m->action : NULL, m->body.data, m->body.len, &id);
        if (e == RSP_OK) {
            flight *f = slot_of(ob, 0);
            if (f) { /* always: claims never exceed the free slots */
                *f = (flight){id, m->id, m->generation, m->created, m->attempts};
                ob->nfl++;
            }
        } else {
            failed(ob, m->id, m->generation, m->created, m->attempts, rsp_err_name(e), e == RSP_ERR_INVAL);
        }
    }
    for (size_t i = 0; i < n; i++)
        rsp_store_outbox_clear(&v[i]);
    free(v);
    if (now - ob->last_prune >= 60) {
        size_t k = 0;
        ob->last_prune = now;
        if (rsp_store_outbox_prune(ob->o.st, now - (int64_t)ob->o.keep_sent_s, &k) == RSP_OK && k)
            rsp_log(s->o.log_ss, RSP_LOG_INFO, "outbox pruned", "name=%s rows=%zu", s->name, k);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pump(arg);
}

void rsp_svc_outbox_kick(rsp_svc_outbox *ob)
{
    if (ob)
        pump(ob);
}

static void collect(void *arg, rsp_metrics *m)
{
    rsp_svc_outbox *ob = arg;
    rsp_store_outbox_stats st;
    if (rsp_store_outbox_stats_get(ob->o.st, ob->owner, &st) != RSP_OK)
        return;
    rsp_metric_set(rsp_metrics_find(m, "rsp_outbox_pending"), NULL, (double)st.pending);
    rsp_metric_set(rsp_metrics_find(m, "rsp_outbox_dead"), NULL, (double)st.dead);
    rsp_metric_set(rsp_metrics_find(m, "rsp_outbox_oldest_pending_seconds"), NULL,
                   st.oldest_pending ? (double)(now_s() - st.oldest_pending) : 0);
}

static rsp_err add_metrics(rsp_svc_outbox *ob, rsp_metrics *m)
{
    rsp_err e;
    if ((e = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_outbox_pending", "Outbox messages not yet delivered (store).",
                             NULL, 0, NULL, 0, NULL)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_outbox_dead", "Outbox messages given up (store).", NULL, 0,
                             NULL, 0, NULL)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_outbox_oldest_pending_seconds",
                             "Age of the oldest undelivered outbox message.", NULL, 0, NULL, 0, NULL)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_outbox_sent_total", "Outbox messages delivered by this worker.",
                             NULL, 0, NULL, 0, &ob->m_sent)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_outbox_retries_total",
                             "Failed outbox attempts rescheduled by this worker.", NULL, 0, NULL, 0, &ob->m_retries)) ||
        (e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_outbox_dead_total",
                             "Outbox messages this worker gave up (max age, unusable URL).", NULL, 0, NULL, 0,
                             &ob->m_dead)))
        return e;
    return rsp_metrics_on_collect(m, collect, ob);
}

void rsp_svc__outbox_free(rsp_svc_outbox *ob)
{
    if (!ob)
        return;
    if (ob->tick)
        event_free(ob->tick);
    free(ob->fl);
    free(ob);
}

rsp_err rsp_svc_outbox_new(rsp_svc *s, const rsp_svc_outbox_opts *o, rsp_svc_outbox **out)
{
    if (!s || !o || !o->st || !o->owner || !*o->owner || strlen(o->owner) >= 64 ||
        (o->worker && strlen(o->worker) >= 64))
        return RSP_ERR_INVAL;
    if (s->outbox)
        return RSP_ERR_EXISTS;
    rsp_svc_outbox *ob = calloc(1, sizeof(*ob));
    if (!ob)
        return RSP_ERR_NOMEM;
    ob->svc = s;
    ob->o = *o;
    snprintf(ob->owner, sizeof(ob->owner), "%s", o->owner);
    snprintf(ob->worker, sizeof(ob->worker), "%s", o->worker ? o->worker : o->owner);
    ob->o.owner = ob->o.worker = NULL;
    if (!ob->o.tick_ms)
        ob->o.tick_ms = 200;
    if (!ob->o.max_age_s)
        ob->o.max_age_s = 86400;
    if (!ob->o.lease_s)
        ob->o.lease_s = 60;
    if (!ob->o.keep_sent_s)
        ob->o.keep_sent_s = 7 * 86400;
    if (!ob->o.batch)
        ob->o.batch = 32;
    ob->last_prune = 0;
    struct timeval tv = {ob->o.tick_ms / 1000, (ob->o.tick_ms % 1000) * 1000};
    rsp_err e = RSP_OK;
    if (!(ob->fl = calloc(ob->o.batch, sizeof(*ob->fl))) ||
        !(ob->tick = event_new(s->base, -1, EV_PERSIST, on_tick, ob)) || event_add(ob->tick, &tv))
        e = RSP_ERR_NOMEM;
    if (!e)
        e = add_metrics(ob, s->metrics);
    if (e) {
        rsp_svc__outbox_free(ob);
        return e;
    }
    s->outbox = ob;
    if (out)
        *out = ob;
    return RSP_OK;
}

rsp_svc_outbox *rsp_svc_outbox_of(rsp_svc *s)
{
    return s ? s->outbox : NULL;
}

void rsp_svc__outbox_stop(rsp_svc_outbox *ob)
{
    if (ob && ob->tick)
        event_del(ob->tick); /* rows not yet claimed stay in the store for the next start */
}

rsp_err rsp_svc_outbox_put(rsp_svc_outbox *ob, const char *key, int64_t op_id, const char *url, const char *ctype,
                           const char *action, const uint8_t *body, size_t len)
{
    char host[256];
    uint16_t port;
    const char *path;
    if (!ob || !url || !ctype || (!body && len))
        return RSP_ERR_INVAL;
    /* a URL the sender would refuse never becomes a row that can only die */
    if (rsp_svc_parse_url(url, host, sizeof(host), &port, &path) || strpbrk(url, " \"<>\\\r\n") ||
        strpbrk(ctype, "\r\n") || (action && strpbrk(action, "\"\r\n")))
        return RSP_ERR_INVAL;
    rsp_store_outbox m;
    memset(&m, 0, sizeof(m));
    if (snprintf(m.url, sizeof(m.url), "%s", url) >= (int)sizeof(m.url) ||
        snprintf(m.key, sizeof(m.key), "%s", key ? key : "") >= (int)sizeof(m.key) ||
        snprintf(m.ctype, sizeof(m.ctype), "%s", ctype) >= (int)sizeof(m.ctype) ||
        snprintf(m.action, sizeof(m.action), "%s", action ? action : "") >= (int)sizeof(m.action))
        return RSP_ERR_LENGTH;
    snprintf(m.owner, sizeof(m.owner), "%s", ob->owner);
    m.created = m.next_attempt = now_s();
    m.op_id = op_id;
    m.body.data = (uint8_t *)body; /* borrowed for the add: not cleared */
    m.body.len = len;
    rsp_err e = rsp_store_outbox_add(ob->o.st, &m, NULL);
    if (e == RSP_ERR_EXISTS)
        e = RSP_OK;
    if (e == RSP_OK)
        pump(ob);
    return e;
}
