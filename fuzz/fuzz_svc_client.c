/* libFuzzer target: how the ES client reads a server's answer (rsp_svc_client_decode). The first byte
 * picks the function among those a client sends (ES2, ES4, ES4A requests) and the binding (JSON or SOAP);
 * the rest is the body. An accepted answer must be a result of that function with a status. */
#include <stdint.h>
#include <stdlib.h>

#include "rsp/svc_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const rsp_es_iface ifs[] = {RSP_ES2, RSP_ES4, RSP_ES4A};
    size_t total = 0, pick = data[0] >> 1;
    for (size_t i = 0; i < 3; i++)
        total += rsp_es_iface_get(ifs[i])->n;
    pick %= total;
    const rsp_es_func *f = NULL;
    for (size_t i = 0; i < 3 && !f; i++) {
        const rsp_es_iface_table *t = rsp_es_iface_get(ifs[i]);
        if (pick < t->n)
            f = &t->funcs[pick];
        else
            pick -= t->n;
    }
    if (f->mode == RSP_ES_ONEWAY)
        return 0;
    const char *ctype = (data[0] & 1) ? "application/json" : "application/soap+xml; charset=utf-8";
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_svc_client_decode(f, 200, ctype, NULL, data + 1, size - 1, &m, &d);
    if (e == RSP_OK && (m.func != f || !m.response || !m.body || !rsp_svc_client_status(&m)))
        abort();
    rsp_es_msg_free(&m);
    return 0;
}
