/* SCP80 (ETSI TS 102 225 / 3GPP TS 31.115): secured command packets and responses (PoR), both roles.
 *
 * Server role: rsp_scp80_cmd_build wraps secured data; rsp_scp80_por_open verifies a PoR.
 * Card role: rsp_scp80_cmd_peek reads the clear header (to find keys by TAR/KIc/KID),
 * rsp_scp80_cmd_open deciphers and checks it, rsp_scp80_counter_check applies the replay rule and
 * rsp_scp80_por_build answers.
 *
 * Command packets are handled from CPL on (the UDH 02 70 00 is the SMS layer's business; the command
 * CC does not cover it). PoRs are built as SMS user data including the UDH 02 71 00, because the PoR
 * CC covers it; rsp_scp80_por_open accepts a PoR with or without that UDH.
 *
 * Nothing here allocates: every function writes into caller-provided buffers. Keys are borrowed for
 * the duration of a call and never kept or logged. */
#ifndef RSP_SCP80_H
#define RSP_SCP80_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"

enum {
    RSP_SCP80_TAR_LEN = 3,
    RSP_SCP80_CNTR_LEN = 5,
    RSP_SCP80_CMD_HDR_MIN = 16,   /* CPL..PCNTR without checksum */
    RSP_SCP80_POR_UDH_LEN = 3,    /* 02 71 00 */
    /* Worst-case growth of secured data: header, 8-byte checksum, up to 15 bytes of padding, UDH. */
    RSP_SCP80_OVERHEAD = 3 + 16 + 8 + 15,
};

/* SPI byte 1 */
#define RSP_SCP80_SPI1_CHK_MASK 0x03 /* 00 none, 01 RC, 10 CC, 11 DS */
#define RSP_SCP80_SPI1_CIPHER 0x04
#define RSP_SCP80_SPI1_CNTR_SHIFT 3  /* b5b4 */
/* SPI byte 2 */
#define RSP_SCP80_SPI2_POR_MASK 0x03   /* 00 none, 01 required, 10 only on error */
#define RSP_SCP80_SPI2_POR_CHK_SHIFT 2 /* b4b3: RC/CC/DS on the PoR */
#define RSP_SCP80_SPI2_POR_CIPHER 0x10
#define RSP_SCP80_SPI2_POR_SUBMIT 0x20 /* PoR by SMS-SUBMIT, else in the ENVELOPE response */

typedef enum rsp_scp80_chk { RSP_SCP80_CHK_NONE = 0, RSP_SCP80_CHK_RC = 1, RSP_SCP80_CHK_CC = 2, RSP_SCP80_CHK_DS = 3 } rsp_scp80_chk;

typedef enum rsp_scp80_cntr_mode {
    RSP_SCP80_CNTR_NONE = 0,       /* no counter available */
    RSP_SCP80_CNTR_NOCHECK = 1,    /* counter present, not checked */
    RSP_SCP80_CNTR_HIGHER = 2,     /* must be higher than the stored one */
    RSP_SCP80_CNTR_ONE_HIGHER = 3, /* must be exactly one higher */
} rsp_scp80_cntr_mode;

/* Response status codes (PoR byte RSC). */
#define RSP_SCP80_STATUS_LIST(X)                          \
    X(0x00, RSP_SCP80_POR_OK, "por-ok")                    \
    X(0x01, RSP_SCP80_CHK_FAILED, "rc-cc-ds-failed")       \
    X(0x02, RSP_SCP80_CNTR_LOW, "cntr-low")                \
    X(0x03, RSP_SCP80_CNTR_HIGH, "cntr-high")              \
    X(0x04, RSP_SCP80_CNTR_BLOCKED, "cntr-blocked")        \
    X(0x05, RSP_SCP80_CIPHER_ERROR, "ciphering-error")     \
    X(0x06, RSP_SCP80_SECURITY_ERROR, "unidentified-security-error") \
    X(0x07, RSP_SCP80_NO_MEMORY, "insufficient-memory")    \
    X(0x08, RSP_SCP80_MORE_TIME, "more-time")              \
    X(0x09, RSP_SCP80_TAR_UNKNOWN, "tar-unknown")          \
    X(0x0A, RSP_SCP80_LOW_SECURITY, "insufficient-security-level") \
    X(0x0B, RSP_SCP80_BY_SUBMIT, "response-by-sms-submit") \
    X(0x0C, RSP_SCP80_BY_USSD, "response-by-ussd")

typedef enum rsp_scp80_status {
#define RSP_SCP80_ST_ENUM_(v, id, name) id = v,
    RSP_SCP80_STATUS_LIST(RSP_SCP80_ST_ENUM_)
#undef RSP_SCP80_ST_ENUM_
} rsp_scp80_status;

/* Stable name of a status code ("cntr-low"); "reserved" for codes not in the table. */
const char *rsp_scp80_status_name(uint8_t status);

/* Keys of one call (borrowed). kic is needed when ciphering is used in either direction, kid for
 * RC-less checksums. Lengths: DES 8, 3DES 16/24, AES 16/24/32, as the KIc/KID low nibble says. */
typedef struct rsp_scp80_keys {
    const uint8_t *kic;
    size_t kic_len;
    const uint8_t *kid;
    size_t kid_len;
} rsp_scp80_keys;

/* The clear header of a command packet. */
typedef struct rsp_scp80_hdr {
    uint8_t spi[2];
    uint8_t kic, kid;
    uint8_t tar[RSP_SCP80_TAR_LEN];
    uint8_t cntr[RSP_SCP80_CNTR_LEN];
    /* Checksum length: 0 = natural length (RC 2/4 by KID, CC 8). 4 selects the short AES-CMAC. */
    uint8_t cc_len;
    /* Padding byte style for ciphering: 0 pads with 00, 1 with 80 00.. (the receiver uses PCNTR). */
    uint8_t pad80;
} rsp_scp80_hdr;

/* A command packet opened on the card. Pointers borrow from the work buffer given to _open. */
typedef struct rsp_scp80_cmd {
    rsp_scp80_hdr h;
    uint16_t cpl;
    uint8_t chl;
    uint8_t pcntr;
    uint8_t cc[8];
    uint8_t cc_len;        /* as present in the packet (from CHL) */
    bool cc_valid;         /* meaningful when cc_len > 0 and the keys allowed a check */
    uint8_t status;        /* suggested PoR status for this packet (00 when everything verified) */
    const uint8_t *data;   /* secured data without padding */
    size_t data_len;
} rsp_scp80_cmd;

/* A PoR as opened by the server. Pointers borrow from the work buffer given to _open. */
typedef struct rsp_scp80_por {
    uint16_t rpl;
    uint8_t rhl;
    uint8_t tar[RSP_SCP80_TAR_LEN];
    uint8_t cntr[RSP_SCP80_CNTR_LEN];
    uint8_t pcntr;
    uint8_t status;
    uint8_t cc[8];
    uint8_t cc_len;
    bool ciphered;         /* whether it was found ciphered */
    bool cc_valid;
    const uint8_t *data;
    size_t data_len;
} rsp_scp80_por;

/* Padding SCP80 adds so that a ciphered part of len bytes fills whole blocks (PCNTR). */
static inline size_t rsp_scp80_pad_len(size_t len, size_t block) { return (block - len % block) % block; }

/* The checksum primitive on a contiguous message of at least 16 bytes: RC (CRC16/32 by the KID
 * nibble), or CC with the KID algorithm (DES/3DES CBC-MAC, AES-CMAC truncated to cc_len). */
rsp_err rsp_scp80_checksum(uint8_t chk, uint8_t kid, const uint8_t *key, size_t keylen, uint8_t cc_len,
                           const uint8_t *msg, size_t len, uint8_t *out, rsp_diag *diag);

/* Checksum length the SPI and KID imply (RC: 2 for KID nibble 1, 4 for 5; CC: 8, or hdr->cc_len). */
rsp_err rsp_scp80_chk_len(uint8_t chk, uint8_t kid, uint8_t cc_len_opt, uint8_t *out);
rsp_scp80_cntr_mode rsp_scp80_spi_cntr_mode(const uint8_t spi[2]);

/* Server: builds the command packet from CPL on into out (cap bytes). Size needed is at most
 * len + RSP_SCP80_OVERHEAD. */
rsp_err rsp_scp80_cmd_build(const rsp_scp80_keys *k, const rsp_scp80_hdr *h, const uint8_t *data, size_t len,
                            uint8_t *out, size_t cap, size_t *out_len, rsp_diag *diag);

/* Card: reads CPL..TAR in clear (no keys needed) and checks the lengths. */
rsp_err rsp_scp80_cmd_peek(const uint8_t *pkt, size_t len, rsp_scp80_hdr *h, rsp_diag *diag);
/* Card: deciphers into work (cap >= len; may be pkt itself for in-place) and checks the checksum.
 * Returns RSP_OK when it verified (or there was none), RSP_ERR_VERIFY on a bad checksum (out filled,
 * out->status = 01), format errors otherwise (out->status says which status to answer). A NULL key
 * for a required operation is RSP_ERR_INVAL. */
rsp_err rsp_scp80_cmd_open(const rsp_scp80_keys *k, const uint8_t *pkt, size_t len, uint8_t *work, size_t cap,
                           rsp_scp80_cmd *out, rsp_diag *diag);

/* Card: the replay rule. stored is the last accepted counter. *status gets 00, 02 (low), 03 (high:
 * more than one higher in mode ONE_HIGHER) or 04 (blocked: stored is at its maximum). Returns RSP_OK
 * or RSP_ERR_REPLAY. The caller stores recv after a successful check. */
rsp_err rsp_scp80_counter_check(const uint8_t spi[2], const uint8_t stored[RSP_SCP80_CNTR_LEN],
                                const uint8_t recv[RSP_SCP80_CNTR_LEN], uint8_t *status);

/* Card: builds the PoR (SMS UD including 02 71 00) answering the command header cmd (its SPI, KIc,
 * KID, TAR, CNTR). A status of 00, 07, 08, 0B or 0C is secured as SPI byte 2 asks; any other status
 * (security failures) goes out unciphered and without checksum, as real cards do, since the keys or
 * counter are what is in doubt. */
rsp_err rsp_scp80_por_build(const rsp_scp80_keys *k, const rsp_scp80_hdr *cmd, uint8_t status, const uint8_t *data,
                            size_t len, uint8_t *out, size_t cap, size_t *out_len, rsp_diag *diag);

/* Server: opens a PoR (with or without 02 71 00) to the command whose header is cmd (SPI, KIc, KID,
 * cc_len are used). Deciphers into work (cap >= len + 3: work always gets the UDH in front). RSP_OK when the CC verified or the PoR carries
 * none, RSP_ERR_VERIFY on a bad CC. A PoR that SPI says is ciphered but whose length is not a whole
 * number of blocks, or whose RHL announces no checksum, is taken as the unsecured error PoR. */
rsp_err rsp_scp80_por_open(const rsp_scp80_keys *k, const rsp_scp80_hdr *cmd, const uint8_t *por, size_t len,
                           uint8_t *work, size_t cap, rsp_scp80_por *out, rsp_diag *diag);

#endif
