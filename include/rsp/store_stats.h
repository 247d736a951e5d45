/* Store figures read for monitoring (the daemons' /metrics), apart from store.h because they are
 * read once per scrape and never steer the work. */
#ifndef RSP_STORE_STATS_H
#define RSP_STORE_STATS_H

#include <stdint.h>

#include "rsp/store.h"

/* The `created` time (seconds) of the oldest operation in state st, one of QUEUED, SENT, AWAITING;
 * *created = 0 when there is none (lib/store/op_age.c). RSP_ERR_INVAL for another state. */
rsp_err rsp_store_op_oldest(rsp_store *s, rsp_store_op_state st, int64_t *created);

#endif
