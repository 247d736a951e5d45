/* The one splice of large binary values into jansson's text (lib/es/json.c hex, lib/es/es9p.c base64).
 *
 * jansson checks every string's UTF-8 and escapes it byte by byte when it dumps; for a value of several
 * KiB (an ES3.SendData's Data in hex, an SGP.22 bound profile package in base64) that is most of the
 * encoding's CPU. The encoders put a placeholder "\x01<n>" in the tree instead, which jansson dumps as
 * "\u0001<n>", and this replaces each by its value. Hex and base64 need no JSON escaping. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_int.h"

static const char TOK[] = "\"\\u0001";
enum { TOK_LEN = sizeof TOK - 1 };

void rsp_es__splice_placeholder(size_t n, char out[RSP_ES_SPLICE_PH_MAX])
{
    snprintf(out, RSP_ES_SPLICE_PH_MAX, "\x01%zu", n);
}

rsp_err rsp_es__splice(const char *txt, const rsp_buf *vals, size_t n, rsp_buf *out)
{
    /* first pass: exactly the n placeholders, each once; anything else is a string of the message that
     * starts with a control character (jansson's "\u0001") and the caller encodes without splicing */
    size_t seen = 0;
    unsigned char *once = n ? calloc(n, 1) : NULL;
    if (n && !once)
        return RSP_ERR_NOMEM;
    rsp_err err = RSP_OK;
    for (const char *q = strstr(txt, TOK); q && err == RSP_OK; q = strstr(q + TOK_LEN, TOK)) {
        char *e = NULL;
        unsigned long long k = strtoull(q + TOK_LEN, &e, 10);
        if (!isdigit((unsigned char)q[TOK_LEN]) || *e != '"' || k >= n || once[k]++ || ++seen > n)
            err = RSP_ERR_END;
    }
    free(once);
    if (err == RSP_OK && seen != n)
        err = RSP_ERR_END;
    if (err != RSP_OK)
        return err;
    size_t start = out->len;
    const char *p = txt;
    for (const char *q; err == RSP_OK && (q = strstr(p, TOK)) != NULL;) {
        char *e = NULL;
        unsigned long long k = strtoull(q + TOK_LEN, &e, 10);
        err = rsp_buf_append(out, p, (size_t)(q - p) + 1);
        err = err ? err : rsp_buf_append(out, vals[k].data, vals[k].len);
        p = e; /* the closing quote */
    }
    err = err ? err : rsp_buf_append(out, p, strlen(p));
    if (err != RSP_OK)
        out->len = start;
    return err;
}
