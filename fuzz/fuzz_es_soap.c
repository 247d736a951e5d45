/* libFuzzer target: the SOAP envelope parser. Whatever decodes must re-encode and decode to the same
 * struct (the codec is its own oracle). */
#include <stdint.h>
#include <stdlib.h>

#include "rsp/es.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es_soap_decode(data, size, NULL, NULL, &m, &d) == RSP_OK) {
        rsp_buf x = RSP_BUF_INIT;
        if (rsp_es_soap_encode(&m, &x, NULL) == RSP_OK) {
            rsp_es_msg back;
            if (rsp_es_soap_decode(x.data, x.len, NULL, NULL, &back, NULL) != RSP_OK ||
                !rsp_es_body_equal(rsp_es_msg_desc(&m), m.body, back.body))
                abort();
            rsp_es_msg_free(&back);
        }
        rsp_buf_free(&x);
    }
    rsp_es_msg_free(&m);
    return 0;
}
