/* Owned, growable byte buffers and read-only byte views, plus hex.
 *
 * Ownership: an rsp_buf owns its memory; rsp_buf_free releases it (rsp_buf_free_secret wipes first,
 * for keys). An rsp_bytes is a borrowed view: it never owns and must not outlive what it points at. */
#ifndef RSP_BUF_H
#define RSP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"

typedef struct rsp_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} rsp_buf;

typedef struct rsp_bytes {
    const uint8_t *p;
    size_t len;
} rsp_bytes;

#define RSP_BUF_INIT {NULL, 0, 0}

static inline rsp_bytes rsp_bytes_of(const uint8_t *p, size_t len)
{
    rsp_bytes b = {p, len};
    return b;
}
static inline rsp_bytes rsp_buf_view(const rsp_buf *b)
{
    return rsp_bytes_of(b->data, b->len);
}
bool rsp_bytes_eq(rsp_bytes a, rsp_bytes b);

void rsp_buf_init(rsp_buf *b);
void rsp_buf_free(rsp_buf *b);
/* Wipes the contents (OPENSSL_cleanse) before freeing: use for keys and other secrets. */
void rsp_buf_free_secret(rsp_buf *b);
void rsp_buf_reset(rsp_buf *b); /* len = 0, keeps the memory */
rsp_err rsp_buf_reserve(rsp_buf *b, size_t extra);
rsp_err rsp_buf_append(rsp_buf *b, const void *p, size_t len);
rsp_err rsp_buf_append_byte(rsp_buf *b, uint8_t v);
rsp_err rsp_buf_append_u16(rsp_buf *b, uint16_t v); /* big-endian */
rsp_err rsp_buf_append_u24(rsp_buf *b, uint32_t v);
rsp_err rsp_buf_append_u32(rsp_buf *b, uint32_t v);
/* Grows len by n bytes and returns a pointer to them (uninitialised) in *out. */
rsp_err rsp_buf_extend(rsp_buf *b, size_t n, uint8_t **out);
rsp_err rsp_buf_set(rsp_buf *b, const void *p, size_t len);
/* Inserts at pos, shifting the tail. */
rsp_err rsp_buf_insert(rsp_buf *b, size_t pos, const void *p, size_t len);

/* Hex. Decoding accepts upper and lower case, ignores ASCII white space and ':' separators,
 * and rejects odd digit counts and non-hex characters (reported in diag with the position). */
rsp_err rsp_hex_decode(const char *hex, rsp_buf *out, rsp_diag *diag);
/* Decodes exactly `len` bytes into out; fails with RSP_ERR_LENGTH otherwise. */
rsp_err rsp_hex_decode_fixed(const char *hex, uint8_t *out, size_t len, rsp_diag *diag);
/* Writes 2*len+1 chars (lower case, NUL-terminated) into out; outlen must be large enough. */
rsp_err rsp_hex_encode(const uint8_t *p, size_t len, char *out, size_t outlen);
/* Same, upper case. */
rsp_err rsp_hex_encode_upper(const uint8_t *p, size_t len, char *out, size_t outlen);
/* Returns a malloc'd lower-case hex string (caller frees), or NULL on allocation failure. */
char *rsp_hex_dup(const uint8_t *p, size_t len);

/* Big-endian loads. */
static inline uint16_t rsp_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t rsp_be24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}
static inline uint32_t rsp_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void rsp_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void rsp_put_be24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v;
}
static inline void rsp_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* Constant-time comparison for MACs and cryptograms. Returns true when equal. */
bool rsp_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);
/* Wipes memory in a way the compiler may not elide. */
void rsp_wipe(void *p, size_t len);

#endif
