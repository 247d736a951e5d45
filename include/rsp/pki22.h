/* The SGP.22 (consumer RSP) PKI: X.509 certificates of the CI, the EUM, the eUICC and the SM-DP+ /
 * SM-DS roles, with the profile of the SGP.26 test certificates (../shared/spec/SGP22.md
 * §Certificates), and chain verification with the role checks the eUICC and the servers make.
 *
 * Every role is named by the last arc of its certificate-policy OID 2.23.146.1.2.1.x, so the enum
 * value is the arc. Certificates are DER in and out; the card and the servers keep DER, and PEM is the
 * tools' business. Choices the notes leave open are listed in docs/ENCODINGS.md §"SGP.22 PKI". */
#ifndef RSP_PKI22_H
#define RSP_PKI22_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"

typedef enum rsp_pki22_role {
    RSP_PKI22_CI = 0,
    RSP_PKI22_EUICC = 1,
    RSP_PKI22_EUM = 2,
    RSP_PKI22_DPTLS = 3,
    RSP_PKI22_DPAUTH = 4,
    RSP_PKI22_DPPB = 5,
    RSP_PKI22_DSTLS = 6,
    RSP_PKI22_DSAUTH = 7,
} rsp_pki22_role;
#define RSP_PKI22_ROLE_COUNT 8

#define RSP_PKI22_MAX_PREFIXES 8 /* permitted EID prefixes of one EUM */
#define RSP_PKI22_EID_DIGITS 32

/* "ci", "euicc", "eum", "dptls", "dpauth", "dppb", "dstls", "dsauth"; NULL for other values. */
const char *rsp_pki22_role_name(rsp_pki22_role r);
rsp_err rsp_pki22_role_parse(const char *s, rsp_pki22_role *out);
/* The TLS roles carry P-256 keys whatever the CI's curve (a TLS client may not offer brainpool). */
bool rsp_pki22_role_is_tls(rsp_pki22_role r);

/* What to put in a certificate. Strings are copied into the certificate; NULL means absent. */
typedef struct rsp_pki22_template {
    rsp_pki22_role role;
    const char *common_name;      /* subject CN (required) */
    const char *organisation;     /* subject O; for an eUICC, the EUM's O (its name constraint) */
    const char *country;          /* subject C, two letters */
    const uint8_t *serial;        /* certificate serial, big-endian unsigned, 1..20 bytes */
    size_t serial_len;
    time_t not_before;
    time_t not_after;             /* 0: 9999-12-31 23:59:59 (the eUICC's "no expiry") */
    const char *eid;              /* eUICC: 32 digits, the subject serialNumber */
    const char *const *eid_prefixes; /* EUM: permitted EID prefixes (digits), NULL-terminated, >= 1 */
    const char *rid;              /* SAN registeredID, dotted OID (the SM-DP+/SM-DS OID); NULL: none */
    const char *const *dns;       /* TLS roles: SAN DNS names, NULL-terminated, >= 1 */
    const char *crl_url;          /* CRL distribution point URI; NULL: none */
} rsp_pki22_template;

/* Issues a certificate for subject_key, signed by issuer_key. issuer_der is the issuer's certificate
 * (its subject becomes the issuer name, its SKI the AKI); NULL with the CI role for the self-signed
 * root. The template is checked against the role's profile (RSP_ERR_INVAL naming the fault in diag);
 * the curve rule (RSP_ERR_UNSUPPORTED): RSP keys on the issuer's curve, TLS keys on P-256.
 * out: the DER certificate, owned by the caller (appended to out). */
rsp_err rsp_pki22_issue(const rsp_pki22_template *t, const rsp_eckey *subject_key, const rsp_eckey *issuer_key,
                        const uint8_t *issuer_der, size_t issuer_len, rsp_buf *out, rsp_diag *diag);

/* The fields of one certificate that the protocol and the role checks use. */
typedef struct rsp_pki22_info {
    int role;                     /* policy arc x of 2.23.146.1.2.1.x, -1: no RSP policy */
    rsp_curve curve;              /* of the subject key */
    uint8_t pub[RSP_EC_POINT_LEN];/* the subject key, 04 || X || Y */
    uint8_t ski[20], aki[20];     /* key identifiers; lengths 0 when absent */
    size_t ski_len, aki_len;
    bool is_ca;
    int pathlen;                  /* -1: none */
    unsigned key_usage;           /* X509v3 KU bits as OpenSSL's KU_* (0x80 digitalSignature, 0x04 keyCertSign) */
    bool ku_critical, policy_critical;
    bool eku_server, eku_client;
    char eid[RSP_PKI22_EID_DIGITS + 1]; /* subject serialNumber when it is 32 digits, else "" */
    char org[65];                 /* subject O, "" when absent */
    char cn[65];
    char rid[64];                 /* the first SAN registeredID, dotted; "" when absent */
    uint8_t rid_der[32];          /* the same OID's DER content (the smdpOid of PIR and CancelSession) */
    size_t rid_der_len;
    char dns[128];                /* the first SAN DNS name; "" when absent */
    char prefixes[RSP_PKI22_MAX_PREFIXES][RSP_PKI22_EID_DIGITS + 1]; /* EUM: serialNumbers of its
                                                                        nameConstraints subtrees */
    char prefix_org[RSP_PKI22_MAX_PREFIXES][65];                     /* their O ("" when absent) */
    size_t n_prefixes;
    time_t not_before, not_after;
} rsp_pki22_info;

/* Decodes one DER certificate (outside input: strict, the whole buffer). RSP_ERR_FORMAT with diag
 * when it is not a certificate on a supported curve. */
rsp_err rsp_pki22_inspect(const uint8_t *der, size_t len, rsp_pki22_info *out, rsp_diag *diag);

/* Why a chain was refused, in the terms of SGP.22's error codes (AuthenticateErrorCode and the ES9+
 * subject/reason codes map from these). */
typedef enum rsp_pki22_fault {
    RSP_PKI22_OK = 0,
    RSP_PKI22_BAD_CERT,        /* malformed, bad signature, wrong key usage or constraints */
    RSP_PKI22_BAD_ROLE,        /* the policy OID is not the role expected (invalidOid) */
    RSP_PKI22_BAD_CURVE,       /* a key on the wrong curve (unsupportedCurve) */
    RSP_PKI22_CI_UNKNOWN,      /* no trusted CI issued it (ciPKUnknown) */
    RSP_PKI22_EXPIRED,         /* outside its validity at the time checked */
    RSP_PKI22_EID_RANGE,       /* the eUICC's EID is outside its EUM's permitted prefixes */
} rsp_pki22_fault;
const char *rsp_pki22_fault_name(rsp_pki22_fault f);

/* Verifies leaf (of role expect) up to one of the trusted CI certificates cis[0..n_ci): signatures,
 * validity at `at` (0: now), the role's profile on every certificate, one curve per chain (TLS leaves
 * P-256), AKI = issuer SKI. For an eUICC leaf, eum is its EUM certificate (required) and the EID must
 * lie in the EUM's permitted prefixes; for other roles eum must be NULL.
 * Returns RSP_OK, RSP_ERR_VERIFY (chain refused; *fault says why) or RSP_ERR_FORMAT (undecodable).
 * leaf_info (may be NULL) gets the leaf's fields, ci_index (may be NULL) the CI that anchors it. */
rsp_err rsp_pki22_verify(const uint8_t *leaf, size_t leaf_len, rsp_pki22_role expect, const uint8_t *eum,
                         size_t eum_len, const rsp_bytes *cis, size_t n_ci, time_t at, rsp_pki22_info *leaf_info,
                         size_t *ci_index, rsp_pki22_fault *fault, rsp_diag *diag);

/* Trusted CI certificates decoded once, for a caller that verifies many chains against them (a
 * daemon): rsp_pki22_verify decodes every CI on every call. The anchors also keep a few EUM
 * certificates of chains that verified, decoded, keyed by their exact bytes: only decoding is saved,
 * every check runs on every call. Not thread-safe (the EUM cache changes): one per event loop. An
 * entry of cis that does not decode is kept as a CI that anchors nothing (indexes stay those of cis).
 * *out owned by the caller (rsp_pki22_anchors_free). */
typedef struct rsp_pki22_anchors rsp_pki22_anchors;
rsp_err rsp_pki22_anchors_new(const rsp_bytes *cis, size_t n_ci, rsp_pki22_anchors **out, rsp_diag *diag);
void rsp_pki22_anchors_free(rsp_pki22_anchors *a);
/* rsp_pki22_verify against anchors, with the same checks, results and faults; eum_info (may be NULL)
 * gets the EUM's fields when eum is given and the chain verifies. */
rsp_err rsp_pki22_verify_with(rsp_pki22_anchors *a, const uint8_t *leaf, size_t leaf_len, rsp_pki22_role expect,
                              const uint8_t *eum, size_t eum_len, time_t at, rsp_pki22_info *leaf_info,
                              rsp_pki22_info *eum_info, size_t *ci_index, rsp_pki22_fault *fault, rsp_diag *diag);

/* A certificate file (DER) appended to out (owned by the caller); over 64 KiB is refused
 * (RSP_ERR_LENGTH), a missing file is RSP_ERR_NOT_FOUND, each with diag naming the path. */
rsp_err rsp_pki22_read_cert(const char *path, rsp_buf *out, rsp_diag *diag);
/* A server's role folder dir (key.pem, cert.der): *sk gets the key (caller frees, rsp_ec_free), cert
 * the certificate's DER, info its fields; the certificate must verify as role under the one CI ci and
 * carry the key's public point. RSP_ERR_NOT_FOUND / RSP_ERR_VERIFY with diag otherwise. */
rsp_err rsp_pki22_load_role(const char *dir, rsp_pki22_role role, const rsp_bytes *ci, rsp_eckey **sk, rsp_buf *cert,
                            rsp_pki22_info *info, rsp_diag *diag);

/* DER <-> PEM for the tools ("CERTIFICATE" blocks). Both append to out (owned by the caller). */
rsp_err rsp_pki22_pem_to_der(const uint8_t *pem, size_t len, rsp_buf *out);
rsp_err rsp_pki22_der_to_pem(const uint8_t *der, size_t len, rsp_buf *out);

#endif
