/* What lies between the demo's servers and its simulated cards (lib/euicc), in one process: the SMS
 * an SMSC would carry (SMS-DELIVER to the card, SMS-SUBMIT back) and the bodies an SCP81 admin session
 * would carry. Later issues put SMPP and HTTPS here; the cards and the codecs stay the same. */
#ifndef RSP_APPS_DEMO_AIR_H
#define RSP_APPS_DEMO_AIR_H

#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/euicc.h"
#include "rsp/ids.h"

/* Wall clock, Unix milliseconds (the card model's time). */
int64_t rsp_demo_now_ms(void);

/* Sends one SCP80 command packet from `from` (the SM-SR's MSISDN) to the card as SMS-DELIVER TPDUs
 * (concatenated with reference ref when it needs more than one) and reassembles the card's
 * SMS-SUBMITs into the PoR, appended to por with its UDH 02 71 00 (the PoR's CC covers it).
 * RSP_ERR_PROTOCOL when the card sent no PoR. */
rsp_err rsp_demo_sms(rsp_euicc *card, const char *from, const uint8_t *pkt, size_t len, uint16_t ref, rsp_buf *por,
                     rsp_diag *diag);

/* The packets the card sent to `to` in out (SMS-SUBMITs, concatenated ones reassembled) whose first
 * part carries IEI want_iei (70: a command packet such as a notification, 71: a PoR): at most max,
 * each into pkts[i] (reset first, owned by the caller), *n their count. RSP_ERR_PROTOCOL for an SMS
 * that is not an SMS-SUBMIT or goes elsewhere. */
rsp_err rsp_demo_collect(rsp_euicc *card, const rsp_euicc_out *out, const char *to, uint8_t want_iei, int64_t now,
                         rsp_buf *pkts, size_t max, size_t *n, rsp_diag *diag);

/* One admin script body for the ISD-P `isdp` (a POST answer of the SCP81 session); resp (reset)
 * gets the card's answer. RSP_ERR_PROTOCOL unless the script status is "ok" and the answer is not
 * an SCP03t error 9F xx. */
rsp_err rsp_demo_admin(rsp_euicc *card, const rsp_aid *isdp, const rsp_buf *body, rsp_buf *resp, rsp_diag *diag);

/* The card's committed account of the ISD-P aidhex; RSP_ERR_NOT_FOUND when it has none. */
rsp_err rsp_demo_card_profile(rsp_euicc *card, const char *aidhex, rsp_euicc_profile_info *out);

/* "created", "disabled", "enabled" for LCS 07, 1F, 3F; else "unknown". */
const char *rsp_demo_lcs_name(uint8_t lcs);

#endif
