/* EIS files (see eum_eis.h). The canonical form and the EumSignature are the es layer's
 * (lib/es/eis_sign.c), shared with the SM-SR's ES1.RegisterEIS. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eum_eis.h"

/* Created, not replaced: the EIS folder is new with its fleet, so there is nothing to rename over (a
 * temp file and a rename per file doubled the file system work). No fsync either: a fleet writes two
 * files per card and the caller syncs the file system once at the end; a make cut short is remade. */
static rsp_err write_new(const char *path, const rsp_buf *b)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return errno == EEXIST ? RSP_ERR_EXISTS : RSP_ERR_IO;
    size_t off = 0;
    rsp_err e = RSP_OK;
    while (off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            e = RSP_ERR_IO;
            break;
        }
        off += (size_t)w;
    }
    if (close(fd) != 0)
        e = RSP_ERR_IO;
    if (e)
        unlink(path);
    return e;
}

rsp_err rsp_eum_eis_write(const rsp_es_msg *msg, const char *dir, rsp_buf *xml, rsp_buf *json, rsp_diag *diag)
{
    return rsp_eum_eis_write_dsig(msg, dir, NULL, xml, json, NULL, diag);
}

rsp_err rsp_eum_eis_write_dsig(const rsp_es_msg *msg, const char *dir, const rsp_eckey *dsig, rsp_buf *xml,
                               rsp_buf *json, rsp_buf *scratch, rsp_diag *diag)
{
    const rsp_es_eis_req *r = msg->body;
    char p[4096];
    rsp_buf_reset(xml);
    rsp_buf_reset(json);
    rsp_err e = rsp_es_soap_encode(msg, dsig ? scratch : xml, diag);
    if (!e && dsig) {
        e = rsp_es_eis_dsig_sign(scratch->data, scratch->len, dsig, NULL, 0, xml, diag);
        rsp_buf_reset(scratch);
    }
    e = e ? e : rsp_es_json_encode(msg, json, diag);
    e = e ? e : rsp_buf_append_byte(json, '\n');
    if (!e) {
        snprintf(p, sizeof(p), "%s/%s.xml", dir, r->eis->signed_info->eid);
        if ((e = write_new(p, xml)) != RSP_OK)
            rsp_diag_set(diag, e, "cannot write %s", p);
    }
    if (!e) {
        snprintf(p, sizeof(p), "%s/%s.json", dir, r->eis->signed_info->eid);
        if ((e = write_new(p, json)) != RSP_OK)
            rsp_diag_set(diag, e, "cannot write %s", p);
    }
    return e;
}

rsp_err rsp_eum_eis_load(const char *path, rsp_es_msg *out, rsp_diag *diag)
{
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_eum_eis_load_raw(path, out, &b, diag);
    rsp_buf_free(&b);
    return e;
}

rsp_err rsp_eum_eis_load_raw(const char *path, rsp_es_msg *out, rsp_buf *raw, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_buf_reset(raw);
    rsp_buf b = *raw;
    rsp_err e = rsp_cli_read_file(path, &b);
    *raw = b;
    if (e)
        return rsp_diag_set(diag, e, "cannot read %s", path);
    size_t i = 0;
    while (i < b.len && (b.data[i] == ' ' || b.data[i] == '\n' || b.data[i] == '\r' || b.data[i] == '\t'))
        i++;
    if (i < b.len && b.data[i] == '{') {
        const rsp_es_func *f = rsp_es_func_find(RSP_ES1, "RegisterEIS", strlen("RegisterEIS"));
        e = f ? rsp_es_json_decode(f, false, b.data, b.len, NULL, out, diag) : RSP_ERR_INTERNAL;
    } else {
        e = rsp_es_soap_decode(b.data, b.len, NULL, NULL, out, diag);
    }
    if (!e && (!out->func || strcmp(out->func->name, "RegisterEIS") || out->func->iface != RSP_ES1 || out->response))
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is not an ES1 RegisterEIS request", path);
    if (!e && (!out->body || !((rsp_es_eis_req *)out->body)->eis))
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s carries no Eis", path);
    return e;
}
