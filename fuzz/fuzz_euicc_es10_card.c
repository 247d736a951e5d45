/* Fuzzes the consumer card's ES10 dispatcher (rsp_es10_card_handle) with sequences of whole ES10
 * commands, [2-byte big-endian length][command]..., on a card with an in-memory NVM holding two profiles
 * (one with notifications asked for): every function, BPP pieces in and out of order, profile
 * management. After every command: at most one profile enabled, no profile appears that was not there
 * (no BPP can bind without the test's keys), and the notification list stays within its bound. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/euicc/c22_int.h"
#include "rsp/ids.h"

static rsp_eckey *k_ci, *k_eum, *k_euicc;
static rsp_buf c_ci, c_eum, c_euicc;

static void issue(rsp_pki22_role role, rsp_eckey *k, rsp_eckey *ik, const rsp_buf *ic, rsp_buf *out)
{
    static const uint8_t serial[] = {0x07};
    static const char *const pre[] = {"89049032", NULL};
    rsp_pki22_template t = {.role = role, .common_name = "T", .organisation = "EUM", .serial = serial,
                            .serial_len = 1, .not_before = 1700000000, .not_after = 4100000000,
                            .eid = "89049032123451234512345678901235", .eid_prefixes = pre};
    if (rsp_pki22_issue(&t, k, ik, ic ? ic->data : NULL, ic ? ic->len : 0, out, NULL) != RSP_OK)
        abort();
}

static void setup(void)
{
    if (k_ci)
        return;
    if (rsp_ec_generate(RSP_CURVE_P256, &k_ci) || rsp_ec_generate(RSP_CURVE_P256, &k_eum) ||
        rsp_ec_generate(RSP_CURVE_P256, &k_euicc))
        abort();
    issue(RSP_PKI22_CI, k_ci, k_ci, NULL, &c_ci);
    issue(RSP_PKI22_EUM, k_eum, k_ci, &c_ci, &c_eum);
    issue(RSP_PKI22_EUICC, k_euicc, k_eum, &c_eum, &c_euicc);
}

static void put_profile(rsp_es10_card *c, const char *iccid, int state, unsigned ppr, bool notify)
{
    c22_profile p = {.state = state, .pclass = RSP_ES10_CLASS_OPERATIONAL, .ppr = ppr};
    rsp_iccid_to_swapped(iccid, p.iccid);
    memset(p.aid, 0xA0, 16);
    p.aid[15] = (uint8_t)state;
    rsp_buf nc = RSP_BUF_INIT;
    rsp_es10_notif_target t = {RSP_ES10_EVENT_ENABLE | RSP_ES10_EVENT_DISABLE | RSP_ES10_EVENT_DELETE,
                               rsp_bytes_of((const uint8_t *)"n.example", 9)};
    if (notify)
        rsp_es10_notif_config_encode(&t, 1, &nc);
    rsp_es10_metadata md = {.iccid = rsp_bytes_of(p.iccid, 10), .spn = rsp_bytes_of((const uint8_t *)"S", 1),
                            .name = rsp_bytes_of((const uint8_t *)"N", 1), .icon_type = -1, .profile_class = -1,
                            .notif_config = rsp_buf_view(&nc)};
    static const uint8_t pkg[] = {0xA0, 0x00};
    if (rsp_es10_metadata_encode(&md, &p.meta) || c22_profile_put(c->store, &p, pkg, sizeof(pkg)))
        abort();
    rsp_buf_free(&p.meta);
    rsp_buf_free(&nc);
}

static void invariants(rsp_es10_card *c)
{
    c22_profile *p = NULL;
    c22_notif *n = NULL;
    size_t np = 0, nn = 0, on = 0;
    if (c22_profiles(c->store, &p, &np) || c22_notifs(c->store, &n, &nn))
        __builtin_trap();
    for (size_t i = 0; i < np; i++)
        on += p[i].state == 1;
    if (on > 1 || np > 2 || nn > C22_MAX_NOTIFS)
        __builtin_trap();
    c22_profiles_free(p, np);
    c22_notifs_free(n, nn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rsp_es10_card *c;
    setup();
    if (!c) {
        rsp_es10_card_config cfg = {.sk_euicc = k_euicc, .cert_euicc = rsp_buf_view(&c_euicc),
                                    .cert_eum = rsp_buf_view(&c_eum), .n_ci = 1, .svn = {2, 2, 2},
                                    .now = 1800000000};
        cfg.cis[0] = rsp_buf_view(&c_ci);
        rsp_eid_to_bytes("89049032123451234512345678901235", cfg.eid);
        if (rsp_es10_card_new(&cfg, &c, NULL) != RSP_OK)
            abort();
    }
    /* a factory-new card with two profiles for every input: nothing carries over */
    rsp_es10_card_reset(c);
    if (c22_store_clear(c->store) != RSP_OK)
        abort();
    c22_crl_forget(c); /* the CRL a previous input loaded is parsed and kept in the card object */
    put_profile(c, "8949449999999990015", 1, RSP_ES10_PPR2, true);
    put_profile(c, "8949449999999990023", 0, RSP_ES10_PPR1, false);
    size_t off = 0;
    rsp_buf resp = RSP_BUF_INIT;
    while (off + 2 <= size) {
        size_t n = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (n > size - off)
            n = size - off;
        rsp_buf_reset(&resp);
        (void)rsp_es10_card_handle(c, data + off, n, &resp);
        invariants(c);
        off += n;
    }
    rsp_buf_free(&resp);
    return 0;
}
