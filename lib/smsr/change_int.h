/* Internal to the SM-SR change: the state shared by its ES handlers (es7_api.c, main thread) and its
 * driver (change_drv.c, own thread, own store connection). Only the fields marked "driver" are
 * touched by the thread after start; the rest is read-only once made. */
#ifndef RSP_SMSR_CHANGE_INT_H
#define RSP_SMSR_CHANGE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "rsp/es_endpoint.h"
#include "rsp/svc_client.h"
#include "smsr_change.h"
#include "smsr_outbox.h"

typedef struct chg_peer {
    char id[RSP_STORE_ID_LEN];
    rsp_svc_client *c; /* made on the main thread (libxml2's first use is not thread-safe); driver */
} chg_peer;

struct smsr_chg_es {
    rsp_smsr *e;              /* the daemon's engine: handlers only */
    char m2msp[512], smdp[512];
    rsp_es_handler *h;        /* merged handler table (owned) */
    smsr_callbacks cb;        /* ID=URL of peers and Operators */
    rsp_buf gpcert;           /* CERT.SR.ECDSA (empty: cannot be the receiver) */
    rsp_eckey *sk;            /* SK.SR.ECDSA = the TLS key */
    char eis_dir[512], msisdn[24], db[1024];
    chg_peer *peers;
    size_t np;
    pthread_t th;
    bool started;
    atomic_bool stop;
    /* the handlers' hint that a procedure started here (main thread -> driver): the driver reads the
     * audit trail for new cards while this is in the future (Unix ms), else every CHG_SCAN_MS */
    atomic_llong scan_until;
};
#define CHG_SCAN_MS 5000 /* another worker's handlers on the same store are seen within this */
void chg_kick(smsr_chg_es *x);

/* The status every ES7 / SMSRChange answer gives while the procedure goes on: Executed-WithWarning,
 * StatusCodeData 1.6 / 3.7 "in progress" (the caller asks again; docs/modules/smsr_change.md). */
#define CHG_PENDING_SUBJECT "1.6"
#define CHG_PENDING_REASON "3.7"

/* The ISD-R key sets of the EIS handed over: the sender's SCP80 / SCP81 KVNs (0: none). */
struct rsp_es_eis;
void chg_eis_kvns(const struct rsp_es_eis *eis, uint8_t *kvn80, uint8_t *kvn81);
/* The first certificate of the ECASD's key sets (CERT.ECASD), or NULL. */
const rsp_buf *chg_ecasd_cert(const struct rsp_es_eis *eis);
/* The key set row that keeps a received card's CERT.ECASD until its receipt is checked (not secret). */
#define CHG_ECASD_KVN 0x7D

/* change_drv.c */
rsp_err chg_drv_start(smsr_chg_es *x);
void chg_drv_stop(smsr_chg_es *x);

#endif
