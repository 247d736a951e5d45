/* BER-TLV reader and writer (ISO/IEC 8825-1 subset used by smart cards and GSMA specs).
 *
 * Tags are 1 to 3 bytes, held in a uint32_t as their big-endian bytes (0x7F21, 0x5F37, 0xBF1F22).
 * Lengths are definite, short form or 81/82/83 long form (at most 3 length bytes, so < 16 MiB).
 * Indefinite length (0x80 ... 00 00) is rejected unless RSP_TLV_ALLOW_INDEFINITE is given.
 *
 * The reader never copies: every rsp_tlv points into the caller's buffer, which must outlive it.
 * Iterating nested values is done by starting a new reader on tlv.value. */
#ifndef RSP_TLV_H
#define RSP_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

enum {
    RSP_TLV_ALLOW_INDEFINITE = 1u << 0, /* accept 0x80 lengths terminated by 00 00 */
    RSP_TLV_DER = 1u << 1,              /* also reject non-minimal length encodings */
    RSP_TLV_SKIP_PADDING = 1u << 2,     /* skip 00 and FF filler bytes between TLVs (ISO 7816-4) */
};

typedef struct rsp_tlv {
    uint32_t tag;
    unsigned tag_len;      /* bytes of the tag */
    bool constructed;      /* bit 6 of the first tag byte */
    bool indefinite;       /* the length was 0x80; value excludes the closing 00 00 */
    const uint8_t *value;  /* borrowed */
    size_t len;            /* value length */
    const uint8_t *raw;    /* the whole TLV: tag, length, value (and 00 00 when indefinite) */
    size_t raw_len;
    size_t offset;         /* of the tag, relative to the start of the reader's buffer */
} rsp_tlv;

typedef struct rsp_tlv_reader {
    const uint8_t *p;
    size_t len;
    size_t pos;
    unsigned flags;
    size_t base;           /* added to offsets in diagnostics, for nested readers */
    rsp_diag diag;         /* why the last call failed */
} rsp_tlv_reader;

void rsp_tlv_reader_init(rsp_tlv_reader *r, const uint8_t *p, size_t len, unsigned flags);
/* A reader over t->value, whose diagnostics count offsets from the parent's buffer start. */
void rsp_tlv_reader_nested(rsp_tlv_reader *child, const rsp_tlv_reader *parent, const rsp_tlv *t);
/* Reads the next TLV. RSP_ERR_END at the clean end of input; any other error leaves r->diag set. */
rsp_err rsp_tlv_next(rsp_tlv_reader *r, rsp_tlv *out);
static inline bool rsp_tlv_reader_done(const rsp_tlv_reader *r) { return r->pos >= r->len; }

/* Parses exactly one TLV at the start of p. *consumed gets raw_len. diag may be NULL. */
rsp_err rsp_tlv_parse(const uint8_t *p, size_t len, unsigned flags, rsp_tlv *out, rsp_diag *diag);
/* Parses one TLV which must fill p exactly, with the given tag. */
rsp_err rsp_tlv_expect(const uint8_t *p, size_t len, uint32_t tag, rsp_tlv *out, rsp_diag *diag);
/* Finds the first TLV with `tag` among the siblings in p (no recursion). RSP_ERR_NOT_FOUND if absent. */
rsp_err rsp_tlv_find(const uint8_t *p, size_t len, uint32_t tag, rsp_tlv *out);
/* Walks a path of tags through nested constructed values, e.g. {0xE3, 0x4F}. */
rsp_err rsp_tlv_find_path(const uint8_t *p, size_t len, const uint32_t *path, size_t depth, rsp_tlv *out);

/* Writer. Appends to an rsp_buf. */
size_t rsp_tlv_tag_size(uint32_t tag);
size_t rsp_tlv_len_size(size_t len);  /* 1..4; 0 if len does not fit 3 length bytes */
rsp_err rsp_tlv_put_tag(rsp_buf *b, uint32_t tag);
rsp_err rsp_tlv_put_len(rsp_buf *b, size_t len);
rsp_err rsp_tlv_put(rsp_buf *b, uint32_t tag, const void *value, size_t len);
rsp_err rsp_tlv_put_u8(rsp_buf *b, uint32_t tag, uint8_t v);
/* Constructed values of unknown length: begin() writes the tag and remembers where the value starts;
 * end() inserts the minimal length encoding. Nest freely; marks are plain offsets. */
rsp_err rsp_tlv_begin(rsp_buf *b, uint32_t tag, size_t *mark);
rsp_err rsp_tlv_end(rsp_buf *b, size_t mark);

#endif
