/* A small blocking ES client: sends one ES request (any function of the catalogue) over HTTPS with
 * mutual TLS, in the SOAP or JSON binding, and decodes the answer. For the tools that originate ES
 * calls (`rsp op`, `rsp demo`, an SM-DP relaying ES2 to ES3). docs/modules/op.md.
 *
 * Each call runs the client's own event loop until the HTTP answer comes (or timeout_ms passes), so a
 * client is used by one thread at a time; N threads use N clients (they share nothing). Requests go
 * one at a time over one kept-alive connection, reconnected when the server closed it. Create the
 * first client before starting threads: rsp_svc_client_new also initialises libxml2, whose first use
 * is not thread-safe.
 *
 * What a call answers, by what the server did (rsp/es_endpoint.h is the other side):
 *   result in the HTTP response (SYNC function, `Prefer: wait`, no ReplyTo, njiwa dialect, a request
 *   refused at validation)          -> RSP_OK, resp holds the decoded result; a refusal is a result too:
 *                                      look at its FunctionExecutionStatus (rsp_svc_client_status)
 *   202 without a body (accepted; the result goes to the request's ReplyTo later)
 *                                   -> RSP_OK, resp->func == NULL, *http_status == 202
 *   SOAP Fault / JSON error object  -> RSP_ERR_DENIED, diag "SOAP Fault: <reason>" / "<code>: <message>"
 *   an answer we cannot decode      -> RSP_ERR_PROTOCOL (diag names what)
 *   no answer                       -> RSP_ERR_NET / RSP_ERR_TIMEOUT
 * *http_status is the HTTP status whenever an answer came (0 otherwise). */
#ifndef RSP_SVC_CLIENT_H
#define RSP_SVC_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"
#include "rsp/es.h"

typedef enum rsp_svc_binding {
    RSP_SVC_BINDING_SOAP = 0, /* the dialect's SOAP version and Content-Type, SOAPAction header */
    RSP_SVC_BINDING_JSON,     /* docs/ES-JSON.md: POST /<iface>/<Function>, application/json */
} rsp_svc_binding;

typedef struct rsp_svc_client_opts {
    const char *url;      /* "https://HOST:PORT[/PATH]"; PATH is the SOAP endpoint's path (default "/<iface>",
                           * e.g. "/es4"); JSON always posts to /<iface>/<Function> */
    const char *tls_cert; /* our certificate chain (PEM): the caller's identity, from `rsp ci issue` */
    const char *tls_key;  /* its private key (PEM) */
    const char *tls_ca;   /* CA file (PEM) the server's certificate must chain to */
    rsp_svc_binding binding;
    rsp_es_dialect dialect; /* SOAP form (ignored by JSON) */
    unsigned timeout_ms;  /* connect + each answer; 0 = 60 s. With wait the answer comes when the
                           * operation is done: give it the time the operation takes */
    const char *from;     /* WS-A From of every request, or NULL */
} rsp_svc_client_opts;

typedef struct rsp_svc_client rsp_svc_client;

/* Loads the TLS material and parses the URL (no connection yet). The option strings are copied.
 * RSP_ERR_FORMAT for a bad URL, TLS errors as rsp_tls_client_mtls_new returns them; diag says which. */
rsp_err rsp_svc_client_new(const rsp_svc_client_opts *o, rsp_svc_client **out, rsp_diag *diag);
void rsp_svc_client_free(rsp_svc_client *c);

/* Sends req (a request: rsp_es_msg_init(req, f, false) and its body filled) and decodes the answer into
 * resp (zeroed by this call; the caller frees it with rsp_es_msg_free, whatever the return value).
 * Before sending, what the request lacks is filled in and left in req (owned by it) so the caller can
 * show or log it: FunctionCallIdentifier (a unique "<prefix>-<n>"), WS-A MessageID (urn:uuid), To (the
 * URL), From (opts.from). ReplyTo is the caller's to set (req->wsa.reply_to) when it runs a callback
 * listener. req->dialect is set from the options. wait adds "Prefer: wait": the server answers with
 * the result when the operation is done instead of 202 + a callback. */
rsp_err rsp_svc_client_call(rsp_svc_client *c, rsp_es_msg *req, bool wait, rsp_es_msg *resp, int *http_status,
                            rsp_diag *diag);

/* How a call reads an answer with a body (exposed for the fuzzer, fuzz/fuzz_svc_client.c, and for
 * callers that receive answers some other way): the JSON binding when ctype contains "json", else SOAP
 * (soap_action: the SOAPAction header, may be NULL). RSP_OK only for a result of f (resp->response,
 * resp->body set); RSP_ERR_DENIED for a SOAP Fault / JSON error object; else the decoder's error or
 * RSP_ERR_PROTOCOL (another function's message, a request). resp is zeroed first; free it either way. */
rsp_err rsp_svc_client_decode(const rsp_es_func *f, int status, const char *ctype, const char *soap_action,
                              const uint8_t *body, size_t len, rsp_es_msg *resp, rsp_diag *diag);

/* The bytes of the last request sent and of the last answer received (empty before the first call);
 * valid until the next call. For --dump-request and debugging. */
const rsp_buf *rsp_svc_client_last_request(const rsp_svc_client *c);
const rsp_buf *rsp_svc_client_last_response(const rsp_svc_client *c);
/* TCP+TLS connections opened so far (keep-alive reuse shows as 1 for many calls). */
unsigned rsp_svc_client_connects(const rsp_svc_client *c);

/* The FunctionExecutionStatus of a decoded result (every response body starts with it), or NULL when
 * resp holds none (resp->func NULL or no body). */
const rsp_es_fes *rsp_svc_client_status(const rsp_es_msg *resp);

#endif
