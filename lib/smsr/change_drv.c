/* The SM-SR change driver: a thread of its own with its own store connection (the daemon's loop and
 * its group commit are never blocked by a call to the other SM-SR), which moves every open procedure
 * of this SM-SR one step per pass (docs/modules/smsr_change.md, "Driver"). It learns which cards have
 * one by reading the audit trail forward ("smsr.change" entries, from the start after a restart), and
 * acts on each card's latest cursor only, so whatever a crash interrupted is done again from the
 * cursor: a repeated ES7 call carries the same FCID, a repeated ISD-R command is the same engine
 * operation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/es_types.h"
#include "rsp/gpcert.h"
#include "rsp/log.h"
#include "change_int.h"

typedef struct drv {
    smsr_chg_es *x;
    rsp_store *st;
    rsp_smsr *e;       /* an engine over st: seals keys, imports, submits */
    int64_t after;     /* audit trail read so far */
    char (*open)[33];  /* cards with a procedure to move */
    size_t n, cap;
} drv;

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static rsp_svc_client *peer_client(smsr_chg_es *x, const char *id)
{
    for (size_t i = 0; i < x->np; i++)
        if (strcmp(x->peers[i].id, id) == 0)
            return x->peers[i].c;
    return NULL;
}

/* One ES call to id: 1 Executed-Success, 0 in progress or no answer (ask again), -1 refused (why). */
static int call_peer(drv *d, const char *id, rsp_es_iface iface, const char *fn, rsp_es_msg *req, rsp_es_msg *resp,
                     char why[96])
{
    rsp_svc_client *c = peer_client(d->x, id);
    why[0] = 0;
    if (!c) {
        snprintf(why, 96, "no URL for %s", id);
        return -1;
    }
    (void)iface;
    (void)fn;
    int http = 0;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    rsp_err err = rsp_svc_client_call(c, req, false, resp, &http, &dg);
    const rsp_es_fes *s = err == RSP_OK ? rsp_svc_client_status(resp) : NULL;
    if (err != RSP_OK) {
        char m[160];
        RSP_LOGN(RSP_SS_SMSR, "SM-SR change: call not answered (asked again)", "to=%s fn=%s err=%s", id,
                 req->func ? req->func->name : "?", rsp_diag_str(&dg, err, m, sizeof(m)));
        return 0;
    }
    if (!s) /* a notification (202) */
        return 1;
    if (s->status == RSP_ES_EXECUTED_SUCCESS)
        return 1;
    if (s->status == RSP_ES_EXECUTED_WITH_WARNING)
        return 0;
    snprintf(why, 96, "%s %s/%s: %s", id, s->code && s->code->subject ? s->code->subject : "?",
             s->code && s->code->reason ? s->code->reason : "?",
             s->code && s->code->message ? s->code->message : "refused");
    return -1;
}

static rsp_err req_new(rsp_es_iface iface, const char *fn, rsp_es_msg *m)
{
    memset(m, 0, sizeof(*m));
    const rsp_es_func *f = rsp_es_func_find(iface, fn, strlen(fn));
    return f ? rsp_es_msg_init(m, f, false) : RSP_ERR_INTERNAL;
}

static bool keep_all(void *ctx, const rsp_store_profile *p)
{
    (void)ctx;
    (void)p;
    return true;
}

/* CERT.ECASD from the EUM's EIS file of eid (eis_dir/<EID>.json, an ES1.RegisterEIS request). */
static rsp_err ecasd_from_file(const char *dir, const char *eid, rsp_buf *out)
{
    char path[640];
    if (!dir[0] || snprintf(path, sizeof(path), "%s/%s.json", dir, eid) >= (int)sizeof(path))
        return RSP_ERR_NOT_FOUND;
    rsp_buf b = RSP_BUF_INIT;
    rsp_err err = smsr_chg_read_file(path, 1u << 20, &b);
    rsp_es_msg m;
    memset(&m, 0, sizeof(m));
    const rsp_es_func *fn = rsp_es_func_find(RSP_ES1, "RegisterEIS", strlen("RegisterEIS"));
    if (err == RSP_OK)
        err = fn ? rsp_es_json_decode(fn, false, b.data, b.len, NULL, &m, NULL) : RSP_ERR_INTERNAL;
    const rsp_es_eis_req *q = err == RSP_OK ? m.body : NULL;
    const rsp_buf *c = q && q->eis && q->eis->signed_info && q->eis->signed_info->eid &&
                               strcmp(q->eis->signed_info->eid, eid) == 0
                           ? chg_ecasd_cert(q->eis)
                           : NULL;
    err = err ? err : c ? rsp_buf_set(out, c->data, c->len) : RSP_ERR_NOT_FOUND;
    rsp_es_msg_free(&m);
    rsp_buf_free(&b);
    return err;
}

static rsp_err key_set_add(rsp_es_security_domain *sd, int64_t version, int type, const rsp_buf *cert)
{
    rsp_es_key_set *v = realloc(sd->key_sets.v, (sd->key_sets.n + 1) * sizeof(*v));
    if (!v)
        return RSP_ERR_NOMEM;
    sd->key_sets.v = v;
    rsp_es_key_set *k = &v[sd->key_sets.n++];
    memset(k, 0, sizeof(*k));
    k->version = version;
    k->type = type;
    if (!cert)
        return RSP_OK;
    rsp_buf *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    k->certificates.v = c;
    k->certificates.n = 1;
    return rsp_buf_set(c, cert->data, cert->len);
}

/* The EIS the sender hands over: what its store keeps, the profiles' MSISDNs (the receiver's MSISDN
 * index), the ISD-R's key versions (what FinaliseISDRhandover deletes) and CERT.ECASD (the receipt). */
static rsp_err eis_build(drv *d, const smsr_chg *c, rsp_es_eis **out)
{
    rsp_store_eis s;
    memset(&s, 0, sizeof(s));
    rsp_err err = rsp_store_eis_get(d->st, c->eid, &s);
    if (err == RSP_OK)
        err = smsr_eis_of(d->e, &s, keep_all, NULL, out);
    rsp_store_eis_clear(&s);
    if (err != RSP_OK)
        return err;
    rsp_es_eis *eis = *out;
    rsp_es_profile_info *pi = eis->profiles.v;
    for (size_t i = 0; err == RSP_OK && i < eis->profiles.n; i++) {
        rsp_store_profile p;
        if (rsp_store_profile_get(d->st, pi[i].iccid, &p) != RSP_OK || (!p.msisdn[0] && !p.imsi[0]))
            continue;
        rsp_es_subscription_address *a = calloc(1, sizeof(*a));
        pi[i].subscription_address = a;
        if (!a || (p.msisdn[0] && !(a->msisdn = strdup(p.msisdn))) || (p.imsi[0] && !(a->imsi = strdup(p.imsi))))
            err = RSP_ERR_NOMEM;
    }
    uint8_t psk[16];
    bool has81 = smsr_psk_get(d->e, c->eid, d->e->cfg.psk_kvn, psk) == RSP_OK;
    rsp_wipe(psk, sizeof(psk));
    if (err == RSP_OK)
        err = key_set_add(eis->isd_r, d->e->cfg.kvn, RSP_ES_KS_SCP80, NULL);
    if (err == RSP_OK && has81)
        err = key_set_add(eis->isd_r, d->e->cfg.psk_kvn, RSP_ES_KS_SCP81, NULL);
    rsp_buf cert = RSP_BUF_INIT;
    if (err == RSP_OK && ecasd_from_file(d->x->eis_dir, c->eid, &cert) == RSP_OK)
        err = key_set_add(eis->signed_info->ecasd, 0x73, RSP_ES_KS_CA, &cert);
    rsp_buf_free(&cert);
    free(eis->smsr_id);
    eis->smsr_id = strdup(c->peer);
    return err == RSP_OK && !eis->smsr_id ? RSP_ERR_NOMEM : err;
}

/* ---- the sender ---- */

static rsp_err s_requested(drv *d, smsr_chg *c, int64_t now)
{
    rsp_es_msg req, resp;
    memset(&resp, 0, sizeof(resp));
    rsp_err err = req_new(RSP_ES7, "HandoverEUICC", &req);
    rsp_es_eis_req *q = req.body;
    char fcid[RSP_STORE_ID_LEN], why[96];
    snprintf(fcid, sizeof(fcid), "ho-%s", c->fcid);
    if (err == RSP_OK && !(q->hdr.function_call_id = strdup(fcid)))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK)
        err = eis_build(d, c, &q->eis);
    int r = err == RSP_OK ? call_peer(d, c->peer, RSP_ES7, "HandoverEUICC", &req, &resp, why) : 0;
    rsp_es_msg_free(&req);
    rsp_es_msg_free(&resp);
    if (err != RSP_OK || r == 0)
        return err;
    if (r < 0) {
        snprintf(c->why, sizeof(c->why), "%s", why);
        return smsr_chg_move(d->st, c, CHG_EV_HANDOVER_NO, d->e->worker, now);
    }
    /* the cursor first: a crash before the EIS is gone deletes it on the next pass (S_DONE) */
    c->why[0] = 0;
    if ((err = smsr_chg_move(d->st, c, CHG_EV_HANDOVER_OK, d->e->worker, now)) == RSP_OK)
        err = rsp_store_eis_delete(d->st, c->eid);
    return err;
}

/* ---- the receiver ---- */

static rsp_err r_fail(drv *d, smsr_chg *c, smsr_chg_event ev, const char *why, int64_t now)
{
    snprintf(c->why, sizeof(c->why), "%s", why);
    /* sub counts this procedure's key establishments (attempt keeps growing across procedures) */
    if (ev == CHG_EV_CARD_RETRY && c->sub + 1 >= SMSR_CHG_ATTEMPTS)
        ev = CHG_EV_GIVE_UP;
    if (ev == CHG_EV_CARD_RETRY) {
        c->attempt++;
        c->sub++;
    }
    rsp_err err = smsr_chg_move(d->st, c, ev, d->e->worker, now);
    if (err == RSP_OK && c->step == CHG_R_FAILED) /* nothing of ours is on the card: the EIS goes */
        err = rsp_store_eis_delete(d->st, c->eid);
    return err;
}

static rsp_err r_handed(drv *d, smsr_chg *c, int64_t now)
{
    rsp_es_msg req, resp;
    memset(&resp, 0, sizeof(resp));
    rsp_err err = req_new(RSP_ES7, "AuthenticateSMSR", &req);
    rsp_es_key_req *q = req.body;
    char fcid[RSP_STORE_ID_LEN], why[96];
    snprintf(fcid, sizeof(fcid), "%s-a%u", c->eid, c->attempt);
    if (err == RSP_OK && (!(q->hdr.function_call_id = strdup(fcid)) || !(q->eid = strdup(c->eid))))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK)
        err = rsp_buf_set(&q->smsr_certificate, d->x->gpcert.data, d->x->gpcert.len);
    int r = err == RSP_OK ? call_peer(d, c->peer, RSP_ES7, "AuthenticateSMSR", &req, &resp, why) : 0;
    const rsp_es_data_resp *a = r > 0 ? resp.body : NULL;
    if (r > 0 && (!a || a->random_challenge.len != 16)) {
        r = -1;
        snprintf(why, sizeof(why), "AuthenticateSMSR answered no 16-byte challenge");
    }
    if (r > 0) {
        memcpy(c->rc, a->random_challenge.data, 16);
        c->has_rc = true;
    }
    rsp_es_msg_free(&req);
    rsp_es_msg_free(&resp);
    if (err != RSP_OK || r == 0)
        return err;
    return r < 0 ? r_fail(d, c, CHG_EV_CARD_RETRY, why, now) : smsr_chg_move(d->st, c, CHG_EV_AUTH_OK, d->e->worker, now);
}

static rsp_err r_auth(drv *d, smsr_chg *c, int64_t now)
{
    uint8_t s[32];
    rsp_eckey *k = NULL;
    rsp_err err;
    do { /* a scalar outside [1, n-1] is drawn again */
        if ((err = rsp_random(s, sizeof(s))) != RSP_OK)
            return err;
    } while (rsp_ec_from_private(rsp_ec_curve(d->x->sk), s, &k) != RSP_OK);
    rsp_ec_free(k);
    /* durable before CreateAdditionalKeySet can go: a receipt answered after a crash still verifies */
    err = smsr_chg_esk_put(d->e, c->eid, s);
    rsp_wipe(s, sizeof(s));
    return err ? err : smsr_chg_move(d->st, c, CHG_EV_KEYSET_SENT, d->e->worker, now);
}

/* The key establishment's host side rebuilt from the cursor (RC) and the stored ephemeral key. */
static rsp_err host_of(drv *d, const smsr_chg *c, rsp_keyest_host *h, rsp_buf *apdu)
{
    uint8_t s[32], rc[18] = {0x85, 0x10};
    memcpy(rc + 2, c->rc, 16);
    rsp_err err = c->has_rc ? smsr_chg_esk_get(d->e, c->eid, s) : RSP_ERR_STATE;
    rsp_keyest_params p;
    memset(&p, 0, sizeof(p));
    p.kvn = d->e->cfg.kvn;
    p.smsr = true;
    if (err == RSP_OK)
        err = rsp_keyest_host_set_ephemeral(h, rsp_ec_curve(d->x->sk), s);
    rsp_wipe(s, sizeof(s));
    if (err == RSP_OK)
        err = rsp_keyest_host_challenge(h, rc, sizeof(rc), NULL);
    return err ? err : rsp_keyest_host_keyagree_apdu(h, &p, d->x->sk, rsp_ec_curve(d->x->sk), apdu);
}

static rsp_err pk_ecasd(drv *d, const char *eid, rsp_eckey **pk)
{
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    rsp_gpcert gc;
    rsp_err err = rsp_store_keyset_get(d->st, eid, CHG_ECASD_KVN, &ks);
    if (err == RSP_OK)
        err = rsp_gpcert_decode(ks.keys.data, ks.keys.len, &gc, NULL);
    if (err == RSP_OK)
        err = rsp_gpcert_public_key(&gc, rsp_ec_curve(d->x->sk), pk);
    rsp_store_keyset_clear(&ks);
    return err;
}

static rsp_err r_keyset(drv *d, smsr_chg *c, int64_t now)
{
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    rsp_buf apdu = RSP_BUF_INIT, ans = RSP_BUF_INIT;
    rsp_es_msg req, resp;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    char fcid[RSP_STORE_ID_LEN], why[96] = "";
    snprintf(fcid, sizeof(fcid), "%s-k%u", c->eid, c->attempt);
    rsp_err err = host_of(d, c, &h, &apdu);
    if (err == RSP_OK)
        err = req_new(RSP_ES7, "CreateAdditionalKeySet", &req);
    rsp_es_key_req *q = req.body;
    if (err == RSP_OK && (!(q->hdr.function_call_id = strdup(fcid)) || !(q->eid = strdup(c->eid))))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK)
        err = smsr_chg_keyset_fields(apdu.data, apdu.len, q);
    int r = err == RSP_OK ? call_peer(d, c->peer, RSP_ES7, "CreateAdditionalKeySet", &req, &resp, why) : 0;
    const rsp_es_data_resp *a = r > 0 ? resp.body : NULL;
    bool verified = false;
    if (r > 0 && a) {
        rsp_scp03_keys keys;
        rsp_eckey *pk = NULL;
        rsp_diag dg;
        rsp_diag_clear(&dg);
        uint8_t hdr[2] = {0x85, (uint8_t)a->derivation_random.len}, rt[2] = {0x86, (uint8_t)a->receipt.len};
        if (a->derivation_random.len && a->derivation_random.len <= 32) {
            rsp_buf_append(&ans, hdr, 2);
            rsp_buf_append(&ans, a->derivation_random.data, a->derivation_random.len);
        }
        if (a->receipt.len <= 32) {
            rsp_buf_append(&ans, rt, 2);
            rsp_buf_append(&ans, a->receipt.data, a->receipt.len);
        }
        if ((err = pk_ecasd(d, c->eid, &pk)) == RSP_OK &&
            rsp_keyest_host_finish(&h, pk, ans.data, ans.len, &keys, &dg) == RSP_OK) {
            /* the PSK where the card puts it (lib/euicc/isdp.c isdr_new_keys) */
            err = smsr_chg_keys_store(d->e, c->eid, d->e->cfg.kvn, d->e->cfg.psk_kvn, &keys);
            verified = err == RSP_OK;
        }
        rsp_wipe(&keys, sizeof(keys));
        rsp_ec_free(pk);
    }
    rsp_keyest_host_close(&h);
    rsp_buf_free(&apdu);
    rsp_buf_free(&ans);
    rsp_es_msg_free(&req);
    rsp_es_msg_free(&resp);
    if (err != RSP_OK || r == 0)
        return err;
    if (r < 0)
        return r_fail(d, c, CHG_EV_CARD_RETRY, why, now);
    if (!verified) {
        RSP_LOGN(RSP_SS_SMSR, "SM-SR change refused: the card's receipt does not verify", "eid=%s", c->eid);
        return r_fail(d, c, CHG_EV_RECEIPT_BAD, "the receipt does not verify", now);
    }
    c->why[0] = 0;
    c->sub = 0;
    err = smsr_chg_move(d->st, c, CHG_EV_RECEIPT_OK, d->e->worker, now);
    return err ? err : rsp_store_keyset_delete(d->st, c->eid, SMSR_CHG_ESK_KVN);
}

/* Our own ISD-R command (3A07, then DELETE) under the new keys, until done. */
static rsp_err r_own(drv *d, smsr_chg *c, int64_t now)
{
    bool addr = c->step == CHG_R_KEYS;
    rsp_buf apdu = RSP_BUF_INIT;
    char fcid[RSP_STORE_ID_LEN], msg[96];
    snprintf(fcid, sizeof(fcid), "%s-%s%u.%u", c->eid, addr ? "addr" : "del", c->attempt, c->sub);
    rsp_err err = addr ? smsr_chg_addr_apdu(d->x->msisdn, &apdu) : smsr_chg_delete_apdu(c->old80, c->old81, &apdu);
    int64_t op = 0;
    if (err == RSP_OK)
        err = smsr_chg_isdr_submit(d->e, c->eid, "smsr-change", fcid, &apdu, now, &op);
    rsp_buf_free(&apdu);
    int r = err == RSP_OK ? smsr_chg_isdr_result(d->e, op, NULL, msg) : 0;
    if (err != RSP_OK || r == 0)
        return err;
    /* a DELETE resent after a lost PoR finds the key sets gone (6A88): the first packet did it */
    if (r > 0 || (!addr && strstr(msg, "SW 6A88"))) {
        c->sub = 0;
        return smsr_chg_move(d->st, c, addr ? CHG_EV_ADDR_OK : CHG_EV_DELETE_OK, d->e->worker, now);
    }
    snprintf(c->why, sizeof(c->why), "%s", msg);
    c->sub++;
    return smsr_chg_move(d->st, c, CHG_EV_RESEND, d->e->worker, now);
}

/* r-done: ES4.HandleSMSRChangeNotification to the Operator that asked, at its URL of --callbacks, as
 * a row of the daemon's durable outbox (the loop's sender posts it with the daemon's TLS identity,
 * retried until a 2xx): SOAP 1.2, gsma dialect, as the SM-SR's other notifications (onc.c). The key
 * (EID, attempt) keeps it single however often a restart comes back here. false: nothing left to do. */
static bool r_notify(drv *d, smsr_chg *c, int64_t now)
{
    const char *url = smsr_callbacks_url(&d->x->cb, c->by);
    if (!url) {
        RSP_LOGN(RSP_SS_SMSR, "HandleSMSRChangeNotification not sent: no URL for the Operator (--callbacks)",
                 "eid=%s mno=%s", c->eid, c->by);
        return false;
    }
    rsp_store_outbox m;
    memset(&m, 0, sizeof(m));
    rsp_es_msg msg;
    rsp_err err = req_new(RSP_ES4, "HandleSMSRChangeNotification", &msg);
    rsp_es_notification *q = msg.body;
    char ts[21];
    rsp_es_datetime_now(ts);
    snprintf(m.owner, sizeof(m.owner), SMSR_OWNER);
    snprintf(m.key, sizeof(m.key), "smsrchange:%s:%u", c->eid, c->attempt);
    snprintf(m.url, sizeof(m.url), "%s", url);
    snprintf(m.ctype, sizeof(m.ctype), RSP_ES_SOAP12_CTYPE);
    m.created = m.next_attempt = now;
    msg.dialect = RSP_ES_DIALECT_GSMA;
    if (err == RSP_OK)
        err = rsp_es_action_format(msg.func, false, m.action, sizeof(m.action));
    if (err == RSP_OK && (!(q->hdr.function_call_id = strdup(m.key)) || !(q->eid = strdup(c->eid)) ||
                          !(q->completion_timestamp = strdup(ts)) || !(msg.wsa.to = strdup(url)) ||
                          !(msg.wsa.action = strdup(m.action)) || !(msg.wsa.message_id = strdup(m.key))))
        err = RSP_ERR_NOMEM;
    if (err == RSP_OK)
        err = rsp_es_soap_encode(&msg, &m.body, NULL);
    if (err == RSP_OK)
        err = rsp_store_outbox_add(d->st, &m, NULL);
    rsp_es_msg_free(&msg);
    rsp_store_outbox_clear(&m);
    if (err == RSP_OK)
        RSP_LOGN(RSP_SS_SMSR, "HandleSMSRChangeNotification queued", "eid=%s mno=%s", c->eid, c->by);
    return err != RSP_OK && err != RSP_ERR_EXISTS; /* not recorded: tried again next pass */
}

/* One pass over one card: false when nothing is left to do for it. */
static bool step(drv *d, const char *eid)
{
    smsr_chg c;
    int64_t now = (int64_t)time(NULL);
    if (smsr_chg_get(d->st, eid, &c) != RSP_OK)
        return false;
    rsp_err err = RSP_OK;
    bool open = true;
    switch (c.step) {
    case CHG_S_REQUESTED: err = s_requested(d, &c, now); break;
    case CHG_R_HANDED: err = r_handed(d, &c, now); break;
    case CHG_R_AUTH: err = r_auth(d, &c, now); break;
    case CHG_R_KEYSET: err = r_keyset(d, &c, now); break;
    case CHG_R_KEYS:
    case CHG_R_ADDR: err = r_own(d, &c, now); break;
    case CHG_R_DONE: open = r_notify(d, &c, now); break;
    case CHG_S_DONE:
    case CHG_R_FAILED: { /* the EIS goes (again, if a crash came between the cursor and the delete) */
        err = rsp_store_eis_delete(d->st, eid);
        err = err == RSP_ERR_NOT_FOUND ? RSP_OK : err;
        open = false;
        break;
    }
    default: open = false; break;
    }
    if (err != RSP_OK)
        RSP_LOGE(RSP_SS_SMSR, "SM-SR change step failed (tried again)", "eid=%s step=%s err=%s", eid,
                 smsr_chg_step_name(c.step), rsp_err_name(err));
    return open;
}

static rsp_err learn(drv *d)
{
    for (;;) {
        rsp_store_audit *v = NULL;
        size_t k = 0;
        rsp_err err = rsp_store_audit_list(d->st, NULL, d->after, 256, &v, &k);
        if (err != RSP_OK)
            return err;
        for (size_t i = 0; i < k; i++) {
            d->after = v[i].id;
            if (strcmp(v[i].event, "smsr.change") != 0)
                continue;
            size_t j = 0;
            while (j < d->n && strcmp(d->open[j], v[i].eid) != 0)
                j++;
            if (j < d->n)
                continue;
            char(*nv)[33] = smsr_grow(d->open, d->n, &d->cap, sizeof(*nv));
            if (!nv) {
                free(v);
                return RSP_ERR_NOMEM;
            }
            d->open = nv;
            snprintf(d->open[d->n++], 33, "%s", v[i].eid);
        }
        free(v);
        if (k < 256)
            return RSP_OK;
    }
}

static void *run(void *arg)
{
    drv d;
    memset(&d, 0, sizeof(d));
    d.x = arg;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    rsp_smsr_config cfg = d.x->e->cfg;
    cfg.on_settled = NULL; /* the daemon's metrics are its loop's */
    if (rsp_store_open(d.x->db, &dg, &d.st) != RSP_OK || rsp_smsr_new(d.st, &cfg, &d.e) != RSP_OK) {
        RSP_LOGE(RSP_SS_SMSR, "SM-SR change driver cannot start", "why=\"%s\"", dg.msg);
        rsp_store_close(d.st);
        return NULL;
    }
    int64_t scanned = 0;
    while (!atomic_load(&d.x->stop)) {
        /* the audit trail is read for new cards only when a handler here just started a procedure, and
         * every CHG_SCAN_MS (another worker's): the engine's own entries make it busy under load */
        int64_t ms = now_ms();
        rsp_err le = RSP_OK;
        if (!scanned || ms < atomic_load(&d.x->scan_until) || ms - scanned >= CHG_SCAN_MS) {
            le = learn(&d);
            scanned = ms;
        }
        if (le == RSP_OK) {
            for (size_t i = 0; i < d.n && !atomic_load(&d.x->stop);) {
                if (step(&d, d.open[i]))
                    i++;
                else
                    memmove(d.open[i], d.open[i + 1], (--d.n - i) * sizeof(d.open[0]));
            }
        }
        for (int i = 0; i < 10 && !atomic_load(&d.x->stop); i++) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    free(d.open);
    rsp_smsr_free(d.e);
    rsp_store_close(d.st);
    return NULL;
}

void chg_kick(smsr_chg_es *x)
{
    /* for 2 s: the handler's step becomes visible to the driver's connection at the loop turn's commit */
    atomic_store(&x->scan_until, now_ms() + 2000);
}

rsp_err chg_drv_start(smsr_chg_es *x)
{
    atomic_store(&x->stop, false);
    if (pthread_create(&x->th, NULL, run, x) != 0)
        return RSP_ERR_NOMEM;
    x->started = true;
    return RSP_OK;
}

void chg_drv_stop(smsr_chg_es *x)
{
    if (!x->started)
        return;
    atomic_store(&x->stop, true);
    pthread_join(x->th, NULL);
    x->started = false;
}
