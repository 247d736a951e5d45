/* libFuzzer target: an EIS file as `rsp eum verify` reads it (apps/eum_eis.c). The first byte picks the
 * binding (SOAP or JSON), the rest is the file. A decoded EIS goes through the canonical form of
 * EumSignedInfo and the signature check (which must refuse: the key is not the signer's), and its
 * canonical form must survive a JSON round trip, since the same signature is carried by both files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../apps/cli.c"
#include "../apps/eum_eis.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const rsp_es_msg *m)
{
    const rsp_es_eis_req *r = m->body;
    if (!r || !r->eis)
        return;
    rsp_buf c1 = RSP_BUF_INIT, j = RSP_BUF_INIT, c2 = RSP_BUF_INIT;
    rsp_err e = rsp_eum_eis_canonical(r->eis->signed_info, &c1);
    static const uint8_t d[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    rsp_eckey *k = NULL;
    if (rsp_ec_from_private(RSP_CURVE_P256, d, &k) == RSP_OK) {
        if (rsp_eum_eis_verify(r->eis, k, NULL) == RSP_OK)
            abort(); /* a signature by nobody's key verified */
        rsp_ec_free(k);
    }
    if (!e && rsp_es_json_encode(m, &j, NULL) == RSP_OK) {
        rsp_es_msg back;
        if (rsp_es_json_decode(m->func, false, j.data, j.len, NULL, &back, NULL) == RSP_OK) {
            const rsp_es_eis_req *b = back.body;
            if (!b || !b->eis || rsp_eum_eis_canonical(b->eis->signed_info, &c2) != RSP_OK ||
                !rsp_bytes_eq(rsp_buf_view(&c1), rsp_buf_view(&c2)))
                abort(); /* the signed bytes changed across a JSON round trip */
        }
        rsp_es_msg_free(&back);
    }
    rsp_buf_free(&c1);
    rsp_buf_free(&c2);
    rsp_buf_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const rsp_es_func *f = rsp_es_func_find(RSP_ES1, "RegisterEIS", strlen("RegisterEIS"));
    rsp_es_msg m;
    rsp_err e = data[0] & 1 ? rsp_es_json_decode(f, false, data + 1, size - 1, NULL, &m, NULL)
                            : rsp_es_soap_decode(data + 1, size - 1, NULL, NULL, &m, NULL);
    if (e == RSP_OK && m.func == f && !m.response)
        check(&m);
    rsp_es_msg_free(&m);
    return 0;
}
