/* One card of `rsp eum make`: its secrets, ECASD certificate, personalised provisioning profile, the
 * card itself in the fleet, its signed EIS and its keys-out line. Every secret lives in one struct
 * that is wiped before return, whatever happened. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eum_eis.h"
#include "eum_int.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/scp81.h"

typedef struct card_secrets {
    rsp_mfg_secrets k;
    char line[1024];
} card_secrets;

rsp_err rsp_eum_digits_add(const char *start, uint64_t k, char *out, size_t cap)
{
    size_t n = strlen(start);
    if (n == 0 || n >= cap)
        return RSP_ERR_RANGE;
    for (size_t i = n; i-- > 0;) {
        if (start[i] < '0' || start[i] > '9')
            return RSP_ERR_FORMAT;
        unsigned d = (unsigned)(start[i] - '0') + (unsigned)(k % 10);
        k /= 10;
        if (d >= 10) {
            d -= 10;
            k++;
        }
        out[i] = (char)('0' + d);
    }
    out[n] = '\0';
    return k ? RSP_ERR_RANGE : RSP_OK;
}

rsp_err rsp_eum_ids_at(const char *eid_body, const char *iccid_body, const char *imsi_start,
                       const char *msisdn_start, uint64_t i, rsp_eum_ids *ids)
{
    char body[32];
    rsp_err e = rsp_eum_digits_add(eid_body, i, body, sizeof(body));
    e = e ? e : rsp_eid_complete(body, ids->eid);
    e = e ? e : rsp_eum_digits_add(iccid_body, i, ids->iccid, sizeof(ids->iccid) - 1);
    if (!e) {
        size_t n = strlen(ids->iccid);
        int d = rsp_luhn_digit(ids->iccid, n);
        if (d < 0)
            return RSP_ERR_FORMAT;
        ids->iccid[n] = (char)('0' + d);
        ids->iccid[n + 1] = '\0';
    }
    e = e ? e : rsp_eum_digits_add(imsi_start, i, ids->imsi, sizeof(ids->imsi));
    return e ? e : rsp_eum_digits_add(msisdn_start, i, ids->msisdn, sizeof(ids->msisdn));
}

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static rsp_err set_hex(rsp_buf *b, const uint8_t *p, size_t n)
{
    return rsp_buf_set(b, p, n);
}

/* A key set of the ISD-R: one wrapped key component per (key id, key). */
static rsp_err key_set(rsp_eum_ctx *x, rsp_es_key_set *ks, int64_t kvn, int type, uint8_t key_type,
                       const uint8_t *const *keys, size_t n)
{
    ks->version = kvn;
    ks->type = type;
    ks->keys.v = calloc(n, sizeof(rsp_es_key));
    if (!ks->keys.v)
        return RSP_ERR_NOMEM;
    ks->keys.n = n;
    rsp_es_key *k = ks->keys.v;
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < n && !e; i++) {
        k[i].key_identifier = (int64_t)(i + 1);
        k[i].components.v = calloc(1, sizeof(rsp_es_key_component));
        if (!k[i].components.v)
            return RSP_ERR_NOMEM;
        k[i].components.n = 1;
        rsp_es_key_component *c = k[i].components.v;
        e = rsp_buf_append_byte(&c->type, key_type);
        e = e ? e : rsp_eum_wrap_key(x->wrap, (uint8_t)kvn, (uint8_t)(i + 1), keys[i], 16, &c->value);
    }
    return e;
}

static rsp_err eis_build(rsp_eum_ctx *x, const rsp_eum_ids *ids, const rsp_buf *cert_ecasd,
                         const card_secrets *s, const uint8_t isdp_aid[16], rsp_es_msg *msg)
{
    const rsp_es_func *f = rsp_es_func_find(RSP_ES1, "RegisterEIS", strlen("RegisterEIS"));
    rsp_err e = f ? rsp_es_msg_init(msg, f, false) : RSP_ERR_INTERNAL;
    if (e)
        return e;
    rsp_es_eis_req *r = msg->body;
    char fcid[64];
    snprintf(fcid, sizeof(fcid), "eum-%s", ids->eid);
    r->hdr.function_call_id = dup(fcid);
    rsp_es_eis *eis = r->eis = calloc(1, sizeof(*eis));
    rsp_es_eum_signed_info *si = eis ? (eis->signed_info = calloc(1, sizeof(*si))) : NULL;
    rsp_es_security_domain *ecasd = si ? (si->ecasd = calloc(1, sizeof(*ecasd))) : NULL;
    rsp_es_euicc_capabilities *cap = si ? (si->capabilities = calloc(1, sizeof(*cap))) : NULL;
    rsp_es_security_domain *isdr = eis ? (eis->isd_r = calloc(1, sizeof(*isdr))) : NULL;
    rsp_es_profile_info *pi = eis ? (eis->profiles.v = calloc(1, sizeof(*pi))) : NULL;
    rsp_es_key_set *eks = ecasd ? (ecasd->key_sets.v = calloc(1, sizeof(*eks))) : NULL;
    rsp_es_key_set *rks = isdr ? (isdr->key_sets.v = calloc(2, sizeof(*rks))) : NULL;
    rsp_buf *certs = eks ? (eks->certificates.v = calloc(2, sizeof(rsp_buf))) : NULL;
    rsp_es_property *prop = eis ? (eis->additional_properties.v = calloc(1, sizeof(*prop))) : NULL;
    if (!r->hdr.function_call_id || !cap || !isdr || !pi || !rks || !certs || !prop)
        return RSP_ERR_NOMEM;
    eis->profiles.n = 1;
    ecasd->key_sets.n = 1;
    isdr->key_sets.n = 2;
    eks->certificates.n = 2;
    eis->additional_properties.n = 1;

    si->eid = dup(ids->eid);
    si->eum_id = dup(x->eum.id);
    si->production_date = dup(x->production_date);
    si->platform_type = dup(x->platform_type);
    si->platform_version = dup(x->platform_version);
    e = set_hex(&si->isd_p_loadfile_aid, RSP_AID_ISDP_LOADFILE.b, RSP_AID_ISDP_LOADFILE.len);
    e = e ? e : set_hex(&si->isd_p_module_aid, RSP_AID_ISDP_MODULE.b, RSP_AID_ISDP_MODULE.len);
    e = e ? e : set_hex(&ecasd->aid, RSP_AID_ECASD.b, RSP_AID_ECASD.len);
    ecasd->role = RSP_ES_ROLE_ECASD;
    eks->version = RSP_EUM_ECASD_KVN;
    eks->type = RSP_ES_KS_CA;
    /* The chain as the SM-DP needs it: CERT.ECASD.ECKA, then CERT.EUM.ECDSA that signed it. */
    e = e ? e : set_hex(&certs[0], cert_ecasd->data, cert_ecasd->len);
    e = e ? e : set_hex(&certs[1], x->eum.gpcert_der.data, x->eum.gpcert_der.len);
    cap->cattp_support = false;
    cap->http_support = true;
    cap->http_version = dup("1.1");
    cap->secure_packet_version = dup("3.2.0");
    cap->remote_provisioning_version = dup("3.1.0");

    eis->remaining_memory = x->memory - (int64_t)x->pkg_der.len;
    eis->available_memory_for_profiles = x->memory;
    eis->smsr_id = dup(x->smsr_id);
    pi->iccid = dup(ids->iccid);
    e = e ? e : set_hex(&pi->isd_p_aid, isdp_aid, 16);
    pi->mno_id = dup(x->mno_id);
    pi->fallback_attribute = true;
    pi->subscription_address = calloc(1, sizeof(*pi->subscription_address));
    if (pi->subscription_address) {
        pi->subscription_address->imsi = dup(ids->imsi);
        pi->subscription_address->msisdn = dup(ids->msisdn);
    }
    pi->state = RSP_ES_STATE_ENABLED;
    pi->profile_type = x->pkg.header.has_profile_type ? dup(x->pkg.header.profile_type) : NULL;
    pi->allocated_memory = (int64_t)x->pkg_der.len;

    e = e ? e : set_hex(&isdr->aid, RSP_AID_ISDR.b, RSP_AID_ISDR.len);
    e = e ? e : set_hex(&isdr->tar, (const uint8_t *)"\x00\x00\x01", 3);
    isdr->role = RSP_ES_ROLE_ISDR;
    const uint8_t *k80[] = {s->k.kic, s->k.kid}, *k81[] = {s->k.psk};
    e = e ? e : key_set(x, &rks[0], RSP_EUM_SCP80_KVN, RSP_ES_KS_SCP80, 0x88, k80, 2);
    e = e ? e : set_hex(&rks[0].counter, (const uint8_t *)"\0\0\0\0\0", 5);
    e = e ? e : key_set(x, &rks[1], RSP_EUM_SCP81_KVN, RSP_ES_KS_SCP81, 0x85, k81, 1);
    prop->key = dup("keyWrapping");
    prop->value = dup(x->wrap_name);
    if (!e && (!si->eid || !si->eum_id || !si->production_date || !si->platform_type || !si->platform_version ||
               !cap->http_version || !cap->secure_packet_version || !cap->remote_provisioning_version ||
               !eis->smsr_id || !pi->iccid || !pi->mno_id || !pi->subscription_address || !prop->key || !prop->value))
        e = RSP_ERR_NOMEM;
    return e ? e : rsp_es_eis_sign(eis, x->eum.key);
}

/* The ISD-P the card model put the provisioning profile in, as the card reports it. Every card is born
 * the same way, so the first card's answer is kept for the rest (asking each card would load every
 * card's state into memory). */
static rsp_err isdp_aid_of(rsp_eum_ctx *x, rsp_euicc_fleet *f, const char *eid, uint8_t aid[16], rsp_diag *diag)
{
    if (!x->has_isdp_aid) {
        rsp_euicc *c = rsp_euicc_fleet_by_eid(f, eid);
        rsp_euicc_info info;
        rsp_err e = c ? rsp_euicc_info_get(c, &info) : RSP_ERR_NOT_FOUND;
        for (size_t i = 0; !e && i < info.n_profiles && !x->has_isdp_aid; i++)
            if (info.profiles[i].lcs == 0x3F)
                x->has_isdp_aid = rsp_hex_decode_fixed(info.profiles[i].aid, x->isdp_aid, 16, NULL) == RSP_OK;
        if (!x->has_isdp_aid)
            return rsp_diag_set(diag, e ? e : RSP_ERR_STATE, "card %s shows no enabled profile after manufacture",
                                eid);
    }
    memcpy(aid, x->isdp_aid, 16);
    return RSP_OK;
}

static void hex16(const uint8_t *p, char out[33])
{
    rsp_hex_encode_upper(p, 16, out, 33);
}

static rsp_err keys_line(const rsp_eum_ids *ids, card_secrets *s, rsp_buf *keys)
{
    uint8_t eidb[16];
    char psk_id[160], kic[33], kid[33], psk[33];
    rsp_err e = rsp_eid_to_bytes(ids->eid, eidb);
    e = e ? e : rsp_scp81_psk_identity(eidb, RSP_AID_ISDR.b, RSP_AID_ISDR.len, RSP_EUM_SCP81_KEY_ID,
                                       RSP_EUM_SCP81_KVN, psk_id, sizeof(psk_id));
    if (e)
        return e;
    hex16(s->k.kic, kic);
    hex16(s->k.kid, kid);
    hex16(s->k.psk, psk);
    int n = snprintf(s->line, sizeof(s->line),
                     "{\"eid\":\"%s\",\"msisdn\":\"%s\",\"scp80\":{\"kvn\":%d,\"kic\":\"%s\",\"kid\":\"%s\"},"
                     "\"scp81\":{\"kvn\":%d,\"psk_id\":\"%s\",\"psk\":\"%s\"}}\n",
                     ids->eid, ids->msisdn, RSP_EUM_SCP80_KVN, kic, kid, RSP_EUM_SCP81_KVN, psk_id, psk);
    rsp_wipe(kic, sizeof(kic));
    rsp_wipe(kid, sizeof(kid));
    rsp_wipe(psk, sizeof(psk));
    if (n < 0 || (size_t)n >= sizeof(s->line))
        return RSP_ERR_OVERFLOW;
    return rsp_buf_append(keys, s->line, (size_t)n);
}

rsp_err rsp_eum_card_make(rsp_eum_ctx *x, const rsp_eum_ids *ids, rsp_euicc_fleet *f, rsp_es_msg *msg,
                          rsp_buf *keys, rsp_diag *diag)
{
    card_secrets s;
    rsp_buf cert = RSP_BUF_INIT;
    uint8_t eidb[16], isdp_aid[16];
    rsp_mfg_run run = {x->eum.key,       x->eum.id,        &x->eum.gpcert_der, x->pk_ci,
                       x->today,         x->expiry,        &x->pkg,            x->smsr_msisdn,
                       x->smsr_host,     x->smsr_uri,      x->smsr_port,       x->memory,
                       RSP_EUM_SCP80_KVN, RSP_EUM_SCP81_KVN};
    memset(&s, 0, sizeof(s));
    rsp_err e = rsp_eid_to_bytes(ids->eid, eidb);
    e = e ? e : rsp_mfg_card(&run, ids, f, &s.k, &cert, diag);
    e = e ? e : isdp_aid_of(x, f, ids->eid, isdp_aid, diag);
    e = e ? e : rsp_eum_wrap_card(x->wrap, eidb);
    e = e ? e : eis_build(x, ids, &cert, &s, isdp_aid, msg);
    e = e ? e : keys_line(ids, &s, keys);
    rsp_wipe(&s, sizeof(s));
    rsp_buf_free(&cert);
    return e;
}
