/* The demo's SMS and admin-session carriage to its cards (demo_air.h). */
#include <string.h>
#include <time.h>

#include "demo_air.h"
#include "rsp/sms.h"

int64_t rsp_demo_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

rsp_err rsp_demo_collect(rsp_euicc *card, const rsp_euicc_out *out, const char *to, uint8_t want_iei, int64_t now,
                         rsp_buf *pkts, size_t max, size_t *n, rsp_diag *diag)
{
    rsp_sms_reasm r;
    rsp_sms_reasm_init(&r, 60000);
    rsp_err e = RSP_OK;
    *n = 0;
    for (size_t i = 0; !e && i < out->n_sms && *n < max; i++) {
        rsp_sms_tpdu t;
        rsp_sms_udh u;
        bool done = false;
        uint8_t iei = 0;
        e = rsp_sms_tpdu_parse(out->sms[i].tpdu.data, out->sms[i].tpdu.len, &t, diag);
        if (!e && t.type != RSP_SMS_SUBMIT)
            e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "the card sent an SMS that is not an SMS-SUBMIT");
        if (!e && strcmp(out->sms[i].to, to) != 0)
            e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "the card sent an SMS to %s, not to %s", out->sms[i].to, to);
        e = e ? e : rsp_sms_udh_parse(t.ud, t.ud_len, &u, diag);
        if (!e && (u.spkt_iei == want_iei || (u.concat && u.seq > 1))) {
            rsp_buf_reset(&pkts[*n]);
            e = rsp_sms_reasm_add(&r, rsp_euicc_eid(card), t.ud, t.ud_len, (uint64_t)now, &pkts[*n], &iei, &done,
                                  diag);
        }
        if (!e && done && iei == want_iei)
            (*n)++;
    }
    rsp_sms_reasm_free(&r);
    return e;
}

rsp_err rsp_demo_sms(rsp_euicc *card, const char *from, const uint8_t *pkt, size_t plen, uint16_t ref, rsp_buf *por,
                     rsp_diag *diag)
{
    enum { MAXP = 16 };
    rsp_buf parts[MAXP], tpdu = RSP_BUF_INIT, got = RSP_BUF_INIT;
    for (int i = 0; i < MAXP; i++)
        rsp_buf_init(&parts[i]);
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    size_t n = 0;
    int64_t now = rsp_demo_now_ms();
    rsp_err e = rsp_sms_split(pkt, plen, RSP_SMS_IEI_CMD_PKT, ref, false, parts, MAXP, &n, diag);
    for (size_t i = 0; !e && i < n; i++) {
        rsp_sms_tpdu t;
        memset(&t, 0, sizeof(t));
        t.type = RSP_SMS_DELIVER;
        t.ud = parts[i].data;
        t.ud_len = parts[i].len;
        rsp_buf_reset(&tpdu);
        e = rsp_sms_addr_set(&t.addr, 0x91, from);
        e = e ? e : rsp_sms_tpdu_build(&t, &tpdu);
        e = e ? e : rsp_euicc_sms_pp(card, tpdu.data, tpdu.len, now, &out, diag);
    }
    size_t got_n = 0;
    e = e ? e : rsp_demo_collect(card, &out, from, RSP_SMS_IEI_RESP_PKT, now, &got, 1, &got_n, diag);
    if (!e && got_n == 0)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "card %s answered no PoR", rsp_euicc_eid(card));
    e = e ? e : rsp_buf_append(por, "\x02\x71\x00", 3);
    e = e ? e : rsp_buf_append(por, got.data, got.len);
    rsp_euicc_out_clear(&out);
    for (int i = 0; i < MAXP; i++)
        rsp_buf_free(&parts[i]);
    rsp_buf_free(&tpdu);
    rsp_buf_free(&got);
    return e;
}

rsp_err rsp_demo_admin(rsp_euicc *card, const rsp_aid *isdp, const rsp_buf *body, rsp_buf *resp, rsp_diag *diag)
{
    char status[32];
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    rsp_buf_reset(resp);
    rsp_err e = rsp_euicc_admin_script(card, body->data, body->len, isdp->b, isdp->len, rsp_demo_now_ms(), resp, status,
                                       &out, diag);
    rsp_euicc_out_clear(&out);
    if (!e && strcmp(status, "ok") != 0)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "admin script status %s", status);
    if (!e && resp->len == 2 && resp->data[0] == 0x9F)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "SCP03t refused: 9F %02X", resp->data[1]);
    return e;
}

const char *rsp_demo_lcs_name(uint8_t lcs)
{
    switch (lcs) {
    case 0x07: return "created";
    case 0x1F: return "disabled";
    case 0x3F: return "enabled";
    default: return "unknown";
    }
}

rsp_err rsp_demo_card_profile(rsp_euicc *card, const char *aidhex, rsp_euicc_profile_info *out)
{
    rsp_euicc_info info;
    rsp_err e = rsp_euicc_info_get(card, &info);
    for (size_t i = 0; !e && i < info.n_profiles; i++)
        if (strcmp(info.profiles[i].aid, aidhex) == 0) {
            *out = info.profiles[i];
            return RSP_OK;
        }
    return e ? e : RSP_ERR_NOT_FOUND;
}

