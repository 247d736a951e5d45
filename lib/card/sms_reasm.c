/* Card-side reassembly of concatenated SMS (secured packets spread over several SMS-DELIVERs).
 * A set is keyed by (origin, reference, reference width, part count): the same reference from two
 * senders, or reused with another count, are different messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/sms.h"

static void set_drop(rsp_sms_reasm_set *s)
{
    if (s->parts) {
        for (size_t i = 0; i < s->total; i++)
            rsp_buf_free(&s->parts[i]);
        free(s->parts);
    }
    memset(s, 0, sizeof(*s));
}

void rsp_sms_reasm_init(rsp_sms_reasm *r, uint64_t timeout_ms)
{
    memset(r, 0, sizeof(*r));
    r->timeout_ms = timeout_ms;
}

void rsp_sms_reasm_free(rsp_sms_reasm *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < RSP_SMS_REASM_SETS; i++)
        set_drop(&r->sets[i]);
}

size_t rsp_sms_reasm_expire(rsp_sms_reasm *r, uint64_t now_ms)
{
    size_t n = 0;
    for (size_t i = 0; i < RSP_SMS_REASM_SETS; i++) {
        rsp_sms_reasm_set *s = &r->sets[i];
        /* A clock that went backwards does not expire anything. */
        if (s->used && now_ms >= s->first_ms && now_ms - s->first_ms >= r->timeout_ms) {
            set_drop(s);
            n++;
        }
    }
    return n;
}

size_t rsp_sms_reasm_pending(const rsp_sms_reasm *r)
{
    size_t n = 0;
    for (size_t i = 0; i < RSP_SMS_REASM_SETS; i++)
        n += r->sets[i].used;
    return n;
}

static rsp_sms_reasm_set *find_or_make(rsp_sms_reasm *r, const char *origin, const rsp_sms_udh *u, uint64_t now_ms,
                                       rsp_err *err)
{
    rsp_sms_reasm_set *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < RSP_SMS_REASM_SETS; i++) {
        rsp_sms_reasm_set *s = &r->sets[i];
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->ref == u->ref && s->ref16 == u->ref16 && s->total == u->total && strcmp(s->origin, origin) == 0)
            return s;
        if (!oldest || s->first_ms < oldest->first_ms)
            oldest = s;
    }
    rsp_sms_reasm_set *s = free_slot;
    if (!s) {
        set_drop(oldest);
        s = oldest;
    }
    s->parts = calloc(u->total, sizeof(rsp_buf));
    if (!s->parts) {
        *err = RSP_ERR_NOMEM;
        return NULL;
    }
    s->used = true;
    s->ref = u->ref;
    s->ref16 = u->ref16;
    s->total = u->total;
    s->first_ms = now_ms;
    snprintf(s->origin, sizeof(s->origin), "%s", origin);
    return s;
}

rsp_err rsp_sms_reasm_add(rsp_sms_reasm *r, const char *origin, const uint8_t *ud, size_t len, uint64_t now_ms,
                          rsp_buf *out, uint8_t *iei, bool *done, rsp_diag *diag)
{
    if (!r || !out || !iei || !done || (!ud && len))
        return RSP_ERR_INVAL;
    *done = false;
    *iei = 0;
    if (!origin)
        origin = "";
    rsp_sms_udh u;
    rsp_err e = rsp_sms_udh_parse(ud, len, &u, diag);
    if (e != RSP_OK)
        return e;
    rsp_sms_reasm_expire(r, now_ms);
    if (!u.concat || u.total == 1) {
        rsp_buf_reset(out);
        *iei = u.spkt_iei;
        *done = true;
        return rsp_buf_append(out, ud + u.len, len - u.len);
    }
    rsp_sms_reasm_set *s = find_or_make(r, origin, &u, now_ms, &e);
    if (!s)
        return e;
    rsp_buf *slot = &s->parts[u.seq - 1];
    if (slot->data)
        return RSP_OK; /* a repeated part: the first copy stands */
    /* An empty part still needs a non-NULL marker that it arrived. */
    if ((e = rsp_buf_reserve(slot, len - u.len + 1)) != RSP_OK || (e = rsp_buf_append(slot, ud + u.len, len - u.len)) != RSP_OK)
        return e;
    if (u.seq == 1)
        s->iei = u.spkt_iei;
    if (++s->have < s->total)
        return RSP_OK;
    rsp_buf_reset(out);
    for (size_t i = 0; i < s->total && e == RSP_OK; i++)
        e = rsp_buf_append(out, s->parts[i].data, s->parts[i].len);
    *iei = s->iei;
    set_drop(s);
    if (e == RSP_OK)
        *done = true;
    return e;
}
