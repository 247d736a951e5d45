/* SCP81 trigger TLVs (parse, re-encode, parse), PSK identities and admin headers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "rsp/scp81.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_scp81_trigger t, t2;
    if (rsp_scp81_trigger_parse(data, size, &t, NULL) == RSP_OK) {
        rsp_buf b = RSP_BUF_INIT;
        if (rsp_scp81_trigger_build(&t, &b) == RSP_OK && rsp_scp81_trigger_parse(b.data, b.len, &t2, NULL) != RSP_OK)
            abort(); /* what was accepted must re-encode to something acceptable */
        rsp_buf_free(&b);
    }
    rsp_scp81_msg m;
    rsp_scp81_headers_parse((const char *)data, size, &m, NULL);
    char *s = fz_text(data, size);
    if (s) {
        uint8_t eid[16], aid[16], kid, kvn;
        size_t al;
        rsp_scp81_psk_identity_parse(s, eid, aid, &al, &kid, &kvn, NULL);
        free(s);
    }
    return 0;
}
