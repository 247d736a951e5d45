/* ES3.CreateISDP and ES3.SendData as durable engine operations (issue 9, "The operation engine").
 *
 * Each call becomes an operation of the store before anything is sent (its FCID replay rule is the
 * engine's: same request -> the first result, another request -> 1.1 / 2.1); the engine claims it
 * FIFO per eUICC like ES4's, so a download's commands and an enable of the same card never cross.
 * The rows are table.c's (F_DL). What the op is about is its script (smsr_dl_decode); the card's
 * answer data (the SM-DP needs it for ES8) is kept in the op's result after a NUL, so a restarted
 * SM-SR, or another worker, answers a replay or a durable ReplyTo with it.
 *
 * CreateISDP: the ISD-P record (owner, AID, IN_CREATION) is committed first, then the op; the
 * INSTALL [for install] goes by SMS (or into an open admin session). A refusal of the first packet
 * removes the record (nothing was created); a refusal of a resend keeps it (the first packet may have
 * created the ISD-P, whose AID must not be handed out again): the SM-DP's DeleteISDP clears it.
 *
 * SendData: the transport follows the download phase the SM-SR knows (SGP02.md "Procedures",
 * Download 4-5), never the Data's first byte (84 is also a C-APDU class byte):
 *   - ISD-P IN_CREATION: refused (its CreateISDP has not been answered);
 *   - CREATED, fewer than two successful key establishment SendData (audit "smsr.dl.keyest"):
 *     one C-APDU, sent as INSTALL [for personalization] of the ISD-P + the C-APDU by SMS;
 *   - CREATED after the two: an SCP03t body (84 / 85+86 / 86), one admin script targeted at the
 *     ISD-P in the card's SCP81 session (all segments of a download in one session); when no admin
 *     session is possible (no admin server, no SCP81 PSK): the body as the secured data of one SCP80
 *     packet to the ISD-P's TAR, concatenated SMS, its PoR's response data the card's answer
 *     (es3_dl_sms.c smsr_dl_queue_pkt: the SMS-only download, docs/ENCODINGS.md "SCP03t over SCP80");
 *   - installed (DISABLED / ENABLED): one C-APDU as above. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/es_types.h"
#include "rsp/ids.h"
#include "rsp/log.h"
#include "rsp/rapdu.h"
#include "smsr_dl.h"

/* DL_SCP03T_MAX: an SCP03t body (84 init, 85 auth + 86 segments, or 86 segments of 1,024 plaintext
 * bytes: 1,052 bytes each on the wire; the SM-DP sends 4 per SendData, lib/smdp/es8.c) goes whole in
 * one admin script; 8 KiB leaves room and keeps a caller from parking large bodies in the store.
 * DL_KEYEST: SendData of key establishment (Scenario#3: 3A01 then 3A02, SGP02.md "ES8"). */
enum { DL_SCP03T_MAX = 8192, DL_KEYEST = 2, DL_HDR_MAX = 128 };

static rsp_err dl_script(const char *iccid, const char *aid_hex, const char *kv, rsp_bytes data, rsp_buf *out)
{
    char h[DL_HDR_MAX];
    int n = snprintf(h, sizeof(h), "iccid=%s;aid=%s;%s\n", iccid, aid_hex, kv);
    if (n < 0 || (size_t)n >= sizeof(h))
        return RSP_ERR_LENGTH;
    rsp_err err = rsp_buf_set(out, h, (size_t)n);
    return err != RSP_OK || !data.len ? err : rsp_buf_append(out, data.p, data.len);
}

rsp_err smsr_dl_decode(rsp_smsr_fn fn, const rsp_buf *script, smsr_dl *out)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *nl = script->len ? memchr(script->data, '\n', script->len < DL_HDR_MAX ? script->len : DL_HDR_MAX)
                                    : NULL;
    if (!nl || !smsr_fn_is_dl(fn))
        return RSP_ERR_FORMAT;
    char h[DL_HDR_MAX], aid[40], k[16], v[16];
    size_t hl = (size_t)(nl - script->data);
    memcpy(h, script->data, hl);
    h[hl] = 0;
    if (sscanf(h, "iccid=%20[0-9A-Fa-f];aid=%32[0-9A-Fa-f];%15[a-z0-9]=%15[a-z0-9]", out->iccid, aid, k, v) != 4 ||
        strlen(aid) % 2 || strlen(aid) < 10)
        return RSP_ERR_FORMAT;
    out->aid_len = strlen(aid) / 2;
    rsp_err err = rsp_hex_decode_fixed(aid, out->aid, out->aid_len, NULL);
    if (err != RSP_OK)
        return err;
    out->data = nl + 1;
    out->len = script->len - hl - 1;
    if (fn == RSP_SMSR_FN_CREATE_ISDP) {
        char *end = NULL;
        unsigned long m = strtoul(v, &end, 10);
        if (strcmp(k, "mem") != 0 || !end || *end || m > 0x7FFFFFFFul || out->len)
            return RSP_ERR_FORMAT;
        out->mem = (uint32_t)m;
        return RSP_OK;
    }
    /* t=sms / t=scp03t: SendData; t=ucp / t=ucpa: UpdateConnectivityParameters, one C-APDU by SMS or a
     * longer body for the admin session only (never SMS to the ISD-P's TAR: that is SCP03t's route) */
    bool ucp = strcmp(v, "ucp") == 0, ucpa = strcmp(v, "ucpa") == 0;
    if (strcmp(k, "t") != 0 || (strcmp(v, "sms") != 0 && strcmp(v, "scp03t") != 0 && !ucp && !ucpa))
        return RSP_ERR_FORMAT;
    out->scp03t = strcmp(v, "scp03t") == 0 || ucpa;
    out->ucp = ucp || ucpa;
    return out->len && out->len <= (out->scp03t ? (size_t)DL_SCP03T_MAX : 255u + 5u) ? RSP_OK : RSP_ERR_FORMAT;
}

rsp_err smsr_dl_command(rsp_smsr_fn fn, const smsr_dl *d, rsp_buf *script)
{
    if (fn == RSP_SMSR_FN_CREATE_ISDP) {
        /* INSTALL [for install and make selectable] 80E60C00: load file, module, instance AIDs,
         * privileges 80C000, parameters C9{81 02 0370} EF{83 04 quota}, no token (SGP02.md ES5) */
        uint8_t inst[5 + 3 * 17 + 20] = {0x80, 0xE6, 0x0C, 0x00, 0};
        size_t n = 5;
        rsp_aid isdp;
        isdp.len = (uint8_t)d->aid_len;
        memcpy(isdp.b, d->aid, d->aid_len);
        const rsp_aid *aids[3] = {&RSP_AID_ISDP_LOADFILE, &RSP_AID_ISDP_MODULE, &isdp};
        for (int a = 0; a < 3; a++) {
            inst[n++] = aids[a]->len;
            memcpy(inst + n, aids[a]->b, aids[a]->len);
            n += aids[a]->len;
        }
        uint32_t mem = d->mem ? d->mem : 65536;
        const uint8_t tail[20] = {0x03, 0x80, 0xC0, 0x00, 0x0E, 0xC9, 0x04, 0x81, 0x02, 0x03, 0x70, 0xEF, 0x06, 0x83,
                                  0x04, (uint8_t)(mem >> 24), (uint8_t)(mem >> 16), (uint8_t)(mem >> 8), (uint8_t)mem,
                                  0x00};
        memcpy(inst + n, tail, sizeof(tail));
        n += sizeof(tail);
        inst[4] = (uint8_t)(n - 5);
        rsp_bytes one = rsp_bytes_of(inst, n);
        return rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, &one, 1, script);
    }
    if (d->scp03t)
        return RSP_ERR_STATE;
    /* INSTALL [for personalization] of the ISD-P, then the SM-DP's command: the card hands it on */
    uint8_t perso[5 + 3 + 16 + 3] = {0x80, 0xE6, 0x20, 0x00, (uint8_t)(2 + 1 + d->aid_len + 3), 0x00, 0x00,
                                     (uint8_t)d->aid_len};
    memcpy(perso + 8, d->aid, d->aid_len);
    memset(perso + 8 + d->aid_len, 0, 3);
    rsp_bytes s[2] = {rsp_bytes_of(perso, 8 + d->aid_len + 3), rsp_bytes_of(d->data, d->len)};
    return rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, s, 2, script);
}

/* ---- the answer ---- */

void smsr_dl_judge(rsp_smsr_fn fn, const rsp_store_op *op, const uint8_t *data, size_t len, bool raw,
                   rsp_smsr_event *ev, rsp_bytes *resp, char msg[96])
{
    *resp = rsp_bytes_of(NULL, 0);
    msg[0] = 0;
    smsr_dl d;
    /* an SCP03t body sent by SMS: its PoR's response data is the ISD-P's SCP03t answer, as the admin
     * session's is (rsp_smsr_on_por cannot tell; the op's script can) */
    if (!raw && fn == RSP_SMSR_FN_SEND_DATA && smsr_dl_decode(fn, &op->script, &d) == RSP_OK && d.scp03t)
        raw = true;
    if (raw) { /* the admin session's answer to an SCP03t body: the card's data as it is */
        if (*ev == RSP_SMSR_EV_POR_OK)
            *resp = rsp_bytes_of(data, len);
        else
            snprintf(msg, 96, "refused by the eUICC (SCP03t)");
        return;
    }
    if (*ev != RSP_SMSR_EV_POR_OK)
        return;
    unsigned want = fn == RSP_SMSR_FN_CREATE_ISDP ? 1u : 2u;
    rsp_rapdu_resp r;
    bool parsed = rsp_rapdu_resp_parse(rsp_rapdu_detect(data, len), data, len, &r, NULL) == RSP_OK;
    bool ok = parsed && r.n == want;
    for (size_t i = 0; ok && i < r.n; i++)
        ok = r.rsps[i].sw == 0x9000 || (r.rsps[i].sw & 0xFF00) == 0x6100;
    if (ok) {
        *resp = rsp_bytes_of(r.rsps[r.n - 1].p, r.rsps[r.n - 1].len);
        return;
    }
    uint16_t sw = parsed && r.n ? r.rsps[r.n - 1].sw : 0x6F00;
    snprintf(msg, 96, "refused by the eUICC: command %zu of %u: SW %04X", parsed ? r.n : 0, want, (unsigned)sw);
    /* a resend refused for the state its first packet left: for CreateISDP the ISD-P exists, the
     * table ends the op done (no data); SendData fails like any refusal */
    *ev = sw == 0x6985 && op->attempts > 0 ? RSP_SMSR_EV_POR_REFUSED_AGAIN : RSP_SMSR_EV_POR_REFUSED;
    if (*ev == RSP_SMSR_EV_POR_REFUSED_AGAIN && fn == RSP_SMSR_FN_CREATE_ISDP)
        RSP_LOGN(RSP_SS_SMSR, "CreateISDP resent after a lost PoR: the ISD-P exists (6985), done", "op=%lld eid=%s",
                 (long long)op->id, op->eid);
}

/* Key establishment SendData of iccid done on eid so far (audit "smsr.dl.keyest"). */
static rsp_err keyest_done(rsp_smsr *e, const char *eid, const char *iccid, unsigned *n)
{
    *n = 0;
    int64_t after = 0;
    for (;;) {
        rsp_store_audit *v = NULL;
        size_t k = 0;
        rsp_err err = rsp_store_audit_list(e->st, eid, after, 256, &v, &k);
        if (err != RSP_OK)
            return err;
        for (size_t i = 0; i < k; i++) {
            after = v[i].id;
            if (strcmp(v[i].event, "smsr.dl.keyest") == 0 && strcmp(v[i].iccid, iccid) == 0)
                (*n)++;
        }
        free(v);
        if (k < 256)
            return RSP_OK;
    }
}

rsp_err smsr_dl_finish(rsp_smsr *e, rsp_smsr_fn fn, const rsp_store_op *op, const smsr_dl *d,
                       const rsp_store_fence *fence, const smsr_dl_outcome *o, int64_t now)
{
    rsp_smsr_step to = o->to;
    bool done = to == RSP_SMSR_STEP_DONE;
    rsp_bytes resp = o->resp;
    rsp_err err = RSP_OK;
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    bool have = rsp_store_profile_get(e->st, d->iccid, &p) == RSP_OK && strcmp(p.eid, op->eid) == 0;
    /* the effects on the ISD-P record first: a crash before the op settles only repeats them */
    if (fn == RSP_SMSR_FN_CREATE_ISDP && have && done && p.state == RSP_STORE_PROFILE_IN_CREATION) {
        p.state = RSP_STORE_PROFILE_CREATED;
        err = rsp_store_profile_put(e->st, &p);
    } else if (fn == RSP_SMSR_FN_CREATE_ISDP && have && !done && op->attempts == 0 &&
               p.state == RSP_STORE_PROFILE_IN_CREATION) {
        err = rsp_store_profile_delete(e->st, d->iccid); /* refused at once: nothing was created */
    } else if (fn == RSP_SMSR_FN_SEND_DATA && done && !d->scp03t && !d->ucp && have &&
               p.state == RSP_STORE_PROFILE_CREATED) {
        err = smsr_audit(e, op->eid, d->iccid, op->id, "smsr.dl.keyest", "ES3.SendData", now);
    }
    rsp_buf r = RSP_BUF_INIT;
    if (err == RSP_OK)
        err = smsr_result_encode(done ? "Executed-Success" : "Failed", done ? NULL : o->subject ? o->subject : "8.4",
                                 done ? NULL : o->reason ? o->reason : "4.2", done ? NULL : o->msg, &r);
    if (err == RSP_OK && done && resp.len && (err = rsp_buf_append_byte(&r, 0)) == RSP_OK)
        err = rsp_buf_append(&r, resp.p, resp.len);
    rsp_bytes rb = rsp_buf_view(&r);
    rsp_store_op_change chg = {.now = now, .result = &rb};
    if (err == RSP_OK)
        err = rsp_store_op_transition(e->st, op->id, fence, o->from, rsp_smsr_step_store_state(to), &chg);
    rsp_buf_free(&r);
    if (err == RSP_OK)
        err = smsr_cursor_put(e, op->eid, op->id, to, 0, fence->generation, now);
    if (err == RSP_OK && e->cfg.on_settled)
        e->cfg.on_settled(e->cfg.settled_arg, op->function, rsp_smsr_step_store_state(to),
                          now > op->created ? now - op->created : 0);
    return err;
}

/* ---- SCP03t bodies through the card's admin session ---- */

typedef struct dl_admin {
    rsp_smsr *e;
    char eid[33];
    int64_t op_id, gen;
} dl_admin;

static void dl_admin_done(void *arg, uint64_t tag, rsp_err err, rsp_scp81_status st, const uint8_t *body, size_t len,
                          const char *why)
{
    (void)tag;
    dl_admin *a = arg;
    rsp_smsr *e = a->e;
    if (err == RSP_ERR_STATE) { /* the SM-SR stops: the op stays AWAITING, its lease lapses, a restart resends */
        free(a);
        return;
    }
    /* no answer (trigger never answered, session broke): send again, until the validity period;
     * an answer with an error script status is the card's refusal of the body */
    rsp_smsr_event ev = err != RSP_OK                                              ? RSP_SMSR_EV_ADMIN_LOST
                        : (st == RSP_SCP81_STATUS_OK || st == RSP_SCP81_STATUS_NONE) ? RSP_SMSR_EV_POR_OK
                                                                                     : RSP_SMSR_EV_POR_REFUSED;
    int64_t now = (int64_t)time(NULL);
    rsp_diag dg;
    rsp_diag_clear(&dg);
    rsp_err r = smsr_settle(e, a->eid, a->op_id, a->gen, 0, ev, body, len, true, now, &dg);
    RSP_LOGI(RSP_SS_SMSR, "ES3.SendData answer", "eid=%s op=%lld ev=%d status=%s%s%s result=%s", a->eid,
             (long long)a->op_id, (int)ev, rsp_scp81_status_name(st), why ? " why=" : "", why ? why : "",
             rsp_err_name(r));
    free(a);
    if (e->es3) { /* answer the SM-DP now and send what waited behind this op (the next segment) */
        smsr_es3_poll(e->es3, now);
        smsr_dl_kick(e->es3);
    }
}

rsp_err smsr_dl_queue(rsp_smsr *e, const rsp_store_op *op, const smsr_dl *d, int64_t now)
{
    rsp_store_fence fence = {op->id, op->generation};
    if (!e->https || !smsr_https_reachable(e->https, op->eid)) {
        smsr_dl_outcome o = {RSP_STORE_OP_SENT, RSP_SMSR_STEP_FAILED, NULL, NULL,
                             d->ucp ? "a body longer than one C-APDU needs an admin session (SCP81): none for "
                                      "this eUICC"
                                    : "SCP03t needs an admin session (SCP81): none for this eUICC",
                             {NULL, 0}};
        return smsr_dl_finish(e, RSP_SMSR_FN_SEND_DATA, op, d, &fence, &o, now);
    }
    rsp_smsr_step step;
    rsp_err err = rsp_smsr_step_next(RSP_SMSR_FN_SEND_DATA, RSP_SMSR_STEP_COMMAND, RSP_SMSR_EV_SENT, &step);
    /* committed before the script can leave: the answer finds its op by (op, generation) */
    if (err == RSP_OK)
        err = smsr_cursor_put(e, op->eid, op->id, step, 0, op->generation, now);
    /* a short lease, renewed by the admin server while the body is in the card's session (lease.c) */
    int64_t until = smsr_lease_https(e, 0, now);
    if (err == RSP_OK) {
        rsp_store_op_change chg = {.now = now, .lease_until = until};
        err = rsp_store_op_transition(e->st, op->id, &fence, RSP_STORE_OP_SENT, RSP_STORE_OP_AWAITING, &chg);
    }
    if (err != RSP_OK)
        return err;
    smsr_lease_hold(e, op->eid, op->id, op->generation, until);
    dl_admin *a = calloc(1, sizeof(*a));
    if (!a)
        return RSP_ERR_NOMEM; /* the lease lapses and the op is sent again */
    *a = (dl_admin){e, "", op->id, op->generation};
    snprintf(a->eid, sizeof(a->eid), "%s", op->eid);
    RSP_LOGI(RSP_SS_SMSR, "ES3.SendData over HTTPS", "eid=%s iccid=%s op=%lld bytes=%zu", op->eid, d->iccid,
             (long long)op->id, d->len);
    err = smsr_https_queue(e->https, op->eid, d->aid, d->aid_len, d->data, d->len, dl_admin_done, a,
                           (uint64_t)op->id);
    if (err != RSP_OK) /* not queued: no callback will come; the lease lapses and the op is sent again */
        free(a);
    return err;
}

/* ---- the handlers ---- */

/* The lowest free ISD-P TAR of the card (000010 up), from the ISD-Ps the store knows. */
static rsp_err free_aid(rsp_smsr *e, const char *eid, rsp_aid *aid)
{
    rsp_store_profile *all = NULL;
    size_t n = 0;
    rsp_err err = rsp_store_profile_list(e->st, eid, &all, &n);
    for (uint32_t tar = 0x10; err == RSP_OK && tar <= 0xFFFF; tar++) {
        char hex[33];
        if ((err = rsp_aid_isdp(tar, aid)) != RSP_OK)
            break;
        rsp_aid_format(aid, hex);
        size_t i = 0;
        while (i < n && strcmp(all[i].isdp_aid, hex) != 0)
            i++;
        if (i == n) {
            free(all);
            return RSP_OK;
        }
    }
    free(all);
    return err == RSP_OK ? RSP_ERR_RANGE : err;
}

/* Answers call when the download op of sq (submitted: r) settles; sends what is due at once. */
static rsp_err wait_kick(smsr_es3 *x, rsp_es_call *call, rsp_smsr_fn fn, const smsr_submission *sq,
                         const rsp_es_req_hdr *hdr, const rsp_smsr_result *r)
{
    if (r->status[0] && !r->op_id) /* the FCID of another request */
        return smsr_call_answer(call, r);
    rsp_smsr_request rq = {fn, RSP_SMSR_ROLE_SMDP, sq->requester, sq->fcid, sq->eid, sq->iccid, sq->now,
                           smsr_validity(hdr)};
    rsp_err err = smsr_es3_wait_dl(x, call, &rq, r->op_id);
    if (err == RSP_OK && !r->status[0])
        smsr_dl_kick(x);
    return err;
}

/* Submits the download op of sq and answers call when it settles. */
static rsp_err submit_wait(smsr_es3 *x, rsp_es_call *call, rsp_smsr_fn fn, smsr_submission *sq,
                           const rsp_es_req_hdr *hdr, bool *replayed)
{
    rsp_smsr_result r;
    rsp_err err = smsr_submit_op(smsr_es3_engine(x), sq, &r);
    if (err != RSP_OK)
        return err;
    *replayed = r.replayed;
    return wait_kick(x, call, fn, sq, hdr, &r);
}

#ifndef NDEBUG
/* Test hook (debug builds only): RSP_SMSR_TEST_KILL=<point> kills the process there, as kill -9 would. */
static void test_kill(const char *point)
{
    const char *k = getenv("RSP_SMSR_TEST_KILL");
    if (k && strcmp(k, point) == 0)
        raise(SIGKILL);
}
#else
#define test_kill(point) ((void)0)
#endif

rsp_err smsr_dl_on_create(smsr_es3 *x, rsp_es_call *call)
{
    rsp_smsr *e = smsr_es3_engine(x);
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_download_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    if (!smsr_es3_caller(x, call, who))
        return RSP_OK;
    if (!q || !q->eid || !q->iccid || strlen(q->eid) != 32 || strlen(q->iccid) < 1 || strlen(q->iccid) > 20 ||
        strspn(q->iccid, "0123456789ABCDEFabcdef") != strlen(q->iccid) || q->required_memory < 0 ||
        q->required_memory > 0x7FFFFFFF || !q->hdr.function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL,
                                  "EID, ICCID, RequiredMemory and FunctionCallIdentifier are needed");
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    rsp_err known = rsp_store_eis_get(e->st, q->eid, &eis);
    rsp_store_eis_clear(&eis);
    if (known != RSP_OK)
        return rsp_es_call_reject(call, "8.1.1", "3.9", NULL, "unknown EID");
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    int64_t now = (int64_t)time(NULL);
    char kv[24];
    snprintf(kv, sizeof(kv), "mem=%lld", (long long)q->required_memory);
    smsr_submission sq = {rsp_smsr_fn_name(RSP_SMSR_FN_CREATE_ISDP), who, q->hdr.function_call_id, q->eid, q->iccid,
                          {NULL, 0}, now, smsr_validity(&q->hdr), false, NULL, NULL, NULL, NULL};
    rsp_buf script = RSP_BUF_INIT;
    bool fresh = false, own_batch = false;
    rsp_smsr_result r;
    memset(&r, 0, sizeof(r));
    rsp_err err = rsp_store_profile_get(e->st, q->iccid, &p);
    if (err == RSP_OK) { /* a replay of the call that created it (same script), or a refusal */
        bool mine = strcmp(p.eid, q->eid) == 0 && strcmp(p.smdp_id, who) == 0;
        err = dl_script(q->iccid, mine ? p.isdp_aid : "00000000000000000000", kv, rsp_bytes_of(NULL, 0), &script);
        sq.refused = true;
        sq.subject = "8.2.1";
        sq.reason = "3.3";
        sq.msg = "ICCID already in use";
    } else if (err == RSP_ERR_NOT_FOUND) {
        rsp_aid aid;
        err = free_aid(e, q->eid, &aid);
        memset(&p, 0, sizeof(p));
        snprintf(p.iccid, sizeof(p.iccid), "%s", q->iccid);
        snprintf(p.eid, sizeof(p.eid), "%s", q->eid);
        rsp_aid_format(&aid, p.isdp_aid);
        snprintf(p.mno_id, sizeof(p.mno_id), "%s", q->mno_id ? q->mno_id : "");
        snprintf(p.smdp_id, sizeof(p.smdp_id), "%s", who);
        p.state = RSP_STORE_PROFILE_IN_CREATION;
        p.allocated_memory = q->required_memory;
        if (err == RSP_OK)
            err = dl_script(q->iccid, p.isdp_aid, kv, rsp_bytes_of(NULL, 0), &script);
        /* The record (the owner, the AID taken) and its operation are ONE unit: a crash between them
         * would leave an ISD-P record no operation settles, and the SM-DP's retry would get 3.3. In the
         * daemon the loop turn's batch is that unit; elsewhere a batch of our own. */
        if (err == RSP_OK && !rsp_store_batch_open(e->st) && (err = rsp_store_batch_begin(e->st)) == RSP_OK)
            own_batch = true;
        if (err == RSP_OK && (err = rsp_store_profile_put(e->st, &p)) == RSP_OK)
            fresh = true;
        test_kill("create-isdp-recorded");
    }
    if (err == RSP_OK) {
        sq.script = rsp_buf_view(&script);
        RSP_LOGI(RSP_SS_SMSR, "ES3.CreateISDP", "eid=%s iccid=%s aid=%s smdp=%s", p.eid, q->iccid, p.isdp_aid, who);
        err = smsr_submit_op(e, &sq, &r);
    }
    if (fresh && err == RSP_OK && r.replayed) /* the FCID was used before: this record is not the op's */
        err = rsp_store_profile_delete(e->st, q->iccid);
    if (own_batch && err == RSP_OK)
        err = rsp_store_batch_commit(e->st); /* failed: none of it happened */
    else if (own_batch)
        rsp_store_batch_abort(e->st);
    else if (fresh && err != RSP_OK) /* the turn's batch goes on: take the record back */
        rsp_store_profile_delete(e->st, q->iccid);
    if (err == RSP_OK) /* committed (or in the turn's batch, committed before anything leaves) */
        err = wait_kick(x, call, RSP_SMSR_FN_CREATE_ISDP, &sq, &q->hdr, &r);
    rsp_buf_free(&script);
    return err;
}

/* The profile of eid whose ISD-P is aid (hex), created by who. */
static bool owned_isdp(rsp_smsr *e, const char *eid, const rsp_buf *aid, const char *who, rsp_store_profile *out)
{
    char hex[33];
    if (aid->len < 5 || aid->len > 16 || rsp_hex_encode_upper(aid->data, aid->len, hex, sizeof(hex)) != RSP_OK)
        return false;
    rsp_store_profile *all = NULL;
    size_t n = 0;
    bool found = false;
    if (rsp_store_profile_list(e->st, eid, &all, &n) == RSP_OK)
        for (size_t i = 0; i < n && !found; i++)
            if (strcmp(all[i].isdp_aid, hex) == 0 && strcmp(all[i].smdp_id, who) == 0) {
                *out = all[i];
                found = true;
            }
    free(all);
    return found;
}

/* The same SendData request: ISD-P and Data (the transport is the SM-SR's decision, not the request). */
static bool same_send(rsp_bytes first, rsp_bytes now)
{
    rsp_buf a = {(uint8_t *)first.p, first.len, first.len}, b = {(uint8_t *)now.p, now.len, now.len};
    smsr_dl da, db;
    return smsr_dl_decode(RSP_SMSR_FN_SEND_DATA, &a, &da) == RSP_OK &&
           smsr_dl_decode(RSP_SMSR_FN_SEND_DATA, &b, &db) == RSP_OK && da.ucp == db.ucp && strcmp(da.iccid, db.iccid) == 0 &&
           da.aid_len == db.aid_len && memcmp(da.aid, db.aid, da.aid_len) == 0 &&
           rsp_bytes_eq(rsp_bytes_of(da.data, da.len), rsp_bytes_of(db.data, db.len));
}

rsp_err smsr_dl_on_send(smsr_es3 *x, rsp_es_call *call)
{
    rsp_smsr *e = smsr_es3_engine(x);
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_send_data_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    if (!smsr_es3_caller(x, call, who))
        return RSP_OK;
    if (!q || !q->eid || !q->data.len || q->data.len > DL_SCP03T_MAX || !q->hdr.function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL,
                                  "EID, SD-AID, Data (one C-APDU, or an SCP03t body of at most 4096 bytes) and "
                                  "FunctionCallIdentifier are needed");
    rsp_store_profile p;
    if (!owned_isdp(e, q->eid, &q->sd_aid, who, &p))
        return rsp_es_call_reject(call, "8.3", "1.2", NULL, "no ISD-P of this SM-DP with that AID");
    if (p.state == RSP_STORE_PROFILE_IN_CREATION)
        return rsp_es_call_reject(call, "8.2.1", "1.2", NULL, "ISD-P not created yet (CreateISDP not answered)");
    unsigned keyest = 0;
    rsp_err err = p.state == RSP_STORE_PROFILE_CREATED ? keyest_done(e, q->eid, p.iccid, &keyest) : RSP_OK;
    if (err != RSP_OK)
        return err;
    bool scp03t = p.state == RSP_STORE_PROFILE_CREATED && keyest >= DL_KEYEST;
    if (!scp03t && (q->data.len < 5 || q->data.len > 255 + 5))
        return rsp_es_call_reject(call, "1.1", "2.2", NULL,
                                  "Data must be one C-APDU (the ISD-P's key establishment is not done)");
    rsp_buf script = RSP_BUF_INIT;
    err = dl_script(p.iccid, p.isdp_aid, scp03t ? "t=scp03t" : "t=sms", rsp_bytes_of(q->data.data, q->data.len),
                    &script);
    bool replayed = false;
    smsr_submission sq = {rsp_smsr_fn_name(RSP_SMSR_FN_SEND_DATA), who, q->hdr.function_call_id, q->eid, p.iccid,
                          rsp_buf_view(&script), (int64_t)time(NULL), smsr_validity(&q->hdr), false, NULL, NULL, NULL, same_send};
    /* an SCP03t body for a card without an admin session goes by SMS (smsr_dl_queue_pkt) */
    if (err == RSP_OK)
        err = submit_wait(x, call, RSP_SMSR_FN_SEND_DATA, &sq, &q->hdr, &replayed);
    rsp_buf_free(&script);
    return err;
}

rsp_err smsr_dl_on_conn(smsr_es3 *x, rsp_es_call *call, const rsp_store_profile *p, const char *who,
                        const rsp_es_req_hdr *hdr, rsp_bytes cp)
{
    if (!hdr->function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "FunctionCallIdentifier is needed");
    /* Lc of one short C-APDU is at most 255 bytes: anything longer is not one SMS script's command */
    bool admin = cp.len > 255 + 5;
    rsp_buf script = RSP_BUF_INIT;
    rsp_err err = dl_script(p->iccid, p->isdp_aid, admin ? "t=ucpa" : "t=ucp", cp, &script);
    bool replayed = false;
    /* the rows of ES3.SendData (table.c F_DL: the outcome is the card's answer, a resend is refused by
     * the ISD-P's SCP03 C-MAC chain) under a name of its own (metrics, audit trail) */
    smsr_submission sq = {RSP_SMSR_FN_UCP_NAME, who, hdr->function_call_id, p->eid, p->iccid,
                          rsp_buf_view(&script), (int64_t)time(NULL), smsr_validity(hdr), false, NULL, NULL, NULL,
                          same_send};
    if (err == RSP_OK)
        err = submit_wait(x, call, RSP_SMSR_FN_SEND_DATA, &sq, hdr, &replayed);
    rsp_buf_free(&script);
    return err;
}

rsp_err smsr_dl_result_data(rsp_smsr *e, int64_t op_id, void *data_resp)
{
    rsp_es_data_resp *resp = data_resp;
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    rsp_smsr_fn fn;
    smsr_dl d;
    rsp_err err = rsp_store_op_get(e->st, op_id, &op);
    if (err == RSP_OK && (rsp_smsr_fn_parse(op.function, &fn) != RSP_OK || smsr_dl_decode(fn, &op.script, &d) != RSP_OK))
        err = RSP_ERR_FORMAT;
    if (err == RSP_OK && op.state == RSP_STORE_OP_DONE) {
        const uint8_t *nul = op.result.len ? memchr(op.result.data, 0, op.result.len) : NULL;
        if (fn == RSP_SMSR_FN_CREATE_ISDP)
            err = rsp_buf_set(&resp->isd_p_aid, d.aid, d.aid_len);
        else if (nul && (size_t)(nul + 1 - op.result.data) < op.result.len)
            err = rsp_buf_set(&resp->euicc_response_data, nul + 1,
                              op.result.len - (size_t)(nul + 1 - op.result.data));
    }
    rsp_store_op_clear(&op);
    return err;
}

void smsr_dl_answer(smsr_es3 *x, rsp_es_call *call, int64_t reply_id, int64_t op_id, const rsp_smsr_result *r)
{
    rsp_es_data_resp *resp = rsp_es_call_response(call);
    if (resp && strcmp(r->status, "Executed-Success") == 0)
        smsr_dl_result_data(smsr_es3_engine(x), op_id, resp); /* without it the status still goes out */
    smsr_es3_answer(x, call, reply_id, r);
}
