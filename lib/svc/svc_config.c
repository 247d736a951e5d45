/* The svc's settings from a daemon's config section. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svc_int.h"

double rsp_svc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static rsp_err get_str(const rsp_config *c, const char *sec, const char *key, const char **out, rsp_diag *d)
{
    rsp_err e = rsp_config_get_str(c, sec, key, out);
    if (e == RSP_ERR_NOT_FOUND) {
        *out = NULL; /* optional, no default */
        return RSP_OK;
    }
    return e ? rsp_diag_set(d, e, "[%s] %s", sec, key) : RSP_OK;
}

static rsp_err get_uint(const rsp_config *c, const char *sec, const char *key, unsigned *out, rsp_diag *d)
{
    int64_t v;
    rsp_err e = rsp_config_get_int(c, sec, key, &v);
    if (e)
        return rsp_diag_set(d, e, "[%s] %s", sec, key);
    *out = (unsigned)v;
    return RSP_OK;
}

rsp_err rsp_svc_opts_from_config(const rsp_config *c, const char *section, rsp_svc_opts *o, rsp_diag *diag)
{
    if (!c || !section || !o)
        return RSP_ERR_INVAL;
    unsigned q = 0, mp = 0;
    rsp_err e;
    if ((e = get_str(c, section, "listen", &o->listen, diag)) || (e = get_str(c, section, "tls_cert", &o->tls_cert, diag)) ||
        (e = get_str(c, section, "tls_key", &o->tls_key, diag)) || (e = get_str(c, section, "tls_ca", &o->tls_ca, diag)) ||
        (e = get_str(c, section, "port_file", &o->port_file, diag)) ||
        (e = get_str(c, section, "metrics_listen", &o->metrics_listen, diag)) ||
        (e = get_uint(c, section, "max_connections", &o->max_connections, diag)) ||
        (e = get_uint(c, section, "max_pending", &mp, diag)) ||
        (e = get_uint(c, section, "stop_grace_ms", &o->stop_grace_ms, diag)) ||
        (e = get_uint(c, section, "callback_queue", &q, diag)) ||
        (e = get_uint(c, section, "callback_timeout_ms", &o->callback_timeout_ms, diag)))
        return e;
    if (o->port_file && !*o->port_file)
        o->port_file = NULL;
    if (o->metrics_listen && !*o->metrics_listen)
        o->metrics_listen = NULL;
    o->callback_queue = q;
    o->max_pending = mp;
    o->name = section;
    return RSP_OK;
}
