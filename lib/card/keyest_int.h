/* Internal: the CRT parser, KDF and receipt shared by the host (keyest.c) and card (keyest_card.c). */
#ifndef RSP_CARD_KEYEST_INT_H
#define RSP_CARD_KEYEST_INT_H

#include "rsp/keyest.h"

typedef struct rsp_keyesti_crt {
    uint8_t options, kuq, keytype, keylen, keyid, kvn;
    bool smsr; /* 96 01 00: an ISD-R key set of an SM-SR change */
    rsp_bytes host_id, sdin;
} rsp_keyesti_crt;

/* Parses the value of the A6 CRT; base is added to offsets in diag. */
rsp_err rsp_keyesti_crt_parse(const uint8_t *v, size_t len, size_t base, rsp_keyesti_crt *c, rsp_diag *diag);
/* keyData (4 * keylen bytes) = X9.63(ShS, KUQ || type || len [|| DR] [|| HostID LV]). */
rsp_err rsp_keyesti_kdf(const uint8_t shs[32], const rsp_keyesti_crt *c, const uint8_t *dr, size_t dr_len, uint8_t *kd);
/* receipt = CMAC(kd[0:keylen], A6 TLV [|| 85 L DR]); out (optional) gets K-ENC, K-MAC, K-DEK. */
rsp_err rsp_keyesti_receipt(const uint8_t *kd, const rsp_keyesti_crt *c, const uint8_t *crt_tlv, size_t crt_tlv_len,
                            const uint8_t *dr, size_t dr_len, uint8_t receipt[16], rsp_scp03_keys *out);

#endif
