/* ES11 (LPA <-> SM-DS) in the JSON binding of ES9+ (include/rsp/es9p.h §ES11): the two path families
 * and the authenticateClient answer that lists event records. The header goes through the ES9+
 * codec's own functions (es9p_int.h), so both interfaces write functionExecutionStatus alike. */
#include <stdlib.h>
#include <string.h>

#include "es9p_int.h"

static const char *const es11_paths[] = {"/gsma/rsp2/es11/initiateAuthentication",
                                         "/gsma/rsp2/es11/authenticateClient"};

const char *rsp_es9p_es11_path(rsp_es9p_func f)
{
    return f == RSP_ES9P_INITIATE_AUTHENTICATION || f == RSP_ES9P_AUTHENTICATE_CLIENT ? es11_paths[f] : NULL;
}

rsp_err rsp_es9p_es11_path_parse(const char *target, rsp_es9p_func *f, rsp_diag *diag)
{
    if (!target || !f)
        return RSP_ERR_INVAL;
    int i = rsp_es9p__path_index(target, es11_paths, sizeof(es11_paths) / sizeof(es11_paths[0]));
    if (i >= 0) {
        *f = (rsp_es9p_func)i;
        return RSP_OK;
    }
    rsp_es9p_func g;
    if (rsp_es9p_path_parse(target, &g, NULL) == RSP_OK &&
        (g == RSP_ES9P_INITIATE_AUTHENTICATION || g == RSP_ES9P_AUTHENTICATE_CLIENT)) {
        *f = g;
        return RSP_OK;
    }
    return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "'%.80s' is no ES11 function", target);
}

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return false;
    return n > 0;
}

static bool tid_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > RSP_ES9P_MAX_TID_HEX || n % 2)
        return false;
    return strspn(s, "0123456789abcdefABCDEF") == n;
}

/* The checks of one entry, shared by encode (our mistake: INVAL) and decode (theirs: FORMAT). */
static rsp_err entry_check(const rsp_es11_event *ev, size_t i, rsp_err code, rsp_diag *diag)
{
    if (!rsp_es9p_matching_id_ok(ev->event_id))
        return rsp_diag_set(diag, code, "eventEntries[%zu].eventId must be 1..64 of [A-Za-z0-9-]", i);
    size_t n = strnlen(ev->rsp_server_address, sizeof(ev->rsp_server_address));
    if (n >= sizeof(ev->rsp_server_address) || !printable(ev->rsp_server_address, n))
        return rsp_diag_set(diag, code, "eventEntries[%zu].rspServerAddress must be 1..255 printable characters", i);
    return RSP_OK;
}

rsp_err rsp_es9p_es11_answer_encode(const rsp_es11_answer *a, rsp_buf *out, rsp_diag *diag)
{
    if (!a || !out || a->n_events > RSP_ES11_MAX_EVENTS)
        return RSP_ERR_INVAL;
    bool failed = a->header.status == RSP_ES9P_FAILED || a->header.status == RSP_ES9P_EXPIRED;
    if (!failed && !tid_ok(a->transaction_id))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "transactionId: want 2..32 hex digits, even");
    for (size_t i = 0; !failed && i < a->n_events; i++) {
        rsp_err e = entry_check(&a->events[i], i, RSP_ERR_INVAL, diag);
        if (e)
            return e;
    }
    json_t *o = json_object(), *hd = rsp_es9p__enc_header(&a->header), *arr = json_array();
    rsp_err e = o && hd && arr && json_object_set_new(o, "header", hd) == 0 ? RSP_OK : RSP_ERR_NOMEM;
    if (e)
        json_decref(hd);
    if (!e && !failed) {
        for (size_t i = 0; !e && i < a->n_events; i++) {
            json_t *ev = json_pack("{s:s,s:s}", "eventId", a->events[i].event_id, "rspServerAddress",
                                   a->events[i].rsp_server_address);
            if (!ev || json_array_append_new(arr, ev) != 0)
                e = RSP_ERR_NOMEM;
        }
        if (!e && (json_object_set_new(o, "transactionId", json_string(a->transaction_id)) != 0 ||
                   json_object_set(o, "eventEntries", arr) != 0))
            e = RSP_ERR_NOMEM;
    }
    if (!e) {
        char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        e = txt ? rsp_buf_append(out, txt, strlen(txt)) : RSP_ERR_NOMEM;
        free(txt);
    }
    json_decref(arr);
    json_decref(o);
    return e;
}

/* A string member into dst[cap]: RSP_ERR_FORMAT when absent, not a string, too long or holding NUL. */
static rsp_err get_str(json_t *o, const char *key, char *dst, size_t cap, rsp_diag *diag)
{
    json_t *v = json_object_get(o, key);
    const char *s = json_string_value(v);
    if (!s)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, v ? "%s is not a string" : "no %s", key);
    size_t n = json_string_length(v);
    if (n >= cap || strlen(s) != n)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: longer than %zu characters or holds NUL", key, cap - 1);
    memcpy(dst, s, n + 1);
    return RSP_OK;
}

static rsp_err decode_body(json_t *o, rsp_es11_answer *a, rsp_diag *diag)
{
    if (!json_is_object(o))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "JSON: the body is not an object");
    json_t *hd = json_object_get(o, "header");
    if (!hd)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "no header in an answer");
    rsp_err e = rsp_es9p__dec_header(hd, &a->header, diag);
    if (e || a->header.status == RSP_ES9P_FAILED || a->header.status == RSP_ES9P_EXPIRED)
        return e;
    if ((e = get_str(o, "transactionId", a->transaction_id, sizeof(a->transaction_id), diag)) != RSP_OK)
        return e;
    if (!tid_ok(a->transaction_id))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "transactionId: want 2..32 hex digits, even");
    json_t *arr = json_object_get(o, "eventEntries");
    if (!json_is_array(arr))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, arr ? "eventEntries is not an array" : "no eventEntries");
    if (json_array_size(arr) > RSP_ES11_MAX_EVENTS)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "eventEntries: %zu entries, at most %d", json_array_size(arr),
                            RSP_ES11_MAX_EVENTS);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *ev = json_array_get(arr, i);
        rsp_es11_event *d = &a->events[i];
        if (!json_is_object(ev))
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "eventEntries[%zu] is not an object", i);
        if ((e = get_str(ev, "eventId", d->event_id, sizeof(d->event_id), diag)) != RSP_OK ||
            (e = get_str(ev, "rspServerAddress", d->rsp_server_address, sizeof(d->rsp_server_address), diag)) !=
                RSP_OK ||
            (e = entry_check(d, i, RSP_ERR_FORMAT, diag)) != RSP_OK)
            return e;
        a->n_events = i + 1;
    }
    return RSP_OK;
}

rsp_err rsp_es9p_es11_answer_decode(const uint8_t *js, size_t len, rsp_es11_answer *out, rsp_diag *diag)
{
    if (!out || (!js && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    json_error_t je;
    json_t *o = json_loadb((const char *)js, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)je.position, "JSON: %s", je.text);
    rsp_err e = decode_body(o, out, diag);
    json_decref(o);
    if (e)
        memset(out, 0, sizeof(*out));
    return e;
}
