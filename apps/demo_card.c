#include <string.h>

#include "demo_card.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"

typedef struct exec_ctx {
    demo_card *c;
} exec_ctx;

/* Enable (STORE DATA 3A03 4F AID) is the one command whose effect the demo shows; the others are
 * acknowledged. */
static rsp_err exec_one(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    exec_ctx *x = ctx;
    if (len > 9 && capdu[1] == 0xE2 && capdu[5] == 0x3A && capdu[6] == 0x03 && capdu[8] == 0x4F &&
        capdu[9] <= 16 && (size_t)capdu[9] + 10 <= len)
        rsp_hex_encode_upper(capdu + 10, capdu[9], x->c->enabled_aid, sizeof(x->c->enabled_aid));
    return rsp_buf_append(rapdu, "\x90\x00", 2);
}

rsp_err demo_card_sms(demo_card *c, const uint8_t *pkt, size_t len, rsp_buf *por, rsp_diag *diag)
{
    rsp_scp80_keys k = {c->kic, 16, c->kid, 16};
    uint8_t work[2048], out[2048];
    if (len > sizeof(work))
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "command packet too long for the demo card");
    rsp_scp80_cmd cmd;
    rsp_err e = rsp_scp80_cmd_open(&k, pkt, len, work, sizeof(work), &cmd, diag);
    if (e)
        return e;
    uint8_t status = cmd.status;
    if (status == RSP_SCP80_POR_OK && (e = rsp_scp80_counter_check(cmd.h.spi, c->cntr, cmd.h.cntr, &status)) != RSP_OK)
        return e;
    rsp_buf resp = RSP_BUF_INIT;
    if (status == RSP_SCP80_POR_OK) {
        rsp_rapdu_script s;
        e = rsp_rapdu_script_parse(rsp_rapdu_detect(cmd.data, cmd.data_len), cmd.data, cmd.data_len, &s, diag);
        exec_ctx x = {c};
        if (!e)
            e = rsp_rapdu_execute(&s, exec_one, &x, &resp);
        if (!e)
            memcpy(c->cntr, cmd.h.cntr, sizeof(c->cntr));
    }
    size_t n = 0;
    if (!e)
        e = rsp_scp80_por_build(&k, &cmd.h, status, resp.data, resp.len, out, sizeof(out), &n, diag);
    if (!e)
        e = rsp_buf_append(por, out, n);
    rsp_buf_free(&resp);
    return e;
}
