/* Internal to the SOAP binding. */
#ifndef RSP_ES_SOAP_INT_H
#define RSP_ES_SOAP_INT_H

#include <libxml/tree.h>

#include "rsp/es.h"

/* Appends s escaped for XML text/attributes; `elem` names the element in errors. */
rsp_err rsp_es_xml_escape(rsp_buf *o, const char *s, rsp_diag *d, const char *elem);
/* Appends the children of a body struct (no wrapper element). */
rsp_err rsp_es_xml_body(rsp_buf *o, const rsp_es_struct *sd, const void *body, rsp_diag *d);

/* ---- decoding (soap_dec.c, soap_env.c) ---- */
static inline const char *rsp_es_lname(const xmlNode *n)
{
    return (const char *)n->name;
}
static inline xmlNode *rsp_es_first_elem(xmlNode *n)
{
    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}
/* Concatenated text of n's text/CDATA children, trimmed, malloc'd; *bad when n has element children. */
char *rsp_es_xml_text(const xmlNode *n, bool *bad);
char *rsp_es_xml_dup_text(const xmlNode *n);
/* Iterative depth check of the element tree under root. */
bool rsp_es_soap_depth_ok(xmlNode *root, unsigned max);
/* A DOCTYPE or ENTITY declaration anywhere in the bytes. */
bool rsp_es_soap_has_dtd(const uint8_t *p, size_t len);
/* WS-A header fields into m->wsa and the dialect into m->dialect; unknown headers refused by name. */
rsp_err rsp_es_soap_read_header(xmlNode *hdr, int soap_version, rsp_es_msg *m, rsp_diag *d);
/* Whether body element `ln` names f (any dialect's name for it); *resp_suffix for a result's name. */
bool rsp_es_soap_body_matches(const char *ln, const rsp_es_func *f, bool *resp_suffix);
/* Without an Action: the function a body element "ES4-EnableProfileRequest" names, or NULL. */
const rsp_es_func *rsp_es_soap_func_from_body(const char *ln, bool *response);

/* The Action m is sent with in its dialect (m->wsa.action if set). */
rsp_err rsp_es_soap_action(const rsp_es_msg *m, char *out, size_t outlen);

#endif
