/* Opening by URI, the shared statement helpers and transactions. */
#include <stdlib.h>
#include <string.h>

#include "rsp/log.h"
#include "store_int.h"

static const rsp_store_ops *backend_for(const char *uri, const char **conninfo)
{
    if (strncmp(uri, "sqlite:", 7) == 0) {
        *conninfo = uri + 7;
        return &rsp_store_sqlite_ops;
    }
    /* libpq accepts URIs and key=value strings alike: hand them over unchanged. */
    if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0 ||
        strchr(uri, '=') != NULL) {
        *conninfo = uri;
        return &rsp_store_pg_ops;
    }
    return NULL;
}

rsp_err rsp_store__open_version(const char *uri, int max_version, rsp_diag *diag, rsp_store **out)
{
    const char *conninfo = NULL;
    const rsp_store_ops *ops;
    rsp_store *s;
    rsp_err e;

    if (!uri || !out)
        return RSP_ERR_INVAL;
    *out = NULL;
    if (!(ops = backend_for(uri, &conninfo)))
        return rsp_diag_set(diag, RSP_ERR_INVAL,
                            "store: unknown URI scheme (want sqlite:/path or postgresql://...)");
    if (!(s = calloc(1, sizeof *s)))
        return RSP_ERR_NOMEM;
    s->ops = ops;
    if ((e = ops->open(s, conninfo, diag)) != RSP_OK) {
        free(s);
        return e;
    }
    if ((e = rsp_store__migrate(s, max_version, diag)) != RSP_OK) {
        char msg[300];
        RSP_LOGE(RSP_SS_STORE, "cannot open store", "backend=%s reason=\"%s\"", ops->name,
                 rsp_diag_str(diag, e, msg, sizeof msg));
        rsp_store_close(s);
        return e;
    }
    *out = s;
    return RSP_OK;
}

rsp_err rsp_store_open(const char *uri, rsp_diag *diag, rsp_store **out)
{
    return rsp_store__open_version(uri, RSP_STORE_SCHEMA_VERSION, diag, out);
}

void rsp_store_close(rsp_store *s)
{
    if (!s)
        return;
    s->ops->close(s);
    free(s);
}

const char *rsp_store_backend(const rsp_store *s)
{
    return s ? s->ops->name : "none";
}

rsp_err rsp_store__exec_stmt(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t n,
                             int64_t *changes)
{
    rsp_err e = s->ops->run(s, st, p, n);
    if (e == RSP_OK && changes)
        *changes = s->ops->changes(s);
    s->ops->finish(s);
    return e;
}

rsp_err rsp_store__first(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t n)
{
    rsp_err e = s->ops->run(s, st, p, n);
    if (e == RSP_OK)
        e = s->ops->next(s);
    if (e != RSP_OK)
        s->ops->finish(s);
    return e;
}

rsp_err rsp_store__col_str(rsp_store *s, int col, char *dst, size_t cap)
{
    const char *t = s->ops->col_text(s, col);
    size_t n = t ? strlen(t) : 0;
    if (n >= cap)
        return RSP_ERR_LENGTH;
    if (n)
        memcpy(dst, t, n);
    dst[n] = '\0';
    return RSP_OK;
}

rsp_err rsp_store__chk(const char *str, size_t cap)
{
    if (!str)
        return RSP_ERR_INVAL;
    return strnlen(str, cap) < cap ? RSP_OK : RSP_ERR_LENGTH;
}

rsp_err rsp_store__begin(rsp_store *s)
{
    if (s->batch)
        return rsp_store__sp_begin(s);
    return s->ops->begin(s);
}

rsp_err rsp_store__commit(rsp_store *s)
{
    if (s->batch)
        return rsp_store__sp_commit(s);
    s->bst.commits++;
    rsp_err e = s->ops->commit(s);
    if (e != RSP_OK)
        s->ops->rollback(s);
    return e;
}

void rsp_store__rollback(rsp_store *s)
{
    if (s->batch) {
        rsp_store__sp_rollback(s);
        return;
    }
    s->ops->finish(s);
    s->ops->rollback(s);
}

/* Inside a batch a single-statement write is a unit of work too: a savepoint on PostgreSQL (a
 * failed statement would otherwise abort the batch's whole transaction), the statement's own
 * atomicity on SQLite (batch.c, rsp_store__sp_bare_begin). */
rsp_err rsp_store__wbegin(rsp_store *s)
{
    if (s->batch)
        return rsp_store__sp_bare_begin(s);
    return s->ops->wbegin(s);
}

rsp_err rsp_store__wend(rsp_store *s, rsp_err e)
{
    if (s->batch)
        return rsp_store__sp_bare_end(s, e);
    if (e != RSP_OK) {
        s->ops->finish(s);
        s->ops->wrollback(s);
        return e;
    }
    s->bst.commits++; /* PostgreSQL: the autocommit statement's own commit */
    if ((e = s->ops->wcommit(s)) != RSP_OK)
        s->ops->wrollback(s);
    return e;
}

rsp_err rsp_store__write(rsp_store *s, rsp_store_stmt st, const rsp_store_param *p, size_t n,
                         int64_t *changes)
{
    RSP_STORE_TRY(rsp_store__wbegin(s));
    return rsp_store__wend(s, rsp_store__exec_stmt(s, st, p, n, changes));
}

rsp_err rsp_store__done(rsp_store *s)
{
    rsp_err e;
    while ((e = s->ops->next(s)) == RSP_OK)
        ;
    s->ops->finish(s);
    return e == RSP_ERR_END ? RSP_OK : e;
}

void rsp_store__test_break_claim(rsp_store *s)
{
    if (s)
        s->broken_claim = true;
}
