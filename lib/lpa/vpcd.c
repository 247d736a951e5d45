/* vpcd framing (lpa.h): what vsmartcard's driver sends a virtual card and what it reads back. The
 * stream is outside input (a peer over TCP), so the reader checks every length and never trusts one
 * before its bytes are there. */
#include <string.h>

#include "rsp/lpa.h"

void rsp_vpcd_reader_init(rsp_vpcd_reader *r)
{
    rsp_buf_init(&r->in);
}

void rsp_vpcd_reader_free(rsp_vpcd_reader *r)
{
    rsp_buf_free(&r->in);
}

rsp_err rsp_vpcd_feed(rsp_vpcd_reader *r, const uint8_t *p, size_t len)
{
    if (r->in.len + len > 4 * (RSP_VPCD_MAX + 2))
        return RSP_ERR_OVERFLOW; /* a peer that writes without reading our answers */
    return rsp_buf_append(&r->in, p, len);
}

rsp_err rsp_vpcd_next(rsp_vpcd_reader *r, rsp_buf *msg, rsp_diag *diag)
{
    if (r->in.len < 2)
        return RSP_ERR_END;
    size_t n = ((size_t)r->in.data[0] << 8) | r->in.data[1];
    if (n == 0)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, 0, "vpcd: a message of length 0");
    if (r->in.len < 2 + n)
        return RSP_ERR_END;
    rsp_err e = rsp_buf_set(msg, r->in.data + 2, n);
    if (e)
        return e;
    memmove(r->in.data, r->in.data + 2 + n, r->in.len - 2 - n);
    r->in.len -= 2 + n;
    return RSP_OK;
}

rsp_err rsp_vpcd_frame(const uint8_t *p, size_t len, rsp_buf *out)
{
    if (len == 0 || len > RSP_VPCD_MAX)
        return RSP_ERR_INVAL;
    rsp_err e = rsp_buf_append_u16(out, (uint16_t)len);
    return e ? e : rsp_buf_append(out, p, len);
}
