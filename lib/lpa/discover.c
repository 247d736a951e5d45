/* SM-DS discovery, LPA side (lpa.h §discovery). One state table:
 *
 * | step                   | what                                                   | on failure                       |
 * | clock                  | lpa_check_clock (the CA's validity; none with --insecure) | stop before connecting        |
 * | ES11 authenticate      | lpa_authenticate with the SM-DS address, no matchingId  | stop: nothing reached the card   |
 * | ES11 authenticateClient| the card's BF38 -> eventEntries (rsp_es9p_es11_answer_*) | stop (a card refusal is reported |
 * |                        |                                                        | after the SM-DS was told)        |
 * | event i (in order)     | rsp_lpa_download(rspServerAddress, matchingId=eventId) | before install: next event;      |
 * |                        |                                                        | during install: the rest skipped |
 *
 * ES11 goes to the ES9+ paths with the field smdpAddress (what lpac sends and the notes say the GSMA
 * root SM-DS answers; an SM-DS serves both families). The card keeps no session worth cancelling
 * after ES11: ES11 has no cancelSession and the next GetEuiccChallenge (the first download) starts a
 * new session on the card. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es9p.h"
#include "rsp/lpa.h"

#include "lpa_int.h"

/* ES11 authenticateClient: the card's answer to the SM-DS, its event list back. */
static rsp_err es11_client(lpa_dl *x, const rsp_buf *bf38, rsp_es11_answer *ans, rsp_diag *diag)
{
    rsp_es9p_msg m;
    rsp_es9p_msg_init(&m, RSP_ES9P_AUTHENTICATE_CLIENT, false);
    snprintf(m.transaction_id, sizeof(m.transaction_id), "%s", x->res->tid);
    rsp_buf body = RSP_BUF_INIT, raw = RSP_BUF_INIT;
    rsp_err e = rsp_buf_set(&m.authenticate_server_response, bf38->data, bf38->len);
    e = e ? e : rsp_es9p_encode(&m, &body, diag);
    e = e ? e : rsp_lpa_es9_post(x->es9, rsp_es9p_path(RSP_ES9P_AUTHENTICATE_CLIENT), &body, &raw, diag);
    e = e ? e : rsp_es9p_es11_answer_decode(raw.data, raw.len, ans, diag);
    e = e ? e : lpa_server_failed(x, "ES11 authenticateClient", &ans->header, diag);
    rsp_es9p_msg_free(&m);
    rsp_buf_free(&body);
    rsp_buf_free(&raw);
    return e;
}

/* Clock, ES11, the event list into ans. */
static rsp_err ask_smds(lpa_dl *x, rsp_es11_answer *ans, rsp_diag *diag)
{
    rsp_err e = lpa_check_clock(x, diag);
    if (!e && (e = rsp_lpa_es9_new(x->o->address, x->o->ca_file, x->o->insecure, x->o->timeout_ms, &x->es9, diag)))
        x->res->reached = RSP_LPA_PH_AUTH; /* no client for the SM-DS: nothing sent */
    rsp_buf bf38 = RSP_BUF_INIT;
    e = e ? e : lpa_authenticate(x, &bf38, diag);
    e = e ? e : es11_client(x, &bf38, ans, diag);
    if (!e && x->res->card_error >= 0)
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "AuthenticateServer: the card refused the SM-DS (error %d)",
                         x->res->card_error);
    rsp_buf_free(&bf38);
    rsp_lpa_es9_free(x->es9);
    x->es9 = NULL;
    return e;
}

rsp_err rsp_lpa_discover(rsp_lpa_card *c, const rsp_lpa_download_opts *o, rsp_lpa_discover_result *res,
                         rsp_diag *diag)
{
    memset(res, 0, sizeof(*res));
    rsp_lpa_download_result *a = &res->auth;
    a->card_error = a->bpp_command_id = a->error_reason = a->cancel_reason = -1;
    a->retry_safe = true;
    a->reached = RSP_LPA_PH_CLOCK;
    /* the ES11 part keeps no session record: nothing of it can be left half-done on the card */
    rsp_lpa_download_opts so = *o;
    so.session_path = NULL;
    so.matching_id = NULL;
    lpa_dl x = {c, &so, a, NULL, {0}, 0, "SM-DS"};
    rsp_es11_answer *ans = calloc(1, sizeof(*ans));
    rsp_err e = ans ? ask_smds(&x, ans, diag) : RSP_ERR_NOMEM;
    if (e) {
        free(ans);
        return e;
    }
    res->n_events = ans->n_events < RSP_LPA_MAX_EVENTS ? ans->n_events : RSP_LPA_MAX_EVENTS;
    lpa_progress(&x, RSP_LPA_PH_DISCOVER, "SM-DS %s: %zu pending event%s", o->address, res->n_events,
                 res->n_events == 1 ? "" : "s");
    bool stop = false;
    for (size_t i = 0; i < res->n_events; i++) {
        rsp_lpa_event_result *ev = &res->ev[i];
        snprintf(ev->event_id, sizeof(ev->event_id), "%s", ans->events[i].event_id);
        snprintf(ev->address, sizeof(ev->address), "%s", ans->events[i].rsp_server_address);
        if (stop) {
            res->skipped++;
            lpa_progress(&x, RSP_LPA_PH_DISCOVER, "event %zu/%zu %s at %s: skipped (the card must be asked first)", i + 1,
                         res->n_events, ev->event_id, ev->address);
            continue;
        }
        lpa_progress(&x, RSP_LPA_PH_DISCOVER, "event %zu/%zu: %s at %s", i + 1, res->n_events, ev->event_id, ev->address);
        rsp_lpa_download_opts d = *o;
        d.address = ev->address;
        d.matching_id = ev->event_id;
        d.confirmation_code = NULL; /* an event carries none; an order that needs one is postponed (1) */
        rsp_diag dd = {0};
        ev->attempted = true;
        ev->err = rsp_lpa_download(c, &d, &ev->dl, &dd);
        snprintf(ev->error, sizeof(ev->error), "%s", ev->err ? (dd.msg[0] ? dd.msg : rsp_err_msg(ev->err)) : "");
        if (!ev->err) {
            res->installed++;
            continue;
        }
        res->failed++;
        if (!ev->dl.retry_safe)
            stop = true; /* failed during installation: the card is in between, ask it before more */
    }
    free(ans);
    a->reached = RSP_LPA_PH_DONE;
    const char *first = "";
    for (size_t i = res->n_events; i-- > 0;)
        if (res->ev[i].attempted && res->ev[i].err)
            first = res->ev[i].error;
    if (res->failed || res->skipped)
        return rsp_diag_set(diag, RSP_ERR_STATE, "%zu of %zu events installed (%zu failed, %zu skipped)%s%s",
                            res->installed, res->n_events, res->failed, res->skipped, *first ? "; first: " : "",
                            first);
    return RSP_OK;
}
