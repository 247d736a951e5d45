/* Fuzzes the ES10b AuthenticateServer and PrepareDownload decoders (requests, answers, the signed
 * objects). A decoded request re-encodes from its raw pieces to exactly the input when it carried no
 * unknown members, and always to something that decodes again. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/es10.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_buf b = RSP_BUF_INIT;
    rsp_es10_auth_server_req rq, rq2;
    if (rsp_es10_auth_server_req_decode(data, size, &rq, NULL) == RSP_OK) {
        if (rsp_es10_auth_server_req_encode(&rq, &b) != RSP_OK ||
            rsp_es10_auth_server_req_decode(b.data, b.len, &rq2, NULL) != RSP_OK ||
            rq2.signed1.raw.len != rq.signed1.raw.len || rq2.ctx.tac.len != rq.ctx.tac.len)
            __builtin_trap();
    }
    rsp_buf_reset(&b);
    rsp_es10_auth_server_resp rs, rs2;
    if (rsp_es10_auth_server_resp_decode(data, size, &rs, NULL) == RSP_OK) {
        if (rsp_es10_auth_server_resp_encode(&rs, &b) != RSP_OK ||
            rsp_es10_auth_server_resp_decode(b.data, b.len, &rs2, NULL) != RSP_OK || rs.ok != rs2.ok)
            __builtin_trap();
    }
    rsp_buf_reset(&b);
    rsp_es10_prepare_req pq, pq2;
    if (rsp_es10_prepare_req_decode(data, size, &pq, NULL) == RSP_OK) {
        if (rsp_es10_prepare_req_encode(&pq, &b) != RSP_OK || rsp_es10_prepare_req_decode(b.data, b.len, &pq2, NULL) != RSP_OK ||
            pq.signed2.cc_required != pq2.signed2.cc_required)
            __builtin_trap();
    }
    rsp_buf_reset(&b);
    rsp_es10_prepare_resp pr, pr2;
    if (rsp_es10_prepare_resp_decode(data, size, &pr, NULL) == RSP_OK) {
        if (rsp_es10_prepare_resp_encode(&pr, &b) != RSP_OK ||
            rsp_es10_prepare_resp_decode(b.data, b.len, &pr2, NULL) != RSP_OK || pr.ok != pr2.ok)
            __builtin_trap();
    }
    rsp_es10_server_signed1 s1;
    (void)rsp_es10_server_signed1_decode(data, size, &s1, NULL);
    rsp_es10_euicc_signed1 e1;
    (void)rsp_es10_euicc_signed1_decode(data, size, &e1, NULL);
    rsp_buf_free(&b);
    return 0;
}
