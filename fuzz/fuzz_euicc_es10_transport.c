/* Fuzzes the card side of the ES10 transport: the input is a sequence of C-APDUs, each preceded by
 * its length byte. The handler runs the ES10 decoders on each complete command and echoes it, so
 * chaining, channels and GET RESPONSE are reached with real answers. Every R-APDU ends in a SW. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/es10.h"

static rsp_es10_notif_list list;

static rsp_err handler(void *ctx, const uint8_t *req, size_t len, rsp_buf *resp)
{
    (void)ctx;
    uint32_t tag;
    rsp_err e = rsp_es10_peek_tag(req, len, &tag, NULL);
    if (e)
        return e;
    rsp_es10_auth_server_req a;
    rsp_es10_prepare_req p;
    rsp_es10_profile_req q;
    switch (tag) {
    case RSP_ES10_AUTHENTICATE_SERVER: (void)rsp_es10_auth_server_req_decode(req, len, &a, NULL); break;
    case RSP_ES10_PREPARE_DOWNLOAD: (void)rsp_es10_prepare_req_decode(req, len, &p, NULL); break;
    case RSP_ES10_RETRIEVE_NOTIFICATIONS: (void)rsp_es10_notif_list_decode(req, len, tag, &list, NULL); break;
    default: (void)rsp_es10_profile_req_decode(req, len, &q, NULL); break;
    }
    return rsp_buf_append(resp, req, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t svn[3] = {2, 3, 0};
    rsp_es10_transport t;
    rsp_es10_transport_init(&t, svn, handler, NULL);
    rsp_buf r = RSP_BUF_INIT;
    size_t off = 0;
    while (off < size) {
        size_t n = data[off++];
        if (n > size - off)
            n = size - off;
        rsp_buf_reset(&r);
        if (rsp_es10_transport_apdu(&t, data + off, n, &r) != RSP_OK || r.len < 2)
            __builtin_trap();
        off += n;
    }
    rsp_buf_free(&r);
    rsp_es10_transport_free(&t);
    return 0;
}
