/* LPA-side ES10 functions over rsp_lpa_card (lpa.h §operations): each builds the request with the ES10
 * codecs (es10.h), sends it as one STORE DATA chain and decodes the answer, which is outside input
 * (a real card or a reader in between): the decoders check it and name the fault. */
#include <stdlib.h>
#include <string.h>

#include "rsp/es10.h"
#include "rsp/ids.h"
#include "rsp/lpa.h"
#include "rsp/tlv.h"

/* Sends req, keeps the answer in raw (reset first). */
static rsp_err call(rsp_lpa_card *c, const rsp_buf *req, rsp_buf *raw, rsp_diag *diag)
{
    rsp_buf_reset(raw);
    rsp_err e = rsp_lpa_es10(c, req->data, req->len, raw, diag);
    if (!e && raw->len == 0)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "card answered no data to ES10 %02X%02X", req->data[0],
                         req->len > 1 ? req->data[1] : 0);
    return e;
}

static rsp_err call_empty(rsp_lpa_card *c, uint32_t tag, rsp_buf *raw, rsp_diag *diag)
{
    rsp_buf req = RSP_BUF_INIT;
    rsp_err e = rsp_es10_empty_request(tag, &req);
    e = e ? e : call(c, &req, raw, diag);
    rsp_buf_free(&req);
    return e;
}

rsp_err rsp_lpa_get_eid(rsp_lpa_card *c, uint8_t eid[16], rsp_diag *diag)
{
    rsp_buf raw = RSP_BUF_INIT;
    rsp_err e = call_empty(c, RSP_ES10_GET_EID, &raw, diag);
    e = e ? e : rsp_es10_eid_response_decode(raw.data, raw.len, eid, diag);
    rsp_buf_free(&raw);
    return e;
}

rsp_err rsp_lpa_get_info2(rsp_lpa_card *c, rsp_buf *raw, rsp_es10_info2 *out, rsp_diag *diag)
{
    rsp_err e = call_empty(c, RSP_ES10_EUICC_INFO2, raw, diag);
    return e ? e : rsp_es10_info2_decode(raw->data, raw->len, out, diag);
}

rsp_err rsp_lpa_get_addresses(rsp_lpa_card *c, rsp_buf *raw, rsp_bytes *default_dp, rsp_bytes *root_ds,
                              rsp_diag *diag)
{
    rsp_err e = call_empty(c, RSP_ES10_CONFIGURED_ADDRESSES, raw, diag);
    return e ? e : rsp_es10_addresses_decode(raw->data, raw->len, default_dp, root_ds, diag);
}

rsp_err rsp_lpa_get_profiles(rsp_lpa_card *c, rsp_buf *raw, rsp_es10_profiles *out, rsp_diag *diag)
{
    rsp_es10_profiles_req q = {0};
    rsp_buf req = RSP_BUF_INIT;
    rsp_err e = rsp_es10_profiles_req_encode(&q, &req);
    e = e ? e : call(c, &req, raw, diag);
    e = e ? e : rsp_es10_profiles_decode(raw->data, raw->len, out, diag);
    rsp_buf_free(&req);
    return e;
}

rsp_err rsp_lpa_profile_op(rsp_lpa_card *c, uint32_t tag, rsp_es10_select by, rsp_bytes id, bool refresh,
                           int *result, rsp_diag *diag)
{
    rsp_es10_profile_req q = {.tag = tag, .by = by, .id = id, .refresh = refresh};
    rsp_buf req = RSP_BUF_INIT, raw = RSP_BUF_INIT;
    rsp_err e = rsp_es10_profile_req_encode(&q, &req);
    e = e ? e : call(c, &req, &raw, diag);
    e = e ? e : rsp_es10_result_decode(raw.data, raw.len, tag, result, diag);
    rsp_buf_free(&req);
    rsp_buf_free(&raw);
    return e;
}

rsp_err rsp_lpa_set_nickname(rsp_lpa_card *c, rsp_bytes iccid, rsp_bytes nickname, int *result, rsp_diag *diag)
{
    rsp_buf req = RSP_BUF_INIT, raw = RSP_BUF_INIT;
    rsp_err e = rsp_es10_nickname_req_encode(iccid, nickname, &req);
    e = e ? e : call(c, &req, &raw, diag);
    e = e ? e : rsp_es10_result_decode(raw.data, raw.len, RSP_ES10_SET_NICKNAME, result, diag);
    rsp_buf_free(&req);
    rsp_buf_free(&raw);
    return e;
}

rsp_err rsp_lpa_memory_reset(rsp_lpa_card *c, unsigned bits, int *result, rsp_diag *diag)
{
    rsp_buf req = RSP_BUF_INIT, raw = RSP_BUF_INIT;
    rsp_err e = rsp_es10_memory_reset_req_encode(bits, &req);
    e = e ? e : call(c, &req, &raw, diag);
    e = e ? e : rsp_es10_result_decode(raw.data, raw.len, RSP_ES10_MEMORY_RESET, result, diag);
    rsp_buf_free(&req);
    rsp_buf_free(&raw);
    return e;
}

/* INTEGER content of a non-negative value, minimal DER. */
static rsp_err put_uint(rsp_buf *b, uint32_t tag, uint32_t v)
{
    uint8_t be[5] = {0, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    size_t i = 0;
    while (i < 4 && be[i] == 0 && !(be[i + 1] & 0x80))
        i++;
    return rsp_tlv_put(b, tag, be + i, 5 - i);
}

rsp_err rsp_lpa_list_notifications(rsp_lpa_card *c, rsp_buf *raw, rsp_es10_notif_list *out, rsp_diag *diag)
{
    rsp_err e = call_empty(c, RSP_ES10_LIST_NOTIFICATION, raw, diag);
    return e ? e : rsp_es10_notif_list_decode(raw->data, raw->len, RSP_ES10_LIST_NOTIFICATION, out, diag);
}

rsp_err rsp_lpa_retrieve_notification(rsp_lpa_card *c, uint32_t seq, rsp_buf *raw, rsp_es10_notif_list *out,
                                      rsp_diag *diag)
{
    rsp_buf req = RSP_BUF_INIT;
    size_t outer = 0, crit = 0;
    rsp_err e = rsp_tlv_begin(&req, RSP_ES10_RETRIEVE_NOTIFICATIONS, &outer);
    e = e ? e : rsp_tlv_begin(&req, 0xA0, &crit);
    e = e ? e : put_uint(&req, 0x80, seq);
    e = e ? e : rsp_tlv_end(&req, crit);
    e = e ? e : rsp_tlv_end(&req, outer);
    e = e ? e : call(c, &req, raw, diag);
    e = e ? e : rsp_es10_notif_list_decode(raw->data, raw->len, RSP_ES10_RETRIEVE_NOTIFICATIONS, out, diag);
    rsp_buf_free(&req);
    return e;
}

rsp_err rsp_lpa_remove_notification(rsp_lpa_card *c, uint32_t seq, int *result, rsp_diag *diag)
{
    rsp_buf req = RSP_BUF_INIT, raw = RSP_BUF_INIT;
    size_t outer = 0;
    rsp_err e = rsp_tlv_begin(&req, RSP_ES10_REMOVE_NOTIFICATION, &outer);
    e = e ? e : put_uint(&req, 0x80, seq);
    e = e ? e : rsp_tlv_end(&req, outer);
    e = e ? e : call(c, &req, &raw, diag);
    e = e ? e : rsp_es10_result_decode(raw.data, raw.len, RSP_ES10_REMOVE_NOTIFICATION, result, diag);
    rsp_buf_free(&req);
    rsp_buf_free(&raw);
    return e;
}

/* ICCID digits <-> the 10 bytes of EF.ICCID (nibble-swapped, F padding): lib/core/ids.c's coding, the
 * one the SM-DP+ and the card use; a trailing F typed by the user is the padding itself. */
rsp_err rsp_lpa_iccid_from_digits(const char *s, uint8_t out[10], rsp_diag *diag)
{
    char d[21];
    size_t n = strlen(s);
    if (n == 0 || n > 20)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "ICCID '%.24s': 18 to 20 digits expected", s);
    memcpy(d, s, n + 1);
    if (d[n - 1] == 'F' || d[n - 1] == 'f')
        d[n - 1] = 0;
    if (rsp_iccid_to_swapped(d, out) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "ICCID '%s': 18 to 20 digits expected", s);
    return RSP_OK;
}

/* A card's ICCID that does not decode (a nibble above 9, F inside) is shown in hex rather than cut. */
void rsp_lpa_iccid_to_digits(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    if (!outlen)
        return;
    if (rsp_bcd_swap_decode(p, len, out, outlen) != RSP_OK && rsp_hex_encode(p, len, out, outlen) != RSP_OK)
        out[0] = 0;
}
