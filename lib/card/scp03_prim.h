/* Internal: the block-level pieces SCP03, SCP03t and the SGP.22 BSP share, so the three stay
 * byte-for-byte the same construction (validated by VECTORS.txt §B and §D). */
#ifndef RSP_CARD_SCP03_PRIM_H
#define RSP_CARD_SCP03_PRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"

/* ICV for C-ENC (block = counter, big-endian, 16 bytes) or R-ENC (first byte forced to 80). */
rsp_err rsp_scp03i_icv(const uint8_t *senc, size_t keylen, uint32_t counter, bool response, uint8_t icv[16]);
/* Appends data || 80 00.. (to a multiple of 16) to b, then AES-CBC encrypts that tail in place. */
rsp_err rsp_scp03i_encrypt_append(const uint8_t *senc, size_t keylen, const uint8_t icv[16], const uint8_t *data,
                                  size_t len, rsp_buf *b);
/* Deciphers ct (multiple of 16) and strips the 80 00.. padding; appends the plain data to out.
 * RSP_ERR_FORMAT when the padding is wrong. */
rsp_err rsp_scp03i_decrypt_append(const uint8_t *senc, size_t keylen, const uint8_t icv[16], const uint8_t *ct,
                                  size_t len, rsp_buf *out);

/* Session keys set up once for a run of segments (see rsp_aes_key): a 100 KB package is ~100
 * segments, and re-creating EVP contexts per segment cost about half the throughput. enc may be
 * absent (MAC-only use). */
typedef struct rsp_scp03i_keys {
    rsp_aes_key *enc, *mac;
} rsp_scp03i_keys;

rsp_err rsp_scp03i_keys_open(rsp_scp03i_keys *k, const uint8_t *senc, const uint8_t *smac, size_t keylen);
void rsp_scp03i_keys_close(rsp_scp03i_keys *k);

/* The segment construction of SCP03t and BSP:
 *   out += tag || BER-len(len(ct)+8) || ct || C-MAC[0:8],  C-MAC = CMAC(S-MAC, MCV || tag || len || ct),
 * ct = pad-and-encrypt(data) under ICV(counter) when encrypt, else data. mcv is updated to the full
 * C-MAC. The caller increments the counter. */
rsp_err rsp_scp03i_seg_protect(const rsp_scp03i_keys *k, uint8_t mcv[16],
                               uint32_t counter, uint8_t tag, bool encrypt, const uint8_t *data, size_t len,
                               rsp_buf *out);
/* Inverse for one already-parsed TLV: tlv_raw is the whole TLV (tag, length, value), value points at
 * its value inside it. Checks the MAC (RSP_ERR_VERIFY), updates mcv only on success, deciphers when
 * decrypt, appends the plain data to out. */
rsp_err rsp_scp03i_seg_unprotect(const rsp_scp03i_keys *k, uint8_t mcv[16],
                                 uint32_t counter, bool decrypt, const uint8_t *tlv_raw, size_t hdr_len,
                                 size_t value_len, rsp_buf *out, rsp_diag *diag);

#endif
