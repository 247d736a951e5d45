/* `rsp demo`: the SGP.02 download-and-enable path, end to end in one process, through every layer
 * that exists today: the PKI, the EIS and durable operations in the store (SQLite by default), and
 * real simulator cards (lib/euicc, made as `rsp eum make` makes them, in DIR/fleet) that get SCP80
 * command packets as SMS-DELIVER TPDUs and answer with PoRs by SMS-SUBMIT, ES8 key establishment
 * through the ISD-R (INSTALL [for personalization]), the SCP03t download of a personalised TS.48
 * profile package as admin script bodies to the ISD-P (their EUICCResponse decides), enabling it, and
 * the card's notification of the switch, confirmed by the SM-SR (the operation is done only then).
 * The servers (SM-SR, SM-DP daemons) and the transports (SMPP, HTTPS) replace the in-process calls in
 * later issues. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "demo_air.h"
#include "mfg_card.h"
#include "rsp/euicc.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/keyest.h"
#include "rsp/rapdu.h"
#include "rsp/saip.h"
#include "rsp/scp03t.h"
#include "rsp/scp80.h"
#include "rsp/sms.h"
#include "rsp/store.h"
#include "rsp/tlv.h"

#define DEMO_SMSR_MSISDN "447700900000"
#define DEMO_ISDP_TAR 0x000020u /* the provisioning profile is in 000010 */
#define DEMO_KVN 0x01

typedef struct demo {
    bool json;
    int ncards;
    rsp_store *st;
    rsp_store_fence fence; /* the operation being provisioned: every counter is reserved under it */
    rsp_eckey *ci, *eum, *dp;
    rsp_buf cert_eum, cert_dp;
    uint8_t pk_ci[RSP_EC_POINT_LEN];
    rsp_buf package;
    rsp_saip_package pkg;
    rsp_euicc_fleet *fleet;
    json_t *report;
} demo;

/* One card: the simulator's card, and what the SM-SR and SM-DP know of it from manufacturing. */
typedef struct demo_card {
    rsp_mfg_ids ids;            /* EID and the provisioning profile's identifiers */
    rsp_euicc *card;            /* owned by the fleet */
    rsp_buf cert_ecasd;         /* CERT.ECASD.ECKA, from the EIS */
} demo_card;

/* Bounded copy into fixed-size store fields (truncation is impossible for the demo's own values). */
static void cpy(char *dst, size_t n, const char *src)
{
    size_t l = strlen(src);
    if (l >= n)
        l = n - 1;
    memcpy(dst, src, l);
    dst[l] = '\0';
}

static void say(const demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const demo *d, const char *fmt, ...)
{
    if (d->json)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

static rsp_err issue(const rsp_eckey *subject, const rsp_eckey *issuer, const char *ca, const char *name, int role,
                     rsp_buf *out)
{
    static const uint8_t serial[] = {0x01};
    rsp_gpcert_template t = {serial, 1, ca, name, 0x82, "20261121", "20361121", role, NULL, 0};
    return rsp_gpcert_issue(&t, subject, issuer, out);
}

static rsp_err pki(demo *d)
{
    rsp_err e = rsp_ec_generate(RSP_CURVE_P256, &d->ci);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &d->eum);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &d->dp);
    e = e ? e : issue(d->eum, d->ci, "OpenRSP-CI", "EUM1", RSP_GPCERT_ROLE_EUM, &d->cert_eum);
    e = e ? e : issue(d->dp, d->ci, "OpenRSP-CI", "SMDP1", RSP_GPCERT_ROLE_SMDP, &d->cert_dp);
    return e;
}

/* Manufacturing, as `rsp eum make` does it (mfg_card.c): EID, ECASD key pair and certificate, ISD-R
 * SCP80 keys, the provisioning profile enabled; then ES1 registration: the EIS and the key set go to
 * the SM-SR's store. The card keeps its own copy of the keys in the fleet. */
static rsp_err manufacture(demo *d, demo_card *k, int i, const rsp_mfg_run *run, rsp_diag *diag)
{
    char d30[40], d19[32], t[48];
    unsigned u = (unsigned)i;
    snprintf(d30, sizeof(d30), "890490321234512345%012u", (100 + u) % 1000000000u);
    snprintf(d19, sizeof(d19), "894400000000%07u", u % 10000000u);
    snprintf(t, sizeof(t), "%s%d", d19, rsp_luhn_digit(d19, 19));
    cpy(k->ids.iccid, sizeof(k->ids.iccid), t);
    snprintf(t, sizeof(t), "00101900%07u", u % 10000000u);
    cpy(k->ids.imsi, sizeof(k->ids.imsi), t);
    snprintf(t, sizeof(t), "4477009%05u", (10 + u) % 100000u);
    cpy(k->ids.msisdn, sizeof(k->ids.msisdn), t);
    rsp_mfg_secrets s;
    rsp_err e = rsp_eid_complete(d30, k->ids.eid);
    e = e ? e : rsp_mfg_card(run, &k->ids, d->fleet, &s, &k->cert_ecasd, diag);
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    cpy(eis.eid, sizeof(eis.eid), k->ids.eid);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "EUM1");
    snprintf(eis.smsr_id, sizeof(eis.smsr_id), "SMSR1");
    snprintf(eis.platform_type, sizeof(eis.platform_type), "OpenRSP eUICC simulator");
    snprintf(eis.platform_version, sizeof(eis.platform_version), "1.0");
    eis.available_memory = run->memory;
    eis.remaining_memory = run->memory - (int64_t)d->package.len;
    e = e ? e : rsp_buf_append(&eis.signed_blob, k->cert_ecasd.data, k->cert_ecasd.len);
    e = e ? e : rsp_store_eis_put(d->st, &eis);
    rsp_store_eis_clear(&eis);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    cpy(ks.eid, sizeof(ks.eid), k->ids.eid);
    ks.kvn = DEMO_KVN;
    ks.type = 0x80;
    e = e ? e : rsp_buf_append(&ks.keys, s.kic, 16);
    e = e ? e : rsp_buf_append(&ks.keys, s.kid, 16);
    e = e ? e : rsp_store_keyset_put(d->st, &ks);
    rsp_store_keyset_clear(&ks);
    rsp_wipe(&s, sizeof(s));
    /* ProfileInfo of the EIS: the provisioning profile, in the ISD-P the card put it in. */
    rsp_euicc_info info;
    k->card = e ? NULL : rsp_euicc_fleet_by_eid(d->fleet, k->ids.eid);
    e = e ? e : k->card ? rsp_euicc_info_get(k->card, &info) : RSP_ERR_NOT_FOUND;
    rsp_store_profile prof;
    memset(&prof, 0, sizeof(prof));
    for (size_t j = 0; !e && j < info.n_profiles; j++)
        if (info.profiles[j].lcs == 0x3F)
            cpy(prof.isdp_aid, sizeof(prof.isdp_aid), info.profiles[j].aid);
    if (!e && !prof.isdp_aid[0])
        e = rsp_diag_set(diag, RSP_ERR_STATE, "card %s has no enabled profile after manufacture", k->ids.eid);
    cpy(prof.iccid, sizeof(prof.iccid), k->ids.iccid);
    cpy(prof.eid, sizeof(prof.eid), k->ids.eid);
    snprintf(prof.mno_id, sizeof(prof.mno_id), "MNO1");
    cpy(prof.msisdn, sizeof(prof.msisdn), k->ids.msisdn);
    cpy(prof.imsi, sizeof(prof.imsi), k->ids.imsi);
    cpy(prof.profile_type, sizeof(prof.profile_type), d->pkg.header.profile_type);
    prof.state = RSP_STORE_PROFILE_ENABLED;
    prof.fallback = true;
    prof.allocated_memory = (int64_t)d->package.len;
    return e ? e : rsp_store_profile_put(d->st, &prof);
}

/* SM-SR -> ISD-R over SMS: one expanded script in one SCP80 packet under the key set of the store;
 * the counter is reserved in the store (durably) before the packet exists. Every R-APDU must be
 * 9000; last (may be NULL) gets the last one's data. */
static rsp_err smsr_send(demo *d, demo_card *k, const rsp_bytes *apdus, size_t n, uint64_t *cntr, rsp_buf *last,
                         rsp_diag *diag)
{
    rsp_buf script = RSP_BUF_INIT, por = RSP_BUF_INIT;
    uint8_t pkt[2048], work[2048];
    size_t plen = 0;
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    rsp_err e = rsp_store_keyset_get(d->st, k->ids.eid, DEMO_KVN, &ks);
    if (!e && ks.keys.len != 32)
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "the SCP80 key set of %s is not KIc || KID", k->ids.eid);
    e = e ? e : rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, apdus, n, &script);
    e = e ? e : rsp_store_counter_reserve(d->st, &d->fence, k->ids.eid, DEMO_KVN, (int64_t)time(NULL), cntr);
    uint8_t ki = DEMO_KVN << 4 | 0x02; /* AES */
    rsp_scp80_hdr h = {{0x16, 0x39}, ki, ki, {0x00, 0x00, 0x01}, {0}, 0, 0};
    for (int i = 0; i < 5; i++)
        h.cntr[i] = (uint8_t)(*cntr >> (8 * (4 - i)));
    rsp_scp80_keys keys = {ks.keys.data, 16, ks.keys.data ? ks.keys.data + 16 : NULL, 16};
    e = e ? e : rsp_scp80_cmd_build(&keys, &h, script.data, script.len, pkt, sizeof(pkt), &plen, diag);
    e = e ? e : rsp_demo_sms(k->card, DEMO_SMSR_MSISDN, pkt, plen, (uint16_t)(*cntr & 0xFF), &por, diag);
    rsp_scp80_por p;
    e = e ? e : rsp_scp80_por_open(&keys, &h, por.data, por.len, work, sizeof(work), &p, diag);
    if (!e && (p.status != RSP_SCP80_POR_OK || !p.cc_valid))
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "PoR status %02X (%s), CC %s", p.status,
                         rsp_scp80_status_name(p.status), p.cc_valid ? "valid" : "invalid");
    rsp_rapdu_resp r;
    e = e ? e : rsp_rapdu_resp_parse(RSP_RAPDU_EXPANDED, p.data, p.data_len, &r, diag);
    if (!e && r.n != n)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "%zu of %zu commands answered", r.n, n);
    for (size_t i = 0; !e && i < r.n; i++)
        if (r.rsps[i].sw != 0x9000)
            e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "command %zu of the script: SW %04X", i + 1, r.rsps[i].sw);
    if (!e && last) {
        rsp_buf_reset(last);
        e = rsp_buf_append(last, r.rsps[n - 1].p, r.rsps[n - 1].len);
    }
    rsp_store_keyset_clear(&ks);
    rsp_buf_free(&script);
    rsp_buf_free(&por);
    return e;
}

/* ES8 key establishment (Scenario#3), tunnelled by the SM-SR to the ISD-R: INSTALL [for
 * personalization] names the ISD-P, the STORE DATA that follows in the same script goes to it. */
static rsp_err smdp_keyest(demo *d, demo_card *k, const rsp_eckey *pk_ecasd, const rsp_aid *isdp, uint64_t *cntr,
                           rsp_scp03_keys *hk, rsp_diag *diag)
{
    uint8_t perso[5 + 2 + 17 + 3] = {0x80, 0xE6, 0x20, 0x00, 0x16, 0x00, 0x00, 0x10};
    memcpy(perso + 8, isdp->b, 16);
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    rsp_buf apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    rsp_keyest_params p = {0, 0, 16, 0, 0x30, false, NULL, 0, NULL, 0};
    rsp_err e = rsp_keyest_host_cert_apdu(d->cert_dp.data, d->cert_dp.len, &apdu);
    rsp_bytes s1[2] = {rsp_bytes_of(perso, sizeof(perso)), rsp_buf_view(&apdu)};
    e = e ? e : smsr_send(d, k, s1, 2, cntr, &resp, diag);
    e = e ? e : rsp_keyest_host_challenge(&h, resp.data, resp.len, diag);
    if (!e)
        rsp_buf_reset(&apdu);
    e = e ? e : rsp_keyest_host_keyagree_apdu(&h, &p, d->dp, RSP_CURVE_P256, &apdu);
    rsp_bytes s2[2] = {rsp_bytes_of(perso, sizeof(perso)), rsp_buf_view(&apdu)};
    e = e ? e : smsr_send(d, k, s2, 2, cntr, &resp, diag);
    e = e ? e : rsp_keyest_host_finish(&h, pk_ecasd, resp.data, resp.len, hk, diag);
    rsp_keyest_host_close(&h);
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
    return e;
}

/* SM-DP -> ISD-P: the SCP03t download over the new keys. *res gets the card's EUICCResponse. */
static rsp_err smdp_download(demo_card *k, const rsp_scp03_keys *hk, const rsp_aid *isdp, const rsp_buf *pkg,
                             rsp_saip_euicc_response *res, rsp_diag *diag)
{
    rsp_scp03_session s;
    memset(&s, 0, sizeof(s));
    rsp_buf body = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    uint8_t hc[8];
    rsp_err e = rsp_random(hc, sizeof(hc));
    e = e ? e : rsp_scp03t_host_init(hk->kvn, 0x01, hc, &body);
    e = e ? e : rsp_demo_admin(k->card, isdp, &body, &resp, diag);
    e = e ? e : rsp_scp03t_host_begin(&s, hk, hc, resp.data, resp.len, diag);
    if (!e)
        rsp_buf_reset(&body);
    e = e ? e : rsp_scp03t_host_auth(&s, 0x33, &body);
    e = e ? e : rsp_scp03t_host_wrap(&s, pkg->data, pkg->len, RSP_SCP03T_SEGMENT, &body);
    e = e ? e : rsp_demo_admin(k->card, isdp, &body, &resp, diag);
    if (!e && resp.len == 0)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "the card gave no EUICCResponse for the whole package");
    e = e ? e : rsp_saip_euicc_response_decode(resp.data, resp.len, res, diag);
    rsp_euicc_admin_end(k->card, e == RSP_OK, rsp_demo_now_ms());
    rsp_scp03_close(&s);
    rsp_buf_free(&body);
    rsp_buf_free(&resp);
    return e;
}

/* HandleProfileEnabledNotification: the card's notifications (MO SMS from the ISD-R, SCP80 under its
 * key set) are opened by the SM-SR, which needs the switch (E1{4D 02, 4F the ISD-P}) and confirms
 * every notification it got, in one 3A08 script (SGP02.md §ES5); the card then stops resending. */
static rsp_err smsr_notified(demo *d, demo_card *k, const rsp_aid *isdp, uint64_t *cntr, uint16_t *seq,
                             size_t *count, rsp_diag *diag)
{
    enum { MAXN = 8 };
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    rsp_buf pkts[MAXN];
    for (int i = 0; i < MAXN; i++)
        rsp_buf_init(&pkts[i]);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    uint8_t work[512], confirm[MAXN][12];
    rsp_bytes apdus[MAXN];
    size_t n = 0, nconf = 0;
    int64_t now = rsp_demo_now_ms(), next = 0;
    bool found = false;
    rsp_err e = rsp_euicc_tick(k->card, now, &out, &next);
    e = e ? e : rsp_demo_collect(k->card, &out, DEMO_SMSR_MSISDN, RSP_SMS_IEI_CMD_PKT, now, pkts, MAXN, &n, diag);
    e = e ? e : rsp_store_keyset_get(d->st, k->ids.eid, DEMO_KVN, &ks);
    if (!e && ks.keys.len != 32)
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "the SCP80 key set of %s is not KIc || KID", k->ids.eid);
    for (size_t i = 0; !e && i < n; i++) {
        rsp_scp80_keys keys = {ks.keys.data, 16, ks.keys.data + 16, 16};
        rsp_scp80_cmd cmd;
        rsp_tlv e1, t4d, t4e, t4f;
        e = rsp_scp80_cmd_open(&keys, pkts[i].data, pkts[i].len, work, sizeof(work), &cmd, diag);
        if (!e && (!cmd.cc_valid || memcmp(cmd.h.tar, "\x00\x00\x01", 3) != 0))
            e = rsp_diag_set(diag, RSP_ERR_VERIFY, "a notification without a valid CC from the ISD-R");
        e = e ? e : rsp_tlv_expect(cmd.data, cmd.data_len, 0xE1, &e1, diag);
        e = e ? e : rsp_tlv_find(e1.value, e1.len, 0x4D, &t4d);
        e = e ? e : rsp_tlv_find(e1.value, e1.len, 0x4E, &t4e);
        if (!e && (t4d.len != 1 || t4e.len != 2))
            e = rsp_diag_set(diag, RSP_ERR_FORMAT, "notification type or sequence number malformed");
        if (!e && t4d.value[0] == 0x02 && rsp_tlv_find(e1.value, e1.len, 0x4F, &t4f) == RSP_OK &&
            t4f.len == isdp->len && memcmp(t4f.value, isdp->b, isdp->len) == 0) {
            found = true;
            *seq = rsp_be16(t4e.value);
        }
        if (!e) { /* STORE DATA 3A08 04 4E 02 <seq> */
            memcpy(confirm[nconf], "\x80\xE2\x89\x00\x07\x3A\x08\x04\x4E\x02", 10);
            memcpy(confirm[nconf] + 10, t4e.value, 2);
            apdus[nconf] = rsp_bytes_of(confirm[nconf], 12);
            nconf++;
        }
    }
    if (!e && !found)
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "card %s sent no notification of the switch", k->ids.eid);
    e = e ? e : smsr_send(d, k, apdus, nconf, cntr, NULL, diag);
    *count = nconf;
    rsp_store_keyset_clear(&ks);
    rsp_euicc_out_clear(&out);
    for (int i = 0; i < MAXN; i++)
        rsp_buf_free(&pkts[i]);
    return e;
}

static rsp_err provision(demo *d, demo_card *k, int i, rsp_diag *diag)
{
    double t0 = rsp_bench_now();
    /* The operation is durable before anything is sent. */
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    int64_t now = (int64_t)time(NULL), id = 0;
    bool replayed = false;
    cpy(op.eid, sizeof(op.eid), k->ids.eid);
    snprintf(op.function, sizeof(op.function), "ES2.DownloadProfile");
    snprintf(op.requester, sizeof(op.requester), "OPA");
    snprintf(op.fcid, sizeof(op.fcid), "demo-%d-%s", (int)getpid(), k->ids.eid);
    op.created = now;
    op.deadline = now + 3600;
    op.next_attempt = now;
    rsp_err e = rsp_store_op_submit(d->st, &op, &id, &replayed);
    rsp_store_op_clear(&op);
    e = e ? e : rsp_store_op_claim(d->st, "demo-worker", now, 60, &op);
    d->fence = (rsp_store_fence){op.id, op.generation};
    if (e)
        return rsp_diag_set(diag, e, "queueing the operation failed: %s", rsp_err_msg(e));
    say(d, "  card %d  EID %s\n    op #%lld %s queued, claimed by demo-worker (attempt %u)\n", i + 1, k->ids.eid,
        (long long)op.id, op.function, op.attempts + 1);

    /* SM-DP side: verify CERT.ECASD -> CERT.EUM -> CI before trusting the card's key. */
    rsp_gpcert ce, cu;
    rsp_eckey *pk_eum = NULL, *pk_ecasd = NULL;
    e = rsp_gpcert_decode(d->cert_eum.data, d->cert_eum.len, &cu, diag);
    e = e ? e : rsp_gpcert_verify(&cu, d->ci);
    e = e ? e : rsp_gpcert_public_key(&cu, RSP_CURVE_P256, &pk_eum);
    e = e ? e : rsp_gpcert_decode(k->cert_ecasd.data, k->cert_ecasd.len, &ce, diag);
    e = e ? e : rsp_gpcert_verify(&ce, pk_eum);
    e = e ? e : rsp_gpcert_public_key(&ce, RSP_CURVE_P256, &pk_ecasd);
    if (!e)
        say(d, "    SM-DP checked CERT.ECASD -> CERT.EUM -> CI: valid\n");

    rsp_aid isdp;
    uint64_t cntr = 0;
    e = e ? e : rsp_aid_isdp(DEMO_ISDP_TAR, &isdp);
    /* CreateISDP: INSTALL [for install and make selectable] (SGP02.md §ES5). */
    uint8_t inst[5 + 17 * 3 + 4 + 7 + 1 + 1] = {0x80, 0xE6, 0x0C, 0x00, 0x3F};
    size_t n = 5;
    const rsp_aid *aids[3] = {&RSP_AID_ISDP_LOADFILE, &RSP_AID_ISDP_MODULE, &isdp};
    for (int a = 0; a < 3; a++) {
        inst[n++] = 0x10;
        memcpy(inst + n, aids[a]->b, 16);
        n += 16;
    }
    memcpy(inst + n, "\x03\x80\xC0\x00\x06\xC9\x04\x81\x02\x03\x70\x00\x00", 13);
    rsp_bytes create = rsp_bytes_of(inst, sizeof(inst));
    e = e ? e : smsr_send(d, k, &create, 1, &cntr, NULL, diag);
    char aidhex[33];
    rsp_aid_format(&isdp, aidhex);
    rsp_euicc_profile_info pi;
    memset(&pi, 0, sizeof(pi));
    e = e ? e : rsp_demo_card_profile(k->card, aidhex, &pi);
    if (!e)
        say(d, "    CreateISDP %s by SMS (SCP80, counter %llu): PoR ok, SW 9000; card: ISD-P LCS %02X, quota %lld\n",
            aidhex, (unsigned long long)cntr, pi.lcs, (long long)pi.quota);

    /* ES8 key establishment, then operator A's profile personalised for this card and downloaded. */
    rsp_scp03_keys hk;
    memset(&hk, 0, sizeof(hk));
    e = e ? e : smdp_keyest(d, k, pk_ecasd, &isdp, &cntr, &hk, diag);
    if (!e)
        say(d, "    ES8 key establishment (Scenario#3) via the ISD-R by SMS (counters %llu, %llu): receipt verified, "
               "ISD-P keys KVN %02X\n",
            (unsigned long long)cntr - 1, (unsigned long long)cntr, hk.kvn);
    char d19[32], iccid[40], imsi[32];
    snprintf(d19, sizeof(d19), "894450100000%07d", (i + 1) % 10000000);
    snprintf(iccid, sizeof(iccid), "%s%d", d19, rsp_luhn_digit(d19, 19));
    snprintf(imsi, sizeof(imsi), "00101%010d", (i + 1) % 1000000000);
    uint8_t ki[16], opc[16];
    rsp_buf perso_pkg = RSP_BUF_INIT;
    e = e ? e : rsp_random(ki, 16);
    e = e ? e : rsp_random(opc, 16);
    rsp_saip_perso perso = {iccid, imsi, ki, 16, opc, 16};
    e = e ? e : rsp_saip_personalize(&d->pkg, &perso, &perso_pkg, diag);
    rsp_wipe(ki, sizeof(ki));
    rsp_wipe(opc, sizeof(opc));
    rsp_saip_euicc_response res;
    memset(&res, 0, sizeof(res));
    e = e ? e : smdp_download(k, &hk, &isdp, &perso_pkg, &res, diag);
    rsp_wipe(&hk, sizeof(hk));
    size_t segments = (perso_pkg.len + RSP_SCP03T_SEGMENT - 1) / RSP_SCP03T_SEGMENT, pe_ok = 0, pe_n = res.n_pe_status;
    for (size_t s = 0; !e && s < res.n_pe_status; s++)
        pe_ok += res.pe_status[s].status == RSP_SAIP_ST_OK;
    bool installed = !e && !res.installation_aborted && pe_n > 0 && pe_ok == pe_n;
    /* The card's EUICCResponse decides: installed, every status ok. */
    if (!e && !installed)
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "EUICCResponse: installation %s, %zu of %zu statuses ok",
                         res.installation_aborted ? "aborted" : "not aborted", pe_ok, pe_n);
    rsp_saip_euicc_response_free(&res);
    e = e ? e : rsp_demo_card_profile(k->card, aidhex, &pi);
    if (!e && strcmp(pi.iccid, iccid) != 0)
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "the card installed ICCID %s, not %s", pi.iccid, iccid);
    if (!e)
        say(d, "    SCP03t download: %zu bytes in %zu segments; EUICCResponse: installed, %zu/%zu ok; card: ICCID %s, "
               "IMSI %s, %lld bytes, LCS %02X\n",
            perso_pkg.len, segments, pe_ok, pe_n, pi.iccid, imsi, (long long)pi.used, pi.lcs);
    rsp_buf_free_secret(&perso_pkg);

    /* EnableProfile: STORE DATA 3A03 { 4F ISD-P AID } to the ISD-R by SMS. */
    uint8_t en[5 + 3 + 18] = {0x80, 0xE2, 0x88, 0x00, 0x15, 0x3A, 0x03, 0x12, 0x4F, 0x10};
    memcpy(en + 10, isdp.b, 16);
    rsp_bytes enable = rsp_bytes_of(en, sizeof(en));
    e = e ? e : smsr_send(d, k, &enable, 1, &cntr, NULL, diag);
    e = e ? e : rsp_demo_card_profile(k->card, aidhex, &pi);
    if (!e && pi.lcs != 0x3F)
        e = rsp_diag_set(diag, RSP_ERR_STATE, "the card did not enable %s (LCS %02X)", aidhex, pi.lcs);
    if (!e)
        say(d, "    EnableProfile by SMS (SCP80, counter %llu): PoR ok, SW 9000; card: %s enabled, MSISDN %s\n",
            (unsigned long long)cntr, aidhex, rsp_euicc_msisdn(k->card));
    /* The PoR says the command ran; the operation waits for the card's notification of the switch. */
    rsp_store_op_change chg = {now, now + 60, 0, NULL};
    e = e ? e : rsp_store_op_transition(d->st, op.id, &d->fence, RSP_STORE_OP_SENT, RSP_STORE_OP_AWAITING, &chg);
    uint16_t seq = 0;
    size_t nnotif = 0;
    e = e ? e : smsr_notified(d, k, &isdp, &cntr, &seq, &nnotif, diag);
    if (!e)
        say(d, "    card's notifications by SMS: %zu, the switch as seq %u; SM-SR confirmed them (3A08, "
               "counter %llu)\n", nnotif, seq, (unsigned long long)cntr);

    rsp_store_profile prof;
    memset(&prof, 0, sizeof(prof));
    cpy(prof.iccid, sizeof(prof.iccid), iccid);
    cpy(prof.eid, sizeof(prof.eid), k->ids.eid);
    cpy(prof.isdp_aid, sizeof(prof.isdp_aid), aidhex);
    snprintf(prof.mno_id, sizeof(prof.mno_id), "OPA");
    snprintf(prof.smdp_id, sizeof(prof.smdp_id), "SMDP1");
    cpy(prof.profile_type, sizeof(prof.profile_type), d->pkg.header.profile_type);
    cpy(prof.imsi, sizeof(prof.imsi), imsi);
    prof.allocated_memory = pi.quota;
    prof.state = RSP_STORE_PROFILE_ENABLED;
    e = e ? e : rsp_store_profile_put(d->st, &prof);
    e = e ? e : rsp_store_profile_set_state(d->st, k->ids.iccid, RSP_STORE_PROFILE_DISABLED);
    char result[96];
    snprintf(result, sizeof(result), "ICCID %s enabled", iccid);
    rsp_bytes rb = rsp_bytes_of((const uint8_t *)result, strlen(result));
    rsp_store_op_change done = {now, 0, 0, &rb};
    e = e ? e : rsp_store_op_transition(d->st, op.id, &d->fence, RSP_STORE_OP_AWAITING, RSP_STORE_OP_DONE, &done);
    rsp_store_audit au;
    memset(&au, 0, sizeof(au));
    au.ts = now;
    snprintf(au.actor, sizeof(au.actor), "SMSR1");
    cpy(au.eid, sizeof(au.eid), k->ids.eid);
    cpy(au.iccid, sizeof(au.iccid), iccid);
    snprintf(au.event, sizeof(au.event), "profile-enabled");
    snprintf(au.detail, sizeof(au.detail), "op %lld, ISD-P %s", (long long)op.id, aidhex);
    e = e ? e : rsp_store_audit_append(d->st, &au, NULL);
    double ms = (rsp_bench_now() - t0) * 1000;
    if (!e) {
        say(d, "    op #%lld done: %s (%.1f ms)\n", (long long)op.id, result, ms);
        json_array_append_new(json_object_get(d->report, "cards"),
                              json_pack("{s:s, s:s, s:s, s:I, s:f, s:{s:b, s:I, s:I}, s:s, s:i}", "eid", k->ids.eid,
                                        "iccid", iccid, "isdp", aidhex, "operation", (json_int_t)op.id, "ms", ms,
                                        "euicc_response", "installed", installed, "pe_status", (json_int_t)pe_n,
                                        "pe_status_ok", (json_int_t)pe_ok, "card_state", rsp_demo_lcs_name(pi.lcs),
                                        "switch_notification_seq", (int)seq));
    }
    rsp_store_op_clear(&op);
    rsp_ec_free(pk_eum);
    rsp_ec_free(pk_ecasd);
    return e;
}

/* The fleet's database and its WAL side files (docs/modules/euicc.md "State layout"); a missing one is
 * fine. */
static rsp_err remove_fleet(const char *dir)
{
    static const char *const files[] = {"cards.db", "cards.db-wal", "cards.db-shm"};
    char path[4300];
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            return RSP_ERR_IO;
    }
    return RSP_OK;
}

static const char *default_profile(char *buf, size_t n)
{
    const char *shared = getenv("RSP_SHARED_DIR");
    snprintf(buf, n, "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", shared && *shared ? shared : "../shared");
    return buf;
}

int demo_main(int argc, char **argv); /* the new demo with real processes (demo_cli.c) */

int rsp_cmd_demo(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "run"))
        return demo_main(argc - 1, argv + 1);
    demo d;
    memset(&d, 0, sizeof(d));
    static const char usage[] =
        "usage: rsp demo [--dir D] [--store URI] [--profile FILE.der] [--cards 1..1000] [--json]\n"
        "  downloads and enables a personalised profile on N simulated eUICCs, end to end in one process;\n"
        "  D (default demo-out) holds the SM-SR store (smsr.db, unless --store) and the cards (D/fleet,\n"
        "  remade at each run: rsp euicc show --fleet D/fleet --eid EID)";
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        puts(usage);
        return RSP_EXIT_OK;
    }
    d.json = rsp_cli_take_flag(&argc, argv, "--json");
    d.ncards = 3;
    char pbuf[4096], ubuf[4200], fleet_dir[4200], today[9];
    const char *dir = "demo-out", *store = NULL, *profile = default_profile(pbuf, sizeof(pbuf));
    static const struct option opts[] = {{"dir", 1, 0, 'd'}, {"store", 1, 0, 's'}, {"profile", 1, 0, 'p'},
                                         {"cards", 1, 0, 'n'}, {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': dir = optarg; break;
        case 's': store = optarg; break;
        case 'p': profile = optarg; break;
        case 'n': d.ncards = atoi(optarg); break;
        default: return RSP_EXIT_USAGE;
        }
    }
    if (optind != argc || d.ncards < 1 || d.ncards > 1000)
        return rsp_cli_usage_error("%s", usage);
    if (rsp_cli_mkdirs(dir) != RSP_OK)
        return rsp_cli_usage_error("demo: cannot create %s", dir);
    if (!store) {
        snprintf(ubuf, sizeof(ubuf), "sqlite:%s/smsr.db", dir);
        store = ubuf;
    }
    rsp_diag diag;
    rsp_diag_clear(&diag);
    int rc = RSP_EXIT_OK;
    snprintf(fleet_dir, sizeof(fleet_dir), "%s/fleet", dir);
    demo_card *cards = calloc((size_t)d.ncards, sizeof(*cards));
    d.report = json_pack("{s:s, s:s, s:s, s:[]}", "store", store, "profile", profile, "fleet", fleet_dir, "cards");
    double t0 = rsp_bench_now();
    rsp_err e = cards ? RSP_OK : RSP_ERR_NOMEM;
    e = e ? e : rsp_cli_read_file(profile, &d.package);
    if (e) {
        rc = rsp_cli_usage_error("demo: cannot read the profile package %s (set RSP_SHARED_DIR or --profile)", profile);
        goto out;
    }
    say(&d, "OpenRSP demo: SGP.02 download and enable, end to end, in one process, on simulated eUICCs\n"
            "  store    %s\n  profile  %s (%zu bytes)\n\n", store, profile, d.package.len);
    e = rsp_saip_parse(d.package.data, d.package.len, 0, &d.pkg, &diag);
    e = e ? e : rsp_store_open(store, &diag, &d.st);
    e = e ? e : pki(&d);
    e = e ? e : rsp_ec_public_point(d.ci, d.pk_ci);
    if (!e)
        say(&d, "[1] PKI: CI, EUM and SM-DP key pairs and GP certificates (P-256)\n");
    /* Each run makes its cards anew (new PKI, new keys): the previous run's fleet goes first. */
    e = e ? e : remove_fleet(fleet_dir);
    e = e ? e : rsp_euicc_fleet_create(fleet_dir, &diag, &d.fleet);
    time_t tt = time(NULL);
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(today, sizeof(today), "%Y%m%d", &tm);
    rsp_mfg_run run = {d.eum,        "EUM1",   &d.cert_eum, d.pk_ci, today, "20361121", &d.pkg, DEMO_SMSR_MSISDN,
                       "127.0.0.1",  "/gsma/adminagent",      8481,    1048576, DEMO_KVN, 0x40};
    e = e ? e : rsp_euicc_fleet_begin(d.fleet);
    for (int i = 0; !e && i < d.ncards; i++)
        e = manufacture(&d, &cards[i], i, &run, &diag);
    if (d.fleet) {
        rsp_err ce = rsp_euicc_fleet_commit(d.fleet);
        e = e ? e : ce;
    }
    if (!e)
        say(&d, "[2] EUM: %d eUICCs made in %s (EID, ECASD key and certificate, ISD-R SCP80 keys,\n"
                "    provisioning profile enabled); ES1.RegisterEIS: the SM-SR stored each EIS and key set\n"
                "[3] Operator A orders a download per card; profile type \"%s\"\n\n",
            d.ncards, fleet_dir, d.pkg.header.profile_type);
    for (int i = 0; !e && i < d.ncards; i++)
        e = provision(&d, &cards[i], i, &diag);
    if (e) {
        rc = rsp_cli_fail("demo", e, &diag);
        goto out;
    }
    size_t done = 0, queued = 0;
    rsp_store_op_count(d.st, RSP_STORE_OP_DONE, &done);
    rsp_store_op_count(d.st, RSP_STORE_OP_QUEUED, &queued);
    double ms = (rsp_bench_now() - t0) * 1000;
    json_object_set_new(d.report, "ms", json_real(ms));
    json_object_set_new(d.report, "ops_done", json_integer((json_int_t)done));
    if (d.json) {
        rsp_cli_json_out(d.report);
        d.report = NULL;
    } else {
        printf("\n%d cards provisioned in %.0f ms; the store now holds %zu completed operations (%zu queued).\n"
               "Run it again: the store keeps its state, SCP80 counters continue where they stopped.\n\n"
               "Inspect a card: rsp euicc show --fleet %s --eid %s\n"
               "Next (later issues): the SM-SR, SM-DP and the eUICC simulator as daemons over HTTPS and SMPP,\n"
               "and the fleet switch from operator A to operator B in one command.\n",
               d.ncards, ms, done, queued, fleet_dir, cards[0].ids.eid);
    }
out:
    for (int i = 0; cards && i < d.ncards; i++)
        rsp_buf_free(&cards[i].cert_ecasd);
    free(cards);
    rsp_euicc_fleet_close(d.fleet);
    json_decref(d.report);
    rsp_saip_package_free(&d.pkg);
    rsp_buf_free(&d.package);
    rsp_buf_free(&d.cert_eum);
    rsp_buf_free(&d.cert_dp);
    rsp_ec_free(d.ci);
    rsp_ec_free(d.eum);
    rsp_ec_free(d.dp);
    rsp_store_close(d.st);
    return rc;
}
