/* SGP.22 BSP (Bound Profile Package secure channel, the heir of SGP.02 SCP03t), per OTA.md §SGP.22 BSP.
 *
 * It shares the SCP03t segment construction (lib/card/scp03_prim.h): ICV_n = AES-ECB(S-ENC, n),
 * C-MAC = CMAC(S-MAC, MCV || tag || BER-len(len(ct)+8) || ct), 8 bytes appended, MCV = full C-MAC.
 * VECTORS.txt §D gives real values for it, so the shared machinery is checked byte for byte here.
 *
 * The caller owns the rsp_bsp state and must rsp_bsp_close it (wipes the keys). AES-128 only, as in
 * SGP.22. */
#ifndef RSP_BSP_H
#define RSP_BSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

enum {
    RSP_BSP_TAG_PPK = 0x86,  /* ciphered + MAC (profile elements; with PPKs or session keys) */
    RSP_BSP_TAG_ENC = 0x87,  /* ciphered + MAC */
    RSP_BSP_TAG_MAC = 0x88,  /* MAC only */
};

/* SGP.22: a protected TLV is at most 1,020 bytes, i.e. 1,007 plaintext bytes when ciphered. */
#define RSP_BSP_MAX_TLV 1020
#define RSP_BSP_MAX_PLAIN_ENC 1007

typedef struct rsp_bsp {
    uint8_t s_enc[16], s_mac[16], mcv[16];
    uint32_t counter; /* of the last segment; the next one uses counter + 1 */
} rsp_bsp;

/* Sets keys and MCV directly (e.g. after ReplaceSessionKeys); the counter restarts at 1. */
void rsp_bsp_init(rsp_bsp *b, const uint8_t s_enc[16], const uint8_t s_mac[16], const uint8_t mcv[16]);
/* X9.63 KDF (SHA-256) over the ECDH secret with SharedInfo = 88 || 10 || hostId LV || EID LV;
 * output = initial MCV || S-ENC || S-MAC. host_id <= 127 bytes, eid <= 127 bytes. */
rsp_err rsp_bsp_derive(rsp_bsp *b, const uint8_t *shs, size_t shs_len, const uint8_t *host_id, size_t host_id_len,
                       const uint8_t *eid, size_t eid_len);
void rsp_bsp_close(rsp_bsp *b);

/* Protects one segment (tag 86/87 ciphered, 88 MAC only); appends the TLV to out (caller owns). */
rsp_err rsp_bsp_protect(rsp_bsp *b, uint8_t tag, const uint8_t *data, size_t len, rsp_buf *out);
/* Splits data into segments of at most `chunk` plaintext bytes and protects each in order. */
rsp_err rsp_bsp_protect_all(rsp_bsp *b, uint8_t tag, const uint8_t *data, size_t len, size_t chunk, rsp_buf *out);
/* Verifies and opens the protected TLV at the start of in; *consumed gets its size. Appends the plain
 * data to out. RSP_ERR_VERIFY on a bad C-MAC (state unchanged), RSP_ERR_TRUNCATED/LENGTH/TAG with the
 * offset in diag on a malformed TLV. */
rsp_err rsp_bsp_unprotect(rsp_bsp *b, const uint8_t *in, size_t len, size_t *consumed, rsp_buf *out,
                          rsp_diag *diag);

#endif
