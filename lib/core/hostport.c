/* host:port splitting and the port file (include/rsp/hostport.h). An unbracketed host with a colon is refused rather
 * than split at its last colon: "::1:80" could be host ::1 port 80 or host ::1:80 with no port, and
 * a listen address taken the wrong way binds where nobody looks. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rsp/hostport.h"

static rsp_err bad(rsp_diag *d, const char *s, const char *at, const char *why)
{
    return rsp_diag_set_at(d, RSP_ERR_INVAL, (size_t)(at - s), "address '%.120s': %s", s, why);
}

rsp_err rsp_hostport_split(const char *s, int default_port, char *host, size_t hostsz, uint16_t *port,
                           rsp_diag *diag)
{
    if (!s || !host || !port || default_port > 65535)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "no address");
    const char *h = s, *after; /* after: what follows the host, "" or ":port" */
    if (*s == '[') {
        h = s + 1;
        if (!(after = strchr(h, ']')))
            return bad(diag, s, s, "'[' without ']'");
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':'))
            return bad(diag, s, colon, "an IPv6 address goes in brackets: [v6]:port");
        after = colon ? colon : s + strlen(s);
    }
    size_t hl = (size_t)(after - h);
    if (*s == '[')
        after++;
    if (hl == 0)
        return bad(diag, s, h, "no host");
    if (hl >= hostsz)
        return bad(diag, s, h, "host too long");
    unsigned long v = 0;
    if (*after == ':') {
        size_t n = strspn(after + 1, "0123456789");
        for (size_t i = 0; i < n && i < 6; i++)
            v = v * 10 + (unsigned long)(after[1 + i] - '0');
        if (n == 0 || n > 5 || after[1 + n] || v > 65535)
            return bad(diag, s, after + 1, "port is not a number from 0 to 65535");
    } else if (*after) {
        return bad(diag, s, after, "':port' expected after the host");
    } else if (default_port < 0) {
        return bad(diag, s, after, "no port (host:port)");
    } else {
        v = (unsigned long)default_port;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)v;
    return RSP_OK;
}

rsp_err rsp_hostport_port_file(const char *path, uint16_t port)
{
    char tmp[4096];
    if (!path || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return RSP_ERR_RANGE;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return RSP_ERR_IO;
    int ok = fprintf(f, "%u\n", (unsigned)port) > 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return RSP_ERR_IO;
    }
    return RSP_OK;
}
