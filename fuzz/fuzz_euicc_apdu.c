/* Random APDU sequences to one card: each record is [target][length][C-APDU]. Target 0 is the local
 * (ESx) interface, 1 the ISD-R, 2 the ECASD and 3.. an ISD-P TAR (10 + n), as if the SM-SR's secure
 * channel had delivered the APDU. Invariants checked after every APDU: exactly one profile enabled,
 * and a refused command (SW other than 9000/61xx/62xx/63xx) leaves the durable state byte for byte as
 * it was. */
#include <stdint.h>

#include "fuzz_euicc_common.h"
#include "rsp/apdu.h"

static void snapshot(rsp_euicc *c, rsp_buf *out)
{
    rsp_buf_reset(out);
    if (eu_card_load(c) != RSP_OK || eu_state_encode(c->st, out) != RSP_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_euicc *c;
    rsp_euicc_fleet *f = fz_fleet(&c);
    rsp_buf before = RSP_BUF_INIT, after = RSP_BUF_INIT, rapdu = RSP_BUF_INIT;
    int64_t now = 1800000000000LL;
    size_t pos = 0;
    while (pos + 2 <= size) {
        uint8_t target = data[pos], len = data[pos + 1];
        pos += 2;
        if (len > size - pos)
            len = (uint8_t)(size - pos);
        const uint8_t *apdu = data + pos;
        pos += len;
        snapshot(c, &before);
        rsp_buf_reset(&rapdu);
        rsp_err e;
        if (target % 8 == 0) {
            e = rsp_euicc_apdu(c, apdu, len, now, &rapdu, NULL);
        } else {
            uint32_t tar = target % 8 == 1 ? EU_TAR_ISDR : target % 8 == 2 ? EU_TAR_ECASD : 0x10u + (uint32_t)(target % 8 - 3) * 0x10u;
            rsp_euicc_out out;
            memset(&out, 0, sizeof(out));
            eu_ctx x = {.c = c, .now = now, .local = false, .tar = tar, .out = &out};
            e = eu_exec(&x, apdu, len, &rapdu);
            if (!e)
                e = eu_ctx_commit(&x);
            rsp_euicc_out_clear(&out);
        }
        if (e != RSP_OK || rapdu.len < 2)
            abort(); /* an in-memory card always answers */
        uint16_t sw = rsp_be16(rapdu.data + rapdu.len - 2);
        snapshot(c, &after);
        if (!rsp_apdu_sw_continues(sw) && (before.len != after.len || memcmp(before.data, after.data, before.len))) {
            fprintf(stderr, "refused command (SW %04X) changed the state\n", sw);
            abort();
        }
        fz_check_one_enabled(c);
        now += 1000;
    }
    rsp_buf_free(&before);
    rsp_buf_free(&after);
    rsp_buf_free(&rapdu);
    rsp_euicc_fleet_close(f);
    return 0;
}
