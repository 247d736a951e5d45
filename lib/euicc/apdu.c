/* Routing of plain C-APDUs to the card's applications, the local (ESx) entry point and the ECASD.
 * Every C-APDU is parsed with the ISO 7816 codec first: a malformed one (any Lc/Le mismatch) gets
 * 6700 and reaches no application. */
#include <stdio.h>
#include <string.h>

#include "euicc_int.h"
#include "rsp/apdu.h"
#include "rsp/tlv.h"

rsp_err eu_answer(rsp_buf *rapdu, const uint8_t *data, size_t len, uint16_t sw)
{
    return rsp_apdu_resp_build(rapdu, data, len, sw);
}

rsp_err eu_exec(eu_ctx *x, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    rsp_apdu a;
    if (rsp_apdu_parse(capdu, len, &a, NULL) != RSP_OK)
        return eu_answer(rapdu, NULL, 0, SW_WRONG_LENGTH);
    if (x->tar == EU_TAR_ISDR)
        return eu_isdr_exec(x, capdu, len, rapdu);
    if (x->tar == EU_TAR_ECASD)
        return eu_ecasd_exec(x, capdu, len, rapdu);
    return eu_isdp_exec(x, capdu, len, rapdu);
}

/* ECASD: GET DATA of the EID (5A) and of CERT.ECASD.ECKA (7F21). Nothing here changes state. */
rsp_err eu_ecasd_exec(eu_ctx *x, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    rsp_apdu a;
    rsp_apdu_parse(capdu, len, &a, NULL);
    if ((a.cla & 0xF0) != 0x80 && (a.cla & 0xF0) != 0x00)
        return eu_answer(rapdu, NULL, 0, SW_CLA);
    if (a.ins != 0xCA)
        return eu_answer(rapdu, NULL, 0, SW_INS);
    if (a.apdu_case == 3 || a.apdu_case == 4)
        return eu_answer(rapdu, NULL, 0, SW_WRONG_LENGTH);
    uint16_t tag = (uint16_t)(a.p1 << 8 | a.p2);
    if (tag == 0x005A) {
        uint8_t eid[18] = {0x5A, 0x10};
        if (rsp_eid_to_bytes(x->c->eid, eid + 2) != RSP_OK)
            return eu_answer(rapdu, NULL, 0, SW_MEMORY_FAILURE);
        return eu_answer(rapdu, eid, sizeof(eid), SW_OK);
    }
    if (tag == 0x7F21) {
        eu_ecasd_row r;
        rsp_err e = eu_db_ecasd_get(x->c->f->db, x->c->eid, &r);
        if (e)
            return eu_answer(rapdu, NULL, 0, SW_MEMORY_FAILURE);
        e = eu_answer(rapdu, r.cert.data, r.cert.len, SW_OK);
        eu_ecasd_row_free(&r);
        return e;
    }
    return eu_answer(rapdu, NULL, 0, SW_NOT_FOUND);
}

/* SELECT by AID (local only): the ISD-R or the ECASD. ISD-Ps are not selectable from the device. */
static rsp_err local_select(eu_vol *v, const rsp_apdu *a, rsp_buf *rapdu)
{
    if (a->p1 != 0x04)
        return eu_answer(rapdu, NULL, 0, SW_BAD_P1P2);
    rsp_aid aid;
    if (a->lc == 0 || rsp_aid_from_bytes(a->data, a->lc, &aid) != RSP_OK)
        return eu_answer(rapdu, NULL, 0, SW_BAD_DATA);
    if (rsp_aid_eq(&aid, &RSP_AID_ISDR))
        v->selected = EU_APP_ISDR;
    else if (rsp_aid_eq(&aid, &RSP_AID_ECASD))
        v->selected = EU_APP_ECASD;
    else
        return eu_answer(rapdu, NULL, 0, SW_FILE_NOT_FOUND);
    return eu_answer(rapdu, NULL, 0, SW_OK);
}

rsp_err rsp_euicc_apdu(rsp_euicc *c, const uint8_t *capdu, size_t len, int64_t now, rsp_buf *rapdu,
                       rsp_diag *diag)
{
    if (!c || !rapdu || (!capdu && len))
        return RSP_ERR_INVAL;
    rsp_err e = eu_card_load(c);
    if (e)
        return rsp_diag_set(diag, e, "card %s: state unreadable", c->eid);
    eu_vol *v = eu_card_vol(c);
    if (!v)
        return RSP_ERR_NOMEM;
    rsp_apdu a;
    if (rsp_apdu_parse(capdu, len, &a, diag) != RSP_OK)
        return eu_answer(rapdu, NULL, 0, SW_WRONG_LENGTH);
    if (a.ins == 0xA4 && (a.cla & 0xF0) == 0x00)
        return local_select(v, &a, rapdu); /* the selection is volatile state: v stays */
    eu_ctx x = {.c = c, .now = now, .local = true, .tar = v->selected == EU_APP_ECASD ? EU_TAR_ECASD : EU_TAR_ISDR};
    size_t before = rapdu->len;
    e = eu_exec(&x, capdu, len, rapdu);
    rsp_err ce = eu_ctx_commit(&x);
    if (e || ce || x.fatal) {
        rapdu->len = before; /* nothing leaves that NVM does not hold */
        return rsp_diag_set(diag, RSP_ERR_IO, "card %s: state not committed, nothing answered", c->eid);
    }
    eu_vol_release_idle(c);
    return RSP_OK;
}

/* ---- inspection ---- */

rsp_err rsp_euicc_info_get(rsp_euicc *c, rsp_euicc_info *info)
{
    memset(info, 0, sizeof(*info));
    rsp_err e = eu_card_load(c);
    if (e)
        return e;
    const eu_state *st = c->st;
    snprintf(info->eid, sizeof(info->eid), "%s", c->eid);
    snprintf(info->msisdn, sizeof(info->msisdn), "%s", c->msisdn);
    snprintf(info->smsr_msisdn, sizeof(info->smsr_msisdn), "%s", st->smsr_msisdn);
    info->memory = st->memory;
    info->free_memory = st->memory;
    for (unsigned i = 0; i < st->n80; i++)
        info->scp80_kvns[info->n_scp80++] = st->s80[i].kvn;
    for (unsigned i = 0; i < st->n81; i++)
        info->scp81_kvns[info->n_scp81++] = st->s81[i].kvn;
    for (unsigned i = 0; i < st->np && i < 8; i++) {
        const eu_profile *p = &st->p[i];
        rsp_euicc_profile_info *o = &info->profiles[info->n_profiles++];
        uint8_t aid[16];
        eu_isdp_aid(p->tar, aid);
        rsp_hex_encode_upper(aid, 16, o->aid, sizeof(o->aid));
        snprintf(o->iccid, sizeof(o->iccid), "%s", p->iccid);
        snprintf(o->msisdn, sizeof(o->msisdn), "%s", p->msisdn);
        o->lcs = p->lcs;
        o->fallback = p->flags & EU_PF_FALLBACK;
        o->emergency = p->flags & EU_PF_EMERGENCY;
        o->test = p->flags & EU_PF_TEST;
        o->has_keys = p->flags & EU_PF_KEYS;
        o->has_token = p->flags & EU_PF_TOKEN;
        o->pol1 = p->pol1;
        o->quota = p->quota;
        o->used = p->used;
        info->free_memory -= p->quota;
        rsp_tlv t;
        if (p->conn_len && rsp_tlv_find(p->conn, p->conn_len, 0x06, &t) == RSP_OK && t.len >= 2)
            rsp_bcd_swap_decode(t.value + 1, t.len - 1, o->smsc, sizeof(o->smsc));
    }
    for (unsigned i = 0; i < st->nn && i < 8; i++) {
        rsp_euicc_notif_info *o = &info->notifs[info->n_notifs++];
        uint8_t aid[16];
        eu_isdp_aid(st->n[i].tar, aid);
        o->seq = st->n[i].seq;
        o->type = st->n[i].type;
        rsp_hex_encode_upper(aid, 16, o->aid, sizeof(o->aid));
        o->attempts = st->n[i].attempts;
        o->due = st->n[i].due;
    }
    info->last_seq = st->notif_seq;
    return RSP_OK;
}
