/* Internal to lib/store: the journal write inside a caller's transaction (inv.c). */
#ifndef RSP_STORE_SMDP_DL_H
#define RSP_STORE_SMDP_DL_H

#include "store_int.h"

rsp_err rsp_store__smdp_dl_set(rsp_store *s, const rsp_store_smdp_dl *d, int64_t now);
/* The profile's sealed ISD-P keys (inv.isdp_keys), inside a caller's transaction; len 0: none. */
rsp_err rsp_store__inv_keys_put(rsp_store *s, const char *iccid, const uint8_t *keys, size_t len);

#endif
