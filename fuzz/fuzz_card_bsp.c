/* libFuzzer: rsp_bsp_unprotect on a stream of outside TLVs, as the card opens a bound profile
 * package. The first input byte picks the key set of VECTORS.txt §D (the third-party SM-DP+ trace,
 * or the keys after ReplaceSessionKeys), so inputs mutated from the traced segments reach the C-MAC
 * check, the decryption and the padding removal, segment after segment. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/buf.h"
#include "rsp/bsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seeds' constants are well-formed hex of known length (the core decoder does the work). */
static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    return rsp_hex_decode_fixed(h, out, n, NULL) == RSP_OK ? n : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t enc[16], mac[16], mcv[16];
    if (data[0] & 1) {
        /* §D after ReplaceSessionKeys: S-ENC 01 01 02.., S-MAC 02 01 02.., MCV 00 01 02.. */
        for (int i = 0; i < 16; i++)
            enc[i] = mac[i] = mcv[i] = (uint8_t)i;
        enc[0] = 1;
        mac[0] = 2;
    } else {
        unhex("472f5bfadd97f21d34f3ce9b51b92751", enc);
        unhex("9ec07f5b36a13e12a991d66e294e6242", mac);
        unhex("406d507b448a699e7a36a38494debbde", mcv);
    }
    rsp_bsp b;
    rsp_bsp_init(&b, enc, mac, mcv);
    rsp_buf out = RSP_BUF_INIT;
    rsp_diag d;
    size_t off = 1;
    while (off < size) {
        size_t used = 0;
        rsp_diag_clear(&d);
        if (rsp_bsp_unprotect(&b, data + off, size - off, &used, &out, &d) != RSP_OK)
            break; /* a bad C-MAC leaves the state unchanged: the same bytes would fail again */
        if (used == 0 || used > size - off)
            __builtin_trap(); /* progress and bounds are part of the contract */
        off += used;
    }
    rsp_bsp_close(&b);
    rsp_buf_free(&out);
    return 0;
}
