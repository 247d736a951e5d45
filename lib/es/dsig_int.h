/* Internal to lib/es: canonical XML (libxml2's C14N) for the XML-DSig EumSignature. */
#ifndef RSP_ES_DSIG_INT_H
#define RSP_ES_DSIG_INT_H

#include <libxml/tree.h>

#include "es_int.h"

#define RSP_ES_DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

/* The subtree rooted at n, canonicalised: exclusive C14N 1.0 (exclusive) or inclusive C14N 1.0, without
 * comments. A NUL-terminated malloc'd string into *out. */
rsp_err rsp_es_c14n_node(xmlDoc *doc, xmlNode *n, bool exclusive, char **out);
/* A text holding one ds:Signature element (from JSON, or a caller): parsed with the SOAP parser's
 * safety rules (size, no DTD, no network) and returned in exclusive canonical form, so that whatever the
 * SOAP encoder writes as is, is one well-formed element. */
rsp_err rsp_es_dsig_canon_text(const char *s, size_t len, char **out, rsp_diag *d);

#endif
