/* Identifiers: EID (ISO 7064 mod 97-10), ICCID (Luhn, nibble-swapped BCD), AIDs of the SGP.02 card. */
#ifndef RSP_IDS_H
#define RSP_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"

#define RSP_EID_DIGITS 32
#define RSP_AID_MAX 16

/* Checks a 32-digit EID. RSP_OK if valid; RSP_ERR_FORMAT if not 32 decimal digits; RSP_ERR_CHECKSUM if
 * the last two digits are wrong, with the two expected digits written to expected[3] (if non-NULL). */
rsp_err rsp_eid_check(const char *eid, char expected[3]);
/* Computes the two check digits for the first 30 digits (a 30- or 32-digit string); writes the full
 * 32-digit EID to out[33]. */
rsp_err rsp_eid_complete(const char *digits, char out[33]);
/* EID as 16 bytes of packed BCD (reading order), as in ECASD tag 5A and EIS messages. */
rsp_err rsp_eid_to_bytes(const char *eid, uint8_t out[16]);
rsp_err rsp_eid_from_bytes(const uint8_t in[16], char out[33]);

/* Luhn check digit of a digit string (the string excludes the check digit). Returns -1 if not digits. */
int rsp_luhn_digit(const char *digits, size_t n);
/* Validates an ICCID: 18 to 20 digits with a valid Luhn check digit (last digit).
 * A 20-digit ICCID whose last digit is 'F' padding is not accepted here. */
rsp_err rsp_iccid_check(const char *iccid);
/* ICCID to/from the 10-byte nibble-swapped BCD of EF.ICCID (F padding for odd lengths). */
rsp_err rsp_iccid_to_swapped(const char *iccid, uint8_t out[10]);
rsp_err rsp_iccid_from_swapped(const uint8_t in[10], char out[21]);
/* ICCID to/from 10 bytes in reading order (the profile package header and ES interfaces). */
rsp_err rsp_iccid_to_bcd(const char *iccid, uint8_t out[10]);
rsp_err rsp_iccid_from_bcd(const uint8_t in[10], char out[21]);
/* Generic nibble swap of BCD digits: "1234" <-> 21 43. Odd count gets an F. */
rsp_err rsp_bcd_swap_encode(const char *digits, uint8_t *out, size_t outlen, size_t *written);
rsp_err rsp_bcd_swap_decode(const uint8_t *in, size_t len, char *out, size_t outlen);

/* AIDs. */
typedef struct rsp_aid {
    uint8_t b[RSP_AID_MAX];
    uint8_t len; /* 5..16 */
} rsp_aid;

extern const rsp_aid RSP_AID_ISDR;          /* A0000005591010FFFFFFFF8900000100 */
extern const rsp_aid RSP_AID_ECASD;         /* A0000005591010FFFFFFFF8900000200 */
extern const rsp_aid RSP_AID_ISDP_LOADFILE; /* A0000005591010FFFFFFFF8900000D00 */
extern const rsp_aid RSP_AID_ISDP_MODULE;   /* A0000005591010FFFFFFFF8900000E00 */
extern const rsp_aid RSP_AID_MNO_SD;        /* A000000151000000 */

rsp_err rsp_aid_parse(const char *hex, rsp_aid *out);
rsp_err rsp_aid_from_bytes(const uint8_t *p, size_t len, rsp_aid *out);
void rsp_aid_format(const rsp_aid *aid, char out[2 * RSP_AID_MAX + 1]); /* upper-case hex */
bool rsp_aid_eq(const rsp_aid *a, const rsp_aid *b);
/* ISD-P AID = A0000005591010FFFFFFFF89 || TAR(3) || 00; TAR must be within 000010..00FFFF. */
rsp_err rsp_aid_isdp(uint32_t tar, rsp_aid *out);
/* Extracts the TAR from an ISD-P AID; RSP_ERR_FORMAT if the AID does not have the ISD-P shape. */
rsp_err rsp_aid_isdp_tar(const rsp_aid *aid, uint32_t *tar);

#endif
