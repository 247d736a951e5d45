/* SCP03t download into a created ISD-P. Segments are deciphered into volatile memory by the card-role
 * SCP03t codec; when the package is complete (its last element, END, has arrived whole) it is checked
 * with the SAIP walker and installed in one commit together with the profile's new state, and the
 * card answers with an EUICCResponse. Until that commit nothing of the download is durable, so a cut
 * (power, session, process) leaves the ISD-P as it was: created, no half profile.
 * The bodies come through an admin session (SCP81) or one per SCP80 packet (the SMS-only download,
 * ota.c): the session lives in the card's volatile state across packets either way, and ends at a
 * new 84, an error, the install, its ISD-P deleted (ota.c drop_stale_download), the end of an admin
 * session, or a reset. */
#include <stdio.h>
#include <string.h>

#include "euicc_int.h"
#include "isdp_admit.h"
#include "rsp/saip.h"
#include "rsp/tlv.h"

/* 1 when the buffer holds whole top-level elements ending with END (AA), 0 when more is to come,
 * -1 when it cannot be a package. */
static int package_complete(const uint8_t *p, size_t len)
{
    size_t pos = 0;
    uint32_t last = 0;
    while (pos < len) {
        rsp_tlv t;
        rsp_err e = rsp_tlv_parse(p + pos, len - pos, 0, &t, NULL);
        if (e == RSP_ERR_TRUNCATED)
            return 0;
        if (e)
            return -1;
        last = t.tag;
        pos += t.raw_len;
    }
    return last == RSP_SAIP_TAG_END ? 1 : 0;
}

static rsp_err euicc_response(rsp_buf *resp, uint32_t status, bool aborted, size_t offset, const char *msg)
{
    rsp_saip_pe_status ps = {.status = status};
    if (aborted) {
        ps.has_offset = true;
        ps.offset = (uint32_t)offset;
    }
    rsp_saip_euicc_response r = {.pe_status = &ps, .n_pe_status = 1, .installation_aborted = aborted};
    if (msg) {
        r.has_status_message = true;
        snprintf(r.status_message, sizeof(r.status_message), "%s", msg);
    }
    return rsp_saip_euicc_response_encode(&r, resp);
}

/* The IMSI of EF.IMSI in the first USIM element (PE-USIM ef-imsi [3], its fillFileContent [3]). */
static void package_imsi(const rsp_saip_package *pkg, char out[16])
{
    out[0] = 0;
    size_t i;
    rsp_tlv f, c;
    if (rsp_saip_find(pkg, RSP_SAIP_TAG_USIM, 0, &i) != RSP_OK)
        return;
    if (rsp_tlv_find(pkg->pes[i].value.p, pkg->pes[i].value.len, 0xA3, &f) != RSP_OK ||
        rsp_tlv_find(f.value, f.len, 0x83, &c) != RSP_OK || rsp_saip_imsi_decode(c.value, c.len, out) != RSP_OK)
        out[0] = 0;
}

/* Checks and installs the complete package; answers the EUICCResponse. */
static rsp_err install(eu_ctx *x, eu_profile *p, const rsp_buf *plain, rsp_buf *resp)
{
    rsp_saip_package pkg;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_saip_parse(plain->data, plain->len, 0, &pkg, &d) != RSP_OK)
        return euicc_response(resp, RSP_SAIP_ST_BAD_VALUES, true, d.has_offset ? d.offset : 0, "malformed package");
    const char *why = NULL;
    uint32_t st = RSP_SAIP_ST_OK;
    if (rsp_iccid_check(pkg.header.iccid) != RSP_OK)
        why = "no valid ICCID", st = RSP_SAIP_ST_BAD_VALUES;
    if (!why) {
        /* The ISD-P's quota (set by INSTALL) is the memory this package may take. */
        const char *on_card[UINT8_MAX];
        const eu_state *s = x->c->st;
        for (unsigned i = 0; i < s->np; i++)
            on_card[i] = s->p[i].iccid;
        eu_admit_room room = {.iccids = on_card, .n_iccids = s->np,
                              .free_bytes = p->quota > 0 ? (uint64_t)p->quota : 0};
        eu_admit a = eu_isdp_admit(pkg.header.iccid, plain->len, &room);
        if (a == EU_ADMIT_ICCID_EXISTS)
            why = "ICCID already on the card", st = RSP_SAIP_ST_BAD_VALUES;
        else if (a == EU_ADMIT_NO_MEMORY)
            why = "larger than the ISD-P's memory", st = RSP_SAIP_ST_NOT_ENOUGH_MEMORY;
    }
    if (why) {
        rsp_saip_package_free(&pkg);
        return euicc_response(resp, st, true, 0, why);
    }
    char imsi[16];
    package_imsi(&pkg, imsi);
    p->lcs = EU_LCS_DISABLED;
    snprintf(p->iccid, sizeof(p->iccid), "%s", pkg.header.iccid);
    p->pol1 = pkg.header.has_pol && pkg.header.pol.len ? pkg.header.pol.p[0] : 0;
    p->used = (int64_t)plain->len;
    /* The MSISDN the device is reached at: set by 3A07 A1 in the SM-DP session, else the IMSI (ours). */
    if (!p->msisdn[0])
        snprintf(p->msisdn, sizeof(p->msisdn), "%s", imsi);
    rsp_saip_package_free(&pkg);
    x->dirty = true;
    x->pkg_tar = p->tar;
    x->pkg = plain->data;
    x->pkg_len = plain->len;
    rsp_err e = eu_ctx_commit(x);
    if (e) {
        x->fatal = e;
        return e;
    }
    return euicc_response(resp, RSP_SAIP_ST_OK, false, 0, NULL);
}

rsp_err eu_isdp_scp03t(eu_ctx *x, uint32_t tar, const uint8_t *in, size_t len, rsp_buf *resp)
{
    const uint8_t seq_err[2] = {0x9F, RSP_SCP03T_ERR_SEQUENCE};
    eu_profile *p = eu_profile_by_tar(x->c->st, tar);
    eu_vol *v = eu_card_vol(x->c);
    if (!v)
        return RSP_ERR_NOMEM;
    if (!p || p->lcs != EU_LCS_CREATED || !(p->flags & EU_PF_KEYS))
        return rsp_buf_append(resp, seq_err, 2);
    if (len && in[0] == 0x84) {
        /* A new SCP03t session: the sequence counter moves and is committed before the answer. */
        if (v->dl_active)
            rsp_scp03t_card_close(&v->dl);
        v->dl_active = false;
        eu_isdp_aid(tar, v->dl_aid);
        rsp_scp03_card_params cp = {.aid = v->dl_aid, .aid_len = 16, .seq = (p->scp03_seq + 1) & 0xFFFFFF,
                                    .i_param = 0x70};
        if (rsp_scp03t_card_init(&v->dl, &p->keys, &cp) != RSP_OK)
            return rsp_buf_append(resp, seq_err, 2);
        v->dl.max_plain = (size_t)p->quota;
        v->dl_active = true;
        v->dl_tar = tar;
        p->scp03_seq = cp.seq;
        x->dirty = true;
    }
    if (!v->dl_active || v->dl_tar != tar)
        return rsp_buf_append(resp, seq_err, 2);
    rsp_err e = rsp_scp03t_card_process(&v->dl, in, len, resp, NULL);
    if (e) {
        rsp_scp03t_card_close(&v->dl); /* the 9F xx answer is in resp; the partial package is gone */
        v->dl_active = false;
        return RSP_OK;
    }
    int done = package_complete(v->dl.plain.data, v->dl.plain.len);
    if (done == 0)
        return RSP_OK;
    if (done < 0)
        e = euicc_response(resp, RSP_SAIP_ST_INVALID_REQUEST_FORMAT, true, 0, "not a profile package");
    else
        e = install(x, p, &v->dl.plain, resp);
    rsp_scp03t_card_close(&v->dl);
    v->dl_active = false;
    return e;
}
