#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

const char *tu_shared_path(const char *rel, char *out, size_t outlen)
{
    const char *dir = getenv("RSP_SHARED_DIR");
    snprintf(out, outlen, "%s/%s", dir && *dir ? dir : RSP_SHARED_DIR, rel);
    return out;
}

static char *vectors_text;

static void free_vectors(void)
{
    free(vectors_text);
}

const char *tu_vectors(void)
{
    if (vectors_text)
        return vectors_text;
    char path[1024];
    rsp_buf b = RSP_BUF_INIT;
    tu_read_file(tu_shared_path("vectors/VECTORS.txt", path, sizeof(path)), &b);
    rsp_buf_append_byte(&b, 0);
    vectors_text = (char *)b.data;
    atexit(free_vectors);
    return vectors_text;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char *tu_vec(const char *marker, const char *key)
{
    const char *t = tu_vectors();
    const char *m = strstr(t, marker);
    if (!m)
        fail_msg("vector marker '%s' not found in VECTORS.txt", marker);
    const char *k = strstr(m + strlen(marker), key);
    if (!k)
        fail_msg("key '%s' not found after '%s' in VECTORS.txt", key, marker);
    const char *p = k + strlen(key);
    while (*p == ' ' || *p == '=' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    const char *q = p;
    while (is_hex(*q))
        q++;
    if (q == p)
        fail_msg("no hex after '%s' (marker '%s')", key, marker);
    char *s = malloc((size_t)(q - p) + 1);
    memcpy(s, p, (size_t)(q - p));
    s[q - p] = '\0';
    return s;
}

void tu_hex(const char *hex, rsp_buf *out)
{
    rsp_buf_reset(out);
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_hex_decode(hex, out, &d) != RSP_OK)
        fail_msg("bad hex '%s': %s", hex, d.msg);
}

void tu_vec_bytes(const char *marker, const char *key, rsp_buf *out)
{
    char *h = tu_vec(marker, key);
    tu_hex(h, out);
    free(h);
}

void tu_assert_hex_(const uint8_t *p, size_t len, const char *hex, const char *file, int line)
{
    rsp_buf want = RSP_BUF_INIT;
    tu_hex(hex, &want);
    if (want.len != len || (len && memcmp(want.data, p, len) != 0)) {
        char *got = rsp_hex_dup(p, len);
        char *exp = rsp_hex_dup(want.data, want.len);
        print_error("%s:%d: bytes differ\n  got      %s\n  expected %s\n", file, line, got, exp);
        free(got);
        free(exp);
        rsp_buf_free(&want);
        _fail(file, line);
    }
    rsp_buf_free(&want);
}

void tu_read_file(const char *path, rsp_buf *out)
{
    rsp_buf_reset(out);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    uint8_t chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rsp_buf_append(out, chunk, n);
    fclose(f);
}

int tu_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        fail_msg("popen failed: %s", cmd);
    rsp_buf b = RSP_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        rsp_buf_append(&b, chunk, n);
    rsp_buf_append_byte(&b, 0);
    int st = pclose(p);
    if (out)
        *out = (char *)b.data;
    else
        rsp_buf_free(&b);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

const char *tu_rsp_bin(void)
{
    const char *b = getenv("RSP_BIN");
    return b && *b ? b : RSP_BINARY_DIR "/rsp";
}
