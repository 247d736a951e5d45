/* PDU framing over a bufferevent, shared by the ESME and the SMSC. */
#include <time.h>

#include <event2/buffer.h>

#include "smpp_int.h"

double rsp_smpp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

rsp_err rsp_smpp_io_send(struct bufferevent *bev, const rsp_smpp_pdu *pdu, rsp_buf *scratch)
{
    rsp_buf_reset(scratch);
    rsp_err e = rsp_smpp_encode(pdu, scratch);
    if (e == RSP_OK && bufferevent_write(bev, scratch->data, scratch->len) != 0)
        e = RSP_ERR_NOMEM;
    return e;
}

rsp_err rsp_smpp_io_reply(struct bufferevent *bev, uint32_t command_id, uint32_t status, uint32_t seq)
{
    uint8_t h[16];
    rsp_put_be32(h, 16);
    rsp_put_be32(h + 4, command_id);
    rsp_put_be32(h + 8, status);
    rsp_put_be32(h + 12, seq);
    return bufferevent_write(bev, h, sizeof(h)) == 0 ? RSP_OK : RSP_ERR_NOMEM;
}

int rsp_smpp_io_next(struct bufferevent *bev, rsp_smpp_pdu *out, rsp_err *err, rsp_diag *diag)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t avail = evbuffer_get_length(in), need = 0;
    uint8_t head[4];
    if (avail < 4)
        return 0;
    evbuffer_copyout(in, head, 4);
    if (rsp_smpp_frame(head, 4, &need, diag) != RSP_OK)
        return -1;
    if (avail < need)
        return 0;
    const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)need);
    *err = rsp_smpp_decode(p, need, out, diag);
    evbuffer_drain(in, need);
    return 1;
}
