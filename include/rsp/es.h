/* The ES function catalogue (SGP.02 ES1, ES2, ES3, ES4, ES4A, ES7) and its two bindings.
 *
 * Design: every function is one row of its interface's table (lib/es/es1.c ... es7.c): name, mode
 * (async request/response, sync, or one-way notification), Action group, and the descriptors of its
 * request and response structs. A descriptor is an array of rsp_es_field (element name, JSON key,
 * type, offset into the C struct, optional or mandatory). The SOAP codec (lib/es/soap*.c), the JSON
 * codec (lib/es/json.c), the free/compare walkers and the endpoint all read those tables; no function
 * has XML or JSON code of its own. See docs/modules/es.md.
 *
 * The C structs themselves are in rsp/es_types.h. */
#ifndef RSP_ES_H
#define RSP_ES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/es_types.h"

/* ---- descriptors ---- */
typedef enum rsp_es_type {
    RSP_ES_T_STR = 0, /* char * */
    RSP_ES_T_INT,     /* int64_t (+ bool has_<m> when optional) */
    RSP_ES_T_BOOL,    /* bool (+ has_<m> when optional) */
    RSP_ES_T_TIME,    /* char *, xs:dateTime checked on decode */
    RSP_ES_T_HEX,     /* rsp_buf, hexBinary on the wire */
    RSP_ES_T_ENUM,    /* int (+ has_<m> when optional), names from rsp_es_enum */
    RSP_ES_T_STRUCT,  /* pointer to a struct (NULL when absent) */
    RSP_ES_T_INLINE,  /* struct embedded by value (always present) */
    RSP_ES_T_LIST,    /* rsp_es_list of `item` typed values; XML: the element repeated */
    RSP_ES_T_XML,     /* char *: one foreign XML element kept whole (an XML-DSig ds:Signature), in its
                       * exclusive canonical form (C14N); SOAP carries it as is, JSON as a string */
} rsp_es_type;

typedef struct rsp_es_enum {
    const char *name;          /* for messages */
    const char *const *values; /* emitted spelling; decode matches case-, '-' and '_'-insensitively */
    size_t n;
} rsp_es_enum;

struct rsp_es_struct;

typedef struct rsp_es_field {
    const char *xml;   /* element local name as emitted */
    const char *json;  /* JSON key */
    uint8_t type;      /* rsp_es_type */
    uint8_t item;      /* for LIST: type of one item (STRUCT items are stored by value) */
    uint8_t optional;  /* 0: mandatory */
    size_t off;        /* offsetof the member */
    size_t has_off;    /* offsetof has_<member> for optional INT/BOOL/ENUM, else RSP_ES_NO_HAS */
    const struct rsp_es_struct *sub; /* STRUCT/INLINE, and LIST of STRUCT */
    const rsp_es_enum *en;           /* ENUM, and LIST of ENUM */
} rsp_es_field;

#define RSP_ES_NO_HAS ((size_t)-1)

typedef struct rsp_es_struct {
    const char *name; /* C-ish name for messages, e.g. "ProfileInfo" */
    size_t size;
    const rsp_es_field *fields;
    size_t nfields;
} rsp_es_struct;

/* ---- catalogue ---- */
typedef enum rsp_es_iface {
    RSP_ES1 = 0,
    RSP_ES2,
    RSP_ES3,
    RSP_ES4,
    RSP_ES4A,
    RSP_ES7,
    RSP_ES__COUNT
} rsp_es_iface;

typedef enum rsp_es_mode {
    RSP_ES_ASYNC = 0, /* 202 now, result later to ReplyTo (or deferred HTTP response) */
    RSP_ES_SYNC,      /* result in the HTTP response */
    RSP_ES_ONEWAY,    /* notification: 202, no result */
} rsp_es_mode;

typedef enum rsp_es_group {
    RSP_ES_G_PROFILE = 0, /* "ProfileManagent" in Action URIs (GSMA spelling) */
    RSP_ES_G_EUICC,       /* "eUICCManagement" */
} rsp_es_group;

typedef struct rsp_es_func {
    rsp_es_iface iface;
    const char *name;          /* "EnableProfile" */
    uint8_t mode;              /* rsp_es_mode */
    uint8_t group;             /* rsp_es_group */
    const rsp_es_struct *req;  /* request (or notification) body */
    const rsp_es_struct *resp; /* response body; NULL for ONEWAY */
} rsp_es_func;

typedef struct rsp_es_iface_table {
    rsp_es_iface iface;
    const char *name; /* "ES4" */
    const rsp_es_func *funcs;
    size_t n;
} rsp_es_iface_table;

/* The table of one interface; NULL if iface is out of range. */
const rsp_es_iface_table *rsp_es_iface_get(rsp_es_iface iface);
/* "ES4"/"es4" -> RSP_ES4. RSP_ERR_NOT_FOUND otherwise. */
rsp_err rsp_es_iface_parse(const char *s, size_t len, rsp_es_iface *out);
/* Finds a function by name, case-insensitively and ignoring '-' and '_'. NULL if unknown. */
const rsp_es_func *rsp_es_func_find(rsp_es_iface iface, const char *name, size_t len);

/* Action URI of a request (response=false) or of its result callback / a notification:
 *   http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile
 *   http://gsma.com/ES4/ProfileManagentCallBack/ES4-EnableProfile       (result, notifications)
 * Writes a NUL-terminated string; RSP_ERR_OVERFLOW if outlen is too small. */
rsp_err rsp_es_action_format(const rsp_es_func *f, bool response, char *out, size_t outlen);
/* Parses an Action (or SOAPAction) URI leniently: both "ProfileManagent"/"ProfileManagement",
 * "CallBack"/"Callback", any group name, an optional "Request"/"Response" suffix, surrounding quotes.
 * *response is true for the result of a request function (never for a one-way function). */
rsp_err rsp_es_action_parse(const char *uri, const rsp_es_func **f, bool *response, rsp_diag *d);

/* ---- dialects ----
 * The SOAP form a peer speaks: SOAP version, WS-Addressing namespace, body wrappers and element names,
 * list wrappers, value spellings. Each dialect is a table in lib/es/dialect*.c (docs/modules/es.md,
 * "Dialects"); the codecs have no per-peer code. A decoded message carries the dialect it came in; an
 * encoded one uses m->dialect (so a client sets it from the peer's configuration, and an endpoint
 * answers in the dialect of the request). JSON has one form and ignores the dialect. */
typedef enum rsp_es_dialect {
    RSP_ES_DIALECT_GSMA = 0, /* SOAP 1.2, WS-A 2005/08, element names of SGP.02 as in our tables */
    RSP_ES_DIALECT_NJIWA,    /* the JAX-WS contract of bagyenda/njiwa: SOAP 1.1 rpc/literal, WS-A 2007/05
                              * metadata namespace, <return> results, its element names */
    RSP_ES_DIALECT__COUNT
} rsp_es_dialect;

/* "gsma"/"njiwa" (case-insensitive) -> dialect; RSP_ERR_NOT_FOUND otherwise. */
rsp_err rsp_es_dialect_parse(const char *s, rsp_es_dialect *out);
/* The name of a dialect; "?" if out of range. */
const char *rsp_es_dialect_name(rsp_es_dialect d);
/* The SOAP version (11 or 12) a dialect speaks, and its Content-Type. */
int rsp_es_dialect_soap_version(rsp_es_dialect d);
const char *rsp_es_dialect_content_type(rsp_es_dialect d);

/* ---- messages ---- */
/* WS-Addressing fields carried beside the body (SOAP header; JSON "addressing" object). Owned. */
typedef struct rsp_es_wsa {
    char *from;       /* From/Address */
    char *to;
    char *reply_to;   /* ReplyTo/Address */
    char *message_id;
    char *action;
    char *relates_to;
} rsp_es_wsa;

typedef struct rsp_es_msg {
    const rsp_es_func *func; /* set by a decoder as soon as the function is known */
    bool response;           /* body is func->resp (else func->req) */
    rsp_es_wsa wsa;
    void *body;              /* owned struct of the descriptor's type; NULL if the body failed */
    /* Set by decoders when the body did not validate: the element at fault and the GSMA reason code
     * ("2.2" mandatory element missing, "2.1" invalid), so an endpoint can answer with a Failed
     * FunctionExecutionStatus that names it. */
    char bad_element[64];
    const char *bad_reason;
    int soap_version;        /* 11 or 12 for decoded SOAP, 0 otherwise; encode: the version to write
                              * (0: the dialect's), so an answer keeps its request's */
    rsp_es_dialect dialect;  /* decode: the dialect detected; encode: the dialect to write */
    /* A result carried in the HTTP response to its request (njiwa: <OpResponse><return>...), rather than
     * sent as a request of its own to ReplyTo (a callback). Set by the decoder; the encoder reads it. The
     * gsma dialect writes both the same way. */
    bool in_http_response;
} rsp_es_msg;

/* The descriptor of the body: func->resp when response, else func->req. */
const rsp_es_struct *rsp_es_msg_desc(const rsp_es_msg *m);
/* Initialises m for f and allocates a zeroed body (owned by m). */
rsp_err rsp_es_msg_init(rsp_es_msg *m, const rsp_es_func *f, bool response);
/* Frees everything m owns (body via its descriptor, WS-A strings) and zeroes it. NULL-safe. */
void rsp_es_msg_free(rsp_es_msg *m);

/* Zero-allocated struct of descriptor sd (caller frees with rsp_es_body_free); NULL on no memory. */
void *rsp_es_body_new(const rsp_es_struct *sd);
/* Frees what the struct owns, then the struct itself. NULL-safe. */
void rsp_es_body_free(const rsp_es_struct *sd, void *body);
/* Frees what the struct owns, not the struct (for embedded/stack structs). */
void rsp_es_body_clear(const rsp_es_struct *sd, void *body);
/* Deep comparison of the members the descriptor lists. */
bool rsp_es_body_equal(const rsp_es_struct *sd, const void *a, const void *b);

/* Fills every member the descriptor lists (optional ones too, lists with two items) with deterministic
 * sample values derived from seed: for tests, benchmarks and fuzz seeds. body must be zeroed; it then
 * owns what was allocated (free with rsp_es_body_clear/free). */
rsp_err rsp_es_body_sample(const rsp_es_struct *sd, void *body, unsigned seed);

/* Enum names (the emitted spelling), for logs. "?" if out of range. */
const char *rsp_es_status_name(int status);

/* Checks an xs:dateTime lexically: YYYY-MM-DDThh:mm:ss[.f+][Z|(+|-)hh:mm]. */
bool rsp_es_datetime_ok(const char *s);
/* Current UTC time as xs:dateTime "YYYY-MM-DDThh:mm:ssZ" into out[21]. */
void rsp_es_datetime_now(char out[21]);

/* Parser limits for outside input. Zero members take the defaults (1 MiB, depth 32). */
typedef struct rsp_es_limits {
    size_t max_bytes;
    unsigned max_depth;
} rsp_es_limits;

#define RSP_ES_DEFAULT_MAX_BYTES (1u << 20)
#define RSP_ES_DEFAULT_MAX_DEPTH 32u

/* ---- SOAP binding ---- */
#define RSP_ES_NS "http://namespaces.gsma.org/esim-messaging/1"
#define RSP_ES_SOAP12_NS "http://www.w3.org/2003/05/soap-envelope"
#define RSP_ES_SOAP11_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define RSP_ES_WSA_NS "http://www.w3.org/2005/08/addressing"
#define RSP_ES_SOAP12_CTYPE "application/soap+xml; charset=utf-8"
#define RSP_ES_SOAP11_CTYPE "text/xml; charset=utf-8"

/* Emits the envelope of m->dialect (gsma: SOAP 1.2, WS-A 2005/08, <es:Name> / <es:NameResponse>; njiwa:
 * SOAP 1.1, WS-A 2007/05 metadata, the WSDL's rpc wrapper and part names, <return> for results carried in
 * the HTTP response) with the WS-A header fields that are set (Action is filled from the dialect's table
 * or the catalogue when m->wsa.action is NULL). Appends to out (caller owns). RSP_ERR_INVAL if a
 * mandatory member is missing, RSP_ERR_UNSUPPORTED if a member that is set has no form in the dialect
 * (diag names it: nothing is dropped silently). */
rsp_err rsp_es_soap_encode(const rsp_es_msg *m, rsp_buf *out, rsp_diag *d);
/* The acknowledgement a dialect expects in the HTTP answer to an incoming result (a callback): njiwa's
 * callback operations are request-response (<EnableISDPResponseResponse><return>OK</return>, a status for
 * ES7's). Appends to out. RSP_ERR_NOT_FOUND when the dialect answers a callback with a bare 202. */
rsp_err rsp_es_soap_ack(const rsp_es_msg *result, rsp_buf *out, rsp_diag *d);
/* Emits a SOAP Fault (1.2 unless soap_version == 11): code "Sender"/"Receiver", reason text. */
rsp_err rsp_es_soap_fault(int soap_version, bool sender, const char *reason, const char *relates_to,
                          rsp_buf *out);
/* Parses a SOAP 1.1 or 1.2 envelope in any dialect (detected from the WS-A namespace, else the SOAP
 * version; out->dialect says which). An element, header or value the dialect's table cannot map is an
 * error naming its path (Body/EnableProfile/pol2/rules[2]/Action), never skipped. `action_hint` (may be NULL) is the HTTP SOAPAction or the
 * action parameter of the Content-Type, used when the envelope has no WS-A Action. No network, no
 * DTD (a DOCTYPE is rejected), no entity expansion, size and depth limits (lim may be NULL).
 * On success out owns a body. On a body validation failure out->func, out->wsa and out->bad_* are
 * still set (out->body is NULL) so the caller can answer with a Failed status; free out either way. */
rsp_err rsp_es_soap_decode(const uint8_t *xml, size_t len, const char *action_hint, const rsp_es_limits *lim,
                           rsp_es_msg *out, rsp_diag *d);

/* ---- XML-DSig EumSignature (njiwa's EIS form; rsp_es_eis.eum_dsig) ----
 * [G] rules (docs/ENCODINGS.md): the ds:Signature is a child of the Eis, its Reference (uri="") covers
 * the EumSignedInfo of that Eis under exclusive C14N with a SHA-256 digest, SignedInfo is canonicalised
 * with exclusive C14N and signed ECDSA-SHA256 (SignatureValue = base64(r||s)). Both work on a whole
 * document (a SOAP message or a bare <Eis>) and use its first Eis. Verify the bytes as received: a
 * re-encoding that changes EumSignedInfo's text (hex case, a dialect's names) changes its digest. */
typedef struct rsp_eckey rsp_eckey;
/* Signs: inserts (or replaces) the ds:Signature after EumSignature/EumSignedInfo, with the certificate
 * (DER, optional) in KeyInfo/X509Data; the document with the signature is appended to out. */
rsp_err rsp_es_eis_dsig_sign(const uint8_t *xml, size_t len, const rsp_eckey *key, const uint8_t *cert_der,
                             size_t cert_len, rsp_buf *out, rsp_diag *d);
/* RSP_OK if the signature verifies with key (the EUM's, from a certificate the caller trusts);
 * RSP_ERR_VERIFY (digest or signature mismatch), RSP_ERR_UNSUPPORTED (an algorithm or Reference we do
 * not implement, named), RSP_ERR_TAG (no signature) otherwise. Accepts inclusive C14N 1.0 too. */
rsp_err rsp_es_eis_dsig_verify(const uint8_t *xml, size_t len, const rsp_eckey *key, rsp_diag *d);

/* ---- EumSignature and the EIS chain (eis_sign.c; docs/ENCODINGS.md "EUM manufacturing") ----
 * EumSignature = 5F37 40 r||s: ECDSA-SHA256 by the EUM key over the canonical form of EumSignedInfo,
 * the same bytes whichever binding carried it: every member present, in the order of the es layer's
 * table, as name-length(1) || XML element name || value-length(4, big-endian) || value (UTF-8 text,
 * decimal integers, "true"/"false", the emitted enum spelling, raw hexBinary bytes, or a nested
 * struct's canonical form; a list emits each item under the list's element name). */
rsp_err rsp_es_eis_canonical(const rsp_es_eum_signed_info *si, rsp_buf *out);
/* Sets eis->eum_signature (replacing any) from eis->signed_info. */
rsp_err rsp_es_eis_sign(rsp_es_eis *eis, const rsp_eckey *eum);
/* RSP_OK, RSP_ERR_VERIFY (bad signature) or RSP_ERR_FORMAT (no 5F37 40 signature). */
rsp_err rsp_es_eis_verify(const rsp_es_eis *eis, const rsp_eckey *eum, rsp_diag *diag);
/* Which check an EIS failed (an SM-SR maps them to status codes). */
typedef enum rsp_es_eis_fault {
    RSP_ES_EIS_FAULT_NONE,
    RSP_ES_EIS_FAULT_FORMAT,    /* EID check digits, certificates missing or undecodable */
    RSP_ES_EIS_FAULT_UNSIGNED,  /* no EumSignature */
    RSP_ES_EIS_FAULT_EUM,       /* CERT.EUM not an EUM certificate of this CI: an unknown EUM */
    RSP_ES_EIS_FAULT_SIGNATURE, /* Eum-Id or EumSignature */
    RSP_ES_EIS_FAULT_ECASD,     /* CERT.ECASD not the EUM's for this EID */
} rsp_es_eis_fault;
/* The EID's check digits, CERT.EUM (the EIS's second ECASD certificate, else eum_der when given; when
 * both, they must be equal) signed by ci, Eum-Id = its subject, the EumSignature, CERT.ECASD signed by
 * the EUM with the EID as subject. On success *eum_key is the EUM's public key (caller frees).
 * RSP_ERR_VERIFY for a failed check, RSP_ERR_FORMAT for a malformed EIS; *f (optional) says which. */
rsp_err rsp_es_eis_check_chain(const rsp_es_eis *eis, const rsp_eckey *ci, const rsp_buf *eum_der,
                               rsp_eckey **eum_key, rsp_es_eis_fault *f, rsp_diag *d);
/* Key wrapping of the ISD-R keys in the EIS:
 *   smsr mode:      Value = ePK (65, 04||X||Y) || AES-KW(KEK, key), one ephemeral key pair per card,
 *                   KEK = X9.63-KDF-SHA256(ECDH(eSK, PK.SM-SR), EID(16) || KVN || key id)[0..16)
 *   transport mode: Value = AES-KW(TK, key), TK an AES-128 key the EUM and the SM-SR share.
 * AES-KW is RFC 3394 with a 16-byte KEK (IV A6..A6); RSP_ERR_VERIFY when an unwrap's check fails. */
rsp_err rsp_es_eis_aes_kw(bool wrap, const uint8_t kek[16], const uint8_t *in, size_t len, uint8_t *out,
                          size_t *out_len);
rsp_err rsp_es_eis_kek(const uint8_t z[32], const uint8_t eid[16], uint8_t kvn, uint8_t key_id, uint8_t kek[16]);
/* Unwraps one KeyComponent value; exactly one of smsr (private key) and tk (16 bytes) is given. The
 * clear key (len - 8, or len - 73 in smsr mode) goes to out (cap bytes); the caller wipes it. */
rsp_err rsp_es_eis_unwrap_key(const rsp_eckey *smsr, const uint8_t *tk, const uint8_t eid[16], uint8_t kvn,
                              uint8_t key_id, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                              size_t *out_len);

/* ---- JSON binding ---- */
/* HTTP path of a function: "/es4/EnableProfile". */
rsp_err rsp_es_json_path(const rsp_es_func *f, char *out, size_t outlen);
/* "/es4/EnableProfile" (case-insensitive, optional trailing "/") -> function. */
rsp_err rsp_es_json_path_parse(const char *path, const rsp_es_func **f, rsp_diag *d);
/* The body as one JSON object (keys from the tables) plus an "addressing" object when any WS-A field
 * is set. Appends to out (caller owns). */
rsp_err rsp_es_json_encode(const rsp_es_msg *m, rsp_buf *out, rsp_diag *d);
/* Parses the JSON body of f's request (response=false) or result. Same failure contract as
 * rsp_es_soap_decode. */
rsp_err rsp_es_json_decode(const rsp_es_func *f, bool response, const uint8_t *json, size_t len,
                           const rsp_es_limits *lim, rsp_es_msg *out, rsp_diag *d);

#endif
