/* ES3 as the SM-DP calls it: rsp_smdp_es3 over HTTPS with mutual TLS to an SM-SR, JSON binding
 * (gsma dialect) or SOAP 1.1 (njiwa dialect: opts.dialect, es3_dialect.c), each call answered in its HTTP response ("Prefer: wait"). The calls are
 * synchronous: the client runs its own event loop until the answer (or the timeout) comes.
 * The ISD-P AID of an ICCID (SendData addresses the ISD-P) is learnt from CreateISDP, or from
 * GetEIS when the download resumes in another process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rsp/crypto.h"
#include "rsp/es.h"
#include "rsp/hostport.h"
#include "rsp/svc_client.h"
#include "smdp_int.h"

struct rsp_smdp_es3_client {
    rsp_svc_client *svc;         /* the HTTP/TLS plumbing, shared with `rsp op` and the relays */
    unsigned seq;                /* FunctionCallIdentifier counter */
    char prefix[48];             /* FunctionCallIdentifier prefix (unique per client) */
    char mno[64];                /* Mno-Id of CreateISDP */
    char iccid[21];              /* the ISD-P last created / found */
    rsp_buf aid;
    rsp_es_msg eis;              /* the last GetEIS result (lent to the caller) */
    char subject[16], reason[16]; /* status code of the last Failed / Expired result ("" after success) */
    char profile_type[RSP_SMDP_NAME_MAX + 1]; /* ProfileType of ProfileDownloadCompleted */
    char imsi[16], msisdn[21];   /* its SubscriptionAddress */
    rsp_es_dialect dialect;      /* gsma (JSON) or njiwa (SOAP 1.1): es3_dialect.c */
    char dump[RSP_SMDP_PATH_MAX - 200]; /* where each request is written as sent ("" = nowhere) */
};

/* Sends m (a request of ES3) and decodes its result into res (caller frees), through lib/svc's client
 * (JSON, gsma dialect, "Prefer: wait"). A Failed result is RSP_ERR_DENIED with the status code data in
 * diag. A connection lost before the answer (the SM-SR restarting: RSP_ERR_NET, or HTTP 502/503) is
 * resent with the same FunctionCallIdentifier for about 8 s: the SM-SR answers a replay with the first
 * call's result, so an operation that went on (an enable that did enable) is not taken for a failure.
 * A timeout is not resent: the call may still be running there. */
static rsp_err call(rsp_smdp_es3_client *c, rsp_es_msg *m, rsp_es_msg *res, rsp_diag *diag)
{
    rsp_es_req_hdr *h = m->body; /* every request body starts with its header */
    char fcid[64];
    snprintf(fcid, sizeof(fcid), "%s-%u", c->prefix, ++c->seq);
    c->subject[0] = c->reason[0] = 0;
    if (!h->function_call_id && !(h->function_call_id = strdup(fcid)))
        return RSP_ERR_NOMEM;
    int status = 0;
    rsp_err err = RSP_OK;
    for (unsigned attempt = 0;; attempt++) {
        rsp_es_msg_free(res);
        rsp_diag_clear(diag);
        err = rsp_svc_client_call(c->svc, m, true, res, &status, diag);
        rsp_smdp__es3_dump(c->dump, h->function_call_id, m->func->name, c->dialect,
                           rsp_svc_client_last_request(c->svc));
        bool lost = err == RSP_ERR_NET || (err != RSP_OK && (status == 502 || status == 503));
        if (!lost || attempt >= 8)
            break;
        struct timespec ts = {0, 250000000L * (attempt < 3 ? (long)attempt + 1 : 4)};
        if (ts.tv_nsec >= 1000000000L)
            ts = (struct timespec){1, 0};
        nanosleep(&ts, NULL);
    }
    if (err == RSP_ERR_NET || err == RSP_ERR_TIMEOUT)
        return rsp_diag_set(diag, err, "ES3.%s: no answer from the SM-SR (%s)", m->func->name,
                            err == RSP_ERR_NET ? "network" : "timeout");
    if (err != RSP_OK)
        return err;
    if (!res->func || !res->body || status != 200)
        return rsp_diag_set(diag, RSP_ERR_PROTOCOL, "ES3.%s: HTTP %d from the SM-SR without a result", m->func->name,
                            status);
    const rsp_es_resp_hdr *rh = res->body;
    if (rh->status.status == RSP_ES_FAILED || rh->status.status == RSP_ES_EXPIRED) {
        const rsp_es_status_code *sc = rh->status.code;
        snprintf(c->subject, sizeof(c->subject), "%s", sc && sc->subject ? sc->subject : "");
        snprintf(c->reason, sizeof(c->reason), "%s", sc && sc->reason ? sc->reason : "");
        return rsp_diag_set(diag, RSP_ERR_DENIED, "ES3.%s: %s %s/%s %s", m->func->name,
                            rsp_es_status_name(rh->status.status), sc && sc->subject ? sc->subject : "",
                            sc && sc->reason ? sc->reason : "", sc && sc->message ? sc->message : "");
    }
    return RSP_OK;
}

static rsp_err start(rsp_es_msg *m, const char *fn)
{
    const rsp_es_func *f = rsp_es_func_find(RSP_ES3, fn, strlen(fn));
    memset(m, 0, sizeof(*m));
    return f ? rsp_es_msg_init(m, f, false) : RSP_ERR_NOT_FOUND;
}

static rsp_err cl_get_eis(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag)
{
    rsp_smdp_es3_client *c = arg;
    rsp_es_msg m;
    rsp_es_msg_free(&c->eis);
    rsp_err err = start(&m, "GetEIS");
    rsp_es_eid_req *q = m.body;
    if (err == RSP_OK && !(q->eid = strdup(eid)))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK)
        err = call(c, &m, &c->eis, diag);
    rsp_es_msg_free(&m);
    const rsp_es_eis_resp *r = err == RSP_OK ? c->eis.body : NULL;
    if (err == RSP_OK && !r->eis)
        err = rsp_diag_set(diag, RSP_ERR_FORMAT, "ES3.GetEIS: no EIS in the result");
    if (err == RSP_OK)
        *eis = r->eis;
    return err;
}

static rsp_err cl_create(void *arg, const char *eid, const char *iccid, size_t memory, rsp_diag *diag)
{
    rsp_smdp_es3_client *c = arg;
    rsp_es_msg m, res;
    memset(&res, 0, sizeof(res));
    rsp_err err = start(&m, "CreateISDP");
    rsp_es_download_req *q = m.body;
    if (err == RSP_OK && (!(q->eid = strdup(eid)) || !(q->iccid = strdup(iccid)) || !(q->mno_id = strdup(c->mno))))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK) {
        q->required_memory = (int64_t)memory;
        err = call(c, &m, &res, diag);
    }
    const rsp_es_data_resp *r = err == RSP_OK ? res.body : NULL;
    if (err == RSP_OK && (r->isd_p_aid.len < 5 || r->isd_p_aid.len > 16))
        err = rsp_diag_set(diag, RSP_ERR_FORMAT, "ES3.CreateISDP: no ISD-P AID in the result");
    if (err == RSP_OK && (err = rsp_buf_set(&c->aid, r->isd_p_aid.data, r->isd_p_aid.len)) == RSP_OK)
        snprintf(c->iccid, sizeof(c->iccid), "%s", iccid);
    rsp_es_msg_free(&m);
    rsp_es_msg_free(&res);
    return err;
}

/* The ISD-P AID of iccid: the one created here, else from the SM-SR's EIS. */
static rsp_err aid_of(rsp_smdp_es3_client *c, const char *eid, const char *iccid, rsp_diag *diag)
{
    if (c->aid.len && strcmp(c->iccid, iccid) == 0)
        return RSP_OK;
    const rsp_es_eis *eis = NULL;
    rsp_err err = cl_get_eis(c, eid, &eis, diag);
    const rsp_es_profile_info *pi = err == RSP_OK ? eis->profiles.v : NULL;
    for (size_t i = 0; err == RSP_OK && i < eis->profiles.n; i++)
        if (pi[i].iccid && strcmp(pi[i].iccid, iccid) == 0) {
            snprintf(c->iccid, sizeof(c->iccid), "%s", iccid);
            return rsp_buf_set(&c->aid, pi[i].isd_p_aid.data, pi[i].isd_p_aid.len);
        }
    return err != RSP_OK ? err : rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no ISD-P of ICCID %s in the EIS", iccid);
}

static rsp_err cl_send(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                       rsp_diag *diag)
{
    rsp_smdp_es3_client *c = arg;
    rsp_err err = aid_of(c, eid, iccid, diag);
    if (err != RSP_OK)
        return err;
    rsp_es_msg m, res;
    memset(&res, 0, sizeof(res));
    err = start(&m, "SendData");
    rsp_es_send_data_req *q = m.body;
    if (err == RSP_OK && !(q->eid = strdup(eid)))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK && (err = rsp_buf_set(&q->sd_aid, c->aid.data, c->aid.len)) == RSP_OK &&
        (err = rsp_buf_set(&q->data, p, len)) == RSP_OK)
        err = call(c, &m, &res, diag);
    const rsp_es_data_resp *r = err == RSP_OK ? res.body : NULL;
    if (err == RSP_OK) {
        rsp_buf_reset(resp);
        err = rsp_buf_append(resp, r->euicc_response_data.data, r->euicc_response_data.len);
    }
    rsp_es_msg_free(&m);
    rsp_es_msg_free(&res);
    return err;
}

/* ES3.UpdateConnectivityParameters with one C-APDU of the SM-DP's SCP03 session (isdp.c). */
static rsp_err cl_conn(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                       rsp_diag *diag)
{
    rsp_smdp_es3_client *c = arg;
    rsp_es_msg m, res;
    memset(&res, 0, sizeof(res));
    rsp_err err = start(&m, "UpdateConnectivityParameters");
    rsp_es_profile_req *q = m.body;
    if (err == RSP_OK && (!(q->eid = strdup(eid)) || !(q->iccid = strdup(iccid))))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK && (err = rsp_buf_set(&q->connectivity_parameters, p, len)) == RSP_OK)
        err = call(c, &m, &res, diag);
    const rsp_es_data_resp *r = err == RSP_OK ? res.body : NULL;
    if (err == RSP_OK && resp) {
        rsp_buf_reset(resp);
        err = rsp_buf_append(resp, r->euicc_response_data.data, r->euicc_response_data.len);
    }
    rsp_es_msg_free(&m);
    rsp_es_msg_free(&res);
    return err;
}

/* The ES3 calls naming (eid, iccid) only: ProfileDownloadCompleted, EnableProfile, DeleteISDP. */
static rsp_err simple(rsp_smdp_es3_client *c, const char *fn, const char *eid, const char *iccid, rsp_diag *diag)
{
    rsp_es_msg m, res;
    memset(&res, 0, sizeof(res));
    rsp_err err = start(&m, fn);
    char **e = NULL, **i = NULL;
    if (err == RSP_OK && strcmp(fn, "ProfileDownloadCompleted") == 0) {
        rsp_es_download_req *q = m.body;
        e = &q->eid;
        i = &q->iccid;
        if (!(q->profile_type = strdup(c->profile_type[0] ? c->profile_type : "unknown")))
            err = RSP_ERR_NOMEM;
        if (err == RSP_OK && (c->imsi[0] || c->msisdn[0])) {
            rsp_es_subscription_address *sa = calloc(1, sizeof(*sa));
            q->subscription_address = sa;
            if (!sa || (c->imsi[0] && !(sa->imsi = strdup(c->imsi))) ||
                (c->msisdn[0] && !(sa->msisdn = strdup(c->msisdn))))
                err = RSP_ERR_NOMEM;
        }
    } else if (err == RSP_OK) {
        rsp_es_profile_req *q = m.body;
        e = &q->eid;
        i = &q->iccid;
    }
    if (err == RSP_OK && (!(*e = strdup(eid)) || !(*i = strdup(iccid))))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK)
        err = call(c, &m, &res, diag);
    rsp_es_msg_free(&m);
    rsp_es_msg_free(&res);
    return err;
}

static rsp_err cl_completed(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    return simple(arg, "ProfileDownloadCompleted", eid, iccid, diag);
}

static rsp_err cl_enable(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    return simple(arg, "EnableProfile", eid, iccid, diag);
}

static rsp_err cl_delete(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    return simple(arg, "DeleteISDP", eid, iccid, diag);
}

/* "https://host:port[/path]" (a name, an IPv4 literal or an [IPv6] one) into host and port; *path gets
 * the path ("" when none or "/"). A path is the endpoint of an SM-SR shaped like njiwa (JAX-WS publishes
 * each service at its own path, e.g. /njiwa/services/ES3), where every SOAP request is posted. */
static rsp_err parse_url(const char *url, char *host, size_t cap, uint16_t *port, const char **path)
{
    const char *p = strncmp(url, "https://", 8) == 0 ? url + 8 : NULL;
    size_t auth = p ? strcspn(p, "/?#") : 0;
    char a[300];
    if (!p || auth >= sizeof(a) || (p[auth] && p[auth] != '/'))
        return RSP_ERR_FORMAT;
    /* the path goes into an HTTP request line: nothing that could end it or smuggle a header */
    *path = p[auth] && p[auth + 1] ? p + auth : "";
    if (strpbrk(*path, " \t\r\n?#\"<>\\") || strlen(*path) >= 128)
        return RSP_ERR_FORMAT;
    memcpy(a, p, auth);
    a[auth] = 0;
    return rsp_hostport_split(a, RSP_HOSTPORT_REQUIRED, host, cap, port, NULL) == RSP_OK && *port ? RSP_OK
                                                                                                : RSP_ERR_FORMAT;
}

rsp_err rsp_smdp_es3_client_new(const rsp_smdp_es3_client_opts *o, rsp_smdp_es3_client **out, rsp_diag *diag)
{
    char host[256];
    uint16_t port = 0;
    if (!o || !o->url || !o->tls_cert || !o->tls_key || !o->tls_ca || !out)
        return RSP_ERR_INVAL;
    const char *path = "";
    if (parse_url(o->url, host, sizeof(host), &port, &path) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "SM-SR URL '%s': want https://HOST:PORT[/PATH]", o->url);
    /* our JSON binding has a path per function (rsp_es_json_path): a path of the URL would be dropped */
    if (path[0] && rsp_smdp__es3_binding(o->dialect) == RSP_SVC_BINDING_JSON)
        return rsp_diag_set(diag, RSP_ERR_FORMAT,
                            "SM-SR URL '%s': a path is for --smsr-dialect njiwa-soap (the JSON ES3 has one per function)",
                            o->url);
    rsp_smdp_es3_client *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    snprintf(c->mno, sizeof(c->mno), "%s", o->mno_id ? o->mno_id : "");
    c->dialect = o->dialect;
    snprintf(c->dump, sizeof(c->dump), "%s", o->dump_dir ? o->dump_dir : "");
    /* time and pid alone collide between the worker threads' clients made in the same second, and the
     * SM-SR refuses a FunctionCallIdentifier reused for another request: 4 random bytes make it unique */
    uint8_t rnd[4];
    rsp_err rerr = rsp_random(rnd, sizeof(rnd));
    if (rerr != RSP_OK) {
        free(c);
        return rerr;
    }
    snprintf(c->prefix, sizeof(c->prefix), "smdp-%lld-%d-%02x%02x%02x%02x", (long long)time(NULL), (int)getpid(),
             rnd[0], rnd[1], rnd[2], rnd[3]);
    rsp_svc_client_opts so = {o->url, o->tls_cert, o->tls_key, o->tls_ca, rsp_smdp__es3_binding(o->dialect), o->dialect,
                              o->timeout_ms ? o->timeout_ms : 60000, NULL};
    rsp_err err = rsp_svc_client_new(&so, &c->svc, diag);
    if (err != RSP_OK) {
        rsp_smdp_es3_client_free(c);
        return err;
    }
    *out = c;
    return RSP_OK;
}

rsp_smdp_es3 rsp_smdp_es3_client_iface(rsp_smdp_es3_client *c)
{
    rsp_smdp_es3 i = {c, cl_get_eis, cl_create, cl_send, cl_completed, cl_enable, cl_delete, cl_conn};
    return i;
}

void rsp_smdp_es3_client_set_download(rsp_smdp_es3_client *c, const char *mno_id, const char *type)
{
    if (!c)
        return;
    if (mno_id)
        snprintf(c->mno, sizeof(c->mno), "%s", mno_id);
    snprintf(c->profile_type, sizeof(c->profile_type), "%s", type ? type : "");
}

void rsp_smdp_es3_client_set_address(rsp_smdp_es3_client *c, const char *imsi, const char *msisdn)
{
    if (!c)
        return;
    snprintf(c->imsi, sizeof(c->imsi), "%s", imsi ? imsi : "");
    snprintf(c->msisdn, sizeof(c->msisdn), "%s", msisdn ? msisdn : "");
}

bool rsp_smdp_es3_client_last_status(const rsp_smdp_es3_client *c, const char **subject, const char **reason)
{
    if (!c || !c->subject[0])
        return false;
    *subject = c->subject;
    *reason = c->reason;
    return true;
}

void rsp_smdp_es3_client_free(rsp_smdp_es3_client *c)
{
    if (!c)
        return;
    rsp_svc_client_free(c->svc);
    rsp_es_msg_free(&c->eis);
    rsp_buf_free(&c->aid);
    free(c);
}
