/* libFuzzer: callback URLs (they come from a request's ReplyTo). The host must come out NUL-terminated
 * within its buffer, the port non-zero, the path inside the input. (Listen addresses alone:
 * fuzz_core_hostport.c.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "svc/svc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_text(data, size);
    if (!s)
        return 0;
    char host[64];
    uint16_t port;
    const char *path;
    if (rsp_svc_parse_url(s, host, sizeof(host), &port, &path) == RSP_OK) {
        int inside = path >= s && path <= s + strlen(s);
        if (!port || strlen(host) >= sizeof(host) || path[0] != '/' || (!inside && strcmp(path, "/")))
            abort();
    }
    free(s);
    return 0;
}
