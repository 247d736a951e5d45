/* Logging with subsystems, levels and key=value context.
 *
 * The sink (where lines go, and the per-subsystem levels) is the one piece of global mutable state in
 * OpenRSP. Secrets (keys, PSKs, profile data) must never be passed to these functions: log key ids
 * and KCVs instead. */
#ifndef RSP_LOG_H
#define RSP_LOG_H

#include <stdarg.h>

typedef enum rsp_log_level {
    RSP_LOG_DEBUG = 0,
    RSP_LOG_INFO = 1,
    RSP_LOG_NOTICE = 2,
    RSP_LOG_ERROR = 3,
    RSP_LOG_NONE = 4,
} rsp_log_level;

#define RSP_LOG_SUBSYS_LIST(X) \
    X(RSP_SS_CORE, "core")     \
    X(RSP_SS_CRYPTO, "crypto") \
    X(RSP_SS_CARD, "card")     \
    X(RSP_SS_SAIP, "saip")     \
    X(RSP_SS_ES, "es")         \
    X(RSP_SS_STORE, "store")   \
    X(RSP_SS_NET, "net")       \
    X(RSP_SS_SMPP, "smpp")     \
    X(RSP_SS_SMSR, "smsr")     \
    X(RSP_SS_SMDP, "smdp")     \
    X(RSP_SS_EUICC, "euicc")   \
    X(RSP_SS_SMSC, "smsc")     \
    X(RSP_SS_TOOL, "tool")

typedef enum rsp_log_subsys {
#define RSP_SS_ENUM_(id, name) id,
    RSP_LOG_SUBSYS_LIST(RSP_SS_ENUM_)
#undef RSP_SS_ENUM_
    RSP_SS__COUNT
} rsp_log_subsys;

/* A sink receives one formatted line (no trailing newline) with its level and subsystem. */
typedef void (*rsp_log_sink_fn)(void *ctx, rsp_log_subsys ss, rsp_log_level lvl, const char *line);

/* Default: stderr, level NOTICE for every subsystem. */
void rsp_log_set_sink(rsp_log_sink_fn fn, void *ctx);
void rsp_log_set_level(rsp_log_subsys ss, rsp_log_level lvl);
void rsp_log_set_level_all(rsp_log_level lvl);
/* Parses "debug", "info", "notice", "error", "none". Returns -1 if unknown. */
int rsp_log_level_parse(const char *s);
int rsp_log_enabled(rsp_log_subsys ss, rsp_log_level lvl);
const char *rsp_log_subsys_name(rsp_log_subsys ss);

/* Emits "LEVEL subsys: msg k1=v1 k2=v2". `kv` is a printf format for the key=value context
 * (may be NULL). */
void rsp_log(rsp_log_subsys ss, rsp_log_level lvl, const char *msg, const char *kv, ...)
    __attribute__((format(printf, 4, 5)));
void rsp_logv(rsp_log_subsys ss, rsp_log_level lvl, const char *msg, const char *kv, va_list ap);

#define RSP_LOGD(ss, msg, ...) \
    do { if (rsp_log_enabled(ss, RSP_LOG_DEBUG)) rsp_log(ss, RSP_LOG_DEBUG, msg, __VA_ARGS__); } while (0)
#define RSP_LOGI(ss, msg, ...) rsp_log(ss, RSP_LOG_INFO, msg, __VA_ARGS__)
#define RSP_LOGN(ss, msg, ...) rsp_log(ss, RSP_LOG_NOTICE, msg, __VA_ARGS__)
#define RSP_LOGE(ss, msg, ...) rsp_log(ss, RSP_LOG_ERROR, msg, __VA_ARGS__)

#endif
