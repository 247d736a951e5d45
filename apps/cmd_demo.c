/* `rsp demo`: the SGP.02 download-and-enable path, end to end in one process, through every layer
 * that exists today: the PKI, the EIS and durable operations in the store (SQLite by default), SCP80
 * command packets with PoRs for the ISD-R, ES8 key establishment, SCP03t download of a personalised
 * TS.48 profile package, and enabling it. The servers (SM-SR, SM-DP daemons) and the eUICC simulator
 * replace the in-process calls in later issues; see demo_card.h for the stand-in card. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "demo_card.h"
#include "rsp/gpcert.h"
#include "rsp/ids.h"
#include "rsp/rapdu.h"
#include "rsp/saip.h"
#include "rsp/scp80.h"
#include "rsp/store.h"

typedef struct demo {
    bool json;
    int ncards;
    rsp_store *st;
    rsp_store_fence fence; /* the operation being provisioned: every counter is reserved under it */
    rsp_eckey *ci, *eum, *dp;
    rsp_buf cert_eum, cert_dp;
    rsp_buf package;
    rsp_saip_package pkg;
    json_t *report;
} demo;

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

/* Manufacturing: EID, ECASD key pair and certificate, ISD-R SCP80 keys; then ES1 registration. */
static rsp_err manufacture(demo *d, demo_card *c, int i, rsp_buf *cert_ecasd)
{
    char d30[40];
    snprintf(d30, sizeof(d30), "890490321234512345%012d", (100 + i) % 1000000000);
    rsp_err e = rsp_eid_complete(d30, c->eid);
    e = e ? e : rsp_ec_generate(RSP_CURVE_P256, &c->sk_ecasd);
    e = e ? e : issue(c->sk_ecasd, d->eum, "EUM1", c->eid, RSP_GPCERT_ROLE_ECASD, cert_ecasd);
    e = e ? e : rsp_random(c->kic, 16);
    e = e ? e : rsp_random(c->kid, 16);
    c->pk_ci = d->ci;
    if (e)
        return e;
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    cpy(eis.eid, sizeof(eis.eid), c->eid);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "EUM1");
    snprintf(eis.smsr_id, sizeof(eis.smsr_id), "SMSR1");
    snprintf(eis.platform_type, sizeof(eis.platform_type), "OpenRSP demo card");
    snprintf(eis.platform_version, sizeof(eis.platform_version), "1.0");
    e = rsp_buf_append(&eis.signed_blob, cert_ecasd->data, cert_ecasd->len);
    e = e ? e : rsp_store_eis_put(d->st, &eis);
    rsp_store_eis_clear(&eis);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    cpy(ks.eid, sizeof(ks.eid), c->eid);
    ks.kvn = 0x01;
    ks.type = 0x80;
    e = e ? e : rsp_buf_append(&ks.keys, c->kic, 16);
    e = e ? e : rsp_buf_append(&ks.keys, c->kid, 16);
    e = e ? e : rsp_store_keyset_put(d->st, &ks);
    rsp_store_keyset_clear(&ks);
    return e;
}

/* SM-SR -> ISD-R over SMS: one expanded script in one SCP80 packet; the counter is reserved in the
 * store (durably) before the packet exists. Returns the SW of the last R-APDU. */
static rsp_err smsr_send(demo *d, demo_card *c, const rsp_bytes *apdus, size_t n, uint64_t *cntr, uint16_t *sw,
                         rsp_diag *diag)
{
    rsp_buf script = RSP_BUF_INIT, por = RSP_BUF_INIT;
    uint8_t pkt[2048], work[2048];
    size_t plen = 0;
    rsp_err e = rsp_rapdu_script_build(RSP_RAPDU_EXPANDED, apdus, n, &script);
    e = e ? e : rsp_store_counter_reserve(d->st, &d->fence, c->eid, 0x01, (int64_t)time(NULL), cntr);
    rsp_scp80_hdr h = {{0x16, 0x39}, 0x12, 0x12, {0x00, 0x00, 0x01}, {0}, 0, 0};
    for (int i = 0; i < 5; i++)
        h.cntr[i] = (uint8_t)(*cntr >> (8 * (4 - i)));
    rsp_scp80_keys k = {c->kic, 16, c->kid, 16};
    e = e ? e : rsp_scp80_cmd_build(&k, &h, script.data, script.len, pkt, sizeof(pkt), &plen, diag);
    e = e ? e : demo_card_sms(c, pkt, plen, &por, diag);
    rsp_scp80_por p;
    e = e ? e : rsp_scp80_por_open(&k, &h, por.data, por.len, work, sizeof(work), &p, diag);
    if (!e && (p.status != RSP_SCP80_POR_OK || !p.cc_valid))
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "PoR status %02X (%s), CC %s", p.status,
                         rsp_scp80_status_name(p.status), p.cc_valid ? "valid" : "invalid");
    rsp_rapdu_resp r;
    e = e ? e : rsp_rapdu_resp_parse(RSP_RAPDU_EXPANDED, p.data, p.data_len, &r, diag);
    if (!e)
        *sw = r.n ? r.rsps[r.n - 1].sw : 0;
    rsp_buf_free(&script);
    rsp_buf_free(&por);
    return e;
}

/* SM-DP <-> ISD-P: Scenario#3 key establishment, then the SCP03t download. */
static rsp_err smdp_download(demo *d, demo_card *c, const rsp_eckey *pk_ecasd, const rsp_aid *isdp, const rsp_buf *pkg,
                             size_t *segments, rsp_diag *diag)
{
    rsp_keyest_host h;
    memset(&h, 0, sizeof(h));
    rsp_keyest_card_init(&c->ke, c->pk_ci, c->sk_ecasd, RSP_GPCERT_ROLE_SMDP);
    rsp_buf apdu = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    rsp_scp03_keys hk;
    rsp_keyest_params p = {0, 0, 16, 0, 0x30, false, NULL, 0, NULL, 0};
    rsp_err e = rsp_keyest_host_cert_apdu(d->cert_dp.data, d->cert_dp.len, &apdu);
    e = e ? e : rsp_keyest_card_store_data(&c->ke, apdu.data, apdu.len, &resp, &c->isdp_keys, diag);
    e = e ? e : rsp_keyest_host_challenge(&h, resp.data, resp.len, diag);
    if (!e) {
        rsp_buf_reset(&apdu);
        rsp_buf_reset(&resp);
    }
    e = e ? e : rsp_keyest_host_keyagree_apdu(&h, &p, d->dp, RSP_CURVE_P256, &apdu);
    e = e ? e : rsp_keyest_card_store_data(&c->ke, apdu.data, apdu.len, &resp, &c->isdp_keys, diag);
    e = e ? e : rsp_keyest_host_finish(&h, pk_ecasd, resp.data, resp.len, &hk, diag);
    rsp_keyest_host_close(&h);
    rsp_keyest_card_close(&c->ke);
    /* SCP03t over the new keys. */
    rsp_scp03_session s;
    memset(&s, 0, sizeof(s));
    rsp_scp03_card_params cp = {isdp->b, isdp->len, 1, 0x70, {0}, NULL};
    uint8_t hc[8];
    e = e ? e : rsp_random(hc, sizeof(hc));
    e = e ? e : rsp_scp03t_card_init(&c->dl, &c->isdp_keys, &cp);
    rsp_buf_reset(&apdu);
    rsp_buf_reset(&resp);
    e = e ? e : rsp_scp03t_host_init(0x30, 0x01, hc, &apdu);
    e = e ? e : rsp_scp03t_card_process(&c->dl, apdu.data, apdu.len, &resp, diag);
    e = e ? e : rsp_scp03t_host_begin(&s, &hk, hc, resp.data, resp.len, diag);
    if (!e)
        rsp_buf_reset(&apdu);
    e = e ? e : rsp_scp03t_host_auth(&s, 0x33, &apdu);
    e = e ? e : rsp_scp03t_host_wrap(&s, pkg->data, pkg->len, RSP_SCP03T_SEGMENT, &apdu);
    if (!e)
        rsp_buf_reset(&resp);
    e = e ? e : rsp_scp03t_card_process(&c->dl, apdu.data, apdu.len, &resp, diag);
    if (!e && (c->dl.plain.len != pkg->len || memcmp(c->dl.plain.data, pkg->data, pkg->len) != 0))
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "the card reassembled a different package");
    *segments = c->dl.segments;
    rsp_scp03_close(&s);
    rsp_wipe(&hk, sizeof(hk));
    rsp_buf_free(&apdu);
    rsp_buf_free(&resp);
    return e;
}

static rsp_err provision(demo *d, demo_card *c, int i, const rsp_buf *cert_ecasd, rsp_diag *diag)
{
    double t0 = rsp_bench_now();
    /* The operation is durable before anything is sent. */
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    int64_t now = (int64_t)time(NULL), id = 0;
    bool replayed = false;
    cpy(op.eid, sizeof(op.eid), c->eid);
    snprintf(op.function, sizeof(op.function), "ES2.DownloadProfile");
    snprintf(op.requester, sizeof(op.requester), "OPA");
    snprintf(op.fcid, sizeof(op.fcid), "demo-%d-%s", (int)getpid(), c->eid);
    op.created = now;
    op.deadline = now + 3600;
    op.next_attempt = now;
    rsp_err e = rsp_store_op_submit(d->st, &op, &id, &replayed);
    rsp_store_op_clear(&op);
    e = e ? e : rsp_store_op_claim(d->st, "demo-worker", now, 60, &op);
    d->fence = (rsp_store_fence){op.id, op.generation};
    if (e)
        return rsp_diag_set(diag, e, "queueing the operation failed: %s", rsp_err_msg(e));
    say(d, "  card %d  EID %s\n    op #%lld %s queued, claimed by demo-worker (attempt %u)\n", i + 1, c->eid,
        (long long)op.id, op.function, op.attempts + 1);

    /* SM-DP side: verify CERT.ECASD -> CERT.EUM -> CI before trusting the card's key. */
    rsp_gpcert ce, cu;
    rsp_eckey *pk_eum = NULL, *pk_ecasd = NULL;
    e = rsp_gpcert_decode(d->cert_eum.data, d->cert_eum.len, &cu, diag);
    e = e ? e : rsp_gpcert_verify(&cu, d->ci);
    e = e ? e : rsp_gpcert_public_key(&cu, RSP_CURVE_P256, &pk_eum);
    e = e ? e : rsp_gpcert_decode(cert_ecasd->data, cert_ecasd->len, &ce, diag);
    e = e ? e : rsp_gpcert_verify(&ce, pk_eum);
    e = e ? e : rsp_gpcert_public_key(&ce, RSP_CURVE_P256, &pk_ecasd);
    if (!e)
        say(d, "    SM-DP checked CERT.ECASD -> CERT.EUM -> CI: valid\n");

    rsp_aid isdp;
    uint64_t cntr = 0;
    uint16_t sw = 0;
    e = e ? e : rsp_aid_isdp(0x000010 + (uint32_t)i, &isdp);
    /* CreateISDP: INSTALL [for install and make selectable] (SGP02.md §ES5). */
    uint8_t inst[5 + 17 * 3 + 4 + 7 + 1 + 1] = {0x80, 0xE6, 0x0C, 0x00, 0x3F};
    size_t k = 5;
    const rsp_aid *aids[3] = {&RSP_AID_ISDP_LOADFILE, &RSP_AID_ISDP_MODULE, &isdp};
    for (int a = 0; a < 3; a++) {
        inst[k++] = 0x10;
        memcpy(inst + k, aids[a]->b, 16);
        k += 16;
    }
    memcpy(inst + k, "\x03\x80\xC0\x00\x06\xC9\x04\x81\x02\x03\x70\x00\x00", 13);
    rsp_bytes create = rsp_bytes_of(inst, sizeof(inst));
    e = e ? e : smsr_send(d, c, &create, 1, &cntr, &sw, diag);
    char aidhex[33];
    rsp_aid_format(&isdp, aidhex);
    if (!e)
        say(d, "    CreateISDP %s by SMS (SCP80, counter %llu): PoR ok, SW %04X\n", aidhex,
            (unsigned long long)cntr, sw);

    /* Personalise operator A's profile for this card, then download it. */
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
    size_t segments = 0;
    e = e ? e : smdp_download(d, c, pk_ecasd, &isdp, &perso_pkg, &segments, diag);
    rsp_saip_package got;
    memset(&got, 0, sizeof(got));
    e = e ? e : rsp_saip_parse(c->dl.plain.data, c->dl.plain.len, 0, &got, diag);
    if (!e)
        say(d, "    ES8 key establishment (Scenario#3): receipt verified, ISD-P keys KVN 30\n"
               "    SCP03t download: %zu bytes in %zu segments; card holds %zu elements, ICCID %s, IMSI %s\n",
            perso_pkg.len, segments, got.n_pes, got.header.iccid, imsi);
    if (!e && strcmp(got.header.iccid, iccid) != 0)
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "the installed ICCID %s is not %s", got.header.iccid, iccid);
    rsp_saip_package_free(&got);
    rsp_scp03t_card_close(&c->dl);
    rsp_buf_free_secret(&perso_pkg);

    /* EnableProfile: STORE DATA 3A03 { 4F ISD-P AID } to the ISD-R by SMS. */
    uint8_t en[5 + 3 + 18] = {0x80, 0xE2, 0x88, 0x00, 0x15, 0x3A, 0x03, 0x12, 0x4F, 0x10};
    memcpy(en + 10, isdp.b, 16);
    rsp_bytes enable = rsp_bytes_of(en, sizeof(en));
    e = e ? e : smsr_send(d, c, &enable, 1, &cntr, &sw, diag);
    if (!e && strcmp(c->enabled_aid, aidhex) != 0)
        e = rsp_diag_set(diag, RSP_ERR_STATE, "the card did not enable %s", aidhex);
    if (!e)
        say(d, "    EnableProfile by SMS (SCP80, counter %llu): PoR ok, SW %04X, card reports %s enabled\n",
            (unsigned long long)cntr, sw, c->enabled_aid);

    rsp_store_profile prof;
    memset(&prof, 0, sizeof(prof));
    cpy(prof.iccid, sizeof(prof.iccid), iccid);
    cpy(prof.eid, sizeof(prof.eid), c->eid);
    cpy(prof.isdp_aid, sizeof(prof.isdp_aid), aidhex);
    snprintf(prof.mno_id, sizeof(prof.mno_id), "OPA");
    snprintf(prof.smdp_id, sizeof(prof.smdp_id), "SMDP1");
    cpy(prof.profile_type, sizeof(prof.profile_type), d->pkg.header.profile_type);
    cpy(prof.imsi, sizeof(prof.imsi), imsi);
    prof.state = RSP_STORE_PROFILE_ENABLED;
    e = e ? e : rsp_store_profile_put(d->st, &prof);
    char result[96];
    snprintf(result, sizeof(result), "ICCID %s enabled", iccid);
    rsp_bytes res = rsp_bytes_of((const uint8_t *)result, strlen(result));
    rsp_store_op_change chg = {now, now + 60, 0, NULL};
    rsp_store_op_change done = {now, 0, 0, &res};
    e = e ? e : rsp_store_op_transition(d->st, op.id, &d->fence, RSP_STORE_OP_SENT, RSP_STORE_OP_AWAITING, &chg);
    e = e ? e : rsp_store_op_transition(d->st, op.id, &d->fence, RSP_STORE_OP_AWAITING, RSP_STORE_OP_DONE, &done);
    rsp_store_audit au;
    memset(&au, 0, sizeof(au));
    au.ts = now;
    snprintf(au.actor, sizeof(au.actor), "SMSR1");
    cpy(au.eid, sizeof(au.eid), c->eid);
    cpy(au.iccid, sizeof(au.iccid), iccid);
    snprintf(au.event, sizeof(au.event), "profile-enabled");
    snprintf(au.detail, sizeof(au.detail), "op %lld, ISD-P %s", (long long)op.id, aidhex);
    e = e ? e : rsp_store_audit_append(d->st, &au, NULL);
    double ms = (rsp_bench_now() - t0) * 1000;
    if (!e) {
        say(d, "    op #%lld done: %s (%.1f ms)\n", (long long)op.id, result, ms);
        json_array_append_new(json_object_get(d->report, "cards"),
                              json_pack("{s:s, s:s, s:s, s:I, s:f}", "eid", c->eid, "iccid", iccid, "isdp", aidhex,
                                        "operation", (json_int_t)op.id, "ms", ms));
    }
    rsp_store_op_clear(&op);
    rsp_ec_free(pk_eum);
    rsp_ec_free(pk_ecasd);
    return e;
}

static const char *default_profile(char *buf, size_t n)
{
    const char *shared = getenv("RSP_SHARED_DIR");
    snprintf(buf, n, "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", shared && *shared ? shared : "../shared");
    return buf;
}

int rsp_cmd_demo(int argc, char **argv)
{
    demo d;
    memset(&d, 0, sizeof(d));
    d.json = rsp_cli_take_flag(&argc, argv, "--json");
    d.ncards = 3;
    char pbuf[4096], ubuf[4200];
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
        return rsp_cli_usage_error("usage: rsp demo [--dir D] [--store URI] [--profile FILE.der] [--cards 1..1000] [--json]");
    if (rsp_cli_mkdirs(dir) != RSP_OK)
        return rsp_cli_usage_error("demo: cannot create %s", dir);
    if (!store) {
        snprintf(ubuf, sizeof(ubuf), "sqlite:%s/smsr.db", dir);
        store = ubuf;
    }
    rsp_diag diag;
    rsp_diag_clear(&diag);
    int rc = RSP_EXIT_OK;
    demo_card *cards = calloc((size_t)d.ncards, sizeof(*cards));
    rsp_buf *cert_ecasd = calloc((size_t)d.ncards, sizeof(*cert_ecasd));
    d.report = json_pack("{s:s, s:s, s:[]}", "store", store, "profile", profile, "cards");
    double t0 = rsp_bench_now();
    rsp_err e = cards && cert_ecasd ? RSP_OK : RSP_ERR_NOMEM;
    e = e ? e : rsp_cli_read_file(profile, &d.package);
    if (e) {
        rc = rsp_cli_usage_error("demo: cannot read the profile package %s (set RSP_SHARED_DIR or --profile)", profile);
        goto out;
    }
    say(&d, "OpenRSP demo: SGP.02 download and enable, end to end, in one process\n"
            "  store    %s\n  profile  %s (%zu bytes)\n\n", store, profile, d.package.len);
    e = rsp_saip_parse(d.package.data, d.package.len, 0, &d.pkg, &diag);
    e = e ? e : rsp_store_open(store, &diag, &d.st);
    e = e ? e : pki(&d);
    if (!e)
        say(&d, "[1] PKI: CI, EUM and SM-DP key pairs and GP certificates (P-256)\n");
    for (int i = 0; !e && i < d.ncards; i++)
        e = manufacture(&d, &cards[i], i, &cert_ecasd[i]);
    if (!e)
        say(&d, "[2] EUM: %d eUICCs made (EID, ECASD key and certificate, ISD-R SCP80 keys);\n"
                "    ES1.RegisterEIS: the SM-SR stored each EIS and key set\n"
                "[3] Operator A orders a download per card; profile type \"%s\"\n\n",
            d.ncards, d.pkg.header.profile_type);
    for (int i = 0; !e && i < d.ncards; i++)
        e = provision(&d, &cards[i], i, &cert_ecasd[i], &diag);
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
               "Next (later issues): the SM-SR, SM-DP and eUICC simulator as daemons over HTTPS and SMPP,\n"
               "and the fleet switch from operator A to operator B in one command.\n",
               d.ncards, ms, done, queued);
    }
out:
    for (int i = 0; cards && i < d.ncards; i++) {
        rsp_ec_free(cards[i].sk_ecasd);
        rsp_wipe(&cards[i], sizeof(cards[i]));
        if (cert_ecasd)
            rsp_buf_free(&cert_ecasd[i]);
    }
    free(cards);
    free(cert_ecasd);
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
