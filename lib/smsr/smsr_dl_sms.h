/* ES3.SendData of an SCP03t body by SMS (es3_dl_sms.c): the SMS-only download, for a card the SM-SR
 * cannot call into an admin session. docs/ENCODINGS.md "SCP03t over SCP80". */
#ifndef RSP_SMSR_DL_SMS_H
#define RSP_SMSR_DL_SMS_H

#include "smsr_dl.h"

/* Is an SCP03t body for eid sent by SMS? True when no admin session is possible: the SM-SR has no
 * admin server (no --admin-listen) or the card has no SCP81 PSK. (--es5-transport sms is the default
 * and does not decide it: a download through an admin session is one TLS session instead of ~9
 * SMS per 1 KB segment.) */
bool smsr_dl_scp03t_by_sms(rsp_smsr *e, const char *eid);

/* The SCP03t SendData claimed under op's fence: by SMS (the body as the secured data of one SCP80
 * packet to the ISD-P's TAR, concatenated, counter reserved durably; the op committed WAIT_POR /
 * AWAITING before return, *sent true, pkt filled) when smsr_dl_scp03t_by_sms, else smsr_dl_queue
 * (*sent false). A body too long for RSP_SMSR_MAX_PARTS parts, or a card without keys or MSISDN:
 * the op ends FAILED (*sent false). */
rsp_err smsr_dl_queue_pkt(rsp_smsr *e, const rsp_store_op *op, const smsr_dl *d, int64_t now, rsp_smsr_packet *pkt,
                          bool *sent);

/* The SCP80 packet of an SCP03t body to the ISD-P (d->aid's TAR) for eid; counter reserved under
 * fence. RSP_ERR_LENGTH when it needs more than RSP_SMSR_MAX_PARTS SMS; RSP_ERR_NOT_FOUND without keys. */
rsp_err smsr_dl_sms_build(rsp_smsr *e, const char *eid, const rsp_store_fence *fence, const smsr_dl *d, int64_t now,
                          rsp_smsr_packet *pkt);

#endif
