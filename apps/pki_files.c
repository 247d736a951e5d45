/* Readers of the folders `rsp ci` writes (see pki_files.h and apps/cmd_ci.c for the layout). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "pki_files.h"

static void join(char *out, size_t n, const char *dir, const char *file)
{
    snprintf(out, n, "%s/%s", dir, file);
}

static rsp_err read_id(const char *path, const char *key, char *out, size_t n, rsp_diag *diag)
{
    json_error_t jerr;
    json_t *m = json_load_file(path, 0, &jerr);
    if (!m)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: %s", path, jerr.text);
    const char *id = json_string_value(json_object_get(m, key));
    rsp_err e = id && strlen(id) < n ? RSP_OK : rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: no \"%s\"", path, key);
    if (!e)
        snprintf(out, n, "%s", id);
    json_decref(m);
    return e;
}

/* Reads and decodes a certificate, checks its role and (with ci) its signature. */
static rsp_err load_gpcert(const char *path, int expect_role, const rsp_pki_role *ci, rsp_pki_role *out,
                           rsp_diag *diag)
{
    rsp_err e = rsp_cli_read_file(path, &out->gpcert_der);
    if (e)
        return rsp_diag_set(diag, e, "cannot read %s", path);
    if ((e = rsp_gpcert_decode(out->gpcert_der.data, out->gpcert_der.len, &out->gpcert, diag)) != RSP_OK)
        return e;
    if (expect_role >= 0 && out->gpcert.role != expect_role)
        return rsp_diag_set(diag, RSP_ERR_DENIED, "%s: certificate role %d, expected %d", path, out->gpcert.role,
                            expect_role);
    if (ci && rsp_gpcert_verify(&out->gpcert, ci->key) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_VERIFY, "%s: not signed by the CI '%s'", path, ci->id);
    return RSP_OK;
}

rsp_err rsp_pki_load_ci(const char *dir, rsp_pki_role *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    char p[4096];
    join(p, sizeof(p), dir, "ci.json");
    rsp_err e = read_id(p, "id", out->id, sizeof(out->id), diag);
    join(p, sizeof(p), dir, "ci.gpcert");
    e = e ? e : load_gpcert(p, RSP_GPCERT_ROLE_CI, NULL, out, diag);
    e = e ? e : rsp_gpcert_public_key(&out->gpcert, RSP_CURVE_P256, &out->key);
    if (!e && rsp_gpcert_verify(&out->gpcert, out->key) != RSP_OK)
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "%s: the CI root certificate does not verify with its own key", p);
    if (e)
        rsp_pki_role_free(out);
    return e;
}

rsp_err rsp_pki_load_issued(const char *dir, int expect_role, const rsp_pki_role *ci, rsp_pki_role *out,
                            rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    char p[4096];
    join(p, sizeof(p), dir, "info.json");
    rsp_err e = read_id(p, "id", out->id, sizeof(out->id), diag);
    join(p, sizeof(p), dir, "gpcert");
    e = e ? e : load_gpcert(p, expect_role, ci, out, diag);
    join(p, sizeof(p), dir, "key.pem");
    if (!e && (rsp_ec_load_pem(p, &out->key) != RSP_OK || !rsp_ec_has_private(out->key)))
        e = rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no private key at %s", p);
    if (!e) {
        /* The key must be the certificate's: a folder mixed up by hand is refused here, not later. */
        uint8_t a[RSP_EC_POINT_LEN];
        e = rsp_ec_public_point(out->key, a);
        if (!e && (out->gpcert.point.len != sizeof(a) || memcmp(a, out->gpcert.point.p, sizeof(a))))
            e = rsp_diag_set(diag, RSP_ERR_VERIFY, "%s does not hold the key of %s/gpcert", p, dir);
    }
    if (e)
        rsp_pki_role_free(out);
    return e;
}

rsp_err rsp_pki_load_cert(const char *path, int expect_role, const rsp_pki_role *ci, rsp_pki_role *out,
                          rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    char p[4096];
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        join(p, sizeof(p), path, "gpcert");
        path = p;
    }
    rsp_err e = load_gpcert(path, expect_role, ci, out, diag);
    e = e ? e : rsp_gpcert_public_key(&out->gpcert, ci ? rsp_ec_curve(ci->key) : RSP_CURVE_P256, &out->key);
    if (!e)
        snprintf(out->id, sizeof(out->id), "%.*s", (int)out->gpcert.subject.len, (const char *)out->gpcert.subject.p);
    if (e)
        rsp_pki_role_free(out);
    return e;
}

void rsp_pki_role_free(rsp_pki_role *r)
{
    rsp_ec_free(r->key);
    rsp_buf_free(&r->gpcert_der);
    memset(r, 0, sizeof(*r));
}
