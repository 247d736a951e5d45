/* LoadBoundProfilePackage's last two error reasons on the consumer card, each from a tampered profile
 * package sent through the card's entry point (rsp_es10_card_open/apdu) as the other reasons are
 * (test_euicc_es10_load.c): testProfileInstallFailedDueToInvalidNaaKey (14), a test profile whose
 * akaParameter key cannot run, and installFailedDueToUnknownError (127), the same fault in an operational
 * profile, for which SGP22.md names no reason. Each PIR is verified under CERT.EUICC and decoded by the
 * decoder the LPA uses (rsp_es10_pir_decode), its A1 checked byte for byte, its EUICCResponse names the
 * akaParameter element; nothing is installed and the ISD-P counter does not move. The rule itself
 * (docs/ENCODINGS.md §"SGP.22 card: NAA keys") on hand-built elements. Outside fact: TS.48's test profile
 * (usim-test-algorithm, an all-zero OPc, identifications 11 and 22 in its value notation) installs as a
 * test profile. Reason 127 also for the card's own fault: an NVM that refuses the profile's commit (a
 * trigger the test puts in card.db) gets a signed PIR of 127, kept nowhere, nothing installed. */
#include <sqlite3.h>

#include "../../lib/euicc/c22_naa.h"
#include "test_euicc_es10_world.h"

/* Where field `tag` of the algoParameter of the k-th akaParameter (0-based) sits in upp. */
static size_t aka_field(const rsp_buf *upp, size_t k, uint32_t tag, size_t *len)
{
    rsp_saip_package pkg;
    assert_int_equal(rsp_saip_parse(upp->data, upp->len, 0, &pkg, NULL), RSP_OK);
    size_t i = 0, from = 0;
    for (size_t j = 0; j <= k; j++) {
        assert_int_equal(rsp_saip_find(&pkg, RSP_SAIP_TAG_AKA, from, &i), RSP_OK);
        from = i + 1;
    }
    static const uint32_t path[] = {0xA1, 0xA1};
    rsp_tlv algo, f;
    assert_int_equal(rsp_tlv_find_path(pkg.pes[i].value.p, pkg.pes[i].value.len, path, 2, &algo), RSP_OK);
    assert_int_equal(rsp_tlv_find(algo.value, algo.len, tag, &f), RSP_OK);
    size_t off = (size_t)(f.value - upp->data);
    *len = f.len;
    rsp_saip_package_free(&pkg);
    return off;
}

/* One download of upp; the PIR must be an error of loadProfileElements with reason, its EUICCResponse
 * naming the akaParameter of identification id; no profile left. Returns the PIR's seqNumber. */
static uint32_t expect_naa(world *w, const rsp_buf *upp, int pclass, int reason, uint16_t id)
{
    rsp_buf pir = RSP_BUF_INIT;
    download(w, &(bpp_opts){.upp = upp, .pclass = pclass}, &pir);
    rsp_es10_pir p;
    w_check_pir(w, &pir, &p);
    assert_false(p.success);
    assert_int_equal(p.bpp_command_id, 5);
    assert_int_equal(p.error_reason, reason);
    /* the decoder reads any unknown reason as 127: the bytes say the card sent this one */
    const uint8_t a1[] = {0x80, 0x01, 0x05, 0x81, 0x01, (uint8_t)reason, 0x82};
    bool found = false;
    for (size_t i = 0; i + sizeof(a1) <= p.data_raw.len && !found; i++)
        found = memcmp(p.data_raw.p + i, a1, sizeof(a1)) == 0;
    assert_true(found);
    rsp_saip_euicc_response er;
    assert_int_equal(rsp_saip_euicc_response_decode(p.sima_response.p, p.sima_response.len, &er, NULL), RSP_OK);
    assert_true(er.installation_aborted);
    assert_int_equal(er.n_pe_status, 1);
    assert_int_equal(er.pe_status[0].status, RSP_SAIP_ST_BAD_VALUES);
    assert_true(er.pe_status[0].has_identification);
    assert_int_equal(er.pe_status[0].identification, id);
    rsp_saip_euicc_response_free(&er);
    rsp_es10_profiles pr;
    assert_int_equal(profile_count(w, &pr), 0);
    uint32_t seq = p.meta.seq;
    rsp_buf_free(&pir);
    return seq;
}

static void test_reasons(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf upp = RSP_BUF_INIT, bad = RSP_BUF_INIT, pir = RSP_BUF_INIT, keep = RSP_BUF_INIT;
    read_profile(&upp);
    size_t klen = 0, alen = 0, off;
    /* the first akaParameter's Ki all zero: a test profile gets 14, an operational one 127 */
    off = aka_field(&upp, 0, 0x82, &klen);
    assert_int_equal(klen, 16);
    rsp_buf_append(&bad, upp.data, upp.len);
    memset(bad.data + off, 0, klen);
    assert_int_equal(expect_naa(&w, &bad, RSP_ES10_CLASS_TEST, 14, 11), 1);
    assert_int_equal(expect_naa(&w, &bad, -1, 127, 11), 2);
    assert_int_equal(expect_naa(&w, &bad, RSP_ES10_CLASS_PROVISIONING, 127, 11), 3);
    /* only the second one's Ki zero: that element is named */
    rsp_buf_reset(&bad);
    rsp_buf_append(&bad, upp.data, upp.len);
    off = aka_field(&upp, 1, 0x82, &klen);
    memset(bad.data + off, 0, klen);
    expect_naa(&w, &bad, RSP_ES10_CLASS_TEST, 14, 22);
    /* algorithmID TUAK: its TOPc is 32 bytes, the package's OPc 16 */
    rsp_buf_reset(&bad);
    rsp_buf_append(&bad, upp.data, upp.len);
    off = aka_field(&upp, 0, 0x80, &alen);
    assert_int_equal(alen, 1);
    bad.data[off] = 2;
    expect_naa(&w, &bad, RSP_ES10_CLASS_TEST, 14, 11);
    /* an algorithmID the module does not define */
    bad.data[off] = 9;
    expect_naa(&w, &bad, -1, 127, 11);
    /* the untampered TS.48 package as a test profile: installs, in the first ISD-P (the failures did not
     * move the counter), and its PIR follows the six refused ones */
    download(&w, &(bpp_opts){.upp = &upp, .pclass = RSP_ES10_CLASS_TEST}, &pir);
    rsp_es10_pir p;
    w_check_pir(&w, &pir, &p);
    assert_true(p.success);
    tu_assert_hex(p.isdp_aid.p, p.isdp_aid.len, "A0000005591010FFFFFFFF8900001000");
    assert_int_equal(p.meta.seq, 7);
    rsp_es10_profiles pr;
    assert_int_equal(profile_count(&w, &pr), 1);
    assert_int_equal(pr.items[0].profile_class, RSP_ES10_CLASS_TEST);
    /* the LPA reads the refusals from the notification list too, as it would to process them */
    rsp_es10_notif_list nl;
    notifications(&w, &nl, &keep);
    assert_int_equal(nl.n, 7);
    static const int want[] = {14, 127, 127, 14, 14, 127};
    for (size_t i = 0; i < 6; i++) {
        assert_true(nl.items[i].is_pir);
        assert_false(nl.items[i].pir.success);
        assert_int_equal(nl.items[i].pir.error_reason, want[i]);
    }
    rsp_buf *bufs[] = {&upp, &bad, &pir, &keep};
    for (size_t i = 0; i < 4; i++)
        rsp_buf_free(bufs[i]);
    w_free(&w);
}

/* One akaParameter element: PE header (identification 5), then conf as its algoConfiguration. */
static const rsp_saip_pe *check_one(const uint8_t *conf, size_t conf_len, rsp_buf *pkg_bytes, rsp_saip_package *pkg)
{
    rsp_buf body = RSP_BUF_INIT;
    static const uint8_t hdr[] = {0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x05};
    rsp_buf_append(&body, hdr, sizeof(hdr));
    rsp_buf_append(&body, conf, conf_len);
    rsp_buf_reset(pkg_bytes);
    rsp_tlv_put(pkg_bytes, RSP_SAIP_TAG_AKA, body.data, body.len);
    rsp_buf_free(&body);
    memset(pkg, 0, sizeof(*pkg));
    static rsp_saip_pe pe;
    pe = (rsp_saip_pe){.tag = RSP_SAIP_TAG_AKA, .has_id = true, .identification = 5,
                       .raw = rsp_buf_view(pkg_bytes)};
    rsp_tlv t;
    assert_int_equal(rsp_tlv_parse(pkg_bytes->data, pkg_bytes->len, 0, &t, NULL), RSP_OK);
    pe.value = rsp_bytes_of(t.value, t.len);
    pkg->pes = &pe;
    pkg->n_pes = 1;
    return c22_naa_refused(pkg);
}

/* algoConfiguration A1{A1{80 alg, 81 options, 82 key, 83 opc}} with the given lengths; fill byte v. */
static const rsp_saip_pe *check_algo(uint8_t alg, size_t klen, size_t olen, uint8_t v, bool with_opc)
{
    rsp_buf a = RSP_BUF_INIT, pkgb = RSP_BUF_INIT;
    uint8_t key[40], opc[40];
    memset(key, v, sizeof(key));
    memset(opc, 0, sizeof(opc));
    size_t m1 = 0, m2 = 0;
    rsp_tlv_begin(&a, 0xA1, &m1);
    rsp_tlv_begin(&a, 0xA1, &m2);
    rsp_tlv_put_u8(&a, 0x80, alg);
    rsp_tlv_put_u8(&a, 0x81, 0x02);
    rsp_tlv_put(&a, 0x82, key, klen);
    if (with_opc)
        rsp_tlv_put(&a, 0x83, opc, olen);
    rsp_tlv_end(&a, m2);
    rsp_tlv_end(&a, m1);
    rsp_saip_package pkg;
    const rsp_saip_pe *r = check_one(a.data, a.len, &pkgb, &pkg);
    rsp_buf_free(&a);
    rsp_buf_free(&pkgb);
    return r;
}

static void test_rule(void **state)
{
    (void)state;
    assert_null(check_algo(1, 16, 16, 0x11, true));      /* Milenage */
    assert_null(check_algo(3, 16, 16, 0x11, true));      /* test algorithm, OPc all zero as in TS.48 */
    assert_null(check_algo(2, 32, 32, 0x11, true));      /* TUAK, 256-bit key */
    assert_null(check_algo(2, 16, 32, 0x11, true));      /* TUAK, 128-bit key */
    assert_non_null(check_algo(1, 16, 16, 0x00, true));  /* Ki all zero */
    assert_non_null(check_algo(1, 32, 16, 0x11, true));  /* 256-bit key is TUAK's only */
    assert_non_null(check_algo(1, 15, 16, 0x11, true));
    assert_non_null(check_algo(1, 16, 32, 0x11, true));  /* OPc of Milenage is 16 bytes */
    assert_non_null(check_algo(2, 32, 16, 0x11, true));  /* TOPc is 32 */
    assert_non_null(check_algo(1, 16, 16, 0x11, false)); /* no OPc */
    assert_non_null(check_algo(0, 16, 16, 0x11, true));
    assert_non_null(check_algo(4, 16, 16, 0x11, true));
    /* a mappingParameter: keys of another element, nothing to check here; no algoConfiguration: refused */
    rsp_buf pkgb = RSP_BUF_INIT;
    rsp_saip_package pkg;
    static const uint8_t mapping[] = {0xA1, 0x06, 0xA0, 0x04, 0x80, 0x02, 0x00, 0x0B};
    assert_null(check_one(mapping, sizeof(mapping), &pkgb, &pkg));
    static const uint8_t none[] = {0x82, 0x01, 0x00};
    const rsp_saip_pe *r = check_one(none, sizeof(none), &pkgb, &pkg);
    assert_non_null(r);
    assert_int_equal(r->identification, 5);
    rsp_buf_free(&pkgb);
    /* every TS.48 package of the notes passes (two akaParameters each, usim-test-algorithm) */
    static const char *const ts48[] = {"TS48v7_SAIP2.3_NoBERTLV.der", "TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der",
                                       "TS48v7_SAIP2.3_BERTLV_SUCI.der", "TS48v7_SAIP2.3_BERTLV_SUCI_NoRAMRFM.der"};
    for (size_t i = 0; i < 4; i++) {
        char name[128], path[512];
        snprintf(name, sizeof(name), "profiles/%s", ts48[i]);
        rsp_buf b = RSP_BUF_INIT;
        tu_read_file(tu_shared_path(name, path, sizeof(path)), &b);
        assert_int_equal(rsp_saip_parse(b.data, b.len, 0, &pkg, NULL), RSP_OK);
        size_t k = 0;
        assert_int_equal(rsp_saip_find(&pkg, RSP_SAIP_TAG_AKA, 0, &k), RSP_OK);
        assert_null(c22_naa_refused(&pkg));
        rsp_saip_package_free(&pkg);
        rsp_buf_free(&b);
    }
}

static void db_exec(const char *dir, const char *sql)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/card.db", dir);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    sqlite3_close(h);
}

/* The NVM refuses the install commit: 127 in a signed PIR that the card does not keep; the card holds no
 * profile and no notification; once the NVM takes writes again, the same download installs. */
static void test_nvm_failure(void **state)
{
    (void)state;
    world w;
    w_make(&w);
    w_select(&w);
    rsp_buf upp = RSP_BUF_INIT, pir = RSP_BUF_INIT, keep = RSP_BUF_INIT;
    read_profile(&upp);
    db_exec(w.dir, "CREATE TRIGGER nvm_full BEFORE INSERT ON profile BEGIN SELECT RAISE(ABORT, 'nvm'); END;");
    download(&w, &(bpp_opts){.upp = &upp, .pclass = -1}, &pir);
    rsp_es10_pir p;
    w_check_pir(&w, &pir, &p);
    assert_false(p.success);
    assert_int_equal(p.bpp_command_id, 5);
    assert_int_equal(p.error_reason, 127);
    assert_int_equal(p.sima_response.len, 0);
    assert_int_equal(p.meta.iccid.len, 10);
    rsp_es10_profiles pr;
    assert_int_equal(profile_count(&w, &pr), 0);
    rsp_es10_notif_list nl;
    notifications(&w, &nl, &keep);
    assert_int_equal(nl.n, 0);
    db_exec(w.dir, "DROP TRIGGER nvm_full;");
    download(&w, &(bpp_opts){.upp = &upp, .pclass = -1}, &pir);
    w_check_pir(&w, &pir, &p);
    assert_true(p.success);
    tu_assert_hex(p.isdp_aid.p, p.isdp_aid.len, "A0000005591010FFFFFFFF8900001000");
    assert_int_equal(profile_count(&w, &pr), 1);
    notifications(&w, &nl, &keep);
    assert_int_equal(nl.n, 1);
    rsp_buf *bufs[] = {&upp, &pir, &keep};
    for (size_t i = 0; i < 3; i++)
        rsp_buf_free(bufs[i]);
    w_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_reasons), cmocka_unit_test(test_nvm_failure),
                                       cmocka_unit_test(test_rule)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
