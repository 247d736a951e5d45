/* Internals of the card model (lib/euicc). One card = a small index entry (always in RAM), its durable
 * state (eu_state, loaded from the fleet database on first use) and its volatile state (eu_vol:
 * secure channel sessions, downloads in progress, SMS reassembly; dropped on a power cut).
 *
 * Durability rule: a handler changes a copy of nothing; it changes c->st and, before its answer
 * leaves, eu_commit() writes the whole state blob in one SQLite transaction. If the commit fails the
 * state is reloaded from the database, so RAM never runs ahead of NVM. */
#ifndef RSP_EUICC_INT_H
#define RSP_EUICC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "rsp/euicc.h"
#include "rsp/ids.h"
#include "rsp/keyest.h"
#include "rsp/scp03.h"
#include "rsp/scp03t.h"
#include "rsp/sms.h"

/* ISO 7816 / GP status words the card answers (docs/modules/euicc.md lists them per command). */
enum {
    SW_OK = 0x9000,
    SW_WRONG_LENGTH = 0x6700,
    SW_SECURITY = 0x6982,
    SW_COND = 0x6985,        /* conditions of use not satisfied: wrong state, fall-back */
    SW_POL1 = 0x69E1,        /* refused by POL1 */
    SW_BAD_DATA = 0x6A80,
    SW_FUNC = 0x6A81,
    SW_FILE_NOT_FOUND = 0x6A82,
    SW_NO_MEMORY = 0x6A84,
    SW_BAD_P1P2 = 0x6A86,
    SW_NOT_FOUND = 0x6A88,
    SW_INS = 0x6D00,
    SW_CLA = 0x6E00,
    SW_MEMORY_FAILURE = 0x6581,
};

/* ISD-P life cycle states (GET STATUS 9F70). */
enum { EU_LCS_CREATED = 0x07, EU_LCS_DISABLED = 0x1F, EU_LCS_ENABLED = 0x3F };

/* Profile flags (GET STATUS tag 53: bit 0 fall-back is SGP.02's, bits 1-2 are OpenRSP's). */
enum { EU_PF_FALLBACK = 0x01, EU_PF_EMERGENCY = 0x02, EU_PF_TEST = 0x04, EU_PF_KEYS = 0x08, EU_PF_TOKEN = 0x10 };

/* POL1 bits ([G], SGP02.md). */
enum { EU_POL1_NO_DISABLE = 0x01, EU_POL1_NO_DELETE = 0x02, EU_POL1_DELETE_WHEN_DISABLED = 0x04 };

/* Notification types (E1 / 4D). */
enum { EU_NOTIF_ATTACH = 0x01, EU_NOTIF_SWITCH_OK = 0x02, EU_NOTIF_ROLLBACK = 0x03, EU_NOTIF_FALLBACK = 0x05 };

#define EU_TAR_ISDR 0x000001u
#define EU_TAR_ECASD 0x000002u
#define EU_MAX_PROFILES 8
#define EU_MAX_NOTIF 8
#define EU_MAX_KEYSETS 4
#define EU_OTA_KEYSETS 4
#define EU_DEFAULT_QUOTA 65536

typedef struct eu_scp80 {
    uint8_t kvn;
    uint8_t kic[16], kid[16];
    uint8_t cntr[5];            /* last counter accepted from the SM-SR */
} eu_scp80;

typedef struct eu_scp81 {
    uint8_t kvn;
    uint8_t psk[16];
} eu_scp81;

typedef struct eu_profile {
    uint32_t tar;               /* ISD-P AID = ...89 || TAR || 00 */
    uint8_t lcs;
    uint8_t flags;
    uint8_t pol1;
    char iccid[21];             /* "" while created */
    char msisdn[24];
    int64_t quota;              /* memory allocated by INSTALL */
    int64_t used;               /* package size once installed */
    uint32_t scp03_seq;         /* SCP03 sequence counter, persisted before INITIALIZE UPDATE answers */
    rsp_scp03_keys keys;        /* from Scenario#3 (EU_PF_KEYS) */
    uint8_t token[16];          /* master delete token key, KVN 70 (EU_PF_TOKEN) */
    uint8_t conn[64];           /* 3A07 connectivity parameters (A0 value) */
    uint8_t conn_len;
    /* ES6: the last SCP80 counter the profile's MNO-SD accepted, per key version (state v3) */
    uint8_t ota_n;
    uint8_t ota_kvn[EU_OTA_KEYSETS];
    uint8_t ota_cntr[EU_OTA_KEYSETS][5];
} eu_profile;

typedef struct eu_notif {
    uint16_t seq;
    uint8_t type;
    uint32_t tar;               /* profile the notification is about (the one enabled) */
    uint32_t from;              /* profile the switch disabled, 0 if none */
    uint16_t attempts;
    int64_t due;                /* next (re)send, Unix ms */
} eu_notif;

/* Durable state of one card (the blob in table card). ECASD secrets and packages live in their own
 * tables and are read only when a command needs them. */
typedef struct eu_state {
    eu_scp80 s80[EU_MAX_KEYSETS];
    uint8_t n80;
    eu_scp81 s81[EU_MAX_KEYSETS];
    uint8_t n81;
    uint8_t mo_cntr[5];         /* counter of the card's own MO packets (notifications) */
    char smsr_msisdn[24];
    uint8_t smsr_addr[96];      /* 3A07 A3 value on the ISD-R */
    uint8_t smsr_addr_len;
    int64_t memory;             /* NVM for profiles */
    uint16_t notif_seq;         /* last sequence number used */
    bool attached;              /* first attach (notification 01) done */
    uint32_t switch_from;       /* TAR enabled before the last switch, 0 if none pending */
    uint16_t switch_seq;        /* the 02 notification of that switch */
    uint32_t local_prev;        /* TAR enabled before a local (ESx) emergency/test enable */
    uint16_t conf_seq;          /* last confirmed sequence number and what its confirmation deleted */
    uint32_t conf_deleted[EU_MAX_PROFILES];
    uint8_t conf_n;
    uint8_t np, nn;
    eu_profile *p;              /* np entries, malloc'd (most cards hold one or two profiles) */
    eu_notif n[EU_MAX_NOTIF];
} eu_state;

/* Which application a local (ESx) APDU goes to. */
enum { EU_APP_ISDR = 0, EU_APP_ECASD = 1 };

/* Volatile state: secure channel sessions and partial data. Freed by a reset. */
typedef struct eu_vol {
    rsp_sms_reasm reasm;
    uint8_t selected;
    uint32_t perso_tar;         /* ISD-P named by INSTALL [for personalization] in this session */
    /* Scenario#3 in progress (ISD-R for an SM-SR change, or an ISD-P) */
    rsp_keyest_card ke;
    bool ke_active;
    uint32_t ke_tar;
    rsp_eckey *pk_ci, *sk_ecasd;
    /* SCP03 session with one ISD-P */
    rsp_scp03_session s03;
    uint32_t s03_tar;
    /* SCP03t download into one ISD-P */
    rsp_scp03t_card dl;
    uint8_t dl_aid[16];         /* the card params of dl borrow it */
    bool dl_active;
    uint32_t dl_tar;
    bool admin_open;
} eu_vol;

struct rsp_euicc {
    rsp_euicc_fleet *f;
    char eid[33];
    char msisdn[24];
    int64_t due;                /* earliest pending notification, 0 if none (mirrors st) */
    eu_state *st;               /* NULL until first use */
    eu_vol *vol;                /* NULL while idle */
};

typedef struct eu_db eu_db;

struct rsp_euicc_fleet {
    eu_db *db;
    rsp_euicc **cards;          /* sorted by EID */
    size_t n, cap;
    rsp_euicc **by_msisdn;      /* sorted by MSISDN; cards without one are left out */
    size_t n_msisdn;
    struct rsp_crl_file *crl;   /* <fleet folder>/ci.crl, consulted at key establishment (NULL in RAM) */
};

/* ---- nvm.c: the fleet database ---- */
rsp_err eu_db_open(const char *dir, bool create, eu_db **out, rsp_diag *diag);
void eu_db_close(eu_db *db);
/* Calls fn for every card row in EID order (index only: eid, msisdn, due). */
rsp_err eu_db_scan(eu_db *db, rsp_err (*fn)(void *ctx, const char *eid, const char *msisdn, int64_t due),
                   void *ctx);
rsp_err eu_db_load(eu_db *db, const char *eid, eu_state *st);
/* Writes the state (and the index columns) in one transaction, with the optional package write or
 * delete in the same transaction (pkg_tar 0: none; pkg NULL with pkg_tar set: delete). */
rsp_err eu_db_save(eu_db *db, const char *eid, const char *msisdn, int64_t due, const eu_state *st,
                   uint32_t pkg_tar, const uint8_t *pkg, size_t pkg_len, bool insert);
typedef struct eu_ecasd_row {
    uint8_t curve;
    uint8_t sk[32];
    rsp_buf cert, cert_eum, pk_ci;
} eu_ecasd_row;
rsp_err eu_db_ecasd_put(eu_db *db, const char *eid, const eu_ecasd_row *r);
/* Fills r (buffers owned by r; free with eu_ecasd_row_free). */
rsp_err eu_db_ecasd_get(eu_db *db, const char *eid, eu_ecasd_row *r);
void eu_ecasd_row_free(eu_ecasd_row *r);
rsp_err eu_db_admin_put(eu_db *db, const char *eid, const char *host, uint16_t port, const char *uri);
rsp_err eu_db_admin_get(eu_db *db, const char *eid, char host[256], uint16_t *port, char uri[256]);
rsp_err eu_db_pkg_get(eu_db *db, const char *eid, uint32_t tar, rsp_buf *out);
/* Begins / ends an explicit transaction around several saves (fleet_add of many cards, the fleet
 * daemon's group of one loop turn). Nested calls are savepoints: a save that fails inside a group
 * rolls back only itself. */
rsp_err eu_db_begin(eu_db *db);
rsp_err eu_db_commit(eu_db *db);
uint64_t eu_db_commits(const eu_db *db); /* transactions committed since open */

/* state blob (state.c) */
rsp_err eu_state_encode(const eu_state *st, rsp_buf *out);
rsp_err eu_state_decode(const uint8_t *p, size_t len, eu_state *st);
/* Frees st->p and wipes the keys; st is zeroed. */
void eu_state_free(eu_state *st);
/* Appends a zeroed profile (NULL when the array cannot grow). */
eu_profile *eu_profile_add(eu_state *st);

/* ---- card.c ---- */
/* Loads the durable state on first use. */
rsp_err eu_card_load(rsp_euicc *c);
eu_vol *eu_card_vol(rsp_euicc *c);
/* Drops the volatile state (sessions, partial downloads, reassembly). */
void eu_vol_free(rsp_euicc *c);
/* Frees the volatile state when nothing is in progress (called as each input returns). */
void eu_vol_release_idle(rsp_euicc *c);
/* Commits c->st (and the package change, see eu_db_save); on failure reloads the state. */
rsp_err eu_commit_pkg(rsp_euicc *c, uint32_t pkg_tar, const uint8_t *pkg, size_t len);
static inline rsp_err eu_commit(rsp_euicc *c) { return eu_commit_pkg(c, 0, NULL, 0); }
/* Re-reads the state from the database (after a refused command or a failed commit). */
void eu_card_reload(rsp_euicc *c);
eu_profile *eu_profile_by_tar(eu_state *st, uint32_t tar);
eu_profile *eu_profile_enabled(eu_state *st);
eu_profile *eu_profile_by_aid(eu_state *st, const uint8_t *aid, size_t len);
void eu_isdp_aid(uint32_t tar, uint8_t out[16]);
/* The MSISDN index follows the enabled profile. */
void eu_msisdn_update(rsp_euicc *c);
void eu_msisdn_set(rsp_euicc *c, const char *msisdn);
/* Appends a card to the index (EID order is the caller's business). */
rsp_err eu_index_add(rsp_euicc_fleet *f, const char *eid, const char *msisdn, int64_t due, rsp_euicc **out);

/* ---- dispatch (apdu.c): one plain C-APDU to an application ---- */
typedef struct eu_ctx {
    rsp_euicc *c;
    int64_t now;
    bool local;                 /* ESx (the device), not the SM-SR or SM-DP */
    uint32_t tar;               /* target application: ISD-R, ECASD or an ISD-P */
    rsp_euicc_out *out;
    rsp_err fatal;              /* stop and report (no answer may leave) */
    bool dirty;                 /* the state changed: commit before the answer leaves */
    uint32_t pkg_tar;           /* a package to store with that commit (0: none) */
    const uint8_t *pkg;         /* borrowed from the download buffer */
    size_t pkg_len;
} eu_ctx;
/* Commits what the context changed (nothing when clean). On failure the state is reloaded. */
rsp_err eu_ctx_commit(eu_ctx *x);
rsp_err eu_exec(eu_ctx *x, const uint8_t *capdu, size_t len, rsp_buf *rapdu);
/* Appends data || SW. */
rsp_err eu_answer(rsp_buf *rapdu, const uint8_t *data, size_t len, uint16_t sw);

/* isdr.c / isdp.c / ecasd.c */
rsp_err eu_isdr_exec(eu_ctx *x, const uint8_t *capdu, size_t len, rsp_buf *rapdu);
rsp_err eu_isdp_exec(eu_ctx *x, const uint8_t *capdu, size_t len, rsp_buf *rapdu);
rsp_err eu_ecasd_exec(eu_ctx *x, const uint8_t *capdu, size_t len, rsp_buf *rapdu);
/* Scenario#3 STORE DATA 3A01/3A02 for target tar (ISD-R: SM-SR change; ISD-P: ES8). */
rsp_err eu_keyest(eu_ctx *x, uint32_t tar, const uint8_t *capdu, size_t len, rsp_buf *rapdu);
/* SCP03t body for an ISD-P (admin session). */
rsp_err eu_isdp_scp03t(eu_ctx *x, uint32_t tar, const uint8_t *in, size_t len, rsp_buf *resp);

/* Drops the secure channel sessions and any partial download (reset, end of an admin session). */
void eu_vol_drop_sessions(eu_vol *v);

/* policy.c: the profile switching rules; each returns a status word and changes st only on 9000. */
uint16_t eu_pol_enable(eu_ctx *x, eu_profile *p);
uint16_t eu_pol_disable(eu_ctx *x, eu_profile *p);
uint16_t eu_pol_fallback_attr(eu_ctx *x, eu_profile *p);
uint16_t eu_pol_delete(eu_ctx *x, eu_profile *p, bool master);
void eu_profile_remove(eu_state *st, uint32_t tar);

/* notif.c */
rsp_err eu_notif_queue(rsp_euicc *c, uint8_t type, uint32_t tar, uint32_t from, int64_t now);
void eu_notif_recompute_due(rsp_euicc *c);
rsp_err eu_notif_build_e1(const rsp_euicc *c, const eu_notif *n, rsp_buf *out);
/* Wraps secured data for the SM-SR as MO SMS (SCP80 command packet from the ISD-R). */
rsp_err eu_mo_send(rsp_euicc *c, const uint8_t *data, size_t len, int64_t now, rsp_euicc_out *out);
/* Splits a secured packet (iei 70 command, 71 PoR) into SMS-SUBMIT TPDUs to `to`, appended to out. */
rsp_err eu_sms_submit(rsp_euicc *c, const char *to, const uint8_t *pkt, size_t len, uint8_t iei,
                      rsp_euicc_out *out);
rsp_err eu_out_sms(rsp_euicc_out *out, const char *to, const uint8_t *tpdu, size_t len);

#endif
