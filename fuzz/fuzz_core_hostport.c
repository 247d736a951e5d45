/* libFuzzer: rsp_hostport_split on arbitrary text (listen addresses, peers, a ReplyTo's authority).
 * Accepted: the host is non-empty, NUL-terminated inside its buffer, free of ':' unless the input
 * bracketed it, and a substring of the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "rsp/hostport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_text(data, size);
    if (!s)
        return 0;
    char host[32];
    uint16_t port = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    int dflt = size ? (data[0] & 1 ? 443 : RSP_HOSTPORT_REQUIRED) : 0;
    if (rsp_hostport_split(s, dflt, host, sizeof(host), &port, &d) == RSP_OK) {
        size_t hl = strnlen(host, sizeof(host));
        if (hl == 0 || hl >= sizeof(host) || !strstr(s, host) || (strchr(host, ':') && s[0] != '['))
            abort();
    } else if (!d.msg[0] || !d.has_offset || d.offset > size) {
        abort();
    }
    free(s);
    return 0;
}
