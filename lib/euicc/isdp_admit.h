/* Admission of a complete profile package, one rule for both cards: the M2M eUICC (SGP.02, the SCP03t
 * download of isdp_dl.c) and the consumer card (SGP.22, LoadBoundProfilePackage of c22_bpp.c). Each
 * card keeps its own answer coding (EUICCResponse status / bppCommandId+errorReason); the decision of
 * whether a package may go in is made here only. */
#ifndef EU_ISDP_ADMIT_H
#define EU_ISDP_ADMIT_H

#include <stddef.h>
#include <stdint.h>

typedef enum eu_admit {
    EU_ADMIT_OK = 0,
    EU_ADMIT_ICCID_EXISTS,  /* a profile with this ICCID is already on the card */
    EU_ADMIT_NO_MEMORY,     /* the package is larger than the memory left for it */
} eu_admit;

/* What the card holds: the ICCIDs of its installed profiles (decimal digits as in the SAIP header,
 * "" for an ISD-P without a profile, which never matches) and the bytes a new package may take. */
typedef struct eu_admit_room {
    const char *const *iccids;  /* borrowed */
    size_t n_iccids;
    uint64_t free_bytes;
} eu_admit_room;

/* iccid: the package's (header) ICCID in decimal digits; pkg_len: its size in bytes. The ICCID is
 * compared before the size, so a duplicate is reported as such even when the card is also full. */
eu_admit eu_isdp_admit(const char *iccid, size_t pkg_len, const eu_admit_room *room);

#endif
