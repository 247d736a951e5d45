/* Look-ups that guard registrations (callers outside the hot path), and the MSISDN of a card. */
#include <string.h>

#include "store_int.h"

rsp_err rsp_store_profile_msisdn_other(rsp_store *s, const char *msisdn, const char *not_eid,
                                       rsp_store_profile *out)
{
    if (!s || !msisdn || !*msisdn || !not_eid || !out)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(rsp_store__chk(msisdn, sizeof out->msisdn));
    RSP_STORE_TRY(rsp_store__chk(not_eid, sizeof out->eid));
    char iccid[sizeof out->iccid];
    const rsp_store_param p[] = {SP_TEXT(msisdn), SP_TEXT(not_eid)};
    rsp_err e = rsp_store__first(s, RSP_STMT_PROF_BY_MSISDN, p, 2);
    if (e == RSP_ERR_END)
        return RSP_ERR_NOT_FOUND;
    if (e != RSP_OK)
        return e;
    e = rsp_store__col_str(s, 0, iccid, sizeof iccid);
    s->ops->finish(s);
    return e != RSP_OK ? e : rsp_store_profile_get(s, iccid, out);
}

rsp_err rsp_store_profile_enabled_msisdn(rsp_store *s, const char *eid, char out[21])
{
    if (!s || !eid || !out)
        return RSP_ERR_INVAL;
    out[0] = 0;
    RSP_STORE_TRY(rsp_store__chk(eid, 33));
    const rsp_store_param p[] = {SP_TEXT(eid)};
    rsp_err e = rsp_store__first(s, RSP_STMT_PROF_ENABLED_MSISDN, p, 1);
    if (e == RSP_ERR_END)
        return RSP_OK;
    if (e != RSP_OK)
        return e;
    e = rsp_store__col_str(s, 0, out, 21);
    s->ops->finish(s);
    return e;
}
