/* ES5 over HTTPS, the parts without sockets: the ONE table of an SCP81 admin session as the SM-SR
 * serves it (GP Amendment B; docs/modules/smsr.md "ES5 over HTTPS"), and the reading of a card's POST
 * (outside input: the PSK identity, the target's ?msg=, the X-Admin-* headers).
 *
 * A session exists per eUICC. Scripts are queued (FIFO) by whoever needs the card (ES3.SendData of
 * an SCP03t segment, a 3A08 confirmation); the card only talks when triggered, so a queue on a
 * closed session sends the trigger SMS. The card's first POST (no body) is answered with the next
 * script, or held until one is queued or the idle time ends (204: session over). Each later POST
 * carries the answer to the script in flight, handed back to whoever queued it. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rsp/ids.h"
#include "rsp/scp81.h"
#include "rsp/tlv.h"
#include "smsr_int.h"

/* "work": whether a script is queued when the row is looked up (rows differ by it). Rows absent
 * from the table are refused (RSP_ERR_STATE): the caller logs and keeps the state. */
typedef struct adm_row {
    smsr_adm_state from;
    smsr_adm_event ev;
    int work;          /* -1 either, 0 queue empty, 1 something queued */
    unsigned actions;  /* SMSR_ADM_A_* */
    smsr_adm_state to;
} adm_row;

enum { ANY = -1 };

static const adm_row rows[] = {
    /* a script is queued */
    {SMSR_ADM_CLOSED, SMSR_ADM_EV_QUEUED, ANY, SMSR_ADM_A_TRIGGER, SMSR_ADM_TRIGGERED},
    {SMSR_ADM_TRIGGERED, SMSR_ADM_EV_QUEUED, ANY, 0, SMSR_ADM_TRIGGERED},
    {SMSR_ADM_HELD, SMSR_ADM_EV_QUEUED, ANY, SMSR_ADM_A_SEND, SMSR_ADM_RUNNING},
    {SMSR_ADM_RUNNING, SMSR_ADM_EV_QUEUED, ANY, 0, SMSR_ADM_RUNNING},
    /* the card opens (first POST, or a POST after 204 / with ?msg=) */
    {SMSR_ADM_CLOSED, SMSR_ADM_EV_POST_OPEN, 1, SMSR_ADM_A_SEND, SMSR_ADM_RUNNING},
    {SMSR_ADM_CLOSED, SMSR_ADM_EV_POST_OPEN, 0, SMSR_ADM_A_HOLD, SMSR_ADM_HELD},
    {SMSR_ADM_TRIGGERED, SMSR_ADM_EV_POST_OPEN, 1, SMSR_ADM_A_SEND, SMSR_ADM_RUNNING},
    {SMSR_ADM_TRIGGERED, SMSR_ADM_EV_POST_OPEN, 0, SMSR_ADM_A_HOLD, SMSR_ADM_HELD},
    /* a new POST while one is held: the card reconnected, the held one is stale */
    {SMSR_ADM_HELD, SMSR_ADM_EV_POST_OPEN, 1, SMSR_ADM_A_END_HELD | SMSR_ADM_A_SEND, SMSR_ADM_RUNNING},
    {SMSR_ADM_HELD, SMSR_ADM_EV_POST_OPEN, 0, SMSR_ADM_A_END_HELD | SMSR_ADM_A_HOLD, SMSR_ADM_HELD},
    /* a first POST while a script is out: the session broke and the card reopened (X-Admin-Resume):
     * the script in flight has no answer and never will (the card rolled back) */
    {SMSR_ADM_RUNNING, SMSR_ADM_EV_POST_OPEN, 1, SMSR_ADM_A_FAIL_INFLIGHT | SMSR_ADM_A_SEND, SMSR_ADM_RUNNING},
    {SMSR_ADM_RUNNING, SMSR_ADM_EV_POST_OPEN, 0, SMSR_ADM_A_FAIL_INFLIGHT | SMSR_ADM_A_HOLD, SMSR_ADM_HELD},
    /* the answer to the script in flight */
    {SMSR_ADM_RUNNING, SMSR_ADM_EV_POST_RESPONSE, 1, SMSR_ADM_A_DELIVER | SMSR_ADM_A_SEND, SMSR_ADM_RUNNING},
    {SMSR_ADM_RUNNING, SMSR_ADM_EV_POST_RESPONSE, 0, SMSR_ADM_A_DELIVER | SMSR_ADM_A_HOLD, SMSR_ADM_HELD},
    /* an answer nobody waits for (a restarted SM-SR): dropped, the session goes on */
    {SMSR_ADM_CLOSED, SMSR_ADM_EV_POST_RESPONSE, 1, SMSR_ADM_A_SEND, SMSR_ADM_RUNNING},
    {SMSR_ADM_CLOSED, SMSR_ADM_EV_POST_RESPONSE, 0, SMSR_ADM_A_HOLD, SMSR_ADM_HELD},
    {SMSR_ADM_TRIGGERED, SMSR_ADM_EV_POST_RESPONSE, 1, SMSR_ADM_A_SEND, SMSR_ADM_RUNNING},
    {SMSR_ADM_TRIGGERED, SMSR_ADM_EV_POST_RESPONSE, 0, SMSR_ADM_A_HOLD, SMSR_ADM_HELD},
    {SMSR_ADM_HELD, SMSR_ADM_EV_POST_RESPONSE, ANY, SMSR_ADM_A_END_HELD | SMSR_ADM_A_HOLD, SMSR_ADM_HELD},
    /* timers */
    {SMSR_ADM_HELD, SMSR_ADM_EV_IDLE, ANY, SMSR_ADM_A_END_HELD, SMSR_ADM_CLOSED},
    {SMSR_ADM_TRIGGERED, SMSR_ADM_EV_TRIGGER_LOST, ANY, SMSR_ADM_A_TRIGGER, SMSR_ADM_TRIGGERED},
    {SMSR_ADM_TRIGGERED, SMSR_ADM_EV_TRIGGER_GIVE_UP, ANY, SMSR_ADM_A_FAIL_QUEUE, SMSR_ADM_CLOSED},
    {SMSR_ADM_RUNNING, SMSR_ADM_EV_NO_ANSWER, ANY, SMSR_ADM_A_FAIL_INFLIGHT | SMSR_ADM_A_FAIL_QUEUE,
     SMSR_ADM_CLOSED},
    /* the card's connection closed (the HTTP server's on_close: the card died or broke off), or a held
     * POST could not be answered: a script out gets no answer (the card rolled back), what is queued
     * triggers a new session at once, not at answer_ms / the idle time */
    {SMSR_ADM_RUNNING, SMSR_ADM_EV_GONE, 1, SMSR_ADM_A_FAIL_INFLIGHT | SMSR_ADM_A_TRIGGER, SMSR_ADM_TRIGGERED},
    {SMSR_ADM_RUNNING, SMSR_ADM_EV_GONE, 0, SMSR_ADM_A_FAIL_INFLIGHT, SMSR_ADM_CLOSED},
    {SMSR_ADM_HELD, SMSR_ADM_EV_GONE, ANY, SMSR_ADM_A_END_HELD, SMSR_ADM_CLOSED},
};

rsp_err smsr_adm_next(smsr_adm_state from, smsr_adm_event ev, bool work, unsigned *actions, smsr_adm_state *to)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].from == from && rows[i].ev == ev && (rows[i].work == ANY || rows[i].work == (int)work)) {
            *actions = rows[i].actions;
            *to = rows[i].to;
            return RSP_OK;
        }
    return RSP_ERR_STATE;
}

const char *smsr_adm_state_name(smsr_adm_state s)
{
    static const char *const n[] = {"closed", "triggered", "held", "running"};
    return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

/* An expanded remote script AA{22 C-APDU ...} that holds a STORE DATA (INS E2, last block) whose data
 * starts 3A03 (enable), 3A04 (disable) or 3A08 (notification confirmation). After its answer the card
 * has nothing more for this session but a notification, which it only sends on the 204 (SGP02.md: the
 * outcome of an enable or disable is the notification that follows): holding its POST for the idle
 * time would only delay that notification (1 s per download in the 1,000-card demo). */
bool smsr_adm_script_ends(const uint8_t *script, size_t len)
{
    rsp_tlv top, t;
    if (!script || rsp_tlv_parse(script, len, 0, &top, NULL) != RSP_OK || top.tag != 0xAA)
        return false;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, top.value, top.len, 0);
    while (rsp_tlv_next(&r, &t) == RSP_OK) {
        /* CLA INS P1 P2 Lc 3A xx: P1 bit 8 = last block of the STORE DATA */
        if (t.tag != 0x22 || t.len < 7 || t.value[1] != 0xE2 || !(t.value[2] & 0x80) || t.value[5] != 0x3A)
            continue;
        if (t.value[6] == 0x03 || t.value[6] == 0x04 || t.value[6] == 0x08)
            return true;
    }
    return false;
}

/* The trigger: 81 { 83 { 84 {35 bearer, 39 buffer, 3C port, [3E IPv4]}, 85 {PSK identity, KVN, key
 * id}, 89 {8A host, 8C URI} } } (SGP02.md "SCP81 over HTTPS", VECTORS.txt F). */
rsp_err smsr_adm_trigger_build(const char *eid, const char *host, uint16_t port, const char *uri, uint8_t kvn,
                               rsp_buf *out)
{
    uint8_t eidb[16], id[64], conn[7 + 5 + 7];
    char idhex[2 * sizeof(id) + 1];
    rsp_err err = rsp_eid_to_bytes(eid, eidb);
    err = err ? err
              : rsp_scp81_psk_identity(eidb, RSP_AID_ISDR.b, RSP_AID_ISDR.len, 0x01, kvn, idhex, sizeof(idhex));
    size_t idl = err ? 0 : strlen(idhex) / 2;
    err = err ? err : rsp_hex_decode_fixed(idhex, id, idl, NULL);
    if (err != RSP_OK)
        return err;
    /* bearer 03 (default), buffer 1500, transport TCP client mode 02 + port, IPv4 when numeric */
    const uint8_t head[] = {0x35, 0x01, 0x03, 0x39, 0x02, 0x05, 0xDC, 0x3C, 0x03, 0x02};
    memcpy(conn, head, sizeof(head));
    size_t cl = sizeof(head);
    conn[cl++] = (uint8_t)(port >> 8);
    conn[cl++] = (uint8_t)port;
    unsigned a, b, c, d;
    char tail;
    if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 && c < 256 && d < 256) {
        const uint8_t ip[7] = {0x3E, 0x05, 0x21, (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d};
        memcpy(conn + cl, ip, sizeof(ip));
        cl += sizeof(ip);
    }
    rsp_scp81_trigger t;
    memset(&t, 0, sizeof(t));
    t.conn = rsp_bytes_of(conn, cl);
    t.has_security = true;
    t.psk_id = rsp_bytes_of(id, idl);
    t.kvn = kvn;
    t.kid = 0x01;
    t.host = rsp_bytes_of((const uint8_t *)host, strlen(host));
    t.uri = rsp_bytes_of((const uint8_t *)uri, strlen(uri));
    return rsp_scp81_trigger_build(&t, out);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* ?msg=<hex> (or &msg=) of the target: the notification the card posts in the session. */
static rsp_err query_msg(const char *target, uint8_t *out, size_t cap, size_t *len, rsp_diag *d)
{
    *len = 0;
    const char *q = strchr(target, '?');
    while (q) {
        q++;
        if (strncmp(q, "msg=", 4) == 0) {
            const char *h = q + 4;
            size_t n = strcspn(h, "&#");
            if (n == 0 || n % 2 || n / 2 > cap)
                return rsp_diag_set(d, RSP_ERR_FORMAT, "msg= of %zu hex digits (at most %zu bytes, even)", n, cap);
            for (size_t i = 0; i < n; i += 2) {
                int hi = hexval(h[i]), lo = hexval(h[i + 1]);
                if (hi < 0 || lo < 0)
                    return rsp_diag_set(d, RSP_ERR_FORMAT, "msg= is not hex at %zu", i);
                out[i / 2] = (uint8_t)(hi << 4 | lo);
            }
            *len = n / 2;
            return RSP_OK;
        }
        q = strchr(q, '&');
    }
    return RSP_OK;
}

rsp_err smsr_adm_post_parse(const char *identity, const char *target, const char *headers, size_t hlen,
                            size_t body_len, smsr_adm_post *out, rsp_diag *d)
{
    memset(out, 0, sizeof(*out));
    uint8_t eid[16], aid[16];
    size_t aid_len = 0;
    rsp_err err = rsp_scp81_psk_identity_parse(identity ? identity : "", eid, aid, &aid_len, &out->kid, &out->kvn, d);
    if (err != RSP_OK)
        return err;
    if (aid_len != RSP_AID_ISDR.len || memcmp(aid, RSP_AID_ISDR.b, aid_len) != 0)
        return rsp_diag_set(d, RSP_ERR_DENIED, "PSK identity of another application than the ISD-R");
    if ((err = rsp_eid_from_bytes(eid, out->eid)) != RSP_OK)
        return rsp_diag_set(d, err, "PSK identity: EID not decimal");
    rsp_scp81_msg m;
    if ((err = rsp_scp81_headers_parse(headers, hlen, &m, d)) != RSP_OK)
        return err;
    if (!m.protocol_ok)
        return rsp_diag_set(d, RSP_ERR_PROTOCOL, "no X-Admin-Protocol %s", RSP_SCP81_PROTOCOL);
    /* X-Admin-From names the card: it must be the one the PSK authenticated */
    if (m.eid[0] && strcasecmp(m.eid, out->eid) != 0)
        return rsp_diag_set(d, RSP_ERR_DENIED, "X-Admin-From names another eUICC than the PSK identity");
    out->response = body_len > 0 || m.content == 2 || m.status != RSP_SCP81_STATUS_NONE;
    out->status = m.status;
    out->resume = m.resume;
    return query_msg(target ? target : "", out->msg, sizeof(out->msg), &out->msg_len, d);
}
