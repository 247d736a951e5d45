/* ES2.DownloadProfile as the SM-DP accepts it: the Operator is the one its TLS client certificate
 * names (never a field of the message), the pool is <operator>/<ProfileType>, and the download id is
 * derived from (operator, FunctionCallIdentifier), so a replayed request finds its first download
 * instead of starting a second one. */
#include <stdio.h>
#include <string.h>

#include "rsp/ids.h"
#include "smdp_int.h"

rsp_err rsp_smdp_es2_download(rsp_smdp_inv *inv, const char *operator_id, const rsp_es_download_req *req,
                              rsp_smdp_dl *out, bool *replayed, rsp_diag *diag)
{
    if (!inv || !req || !out || !replayed)
        return RSP_ERR_INVAL;
    *replayed = false;
    memset(out, 0, sizeof *out);
    if (!rsp_smdp__name_ok(operator_id))
        return rsp_diag_set(diag, RSP_ERR_DENIED, "the client certificate names no usable operator");
    const char *fcid = req->hdr.function_call_id;
    if (!fcid || !*fcid)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "FunctionCallIdentifier missing");
    if (!req->eid || rsp_eid_check(req->eid, NULL) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "Eid is not a valid EID");
    if (!req->profile_type || !rsp_smdp__name_ok(req->profile_type))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "ProfileType missing or not [A-Za-z0-9._-]{1,60}");
    if (req->iccid && *req->iccid)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "an ICCID chosen by the Operator is not supported: "
                                                       "the SM-DP takes one from the ProfileType's pool");
    char path[RSP_SMDP_PATH_MAX];
    if (snprintf(path, sizeof path, "%s/packages/%s/%s.der", inv->dir, operator_id, req->profile_type) >=
        (int)sizeof path)
        return RSP_ERR_LENGTH;
    size_t plen = 0;
    rsp_err e = rsp_smdp__file_size(path, &plen);
    if (e != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "operator %s has no ProfileType %s", operator_id,
                            req->profile_type);
    /* id = hex of SHA-256(operator NUL fcid)[0..12]: fixed length, path-safe, replay-stable. */
    uint8_t h[32];
    rsp_buf m = RSP_BUF_INIT;
    e = rsp_buf_append(&m, operator_id, strlen(operator_id) + 1);
    e = e ? e : rsp_buf_append(&m, fcid, strlen(fcid));
    e = e ? e : rsp_sha256(m.data, m.len, h);
    rsp_buf_free(&m);
    if (e != RSP_OK)
        return e;
    rsp_smdp_dl d;
    memset(&d, 0, sizeof d);
    memcpy(d.id, "es2-", 4);
    rsp_hex_encode(h, 12, d.id + 4, sizeof d.id - 4);
    if (rsp_smdp_dl_load(inv, d.id, out) == RSP_OK) {
        *replayed = true;
        return RSP_OK;
    }
    snprintf(d.op, sizeof d.op, "%s", operator_id);
    snprintf(d.type, sizeof d.type, "%s", req->profile_type);
    memcpy(d.eid, req->eid, 33);
    d.enable = req->enable_profile;
    if ((e = rsp_smdp_dl_start(inv, &d, diag)) != RSP_OK)
        return e;
    return rsp_smdp_dl_load(inv, d.id, out);
}
