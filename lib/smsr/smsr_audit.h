/* AuditEIS refresh (audit.c): the card's GET STATUS and GET DATA FF21 answers applied to the store. */
#ifndef RSP_SMSR_AUDIT_H
#define RSP_SMSR_AUDIT_H

#include "smsr_int.h"

/* The card's GET DATA FF21 answer (extended card resources, outside input): FF21 {81 applications,
 * 82 free non-volatile memory, 83 free volatile memory}, unsigned big-endian integers of any length
 * (SGP02.md "Card and SM-SR details") up to 2^63-1. 82 is needed; each tag at most once and not
 * empty; other inner tags skipped; nothing may follow FF21. RSP_ERR_FORMAT, _LENGTH, _TRUNCATED with
 * diag; RSP_ERR_INVAL for a NULL out or p with len. */
typedef struct smsr_resources {
    int64_t apps, free_nvm, free_volatile; /* 0 when absent */
    bool has_free_nvm;
} smsr_resources;
rsp_err smsr_resources_parse(const uint8_t *p, size_t len, smsr_resources *out, rsp_diag *d);

/* The AuditEIS script (expanded, definite lengths): AA { 22 GET STATUS 80F24002 {4F L aid, 5C 03
 * 4F9F70}, 22 GET DATA 80CAFF2100 }; aid NULL asks every ISD-P (4F 00). Appended to out. */
rsp_err smsr_audit_script(const uint8_t *aid, size_t aid_len, rsp_buf *out);
/* por_data: the card's answer to the audit script (expanded/compact R-APDUs, as in a PoR or an admin
 * session): the GET STATUS data (rsp_smsr_status_parse) and, when the card was asked, the FF21 data
 * (rsp_smsr_resources_parse: told apart by its tag), each at most once. Updates each stored profile of
 * op->eid whose ISD-P the card reports with another life cycle state, fall-back or emergency flag, and
 * the EIS's RemainingMemory and AvailableMemoryForProfiles (both = FF21's free non-volatile memory),
 * one "smsr.audit.changed" audit entry per change ("ICCID state disabled->enabled", "memory 100->80").
 * *changes (may be NULL) counts the profiles and EIS changed. RSP_ERR_FORMAT with diag (the parser's
 * reason) for an unreadable answer (nothing changed); store errors as they come. */
rsp_err smsr_audit_refresh(rsp_smsr *e, const rsp_store_op *op, const uint8_t *por_data, size_t len, int64_t now,
                           size_t *changes, rsp_diag *d);
/* The hook of a settled AuditEIS (es5_sms.c): smsr_audit_refresh, where an unreadable answer is
 * logged and recorded ("smsr.audit.unreadable") and the stored EIS stands (RSP_OK). */
rsp_err smsr_audit_done(rsp_smsr *e, const rsp_store_op *op, const uint8_t *por_data, size_t len, int64_t now);

#endif
