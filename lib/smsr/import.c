/* Loading what the SM-SR knows about a card: the EIS (profiles, capabilities), the ISD-R SCP80 keys
 * and the SCP81 PSK (from an EUM keys-out line until the wrapped keys of the EIS are unwrapped here), and the
 * MSISDN -> EID index that deliver_sm needs, kept in the audit trail ("smsr.msisdn") so that every
 * worker on the same database learns it by reading the trail forward. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es.h"
#include "rsp/es_types.h"
#include "rsp/log.h"
#include "smsr_int.h"

static rsp_store_profile_state state_of(int es_state)
{
    switch (es_state) {
    case RSP_ES_STATE_ENABLED: return RSP_STORE_PROFILE_ENABLED;
    case RSP_ES_STATE_DISABLED: return RSP_STORE_PROFILE_DISABLED;
    case RSP_ES_STATE_CREATED: return RSP_STORE_PROFILE_CREATED;
    default: return RSP_STORE_PROFILE_IN_CREATION;
    }
}

uint32_t smsr_pol2_of(const rsp_es_pol2 *p)
{
    uint32_t v = 0;
    if (!p)
        return 0;
    const rsp_es_pol2_rule *r = p->rules.v;
    for (size_t i = 0; i < p->rules.n; i++) {
        /* action: 0 enable, 1 disable, 2 delete; qualification: 0 not allowed, 1 auto-delete
         * (es_types.h order) */
        if (r[i].qualification == RSP_ES_POL2_NOT_ALLOWED) {
            if (r[i].action == RSP_ES_POL2_ENABLE) v |= RSP_STORE_POL2_ENABLE_NOT_ALLOWED;
            if (r[i].action == RSP_ES_POL2_DISABLE) v |= RSP_STORE_POL2_DISABLE_NOT_ALLOWED;
            if (r[i].action == RSP_ES_POL2_DELETE) v |= RSP_STORE_POL2_DELETE_NOT_ALLOWED;
        } else if (r[i].action == RSP_ES_POL2_DISABLE) {
            v |= RSP_STORE_POL2_DISABLE_AUTO_DELETE;
        }
    }
    return v;
}

rsp_err rsp_smsr_eis_import(rsp_smsr *e, const rsp_es_eis *eis, int64_t now)
{
    if (!e || !eis || !eis->signed_info || !eis->signed_info->eid)
        return RSP_ERR_INVAL;
    const rsp_es_eum_signed_info *si = eis->signed_info;
    rsp_store_eis s;
    memset(&s, 0, sizeof(s));
    if (strlen(si->eid) >= sizeof(s.eid))
        return RSP_ERR_LENGTH;
    snprintf(s.eid, sizeof(s.eid), "%s", si->eid);
    snprintf(s.eum_id, sizeof(s.eum_id), "%s", si->eum_id ? si->eum_id : "");
    snprintf(s.smsr_id, sizeof(s.smsr_id), "%s", eis->smsr_id ? eis->smsr_id : "");
    s.remaining_memory = eis->remaining_memory;
    s.available_memory = eis->available_memory_for_profiles;
    rsp_err err = rsp_store_eis_put(e->st, &s);
    const rsp_es_profile_info *pi = eis->profiles.v;
    for (size_t i = 0; err == RSP_OK && i < eis->profiles.n; i++) {
        rsp_store_profile p;
        memset(&p, 0, sizeof(p));
        if (!pi[i].iccid || strlen(pi[i].iccid) >= sizeof(p.iccid) || pi[i].isd_p_aid.len > 16)
            return RSP_ERR_FORMAT;
        snprintf(p.iccid, sizeof(p.iccid), "%s", pi[i].iccid);
        snprintf(p.eid, sizeof(p.eid), "%s", si->eid);
        rsp_hex_encode_upper(pi[i].isd_p_aid.data, pi[i].isd_p_aid.len, p.isdp_aid, sizeof(p.isdp_aid));
        snprintf(p.mno_id, sizeof(p.mno_id), "%s", pi[i].mno_id ? pi[i].mno_id : "");
        snprintf(p.smdp_id, sizeof(p.smdp_id), "%s", pi[i].smdp_id ? pi[i].smdp_id : "");
        snprintf(p.profile_type, sizeof(p.profile_type), "%s", pi[i].profile_type ? pi[i].profile_type : "");
        const rsp_es_subscription_address *sa = pi[i].subscription_address;
        snprintf(p.msisdn, sizeof(p.msisdn), "%.20s", sa && sa->msisdn ? sa->msisdn : "");
        snprintf(p.imsi, sizeof(p.imsi), "%.16s", sa && sa->imsi ? sa->imsi : "");
        p.state = state_of(pi[i].state);
        p.fallback = pi[i].fallback_attribute;
        p.pol2 = smsr_pol2_of(pi[i].pol2);
        p.allocated_memory = pi[i].allocated_memory;
        err = rsp_store_profile_put(e->st, &p);
        if (err == RSP_OK && p.msisdn[0])
            err = rsp_smsr_msisdn_register(e, p.eid, p.msisdn, now);
    }
    return err;
}

/* An MSISDN that a profile of another eUICC still holds is refused: two SM-DP pools handing out the
 * same numbers would otherwise make the index route one card's PoRs and MO SMS to the other card and
 * hang its operations. The first owner keeps it until its profile is gone or renumbered. */
rsp_err rsp_smsr_msisdn_register(rsp_smsr *e, const char *eid, const char *msisdn, int64_t now)
{
    rsp_store_profile other;
    memset(&other, 0, sizeof(other));
    rsp_err err = rsp_store_profile_msisdn_other(e->st, msisdn, eid, &other);
    if (err == RSP_OK) {
        RSP_LOGN(RSP_SS_SMSR, "MSISDN refused: a profile of another eUICC has it",
                 "msisdn=%.20s eid=%s holder_eid=%s holder_iccid=%s", msisdn, eid, other.eid, other.iccid);
        return RSP_ERR_EXISTS;
    }
    if (err != RSP_ERR_NOT_FOUND)
        return err;
    char d[40];
    snprintf(d, sizeof(d), "msisdn=%.20s", msisdn);
    return smsr_audit(e, eid, NULL, 0, "smsr.msisdn", d, now);
}

/* The optional "scp81": {"kvn": 64, "psk": hex} of a keys-out line: sealed and stored as its own key
 * set row. Absent: nothing (a card without HTTPS). */
static rsp_err psk_import(rsp_smsr *e, const char *eid, json_t *s81)
{
    if (!s81)
        return RSP_OK;
    const char *hex = json_string_value(json_object_get(s81, "psk"));
    json_int_t kvn = json_integer_value(json_object_get(s81, "kvn"));
    uint8_t psk[16];
    rsp_err err = RSP_ERR_FORMAT;
    if (hex && kvn >= 0x40 && kvn <= 0x4F && rsp_hex_decode_fixed(hex, psk, 16, NULL) == RSP_OK)
        err = smsr_psk_put(e, eid, (uint8_t)kvn, psk);
    rsp_wipe(psk, sizeof(psk));
    return err;
}

rsp_err rsp_smsr_keys_import(rsp_smsr *e, const char *line, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(line, len, 0, &je);
    if (!j)
        return RSP_ERR_FORMAT;
    const char *eid = json_string_value(json_object_get(j, "eid"));
    json_t *s80 = json_object_get(j, "scp80");
    const char *kic = json_string_value(json_object_get(s80, "kic"));
    const char *kid = json_string_value(json_object_get(s80, "kid"));
    json_int_t kvn = json_integer_value(json_object_get(s80, "kvn"));
    rsp_err err = RSP_ERR_FORMAT;
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    uint8_t k[32];
    if (eid && kic && kid && kvn > 0 && kvn < 16 && strlen(eid) < sizeof(ks.eid) &&
        rsp_hex_decode_fixed(kic, k, 16, NULL) == RSP_OK && rsp_hex_decode_fixed(kid, k + 16, 16, NULL) == RSP_OK) {
        snprintf(ks.eid, sizeof(ks.eid), "%s", eid);
        ks.kvn = (uint8_t)kvn;
        err = smsr_keys_seal(e, ks.eid, ks.kvn, k, &ks.keys);
        if (err == RSP_OK)
            err = rsp_store_keyset_put(e->st, &ks);
        if (err == RSP_OK)
            err = psk_import(e, ks.eid, json_object_get(j, "scp81"));
    }
    rsp_wipe(k, sizeof(k));
    rsp_store_keyset_clear(&ks);
    json_decref(j); /* the JSON strings held key hex: jansson frees them without wiping (noted) */
    return err;
}

/* ---- MSISDN -> EID index: the audit trail read forward ---- */
struct rsp_smsr_index {
    int64_t after;
    size_t n, cap;
    struct ent {
        char msisdn[21];
        char eid[33];
    } *v;
};

rsp_err rsp_smsr_index_new(rsp_smsr_index **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? RSP_OK : RSP_ERR_NOMEM;
}

void rsp_smsr_index_free(rsp_smsr_index *ix)
{
    if (ix)
        free(ix->v);
    free(ix);
}

rsp_err rsp_smsr_index_refresh(rsp_smsr *e, rsp_smsr_index *ix)
{
    for (;;) {
        rsp_store_audit *v = NULL;
        size_t n = 0;
        rsp_err err = rsp_store_audit_list(e->st, NULL, ix->after, 512, &v, &n);
        if (err != RSP_OK)
            return err;
        for (size_t i = 0; i < n; i++) {
            ix->after = v[i].id;
            if (strcmp(v[i].event, "smsr.msisdn") != 0 || strncmp(v[i].detail, "msisdn=", 7) != 0)
                continue;
            const char *m = v[i].detail + 7;
            size_t j = 0;
            while (j < ix->n && strcmp(ix->v[j].msisdn, m) != 0)
                j++;
            if (j == ix->n) {
                if (ix->n == ix->cap) {
                    size_t nc = ix->cap ? ix->cap * 2 : 64;
                    struct ent *nv = realloc(ix->v, nc * sizeof(*nv));
                    if (!nv) {
                        free(v);
                        return RSP_ERR_NOMEM;
                    }
                    ix->v = nv;
                    ix->cap = nc;
                }
                ix->n++;
            }
            snprintf(ix->v[j].msisdn, sizeof(ix->v[j].msisdn), "%.20s", m);
            snprintf(ix->v[j].eid, sizeof(ix->v[j].eid), "%s", v[i].eid);
        }
        free(v);
        if (n < 512)
            return RSP_OK;
    }
}

const char *rsp_smsr_index_eid(const rsp_smsr_index *ix, const char *msisdn)
{
    for (size_t j = 0; j < ix->n; j++)
        if (strcmp(ix->v[j].msisdn, msisdn) == 0)
            return ix->v[j].eid;
    return NULL;
}
