/* The ES endpoint: SGP.02's asynchronous request pattern, independent of any HTTP server.
 *
 * The transport (lib/net, or a test) hands each incoming HTTP request to rsp_es_endpoint_handle() as
 * plain strings and bytes, with a `respond` function that the endpoint calls exactly once with the
 * HTTP response (status, content type, body). Results of asynchronous functions go out later through
 * the `send` function of the configuration: a new POST to the requester's ReplyTo, RelatesTo = the
 * original MessageID.
 *
 *   well-formed async request          -> 202, empty body; the handler completes later -> send(callback)
 *   request that fails validation      -> 200 (SOAP) / 400 (JSON) with the function's response,
 *                                         FunctionExecutionStatus Failed naming the element at fault
 *   unparseable / unknown function     -> SOAP Fault (400 Sender, 500 Receiver) / JSON error object
 *   notification (Handle...Notification) or an incoming result -> 202, no callback
 *   "Prefer: wait", a SYNC function, or no usable ReplyTo -> deferred response: respond() is called
 *                                         with 200 + the result when the handler completes
 *
 * Binding: a Content-Type containing "json" selects JSON (path /<iface>/<Function>), anything else
 * SOAP 1.1/1.2. Dialect (rsp/es.h): every answer and callback is written in the dialect the request
 * came in (detected by the decoder). In the njiwa dialect a request is always answered in the HTTP
 * response (its operations are JAX-WS request-response: the result in <return>), and an incoming result
 * is answered with its callback operation's acknowledgement instead of a bare 202. Requests we originate
 * (a client) carry the peer's configured dialect in rsp_es_msg.dialect.
 * Single-threaded use: handle/complete for one endpoint must not run concurrently. */
#ifndef RSP_ES_ENDPOINT_H
#define RSP_ES_ENDPOINT_H

#include "rsp/es.h"

typedef struct rsp_es_http_in {
    const char *path;         /* request path: "/es4" for SOAP (unused), "/es4/EnableProfile" for JSON */
    const char *content_type; /* may carry the SOAP 1.2 action parameter */
    const char *soap_action;  /* SOAPAction header (SOAP 1.1, and JSON results), may be NULL */
    const char *prefer;       /* Prefer header, may be NULL; "wait" asks for a deferred response */
    const char *peer;         /* authenticated peer identity (from the TLS client certificate), may be NULL */
    const uint8_t *body;
    size_t body_len;
} rsp_es_http_in;

/* Borrowed for the duration of the respond call. */
typedef struct rsp_es_http_out {
    int status;
    const char *content_type; /* NULL when body_len == 0 */
    const uint8_t *body;
    size_t body_len;
} rsp_es_http_out;

typedef void (*rsp_es_respond_fn)(void *rctx, const rsp_es_http_out *out);
/* POSTs a callback. `action` is the Action URI (the transport may put it in SOAPAction). Borrowed. */
typedef rsp_err (*rsp_es_send_fn)(void *sctx, const char *url, const char *content_type, const char *action,
                                  const uint8_t *body, size_t len);

typedef struct rsp_es_call rsp_es_call;
/* Called once per accepted message. Returns RSP_OK having called, now or later, exactly one of
 * rsp_es_call_complete / rsp_es_call_reject. Returning an error without either rejects the call
 * with subject 1.2 reason 4.2 (our error, the message was fine). */
typedef rsp_err (*rsp_es_handler_fn)(void *hctx, rsp_es_call *call);

typedef struct rsp_es_handler {
    rsp_es_iface iface;
    const char *function; /* catalogue name, e.g. "EnableProfile" */
    bool response;        /* true: this handles incoming results (callbacks) of the function */
    rsp_es_handler_fn fn;
    void *ctx;
} rsp_es_handler;

typedef struct rsp_es_endpoint_cfg {
    const rsp_es_handler *handlers; /* borrowed; must outlive the endpoint */
    size_t n_handlers;
    rsp_es_send_fn send;
    void *send_ctx;
    const char *self_address; /* our address, sent as From in callbacks; may be NULL */
    rsp_es_limits limits;
} rsp_es_endpoint_cfg;

typedef struct rsp_es_endpoint rsp_es_endpoint;

rsp_err rsp_es_endpoint_new(const rsp_es_endpoint_cfg *cfg, rsp_es_endpoint **out);
/* Every call must have completed (rsp_es_endpoint_pending() == 0) before the endpoint is freed. */
void rsp_es_endpoint_free(rsp_es_endpoint *ep);
size_t rsp_es_endpoint_pending(const rsp_es_endpoint *ep);

/* Handles one HTTP request; respond(rctx, ...) is called exactly once, before return or (deferred)
 * when the handler completes. Returns the error that was answered, for logging; the HTTP answer has
 * been (or will be) given either way. */
rsp_err rsp_es_endpoint_handle(rsp_es_endpoint *ep, const rsp_es_http_in *in, rsp_es_respond_fn respond,
                               void *rctx);

/* ---- inside a handler ---- */
const rsp_es_msg *rsp_es_call_msg(const rsp_es_call *c); /* the decoded request (or incoming result) */
const char *rsp_es_call_peer(const rsp_es_call *c);      /* may be NULL */
/* The zeroed response body (of c's function's resp type) for the handler to fill; NULL for
 * notifications and incoming results. Owned by the call. hdr.status defaults to EXECUTED_SUCCESS;
 * ProcessingStart/End are filled by the endpoint when left NULL. */
void *rsp_es_call_response(rsp_es_call *c);
/* Finishes the call: sends the result (callback or deferred response) and frees the call. */
rsp_err rsp_es_call_complete(rsp_es_call *c);
/* Finishes the call with FunctionExecutionStatus Failed and StatusCodeData (copied). Inside the handler
 * function the answer is synchronous; later it goes out like a result. */
rsp_err rsp_es_call_reject(rsp_es_call *c, const char *subject, const char *reason, const char *subject_id,
                           const char *message);

#endif
