/* libFuzzer target: the SM-DP identity CSV parser (an Operator's file). Invariants: on success every
 * identity has a Luhn-valid ICCID, an IMSI of 6..15 digits, 16/32-byte keys, and no ICCID repeats;
 * line numbers are increasing; on failure nothing is returned. */
#include <stdlib.h>
#include <string.h>

#include "rsp/ids.h"
#include "rsp/smdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_smdp_identity *ids = NULL;
    size_t n = 0, *lines = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_smdp_csv_parse((const char *)data, size, &ids, &n, &lines, &d);
    if (e != RSP_OK) {
        if (ids || n || lines || !d.msg[0])
            abort();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        size_t il = strlen(ids[i].imsi);
        if (rsp_iccid_check(ids[i].iccid) != RSP_OK || il < 6 || il > 15 ||
            (ids[i].ki_len != 16 && ids[i].ki_len != 32) || (ids[i].opc_len != 16 && ids[i].opc_len != 32))
            abort();
        if (i && lines[i] <= lines[i - 1])
            abort();
        for (size_t j = 0; j < i; j++)
            if (!strcmp(ids[i].iccid, ids[j].iccid))
                abort();
    }
    rsp_smdp_identities_free(ids, n);
    free(lines);
    return 0;
}
