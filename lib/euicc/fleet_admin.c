/* The SCP81 admin agent of each device (GP Amendment B over PSK-TLS 1.2): POST with no body, then for
 * every 200 the card runs the script and its response is POSTed to X-Admin-Next-URI with the script
 * status, until the server answers 204. A session that breaks off is told to the card (which rolls a
 * download back) and, if the trigger's retry policy allows, reopened later with X-Admin-Resume.
 *
 * States (one table, docs/modules/euicc-fleet.md):
 *   POSTING  --200 + script--> card runs it --> POSTING (response to Next-URI)
 *   POSTING  --204---------->  done (rsp_euicc_admin_end ok)
 *   POSTING  --error/other-->  WAITING (retries left: admin_end not ok, timer) or done (failed)
 *   WAITING  --timer-------->  POSTING (first POST again, X-Admin-Resume: true) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fleet_int.h"
#include "rsp/http.h"
#include "rsp/ids.h"
#include "rsp/log.h"
#include "rsp/scp81.h"
#include "rsp/tls.h"

typedef enum { ADMIN_POSTING = 1, ADMIN_WAITING } admin_state;

struct rsp_fleet_admin {
    rsp_fleet_host *h;
    size_t card;
    admin_state state;
    rsp_euicc_admin a; /* holds the PSK: wiped on free */
    rsp_tls_ctx *tls;
    rsp_http_client *http;
    struct event *retry_ev;
    unsigned retries, posts;
    bool resume;
    char *notif_hex; /* a notification (E1) to POST as ?msg=<hex> before the session ends */
    /* The script response, held until the NVM group that holds the script's effects is committed. */
    bool held;
    char *held_target;
    rsp_buf held_body;
    rsp_scp81_status held_status;
    /* rsp_fleet_admin_again: the session to open once this one ends (holds a PSK: wiped on free) */
    bool again;
    unsigned again_retries;
    rsp_euicc_admin again_a;
};

static const char *eid_of(const rsp_fleet_admin *s)
{
    return rsp_euicc_eid(rsp_euicc_fleet_at(s->h->fleet, s->card));
}

static void drop_conn(rsp_fleet_admin *s)
{
    /* From inside its own callback the client frees itself once the callback returns. */
    rsp_http_client_free(s->http);
    s->http = NULL;
    rsp_tls_ctx_free(s->tls);
    s->tls = NULL;
}

static void session_free(rsp_fleet_admin *s)
{
    drop_conn(s);
    if (s->retry_ev)
        event_free(s->retry_ev);
    if (s->h->cards[s->card].admin == s)
        s->h->cards[s->card].admin = NULL;
    s->h->st.admin_active--;
    free(s->notif_hex);
    free(s->held_target);
    rsp_buf_free(&s->held_body);
    rsp_wipe(&s->a, sizeof(s->a));
    rsp_wipe(&s->again_a, sizeof(s->again_a));
    free(s);
}

static void on_response(void *arg, rsp_err err, const rsp_http_response *resp);

static rsp_err post(rsp_fleet_admin *s, const char *target, const rsp_scp81_card_req *r, const uint8_t *body, size_t len)
{
    rsp_buf hdr = RSP_BUF_INIT;
    rsp_err e = rsp_scp81_card_headers(r, &hdr);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(&hdr, 0);
    if (e == RSP_OK)
        e = rsp_http_client_post(s->http, target[0] == '/' ? target : "/", (const char *)hdr.data, body, len,
                                 on_response, s);
    rsp_buf_free(&hdr);
    s->posts++;
    return e;
}

static rsp_err open_conn(rsp_fleet_admin *s)
{
    rsp_err e = rsp_tls_client_psk_new(s->a.psk_identity, s->a.psk, s->a.psk_len, NULL, &s->tls);
    rsp_http_client_opts ho = {0};
    ho.host = s->a.host;
    ho.port = s->a.port;
    ho.tls = s->tls;
    ho.timeout_ms = s->h->o.admin_timeout_ms;
    if (e == RSP_OK)
        e = rsp_http_client_new(s->h->base, &ho, &s->http);
    if (e != RSP_OK)
        return e;
    rsp_scp81_card_req r = {eid_of(s), RSP_AID_ISDR.b, RSP_AID_ISDR.len, false, RSP_SCP81_STATUS_NONE, s->resume};
    s->state = ADMIN_POSTING;
    return post(s, s->a.uri, &r, NULL, 0);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_fleet_admin *s = arg;
    s->h->st.admin_resumed++;
    RSP_LOGN(RSP_SS_EUICC, "admin session resumed", "eid=%s retries_left=%u", eid_of(s), s->retries);
    rsp_err e = open_conn(s);
    if (e != RSP_OK) {
        RSP_LOGE(RSP_SS_EUICC, "admin session not resumed", "eid=%s err=%s", eid_of(s), rsp_err_name(e));
        s->h->st.admin_failed++;
        session_free(s);
    }
}

/* The session broke off: the card rolls back; then either wait and resume, or give up. */
static void broke_off(rsp_fleet_admin *s, const char *why)
{
    rsp_fleet_group_join(s->h);
    rsp_fleet_host_carry_out(s->h, s->card, &(rsp_euicc_out){0}); /* the card is in the group (reset if it fails) */
    rsp_euicc_admin_end(rsp_euicc_fleet_at(s->h->fleet, s->card), false, rsp_fleet_now_ms());
    drop_conn(s);
    if (s->retries == 0) {
        RSP_LOGN(RSP_SS_EUICC, "admin session failed", "eid=%s why=\"%s\" posts=%u", eid_of(s), why, s->posts);
        s->h->st.admin_failed++;
        session_free(s);
        return;
    }
    s->retries--;
    s->resume = true;
    s->state = ADMIN_WAITING;
    RSP_LOGN(RSP_SS_EUICC, "admin session interrupted", "eid=%s why=\"%s\" retry_in_ms=%u", eid_of(s), why,
             s->h->o.admin_retry_ms);
    struct timeval tv = {(time_t)(s->h->o.admin_retry_ms / 1000), (suseconds_t)(s->h->o.admin_retry_ms % 1000) * 1000};
    if (!s->retry_ev)
        s->retry_ev = evtimer_new(s->h->base, on_retry, s);
    if (!s->retry_ev || evtimer_add(s->retry_ev, &tv) != 0) {
        s->h->st.admin_failed++;
        session_free(s);
    }
}

static rsp_scp81_status status_of(const char *name)
{
    static const rsp_scp81_status all[] = {RSP_SCP81_STATUS_OK, RSP_SCP81_STATUS_UNKNOWN_APPLICATION,
                                           RSP_SCP81_STATUS_NOT_A_SECURITY_DOMAIN, RSP_SCP81_STATUS_SECURITY_ERROR};
    for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
        if (!strcmp(name, rsp_scp81_status_name(all[k])))
            return all[k];
    return RSP_SCP81_STATUS_SECURITY_ERROR;
}

/* 200: the card runs the script; its response goes to the Next-URI. */
static void run_script(rsp_fleet_admin *s, const rsp_http_response *resp)
{
    rsp_buf text = RSP_BUF_INIT;
    for (size_t k = 0; k < resp->nheaders; k++) {
        const rsp_http_header *hd = &resp->headers[k];
        rsp_buf_append(&text, hd->name, hd->name_len);
        rsp_buf_append(&text, ": ", 2);
        rsp_buf_append(&text, hd->value, hd->value_len);
        rsp_buf_append(&text, "\r\n", 2);
    }
    rsp_scp81_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_scp81_headers_parse((const char *)text.data, text.len, &m, &d);
    rsp_buf_free(&text);
    if (e != RSP_OK || !m.protocol_ok || !m.next_uri[0]) {
        broke_off(s, e != RSP_OK ? d.msg : "200 without X-Admin-Protocol or X-Admin-Next-URI");
        return;
    }
    rsp_euicc *c = rsp_euicc_fleet_at(s->h->fleet, s->card);
    rsp_buf out = RSP_BUF_INIT;
    rsp_euicc_out eo;
    memset(&eo, 0, sizeof(eo));
    char status[32] = "";
    rsp_diag_clear(&d);
    rsp_fleet_group_join(s->h);
    e = rsp_euicc_admin_script(c, resp->body, resp->body_len, m.target_aid_len ? m.target_aid : NULL,
                               m.target_aid_len, rsp_fleet_now_ms(), &out, status, &eo, &d);
    rsp_fleet_host_carry_out(s->h, s->card, &eo);
    if (e != RSP_OK) {
        rsp_buf_free(&out);
        broke_off(s, d.msg[0] ? d.msg : rsp_err_msg(e));
        return;
    }
    /* The response leaves only once what the script changed is durable (rsp_fleet_admin_flush). */
    free(s->held_target);
    rsp_buf_free(&s->held_body);
    s->held_target = strdup(m.next_uri);
    s->held_body = out;
    s->held_status = status_of(status);
    if (!s->held_target) {
        broke_off(s, rsp_err_msg(RSP_ERR_NOMEM));
        return;
    }
    s->held = true;
    rsp_fleet_group_admin_post(s->h, s->card);
}

void rsp_fleet_admin_flush(rsp_fleet_admin *s, bool ok)
{
    if (!s || !s->held)
        return;
    s->held = false;
    rsp_err e = RSP_ERR_IO;
    if (ok) {
        rsp_scp81_card_req r = {eid_of(s), RSP_AID_ISDR.b, RSP_AID_ISDR.len, true, s->held_status, false};
        e = post(s, s->held_target, &r, s->held_body.data, s->held_body.len);
    }
    free(s->held_target);
    s->held_target = NULL;
    rsp_buf_free(&s->held_body);
    if (e != RSP_OK)
        broke_off(s, rsp_err_msg(e));
}

static void on_response(void *arg, rsp_err err, const rsp_http_response *resp)
{
    rsp_fleet_admin *s = arg;
    if (err == RSP_ERR_STATE && !resp)
        return; /* the client is being freed by us: the session is already accounted for */
    if (err != RSP_OK) {
        broke_off(s, rsp_err_msg(err));
        return;
    }
    if (resp->status == 204 && s->notif_hex) {
        /* The server is done with its scripts; the card still has a notification for it. */
        size_t ul = strlen(s->a.uri[0] == '/' ? s->a.uri : "/"), hl = strlen(s->notif_hex);
        char *target = malloc(ul + hl + 6);
        rsp_err e = target ? RSP_OK : RSP_ERR_NOMEM;
        if (e == RSP_OK) {
            snprintf(target, ul + hl + 6, "%s%cmsg=%s", s->a.uri[0] == '/' ? s->a.uri : "/",
                     strchr(s->a.uri, '?') ? '&' : '?', s->notif_hex);
            rsp_scp81_card_req r = {eid_of(s), RSP_AID_ISDR.b, RSP_AID_ISDR.len, false, RSP_SCP81_STATUS_NONE, false};
            e = post(s, target, &r, NULL, 0);
        }
        free(target);
        free(s->notif_hex);
        s->notif_hex = NULL;
        if (e != RSP_OK)
            broke_off(s, rsp_err_msg(e));
        return;
    }
    if (resp->status == 204) {
        rsp_fleet_group_join(s->h);
        rsp_fleet_host_carry_out(s->h, s->card, &(rsp_euicc_out){0});
        rsp_euicc_admin_end(rsp_euicc_fleet_at(s->h->fleet, s->card), true, rsp_fleet_now_ms());
        s->h->st.admin_ok++;
        RSP_LOGN(RSP_SS_EUICC, "admin session done", "eid=%s posts=%u", eid_of(s), s->posts);
        if (s->again) {
            rsp_fleet_host *h = s->h;
            size_t card = s->card;
            unsigned retries = s->again_retries;
            rsp_euicc_admin a = s->again_a;
            session_free(s);
            RSP_LOGN(RSP_SS_EUICC, "admin session reopened for the trigger that came during the last one", "eid=%s",
                     rsp_euicc_eid(rsp_euicc_fleet_at(h->fleet, card)));
            if (rsp_fleet_admin_start(h, card, &a, retries, false) != RSP_OK)
                RSP_LOGE(RSP_SS_EUICC, "admin session not reopened", "eid=%s",
                         rsp_euicc_eid(rsp_euicc_fleet_at(h->fleet, card)));
            rsp_wipe(&a, sizeof(a));
            return;
        }
        session_free(s);
        return;
    }
    if (resp->status != 200) {
        char why[48];
        snprintf(why, sizeof(why), "HTTP status %d", resp->status);
        broke_off(s, why);
        return;
    }
    run_script(s, resp);
}

rsp_err rsp_fleet_admin_start(rsp_fleet_host *h, size_t i, const rsp_euicc_admin *a, unsigned retries, bool resume)
{
    if (!h || !a || i >= h->n || h->cards[i].admin || !a->host[0] || !a->port || a->psk_len == 0)
        return RSP_ERR_INVAL;
    rsp_fleet_admin *s = calloc(1, sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    s->h = h;
    s->card = i;
    s->a = *a;
    s->retries = retries;
    s->resume = resume;
    h->cards[i].admin = s;
    h->st.admin_active++;
    h->st.admin_opened++;
    /* The PSK identity is an identifier, not a secret (SGP.02 ES5): it may be logged; the PSK never. */
    RSP_LOGN(RSP_SS_EUICC, "admin session opening", "eid=%s server=%s:%u uri=%s psk_id=%.40s", eid_of(s), a->host,
             a->port, a->uri, a->psk_identity);
    rsp_err e = open_conn(s);
    if (e != RSP_OK) {
        h->st.admin_failed++;
        session_free(s);
    }
    return e;
}

void rsp_fleet_admin_notify(rsp_fleet_admin *s, const uint8_t *e1, size_t len)
{
    if (!s || !len || s->notif_hex || s->state != ADMIN_POSTING)
        return; /* one at a time; the card resends what is not confirmed */
    s->notif_hex = malloc(2 * len + 1);
    if (s->notif_hex)
        rsp_hex_encode_upper(e1, len, s->notif_hex, 2 * len + 1);
}

void rsp_fleet_admin_again(rsp_fleet_admin *s, const rsp_euicc_admin *a, unsigned retries)
{
    if (!s || !a)
        return;
    s->again = true;
    s->again_retries = retries;
    s->again_a = *a;
}

void rsp_fleet_admin_abort(rsp_fleet_admin *s, bool tell_card)
{
    if (!s)
        return;
    if (tell_card && s->state == ADMIN_POSTING)
        rsp_euicc_admin_end(rsp_euicc_fleet_at(s->h->fleet, s->card), false, rsp_fleet_now_ms());
    s->h->st.admin_failed++;
    session_free(s);
}
