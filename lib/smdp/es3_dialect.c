/* Which ES3 the SM-DP speaks to its SM-SR: the gsma dialect over JSON (ours, docs/ES-JSON.md) or the
 * njiwa dialect over SOAP 1.1 (an SM-SR shaped like bagyenda/njiwa's WSDLs, issue 10). Nothing here
 * encodes a message: both forms are lib/es's (the SOAP codec reads lib/es/dialect_njiwa.c's tables)
 * and lib/svc's client carries them; this file only names the choice and, for debugging and the
 * contract test, writes each request as sent. */
#include <stdio.h>
#include <string.h>

#include "rsp/log.h"
#include "smdp_int.h"

rsp_err rsp_smdp_es3_dialect_parse(const char *name, rsp_es_dialect *out)
{
    if (!name || !out)
        return RSP_ERR_INVAL;
    if (strcmp(name, "gsma-json") == 0)
        *out = RSP_ES_DIALECT_GSMA;
    else if (strcmp(name, "njiwa-soap") == 0)
        *out = RSP_ES_DIALECT_NJIWA;
    else
        return RSP_ERR_FORMAT;
    return RSP_OK;
}

const char *rsp_smdp_es3_dialect_name(rsp_es_dialect d)
{
    return d == RSP_ES_DIALECT_NJIWA ? "njiwa-soap" : "gsma-json";
}

rsp_svc_binding rsp_smdp__es3_binding(rsp_es_dialect d)
{
    /* njiwa has no JSON binding: its SM-SR is a JAX-WS service */
    return d == RSP_ES_DIALECT_NJIWA ? RSP_SVC_BINDING_SOAP : RSP_SVC_BINDING_JSON;
}

void rsp_smdp__es3_dump(const char *dir, const char *fcid, const char *fn, rsp_es_dialect d, const rsp_buf *req)
{
    if (!dir || !dir[0] || !req || !req->len)
        return;
    char path[RSP_SMDP_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s-%s.%s", dir, fcid ? fcid : "call", fn ? fn : "ES3",
                     d == RSP_ES_DIALECT_NJIWA ? "xml" : "json");
    /* a debug aid: a file that cannot be written is logged, never a reason to fail the ES3 call */
    FILE *f = n > 0 && (size_t)n < sizeof path ? fopen(path, "wb") : NULL;
    bool ok = f && fwrite(req->data, 1, req->len, f) == req->len;
    if (f && fclose(f) != 0)
        ok = false;
    if (!ok)
        rsp_log(RSP_SS_SMDP, RSP_LOG_ERROR, "ES3 dump: cannot write", "path=%s", n > 0 ? path : dir);
}
