/* `rsp op` output: the outcome of one call as a JSON object (--json, and the batch's result lines) or as
 * human lines. The result body is shown in its JSON form (docs/ES-JSON.md), so every function's result
 * is printed without code of its own here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "op_int.h"

const char *op_outcome_name(op_outcome o)
{
    static const char *const n[] = {"executed", "accepted", "refused", "fault", "no-answer", "invalid"};
    return (unsigned)o < sizeof(n) / sizeof(n[0]) ? n[o] : "?";
}

int op_exit_code(op_outcome o)
{
    switch (o) {
    case OP_EXECUTED:
    case OP_ACCEPTED:
        return RSP_EXIT_OK;
    case OP_REFUSED:
    case OP_FAULT:
        return RSP_EXIT_FAIL;
    case OP_INVALID:
        return RSP_EXIT_USAGE;
    default:
        return OP_EXIT_NO_ANSWER;
    }
}

rsp_err op_msg_copy(const rsp_es_msg *src, rsp_es_msg *dst)
{
    rsp_buf b = RSP_BUF_INIT;
    memset(dst, 0, sizeof(*dst));
    rsp_err e = rsp_es_json_encode(src, &b, NULL);
    if (e == RSP_OK)
        e = rsp_es_json_decode(src->func, src->response, b.data, b.len, NULL, dst, NULL);
    rsp_buf_free(&b);
    return e;
}

/* The result body as a JSON object, without the addressing (shown separately). */
static json_t *body_json(const rsp_es_msg *m)
{
    rsp_buf b = RSP_BUF_INIT;
    json_t *j = NULL;
    rsp_es_msg c = *m;
    memset(&c.wsa, 0, sizeof(c.wsa)); /* a shallow view: nothing freed here */
    if (rsp_es_json_encode(&c, &b, NULL) == RSP_OK)
        j = json_loadb((const char *)b.data, b.len, 0, NULL);
    rsp_buf_free(&b);
    return j;
}

const char *op_iccid_of(const rsp_es_msg *req, const op_result *r)
{
    if (r->resp.func && r->resp.body && r->resp.func->resp) {
        const rsp_es_struct *sd = r->resp.func->resp;
        for (size_t i = 0; i < sd->nfields; i++)
            if (!strcmp(sd->fields[i].json, "iccid") && sd->fields[i].type == RSP_ES_T_STR) {
                const char *v = *(char *const *)((const char *)r->resp.body + sd->fields[i].off);
                if (v)
                    return v;
            }
    }
    /* GetEIS / AuditEIS: the enabled profile's */
    if (r->resp.func && r->resp.body && r->resp.func->resp == rsp_es_func_find(RSP_ES4, "GetEIS", 6)->resp) {
        const rsp_es_eis_resp *er = r->resp.body;
        const rsp_es_profile_info *pi = er->eis ? er->eis->profiles.v : NULL;
        for (size_t i = 0; pi && i < er->eis->profiles.n; i++)
            if (pi[i].state == RSP_ES_STATE_ENABLED && pi[i].iccid)
                return pi[i].iccid;
    }
    if (req && req->func && req->body) {
        const rsp_es_struct *sd = req->func->req;
        for (size_t i = 0; i < sd->nfields; i++) {
            const rsp_es_field *fd = &sd->fields[i];
            const char *base = (const char *)req->body + fd->off;
            if (!strcmp(fd->json, "iccid") && fd->type == RSP_ES_T_STR && *(char *const *)base)
                return *(char *const *)base;
            if (!strcmp(fd->json, "iccids") && fd->type == RSP_ES_T_LIST) {
                const rsp_es_list *l = (const rsp_es_list *)base;
                if (l->n == 1)
                    return ((char *const *)l->v)[0];
            }
        }
    }
    return NULL;
}

static const char *eid_of(const rsp_es_msg *req)
{
    const rsp_es_struct *sd = req && req->func ? req->func->req : NULL;
    for (size_t i = 0; sd && req->body && i < sd->nfields; i++)
        if (!strcmp(sd->fields[i].json, "eid") && sd->fields[i].type == RSP_ES_T_STR)
            return *(char *const *)((const char *)req->body + sd->fields[i].off);
    return NULL;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v && *v)
        json_object_set_new(o, k, json_string(v));
}

json_t *op_result_json(const rsp_es_msg *req, const op_result *r)
{
    json_t *o = json_object();
    char fn[96];
    snprintf(fn, sizeof(fn), "%s.%s", req && req->func ? rsp_es_iface_get(req->func->iface)->name : "?",
             req && req->func ? req->func->name : "?");
    json_object_set_new(o, "function", json_string(fn));
    json_object_set_new(o, "outcome", json_string(op_outcome_name(r->outcome)));
    json_object_set_new(o, "http_status", json_integer(r->http_status));
    set_str(o, "eid", eid_of(req));
    set_str(o, "message_id", r->message_id);
    set_str(o, "function_call_id", r->function_call_id);
    set_str(o, "via", r->via);
    const rsp_es_fes *s = rsp_svc_client_status(&r->resp);
    if (s) {
        json_object_set_new(o, "status", json_string(rsp_es_status_name(s->status)));
        if (s->code) {
            set_str(o, "subject", s->code->subject);
            set_str(o, "reason", s->code->reason);
            set_str(o, "message", s->code->message);
        }
    } else if (r->outcome == OP_FAULT || r->outcome == OP_NO_ANSWER)
        json_object_set_new(o, "status", json_string(r->outcome == OP_FAULT ? "FAULT" : "NO_ANSWER"));
    set_str(o, "iccid", op_iccid_of(req, r));
    set_str(o, "error", r->error);
    if (r->resp.func && r->resp.body) {
        json_t *b = body_json(&r->resp);
        if (b)
            json_object_set_new(o, "result", b);
    }
    return o;
}

/* An EIS in a few lines: the card and each profile. */
static void print_eis(FILE *out, json_t *eis)
{
    json_t *si = json_object_get(eis, "eumSignedInfo");
    fprintf(out, "  eid: %s  smsr: %s  memory for profiles: %lld\n",
            json_string_value(json_object_get(si, "eid")) ? json_string_value(json_object_get(si, "eid")) : "?",
            json_string_value(json_object_get(eis, "smsrId")) ? json_string_value(json_object_get(eis, "smsrId")) : "?",
            (long long)json_integer_value(json_object_get(eis, "availableMemoryForProfiles")));
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(eis, "profiles"), i, p)
    {
        const char *ic = json_string_value(json_object_get(p, "iccid")), *st = json_string_value(json_object_get(p, "state"));
        const char *mno = json_string_value(json_object_get(p, "mnoId")), *pt = json_string_value(json_object_get(p, "profileType"));
        fprintf(out, "  profile %s  %-9s mno=%s type=%s%s\n", ic ? ic : "?", st ? st : "?", mno ? mno : "?", pt ? pt : "-",
                json_is_true(json_object_get(p, "fallbackAttribute")) ? " fall-back" : "");
    }
    size_t na = json_array_size(json_object_get(eis, "auditTrail"));
    if (na)
        fprintf(out, "  audit trail: %zu records\n", na);
}

void op_result_print(FILE *out, const rsp_es_msg *req, const op_result *r)
{
    json_t *o = op_result_json(req, r);
    const char *fn = json_string_value(json_object_get(o, "function"));
    const char *eid = json_string_value(json_object_get(o, "eid"));
    const char *st = json_string_value(json_object_get(o, "status"));
    fprintf(out, "%s%s%s: %s", fn, eid ? " " : "", eid ? eid : "", op_outcome_name(r->outcome));
    if (st)
        fprintf(out, " (%s)", st);
    if (r->http_status)
        fprintf(out, " HTTP %d", r->http_status);
    fputc('\n', out);
    const char *sub = json_string_value(json_object_get(o, "subject")), *rea = json_string_value(json_object_get(o, "reason"));
    const char *msg = json_string_value(json_object_get(o, "message"));
    if (sub || rea)
        fprintf(out, "  subject %s reason %s%s%s\n", sub ? sub : "?", rea ? rea : "?", msg ? ": " : "", msg ? msg : "");
    if (r->error[0])
        fprintf(out, "  %s\n", r->error);
    if (r->message_id[0])
        fprintf(out, "  message id: %s\n  function call id: %s\n", r->message_id, r->function_call_id);
    if (r->outcome == OP_ACCEPTED)
        fprintf(out, "  the result goes to ReplyTo%s\n", req && req->wsa.reply_to ? "" : " (none given)");
    json_t *res = json_object_get(o, "result");
    const char *k;
    json_t *v;
    json_object_foreach(res, k, v)
    {
        if (!strcmp(k, "functionExecutionStatus") || !strcmp(k, "processingStart") || !strcmp(k, "processingEnd"))
            continue;
        if (!strcmp(k, "eis") && json_is_object(v)) {
            print_eis(out, v);
            continue;
        }
        char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        fprintf(out, "  %s: %s\n", k, s ? s : json_string_value(v));
        free(s);
    }
    json_decref(o);
}
