/* SOAP parsing (libxml2), driven by the descriptors.
 *
 * Safety: the input is size-checked first; any DOCTYPE/ENTITY declaration is refused before libxml2
 * sees it (SOAP forbids DTDs, and refusing them is what makes "billion laughs" and external entities
 * impossible rather than merely limited); libxml2 runs with XML_PARSE_NONET and without NOENT/DTDLOAD;
 * the tree depth is checked before any decoding.
 *
 * Leniency (SGP.02 peers differ): SOAP 1.1 or 1.2; WS-A header elements matched by local name in any
 * namespace (njiwa uses the 2007/05 metadata namespace); body element <Name>, <NameRequest>,
 * <ES4-NameRequest>, <NameResponse>, any namespace and case; child elements matched ignoring case,
 * namespace and '-'/'_'; unknown children are skipped. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dialect_int.h"
#include "dsig_int.h"
#include "soap_int.h"

typedef struct dec_ctx {
    rsp_es_msg *m;
    rsp_diag *d;
    const rsp_es_dialect_def *dd;
    char path[200]; /* Body/EnableProfile/pol2/rules[2]: named in every error */
    size_t plen;
} dec_ctx;

static size_t path_push(dec_ctx *c, const char *name, size_t idx)
{
    size_t old = c->plen;
    int n = idx ? snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%.40s[%zu]", old ? "/" : "", name, idx)
                : snprintf(c->path + c->plen, sizeof(c->path) - c->plen, "%s%.40s", old ? "/" : "", name);
    if (n > 0)
        c->plen = c->plen + (size_t)n < sizeof(c->path) ? c->plen + (size_t)n : sizeof(c->path) - 1;
    return old;
}

static void path_pop(dec_ctx *c, size_t old)
{
    c->plen = old;
    c->path[old] = '\0';
}

/* Concatenated text of n's text/CDATA children, trimmed, malloc'd. *bad is set when n has element or
 * entity-reference children (a scalar was expected). */
char *rsp_es_xml_text(const xmlNode *n, bool *bad)
{
    size_t total = 0;
    *bad = false;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            total += c->content ? strlen((const char *)c->content) : 0;
        else if (c->type == XML_ELEMENT_NODE || c->type == XML_ENTITY_REF_NODE)
            *bad = true;
    }
    char *s = malloc(total + 1), *p = s;
    if (!s)
        return NULL;
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t l = strlen((const char *)c->content);
            memcpy(p, c->content, l);
            p += l;
        }
    *p = '\0';
    /* trim: identifiers and codes never carry significant outer white space, pretty-printers add it */
    char *b = s;
    while (isspace((unsigned char)*b))
        b++;
    size_t l = strlen(b);
    while (l && isspace((unsigned char)b[l - 1]))
        l--;
    memmove(s, b, l);
    s[l] = '\0';
    return s;
}

static rsp_err bad(dec_ctx *c, rsp_err err, const char *elem, const char *reason, const char *fmt, const char *a,
                   const char *b)
{
    char msg[160];
    snprintf(msg, sizeof(msg), fmt, a, b);
    rsp_es_msg_bad(c->m, elem, reason);
    return rsp_diag_set(c->d, err, "%s (at %s)", msg, c->path);
}

static rsp_err dec_struct(dec_ctx *c, const rsp_es_struct *sd, const rsp_es_drow *rows, size_t nrows,
                          const xmlNode *parent, void *base);
static rsp_err dec_scalar(dec_ctx *c, const rsp_es_field *f, const rsp_es_drow *r, uint8_t t, char *txt, void *slot);

/* xs:byte in decimal, never read as hex: "10" is ten. */
static bool parse_byte(const char *s, uint8_t *out)
{
    int64_t v;
    if (!rsp_es_parse_int(s, strlen(s), &v) || v < -128 || v > 127)
        return false;
    *out = (uint8_t)(int8_t)v;
    return true;
}

static rsp_err dec_value(dec_ctx *c, const rsp_es_field *f, const rsp_es_drow *r, uint8_t t, const xmlNode *n,
                         void *slot)
{
    if (t == RSP_ES_T_STRUCT || t == RSP_ES_T_INLINE) {
        void *target = slot;
        if (t == RSP_ES_T_STRUCT) {
            if (!(*(void **)slot = rsp_es_body_new(f->sub)))
                return RSP_ERR_NOMEM;
            target = *(void **)slot;
        }
        const rsp_es_layout *l = rsp_es_dialect_layout(c->dd, r && r->sub ? r->sub : f->sub->name);
        return dec_struct(c, f->sub, l ? l->rows : NULL, l ? l->n : 0, n, target);
    }
    if (t == RSP_ES_T_XML) { /* a foreign element kept whole: an XML-DSig ds:Signature */
        if (!n->ns || strcmp((const char *)n->ns->href, RSP_ES_DSIG_NS))
            return bad(c, RSP_ERR_TAG, f->xml, "2.1", "element '%s' is not in the XML-DSig namespace%s",
                       rsp_es_lname(n), "");
        return rsp_es_c14n_node(n->doc, (xmlNode *)n, true, (char **)slot);
    }
    bool has_children;
    char *txt = rsp_es_xml_text(n, &has_children);
    if (!txt)
        return RSP_ERR_NOMEM;
    if (has_children) {
        rsp_err e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s' must hold text, not elements%s", f->xml, "");
        free(txt);
        return e;
    }
    return dec_scalar(c, f, r, t, txt, slot);
}

/* One text value (an element's or an attribute's) into its slot; takes txt. */
static rsp_err dec_scalar(dec_ctx *c, const rsp_es_field *f, const rsp_es_drow *r, uint8_t t, char *txt, void *slot)
{
    uint8_t form = r ? r->form : RSP_ES_FORM_PLAIN;
    rsp_err e = RSP_OK;
    switch (t) {
    case RSP_ES_T_TIME:
        if (!rsp_es_datetime_ok(txt)) {
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': '%.40s' is not an xs:dateTime", f->xml, txt);
            break;
        }
        /* fall through */
    case RSP_ES_T_STR:
        *(char **)slot = txt;
        return RSP_OK;
    case RSP_ES_T_INT: {
        const char *p = txt;
        if (form == RSP_ES_FORM_ECC && !strncasecmp(p, "ECC-", 4))
            p += 4;
        if (!rsp_es_parse_int(p, strlen(p), (int64_t *)slot))
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1",
                    form == RSP_ES_FORM_ECC ? "element '%s': '%.40s' is not ECC-<bits>"
                                            : "element '%s': '%.40s' is not an integer",
                    f->xml, txt);
        break;
    }
    case RSP_ES_T_BOOL:
        if (!rsp_es_parse_bool(txt, strlen(txt), (bool *)slot))
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': '%.40s' is not a boolean", f->xml, txt);
        break;
    case RSP_ES_T_ENUM: {
        int v = rsp_es_enum_parse(f->en, txt, strlen(txt));
        if (v < 0)
            v = rsp_es_dialect_value_parse(c->dd, f->en, txt, strlen(txt));
        if (v < 0)
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': unknown value '%.40s'", f->xml, txt);
        else
            *(int *)slot = v;
        break;
    }
    case RSP_ES_T_HEX:
        if (form == RSP_ES_FORM_HEX_LONG) { /* xs:long in decimal: big-endian, no leading zero bytes */
            int64_t v;
            if (!rsp_es_parse_int(txt, strlen(txt), &v) || v < 0) {
                e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': '%.40s' is not a non-negative xs:long", f->xml,
                        txt);
                break;
            }
            uint8_t be[8];
            size_t k = 8;
            for (int i = 7; i >= 0; i--, v >>= 8)
                be[i] = (uint8_t)v;
            while (k > 1 && !be[8 - k])
                k--;
            if (!(r && (r->flags & RSP_ES_R_ALWAYS) && k == 1 && !be[7])) /* 0 is the peer's "unset" */
                e = rsp_buf_set((rsp_buf *)slot, be + 8 - k, k);
        } else if (form == RSP_ES_FORM_BYTE_DEC) {
            uint8_t b;
            if (!parse_byte(txt, &b))
                e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': '%.40s' is not an xs:byte (decimal)", f->xml,
                        txt);
            else
                e = rsp_buf_set((rsp_buf *)slot, &b, 1);
        } else if (rsp_hex_decode(txt, (rsp_buf *)slot, NULL) != RSP_OK) {
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': '%.40s' is not hexBinary", f->xml, txt);
        }
        break;
    default:
        e = RSP_ERR_INTERNAL;
    }
    free(txt);
    return e;
}

static const rsp_es_field *find_field(const rsp_es_struct *sd, const char *name, size_t *idx)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < sd->nfields; i++)
        if (rsp_es_name_eq(name, len, sd->fields[i].xml)) {
            *idx = i;
            return &sd->fields[i];
        }
    return NULL;
}

static const rsp_es_drow *find_row(const rsp_es_drow *rows, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (rsp_es_name_eq(name, len, rows[i].name))
            return &rows[i];
    return NULL;
}

static rsp_err list_append(dec_ctx *c, const rsp_es_field *f, const rsp_es_drow *r, const xmlNode *n, void *slot)
{
    rsp_es_list *l = (rsp_es_list *)slot;
    size_t isz = rsp_es_item_size(f);
    void *nv = realloc(l->v, (l->n + 1) * isz);
    if (!nv)
        return RSP_ERR_NOMEM;
    l->v = nv;
    uint8_t *item = (uint8_t *)nv + l->n * isz;
    memset(item, 0, isz);
    l->n++;
    size_t old = path_push(c, rsp_es_lname(n), l->n);
    rsp_err e = dec_value(c, f, r, f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item, n, item);
    path_pop(c, old);
    return e;
}

/* The children of `parent` into `base`. With rows (the dialect's layout of this struct), an element is
 * looked up among the rows first, then among our own names; anything else is an error naming its path,
 * because a value we cannot place must not disappear. */
static rsp_err dec_struct(dec_ctx *c, const rsp_es_struct *sd, const rsp_es_drow *rows, size_t nrows,
                          const xmlNode *parent, void *base)
{
    uint64_t seen = 0;                                            /* descriptors have < 64 fields */
    for (const xmlAttr *a = parent->properties; a; a = a->next) { /* members a dialect puts in attributes */
        const char *an = (const char *)a->name;
        const rsp_es_drow *r = find_row(rows, nrows, an);
        size_t i;
        const rsp_es_field *f =
            r && (r->flags & RSP_ES_R_ATTR) ? find_field(sd, r->ours ? r->ours : r->name, &i) : NULL;
        char at[48];
        snprintf(at, sizeof(at), "@%.40s", an);
        size_t old = path_push(c, at, 0);
        rsp_err e;
        if (!f) {
            e = bad(c, RSP_ERR_TAG, an, "2.1", "attribute '%.40s' is not part of %s", an, sd->name);
        } else {
            xmlChar *v = xmlNodeGetContent((const xmlNode *)a);
            char *txt = strdup(v ? (const char *)v : "");
            xmlFree(v);
            e = txt ? dec_scalar(c, f, r, f->type, txt, (uint8_t *)base + f->off) : RSP_ERR_NOMEM;
            rsp_es_field_mark(f, base);
            seen |= 1ull << i;
        }
        path_pop(c, old);
        if (e != RSP_OK)
            return e;
    }
    for (const xmlNode *n = parent->children; n; n = n->next) {
        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
            const char *t = (const char *)n->content;
            t += strspn(t, " \t\r\n");
            if (*t) /* text between a struct's elements belongs to nothing we could keep */
                return bad(c, RSP_ERR_FORMAT, sd->name, "2.1", "text '%.30s' where %s holds only elements", t,
                           sd->name);
            continue;
        }
        if (!(n->type == XML_ELEMENT_NODE))
            continue;
        size_t i;
        const rsp_es_drow *r = find_row(rows, nrows, rsp_es_lname(n));
        if (r && (r->flags & RSP_ES_R_ATTR))
            r = NULL; /* an attribute member given as an element: our own name may still place it */
        const rsp_es_field *f =
            r ? find_field(sd, r->ours ? r->ours : r->name, &i) : find_field(sd, rsp_es_lname(n), &i);
        if (!f) {
            size_t old = path_push(c, rsp_es_lname(n), 0);
            rsp_err e = bad(c, RSP_ERR_TAG, rsp_es_lname(n), "2.1", "element '%.60s' is not part of %s",
                            rsp_es_lname(n), sd->name);
            path_pop(c, old);
            return e;
        }
        uint8_t *slot = (uint8_t *)base + f->off;
        rsp_err e = RSP_OK;
        if (f->type == RSP_ES_T_LIST && r && r->item) { /* <Iccid><item>..</item>...</Iccid> */
            if (seen & (1ull << i))
                return bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "list wrapper '%s' appears twice in %s", r->name,
                           sd->name);
            size_t old = path_push(c, rsp_es_lname(n), 0);
            for (const xmlNode *k = n->children; k && e == RSP_OK; k = k->next) {
                if (!(k->type == XML_ELEMENT_NODE))
                    continue;
                if (!rsp_es_name_eq(rsp_es_lname(k), strlen(rsp_es_lname(k)), r->item)) {
                    size_t o2 = path_push(c, rsp_es_lname(k), 0);
                    e = bad(c, RSP_ERR_TAG, f->xml, "2.1", "'%.60s' where a <%s> item belongs", rsp_es_lname(k),
                            r->item);
                    path_pop(c, o2);
                    break;
                }
                e = list_append(c, f, r, k, slot);
            }
            path_pop(c, old);
        } else if (f->type == RSP_ES_T_LIST) {
            e = list_append(c, f, r, n, slot);
        } else {
            size_t old = path_push(c, rsp_es_lname(n), 0);
            if (seen & (1ull << i))
                e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s' appears twice in %s", f->xml, sd->name);
            else
                e = dec_value(c, f, r, f->type, n, slot);
            if (!(r && (r->flags & RSP_ES_R_ALWAYS) && f->type == RSP_ES_T_INT && !*(int64_t *)slot))
                rsp_es_field_mark(f, base);
            path_pop(c, old);
        }
        seen |= 1ull << i;
        if (e != RSP_OK)
            return e;
    }
    for (size_t i = 0; i < sd->nfields; i++) {
        const rsp_es_field *f = &sd->fields[i];
        if (f->optional || (seen & (1ull << i)))
            continue;
        bool carried = !rows;
        for (size_t k = 0; k < nrows && !carried; k++) /* a dialect without the element cannot be asked for it */
            carried = rsp_es_name_eq(rows[k].ours ? rows[k].ours : rows[k].name,
                                     strlen(rows[k].ours ? rows[k].ours : rows[k].name), f->xml);
        if (carried)
            return bad(c, RSP_ERR_TAG, f->xml, "2.2", "mandatory element '%s' missing in %s", f->xml, sd->name);
    }
    return RSP_OK;
}

/* The rows of the body in its dialect; for a result carried in the HTTP response (njiwa's
 * <OpResponse><return>...</return>), steps into the part that holds it. */
static void body_rows(dec_ctx *c, const rsp_es_func *f, bool response, const char *action, const xmlNode **parent,
                      const rsp_es_drow **rows, size_t *nrows)
{
    const rsp_es_dop *op = rsp_es_dialect_op(c->dd, f);
    const rsp_es_layout *l = NULL;
    *rows = NULL;
    *nrows = 0;
    if (!op) {
        l = rsp_es_dialect_layout(c->dd, (response ? f->resp : f->req)->name);
    } else if (!response) {
        *rows = op->req;
        *nrows = op->nreq;
        return;
    } else {
        const xmlNode *k = rsp_es_first_elem((*parent)->children);
        bool wrapped = c->dd->rpc_result && op->ret && k && !rsp_es_first_elem(k->next) &&
                       rsp_es_name_eq(rsp_es_lname(k), strlen(rsp_es_lname(k)), op->ret);
        /* njiwa's GetEIS/AuditEIS name their result part FunctionExecutionStatus: the wrapper is the one
         * whose content is a whole result (it holds a FunctionExecutionStatus of its own) */
        if (wrapped && !strcasecmp(op->ret, "FunctionExecutionStatus")) {
            const xmlNode *g = rsp_es_first_elem(k->children);
            while (g && strcasecmp(rsp_es_lname(g), "FunctionExecutionStatus"))
                g = rsp_es_first_elem(g->next);
            wrapped = g != NULL;
        }
        if (wrapped) {
            *parent = k;
            /* a callback that also wraps its result (ES7 HandoverEUICC) is told apart by its Action */
            c->m->in_http_response = !(op->cb_ret && action && op->cb_action && strstr(action, op->cb_action));
            path_push(c, rsp_es_lname(k), 0);
            l = rsp_es_dialect_layout(c->dd, op->res);
        } else {
            l = rsp_es_dialect_layout(c->dd, op->cb_res ? op->cb_res : op->res);
        }
    }
    if (l) {
        *rows = l->rows;
        *nrows = l->n;
    }
}

static rsp_err decode_doc(xmlDoc *doc, const char *action_hint, const rsp_es_limits *lim, rsp_es_msg *out, rsp_diag *d)
{
    xmlNode *env = xmlDocGetRootElement(doc);
    if (!env || strcmp(rsp_es_lname(env), "Envelope"))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "root element is '%.40s', not a SOAP Envelope",
                            env ? rsp_es_lname(env) : "(none)");
    const char *ns = env->ns && env->ns->href ? (const char *)env->ns->href : "";
    if (!strcmp(ns, RSP_ES_SOAP12_NS))
        out->soap_version = 12;
    else if (!strcmp(ns, RSP_ES_SOAP11_NS))
        out->soap_version = 11;
    else
        return rsp_diag_set(d, RSP_ERR_FORMAT, "Envelope namespace '%.80s' is neither SOAP 1.1 nor SOAP 1.2", ns);
    if (!rsp_es_soap_depth_ok(env, lim->max_depth))
        return rsp_diag_set(d, RSP_ERR_RANGE, "XML nesting deeper than %u elements", lim->max_depth);
    xmlNode *hdr = NULL, *body = NULL;
    for (xmlNode *n = rsp_es_first_elem(env->children); n; n = rsp_es_first_elem(n->next)) {
        if (!strcmp(rsp_es_lname(n), "Header") && !hdr)
            hdr = n;
        else if (!strcmp(rsp_es_lname(n), "Body") && !body)
            body = n;
    }
    if (!body)
        return rsp_diag_set(d, RSP_ERR_TAG, "SOAP Envelope has no Body");
    rsp_err e = rsp_es_soap_read_header(hdr, out->soap_version, out, d);
    if (e != RSP_OK)
        return e;
    xmlNode *be = rsp_es_first_elem(body->children);
    if (!be)
        return rsp_diag_set(d, RSP_ERR_TAG, "SOAP Body is empty");
    if (rsp_es_first_elem(be->next))
        return rsp_diag_set(d, RSP_ERR_TAG, "SOAP Body holds a second element '%.60s' (at Body/%.60s)",
                            rsp_es_lname(rsp_es_first_elem(be->next)), rsp_es_lname(rsp_es_first_elem(be->next)));
    if (!strcmp(rsp_es_lname(be), "Fault")) {
        /* 1.1: Fault/faultstring; 1.2: Fault/Reason/Text */
        char *why = NULL;
        for (xmlNode *n = rsp_es_first_elem(be->children); n && !why; n = rsp_es_first_elem(n->next)) {
            if (!strcmp(rsp_es_lname(n), "faultstring"))
                why = rsp_es_xml_dup_text(n);
            else if (!strcmp(rsp_es_lname(n), "Reason"))
                for (xmlNode *t = rsp_es_first_elem(n->children); t && !why; t = rsp_es_first_elem(t->next))
                    if (!strcmp(rsp_es_lname(t), "Text"))
                        why = rsp_es_xml_dup_text(t);
        }
        rsp_diag_set(d, RSP_ERR_PROTOCOL, "SOAP Fault: %.160s", why ? why : "(no reason)");
        free(why);
        return RSP_ERR_PROTOCOL;
    }
    const char *action = out->wsa.action ? out->wsa.action : action_hint;
    bool response = false, resp_suffix = false;
    const rsp_es_func *f = NULL;
    if (action && *action && !(action[0] == '"' && action[1] == '"' && !action[2])) {
        if ((e = rsp_es_action_parse(action, &f, &response, d)) != RSP_OK)
            return e;
        if (!rsp_es_soap_body_matches(rsp_es_lname(be), f, &resp_suffix))
            return rsp_diag_set(d, RSP_ERR_TAG, "body element '%.60s' does not match Action function %s-%s",
                                rsp_es_lname(be), rsp_es_iface_get(f->iface)->name, f->name);
        response = (response || resp_suffix) && f->mode != RSP_ES_ONEWAY;
    } else if (!(f = rsp_es_soap_func_from_body(rsp_es_lname(be), &response))) {
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND, "no Action, and body element '%.60s' does not name an ES function",
                            rsp_es_lname(be));
    }
    out->func = f;
    out->response = response;
    const rsp_es_struct *sd = rsp_es_msg_desc(out);
    dec_ctx c = {.m = out, .d = d, .dd = rsp_es_dialect_get(out->dialect)};
    path_push(&c, "Body", 0);
    path_push(&c, rsp_es_lname(be), 0);
    const xmlNode *parent = be;
    const rsp_es_drow *rows;
    size_t nrows;
    body_rows(&c, f, response, action, &parent, &rows, &nrows);
    void *b = rsp_es_body_new(sd);
    if (!b)
        return RSP_ERR_NOMEM;
    if ((e = dec_struct(&c, sd, rows, nrows, parent, b)) != RSP_OK) {
        rsp_es_body_free(sd, b);
        return e;
    }
    out->body = b;
    return RSP_OK;
}

rsp_err rsp_es_soap_decode(const uint8_t *xml, size_t len, const char *action_hint, const rsp_es_limits *lim,
                           rsp_es_msg *out, rsp_diag *d)
{
    rsp_es_limits tmp;
    lim = rsp_es_limits_or_default(lim, &tmp);
    if (!out || (!xml && len))
        return rsp_diag_set(d, RSP_ERR_INVAL, "no input");
    memset(out, 0, sizeof(*out));
    if (len > lim->max_bytes)
        return rsp_diag_set(d, RSP_ERR_LENGTH, "SOAP message of %zu bytes exceeds the %zu-byte limit", len,
                            lim->max_bytes);
    if (len > (size_t)INT32_MAX)
        return rsp_diag_set(d, RSP_ERR_LENGTH, "SOAP message too large");
    if (rsp_es_soap_has_dtd(xml, len))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "DOCTYPE/ENTITY declarations are not allowed in SOAP messages");
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (!ctx)
        return RSP_ERR_NOMEM;
    /* No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR, no network, no error printing. */
    int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDoc *doc = xmlCtxtReadMemory(ctx, (const char *)xml, (int)len, NULL, NULL, opts);
    rsp_err e;
    if (!doc) {
        const xmlError *xe = xmlCtxtGetLastError(ctx);
        char msg[128] = "";
        if (xe && xe->message) {
            size_t l = strlen(xe->message);
            snprintf(msg, sizeof(msg), "%.*s", (int)(l && xe->message[l - 1] == '\n' ? l - 1 : l), xe->message);
        }
        e = rsp_diag_set(d, RSP_ERR_FORMAT, "not well-formed XML: %s (line %d)", msg[0] ? msg : "parse error",
                         xe ? xe->line : 0);
    } else {
        e = decode_doc(doc, action_hint, lim, out, d);
        xmlFreeDoc(doc);
    }
    xmlFreeParserCtxt(ctx);
    return e;
}
