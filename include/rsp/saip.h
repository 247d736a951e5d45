/* Profile packages (TCA eUICC Profile Package: Interoperable Format, "SAIP"): a zero-copy DER walker,
 * header decoding, personalisation (ICCID, IMSI, Ki/OPc), segmentation for download, and the
 * EUICCResponse the card returns after installation.
 *
 * Ownership: an rsp_saip_package borrows the caller's package bytes (every rsp_bytes in it points
 * there) and owns only its element and OID arrays; free it with rsp_saip_package_free. The package
 * bytes must outlive it. Nothing here logs profile contents: Ki/OPc and PINs stay out of diagnostics. */
#ifndef RSP_SAIP_H
#define RSP_SAIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

/* ---- ProfileElement CHOICE alternatives (PEDefinitions, AUTOMATIC TAGS) ---- */

/* Looks up a ProfileElement tag (A0..AF, B0..BE, BF1F..BF21). Returns the ASN.1 alternative name
 * ("header", "usim", "df-5gprose", "rfu1", ...) or NULL when the tag is not an alternative of the
 * module. The string is static. */
const char *rsp_saip_pe_name(uint32_t tag);

enum {
    RSP_SAIP_TAG_HEADER = 0xA0,
    RSP_SAIP_TAG_GFM = 0xA1,
    RSP_SAIP_TAG_AKA = 0xA4,
    RSP_SAIP_TAG_END = 0xAA,
    RSP_SAIP_TAG_MF = 0xB0,
    RSP_SAIP_TAG_USIM = 0xB3,
};

/* Parse options. */
enum {
    /* Keep elements whose tag is not an alternative of the module (the CHOICE is extensible) instead
     * of failing; they get name "unknown" and known == false. */
    RSP_SAIP_ALLOW_UNKNOWN = 1u << 0,
    /* Only split into elements and decode the header; skip the structural check of every nested TLV
     * inside each element (which is what proves the lengths consistent at every level). */
    RSP_SAIP_SHALLOW = 1u << 1,
};

typedef struct rsp_saip_pe {
    uint32_t tag;
    const char *name;       /* static; "unknown" when !known */
    bool known;
    bool has_id;            /* every element but the header (and the empty rfu dummies) has a PE header */
    bool mandated;
    uint16_t identification;
    size_t offset;          /* of the element's tag in the package */
    rsp_bytes raw;          /* the whole element TLV, borrowed from the package */
    rsp_bytes value;        /* its content */
} rsp_saip_pe;

/* ServicesList (header tag A5): bit n set means the NULL with context tag [n] is present. */
#define RSP_SAIP_SERVICE_MAX 64
/* Name of ServicesList component n ("usim", "get-identity", ...), or NULL beyond the module's list. */
const char *rsp_saip_service_name(unsigned n);

typedef struct rsp_saip_header {
    unsigned major, minor;
    bool has_profile_type;
    char profile_type[101];     /* UTF8String (SIZE 1..100), NUL-terminated */
    char iccid[21];             /* digits, read from the reading-order BCD of tag 83 */
    rsp_bytes iccid_raw;        /* the 10 bytes */
    bool has_pol;
    rsp_bytes pol;              /* POL1 (tag 84) */
    uint64_t services;          /* eUICC-Mandatory-services bit set, see rsp_saip_service_name */
    rsp_bytes *gfste;           /* eUICC-Mandatory-GFSTEList: OID contents (no tag/length); owned array */
    size_t n_gfste;
    bool has_connectivity, has_aids, has_iot_options;
} rsp_saip_header;

typedef struct rsp_saip_package {
    rsp_bytes data;             /* borrowed: the whole package */
    rsp_saip_pe *pes;           /* owned array */
    size_t n_pes;
    rsp_saip_header header;
} rsp_saip_package;

/* Splits p into ProfileElements, decodes the header and checks the ordering rules (header first and
 * only once, end last, nothing after end) and every element's PE header. Faults are reported in diag
 * with the element index and byte offset. On failure *out is left empty (nothing to free).
 * Borrowing: out points into p, which must outlive it. */
rsp_err rsp_saip_parse(const uint8_t *p, size_t len, unsigned flags, rsp_saip_package *out, rsp_diag *diag);
void rsp_saip_package_free(rsp_saip_package *pkg);

/* Re-encodes the package from its elements' raw slices (appends to out, owned by the caller).
 * For a parsed, untouched package the result equals the input byte for byte. */
rsp_err rsp_saip_encode(const rsp_saip_package *pkg, rsp_buf *out);

/* Index of the first element with tag, starting at from; RSP_ERR_NOT_FOUND if none. */
rsp_err rsp_saip_find(const rsp_saip_package *pkg, uint32_t tag, size_t from, size_t *index);

/* OBJECT IDENTIFIER contents to dotted text ("2.23.143.1.2.1"). RSP_ERR_OVERFLOW if out is short,
 * RSP_ERR_FORMAT on a malformed encoding. */
rsp_err rsp_saip_oid_str(rsp_bytes oid, char *out, size_t outlen);

/* ---- personalisation ---- */

typedef struct rsp_saip_perso {
    const char *iccid;          /* 18..20 digits, Luhn-checked; NULL keeps the package's */
    const char *imsi;           /* 6..15 digits; NULL keeps */
    const uint8_t *ki;          /* 16 or 32 bytes; NULL keeps */
    size_t ki_len;
    const uint8_t *opc;         /* 16 or 32 bytes; NULL keeps */
    size_t opc_len;
} rsp_saip_perso;

/* Writes a personalised copy of pkg into out (reset first; the caller owns it and, since it holds Ki
 * and OPc, should free it with rsp_buf_free_secret). The input is untouched. Only the elements that
 * change are re-encoded, and within them only the TLVs on the path to a changed value; all lengths
 * are recomputed. Replaces:
 *   - iccid: header tag 83 (reading-order BCD) and the first fillFileContent of EF.ICCID in the MF
 *     element (nibble-swapped);
 *   - imsi: the first fillFileContent of EF.IMSI in the USIM element (TS 31.102: length byte, then
 *     digits nibble-swapped behind the parity nibble, F-padded to 9 bytes);
 *   - ki/opc: key (tag 82) and opc (tag 83) of AlgoParameter in every akaParameter element whose
 *     algoConfiguration is an algoParameter (A1 A1); a mappingParameter element is left alone.
 * RSP_ERR_NOT_FOUND (with diag) when the package lacks an element or file to carry a value. */
rsp_err rsp_saip_personalize(const rsp_saip_package *pkg, const rsp_saip_perso *perso, rsp_buf *out,
                             rsp_diag *diag);

/* The key lengths of AlgoParameter's algorithmID alg (tag 80), the one rule for personalisation and for
 * the consumer card's NAA check: Milenage (1) and the test algorithm (3) take a 16-byte K and OPc, TUAK
 * (2) a 16- or 32-byte K and a 32-byte TOPc. rsp_saip_aka_opc_len: the OPc length alg takes. */
bool rsp_saip_aka_k_len_ok(unsigned alg, size_t len);
size_t rsp_saip_aka_opc_len(unsigned alg);

/* EF.IMSI content (9 bytes) for an IMSI of 6..15 digits. */
rsp_err rsp_saip_imsi_encode(const char *imsi, uint8_t out[9]);
/* And back; out gets up to 15 digits. */
rsp_err rsp_saip_imsi_decode(const uint8_t *in, size_t len, char out[16]);

/* ---- segmentation for download ---- */

#define RSP_SAIP_SEGMENT_MIN 1024

typedef struct rsp_saip_segment {
    size_t offset, len;         /* byte range of the package */
    size_t first_pe, n_pes;     /* elements starting in this segment */
    bool pe_aligned;            /* starts and ends on element boundaries */
} rsp_saip_segment;

/* Splits the package into segments of at most max_len bytes (>= RSP_SAIP_SEGMENT_MIN). When
 * pe_boundaries is true, whole elements are grouped greedily and only an element larger than max_len
 * is cut into byte ranges; otherwise the package is cut into plain max_len byte ranges.
 * *out is a malloc'd array the caller frees with free(). */
rsp_err rsp_saip_segment_plan(const rsp_saip_package *pkg, size_t max_len, bool pe_boundaries,
                              rsp_saip_segment **out, size_t *n);

/* ---- EUICCResponse ---- */

/* PEStatus.status is an INTEGER with named values (not an ENUMERATED); ISO 7816 status words map to
 * 24576..28671 and 36864..40959, proprietary values to 40960..65535. */
enum {
    RSP_SAIP_ST_OK = 0,
    RSP_SAIP_ST_PE_NOT_SUPPORTED = 1,
    RSP_SAIP_ST_MEMORY_FAILURE = 2,
    RSP_SAIP_ST_BAD_VALUES = 3,
    RSP_SAIP_ST_NOT_ENOUGH_MEMORY = 4,
    RSP_SAIP_ST_INVALID_REQUEST_FORMAT = 5,
    RSP_SAIP_ST_INVALID_PARAMETER = 6,
    RSP_SAIP_ST_RUNTIME_NOT_SUPPORTED = 7,
    RSP_SAIP_ST_LIB_NOT_SUPPORTED = 8,
    RSP_SAIP_ST_TEMPLATE_NOT_SUPPORTED = 9,
    RSP_SAIP_ST_FEATURE_NOT_SUPPORTED = 10,
    RSP_SAIP_ST_PIN_CODE_MISSING = 11,
    RSP_SAIP_ST_UNSUPPORTED_PROFILE_VERSION = 31,
};
/* Name of a status value ("bad-values"), or NULL when it has none. */
const char *rsp_saip_status_name(uint32_t status);

typedef struct rsp_saip_pe_status {
    uint32_t status;
    bool has_identification;
    uint16_t identification;    /* UInt15 */
    bool has_additional_information;
    uint8_t additional_information;
    bool has_offset;
    uint32_t offset;            /* UInt31 */
} rsp_saip_pe_status;

#define RSP_SAIP_STATUS_MSG_MAX 64

typedef struct rsp_saip_euicc_response {
    rsp_saip_pe_status *pe_status;  /* owned (decode) or borrowed (encode) array */
    size_t n_pe_status;
    bool installation_aborted;
    bool has_status_message;
    char status_message[RSP_SAIP_STATUS_MSG_MAX + 1];   /* UTF8String (SIZE 2..64) */
} rsp_saip_euicc_response;

/* Appends the DER of r to out (owned by the caller). */
rsp_err rsp_saip_euicc_response_encode(const rsp_saip_euicc_response *r, rsp_buf *out);
/* Decodes one EUICCResponse filling p exactly. out->pe_status is malloc'd: release with
 * rsp_saip_euicc_response_free. On failure nothing needs freeing. */
rsp_err rsp_saip_euicc_response_decode(const uint8_t *p, size_t len, rsp_saip_euicc_response *out,
                                       rsp_diag *diag);
void rsp_saip_euicc_response_free(rsp_saip_euicc_response *r);

#endif
