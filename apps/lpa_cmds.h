/* `rsp lpa`'s pieces shared between cmd_lpa.c (card commands) and lpa_download.c (ES9+ commands). */
#ifndef RSP_APPS_LPA_CMDS_H
#define RSP_APPS_LPA_CMDS_H

#include <stdbool.h>

#include "rsp/lpa.h"

typedef struct lpa_ctx {
    rsp_lpa_card card;
    bool json;
} lpa_ctx;

/* lpa_download.c: the ES9+ commands. check_net_opts looks at argv (not changed) before the card is
 * opened, so a missing --ca is a usage error that touches nothing. */
int rsp_lpa_check_net_opts(int argc, char **argv);
int rsp_lpa_cmd_download(lpa_ctx *x, int argc, char **argv);
int rsp_lpa_cmd_discover(lpa_ctx *x, int argc, char **argv);
int rsp_lpa_cmd_process(lpa_ctx *x, int argc, char **argv);

#endif
