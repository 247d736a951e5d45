/* Random SMS-PP and device events to one card. Each record is [op][len16][bytes]: op 0 an SMS-DELIVER
 * TPDU, 1 a tick (the clock moves by len16 seconds), 2 loss of network, 3 a power cut, 4 an admin
 * script to the ISD-R, 5 an admin script to ISD-P 000010 (SCP03t), 6 the end of the admin session.
 * Whatever arrives, the card must not crash and must keep exactly one profile enabled. */
#include <stdint.h>

#include "fuzz_euicc_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_euicc *c;
    rsp_euicc_fleet *f = fz_fleet(&c);
    int64_t now = 1800000000000LL;
    size_t pos = 0;
    static const uint8_t isdp10[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
    while (pos + 3 <= size) {
        uint8_t op = data[pos] % 7;
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos && op != 1)
            len = size - pos;
        const uint8_t *p = data + pos;
        rsp_euicc_out out;
        memset(&out, 0, sizeof(out));
        rsp_buf resp = RSP_BUF_INIT;
        char status[32];
        switch (op) {
        case 0: {
            rsp_diag d;
            rsp_diag_clear(&d);
            if (rsp_euicc_sms_pp(c, p, len, now, &out, &d) != RSP_OK) {
                fprintf(stderr, "sms_pp failed: %s\n", d.msg);
                abort(); /* an in-memory card always handles an SMS */
            }
        }
            pos += len;
            break;
        case 1:
            now += (int64_t)len * 1000;
            if (rsp_euicc_tick(c, now, &out, NULL) != RSP_OK)
                abort();
            break;
        case 2:
            rsp_euicc_net_down(c, now, &out);
            break;
        case 3:
            rsp_euicc_reset(c, now);
            break;
        case 4:
        case 5:
            if (rsp_euicc_admin_script(c, p, len, op == 5 ? isdp10 : NULL, op == 5 ? 16 : 0, now, &resp, status, &out,
                                       NULL) != RSP_OK) {
                fprintf(stderr, "admin_script failed\n");
                abort();
            }
            pos += len;
            break;
        default:
            rsp_euicc_admin_end(c, len & 1, now);
            break;
        }
        for (size_t i = 0; i < out.n_sms; i++)
            if (out.sms[i].tpdu.len == 0 || out.sms[i].tpdu.len > 176)
                abort(); /* every MO SMS is one well-sized TPDU */
        rsp_euicc_out_clear(&out);
        rsp_buf_free(&resp);
        fz_check_one_enabled(c);
    }
    rsp_euicc_fleet_close(f);
    return 0;
}
