/* The EIS files of `rsp eum make` (ES1.RegisterEIS requests), docs/ENCODINGS.md "EUM manufacturing".
 * The EumSignature format is documented in include/rsp/es.h (rsp_es_eis_canonical). */
#ifndef RSP_APPS_EUM_EIS_H
#define RSP_APPS_EUM_EIS_H

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"
#include "rsp/es.h"

/* The canonical form, EumSignature and its check live in lib/es/eis_sign.c (rsp_es_eis_canonical,
 * rsp_es_eis_sign, rsp_es_eis_verify); these names stay for the fuzz target. */
static inline rsp_err rsp_eum_eis_canonical(const rsp_es_eum_signed_info *si, rsp_buf *out)
{
    return rsp_es_eis_canonical(si, out);
}
static inline rsp_err rsp_eum_eis_verify(const rsp_es_eis *eis, const rsp_eckey *eum, rsp_diag *diag)
{
    return rsp_es_eis_verify(eis, eum, diag);
}

/* Writes dir/<EID>.xml (SOAP 1.2 RegisterEIS request, gsma dialect) and dir/<EID>.json (JSON binding)
 * of msg, whose body is an rsp_es_eis_req. The files are created new (RSP_ERR_EXISTS if one is there);
 * nothing is fsync'd here (the caller syncs the file system once at the end). xml and json are scratch buffers reused across cards. */
rsp_err rsp_eum_eis_write(const rsp_es_msg *msg, const char *dir, rsp_buf *xml, rsp_buf *json, rsp_diag *diag);
/* The same, with the XML file also carrying an XML-DSig ds:Signature over EumSignedInfo made with dsig
 * (the EUM key; rsp_es_eis_dsig_sign), for SM-SRs that check that form instead of EumSignature. */
rsp_err rsp_eum_eis_write_dsig(const rsp_es_msg *msg, const char *dir, const rsp_eckey *dsig, rsp_buf *xml,
                               rsp_buf *json, rsp_buf *scratch, rsp_diag *diag);
/* Reads an EIS file written as above (SOAP or JSON, detected from its first character) into out;
 * the body is an rsp_es_eis_req. Free out with rsp_es_msg_free either way. */
rsp_err rsp_eum_eis_load(const char *path, rsp_es_msg *out, rsp_diag *diag);
/* The same, keeping the file's bytes in raw (caller owns; an XML-DSig is verified on the bytes as read). */
rsp_err rsp_eum_eis_load_raw(const char *path, rsp_es_msg *out, rsp_buf *raw, rsp_diag *diag);

#endif
