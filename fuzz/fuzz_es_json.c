/* libFuzzer target: the JSON binding. The first byte picks the function (over the whole catalogue) and
 * the direction; the rest is the body. Decoded messages must survive a JSON round trip. */
#include <stdint.h>
#include <stdlib.h>

#include "rsp/es.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t total = 0, pick = data[0] >> 1;
    for (int i = 0; i < RSP_ES__COUNT; i++)
        total += rsp_es_iface_get((rsp_es_iface)i)->n;
    pick %= total;
    const rsp_es_func *f = NULL;
    for (int i = 0; i < RSP_ES__COUNT && !f; i++) {
        const rsp_es_iface_table *t = rsp_es_iface_get((rsp_es_iface)i);
        if (pick < t->n)
            f = &t->funcs[pick];
        else
            pick -= t->n;
    }
    bool response = (data[0] & 1) && f->resp;
    rsp_es_msg m;
    if (rsp_es_json_decode(f, response, data + 1, size - 1, NULL, &m, NULL) == RSP_OK) {
        rsp_buf x = RSP_BUF_INIT;
        if (rsp_es_json_encode(&m, &x, NULL) == RSP_OK) {
            rsp_es_msg back;
            if (rsp_es_json_decode(f, response, x.data, x.len, NULL, &back, NULL) != RSP_OK ||
                !rsp_es_body_equal(rsp_es_msg_desc(&m), m.body, back.body))
                abort();
            rsp_es_msg_free(&back);
        }
        rsp_buf_free(&x);
    }
    rsp_es_msg_free(&m);
    return 0;
}
