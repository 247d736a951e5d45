/* The `rsp smsr run` loop until lib/svc hosts it: an ESME bound for the SM-SR's number, deliver_sm
 * reassembled and routed (PoR 71 / command packet 70) to the engine, and a timer that expires
 * operations and sends what the engine hands out. Every decision is in the store before a packet
 * goes to the ESME, so SIGTERM (or kill -9) leaves nothing that another worker cannot resume. */
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/log.h"
#include "rsp/sms.h"
#include "rsp/smpp.h"
#include "rsp/smsr_console.h"
#include "rsp/svc.h"
#include "smsr_change.h"
#include "smsr_int.h"
#include "smsr_metrics.h"
#include "smsr_outbox.h"

typedef struct dmn {
    const rsp_smsr_daemon_opts *o;
    struct event_base *base;
    rsp_store *st;
    rsp_smsr *e;
    rsp_smsr_index *ix;
    rsp_smpp_esme *esme;
    rsp_sms_reasm reasm;
    unsigned sms_in, sms_out;
    rsp_smsr_es *es;     /* ES4 handlers, when listening */
    smsr_es3 *es3;       /* ES3 handlers, when listening */
    smsr_chg_es *chg;    /* SM-SR change (ES4 Prepare/SMSRChange, ES7) and its driver, when listening */
    smsr_https *https;   /* ES5 over HTTPS (SCP81 admin server), when --admin-listen */
    rsp_svc *svc;
    rsp_smsr_console *console; /* the web console, when --console-listen */
    struct event *tick;
    bool pumping;        /* inside pump(): an admin answer settled synchronously must not re-enter */
    bool stopping;       /* SIGTERM: nothing new is claimed (admin scripts failed by the stop included) */
    bool settled_turn;   /* an operation settled on this worker in this loop turn (on_turn answers) */
    int64_t expired_at;  /* second of the last expiry sweep */
    /* Claims (docs/modules/smsr.md "Throughput"): a claim that finds nothing still costs a savepoint
     * and two UPDATEs in the store, and it ran after every PoR, every MO packet and every 20 ms tick
     * (seven per ES4 enable at one client). Under group commit (d->svc) a PoR or MO packet only asks
     * for one claim loop at the end of the turn; the tick looks again only CLAIM_POLL_MS after a
     * loop found nothing, since what it is for (retries, lapsed leases, deadlines, another worker's
     * queue) is due in whole seconds. */
    bool pump_turn;      /* something this turn may have freed a card's queue: claim at its end */
    int64_t claim_empty_ms; /* when the last claim loop found nothing (0: look at the next tick) */
    /* The tick's look at the calls waiting for a result (rsp_smsr_es_poll, smsr_es3_poll: one store
     * read per waiting call) is for results settled elsewhere (another worker); this worker's own
     * settles and expiries are answered at the end of their turn (on_turn). */
    int64_t polled_ms;
    rsp_metric *settled, *latency; /* rsp_smsr_operations_total, rsp_smsr_operation_seconds; NULL: no /metrics */
    rsp_metric *refused; /* rsp_smsr_sms_refused_total{kind,reason}; NULL: no /metrics */
    smsr_metrics mx;     /* oldest operation ages, PoR latency (lib/smsr/metrics.c) */
} dmn;

/* An engine operation's script in the card's admin session: what its answer settles. */
typedef struct admin_op {
    dmn *d;
    char eid[33];
    int64_t op_id, gen;
} admin_op;

static void pump(dmn *d);
#define CLAIM_POLL_MS 200

/* A settled or re-queued op may free its card's queue: claim now, or at the end of this turn when
 * the loop commits per turn (one claim loop for every answer of the turn). */
static void pump_soon(dmn *d)
{
    if (d->svc)
        d->pump_turn = true;
    else
        pump(d);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void send_packet(dmn *d, const rsp_smsr_packet *p)
{
    for (size_t i = 0; i < p->n; i++) {
        rsp_smpp_pdu sm;
        rsp_smpp_pdu_init(&sm, RSP_SMPP_SUBMIT_SM, 0);
        snprintf(sm.source_addr, sizeof(sm.source_addr), "%s", d->o->msisdn);
        snprintf(sm.dest_addr, sizeof(sm.dest_addr), "%s", p->msisdn);
        sm.src_ton = sm.dst_ton = 1;
        sm.src_npi = sm.dst_npi = 1;
        sm.esm_class = RSP_SMPP_ESM_UDHI;
        sm.protocol_id = 0x7F;
        sm.data_coding = 0xF6;
        if (p->parts[i].len > sizeof(sm.short_message))
            return;
        memcpy(sm.short_message, p->parts[i].data, p->parts[i].len);
        sm.sm_length = (uint8_t)p->parts[i].len;
        /* the ESME queues and resends over reconnects; a loss is the engine's lease to notice */
        if (rsp_smpp_esme_submit(d->esme, &sm, NULL, NULL) == RSP_OK)
            d->sms_out++;
    }
    RSP_LOGI(RSP_SS_SMSR, "packet sent", "eid=%s op=%lld cntr=%llu sms=%zu", p->eid, (long long)p->op_id,
             (unsigned long long)p->counter, p->n);
    smsr_metrics_sent(&d->mx, p->eid, now_ms());
}

static void es3_send(void *arg, const rsp_smsr_packet *p)
{
    send_packet(arg, p);
}

static void on_admin_done(void *arg, uint64_t tag, rsp_err err, rsp_scp81_status st, const uint8_t *body, size_t len,
                          const char *why)
{
    (void)tag;
    admin_op *a = arg;
    dmn *d = a->d;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    bool lost = err != RSP_OK || (st != RSP_SCP81_STATUS_OK && st != RSP_SCP81_STATUS_NONE);
    rsp_err r = rsp_smsr_on_admin(d->e, a->eid, a->op_id, a->gen, body, len, lost, now_ms() / 1000, &dg);
    char m[160];
    RSP_LOGN(RSP_SS_SMSR, "admin answer", "eid=%s op=%lld lost=%d%s%s result=%s%s%s", a->eid, (long long)a->op_id,
             (int)lost, why ? " why=" : "", why ? why : "", rsp_err_name(r), r ? " detail=" : "",
             r ? rsp_diag_str(&dg, r, m, sizeof(m)) : "");
    free(a);
    if (!d->pumping && !d->stopping && d->esme)
        pump_soon(d); /* a settled op frees its card's queue */
}

/* An engine command for the card's admin session (rsp_smsr_next chose HTTPS). */
static void send_admin(dmn *d, const rsp_smsr_packet *p)
{
    admin_op *a = calloc(1, sizeof(*a));
    rsp_err err = a && d->https ? RSP_OK : RSP_ERR_NOMEM;
    if (err == RSP_OK) {
        *a = (admin_op){d, "", p->op_id, p->generation};
        snprintf(a->eid, sizeof(a->eid), "%s", p->eid);
        RSP_LOGI(RSP_SS_SMSR, "operation sent over HTTPS", "eid=%s op=%lld bytes=%zu", p->eid, (long long)p->op_id,
                 p->script.len);
        err = smsr_https_queue(d->https, p->eid, NULL, 0, p->script.data, p->script.len, on_admin_done, a,
                               (uint64_t)p->op_id);
        if (err == RSP_OK)
            return; /* a is on_admin_done's */
    }
    free(a);
    rsp_smsr_on_admin(d->e, p->eid, p->op_id, p->generation, NULL, 0, true, now_ms() / 1000, NULL);
}

/* The engine settled an operation on this worker (rsp_smsr_config.on_settled). */
static void on_settled(void *arg, const char *function, rsp_store_op_state outcome, int64_t seconds)
{
    dmn *d = arg;
    d->settled_turn = true;
    const char *v[2] = {function, outcome == RSP_STORE_OP_DONE ? "done" : "failed"};
    if (d->settled)
        rsp_metric_inc(d->settled, v, 1);
    if (d->latency)
        rsp_metric_observe(d->latency, v, (double)seconds);
}

/* The expiry sweep's count per function (rsp_smsr_expire_each). */
static void on_expired(void *arg, const char *function, size_t n)
{
    dmn *d = arg;
    d->settled_turn = true; /* on_turn answers the calls that waited for them */
    const char *v[2] = {function, "expired"};
    if (d->settled)
        rsp_metric_inc(d->settled, v, (double)n);
}

static void pump(dmn *d)
{
    int64_t now = now_ms() / 1000;
    size_t n = 0;
    /* Deadlines are in seconds: one sweep per second is enough. The sweep is an UPDATE over the
     * operation table; run on every PoR and every submit it was the SM-SR's largest cost under
     * load (perf: 37% of its CPU at 32 clients). */
    bool sweep = now != d->expired_at;
    if (sweep)
        d->expired_at = now;
    if (sweep && rsp_smsr_expire_each(d->e, now, on_expired, d, &n) == RSP_OK && n)
        RSP_LOGN(RSP_SS_SMSR, "operations expired", "n=%zu", n);
    if (!rsp_smpp_esme_bound(d->esme))
        return; /* nothing is claimed while the link is down: the queue waits in the store */
    d->claim_empty_ms = 0;
    for (int i = 0; i < 64; i++) {
        rsp_smsr_packet p;
        rsp_err err = rsp_smsr_next(d->e, now, &p);
        if (err != RSP_OK) {
            if (err != RSP_ERR_END)
                RSP_LOGE(RSP_SS_SMSR, "engine", "err=%s", rsp_err_name(err));
            else
                d->claim_empty_ms = now_ms();
            return;
        }
        d->pumping = true;
        if (p.https)
            send_admin(d, &p);
        else
            send_packet(d, &p);
        d->pumping = false;
        rsp_smsr_packet_clear(&p);
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    dmn *d = arg;
    int64_t t = now_ms();
    if (!d->claim_empty_ms || t - d->claim_empty_ms >= CLAIM_POLL_MS || t < d->claim_empty_ms)
        pump(d);
    else if (t / 1000 != d->expired_at)
        pump(d); /* the once-a-second expiry sweep (and a look, as it is there) */
    if (t - d->polled_ms < CLAIM_POLL_MS && t >= d->polled_ms)
        return;
    d->polled_ms = t;
    if (d->es)
        rsp_smsr_es_poll(d->es);
    if (d->es3)
        smsr_es3_poll(d->es3, now_ms() / 1000);
}

/* The end of every loop turn, before its group commit (rsp_svc_opts.on_turn): the work that used to
 * wait for the next tick. An ES call submitted an operation: claim and send it now (the SMS leaves
 * after the commit). An operation settled: answer the calls waiting for it (Prefer: wait) and move
 * durable results to the outbox. The tick stays for expiry, retries and other workers' changes. */
static void on_turn(void *arg, rsp_svc *svc, unsigned es_calls)
{
    (void)svc;
    dmn *d = arg;
    if (d->stopping)
        return;
    if ((es_calls || d->pump_turn) && d->esme)
        pump(d);
    d->pump_turn = false;
    if (d->settled_turn) {
        d->settled_turn = false;
        if (d->es)
            rsp_smsr_es_poll(d->es);
        if (d->es3)
            smsr_es3_poll(d->es3, now_ms() / 1000);
    }
}

/* /metrics (svc's registry): operations by state, read from the store at each scrape (so every
 * worker's scrape shows the whole fleet's queue), and this worker's SMS in / out. */
static void collect(void *arg, rsp_metrics *m)
{
    dmn *d = arg;
    rsp_metric *ops = rsp_metrics_find(m, "rsp_smsr_operations");
    size_t n[6];
    /* the live operations counted, the settled ones from the store's tally (never a COUNT over every
     * operation ever kept); a failed read leaves the last figures */
    if (ops && rsp_store_op_states(d->st, n) == RSP_OK)
        for (int st = RSP_STORE_OP_QUEUED; st <= RSP_STORE_OP_EXPIRED; st++) {
            const char *v[1] = {rsp_store_op_state_name((rsp_store_op_state)st)};
            rsp_metric_set(ops, v, (double)n[st]);
        }
    rsp_store_batch_stats bs;
    rsp_store_batch_stats_get(d->st, &bs);
    rsp_metric *sc = rsp_metrics_find(m, "rsp_smsr_store_commits_total");
    rsp_metric *su = rsp_metrics_find(m, "rsp_smsr_store_batch_units_total");
    if (sc)
        rsp_metric_set(sc, NULL, (double)bs.commits);
    if (su)
        rsp_metric_set(su, NULL, (double)bs.units);
    rsp_metric *in = rsp_metrics_find(m, "rsp_smsr_sms_in_total");
    rsp_metric *out = rsp_metrics_find(m, "rsp_smsr_sms_out_total");
    if (in)
        rsp_metric_set(in, NULL, (double)d->sms_in);
    if (out)
        rsp_metric_set(out, NULL, (double)d->sms_out);
    smsr_https_stats hs;
    smsr_https_stats_get(d->https, &hs);
    static const char *const names[] = {"rsp_smsr_admin_sessions_total", "rsp_smsr_admin_psk_refused_total",
                                        "rsp_smsr_admin_triggers_total", "rsp_smsr_admin_scripts_failed_total"};
    const unsigned long v[] = {hs.opened, hs.refused_psk, hs.triggers, hs.failed};
    for (size_t i = 0; i < 4; i++) {
        rsp_metric *mt = rsp_metrics_find(m, names[i]);
        if (mt)
            rsp_metric_set(mt, NULL, (double)v[i]);
    }
}

static rsp_err metrics_register(dmn *d, rsp_metrics *m)
{
    static const char *const st[] = {"state"};
    rsp_err err = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_smsr_operations", "ES operations in the store by state",
                                  st, 1, NULL, 0, NULL);
    static const char *const fo[] = {"function", "outcome"};
    static const double secs[] = {1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 86400};
    err = err ? err
              : rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smsr_operations_total",
                                "operations settled by this worker, by ES function and outcome (done, failed, expired)",
                                fo, 2, NULL, 0, &d->settled);
    err = err ? err
              : rsp_metrics_add(m, RSP_METRIC_HISTOGRAM, "rsp_smsr_operation_seconds",
                                "submit to settle (done or failed) of the operations this worker settled", fo, 2,
                                secs, sizeof(secs) / sizeof(secs[0]), &d->latency);
    err = err ? err
              : rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smsr_store_commits_total",
                                "durable store commits made by this worker (a group commit counts once)", NULL, 0,
                                NULL, 0, NULL);
    err = err ? err
              : rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smsr_store_batch_units_total",
                                "store writes (units of work) that went into this worker's group commits", NULL, 0,
                                NULL, 0, NULL);
    err = err ? err
              : rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smsr_sms_in_total",
                                "SMS received from the SMSC by this worker", NULL, 0, NULL, 0, NULL);
    err = err ? err
              : rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smsr_sms_out_total",
                                "SMS sent to the SMSC by this worker", NULL, 0, NULL, 0, NULL);
    static const char *const kr[] = {"kind", "reason"};
    err = err ? err
              : rsp_metrics_add(m, RSP_METRIC_COUNTER, "rsp_smsr_sms_refused_total",
                                "SMS packets refused and not acted on by this worker, by kind (por, mo, other) and "
                                "reason (unknown_number, unreadable, bad_mac, bad_counter, denied, no_keys)",
                                kr, 2, NULL, 0, &d->refused);
    static const char *const admin[][2] = {
        {"rsp_smsr_admin_sessions_total", "SCP81 admin sessions opened by cards on this worker"},
        {"rsp_smsr_admin_psk_refused_total", "PSK-TLS handshakes refused (unknown PSK identity)"},
        {"rsp_smsr_admin_triggers_total", "trigger SMS sent (resends included)"},
        {"rsp_smsr_admin_scripts_failed_total", "admin scripts that got no answer (session broke, trigger lost)"}};
    for (size_t i = 0; err == RSP_OK && d->https && i < 4; i++)
        err = rsp_metrics_add(m, RSP_METRIC_COUNTER, admin[i][0], admin[i][1], NULL, 0, NULL, 0, NULL);
    err = err ? err : smsr_metrics_register(&d->mx, m, d->st);
    return err ? err : rsp_metrics_on_collect(m, collect, d);
}

static void on_svc_stop(void *arg, rsp_svc *svc)
{
    (void)svc;
    dmn *d = arg;
    d->stopping = true;
    rsp_store_batch_stats bs;
    rsp_store_batch_stats_get(d->st, &bs);
    RSP_LOGN(RSP_SS_SMSR, "stopping", "sms_in=%u sms_out=%u store_commits=%llu batch_units=%llu", d->sms_in,
             d->sms_out, (unsigned long long)bs.commits, (unsigned long long)bs.units);
    if (d->tick)
        event_del(d->tick);
    rsp_smsr_es_stop(d->es);
    rsp_smsr_console_stop(d->console); /* its listener must not keep the loop alive */
    smsr_https_stop(d->https); /* before ES3: its callbacks answer ES3's waiting SendData */
    smsr_es3_stop(d->es3);
    if (d->esme) { /* the loop ends when the svc is done; the ESME must not keep it alive */
        rsp_smpp_esme_free(d->esme);
        d->esme = NULL;
    }
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    dmn *d = arg;
    RSP_LOGN(RSP_SS_SMSR, "stopping", "signal=%d sms_in=%u sms_out=%u", (int)fd, d->sms_in, d->sms_out);
    event_base_loopbreak(d->base);
}

/* Why an incoming packet was refused (never acted on), as the reason label of
 * rsp_smsr_sms_refused_total; NULL when err is no refusal of the packet but a failure of ours (store,
 * memory: the log line says which) or no failure. */
static const char *refusal(rsp_err err, bool por)
{
    switch (err) {
    case RSP_ERR_VERIFY: return "bad_mac";     /* RC/CC of the packet or PoR */
    case RSP_ERR_REPLAY: return "bad_counter"; /* counter out of sequence */
    case RSP_ERR_FORMAT: case RSP_ERR_TRUNCATED: case RSP_ERR_LENGTH: case RSP_ERR_TAG: case RSP_ERR_RANGE:
    case RSP_ERR_PROTOCOL: case RSP_ERR_UNSUPPORTED: case RSP_ERR_INVAL:
        return "unreadable";
    case RSP_ERR_DENIED: return "denied";       /* a notification naming another eUICC */
    /* a PoR that opens but matches no packet in flight (a late one after a resend, a 3A08
     * confirmation's, a card's unsecured error PoR) is no refusal: it is simply not used */
    case RSP_ERR_NOT_FOUND: return por ? NULL : "no_keys";
    default: return NULL;
    }
}

static void count_refused(dmn *d, bool por, const char *reason)
{
    const char *v[2] = {por ? "por" : "mo", reason};
    if (d->refused && reason)
        rsp_metric_inc(d->refused, v, 1);
}

static void handle(dmn *d, const char *from, const uint8_t *pkt, size_t len, uint8_t iei)
{
    const char *eid = rsp_smsr_index_eid(d->ix, from);
    if (!eid && rsp_smsr_index_refresh(d->e, d->ix) == RSP_OK) /* another worker registered it */
        eid = rsp_smsr_index_eid(d->ix, from);
    if (!eid) {
        RSP_LOGN(RSP_SS_SMSR, "SMS from an unknown number dropped", "from=%s", from);
        count_refused(d, iei == 0x71, "unknown_number");
        return;
    }
    char eidc[33];
    snprintf(eidc, sizeof(eidc), "%s", eid);
    int64_t now = now_ms() / 1000;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    rsp_err err;
    if (iei == 0x71) {
        smsr_metrics_por(&d->mx, eidc, now_ms());
        err = rsp_smsr_on_por(d->e, eidc, pkt, len, now, &dg);
        if (err == RSP_ERR_NOT_FOUND && d->es3) /* an ES3 CreateISDP / SendData answer */
            err = smsr_es3_on_por(d->es3, eidc, pkt, len, now);
    } else {
        rsp_smsr_packet c;
        err = rsp_smsr_on_mo(d->e, eidc, pkt, len, now, &c, &dg);
        if (err == RSP_OK)
            send_packet(d, &c);
        rsp_smsr_packet_clear(&c);
    }
    count_refused(d, iei == 0x71, refusal(err, iei == 0x71));
    char m[256];
    /* notifications are rare and worth seeing at the default level; PoRs are per packet */
    rsp_log(RSP_SS_SMSR, iei == 0x71 ? RSP_LOG_INFO : RSP_LOG_NOTICE, iei == 0x71 ? "PoR" : "MO packet",
            "eid=%s result=%s%s%s", eidc, rsp_err_name(err), err ? " why=" : "",
            err ? rsp_diag_str(&dg, err, m, sizeof(m)) : "");
    pump_soon(d); /* a settled op frees its card's queue */
}

static uint32_t on_deliver(void *arg, const rsp_smpp_pdu *pdu)
{
    dmn *d = arg;
    if (pdu->esm_class & RSP_SMPP_ESM_RECEIPT)
        return RSP_SMPP_ROK;
    d->sms_in++;
    rsp_buf out = RSP_BUF_INIT;
    uint8_t iei = 0;
    bool done = false;
    rsp_err err = rsp_sms_reasm_add(&d->reasm, pdu->source_addr, pdu->short_message, pdu->sm_length,
                                    (uint64_t)now_ms(), &out, &iei, &done, NULL);
    if (err == RSP_OK && done && (iei == 0x70 || iei == 0x71)) {
        handle(d, pdu->source_addr, out.data, out.len, iei);
    } else if (err != RSP_OK || (done && iei != 0x70 && iei != 0x71)) { /* no SCP80 packet: not read */
        const char *v[2] = {"other", "unreadable"};
        if (d->refused)
            rsp_metric_inc(d->refused, v, 1);
        RSP_LOGN(RSP_SS_SMSR, "SMS not read", "from=%s result=%s iei=%02X", pdu->source_addr, rsp_err_name(err),
                 iei);
    }
    rsp_buf_free(&out);
    return RSP_SMPP_ROK;
}

rsp_err rsp_smsr_daemon_run(const rsp_smsr_daemon_opts *o, rsp_diag *diag)
{
    if (!o || !o->db || !o->smsc_host || !o->msisdn)
        return RSP_ERR_INVAL;
    dmn d;
    memset(&d, 0, sizeof(d));
    d.o = o;
    rsp_sms_reasm_init(&d.reasm, 30000);
    rsp_err err = rsp_store_open(o->db, diag, &d.st);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    cfg.worker_id = o->worker_id ? o->worker_id : "smsr";
    if (o->por_wait > 0)
        cfg.por_wait = o->por_wait;
    if (o->notif_wait > 0)
        cfg.notif_wait = o->notif_wait;
    if (o->kvn) /* its SCP81 PSK: the one paired with it (the engine's default, RSP_SMSR_PSK_KVN) */
        cfg.kvn = o->kvn;
    cfg.master_key = o->master_key;
    cfg.master_key_len = o->master_key_len;
    cfg.on_settled = on_settled;
    cfg.settled_arg = &d;
    cfg.es5_transport = o->es5_transport == RSP_SMSR_ES5_HTTPS ? RSP_SMSR_ES5_HTTPS
                        : o->es5_transport == RSP_SMSR_ES5_AUTO ? RSP_SMSR_ES5_AUTO
                                                                : RSP_SMSR_ES5_SMS;
    if (cfg.es5_transport != RSP_SMSR_ES5_SMS && !o->admin_listen)
        err = err ? err : rsp_diag_set(diag, RSP_ERR_INVAL, "ES5 over HTTPS needs --admin-listen");
    struct event *tick = NULL, *sterm = NULL, *sint = NULL;
    if (err == RSP_OK) /* the operations this worker settles are tallied under its id (store v10) */
        err = rsp_store_tally_key(d.st, cfg.worker_id);
    if (err == RSP_OK)
        err = rsp_smsr_new(d.st, &cfg, &d.e);
    if (err == RSP_OK)
        err = rsp_smsr_index_new(&d.ix);
    if (err == RSP_OK)
        err = rsp_smsr_index_refresh(d.e, d.ix);
    if (err == RSP_OK && !(d.base = event_base_new()))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK) {
        rsp_smpp_esme_opts eo = {0};
        eo.host = o->smsc_host;
        eo.port = o->smsc_port;
        eo.system_id = o->system_id ? o->system_id : "smsr";
        eo.password = o->password ? o->password : "smsr";
        eo.address_range = o->msisdn;
        eo.system_type = o->system_type;
        eo.window = o->smpp_window;
        eo.rate = o->smpp_rate;
        eo.enquire_link_ms = o->enquire_link_ms;
        eo.reconnect_min_ms = 100;
        eo.reconnect_max_ms = 2000;
        eo.on_deliver = on_deliver;
        eo.arg = &d;
        err = rsp_smpp_esme_new(d.base, &eo, &d.esme);
    }
    if (err == RSP_OK && o->admin_listen) { /* ES5 over HTTPS: triggers go out through the ESME */
        smsr_https_opts ho;
        memset(&ho, 0, sizeof(ho));
        ho.listen = o->admin_listen;
        ho.port_file = o->admin_port_file;
        ho.host = o->admin_host;
        ho.idle_ms = o->admin_idle_ms;
        ho.trigger_ms = o->admin_trigger_ms;
        ho.send = es3_send;
        ho.send_arg = &d;
        err = smsr_https_new(d.base, d.e, &ho, &d.https, diag);
    }
    if (err == RSP_OK && o->listen) { /* ES over HTTPS: the svc owns signals and the stop */
        size_t nh = 0;
        const rsp_es_handler *h = NULL;
        if ((err = rsp_smsr_es_new(d.e, o->m2msp_ids, o->smdp_ids, &d.es)) == RSP_OK) {
            rsp_smsr_es_set_es1(d.es, o->es1);
            h = rsp_smsr_es_handlers(d.es, &nh);
        }
        if (err == RSP_OK && (err = smsr_es3_new(d.e, o->smdp_ids, es3_send, &d, &d.es3)) == RSP_OK)
            err = smsr_es3_merge(d.es3, &h, &nh);
        if (err == RSP_OK)
            smsr_es3_set_https(d.es3, d.https);
        smsr_chg_opts co = {o->db, o->tls_cert, o->tls_key, o->tls_ca, o->callbacks, o->msisdn,
                            o->m2msp_ids, o->smdp_ids, o->eis_dir};
        if (err == RSP_OK && (err = smsr_chg_es_new(d.e, &co, &d.chg, diag)) == RSP_OK)
            err = smsr_chg_es_merge(d.chg, &h, &nh);
        rsp_svc_opts so;
        memset(&so, 0, sizeof(so));
        so.name = "smsr";
        so.log_ss = RSP_SS_SMSR;
        so.base = d.base;
        so.listen = o->listen;
        so.tls_cert = o->tls_cert;
        so.tls_key = o->tls_key;
        so.tls_ca = o->tls_ca;
        so.port_file = o->port_file;
        if (o->svc) {
            so.metrics_listen = o->svc->metrics_listen;
            so.max_connections = o->svc->max_connections;
            so.max_pending = o->svc->max_pending;
            so.stop_grace_ms = o->svc->stop_grace_ms;
            so.callback_queue = o->svc->callback_queue;
            so.callback_timeout_ms = o->svc->callback_timeout_ms;
        }
        so.handlers = h;
        so.n_handlers = nh;
        so.on_stop = on_svc_stop;
        so.hook_arg = &d;
        so.es_send = rsp_smsr_es_send; /* results durably through the outbox */
        so.es_send_ctx = d.es;
        so.batch_store = d.st; /* group commit: one durable commit per loop turn */
        so.on_turn = on_turn;
        if (err == RSP_OK)
            err = rsp_svc_new(&so, &d.svc, diag);
        if (err == RSP_OK)
            err = rsp_smsr_es_outbox(d.es, d.svc, cfg.worker_id, o->callbacks, diag);
        if (err == RSP_OK)
            err = metrics_register(&d, rsp_svc_metrics(d.svc));
    }
    if (err == RSP_OK && o->console) /* the web console, read-only unless its actions are on */
        err = rsp_smsr_console_new(d.base, d.e, d.st, o->console, &d.console, diag);
    if (err == RSP_OK) {
        unsigned ms = o->tick_ms ? o->tick_ms : 200;
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        tick = d.tick = event_new(d.base, -1, EV_PERSIST, on_tick, &d);
        if (!d.svc) {
            sterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
            sint = evsignal_new(d.base, SIGINT, on_signal, &d);
        }
        if (!tick || event_add(tick, &tv) ||
            (!d.svc && (!sterm || !sint || event_add(sterm, NULL) || event_add(sint, NULL))))
            err = RSP_ERR_NOMEM;
    }
    if (err == RSP_OK) {
        RSP_LOGN(RSP_SS_SMSR, "running", "worker=%s smsc=%s:%u msisdn=%s backend=%s es=%s", cfg.worker_id,
                 o->smsc_host, (unsigned)o->smsc_port, o->msisdn, rsp_store_backend(d.st),
                 o->listen ? o->listen : "off");
        rsp_err re = d.svc ? rsp_svc_run(d.svc) : RSP_OK;
        if (re != RSP_OK) { /* a failed group commit: exit non-zero, a restart resumes from the store */
            RSP_LOGE(RSP_SS_SMSR, "loop failed", "err=%s", rsp_err_name(re));
            err = re;
        }
        if (!d.svc) /* without ES listeners: every write commits on its own (no group commit) */
            event_base_dispatch(d.base);
    }
    if (tick)
        event_free(tick);
    if (sterm)
        event_free(sterm);
    if (sint)
        event_free(sint);
    if (d.esme)
        rsp_smpp_esme_free(d.esme);
    rsp_smsr_es_free(d.es);
    smsr_https_free(d.https); /* first: its stop answers ES3's waiting calls */
    smsr_es3_free(d.es3);
    if (d.svc)
        rsp_svc_free(d.svc);
    smsr_chg_es_free(d.chg); /* after the svc: its handlers are gone; joins the driver */
    rsp_smsr_console_free(d.console);
    if (d.base)
        event_base_free(d.base);
    rsp_smsr_index_free(d.ix);
    rsp_smsr_free(d.e);
    rsp_store_close(d.st);
    rsp_sms_reasm_free(&d.reasm);
    return err;
}
