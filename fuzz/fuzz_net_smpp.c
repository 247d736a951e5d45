/* libFuzzer: the SMPP 3.4 PDU decoder over a stream of framed PDUs; whatever decodes must encode
 * and decode again to the same PDU. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/smpp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    for (int n = 0; n < 32 && off < size; n++) {
        size_t need;
        if (rsp_smpp_frame(data + off, size - off, &need, NULL) != RSP_OK || need > size - off)
            break;
        rsp_smpp_pdu p, q;
        rsp_diag d;
        rsp_diag_clear(&d);
        if (rsp_smpp_decode(data + off, need, &p, &d) == RSP_OK) {
            rsp_buf b = RSP_BUF_INIT;
            if (rsp_smpp_encode(&p, &b) != RSP_OK || rsp_smpp_decode(b.data, b.len, &q, NULL) != RSP_OK)
                abort();
            /* Strings compare by value: decode may leave bytes after a NUL that encode drops. */
            if (q.command_id != p.command_id || q.sequence != p.sequence || q.sm_length != p.sm_length ||
                memcmp(q.short_message, p.short_message, p.sm_length) || strcmp(q.dest_addr, p.dest_addr) ||
                strcmp(q.system_id, p.system_id) || q.message_state != p.message_state)
                abort();
            rsp_buf_free(&b);
        }
        off += need;
    }
    return 0;
}
