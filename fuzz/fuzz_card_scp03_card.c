/* libFuzzer: the card role of SCP03 (rsp_scp03_card_unwrap) on outside C-APDUs. The session is
 * opened with one of the three real-card traces of VECTORS.txt §B (the first input byte picks
 * AES128_11, _03 or _33); then come length-prefixed commands, so inputs mutated from the traced
 * wrapped GET EID and the wrapped commands after it reach the C-MAC check, the C-DECRYPTION and the
 * padding removal rather than stopping at the state checks. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/buf.h"
#include "rsp/ids.h"
#include "rsp/scp03.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct trace {
    const char *iu, *ext_auth;
    uint32_t seq;
} trace;

/* §B: INIT UPDATE command and EXTERNAL AUTHENTICATE of each trace, and the card's sequence counter. */
static const trace TRACES[3] = {
    {"8050300008b13e5f938fc108c400", "84821100107d5f5826a993ebc89eea24957fa0b3ce", 2},
    {"80503000088e1552d0513c60f300", "8482030010fd4721a14d9b07003c451d2f8ae6bb21", 1},
    {"8050300008fdf38259a1e0de4400", "84823300108c36f96bcc00724a4e13ad591d7da3f0", 3},
};

/* Seeds' constants are well-formed hex of known length (the core decoder does the work). */
static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    return rsp_hex_decode_fixed(h, out, n, NULL) == RSP_OK ? n : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const trace *t = &TRACES[(data[0] & 3) % 3];
    uint8_t enc[16], mac[16], dek[16], iu[32], ea[32];
    for (int i = 0; i < 16; i++) {
        enc[i] = (uint8_t)i;
        mac[i] = (uint8_t)(0x10 + i);
        dek[i] = (uint8_t)(0x20 + i);
    }
    rsp_scp03_keys keys;
    rsp_scp03_keys_set(&keys, 0x30, enc, mac, dek, 16);
    rsp_scp03_card_params p = {RSP_AID_ISDR.b, RSP_AID_ISDR.len, t->seq, 0x70, {0}, NULL};
    size_t iu_len = unhex(t->iu, iu), ea_len = unhex(t->ext_auth, ea);

    rsp_scp03_session c;
    memset(&c, 0, sizeof(c));
    rsp_buf out = RSP_BUF_INIT;
    rsp_diag d;
    if (rsp_scp03_card_init_update(&c, &keys, &p, iu, iu_len, &out, NULL) == RSP_OK &&
        rsp_scp03_card_ext_auth(&c, ea, ea_len, NULL) == RSP_OK) {
        /* The input is a series of protected commands, each behind a length byte; the last one is
         * given twice, so replays are fed too. */
        size_t off = 1;
        while (off < size) {
            size_t n = data[off++];
            if (n > size - off)
                n = size - off;
            for (int round = 0; round < (off + n == size ? 2 : 1); round++) {
                rsp_buf_reset(&out);
                rsp_diag_clear(&d);
                if (rsp_scp03_card_unwrap(&c, data + off, n, &out, &d) == RSP_OK) {
                    rsp_buf resp = RSP_BUF_INIT;
                    rsp_scp03_card_wrap(&c, out.data, out.len, 0x9000, &resp);
                    rsp_buf_free(&resp);
                }
            }
            off += n;
        }
    }
    rsp_scp03_close(&c);
    rsp_buf_free(&out);
    return 0;
}
