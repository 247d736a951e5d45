/* Internals of `rsp eum` shared by cmd_eum.c (make), eum_card.c (one card: mfg_card.c plus its EIS) and
 * eum_verify.c. */
#ifndef RSP_APPS_EUM_INT_H
#define RSP_APPS_EUM_INT_H

#include <stdint.h>

#include "eum_wrap.h"
#include "mfg_card.h"
#include "pki_files.h"
#include "rsp/es.h"
#include "rsp/euicc.h"
#include "rsp/saip.h"

#define RSP_EUM_SCP80_KVN 0x01
#define RSP_EUM_SCP81_KVN 0x40
#define RSP_EUM_SCP81_KEY_ID 0x01
#define RSP_EUM_ECASD_KVN 0x73      /* KeySet Version of the ECASD certificates in the EIS */

/* What every card of one run shares. Owned pieces are freed by cmd_eum.c. */
typedef struct rsp_eum_ctx {
    rsp_pki_role ci, eum;
    uint8_t pk_ci[RSP_EC_POINT_LEN];
    char today[9], expiry[9];      /* YYYYMMDD: ECASD certificate validity (expiry = the EUM's) */
    char production_date[21];      /* xs:dateTime of this run */
    rsp_buf pkg_der;               /* the provisioning profile package as given */
    rsp_saip_package pkg;          /* parsed, borrowing pkg_der */
    const char *smsr_id, *mno_id, *platform_type, *platform_version;
    rsp_eum_wrap *wrap;
    const char *wrap_name;         /* AdditionalProperty keyWrapping */
    int64_t memory;
    char smsr_msisdn[24], smsr_host[256], smsr_uri[256];
    uint16_t smsr_port;
    uint8_t isdp_aid[16];          /* of the provisioning profile, as the first card reported it */
    bool has_isdp_aid;
} rsp_eum_ctx;

/* The card's identifiers (the card itself is made by mfg_card.c, shared with `rsp demo`). */
typedef rsp_mfg_ids rsp_eum_ids;

/* Manufactures one card into f and builds its signed EIS (msg, owned by the caller: rsp_es_msg_free)
 * and its keys-out JSON line (appended to keys, which the caller wipes). */
rsp_err rsp_eum_card_make(rsp_eum_ctx *x, const rsp_eum_ids *ids, rsp_euicc_fleet *f, rsp_es_msg *msg,
                          rsp_buf *keys, rsp_diag *diag);

/* start + k as a decimal string of the same length (out has room for it). RSP_ERR_RANGE on overflow,
 * RSP_ERR_FORMAT when start is not digits. */
rsp_err rsp_eum_digits_add(const char *start, uint64_t k, char *out, size_t cap);

/* The identifiers of card i: EID = eid_body (30 digits) + i with its check digits, ICCID = iccid_body
 * + i with its Luhn digit, IMSI and MSISDN = start + i (same lengths). RSP_ERR_RANGE when they overflow. */
rsp_err rsp_eum_ids_at(const char *eid_body, const char *iccid_body, const char *imsi_start,
                       const char *msisdn_start, uint64_t i, rsp_eum_ids *ids);

int rsp_eum_cmd_verify(int argc, char **argv);
/* `rsp eum make --sgp22` (eum_sgp22.c): consumer cards in the folder layout of rsp_es10_card_load. */
int rsp_eum_make_sgp22(int argc, char **argv);

#endif
