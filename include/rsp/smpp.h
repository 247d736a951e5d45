/* SMPP 3.4: a strict PDU codec, an ESME client and a small SMSC, on one caller-owned libevent loop.
 *
 * Own codec, not libsmpp34: see docs/modules/smpp.md (libsmpp34 writes the globals smpp34_errno and
 * smpp34_strerror on every call). Covered PDUs: bind_transceiver/transmitter/receiver (+resp),
 * submit_sm, deliver_sm (+resp), enquire_link, unbind (+resp), generic_nack. Optional TLVs are
 * parsed strictly; receipted_message_id (0x001E) and message_state (0x0427) are kept, others skipped. */
#ifndef RSP_SMPP_H
#define RSP_SMPP_H

#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"

struct event_base;

/* command_id values (defines, not an enum: 0x80000000 does not fit an int). */
#define RSP_SMPP_GENERIC_NACK 0x80000000u
#define RSP_SMPP_BIND_RECEIVER 0x00000001u
#define RSP_SMPP_BIND_TRANSMITTER 0x00000002u
#define RSP_SMPP_SUBMIT_SM 0x00000004u
#define RSP_SMPP_DELIVER_SM 0x00000005u
#define RSP_SMPP_UNBIND 0x00000006u
#define RSP_SMPP_BIND_TRANSCEIVER 0x00000009u
#define RSP_SMPP_ENQUIRE_LINK 0x00000015u
#define RSP_SMPP_RESP 0x80000000u /* bit set on every response id */

enum {
    RSP_SMPP_ROK = 0x00,
    RSP_SMPP_RINVCMDLEN = 0x02,
    RSP_SMPP_RINVCMDID = 0x03,
    RSP_SMPP_RINVBNDSTS = 0x04,
    RSP_SMPP_RALYBND = 0x05,
    RSP_SMPP_RSYSERR = 0x08,
    RSP_SMPP_RINVDSTADR = 0x0B,
    RSP_SMPP_RBINDFAIL = 0x0D,
    RSP_SMPP_RINVPASWD = 0x0E,
    RSP_SMPP_RMSGQFUL = 0x14,
    RSP_SMPP_RTHROTTLED = 0x58,
};

#define RSP_SMPP_ESM_UDHI 0x40
#define RSP_SMPP_ESM_RECEIPT 0x04     /* deliver_sm carrying a delivery receipt */
#define RSP_SMPP_DCS_SIM_BINARY 0xF6  /* class 2 (SIM-specific), 8-bit */
#define RSP_SMPP_PID_SIM_DOWNLOAD 0x7F
#define RSP_SMPP_MAX_PDU 4096         /* we refuse larger command_length */
#define RSP_SMPP_MAX_SM 254

/* message_state values of the receipt TLV. */
enum { RSP_SMPP_STATE_DELIVERED = 2, RSP_SMPP_STATE_UNDELIVERABLE = 5 };

/* One PDU, decoded. Strings are NUL-terminated and within the SMPP maximum sizes. */
typedef struct rsp_smpp_pdu {
    uint32_t command_id, command_status, sequence;
    /* binds */
    char system_id[16], password[9], system_type[13];
    uint8_t interface_version, addr_ton, addr_npi;
    char address_range[41];
    /* submit_sm / deliver_sm */
    char service_type[6];
    uint8_t src_ton, src_npi;
    char source_addr[21];
    uint8_t dst_ton, dst_npi;
    char dest_addr[21];
    uint8_t esm_class, protocol_id, priority_flag;
    char schedule_delivery_time[17], validity_period[17];
    uint8_t registered_delivery, replace_if_present, data_coding, sm_default_msg_id;
    uint8_t sm_length;
    uint8_t short_message[RSP_SMPP_MAX_SM];
    /* responses: submit_sm_resp message_id, bind_*_resp system_id (in system_id) */
    char message_id[65];
    /* TLVs kept */
    char receipted_message_id[65];
    int message_state; /* -1 when absent */
} rsp_smpp_pdu;

/* Zeroes a PDU (message_state = -1). */
void rsp_smpp_pdu_init(rsp_smpp_pdu *p, uint32_t command_id, uint32_t sequence);
/* Bytes of the next PDU once 4 bytes are available: *need = command_length. RSP_ERR_TRUNCATED with
 * fewer than 4; RSP_ERR_LENGTH when command_length < 16 or > RSP_SMPP_MAX_PDU. */
rsp_err rsp_smpp_frame(const uint8_t *p, size_t avail, size_t *need, rsp_diag *diag);
/* Decodes exactly one PDU of len bytes (len must equal its command_length). Unknown command ids
 * decode as the header only and return RSP_ERR_UNSUPPORTED (answer with generic_nack). */
rsp_err rsp_smpp_decode(const uint8_t *p, size_t len, rsp_smpp_pdu *out, rsp_diag *diag);
/* Appends the encoding of pdu to out. Fails with RSP_ERR_RANGE on over-long strings. */
rsp_err rsp_smpp_encode(const rsp_smpp_pdu *pdu, rsp_buf *out);
const char *rsp_smpp_command_name(uint32_t id);

/* ---- ESME (client) ---- */
typedef struct rsp_smpp_esme rsp_smpp_esme;

/* deliver_sm received (MO message or a delivery receipt: esm_class & RSP_SMPP_ESM_RECEIPT). Return
 * the command_status to answer (RSP_SMPP_ROK normally). */
typedef uint32_t (*rsp_smpp_deliver_fn)(void *arg, const rsp_smpp_pdu *pdu);
/* bound = 1 after a successful bind, 0 when the connection went away. */
typedef void (*rsp_smpp_state_fn)(void *arg, int bound);
/* The outcome of one submit: err RSP_OK and the SMSC's message id, or a failure (command_status in
 * status when the SMSC refused). */
typedef void (*rsp_smpp_submit_fn)(void *arg, rsp_err err, uint32_t status, const char *message_id);

typedef struct rsp_smpp_esme_opts {
    const char *host;
    uint16_t port;
    const char *system_id, *password, *system_type;
    const char *address_range; /* addresses this ESME receives for (see docs/modules/smpp.md) */
    unsigned window;           /* max outstanding submit_sm; 0 = 10 */
    double rate;               /* submit_sm per second; 0 = unlimited */
    unsigned enquire_link_ms;  /* 0 = 30 s */
    unsigned response_timeout_ms;  /* for bind and enquire_link answers; 0 = 10 s */
    unsigned reconnect_min_ms, reconnect_max_ms; /* backoff, doubling; 0 = 200 ms / 30 s */
    size_t max_queue;          /* queued submits before RSP_ERR_BUSY; 0 = 10000 */
    rsp_smpp_deliver_fn on_deliver;
    rsp_smpp_state_fn on_state;
    void *arg;
    /* Added fields (zero = default), kept last so positional initialisers still compile. */
    unsigned submit_timeout_ms; /* a submit_sm_resp must come within this, else resend; 0 = response_timeout_ms */
    unsigned submit_retries;    /* resends after a missing resp before RSP_ERR_TIMEOUT; 0 = 2 */
    unsigned throttle_ms;       /* pause after ESME_RTHROTTLED / ESME_RMSGQFUL, doubling to 16x; 0 = 1 s */
    unsigned throttle_retries;  /* resends of one submit after throttling before RSP_ERR_BUSY; 0 = 20 */
    /* Non-zero: deliver_sm_resps are held, not sent, until rsp_smpp_esme_release (a receiver that must
     * make what it received durable before acknowledging it, in groups: the card fleet). */
    int hold_deliver_resp;
} rsp_smpp_esme_opts;

/* Starts connecting at once; reconnects with backoff forever until freed. Strings are copied. */
rsp_err rsp_smpp_esme_new(struct event_base *base, const rsp_smpp_esme_opts *opts, rsp_smpp_esme **out);
/* Queues a submit_sm (a copy of sm; command_id/sequence are set here). cb may be NULL; it is called
 * exactly once: RSP_OK with the message id; RSP_ERR_DENIED with the SMSC's status; RSP_ERR_TIMEOUT
 * when no submit_sm_resp came after 1 + submit_retries sends; RSP_ERR_BUSY with the status when the
 * SMSC still throttled (0x58) or had its queue full (0x14) after throttle_retries resends; RSP_ERR_STATE
 * on rsp_smpp_esme_free. Submits outstanding when the link drops are re-sent after the next bind, in
 * their original order (at-least-once: the receiver may see duplicates). */
rsp_err rsp_smpp_esme_submit(rsp_smpp_esme *e, const rsp_smpp_pdu *sm, rsp_smpp_submit_fn cb, void *arg);
int rsp_smpp_esme_bound(const rsp_smpp_esme *e);
/* With hold_deliver_resp: sends the held deliver_sm_resps, in the order the deliver_sm came, with the
 * status on_deliver returned, or with fail_status instead of ESME_ROK when fail_status is not 0 (what
 * was received could not be made durable). Resps held when the link dropped are forgotten (that session
 * is gone; the SMSC counts those messages undelivered). Returns how many were sent. */
size_t rsp_smpp_esme_release(rsp_smpp_esme *e, uint32_t fail_status);
/* deliver_sm_resps currently held. */
size_t rsp_smpp_esme_held(const rsp_smpp_esme *e);
/* Counters for tests and benches. */
typedef struct rsp_smpp_esme_stats {
    unsigned connects, binds, submitted, acked, delivered, enquire_sent, enquire_acked, max_outstanding;
    unsigned resent_timeout;  /* submits re-sent because their resp did not come in time */
    unsigned resent_throttle; /* submits re-sent after ESME_RTHROTTLED / ESME_RMSGQFUL */
    unsigned resent_link;     /* submits re-sent because the link dropped before their resp */
    unsigned timed_out;       /* submits reported RSP_ERR_TIMEOUT */
} rsp_smpp_esme_stats;
void rsp_smpp_esme_stats_get(const rsp_smpp_esme *e, rsp_smpp_esme_stats *out);
/* Pending submit callbacks are called with RSP_ERR_STATE. */
void rsp_smpp_esme_free(rsp_smpp_esme *e);

/* ---- SMSC (server, for `rsp smsc`, tests and the demo) ---- */
typedef struct rsp_smpp_smsc rsp_smpp_smsc;

typedef struct rsp_smpp_account {
    const char *system_id, *password;
} rsp_smpp_account;

typedef struct rsp_smpp_smsc_opts {
    const char *host;
    uint16_t port;                    /* 0 = ephemeral */
    const rsp_smpp_account *accounts; /* NULL = accept any system_id/password */
    size_t naccounts;
} rsp_smpp_smsc_opts;

rsp_err rsp_smpp_smsc_new(struct event_base *base, const rsp_smpp_smsc_opts *opts, rsp_smpp_smsc **out);
uint16_t rsp_smpp_smsc_port(const rsp_smpp_smsc *s);
/* Fault injection for tests of ESMEs (all one-shot counters, decremented as they fire). */
typedef struct rsp_smpp_smsc_faults {
    unsigned drop_after_submits; /* close the session that sends the Nth submit_sm from now, unanswered */
    unsigned refuse_next;        /* answer the next N submit_sm with refuse_status, not delivered */
    uint32_t refuse_status;      /* 0 = ESME_RTHROTTLED */
    unsigned withhold_next;      /* swallow the next N submit_sm: no resp, not delivered */
} rsp_smpp_smsc_faults;
void rsp_smpp_smsc_set_faults(rsp_smpp_smsc *s, const rsp_smpp_smsc_faults *f);
/* Closes every session bound as system_id (operations, and tests of reconnection). Returns how many. */
unsigned rsp_smpp_smsc_drop(rsp_smpp_smsc *s, const char *system_id);
void rsp_smpp_smsc_free(rsp_smpp_smsc *s);

#endif
