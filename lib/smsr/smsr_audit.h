/* AuditEIS refresh (audit.c): the card's GET STATUS answer applied to the store. */
#ifndef RSP_SMSR_AUDIT_H
#define RSP_SMSR_AUDIT_H

#include "smsr_int.h"

/* por_data: the card's answer to the audit command (expanded/compact R-APDUs, as in a PoR or an
 * admin session). Parses the last R-APDU's data (rsp_smsr_status_parse), then updates each stored
 * profile of op->eid whose ISD-P the card reports with another life cycle state or fall-back flag,
 * one "smsr.audit.changed" audit entry per change ("ICCID state disabled->enabled"). *changes (may
 * be NULL) counts the profiles changed. RSP_ERR_FORMAT with diag (the parser's reason) for an
 * unreadable answer (nothing changed); store errors as they come. */
rsp_err smsr_audit_refresh(rsp_smsr *e, const rsp_store_op *op, const uint8_t *por_data, size_t len, int64_t now,
                           size_t *changes, rsp_diag *d);
/* The hook of a settled AuditEIS (es5_sms.c): smsr_audit_refresh, where an unreadable answer is
 * logged and recorded ("smsr.audit.unreadable") and the stored EIS stands (RSP_OK). */
rsp_err smsr_audit_done(rsp_smsr *e, const rsp_store_op *op, const uint8_t *por_data, size_t len, int64_t now);

#endif
