/* The console's query strings and value checks (include/rsp/smsr_console.h). Outside input from
 * any browser: strict and bounded, so the handlers only ever see short printable values of known
 * keys, and every refusal names what and where (a 400 with that text). */
#include <string.h>

#include "rsp/smsr_console.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

rsp_err rsp_smsr_console_query_parse(const char *qs, size_t len, rsp_smsr_console_query *out, rsp_diag *diag)
{
    if (!out || (!qs && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (len > RSP_SMSR_CONSOLE_QLEN)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, RSP_SMSR_CONSOLE_QLEN, "query string over %d bytes",
                               RSP_SMSR_CONSOLE_QLEN);
    size_t i = 0;
    while (i < len) {
        if (out->n == RSP_SMSR_CONSOLE_QMAX)
            return rsp_diag_set_at(diag, RSP_ERR_RANGE, i, "more than %d parameters", RSP_SMSR_CONSOLE_QMAX);
        char *key = out->p[out->n].key, *val = out->p[out->n].val;
        size_t k = 0, v = 0, start = i;
        while (i < len && qs[i] != '=' && qs[i] != '&') {
            char c = qs[i];
            if (!((c >= 'a' && c <= 'z') || c == '_'))
                return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "bad byte 0x%02X in a parameter name", (unsigned char)c);
            if (k + 1 >= RSP_SMSR_CONSOLE_QKEY)
                return rsp_diag_set_at(diag, RSP_ERR_LENGTH, start, "parameter name over %d bytes",
                                       RSP_SMSR_CONSOLE_QKEY - 1);
            key[k++] = c;
            i++;
        }
        if (k == 0)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "empty parameter name");
        key[k] = 0;
        for (size_t j = 0; j < out->n; j++)
            if (!strcmp(out->p[j].key, key)) /* which one counts would be a guess: refuse */
                return rsp_diag_set_at(diag, RSP_ERR_FORMAT, start, "parameter '%s' given twice", key);
        if (i < len && qs[i] == '=') {
            i++;
            while (i < len && qs[i] != '&') {
                size_t at = i;
                int c = (unsigned char)qs[i++];
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    int h = i < len ? hexval(qs[i]) : -1;
                    int l = h >= 0 && i + 1 < len ? hexval(qs[i + 1]) : -1;
                    if (h < 0 || l < 0)
                        return rsp_diag_set_at(diag, RSP_ERR_FORMAT, at, "bad %%XX escape in '%s'", key);
                    c = h * 16 + l;
                    i += 2;
                }
                if (c < 0x20 || c > 0x7E)
                    return rsp_diag_set_at(diag, RSP_ERR_FORMAT, at, "byte 0x%02X in '%s' (printable ASCII only)", c,
                                           key);
                if (v + 1 >= RSP_SMSR_CONSOLE_QVAL)
                    return rsp_diag_set_at(diag, RSP_ERR_LENGTH, at, "'%s' over %d bytes", key,
                                           RSP_SMSR_CONSOLE_QVAL - 1);
                val[v++] = (char)c;
            }
        }
        val[v] = 0;
        out->n++;
        if (i < len) /* at '&' */
            i++;
    }
    return RSP_OK;
}

const char *rsp_smsr_console_query_get(const rsp_smsr_console_query *q, const char *key)
{
    for (size_t i = 0; q && key && i < q->n; i++)
        if (!strcmp(q->p[i].key, key))
            return q->p[i].val;
    return NULL;
}

rsp_err rsp_smsr_console_check(rsp_smsr_console_kind kind, const char *v, rsp_diag *diag)
{
    static const struct {
        size_t min, max;
        const char *what;
    } k[] = {{0, 32, "an EID (prefix) of up to 32 digits"},
             {0, 20, "an ICCID (prefix) of up to 20 digits (F for padding)"},
             {0, 20, "an MSISDN (prefix) of up to 20 digits"},
             {1, 18, "a positive number of up to 18 digits"},
             {1, 127, "1-127 characters of A-Z a-z 0-9 space . _ : @ / + = -"}};
    if (!v || (unsigned)kind > RSP_SMSR_CONSOLE_NAME)
        return RSP_ERR_INVAL;
    size_t n = strlen(v);
    if (n < k[kind].min || n > k[kind].max)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "expected %s", k[kind].what);
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        bool ok = c >= '0' && c <= '9';
        nonzero |= ok && c != '0';
        if (kind == RSP_SMSR_CONSOLE_ICCID)
            ok |= c == 'F' || c == 'f';
        if (kind == RSP_SMSR_CONSOLE_NAME)
            ok |= (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c && strchr(" ._:@/+=-", c));
        if (!ok)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "bad character 0x%02X: expected %s", (unsigned char)c,
                                   k[kind].what);
    }
    if (kind == RSP_SMSR_CONSOLE_ID && !nonzero)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "expected %s", k[kind].what);
    return RSP_OK;
}
