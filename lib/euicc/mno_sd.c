/* ES6 on the card: an SCP80 packet for the enabled profile's MNO-SD (SGP.02: the Operator's own OTA
 * channel, the SM-SR not in the path). The TAR picks the receiver: an RFM TAR of the profile's rfm
 * elements (file system of the profile) or a TAR of the MNO-SD itself, from its toolkit parameters
 * (RAM: GET STATUS). The keys are the
 * MNO-SD's, from the package's securityDomain element, chosen by the KVN of KIc/KID; the replay
 * counter is the profile's own (eu_profile.ota_*), not the ISD-R's. An accepted packet's counter and
 * the files its script changed are committed in one transaction before the PoR leaves; a refused one
 * changes nothing and is answered with its status, unsecured. A disabled profile's MNO-SD does not
 * exist for the network: its TARs are unknown (09), as are those of a package without rfm elements
 * (the TS.48 NoRAMRFM variants). */
#include <stdlib.h>
#include <string.h>

#include "mno_sd.h"
#include "rsp/log.h"
#include "rsp/rapdu.h"

/* The RFM instance (or the MNO-SD itself) tar names in the enabled profile's package. */
typedef struct route {
    bool found, ram, adf;
    uint8_t min_security;
} route;

static route route_of(const rsp_saip_package *pkg, uint32_t tar)
{
    route r = {0};
    rsp_saip_rfm rfm[8];
    size_t n = 0;
    if (rsp_saip_rfm_list(pkg, rfm, 8, &n, NULL) != RSP_OK)
        n = 0;
    for (size_t i = 0; i < n && !r.found; i++)
        for (size_t j = 0; j < rfm[i].n_tars; j++)
            if (rfm[i].tars[j] == tar) {
                r.found = true;
                r.adf = rfm[i].has_adf;
                r.min_security = rfm[i].min_security;
            }
    uint32_t sd[8];
    uint8_t msl = 0;
    if (!r.found && rsp_saip_sd_tars(pkg, sd, 8, &n, &msl) == RSP_OK)
        for (size_t j = 0; j < n && !r.found; j++)
            if (sd[j] == tar) {
                r.found = r.ram = true;
                r.min_security = msl;
            }
    return r;
}

/* minimumSecurityLevel (TS 102 226 8.2.1.3.2.4.2) is coded as SPI byte 1: the packet must carry at
 * least that checksum, ciphering if asked, and a counter mode at least as strict. */
static bool secure_enough(const uint8_t spi[2], uint8_t msl)
{
    uint8_t chk = spi[0] & RSP_SCP80_SPI1_CHK_MASK, need = msl & RSP_SCP80_SPI1_CHK_MASK;
    if (chk == RSP_SCP80_CHK_NONE || chk < need)
        return false;
    if ((msl & RSP_SCP80_SPI1_CIPHER) && !(spi[0] & RSP_SCP80_SPI1_CIPHER))
        return false;
    return (spi[0] & 0x18) >= (msl & 0x18);
}

static uint8_t *cntr_slot(eu_profile *p, uint8_t kvn, bool add)
{
    for (unsigned i = 0; i < p->ota_n; i++)
        if (p->ota_kvn[i] == kvn)
            return p->ota_cntr[i];
    if (!add || p->ota_n >= EU_OTA_KEYSETS)
        return NULL;
    p->ota_kvn[p->ota_n] = kvn;
    memset(p->ota_cntr[p->ota_n], 0, 5);
    return p->ota_cntr[p->ota_n++];
}

/* Runs the script: an R-APDU script in the command's format, or the "bad format" answer (90). */
static rsp_err run(eu_rfm *s, const uint8_t *p, size_t len, rsp_buf *resp)
{
    static const uint8_t bad[] = {0xAB, 0x03, 0x90, 0x01, 0x01};
    rsp_rapdu_script *sc = malloc(sizeof(*sc));
    if (!sc)
        return RSP_ERR_NOMEM;
    rsp_rapdu_format f = rsp_rapdu_detect(p, len);
    rsp_err e = rsp_rapdu_script_parse(f, p, len, sc, NULL);
    if (!e)
        e = rsp_rapdu_execute(sc, eu_rfm_exec, s, resp);
    free(sc);
    if (e == RSP_ERR_NOMEM)
        return e;
    if (e) {
        resp->len = 0;
        return f == RSP_RAPDU_COMPACT ? RSP_OK : rsp_buf_append(resp, bad, sizeof(bad));
    }
    return RSP_OK;
}

typedef struct pkt_ctx {
    rsp_euicc *c;
    const char *from;
    rsp_euicc_out *out;
    rsp_scp80_hdr h;
    rsp_buf pkg, newpkg, resp;
    eu_efs fs;
    bool fs_loaded;
    rsp_saip_sd_keys ks;
    uint8_t *work;
    size_t work_len;
} pkt_ctx;

static void ctx_free(pkt_ctx *x)
{
    if (x->fs_loaded)
        eu_efs_free(&x->fs);
    rsp_buf_free_secret(&x->pkg); /* holds Ki/OPc */
    rsp_buf_free_secret(&x->newpkg);
    rsp_buf_free(&x->resp);
    rsp_saip_sd_keys_wipe(&x->ks);
    if (x->work)
        rsp_wipe(x->work, x->work_len);
    free(x->work);
}

static rsp_err refuse(pkt_ctx *x, uint8_t status)
{
    RSP_LOGI(RSP_SS_EUICC, "ES6 packet refused", "eid=%s tar=%02X%02X%02X status=%s", x->c->eid, x->h.tar[0],
             x->h.tar[1], x->h.tar[2], rsp_scp80_status_name(status));
    return eu_por_send(x->c, NULL, &x->h, status, NULL, 0, x->from, x->out);
}

static rsp_err handle(pkt_ctx *x, const uint8_t *pkt, size_t len, rsp_diag *diag)
{
    rsp_euicc *c = x->c;
    uint32_t tar = rsp_be24(x->h.tar);
    eu_profile *p = eu_profile_enabled(c->st);
    if (!p || eu_db_pkg_get(c->f->db, c->eid, p->tar, &x->pkg) != RSP_OK)
        return refuse(x, RSP_SCP80_TAR_UNKNOWN); /* no enabled profile, or one we hold no package of */
    /* Only the package's elements until the packet is authenticated: a refused packet (wrong TAR,
     * key, checksum, counter) costs no file lay-out. */
    if (eu_efs_open(x->pkg.data, x->pkg.len, &x->fs, diag) != RSP_OK)
        return refuse(x, RSP_SCP80_TAR_UNKNOWN);
    x->fs_loaded = true;
    route r = route_of(&x->fs.pkg, tar);
    if (!r.found)
        return refuse(x, RSP_SCP80_TAR_UNKNOWN);
    uint8_t kvn = (x->h.kic >> 4) ? (uint8_t)(x->h.kic >> 4) : (uint8_t)(x->h.kid >> 4);
    if (!kvn || rsp_saip_sd_keys_get(&x->fs.pkg, kvn, &x->ks, NULL) != RSP_OK)
        return refuse(x, RSP_SCP80_SECURITY_ERROR); /* no such key set in this MNO-SD */
    rsp_scp80_keys k = {x->ks.kic, x->ks.kic_len, x->ks.kid, x->ks.kid_len};
    if (!(x->work = malloc(len)))
        return RSP_ERR_NOMEM;
    x->work_len = len;
    rsp_scp80_cmd cmd;
    memset(&cmd, 0, sizeof(cmd));
    rsp_err e = rsp_scp80_cmd_open(&k, pkt, len, x->work, len, &cmd, NULL);
    if (e)
        return refuse(x, cmd.status ? cmd.status : RSP_SCP80_SECURITY_ERROR);
    x->h = cmd.h; /* the counter was ciphered: only now is it known */
    if (!secure_enough(x->h.spi, r.min_security))
        return refuse(x, RSP_SCP80_LOW_SECURITY);
    uint8_t zero[5] = {0}, status = RSP_SCP80_POR_OK;
    const uint8_t *stored = cntr_slot(p, kvn, false);
    if (rsp_scp80_counter_check(x->h.spi, stored ? stored : zero, x->h.cntr, &status) != RSP_OK || status)
        return refuse(x, status ? status : RSP_SCP80_SECURITY_ERROR);
    if (eu_efs_lay_out(&x->fs, diag) != RSP_OK) {
        x->fs_loaded = false;
        return refuse(x, RSP_SCP80_TAR_UNKNOWN); /* nothing spent yet: the counter moves below */
    }
    /* Accepted: from here the counter is spent, whatever the script does. */
    eu_rfm s;
    eu_rfm_init(&s, &x->fs, &x->fs.pkg, r.ram, r.adf);
    if ((e = run(&s, cmd.data, cmd.data_len, &x->resp)) != RSP_OK)
        return e;
    if (rsp_scp80_spi_cntr_mode(x->h.spi) != RSP_SCP80_CNTR_NONE) {
        uint8_t *slot = cntr_slot(p, kvn, true);
        if (!slot)
            return refuse(x, RSP_SCP80_NO_MEMORY);
        memcpy(slot, x->h.cntr, 5);
    }
    uint32_t pkg_tar = 0;
    if (x->fs.dirty) {
        if ((e = eu_efs_encode(&x->fs, &x->newpkg, diag)) != RSP_OK) {
            eu_card_reload(c); /* the counter moved in RAM only: back to NVM */
            return refuse(x, RSP_SCP80_NO_MEMORY);
        }
        pkg_tar = p->tar;
        p->used = (int64_t)x->newpkg.len;
    }
    if (eu_commit_pkg(c, pkg_tar, x->newpkg.data, x->newpkg.len) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_IO, "card %s: ES6 state not committed, nothing answered", c->eid);
    return eu_por_send(c, &k, &x->h, RSP_SCP80_POR_OK, x->resp.data, x->resp.len, x->from, x->out);
}

rsp_err eu_mnosd_packet(rsp_euicc *c, const char *from, const rsp_scp80_hdr *h, const uint8_t *pkt, size_t len,
                        int64_t now, rsp_euicc_out *out, bool *handled, rsp_diag *diag)
{
    (void)now;
    *handled = false;
    uint32_t tar = rsp_be24(h->tar);
    if (tar == EU_TAR_ISDR || tar == EU_TAR_ECASD || eu_profile_by_tar(c->st, tar))
        return RSP_OK; /* the ISD-R's key sets and counter (ota.c) */
    *handled = true;
    pkt_ctx x;
    memset(&x, 0, sizeof(x));
    x.h = *h;
    x.c = c;
    x.from = from;
    x.out = out;
    rsp_err e = handle(&x, pkt, len, diag);
    ctx_free(&x);
    return e;
}
