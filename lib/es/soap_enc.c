/* SOAP emission, driven by the descriptors. One form only (docs/ENCODINGS.md): SOAP 1.2 envelope,
 * WS-Addressing 2005/08 header, body element <es:Name> (request/notification) or <es:NameResponse>
 * (result) in the service namespace, children unqualified in table order. Written straight into an
 * rsp_buf: the shape is fixed and escaping is the only subtlety, so a tree builder would only cost time. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "es_int.h"
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
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\r': rep = "&#13;"; break;
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

static rsp_err enc_struct(rsp_buf *o, const rsp_es_struct *sd, const void *base, rsp_diag *d);

static rsp_err enc_value(rsp_buf *o, const rsp_es_field *f, uint8_t t, const void *slot, rsp_diag *d)
{
    char num[32];
    switch (t) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
        return rsp_es_xml_escape(o, *(char *const *)slot, d, f->xml);
    case RSP_ES_T_INT:
        snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)slot);
        return put(o, num);
    case RSP_ES_T_BOOL:
        return put(o, *(const bool *)slot ? "true" : "false");
    case RSP_ES_T_ENUM: {
        int v = *(const int *)slot;
        if (v < 0 || (size_t)v >= f->en->n)
            return rsp_diag_set(d, RSP_ERR_RANGE, "element '%s': %d is not a %s value", f->xml, v, f->en->name);
        return put(o, f->en->values[v]);
    }
    case RSP_ES_T_HEX: {
        const rsp_buf *b = slot;
        uint8_t *p;
        rsp_err e = rsp_buf_extend(o, 2 * b->len + 1, &p);
        if (e != RSP_OK)
            return e;
        if (b->len)
            rsp_hex_encode_upper(b->data, b->len, (char *)p, 2 * b->len + 1);
        o->len--; /* drop the NUL */
        return RSP_OK;
    }
    case RSP_ES_T_STRUCT:
        return enc_struct(o, f->sub, *(void *const *)slot, d);
    case RSP_ES_T_INLINE:
        return enc_struct(o, f->sub, slot, d);
    default:
        return rsp_diag_set(d, RSP_ERR_INTERNAL, "element '%s': bad descriptor type", f->xml);
    }
}

static rsp_err enc_elem(rsp_buf *o, const rsp_es_field *f, uint8_t t, const void *slot, rsp_diag *d)
{
    rsp_err e = open_tag(o, f->xml);
    if (e == RSP_OK)
        e = enc_value(o, f, t, slot, d);
    return e == RSP_OK ? close_tag(o, f->xml) : e;
}

static rsp_err enc_struct(rsp_buf *o, const rsp_es_struct *sd, const void *base, rsp_diag *d)
{
    for (size_t i = 0; i < sd->nfields; i++) {
        const rsp_es_field *f = &sd->fields[i];
        const uint8_t *slot = (const uint8_t *)base + f->off;
        rsp_err e = RSP_OK;
        if (!rsp_es_field_present(f, base)) {
            if (f->optional)
                continue;
            if (f->type != RSP_ES_T_HEX) /* a mandatory hexBinary may be empty */
                return rsp_diag_set(d, RSP_ERR_INVAL, "mandatory element '%s' of %s is not set", f->xml, sd->name);
        }
        if (f->type == RSP_ES_T_LIST) {
            const rsp_es_list *l = (const rsp_es_list *)slot;
            size_t isz = rsp_es_item_size(f);
            uint8_t it = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
            for (size_t k = 0; k < l->n && e == RSP_OK; k++)
                e = enc_elem(o, f, it, (const uint8_t *)l->v + k * isz, d);
        } else {
            e = enc_elem(o, f, f->type, slot, d);
        }
        if (e != RSP_OK)
            return e;
    }
    return RSP_OK;
}

rsp_err rsp_es_xml_body(rsp_buf *o, const rsp_es_struct *sd, const void *body, rsp_diag *d)
{
    return enc_struct(o, sd, body, d);
}

static rsp_err wsa_elem(rsp_buf *o, const char *name, const char *val, bool address, rsp_diag *d)
{
    if (!val)
        return RSP_OK;
    rsp_err e = put(o, "<wsa:");
    if (e == RSP_OK)
        e = put(o, name);
    if (e == RSP_OK)
        e = put(o, address ? "><wsa:Address>" : ">");
    if (e == RSP_OK)
        e = rsp_es_xml_escape(o, val, d, name);
    if (e == RSP_OK)
        e = put(o, address ? "</wsa:Address></wsa:" : "</wsa:");
    if (e == RSP_OK)
        e = put(o, name);
    return e == RSP_OK ? rsp_buf_append_byte(o, '>') : e;
}

rsp_err rsp_es_soap_encode(const rsp_es_msg *m, rsp_buf *out, rsp_diag *d)
{
    const rsp_es_struct *sd = rsp_es_msg_desc(m);
    if (!sd || !m->body || !out)
        return rsp_diag_set(d, RSP_ERR_INVAL, "message has no function or body");
    char action[160];
    const char *act = m->wsa.action;
    if (!act) {
        rsp_err e = rsp_es_action_format(m->func, m->response, action, sizeof(action));
        if (e != RSP_OK)
            return e;
        act = action;
    }
    rsp_err e = put(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                         "<env:Envelope xmlns:env=\"" RSP_ES_SOAP12_NS "\" xmlns:wsa=\"" RSP_ES_WSA_NS
                         "\" xmlns:es=\"" RSP_ES_NS "\"><env:Header>");
    if (e == RSP_OK)
        e = wsa_elem(out, "From", m->wsa.from, true, d);
    if (e == RSP_OK)
        e = wsa_elem(out, "To", m->wsa.to, false, d);
    if (e == RSP_OK)
        e = wsa_elem(out, "ReplyTo", m->wsa.reply_to, true, d);
    if (e == RSP_OK)
        e = wsa_elem(out, "MessageID", m->wsa.message_id, false, d);
    if (e == RSP_OK)
        e = wsa_elem(out, "Action", act, false, d);
    if (e == RSP_OK)
        e = wsa_elem(out, "RelatesTo", m->wsa.relates_to, false, d);
    if (e == RSP_OK)
        e = put(out, "</env:Header><env:Body><es:");
    if (e == RSP_OK)
        e = put(out, m->func->name);
    if (e == RSP_OK)
        e = put(out, m->response ? "Response>" : ">");
    if (e == RSP_OK)
        e = enc_struct(out, sd, m->body, d);
    if (e == RSP_OK)
        e = put(out, "</es:");
    if (e == RSP_OK)
        e = put(out, m->func->name);
    if (e == RSP_OK)
        e = put(out, m->response ? "Response></env:Body></env:Envelope>" : "></env:Body></env:Envelope>");
    return e;
}

rsp_err rsp_es_soap_fault(int soap_version, bool sender, const char *reason, const char *relates_to,
                          rsp_buf *out)
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
        e = wsa_elem(out, "Action", "http://www.w3.org/2005/08/addressing/soap/fault", false, NULL);
    if (e == RSP_OK)
        e = wsa_elem(out, "RelatesTo", relates_to, false, NULL);
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
