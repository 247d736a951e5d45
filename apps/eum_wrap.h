/* How `rsp eum make` carries the ISD-R keys in an EIS: wrapped, never clear (docs/ENCODINGS.md,
 * "EUM manufacturing").
 *   smsr mode:      Value = ePK (65, 04||X||Y) || AES-KW(KEK, key), one ephemeral key pair per card,
 *                   KEK = X9.63-KDF-SHA256(ECDH(eSK, PK.SM-SR), EID(16) || KVN || key id)[0..16)
 *   transport mode: Value = AES-KW(TK, key), TK an AES-128 key the EUM and the SM-SR share
 * AES-KW is RFC 3394 (default IV A6A6A6A6A6A6A6A6). Keys are wiped when the wrapper is freed. */
#ifndef RSP_APPS_EUM_WRAP_H
#define RSP_APPS_EUM_WRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"

enum { RSP_EUM_KW_OVERHEAD = 8, RSP_EUM_TK_LEN = 16 };

typedef struct rsp_eum_wrap rsp_eum_wrap;

/* Borrowed key: smsr must outlive the wrapper. */
rsp_err rsp_eum_wrap_for_smsr(const rsp_eckey *smsr, rsp_eum_wrap **out);
rsp_err rsp_eum_wrap_for_transport(const uint8_t tk[RSP_EUM_TK_LEN], rsp_eum_wrap **out);
void rsp_eum_wrap_free(rsp_eum_wrap *w);
bool rsp_eum_wrap_is_smsr(const rsp_eum_wrap *w);
/* Starts a card: a fresh ephemeral key in smsr mode (nothing in transport mode). */
rsp_err rsp_eum_wrap_card(rsp_eum_wrap *w, const uint8_t eid[16]);
/* Appends the wrapped form of key (len a multiple of 8, >= 16) to out. */
rsp_err rsp_eum_wrap_key(rsp_eum_wrap *w, uint8_t kvn, uint8_t key_id, const uint8_t *key, size_t len,
                         rsp_buf *out);

/* The receiving side (an SM-SR, `rsp eum verify`): rsp_es_eis_unwrap_key in include/rsp/es.h. */

#endif
