/* Personalisation: writes ICCID, IMSI, Ki and OPc into a copy of a package. Only the TLVs on the path
 * from an element down to a changed value are re-encoded (their lengths recomputed by rsp_tlv_end);
 * every sibling and every untouched element is copied from its raw slice. */
#include <string.h>

#include "rsp/ids.h"
#include "rsp/saip.h"
#include "saip_int.h"

/* What to do with the children of the innermost TLV on a path: replace the first child with each
 * tag. In a File (SEQUENCE OF CHOICE {doNotCreate, fileDescriptor, fillFileOffset [2],
 * fillFileContent [3]}), the content to replace is the one written at offset 0, so a fillFileOffset
 * before it means the file is laid out in a way we do not rewrite; when the file has no content yet,
 * one is appended after its descriptor. */
typedef struct leaf_edit {
    uint32_t tag[2];
    const uint8_t *val[2];
    size_t len[2];
    size_t n;
    bool file;
    const char *what;
} leaf_edit;

static rsp_err edit_children(const uint8_t *base, const uint8_t *p, size_t len, const leaf_edit *ed, rsp_buf *out,
                             rsp_diag *diag)
{
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    bool done[2] = {false, false}, offset_seen = false;
    rsp_tlv_reader_init(&r, p, len, SAIP_TLV_FLAGS);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        size_t k = ed->n;
        for (size_t i = 0; i < ed->n; i++)
            if (!done[i] && t.tag == ed->tag[i])
                k = i;
        if (ed->file && t.tag == 0x82 && !done[0])
            offset_seen = true;
        if (k == ed->n) {
            if ((e = rsp_buf_append(out, t.raw, t.raw_len)) != RSP_OK)
                return e;
            continue;
        }
        if (offset_seen)
            return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, (size_t)(t.raw - base),
                                   "%s: the file content starts after a fillFileOffset", ed->what);
        if ((e = rsp_tlv_put(out, t.tag, ed->val[k], ed->len[k])) != RSP_OK)
            return e;
        done[k] = true;
    }
    if (e != RSP_ERR_END)
        return rsp_diag_set_at(diag, e, (size_t)(p - base) + r.diag.offset, "%s: %s", ed->what, r.diag.msg);
    for (size_t i = 0; i < ed->n; i++) {
        if (done[i])
            continue;
        if (!ed->file || offset_seen)
            return rsp_diag_set_at(diag, RSP_ERR_NOT_FOUND, (size_t)(p - base), "%s: no component %X to replace",
                                   ed->what, (unsigned)ed->tag[i]);
        if ((e = rsp_tlv_put(out, ed->tag[i], ed->val[i], ed->len[i])) != RSP_OK)
            return e;
    }
    return RSP_OK;
}

/* Copies the TLVs of [p, p+len) into out, descending into the first child tagged path[0], and so on;
 * at the end of the path the leaf edit rewrites the children. */
static rsp_err rewrite(const uint8_t *base, const uint8_t *p, size_t len, const uint32_t *path, size_t depth,
                       const leaf_edit *ed, rsp_buf *out, rsp_diag *diag)
{
    if (depth == 0)
        return edit_children(base, p, len, ed, out, diag);
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_err e;
    bool done = false;
    rsp_tlv_reader_init(&r, p, len, SAIP_TLV_FLAGS);
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (done || t.tag != path[0]) {
            if ((e = rsp_buf_append(out, t.raw, t.raw_len)) != RSP_OK)
                return e;
            continue;
        }
        size_t mark;
        if ((e = rsp_tlv_begin(out, t.tag, &mark)) != RSP_OK ||
            (e = rewrite(base, t.value, t.len, path + 1, depth - 1, ed, out, diag)) != RSP_OK ||
            (e = rsp_tlv_end(out, mark)) != RSP_OK)
            return e;
        done = true;
    }
    if (e != RSP_ERR_END)
        return rsp_diag_set_at(diag, e, (size_t)(p - base) + r.diag.offset, "%s: %s", ed->what, r.diag.msg);
    if (!done)
        return rsp_diag_set_at(diag, RSP_ERR_NOT_FOUND, (size_t)(p - base), "%s: component %X not found", ed->what,
                               (unsigned)path[0]);
    return RSP_OK;
}

static rsp_err rewrite_pe(const rsp_saip_package *pkg, const rsp_saip_pe *pe, const uint32_t *path, size_t depth,
                          const leaf_edit *ed, rsp_buf *out, rsp_diag *diag)
{
    size_t mark;
    rsp_err e = rsp_tlv_begin(out, pe->tag, &mark);
    if (!e)
        e = rewrite(pkg->data.p, pe->value.p, pe->value.len, path, depth, ed, out, diag);
    if (!e)
        e = rsp_tlv_end(out, mark);
    return e;
}

rsp_err rsp_saip_imsi_encode(const char *imsi, uint8_t out[9])
{
    size_t n = imsi ? strlen(imsi) : 0;
    if (n < 6 || n > 15)
        return RSP_ERR_FORMAT;
    uint8_t nib[16];
    memset(nib, 0xF, sizeof(nib));
    /* TS 31.102 4.2.2: identity type 001 (IMSI) in bits 1-3, bit 4 set when the digit count is odd. */
    nib[0] = (n & 1) ? 0x9 : 0x1;
    for (size_t i = 0; i < n; i++) {
        if (imsi[i] < '0' || imsi[i] > '9')
            return RSP_ERR_FORMAT;
        nib[i + 1] = (uint8_t)(imsi[i] - '0');
    }
    out[0] = (uint8_t)((n + 2) / 2);
    for (size_t i = 0; i < 8; i++)
        out[1 + i] = (uint8_t)(nib[2 * i] | nib[2 * i + 1] << 4);
    return RSP_OK;
}

rsp_err rsp_saip_imsi_decode(const uint8_t *in, size_t len, char out[16])
{
    if (!in || len < 2 || in[0] < 1 || in[0] > 8 || in[0] > len - 1)
        return RSP_ERR_FORMAT;
    size_t nb = in[0], k = 0;
    if ((in[1] & 0x7) != 0x1)
        return RSP_ERR_FORMAT;
    bool odd = (in[1] & 0x8) != 0;
    size_t ndig = odd ? 2 * nb - 1 : 2 * nb - 2;
    for (size_t i = 1; i <= 2 * nb - 1; i++) {
        uint8_t b = in[1 + i / 2];
        uint8_t v = (i & 1) ? b >> 4 : b & 0xF;
        if (k == ndig) {
            if (v != 0xF)
                return RSP_ERR_FORMAT;
            continue;
        }
        if (v > 9)
            return RSP_ERR_FORMAT;
        out[k++] = (char)('0' + v);
    }
    out[k] = '\0';
    return k >= 6 ? RSP_OK : RSP_ERR_FORMAT;
}

/* Key lengths per algorithmID (AlgoParameter tag 80): Milenage and the test algorithm take 128-bit K
 * and OPc; TUAK takes a 128- or 256-bit K and a 256-bit TOPc. */
bool rsp_saip_aka_k_len_ok(unsigned alg, size_t len)
{
    return len == 16 || (alg == 2 && len == 32);
}

size_t rsp_saip_aka_opc_len(unsigned alg)
{
    return alg == 2 ? 32u : 16u;
}

static rsp_err check_aka_lengths(const rsp_saip_package *pkg, const rsp_tlv *algo, const rsp_saip_perso *ps,
                                 rsp_diag *diag)
{
    rsp_tlv id;
    uint32_t alg = 0;
    if (rsp_tlv_find(algo->value, algo->len, 0x80, &id) != RSP_OK || saip_uint_decode(id.value, id.len, 255, &alg))
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)(algo->raw - pkg->data.p),
                               "akaParameter: algorithmID missing or malformed");
    bool tuak = alg == 2;
    if (ps->ki && !rsp_saip_aka_k_len_ok(alg, ps->ki_len))
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "Ki of %zu bytes does not fit algorithmID %u", ps->ki_len,
                            (unsigned)alg);
    if (ps->opc && ps->opc_len != rsp_saip_aka_opc_len(alg))
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "OPc of %zu bytes does not fit algorithmID %u (%s)", ps->opc_len,
                            (unsigned)alg, tuak ? "TOPc is 32 bytes" : "16 bytes");
    return RSP_OK;
}

static rsp_err personalize(const rsp_saip_package *pkg, const rsp_saip_perso *ps, rsp_buf *out, rsp_diag *diag)
{
    uint8_t iccid_bcd[10], iccid_sw[10], imsi[9];
    rsp_err e;
    if (ps->iccid && ((e = rsp_iccid_check(ps->iccid)) != RSP_OK || rsp_iccid_to_bcd(ps->iccid, iccid_bcd) ||
                      rsp_iccid_to_swapped(ps->iccid, iccid_sw)))
        return rsp_diag_set(diag, e ? e : RSP_ERR_FORMAT, "ICCID '%s' is not 18..20 digits with a Luhn check digit",
                            ps->iccid);
    if (ps->imsi && rsp_saip_imsi_encode(ps->imsi, imsi) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "IMSI '%s' is not 6..15 digits", ps->imsi);
    if ((ps->ki && ps->ki_len != 16 && ps->ki_len != 32) || (ps->opc && ps->opc_len != 16 && ps->opc_len != 32))
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "Ki and OPc are 16 or 32 bytes");

    static const uint32_t path_iccid[] = {0xA4};   /* PE-MF ef-iccid [4] */
    static const uint32_t path_imsi[] = {0xA3};    /* PE-USIM ef-imsi [3] */
    static const uint32_t path_aka[] = {0xA1, 0xA1}; /* algoConfiguration [1] -> algoParameter [1] */
    const leaf_edit hdr = {{0x83, 0}, {iccid_bcd, NULL}, {10, 0}, 1, false, "header iccid"};
    const leaf_edit efi = {{0x83, 0}, {iccid_sw, NULL}, {10, 0}, 1, true, "MF EF.ICCID"};
    const leaf_edit efm = {{0x83, 0}, {imsi, NULL}, {9, 0}, 1, true, "USIM EF.IMSI"};
    leaf_edit aka = {{0}, {NULL}, {0}, 0, false, "akaParameter"};
    if (ps->ki) {
        aka.tag[aka.n] = 0x82, aka.val[aka.n] = ps->ki, aka.len[aka.n++] = ps->ki_len;
    }
    if (ps->opc) {
        aka.tag[aka.n] = 0x83, aka.val[aka.n] = ps->opc, aka.len[aka.n++] = ps->opc_len;
    }
    bool mf_done = false, usim_done = false, aka_done = false;
    for (size_t i = 0; i < pkg->n_pes; i++) {
        const rsp_saip_pe *pe = &pkg->pes[i];
        rsp_tlv algo;
        if (ps->iccid && i == 0 && pe->tag == RSP_SAIP_TAG_HEADER) {
            e = rewrite_pe(pkg, pe, NULL, 0, &hdr, out, diag);
        } else if (ps->iccid && !mf_done && pe->tag == RSP_SAIP_TAG_MF) {
            e = rewrite_pe(pkg, pe, path_iccid, 1, &efi, out, diag);
            mf_done = true;
        } else if (ps->imsi && !usim_done && pe->tag == RSP_SAIP_TAG_USIM) {
            e = rewrite_pe(pkg, pe, path_imsi, 1, &efm, out, diag);
            usim_done = true;
        } else if (aka.n && pe->tag == RSP_SAIP_TAG_AKA &&
                   rsp_tlv_find_path(pe->value.p, pe->value.len, path_aka, 2, &algo) == RSP_OK) {
            e = check_aka_lengths(pkg, &algo, ps, diag);
            if (!e)
                e = rewrite_pe(pkg, pe, path_aka, 2, &aka, out, diag);
            aka_done = true;
        } else {
            e = rsp_buf_append(out, pe->raw.p, pe->raw.len);
        }
        if (e)
            return rsp_diag_set_at(diag, e, pe->offset, "element %zu (%s): %s", i, pe->name, rsp_err_msg(e));
    }
    if (ps->iccid && !mf_done)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no mf element to carry EF.ICCID");
    if (ps->imsi && !usim_done)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no usim element to carry EF.IMSI");
    if (aka.n && !aka_done)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no akaParameter element with an algoParameter for Ki/OPc");
    return RSP_OK;
}

rsp_err rsp_saip_personalize(const rsp_saip_package *pkg, const rsp_saip_perso *perso, rsp_buf *out,
                             rsp_diag *diag)
{
    if (!pkg || !perso || !out || pkg->n_pes == 0)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "no package or personalisation data");
    rsp_wipe(out->data, out->len);
    rsp_buf_reset(out);
    /* Reserving up front keeps the buffer from being reallocated mid-way, which would leave copies of
     * Ki/OPc in freed memory. */
    rsp_err e = rsp_buf_reserve(out, pkg->data.len + 256);
    if (!e)
        e = personalize(pkg, perso, out, diag);
    if (!e) {
        /* Never hand out a package we would not accept ourselves. */
        rsp_saip_package check;
        rsp_diag d;
        rsp_diag_clear(&d);
        if (rsp_saip_parse(out->data, out->len, RSP_SAIP_ALLOW_UNKNOWN, &check, &d) != RSP_OK)
            e = rsp_diag_set(diag, RSP_ERR_INTERNAL, "personalised package does not parse: %s", d.msg);
        rsp_saip_package_free(&check);
    }
    if (e) {
        rsp_wipe(out->data, out->len);
        rsp_buf_reset(out);
    }
    return e;
}
