/* ISO 7816-4 command and response APDUs, short form (cases 1 to 4).
 *
 * Parsing never copies: rsp_apdu.data points into the caller's buffer, which must outlive it.
 * Builders append to a caller-owned rsp_buf. */
#ifndef RSP_APDU_H
#define RSP_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

typedef struct rsp_apdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data; /* borrowed; NULL when lc == 0 */
    size_t lc;           /* 0..255 */
    bool has_le;
    unsigned le;         /* 1..256 (an Le byte of 00 means 256) */
    int apdu_case;       /* 1, 2, 3 or 4 */
} rsp_apdu;

/* Parses one complete short C-APDU occupying exactly len bytes (4, 5, 5+Lc or 6+Lc). */
rsp_err rsp_apdu_parse(const uint8_t *p, size_t len, rsp_apdu *out, rsp_diag *diag);

/* Parses the next C-APDU of a concatenation, as in the TS 102 226 compact format, which uses T=0
 * TPDU rules: one P3 byte that is Le for outgoing commands (case 2) and Lc otherwise (case 3; case 4
 * commands carry no Le and their data is fetched with GET RESPONSE). Whether INS is outgoing is
 * decided by rsp_apdu_ins_outgoing. *consumed gets the bytes used. */
rsp_err rsp_apdu_next_t0(const uint8_t *p, size_t len, rsp_apdu *out, size_t *consumed, rsp_diag *diag);
/* True for the INS values of case 2 commands (READ BINARY, READ RECORD, GET RESPONSE, GET DATA,
 * FETCH, GET CHALLENGE, ...). */
bool rsp_apdu_ins_outgoing(uint8_t cla, uint8_t ins);

/* Appends a short C-APDU. lc 0 with data NULL for cases 1/2; has_le selects cases 2/4; le 1..256. */
rsp_err rsp_apdu_build(rsp_buf *out, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                       size_t lc, bool has_le, unsigned le);
/* Appends the encoding of a parsed C-APDU (round trip of rsp_apdu_parse). */
rsp_err rsp_apdu_encode(rsp_buf *out, const rsp_apdu *a);

/* Splits an R-APDU (data || SW1 SW2) into a borrowed data view and the status word. */
rsp_err rsp_apdu_resp_split(const uint8_t *p, size_t len, rsp_bytes *data, uint16_t *sw, rsp_diag *diag);
/* Appends data || SW. */
rsp_err rsp_apdu_resp_build(rsp_buf *out, const uint8_t *data, size_t len, uint16_t sw);

/* True for the status words after which a script goes on (TS 102 226 stop-on-error rule):
 * 9000, 61xx, 62xx, 63xx. */
bool rsp_apdu_sw_continues(uint16_t sw);

#endif
