/* The SM-SR daemon's monitoring figures beyond its own counters (lib/smsr/metrics.c,
 * docs/modules/metrics.md "SM-SR and SM-DP families"):
 *   rsp_smsr_operation_oldest_seconds{state}  age of the oldest queued / sent / awaiting operation in
 *                                             the store (every worker's), read at each scrape;
 *   rsp_smsr_por_seconds                      histogram: an SMS command packet sent by this worker to
 *                                             its PoR received by this worker.
 * Held by value in the daemon (no allocation, nothing to free); every function takes NULL members
 * as "no /metrics" and does nothing. Single-threaded: the daemon's loop. */
#ifndef SMSR_METRICS_H
#define SMSR_METRICS_H

#include <stdint.h>

#include "rsp/metrics.h"
#include "rsp/store.h"

#define SMSR_METRICS_SLOTS 512 /* cards with a packet awaiting its PoR, tracked at once */

typedef struct smsr_metrics {
    rsp_store *st;       /* borrowed */
    rsp_metric *oldest;  /* owned by the registry */
    rsp_metric *por;
    struct {
        char eid[33];
        int64_t sent_ms; /* 0: free slot */
    } slot[SMSR_METRICS_SLOTS];
} smsr_metrics;

/* Registers the two families on m and a collect hook reading st; x must outlive m's renders. */
rsp_err smsr_metrics_register(smsr_metrics *x, rsp_metrics *m, rsp_store *st);
/* A command packet to eid left (its last SMS) at now_ms. A resend restarts the clock. */
void smsr_metrics_sent(smsr_metrics *x, const char *eid, int64_t now_ms);
/* A PoR from eid arrived at now_ms: observed once against the last packet sent to eid; a PoR with
 * no packet of this worker waiting (another worker sent it, or the slot was reused) is not. */
void smsr_metrics_por(smsr_metrics *x, const char *eid, int64_t now_ms);

#endif
