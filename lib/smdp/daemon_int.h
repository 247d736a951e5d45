/* Internals of `rsp smdp run` shared by daemon.c (threads, queue, svc, metrics) and es2_api.c (the
 * ES2 handlers). Threading: the svc loop is single-threaded and owns every rsp_es_call; workers take
 * jobs from todo and put them back on done, then wake the loop through a pipe. A job's borrowed
 * pointers into its call stay valid because the loop touches neither the call nor its request until
 * the job is back. */
#ifndef RSP_SMDP_DAEMON_INT_H
#define RSP_SMDP_DAEMON_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "rsp/es_endpoint.h"
#include "rsp/metrics.h"
#include "rsp/svc.h"
#include "smdp_int.h"

typedef enum { SMDP_JOB_DOWNLOAD, SMDP_JOB_RELAY, SMDP_JOB_UCP } smdp_job_kind;

typedef struct smdp_job {
    struct smdp_job *next;
    smdp_job_kind kind;
    char dl_id[RSP_SMDP_NAME_MAX + 1];  /* download */
    const rsp_es_func *f3;              /* relay: the ES3 function */
    const void *req2;                   /* relay: the ES2 request body (borrowed from call) */
    rsp_es_call *call;                  /* relay, UCP: the ES2 call answered with the result */
    char op[RSP_SMDP_NAME_MAX + 1];     /* relay: the calling Operator */
    /* written by the worker */
    rsp_err err;
    rsp_diag diag;
    rsp_smdp_dl dl;                     /* download: the record as it ended */
    rsp_es_msg res;                     /* relay: the SM-SR's result (owned) */
    bool master_deleted;                /* DeleteProfile refused by the SM-SR, done by master delete */
} smdp_job;

enum { SMDP_REPLY_NAME = RSP_SMDP_NAME_MAX + 24 };

/* An ES2.DownloadProfile call waiting for its download (a replay adds a second one). */
typedef struct smdp_wait {
    char dl_id[RSP_SMDP_NAME_MAX + 1];
    rsp_es_call *call;
    char reply[SMDP_REPLY_NAME];        /* its durable ReplyTo record (es2_reply.c), or "" */
} smdp_wait;

enum { SMDP_NH = 14, SMDP_MAX_WORKERS = 64, SMDP_LAT_MAX = 4096 };

typedef struct smdp_lat {
    const char *fn;                     /* static name */
    double s;
} smdp_lat;

typedef struct smdp_d {
    const rsp_smdp_daemon_opts *o;
    rsp_svc *svc;
    rsp_smdp_inv *inv;                  /* the loop thread's store connection */
    rsp_es_handler h[SMDP_NH];
    /* jobs */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    smdp_job *todo, *todo_tail, *done;
    atomic_int stopping;
    int wake_fd[2];
    struct event *wake;
    struct event *retry;                /* the cleanup retry timer */
    pthread_t th[SMDP_MAX_WORKERS];
    rsp_smdp_runner *runner[SMDP_MAX_WORKERS]; /* each worker's, for cancel (set under mu) */
    size_t n_th;
    /* held ES2 calls and downloads queued or running (loop thread only) */
    smdp_wait *w;
    size_t n_w, cap_w;
    char (*active)[RSP_SMDP_NAME_MAX + 1];
    size_t n_active, cap_active;
    /* ES3 call latencies from the workers (under mu), moved to the histogram at scrape */
    smdp_lat lat[SMDP_LAT_MAX];
    size_t n_lat;
    /* each worker's store commits so far (under mu), copied after each job: the workers' handles are
     * theirs alone, so the scrape never reads them */
    uint64_t commits[SMDP_MAX_WORKERS];
    rsp_metric *m_dl, *m_es2, *m_es3, *m_running, *m_commits;
} smdp_d;

/* es2_api.c */
void smdp_es2_handlers(smdp_d *d);
/* A finished job (loop thread): answers the calls waiting for it. */
void smdp_es2_job_done(smdp_d *d, smdp_job *j);
/* es2_notif.c: the ES3 Handle*Notification handlers (relayed to the Operator over ES2); returns how
 * many of cap were filled. */
size_t smdp_notif_handlers(smdp_d *d, rsp_es_handler *h, size_t cap);
/* HandleProfileDownloadedNotification of a download that ended installed, to its Operator's callback. */
void smdp_notif_downloaded(smdp_d *d, const rsp_smdp_dl *dl);
/* Stop (loop thread): every held call not tied to a running job is answered. */
void smdp_es2_stop(smdp_d *d);

/* The SGP.02 status of a download that did not end installed (es2_api.c). */
void smdp_dl_status(const rsp_smdp_dl *dl, char sub[16], char rea[16]);

/* es2_reply.c (loop thread): the durable ReplyTo of an accepted DownloadProfile. record writes it
 * (name "" when the request has no usable ReplyTo); done removes it once the call itself was
 * answered; flush sends the result of every record of a finished download no live call holds
 * (dl_id NULL: all of them). */
rsp_err smdp_reply_record(smdp_d *d, const char *dl_id, const rsp_es_msg *m, char name[SMDP_REPLY_NAME]);
void smdp_reply_done(smdp_d *d, const char *name);
void smdp_reply_flush(smdp_d *d, const char *dl_id);

/* daemon.c (loop thread) */
rsp_err smdp_enqueue(smdp_d *d, smdp_job *j);
bool smdp_is_active(const smdp_d *d, const char *dl_id);
void smdp_es2_count(smdp_d *d, const char *fn, const char *result);

#endif
