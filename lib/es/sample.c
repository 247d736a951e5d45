/* Sample values from the descriptors: one walk fills any function's struct completely, so tests cover
 * every field of every function without a hand-written fixture per function. Strings carry XML/JSON
 * specials and non-ASCII text to exercise escaping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "es_int.h"

static rsp_err fill_slot(const rsp_es_field *f, uint8_t t, void *slot, unsigned seed);

static rsp_err fill_struct(const rsp_es_struct *sd, void *base, unsigned seed)
{
    for (size_t i = 0; i < sd->nfields; i++) {
        const rsp_es_field *f = &sd->fields[i];
        unsigned s = seed * 31u + (unsigned)i;
        uint8_t *slot = (uint8_t *)base + f->off;
        rsp_err e = RSP_OK;
        if (f->type == RSP_ES_T_LIST) {
            rsp_es_list *l = (rsp_es_list *)slot;
            size_t isz = rsp_es_item_size(f);
            if (!(l->v = calloc(2, isz)))
                return RSP_ERR_NOMEM;
            l->n = 2;
            uint8_t it = f->item == RSP_ES_T_STRUCT ? RSP_ES_T_INLINE : f->item;
            for (size_t k = 0; k < 2 && e == RSP_OK; k++)
                e = fill_slot(f, it, (uint8_t *)l->v + k * isz, s + (unsigned)k * 7u);
        } else {
            e = fill_slot(f, f->type, slot, s);
        }
        if (e != RSP_OK)
            return e;
        rsp_es_field_mark(f, base);
    }
    return RSP_OK;
}

static rsp_err fill_slot(const rsp_es_field *f, uint8_t t, void *slot, unsigned seed)
{
    char tmp[160];
    switch (t) {
    case RSP_ES_T_STR:
        snprintf(tmp, sizeof(tmp), "%s-%u <&> \"q\" \xc3\xa9", f->xml, seed % 1000u);
        return (*(char **)slot = strdup(tmp)) ? RSP_OK : RSP_ERR_NOMEM;
    case RSP_ES_T_XML:
        snprintf(tmp, sizeof(tmp), "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">"
                                   "<ds:SignatureValue>%04u</ds:SignatureValue></ds:Signature>", seed % 10000u);
        return (*(char **)slot = strdup(tmp)) ? RSP_OK : RSP_ERR_NOMEM;
    case RSP_ES_T_TIME:
        snprintf(tmp, sizeof(tmp), "2024-%02u-%02uT10:%02u:00Z", 1 + seed % 12u, 1 + seed % 28u, seed % 60u);
        return (*(char **)slot = strdup(tmp)) ? RSP_OK : RSP_ERR_NOMEM;
    case RSP_ES_T_INT:
        *(int64_t *)slot = (int64_t)(seed % 100000u) * ((seed & 1) ? -1 : 1);
        return RSP_OK;
    case RSP_ES_T_BOOL:
        *(bool *)slot = (seed & 1) != 0;
        return RSP_OK;
    case RSP_ES_T_ENUM:
        *(int *)slot = (int)(seed % f->en->n);
        return RSP_OK;
    case RSP_ES_T_HEX: {
        uint8_t b[5] = {(uint8_t)seed, 0xA0, 0x00, 0xFF, (uint8_t)(seed >> 8)};
        return rsp_buf_set((rsp_buf *)slot, b, 2 + seed % 4u);
    }
    case RSP_ES_T_STRUCT:
        if (!(*(void **)slot = rsp_es_body_new(f->sub)))
            return RSP_ERR_NOMEM;
        return fill_struct(f->sub, *(void **)slot, seed);
    case RSP_ES_T_INLINE:
        return fill_struct(f->sub, slot, seed);
    default:
        return RSP_ERR_INTERNAL;
    }
}

rsp_err rsp_es_body_sample(const rsp_es_struct *sd, void *body, unsigned seed)
{
    if (!sd || !body)
        return RSP_ERR_INVAL;
    return fill_struct(sd, body, seed);
}
