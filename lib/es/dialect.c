/* Dialects: look-ups over the tables, and the gsma dialect (our own tables inside a SOAP 1.2 / WS-A
 * 2005/08 envelope: it needs no rows). The njiwa dialect is in dialect_njiwa.c. Adding a dialect is a
 * table like that one, a line in `all` below and an enum value in rsp/es.h (docs/modules/es.md). */
#include <string.h>
#include <strings.h>

#include "dialect_int.h"

const rsp_es_dialect_def rsp_es_dialect_gsma = {
    .name = "gsma",
    .soap_version = 12,
    .wsa_ns = RSP_ES_WSA_NS,
    .wsa_prefix = "wsa",
    .address_qualified = true,
    .rpc_result = false,
};

static const rsp_es_dialect_def *const all[RSP_ES_DIALECT__COUNT] = {&rsp_es_dialect_gsma, &rsp_es_dialect_njiwa};

const rsp_es_dialect_def *rsp_es_dialect_get(rsp_es_dialect d)
{
    return (unsigned)d < RSP_ES_DIALECT__COUNT ? all[d] : all[0];
}

rsp_err rsp_es_dialect_parse(const char *s, rsp_es_dialect *out)
{
    for (int i = 0; s && i < RSP_ES_DIALECT__COUNT; i++)
        if (!strcasecmp(s, all[i]->name)) {
            *out = (rsp_es_dialect)i;
            return RSP_OK;
        }
    return RSP_ERR_NOT_FOUND;
}

const char *rsp_es_dialect_name(rsp_es_dialect d)
{
    return (unsigned)d < RSP_ES_DIALECT__COUNT ? all[d]->name : "?";
}

int rsp_es_dialect_soap_version(rsp_es_dialect d)
{
    return rsp_es_dialect_get(d)->soap_version;
}

const char *rsp_es_dialect_content_type(rsp_es_dialect d)
{
    return rsp_es_dialect_soap_version(d) == 11 ? RSP_ES_SOAP11_CTYPE : RSP_ES_SOAP12_CTYPE;
}

const rsp_es_dop *rsp_es_dialect_op(const rsp_es_dialect_def *dd, const rsp_es_func *f)
{
    for (size_t i = 0; dd && f && i < dd->nops; i++)
        if (dd->ops[i].iface == f->iface && !strcmp(dd->ops[i].func, f->name))
            return &dd->ops[i];
    return NULL;
}

const rsp_es_layout *rsp_es_dialect_layout(const rsp_es_dialect_def *dd, const char *name)
{
    for (size_t i = 0; dd && name && i < dd->nlayouts; i++)
        if (!strcmp(dd->layouts[i].name, name))
            return &dd->layouts[i];
    return NULL;
}

static bool strip_suffix(const char *s, size_t *len, const char *suf)
{
    size_t sl = strlen(suf);
    if (*len <= sl || strncasecmp(s + *len - sl, suf, sl))
        return false;
    *len -= sl;
    return true;
}

static bool name_is(const char *s, size_t len, const char *name)
{
    return name && rsp_es_name_eq(s, len, name);
}

const rsp_es_func *rsp_es_dialect_func_by_name(rsp_es_iface iface, const char *name, size_t len, bool *response)
{
    const rsp_es_iface_table *t = rsp_es_iface_get(iface);
    if (!t)
        return NULL;
    for (int di = 0; di < RSP_ES_DIALECT__COUNT; di++) {
        const rsp_es_dialect_def *dd = all[di];
        for (size_t i = 0; i < dd->nops; i++) {
            const rsp_es_dop *op = &dd->ops[i];
            if (op->iface != iface)
                continue;
            const rsp_es_func *f = rsp_es_func_find(iface, op->func, strlen(op->func));
            if (!f)
                continue;
            size_t l = len;
            if (name_is(name, l, op->cb_op)) {
                *response = true;
                return f;
            }
            bool resp = strip_suffix(name, &l, "Response");
            if (name_is(name, l, op->op) || name_is(name, l, op->alias)) {
                *response = resp;
                return f;
            }
            if (strip_suffix(name, &l, "Request") && (name_is(name, l, op->op) || name_is(name, l, op->alias))) {
                *response = resp;
                return f;
            }
        }
    }
    return NULL;
}

const char *rsp_es_dialect_value(const rsp_es_dialect_def *dd, const rsp_es_enum *en, int v)
{
    for (size_t i = 0; dd && i < dd->nvalues; i++)
        if (dd->values[i].en == en && dd->values[i].value == v)
            return dd->values[i].spelling;
    return NULL;
}

int rsp_es_dialect_value_parse(const rsp_es_dialect_def *dd, const rsp_es_enum *en, const char *s, size_t len)
{
    for (size_t i = 0; dd && i < dd->nvalues; i++)
        if (dd->values[i].en == en && rsp_es_name_eq(s, len, dd->values[i].spelling))
            return dd->values[i].value;
    return -1;
}
