/* Daemon configuration: INI files, environment overrides, typed getters with documented defaults.
 *
 * Format: "[section]" lines, "key = value" lines, comments on their own line starting with ';' or
 * '#', or after an unquoted value when preceded by white space. Values may be "double quoted"
 * (escapes \" \\ \n \t) or 'single quoted' (literal). Names are [A-Za-z0-9_.-]+. A key repeated in
 * one file is an error; a later file (or the environment) overrides an earlier one.
 * Environment: RSP_<SECTION>_<KEY>, upper-cased, '.' and '-' as '_', overrides the files for every
 * setting of the table (unknown RSP_* variables are left alone: other tools use that prefix).
 * Every setting the daemons read is described once, in the settings table (docs/CONFIG.md). */
#ifndef RSP_CONFIG_H
#define RSP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rsp/err.h"

typedef enum rsp_config_type {
    RSP_CONFIG_STR = 0,
    RSP_CONFIG_INT = 1,  /* decimal, within [min, max] */
    RSP_CONFIG_BOOL = 2, /* true/false, yes/no, on/off, 1/0 */
    RSP_CONFIG_ENUM = 3, /* one of `choices` (comma-separated) */
} rsp_config_type;

enum { RSP_CONFIG_SECRET = 1u << 0 }; /* never printed or logged (passwords) */

typedef struct rsp_config_setting {
    const char *section;
    const char *key;
    rsp_config_type type;
    const char *def;     /* default as text; NULL: no default (optional setting) */
    int64_t min, max;    /* RSP_CONFIG_INT */
    const char *choices; /* RSP_CONFIG_ENUM */
    unsigned flags;      /* RSP_CONFIG_SECRET */
    const char *used_by; /* daemons that read it, e.g. "smsr smdp" */
    const char *doc;
} rsp_config_setting;

/* The built-in table of every setting the daemons use. */
const rsp_config_setting *rsp_config_settings(size_t *n);
const rsp_config_setting *rsp_config_setting_find(const rsp_config_setting *table, size_t n,
                                                  const char *section, const char *key);
/* Writes the environment variable name of a setting ("RSP_SMPP_SYSTEM_ID"). */
rsp_err rsp_config_env_name(const char *section, const char *key, char *out, size_t outlen);

typedef struct rsp_config rsp_config;

/* table NULL: the built-in table. The table is borrowed and must outlive the config. */
rsp_err rsp_config_new(const rsp_config_setting *table, size_t n, rsp_config **out);
void rsp_config_free(rsp_config *c);
/* Parses INI text (len bytes, need not be NUL-terminated). origin names it in messages. On a
 * malformed line nothing of this text is kept, and diag says "origin:LINE: what" with the byte
 * offset of the line. */
rsp_err rsp_config_parse(rsp_config *c, const char *text, size_t len, const char *origin,
                         rsp_diag *diag);
rsp_err rsp_config_load(rsp_config *c, const char *path, rsp_diag *diag);
/* Applies RSP_<SECTION>_<KEY> overrides from envp (NULL-terminated "NAME=value" strings, e.g.
 * environ); passing the environment in keeps this testable and free of global state. */
rsp_err rsp_config_apply_env(rsp_config *c, const char *const *envp);
/* Checks everything set: each unknown section/key is logged with its line; each known value must
 * parse as its type. Returns the first problem (RSP_ERR_NOT_FOUND for an unknown key) with diag,
 * and the number of unknown keys in *unknown (may be NULL). */
rsp_err rsp_config_check(const rsp_config *c, rsp_diag *diag, size_t *unknown);

/* Typed getters: the value set by a file or the environment, else the table default.
 * RSP_ERR_NOT_FOUND: not in the table (a programming error), or unset without a default.
 * RSP_ERR_FORMAT / RSP_ERR_RANGE: the value does not parse / is outside [min, max] or choices.
 * Strings are borrowed from the config (valid until rsp_config_free or the next parse/env). */
rsp_err rsp_config_get_str(const rsp_config *c, const char *section, const char *key,
                           const char **out);
rsp_err rsp_config_get_int(const rsp_config *c, const char *section, const char *key,
                           int64_t *out);
rsp_err rsp_config_get_bool(const rsp_config *c, const char *section, const char *key, bool *out);
/* For RSP_CONFIG_ENUM: the index of the value in choices. */
rsp_err rsp_config_get_enum(const rsp_config *c, const char *section, const char *key, int *out);
/* True if a file or the environment set it (not just the default). */
bool rsp_config_is_set(const rsp_config *c, const char *section, const char *key);

#endif
