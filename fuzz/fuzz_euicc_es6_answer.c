/* The Operator's side of ES6 on what the network hands back (include/rsp/es6.h). The first byte picks
 * the input: 0 a raw PoR opened under the SPI byte 2 of the second byte (an SPI without PoR security
 * lets any bytes reach the response parser); 1 the rest as the response data of a PoR secured by the
 * card-side builder (CC and ciphering verified, then the R-APDU script parsed); 2 a GET STATUS answer
 * for rsp_es6_apps_parse. The answer must never claim more data than it holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    rsp_scp80_keys k = {key, 16, key, 16};
    rsp_scp80_hdr h = {{0x16, 0x39}, 0x22, 0x22, {0xB0, 0x01, 0x40}, {0, 0, 0, 0, 1}, 0, 0};
    rsp_es6_answer a;
    rsp_diag d;
    rsp_diag_clear(&d);
    switch (data[0] % 3) {
    case 0:
        h.spi[1] = data[1];
        if (rsp_es6_answer_parse(&k, &h, data + 2, size - 2, &a, &d) == RSP_OK && a.data_len > sizeof(a.data))
            abort();
        break;
    case 1: {
        size_t n = size - 1, cap = n + RSP_SCP80_OVERHEAD + 3, len = 0;
        uint8_t *por = malloc(cap);
        if (!por)
            return 0;
        h.spi[1] = (uint8_t)(0x21 | (data[1] & 0x1C)); /* PoR required, by SUBMIT; CC / ciphering as drawn */
        if (rsp_scp80_por_build(&k, &h, 0, data + 1, n, por, cap, &len, NULL) == RSP_OK &&
            rsp_es6_answer_parse(&k, &h, por, len, &a, &d) == RSP_OK && a.data_len > sizeof(a.data))
            abort();
        free(por);
        break;
    }
    default: {
        rsp_es6_app apps[4];
        size_t n = 0;
        if (rsp_es6_apps_parse(data + 1, size - 1, apps, 4, &n, &d) == RSP_OK && n > 4)
            abort();
    }
    }
    return 0;
}
