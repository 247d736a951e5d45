/* SCP03t: the SGP.02 tunnel of a profile package through ES8 (SGP02.md §SCP03t, VECTORS §E4).
 *
 *   host -> 84 {KVN, key id, host challenge}          card -> 84 {INITIALIZE UPDATE response data}
 *   host -> 85 {SL, host cryptogram} C-MAC            card -> (nothing)
 *   host -> 86 {C-ENC(segment)} C-MAC   ...           card -> (nothing)
 * On any fault the card answers the two bytes 9F <code> and aborts the session.
 * C-MAC = CMAC(S-MAC, MCV || tag || BER-len(len+8) || value) [0:8]; SCP03 KDF, C-ENC ICV and counter
 * as in GP Amd D (include/rsp/scp03.h). Encoding choices: docs/ENCODINGS.md.
 *
 * Both roles keep an rsp_scp03_session; the card also owns the reassembly buffer. Close with
 * rsp_scp03t_card_close / rsp_scp03_close (wipes keys, frees buffers). */
#ifndef RSP_SCP03T_H
#define RSP_SCP03T_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/scp03.h"

/* Plaintext bytes per 86 segment: SGP.02 asks for at least 1,024. */
#define RSP_SCP03T_SEGMENT 1024
#define RSP_SCP03T_SEGMENT_MIN 1024

/* Error codes after 9F (OpenRSP's numbering; the public samples give none). */
typedef enum rsp_scp03t_status {
    RSP_SCP03T_ERR_FORMAT = 0x01,      /* malformed or truncated TLV */
    RSP_SCP03T_ERR_SECURITY = 0x02,    /* C-MAC or host cryptogram wrong */
    RSP_SCP03T_ERR_SEQUENCE = 0x03,    /* TLV not allowed in this state */
    RSP_SCP03T_ERR_UNSUPPORTED = 0x04, /* KVN, security level or mode */
    RSP_SCP03T_ERR_DECRYPT = 0x05,     /* padding wrong after deciphering */
    RSP_SCP03T_ERR_MEMORY = 0x06,      /* profile larger than the card accepts */
} rsp_scp03t_status;

/* ---- host (SM-DP) ---- */
/* Appends 84 0A KVN keyid hc. */
rsp_err rsp_scp03t_host_init(uint8_t kvn, uint8_t key_id, const uint8_t host_challenge[8], rsp_buf *out);
/* Parses the card's answer (84 TLV, or 9F xx: RSP_ERR_PROTOCOL with the code in diag) and
 * starts the session as rsp_scp03_host_begin (RSP_ERR_VERIFY on a wrong card cryptogram). */
rsp_err rsp_scp03t_host_begin(rsp_scp03_session *s, const rsp_scp03_keys *keys, const uint8_t host_challenge[8],
                              const uint8_t *resp, size_t len, rsp_diag *diag);
/* Appends 85 11 SL host-cryptogram C-MAC. */
rsp_err rsp_scp03t_host_auth(rsp_scp03_session *s, uint8_t sl, rsp_buf *out);
/* Appends the profile package as 86 segments of `segment` plaintext bytes (0: RSP_SCP03T_SEGMENT). */
rsp_err rsp_scp03t_host_wrap(rsp_scp03_session *s, const uint8_t *data, size_t len, size_t segment, rsp_buf *out);

/* ---- card (ISD-P) ---- */
typedef enum rsp_scp03t_state { RSP_SCP03T_IDLE = 0, RSP_SCP03T_INIT, RSP_SCP03T_OPEN, RSP_SCP03T_FAILED } rsp_scp03t_state;

typedef struct rsp_scp03t_card {
    rsp_scp03_session s;
    rsp_scp03_keys keys;
    rsp_scp03_card_params params;  /* params.aid is borrowed: it must outlive the card object */
    rsp_scp03t_state state;
    size_t max_plain;              /* reassembly limit; 0 means 16 MiB */
    rsp_buf plain;                 /* the reassembled, deciphered profile package (owned) */
    size_t segments;
    uint8_t last_error;            /* the code of the last 9F answer, 0 if none */
} rsp_scp03t_card;

/* Copies keys and params; the session starts IDLE. */
rsp_err rsp_scp03t_card_init(rsp_scp03t_card *c, const rsp_scp03_keys *keys, const rsp_scp03_card_params *p);
/* Processes every TLV in `in` (one ES8 SendData may carry several), appending the answers to resp.
 * On a fault: appends 9F <code>, sets FAILED (later input answers 9F 03) and returns the error, with
 * the offset in diag. Plain data accumulates in c->plain. */
rsp_err rsp_scp03t_card_process(rsp_scp03t_card *c, const uint8_t *in, size_t len, rsp_buf *resp, rsp_diag *diag);
/* Wipes keys and the reassembled data, frees memory. */
void rsp_scp03t_card_close(rsp_scp03t_card *c);

#endif
