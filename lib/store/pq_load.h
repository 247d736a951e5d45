/* libpq, opened when a PostgreSQL store is opened instead of linked into rsp (pq_load.c). */
#ifndef RSP_STORE_PQ_LOAD_H
#define RSP_STORE_PQ_LOAD_H

#include <libpq-fe.h>

#include "rsp/err.h"

/* Every libpq function OpenRSP calls: one field per function, with libpq's own type. */
#define RSP_PQ_FUNCS(X)                                                                                       \
    X(PQconnectdb) X(PQstatus) X(PQerrorMessage) X(PQfinish) X(PQexec) X(PQclear) X(PQresultStatus)           \
    X(PQresultErrorField) X(PQresultErrorMessage) X(PQgetvalue) X(PQntuples) X(PQgetisnull)                   \
    X(PQunescapeBytea) X(PQtransactionStatus) X(PQsetNoticeProcessor) X(PQprepare) X(PQfreemem)              \
    X(PQexecPrepared) X(PQcmdTuples)

typedef struct rsp_pq {
    void *dl; /* the dlopen handle */
#define RSP_PQ_FIELD(f) __typeof__(f) *f;
    RSP_PQ_FUNCS(RSP_PQ_FIELD)
#undef RSP_PQ_FIELD
} rsp_pq;

/* Opens libpq (libpq.so.5) and fills pq. RSP_ERR_UNSUPPORTED with diag naming the library when it is not
 * installed or lacks a function. Each successful load is paired with one rsp_pq_unload. */
rsp_err rsp_pq_load(rsp_pq *pq, rsp_diag *diag);
/* Closes what rsp_pq_load opened; pq is zeroed (safe on a zeroed or failed pq). */
void rsp_pq_unload(rsp_pq *pq);

#endif
