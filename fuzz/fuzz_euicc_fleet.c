/* libFuzzer: what the fleet daemon reads from outside (lib/euicc/fleet_ctl.c, fleet_sms.c). The first
 * byte picks the parser: 0 a control socket line, 1 an SMPP PDU from the SMSC (a deliver_sm becomes
 * the SMS-DELIVER the card reads, which must parse back to the same user data), 2 a card's TPDU as
 * the submit_sm the device sends (which must encode). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "euicc/fleet_int.h"
#include "rsp/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    rsp_diag d;
    rsp_diag_clear(&d);
    switch (data[0] % 3) {
    case 0: {
        rsp_fleet_ctl_cmd c;
        if (rsp_fleet_ctl_parse((const char *)p, n, &c, &d) == RSP_OK) {
            if (c.eid[0] && strlen(c.eid) != 32)
                __builtin_trap();
            char ans[RSP_FLEET_CTL_ANSWER_MAX];
            rsp_fleet_ctl_error(ans, sizeof(ans), RSP_ERR_STATE, c.eid);
        }
        break;
    }
    case 1: {
        rsp_smpp_pdu pdu;
        if (rsp_smpp_decode(p, n, &pdu, &d) != RSP_OK || pdu.command_id != RSP_SMPP_DELIVER_SM)
            break;
        rsp_buf tpdu = RSP_BUF_INIT;
        if (rsp_fleet_deliver_to_tpdu(&pdu, 1658707200000LL, &tpdu, &d) == RSP_OK) {
            rsp_sms_tpdu t;
            /* 7-bit DCS is not ours to parse back; 8-bit must round trip. */
            if (rsp_sms_tpdu_parse(tpdu.data, tpdu.len, &t, NULL) == RSP_OK &&
                (t.ud_len != pdu.sm_length || (t.ud_len && memcmp(t.ud, pdu.short_message, t.ud_len))))
                __builtin_trap();
        }
        rsp_buf_free(&tpdu);
        break;
    }
    default: {
        rsp_smpp_pdu sm;
        if (rsp_fleet_tpdu_to_submit(p, n, "447700900100", NULL, &sm, &d) == RSP_OK) {
            rsp_buf enc = RSP_BUF_INIT;
            sm.sequence = 1;
            if (rsp_smpp_encode(&sm, &enc) != RSP_OK)
                __builtin_trap();
            rsp_buf_free(&enc);
        }
        break;
    }
    }
    return 0;
}
