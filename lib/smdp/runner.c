/* One download with the product clients: rsp_smdp_dl_run over the ES3 client and an ES8 session
 * that opens itself at the first key-establishment payload with the CERT.ECASD that admission
 * accepted (the download's step table decides the order; this file only supplies the parts).
 * The SM-SR's GetEIS carries no ECASD key sets when its store keeps none: CERT.ECASD then comes from
 * the EUM's own EIS file, which admission checks to the CI like any other (a file is no more trusted
 * than the SM-SR). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/es.h"
#include "rsp/log.h"
#include "smdp_int.h"

struct rsp_smdp_runner {
    rsp_smdp_runner_opts o;
    char eis_dir[RSP_SMDP_PATH_MAX - 64];
    char dl_id[RSP_SMDP_NAME_MAX + 1];   /* the download being run (traces) */
    rsp_smdp_es3_client *cl;
    rsp_smdp_es3 real;
    rsp_es_msg file;                     /* the EUM's EIS, when the SM-SR's lacks CERT.ECASD */
    rsp_buf ecasd;                       /* CERT.ECASD of the last EIS handed to admission */
    rsp_smdp_es8_session s8;
    bool s8_open;
    unsigned sends;
    atomic_int cancel;                   /* set by another thread: stop at the next call */
    char status[40];                     /* "subject/reason" of the last call refused by the SM-SR */
    rsp_smdp_inv *inv;                   /* the run's inventory (borrowed during rsp_smdp_runner_run) */
    char eid[33], iccid[21];             /* the ISD-P the last CreateISDP / SendData named */
    uint8_t sealed[RSP_SMDP_ISDP_SEALED_LEN]; /* this download's ISD-P keys, sealed by keep_keys */
    bool has_sealed;
};

static void put_token(rsp_smdp_runner *r, const char *eid, const char *iccid);

static const char *last_status(void *arg)
{
    rsp_smdp_runner *r = arg;
    return r->status[0] ? r->status : NULL;
}

static bool is_cancelled(void *arg)
{
    rsp_smdp_runner *r = arg;
    return atomic_load(&r->cancel) != 0;
}

/* Refuses a call once cancelled (the download is left for a later run). */
#define CANCEL_CHECK(r, diag)                                                                             \
    do {                                                                                                   \
        if (is_cancelled(r))                                                                               \
            return rsp_diag_set(diag, RSP_ERR_BUSY, "stopping: left for the next run");                    \
    } while (0)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void trace(rsp_smdp_runner *r, const char *what, unsigned n, rsp_err e, const rsp_diag *d, double t0)
{
    const char *sub = NULL, *rea = NULL;
    r->status[0] = 0;
    if (e != RSP_OK && rsp_smdp_es3_client_last_status(r->cl, &sub, &rea))
        snprintf(r->status, sizeof r->status, "%s/%s", sub, rea);
    if (r->o.trace)
        r->o.trace(r->o.trace_arg, r->dl_id, what, n, e, d, now_s() - t0);
}

/* The EUM's EIS of eid from eis_dir into r->file. */
static rsp_err load_file_eis(rsp_smdp_runner *r, const char *eid, const rsp_es_eis **out, rsp_diag *diag)
{
    char path[RSP_SMDP_PATH_MAX];
    rsp_es_msg_free(&r->file);
    memset(&r->file, 0, sizeof r->file);
    if (snprintf(path, sizeof path, "%s/%s.json", r->eis_dir, eid) >= (int)sizeof path)
        return RSP_ERR_LENGTH;
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_smdp__read_file(path, &b);
    if (e != RSP_OK) {
        rsp_buf_free(&b);
        return rsp_diag_set(diag, e, "the SM-SR's EIS has no CERT.ECASD and %s cannot be read", path);
    }
    const rsp_es_func *f = rsp_es_func_find(RSP_ES1, "RegisterEIS", strlen("RegisterEIS"));
    e = f ? rsp_es_json_decode(f, false, b.data, b.len, NULL, &r->file, diag) : RSP_ERR_INTERNAL;
    rsp_buf_free(&b);
    const rsp_es_eis_req *q = e == RSP_OK ? r->file.body : NULL;
    if (e == RSP_OK && (!q || !q->eis || !q->eis->signed_info || !q->eis->signed_info->eid ||
                        strcmp(q->eis->signed_info->eid, eid) != 0))
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is not the EIS of %s", path, eid);
    if (e == RSP_OK)
        *out = q->eis;
    return e;
}

static rsp_err tr_get_eis(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    CANCEL_CHECK(r, diag);
    double t0 = now_s();
    rsp_err e = r->real.get_eis(r->real.arg, eid, eis, diag);
    trace(r, "GetEIS", 0, e, diag, t0);
    if (e == RSP_OK && !rsp_smdp__ecasd_cert((*eis)->signed_info ? (*eis)->signed_info->ecasd : NULL) &&
        r->eis_dir[0]) {
        const rsp_es_eis *f = NULL;
        int64_t mem = (*eis)->available_memory_for_profiles, left = (*eis)->remaining_memory;
        if ((e = load_file_eis(r, eid, &f, diag)) == RSP_OK) {
            ((rsp_es_eis *)f)->available_memory_for_profiles = mem; /* ours: the SM-SR's live figures */
            ((rsp_es_eis *)f)->remaining_memory = left;
            *eis = f;
        }
    }
    const rsp_buf *c = e == RSP_OK && (*eis)->signed_info ? rsp_smdp__ecasd_cert((*eis)->signed_info->ecasd) : NULL;
    rsp_buf_reset(&r->ecasd);
    if (c)
        e = rsp_buf_set(&r->ecasd, c->data, c->len);
    return e;
}

/* The ISD-P of the download (the session after the load names it with these very buffers). */
static void remember(rsp_smdp_runner *r, const char *eid, const char *iccid)
{
    if (eid != r->eid)
        snprintf(r->eid, sizeof r->eid, "%s", eid);
    if (iccid != r->iccid)
        snprintf(r->iccid, sizeof r->iccid, "%s", iccid);
}

static rsp_err tr_create(void *arg, const char *eid, const char *iccid, size_t memory, rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    CANCEL_CHECK(r, diag);
    double t0 = now_s();
    remember(r, eid, iccid);
    rsp_err e = r->real.create_isdp(r->real.arg, eid, iccid, memory, diag);
    trace(r, "CreateISDP", 0, e, diag, t0);
    return e;
}

static rsp_err tr_send(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                       rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    CANCEL_CHECK(r, diag);
    double t0 = now_s();
    remember(r, eid, iccid);
    rsp_err e = r->real.send_data(r->real.arg, eid, iccid, p, len, resp, diag);
    trace(r, "SendData", ++r->sends, e, diag, t0);
    return e;
}

static rsp_err tr_conn(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                       rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    CANCEL_CHECK(r, diag);
    double t0 = now_s();
    rsp_err e = r->real.conn(r->real.arg, eid, iccid, p, len, resp, diag);
    trace(r, "UpdateConnectivityParameters", 0, e, diag, t0);
    return e;
}

static rsp_err tr_completed(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    CANCEL_CHECK(r, diag);
    /* SubscriptionAddress: the identity's IMSI, and as MSISDN the same number: the pools carry no
     * MSISDN, and the eUICC simulator reaches a downloaded profile at its IMSI (lib/euicc/isdp_dl.c),
     * which the SM-SR must know to route that card's SMS. */
    char imsi[16] = "";
    if (r->inv && rsp_smdp_imsi_of(r->inv, iccid, imsi) == RSP_OK)
        rsp_smdp_es3_client_set_address(r->cl, imsi, imsi);
    else
        rsp_smdp_es3_client_set_address(r->cl, NULL, NULL);
    double t0 = now_s();
    rsp_err e = r->real.completed(r->real.arg, eid, iccid, diag);
    trace(r, "ProfileDownloadCompleted", 0, e, diag, t0);
    if (e == RSP_OK)
        put_token(r, eid, iccid);
    return e;
}

static rsp_err tr_enable(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    CANCEL_CHECK(r, diag);
    double t0 = now_s();
    rsp_err e = r->real.enable(r->real.arg, eid, iccid, diag);
    trace(r, "EnableProfile", 0, e, diag, t0);
    return e;
}

static rsp_err tr_delete(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    CANCEL_CHECK(r, diag);
    double t0 = now_s();
    rsp_err e = r->real.delete_isdp(r->real.arg, eid, iccid, diag);
    trace(r, "DeleteISDP", 0, e, diag, t0);
    return e;
}

/* ES8: the session opens at the first payload, with the CERT.ECASD admitted in this run. */
static rsp_err lz_keyest(void *arg, unsigned n, const rsp_buf *prev, rsp_buf *out, rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    if (n == 0) {
        if (r->s8_open)
            rsp_smdp_es8_close(&r->s8);
        r->s8_open = false;
        if (!r->ecasd.len)
            return rsp_diag_set(diag, RSP_ERR_STATE, "no admitted CERT.ECASD for key establishment");
        rsp_err e = rsp_smdp_es8_open(&r->s8, r->o.sk_dp, r->o.cert_dp, r->o.cert_dp_len, r->ecasd.data,
                                      r->ecasd.len, 0x30, diag);
        if (e != RSP_OK)
            return e;
        r->s8_open = true;
    }
    if (!r->s8_open)
        return rsp_diag_set(diag, RSP_ERR_STATE, "ES8 session not open");
    rsp_smdp_es8 s = rsp_smdp_es8_of(&r->s8);
    return s.keyest(s.arg, n, prev, out, diag);
}

static rsp_err lz_load(void *arg, const rsp_buf *package, unsigned n, const rsp_buf *prev, rsp_buf *out, bool *last,
                       rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    if (!r->s8_open)
        return rsp_diag_set(diag, RSP_ERR_STATE, "ES8 session not open");
    rsp_smdp_es8 s = rsp_smdp_es8_of(&r->s8);
    return s.load(s.arg, package, n, prev, out, last, diag);
}

/* Once the card says installed, the ISD-P's keys are kept (sealed) for the SM-DP's later SCP03
 * sessions; with token_key a master delete token key is made and kept with them, before the card has
 * it (a crash after the PUT KEY must not leave a token only the card knows). Sealed here, written by
 * the download in the same commit as its "downloaded" mark (sealed_keys below): a crash before that
 * commit resumes in load, which cleans up (the ISD-P is deleted), so no kept keys are lost. It was a
 * file of its own, two fsyncs and a rename per download. */
static rsp_err keep_keys(rsp_smdp_runner *r, rsp_diag *diag)
{
    r->has_sealed = false;
    if (!r->o.master_key || !r->inv || !r->iccid[0])
        return RSP_OK;
    rsp_smdp_isdp_keys k;
    memset(&k, 0, sizeof k);
    k.keys = r->s8.keys;
    k.has_token = r->o.token_key;
    rsp_err e = k.has_token ? rsp_random(k.token, sizeof k.token) : RSP_OK;
    e = e ? e : rsp_smdp_isdp_keys_seal(r->o.master_key, r->o.master_key_len, r->iccid, &k, r->sealed);
    rsp_smdp_isdp_keys_wipe(&k);
    r->has_sealed = e == RSP_OK;
    return e ? rsp_diag_set(diag, e, "the ISD-P keys of %s could not be kept", r->iccid) : RSP_OK;
}

static bool sealed_keys(void *arg, const uint8_t **p, size_t *len)
{
    rsp_smdp_runner *r = arg;
    *p = r->sealed;
    *len = sizeof r->sealed;
    return r->has_sealed;
}

/* After ProfileDownloadCompleted (the SM-SR then carries SendData as C-APDUs by SMS, not as SCP03t):
 * PUT KEY of the kept token key in the SM-DP's SCP03 session. A failure does not undo the profile:
 * the key file is rewritten without the token (no master delete for it), and logged. */
static void put_token(rsp_smdp_runner *r, const char *eid, const char *iccid)
{
    rsp_smdp_isdp_keys k;
    rsp_diag d2;
    rsp_diag_clear(&d2);
    if (!r->o.token_key || !r->o.master_key || !r->inv ||
        rsp_smdp_isdp_keys_get(r->inv, r->o.master_key, r->o.master_key_len, iccid, &k, &d2) != RSP_OK)
        return;
    rsp_buf a = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    uint8_t kcv[3];
    const rsp_smdp_es3 es3 = rsp_smdp_runner_es3(r);
    rsp_err pe = k.has_token ? rsp_smdp_put_token_apdu(&k.keys, k.token, &a, kcv) : RSP_ERR_NOT_FOUND;
    rsp_bytes cmd = rsp_buf_view(&a);
    pe = pe ? pe : rsp_smdp_isdp_session(&es3, eid, iccid, &k.keys, &cmd, 1, &resp, &d2);
    if (pe == RSP_OK && (resp.len != 4 || resp.data[0] != RSP_SMDP_TOKEN_KVN || !rsp_ct_equal(resp.data + 1, kcv, 3)))
        pe = rsp_diag_set(&d2, RSP_ERR_VERIFY, "PUT KEY answered without the token key's KCV");
    if (pe != RSP_OK && k.has_token) {
        char m[200];
        RSP_LOGN(RSP_SS_SMDP, "token key not put", "iccid=%s why=\"%s\"", iccid, rsp_diag_str(&d2, pe, m, sizeof m));
        k.has_token = false;
        rsp_wipe(k.token, sizeof k.token);
        rsp_smdp_isdp_keys_put(r->inv, r->o.master_key, r->o.master_key_len, iccid, &k);
    } else if (pe == RSP_OK) {
        RSP_LOGN(RSP_SS_SMDP, "token key put", "iccid=%s kvn=70", iccid);
    }
    rsp_buf_free_secret(&a);
    rsp_buf_free(&resp);
    rsp_smdp_isdp_keys_wipe(&k);
}

static rsp_err lz_installed(void *arg, const rsp_buf *last_resp, rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    rsp_smdp_es8 s = rsp_smdp_es8_of(&r->s8);
    rsp_err e = s.installed(s.arg, last_resp, diag);
    return e ? e : keep_keys(r, diag);
}

rsp_err rsp_smdp_runner_new(const rsp_smdp_runner_opts *o, rsp_smdp_runner **out, rsp_diag *diag)
{
    if (!o || !o->trust || !o->sk_dp || !o->cert_dp || !out)
        return RSP_ERR_INVAL;
    rsp_smdp_runner *r = calloc(1, sizeof *r);
    if (!r)
        return RSP_ERR_NOMEM;
    r->o = *o;
    if (o->eis_dir && snprintf(r->eis_dir, sizeof r->eis_dir, "%s", o->eis_dir) >= (int)sizeof r->eis_dir) {
        free(r);
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "EIS folder name too long");
    }
    r->o.eis_dir = NULL;
    rsp_err e = rsp_smdp_es3_client_new(&o->es3, &r->cl, diag);
    if (e != RSP_OK) {
        free(r);
        return e;
    }
    r->real = rsp_smdp_es3_client_iface(r->cl);
    *out = r;
    return RSP_OK;
}

rsp_smdp_es3 rsp_smdp_runner_es3(rsp_smdp_runner *r)
{
    return (rsp_smdp_es3){r, tr_get_eis, tr_create, tr_send, tr_completed, tr_enable, tr_delete, tr_conn};
}

void rsp_smdp_runner_cancel(rsp_smdp_runner *r)
{
    if (r)
        atomic_store(&r->cancel, 1);
}

rsp_smdp_es3_client *rsp_smdp_runner_client(rsp_smdp_runner *r)
{
    return r ? r->cl : NULL;
}

/* The SM-SR's EIS as it answered (not --eis-dir's file): the download's cleanup reads its ISD-P list. */
static rsp_err live_eis(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag)
{
    rsp_smdp_runner *r = arg;
    return r->real.get_eis(r->real.arg, eid, eis, diag);
}

rsp_err rsp_smdp_runner_run(rsp_smdp_runner *r, rsp_smdp_inv *inv, const char *id, int64_t now, rsp_smdp_dl *out,
                            rsp_diag *diag)
{
    if (!r || !inv || !id || !out)
        return RSP_ERR_INVAL;
    snprintf(r->dl_id, sizeof r->dl_id, "%s", id);
    r->inv = inv;
    rsp_smdp_dl cur;
    if (rsp_smdp_dl_load(inv, id, &cur) == RSP_OK)
        rsp_smdp_es3_client_set_download(r->cl, cur.op, cur.type);
    r->sends = 0;
    rsp_buf_reset(&r->ecasd);
    const rsp_smdp_es3 es3 = rsp_smdp_runner_es3(r);
    const rsp_smdp_es8 es8 = {r, lz_keyest, lz_load, lz_installed};
    const rsp_smdp_dl_hooks hooks = {r, is_cancelled, last_status, live_eis, sealed_keys};
    r->has_sealed = false;
    rsp_err e = rsp_smdp_dl_run_ex(inv, r->o.trust, &es3, &es8, &hooks, id, now, out, diag);
    r->has_sealed = false;
    r->inv = NULL;
    if (r->s8_open)
        rsp_smdp_es8_close(&r->s8);   /* the keys die with the download */
    r->s8_open = false;
    return e;
}

rsp_err rsp_smdp_runner_ucp(rsp_smdp_runner *r, rsp_smdp_inv *inv, const char *eid, const char *iccid,
                            const uint8_t *params, size_t len, rsp_diag *diag)
{
    if (!r || !inv || !eid || !iccid || !params)
        return RSP_ERR_INVAL;
    if (!r->o.master_key)
        return rsp_diag_set(diag, RSP_ERR_STATE, "no master key: this SM-DP keeps no ISD-P keys");
    rsp_smdp_isdp_keys k;
    rsp_buf a = RSP_BUF_INIT;
    rsp_err e = rsp_smdp_ucp_apdu(params, len, &a);
    if (e != RSP_OK) {
        rsp_buf_free(&a);
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "ConnectivityParameters: one A0 TLV of at most 244 bytes");
    }
    e = rsp_smdp_isdp_keys_get(inv, r->o.master_key, r->o.master_key_len, iccid, &k, diag);
    const rsp_smdp_es3 es3 = rsp_smdp_runner_es3(r);
    rsp_bytes cmd = rsp_buf_view(&a);
    e = e ? e : rsp_smdp_isdp_session(&es3, eid, iccid, &k.keys, &cmd, 1, NULL, diag);
    rsp_smdp_isdp_keys_wipe(&k);
    rsp_buf_free(&a);
    return e;
}

rsp_err rsp_smdp_runner_master_delete(rsp_smdp_runner *r, rsp_smdp_inv *inv, const char *eid, const char *iccid,
                                      rsp_diag *diag)
{
    if (!r || !inv || !eid || !iccid)
        return RSP_ERR_INVAL;
    if (!r->o.master_key)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no master key: this SM-DP keeps no token keys");
    rsp_smdp_isdp_keys k;
    rsp_err e = rsp_smdp_isdp_keys_get(inv, r->o.master_key, r->o.master_key_len, iccid, &k, diag);
    if (e == RSP_OK && !k.has_token)
        e = rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no master delete token key was put on the ISD-P of %s", iccid);
    const rsp_es_eis *eis = NULL;
    /* the SM-SR's live ISD-P list: tr_get_eis would put --eis-dir's factory EIS in its place */
    e = e ? e : r->real.get_eis(r->real.arg, eid, &eis, diag);
    const rsp_buf *aid = NULL;
    for (size_t i = 0; e == RSP_OK && i < eis->profiles.n && !aid; i++) {
        const rsp_es_profile_info *pi = (const rsp_es_profile_info *)eis->profiles.v + i;
        if (pi->iccid && strcmp(pi->iccid, iccid) == 0)
            aid = &pi->isd_p_aid;
    }
    if (e == RSP_OK && !aid)
        e = rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "the SM-SR lists no ISD-P of ICCID %s", iccid);
    rsp_buf a = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    const char *me = r->o.es3.mno_id ? r->o.es3.mno_id : "";
    e = e ? e : rsp_smdp_master_delete_apdu(k.token, aid->data, aid->len, "SM-DP", me, 0x01, &a);
    e = e ? e : tr_send(r, eid, iccid, a.data, a.len, &resp, diag);
    rsp_smdp_isdp_keys_wipe(&k);
    rsp_buf_free_secret(&a);
    rsp_buf_free(&resp);
    if (e == RSP_OK)
        rsp_smdp_isdp_keys_drop(inv, iccid);
    return e;
}

void rsp_smdp_runner_free(rsp_smdp_runner *r)
{
    if (!r)
        return;
    if (r->s8_open)
        rsp_smdp_es8_close(&r->s8);
    rsp_smdp_es3_client_free(r->cl);
    rsp_es_msg_free(&r->file);
    rsp_buf_free(&r->ecasd);
    free(r);
}
