/* The consumer card's NAA key check on a profile package the SAIP walker accepted (c22_naa.c); the
 * rule is docs/ENCODINGS.md §"SGP.22 card: NAA keys of a profile package". */
#ifndef RSP_C22_NAA_H
#define RSP_C22_NAA_H

#include "rsp/saip.h"

/* The first akaParameter element of pkg whose NAA key is invalid, or NULL when every one is usable.
 * The pointer is into pkg->pes. Reads key material in place; copies none of it. */
const rsp_saip_pe *c22_naa_refused(const rsp_saip_package *pkg);

#endif
