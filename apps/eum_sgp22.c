/* `rsp eum make --sgp22`: consumer cards (SGP.22) for the simulator: per card a key pair on the EUM's
 * curve, CERT.EUICC issued by the SGP.22 EUM with the EID as subject serialNumber (and as serial
 * number), CERT.EUM and the trusted CI certificates, in the card folder layout of es10.h
 * (rsp_es10_card_load): OUT/<EID>/{sk_euicc.pem, cert_euicc.der, cert_eum.der, ci_N.der}. Each card
 * is loaded back (its chain verified) before the next is made. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ci22.h"
#include "cli.h"
#include "eum_int.h"
#include "rsp/es10.h"
#include "rsp/ids.h"
#include "rsp/pki22.h"

#define EUM22_MAX_COUNT 100000L

static const char usage[] =
    "usage: rsp eum make --sgp22 --ci SGP22_CI_DIR --eum SGP22_EUM_DIR --out DIR [--count N]\n"
    "         [--eid-start DIGITS] [--trust CI_CERT]... [--json]";

static rsp_err write_card(const char *dir, const rsp_eckey *k, const rsp_buf *cert, const rsp_buf *eum,
                          const rsp_buf *cis, size_t n_ci)
{
    char p[4400]; /* dir is at most 4200 bytes (the caller's buffer) */
    rsp_err e = rsp_cli_mkdirs(dir);
    snprintf(p, sizeof(p), "%s/sk_euicc.pem", dir);
    e = e ? e : rsp_ec_save_private_pem(k, p);
    snprintf(p, sizeof(p), "%s/cert_euicc.der", dir);
    e = e ? e : rsp_cli_write_file(p, cert->data, cert->len, 0644);
    snprintf(p, sizeof(p), "%s/cert_eum.der", dir);
    e = e ? e : rsp_cli_write_file(p, eum->data, eum->len, 0644);
    for (size_t i = 0; !e && i < n_ci; i++) {
        snprintf(p, sizeof(p), "%s/ci_%zu.der", dir, i);
        e = rsp_cli_write_file(p, cis[i].data, cis[i].len, 0644);
    }
    return e;
}

int rsp_eum_make_sgp22(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    rsp_cli_take_flag(&argc, argv, "--sgp22");
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        puts(usage);
        return RSP_EXIT_OK;
    }
    const char *ci_dir = NULL, *eum_dir = NULL, *out = NULL, *eid_start = "890490320000000000000000000001";
    const char *trust[RSP_ES10_MAX_CI];
    size_t n_trust = 0;
    long count = 1;
    static const struct option opts[] = {{"ci", 1, 0, 'c'},    {"eum", 1, 0, 'e'},       {"out", 1, 0, 'o'},
                                         {"count", 1, 0, 'n'}, {"eid-start", 1, 0, 'E'}, {"trust", 1, 0, 't'},
                                         {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c': ci_dir = optarg; break;
        case 'e': eum_dir = optarg; break;
        case 'o': out = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'E': eid_start = optarg; break;
        case 't':
            if (n_trust + 1 >= RSP_ES10_MAX_CI)
                return rsp_cli_usage_error("eum make --sgp22: at most %d --trust", RSP_ES10_MAX_CI - 1);
            trust[n_trust++] = optarg;
            break;
        default: return rsp_cli_usage_error("%s", usage);
        }
    }
    if (!ci_dir || !eum_dir || !out || optind != argc)
        return rsp_cli_usage_error("%s", usage);
    if (count < 1 || count > EUM22_MAX_COUNT)
        return rsp_cli_usage_error("eum make --sgp22: --count must be 1..%ld", EUM22_MAX_COUNT);
    size_t n = strlen(eid_start);
    if ((n != 30 && n != 32) || strspn(eid_start, "0123456789") != n || (n == 32 && rsp_eid_check(eid_start, NULL)))
        return rsp_cli_usage_error("eum make --sgp22: --eid-start must be 30 digits or a valid 32-digit EID");
    char body[31], p[4200];
    memcpy(body, eid_start, 30);
    body[30] = '\0';
    /* The trust list: the CI of --ci first, then --trust certificates (DER or PEM). */
    rsp_buf cis[RSP_ES10_MAX_CI], eum_cert = RSP_BUF_INIT, cert = RSP_BUF_INIT;
    size_t n_ci = 0;
    rsp_eckey *eum_key = NULL, *k = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_pki22_info eum;
    snprintf(p, sizeof(p), "%s/ci.crt.der", ci_dir);
    rsp_buf_init(&cis[n_ci]);
    rsp_err e = rsp_ci22_load_cert(p, &cis[n_ci++]);
    for (size_t i = 0; !e && i < n_trust; i++) {
        rsp_buf_init(&cis[n_ci]);
        e = rsp_ci22_load_cert(trust[i], &cis[n_ci++]);
    }
    if (e) {
        rsp_diag_set(&d, e, "cannot read the CI certificates (%s, --trust)", p);
    } else {
        snprintf(p, sizeof(p), "%s/cert.der", eum_dir);
        e = rsp_cli_read_file(p, &eum_cert);
        snprintf(p, sizeof(p), "%s/key.pem", eum_dir);
        e = e ? e : rsp_ec_load_pem(p, &eum_key);
        if (e || !rsp_ec_has_private(eum_key))
            e = rsp_diag_set(&d, RSP_ERR_NOT_FOUND, "%s: no SGP.22 EUM (rsp ci issue --sgp22 --role eum)", eum_dir);
    }
    e = e ? e : rsp_pki22_inspect(eum_cert.data, eum_cert.len, &eum, &d);
    if (!e && eum.role != RSP_PKI22_EUM)
        e = rsp_diag_set(&d, RSP_ERR_INVAL, "%s: the certificate is not an EUM's", eum_dir);
    char first[33] = "", last[33] = "";
    time_t now = time(NULL);
    for (long i = 0; !e && i < count; i++) {
        char digits[32], eid[33];
        uint8_t eidb[16];
        e = rsp_eum_digits_add(body, (uint64_t)i, digits, sizeof(digits));
        e = e ? e : rsp_eid_complete(digits, eid);
        e = e ? e : rsp_eid_to_bytes(eid, eidb);
        if (e) {
            rsp_diag_set(&d, e, "EID %ld after %s does not fit", i, body);
            break;
        }
        rsp_buf_reset(&cert);
        rsp_ec_free(k);
        k = NULL;
        /* The O the EUM's name constraint names for this EID (the issuer refuses any other). */
        const char *org = eum.org;
        for (size_t j = 0; j < eum.n_prefixes; j++)
            if (!strncmp(eid, eum.prefixes[j], strlen(eum.prefixes[j])) && eum.prefix_org[j][0])
                org = eum.prefix_org[j];
        rsp_pki22_template t = {.role = RSP_PKI22_EUICC, .common_name = "OpenRSP eUICC", .organisation = org,
                                .serial = eidb, .serial_len = sizeof(eidb), .not_before = now - 3600, .not_after = 0,
                                .eid = eid};
        e = rsp_ec_generate(rsp_ec_curve(eum_key), &k);
        e = e ? e : rsp_pki22_issue(&t, k, eum_key, eum_cert.data, eum_cert.len, &cert, &d);
        snprintf(p, sizeof(p), "%s/%s", out, eid);
        e = e ? e : write_card(p, k, &cert, &eum_cert, cis, n_ci);
        rsp_es10_card *card = NULL;
        e = e ? e : rsp_es10_card_load(p, 0, &card, &d);
        rsp_es10_card_free(card);
        if (!e) {
            if (i == 0)
                memcpy(first, eid, sizeof(first));
            memcpy(last, eid, sizeof(last));
        }
    }
    rsp_ec_free(k);
    rsp_ec_free(eum_key);
    rsp_buf_free(&cert);
    rsp_buf_free(&eum_cert);
    for (size_t i = 0; i < n_ci; i++)
        rsp_buf_free(&cis[i]);
    if (e)
        return rsp_cli_fail("eum make --sgp22", e, &d);
    if (json)
        rsp_cli_json_out(json_pack("{s:i, s:s, s:s, s:s, s:s, s:i}", "cards", (json_int_t)count, "dir", out, "first_eid",
                                   first, "last_eid", last, "curve", rsp_curve_name(eum.curve), "trusted_cis",
                                   (json_int_t)n_ci));
    else
        printf("made %ld SGP.22 card%s (%s) in %s: EID %s .. %s, %zu trusted CI%s\n", count, count == 1 ? "" : "s",
               rsp_curve_name(eum.curve), out, first, last, n_ci, n_ci == 1 ? "" : "s");
    return RSP_EXIT_OK;
}
