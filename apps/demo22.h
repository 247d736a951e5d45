/* `rsp demo sgp22`: the consumer story of issue 14 with every role a real process (docs/DEMO.md).
 *   demo22_run.c   options, the phases, the report
 *   demo22_es2.c   the operator's ES2+ client (mutual TLS) and the SM-DP+'s /metrics
 *   demo22_report.c the table and the JSON report
 * The child processes are `rsp demo`'s (demo.h §demo_proc.c): started, logged, stopped and their CPU
 * counted per name the same way. */
#ifndef RSP_APPS_DEMO22_H
#define RSP_APPS_DEMO22_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "demo.h"
#include "rsp/err.h"
#include "rsp/es2p.h"

/* ---- the run (demo22_run.c) ---- */
enum { PH_PKI, PH_MAKE, PH_START, PH_ORDER, PH_DOWNLOAD, PH_ENABLE, PH_NOTIFY, PH_CHECK, PH_N };
extern const char *const d22_phase_names[PH_N];

typedef struct d22_dev {
    char eid[33], iccid[21], mid[65], ac[400];
    bool via_smds, ordered, installed, enabled, notified, checked;
} d22_dev;

typedef struct d22_phase {
    size_t ok, failed;
    double seconds;
    char why[300];
} d22_phase;

typedef struct d22 {
    int n;
    bool json, have_smds;
    const char *profile, *keep;
    char dir[400], p[900];
    demo_procs procs;
    d22_dev *devs;
    d22_phase ph[PH_N];
    uint16_t smdpp_port, es2_port, smds_port, es12_port, smdpp_mport; /* mport: its plain /metrics */
    char smdpp_addr[64], smds_addr[64], es12_addr[64]; /* the SM-DS: ES11 (LPAs), ES12 (the SM-DP+) */
    demo_child *smdpp, *smds;
    double notifications; /* handleNotification calls the SM-DP+ took (its /metrics) */
    rsp_diag diag;
    json_t *failures;
} d22;

/* ---- demo22_report.c ---- */
/* Every device installed, enabled, notified and its order installed at the SM-DP+, nothing failed. */
bool d22_complete(const d22 *x);
/* The table (stdout, or stderr with --json) and with --json the report object on stdout. */
void d22_report(d22 *x, rsp_err e, double elapsed);

/* ---- demo22_es2.c ---- */
typedef struct d22_es2 d22_es2;

/* An operator client of the SM-DP+'s ES2+ listener at host:port: our certificate cert/key (its CN is
 * the functionRequesterIdentifier), the SM-DP+'s TLS certificate checked against ca. */
rsp_err d22_es2_new(const char *host, uint16_t port, const char *cert, const char *key, const char *ca, d22_es2 **out,
                    rsp_diag *diag);
void d22_es2_free(d22_es2 *c);
/* One ES2+ call (req encoded, POSTed, the answer decoded into ans). A Failed answer is RSP_OK with
 * ans->header saying so. */
rsp_err d22_es2_call(d22_es2 *c, const rsp_es2p_msg *req, rsp_es2p_msg *ans, rsp_diag *diag);
/* The sum of the samples of metric `name` whose labels contain `labels` (e.g.
 * `function="handleNotification",result="ok"`) on the SM-DP+'s plain /metrics at 127.0.0.1:mport
 * (--metrics-listen). */
rsp_err d22_smdpp_metric(uint16_t mport, const char *name, const char *labels, double *out, rsp_diag *diag);

int rsp_demo22(int argc, char **argv);

#endif
