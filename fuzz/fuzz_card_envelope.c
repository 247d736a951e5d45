/* ENVELOPE (SMS-PP download) parsing, then the TPDU inside it. */
#include <stdint.h>

#include "rsp/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_sms_envelope e;
    if (rsp_sms_envelope_parse(data, size, &e, NULL) == RSP_OK) {
        rsp_sms_tpdu t;
        rsp_buf b = RSP_BUF_INIT;
        if (rsp_sms_tpdu_parse(e.tpdu, e.tpdu_len, &t, NULL) == RSP_OK)
            rsp_sms_envelope_build(e.has_smsc ? &e.smsc : NULL, e.tpdu, e.tpdu_len, &b);
        rsp_buf_free(&b);
    }
    return 0;
}
