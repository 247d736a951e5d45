/* Server side of SCP80: open arbitrary PoRs under every SPI byte 2 the first input byte picks. */
#include <stdint.h>
#include <stdlib.h>

#include "rsp/scp80.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const uint8_t key[16] = {0x30, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t kx[4] = {0x22, 0x15, 0x11, 0x12};
    rsp_scp80_hdr h = {.spi = {0x06, data[0]}, .kic = kx[data[1] & 3], .kid = kx[(data[1] >> 2) & 3]};
    rsp_scp80_keys k = {key, (h.kic & 0xF) == 1 ? 8 : 16, key, (h.kid & 0xF) == 1 ? 8 : 16};
    uint8_t *work = malloc(size + 3);
    if (!work)
        return 0;
    rsp_scp80_por p;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_scp80_por_open(&k, &h, data + 2, size - 2, work, size + 1, &p, &d);
    free(work);
    return 0;
}
