/* The EIS that ES3.GetEIS answers, rebuilt from what the SM-SR's store keeps (es3.c serves it). */
#include <stdlib.h>
#include <string.h>

#include "rsp/es_types.h"
#include "rsp/ids.h"
#include "smsr_int.h"

static rsp_err sd_of(const rsp_aid *aid, int role, rsp_es_security_domain **out)
{
    rsp_es_security_domain *sd = calloc(1, sizeof(*sd));
    if (!sd)
        return RSP_ERR_NOMEM;
    *out = sd;
    sd->role = role;
    return rsp_buf_set(&sd->aid, aid->b, aid->len);
}

/* What the store keeps of the EumSignedInfo. The ECASD key sets and the EUM signature are not kept
 * by the SM-SR's store (docs/modules/smsr.md): the EIS answered carries no signature to check. */
static rsp_err signed_info_of(const rsp_store_eis *s, rsp_es_eis *eis)
{
    rsp_es_eum_signed_info *si = eis->signed_info;
    si->eid = strdup(s->eid);
    si->eum_id = strdup(s->eum_id);
    si->production_date = strdup(s->production_date[0] ? s->production_date : "1970-01-01T00:00:00Z");
    si->platform_type = strdup(s->platform_type);
    si->platform_version = strdup(s->platform_version);
    si->capabilities = calloc(1, sizeof(*si->capabilities));
    if (!si->eid || !si->eum_id || !si->production_date || !si->platform_type || !si->platform_version ||
        !si->capabilities)
        return RSP_ERR_NOMEM;
    rsp_es_euicc_capabilities *c = si->capabilities;
    c->cattp_support = (s->caps & RSP_STORE_CAP_CATTP) != 0;
    c->http_support = (s->caps & RSP_STORE_CAP_HTTP) != 0;
    c->cattp_version = s->cattp_version[0] ? strdup(s->cattp_version) : NULL;
    c->http_version = s->http_version[0] ? strdup(s->http_version) : NULL;
    c->secure_packet_version = strdup(s->secure_packet_version);
    c->remote_provisioning_version = strdup(s->rp_version);
    if (!c->secure_packet_version || !c->remote_provisioning_version)
        return RSP_ERR_NOMEM;
    rsp_err err = rsp_buf_set(&si->isd_p_loadfile_aid, RSP_AID_ISDP_LOADFILE.b, RSP_AID_ISDP_LOADFILE.len);
    if (err == RSP_OK)
        err = rsp_buf_set(&si->isd_p_module_aid, RSP_AID_ISDP_MODULE.b, RSP_AID_ISDP_MODULE.len);
    if (err == RSP_OK)
        err = sd_of(&RSP_AID_ECASD, RSP_ES_ROLE_ECASD, &si->ecasd);
    if (err == RSP_OK)
        err = sd_of(&RSP_AID_ISDR, RSP_ES_ROLE_ISDR, &eis->isd_r);
    return err;
}

/* The store's POL2 bits back into the es layer's rules (the inverse of smsr_pol2_of: Subject is
 * always PROFILE). No bit: no Pol2 element at all. */
static rsp_err pol2_es(uint32_t bits, rsp_es_pol2 **out)
{
    static const struct {
        uint32_t bit;
        int action, qualification;
    } map[] = {{RSP_STORE_POL2_ENABLE_NOT_ALLOWED, RSP_ES_POL2_ENABLE, RSP_ES_POL2_NOT_ALLOWED},
               {RSP_STORE_POL2_DISABLE_NOT_ALLOWED, RSP_ES_POL2_DISABLE, RSP_ES_POL2_NOT_ALLOWED},
               {RSP_STORE_POL2_DELETE_NOT_ALLOWED, RSP_ES_POL2_DELETE, RSP_ES_POL2_NOT_ALLOWED},
               {RSP_STORE_POL2_DISABLE_AUTO_DELETE, RSP_ES_POL2_DISABLE, RSP_ES_POL2_AUTO_DELETE}};
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        n += (bits & map[i].bit) != 0;
    if (!n)
        return RSP_OK;
    rsp_es_pol2 *p = calloc(1, sizeof(*p));
    rsp_es_pol2_rule *r = calloc(n, sizeof(*r));
    if (!p || !r) {
        free(p);
        free(r);
        return RSP_ERR_NOMEM;
    }
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (bits & map[i].bit)
            r[p->rules.n++] = (rsp_es_pol2_rule){RSP_ES_POL2_SUBJECT_PROFILE, map[i].action, map[i].qualification};
    p->rules.v = r;
    *out = p;
    return RSP_OK;
}

static bool created_by(void *ctx, const rsp_store_profile *p)
{
    return strcmp(p->smdp_id, (const char *)ctx) == 0;
}

/* The EIS as the store has it, for the calling SM-DP: its own ISD-Ps only (the others are other
 * parties' business). Everything allocated here is owned by the response (freed by the es layer). */
rsp_err smsr_es3_eis(rsp_smsr *e, const rsp_store_eis *s, const char *who, rsp_es_eis **out)
{
    return smsr_eis_of(e, s, created_by, (void *)who, out);
}

rsp_err smsr_eis_of(rsp_smsr *e, const rsp_store_eis *s, bool (*keep)(void *ctx, const rsp_store_profile *p),
                    void *ctx, rsp_es_eis **out)
{
    rsp_es_eis *eis = calloc(1, sizeof(*eis));
    rsp_store_profile *all = NULL;
    size_t n = 0;
    if (!eis)
        return RSP_ERR_NOMEM;
    *out = eis;
    rsp_err err = rsp_store_profile_list(e->st, s->eid, &all, &n);
    if (err != RSP_OK)
        return err;
    eis->signed_info = calloc(1, sizeof(*eis->signed_info));
    eis->smsr_id = strdup(s->smsr_id);
    eis->remaining_memory = s->remaining_memory;
    eis->available_memory_for_profiles = s->available_memory;
    rsp_es_profile_info *pi = n ? calloc(n, sizeof(*pi)) : NULL;
    if (!eis->signed_info || !eis->smsr_id || (n && !pi))
        err = RSP_ERR_NOMEM;
    eis->profiles.v = pi;
    if (err == RSP_OK)
        err = signed_info_of(s, eis);
    for (size_t i = 0; err == RSP_OK && i < n; i++) {
        const rsp_store_profile *p = &all[i];
        if (!keep(ctx, p))
            continue;
        rsp_es_profile_info *o = &pi[eis->profiles.n++];
        uint8_t aid[16];
        size_t al = strlen(p->isdp_aid) / 2;
        o->iccid = strdup(p->iccid);
        o->mno_id = strdup(p->mno_id);
        o->smdp_id = strdup(p->smdp_id);
        o->profile_type = p->profile_type[0] ? strdup(p->profile_type) : NULL;
        o->fallback_attribute = p->fallback;
        /* optional element, absent = false: only the emergency profile carries it (njiwa's
         * ProfileInfo has no such member, so a njiwa-dialect answer cannot show it) */
        o->has_emergency_profile_attribute = p->emergency;
        o->emergency_profile_attribute = p->emergency;
        o->allocated_memory = p->allocated_memory;
        o->state = p->state == RSP_STORE_PROFILE_ENABLED    ? RSP_ES_STATE_ENABLED
                   : p->state == RSP_STORE_PROFILE_DISABLED ? RSP_ES_STATE_DISABLED
                   : p->state == RSP_STORE_PROFILE_CREATED  ? RSP_ES_STATE_CREATED
                                                            : RSP_ES_STATE_INSTALL_IN_PROGRESS;
        if (!o->iccid || !o->mno_id || !o->smdp_id || (p->profile_type[0] && !o->profile_type))
            err = RSP_ERR_NOMEM;
        if (err == RSP_OK)
            err = pol2_es(p->pol2, &o->pol2);
        if (err == RSP_OK && al >= 5 && al <= 16 && rsp_hex_decode_fixed(p->isdp_aid, aid, al, NULL) == RSP_OK)
            err = rsp_buf_set(&o->isd_p_aid, aid, al);
    }
    free(all);
    return err;
}
