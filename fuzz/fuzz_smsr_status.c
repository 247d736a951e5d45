/* libFuzzer: the card's GET STATUS answer as the SM-SR reads it for AuditEIS
 * (rsp_smsr_status_parse, lib/smsr/audit.c). Invariants: on success every entry's AID is 5..16
 * bytes and lies inside the input, at most cap entries come back, and a parse stops within the
 * input; on failure diag says why. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/smsr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_smsr_isdp_status s[RSP_SMSR_STATUS_MAX];
    size_t n = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    size_t cap = size ? (size_t)(data[0] % RSP_SMSR_STATUS_MAX) + 1 : 1;
    rsp_err e = rsp_smsr_status_parse(data, size, s, cap, &n, &d);
    if (e == RSP_OK) {
        if (n == 0 || n > cap)
            __builtin_trap();
        for (size_t i = 0; i < n; i++) {
            if (s[i].aid_len < 5 || s[i].aid_len > 16)
                __builtin_trap();
            /* the AID bytes were copied from somewhere in the input */
            bool found = false;
            for (size_t k = 0; !found && k + s[i].aid_len <= size; k++)
                found = memcmp(data + k, s[i].aid, s[i].aid_len) == 0;
            if (!found)
                __builtin_trap();
        }
    } else if (e == RSP_ERR_INVAL || !d.msg[0]) {
        __builtin_trap();
    }
    return 0;
}
