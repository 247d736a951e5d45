/* Durable results of ES2.DownloadProfile. A download outlives its HTTP exchange (a restart resumes
 * it), so the ReplyTo of each accepted request is written to <dir>/replies/<download>.<tag>.rp before
 * the request is answered 202. While the call is held, its own answer goes out (through the svc's
 * outbox) and the file is removed; a file whose download has ended with no call left to answer (the
 * daemon stopped or crashed in between) is turned here into the result message, stored in the
 * durable outbox under a key naming the file (so a second pass adds nothing), then removed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_int.h"
#include "rsp/crypto.h"
#include "rsp/ids.h"
#include "rsp/log.h"

enum { FMT_JSON = 0, FMT_SOAP11 = 11, FMT_SOAP12 = 12 };

static void reply_path(const smdp_d *d, const char *name, char *out, size_t n)
{
    if (snprintf(out, n, "%s/replies/%s", d->inv->dir, name) >= (int)n)
        out[0] = 0; /* a path too long for the buffer names nothing: its open fails, never a cut path */
}

rsp_err smdp_reply_record(smdp_d *d, const char *dl_id, const rsp_es_msg *m, char name[SMDP_REPLY_NAME])
{
    name[0] = 0;
    const char *to = m->wsa.reply_to, *mid = m->wsa.message_id ? m->wsa.message_id : "";
    if (!to || strncmp(to, "https://", 8) != 0 || strlen(to) > 1000 || strlen(mid) > 1000 || strpbrk(to, "\r\n") ||
        strpbrk(mid, "\r\n"))
        return RSP_OK; /* no usable ReplyTo: the answer is the HTTP response or nothing */
    uint8_t h[32];
    char tag[17], path[RSP_SMDP_PATH_MAX], text[2200];
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_buf_append(&b, to, strlen(to) + 1);
    e = e ? e : rsp_buf_append(&b, mid, strlen(mid));
    e = e ? e : rsp_sha256(b.data, b.len, h);
    rsp_buf_free(&b);
    if (e != RSP_OK)
        return e;
    rsp_hex_encode(h, 8, tag, sizeof tag);
    snprintf(name, SMDP_REPLY_NAME, "%s.%s.rp", dl_id, tag);
    snprintf(path, sizeof path, "%s/replies", d->inv->dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return RSP_ERR_IO;
    reply_path(d, name, path, sizeof path);
    int fmt = m->soap_version == 0 ? FMT_JSON : m->soap_version == 11 ? FMT_SOAP11 : FMT_SOAP12;
    int n = snprintf(text, sizeof text, "dl=%s\nto=%s\nmid=%s\nfmt=%d\ndialect=%d\n", dl_id, to, mid, fmt,
                     (int)m->dialect);
    if (n < 0 || n >= (int)sizeof text)
        return RSP_ERR_LENGTH;
    return rsp_smdp__write_atomic(path, text, (size_t)n);
}

void smdp_reply_done(smdp_d *d, const char *name)
{
    char path[RSP_SMDP_PATH_MAX];
    if (!name || !name[0])
        return;
    reply_path(d, name, path, sizeof path);
    unlink(path);
}

static char *new_message_id(void)
{
    uint8_t b[16];
    char *s = malloc(46);
    if (!s || rsp_random(b, sizeof b) != RSP_OK) {
        free(s);
        return NULL;
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    snprintf(s, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return s;
}

/* The DownloadProfileResponse of dl to the request recorded in text, into the outbox. */
static rsp_err send_result(smdp_d *d, const char *name, const char *text, const rsp_smdp_dl *dl)
{
    char to[1100], mid[1100], v[16], action[256], ctype[64];
    rsp_smdp__kv_field(text, "to", to, sizeof to);
    rsp_smdp__kv_field(text, "mid", mid, sizeof mid);
    rsp_smdp__kv_field(text, "fmt", v, sizeof v);
    int fmt = atoi(v);
    rsp_smdp__kv_field(text, "dialect", v, sizeof v);
    const rsp_es_func *f = rsp_es_func_find(RSP_ES2, "DownloadProfile", strlen("DownloadProfile"));
    rsp_svc_outbox *ob = rsp_svc_outbox_of(d->svc);
    if (!f || !ob || !to[0])
        return RSP_ERR_INTERNAL;
    rsp_es_msg msg;
    memset(&msg, 0, sizeof msg);
    rsp_err e = rsp_es_msg_init(&msg, f, true);
    if (e != RSP_OK)
        return e;
    msg.dialect = (rsp_es_dialect)atoi(v);
    msg.soap_version = fmt;
    rsp_es_data_resp *r = msg.body;
    char sub[16], rea[16], m[200];
    if (dl->step == RSP_SMDP_DL_DONE) {
        r->hdr.status.status = strstr(dl->outcome, "enable failed") ? RSP_ES_EXECUTED_WITH_WARNING
                                                                    : RSP_ES_EXECUTED_SUCCESS;
        if (!(r->iccid = strdup(dl->iccid)))
            e = RSP_ERR_NOMEM;
    } else {
        smdp_dl_status(dl, sub, rea);
        snprintf(m, sizeof m, "download %s: %s", dl->id, dl->outcome[0] ? dl->outcome : "failed");
        r->hdr.status.status = RSP_ES_FAILED;
        rsp_es_status_code *c = calloc(1, sizeof *c);
        r->hdr.status.code = c;
        if (!c || !(c->subject = strdup(sub)) || !(c->reason = strdup(rea)) || !(c->message = strdup(m)))
            e = RSP_ERR_NOMEM;
    }
    char ts[21];
    rsp_es_datetime_now(ts);
    r->hdr.processing_start = strdup(ts);
    r->hdr.processing_end = strdup(ts);
    e = e ? e : rsp_es_action_format(f, true, action, sizeof action);
    msg.wsa.to = strdup(to);
    msg.wsa.relates_to = mid[0] ? strdup(mid) : NULL;
    msg.wsa.message_id = new_message_id();
    msg.wsa.action = strdup(action);
    if (e == RSP_OK && (!msg.wsa.to || !msg.wsa.message_id || !msg.wsa.action || !r->hdr.processing_start ||
                        !r->hdr.processing_end))
        e = RSP_ERR_NOMEM;
    rsp_buf body = RSP_BUF_INIT;
    rsp_diag dg;
    rsp_diag_clear(&dg);
    if (e == RSP_OK)
        e = fmt == FMT_JSON ? rsp_es_json_encode(&msg, &body, &dg) : rsp_es_soap_encode(&msg, &body, &dg);
    snprintf(ctype, sizeof ctype, "%s", fmt == FMT_JSON ? "application/json"
                                        : fmt == FMT_SOAP11 ? RSP_ES_SOAP11_CTYPE
                                                            : RSP_ES_SOAP12_CTYPE);
    char key[8 + 256]; /* "smdp:" and a directory entry's name */
    snprintf(key, sizeof key, "smdp:%s", name); /* a second pass over the same file adds nothing */
    if (e == RSP_OK)
        e = rsp_svc_outbox_put(ob, key, 0, to, ctype, action, body.data, body.len);
    rsp_buf_free(&body);
    rsp_es_msg_free(&msg);
    return e;
}

static bool held(const smdp_d *d, const char *name)
{
    for (size_t i = 0; i < d->n_w; i++)
        if (strcmp(d->w[i].reply, name) == 0)
            return true;
    return false;
}

void smdp_reply_flush(smdp_d *d, const char *dl_id)
{
    char path[RSP_SMDP_PATH_MAX];
    snprintf(path, sizeof path, "%s/replies", d->inv->dir);
    DIR *dir = opendir(path);
    if (!dir)
        return;
    struct dirent *de;
    size_t idl = dl_id ? strlen(dl_id) : 0;
    while ((de = readdir(dir)) != NULL) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        if (l < 4 || l >= SMDP_REPLY_NAME || strcmp(nm + l - 3, ".rp") != 0 || held(d, nm) ||
            (dl_id && (strncmp(nm, dl_id, idl) != 0 || nm[idl] != '.')))
            continue;
        rsp_buf b = RSP_BUF_INIT;
        reply_path(d, nm, path, sizeof path);
        rsp_err e = rsp_smdp__read_file(path, &b);
        e = e ? e : rsp_buf_insert(&b, 0, "\n", 1);
        e = e ? e : rsp_buf_append_byte(&b, 0);
        char id[RSP_SMDP_NAME_MAX + 1];
        rsp_smdp_dl dl;
        if (e == RSP_OK) {
            rsp_smdp__kv_field((const char *)b.data, "dl", id, sizeof id);
            e = rsp_smdp_dl_load(d->inv, id, &dl);
        }
        if (e == RSP_OK && dl.step != RSP_SMDP_DL_DONE && dl.step != RSP_SMDP_DL_FAILED) {
            rsp_buf_free(&b);
            continue; /* still running: its end sends it */
        }
        if (e == RSP_OK)
            e = send_result(d, nm, (const char *)b.data, &dl);
        rsp_buf_free(&b);
        if (e == RSP_OK || e == RSP_ERR_NOT_FOUND || e == RSP_ERR_FORMAT || e == RSP_ERR_INVAL) {
            RSP_LOGN(RSP_SS_SMDP, e == RSP_OK ? "result to the Operator's ReplyTo queued" : "reply record dropped",
                     "file=%s err=%s", nm, rsp_err_name(e));
            unlink(path); /* queued durably, or never sendable */
        }
    }
    closedir(dir);
}
