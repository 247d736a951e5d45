/* libFuzzer: the host role of SCP03 (rsp_scp03_host_unwrap) on outside R-APDUs. The session is one
 * of the real-card traces of VECTORS.txt §B (first input byte: AES128_11, _03 or _33), advanced by
 * wrapping the traced GET EID, so inputs mutated from the traced card response reach the R-MAC check
 * and the R-ENC decryption and padding removal. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/buf.h"
#include "rsp/scp03.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct trace {
    const char *iu_resp;
    uint8_t sl;
} trace;

/* §B: the INIT UPDATE response of each trace and its security level. */
static const trace TRACES[3] = {
    {"000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002", 0x11},
    {"0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001", 0x03},
    {"000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003", 0x33},
};
static const char HOST_CHALLENGE[3][17] = {"b13e5f938fc108c4", "8e1552d0513c60f3", "fdf38259a1e0de44"};
static const char GET_EID[] = "80E2910006BF3E035C015A00";

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
    unsigned which = (data[0] & 3) % 3;
    const trace *t = &TRACES[which];
    uint8_t enc[16], mac[16], dek[16], resp[64], hc[8], cmd[32];
    for (int i = 0; i < 16; i++) {
        enc[i] = (uint8_t)i;
        mac[i] = (uint8_t)(0x10 + i);
        dek[i] = (uint8_t)(0x20 + i);
    }
    rsp_scp03_keys keys;
    rsp_scp03_keys_set(&keys, 0x30, enc, mac, dek, 16);
    unhex(HOST_CHALLENGE[which], hc);
    size_t resp_len = unhex(t->iu_resp, resp), cmd_len = unhex(GET_EID, cmd);

    rsp_scp03_session h;
    memset(&h, 0, sizeof(h));
    rsp_buf out = RSP_BUF_INIT;
    rsp_diag d;
    if (rsp_scp03_host_begin(&h, &keys, hc, resp, resp_len, NULL) == RSP_OK &&
        rsp_scp03_host_ext_auth(&h, t->sl, &out) == RSP_OK) {
        rsp_buf_reset(&out);
        if (rsp_scp03_host_wrap(&h, cmd, cmd_len, &out, NULL) == RSP_OK) {
            for (int round = 0; round < 2; round++) {
                rsp_buf_reset(&out);
                rsp_diag_clear(&d);
                rsp_scp03_host_unwrap(&h, data + 1, size - 1, &out, &d);
            }
        }
    }
    rsp_scp03_close(&h);
    rsp_buf_free(&out);
    return 0;
}
