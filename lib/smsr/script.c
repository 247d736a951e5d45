/* ISD-R command builders and the E1 notification parser. The byte layouts are those of SGP02.md
 * "Card and SM-SR details" (what njiwa's SM-SR sends and our eUICC model executes). */
#include <stdio.h>
#include <string.h>

#include "rsp/smsr.h"
#include "rsp/tlv.h"
#include "smsr_emergency.h"

static rsp_err check_aid(const uint8_t *aid, size_t aid_len)
{
    return (aid && aid_len >= 5 && aid_len <= 16) ? RSP_OK : RSP_ERR_INVAL;
}

/* STORE DATA (80E2 P1 00) carrying `tag 3A0x { 4F AID }`: P1 88 = last block, GP data format. */
static rsp_err store_data_aid(uint8_t p1, uint8_t tag, const uint8_t *aid, size_t aid_len, rsp_buf *out)
{
    rsp_err e = check_aid(aid, aid_len);
    if (e != RSP_OK)
        return e;
    const uint8_t hdr[4] = {0x80, 0xE2, p1, 0x00};
    size_t inner = 2 + aid_len; /* 4F L AID */
    if ((e = rsp_buf_append(out, hdr, 4)) != RSP_OK ||
        (e = rsp_buf_append_byte(out, (uint8_t)(3 + inner))) != RSP_OK ||
        (e = rsp_buf_append_byte(out, 0x3A)) != RSP_OK || (e = rsp_buf_append_byte(out, tag)) != RSP_OK ||
        (e = rsp_buf_append_byte(out, (uint8_t)inner)) != RSP_OK ||
        (e = rsp_buf_append_byte(out, 0x4F)) != RSP_OK || (e = rsp_buf_append_byte(out, (uint8_t)aid_len)) != RSP_OK)
        return e;
    return rsp_buf_append(out, aid, aid_len);
}

rsp_err rsp_smsr_apdu_enable(const uint8_t *aid, size_t aid_len, rsp_buf *out)
{
    return store_data_aid(0x88, 0x03, aid, aid_len, out);
}

rsp_err rsp_smsr_apdu_disable(const uint8_t *aid, size_t aid_len, rsp_buf *out)
{
    return store_data_aid(0x88, 0x04, aid, aid_len, out);
}

rsp_err rsp_smsr_apdu_set_fallback(const uint8_t *aid, size_t aid_len, rsp_buf *out)
{
    return store_data_aid(0x88, 0x05, aid, aid_len, out);
}

/* 3A06 (ours, docs/ENCODINGS.md): 80E28800 Lc 3A06 L {4F L AID, 80 01 00|01}; isdr.c special_attr. */
rsp_err smsr_apdu_set_emergency(const uint8_t *aid, size_t aid_len, bool on, rsp_buf *out)
{
    rsp_err e = check_aid(aid, aid_len);
    if (e != RSP_OK)
        return e;
    size_t inner = 2 + aid_len + 3; /* 4F L AID, 80 01 flag */
    const uint8_t hdr[8] = {0x80, 0xE2, 0x88, 0x00, (uint8_t)(3 + inner), 0x3A, 0x06, (uint8_t)inner};
    const uint8_t flag[3] = {0x80, 0x01, on ? 0x01 : 0x00};
    if ((e = rsp_buf_append(out, hdr, sizeof(hdr))) != RSP_OK || (e = rsp_buf_append_byte(out, 0x4F)) != RSP_OK ||
        (e = rsp_buf_append_byte(out, (uint8_t)aid_len)) != RSP_OK || (e = rsp_buf_append(out, aid, aid_len)) != RSP_OK)
        return e;
    return rsp_buf_append(out, flag, sizeof(flag));
}

const char *smsr_emergency_refusal(const rsp_store_profile *p)
{
    if (p->state != RSP_STORE_PROFILE_ENABLED && p->state != RSP_STORE_PROFILE_DISABLED)
        return "profile not installed";
    if (p->fallback)
        return "the fall-back profile cannot be the emergency profile";
    return NULL;
}

/* DELETE [object] 80E40040 {4F AID}: P2 40 = no cascade of associated objects (the ISD-P itself). */
rsp_err rsp_smsr_apdu_delete(const uint8_t *aid, size_t aid_len, rsp_buf *out)
{
    rsp_err e = check_aid(aid, aid_len);
    if (e != RSP_OK)
        return e;
    const uint8_t hdr[5] = {0x80, 0xE4, 0x00, 0x40, (uint8_t)(2 + aid_len)};
    if ((e = rsp_buf_append(out, hdr, 5)) != RSP_OK || (e = rsp_buf_append_byte(out, 0x4F)) != RSP_OK ||
        (e = rsp_buf_append_byte(out, (uint8_t)aid_len)) != RSP_OK)
        return e;
    return rsp_buf_append(out, aid, aid_len);
}

/* GET STATUS 80F24002 {4F AID, 5C 03 4F9F70}: answers E3{4F, 9F70 LCS, ...}. */
rsp_err rsp_smsr_apdu_audit(const uint8_t *aid, size_t aid_len, rsp_buf *out)
{
    rsp_err e = check_aid(aid, aid_len);
    if (e != RSP_OK)
        return e;
    const uint8_t hdr[5] = {0x80, 0xF2, 0x40, 0x02, (uint8_t)(2 + aid_len + 5)};
    const uint8_t tags[5] = {0x5C, 0x03, 0x4F, 0x9F, 0x70};
    if ((e = rsp_buf_append(out, hdr, 5)) != RSP_OK || (e = rsp_buf_append_byte(out, 0x4F)) != RSP_OK ||
        (e = rsp_buf_append_byte(out, (uint8_t)aid_len)) != RSP_OK || (e = rsp_buf_append(out, aid, aid_len)) != RSP_OK)
        return e;
    return rsp_buf_append(out, tags, 5);
}

/* 80E28900 07 3A08 04 4E02 <seq>: P1 89 = last block, response expected (deleted ISD-Ps). */
rsp_err rsp_smsr_apdu_confirm(uint16_t seq, rsp_buf *out)
{
    const uint8_t c[12] = {0x80, 0xE2, 0x89, 0x00, 0x07, 0x3A, 0x08, 0x04, 0x4E, 0x02,
                           (uint8_t)(seq >> 8), (uint8_t)seq};
    return rsp_buf_append(out, c, sizeof(c));
}

rsp_err rsp_smsr_script_one(const rsp_buf *apdu, rsp_buf *out)
{
    size_t m1, m2;
    rsp_err e;
    if ((e = rsp_tlv_begin(out, 0xAA, &m1)) != RSP_OK || (e = rsp_tlv_begin(out, 0x22, &m2)) != RSP_OK ||
        (e = rsp_buf_append(out, apdu->data, apdu->len)) != RSP_OK || (e = rsp_tlv_end(out, m2)) != RSP_OK)
        return e;
    return rsp_tlv_end(out, m1);
}

rsp_err rsp_smsr_notif_parse(const uint8_t *p, size_t len, rsp_smsr_notif *out, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    rsp_tlv top;
    rsp_err e = rsp_tlv_parse(p, len, 0, &top, diag);
    if (e != RSP_OK)
        return e;
    if (top.tag != 0xE1)
        return rsp_diag_set_at(diag, RSP_ERR_TAG, 0, "notification: tag %X, want E1", (unsigned)top.tag);
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, top.value, top.len, 0);
    size_t hdr = top.raw_len - top.len; /* offsets in diag count from p */
    bool have_eid = false, have_type = false, have_seq = false;
    rsp_tlv t;
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        switch (t.tag) {
        case 0x4C:
            if (t.len != 16)
                return rsp_diag_set_at(diag, RSP_ERR_LENGTH, hdr + t.offset, "EID of %zu bytes", t.len);
            rsp_hex_encode_upper(t.value, 16, out->eid, sizeof(out->eid));
            have_eid = true;
            break;
        case 0x4D:
            if (t.len != 1)
                return rsp_diag_set_at(diag, RSP_ERR_LENGTH, hdr + t.offset, "type of %zu bytes", t.len);
            out->type = t.value[0];
            have_type = true;
            break;
        case 0x4E:
            if (t.len != 2)
                return rsp_diag_set_at(diag, RSP_ERR_LENGTH, hdr + t.offset, "seq of %zu bytes", t.len);
            out->seq = (uint16_t)(t.value[0] << 8 | t.value[1]);
            have_seq = true;
            break;
        case 0x4F: /* the three AID tags of the field: W's 4F, N's TS 102 223 2F / AF */
        case 0x2F:
        case 0xAF:
            if (t.len < 5 || t.len > 16)
                return rsp_diag_set_at(diag, RSP_ERR_LENGTH, hdr + t.offset, "AID of %zu bytes", t.len);
            memcpy(out->aid, t.value, t.len);
            out->aid_len = t.len;
            break;
        default: /* IMEI (14/94), MEID (6D/ED) and future tags: not needed here */
            break;
        }
    }
    if (e != RSP_ERR_END) {
        if (diag)
            *diag = r.diag;
        return e;
    }
    if (!have_eid || !have_type || !have_seq)
        return rsp_diag_set(diag, RSP_ERR_TAG, "notification: EID, type or sequence number missing");
    return RSP_OK;
}
