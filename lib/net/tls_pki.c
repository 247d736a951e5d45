/* A throwaway PKI for tests and benchmarks: EC P-256 CA and leaves built with the X509 API. Real
 * deployments use certificates from `rsp ci`; this only saves tests from shelling out. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "rsp/tls.h"

static rsp_err write_pem(const char *path, int is_key, void *obj)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, is_key ? 0600 : 0644);
    if (fd < 0)
        return RSP_ERR_IO;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return RSP_ERR_IO;
    }
    int ok = is_key ? PEM_write_PrivateKey(f, obj, NULL, NULL, 0, NULL, NULL) : PEM_write_X509(f, obj);
    return fclose(f) == 0 && ok == 1 ? RSP_OK : RSP_ERR_IO;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    int ok = ext && X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* Builds and signs a certificate for key, issued by (issuer, issuer_key), or self-signed. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int ca, int server)
{
    X509 *x = X509_new();
    uint8_t serial[8];
    if (!x)
        return NULL;
    BIGNUM *bn = BN_new();
    int ok = bn && RAND_bytes(serial, sizeof(serial)) == 1 && BN_bin2bn(serial, sizeof(serial), bn) &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) && X509_set_version(x, 2) == 1 &&
             X509_gmtime_adj(X509_getm_notBefore(x), -60) && X509_gmtime_adj(X509_getm_notAfter(x), 86400) &&
             X509_set_pubkey(x, key) == 1;
    BN_free(bn);
    X509_NAME *n = X509_get_subject_name(x);
    ok = ok && X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"OpenRSP test", -1, -1, 0) &&
         X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) &&
         X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n) == 1;
    X509 *iss = issuer ? issuer : x;
    if (ca)
        ok = ok && add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE") &&
             add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             add_ext(x, iss, NID_subject_key_identifier, "hash");
    else
        ok = ok && add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE") &&
             add_ext(x, iss, NID_key_usage, "critical,digitalSignature") &&
             add_ext(x, iss, NID_ext_key_usage,
                     server == 2 ? "serverAuth,clientAuth" : server ? "serverAuth" : "clientAuth") &&
             (!server || add_ext(x, iss, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1")) &&
             add_ext(x, iss, NID_authority_key_identifier, "keyid");
    ok = ok && X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

rsp_err rsp_tls_gen_ca(const char *cn, const char *cert_file, const char *key_file)
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = k ? make_cert(k, cn, NULL, NULL, 1, 0) : NULL;
    rsp_err e = x ? write_pem(cert_file, 0, x) : RSP_ERR_CRYPTO;
    if (!e)
        e = write_pem(key_file, 1, k);
    X509_free(x);
    EVP_PKEY_free(k);
    return e;
}

rsp_err rsp_tls_gen_leaf(const char *ca_cert_file, const char *ca_key_file, const char *cn, int server,
                         const char *cert_file, const char *key_file)
{
    rsp_err e = RSP_ERR_CRYPTO;
    X509 *ca = NULL, *x = NULL;
    EVP_PKEY *cakey = NULL, *k = NULL;
    FILE *f = fopen(ca_cert_file, "r");
    if (f) {
        ca = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if ((f = fopen(ca_key_file, "r")) != NULL) {
        cakey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (ca && cakey && (k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) != NULL &&
        (x = make_cert(k, cn, ca, cakey, 0, server)) != NULL) {
        e = write_pem(cert_file, 0, x);
        if (!e)
            e = write_pem(key_file, 1, k);
    } else if (!ca || !cakey) {
        e = RSP_ERR_IO;
    }
    X509_free(ca);
    X509_free(x);
    EVP_PKEY_free(cakey);
    EVP_PKEY_free(k);
    return e;
}
