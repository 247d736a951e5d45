/* libFuzzer: the SM-SR's E1 notification parser (rsp_smsr_notif_parse) on outside bytes (the
 * deciphered data of an MO packet). A parse that succeeds must have found EID, type and sequence
 * number, an AID of 5..16 bytes or none, and an upper-case hex EID of 32 digits. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/smsr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_smsr_notif n;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_smsr_notif_parse(data, size, &n, &d) == RSP_OK) {
        if (strlen(n.eid) != 32 || (n.aid_len && (n.aid_len < 5 || n.aid_len > 16)))
            __builtin_trap();
        for (size_t i = 0; i < 32; i++)
            if (!((n.eid[i] >= '0' && n.eid[i] <= '9') || (n.eid[i] >= 'A' && n.eid[i] <= 'F')))
                __builtin_trap();
    }
    return 0;
}
