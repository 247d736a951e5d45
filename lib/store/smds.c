/* The SM-DS's event records (include/rsp/store.h §SM-DS). Each write is one committed statement (or
 * one transaction for a delete that checks its owner first), so ES12 answers after the record is
 * durable and ES11 reads only committed records. */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

static rsp_err ev_chk(const rsp_store_smds_event *ev)
{
    RSP_STORE_TRY(rsp_store__chk(ev->eid, sizeof ev->eid));
    RSP_STORE_TRY(rsp_store__chk(ev->event_id, sizeof ev->event_id));
    RSP_STORE_TRY(rsp_store__chk(ev->rsp_server_address, sizeof ev->rsp_server_address));
    RSP_STORE_TRY(rsp_store__chk(ev->registered_by, sizeof ev->registered_by));
    return ev->eid[0] && ev->event_id[0] && ev->rsp_server_address[0] ? RSP_OK : RSP_ERR_INVAL;
}

/* Columns as RSP_SMDS_COLS: eid, event_id, rsp_server_address, forwarding, registered_by, created. */
static rsp_err ev_read(rsp_store *s, rsp_store_smds_event *ev)
{
    memset(ev, 0, sizeof *ev);
    RSP_STORE_TRY(rsp_store__col_str(s, 0, ev->eid, sizeof ev->eid));
    RSP_STORE_TRY(rsp_store__col_str(s, 1, ev->event_id, sizeof ev->event_id));
    RSP_STORE_TRY(rsp_store__col_str(s, 2, ev->rsp_server_address, sizeof ev->rsp_server_address));
    ev->forwarding = s->ops->col_int(s, 3) != 0;
    RSP_STORE_TRY(rsp_store__col_str(s, 4, ev->registered_by, sizeof ev->registered_by));
    ev->created = s->ops->col_int(s, 5);
    return RSP_OK;
}

/* The record (inside or outside a transaction); RSP_ERR_NOT_FOUND when none. */
static rsp_err get(rsp_store *s, const char *eid, const char *event_id, rsp_store_smds_event *ev)
{
    const rsp_store_param p[] = {SP_TEXT(eid), SP_TEXT(event_id)};
    rsp_err e = rsp_store__first(s, RSP_STMT_SMDS_GET, p, 2);
    if (e != RSP_OK)
        return e == RSP_ERR_END ? RSP_ERR_NOT_FOUND : e;
    e = ev_read(s, ev);
    s->ops->finish(s);
    return e;
}

rsp_err rsp_store_smds_get(rsp_store *s, const char *eid, const char *event_id, rsp_store_smds_event *ev)
{
    if (!s || !ev)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, sizeof ev->eid));
    RSP_STORE_TRY(rsp_store__chk(event_id, sizeof ev->event_id));
    return get(s, eid, event_id, ev);
}

rsp_err rsp_store_smds_register(rsp_store *s, const rsp_store_smds_event *ev)
{
    if (!s || !ev)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(ev_chk(ev));
    int64_t n = 0;
    const rsp_store_param p[] = {SP_TEXT(ev->eid), SP_TEXT(ev->event_id), SP_TEXT(ev->rsp_server_address),
                                 SP_INT(ev->forwarding), SP_TEXT(ev->registered_by), SP_INT(ev->created)};
    RSP_STORE_TRY(rsp_store__write(s, RSP_STMT_SMDS_ADD, p, 6, &n));
    if (n)
        return RSP_OK;
    /* a replay of the same registration is answered as the first was */
    rsp_store_smds_event old;
    RSP_STORE_TRY(get(s, ev->eid, ev->event_id, &old));
    return strcmp(old.rsp_server_address, ev->rsp_server_address) == 0 && old.forwarding == ev->forwarding &&
                   strcmp(old.registered_by, ev->registered_by) == 0
               ? RSP_OK
               : RSP_ERR_EXISTS;
}

rsp_err rsp_store_smds_list(rsp_store *s, const char *eid, size_t max, rsp_store_smds_event **out, size_t *n)
{
    if (!s || !out || !n || max == 0)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    rsp_store_smds_event *v = calloc(max, sizeof(*v));
    if (!v)
        return RSP_ERR_NOMEM;
    const rsp_store_param p[] = {SP_TEXT(eid), SP_INT(max)};
    size_t cnt = 0;
    rsp_err e = s->ops->run(s, RSP_STMT_SMDS_EID, p, 2);
    while (e == RSP_OK && cnt < max && (e = s->ops->next(s)) == RSP_OK) {
        if ((e = ev_read(s, &v[cnt])) != RSP_OK)
            break;
        cnt++;
    }
    s->ops->finish(s);
    if (e == RSP_ERR_END)
        e = RSP_OK;
    if (e != RSP_OK || cnt == 0) {
        free(v);
        return e;
    }
    *out = v;
    *n = cnt;
    return RSP_OK;
}

rsp_err rsp_store_smds_delete(rsp_store *s, const char *eid, const char *event_id, const char *by)
{
    if (!s)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    RSP_STORE_TRY(rsp_store__chk(event_id, 65));
    RSP_STORE_TRY(rsp_store__begin(s));
    rsp_store_smds_event ev;
    rsp_err e = get(s, eid, event_id, &ev);
    if (!e && by && strcmp(ev.registered_by, by) != 0)
        e = RSP_ERR_DENIED;
    int64_t n = 0;
    if (!e) {
        const rsp_store_param p[] = {SP_TEXT(eid), SP_TEXT(event_id)};
        e = rsp_store__exec_stmt(s, RSP_STMT_SMDS_DEL, p, 2, &n);
        if (!e && n == 0)
            e = RSP_ERR_NOT_FOUND;
    }
    if (e) {
        rsp_store__rollback(s);
        return e;
    }
    return rsp_store__commit(s);
}

rsp_err rsp_store_smds_count(rsp_store *s, size_t *n)
{
    if (!s || !n)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__first(s, RSP_STMT_SMDS_COUNT, NULL, 0));
    *n = (size_t)s->ops->col_int(s, 0);
    s->ops->finish(s);
    return RSP_OK;
}
