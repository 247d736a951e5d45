/* `rsp demo --smsr-change`: after the switch to MNO-B, the fleet moves from SM-SR1 to a second SM-SR
 * (docs/modules/smsr_change.md): SM-SR2 starts (its own store, certificate SMSR-2, MSISDN, KVN 2, the
 * same SMSC), and MNO-B, the Operator of the enabled profiles, runs `rsp op smsr-change` on the cards
 * whose switch completed. ES7 goes between the two daemons; the card is reached through SM-SR1 for the
 * key establishment and through SM-SR2 for the rest. Counted from the Operator's answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct up {
    const char *log_needle;
    demo_child *c;
} up;

static bool running(void *arg)
{
    const up *u = arg;
    return demo_proc_log_has(u->c, u->log_needle);
}

static rsp_err start_smsr2(demo_ctx *x)
{
    char smsc[32], listen[32], db[600], cert[600], key[600], ca[600], mk[600], cb[64];
    snprintf(smsc, sizeof(smsc), "127.0.0.1:%u", x->smsc_port);
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", x->smsr2_port);
    snprintf(db, sizeof(db), "sqlite:%s/smsr2.db", x->dir);
    snprintf(cert, sizeof(cert), "%s/id/smsr2/tls.crt.pem", x->dir);
    snprintf(key, sizeof(key), "%s/id/smsr2/key.pem", x->dir);
    snprintf(ca, sizeof(ca), "%s/id/smsr2/ca.crt.pem", x->dir);
    snprintf(mk, sizeof(mk), "%s/smsr.master-key", x->dir);
    snprintf(cb, sizeof(cb), "SMSR-1=https://127.0.0.1:%u", x->smsr_port);
    const char *a[] = {"smsr", "run", "--db", db, "--smsc", smsc, "--msisdn", DEMO_SMSR2_MSISDN, "--system-id", "smsr2",
                       "--worker", "sr2", "--kvn", "2", "--tick-ms", "50", "--por-wait", "5", "--master-key", mk,
                       "--listen", listen, "--tls-cert", cert, "--tls-key", key, "--tls-ca", ca, "--callbacks", cb, NULL};
    rsp_err e = demo_proc_start(&x->procs, "smsr2", a, &x->smsr2, &x->diag);
    up u = {"running", x->smsr2};
    return e ? e : demo_proc_wait_ready(&x->procs, x->smsr2, running, &u, 60000, &x->diag);
}

rsp_err demo_phase_smsr_change(demo_ctx *x)
{
    demo_phase *ph = &x->sum.ph[DEMO_PH_SMSR_CHANGE];
    double t = now_s();
    char eids[600], out[600], from[64], to[64], cert[600], key[600], ca[600];
    rsp_err e = start_smsr2(x);
    if (e != RSP_OK)
        return e;
    ph->run = true;
    /* the cards whose switch completed: MNO-B's profile enabled, so MNO-B may move them */
    snprintf(eids, sizeof(eids), "%s/smsr-change.eids", x->dir);
    FILE *f = fopen(eids, "w");
    if (!f)
        return rsp_diag_set(&x->diag, RSP_ERR_IO, "cannot write %s", eids);
    size_t n = 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->cards[i].enabled && fprintf(f, "%s\n", x->cards[i].eid) > 0)
            n++;
    if (fclose(f) != 0 || !n) {
        snprintf(ph->why, sizeof(ph->why), "no card with MNO-B's profile enabled to move");
        ph->seconds = now_s() - t;
        return RSP_OK;
    }
    snprintf(out, sizeof(out), "%s/smsr-change.json", x->dir);
    snprintf(from, sizeof(from), "https://127.0.0.1:%u", x->smsr_port);
    snprintf(to, sizeof(to), "https://127.0.0.1:%u", x->smsr2_port);
    snprintf(cert, sizeof(cert), "%s/id/mno-b/tls.crt.pem", x->dir);
    snprintf(key, sizeof(key), "%s/id/mno-b/key.pem", x->dir);
    snprintf(ca, sizeof(ca), "%s/id/mno-b/ca.crt.pem", x->dir);
    char timeout[16];
    snprintf(timeout, sizeof(timeout), "%zu", 120 + n);
    const char *a[] = {"op",       "smsr-change", "--eids",   eids, "--from",    from, "--from-id", "SMSR-1",
                       "--to",     to,            "--to-id",  "SMSR-2", "--tls-cert", cert, "--tls-key", key,
                       "--tls-ca", ca,            "--timeout", timeout, "--json",  NULL};
    fprintf(stderr, "smsr-change: moving %zu cards from SM-SR1 to SM-SR2 (progress in %s/logs/smsr-change.log)\n", n,
            x->dir);
    int rc = -1;
    e = demo_proc_run(&x->procs, "smsr-change", a, out, &rc, &x->diag);
    ph->seconds = now_s() - t;
    if (e != RSP_OK)
        return e;
    json_t *j = json_load_file(out, 0, NULL);
    json_t *res = json_object_get(j, "results");
    for (size_t i = 0; i < json_array_size(res); i++) {
        json_t *r = json_array_get(res, i);
        const char *st = json_string_value(json_object_get(r, "status"));
        if (st && !strcmp(st, "done")) {
            ph->ok++;
            x->sum.moved++;
        } else {
            demo_report_fail(&x->sum, DEMO_PH_SMSR_CHANGE, json_string_value(json_object_get(r, "eid")),
                             json_string_value(json_object_get(r, "message")) ? json_string_value(json_object_get(r, "message"))
                                                                             : "not moved");
        }
    }
    if (!j || json_array_size(res) != n)
        demo_report_fail(&x->sum, DEMO_PH_SMSR_CHANGE, NULL, "rsp op smsr-change gave no result for every card");
    json_decref(j);
    return RSP_OK;
}
