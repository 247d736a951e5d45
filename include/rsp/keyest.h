/* ES8 key establishment, GP Scenario #3 (SGP02.md §ES8; also ES5 EstablishISDRKeySet for the SM-SR
 * change), host (SM-DP / SM-SR) and card (ISD-P / ISD-R with its ECASD) roles.
 *
 *   host: 80 E2 09 00 | 3A01 L 7F21 CERT.DP.ECDSA              card: 85 10 RC
 *   host: 80 E2 89 01 | 3A02 L A6{CRT} | 7F49 ePK | 5F37 sig     card: [85 L DR] 86 10 receipt
 * sig = ECDSA(SK.DP.ECDSA, 3A02.. || 7F49.. || 00 85 10 RC); ShS = ECDH(eSK.DP, PK.ECASD) x;
 * keyData = X9.63-SHA256(ShS, KUQ || 88 || keylen [|| DR] [|| HostID LV]) = receipt key || K-ENC ||
 * K-MAC || K-DEK; receipt = CMAC(receipt key, A6 CRT [|| 85 L DR]).
 * Every encoding choice lives in lib/card/es8_encoding.h and docs/ENCODINGS.md.
 *
 * DGI lengths are one byte, or FF + two bytes when >= 255. The derived keys come out as an
 * rsp_scp03_keys, ready for SCP03t. Close both role objects (they wipe secrets, free keys). */
#ifndef RSP_KEYEST_H
#define RSP_KEYEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/crypto.h"
#include "rsp/err.h"
#include "rsp/scp03.h"

typedef struct rsp_keyest_params {
    uint8_t options;   /* scenario options after 03 in tag 90; 0 means the default (09) */
    uint8_t kuq;       /* key usage qualifier; 0 means 10 */
    uint8_t key_len;   /* 16, 24 or 32; 0 means 16 */
    uint8_t key_id;    /* 0 means 01 */
    uint8_t kvn;       /* the new key set's version */
    bool smsr;         /* ISD-R key set for an SM-SR change: adds 96 01 00 */
    const uint8_t *host_id; size_t host_id_len; /* 84, with option 04 */
    const uint8_t *sdin; size_t sdin_len;       /* 45, with option 04 */
} rsp_keyest_params;

/* The A6 CRT TLV (tag, length, value) of the second STORE DATA from p, defaults filled in, appended to
 * out: A6 {90 02 03 opts, 95 01 KUQ, [96 01 00 when smsr], 80 01 88, 81 01 len, 82 01 id, 83 01 KVN,
 * 91 00 [, 45 SDIN, 84 HostID with option 04]}. The one builder: the host role signs these bytes and
 * the sender of an SM-SR change rebuilds them from ES7.CreateAdditionalKeySet (lib/smsr/change_isdr.c). */
rsp_err rsp_keyest_crt_build(const rsp_keyest_params *p, rsp_buf *out);
/* The one CRT parser (the card role's): the value of an A6 CRT into p (host_id and sdin point into v;
 * smsr when it carries 96 01 00). Refuses what the card refuses (missing 90/95/80/81/83, unknown
 * scenario, KUQ, key type or length). A CRT it accepts that rsp_keyest_crt_build does not give back
 * byte for byte carries something the builder never emits (another tag order, 91 with a value). */
rsp_err rsp_keyest_crt_parse(const uint8_t *v, size_t len, rsp_keyest_params *p, rsp_diag *diag);

/* DGI helpers (public for the tools): appends tag(2) || len(1 or FF hh ll) || value. */
rsp_err rsp_keyest_dgi_put(rsp_buf *out, uint16_t dgi, const uint8_t *value, size_t len);
/* Parses one DGI at p; *hdr gets the header size, *vlen the value length. */
rsp_err rsp_keyest_dgi_parse(const uint8_t *p, size_t len, uint16_t *dgi, size_t *hdr, size_t *vlen,
                             rsp_diag *diag);

/* ---- host ---- */
typedef struct rsp_keyest_host {
    rsp_keyest_params p;    /* host_id/sdin pointers borrowed */
    rsp_eckey *eph;         /* ephemeral key pair (owned) */
    uint8_t rc[16];
    bool have_rc;
    rsp_buf crt;            /* the A6 TLV sent, needed for the receipt (owned) */
} rsp_keyest_host;

/* 80 E2 09 00 Lc | 3A01 L | cert. Appends to apdu. */
rsp_err rsp_keyest_host_cert_apdu(const uint8_t *cert, size_t len, rsp_buf *apdu);
/* Takes the card's 85 10 RC (an optional trailing 9000 is accepted). */
rsp_err rsp_keyest_host_challenge(rsp_keyest_host *h, const uint8_t *resp, size_t len, rsp_diag *diag);
/* Uses the given ephemeral private key instead of a fresh one (tests, fixed samples). */
rsp_err rsp_keyest_host_set_ephemeral(rsp_keyest_host *h, rsp_curve curve, const uint8_t d[32]);
/* Builds the second STORE DATA, signing with sk_sign (SK.DP.ECDSA or SK.SR.ECDSA); generates the
 * ephemeral key on `curve` unless one was set. */
rsp_err rsp_keyest_host_keyagree_apdu(rsp_keyest_host *h, const rsp_keyest_params *p, const rsp_eckey *sk_sign,
                                      rsp_curve curve, rsp_buf *apdu);
/* Checks the card's [85 DR] 86 receipt against PK.ECASD.ECKA and returns the new key set. */
rsp_err rsp_keyest_host_finish(rsp_keyest_host *h, const rsp_eckey *pk_ecasd, const uint8_t *resp, size_t len,
                               rsp_scp03_keys *out, rsp_diag *diag);
void rsp_keyest_host_close(rsp_keyest_host *h);

/* ---- card ---- */
typedef enum rsp_keyest_state { RSP_KEYEST_IDLE = 0, RSP_KEYEST_CERT_OK, RSP_KEYEST_DONE } rsp_keyest_state;

typedef struct rsp_keyest_card {
    const rsp_eckey *pk_ci;     /* borrowed: the CI's public key kept in the ECASD */
    const rsp_eckey *sk_ecasd;  /* borrowed: SK.ECASD.ECKA */
    int expected_role;          /* C8 value required in the certificate: 01 SM-DP, 02 SM-SR */
    rsp_eckey *pk_host;         /* from the verified certificate (owned) */
    uint8_t rc[16];
    const uint8_t *fixed_rc;    /* tests: use these 16 bytes instead of random */
    const uint8_t *fixed_dr;
    rsp_keyest_state state;
    struct rsp_crl_file *crl;   /* borrowed, NULL: no revocation check; else the certificate's serial
                                 * must not be on a CRL that verifies under pk_ci and is fresh at now */
    int64_t now;                /* Unix seconds, for the CRL's freshness */
} rsp_keyest_card;

void rsp_keyest_card_init(rsp_keyest_card *c, const rsp_eckey *pk_ci, const rsp_eckey *sk_ecasd, int expected_role);
/* Handles one STORE DATA: the whole APDU (80 E2 ..) or just its data field (starting with the DGI).
 * 3A01: verifies the certificate chain to PK.CI and the role, answers 85 10 RC.
 * 3A02: verifies the signature with the certificate's key, derives the keys into *out, answers
 * [85 DR] 86 receipt. Appends the answer (no SW) to resp. */
rsp_err rsp_keyest_card_store_data(rsp_keyest_card *c, const uint8_t *in, size_t len, rsp_buf *resp,
                                   rsp_scp03_keys *out, rsp_diag *diag);
void rsp_keyest_card_close(rsp_keyest_card *c);

/* ---- shared (also used by the card and host internally) ---- */
/* keyData from ShS; crt is the A6 TLV's value. out_len = 4 * key length. */
rsp_err rsp_keyest_kdf(const uint8_t shs[32], const uint8_t *crt_value, size_t crt_len, const uint8_t *dr,
                       size_t dr_len, uint8_t *key_data, size_t out_len);

#endif
