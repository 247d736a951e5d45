/* Loading a consumer card's folder (es10.h, rsp_es10_card_load). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c22_int.h"
#include "rsp/ids.h"
#include "rsp/pki22.h"

/* the card's certificates, bounded as any certificate file (rsp_pki22_read_cert) */
static rsp_err read_file(const char *dir, const char *name, rsp_buf *out, rsp_diag *diag)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return rsp_pki22_read_cert(path, out, diag);
}

rsp_err c22_card_load(const char *dir, time_t now, const char *nvm_dir, rsp_es10_card **out, rsp_diag *diag)
{
    rsp_buf euicc = RSP_BUF_INIT, eum = RSP_BUF_INIT, ci[RSP_ES10_MAX_CI];
    rsp_eckey *sk = NULL;
    rsp_es10_card_config cfg = {.svn = {2, 2, 2}, .now = now, .nvm_dir = nvm_dir};
    char path[4096];
    snprintf(path, sizeof(path), "%s/sk_euicc.pem", dir);
    rsp_err e = rsp_ec_load_pem(path, &sk);
    if (e)
        rsp_diag_set(diag, e, "%s: no private key", path);
    e = e ? e : read_file(dir, "cert_euicc.der", &euicc, diag);
    e = e ? e : read_file(dir, "cert_eum.der", &eum, diag);
    size_t n = 0;
    for (; !e && n < RSP_ES10_MAX_CI; n++) {
        char name[32];
        snprintf(name, sizeof(name), "ci_%zu.der", n);
        rsp_buf_init(&ci[n]);
        if (read_file(dir, name, &ci[n], NULL) != RSP_OK) {
            rsp_buf_free(&ci[n]);
            break;
        }
        cfg.cis[n] = rsp_buf_view(&ci[n]);
    }
    cfg.n_ci = n;
    rsp_pki22_info info;
    e = e ? e : rsp_pki22_inspect(euicc.data, euicc.len, &info, diag);
    if (!e && !info.eid[0])
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: CERT.EUICC has no EID", dir);
    e = e ? e : rsp_eid_to_bytes(info.eid, cfg.eid);
    if (!e) {
        cfg.sk_euicc = sk;
        cfg.cert_euicc = rsp_buf_view(&euicc);
        cfg.cert_eum = rsp_buf_view(&eum);
        e = rsp_es10_card_new(&cfg, out, diag);
    }
    for (size_t i = 0; i < n; i++)
        rsp_buf_free(&ci[i]);
    rsp_buf_free(&euicc);
    rsp_buf_free(&eum);
    rsp_ec_free(sk);
    return e;
}

rsp_err rsp_es10_card_load(const char *dir, time_t now, rsp_es10_card **out, rsp_diag *diag)
{
    return c22_card_load(dir, now, NULL, out, diag);
}
