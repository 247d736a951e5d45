/* The functionExecutionStatus header and the path matcher shared by the JSON codecs (es9p.c, es2p.c,
 * es9p_es11.c, es9p_es12.c). */
#ifndef RSP_ES9P_INT_H
#define RSP_ES9P_INT_H

#include <jansson.h>

#include "rsp/es9p.h"

/* {"functionExecutionStatus":{...}}: a new reference, NULL when out of memory. */
json_t *rsp_es9p__enc_header(const rsp_es9p_header *h);
/* The "header" object of an answer (outside input). */
rsp_err rsp_es9p__dec_header(json_t *hd, rsp_es9p_header *h, rsp_diag *diag);
/* The index in paths[0..n) of a request target's path (what comes before any '?'), or -1: the one
 * path matcher of the JSON interfaces (ES9+, ES11, ES2+, ES12). */
int rsp_es9p__path_index(const char *target, const char *const *paths, size_t n);

#endif
