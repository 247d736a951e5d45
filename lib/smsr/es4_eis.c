/* ES4.GetEIS: the EIS as the store has it, for an Operator (its own profiles) or an M2M SP (the
 * profiles whose Operator granted it ES4-GetEIS by PLMA), with the audit trail of the operations on
 * those profiles (SGP02.md audit operation codes). A caller that sees no profile of the card is told
 * the EID is unknown (8.1.1 / 3.9): the card is not its business. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/es_endpoint.h"
#include "rsp/es_types.h"
#include "smsr_int.h"

typedef struct view {
    rsp_smsr *e;
    const char *who;
    rsp_smsr_role role;
} view;

static bool visible(void *ctx, const rsp_store_profile *p)
{
    const view *v = ctx;
    if (v->role == RSP_SMSR_ROLE_OPERATOR)
        return strcmp(p->mno_id, v->who) == 0;
    return v->role == RSP_SMSR_ROLE_M2MSP &&
           rsp_store_plma_check(v->e->st, p->mno_id, v->who, p->profile_type, RSP_STORE_FN_GET_EIS) == RSP_OK;
}

static uint16_t op_code(const char *function)
{
    static const struct {
        const char *fn;
        uint16_t code;
    } t[] = {{"ES4.EnableProfile", 0x0200}, {"ES4.DisableProfile", 0x0300}, {"ES4.DeleteProfile", 0x0400},
             {"ES4.AuditEIS", 0x0500},      {"ES4.SetFallBackAttribute", 0x0700}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcmp(t[i].fn, function) == 0)
            return t[i].code;
    return 0;
}

/* One record per operation queued on a visible profile ("smsr.queued" events of the trail). */
static rsp_err trail_of(rsp_smsr *e, rsp_es_eis *eis, const char *eid)
{
    rsp_err err = RSP_OK;
    for (int64_t after = 0;;) {
        rsp_store_audit *v = NULL;
        size_t n = 0;
        if ((err = rsp_store_audit_list(e->st, eid, after, 256, &v, &n)) != RSP_OK)
            return err;
        for (size_t i = 0; err == RSP_OK && i < n; i++) {
            after = v[i].id;
            uint16_t code = strcmp(v[i].event, "smsr.queued") == 0 ? op_code(v[i].detail) : 0;
            bool seen = false;
            const rsp_es_profile_info *pi = eis->profiles.v;
            for (size_t k = 0; k < eis->profiles.n && !seen; k++)
                seen = strcmp(pi[k].iccid, v[i].iccid) == 0;
            rsp_store_op op;
            memset(&op, 0, sizeof(op));
            if (!code || !seen || rsp_store_op_get(e->st, v[i].op_id, &op) != RSP_OK) {
                rsp_store_op_clear(&op);
                continue;
            }
            rsp_es_audit_record *nv = realloc(eis->audit_trail.v, (eis->audit_trail.n + 1) * sizeof(*nv));
            if (!nv) {
                rsp_store_op_clear(&op);
                err = RSP_ERR_NOMEM;
                break;
            }
            eis->audit_trail.v = nv;
            rsp_es_audit_record *r = &nv[eis->audit_trail.n++];
            memset(r, 0, sizeof(*r));
            char date[32];
            time_t t = (time_t)v[i].ts;
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
            uint8_t c[2] = {(uint8_t)(code >> 8), (uint8_t)code};
            r->operation_date = strdup(date);
            r->requester_id = strdup(op.requester);
            r->iccid = strdup(v[i].iccid);
            r->eid = strdup(eid);
            err = !r->operation_date || !r->requester_id || !r->iccid || !r->eid ? RSP_ERR_NOMEM
                                                                                  : rsp_buf_set(&r->operation, c, 2);
            rsp_store_op_clear(&op);
        }
        free(v);
        if (err || n < 256)
            return err;
    }
}

rsp_err smsr_es4_get_eis(rsp_smsr *e, const char *who, rsp_smsr_role role, rsp_es_call *call)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_eid_req *q = m ? m->body : NULL;
    if (!q || !q->eid)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "EID is needed");
    rsp_store_eis s;
    memset(&s, 0, sizeof(s));
    rsp_es_eis_resp *r = rsp_es_call_response(call);
    rsp_err err = r ? rsp_store_eis_get(e->st, q->eid, &s) : RSP_ERR_INTERNAL;
    view v = {e, who, role};
    if (err == RSP_OK)
        err = smsr_eis_of(e, &s, visible, &v, &r->eis);
    rsp_store_eis_clear(&s);
    if (err == RSP_ERR_NOT_FOUND || (err == RSP_OK && r->eis->profiles.n == 0))
        return rsp_es_call_reject(call, "8.1.1", "3.9", q->eid, "Unknown EID");
    err = err ? err : trail_of(e, r->eis, q->eid);
    return err ? err : rsp_es_call_complete(call);
}
