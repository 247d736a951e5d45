/* ES3.SendData of an SCP03t body by SMS: the SMS-only download (docs/ENCODINGS.md "SCP03t over
 * SCP80"). Claimed like every engine op (es5_sms.c resume); the body is the secured data of one SCP80
 * packet to the ISD-P's TAR, its counter reserved under the op's fence and recorded in the cursor
 * before the packet can leave, and its PoR settles the op through smsr_settle, whose judge
 * (smsr_dl_judge) reads a t=scp03t op's PoR data raw. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/log.h"
#include "rsp/scp80.h"
#include "rsp/sms.h"
#include "smsr_dl_sms.h"

bool smsr_dl_scp03t_by_sms(rsp_smsr *e, const char *eid)
{
    return !e->https || !smsr_https_reachable(e->https, eid);
}

rsp_err smsr_dl_sms_build(rsp_smsr *e, const char *eid, const rsp_store_fence *fence, const smsr_dl *d, int64_t now,
                          rsp_smsr_packet *pkt)
{
    rsp_aid aid;
    uint32_t tar = 0;
    if (d->aid_len > sizeof(aid.b))
        return RSP_ERR_FORMAT;
    aid.len = (uint8_t)d->aid_len;
    memcpy(aid.b, d->aid, d->aid_len);
    rsp_err err = rsp_aid_isdp_tar(&aid, &tar);
    if (err != RSP_OK)
        return err;
    /* checked before a counter is spent: CPL..CC, padding and the UDH of each part (8 bytes in the
     * first, 6 in the others) */
    size_t wire = d->len + RSP_SCP80_OVERHEAD;
    if (8 + wire > (size_t)RSP_SMSR_MAX_PARTS * (140 - 6))
        return RSP_ERR_LENGTH;
    /* the ISD-R's key set and SPI (the SM-SR holds no other SCP80 keys), the ISD-P's TAR */
    return smsr_packet_build_to(e, eid, fence, tar, d->data, d->len, false, now, pkt);
}

rsp_err smsr_dl_queue_pkt(rsp_smsr *e, const rsp_store_op *op, const smsr_dl *d, int64_t now, rsp_smsr_packet *pkt,
                          bool *sent)
{
    *sent = false;
    if (d->ucp || !smsr_dl_scp03t_by_sms(e, op->eid)) /* a long UCP body: the admin session or nothing */
        return smsr_dl_queue(e, op, d, now);
    rsp_store_fence fence = {op->id, op->generation};
    rsp_err err = smsr_dl_sms_build(e, op->eid, &fence, d, now, pkt);
    if (err == RSP_ERR_LENGTH || err == RSP_ERR_NOT_FOUND || (err == RSP_OK && !pkt->msisdn[0])) {
        rsp_smsr_packet_clear(pkt);
        smsr_dl_outcome o = {RSP_STORE_OP_SENT, RSP_SMSR_STEP_FAILED, NULL, NULL,
                             err == RSP_ERR_LENGTH ? "SCP03t body too long for one concatenated SMS packet"
                                                   : "the card cannot be reached (no keys or no MSISDN)",
                             {NULL, 0}};
        if (err != RSP_ERR_LENGTH)
            o.subject = "8.1.1", o.reason = "5.1";
        return smsr_dl_finish(e, RSP_SMSR_FN_SEND_DATA, op, d, &fence, &o, now);
    }
    rsp_smsr_step step;
    if (err == RSP_OK)
        err = rsp_smsr_step_next(RSP_SMSR_FN_SEND_DATA, RSP_SMSR_STEP_COMMAND, RSP_SMSR_EV_SENT, &step);
    /* the counter is recorded before the packet can leave: its PoR finds the op through it */
    if (err == RSP_OK)
        err = smsr_cursor_put(e, op->eid, op->id, step, pkt->counter, op->generation, now);
    if (err == RSP_OK) {
        rsp_store_op_change chg = {.now = now, .lease_until = now + smsr_por_wait(e, op->attempts)};
        err = rsp_store_op_transition(e->st, op->id, &fence, RSP_STORE_OP_SENT, RSP_STORE_OP_AWAITING, &chg);
    }
    if (err != RSP_OK) {
        rsp_smsr_packet_clear(pkt);
        return err;
    }
    pkt->op_id = op->id;
    *sent = true;
    RSP_LOGI(RSP_SS_SMSR, "ES3.SendData by SMS", "eid=%s iccid=%s op=%lld bytes=%zu parts=%zu cntr=%llu", op->eid,
             d->iccid, (long long)op->id, d->len, pkt->n, (unsigned long long)pkt->counter);
    return RSP_OK;
}

