/* libFuzzer target: the SOAP envelope parser, in every dialect (gsma, njiwa: the input picks it through
 * its WS-A namespace or SOAP version). Oracles: whatever decodes must re-encode in its own dialect and
 * decode to the same struct; encoding it in the other dialect must either succeed and decode again, or
 * fail with a named refusal (a member that dialect cannot carry), never crash or lose the message. */
#include <stdint.h>
#include <stdlib.h>

#include "rsp/es.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void other_dialect(const rsp_es_msg *m)
{
    rsp_es_msg o = *m;
    o.dialect = m->dialect == RSP_ES_DIALECT_GSMA ? RSP_ES_DIALECT_NJIWA : RSP_ES_DIALECT_GSMA;
    rsp_buf x = RSP_BUF_INIT;
    rsp_err e = rsp_es_soap_encode(&o, &x, NULL);
    if (e == RSP_OK) {
        rsp_es_msg back;
        if (rsp_es_soap_decode(x.data, x.len, NULL, NULL, &back, NULL) != RSP_OK || back.func != m->func ||
            back.dialect != o.dialect)
            abort();
        rsp_es_msg_free(&back);
    } else if (e != RSP_ERR_UNSUPPORTED && e != RSP_ERR_INVAL) {
        abort();
    }
    rsp_buf_free(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_es_msg m;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_es_soap_decode(data, size, NULL, NULL, &m, &d) == RSP_OK) {
        rsp_buf x = RSP_BUF_INIT;
        if (rsp_es_soap_encode(&m, &x, NULL) == RSP_OK) {
            rsp_es_msg back;
            if (rsp_es_soap_decode(x.data, x.len, NULL, NULL, &back, NULL) != RSP_OK || back.dialect != m.dialect ||
                !rsp_es_body_equal(rsp_es_msg_desc(&m), m.body, back.body))
                abort();
            rsp_es_msg_free(&back);
        }
        rsp_buf_free(&x);
        other_dialect(&m);
    }
    rsp_es_msg_free(&m);
    return 0;
}
