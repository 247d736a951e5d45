#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "algs.h"

static rsp_algs algs;
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;

static void algs_fetch(void)
{
    static const char *const cbc[3] = {"AES-128-CBC", "AES-192-CBC", "AES-256-CBC"};
    static const char *const ecb[3] = {"AES-128-ECB", "AES-192-ECB", "AES-256-ECB"};
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        algs.aes_cbc[i] = EVP_CIPHER_fetch(NULL, cbc[i], NULL);
        algs.aes_ecb[i] = EVP_CIPHER_fetch(NULL, ecb[i], NULL);
        ok &= algs.aes_cbc[i] && algs.aes_ecb[i];
    }
    algs.des2_cbc = EVP_CIPHER_fetch(NULL, "DES-EDE-CBC", NULL);
    algs.des3_cbc = EVP_CIPHER_fetch(NULL, "DES-EDE3-CBC", NULL);
    algs.des2_ecb = EVP_CIPHER_fetch(NULL, "DES-EDE-ECB", NULL);
    algs.des3_ecb = EVP_CIPHER_fetch(NULL, "DES-EDE3-ECB", NULL);
    algs.cmac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    algs.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    algs.x963 = EVP_KDF_fetch(NULL, "X963KDF", NULL);
    ok &= algs.des2_cbc && algs.des3_cbc && algs.des2_ecb && algs.des3_ecb && algs.cmac && algs.sha256 &&
          algs.x963;
    for (int i = 0; ok && i < 3; i++) {
        algs.cmac_tmpl[i] = EVP_MAC_CTX_new(algs.cmac);
        OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, (char *)cbc[i], 0),
                           OSSL_PARAM_construct_end()};
        /* CMAC contexts can only be duplicated once keyed, so the template holds a zero key; every
         * use re-keys its copy. */
        static const unsigned char zero_key[32];
        ok &= algs.cmac_tmpl[i] && EVP_MAC_init(algs.cmac_tmpl[i], zero_key, (size_t)16 + 8 * (size_t)i, p) == 1;
    }
    algs.ok = ok;
}

const rsp_algs *rsp_algs_get(void)
{
    pthread_once(&algs_once, algs_fetch);
    return algs.ok ? &algs : NULL;
}

int rsp_algs_aes_index(size_t keylen)
{
    return keylen == 16 ? 0 : keylen == 24 ? 1 : keylen == 32 ? 2 : -1;
}
