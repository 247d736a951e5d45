/* libFuzzer target: a peer's /metrics page (rsp_metrics_read_sum, lib/svc/metrics_read.c). The first
 * byte picks the metric name asked for (among names the seeds use, so lines of it are reached); the rest
 * is the page, in a buffer of exactly its size (not NUL-terminated: ASan sees any read past len). An
 * accepted sum is finite, within the documented bound, from at least one sample; a refusal leaves 0. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/metrics_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"m", "rsp_smsr_sms_out_total", "rsp_smsr_admin_sessions_total",
                                        "http_requests_total", "a:b_c"};
    if (size < 1)
        return 0;
    const char *name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
    size_t len = size - 1;
    char *text = malloc(len ? len : 1);
    if (!text)
        return 0;
    if (len)
        memcpy(text, data + 1, len);
    double sum = -1;
    size_t n = 99;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_metrics_read_sum(text, len, name, &sum, &n, &d);
    if (e == RSP_OK && (!isfinite(sum) || fabs(sum) > 1e15 || n == 0 || n > len))
        abort();
    if (e != RSP_OK && (sum != 0 || n != 0 || !d.msg[0]))
        abort();
    free(text);
    return 0;
}
