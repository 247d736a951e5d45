#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int rsp_cli_dispatch(const char *prog, const rsp_cmd *cmds, int argc, char **argv)
{
    bool help = argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help");
    if (!help) {
        for (const rsp_cmd *c = cmds; c->name; c++)
            if (!strcmp(argv[1], c->name))
                return c->fn(argc - 1, argv + 1);
        fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
    }
    /* Asked-for help goes to stdout and succeeds; a missing or unknown command is a usage error. */
    bool asked = argc >= 2;
    FILE *o = help && asked ? stdout : stderr;
    fprintf(o, "usage: %s <command> [options]\n\ncommands:\n", prog);
    for (const rsp_cmd *c = cmds; c->name; c++)
        fprintf(o, "  %-12s %s\n", c->name, c->summary);
    return help && asked ? RSP_EXIT_OK : RSP_EXIT_USAGE;
}

rsp_err rsp_cli_read_file(const char *path, rsp_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? RSP_ERR_NOT_FOUND : RSP_ERR_IO;
    uint8_t chunk[8192];
    size_t n;
    rsp_err e = RSP_OK;
    while (!e && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        e = rsp_buf_append(out, chunk, n);
    if (!e && ferror(f))
        e = RSP_ERR_IO;
    fclose(f);
    return e;
}

static bool looks_like_hex_text(const rsp_buf *b)
{
    size_t digits = 0;
    for (size_t i = 0; i < b->len; i++) {
        uint8_t c = b->data[i];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
            digits++;
        else if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != ':')
            return false;
    }
    return digits > 0 && digits % 2 == 0;
}

rsp_err rsp_cli_load_bytes(const char *arg, rsp_buf *out, rsp_diag *diag)
{
    struct stat st;
    if (arg && stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
        rsp_buf raw = RSP_BUF_INIT;
        rsp_err e = rsp_cli_read_file(arg, &raw);
        if (e) {
            rsp_buf_free(&raw);
            return rsp_diag_set(diag, e, "cannot read %s", arg);
        }
        if (looks_like_hex_text(&raw)) {
            e = rsp_buf_append_byte(&raw, 0);
            if (!e)
                e = rsp_hex_decode((const char *)raw.data, out, diag);
        } else {
            e = rsp_buf_append(out, raw.data, raw.len);
        }
        rsp_buf_free_secret(&raw);
        return e;
    }
    rsp_diag local;
    rsp_diag_clear(&local);
    rsp_err e = rsp_hex_decode(arg, out, &local);
    if (e)
        return rsp_diag_set(diag, e, "'%s' is neither a readable file nor hex (%s)", arg ? arg : "",
                            local.msg);
    return RSP_OK;
}

rsp_err rsp_cli_write_file(const char *path, const void *p, size_t len, int mode)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 8);
    if (!tmp)
        return RSP_ERR_NOMEM;
    snprintf(tmp, plen + 8, "%s.tmp~", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    rsp_err e = RSP_OK;
    if (fd < 0) {
        free(tmp);
        return RSP_ERR_IO;
    }
    const uint8_t *q = p;
    while (len > 0) {
        ssize_t w = write(fd, q, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            e = RSP_ERR_IO;
            break;
        }
        q += w;
        len -= (size_t)w;
    }
    if (!e && fsync(fd) != 0)
        e = RSP_ERR_IO;
    if (close(fd) != 0)
        e = RSP_ERR_IO;
    if (!e && rename(tmp, path) != 0)
        e = RSP_ERR_IO;
    if (e)
        unlink(tmp);
    free(tmp);
    return e;
}

rsp_err rsp_cli_mkdirs(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof(buf))
        return RSP_ERR_INVAL;
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return RSP_ERR_IO;
            *p = '/';
        }
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return RSP_ERR_IO;
    return RSP_OK;
}

int rsp_cli_fail(const char *what, rsp_err e, const rsp_diag *diag)
{
    char msg[320];
    fprintf(stderr, "rsp: %s: %s\n", what, rsp_diag_str(diag, e, msg, sizeof(msg)));
    return e == RSP_ERR_VERIFY || e == RSP_ERR_CHECKSUM ? RSP_EXIT_FAIL : RSP_EXIT_USAGE;
}

int rsp_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rsp: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return RSP_EXIT_USAGE;
}

void rsp_cli_json_out(json_t *v)
{
    if (!v)
        return;
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    if (s) {
        puts(s);
        free(s);
    }
    json_decref(v);
}

json_t *rsp_cli_json_hex(const uint8_t *p, size_t len)
{
    char *h = rsp_hex_dup(p, len);
    json_t *v = json_string(h ? h : "");
    free(h);
    return v;
}

bool rsp_cli_take_flag(int *argc, char **argv, const char *flag)
{
    bool found = false;
    int j = 0;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && !strcmp(argv[i], flag)) {
            found = true;
            continue;
        }
        argv[j++] = argv[i];
    }
    *argc = j;
    argv[j] = NULL;
    return found;
}

long rsp_cli_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}
