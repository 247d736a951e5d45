/* SM-DP inventory: pools of one checked package and many identities; a download takes one identity
 * (the store's concurrency-safe allocation) and gets the package personalised with it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rsp/crypto.h"
#include "rsp/ids.h"
#include "rsp/saip.h"
#include "smdp_int.h"

/* Identity blob in the store row (secret): version 1, then IMSI, Ki, OPc each length-prefixed. */
#define ID_BLOB_V1 0x01

bool rsp_smdp__name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > RSP_SMDP_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static rsp_err pool_names(const char *op, const char *type, char key[RSP_STORE_ID_LEN], rsp_diag *diag)
{
    if (!rsp_smdp__name_ok(op) || !rsp_smdp__name_ok(type))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "operator and profile type must be 1..%d of [A-Za-z0-9._-]",
                            RSP_SMDP_NAME_MAX);
    snprintf(key, RSP_STORE_ID_LEN, "%s/%s", op, type);
    return RSP_OK;
}

static void package_path(const rsp_smdp_inv *inv, const char *op, const char *type, char *out, size_t n)
{
    if (snprintf(out, n, "%s/packages/%s/%s.der", inv->dir, op, type) >= (int)n)
        out[0] = 0; /* a path too long for the buffer names nothing: its open fails, never a cut path */
}

static rsp_err mkdir_p(const char *path)
{
    char tmp[RSP_SMDP_PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return RSP_ERR_LENGTH;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return RSP_ERR_IO;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return RSP_ERR_IO;
    return RSP_OK;
}

rsp_err rsp_smdp__read_file(const char *path, rsp_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? RSP_ERR_NOT_FOUND : RSP_ERR_IO;
    rsp_buf_reset(out);
    uint8_t chunk[8192];
    size_t r;
    rsp_err e = RSP_OK;
    while (e == RSP_OK && (r = fread(chunk, 1, sizeof chunk, f)) > 0)
        e = rsp_buf_append(out, chunk, r);
    if (e == RSP_OK && ferror(f))
        e = RSP_ERR_IO;
    fclose(f);
    return e;
}

rsp_err rsp_smdp__file_size(const char *path, size_t *len)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno == ENOENT ? RSP_ERR_NOT_FOUND : RSP_ERR_IO;
    if (!S_ISREG(st.st_mode))
        return RSP_ERR_IO;
    *len = (size_t)st.st_size;
    return RSP_OK;
}

/* temp + fsync + rename + fsync of the folder: a reader never sees half a file, and the rename
 * itself survives a power cut. */
rsp_err rsp_smdp__write_atomic(const char *path, const void *p, size_t len)
{
    char tmp[RSP_SMDP_PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600); /* journals, replies, sealed keys: ours only */
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return RSP_ERR_IO;
    }
    bool ok = fwrite(p, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return RSP_ERR_IO;
    }
    return rsp_smdp__fsync_dir_of(path);
}

rsp_err rsp_smdp__fsync_dir_of(const char *path)
{
    char dir[RSP_SMDP_PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return RSP_ERR_IO;
    bool ok = fsync(dfd) == 0;
    close(dfd);
    return ok ? RSP_OK : RSP_ERR_IO;
}

rsp_err rsp_smdp_inv_open(const char *dir, const char *store_uri, rsp_diag *diag, rsp_smdp_inv **out)
{
    if (!dir || !out)
        return RSP_ERR_INVAL;
    *out = NULL;
    rsp_smdp_inv *inv = calloc(1, sizeof *inv);
    if (!inv)
        return RSP_ERR_NOMEM;
    if (snprintf(inv->dir, sizeof inv->dir, "%s", dir) >= (int)sizeof inv->dir - 64) {
        free(inv);
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "directory path too long");
    }
    char pk[RSP_SMDP_PATH_MAX];
    snprintf(pk, sizeof pk, "%s/packages", dir);
    rsp_err e = mkdir_p(pk);
    if (e != RSP_OK) {
        free(inv);
        return rsp_diag_set(diag, e, "cannot create %s", pk);
    }
    char uri[RSP_SMDP_PATH_MAX + 16];
    if (!store_uri) {
        snprintf(uri, sizeof uri, "sqlite:%s/smdp.db", dir);
        store_uri = uri;
    }
    if ((e = rsp_store_open(store_uri, diag, &inv->s)) != RSP_OK) {
        free(inv);
        return e;
    }
    if ((e = rsp_smdp__dl_import(inv, diag)) != RSP_OK) { /* an SM-DP dir from before the store's journal */
        rsp_smdp_inv_close(inv);
        return e;
    }
    *out = inv;
    return RSP_OK;
}

void rsp_smdp_inv_close(rsp_smdp_inv *inv)
{
    if (!inv)
        return;
    rsp_store_close(inv->s);
    free(inv);
}

rsp_store *rsp_smdp_inv_store(rsp_smdp_inv *inv) { return inv ? inv->s : NULL; }

/* A fixed identity that any package able to carry one accepts: used to prove it at import. */
static void trial_identity(rsp_smdp_identity *id)
{
    memset(id, 0, sizeof *id);
    memcpy(id->iccid, "8900000000000000000", 19);
    id->iccid[19] = (char)('0' + rsp_luhn_digit(id->iccid, 19));
    memcpy(id->imsi, "001010000000000", 15);
    id->ki_len = id->opc_len = 16;
}

static rsp_err personalise(const uint8_t *der, size_t len, const rsp_smdp_identity *id, rsp_buf *out,
                           rsp_diag *diag)
{
    rsp_saip_package pkg;
    rsp_err e = rsp_saip_parse(der, len, 0, &pkg, diag);
    if (e != RSP_OK)
        return e;
    const rsp_saip_perso ps = {id->iccid, id->imsi, id->ki, id->ki_len, id->opc, id->opc_len};
    e = rsp_saip_personalize(&pkg, &ps, out, diag);
    rsp_saip_package_free(&pkg);
    return e;
}

rsp_err rsp_smdp_import_package(rsp_smdp_inv *inv, const char *op, const char *type, const uint8_t *der,
                                size_t len, rsp_diag *diag)
{
    char key[RSP_STORE_ID_LEN], path[RSP_SMDP_PATH_MAX];
    if (!inv || !der)
        return RSP_ERR_INVAL;
    rsp_err e = pool_names(op, type, key, diag);
    if (e != RSP_OK)
        return e;
    rsp_smdp_identity id;
    rsp_buf tmp = RSP_BUF_INIT;
    trial_identity(&id);
    e = personalise(der, len, &id, &tmp, diag);
    rsp_buf_free_secret(&tmp);
    if (e != RSP_OK)
        return e;
    snprintf(path, sizeof path, "%s/packages/%s", inv->dir, op);
    if ((e = mkdir_p(path)) != RSP_OK)
        return rsp_diag_set(diag, e, "cannot create %s", path);
    package_path(inv, op, type, path, sizeof path);
    if ((e = rsp_smdp__write_atomic(path, der, len)) != RSP_OK)
        return rsp_diag_set(diag, e, "cannot write %s", path);
    return RSP_OK;
}

static rsp_err blob_encode(const rsp_smdp_identity *id, rsp_buf *out)
{
    size_t il = strlen(id->imsi);
    rsp_err e = rsp_buf_append_byte(out, ID_BLOB_V1);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(out, (uint8_t)il);
    if (e == RSP_OK)
        e = rsp_buf_append(out, id->imsi, il);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(out, (uint8_t)id->ki_len);
    if (e == RSP_OK)
        e = rsp_buf_append(out, id->ki, id->ki_len);
    if (e == RSP_OK)
        e = rsp_buf_append_byte(out, (uint8_t)id->opc_len);
    if (e == RSP_OK)
        e = rsp_buf_append(out, id->opc, id->opc_len);
    return e;
}

static rsp_err blob_decode(const rsp_store_inv *row, rsp_smdp_identity *id)
{
    const uint8_t *p = row->package.data;
    size_t n = row->package.len, o = 2;
    memset(id, 0, sizeof *id);
    if (n < 2 || p[0] != ID_BLOB_V1 || p[1] > 15 || o + p[1] + 1 > n)
        return RSP_ERR_FORMAT;
    memcpy(id->imsi, p + o, p[1]);
    o += p[1];
    id->ki_len = p[o++];
    if (id->ki_len > RSP_SMDP_KEY_MAX || o + id->ki_len + 1 > n)
        return RSP_ERR_FORMAT;
    memcpy(id->ki, p + o, id->ki_len);
    o += id->ki_len;
    id->opc_len = p[o++];
    if (id->opc_len > RSP_SMDP_KEY_MAX || o + id->opc_len != n)
        return RSP_ERR_FORMAT;
    memcpy(id->opc, p + o, id->opc_len);
    memcpy(id->iccid, row->iccid, sizeof id->iccid);
    return RSP_OK;
}

rsp_err rsp_smdp_import_identities(rsp_smdp_inv *inv, const char *op, const char *type,
                                   const rsp_smdp_identity *ids, size_t n, const size_t *lines,
                                   rsp_diag *diag)
{
    char key[RSP_STORE_ID_LEN], path[RSP_SMDP_PATH_MAX];
    if (!inv || (!ids && n))
        return RSP_ERR_INVAL;
    rsp_err e = pool_names(op, type, key, diag);
    if (e != RSP_OK)
        return e;
    package_path(inv, op, type, path, sizeof path);
    struct stat st;
    if (stat(path, &st) != 0)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no package imported for %s", key);
    /* Check all first, so a file with one known ICCID adds nothing. */
    for (size_t i = 0; i < n; i++) {
        rsp_store_inv row;
        memset(&row, 0, sizeof row);
        e = rsp_iccid_check(ids[i].iccid);
        if (e == RSP_OK)
            e = rsp_store_inv_get(inv->s, ids[i].iccid, &row);
        rsp_store_inv_clear(&row);
        if (e == RSP_OK || (e != RSP_ERR_NOT_FOUND)) {
            rsp_err r = e == RSP_OK ? RSP_ERR_EXISTS : e;
            const char *why = e == RSP_OK ? "is already in the inventory" : rsp_err_msg(e);
            if (lines)
                return rsp_diag_set(diag, r, "line %zu: ICCID %s %s", lines[i], ids[i].iccid, why);
            return rsp_diag_set(diag, r, "identity %zu: ICCID %s %s", i + 1, ids[i].iccid, why);
        }
    }
    for (size_t i = 0; i < n; i++) {
        rsp_store_inv row;
        memset(&row, 0, sizeof row);
        memcpy(row.iccid, ids[i].iccid, sizeof row.iccid);
        memcpy(row.profile_type, key, sizeof row.profile_type);
        snprintf(row.package_path, sizeof row.package_path, "%s", key);
        e = blob_encode(&ids[i], &row.package);
        if (e == RSP_OK)
            e = rsp_store_inv_add(inv->s, &row);
        rsp_store_inv_clear(&row);
        if (e != RSP_OK)
            return rsp_diag_set(diag, e, "adding ICCID %s (%zu of %zu added before it)", ids[i].iccid, i, n);
    }
    return RSP_OK;
}

rsp_err rsp_smdp_generate_identities(rsp_smdp_inv *inv, const char *op, const char *type,
                                     const char *iccid_prefix, const char *imsi_prefix, uint64_t first,
                                     size_t n, rsp_diag *diag)
{
    size_t ip = iccid_prefix ? strlen(iccid_prefix) : 0, mp = imsi_prefix ? strlen(imsi_prefix) : 0;
    if (ip < 2 || ip > 17 || mp < 5 || mp > 14)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "ICCID prefix 2..17 digits, IMSI prefix 5..14 digits");
    rsp_smdp_identity *ids = calloc(n ? n : 1, sizeof *ids);
    if (!ids)
        return RSP_ERR_NOMEM;
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < n && e == RSP_OK; i++) {
        rsp_smdp_identity *id = &ids[i];
        snprintf(id->iccid, sizeof id->iccid, "%s%0*llu", iccid_prefix, (int)(19 - ip),
                 (unsigned long long)(first + i));
        snprintf(id->imsi, sizeof id->imsi, "%s%0*llu", imsi_prefix, (int)(15 - mp),
                 (unsigned long long)(first + i));
        if (strlen(id->iccid) != 19 || strlen(id->imsi) != 15 || rsp_luhn_digit(id->iccid, 19) < 0) {
            e = rsp_diag_set(diag, RSP_ERR_RANGE, "serial %llu does not fit the prefixes",
                             (unsigned long long)(first + i));
            break;
        }
        id->iccid[19] = (char)('0' + rsp_luhn_digit(id->iccid, 19));
        id->iccid[20] = 0;
        id->ki_len = id->opc_len = 16;
        if ((e = rsp_random(id->ki, 16)) == RSP_OK)
            e = rsp_random(id->opc, 16);
    }
    if (e == RSP_OK)
        e = rsp_smdp_import_identities(inv, op, type, ids, n, NULL, diag);
    rsp_smdp_identities_free(ids, n ? n : 1);
    return e;
}

void rsp_smdp_taken_clear(rsp_smdp_taken *t)
{
    if (!t)
        return;
    rsp_buf_free_secret(&t->package);
    rsp_smdp_identity_wipe(&t->id);
}

/* Personalises the package of the row's pool with the row's identity. */
static rsp_err build(rsp_smdp_inv *inv, const rsp_store_inv *row, rsp_smdp_taken *out, rsp_diag *diag)
{
    char path[RSP_SMDP_PATH_MAX];
    const char *slash = strchr(row->profile_type, '/');
    if (!slash)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "inventory row %s has no pool", row->iccid);
    snprintf(path, sizeof path, "%s/packages/%.*s/%s.der", inv->dir, (int)(slash - row->profile_type),
             row->profile_type, slash + 1);
    rsp_err e = blob_decode(row, &out->id);
    if (e != RSP_OK)
        return rsp_diag_set(diag, e, "identity record of %s is malformed", row->iccid);
    rsp_buf der = RSP_BUF_INIT;
    if ((e = rsp_smdp__read_file(path, &der)) != RSP_OK) {
        rsp_buf_free(&der);
        return rsp_diag_set(diag, e, "cannot read the package of %s", row->profile_type);
    }
    e = personalise(der.data, der.len, &out->id, &out->package, diag);
    rsp_buf_free(&der);
    return e;
}

rsp_err rsp_smdp_take(rsp_smdp_inv *inv, const char *op, const char *type, const char *eid, int64_t now,
                      rsp_smdp_taken *out, rsp_diag *diag)
{
    char key[RSP_STORE_ID_LEN];
    if (!inv || !eid || !out)
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof *out);
    rsp_err e = pool_names(op, type, key, diag);
    if (e != RSP_OK)
        return e;
    rsp_store_inv row;
    memset(&row, 0, sizeof row);
    if ((e = rsp_store_inv_allocate(inv->s, key, eid, now, &row)) != RSP_OK)
        return e == RSP_ERR_END ? rsp_diag_set(diag, e, "no identity available in %s", key) : e;
    e = build(inv, &row, out, diag);
    if (e != RSP_OK) {
        /* Retired, not released: the same failure would hit the next download taking it. */
        rsp_store_inv_transition(inv->s, row.iccid, RSP_STORE_INV_ALLOCATED, RSP_STORE_INV_RETIRED, NULL, now);
        rsp_smdp_taken_clear(out);
    }
    rsp_store_inv_clear(&row);
    return e;
}

rsp_err rsp_smdp__take_dl(rsp_smdp_inv *inv, rsp_smdp_dl *d, int64_t now, rsp_smdp_taken *out, rsp_diag *diag)
{
    char key[RSP_STORE_ID_LEN];
    if (!inv || !d || !out)
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof *out);
    rsp_err e = pool_names(d->op, d->type, key, diag);
    if (e != RSP_OK)
        return e;
    /* The cursor as it must be once the identity is ours: at create-isdp, the ISD-P (maybe) asked
     * for, so a crash from here on deletes it and spends the identity. */
    rsp_smdp_dl next = *d;
    next.step = RSP_SMDP_DL_CREATE_ISDP;
    next.isdp_requested = true;
    rsp_store_smdp_dl row;
    memset(&row, 0, sizeof row);
    snprintf(row.id, sizeof row.id, "%s", next.id);
    snprintf(row.op, sizeof row.op, "%s", next.op);
    snprintf(row.type, sizeof row.type, "%s", next.type);
    memcpy(row.eid, next.eid, sizeof row.eid);
    row.enable = next.enable;
    row.isdp = true;
    row.step = RSP_SMDP_DL_CREATE_ISDP;
    row.live = true;
    rsp_store_inv inv_row;
    memset(&inv_row, 0, sizeof inv_row);
    if ((e = rsp_store_inv_allocate_dl(inv->s, key, d->eid, now, &row, &inv_row)) != RSP_OK)
        return e == RSP_ERR_END ? rsp_diag_set(diag, e, "no identity available in %s", key) : e;
    memcpy(d->iccid, inv_row.iccid, sizeof d->iccid);
    d->isdp_requested = true;
    e = build(inv, &inv_row, out, diag);
    if (e != RSP_OK) {
        /* Retired, not released: the same failure would hit the next download taking it. No
         * CreateISDP was sent: the failed cursor says so. */
        rsp_store_inv_transition(inv->s, inv_row.iccid, RSP_STORE_INV_ALLOCATED, RSP_STORE_INV_RETIRED, NULL, now);
        d->isdp_requested = false;
        rsp_smdp_taken_clear(out);
    }
    rsp_store_inv_clear(&inv_row);
    return e;
}

rsp_err rsp_smdp_retake(rsp_smdp_inv *inv, const char *iccid, rsp_smdp_taken *out, rsp_diag *diag)
{
    if (!inv || !iccid || !out)
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof *out);
    rsp_store_inv row;
    memset(&row, 0, sizeof row);
    rsp_err e = rsp_store_inv_get(inv->s, iccid, &row);
    if (e == RSP_OK)
        e = build(inv, &row, out, diag);
    if (e != RSP_OK)
        rsp_smdp_taken_clear(out);
    rsp_store_inv_clear(&row);
    return e;
}

rsp_err rsp_smdp_imsi_of(rsp_smdp_inv *inv, const char *iccid, char imsi[16])
{
    if (!inv || !iccid || !imsi)
        return RSP_ERR_INVAL;
    rsp_store_inv row;
    rsp_smdp_identity id;
    memset(&row, 0, sizeof row);
    memset(&id, 0, sizeof id);
    rsp_err e = rsp_store_inv_get(inv->s, iccid, &row);
    e = e ? e : blob_decode(&row, &id);
    if (e == RSP_OK)
        memcpy(imsi, id.imsi, sizeof id.imsi);
    rsp_smdp_identity_wipe(&id);
    rsp_store_inv_clear(&row);
    return e;
}

rsp_err rsp_smdp_mark(rsp_smdp_inv *inv, const char *iccid, rsp_smdp_state from, rsp_smdp_state to, int64_t now)
{
    if (!inv)
        return RSP_ERR_INVAL;
    return rsp_store_inv_transition(inv->s, iccid, (rsp_store_inv_state)from, (rsp_store_inv_state)to, NULL, now);
}

static int cmp_pool(const void *a, const void *b)
{
    const rsp_smdp_pool *x = a, *y = b;
    int c = strcmp(x->op, y->op);
    return c ? c : strcmp(x->type, y->type);
}

static rsp_err pool_fill(rsp_smdp_inv *inv, rsp_smdp_pool *p)
{
    char key[RSP_STORE_ID_LEN], path[RSP_SMDP_PATH_MAX];
    snprintf(key, sizeof key, "%s/%s", p->op, p->type);
    for (int s = 0; s < RSP_SMDP_STATES; s++) {
        rsp_err e = rsp_store_inv_count(inv->s, key, (rsp_store_inv_state)s, &p->count[s]);
        if (e != RSP_OK)
            return e;
    }
    package_path(inv, p->op, p->type, path, sizeof path);
    rsp_buf der = RSP_BUF_INIT;
    rsp_err e = rsp_smdp__read_file(path, &der);
    rsp_saip_package pkg;
    if (e == RSP_OK && rsp_saip_parse(der.data, der.len, RSP_SAIP_SHALLOW, &pkg, NULL) == RSP_OK) {
        memcpy(p->header_iccid, pkg.header.iccid, sizeof p->header_iccid);
        rsp_saip_package_free(&pkg);
    }
    p->package_len = der.len;
    rsp_buf_free(&der);
    return e;
}

rsp_err rsp_smdp_inventory(rsp_smdp_inv *inv, rsp_smdp_pool **out, size_t *n)
{
    char path[RSP_SMDP_PATH_MAX];
    if (!inv || !out || !n)
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    snprintf(path, sizeof path, "%s/packages", inv->dir);
    DIR *d = opendir(path);
    if (!d)
        return RSP_ERR_IO;
    rsp_smdp_pool *pools = NULL;
    size_t cnt = 0, cap = 0;
    rsp_err e = RSP_OK;
    struct dirent *de;
    while (e == RSP_OK && (de = readdir(d)) != NULL) {
        if (!rsp_smdp__name_ok(de->d_name))
            continue;
        char sub[RSP_SMDP_PATH_MAX];
        if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub)
            continue;
        DIR *d2 = opendir(sub);
        if (!d2)
            continue;
        struct dirent *f;
        while (e == RSP_OK && (f = readdir(d2)) != NULL) {
            size_t l = strlen(f->d_name);
            if (l < 5 || strcmp(f->d_name + l - 4, ".der") != 0)
                continue;
            char type[RSP_SMDP_NAME_MAX + 1];
            if (l - 4 > RSP_SMDP_NAME_MAX)
                continue;
            memcpy(type, f->d_name, l - 4);
            type[l - 4] = 0;
            if (!rsp_smdp__name_ok(type))
                continue;
            if (cnt == cap) {
                size_t nc = cap ? cap * 2 : 8;
                rsp_smdp_pool *np = realloc(pools, nc * sizeof *np);
                if (!np) {
                    e = RSP_ERR_NOMEM;
                    break;
                }
                pools = np;
                cap = nc;
            }
            rsp_smdp_pool *p = &pools[cnt++];
            memset(p, 0, sizeof *p);
            memcpy(p->op, de->d_name, strlen(de->d_name) + 1);   /* name_ok: at most 60 */
            memcpy(p->type, type, l - 3);
            e = pool_fill(inv, p);
        }
        closedir(d2);
    }
    closedir(d);
    if (e != RSP_OK) {
        free(pools);
        return e;
    }
    if (cnt)
        qsort(pools, cnt, sizeof *pools, cmp_pool);
    *out = pools;
    *n = cnt;
    return RSP_OK;
}
