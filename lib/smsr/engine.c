/* The SM-SR engine: functions become durable operations (after authorisation, POL2 and fall-back
 * checks), and the durable step cursor that lets any worker resume them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smsr_int.h"

void rsp_smsr_config_default(rsp_smsr_config *c)
{
    memset(c, 0, sizeof(*c));
    c->worker_id = "smsr";
    c->kvn = 1;
    c->spi[0] = 0x16; /* CC, ciphered, counter higher: reservations lost to a crash leave gaps */
    c->spi[1] = 0x39; /* PoR required, by SMS-SUBMIT, ciphered, with a CC */
    c->tar = 0x000001;
    c->por_wait = 30;
    c->por_wait_max = 600;
    c->notif_wait = 60;
    c->admin_wait = 90;
}

rsp_err rsp_smsr_new(rsp_store *store, const rsp_smsr_config *cfg, rsp_smsr **out)
{
    if (!store || !cfg || !out || cfg->por_wait <= 0 || cfg->notif_wait <= 0 ||
        (cfg->master_key && cfg->master_key_len != 16 && cfg->master_key_len != 32))
        return RSP_ERR_INVAL;
    rsp_smsr *e = calloc(1, sizeof(*e));
    if (!e)
        return RSP_ERR_NOMEM;
    e->st = store;
    e->cfg = *cfg;
    snprintf(e->worker, sizeof(e->worker), "%s", cfg->worker_id ? cfg->worker_id : "smsr");
    e->cfg.worker_id = e->worker;
    if (e->cfg.por_wait_max < e->cfg.por_wait)
        e->cfg.por_wait_max = e->cfg.por_wait;
    if (!e->cfg.psk_kvn)
        e->cfg.psk_kvn = RSP_SMSR_PSK_KVN(e->cfg.kvn);
    rsp_err err = smsr_keys_init(e);
    if (err != RSP_OK) {
        rsp_smsr_free(e);
        return err;
    }
    *out = e;
    return RSP_OK;
}

void rsp_smsr_free(rsp_smsr *e)
{
    if (!e)
        return;
    rsp_wipe(e->kenc, sizeof(e->kenc));
    rsp_wipe(e->kmac, sizeof(e->kmac));
    free(e->leases);
    free(e);
}

rsp_err smsr_target_encode(const char *iccid, const char *aid_hex, rsp_buf *out)
{
    char s[96];
    int n = snprintf(s, sizeof(s), "iccid=%s;aid=%s", iccid, aid_hex);
    if (n < 0 || (size_t)n >= sizeof(s))
        return RSP_ERR_LENGTH;
    return rsp_buf_set(out, s, (size_t)n);
}

rsp_err smsr_target_decode(const rsp_buf *script, smsr_target *t)
{
    memset(t, 0, sizeof(*t));
    char s[96], aid[40];
    if (script->len == 0 || script->len >= sizeof(s))
        return RSP_ERR_FORMAT;
    memcpy(s, script->data, script->len);
    s[script->len] = 0;
    if (sscanf(s, "iccid=%20[0-9A-Fa-f];aid=%32[0-9A-Fa-f]", t->iccid, aid) != 2)
        return RSP_ERR_FORMAT;
    t->aid_len = strlen(aid) / 2;
    return rsp_hex_decode_fixed(aid, t->aid, t->aid_len, NULL);
}

rsp_err smsr_audit(rsp_smsr *e, const char *eid, const char *iccid, int64_t op_id, const char *event,
                   const char *detail, int64_t now)
{
    rsp_store_audit a;
    memset(&a, 0, sizeof(a));
    a.ts = now;
    snprintf(a.actor, sizeof(a.actor), "%s", e->worker);
    snprintf(a.eid, sizeof(a.eid), "%s", eid ? eid : "");
    snprintf(a.iccid, sizeof(a.iccid), "%s", iccid ? iccid : "");
    a.op_id = op_id;
    snprintf(a.event, sizeof(a.event), "%s", event);
    snprintf(a.detail, sizeof(a.detail), "%s", detail ? detail : "");
    int64_t id;
    return rsp_store_audit_append(e->st, &a, &id);
}

rsp_err smsr_cursor_put(rsp_smsr *e, const char *eid, int64_t op_id, rsp_smsr_step step,
                        uint64_t counter, int64_t generation, int64_t now)
{
    char d[96];
    snprintf(d, sizeof(d), "step=%d cntr=%" PRIu64 " gen=%" PRId64 " %s", (int)step, counter, generation,
             rsp_smsr_step_name(step));
    return smsr_audit(e, eid, NULL, op_id, "smsr.step", d, now);
}

/* Walks the audit trail of eid newest first, calling fn on each step entry until it returns true.
 * Each look-up below wants the LAST matching step (the cursor), i.e. the first one met going back,
 * so the walk stops at its answer instead of reading the card's whole history (it did, oldest
 * first, on every PoR). stop_op: the walk also ends at that operation's "smsr.queued" entry, as
 * nothing older can be one of its steps. */
typedef bool (*step_fn)(void *arg, const rsp_store_audit *a, const smsr_cursor *c);

typedef struct walk {
    step_fn fn;
    void *arg;
    int64_t stop_op;
} walk;

static bool walk_one(void *arg, const rsp_store_audit *a)
{
    walk *w = arg;
    if (strcmp(a->event, "smsr.step") != 0)
        return w->stop_op && a->op_id == w->stop_op && strcmp(a->event, "smsr.queued") == 0;
    smsr_cursor c = {.found = true};
    int step = 0;
    if (sscanf(a->detail, "step=%d cntr=%" SCNu64 " gen=%" SCNd64, &step, &c.counter, &c.generation) != 3 ||
        step < 0 || step >= RSP_SMSR_STEP__COUNT)
        return false;
    c.step = (rsp_smsr_step)step;
    return w->fn(w->arg, a, &c);
}

static rsp_err walk_steps(rsp_smsr *e, const char *eid, int64_t stop_op, step_fn fn, void *arg)
{
    walk w = {fn, arg, stop_op};
    return rsp_store_audit_walk_back(e->st, eid, walk_one, &w);
}

typedef struct by_op {
    int64_t op_id;
    smsr_cursor *c;
} by_op;

static bool take_op(void *arg, const rsp_store_audit *a, const smsr_cursor *c)
{
    by_op *b = arg;
    if (a->op_id != b->op_id)
        return false;
    *b->c = *c; /* the latest entry is the cursor */
    return true;
}

rsp_err smsr_cursor_get(rsp_smsr *e, const char *eid, int64_t op_id, smsr_cursor *c)
{
    memset(c, 0, sizeof(*c));
    by_op b = {op_id, c};
    return walk_steps(e, eid, op_id, take_op, &b);
}

typedef struct by_cntr {
    uint64_t counter;
    int64_t op_id, gen;
} by_cntr;

/* A card's counters only grow, and its packets are sent (and their WAIT_POR steps recorded) in
 * counter order, one operation in flight at a time: going back, once a WAIT_POR step with a lower
 * counter is met, no older entry can hold this one. The walk stops there (b->op_id stays 0: not
 * found). Without the stop, every PoR of a packet that has no step (the 3A08 confirmation of a
 * notification: one per enable) read the card's whole history (perf: 8.8% of the SM-SR's CPU).
 * Counter 0 is a script sent over HTTPS, which has no counter: no bound. */
static bool take_cntr(void *arg, const rsp_store_audit *a, const smsr_cursor *c)
{
    by_cntr *b = arg;
    if (c->step != RSP_SMSR_STEP_WAIT_POR)
        return false;
    if (c->counter != b->counter)
        return c->counter != 0 && c->counter < b->counter;
    b->op_id = a->op_id;
    b->gen = c->generation;
    return true;
}

rsp_err smsr_cursor_find_counter(rsp_smsr *e, const char *eid, uint64_t counter, int64_t *op_id,
                                 int64_t *generation)
{
    by_cntr b = {counter, 0, 0};
    rsp_err err = walk_steps(e, eid, 0, take_cntr, &b);
    if (err != RSP_OK)
        return err;
    if (b.op_id == 0)
        return RSP_ERR_NOT_FOUND;
    *op_id = b.op_id;
    *generation = b.gen;
    return RSP_OK;
}

/* The first non-terminal step met going back is also its operation's newest step while that
 * operation is live (a terminal step would come with a terminal state), so the caller that checks
 * the state needs no second walk for the cursor. */
static bool take_latest(void *arg, const rsp_store_audit *a, const smsr_cursor *c)
{
    if (c->step > RSP_SMSR_STEP_WAIT_NOTIF) /* refusals and settled ops leave terminal steps */
        return false;
    by_op *b = arg;
    b->op_id = a->op_id;
    *b->c = *c;
    return true;
}

rsp_err smsr_cursor_latest_op(rsp_smsr *e, const char *eid, int64_t *op_id, smsr_cursor *c)
{
    smsr_cursor tmp;
    by_op b = {0, c ? c : &tmp};
    memset(b.c, 0, sizeof(*b.c));
    rsp_err err = walk_steps(e, eid, 0, take_latest, &b);
    *op_id = b.op_id;
    return err != RSP_OK ? err : *op_id ? RSP_OK : RSP_ERR_NOT_FOUND;
}

rsp_err smsr_result_encode(const char *status, const char *subject, const char *reason, const char *msg,
                           rsp_buf *out)
{
    char s[200];
    int n = snprintf(s, sizeof(s), "%s|%s|%s|%s", status, subject ? subject : "", reason ? reason : "",
                     msg ? msg : "");
    if (n < 0)
        return RSP_ERR_INTERNAL;
    return rsp_buf_set(out, s, (size_t)n < sizeof(s) ? (size_t)n : sizeof(s) - 1);
}

/* Truncating copy (fields of a stored result are ours, bounded when written). */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

void smsr_result_fill(const rsp_store_op *op, rsp_smsr_result *res)
{
    res->op_id = op->id;
    res->state = op->state;
    if (op->state == RSP_STORE_OP_EXPIRED) {
        snprintf(res->status, sizeof(res->status), "Expired");
        snprintf(res->subject, sizeof(res->subject), "1.6");
        snprintf(res->reason, sizeof(res->reason), "5.3");
        snprintf(res->message, sizeof(res->message), "validity period ended");
        return;
    }
    if (op->state != RSP_STORE_OP_DONE && op->state != RSP_STORE_OP_FAILED)
        return;
    char s[200];
    size_t n = op->result.len < sizeof(s) - 1 ? op->result.len : sizeof(s) - 1;
    if (n)
        memcpy(s, op->result.data, n);
    s[n] = 0;
    char *f[4] = {s, NULL, NULL, NULL};
    for (int i = 1; i < 4 && f[i - 1]; i++) {
        char *bar = strchr(f[i - 1], '|');
        if (bar) {
            *bar = 0;
            f[i] = bar + 1;
        }
    }
    copy_str(res->status, sizeof(res->status),
             f[0][0] ? f[0] : op->state == RSP_STORE_OP_DONE ? "Executed-Success" : "Failed");
    copy_str(res->subject, sizeof(res->subject), f[1] ? f[1] : "");
    copy_str(res->reason, sizeof(res->reason), f[2] ? f[2] : "");
    copy_str(res->message, sizeof(res->message), f[3] ? f[3] : "");
}

rsp_err rsp_smsr_result_get(rsp_smsr *e, int64_t op_id, rsp_smsr_result *res)
{
    memset(res, 0, sizeof(*res));
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    rsp_err err = rsp_store_op_get(e->st, op_id, &op);
    if (err == RSP_OK)
        smsr_result_fill(&op, res);
    rsp_store_op_clear(&op);
    return err;
}

rsp_err smsr_finish(rsp_smsr *e, const rsp_store_op *op, const rsp_store_fence *fence,
                    rsp_store_op_state from, rsp_smsr_step to, const char *subject, const char *reason,
                    const char *msg, int64_t now)
{
    rsp_buf r = RSP_BUF_INIT;
    rsp_err err = smsr_result_encode(to == RSP_SMSR_STEP_DONE ? "Executed-Success" : "Failed", subject, reason,
                                     msg, &r);
    rsp_bytes rb = rsp_buf_view(&r);
    rsp_store_op_change chg = {.now = now, .result = &rb};
    if (err == RSP_OK)
        err = rsp_store_op_transition(e->st, op->id, fence, from, rsp_smsr_step_store_state(to), &chg);
    rsp_buf_free(&r);
    if (err == RSP_OK)
        err = smsr_cursor_put(e, op->eid, op->id, to, 0, fence ? fence->generation : op->generation, now);
    if (err == RSP_OK && e->cfg.on_settled) /* committed: this worker settled it */
        e->cfg.on_settled(e->cfg.settled_arg, op->function, rsp_smsr_step_store_state(to),
                          now > op->created ? now - op->created : 0);
    return err;
}
