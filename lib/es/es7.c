/* ES7 (SM-SR -> SM-SR): SM-SR change, handover of the EIS and the new ISD-R key set (Scenario#3). */
#include "es_int.h"

#define T rsp_es_eis_req
static const rsp_es_field handover_f[] = {RSP_ES_REQ_HDR(T), F_STRUCT(T, "Eis", "eis", eis, rsp_es_d_eis)};
static RSP_ES_DESC(handover_req, "HandoverEUICCRequest", T, handover_f);
#undef T

#define T rsp_es_key_req
static const rsp_es_field auth_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_HEX(T, "SmsrCertificate", "smsrCertificate", smsr_certificate),
};
static RSP_ES_DESC(auth_req, "AuthenticateSMSRRequest", T, auth_f);
static const rsp_es_field keyset_f[] = {
    RSP_ES_REQ_HDR(T),
    F_STR(T, "Eid", "eid", eid),
    F_INT(T, "KeyVersionNumber", "keyVersionNumber", key_version_number),
    F_INT(T, "InitialSequenceCounter", "initialSequenceCounter", initial_sequence_counter),
    F_INT(T, "ECCKeyLength", "eccKeyLength", ecc_key_length),
    F_HEX(T, "ScenarioParameter", "scenarioParameter", scenario_parameter),
    F_OHEX(T, "HostID", "hostId", host_id),
    F_HEX(T, "EphemeralPublicKey", "ephemeralPublicKey", ephemeral_public_key),
    F_HEX(T, "Signature", "signature", signature),
};
static RSP_ES_DESC(keyset_req, "CreateAdditionalKeySetRequest", T, keyset_f);
#undef T

#define T rsp_es_data_resp
static const rsp_es_field auth_resp_f[] = {
    RSP_ES_RESP_HDR(T),
    F_OHEX(T, "RandomChallenge", "randomChallenge", random_challenge),
};
static RSP_ES_DESC(auth_resp, "AuthenticateSMSRResponse", T, auth_resp_f);
static const rsp_es_field keyset_resp_f[] = {
    RSP_ES_RESP_HDR(T),
    F_OHEX(T, "DerivationRandom", "derivationRandom", derivation_random),
    F_OHEX(T, "Receipt", "receipt", receipt),
};
static RSP_ES_DESC(keyset_resp, "CreateAdditionalKeySetResponse", T, keyset_resp_f);
#undef T

static const rsp_es_func es7_funcs[] = {
    {RSP_ES7, "HandoverEUICC", RSP_ES_ASYNC, RSP_ES_G_EUICC, &handover_req, &rsp_es_d_basic_resp},
    {RSP_ES7, "AuthenticateSMSR", RSP_ES_ASYNC, RSP_ES_G_EUICC, &auth_req, &auth_resp},
    {RSP_ES7, "CreateAdditionalKeySet", RSP_ES_ASYNC, RSP_ES_G_EUICC, &keyset_req, &keyset_resp},
};
const rsp_es_iface_table rsp_es_es7_table = {RSP_ES7, "ES7", es7_funcs, RSP_ES_NFIELDS(es7_funcs)};
