/* Making one card of the simulator (lib/euicc), shared by `rsp eum make` (eum_card.c, which adds the
 * signed EIS and the keys-out line) and `rsp demo` (whose SM-SR keeps the keys in its store): random
 * ISD-R keys and SK.ECASD, CERT.ECASD issued by the EUM, the provisioning profile personalised for
 * the card, and rsp_euicc_fleet_add. */
#ifndef RSP_APPS_MFG_CARD_H
#define RSP_APPS_MFG_CARD_H

#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/euicc.h"
#include "rsp/saip.h"

#define RSP_MFG_ECASD_KEY_USAGE 0x80 /* 95 of CERT.ECASD.ECKA: key agreement */

/* What every card of one run shares; all borrowed. */
typedef struct rsp_mfg_run {
    const rsp_eckey *eum_key;      /* private: signs CERT.ECASD (its curve is the ECASD's) */
    const char *eum_id;            /* CA identifier (42) of CERT.ECASD */
    const rsp_buf *cert_eum;       /* CERT.EUM (7F21), stored in the ECASD */
    const uint8_t *pk_ci;          /* PK.CI, RSP_EC_POINT_LEN bytes 04||X||Y */
    const char *today, *expiry;    /* YYYYMMDD: validity of CERT.ECASD */
    const rsp_saip_package *pkg;   /* the provisioning profile, parsed */
    const char *smsr_msisdn, *smsr_host, *smsr_uri;
    uint16_t smsr_port;
    int64_t memory;                /* NVM for profiles, bytes */
    uint8_t scp80_kvn, scp81_kvn;
} rsp_mfg_run;

/* A card's identifiers: its EID and its provisioning profile's ICCID, IMSI and MSISDN. */
typedef struct rsp_mfg_ids {
    char eid[33], iccid[21], imsi[16], msisdn[24];
} rsp_mfg_ids;

/* The card's secrets, drawn at random by rsp_mfg_card: the caller wipes them (rsp_wipe). */
typedef struct rsp_mfg_secrets {
    uint8_t kic[16], kid[16], psk[16];  /* ISD-R: SCP80 KIc/KID, SCP81 PSK */
    uint8_t ki[16], opc[16];            /* of the provisioning profile */
    uint8_t sk_ecasd[RSP_EC_SCALAR_LEN];
} rsp_mfg_secrets;

/* Manufactures the card ids->eid into f (committed unless a rsp_euicc_fleet_begin group is open).
 * *s gets its secrets, cert_ecasd (appended, owned by the caller) its CERT.ECASD.ECKA. */
rsp_err rsp_mfg_card(const rsp_mfg_run *run, const rsp_mfg_ids *ids, rsp_euicc_fleet *f, rsp_mfg_secrets *s,
                     rsp_buf *cert_ecasd, rsp_diag *diag);

#endif
