/* SMS carriage of SCP80 (3GPP TS 23.040, TS 31.111, TS 31.115): SMS-DELIVER / SMS-SUBMIT TPDUs with
 * a user data header, concatenation of secured packets, card-side reassembly, and the ENVELOPE
 * (SMS-PP data download) that hands an SMS-DELIVER to the card.
 *
 * Only 8-bit user data is handled (the DCS of OTA is F6): UDL counts octets, UDH included.
 * Parsers borrow: pointers in parsed structs point into the caller's input. */
#ifndef RSP_SMS_H
#define RSP_SMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

enum {
    RSP_SMS_UD_MAX = 140,
    RSP_SMS_ADDR_DIGITS_MAX = 20,
    RSP_SMS_PID_SIM_DOWNLOAD = 0x7F,
    RSP_SMS_DCS_8BIT_CLASS2 = 0xF6,
    RSP_SMS_IEI_CONCAT8 = 0x00,
    RSP_SMS_IEI_CONCAT16 = 0x08,
    RSP_SMS_IEI_CMD_PKT = 0x70,  /* (U)SIM toolkit security header: command packet */
    RSP_SMS_IEI_RESP_PKT = 0x71, /* response packet */
};

/* An address: type of address (81 national/unknown ISDN, 91 international) and its digits.
 * Digits are 0-9 and * # a b c (the BCD extension nibbles A-E). */
typedef struct rsp_sms_addr {
    uint8_t toa;
    char digits[RSP_SMS_ADDR_DIGITS_MAX + 1];
} rsp_sms_addr;

rsp_err rsp_sms_addr_set(rsp_sms_addr *a, uint8_t toa, const char *digits);

typedef enum rsp_sms_type { RSP_SMS_DELIVER = 0, RSP_SMS_SUBMIT = 1 } rsp_sms_type;

typedef struct rsp_sms_tpdu {
    rsp_sms_type type;
    uint8_t fo;              /* first octet; 0 when building means 40 (DELIVER) / 41 (SUBMIT) */
    uint8_t mr;              /* SUBMIT: message reference */
    rsp_sms_addr addr;       /* TP-OA (DELIVER) or TP-DA (SUBMIT) */
    uint8_t pid, dcs;        /* 0 when building means 7F / F6 */
    uint8_t scts[7];         /* DELIVER */
    uint8_t vp[7];           /* SUBMIT: validity period, vp_len 0, 1 (relative) or 7 (absolute) */
    uint8_t vp_len;
    const uint8_t *ud;       /* user data including the UDH; borrowed */
    size_t ud_len;           /* octets, at most 140 */
} rsp_sms_tpdu;

/* Appends the TPDU to out. The UDHI bit is set whenever the first UD byte is to be read as UDHL; the
 * caller's fo is kept as given otherwise. */
rsp_err rsp_sms_tpdu_build(const rsp_sms_tpdu *t, rsp_buf *out);
/* Parses exactly one TPDU. A UDL that disagrees with the octets present is an error (the §A1 sample
 * with UDL 03 is refused: RSP_ERR_LENGTH). 7-bit user data is RSP_ERR_UNSUPPORTED. */
rsp_err rsp_sms_tpdu_parse(const uint8_t *p, size_t len, rsp_sms_tpdu *t, rsp_diag *diag);

/* What a UDH says. */
typedef struct rsp_sms_udh {
    size_t len;        /* UDHL + 1: bytes to skip to reach the payload */
    uint8_t spkt_iei;  /* 70 or 71 when present, else 0 */
    bool concat;
    bool ref16;
    uint16_t ref;
    uint8_t total, seq;
} rsp_sms_udh;

/* Parses the UDH at the start of ud (UDHL first). Unknown IEs are skipped. */
rsp_err rsp_sms_udh_parse(const uint8_t *ud, size_t len, rsp_sms_udh *out, rsp_diag *diag);

/* Splits a secured packet (from CPL, or from RPL with iei 71) into SMS user data parts: a single part
 * `02 iei 00 | pkt` when it fits 140 octets; else part 1 carries `iei 00` and the concatenation IE,
 * later parts only the concatenation IE (8-bit reference `00 03 ref n i`, or 16-bit `08 04 ref n i`).
 * parts[] (max entries, caller-owned, reset here) receive the UDs; *n their count. */
rsp_err rsp_sms_split(const uint8_t *pkt, size_t len, uint8_t iei, uint16_t ref, bool ref16, rsp_buf *parts,
                      size_t max, size_t *n, rsp_diag *diag);

/* Card-side reassembly of concatenated secured packets. Out-of-order parts are held, a repeated part
 * is ignored, and a set that is not complete within timeout_ms of its first part is dropped. Time is
 * the caller's (now_ms); nothing here reads a clock. The struct owns the held parts: free it with
 * rsp_sms_reasm_free. */
enum { RSP_SMS_REASM_SETS = 8 };
typedef struct rsp_sms_reasm_set {
    bool used, ref16;
    uint16_t ref;
    uint8_t total, have, iei;
    uint64_t first_ms;
    char origin[RSP_SMS_ADDR_DIGITS_MAX + 1];
    rsp_buf *parts; /* total entries */
} rsp_sms_reasm_set;

typedef struct rsp_sms_reasm {
    rsp_sms_reasm_set sets[RSP_SMS_REASM_SETS];
    uint64_t timeout_ms;
} rsp_sms_reasm;

void rsp_sms_reasm_init(rsp_sms_reasm *r, uint64_t timeout_ms);
void rsp_sms_reasm_free(rsp_sms_reasm *r);
/* Feeds one user data (UDH first) from origin (may be NULL). When a packet is complete, *done is true,
 * out (reset first) holds the payload concatenated in order and *iei the 70/71 of part 1 (0 if none).
 * A non-concatenated UD completes at once. When all sets are busy the oldest is dropped. */
rsp_err rsp_sms_reasm_add(rsp_sms_reasm *r, const char *origin, const uint8_t *ud, size_t len, uint64_t now_ms,
                          rsp_buf *out, uint8_t *iei, bool *done, rsp_diag *diag);
/* Drops incomplete sets older than the timeout; returns how many were dropped. */
size_t rsp_sms_reasm_expire(rsp_sms_reasm *r, uint64_t now_ms);
/* Sets currently held. */
size_t rsp_sms_reasm_pending(const rsp_sms_reasm *r);

/* ENVELOPE (SMS-PP data download): 80 C2 00 00 Lc | D1 L | 82 02 83 81 | [86 SMSC] | 8B TPDU. */
typedef struct rsp_sms_envelope {
    uint8_t dev_src, dev_dst;  /* device identities, 83 (network) -> 81 (UICC) */
    bool has_smsc;
    rsp_sms_addr smsc;
    const uint8_t *tpdu;       /* borrowed */
    size_t tpdu_len;
} rsp_sms_envelope;

/* Appends the whole ENVELOPE C-APDU (smsc may be NULL). */
rsp_err rsp_sms_envelope_build(const rsp_sms_addr *smsc, const uint8_t *tpdu, size_t len, rsp_buf *out);
/* Accepts the C-APDU (80 C2 ..., with or without Le) or the bare D1 TLV. */
rsp_err rsp_sms_envelope_parse(const uint8_t *p, size_t len, rsp_sms_envelope *out, rsp_diag *diag);

#endif
