/* The catalogue: look-ups, Action URIs, and the descriptor walkers every binding shares (new, free,
 * compare). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dialect_int.h"

static const rsp_es_iface_table *const tables[RSP_ES__COUNT] = {
    &rsp_es_es1_table, &rsp_es_es2_table, &rsp_es_es3_table,
    &rsp_es_es4_table, &rsp_es_es4a_table, &rsp_es_es7_table,
};

const rsp_es_iface_table *rsp_es_iface_get(rsp_es_iface iface)
{
    return (unsigned)iface < RSP_ES__COUNT ? tables[iface] : NULL;
}

rsp_err rsp_es_iface_parse(const char *s, size_t len, rsp_es_iface *out)
{
    for (int i = 0; i < RSP_ES__COUNT; i++) {
        const char *n = tables[i]->name;
        if (strlen(n) == len && !strncasecmp(n, s, len)) {
            *out = (rsp_es_iface)i;
            return RSP_OK;
        }
    }
    return RSP_ERR_NOT_FOUND;
}

/* Name comparison used for element names, JSON paths, enum values and function names: the peers we
 * know differ in case ("pol2"/"Pol2") and in separators ("Isd-p-aid"/"IsdPAid", "EXECUTED_SUCCESS"/
 * "Executed-Success"), never in letters. */
bool rsp_es_name_eq(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    for (;;) {
        while (i < alen && (a[i] == '-' || a[i] == '_'))
            i++;
        while (*b == '-' || *b == '_')
            b++;
        if (i == alen || !*b)
            return i == alen && !*b;
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)*b))
            return false;
        i++;
        b++;
    }
}

const rsp_es_func *rsp_es_func_find(rsp_es_iface iface, const char *name, size_t len)
{
    const rsp_es_iface_table *t = rsp_es_iface_get(iface);
    if (!t || !name)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (rsp_es_name_eq(name, len, t->funcs[i].name))
            return &t->funcs[i];
    return NULL;
}

int rsp_es_enum_parse(const rsp_es_enum *en, const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    for (size_t i = 0; i < en->n; i++)
        if (rsp_es_name_eq(s, len, en->values[i]))
            return (int)i;
    return -1;
}

/* Action URIs: GSMA's own URIs spell the group "ProfileManagent"; we emit that spelling because the
 * peers we know (njiwa, the GSMA WSDLs) dispatch on it, and accept any spelling on input. */
rsp_err rsp_es_action_format(const rsp_es_func *f, bool response, char *out, size_t outlen)
{
    if (!f || !out)
        return RSP_ERR_INVAL;
    const char *ifn = tables[f->iface]->name;
    const char *grp = f->group == RSP_ES_G_EUICC ? "eUICCManagement" : "ProfileManagent";
    bool cb = response || f->mode == RSP_ES_ONEWAY;
    int n = snprintf(out, outlen, "http://gsma.com/%s/%s%s/%s-%s", ifn, grp, cb ? "CallBack" : "", ifn, f->name);
    return n > 0 && (size_t)n < outlen ? RSP_OK : RSP_ERR_OVERFLOW;
}

static bool ends_with_ci(const char *s, size_t len, const char *suf, size_t *stem)
{
    size_t sl = strlen(suf);
    if (len <= sl || strncasecmp(s + len - sl, suf, sl))
        return false;
    *stem = len - sl;
    return true;
}

static bool contains_ci(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (!strncasecmp(s + i, needle, nl))
            return true;
    return false;
}

rsp_err rsp_es_action_parse(const char *uri, const rsp_es_func **f, bool *response, rsp_diag *d)
{
    if (!uri || !f || !response)
        return rsp_diag_set(d, RSP_ERR_INVAL, "no Action");
    const char *s = uri, *e = uri + strlen(uri);
    while (s < e && (isspace((unsigned char)*s) || *s == '"'))
        s++;
    while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == '"'))
        e--;
    /* last segment "ES4-EnableProfile[Request|Response]", the one before it the group */
    const char *last = e;
    while (last > s && last[-1] != '/')
        last--;
    const char *grp = last > s ? last - 1 : s;
    while (grp > s && grp[-1] != '/')
        grp--;
    size_t grplen = last > grp ? (size_t)(last - grp) : 0;
    const char *dash = memchr(last, '-', (size_t)(e - last));
    rsp_es_iface iface;
    const char *name;
    if (dash && rsp_es_iface_parse(last, (size_t)(dash - last), &iface) == RSP_OK) {
        name = dash + 1;
        while (name < e && *name == ' ') /* njiwa's "ES7- CreateAdditionalKeySet" */
            name++;
    } else if (last > grp && rsp_es_iface_parse(grp, grplen - 1, &iface) == RSP_OK) {
        /* JAX-WS default Action: <namespace>/<interface>/<Operation>Response */
        name = last;
        grplen = 0;
    } else if (dash) {
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND, "Action names unknown interface '%.*s'",
                            (int)(dash - last > 16 ? 16 : dash - last), last);
    } else {
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND, "Action '%.*s' has no '<interface>-<function>' segment",
                            (int)(e - s > 120 ? 120 : e - s), s);
    }
    size_t nlen = (size_t)(e - name), stem;
    const rsp_es_func *fn = rsp_es_func_find(iface, name, nlen);
    bool resp_suffix = false;
    if (!fn && ends_with_ci(name, nlen, "Request", &stem))
        fn = rsp_es_func_find(iface, name, stem);
    if (!fn && ends_with_ci(name, nlen, "Response", &stem)) {
        fn = rsp_es_func_find(iface, name, stem);
        resp_suffix = true;
    }
    if (!fn) /* a name a dialect gives the function: "PrepareSMSRChangeRequestResponse", "EnableISDP" */
        fn = rsp_es_dialect_func_by_name(iface, name, nlen, &resp_suffix);
    if (!fn)
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND, "Action names unknown function '%.*s' of %s",
                            (int)(nlen > 64 ? 64 : nlen), name, tables[iface]->name);
    *f = fn;
    *response = fn->mode != RSP_ES_ONEWAY && (resp_suffix || contains_ci(grp, grplen, "callback"));
    return RSP_OK;
}

/* ---- walkers ---- */
size_t rsp_es_item_size(const rsp_es_field *f)
{
    switch (f->item) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
    case RSP_ES_T_XML:
        return sizeof(char *);
    case RSP_ES_T_INT:
        return sizeof(int64_t);
    case RSP_ES_T_BOOL:
        return sizeof(bool);
    case RSP_ES_T_ENUM:
        return sizeof(int);
    case RSP_ES_T_HEX:
        return sizeof(rsp_buf);
    default:
        return f->sub ? f->sub->size : 0;
    }
}

/* Frees what a slot of type `t` owns; STRUCT slots hold a pointer, INLINE (and list items of struct
 * type) hold the struct itself. */
static void slot_clear(uint8_t t, const rsp_es_struct *sub, void *slot)
{
    switch (t) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
    case RSP_ES_T_XML:
        free(*(char **)slot);
        *(char **)slot = NULL;
        break;
    case RSP_ES_T_HEX:
        rsp_buf_free((rsp_buf *)slot);
        break;
    case RSP_ES_T_STRUCT:
        rsp_es_body_free(sub, *(void **)slot);
        *(void **)slot = NULL;
        break;
    case RSP_ES_T_INLINE:
        rsp_es_body_clear(sub, slot);
        break;
    default:
        break;
    }
}

void rsp_es_body_clear(const rsp_es_struct *sd, void *body)
{
    if (!sd || !body)
        return;
    for (size_t i = 0; i < sd->nfields; i++) {
        const rsp_es_field *f = &sd->fields[i];
        uint8_t *slot = (uint8_t *)body + f->off;
        if (f->type != RSP_ES_T_LIST) {
            slot_clear(f->type, f->sub, slot);
            continue;
        }
        rsp_es_list *l = (rsp_es_list *)slot;
        size_t isz = rsp_es_item_size(f);
        uint8_t it = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
        for (size_t k = 0; k < l->n; k++)
            slot_clear(it, f->sub, (uint8_t *)l->v + k * isz);
        free(l->v);
        l->v = NULL;
        l->n = 0;
    }
}

void *rsp_es_body_new(const rsp_es_struct *sd)
{
    return sd ? calloc(1, sd->size) : NULL;
}

void rsp_es_body_free(const rsp_es_struct *sd, void *body)
{
    if (!body)
        return;
    rsp_es_body_clear(sd, body);
    free(body);
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool slot_equal(uint8_t t, const rsp_es_struct *sub, const void *a, const void *b)
{
    switch (t) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
    case RSP_ES_T_XML:
        return str_eq(*(char *const *)a, *(char *const *)b);
    case RSP_ES_T_INT:
        return *(const int64_t *)a == *(const int64_t *)b;
    case RSP_ES_T_BOOL:
        return *(const bool *)a == *(const bool *)b;
    case RSP_ES_T_ENUM:
        return *(const int *)a == *(const int *)b;
    case RSP_ES_T_HEX: {
        const rsp_buf *x = a, *y = b;
        return x->len == y->len && (!x->len || !memcmp(x->data, y->data, x->len));
    }
    case RSP_ES_T_STRUCT: {
        const void *x = *(void *const *)a, *y = *(void *const *)b;
        return (!x && !y) || (x && y && rsp_es_body_equal(sub, x, y));
    }
    case RSP_ES_T_INLINE:
        return rsp_es_body_equal(sub, a, b);
    default:
        return false;
    }
}

bool rsp_es_body_equal(const rsp_es_struct *sd, const void *a, const void *b)
{
    for (size_t i = 0; i < sd->nfields; i++) {
        const rsp_es_field *f = &sd->fields[i];
        const uint8_t *x = (const uint8_t *)a + f->off, *y = (const uint8_t *)b + f->off;
        if (f->has_off != RSP_ES_NO_HAS) {
            bool hx = *(const bool *)((const uint8_t *)a + f->has_off);
            bool hy = *(const bool *)((const uint8_t *)b + f->has_off);
            if (hx != hy)
                return false;
            if (!hx)
                continue;
        }
        if (f->type != RSP_ES_T_LIST) {
            if (!slot_equal(f->type, f->sub, x, y))
                return false;
            continue;
        }
        const rsp_es_list *lx = (const rsp_es_list *)x, *ly = (const rsp_es_list *)y;
        if (lx->n != ly->n)
            return false;
        size_t isz = rsp_es_item_size(f);
        uint8_t it = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
        for (size_t k = 0; k < lx->n; k++)
            if (!slot_equal(it, f->sub, (const uint8_t *)lx->v + k * isz, (const uint8_t *)ly->v + k * isz))
                return false;
    }
    return true;
}

bool rsp_es_field_present(const rsp_es_field *f, const void *base)
{
    const uint8_t *slot = (const uint8_t *)base + f->off;
    if (f->has_off != RSP_ES_NO_HAS)
        return *(const bool *)((const uint8_t *)base + f->has_off);
    switch (f->type) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
    case RSP_ES_T_XML:
    case RSP_ES_T_STRUCT:
        return *(void *const *)slot != NULL;
    case RSP_ES_T_HEX:
        return ((const rsp_buf *)slot)->data != NULL || ((const rsp_buf *)slot)->len > 0;
    case RSP_ES_T_LIST:
        return ((const rsp_es_list *)slot)->n > 0;
    default:
        return true; /* mandatory scalars and INLINE are always there */
    }
}

void rsp_es_field_mark(const rsp_es_field *f, void *base)
{
    if (f->has_off != RSP_ES_NO_HAS)
        *(bool *)((uint8_t *)base + f->has_off) = true;
}

/* ---- messages ---- */
const rsp_es_struct *rsp_es_msg_desc(const rsp_es_msg *m)
{
    if (!m || !m->func)
        return NULL;
    return m->response ? m->func->resp : m->func->req;
}

rsp_err rsp_es_msg_init(rsp_es_msg *m, const rsp_es_func *f, bool response)
{
    if (!m || !f || (response && !f->resp))
        return RSP_ERR_INVAL;
    memset(m, 0, sizeof(*m));
    m->func = f;
    m->response = response;
    m->body = rsp_es_body_new(rsp_es_msg_desc(m));
    return m->body ? RSP_OK : RSP_ERR_NOMEM;
}

void rsp_es_wsa_free(rsp_es_wsa *w)
{
    free(w->from);
    free(w->to);
    free(w->reply_to);
    free(w->message_id);
    free(w->action);
    free(w->relates_to);
    memset(w, 0, sizeof(*w));
}

void rsp_es_msg_free(rsp_es_msg *m)
{
    if (!m)
        return;
    rsp_es_body_free(rsp_es_msg_desc(m), m->body);
    rsp_es_wsa_free(&m->wsa);
    memset(m, 0, sizeof(*m));
}

void rsp_es_msg_bad(rsp_es_msg *m, const char *element, const char *reason)
{
    if (!m || m->bad_reason)
        return;
    snprintf(m->bad_element, sizeof(m->bad_element), "%s", element ? element : "");
    m->bad_reason = reason;
}

const rsp_es_limits *rsp_es_limits_or_default(const rsp_es_limits *lim, rsp_es_limits *tmp)
{
    tmp->max_bytes = lim && lim->max_bytes ? lim->max_bytes : RSP_ES_DEFAULT_MAX_BYTES;
    tmp->max_depth = lim && lim->max_depth ? lim->max_depth : RSP_ES_DEFAULT_MAX_DEPTH;
    return tmp;
}

/* ---- scalar text forms ---- */
bool rsp_es_parse_int(const char *s, size_t len, int64_t *out)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    bool neg = false;
    if (len && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++, len--;
    }
    if (!len || len > 19)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool rsp_es_parse_bool(const char *s, size_t len, bool *out)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if ((len == 4 && !strncasecmp(s, "true", 4)) || (len == 1 && *s == '1'))
        *out = true;
    else if ((len == 5 && !strncasecmp(s, "false", 5)) || (len == 1 && *s == '0'))
        *out = false;
    else
        return false;
    return true;
}

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool rsp_es_datetime_ok(const char *s)
{
    if (!s || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2) ||
        s[10] != 'T' || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' ||
        !digits(s + 17, 2))
        return false;
    s += 19;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    if (*s == 'Z')
        s++;
    else if (*s == '+' || *s == '-') {
        if (!digits(s + 1, 2) || s[3] != ':' || !digits(s + 4, 2))
            return false;
        s += 6;
    }
    return *s == '\0';
}

void rsp_es_datetime_now(char out[21])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
