/* Shared plumbing of the `rsp` multi-call binary: the command table, argument helpers, output.
 *
 * Exit codes of every tool: 0 success, 1 a check failed (signature, MAC, checksum, cryptogram),
 * 2 malformed input or usage, with a message naming the fault on stderr. */
#ifndef RSP_APPS_CLI_H
#define RSP_APPS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "rsp/buf.h"
#include "rsp/err.h"

enum { RSP_EXIT_OK = 0, RSP_EXIT_FAIL = 1, RSP_EXIT_USAGE = 2 };

typedef int (*rsp_cmd_fn)(int argc, char **argv);

typedef struct rsp_cmd {
    const char *name;
    rsp_cmd_fn fn;
    const char *summary;
} rsp_cmd;

/* Every command's entry point, declared from commands.def. */
#define RSP_CMD(name, fn, summary) int fn(int argc, char **argv);
#include "commands.def"
#undef RSP_CMD

/* Dispatches argv[1] among `cmds` (NULL-terminated); prints usage of `prog` when unknown.
 * Used by the top level and by commands with subcommands (`rsp ci init`). */
int rsp_cli_dispatch(const char *prog, const rsp_cmd *cmds, int argc, char **argv);

/* Loads binary input given as a file path (binary, or hex text) or as a hex string. */
rsp_err rsp_cli_load_bytes(const char *arg, rsp_buf *out, rsp_diag *diag);
/* Reads a whole file. */
rsp_err rsp_cli_read_file(const char *path, rsp_buf *out);
/* Writes a whole file atomically (temp + fsync + rename). mode as for open(2). */
rsp_err rsp_cli_write_file(const char *path, const void *p, size_t len, int mode);
/* Creates a directory (and parents) if missing. */
rsp_err rsp_cli_mkdirs(const char *path);

/* Prints "rsp: <what>: <diag or error>" to stderr and returns RSP_EXIT_USAGE (or FAIL for verify). */
int rsp_cli_fail(const char *what, rsp_err e, const rsp_diag *diag);
int rsp_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a JSON value (compact, sorted keys) followed by a newline, then frees it. */
void rsp_cli_json_out(json_t *v);
/* json string of hex for bytes. */
json_t *rsp_cli_json_hex(const uint8_t *p, size_t len);

/* Scans argv for --json and removes it; returns true if present. */
bool rsp_cli_take_flag(int *argc, char **argv, const char *flag);

/* This process's resident set (VmRSS of /proc/self/status) in KiB, -1 where it cannot be read: the one
 * reader of the memory figures `rsp euicc run` prints and `rsp bench euicc` reports. */
long rsp_cli_rss_kib(void);

#endif
