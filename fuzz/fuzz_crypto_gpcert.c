/* Fuzzes the GP 7F21 certificate decoder; anything that decodes must re-encode to the same bytes
 * (the decoder enforces canonical order) and print without faults. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/gpcert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_gpcert c;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_gpcert_decode(data, size, &c, &d) != RSP_OK)
        return 0;
    rsp_buf b = RSP_BUF_INIT;
    if (rsp_gpcert_encode(&c, &b) == RSP_OK && (b.len != size || memcmp(b.data, data, size) != 0)) {
        /* Non-minimal lengths in the input legitimately re-encode shorter; anything else is a bug. */
        if (b.len >= size)
            __builtin_trap();
    }
    rsp_buf_reset(&b);
    rsp_gpcert_print(&c, &b);
    rsp_buf_free(&b);
    return 0;
}
