/* X.509 certificates for the TLS side of the PKI (mutual TLS on ES interfaces). The GP 7F21 codec
 * (gpcert.h) covers the card-facing certificates; this covers what OpenSSL's TLS stack consumes. */
#ifndef RSP_X509_H
#define RSP_X509_H

#include "rsp/crypto.h"
#include "rsp/err.h"

typedef struct rsp_x509_template {
    const char *common_name;   /* CN */
    const char *organisation;  /* O, e.g. the role ("SM-DP") */
    long serial;
    int days;                  /* validity from now */
    int is_ca;                 /* basicConstraints CA:TRUE, keyCertSign */
    const char *const *dns;    /* subjectAltName DNS entries, NULL-terminated; may be NULL */
    const char *const *ips;    /* subjectAltName IP entries, NULL-terminated; may be NULL */
} rsp_x509_template;

/* Issues a certificate for subject_key. With issuer_cert_pem == NULL it is self-signed by issuer_key.
 * Writes the PEM to out_path (mode 0644). */
rsp_err rsp_x509_issue(const rsp_x509_template *t, const rsp_eckey *subject_key, const rsp_eckey *issuer_key,
                       const char *issuer_cert_pem, const char *out_path);
/* Reads the subject one-line form ("CN=..., O=...") of a PEM certificate into out. */
rsp_err rsp_x509_subject(const char *pem_path, char *out, size_t outlen);
/* Verifies that cert_pem is signed by ca_pem (OpenSSL chain verification, purpose any). */
rsp_err rsp_x509_verify(const char *cert_pem, const char *ca_pem);

#endif
