/* Counters of a card for `rsp euicc show` (the additive "inspection: counters" block of
 * include/rsp/euicc.h). Reads the committed state only; changes nothing. */
#include <stdio.h>
#include <string.h>

#include "euicc_int.h"

rsp_err rsp_euicc_counters_get(rsp_euicc *c, rsp_euicc_counters *out)
{
    memset(out, 0, sizeof(*out));
    if (!c)
        return RSP_ERR_INVAL;
    rsp_err e = eu_card_load(c);
    if (e)
        return e;
    const eu_state *st = c->st;
    for (unsigned i = 0; i < st->n80 && out->n_scp80 < 4; i++, out->n_scp80++) {
        out->scp80[out->n_scp80].kvn = st->s80[i].kvn;
        memcpy(out->scp80[out->n_scp80].cntr, st->s80[i].cntr, 5);
    }
    memcpy(out->mo_cntr, st->mo_cntr, 5);
    out->notif_seq = st->notif_seq;
    for (unsigned i = 0; i < st->np && out->n_isdp < 8; i++, out->n_isdp++) {
        uint8_t aid[16];
        eu_isdp_aid(st->p[i].tar, aid);
        rsp_hex_encode_upper(aid, sizeof(aid), out->isdp[out->n_isdp].aid, sizeof(out->isdp[0].aid));
        out->isdp[out->n_isdp].scp03_seq = st->p[i].scp03_seq;
    }
    return RSP_OK;
}
