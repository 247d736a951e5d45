/* `rsp op FUNCTION ... --eids FILE`: the same request over a list of EIDs, N in flight.
 *
 * Each worker thread owns one client (and so one connection); they take the next EID under a mutex. The
 * results file gets one JSON line per EID, written and flushed as each finishes, with "final": true when
 * the outcome is known (executed, refused, accepted, a fault, a bad line): a rerun with the same file
 * skips those EIDs and retries only the ones without an answer. Each EID's FunctionCallIdentifier is
 * written (and synced) to FILE.fcids before its request goes out, and a rerun sends an unanswered EID
 * again under the same one: the server then answers the first execution's result (SGP.02 replay)
 * instead of running the function twice, so a timeout or a crash of `rsp op` never doubles an operation. The main thread draws the progress line
 * and takes Ctrl-C: SIGINT/SIGTERM are blocked in every thread and the main thread waits for them with
 * sigtimedwait, so no signal handler (and no global flag) is needed. After a stop, the workers finish the
 * request they hold and take no new EID. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "op_int.h"
#include "rsp/crypto.h"

typedef struct item {
    char *eid, *iccid;
    char *fcid; /* from FILE.fcids (an earlier run), or NULL: a new one */
} item;

typedef struct batch {
    const op_args *a;
    item *items;
    size_t n, next;
    pthread_mutex_t mu;
    FILE *out;
    FILE *fcids;       /* FILE.fcids: eid -> FunctionCallIdentifier, synced before each send */
    bool stop;
    size_t total;      /* EIDs in the file (n: those left to do) */
    size_t inflight, finished, skipped;
    size_t count[OP_INVALID + 1]; /* by outcome */
    op_cb *cb;
    const char *reply_to;
    rsp_svc_client **clients;
    char tag[13];      /* this run's batch id: FCIDs "op-<tag>-<EID>", one campaign in the SM-SR's console */
} batch;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "EID [ICCID]" per line; '#' starts a comment. */
void op_eid_rows_free(op_eid_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].eid);
        free(rows[i].iccid);
    }
    free(rows);
}

int op_eid_rows_load(const char *cmd, const char *path, op_eid_row **rows, size_t *n)
{
    *rows = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return rsp_cli_usage_error("%s: cannot read --eids %s: %s", cmd, path, strerror(errno));
    char line[512];
    size_t cap = 0;
    int lineno = 0, rc = -1;
    while (rc < 0 && fgets(line, sizeof(line), f)) {
        lineno++;
        char *hash = strchr(line, '#'), *save = NULL;
        if (hash)
            *hash = 0;
        char *eid = strtok_r(line, " \t\r\n,", &save);
        if (!eid)
            continue;
        char *iccid = strtok_r(NULL, " \t\r\n,", &save);
        if (strtok_r(NULL, " \t\r\n,", &save)) {
            rc = rsp_cli_usage_error("%s: %s line %d: want 'EID [ICCID]'", cmd, path, lineno);
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            op_eid_row *v = realloc(*rows, cap * sizeof(*v));
            if (!v) {
                rc = rsp_cli_usage_error("%s: out of memory", cmd);
                break;
            }
            *rows = v;
        }
        op_eid_row *r = &(*rows)[(*n)++];
        r->eid = strdup(eid);
        r->iccid = iccid ? strdup(iccid) : NULL;
        if (!r->eid || (iccid && !r->iccid))
            rc = rsp_cli_usage_error("%s: out of memory", cmd);
    }
    fclose(f);
    if (rc < 0 && !*n)
        rc = rsp_cli_usage_error("%s: no EID in %s", cmd, path);
    if (rc >= 0) {
        op_eid_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}

/* The batch takes the rows' strings over. */
static int load_eids(const char *path, batch *b)
{
    op_eid_row *r = NULL;
    size_t n = 0;
    int rc = op_eid_rows_load("op", path, &r, &n);
    if (rc >= 0)
        return rc;
    if (!(b->items = calloc(n, sizeof(*b->items)))) {
        op_eid_rows_free(r, n);
        return rsp_cli_usage_error("op: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        b->items[i].eid = r[i].eid;
        b->items[i].iccid = r[i].iccid;
    }
    b->n = n;
    free(r);
    return -1;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The EIDs that have a final line in the results file, sorted; a torn last line (a crash while writing)
 * is not JSON and is ignored. */
static char **final_eids(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *eid = json_string_value(json_object_get(j, "eid"));
        if (eid && json_is_true(json_object_get(j, "final"))) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                char **nv = realloc(v, cap * sizeof(*nv));
                if (!nv) {
                    json_decref(j);
                    break;
                }
                v = nv;
            }
            v[(*n)++] = strdup(eid);
        }
        json_decref(j);
    }
    fclose(f);
    if (v)
        qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

typedef struct fcid_ent {
    char *eid, *fcid;
} fcid_ent;

/* The FunctionCallIdentifier each EID was last sent under, from FILE.fcids, onto the items. */
static void load_fcids(const char *path, batch *b)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fcid_ent *v = NULL;
    size_t n = 0, cap = 0;
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *eid = json_string_value(json_object_get(j, "eid"));
        const char *fc = json_string_value(json_object_get(j, "fcid"));
        if (eid && fc && n == cap) {
            cap = cap ? cap * 2 : 64;
            fcid_ent *nv = realloc(v, cap * sizeof(*nv));
            if (!nv) {
                json_decref(j);
                break;
            }
            v = nv;
        }
        if (eid && fc) {
            v[n].eid = strdup(eid);
            v[n].fcid = strdup(fc);
            n++;
        }
        json_decref(j);
    }
    fclose(f);
    /* the last line of an EID wins (n x m, but only over the EIDs left to do after a resume) */
    for (size_t i = 0; i < b->n; i++) {
        for (size_t k = n; k-- > 0;)
            if (v[k].eid && !strcmp(v[k].eid, b->items[i].eid)) {
                b->items[i].fcid = strdup(v[k].fcid);
                break;
            }
    }
    for (size_t i = 0; i < n; i++) {
        free(v[i].eid);
        free(v[i].fcid);
    }
    free(v);
}

/* A new FunctionCallIdentifier for it, recorded and synced before the request goes out:
 * "op-<batch id>-<EID>", so the SM-SR's console shows the run as one campaign (docs/modules/console.md);
 * unique per EID within the run, and the 48-bit batch id keeps runs apart. */
static rsp_err new_fcid(batch *b, item *it)
{
    char fc[96];
    snprintf(fc, sizeof(fc), "op-%s-%s", b->tag, it->eid);
    if (!(it->fcid = strdup(fc)))
        return RSP_ERR_NOMEM;
    json_t *o = json_pack("{s:s, s:s}", "eid", it->eid, "fcid", fc);
    char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    rsp_err e = line ? RSP_OK : RSP_ERR_NOMEM;
    pthread_mutex_lock(&b->mu);
    if (e == RSP_OK && (fprintf(b->fcids, "%s\n", line) < 0 || fflush(b->fcids) != 0 || fsync(fileno(b->fcids)) != 0))
        e = RSP_ERR_IO;
    pthread_mutex_unlock(&b->mu);
    free(line);
    return e;
}

static bool is_final(op_outcome o)
{
    return o != OP_NO_ANSWER;
}

static void record(batch *b, const item *it, const rsp_es_msg *req, const op_result *r, double ms)
{
    json_t *o = op_result_json(req, r);
    json_object_del(o, "result");
    json_object_del(o, "function");
    json_object_del(o, "via");
    json_object_set_new(o, "eid", json_string(it->eid));
    if (!json_object_get(o, "status"))
        json_object_set_new(o, "status", json_string(r->outcome == OP_ACCEPTED ? "ACCEPTED" : "INVALID"));
    if (!json_object_get(o, "iccid") && it->iccid)
        json_object_set_new(o, "iccid", json_string(it->iccid));
    json_object_set_new(o, "elapsed_ms", json_integer((json_int_t)ms));
    json_object_set_new(o, "final", json_boolean(is_final(r->outcome)));
    char *line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    pthread_mutex_lock(&b->mu);
    if (line) {
        fputs(line, b->out);
        fputc('\n', b->out);
        fflush(b->out); /* a rerun resumes from what is in the file */
    }
    b->count[r->outcome]++;
    b->finished++;
    b->inflight--;
    pthread_mutex_unlock(&b->mu);
    free(line);
}

typedef struct worker {
    batch *b;
    rsp_svc_client *cl;
    pthread_t th;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    batch *b = w->b;
    for (;;) {
        pthread_mutex_lock(&b->mu);
        if (b->stop || b->next >= b->n) {
            pthread_mutex_unlock(&b->mu);
            break;
        }
        item *it = &b->items[b->next++];
        b->inflight++;
        pthread_mutex_unlock(&b->mu);
        double t0 = now_s();
        rsp_es_msg req;
        op_result r;
        if (!it->fcid && new_fcid(b, it) != RSP_OK) {
            /* not recorded: not sent (a rerun could not resend it under the same identifier) */
            memset(&req, 0, sizeof(req));
            memset(&r, 0, sizeof(r));
            r.outcome = OP_NO_ANSWER;
            snprintf(r.error, sizeof(r.error), "cannot record the FunctionCallIdentifier: not sent");
        } else
            op_run_one(b->a, w->cl, b->cb, b->reply_to, it->eid, it->iccid, it->fcid, &req, &r);
        record(b, it, &req, &r, (now_s() - t0) * 1000.0);
        op_result_free(&r);
        rsp_es_msg_free(&req);
    }
    return NULL;
}

static void progress(batch *b, double t0, bool tty, bool last)
{
    pthread_mutex_lock(&b->mu);
    size_t done = b->finished, inflight = b->inflight, todo = b->n; /* n: left after the resume */
    size_t failed = done - b->count[OP_EXECUTED] - b->count[OP_ACCEPTED];
    pthread_mutex_unlock(&b->mu);
    double el = now_s() - t0, rate = el > 0 ? (double)done / el : 0;
    char eta[32] = "-";
    if (rate > 0 && done < todo)
        snprintf(eta, sizeof(eta), "%.0fs", (double)(todo - done) / rate);
    fprintf(stderr, "%s%s: %zu/%zu done, %zu failed, %zu in flight, %.1f/s, ETA %s%s", tty ? "\r\033[K" : "",
            b->a->f->name, done, todo, failed, inflight, rate, eta, tty && !last ? "" : "\n");
    fflush(stderr);
}

static void summary(batch *b, const char *results, double elapsed, bool interrupted)
{
    size_t done = b->finished;
    if (b->a->json) {
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:s, s:b}", "function",
                              b->a->f->name, "total", (json_int_t)b->total, "done", (json_int_t)done, "executed",
                              (json_int_t)b->count[OP_EXECUTED], "accepted", (json_int_t)b->count[OP_ACCEPTED],
                              "refused", (json_int_t)b->count[OP_REFUSED], "fault", (json_int_t)b->count[OP_FAULT],
                              "no_answer", (json_int_t)b->count[OP_NO_ANSWER], "invalid",
                              (json_int_t)b->count[OP_INVALID], "skipped", (json_int_t)b->skipped, "elapsed_s", elapsed,
                              "rate", elapsed > 0 ? (double)done / elapsed : 0.0, "results", results, "interrupted",
                              interrupted);
        rsp_cli_json_out(o);
        return;
    }
    printf("%s over %zu EIDs: %zu done (executed %zu, accepted %zu, refused %zu, fault %zu, no answer %zu, invalid "
           "%zu), %zu skipped (final in %s), %.2f s, %.1f/s%s\n",
           b->a->f->name, b->total, done, b->count[OP_EXECUTED], b->count[OP_ACCEPTED], b->count[OP_REFUSED],
           b->count[OP_FAULT], b->count[OP_NO_ANSWER], b->count[OP_INVALID], b->skipped, results, elapsed,
           elapsed > 0 ? (double)done / elapsed : 0.0, interrupted ? ", interrupted" : "");
}

int op_batch(const op_args *args)
{
    pthread_mutex_t dump_mu = PTHREAD_MUTEX_INITIALIZER;
    op_args copy = *args;
    copy.dump_mu = &dump_mu;
    const op_args *a = &copy;
    batch b;
    memset(&b, 0, sizeof(b));
    b.a = a;
    uint8_t tr[6];
    if (rsp_random(tr, sizeof(tr)) != RSP_OK)
        return rsp_cli_fail("op", RSP_ERR_CRYPTO, NULL);
    for (size_t i = 0; i < sizeof(tr); i++)
        snprintf(b.tag + 2 * i, sizeof(b.tag) - 2 * i, "%02x", tr[i]);
    int rc = load_eids(a->eids_file, &b);
    char results[512];
    snprintf(results, sizeof(results), "%s", a->results ? a->results : "");
    if (!a->results)
        snprintf(results, sizeof(results), "%s.results.jsonl", a->eids_file);
    /* resume: drop the EIDs that already have a final line (kept in order otherwise) */
    size_t nf = 0;
    char **fin = rc < 0 ? final_eids(results, &nf) : NULL;
    size_t k = 0;
    for (size_t i = 0; rc < 0 && i < b.n; i++) {
        if (nf && bsearch(&b.items[i].eid, fin, nf, sizeof(*fin), cmp_str)) {
            free(b.items[i].eid);
            free(b.items[i].iccid);
            b.skipped++;
        } else
            b.items[k++] = b.items[i];
    }
    for (size_t i = 0; i < nf; i++)
        free(fin[i]);
    free(fin);
    b.total = b.n;
    if (rc < 0)
        b.n = k;
    char fcids[530];
    snprintf(fcids, sizeof(fcids), "%s.fcids", results);
    if (rc < 0)
        load_fcids(fcids, &b);
    if (rc < 0 && !(b.out = fopen(results, "a")))
        rc = rsp_cli_usage_error("op: cannot open --results %s: %s", results, strerror(errno));
    if (rc < 0 && !(b.fcids = fopen(fcids, "a")))
        rc = rsp_cli_usage_error("op: cannot open %s: %s", fcids, strerror(errno));
    unsigned nw = a->concurrency < b.n ? a->concurrency : (unsigned)b.n;
    worker *w = rc < 0 ? calloc(nw ? nw : 1, sizeof(*w)) : NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    for (unsigned i = 0; rc < 0 && i < nw; i++) {
        rsp_err e = op_client_new(a, &w[i].cl, &d);
        if (e != RSP_OK)
            rc = rsp_cli_fail("op", e, &d);
    }
    if (rc < 0 && a->cb_listen && nw) {
        rsp_err e = op_cb_start(a, &b.cb, &b.reply_to, &d);
        if (e != RSP_OK)
            rc = rsp_cli_fail("op: callback listener", e, &d);
    }
    bool interrupted = false;
    double t0 = now_s();
    if (rc < 0) {
        pthread_mutex_init(&b.mu, NULL);
        sigset_t set, old;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, &old); /* the workers inherit the mask */
        /* An ignored signal is discarded, never pending: a batch started in the background of a script
         * inherits SIGINT ignored. Blocked, the default action never runs; sigtimedwait takes it. */
        struct sigaction dfl, old_int, old_term;
        memset(&dfl, 0, sizeof(dfl));
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGINT, &dfl, &old_int);
        sigaction(SIGTERM, &dfl, &old_term);
        unsigned started = 0;
        for (; started < nw; started++) {
            w[started].b = &b;
            if (pthread_create(&w[started].th, NULL, work, &w[started]) != 0)
                break;
        }
        bool tty = isatty(2);
        double last = 0;
        for (;;) {
            pthread_mutex_lock(&b.mu);
            bool over = b.finished >= b.n || (b.stop && b.inflight == 0) || started == 0;
            pthread_mutex_unlock(&b.mu);
            if (over)
                break;
            struct timespec tick = {0, 200 * 1000000L};
            int sig = sigtimedwait(&set, NULL, &tick);
            if (sig > 0 && interrupted) {
                /* a second Ctrl-C: quit now; the EIDs in flight have no line, a rerun sends them again */
                pthread_mutex_lock(&b.mu); /* lines are written whole under it */
                fflush(b.out);
                fprintf(stderr, "op: stopped with %zu in flight (no result line: a rerun sends them again)\n",
                        b.inflight);
                _exit(130);
            }
            if (sig > 0) {
                pthread_mutex_lock(&b.mu);
                b.stop = true;
                pthread_mutex_unlock(&b.mu);
                interrupted = true;
                fprintf(stderr, "%sop: interrupted: waiting for the requests in flight (Ctrl-C again: quit now)\n",
                        tty ? "\n" : "");
            }
            double t = now_s();
            if (tty || t - last >= 3.0) {
                progress(&b, t0, tty, false);
                last = t;
            }
        }
        for (unsigned i = 0; i < started; i++)
            pthread_join(w[i].th, NULL);
        progress(&b, t0, tty, true);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_mutex_destroy(&b.mu);
        summary(&b, results, now_s() - t0, interrupted);
        rc = interrupted ? 130
             : b.count[OP_REFUSED] + b.count[OP_FAULT] + b.count[OP_INVALID] ? RSP_EXIT_FAIL
             : b.count[OP_NO_ANSWER]                                          ? OP_EXIT_NO_ANSWER
                                                                              : RSP_EXIT_OK;
    }
    op_cb_stop(b.cb);
    for (unsigned i = 0; w && i < nw; i++)
        rsp_svc_client_free(w[i].cl);
    free(w);
    if (b.out)
        fclose(b.out);
    if (b.fcids)
        fclose(b.fcids);
    for (size_t i = 0; i < b.n; i++) {
        free(b.items[i].eid);
        free(b.items[i].iccid);
        free(b.items[i].fcid);
    }
    free(b.items);
    return rc;
}
