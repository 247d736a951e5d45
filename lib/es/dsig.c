/* The XML-DSig form of the EumSignature (njiwa's eis carries a ds:Signature where our gsma form has
 * EumSignature hexBinary), and the canonical XML it rests on. libxml2 gives C14N; the digest and ECDSA go
 * through rsp/crypto.h. No xmlsec: one reference, one key type and two canonicalisations are all an EIS
 * signature needs, and refusing the rest by name is the point.
 *
 * What is signed [G] (SGP.02 says the EUM signs EumSignedInfo; njiwa's WSDL gives the ds:Signature
 * shape but no algorithms): Reference uri="" denotes the EumSignedInfo element of the Eis holding the
 * signature, transformed by exclusive C14N and digested with SHA-256; SignedInfo is canonicalised with
 * exclusive C14N and signed with ECDSA-SHA256, SignatureValue = base64(r||s) (RFC 4050). We write the
 * elements in the order and spelling of njiwa's schema (DigestValue before DigestMethod, attribute `uri`),
 * and read either order, `URI` or `uri`, and inclusive C14N 1.0 as well. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "dsig_int.h"
#include "rsp/crypto.h"
#include "rsp/es9p.h"

#define ALG_C14N "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define ALG_EXC "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_ECDSA "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"

static int in_subtree(void *root, xmlNodePtr node, xmlNodePtr parent)
{
    xmlNodePtr n = (!node || node->type == XML_NAMESPACE_DECL) ? parent : node;
    for (; n; n = n->parent)
        if (n == (xmlNodePtr)root)
            return 1;
    return 0;
}

rsp_err rsp_es_c14n_node(xmlDoc *doc, xmlNode *n, bool exclusive, char **out)
{
    *out = NULL;
    xmlOutputBufferPtr ob = xmlAllocOutputBuffer(NULL);
    if (!ob)
        return RSP_ERR_NOMEM;
    int r = xmlC14NExecute(doc, in_subtree, n, exclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0, NULL, 0, ob);
    rsp_err e = RSP_ERR_FORMAT;
    if (r >= 0) {
        size_t len = xmlOutputBufferGetSize(ob);
        if ((*out = malloc(len + 1))) {
            memcpy(*out, xmlOutputBufferGetContent(ob), len);
            (*out)[len] = '\0';
            e = RSP_OK;
        } else {
            e = RSP_ERR_NOMEM;
        }
    }
    xmlOutputBufferClose(ob);
    return e;
}

/* ---- base64 (RFC 4648) of DigestValue/SignatureValue/X509Certificate: es9p_text.c's codec, strict
 * (a value has one text: non-zero bits before the padding are refused, so a signature cannot be
 * re-spelled) ---- */
static bool b64_exact(const char *s, uint8_t *out, size_t len)
{
    rsp_buf b = RSP_BUF_INIT;
    bool ok = s && rsp_es9p_b64_decode(s, strlen(s), &b, NULL) == RSP_OK && b.len == len;
    if (ok)
        memcpy(out, b.data, len);
    rsp_buf_free(&b);
    return ok;
}

/* ---- finding things ---- */
static xmlNode *child(xmlNode *n, const char *name, const char *ns)
{
    for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name) &&
            (!ns || (c->ns && !strcmp((const char *)c->ns->href, ns))))
            return c;
    return NULL;
}

static xmlNode *find_eis(xmlNode *n)
{
    for (; n; n = n->next) { /* the message's nesting is bounded by the parse limits */
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!strcmp((const char *)n->name, "Eis") && child(n, "EumSignedInfo", NULL))
            return n;
        xmlNode *r = find_eis(n->children);
        if (r)
            return r;
    }
    return NULL;
}

static rsp_err parse(const uint8_t *xml, size_t len, xmlDoc **doc, xmlNode **eis, rsp_diag *d)
{
    if (len > RSP_ES_DEFAULT_MAX_BYTES || len > (size_t)INT32_MAX)
        return rsp_diag_set(d, RSP_ERR_LENGTH, "document of %zu bytes exceeds the limit", len);
    static const char *const words[] = {"<!DOCTYPE", "<!ENTITY"}; /* as the SOAP parser: no DTD at all */
    for (size_t w = 0; w < 2; w++)
        for (size_t i = 0, wl = strlen(words[w]); i + wl <= len; i++)
            if (xml[i] == '<' && !strncasecmp((const char *)xml + i, words[w], wl))
                return rsp_diag_set(d, RSP_ERR_FORMAT, "DOCTYPE/ENTITY declarations are not allowed");
    *doc = xmlReadMemory((const char *)xml, (int)len, NULL, NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    if (!*doc)
        return rsp_diag_set(d, RSP_ERR_FORMAT, "not well-formed XML");
    if (!(*eis = find_eis(xmlDocGetRootElement(*doc)))) {
        xmlFreeDoc(*doc);
        *doc = NULL;
        return rsp_diag_set(d, RSP_ERR_TAG, "no Eis with an EumSignedInfo in the document");
    }
    return RSP_OK;
}

rsp_err rsp_es_dsig_canon_text(const char *s, size_t len, char **out, rsp_diag *d)
{
    *out = NULL;
    if (len > 64 * 1024)
        return rsp_diag_set(d, RSP_ERR_LENGTH, "ds:Signature of %zu bytes is too large", len);
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '<' && s[i + 1] == '!')
            return rsp_diag_set(d, RSP_ERR_FORMAT, "ds:Signature: DOCTYPE/ENTITY/CDATA not allowed");
    xmlDoc *doc = xmlReadMemory(s, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    rsp_err e;
    if (!root)
        e = rsp_diag_set(d, RSP_ERR_FORMAT, "ds:Signature is not well-formed XML");
    else if (strcmp((const char *)root->name, "Signature") || !root->ns ||
             strcmp((const char *)root->ns->href, RSP_ES_DSIG_NS))
        e = rsp_diag_set(d, RSP_ERR_TAG, "expected a ds:Signature element, not '%.40s'", (const char *)root->name);
    else
        e = rsp_es_c14n_node(doc, root, true, out);
    xmlFreeDoc(doc);
    return e;
}

/* ---- sign ---- */
static rsp_err digest_signed_info(xmlDoc *doc, xmlNode *eis, bool exclusive, uint8_t dig[32])
{
    char *c14n;
    rsp_err e = rsp_es_c14n_node(doc, child(eis, "EumSignedInfo", NULL), exclusive, &c14n);
    if (e == RSP_OK)
        e = rsp_sha256((const uint8_t *)c14n, strlen(c14n), dig);
    free(c14n);
    return e;
}

static rsp_err append(rsp_buf *o, const char *s)
{
    return rsp_buf_append(o, s, strlen(s));
}

/* The SignedInfo element as text (exclusive canonical already: one namespace, no white space). */
static rsp_err signed_info_text(const uint8_t dig[32], rsp_buf *o)
{
    rsp_err e =
        append(o, "<ds:SignedInfo xmlns:ds=\"" RSP_ES_DSIG_NS "\"><ds:CanonicalizationMethod Algorithm=\"" ALG_EXC
                  "\"></ds:CanonicalizationMethod><ds:SignatureMethod Algorithm=\"" ALG_ECDSA
                  "\"></ds:SignatureMethod><ds:Reference uri=\"\"><ds:Transforms><ds:Transform Algorithm=\"" ALG_EXC
                  "\"></ds:Transform></ds:Transforms><ds:DigestValue>");
    if (e == RSP_OK)
        e = rsp_es9p_b64_encode(dig, 32, o);
    return e == RSP_OK ? append(o, "</ds:DigestValue><ds:DigestMethod Algorithm=\"" ALG_SHA256
                                   "\"></ds:DigestMethod></ds:Reference></ds:SignedInfo>")
                       : e;
}

rsp_err rsp_es_eis_dsig_sign(const uint8_t *xml, size_t len, const rsp_eckey *key, const uint8_t *cert_der,
                             size_t cert_len, rsp_buf *out, rsp_diag *d)
{
    if (!xml || !key || !out)
        return rsp_diag_set(d, RSP_ERR_INVAL, "nothing to sign");
    xmlDoc *doc;
    xmlNode *eis;
    rsp_err e = parse(xml, len, &doc, &eis, d);
    if (e != RSP_OK)
        return e;
    uint8_t dig[32], sig[RSP_EC_SIG_LEN];
    rsp_buf si = RSP_BUF_INIT, s = RSP_BUF_INIT;
    xmlDoc *frag = NULL;
    if ((e = digest_signed_info(doc, eis, true, dig)) == RSP_OK && (e = signed_info_text(dig, &si)) == RSP_OK)
        e = rsp_ecdsa_sign(key, si.data, si.len, sig);
    if (e == RSP_OK) {
        e = append(&s, "<ds:Signature xmlns:ds=\"" RSP_ES_DSIG_NS "\">");
        /* SignedInfo inherits ds from Signature in the document; its exclusive canonical form (what was
         * signed) declares it on itself, which is the text in `si` */
        size_t skip = strlen("<ds:SignedInfo xmlns:ds=\"" RSP_ES_DSIG_NS "\"");
        if (e == RSP_OK)
            e = append(&s, "<ds:SignedInfo");
        if (e == RSP_OK)
            e = rsp_buf_append(&s, si.data + skip, si.len - skip);
        if (e == RSP_OK)
            e = append(&s, "<ds:SignatureValue>");
        if (e == RSP_OK)
            e = rsp_es9p_b64_encode(sig, sizeof(sig), &s);
        if (e == RSP_OK)
            e = append(&s, "</ds:SignatureValue>");
        if (e == RSP_OK && cert_der && cert_len) {
            e = append(&s, "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>");
            if (e == RSP_OK)
                e = rsp_es9p_b64_encode(cert_der, cert_len, &s);
            if (e == RSP_OK)
                e = append(&s, "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>");
        }
        if (e == RSP_OK)
            e = append(&s, "</ds:Signature>");
    }
    if (e == RSP_OK) {
        frag = xmlReadMemory((const char *)s.data, (int)s.len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
        xmlNode *sn = frag ? xmlDocCopyNode(xmlDocGetRootElement(frag), doc, 1) : NULL;
        if (!sn) {
            e = RSP_ERR_NOMEM;
        } else {
            xmlNode *old = child(eis, "Signature", RSP_ES_DSIG_NS);
            if (old) {
                xmlUnlinkNode(old);
                xmlFreeNode(old);
            }
            xmlNode *after = child(eis, "EumSignature", NULL);
            xmlAddNextSibling(after ? after : child(eis, "EumSignedInfo", NULL), sn);
            xmlChar *mem = NULL;
            int n = 0;
            xmlDocDumpMemoryEnc(doc, &mem, &n, "UTF-8");
            e = mem ? rsp_buf_append(out, mem, (size_t)n) : RSP_ERR_NOMEM;
            xmlFree(mem);
        }
    }
    if (frag)
        xmlFreeDoc(frag);
    xmlFreeDoc(doc);
    rsp_buf_free(&si);
    rsp_buf_free(&s);
    return e;
}

/* ---- verify ---- */
static const char *alg(xmlNode *n)
{
    xmlAttr *a = n ? xmlHasProp(n, (const xmlChar *)"Algorithm") : NULL;
    return a && a->children && a->children->content ? (const char *)a->children->content : "";
}

static rsp_err c14n_mode(const char *a, bool *exclusive, const char *what, rsp_diag *d)
{
    if (!strcmp(a, ALG_EXC))
        *exclusive = true;
    else if (!strcmp(a, ALG_C14N))
        *exclusive = false;
    else
        return rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "%s algorithm '%.100s' is not supported", what, a);
    return RSP_OK;
}

static char *text_of(xmlNode *n)
{
    xmlChar *c = n ? xmlNodeGetContent(n) : NULL;
    char *s = c ? strdup((const char *)c) : NULL;
    xmlFree(c);
    return s;
}

static rsp_err verify_doc(xmlDoc *doc, xmlNode *eis, const rsp_eckey *key, rsp_diag *d)
{
    const char *ns = RSP_ES_DSIG_NS;
    xmlNode *sig = child(eis, "Signature", ns), *si = child(sig, "SignedInfo", ns);
    xmlNode *ref = child(si, "Reference", ns);
    if (!sig)
        return rsp_diag_set(d, RSP_ERR_TAG, "the Eis carries no ds:Signature");
    if (!si || !ref)
        return rsp_diag_set(d, RSP_ERR_TAG, "ds:Signature lacks SignedInfo/Reference");
    bool si_exc = false, ref_exc = false;
    rsp_err e = c14n_mode(alg(child(si, "CanonicalizationMethod", ns)), &si_exc, "CanonicalizationMethod", d);
    if (e != RSP_OK)
        return e;
    if (strcmp(alg(child(si, "SignatureMethod", ns)), ALG_ECDSA))
        return rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "SignatureMethod '%.100s' is not supported (ecdsa-sha256 is)",
                            alg(child(si, "SignatureMethod", ns)));
    if (strcmp(alg(child(ref, "DigestMethod", ns)), ALG_SHA256))
        return rsp_diag_set(d, RSP_ERR_UNSUPPORTED, "DigestMethod '%.100s' is not supported (sha256 is)",
                            alg(child(ref, "DigestMethod", ns)));
    xmlChar *uri = xmlGetProp(ref, (const xmlChar *)"uri");
    if (!uri)
        uri = xmlGetProp(ref, (const xmlChar *)"URI");
    bool uri_ok = !uri || !uri[0];
    xmlFree(uri);
    if (!uri_ok)
        return rsp_diag_set(d, RSP_ERR_UNSUPPORTED,
                            "Reference URI other than \"\" (the EumSignedInfo) is not supported");
    for (xmlNode *t = child(child(ref, "Transforms", ns), "Transform", ns); t; t = t->next) {
        if (t->type != XML_ELEMENT_NODE)
            continue;
        if (!strcmp(alg(t), ALG_ENVELOPED))
            continue; /* the signature is not inside EumSignedInfo: nothing to remove */
        if ((e = c14n_mode(alg(t), &ref_exc, "Transform", d)) != RSP_OK)
            return e;
    }
    uint8_t want[32], got[32], sv[RSP_EC_SIG_LEN];
    char *dv = text_of(child(ref, "DigestValue", ns)), *svt = text_of(child(sig, "SignatureValue", ns));
    bool dv_ok = b64_exact(dv, want, sizeof(want));
    bool sv_ok = b64_exact(svt, sv, sizeof(sv));
    free(dv);
    free(svt);
    if (!dv_ok || !sv_ok)
        return rsp_diag_set(d, RSP_ERR_FORMAT, "%s is not base64 of the right length",
                            dv_ok ? "SignatureValue (r||s)" : "DigestValue (SHA-256)");
    if ((e = digest_signed_info(doc, eis, ref_exc, got)) != RSP_OK)
        return e;
    if (memcmp(want, got, 32))
        return rsp_diag_set(d, RSP_ERR_VERIFY, "DigestValue does not match the EumSignedInfo");
    char *c14n;
    if ((e = rsp_es_c14n_node(doc, si, si_exc, &c14n)) != RSP_OK)
        return e;
    e = rsp_ecdsa_verify(key, (const uint8_t *)c14n, strlen(c14n), sv, RSP_EC_SIG_LEN);
    free(c14n);
    return e == RSP_OK ? RSP_OK : rsp_diag_set(d, e, "SignatureValue does not verify with the EUM key");
}

rsp_err rsp_es_eis_dsig_verify(const uint8_t *xml, size_t len, const rsp_eckey *key, rsp_diag *d)
{
    if (!xml || !key)
        return rsp_diag_set(d, RSP_ERR_INVAL, "nothing to verify");
    xmlDoc *doc;
    xmlNode *eis;
    rsp_err e = parse(xml, len, &doc, &eis, d);
    if (e != RSP_OK)
        return e;
    e = verify_doc(doc, eis, key, d);
    xmlFreeDoc(doc);
    return e;
}
