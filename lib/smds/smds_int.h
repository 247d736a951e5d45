/* Internals of the SM-DS shared by lib/smds/smds.c and daemon.c. */
#ifndef RSP_SMDS_INT_H
#define RSP_SMDS_INT_H

#include "rsp/crypto.h"
#include "rsp/pki22.h"
#include "rsp/smdpp.h"
#include "rsp/smds.h"

/* ES11 sessions between initiateAuthentication and authenticateClient: in memory (smds.c's header
 * says why), at most SMDS_SESSIONS (the oldest is reused), each good for SMDS_SESSION_TTL_S. */
#define SMDS_SESSIONS 256
#define SMDS_SESSION_TTL_S 300

typedef struct smds_sess {
    rsp_smdpp_auth_session a;
    int64_t created;
    bool used;
} smds_sess;

struct rsp_smds {
    char dir[512];
    char address[RSP_ES9P_MAX_ADDRESS + 1];
    /* address with the ES11 port bound by the daemon when address names none (tests, labs) */
    char public_address[RSP_ES9P_MAX_ADDRESS + 1];
    int64_t (*clock)(void);
    rsp_eckey *sk;
    rsp_buf cert, ci;
    rsp_pki22_info info;
    rsp_pki22_anchors *anchors; /* ci decoded once: every authenticateClient verifies a chain to it */
    rsp_store *st;
    smds_sess sess[SMDS_SESSIONS];
    unsigned long es11_calls[2][2]; /* [authenticateClient][failed] */
    unsigned long es12_calls[2][2]; /* [deleteEvent][failed] */
};

int64_t rsp_smds__now(rsp_smds *s);

#endif
