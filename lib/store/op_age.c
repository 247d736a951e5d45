/* The age of the SM-SR's work in flight, for its /metrics (lib/smsr/metrics.c): the creation time of
 * the oldest operation still in a live state. A count alone cannot tell a queue that moves from one
 * that is stuck; the oldest entry's age can.
 *
 * Ad-hoc SQL (query_int) rather than a catalogue statement: it runs once per scrape, not per
 * operation, and the state is one of three constants written into the text (no outside input). The
 * query walks the partial index op_live (state < 3) in id order, so it reads only live rows, and
 * ids grow with creation time, so the first match is the oldest. */
#include <stdio.h>

#include "rsp/store_stats.h"
#include "store_int.h"

rsp_err rsp_store_op_oldest(rsp_store *s, rsp_store_op_state st, int64_t *created)
{
    if (!s || !created || (unsigned)st > RSP_STORE_OP_AWAITING)
        return RSP_ERR_INVAL;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT created FROM op WHERE state < 3 AND state = %d ORDER BY id LIMIT 1", (int)st);
    int64_t v = 0;
    rsp_err e = s->ops->query_int(s, sql, &v);
    if (e == RSP_ERR_END) {
        *created = 0;
        return RSP_OK;
    }
    if (e == RSP_OK)
        *created = v;
    return e;
}
