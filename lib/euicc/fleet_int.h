/* The fleet daemon's machinery (`rsp euicc run`, docs/modules/euicc-fleet.md): the host side of
 * include/rsp/euicc.h. It feeds cards their inputs (SMS-PP from SMPP deliver_sm, SCP81 scripts, ticks,
 * fault controls) and carries out what they ask (MO SMS as submit_sm, PSK-TLS admin sessions), all on
 * one caller-owned libevent loop. The card model itself is not touched here. */
#ifndef RSP_EUICC_FLEET_INT_H
#define RSP_EUICC_FLEET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/euicc.h"
#include "rsp/smpp.h"

struct event_base;

/* ---- control commands (fleet_ctl.c) ---- */

typedef enum rsp_fleet_ctl_op {
    RSP_FLEET_CTL_STATUS = 1, /* status [EID] */
    RSP_FLEET_CTL_NET_DOWN,   /* net-down EID */
    RSP_FLEET_CTL_OFFLINE,    /* offline EID [SECONDS]: no SECONDS = until `online` */
    RSP_FLEET_CTL_ONLINE,     /* online EID */
    RSP_FLEET_CTL_DROP_SMS,   /* drop-sms PERCENT (0..100) */
    RSP_FLEET_CTL_RESET,      /* reset EID */
} rsp_fleet_ctl_op;

typedef struct rsp_fleet_ctl_cmd {
    rsp_fleet_ctl_op op;
    char eid[33];     /* "" when the command has none */
    unsigned seconds; /* OFFLINE: 0 = until online */
    unsigned percent; /* DROP_SMS */
} rsp_fleet_ctl_cmd;

#define RSP_FLEET_CTL_LINE_MAX 256
#define RSP_FLEET_CTL_ANSWER_MAX 1024

/* Parses one command line (without its newline; a trailing CR is tolerated). Outside input: errors
 * name the faulty word in diag. */
rsp_err rsp_fleet_ctl_parse(const char *line, size_t len, rsp_fleet_ctl_cmd *out, rsp_diag *diag);

/* Writes {"ok":false,"error":"<name>","message":"<msg>"} into answer (JSON-escaped). */
void rsp_fleet_ctl_error(char *answer, size_t cap, rsp_err e, const char *msg);
/* JSON-escapes s into out (always NUL-terminated, truncated to fit). */
void rsp_fleet_json_str(char *out, size_t cap, const char *s);

/* The daemon answers each command line with one JSON line written into answer (cap bytes). */
typedef void (*rsp_fleet_ctl_fn)(void *arg, const rsp_fleet_ctl_cmd *cmd, char *answer, size_t cap);

typedef struct rsp_fleet_ctl_server rsp_fleet_ctl_server;
/* Listens on a unix stream socket at path (mode 0600; a stale socket file is replaced, any other file
 * is refused with RSP_ERR_EXISTS). One line per command, one line per answer, many per connection. */
rsp_err rsp_fleet_ctl_listen(struct event_base *base, const char *path, rsp_fleet_ctl_fn fn, void *arg,
                             rsp_fleet_ctl_server **out);
/* Closes every connection and removes the socket file. */
void rsp_fleet_ctl_free(rsp_fleet_ctl_server *s);

/* Client side (`rsp euicc ctl`): sends one line, waits up to timeout_ms for the answer line, which
 * goes to answer without its newline. Blocking; no event loop. */
rsp_err rsp_fleet_ctl_call(const char *path, const char *line, unsigned timeout_ms, char *answer, size_t cap);

/* ---- SMS <-> SMPP (fleet_sms.c) ---- */

/* A deliver_sm for a device, as the SMS-DELIVER TPDU its modem hands to the card (OA = source_addr,
 * PID, DCS, UDHI from esm_class, SCTS from now_ms). Appends to tpdu (caller owns). */
rsp_err rsp_fleet_deliver_to_tpdu(const rsp_smpp_pdu *dv, int64_t now_ms, rsp_buf *tpdu, rsp_diag *diag);
/* An SMS-SUBMIT TPDU from a card, as the submit_sm its device sends: source = from (the card's
 * MSISDN), destination = TP-DA, or `to` when not empty; esm_class UDHI, PID, DCS, user data. */
rsp_err rsp_fleet_tpdu_to_submit(const uint8_t *tpdu, size_t len, const char *from, const char *to,
                                 rsp_smpp_pdu *out, rsp_diag *diag);

#define RSP_FLEET_MAX_BINDS 8
#define RSP_FLEET_RANGE_MAX 40 /* SMPP address_range is a 41-octet C string */

/* The address ranges of at most max_binds binds (each at most 40 characters, entries separated by
 * commas, `P*` a prefix) that together cover every MSISDN of the sorted array msisdns (empty strings
 * skipped). The longest prefixes that fit are chosen, so a small fleet gets its exact numbers and a
 * large one a few prefixes. RSP_ERR_RANGE when even one-digit prefixes do not fit. */
rsp_err rsp_fleet_ranges(const char *const *msisdns, size_t n, size_t max_binds,
                         char ranges[][RSP_FLEET_RANGE_MAX + 1], size_t *nranges);

/* ---- the daemon (fleet_host.c, fleet_admin.c) ---- */

typedef struct rsp_fleet_host_opts {
    const char *smsc_host;
    uint16_t smsc_port;
    const char *system_id;   /* base system_id of the binds (<= 12 chars); NULL = "euicc-fleet" */
    const char *password;    /* NULL = "" */
    size_t max_binds;        /* 0 = 4 */
    unsigned tick_ms;        /* notification timer period; 0 = 200 */
    unsigned admin_timeout_ms; /* each HTTP exchange of an admin session; 0 = 30 s */
    unsigned admin_retry_ms; /* delay before an interrupted session is resumed; 0 = 2 s */
    uint64_t seed;           /* drop-sms randomness; 0 = from the clock */
} rsp_fleet_host_opts;

typedef struct rsp_fleet_stats {
    uint64_t sms_in, sms_to_card, sms_out, sms_out_failed, sms_dropped, sms_offline, sms_unknown;
    uint64_t ticks, admin_opened, admin_ok, admin_failed, admin_resumed;
    uint64_t nvm_groups;       /* group commits done (one fsync each) */
    uint64_t nvm_grouped;      /* card outputs released by them */
    uint64_t nvm_group_failed; /* group commits that failed: their cards were reset, nothing answered */
    unsigned admin_active, binds_up;
} rsp_fleet_stats;

typedef struct rsp_fleet_host rsp_fleet_host;

/* Hosts every card of fleet (borrowed; must outlive the host) on base: binds to the SMSC, starts the
 * tick timer. Nothing is sent before the binds are up (submits queue in the ESMEs). */
rsp_err rsp_fleet_host_new(struct event_base *base, rsp_euicc_fleet *fleet, const rsp_fleet_host_opts *opts,
                           rsp_fleet_host **out);
/* Runs one control command (also what the control socket calls). */
void rsp_fleet_host_ctl(void *host, const rsp_fleet_ctl_cmd *cmd, char *answer, size_t cap);
void rsp_fleet_host_stats(const rsp_fleet_host *h, rsp_fleet_stats *out);
/* The address ranges bound (for logs). */
size_t rsp_fleet_host_ranges(const rsp_fleet_host *h, const char **ranges, size_t max);
/* Ends admin sessions (a broken-off session is rolled back by the card), unbinds, frees. */
void rsp_fleet_host_free(rsp_fleet_host *h);

/* ---- between fleet_host.c and fleet_admin.c ---- */

typedef struct rsp_fleet_admin rsp_fleet_admin; /* one SCP81 admin session (fleet_admin.c) */

/* Per-card runtime state of the daemon; volatile (a restart forgets faults, as a power cycle would). */
typedef struct rsp_fleet_card {
    int64_t next_due;      /* next rsp_euicc_tick, Unix ms; 0 = nothing pending */
    int64_t offline_until; /* 0 online, -1 until `online`, else Unix ms */
    rsp_fleet_admin *admin;
} rsp_fleet_card;

/* What a card asked for in the open group, carried out once the group is committed. */
typedef struct rsp_fleet_pending {
    size_t i;
    rsp_euicc_out out;
    bool admin_post; /* the card's admin session has a POST held (rsp_fleet_admin_flush) */
} rsp_fleet_pending;

typedef struct rsp_fleet_ptr_idx {
    const rsp_euicc *card;
    size_t i;
} rsp_fleet_ptr_idx;

struct rsp_fleet_host {
    struct event_base *base;
    rsp_euicc_fleet *fleet;
    rsp_fleet_host_opts o;
    char system_id[16], password[9];
    size_t n;
    rsp_fleet_card *cards;
    rsp_fleet_ptr_idx *by_ptr;     /* sorted by card pointer */
    size_t nbinds, nextra;
    char ranges[RSP_FLEET_MAX_BINDS][RSP_FLEET_RANGE_MAX + 1];
    rsp_smpp_esme *esme[RSP_FLEET_MAX_BINDS];
    rsp_smpp_esme **extra;         /* receive-only binds for MSISDNs that appeared later (fall-back) */
    char (*extra_addr)[24];        /* the MSISDN each extra bind receives for */
    struct event *tick_ev;
    size_t cursor;
    size_t first_pass;             /* cards visited since start, until every one has been asked once */
    unsigned drop_percent;
    uint64_t rng;
    /* Group commit: one NVM transaction per loop turn (docs/modules/euicc-fleet.md). */
    struct event *commit_ev;       /* made active when a group opens: runs at the end of this loop turn */
    bool group;                    /* rsp_euicc_fleet_begin done, commit pending */
    rsp_fleet_pending *pend;       /* outputs held until the commit, in the order the cards gave them */
    size_t npend, cappend;
    struct event *soon_ev;         /* made active when a card is asked again after an input */
    size_t *soon, nsoon, capsoon;  /* those cards, ticked in the same loop turn */
    bool ticking;                  /* inside a tick: its output does not ask the card again */
    rsp_fleet_stats st;
};

/* Opens the loop turn's group if none is open (a failure to open leaves the cards committing one
 * command at a time, as without groups). Every card input of the daemon goes through here first. */
void rsp_fleet_group_join(rsp_fleet_host *h);
/* Only schedules the end of the turn (held deliver_sm_resps of messages no card saw are released). */
void rsp_fleet_group_arm(rsp_fleet_host *h);
/* Makes the commit event (rsp_fleet_host_new). */
rsp_err rsp_fleet_group_init(rsp_fleet_host *h);
/* Commits the open group, then carries out what it held (or, when the commit failed, resets its cards
 * and answers deliver_sm with ESME_RSYSERR). Called by the commit event and before any input that
 * must not join a group (control commands). */
void rsp_fleet_group_commit(rsp_fleet_host *h);
/* The card's admin session holds a POST (its script response) until the group commits. */
void rsp_fleet_group_admin_post(rsp_fleet_host *h, size_t i);

/* Opens an admin session for card i (h->cards[i].admin is set). resume: X-Admin-Resume on the first
 * POST. The PSK in a is copied and wiped with the session. */
rsp_err rsp_fleet_admin_start(rsp_fleet_host *h, size_t i, const rsp_euicc_admin *a, unsigned retries, bool resume);
/* Queues a notification (E1 TLV) the card gave while its session is open: it is POSTed as
 * <uri>?msg=<HEX> once the server ends its scripts with 204 (SGP02.md), before the session closes. */
void rsp_fleet_admin_notify(rsp_fleet_admin *s, const uint8_t *e1, size_t len);
/* A trigger came while session s is still open (the server's 204 on its way): once s ends well, a new
 * session is opened with a (copied; its PSK wiped with s), instead of the trigger being lost until the
 * server's trigger timer (10 s) sends it again. */
void rsp_fleet_admin_again(rsp_fleet_admin *s, const rsp_euicc_admin *a, unsigned retries);
/* Drops the session without telling the card (it was reset, or the daemon stops: tell_card false)
 * or telling it the session broke off (tell_card true). */
void rsp_fleet_admin_abort(rsp_fleet_admin *s, bool tell_card);
/* Carries out what card i asked (MO SMS, admin session) and clears *out; while a group is open, after
 * its commit. */
void rsp_fleet_host_carry_out(rsp_fleet_host *h, size_t i, rsp_euicc_out *out);
/* Card i may have queued notifications: it is ticked in this loop turn (fleet_host.c). */
void rsp_fleet_ask_soon(rsp_fleet_host *h, size_t i);
/* What rsp_fleet_host_carry_out does at once (fleet_host.c). */
void rsp_fleet_carry_out_now(rsp_fleet_host *h, size_t i, rsp_euicc_out *out);
/* Sends the POST held by rsp_fleet_group_admin_post (ok) or breaks the session off (not ok: the group
 * was not committed, the card was reset). */
void rsp_fleet_admin_flush(rsp_fleet_admin *s, bool ok);

/* Unix time in milliseconds (the `now` of include/rsp/euicc.h). */
int64_t rsp_fleet_now_ms(void);

#endif
