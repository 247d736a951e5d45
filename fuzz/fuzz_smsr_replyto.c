/* libFuzzer: the ReplyTo check of the SM-SR (a request's ReplyTo is outside input). Any URL the check
 * lets through must start with one of the caller's configured prefixes at a path boundary, be https,
 * and carry no userinfo, "..", spaces, quotes or control characters; the peers' spec parser is fed
 * the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "smsr/smsr_outbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fz_text(data, size);
    if (!s)
        return 0;
    smsr_callbacks cb;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (smsr_callbacks_parse("MNO1=https://127.0.0.1:8443/mno1,SP1=https://[::1]:8443/sp1/", &cb, &d) != RSP_OK)
        abort();
    if (smsr_callbacks_allow(&cb, "MNO1", s)) {
        const char *pre = "https://127.0.0.1:8443/mno1";
        size_t n = strlen(pre);
        if (strncmp(s, pre, n) != 0 || (s[n] && s[n] != '/' && s[n] != '?') || strstr(s, "..") || strchr(s, ' ') ||
            strchr(s, '"'))
            abort();
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
            if (*p < 0x21 || *p > 0x7E)
                abort();
    }
    if (smsr_callbacks_allow(&cb, "SP1", s) && strncmp(s, "https://[::1]:8443/sp1/", 23) != 0)
        abort();
    if (smsr_callbacks_allow(&cb, "MNO2", s))
        abort(); /* a peer without prefixes gets nothing */
    smsr_callbacks_free(&cb);
    /* the spec parser on outside-shaped bytes: accepted entries are well formed */
    if (smsr_callbacks_parse(s, &cb, &d) == RSP_OK) {
        for (size_t i = 0; i < cb.n; i++)
            if (!cb.v[i].id[0] || strncmp(cb.v[i].prefix, "https://", 8) != 0)
                abort();
        smsr_callbacks_free(&cb);
    }
    free(s);
    return 0;
}
