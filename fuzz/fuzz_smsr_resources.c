/* libFuzzer: the card's GET DATA FF21 answer (extended card resources) as the SM-SR reads it for
 * AuditEIS (smsr_resources_parse, lib/smsr/audit.c). Invariants: on success the free non-volatile
 * memory is there and every figure is >= 0 (it fits an int64), and the input starts FF21; on failure
 * diag says why and the error is one of the documented ones. */
#include <stddef.h>
#include <stdint.h>

#include "smsr/smsr_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    smsr_resources r;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = smsr_resources_parse(data, size, &r, &d);
    if (e == RSP_OK) {
        if (!r.has_free_nvm || r.free_nvm < 0 || r.apps < 0 || r.free_volatile < 0)
            __builtin_trap();
        if (size < 3 || data[0] != 0xFF || data[1] != 0x21)
            __builtin_trap();
    } else if ((e != RSP_ERR_FORMAT && e != RSP_ERR_LENGTH && e != RSP_ERR_TRUNCATED) || !d.msg[0]) {
        __builtin_trap();
    }
    return 0;
}
