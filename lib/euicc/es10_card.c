/* The consumer eUICC's ES10 functions (es10.h §es10_card.c): the first ones of SGP.22's download,
 * up to PrepareDownload. One table of the session:
 *
 * | request                 | needs                                   | then                               |
 * | GetEuiccChallenge       | -                                       | new challenge; older session gone  |
 * | AuthenticateServer      | a challenge                             | session {tid, CI, OID, euiccSig1}; |
 * |                         |                                         | the challenge is used up           |
 * | PrepareDownload         | that session, same tid                  | one-time key pair, euiccSig2       |
 * | CancelSession           | that session, same tid (else code 5)    | signed answer; session gone        |
 * | GetEID, EUICCInfo1/2    | -                                       | no change                          |
 *
 * AuthenticateServer checks, in order (AuthenticateErrorCode): the CI key id is one the card knows for
 * verification and signing (ciPKUnknown 7); CERT.DPauth chains to that CI with the DPauth role and is
 * not on the CRL the card holds for it (invalidCertificate 1 / invalidOid 5 / unsupportedCurve 3); serverSignature1 over serverSigned1 as
 * received (invalidSignature 2); a challenge was given (noSessionContext 4) and is the one signed
 * (euiccChallengeMismatch 6); a request whose serverSigned1 decodes but whose rest is no
 * AuthenticateServerRequest gets undefinedError (127) for that transactionId (with no transactionId to
 * name, the transport answers 6A80). PrepareDownload (DownloadErrorCode): a session (noSessionContext 4),
 * the same transactionId (invalidTransactionId 5), CERT.DPpb to the same CI with the DPpb role and
 * the DPauth's OID (invalidCertificate 1 / unsupportedCurve 3), smdpSignature2 over smdpSigned2 ||
 * 5F37 40 euiccSignature1 (invalidSignature 2), hashCc present when required (undefinedError 127). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c22_int.h"
#include "rsp/tlv.h"


void rsp_es10_card_reset(rsp_es10_card *c)
{
    c->has_challenge = c->authenticated = c->prepared = c->cancel_only = false;
    rsp_wipe(c->challenge, sizeof(c->challenge));
    c->tid_len = 0;
    c->server_address[0] = 0;
    rsp_ec_free(c->otsk);
    c->otsk = NULL;
    c22_bpp_free(c->bpp);
    c->bpp = NULL;
}

void rsp_es10_card_free(rsp_es10_card *c)
{
    if (!c)
        return;
    rsp_es10_card_reset(c);
    c22_crl_forget(c);
    rsp_ec_free(c->sk);
    rsp_buf_free(&c->cert_euicc);
    rsp_buf_free(&c->cert_eum);
    for (size_t i = 0; i < c->n_ci; i++)
        rsp_buf_free(&c->ci[i]);
    c22_store_close(c->store);
    free(c);
}

rsp_err rsp_es10_card_new(const rsp_es10_card_config *cfg, rsp_es10_card **out, rsp_diag *diag)
{
    if (!cfg->sk_euicc || !rsp_ec_has_private(cfg->sk_euicc) || cfg->n_ci == 0 || cfg->n_ci > RSP_ES10_MAX_CI)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "a card needs SK.EUICC and 1..%d CI certificates", RSP_ES10_MAX_CI);
    rsp_es10_card *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    memcpy(c->eid, cfg->eid, 16);
    memcpy(c->svn, cfg->svn, 3);
    c->now = cfg->now;
    uint8_t d[RSP_EC_SCALAR_LEN];
    rsp_err e = c22_store_open(cfg->nvm_dir, &c->store, diag);
    e = e ? e : rsp_ec_private_scalar(cfg->sk_euicc, d);
    e = e ? e : rsp_ec_from_private(rsp_ec_curve(cfg->sk_euicc), d, &c->sk);
    rsp_wipe(d, sizeof(d));
    e = e ? e : rsp_buf_append(&c->cert_euicc, cfg->cert_euicc.p, cfg->cert_euicc.len);
    e = e ? e : rsp_buf_append(&c->cert_eum, cfg->cert_eum.p, cfg->cert_eum.len);
    for (size_t i = 0; !e && i < cfg->n_ci; i++, c->n_ci++) {
        e = rsp_buf_append(&c->ci[i], cfg->cis[i].p, cfg->cis[i].len);
        e = e ? e : rsp_pki22_inspect(c->ci[i].data, c->ci[i].len, &c->ci_info[i], diag);
        if (!e && (c->ci_info[i].role != RSP_PKI22_CI || c->ci_info[i].ski_len == 0))
            e = rsp_diag_set(diag, RSP_ERR_INVAL, "trusted certificate %zu is not a CI with a key id", i);
    }
    /* The card's own chain must hold, and names the CI it signs for (the EUM's AKI). */
    rsp_pki22_info eum;
    rsp_bytes cis[RSP_ES10_MAX_CI];
    for (size_t i = 0; i < c->n_ci; i++)
        cis[i] = rsp_buf_view(&c->ci[i]);
    e = e ? e : rsp_pki22_verify(c->cert_euicc.data, c->cert_euicc.len, RSP_PKI22_EUICC, c->cert_eum.data,
                                 c->cert_eum.len, cis, c->n_ci, c->now, NULL, NULL, NULL, diag);
    e = e ? e : rsp_pki22_inspect(c->cert_eum.data, c->cert_eum.len, &eum, diag);
    if (!e) {
        memcpy(c->eum_aki, eum.aki, eum.aki_len);
        c->eum_aki_len = eum.aki_len;
        *out = c;
        return RSP_OK;
    }
    rsp_es10_card_free(c);
    return e;
}

static rsp_err info1(const rsp_es10_card *c, rsp_buf *out)
{
    rsp_es10_info1 i = {.svn = {c->svn[0], c->svn[1], c->svn[2]}};
    for (size_t k = 0; k < c->n_ci; k++)
        i.verification.ski[k] = i.signing.ski[k] = rsp_bytes_of(c->ci_info[k].ski, c->ci_info[k].ski_len);
    i.verification.n = i.signing.n = c->n_ci;
    return rsp_es10_info1_encode(&i, out);
}

/* EUICCInfo2 of the simulator: docs/ENCODINGS.md §"SGP.22 PKI and ES10" lists the values; the
 * extCardResource counts the installed profiles and the NVM they leave free. */
static rsp_err info2(const rsp_es10_card *c, rsp_buf *out)
{
    uint8_t ecr[] = {0x81, 0x01, 0x00, 0x82, 0x04, 0x00, 0x10, 0x00, 0x00, 0x83, 0x02, 0x20, 0x00};
    c22_profile *p = NULL;
    size_t n = 0, used = 0;
    rsp_err e = c22_profiles(c->store, &p, &n);
    if (e)
        return e;
    for (size_t k = 0; k < n; k++)
        used += p[k].pkg_len;
    c22_profiles_free(p, n);
    ecr[2] = (uint8_t)n;
    rsp_put_be32(ecr + 5, (uint32_t)(used < C22_NVM_BYTES ? C22_NVM_BYTES - used : 0));
    static const uint8_t uicc_cap[] = {0x00};
    static const uint8_t rsp_cap[] = {0x04, 0x90}; /* additionalProfile(0), testProfileSupport(3) */
    rsp_es10_info2 i = {.profile_version = {2, 3, 1}, .svn = {c->svn[0], c->svn[1], c->svn[2]},
                        .firmware_version = {0, 1, 0}, .ext_card_resource = rsp_bytes_of(ecr, sizeof(ecr)),
                        .uicc_capability = rsp_bytes_of(uicc_cap, 1), .rsp_capability = rsp_bytes_of(rsp_cap, 2),
                        .euicc_category = -1, .pp_version = {0, 0, 1},
                        .sas_accreditation = rsp_bytes_of((const uint8_t *)"OPENRSP-SIM", 11)};
    for (size_t k = 0; k < c->n_ci; k++)
        i.verification.ski[k] = i.signing.ski[k] = rsp_bytes_of(c->ci_info[k].ski, c->ci_info[k].ski_len);
    i.verification.n = i.signing.n = c->n_ci;
    return rsp_es10_info2_encode(&i, out);
}

static int ci_by_ski(const rsp_es10_card *c, rsp_bytes ski)
{
    for (size_t k = 0; k < c->n_ci; k++)
        if (c->ci_info[k].ski_len == ski.len && !memcmp(c->ci_info[k].ski, ski.p, ski.len))
            return (int)k;
    return -1;
}

static int cert_code(rsp_pki22_fault f)
{
    switch (f) {
    case RSP_PKI22_BAD_ROLE: return RSP_ES10_AUTH_INVALID_OID;
    case RSP_PKI22_BAD_CURVE: return RSP_ES10_AUTH_UNSUPPORTED_CURVE;
    case RSP_PKI22_CI_UNKNOWN: return RSP_ES10_AUTH_CI_PK_UNKNOWN;
    default: return RSP_ES10_AUTH_INVALID_CERTIFICATE;
    }
}

/* Verifies cert (role) to CI k and sig over msg with its key. 0 or an AuthenticateErrorCode. */
static int check_server(rsp_es10_card *c, size_t k, rsp_bytes cert, rsp_pki22_role role, const uint8_t *msg,
                        size_t len, rsp_bytes sig, rsp_pki22_info *info)
{
    rsp_bytes ci[1] = {rsp_buf_view(&c->ci[k])};
    rsp_pki22_fault f = RSP_PKI22_BAD_CERT;
    rsp_err e = rsp_pki22_verify(cert.p, cert.len, role, NULL, 0, ci, 1, c->now, info, NULL, &f, NULL);
    if (e)
        return cert_code(e == RSP_ERR_VERIFY ? f : RSP_PKI22_BAD_CERT);
    if (c22_revoked(c, k, cert))
        return RSP_ES10_AUTH_INVALID_CERTIFICATE; /* on the CI's CRL the card holds */
    rsp_eckey *pk = NULL;
    e = rsp_ec_from_public(info->curve, info->pub, sizeof(info->pub), &pk);
    e = e ? e : rsp_ecdsa_verify(pk, msg, len, sig.p, sig.len);
    rsp_ec_free(pk);
    return e ? RSP_ES10_AUTH_INVALID_SIGNATURE : 0;
}

static rsp_err auth_error(rsp_bytes tid, int code, rsp_buf *out)
{
    rsp_es10_auth_server_resp r = {.ok = false, .transaction_id = tid, .error = code};
    return rsp_es10_auth_server_resp_encode(&r, out);
}

/* The serverSigned1 a request opens with, when that much of it is sound: BF38 whose first element is a
 * ServerSigned1 that decodes. */
static bool signed1_of(const uint8_t *req, size_t len, rsp_es10_server_signed1 *s1)
{
    rsp_tlv t, c;
    rsp_tlv_reader r;
    if (rsp_tlv_parse(req, len, RSP_TLV_DER, &t, NULL) != RSP_OK || t.tag != RSP_ES10_AUTHENTICATE_SERVER)
        return false;
    rsp_tlv_reader_init(&r, t.value, t.len, RSP_TLV_DER);
    return rsp_tlv_next(&r, &c) == RSP_OK && c.tag == 0x30 &&
           rsp_es10_server_signed1_decode(c.raw, c.raw_len, s1, NULL) == RSP_OK;
}

static rsp_err authenticate_server(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *out)
{
    rsp_es10_auth_server_req r;
    rsp_es10_server_signed1 head;
    rsp_err e = rsp_es10_auth_server_req_decode(req, len, &r, NULL);
    if (e && !signed1_of(req, len, &head))
        return e; /* no transactionId to answer with: the transport says 6A80 */
    if (e) {
        /* The rest is not an AuthenticateServerRequest (a ctxParams1 that is not a CtxParams1, a missing
         * certificate...): "any other error", undefinedError (127) for that transactionId, and the
         * challenge is used up as for any other refusal. */
        c->authenticated = c->prepared = c->has_challenge = false;
        return auth_error(head.transaction_id, RSP_ES10_AUTH_UNDEFINED, out);
    }
    bool had_challenge = c->has_challenge;
    c->authenticated = c->prepared = false;
    c->has_challenge = false; /* one AuthenticateServer per challenge, whatever its outcome */
    rsp_bytes tid = r.signed1.transaction_id;
    int k = ci_by_ski(c, r.ci_pkid);
    if (k < 0 || c->eum_aki_len != r.ci_pkid.len || memcmp(c->eum_aki, r.ci_pkid.p, r.ci_pkid.len))
        return auth_error(tid, RSP_ES10_AUTH_CI_PK_UNKNOWN, out);
    rsp_pki22_info dp;
    int code = check_server(c, (size_t)k, r.server_certificate, RSP_PKI22_DPAUTH, r.signed1.raw.p, r.signed1.raw.len,
                            r.server_signature1, &dp);
    if (code == RSP_ES10_AUTH_INVALID_OID) /* an SM-DS (ES11) signs with CERT.DSauth (SGP22.md: DPauth or DSauth) */
        code = check_server(c, (size_t)k, r.server_certificate, RSP_PKI22_DSAUTH, r.signed1.raw.p, r.signed1.raw.len,
                            r.server_signature1, &dp);
    if (!code && !had_challenge)
        code = RSP_ES10_AUTH_NO_SESSION_CONTEXT;
    if (!code && memcmp(r.signed1.euicc_challenge.p, c->challenge, RSP_ES10_CHALLENGE_LEN))
        code = RSP_ES10_AUTH_CHALLENGE_MISMATCH;
    if (code)
        return auth_error(tid, code, out);
    rsp_buf i2 = RSP_BUF_INIT, s1 = RSP_BUF_INIT;
    e = info2(c, &i2);
    rsp_es10_euicc_signed1 es = {.transaction_id = tid, .server_address = r.signed1.server_address,
                                 .server_challenge = r.signed1.server_challenge, .euicc_info2 = rsp_buf_view(&i2),
                                 .ctx_params1 = r.ctx.raw};
    e = e ? e : rsp_es10_euicc_signed1_encode(&es, &s1);
    e = e ? e : rsp_ecdsa_sign(c->sk, s1.data, s1.len, c->euicc_sig1);
    if (!e) {
        rsp_es10_auth_server_resp a = {.ok = true, .signed1 = {.raw = rsp_buf_view(&s1)},
                                       .euicc_signature1 = rsp_bytes_of(c->euicc_sig1, RSP_ES10_SIG_LEN),
                                       .cert_euicc = rsp_buf_view(&c->cert_euicc), .cert_eum = rsp_buf_view(&c->cert_eum)};
        e = rsp_es10_auth_server_resp_encode(&a, out);
    }
    if (!e) {
        memcpy(c->tid, tid.p, tid.len);
        c->tid_len = tid.len;
        c->ci_index = (size_t)k;
        snprintf(c->server_address, sizeof(c->server_address), "%.*s", (int)r.signed1.server_address.len,
                 (const char *)r.signed1.server_address.p);
        memcpy(c->dp_oid, dp.rid, sizeof(c->dp_oid));
        memcpy(c->dp_oid_der, dp.rid_der, dp.rid_der_len);
        c->dp_oid_der_len = dp.rid_der_len;
        c->authenticated = true;
    }
    rsp_buf_free(&i2);
    rsp_buf_free(&s1);
    return e;
}

static rsp_err prepare_error(rsp_bytes tid, int code, rsp_buf *out)
{
    rsp_es10_prepare_resp r = {.ok = false, .transaction_id = tid, .error = code};
    return rsp_es10_prepare_resp_encode(&r, out);
}

static rsp_err prepare_download(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *out)
{
    rsp_es10_prepare_req r;
    rsp_err e = rsp_es10_prepare_req_decode(req, len, &r, NULL);
    if (e)
        return e;
    rsp_bytes tid = r.signed2.transaction_id;
    if (!c->authenticated)
        return prepare_error(tid, RSP_ES10_DL_NO_SESSION_CONTEXT, out);
    if (tid.len != c->tid_len || memcmp(tid.p, c->tid, c->tid_len))
        return prepare_error(tid, RSP_ES10_DL_INVALID_TRANSACTION_ID, out);
    /* smdpSignature2 covers smdpSigned2 || the euiccSignature1 TLV (5F37 40 ...). */
    rsp_buf tbs = RSP_BUF_INIT;
    e = rsp_buf_append(&tbs, r.signed2.raw.p, r.signed2.raw.len);
    e = e ? e : rsp_tlv_put(&tbs, 0x5F37, c->euicc_sig1, RSP_ES10_SIG_LEN);
    rsp_pki22_info pb;
    int code = e ? RSP_ES10_DL_UNDEFINED
                 : check_server(c, c->ci_index, r.cert_dppb, RSP_PKI22_DPPB, tbs.data, tbs.len, r.smdp_signature2, &pb);
    rsp_buf_free(&tbs);
    if (code == RSP_ES10_AUTH_INVALID_OID || code == RSP_ES10_AUTH_CI_PK_UNKNOWN)
        code = RSP_ES10_DL_INVALID_CERTIFICATE; /* DownloadErrorCode has neither */
    if (!code && strcmp(pb.rid, c->dp_oid))
        code = RSP_ES10_DL_INVALID_CERTIFICATE; /* CERT.DPpb of another SM-DP+ than the DPauth's */
    if (!code && r.signed2.cc_required && r.hash_cc.len == 0)
        code = RSP_ES10_DL_UNDEFINED;
    if (code)
        return prepare_error(tid, code, out);
    rsp_ec_free(c->otsk);
    c->otsk = NULL;
    uint8_t otpk[RSP_EC_POINT_LEN];
    rsp_buf s2 = RSP_BUF_INIT;
    e = rsp_ec_generate(rsp_ec_curve(c->sk), &c->otsk);
    e = e ? e : rsp_ec_public_point(c->otsk, otpk);
    rsp_es10_prepare_resp a = {.ok = true, .transaction_id = tid, .euicc_otpk = rsp_bytes_of(otpk, sizeof(otpk)),
                               .hash_cc = r.hash_cc};
    e = e ? e : rsp_es10_euicc_signed2_encode(&a, &s2);
    /* euiccSignature2 covers euiccSigned2 || the smdpSignature2 TLV. */
    size_t signed_len = s2.len;
    e = e ? e : rsp_tlv_put(&s2, 0x5F37, r.smdp_signature2.p, r.smdp_signature2.len);
    uint8_t sig[RSP_ES10_SIG_LEN];
    e = e ? e : rsp_ecdsa_sign(c->sk, s2.data, s2.len, sig);
    if (!e) {
        a.signed2_raw = rsp_bytes_of(s2.data, signed_len);
        a.euicc_signature2 = rsp_bytes_of(sig, sizeof(sig));
        e = rsp_es10_prepare_resp_encode(&a, out);
    }
    if (!e) {
        memcpy(c->smdp_sig2, r.smdp_signature2.p, RSP_ES10_SIG_LEN);
        memcpy(c->pk_dppb, pb.pub, sizeof(c->pk_dppb));
        c->dppb_curve = pb.curve;
        c->prepared = true;
    }
    rsp_buf_free(&s2);
    return e;
}

/* CancelSession: only for the session's transactionId (else invalidTransactionId 5), also right after a
 * BPP failed (its PIR answered); the answer signs {tid, the DPauth's OID, reason} and the session ends. */
static rsp_err cancel_session(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *out)
{
    rsp_bytes tid;
    int reason = 0;
    rsp_err e = rsp_es10_cancel_req_decode(req, len, &tid, &reason, NULL);
    if (e)
        return e;
    if (!(c->authenticated || c->cancel_only) || tid.len != c->tid_len || memcmp(tid.p, c->tid, c->tid_len)) {
        rsp_es10_cancel_resp r = {.ok = false, .error = 5};
        return rsp_es10_cancel_resp_encode(&r, out);
    }
    rsp_buf s = RSP_BUF_INIT;
    uint8_t sig[RSP_ES10_SIG_LEN];
    e = rsp_es10_cancel_signed_encode(tid, rsp_bytes_of(c->dp_oid_der, c->dp_oid_der_len), reason, &s);
    e = e ? e : rsp_ecdsa_sign(c->sk, s.data, s.len, sig);
    if (!e) {
        rsp_es10_cancel_resp r = {.ok = true, .signed_raw = rsp_buf_view(&s), .signature = rsp_bytes_of(sig, sizeof(sig))};
        e = rsp_es10_cancel_resp_encode(&r, out);
    }
    rsp_buf_free(&s);
    if (!e)
        rsp_es10_card_reset(c);
    return e;
}

rsp_err rsp_es10_card_handle(void *card, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_es10_card *c = card;
    if (c22_bpp_is_piece(c, req, len))
        return c22_bpp_handle(c, req, len, resp);
    uint32_t tag = 0;
    rsp_err e = rsp_es10_peek_tag(req, len, &tag, NULL);
    if (e)
        return e;
    /* Any other command while a BPP loads interrupts it: nothing of it stays, its PIR says so (a
     * CancelSession of that session is the LPA's own way out and needs no PIR). */
    if (c->bpp && (e = c22_bpp_abort(c, tag != RSP_ES10_CANCEL_SESSION)) != RSP_OK)
        return e;
    switch (tag) {
    case RSP_ES10_GET_EID:
        e = rsp_es10_empty_request_check(req, len, tag, NULL);
        return e ? e : rsp_es10_eid_response_encode(c->eid, resp);
    case RSP_ES10_GET_CHALLENGE:
        if ((e = rsp_es10_empty_request_check(req, len, tag, NULL)) != RSP_OK)
            return e;
        rsp_es10_card_reset(c); /* a new challenge starts a new session */
        if ((e = rsp_random(c->challenge, sizeof(c->challenge))) != RSP_OK)
            return e;
        c->has_challenge = true;
        return rsp_es10_challenge_response_encode(c->challenge, resp);
    case RSP_ES10_EUICC_INFO1:
        e = rsp_es10_empty_request_check(req, len, tag, NULL);
        return e ? e : info1(c, resp);
    case RSP_ES10_EUICC_INFO2:
        e = rsp_es10_empty_request_check(req, len, tag, NULL);
        return e ? e : info2(c, resp);
    case RSP_ES10_AUTHENTICATE_SERVER:
        return authenticate_server(c, req, len, resp);
    case RSP_ES10_PREPARE_DOWNLOAD:
        return prepare_download(c, req, len, resp);
    case RSP_ES10_CANCEL_SESSION:
        return cancel_session(c, req, len, resp);
    default:
        return c22_mgmt_handle(c, tag, req, len, resp);
    }
}
