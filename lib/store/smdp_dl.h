/* Internal to lib/store: the journal write inside a caller's transaction (inv.c). */
#ifndef RSP_STORE_SMDP_DL_H
#define RSP_STORE_SMDP_DL_H

#include "store_int.h"

rsp_err rsp_store__smdp_dl_set(rsp_store *s, const rsp_store_smdp_dl *d, int64_t now);

#endif
