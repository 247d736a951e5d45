/* saip walker over the four TS.48 v7 packages: every decoded field is checked against the package's
 * own ASN.1 value notation (*.asn1.txt), read and picked apart here independently of the decoder. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp/saip.h"
#include "testutil.h"

static const char *const packages[4] = {
    "TS48v7_SAIP2.3_NoBERTLV",
    "TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM",
    "TS48v7_SAIP2.3_BERTLV_SUCI",
    "TS48v7_SAIP2.3_BERTLV_SUCI_NoRAMRFM",
};

static void load(const char *name, const char *ext, rsp_buf *out)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof(rel), "profiles/%s.%s", name, ext);
    tu_read_file(tu_shared_path(rel, path, sizeof(path)), out);
    if (!strcmp(ext, "asn1.txt"))
        rsp_buf_append_byte(out, 0);
}

/* Text of the block that follows `key` up to its matching '}' (malloc'd). */
static char *block_after(const char *text, const char *key)
{
    const char *k = strstr(text, key);
    assert_non_null(k);
    const char *open = strchr(k, '{');
    assert_non_null(open);
    int depth = 0;
    const char *q = open;
    do {
        if (*q == '{')
            depth++;
        else if (*q == '}')
            depth--;
        q++;
    } while (depth > 0 && *q);
    char *s = malloc((size_t)(q - open) + 1);
    memcpy(s, open, (size_t)(q - open));
    s[q - open] = '\0';
    return s;
}

static void test_elements_match_value_notation(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        rsp_buf der = RSP_BUF_INIT, txt = RSP_BUF_INIT;
        load(packages[k], "der", &der);
        load(packages[k], "asn1.txt", &txt);
        rsp_saip_package pkg;
        rsp_diag d;
        rsp_diag_clear(&d);
        assert_int_equal(rsp_saip_parse(der.data, der.len, 0, &pkg, &d), RSP_OK);

        /* "valueN ProfileElement ::= NAME : {" then, except for the header, "identification N". */
        const char *t = (const char *)txt.data;
        size_t n = 0;
        while ((t = strstr(t, " ProfileElement ::= ")) != NULL) {
            t += strlen(" ProfileElement ::= ");
            char name[64];
            assert_int_equal(sscanf(t, "%63s", name), 1);
            assert_true(n < pkg.n_pes);
            assert_string_equal(pkg.pes[n].name, name);
            if (strcmp(name, "header")) {
                const char *id = strstr(t, "identification ");
                assert_non_null(id);
                assert_true(pkg.pes[n].has_id);
                assert_int_equal(pkg.pes[n].identification, atoi(id + strlen("identification ")));
                const char *mand = strstr(t, "mandated NULL");
                assert_int_equal(pkg.pes[n].mandated, mand != NULL && mand < id);
            } else {
                assert_false(pkg.pes[n].has_id);
            }
            n++;
        }
        assert_int_equal(n, pkg.n_pes);
        assert_string_equal(pkg.pes[pkg.n_pes - 1].name, "end");

        /* The elements tile the package exactly. */
        size_t off = 0;
        for (size_t i = 0; i < pkg.n_pes; i++) {
            assert_int_equal(pkg.pes[i].offset, off);
            assert_ptr_equal(pkg.pes[i].raw.p, der.data + off);
            off += pkg.pes[i].raw.len;
        }
        assert_int_equal(off, der.len);
        rsp_saip_package_free(&pkg);
        rsp_buf_free(&der);
        rsp_buf_free(&txt);
    }
}

static void test_header_matches_value_notation(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        rsp_buf der = RSP_BUF_INIT, txt = RSP_BUF_INIT;
        load(packages[k], "der", &der);
        load(packages[k], "asn1.txt", &txt);
        rsp_saip_package pkg;
        assert_int_equal(rsp_saip_parse(der.data, der.len, 0, &pkg, NULL), RSP_OK);
        const char *t = (const char *)txt.data;
        const rsp_saip_header *h = &pkg.header;

        assert_int_equal(h->major, atoi(strstr(t, "major-version ") + 14));
        assert_int_equal(h->minor, atoi(strstr(t, "minor-version ") + 14));
        const char *pt = strstr(t, "profileType \"") + 13;
        assert_true(h->has_profile_type);
        assert_int_equal(strlen(h->profile_type), (size_t)(strchr(pt, '"') - pt));
        assert_memory_equal(h->profile_type, pt, strlen(h->profile_type));
        assert_string_equal(h->profile_type, "GSMA Generic eUICC Test Profile");
        const char *ic = strstr(t, "iccid '") + 7;
        assert_memory_equal(h->iccid, ic, 20);
        assert_string_equal(h->iccid, "89000123456789012341");
        assert_false(h->has_pol);

        /* Services: the names listed in the block, in the module's order, and nothing else. */
        char *svc = block_after(t, "eUICC-Mandatory-services");
        uint64_t want = 0;
        for (unsigned i = 0; i < RSP_SAIP_SERVICE_MAX; i++) {
            const char *nm = rsp_saip_service_name(i);
            if (!nm)
                break;
            char pat[80];
            snprintf(pat, sizeof(pat), " %s NULL", nm);
            if (strstr(svc, pat))
                want |= (uint64_t)1 << i;
        }
        assert_true(want != 0);
        assert_int_equal(h->services, want);
        free(svc);

        /* GFSTE list: "{ 2 23 143 1 2 1 }" per OID, compared as dotted strings. */
        char *gl = block_after(t, "eUICC-Mandatory-GFSTEList");
        const char *q = gl + 1;
        size_t n = 0;
        while ((q = strchr(q, '{')) != NULL) {
            char want_oid[128] = "", got[128];
            q++;
            while (*q && *q != '}') {
                while (*q == ' ' || *q == '\n')
                    q++;
                if (!isdigit((unsigned char)*q))
                    break;
                size_t l = strlen(want_oid);
                snprintf(want_oid + l, sizeof(want_oid) - l, "%s%ld", l ? "." : "", strtol(q, (char **)&q, 10));
            }
            assert_true(n < h->n_gfste);
            assert_int_equal(rsp_saip_oid_str(h->gfste[n], got, sizeof(got)), RSP_OK);
            assert_string_equal(got, want_oid);
            n++;
        }
        assert_int_equal(n, h->n_gfste);
        assert_true(n >= 10);
        free(gl);
        rsp_saip_package_free(&pkg);
        rsp_buf_free(&der);
        rsp_buf_free(&txt);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < 4; k++) {
        rsp_buf der = RSP_BUF_INIT, out = RSP_BUF_INIT;
        load(packages[k], "der", &der);
        rsp_saip_package pkg;
        assert_int_equal(rsp_saip_parse(der.data, der.len, 0, &pkg, NULL), RSP_OK);
        assert_int_equal(rsp_saip_encode(&pkg, &out), RSP_OK);
        assert_int_equal(out.len, der.len);
        assert_memory_equal(out.data, der.data, der.len);
        size_t idx;
        assert_int_equal(rsp_saip_find(&pkg, RSP_SAIP_TAG_USIM, 0, &idx), RSP_OK);
        assert_string_equal(pkg.pes[idx].name, "usim");
        assert_int_equal(rsp_saip_find(&pkg, 0xBF20, 0, &idx), RSP_ERR_NOT_FOUND);
        rsp_saip_package_free(&pkg);
        rsp_buf_free(&der);
        rsp_buf_free(&out);
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(rsp_saip_pe_name(0xA0), "header");
    assert_string_equal(rsp_saip_pe_name(0xAA), "end");
    assert_string_equal(rsp_saip_pe_name(0xAB), "rfu1");
    assert_string_equal(rsp_saip_pe_name(0xB0), "mf");
    assert_string_equal(rsp_saip_pe_name(0xBE), "df-snpn");
    assert_string_equal(rsp_saip_pe_name(0xBF1F), "df-5gprose");
    assert_string_equal(rsp_saip_pe_name(0xBF20), "iot");
    assert_string_equal(rsp_saip_pe_name(0xBF21), "opt-iot");
    assert_null(rsp_saip_pe_name(0xBF22));
    assert_null(rsp_saip_pe_name(0x30));
    assert_string_equal(rsp_saip_service_name(0), "contactless");
    assert_string_equal(rsp_saip_service_name(29), "eaka");
    assert_null(rsp_saip_service_name(30));
    assert_string_equal(rsp_saip_status_name(3), "bad-values");
    assert_string_equal(rsp_saip_status_name(31), "unsupported-profile-version");
    assert_null(rsp_saip_status_name(12));
    char s[32];
    const uint8_t oid[] = {0x67, 0x81, 0x0F, 0x01, 0x02, 0x01};
    assert_int_equal(rsp_saip_oid_str(rsp_bytes_of(oid, 6), s, sizeof(s)), RSP_OK);
    assert_string_equal(s, "2.23.143.1.2.1");
    assert_int_equal(rsp_saip_oid_str(rsp_bytes_of(oid, 6), s, 8), RSP_ERR_OVERFLOW);
    const uint8_t bad[] = {0x67, 0x81};
    assert_int_equal(rsp_saip_oid_str(rsp_bytes_of(bad, 2), s, sizeof(s)), RSP_ERR_FORMAT);
    const uint8_t nonmin[] = {0x67, 0x80, 0x01};
    assert_int_equal(rsp_saip_oid_str(rsp_bytes_of(nonmin, 3), s, sizeof(s)), RSP_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elements_match_value_notation),
        cmocka_unit_test(test_header_matches_value_notation),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
