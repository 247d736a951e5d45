/* The MNO-SD of the enabled profile (ES6): its file system view (efs.c), the RFM/RAM command
 * interpreter (mno_sd_rfm.c) and the routing of an SCP80 packet to it (mno_sd.c). Internal to
 * lib/euicc. docs/modules/es6.md. */
#ifndef RSP_EUICC_MNO_SD_H
#define RSP_EUICC_MNO_SD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "euicc_int.h"
#include "rsp/saip.h"
#include "rsp/saip_sd.h"
#include "rsp/scp80.h"

/* Directories of the view: the MF and ADF.USIM (selected as 7FF0 or by its DF name). */
enum { EU_DF_MF = 0, EU_DF_ADF = 1 };
#define EU_FID_MF 0x3F00u
#define EU_FID_ADF 0x7FF0u

/* File structure (file descriptor byte b3..b1). */
enum { EU_EF_TRANSPARENT = 1, EU_EF_LINEAR = 2, EU_EF_CYCLIC = 6 };

typedef struct eu_ef {
    uint8_t df;                 /* the directory holding it */
    uint16_t fid;
    uint8_t kind;
    uint16_t rec_len;           /* record EFs */
    size_t size;
    uint8_t *data;              /* size bytes, the file's whole content (owned) */
    size_t pe;                  /* element of the package that creates it */
    uint32_t tag;               /* its component tag in that element */
    size_t off;                 /* and that component's offset in the package (tags can repeat) */
    bool dirty;
} eu_ef;

typedef struct eu_efs {
    rsp_saip_package pkg;       /* borrows the package bytes given to eu_efs_load */
    eu_ef *f;                   /* owned */
    size_t n;
    uint8_t adf_name[16];       /* ADF.USIM's DF name (AID) */
    size_t adf_name_len;
    bool dirty;
} eu_efs;

/* Builds the view of a package (which must outlive it): every EF of the mf and usim/opt-usim elements
 * with a file descriptor, its content laid out as the package writes it (fill pattern, then
 * fillFileContent / fillFileOffset in order). */
rsp_err eu_efs_load(const uint8_t *pkg, size_t len, eu_efs *out, rsp_diag *diag);
/* eu_efs_load in two steps, so that a packet is authenticated before its files are laid out: open
 * parses the package only (fs->pkg; no files yet), lay_out builds the files (fs freed on failure). */
rsp_err eu_efs_open(const uint8_t *pkg, size_t len, eu_efs *out, rsp_diag *diag);
rsp_err eu_efs_lay_out(eu_efs *fs, rsp_diag *diag);
void eu_efs_free(eu_efs *fs);
eu_ef *eu_efs_find(eu_efs *fs, uint8_t df, uint16_t fid);
/* The package with every changed EF written back (one fillFileContent with its whole content); the
 * other elements and components are copied byte for byte. out is reset first. */
rsp_err eu_efs_encode(const eu_efs *fs, rsp_buf *out, rsp_diag *diag);

/* One RFM or RAM session: the commands of one secured packet. */
typedef struct eu_rfm {
    eu_efs *fs;
    const rsp_saip_package *pkg;
    bool ram;                   /* the MNO-SD itself (GET STATUS), not an RFM instance */
    bool adf_access;            /* the RFM instance works on ADF.USIM (adfRFMAccess) */
    uint8_t cur_df;
    eu_ef *cur_ef;              /* NULL: a directory is selected */
} eu_rfm;

void eu_rfm_init(eu_rfm *s, eu_efs *fs, const rsp_saip_package *pkg, bool ram, bool adf_access);
/* rsp_rapdu_exec_fn: one C-APDU (outside input, checked) -> data || SW appended to rapdu. */
rsp_err eu_rfm_exec(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu);

/* ota.c: the PoR to `to` answering header h (as SPI byte 2 asks), secured with k (NULL: only a
 * security status, which goes out unsecured). */
rsp_err eu_por_send(rsp_euicc *c, const rsp_scp80_keys *k, const rsp_scp80_hdr *h, uint8_t status,
                    const uint8_t *data, size_t len, const char *to, rsp_euicc_out *out);

/* ota.c's hook, given the packet's header as ota.c peeked it: for a TAR that is not the ISD-R's, the
 * ECASD's or an ISD-P's, sets *handled and
 * handles the whole packet: when the TAR names the enabled profile's MNO-SD (an RFM TAR of its rfm
 * elements, or one of the MNO-SD's own TARs: rsp_saip_sd_tars), its keys, checksum, the profile's
 * counter, the script, one commit of counter and package, the PoR; otherwise PoR 09. */
rsp_err eu_mnosd_packet(rsp_euicc *c, const char *from, const rsp_scp80_hdr *h, const uint8_t *pkt, size_t len,
                        int64_t now, rsp_euicc_out *out, bool *handled, rsp_diag *diag);

#endif
