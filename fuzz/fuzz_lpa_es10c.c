/* Fuzzes the LPA side of the ES10 transport and the answer decoders (lpa.h): the "card" is the input,
 * a sequence of R-APDUs each preceded by its length byte, handed out one per C-APDU (an exhausted
 * input is a transport failure). The LPA opens its channel, selects the ISD-R and runs the read-only
 * functions of `rsp lpa`, so 61xx / 6Cxx loops, short answers and every answer decoder are reached. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/lpa.h"

typedef struct feed {
    const uint8_t *p;
    size_t len, off;
} feed;

/* The harness passes its feed as the transport's address. */
static rsp_err f_open(const char *arg, void **ctx, rsp_diag *diag)
{
    (void)diag;
    *ctx = (void *)(uintptr_t)arg;
    return RSP_OK;
}

static rsp_err f_transmit(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag)
{
    feed *f = ctx;
    (void)capdu, (void)len;
    if (f->off >= f->len)
        return rsp_diag_set(diag, RSP_ERR_IO, "card gone");
    size_t n = f->p[f->off++];
    if (n > f->len - f->off)
        n = f->len - f->off;
    rsp_err e = rsp_buf_append(rapdu, f->p + f->off, n);
    f->off += n;
    return e;
}

static void f_close(void *ctx)
{
    (void)ctx;
}

static const rsp_lpa_transport_ops ops = {"fuzz", "", f_open, f_transmit, f_close};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    feed f = {data, size, 0};
    rsp_lpa_card c;
    if (rsp_lpa_card_open(&c, &ops, (const char *)&f, 6, NULL) != RSP_OK)
        return 0;
    uint8_t eid[16];
    (void)rsp_lpa_get_eid(&c, eid, NULL);
    rsp_buf raw = RSP_BUF_INIT;
    rsp_es10_info2 i2;
    (void)rsp_lpa_get_info2(&c, &raw, &i2, NULL);
    rsp_bytes dp, ds;
    (void)rsp_lpa_get_addresses(&c, &raw, &dp, &ds, NULL);
    rsp_es10_profiles *p = malloc(sizeof(*p));
    if (p)
        (void)rsp_lpa_get_profiles(&c, &raw, p, NULL);
    free(p);
    rsp_es10_notif_list *l = malloc(sizeof(*l));
    if (l) {
        (void)rsp_lpa_list_notifications(&c, &raw, l, NULL);
        (void)rsp_lpa_retrieve_notification(&c, 1, &raw, l, NULL);
    }
    free(l);
    int result;
    (void)rsp_lpa_remove_notification(&c, 1, &result, NULL);
    rsp_buf_free(&raw);
    rsp_lpa_card_close(&c);
    return 0;
}
