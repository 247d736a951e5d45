/* The LPA side of SGP.22 (docs/modules/lpa.md): APDU transports as a table, the ES10 transport seen
 * from the terminal (MANAGE CHANNEL, SELECT ISD-R, STORE DATA chains, GET RESPONSE), and the vpcd
 * wire format that `rsp euicc attach` speaks to vsmartcard's virtual reader driver.
 *
 * Facts: ../shared/spec/SGP22.md §"ES10 transport"; vpcd: vsmartcard virtualsmartcard/src/vpcd/vpcd.c
 * (each message is a 2-byte big-endian length then the payload; a 1-byte payload from the driver is a
 * control: 00 power off, 01 power on, 02 reset, 04 "send the ATR"; any longer payload is a C-APDU,
 * answered by the R-APDU in the same framing). */
#ifndef RSP_LPA_H
#define RSP_LPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/es10.h"

/* ---- transports (transport.c, pcsc.c) ----
 * One row per way of reaching a card. `arg` is the transport's address: a card folder for "direct",
 * a reader name (or a substring of it; NULL: the first reader with a card) for "pcsc". */
typedef struct rsp_lpa_transport_ops {
    const char *name;
    const char *what;  /* one line for --help */
    /* *ctx is the transport's, freed by close (also after a failed open: close(NULL) is fine). */
    rsp_err (*open)(const char *arg, void **ctx, rsp_diag *diag);
    /* One C-APDU out, the R-APDU (data || SW1 SW2) appended to rapdu. An error is a transport
     * failure (reader gone, card removed), never a status word. */
    rsp_err (*transmit)(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag);
    void (*close)(void *ctx);
} rsp_lpa_transport_ops;

/* The table, NULL-terminated (static). */
extern const rsp_lpa_transport_ops *const rsp_lpa_transports[];
/* The row named name; RSP_ERR_NOT_FOUND otherwise (diag lists the names). */
rsp_err rsp_lpa_transport_find(const char *name, const rsp_lpa_transport_ops **out, rsp_diag *diag);

/* ---- the ES10 transport, terminal side (es10c.c) ---- */

#define RSP_LPA_BLOCK_DEFAULT 120  /* STORE DATA block: lpac's default; 6..255 accepted */

typedef struct rsp_lpa_card {
    const rsp_lpa_transport_ops *ops;
    const char *arg;   /* the transport's address as given to open (borrowed) */
    void *ctx;
    uint8_t channel;   /* the logical channel the ISD-R is selected on (1..3), 0 when on the basic one */
    size_t block;      /* STORE DATA block size */
    rsp_buf fci;       /* the ISD-R's FCI as the SELECT answered it */
    unsigned long apdus; /* C-APDUs sent (for --verbose and the tests) */
} rsp_lpa_card;

/* Opens the transport, a logical channel (MANAGE CHANNEL; the basic channel when the card has none
 * free or does not support them) and SELECTs the ISD-R on it. block 0: the default. On failure
 * everything opened is closed. The card is the caller's: rsp_lpa_card_close. */
rsp_err rsp_lpa_card_open(rsp_lpa_card *c, const rsp_lpa_transport_ops *ops, const char *arg, size_t block,
                          rsp_diag *diag);
/* Closes the logical channel (best effort) and the transport. Safe on a zeroed card. */
void rsp_lpa_card_close(rsp_lpa_card *c);
/* One ES10 command (one complete request TLV, or one BPP piece) as a STORE DATA chain; the answer's
 * data (GET RESPONSE rounds joined) is appended to resp; it may be empty (a BPP piece). A status word
 * other than 9000 / 61xx is RSP_ERR_PROTOCOL with the SW in diag. */
rsp_err rsp_lpa_es10(rsp_lpa_card *c, const uint8_t *req, size_t len, rsp_buf *resp, rsp_diag *diag);
/* One raw APDU on the card's channel (CLA's channel bits set), 61xx answered by GET RESPONSE. data ||
 * SW appended to rapdu. */
rsp_err rsp_lpa_apdu(rsp_lpa_card *c, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag);

/* ---- ES10 functions, LPA side (ops.c) ----
 * Each sends one ES10 request and decodes the card's answer (outside input, checked). Decoded views
 * point into raw, which the caller owns (rsp_buf_free) and must keep while using them. `result` is
 * the function's result code (0 ok; the other values as in SGP22.md's table): a refusal is not an
 * error here, a malformed answer or a transport failure is. */
rsp_err rsp_lpa_get_eid(rsp_lpa_card *c, uint8_t eid[16], rsp_diag *diag);
rsp_err rsp_lpa_get_info2(rsp_lpa_card *c, rsp_buf *raw, rsp_es10_info2 *out, rsp_diag *diag);
rsp_err rsp_lpa_get_addresses(rsp_lpa_card *c, rsp_buf *raw, rsp_bytes *default_dp, rsp_bytes *root_ds,
                              rsp_diag *diag);
rsp_err rsp_lpa_get_profiles(rsp_lpa_card *c, rsp_buf *raw, rsp_es10_profiles *out, rsp_diag *diag);
/* Enable (BF31), disable (BF32) or delete (BF33) by AID or ICCID (10 bytes, EF.ICCID coding). */
rsp_err rsp_lpa_profile_op(rsp_lpa_card *c, uint32_t tag, rsp_es10_select by, rsp_bytes id, bool refresh,
                           int *result, rsp_diag *diag);
rsp_err rsp_lpa_set_nickname(rsp_lpa_card *c, rsp_bytes iccid, rsp_bytes nickname, int *result, rsp_diag *diag);
rsp_err rsp_lpa_memory_reset(rsp_lpa_card *c, unsigned bits, int *result, rsp_diag *diag);
rsp_err rsp_lpa_list_notifications(rsp_lpa_card *c, rsp_buf *raw, rsp_es10_notif_list *out, rsp_diag *diag);
/* RetrieveNotificationsList for one seqNumber: BF2B{A0{80 seq}}. */
rsp_err rsp_lpa_retrieve_notification(rsp_lpa_card *c, uint32_t seq, rsp_buf *raw, rsp_es10_notif_list *out,
                                      rsp_diag *diag);
rsp_err rsp_lpa_remove_notification(rsp_lpa_card *c, uint32_t seq, int *result, rsp_diag *diag);
/* ICCID digits (18 to 20, a trailing F allowed) -> 10 bytes nibble-swapped with F padding, and back
 * (out NUL-terminated; bytes that are no ICCID coding come out in hex). lib/core/ids.c's coding. */
rsp_err rsp_lpa_iccid_from_digits(const char *s, uint8_t out[10], rsp_diag *diag);
void rsp_lpa_iccid_to_digits(const uint8_t *p, size_t len, char *out, size_t outlen);

/* ---- ES9+ client (es9c.c) ---- */

struct rsp_es9p_msg;
typedef struct rsp_lpa_es9 rsp_lpa_es9;

/* An HTTPS client for the SM-DP+ (or SM-DS) at address ("host[:port]", as the activation code writes
 * it; port 443 by default) whose TLS certificate must chain to ca_file and match host. insecure (then
 * ca_file NULL): the server is NOT authenticated (`--insecure`; the caller says so loudly). timeout_ms
 * 0: 30 s. */
rsp_err rsp_lpa_es9_new(const char *address, const char *ca_file, bool insecure, unsigned timeout_ms,
                        rsp_lpa_es9 **out, rsp_diag *diag);
void rsp_lpa_es9_free(rsp_lpa_es9 *s);
/* One ES9+ call: req encoded (es9p.h), POSTed, the answer decoded into ans (initialised here; the caller
 * frees it with rsp_es9p_msg_free in every case). A "Failed" answer is RSP_OK with ans->header saying so;
 * a network failure, a non-2xx status or an answer the codec refuses is an error. */
rsp_err rsp_lpa_es9_call(rsp_lpa_es9 *s, const struct rsp_es9p_msg *req, struct rsp_es9p_msg *ans, rsp_diag *diag);
/* One POST of body to path; the answer's body (any 2xx) into ans (reset first). A network failure or a
 * non-2xx status is an error. For answers es9_call's codec does not know (ES11's authenticateClient). */
rsp_err rsp_lpa_es9_post(rsp_lpa_es9 *s, const char *path, const rsp_buf *body, rsp_buf *ans, rsp_diag *diag);

/* ---- profile download (download.c) ----
 * SGP22.md §Procedures: common mutual authentication, PrepareDownload, getBoundProfilePackage, the BPP
 * in pieces, the PIR sent by handleNotification and removed from the card. The phases, for the
 * progress line and for what a failure means (seed 003): before INSTALL nothing reached the card's
 * profile store and the download may simply be retried; a failure in INSTALL leaves the card to be
 * asked what it holds before any retry. On a failure once the card holds a transactionId the LPA
 * cancels: ES10b.CancelSession with the reason, then ES9+.cancelSession with the card's signed answer. */
typedef enum rsp_lpa_phase {
    RSP_LPA_PH_CLOCK,     /* the clock against the CA certificate's validity, before connecting */
    RSP_LPA_PH_AUTH,      /* challenge, EUICCInfo1, initiateAuthentication, AuthenticateServer, authenticateClient */
    RSP_LPA_PH_PREPARE,   /* profileMetadata, PrepareDownload, getBoundProfilePackage */
    RSP_LPA_PH_INSTALL,   /* LoadBoundProfilePackage, piece by piece, to the PIR */
    RSP_LPA_PH_NOTIFY,    /* handleNotification(PIR), RemoveNotificationFromList */
    RSP_LPA_PH_DONE,
    RSP_LPA_PH_DISCOVER,  /* rsp_lpa_discover's own lines: the SM-DS's events, one download after another */
} rsp_lpa_phase;

const char *rsp_lpa_phase_name(rsp_lpa_phase p);

typedef void (*rsp_lpa_progress_fn)(void *arg, rsp_lpa_phase phase, const char *detail);

typedef struct rsp_lpa_download_opts {
    const char *address, *matching_id;
    const char *confirmation_code; /* NULL: none (refused with "postponed" if the SM-DP+ requires one) */
    const char *ca_file;
    unsigned timeout_ms;
    /* Test knob (`RSP_LPA_TEST_CUT=N` of the CLI): after N BPP pieces the card is pulled and put back
     * (transport closed and opened again: a reset), as a reader that drops mid-installation. 0: off. */
    size_t cut_after_pieces;
    /* The session record (§session) kept during the download; NULL: none. A record left by an
     * earlier download that did not finish is reported and dealt with first (see download.c). */
    const char *session_path;
    rsp_lpa_progress_fn progress;
    void *arg;
    bool insecure;  /* ca_file NULL: the server's TLS certificate is not checked (rsp_lpa_es9_new) */
} rsp_lpa_download_opts;

typedef struct rsp_lpa_download_result {
    rsp_lpa_phase reached;         /* the phase that failed, RSP_LPA_PH_DONE when all went through */
    bool installed;                /* the card's PIR says success */
    bool retry_safe;               /* failed before any BPP piece reached the card */
    bool card_cancelled;           /* ES10b.CancelSession answered with a signed response */
    bool server_cancelled;         /* ES9+.cancelSession accepted */
    int cancel_reason;             /* -1: no cancellation */
    bool pir_sent;                 /* handleNotification of the PIR accepted */
    bool profile_on_card;          /* after a failure in INSTALL: GetProfilesInfo lists the ICCID */
    char tid[33];                  /* transactionId (hex) once the SM-DP+ gave one */
    char iccid[21], name[65], spn[33];
    char subject_code[16], reason_code[16], message[160]; /* a Failed answer of the SM-DP+ */
    int card_error;                /* AuthenticateServer / PrepareDownload error code; -1 none */
    int bpp_command_id, error_reason; /* an error PIR; -1 none */
    uint32_t pir_seq;
    bool recovered;                /* a record of an unfinished download was found and dealt with */
    char recovered_tid[33];
    rsp_lpa_phase recovered_phase;
    bool recovered_on_card;        /* ... and the card holds its profile */
} rsp_lpa_download_result;

/* Runs one download on card c. RSP_OK when the profile is installed and its PIR delivered; otherwise
 * an error with diag saying where and why, and res telling what was done about it. */
rsp_err rsp_lpa_download(rsp_lpa_card *c, const rsp_lpa_download_opts *o, rsp_lpa_download_result *res,
                         rsp_diag *diag);

/* ---- SM-DS discovery (discover.c) ----
 * SGP22.md §"SM-DS discovery": ES11 common mutual authentication with the SM-DS (the ES9+ steps with
 * the SM-DS's address, ctxParams1 without a matchingId: all events), its eventEntries, then one
 * download per event, in the order the SM-DS gave them (oldest first), matchingId = eventId, at the
 * event's rspServerAddress. Between events the card's state is checked (seed 003: several pending
 * events in order, with state validation between records): after an event whose download failed
 * during installation the rest are not started (the card must be asked first); a failure before
 * installation (safe to retry) does not stop the others. */
#define RSP_LPA_MAX_EVENTS 16

typedef struct rsp_lpa_event_result {
    char event_id[65], address[255 + 1];
    bool attempted;              /* false: skipped after an earlier failure during installation */
    rsp_err err;
    char error[256];
    rsp_lpa_download_result dl;
} rsp_lpa_event_result;

typedef struct rsp_lpa_discover_result {
    rsp_lpa_download_result auth; /* the ES11 part: reached, tid, card_error, subject/reason codes */
    size_t n_events, installed, failed, skipped;
    rsp_lpa_event_result ev[RSP_LPA_MAX_EVENTS];
} rsp_lpa_discover_result;

/* o->address is the SM-DS; o->matching_id is ignored; the other options apply to every download
 * (session_path: the record of each download in turn). RSP_OK when every event's profile was
 * installed (also when there was none); res (calloc it: it is large) says what happened to each. */
rsp_err rsp_lpa_discover(rsp_lpa_card *c, const rsp_lpa_download_opts *o, rsp_lpa_discover_result *res,
                         rsp_diag *diag);

/* ---- session record (session.c) ----
 * Written (atomically) before each phase of a download, removed when the download ends in a state that
 * needs nothing more (installed and notified, or refused and cancelled before installation). */
typedef struct rsp_lpa_session_rec {
    rsp_lpa_phase phase;
    char tid[33];
    char address[256];
    char matching_id[256];
    char iccid[21];
} rsp_lpa_session_rec;

rsp_err rsp_lpa_session_save(const char *path, const rsp_lpa_session_rec *r);
/* RSP_ERR_NOT_FOUND: no record; RSP_ERR_FORMAT: a record that cannot be read (diag). */
rsp_err rsp_lpa_session_load(const char *path, rsp_lpa_session_rec *r, rsp_diag *diag);
void rsp_lpa_session_clear(const char *path);

/* ---- vpcd framing (vpcd.c) ---- */

enum {
    RSP_VPCD_POWER_OFF = 0x00,
    RSP_VPCD_POWER_ON = 0x01,
    RSP_VPCD_RESET = 0x02,
    RSP_VPCD_GET_ATR = 0x04,
};
#define RSP_VPCD_PORT 35963
#define RSP_VPCD_MAX 65535

/* Incremental reader of the driver's stream: bytes go in as they arrive, whole messages come out. */
typedef struct rsp_vpcd_reader {
    rsp_buf in;
} rsp_vpcd_reader;

void rsp_vpcd_reader_init(rsp_vpcd_reader *r);
void rsp_vpcd_reader_free(rsp_vpcd_reader *r);
rsp_err rsp_vpcd_feed(rsp_vpcd_reader *r, const uint8_t *p, size_t len);
/* The next complete message, moved out of the reader into msg (reset first): RSP_OK; RSP_ERR_END when
 * more bytes are needed (msg untouched); RSP_ERR_FORMAT for a message of length 0 (no driver sends
 * one: the stream is out of step, drop the connection). */
rsp_err rsp_vpcd_next(rsp_vpcd_reader *r, rsp_buf *msg, rsp_diag *diag);
/* Appends one framed message (len 1..65535). */
rsp_err rsp_vpcd_frame(const uint8_t *p, size_t len, rsp_buf *out);

#endif
