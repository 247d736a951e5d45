/* Host and port of an address given on the command line, in a config file or in a URL's authority:
 * "host:port", "[v6]:port", and, where the caller has a default port, a bare "host" or "[v6]". One
 * parser, so every daemon and client takes IPv6 literals (in brackets, RFC 3986 3.2.2) the same way;
 * and the other end of a listen address, the port file a daemon writes once it listens. */
#ifndef RSP_HOSTPORT_H
#define RSP_HOSTPORT_H

#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"

#define RSP_HOSTPORT_REQUIRED (-1) /* default_port: the port must be given */

/* s -> host (brackets removed, NUL-terminated within hostsz) and port (0..65535; 0 is a listen
 * address's "pick one": clients refuse it themselves). default_port: the port of a bare host, or
 * RSP_HOSTPORT_REQUIRED. RSP_ERR_INVAL, diag naming the fault and its offset, for: an empty host, a
 * host too long for hostsz, an unbracketed host with a colon (an IPv6 literal must be in brackets),
 * anything after "]" but ":port", a port that is not 1 to 5 decimal digits (no sign, no space) or is
 * above 65535. host and port are untouched on error. */
rsp_err rsp_hostport_split(const char *s, int default_port, char *host, size_t hostsz, uint16_t *port,
                           rsp_diag *diag);

/* Writes "PORT\n" to path through path.tmp and a rename, so whoever polls the file (a test, the demo,
 * a bench) never reads half a number: the one port-file writer of every daemon (--port-file, given
 * listen port 0). RSP_ERR_RANGE for a path too long, RSP_ERR_IO when it cannot be written (the
 * temporary file is removed). */
rsp_err rsp_hostport_port_file(const char *path, uint16_t port);

#endif
