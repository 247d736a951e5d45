/* The functionExecutionStatus header shared by the ES9+ (es9p.c) and ES2+ (es2p.c) JSON codecs. */
#ifndef RSP_ES9P_INT_H
#define RSP_ES9P_INT_H

#include <jansson.h>

#include "rsp/es9p.h"

/* {"functionExecutionStatus":{...}}: a new reference, NULL when out of memory. */
json_t *rsp_es9p__enc_header(const rsp_es9p_header *h);
/* The "header" object of an answer (outside input). */
rsp_err rsp_es9p__dec_header(json_t *hd, rsp_es9p_header *h, rsp_diag *diag);

#endif
