/* The eUICC simulator's card model (lib/euicc, docs/modules/euicc.md): SGP.02 cards (ECASD, ISD-R,
 * ISD-Ps) that take APDUs, SMS-PP and SCP81 admin scripts and answer as a real card would, with their
 * state in non-volatile memory (a fleet database) committed before any answer leaves.
 *
 * This header is the contract between the card model and whoever hosts cards (the fleet daemon
 * `rsp euicc run`, the local tools, tests). A host never touches card internals: it feeds inputs
 * and carries out what the card asks of its device (send an SMS, open an admin session).
 *
 * Threads: a fleet and its cards belong to one thread (the daemon is event-driven).
 * Time: callers pass `now` in Unix milliseconds, so tests control the clock. */
#ifndef RSP_EUICC_H
#define RSP_EUICC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

typedef struct rsp_euicc_fleet rsp_euicc_fleet;
typedef struct rsp_euicc rsp_euicc; /* one card, owned by its fleet */

/* ---- Fleet (a directory made by `rsp eum make`) ---- */

/* Opens the fleet in dir (its card database and files) and loads the card index (each card's state is
 * read on its first input). A download cut by a crash left nothing durable behind (a package is
 * committed whole, with the profile's new state), so every card reopens as it was before the cut.
 * dir ":memory:" gives a fleet without files (tests, fuzzing). */
rsp_err rsp_euicc_fleet_open(const char *dir, rsp_diag *diag, rsp_euicc_fleet **out);
void rsp_euicc_fleet_close(rsp_euicc_fleet *f);
size_t rsp_euicc_fleet_count(const rsp_euicc_fleet *f);
/* The i-th card (0 <= i < count), in EID order. */
rsp_euicc *rsp_euicc_fleet_at(rsp_euicc_fleet *f, size_t i);
/* NULL when unknown. EID: 32 digits; MSISDN: digits as in the card's enabled profile. */
rsp_euicc *rsp_euicc_fleet_by_eid(rsp_euicc_fleet *f, const char *eid);
rsp_euicc *rsp_euicc_fleet_by_msisdn(rsp_euicc_fleet *f, const char *msisdn);

const char *rsp_euicc_eid(const rsp_euicc *c);
/* MSISDN of the enabled profile ("" if none): the address the device's SMS come from. */
const char *rsp_euicc_msisdn(const rsp_euicc *c);

/* ---- What a card asks of its device ---- */

/* An SCP81 admin session to open (from a trigger or a pending notification). The PSK is secret:
 * rsp_euicc_out_clear wipes it. */
typedef struct rsp_euicc_admin {
    char host[256];                 /* from the trigger (8A) or the card's default configuration */
    uint16_t port;
    char uri[256];                  /* first POST goes to this URI */
    char agent_id[64];              /* 8B, may be empty */
    char psk_identity[128];         /* upper-case hex text (SGP.02 ES5) */
    uint8_t psk[32];
    size_t psk_len;
    uint8_t retry;                  /* retry policy from the trigger, 0 if none */
} rsp_euicc_admin;

typedef struct rsp_euicc_mo_sms {
    char to[24];                    /* destination address digits (the SM-SR's) */
    rsp_buf tpdu;                   /* one SMS-SUBMIT TPDU (one part of a concatenated message) */
} rsp_euicc_mo_sms;

typedef struct rsp_euicc_out {
    rsp_euicc_mo_sms *sms;          /* malloc'd array, owned: PoRs and notifications to send, in order */
    size_t n_sms;
    bool open_admin;                /* a trigger asked for an admin session */
    rsp_euicc_admin admin;
    /* A notification (E1 TLV) for the open admin session: POST it as ?msg=<hex> (SGP02.md); empty
     * when none. Filled by rsp_euicc_tick only while an admin session is open, instead of an SMS. */
    rsp_buf notif_msg;
} rsp_euicc_out;

/* Frees and wipes what *out holds and zeroes it (safe on a zeroed struct). */
void rsp_euicc_out_clear(rsp_euicc_out *out);

/* ---- Inputs ---- */

/* One SMS-DELIVER TPDU as the modem received it (each part of a concatenated message separately;
 * the card reassembles). Secured packets are opened with the card-role SCP80 codec, routed by TAR to
 * the ISD-R or an ISD-P, and answered with a PoR as the SPI asks. A malformed or forged SMS changes no
 * state; whatever answer the specs name for it (an error PoR, or nothing) is put in *out.
 * Returns RSP_OK whenever the card handled the SMS (even by refusing it); an error only when the host
 * must know (e.g. RSP_ERR_IO: the state could not be committed, nothing was answered). */
rsp_err rsp_euicc_sms_pp(rsp_euicc *c, const uint8_t *tpdu, size_t len, int64_t now,
                         rsp_euicc_out *out, rsp_diag *diag);

/* One step of an SCP81 admin session: `script` is the body of the server's 200 answer (expanded
 * remote APDU format, definite or indefinite), `targeted_aid` the X-Admin-Targeted-Application AID
 * (NULL: the ISD-R). A body for an ISD-P that starts with 84, 85 or 86 is SCP03t (the profile
 * download); the response is then the card's SCP03t answer (84 ..., 9F xx, or the EUICCResponse once
 * the package is complete and installed). The response script goes to *response (owned by the caller) and the
 * X-Admin-Script-Status value to status ("ok", "unknown-application", "security-error", ...). */
rsp_err rsp_euicc_admin_script(rsp_euicc *c, const uint8_t *script, size_t len,
                               const uint8_t *targeted_aid, size_t aid_len, int64_t now,
                               rsp_buf *response, char status[32], rsp_euicc_out *out,
                               rsp_diag *diag);
/* The admin session ended (204, error or timeout). ok is false when it broke off: a download in
 * progress in it is rolled back. */
void rsp_euicc_admin_end(rsp_euicc *c, bool ok, int64_t now);

/* Pending notifications due for (re)sending at `now`: as MO SMS in *out. *next (may be NULL) gets
 * the time of the next resend, or 0 when nothing is pending. */
rsp_err rsp_euicc_tick(rsp_euicc *c, int64_t now, rsp_euicc_out *out, int64_t *next);

/* ---- Device events (fault controls) ---- */

/* The enabled profile lost its network: the card falls back to the fall-back profile (if the rules
 * allow) and queues notification 05. RSP_ERR_STATE when no fall-back is possible. */
rsp_err rsp_euicc_net_down(rsp_euicc *c, int64_t now, rsp_euicc_out *out);
/* Power cut: everything volatile (SCP03 sessions, partial downloads, SMS reassembly, open admin
 * session) is dropped and rolled back to the last committed state. */
void rsp_euicc_reset(rsp_euicc *c, int64_t now);

/* ---- Local access (ESx: the device talking to the ISD-R) ---- */

/* One plain C-APDU to the ISD-R (or the ECASD after a SELECT), as a card reader would send it; the
 * R-APDU (data ‖ SW1 SW2) is appended to *rapdu (owned by the caller). */
rsp_err rsp_euicc_apdu(rsp_euicc *c, const uint8_t *capdu, size_t len, int64_t now, rsp_buf *rapdu,
                       rsp_diag *diag);

/* ---- Manufacturing (used by `rsp eum make`) ---- */

/* Everything a new card is born with. Secrets (keys, PSK, package) are the caller's, read only. */
typedef struct rsp_euicc_init {
    char eid[33];
    /* ECASD */
    const uint8_t *sk_ecasd;        /* SK.ECASD.ECKA, raw 32-byte private scalar */
    size_t sk_ecasd_len;
    uint8_t curve;                  /* curve reference: 00 P-256, 03 brainpoolP256r1 */
    const uint8_t *cert_ecasd;      /* CERT.ECASD.ECKA (7F21), signed by the EUM */
    size_t cert_ecasd_len;
    const uint8_t *cert_eum;        /* CERT.EUM (7F21), signed by the CI, so the chain can be shown */
    size_t cert_eum_len;
    const uint8_t *pk_ci;           /* PK.CI, uncompressed point 04||X||Y */
    size_t pk_ci_len;
    /* ISD-R key sets */
    uint8_t scp80_kvn;              /* 01..0F; AES-128 KIc/KID */
    uint8_t scp80_kic[16], scp80_kid[16];
    uint8_t scp81_kvn;              /* 40..4F; PSK */
    uint8_t scp81_psk[16];
    char smsr_msisdn[24];           /* where MO SMS (notifications) go */
    char smsr_host[256];            /* default SCP81 admin server (trigger "81 00") */
    uint16_t smsr_port;
    char smsr_uri[256];
    /* pre-installed provisioning profile: enabled, fall-back attribute */
    const uint8_t *profile;         /* personalised SAIP package (DER) */
    size_t profile_len;
    char msisdn[24];                /* of that profile */
    int64_t memory;                 /* NVM available for profiles, bytes */
} rsp_euicc_init;

/* Creates an empty fleet in dir (must not hold one yet). */
rsp_err rsp_euicc_fleet_create(const char *dir, rsp_diag *diag, rsp_euicc_fleet **out);
/* Manufactures one card into the fleet (committed before return): ECASD, ISD-R with its key sets,
 * the provisioning profile installed in its ISD-P (checked with the SAIP walker), enabled, with the
 * fall-back attribute. RSP_ERR_EXISTS if the EID is taken. */
rsp_err rsp_euicc_fleet_add(rsp_euicc_fleet *f, const rsp_euicc_init *init, rsp_diag *diag);
/* Groups many fleet_add calls into one transaction (one fsync instead of one per card). Nests. */
rsp_err rsp_euicc_fleet_begin(rsp_euicc_fleet *f);
rsp_err rsp_euicc_fleet_commit(rsp_euicc_fleet *f);
/* Durable commits of the fleet's NVM since it was opened (benchmarks: writes per operation). */
uint64_t rsp_euicc_fleet_commits(const rsp_euicc_fleet *f);

/* ---- Inspection (`rsp euicc show`, tests): a snapshot of the committed state ---- */

typedef struct rsp_euicc_profile_info {
    char aid[33];                   /* ISD-P AID, upper-case hex */
    char iccid[21];                 /* "" while the ISD-P is only created */
    char msisdn[24];
    uint8_t lcs;                    /* 07 created, 1F disabled, 3F enabled (GET STATUS 9F70) */
    bool fallback, emergency, test;
    uint8_t pol1;                   /* 01 disable not allowed, 02 delete not allowed, 04 delete when disabled */
    bool has_keys, has_token;       /* SCP03 keys from Scenario#3; master delete token key (KVN 70) */
    int64_t quota, used;            /* bytes */
    char smsc[24];                  /* SMSC digits of the 3A07 connectivity parameters ("" if none) */
} rsp_euicc_profile_info;

typedef struct rsp_euicc_notif_info {
    uint16_t seq;
    uint8_t type;                   /* 01 first attach, 02 switch, 03 rolled back, 05 fall-back */
    char aid[33];
    unsigned attempts;
    int64_t due;                    /* next (re)send, Unix ms */
} rsp_euicc_notif_info;

typedef struct rsp_euicc_info {
    char eid[33];
    char msisdn[24];
    char smsr_msisdn[24];
    int64_t memory, free_memory;
    uint8_t scp80_kvns[4], scp81_kvns[4];
    size_t n_scp80, n_scp81;
    size_t n_profiles;
    rsp_euicc_profile_info profiles[8];
    size_t n_notifs;
    rsp_euicc_notif_info notifs[8];
    uint16_t last_seq;              /* last notification sequence number used */
} rsp_euicc_info;

/* Fills *info from the card's state (loading it if needed). */
rsp_err rsp_euicc_info_get(rsp_euicc *c, rsp_euicc_info *info);

/* ---- inspection: counters (lib/euicc/inspect.c; additive, for `rsp euicc show`) ---- */

typedef struct rsp_euicc_counters {
    size_t n_scp80;
    struct {
        uint8_t kvn;
        uint8_t cntr[5];            /* last SCP80 counter accepted from the SM-SR on this key set */
    } scp80[4];
    uint8_t mo_cntr[5];             /* counter of the card's own MO packets (notifications) */
    uint16_t notif_seq;             /* last notification sequence number used */
    size_t n_isdp;
    struct {
        char aid[33];               /* ISD-P AID, upper-case hex */
        uint32_t scp03_seq;         /* SCP03 sequence counter of that ISD-P */
    } isdp[8];
} rsp_euicc_counters;

/* Fills *out from the card's committed state (loading it if needed). */
rsp_err rsp_euicc_counters_get(rsp_euicc *c, rsp_euicc_counters *out);

#endif
