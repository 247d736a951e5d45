/* SOAP envelope checks shared by the decoder (soap_dec.c): the depth limit, DTD refusal, the WS-A header
 * (and from it the dialect), and which ES function a body element names, in any dialect. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dialect_int.h"
#include "soap_int.h"

/* Iterative (no recursion on attacker-shaped input) depth check of the whole element tree. */
bool rsp_es_soap_depth_ok(xmlNode *root, unsigned max)
{
    unsigned depth = 1;
    xmlNode *n = root;
    for (;;) {
        xmlNode *child = rsp_es_first_elem(n->children);
        if (child) {
            if (++depth > max)
                return false;
            n = child;
            continue;
        }
        while (n != root && !rsp_es_first_elem(n->next)) {
            n = n->parent;
            depth--;
        }
        if (n == root)
            return true;
        n = rsp_es_first_elem(n->next);
    }
}

char *rsp_es_xml_dup_text(const xmlNode *n)
{
    bool dummy;
    return rsp_es_xml_text(n, &dummy);
}

/* The dialect of a message: the namespace of its WS-A header elements, else its SOAP version. Every
 * header element must be WS-Addressing in a namespace some dialect uses, under a name we map: anything
 * else (a security header, a WS-A field we do not carry) is refused by name, not ignored. */
rsp_err rsp_es_soap_read_header(xmlNode *hdr, int soap_version, rsp_es_msg *m, rsp_diag *d)
{
    rsp_es_wsa *w = &m->wsa;
    int found = -1;
    for (xmlNode *n = hdr ? rsp_es_first_elem(hdr->children) : NULL; n; n = rsp_es_first_elem(n->next)) {
        const char *ln = rsp_es_lname(n), *ns = n->ns && n->ns->href ? (const char *)n->ns->href : "";
        int di = -1;
        for (int k = 0; k < RSP_ES_DIALECT__COUNT; k++)
            if (!strcmp(ns, rsp_es_dialect_get((rsp_es_dialect)k)->wsa_ns))
                di = k;
        if (di < 0)
            return rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "unknown header element '{%.80s}%.40s' (at Header/%.40s)", ns,
                                ln, ln);
        if (found >= 0 && found != di)
            return rsp_diag_set(d, RSP_ERR_FORMAT, "header mixes WS-Addressing namespaces (at Header/%.40s)", ln);
        found = di;
        char **dst = NULL;
        xmlNode *src = n;
        if (!strcasecmp(ln, "From") || !strcasecmp(ln, "ReplyTo")) {
            dst = !strcasecmp(ln, "From") ? &w->from : &w->reply_to;
            src = NULL;
            /* an endpoint reference: its Address; reference parameters or metadata would have to be
             * echoed back, which we do not do, so they are refused rather than dropped */
            for (xmlNode *k = rsp_es_first_elem(n->children); k; k = rsp_es_first_elem(k->next)) {
                bool kids;
                char *t = strcasecmp(rsp_es_lname(k), "Address") ? rsp_es_xml_text(k, &kids) : NULL;
                bool empty = t && !*t && !kids;
                free(t);
                if (!strcasecmp(rsp_es_lname(k), "Address"))
                    src = k;
                else if (!empty)
                    return rsp_diag_set(d, RSP_ERR_UNSUPPORTED,
                                        "endpoint reference part '%.40s' is not supported "
                                        "(at Header/%.40s/%.40s)",
                                        rsp_es_lname(k), ln, rsp_es_lname(k));
            }
            if (!src)
                continue; /* an endpoint reference without an address says nothing */
        } else if (!strcasecmp(ln, "To"))
            dst = &w->to;
        else if (!strcasecmp(ln, "MessageID"))
            dst = &w->message_id;
        else if (!strcasecmp(ln, "Action"))
            dst = &w->action;
        else if (!strcasecmp(ln, "RelatesTo"))
            dst = &w->relates_to;
        if (!dst)
            return rsp_diag_set(d, RSP_ERR_UNSUPPORTED,
                                "WS-Addressing header '%.40s' is not supported (at Header/%.40s)", ln, ln);
        if (*dst)
            return rsp_diag_set(d, RSP_ERR_FORMAT, "header '%.40s' appears twice (at Header/%.40s)", ln, ln);
        if (!(*dst = rsp_es_xml_dup_text(src)))
            return RSP_ERR_NOMEM;
    }
    /* no WS-A header: the first dialect that speaks this SOAP version (1.2 gsma, 1.1 njiwa) */
    for (int k = 0; found < 0 && k < RSP_ES_DIALECT__COUNT; k++)
        if (rsp_es_dialect_get((rsp_es_dialect)k)->soap_version == soap_version)
            found = k;
    m->dialect = found >= 0 ? (rsp_es_dialect)found : RSP_ES_DIALECT_GSMA;
    return RSP_OK;
}

static bool name_with_suffix(const char *ln, size_t len, const char *base, bool *resp_suffix)
{
    if (!base)
        return false;
    if (rsp_es_name_eq(ln, len, base))
        return true;
    size_t fl = strlen(base);
    if (len > fl && rsp_es_name_eq(ln, fl, base)) {
        if (!strcasecmp(ln + fl, "Request"))
            return true;
        if (!strcasecmp(ln + fl, "Response"))
            return *resp_suffix = true;
    }
    return false;
}

/* Body element name against the function: "EnableProfile", "EnableProfileRequest",
 * "ES4-EnableProfileRequest", "EnableProfileResponse", and the names dialects give it (njiwa's rpc
 * operation "PrepareSMSRChangeRequest", its callback wrapper "EnableISDPResponse"). Sets *resp_suffix. */
bool rsp_es_soap_body_matches(const char *ln, const rsp_es_func *f, bool *resp_suffix)
{
    const rsp_es_iface_table *t = rsp_es_iface_get(f->iface);
    size_t tl = strlen(t->name), len = strlen(ln);
    if (len > tl + 1 && !strncasecmp(ln, t->name, tl) && (ln[tl] == '-' || ln[tl] == '_'))
        ln += tl + 1, len -= tl + 1;
    *resp_suffix = false;
    if (name_with_suffix(ln, len, f->name, resp_suffix))
        return true;
    bool resp = false;
    const rsp_es_func *g = rsp_es_dialect_func_by_name(f->iface, ln, len, &resp);
    if (g != f)
        return false;
    *resp_suffix = resp;
    return true;
}

/* Without an Action, only a body element carrying its interface ("ES4-EnableProfileRequest") names
 * the function. */
const rsp_es_func *rsp_es_soap_func_from_body(const char *ln, bool *response)
{
    const char *dash = strchr(ln, '-');
    rsp_es_iface iface;
    if (!dash || rsp_es_iface_parse(ln, (size_t)(dash - ln), &iface) != RSP_OK)
        return NULL;
    const rsp_es_iface_table *t = rsp_es_iface_get(iface);
    for (size_t i = 0; i < t->n; i++)
        if (rsp_es_soap_body_matches(ln, &t->funcs[i], response)) {
            *response = *response && t->funcs[i].mode != RSP_ES_ONEWAY;
            return &t->funcs[i];
        }
    return NULL;
}

bool rsp_es_soap_has_dtd(const uint8_t *p, size_t len)
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
