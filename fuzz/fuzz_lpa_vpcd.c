/* Fuzzes the vpcd stream reader (lpa.h): the input is the bytes a driver (or anything that connects)
 * sends, cut into chunks at the positions the first byte picks. Every message taken out is framed
 * again and must be the bytes that went in: the reader neither loses nor invents a byte, and stops at
 * a message of length 0. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/lpa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = (size_t)data[0] + 1;
    data++, size--;
    rsp_vpcd_reader r;
    rsp_vpcd_reader_init(&r);
    rsp_buf msg = RSP_BUF_INIT, again = RSP_BUF_INIT;
    size_t consumed = 0;
    bool stopped = false;
    for (size_t off = 0; off < size && !stopped; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        if (rsp_vpcd_feed(&r, data + off, n) != RSP_OK)
            break;
        for (;;) {
            rsp_err e = rsp_vpcd_next(&r, &msg, NULL);
            if (e == RSP_ERR_END)
                break;
            if (e) {
                stopped = true;
                break;
            }
            rsp_buf_reset(&again);
            if (rsp_vpcd_frame(msg.data, msg.len, &again) != RSP_OK || consumed + again.len > size ||
                memcmp(again.data, data + consumed, again.len) != 0)
                abort();
            consumed += again.len;
        }
    }
    rsp_buf_free(&msg);
    rsp_buf_free(&again);
    rsp_vpcd_reader_free(&r);
    return 0;
}
