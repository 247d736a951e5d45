/* Internals shared by the SGP.22 certificate files of lib/crypto: decoding and the role profiles
 * (pki22_check.c), used by the chain check (pki22_verify.c). */
#ifndef RSP_PKI22_INT_H
#define RSP_PKI22_INT_H

#include <openssl/x509.h>

#include "rsp/pki22.h"

/* d2i over exactly len bytes: trailing bytes are refused, so a certificate is always one TLV. NULL
 * (diag set, RSP_ERR_FORMAT) when it is not one. The caller frees the result. */
X509 *rsp_pki22__decode(const uint8_t *der, size_t len, rsp_diag *diag);
/* The fields of a decoded certificate (RSP_ERR_FORMAT: a malformed extension, a key on no curve of ours). */
rsp_err rsp_pki22__fill_info(X509 *x, rsp_pki22_info *o, rsp_diag *diag);
/* The profile of SGP22.md §Certificates that a certificate of this role must meet beyond what OpenSSL
 * checks: NULL when it does, else why not. */
const char *rsp_pki22__profile_fault(const rsp_pki22_info *c, rsp_pki22_role role);
/* The eUICC's EID lies in one of its EUM's permitted prefixes (with the prefix's O, when it names one). */
bool rsp_pki22__eid_permitted(const rsp_pki22_info *eum, const rsp_pki22_info *leaf);

#endif
