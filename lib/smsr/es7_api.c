/* The SM-SR change on the ES endpoint: ES4.PrepareSMSRChange / SMSRChange from the Operator and the
 * three ES7 functions from the other SM-SR (docs/modules/smsr_change.md). Every handler answers at
 * once: it records a step of the procedure (change.c's table, cursor in the audit trail), submits an
 * ISD-R command to the engine, or reads where things are; while the procedure goes on the answer is
 * Executed-WithWarning 1.6 / 3.7 "in progress" and the caller asks again (the same FCID: the engine
 * operation behind it is the same one, so a repeat never sends the card a command twice). ES7 is
 * for SM-SRs only: the client certificate's O must be "SM-SR" (`rsp ci issue --role smsr`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/es_types.h"
#include "rsp/gpcert.h"
#include "rsp/log.h"
#include "rsp/tlv.h"
#include "change_int.h"

static rsp_err pending(rsp_es_call *call, const char *msg)
{
    rsp_es_resp_hdr *h = rsp_es_call_response(call);
    if (!h)
        return rsp_es_call_complete(call);
    rsp_es_status_code *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    h->status.status = RSP_ES_EXECUTED_WITH_WARNING;
    h->status.code = c;
    c->subject = strdup(CHG_PENDING_SUBJECT);
    c->reason = strdup(CHG_PENDING_REASON);
    c->message = strdup(msg);
    if (!c->subject || !c->reason || !c->message)
        return RSP_ERR_NOMEM;
    return rsp_es_call_complete(call);
}

/* The peer's DN (RFC 2253) names the organisation the CI gave its role: "SM-SR" for SM-SRs. */
static bool peer_is_smsr(const char *peer)
{
    for (const char *p = peer; p && *p;) {
        if (strncmp(p, "O=", 2) == 0) {
            size_t n = strcspn(p + 2, ",+");
            if (n == 5 && strncmp(p + 2, "SM-SR", 5) == 0)
                return true;
        }
        p += strcspn(p, ",");
        p += *p == ',';
    }
    return false;
}

void chg_eis_kvns(const rsp_es_eis *eis, uint8_t *kvn80, uint8_t *kvn81)
{
    *kvn80 = *kvn81 = 0;
    const rsp_es_security_domain *sd = eis ? eis->isd_r : NULL;
    const rsp_es_key_set *ks = sd ? sd->key_sets.v : NULL;
    for (size_t i = 0; ks && i < sd->key_sets.n; i++) {
        if (ks[i].type == RSP_ES_KS_SCP80 && ks[i].version > 0 && ks[i].version <= 0x0F)
            *kvn80 = (uint8_t)ks[i].version;
        if (ks[i].type == RSP_ES_KS_SCP81 && ks[i].version >= 0x40 && ks[i].version <= 0x4F)
            *kvn81 = (uint8_t)ks[i].version;
    }
}

const rsp_buf *chg_ecasd_cert(const rsp_es_eis *eis)
{
    const rsp_es_security_domain *sd = eis && eis->signed_info ? eis->signed_info->ecasd : NULL;
    const rsp_es_key_set *ks = sd ? sd->key_sets.v : NULL;
    for (size_t i = 0; ks && i < sd->key_sets.n; i++) {
        if (ks[i].certificates.n)
            return &((const rsp_buf *)ks[i].certificates.v)[0];
        if (ks[i].certificate_entries.n)
            return &((const rsp_es_certificate *)ks[i].certificate_entries.v)[0].value;
    }
    return NULL;
}

/* The Operator and profile type of the card's enabled profile in st ("" when none is enabled). */
static void enabled_operator(rsp_store *st, const char *eid, char out[RSP_STORE_ID_LEN], char pt[RSP_STORE_ID_LEN])
{
    rsp_store_profile *all = NULL;
    size_t n = 0;
    out[0] = pt[0] = 0;
    if (rsp_store_profile_list(st, eid, &all, &n) == RSP_OK)
        for (size_t i = 0; i < n; i++)
            if (all[i].state == RSP_STORE_PROFILE_ENABLED) {
                snprintf(out, RSP_STORE_ID_LEN, "%s", all[i].mno_id);
                snprintf(pt, RSP_STORE_ID_LEN, "%s", all[i].profile_type);
            }
    free(all);
}

/* May who ask for the SM-SR change of a card whose enabled profile is mno's, of type pt? The Operator
 * itself, or an M2M SP (--m2msp-ids) that mno's PLMA in this SM-SR's store grants ES4-SMSRChange. */
static bool may_change(smsr_chg_es *x, rsp_store *st, const char *who, const char *mno, const char *pt)
{
    if (!who[0] || !mno[0])
        return false;
    if (strcmp(who, mno) == 0)
        return true;
    return smsr_listed(x->m2msp, who) && rsp_store_plma_check(st, mno, who, pt, RSP_STORE_FN_SMSR_CHANGE) == RSP_OK;
}

static bool eis_here(rsp_store *st, const char *eid)
{
    rsp_store_eis s;
    memset(&s, 0, sizeof(s));
    bool here = rsp_store_eis_get(st, eid, &s) == RSP_OK;
    rsp_store_eis_clear(&s);
    return here;
}

/* Who calls ES4: an Operator, or an M2M SP whose PLMA is checked against the card (may_change); an
 * SM-DP is refused. */
static bool operator_call(smsr_chg_es *x, rsp_es_call *call, char who[RSP_STORE_ID_LEN])
{
    smsr_cn_of(rsp_es_call_peer(call), who, RSP_STORE_ID_LEN);
    if (!who[0] || smsr_listed(x->smdp, who)) {
        rsp_es_call_reject(call, "1.1", "1.2", NULL,
                           "only the Operator of the enabled profile (or an M2M SP under its PLMA) changes the SM-SR");
        return false;
    }
    return true;
}

/* ES4.PrepareSMSRChange, on the SM-SR the card moves to. */
static rsp_err on_prepare(void *hctx, rsp_es_call *call)
{
    smsr_chg_es *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_smsr_change_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN];
    if (!operator_call(x, call, who))
        return RSP_OK;
    if (!q || !q->eid || !q->current_smsr_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "Eid and CurrentSMSRId are needed");
    if (!x->gpcert.len || !x->msisdn[0])
        return rsp_es_call_reject(call, "1.2", "4.2", NULL, "this SM-SR has no CERT.SR (gpcert beside --tls-key) or no MSISDN");
    if (!smsr_callbacks_url(&x->cb, q->current_smsr_id))
        return rsp_es_call_reject(call, "1.1", "2.1", q->current_smsr_id, "no URL configured for this SM-SR (--callbacks)");
    smsr_chg c;
    rsp_err err = smsr_chg_get(x->e->st, q->eid, &c);
    if (err != RSP_OK)
        return err;
    if (c.step == CHG_R_PREPARED && strcmp(c.peer, q->current_smsr_id) == 0 && strcmp(c.by, who) == 0)
        return rsp_es_call_complete(call);
    if (eis_here(x->e->st, q->eid))
        return rsp_es_call_reject(call, "8.1.1", "3.8", q->eid, "the eUICC is managed here, or a change to here is under way");
    snprintf(c.peer, sizeof(c.peer), "%s", q->current_smsr_id);
    snprintf(c.by, sizeof(c.by), "%s", who);
    c.fcid[0] = c.why[0] = 0;
    /* attempt numbers the receiver's FCIDs toward the sender and its own ISD-R operations: it only ever
     * grows for a card (an earlier procedure's FCIDs would replay that procedure's answers) */
    c.attempt = c.step == CHG_NONE ? 0 : c.attempt + 1;
    c.sub = 0;
    c.old80 = c.old81 = 0;
    c.has_rc = false;
    err = smsr_chg_move(x->e->st, &c, CHG_EV_PREPARE, who, (int64_t)time(NULL));
    chg_kick(x);
    if (err == RSP_ERR_STATE || err == RSP_ERR_FORMAT)
        return rsp_es_call_reject(call, "8.1.1", "3.8", q->eid, "a change of this eUICC is under way");
    return err ? err : rsp_es_call_complete(call);
}

/* ES4.SMSRChange, on the card's current SM-SR: answered as the procedure stands (a repeat of the same
 * FCID polls; another FCID after a failure tries again). */
static rsp_err on_change(void *hctx, rsp_es_call *call)
{
    smsr_chg_es *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_smsr_change_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN], mno[RSP_STORE_ID_LEN], pt[RSP_STORE_ID_LEN];
    if (!operator_call(x, call, who))
        return RSP_OK;
    if (!q || !q->eid || !q->target_smsr_id || !q->hdr.function_call_id)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "Eid, TargetSMSRId and FunctionCallIdentifier are needed");
    smsr_chg c;
    rsp_err err = smsr_chg_get(x->e->st, q->eid, &c);
    if (err != RSP_OK)
        return err;
    bool same = strcmp(c.fcid, q->hdr.function_call_id) == 0 && strcmp(c.by, who) == 0 &&
                strcmp(c.peer, q->target_smsr_id) == 0;
    if (same && c.step == CHG_S_DONE)
        return rsp_es_call_complete(call);
    if (same && c.step == CHG_S_FAILED)
        return rsp_es_call_reject(call, "8.4", "4.2", q->eid, c.why[0] ? c.why : "refused by the target SM-SR");
    if (c.step == CHG_S_REQUESTED && strcmp(c.peer, q->target_smsr_id) == 0 && strcmp(c.by, who) == 0)
        return pending(call, "SM-SR change in progress");
    uint8_t k[32];
    bool keys = smsr_keys_get(x->e, q->eid, k) == RSP_OK;
    rsp_wipe(k, sizeof(k));
    if (!keys || !eis_here(x->e->st, q->eid))
        return rsp_es_call_reject(call, "8.1.1", "3.9", q->eid, "Unknown EID: this SM-SR does not manage it");
    enabled_operator(x->e->st, q->eid, mno, pt);
    if (!may_change(x, x->e->st, who, mno, pt))
        return rsp_es_call_reject(call, "8.1.1", "1.2", q->eid,
                                  "not the Operator of the enabled profile, nor an M2M SP under its PLMA (ES4-SMSRChange)");
    if (!smsr_callbacks_url(&x->cb, q->target_smsr_id))
        return rsp_es_call_reject(call, "1.1", "2.1", q->target_smsr_id, "no URL configured for this SM-SR (--callbacks)");
    snprintf(c.peer, sizeof(c.peer), "%s", q->target_smsr_id);
    snprintf(c.by, sizeof(c.by), "%s", who);
    snprintf(c.fcid, sizeof(c.fcid), "%.63s", q->hdr.function_call_id);
    c.why[0] = 0;
    err = smsr_chg_move(x->e->st, &c, CHG_EV_CHANGE, who, (int64_t)time(NULL));
    chg_kick(x);
    if (err == RSP_ERR_STATE || err == RSP_ERR_FORMAT)
        return rsp_es_call_reject(call, "8.1.1", "3.8", q->eid, "a change of this eUICC is under way");
    return err ? err : pending(call, "SM-SR change accepted");
}

/* The calling SM-SR's CN, or the call rejected (ES7 is for SM-SRs only). */
static bool smsr_call(rsp_es_call *call, char who[RSP_STORE_ID_LEN])
{
    const char *peer = rsp_es_call_peer(call);
    smsr_cn_of(peer, who, RSP_STORE_ID_LEN);
    if (!who[0] || !peer_is_smsr(peer)) {
        RSP_LOGN(RSP_SS_SMSR, "ES7 refused: the caller is no SM-SR", "who=%s", who[0] ? who : "-");
        rsp_es_call_reject(call, "1.1", "1.2", NULL, "ES7 is for SM-SRs (certificate O=SM-SR)");
        return false;
    }
    return true;
}

/* ES7.HandoverEUICC, on the receiver: the EIS moves here (no keys yet) once; later calls poll. */
static rsp_err on_handover(void *hctx, rsp_es_call *call)
{
    smsr_chg_es *x = hctx;
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_eis_req *q = m ? m->body : NULL;
    char who[RSP_STORE_ID_LEN], mno[RSP_STORE_ID_LEN] = "", pt[RSP_STORE_ID_LEN] = "";
    if (!smsr_call(call, who))
        return RSP_OK;
    if (!q || !q->eis || !q->eis->signed_info || !q->eis->signed_info->eid)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "no Eis");
    const char *eid = q->eis->signed_info->eid;
    smsr_chg c;
    rsp_err err = smsr_chg_get(x->e->st, eid, &c);
    if (err != RSP_OK)
        return err;
    if (c.step == CHG_NONE || c.step == CHG_S_REQUESTED || c.step == CHG_S_DONE || c.step == CHG_S_FAILED ||
        strcmp(c.peer, who) != 0)
        return rsp_es_call_reject(call, "8.1.1", "1.2", eid, "no SM-SR change from this SM-SR prepared for this eUICC");
    if (c.step == CHG_R_DONE)
        return rsp_es_call_complete(call);
    if (c.step == CHG_R_FAILED)
        return rsp_es_call_reject(call, "8.4", "4.2", eid, c.why[0] ? c.why : "SM-SR change failed");
    if (c.step != CHG_R_PREPARED)
        return pending(call, "SM-SR change in progress");
    uint8_t k80, k81;
    chg_eis_kvns(q->eis, &k80, &k81);
    const rsp_buf *ecasd = chg_ecasd_cert(q->eis);
    const rsp_es_profile_info *pi = q->eis->profiles.v;
    for (size_t i = 0; i < q->eis->profiles.n; i++)
        if (pi[i].state == RSP_ES_STATE_ENABLED && pi[i].mno_id) {
            snprintf(mno, sizeof(mno), "%s", pi[i].mno_id);
            snprintf(pt, sizeof(pt), "%s", pi[i].profile_type ? pi[i].profile_type : "");
        }
    if (!ecasd || !ecasd->len)
        return rsp_es_call_reject(call, "1.1", "2.2", eid, "the EIS carries no CERT.ECASD: the receipt cannot be checked");
    if (!k80 || k80 == x->e->cfg.kvn)
        return rsp_es_call_reject(call, "8.1.1", "3.8", eid, "the eUICC's SCP80 key versions leave no room for ours");
    /* the Prepare could not be checked (no EIS here then): its caller is checked now, against this
     * SM-SR's own PLMA of the Operator (each SM-SR enforces the PLMAs set on it) */
    if (!may_change(x, x->e->st, c.by, mno, pt))
        return rsp_es_call_reject(call, "8.1.1", "1.2", eid,
                                  "the PrepareSMSRChange was not by the enabled profile's Operator nor an M2M SP under its PLMA");
    int64_t now = (int64_t)time(NULL);
    rsp_es_eis *eis = q->eis;
    char *had = eis->smsr_id;
    eis->smsr_id = NULL; /* the store's smsr_id is ours from here: "" (the EIS names the target) */
    err = rsp_smsr_eis_import(x->e, eis, now);
    eis->smsr_id = had;
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), "%s", eid);
    ks.kvn = CHG_ECASD_KVN;
    ks.type = 0xEC; /* CERT.ECASD as handed over: public, kept until the receipt is checked */
    if (err == RSP_OK)
        err = rsp_buf_set(&ks.keys, ecasd->data, ecasd->len);
    if (err == RSP_OK)
        err = rsp_store_keyset_put(x->e->st, &ks);
    rsp_store_keyset_clear(&ks);
    c.old80 = k80;
    c.old81 = k81;
    if (err == RSP_OK)
        err = smsr_chg_move(x->e->st, &c, CHG_EV_HANDOVER_IN, who, now);
    chg_kick(x);
    return err ? err : pending(call, "EIS received; key establishment follows");
}

/* The sender's side of AuthenticateSMSR / CreateAdditionalKeySet: the procedure must be the caller's. */
static bool sender_for(smsr_chg_es *x, rsp_es_call *call, const char *who, const char *eid)
{
    smsr_chg c;
    if (smsr_chg_get(x->e->st, eid, &c) != RSP_OK || c.step != CHG_S_REQUESTED || strcmp(c.peer, who) != 0) {
        rsp_es_call_reject(call, "8.1.1", "1.2", eid, "no SM-SR change of this eUICC to the calling SM-SR");
        return false;
    }
    return true;
}

/* The request of AuthenticateSMSR / CreateAdditionalKeySet from the SM-SR the card moves to, or NULL
 * with the call answered (*err: what the handler returns): the caller must be an SM-SR, the request
 * complete (with SmsrCertificate when need_cert), and the change of that eUICC its own. */
static const rsp_es_key_req *key_call(smsr_chg_es *x, rsp_es_call *call, char who[RSP_STORE_ID_LEN], bool need_cert,
                                      rsp_err *err)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_key_req *q = m ? m->body : NULL;
    *err = RSP_OK;
    if (!smsr_call(call, who))
        return NULL;
    if (!q || !q->eid || !q->hdr.function_call_id || (need_cert && !q->smsr_certificate.len)) {
        *err = rsp_es_call_reject(call, "1.1", "2.2", NULL,
                                  need_cert ? "Eid, SmsrCertificate and FunctionCallIdentifier are needed"
                                            : "Eid and FunctionCallIdentifier are needed");
        return NULL;
    }
    return sender_for(x, call, who, q->eid) ? q : NULL;
}

/* Submits (or finds again: same caller and FCID) the ISD-R command and answers with its state. */
static rsp_err run_isdr(smsr_chg_es *x, rsp_es_call *call, const char *who, const char *eid, const char *kind,
                        const char *fcid, const rsp_buf *apdu, rsp_buf *data, int *state)
{
    char f[RSP_STORE_ID_LEN], msg[96];
    int64_t op = 0;
    *state = 0;
    if (snprintf(f, sizeof(f), "%s:%s", kind, fcid) >= (int)sizeof(f))
        return rsp_es_call_reject(call, "1.1", "2.1", NULL, "FunctionCallIdentifier too long");
    rsp_err err = smsr_chg_isdr_submit(x->e, eid, who, f, apdu, (int64_t)time(NULL), &op);
    if (err != RSP_OK)
        return err;
    *state = smsr_chg_isdr_result(x->e, op, data, msg);
    if (*state < 0)
        return rsp_es_call_reject(call, "8.4", "4.2", eid, msg);
    if (*state == 0)
        return pending(call, "sent to the eUICC");
    return RSP_OK;
}

/* ES7.AuthenticateSMSR, on the sender: 3A01 with CERT.SR of the receiver to the card; its RC back. */
static rsp_err on_auth(void *hctx, rsp_es_call *call)
{
    smsr_chg_es *x = hctx;
    char who[RSP_STORE_ID_LEN];
    rsp_err err = RSP_OK;
    const rsp_es_key_req *q = key_call(x, call, who, true, &err);
    if (!q)
        return err;
    rsp_gpcert gc;
    if (rsp_gpcert_decode(q->smsr_certificate.data, q->smsr_certificate.len, &gc, NULL) != RSP_OK ||
        gc.role != RSP_GPCERT_ROLE_SMSR)
        return rsp_es_call_reject(call, "1.1", "2.1", q->eid, "SmsrCertificate is no SM-SR certificate (73 C8 02)");
    rsp_buf apdu = RSP_BUF_INIT, data = RSP_BUF_INIT;
    int st = 0;
    err = rsp_keyest_host_cert_apdu(q->smsr_certificate.data, q->smsr_certificate.len, &apdu);
    if (err == RSP_OK)
        err = run_isdr(x, call, who, q->eid, "auth", q->hdr.function_call_id, &apdu, &data, &st);
    rsp_tlv t;
    if (err == RSP_OK && st == 1) {
        rsp_es_data_resp *r = rsp_es_call_response(call);
        if (rsp_tlv_expect(data.data, data.len, 0x85, &t, NULL) != RSP_OK || t.len != 16)
            err = rsp_es_call_reject(call, "8.4", "4.2", q->eid, "the eUICC's answer to 3A01 is no challenge");
        else if ((err = rsp_buf_set(&r->random_challenge, t.value, 16)) == RSP_OK)
            err = rsp_es_call_complete(call);
    }
    rsp_buf_free(&apdu);
    rsp_buf_free(&data);
    return err;
}

/* ES7.CreateAdditionalKeySet, on the sender: 3A02 as the receiver signed it; DR and receipt back. */
static rsp_err on_keyset(void *hctx, rsp_es_call *call)
{
    smsr_chg_es *x = hctx;
    char who[RSP_STORE_ID_LEN];
    rsp_err err = RSP_OK;
    const rsp_es_key_req *q = key_call(x, call, who, false, &err);
    if (!q)
        return err;
    rsp_buf apdu = RSP_BUF_INIT, data = RSP_BUF_INIT;
    int st = 0;
    err = smsr_chg_keyset_apdu(q, &apdu);
    if (err != RSP_OK) {
        rsp_buf_free(&apdu);
        return rsp_es_call_reject(call, "1.1", "2.1", q->eid, "key set parameters outside what this SM-SR relays");
    }
    err = run_isdr(x, call, who, q->eid, "keyset", q->hdr.function_call_id, &apdu, &data, &st);
    if (err == RSP_OK && st == 1) {
        rsp_es_data_resp *r = rsp_es_call_response(call);
        rsp_tlv_reader rd;
        rsp_tlv t;
        rsp_err te;
        rsp_tlv_reader_init(&rd, data.data, data.len, 0);
        while (err == RSP_OK && (te = rsp_tlv_next(&rd, &t)) == RSP_OK)
            if (t.tag == 0x85)
                err = rsp_buf_set(&r->derivation_random, t.value, t.len);
            else if (t.tag == 0x86)
                err = rsp_buf_set(&r->receipt, t.value, t.len);
        if (err == RSP_OK && !r->receipt.len)
            err = rsp_es_call_reject(call, "8.4", "4.2", q->eid, "the eUICC's answer to 3A02 carries no receipt");
        else if (err == RSP_OK)
            err = rsp_es_call_complete(call);
    }
    rsp_buf_free(&apdu);
    rsp_buf_free(&data);
    return err;
}

rsp_err smsr_chg_es_merge(smsr_chg_es *x, const rsp_es_handler **h, size_t *n)
{
    static const struct {
        rsp_es_iface iface;
        const char *name;
        rsp_es_handler_fn fn;
    } own[] = {{RSP_ES4, "PrepareSMSRChange", on_prepare}, {RSP_ES4, "SMSRChange", on_change},
               {RSP_ES7, "HandoverEUICC", on_handover},    {RSP_ES7, "AuthenticateSMSR", on_auth},
               {RSP_ES7, "CreateAdditionalKeySet", on_keyset}};
    size_t k = sizeof(own) / sizeof(own[0]);
    rsp_es_handler *v = calloc(*n + k, sizeof(*v));
    if (!v)
        return RSP_ERR_NOMEM;
    if (*n)
        memcpy(v, *h, *n * sizeof(*v));
    for (size_t i = 0; i < k; i++)
        v[*n + i] = (rsp_es_handler){own[i].iface, own[i].name, false, own[i].fn, x};
    free(x->h);
    x->h = v;
    *h = v;
    *n += k;
    return RSP_OK;
}

rsp_err smsr_chg_read_file(const char *path, size_t max, rsp_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return RSP_ERR_NOT_FOUND;
    uint8_t b[4096];
    size_t k, start = out->len;
    rsp_err err = RSP_OK;
    while (err == RSP_OK && (k = fread(b, 1, sizeof(b), f)) > 0)
        err = out->len - start + k > max ? RSP_ERR_LENGTH : rsp_buf_append(out, b, k);
    fclose(f);
    return err;
}

rsp_err smsr_chg_es_new(rsp_smsr *e, const smsr_chg_opts *o, smsr_chg_es **out, rsp_diag *d)
{
    *out = NULL;
    if (!o->db || strlen(o->db) >= sizeof(((smsr_chg_es *)0)->db) || (o->m2msp_ids && strlen(o->m2msp_ids) >= 512) ||
        (o->smdp_ids && strlen(o->smdp_ids) >= 512) || (o->eis_dir && strlen(o->eis_dir) >= 512) ||
        (o->msisdn && strlen(o->msisdn) >= 24))
        return rsp_diag_set(d, RSP_ERR_LENGTH, "SM-SR change: a setting is too long");
    smsr_chg_es *x = calloc(1, sizeof(*x));
    if (!x)
        return RSP_ERR_NOMEM;
    x->e = e;
    snprintf(x->db, sizeof(x->db), "%s", o->db);
    snprintf(x->m2msp, sizeof(x->m2msp), "%s", o->m2msp_ids ? o->m2msp_ids : "");
    snprintf(x->smdp, sizeof(x->smdp), "%s", o->smdp_ids ? o->smdp_ids : "");
    snprintf(x->eis_dir, sizeof(x->eis_dir), "%s", o->eis_dir ? o->eis_dir : "");
    snprintf(x->msisdn, sizeof(x->msisdn), "%s", o->msisdn ? o->msisdn : "");
    rsp_err err = smsr_callbacks_parse(o->callbacks, &x->cb, d);
    /* CERT.SR.ECDSA: the `gpcert` of the folder `rsp ci issue --role smsr` made, beside the TLS key
     * (the same EC key signs the TLS handshake and the 3A02); none: this SM-SR cannot receive cards */
    if (err == RSP_OK && o->tls_key) {
        char path[1100];
        const char *slash = strrchr(o->tls_key, '/');
        int n = slash ? snprintf(path, sizeof(path), "%.*s/gpcert", (int)(slash - o->tls_key), o->tls_key)
                      : snprintf(path, sizeof(path), "gpcert");
        /* at most 64 KiB: a GP certificate is ~200 bytes */
        if (n > 0 && (size_t)n < sizeof(path) && smsr_chg_read_file(path, 65536, &x->gpcert) == RSP_OK &&
            rsp_ec_load_pem(o->tls_key, &x->sk) != RSP_OK)
            rsp_buf_free(&x->gpcert);
        if (!x->sk)
            rsp_buf_free(&x->gpcert);
    }
    x->peers = err == RSP_OK && x->cb.n ? calloc(x->cb.n, sizeof(*x->peers)) : NULL;
    if (err == RSP_OK && x->cb.n && !x->peers)
        err = RSP_ERR_NOMEM;
    for (size_t i = 0; err == RSP_OK && i < x->cb.n && o->tls_cert && o->tls_key && o->tls_ca; i++) {
        rsp_svc_client_opts co;
        memset(&co, 0, sizeof(co));
        co.url = x->cb.v[i].prefix;
        co.tls_cert = o->tls_cert;
        co.tls_key = o->tls_key;
        co.tls_ca = o->tls_ca;
        co.binding = RSP_SVC_BINDING_JSON;
        co.timeout_ms = 5000; /* every ES7 answer is immediate; a stop waits at most this */
        snprintf(x->peers[x->np].id, sizeof(x->peers[x->np].id), "%s", x->cb.v[i].id);
        if ((err = rsp_svc_client_new(&co, &x->peers[x->np].c, d)) == RSP_OK)
            x->np++;
    }
    /* no peer SM-SR to call: nothing to drive (the handlers still answer and refuse) */
    if (err == RSP_OK && x->np)
        err = chg_drv_start(x);
    if (err != RSP_OK) {
        smsr_chg_es_free(x);
        return err;
    }
    *out = x;
    return RSP_OK;
}

void smsr_chg_es_free(smsr_chg_es *x)
{
    if (!x)
        return;
    chg_drv_stop(x);
    for (size_t i = 0; i < x->np; i++)
        rsp_svc_client_free(x->peers[i].c);
    free(x->peers);
    smsr_callbacks_free(&x->cb);
    rsp_buf_free(&x->gpcert);
    rsp_ec_free(x->sk);
    free(x->h);
    free(x);
}
