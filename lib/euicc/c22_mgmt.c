/* The consumer card's ES10a/c functions and its notification list (c22_int.h). One table of the
 * profile rules (SGP22.md §"ES10 functions"; [G] where marked in docs/ENCODINGS.md):
 *
 * | request          | refused with                                                     | on success                     |
 * | EnableProfile    | 1 not found, 2 not disabled, 3 the enabled one has PPR1          | it enabled, the other disabled |
 * | DisableProfile   | 1 not found, 2 not enabled, 3 PPR1                               | disabled                       |
 * | DeleteProfile    | 1 not found, 2 not disabled, 3 PPR2                              | gone with its package          |
 * | SetNickname      | 1 ICCID not found                                                | nickname kept                  |
 * | eUICCMemoryReset | 1 nothing to delete                                              | the asked classes deleted (PPRs|
 * |                  |                                                                  | ignored), default SM-DP+ reset |
 * | RemoveNotif...   | 1 no such seqNumber                                              | gone                           |
 * | LoadCRL          | 2 not a CRL, 1 no trusted CI signed it, 127 stale, 5 not fresher | kept per CI; its serials refuse|
 * |                  | (cRLNumber) than the one held                                    | CERT.DPauth/DPpb (code 1)      |
 *
 * Enable/disable/delete queue an OtherSignedNotification to each address of the profile's metadata
 * (B6) that asks for the event, in the same transaction as the change, committed before the answer. One
 * profile at most is enabled at any time. The refreshFlag is accepted and ignored: the simulator has no
 * terminal to REFRESH (catBusy never happens). */
#include <stdlib.h>
#include <string.h>

#include "c22_int.h"
#include "rsp/crl.h"
#include "rsp/tlv.h"

rsp_err c22_notif_store(rsp_es10_card *c, uint32_t seq, unsigned event, const char *address, const uint8_t *iccid,
                        const uint8_t *der, size_t der_len)
{
    c22_notif n = {.seq = seq, .event = event, .has_iccid = iccid != NULL};
    if (iccid)
        memcpy(n.iccid, iccid, 10);
    rsp_err e = rsp_buf_append(&n.address, address, strlen(address));
    e = e ? e : rsp_buf_append(&n.der, der, der_len);
    e = e ? e : c22_notif_add(c->store, &n);
    rsp_buf_free(&n.address);
    rsp_buf_free(&n.der);
    return e;
}

rsp_err c22_notify(rsp_es10_card *c, const c22_profile *p, unsigned event)
{
    rsp_es10_metadata md;
    rsp_es10_notif_target tg[8];
    size_t n = 0;
    if (rsp_es10_metadata_decode(p->meta.data, p->meta.len, &md, NULL) != RSP_OK || !md.notif_config.len ||
        rsp_es10_notif_config_decode(md.notif_config, tg, 8, &n, NULL) != RSP_OK)
        return RSP_OK; /* the metadata asks for nothing the card can read */
    rsp_err e = RSP_OK;
    for (size_t i = 0; !e && i < n; i++) {
        if (!(tg[i].events & event) || tg[i].address.len >= 256)
            continue;
        char addr[256];
        memcpy(addr, tg[i].address.p, tg[i].address.len);
        addr[tg[i].address.len] = 0;
        uint32_t seq = 0;
        rsp_buf meta = RSP_BUF_INIT, out = RSP_BUF_INIT;
        uint8_t sig[RSP_ES10_SIG_LEN];
        e = c22_next_seq(c->store, &seq);
        rsp_es10_notif_meta m = {.seq = seq, .events = event, .address = tg[i].address,
                                 .iccid = rsp_bytes_of(p->iccid, 10)};
        e = e ? e : rsp_es10_notif_meta_encode(&m, &meta);
        e = e ? e : rsp_ecdsa_sign(c->sk, meta.data, meta.len, sig);
        e = e ? e : rsp_es10_other_notif_encode(meta.data, meta.len, sig, c->cert_euicc.data, c->cert_euicc.len,
                                                c->cert_eum.data, c->cert_eum.len, &out);
        e = e ? e : c22_notif_store(c, seq, event, addr, p->iccid, out.data, out.len);
        rsp_buf_free(&meta);
        rsp_buf_free(&out);
    }
    return e;
}

/* ---- notifications ---- */

static rsp_err list_notification(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    unsigned events = 0;
    rsp_err e = rsp_es10_list_notif_req_decode(req, len, &events, NULL);
    if (e)
        return e;
    c22_notif *n = NULL;
    size_t k = 0, m = 0, a = 0;
    if ((e = c22_notifs(c->store, &n, &k)) != RSP_OK)
        return e;
    e = rsp_tlv_begin(resp, RSP_ES10_LIST_NOTIFICATION, &m);
    e = e ? e : rsp_tlv_begin(resp, 0xA0, &a);
    for (size_t i = 0; !e && i < k; i++) {
        if (events && !(events & n[i].event))
            continue;
        rsp_es10_notif_meta meta = {.seq = n[i].seq, .events = n[i].event, .address = rsp_buf_view(&n[i].address),
                                    .iccid = n[i].has_iccid ? rsp_bytes_of(n[i].iccid, 10) : rsp_bytes_of(NULL, 0)};
        e = rsp_es10_notif_meta_encode(&meta, resp);
    }
    e = e ? e : rsp_tlv_end(resp, a);
    e = e ? e : rsp_tlv_end(resp, m);
    c22_notifs_free(n, k);
    return e;
}

/* Whether notification n is one that request r asks for (seqNumber and/or event bits). */
static bool retrieve_selects(const rsp_es10_retrieve_req *r, const c22_notif *n)
{
    return (!r->has_seq || n->seq == r->seq) && (!r->has_events || (r->events & n->event));
}

static rsp_err retrieve_notifications(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_es10_retrieve_req r;
    rsp_err e = rsp_es10_retrieve_req_decode(req, len, &r, NULL);
    if (e)
        return e;
    c22_notif *n = NULL;
    size_t k = 0, m = 0, a = 0, found = 0;
    if ((e = c22_notifs(c->store, &n, &k)) != RSP_OK)
        return e;
    for (size_t i = 0; i < k; i++)
        found += retrieve_selects(&r, &n[i]);
    if (r.has_seq && !found) {
        c22_notifs_free(n, k);
        static const uint8_t no_result[] = {0xBF, 0x2B, 0x03, 0x81, 0x01, 0x01};
        return rsp_buf_append(resp, no_result, sizeof(no_result));
    }
    e = rsp_tlv_begin(resp, RSP_ES10_RETRIEVE_NOTIFICATIONS, &m);
    e = e ? e : rsp_tlv_begin(resp, 0xA0, &a);
    for (size_t i = 0; !e && i < k; i++)
        if (retrieve_selects(&r, &n[i]))
            e = rsp_buf_append(resp, n[i].der.data, n[i].der.len);
    e = e ? e : rsp_tlv_end(resp, a);
    e = e ? e : rsp_tlv_end(resp, m);
    c22_notifs_free(n, k);
    return e;
}

static rsp_err remove_notification(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    uint32_t seq = 0;
    bool found = false;
    rsp_err e = rsp_es10_remove_notif_req_decode(req, len, &seq, NULL);
    e = e ? e : c22_begin(c->store);
    if (e)
        return e;
    e = c22_notif_del(c->store, seq, &found);
    e = e ? (c22_rollback(c->store), e) : c22_commit(c->store);
    return e ? e : rsp_es10_result_encode(RSP_ES10_REMOVE_NOTIFICATION, found ? 0 : 1, resp);
}

/* ---- profiles ---- */

static bool matches(const c22_profile *p, rsp_es10_select by, rsp_bytes v)
{
    if (by == RSP_ES10_BY_AID)
        return v.len == 16 && !memcmp(p->aid, v.p, 16);
    if (by == RSP_ES10_BY_ICCID)
        return v.len == 10 && !memcmp(p->iccid, v.p, 10);
    return v.len == 1 && p->pclass == v.p[0];
}

static bool in_tag_list(rsp_bytes list, uint32_t tag)
{
    for (size_t i = 0; i < list.len;) {
        uint32_t t = list.p[i++];
        if ((t & 0x1F) == 0x1F)
            while (i < list.len) {
                t = (t << 8) | list.p[i];
                if (!(list.p[i++] & 0x80))
                    break;
            }
        if (t == tag)
            return true;
    }
    return false;
}

static rsp_err get_profiles_info(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_es10_profiles_req r;
    rsp_err e = rsp_es10_profiles_req_decode(req, len, &r, NULL);
    if (e)
        return e;
    c22_profile *p = NULL;
    size_t n = 0, m = 0, a = 0;
    if ((e = c22_profiles(c->store, &p, &n)) != RSP_OK)
        return e;
    e = rsp_tlv_begin(resp, RSP_ES10_GET_PROFILES_INFO, &m);
    e = e ? e : rsp_tlv_begin(resp, 0xA0, &a);
    for (size_t i = 0; !e && i < n; i++) {
        if (r.has_search && !matches(&p[i], r.by, r.value))
            continue;
        rsp_es10_metadata md;
        if (rsp_es10_metadata_decode(p[i].meta.data, p[i].meta.len, &md, NULL) != RSP_OK)
            memset(&md, 0, sizeof(md)), md.icon_type = -1;
        uint8_t ppr[2];
        size_t ppr_len = 0;
        rsp_es10_ppr_encode(p[i].ppr, ppr, &ppr_len);
        rsp_buf dp = RSP_BUF_INIT;
        if (p[i].dp_oid.len) {
            e = rsp_tlv_put(&dp, 0x80, p[i].dp_oid.data, p[i].dp_oid.len);
        }
        /* The default set of a real card: ICCID, AID, state, nickname, SPN, name, icon, class. */
        rsp_es10_profile_info x = {.iccid = rsp_bytes_of(p[i].iccid, 10), .isdp_aid = rsp_bytes_of(p[i].aid, 16),
                                   .state = p[i].state, .nickname = rsp_buf_view(&p[i].nickname), .spn = md.spn,
                                   .name = md.name, .icon_type = md.icon.len ? md.icon_type : -1, .icon = md.icon,
                                   .profile_class = p[i].pclass};
        if (r.tag_list.len) {
            rsp_bytes tl = r.tag_list, none = {NULL, 0};
            if (!in_tag_list(tl, 0x5A)) x.iccid = none;
            if (!in_tag_list(tl, 0x4F)) x.isdp_aid = none;
            if (!in_tag_list(tl, 0x9F70)) x.state = -1;
            if (!in_tag_list(tl, 0x90)) x.nickname = none;
            if (!in_tag_list(tl, 0x91)) x.spn = none;
            if (!in_tag_list(tl, 0x92)) x.name = none;
            if (!in_tag_list(tl, 0x93)) x.icon_type = -1;
            if (!in_tag_list(tl, 0x94)) x.icon = none;
            if (!in_tag_list(tl, 0x95)) x.profile_class = -1;
            if (in_tag_list(tl, 0xB6)) x.notif_config = md.notif_config;
            if (in_tag_list(tl, 0xB7)) x.owner = md.owner;
            if (in_tag_list(tl, 0xB8)) x.dp_proprietary = rsp_buf_view(&dp);
            if (in_tag_list(tl, 0x99)) x.ppr = rsp_bytes_of(ppr, ppr_len);
        }
        e = e ? e : rsp_es10_profile_info_encode(&x, resp);
        rsp_buf_free(&dp);
    }
    e = e ? e : rsp_tlv_end(resp, a);
    e = e ? e : rsp_tlv_end(resp, m);
    c22_profiles_free(p, n);
    return e;
}

/* Enable, disable, delete: the rules of the table, one transaction. */
static rsp_err profile_op(rsp_es10_card *c, uint32_t tag, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_es10_profile_req r;
    rsp_err e = rsp_es10_profile_req_decode(req, len, &r, NULL);
    if (e)
        return e;
    if (r.tag != tag)
        return RSP_ERR_TAG;
    c22_profile *p = NULL;
    size_t n = 0;
    if ((e = c22_begin(c->store)) != RSP_OK)
        return e;
    e = c22_profiles(c->store, &p, &n);
    int result = 1;
    c22_profile *t = NULL, *on = NULL;
    for (size_t i = 0; !e && i < n; i++) {
        if (matches(&p[i], r.by, r.id))
            t = &p[i];
        if (p[i].state == 1)
            on = &p[i];
    }
    if (!e && t) {
        if (tag == RSP_ES10_ENABLE_PROFILE)
            result = t->state != 0 ? 2 : on && (on->ppr & RSP_ES10_PPR1) ? 3 : 0;
        else if (tag == RSP_ES10_DISABLE_PROFILE)
            result = t->state != 1 ? 2 : (t->ppr & RSP_ES10_PPR1) ? 3 : 0;
        else
            result = t->state != 0 ? 2 : (t->ppr & RSP_ES10_PPR2) ? 3 : 0;
    }
    if (!e && result == 0) {
        if (tag == RSP_ES10_ENABLE_PROFILE) {
            if (on) {
                on->state = 0;
                e = c22_profile_put(c->store, on, NULL, 0);
                e = e ? e : c22_notify(c, on, RSP_ES10_EVENT_DISABLE);
            }
            t->state = 1;
            e = e ? e : c22_profile_put(c->store, t, NULL, 0);
            e = e ? e : c22_notify(c, t, RSP_ES10_EVENT_ENABLE);
        } else if (tag == RSP_ES10_DISABLE_PROFILE) {
            t->state = 0;
            e = c22_profile_put(c->store, t, NULL, 0);
            e = e ? e : c22_notify(c, t, RSP_ES10_EVENT_DISABLE);
        } else {
            e = c22_profile_del(c->store, t->iccid);
            e = e ? e : c22_notify(c, t, RSP_ES10_EVENT_DELETE);
        }
    }
    c22_profiles_free(p, n);
    e = e ? (c22_rollback(c->store), e) : c22_commit(c->store);
    return e ? e : rsp_es10_result_encode(tag, result, resp);
}

static rsp_err set_nickname(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_bytes iccid, nick;
    rsp_err e = rsp_es10_nickname_req_decode(req, len, &iccid, &nick, NULL);
    if (e)
        return e;
    if (iccid.len != 10 || nick.len > 64)
        return RSP_ERR_FORMAT;
    c22_profile *p = NULL;
    size_t n = 0;
    int result = 1;
    if ((e = c22_begin(c->store)) != RSP_OK)
        return e;
    e = c22_profiles(c->store, &p, &n);
    for (size_t i = 0; !e && i < n; i++) {
        if (memcmp(p[i].iccid, iccid.p, 10))
            continue;
        rsp_buf_reset(&p[i].nickname);
        e = rsp_buf_append(&p[i].nickname, nick.p, nick.len);
        e = e ? e : c22_profile_put(c->store, &p[i], NULL, 0);
        result = 0;
    }
    c22_profiles_free(p, n);
    e = e ? (c22_rollback(c->store), e) : c22_commit(c->store);
    return e ? e : rsp_es10_result_encode(RSP_ES10_SET_NICKNAME, result, resp);
}

static rsp_err memory_reset(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    unsigned bits = 0;
    rsp_err e = rsp_es10_memory_reset_req_decode(req, len, &bits, NULL);
    if (e)
        return e;
    c22_profile *p = NULL;
    size_t n = 0;
    bool changed = false;
    if ((e = c22_begin(c->store)) != RSP_OK)
        return e;
    e = c22_profiles(c->store, &p, &n);
    for (size_t i = 0; !e && i < n; i++) {
        /* deleteOperationalProfiles (0) takes operational and provisioning profiles,
         * deleteFieldLoadedTestProfiles (1) the test ones [G]; PPRs do not apply. */
        bool test = p[i].pclass == RSP_ES10_CLASS_TEST;
        if ((test && (bits & 2u)) || (!test && (bits & 1u))) {
            e = c22_profile_del(c->store, p[i].iccid);
            changed = true;
        }
    }
    if (!e && (bits & 4u)) {
        rsp_buf b = RSP_BUF_INIT;
        bool found = false;
        e = c22_cfg_get(c->store, "default_dp", &b, &found);
        e = e ? e : c22_cfg_del(c->store, "default_dp");
        changed = changed || found;
        rsp_buf_free(&b);
    }
    c22_profiles_free(p, n);
    e = e ? (c22_rollback(c->store), e) : c22_commit(c->store);
    return e ? e : rsp_es10_result_encode(RSP_ES10_MEMORY_RESET, changed ? 0 : 1, resp);
}

/* ---- addresses and RAT ---- */

#define C22_ROOT_DS "lpa.ds.gsma.com" /* the GSMA root SM-DS [G] */

static rsp_err configured_addresses(rsp_es10_card *c, rsp_buf *resp)
{
    rsp_buf b = RSP_BUF_INIT;
    bool found = false;
    rsp_err e = c22_cfg_get(c->store, "default_dp", &b, &found);
    e = e ? e
          : rsp_es10_addresses_encode(found ? rsp_buf_view(&b) : rsp_bytes_of(NULL, 0),
                                      rsp_bytes_of((const uint8_t *)C22_ROOT_DS, strlen(C22_ROOT_DS)), resp);
    rsp_buf_free(&b);
    return e;
}

static rsp_err set_default_dp(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_bytes a;
    rsp_err e = rsp_es10_set_default_dp_decode(req, len, &a, NULL);
    if (e)
        return e;
    if ((e = c22_begin(c->store)) != RSP_OK)
        return e;
    e = a.len ? c22_cfg_set(c->store, "default_dp", a.p, a.len) : c22_cfg_del(c->store, "default_dp");
    e = e ? (c22_rollback(c->store), e) : c22_commit(c->store);
    return e ? e : rsp_es10_result_encode(RSP_ES10_SET_DEFAULT_DP, 0, resp);
}

/* The simulator's RAT: PPR1 and PPR2 allowed for any operator (mccMnc EEEEEE, the wildcard), no
 * end-user consent [G]. */
static rsp_err get_rat(rsp_buf *resp)
{
    static const uint8_t any_op[] = {0x30, 0x05, 0x80, 0x03, 0xEE, 0xEE, 0xEE};
    static const uint8_t no_flags[] = {0x00};
    rsp_es10_rat_rule r = {.ppr = RSP_ES10_PPR1 | RSP_ES10_PPR2, .operators = rsp_bytes_of(any_op, sizeof(any_op)),
                           .flags = rsp_bytes_of(no_flags, 1)};
    return rsp_es10_rat_encode(&r, 1, resp);
}

/* ---- LoadCRL and the revocation check ---- */

/* The NVM key of CI k's CRL: "crl:" and its key identifier in hex. */
static void crl_key(const rsp_es10_card *c, size_t k, char out[64])
{
    memcpy(out, "crl:", 4);
    rsp_hex_encode(c->ci_info[k].ski, c->ci_info[k].ski_len, out + 4, 60);
}

static rsp_err ci_key(const rsp_es10_card *c, size_t k, rsp_eckey **pk)
{
    return rsp_ec_from_public(c->ci_info[k].curve, c->ci_info[k].pub, sizeof(c->ci_info[k].pub), pk);
}

/* A CRL signed by a CI the card trusts, fresh now, and not older (cRLNumber) than the one it holds for
 * that CI, replaces it [G: codes of the module, docs/ENCODINGS.md]. */
static rsp_err load_crl(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_buf der = RSP_BUF_INIT, old = RSP_BUF_INIT;
    rsp_err e = rsp_es10_load_crl_req_decode(req, len, &der, NULL);
    if (e) {
        rsp_buf_free(&der);
        return e;
    }
    rsp_crl *crl = NULL, *held = NULL;
    int code = rsp_crl_parse(der.data, der.len, &crl, NULL) == RSP_OK ? RSP_ES10_CRL_INVALID_SIGNATURE
                                                                       : RSP_ES10_CRL_INVALID_FORMAT;
    size_t k = 0;
    int64_t now = c->now ? (int64_t)c->now : (int64_t)time(NULL);
    for (; crl && code == RSP_ES10_CRL_INVALID_SIGNATURE && k < c->n_ci; k++) {
        rsp_eckey *pk = NULL;
        if (ci_key(c, k, &pk) != RSP_OK)
            continue;
        rsp_err v = rsp_crl_verify(crl, pk, now, NULL);
        rsp_ec_free(pk);
        if (v != RSP_ERR_VERIFY) {
            code = v == RSP_OK ? 0 : RSP_ES10_CRL_UNDEFINED; /* stale or not yet valid */
            break;
        }
    }
    char key[64];
    bool found = false;
    if (!code)
        crl_key(c, k, key);
    e = code ? RSP_OK : c22_begin(c->store);
    if (!e && !code) {
        e = c22_cfg_get(c->store, key, &old, &found);
        if (!e && found && rsp_crl_parse(old.data, old.len, &held, NULL) == RSP_OK &&
            rsp_crl_number(held) >= rsp_crl_number(crl))
            code = RSP_ES10_CRL_FRESHER_LOADED;
        if (!e && !code)
            e = c22_cfg_set(c->store, key, der.data, der.len);
        e = e ? (c22_rollback(c->store), e) : c22_commit(c->store);
        if (!e && !code) { /* the parsed CRL becomes the one revocation checks use */
            rsp_crl_free(c->crl[k]);
            c->crl[k] = crl;
            c->crl_read[k] = true;
            crl = NULL;
        }
    }
    rsp_crl_free(crl);
    rsp_crl_free(held);
    rsp_buf_free(&der);
    rsp_buf_free(&old);
    return e ? e : rsp_es10_load_crl_resp_encode(code, resp);
}

/* The serial of a DER certificate: 30{30 tbs{[A0 version] 02 serial ...} ...}. */
static bool cert_serial(rsp_bytes cert, rsp_bytes *serial)
{
    rsp_tlv c, tbs, f;
    if (rsp_tlv_parse(cert.p, cert.len, 0, &c, NULL) != RSP_OK ||
        rsp_tlv_parse(c.value, c.len, 0, &tbs, NULL) != RSP_OK ||
        rsp_tlv_parse(tbs.value, tbs.len, 0, &f, NULL) != RSP_OK)
        return false;
    if (f.tag == 0xA0 && rsp_tlv_parse(f.raw + f.raw_len, tbs.len - f.raw_len, 0, &f, NULL) != RSP_OK)
        return false;
    *serial = rsp_bytes_of(f.value, f.len);
    return f.tag == 0x02;
}

/* The stored CRL of CI k is read and parsed at the first check after the card is loaded, then kept:
 * every AuthenticateServer and PrepareDownload checks a certificate, and only LoadCRL changes it. An
 * NVM read that fails is not remembered (the next check tries again). */
bool c22_revoked(rsp_es10_card *c, size_t k, rsp_bytes cert)
{
    rsp_bytes serial;
    if (!c->crl_read[k]) {
        char key[64];
        rsp_buf der = RSP_BUF_INIT;
        bool found = false;
        crl_key(c, k, key);
        if (c22_cfg_get(c->store, key, &der, &found) == RSP_OK) {
            if (found && rsp_crl_parse(der.data, der.len, &c->crl[k], NULL) != RSP_OK)
                c->crl[k] = NULL; /* only a parsed CRL is ever stored; a damaged one revokes nothing */
            c->crl_read[k] = true;
        }
        rsp_buf_free(&der);
    }
    return c->crl[k] && cert_serial(cert, &serial) && rsp_crl_lookup(c->crl[k], serial.p, serial.len) != NULL;
}

void c22_crl_forget(rsp_es10_card *c)
{
    for (size_t k = 0; k < RSP_ES10_MAX_CI; k++) {
        rsp_crl_free(c->crl[k]);
        c->crl[k] = NULL;
        c->crl_read[k] = false;
    }
}

rsp_err c22_mgmt_handle(rsp_es10_card *c, uint32_t tag, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_err e;
    switch (tag) {
    case RSP_ES10_LIST_NOTIFICATION:
        return list_notification(c, req, len, resp);
    case RSP_ES10_RETRIEVE_NOTIFICATIONS:
        return retrieve_notifications(c, req, len, resp);
    case RSP_ES10_REMOVE_NOTIFICATION:
        return remove_notification(c, req, len, resp);
    case RSP_ES10_GET_PROFILES_INFO:
        return get_profiles_info(c, req, len, resp);
    case RSP_ES10_ENABLE_PROFILE:
    case RSP_ES10_DISABLE_PROFILE:
    case RSP_ES10_DELETE_PROFILE:
        return profile_op(c, tag, req, len, resp);
    case RSP_ES10_SET_NICKNAME:
        return set_nickname(c, req, len, resp);
    case RSP_ES10_MEMORY_RESET:
        return memory_reset(c, req, len, resp);
    case RSP_ES10_CONFIGURED_ADDRESSES:
        e = rsp_es10_empty_request_check(req, len, tag, NULL);
        return e ? e : configured_addresses(c, resp);
    case RSP_ES10_SET_DEFAULT_DP:
        return set_default_dp(c, req, len, resp);
    case RSP_ES10_LOAD_CRL:
        return load_crl(c, req, len, resp);
    case RSP_ES10_GET_RAT:
        e = rsp_es10_empty_request_check(req, len, tag, NULL);
        return e ? e : get_rat(resp);
    default:
        return RSP_ERR_UNSUPPORTED;
    }
}
