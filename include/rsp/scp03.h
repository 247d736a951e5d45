/* GlobalPlatform SCP03 (Card Specification Amendment D), host and card roles.
 *
 * Pure functions on buffers: the caller moves the bytes. One rsp_scp03_session holds everything a
 * secure channel needs (session keys, MAC chaining value, encryption counter, security level); the
 * caller owns it (stack or heap) and must call rsp_scp03_close, which wipes the keys.
 *
 * Host flow:  rsp_scp03_host_init_update -> send -> rsp_scp03_host_begin(response)
 *             -> rsp_scp03_host_ext_auth -> send -> rsp_scp03_host_wrap / rsp_scp03_host_unwrap ...
 * Card flow:  rsp_scp03_card_init_update(apdu) -> rsp_scp03_card_ext_auth(apdu)
 *             -> rsp_scp03_card_unwrap(apdu) / rsp_scp03_card_wrap(response) ...
 *
 * Only short APDUs (Lc, Le <= 255) and S8 mode (8-byte challenges and cryptograms) are supported;
 * S16 is refused with RSP_ERR_UNSUPPORTED. Keys are 16, 24 or 32 bytes (AES-128/192/256). */
#ifndef RSP_SCP03_H
#define RSP_SCP03_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

/* Security level bits (the P1 of EXTERNAL AUTHENTICATE). Valid levels: 01, 03, 11, 13, 31, 33. */
enum {
    RSP_SCP03_SL_CMAC = 0x01,
    RSP_SCP03_SL_CENC = 0x02,
    RSP_SCP03_SL_RMAC = 0x10,
    RSP_SCP03_SL_RENC = 0x20,
};

/* The "i" parameter bits we act on (GP Amd D 5.1). */
enum {
    RSP_SCP03_I_S16 = 0x01,          /* 16-byte challenges: unsupported */
    RSP_SCP03_I_PSEUDO_RANDOM = 0x10 /* card challenge from the sequence counter */
};

#define RSP_SCP03_KEY_MAX 32
#define RSP_SCP03_CHALLENGE_LEN 8
#define RSP_SCP03_CRYPTOGRAM_LEN 8

/* The static key set (K-ENC, K-MAC, K-DEK) of one key version. */
typedef struct rsp_scp03_keys {
    uint8_t enc[RSP_SCP03_KEY_MAX];
    uint8_t mac[RSP_SCP03_KEY_MAX];
    uint8_t dek[RSP_SCP03_KEY_MAX];
    size_t len; /* 16, 24 or 32 */
    uint8_t kvn;
} rsp_scp03_keys;

/* Fills keys from raw bytes; dek may be NULL (then all zero). */
rsp_err rsp_scp03_keys_set(rsp_scp03_keys *keys, uint8_t kvn, const uint8_t *enc, const uint8_t *mac,
                           const uint8_t *dek, size_t len);

typedef enum rsp_scp03_role { RSP_SCP03_HOST = 1, RSP_SCP03_CARD = 2 } rsp_scp03_role;

typedef struct rsp_scp03_session {
    rsp_scp03_role role;
    size_t keylen;
    uint8_t s_enc[RSP_SCP03_KEY_MAX];
    uint8_t s_mac[RSP_SCP03_KEY_MAX];
    uint8_t s_rmac[RSP_SCP03_KEY_MAX];
    uint8_t dek[RSP_SCP03_KEY_MAX];      /* the static K-DEK, kept for PUT KEY callers */
    uint8_t mcv[16];                     /* C-MAC chaining value */
    uint32_t counter;                    /* encryption counter of the last command */
    uint8_t sl;                          /* security level, valid once authenticated */
    uint8_t kvn, i_param;
    uint8_t seq[3];                      /* card sequence counter from INITIALIZE UPDATE */
    uint8_t host_challenge[8], card_challenge[8];
    uint8_t card_cryptogram[8], host_cryptogram[8];
    bool card_cryptogram_ok;             /* host role: the card proved knowledge of the keys */
    bool authenticated;                  /* EXTERNAL AUTHENTICATE done */
} rsp_scp03_session;

/* Wipes every key and resets the state. Safe on a zeroed or already closed session. */
void rsp_scp03_close(rsp_scp03_session *s);

/* Key check value: AES-ECB(K, 01*16)[0:3]. */
rsp_err rsp_scp03_kcv(const uint8_t *key, size_t keylen, uint8_t out[3]);

/* Security level is one of 01, 03, 11, 13, 31, 33. */
bool rsp_scp03_sl_valid(uint8_t sl);

/* ---- host role ---- */

/* INITIALIZE UPDATE: 80 50 KVN 00 08 <host challenge> 00. Appends to apdu (caller owns). */
rsp_err rsp_scp03_host_init_update(uint8_t kvn, const uint8_t host_challenge[8], rsp_buf *apdu);
/* Parses the INITIALIZE UPDATE response data (29 or 32 bytes, an optional trailing 9000 is
 * accepted), derives the session keys and checks the card cryptogram. Returns RSP_ERR_VERIFY when the
 * cryptogram is wrong; the session keys are still derived (s->card_cryptogram_ok false) so a tool
 * can show them, but the session refuses to go further. */
rsp_err rsp_scp03_host_begin(rsp_scp03_session *s, const rsp_scp03_keys *keys,
                             const uint8_t host_challenge[8], const uint8_t *resp, size_t len,
                             rsp_diag *diag);
/* EXTERNAL AUTHENTICATE at security level sl: 84 82 SL 00 10 <host cryptogram> <C-MAC>. */
rsp_err rsp_scp03_host_ext_auth(rsp_scp03_session *s, uint8_t sl, rsp_buf *apdu);
/* Wraps one short C-APDU (case 1-4) at the session's level: C-ENC of the data, then C-MAC.
 * Appends to out (caller owns). */
rsp_err rsp_scp03_host_wrap(rsp_scp03_session *s, const uint8_t *apdu, size_t len, rsp_buf *out,
                            rsp_diag *diag);
/* Checks and removes R-MAC, deciphers R-ENC. resp = data || [R-MAC] || SW1 SW2; appends
 * data || SW1 SW2 to out. A bare status word (no data) with an error SW (not 9000, 61xx, 62xx, 63xx)
 * is passed through unchecked, because cards do not MAC their error answers. */
rsp_err rsp_scp03_host_unwrap(rsp_scp03_session *s, const uint8_t *resp, size_t len, rsp_buf *out,
                              rsp_diag *diag);

/* ---- card role ---- */

typedef struct rsp_scp03_card_params {
    const uint8_t *aid; /* the security domain's AID: context of the pseudo-random challenge */
    size_t aid_len;
    uint32_t seq;       /* sequence counter value to use (24 bits); the caller persists it */
    uint8_t i_param;    /* usually 0x70 */
    uint8_t key_div[10];
    const uint8_t *card_challenge; /* when i_param lacks PSEUDO_RANDOM: 8 random bytes, or NULL to draw them */
} rsp_scp03_card_params;

/* Handles INITIALIZE UPDATE (80 50 KVN 00 08 hc [00]): derives the session keys and appends the
 * response data (key div || KVN || 03 || i || card challenge || card cryptogram || seq; no SW) to
 * resp. KVN 00 in the command means "any" and selects `keys`. */
rsp_err rsp_scp03_card_init_update(rsp_scp03_session *s, const rsp_scp03_keys *keys,
                                   const rsp_scp03_card_params *p, const uint8_t *apdu, size_t len,
                                   rsp_buf *resp, rsp_diag *diag);
/* Handles EXTERNAL AUTHENTICATE: checks its C-MAC and the host cryptogram, then sets the level. */
rsp_err rsp_scp03_card_ext_auth(rsp_scp03_session *s, const uint8_t *apdu, size_t len, rsp_diag *diag);
/* Checks the C-MAC and deciphers a protected C-APDU; appends the plain APDU (CLA without the secure
 * messaging bit) to out. */
rsp_err rsp_scp03_card_unwrap(rsp_scp03_session *s, const uint8_t *apdu, size_t len, rsp_buf *out,
                              rsp_diag *diag);
/* Protects a response: appends data' || [R-MAC] || SW1 SW2 to out. */
rsp_err rsp_scp03_card_wrap(rsp_scp03_session *s, const uint8_t *data, size_t len, uint16_t sw,
                            rsp_buf *out);

/* ---- shared pieces (also used by SCP03t and the SGP.22 BSP) ---- */

/* Derives S-ENC, S-MAC, S-RMAC and both cryptograms from the static keys and the challenges. */
rsp_err rsp_scp03_derive(rsp_scp03_session *s, const rsp_scp03_keys *keys);
/* The pseudo-random card challenge: KDF(K-ENC, 02, seq(3) || AID, 64 bits). */
rsp_err rsp_scp03_card_challenge(const uint8_t *kenc, size_t keylen, const uint8_t seq[3],
                                 const uint8_t *aid, size_t aid_len, uint8_t out[8]);

#endif
