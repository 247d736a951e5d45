/* Manufacturing: a new card is written to the fleet database whole (ECASD, ISD-R key sets, the
 * provisioning profile's package and state) in one transaction, then joins the index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "euicc_int.h"
#include "rsp/gpcert.h"
#include "rsp/saip.h"

/* The first ISD-P TAR (SGP02.md: ISD-P TARs run from 000010). */
#define EU_FIRST_ISDP_TAR 0x000010u

static rsp_err check_ecasd(const rsp_euicc_init *in, rsp_diag *diag)
{
    if (!in->sk_ecasd || in->sk_ecasd_len != 32 || !in->cert_ecasd || !in->pk_ci)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "ECASD: SK.ECASD.ECKA (32 bytes), CERT.ECASD.ECKA and PK.CI are needed");
    if (in->curve != RSP_CURVE_P256 && in->curve != RSP_CURVE_BP256R1)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "curve reference %02X", in->curve);
    rsp_eckey *sk = NULL, *ci = NULL;
    rsp_gpcert cert;
    uint8_t pt[RSP_EC_POINT_LEN];
    rsp_err e = rsp_ec_from_private((rsp_curve)in->curve, in->sk_ecasd, &sk);
    e = e ? rsp_diag_set(diag, e, "SK.ECASD.ECKA is not a key on the curve")
          : rsp_ec_from_public((rsp_curve)in->curve, in->pk_ci, in->pk_ci_len, &ci);
    e = e ? e : rsp_gpcert_decode(in->cert_ecasd, in->cert_ecasd_len, &cert, diag);
    e = e ? e : rsp_ec_public_point(sk, pt);
    if (!e && (cert.point.len != sizeof(pt) || memcmp(cert.point.p, pt, sizeof(pt)) != 0))
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "CERT.ECASD.ECKA does not carry the public key of SK.ECASD.ECKA");
    rsp_ec_free(sk);
    rsp_ec_free(ci);
    rsp_wipe(pt, sizeof(pt));
    return e;
}

/* Builds the state of a new card; the profile package is checked with the SAIP walker. */
static rsp_err build_state(const rsp_euicc_init *in, eu_state *st, rsp_diag *diag)
{
    if ((in->scp80_kvn < 0x01 || in->scp80_kvn > 0x0F) || (in->scp81_kvn < 0x40 || in->scp81_kvn > 0x4F))
        return rsp_diag_set(diag, RSP_ERR_RANGE, "SCP80 KVN must be 01..0F and SCP81 KVN 40..4F");
    if (!in->profile || !in->profile_len)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "a provisioning profile package is needed");
    rsp_saip_package pkg;
    rsp_err e = rsp_saip_parse(in->profile, in->profile_len, 0, &pkg, diag);
    if (e)
        return e;
    if (in->memory < (int64_t)in->profile_len) {
        rsp_saip_package_free(&pkg);
        return rsp_diag_set(diag, RSP_ERR_RANGE, "memory %lld is smaller than the provisioning profile",
                            (long long)in->memory);
    }
    memset(st, 0, sizeof(*st));
    st->n80 = 1;
    st->s80[0].kvn = in->scp80_kvn;
    memcpy(st->s80[0].kic, in->scp80_kic, 16);
    memcpy(st->s80[0].kid, in->scp80_kid, 16);
    st->n81 = 1;
    st->s81[0].kvn = in->scp81_kvn;
    memcpy(st->s81[0].psk, in->scp81_psk, 16);
    snprintf(st->smsr_msisdn, sizeof(st->smsr_msisdn), "%s", in->smsr_msisdn);
    st->memory = in->memory;
    eu_profile *p = eu_profile_add(st);
    if (!p) {
        rsp_saip_package_free(&pkg);
        return RSP_ERR_NOMEM;
    }
    p->tar = EU_FIRST_ISDP_TAR;
    p->lcs = EU_LCS_ENABLED;
    p->flags = EU_PF_FALLBACK;
    p->pol1 = pkg.header.has_pol && pkg.header.pol.len ? pkg.header.pol.p[0] : 0;
    snprintf(p->iccid, sizeof(p->iccid), "%s", pkg.header.iccid);
    snprintf(p->msisdn, sizeof(p->msisdn), "%s", in->msisdn);
    p->quota = p->used = (int64_t)in->profile_len;
    rsp_saip_package_free(&pkg);
    /* The device attaches with the provisioning profile the first time it is switched on: the first
     * attach notification (01) is due at once. */
    st->attached = true;
    st->notif_seq = 1;
    st->nn = 1;
    st->n[0] = (eu_notif){.seq = 1, .type = EU_NOTIF_ATTACH, .tar = p->tar, .attempts = 0, .due = 1};
    return RSP_OK;
}

static void index_insert_sorted(rsp_euicc_fleet *f, rsp_euicc *c)
{
    /* index_add appended c at the end; move it to its EID position. */
    size_t lo = 0, hi = f->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(f->cards[mid]->eid, c->eid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&f->cards[lo + 1], &f->cards[lo], (f->n - 1 - lo) * sizeof(*f->cards));
    f->cards[lo] = c;
}

rsp_err rsp_euicc_fleet_add(rsp_euicc_fleet *f, const rsp_euicc_init *in, rsp_diag *diag)
{
    if (!f || !in)
        return RSP_ERR_INVAL;
    rsp_err e = rsp_eid_check(in->eid, NULL);
    if (e)
        return rsp_diag_set(diag, e, "EID '%s' is not 32 digits with valid check digits", in->eid);
    if (rsp_euicc_fleet_by_eid(f, in->eid))
        return rsp_diag_set(diag, RSP_ERR_EXISTS, "EID %s is already in the fleet", in->eid);
    if ((e = check_ecasd(in, diag)) != RSP_OK)
        return e;
    eu_state st;
    if ((e = build_state(in, &st, diag)) != RSP_OK)
        return e;
    eu_ecasd_row row = {.curve = in->curve};
    memcpy(row.sk, in->sk_ecasd, 32);
    e = rsp_buf_set(&row.cert, in->cert_ecasd, in->cert_ecasd_len);
    e = e ? e : rsp_buf_set(&row.cert_eum, in->cert_eum ? in->cert_eum : (const uint8_t *)"", in->cert_eum_len);
    e = e ? e : rsp_buf_set(&row.pk_ci, in->pk_ci, in->pk_ci_len);
    e = e ? e : eu_db_begin(f->db);
    if (!e) {
        e = eu_db_ecasd_put(f->db, in->eid, &row);
        e = e ? e : eu_db_admin_put(f->db, in->eid, in->smsr_host, in->smsr_port, in->smsr_uri);
        /* The provisioning profile was checked above; the card keeps what it needs of it (ICCID, POL1,
         * size) in its state. Its bytes are the EUM's and identical in kind for the whole fleet, so they
         * are not stored per card: 100,000 cards would otherwise hold 1.2 GB of the same package. */
        e = e ? e : eu_db_save(f->db, in->eid, in->msisdn, st.n[0].due, &st, 0, NULL, 0, true);
        rsp_err e2 = eu_db_commit(f->db);
        e = e ? e : e2;
    }
    eu_ecasd_row_free(&row);
    rsp_euicc *c = NULL;
    if (!e)
        e = eu_index_add(f, in->eid, "", st.n[0].due, &c);
    eu_state_free(&st);
    if (e)
        return rsp_diag_set(diag, e, "EID %s: writing the card failed", in->eid);
    index_insert_sorted(f, c);
    eu_msisdn_set(c, in->msisdn);
    return RSP_OK;
}
