/* INI configuration: parser, environment overrides, typed getters over one settings table. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rsp/buf.h"
#include "rsp/config.h"
#include "rsp/log.h"

#define LEVELS "debug,info,notice,error,none"
#define I64 INT64_MAX
/* One row per interface server: where it listens and its mutual-TLS material. */
#define IFACE(sec, port, who, what)                                                              \
    {sec, "listen", RSP_CONFIG_STR, "127.0.0.1:" port, 0, 0, NULL, 0, who,                       \
     what ": address:port to listen on"},                                                        \
    {sec, "tls_cert", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, who,                                  \
     what ": server certificate chain (PEM)"},                                                   \
    {sec, "tls_key", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, who, what ": private key (PEM)"},      \
    {sec, "tls_ca", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, who,                                    \
     what ": CA certificates that client certificates must chain to (PEM)"},                     \
    {sec, "binding", RSP_CONFIG_ENUM, "both", 0, 0, "soap,json,both", 0, who,                    \
     what ": which bindings are served"}

/* The service shell of a daemon (lib/svc, docs/modules/svc.md): its one HTTPS listener serving
 * every ES interface of the daemon (SOAP and JSON), /metrics and /health, and its callback sender. */
#define SVC(sec, port, who)                                                                      \
    {sec, "listen", RSP_CONFIG_STR, "127.0.0.1:" port, 0, 0, NULL, 0, who,                       \
     "HTTPS (mutual TLS) address:port of all ES interfaces, /metrics and /health; port 0 = any"}, \
    {sec, "tls_cert", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, who,                                  \
     "certificate chain (PEM) of the listener, also presented when sending callbacks"},          \
    {sec, "tls_key", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, who, "private key (PEM) of tls_cert"},  \
    {sec, "tls_ca", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, who,                                    \
     "comma-separated CA files (PEM): client certificates and callback servers must chain to one"}, \
    {sec, "port_file", RSP_CONFIG_STR, "", 0, 0, NULL, 0, who,                                   \
     "file that receives the bound port once listening (tests, listen port 0); empty: none"},    \
    {sec, "metrics_listen", RSP_CONFIG_STR, "", 0, 0, NULL, 0, who,                              \
     "plain-HTTP address:port serving only /metrics and /health; empty: none"},                  \
    {sec, "max_connections", RSP_CONFIG_INT, "1024", 1, 1000000, NULL, 0, who,                   \
     "open connections per listener; more are closed at once and counted"},                      \
    {sec, "max_pending", RSP_CONFIG_INT, "10000", 1, 10000000, NULL, 0, who,                     \
     "ES calls accepted and not finished; more are answered 503 with Retry-After"},              \
    {sec, "stop_grace_ms", RSP_CONFIG_INT, "10000", 1, 3600000, NULL, 0, who,                    \
     "on SIGTERM/SIGINT, how long in-flight answers and callbacks may take"},                    \
    {sec, "callback_queue", RSP_CONFIG_INT, "1000", 1, 1000000, NULL, 0, who,                    \
     "callbacks waiting per destination before new ones are refused (busy)"},                    \
    {sec, "callback_timeout_ms", RSP_CONFIG_INT, "30000", 100, 3600000, NULL, 0, who,            \
     "connect + answer time of one callback POST"}

/* The settings of the planned daemons (rsp smsr, smdp, euicc, smsc), in one place; docs/CONFIG.md
 * renders this table. */
static const rsp_config_setting builtin[] = {
    {"store", "uri", RSP_CONFIG_STR, "sqlite:/var/lib/openrsp/openrsp.db", 0, 0, NULL, 0,
     "smsr smdp", "store location: sqlite:/path or a PostgreSQL URI / conninfo"},
    {"log", "level", RSP_CONFIG_ENUM, "notice", 0, 0, LEVELS, 0, "all", "level of every subsystem"},
    {"log", "subsystems", RSP_CONFIG_STR, "", 0, 0, NULL, 0, "all",
     "per-subsystem levels overriding level, e.g. \"store=debug,smpp=info\""},
    IFACE("es1", "8441", "smsr", "ES1 (EUM to SM-SR)"),
    IFACE("es2", "8442", "smdp", "ES2 (Operator to SM-DP)"),
    IFACE("es3", "8443", "smsr", "ES3 (SM-DP to SM-SR)"),
    IFACE("es4", "8444", "smsr", "ES4 (Operator/M2M SP to SM-SR)"),
    IFACE("es7", "8447", "smsr", "ES7 (SM-SR to SM-SR)"),
    {"es3", "url", RSP_CONFIG_STR, "https://127.0.0.1:8443/", 0, 0, NULL, 0, "smdp",
     "SM-SR ES3 endpoint the SM-DP calls"},
    {"es3", "client_cert", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "smdp",
     "SM-DP client certificate for ES3 (PEM)"},
    {"es3", "client_key", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "smdp",
     "SM-DP client key for ES3 (PEM)"},
    {"es3", "dialect", RSP_CONFIG_ENUM, "gsma-json", 0, 0, "gsma-json,njiwa-soap", 0, "smdp",
     "the SM-SR's ES3: gsma-json or njiwa-soap (SOAP 1.1 as njiwa's ES3.wsdl)"},
    {"scp81", "listen", RSP_CONFIG_STR, "0.0.0.0:8481", 0, 0, NULL, 0, "smsr",
     "PSK-TLS (SCP81) endpoint the eUICCs open after a trigger SMS"},
    {"smpp", "host", RSP_CONFIG_STR, "127.0.0.1", 0, 0, NULL, 0, "smsr", "SMSC host"},
    {"smpp", "port", RSP_CONFIG_INT, "2775", 1, 65535, NULL, 0, "smsr", "SMSC port"},
    {"smpp", "system_id", RSP_CONFIG_STR, "openrsp", 0, 0, NULL, 0, "smsr", "bind system_id"},
    {"smpp", "password", RSP_CONFIG_STR, "", 0, 0, NULL, RSP_CONFIG_SECRET, "smsr",
     "bind password (secret)"},
    {"smpp", "system_type", RSP_CONFIG_STR, "", 0, 0, NULL, 0, "smsr", "bind system_type"},
    {"smpp", "throttle", RSP_CONFIG_INT, "10", 1, 100000, NULL, 0, "smsr",
     "submit_sm per second allowed on the bind"},
    {"smpp", "window", RSP_CONFIG_INT, "10", 1, 1000, NULL, 0, "smsr",
     "outstanding submit_sm without response"},
    {"smpp", "enquire_link_s", RSP_CONFIG_INT, "30", 1, 3600, NULL, 0, "smsr",
     "seconds between enquire_link"},
    {"smpp", "source_addr", RSP_CONFIG_STR, "", 0, 0, NULL, 0, "smsr",
     "originating address of the SMS"},
    {"smsr", "id", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "smsr", "this SM-SR's identifier (OID)"},
    {"smsr", "workers", RSP_CONFIG_INT, "2", 1, 256, NULL, 0, "smsr",
     "operation workers (threads) in this process"},
    {"smsr", "lease_s", RSP_CONFIG_INT, "60", 1, 86400, NULL, 0, "smsr",
     "how long a claimed operation is held before another worker may take it over"},
    {"smsr", "por_timeout_s", RSP_CONFIG_INT, "120", 1, 86400, NULL, 0, "smsr",
     "wait for a PoR before retrying"},
    {"smsr", "retry_base_s", RSP_CONFIG_INT, "30", 1, 86400, NULL, 0, "smsr",
     "first retry delay (doubles each attempt)"},
    {"smsr", "max_attempts", RSP_CONFIG_INT, "5", 1, 1000, NULL, 0, "smsr",
     "attempts before an operation fails"},
    {"smsr", "default_validity_s", RSP_CONFIG_INT, "86400", 1, I64, NULL, 0, "smsr",
     "validity when a request gives none"},
    {"smdp", "id", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "smdp", "this SM-DP's identifier (OID)"},
    {"smdp", "dir", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "smdp",
     "inventory folder: packages, download journals, sqlite:<dir>/smdp.db unless [store] uri is set"},
    {"smdp", "workers", RSP_CONFIG_INT, "2", 1, 64, NULL, 0, "smdp",
     "threads running downloads and ES3 relays (each its own store connection and ES3 client)"},
    {"smdp", "operators", RSP_CONFIG_STR, "", 0, 0, NULL, 0, "smdp",
     "comma-separated Operator certificate CNs allowed on ES2; empty: any CN with a pool"},
    {"smdp", "ci", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "smdp", "CI folder (rsp ci init): admission trust"},
    {"smdp", "dp", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "smdp",
     "the SM-DP's rsp ci issue folder: ES8 key and CERT.DP, default TLS files"},
    {"smdp", "eum", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "smdp",
     "comma-separated EUM certificate files (or folders) trusted for CERT.ECASD"},
    {"smdp", "eis_dir", RSP_CONFIG_STR, "", 0, 0, NULL, 0, "smdp",
     "EUM EIS files (<EID>.json) giving CERT.ECASD when the SM-SR's GetEIS has none; empty: none"},
    {"smdp", "crl", RSP_CONFIG_STR, "", 0, 0, NULL, 0, "smdp",
     "the CI's CRL file, re-read when it changes: a revoked EUM's card is refused at admission; empty: none"},
    {"smdp", "es3_timeout_ms", RSP_CONFIG_INT, "60000", 100, 3600000, NULL, 0, "smdp",
     "time one ES3 call to the SM-SR may take (it waits for the card)"},
    SVC("smsr", "8401", "smsr"),
    SVC("smdp", "8402", "smdp"),
    {"euicc", "count", RSP_CONFIG_INT, "10", 1, 10000000, NULL, 0, "euicc",
     "simulated eUICCs hosted"},
    {"euicc", "state_dir", RSP_CONFIG_STR, "/var/lib/openrsp/euicc", 0, 0, NULL, 0, "euicc",
     "where card state persists"},
    {"smsc", "listen", RSP_CONFIG_STR, "127.0.0.1:2775", 0, 0, NULL, 0, "smsc",
     "SMPP server address of the SMSC simulator"},
    {"smsc", "system_id", RSP_CONFIG_STR, "openrsp", 0, 0, NULL, 0, "smsc",
     "system_id accepted by the simulator"},
    {"smsc", "password", RSP_CONFIG_STR, "", 0, 0, NULL, RSP_CONFIG_SECRET, "smsc",
     "password accepted by the simulator (secret)"},
};

const rsp_config_setting *rsp_config_settings(size_t *n)
{
    if (n)
        *n = sizeof builtin / sizeof builtin[0];
    return builtin;
}

const rsp_config_setting *rsp_config_setting_find(const rsp_config_setting *table, size_t n,
                                                  const char *section, const char *key)
{
    for (size_t i = 0; table && section && key && i < n; i++)
        if (strcmp(table[i].section, section) == 0 && strcmp(table[i].key, key) == 0)
            return &table[i];
    return NULL;
}

rsp_err rsp_config_env_name(const char *section, const char *key, char *out, size_t outlen)
{
    if (!section || !key || !out)
        return RSP_ERR_INVAL;
    int w = snprintf(out, outlen, "RSP_%s_%s", section, key);
    if (w < 0 || (size_t)w >= outlen)
        return RSP_ERR_OVERFLOW;
    for (char *p = out; *p; p++)
        *p = (*p == '.' || *p == '-') ? '_' : (char)toupper((unsigned char)*p);
    return RSP_OK;
}

/* ---- the config object ---- */

typedef struct entry {
    char *section, *key, *value;
    char *origin;   /* file name, or "environment" */
    unsigned line;  /* 0 for the environment */
} entry;

struct rsp_config {
    const rsp_config_setting *table;
    size_t ntable;
    entry *v;
    size_t n, cap;
};

rsp_err rsp_config_new(const rsp_config_setting *table, size_t n, rsp_config **out)
{
    if (!out)
        return RSP_ERR_INVAL;
    rsp_config *c = calloc(1, sizeof *c);
    if (!c)
        return RSP_ERR_NOMEM;
    c->table = table ? table : builtin;
    c->ntable = table ? n : sizeof builtin / sizeof builtin[0];
    *out = c;
    return RSP_OK;
}

static void entry_free(entry *e)
{
    free(e->section);
    free(e->key);
    if (e->value) /* values may be passwords */
        rsp_wipe(e->value, strlen(e->value));
    free(e->value);
    free(e->origin);
}

void rsp_config_free(rsp_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        entry_free(&c->v[i]);
    free(c->v);
    free(c);
}

static entry *find(const rsp_config *c, const char *section, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].section, section) == 0 && strcmp(c->v[i].key, key) == 0)
            return &c->v[i];
    return NULL;
}

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Sets (replacing) one value; takes ownership of nothing, copies everything. */
static rsp_err set_value(rsp_config *c, const char *section, const char *key, const char *value,
                         size_t vlen, const char *origin, unsigned line)
{
    entry ne = {dupn(section, strlen(section)), dupn(key, strlen(key)), dupn(value, vlen),
                dupn(origin, strlen(origin)), line};
    if (!ne.section || !ne.key || !ne.value || !ne.origin) {
        entry_free(&ne);
        return RSP_ERR_NOMEM;
    }
    entry *old = find(c, section, key);
    if (old) {
        entry_free(old);
        *old = ne;
        return RSP_OK;
    }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        entry *nv = realloc(c->v, nc * sizeof *nv);
        if (!nv) {
            entry_free(&ne);
            return RSP_ERR_NOMEM;
        }
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = ne;
    return RSP_OK;
}

/* ---- parser ---- */

static int name_char(int ch)
{
    return isalnum(ch) || ch == '_' || ch == '.' || ch == '-';
}

static bool valid_name(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char((unsigned char)p[i]))
            return false;
    return true;
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

typedef struct pline {
    const char *origin;
    unsigned line;
    size_t off; /* byte offset of the line in the text */
    rsp_diag *diag;
} pline;

__attribute__((format(printf, 2, 3))) static rsp_err perr(const pline *pl, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rsp_diag_set_at(pl->diag, RSP_ERR_FORMAT, pl->off, "%s:%u: %s", pl->origin, pl->line,
                           msg);
}

static bool rest_is_comment(const char *p, size_t n)
{
    const char *q = p;
    size_t m = n;
    trim(&q, &m);
    return m == 0 || *q == ';' || *q == '#';
}

/* Decodes the value part (after '=') into out (malloc'd, NUL-terminated). */
static rsp_err parse_value(const pline *pl, const char *p, size_t n, char **out, size_t *olen)
{
    trim(&p, &n);
    char *v = malloc(n + 1);
    size_t k = 0;
    if (!v)
        return RSP_ERR_NOMEM;
    if (n && (p[0] == '"' || p[0] == '\'')) {
        char q = p[0];
        size_t i = 1;
        for (; i < n && p[i] != q; i++) {
            char ch = p[i];
            if (q == '"' && ch == '\\') {
                if (++i >= n)
                    break;
                switch (p[i]) {
                case '"': ch = '"'; break;
                case '\\': ch = '\\'; break;
                case 'n': ch = '\n'; break;
                case 't': ch = '\t'; break;
                default:
                    free(v);
                    return perr(pl, "unknown escape \\%c in quoted value", p[i]);
                }
            }
            v[k++] = ch;
        }
        if (i >= n) {
            free(v);
            return perr(pl, "unterminated quoted value");
        }
        if (!rest_is_comment(p + i + 1, n - i - 1)) {
            free(v);
            return perr(pl, "text after the closing quote");
        }
    } else {
        /* An unquoted value ends at a comment marker preceded by white space. */
        for (size_t i = 0; i < n; i++) {
            if ((p[i] == ';' || p[i] == '#') && (i == 0 || p[i - 1] == ' ' || p[i - 1] == '\t'))
                break;
            v[k++] = p[i];
        }
        while (k && (v[k - 1] == ' ' || v[k - 1] == '\t'))
            k--;
        if (k && (v[0] == '"' || v[0] == '\'')) {
            free(v);
            return perr(pl, "unterminated quoted value");
        }
    }
    for (size_t i = 0; i < k; i++)
        if ((unsigned char)v[i] < 0x20 && v[i] != '\t' && v[i] != '\n') {
            free(v);
            return perr(pl, "control character in value");
        }
    v[k] = '\0';
    *out = v;
    *olen = k;
    return RSP_OK;
}

/* Parses into a scratch config first, so a malformed file changes nothing. */
static rsp_err parse_into(rsp_config *tmp, const char *text, size_t len, const char *origin,
                          rsp_diag *diag)
{
    char section[128] = "";
    pline pl = {origin, 0, 0, diag};
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pl.line++;
        pl.off = pos;
        pos += n + (nl ? 1 : 0);
        if (n && line[n - 1] == '\r')
            n--;
        if (memchr(line, '\0', n))
            return perr(&pl, "NUL byte");
        trim(&line, &n);
        if (n == 0 || line[0] == ';' || line[0] == '#')
            continue;
        if (line[0] == '[') {
            const char *end = memchr(line, ']', n);
            if (!end)
                return perr(&pl, "missing ']' in section header");
            const char *s = line + 1;
            size_t sn = (size_t)(end - s);
            trim(&s, &sn);
            if (!valid_name(s, sn) || sn >= sizeof section)
                return perr(&pl, "bad section name");
            if (!rest_is_comment(end + 1, n - (size_t)(end + 1 - line)))
                return perr(&pl, "text after ']'");
            memcpy(section, s, sn);
            section[sn] = '\0';
            continue;
        }
        const char *eq = memchr(line, '=', n);
        if (!eq)
            return perr(&pl, "expected 'key = value'");
        const char *k = line;
        size_t kn = (size_t)(eq - line);
        trim(&k, &kn);
        if (!valid_name(k, kn) || kn >= 128)
            return perr(&pl, "bad key name");
        if (!section[0])
            return perr(&pl, "key outside any [section]");
        char key[128];
        memcpy(key, k, kn);
        key[kn] = '\0';
        entry *dup = find(tmp, section, key);
        if (dup)
            return perr(&pl, "duplicate key '%s' in [%s] (first on line %u)", key, section,
                        dup->line);
        char *val = NULL;
        size_t vlen = 0;
        rsp_err e = parse_value(&pl, eq + 1, n - (size_t)(eq + 1 - line), &val, &vlen);
        if (e != RSP_OK)
            return e;
        e = set_value(tmp, section, key, val, vlen, origin, pl.line);
        rsp_wipe(val, vlen);
        free(val);
        if (e != RSP_OK)
            return e;
    }
    return RSP_OK;
}

rsp_err rsp_config_parse(rsp_config *c, const char *text, size_t len, const char *origin,
                         rsp_diag *diag)
{
    rsp_config tmp = {c ? c->table : NULL, c ? c->ntable : 0, NULL, 0, 0};
    if (!c || (!text && len))
        return RSP_ERR_INVAL;
    if (!origin)
        origin = "config";
    rsp_err e = parse_into(&tmp, text, len, origin, diag);
    for (size_t i = 0; i < tmp.n && e == RSP_OK; i++)
        e = set_value(c, tmp.v[i].section, tmp.v[i].key, tmp.v[i].value, strlen(tmp.v[i].value),
                      tmp.v[i].origin, tmp.v[i].line);
    for (size_t i = 0; i < tmp.n; i++)
        entry_free(&tmp.v[i]);
    free(tmp.v);
    return e;
}

rsp_err rsp_config_load(rsp_config *c, const char *path, rsp_diag *diag)
{
    if (!c || !path)
        return RSP_ERR_INVAL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rsp_diag_set(diag, RSP_ERR_IO, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    rsp_err e = RSP_OK;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 4096;
            char *nb = nc > (64u << 20) ? NULL : realloc(buf, nc); /* configs are small */
            if (!nb) {
                e = rsp_diag_set(diag, RSP_ERR_LENGTH, "%s: too large", path);
                break;
            }
            buf = nb;
            cap = nc;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) {
            if (ferror(f))
                e = rsp_diag_set(diag, RSP_ERR_IO, "%s: read error", path);
            break;
        }
    }
    fclose(f);
    if (e == RSP_OK)
        e = rsp_config_parse(c, buf, len, path, diag);
    if (buf)
        rsp_wipe(buf, len);
    free(buf);
    return e;
}

rsp_err rsp_config_apply_env(rsp_config *c, const char *const *envp)
{
    if (!c)
        return RSP_ERR_INVAL;
    for (size_t i = 0; envp && i < c->ntable; i++) {
        char name[160];
        if (rsp_config_env_name(c->table[i].section, c->table[i].key, name, sizeof name) != RSP_OK)
            continue;
        size_t nl = strlen(name);
        for (const char *const *ep = envp; *ep; ep++) {
            if (strncmp(*ep, name, nl) == 0 && (*ep)[nl] == '=') {
                const char *v = *ep + nl + 1;
                rsp_err e = set_value(c, c->table[i].section, c->table[i].key, v, strlen(v),
                                      "environment", 0);
                if (e != RSP_OK)
                    return e;
            }
        }
    }
    return RSP_OK;
}

/* ---- typed access ---- */

static rsp_err parse_int(const char *v, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!*v || isspace((unsigned char)*v))
        return RSP_ERR_FORMAT;
    long long x = strtoll(v, &end, 10);
    if (errno == ERANGE)
        return RSP_ERR_RANGE;
    if (*end)
        return RSP_ERR_FORMAT;
    *out = x;
    return RSP_OK;
}

static rsp_err parse_bool(const char *v, bool *out)
{
    static const char *const t[] = {"true", "yes", "on", "1"}, *const f[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, t[i]) == 0)
            return *out = true, RSP_OK;
        if (strcasecmp(v, f[i]) == 0)
            return *out = false, RSP_OK;
    }
    return RSP_ERR_FORMAT;
}

static rsp_err parse_enum(const char *choices, const char *v, int *out)
{
    int ix = 0;
    size_t vl = strlen(v);
    for (const char *p = choices; p && *p; ix++) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == vl && strncasecmp(p, v, n) == 0)
            return *out = ix, RSP_OK;
        p = comma ? comma + 1 : NULL;
    }
    return RSP_ERR_RANGE;
}

/* Checks v against the setting's type. */
static rsp_err check_value(const rsp_config_setting *s, const char *v)
{
    int64_t i;
    bool b;
    int x;
    switch (s->type) {
    case RSP_CONFIG_INT: {
        rsp_err e = parse_int(v, &i);
        if (e != RSP_OK)
            return e;
        return (i < s->min || i > s->max) ? RSP_ERR_RANGE : RSP_OK;
    }
    case RSP_CONFIG_BOOL: return parse_bool(v, &b);
    case RSP_CONFIG_ENUM: return parse_enum(s->choices, v, &x);
    default: return RSP_OK;
    }
}

static rsp_err lookup(const rsp_config *c, const char *section, const char *key,
                      rsp_config_type type, const rsp_config_setting **sp, const char **v)
{
    if (!c || !section || !key)
        return RSP_ERR_INVAL;
    const rsp_config_setting *s = rsp_config_setting_find(c->table, c->ntable, section, key);
    if (!s || s->type != type)
        return RSP_ERR_NOT_FOUND;
    entry *e = find(c, section, key);
    *v = e ? e->value : s->def;
    *sp = s;
    if (!*v)
        return RSP_ERR_NOT_FOUND;
    return check_value(s, *v);
}

rsp_err rsp_config_get_str(const rsp_config *c, const char *section, const char *key,
                           const char **out)
{
    const rsp_config_setting *s;
    if (!out)
        return RSP_ERR_INVAL;
    return lookup(c, section, key, RSP_CONFIG_STR, &s, out);
}

rsp_err rsp_config_get_int(const rsp_config *c, const char *section, const char *key,
                           int64_t *out)
{
    const rsp_config_setting *s;
    const char *v;
    if (!out)
        return RSP_ERR_INVAL;
    rsp_err e = lookup(c, section, key, RSP_CONFIG_INT, &s, &v);
    return e == RSP_OK ? parse_int(v, out) : e;
}

rsp_err rsp_config_get_bool(const rsp_config *c, const char *section, const char *key, bool *out)
{
    const rsp_config_setting *s;
    const char *v;
    if (!out)
        return RSP_ERR_INVAL;
    rsp_err e = lookup(c, section, key, RSP_CONFIG_BOOL, &s, &v);
    return e == RSP_OK ? parse_bool(v, out) : e;
}

rsp_err rsp_config_get_enum(const rsp_config *c, const char *section, const char *key, int *out)
{
    const rsp_config_setting *s;
    const char *v;
    if (!out)
        return RSP_ERR_INVAL;
    rsp_err e = lookup(c, section, key, RSP_CONFIG_ENUM, &s, &v);
    return e == RSP_OK ? parse_enum(s->choices, v, out) : e;
}

bool rsp_config_is_set(const rsp_config *c, const char *section, const char *key)
{
    return c && section && key && find(c, section, key) != NULL;
}

rsp_err rsp_config_check(const rsp_config *c, rsp_diag *diag, size_t *unknown)
{
    rsp_err first = RSP_OK;
    size_t nu = 0;
    if (!c)
        return RSP_ERR_INVAL;
    for (size_t i = 0; i < c->n; i++) {
        const entry *e = &c->v[i];
        const rsp_config_setting *s = rsp_config_setting_find(c->table, c->ntable, e->section,
                                                              e->key);
        rsp_err r;
        if (!s) {
            nu++;
            RSP_LOGN(RSP_SS_CORE, "unknown configuration key", "origin=%s line=%u key=%s.%s",
                     e->origin, e->line, e->section, e->key);
            r = rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "%s:%u: unknown key '%s' in [%s]",
                             e->origin, e->line, e->key, e->section);
        } else if ((r = check_value(s, e->value)) != RSP_OK) {
            /* The value itself is not echoed: it may be a secret. */
            rsp_diag_set(diag, r, "%s:%u: [%s] %s: %s", e->origin, e->line, e->section, e->key,
                         s->type == RSP_CONFIG_ENUM ? "not one of the choices"
                         : r == RSP_ERR_RANGE       ? "out of range"
                                                    : "malformed value");
        }
        if (first == RSP_OK)
            first = r;
    }
    if (unknown)
        *unknown = nu;
    return first;
}
