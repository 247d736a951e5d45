/* Internal to the SOAP binding. */
#ifndef RSP_ES_SOAP_INT_H
#define RSP_ES_SOAP_INT_H

#include "rsp/es.h"

/* Appends s escaped for XML text/attributes; `elem` names the element in errors. */
rsp_err rsp_es_xml_escape(rsp_buf *o, const char *s, rsp_diag *d, const char *elem);
/* Appends the children of a body struct (no wrapper element). */
rsp_err rsp_es_xml_body(rsp_buf *o, const rsp_es_struct *sd, const void *body, rsp_diag *d);

/* The Action m is sent with in its dialect (m->wsa.action if set). */
rsp_err rsp_es_soap_action(const rsp_es_msg *m, char *out, size_t outlen);

#endif
