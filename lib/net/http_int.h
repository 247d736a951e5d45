/* Internals shared by the HTTP parser, server and client. */
#ifndef RSP_NET_HTTP_INT_H
#define RSP_NET_HTTP_INT_H

#include "rsp/http.h"

#define RSP_HTTP_DEF_HEADER_BYTES (16u * 1024u)
#define RSP_HTTP_DEF_BODY_BYTES (4u * 1024u * 1024u)

/* Parses one response from the front of p (status line, headers, Content-Length body).
 * RSP_ERR_TRUNCATED = need more. *consumed gets its size. */
rsp_err rsp_http_parse_response(const uint8_t *p, size_t len, size_t max_bytes, rsp_http_response *out,
                                size_t *consumed, int *keep_alive, rsp_diag *diag);

/* Case-insensitive equality of a counted string with a C string. */
int rsp_http_ieq(const char *a, size_t alen, const char *b);
/* True if the comma-separated header value contains the token (case-insensitive). */
int rsp_http_has_token(const char *v, size_t vlen, const char *token);

#endif
