/* Admission of a download, before the SM-DP asks for any ISD-P: the card's CERT.ECASD must chain to
 * an EUM certificate that the CI signed (SGP.02 3.1.1: the SM-DP verifies the eUICC's certificate
 * chain from the EIS), and the card must have room for the package. Refusing here leaves nothing to
 * clean up on the card. */
#include <string.h>

#include "rsp/crl.h"
#include "rsp/gpcert.h"
#include "smdp_int.h"

/* The first certificate of the ECASD's key sets, in either EIS form (plain list or njiwa entries). */
const rsp_buf *rsp_smdp__ecasd_cert(const rsp_es_security_domain *sd)
{
    if (!sd)
        return NULL;
    const rsp_es_key_set *ks = sd->key_sets.v;
    for (size_t i = 0; i < sd->key_sets.n; i++) {
        if (ks[i].certificates.n) {
            const rsp_buf *c = ks[i].certificates.v;
            return &c[0];
        }
        if (ks[i].certificate_entries.n) {
            const rsp_es_certificate *c = ks[i].certificate_entries.v;
            return &c[0].value;
        }
    }
    return NULL;
}

/* RSP_OK when eum is an EUM certificate signed by the CI and cert is signed by it. */
static rsp_err chains(const rsp_smdp_trust *t, rsp_bytes eum_raw, const rsp_gpcert *cert)
{
    rsp_gpcert eum;
    if (rsp_gpcert_decode(eum_raw.p, eum_raw.len, &eum, NULL) != RSP_OK || eum.role != RSP_GPCERT_ROLE_EUM)
        return RSP_ERR_VERIFY;
    if (rsp_gpcert_verify(&eum, t->ci) != RSP_OK)
        return RSP_ERR_VERIFY;
    rsp_eckey *pk = NULL;
    rsp_err e = rsp_gpcert_public_key(&eum, rsp_ec_curve(t->ci), &pk);
    if (e == RSP_OK)
        e = rsp_gpcert_verify(cert, pk) == RSP_OK ? RSP_OK : RSP_ERR_VERIFY;
    rsp_ec_free(pk);
    return e;
}

rsp_err rsp_smdp_admit(const rsp_smdp_trust *t, const rsp_es_eis *eis, size_t package_len, int64_t now,
                       rsp_diag *diag)
{
    if (!t || !t->ci || !eis)
        return RSP_ERR_INVAL;
    const rsp_es_eum_signed_info *si = eis->signed_info;
    if (!si || !si->ecasd)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "EIS has no ECASD");
    const rsp_buf *raw = rsp_smdp__ecasd_cert(si->ecasd);
    if (!raw || !raw->len)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "EIS carries no CERT.ECASD");
    rsp_gpcert cert;
    rsp_diag cd;
    rsp_diag_clear(&cd);
    if (rsp_gpcert_decode(raw->data, raw->len, &cert, &cd) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "CERT.ECASD: %s", cd.msg);
    if (cert.role != RSP_GPCERT_ROLE_ECASD)
        return rsp_diag_set(diag, RSP_ERR_VERIFY, "CERT.ECASD has role %d, not ECASD", cert.role);
    bool ok = false;
    size_t ok_at = 0;
    for (size_t i = 0; i < t->n_eum && !ok; i++)
        if ((ok = chains(t, t->eum_certs[i], &cert) == RSP_OK))
            ok_at = i;
    if (!ok)
        return rsp_diag_set(diag, RSP_ERR_VERIFY,
                            "CERT.ECASD of %s is not signed by any EUM certificate the CI signed (of %zu known)",
                            si->eid ? si->eid : "?", t->n_eum);
    /* The EUM that signed it must not be on the CI's CRL (nor the CRL be untrustworthy): refused as a
     * chain that does not verify (ES2: 8.1 / 6.1). */
    if (t->crl) {
        rsp_diag cd2;
        rsp_diag_clear(&cd2);
        rsp_err e = rsp_crl_file_check_cert(t->crl, t->ci, t->eum_certs[ok_at].p, t->eum_certs[ok_at].len, now, &cd2);
        if (e)
            return rsp_diag_set(diag, e == RSP_ERR_NOMEM ? e : RSP_ERR_VERIFY, "EUM of %s: %s", si->eid ? si->eid : "?",
                                cd2.msg);
    }
    const rsp_es_euicc_capabilities *cap = si->capabilities;
    if (cap && !cap->http_support && !cap->cattp_support)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "card supports neither HTTPS nor CAT_TP for the download");
    /* AvailableMemoryForProfiles is what the EUM set aside for profiles in all (rsp eum make --memory);
     * RemainingMemory is what is still free after the profiles already there: the smaller one decides. */
    int64_t free_mem = eis->available_memory_for_profiles;
    if (eis->remaining_memory < free_mem)
        free_mem = eis->remaining_memory;
    if (free_mem < 0 || (uint64_t)free_mem < package_len)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "card has %lld bytes free for profiles, the package needs %zu",
                            (long long)free_mem, package_len);
    return RSP_OK;
}
