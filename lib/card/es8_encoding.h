/* Internal: every ES8 key-establishment and SCP03t encoding choice, in one place.
 *
 * The public samples disagree (SGP02.md §ES8, VECTORS.txt §E1-E4); docs/ENCODINGS.md "## ES8 key
 * establishment and SCP03t" says what was chosen and why. Code elsewhere uses these names only, so a
 * change of mind is a one-line edit here. "EMIT" values are what we send; the card role also accepts
 * the "ACCEPT" alternatives. */
#ifndef RSP_CARD_ES8_ENCODING_H
#define RSP_CARD_ES8_ENCODING_H

/* ---- key establishment (Scenario #3) ---- */
#define RSP_ES8_DGI_CERT 0x3A01        /* first STORE DATA: 3A01 { 7F21 CERT.DP/SR.ECDSA } */
#define RSP_ES8_DGI_KEYAGREE 0x3A02    /* second STORE DATA: 3A02 { A6 CRT } then 7F49, 5F37 as siblings (§E2) */
#define RSP_ES8_SD_P1_CERT 0x09        /* 80 E2 09 00: more blocks follow, DGI format */
#define RSP_ES8_SD_P1_KEYAGREE 0x89    /* 80 E2 89 01: last block, block number 1 */
#define RSP_ES8_SD_P2_KEYAGREE 0x01

#define RSP_ES8_TAG_CRT 0xA6
#define RSP_ES8_TAG_SCENARIO 0x90      /* 90 02 03 <options> */
#define RSP_ES8_TAG_KUQ 0x95
#define RSP_ES8_TAG_KEYTYPE 0x80
#define RSP_ES8_TAG_KEYLEN 0x81
#define RSP_ES8_TAG_KEYID 0x82
#define RSP_ES8_TAG_KVN 0x83
#define RSP_ES8_TAG_HOSTID 0x84
#define RSP_ES8_TAG_SDIN 0x45
#define RSP_ES8_TAG_SEQ 0x91           /* 91 00: no initial counter */
#define RSP_ES8_TAG_SMSR 0x96          /* 96 01 00: an ISD-R key set of an SM-SR change */
#define RSP_ES8_TAG_EPK 0x7F49
#define RSP_ES8_TAG_POINT 0xB0         /* accepted inside 7F49 (§E4, certificate style) */
#define RSP_ES8_TAG_POINT_ALT 0x86     /* accepted inside 7F49 (GP Amd E style) */
#define RSP_ES8_TAG_CURVE 0xF0
#define RSP_ES8_TAG_SIG 0x5F37
#define RSP_ES8_TAG_RC 0x85            /* card's random challenge (answer to 3A01) and the DR */
#define RSP_ES8_TAG_RECEIPT 0x86

#define RSP_ES8_SCENARIO_ID 0x03
#define RSP_ES8_OPT_DR 0x02            /* card returns a derivation random, part of SharedInfo and receipt */
#define RSP_ES8_OPT_HOSTID 0x04        /* SDIN and HostID in the CRT; HostID LV part of SharedInfo */
#define RSP_ES8_OPT_CERT_FIRST 0x08    /* certificate verification precedes the key agreement */
#define RSP_ES8_OPT_ONE 0x01           /* set by §E2 (options 09); meaning not public, carried as is */
#define RSP_ES8_EMIT_OPTIONS 0x09      /* §E2/§E3: no DR, no HostID -> SharedInfo 10 88 10 */

#define RSP_ES8_KUQ_3KEYS 0x10         /* EMIT: §E2/§E3 and SGP.02 §ES8 */
#define RSP_ES8_KUQ_ALT 0x5C           /* ACCEPT: njiwa (§E4) */
#define RSP_ES8_KEYTYPE_AES 0x88
#define RSP_ES8_EMIT_KEYID 0x01
#define RSP_ES8_RC_LEN 16
#define RSP_ES8_DR_LEN 16

/* EMIT the ephemeral key as the raw point directly in 7F49 (§E2/§E3, the only samples whose signed
 * bytes are public); ACCEPT 7F49 { B0 point [F0 curve] } and 7F49 { 86 point } too. */
#define RSP_ES8_EMIT_RAW_POINT 1

/* ---- SCP03t (SGP.02 §SCP03t, §E4) ---- */
#define RSP_SCP03T_TAG_INIT 0x84       /* {KVN, key id, host challenge(8)}; answer 84 {INIT UPDATE response data} */
#define RSP_SCP03T_TAG_AUTH 0x85       /* {SL, host cryptogram(8)} + C-MAC */
#define RSP_SCP03T_TAG_DATA 0x86       /* {C-ENC(segment)} + C-MAC */
#define RSP_SCP03T_ERR_PREFIX 0x9F     /* errors: the two bytes 9F <code> */

#endif
