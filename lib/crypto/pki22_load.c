/* A server's SGP.22 identity from its folder (rsp_pki22_read_cert, rsp_pki22_load_role): shared by
 * the SM-DP+ (dpauth/, dppb/), the SM-DS (dsauth/) and the consumer card's folder (es10_load.c), which
 * each read and checked the same files with their own copy of this code. */
#include <stdio.h>
#include <string.h>

#include "rsp/crypto.h"
#include "rsp/pki22.h"

/* a certificate is a few hundred bytes: a huge file is a mistake, not something to load into memory */
#define CERT_FILE_MAX (64 * 1024)

rsp_err rsp_pki22_read_cert(const char *path, rsp_buf *out, rsp_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "cannot read %s", path);
    uint8_t chunk[4096];
    size_t n;
    rsp_err e = RSP_OK;
    while (!e && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        e = out->len + n > CERT_FILE_MAX
                ? rsp_diag_set(diag, RSP_ERR_LENGTH, "%s is over %d bytes", path, CERT_FILE_MAX)
                : rsp_buf_append(out, chunk, n);
    if (!e && ferror(f))
        e = rsp_diag_set(diag, RSP_ERR_IO, "cannot read %s", path);
    fclose(f);
    return e;
}

rsp_err rsp_pki22_load_role(const char *dir, rsp_pki22_role role, const rsp_bytes *ci, rsp_eckey **sk, rsp_buf *cert,
                            rsp_pki22_info *info, rsp_diag *diag)
{
    char p[700];
    snprintf(p, sizeof(p), "%s/key.pem", dir);
    if (rsp_ec_load_pem(p, sk) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "cannot load the private key %s", p);
    snprintf(p, sizeof(p), "%s/cert.der", dir);
    rsp_err e = rsp_pki22_read_cert(p, cert, diag);
    if (e)
        return e;
    rsp_pki22_fault f = RSP_PKI22_OK;
    if (rsp_pki22_verify(cert->data, cert->len, role, NULL, 0, ci, 1, 0, info, NULL, &f, diag) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_VERIFY, "%s does not verify as %s under the CI (%s)", p,
                            rsp_pki22_role_name(role), rsp_pki22_fault_name(f));
    uint8_t pub[RSP_EC_POINT_LEN];
    if (rsp_ec_public_point(*sk, pub) != RSP_OK || memcmp(pub, info->pub, sizeof(pub)))
        return rsp_diag_set(diag, RSP_ERR_VERIFY, "%s: key.pem is not the key of cert.der", dir);
    return RSP_OK;
}
