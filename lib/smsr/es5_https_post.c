/* ES5 over HTTPS, the card's side of the admin server (es5_https.c holds the sessions, queues and
 * triggers): a card's POST (PSK identity checked by the TLS layer, read by admin.c) fires its
 * session's table row; its ?msg= notification is handled as the SMS path's and confirmed in the
 * session; a closed connection is seen at once; the PSK of a handshake is unsealed for that handshake
 * only; and the timer that keeps the leases of the engine's ops in the sessions alive (lease.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es5_https_int.h"
#include "rsp/ids.h"
#include "rsp/log.h"
#include "rsp/tls.h"

/* The card's notification in the session: the SMS path's handling, then the 3A08 confirmation
 * queued for this session (ahead of the next POST's decision). */
static void notification(smsr_https *h, ses *s, const smsr_adm_post *p)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    uint16_t seq = 0;
    rsp_buf apdu = RSP_BUF_INIT, script = RSP_BUF_INIT;
    rsp_err err = smsr_notif_handle(h->e, s->eid, p->msg, p->msg_len, smsr_https_now(), &seq, &d);
    err = err ? err : rsp_smsr_apdu_confirm(seq, &apdu);
    err = err ? err : rsp_smsr_script_one(&apdu, &script);
    job *j = err ? NULL : calloc(1, sizeof(*j));
    if (j) {
        j->body = script.data; /* taken */
        j->len = script.len;
        j->ends = true;
        script = (rsp_buf)RSP_BUF_INIT;
        if (s->tail)
            s->tail->next = j;
        else
            s->head = j;
        s->tail = j;
    }
    h->st.notifs++;
    char m[160];
    RSP_LOGN(RSP_SS_SMSR, "admin notification", "eid=%s seq=%u result=%s%s%s", s->eid, (unsigned)seq,
             rsp_err_name(err), err ? " why=" : "", err ? rsp_diag_str(&d, err, m, sizeof(m)) : "");
    rsp_buf_free(&apdu);
    rsp_buf_free(&script);
}

void smsr_https_on_request(void *arg, rsp_http_req *req)
{
    smsr_https *h = arg;
    static const char *const names[] = {"X-Admin-Protocol", "X-Admin-From", "X-Admin-Script-Status",
                                        "X-Admin-Resume", "Content-Type"};
    if (strcmp(rsp_http_req_method(req), "POST") != 0) {
        rsp_http_respond(req, 405, "Allow: POST\r\n", NULL, 0);
        return;
    }
    const rsp_net_peer *peer = rsp_http_req_peer(req);
    rsp_buf text = RSP_BUF_INIT;
    rsp_err err = RSP_OK;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && err == RSP_OK; i++) {
        const char *v = rsp_http_req_header(req, names[i]);
        if (!v)
            continue;
        err = rsp_buf_append(&text, names[i], strlen(names[i]));
        err = err ? err : rsp_buf_append(&text, ": ", 2);
        err = err ? err : rsp_buf_append(&text, v, strlen(v));
        err = err ? err : rsp_buf_append(&text, "\r\n", 2);
    }
    size_t blen = 0;
    const uint8_t *body = rsp_http_req_body(req, &blen);
    smsr_adm_post p;
    rsp_diag d;
    rsp_diag_clear(&d);
    err = err ? err
              : smsr_adm_post_parse(peer && peer->kind == RSP_NET_PEER_PSK ? peer->psk_identity : "",
                                    rsp_http_req_target(req), (const char *)text.data, text.len, blen, &p, &d);
    rsp_buf_free(&text);
    ses *s = err ? NULL : smsr_https_ses(h, p.eid, true);
    if (!s) {
        char m[160], t[96];
        RSP_LOGN(RSP_SS_SMSR, "admin POST refused", "target=\"%s\" err=%s why=\"%s\"",
                 rsp_http_log_escape(rsp_http_req_target(req), 80, t, sizeof(t)), rsp_err_name(err),
                 rsp_diag_str(&d, err ? err : RSP_ERR_NOMEM, m, sizeof(m)));
        rsp_http_respond(req, err == RSP_ERR_DENIED ? 403 : err ? 400 : 503, NULL, NULL, 0);
        return;
    }
    if (s->st == SMSR_ADM_CLOSED || s->st == SMSR_ADM_TRIGGERED) {
        h->st.opened++;
        RSP_LOGN(RSP_SS_SMSR, "admin session open", "eid=%s psk_id=%s resume=%d", s->eid,
                 peer ? peer->psk_identity : "", (int)p.resume);
    }
    s->tries = 0;
    s->conn = rsp_http_req_conn(req);
    if (p.msg_len)
        notification(h, s, &p);
    post_ctx pc = {req, body, blen, p.status};
    smsr_https_fire(s, p.response ? SMSR_ADM_EV_POST_RESPONSE : SMSR_ADM_EV_POST_OPEN, &pc);
}

/* The HTTP server saw a card's connection close: a session that was waiting on it (a POST held, a
 * script out) learns now, not at the idle time or answer_ms (20 s). */
void smsr_https_on_close(void *arg, uint64_t conn_id)
{
    smsr_https *h = arg;
    for (size_t i = 0; i < h->n; i++) {
        ses *s = h->s[i];
        if (s->conn != conn_id)
            continue;
        s->conn = 0;
        if (s->st == SMSR_ADM_HELD || s->st == SMSR_ADM_RUNNING) {
            h->st.gone++;
            RSP_LOGN(RSP_SS_SMSR, "admin session connection closed by the card", "eid=%s state=%s queued=%d", s->eid,
                     smsr_adm_state_name(s->st), s->head != NULL);
            smsr_https_fire(s, SMSR_ADM_EV_GONE, NULL);
        }
        return;
    }
}

/* Is a job of op_id (the engine's tag) queued or in flight in eid's session? */
static bool holds(void *arg, const char *eid, int64_t op_id)
{
    ses *s = smsr_https_ses(arg, eid, false);
    if (s && s->inflight && s->inflight->done && s->inflight->tag == (uint64_t)op_id)
        return true;
    for (const job *j = s ? s->head : NULL; j; j = j->next)
        if (j->done && j->tag == (uint64_t)op_id)
            return true;
    return false;
}

void smsr_https_on_renew(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    smsr_https *h = arg;
    smsr_lease_renew(h->e, smsr_https_now(), holds, h);
}

rsp_err smsr_https_psk_lookup(void *arg, const char *identity, uint8_t *key, size_t keymax, size_t *keylen)
{
    smsr_https *h = arg;
    uint8_t eid[16], aid[16], kid = 0, kvn = 0;
    size_t al = 0;
    char eids[33];
    rsp_err err = keymax < 16 ? RSP_ERR_LENGTH : rsp_scp81_psk_identity_parse(identity, eid, aid, &al, &kid, &kvn, NULL);
    if (err == RSP_OK && (al != RSP_AID_ISDR.len || memcmp(aid, RSP_AID_ISDR.b, al) != 0 || kid != 0x01))
        err = RSP_ERR_DENIED;
    err = err ? err : rsp_eid_from_bytes(eid, eids);
    err = err ? err : smsr_psk_get(h->e, eids, kvn, key);
    if (err != RSP_OK) {
        h->st.refused_psk++;
        char t[96];
        RSP_LOGN(RSP_SS_SMSR, "admin PSK identity refused", "psk_id=\"%s\" err=%s",
                 rsp_http_log_escape(identity, 80, t, sizeof(t)), rsp_err_name(err));
        rsp_wipe(key, keymax < 16 ? keymax : 16);
        return RSP_ERR_NOT_FOUND;
    }
    *keylen = 16;
    return RSP_OK;
}
