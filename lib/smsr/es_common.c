/* Machinery shared by the HTTPS handlers of es_api.c (ES1/ES4/ES4A) and es3.c (ES3): the caller's
 * identity from its client certificate, the role lists, the request's validity period, answering a
 * call from an operation's result, and the growth of the arrays of calls waiting for an answer. */
#include <stdlib.h>
#include <string.h>

#include "rsp/es_endpoint.h"
#include "rsp/es_types.h"
#include "smsr_int.h"

void smsr_cn_of(const char *peer, char *out, size_t cap)
{
    out[0] = 0;
    const char *p = peer ? strstr(peer, "CN=") : NULL;
    if (!p)
        return;
    p += 3;
    size_t n = strcspn(p, ",+/");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

bool smsr_listed(const char *list, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && strncmp(p, id, n) == 0)
            return true;
        p += l;
        if (*p == ',')
            p++;
    }
    return false;
}

int64_t smsr_validity(const struct rsp_es_req_hdr *hdr)
{
    return hdr->has_validity_period && hdr->validity_period > 0 ? hdr->validity_period : 3600;
}

rsp_err smsr_call_answer(struct rsp_es_call *call, const rsp_smsr_result *r)
{
    if (strcmp(r->status, "Executed-Success") == 0)
        return rsp_es_call_complete(call);
    return rsp_es_call_reject(call, r->subject, r->reason, NULL, r->message);
}

void *smsr_grow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : 16;
    void *nv = realloc(v, nc * size);
    if (nv)
        *cap = nc;
    return nv;
}
