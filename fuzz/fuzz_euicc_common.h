/* Shared set-up of the card model fuzz targets: a PKI made once per process, and a fresh in-memory
 * fleet (":memory:") with one manufactured card per input, so every input starts from the same card.
 * The SCP80 keys are fixed (KVN 1, KIc 11.., KID 22..) so that seeds can carry valid packets. */
#ifndef FUZZ_EUICC_COMMON_H
#define FUZZ_EUICC_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "euicc/euicc_int.h"
#include "rsp/crypto.h"
#include "rsp/euicc.h"
#include "rsp/gpcert.h"

typedef struct fz_pki {
    rsp_euicc_init in;
    uint8_t sk[32], pk_ci[65];
    rsp_buf cert, pkg;
} fz_pki;

static fz_pki *fz_pki_get(void)
{
    static fz_pki p;
    static int ready;
    if (ready)
        return &p;
    rsp_eckey *ci = NULL, *eum = NULL, *ecasd = NULL;
    if (rsp_ec_generate(RSP_CURVE_P256, &ci) || rsp_ec_generate(RSP_CURVE_P256, &eum) ||
        rsp_ec_generate(RSP_CURVE_P256, &ecasd))
        abort();
    uint8_t serial = 1;
    rsp_gpcert_template t = {&serial, 1, "EUM1", "ECASD", 0x82, "20261121", "20361121", RSP_GPCERT_ROLE_ECASD, NULL, 0};
    if (rsp_gpcert_issue(&t, ecasd, eum, &p.cert) || rsp_ec_private_scalar(ecasd, p.sk) ||
        rsp_ec_public_point(ci, p.pk_ci))
        abort();
    /* The provisioning profile: a TS.48 package from $RSP_SHARED_DIR, else ../shared beside the
     * checkout (as CMake's default). */
    char path[1024];
    const char *src = __FILE__, *slash = strrchr(src, '/'), *shared = getenv("RSP_SHARED_DIR");
    if (shared && *shared)
        snprintf(path, sizeof(path), "%s/profiles/TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der", shared);
    else
        snprintf(path, sizeof(path), "%.*s/../../shared/profiles/TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der",
                 (int)(slash ? slash - src : 1), slash ? src : ".");
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        fprintf(stderr, "fuzz_euicc: cannot read %s\n", path);
        abort();
    }
    uint8_t buf[65536];
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    rsp_buf_set(&p.pkg, buf, n);
    rsp_euicc_init *in = &p.in;
    snprintf(in->eid, sizeof(in->eid), "89049032123451234512345678901235");
    in->sk_ecasd = p.sk;
    in->sk_ecasd_len = 32;
    in->curve = RSP_CURVE_P256;
    in->cert_ecasd = p.cert.data;
    in->cert_ecasd_len = p.cert.len;
    in->pk_ci = p.pk_ci;
    in->pk_ci_len = 65;
    in->scp80_kvn = 1;
    memset(in->scp80_kic, 0x11, 16);
    memset(in->scp80_kid, 0x22, 16);
    in->scp81_kvn = 0x40;
    memset(in->scp81_psk, 0x33, 16);
    snprintf(in->smsr_msisdn, sizeof(in->smsr_msisdn), "447700900001");
    snprintf(in->smsr_host, sizeof(in->smsr_host), "127.0.0.1");
    in->smsr_port = 8443;
    snprintf(in->smsr_uri, sizeof(in->smsr_uri), "/admin");
    in->profile = p.pkg.data;
    in->profile_len = p.pkg.len;
    snprintf(in->msisdn, sizeof(in->msisdn), "447700900010");
    in->memory = 300000;
    char eid[33];
    if (rsp_eid_complete(in->eid, eid) != RSP_OK)
        abort();
    memcpy(in->eid, eid, 33);
    rsp_ec_free(ci);
    rsp_ec_free(eum);
    rsp_ec_free(ecasd);
    ready = 1;
    return &p;
}

static rsp_euicc_fleet *fz_fleet(rsp_euicc **card)
{
    rsp_euicc_fleet *f = NULL;
    if (rsp_euicc_fleet_create(":memory:", NULL, &f) || rsp_euicc_fleet_add(f, &fz_pki_get()->in, NULL))
        abort();
    *card = rsp_euicc_fleet_at(f, 0);
    return f;
}

/* The invariants of the card: exactly one profile enabled, at most one fall-back and one emergency
 * profile and never the same one, at least one SCP80 key set (the SM-SR can always reach the card),
 * memory never overcommitted. */
static void fz_check_one_enabled(rsp_euicc *c)
{
    rsp_euicc_info info;
    if (rsp_euicc_info_get(c, &info) != RSP_OK)
        abort();
    int n = 0, fb = 0, em = 0;
    for (size_t i = 0; i < info.n_profiles; i++) {
        const rsp_euicc_profile_info *p = &info.profiles[i];
        n += p->lcs == 0x3F;
        fb += p->fallback;
        em += p->emergency;
        if (p->fallback && p->emergency)
            n = -100;
    }
    if (n != 1 || fb > 1 || em > 1 || info.n_scp80 < 1 || info.free_memory < 0) {
        fprintf(stderr, "invariant broken: enabled %d, fall-back %d, emergency %d, SCP80 sets %zu, free %lld\n", n,
                fb, em, info.n_scp80, (long long)info.free_memory);
        abort();
    }
}

#endif
