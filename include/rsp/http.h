/* HTTP/1.1 for the ES interfaces and SCP81: a strict request parser, a server with deferred
 * responses, and a keep-alive client, all on one caller-owned libevent loop.
 *
 * Scope (decided, see docs/modules/http.md): request bodies come with Content-Length or
 * Transfer-Encoding: chunked (strictly framed, same size limit, trailers ignored); any other transfer
 * coding is refused with 501, TE together with CL with 400. Pipelined requests are answered in order, one at a time. No HTTP/1.0 keep-alive,
 * no 100-continue (Expect is answered by simply reading the body). */
#ifndef RSP_HTTP_H
#define RSP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"
#include "rsp/tls.h"

struct event_base;

#define RSP_HTTP_MAX_HEADERS 64

typedef struct rsp_http_limits {
    size_t max_header_bytes; /* request line + headers, incl. the blank line; 0 = 16 KiB */
    size_t max_body_bytes;   /* 0 = 4 MiB */
} rsp_http_limits;

/* A borrowed view of a header. */
typedef struct rsp_http_header {
    const char *name;
    size_t name_len;
    const char *value; /* leading/trailing blanks removed */
    size_t value_len;
} rsp_http_header;

/* One parsed request: every pointer borrows from the parsed input. */
typedef struct rsp_http_parsed {
    const char *method;
    size_t method_len;
    const char *target; /* origin-form path and query, e.g. "/gsma/ES3?x=1" */
    size_t target_len;
    int minor;          /* HTTP/1.<minor> */
    rsp_http_header headers[RSP_HTTP_MAX_HEADERS];
    size_t nheaders;
    const uint8_t *body; /* Content-Length body; NULL when chunked (see body_raw, rsp_http_dechunk) */
    size_t body_len;     /* the body's (decoded) size */
    size_t consumed; /* bytes of input this request occupied (the next pipelined one starts here) */
    int keep_alive;  /* HTTP/1.1 without "Connection: close" */
    int status_hint; /* on failure: the status to answer (400, 411, 413, 431, 501, 505) */
    int chunked;     /* Transfer-Encoding: chunked */
    const uint8_t *body_raw; /* the body as sent (chunk framing included when chunked) */
    size_t body_raw_len;
} rsp_http_parsed;

/* Parses one request from the front of p. RSP_ERR_TRUNCATED means "need more bytes" (only while
 * within limits; out->consumed is then the total size needed once the headers are complete — for a
 * chunked body a lower bound of it — else 0). A chunked request as a whole (headers + framing) must
 * fit max_header_bytes + max_body_bytes (413), its decoded body max_body_bytes (413);
 * any other error is final and out->status_hint says what to answer. Pure: no I/O, no allocation.
 * limits may be NULL for the defaults. */
rsp_err rsp_http_parse_request(const uint8_t *p, size_t len, const rsp_http_limits *limits,
                               rsp_http_parsed *out, rsp_diag *diag);
/* Writes the decoded data of a chunked body already accepted by rsp_http_parse_request (body_raw,
 * body_raw_len) to out (room for body_len bytes; out may equal raw: decoding in place is safe).
 * Returns the bytes written. */
size_t rsp_http_dechunk(const uint8_t *raw, size_t raw_len, uint8_t *out);
/* Case-insensitive header look-up in a parsed request; NULL when absent. */
const rsp_http_header *rsp_http_parsed_header(const rsp_http_parsed *r, const char *name);
const char *rsp_http_reason(int status);

/* ---- server ---- */
typedef struct rsp_http_server rsp_http_server;
typedef struct rsp_http_req rsp_http_req; /* one request awaiting its response */

/* Called once per request. The handler answers with rsp_http_respond, either before returning or
 * later (deferred: async SOAP, `Prefer: wait`); until then the connection answers nothing else. */
typedef void (*rsp_http_handler_fn)(void *arg, rsp_http_req *req);

typedef struct rsp_http_server_opts {
    const char *host;   /* bind address, e.g. "127.0.0.1" */
    uint16_t port;      /* 0 = ephemeral (see rsp_http_server_port) */
    rsp_tls_ctx *tls;   /* NULL = plain TCP; borrowed, must outlive the server */
    rsp_http_limits limits;
    unsigned read_timeout_ms; /* a started request must complete within this; 0 = 30 s */
    unsigned idle_timeout_ms; /* keep-alive idle close; 0 = 60 s */
    rsp_http_handler_fn handler;
    void *arg;
    /* Added fields (zero = default), kept last so positional initialisers still compile. */
    unsigned max_connections; /* open connections at once; over it a new one is closed at once; 0 = 1024 */
    const char *log_name;     /* "name=" in the server's log lines (the daemon); NULL = "http" */
    /* Called when a connection that carried at least one request closes (the peer closed it, an
     * error, a timeout; not at drain or rsp_http_server_free), with the id rsp_http_req_conn gave
     * its requests: a handler that keeps state per client connection (the SM-SR's admin sessions)
     * learns of the close at once instead of at its own timeout. A request of that connection not
     * yet answered stays the handler's (rsp_http_respond then returns RSP_ERR_STATE). NULL: not told. */
    void (*on_close)(void *arg, uint64_t conn_id);
} rsp_http_server_opts;

rsp_err rsp_http_server_new(struct event_base *base, const rsp_http_server_opts *opts, rsp_http_server **out);
uint16_t rsp_http_server_port(const rsp_http_server *s);

typedef struct rsp_http_server_stats {
    unsigned long long accepted;     /* connections accepted (within the cap) */
    unsigned long long refused_cap;  /* connections closed at once because max_connections were open */
    unsigned long long requests;     /* requests handed to the handler */
    unsigned long long refused_req;  /* requests answered 4xx/5xx by the parser (malformed, too large) */
    unsigned open;                   /* connections open now */
    unsigned pending;                /* requests handed out and not yet answered */
    unsigned writing;                /* connections with an answer not yet fully written */
} rsp_http_server_stats;
void rsp_http_server_stats_get(const rsp_http_server *s, rsp_http_server_stats *out);
/* Graceful stop, step 1: closes the listener (no new connections) and idle keep-alive connections;
 * connections with a request in progress stay until it is answered, then close. */
void rsp_http_server_drain(rsp_http_server *s);
/* Closes every connection and frees every request not yet answered: handlers must not call
 * rsp_http_respond on them afterwards. */
void rsp_http_server_free(rsp_http_server *s);

/* Accessors; the strings are NUL-terminated and live as long as req. */
const char *rsp_http_req_method(const rsp_http_req *req);
const char *rsp_http_req_target(const rsp_http_req *req);
/* Case-insensitive; NULL when absent. */
const char *rsp_http_req_header(const rsp_http_req *req, const char *name);
const uint8_t *rsp_http_req_body(const rsp_http_req *req, size_t *len);
const rsp_net_peer *rsp_http_req_peer(const rsp_http_req *req);
/* The id of the connection req came on: unique within the server, never 0 (see on_close). */
uint64_t rsp_http_req_conn(const rsp_http_req *req);

/* Answers req and releases it (always, even on error: req is invalid afterwards). extra_headers is
 * NULL or CRLF-terminated lines ("Content-Type: text/xml\r\n"); Content-Length and Connection are
 * added here. RSP_ERR_STATE if the client went away meanwhile (the answer is dropped). */
rsp_err rsp_http_respond(rsp_http_req *req, int status, const char *extra_headers, const uint8_t *body,
                         size_t len);

/* Escapes an untrusted value (a header, a target, a certificate subject) for a log line: printable
 * ASCII is kept, backslash and double quote become \\ and \", everything else (controls, DEL,
 * non-ASCII bytes) \xNN; stops at len bytes or a NUL, and ends with "..." when the escaped form would
 * not fit outsz (outsz >= 4; then out is always NUL-terminated). Returns out. */
char *rsp_http_log_escape(const void *in, size_t len, char *out, size_t outsz);

/* ---- client ---- */
typedef struct rsp_http_client rsp_http_client;

/* A parsed response, valid only during the callback. */
typedef struct rsp_http_response {
    int status;
    rsp_http_header headers[RSP_HTTP_MAX_HEADERS];
    size_t nheaders;
    const uint8_t *body;
    size_t body_len;
} rsp_http_response;

/* err is RSP_OK with resp set, or a failure (RSP_ERR_TIMEOUT, RSP_ERR_NET, RSP_ERR_PROTOCOL) with
 * resp NULL. */
typedef void (*rsp_http_response_fn)(void *arg, rsp_err err, const rsp_http_response *resp);

typedef struct rsp_http_client_opts {
    const char *host;  /* name or IP literal; resolved with getaddrinfo (blocking) at connect */
    uint16_t port;
    rsp_tls_ctx *tls;  /* NULL = plain TCP; borrowed */
    unsigned timeout_ms; /* connect + each response; 0 = 30 s */
    size_t max_response_bytes; /* 0 = 16 MiB */
} rsp_http_client_opts;

rsp_err rsp_http_client_new(struct event_base *base, const rsp_http_client_opts *opts, rsp_http_client **out);
/* Queues a POST; requests go one at a time over one kept-alive connection, reconnecting when the
 * server closed it. Body and headers are copied. cb is called exactly once (also from
 * rsp_http_client_free, with RSP_ERR_STATE). */
rsp_err rsp_http_client_post(rsp_http_client *c, const char *target, const char *extra_headers,
                             const uint8_t *body, size_t len, rsp_http_response_fn cb, void *arg);
/* Connections opened so far (to check keep-alive reuse). */
unsigned rsp_http_client_connects(const rsp_http_client *c);
/* The server as authenticated by TLS on the current connection. */
const rsp_net_peer *rsp_http_client_peer(const rsp_http_client *c);
void rsp_http_client_free(rsp_http_client *c);
/* Case-insensitive; NULL when absent. */
const rsp_http_header *rsp_http_response_header(const rsp_http_response *r, const char *name);

#endif
