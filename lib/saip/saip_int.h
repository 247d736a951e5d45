/* Internal helpers of the SAIP codec shared by its .c files. */
#ifndef RSP_SAIP_INT_H
#define RSP_SAIP_INT_H

#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/tlv.h"

/* DER walking of the package: definite lengths only, minimal length encodings. */
#define SAIP_TLV_FLAGS RSP_TLV_DER

/* Non-negative DER INTEGER content (minimal two's complement) that fits max. */
rsp_err saip_uint_decode(const uint8_t *p, size_t len, uint32_t max, uint32_t *out);
/* Appends tag, length and the minimal content of a non-negative INTEGER. */
rsp_err saip_uint_put(rsp_buf *b, uint32_t tag, uint32_t v);

#endif
