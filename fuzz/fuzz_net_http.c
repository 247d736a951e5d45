/* libFuzzer: the HTTP/1.1 request parser (and the response parser the client uses), fed as a
 * pipelined stream, so a consumed count that lies would walk off the input; chunked bodies are
 * decoded and must come out at the size the parser announced. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_int.h"
#include "rsp/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_http_limits lim = {1024, 4096};
    size_t off = 0;
    for (int n = 0; n < 64 && off < size; n++) {
        rsp_http_parsed r;
        rsp_diag d;
        rsp_diag_clear(&d);
        rsp_err e = rsp_http_parse_request(data + off, size - off, &lim, &r, &d);
        if (e != RSP_OK)
            break;
        if (r.consumed == 0 || r.consumed > size - off || r.body_raw + r.body_raw_len > data + size ||
            r.body_raw < data + off)
            abort();
        if (r.chunked) {
            /* The decoder must agree with the parser on the size and stay inside the framing. */
            if (r.body || r.body_len > r.body_raw_len || r.body_len > lim.max_body_bytes)
                abort();
            uint8_t *copy = malloc(r.body_raw_len ? r.body_raw_len : 1);
            if (!copy)
                return 0;
            memcpy(copy, r.body_raw, r.body_raw_len);
            if (rsp_http_dechunk(copy, r.body_raw_len, copy) != r.body_len)
                abort();
            free(copy);
        } else if (r.body + r.body_len > data + size) {
            abort();
        }
        for (size_t i = 0; i < r.nheaders; i++)
            if (r.headers[i].value + r.headers[i].value_len > (const char *)data + size)
                abort();
        off += r.consumed;
    }
    rsp_http_response resp;
    size_t used;
    int ka;
    if (rsp_http_parse_response(data, size, 8192, &resp, &used, &ka, NULL) == RSP_OK && used > size)
        abort();
    return 0;
}
