/* The strict HTTP/1.1 message parser: pure functions over bytes, so it is fuzzed without sockets.
 *
 * Strictness is deliberate: the ES interfaces and SCP81 have a handful of known clients, and every
 * leniency (bare LF, obs-fold, duplicate Content-Length, TE+CL) is a request-smuggling or
 * desynchronisation hazard between us and any proxy in front. */
#include <string.h>

#include "http_int.h"

static int is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_vchar_or_obs(uint8_t c) { return (c >= 0x21 && c <= 0x7E) || c >= 0x80; }

int rsp_http_ieq(const char *a, size_t alen, const char *b)
{
    size_t n = strlen(b);
    if (n != alen)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z') y = (char)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

int rsp_http_has_token(const char *v, size_t vlen, const char *token)
{
    size_t i = 0;
    while (i < vlen) {
        while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < vlen && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e > s && rsp_http_ieq(v + s, e - s, token))
            return 1;
    }
    return 0;
}

/* Finds CRLF starting at off, within [0, lim). Returns the index of CR, or -1 if not there yet;
 * sets *bad for a bare LF or a lone CR followed by something else. */
static long find_crlf(const uint8_t *p, size_t lim, size_t off, int *bad)
{
    for (size_t i = off; i < lim; i++) {
        if (p[i] == '\n') {
            *bad = 1;
            return (long)i;
        }
        if (p[i] == '\r') {
            if (i + 1 >= lim)
                return -1;
            if (p[i + 1] != '\n') {
                *bad = 1;
                return (long)i;
            }
            return (long)i;
        }
    }
    return -1;
}

/* Parses header lines from off until the blank line. Fills headers, *end = offset after the blank
 * line. Returns RSP_ERR_TRUNCATED when the block is incomplete within lim. */
static rsp_err parse_headers(const uint8_t *p, size_t lim, size_t off, rsp_http_header *hs, size_t *nh,
                             size_t *end, int *status, rsp_diag *d)
{
    *nh = 0;
    for (;;) {
        int bad = 0;
        long cr = find_crlf(p, lim, off, &bad);
        if (bad) {
            *status = 400;
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, (size_t)cr, "bare CR or LF in header section");
        }
        if (cr < 0)
            return RSP_ERR_TRUNCATED;
        size_t e = (size_t)cr;
        if (e == off) {
            *end = e + 2;
            return RSP_OK;
        }
        if (p[off] == ' ' || p[off] == '\t') {
            *status = 400;
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, off, "obsolete header line folding");
        }
        size_t c = off;
        while (c < e && is_tchar(p[c]))
            c++;
        if (c == off || c >= e || p[c] != ':') {
            *status = 400;
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, c, "bad header name");
        }
        size_t vs = c + 1, ve = e;
        while (vs < ve && (p[vs] == ' ' || p[vs] == '\t'))
            vs++;
        while (ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'))
            ve--;
        for (size_t i = vs; i < ve; i++)
            if (!is_vchar_or_obs(p[i]) && p[i] != ' ' && p[i] != '\t') {
                *status = 400;
                return rsp_diag_set_at(d, RSP_ERR_FORMAT, i, "control character in header value");
            }
        if (*nh >= RSP_HTTP_MAX_HEADERS) {
            *status = 431;
            return rsp_diag_set_at(d, RSP_ERR_RANGE, off, "more than %d headers", RSP_HTTP_MAX_HEADERS);
        }
        rsp_http_header *h = &hs[(*nh)++];
        h->name = (const char *)p + off;
        h->name_len = c - off;
        h->value = (const char *)p + vs;
        h->value_len = ve - vs;
        off = e + 2;
    }
}

static const rsp_http_header *find_header(const rsp_http_header *hs, size_t n, const char *name, int *count)
{
    const rsp_http_header *found = NULL;
    *count = 0;
    for (size_t i = 0; i < n; i++)
        if (rsp_http_ieq(hs[i].name, hs[i].name_len, name)) {
            if (!found)
                found = &hs[i];
            (*count)++;
        }
    return found;
}

/* Content-Length: digits only, one header, no overflow. */
static rsp_err content_length(const rsp_http_header *hs, size_t n, int *present, size_t *out, rsp_diag *d)
{
    int count;
    const rsp_http_header *h = find_header(hs, n, "content-length", &count);
    *present = h != NULL;
    *out = 0;
    if (!h)
        return RSP_OK;
    if (count > 1)
        return rsp_diag_set(d, RSP_ERR_FORMAT, "more than one Content-Length");
    if (h->value_len == 0 || h->value_len > 15)
        return rsp_diag_set(d, RSP_ERR_FORMAT, "bad Content-Length");
    size_t v = 0;
    for (size_t i = 0; i < h->value_len; i++) {
        if (h->value[i] < '0' || h->value[i] > '9')
            return rsp_diag_set(d, RSP_ERR_FORMAT, "bad Content-Length");
        v = v * 10 + (size_t)(h->value[i] - '0');
    }
    *out = v;
    return RSP_OK;
}

const rsp_http_header *rsp_http_parsed_header(const rsp_http_parsed *r, const char *name)
{
    int count;
    return find_header(r->headers, r->nheaders, name, &count);
}

const rsp_http_header *rsp_http_response_header(const rsp_http_response *r, const char *name)
{
    int count;
    return find_header(r->headers, r->nheaders, name, &count);
}

#define FAIL(st, err, off, ...) (out->status_hint = (st), rsp_diag_set_at(diag, err, off, __VA_ARGS__))

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Walks a chunked body starting at off (RFC 9112 7.1): chunk-size [; ext] CRLF data CRLF ... "0"
 * [; ext] CRLF, trailer lines (ignored), CRLF. Strict: hex digits only in the size (no blanks, no
 * sign, at most 8 digits), extensions are visible characters, CRLF everywhere. The decoded size is
 * held to maxb and the whole request to maxall (what the server buffers). On success *end is the
 * offset after the final CRLF and *dlen the decoded size; RSP_ERR_TRUNCATED sets *need to a lower
 * bound of the total size. */
static rsp_err walk_chunks(const uint8_t *p, size_t len, size_t off, size_t maxb, size_t maxall, size_t *end,
                           size_t *dlen, size_t *need, int *status, rsp_diag *d)
{
    size_t total = 0, i = off;
    *need = off;
    for (;;) {
        size_t s = i, size = 0;
        int h;
        while (i < len && i - s < 9 && (h = hexval(p[i])) >= 0) {
            size = size * 16 + (size_t)h;
            i++;
        }
        if (i - s > 8) {
            *status = 413;
            return rsp_diag_set_at(d, RSP_ERR_RANGE, s, "chunk size of more than 8 hex digits");
        }
        if (i == len)
            goto more;
        if (i == s) {
            *status = 400;
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, i, "bad chunk size");
        }
        if (p[i] == ';') /* chunk extensions: accepted and ignored */
            while (i < len && (is_vchar_or_obs(p[i]) || p[i] == ' ' || p[i] == '\t'))
                i++;
        if (i + 1 >= len)
            goto more;
        if (p[i] != '\r' || p[i + 1] != '\n') {
            *status = 400;
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, i, "chunk size line must end with CRLF");
        }
        i += 2;
        if (size > maxb - total) {
            *status = 413;
            return rsp_diag_set_at(d, RSP_ERR_RANGE, s, "chunked body exceeds the limit of %zu", maxb);
        }
        if (size == 0)
            break;
        total += size;
        if (len - i < size + 2) {
            *need = i + size + 2 + 3;
            goto more;
        }
        i += size;
        if (p[i] != '\r' || p[i + 1] != '\n') {
            *status = 400;
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, i, "chunk data must end with CRLF");
        }
        i += 2;
        if (i > maxall) {
            *status = 413;
            return rsp_diag_set_at(d, RSP_ERR_RANGE, i, "chunk framing exceeds %zu bytes", maxall);
        }
        *need = i;
    }
    /* Trailer section: header-shaped lines, ignored (nothing here may change the message). */
    for (;;) {
        int bad = 0;
        long cr = find_crlf(p, len, i, &bad);
        if (bad) {
            *status = 400;
            return rsp_diag_set_at(d, RSP_ERR_FORMAT, (size_t)cr, "bare CR or LF in trailer");
        }
        if (cr < 0)
            goto more;
        for (size_t k = i; k < (size_t)cr; k++)
            if (!is_vchar_or_obs(p[k]) && p[k] != ' ' && p[k] != '\t') {
                *status = 400;
                return rsp_diag_set_at(d, RSP_ERR_FORMAT, k, "control character in trailer");
            }
        size_t e = (size_t)cr + 2;
        if (e > maxall) {
            *status = 413;
            return rsp_diag_set_at(d, RSP_ERR_RANGE, e, "chunk framing exceeds %zu bytes", maxall);
        }
        if ((size_t)cr == i) {
            *end = e;
            *dlen = total;
            return RSP_OK;
        }
        i = e;
    }
more:
    if (len >= maxall) {
        *status = 413;
        return rsp_diag_set_at(d, RSP_ERR_RANGE, len, "chunk framing exceeds %zu bytes", maxall);
    }
    if (*need <= len)
        *need = len + 1;
    return RSP_ERR_TRUNCATED;
}

size_t rsp_http_dechunk(const uint8_t *p, size_t len, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < len) {
        size_t size = 0;
        int h;
        while (i < len && (h = hexval(p[i])) >= 0)
            size = size * 16 + (size_t)h, i++;
        while (i < len && p[i] != '\n')
            i++;
        i++;
        if (size == 0 || i > len || len - i < size)
            break;
        memmove(out + o, p + i, size);
        o += size;
        i += size + 2;
    }
    return o;
}

rsp_err rsp_http_parse_request(const uint8_t *p, size_t len, const rsp_http_limits *limits,
                               rsp_http_parsed *out, rsp_diag *diag)
{
    size_t maxh = limits && limits->max_header_bytes ? limits->max_header_bytes : RSP_HTTP_DEF_HEADER_BYTES;
    size_t maxb = limits && limits->max_body_bytes ? limits->max_body_bytes : RSP_HTTP_DEF_BODY_BYTES;
    memset(out, 0, sizeof(*out));
    if (!p && len)
        return FAIL(500, RSP_ERR_INVAL, 0, "no input");
    size_t lim = len < maxh ? len : maxh;

    /* request line: method SP target SP HTTP/1.x CRLF */
    size_t i = 0;
    while (i < lim && is_tchar(p[i]) && i < 32)
        i++;
    if (i == lim && lim < maxh && i < 32)
        return RSP_ERR_TRUNCATED;
    if (i == 0 || i >= lim || p[i] != ' ')
        return lim >= maxh ? FAIL(431, RSP_ERR_RANGE, i, "request line longer than %zu bytes", maxh)
                           : FAIL(400, RSP_ERR_FORMAT, i, "bad method");
    out->method = (const char *)p;
    out->method_len = i;
    size_t t = ++i;
    while (i < lim && is_vchar_or_obs(p[i]) && p[i] < 0x80)
        i++;
    if (i == lim)
        return lim >= maxh ? FAIL(431, RSP_ERR_RANGE, i, "request line longer than %zu bytes", maxh)
                           : RSP_ERR_TRUNCATED;
    if (i == t || p[t] != '/' || p[i] != ' ')
        return FAIL(400, RSP_ERR_FORMAT, i, "bad request target");
    out->target = (const char *)p + t;
    out->target_len = i - t;
    i++;
    static const char ver[] = "HTTP/1.";
    for (size_t k = 0; k < 7; k++, i++) {
        if (i >= lim)
            return lim >= maxh ? FAIL(431, RSP_ERR_RANGE, i, "request line too long") : RSP_ERR_TRUNCATED;
        if (p[i] != (uint8_t)ver[k])
            return p[i] >= '0' && p[i] <= '9' && k >= 5 ? FAIL(505, RSP_ERR_UNSUPPORTED, i, "HTTP version")
                                                        : FAIL(400, RSP_ERR_FORMAT, i, "bad HTTP version");
    }
    if (i + 3 > lim)
        return lim >= maxh ? FAIL(431, RSP_ERR_RANGE, i, "request line too long") : RSP_ERR_TRUNCATED;
    if (p[i] != '0' && p[i] != '1')
        return FAIL(505, RSP_ERR_UNSUPPORTED, i, "HTTP version 1.%c", p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?');
    out->minor = p[i] - '0';
    i++;
    if (p[i] != '\r' || p[i + 1] != '\n')
        return FAIL(400, RSP_ERR_FORMAT, i, "request line must end with CRLF");
    i += 2;

    size_t end;
    int st = 400;
    rsp_err e = parse_headers(p, lim, i, out->headers, &out->nheaders, &end, &st, diag);
    if (e == RSP_ERR_TRUNCATED)
        return lim >= maxh ? FAIL(431, RSP_ERR_RANGE, lim, "header section larger than %zu bytes", maxh)
                           : RSP_ERR_TRUNCATED;
    if (e)
        return out->status_hint = st, e;

    int count;
    if (out->minor == 1 && !find_header(out->headers, out->nheaders, "host", &count))
        return FAIL(400, RSP_ERR_FORMAT, end, "HTTP/1.1 request without Host");
    if (find_header(out->headers, out->nheaders, "host", &count) && count > 1)
        return FAIL(400, RSP_ERR_FORMAT, end, "more than one Host");
    const rsp_http_header *te = find_header(out->headers, out->nheaders, "transfer-encoding", &count);
    int has_cl;
    size_t cl;
    if ((e = content_length(out->headers, out->nheaders, &has_cl, &cl, diag)) != RSP_OK)
        return out->status_hint = 400, e;
    if (te && has_cl)
        return FAIL(400, RSP_ERR_FORMAT, end, "both Transfer-Encoding and Content-Length");
    if (te && (count > 1 || !rsp_http_ieq(te->value, te->value_len, "chunked")))
        return FAIL(501, RSP_ERR_UNSUPPORTED, end, "Transfer-Encoding other than chunked");
    if (te) {
        size_t cend = 0, dlen = 0, need = 0;
        int cst = 400;
        e = walk_chunks(p, len, end, maxb, maxh + maxb, &cend, &dlen, &need, &cst, diag);
        if (e == RSP_ERR_TRUNCATED) {
            out->consumed = need;
            return e;
        }
        if (e)
            return out->status_hint = cst, e;
        out->chunked = 1;
        out->body_raw = p + end;
        out->body_raw_len = cend - end;
        out->body_len = dlen;
        out->consumed = cend;
        const rsp_http_header *conn = find_header(out->headers, out->nheaders, "connection", &count);
        out->keep_alive = out->minor == 1 && !(conn && rsp_http_has_token(conn->value, conn->value_len, "close"));
        return RSP_OK;
    }
    if (!has_cl && (rsp_http_ieq(out->method, out->method_len, "POST") ||
                    rsp_http_ieq(out->method, out->method_len, "PUT")))
        return FAIL(411, RSP_ERR_FORMAT, end, "POST without Content-Length");
    if (cl > maxb)
        return FAIL(413, RSP_ERR_RANGE, end, "body of %zu bytes exceeds the limit of %zu", cl, maxb);
    out->consumed = end + cl;
    if (len - end < cl)
        return RSP_ERR_TRUNCATED;
    out->body = p + end;
    out->body_len = cl;
    out->body_raw = out->body;
    out->body_raw_len = cl;
    const rsp_http_header *conn = find_header(out->headers, out->nheaders, "connection", &count);
    out->keep_alive = out->minor == 1 && !(conn && rsp_http_has_token(conn->value, conn->value_len, "close"));
    return RSP_OK;
}

rsp_err rsp_http_parse_response(const uint8_t *p, size_t len, size_t max_bytes, rsp_http_response *out,
                                size_t *consumed, int *keep_alive, rsp_diag *diag)
{
    memset(out, 0, sizeof(*out));
    size_t lim = len < max_bytes ? len : max_bytes;
    if (lim < 12)
        return len >= max_bytes ? rsp_diag_set(diag, RSP_ERR_RANGE, "response too large") : RSP_ERR_TRUNCATED;
    if (memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
        return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, 0, "bad status line");
    int status = 0;
    for (int k = 9; k < 12; k++) {
        if (p[k] < '0' || p[k] > '9')
            return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, (size_t)k, "bad status code");
        status = status * 10 + (p[k] - '0');
    }
    int bad = 0;
    long cr = find_crlf(p, lim, 12, &bad);
    if (bad)
        return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, (size_t)cr, "bare CR or LF in status line");
    if (cr < 0)
        return lim >= max_bytes ? rsp_diag_set(diag, RSP_ERR_RANGE, "response too large") : RSP_ERR_TRUNCATED;
    size_t end;
    int st;
    rsp_err e = parse_headers(p, lim, (size_t)cr + 2, out->headers, &out->nheaders, &end, &st, diag);
    if (e == RSP_ERR_TRUNCATED && lim >= max_bytes)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "response too large");
    if (e)
        return e == RSP_ERR_TRUNCATED ? e : RSP_ERR_PROTOCOL;
    int count, has_cl;
    size_t cl;
    if (find_header(out->headers, out->nheaders, "transfer-encoding", &count))
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "chunked responses are not supported");
    if (content_length(out->headers, out->nheaders, &has_cl, &cl, diag))
        return RSP_ERR_PROTOCOL;
    if (!has_cl && status != 204 && status != 304 && status >= 200)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "response without Content-Length");
    if (cl > max_bytes - end)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "response body too large");
    if (len - end < cl)
        return RSP_ERR_TRUNCATED;
    out->status = status;
    out->body = p + end;
    out->body_len = cl;
    *consumed = end + cl;
    const rsp_http_header *conn = find_header(out->headers, out->nheaders, "connection", &count);
    *keep_alive = p[7] == '1' && !(conn && rsp_http_has_token(conn->value, conn->value_len, "close"));
    return RSP_OK;
}

const char *rsp_http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
    }
}
