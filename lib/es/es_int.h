/* Internal to lib/es: descriptor-building macros, shared descriptors, walker helpers. */
#ifndef RSP_ES_INT_H
#define RSP_ES_INT_H

#include <stddef.h>

#include "rsp/es.h"

/* One macro per field kind so a table row reads like the spec: element, JSON key, member. */
#define RSP_ES_F_(x, j, t, it, opt, off, hoff, sub, en) {x, j, t, it, opt, off, hoff, sub, en}
#define F_STR(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_STR, 0, 0, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_OSTR(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_STR, 0, 1, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_OXML(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_XML, 0, 1, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_TIME(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_TIME, 0, 0, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_OTIME(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_TIME, 0, 1, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_HEX(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_HEX, 0, 0, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_OHEX(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_HEX, 0, 1, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_INT(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_INT, 0, 0, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_OINT_H(T, x, j, m, h) RSP_ES_F_(x, j, RSP_ES_T_INT, 0, 1, offsetof(T, m), offsetof(T, h), NULL, NULL)
#define F_OINT(T, x, j, m) F_OINT_H(T, x, j, m, has_##m)
#define F_BOOL(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_BOOL, 0, 0, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_OBOOL(T, x, j, m) RSP_ES_F_(x, j, RSP_ES_T_BOOL, 0, 1, offsetof(T, m), offsetof(T, has_##m), NULL, NULL)
#define F_ENUM(T, x, j, m, E) RSP_ES_F_(x, j, RSP_ES_T_ENUM, 0, 0, offsetof(T, m), RSP_ES_NO_HAS, NULL, &(E))
#define F_STRUCT(T, x, j, m, S) RSP_ES_F_(x, j, RSP_ES_T_STRUCT, 0, 0, offsetof(T, m), RSP_ES_NO_HAS, &(S), NULL)
#define F_OSTRUCT(T, x, j, m, S) RSP_ES_F_(x, j, RSP_ES_T_STRUCT, 0, 1, offsetof(T, m), RSP_ES_NO_HAS, &(S), NULL)
#define F_INLINE(T, x, j, m, S) RSP_ES_F_(x, j, RSP_ES_T_INLINE, 0, 0, offsetof(T, m), RSP_ES_NO_HAS, &(S), NULL)
/* Lists: `opt` 0 means at least one item. */
#define F_LIST_STR(T, x, j, m, opt) RSP_ES_F_(x, j, RSP_ES_T_LIST, RSP_ES_T_STR, opt, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_LIST_HEX(T, x, j, m, opt) RSP_ES_F_(x, j, RSP_ES_T_LIST, RSP_ES_T_HEX, opt, offsetof(T, m), RSP_ES_NO_HAS, NULL, NULL)
#define F_LIST_ST(T, x, j, m, S, opt) RSP_ES_F_(x, j, RSP_ES_T_LIST, RSP_ES_T_STRUCT, opt, offsetof(T, m), RSP_ES_NO_HAS, &(S), NULL)

#define RSP_ES_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))
#define RSP_ES_DESC(var, label, T, fields) \
    const rsp_es_struct var = {label, sizeof(T), fields, RSP_ES_NFIELDS(fields)}

/* The common header, first in every request / response table. */
#define RSP_ES_REQ_HDR(T)                                                                        \
    F_STR(T, "FunctionCallIdentifier", "functionCallIdentifier", hdr.function_call_id),          \
        F_OINT_H(T, "ValidityPeriod", "validityPeriod", hdr.validity_period, hdr.has_validity_period)
#define RSP_ES_NOTIF_HDR(T)                                                                      \
    F_OSTR(T, "FunctionCallIdentifier", "functionCallIdentifier", hdr.function_call_id),         \
        F_OINT_H(T, "ValidityPeriod", "validityPeriod", hdr.validity_period, hdr.has_validity_period)
#define RSP_ES_RESP_HDR(T)                                                                       \
    F_OTIME(T, "ProcessingStart", "processingStart", hdr.processing_start),                      \
        F_OTIME(T, "ProcessingEnd", "processingEnd", hdr.processing_end),                        \
        F_OINT_H(T, "AcceptableValidityPeriod", "acceptableValidityPeriod",                      \
                 hdr.acceptable_validity_period, hdr.has_acceptable_validity_period),            \
        F_INLINE(T, "FunctionExecutionStatus", "functionExecutionStatus", hdr.status, rsp_es_d_fes)

/* Shared descriptors (lib/es/types.c). */
extern const rsp_es_enum rsp_es_e_status, rsp_es_e_state, rsp_es_e_pol2_subject, rsp_es_e_pol2_action,
    rsp_es_e_pol2_qual, rsp_es_e_role, rsp_es_e_keyset;
extern const rsp_es_struct rsp_es_d_fes, rsp_es_d_status_code, rsp_es_d_subaddr, rsp_es_d_pol2,
    rsp_es_d_pol2_rule, rsp_es_d_caps, rsp_es_d_keycomp, rsp_es_d_key, rsp_es_d_keyset, rsp_es_d_sd,
    rsp_es_d_signed_info, rsp_es_d_profile_info, rsp_es_d_audit, rsp_es_d_property, rsp_es_d_eis,
    rsp_es_d_plma, rsp_es_d_onc, rsp_es_d_cert;
/* Response shapes shared by interfaces. */
extern const rsp_es_struct rsp_es_d_basic_resp, rsp_es_d_eis_resp, rsp_es_d_notif_profile,
    rsp_es_d_notif_smsr, rsp_es_d_notif_downloaded;

/* Request/response shapes shared by ES3 and ES4 (lib/es/msgs.c), and their ES2 variants (with Smsr-Id). */
extern const rsp_es_struct rsp_es_d_eid_req, rsp_es_d_audit_req, rsp_es_d_profile_req, rsp_es_d_pol2_req,
    rsp_es_d_subaddr_req, rsp_es_d_eid_smsr_req, rsp_es_d_audit_smsr_req, rsp_es_d_profile_smsr_req,
    rsp_es_d_pol2_smsr_req, rsp_es_d_subaddr_smsr_req, rsp_es_d_euicc_data_resp, rsp_es_d_set_plma_req,
    rsp_es_d_get_plma_req, rsp_es_d_set_onc_req, rsp_es_d_get_onc_req, rsp_es_d_plma_resp, rsp_es_d_onc_resp;

/* The interface tables (lib/es/es1.c ... es7.c). */
extern const rsp_es_iface_table rsp_es_es1_table, rsp_es_es2_table, rsp_es_es3_table, rsp_es_es4_table,
    rsp_es_es4a_table, rsp_es_es7_table;

/* Walker helpers (lib/es/catalogue.c). */
size_t rsp_es_item_size(const rsp_es_field *f);
/* Compares names case-insensitively ignoring '-', '_' and (for element names) a namespace prefix. */
bool rsp_es_name_eq(const char *a, size_t alen, const char *b);
/* Enum value from text (lenient). -1 if unknown. */
int rsp_es_enum_parse(const rsp_es_enum *en, const char *s, size_t len);
/* Sets bad_element/bad_reason on m (first one wins). */
void rsp_es_msg_bad(rsp_es_msg *m, const char *element, const char *reason);
const rsp_es_limits *rsp_es_limits_or_default(const rsp_es_limits *lim, rsp_es_limits *tmp);
/* Whether an optional member is present / a mandatory one is set, per descriptor. */
bool rsp_es_field_present(const rsp_es_field *f, const void *base);
void rsp_es_field_mark(const rsp_es_field *f, void *base);
/* Parses a decimal int64 (optional sign, surrounding white space allowed). */
bool rsp_es_parse_int(const char *s, size_t len, int64_t *out);
/* Parses xs:boolean ("true"/"false"/"1"/"0", case-insensitive). */
bool rsp_es_parse_bool(const char *s, size_t len, bool *out);
void rsp_es_wsa_free(rsp_es_wsa *w);

/* json_splice.c: large values put into jansson's dumped text in place of placeholders "\x01<n>" (a
 * string in the tree; dumped as "\u0001<n>"). rsp_es__splice appends txt to out with each placeholder
 * replaced by vals[n] (quotes kept); RSP_ERR_END, nothing appended, when txt does not hold exactly the n
 * placeholders once each (a string field that spells one: encode again without splicing). */
enum { RSP_ES_SPLICE_PH_MAX = 24 };
void rsp_es__splice_placeholder(size_t n, char out[RSP_ES_SPLICE_PH_MAX]);
rsp_err rsp_es__splice(const char *txt, const rsp_buf *vals, size_t n, rsp_buf *out);

#endif
