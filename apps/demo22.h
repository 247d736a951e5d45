/* `rsp demo sgp22`: the consumer story of issue 14 with every role a real process (docs/DEMO.md).
 *   demo22_run.c   options, the phases, the report
 *   demo22_es2.c   the operator's ES2+ client (mutual TLS) and the SM-DP+'s /metrics
 * The child processes are `rsp demo`'s (demo.h §demo_proc.c): started, logged, stopped and their CPU
 * counted per name the same way. */
#ifndef RSP_APPS_DEMO22_H
#define RSP_APPS_DEMO22_H

#include <stdbool.h>
#include <stdint.h>

#include "rsp/err.h"
#include "rsp/es2p.h"

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
 * `function="handleNotification",result="ok"`) on the SM-DP+'s /metrics at address (its ES9+ listener,
 * TLS checked against ca). */
rsp_err d22_smdpp_metric(const char *address, const char *ca, const char *name, const char *labels, double *out,
                         rsp_diag *diag);

int rsp_demo22(int argc, char **argv);

#endif
