/* Fuzzes the ES10b notification decoders: NotificationMetadata, the PIR (BF37), a pending notification
 * and the ListNotification / RetrieveNotificationsList answers. A decoded PIR's BF27 re-encodes from
 * its fields to bytes that decode again to the same result. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/es10.h"

static rsp_es10_notif_list list; /* large: kept off the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_es10_notif_meta m, m2;
    rsp_buf b = RSP_BUF_INIT;
    if (rsp_es10_notif_meta_decode(data, size, &m, NULL) == RSP_OK && m.events && m.events < 256) {
        if (rsp_es10_notif_meta_encode(&m, &b) != RSP_OK || rsp_es10_notif_meta_decode(b.data, b.len, &m2, NULL) != RSP_OK ||
            m2.seq != m.seq || m2.events != m.events)
            __builtin_trap();
    }
    rsp_buf_reset(&b);
    rsp_es10_pir p, p2;
    if (rsp_es10_pir_decode(data, size, &p, NULL) == RSP_OK && p.meta.events && p.meta.events < 256 && p.smdp_oid.len) {
        rsp_buf whole = RSP_BUF_INIT;
        if (rsp_es10_pir_data_encode(&p, &b) != RSP_OK ||
            rsp_es10_pir_encode(b.data, b.len, p.signature.p, &whole) != RSP_OK ||
            rsp_es10_pir_decode(whole.data, whole.len, &p2, NULL) != RSP_OK || p2.success != p.success ||
            p2.error_reason != p.error_reason)
            __builtin_trap();
        rsp_buf_free(&whole);
    }
    rsp_es10_pending pn;
    (void)rsp_es10_pending_decode(data, size, &pn, NULL);
    (void)rsp_es10_notif_list_decode(data, size, 0, &list, NULL);
    (void)rsp_es10_notif_list_decode(data, size, RSP_ES10_LIST_NOTIFICATION, &list, NULL);
    (void)rsp_es10_notif_list_decode(data, size, RSP_ES10_RETRIEVE_NOTIFICATIONS, &list, NULL);
    rsp_buf_free(&b);
    return 0;
}
