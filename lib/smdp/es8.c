/* The SM-DP's ES8 session toward one ISD-P: Scenario#3 key establishment (two STORE DATA), then the
 * profile package through SCP03t (84 init, 85 auth + 86 segments), SEGMENTS_PER_SEND 86 segments per
 * SendData so a download is SendData x n. The session keys live only here, in memory, and are wiped on close:
 * a download interrupted after key establishment cannot resume (docs/modules/smdp.md). */
#include <string.h>

#include "rsp/gpcert.h"
#include "rsp/saip.h"
#include "smdp_int.h"

/* 86 segments per SendData. Each ES3.SendData is a durable operation at the SM-SR (two commits there,
 * one or two at the card) and an HTTPS round trip here, most of every side's CPU per download, so the
 * package goes in as few as every SM-SR path takes: four 1,024-byte segments wrap to 4 x 1,052 bytes
 * (+ the 85 block in the first), one SCP80 packet of 32 concatenated SMS when the SM-SR has no admin
 * session (it takes 40 parts, RSP_SMSR_MAX_PARTS; the card reassembles 255) and under its 8 KiB SCP03t
 * body limit over HTTPS (es3_dl.c DL_SCP03T_MAX). A TS.48 package (12 KB) goes in 4 SendData instead
 * of 7 with two: `rsp bench download` counts 12 SM-SR and 13 card commits per download instead of 16
 * and 18. The card reads the TLVs of one command in order (lib/card/scp03t.c), as it does 85 + 86
 * already. SGP02.md says nothing of how many per call. */
#define SEGMENTS_PER_SEND 4

rsp_err rsp_smdp_es8_open(rsp_smdp_es8_session *s, const rsp_eckey *sk_dp, const uint8_t *cert_dp,
                          size_t cert_dp_len, const uint8_t *cert_ecasd, size_t cert_ecasd_len, uint8_t kvn,
                          rsp_diag *diag)
{
    if (!s || !sk_dp || !cert_dp || !cert_ecasd)
        return RSP_ERR_INVAL;
    memset(s, 0, sizeof *s);
    rsp_gpcert c;
    rsp_err e = rsp_gpcert_decode(cert_ecasd, cert_ecasd_len, &c, diag);
    e = e ? e : rsp_gpcert_public_key(&c, rsp_ec_curve(sk_dp), &s->pk_ecasd);
    if (e != RSP_OK)
        return e;
    s->sk_dp = sk_dp;
    s->cert_dp = cert_dp;
    s->cert_dp_len = cert_dp_len;
    s->kvn = kvn ? kvn : 0x30;
    return RSP_OK;
}

void rsp_smdp_es8_close(rsp_smdp_es8_session *s)
{
    if (!s)
        return;
    rsp_keyest_host_close(&s->h);
    rsp_scp03_close(&s->scp);
    rsp_ec_free(s->pk_ecasd);
    rsp_wipe(s, sizeof *s);
}

static rsp_err es8_keyest(void *arg, unsigned n, const rsp_buf *prev, rsp_buf *out, rsp_diag *diag)
{
    rsp_smdp_es8_session *s = arg;
    if (n == 0)
        return rsp_keyest_host_cert_apdu(s->cert_dp, s->cert_dp_len, out);
    rsp_err e;
    if (n == 1) {
        rsp_keyest_params p = {0, 0, 16, 0, s->kvn, false, NULL, 0, NULL, 0};
        e = rsp_keyest_host_challenge(&s->h, prev->data, prev->len, diag);
        return e ? e : rsp_keyest_host_keyagree_apdu(&s->h, &p, s->sk_dp, rsp_ec_curve(s->sk_dp), out);
    }
    e = rsp_keyest_host_finish(&s->h, s->pk_ecasd, prev->data, prev->len, &s->keys, diag);
    rsp_keyest_host_close(&s->h);
    return e;
}

static rsp_err es8_load(void *arg, const rsp_buf *pkg, unsigned n, const rsp_buf *prev, rsp_buf *out, bool *last,
                        rsp_diag *diag)
{
    rsp_smdp_es8_session *s = arg;
    *last = false;
    if (n == 0) {
        rsp_err e = rsp_random(s->hc, sizeof s->hc);
        return e ? e : rsp_scp03t_host_init(s->keys.kvn, 0x01, s->hc, out);
    }
    rsp_err e = RSP_OK;
    if (n == 1) {
        e = rsp_scp03t_host_begin(&s->scp, &s->keys, s->hc, prev->data, prev->len, diag);
        e = e ? e : rsp_scp03t_host_auth(&s->scp, 0x33, out);
    }
    const size_t chunk = (size_t)SEGMENTS_PER_SEND * RSP_SCP03T_SEGMENT;
    size_t off = (size_t)(n - 1) * chunk;
    if (e != RSP_OK || off >= pkg->len)
        return e ? e : RSP_ERR_INTERNAL;
    size_t len = pkg->len - off < chunk ? pkg->len - off : chunk;
    e = rsp_scp03t_host_wrap(&s->scp, pkg->data + off, len, RSP_SCP03T_SEGMENT, out);
    *last = off + len == pkg->len;
    return e;
}

/* The card's EUICCResponse decides: every PEStatus ok and no abort. */
static rsp_err es8_installed(void *arg, const rsp_buf *resp, rsp_diag *diag)
{
    (void)arg;
    rsp_saip_euicc_response r;
    if (!resp->len)
        return rsp_diag_set(diag, RSP_ERR_PROTOCOL, "no EUICCResponse after the last segment");
    if (resp->len == 2 && resp->data[0] == 0x9F)
        return rsp_diag_set(diag, RSP_ERR_PROTOCOL, "SCP03t refused by the ISD-P (9F %02X)", resp->data[1]);
    rsp_err e = rsp_saip_euicc_response_decode(resp->data, resp->len, &r, diag);
    if (e != RSP_OK)
        return e;
    for (size_t i = 0; i < r.n_pe_status && e == RSP_OK; i++)
        if (r.pe_status[i].status != RSP_SAIP_ST_OK) {
            const char *nm = rsp_saip_status_name(r.pe_status[i].status);
            e = rsp_diag_set(diag, RSP_ERR_STATE, "EUICCResponse: %s (%u)", nm ? nm : "status",
                             (unsigned)r.pe_status[i].status);
        }
    if (e == RSP_OK && r.installation_aborted)
        e = rsp_diag_set(diag, RSP_ERR_STATE, "EUICCResponse: installation aborted");
    rsp_saip_euicc_response_free(&r);
    return e;
}

rsp_smdp_es8 rsp_smdp_es8_of(rsp_smdp_es8_session *s)
{
    return (rsp_smdp_es8){s, es8_keyest, es8_load, es8_installed};
}
