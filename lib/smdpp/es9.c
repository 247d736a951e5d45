/* ES9+ on the SM-DP+: the five functions with the checks and status codes of SGP22.md §ES9+
 * ("Checks the SM-DP+ makes"). One session per transactionId, durable (db.c); its state table:
 *
 *   step           call                    checks, then                                  next step
 *   -              initiateAuthentication  address, CI choice                           INITIATED
 *   INITIATED      authenticateClient      tid, chain EUM/eUICC, EID range, sig1,        AUTHENTICATED
 *                                          challenge, matchingId -> order (EID, expiry),
 *                                          identity taken
 *   AUTHENTICATED  getBoundProfilePackage  tid, sig2, confirmation code (retries);       BOUND
 *                                          the order's PPP made at its first binding
 *                                          (ppp.c), reused by every later session
 *   BOUND          handleNotification PIR  PIR signature                                 ENDED
 *   any live       cancelSession           signature, smdpOid                           ENDED
 *   (a live one)   authenticateClient of   the same EID, sig1: the old session ENDED,    (the new one's)
 *                  its order's eUICC       its order released (take_over)
 *
 * An order keeps its identity and its protected package across sessions (a re-download by its eUICC
 * gets the same profile, byte for byte); the identity is retired only when the order ends without an
 * installation. Each step's writes to smdpp.db are one transaction; the inventory (another database,
 * lib/smdp's store) is written after that commit, and only forward (allocated -> downloaded ->
 * installed | retired), so a crash between the two leaves an identity that is out of the pool for good
 * and never handed to another order.
 *
 * A call in the wrong step is refused (8.10.1/3.9 unknown, 8.2/3.7 for a second BPP) and changes
 * nothing; every refusal of bad input happens before any write. Decisions are committed before the
 * answer is built, so an answer never promises what a crash could undo. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rsp/log.h"
#include "rsp/tlv.h"
#include "smdpp_int.h"

/* Subject/reason codes of the SM-DP+ alone (SGP22.md's table); the shared ones are in smdpp_int.h. */
#define SC_EID_MISMATCH "8.1.1", "3.8"
#define SC_BPP_AGAIN "8.2", "3.7"
#define SC_NOT_RELEASED "8.2", "1.2"
#define SC_NO_PROFILE "8.2.5", "4.3"
#define SC_MATCHING_ID "8.2.6", "3.8"
#define SC_CC_MISSING "8.2.7", "2.2"
#define SC_CC_WRONG "8.2.7", "3.8"
#define SC_CC_EXHAUSTED "8.2.7", "6.4"
#define SC_EXPIRED "8.8.5", "4.1"
#define SC_OID "8.8", "3.10"

typedef struct call {
    rsp_smdpp *s;
    rsp_es9p_msg req, ans;
    smdpp_session ss;
    rsp_smdpp_order o;
    rsp_smdpp_order report;   /* the order as the step found it (iccid before a release clears it) */
    rsp_eckey *key;           /* authenticateClient: CERT.EUICC's key until the cache takes it (owned) */
    rsp_diag d;
} call;

static void fail(call *c, const char *subject, const char *reason, const char *why)
{
    rsp_es9p_set_failed(&c->ans, subject, reason, why);
    RSP_LOGI(RSP_SS_SMDP, "es9+ refused", "function=%s code=%s/%s why=\"%s\"", rsp_es9p_func_name(c->req.func),
             subject, reason, why);
}

/* The session of a request's transactionId, in one of the steps allowed (bit mask of 1 << step). */
static bool load_session(call *c, unsigned steps)
{
    if (rsp_smdpp__sess_get(c->s, c->req.transaction_id, &c->ss) != RSP_OK) {
        fail(c, SC_TID, "transactionId unknown");
        return false;
    }
    if (!(steps & (1u << c->ss.step))) {
        if (c->ss.step == SESS_BOUND && c->req.func == RSP_ES9P_GET_BOUND_PROFILE_PACKAGE)
            fail(c, SC_BPP_AGAIN, "the BPP of this session was already delivered");
        else
            fail(c, SC_TID, "transactionId not in a step for this call");
        return false;
    }
    return true;
}

static bool tid_equal(const call *c, rsp_bytes tid)
{
    uint8_t mine[16];
    size_t n;
    return rsp_es9p_tid_from_hex(c->ss.tid, mine, &n, NULL) == RSP_OK && tid.len == n && !memcmp(mine, tid.p, n);
}

/* ---- initiateAuthentication ---- */
/* The mutual-authentication configuration of this SM-DP+ (CERT.DPauth, its two addresses). */
static void auth_cfg(rsp_smdpp *s, rsp_smdpp_auth_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->address = s->address;
    cfg->address2 = s->public_address;
    cfg->sk = s->sk_auth;
    cfg->cert = rsp_buf_view(&s->cert_auth);
    cfg->info = &s->auth_info;
    cfg->ci = rsp_buf_view(&s->ci);
    cfg->anchors = s->anchors;
}

static void fail_with(call *c, const rsp_es9p_header *h)
{
    fail(c, h->subject_code, h->reason_code, h->message);
}

static void initiate(call *c)
{
    rsp_smdpp *s = c->s;
    rsp_smdpp_auth_cfg cfg;
    auth_cfg(s, &cfg);
    rsp_smdpp_auth_session as;
    rsp_es9p_header h;
    if (rsp_smdpp_auth_initiate(&cfg, &c->req, &as, &c->ans, &h) != RSP_OK)
        return fail_with(c, &h);
    smdpp_session *ss = &c->ss;
    memset(ss->smdp_sig2, 0, sizeof(ss->smdp_sig2));
    snprintf(ss->tid, sizeof(ss->tid), "%s", as.tid);
    memcpy(ss->euicc_challenge, as.euicc_challenge, 16);
    memcpy(ss->server_challenge, as.server_challenge, 16);
    ss->step = SESS_INITIATED;
    ss->ci_index = 0;
    ss->updated = rsp_smdpp__now(s);
    /* light: a session lost by a power failure is an unknown transactionId at the next call */
    if (rsp_smdpp__begin_light(s) || rsp_smdpp__sess_put(s, ss) || rsp_smdpp__commit_light(s)) {
        rsp_smdpp__rollback(s);
        rsp_es9p_msg_free(&c->ans);
        return fail(c, SC_INTERNAL, "store");
    }
}

/* Re-download after a lost session (issues 13/14): a card cut mid-installation forgets its session and
 * cannot sign a cancelSession for it, so its order would stay DOWNLOADING/BOUND until the idle limit
 * of the next start. The same eUICC, just authenticated (euiccSignature1 over a fresh serverChallenge),
 * asking again for its own order ends the old session as a cancelSession would: the order released
 * (identity and protected package kept), then bound afresh. Another eUICC still gets 8.2.6/3.8.
 * False: refused (answer set). */
static bool take_over(call *c, const char *eid)
{
    rsp_smdpp *s = c->s;
    rsp_smdpp_order *o = &c->o;
    if ((o->state != RSP_SMDPP_ORDER_DOWNLOADING && o->state != RSP_SMDPP_ORDER_BOUND) || !o->tid[0] ||
        strcmp(o->eid, eid) != 0)
        return true;
    int64_t now = rsp_smdpp__now(s);
    smdpp_session old;
    memset(&old, 0, sizeof(old));
    bool have_old = rsp_smdpp__sess_get(s, o->tid, &old) == RSP_OK;
    rsp_buf_free(&old.cert_euicc);
    old.step = SESS_ENDED;
    old.updated = now;
    c->report = *o;
    /* the identity and its protected package stay with the order: the new session binds the same */
    o->state = RSP_SMDPP_ORDER_RELEASED;
    o->tid[0] = '\0';
    o->updated = now;
    if (rsp_smdpp__begin(s) || (have_old && rsp_smdpp__sess_put(s, &old)) || rsp_smdpp__order_put(s, o) ||
        rsp_smdpp__commit(s)) {
        rsp_smdpp__rollback(s);
        fail(c, SC_INTERNAL, "store");
        return false;
    }
    rsp_smdpp__progress(s, &c->report, POINT_CANCELLED, false, "8.1", "127");
    RSP_LOGN(RSP_SS_SMDP, "es9+ session replaced", "old_tid=%s new_tid=%s eid=%s", c->report.tid, c->ss.tid, eid);
    return true;
}

static void cert_cache_put(rsp_smdpp *s, const uint8_t *der, size_t len, const rsp_pki22_info *info, rsp_eckey *key);

static void authenticate(call *c)
{
    rsp_smdpp *s = c->s;
    if (!load_session(c, 1u << SESS_INITIATED))
        return;
    rsp_smdpp_auth_cfg cfg;
    auth_cfg(s, &cfg);
    rsp_smdpp_auth_session as;
    memset(&as, 0, sizeof(as));
    snprintf(as.tid, sizeof(as.tid), "%s", c->ss.tid);
    memcpy(as.euicc_challenge, c->ss.euicc_challenge, 16);
    memcpy(as.server_challenge, c->ss.server_challenge, 16);
    rsp_es10_auth_server_resp r;
    rsp_pki22_info euicc;
    rsp_es9p_header h;
    if (rsp_smdpp__auth_client(&cfg, &as, &c->req, &r, &euicc, &c->key, &h) != RSP_OK)
        return fail_with(c, &h);
    char mid[65];
    if (!rsp_smdpp_auth_matching_id(r.signed1.ctx_params1, mid, sizeof(mid)) || !mid[0])
        return fail(c, SC_MATCHING_ID, "no usable matchingId");
    rsp_smdpp_order *o = &c->o;
    if (rsp_smdpp_order_get(s, mid, o) != RSP_OK)
        return fail(c, SC_MATCHING_ID, "matchingId refused");
    if (!take_over(c, euicc.eid))
        return;
    if (o->state == RSP_SMDPP_ORDER_CONFIRMED)
        return fail(c, SC_NOT_RELEASED, "the profile is not released");
    if (o->state != RSP_SMDPP_ORDER_RELEASED)
        return fail(c, SC_MATCHING_ID, "matchingId refused");
    if (o->eid[0] && strcmp(o->eid, euicc.eid) != 0)
        return fail(c, SC_EID_MISMATCH, "the order is for another eUICC");
    int64_t now = rsp_smdpp__now(s);
    if (o->expires && now >= o->expires) {
        (void)rsp_smdpp__order_end(s, o, RSP_SMDPP_ORDER_EXPIRED, NULL, false, now); /* failed: at the next call */
        return fail(c, SC_EXPIRED, "the order expired");
    }
    if (o->cc && o->cc_left == 0)
        return fail(c, SC_CC_EXHAUSTED, "confirmation code retries exhausted");
    /* the identity: taken once per order (kept across re-downloads of the same eUICC) */
    if (!o->iccid[0]) {
        rsp_smdp_taken t;
        memset(&t, 0, sizeof(t));
        rsp_err e = rsp_smdp_take(s->inv, o->op, o->type, euicc.eid, now, &t, &c->d);
        if (e != RSP_OK)
            return fail(c, SC_NO_PROFILE, e == RSP_ERR_END ? "no identity left in the pool" : "no eligible profile");
        snprintf(o->iccid, sizeof(o->iccid), "%s", t.id.iccid);
        rsp_smdp_taken_clear(&t);
    }
    snprintf(o->eid, sizeof(o->eid), "%s", euicc.eid);
    rsp_es9p_msg *a = &c->ans;
    rsp_es10_smdp_signed2 s2;
    memset(&s2, 0, sizeof(s2));
    uint8_t tid[16];
    size_t tid_len;
    rsp_es9p_tid_from_hex(c->ss.tid, tid, &tid_len, NULL);
    s2.transaction_id = rsp_bytes_of(tid, tid_len);
    s2.cc_required = o->cc;
    rsp_buf sd = RSP_BUF_INIT;
    uint8_t sig2[64];
    rsp_err e = rsp_smdpp__metadata(s, o, &a->profile_metadata);
    if (!e)
        e = rsp_es10_smdp_signed2_encode(&s2, &a->smdp_signed2);
    /* smdpSignature2 covers smdpSigned2 || 5F37 40 euiccSignature1 */
    if (!e && !(e = rsp_buf_append(&sd, a->smdp_signed2.data, a->smdp_signed2.len)))
        e = rsp_tlv_put(&sd, 0x5F37, r.euicc_signature1.p, r.euicc_signature1.len);
    if (!e)
        e = rsp_ecdsa_sign(s->sk_pb, sd.data, sd.len, sig2);
    if (!e)
        e = rsp_tlv_put(&a->smdp_signature2, 0x5F37, sig2, 64);
    if (!e)
        e = rsp_buf_set(&a->smdp_certificate, s->cert_pb.data, s->cert_pb.len);
    rsp_buf_free(&sd);
    if (e)
        return fail(c, SC_INTERNAL, "cannot build the answer");
    c->ss.step = SESS_AUTHENTICATED;
    snprintf(c->ss.eid, sizeof(c->ss.eid), "%s", euicc.eid);
    snprintf(c->ss.matching_id, sizeof(c->ss.matching_id), "%s", mid);
    memcpy(c->ss.smdp_sig2, sig2, 64);
    c->ss.updated = now;
    o->state = RSP_SMDPP_ORDER_DOWNLOADING;
    snprintf(o->tid, sizeof(o->tid), "%s", c->ss.tid);
    o->updated = now;
    /* light: lost by a power failure, the session is back at INITIATED (getBoundProfilePackage then
     * refused 8.10.1/3.9) and the order released without its ICCID; the identity stays taken in the
     * inventory (a FULL commit there), so it is never handed out twice. A session is never stored
     * without the certificate its next steps verify with. */
    if (rsp_buf_set(&c->ss.cert_euicc, r.cert_euicc.p, r.cert_euicc.len) || rsp_smdpp__begin_light(s) ||
        rsp_smdpp__sess_put(s, &c->ss) || rsp_smdpp__order_put(s, o) || rsp_smdpp__commit_light(s)) {
        rsp_smdpp__rollback(s);
        return fail(c, SC_INTERNAL, "store");
    }
    snprintf(a->transaction_id, sizeof(a->transaction_id), "%s", c->ss.tid);
    cert_cache_put(s, r.cert_euicc.p, r.cert_euicc.len, &euicc, c->key);
    c->key = NULL; /* the cache's */
    rsp_smdpp__progress(s, o, POINT_ELIGIBILITY, true, NULL, NULL);
}

/* An order whose session ended without an installation: downloadable again by the same eUICC (the
 * order holds its EID since authenticateClient), with the same identity and protected package (an
 * installation that failed or was cancelled left nothing of it on the card, SGP.22). One write, in
 * the caller's transaction (the session's end): false when it failed. */
static bool order_release(call *c)
{
    rsp_smdpp_order *o = &c->o;
    if (rsp_smdpp_order_get(c->s, c->ss.matching_id, o) != RSP_OK || strcmp(o->tid, c->ss.tid) != 0)
        return true; /* the order moved on (cancelled by ES2+, taken over): nothing of this session's */
    c->report = *o;
    if (o->state == RSP_SMDPP_ORDER_DOWNLOADING || o->state == RSP_SMDPP_ORDER_BOUND)
        o->state = RSP_SMDPP_ORDER_RELEASED;
    o->tid[0] = '\0';
    o->updated = rsp_smdpp__now(c->s);
    return rsp_smdpp__order_put(c->s, o) == RSP_OK;
}

/* The eUICC certificate cache (smdpp_int.h): what rsp_pki22_inspect gives for these bytes, which
 * authenticateClient's chain check gave already (the same decoding: pki22_check.c fill_info), and its
 * public key (key: taken over, may be NULL: built at the first verification). */
static void cert_cache_put(rsp_smdpp *s, const uint8_t *der, size_t len, const rsp_pki22_info *info, rsp_eckey *key)
{
    size_t k = s->cert_next++ % SMDPP_CERT_CACHE;
    rsp_ec_free(s->cert_cache[k].key);
    s->cert_cache[k].key = NULL;
    if (rsp_buf_set(&s->cert_cache[k].der, der, len) == RSP_OK) {
        s->cert_cache[k].info = *info;
        s->cert_cache[k].key = key;
    } else {
        rsp_buf_reset(&s->cert_cache[k].der); /* never a slot whose bytes and info disagree */
        rsp_ec_free(key);
    }
}

/* Whether sig (64 bytes r||s) over p verifies with the public key of the session's eUICC
 * certificate, decoded and its key built once per session: from the cache when these bytes were
 * seen before (authenticateClient puts them there), else decoded now (a session from before a
 * restart) and cached. Only decoding is saved: the signature is checked on every call. */
static bool session_verify(call *c, const uint8_t *p, size_t n, rsp_bytes sig)
{
    rsp_smdpp *s = c->s;
    const rsp_buf *der = &c->ss.cert_euicc;
    size_t i = 0;
    for (; i < SMDPP_CERT_CACHE; i++)
        if (der->len && s->cert_cache[i].der.len == der->len &&
            !memcmp(s->cert_cache[i].der.data, der->data, der->len))
            break;
    if (i == SMDPP_CERT_CACHE) {
        rsp_pki22_info info;
        if (!der->len || rsp_pki22_inspect(der->data, der->len, &info, NULL) != RSP_OK)
            return false;
        i = s->cert_next % SMDPP_CERT_CACHE;
        cert_cache_put(s, der->data, der->len, &info, NULL);
        if (s->cert_cache[i].der.len != der->len)
            return false; /* could not be kept: out of memory */
    }
    const rsp_pki22_info *info = &s->cert_cache[i].info;
    if (!s->cert_cache[i].key &&
        rsp_ec_from_public(info->curve, info->pub, sizeof(info->pub), &s->cert_cache[i].key) != RSP_OK)
        return false;
    return sig.len == 64 && rsp_ecdsa_verify(s->cert_cache[i].key, p, n, sig.p, sig.len) == RSP_OK;
}

/* ---- getBoundProfilePackage ---- */
/* The order's identity leaves in a BPP: allocated -> downloaded at its first binding; a re-download
 * finds it downloaded already. False when it is in neither (retired meanwhile: never sent). */
static bool identity_out(rsp_smdpp *s, const char *iccid, int64_t now)
{
    if (rsp_smdp_mark(s->inv, iccid, RSP_SMDP_ALLOCATED, RSP_SMDP_DOWNLOADED, now) == RSP_OK)
        return true;
    rsp_smdp_state st;
    return rsp_smdp_state_of(s->inv, iccid, &st) == RSP_OK && st == RSP_SMDP_DOWNLOADED;
}

static void get_bpp(call *c)
{
    rsp_smdpp *s = c->s;
    if (!load_session(c, 1u << SESS_AUTHENTICATED))
        return;
    rsp_es10_prepare_resp r;
    if (rsp_es10_prepare_resp_decode(c->req.prepare_download_response.data, c->req.prepare_download_response.len,
                                     &r, &c->d) != RSP_OK)
        return fail(c, SC_MALFORMED, "prepareDownloadResponse is not PrepareDownloadResponse");
    if (!r.ok)
        return fail(c, SC_SIGNATURE, "the eUICC refused PrepareDownload");
    if (!tid_equal(c, r.transaction_id))
        return fail(c, SC_TID, "euiccSigned2 names another transaction");
    rsp_buf sd = RSP_BUF_INIT;
    bool ok = !rsp_buf_append(&sd, r.signed2_raw.p, r.signed2_raw.len) && !rsp_tlv_put(&sd, 0x5F37, c->ss.smdp_sig2, 64) &&
              session_verify(c, sd.data, sd.len, r.euicc_signature2);
    rsp_buf_free(&sd);
    if (!ok)
        return fail(c, SC_SIGNATURE, "euiccSignature2 does not verify");
    rsp_smdpp_order *o = &c->o;
    if (rsp_smdpp_order_get(s, c->ss.matching_id, o) != RSP_OK || strcmp(o->tid, c->ss.tid) != 0 ||
        o->state != RSP_SMDPP_ORDER_DOWNLOADING)
        return fail(c, SC_MATCHING_ID, "the order is no longer downloadable");
    int64_t now = rsp_smdpp__now(s);
    if (o->cc) {
        if (r.hash_cc.len == 0)
            return fail(c, SC_CC_MISSING, "confirmation code required");
        uint8_t in[32 + 16], want[32], tid[16];
        size_t tid_len;
        rsp_es9p_tid_from_hex(c->ss.tid, tid, &tid_len, NULL);
        memcpy(in, o->cc_hash, 32);
        memcpy(in + 32, tid, tid_len);
        rsp_sha256(in, 32 + tid_len, want);
        if (r.hash_cc.len != 32 || !rsp_ct_equal(want, r.hash_cc.p, 32)) {
            /* the try counts, durably, before the refusal leaves */
            o->cc_left = o->cc_left ? o->cc_left - 1 : 0;
            o->updated = now;
            if (o->cc_left == 0) {
                c->ss.step = SESS_ENDED;
                if (rsp_smdpp__order_end(s, o, RSP_SMDPP_ORDER_FAILED, &c->ss, false, now) != RSP_OK)
                    return fail(c, SC_INTERNAL, "store");
                rsp_smdpp__progress(s, o, POINT_CONFIRMATION, false, SC_CC_EXHAUSTED);
                return fail(c, SC_CC_EXHAUSTED, "confirmation code retries exhausted");
            }
            if (rsp_smdpp__order_put(s, o) != RSP_OK)
                return fail(c, SC_INTERNAL, "store");
            rsp_smdpp__progress(s, o, POINT_CONFIRMATION, false, SC_CC_WRONG);
            return fail(c, SC_CC_WRONG, "confirmation code refused");
        }
    }
    /* the order's protected package: made at its first binding, the same one for every later session */
    smdpp_ppp ppp;
    rsp_err e = rsp_smdpp__ppp_get(s, o, &ppp, &c->d);
    bool made = e == RSP_ERR_NOT_FOUND;
    if (made) {
        rsp_smdp_taken t;
        memset(&t, 0, sizeof(t));
        e = rsp_smdp_retake(s->inv, o->iccid, &t, &c->d);
        if (e != RSP_OK)
            return fail(c, SC_NO_PROFILE, "the order's identity cannot be personalised");
        e = rsp_smdpp__ppp_make(t.package.data, t.package.len, &ppp);
        rsp_smdp_taken_clear(&t);
    }
    if (e) {
        RSP_LOGE(RSP_SS_SMDP, "es9+ protected package", "matching_id=%s err=%s why=\"%s\"", o->matching_id,
                 rsp_err_name(e), c->d.msg);
        return fail(c, SC_INTERNAL, "the protected profile package is unusable");
    }
    e = rsp_smdpp__bind(s, &c->ss, o, r.euicc_otpk, &ppp, &c->ans.bound_profile_package, &c->d);
    if (e) {
        rsp_smdpp__ppp_wipe(&ppp);
        return e == RSP_ERR_FORMAT ? fail(c, SC_MALFORMED, "otPK.EUICC unusable") : fail(c, SC_INTERNAL, "binding failed");
    }
    /* the identity is marked out of the pool (inventory: downloaded) before anything says so, so no
     * crash can leave a BPP out with its identity still returnable to the pool by a CancelOrder */
    if (!identity_out(s, o->iccid, now)) {
        rsp_smdpp__ppp_wipe(&ppp);
        rsp_buf_free(&c->ans.bound_profile_package);
        return fail(c, SC_NO_PROFILE, "the order's identity is no longer usable");
    }
    c->ss.step = SESS_BOUND;
    c->ss.updated = now;
    o->state = RSP_SMDPP_ORDER_BOUND;
    o->updated = now;
    /* the PPP is durable before any BPP made with it leaves */
    if (rsp_smdpp__begin(s) || (made && rsp_smdpp__ppp_put(s, o, &ppp)) || rsp_smdpp__sess_put(s, &c->ss) ||
        rsp_smdpp__order_put(s, o) || rsp_smdpp__commit(s)) {
        rsp_smdpp__rollback(s);
        rsp_smdpp__ppp_wipe(&ppp);
        rsp_buf_free(&c->ans.bound_profile_package);
        return fail(c, SC_INTERNAL, "store");
    }
    rsp_smdpp__ppp_wipe(&ppp);
    snprintf(c->ans.transaction_id, sizeof(c->ans.transaction_id), "%s", c->ss.tid);
    rsp_smdpp__progress(s, o, POINT_BPP_DOWNLOAD, true, NULL, NULL);
}

/* ---- handleNotification ---- */
static void notification(call *c)
{
    rsp_smdpp *s = c->s;
    rsp_es10_pending p;
    if (rsp_es10_pending_decode(c->req.pending_notification.data, c->req.pending_notification.len, &p, &c->d) !=
        RSP_OK)
        return fail(c, SC_MALFORMED, "pendingNotification is not a PendingNotification");
    if (!p.is_pir) {
        /* enable/disable/delete: signed by the eUICC whose chain comes with it */
        rsp_pki22_info euicc;
        rsp_pki22_fault f;
        if (rsp_pki22_verify_with(s->anchors, p.cert_euicc.p, p.cert_euicc.len, RSP_PKI22_EUICC, p.cert_eum.p,
                                  p.cert_eum.len, 0, &euicc, NULL, NULL, &f, &c->d) != RSP_OK)
            return fail(c, SC_EUICC_CERT, "the notification's certificates do not verify");
        if (!rsp_smdpp__verify_sig(&euicc, p.meta.raw.p, p.meta.raw.len, p.signature, NULL))
            return fail(c, SC_SIGNATURE, "euiccNotificationSignature does not verify");
        RSP_LOGN(RSP_SS_SMDP, "es9+ notification", "eid=%s seq=%u events=%u", euicc.eid, p.meta.seq, p.meta.events);
        return;
    }
    char tid[RSP_ES9P_MAX_TID_HEX + 1];
    if (rsp_es9p_tid_to_hex(p.pir.transaction_id.p, p.pir.transaction_id.len, tid) != RSP_OK)
        return fail(c, SC_TID, "PIR transactionId unusable");
    snprintf(c->req.transaction_id, sizeof(c->req.transaction_id), "%s", tid);
    if (!load_session(c, 1u << SESS_BOUND))
        return;
    if (!session_verify(c, p.pir.data_raw.p, p.pir.data_raw.len, p.pir.signature))
        return fail(c, SC_SIGNATURE, "euiccSignPIR does not verify");
    int64_t now = rsp_smdpp__now(s);
    c->ss.step = SESS_ENDED;
    c->ss.updated = now;
    if (rsp_smdpp__begin(s) || rsp_smdpp__sess_put(s, &c->ss))
        goto store_fail;
    if (p.pir.success) {
        rsp_smdpp_order *o = &c->o;
        if (rsp_smdpp_order_get(s, c->ss.matching_id, o) == RSP_OK && strcmp(o->tid, c->ss.tid) == 0) {
            c->report = *o;
            o->state = RSP_SMDPP_ORDER_INSTALLED;
            o->updated = now;
            /* the package is on the card: its protected copy is of no more use */
            if (rsp_smdpp__order_put(s, o) || rsp_smdpp__ppp_drop(s, o->matching_id))
                goto store_fail;
        }
    } else if (!order_release(c)) {
        goto store_fail;
    }
    if (rsp_smdpp__commit(s))
        goto store_fail;
    if (p.pir.success && c->o.iccid[0])
        (void)rsp_smdp_mark(s->inv, c->o.iccid, RSP_SMDP_DOWNLOADED, RSP_SMDP_INSTALLED, now);
    if (p.pir.success && c->o.state == RSP_SMDPP_ORDER_INSTALLED)
        rsp_smdpp__smds_sync(s, &c->o);
    rsp_smdpp__progress(s, &c->report, POINT_BPP_INSTALL, p.pir.success, p.pir.success ? NULL : "8.1",
                        p.pir.success ? NULL : "127");
    RSP_LOGN(RSP_SS_SMDP, "es9+ installation result", "tid=%s eid=%s result=%s", c->ss.tid, c->ss.eid,
             p.pir.success ? "success" : "error");
    return;
store_fail:
    rsp_smdpp__rollback(s);
    fail(c, SC_INTERNAL, "store");
}

/* ---- cancelSession ---- */
static void cancel(call *c)
{
    rsp_smdpp *s = c->s;
    if (!load_session(c, 1u << SESS_INITIATED | 1u << SESS_AUTHENTICATED | 1u << SESS_BOUND))
        return;
    rsp_es10_cancel_resp r;
    if (rsp_es10_cancel_resp_decode(c->req.cancel_session_response.data, c->req.cancel_session_response.len, &r,
                                    &c->d) != RSP_OK)
        return fail(c, SC_MALFORMED, "cancelSessionResponse is not CancelSessionResponse");
    if (!r.ok)
        return fail(c, SC_TID, "the eUICC refused the cancellation");
    if (!tid_equal(c, r.transaction_id))
        return fail(c, SC_TID, "euiccCancelSessionSigned names another transaction");
    /* before authenticateClient the session knows no eUICC certificate: nothing to verify with */
    if (c->ss.step >= SESS_AUTHENTICATED && !session_verify(c, r.signed_raw.p, r.signed_raw.len, r.signature))
        return fail(c, SC_SIGNATURE, "euiccCancelSessionSignature does not verify");
    if (r.smdp_oid.len != s->auth_info.rid_der_len || memcmp(r.smdp_oid.p, s->auth_info.rid_der, r.smdp_oid.len))
        return fail(c, SC_OID, "smdpOid is not ours");
    c->ss.step = SESS_ENDED;
    c->ss.updated = rsp_smdpp__now(s);
    if (rsp_smdpp__begin(s) || rsp_smdpp__sess_put(s, &c->ss) || !order_release(c) || rsp_smdpp__commit(s)) {
        rsp_smdpp__rollback(s);
        return fail(c, SC_INTERNAL, "store");
    }
    rsp_smdpp__progress(s, &c->report, POINT_CANCELLED, false, "8.1", "127");
    RSP_LOGN(RSP_SS_SMDP, "es9+ session cancelled", "tid=%s reason=%d", c->ss.tid, r.reason);
}

void rsp_smdpp_es9(rsp_smdpp *s, rsp_es9p_func f, const uint8_t *body, size_t len, int *status, rsp_buf *out)
{
    call c;
    memset(&c, 0, sizeof(c));
    c.s = s;
    rsp_es9p_msg_init(&c.ans, f, true);
    *status = 200;
    if (rsp_es9p_decode(f, false, body, len, &c.req, &c.d) != RSP_OK) {
        fail(&c, SC_MALFORMED, c.d.msg);
    } else {
        switch (f) {
        case RSP_ES9P_INITIATE_AUTHENTICATION: initiate(&c); break;
        case RSP_ES9P_AUTHENTICATE_CLIENT: authenticate(&c); break;
        case RSP_ES9P_GET_BOUND_PROFILE_PACKAGE: get_bpp(&c); break;
        case RSP_ES9P_HANDLE_NOTIFICATION: notification(&c); break;
        case RSP_ES9P_CANCEL_SESSION: cancel(&c); break;
        default: fail(&c, SC_MALFORMED, "function"); break;
        }
    }
    bool failed = c.ans.header.status == RSP_ES9P_FAILED;
    if (f < RSP_ES9P_FUNC_N)
        s->calls[f][failed]++;
    if (rsp_es9p_encode(&c.ans, out, NULL) != RSP_OK) {
        rsp_buf_reset(out);
        *status = 500;
    } else if (out->len == 0) {
        *status = 204;
    }
    rsp_es9p_msg_free(&c.req);
    rsp_es9p_msg_free(&c.ans);
    rsp_buf_free(&c.ss.cert_euicc);
    rsp_ec_free(c.key);
    rsp_wipe(c.o.cc_hash, sizeof(c.o.cc_hash));
    rsp_wipe(c.report.cc_hash, sizeof(c.report.cc_hash));
}
