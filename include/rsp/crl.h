/* Certificate revocation: the CI's CRL (docs/ENCODINGS.md "Certificate revocation list").
 *
 * Format (OpenRSP's choice; the SGP.02 notes are silent): an X.509 v2 CRL (RFC 5280), DER, signed by
 * the CI key with ECDSA-SHA256, issuer = the CI's X.509 root subject, thisUpdate and nextUpdate both
 * present, a cRLNumber extension, one entry per revoked certificate whose userCertificate is the
 * certificate serial number. `rsp ci issue` gives the GP (7F21, tag 93) and the TLS certificate of one
 * entity the same serial, so one entry revokes both.
 *
 * Use: parse (outside input, every fault in diag), then verify (signature under PK.CI, and
 * thisUpdate <= now < nextUpdate), then look a serial up. rsp_crl_file wraps a path for daemons and
 * the card: the file is re-read whenever its inode, size or mtime changes, checked at every use; its
 * signature is verified once per file version and CI key, its freshness at every use. */
#ifndef RSP_CRL_H
#define RSP_CRL_H

#include <stdbool.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"

#define RSP_CRL_MAX_LEN (1024u * 1024u) /* larger inputs are refused before parsing */
#define RSP_CRL_SERIAL_MAX 20           /* RFC 5280: serials are at most 20 octets */

/* RFC 5280 CRLReason values (the ones `rsp ci revoke --reason` names). */
typedef enum rsp_crl_reason {
    RSP_CRL_REASON_NONE = -1, /* no reasonCode extension */
    RSP_CRL_REASON_UNSPECIFIED = 0,
    RSP_CRL_REASON_KEY_COMPROMISE = 1,
    RSP_CRL_REASON_CA_COMPROMISE = 2,
    RSP_CRL_REASON_AFFILIATION_CHANGED = 3,
    RSP_CRL_REASON_SUPERSEDED = 4,
    RSP_CRL_REASON_CESSATION = 5,
    RSP_CRL_REASON_HOLD = 6,
} rsp_crl_reason;

typedef struct rsp_crl_entry {
    uint8_t serial[RSP_CRL_SERIAL_MAX]; /* big-endian, no leading zero bytes */
    size_t serial_len;
    int64_t date;                       /* revocationDate, Unix seconds */
    int reason;                         /* rsp_crl_reason */
} rsp_crl_entry;

typedef struct rsp_crl_template {
    int64_t this_update, next_update;   /* Unix seconds */
    uint64_t number;                    /* cRLNumber */
    const rsp_crl_entry *entries;
    size_t n;
} rsp_crl_template;

typedef struct rsp_crl rsp_crl; /* a parsed CRL (owns its data) */

/* "keyCompromise" etc. (RFC 5280 names); NULL for an unknown value. */
const char *rsp_crl_reason_name(int reason);
/* Accepts the RFC 5280 names and their short forms (key-compromise, superseded, ...). */
rsp_err rsp_crl_reason_parse(const char *s, int *out);
/* Serial bytes of a certificate or entry, leading zeros dropped (0 -> one zero byte). */
size_t rsp_crl_serial_norm(const uint8_t *p, size_t len, const uint8_t **out);

/* Builds and signs a CRL. issuer_cert_pem: the CI's X.509 root (its subject becomes the issuer);
 * NULL uses CN=issuer_cn. out receives the DER. */
rsp_err rsp_crl_issue(const rsp_crl_template *t, const rsp_eckey *ci, const char *issuer_cert_pem,
                      const char *issuer_cn, rsp_buf *out);

/* Parses DER (or PEM "X509 CRL"). Refuses: trailing bytes, a signature algorithm other than
 * ecdsa-with-SHA256, a missing nextUpdate, a serial longer than 20 bytes or negative, more than
 * 65,536 entries. Does not verify: call rsp_crl_verify. */
rsp_err rsp_crl_parse(const uint8_t *data, size_t len, rsp_crl **out, rsp_diag *diag);
void rsp_crl_free(rsp_crl *c);
/* RSP_ERR_VERIFY: not signed by ci. RSP_ERR_STATE: not yet valid (thisUpdate > now + 300 s of clock
 * skew) or stale (now >= nextUpdate). */
rsp_err rsp_crl_verify(const rsp_crl *c, const rsp_eckey *ci, int64_t now, rsp_diag *diag);
/* The freshness part of rsp_crl_verify alone (for a CRL whose signature was verified before). */
rsp_err rsp_crl_verify_time(const rsp_crl *c, int64_t now, rsp_diag *diag);
/* The entry for serial (any leading zeros ignored), or NULL. */
const rsp_crl_entry *rsp_crl_lookup(const rsp_crl *c, const uint8_t *serial, size_t len);

int64_t rsp_crl_this_update(const rsp_crl *c);
int64_t rsp_crl_next_update(const rsp_crl *c);
uint64_t rsp_crl_number(const rsp_crl *c);
size_t rsp_crl_count(const rsp_crl *c);
const rsp_crl_entry *rsp_crl_entry_at(const rsp_crl *c, size_t i);
/* The issuer as a one-line string ("CN=..., O=..."). */
const char *rsp_crl_issuer(const rsp_crl *c);

/* ---- a CRL file, re-read when it changes (thread-safe) ---- */
typedef struct rsp_crl_file rsp_crl_file;

/* optional: a missing file means "nothing revoked" (the card's fleet folder); otherwise a missing
 * file refuses every check (a daemon started with --crl). Nothing is read until the first check. */
rsp_err rsp_crl_file_new(const char *path, bool optional, rsp_crl_file **out);
void rsp_crl_file_free(rsp_crl_file *f);
const char *rsp_crl_file_path(const rsp_crl_file *f);
/* Reads the file now (so a daemon can refuse to start with a bad one): RSP_OK, or the parse fault. */
rsp_err rsp_crl_file_load(rsp_crl_file *f, rsp_diag *diag);
/* RSP_OK when the certificate with this serial is not revoked by a CRL that verifies under ci and is
 * fresh at now (Unix seconds). RSP_ERR_DENIED: revoked (diag names the serial and reason); any other
 * error: the CRL cannot be trusted (missing, malformed, forged, stale), and the caller refuses. */
rsp_err rsp_crl_file_check(rsp_crl_file *f, const rsp_eckey *ci, const uint8_t *serial, size_t len, int64_t now,
                           rsp_diag *diag);
/* rsp_crl_file_check for a GP certificate (7F21, DER): decodes it and checks its serial (tag 93), the
 * one the CI's CRL lists. A certificate that does not decode: the decoder's error, diag says why. */
rsp_err rsp_crl_file_check_cert(rsp_crl_file *f, const rsp_eckey *ci, const uint8_t *cert, size_t len, int64_t now,
                                rsp_diag *diag);

#endif
