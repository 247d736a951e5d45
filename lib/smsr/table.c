/* The ONE operation step table of the SM-SR (docs/modules/smsr.md, "Engine table"). Every step
 * change of every operation is a row here; the engine never decides a next step by itself. */
#include <string.h>

#include "rsp/smsr.h"

#define F(x) (1u << RSP_SMSR_FN_##x)
#define F_SWITCH (F(ENABLE) | F(DISABLE))                 /* outcome = the card's notification */
/* ES3.CreateISDP / SendData (es3_dl.c): outcome = the card's answer (a PoR, or the admin session's
 * answer to an SCP03t body). A resend after a lost answer is safe or refused: a key establishment
 * already done or an SCP03t segment already taken (its C-MAC chain moved on) are refused by the card,
 * which fails the op (FAILED, never run twice with effect). An INSTALL of an ISD-P refused 6985 on a
 * RESEND is the ISD-P the first packet created (its AID was free when the op was recorded, and a
 * first packet refused 6985 fails at once): the op is done. */
#define F_DL (F(CREATE_ISDP) | F(SEND_DATA))
#define F_ACK (F(DELETE) | F(SET_FALLBACK) | F(AUDIT) | F(SET_EMERGENCY) | F_DL) /* outcome = the PoR */
#define F_ALL (F_SWITCH | F_ACK)

typedef struct row {
    unsigned fns;
    rsp_smsr_step from;
    rsp_smsr_event ev;
    rsp_smsr_step to;
} row;

static const row TABLE[] = {
    {F_ALL, RSP_SMSR_STEP_COMMAND, RSP_SMSR_EV_SENT, RSP_SMSR_STEP_WAIT_POR},
    {F_SWITCH, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_OK, RSP_SMSR_STEP_WAIT_NOTIF},
    {F_ACK, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_OK, RSP_SMSR_STEP_DONE},
    {F_ALL, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_REFUSED, RSP_SMSR_STEP_FAILED},
    {F_ACK & ~F(CREATE_ISDP), RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_REFUSED_AGAIN, RSP_SMSR_STEP_FAILED},
    {F(CREATE_ISDP), RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_REFUSED_AGAIN, RSP_SMSR_STEP_DONE},
    /* a resent switch refused for its state: the first packet (whose PoR was lost) did the switch,
     * so the notification decides, and the validity period bounds the wait */
    {F_SWITCH, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_REFUSED_AGAIN, RSP_SMSR_STEP_WAIT_NOTIF},
    /* security refusals (counter low after a lost reservation, bad CC) are worth one more packet
     * with a fresh counter; the validity period bounds the retries */
    {F_ALL, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_POR_SECURITY, RSP_SMSR_STEP_COMMAND},
    {F_ALL, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_TIMEOUT, RSP_SMSR_STEP_COMMAND},
    /* over HTTPS the answer is the admin session's (R-APDUs as in a PoR: the rows above); a session
     * that broke before the answer, or a trigger never answered, is a lost PoR: send again (a switch
     * the card did execute is then refused 6985: POR_REFUSED_AGAIN) */
    {F_ALL, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_ADMIN_LOST, RSP_SMSR_STEP_COMMAND},
    /* a switch notification may overtake its PoR (both are SMS): it settles the operation */
    {F_SWITCH, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_NOTIF_DONE, RSP_SMSR_STEP_DONE},
    {F_SWITCH, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_NOTIF_ROLLBACK, RSP_SMSR_STEP_FAILED},
    {F_SWITCH, RSP_SMSR_STEP_WAIT_NOTIF, RSP_SMSR_EV_NOTIF_DONE, RSP_SMSR_STEP_DONE},
    {F_SWITCH, RSP_SMSR_STEP_WAIT_NOTIF, RSP_SMSR_EV_NOTIF_ROLLBACK, RSP_SMSR_STEP_FAILED},
    /* the command was executed: sending it again would be refused (6985); keep waiting, the card
     * resends its notification until confirmed */
    {F_SWITCH, RSP_SMSR_STEP_WAIT_NOTIF, RSP_SMSR_EV_TIMEOUT, RSP_SMSR_STEP_WAIT_NOTIF},
    {F_ALL, RSP_SMSR_STEP_COMMAND, RSP_SMSR_EV_DEADLINE, RSP_SMSR_STEP_EXPIRED},
    {F_ALL, RSP_SMSR_STEP_WAIT_POR, RSP_SMSR_EV_DEADLINE, RSP_SMSR_STEP_EXPIRED},
    {F_SWITCH, RSP_SMSR_STEP_WAIT_NOTIF, RSP_SMSR_EV_DEADLINE, RSP_SMSR_STEP_EXPIRED},
};

rsp_err rsp_smsr_step_next(rsp_smsr_fn fn, rsp_smsr_step st, rsp_smsr_event ev, rsp_smsr_step *next)
{
    if ((unsigned)fn >= RSP_SMSR_FN__COUNT)
        return RSP_ERR_INVAL;
    for (size_t i = 0; i < sizeof(TABLE) / sizeof(TABLE[0]); i++)
        if ((TABLE[i].fns & (1u << fn)) && TABLE[i].from == st && TABLE[i].ev == ev) {
            *next = TABLE[i].to;
            return RSP_OK;
        }
    return RSP_ERR_STATE;
}

rsp_store_op_state rsp_smsr_step_store_state(rsp_smsr_step st)
{
    switch (st) {
    case RSP_SMSR_STEP_COMMAND: return RSP_STORE_OP_SENT;
    case RSP_SMSR_STEP_WAIT_POR:
    case RSP_SMSR_STEP_WAIT_NOTIF: return RSP_STORE_OP_AWAITING;
    case RSP_SMSR_STEP_DONE: return RSP_STORE_OP_DONE;
    case RSP_SMSR_STEP_FAILED: return RSP_STORE_OP_FAILED;
    default: return RSP_STORE_OP_EXPIRED;
    }
}

static const char *const FN_NAMES[RSP_SMSR_FN__COUNT] = {
    "ES4.EnableProfile", "ES4.DisableProfile", "ES4.DeleteProfile", "ES4.SetFallBackAttribute",
    "ES4.AuditEIS", "ES4.SetEmergencyProfileAttribute", "ES3.CreateISDP", "ES3.SendData",
};

const char *rsp_smsr_fn_name(rsp_smsr_fn fn)
{
    return (unsigned)fn < RSP_SMSR_FN__COUNT ? FN_NAMES[fn] : "?";
}

rsp_err rsp_smsr_fn_parse(const char *name, rsp_smsr_fn *out)
{
    for (unsigned i = 0; i < RSP_SMSR_FN__COUNT; i++)
        if (strcmp(name, FN_NAMES[i]) == 0) {
            *out = (rsp_smsr_fn)i;
            return RSP_OK;
        }
    /* ES3.UpdateConnectivityParameters is stored under its own name (metrics, the audit trail) and
     * runs SendData's rows: one command to the ISD-P, its outcome the card's answer (es3_dl.c) */
    if (strcmp(name, RSP_SMSR_FN_UCP_NAME) == 0) {
        *out = RSP_SMSR_FN_SEND_DATA;
        return RSP_OK;
    }
    return RSP_ERR_NOT_FOUND;
}

const char *rsp_smsr_step_name(rsp_smsr_step st)
{
    static const char *const n[RSP_SMSR_STEP__COUNT] = {"command", "wait-por", "wait-notif",
                                                        "done", "failed", "expired"};
    return (unsigned)st < RSP_SMSR_STEP__COUNT ? n[st] : "?";
}
