/* The common mutual authentication of SGP.22 (include/rsp/smdpp.h §common mutual authentication):
 * the server half of initiateAuthentication and authenticateClient that the SM-DP+ (es9.c) and the
 * SM-DS (lib/smds) share. Every check refuses with the codes of SGP22.md §ES9+ before anything is
 * drawn or kept, so a refusal changes no state of the caller. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rsp/tlv.h"
#include "smdpp_int.h"

static rsp_err refuse(rsp_es9p_header *h, const char *subject, const char *reason, const char *why)
{
    memset(h, 0, sizeof(*h));
    h->status = RSP_ES9P_FAILED;
    snprintf(h->subject_code, sizeof(h->subject_code), "%s", subject);
    snprintf(h->reason_code, sizeof(h->reason_code), "%s", reason);
    snprintf(h->message, sizeof(h->message), "%s", why);
    return RSP_ERR_VERIFY;
}

static bool has_ski(const rsp_es10_ci_list *l, const rsp_pki22_info *info)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->ski[i].len == info->aki_len && !memcmp(l->ski[i].p, info->aki, info->aki_len))
            return true;
    return false;
}

rsp_err rsp_smdpp_auth_initiate(const rsp_smdpp_auth_cfg *cfg, const rsp_es9p_msg *req, rsp_smdpp_auth_session *sess,
                                rsp_es9p_msg *ans, rsp_es9p_header *fail)
{
    if (!cfg || !req || !sess || !ans || !fail)
        return RSP_ERR_INVAL;
    if (strcasecmp(req->smdp_address, cfg->address) != 0 &&
        (!cfg->address2 || strcasecmp(req->smdp_address, cfg->address2) != 0))
        return refuse(fail, SC_ADDRESS, "the server address is not this server's");
    rsp_es10_info1 i1;
    if (rsp_es10_info1_decode(req->euicc_info1.data, req->euicc_info1.len, &i1, NULL) != RSP_OK)
        return refuse(fail, SC_MALFORMED, "euiccInfo1 is not EUICCInfo1");
    /* our CI: the one our certificate chains to (its AKI) */
    if (!has_ski(&i1.signing, cfg->info))
        return refuse(fail, SC_NO_PKID, "none of the eUICC's signing CIs is ours");
    if (!has_ski(&i1.verification, cfg->info))
        return refuse(fail, SC_NO_DPAUTH, "the eUICC cannot verify our certificate");
    uint8_t tid[16];
    if (rsp_random(tid, sizeof(tid)) || rsp_random(sess->server_challenge, 16))
        return refuse(fail, SC_INTERNAL, "no randomness");
    rsp_es9p_tid_to_hex(tid, sizeof(tid), sess->tid);
    memcpy(sess->euicc_challenge, req->euicc_challenge.data, 16);
    rsp_es10_server_signed1 s1 = {
        .transaction_id = rsp_bytes_of(tid, 16),
        .euicc_challenge = rsp_bytes_of(sess->euicc_challenge, 16),
        .server_address = rsp_bytes_of((const uint8_t *)req->smdp_address, strlen(req->smdp_address)),
        .server_challenge = rsp_bytes_of(sess->server_challenge, 16),
    };
    uint8_t sig[64];
    if (rsp_es10_server_signed1_encode(&s1, &ans->server_signed1) ||
        rsp_ecdsa_sign(cfg->sk, ans->server_signed1.data, ans->server_signed1.len, sig) ||
        rsp_tlv_put(&ans->server_signature1, 0x5F37, sig, 64) ||
        rsp_tlv_put(&ans->euicc_ci_pkid, 0x04, cfg->info->aki, cfg->info->aki_len) ||
        rsp_buf_set(&ans->server_certificate, cfg->cert.p, cfg->cert.len))
        return refuse(fail, SC_INTERNAL, "cannot build the answer");
    snprintf(ans->transaction_id, sizeof(ans->transaction_id), "%s", sess->tid);
    return RSP_OK;
}

/* CERT.EUM and CERT.EUICC up to our CI. The eUICC's chain is verified whole first: it holds every check
 * of CERT.EUM alone (role, profile, curve, CI, signature, validity), so when it verifies, CERT.EUM does,
 * and the EUM's signature is checked once, not twice. Only a refusal needs to know which certificate
 * failed: then CERT.EUM is checked alone, and its codes come first, as SGP22.md orders them. The CI is
 * the caller's decoded anchor (cfg->anchors), else decoded here for this call. */
static rsp_err check_chain(const rsp_smdpp_auth_cfg *cfg, const rsp_es10_auth_server_resp *r, rsp_pki22_info *euicc,
                           rsp_es9p_header *fail)
{
    rsp_pki22_anchors *own = NULL, *a = cfg->anchors;
    if (!a && rsp_pki22_anchors_new(&cfg->ci, 1, &own, NULL) != RSP_OK)
        return refuse(fail, SC_INTERNAL, "cannot decode our CI");
    a = a ? a : own;
    rsp_pki22_fault f = RSP_PKI22_OK, fe = RSP_PKI22_OK;
    rsp_pki22_info eum;
    rsp_err e = rsp_pki22_verify_with(a, r->cert_euicc.p, r->cert_euicc.len, RSP_PKI22_EUICC, r->cert_eum.p,
                                      r->cert_eum.len, 0, euicc, &eum, NULL, &f, NULL);
    rsp_err ee = e == RSP_OK ? RSP_OK
                             : rsp_pki22_verify_with(a, r->cert_eum.p, r->cert_eum.len, RSP_PKI22_EUM, NULL, 0, 0,
                                                     &eum, NULL, NULL, &fe, NULL);
    rsp_pki22_anchors_free(own);
    if (ee != RSP_OK) {
        if (fe == RSP_PKI22_CI_UNKNOWN)
            return refuse(fail, SC_CI, "CERT.EUM is not from our CI");
        if (fe == RSP_PKI22_EXPIRED)
            return refuse(fail, SC_EUM_EXPIRED, "CERT.EUM expired");
        return refuse(fail, SC_EUM, "CERT.EUM invalid");
    }
    if (eum.aki_len != cfg->info->aki_len || memcmp(eum.aki, cfg->info->aki, eum.aki_len))
        return refuse(fail, SC_CI, "CERT.EUM is not from the CI chosen");
    if (e != RSP_OK) {
        if (f == RSP_PKI22_EID_RANGE)
            return refuse(fail, SC_EID_RANGE, "EID outside the EUM's range");
        if (f == RSP_PKI22_EXPIRED)
            return refuse(fail, SC_EUICC_EXPIRED, "CERT.EUICC expired");
        return refuse(fail, SC_EUICC_CERT, "CERT.EUICC invalid");
    }
    return RSP_OK;
}

bool rsp_smdpp__verify_sig(const rsp_pki22_info *cert, const uint8_t *p, size_t n, rsp_bytes sig, rsp_eckey **keep)
{
    rsp_eckey *k = NULL;
    bool ok = sig.len == 64 && rsp_ec_from_public(cert->curve, cert->pub, sizeof(cert->pub), &k) == RSP_OK &&
              rsp_ecdsa_verify(k, p, n, sig.p, sig.len) == RSP_OK;
    if (ok && keep)
        *keep = k;
    else
        rsp_ec_free(k);
    return ok;
}

rsp_err rsp_smdpp_auth_client(const rsp_smdpp_auth_cfg *cfg, const rsp_smdpp_auth_session *sess,
                              const rsp_es9p_msg *req, rsp_es10_auth_server_resp *r, rsp_pki22_info *euicc,
                              rsp_es9p_header *fail)
{
    return rsp_smdpp__auth_client(cfg, sess, req, r, euicc, NULL, fail);
}

rsp_err rsp_smdpp__auth_client(const rsp_smdpp_auth_cfg *cfg, const rsp_smdpp_auth_session *sess,
                               const rsp_es9p_msg *req, rsp_es10_auth_server_resp *r, rsp_pki22_info *euicc,
                               rsp_eckey **key, rsp_es9p_header *fail)
{
    if (key)
        *key = NULL;
    if (!cfg || !sess || !req || !r || !euicc || !fail)
        return RSP_ERR_INVAL;
    if (rsp_es10_auth_server_resp_decode(req->authenticate_server_response.data, req->authenticate_server_response.len,
                                         r, NULL) != RSP_OK)
        return refuse(fail, SC_MALFORMED, "authenticateServerResponse is not AuthenticateServerResponse");
    if (!r->ok)
        return refuse(fail, SC_SIGNATURE, "the eUICC refused the server authentication");
    uint8_t mine[16];
    size_t n;
    if (rsp_es9p_tid_from_hex(sess->tid, mine, &n, NULL) != RSP_OK || r->signed1.transaction_id.len != n ||
        memcmp(mine, r->signed1.transaction_id.p, n))
        return refuse(fail, SC_TID, "euiccSigned1 names another transaction");
    rsp_err e = check_chain(cfg, r, euicc, fail);
    if (e)
        return e;
    rsp_eckey *k = NULL;
    if (!rsp_smdpp__verify_sig(euicc, r->signed1.raw.p, r->signed1.raw.len, r->euicc_signature1, &k))
        return refuse(fail, SC_SIGNATURE, "euiccSignature1 does not verify");
    if (r->signed1.server_challenge.len != 16 || memcmp(r->signed1.server_challenge.p, sess->server_challenge, 16)) {
        rsp_ec_free(k);
        return refuse(fail, SC_SIGNATURE, "serverChallenge mismatch");
    }
    if (key)
        *key = k; /* the caller's now */
    else
        rsp_ec_free(k);
    return RSP_OK;
}

bool rsp_smdpp_auth_matching_id(rsp_bytes ctx, char *out, size_t cap)
{
    rsp_tlv t, m;
    if (!out || cap == 0)
        return false;
    out[0] = '\0';
    if (rsp_tlv_parse(ctx.p, ctx.len, RSP_TLV_DER, &t, NULL) != RSP_OK || t.tag != 0xA0)
        return false;
    if (rsp_tlv_find(t.value, t.len, 0x80, &m) != RSP_OK)
        return true;
    if (m.len >= cap)
        return false;
    memcpy(out, m.value, m.len);
    out[m.len] = '\0';
    return strlen(out) == m.len;
}
