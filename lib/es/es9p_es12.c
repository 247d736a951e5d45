/* ES12 JSON codec (include/rsp/smds.h). It lives in lib/es, beside the ES9+ codec whose header
 * functions (es9p_int.h) it uses so that every JSON interface writes functionExecutionStatus the same
 * way, and because both ends need it: the SM-DS (lib/smds) and the SM-DP+ (lib/smdpp, its outbox). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "es9p_int.h"
#include "rsp/ids.h"
#include "rsp/smds.h"

static const char *const paths[RSP_SMDS_ES12_FUNC_N] = {
    "/gsma/rsp2/es12/registerEvent",
    "/gsma/rsp2/es12/deleteEvent",
};

const char *rsp_smds_es12_path(rsp_smds_es12_func f)
{
    return (unsigned)f < RSP_SMDS_ES12_FUNC_N ? paths[f] : "?";
}

rsp_err rsp_smds_es12_path_parse(const char *target, rsp_smds_es12_func *f, rsp_diag *diag)
{
    if (!target || !f)
        return RSP_ERR_INVAL;
    int i = rsp_es9p__path_index(target, paths, RSP_SMDS_ES12_FUNC_N);
    if (i < 0)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "not an ES12 path");
    *f = (rsp_smds_es12_func)i;
    return RSP_OK;
}

void rsp_smds_es12_msg_init(rsp_smds_es12_msg *m, rsp_smds_es12_func f, bool response)
{
    memset(m, 0, sizeof(*m));
    m->func = f;
    m->response = response;
}

/* host[:port]: letters, digits, '-', '.', then an optional :port of 1..5 digits. */
static bool address_ok(const char *a)
{
    size_t n = strlen(a), host = strcspn(a, ":");
    if (host == 0 || n > RSP_ES9P_MAX_ADDRESS)
        return false;
    for (size_t i = 0; i < host; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.", a[i]))
            return false;
    if (host == n)
        return true;
    size_t port = n - host - 1;
    if (port == 0 || port > 5)
        return false;
    for (size_t i = host + 1; i < n; i++)
        if (a[i] < '0' || a[i] > '9')
            return false;
    return true;
}

/* The request fields' own checks, shared by encode (our mistakes) and decode (theirs). */
static rsp_err check_request(const rsp_smds_es12_msg *m, rsp_err code, rsp_diag *diag)
{
    size_t r = strlen(m->requester), c = strlen(m->call_id);
    if (r == 0 || r > 64 || c == 0 || c > 64)
        return rsp_diag_set(diag, code, "header: functionRequesterIdentifier and functionCallIdentifier "
                                         "must be 1..64 characters");
    char want[3];
    if (rsp_eid_check(m->eid, want) != RSP_OK)
        return rsp_diag_set(diag, code, "eid is not a valid EID");
    if (!rsp_es9p_matching_id_ok(m->event_id))
        return rsp_diag_set(diag, code, "eventId must be 1..64 of [A-Za-z0-9-]");
    if (m->func == RSP_SMDS_REGISTER_EVENT && !address_ok(m->rsp_server_address))
        return rsp_diag_set(diag, code, "rspServerAddress is not a host[:port]");
    return RSP_OK;
}

rsp_err rsp_smds_es12_encode(const rsp_smds_es12_msg *m, rsp_buf *out, rsp_diag *diag)
{
    if (!m || !out || (unsigned)m->func >= RSP_SMDS_ES12_FUNC_N)
        return RSP_ERR_INVAL;
    rsp_err e = m->response ? RSP_OK : check_request(m, RSP_ERR_INVAL, diag);
    if (e)
        return e;
    json_t *o = json_object();
    json_t *hd = m->response ? rsp_es9p__enc_header(&m->header)
                             : json_pack("{s:s,s:s}", "functionRequesterIdentifier", m->requester,
                                         "functionCallIdentifier", m->call_id);
    if (!o || !hd || json_object_set_new(o, "header", hd) != 0)
        e = RSP_ERR_NOMEM;
    if (!e && !m->response) {
        if (json_object_set_new(o, "eid", json_string(m->eid)) != 0 ||
            json_object_set_new(o, "eventId", json_string(m->event_id)) != 0)
            e = RSP_ERR_NOMEM;
        if (!e && m->func == RSP_SMDS_REGISTER_EVENT &&
            (json_object_set_new(o, "rspServerAddress", json_string(m->rsp_server_address)) != 0 ||
             json_object_set_new(o, "forwardingIndicator", json_boolean(m->forwarding_indicator)) != 0))
            e = RSP_ERR_NOMEM;
    }
    if (!e) {
        char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        e = txt ? rsp_buf_append(out, txt, strlen(txt)) : RSP_ERR_NOMEM;
        free(txt);
    }
    json_decref(o);
    return e;
}

/* A string field of at most cap - 1 bytes without NUL into dst. */
static rsp_err get_str(json_t *o, const char *key, char *dst, size_t cap, rsp_diag *diag)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "no %s", key);
    const char *s = json_string_value(v);
    if (!s)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is not a string", key);
    size_t n = json_string_length(v);
    if (n >= cap || strlen(s) != n)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is longer than %zu characters or holds NUL", key, cap - 1);
    memcpy(dst, s, n + 1);
    return RSP_OK;
}

static rsp_err decode_request(json_t *o, rsp_smds_es12_msg *m, rsp_diag *diag)
{
    json_t *hd = json_object_get(o, "header");
    if (!json_is_object(hd))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "no request header object");
    rsp_err e = get_str(hd, "functionRequesterIdentifier", m->requester, sizeof(m->requester), diag);
    e = e ? e : get_str(hd, "functionCallIdentifier", m->call_id, sizeof(m->call_id), diag);
    e = e ? e : get_str(o, "eid", m->eid, sizeof(m->eid), diag);
    e = e ? e : get_str(o, "eventId", m->event_id, sizeof(m->event_id), diag);
    if (!e && m->func == RSP_SMDS_REGISTER_EVENT) {
        e = get_str(o, "rspServerAddress", m->rsp_server_address, sizeof(m->rsp_server_address), diag);
        json_t *fi = json_object_get(o, "forwardingIndicator");
        /* absent: no cascade (a leaf SM-DS answering its own ES11 only) */
        if (!e && fi && !json_is_boolean(fi))
            e = rsp_diag_set(diag, RSP_ERR_FORMAT, "forwardingIndicator is not a boolean");
        m->forwarding_indicator = !e && fi && json_is_true(fi);
    }
    return e ? e : check_request(m, RSP_ERR_FORMAT, diag);
}

rsp_err rsp_smds_es12_decode(rsp_smds_es12_func f, bool response, const uint8_t *js, size_t len,
                             rsp_smds_es12_msg *out, rsp_diag *diag)
{
    if (!out || (unsigned)f >= RSP_SMDS_ES12_FUNC_N || (!js && len))
        return RSP_ERR_INVAL;
    rsp_smds_es12_msg_init(out, f, response);
    json_error_t je;
    json_t *o = json_loadb((const char *)js, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)je.position, "JSON: %s", je.text);
    rsp_err e;
    if (!json_is_object(o))
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "JSON: the body is not an object");
    else if (response) {
        json_t *hd = json_object_get(o, "header");
        e = hd ? rsp_es9p__dec_header(hd, &out->header, diag) : rsp_diag_set(diag, RSP_ERR_FORMAT, "no header");
    } else
        e = decode_request(o, out, diag);
    json_decref(o);
    if (e)
        rsp_smds_es12_msg_init(out, f, response);
    return e;
}
