/* The transport table (lpa.h) and the direct transport: the simulator's card folder opened in this
 * process through the card's own entry point (es10.h §c22_slot.c), so `rsp lpa` drives exactly the
 * APDU interface a reader would. The card folder is locked while open: a card attached to a reader
 * (`rsp euicc attach`) answers BUSY here, as a card cannot sit in two readers. */
#include <stdio.h>
#include <string.h>

#include "rsp/es10.h"
#include "rsp/lpa.h"

static rsp_err direct_open(const char *arg, void **ctx, rsp_diag *diag)
{
    *ctx = NULL;
    if (!arg || !*arg)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "direct: a card folder is needed (--card DIR)");
    rsp_es10_slot *s = NULL;
    rsp_err e = rsp_es10_card_open(arg, &s, diag);
    if (e)
        return e;
    *ctx = s;
    return RSP_OK;
}

static rsp_err direct_transmit(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag)
{
    rsp_err e = rsp_es10_card_apdu(ctx, capdu, len, rapdu);
    return e ? rsp_diag_set(diag, e, "direct: the card failed (%s)", rsp_err_msg(e)) : RSP_OK;
}

static void direct_close(void *ctx)
{
    rsp_es10_card_close(ctx);
}

static const rsp_lpa_transport_ops direct_ops = {
    "direct", "the simulator's card folder, in this process (--card DIR)", direct_open, direct_transmit,
    direct_close,
};

extern const rsp_lpa_transport_ops rsp_lpa__pcsc_ops; /* pcsc.c */

const rsp_lpa_transport_ops *const rsp_lpa_transports[] = {&rsp_lpa__pcsc_ops, &direct_ops, NULL};

rsp_err rsp_lpa_transport_find(const char *name, const rsp_lpa_transport_ops **out, rsp_diag *diag)
{
    for (size_t i = 0; rsp_lpa_transports[i]; i++) {
        if (strcmp(rsp_lpa_transports[i]->name, name) == 0) {
            *out = rsp_lpa_transports[i];
            return RSP_OK;
        }
    }
    return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "transport '%s': not one of pcsc, direct", name);
}
