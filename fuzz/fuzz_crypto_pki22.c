/* Fuzzes the SGP.22 certificate decoder and the chain verifier with the input as leaf, as EUM and as
 * trusted CI at once: nothing may fault, and nothing made of one forged certificate may verify as an
 * eUICC (that needs three certificates that chain). */
#include <stddef.h>
#include <stdint.h>

#include "rsp/pki22.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_pki22_info info;
    if (rsp_pki22_inspect(data, size, &info, NULL) != RSP_OK)
        return 0;
    rsp_bytes ci[1] = {rsp_bytes_of(data, size)};
    for (int r = 0; r < RSP_PKI22_ROLE_COUNT; r++)
        (void)rsp_pki22_verify(data, size, (rsp_pki22_role)r, r == RSP_PKI22_EUICC ? data : NULL,
                               r == RSP_PKI22_EUICC ? size : 0, ci, 1, 0, NULL, NULL, NULL, NULL);
    return 0;
}
