/* `rsp lpa`'s pieces shared between cmd_lpa.c (card commands) and lpa_download.c (ES9+ commands). */
#ifndef RSP_APPS_LPA_CMDS_H
#define RSP_APPS_LPA_CMDS_H

#include <stdbool.h>

#include "rsp/lpa.h"

typedef struct lpa_ctx {
    rsp_lpa_card card;
    bool json;
} lpa_ctx;

#endif
