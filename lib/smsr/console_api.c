/* The console's read API (GET /api/...): JSON built with jansson from the store's console queries.
 * Every value from outside (EIDs, names, audit details, result texts) goes out as a JSON string;
 * the page renders it as text. Never read here: key sets, EIS signatures, operation scripts. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console_int.h"
#include "smsr_int.h"

json_t *console_jstr(const char *s)
{
    json_t *j = json_string(s ? s : "");
    if (j)
        return j;
    char b[600];
    size_t n = 0;
    for (; s[n] && n < sizeof(b) - 1; n++)
        b[n] = s[n] >= 0x20 && s[n] <= 0x7E ? s[n] : '?';
    b[n] = 0;
    return json_string(b);
}

console_reply console_error(int status, const char *fmt, ...)
{
    char m[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof(m), fmt, ap);
    va_end(ap);
    return (console_reply){status, json_pack("{s:o}", "error", console_jstr(m))};
}

/* A checked parameter: absent gives def (NULL: required); a bad one sets *bad. */
static const char *param(const rsp_smsr_console_query *q, const char *key, rsp_smsr_console_kind kind,
                         const char *def, console_reply *bad)
{
    const char *v = rsp_smsr_console_query_get(q, key);
    if (!v) {
        if (!def && bad->status == 0)
            *bad = console_error(400, "missing parameter '%s'", key);
        return def;
    }
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_smsr_console_check(kind, v, &d) != RSP_OK) {
        if (bad->status == 0)
            *bad = console_error(400, "parameter '%s': %s", key, d.msg);
        return def;
    }
    return v;
}

static size_t limit_of(const rsp_smsr_console_query *q, size_t def, console_reply *bad)
{
    const char *v = param(q, "limit", RSP_SMSR_CONSOLE_ID, "", bad);
    if (!v || !*v)
        return def;
    long long n = atoll(v);
    if (n < 1 || n > 100) {
        if (bad->status == 0)
            *bad = console_error(400, "parameter 'limit': 1 to 100");
        return def;
    }
    return (size_t)n;
}

static const char *const profile_states[] = {"in-creation", "created", "disabled", "enabled"};

static const char *pstate(rsp_store_profile_state s)
{
    return (unsigned)s <= 3 ? profile_states[s] : "unknown";
}

console_reply console_api_search(rsp_smsr_console *c, const rsp_smsr_console_query *q)
{
    console_reply bad = {0, NULL};
    const char *by = rsp_smsr_console_query_get(q, "by");
    by = by ? by : "eid";
    rsp_store_console_by b;
    rsp_smsr_console_kind k;
    if (!strcmp(by, "eid"))
        b = RSP_STORE_CONSOLE_BY_EID, k = RSP_SMSR_CONSOLE_EID;
    else if (!strcmp(by, "iccid"))
        b = RSP_STORE_CONSOLE_BY_ICCID, k = RSP_SMSR_CONSOLE_ICCID;
    else if (!strcmp(by, "msisdn"))
        b = RSP_STORE_CONSOLE_BY_MSISDN, k = RSP_SMSR_CONSOLE_MSISDN;
    else
        return console_error(400, "parameter 'by': eid, iccid or msisdn");
    const char *raw = rsp_smsr_console_query_get(q, "q");
    char pre[40] = "";
    if (raw) { /* what people type: blanks and a leading + are not part of the number */
        size_t n = 0;
        for (size_t i = 0; raw[i] && n < sizeof(pre) - 1; i++)
            if (raw[i] != ' ' && !(raw[i] == '+' && n == 0 && b == RSP_STORE_CONSOLE_BY_MSISDN))
                pre[n++] = b == RSP_STORE_CONSOLE_BY_ICCID && raw[i] == 'f' ? 'F' : raw[i];
        pre[n] = 0;
        if (strlen(raw) >= sizeof(pre))
            return console_error(400, "parameter 'q': too long");
    }
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_smsr_console_check(k, pre, &d) != RSP_OK)
        return console_error(400, "parameter 'q': %s", d.msg);
    const char *after = param(q, "after", k, "", &bad);
    const char *after_iccid = param(q, "after_iccid", RSP_SMSR_CONSOLE_ICCID, "", &bad);
    size_t lim = limit_of(q, 25, &bad);
    if (bad.status)
        return bad;
    rsp_store_console_hit *h = NULL;
    size_t n = 0;
    int64_t total = 0;
    rsp_err e = rsp_store_console_search(c->st, b, pre, after, after_iccid, lim, &h, &n, &total);
    if (e)
        return console_error(500, "store: %s", rsp_err_name(e));
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_pack("{s:o}", "eid", console_jstr(h[i].eid));
        if (b == RSP_STORE_CONSOLE_BY_EID) {
            json_object_set_new(o, "eum_id", console_jstr(h[i].eum_id));
            json_object_set_new(o, "last_audit", json_integer(h[i].last_audit));
            json_object_set_new(o, "profiles", json_integer(h[i].profiles));
        } else {
            json_object_set_new(o, "iccid", console_jstr(h[i].iccid));
            json_object_set_new(o, "msisdn", console_jstr(h[i].msisdn));
            json_object_set_new(o, "state", json_string(pstate(h[i].state)));
            json_object_set_new(o, "mno_id", console_jstr(h[i].mno_id));
            json_object_set_new(o, "profile_type", console_jstr(h[i].profile_type));
            json_object_set_new(o, "fallback", json_boolean(h[i].fallback));
        }
        json_array_append_new(items, o);
    }
    json_t *next = json_null();
    if (n == lim) { /* a full page: the next one starts after its last row */
        const rsp_store_console_hit *l = &h[n - 1];
        next = json_pack("{s:o,s:o}", "after",
                         console_jstr(b == RSP_STORE_CONSOLE_BY_EID     ? l->eid
                                      : b == RSP_STORE_CONSOLE_BY_ICCID ? l->iccid
                                                                        : l->msisdn),
                         "after_iccid", console_jstr(b == RSP_STORE_CONSOLE_BY_MSISDN ? l->iccid : ""));
    }
    free(h);
    bool capped = total > RSP_STORE_CONSOLE_COUNT_CAP;
    return (console_reply){200, json_pack("{s:s,s:o,s:I,s:b,s:o,s:o}", "by", by, "q", console_jstr(pre), "total",
                                          (json_int_t)(capped ? RSP_STORE_CONSOLE_COUNT_CAP : total), "total_capped",
                                          capped, "items", items, "next", next)};
}

static json_t *audit_json(const rsp_store_audit *a)
{
    return json_pack("{s:I,s:I,s:o,s:o,s:o,s:I,s:o,s:o}", "id", (json_int_t)a->id, "ts", (json_int_t)a->ts, "actor",
                     console_jstr(a->actor), "eid", console_jstr(a->eid), "iccid", console_jstr(a->iccid), "op",
                     (json_int_t)a->op_id, "event", console_jstr(a->event), "detail", console_jstr(a->detail));
}

json_t *console_op_json(const rsp_store_op *op, int64_t updated)
{
    rsp_smsr_result r;
    memset(&r, 0, sizeof(r));
    smsr_result_fill(op, &r);
    const char *st = op->state == RSP_STORE_OP_SENT || op->state == RSP_STORE_OP_AWAITING ? "in-flight"
                                                                                          : rsp_store_op_state_name(op->state);
    return json_pack("{s:I,s:o,s:o,s:o,s:o,s:I,s:I,s:s,s:s,s:I,s:o,s:I,s:o,s:o,s:o,s:o}", "id", (json_int_t)op->id,
                     "eid", console_jstr(op->eid), "function", console_jstr(op->function), "requester",
                     console_jstr(op->requester), "fcid", console_jstr(op->fcid), "created", (json_int_t)op->created,
                     "deadline", (json_int_t)op->deadline, "state", st, "store_state",
                     rsp_store_op_state_name(op->state), "attempts", (json_int_t)op->attempts, "worker",
                     console_jstr(op->worker), "updated", (json_int_t)updated, "status", console_jstr(r.status),
                     "subject", console_jstr(r.subject), "reason", console_jstr(r.reason), "message",
                     console_jstr(r.message));
}

static const char *const pol2_names[] = {"disable-not-allowed", "delete-not-allowed", "enable-not-allowed",
                                         "disable-auto-delete"};

console_reply console_api_card(rsp_smsr_console *c, const rsp_smsr_console_query *q)
{
    console_reply bad = {0, NULL};
    const char *eid = param(q, "eid", RSP_SMSR_CONSOLE_EID, NULL, &bad);
    const char *before = param(q, "before", RSP_SMSR_CONSOLE_ID, "", &bad);
    size_t lim = limit_of(q, 25, &bad);
    if (bad.status)
        return bad;
    if (strlen(eid) != 32)
        return console_error(400, "parameter 'eid': 32 digits");
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    rsp_err e = rsp_store_eis_get(c->st, eid, &eis);
    if (e == RSP_ERR_NOT_FOUND)
        return console_error(404, "no card %s", eid);
    if (e)
        return console_error(500, "store: %s", rsp_err_name(e));
    json_t *card = json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:o,s:o,s:b,s:b}", "eid", console_jstr(eis.eid),
                             "eum_id", console_jstr(eis.eum_id), "production_date", console_jstr(eis.production_date),
                             "platform", console_jstr(eis.platform_type), "platform_version",
                             console_jstr(eis.platform_version), "remaining_memory", (json_int_t)eis.remaining_memory,
                             "available_memory", (json_int_t)eis.available_memory, "last_audit",
                             (json_int_t)eis.last_audit, "smsr_id", console_jstr(eis.smsr_id), "rp_version",
                             console_jstr(eis.rp_version), "cattp", (eis.caps & RSP_STORE_CAP_CATTP) != 0, "http",
                             (eis.caps & RSP_STORE_CAP_HTTP) != 0);
    rsp_store_eis_clear(&eis); /* the EUM's signed blob is never shown */
    rsp_store_profile *p = NULL;
    size_t np = 0;
    json_t *profs = json_array();
    if ((e = rsp_store_profile_list(c->st, eid, &p, &np)) == RSP_OK) {
        for (size_t i = 0; i < np; i++) {
            json_t *pol = json_array();
            for (unsigned b = 0; b < 4; b++)
                if (p[i].pol2 & (1u << b))
                    json_array_append_new(pol, json_string(pol2_names[b]));
            json_array_append_new(
                profs, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:b,s:b,s:o,s:I}", "iccid", console_jstr(p[i].iccid),
                                 "isdp_aid", console_jstr(p[i].isdp_aid), "mno_id", console_jstr(p[i].mno_id),
                                 "smdp_id", console_jstr(p[i].smdp_id), "profile_type",
                                 console_jstr(p[i].profile_type), "msisdn", console_jstr(p[i].msisdn), "imsi",
                                 console_jstr(p[i].imsi), "state", pstate(p[i].state), "fallback", p[i].fallback,
                                 "emergency", p[i].emergency, "pol2", pol, "allocated_memory",
                                 (json_int_t)p[i].allocated_memory));
        }
        free(p);
    }
    rsp_store_audit *a = NULL;
    size_t na = 0;
    json_t *trail = json_array();
    int64_t last_id = 0;
    if (e == RSP_OK && (e = rsp_store_console_card_audit(c->st, eid, *before ? atoll(before) : 0, lim, &a, &na)) == RSP_OK) {
        for (size_t i = 0; i < na; i++)
            json_array_append_new(trail, audit_json(&a[i]));
        last_id = na ? a[na - 1].id : 0;
        free(a);
    }
    rsp_store_console_op *ops = NULL;
    size_t no = 0;
    json_t *oj = json_array();
    rsp_store_console_op_filter f = {0, RSP_STORE_OP_QUEUED, RSP_STORE_OP_EXPIRED, NULL, NULL, eid};
    if (e == RSP_OK && (e = rsp_store_console_ops(c->st, &f, 10, &ops, &no)) == RSP_OK) {
        for (size_t i = 0; i < no; i++)
            json_array_append_new(oj, console_op_json(&ops[i].op, ops[i].updated));
        rsp_store_console_ops_free(ops, no);
    }
    if (e) {
        json_decref(card);
        json_decref(profs);
        json_decref(trail);
        json_decref(oj);
        return console_error(500, "store: %s", rsp_err_name(e));
    }
    return (console_reply){200, json_pack("{s:o,s:o,s:o,s:o,s:o}", "card", card, "profiles", profs, "audit", trail,
                                          "audit_next", na == lim ? json_integer(last_id) : json_null(), "ops", oj)};
}

/* "queued", "in-flight", "done", "failed", "expired", "live" (queued or in flight), "" (all). */
static bool state_range(const char *s, int *lo, int *hi)
{
    static const struct {
        const char *n;
        int lo, hi;
    } t[] = {{"", 0, 5}, {"all", 0, 5}, {"queued", 0, 0}, {"in-flight", 1, 2}, {"live", 0, 2},
             {"done", 3, 3}, {"failed", 4, 4}, {"expired", 5, 5}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (!strcmp(s, t[i].n)) {
            *lo = t[i].lo;
            *hi = t[i].hi;
            return true;
        }
    return false;
}

console_reply console_api_ops(rsp_smsr_console *c, const rsp_smsr_console_query *q)
{
    console_reply bad = {0, NULL};
    const char *state = rsp_smsr_console_query_get(q, "state");
    const char *fn = param(q, "function", RSP_SMSR_CONSOLE_NAME, "", &bad);
    const char *rq = param(q, "requester", RSP_SMSR_CONSOLE_NAME, "", &bad);
    const char *eid = param(q, "eid", RSP_SMSR_CONSOLE_EID, "", &bad);
    const char *before = param(q, "before", RSP_SMSR_CONSOLE_ID, "", &bad);
    size_t lim = limit_of(q, 25, &bad);
    if (bad.status)
        return bad;
    rsp_store_console_op_filter f = {*before ? atoll(before) : 0, 0, 5, fn, rq, eid};
    if (!state_range(state ? state : "", &f.state_min, &f.state_max))
        return console_error(400, "parameter 'state': queued, in-flight, live, done, failed, expired or all");
    if (*eid && strlen(eid) != 32)
        return console_error(400, "parameter 'eid': 32 digits");
    rsp_store_console_op *ops = NULL;
    size_t n = 0;
    rsp_err e = rsp_store_console_ops(c->st, &f, lim, &ops, &n);
    if (e)
        return console_error(500, "store: %s", rsp_err_name(e));
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, console_op_json(&ops[i].op, ops[i].updated));
    json_t *next = n == lim ? json_integer(ops[n - 1].op.id) : json_null();
    rsp_store_console_ops_free(ops, n);
    int64_t live[3] = {0, 0, 0}; /* the settled history is not counted here: /metrics has it */
    if ((e = rsp_store_console_live_counts(c->st, live)) != RSP_OK) {
        json_decref(items);
        json_decref(next);
        return console_error(500, "store: %s", rsp_err_name(e));
    }
    return (console_reply){200, json_pack("{s:o,s:o,s:{s:I,s:I}}", "items", items, "next_before", next, "counts",
                                          "queued", (json_int_t)live[0], "in-flight", (json_int_t)(live[1] + live[2]))};
}

console_reply console_api_op(rsp_smsr_console *c, const rsp_smsr_console_query *q)
{
    console_reply bad = {0, NULL};
    const char *id = param(q, "id", RSP_SMSR_CONSOLE_ID, NULL, &bad);
    if (bad.status)
        return bad;
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    rsp_err e = rsp_store_op_get(c->st, atoll(id), &op);
    if (e == RSP_ERR_NOT_FOUND)
        return console_error(404, "no operation %s", id);
    if (e)
        return console_error(500, "store: %s", rsp_err_name(e));
    json_t *o = console_op_json(&op, 0);
    smsr_target t;
    memset(&t, 0, sizeof(t));
    if (smsr_target_decode(&op.script, &t) == RSP_OK) /* the ICCID only: the script is not shown */
        json_object_set_new(o, "iccid", console_jstr(t.iccid));
    json_object_set_new(o, "next_attempt", json_integer(op.next_attempt));
    json_object_set_new(o, "lease_until", json_integer(op.lease_until));
    json_object_set_new(o, "generation", json_integer(op.generation));
    rsp_store_audit *a = NULL;
    size_t na = 0;
    json_t *steps = json_array();
    if (rsp_store_console_op_audit(c->st, op.eid, op.id, 200, &a, &na) == RSP_OK) {
        for (size_t i = 0; i < na; i++) {
            json_t *s = audit_json(&a[i]);
            json_object_set_new(s, "after_s", json_integer(a[i].ts - op.created));
            json_array_append_new(steps, s);
        }
        free(a);
    }
    json_object_set_new(o, "steps", steps);
    rsp_store_op_clear(&op);
    return (console_reply){200, o};
}
