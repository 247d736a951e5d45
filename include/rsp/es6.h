/* ES6, the Operator's side (SGP.02: the Operator's OTA to the MNO-SD of its enabled profile, over
 * SCP80 with the profile's own keys; the SM-SR is not in the path). Builds the remote APDU script of
 * one file or applet request, secures it as SMS user data, and opens and decodes the PoR. The card
 * side is lib/euicc/mno_sd*.c. docs/modules/es6.md.
 *
 * Nothing here allocates beyond the caller's rsp_bufs; keys are borrowed for the call and never kept. */
#ifndef RSP_ES6_H
#define RSP_ES6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/scp80.h"

/* TARs the TS.48 packages give (docs/ENCODINGS.md "ES6"): the UICC RFM and USIM RFM instances (rfm
 * elements), and the MNO-SD's first own TAR (its toolkit parameters), which takes GET STATUS (RAM). */
#define RSP_ES6_TAR_RFM_UICC 0xB00120u
#define RSP_ES6_TAR_RFM_USIM 0xB00140u
#define RSP_ES6_TAR_RAM 0xB20100u

typedef enum rsp_es6_op {
    RSP_ES6_READ = 0,           /* SELECT path, READ BINARY */
    RSP_ES6_UPDATE,             /* SELECT path, UPDATE BINARY at offset 0 */
    RSP_ES6_READ_RECORD,        /* SELECT path, READ RECORD n (absolute) */
    RSP_ES6_UPDATE_RECORD,      /* SELECT path, UPDATE RECORD n */
    RSP_ES6_APPLET_STATUS,      /* GET STATUS of the applications (to the RAM TAR) */
} rsp_es6_op;

#define RSP_ES6_PATH_MAX 8

typedef struct rsp_es6_cmd {
    rsp_es6_op op;
    uint16_t path[RSP_ES6_PATH_MAX]; /* FIDs from where the RFM instance starts (3F00 = MF, 7FF0 = ADF) */
    size_t path_len;
    uint8_t record;                  /* 1..254 for the record operations */
    const uint8_t *data;             /* borrowed: what an update writes (1..255 bytes) */
    size_t data_len;
} rsp_es6_cmd;

/* "7FF0/6F07" -> path. RSP_ERR_FORMAT for anything but 1..8 FIDs of 4 hex digits separated by '/'. */
rsp_err rsp_es6_path_parse(const char *s, uint16_t path[RSP_ES6_PATH_MAX], size_t *n);

/* Appends the expanded remote APDU script (AA L {22 C-APDU}..., TS 102 226) of cmd to out. */
rsp_err rsp_es6_script(const rsp_es6_cmd *cmd, rsp_buf *out);

/* The TAR a request goes to when none is given: RAM for the applet status, USIM RFM for a path that
 * starts at ADF.USIM (7FF0), else UICC RFM. */
uint32_t rsp_es6_default_tar(const rsp_es6_cmd *cmd);

/* Secures data (a script) under k and h and splits it into SMS user data parts (02 70 00 ..., with
 * the concatenation IE when it needs more than one SMS; ref is the concatenation reference).
 * parts[] (max entries) are reset here; *n gets their count. */
rsp_err rsp_es6_packet(const rsp_scp80_keys *k, const rsp_scp80_hdr *h, const uint8_t *data, size_t len,
                       uint8_t ref, rsp_buf *parts, size_t max, size_t *n, rsp_diag *diag);

/* A decoded answer. */
typedef struct rsp_es6_answer {
    uint8_t status;             /* PoR status (00 = accepted), rsp_scp80_status_name */
    bool secured;               /* the PoR verified under the keys (false for an unsecured error PoR) */
    bool bad_format;            /* the card could not parse the script (TLV 90) */
    unsigned executed;          /* commands the card executed */
    uint16_t sw;                /* the last R-APDU's status word */
    uint8_t data[256];          /* and its data */
    size_t data_len;
} rsp_es6_answer;

/* Opens the PoR (SMS user data of the reassembled packet, with or without 02 71 00) answering the
 * command with header h: rsp_scp80_por_open, then checks that it echoes h's TAR and counter, and
 * decodes the response script. RSP_ERR_VERIFY for a PoR whose CC does not verify (forged: nothing in
 * it is believed), RSP_ERR_PROTOCOL when it answers another packet (its TAR, or
 * the counter of a secured PoR), RSP_ERR_VERIFY too for a status 00 PoR without the checksum the
 * command asked for, RSP_ERR_FORMAT (diag) for a
 * response that does not parse. A security status (01, 02, ...) is RSP_OK with out->status set. */
rsp_err rsp_es6_answer_parse(const rsp_scp80_keys *k, const rsp_scp80_hdr *h, const uint8_t *por, size_t len,
                             rsp_es6_answer *out, rsp_diag *diag);

/* One entry of a GET STATUS answer (E3 { 4F AID, 9F70 life cycle, C5 privileges }). */
typedef struct rsp_es6_app {
    uint8_t aid[16];
    size_t aid_len;
    uint8_t lcs;
    uint8_t priv[3];
    size_t priv_len;
} rsp_es6_app;

/* Decodes a GET STATUS answer's data into at most max entries. RSP_ERR_FORMAT (diag) when malformed. */
rsp_err rsp_es6_apps_parse(const uint8_t *p, size_t len, rsp_es6_app *out, size_t max, size_t *n, rsp_diag *diag);

#endif
