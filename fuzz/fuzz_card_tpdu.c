/* SMS TPDU parsing, the UDH, and feeding the user data to a reassembler (time from the input). */
#include <stdint.h>

#include "rsp/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_sms_tpdu t;
    rsp_sms_udh u;
    rsp_sms_reasm r;
    rsp_sms_reasm_init(&r, 1000);
    rsp_buf out = RSP_BUF_INIT, again = RSP_BUF_INIT;
    if (rsp_sms_tpdu_parse(data, size, &t, NULL) == RSP_OK) {
        rsp_sms_tpdu_build(&t, &again);
        if (t.ud_len && rsp_sms_udh_parse(t.ud, t.ud_len, &u, NULL) == RSP_OK) {
            uint8_t iei;
            bool done;
            rsp_sms_reasm_add(&r, t.addr.digits, t.ud, t.ud_len, t.scts[0], &out, &iei, &done, NULL);
            rsp_sms_reasm_add(&r, t.addr.digits, t.ud, t.ud_len, t.scts[1], &out, &iei, &done, NULL);
        }
    }
    /* The raw input as a sequence of user data parts too. */
    for (size_t i = 0; i + 1 < size;) {
        size_t n = data[i] % 64 + 1;
        if (n > size - i - 1)
            n = size - i - 1;
        uint8_t iei;
        bool done;
        rsp_sms_reasm_add(&r, "1", data + i + 1, n, data[i], &out, &iei, &done, NULL);
        i += n + 1;
    }
    rsp_sms_reasm_free(&r);
    rsp_buf_free(&out);
    rsp_buf_free(&again);
    return 0;
}
