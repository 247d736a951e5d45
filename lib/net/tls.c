/* TLS contexts (mutual TLS for ES interfaces, PSK-TLS 1.2 for SCP81) and the transport table.
 *
 * Per-context data (the PSK lookup, or the client's identity and key) hangs off the SSL_CTX through
 * SSL_CTX_set_app_data, so callbacks find it without any global. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "rsp/buf.h"
#include "rsp/log.h"
#include "rsp/tls.h"

typedef enum { KIND_MTLS_SERVER, KIND_MTLS_CLIENT, KIND_PSK_SERVER, KIND_PSK_CLIENT } tls_kind;

struct rsp_tls_ctx {
    SSL_CTX *ssl;
    tls_kind kind;
    rsp_tls_psk_lookup_fn lookup;
    void *lookup_arg;
    char psk_identity[256];
    uint8_t psk_key[64];
    size_t psk_keylen;
};

#define SCP81_CIPHERS "PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256"

static rsp_err tls_fail(const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    RSP_LOGE(RSP_SS_NET, "tls setup failed", "what=%s openssl=\"%s\"", what, e ? buf : "-");
    ERR_clear_error();
    return RSP_ERR_CRYPTO;
}

static rsp_err ctx_alloc(int server, tls_kind kind, rsp_tls_ctx **out)
{
    rsp_tls_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    c->kind = kind;
    c->ssl = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!c->ssl) {
        free(c);
        return tls_fail("SSL_CTX_new");
    }
    SSL_CTX_set_app_data(c->ssl, c);
    SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION);
    /* Renegotiation and compression are attack surface nobody here needs. */
    SSL_CTX_set_options(c->ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    *out = c;
    return RSP_OK;
}

static rsp_err load_cas(rsp_tls_ctx *c, const char *const *ca_files, size_t ncas)
{
    if (!ncas)
        return RSP_ERR_INVAL;
    for (size_t i = 0; i < ncas; i++)
        if (SSL_CTX_load_verify_file(c->ssl, ca_files[i]) != 1)
            return tls_fail(ca_files[i]);
    return RSP_OK;
}

static rsp_err load_pair(rsp_tls_ctx *c, const char *cert_file, const char *key_file)
{
    if (SSL_CTX_use_certificate_chain_file(c->ssl, cert_file) != 1)
        return tls_fail(cert_file);
    if (SSL_CTX_use_PrivateKey_file(c->ssl, key_file, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(c->ssl) != 1)
        return tls_fail(key_file);
    return RSP_OK;
}

rsp_err rsp_tls_server_mtls_new(const char *cert_file, const char *key_file, const char *const *ca_files,
                                size_t ncas, rsp_tls_ctx **out)
{
    rsp_tls_ctx *c;
    rsp_err e;
    if (!cert_file || !key_file || !out)
        return RSP_ERR_INVAL;
    if ((e = ctx_alloc(1, KIND_MTLS_SERVER, &c)) != RSP_OK)
        return e;
    if ((e = load_pair(c, cert_file, key_file)) || (e = load_cas(c, ca_files, ncas))) {
        rsp_tls_ctx_free(c);
        return e;
    }
    SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    /* No session tickets/cache: every connection is authenticated by its own certificate, and keep-
     * alive already amortises handshakes. */
    SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(c->ssl, SSL_OP_NO_TICKET);
    *out = c;
    return RSP_OK;
}

rsp_err rsp_tls_server_new(const char *cert_file, const char *key_file, rsp_tls_ctx **out)
{
    rsp_tls_ctx *c;
    rsp_err e;
    if (!cert_file || !key_file || !out)
        return RSP_ERR_INVAL;
    if ((e = ctx_alloc(1, KIND_MTLS_SERVER, &c)) != RSP_OK)
        return e;
    if ((e = load_pair(c, cert_file, key_file)) != RSP_OK) {
        rsp_tls_ctx_free(c);
        return e;
    }
    SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_OFF); /* as the mTLS server: keep-alive instead */
    SSL_CTX_set_options(c->ssl, SSL_OP_NO_TICKET);
    *out = c;
    return RSP_OK;
}

rsp_err rsp_tls_client_mtls_new(const char *cert_file, const char *key_file, const char *const *ca_files,
                                size_t ncas, rsp_tls_ctx **out)
{
    rsp_tls_ctx *c;
    rsp_err e;
    if (!out)
        return RSP_ERR_INVAL;
    if ((e = ctx_alloc(0, KIND_MTLS_CLIENT, &c)) != RSP_OK)
        return e;
    if ((cert_file && (e = load_pair(c, cert_file, key_file))) || (e = load_cas(c, ca_files, ncas))) {
        rsp_tls_ctx_free(c);
        return e;
    }
    SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
    *out = c;
    return RSP_OK;
}

/* A client that does not authenticate the server (rsp lpa --insecure, stated loudly by its caller):
 * the chain and the name are not checked, the handshake still encrypts. */
rsp_err rsp_tls_client_unverified_new(rsp_tls_ctx **out)
{
    rsp_tls_ctx *c;
    rsp_err e;
    if (!out)
        return RSP_ERR_INVAL;
    if ((e = ctx_alloc(0, KIND_MTLS_CLIENT, &c)) != RSP_OK)
        return e;
    SSL_CTX_set_verify(c->ssl, SSL_VERIFY_NONE, NULL);
    *out = c;
    return RSP_OK;
}

static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk, unsigned int max_psk_len)
{
    rsp_tls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    size_t klen = 0;
    if (!c || !identity || !c->lookup)
        return 0;
    if (c->lookup(c->lookup_arg, identity, psk, max_psk_len, &klen) != RSP_OK || klen == 0 || klen > max_psk_len) {
        RSP_LOGN(RSP_SS_NET, "psk identity refused", "identity=%.64s", identity);
        return 0;
    }
    return (unsigned int)klen;
}

static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
                                  unsigned char *psk, unsigned int max_psk_len)
{
    (void)hint;
    rsp_tls_ctx *c = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
    size_t ilen = strlen(c->psk_identity);
    if (ilen + 1 > max_identity_len || c->psk_keylen > max_psk_len)
        return 0;
    memcpy(identity, c->psk_identity, ilen + 1);
    memcpy(psk, c->psk_key, c->psk_keylen);
    return (unsigned int)c->psk_keylen;
}

static rsp_err psk_common(rsp_tls_ctx *c, const char *ciphers)
{
    /* SCP81 is TLS 1.2 PSK; TLS 1.3 would need the different external-PSK machinery, and its
     * suites would bypass our cipher list. */
    SSL_CTX_set_max_proto_version(c->ssl, TLS1_2_VERSION);
    if (SSL_CTX_set_cipher_list(c->ssl, ciphers ? ciphers : SCP81_CIPHERS) != 1 ||
        SSL_CTX_set_ciphersuites(c->ssl, "") != 1)
        return tls_fail("cipher list");
    return RSP_OK;
}

rsp_err rsp_tls_server_psk_new(rsp_tls_psk_lookup_fn lookup, void *arg, rsp_tls_ctx **out)
{
    rsp_tls_ctx *c;
    rsp_err e;
    if (!lookup || !out)
        return RSP_ERR_INVAL;
    if ((e = ctx_alloc(1, KIND_PSK_SERVER, &c)) != RSP_OK)
        return e;
    c->lookup = lookup;
    c->lookup_arg = arg;
    if ((e = psk_common(c, NULL)) != RSP_OK) {
        rsp_tls_ctx_free(c);
        return e;
    }
    SSL_CTX_set_psk_server_callback(c->ssl, psk_server_cb);
    SSL_CTX_set_session_cache_mode(c->ssl, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(c->ssl, SSL_OP_NO_TICKET);
    *out = c;
    return RSP_OK;
}

rsp_err rsp_tls_client_psk_new(const char *identity, const uint8_t *key, size_t keylen, const char *ciphers,
                               rsp_tls_ctx **out)
{
    rsp_tls_ctx *c;
    rsp_err e;
    if (!identity || !key || !out || keylen == 0 || keylen > sizeof(c->psk_key) ||
        strlen(identity) >= sizeof(c->psk_identity))
        return RSP_ERR_INVAL;
    if ((e = ctx_alloc(0, KIND_PSK_CLIENT, &c)) != RSP_OK)
        return e;
    memcpy(c->psk_identity, identity, strlen(identity) + 1);
    memcpy(c->psk_key, key, keylen);
    c->psk_keylen = keylen;
    if ((e = psk_common(c, ciphers)) != RSP_OK) {
        rsp_tls_ctx_free(c);
        return e;
    }
    SSL_CTX_set_psk_client_callback(c->ssl, psk_client_cb);
    *out = c;
    return RSP_OK;
}

void rsp_tls_ctx_free(rsp_tls_ctx *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ssl);
    rsp_wipe(c->psk_key, sizeof(c->psk_key));
    free(c);
}

void *rsp_tls_ctx_ssl_ctx(rsp_tls_ctx *c) { return c ? c->ssl : NULL; }

/* ---- transports ---- */

static rsp_err tcp_server_bev(struct event_base *base, int fd, rsp_tls_ctx *tls, struct bufferevent **out)
{
    (void)tls;
    *out = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    return *out ? RSP_OK : RSP_ERR_NOMEM;
}

static rsp_err tcp_client_bev(struct event_base *base, rsp_tls_ctx *tls, const char *host, struct bufferevent **out)
{
    (void)tls;
    (void)host;
    *out = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    return *out ? RSP_OK : RSP_ERR_NOMEM;
}

static void tcp_peer(struct bufferevent *bev, rsp_net_peer *out)
{
    (void)bev;
    out->kind = RSP_NET_PEER_NONE;
}

static rsp_err tls_server_bev(struct event_base *base, int fd, rsp_tls_ctx *tls, struct bufferevent **out)
{
    SSL *ssl = SSL_new(tls->ssl);
    if (!ssl)
        return tls_fail("SSL_new");
    /* On failure libevent frees neither ssl nor fd; on success both belong to the bufferevent. */
    *out = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!*out) {
        SSL_free(ssl);
        return RSP_ERR_NOMEM;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(*out, 1);
    return RSP_OK;
}

static rsp_err tls_client_bev(struct event_base *base, rsp_tls_ctx *tls, const char *host, struct bufferevent **out)
{
    SSL *ssl = SSL_new(tls->ssl);
    if (!ssl)
        return tls_fail("SSL_new");
    if (tls->kind == KIND_MTLS_CLIENT && host) {
        unsigned char ip[16];
        int is_ip = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
        X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
        int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : SSL_set1_host(ssl, host);
        if (!is_ip)
            SSL_set_tlsext_host_name(ssl, host);
        if (ok != 1) {
            SSL_free(ssl);
            return tls_fail("peer name");
        }
    }
    *out = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
                                          BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
    if (!*out) {
        SSL_free(ssl);
        return RSP_ERR_NOMEM;
    }
    bufferevent_openssl_set_allow_dirty_shutdown(*out, 1);
    return RSP_OK;
}

static void cert_peer(struct bufferevent *bev, rsp_net_peer *out)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    X509 *x = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    out->kind = RSP_NET_PEER_NONE;
    if (!x || SSL_get_verify_result(ssl) != X509_V_OK)
        return;
    X509_NAME *n = X509_get_subject_name(x);
    BIO *b = BIO_new(BIO_s_mem());
    if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0) {
        int l = BIO_read(b, out->subject, (int)sizeof(out->subject) - 1);
        out->subject[l > 0 ? l : 0] = 0;
    }
    BIO_free(b);
    int idx = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
    if (idx >= 0) {
        ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, idx));
        int l = ASN1_STRING_length(s);
        if (l > 0 && (size_t)l < sizeof(out->cn)) {
            memcpy(out->cn, ASN1_STRING_get0_data(s), (size_t)l);
            out->cn[l] = 0;
        }
    }
    out->kind = RSP_NET_PEER_CERT;
}

static void psk_peer(struct bufferevent *bev, rsp_net_peer *out)
{
    SSL *ssl = bufferevent_openssl_get_ssl(bev);
    const char *id = ssl ? SSL_get_psk_identity(ssl) : NULL;
    out->kind = RSP_NET_PEER_NONE;
    if (!id || strlen(id) >= sizeof(out->psk_identity))
        return;
    memcpy(out->psk_identity, id, strlen(id) + 1);
    out->kind = RSP_NET_PEER_PSK;
}

static const rsp_net_transport transport_tcp = {"tcp", tcp_server_bev, tcp_client_bev, tcp_peer};
static const rsp_net_transport transport_mtls = {"mtls", tls_server_bev, tls_client_bev, cert_peer};
static const rsp_net_transport transport_psk = {"psk", tls_server_bev, tls_client_bev, psk_peer};

const rsp_net_transport *rsp_tls_transport(const rsp_tls_ctx *tls)
{
    if (!tls)
        return &transport_tcp;
    return tls->kind == KIND_PSK_SERVER || tls->kind == KIND_PSK_CLIENT ? &transport_psk : &transport_mtls;
}
