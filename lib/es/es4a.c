/* ES4A (Operator -> SM-SR, v4): PLMA and ONC management. No public data structure was found for these;
 * the shapes are ours [G] (docs/ENCODINGS.md, "ES interfaces (SOAP/JSON)"). */
#include "es_int.h"

#define A RSP_ES_ASYNC
#define P RSP_ES_G_PROFILE
static const rsp_es_func es4a_funcs[] = {
    {RSP_ES4A, "SetPLMA", A, P, &rsp_es_d_set_plma_req, &rsp_es_d_basic_resp},
    {RSP_ES4A, "GetPLMA", A, P, &rsp_es_d_get_plma_req, &rsp_es_d_plma_resp},
    {RSP_ES4A, "SetONC", A, P, &rsp_es_d_set_onc_req, &rsp_es_d_basic_resp},
    {RSP_ES4A, "GetONC", A, P, &rsp_es_d_get_onc_req, &rsp_es_d_onc_resp},
};
const rsp_es_iface_table rsp_es_es4a_table = {RSP_ES4A, "ES4A", es4a_funcs, RSP_ES_NFIELDS(es4a_funcs)};
