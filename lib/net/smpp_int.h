/* Internals shared by the SMPP ESME and SMSC: PDU framing on a bufferevent. */
#ifndef RSP_NET_SMPP_INT_H
#define RSP_NET_SMPP_INT_H

#include <event2/bufferevent.h>

#include "rsp/smpp.h"

/* Encodes pdu into scratch (reset first; its memory is kept for the next PDU, so a warm link
 * allocates nothing per PDU) and queues it on bev. */
rsp_err rsp_smpp_io_send(struct bufferevent *bev, const rsp_smpp_pdu *pdu, rsp_buf *scratch);
/* Takes the next whole PDU off bev's input. Returns 1 with *err the decode result (the header fields
 * of out are set whenever the frame was whole, so a refusal can name the sequence), 0 when more bytes
 * are needed, -1 when the stream cannot be framed (close it). */
int rsp_smpp_io_next(struct bufferevent *bev, rsp_smpp_pdu *out, rsp_err *err, rsp_diag *diag);
/* Sends a header-only response (or generic_nack) with the given status. */
rsp_err rsp_smpp_io_reply(struct bufferevent *bev, uint32_t command_id, uint32_t status, uint32_t seq);
double rsp_smpp_now(void);

#endif
