/* ES4A handlers (es4a.c), called by es_api.c once it knows who the caller is. */
#ifndef RSP_SMSR_ES4A_H
#define RSP_SMSR_ES4A_H

#include "rsp/es_endpoint.h"
#include "smsr_int.h"

/* ES4A.SetPLMA / GetPLMA / SetONC / GetONC: answers call (store update or read, at once). who is the
 * calling Operator's identity, NULL when the caller is not an Operator (refused 1.1 / 1.2). */
rsp_err smsr_es4a_call(rsp_smsr *e, const char *who, rsp_es_call *call);

#endif
