/* The SM-DS (include/rsp/smds.h): its CERT.DSauth, the event records, ES12 and ES11.
 *
 * ES12 (SM-DP+ -> SM-DS, mutual TLS): RegisterEvent stores (eid, eventId) for the SM-DP+ whose TLS
 * certificate subject is `peer`; DeleteEvent removes it, by that SM-DP+ only. Both commit before the
 * answer leaves.
 * ES11 (LPA -> SM-DS): the common mutual authentication of lib/smdpp (rsp_smdpp_auth_*) with our
 * DSauth key; authenticateClient answers the authenticated EID's event records, oldest first, all of
 * them or the one ctxParams1's matchingId names. An ES11 session lives here in memory only: it
 * decides nothing durable, and after a restart the LPA starts again with initiateAuthentication.
 * Events are not removed on delivery (an answer lost on the way would lose them): an event is
 * consumed when the download it announces has ended, which its SM-DP+ reports with DeleteEvent
 * (SGP22.md §SM-DS; docs/modules/smds.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "rsp/log.h"
#include "rsp/smdpp.h"
#include "smds_int.h"

/* ES12 codes: the notes give none; ours (docs/ENCODINGS.md §SM-DS). ES11 uses those of ES9+. */
#define SC_MALFORMED "1.2.1", "2.1"
#define SC_REQUESTER "1.1.1", "2.1"
#define SC_EVENT_UNKNOWN "8.9", "3.9"
#define SC_EVENT_EXISTS "8.9", "3.3"
#define SC_TID "8.10.1", "3.9"
#define SC_INTERNAL "8.1", "127"

int64_t rsp_smds__now(rsp_smds *s)
{
    return s->clock ? s->clock() : (int64_t)time(NULL);
}

/* DIR/dsauth: CERT.DSauth verified as DSauth under the CI it names, the key its own. */
static rsp_err load_dsauth(rsp_smds *s, rsp_diag *diag)
{
    char p[700];
    snprintf(p, sizeof(p), "%s/dsauth/ci.crt.der", s->dir);
    rsp_err e = rsp_pki22_read_cert(p, &s->ci, diag);
    if (e)
        return e;
    snprintf(p, sizeof(p), "%s/dsauth", s->dir);
    rsp_bytes ci = rsp_buf_view(&s->ci);
    e = rsp_pki22_load_role(p, RSP_PKI22_DSAUTH, &ci, &s->sk, &s->cert, &s->info, diag);
    return e ? e : rsp_pki22_anchors_new(&ci, 1, &s->anchors, diag);
}

rsp_err rsp_smds_open(const rsp_smds_opts *o, rsp_smds **out, rsp_diag *diag)
{
    if (!o || !o->dir || !o->address || !out)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "smds: a folder and an address are needed");
    if (!*o->address || strlen(o->address) > RSP_ES9P_MAX_ADDRESS)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "smds: address '%.80s' is not 1..255 characters", o->address);
    rsp_smds *s = calloc(1, sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    snprintf(s->dir, sizeof(s->dir), "%s", o->dir);
    snprintf(s->address, sizeof(s->address), "%s", o->address);
    snprintf(s->public_address, sizeof(s->public_address), "%s", o->address);
    s->clock = o->clock;
    rsp_err e = load_dsauth(s, diag);
    if (!e) {
        char uri[700];
        if (o->store)
            snprintf(uri, sizeof(uri), "%s", o->store);
        else
            snprintf(uri, sizeof(uri), "sqlite:%s/smds.db", s->dir);
        e = rsp_store_open(uri, diag, &s->st);
    }
    if (e) {
        rsp_smds_close(s);
        return e;
    }
    *out = s;
    return RSP_OK;
}

void rsp_smds_close(rsp_smds *s)
{
    if (!s)
        return;
    rsp_store_close(s->st);
    rsp_ec_free(s->sk);
    rsp_buf_free(&s->cert);
    rsp_buf_free(&s->ci);
    rsp_pki22_anchors_free(s->anchors);
    rsp_wipe(s->sess, sizeof(s->sess));
    free(s);
}

rsp_store *rsp_smds_store(rsp_smds *s) { return s ? s->st : NULL; }

/* ---- ES12 ---- */
static void es12_fail(rsp_smds_es12_msg *a, const char *subject, const char *reason, const char *why)
{
    rsp_es9p_header *h = &a->header;
    h->status = RSP_ES9P_FAILED;
    snprintf(h->subject_code, sizeof(h->subject_code), "%s", subject);
    snprintf(h->reason_code, sizeof(h->reason_code), "%s", reason);
    snprintf(h->message, sizeof(h->message), "%.150s", why);
    RSP_LOGI(RSP_SS_SMDP, "es12 refused", "name=smds function=%s code=%s/%s why=\"%s\"",
             rsp_smds_es12_path(a->func), subject, reason, why);
}

static int64_t now_us(rsp_smds *s)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    /* a test clock moves the seconds; the microseconds keep one second's registrations in order */
    return rsp_smds__now(s) * 1000000 + tv.tv_usec;
}

void rsp_smds_es12(rsp_smds *s, const char *peer, rsp_smds_es12_func f, const uint8_t *body, size_t len, int *status,
                   rsp_buf *out)
{
    rsp_smds_es12_msg q, a;
    rsp_smds_es12_msg_init(&a, f, true);
    *status = 200;
    rsp_diag d = {0};
    if (rsp_smds_es12_decode(f, false, body, len, &q, &d) != RSP_OK) {
        es12_fail(&a, SC_MALFORMED, d.msg);
    } else if (!peer || !*peer || strlen(peer) >= sizeof(((rsp_store_smds_event *)0)->registered_by)) {
        es12_fail(&a, SC_REQUESTER, "no usable client certificate subject");
    } else if (f == RSP_SMDS_REGISTER_EVENT) {
        rsp_store_smds_event ev;
        memset(&ev, 0, sizeof(ev));
        snprintf(ev.eid, sizeof(ev.eid), "%s", q.eid);
        snprintf(ev.event_id, sizeof(ev.event_id), "%s", q.event_id);
        snprintf(ev.rsp_server_address, sizeof(ev.rsp_server_address), "%s", q.rsp_server_address);
        snprintf(ev.registered_by, sizeof(ev.registered_by), "%s", peer);
        ev.forwarding = q.forwarding_indicator;
        ev.created = now_us(s);
        rsp_err e = rsp_store_smds_register(s->st, &ev);
        if (e == RSP_ERR_EXISTS)
            es12_fail(&a, SC_EVENT_EXISTS, "this eventId of this EID is registered with other data");
        else if (e)
            es12_fail(&a, SC_INTERNAL, "store");
        else
            RSP_LOGN(RSP_SS_SMDP, "es12 event registered", "name=smds eid=%s event=%s server=%s by=\"%s\"", ev.eid,
                     ev.event_id, ev.rsp_server_address, peer);
    } else {
        rsp_err e = rsp_store_smds_delete(s->st, q.eid, q.event_id, peer);
        if (e == RSP_ERR_NOT_FOUND)
            es12_fail(&a, SC_EVENT_UNKNOWN, "no such event");
        else if (e == RSP_ERR_DENIED)
            es12_fail(&a, SC_REQUESTER, "the event was registered by another SM-DP+");
        else if (e)
            es12_fail(&a, SC_INTERNAL, "store");
        else
            RSP_LOGN(RSP_SS_SMDP, "es12 event deleted", "name=smds eid=%s event=%s by=\"%s\"", q.eid, q.event_id, peer);
    }
    s->es12_calls[f == RSP_SMDS_DELETE_EVENT][a.header.status == RSP_ES9P_FAILED]++;
    if (rsp_smds_es12_encode(&a, out, NULL) != RSP_OK) {
        rsp_buf_reset(out);
        *status = 500;
    }
}

/* ---- ES11 ---- */
static smds_sess *sess_find(rsp_smds *s, const char *tid)
{
    int64_t now = rsp_smds__now(s);
    for (size_t i = 0; i < SMDS_SESSIONS; i++)
        if (s->sess[i].used && !strcmp(s->sess[i].a.tid, tid))
            return now - s->sess[i].created < SMDS_SESSION_TTL_S ? &s->sess[i] : NULL;
    return NULL;
}

/* A free slot, else the oldest (an LPA that never came back). */
static smds_sess *sess_new(rsp_smds *s)
{
    smds_sess *old = &s->sess[0];
    for (size_t i = 0; i < SMDS_SESSIONS; i++) {
        if (!s->sess[i].used)
            return &s->sess[i];
        if (s->sess[i].created < old->created)
            old = &s->sess[i];
    }
    return old;
}

static void es11_log(const char *fn, const rsp_es9p_header *h)
{
    RSP_LOGI(RSP_SS_SMDP, "es11 refused", "name=smds function=%s code=%s/%s why=\"%s\"", fn, h->subject_code,
             h->reason_code, h->message);
}

static void set_fail(rsp_es9p_header *h, const char *subject, const char *reason, const char *why)
{
    memset(h, 0, sizeof(*h));
    h->status = RSP_ES9P_FAILED;
    snprintf(h->subject_code, sizeof(h->subject_code), "%s", subject);
    snprintf(h->reason_code, sizeof(h->reason_code), "%s", reason);
    snprintf(h->message, sizeof(h->message), "%.150s", why);
}

static void auth_cfg(rsp_smds *s, rsp_smdpp_auth_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->address = s->address;
    cfg->address2 = s->public_address;
    cfg->sk = s->sk;
    cfg->cert = rsp_buf_view(&s->cert);
    cfg->info = &s->info;
    cfg->ci = rsp_buf_view(&s->ci);
    cfg->anchors = s->anchors;
}

static void initiate(rsp_smds *s, const rsp_es9p_msg *req, rsp_es9p_msg *ans)
{
    rsp_smdpp_auth_cfg cfg;
    auth_cfg(s, &cfg);
    rsp_smdpp_auth_session as;
    if (rsp_smdpp_auth_initiate(&cfg, req, &as, ans, &ans->header) != RSP_OK) {
        es11_log("initiateAuthentication", &ans->header);
        return;
    }
    smds_sess *ss = sess_new(s);
    ss->a = as;
    ss->created = rsp_smds__now(s);
    ss->used = true;
    rsp_wipe(&as, sizeof(as));
}

static void authenticate(rsp_smds *s, const rsp_es9p_msg *req, rsp_es11_answer *a)
{
    smds_sess *ss = sess_find(s, req->transaction_id);
    if (!ss) {
        set_fail(&a->header, SC_TID, "transactionId unknown");
        return es11_log("authenticateClient", &a->header);
    }
    rsp_smdpp_auth_cfg cfg;
    auth_cfg(s, &cfg);
    rsp_es10_auth_server_resp r;
    rsp_pki22_info euicc;
    if (rsp_smdpp_auth_client(&cfg, &ss->a, req, &r, &euicc, &a->header) != RSP_OK)
        return es11_log("authenticateClient", &a->header);
    char mid[65];
    if (!rsp_smdpp_auth_matching_id(r.signed1.ctx_params1, mid, sizeof(mid))) {
        set_fail(&a->header, SC_MALFORMED, "ctxParams1 unusable");
        return es11_log("authenticateClient", &a->header);
    }
    /* the session is spent: a replay of this authenticateClient finds nothing */
    memset(ss, 0, sizeof(*ss));
    rsp_store_smds_event *v = NULL, one;
    size_t n = 0;
    rsp_err e;
    if (mid[0]) {
        e = rsp_store_smds_get(s->st, euicc.eid, mid, &one);
        n = e == RSP_OK;
        e = e == RSP_ERR_NOT_FOUND ? RSP_OK : e;
        v = n ? &one : NULL;
    } else {
        e = rsp_store_smds_list(s->st, euicc.eid, RSP_ES11_MAX_EVENTS, &v, &n);
    }
    if (e) {
        set_fail(&a->header, SC_INTERNAL, "store");
        return es11_log("authenticateClient", &a->header);
    }
    a->n_events = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(a->events[i].event_id, sizeof(a->events[i].event_id), "%s", v[i].event_id);
        snprintf(a->events[i].rsp_server_address, sizeof(a->events[i].rsp_server_address), "%s",
                 v[i].rsp_server_address);
    }
    if (v != &one)
        free(v);
    snprintf(a->transaction_id, sizeof(a->transaction_id), "%s", req->transaction_id);
    RSP_LOGN(RSP_SS_SMDP, "es11 events delivered", "name=smds eid=%s events=%zu matching_id=%s", euicc.eid, n,
             mid[0] ? mid : "-");
}

void rsp_smds_es11(rsp_smds *s, rsp_es9p_func f, const uint8_t *body, size_t len, int *status, rsp_buf *out)
{
    *status = 200;
    rsp_es9p_msg req, ans;
    rsp_es11_answer a;
    memset(&a, 0, sizeof(a));
    rsp_es9p_msg_init(&ans, f, true);
    rsp_diag d = {0};
    bool ok = f == RSP_ES9P_INITIATE_AUTHENTICATION || f == RSP_ES9P_AUTHENTICATE_CLIENT;
    if (!ok || rsp_es9p_decode(f, false, body, len, &req, &d) != RSP_OK) {
        set_fail(&ans.header, SC_MALFORMED, ok ? d.msg : "not an ES11 function");
        a.header = ans.header;
        es11_log(rsp_es9p_func_name(f), &ans.header);
        ok = false;
    } else if (f == RSP_ES9P_INITIATE_AUTHENTICATION) {
        initiate(s, &req, &ans);
    } else {
        authenticate(s, &req, &a);
    }
    if (ok)
        rsp_es9p_msg_free(&req);
    bool auth = f == RSP_ES9P_AUTHENTICATE_CLIENT;
    const rsp_es9p_header *h = auth ? &a.header : &ans.header;
    s->es11_calls[auth][h->status == RSP_ES9P_FAILED]++;
    rsp_err e = auth ? rsp_es9p_es11_answer_encode(&a, out, NULL) : rsp_es9p_encode(&ans, out, NULL);
    if (e != RSP_OK) {
        rsp_buf_reset(out);
        *status = 500;
    }
    rsp_es9p_msg_free(&ans);
}
