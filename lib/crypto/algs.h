/* Internal: algorithm objects fetched once from the default provider.
 *
 * OpenSSL 3 fetches an algorithm implementation by name on every EVP_*Init that is handed a legacy
 * EVP_aes_128_cbc()-style pointer; fetching once and reusing the objects removes that cost from every
 * SCP80 packet. The table is written once (pthread_once) and then only read: it is a constant, not
 * mutable state. */
#ifndef RSP_CRYPTO_ALGS_H
#define RSP_CRYPTO_ALGS_H

#include <stddef.h>

#include <openssl/evp.h>

#include "rsp/err.h"

typedef struct rsp_algs {
    EVP_CIPHER *aes_cbc[3];   /* 128, 192, 256 */
    EVP_CIPHER *aes_ecb[3];
    EVP_CIPHER *des2_cbc, *des3_cbc, *des2_ecb, *des3_ecb;
    EVP_MAC *cmac;
    EVP_MAC_CTX *cmac_tmpl[3]; /* CMAC contexts with the AES cipher already set, per key size */
    EVP_MD *sha256;
    EVP_KDF *x963;
    int ok;
} rsp_algs;

/* Returns the table, or NULL if the provider lacks an algorithm (then every crypto call fails). */
const rsp_algs *rsp_algs_get(void);
/* Index 0/1/2 for a 16/24/32-byte AES key, -1 otherwise. */
int rsp_algs_aes_index(size_t keylen);

#endif
