/* EIS signing, canonical form and files (see eum_eis.h). The canonical form is computed by walking
 * the es layer's own descriptor of EumSignedInfo, so both bindings and the signer agree by
 * construction and a member added to the table is covered without code here. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "eum_eis.h"

/* The descriptor of EumSignedInfo, found through the public catalogue (RegisterEIS/Eis/EumSignedInfo). */
static const rsp_es_struct *field_sub(const rsp_es_struct *sd, const char *xml)
{
    for (size_t i = 0; sd && i < sd->nfields; i++)
        if (!strcmp(sd->fields[i].xml, xml))
            return sd->fields[i].sub;
    return NULL;
}

static const rsp_es_struct *signed_info_desc(void)
{
    const rsp_es_func *f = rsp_es_func_find(RSP_ES1, "RegisterEIS", strlen("RegisterEIS"));
    return f ? field_sub(field_sub(f->req, "Eis"), "EumSignedInfo") : NULL;
}

static rsp_err member(rsp_buf *out, const char *name, const void *v, size_t len)
{
    size_t nl = strlen(name);
    if (nl > 255 || len > UINT32_MAX)
        return RSP_ERR_RANGE;
    rsp_err e = rsp_buf_append_byte(out, (uint8_t)nl);
    e = e ? e : rsp_buf_append(out, name, nl);
    e = e ? e : rsp_buf_append_u32(out, (uint32_t)len);
    return e ? e : rsp_buf_append(out, v, len);
}

static rsp_err canon_struct(const rsp_es_struct *sd, const uint8_t *base, rsp_buf *out);

/* One value of type t at p (a member or a list item). */
static rsp_err canon_value(const rsp_es_field *f, uint8_t t, const uint8_t *p, rsp_buf *out)
{
    char num[32];
    switch (t) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME: {
        const char *s = *(char *const *)p;
        return s ? member(out, f->xml, s, strlen(s)) : RSP_ERR_INVAL;
    }
    case RSP_ES_T_INT:
        snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)p);
        return member(out, f->xml, num, strlen(num));
    case RSP_ES_T_BOOL: {
        const char *s = *(const bool *)p ? "true" : "false";
        return member(out, f->xml, s, strlen(s));
    }
    case RSP_ES_T_ENUM: {
        int v = *(const int *)p;
        if (!f->en || v < 0 || (size_t)v >= f->en->n)
            return RSP_ERR_RANGE;
        return member(out, f->xml, f->en->values[v], strlen(f->en->values[v]));
    }
    case RSP_ES_T_HEX: {
        const rsp_buf *b = (const rsp_buf *)p;
        return member(out, f->xml, b->data, b->len);
    }
    case RSP_ES_T_STRUCT:
    case RSP_ES_T_INLINE: {
        const uint8_t *sub = t == RSP_ES_T_STRUCT ? *(const uint8_t *const *)p : p;
        if (!sub)
            return RSP_ERR_INVAL;
        rsp_buf inner = RSP_BUF_INIT;
        rsp_err e = canon_struct(f->sub, sub, &inner);
        e = e ? e : member(out, f->xml, inner.data, inner.len);
        rsp_buf_free(&inner);
        return e;
    }
    default:
        return RSP_ERR_UNSUPPORTED;
    }
}

static size_t item_size(const rsp_es_field *f)
{
    switch (f->item) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME: return sizeof(char *);
    case RSP_ES_T_INT: return sizeof(int64_t);
    case RSP_ES_T_BOOL: return sizeof(bool);
    case RSP_ES_T_ENUM: return sizeof(int);
    case RSP_ES_T_HEX: return sizeof(rsp_buf);
    case RSP_ES_T_STRUCT: return f->sub ? f->sub->size : 0;
    default: return 0;
    }
}

static bool present(const rsp_es_field *f, const uint8_t *p, const uint8_t *base)
{
    if (f->has_off != RSP_ES_NO_HAS)
        return *(const bool *)(base + f->has_off);
    if (!f->optional)
        return true;
    switch (f->type) {
    case RSP_ES_T_STR:
    case RSP_ES_T_TIME:
    case RSP_ES_T_STRUCT: return *(void *const *)p != NULL;
    case RSP_ES_T_HEX: return ((const rsp_buf *)p)->len > 0;
    default: return true;
    }
}

static rsp_err canon_struct(const rsp_es_struct *sd, const uint8_t *base, rsp_buf *out)
{
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < sd->nfields && !e; i++) {
        const rsp_es_field *f = &sd->fields[i];
        const uint8_t *p = base + f->off;
        if (f->type == RSP_ES_T_LIST) {
            const rsp_es_list *l = (const rsp_es_list *)p;
            size_t sz = item_size(f);
            /* Struct items are stored by value: the item itself is the struct, not a pointer. */
            uint8_t t = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
            for (size_t k = 0; k < l->n && !e; k++)
                e = sz ? canon_value(f, t, (const uint8_t *)l->v + k * sz, out) : RSP_ERR_UNSUPPORTED;
        } else if (present(f, p, base)) {
            e = canon_value(f, f->type, p, out);
        }
    }
    return e;
}

rsp_err rsp_eum_eis_canonical(const rsp_es_eum_signed_info *si, rsp_buf *out)
{
    const rsp_es_struct *sd = signed_info_desc();
    if (!sd || !si)
        return RSP_ERR_INTERNAL;
    return canon_struct(sd, (const uint8_t *)si, out);
}

rsp_err rsp_eum_eis_sign(rsp_es_eis *eis, const rsp_eckey *eum)
{
    rsp_buf c = RSP_BUF_INIT;
    uint8_t sig[RSP_EC_SIG_LEN];
    rsp_err e = rsp_eum_eis_canonical(eis->signed_info, &c);
    e = e ? e : rsp_ecdsa_sign(eum, c.data, c.len, sig);
    rsp_buf_reset(&eis->eum_signature);
    e = e ? e : rsp_buf_append(&eis->eum_signature, "\x5F\x37\x40", 3);
    e = e ? e : rsp_buf_append(&eis->eum_signature, sig, sizeof(sig));
    rsp_buf_free(&c);
    return e;
}

rsp_err rsp_eum_eis_verify(const rsp_es_eis *eis, const rsp_eckey *eum, rsp_diag *diag)
{
    const rsp_buf *s = &eis->eum_signature;
    if (s->len != 3 + RSP_EC_SIG_LEN || memcmp(s->data, "\x5F\x37\x40", 3))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "EumSignature is not 5F37 40 r||s (%zu bytes)", s->len);
    rsp_buf c = RSP_BUF_INIT;
    rsp_err e = rsp_eum_eis_canonical(eis->signed_info, &c);
    if (e)
        rsp_diag_set(diag, e, "EumSignedInfo has no canonical form");
    e = e ? e : rsp_ecdsa_verify(eum, c.data, c.len, s->data + 3, RSP_EC_SIG_LEN);
    if (e == RSP_ERR_VERIFY)
        rsp_diag_set(diag, e, "EumSignature does not verify with the EUM key");
    rsp_buf_free(&c);
    return e;
}

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
