/* libFuzzer target: the SAIP walker and everything that runs on a parsed package (re-encoding,
 * OID text, segmentation, personalisation), plus the EUICCResponse decoder on the same bytes.
 * Invariants checked: a parsed package re-encodes to the input; a personalised package parses. */
#include <stdlib.h>
#include <string.h>

#include "rsp/saip.h"

static void exercise(const rsp_saip_package *pkg, const uint8_t *data, size_t size)
{
    rsp_buf out = RSP_BUF_INIT;
    if (rsp_saip_encode(pkg, &out) != RSP_OK || out.len != size || memcmp(out.data, data, size))
        abort();
    for (size_t i = 0; i < pkg->header.n_gfste; i++) {
        char oid[160];
        (void)rsp_saip_oid_str(pkg->header.gfste[i], oid, sizeof(oid));
    }
    rsp_saip_segment *seg = NULL;
    size_t n = 0, total = 0;
    if (rsp_saip_segment_plan(pkg, 1024, true, &seg, &n) != RSP_OK)
        abort();
    for (size_t i = 0; i < n; i++)
        total += seg[i].len;
    if (total != size)
        abort();
    free(seg);
    static const uint8_t k[16] = {1, 2, 3, 4};
    const rsp_saip_perso ps = {"89440000000000000010", "234150123456789", k, 16, k, 16};
    const rsp_saip_perso only_iccid = {"89440000000000000010", NULL, NULL, 0, NULL, 0};
    rsp_saip_package again;
    if (rsp_saip_personalize(pkg, &ps, &out, NULL) == RSP_OK ||
        rsp_saip_personalize(pkg, &only_iccid, &out, NULL) == RSP_OK) {
        if (rsp_saip_parse(out.data, out.len, RSP_SAIP_ALLOW_UNKNOWN, &again, NULL) != RSP_OK)
            abort();
        rsp_saip_package_free(&again);
    }
    rsp_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_saip_package pkg;
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_saip_parse(data, size, 0, &pkg, &d) == RSP_OK) {
        exercise(&pkg, data, size);
        rsp_saip_package_free(&pkg);
    }
    if (rsp_saip_parse(data, size, RSP_SAIP_ALLOW_UNKNOWN | RSP_SAIP_SHALLOW, &pkg, NULL) == RSP_OK)
        rsp_saip_package_free(&pkg);

    rsp_saip_euicc_response r;
    if (rsp_saip_euicc_response_decode(data, size, &r, NULL) == RSP_OK) {
        rsp_buf out = RSP_BUF_INIT;
        rsp_saip_euicc_response back;
        if (rsp_saip_euicc_response_encode(&r, &out) != RSP_OK ||
            rsp_saip_euicc_response_decode(out.data, out.len, &back, NULL) != RSP_OK ||
            back.n_pe_status != r.n_pe_status || back.installation_aborted != r.installation_aborted)
            abort();
        rsp_saip_euicc_response_free(&back);
        rsp_saip_euicc_response_free(&r);
        rsp_buf_free(&out);
    }
    return 0;
}
