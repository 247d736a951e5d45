/* ES2+ JSON binding (include/rsp/es2p.h): one table of fields per function and direction, as
 * SGP22.md §"ES2+" lists them (pysim es2p.py, v2.5). */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es9p_int.h"
#include "rsp/es2p.h"
#include "rsp/ids.h"

static const char *const names[RSP_ES2P_FUNC_N] = {"downloadOrder", "confirmOrder", "cancelOrder",
                                                    "releaseProfile"};
static const char *const paths[RSP_ES2P_FUNC_N] = {
    "/gsma/rsp2/es2plus/downloadOrder", "/gsma/rsp2/es2plus/confirmOrder", "/gsma/rsp2/es2plus/cancelOrder",
    "/gsma/rsp2/es2plus/releaseProfile"};

const char *rsp_es2p_func_name(rsp_es2p_func f) { return (unsigned)f < RSP_ES2P_FUNC_N ? names[f] : "?"; }
const char *rsp_es2p_path(rsp_es2p_func f) { return (unsigned)f < RSP_ES2P_FUNC_N ? paths[f] : NULL; }

rsp_err rsp_es2p_path_parse(const char *target, rsp_es2p_func *f, rsp_diag *diag)
{
    if (!target || !f)
        return RSP_ERR_INVAL;
    int i = rsp_es9p__path_index(target, paths, RSP_ES2P_FUNC_N);
    if (i < 0)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "'%.80s' is no ES2+ function", target);
    *f = (rsp_es2p_func)i;
    return RSP_OK;
}

enum kind { K_TEXT, K_EID, K_ICCID, K_BOOL };
enum { REQ = 1, ANS = 2 };
#define M(f) offsetof(rsp_es2p_msg, f), sizeof(((rsp_es2p_msg *)0)->f)

typedef struct field {
    const char *json;
    rsp_es2p_func func;
    unsigned dir;
    enum kind kind;
    size_t off, cap;
    bool mandatory;
} field;

static const field fields[] = {
    {"eid", RSP_ES2P_DOWNLOAD_ORDER, REQ, K_EID, M(eid), false},
    {"iccid", RSP_ES2P_DOWNLOAD_ORDER, REQ, K_ICCID, M(iccid), false},
    {"profileType", RSP_ES2P_DOWNLOAD_ORDER, REQ, K_TEXT, M(profile_type), false},
    {"iccid", RSP_ES2P_DOWNLOAD_ORDER, ANS, K_ICCID, M(iccid), true},
    {"iccid", RSP_ES2P_CONFIRM_ORDER, REQ, K_ICCID, M(iccid), true},
    {"eid", RSP_ES2P_CONFIRM_ORDER, REQ, K_EID, M(eid), false},
    {"matchingId", RSP_ES2P_CONFIRM_ORDER, REQ, K_TEXT, M(matching_id), false},
    {"confirmationCode", RSP_ES2P_CONFIRM_ORDER, REQ, K_TEXT, M(confirmation_code), false},
    {"smdsAddress", RSP_ES2P_CONFIRM_ORDER, REQ, K_TEXT, M(smds_address), false},
    {"releaseFlag", RSP_ES2P_CONFIRM_ORDER, REQ, K_BOOL, offsetof(rsp_es2p_msg, release_flag), 0, true},
    {"eid", RSP_ES2P_CONFIRM_ORDER, ANS, K_EID, M(eid), false},
    {"matchingId", RSP_ES2P_CONFIRM_ORDER, ANS, K_TEXT, M(matching_id), true},
    {"smdpAddress", RSP_ES2P_CONFIRM_ORDER, ANS, K_TEXT, M(smdp_address), false},
    {"iccid", RSP_ES2P_CANCEL_ORDER, REQ, K_ICCID, M(iccid), true},
    {"eid", RSP_ES2P_CANCEL_ORDER, REQ, K_EID, M(eid), false},
    {"matchingId", RSP_ES2P_CANCEL_ORDER, REQ, K_TEXT, M(matching_id), false},
    {"finalProfileStatusIndicator", RSP_ES2P_CANCEL_ORDER, REQ, K_TEXT, M(final_status), true},
    {"iccid", RSP_ES2P_RELEASE_PROFILE, REQ, K_ICCID, M(iccid), true},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

void rsp_es2p_msg_init(rsp_es2p_msg *m, rsp_es2p_func f, bool response)
{
    memset(m, 0, sizeof(*m));
    m->func = f;
    m->response = response;
    m->release_flag = -1;
}

static rsp_err check_text(const field *f, const char *s, size_t n, rsp_diag *diag)
{
    if (n == 0 || n >= f->cap)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: want 1..%zu characters", f->json, f->cap - 1);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "%s: not printable ASCII", f->json);
    if (f->kind == K_EID && rsp_eid_check(s, NULL) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: not an EID (32 digits, check digits)", f->json);
    if (f->kind == K_ICCID) {
        size_t digits = n;
        if (n == 20 && (s[19] == 'F' || s[19] == 'f'))
            digits = 19;
        if (digits < 19 || digits > 20)
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: want 19 or 20 digits", f->json);
        for (size_t i = 0; i < digits; i++)
            if (!isdigit((unsigned char)s[i]))
                return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "%s: not a digit", f->json);
    }
    return RSP_OK;
}

static bool present(const rsp_es2p_msg *m, const field *f)
{
    if (f->kind == K_BOOL)
        return *(const int *)((const char *)m + f->off) >= 0;
    return ((const char *)m + f->off)[0] != '\0';
}

rsp_err rsp_es2p_encode(const rsp_es2p_msg *m, rsp_buf *out, rsp_diag *diag)
{
    if (!m || !out || (unsigned)m->func >= RSP_ES2P_FUNC_N)
        return RSP_ERR_INVAL;
    json_t *o = json_object();
    if (!o)
        return RSP_ERR_NOMEM;
    if (m->response)
        json_object_set_new(o, "header", rsp_es9p__enc_header(&m->header));
    else
        json_object_set_new(o, "header", json_pack("{s:s,s:s}", "functionRequesterIdentifier", m->requester,
                                                   "functionCallIdentifier", m->call_id));
    bool failed = m->response && (m->header.status == RSP_ES9P_FAILED || m->header.status == RSP_ES9P_EXPIRED);
    rsp_err e = RSP_OK;
    unsigned dir = m->response ? ANS : REQ;
    for (size_t i = 0; e == RSP_OK && !failed && i < NFIELDS; i++) {
        const field *f = &fields[i];
        if (f->func != m->func || f->dir != dir)
            continue;
        if (!present(m, f)) {
            if (f->mandatory)
                e = rsp_diag_set(diag, RSP_ERR_INVAL, "%s: mandatory and empty", f->json);
            continue;
        }
        if (f->kind == K_BOOL) {
            json_object_set_new(o, f->json, json_boolean(*(const int *)((const char *)m + f->off)));
            continue;
        }
        const char *s = (const char *)m + f->off;
        if ((e = check_text(f, s, strlen(s), diag)) != RSP_OK)
            e = RSP_ERR_INVAL;
        else
            json_object_set_new(o, f->json, json_string(s));
    }
    if (e == RSP_OK) {
        char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        e = txt ? rsp_buf_append(out, txt, strlen(txt)) : RSP_ERR_NOMEM;
        free(txt);
    }
    json_decref(o);
    return e;
}

static rsp_err dec_req_header(json_t *hd, rsp_es2p_msg *m, rsp_diag *diag)
{
    if (!json_is_object(hd))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "no request header object");
    const char *keys[] = {"functionRequesterIdentifier", "functionCallIdentifier"};
    char *dst[] = {m->requester, m->call_id};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(hd, keys[i]);
        const char *s = json_string_value(v);
        size_t n = s ? json_string_length(v) : 0;
        if (!s || n == 0 || n > 64 || strlen(s) != n)
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "header: %s must be 1..64 characters", keys[i]);
        memcpy(dst[i], s, n + 1);
    }
    return RSP_OK;
}

rsp_err rsp_es2p_decode(rsp_es2p_func f, bool response, const uint8_t *js, size_t len, rsp_es2p_msg *out,
                        rsp_diag *diag)
{
    if (!out || (unsigned)f >= RSP_ES2P_FUNC_N || (!js && len))
        return RSP_ERR_INVAL;
    rsp_es2p_msg_init(out, f, response);
    json_error_t je;
    json_t *o = json_loadb((const char *)js, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)je.position, "JSON: %s", je.text);
    rsp_err e = json_is_object(o) ? RSP_OK : rsp_diag_set(diag, RSP_ERR_FORMAT, "JSON: the body is not an object");
    json_t *hd = e ? NULL : json_object_get(o, "header");
    if (!e)
        e = !hd ? rsp_diag_set(diag, RSP_ERR_FORMAT, "no header")
            : response ? rsp_es9p__dec_header(hd, &out->header, diag) : dec_req_header(hd, out, diag);
    bool failed = response && (out->header.status == RSP_ES9P_FAILED || out->header.status == RSP_ES9P_EXPIRED);
    unsigned dir = response ? ANS : REQ;
    for (size_t i = 0; e == RSP_OK && i < NFIELDS; i++) {
        const field *fd = &fields[i];
        if (fd->func != f || fd->dir != dir)
            continue;
        json_t *v = json_object_get(o, fd->json);
        if (!v) {
            if (fd->mandatory && !failed)
                e = rsp_diag_set(diag, RSP_ERR_FORMAT, "no %s", fd->json);
            continue;
        }
        if (fd->kind == K_BOOL) {
            if (!json_is_boolean(v))
                e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is not a boolean", fd->json);
            else
                *(int *)((char *)out + fd->off) = json_is_true(v);
            continue;
        }
        const char *s = json_string_value(v);
        size_t n = s ? json_string_length(v) : 0;
        if (!s || strlen(s) != n)
            e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is not a string", fd->json);
        else if ((e = check_text(fd, s, n, diag)) == RSP_OK)
            memcpy((char *)out + fd->off, s, n + 1);
    }
    json_decref(o);
    if (e != RSP_OK)
        rsp_es2p_msg_init(out, f, response);
    return e;
}
