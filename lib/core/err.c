#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rsp/err.h"

static const char *const err_names[] = {
#define RSP_ERR_NAME_(code, name, msg) name,
    RSP_ERR_LIST(RSP_ERR_NAME_)
#undef RSP_ERR_NAME_
};

static const char *const err_msgs[] = {
#define RSP_ERR_MSG_(code, name, msg) msg,
    RSP_ERR_LIST(RSP_ERR_MSG_)
#undef RSP_ERR_MSG_
};

const char *rsp_err_name(rsp_err e)
{
    if ((unsigned)e >= RSP_ERR__COUNT)
        return "unknown";
    return err_names[e];
}

const char *rsp_err_msg(rsp_err e)
{
    if ((unsigned)e >= RSP_ERR__COUNT)
        return "unknown error";
    return err_msgs[e];
}

void rsp_diag_clear(rsp_diag *d)
{
    if (d)
        memset(d, 0, sizeof(*d));
}

static rsp_err diag_setv(rsp_diag *d, rsp_err err, int has_off, size_t off, const char *fmt, va_list ap)
{
    if (!d || d->err != RSP_OK)
        return err;
    d->err = err;
    d->has_offset = has_off;
    d->offset = off;
    vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
    return err;
}

rsp_err rsp_diag_set(rsp_diag *d, rsp_err err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_setv(d, err, 0, 0, fmt, ap);
    va_end(ap);
    return err;
}

rsp_err rsp_diag_set_at(rsp_diag *d, rsp_err err, size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_setv(d, err, 1, offset, fmt, ap);
    va_end(ap);
    return err;
}

const char *rsp_diag_str(const rsp_diag *d, rsp_err fallback, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return "";
    if (!d || d->err == RSP_OK || d->msg[0] == '\0') {
        snprintf(out, outlen, "%s", rsp_err_msg(fallback));
    } else if (d->has_offset) {
        snprintf(out, outlen, "%s at offset %zu (%s)", d->msg, d->offset, rsp_err_name(d->err));
    } else {
        snprintf(out, outlen, "%s (%s)", d->msg, rsp_err_name(d->err));
    }
    return out;
}
