/* `rsp smdp run`: the SM-DP daemon on lib/svc. The svc loop (one thread) serves ES2 and owns every
 * call; downloads and ES3 relays are blocking HTTPS calls to the SM-SR, so they run on worker
 * threads, each with its own store connection, ES3 client (in its runner) and relay client. A job
 * goes todo -> worker -> done, and the worker wakes the loop through a pipe; the loop answers the
 * calls. Durable state is the download journal (download.c), so a stop or a crash leaves nothing a
 * restart cannot resume: at start every unfinished download is queued again. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "daemon_int.h"
#include "rsp/log.h"
#include "rsp/svc_client.h"

typedef struct worker {
    smdp_d *d;
    size_t idx;
    rsp_smdp_inv *inv;
    rsp_smdp_runner *runner;
    rsp_svc_client *relay;
} worker;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void lat_add(smdp_d *d, const char *fn, double s)
{
    pthread_mutex_lock(&d->mu);
    if (d->n_lat < SMDP_LAT_MAX)
        d->lat[d->n_lat++] = (smdp_lat){fn, s};
    pthread_mutex_unlock(&d->mu);
}

/* Runs on a worker: every ES3 call's wall time, for the histogram. */
static void on_trace(void *arg, const char *dl_id, const char *what, unsigned n, rsp_err e, const rsp_diag *dg,
                     double seconds)
{
    worker *w = arg;
    lat_add(w->d, what, seconds);
    if (e != RSP_OK && e != RSP_ERR_BUSY) {
        char m[256];
        RSP_LOGI(RSP_SS_SMDP, "ES3 call failed", "dl=%s fn=%s n=%u why=%s", dl_id, what, n,
                 rsp_diag_str(dg, e, m, sizeof m));
    }
}

/* The ES3 request of a relayed ES2 one: the same body type, its members borrowed (not the header:
 * the client gives the ES3 call its own FunctionCallIdentifier), lent back before the free. */
static void relay(worker *w, smdp_job *j)
{
    rsp_es_msg m;
    memset(&m, 0, sizeof m);
    memset(&j->res, 0, sizeof j->res);
    bool eid_req = strcmp(j->f3->name, "GetEIS") == 0 || strcmp(j->f3->name, "AuditEIS") == 0;
    if ((j->err = rsp_es_msg_init(&m, j->f3, false)) != RSP_OK)
        return;
    if (eid_req) {
        const rsp_es_eid_req *a = j->req2;
        rsp_es_eid_req *b = m.body;
        b->eid = a->eid;
        b->iccids = a->iccids;
    } else {
        const rsp_es_profile_req *a = j->req2;
        rsp_es_profile_req *b = m.body;
        b->eid = a->eid;
        b->iccid = a->iccid;
        b->pol2 = a->pol2;
        b->subscription_address = a->subscription_address;
    }
    int status = 0;
    double t0 = mono_s();
    if (atomic_load(&w->d->stopping))
        j->err = rsp_diag_set(&j->diag, RSP_ERR_BUSY, "SM-DP stopping");
    else
        j->err = rsp_svc_client_call(w->relay, &m, true, &j->res, &status, &j->diag);
    lat_add(w->d, j->f3->name, mono_s() - t0);
    if (j->err == RSP_OK && !rsp_svc_client_status(&j->res))
        j->err = rsp_diag_set(&j->diag, RSP_ERR_PROTOCOL, "ES3.%s: HTTP %d without a result", j->f3->name, status);
    if (eid_req) {
        rsp_es_eid_req *b = m.body;
        b->eid = NULL;
        memset(&b->iccids, 0, sizeof b->iccids);
    } else {
        rsp_es_profile_req *b = m.body;
        b->eid = b->iccid = NULL;
        b->pol2 = NULL;
        b->subscription_address = NULL;
    }
    rsp_es_msg_free(&m);
}

/* An executed ES3.AuditEIS whose result carries no EIS (our SM-SR answers it with the status only): the
 * SM-SR's store was refreshed from the card by that audit, so its ES3.GetEIS now is the audit's EIS. The
 * Operator's ES2 answer carries it, and the SM-DP's inventory follows it (es2_api.c follow_audit). */
static void audit_eis(worker *w, smdp_job *j)
{
    const rsp_es_fes *st = rsp_svc_client_status(&j->res);
    rsp_es_eis_resp *a = j->res.body;
    const rsp_es_func *f = rsp_es_func_find(RSP_ES3, "GetEIS", 6);
    if (!st || st->status != RSP_ES_EXECUTED_SUCCESS || !a || a->eis || !f)
        return;
    rsp_es_msg g, res;
    memset(&g, 0, sizeof g);
    memset(&res, 0, sizeof res);
    if (rsp_es_msg_init(&g, f, false) == RSP_OK) {
        rsp_es_eid_req *b = g.body;
        b->eid = ((const rsp_es_eid_req *)j->req2)->eid;
        int status = 0;
        rsp_diag dg;
        rsp_diag_clear(&dg);
        const rsp_es_fes *gs = rsp_svc_client_call(w->relay, &g, true, &res, &status, &dg) == RSP_OK
                                   ? rsp_svc_client_status(&res) : NULL;
        if (gs && gs->status == RSP_ES_EXECUTED_SUCCESS) {
            rsp_es_eis_resp *r = res.body;
            a->eis = r->eis;
            r->eis = NULL;
        }
        b->eid = NULL;
    }
    rsp_es_msg_free(&g);
    rsp_es_msg_free(&res);
}

/* ES2.DeleteProfile that the SM-SR's DeleteISDP refused (the card's POL1 forbids it, 69E1): with a
 * token key on that ISD-P the SM-DP deletes it by master delete (ES3.SendData to the ISD-R), then
 * ES3.AuditEIS so the SM-SR's store learns the ISD-P is gone. Without a token the refusal stands. */
static void master_delete(worker *w, smdp_job *j)
{
    const rsp_es_fes *st = j->err == RSP_OK ? rsp_svc_client_status(&j->res) : NULL;
    if (strcmp(j->f3->name, "DeleteISDP") != 0 || !st || (st->status != RSP_ES_FAILED && st->status != RSP_ES_EXPIRED))
        return;
    const rsp_es_profile_req *q = j->req2;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    rsp_err e = rsp_smdp_runner_master_delete(w->runner, w->inv, q->eid, q->iccid, &dg);
    char m[256];
    RSP_LOGN(RSP_SS_SMDP, e == RSP_OK ? "master delete done" : "no master delete", "eid=%s iccid=%s why=\"%s\"", q->eid,
             q->iccid, e == RSP_OK ? "DeleteISDP refused by the SM-SR" : rsp_diag_str(&dg, e, m, sizeof m));
    if (e != RSP_OK)
        return;
    j->master_deleted = true;
    rsp_es_msg a, res;
    memset(&a, 0, sizeof a);
    memset(&res, 0, sizeof res);
    const rsp_es_func *f = rsp_es_func_find(RSP_ES3, "AuditEIS", 8);
    if (f && rsp_es_msg_init(&a, f, false) == RSP_OK) {
        rsp_es_eid_req *b = a.body;
        b->eid = q->eid;
        int status = 0;
        rsp_svc_client_call(w->relay, &a, true, &res, &status, &dg); /* best effort: the card is the truth */
        b->eid = NULL;
    }
    rsp_es_msg_free(&a);
    rsp_es_msg_free(&res);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    smdp_d *d = w->d;
    for (;;) {
        pthread_mutex_lock(&d->mu);
        while (!d->todo && !atomic_load(&d->stopping))
            pthread_cond_wait(&d->cv, &d->mu);
        smdp_job *j = d->todo;
        if (j) {
            d->todo = j->next;
            if (!d->todo)
                d->todo_tail = NULL;
        }
        pthread_mutex_unlock(&d->mu);
        if (!j)
            break; /* stopping and nothing left */
        rsp_diag_clear(&j->diag);
        if (j->kind == SMDP_JOB_DOWNLOAD) {
            j->err = rsp_smdp_runner_run(w->runner, w->inv, j->dl_id, (int64_t)time(NULL), &j->dl, &j->diag);
        } else if (j->kind == SMDP_JOB_UCP) {
            const rsp_es_profile_req *q = j->req2;
            j->err = atomic_load(&d->stopping) ? rsp_diag_set(&j->diag, RSP_ERR_BUSY, "SM-DP stopping")
                                               : rsp_smdp_runner_ucp(w->runner, w->inv, q->eid, q->iccid,
                                                                     q->connectivity_parameters.data,
                                                                     q->connectivity_parameters.len, &j->diag);
        } else {
            relay(w, j);
            if (j->err == RSP_OK && strcmp(j->f3->name, "AuditEIS") == 0)
                audit_eis(w, j);
            master_delete(w, j);
        }
        rsp_store_batch_stats bs;
        rsp_store_batch_stats_get(rsp_smdp_inv_store(w->inv), &bs);
        pthread_mutex_lock(&d->mu);
        j->next = d->done;
        d->done = j;
        d->commits[w->idx] = bs.commits;
        pthread_mutex_unlock(&d->mu);
        ssize_t n;
        do
            n = write(d->wake_fd[1], "x", 1);
        while (n < 0 && errno == EINTR); /* a full pipe already wakes the loop */
    }
    return NULL;
}

rsp_err smdp_enqueue(smdp_d *d, smdp_job *j)
{
    if (j->kind == SMDP_JOB_DOWNLOAD) {
        void *na = smdp_is_active(d, j->dl_id) ? d->active : NULL;
        if (!na && d->n_active == d->cap_active) {
            size_t nc = d->cap_active ? d->cap_active * 2 : 16;
            if (!(na = realloc(d->active, nc * sizeof *d->active)))
                return RSP_ERR_NOMEM;
            d->active = na;
            d->cap_active = nc;
        }
        if (!smdp_is_active(d, j->dl_id))
            memcpy(d->active[d->n_active++], j->dl_id, sizeof j->dl_id);
    }
    j->next = NULL;
    pthread_mutex_lock(&d->mu);
    if (d->todo_tail)
        d->todo_tail->next = j;
    else
        d->todo = j;
    d->todo_tail = j;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    return RSP_OK;
}

bool smdp_is_active(const smdp_d *d, const char *dl_id)
{
    for (size_t i = 0; i < d->n_active; i++)
        if (strcmp(d->active[i], dl_id) == 0)
            return true;
    return false;
}

static void active_remove(smdp_d *d, const char *dl_id)
{
    for (size_t i = 0; i < d->n_active; i++)
        if (strcmp(d->active[i], dl_id) == 0) {
            memcpy(d->active[i], d->active[--d->n_active], sizeof d->active[i]);
            return;
        }
}

void smdp_es2_count(smdp_d *d, const char *fn, const char *result)
{
    const char *v[2] = {fn, result};
    if (d->m_es2)
        rsp_metric_inc(d->m_es2, v, 1);
}

/* Loop thread: the jobs the workers finished. */
static void drain_done(smdp_d *d)
{
    pthread_mutex_lock(&d->mu);
    smdp_job *j = d->done;
    d->done = NULL;
    pthread_mutex_unlock(&d->mu);
    while (j) {
        smdp_job *next = j->next;
        if (j->kind == SMDP_JOB_DOWNLOAD) {
            active_remove(d, j->dl_id);
            const char *v[2] = {rsp_smdp_dl_step_name(j->dl.step),
                                j->err == RSP_OK ? "done" : j->err == RSP_ERR_BUSY ? "stopped" : "failed"};
            if (d->m_dl)
                rsp_metric_inc(d->m_dl, v, 1);
            char m[256];
            RSP_LOGN(RSP_SS_SMDP, "download ended", "dl=%s op=%s eid=%s iccid=%s step=%s outcome=\"%s\" status=%s%s%s",
                     j->dl_id, j->dl.op, j->dl.eid, j->dl.iccid, rsp_smdp_dl_step_name(j->dl.step), j->dl.outcome,
                     j->dl.status[0] ? j->dl.status : "-", j->err ? " why=" : "",
                     j->err ? rsp_diag_str(&j->diag, j->err, m, sizeof m) : "");
        }
        if (j->kind == SMDP_JOB_DOWNLOAD && j->err == RSP_OK)
            smdp_notif_downloaded(d, &j->dl);
        smdp_es2_job_done(d, j);
        if (j->kind == SMDP_JOB_DOWNLOAD && j->err != RSP_ERR_BUSY)
            smdp_reply_flush(d, j->dl_id); /* requests whose call is gone (a restart) */
        rsp_es_msg_free(&j->res);
        free(j);
        j = next;
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    char b[64];
    while (read(fd, b, sizeof b) > 0)
        ;
    drain_done(arg);
}

static void collect(void *arg, rsp_metrics *m)
{
    (void)m;
    smdp_d *d = arg;
    smdp_lat lat[256];
    for (;;) {
        pthread_mutex_lock(&d->mu);
        size_t n = d->n_lat < 256 ? d->n_lat : 256;
        memcpy(lat, d->lat + d->n_lat - n, n * sizeof *lat);
        d->n_lat -= n;
        pthread_mutex_unlock(&d->mu);
        for (size_t i = 0; i < n; i++) {
            const char *v[1] = {lat[i].fn};
            rsp_metric_observe(d->m_es3, v, lat[i].s);
        }
        if (n < 256)
            break;
    }
    rsp_metric_set(d->m_running, NULL, (double)d->n_active);
    rsp_store_batch_stats bs;
    rsp_store_batch_stats_get(rsp_smdp_inv_store(d->inv), &bs);
    uint64_t commits = bs.commits;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < SMDP_MAX_WORKERS; i++)
        commits += d->commits[i];
    pthread_mutex_unlock(&d->mu);
    rsp_metric_set(d->m_commits, NULL, (double)commits);
}

static rsp_err metrics_register(smdp_d *d, rsp_metrics *m)
{
    static const char *const dl[] = {"step", "outcome"}, *const es2[] = {"function", "result"},
                             *const es3[] = {"function"};
    static const double b[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
    rsp_err e = rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smdp_downloads_total",
                                "downloads ended by this process, by the step they ended at and outcome", dl, 2,
                                NULL, 0, &d->m_dl);
    e = e ? e
          : rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smdp_es2_calls_total", "ES2 calls by function and result",
                            es2, 2, NULL, 0, &d->m_es2);
    e = e ? e
          : rsp_metrics_add(m, RSP_METRIC_HISTOGRAM, "rsp_smdp_es3_call_seconds",
                            "ES3 calls to the SM-SR: wall time by function", es3, 1, b, sizeof b / sizeof b[0],
                            &d->m_es3);
    e = e ? e
          : rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_smdp_downloads_running", "downloads queued or running", NULL,
                            0, NULL, 0, &d->m_running);
    e = e ? e
          : rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smdp_store_commits_total",
                            "durable commits of this process's store connections (workers: as of their last job)",
                            NULL, 0, NULL, 0, &d->m_commits);
    return e ? e : rsp_metrics_on_collect(m, collect, d);
}

static void on_stop(void *arg, rsp_svc *svc)
{
    (void)svc;
    smdp_d *d = arg;
    RSP_LOGN(RSP_SS_SMDP, "stopping", "downloads_running=%zu", d->n_active);
    pthread_mutex_lock(&d->mu);
    atomic_store(&d->stopping, 1);
    for (size_t i = 0; i < d->n_th; i++)
        rsp_smdp_runner_cancel(d->runner[i]);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    smdp_es2_stop(d);
}

/* Every download left unfinished (a stop, a crash) runs again. */
static rsp_err resume(smdp_d *d)
{
    rsp_smdp_dl *v = NULL;
    size_t n = 0;
    rsp_err e = rsp_smdp_dl_list(d->inv, true, &v, &n);
    for (size_t i = 0; e == RSP_OK && i < n; i++) {
        smdp_job *j = calloc(1, sizeof *j);
        if (!j) {
            e = RSP_ERR_NOMEM;
            break;
        }
        j->kind = SMDP_JOB_DOWNLOAD;
        memcpy(j->dl_id, v[i].id, sizeof j->dl_id);
        RSP_LOGN(RSP_SS_SMDP, "resuming download", "dl=%s step=%s", v[i].id, rsp_smdp_dl_step_name(v[i].step));
        if ((e = smdp_enqueue(d, j)) != RSP_OK)
            free(j);
    }
    free(v);
    return e;
}

/* Loop thread, every cleanup_retry_ms: a download left in cleanup (its DeleteISDP refused or timed out:
 * the card away, the SM-SR still busy with it) runs again while the daemon runs, not only at the next
 * start, so the ISD-P goes and the identity is spent once the card can be reached. A cleanup only ends
 * when DeleteISDP is executed or the SM-SR's EIS lists no such ISD-P (download.c), so a card that
 * never comes back is retried at this pace, one line in the log each time. */
static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    smdp_d *d = arg;
    rsp_smdp_dl *v = NULL;
    size_t n = 0;
    if (atomic_load(&d->stopping) || rsp_smdp_dl_list(d->inv, true, &v, &n) != RSP_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        if (v[i].step != RSP_SMDP_DL_CLEANUP || smdp_is_active(d, v[i].id))
            continue;
        smdp_job *j = calloc(1, sizeof *j);
        if (!j)
            break;
        j->kind = SMDP_JOB_DOWNLOAD;
        memcpy(j->dl_id, v[i].id, sizeof j->dl_id);
        RSP_LOGN(RSP_SS_SMDP, "retrying cleanup", "dl=%s eid=%s iccid=%s outcome=\"%s\"", v[i].id, v[i].eid,
                 v[i].iccid, v[i].outcome);
        if (smdp_enqueue(d, j) != RSP_OK) {
            free(j);
            break;
        }
    }
    free(v);
}

static rsp_err workers_new(smdp_d *d, worker *w, size_t n, rsp_diag *diag)
{
    const rsp_smdp_daemon_opts *o = d->o;
    const char *cert = o->smsr_cert ? o->smsr_cert : o->svc->tls_cert;
    const char *key = o->smsr_key ? o->smsr_key : o->svc->tls_key;
    const char *ca = o->smsr_ca ? o->smsr_ca : o->svc->tls_ca;
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < n && e == RSP_OK; i++) {
        w[i].d = d;
        w[i].idx = i;
        rsp_smdp_runner_opts ro = {o->trust, o->sk_dp, o->cert_dp, o->cert_dp_len,
                                   {o->smsr_url, cert, key, ca, NULL, o->es3_timeout_ms, o->smsr_dialect,
                                    o->es3_dump_dir},
                                   o->eis_dir, on_trace, &w[i], o->master_key, o->master_key_len, o->token_key};
        rsp_svc_client_opts co = {o->smsr_url, cert, key, ca, rsp_smdp__es3_binding(o->smsr_dialect), o->smsr_dialect,
                                  o->es3_timeout_ms, NULL};
        e = rsp_smdp_inv_open(o->dir, o->store, diag, &w[i].inv);
        e = e ? e : rsp_smdp_runner_new(&ro, &w[i].runner, diag);
        e = e ? e : rsp_svc_client_new(&co, &w[i].relay, diag);
        d->runner[i] = w[i].runner;
    }
    return e;
}

static void workers_free(worker *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rsp_smdp_runner_free(w[i].runner);
        rsp_svc_client_free(w[i].relay);
        rsp_smdp_inv_close(w[i].inv);
    }
}

rsp_err rsp_smdp_daemon_run(const rsp_smdp_daemon_opts *o, rsp_diag *diag)
{
    if (!o || !o->dir || !o->svc || !o->smsr_url || !o->trust || !o->sk_dp || !o->cert_dp)
        return RSP_ERR_INVAL;
    size_t nw = o->workers ? o->workers : 2;
    if (nw > SMDP_MAX_WORKERS)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "at most %d workers", SMDP_MAX_WORKERS);
    smdp_d *d = calloc(1, sizeof *d);
    worker *w = calloc(nw, sizeof *w);
    if (!d || !w) {
        free(d);
        free(w);
        return RSP_ERR_NOMEM;
    }
    d->o = o;
    d->wake_fd[0] = d->wake_fd[1] = -1;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    rsp_err e = rsp_smdp_inv_open(o->dir, o->store, diag, &d->inv);
    if (e == RSP_OK && (pipe(d->wake_fd) != 0 || fcntl(d->wake_fd[0], F_SETFL, O_NONBLOCK) != 0 ||
                        fcntl(d->wake_fd[1], F_SETFL, O_NONBLOCK) != 0))
        e = rsp_diag_set(diag, RSP_ERR_IO, "pipe: %s", strerror(errno));
    e = e ? e : workers_new(d, w, nw, diag);
    if (e == RSP_OK) {
        smdp_es2_handlers(d);
        rsp_svc_opts so = *o->svc;
        so.name = "smdp";
        so.log_ss = RSP_SS_SMDP;
        so.handlers = d->h;
        so.n_handlers = SMDP_NH;
        so.on_stop = on_stop;
        so.hook_arg = d;
        e = rsp_svc_new(&so, &d->svc, diag);
    }
    if (e == RSP_OK) { /* results to the Operators' ReplyTo: stored first, sent and retried by the outbox */
        rsp_svc_outbox_opts oo;
        memset(&oo, 0, sizeof oo);
        oo.st = rsp_smdp_inv_store(d->inv);
        oo.owner = "smdp";
        oo.worker = "smdp";
        e = rsp_svc_outbox_new(d->svc, &oo, NULL);
        if (e != RSP_OK)
            rsp_diag_set(diag, e, "the durable outbox cannot start");
    }
    e = e ? e : metrics_register(d, rsp_svc_metrics(d->svc));
    if (e == RSP_OK && (!(d->wake = event_new(rsp_svc_base(d->svc), d->wake_fd[0], EV_READ | EV_PERSIST, on_wake, d)) ||
                        event_add(d->wake, NULL) != 0))
        e = RSP_ERR_NOMEM;
    unsigned rms = o->cleanup_retry_ms ? o->cleanup_retry_ms : 30000;
    struct timeval rtv = {(time_t)(rms / 1000), (suseconds_t)(rms % 1000) * 1000};
    if (e == RSP_OK && (!(d->retry = event_new(rsp_svc_base(d->svc), -1, EV_PERSIST, on_retry, d)) ||
                        event_add(d->retry, &rtv) != 0))
        e = RSP_ERR_NOMEM;
    for (size_t i = 0; e == RSP_OK && i < nw; i++) {
        if (pthread_create(&d->th[i], NULL, worker_main, &w[i]) != 0)
            e = rsp_diag_set(diag, RSP_ERR_INTERNAL, "cannot start worker %zu", i);
        else
            d->n_th++;
    }
    e = e ? e : resume(d);
    if (e == RSP_OK)
        smdp_reply_flush(d, NULL); /* downloads that ended before a crash could answer */
    if (e == RSP_OK) {
        RSP_LOGN(RSP_SS_SMDP, "running", "dir=%s smsr=%s es3=%s workers=%zu resumed=%zu backend=%s", o->dir,
                 o->smsr_url, rsp_smdp_es3_dialect_name(o->smsr_dialect), nw, d->n_active, rsp_store_backend(rsp_smdp_inv_store(d->inv)));
        rsp_svc_run(d->svc);
    }
    /* Stopped (or failed to start): the workers finish their current call and leave. */
    pthread_mutex_lock(&d->mu);
    atomic_store(&d->stopping, 1);
    for (size_t i = 0; i < d->n_th; i++)
        rsp_smdp_runner_cancel(d->runner[i]);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
    for (size_t i = 0; i < d->n_th; i++)
        pthread_join(d->th[i], NULL);
    if (d->svc)
        drain_done(d);
    smdp_es2_stop(d);
    for (smdp_job *j = d->todo, *n; j; j = n) { /* never started: their journals resume next time */
        n = j->next;
        free(j);
    }
    if (d->wake)
        event_free(d->wake);
    if (d->retry)
        event_free(d->retry);
    if (d->svc)
        rsp_svc_free(d->svc);
    workers_free(w, nw);
    rsp_smdp_inv_close(d->inv);
    for (int i = 0; i < 2; i++)
        if (d->wake_fd[i] >= 0)
            close(d->wake_fd[i]);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    free(d->w);
    free(d->active);
    free(d);
    free(w);
    return e;
}
