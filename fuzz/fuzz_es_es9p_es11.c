/* libFuzzer target: the ES11 authenticateClient answer decoder and the ES11 path parser
 * (include/rsp/es9p.h §ES11). Oracles: never crashes or leaks; what decodes re-encodes, and that
 * encoding decodes to the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/es9p.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char target[300];
    size_t n = size < sizeof(target) - 1 ? size : sizeof(target) - 1;
    memcpy(target, data, n);
    target[n] = '\0';
    rsp_es9p_func f;
    (void)rsp_es9p_es11_path_parse(target, &f, NULL);

    rsp_es11_answer a, a2;
    if (rsp_es9p_es11_answer_decode(data, size, &a, NULL) != RSP_OK)
        return 0;
    rsp_buf b = RSP_BUF_INIT;
    if (rsp_es9p_es11_answer_encode(&a, &b, NULL) != RSP_OK)
        abort();
    if (rsp_es9p_es11_answer_decode(b.data, b.len, &a2, NULL) != RSP_OK || a2.n_events != a.n_events ||
        a2.header.status != a.header.status ||
        memcmp(a2.events, a.events, sizeof(a.events[0]) * a.n_events) != 0)
        abort();
    rsp_buf_free(&b);
    return 0;
}
