/* Identity CSV import (outside input: an Operator's or a manufacturer's file). Every fault names its
 * line, because the person fixing the file counts lines, not bytes. */
#include <stdlib.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/smdp.h"

#define CSV_LINE_MAX 512

void rsp_smdp_identity_wipe(rsp_smdp_identity *id)
{
    if (id)
        rsp_wipe(id, sizeof *id);
}

void rsp_smdp_identities_free(rsp_smdp_identity *ids, size_t n)
{
    if (!ids)
        return;
    rsp_wipe(ids, n * sizeof *ids);
    free(ids);
}

static bool all_digits(const char *s, size_t lo, size_t hi)
{
    size_t n = strlen(s);
    if (n < lo || n > hi)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static rsp_err key_field(const char *f, uint8_t *out, size_t *out_len, const char *what, size_t line,
                         rsp_diag *diag)
{
    size_t n = strlen(f);
    if (n != 32 && n != 64)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "line %zu: %s must be 16 or 32 bytes of hex", line, what);
    rsp_err e = rsp_hex_decode_fixed(f, out, n / 2, NULL);
    if (e != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "line %zu: %s is not hex", line, what);
    *out_len = n / 2;
    return RSP_OK;
}

/* Splits line (NUL-terminated, modified) into exactly 4 fields, trimming spaces. */
static int split4(char *line, char *f[4])
{
    int k = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (k == 4)
            return 5;
        f[k++] = p;
        char *c = strchr(p, ',');
        char *end = c ? c : p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (!c) {
            *end = 0;
            return k;
        }
        *end = 0;
        p = c + 1;
    }
}

static rsp_err parse_line(char *line, size_t lineno, rsp_smdp_identity *id, rsp_diag *diag)
{
    char *f[4];
    int k = split4(line, f);
    if (k != 4)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "line %zu: expected 4 fields iccid,imsi,ki,opc, got %s",
                            lineno, k > 4 ? "more" : "fewer");
    memset(id, 0, sizeof *id);
    if (!all_digits(f[0], 18, 20))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "line %zu: ICCID must be 18..20 digits", lineno);
    rsp_err e = rsp_iccid_check(f[0]);
    if (e != RSP_OK)
        return rsp_diag_set(diag, e, "line %zu: ICCID %s has a bad Luhn check digit", lineno, f[0]);
    memcpy(id->iccid, f[0], strlen(f[0]) + 1);
    if (!all_digits(f[1], 6, 15))
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "line %zu: IMSI must be 6..15 digits", lineno);
    memcpy(id->imsi, f[1], strlen(f[1]) + 1);
    if ((e = key_field(f[2], id->ki, &id->ki_len, "Ki", lineno, diag)) != RSP_OK)
        return e;
    return key_field(f[3], id->opc, &id->opc_len, "OPc", lineno, diag);
}

static int cmp_iccid(const void *a, const void *b)
{
    return strcmp(((const rsp_smdp_identity *)a)->iccid, ((const rsp_smdp_identity *)b)->iccid);
}

rsp_err rsp_smdp_csv_parse(const char *text, size_t len, rsp_smdp_identity **out, size_t *n, size_t **lines_out,
                           rsp_diag *diag)
{
    if (!out || !n || (!text && len))
        return RSP_ERR_INVAL;
    *out = NULL;
    *n = 0;
    if (lines_out)
        *lines_out = NULL;
    rsp_smdp_identity *ids = NULL;
    size_t cnt = 0, cap = 0, lineno = 0, pos = 0;
    size_t *lines = NULL;
    char line[CSV_LINE_MAX + 1];
    rsp_err e = RSP_OK;
    while (pos < len) {
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        size_t l = pos - start;
        pos++;
        lineno++;
        if (l && text[start + l - 1] == '\r')
            l--;
        if (l > CSV_LINE_MAX) {
            e = rsp_diag_set(diag, RSP_ERR_LENGTH, "line %zu: longer than %d characters", lineno, CSV_LINE_MAX);
            goto fail;
        }
        memcpy(line, text + start, l);
        line[l] = 0;
        if (memchr(line, 0, l)) {
            e = rsp_diag_set(diag, RSP_ERR_FORMAT, "line %zu: NUL byte", lineno);
            goto fail;
        }
        const char *t = line;
        while (*t == ' ' || *t == '\t')
            t++;
        if (!*t || *t == '#' || (cnt == 0 && strncmp(t, "iccid", 5) == 0))
            continue;
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 64;
            rsp_smdp_identity *ni = malloc(nc * sizeof *ni);
            size_t *nl = realloc(lines, nc * sizeof *nl);
            if (!ni || !nl) {
                free(ni);
                free(nl ? nl : lines);
                lines = NULL;
                e = RSP_ERR_NOMEM;
                goto fail;
            }
            lines = nl;
            if (ids) {
                memcpy(ni, ids, cnt * sizeof *ni);
                rsp_smdp_identities_free(ids, cap);
            }
            ids = ni;
            cap = nc;
        }
        if ((e = parse_line(line, lineno, &ids[cnt], diag)) != RSP_OK) {
            rsp_wipe(line, sizeof line);
            goto fail;
        }
        lines[cnt++] = lineno;
    }
    rsp_wipe(line, sizeof line);
    if (cnt > 1) {
        /* Duplicates: sort a copy of (iccid, line) pairs so the report names both lines. */
        rsp_smdp_identity *s = malloc(cnt * sizeof *s);
        if (!s) {
            e = RSP_ERR_NOMEM;
            goto fail;
        }
        for (size_t i = 0; i < cnt; i++) {
            memset(&s[i], 0, sizeof s[i]);
            memcpy(s[i].iccid, ids[i].iccid, sizeof s[i].iccid);
            s[i].ki_len = lines[i];   /* carries the line number, no secret is copied */
        }
        qsort(s, cnt, sizeof *s, cmp_iccid);
        for (size_t i = 1; i < cnt; i++)
            if (strcmp(s[i].iccid, s[i - 1].iccid) == 0) {
                size_t a = s[i - 1].ki_len < s[i].ki_len ? s[i - 1].ki_len : s[i].ki_len;
                size_t b = s[i - 1].ki_len < s[i].ki_len ? s[i].ki_len : s[i - 1].ki_len;
                e = rsp_diag_set(diag, RSP_ERR_EXISTS, "line %zu: ICCID %s duplicates line %zu", b, s[i].iccid, a);
                free(s);
                goto fail;
            }
        free(s);
    }
    if (lines_out)
        *lines_out = lines;
    else
        free(lines);
    *out = ids;
    *n = cnt;
    return RSP_OK;
fail:
    free(lines);
    rsp_smdp_identities_free(ids, cap);
    return e;
}
