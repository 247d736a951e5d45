/* The fleet daemon's core: every card of a fleet behind a few SMPP binds, a notification timer and the
 * fault controls. Cards are driven only through include/rsp/euicc.h; the per-card state kept here is
 * volatile device state (offline, next tick, the open admin session), 24 bytes a card. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "fleet_int.h"
#include "rsp/heap.h"
#include "rsp/log.h"

/* SMPP 3.4 ESME_RX_T_APPN: the receiving side cannot take it now (the device is off). */
#define FLEET_STATUS_ABSENT 0x64u
#define FLEET_TICK_CALLS_MAX 2000 /* rsp_euicc_tick calls per timer run, so a big fleet never stalls the loop */

int64_t rsp_fleet_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: drop-sms needs a fair coin per SMS, not cryptographic quality. */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int cmp_ptr(const void *a, const void *b)
{
    const rsp_fleet_ptr_idx *x = a, *y = b;
    return x->card < y->card ? -1 : x->card > y->card;
}

static bool card_index(const rsp_fleet_host *h, const rsp_euicc *c, size_t *i)
{
    rsp_fleet_ptr_idx key = {c, 0};
    const rsp_fleet_ptr_idx *f = bsearch(&key, h->by_ptr, h->n, sizeof(*h->by_ptr), cmp_ptr);
    if (f)
        *i = f->i;
    return f != NULL;
}

static bool online(rsp_fleet_host *h, size_t i, int64_t now)
{
    rsp_fleet_card *fc = &h->cards[i];
    if (fc->offline_until > 0 && now >= fc->offline_until) {
        fc->offline_until = 0;
        RSP_LOGN(RSP_SS_EUICC, "device back online", "eid=%s", rsp_euicc_eid(rsp_euicc_fleet_at(h->fleet, i)));
    }
    return fc->offline_until == 0;
}

/* ---- SMPP ---- */

static void on_submitted(void *arg, rsp_err err, uint32_t status, const char *message_id)
{
    rsp_fleet_host *h = arg;
    (void)message_id;
    if (err == RSP_OK) {
        h->st.sms_out++;
    } else {
        h->st.sms_out_failed++;
        RSP_LOGI(RSP_SS_EUICC, "MO SMS not accepted", "err=%s status=0x%X", rsp_err_name(err), status);
    }
}

static rsp_smpp_esme *submit_link(rsp_fleet_host *h)
{
    for (size_t b = 0; b < h->nbinds; b++)
        if (rsp_smpp_esme_bound(h->esme[b]))
            return h->esme[b];
    return h->esme[0]; /* none bound: queue on the first, sent after its bind */
}

static bool covered(const rsp_fleet_host *h, const char *msisdn)
{
    size_t L = strlen(msisdn);
    for (size_t b = 0; b < h->nbinds; b++) {
        const char *p = h->ranges[b];
        while (*p) {
            size_t k = strcspn(p, ",");
            if (k && p[k - 1] == '*' ? !strncmp(p, msisdn, k - 1) : k == L && !strncmp(p, msisdn, k))
                return true;
            p += k + (p[k] == ',');
        }
    }
    for (size_t b = 0; b < h->nextra; b++)
        if (!strcmp(h->extra_addr[b], msisdn))
            return true;
    return false;
}

static uint32_t on_deliver(void *arg, const rsp_smpp_pdu *pdu);
static void on_state(void *arg, int bound);

static rsp_err bind_one(rsp_fleet_host *h, const char *system_id, const char *range, rsp_smpp_esme **out)
{
    rsp_smpp_esme_opts eo = {0};
    eo.host = h->o.smsc_host;
    eo.port = h->o.smsc_port;
    eo.system_id = system_id;
    eo.password = h->password;
    eo.system_type = "euicc";
    eo.address_range = range;
    eo.window = 50;
    eo.max_queue = 1000000; /* a notification storm of a whole fleet must queue, not fail */
    eo.hold_deliver_resp = 1; /* acknowledged only once the card's answer is durable (fleet_group.c) */
    eo.on_deliver = on_deliver;
    eo.on_state = on_state;
    eo.arg = h;
    return rsp_smpp_esme_new(h->base, &eo, out);
}

/* A card's MSISDN changed (fall-back) to a number no bind covers: one more receive-only bind for it. */
static void cover(rsp_fleet_host *h, const char *msisdn)
{
    if (!msisdn[0] || strlen(msisdn) >= sizeof(h->extra_addr[0]) || covered(h, msisdn))
        return;
    rsp_smpp_esme **v = realloc(h->extra, (h->nextra + 1) * sizeof(*v));
    if (v)
        h->extra = v;
    char(*a)[24] = v ? realloc(h->extra_addr, (h->nextra + 1) * sizeof(*a)) : NULL;
    if (!a)
        return;
    h->extra_addr = a;
    memcpy(h->extra_addr[h->nextra], msisdn, strlen(msisdn) + 1);
    char sid[16];
    snprintf(sid, sizeof(sid), "%.9s-x%u", h->system_id, (unsigned)((h->nextra + 1) % 1000));
    if (bind_one(h, sid, msisdn, &h->extra[h->nextra]) == RSP_OK) {
        h->nextra++;
        RSP_LOGN(RSP_SS_EUICC, "extra bind for a new MSISDN", "msisdn=%s system_id=%s", msisdn, sid);
    }
}

void rsp_fleet_carry_out_now(rsp_fleet_host *h, size_t i, rsp_euicc_out *out)
{
    rsp_euicc *c = rsp_euicc_fleet_at(h->fleet, i);
    const char *from = rsp_euicc_msisdn(c);
    cover(h, from);
    for (size_t k = 0; k < out->n_sms; k++) {
        rsp_smpp_pdu sm;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_fleet_tpdu_to_submit(out->sms[k].tpdu.data, out->sms[k].tpdu.len, from, out->sms[k].to, &sm, &d);
        if (e == RSP_OK)
            e = rsp_smpp_esme_submit(submit_link(h), &sm, on_submitted, h);
        if (e != RSP_OK) {
            h->st.sms_out_failed++;
            RSP_LOGE(RSP_SS_EUICC, "MO SMS not sent", "eid=%s err=%s why=\"%s\"", rsp_euicc_eid(c), rsp_err_name(e), d.msg);
        }
    }
    if (out->notif_msg.len)
        rsp_fleet_admin_notify(h->cards[i].admin, out->notif_msg.data, out->notif_msg.len);
    if (out->open_admin) {
        unsigned retries = out->admin.retry > 3 ? 3 : out->admin.retry;
        if (h->cards[i].admin) {
            /* the server may have ended it already (its 204 on the way) and queued more: a new
             * session follows this one, else the trigger waits for the server's resend (10 s) */
            rsp_fleet_admin_again(h->cards[i].admin, &out->admin, retries);
            RSP_LOGN(RSP_SS_EUICC, "admin session already open, trigger kept for after it", "eid=%s", rsp_euicc_eid(c));
        } else {
            rsp_err e = rsp_fleet_admin_start(h, i, &out->admin, retries, false);
            if (e != RSP_OK)
                RSP_LOGE(RSP_SS_EUICC, "admin session not opened", "eid=%s err=%s", rsp_euicc_eid(c), rsp_err_name(e));
        }
    }
    rsp_euicc_out_clear(out);
}

static uint32_t on_deliver(void *arg, const rsp_smpp_pdu *pdu)
{
    rsp_fleet_host *h = arg;
    rsp_fleet_group_arm(h); /* the resp is held until the end of this turn (after the group commit) */
    if (pdu->esm_class & RSP_SMPP_ESM_RECEIPT)
        return RSP_SMPP_ROK; /* receipts of our MO SMS: nothing to do */
    h->st.sms_in++;
    const char *to = pdu->dest_addr[0] == '+' ? pdu->dest_addr + 1 : pdu->dest_addr;
    rsp_euicc *c = rsp_euicc_fleet_by_msisdn(h->fleet, to);
    size_t i;
    if (!c || !card_index(h, c, &i)) {
        h->st.sms_unknown++;
        RSP_LOGI(RSP_SS_EUICC, "SMS for an unknown MSISDN", "to=%s", pdu->dest_addr);
        return RSP_SMPP_RINVDSTADR;
    }
    int64_t now = rsp_fleet_now_ms();
    if (!online(h, i, now)) {
        h->st.sms_offline++;
        RSP_LOGI(RSP_SS_EUICC, "SMS to a device that is off", "eid=%s", rsp_euicc_eid(c));
        return FLEET_STATUS_ABSENT;
    }
    if (h->drop_percent && rng_next(&h->rng) % 100 < h->drop_percent) {
        /* Lost on the radio: the network thinks it delivered. */
        h->st.sms_dropped++;
        RSP_LOGI(RSP_SS_EUICC, "SMS dropped (drop-sms)", "eid=%s", rsp_euicc_eid(c));
        return RSP_SMPP_ROK;
    }
    if (pdu->protocol_id != RSP_SMPP_PID_SIM_DOWNLOAD) {
        /* Not an SMS-PP download: the handset keeps it, the card never sees it. */
        RSP_LOGI(RSP_SS_EUICC, "SMS for the handset, not the card", "eid=%s pid=0x%02X", rsp_euicc_eid(c),
                 pdu->protocol_id);
        return RSP_SMPP_ROK;
    }
    rsp_buf tpdu = RSP_BUF_INIT;
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_fleet_deliver_to_tpdu(pdu, now, &tpdu, &d);
    if (e == RSP_OK) {
        h->st.sms_to_card++;
        rsp_fleet_group_join(h);
        e = rsp_euicc_sms_pp(c, tpdu.data, tpdu.len, now, &out, &d);
    }
    rsp_buf_free(&tpdu);
    if (e != RSP_OK) {
        RSP_LOGE(RSP_SS_EUICC, "SMS not handled", "eid=%s err=%s why=\"%s\"", rsp_euicc_eid(c), rsp_err_name(e), d.msg);
        rsp_euicc_out_clear(&out);
        return e == RSP_ERR_FORMAT ? RSP_SMPP_ROK : RSP_SMPP_RSYSERR;
    }
    rsp_fleet_host_carry_out(h, i, &out);
    return RSP_SMPP_ROK;
}

static void on_state(void *arg, int bound)
{
    rsp_fleet_host *h = arg;
    unsigned up = 0;
    for (size_t b = 0; b < h->nbinds; b++)
        up += rsp_smpp_esme_bound(h->esme[b]) ? 1 : 0;
    h->st.binds_up = up;
    RSP_LOGN(RSP_SS_EUICC, bound ? "bound to the SMSC" : "SMSC link down", "binds_up=%u of=%zu extra=%zu", up, h->nbinds,
             h->nextra);
}

/* ---- notifications ---- */

/* Asks card i for its notifications (it is due and online); its answer is grouped like any other. */
static void tick_card(rsp_fleet_host *h, size_t i, int64_t now)
{
    rsp_fleet_card *fc = &h->cards[i];
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    int64_t next = 0;
    rsp_fleet_group_join(h);
    h->st.ticks++;
    h->ticking = true; /* its own output does not ask it again: its answer below says when */
    rsp_err e = rsp_euicc_tick(rsp_euicc_fleet_at(h->fleet, i), now, &out, &next);
    if (e != RSP_OK) {
        rsp_euicc_out_clear(&out);
        next = now + 60000; /* try again later rather than spin */
    } else {
        rsp_fleet_host_carry_out(h, i, &out);
    }
    h->ticking = false;
    fc->next_due = next > 0 ? (next > now ? next : now + 1) : 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_fleet_host *h = arg;
    int64_t now = rsp_fleet_now_ms();
    unsigned calls = 0;
    for (size_t scanned = 0; scanned < h->n && calls < FLEET_TICK_CALLS_MAX; scanned++) {
        size_t i = h->cursor;
        h->cursor = (h->cursor + 1) % h->n;
        if (h->first_pass < h->n && ++h->first_pass % (h->n / 10 ? h->n / 10 : 1) == 0 && h->n >= 10000)
            RSP_LOGN(RSP_SS_EUICC, "start-up sweep", "cards_asked=%zu of=%zu", h->first_pass, h->n);
        rsp_fleet_card *fc = &h->cards[i];
        if (!fc->next_due || fc->next_due > now || !online(h, i, now))
            continue;
        calls++;
        tick_card(h, i, now);
    }
}

/* Cards asked again after an input are ticked in the same loop turn, not at the next timer run: the
 * notification of a switch then leaves with (right after) its PoR, in the same group, instead of up
 * to --tick-ms later. Only the cards on the list are visited, so this costs nothing per fleet size. */
static void on_soon(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    rsp_fleet_host *h = arg;
    size_t n = h->nsoon;
    size_t *v = h->soon;
    h->soon = NULL;
    h->nsoon = h->capsoon = 0;
    int64_t now = rsp_fleet_now_ms();
    for (size_t k = 0; k < n; k++)
        if (h->cards[v[k]].next_due == 1 && online(h, v[k], now))
            tick_card(h, v[k], now);
    free(v);
}

void rsp_fleet_ask_soon(rsp_fleet_host *h, size_t i)
{
    h->cards[i].next_due = 1; /* the timer asks it anyway if the list below cannot take it */
    if (h->ticking || !h->soon_ev)
        return;
    if (h->nsoon == h->capsoon) {
        size_t cap = h->capsoon ? 2 * h->capsoon : 64;
        size_t *v = realloc(h->soon, cap * sizeof(*v));
        if (!v)
            return;
        h->soon = v;
        h->capsoon = cap;
    }
    h->soon[h->nsoon++] = i;
    event_active(h->soon_ev, EV_TIMEOUT, 1);
}

/* ---- control ---- */

static rsp_euicc *ctl_card(rsp_fleet_host *h, const char *eid, size_t *i, char *answer, size_t cap)
{
    rsp_euicc *c = rsp_euicc_fleet_by_eid(h->fleet, eid);
    if (!c || !card_index(h, c, i)) {
        rsp_fleet_ctl_error(answer, cap, RSP_ERR_NOT_FOUND, "no card with this EID in the fleet");
        return NULL;
    }
    return c;
}

static void ctl_status(rsp_fleet_host *h, const char *eid, char *answer, size_t cap)
{
    if (eid[0]) {
        size_t i;
        rsp_euicc *c = ctl_card(h, eid, &i, answer, cap);
        if (!c)
            return;
        int64_t now = rsp_fleet_now_ms();
        char ms[64];
        rsp_fleet_json_str(ms, sizeof(ms), rsp_euicc_msisdn(c));
        snprintf(answer, cap,
                 "{\"ok\":true,\"eid\":\"%s\",\"msisdn\":\"%s\",\"online\":%s,\"admin_session\":%s,"
                 "\"next_tick_ms\":%lld}",
                 eid, ms, online(h, i, now) ? "true" : "false", h->cards[i].admin ? "true" : "false",
                 (long long)(h->cards[i].next_due ? h->cards[i].next_due - now : -1));
        return;
    }
    const rsp_fleet_stats *s = &h->st;
    snprintf(answer, cap,
             "{\"ok\":true,\"cards\":%zu,\"binds\":%zu,\"binds_up\":%u,\"drop_sms\":%u,\"sms_in\":%llu,"
             "\"sms_to_card\":%llu,\"sms_out\":%llu,\"sms_out_failed\":%llu,\"sms_dropped\":%llu,"
             "\"sms_offline\":%llu,\"sms_unknown\":%llu,\"ticks\":%llu,\"admin_opened\":%llu,\"admin_ok\":%llu,"
             "\"admin_failed\":%llu,\"admin_resumed\":%llu,\"admin_active\":%u,\"nvm_groups\":%llu,"
             "\"nvm_grouped\":%llu,\"nvm_group_failed\":%llu,\"nvm_commits\":%llu}",
             h->n, h->nbinds, s->binds_up, h->drop_percent, (unsigned long long)s->sms_in,
             (unsigned long long)s->sms_to_card, (unsigned long long)s->sms_out,
             (unsigned long long)s->sms_out_failed, (unsigned long long)s->sms_dropped,
             (unsigned long long)s->sms_offline, (unsigned long long)s->sms_unknown, (unsigned long long)s->ticks,
             (unsigned long long)s->admin_opened, (unsigned long long)s->admin_ok,
             (unsigned long long)s->admin_failed, (unsigned long long)s->admin_resumed, s->admin_active,
             (unsigned long long)s->nvm_groups, (unsigned long long)s->nvm_grouped,
             (unsigned long long)s->nvm_group_failed, (unsigned long long)rsp_euicc_fleet_commits(h->fleet));
}

void rsp_fleet_host_ctl(void *host, const rsp_fleet_ctl_cmd *cmd, char *answer, size_t cap)
{
    rsp_fleet_host *h = host;
    /* A fault acts on a card that is before or after its grouped commands, never inside the group, and
     * commands here are answered only after the card's own commit (no group open). */
    rsp_fleet_group_commit(h);
    int64_t now = rsp_fleet_now_ms();
    size_t i = 0;
    rsp_euicc *c = NULL;
    if (cmd->op != RSP_FLEET_CTL_STATUS && cmd->op != RSP_FLEET_CTL_DROP_SMS &&
        !(c = ctl_card(h, cmd->eid, &i, answer, cap)))
        return;
    switch (cmd->op) {
    case RSP_FLEET_CTL_STATUS:
        ctl_status(h, cmd->eid, answer, cap);
        return;
    case RSP_FLEET_CTL_DROP_SMS:
        h->drop_percent = cmd->percent;
        RSP_LOGN(RSP_SS_EUICC, "fault: drop-sms", "percent=%u", cmd->percent);
        snprintf(answer, cap, "{\"ok\":true,\"drop_sms\":%u}", cmd->percent);
        return;
    case RSP_FLEET_CTL_OFFLINE:
        /* The device is off: its admin connection goes with it (the card rolls the session back). */
        if (h->cards[i].admin)
            rsp_fleet_admin_abort(h->cards[i].admin, true);
        h->cards[i].offline_until = cmd->seconds ? now + (int64_t)cmd->seconds * 1000 : -1;
        RSP_LOGN(RSP_SS_EUICC, "fault: device off", "eid=%s seconds=%u", cmd->eid, cmd->seconds);
        snprintf(answer, cap, "{\"ok\":true,\"eid\":\"%s\",\"online\":false,\"seconds\":%u}", cmd->eid, cmd->seconds);
        return;
    case RSP_FLEET_CTL_ONLINE:
        h->cards[i].offline_until = 0;
        rsp_fleet_ask_soon(h, i); /* pending notifications go out now */
        RSP_LOGN(RSP_SS_EUICC, "device back online", "eid=%s", cmd->eid);
        snprintf(answer, cap, "{\"ok\":true,\"eid\":\"%s\",\"online\":true}", cmd->eid);
        return;
    case RSP_FLEET_CTL_RESET:
        if (h->cards[i].admin)
            rsp_fleet_admin_abort(h->cards[i].admin, false); /* the power cut ends it; the card rolls back */
        rsp_euicc_reset(c, now);
        rsp_fleet_ask_soon(h, i);
        RSP_LOGN(RSP_SS_EUICC, "fault: power cut", "eid=%s", cmd->eid);
        snprintf(answer, cap, "{\"ok\":true,\"eid\":\"%s\",\"reset\":true}", cmd->eid);
        return;
    case RSP_FLEET_CTL_NET_DOWN: {
        rsp_euicc_out out;
        memset(&out, 0, sizeof(out));
        rsp_err e = rsp_euicc_net_down(c, now, &out);
        if (e != RSP_OK) {
            rsp_euicc_out_clear(&out);
            rsp_fleet_ctl_error(answer, cap, e, e == RSP_ERR_STATE ? "no fall-back possible on this card" : NULL);
            return;
        }
        size_t nsms = out.n_sms;
        rsp_fleet_host_carry_out(h, i, &out);
        char ms[64];
        rsp_fleet_json_str(ms, sizeof(ms), rsp_euicc_msisdn(c));
        RSP_LOGN(RSP_SS_EUICC, "fault: network lost, fall-back", "eid=%s msisdn=%s sms=%zu", cmd->eid, ms, nsms);
        snprintf(answer, cap, "{\"ok\":true,\"eid\":\"%s\",\"msisdn\":\"%s\",\"sms\":%zu}", cmd->eid, ms, nsms);
        return;
    }
    }
    rsp_fleet_ctl_error(answer, cap, RSP_ERR_UNSUPPORTED, NULL);
}

/* ---- life cycle ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static rsp_err setup_binds(rsp_fleet_host *h)
{
    const char **ms = malloc((h->n ? h->n : 1) * sizeof(*ms));
    if (!ms)
        return RSP_ERR_NOMEM;
    for (size_t i = 0; i < h->n; i++)
        ms[i] = rsp_euicc_msisdn(rsp_euicc_fleet_at(h->fleet, i));
    qsort(ms, h->n, sizeof(*ms), cmp_str);
    rsp_err e = rsp_fleet_ranges(ms, h->n, h->o.max_binds, h->ranges, &h->nbinds);
    free(ms);
    if (e != RSP_OK)
        return e;
    if (h->nbinds == 0) {
        h->nbinds = 1; /* no MSISDN yet: still bind, to send */
        h->ranges[0][0] = 0;
    }
    for (size_t b = 0; b < h->nbinds && e == RSP_OK; b++) {
        char sid[16];
        if (h->nbinds == 1)
            snprintf(sid, sizeof(sid), "%s", h->system_id);
        else
            snprintf(sid, sizeof(sid), "%.12s-%c", h->system_id, (char)('1' + b)); /* b < 8 */
        e = bind_one(h, sid, h->ranges[b], &h->esme[b]);
        if (e == RSP_OK)
            RSP_LOGN(RSP_SS_EUICC, "binding", "system_id=%s address_range=\"%s\"", sid, h->ranges[b]);
    }
    return e;
}

rsp_err rsp_fleet_host_new(struct event_base *base, rsp_euicc_fleet *fleet, const rsp_fleet_host_opts *opts,
                           rsp_fleet_host **out)
{
    if (!base || !fleet || !opts || !opts->smsc_host || !out)
        return RSP_ERR_INVAL;
    const char *sid = opts->system_id ? opts->system_id : "euicc-fleet";
    const char *pw = opts->password ? opts->password : "";
    if (strlen(sid) > 12 || !sid[0] || strlen(pw) > 8 || opts->max_binds > RSP_FLEET_MAX_BINDS)
        return RSP_ERR_RANGE;
    rsp_heap_tune_daemon(); /* `rsp euicc run` is a daemon: see rsp/heap.h */
    rsp_fleet_host *h = calloc(1, sizeof(*h));
    if (!h)
        return RSP_ERR_NOMEM;
    h->base = base;
    h->fleet = fleet;
    h->o = *opts;
    memcpy(h->system_id, sid, strlen(sid) + 1);
    memcpy(h->password, pw, strlen(pw) + 1);
    h->o.system_id = h->system_id;
    h->o.password = h->password;
    if (!h->o.max_binds)
        h->o.max_binds = 4;
    if (!h->o.tick_ms)
        h->o.tick_ms = 200;
    if (!h->o.admin_timeout_ms)
        h->o.admin_timeout_ms = 30000;
    if (!h->o.admin_retry_ms)
        h->o.admin_retry_ms = 2000;
    h->rng = opts->seed ? opts->seed : (uint64_t)rsp_fleet_now_ms() * 0x9E3779B97F4A7C15ULL + 1;
    h->n = rsp_euicc_fleet_count(fleet);
    h->cards = calloc(h->n ? h->n : 1, sizeof(*h->cards));
    h->by_ptr = calloc(h->n ? h->n : 1, sizeof(*h->by_ptr));
    rsp_err e = h->cards && h->by_ptr ? RSP_OK : RSP_ERR_NOMEM;
    for (size_t i = 0; e == RSP_OK && i < h->n; i++) {
        h->by_ptr[i] = (rsp_fleet_ptr_idx){rsp_euicc_fleet_at(fleet, i), i};
        h->cards[i].next_due = 1; /* learn every card's pending notifications once */
    }
    if (e == RSP_OK)
        qsort(h->by_ptr, h->n, sizeof(*h->by_ptr), cmp_ptr);
    if (e == RSP_OK)
        e = rsp_fleet_group_init(h);
    if (e == RSP_OK && !(h->soon_ev = event_new(base, -1, 0, on_soon, h)))
        e = RSP_ERR_NOMEM;
    if (e == RSP_OK)
        e = setup_binds(h);
    if (e == RSP_OK && h->n) {
        struct timeval tv = {(time_t)(h->o.tick_ms / 1000), (suseconds_t)(h->o.tick_ms % 1000) * 1000};
        h->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, h);
        if (!h->tick_ev || event_add(h->tick_ev, &tv) != 0)
            e = RSP_ERR_NOMEM;
    }
    if (e != RSP_OK) {
        rsp_fleet_host_free(h);
        return e;
    }
    *out = h;
    return RSP_OK;
}

void rsp_fleet_host_stats(const rsp_fleet_host *h, rsp_fleet_stats *out)
{
    *out = h->st;
}

size_t rsp_fleet_host_ranges(const rsp_fleet_host *h, const char **ranges, size_t max)
{
    size_t k = 0;
    for (; k < h->nbinds && k < max; k++)
        ranges[k] = h->ranges[k];
    return h->nbinds;
}

void rsp_fleet_host_free(rsp_fleet_host *h)
{
    if (!h)
        return;
    rsp_fleet_group_commit(h);
    if (h->commit_ev)
        event_free(h->commit_ev);
    h->commit_ev = NULL; /* from here on no group opens: each card commits before it answers */
    if (h->soon_ev)
        event_free(h->soon_ev);
    h->soon_ev = NULL;
    free(h->soon);
    for (size_t i = 0; h->cards && i < h->n; i++)
        if (h->cards[i].admin)
            rsp_fleet_admin_abort(h->cards[i].admin, true);
    free(h->pend);
    if (h->tick_ev)
        event_free(h->tick_ev);
    for (size_t b = 0; b < RSP_FLEET_MAX_BINDS; b++)
        rsp_smpp_esme_free(h->esme[b]);
    for (size_t b = 0; b < h->nextra; b++)
        rsp_smpp_esme_free(h->extra[b]);
    free(h->extra);
    free(h->extra_addr);
    free(h->cards);
    free(h->by_ptr);
    free(h);
}
