/* ES5 over HTTPS: the SM-SR's SCP81 admin server (PSK-TLS 1.2, GP Amendment B), on the daemon's
 * event loop. The session table and the reading of a POST are in admin.c, what a card's POST and
 * connection do and the PSK look-up in es5_https_post.c; this file holds the sessions, the timers,
 * the queues and the trigger SMS.
 *
 * The PSK of a handshake is looked up by its identity (EID, ISD-R AID, KVN) and unsealed from the
 * store for that handshake only (wiped after); an identity without a stored PSK is refused and
 * counted. A queue on a closed session sends the trigger (an SCP80 packet `81 ...` to the ISD-R,
 * counter reserved durably like every packet) and resends it, with a fresh counter, a bounded number
 * of times. Queued scripts are in memory: whoever queued one (an ES3.SendData call, itself in
 * memory) is answered when it settles, and both die with the process (the SM-DP's download cleans up). */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rsp/hostport.h"
#include "rsp/http.h"
#include "rsp/ids.h"
#include "rsp/log.h"
#include "rsp/tls.h"
#include "es5_https_int.h"
#include "smsr_dl.h"

int64_t smsr_https_now(void)
{
    return (int64_t)time(NULL);
}

static void job_free(job *j)
{
    if (j) {
        free(j->body);
        free(j);
    }
}

/* FNV-1a of the EID, case folded (EIDs are compared case-insensitively) */
static size_t eid_hash(const char *eid)
{
    uint64_t x = 1469598103934665603ULL;
    for (const char *p = eid; *p; p++) {
        char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 32) : *p;
        x = (x ^ (uint8_t)c) * 1099511628211ULL;
    }
    return (size_t)x;
}

static void idx_put(size_t *idx, size_t cap, const char *eid, size_t i)
{
    size_t k = eid_hash(eid) & (cap - 1);
    while (idx[k])
        k = (k + 1) & (cap - 1);
    idx[k] = i + 1;
}

ses *smsr_https_ses(smsr_https *h, const char *eid, bool create)
{
    if (h->idx_cap) {
        for (size_t k = eid_hash(eid) & (h->idx_cap - 1); h->idx[k]; k = (k + 1) & (h->idx_cap - 1))
            if (strcasecmp(h->s[h->idx[k] - 1]->eid, eid) == 0)
                return h->s[h->idx[k] - 1];
    }
    if (!create)
        return NULL;
    if (2 * (h->n + 1) > h->idx_cap) { /* grow and rehash first: the new session goes into the new index */
        size_t cap = h->idx_cap ? 2 * h->idx_cap : 64;
        size_t *v = calloc(cap, sizeof(*v));
        if (!v)
            return NULL;
        for (size_t i = 0; i < h->n; i++)
            idx_put(v, cap, h->s[i]->eid, i);
        free(h->idx);
        h->idx = v;
        h->idx_cap = cap;
    }
    ses **v = smsr_grow(h->s, h->n, &h->cap, sizeof(*v));
    ses *s = v ? calloc(1, sizeof(*s)) : NULL;
    if (v)
        h->s = v;
    if (!s)
        return NULL;
    s->h = h;
    snprintf(s->eid, sizeof(s->eid), "%s", eid);
    idx_put(h->idx, h->idx_cap, s->eid, h->n);
    h->s[h->n++] = s;
    return s;
}

static void on_timer(evutil_socket_t fd, short what, void *arg);

static void arm(ses *s, unsigned ms)
{
    if (!s->timer)
        s->timer = evtimer_new(s->h->base, on_timer, s);
    if (!s->timer)
        return; /* no timer: the session waits for the card (logged by the caller's counters) */
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(s->timer, &tv);
}

/* The trigger (bytes: smsr_adm_trigger_build, admin.c) in an SCP80 packet to the ISD-R (PoR on error only). */
static rsp_err send_trigger(smsr_https *h, ses *s)
{
    rsp_buf trig = RSP_BUF_INIT;
    rsp_smsr_packet pkt;
    memset(&pkt, 0, sizeof(pkt));
    rsp_err err = smsr_adm_trigger_build(s->eid, h->host, h->port, h->uri, h->e->cfg.psk_kvn, &trig);
    err = err ? err : smsr_packet_build_data(h->e, s->eid, NULL, trig.data, trig.len, true, smsr_https_now(), &pkt);
    if (err == RSP_OK && !pkt.msisdn[0])
        err = RSP_ERR_NOT_FOUND; /* no enabled profile: no number to send the trigger to */
    if (err == RSP_OK) {
        char hex[2 * 160 + 1];
        rsp_hex_encode_upper(trig.data, trig.len < 160 ? trig.len : 160, hex, sizeof(hex));
        h->o.send(h->o.send_arg, &pkt);
        h->st.triggers++;
        /* the trigger names host, port and PSK identity: identifiers, never the PSK */
        RSP_LOGN(RSP_SS_SMSR, "admin trigger sent", "eid=%s cntr=%llu try=%u trigger=%s", s->eid,
                 (unsigned long long)pkt.counter, s->tries + 1, hex);
    }
    rsp_smsr_packet_clear(&pkt);
    rsp_buf_free(&trig);
    return err;
}

static rsp_err answer_script(smsr_https *h, rsp_http_req *req, const job *j)
{
    rsp_scp81_server_resp r = {false, h->uri, j->aid_len ? j->aid : NULL, j->aid_len};
    rsp_buf hdr = RSP_BUF_INIT;
    int status = 0;
    rsp_err err = rsp_scp81_server_headers(&r, &status, &hdr);
    err = err ? err : rsp_buf_append_byte(&hdr, 0);
    err = err ? err : rsp_http_respond(req, status, (const char *)hdr.data, j->body, j->len);
    rsp_buf_free(&hdr);
    return err;
}

static void answer_end(rsp_http_req *req)
{
    rsp_scp81_server_resp r = {true, NULL, NULL, 0};
    rsp_buf hdr = RSP_BUF_INIT;
    int status = 204;
    if (rsp_scp81_server_headers(&r, &status, &hdr) == RSP_OK && rsp_buf_append_byte(&hdr, 0) == RSP_OK)
        rsp_http_respond(req, status, (const char *)hdr.data, NULL, 0);
    else
        rsp_http_respond(req, 204, NULL, NULL, 0);
    rsp_buf_free(&hdr);
}

static void finish(job **done, job *j, rsp_err err, const char *why)
{
    j->err = err;
    j->why = why;
    j->next = *done;
    *done = j;
}

/* Runs the table's row for ev; the callbacks of settled scripts run last, once the session is
 * consistent (a callback may queue again). */
void smsr_https_fire(ses *s, smsr_adm_event ev, const post_ctx *pc)
{
    smsr_https *h = s->h;
    job *done = NULL;
    bool ends = false; /* the answer just delivered was to a script that ends the session */
    const char *give_up = "no admin session: the eUICC did not answer the trigger";
    for (int guard = 0; guard < 4; guard++) {
        unsigned act = 0;
        smsr_adm_state to;
        if (smsr_adm_next(s->st, ev, s->head != NULL, &act, &to) != RSP_OK) {
            RSP_LOGN(RSP_SS_SMSR, "admin event ignored", "eid=%s state=%s ev=%d", s->eid, smsr_adm_state_name(s->st),
                     (int)ev);
            if (pc && pc->req)
                rsp_http_respond(pc->req, 409, NULL, NULL, 0);
            break;
        }
        s->st = to;
        if (to == SMSR_ADM_CLOSED)
            s->tries = 0; /* the next queue starts a new round of trigger_tries triggers */
        if (s->timer)
            evtimer_del(s->timer);
        if ((act & SMSR_ADM_A_END_HELD) && s->held) {
            answer_end(s->held);
            s->held = NULL;
        }
        if ((act & SMSR_ADM_A_FAIL_INFLIGHT) && s->inflight) {
            h->st.failed++;
            finish(&done, s->inflight, RSP_ERR_PROTOCOL, "the admin session broke off before the card answered");
            s->inflight = NULL;
        }
        if ((act & SMSR_ADM_A_DELIVER) && s->inflight) {
            job *j = s->inflight;
            s->inflight = NULL;
            free(j->body);
            j->body = pc && pc->len ? malloc(pc->len) : NULL;
            j->len = j->body ? pc->len : 0;
            if (j->len)
                memcpy(j->body, pc->body, j->len);
            j->status = pc ? pc->status : RSP_SCP81_STATUS_NONE;
            s->isdp_last = j->aid_len > 0;
            ends = j->ends;
            h->st.answers++;
            finish(&done, j, (pc && pc->len && !j->body) ? RSP_ERR_NOMEM : RSP_OK, NULL);
        }
        if (act & SMSR_ADM_A_FAIL_QUEUE) {
            const char *why = ev == SMSR_ADM_EV_TRIGGER_GIVE_UP ? give_up : "the admin session broke off";
            while (s->head) {
                job *j = s->head;
                s->head = j->next;
                h->st.failed++;
                finish(&done, j, RSP_ERR_TIMEOUT, why);
            }
            s->tail = NULL;
        }
        if (act & SMSR_ADM_A_TRIGGER) {
            rsp_err err = send_trigger(h, s);
            s->tries++;
            if (err != RSP_OK) { /* nothing will open the session: give up now, not at the timer */
                RSP_LOGE(RSP_SS_SMSR, "admin trigger not sent", "eid=%s err=%s", s->eid, rsp_err_name(err));
                give_up = "no admin session: the trigger cannot be sent (keys, MSISDN)";
                ev = SMSR_ADM_EV_TRIGGER_GIVE_UP;
                pc = NULL;
                continue;
            }
        }
        rsp_http_req *req = pc ? pc->req : NULL;
        if (act & SMSR_ADM_A_SEND) {
            rsp_http_req *to_req = req ? req : s->held;
            if (!req)
                s->held = NULL;
            job *j = s->head;
            s->head = j->next;
            if (!s->head)
                s->tail = NULL;
            j->next = NULL;
            if (to_req && answer_script(h, to_req, j) == RSP_OK) {
                s->inflight = j;
                h->st.scripts++;
            } else { /* the card's connection is gone: the script waits for the next session */
                j->next = s->head;
                s->head = j;
                if (!s->tail)
                    s->tail = j;
                ev = SMSR_ADM_EV_GONE;
                pc = NULL;
                continue;
            }
        }
        if (act & SMSR_ADM_A_HOLD)
            s->held = req;
        if ((act & SMSR_ADM_A_HOLD) && ends && s->held) {
            /* nothing queued after a profile change or a confirmation: end now (204), so that the
             * card's notification comes now, not after the idle time */
            RSP_LOGN(RSP_SS_SMSR, "admin session ended after its last script", "eid=%s", s->eid);
            ends = false;
            ev = SMSR_ADM_EV_IDLE;
            pc = NULL;
            continue;
        }
        break;
    }
    switch (s->st) {
    case SMSR_ADM_TRIGGERED: arm(s, h->o.trigger_ms); break;
    /* a download's next segment is a new durable op, and the card's SCP03t session ends with this one */
    case SMSR_ADM_HELD: arm(s, s->isdp_last && h->o.idle_ms < h->o.dl_idle_ms ? h->o.dl_idle_ms : h->o.idle_ms); break;
    case SMSR_ADM_RUNNING: arm(s, h->o.answer_ms); break;
    default: break;
    }
    while (done) {
        job *j = done;
        done = j->next;
        if (j->done)
            j->done(j->arg, j->tag, j->err, j->status, j->body, j->err ? 0 : j->len, j->why);
        job_free(j);
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ses *s = arg;
    switch (s->st) {
    case SMSR_ADM_HELD:
        RSP_LOGN(RSP_SS_SMSR, "admin session idle: ended", "eid=%s", s->eid);
        smsr_https_fire(s, SMSR_ADM_EV_IDLE, NULL);
        break;
    case SMSR_ADM_TRIGGERED:
        RSP_LOGN(RSP_SS_SMSR, "admin trigger unanswered", "eid=%s tries=%u", s->eid, s->tries);
        smsr_https_fire(s, s->tries < s->h->o.trigger_tries ? SMSR_ADM_EV_TRIGGER_LOST : SMSR_ADM_EV_TRIGGER_GIVE_UP, NULL);
        break;
    case SMSR_ADM_RUNNING:
        RSP_LOGN(RSP_SS_SMSR, "admin script unanswered", "eid=%s", s->eid);
        smsr_https_fire(s, SMSR_ADM_EV_NO_ANSWER, NULL);
        break;
    default: break;
    }
}


rsp_err smsr_https_new(struct event_base *base, rsp_smsr *e, const smsr_https_opts *o, smsr_https **out, rsp_diag *d)
{
    char lhost[128];
    uint16_t lport;
    rsp_diag hd;
    rsp_diag_clear(&hd);
    if (!base || !e || !o || !o->send || !out || !o->listen)
        return rsp_diag_set(d, RSP_ERR_INVAL, "admin server: missing argument");
    if (rsp_hostport_split(o->listen, RSP_HOSTPORT_REQUIRED, lhost, sizeof(lhost), &lport, &hd))
        return rsp_diag_set(d, RSP_ERR_INVAL, "admin listen %s", hd.msg);
    smsr_https *h = calloc(1, sizeof(*h));
    if (!h)
        return RSP_ERR_NOMEM;
    h->base = base;
    h->e = e;
    e->https = h;
    h->o = *o;
    h->o.idle_ms = o->idle_ms ? o->idle_ms : 10000;
    h->o.dl_idle_ms = o->dl_idle_ms ? o->dl_idle_ms : 10000;
    h->o.answer_ms = o->answer_ms ? o->answer_ms : 20000;
    h->o.trigger_ms = o->trigger_ms ? o->trigger_ms : 10000;
    h->o.trigger_tries = o->trigger_tries ? o->trigger_tries : 3;
    snprintf(h->host, sizeof(h->host), "%s", o->host ? o->host : lhost);
    snprintf(h->uri, sizeof(h->uri), "%s", o->uri ? o->uri : "/gsma/adminagent");
    rsp_err err = rsp_tls_server_psk_new(smsr_https_psk_lookup, h, &h->tls);
    rsp_http_server_opts so;
    memset(&so, 0, sizeof(so));
    so.host = lhost;
    so.port = lport;
    so.tls = h->tls;
    so.limits.max_body_bytes = 64 * 1024; /* a card's answer: R-APDUs or an EUICCResponse */
    so.idle_timeout_ms = h->o.idle_ms + 5000;
    so.handler = smsr_https_on_request;
    so.on_close = smsr_https_on_close;
    so.arg = h;
    so.log_name = "smsr-admin";
    if (err == RSP_OK)
        err = rsp_http_server_new(base, &so, &h->srv);
    struct timeval beat = {(time_t)smsr_lease_period(e), 0};
    if (err == RSP_OK && (!(h->renew = event_new(base, -1, EV_PERSIST, smsr_https_on_renew, h)) || event_add(h->renew, &beat) != 0))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK) {
        h->port = rsp_http_server_port(h->srv);
        if (o->port_file && rsp_hostport_port_file(o->port_file, h->port) != RSP_OK)
            err = rsp_diag_set(d, RSP_ERR_IO, "cannot write %s", o->port_file);
    } else {
        rsp_diag_set(d, err, "admin server: cannot listen on %s", o->listen);
    }
    if (err != RSP_OK) {
        smsr_https_free(h);
        return err;
    }
    RSP_LOGN(RSP_SS_SMSR, "admin server listening", "listen=%s:%u host=%s uri=%s kvn=%02X idle_ms=%u", lhost,
             (unsigned)h->port, h->host, h->uri, h->e->cfg.psk_kvn, h->o.idle_ms);
    *out = h;
    return RSP_OK;
}

uint16_t smsr_https_port(const smsr_https *h)
{
    return h ? h->port : 0;
}

rsp_err smsr_https_queue(smsr_https *h, const char *eid, const uint8_t *aid, size_t aid_len, const uint8_t *script,
                         size_t len, smsr_https_done_fn done, void *arg, uint64_t tag)
{
    if (!h || !eid || !script || !len || aid_len > 16)
        return RSP_ERR_INVAL;
    ses *s = smsr_https_ses(h, eid, true);
    job *j = s ? calloc(1, sizeof(*j)) : NULL;
    if (j && !(j->body = malloc(len))) {
        free(j);
        j = NULL;
    }
    if (!j)
        return RSP_ERR_NOMEM;
    j->tag = tag;
    memcpy(j->body, script, len);
    j->len = len;
    if (aid_len)
        memcpy(j->aid, aid, aid_len);
    j->aid_len = aid_len;
    j->ends = smsr_adm_script_ends(script, len);
    j->done = done;
    j->arg = arg;
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    smsr_https_fire(s, SMSR_ADM_EV_QUEUED, NULL);
    return RSP_OK;
}

bool smsr_https_open(smsr_https *h, const char *eid)
{
    ses *s = h ? smsr_https_ses(h, eid, false) : NULL;
    return s && s->st != SMSR_ADM_CLOSED;
}

bool smsr_https_reachable(smsr_https *h, const char *eid)
{
    uint8_t psk[16];
    bool ok = h && smsr_psk_get(h->e, eid, h->e->cfg.psk_kvn, psk) == RSP_OK;
    rsp_wipe(psk, sizeof(psk));
    return ok;
}

void smsr_https_stats_get(const smsr_https *h, smsr_https_stats *s)
{
    if (h)
        *s = h->st;
    else
        memset(s, 0, sizeof(*s));
}

/* answer_held: 204 to held POSTs (a stop with the loop still running to write it); a free leaves
 * them to rsp_http_server_free, which drops unanswered requests with their connections. */
static void stop_all(smsr_https *h, bool answer_held)
{
    for (size_t i = 0; h && i < h->n; i++) {
        ses *s = h->s[i];
        if (s->timer)
            evtimer_del(s->timer);
        if (s->held && answer_held)
            answer_end(s->held);
        s->held = NULL;
        job *all = s->inflight;
        if (all)
            all->next = s->head;
        else
            all = s->head;
        s->inflight = s->head = s->tail = NULL;
        s->st = SMSR_ADM_CLOSED;
        while (all) {
            job *j = all;
            all = j->next;
            if (j->done)
                j->done(j->arg, j->tag, RSP_ERR_STATE, RSP_SCP81_STATUS_NONE, NULL, 0, "SM-SR stopping");
            job_free(j);
        }
    }
}

void smsr_https_stop(smsr_https *h)
{
    stop_all(h, true);
}

void smsr_https_free(smsr_https *h)
{
    if (!h)
        return;
    stop_all(h, false);
    if (h->renew)
        event_free(h->renew);
    if (h->e->https == h) {
        h->e->https = NULL;
        h->e->nleases = 0; /* nobody renews them now: they lapse, and the next claim takes the ops over */
    }
    for (size_t i = 0; i < h->n; i++) {
        if (h->s[i]->timer)
            event_free(h->s[i]->timer);
        free(h->s[i]);
    }
    free(h->s);
    free(h->idx);
    if (h->srv)
        rsp_http_server_free(h->srv);
    rsp_tls_ctx_free(h->tls);
    free(h);
}
