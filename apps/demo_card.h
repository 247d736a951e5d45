/* The demo's stand-in card: just enough of an ISD-R/ECASD to answer the demo's commands with the
 * real card-side codecs (SCP80 open + replay check, ES8 key establishment, SCP03t reassembly). The
 * full eUICC simulator replaces it in a later issue. */
#ifndef RSP_APPS_DEMO_CARD_H
#define RSP_APPS_DEMO_CARD_H

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/keyest.h"
#include "rsp/scp03t.h"

typedef struct demo_card {
    char eid[33];
    rsp_eckey *sk_ecasd;          /* SK.ECASD.ECKA */
    const rsp_eckey *pk_ci;       /* borrowed: PK.CI in the ECASD */
    uint8_t kic[16], kid[16];     /* SCP80 keys of the ISD-R, KVN 1 */
    uint8_t cntr[5];              /* last accepted SCP80 counter */
    rsp_keyest_card ke;
    rsp_scp03_keys isdp_keys;
    rsp_scp03t_card dl;
    char enabled_aid[33];
} demo_card;

/* Opens an SCP80 command packet, checks the counter, executes the expanded script (every command
 * answers 9000 and is recorded) and builds the PoR into por. */
rsp_err demo_card_sms(demo_card *c, const uint8_t *pkt, size_t len, rsp_buf *por, rsp_diag *diag);

#endif
