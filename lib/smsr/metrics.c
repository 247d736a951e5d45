/* SM-SR monitoring: the age of the oldest live operation per state and the PoR latency histogram
 * (smsr_metrics.h). Why these two: the state counts (rsp_smsr_operations) show how much work waits
 * but not whether it moves, and the submit-to-settle histogram mixes the card's answer time with
 * queueing and retries; an operator pages on a stuck queue and on slow cards separately.
 *
 * The PoR clock is a small fixed table keyed by EID (at most one operation per card is in flight,
 * so one entry per card): a bounded probe window, whose oldest entry is replaced when it is full, so
 * memory never grows with the fleet and a card that never answers costs one slot until reused. */
#include <string.h>
#include <time.h>

#include "rsp/store_stats.h"
#include "smsr_metrics.h"

#define PROBE 8

static size_t hash_eid(const char *eid)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *eid; eid++)
        h = (h ^ (uint8_t)*eid) * 16777619u;
    return h % SMSR_METRICS_SLOTS;
}

static void collect(void *arg, rsp_metrics *m)
{
    (void)m;
    smsr_metrics *x = arg;
    int64_t now = (int64_t)time(NULL);
    for (int st = RSP_STORE_OP_QUEUED; st <= RSP_STORE_OP_AWAITING; st++) {
        int64_t created = 0;
        const char *v[1] = {rsp_store_op_state_name((rsp_store_op_state)st)};
        if (rsp_store_op_oldest(x->st, (rsp_store_op_state)st, &created) != RSP_OK)
            continue; /* a failed read leaves the last figure rather than a false 0 */
        rsp_metric_set(x->oldest, v, created > 0 && now > created ? (double)(now - created) : 0);
    }
}

rsp_err smsr_metrics_register(smsr_metrics *x, rsp_metrics *m, rsp_store *st)
{
    if (!x || !m || !st)
        return RSP_ERR_INVAL;
    memset(x, 0, sizeof *x);
    x->st = st;
    static const char *const state[] = {"state"};
    /* an SMS PoR takes the SMSC twice and the card once: tens of ms on a lab, seconds on a network */
    static const double b[] = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300};
    rsp_err e = rsp_metrics_add(m, RSP_METRIC_GAUGE, "rsp_smsr_operation_oldest_seconds",
                                "age of the oldest operation in the store in this state (0: none)", state, 1, NULL,
                                0, &x->oldest);
    e = e ? e
          : rsp_metrics_add(m, RSP_METRIC_HISTOGRAM, "rsp_smsr_por_seconds",
                            "SMS command packet sent by this worker to its PoR received by this worker", NULL, 0, b,
                            sizeof b / sizeof b[0], &x->por);
    if (e == RSP_OK) {
        /* the three states are exposed from the start, at 0, so an alert on them has a series */
        for (int s = RSP_STORE_OP_QUEUED; s <= RSP_STORE_OP_AWAITING; s++) {
            const char *v[1] = {rsp_store_op_state_name((rsp_store_op_state)s)};
            e = e ? e : rsp_metric_set(x->oldest, v, 0);
        }
    }
    return e ? e : rsp_metrics_on_collect(m, collect, x);
}

void smsr_metrics_sent(smsr_metrics *x, const char *eid, int64_t now_ms)
{
    if (!x || !x->por || !eid || !*eid || strlen(eid) >= sizeof x->slot[0].eid || now_ms <= 0)
        return;
    size_t h = hash_eid(eid), pick = h;
    int64_t oldest = INT64_MAX;
    for (size_t i = 0; i < PROBE; i++) {
        size_t k = (h + i) % SMSR_METRICS_SLOTS;
        if (x->slot[k].sent_ms && !strcmp(x->slot[k].eid, eid)) {
            pick = k; /* a resend: the clock restarts */
            break;
        }
        if (x->slot[k].sent_ms < oldest) { /* a free slot (0) wins, else the longest waiting */
            oldest = x->slot[k].sent_ms;
            pick = k;
        }
    }
    strcpy(x->slot[pick].eid, eid);
    x->slot[pick].sent_ms = now_ms;
}

void smsr_metrics_por(smsr_metrics *x, const char *eid, int64_t now_ms)
{
    if (!x || !x->por || !eid)
        return;
    size_t h = hash_eid(eid);
    /* the whole window is searched (slots are freed without tombstones) */
    for (size_t i = 0; i < PROBE; i++) {
        size_t k = (h + i) % SMSR_METRICS_SLOTS;
        if (x->slot[k].sent_ms && !strcmp(x->slot[k].eid, eid)) {
            int64_t d = now_ms - x->slot[k].sent_ms;
            rsp_metric_observe(x->por, NULL, d > 0 ? (double)d / 1000.0 : 0);
            x->slot[k].sent_ms = 0;
            x->slot[k].eid[0] = 0;
            return;
        }
    }
}
