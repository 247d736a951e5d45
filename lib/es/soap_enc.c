/* SOAP emission, driven by the descriptors and the dialect's rows (dialect_int.h): the envelope, WS-A
 * namespace, body wrapper, part names and order, list wrappers and value spellings all come from the
 * dialect table; gsma is SOAP 1.2, WS-A 2005/08, <es:Name> / <es:NameResponse> with our element names. Written straight
 * into an rsp_buf: the shape is fixed and escaping is the only subtlety, so a tree builder would only cost time. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dialect_int.h"
#include "soap_int.h"

static rsp_err put(rsp_buf *o, const char *s)
{
    return rsp_buf_append(o, s, strlen(s));
}

/* Escapes text content/attribute values. Control characters other than TAB/LF cannot be carried by
 * XML 1.0 text (CR would be normalised away), so CR becomes a character reference and the rest is
 * refused rather than silently altered. */
rsp_err rsp_es_xml_escape(rsp_buf *o, const char *s, rsp_diag *d, const char *elem)
{
    const char *run = s;
    rsp_err e = RSP_OK;
    for (; *s && e == RSP_OK; s++) {
        const char *rep = NULL;
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\r':
            rep = "&#13;";
            break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n')
                return rsp_diag_set(d, RSP_ERR_INVAL, "element '%s': control character 0x%02x cannot be sent in XML",
                                    elem, c);
            continue;
        }
        if ((e = rsp_buf_append(o, run, (size_t)(s - run))) == RSP_OK)
            e = put(o, rep);
        run = s + 1;
    }
    return e != RSP_OK ? e : rsp_buf_append(o, run, (size_t)(s - run));
}

static rsp_err put3(rsp_buf *o, const char *a, const char *b, const char *c)
{
    rsp_err e = put(o, a);
    if (e == RSP_OK)
        e = put(o, b);
    return e == RSP_OK ? put(o, c) : e;
}

static rsp_err open_tag(rsp_buf *o, const char *name)
{
    rsp_err e = rsp_buf_append_byte(o, '<');
    if (e == RSP_OK)
        e = put(o, name);
    return e == RSP_OK ? rsp_buf_append_byte(o, '>') : e;
}

static rsp_err close_tag(rsp_buf *o, const char *name)
{
    rsp_err e = put(o, "</");
    if (e == RSP_OK)
        e = put(o, name);
    return e == RSP_OK ? rsp_buf_append_byte(o, '>') : e;
}

typedef struct enc_ctx {
    rsp_buf *o;
    rsp_diag *d;
    const rsp_es_dialect_def *dd;
} enc_ctx;

static rsp_err enc_struct(enc_ctx *c, const rsp_es_struct *sd, const rsp_es_drow *rows, size_t nrows, const void *base);

static rsp_err enc_value(enc_ctx *c, const rsp_es_field *f, const rsp_es_drow *r, uint8_t t, const void *slot)
{
    rsp_buf *o = c->o;
    rsp_diag *d = c->d;
    char num[32];
    uint8_t form = r ? r->form : RSP_ES_FORM_PLAIN;
    switch (t) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
        return rsp_es_xml_escape(o, *(char *const *)slot ? *(char *const *)slot : "", d, f->xml);
    case RSP_ES_T_INT:
        snprintf(num, sizeof(num), form == RSP_ES_FORM_ECC ? "ECC-%" PRId64 : "%" PRId64, *(const int64_t *)slot);
        return put(o, num);
    case RSP_ES_T_BOOL:
        return put(o, *(const bool *)slot ? "true" : "false");
    case RSP_ES_T_ENUM: {
        int v = *(const int *)slot;
        if (v < 0 || (size_t)v >= f->en->n)
            return rsp_diag_set(d, RSP_ERR_RANGE, "element '%s': %d is not a %s value", f->xml, v, f->en->name);
        const char *sp = rsp_es_dialect_value(c->dd, f->en, v);
        return put(o, sp ? sp : f->en->values[v]);
    }
    case RSP_ES_T_HEX: {
        const rsp_buf *b = slot;
        if (form == RSP_ES_FORM_BYTE_DEC || form == RSP_ES_FORM_HEX_LONG) {
            size_t max = form == RSP_ES_FORM_BYTE_DEC ? 1 : 8;
            if (b->len == 0 && form == RSP_ES_FORM_HEX_LONG)
                return put(o, "0"); /* an ALWAYS counter that is not set */
            if (b->len == 0 || b->len > max)
                return rsp_diag_set(d, RSP_ERR_UNSUPPORTED,
                                    "element '%s': %zu bytes cannot be written as %s in dialect %s", f->xml, b->len,
                                    max == 1 ? "xs:byte" : "xs:long", c->dd->name);
            int64_t v = 0;
            for (size_t i = 0; i < b->len; i++)
                v = (int64_t)((uint64_t)v << 8 | b->data[i]);
            if (max == 1)
                v = (int8_t)b->data[0]; /* xs:byte is signed */
            snprintf(num, sizeof(num), "%" PRId64, v);
            return put(o, num);
        }
        uint8_t *p;
        rsp_err e = rsp_buf_extend(o, 2 * b->len + 1, &p);
        if (e != RSP_OK)
            return e;
        if (b->len)
            rsp_hex_encode_upper(b->data, b->len, (char *)p, 2 * b->len + 1);
        o->len--; /* drop the NUL */
        return RSP_OK;
    }
    default: /* structs are written by enc_elem, lists by enc_member */
        return rsp_diag_set(d, RSP_ERR_INTERNAL, "element '%s': bad descriptor type", f->xml);
    }
}

static const rsp_es_field *field_named(const rsp_es_struct *sd, const char *name);

/* The members a dialect carries as attributes of the struct's element: ` name="value"`. */
static rsp_err enc_attrs(enc_ctx *c, const rsp_es_struct *sd, const rsp_es_layout *l, const void *base)
{
    for (size_t i = 0; l && i < l->n; i++) {
        const rsp_es_drow *r = &l->rows[i];
        if (!(r->flags & RSP_ES_R_ATTR))
            continue;
        const rsp_es_field *f = field_named(sd, r->ours ? r->ours : r->name);
        if (!f || f->type == RSP_ES_T_LIST || f->type == RSP_ES_T_STRUCT || f->type == RSP_ES_T_INLINE)
            return rsp_diag_set(c->d, RSP_ERR_INTERNAL, "dialect %s: attribute row '%s' of %s", c->dd->name, r->name,
                                sd->name);
        if (!rsp_es_field_present(f, base) && f->optional)
            continue;
        rsp_err e = put3(c->o, " ", r->name, "=\"");
        if (e == RSP_OK)
            e = enc_value(c, f, r, f->type, (const uint8_t *)base + f->off);
        if (e == RSP_OK)
            e = rsp_buf_append_byte(c->o, '"');
        if (e != RSP_OK)
            return e;
    }
    return RSP_OK;
}

static rsp_err enc_elem(enc_ctx *c, const char *name, const rsp_es_field *f, const rsp_es_drow *r, uint8_t t,
                        const void *slot)
{
    if (t == RSP_ES_T_XML) /* the element itself, kept whole */
        return put(c->o, *(char *const *)slot ? *(char *const *)slot : "");
    if (t == RSP_ES_T_STRUCT || t == RSP_ES_T_INLINE) {
        const void *base = t == RSP_ES_T_STRUCT ? *(void *const *)slot : slot;
        const rsp_es_layout *l = rsp_es_dialect_layout(c->dd, r && r->sub ? r->sub : f->sub->name);
        rsp_err e = put3(c->o, "<", name, "");
        if (e == RSP_OK)
            e = enc_attrs(c, f->sub, l, base);
        if (e == RSP_OK)
            e = rsp_buf_append_byte(c->o, '>');
        if (e == RSP_OK)
            e = enc_struct(c, f->sub, l ? l->rows : NULL, l ? l->n : 0, base);
        return e == RSP_OK ? close_tag(c->o, name) : e;
    }
    rsp_err e = open_tag(c->o, name);
    if (e == RSP_OK)
        e = enc_value(c, f, r, t, slot);
    return e == RSP_OK ? close_tag(c->o, name) : e;
}

/* One member: a scalar or struct element, or a list (repeated element, or items inside a wrapper). */
static rsp_err enc_member(enc_ctx *c, const rsp_es_field *f, const rsp_es_drow *r, const void *base)
{
    const uint8_t *slot = (const uint8_t *)base + f->off;
    const char *name = r ? r->name : f->xml;
    if (f->type != RSP_ES_T_LIST)
        return enc_elem(c, name, f, r, f->type, slot);
    const rsp_es_list *l = (const rsp_es_list *)slot;
    size_t isz = rsp_es_item_size(f);
    uint8_t it = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
    rsp_err e = r && r->item ? open_tag(c->o, name) : RSP_OK;
    for (size_t k = 0; k < l->n && e == RSP_OK; k++)
        e = enc_elem(c, r && r->item ? r->item : name, f, r, it, (const uint8_t *)l->v + k * isz);
    return e == RSP_OK && r && r->item ? close_tag(c->o, name) : e;
}

static const rsp_es_field *field_named(const rsp_es_struct *sd, const char *name)
{
    for (size_t i = 0; i < sd->nfields; i++)
        if (rsp_es_name_eq(name, strlen(name), sd->fields[i].xml))
            return &sd->fields[i];
    return NULL;
}

static rsp_err enc_struct(enc_ctx *c, const rsp_es_struct *sd, const rsp_es_drow *rows, size_t nrows, const void *base)
{
    if (!rows) { /* our own table, in our order */
        for (size_t i = 0; i < sd->nfields; i++) {
            const rsp_es_field *f = &sd->fields[i];
            if (!rsp_es_field_present(f, base)) {
                if (f->optional)
                    continue;
                if (f->type != RSP_ES_T_HEX) /* a mandatory hexBinary may be empty */
                    return rsp_diag_set(c->d, RSP_ERR_INVAL, "mandatory element '%s' of %s is not set", f->xml,
                                        sd->name);
            }
            rsp_err e = enc_member(c, f, NULL, base);
            if (e != RSP_OK)
                return e;
        }
        return RSP_OK;
    }
    /* what the dialect has no element for must not vanish on the way out: checked before writing */
    uint64_t used = 0;
    for (size_t i = 0; i < nrows; i++) {
        const rsp_es_field *f = field_named(sd, rows[i].ours ? rows[i].ours : rows[i].name);
        if (!f)
            return rsp_diag_set(c->d, RSP_ERR_INTERNAL, "dialect %s: row '%s' names no member of %s", c->dd->name,
                                rows[i].name, sd->name);
        used |= 1ull << (size_t)(f - sd->fields);
    }
    for (size_t i = 0; i < sd->nfields; i++)
        if (!(used & (1ull << i)) && rsp_es_field_present(&sd->fields[i], base))
            return rsp_diag_set(c->d, RSP_ERR_UNSUPPORTED, "element '%s' of %s has no form in dialect %s",
                                sd->fields[i].xml, sd->name, c->dd->name);
    for (size_t i = 0; i < nrows; i++) {
        const rsp_es_drow *r = &rows[i];
        const rsp_es_field *f = field_named(sd, r->ours ? r->ours : r->name);
        if (r->flags & (RSP_ES_R_ATTR | RSP_ES_R_DROP))
            continue; /* written in the element's start tag (enc_attrs), or nowhere in this dialect */
        if (!rsp_es_field_present(f, base)) {
            if (f->optional && !(r->flags & RSP_ES_R_ALWAYS))
                continue;
            if (!f->optional && f->type != RSP_ES_T_HEX)
                return rsp_diag_set(c->d, RSP_ERR_INVAL, "mandatory element '%s' of %s is not set", f->xml, sd->name);
        }
        rsp_err e = enc_member(c, f, r, base);
        if (e != RSP_OK)
            return e;
    }
    return RSP_OK;
}

rsp_err rsp_es_xml_body(rsp_buf *o, const rsp_es_struct *sd, const void *body, rsp_diag *d)
{
    enc_ctx c = {o, d, &rsp_es_dialect_gsma};
    return enc_struct(&c, sd, NULL, 0, body);
}

static rsp_err wsa_elem(rsp_buf *o, const rsp_es_dialect_def *dd, const char *name, const char *val, bool address,
                        rsp_diag *d)
{
    if (!val)
        return RSP_OK;
    const char *px = dd->wsa_prefix;
    rsp_err e = rsp_buf_append_byte(o, '<');
    if (e == RSP_OK)
        e = put(o, px);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(o, ':');
    if (e == RSP_OK)
        e = put(o, name);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(o, '>');
    if (e == RSP_OK && address)
        e = dd->address_qualified ? put3(o, "<", px, ":Address>") : put(o, "<Address>");
    if (e == RSP_OK)
        e = rsp_es_xml_escape(o, val, d, name);
    if (e == RSP_OK && address)
        e = dd->address_qualified ? put3(o, "</", px, ":Address>") : put(o, "</Address>");
    if (e == RSP_OK)
        e = put(o, "</");
    if (e == RSP_OK)
        e = put(o, px);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(o, ':');
    if (e == RSP_OK)
        e = put(o, name);
    return e == RSP_OK ? rsp_buf_append_byte(o, '>') : e;
}

/* The shape of one message in its dialect: wrapper element, the part holding a result, the rows of the
 * body and the default Action. */
typedef struct shape {
    char wrapper[96];
    const char *ret; /* NULL: the members are the wrapper's children */
    const rsp_es_drow *rows;
    size_t nrows;
    const char *action;
    bool relates_lower;
} shape;

static void msg_shape(const rsp_es_dialect_def *dd, const rsp_es_msg *m, shape *s)
{
    const rsp_es_dop *op = rsp_es_dialect_op(dd, m->func);
    memset(s, 0, sizeof(*s));
    if (!op) {
        snprintf(s->wrapper, sizeof(s->wrapper), "%s%s", m->func->name, m->response ? "Response" : "");
        const rsp_es_layout *l = rsp_es_dialect_layout(dd, rsp_es_msg_desc(m)->name);
        if (l)
            s->rows = l->rows, s->nrows = l->n;
        return;
    }
    const char *lay;
    if (!m->response) {
        snprintf(s->wrapper, sizeof(s->wrapper), "%s", op->op);
        s->rows = op->req, s->nrows = op->nreq;
        s->action = op->req_action;
        return;
    }
    if (m->in_http_response && dd->rpc_result) {
        snprintf(s->wrapper, sizeof(s->wrapper), "%sResponse", op->op);
        s->ret = op->ret;
        s->action = op->ret_action;
        lay = op->res;
    } else {
        if (op->cb_op)
            snprintf(s->wrapper, sizeof(s->wrapper), "%s", op->cb_op);
        else
            snprintf(s->wrapper, sizeof(s->wrapper), "%sResponse", op->op);
        s->action = op->cb_action;
        s->ret = op->cb_ret;
        s->relates_lower = op->cb_relates_lower;
        lay = op->cb_res ? op->cb_res : op->res;
    }
    const rsp_es_layout *l = rsp_es_dialect_layout(dd, lay);
    if (l)
        s->rows = l->rows, s->nrows = l->n;
}

rsp_err rsp_es_soap_action(const rsp_es_msg *m, char *out, size_t outlen)
{
    if (!m || !m->func)
        return RSP_ERR_INVAL;
    shape s;
    msg_shape(rsp_es_dialect_get(m->dialect), m, &s);
    const char *act = m->wsa.action ? m->wsa.action : s.action;
    if (!act)
        return rsp_es_action_format(m->func, m->response, out, outlen);
    int n = snprintf(out, outlen, "%s", act);
    return n >= 0 && (size_t)n < outlen ? RSP_OK : RSP_ERR_OVERFLOW;
}

rsp_err rsp_es_soap_encode(const rsp_es_msg *m, rsp_buf *out, rsp_diag *d)
{
    const rsp_es_struct *sd = rsp_es_msg_desc(m);
    if (!sd || !m->body || !out)
        return rsp_diag_set(d, RSP_ERR_INVAL, "message has no function or body");
    const rsp_es_dialect_def *dd = rsp_es_dialect_get(m->dialect);
    shape s;
    msg_shape(dd, m, &s);
    char action[160];
    const char *act = m->wsa.action ? m->wsa.action : s.action;
    if (!act) {
        rsp_err e = rsp_es_action_format(m->func, m->response, action, sizeof(action));
        if (e != RSP_OK)
            return e;
        act = action;
    }
    /* the SOAP version of the message when it has one (an answer keeps its request's), else the dialect's */
    int sv = m->soap_version == 11 || m->soap_version == 12 ? m->soap_version : dd->soap_version;
    const char *env_ns = sv == 11 ? RSP_ES_SOAP11_NS : RSP_ES_SOAP12_NS;
    rsp_err e = put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"");
    if (e == RSP_OK)
        e = put(out, env_ns);
    if (e == RSP_OK)
        e = put(out, "\" xmlns:");
    if (e == RSP_OK)
        e = put(out, dd->wsa_prefix);
    if (e == RSP_OK)
        e = put(out, "=\"");
    if (e == RSP_OK)
        e = put(out, dd->wsa_ns);
    if (e == RSP_OK)
        e = put(out, "\" xmlns:es=\"" RSP_ES_NS "\"><env:Header>");
    if (e == RSP_OK)
        e = wsa_elem(out, dd, "From", m->wsa.from, true, d);
    if (e == RSP_OK)
        e = wsa_elem(out, dd, "To", m->wsa.to, false, d);
    if (e == RSP_OK)
        e = wsa_elem(out, dd, "ReplyTo", m->wsa.reply_to, true, d);
    if (e == RSP_OK)
        e = wsa_elem(out, dd, "MessageID", m->wsa.message_id, false, d);
    if (e == RSP_OK)
        e = wsa_elem(out, dd, "Action", act, false, d);
    if (e == RSP_OK)
        e = wsa_elem(out, dd, s.relates_lower ? "relatesTo" : "RelatesTo", m->wsa.relates_to, false, d);
    if (e == RSP_OK)
        e = put(out, "</env:Header><env:Body><es:");
    if (e == RSP_OK)
        e = put(out, s.wrapper);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(out, '>');
    if (e == RSP_OK && s.ret)
        e = open_tag(out, s.ret);
    enc_ctx c = {out, d, dd};
    if (e == RSP_OK)
        e = enc_struct(&c, sd, s.rows, s.nrows, m->body);
    if (e == RSP_OK && s.ret)
        e = close_tag(out, s.ret);
    if (e == RSP_OK)
        e = put(out, "</es:");
    if (e == RSP_OK)
        e = put(out, s.wrapper);
    if (e == RSP_OK)
        e = put(out, "></env:Body></env:Envelope>");
    return e;
}

rsp_err rsp_es_soap_ack(const rsp_es_msg *m, rsp_buf *out, rsp_diag *d)
{
    const rsp_es_dialect_def *dd = m ? rsp_es_dialect_get(m->dialect) : NULL;
    const rsp_es_dop *op = m && m->response ? rsp_es_dialect_op(dd, m->func) : NULL;
    if (!op || !op->cb_ack)
        return RSP_ERR_NOT_FOUND;
    char w[128], action[200];
    /* JAX-WS names the answer <operation>Response, and its default Action <namespace>/<port>/<that> */
    snprintf(w, sizeof(w), "%s%sResponse", op->cb_op ? op->cb_op : op->op, op->cb_op ? "" : "Response");
    snprintf(action, sizeof(action), RSP_ES_NS "/%s/%s", rsp_es_iface_get(m->func->iface)->name, w);
    int sv = m->soap_version == 11 || m->soap_version == 12 ? m->soap_version : dd->soap_version;
    const char *env_ns = sv == 11 ? RSP_ES_SOAP11_NS : RSP_ES_SOAP12_NS;
    rsp_err e = put3(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"", env_ns, "\" xmlns:");
    if (e == RSP_OK)
        e = put3(out, dd->wsa_prefix, "=\"", dd->wsa_ns);
    if (e == RSP_OK)
        e = put(out, "\" xmlns:es=\"" RSP_ES_NS "\"><env:Header>");
    if (e == RSP_OK)
        e = wsa_elem(out, dd, "Action", action, false, d);
    if (e == RSP_OK)
        e = put3(out, "</env:Header><env:Body><es:", w, "><return>");
    if (e == RSP_OK && op->cb_ack == RSP_ES_ACK_STRING) {
        e = put(out, "OK"); /* [G]: the WSDL types it xs:string and says no more */
    } else if (e == RSP_OK) {
        rsp_es_basic_resp ok;
        memset(&ok, 0, sizeof(ok)); /* EXECUTED_SUCCESS */
        const rsp_es_layout *l = rsp_es_dialect_layout(dd, "nj.base");
        enc_ctx c = {out, d, dd};
        e = enc_struct(&c, &rsp_es_d_basic_resp, l ? l->rows : NULL, l ? l->n : 0, &ok);
    }
    if (e == RSP_OK)
        e = put3(out, "</return></es:", w, "></env:Body></env:Envelope>");
    return e;
}

rsp_err rsp_es_soap_fault(int soap_version, bool sender, const char *reason, const char *relates_to, rsp_buf *out)
{
    rsp_err e;
    if (soap_version == 11) {
        e = put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"" RSP_ES_SOAP11_NS
                     "\"><soap:Body><soap:Fault><faultcode>");
        if (e == RSP_OK)
            e = put(out, sender ? "soap:Client" : "soap:Server");
        if (e == RSP_OK)
            e = put(out, "</faultcode><faultstring>");
        if (e == RSP_OK)
            e = rsp_es_xml_escape(out, reason ? reason : "", NULL, "faultstring");
        return e == RSP_OK ? put(out, "</faultstring></soap:Fault></soap:Body></soap:Envelope>") : e;
    }
    e = put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"" RSP_ES_SOAP12_NS
                 "\" xmlns:wsa=\"" RSP_ES_WSA_NS "\"><env:Header>");
    if (e == RSP_OK)
        e = wsa_elem(out, &rsp_es_dialect_gsma, "Action", "http://www.w3.org/2005/08/addressing/soap/fault", false,
                     NULL);
    if (e == RSP_OK)
        e = wsa_elem(out, &rsp_es_dialect_gsma, "RelatesTo", relates_to, false, NULL);
    if (e == RSP_OK)
        e = put(out, "</env:Header><env:Body><env:Fault><env:Code><env:Value>");
    if (e == RSP_OK)
        e = put(out, sender ? "env:Sender" : "env:Receiver");
    if (e == RSP_OK)
        e = put(out, "</env:Value></env:Code><env:Reason><env:Text xml:lang=\"en\">");
    if (e == RSP_OK)
        e = rsp_es_xml_escape(out, reason ? reason : "", NULL, "Text");
    return e == RSP_OK ? put(out, "</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>") : e;
}
