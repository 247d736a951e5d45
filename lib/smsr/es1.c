/* ES1.RegisterEIS: the SM-SR's own check of an EIS before it stores it (docs/modules/smsr.md,
 * "ES1.RegisterEIS"). The chain (CI -> CERT.EUM -> EumSignature, CERT.ECASD -> EUM) is the es layer's
 * rsp_es_eis_check_chain, the same code `rsp eum verify` runs; the ISD-R keys are unwrapped
 * (AdditionalProperty keyWrapping says how) and sealed under the master key before anything is
 * stored, so a refused EIS leaves nothing behind. The SCP81 PSK (key 1 of the ISD-R's SCP81 key set)
 * is stored too, as a key set row of its KVN. Clear keys live in stack buffers, wiped. */
#include <stdio.h>
#include <string.h>

#include "rsp/crl.h"
#include "rsp/crypto.h"
#include "rsp/es.h"
#include "rsp/es_types.h"
#include "rsp/ids.h"
#include "smsr_int.h"

enum { SCP80_KVN = 0x01, SCP81_KVN = 0x40, SCP81_KVN_LAST = 0x4F };

static rsp_err refuse(rsp_smsr_refusal *r, const char *subject, const char *reason, rsp_err e)
{
    snprintf(r->subject, sizeof(r->subject), "%s", subject);
    snprintf(r->reason, sizeof(r->reason), "%s", reason);
    return e;
}

static const char *property(const rsp_es_eis *eis, const char *key)
{
    const rsp_es_property *p = eis->additional_properties.v;
    for (size_t i = 0; i < eis->additional_properties.n; i++)
        if (p[i].key && p[i].value && strcmp(p[i].key, key) == 0)
            return p[i].value;
    return NULL;
}

/* Unwraps every ISD-R key; KIc || KID of KVN 01 go to kickid, the SCP81 PSK (key 1 of the first key
 * set with a KVN 40..4F) to psk with its KVN in *psk_kvn (0: the EIS has none). */
static rsp_err unwrap_all(const rsp_smsr_es1_trust *t, const rsp_es_eis *eis, const uint8_t eidb[16],
                          uint8_t kickid[32], uint8_t psk[16], uint8_t *psk_kvn, rsp_diag *d)
{
    const char *mode = property(eis, "keyWrapping");
    bool ecies = mode && strcmp(mode, "ecies-x963-sha256-aes128kw") == 0;
    if (!ecies && !(mode && strcmp(mode, "aes128kw-transport-key") == 0))
        return rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "keyWrapping '%s' unknown", mode ? mode : "(none)");
    if (ecies ? !t->smsr_key : !t->transport_key)
        return rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "this SM-SR holds no %s", ecies ? "SM-SR key" : "transport key");
    const rsp_es_security_domain *r = eis->isd_r;
    unsigned have = 0;
    for (size_t i = 0; r && i < r->key_sets.n; i++) {
        const rsp_es_key_set *ks = (const rsp_es_key_set *)r->key_sets.v + i;
        for (size_t k = 0; k < ks->keys.n; k++) {
            const rsp_es_key *key = (const rsp_es_key *)ks->keys.v + k;
            for (size_t c = 0; c < key->components.n; c++) {
                const rsp_es_key_component *kc = (const rsp_es_key_component *)key->components.v + c;
                uint8_t clear[64];
                size_t len = 0;
                rsp_err e = rsp_es_eis_unwrap_key(ecies ? t->smsr_key : NULL, ecies ? NULL : t->transport_key, eidb,
                                                  (uint8_t)ks->version, (uint8_t)key->key_identifier,
                                                  kc->value.data, kc->value.len, clear, sizeof(clear), &len);
                bool s80 = ks->version == SCP80_KVN && (key->key_identifier == 1 || key->key_identifier == 2);
                bool s81 = ks->version >= SCP81_KVN && ks->version <= SCP81_KVN_LAST && key->key_identifier == 1;
                if (e == RSP_OK && s80 && len == 16) {
                    memcpy(kickid + 16 * (key->key_identifier - 1), clear, 16);
                    have |= 1u << key->key_identifier;
                } else if (e == RSP_OK && s81 && len == 16 && !*psk_kvn) {
                    memcpy(psk, clear, 16);
                    *psk_kvn = (uint8_t)ks->version;
                }
                rsp_wipe(clear, sizeof(clear));
                if (e)
                    return rsp_diag_set(d, RSP_ERR_VERIFY, "key %d of key set %d does not unwrap",
                                        (int)key->key_identifier, (int)ks->version);
            }
        }
    }
    if (have != 6)
        return rsp_diag_set(d, RSP_ERR_FORMAT, "the ISD-R lacks the SCP80 KIc / KID (key set 1, keys 1 and 2)");
    return RSP_OK;
}

rsp_err rsp_smsr_eis_register(rsp_smsr *e, const rsp_smsr_es1_trust *t, const rsp_es_eis *eis, int64_t now,
                              rsp_smsr_refusal *ref, rsp_diag *d)
{
    memset(ref, 0, sizeof(*ref));
    if (!t || !t->ci)
        return refuse(ref, "8.7", "3.7", rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "no CI configured (--ci)"));
    rsp_eckey *eum = NULL;
    rsp_es_eis_fault f = RSP_ES_EIS_FAULT_NONE;
    rsp_err err = rsp_es_eis_check_chain(eis, t->ci, NULL, &eum, &f, d);
    rsp_ec_free(eum);
    switch (f) {
    case RSP_ES_EIS_FAULT_NONE: break;
    case RSP_ES_EIS_FAULT_UNSIGNED: return refuse(ref, "8.1", "2.2", err);
    case RSP_ES_EIS_FAULT_EUM: return refuse(ref, "8.1", "3.9", err);
    case RSP_ES_EIS_FAULT_SIGNATURE:
    case RSP_ES_EIS_FAULT_ECASD: return refuse(ref, "8.1", "6.1", err);
    default: return refuse(ref, err == RSP_ERR_CHECKSUM ? "8.1.1" : "8.1", "2.1", err);
    }
    if (err)
        return refuse(ref, "8.1", "2.1", err);
    /* A revoked EUM (the CI's CRL, --crl): its certificate no longer verifies, 8.1 / 6.1. A CRL the
     * SM-SR cannot trust (missing, forged, stale) is the SM-SR's own fault: 8.7 / 3.7, as with no CI. */
    if (t->crl) {
        const rsp_es_key_set *ks = eis->signed_info->ecasd->key_sets.v; /* the chain check found both */
        const rsp_buf *cm_der = (const rsp_buf *)ks->certificates.v + 1;
        err = rsp_crl_file_check_cert(t->crl, t->ci, cm_der->data, cm_der->len, now, d);
        if (err)
            return refuse(ref, err == RSP_ERR_DENIED ? "8.1" : "8.7", err == RSP_ERR_DENIED ? "6.1" : "3.7",
                          err == RSP_ERR_DENIED ? RSP_ERR_VERIFY : err);
    }
    const char *eid = eis->signed_info->eid;
    /* an ICCID is one profile on one card: an EIS claiming another card's profile is refused */
    const rsp_es_profile_info *pi = eis->profiles.v;
    for (size_t i = 0; i < eis->profiles.n; i++) {
        rsp_store_profile p;
        if (pi[i].iccid && rsp_store_profile_get(e->st, pi[i].iccid, &p) == RSP_OK && strcmp(p.eid, eid) != 0)
            return refuse(ref, "8.2.1", "3.3",
                          rsp_diag_set(d, RSP_ERR_EXISTS, "ICCID %s is on another eUICC", pi[i].iccid));
    }
    uint8_t eidb[16], k[32], psk[16], psk_kvn = 0;
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    err = rsp_eid_to_bytes(eid, eidb);
    err = err ? err : unwrap_all(t, eis, eidb, k, psk, &psk_kvn, d);
    if (err) {
        rsp_wipe(k, sizeof(k));
        rsp_wipe(psk, sizeof(psk));
        return refuse(ref, "8.1", err == RSP_ERR_VERIFY ? "6.1" : "2.1", err);
    }
    snprintf(ks.eid, sizeof(ks.eid), "%s", eid);
    ks.kvn = SCP80_KVN;
    err = smsr_keys_seal(e, ks.eid, ks.kvn, k, &ks.keys);
    rsp_wipe(k, sizeof(k));
    /* durable before the answer: the EIS (a key set belongs to a stored EIS), then its keys; a crash
     * in between leaves an EIS without keys, which the EUM's retry of RegisterEIS completes */
    err = err ? err : rsp_smsr_eis_import(e, eis, now);
    err = err ? err : rsp_store_keyset_put(e->st, &ks);
    /* the SCP81 PSK (ES5 over HTTPS): its own key set row, sealed the same way */
    if (err == RSP_OK && psk_kvn)
        err = smsr_psk_put(e, eid, psk_kvn, psk);
    rsp_wipe(psk, sizeof(psk));
    rsp_store_keyset_clear(&ks);
    err = err ? err : smsr_audit(e, eid, NULL, 0, "smsr.eis.registered", eis->signed_info->eum_id, now);
    return err; /* a store failure is ours (the endpoint answers 1.2 / 4.2) */
}
