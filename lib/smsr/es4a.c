/* ES4A over HTTPS: SetPLMA, GetPLMA, SetONC, GetONC. Store updates and reads answered at once; the
 * caller's identity was checked by es_api.c (only an Operator manages its own PLMAs and ONCs). */
#include <stdlib.h>
#include <string.h>

#include "rsp/es.h"
#include "rsp/es_endpoint.h"
#include "rsp/es_types.h"
#include "smsr_es4a.h"

/* Names <-> store bits of the delegable functions (PLMA) and of the notifications (ONC). */
typedef struct named_bit {
    const char *name;
    uint32_t bit;
} named_bit;
static const named_bit fns[] = {{"ES4-EnableProfile", RSP_STORE_FN_ENABLE},
                                {"ES4-DisableProfile", RSP_STORE_FN_DISABLE},
                                {"ES4-DeleteProfile", RSP_STORE_FN_DELETE},
                                {"ES4-AuditEIS", RSP_STORE_FN_AUDIT},
                                {"ES4-GetEIS", RSP_STORE_FN_GET_EIS},
                                {"ES4-SetFallBackAttribute", RSP_STORE_FN_SET_FALLBACK},
                                {"ES4-UpdateSubscriptionAddress", RSP_STORE_FN_UPDATE_SUBSCRIPTION_ADDRESS},
                                {"ES4-SetEmergencyProfileAttribute", RSP_STORE_FN_SET_EMERGENCY},
                                /* one bit for both halves of the request: the SP asks both SM-SRs */
                                {"ES4-SMSRChange", RSP_STORE_FN_SMSR_CHANGE}};
static const named_bit notifs[] = {{"HandleProfileEnabledNotification", RSP_STORE_NOTIF_ENABLED},
                                   {"HandleProfileDisabledNotification", RSP_STORE_NOTIF_DISABLED},
                                   {"HandleProfileDeletedNotification", RSP_STORE_NOTIF_DELETED},
                                   {"HandleSMSRChangeNotification", RSP_STORE_NOTIF_SMSR_CHANGE},
                                   {"HandleProfileDownloadedNotification", RSP_STORE_NOTIF_DOWNLOADED}};
#define NBITS(t) (sizeof(t) / sizeof(t[0]))

/* A list of the names whose bits are set (owned by the response). */
static rsp_err names_of(const named_bit *t, size_t nt, uint32_t bits, rsp_es_list *out)
{
    char **v = calloc(nt, sizeof(*v));
    if (!v)
        return RSP_ERR_NOMEM;
    out->v = v;
    for (size_t i = 0; i < nt; i++)
        if ((bits & t[i].bit) && !(v[out->n++] = strdup(t[i].name)))
            return RSP_ERR_NOMEM;
    return RSP_OK;
}

/* ES4A.GetPLMA: the caller's own PLMA for one M2M SP and profile type (the store looks entries up,
 * it cannot list them: both filters are needed). */
static rsp_err get_plma(rsp_smsr *e, const char *who, rsp_es_call *call)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_plma_req *q = m ? m->body : NULL;
    if (!who)
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "only an Operator reads its PLMAs");
    if (!q || !q->m2msp_id || !q->profile_type)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "M2MSP-Id and ProfileType are needed");
    uint32_t bits = 0;
    rsp_err err = rsp_store_plma_get(e->st, who, q->m2msp_id, q->profile_type, &bits);
    if (err == RSP_ERR_NOT_FOUND)
        bits = 0, err = RSP_OK;
    rsp_es_plma_resp *r = rsp_es_call_response(call);
    if (err || !r)
        return err ? err : RSP_ERR_INTERNAL;
    if (bits) {
        rsp_es_plma *pl = calloc(1, sizeof(*pl));
        if (!pl)
            return RSP_ERR_NOMEM;
        r->plma.v = pl;
        r->plma.n = 1;
        pl->mno_id = strdup(who);
        pl->m2msp_id = strdup(q->m2msp_id);
        pl->profile_type = strdup(q->profile_type);
        if (!pl->mno_id || !pl->m2msp_id || !pl->profile_type)
            return RSP_ERR_NOMEM;
        if ((err = names_of(fns, NBITS(fns), bits, &pl->allowed_functions)) != RSP_OK)
            return err;
    }
    return rsp_es_call_complete(call);
}

/* ES4A.SetONC / GetONC: which notifications the caller (an Operator) wants per profile type. The
 * store keeps the set, not the optional endpoint (notifications go to the Operator's configured
 * address). Set entries are checked before anything is written. */
static rsp_err set_onc(rsp_smsr *e, const char *who, rsp_es_call *call)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_plma_req *q = m ? m->body : NULL;
    if (!who || !q)
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "only an Operator sets ONCs");
    const rsp_es_onc *o = q->onc.v;
    uint32_t *bits = calloc(q->onc.n + 1, sizeof(*bits));
    if (!bits)
        return RSP_ERR_NOMEM;
    for (size_t i = 0; i < q->onc.n; i++) {
        if (!o[i].mno_id || strcmp(o[i].mno_id, who) != 0 || !o[i].profile_type) {
            free(bits);
            return rsp_es_call_reject(call, "1.1", "1.2", NULL, "an ONC of another Operator");
        }
        char *const *nv = o[i].notifications.v;
        for (size_t j = 0; j < o[i].notifications.n; j++) {
            size_t k = 0;
            while (k < NBITS(notifs) && strcmp(notifs[k].name, nv[j]) != 0)
                k++;
            if (k == NBITS(notifs)) {
                free(bits);
                return rsp_es_call_reject(call, "1.1", "2.1", nv[j], "unknown notification");
            }
            bits[i] |= notifs[k].bit;
        }
    }
    rsp_err err = RSP_OK;
    for (size_t i = 0; err == RSP_OK && i < q->onc.n; i++)
        err = rsp_store_onc_set(e->st, who, o[i].profile_type, bits[i]);
    free(bits);
    return err ? err : rsp_es_call_complete(call);
}

static rsp_err get_onc(rsp_smsr *e, const char *who, rsp_es_call *call)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_plma_req *q = m ? m->body : NULL;
    if (!who)
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "only an Operator reads its ONCs");
    if (!q || !q->profile_type)
        return rsp_es_call_reject(call, "1.1", "2.2", NULL, "ProfileType is needed");
    uint32_t bits = 0;
    rsp_err err = rsp_store_onc_get(e->st, who, q->profile_type, &bits);
    if (err == RSP_ERR_NOT_FOUND)
        bits = 0, err = RSP_OK;
    rsp_es_plma_resp *r = rsp_es_call_response(call);
    if (err || !r)
        return err ? err : RSP_ERR_INTERNAL;
    if (bits) {
        rsp_es_onc *o = calloc(1, sizeof(*o));
        if (!o)
            return RSP_ERR_NOMEM;
        r->onc.v = o;
        r->onc.n = 1;
        o->mno_id = strdup(who);
        o->profile_type = strdup(q->profile_type);
        if (!o->mno_id || !o->profile_type)
            return RSP_ERR_NOMEM;
        if ((err = names_of(notifs, NBITS(notifs), bits, &o->notifications)) != RSP_OK)
            return err;
    }
    return rsp_es_call_complete(call);
}

/* ES4A.SetPLMA [G shapes, docs/ENCODINGS.md]: an Operator (the caller, by certificate) sets what
 * an M2M SP may do on its profiles of one type. POL2 management is never delegated. Entries are set
 * one by one; entries missing from the request are not revoked (the store cannot list them). */
static rsp_err set_plma(rsp_smsr *e, const char *who, rsp_es_call *call)
{
    const rsp_es_msg *m = rsp_es_call_msg(call);
    const rsp_es_plma_req *q = m ? m->body : NULL;
    if (!who || !q)
        return rsp_es_call_reject(call, "1.1", "1.2", NULL, "only an Operator sets PLMAs");
    const rsp_es_plma *pl = q->plma.v;
    for (size_t i = 0; i < q->plma.n; i++) {
        if (!pl[i].mno_id || strcmp(pl[i].mno_id, who) != 0)
            return rsp_es_call_reject(call, "1.1", "1.2", NULL, "a PLMA of another Operator");
        char *const *af = pl[i].allowed_functions.v;
        for (size_t j = 0; j < pl[i].allowed_functions.n; j++) {
            size_t k = 0;
            while (k < NBITS(fns) && strcmp(fns[k].name, af[j]) != 0)
                k++;
            if (k == NBITS(fns)) /* checked before anything is written */
                return rsp_es_call_reject(call, "1.1", strstr(af[j], "PolicyRules") ? "3.8" : "2.1", NULL,
                                          "function cannot be delegated");
        }
    }
    for (size_t i = 0; i < q->plma.n; i++) {
        uint32_t bits = 0;
        char *const *af = pl[i].allowed_functions.v;
        for (size_t j = 0; j < pl[i].allowed_functions.n; j++)
            for (size_t k = 0; k < NBITS(fns); k++)
                if (strcmp(fns[k].name, af[j]) == 0)
                    bits |= fns[k].bit;
        rsp_err err = rsp_store_plma_set(e->st, pl[i].mno_id, pl[i].m2msp_id, pl[i].profile_type, bits);
        if (err != RSP_OK)
            return err;
    }
    return rsp_es_call_complete(call);
}

rsp_err smsr_es4a_call(rsp_smsr *e, const char *who, rsp_es_call *call)
{
    static const struct {
        const char *name;
        rsp_err (*fn)(rsp_smsr *e, const char *who, rsp_es_call *call);
    } h[] = {{"SetPLMA", set_plma}, {"GetPLMA", get_plma}, {"SetONC", set_onc}, {"GetONC", get_onc}};
    const rsp_es_msg *m = rsp_es_call_msg(call);
    for (size_t i = 0; m && m->func && i < sizeof(h) / sizeof(h[0]); i++)
        if (strcmp(m->func->name, h[i].name) == 0)
            return h[i].fn(e, who, call);
    return rsp_es_call_reject(call, "1.1", "2.1", NULL, "function not handled");
}
