/* Internals of the ES10 codecs (es10_*.c): a table-driven reader of DER SEQUENCE members, so each
 * decoder is a list of the notes' fields rather than a loop of its own. */
#ifndef RSP_ES10_INT_H
#define RSP_ES10_INT_H

#include "rsp/es10.h"
#include "rsp/tlv.h"

enum {
    ES10_OPT = 1u << 0, /* the member may be absent (its out stays {NULL, 0}) */
    ES10_RAW = 1u << 1, /* out gets the whole TLV (tag and length included), not the value */
};

/* One member of a SEQUENCE: its tag, value length bounds (max 0: any), where it goes. */
typedef struct es10_field {
    uint32_t tag;
    unsigned flags;
    size_t min, max;
    rsp_bytes *out;
} es10_field;

/* p must be exactly one DER TLV with this tag; origin is the start of the caller's whole input, for
 * the offsets in diag. */
rsp_err es10_outer(const uint8_t *origin, const uint8_t *p, size_t len, uint32_t tag, rsp_tlv *out, rsp_diag *d);
/* Reads the members of t's value in order against the table: mandatory ones must be there, known ones
 * in order and once, unknown ones (extensions) skipped. Outputs of absent optional members are cleared. */
rsp_err es10_fields(const uint8_t *origin, const rsp_tlv *t, const es10_field *f, size_t n, rsp_diag *d);
/* A DER INTEGER value within [min, max]. */
rsp_err es10_int(const uint8_t *origin, rsp_bytes v, long min, long max, long *out, rsp_diag *d);
rsp_err es10_put_int(rsp_buf *b, uint32_t tag, long v);
/* A result or error code INTEGER: values in lowest..127 as they are, any other reads as 127
 * (undefined): the enumerations grew over versions. */
rsp_err es10_code(const uint8_t *origin, rsp_bytes v, int lowest, int *out, rsp_diag *d);
/* The two-form answers T{ok_tag ...} | T{err_tag ...}: p must be one T TLV holding exactly one form.
 * *ok gets the whole ok TLV; *err the whole error TLV when err_tag is constructed, its value when not.
 * The absent one is {NULL, 0}. */
rsp_err es10_answer(const uint8_t *p, size_t len, uint32_t tag, uint32_t ok_tag, uint32_t err_tag, rsp_bytes *ok,
                    rsp_bytes *err, rsp_diag *d);
/* The ok form of a signed answer: A0{<signed object as given>, 5F37 signature}. */
rsp_err es10_put_signed(rsp_buf *b, rsp_bytes signed_raw, rsp_bytes sig);
/* A BOOLEAN (01 FF / 01 00; DER says FF for true, 01..FE accepted as true). */
rsp_err es10_bool(const uint8_t *origin, rsp_bytes v, bool *out, rsp_diag *d);
/* Copies a fixed-size value (n bytes exactly). */
rsp_err es10_fixed(const uint8_t *origin, rsp_bytes v, uint8_t *out, size_t n, const char *what, rsp_diag *d);
/* NotificationEvent BIT STRING (DER, up to the highest bit set) <-> RSP_ES10_EVENT_* bits. */
rsp_err es10_events_put(rsp_buf *b, uint32_t tag, unsigned events);
rsp_err es10_events_get(const uint8_t *origin, rsp_bytes v, unsigned *out, rsp_diag *d);
/* Diag offset of a pointer into the input. */
static inline size_t es10_off(const uint8_t *origin, const uint8_t *p)
{
    return p && origin && p >= origin ? (size_t)(p - origin) : 0;
}

#endif
