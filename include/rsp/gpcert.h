/* GlobalPlatform TLV certificates (tag 7F21), as used for CERT.DP.ECDSA, CERT.SR.ECDSA,
 * CERT.EUM.ECDSA, CERT.ECASD.ECKA and the CI's own root in OpenRSP.
 *
 * Layout (SGP.02; see docs/ENCODINGS.md):
 *   7F21 { 93 serial, 42 CA id, 5F20 subject, 95 key usage, [5F25 effective], 5F24 expiry,
 *          [73 { C8 role, [C9 authority key id] }], 7F49 { B0 point, F0 curve ref }, 5F37 r||s }
 * The signature (ECDSA SHA-256) covers the TLVs inside 7F21 that precede 5F37.
 *
 * Decoding is zero-copy: an rsp_gpcert points into the caller's buffer. */
#ifndef RSP_GPCERT_H
#define RSP_GPCERT_H

#include <stdbool.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"

/* Values of C8 inside tag 73. 01 and 02 are public (SGP.02); the others are OpenRSP's choice. */
typedef enum rsp_gpcert_role {
    RSP_GPCERT_ROLE_NONE = 0x00,
    RSP_GPCERT_ROLE_SMDP = 0x01,
    RSP_GPCERT_ROLE_SMSR = 0x02,
    RSP_GPCERT_ROLE_EUM = 0x03,
    RSP_GPCERT_ROLE_ECASD = 0x04,
    RSP_GPCERT_ROLE_CI = 0x05,
} rsp_gpcert_role;

typedef struct rsp_gpcert {
    rsp_bytes raw;        /* the whole 7F21 TLV */
    rsp_bytes tbs;        /* what the signature covers */
    rsp_bytes serial;     /* 93 */
    rsp_bytes ca_id;      /* 42 */
    rsp_bytes subject;    /* 5F20 */
    rsp_bytes key_usage;  /* 95 */
    rsp_bytes effective;  /* 5F25, len 0 if absent */
    rsp_bytes expiry;     /* 5F24 */
    rsp_bytes discretionary; /* 73 value, len 0 if absent */
    int role;             /* C8 value, -1 if absent */
    rsp_bytes authority_key_id; /* C9, len 0 if absent */
    rsp_bytes point;      /* B0 inside 7F49: 04 || X || Y */
    int curve_ref;        /* F0 value, -1 if absent */
    bool raw_point_key;   /* 7F49 held the raw point (a variant seen in one public sample) */
    rsp_bytes signature;  /* 5F37: r || s */
} rsp_gpcert;

/* Decodes a certificate; data must hold exactly one 7F21 TLV. Reports the first fault in diag. */
rsp_err rsp_gpcert_decode(const uint8_t *data, size_t len, rsp_gpcert *out, rsp_diag *diag);
/* Re-encodes the decoded fields in canonical order; for a canonical input this is byte-identical. */
rsp_err rsp_gpcert_encode(const rsp_gpcert *c, rsp_buf *out);

/* Fields for issuing a new certificate. Strings are used as bytes. */
typedef struct rsp_gpcert_template {
    const uint8_t *serial; size_t serial_len;
    const char *ca_id;      /* 42 */
    const char *subject;    /* 5F20 */
    uint8_t key_usage;      /* 95 */
    const char *effective;  /* "YYYYMMDD" or NULL */
    const char *expiry;     /* "YYYYMMDD" */
    int role;               /* -1 for no 73 */
    const uint8_t *authority_key_id; size_t authority_key_id_len;
} rsp_gpcert_template;

/* Builds and signs a certificate carrying subject_key's public key, signed by issuer_key. */
rsp_err rsp_gpcert_issue(const rsp_gpcert_template *t, const rsp_eckey *subject_key,
                         const rsp_eckey *issuer_key, rsp_buf *out);
/* Verifies c's signature with the issuer's public key. RSP_OK or RSP_ERR_VERIFY. */
rsp_err rsp_gpcert_verify(const rsp_gpcert *c, const rsp_eckey *issuer_key);
/* The certificate's own public key. Uses the curve reference in the certificate when present,
 * else `fallback`. */
rsp_err rsp_gpcert_public_key(const rsp_gpcert *c, rsp_curve fallback, rsp_eckey **out);
/* Appends a human-readable multi-line description. */
rsp_err rsp_gpcert_print(const rsp_gpcert *c, rsp_buf *out);
/* BCD date (4 bytes, YYYYMMDD) to "YYYY-MM-DD"; "?" forms when not BCD. */
void rsp_gpcert_date_str(rsp_bytes bcd, char out[11]);

#endif
