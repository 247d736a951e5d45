/* Internals of lib/lpa shared by download.c (one ES9+ download) and discover.c (ES11, then a download
 * per event): the running procedure and the steps both use. */
#ifndef RSP_LPA_INT_H
#define RSP_LPA_INT_H

#include "rsp/es9p.h"
#include "rsp/lpa.h"

typedef struct lpa_dl {
    rsp_lpa_card *c;
    const rsp_lpa_download_opts *o;
    rsp_lpa_download_result *res;
    rsp_lpa_es9 *es9;
    uint8_t tid[16];
    size_t tid_len;
    const char *server; /* "SM-DP+" or "SM-DS": who answers, in messages */
} lpa_dl;

/* A progress line (and, when the phase changes, the session record first). */
void lpa_progress(lpa_dl *x, rsp_lpa_phase p, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The clock against the --ca certificate's validity (seed 003); with --insecure there is no CA: said. */
rsp_err lpa_check_clock(lpa_dl *x, rsp_diag *diag);
/* Challenge, EUICCInfo1, initiateAuthentication to x->o->address over x->es9, AuthenticateServer with
 * ctxParams1 (x->o->matching_id, absent when NULL): the card's BF38 into bf38; a card refusal is
 * x->res->card_error >= 0 with RSP_OK (the server must still be told). */
rsp_err lpa_authenticate(lpa_dl *x, rsp_buf *bf38, rsp_diag *diag);
/* A Failed/Expired header: kept in x->res, an error naming func; RSP_OK otherwise. */
rsp_err lpa_server_failed(lpa_dl *x, const char *func, const rsp_es9p_header *h, rsp_diag *diag);

#endif
