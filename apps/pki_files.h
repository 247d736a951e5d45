/* The file conventions of `rsp ci` (apps/cmd_ci.c), read by the tools that use its PKI: the CI folder
 * (ci.key.pem, ci.pub.pem, ci.gpcert, ci.crt.pem, ci.json) and an issued folder (key.pem, pub.pem,
 * gpcert, tls.crt.pem, ca.crt.pem, info.json). */
#ifndef RSP_APPS_PKI_FILES_H
#define RSP_APPS_PKI_FILES_H

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"
#include "rsp/gpcert.h"

/* One role as `rsp ci issue` left it. Owns its buffers and keys: rsp_pki_role_free. */
typedef struct rsp_pki_role {
    char id[128];           /* info.json "id" (the CI's own id for a CI folder) */
    rsp_eckey *key;         /* private when the folder holds it (NULL public key otherwise) */
    rsp_buf gpcert_der;     /* the 7F21 certificate */
    rsp_gpcert gpcert;      /* decoded, pointing into gpcert_der */
} rsp_pki_role;

/* Loads the CI's public side: ci.gpcert (self-signed, verified here) and ci.json's id. The key is the
 * certificate's public key; the CI private key is not read. */
rsp_err rsp_pki_load_ci(const char *dir, rsp_pki_role *out, rsp_diag *diag);
/* Loads an issued folder: key.pem (private), gpcert and info.json. expect_role is the 73/C8 value the
 * certificate must carry (-1: any). When ci is given, the certificate must verify with the CI key. */
rsp_err rsp_pki_load_issued(const char *dir, int expect_role, const rsp_pki_role *ci, rsp_pki_role *out,
                            rsp_diag *diag);
/* A lone 7F21 certificate file (or folder holding `gpcert`), verified with the CI key when ci is given. */
rsp_err rsp_pki_load_cert(const char *path, int expect_role, const rsp_pki_role *ci, rsp_pki_role *out,
                          rsp_diag *diag);
void rsp_pki_role_free(rsp_pki_role *r);

#endif
