/* A CRL file that daemons and the card consult at every certificate check. Re-reading it when its
 * inode, size or mtime changes is the whole reload story: `rsp ci revoke` replaces the file by a
 * rename, so the next check sees the new CRL without a signal. Freshness is checked at every use, so a
 * CRL that goes stale while loaded is refused from then on; the signature once per file version and CI
 * key (the key is the caller's: one fleet may hold cards of several CIs), remembered by the key's
 * public point. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rsp/crl.h"
#include "rsp/gpcert.h"

struct rsp_crl_file {
    char *path;
    bool optional;
    pthread_mutex_t mu;
    bool seen;              /* stat fields below describe what crl / fault came from */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    rsp_crl *crl;           /* NULL with fault set: the file did not parse */
    bool verified;          /* crl's signature verified under the key whose point is verified_by */
    uint8_t verified_by[RSP_EC_POINT_LEN];
    rsp_err fault;
    char fault_msg[240];
};

rsp_err rsp_crl_file_new(const char *path, bool optional, rsp_crl_file **out)
{
    if (!path || !out)
        return RSP_ERR_INVAL;
    rsp_crl_file *f = calloc(1, sizeof(*f));
    if (!f || !(f->path = strdup(path)) || pthread_mutex_init(&f->mu, NULL) != 0) {
        if (f)
            free(f->path);
        free(f);
        return RSP_ERR_NOMEM;
    }
    f->optional = optional;
    *out = f;
    return RSP_OK;
}

void rsp_crl_file_free(rsp_crl_file *f)
{
    if (!f)
        return;
    rsp_crl_free(f->crl);
    pthread_mutex_destroy(&f->mu);
    free(f->path);
    free(f);
}

const char *rsp_crl_file_path(const rsp_crl_file *f)
{
    return f ? f->path : "";
}

static rsp_err read_all(const char *path, rsp_buf *out)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return errno == ENOENT ? RSP_ERR_NOT_FOUND : RSP_ERR_IO;
    rsp_err e = RSP_OK;
    uint8_t chunk[4096];
    size_t n;
    while (!e && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        e = out->len + n > RSP_CRL_MAX_LEN ? RSP_ERR_LENGTH : rsp_buf_append(out, chunk, n);
    if (!e && ferror(fp))
        e = RSP_ERR_IO;
    fclose(fp);
    return e;
}

/* Under f->mu: brings f->crl / f->fault in line with the file. RSP_ERR_NOT_FOUND when absent. */
static rsp_err refresh(rsp_crl_file *f)
{
    struct stat st;
    if (stat(f->path, &st) != 0) {
        rsp_crl_free(f->crl);
        f->crl = NULL;
        f->seen = false;
        return errno == ENOENT ? RSP_ERR_NOT_FOUND : RSP_ERR_IO;
    }
    if (f->seen && st.st_dev == f->dev && st.st_ino == f->ino && st.st_size == f->size &&
        st.st_mtim.tv_sec == f->mtime.tv_sec && st.st_mtim.tv_nsec == f->mtime.tv_nsec)
        return RSP_OK;
    rsp_crl_free(f->crl);
    f->crl = NULL;
    f->verified = false;
    rsp_buf b = RSP_BUF_INIT;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = read_all(f->path, &b);
    if (e == RSP_ERR_NOT_FOUND) {
        rsp_buf_free(&b);
        f->seen = false;
        return e;
    }
    if (!e)
        e = rsp_crl_parse(b.data, b.len, &f->crl, &d);
    rsp_buf_free(&b);
    if (e == RSP_ERR_NOMEM)
        return e; /* not cached: the next check tries again */
    f->fault = e;
    snprintf(f->fault_msg, sizeof(f->fault_msg), "%s", d.msg[0] ? d.msg : rsp_err_msg(e));
    f->seen = true;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    return RSP_OK;
}

rsp_err rsp_crl_file_load(rsp_crl_file *f, rsp_diag *diag)
{
    if (!f)
        return RSP_ERR_INVAL;
    pthread_mutex_lock(&f->mu);
    rsp_err e = refresh(f);
    if (e == RSP_ERR_NOT_FOUND && f->optional)
        e = RSP_OK;
    else if (e)
        e = rsp_diag_set(diag, e, "CRL %s: %s", f->path, e == RSP_ERR_NOT_FOUND ? "no such file" : rsp_err_msg(e));
    else if (f->fault)
        e = rsp_diag_set(diag, f->fault, "CRL %s: %s", f->path, f->fault_msg);
    pthread_mutex_unlock(&f->mu);
    return e;
}

rsp_err rsp_crl_file_check(rsp_crl_file *f, const rsp_eckey *ci, const uint8_t *serial, size_t len, int64_t now,
                           rsp_diag *diag)
{
    if (!f || !ci || !serial || !len)
        return RSP_ERR_INVAL;
    pthread_mutex_lock(&f->mu);
    rsp_err e = refresh(f);
    if (e == RSP_ERR_NOT_FOUND && f->optional) {
        e = RSP_OK;
        goto out;
    }
    if (e) {
        e = rsp_diag_set(diag, e, "CRL %s: %s", f->path, e == RSP_ERR_NOT_FOUND ? "no such file" : rsp_err_msg(e));
        goto out;
    }
    if (f->fault) {
        e = rsp_diag_set(diag, f->fault, "CRL %s: %s", f->path, f->fault_msg);
        goto out;
    }
    uint8_t pt[RSP_EC_POINT_LEN];
    if ((e = rsp_ec_public_point(ci, pt)) != RSP_OK)
        goto out;
    if (f->verified && memcmp(pt, f->verified_by, sizeof(pt)) == 0)
        e = rsp_crl_verify_time(f->crl, now, diag);
    else if ((e = rsp_crl_verify(f->crl, ci, now, diag)) == RSP_OK) {
        f->verified = true;
        memcpy(f->verified_by, pt, sizeof(pt));
    }
    if (e)
        goto out;
    const rsp_crl_entry *en = rsp_crl_lookup(f->crl, serial, len);
    if (en) {
        char hex[2 * RSP_CRL_SERIAL_MAX + 1];
        rsp_hex_encode(en->serial, en->serial_len, hex, sizeof(hex));
        const char *why = rsp_crl_reason_name(en->reason);
        e = rsp_diag_set(diag, RSP_ERR_DENIED, "certificate serial %s is revoked (%s) by CRL #%llu", hex,
                         why ? why : "no reason given", (unsigned long long)rsp_crl_number(f->crl));
    }
out:
    pthread_mutex_unlock(&f->mu);
    return e;
}

rsp_err rsp_crl_file_check_cert(rsp_crl_file *f, const rsp_eckey *ci, const uint8_t *cert, size_t len, int64_t now,
                                rsp_diag *diag)
{
    if (!f || !ci || !cert)
        return RSP_ERR_INVAL;
    rsp_gpcert c;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_gpcert_decode(cert, len, &c, &d);
    if (e)
        return rsp_diag_set(diag, e, "certificate: %s", d.msg);
    return rsp_crl_file_check(f, ci, c.serial.p, c.serial.len, now, diag);
}
