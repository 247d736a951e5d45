/* libFuzzer: the card side of SCP03t (rsp_scp03t_card_process), fed with outside bytes in each
 * state: a fresh card (84 expected), and a card whose session is open (86 segments expected, keys
 * fixed so mutated inputs built from valid segments exercise the MAC, decryption and reassembly). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/scp03t.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t k[16] = {0x40, 0x41, 0x42, 0x43};
    rsp_scp03_keys keys;
    rsp_scp03_keys_set(&keys, 0x30, k, k, k, 16);
    rsp_scp03_card_params p = {RSP_AID_ISDR.b, RSP_AID_ISDR.len, 1, 0x70, {0}, NULL};
    rsp_buf resp = RSP_BUF_INIT;
    rsp_diag d;

    /* 1: fresh card. */
    rsp_scp03t_card c;
    rsp_scp03t_card_init(&c, &keys, &p);
    c.max_plain = 1 << 20;
    rsp_diag_clear(&d);
    rsp_scp03t_card_process(&c, data, size, &resp, &d);
    rsp_scp03t_card_close(&c);

    /* 2: open session (fixed host challenge), then the input as segments. */
    static const uint8_t hc[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    rsp_scp03_session h;
    rsp_buf m = RSP_BUF_INIT;
    rsp_scp03t_card_init(&c, &keys, &p);
    c.max_plain = 1 << 20;
    rsp_buf_reset(&resp);
    if (rsp_scp03t_host_init(0x30, 1, hc, &m) == RSP_OK &&
        rsp_scp03t_card_process(&c, m.data, m.len, &resp, NULL) == RSP_OK &&
        rsp_scp03t_host_begin(&h, &keys, hc, resp.data, resp.len, NULL) == RSP_OK) {
        rsp_buf_reset(&m);
        if (rsp_scp03t_host_auth(&h, 0x33, &m) == RSP_OK &&
            rsp_scp03t_card_process(&c, m.data, m.len, &resp, NULL) == RSP_OK) {
            rsp_diag_clear(&d);
            rsp_scp03t_card_process(&c, data, size, &resp, &d);
        }
        rsp_scp03_close(&h);
    }
    rsp_scp03t_card_close(&c);
    rsp_buf_free(&m);
    rsp_buf_free(&resp);
    return 0;
}
