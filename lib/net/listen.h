/* Internal: the TCP listener both servers (HTTP, SMSC) open the same way. */
#ifndef RSP_NET_LISTEN_H
#define RSP_NET_LISTEN_H

#include <stdint.h>

#include <event2/listener.h>

#include "rsp/err.h"

/* Binds host:port (NULL host = 127.0.0.1; port 0 = ephemeral) with SO_REUSEADDR and returns the
 * listener and the port actually bound. RSP_ERR_INVAL if the address does not resolve,
 * RSP_ERR_NET if it cannot be bound. */
rsp_err rsp_net_listen(struct event_base *base, const char *host, uint16_t port, evconnlistener_cb cb, void *arg,
                       struct evconnlistener **out, uint16_t *bound_port);

#endif
