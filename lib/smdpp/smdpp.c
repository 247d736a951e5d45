/* The SM-DP+ object: its keys and certificates (as `rsp ci issue --sgp22` leaves them), the order and
 * session database, the identity pools of lib/smdp. Every session's state is durable, so a restarted
 * SM-DP+ resumes each where its last answer left it; sessions idle longer than SESSION_TTL_S are
 * ended at open and their orders released. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsp/log.h"
#include "smdpp_int.h"

#define SESSION_TTL_S 3600

static const char *const order_states[] = {"?",      "released",  "downloading", "bound",   "installed",
                                           "failed", "cancelled", "expired",     "ordered", "confirmed"};

const char *rsp_smdpp_order_state_name(int st)
{
    return st >= 1 && st <= RSP_SMDPP_ORDER_CONFIRMED ? order_states[st] : "?";
}

int64_t rsp_smdpp__now(rsp_smdpp *s)
{
    return s->clock ? s->clock() : (int64_t)time(NULL);
}

/* DIR/sub: key.pem and cert.der verified as role under the CI (rsp_pki22_load_role), with an SM-DP+ OID. */
static rsp_err load_role(rsp_smdpp *s, const char *sub, rsp_pki22_role role, rsp_eckey **sk, rsp_buf *cert,
                         rsp_pki22_info *info, rsp_diag *diag)
{
    char dir[700];
    snprintf(dir, sizeof(dir), "%s/%s", s->dir, sub);
    rsp_bytes ci = rsp_buf_view(&s->ci);
    rsp_err e = rsp_pki22_load_role(dir, role, &ci, sk, cert, info, diag);
    if (!e && !info->rid_der_len)
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s/cert.der has no SM-DP+ OID (SAN registeredID)", dir);
    return e;
}

/* Sessions idle too long end; their orders become downloadable again. */
static void settle(rsp_smdpp *s)
{
    smdpp_session *live = NULL;
    size_t n = 0;
    if (rsp_smdpp__sess_live(s, &live, &n) != RSP_OK)
        n = 0;
    int64_t now = rsp_smdpp__now(s);
    for (size_t i = 0; i < n; i++) {
        s->recovered++;
        if (now - live[i].updated < SESSION_TTL_S)
            continue;
        rsp_smdpp_order o;
        live[i].step = SESS_ENDED;
        if (rsp_smdpp__begin(s) == RSP_OK) {
            (void)rsp_smdpp__sess_put(s, &live[i]);
            if (rsp_smdpp_order_get(s, live[i].matching_id, &o) == RSP_OK && !strcmp(o.tid, live[i].tid) &&
                o.state == RSP_SMDPP_ORDER_DOWNLOADING) {
                o.state = RSP_SMDPP_ORDER_RELEASED;
                o.tid[0] = '\0';
                o.updated = now;
                (void)rsp_smdpp__order_put(s, &o);
            }
            if (rsp_smdpp__commit(s) != RSP_OK)
                rsp_smdpp__rollback(s);
        }
        RSP_LOGN(RSP_SS_SMDP, "es9+ session expired", "tid=%s", live[i].tid);
    }
    for (size_t i = 0; i < n; i++)
        rsp_buf_free(&live[i].cert_euicc);
    free(live);
}

rsp_err rsp_smdpp_open(const rsp_smdpp_opts *o, rsp_smdpp **out, rsp_diag *diag)
{
    if (!o || !o->dir || !o->address || !out)
        return rsp_diag_set(diag, RSP_ERR_INVAL, "smdpp: a folder and an address are needed");
    if (!*o->address || strlen(o->address) > RSP_ES9P_MAX_ADDRESS || strchr(o->address, '$'))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "smdpp: address '%.80s' cannot go into an activation code",
                            o->address);
    rsp_smdpp *s = calloc(1, sizeof(*s));
    if (!s)
        return RSP_ERR_NOMEM;
    snprintf(s->dir, sizeof(s->dir), "%s", o->dir);
    snprintf(s->address, sizeof(s->address), "%s", o->address);
    snprintf(s->public_address, sizeof(s->public_address), "%s", o->address);
    s->cc_tries = o->cc_tries ? o->cc_tries : 3;
    s->clock = o->clock;
    char ci_path[700];
    snprintf(ci_path, sizeof(ci_path), "%s/dpauth/ci.crt.der", s->dir);
    rsp_err e = rsp_pki22_read_cert(ci_path, &s->ci, diag);
    rsp_bytes civ = rsp_buf_view(&s->ci);
    /* decoded once: authenticateClient and the notifications verify every eUICC chain against it */
    if (!e)
        e = rsp_pki22_anchors_new(&civ, 1, &s->anchors, diag);
    if (!e)
        e = load_role(s, "dpauth", RSP_PKI22_DPAUTH, &s->sk_auth, &s->cert_auth, &s->auth_info, diag);
    if (!e)
        e = load_role(s, "dppb", RSP_PKI22_DPPB, &s->sk_pb, &s->cert_pb, &s->pb_info, diag);
    if (!e && (s->auth_info.rid_der_len != s->pb_info.rid_der_len ||
               memcmp(s->auth_info.rid_der, s->pb_info.rid_der, s->pb_info.rid_der_len)))
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "CERT.DPauth and CERT.DPpb carry different SM-DP+ OIDs");
    if (!e)
        e = rsp_smdpp__db_open(s, diag);
    if (!e)
        e = rsp_smdpp__ppp_open(s, diag);
    if (!e)
        e = rsp_smdp_inv_open(s->dir, NULL, diag, &s->inv);
    if (e) {
        rsp_smdpp_close(s);
        return e;
    }
    settle(s);
    *out = s;
    return RSP_OK;
}

void rsp_smdpp_close(rsp_smdpp *s)
{
    if (!s)
        return;
    rsp_ec_free(s->sk_auth);
    rsp_ec_free(s->sk_pb);
    rsp_buf_free(&s->cert_auth);
    rsp_buf_free(&s->cert_pb);
    rsp_buf_free(&s->ci);
    for (size_t i = 0; i < SMDPP_CERT_CACHE; i++)
    {
        rsp_buf_free(&s->cert_cache[i].der);
        rsp_ec_free(s->cert_cache[i].key);
    }
    rsp_wipe(s->seal, sizeof(s->seal));
    rsp_pki22_anchors_free(s->anchors);
    rsp_smdpp__db_close(s);
    if (s->inv)
        rsp_smdp_inv_close(s->inv);
    free(s);
}

size_t rsp_smdpp_recovered(const rsp_smdpp *s)
{
    return s ? s->recovered : 0;
}
