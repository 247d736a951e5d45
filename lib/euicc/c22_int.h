/* Internals of the consumer (SGP.22) card: the card object shared by es10_card.c (session up to
 * PrepareDownload), c22_bpp.c (LoadBoundProfilePackage), c22_mgmt.c (profiles, notifications,
 * addresses) and c22_slot.c (the entry point), and its non-volatile memory (c22_store.c). */
#ifndef RSP_C22_INT_H
#define RSP_C22_INT_H

#include "rsp/bsp.h"
#include "rsp/es10.h"
#include "rsp/pki22.h"

/* ---- c22_store.c: the card's NVM, one SQLite file per card folder (dir/card.db) or in memory ---- */

typedef struct c22_store c22_store;

#define C22_MAX_PROFILES 8            /* ISD-Ps a card holds (insufficientMemory beyond) */
#define C22_NVM_BYTES (1024 * 1024)   /* profile packages in all (EUICCInfo2 says 1 MiB free) */
#define C22_MAX_NOTIFS 32             /* pending notifications; the oldest gives way */

/* dir NULL: in memory (unit tests, fuzzing). */
rsp_err c22_store_open(const char *dir, c22_store **out, rsp_diag *diag);
void c22_store_close(c22_store *s);
/* One transaction per state-changing command: begin, changes, commit (or rollback). */
rsp_err c22_begin(c22_store *s);
rsp_err c22_commit(c22_store *s);
void c22_rollback(c22_store *s);
/* Forgets every profile, notification and setting (a factory-new card: fuzzing). */
rsp_err c22_store_clear(c22_store *s);

typedef struct c22_profile {
    uint8_t iccid[10];              /* EF.ICCID coding, as in 5A */
    uint8_t aid[16];
    int state;                      /* 0 disabled, 1 enabled */
    int pclass;                     /* RSP_ES10_CLASS_* */
    unsigned ppr;                   /* RSP_ES10_PPR* */
    rsp_buf nickname;               /* UTF-8, <= 64 */
    rsp_buf meta;                   /* the StoreMetadata BF25 as installed */
    rsp_buf dp_oid;                 /* OID content of the SM-DP+ that installed it */
    size_t pkg_len;
} c22_profile;

/* All profiles in installation order; *out malloc'd, c22_profiles_free. */
rsp_err c22_profiles(c22_store *s, c22_profile **out, size_t *n);
void c22_profiles_free(c22_profile *p, size_t n);
/* Inserts (with the package) or, pkg NULL, updates state and nickname. */
rsp_err c22_profile_put(c22_store *s, const c22_profile *p, const uint8_t *pkg, size_t pkg_len);
rsp_err c22_profile_del(c22_store *s, const uint8_t iccid[10]);

typedef struct c22_notif {
    uint32_t seq;
    unsigned event;                 /* one RSP_ES10_EVENT_* bit */
    rsp_buf address, der;           /* der: the PendingNotification (BF37 or 30) */
    bool has_iccid;
    uint8_t iccid[10];
} c22_notif;

rsp_err c22_notifs(c22_store *s, c22_notif **out, size_t *n);
void c22_notifs_free(c22_notif *p, size_t n);
rsp_err c22_notif_add(c22_store *s, const c22_notif *n);
rsp_err c22_notif_del(c22_store *s, uint32_t seq, bool *found);
/* The next seqNumber (1, 2, ...), counted in the open transaction. */
rsp_err c22_next_seq(c22_store *s, uint32_t *seq);

/* Small settings: "default_dp", "root_ds", "next_aid". found false when unset. */
rsp_err c22_cfg_get(c22_store *s, const char *key, rsp_buf *out, bool *found);
rsp_err c22_cfg_set(c22_store *s, const char *key, const uint8_t *v, size_t len);
rsp_err c22_cfg_del(c22_store *s, const char *key);

/* ---- the card ---- */

typedef struct c22_bpp c22_bpp;

struct rsp_es10_card {
    uint8_t eid[16], svn[3];
    rsp_eckey *sk;
    rsp_buf cert_euicc, cert_eum, ci[RSP_ES10_MAX_CI];
    rsp_pki22_info ci_info[RSP_ES10_MAX_CI];
    size_t n_ci;
    uint8_t eum_aki[20];
    size_t eum_aki_len;
    time_t now;
    c22_store *store;
    /* The CRL held for each CI, parsed once per load (c22_revoked) and replaced by LoadCRL; NULL with
     * crl_read set: none held. */
    struct rsp_crl *crl[RSP_ES10_MAX_CI];
    bool crl_read[RSP_ES10_MAX_CI];
    /* volatile session */
    bool has_challenge, authenticated, prepared;
    bool cancel_only;               /* a failed BPP ended the session: only CancelSession of its tid */
    uint8_t challenge[RSP_ES10_CHALLENGE_LEN];
    uint8_t tid[RSP_ES10_MAX_TID];
    size_t tid_len, ci_index;
    char dp_oid[64];
    uint8_t dp_oid_der[32];
    size_t dp_oid_der_len;
    char server_address[256];       /* serverSigned1's: where the PIR goes */
    uint8_t euicc_sig1[RSP_ES10_SIG_LEN], smdp_sig2[RSP_ES10_SIG_LEN], pk_dppb[RSP_EC_POINT_LEN];
    rsp_curve dppb_curve;
    rsp_eckey *otsk;
    c22_bpp *bpp;                   /* a BoundProfilePackage being loaded */
};

/* es10_load.c: a card folder into a card whose NVM is nvm_dir/card.db (NULL: in memory). */
rsp_err c22_card_load(const char *dir, time_t now, const char *nvm_dir, rsp_es10_card **out, rsp_diag *diag);

/* c22_bpp.c. Whether req is a piece of LoadBoundProfilePackage (BF36 start, or A0..A3 / 86 / 88 while
 * one is loading); then handles it (answer appended to resp: nothing, or the signed BF37). */
bool c22_bpp_is_piece(const rsp_es10_card *c, const uint8_t *req, size_t len);
rsp_err c22_bpp_handle(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp);
/* A BPP being loaded is abandoned (another command came): its PIR with interruption(11) is stored
 * when store_pir, and everything loaded is wiped. */
rsp_err c22_bpp_abort(rsp_es10_card *c, bool store_pir);
void c22_bpp_free(c22_bpp *b);
/* Opens one BPP member TLV (exactly p..len, tag 86/87/88) with bsp, appending the plaintext to out: 0,
 * an ErrorReason (7 structure, 8 C-MAC), or -1 (memory). A member whose value is itself one whole TLV
 * of the same tag (VECTORS §D's older BPP) is tried as such when the member does not verify as it is. */
int c22_bpp_open_segment(rsp_bsp *bsp, uint8_t tag, const uint8_t *p, size_t len, rsp_buf *out);

/* c22_mgmt.c: the ES10a/c functions and notifications. RSP_ERR_UNSUPPORTED for another tag. */
rsp_err c22_mgmt_handle(rsp_es10_card *c, uint32_t tag, const uint8_t *req, size_t len, rsp_buf *resp);
/* Whether cert's serial is on the CRL the card holds for CI k (loaded by LoadCRL, signature checked
 * then; freshness is not checked again at use [G]). */
bool c22_revoked(rsp_es10_card *c, size_t k, rsp_bytes cert);
void c22_crl_forget(rsp_es10_card *c);
/* Queues a signed OtherSignedNotification for event on profile p to every address of its metadata that
 * asks for it (inside the caller's transaction). */
rsp_err c22_notify(rsp_es10_card *c, const c22_profile *p, unsigned event);
/* Stores a PendingNotification (inside the caller's transaction); the oldest gives way beyond
 * C22_MAX_NOTIFS. */
rsp_err c22_notif_store(rsp_es10_card *c, uint32_t seq, unsigned event, const char *address, const uint8_t *iccid,
                        const uint8_t *der, size_t der_len);

#endif
