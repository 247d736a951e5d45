/* Card side of SCP80: peek and open arbitrary command packets with fixed keys (AES and 3DES by the
 * KIc/KID bytes found in the input), then build a PoR answering them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/scp80.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[32] = {0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    size_t klen[3] = {16, 24, 32};
    uint8_t *work = malloc(size + 1);
    if (!work)
        return 0;
    rsp_scp80_hdr h;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_scp80_cmd_peek(data, size, &h, &d) == RSP_OK) {
        size_t kl = (h.kic & 0x0F) == 0x01 || (h.kic & 0x0F) == 0x0D ? 8 : (h.kic & 0x0F) == 0x09 ? 24 : klen[size % 3];
        size_t dl = (h.kid & 0x0F) == 0x01 ? 8 : (h.kid & 0x0F) == 0x09 ? 24 : 16;
        rsp_scp80_keys k = {key, kl, key, dl};
        rsp_scp80_cmd c;
        rsp_err e = rsp_scp80_cmd_open(&k, data, size, work, size, &c, &d);
        if (e == RSP_OK || e == RSP_ERR_VERIFY) {
            uint8_t out[600];
            size_t n;
            uint8_t st, stored[5] = {0};
            rsp_scp80_counter_check(c.h.spi, stored, c.h.cntr, &st);
            if (c.data_len <= 500)
                rsp_scp80_por_build(&k, &c.h, c.status, c.data, c.data_len, out, sizeof(out), &n, NULL);
        }
    }
    free(work);
    return 0;
}
