/* The emergency profile attribute on the SM-SR side (docs/modules/smsr.md, "Emergency profile"):
 * the ISD-R command the card model executes (docs/ENCODINGS.md, 3A06) and the checks made before
 * anything is sent. The engine row (ES4.SetEmergencyProfileAttribute) is not wired yet: see the
 * module doc. */
#ifndef SMSR_EMERGENCY_H
#define SMSR_EMERGENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/buf.h"
#include "rsp/err.h"
#include "rsp/store.h"

/* STORE DATA 80E28800 Lc {3A06 L {4F L AID, 80 01 00|01}}: on sets the attribute (the card moves it
 * from any other profile), off clears it. Appends to out; RSP_ERR_INVAL for an AID outside 5..16 bytes. */
rsp_err smsr_apdu_set_emergency(const uint8_t *aid, size_t aid_len, bool on, rsp_buf *out);

/* SGP02.md's rules for setting the attribute on p, judged from the store before anything is sent:
 * NULL when allowed, else the refusal's message (subject 8.2.1, reason 1.2: the profile is not
 * installed, or it holds the fall-back attribute, which the emergency profile never does). */
const char *smsr_emergency_refusal(const rsp_store_profile *p);

#endif
