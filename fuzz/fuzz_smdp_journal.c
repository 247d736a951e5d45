/* libFuzzer target: the journal file of an older SM-DP (<dir>/downloads/<id>.dl, "key=value" lines),
 * read once when such a dir is opened and moved into the store (lib/smdp/download.c). Invariants: on
 * success the step is one of the table's, operator and type are valid pool names, the EID has 32
 * characters and every text field is NUL-terminated within its array; on failure the record is zeroed. */
#include <stdlib.h>
#include <string.h>

#include "smdp/smdp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool terminated(const char *s, size_t cap) { return memchr(s, 0, cap) != NULL; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_smdp_dl d, zero;
    memset(&zero, 0, sizeof zero);
    rsp_err e = rsp_smdp__dl_parse_old("es2-0123456789ab", data, size, &d);
    if (e != RSP_OK) {
        if (memcmp(&d, &zero, sizeof d) != 0)
            abort();
        return 0;
    }
    if ((unsigned)d.step > RSP_SMDP_DL_FAILED || strcmp(d.id, "es2-0123456789ab") != 0 ||
        !rsp_smdp__name_ok(d.op) || !rsp_smdp__name_ok(d.type) || strlen(d.eid) != 32 ||
        !terminated(d.iccid, sizeof d.iccid) || !terminated(d.outcome, sizeof d.outcome) ||
        !terminated(d.status, sizeof d.status))
        abort();
    return 0;
}
