/* A consumer card in its slot (es10.h §c22_slot.c): the card folder's keys, its NVM (dir/card.db), the
 * ES10 transport and the volatile session, behind one "APDU in, APDU out" function for `rsp euicc
 * attach` (vpcd) and `rsp lpa`'s direct transport. The folder is locked (flock on dir/card.lock) for
 * the life of the slot, so two processes never drive one card's NVM at once. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "c22_int.h"
#include "rsp/apdu.h"

struct rsp_es10_slot {
    rsp_es10_card *card;
    rsp_es10_transport t;
    int lock_fd;
    rsp_err fatal;                  /* the card's memory failed during this APDU */
};

/* ATR: TS 3B, T0 9F (TA1, TD1, 15 historical bytes), TA1 96, TD1 80 (T=0, TD2), TD2 1F (T=15, TA3),
 * TA3 C7 (clock stop, 1.8/3/5 V), historical bytes 80 31 E0 73 FE 21 1B 67 'OPENRSP', TCK. */
static const uint8_t atr[] = {0x3B, 0x9F, 0x96, 0x80, 0x1F, 0xC7, 0x80, 0x31, 0xE0, 0x73, 0xFE,
                              0x21, 0x1B, 0x67, 0x4F, 0x50, 0x45, 0x4E, 0x52, 0x53, 0x50, 0x95};

size_t rsp_es10_card_atr(uint8_t out[33])
{
    memcpy(out, atr, sizeof(atr));
    return sizeof(atr);
}

/* The transport's handler: internal failures (NVM) are remembered for rsp_es10_card_apdu. */
static rsp_err handle(void *ctx, const uint8_t *req, size_t len, rsp_buf *resp)
{
    rsp_es10_slot *s = ctx;
    rsp_err e = rsp_es10_card_handle(s->card, req, len, resp);
    if (e == RSP_ERR_DB || e == RSP_ERR_NOMEM || e == RSP_ERR_CRYPTO || e == RSP_ERR_INTERNAL)
        s->fatal = e;
    return e;
}

rsp_err rsp_es10_card_open(const char *dir, rsp_es10_slot **out, rsp_diag *diag)
{
    *out = NULL;
    char path[4096];
    if (snprintf(path, sizeof(path), "%s/card.lock", dir) >= (int)sizeof(path))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "card folder name too long");
    rsp_es10_slot *s = calloc(1, sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    rsp_err e = RSP_OK;
    if (s->lock_fd < 0)
        e = rsp_diag_set(diag, errno == ENOENT ? RSP_ERR_NOT_FOUND : RSP_ERR_IO, "%s: %s", path, strerror(errno));
    else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0)
        e = rsp_diag_set(diag, RSP_ERR_BUSY, "%s: the card is in use by another process", dir);
    e = e ? e : c22_card_load(dir, 0, dir, &s->card, diag);
    if (e) {
        if (s->lock_fd >= 0)
            close(s->lock_fd);
        free(s);
        return e;
    }
    rsp_es10_transport_init(&s->t, s->card->svn, handle, s);
    *out = s;
    return RSP_OK;
}

rsp_err rsp_es10_card_apdu(rsp_es10_slot *s, const uint8_t *capdu, size_t len, rsp_buf *rapdu)
{
    size_t mark = rapdu->len;
    s->fatal = RSP_OK;
    rsp_err e = rsp_es10_transport_apdu(&s->t, capdu, len, rapdu);
    if (!e && !s->fatal)
        return RSP_OK;
    /* The NVM transaction was rolled back: the card is as before the command, and says 6F00. */
    rsp_es10_card_reset(s->card);
    rapdu->len = mark;
    rsp_err w = rsp_apdu_resp_build(rapdu, NULL, 0, 0x6F00);
    return w ? w : (e ? e : s->fatal);
}

void rsp_es10_card_reset_slot(rsp_es10_slot *s)
{
    rsp_es10_transport_reset(&s->t);
    rsp_es10_card_reset(s->card);
}

void rsp_es10_card_eid(const rsp_es10_slot *s, uint8_t eid[16])
{
    memcpy(eid, s->card->eid, 16);
}

void rsp_es10_card_close(rsp_es10_slot *s)
{
    if (!s)
        return;
    rsp_es10_transport_free(&s->t);
    rsp_es10_card_free(s->card);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the lock */
    free(s);
}
