/* ES1 (EUM -> SM-SR): the EIS enters the SM-SR. */
#include "es_int.h"

#define T rsp_es_eis_req
static const rsp_es_field register_f[] = {RSP_ES_REQ_HDR(T), F_STRUCT(T, "Eis", "eis", eis, rsp_es_d_eis)};
static RSP_ES_DESC(register_req, "RegisterEISRequest", T, register_f);
#undef T

/* v4: replaces the AdditionalProperties of a registered EIS. */
#define T rsp_es_eid_req
static const rsp_es_field addprop_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_LIST_ST(T, "AdditionalProperty", "additionalProperties", additional_properties, rsp_es_d_property, 0),
};
static RSP_ES_DESC(addprop_req, "UpdateEISAdditionalPropertiesRequest", T, addprop_f);
#undef T

static const rsp_es_func es1_funcs[] = {
    {RSP_ES1, "RegisterEIS", RSP_ES_ASYNC, RSP_ES_G_EUICC, &register_req, &rsp_es_d_basic_resp},
    {RSP_ES1, "UpdateEISAdditionalProperties", RSP_ES_ASYNC, RSP_ES_G_EUICC, &addprop_req, &rsp_es_d_basic_resp},
};
const rsp_es_iface_table rsp_es_es1_table = {RSP_ES1, "ES1", es1_funcs, RSP_ES_NFIELDS(es1_funcs)};
