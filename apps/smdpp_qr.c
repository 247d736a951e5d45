/* `rsp smdpp ac qr CODE [--png FILE] [--scale N]`: an activation code as a QR code for people, from
 * libqrencode (Debian libqrencode-dev, a maintained library): in the terminal (two modules per
 * character cell with the half-block characters, a 4-module quiet zone) or as a PNG (8-bit
 * grayscale, zlib stored blocks, CRC-32 of lib/card). Byte mode, error correction M: what phones
 * scan for `LPA:1$...`. Built only where libqrencode was found (RSP_HAVE_QRENCODE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/crc.h"
#include "cli.h"
#include "rsp/buf.h"
#include "rsp/es9p.h"
#include "smdpp_cmds.h"

#ifdef RSP_HAVE_QRENCODE
#include <qrencode.h>

#define QUIET 4

static bool dark(const QRcode *q, int x, int y)
{
    x -= QUIET;
    y -= QUIET;
    return x >= 0 && y >= 0 && x < q->width && y < q->width && (q->data[y * q->width + x] & 1);
}

static void terminal(const QRcode *q)
{
    int n = q->width + 2 * QUIET;
    for (int y = 0; y < n; y += 2) {
        for (int x = 0; x < n; x++) {
            /* light modules print as blocks, dark ones as blanks: a dark terminal shows dark modules */
            bool top = !dark(q, x, y), bottom = y + 1 < n && !dark(q, x, y + 1);
            fputs(top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ", stdout);
        }
        putchar('\n');
    }
}

static void be32(rsp_buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    rsp_buf_append(b, t, 4);
}

static void chunk(rsp_buf *png, const char *type, const uint8_t *data, size_t len)
{
    be32(png, (uint32_t)len);
    size_t at = png->len;
    rsp_buf_append(png, type, 4);
    if (len)
        rsp_buf_append(png, data, len);
    be32(png, rsp_crc32_final(rsp_crc32_update(rsp_crc32_init(), png->data + at, len + 4)));
}

/* zlib stream of stored (uncompressed) blocks: the image is small and exact bytes matter more. */
static void zlib_stored(const uint8_t *p, size_t len, rsp_buf *out)
{
    static const uint8_t hdr[] = {0x78, 0x01};
    rsp_buf_append(out, hdr, 2);
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < len; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    size_t off = 0;
    do {
        size_t n = len - off > 65535 ? 65535 : len - off;
        uint8_t h[5] = {(uint8_t)(off + n == len), (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n, (uint8_t)(~n >> 8)};
        rsp_buf_append(out, h, 5);
        if (n)
            rsp_buf_append(out, p + off, n);
        off += n;
    } while (off < len);
    be32(out, b << 16 | a);
}

static rsp_err png(const QRcode *q, int scale, rsp_buf *out)
{
    uint32_t side = (uint32_t)(q->width + 2 * QUIET) * (uint32_t)scale;
    rsp_buf raw = RSP_BUF_INIT, z = RSP_BUF_INIT, ihdr = RSP_BUF_INIT;
    for (uint32_t y = 0; y < side; y++) {
        rsp_buf_append_byte(&raw, 0); /* filter: none */
        for (uint32_t x = 0; x < side; x++)
            rsp_buf_append_byte(&raw, dark(q, (int)(x / (uint32_t)scale), (int)(y / (uint32_t)scale)) ? 0x00 : 0xFF);
    }
    zlib_stored(raw.data, raw.len, &z);
    static const uint8_t sig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    rsp_buf_append(out, sig, sizeof(sig));
    be32(&ihdr, side);
    be32(&ihdr, side);
    static const uint8_t rest[] = {8, 0, 0, 0, 0}; /* 8-bit grayscale, deflate, adaptive filter, no interlace */
    rsp_buf_append(&ihdr, rest, sizeof(rest));
    chunk(out, "IHDR", ihdr.data, ihdr.len);
    chunk(out, "IDAT", z.data, z.len);
    chunk(out, "IEND", NULL, 0);
    rsp_buf_free(&raw);
    rsp_buf_free(&z);
    rsp_buf_free(&ihdr);
    return RSP_OK;
}

int rsp_smdpp_cmd_qr(const char *code, const char *png_path, int scale)
{
    rsp_es9p_ac ac;
    rsp_diag d = {0};
    rsp_err e = rsp_es9p_ac_parse(code, strlen(code), &ac, &d);
    if (e)
        return rsp_cli_fail("smdpp ac qr", e, &d);
    if (scale < 1 || scale > 32)
        return rsp_cli_usage_error("smdpp ac qr: --scale must be 1..32");
    /* the code as LPAs scan it: always with its "LPA:" prefix */
    char text[700];
    if (rsp_es9p_ac_print(&ac, text, sizeof(text)) != RSP_OK)
        return rsp_cli_usage_error("smdpp ac qr: the code cannot be printed back");
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        return rsp_cli_fail("smdpp ac qr", RSP_ERR_NOMEM, NULL);
    int rc = RSP_EXIT_OK;
    if (png_path) {
        rsp_buf b = RSP_BUF_INIT;
        png(q, scale, &b);
        if (rsp_cli_write_file(png_path, b.data, b.len, 0644) != RSP_OK)
            rc = rsp_cli_usage_error("smdpp ac qr: cannot write %s", png_path);
        rsp_buf_free(&b);
    } else {
        terminal(q);
    }
    QRcode_free(q);
    return rc;
}
#else
int rsp_smdpp_cmd_qr(const char *code, const char *png_path, int scale)
{
    (void)code;
    (void)png_path;
    (void)scale;
    fprintf(stderr, "rsp: smdpp ac qr: this rsp was built without libqrencode (apt-get install libqrencode-dev)\n");
    return RSP_EXIT_FAIL;
}
#endif
