/* Thin wrappers over OpenSSL 3 EVP. No primitive is implemented here; only the layouts the card
 * protocols need (zero IV CBC, the SCP80 3DES CBC-MAC, the SCP03 KDF layout, raw r||s signatures).
 *
 * All functions work on caller-provided buffers. Key material passed in is never logged or kept. */
#ifndef RSP_CRYPTO_H
#define RSP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

/* ---- block ciphers (no padding: len must be a multiple of the block size) ---- */
typedef enum rsp_cipher_alg {
    RSP_CIPHER_AES,  /* key 16, 24 or 32 bytes; block 16 */
    RSP_CIPHER_3DES, /* key 16 (2-key) or 24 (3-key), or 8 for single DES as K1=K2=K3; block 8 */
} rsp_cipher_alg;

typedef enum rsp_cipher_mode { RSP_MODE_CBC, RSP_MODE_ECB } rsp_cipher_mode;

size_t rsp_cipher_block_size(rsp_cipher_alg alg);
/* iv may be NULL for an all-zero IV (CBC) and is ignored for ECB. in and out may alias. */
rsp_err rsp_cipher(rsp_cipher_alg alg, rsp_cipher_mode mode, bool encrypt, const uint8_t *key,
                   size_t keylen, const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *out);

/* ---- MACs ---- */
/* Full 16-byte AES-CMAC (RFC 4493). */
rsp_err rsp_aes_cmac(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t out[16]);
/* AES-CMAC over the concatenation of up to n parts, without copying them together. */
rsp_err rsp_aes_cmac_parts(const uint8_t *key, size_t keylen, const rsp_bytes *parts, size_t n,
                           uint8_t out[16]);
/* The SCP80 3DES CC: the last block of a CBC encryption with zero IV over msg zero-padded to a
 * multiple of 8 (nothing is added when already aligned). key is 8, 16 or 24 bytes. */
rsp_err rsp_des3_cbc_mac(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len, uint8_t out[8]);

/* ---- keyed AES for hot loops ----
 * A key set up once and reused: the EVP contexts (ECB, CBC both ways, CMAC) are created on first use
 * and kept, so a loop over many segments pays the key schedule and allocations once. Not thread-safe;
 * one per session. rsp_aes_key_free wipes the key. */
typedef struct rsp_aes_key rsp_aes_key;

rsp_err rsp_aes_key_new(const uint8_t *key, size_t keylen, rsp_aes_key **out);
void rsp_aes_key_free(rsp_aes_key *k);
/* As rsp_cipher with RSP_CIPHER_AES; iv NULL means zero (CBC). */
rsp_err rsp_aes_key_cipher(rsp_aes_key *k, rsp_cipher_mode mode, bool encrypt, const uint8_t *iv,
                           const uint8_t *in, size_t len, uint8_t *out);
rsp_err rsp_aes_key_cmac_parts(rsp_aes_key *k, const rsp_bytes *parts, size_t n, uint8_t out[16]);

/* ---- hashes ---- */
rsp_err rsp_sha256(const uint8_t *msg, size_t len, uint8_t out[32]);

/* ---- KDFs ---- */
/* NIST SP 800-108 counter mode with AES-CMAC as PRF and an 8-bit counter starting at 1, placed between
 * `before` and `after`: block_i = CMAC(K, before || i || after). This covers both the CAVP layout
 * (before empty) and the SCP03 layout (before = label || 00 || L, after = context). */
rsp_err rsp_kdf_ctr_cmac(const uint8_t *key, size_t keylen, const uint8_t *before, size_t before_len,
                         const uint8_t *after, size_t after_len, uint8_t *out, size_t outlen);
/* The SCP03 KDF (GP Amd D 4.1.5): label = 00*11 || constant, L in bits, context. */
rsp_err rsp_kdf_scp03(const uint8_t *key, size_t keylen, uint8_t constant, const uint8_t *context,
                      size_t ctxlen, uint8_t *out, size_t outlen);
/* ANSI X9.63 KDF with SHA-256. */
rsp_err rsp_kdf_x963_sha256(const uint8_t *z, size_t zlen, const uint8_t *shared_info, size_t silen,
                            uint8_t *out, size_t outlen);

/* ---- random ---- */
rsp_err rsp_random(uint8_t *out, size_t len);

/* ---- elliptic curves ---- */
/* Values are the GlobalPlatform key parameter references (SGP.02 curve references). */
typedef enum rsp_curve {
    RSP_CURVE_P256 = 0x00,
    RSP_CURVE_BP256R1 = 0x03,
} rsp_curve;

#define RSP_EC_POINT_LEN 65 /* 04 || X || Y */
#define RSP_EC_SCALAR_LEN 32
#define RSP_EC_SIG_LEN 64   /* r || s */

typedef struct rsp_eckey rsp_eckey; /* opaque; wraps an EVP_PKEY */

const char *rsp_curve_name(rsp_curve c); /* "p256", "brainpoolp256r1" */
rsp_err rsp_curve_parse(const char *s, rsp_curve *out);

rsp_err rsp_ec_generate(rsp_curve curve, rsp_eckey **out);
rsp_err rsp_ec_from_private(rsp_curve curve, const uint8_t d[32], rsp_eckey **out);
/* Accepts an uncompressed point (65 bytes); checks it lies on the curve. */
rsp_err rsp_ec_from_public(rsp_curve curve, const uint8_t *point, size_t len, rsp_eckey **out);
void rsp_ec_free(rsp_eckey *k);
rsp_curve rsp_ec_curve(const rsp_eckey *k);
bool rsp_ec_has_private(const rsp_eckey *k);
rsp_err rsp_ec_public_point(const rsp_eckey *k, uint8_t out[RSP_EC_POINT_LEN]);
/* Secret: the caller must wipe out after use. */
rsp_err rsp_ec_private_scalar(const rsp_eckey *k, uint8_t out[RSP_EC_SCALAR_LEN]);
/* ECDSA with SHA-256 over msg; signature as raw r||s (32 bytes each, left-padded). */
rsp_err rsp_ecdsa_sign(const rsp_eckey *k, const uint8_t *msg, size_t len, uint8_t sig[RSP_EC_SIG_LEN]);
/* RSP_OK when valid, RSP_ERR_VERIFY when not. */
rsp_err rsp_ecdsa_verify(const rsp_eckey *k, const uint8_t *msg, size_t len, const uint8_t *sig, size_t siglen);
/* ECDH: the shared secret's x-coordinate (32 bytes). Both keys must be on the same curve. */
rsp_err rsp_ecdh(const rsp_eckey *priv, const rsp_eckey *peer, uint8_t out[32]);
/* PEM (PKCS#8 private or SubjectPublicKeyInfo public) load/save, for the tools. Private key files are
 * written with mode 0600. */
rsp_err rsp_ec_load_pem(const char *path, rsp_eckey **out);
rsp_err rsp_ec_save_private_pem(const rsp_eckey *k, const char *path);
rsp_err rsp_ec_save_public_pem(const rsp_eckey *k, const char *path);
/* The underlying EVP_PKEY (borrowed), for code that builds X.509 or TLS contexts. */
void *rsp_ec_evp_pkey(const rsp_eckey *k);

#endif
