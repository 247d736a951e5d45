/* ES4/ES3.AuditEIS refreshes the EIS: the card's GET STATUS answer (E3 entries, one per ISD-P:
 * 4F AID, 9F70 life cycle state, 53 flags, 8F quota, 91 free; docs/modules/euicc.md) and its GET DATA
 * FF21 answer (extended card resources: 81 applications, 82 free non-volatile memory, 83 free
 * volatile memory; SGP02.md "Card and SM-SR details") are parsed as outside input, and the stored
 * profiles and memory figures that differ from the card's truth are updated, each change recorded in
 * the audit trail ("smsr.audit.changed"), before the operation settles, so the answer (built from the
 * store) shows what the card said; a stored ISD-P the card no longer lists is dropped (drop_gone). A card changes state without the SM-SR when the
 * device disables a test or emergency profile locally, or the fall-back fires on network loss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/log.h"
#include "rsp/rapdu.h"
#include "rsp/tlv.h"
#include "smsr_audit.h"
#include "smsr_int.h"
#include "smsr_outbox.h"

/* One field of an E3 entry: seen once, its exact length (0: 5..16, an AID). */
static rsp_err field(rsp_tlv_reader *r, const rsp_tlv *t, size_t want, bool *seen, rsp_diag *d)
{
    if (*seen)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, r->base + t->offset, "GET STATUS: tag %X twice in one E3",
                               (unsigned)t->tag);
    *seen = true;
    if (want ? t->len != want : (t->len < 5 || t->len > 16))
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, r->base + t->offset, "GET STATUS: tag %X of length %zu",
                               (unsigned)t->tag, t->len);
    return RSP_OK;
}

static rsp_err entry(rsp_tlv_reader *parent, const rsp_tlv *e3, rsp_smsr_isdp_status *s, rsp_diag *d)
{
    memset(s, 0, sizeof(*s));
    rsp_tlv_reader r;
    rsp_tlv_reader_nested(&r, parent, e3);
    bool aid = false, lcs = false;
    rsp_tlv t;
    rsp_err err;
    while ((err = rsp_tlv_next(&r, &t)) == RSP_OK) {
        switch (t.tag) {
        case 0x4F:
            if ((err = field(&r, &t, 0, &aid, d)) == RSP_OK) {
                memcpy(s->aid, t.value, t.len);
                s->aid_len = t.len;
            }
            break;
        case 0x9F70:
            if ((err = field(&r, &t, 1, &lcs, d)) == RSP_OK)
                s->lcs = t.value[0];
            break;
        case 0x53:
            if ((err = field(&r, &t, 1, &s->has_flags, d)) == RSP_OK)
                s->flags = t.value[0];
            break;
        case 0x8F:
            if ((err = field(&r, &t, 4, &s->has_quota, d)) == RSP_OK)
                s->quota = rsp_be32(t.value);
            break;
        case 0x91:
            if ((err = field(&r, &t, 4, &s->has_free, d)) == RSP_OK)
                s->free_mem = rsp_be32(t.value);
            break;
        default: break; /* GlobalPlatform allows more (privileges, ...): not ours to judge */
        }
        if (err)
            return err;
    }
    if (err != RSP_ERR_END) {
        if (d)
            *d = r.diag;
        return err;
    }
    if (!aid || !lcs)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, parent->base + e3->offset, "GET STATUS: E3 without %s",
                               aid ? "9F70 (life cycle state)" : "4F (AID)");
    return RSP_OK;
}

rsp_err rsp_smsr_status_parse(const uint8_t *p, size_t len, rsp_smsr_isdp_status *out, size_t cap, size_t *n,
                              rsp_diag *d)
{
    if (!out || !n || (!p && len))
        return RSP_ERR_INVAL;
    *n = 0;
    if (!len)
        return rsp_diag_set(d, RSP_ERR_FORMAT, "GET STATUS: no data");
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, p, len, RSP_TLV_DER);
    rsp_tlv t;
    rsp_err err;
    while ((err = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (t.tag != 0xE3)
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, t.offset, "GET STATUS: tag %X where E3 was expected",
                                   (unsigned)t.tag);
        if (*n == cap)
            return rsp_diag_set_at(d, RSP_ERR_LENGTH, t.offset, "GET STATUS: more than %zu ISD-Ps", cap);
        if ((err = entry(&r, &t, &out[*n], d)) != RSP_OK)
            return err;
        (*n)++;
    }
    if (err != RSP_ERR_END) {
        if (d)
            *d = r.diag;
        return err;
    }
    return RSP_OK;
}

/* One FF21 integer: unsigned big-endian of any length (SGP02.md) that fits an int64 (leading zero
 * bytes allowed, so a card may pad). */
static rsp_err res_int(rsp_tlv_reader *r, const rsp_tlv *t, bool *seen, int64_t *v, rsp_diag *d)
{
    if (*seen)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, r->base + t->offset, "GET DATA FF21: tag %X twice",
                               (unsigned)t->tag);
    *seen = true;
    if (t->len == 0)
        return rsp_diag_set_at(d, RSP_ERR_LENGTH, r->base + t->offset, "GET DATA FF21: tag %X empty",
                               (unsigned)t->tag);
    uint64_t x = 0;
    for (size_t i = 0; i < t->len; i++) {
        if (x >> 55)
            return rsp_diag_set_at(d, RSP_ERR_LENGTH, r->base + t->offset, "GET DATA FF21: tag %X too large",
                                   (unsigned)t->tag);
        x = x << 8 | t->value[i];
    }
    *v = (int64_t)x;
    return RSP_OK;
}

/* A TLV reader's error as this parser documents it (a bad tag or range is a format error). */
static rsp_err tlv_err(rsp_err e)
{
    return e == RSP_ERR_TRUNCATED || e == RSP_ERR_LENGTH || e == RSP_ERR_NOMEM ? e : RSP_ERR_FORMAT;
}

rsp_err smsr_resources_parse(const uint8_t *p, size_t len, smsr_resources *out, rsp_diag *d)
{
    if (!out || (!p && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    rsp_tlv top;
    rsp_err err = rsp_tlv_parse(p, len, RSP_TLV_DER, &top, d);
    if (err != RSP_OK)
        return tlv_err(err);
    if (top.tag != 0xFF21)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, 0, "GET DATA FF21: tag %X", (unsigned)top.tag);
    if (top.raw_len != len)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, top.raw_len, "GET DATA FF21: %zu bytes after it",
                               len - top.raw_len);
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, top.value, top.len, RSP_TLV_DER);
    r.base = top.raw_len - top.len; /* offsets in diag count from p */
    bool apps = false, vol = false;
    rsp_tlv t;
    while ((err = rsp_tlv_next(&r, &t)) == RSP_OK) {
        switch (t.tag) {
        case 0x81: err = res_int(&r, &t, &apps, &out->apps, d); break;
        case 0x82: err = res_int(&r, &t, &out->has_free_nvm, &out->free_nvm, d); break;
        case 0x83: err = res_int(&r, &t, &vol, &out->free_volatile, d); break;
        default: break; /* later versions add tags (e.g. 84 free ACL entries): not ours to judge */
        }
        if (err)
            return err;
    }
    if (err != RSP_ERR_END) {
        if (d)
            *d = r.diag;
        return tlv_err(err);
    }
    if (!out->has_free_nvm)
        return rsp_diag_set(d, RSP_ERR_FORMAT, "GET DATA FF21 without 82 (free non-volatile memory)");
    return RSP_OK;
}

rsp_err smsr_audit_script(const uint8_t *aid, size_t aid_len, rsp_buf *out)
{
    if (aid && (aid_len < 5 || aid_len > 16))
        return RSP_ERR_INVAL;
    aid_len = aid ? aid_len : 0;
    const uint8_t status[5] = {0x80, 0xF2, 0x40, 0x02, (uint8_t)(2 + aid_len + 5)};
    const uint8_t tail[5] = {0x5C, 0x03, 0x4F, 0x9F, 0x70};
    const uint8_t get_data[5] = {0x80, 0xCA, 0xFF, 0x21, 0x00};
    size_t m1, m2;
    rsp_err e;
    if ((e = rsp_tlv_begin(out, 0xAA, &m1)) != RSP_OK || (e = rsp_tlv_begin(out, 0x22, &m2)) != RSP_OK ||
        (e = rsp_buf_append(out, status, 5)) != RSP_OK || (e = rsp_tlv_put(out, 0x4F, aid, aid_len)) != RSP_OK ||
        (e = rsp_buf_append(out, tail, 5)) != RSP_OK || (e = rsp_tlv_end(out, m2)) != RSP_OK ||
        (e = rsp_tlv_put(out, 0x22, get_data, 5)) != RSP_OK)
        return e;
    return rsp_tlv_end(out, m1);
}

/* The store's state of a card life cycle state: 3F enabled, 1F disabled, else (07 selectable,
 * 0F personalized) created: installed but not yet usable. */
static rsp_store_profile_state state_of(uint8_t lcs)
{
    return lcs == 0x3F ? RSP_STORE_PROFILE_ENABLED
           : lcs == 0x1F ? RSP_STORE_PROFILE_DISABLED
                         : RSP_STORE_PROFILE_CREATED;
}

static const char *state_name(rsp_store_profile_state s)
{
    return s == RSP_STORE_PROFILE_ENABLED    ? "enabled"
           : s == RSP_STORE_PROFILE_DISABLED ? "disabled"
           : s == RSP_STORE_PROFILE_CREATED  ? "created"
                                             : "in-creation";
}

/* Applies one entry's state, fall-back and emergency flags (53: 01, 02) to its stored profile when
 * they differ. pass 0 applies what is taken away (a disabling, a flag off), pass 1 what is given (an
 * enabling, a flag on), so that the store's "one per card" rules hold between the two. */
static rsp_err apply(rsp_smsr *e, const rsp_store_op *op, rsp_store_profile *p, const rsp_smsr_isdp_status *s,
                     int pass, int64_t now)
{
    rsp_store_profile_state st = state_of(s->lcs);
    bool fb = s->has_flags && (s->flags & 0x01) != 0;
    rsp_err err = RSP_OK;
    char d[96];
    if (s->has_flags && fb != p->fallback && (pass == 1) == fb) {
        snprintf(d, sizeof(d), "%s fallback %s", p->iccid, fb ? "on" : "off");
        p->fallback = fb;
        if ((err = rsp_store_profile_put(e->st, p)) == RSP_OK)
            err = smsr_audit(e, op->eid, p->iccid, op->id, "smsr.audit.changed", d, now);
    }
    bool em = s->has_flags && (s->flags & 0x02) != 0;
    if (err == RSP_OK && s->has_flags && em != p->emergency && (pass == 1) == em) {
        snprintf(d, sizeof(d), "%s emergency %s", p->iccid, em ? "on" : "off");
        p->emergency = em;
        if ((err = rsp_store_profile_set_emergency(e->st, op->eid, p->iccid, em)) == RSP_OK)
            err = smsr_audit(e, op->eid, p->iccid, op->id, "smsr.audit.changed", d, now);
    }
    if (err || st == p->state || (pass == 1) != (st == RSP_STORE_PROFILE_ENABLED))
        return err;
    snprintf(d, sizeof(d), "%s state %s->%s", p->iccid, state_name(p->state), state_name(st));
    if ((err = rsp_store_profile_set_state(e->st, p->iccid, st)) == RSP_OK)
        err = smsr_audit(e, op->eid, p->iccid, op->id, "smsr.audit.changed", d, now);
    p->state = st;
    return err;
}

/* Splits the R-APDUs of the answer: FF21 data is the resources, the other one the GET STATUS data
 * (*complete: its SW was 9000, so it lists every ISD-P; 6310 would say more data is left). */
static rsp_err read_answer(const uint8_t *por_data, size_t len, rsp_smsr_isdp_status *s, size_t *n,
                           smsr_resources *res, bool *has_res, bool *complete, rsp_diag *d)
{
    rsp_rapdu_resp r;
    rsp_err err = rsp_rapdu_resp_parse(rsp_rapdu_detect(por_data, len), por_data, len, &r, d);
    if (err != RSP_OK)
        return err;
    bool status = false;
    *has_res = false;
    for (size_t i = 0; i < r.n && err == RSP_OK; i++) {
        const uint8_t *p = r.rsps[i].p;
        size_t l = r.rsps[i].len;
        bool ff21 = l >= 2 && p[0] == 0xFF && p[1] == 0x21;
        if (ff21 ? *has_res : status)
            return rsp_diag_set(d, RSP_ERR_FORMAT, "%s answered twice", ff21 ? "GET DATA FF21" : "GET STATUS");
        if (ff21)
            err = smsr_resources_parse(p, l, res, d), *has_res = true;
        else
            err = rsp_smsr_status_parse(p, l, s, RSP_SMSR_STATUS_MAX, n, d), status = true,
            *complete = r.rsps[i].sw == 0x9000;
    }
    if (err == RSP_OK && !status)
        err = rsp_diag_set(d, RSP_ERR_FORMAT, "no GET STATUS answer");
    return err;
}

/* The EIS's memory figures from FF21: RemainingMemory and AvailableMemoryForProfiles are both the
 * card's free non-volatile memory (what a new ISD-P can still be given). */
static rsp_err apply_memory(rsp_smsr *e, const rsp_store_op *op, const smsr_resources *res, int64_t now,
                            size_t *changes)
{
    rsp_store_eis s;
    memset(&s, 0, sizeof(s)); /* rsp_store_eis_get clears it first */
    rsp_err err = rsp_store_eis_get(e->st, op->eid, &s);
    if (err != RSP_OK)
        return err == RSP_ERR_NOT_FOUND ? RSP_OK : err; /* deleted meanwhile: nothing to refresh */
    bool changed = s.remaining_memory != res->free_nvm || s.available_memory != res->free_nvm;
    char d[96];
    snprintf(d, sizeof(d), "memory %lld/%lld->%lld", (long long)s.remaining_memory, (long long)s.available_memory,
             (long long)res->free_nvm);
    s.remaining_memory = s.available_memory = res->free_nvm;
    s.last_audit = now;
    err = rsp_store_eis_put(e->st, &s);
    if (err == RSP_OK && changed) {
        err = smsr_audit(e, op->eid, NULL, op->id, "smsr.audit.changed", d, now);
        (*changes)++;
    }
    rsp_store_eis_clear(&s);
    return err;
}

/* A stored ISD-P that the card's complete GET STATUS answer (every ISD-P asked, SW 9000) does not list
 * is gone from the card (a master delete, a deletion the SM-SR did not see): its row goes, with a trail
 * entry, and HandleProfileDeletedNotification is recorded for its SM-DP (ES3) and, by its ONC, its
 * Operator, sent once this audit settles (onc.c), so the SM-DP's inventory spends the identity. A row
 * still in creation stays: its CreateISDP may not have reached the card, and the download's own
 * cleanup deletes it. */
static rsp_err drop_gone(rsp_smsr *e, const rsp_store_op *op, const rsp_store_profile *all, size_t np,
                         const rsp_smsr_isdp_status *s, size_t n, int64_t now, size_t *changes)
{
    rsp_err err = RSP_OK;
    for (size_t k = 0; err == RSP_OK && k < np; k++) {
        bool listed = false;
        for (size_t i = 0; i < n && !listed; i++) {
            char hex[33];
            rsp_hex_encode_upper(s[i].aid, s[i].aid_len, hex, sizeof(hex));
            listed = strcmp(all[k].isdp_aid, hex) == 0;
        }
        if (listed || !all[k].isdp_aid[0] || all[k].state == RSP_STORE_PROFILE_IN_CREATION)
            continue;
        char tag[32], d[96];
        snprintf(tag, sizeof(tag), "audit%lld", (long long)op->id);
        snprintf(d, sizeof(d), "%s gone (ISD-P %s not on the card)", all[k].iccid, all[k].isdp_aid);
        err = smsr_onc_event(e, &all[k], RSP_STORE_NOTIF_DELETED, tag, op->id, now);
        err = err ? err : rsp_store_profile_delete(e->st, all[k].iccid);
        err = err ? err : smsr_audit(e, op->eid, all[k].iccid, op->id, "smsr.audit.changed", d, now);
        if (err == RSP_OK) {
            RSP_LOGN(RSP_SS_SMSR, "AuditEIS: ISD-P gone from the card", "eid=%s iccid=%s aid=%s op=%lld", op->eid,
                     all[k].iccid, all[k].isdp_aid, (long long)op->id);
            (*changes)++;
        }
    }
    return err;
}

rsp_err smsr_audit_refresh(rsp_smsr *e, const rsp_store_op *op, const uint8_t *por_data, size_t len, int64_t now,
                           size_t *changes, rsp_diag *d)
{
    size_t dummy;
    changes = changes ? changes : &dummy;
    *changes = 0;
    rsp_smsr_isdp_status *s = calloc(RSP_SMSR_STATUS_MAX, sizeof(*s));
    smsr_resources res;
    bool has_res = false, complete = false;
    size_t n = 0;
    rsp_err err = s ? read_answer(por_data, len, s, &n, &res, &has_res, &complete, d) : RSP_ERR_NOMEM;
    if (err != RSP_OK && err != RSP_ERR_NOMEM)
        err = RSP_ERR_FORMAT; /* whatever the parsers said (truncated, tag, length): unreadable; diag has it */
    rsp_store_profile *all = NULL;
    size_t np = 0;
    if (err == RSP_OK)
        err = rsp_store_profile_list(e->st, op->eid, &all, &np);
    for (int pass = 0; err == RSP_OK && pass < 2; pass++)
        for (size_t i = 0; err == RSP_OK && i < n; i++) {
            char hex[33];
            rsp_hex_encode_upper(s[i].aid, s[i].aid_len, hex, sizeof(hex));
            for (size_t k = 0; err == RSP_OK && k < np; k++) {
                if (strcmp(all[k].isdp_aid, hex) != 0)
                    continue;
                rsp_store_profile before = all[k];
                err = apply(e, op, &all[k], &s[i], pass, now);
                *changes += before.state != all[k].state || before.fallback != all[k].fallback ||
                            before.emergency != all[k].emergency;
            }
        }
    if (err == RSP_OK && complete)
        err = drop_gone(e, op, all, np, s, n, now, changes);
    if (err == RSP_OK && has_res)
        err = apply_memory(e, op, &res, now, changes);
    free(all);
    free(s);
    return err;
}

rsp_err smsr_audit_done(rsp_smsr *e, const rsp_store_op *op, const uint8_t *por_data, size_t len, int64_t now)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    size_t n = 0;
    rsp_err err = smsr_audit_refresh(e, op, por_data, len, now, &n, &d);
    char m[160];
    if (err == RSP_ERR_FORMAT) {
        /* the card said 9000 but its data is unreadable: the stored EIS stands, and the trail says so */
        RSP_LOGN(RSP_SS_SMSR, "AuditEIS: the card's answer is unreadable", "eid=%s op=%lld why=%s", op->eid,
                 (long long)op->id, rsp_diag_str(&d, err, m, sizeof(m)));
        return smsr_audit(e, op->eid, NULL, op->id, "smsr.audit.unreadable", rsp_err_name(err), now);
    }
    if (err == RSP_OK && n)
        RSP_LOGN(RSP_SS_SMSR, "AuditEIS: EIS refreshed from the card", "eid=%s op=%lld changes=%zu", op->eid,
                 (long long)op->id, n);
    return err;
}
