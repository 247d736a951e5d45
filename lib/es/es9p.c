/* ES9+ JSON binding (include/rsp/es9p.h): one table of fields says, per function and direction,
 * which JSON keys exist, how each is carried (base64 of DER with its outer tag, base64 of raw bytes,
 * hex string, text) and whether it is mandatory; encoder and decoder both walk it, so the LPA and the
 * SM-DP+ cannot disagree on a name. SGP22.md §"ES9+" is the source of the table. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "es9p_int.h"
#include "es_int.h"
#include "rsp/tlv.h"

static const char *const func_names[RSP_ES9P_FUNC_N] = {
    "initiateAuthentication", "authenticateClient", "getBoundProfilePackage", "handleNotification",
    "cancelSession",
};
static const char *const func_paths[RSP_ES9P_FUNC_N] = {
    "/gsma/rsp2/es9plus/initiateAuthentication", "/gsma/rsp2/es9plus/authenticateClient",
    "/gsma/rsp2/es9plus/getBoundProfilePackage", "/gsma/rsp2/es9plus/handleNotification",
    "/gsma/rsp2/es9plus/cancelSession",
};
static const char *const status_names[] = {"Executed-Success", "Executed-WithWarning", "Failed", "Expired"};

const char *rsp_es9p_func_name(rsp_es9p_func f)
{
    return (unsigned)f < RSP_ES9P_FUNC_N ? func_names[f] : "?";
}

const char *rsp_es9p_path(rsp_es9p_func f)
{
    return (unsigned)f < RSP_ES9P_FUNC_N ? func_paths[f] : NULL;
}

int rsp_es9p__path_index(const char *target, const char *const *paths, size_t n)
{
    size_t len = strcspn(target, "?");
    for (size_t i = 0; i < n; i++)
        if (strlen(paths[i]) == len && memcmp(paths[i], target, len) == 0)
            return (int)i;
    return -1;
}

rsp_err rsp_es9p_path_parse(const char *target, rsp_es9p_func *f, rsp_diag *diag)
{
    if (!target || !f)
        return RSP_ERR_INVAL;
    int i = rsp_es9p__path_index(target, func_paths, RSP_ES9P_FUNC_N);
    if (i < 0)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "'%.80s' is no ES9+ function", target);
    *f = (rsp_es9p_func)i;
    return RSP_OK;
}

/* ---- the field table ---- */
enum kind { K_DER, K_RAW, K_TID, K_TEXT };
enum { REQ = 1, ANS = 2 };

typedef struct field {
    const char *json;
    rsp_es9p_func func;
    unsigned dir;        /* REQ or ANS */
    enum kind kind;
    size_t off;          /* of the rsp_buf (K_DER, K_RAW) or char array (K_TID, K_TEXT) */
    uint32_t tag, tag2;  /* K_DER: accepted outer tags (tag2 0: one) */
    size_t raw_len;      /* K_RAW: exact size */
    bool optional;
} field;

#define B(m) offsetof(rsp_es9p_msg, m)
static const field fields[] = {
    {"euiccChallenge", RSP_ES9P_INITIATE_AUTHENTICATION, REQ, K_RAW, B(euicc_challenge), 0, 0, 16, false},
    {"euiccInfo1", RSP_ES9P_INITIATE_AUTHENTICATION, REQ, K_DER, B(euicc_info1), 0xBF20, 0, 0, false},
    {"smdpAddress", RSP_ES9P_INITIATE_AUTHENTICATION, REQ, K_TEXT, B(smdp_address), 0, 0, 0, false},
    {"transactionId", RSP_ES9P_INITIATE_AUTHENTICATION, ANS, K_TID, B(transaction_id), 0, 0, 0, false},
    {"serverSigned1", RSP_ES9P_INITIATE_AUTHENTICATION, ANS, K_DER, B(server_signed1), 0x30, 0, 0, false},
    {"serverSignature1", RSP_ES9P_INITIATE_AUTHENTICATION, ANS, K_DER, B(server_signature1), 0x5F37, 0, 0, false},
    {"euiccCiPKIdToBeUsed", RSP_ES9P_INITIATE_AUTHENTICATION, ANS, K_DER, B(euicc_ci_pkid), 0x04, 0, 0, false},
    {"serverCertificate", RSP_ES9P_INITIATE_AUTHENTICATION, ANS, K_DER, B(server_certificate), 0x30, 0, 0, false},
    {"transactionId", RSP_ES9P_AUTHENTICATE_CLIENT, REQ, K_TID, B(transaction_id), 0, 0, 0, false},
    {"authenticateServerResponse", RSP_ES9P_AUTHENTICATE_CLIENT, REQ, K_DER, B(authenticate_server_response),
     0xBF38, 0, 0, false},
    {"transactionId", RSP_ES9P_AUTHENTICATE_CLIENT, ANS, K_TID, B(transaction_id), 0, 0, 0, false},
    {"profileMetadata", RSP_ES9P_AUTHENTICATE_CLIENT, ANS, K_DER, B(profile_metadata), 0xBF25, 0, 0, false},
    {"smdpSigned2", RSP_ES9P_AUTHENTICATE_CLIENT, ANS, K_DER, B(smdp_signed2), 0x30, 0, 0, false},
    {"smdpSignature2", RSP_ES9P_AUTHENTICATE_CLIENT, ANS, K_DER, B(smdp_signature2), 0x5F37, 0, 0, false},
    {"smdpCertificate", RSP_ES9P_AUTHENTICATE_CLIENT, ANS, K_DER, B(smdp_certificate), 0x30, 0, 0, false},
    {"transactionId", RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, REQ, K_TID, B(transaction_id), 0, 0, 0, false},
    {"prepareDownloadResponse", RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, REQ, K_DER, B(prepare_download_response),
     0xBF21, 0, 0, false},
    {"transactionId", RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, ANS, K_TID, B(transaction_id), 0, 0, 0, false},
    {"boundProfilePackage", RSP_ES9P_GET_BOUND_PROFILE_PACKAGE, ANS, K_DER, B(bound_profile_package), 0xBF36, 0, 0,
     false},
    {"pendingNotification", RSP_ES9P_HANDLE_NOTIFICATION, REQ, K_DER, B(pending_notification), 0xBF37, 0x30, 0,
     false},
    {"transactionId", RSP_ES9P_CANCEL_SESSION, REQ, K_TID, B(transaction_id), 0, 0, 0, false},
    {"cancelSessionResponse", RSP_ES9P_CANCEL_SESSION, REQ, K_DER, B(cancel_session_response), 0xBF41, 0, 0, false},
    /* osmo-smdpp echoes it; SGP22.md leaves the answer at "header only" */
    {"transactionId", RSP_ES9P_CANCEL_SESSION, ANS, K_TID, B(transaction_id), 0, 0, 0, true},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static rsp_buf *buf_at(rsp_es9p_msg *m, const field *f) { return (rsp_buf *)((char *)m + f->off); }
static const rsp_buf *cbuf_at(const rsp_es9p_msg *m, const field *f)
{
    return (const rsp_buf *)((const char *)m + f->off);
}
static size_t text_cap(const field *f)
{
    return f->kind == K_TID ? RSP_ES9P_MAX_TID_HEX + 1 : RSP_ES9P_MAX_ADDRESS + 1;
}

void rsp_es9p_msg_init(rsp_es9p_msg *m, rsp_es9p_func f, bool response)
{
    memset(m, 0, sizeof(*m));
    m->func = f;
    m->response = response;
}

void rsp_es9p_msg_free(rsp_es9p_msg *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].kind == K_DER || fields[i].kind == K_RAW)
            rsp_buf_free(buf_at(m, &fields[i]));
    rsp_es9p_func f = m->func;
    bool r = m->response;
    rsp_es9p_msg_init(m, f, r);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

void rsp_es9p_set_failed(rsp_es9p_msg *m, const char *subject, const char *reason, const char *message)
{
    m->header.status = RSP_ES9P_FAILED;
    copy_str(m->header.subject_code, sizeof(m->header.subject_code), subject);
    copy_str(m->header.reason_code, sizeof(m->header.reason_code), reason);
    copy_str(m->header.message, sizeof(m->header.message), message);
}

/* ---- field value checks (shared by both directions) ---- */
static bool text_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
            return false;
    return true;
}

static rsp_err check_tid(const char *s, size_t len, rsp_diag *diag)
{
    if (len < 2 || len > RSP_ES9P_MAX_TID_HEX || len % 2)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "transactionId: %zu characters, want 2..32 and even", len);
    for (size_t i = 0; i < len; i++)
        if (!isxdigit((unsigned char)s[i]))
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "transactionId: '%c' is not a hex digit", s[i]);
    return RSP_OK;
}

static rsp_err check_der(const field *f, const uint8_t *p, size_t len, rsp_diag *diag)
{
    rsp_tlv t;
    rsp_diag d2 = {0};
    rsp_err e = rsp_tlv_parse(p, len, RSP_TLV_DER, &t, &d2);
    if (e != RSP_OK)
        return rsp_diag_set_at(diag, e, d2.has_offset ? d2.offset : 0, "%s: not one DER TLV: %s", f->json, d2.msg);
    if (t.raw_len != len)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, t.raw_len, "%s: %zu bytes after the TLV", f->json,
                               len - t.raw_len);
    if (t.tag != f->tag && (f->tag2 == 0 || t.tag != f->tag2))
        return rsp_diag_set_at(diag, RSP_ERR_TAG, 0, "%s: tag %X, want %X", f->json, (unsigned)t.tag,
                               (unsigned)f->tag);
    return RSP_OK;
}

static rsp_err check_bytes(const field *f, const uint8_t *p, size_t len, rsp_diag *diag)
{
    if (f->kind == K_RAW)
        return len == f->raw_len ? RSP_OK
                                 : rsp_diag_set(diag, RSP_ERR_LENGTH, "%s: %zu bytes, want %zu", f->json, len,
                                                f->raw_len);
    return check_der(f, p, len, diag);
}

static bool field_present(const rsp_es9p_msg *m, const field *f)
{
    if (f->kind == K_DER || f->kind == K_RAW)
        return cbuf_at(m, f)->len > 0;
    return ((const char *)m + f->off)[0] != '\0';
}

/* ---- encode ---- */
static rsp_err set_new(json_t *o, const char *k, json_t *v)
{
    return v && json_object_set_new(o, k, v) == 0 ? RSP_OK : RSP_ERR_NOMEM;
}

/* A header string as JSON, each byte outside printable ASCII sent as '?': the message may quote outside
 * input, and no string of an encoded message may spell a splice placeholder (json_splice.c). */
static json_t *hdr_str(const char *s)
{
    char b[sizeof(((rsp_es9p_header *)0)->message)];
    size_t n = strnlen(s, sizeof b - 1);
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E ? '?' : s[i];
    b[n] = '\0';
    return json_string(b);
}

json_t *rsp_es9p__enc_header(const rsp_es9p_header *h)
{
    json_t *st = json_object();
    if (!st)
        return NULL;
    unsigned s = (unsigned)h->status < 4 ? (unsigned)h->status : 2;
    json_object_set_new(st, "status", json_string(status_names[s]));
    if (h->subject_code[0] || h->reason_code[0]) {
        json_t *cd = json_object();
        json_object_set_new(cd, "subjectCode", hdr_str(h->subject_code));
        json_object_set_new(cd, "reasonCode", hdr_str(h->reason_code));
        if (h->subject_id[0])
            json_object_set_new(cd, "subjectIdentifier", hdr_str(h->subject_id));
        if (h->message[0])
            json_object_set_new(cd, "message", hdr_str(h->message));
        json_object_set_new(st, "statusCodeData", cd);
    }
    json_t *hd = json_object();
    json_object_set_new(hd, "functionExecutionStatus", st);
    return hd;
}

/* At most this many base64 fields in one message (the widest has 4). */
enum { SPLICE_MAX = 8 };

rsp_err rsp_es9p_encode(const rsp_es9p_msg *m, rsp_buf *out, rsp_diag *diag)
{
    if (!m || !out || (unsigned)m->func >= RSP_ES9P_FUNC_N)
        return RSP_ERR_INVAL;
    bool failed = m->response && (m->header.status == RSP_ES9P_FAILED || m->header.status == RSP_ES9P_EXPIRED);
    if (m->response && m->func == RSP_ES9P_HANDLE_NOTIFICATION && !failed)
        return RSP_OK; /* HTTP 204, no body */
    unsigned dir = m->response ? ANS : REQ;
    json_t *o = json_object();
    if (!o)
        return RSP_ERR_NOMEM;
    rsp_err e = RSP_OK;
    if (m->response)
        e = set_new(o, "header", rsp_es9p__enc_header(&m->header));
    /* Base64 values go into the text after json_dumps (json_splice.c), not through jansson: the bound
     * profile package is ~16 KB of base64, most of the SM-DP+'s encoding CPU (issue 14, Numbers).
     * Base64 needs no JSON escaping (A-Z a-z 0-9 + / =; jansson escapes "/" only when asked). */
    rsp_buf b64[SPLICE_MAX];
    size_t nb = 0;
    for (size_t k = 0; k < SPLICE_MAX; k++)
        b64[k] = (rsp_buf)RSP_BUF_INIT;
    for (size_t i = 0; e == RSP_OK && !failed && i < NFIELDS; i++) {
        const field *f = &fields[i];
        if (f->func != m->func || f->dir != dir)
            continue;
        if (!field_present(m, f)) {
            if (!f->optional)
                e = rsp_diag_set(diag, RSP_ERR_INVAL, "%s: mandatory and empty", f->json);
            continue;
        }
        const char *s = (const char *)m + f->off;
        if (f->kind == K_TID || f->kind == K_TEXT) {
            size_t n = strlen(s);
            e = f->kind == K_TID ? check_tid(s, n, diag)
                                 : (text_ok(s, n) ? RSP_OK
                                                  : rsp_diag_set(diag, RSP_ERR_INVAL, "%s: not printable", f->json));
            if (e == RSP_OK)
                e = set_new(o, f->json, json_string(s));
            continue;
        }
        const rsp_buf *v = cbuf_at(m, f);
        if ((e = check_bytes(f, v->data, v->len, diag)) != RSP_OK) {
            e = RSP_ERR_INVAL;
            break;
        }
        if (nb == SPLICE_MAX) {
            e = RSP_ERR_INTERNAL; /* more base64 fields than any message has: SPLICE_MAX is too small */
            break;
        }
        char ph[RSP_ES_SPLICE_PH_MAX];
        rsp_es__splice_placeholder(nb, ph);
        if ((e = rsp_es9p_b64_encode(v->data, v->len, &b64[nb])) == RSP_OK)
            e = set_new(o, f->json, json_string(ph));
        nb++;
    }
    if (e == RSP_OK) {
        char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        /* every string of the message is printable (text_ok, header included): none spells a
         * placeholder, so END cannot happen */
        e = !txt ? RSP_ERR_NOMEM : nb ? rsp_es__splice(txt, b64, nb, out) : rsp_buf_append(out, txt, strlen(txt));
        e = e == RSP_ERR_END ? RSP_ERR_INTERNAL : e;
        free(txt);
    }
    for (size_t k = 0; k < nb; k++)
        rsp_buf_free(&b64[k]);
    json_decref(o);
    return e;
}

/* ---- decode ---- */
rsp_err rsp_es9p__dec_header(json_t *hd, rsp_es9p_header *h, rsp_diag *diag)
{
    json_t *st = json_is_object(hd) ? json_object_get(hd, "functionExecutionStatus") : NULL;
    if (!json_is_object(st))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "header: no functionExecutionStatus object");
    const char *s = json_string_value(json_object_get(st, "status"));
    if (!s)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "header: status is not a string");
    int found = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(s, status_names[i]) == 0)
            found = i;
    if (found < 0)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "header: unknown status '%.40s'", s);
    h->status = (rsp_es9p_status)found;
    json_t *cd = json_object_get(st, "statusCodeData");
    if (!cd)
        return RSP_OK;
    if (!json_is_object(cd))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "header: statusCodeData is not an object");
    static const struct {
        const char *k;
        size_t off, cap;
        bool mandatory;
    } sub[] = {
        {"subjectCode", offsetof(rsp_es9p_header, subject_code), sizeof(h->subject_code), true},
        {"reasonCode", offsetof(rsp_es9p_header, reason_code), sizeof(h->reason_code), true},
        {"subjectIdentifier", offsetof(rsp_es9p_header, subject_id), sizeof(h->subject_id), false},
        {"message", offsetof(rsp_es9p_header, message), sizeof(h->message), false},
    };
    for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
        json_t *v = json_object_get(cd, sub[i].k);
        if (!v) {
            if (sub[i].mandatory)
                return rsp_diag_set(diag, RSP_ERR_FORMAT, "statusCodeData: no %s", sub[i].k);
            continue;
        }
        const char *t = json_string_value(v);
        if (!t)
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "statusCodeData: %s is not a string", sub[i].k);
        size_t n = json_string_length(v);
        if (strlen(t) != n)
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "statusCodeData: %s holds a NUL", sub[i].k);
        /* codes are short and must fit; a long message is cut (it is for people) */
        if (n >= sub[i].cap && sub[i].mandatory)
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "statusCodeData: %s too long", sub[i].k);
        copy_str((char *)h + sub[i].off, sub[i].cap, t);
    }
    return RSP_OK;
}

static rsp_err dec_field(json_t *v, const field *f, rsp_es9p_msg *m, rsp_diag *diag)
{
    const char *s = json_string_value(v);
    if (!s)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is not a string", f->json);
    size_t n = json_string_length(v);
    if (f->kind == K_TID || f->kind == K_TEXT) {
        if (strlen(s) != n)
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s holds a NUL", f->json);
        if (f->kind == K_TID) {
            rsp_err e = check_tid(s, n, diag);
            if (e != RSP_OK)
                return e;
        } else if (n == 0 || n >= text_cap(f) || !text_ok(s, n)) {
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: want 1..%zu printable characters", f->json,
                                text_cap(f) - 1);
        }
        memcpy((char *)m + f->off, s, n + 1);
        return RSP_OK;
    }
    rsp_buf *b = buf_at(m, f);
    rsp_diag d2 = {0};
    rsp_err e = rsp_es9p_b64_decode(s, n, b, &d2);
    if (e != RSP_OK)
        return rsp_diag_set_at(diag, e, d2.offset, "%s: %s", f->json, d2.msg);
    if (b->len == 0)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is empty", f->json);
    return check_bytes(f, b->data, b->len, diag);
}

rsp_err rsp_es9p_decode(rsp_es9p_func f, bool response, const uint8_t *js, size_t len, rsp_es9p_msg *out,
                        rsp_diag *diag)
{
    if (!out || (unsigned)f >= RSP_ES9P_FUNC_N || (!js && len))
        return RSP_ERR_INVAL;
    rsp_es9p_msg_init(out, f, response);
    if (response && f == RSP_ES9P_HANDLE_NOTIFICATION && len == 0)
        return RSP_OK; /* the 204 */
    json_error_t je;
    json_t *o = json_loadb((const char *)js, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)je.position, "JSON: %s", je.text);
    rsp_err e = RSP_OK;
    if (!json_is_object(o))
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "JSON: the body is not an object");
    if (e == RSP_OK && response) {
        json_t *hd = json_object_get(o, "header");
        e = hd ? rsp_es9p__dec_header(hd, &out->header, diag) : rsp_diag_set(diag, RSP_ERR_FORMAT, "no header in an answer");
    }
    bool failed = response && (out->header.status == RSP_ES9P_FAILED || out->header.status == RSP_ES9P_EXPIRED);
    unsigned dir = response ? ANS : REQ;
    for (size_t i = 0; e == RSP_OK && i < NFIELDS; i++) {
        const field *fd = &fields[i];
        if (fd->func != f || fd->dir != dir)
            continue;
        json_t *v = json_object_get(o, fd->json);
        if (fd->off == B(smdp_address) && !response) {
            /* ES11's vendor spelling (SGP22.md §SM-DS); both present must agree */
            json_t *alt = json_object_get(o, "smdsAddress");
            if (v && alt && !json_equal(v, alt)) {
                e = rsp_diag_set(diag, RSP_ERR_FORMAT, "smdpAddress and smdsAddress differ");
                break;
            }
            v = v ? v : alt;
        }
        if (!v) {
            if (!fd->optional && !failed)
                e = rsp_diag_set(diag, RSP_ERR_FORMAT, "no %s", fd->json);
            continue;
        }
        e = dec_field(v, fd, out, diag);
    }
    json_decref(o);
    if (e != RSP_OK)
        rsp_es9p_msg_free(out);
    return e;
}

/* ---- transactionId ---- */
rsp_err rsp_es9p_tid_to_hex(const uint8_t *tid, size_t len, char out[RSP_ES9P_MAX_TID_HEX + 1])
{
    if (!tid || len < 1 || len > 16)
        return RSP_ERR_INVAL;
    return rsp_hex_encode_upper(tid, len, out, RSP_ES9P_MAX_TID_HEX + 1);
}

rsp_err rsp_es9p_tid_from_hex(const char *hex, uint8_t out[16], size_t *len, rsp_diag *diag)
{
    if (!hex || !out || !len)
        return RSP_ERR_INVAL;
    size_t n = strlen(hex);
    rsp_err e = check_tid(hex, n, diag);
    if (e != RSP_OK)
        return e;
    if ((e = rsp_hex_decode_fixed(hex, out, n / 2, diag)) != RSP_OK)
        return e;
    *len = n / 2;
    return RSP_OK;
}
