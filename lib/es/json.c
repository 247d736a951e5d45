/* JSON binding (jansson) of the same catalogue: POST /<interface lowercase>/<FunctionName>, the body is
 * the struct as one object with the tables' JSON keys (docs/ES-JSON.md), plus an optional "addressing"
 * object carrying the WS-A fields. Decoding is as lenient as the SOAP side on key spelling (case and
 * '-'/'_' ignored), strict on types, and refuses unknown keys (nothing is dropped silently). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "dsig_int.h"

rsp_err rsp_es_json_path(const rsp_es_func *f, char *out, size_t outlen)
{
    if (!f || !out)
        return RSP_ERR_INVAL;
    char ifn[8];
    const char *n = rsp_es_iface_get(f->iface)->name;
    size_t i = 0;
    for (; n[i] && i < sizeof(ifn) - 1; i++)
        ifn[i] = (char)tolower((unsigned char)n[i]);
    ifn[i] = '\0';
    int w = snprintf(out, outlen, "/%s/%s", ifn, f->name);
    return w > 0 && (size_t)w < outlen ? RSP_OK : RSP_ERR_OVERFLOW;
}

rsp_err rsp_es_json_path_parse(const char *path, const rsp_es_func **f, rsp_diag *d)
{
    if (!path || !f)
        return rsp_diag_set(d, RSP_ERR_INVAL, "no path");
    const char *p = path;
    if (*p == '/')
        p++;
    const char *slash = strchr(p, '/');
    rsp_es_iface iface;
    if (!slash || rsp_es_iface_parse(p, (size_t)(slash - p), &iface) != RSP_OK)
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND, "path '%.80s' is not /<interface>/<function>", path);
    const char *name = slash + 1;
    size_t len = strcspn(name, "/?");
    if (name[len] == '/' && name[len + 1] != '\0' && name[len + 1] != '?')
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND, "path '%.80s' has extra segments", path);
    if (!(*f = rsp_es_func_find(iface, name, len)))
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND, "path '%.80s' names no function of %s", path,
                            rsp_es_iface_get(iface)->name);
    return RSP_OK;
}

/* ---- encode ---- */
/* Hex values of at least SPLICE_MIN bytes go into the text after json_dumps (json_splice.c) instead of
 * through jansson: an ES3.SendData's Data is up to 8 KiB of hex, most of a download's encoding CPU at
 * the SM-DP (issue 10, Numbers). When a string field of the message spells a placeholder, the message
 * is encoded again without splicing, so the output is always jansson's own, byte for byte. */
enum { SPLICE_MIN = 64 };

typedef struct enc_ctx {
    rsp_diag *d;
    rsp_err err;
    bool splice;  /* false: every value through jansson */
    rsp_buf *hex; /* the spliced values' text, by placeholder number (owned) */
    size_t n, cap;
} enc_ctx;

static json_t *enc_struct(const rsp_es_struct *sd, const void *base, enc_ctx *c);

static json_t *enc_hex(const rsp_buf *b, enc_ctx *c)
{
    char *h = malloc(2 * b->len + 1);
    if (!h)
        return NULL;
    h[0] = '\0';
    if (b->len)
        rsp_hex_encode_upper(b->data, b->len, h, 2 * b->len + 1);
    if (!c->splice || b->len < SPLICE_MIN) {
        json_t *j = json_string(h);
        free(h);
        return j;
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : 4;
        rsp_buf *v = realloc(c->hex, nc * sizeof *v);
        if (!v) {
            free(h);
            return NULL;
        }
        c->hex = v;
        c->cap = nc;
    }
    char ph[RSP_ES_SPLICE_PH_MAX];
    rsp_es__splice_placeholder(c->n, ph);
    c->hex[c->n] = (rsp_buf)RSP_BUF_INIT;
    rsp_err e = rsp_buf_set(&c->hex[c->n], h, 2 * b->len);
    free(h);
    if (e != RSP_OK)
        return NULL;
    c->n++;
    return json_string(ph);
}

static json_t *enc_value(const rsp_es_field *f, uint8_t t, const void *slot, enc_ctx *c)
{
    switch (t) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
    case RSP_ES_T_XML:
        return json_string(*(char *const *)slot);
    case RSP_ES_T_INT:
        return json_integer((json_int_t) * (const int64_t *)slot);
    case RSP_ES_T_BOOL:
        return json_boolean(*(const bool *)slot);
    case RSP_ES_T_ENUM: {
        int v = *(const int *)slot;
        if (v < 0 || (size_t)v >= f->en->n) {
            c->err = rsp_diag_set(c->d, RSP_ERR_RANGE, "field '%s': %d is not a %s value", f->json, v, f->en->name);
            return NULL;
        }
        return json_string(f->en->values[v]);
    }
    case RSP_ES_T_HEX:
        return enc_hex(slot, c);
    case RSP_ES_T_STRUCT:
        return enc_struct(f->sub, *(void *const *)slot, c);
    case RSP_ES_T_INLINE:
        return enc_struct(f->sub, slot, c);
    default:
        c->err = RSP_ERR_INTERNAL;
        return NULL;
    }
}

static json_t *enc_struct(const rsp_es_struct *sd, const void *base, enc_ctx *c)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < sd->nfields; i++) {
        const rsp_es_field *f = &sd->fields[i];
        const uint8_t *slot = (const uint8_t *)base + f->off;
        json_t *v = NULL;
        if (!rsp_es_field_present(f, base)) {
            if (f->optional)
                continue;
            if (f->type != RSP_ES_T_HEX) {
                c->err = rsp_diag_set(c->d, RSP_ERR_INVAL, "mandatory field '%s' of %s is not set", f->json, sd->name);
                break;
            }
        }
        if (f->type == RSP_ES_T_LIST) {
            const rsp_es_list *l = (const rsp_es_list *)slot;
            size_t isz = rsp_es_item_size(f);
            uint8_t it = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
            v = json_array();
            for (size_t k = 0; v && k < l->n; k++) {
                json_t *iv = enc_value(f, it, (const uint8_t *)l->v + k * isz, c);
                if (!iv || json_array_append_new(v, iv)) {
                    json_decref(v);
                    v = NULL;
                }
            }
        } else {
            v = enc_value(f, f->type, slot, c);
        }
        if (!v || json_object_set_new_nocheck(o, f->json, v)) {
            if (c->err == RSP_OK)
                c->err = RSP_ERR_NOMEM;
            break;
        }
    }
    if (c->err != RSP_OK || !o) {
        json_decref(o);
        if (c->err == RSP_OK)
            c->err = RSP_ERR_NOMEM;
        return NULL;
    }
    return o;
}

static const struct {
    const char *key;
    size_t off;
} wsa_keys[] = {
    {"from", offsetof(rsp_es_wsa, from)},           {"to", offsetof(rsp_es_wsa, to)},
    {"replyTo", offsetof(rsp_es_wsa, reply_to)},     {"messageId", offsetof(rsp_es_wsa, message_id)},
    {"action", offsetof(rsp_es_wsa, action)},        {"relatesTo", offsetof(rsp_es_wsa, relates_to)},
};

/* The message as jansson's compact text (malloc'd), the spliced values not yet in it. */
static char *enc_text(const rsp_es_msg *m, const rsp_es_struct *sd, enc_ctx *c)
{
    json_t *o = enc_struct(sd, m->body, c);
    if (!o)
        return NULL;
    json_t *a = NULL;
    for (size_t i = 0; i < sizeof(wsa_keys) / sizeof(wsa_keys[0]); i++) {
        const char *v = *(char *const *)((const uint8_t *)&m->wsa + wsa_keys[i].off);
        if (!v)
            continue;
        if (!a && !(a = json_object()))
            break;
        json_object_set_new_nocheck(a, wsa_keys[i].key, json_string(v));
    }
    if (a)
        json_object_set_new_nocheck(o, "addressing", a);
    char *txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!txt)
        c->err = RSP_ERR_NOMEM;
    return txt;
}

rsp_err rsp_es_json_encode(const rsp_es_msg *m, rsp_buf *out, rsp_diag *d)
{
    const rsp_es_struct *sd = rsp_es_msg_desc(m);
    if (!sd || !m->body || !out)
        return rsp_diag_set(d, RSP_ERR_INVAL, "message has no function or body");
    enc_ctx c = {d, RSP_OK, true, NULL, 0, 0};
    char *txt = enc_text(m, sd, &c);
    rsp_err err = c.err;
    if (txt && c.n) {
        err = rsp_es__splice(txt, c.hex, c.n, out);
        if (err == RSP_ERR_END) { /* a string field spells a placeholder: all through jansson */
            free(txt);
            enc_ctx plain = {d, RSP_OK, false, NULL, 0, 0};
            txt = enc_text(m, sd, &plain);
            err = plain.err ? plain.err : rsp_buf_append(out, txt, strlen(txt));
        }
    } else if (txt) {
        err = rsp_buf_append(out, txt, strlen(txt));
    }
    free(txt);
    for (size_t i = 0; i < c.n; i++)
        rsp_buf_free(&c.hex[i]);
    free(c.hex);
    return err;
}

/* ---- decode ---- */
typedef struct dec_ctx {
    rsp_es_msg *m;
    rsp_diag *d;
    const json_t *root; /* the message object: the only one that may carry "addressing" */
} dec_ctx;

static rsp_err bad(dec_ctx *c, rsp_err err, const rsp_es_field *f, const char *reason, const char *what)
{
    rsp_es_msg_bad(c->m, f->xml, reason);
    return rsp_diag_set(c->d, err, "field '%s': %s", f->json, what);
}

static rsp_err dec_struct(dec_ctx *c, const rsp_es_struct *sd, json_t *o, void *base);

static rsp_err dec_value(dec_ctx *c, const rsp_es_field *f, uint8_t t, json_t *v, void *slot)
{
    const char *s = json_string_value(v);
    switch (t) {
    case RSP_ES_T_XML: /* must be one ds:Signature element: the SOAP side writes it as is */
        if (!s)
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "expected a string");
        {
            rsp_err e = rsp_es_dsig_canon_text(s, json_string_length(v), (char **)slot, c->d);
            if (e != RSP_OK)
                rsp_es_msg_bad(c->m, f->xml, "2.1");
            return e;
        }
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
        if (!s)
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "expected a string");
        if (t == RSP_ES_T_TIME && !rsp_es_datetime_ok(s))
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "not an xs:dateTime");
        if (strlen(s) != json_string_length(v))
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "string contains NUL");
        return (*(char **)slot = strdup(s)) ? RSP_OK : RSP_ERR_NOMEM;
    case RSP_ES_T_INT:
        if (json_is_integer(v))
            *(int64_t *)slot = (int64_t)json_integer_value(v);
        else if (!s || !rsp_es_parse_int(s, strlen(s), (int64_t *)slot))
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "expected an integer");
        return RSP_OK;
    case RSP_ES_T_BOOL:
        if (json_is_boolean(v))
            *(bool *)slot = json_is_true(v);
        else if (!s || !rsp_es_parse_bool(s, strlen(s), (bool *)slot))
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "expected a boolean");
        return RSP_OK;
    case RSP_ES_T_ENUM: {
        int e = s ? rsp_es_enum_parse(f->en, s, strlen(s)) : -1;
        if (e < 0)
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "unknown enumeration value");
        *(int *)slot = e;
        return RSP_OK;
    }
    case RSP_ES_T_HEX:
        if (!s || strlen(s) != json_string_length(v) || rsp_hex_decode(s, (rsp_buf *)slot, NULL) != RSP_OK)
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "expected a hex string");
        return RSP_OK;
    case RSP_ES_T_STRUCT:
        if (!json_is_object(v))
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "expected an object");
        if (!(*(void **)slot = rsp_es_body_new(f->sub)))
            return RSP_ERR_NOMEM;
        return dec_struct(c, f->sub, v, *(void **)slot);
    case RSP_ES_T_INLINE:
        if (!json_is_object(v))
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "expected an object");
        return dec_struct(c, f->sub, v, slot);
    default:
        return RSP_ERR_INTERNAL;
    }
}

static rsp_err dec_struct(dec_ctx *c, const rsp_es_struct *sd, json_t *o, void *base)
{
    uint64_t seen = 0;
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        size_t i, klen = strlen(key);
        for (i = 0; i < sd->nfields; i++)
            if (rsp_es_name_eq(key, klen, sd->fields[i].json))
                break;
        if (i == sd->nfields) {
            if (c->root == o && !strcmp(key, "addressing"))
                continue;
            /* a key we cannot place is refused, not dropped */
            rsp_es_msg_bad(c->m, key, "2.1");
            return rsp_diag_set(c->d, RSP_ERR_TAG, "unknown key '%.60s' in %s", key, sd->name);
        }
        if (json_is_null(v))
            continue; /* explicit null = absent */
        const rsp_es_field *f = &sd->fields[i];
        if (seen & (1ull << i))
            return bad(c, RSP_ERR_FORMAT, f, "2.1", "given twice");
        seen |= 1ull << i;
        uint8_t *slot = (uint8_t *)base + f->off;
        rsp_err e;
        if (f->type == RSP_ES_T_LIST) {
            if (!json_is_array(v))
                return bad(c, RSP_ERR_FORMAT, f, "2.1", "expected an array");
            rsp_es_list *l = (rsp_es_list *)slot;
            size_t n = json_array_size(v), isz = rsp_es_item_size(f);
            if (n && !(l->v = calloc(n, isz)))
                return RSP_ERR_NOMEM;
            uint8_t it = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
            for (size_t k = 0; k < n; k++) {
                l->n = k + 1; /* counted before decoding so a failure frees partial items */
                if ((e = dec_value(c, f, it, json_array_get(v, k), (uint8_t *)l->v + k * isz)) != RSP_OK)
                    return e;
            }
            if (!n && !f->optional)
                return bad(c, RSP_ERR_TAG, f, "2.2", "mandatory list is empty");
        } else {
            if ((e = dec_value(c, f, f->type, v, slot)) != RSP_OK)
                return e;
            rsp_es_field_mark(f, base);
        }
    }
    for (size_t i = 0; i < sd->nfields; i++)
        if (!sd->fields[i].optional && !(seen & (1ull << i))) {
            rsp_es_msg_bad(c->m, sd->fields[i].xml, "2.2");
            return rsp_diag_set(c->d, RSP_ERR_TAG, "mandatory field '%s' missing in %s", sd->fields[i].json, sd->name);
        }
    return RSP_OK;
}

/* Nesting depth of the raw text, outside strings: refuses deep input before jansson recurses. */
static size_t json_depth(const uint8_t *p, size_t len)
{
    size_t depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = p[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > max)
                max = depth;
        } else if ((ch == '}' || ch == ']') && depth) {
            depth--;
        }
    }
    return max;
}

static rsp_err read_addressing(json_t *a, rsp_es_wsa *w, rsp_diag *d)
{
    if (!a || json_is_null(a))
        return RSP_OK;
    if (!json_is_object(a))
        return rsp_diag_set(d, RSP_ERR_FORMAT, "\"addressing\" must be an object");
    const char *key;
    json_t *v;
    json_object_foreach(a, key, v) {
        size_t i = 0;
        while (i < sizeof(wsa_keys) / sizeof(wsa_keys[0]) && strcmp(wsa_keys[i].key, key))
            i++;
        if (i == sizeof(wsa_keys) / sizeof(wsa_keys[0]))
            return rsp_diag_set(d, RSP_ERR_TAG, "unknown key '%.60s' in addressing", key);
        if (json_is_null(v))
            continue;
        const char *s = json_string_value(v);
        if (!s)
            return rsp_diag_set(d, RSP_ERR_FORMAT, "addressing.%s: expected a string", key);
        char **dst = (char **)((uint8_t *)w + wsa_keys[i].off);
        if (!(*dst = strdup(s)))
            return RSP_ERR_NOMEM;
    }
    return RSP_OK;
}

rsp_err rsp_es_json_decode(const rsp_es_func *f, bool response, const uint8_t *js, size_t len,
                           const rsp_es_limits *lim, rsp_es_msg *out, rsp_diag *d)
{
    rsp_es_limits tmp;
    lim = rsp_es_limits_or_default(lim, &tmp);
    if (!out || !f || (!js && len))
        return rsp_diag_set(d, RSP_ERR_INVAL, "no input");
    memset(out, 0, sizeof(*out));
    if (response && !f->resp)
        return rsp_diag_set(d, RSP_ERR_INVAL, "%s is one-way: it has no result", f->name);
    if (len > lim->max_bytes)
        return rsp_diag_set(d, RSP_ERR_LENGTH, "JSON body of %zu bytes exceeds the %zu-byte limit", len,
                            lim->max_bytes);
    if (json_depth(js, len) > lim->max_depth)
        return rsp_diag_set(d, RSP_ERR_RANGE, "JSON nesting deeper than %u levels", lim->max_depth);
    json_error_t je;
    json_t *root = json_loadb((const char *)js, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return rsp_diag_set_at(d, RSP_ERR_FORMAT, (size_t)(je.position > 0 ? je.position : 0),
                               "not valid JSON: %s", je.text);
    rsp_err e;
    if (!json_is_object(root)) {
        e = rsp_diag_set(d, RSP_ERR_FORMAT, "JSON body must be an object");
        goto done;
    }
    out->func = f;
    out->response = response;
    if ((e = read_addressing(json_object_get(root, "addressing"), &out->wsa, d)) != RSP_OK)
        goto done;
    const rsp_es_struct *sd = rsp_es_msg_desc(out);
    void *b = rsp_es_body_new(sd);
    if (!b) {
        e = RSP_ERR_NOMEM;
        goto done;
    }
    dec_ctx c = {out, d, root};
    if ((e = dec_struct(&c, sd, root, b)) != RSP_OK)
        rsp_es_body_free(sd, b);
    else
        out->body = b;
done:
    json_decref(root);
    return e;
}
