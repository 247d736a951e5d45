/* libFuzzer target: activation codes and base64 (include/rsp/es9p.h). Oracles: parsing never crashes;
 * a parsed code prints, and the print parses to the same fields; base64 that decodes re-encodes to
 * the input once whitespace is removed (one text per value). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es9p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_es9p_ac ac, ac2;
    if (rsp_es9p_ac_parse((const char *)data, size, &ac, NULL) == RSP_OK) {
        char out[1024];
        if (rsp_es9p_ac_print(&ac, out, sizeof(out)) != RSP_OK)
            abort();
        if (rsp_es9p_ac_parse(out, strlen(out), &ac2, NULL) != RSP_OK || memcmp(&ac, &ac2, sizeof(ac)) != 0)
            abort();
    }
    rsp_buf b = RSP_BUF_INIT, t = RSP_BUF_INIT;
    if (rsp_es9p_b64_decode((const char *)data, size, &b, NULL) == RSP_OK) {
        if (rsp_es9p_b64_encode(b.data, b.len, &t) != RSP_OK)
            abort();
        size_t j = 0;
        for (size_t i = 0; i < size; i++) {
            char c = (char)data[i];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                continue;
            if (j >= t.len || t.data[j] != (uint8_t)c)
                abort();
            j++;
        }
        if (j != t.len)
            abort();
    }
    rsp_buf_free(&b);
    rsp_buf_free(&t);
    return 0;
}
