/* The RFM instances and the MNO-SD of the enabled profile as command interpreters (ETSI TS 102 226
 * RFM, GP GET STATUS for RAM): one C-APDU from a remote APDU script in, data || SW out. Every command
 * is outside input: lengths and offsets are checked against the file before anything is read or
 * written, and a command the interpreter does not take is answered with its status word, never
 * executed halfway. Status words (ISO 7816-4 / TS 102 221):
 *   6700 wrong length (an update running past the file or a record of the wrong size), 6981 command
 *   incompatible with the file structure, 6982 the instance has no access (ADF without adfRFMAccess),
 *   6986 no EF selected, 6A81 function not supported (SFI addressing), 6A82 file not found, 6A83
 *   record not found, 6A86 P1/P2, 6A88 nothing to list, 6B00 offset beyond the file, 6D00 INS not
 *   taken by this TAR, 6E00 CLA, 6282 fewer bytes than Le before the end of the file. */
#include <string.h>

#include "mno_sd.h"
#include "rsp/apdu.h"
#include "rsp/tlv.h"

void eu_rfm_init(eu_rfm *s, eu_efs *fs, const rsp_saip_package *pkg, bool ram, bool adf_access)
{
    memset(s, 0, sizeof(*s));
    s->fs = fs;
    s->pkg = pkg;
    s->ram = ram;
    s->adf_access = adf_access;
    /* TS 102 226: an RFM instance for an ADF starts with that ADF selected, the UICC one with the MF. */
    s->cur_df = adf_access ? EU_DF_ADF : EU_DF_MF;
}

static rsp_err sw_only(rsp_buf *rapdu, uint16_t sw) { return eu_answer(rapdu, NULL, 0, sw); }

static rsp_err fcp(rsp_buf *rapdu, const eu_rfm *s, const eu_ef *ef, uint16_t df_fid)
{
    rsp_buf b = RSP_BUF_INIT;
    size_t mark;
    rsp_err e = rsp_tlv_begin(&b, 0x62, &mark);
    if (ef) {
        /* file descriptor: structure byte, coding 21, and for record EFs the record length and count */
        size_t nrec = ef->rec_len ? ef->size / ef->rec_len : 0;
        uint8_t d5[5] = {ef->kind, 0x21, (uint8_t)(ef->rec_len >> 8), (uint8_t)ef->rec_len, (uint8_t)nrec};
        uint8_t fid[2], size[2] = {(uint8_t)(ef->size >> 8), (uint8_t)ef->size};
        rsp_put_be16(fid, ef->fid);
        e = e ? e : rsp_tlv_put(&b, 0x82, d5, ef->rec_len ? 5 : 2);
        e = e ? e : rsp_tlv_put(&b, 0x83, fid, 2);
        e = e ? e : rsp_tlv_put(&b, 0x80, size, 2);
    } else {
        static const uint8_t dfd[2] = {0x78, 0x21};
        uint8_t fid[2];
        rsp_put_be16(fid, df_fid);
        e = e ? e : rsp_tlv_put(&b, 0x82, dfd, 2);
        e = e ? e : rsp_tlv_put(&b, 0x83, fid, 2);
        if (df_fid == EU_FID_ADF && s->fs->adf_name_len)
            e = e ? e : rsp_tlv_put(&b, 0x84, s->fs->adf_name, s->fs->adf_name_len);
    }
    e = e ? e : rsp_tlv_end(&b, mark);
    e = e ? e : eu_answer(rapdu, b.data, b.len, SW_OK);
    rsp_buf_free(&b);
    return e;
}

/* One FID from where the session stands: the MF, the ADF (7FF0), a child of the current DF, or a
 * child of the MF when the ADF is current (its parent). 9000 or the refusal. */
static uint16_t step(eu_rfm *s, uint16_t fid, uint8_t *df, eu_ef **ef)
{
    if (fid == EU_FID_MF) {
        *df = EU_DF_MF, *ef = NULL;
        return SW_OK;
    }
    if (fid == EU_FID_ADF) {
        if (!s->adf_access)
            return SW_FILE_NOT_FOUND;
        *df = EU_DF_ADF, *ef = NULL;
        return SW_OK;
    }
    eu_ef *f = eu_efs_find(s->fs, *df, fid);
    if (!f && *df == EU_DF_ADF)
        f = eu_efs_find(s->fs, EU_DF_MF, fid);
    if (!f)
        return SW_FILE_NOT_FOUND;
    *df = f->df, *ef = f;
    return SW_OK;
}

static rsp_err do_select(eu_rfm *s, const rsp_apdu *a, rsp_buf *rapdu)
{
    uint8_t df = s->cur_df;
    eu_ef *ef = NULL;
    uint16_t sw = SW_OK;
    if (a->p1 == 0x04) { /* by DF name: ADF.USIM only */
        if (!s->adf_access || !a->lc || a->lc > s->fs->adf_name_len ||
            memcmp(a->data, s->fs->adf_name, a->lc) != 0)
            return sw_only(rapdu, SW_FILE_NOT_FOUND);
        df = EU_DF_ADF;
    } else if (a->p1 == 0x00 || a->p1 == 0x08 || a->p1 == 0x09) {
        if (a->lc == 0 || a->lc % 2 || (a->p1 == 0x00 && a->lc != 2))
            return sw_only(rapdu, SW_WRONG_LENGTH);
        if (a->p1 == 0x08)
            df = EU_DF_MF;
        for (size_t i = 0; i < a->lc && sw == SW_OK; i += 2) {
            uint16_t fid = rsp_be16(a->data + i);
            if (ef) /* an EF has no children */
                sw = SW_FILE_NOT_FOUND;
            else if (a->p1 == 0x08 && i == 0 && fid == EU_FID_MF)
                continue; /* a path given with the MF in front */
            else
                sw = step(s, fid, &df, &ef);
        }
    } else {
        return sw_only(rapdu, SW_BAD_P1P2);
    }
    if (sw != SW_OK)
        return sw_only(rapdu, sw); /* the selection stays where it was */
    s->cur_df = df;
    s->cur_ef = ef;
    if ((a->p2 & 0x0C) == 0x0C)
        return sw_only(rapdu, SW_OK);
    return fcp(rapdu, s, ef, df == EU_DF_ADF ? EU_FID_ADF : EU_FID_MF);
}

static rsp_err do_binary(eu_rfm *s, const rsp_apdu *a, rsp_buf *rapdu)
{
    eu_ef *ef = s->cur_ef;
    if (a->p1 & 0x80)
        return sw_only(rapdu, SW_FUNC);
    if (!ef)
        return sw_only(rapdu, 0x6986);
    if (ef->kind != EU_EF_TRANSPARENT)
        return sw_only(rapdu, 0x6981);
    size_t off = (size_t)a->p1 << 8 | a->p2;
    if (off >= ef->size)
        return sw_only(rapdu, 0x6B00);
    size_t avail = ef->size - off;
    if (a->ins == 0xB0) {
        /* Le 00 (or none): to the end of the file, 256 bytes at most (ISO 7816-4 READ BINARY) */
        bool all = !a->has_le || a->le == 256;
        size_t want = all ? (avail < 256 ? avail : 256) : a->le;
        size_t n = want < avail ? want : avail;
        return eu_answer(rapdu, ef->data + off, n, n < want ? 0x6282 : SW_OK);
    }
    if (!a->lc || a->lc > avail)
        return sw_only(rapdu, SW_WRONG_LENGTH);
    memcpy(ef->data + off, a->data, a->lc);
    ef->dirty = s->fs->dirty = true;
    return sw_only(rapdu, SW_OK);
}

static rsp_err do_record(eu_rfm *s, const rsp_apdu *a, rsp_buf *rapdu)
{
    eu_ef *ef = s->cur_ef;
    if (a->p2 != 0x04) /* absolute record of the current EF; SFI and relative modes are not taken */
        return sw_only(rapdu, SW_BAD_P1P2);
    if (!ef)
        return sw_only(rapdu, 0x6986);
    if (ef->kind == EU_EF_TRANSPARENT || !ef->rec_len)
        return sw_only(rapdu, 0x6981);
    size_t nrec = ef->size / ef->rec_len;
    if (a->p1 == 0 || a->p1 > nrec)
        return sw_only(rapdu, 0x6A83);
    uint8_t *rec = ef->data + (size_t)(a->p1 - 1) * ef->rec_len;
    if (a->ins == 0xB2)
        return eu_answer(rapdu, rec, ef->rec_len, SW_OK);
    if (a->lc != ef->rec_len)
        return sw_only(rapdu, SW_WRONG_LENGTH);
    memcpy(rec, a->data, a->lc);
    ef->dirty = s->fs->dirty = true;
    return sw_only(rapdu, SW_OK);
}

/* GET STATUS on the MNO-SD: P1 80 the MNO-SD itself, P1 40 the applications of the profile (the RFM
 * instances of its rfm elements; TS.48 packages carry no application element), in the GP TLV format
 * (P2 02): E3 { 4F AID, 9F70 life cycle, C5 privileges }. */
static rsp_err do_get_status(eu_rfm *s, const rsp_apdu *a, rsp_buf *rapdu)
{
    if ((a->p1 != 0x40 && a->p1 != 0x80) || (a->p2 & 0xFE) != 0x02)
        return sw_only(rapdu, SW_BAD_P1P2);
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = RSP_OK;
    size_t mark;
    if (a->p1 == 0x80) {
        uint8_t aid[16];
        size_t n = 0;
        static const uint8_t lcs = 0x0F, priv[3] = {0x82, 0xDC, 0x00};
        if (rsp_saip_sd_aid(s->pkg, aid, &n) == RSP_OK) {
            e = rsp_tlv_begin(&b, 0xE3, &mark);
            e = e ? e : rsp_tlv_put(&b, 0x4F, aid, n);
            e = e ? e : rsp_tlv_put(&b, 0x9F70, &lcs, 1);
            e = e ? e : rsp_tlv_put(&b, 0xC5, priv, 3);
            e = e ? e : rsp_tlv_end(&b, mark);
        }
    } else {
        rsp_saip_rfm rfm[8];
        size_t n = 0;
        static const uint8_t lcs = 0x07, priv = 0x00;
        if (rsp_saip_rfm_list(s->pkg, rfm, 8, &n, NULL) != RSP_OK)
            n = 0;
        for (size_t i = 0; i < n && !e; i++) {
            if (!rfm[i].instance_aid.len)
                continue;
            e = rsp_tlv_begin(&b, 0xE3, &mark);
            e = e ? e : rsp_tlv_put(&b, 0x4F, rfm[i].instance_aid.p, rfm[i].instance_aid.len);
            e = e ? e : rsp_tlv_put(&b, 0x9F70, &lcs, 1);
            e = e ? e : rsp_tlv_put(&b, 0xC5, &priv, 1);
            e = e ? e : rsp_tlv_end(&b, mark);
        }
    }
    if (!e)
        e = b.len ? eu_answer(rapdu, b.data, b.len, SW_OK) : sw_only(rapdu, SW_NOT_FOUND);
    rsp_buf_free(&b);
    return e;
}

rsp_err eu_rfm_exec(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    eu_rfm *s = ctx;
    rsp_apdu a;
    if (rsp_apdu_parse(capdu, len, &a, NULL) != RSP_OK)
        return sw_only(rapdu, SW_WRONG_LENGTH);
    uint8_t cls = a.cla & 0xF0;
    if (s->ram) {
        if (cls != 0x80)
            return sw_only(rapdu, SW_CLA);
        return a.ins == 0xF2 ? do_get_status(s, &a, rapdu) : sw_only(rapdu, SW_INS);
    }
    if (cls != 0x00 && cls != 0xA0) /* ISO and the GSM class (TS 51.011) */
        return sw_only(rapdu, SW_CLA);
    switch (a.ins) {
    case 0xA4: return do_select(s, &a, rapdu);
    case 0xB0:
    case 0xD6: return do_binary(s, &a, rapdu);
    case 0xB2:
    case 0xDC: return do_record(s, &a, rapdu);
    default: return sw_only(rapdu, SW_INS);
    }
}
