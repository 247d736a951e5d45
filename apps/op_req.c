/* `rsp op`: which functions it sends, and the request of one built from its flags. The flags come from
 * the function's request descriptor (lib/es tables): each top-level element is a flag named after its
 * JSON key in kebab case (smsrId -> --smsr-id), so a function added to the catalogue gets its flags
 * without code here. The structured elements have flags of their parts (--pol2 RULES, --imsi/--msisdn,
 * one PLMA or ONC entry). The flags are assembled into the function's JSON form (docs/ES-JSON.md) and
 * decoded by the es layer, which checks mandatory elements and values exactly as a server would. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "op_int.h"

/* What `rsp op` leaves out: notifications (the servers send them) and the SM-SR change (another
 * procedure between two SM-SRs). */
static bool sendable(const rsp_es_func *f)
{
    return f && f->mode != RSP_ES_ONEWAY && (f->iface == RSP_ES2 || f->iface == RSP_ES4 || f->iface == RSP_ES4A) &&
           strcmp(f->name, "PrepareSMSRChange") != 0 && strcmp(f->name, "SMSRChange") != 0;
}

const rsp_es_func *op_find(const char *name, const char *iface_hint)
{
    rsp_es_iface ifc;
    const char *dot = strchr(name, '.');
    if (dot) {
        if (rsp_es_iface_parse(name, (size_t)(dot - name), &ifc) != RSP_OK)
            return NULL;
        const rsp_es_func *f = rsp_es_func_find(ifc, dot + 1, strlen(dot + 1));
        return sendable(f) ? f : NULL;
    }
    if (iface_hint) {
        if (rsp_es_iface_parse(iface_hint, strlen(iface_hint), &ifc) != RSP_OK)
            return NULL;
        const rsp_es_func *f = rsp_es_func_find(ifc, name, strlen(name));
        return sendable(f) ? f : NULL;
    }
    const rsp_es_iface order[] = {RSP_ES4A, RSP_ES4, RSP_ES2};
    for (size_t i = 0; i < 3; i++) {
        const rsp_es_func *f = rsp_es_func_find(order[i], name, strlen(name));
        if (sendable(f))
            return f;
    }
    return NULL;
}

/* ---- flags of a function ---- */
typedef enum fkind {
    K_STR,    /* a string element */
    K_INT,    /* an integer element */
    K_BOOL,   /* a boolean element: the flag alone means true */
    K_LIST,   /* a list of strings: comma-separated */
    K_POL2,   /* pol2: ACTION:QUALIFICATION,... */
    K_SUBADDR,/* newSubscriptionAddress.<json> */
    K_ENTRY,  /* a member of the one PLMA / ONC entry (entry list key in `parent`) */
    K_ENTRY_LIST,
} fkind;

typedef struct flag {
    char name[40];
    const char *json;   /* key in the body (or in the sub-object) */
    const char *parent; /* K_SUBADDR / K_ENTRY*: the key of the object / list */
    const char *xml;    /* element name, to name a flag when the decoder names an element */
    fkind kind;
    bool required;
} flag;

static void kebab(const char *json, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = json; *p && n + 2 < cap; p++) {
        if (isupper((unsigned char)*p) && p != json)
            out[n++] = '-';
        out[n++] = (char)tolower((unsigned char)*p);
    }
    out[n] = 0;
}

static size_t add(flag *v, size_t n, size_t cap, const char *name, const char *json, const char *parent,
                  const char *xml, fkind k, bool req)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return n; /* one flag per name */
    if (n >= cap)
        return n;
    snprintf(v[n].name, sizeof(v[n].name), "%s", name);
    v[n].json = json;
    v[n].parent = parent;
    v[n].xml = xml;
    v[n].kind = k;
    v[n].required = req;
    return n + 1;
}

static size_t flags_of(const rsp_es_func *f, flag *v, size_t cap)
{
    size_t n = 0;
    const rsp_es_struct *sd = f->req;
    char nm[40];
    for (size_t i = 0; i < sd->nfields; i++) {
        const rsp_es_field *fd = &sd->fields[i];
        bool req = !fd->optional;
        if (!strcmp(fd->json, "functionCallIdentifier"))
            n = add(v, n, cap, "fcid", fd->json, NULL, fd->xml, K_STR, false); /* generated when absent */
        else if (!strcmp(fd->json, "validityPeriod"))
            n = add(v, n, cap, "validity", fd->json, NULL, fd->xml, K_INT, false);
        else if (fd->type == RSP_ES_T_STR || fd->type == RSP_ES_T_TIME) {
            kebab(fd->json, nm, sizeof(nm));
            n = add(v, n, cap, nm, fd->json, NULL, fd->xml, K_STR, req);
        } else if (fd->type == RSP_ES_T_INT) {
            kebab(fd->json, nm, sizeof(nm));
            n = add(v, n, cap, nm, fd->json, NULL, fd->xml, K_INT, req);
        } else if (fd->type == RSP_ES_T_BOOL) {
            kebab(fd->json, nm, sizeof(nm));
            n = add(v, n, cap, nm, fd->json, NULL, fd->xml, K_BOOL, false);
        } else if (fd->type == RSP_ES_T_LIST && fd->item == RSP_ES_T_STR) {
            kebab(fd->json, nm, sizeof(nm));
            n = add(v, n, cap, nm, fd->json, NULL, fd->xml, K_LIST, req);
        } else if (fd->type == RSP_ES_T_STRUCT && !strcmp(fd->json, "pol2"))
            n = add(v, n, cap, "pol2", fd->json, NULL, fd->xml, K_POL2, req);
        else if (fd->type == RSP_ES_T_STRUCT && fd->sub) {
            for (size_t j = 0; j < fd->sub->nfields; j++) {
                kebab(fd->sub->fields[j].json, nm, sizeof(nm));
                n = add(v, n, cap, nm, fd->sub->fields[j].json, fd->json, fd->sub->fields[j].xml, K_SUBADDR, false);
            }
        } else if (fd->type == RSP_ES_T_LIST && fd->item == RSP_ES_T_STRUCT && fd->sub) {
            for (size_t j = 0; j < fd->sub->nfields; j++) {
                const rsp_es_field *sf = &fd->sub->fields[j];
                /* allowedFunctions -> --functions, notifications -> --notifications */
                const char *key = !strcmp(sf->json, "allowedFunctions") ? "functions" : NULL;
                kebab(key ? key : sf->json, nm, sizeof(nm));
                n = add(v, n, cap, nm, sf->json, fd->json, sf->xml, sf->type == RSP_ES_T_LIST ? K_ENTRY_LIST : K_ENTRY,
                        !fd->optional && !sf->optional);
            }
        }
    }
    return n;
}

static const flag *find_flag(const flag *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return &v[i];
    return NULL;
}

bool op_is_field_flag(const rsp_es_func *f, const char *name, bool *takes_value)
{
    flag v[OP_MAX_FIELDS];
    size_t n = flags_of(f, v, OP_MAX_FIELDS);
    const flag *fl = find_flag(v, n, name);
    /* AuditEIS takes its list of ICCIDs as --iccids, and a single one as --iccid too */
    if (!fl && !strcmp(name, "iccid"))
        fl = find_flag(v, n, "iccids");
    if (fl && takes_value)
        *takes_value = fl->kind != K_BOOL;
    return fl != NULL;
}

void op_print_fields(FILE *o, const rsp_es_func *f)
{
    flag v[OP_MAX_FIELDS];
    size_t n = flags_of(f, v, OP_MAX_FIELDS);
    static const char *const what[] = {"TEXT", "N", "", "A,B,...", "ACTION:QUALIFICATION,...", "TEXT", "TEXT",
                                       "A,B,..."};
    /* K_BOOL: the flag means true, its absence false */
    fprintf(o, "%s.%s flags (* mandatory, unless given in --body):\n", rsp_es_iface_get(f->iface)->name, f->name);
    for (size_t i = 0; i < n; i++)
        fprintf(o, "  %c --%s%s%s%s%s\n", v[i].required ? '*' : ' ', v[i].name, *what[v[i].kind] ? " " : "",
                what[v[i].kind],
                v[i].kind == K_POL2   ? "  (e.g. disable:not-allowed,delete:auto-delete; \"\" for none)"
                : v[i].kind == K_BOOL ? "  (true; false when absent)"
                                      : "",
                !strcmp(v[i].name, "fcid") ? "  (FunctionCallIdentifier; generated when absent)" : "");
}

void op_print_functions(FILE *o)
{
    const rsp_es_iface ifs[] = {RSP_ES2, RSP_ES4, RSP_ES4A};
    for (size_t i = 0; i < 3; i++) {
        const rsp_es_iface_table *t = rsp_es_iface_get(ifs[i]);
        fprintf(o, "  %-5s", t->name);
        size_t col = 7;
        for (size_t j = 0; j < t->n; j++) {
            if (!sendable(&t->funcs[j]))
                continue;
            size_t w = strlen(t->funcs[j].name) + 1;
            if (col + w > 100) {
                fprintf(o, "\n       ");
                col = 7;
            }
            fprintf(o, " %s", t->funcs[j].name);
            col += w;
        }
        fputc('\n', o);
    }
}

/* ---- building the body ---- */
static json_t *split_list(const char *s)
{
    json_t *a = json_array();
    const char *p = s;
    while (a && *p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && isspace((unsigned char)*p))
            p++, len--;
        while (len && isspace((unsigned char)p[len - 1]))
            len--;
        if (len)
            json_array_append_new(a, json_stringn(p, len));
        p = e ? e + 1 : p + strlen(p);
    }
    return a;
}

/* "disable:not-allowed,delete:auto-delete" -> {"rules":[{"subject":"PROFILE","action":..,"qualification":..}]} */
static json_t *pol2_json(const char *s, rsp_diag *d)
{
    json_t *rules = json_array(), *items = split_list(s);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        const char *r = json_string_value(it), *c = strchr(r, ':');
        if (!c || c == r || !c[1]) {
            rsp_diag_set(d, RSP_ERR_INVAL, "--pol2: rule '%s' is not ACTION:QUALIFICATION", r);
            json_decref(items);
            json_decref(rules);
            return NULL;
        }
        json_array_append_new(rules, json_pack("{s:s, s:s%, s:s}", "subject", "PROFILE", "action", r, (size_t)(c - r),
                                               "qualification", c + 1));
    }
    json_decref(items);
    return json_pack("{s:o}", "rules", rules);
}

static rsp_err load_body(const char *arg, json_t **out, rsp_diag *d)
{
    json_error_t je;
    json_t *j;
    if (arg[0] == '@')
        j = json_load_file(arg + 1, 0, &je);
    else
        j = json_loads(arg, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return rsp_diag_set(d, RSP_ERR_INVAL, "--body: not a JSON object (%s, line %d)", je.text, je.line);
    }
    json_object_del(j, "addressing"); /* WS-A fields are the client's */
    *out = j;
    return RSP_OK;
}

static json_t *entry_of(json_t *body, const char *list)
{
    json_t *a = json_object_get(body, list);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(body, list, a);
    }
    if (json_array_size(a) == 0)
        json_array_append_new(a, json_object());
    return json_array_get(a, 0);
}

static rsp_err set_flag(json_t *body, const flag *fl, const char *val, rsp_diag *d)
{
    switch (fl->kind) {
    case K_STR:
        json_object_set_new(body, fl->json, json_string(val));
        break;
    case K_INT: {
        char *end = NULL;
        long long v = strtoll(val, &end, 10);
        if (!*val || *end || v < 0)
            return rsp_diag_set(d, RSP_ERR_INVAL, "--%s: '%s' is not a non-negative integer", fl->name, val);
        json_object_set_new(body, fl->json, json_integer(v));
        break;
    }
    case K_BOOL:
        json_object_set_new(body, fl->json, json_true());
        break;
    case K_LIST: {
        json_t *a = json_object_get(body, fl->json), *add = split_list(val);
        if (!json_is_array(a))
            json_object_set_new(body, fl->json, add);
        else {
            json_array_extend(a, add);
            json_decref(add);
        }
        break;
    }
    case K_POL2: {
        json_t *p = pol2_json(val, d);
        if (!p)
            return RSP_ERR_INVAL;
        json_object_set_new(body, fl->json, p);
        break;
    }
    case K_SUBADDR: {
        json_t *o = json_object_get(body, fl->parent);
        if (!json_is_object(o)) {
            o = json_object();
            json_object_set_new(body, fl->parent, o);
        }
        json_object_set_new(o, fl->json, json_string(val));
        break;
    }
    case K_ENTRY:
        json_object_set_new(entry_of(body, fl->parent), fl->json, json_string(val));
        break;
    case K_ENTRY_LIST:
        json_object_set_new(entry_of(body, fl->parent), fl->json, split_list(val));
        break;
    }
    return RSP_OK;
}

rsp_err op_build(const op_args *a, const char *eid, const char *iccid, rsp_es_msg *m, rsp_diag *d)
{
    flag v[OP_MAX_FIELDS];
    size_t n = flags_of(a->f, v, OP_MAX_FIELDS);
    json_t *body = NULL;
    rsp_err err = a->body ? load_body(a->body, &body, d) : RSP_OK;
    if (err == RSP_OK && !body && !(body = json_object()))
        err = RSP_ERR_NOMEM;
    for (size_t i = 0; err == RSP_OK && i < a->nkv; i++) {
        const char *name = a->kv[i].name;
        if (eid && !strcmp(name, "eid"))
            continue;
        if (iccid && (!strcmp(name, "iccid") || !strcmp(name, "iccids")))
            continue;
        const flag *fl = find_flag(v, n, name);
        if (!fl && !strcmp(name, "iccid"))
            fl = find_flag(v, n, "iccids");
        if (!fl)
            err = rsp_diag_set(d, RSP_ERR_INVAL, "%s takes no --%s", a->f->name, name);
        else
            err = set_flag(body, fl, a->kv[i].value ? a->kv[i].value : "", d);
    }
    /* batch: the line's EID and ICCID */
    const flag *fe = find_flag(v, n, "eid"), *fi = find_flag(v, n, "iccid");
    if (!fi)
        fi = find_flag(v, n, "iccids");
    if (err == RSP_OK && eid) {
        if (!fe)
            err = rsp_diag_set(d, RSP_ERR_INVAL, "%s takes no EID: no batch over EIDs", a->f->name);
        else
            err = set_flag(body, fe, eid, d);
    }
    if (err == RSP_OK && iccid && fi) {
        json_object_del(body, fi->json);
        err = set_flag(body, fi, iccid, d);
    }
    /* a boolean element is false unless its flag is given (DownloadProfile's EnableProfile is mandatory) */
    for (size_t i = 0; err == RSP_OK && i < n; i++)
        if (v[i].kind == K_BOOL && !json_object_get(body, v[i].json))
            json_object_set_new(body, v[i].json, json_false());
    /* the decoder wants a FunctionCallIdentifier; without --fcid the client generates one */
    bool own_fcid = json_object_get(body, "functionCallIdentifier") != NULL;
    if (err == RSP_OK && !own_fcid)
        json_object_set_new(body, "functionCallIdentifier", json_string("-"));
    char *text = err == RSP_OK ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (err == RSP_OK && !text)
        err = RSP_ERR_NOMEM;
    memset(m, 0, sizeof(*m));
    if (err == RSP_OK) {
        rsp_diag d2;
        rsp_diag_clear(&d2);
        err = rsp_es_json_decode(a->f, false, (const uint8_t *)text, strlen(text), NULL, m, &d2);
        if (err != RSP_OK) {
            /* name the flag of the element at fault when there is one */
            const char *flagname = NULL;
            for (size_t i = 0; m->bad_element[0] && i < n && !flagname; i++)
                if (!strcmp(v[i].xml, m->bad_element) || !strcmp(v[i].json, m->bad_element))
                    flagname = v[i].name;
            if (flagname)
                err = rsp_diag_set(d, RSP_ERR_INVAL, "%s: --%s %s", a->f->name, flagname,
                                   m->bad_reason && !strcmp(m->bad_reason, "2.2") ? "is mandatory" : "is invalid");
            else
                err = rsp_diag_set(d, RSP_ERR_INVAL, "%s: %s", a->f->name, d2.msg);
            rsp_es_msg_free(m);
        }
    }
    free(text);
    if (err == RSP_OK && !own_fcid) {
        rsp_es_req_hdr *h = m->body;
        free(h->function_call_id);
        h->function_call_id = NULL;
    }
    return err;
}
