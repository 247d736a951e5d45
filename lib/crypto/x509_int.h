/* Internals shared by the X.509 issuers of lib/crypto (x509.c for the SGP.02 TLS side, pki22.c for
 * SGP.22). */
#ifndef RSP_X509_INT_H
#define RSP_X509_INT_H

#include <stdint.h>

#include <openssl/x509.h>

/* Adds the extension nid given in OpenSSL's configuration text form ("critical,CA:TRUE"), with issuer
 * and subject in context for the key identifiers. 1 on success. */
int rsp_x509__add_ext(X509 *cert, X509 *issuer, int nid, const char *value);

/* Seconds since 1970-01-01 UTC of an ASN1_TIME (UTCTime or GeneralizedTime; timegm is not POSIX). 1 on
 * success, 0 when t is NULL or does not decode. */
int rsp_x509__time_seconds(const ASN1_TIME *t, int64_t *out);

#endif
