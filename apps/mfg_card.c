/* One card of the simulator, made as an EUM makes it (see mfg_card.h). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mfg_card.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"

rsp_err rsp_mfg_card(const rsp_mfg_run *run, const rsp_mfg_ids *ids, rsp_euicc_fleet *f, rsp_mfg_secrets *s,
                     rsp_buf *cert_ecasd, rsp_diag *diag)
{
    rsp_eckey *ecasd = NULL;
    rsp_buf profile = RSP_BUF_INIT;
    uint8_t eidb[16];
    rsp_err e = rsp_eid_to_bytes(ids->eid, eidb);
    e = e ? e : rsp_random((uint8_t *)s, offsetof(rsp_mfg_secrets, sk_ecasd));
    /* ECASD: a key pair on the EUM's curve, certified by the EUM with the EID as subject and serial. */
    e = e ? e : rsp_ec_generate(rsp_ec_curve(run->eum_key), &ecasd);
    e = e ? e : rsp_ec_private_scalar(ecasd, s->sk_ecasd);
    if (!e) {
        rsp_gpcert_template t = {eidb,       sizeof(eidb), run->eum_id, ids->eid, RSP_MFG_ECASD_KEY_USAGE,
                                 run->today, run->expiry,  RSP_GPCERT_ROLE_ECASD, NULL, 0};
        e = rsp_gpcert_issue(&t, ecasd, run->eum_key, cert_ecasd);
        if (e)
            rsp_diag_set(diag, e, "%s: cannot issue the ECASD certificate", ids->eid);
    }
    if (!e) {
        rsp_saip_perso p = {ids->iccid, ids->imsi, s->ki, 16, s->opc, 16};
        e = rsp_saip_personalize(run->pkg, &p, &profile, diag);
    }
    if (!e) {
        rsp_euicc_init in;
        memset(&in, 0, sizeof(in));
        memcpy(in.eid, ids->eid, sizeof(in.eid));
        in.sk_ecasd = s->sk_ecasd;
        in.sk_ecasd_len = sizeof(s->sk_ecasd);
        in.curve = (uint8_t)rsp_ec_curve(ecasd);
        in.cert_ecasd = cert_ecasd->data;
        in.cert_ecasd_len = cert_ecasd->len;
        in.cert_eum = run->cert_eum->data;
        in.cert_eum_len = run->cert_eum->len;
        in.pk_ci = run->pk_ci;
        in.pk_ci_len = RSP_EC_POINT_LEN;
        in.scp80_kvn = run->scp80_kvn;
        memcpy(in.scp80_kic, s->kic, 16);
        memcpy(in.scp80_kid, s->kid, 16);
        in.scp81_kvn = run->scp81_kvn;
        memcpy(in.scp81_psk, s->psk, 16);
        snprintf(in.smsr_msisdn, sizeof(in.smsr_msisdn), "%s", run->smsr_msisdn);
        snprintf(in.smsr_host, sizeof(in.smsr_host), "%s", run->smsr_host);
        in.smsr_port = run->smsr_port;
        snprintf(in.smsr_uri, sizeof(in.smsr_uri), "%s", run->smsr_uri);
        in.profile = profile.data;
        in.profile_len = profile.len;
        snprintf(in.msisdn, sizeof(in.msisdn), "%s", ids->msisdn);
        in.memory = run->memory;
        e = rsp_euicc_fleet_add(f, &in, diag);
        rsp_wipe(&in, sizeof(in));
    }
    rsp_ec_free(ecasd);
    rsp_buf_free_secret(&profile);
    return e;
}
