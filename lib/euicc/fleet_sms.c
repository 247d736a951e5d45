/* What the devices' modems do between the SMSC and the cards: a deliver_sm becomes the SMS-DELIVER
 * TPDU the card reads, a card's SMS-SUBMIT becomes a submit_sm; and the address ranges the fleet binds
 * with, so a few SMPP binds receive for every card (docs/modules/euicc-fleet.md). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fleet_int.h"
#include "rsp/sms.h"

static uint8_t swapped_bcd(int v)
{
    return (uint8_t)(((v % 10) << 4) | ((v / 10) % 10));
}

rsp_err rsp_fleet_deliver_to_tpdu(const rsp_smpp_pdu *dv, int64_t now_ms, rsp_buf *tpdu, rsp_diag *diag)
{
    if (!dv || !tpdu)
        return RSP_ERR_INVAL;
    rsp_sms_tpdu t;
    memset(&t, 0, sizeof(t));
    t.type = RSP_SMS_DELIVER;
    /* UDHI as the SMSC said (40, as in the real trace of VECTORS §A1); without it TP-MMS (04) keeps
     * the first octet non-zero, which the builder would otherwise read as "default 40". */
    t.fo = (dv->esm_class & RSP_SMPP_ESM_UDHI) ? 0x40 : 0x04;
    const char *src = dv->source_addr[0] == '+' ? dv->source_addr + 1 : dv->source_addr;
    uint8_t toa = (uint8_t)(0x80 | ((dv->src_ton & 7) << 4) | (dv->src_npi & 0x0F));
    if (!src[0] || rsp_sms_addr_set(&t.addr, toa, src) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "deliver_sm source_addr is not a phone number");
    t.pid = dv->protocol_id;
    t.dcs = dv->data_coding;
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    t.scts[0] = swapped_bcd(tm.tm_year % 100);
    t.scts[1] = swapped_bcd(tm.tm_mon + 1);
    t.scts[2] = swapped_bcd(tm.tm_mday);
    t.scts[3] = swapped_bcd(tm.tm_hour);
    t.scts[4] = swapped_bcd(tm.tm_min);
    t.scts[5] = swapped_bcd(tm.tm_sec);
    t.scts[6] = 0; /* UTC */
    if (dv->sm_length > RSP_SMS_UD_MAX)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "deliver_sm carries %u octets, an SMS holds %d", dv->sm_length,
                            RSP_SMS_UD_MAX);
    t.ud = dv->short_message;
    t.ud_len = dv->sm_length;
    return rsp_sms_tpdu_build(&t, tpdu);
}

rsp_err rsp_fleet_tpdu_to_submit(const uint8_t *tpdu, size_t len, const char *from, const char *to,
                                 rsp_smpp_pdu *out, rsp_diag *diag)
{
    if (!tpdu || !from || !out)
        return RSP_ERR_INVAL;
    rsp_sms_tpdu t;
    rsp_err e = rsp_sms_tpdu_parse(tpdu, len, &t, diag);
    if (e != RSP_OK)
        return e;
    if (t.type != RSP_SMS_SUBMIT)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "card output is not an SMS-SUBMIT");
    const char *dst = to && to[0] ? to : t.addr.digits;
    rsp_smpp_pdu_init(out, RSP_SMPP_SUBMIT_SM, 0);
    if (strlen(from) >= sizeof(out->source_addr) || strlen(dst) >= sizeof(out->dest_addr) || !dst[0])
        return rsp_diag_set(diag, RSP_ERR_RANGE, "address does not fit an SMPP address");
    memcpy(out->source_addr, from, strlen(from) + 1);
    memcpy(out->dest_addr, dst, strlen(dst) + 1);
    out->src_ton = 1; /* the card's MSISDN: international E.164 */
    out->src_npi = 1;
    out->dst_ton = (uint8_t)((t.addr.toa >> 4) & 7);
    out->dst_npi = (uint8_t)(t.addr.toa & 0x0F);
    out->esm_class = (t.fo & 0x40) ? RSP_SMPP_ESM_UDHI : 0;
    out->protocol_id = t.pid;
    out->data_coding = t.dcs;
    if (t.ud_len > RSP_SMPP_MAX_SM)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "user data too long for submit_sm");
    out->sm_length = (uint8_t)t.ud_len;
    if (t.ud_len)
        memcpy(out->short_message, t.ud, t.ud_len);
    return RSP_OK;
}

/* Packs the entries (prefixes of length d, `P*` when shorter than the number) into ranges; returns
 * the number of ranges needed, or max + 1 as soon as they do not fit in max. */
static size_t pack(const char *const *v, size_t n, size_t d, size_t max, char ranges[][RSP_FLEET_RANGE_MAX + 1])
{
    size_t used = 0, cur = 0; /* ranges started; length of the current one */
    const char *prev = NULL;
    size_t prev_len = 0;
    bool prev_star = false;
    for (size_t i = 0; i < n; i++) {
        size_t L = strlen(v[i]);
        if (!L)
            continue;
        size_t k = L > d ? d : L;
        bool star = L > d;
        if (prev && prev_len == k && prev_star == star && !memcmp(prev, v[i], k))
            continue; /* same entry as the last one (the input is sorted) */
        prev = v[i];
        prev_len = k;
        prev_star = star;
        size_t need = k + (star ? 1 : 0);
        if (need > RSP_FLEET_RANGE_MAX)
            return max + 1;
        if (used == 0 || cur + 1 + need > RSP_FLEET_RANGE_MAX) {
            if (++used > max)
                return max + 1;
            cur = 0;
            if (ranges)
                ranges[used - 1][0] = 0;
        } else {
            if (ranges)
                strcat(ranges[used - 1], ",");
            cur++;
        }
        if (ranges) {
            strncat(ranges[used - 1], v[i], k);
            if (star)
                strcat(ranges[used - 1], "*");
        }
        cur += need;
    }
    return used;
}

/* How many numbers the entries of length d cover (a prefix of k digits covers 10^(L-k) numbers of
 * length L). Doubles: exact far beyond any fleet, and only compared for equality of such sums. */
static double coverage(const char *const *v, size_t n, size_t d)
{
    double total = 0;
    const char *prev = NULL;
    size_t prev_len = 0, prev_full = 0;
    for (size_t i = 0; i < n; i++) {
        size_t L = strlen(v[i]);
        if (!L)
            continue;
        size_t k = L > d ? d : L;
        if (prev && prev_len == k && prev_full == L && !memcmp(prev, v[i], k))
            continue;
        prev = v[i];
        prev_len = k;
        prev_full = L;
        double c = 1;
        for (size_t j = k; j < L; j++)
            c *= 10;
        total += c;
    }
    return total;
}

rsp_err rsp_fleet_ranges(const char *const *msisdns, size_t n, size_t max_binds,
                         char ranges[][RSP_FLEET_RANGE_MAX + 1], size_t *nranges)
{
    if ((!msisdns && n) || !ranges || !nranges || max_binds == 0)
        return RSP_ERR_INVAL;
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        size_t L = strlen(msisdns[i]);
        if (L > longest)
            longest = L;
        if (i && strcmp(msisdns[i - 1], msisdns[i]) > 0)
            return RSP_ERR_INVAL; /* must be sorted */
    }
    *nranges = 0;
    if (longest == 0)
        return RSP_OK;
    /* The longest prefixes that fit (exact numbers for a small fleet) route nothing of others to us;
     * then shorter ones as long as they cover no extra number, to use fewer binds. */
    for (size_t d = longest; d >= 1; d--) {
        if (pack(msisdns, n, d, max_binds, NULL) > max_binds)
            continue;
        double cov = coverage(msisdns, n, d);
        while (d > 1 && coverage(msisdns, n, d - 1) == cov && pack(msisdns, n, d - 1, max_binds, NULL) <= max_binds)
            d--;
        *nranges = pack(msisdns, n, d, max_binds, ranges);
        return RSP_OK;
    }
    return RSP_ERR_RANGE;
}
