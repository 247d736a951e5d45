/* The PC/SC transport (lpa.h) over libpcsclite: real readers and vsmartcard's virtual one alike. A
 * build without libpcsclite-dev keeps the row and says so when it is used. The reader is held
 * exclusively for the session (as lpac does) so that no other program's APDUs land between the
 * blocks of a STORE DATA chain. The card is left as it is on close (SCARD_LEAVE_CARD): its NVM is
 * durable either way, and our logical channel is closed by rsp_lpa_card_close before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/lpa.h"

#ifdef RSP_HAVE_PCSC
#include <winscard.h>
#include <wintypes.h>

typedef struct pcsc_ctx {
    SCARDCONTEXT ctx;
    SCARDHANDLE card;
    DWORD proto;
    bool connected;
} pcsc_ctx;

static rsp_err pcsc_fail(rsp_diag *diag, const char *what, LONG rv)
{
    rsp_err e = rv == (LONG)SCARD_E_NO_SERVICE || rv == (LONG)SCARD_E_NO_READERS_AVAILABLE ? RSP_ERR_NOT_FOUND
                : rv == (LONG)SCARD_E_SHARING_VIOLATION                                   ? RSP_ERR_BUSY
                                                                                           : RSP_ERR_IO;
    return rsp_diag_set(diag, e, "pcsc: %s: %s (0x%08lX)", what, pcsc_stringify_error(rv), (unsigned long)rv);
}

static rsp_err pcsc_open(const char *arg, void **out, rsp_diag *diag)
{
    pcsc_ctx *p = calloc(1, sizeof(*p));
    *out = p;
    if (!p)
        return RSP_ERR_NOMEM;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx);
    if (rv != SCARD_S_SUCCESS) {
        p->ctx = 0;
        return pcsc_fail(diag, "no PC/SC service (is pcscd running?)", rv);
    }
    DWORD len = 0;
    rv = SCardListReaders(p->ctx, NULL, NULL, &len);
    if (rv != SCARD_S_SUCCESS)
        return pcsc_fail(diag, "list readers", rv);
    char *names = calloc(1, len + 1);
    if (!names)
        return RSP_ERR_NOMEM;
    rv = SCardListReaders(p->ctx, NULL, names, &len);
    rsp_err e = RSP_OK;
    if (rv != SCARD_S_SUCCESS)
        e = pcsc_fail(diag, "list readers", rv);
    /* the first reader matching arg (a substring) that takes the connection: one without a card
     * answers SCARD_E_NO_SMARTCARD / SCARD_W_REMOVED_CARD and the next is tried */
    LONG last = SCARD_E_UNKNOWN_READER;
    for (const char *r = names; !e && r < names + len && *r; r += strlen(r) + 1) {
        if (arg && *arg && !strstr(r, arg))
            continue;
        last = SCardConnect(p->ctx, r, SCARD_SHARE_EXCLUSIVE, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card,
                            &p->proto);
        if (last == SCARD_S_SUCCESS) {
            p->connected = true;
            break;
        }
    }
    if (!e && !p->connected)
        e = last == (LONG)SCARD_E_UNKNOWN_READER
                ? rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "pcsc: no reader%s%s", arg ? " matching " : "", arg ? arg : "")
                : pcsc_fail(diag, "connect", last);
    free(names);
    return e;
}

static rsp_err pcsc_transmit(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag)
{
    pcsc_ctx *p = ctx;
    uint8_t rx[258 + 2];
    DWORD rxlen = sizeof(rx);
    const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
    LONG rv = SCardTransmit(p->card, pci, capdu, (DWORD)len, NULL, rx, &rxlen);
    if (rv != SCARD_S_SUCCESS)
        return pcsc_fail(diag, "transmit", rv);
    return rsp_buf_append(rapdu, rx, rxlen);
}

static void pcsc_close(void *ctx)
{
    pcsc_ctx *p = ctx;
    if (!p)
        return;
    if (p->connected)
        SCardDisconnect(p->card, SCARD_LEAVE_CARD);
    if (p->ctx)
        SCardReleaseContext(p->ctx);
    free(p);
}
#else
static rsp_err pcsc_open(const char *arg, void **out, rsp_diag *diag)
{
    (void)arg;
    *out = NULL;
    return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "pcsc: built without libpcsclite (scripts/setup installs it)");
}

static rsp_err pcsc_transmit(void *ctx, const uint8_t *capdu, size_t len, rsp_buf *rapdu, rsp_diag *diag)
{
    (void)ctx, (void)capdu, (void)len, (void)rapdu;
    return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "pcsc: built without libpcsclite");
}

static void pcsc_close(void *ctx)
{
    (void)ctx;
}
#endif

const rsp_lpa_transport_ops rsp_lpa__pcsc_ops = {
    "pcsc", "a PC/SC reader through pcscd (--reader NAME: a substring of its name)", pcsc_open, pcsc_transmit,
    pcsc_close,
};
