/* The SM-DS event of an order (SGP22.md §SM-DS: ConfirmOrder with smdsAddress -> ES12.RegisterEvent;
 * the SM-DP+ deletes the event once the download ends or is cancelled). The order row is the truth:
 * every change of an order is committed first, then its event is made to follow through the durable
 * outbox (keys make each call stored once), so a crash in between is healed by the sweep at start.
 *
 *   order state                                  event
 *   ordered, confirmed                           none yet
 *   released, downloading, bound                 RegisterEvent (again after a failed try: the same key)
 *   installed, cancelled, failed, expired        DeleteEvent, then the order forgets its SM-DS */
#include <stdlib.h>
#include <string.h>

#include "rsp/log.h"
#include "smdpp_int.h"

void rsp_smdpp__smds_sync(rsp_smdpp *s, const rsp_smdpp_order *o)
{
    if (!s->smds_event || !o->smds[0] || !o->eid[0])
        return;
    switch (o->state) {
    case RSP_SMDPP_ORDER_RELEASED:
    case RSP_SMDPP_ORDER_DOWNLOADING:
    case RSP_SMDPP_ORDER_BOUND:
        (void)s->smds_event(s->smds_arg, o, true);
        return;
    case RSP_SMDPP_ORDER_INSTALLED:
    case RSP_SMDPP_ORDER_CANCELLED:
    case RSP_SMDPP_ORDER_FAILED:
    case RSP_SMDPP_ORDER_EXPIRED:
        break;
    default:
        return;
    }
    if (s->smds_event(s->smds_arg, o, false) != RSP_OK)
        return; /* the sweep of the next start tries again */
    rsp_smdpp_order cur; /* zeroed by rsp_smdpp_order_get whatever it answers */
    if (rsp_smdpp_order_get(s, o->matching_id, &cur) == RSP_OK && cur.state == o->state) {
        cur.smds[0] = '\0';
        if (rsp_smdpp__order_put(s, &cur) != RSP_OK)
            RSP_LOGE(RSP_SS_SMDP, "es12 order not updated", "matching_id=%s", o->matching_id);
    }
    rsp_wipe(cur.cc_hash, sizeof(cur.cc_hash)); /* also when the order moved on meanwhile */
}

void rsp_smdpp__smds_sweep(rsp_smdpp *s)
{
    char(*mids)[65] = NULL;
    size_t n = 0;
    if (!s->smds_event || rsp_smdpp__orders_with_smds(s, &mids, &n) != RSP_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        rsp_smdpp_order o;
        if (rsp_smdpp_order_get(s, mids[i], &o) == RSP_OK)
            rsp_smdpp__smds_sync(s, &o);
        rsp_wipe(o.cc_hash, sizeof(o.cc_hash));
    }
    free(mids);
}
