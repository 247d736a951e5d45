#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "listen.h"

rsp_err rsp_net_listen(struct event_base *base, const char *host, uint16_t port, evconnlistener_cb cb, void *arg,
                       struct evconnlistener **out, uint16_t *bound_port)
{
    struct addrinfo hints = {0}, *ai = NULL;
    char serv[16];
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(serv, sizeof(serv), "%u", port);
    if (getaddrinfo(host ? host : "127.0.0.1", serv, &hints, &ai) != 0 || !ai)
        return RSP_ERR_INVAL;
    struct evconnlistener *lis = evconnlistener_new_bind(base, cb, arg, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                                         -1, ai->ai_addr, (int)ai->ai_addrlen);
    freeaddrinfo(ai);
    if (!lis)
        return RSP_ERR_NET;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    *bound_port = port;
    if (getsockname(evconnlistener_get_fd(lis), (struct sockaddr *)&ss, &sl) == 0 &&
        getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, serv, sizeof(serv), NI_NUMERICSERV) == 0)
        *bound_port = (uint16_t)atoi(serv);
    *out = lis;
    return RSP_OK;
}
