/* rsp bench ota-scp80: SCP80 round trips per second as the SM-SR does them (wrap a command packet,
 * verify and decipher the PoR), AES-128, 8-byte CC, both directions ciphered; and the card's side
 * (open + PoR build). The floor is the same number of AES-128-CBC and CMAC calls straight on OpenSSL
 * with contexts reused: 2 CBC passes and 2 CMACs per round trip. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "rsp/scp80.h"

typedef struct ota_ctx {
    rsp_scp80_keys k;
    rsp_scp80_hdr h;
    uint8_t apdu[26];
    uint8_t por[96];
    size_t por_len;
    uint8_t cmd[96];
    size_t cmd_len;
} ota_ctx;

static int server_step(void *arg)
{
    ota_ctx *c = arg;
    uint8_t pkt[96], work[112];
    size_t n;
    rsp_scp80_por p;
    /* The counter moves as a real SM-SR's would, so the work is not a replay of cached input. */
    c->h.cntr[4]++;
    if (rsp_scp80_cmd_build(&c->k, &c->h, c->apdu, sizeof(c->apdu), pkt, sizeof(pkt), &n, NULL) != RSP_OK)
        return 1;
    return rsp_scp80_por_open(&c->k, &c->h, c->por, c->por_len, work, sizeof(work), &p, NULL) != RSP_OK;
}

static int card_step(void *arg)
{
    ota_ctx *c = arg;
    uint8_t work[96], out[96];
    size_t n;
    rsp_scp80_cmd cm;
    if (rsp_scp80_cmd_open(&c->k, c->cmd, c->cmd_len, work, sizeof(work), &cm, NULL) != RSP_OK)
        return 1;
    return rsp_scp80_por_build(&c->k, &cm.h, 0, (const uint8_t *)"\x01\x90\x00", 3, out, sizeof(out), &n, NULL) != RSP_OK;
}

int rsp_bench_ota_scp80(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    static const uint8_t key_enc[16] = {0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t key_mac[16] = {0x20, 0x11, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    /* STORE DATA enable-profile to the ISD-R: a typical ES5 command in an SCP80 packet. */
    static const uint8_t apdu[26] = {0x80, 0xE2, 0x88, 0x00, 0x15, 0x3A, 0x03, 0x12, 0x4F, 0x10, 0xA0, 0x00, 0x00,
                                     0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00};
    ota_ctx c;
    memset(&c, 0, sizeof(c));
    c.k = (rsp_scp80_keys){key_enc, 16, key_mac, 16};
    c.h = (rsp_scp80_hdr){.spi = {0x16, 0x39}, .kic = 0x22, .kid = 0x22, .tar = {0, 0, 1}};
    memcpy(c.apdu, apdu, sizeof(apdu));
    if (rsp_scp80_cmd_build(&c.k, &c.h, c.apdu, sizeof(c.apdu), c.cmd, sizeof(c.cmd), &c.cmd_len, NULL) != RSP_OK ||
        rsp_scp80_por_build(&c.k, &c.h, 0, (const uint8_t *)"\x01\x90\x00", 3, c.por, sizeof(c.por), &c.por_len, NULL) !=
            RSP_OK) {
        fprintf(stderr, "rsp: bench ota-scp80: set-up failed\n");
        return 1;
    }
    rsp_bench_progress(b, "ota-scp80: SM-SR wrap + PoR verify");
    double server = rsp_bench_rate(b, server_step, &c);
    rsp_bench_progress(b, "ota-scp80: card open + PoR build");
    double card = rsp_bench_rate(b, card_step, &c);
    rsp_bench_progress(b, "ota-scp80: OpenSSL floor");
    /* Command ciphered part: 48 bytes; PoR ciphered part: 32. CMAC inputs: 56 and 35 bytes. */
    double cbc48 = rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 48) * 1e6 / 48;
    double cbc32 = rsp_bench_floor_cipher_mbs(b, "AES-128-CBC", 32) * 1e6 / 32;
    double mac56 = rsp_bench_floor_cmac_ops(b, 56), mac35 = rsp_bench_floor_cmac_ops(b, 35);
    double floor = 0;
    if (cbc48 > 0 && cbc32 > 0 && mac56 > 0 && mac35 > 0)
        floor = 1.0 / (1.0 / cbc48 + 1.0 / cbc32 + 1.0 / mac56 + 1.0 / mac35);
    rsp_bench_report(b, "scp80 SM-SR wrap + PoR verify (AES-128, CC8, ciphered)", server, "rt/s",
                     "2x AES-128-CBC + 2x CMAC", floor);
    rsp_bench_report(b, "scp80 card open + PoR build (AES-128, CC8, ciphered)", card, "rt/s",
                     "2x AES-128-CBC + 2x CMAC", floor);
    return server > 0 && card > 0 ? 0 : 1;
}
