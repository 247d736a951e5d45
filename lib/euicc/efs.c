/* The file system view of a profile package (mno_sd.h): what the RFM instances of the MNO-SD read and
 * update. The package stays the durable form: an update changes the view, and eu_efs_encode writes the
 * changed files back into a copy of the package, which the card commits with the SCP80 counter.
 * Components without a file descriptor (files the template creates with default attributes) are
 * not in the view: a SELECT of them answers 6A82. */
#include <stdlib.h>
#include <string.h>

#include "mno_sd.h"
#include "rsp/tlv.h"

#define EFS_TLV RSP_TLV_DER
#define EFS_MAX_SIZE 65535u

void eu_efs_free(eu_efs *fs)
{
    if (!fs)
        return;
    for (size_t i = 0; i < fs->n; i++)
        free(fs->f[i].data);
    free(fs->f);
    rsp_saip_package_free(&fs->pkg);
    memset(fs, 0, sizeof(*fs));
}

eu_ef *eu_efs_find(eu_efs *fs, uint8_t df, uint16_t fid)
{
    for (size_t i = 0; fs && i < fs->n; i++)
        if (fs->f[i].df == df && fs->f[i].fid == fid)
            return &fs->f[i];
    return NULL;
}

static size_t be_n(const uint8_t *p, size_t n)
{
    size_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Lays out one File (SEQUENCE OF CHOICE { doNotCreate 80, fileDescriptor A1, fillFileOffset 82,
 * fillFileContent 83 }) into ef; returns RSP_ERR_NOT_FOUND for a component that creates no EF of the
 * view (a DF, no descriptor, doNotCreate). */
static rsp_err lay_out(const rsp_tlv *file, uint8_t df, eu_ef *ef, uint8_t *adf_name, size_t *adf_name_len)
{
    rsp_tlv fd, t;
    if (rsp_tlv_find(file->value, file->len, 0x80, &t) == RSP_OK || /* doNotCreate */
        rsp_tlv_find(file->value, file->len, 0xA1, &fd) != RSP_OK)
        return RSP_ERR_NOT_FOUND;
    if (rsp_tlv_find(fd.value, fd.len, 0x84, &t) == RSP_OK) { /* a DF (ADF) with a DF name */
        if (df == EU_DF_ADF && t.len <= 16 && !*adf_name_len)
            memcpy(adf_name, t.value, t.len), *adf_name_len = t.len;
        return RSP_ERR_NOT_FOUND;
    }
    if (rsp_tlv_find(fd.value, fd.len, 0x83, &t) != RSP_OK || t.len != 2)
        return RSP_ERR_NOT_FOUND;
    memset(ef, 0, sizeof(*ef));
    ef->df = df;
    ef->fid = rsp_be16(t.value);
    ef->kind = EU_EF_TRANSPARENT;
    if (rsp_tlv_find(fd.value, fd.len, 0x82, &t) == RSP_OK && t.len >= 1) {
        if ((t.value[0] & 0x38) == 0x38)
            return RSP_ERR_NOT_FOUND; /* a DF */
        ef->kind = t.value[0] & 0x07;
        if (ef->kind != EU_EF_TRANSPARENT && ef->kind != EU_EF_LINEAR && ef->kind != EU_EF_CYCLIC)
            return RSP_ERR_FORMAT;
        if (ef->kind != EU_EF_TRANSPARENT) {
            if (t.len < 4 || rsp_be16(t.value + 2) == 0)
                return RSP_ERR_FORMAT;
            ef->rec_len = rsp_be16(t.value + 2);
        }
    }
    bool sized = false;
    if (rsp_tlv_find(fd.value, fd.len, 0x80, &t) == RSP_OK) {
        if (t.len < 1 || t.len > 2)
            return RSP_ERR_FORMAT;
        ef->size = be_n(t.value, t.len);
        sized = true;
    }
    /* Without efFileSize the file is as long as what is written into it. */
    rsp_tlv_reader r;
    rsp_err e;
    size_t pos = 0, end = 0;
    rsp_tlv_reader_init(&r, file->value, file->len, EFS_TLV);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (t.tag == 0x82) {
            if (t.len < 1 || t.len > 3)
                return RSP_ERR_FORMAT;
            pos += be_n(t.value, t.len);
        } else if (t.tag == 0x83) {
            pos += t.len;
            end = pos > end ? pos : end;
        }
        if (pos > EFS_MAX_SIZE)
            return RSP_ERR_FORMAT;
    }
    if (e != RSP_ERR_END)
        return e;
    if (!sized)
        ef->size = end;
    if (end > ef->size || ef->size == 0 || (ef->rec_len && ef->size % ef->rec_len))
        return RSP_ERR_FORMAT;
    if (!(ef->data = malloc(ef->size)))
        return RSP_ERR_NOMEM;
    /* Fill: fillPattern (C1: the pattern, its last byte repeated) or repeatPattern (C2: repeated
     * whole), in proprietaryEFInfo; default FF. */
    memset(ef->data, 0xFF, ef->size);
    rsp_tlv prop, pat;
    if (rsp_tlv_find(fd.value, fd.len, 0xA5, &prop) == RSP_OK) {
        if (rsp_tlv_find(prop.value, prop.len, 0xC1, &pat) == RSP_OK && pat.len) {
            for (size_t i = 0; i < ef->size; i++)
                ef->data[i] = pat.value[i < pat.len ? i : pat.len - 1];
        } else if (rsp_tlv_find(prop.value, prop.len, 0xC2, &pat) == RSP_OK && pat.len) {
            for (size_t i = 0; i < ef->size; i++)
                ef->data[i] = pat.value[i % pat.len];
        }
    }
    pos = 0;
    rsp_tlv_reader_init(&r, file->value, file->len, EFS_TLV);
    while (rsp_tlv_next(&r, &t) == RSP_OK) {
        if (t.tag == 0x82)
            pos += be_n(t.value, t.len);
        else if (t.tag == 0x83) {
            memcpy(ef->data + pos, t.value, t.len);
            pos += t.len;
        }
    }
    return RSP_OK;
}

static rsp_err add_files(eu_efs *fs, size_t pe_index, uint8_t df, rsp_diag *diag)
{
    const rsp_saip_pe *pe = &fs->pkg.pes[pe_index];
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    rsp_tlv_reader_init(&r, pe->value.p, pe->value.len, EFS_TLV);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (!t.constructed || t.tag == 0xA0) /* the PE header, templateID */
            continue;
        eu_ef ef;
        e = lay_out(&t, df, &ef, fs->adf_name, &fs->adf_name_len);
        if (e == RSP_ERR_NOT_FOUND || e == RSP_ERR_FORMAT)
            continue; /* no EF of the view, or one laid out in a way we do not follow: not reachable */
        if (e)
            return rsp_diag_set_at(diag, e, (size_t)(t.raw - fs->pkg.data.p), "element %zu (%s): file %X: %s",
                                   pe_index, pe->name, (unsigned)t.tag, rsp_err_msg(e));
        if (eu_efs_find(fs, df, ef.fid)) { /* the first definition wins, as the card created it */
            free(ef.data);
            continue;
        }
        eu_ef *nf = realloc(fs->f, (fs->n + 1) * sizeof(*nf));
        if (!nf) {
            free(ef.data);
            return RSP_ERR_NOMEM;
        }
        fs->f = nf;
        ef.pe = pe_index;
        ef.tag = t.tag;
        ef.off = (size_t)(t.raw - fs->pkg.data.p);
        fs->f[fs->n++] = ef;
    }
    return e == RSP_ERR_END ? RSP_OK : rsp_diag_set(diag, e, "element %zu (%s): %s", pe_index, pe->name, r.diag.msg);
}

rsp_err eu_efs_open(const uint8_t *pkg, size_t len, eu_efs *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    /* SHALLOW: the package was checked whole when it was installed (and after every write-back); what
     * the view reads of it is read here with bounds checks, so a full nested walk per packet buys nothing. */
    return rsp_saip_parse(pkg, len, RSP_SAIP_ALLOW_UNKNOWN | RSP_SAIP_SHALLOW, &out->pkg, diag);
}

rsp_err eu_efs_lay_out(eu_efs *fs, rsp_diag *diag)
{
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < fs->pkg.n_pes && !e; i++) {
        uint32_t tag = fs->pkg.pes[i].tag;
        if (tag == RSP_SAIP_TAG_MF)
            e = add_files(fs, i, EU_DF_MF, diag);
        else if (tag == RSP_SAIP_TAG_USIM || tag == 0xB4 /* opt-usim */)
            e = add_files(fs, i, EU_DF_ADF, diag);
    }
    if (e)
        eu_efs_free(fs);
    return e;
}

rsp_err eu_efs_load(const uint8_t *pkg, size_t len, eu_efs *out, rsp_diag *diag)
{
    rsp_err e = eu_efs_open(pkg, len, out, diag);
    return e ? e : eu_efs_lay_out(out, diag);
}

/* The changed file a component creates (by its offset: a package may repeat a component tag). */
static const eu_ef *dirty_file(const eu_efs *fs, size_t pe, size_t off)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->f[i].dirty && fs->f[i].pe == pe && fs->f[i].off == off)
            return &fs->f[i];
    return NULL;
}

static bool pe_dirty(const eu_efs *fs, size_t pe)
{
    for (size_t i = 0; i < fs->n; i++)
        if (fs->f[i].dirty && fs->f[i].pe == pe)
            return true;
    return false;
}

/* A changed file: its descriptor as it was, then its whole content in one fillFileContent. */
static rsp_err put_file(rsp_buf *out, const rsp_tlv *old, const eu_ef *ef)
{
    rsp_tlv fd;
    size_t mark;
    rsp_err e = rsp_tlv_find(old->value, old->len, 0xA1, &fd);
    e = e ? e : rsp_tlv_begin(out, old->tag, &mark);
    e = e ? e : rsp_buf_append(out, fd.raw, fd.raw_len);
    e = e ? e : rsp_tlv_put(out, 0x83, ef->data, ef->size);
    return e ? e : rsp_tlv_end(out, mark);
}

rsp_err eu_efs_encode(const eu_efs *fs, rsp_buf *out, rsp_diag *diag)
{
    rsp_buf_reset(out);
    rsp_err e = rsp_buf_reserve(out, fs->pkg.data.len + 512);
    for (size_t i = 0; i < fs->pkg.n_pes && !e; i++) {
        const rsp_saip_pe *pe = &fs->pkg.pes[i];
        if (!pe_dirty(fs, i)) {
            e = rsp_buf_append(out, pe->raw.p, pe->raw.len);
            continue;
        }
        size_t mark;
        rsp_tlv_reader r;
        rsp_tlv t;
        e = rsp_tlv_begin(out, pe->tag, &mark);
        rsp_tlv_reader_init(&r, pe->value.p, pe->value.len, EFS_TLV);
        while (!e && rsp_tlv_next(&r, &t) == RSP_OK) {
            const eu_ef *ef = dirty_file(fs, i, (size_t)(t.raw - fs->pkg.data.p));
            e = ef ? put_file(out, &t, ef) : rsp_buf_append(out, t.raw, t.raw_len);
        }
        e = e ? e : rsp_tlv_end(out, mark);
    }
    if (!e) { /* never store a package the card could not read back */
        rsp_saip_package check;
        rsp_diag d;
        rsp_diag_clear(&d);
        if (rsp_saip_parse(out->data, out->len, RSP_SAIP_ALLOW_UNKNOWN, &check, &d) != RSP_OK)
            e = rsp_diag_set(diag, RSP_ERR_INTERNAL, "updated package does not parse: %s", d.msg);
        rsp_saip_package_free(&check);
    }
    return e;
}
