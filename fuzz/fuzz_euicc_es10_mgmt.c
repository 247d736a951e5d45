/* Fuzzes the ES10c decoders: GetProfilesInfo answers, Enable/Disable/Delete requests and the
 * one-result answers, CancelSession, the GetProfilesInfo request, SetNickname, MemoryReset, addresses. What decodes re-encodes to bytes that decode again to the same fields. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/es10.h"

static rsp_es10_profiles profiles; /* large: kept off the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_buf b = RSP_BUF_INIT;
    if (rsp_es10_profiles_decode(data, size, &profiles, NULL) == RSP_OK && profiles.ok) {
        size_t n = profiles.n;
        if (rsp_es10_profiles_encode(profiles.items, n, &b) != RSP_OK ||
            rsp_es10_profiles_decode(b.data, b.len, &profiles, NULL) != RSP_OK || profiles.n != n)
            __builtin_trap();
    }
    rsp_buf_reset(&b);
    rsp_es10_profile_req rq;
    if (rsp_es10_profile_req_decode(data, size, &rq, NULL) == RSP_OK) {
        rsp_es10_profile_req rq2;
        if (rsp_es10_profile_req_encode(&rq, &b) != RSP_OK || rsp_es10_profile_req_decode(b.data, b.len, &rq2, NULL) != RSP_OK ||
            rq2.by != rq.by || rq2.id.len != rq.id.len || rq2.refresh != rq.refresh)
            __builtin_trap();
    }
    rsp_es10_cancel_resp cr, cr2;
    if (rsp_es10_cancel_resp_decode(data, size, &cr, NULL) == RSP_OK) {
        rsp_buf_reset(&b);
        if (rsp_es10_cancel_resp_encode(&cr, &b) != RSP_OK || rsp_es10_cancel_resp_decode(b.data, b.len, &cr2, NULL) != RSP_OK ||
            cr.ok != cr2.ok || cr.reason != cr2.reason)
            __builtin_trap();
    }
    rsp_es10_profiles_req pq, pq2;
    if (rsp_es10_profiles_req_decode(data, size, &pq, NULL) == RSP_OK) {
        rsp_buf_reset(&b);
        if (rsp_es10_profiles_req_encode(&pq, &b) != RSP_OK || rsp_es10_profiles_req_decode(b.data, b.len, &pq2, NULL) != RSP_OK ||
            pq.has_search != pq2.has_search)
            __builtin_trap();
    }
    rsp_bytes x1, x2;
    unsigned bits;
    (void)rsp_es10_nickname_req_decode(data, size, &x1, &x2, NULL);
    (void)rsp_es10_memory_reset_req_decode(data, size, &bits, NULL);
    (void)rsp_es10_addresses_decode(data, size, &x1, &x2, NULL);
    (void)rsp_es10_set_default_dp_decode(data, size, &x1, NULL);
    rsp_bytes tid;
    int r;
    (void)rsp_es10_cancel_req_decode(data, size, &tid, &r, NULL);
    (void)rsp_es10_result_decode(data, size, RSP_ES10_ENABLE_PROFILE, &r, NULL);
    (void)rsp_es10_result_decode(data, size, RSP_ES10_REMOVE_NOTIFICATION, &r, NULL);
    rsp_buf_free(&b);
    return 0;
}
