/* What a profile package says about its own OTA domain (ES6): the MNO-SD's key sets (securityDomain
 * element, keyList) and the RFM instances (rfm elements: TARs, minimum security level, ADF access).
 * Both the card model (routing an SCP80 packet to the enabled profile's MNO-SD) and the Operator's
 * `rsp op ota --keys-from PACKAGE` read them here, so the two cannot read the package differently.
 *
 * Ownership: results borrow from the package (rsp_bytes into the caller's bytes) except the key
 * bytes, which are copied into the caller's struct: wipe it (rsp_saip_sd_keys_wipe) after use. */
#ifndef RSP_SAIP_SD_H
#define RSP_SAIP_SD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/saip.h"

enum {
    RSP_SAIP_TAG_SD = 0xA6,
    RSP_SAIP_TAG_RFM = 0xA7,
    RSP_SAIP_KEY_MAX = 32,
    RSP_SAIP_RFM_TARS = 8,
};

/* keyType of a key component (GP Card Spec table 11-16): 80 DES (and 3DES), 88 AES. */
enum { RSP_SAIP_KEYTYPE_DES = 0x80, RSP_SAIP_KEYTYPE_AES = 0x88 };

/* One key set of the MNO-SD: key identifiers 01 (KIc / ENC), 02 (KID / MAC), 03 (DEK). */
typedef struct rsp_saip_sd_keys {
    uint8_t kvn;
    uint8_t type;               /* keyType of the KIc/KID components */
    uint8_t kic[RSP_SAIP_KEY_MAX], kid[RSP_SAIP_KEY_MAX];
    size_t kic_len, kid_len;
} rsp_saip_sd_keys;

/* The key set kvn (0: the first one listed) of the first securityDomain element. RSP_ERR_NOT_FOUND
 * when the package has no securityDomain element or no complete KIc/KID pair of that version;
 * RSP_ERR_FORMAT (diag) for a keyList that does not parse. */
rsp_err rsp_saip_sd_keys_get(const rsp_saip_package *pkg, uint8_t kvn, rsp_saip_sd_keys *out, rsp_diag *diag);
void rsp_saip_sd_keys_wipe(rsp_saip_sd_keys *k);

/* The MNO-SD's instance AID (instance, third 4F) into aid (16 bytes), its length in *len. */
rsp_err rsp_saip_sd_aid(const rsp_saip_package *pkg, uint8_t aid[16], size_t *len);

/* The MNO-SD's own TARs (RAM): the TAR values of the uiccToolkitApplicationSpecificParametersField in
 * its instance's applicationParameters (TS 102 226 8.2.1.3.2.2.1: priority, timers, menu text length,
 * menu entries, channels, minimum security level LV, TAR values LV). TS.48: B20100 and 000000. The
 * NoRAMRFM packages carry no such field: the MNO-SD then has no TAR (RSP_ERR_NOT_FOUND). */
rsp_err rsp_saip_sd_tars(const rsp_saip_package *pkg, uint32_t *tars, size_t max, size_t *n, uint8_t *min_security);

/* One rfm element. */
typedef struct rsp_saip_rfm {
    rsp_bytes instance_aid;
    uint32_t tars[RSP_SAIP_RFM_TARS];
    size_t n_tars;
    uint8_t min_security;       /* minimumSecurityLevel: the SPI byte 1 bits the packet must carry */
    bool has_adf;               /* adfRFMAccess present: the instance works on that ADF */
    rsp_bytes adf_aid;
} rsp_saip_rfm;

/* The rfm elements in package order (at most max; more are ignored). */
rsp_err rsp_saip_rfm_list(const rsp_saip_package *pkg, rsp_saip_rfm *out, size_t max, size_t *n, rsp_diag *diag);

#endif
