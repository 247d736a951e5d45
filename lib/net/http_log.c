/* Escaping of outside values for log lines: a client controls its request target, its headers and
 * (through its CA) its certificate subject, and must not be able to forge or split our log lines. */
#include <stdio.h>
#include <string.h>

#include "rsp/http.h"

static size_t esc1(unsigned char ch, char tmp[5])
{
    if (ch == '\\' || ch == '"') {
        tmp[0] = '\\', tmp[1] = (char)ch;
        return 2;
    }
    if (ch >= 0x20 && ch < 0x7F) {
        tmp[0] = (char)ch;
        return 1;
    }
    snprintf(tmp, 5, "\\x%02X", ch);
    return 4;
}

char *rsp_http_log_escape(const void *in, size_t len, char *out, size_t outsz)
{
    const unsigned char *p = in;
    char tmp[5];
    if (!out || outsz < 4)
        return out;
    size_t n = 0, total = 0;
    while (p && n < len && p[n])
        total += esc1(p[n++], tmp);
    /* Room for everything, or for as much as fits beside "...". */
    size_t room = total < outsz ? outsz - 1 : outsz - 4, o = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = esc1(p[i], tmp);
        if (o + k > room)
            break;
        memcpy(out + o, tmp, k);
        o += k;
    }
    if (total >= outsz) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = 0;
    return out;
}
