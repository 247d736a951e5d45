/* Fuzzes the decoders of the BPP pieces and of the consumer card's newer requests (es10.h
 * §es10_bpp.c, es10_misc.c): InitialiseSecureChannel, ConfigureISDP, StoreMetadata (with
 * notificationConfigurationInfo and PprIds), ReplaceSessionKeys, the BF36 split, GetRAT answers, and
 * the ListNotification / RetrieveNotificationsList / RemoveNotificationFromList and LoadCRL requests. What decodes
 * re-encodes to bytes that decode again to the same fields; the split's pieces lie inside the input
 * and follow one another. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/es10.h"

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_buf b = RSP_BUF_INIT;
    rsp_es10_init_sc isc, isc2;
    if (rsp_es10_init_sc_decode(data, size, &isc, NULL) == RSP_OK) {
        check(isc.tbs.len > 0 && isc.tbs.p >= data && isc.tbs.p + isc.tbs.len <= data + size);
        check(rsp_es10_init_sc_encode(isc.tbs, isc.smdp_sign.p, &b) == RSP_OK);
        check(rsp_es10_init_sc_decode(b.data, b.len, &isc2, NULL) == RSP_OK);
        check(isc2.remote_op == isc.remote_op && isc2.key_type == isc.key_type &&
              rsp_bytes_eq(isc2.transaction_id, isc.transaction_id) && rsp_bytes_eq(isc2.host_id, isc.host_id));
    }
    rsp_bytes oid, oid2;
    if (rsp_es10_configure_isdp_decode(data, size, &oid, NULL) == RSP_OK) {
        rsp_buf_reset(&b);
        check(rsp_es10_configure_isdp_encode(oid, &b) == RSP_OK);
        check(rsp_es10_configure_isdp_decode(b.data, b.len, &oid2, NULL) == RSP_OK && rsp_bytes_eq(oid, oid2));
    }
    rsp_es10_metadata md, md2;
    if (rsp_es10_metadata_decode(data, size, &md, NULL) == RSP_OK) {
        rsp_buf_reset(&b);
        if (rsp_es10_metadata_encode(&md, &b) == RSP_OK) {
            check(rsp_es10_metadata_decode(b.data, b.len, &md2, NULL) == RSP_OK);
            check(rsp_bytes_eq(md.iccid, md2.iccid) && md.profile_class == md2.profile_class &&
                  md.has_ppr == md2.has_ppr && md.ppr == md2.ppr && rsp_bytes_eq(md.notif_config, md2.notif_config));
        }
    }
    uint8_t k[3][16];
    (void)rsp_es10_rsk_decode(data, size, k[0], k[1], k[2], NULL);
    rsp_bytes pieces[64];
    size_t n = 0;
    if (rsp_es10_bpp_split(data, size, pieces, 64, &n, NULL) == RSP_OK) {
        check(n >= 5 && pieces[0].p == data);
        for (size_t i = 0; i < n; i++)
            check(pieces[i].p >= data && pieces[i].p + pieces[i].len <= data + size && pieces[i].len > 0);
        for (size_t i = 1; i < n; i++)
            check(pieces[i].p >= pieces[i - 1].p + pieces[i - 1].len);
    }
    rsp_es10_notif_target tg[8];
    (void)rsp_es10_notif_config_decode(rsp_bytes_of(data, size), tg, 8, &n, NULL);
    rsp_es10_rat_rule rules[8];
    if (rsp_es10_rat_decode(data, size, rules, 8, &n, NULL) == RSP_OK) {
        size_t n2 = 0;
        rsp_buf_reset(&b);
        check(rsp_es10_rat_encode(rules, n, &b) == RSP_OK);
        check(rsp_es10_rat_decode(b.data, b.len, rules, 8, &n2, NULL) == RSP_OK && n2 == n);
    }
    unsigned ev = 0;
    (void)rsp_es10_list_notif_req_decode(data, size, &ev, NULL);
    rsp_es10_retrieve_req rr, rr2;
    if (rsp_es10_retrieve_req_decode(data, size, &rr, NULL) == RSP_OK &&
        (!rr.has_events || (rr.events && rr.events < 256))) {
        rsp_buf_reset(&b);
        check(rsp_es10_retrieve_req_encode(&rr, &b) == RSP_OK);
        check(rsp_es10_retrieve_req_decode(b.data, b.len, &rr2, NULL) == RSP_OK && rr2.has_seq == rr.has_seq &&
              rr2.seq == rr.seq);
    }
    uint32_t seq = 0;
    (void)rsp_es10_remove_notif_req_decode(data, size, &seq, NULL);
    rsp_buf crl = RSP_BUF_INIT;
    if (rsp_es10_load_crl_req_decode(data, size, &crl, NULL) == RSP_OK) {
        rsp_buf_reset(&b);
        rsp_buf back = RSP_BUF_INIT;
        check(rsp_es10_load_crl_req_encode(crl.data, crl.len, &b) == RSP_OK);
        check(rsp_es10_load_crl_req_decode(b.data, b.len, &back, NULL) == RSP_OK);
        check(back.len == crl.len && memcmp(back.data, crl.data, crl.len) == 0);
        rsp_buf_free(&back);
    }
    rsp_buf_free(&crl);
    int code = 0;
    (void)rsp_es10_load_crl_resp_decode(data, size, &code, NULL);
    rsp_buf_free(&b);
    return 0;
}
