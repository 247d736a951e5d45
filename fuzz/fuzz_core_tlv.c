/* Fuzzes the BER-TLV reader: flat and nested walks, with and without indefinite lengths, and the
 * writer re-encoding what was read (lengths must agree). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/tlv.h"

static void walk(const uint8_t *p, size_t len, unsigned flags, int depth)
{
    rsp_tlv_reader r;
    rsp_tlv t;
    rsp_tlv_reader_init(&r, p, len, flags);
    while (rsp_tlv_next(&r, &t) == RSP_OK) {
        if (t.value + t.len > p + len || t.raw + t.raw_len > p + len)
            __builtin_trap();
        if (t.constructed && depth < 8)
            walk(t.value, t.len, flags, depth + 1);
        if (!t.indefinite) {
            rsp_buf b = RSP_BUF_INIT;
            /* Under DER rules the input length is minimal, so re-encoding gives the same size. */
            if (rsp_tlv_put(&b, t.tag, t.value, t.len) == RSP_OK && (flags & RSP_TLV_DER) &&
                t.tag_len == rsp_tlv_tag_size(t.tag) && b.len != t.raw_len)
                __builtin_trap();
            rsp_buf_free(&b);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    walk(data, size, 0, 0);
    walk(data, size, RSP_TLV_ALLOW_INDEFINITE, 0);
    walk(data, size, RSP_TLV_DER, 0);
    walk(data, size, RSP_TLV_SKIP_PADDING, 0);
    return 0;
}
