/* Key wrapping for the EIS (see eum_wrap.h): the wrapping side. AES-KW, the KEK derivation and the
 * unwrap are the es layer's (lib/es/eis_sign.c), shared with the SM-SR. */
#include <stdlib.h>
#include <string.h>

#include "eum_wrap.h"
#include "rsp/es.h"

struct rsp_eum_wrap {
    const rsp_eckey *smsr;  /* smsr mode when non-NULL */
    uint8_t tk[RSP_EUM_TK_LEN];
    uint8_t eid[16];
    uint8_t epk[RSP_EC_POINT_LEN];
    uint8_t z[32];          /* the card's shared secret (smsr mode) */
};

rsp_err rsp_eum_wrap_for_smsr(const rsp_eckey *smsr, rsp_eum_wrap **out)
{
    rsp_eum_wrap *w = calloc(1, sizeof(*w));
    if (!w)
        return RSP_ERR_NOMEM;
    w->smsr = smsr;
    *out = w;
    return RSP_OK;
}

rsp_err rsp_eum_wrap_for_transport(const uint8_t tk[RSP_EUM_TK_LEN], rsp_eum_wrap **out)
{
    rsp_eum_wrap *w = calloc(1, sizeof(*w));
    if (!w)
        return RSP_ERR_NOMEM;
    memcpy(w->tk, tk, RSP_EUM_TK_LEN);
    *out = w;
    return RSP_OK;
}

void rsp_eum_wrap_free(rsp_eum_wrap *w)
{
    if (!w)
        return;
    rsp_wipe(w, sizeof(*w));
    free(w);
}

bool rsp_eum_wrap_is_smsr(const rsp_eum_wrap *w)
{
    return w->smsr != NULL;
}

rsp_err rsp_eum_wrap_card(rsp_eum_wrap *w, const uint8_t eid[16])
{
    memcpy(w->eid, eid, 16);
    if (!w->smsr)
        return RSP_OK;
    rsp_eckey *eph = NULL;
    rsp_err e = rsp_ec_generate(rsp_ec_curve(w->smsr), &eph);
    e = e ? e : rsp_ec_public_point(eph, w->epk);
    e = e ? e : rsp_ecdh(eph, w->smsr, w->z);
    rsp_ec_free(eph); /* the ephemeral private key dies here: only the SM-SR can recompute z */
    return e;
}

rsp_err rsp_eum_wrap_key(rsp_eum_wrap *w, uint8_t kvn, uint8_t key_id, const uint8_t *key, size_t len,
                         rsp_buf *out)
{
    uint8_t kek[16], *p;
    size_t n = 0;
    rsp_err e = RSP_OK;
    if (w->smsr) {
        e = rsp_es_eis_kek(w->z, w->eid, kvn, key_id, kek);
        e = e ? e : rsp_buf_append(out, w->epk, sizeof(w->epk));
    } else {
        memcpy(kek, w->tk, sizeof(kek));
    }
    e = e ? e : rsp_buf_extend(out, len + RSP_EUM_KW_OVERHEAD, &p);
    e = e ? e : rsp_es_eis_aes_kw(true, kek, key, len, p, &n);
    rsp_wipe(kek, sizeof(kek));
    return e;
}
