/* One profile download, LPA side (lpa.h §download). One state table:
 *
 * | phase   | step                                   | on failure                                          |
 * | CLOCK   | now within the CA certificate's validity | stop before connecting: "fix the clock" (seed 003) |
 * | AUTH    | GetEuiccChallenge, GetEUICCInfo1        | stop (nothing started)                              |
 * |         | ES9+ initiateAuthentication             | stop (the card holds no transactionId)              |
 * |         | AuthenticateServer                      | the card's error goes to authenticateClient, stop   |
 * |         | ES9+ authenticateClient                 | cancel(undefined 127)                                |
 * | PREPARE | profileMetadata decoded; cc required?   | no code: cancel(postponed 1); bad metadata: cancel(metadataMismatch 4) |
 * |         | PrepareDownload                         | the card's error goes to getBoundProfilePackage, stop |
 * |         | ES9+ getBoundProfilePackage             | cancel(undefined 127)                                |
 * | INSTALL | each BPP piece (rsp_es10_bpp_split)     | a BF37 answer ends it (an error PIR: NOTIFY sends it); |
 * |         |                                         | a transport failure: ask the card (GetProfilesInfo), cancel(loadBppExecutionError 5) |
 * | NOTIFY  | ES9+ handleNotification(PIR), RemoveNotificationFromList | the PIR stays on the card for `notification process` |
 *
 * cancel(r) = ES10b.CancelSession(tid, r); when the card signs it, ES9+.cancelSession with that answer.
 * retry_safe is true until the first BPP piece is sent: before it the card's profile store is untouched. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/es10.h"
#include "rsp/es9p.h"
#include "rsp/lpa.h"
#include "rsp/pki22.h"
#include "rsp/tlv.h"

#include "lpa_int.h"

const char *rsp_lpa_phase_name(rsp_lpa_phase p)
{
    static const char *const names[] = {"clock", "authenticate", "prepare", "install", "notify", "done", "discover"};
    return p <= RSP_LPA_PH_DISCOVER ? names[p] : "?";
}


static void save_record(lpa_dl *x)
{
    if (!x->o->session_path || x->res->reached >= RSP_LPA_PH_DONE)
        return;
    rsp_lpa_session_rec r;
    memset(&r, 0, sizeof(r));
    r.phase = x->res->reached;
    snprintf(r.tid, sizeof(r.tid), "%s", x->res->tid);
    snprintf(r.address, sizeof(r.address), "%s", x->o->address);
    snprintf(r.matching_id, sizeof(r.matching_id), "%s", x->o->matching_id ? x->o->matching_id : "");
    snprintf(r.iccid, sizeof(r.iccid), "%s", x->res->iccid);
    if (rsp_lpa_session_save(x->o->session_path, &r) != RSP_OK && x->o->progress)
        x->o->progress(x->o->arg, r.phase, "warning: the session record could not be written");
}

void lpa_progress(lpa_dl *x, rsp_lpa_phase p, const char *fmt, ...)
{
    bool changed = x->res->reached != p || p == RSP_LPA_PH_INSTALL;
    x->res->reached = p;
    if (changed)
        save_record(x); /* before the phase acts: an LPA killed now finds it at its next start */
    if (!x->o->progress)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    x->o->progress(x->o->arg, p, line);
}

static rsp_err es10(lpa_dl *x, const rsp_buf *req, rsp_buf *ans, rsp_diag *diag)
{
    rsp_buf_reset(ans);
    return rsp_lpa_es10(x->c, req->data, req->len, ans, diag);
}

/* A Failed/Expired answer: kept in res, an error for the caller. */
rsp_err lpa_server_failed(lpa_dl *x, const char *func, const rsp_es9p_header *h, rsp_diag *diag)
{
    if (h->status != RSP_ES9P_FAILED && h->status != RSP_ES9P_EXPIRED)
        return RSP_OK;
    snprintf(x->res->subject_code, sizeof(x->res->subject_code), "%s", h->subject_code);
    snprintf(x->res->reason_code, sizeof(x->res->reason_code), "%s", h->reason_code);
    snprintf(x->res->message, sizeof(x->res->message), "%s", h->message);
    return rsp_diag_set(diag, RSP_ERR_DENIED, "%s: %s answered %s %s/%s%s%s", func, x->server,
                        h->status == RSP_ES9P_EXPIRED ? "Expired" : "Failed", h->subject_code, h->reason_code,
                        h->message[0] ? ": " : "", h->message);
}

static rsp_err server_failed(lpa_dl *x, const rsp_es9p_msg *ans, rsp_diag *diag)
{
    return lpa_server_failed(x, rsp_es9p_func_name(ans->func), &ans->header, diag);
}

/* ES10b.CancelSession then ES9+.cancelSession; best effort, recorded in res. */
static void cancel(lpa_dl *x, int reason)
{
    x->res->cancel_reason = reason;
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es10_cancel_resp r;
    if (rsp_es10_cancel_req_encode(rsp_bytes_of(x->tid, x->tid_len), reason, &req) != RSP_OK ||
        es10(x, &req, &ans, NULL) != RSP_OK || rsp_es10_cancel_resp_decode(ans.data, ans.len, &r, NULL) != RSP_OK ||
        !r.ok) {
        lpa_progress(x, x->res->reached, "CancelSession: the card holds no such session");
        rsp_buf_free(&req);
        rsp_buf_free(&ans);
        return;
    }
    x->res->card_cancelled = true;
    rsp_es9p_msg m, a;
    rsp_es9p_msg_init(&m, RSP_ES9P_CANCEL_SESSION, false);
    snprintf(m.transaction_id, sizeof(m.transaction_id), "%s", x->res->tid);
    rsp_err e = rsp_buf_set(&m.cancel_session_response, ans.data, ans.len);
    e = e ? e : rsp_lpa_es9_call(x->es9, &m, &a, NULL);
    x->res->server_cancelled = !e && a.header.status == RSP_ES9P_SUCCESS;
    lpa_progress(x, x->res->reached, "cancelled (reason %d): card signed, %s %s", reason, x->server,
             x->res->server_cancelled ? "accepted" : "did not accept");
    rsp_es9p_msg_free(&m);
    rsp_es9p_msg_free(&a);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
}

/* CtxParams1 A0{80 matchingId, A1 deviceInfo{80 tac, A1 deviceCapabilities{}}}: an empty capability
 * list is what one public LPA sends (SGP22.md [run]); the TAC is a test value. */
static rsp_err ctx_params(const char *matching_id, rsp_buf *out)
{
    static const uint8_t tac[4] = {0x35, 0x29, 0x06, 0x11};
    size_t a0 = 0, a1 = 0;
    rsp_err e = rsp_tlv_begin(out, 0xA0, &a0);
    if (!e && matching_id && *matching_id)
        e = rsp_tlv_put(out, 0x80, matching_id, strlen(matching_id));
    e = e ? e : rsp_tlv_begin(out, 0xA1, &a1);
    e = e ? e : rsp_tlv_put(out, 0x80, tac, sizeof(tac));
    e = e ? e : rsp_tlv_put(out, 0xA1, NULL, 0);
    e = e ? e : rsp_tlv_end(out, a1);
    return e ? e : rsp_tlv_end(out, a0);
}

static rsp_err check_clock(lpa_dl *x, rsp_diag *diag);

rsp_err lpa_check_clock(lpa_dl *x, rsp_diag *diag)
{
    rsp_err e = check_clock(x, diag);
    if (e)
        x->res->reached = RSP_LPA_PH_CLOCK; /* failed there; no record: nothing has started */
    return e;
}

static rsp_err check_clock(lpa_dl *x, rsp_diag *diag)
{
    if (!x->o->ca_file) {
        lpa_progress(x, RSP_LPA_PH_CLOCK, "no CA certificate (--insecure): the clock is not checked against one");
        return RSP_OK;
    }
    FILE *f = fopen(x->o->ca_file, "rb");
    if (!f)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "CA file %s: cannot read", x->o->ca_file);
    rsp_buf pem = RSP_BUF_INIT, der = RSP_BUF_INIT;
    uint8_t chunk[4096];
    size_t n;
    rsp_err e = RSP_OK;
    while (!e && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        e = rsp_buf_append(&pem, chunk, n);
    fclose(f);
    rsp_pki22_info info;
    e = e ? e : rsp_pki22_pem_to_der(pem.data, pem.len, &der);
    e = e ? e : rsp_pki22_inspect(der.data, der.len, &info, diag);
    rsp_buf_free(&pem);
    rsp_buf_free(&der);
    if (e)
        return rsp_diag_set(diag, e, "CA file %s: not a certificate this LPA can read", x->o->ca_file);
    time_t now = time(NULL);
    char when[32];
    struct tm tmv;
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&now, &tmv));
    if (now < info.not_before || (info.not_after && now > info.not_after))
        return rsp_diag_set(diag, RSP_ERR_STATE,
                            "the device clock says %s, outside the validity of the CA certificate %s: every "
                            "certificate check would fail; fix the clock before connecting",
                            when, x->o->ca_file);
    lpa_progress(x, RSP_LPA_PH_CLOCK, "clock %s within the CA certificate's validity", when);
    return RSP_OK;
}

/* Is the profile iccid on the card? -1: the card could not say. */
static int card_has(lpa_dl *x, const char *iccid)
{
    rsp_buf raw = RSP_BUF_INIT;
    rsp_es10_profiles *p = calloc(1, sizeof(*p));
    int found = -1;
    if (p && rsp_lpa_get_profiles(x->c, &raw, p, NULL) == RSP_OK && p->ok) {
        found = 0;
        for (size_t i = 0; i < p->n; i++) {
            char d[24];
            rsp_lpa_iccid_to_digits(p->items[i].iccid.p, p->items[i].iccid.len, d, sizeof(d));
            if (!strcmp(d, iccid))
                found = 1;
        }
    }
    free(p);
    rsp_buf_free(&raw);
    return found;
}

/* A record left by a download that did not finish (the LPA was killed, or the card went away during
 * installation): say so, ask the card whether it holds that profile, end the card's session for that
 * transaction if it still has one (a reset card has none), and drop the record. A PIR the card made
 * stays in its notification list for `notification process`. */
static void recover(lpa_dl *x)
{
    rsp_lpa_session_rec r;
    rsp_diag d = {0};
    rsp_err e = rsp_lpa_session_load(x->o->session_path, &r, &d);
    if (e == RSP_ERR_NOT_FOUND)
        return;
    x->res->recovered = true;
    if (e) {
        lpa_progress(x, RSP_LPA_PH_CLOCK, "an unreadable session record was dropped: %s", d.msg);
        rsp_lpa_session_clear(x->o->session_path);
        return;
    }
    snprintf(x->res->recovered_tid, sizeof(x->res->recovered_tid), "%s", r.tid);
    x->res->recovered_phase = r.phase;
    int has = r.iccid[0] ? card_has(x, r.iccid) : 0;
    x->res->recovered_on_card = has == 1;
    uint8_t tid[16];
    size_t tl = 0;
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es10_cancel_resp cr = {0};
    bool cancelled = r.tid[0] && rsp_es9p_tid_from_hex(r.tid, tid, &tl, NULL) == RSP_OK &&
                     rsp_es10_cancel_req_encode(rsp_bytes_of(tid, tl), RSP_ES10_CANCEL_LOAD_BPP_ERROR, &req) == RSP_OK &&
                     es10(x, &req, &ans, NULL) == RSP_OK && rsp_es10_cancel_resp_decode(ans.data, ans.len, &cr, NULL) == RSP_OK &&
                     cr.ok;
    lpa_progress(x, RSP_LPA_PH_CLOCK,
             "previous download of '%s' from %s (transaction %s) stopped in %s: profile %s %s; card session %s",
             r.matching_id, r.address, r.tid[0] ? r.tid : "-", rsp_lpa_phase_name(r.phase), r.iccid[0] ? r.iccid : "-",
             has == 1 ? "is on the card" : has == 0 ? "is not on the card" : "unknown (card did not answer)",
             cancelled ? "cancelled" : "already gone");
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    rsp_lpa_session_clear(x->o->session_path);
}

static rsp_err prepare_and_install(lpa_dl *x, rsp_es9p_msg *ac, rsp_diag *diag);

rsp_err rsp_lpa_download(rsp_lpa_card *c, const rsp_lpa_download_opts *o, rsp_lpa_download_result *res,
                         rsp_diag *diag)
{
    memset(res, 0, sizeof(*res));
    res->card_error = res->bpp_command_id = res->error_reason = res->cancel_reason = -1;
    res->retry_safe = true;
    lpa_dl x = {c, o, res, NULL, {0}, 0, "SM-DP+"};
    res->reached = RSP_LPA_PH_DONE; /* no record is written until the clock phase starts */
    if (o->session_path)
        recover(&x);
    res->reached = RSP_LPA_PH_DONE;
    rsp_err e = lpa_check_clock(&x, diag);
    if (!e && (e = rsp_lpa_es9_new(o->address, o->ca_file, o->insecure, o->timeout_ms, &x.es9, diag)) != RSP_OK)
        res->reached = RSP_LPA_PH_AUTH; /* the client for the SM-DP+ could not be made: nothing sent */
    rsp_buf bf38 = RSP_BUF_INIT;
    e = e ? e : lpa_authenticate(&x, &bf38, diag);
    rsp_es9p_msg m, a;
    rsp_es9p_msg_init(&a, RSP_ES9P_AUTHENTICATE_CLIENT, true);
    if (!e) {
        rsp_es9p_msg_init(&m, RSP_ES9P_AUTHENTICATE_CLIENT, false);
        snprintf(m.transaction_id, sizeof(m.transaction_id), "%s", res->tid);
        e = rsp_buf_set(&m.authenticate_server_response, bf38.data, bf38.len);
        rsp_es9p_msg_free(&a);
        e = e ? e : rsp_lpa_es9_call(x.es9, &m, &a, diag);
        rsp_es9p_msg_free(&m);
        if (!e && res->card_error >= 0) {
            /* the SM-DP+ has been told; the card ended its own session with the error */
            e = server_failed(&x, &a, diag);
            if (!e)
                e = rsp_diag_set(diag, RSP_ERR_VERIFY, "AuthenticateServer: the card refused (error %d)",
                                 res->card_error);
        } else if (!e && (e = server_failed(&x, &a, diag)) != RSP_OK) {
            cancel(&x, RSP_ES10_CANCEL_UNDEFINED);
        } else if (e) {
            cancel(&x, RSP_ES10_CANCEL_UNDEFINED);
        }
    }
    e = e ? e : prepare_and_install(&x, &a, diag);
    rsp_es9p_msg_free(&a);
    rsp_buf_free(&bf38);
    rsp_lpa_es9_free(x.es9);
    if (!e)
        lpa_progress(&x, RSP_LPA_PH_DONE, "profile %s installed", res->iccid);
    /* the record stays only when the card may be in between: a failure once pieces were sent */
    if (o->session_path && (!e || res->retry_safe || res->installed))
        rsp_lpa_session_clear(o->session_path);
    return e;
}

/* Challenge, EUICCInfo1, initiateAuthentication, AuthenticateServer: the card's BF38 into bf38. */
rsp_err lpa_authenticate(lpa_dl *x, rsp_buf *bf38, rsp_diag *diag)
{
    rsp_buf req = RSP_BUF_INIT, chal = RSP_BUF_INIT, info1 = RSP_BUF_INIT, ctx = RSP_BUF_INIT;
    uint8_t challenge[RSP_ES10_CHALLENGE_LEN];
    lpa_progress(x, RSP_LPA_PH_AUTH, "authenticating with %s", x->o->address);
    rsp_err e = rsp_es10_empty_request(RSP_ES10_GET_CHALLENGE, &req);
    e = e ? e : es10(x, &req, &chal, diag);
    e = e ? e : rsp_es10_challenge_response_decode(chal.data, chal.len, challenge, diag);
    rsp_buf_reset(&req);
    e = e ? e : rsp_es10_empty_request(RSP_ES10_EUICC_INFO1, &req);
    e = e ? e : es10(x, &req, &info1, diag);
    rsp_es9p_msg m, a;
    rsp_es9p_msg_init(&m, RSP_ES9P_INITIATE_AUTHENTICATION, false);
    rsp_es9p_msg_init(&a, RSP_ES9P_INITIATE_AUTHENTICATION, true);
    if (!e) {
        snprintf(m.smdp_address, sizeof(m.smdp_address), "%s", x->o->address);
        e = rsp_buf_set(&m.euicc_challenge, challenge, sizeof(challenge));
        e = e ? e : rsp_buf_set(&m.euicc_info1, info1.data, info1.len);
        rsp_es9p_msg_free(&a);
        e = e ? e : rsp_lpa_es9_call(x->es9, &m, &a, diag);
        e = e ? e : server_failed(x, &a, diag);
        e = e ? e : rsp_es9p_tid_from_hex(a.transaction_id, x->tid, &x->tid_len, diag);
    }
    if (!e) {
        snprintf(x->res->tid, sizeof(x->res->tid), "%s", a.transaction_id);
        rsp_es10_auth_server_req q;
        memset(&q, 0, sizeof(q));
        e = rsp_es10_server_signed1_decode(a.server_signed1.data, a.server_signed1.len, &q.signed1, diag);
        e = e ? e : ctx_params(x->o->matching_id, &ctx);
        if (!e) {
            /* signature and key id travel as their TLVs in ES9+, as their contents in the codec */
            rsp_tlv t;
            e = rsp_tlv_expect(a.server_signature1.data, a.server_signature1.len, 0x5F37, &t, diag);
            q.server_signature1 = rsp_bytes_of(t.value, t.len);
            e = e ? e : rsp_tlv_expect(a.euicc_ci_pkid.data, a.euicc_ci_pkid.len, 0x04, &t, diag);
            q.ci_pkid = rsp_bytes_of(t.value, t.len);
            q.server_certificate = rsp_buf_view(&a.server_certificate);
            q.ctx.raw = rsp_buf_view(&ctx);
        }
        rsp_buf_reset(&req);
        e = e ? e : rsp_es10_auth_server_req_encode(&q, &req);
        e = e ? e : es10(x, &req, bf38, diag);
        rsp_es10_auth_server_resp r;
        e = e ? e : rsp_es10_auth_server_resp_decode(bf38->data, bf38->len, &r, diag);
        if (!e && !r.ok)
            x->res->card_error = r.error;
        else if (!e)
            lpa_progress(x, RSP_LPA_PH_AUTH, "card authenticated the %s (transaction %s)", x->server, x->res->tid);
    }
    rsp_es9p_msg_free(&m);
    rsp_es9p_msg_free(&a);
    rsp_buf_free(&req);
    rsp_buf_free(&chal);
    rsp_buf_free(&info1);
    rsp_buf_free(&ctx);
    return e;
}

static rsp_err confirmation_hash(lpa_dl *x, uint8_t out[32])
{
    uint8_t in[32 + 16];
    rsp_err e = rsp_sha256((const uint8_t *)x->o->confirmation_code, strlen(x->o->confirmation_code), in);
    memcpy(in + 32, x->tid, x->tid_len);
    e = e ? e : rsp_sha256(in, 32 + x->tid_len, out);
    rsp_wipe(in, sizeof(in));
    return e;
}

static rsp_err install(lpa_dl *x, const rsp_buf *bpp, rsp_buf *pir, rsp_diag *diag);
static rsp_err notify(lpa_dl *x, const rsp_buf *pir, rsp_diag *diag);

/* ac: the authenticateClient answer. */
static rsp_err prepare_and_install(lpa_dl *x, rsp_es9p_msg *ac, rsp_diag *diag)
{
    rsp_es10_metadata md;
    rsp_err e = rsp_es10_metadata_decode(ac->profile_metadata.data, ac->profile_metadata.len, &md, diag);
    if (e) {
        cancel(x, RSP_ES10_CANCEL_METADATA_MISMATCH);
        return e;
    }
    rsp_lpa_iccid_to_digits(md.iccid.p, md.iccid.len, x->res->iccid, sizeof(x->res->iccid));
    snprintf(x->res->name, sizeof(x->res->name), "%.*s", (int)md.name.len, (const char *)md.name.p);
    snprintf(x->res->spn, sizeof(x->res->spn), "%.*s", (int)md.spn.len, (const char *)md.spn.p);
    lpa_progress(x, RSP_LPA_PH_PREPARE, "profile %s \"%s\" (%s)", x->res->iccid, x->res->name, x->res->spn);
    rsp_es10_prepare_req q;
    memset(&q, 0, sizeof(q));
    rsp_tlv t;
    rsp_buf req = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    uint8_t hcc[32];
    e = rsp_tlv_parse(ac->smdp_signed2.data, ac->smdp_signed2.len, 0, &t, diag);
    q.signed2.raw = rsp_buf_view(&ac->smdp_signed2);
    /* ccRequiredFlag: the codec keeps raw; the flag is the BOOLEAN 01 inside */
    rsp_tlv flag;
    bool cc_required = !e && rsp_tlv_find(t.value, t.len, 0x01, &flag) == RSP_OK && flag.len == 1 && flag.value[0];
    if (!e && cc_required && !x->o->confirmation_code) {
        cancel(x, RSP_ES10_CANCEL_POSTPONED);
        e = rsp_diag_set(diag, RSP_ERR_DENIED, "the SM-DP+ requires a confirmation code (--confirmation-code)");
    }
    if (!e && cc_required) {
        e = confirmation_hash(x, hcc);
        q.hash_cc = rsp_bytes_of(hcc, sizeof(hcc));
    }
    e = e ? e : rsp_tlv_expect(ac->smdp_signature2.data, ac->smdp_signature2.len, 0x5F37, &t, diag);
    if (!e) {
        q.smdp_signature2 = rsp_bytes_of(t.value, t.len);
        q.cert_dppb = rsp_buf_view(&ac->smdp_certificate);
    }
    e = e ? e : rsp_es10_prepare_req_encode(&q, &req);
    e = e ? e : es10(x, &req, &ans, diag);
    rsp_es10_prepare_resp pr;
    e = e ? e : rsp_es10_prepare_resp_decode(ans.data, ans.len, &pr, diag);
    if (!e && !pr.ok)
        x->res->card_error = pr.error;
    rsp_es9p_msg m, a;
    rsp_es9p_msg_init(&m, RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, false);
    rsp_es9p_msg_init(&a, RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, true);
    if (!e) {
        snprintf(m.transaction_id, sizeof(m.transaction_id), "%s", x->res->tid);
        e = rsp_buf_set(&m.prepare_download_response, ans.data, ans.len);
        rsp_es9p_msg_free(&a);
        e = e ? e : rsp_lpa_es9_call(x->es9, &m, &a, diag);
        if (!e && x->res->card_error >= 0)
            e = rsp_diag_set(diag, RSP_ERR_VERIFY, "PrepareDownload: the card refused (error %d)", x->res->card_error);
        else if (!e && (e = server_failed(x, &a, diag)) != RSP_OK)
            cancel(x, RSP_ES10_CANCEL_UNDEFINED);
        else if (e)
            cancel(x, RSP_ES10_CANCEL_UNDEFINED);
    }
    rsp_buf pir = RSP_BUF_INIT;
    e = e ? e : install(x, &a.bound_profile_package, &pir, diag);
    e = e ? e : notify(x, &pir, diag);
    rsp_wipe(hcc, sizeof(hcc));
    rsp_es9p_msg_free(&m);
    rsp_es9p_msg_free(&a);
    rsp_buf_free(&req);
    rsp_buf_free(&ans);
    rsp_buf_free(&pir);
    return e;
}

/* After a transport failure in INSTALL: what the card holds now decides what the user may do. */
static void interrogate(lpa_dl *x)
{
    int has = card_has(x, x->res->iccid);
    if (has == 1)
        x->res->profile_on_card = true;
    if (has >= 0)
        lpa_progress(x, RSP_LPA_PH_INSTALL, "card state read: profile %s %s", x->res->iccid,
                 x->res->profile_on_card ? "is on the card" : "is not on the card");
    else
        lpa_progress(x, RSP_LPA_PH_INSTALL, "card state could not be read: ask again before any retry");
}

static rsp_err install(lpa_dl *x, const rsp_buf *bpp, rsp_buf *pir, rsp_diag *diag)
{
    enum { MAX_PIECES = 1024 };
    rsp_bytes *pieces = calloc(MAX_PIECES, sizeof(*pieces));
    size_t n = 0;
    rsp_err e = pieces ? rsp_es10_bpp_split(bpp->data, bpp->len, pieces, MAX_PIECES, &n, diag) : RSP_ERR_NOMEM;
    if (e) {
        cancel(x, RSP_ES10_CANCEL_LOAD_BPP_ERROR);
        free(pieces);
        return e;
    }
    lpa_progress(x, RSP_LPA_PH_INSTALL, "loading %zu bytes in %zu pieces", bpp->len, n);
    size_t i = 0;
    for (; !e && i < n && pir->len == 0; i++) {
        x->res->retry_safe = false;
        if (x->o->cut_after_pieces && i == x->o->cut_after_pieces) {
            const rsp_lpa_transport_ops *ops = x->c->ops;
            const char *arg = x->c->arg;
            size_t block = x->c->block;
            rsp_lpa_card_close(x->c);
            rsp_diag rd = {0};
            if (rsp_lpa_card_open(x->c, ops, arg, block, &rd) != RSP_OK)
                lpa_progress(x, RSP_LPA_PH_INSTALL, "card not back after the cut: %s", rd.msg);
            e = rsp_diag_set(diag, RSP_ERR_IO, "the card was pulled after piece %zu of %zu (test cut)", i, n);
            break;
        }
        e = rsp_lpa_es10(x->c, pieces[i].p, pieces[i].len, pir, diag);
    }
    free(pieces);
    if (e && !x->c->ops) {
        lpa_progress(x, RSP_LPA_PH_INSTALL, "card gone: its state cannot be read; ask it before any retry");
        return e;
    }
    if (e) {
        interrogate(x);
        cancel(x, RSP_ES10_CANCEL_LOAD_BPP_ERROR);
        return e;
    }
    if (pir->len == 0)
        return rsp_diag_set(diag, RSP_ERR_PROTOCOL, "the card gave no ProfileInstallationResult after the last piece");
    rsp_es10_pir r;
    e = rsp_es10_pir_decode(pir->data, pir->len, &r, diag);
    if (e)
        return e;
    x->res->pir_seq = r.meta.seq;
    x->res->installed = r.success;
    if (!r.success) {
        x->res->bpp_command_id = r.bpp_command_id;
        x->res->error_reason = r.error_reason;
        lpa_progress(x, RSP_LPA_PH_INSTALL, "card refused at piece %zu of %zu: bppCommandId %d, errorReason %d", i, n,
                 r.bpp_command_id, r.error_reason);
    } else {
        lpa_progress(x, RSP_LPA_PH_INSTALL, "installed (notification %u)", r.meta.seq);
    }
    return RSP_OK;
}

/* The PIR (success or error) to the SM-DP+, then off the card. An error PIR is still an error. */
static rsp_err notify(lpa_dl *x, const rsp_buf *pir, rsp_diag *diag)
{
    rsp_es9p_msg m, a;
    rsp_es9p_msg_init(&m, RSP_ES9P_HANDLE_NOTIFICATION, false);
    rsp_err e = rsp_buf_set(&m.pending_notification, pir->data, pir->len);
    rsp_diag nd = {0};
    e = e ? e : rsp_lpa_es9_call(x->es9, &m, &a, &nd);
    x->res->pir_sent = !e && a.header.status == RSP_ES9P_SUCCESS;
    rsp_es9p_msg_free(&m);
    rsp_es9p_msg_free(&a);
    int result = -1;
    if (x->res->pir_sent && rsp_lpa_remove_notification(x->c, x->res->pir_seq, &result, NULL) == RSP_OK && result == 0)
        lpa_progress(x, RSP_LPA_PH_NOTIFY, "result sent to the SM-DP+, notification %u removed", x->res->pir_seq);
    else
        lpa_progress(x, RSP_LPA_PH_NOTIFY, "result not delivered (%s): it stays on the card for `notification process`",
                 nd.msg[0] ? nd.msg : "refused");
    if (!x->res->installed)
        return rsp_diag_set(diag, RSP_ERR_VERIFY, "the card refused the profile: bppCommandId %d, errorReason %d",
                            x->res->bpp_command_id, x->res->error_reason);
    return RSP_OK;
}
