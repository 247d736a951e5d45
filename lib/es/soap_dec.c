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

#include "es_int.h"

typedef struct dec_ctx {
    rsp_es_msg *m;
    rsp_diag *d;
} dec_ctx;

static const char *lname(const xmlNode *n)
{
    return (const char *)n->name;
}

static bool is_elem(const xmlNode *n)
{
    return n->type == XML_ELEMENT_NODE;
}

static xmlNode *first_elem(xmlNode *n)
{
    for (; n; n = n->next)
        if (is_elem(n))
            return n;
    return NULL;
}

/* Concatenated text of n's text/CDATA children, trimmed, malloc'd. *bad is set when n has element or
 * entity-reference children (a scalar was expected). */
static char *node_text(const xmlNode *n, bool *bad)
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
    rsp_es_msg_bad(c->m, elem, reason);
    return rsp_diag_set(c->d, err, fmt, a, b);
}

static rsp_err dec_struct(dec_ctx *c, const rsp_es_struct *sd, const xmlNode *parent, void *base);

static rsp_err dec_value(dec_ctx *c, const rsp_es_field *f, uint8_t t, const xmlNode *n, void *slot)
{
    if (t == RSP_ES_T_STRUCT || t == RSP_ES_T_INLINE) {
        void *target = slot;
        if (t == RSP_ES_T_STRUCT) {
            if (!(*(void **)slot = rsp_es_body_new(f->sub)))
                return RSP_ERR_NOMEM;
            target = *(void **)slot;
        }
        return dec_struct(c, f->sub, n, target);
    }
    bool has_children;
    char *txt = node_text(n, &has_children);
    if (!txt)
        return RSP_ERR_NOMEM;
    rsp_err e = RSP_OK;
    if (has_children) {
        e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s' must hold text, not elements%s", f->xml, "");
        free(txt);
        return e;
    }
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
    case RSP_ES_T_INT:
        if (!rsp_es_parse_int(txt, strlen(txt), (int64_t *)slot))
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': '%.40s' is not an integer", f->xml, txt);
        break;
    case RSP_ES_T_BOOL:
        if (!rsp_es_parse_bool(txt, strlen(txt), (bool *)slot))
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': '%.40s' is not a boolean", f->xml, txt);
        break;
    case RSP_ES_T_ENUM: {
        int v = rsp_es_enum_parse(f->en, txt, strlen(txt));
        if (v < 0)
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': unknown value '%.40s'", f->xml, txt);
        else
            *(int *)slot = v;
        break;
    }
    case RSP_ES_T_HEX:
        if (rsp_hex_decode(txt, (rsp_buf *)slot, NULL) != RSP_OK)
            e = bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s': '%.40s' is not hexBinary", f->xml, txt);
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

static rsp_err dec_struct(dec_ctx *c, const rsp_es_struct *sd, const xmlNode *parent, void *base)
{
    uint64_t seen = 0; /* descriptors have < 64 fields */
    for (const xmlNode *n = parent->children; n; n = n->next) {
        if (!is_elem(n))
            continue;
        size_t i;
        const rsp_es_field *f = find_field(sd, lname(n), &i);
        if (!f)
            continue; /* unknown element: tolerated (extensions, later versions) */
        uint8_t *slot = (uint8_t *)base + f->off;
        rsp_err e;
        if (f->type == RSP_ES_T_LIST) {
            rsp_es_list *l = (rsp_es_list *)slot;
            size_t isz = rsp_es_item_size(f);
            void *nv = realloc(l->v, (l->n + 1) * isz);
            if (!nv)
                return RSP_ERR_NOMEM;
            l->v = nv;
            uint8_t *item = (uint8_t *)nv + l->n * isz;
            memset(item, 0, isz);
            l->n++;
            e = dec_value(c, f, f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item, n, item);
        } else {
            if (seen & (1ull << i))
                return bad(c, RSP_ERR_FORMAT, f->xml, "2.1", "element '%s' appears twice in %s", f->xml, sd->name);
            e = dec_value(c, f, f->type, n, slot);
            rsp_es_field_mark(f, base);
        }
        seen |= 1ull << i;
        if (e != RSP_OK)
            return e;
    }
    for (size_t i = 0; i < sd->nfields; i++)
        if (!sd->fields[i].optional && !(seen & (1ull << i)))
            return bad(c, RSP_ERR_TAG, sd->fields[i].xml, "2.2", "mandatory element '%s' missing in %s",
                       sd->fields[i].xml, sd->name);
    return RSP_OK;
}

/* Iterative (no recursion on attacker-shaped input) depth check of the whole element tree. */
static bool depth_ok(xmlNode *root, unsigned max)
{
    unsigned depth = 1;
    xmlNode *n = root;
    for (;;) {
        xmlNode *child = first_elem(n->children);
        if (child) {
            if (++depth > max)
                return false;
            n = child;
            continue;
        }
        while (n != root && !first_elem(n->next)) {
            n = n->parent;
            depth--;
        }
        if (n == root)
            return true;
        n = first_elem(n->next);
    }
}

static char *dup_text(const xmlNode *n)
{
    bool dummy;
    return node_text(n, &dummy);
}

/* WS-A fields: matched by local name in any namespace. */
static rsp_err read_header(xmlNode *hdr, rsp_es_wsa *w)
{
    for (xmlNode *n = hdr ? first_elem(hdr->children) : NULL; n; n = first_elem(n->next)) {
        const char *ln = lname(n);
        char **dst = NULL;
        xmlNode *src = n;
        if (!strcasecmp(ln, "From") || !strcasecmp(ln, "ReplyTo")) {
            dst = !strcasecmp(ln, "From") ? &w->from : &w->reply_to;
            for (src = first_elem(n->children); src && strcasecmp(lname(src), "Address"); src = first_elem(src->next))
                ;
            if (!src)
                continue;
        } else if (!strcasecmp(ln, "To"))
            dst = &w->to;
        else if (!strcasecmp(ln, "MessageID"))
            dst = &w->message_id;
        else if (!strcasecmp(ln, "Action"))
            dst = &w->action;
        else if (!strcasecmp(ln, "RelatesTo"))
            dst = &w->relates_to;
        if (!dst || *dst)
            continue;
        if (!(*dst = dup_text(src)))
            return RSP_ERR_NOMEM;
    }
    return RSP_OK;
}

/* Body element name against the function: "EnableProfile", "EnableProfileRequest",
 * "ES4-EnableProfileRequest", "EnableProfileResponse". Sets *resp_suffix. */
static bool body_name_matches(const char *ln, const rsp_es_func *f, bool *resp_suffix)
{
    const rsp_es_iface_table *t = rsp_es_iface_get(f->iface);
    size_t tl = strlen(t->name), len = strlen(ln);
    if (len > tl + 1 && !strncasecmp(ln, t->name, tl) && (ln[tl] == '-' || ln[tl] == '_'))
        ln += tl + 1, len -= tl + 1;
    *resp_suffix = false;
    if (rsp_es_name_eq(ln, len, f->name))
        return true;
    size_t fl = strlen(f->name);
    if (len > fl && rsp_es_name_eq(ln, fl, f->name)) {
        if (!strcasecmp(ln + fl, "Request"))
            return true;
        if (!strcasecmp(ln + fl, "Response"))
            return *resp_suffix = true;
    }
    return false;
}

/* Without an Action, only a body element carrying its interface ("ES4-EnableProfileRequest") names
 * the function. */
static const rsp_es_func *func_from_body(const char *ln, bool *response)
{
    const char *dash = strchr(ln, '-');
    rsp_es_iface iface;
    if (!dash || rsp_es_iface_parse(ln, (size_t)(dash - ln), &iface) != RSP_OK)
        return NULL;
    const rsp_es_iface_table *t = rsp_es_iface_get(iface);
    for (size_t i = 0; i < t->n; i++)
        if (body_name_matches(ln, &t->funcs[i], response)) {
            *response = *response && t->funcs[i].mode != RSP_ES_ONEWAY;
            return &t->funcs[i];
        }
    return NULL;
}

static bool has_dtd(const uint8_t *p, size_t len)
{
    static const char *const bad_words[] = {"<!DOCTYPE", "<!ENTITY"};
    for (size_t w = 0; w < 2; w++) {
        size_t wl = strlen(bad_words[w]);
        for (size_t i = 0; i + wl <= len; i++)
            if (p[i] == '<' && !strncasecmp((const char *)p + i, bad_words[w], wl))
                return true;
    }
    return false;
}

static rsp_err decode_doc(xmlDoc *doc, const char *action_hint, const rsp_es_limits *lim, rsp_es_msg *out,
                          rsp_diag *d)
{
    xmlNode *env = xmlDocGetRootElement(doc);
    if (!env || strcmp(lname(env), "Envelope"))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "root element is '%.40s', not a SOAP Envelope", env ? lname(env) : "(none)");
    const char *ns = env->ns && env->ns->href ? (const char *)env->ns->href : "";
    if (!strcmp(ns, RSP_ES_SOAP12_NS))
        out->soap_version = 12;
    else if (!strcmp(ns, RSP_ES_SOAP11_NS))
        out->soap_version = 11;
    else
        return rsp_diag_set(d, RSP_ERR_FORMAT, "Envelope namespace '%.80s' is neither SOAP 1.1 nor SOAP 1.2", ns);
    if (!depth_ok(env, lim->max_depth))
        return rsp_diag_set(d, RSP_ERR_RANGE, "XML nesting deeper than %u elements", lim->max_depth);
    xmlNode *hdr = NULL, *body = NULL;
    for (xmlNode *n = first_elem(env->children); n; n = first_elem(n->next)) {
        if (!strcmp(lname(n), "Header") && !hdr)
            hdr = n;
        else if (!strcmp(lname(n), "Body") && !body)
            body = n;
    }
    if (!body)
        return rsp_diag_set(d, RSP_ERR_TAG, "SOAP Envelope has no Body");
    rsp_err e = read_header(hdr, &out->wsa);
    if (e != RSP_OK)
        return e;
    xmlNode *be = first_elem(body->children);
    if (!be)
        return rsp_diag_set(d, RSP_ERR_TAG, "SOAP Body is empty");
    if (!strcmp(lname(be), "Fault")) {
        /* 1.1: Fault/faultstring; 1.2: Fault/Reason/Text */
        char *why = NULL;
        for (xmlNode *n = first_elem(be->children); n && !why; n = first_elem(n->next)) {
            if (!strcmp(lname(n), "faultstring"))
                why = dup_text(n);
            else if (!strcmp(lname(n), "Reason"))
                for (xmlNode *t = first_elem(n->children); t && !why; t = first_elem(t->next))
                    if (!strcmp(lname(t), "Text"))
                        why = dup_text(t);
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
        if (!body_name_matches(lname(be), f, &resp_suffix))
            return rsp_diag_set(d, RSP_ERR_TAG, "body element '%.60s' does not match Action function %s-%s",
                                lname(be), rsp_es_iface_get(f->iface)->name, f->name);
        response = (response || resp_suffix) && f->mode != RSP_ES_ONEWAY;
    } else if (!(f = func_from_body(lname(be), &response))) {
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND,
                            "no Action, and body element '%.60s' does not name an ES function", lname(be));
    }
    out->func = f;
    out->response = response;
    const rsp_es_struct *sd = rsp_es_msg_desc(out);
    void *b = rsp_es_body_new(sd);
    if (!b)
        return RSP_ERR_NOMEM;
    dec_ctx c = {out, d};
    if ((e = dec_struct(&c, sd, be, b)) != RSP_OK) {
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
    if (has_dtd(xml, len))
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
