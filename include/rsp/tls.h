/* TLS contexts for the net layer, and the transport table that carries HTTP over plain TCP, mutual
 * TLS (ES interfaces) or PSK-TLS (SCP81).
 *
 * Like curl's vtls, the HTTP code never calls OpenSSL itself: it asks the transport of its rsp_tls_ctx
 * (NULL = plain TCP) to wrap a socket in a bufferevent and to name the authenticated peer.
 * TLS versions: mTLS 1.2 and 1.3; PSK exactly 1.2 (SGP.02 SCP81) with PSK-AES128-GCM-SHA256 and
 * PSK-AES128-CBC-SHA256 only, so NULL ciphers are never offered nor accepted. */
#ifndef RSP_TLS_H
#define RSP_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"

struct event_base;
struct bufferevent;

typedef struct rsp_tls_ctx rsp_tls_ctx; /* opaque; wraps an SSL_CTX */

typedef enum rsp_net_peer_kind {
    RSP_NET_PEER_NONE = 0, /* plain TCP: nobody authenticated */
    RSP_NET_PEER_CERT = 1, /* mutual TLS: a verified client (or server) certificate */
    RSP_NET_PEER_PSK = 2,  /* PSK-TLS: the PSK identity the key lookup accepted */
} rsp_net_peer_kind;

/* Who is at the other end, as the TLS layer authenticated it. */
typedef struct rsp_net_peer {
    rsp_net_peer_kind kind;
    char subject[512]; /* CERT: RFC 2253 one-line subject, e.g. "CN=smdp1,O=OpenRSP" */
    char cn[128];      /* CERT: the subject CN */
    char psk_identity[256]; /* PSK: the identity as sent by the client (SCP81: uppercase hex) */
    char addr[64];     /* "ip:port" of the peer */
} rsp_net_peer;

/* PSK key lookup for servers: identity -> key bytes. Write at most keymax bytes into key and their
 * count into *keylen; return RSP_ERR_NOT_FOUND (or any error) to refuse the handshake. Called on the
 * loop thread during the handshake. */
typedef rsp_err (*rsp_tls_psk_lookup_fn)(void *arg, const char *identity, uint8_t *key, size_t keymax,
                                         size_t *keylen);

/* Server with mutual TLS: cert_file (PEM chain) and key_file (PEM), and a per-listener trust store of
 * ncas CA files. Clients without a certificate, or with one not chaining to these CAs, are refused. */
rsp_err rsp_tls_server_mtls_new(const char *cert_file, const char *key_file, const char *const *ca_files,
                                size_t ncas, rsp_tls_ctx **out);
/* Server authenticated by its certificate only (ES9+: an LPA has no client certificate): cert_file
 * (PEM chain) and key_file (PEM); a client certificate is neither asked for nor checked, so the
 * connection's peer is RSP_NET_PEER_NONE. */
rsp_err rsp_tls_server_new(const char *cert_file, const char *key_file, rsp_tls_ctx **out);
/* PSK-TLS 1.2 server; lookup/arg must outlive the context. */
rsp_err rsp_tls_server_psk_new(rsp_tls_psk_lookup_fn lookup, void *arg, rsp_tls_ctx **out);
/* Client with mutual TLS: the server must chain to one of ca_files and match the host it is dialled
 * by (DNS name or IP literal). cert_file/key_file may be NULL for a client without a certificate
 * (only useful to test refusal). */
rsp_err rsp_tls_client_mtls_new(const char *cert_file, const char *key_file, const char *const *ca_files,
                                size_t ncas, rsp_tls_ctx **out);
/* Client that does NOT authenticate the server (neither chain nor name; `rsp lpa --insecure`,
 * which says so on stderr and in --json). Never for a daemon. */
rsp_err rsp_tls_client_unverified_new(rsp_tls_ctx **out);
/* PSK-TLS 1.2 client (tests, the eUICC simulator). The key is copied and wiped on free. `ciphers`
 * NULL means the SCP81 pair; tests pass others to check refusal. */
rsp_err rsp_tls_client_psk_new(const char *identity, const uint8_t *key, size_t keylen, const char *ciphers,
                               rsp_tls_ctx **out);
void rsp_tls_ctx_free(rsp_tls_ctx *ctx);
/* The underlying SSL_CTX (borrowed), for inspection in tests. */
void *rsp_tls_ctx_ssl_ctx(rsp_tls_ctx *ctx);

/* ---- transports (vtls style) ---- */
typedef struct rsp_net_transport {
    const char *name; /* "tcp", "mtls", "psk" */
    /* Wraps an accepted socket; on success the bufferevent owns fd (closed on free). */
    rsp_err (*server_bev)(struct event_base *base, int fd, rsp_tls_ctx *tls, struct bufferevent **out);
    /* A bufferevent not yet connected; the caller calls bufferevent_socket_connect. host is the name
     * the server certificate must match (ignored by tcp and psk). */
    rsp_err (*client_bev)(struct event_base *base, rsp_tls_ctx *tls, const char *host, struct bufferevent **out);
    /* Fills the authenticated identity (and addr is left to the caller). */
    void (*peer)(struct bufferevent *bev, rsp_net_peer *out);
} rsp_net_transport;

/* The transport for a context: tcp when tls is NULL. Never NULL. */
const rsp_net_transport *rsp_tls_transport(const rsp_tls_ctx *tls);

/* ---- throwaway PKI, for tests and benchmarks (production certificates come from `rsp ci`) ---- */
/* Self-signed EC P-256 CA, valid one day. Key written with mode 0600. */
rsp_err rsp_tls_gen_ca(const char *cn, const char *cert_file, const char *key_file);
/* Leaf certificate signed by the CA, with SAN DNS:localhost and IP:127.0.0.1 and serverAuth usage
 * (server 1), clientAuth usage (server 0), or both (server 2: a daemon's certificate, which also
 * signs in as a client when it sends callbacks). */
rsp_err rsp_tls_gen_leaf(const char *ca_cert_file, const char *ca_key_file, const char *cn, int server,
                         const char *cert_file, const char *key_file);

#endif
