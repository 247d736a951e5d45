/* Fuzzes the CRL parser (DER and PEM): whatever parses must hold sorted entries with 1..20-byte
 * serials, find each of its own serials by lookup, and go through signature and freshness checks
 * without faults. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/crl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_crl *c = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_crl_parse(data, size, &c, &d) != RSP_OK) {
        if (c || !d.msg[0])
            __builtin_trap(); /* a refusal leaves nothing behind and says why */
        return 0;
    }
    for (size_t i = 0; i < rsp_crl_count(c); i++) {
        const rsp_crl_entry *e = rsp_crl_entry_at(c, i);
        if (!e || e->serial_len == 0 || e->serial_len > RSP_CRL_SERIAL_MAX || !rsp_crl_lookup(c, e->serial, e->serial_len))
            __builtin_trap();
    }
    if (rsp_crl_next_update(c) <= rsp_crl_this_update(c))
        __builtin_trap();
    static const uint8_t sk[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    rsp_eckey *k = NULL;
    if (rsp_ec_from_private(RSP_CURVE_P256, sk, &k) == RSP_OK) {
        (void)rsp_crl_verify(c, k, rsp_crl_this_update(c), NULL);
        rsp_ec_free(k);
    }
    rsp_crl_free(c);
    return 0;
}
