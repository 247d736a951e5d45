/* `rsp ci`: the Certificate Issuer. One key pair signs both the GP (7F21) certificates the cards
 * verify and the X.509 certificates the ES interfaces use for mutual TLS.
 *
 * CI directory:   ci.key.pem (0600), ci.pub.pem, ci.gpcert (7F21, self-signed), ci.crt.pem (X.509 root),
 *                 ci.json ({"id", "curve", "next_serial"}: the serial counter, advanced durably before use)
 * Issued folder:  key.pem (0600), pub.pem, gpcert (roles with a GP certificate), tls.crt.pem, ca.crt.pem,
 *                 info.json
 * With --sgp22, init and issue make the SGP.22 PKI instead (apps/ci22.c, layout in ci22.h).
 * Revocation (revoke, crl: apps/ci_crl.c) adds revoked.json and ci.crl to the CI directory. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ci22.h"
#include "ci_crl.h"
#include "cli.h"
#include "rsp/gpcert.h"
#include "rsp/x509.h"

typedef struct ci_role {
    const char *name;
    int gp_role;        /* -1: this role has no GP certificate */
    uint8_t key_usage;  /* 95: see docs/ENCODINGS.md */
    const char *org;
} ci_role;

static const ci_role roles[] = {
    {"eum", RSP_GPCERT_ROLE_EUM, 0x82, "EUM"},
    {"smdp", RSP_GPCERT_ROLE_SMDP, 0x82, "SM-DP"},
    {"smsr", RSP_GPCERT_ROLE_SMSR, 0x82, "SM-SR"},
    {"operator", -1, 0, "Operator"},
    {"m2msp", -1, 0, "M2M SP"},
};

void rsp_ci_path(char *out, size_t n, const char *dir, const char *file)
{
    snprintf(out, n, "%s/%s", dir, file);
}

static void date_plus(int days, char out[9])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 9, "%Y%m%d", &tm);
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

rsp_err rsp_ci_write_json(const char *path, json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    rsp_err e = s ? rsp_cli_write_file(path, s, strlen(s), 0644) : RSP_ERR_NOMEM;
    free(s);
    return e;
}

static bool has_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], flag))
            return true;
    return false;
}

static int ci_init(int argc, char **argv)
{
    if (has_flag(argc, argv, "--sgp22"))
        return rsp_ci22_init(argc, argv);
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    const char *dir = NULL, *id = "OpenRSP-CI", *curve_s = "p256";
    int force = 0, days = 3650;
    static const struct option opts[] = {{"dir", 1, 0, 'd'}, {"id", 1, 0, 'i'}, {"curve", 1, 0, 'c'},
                                         {"days", 1, 0, 'y'}, {"force", 0, 0, 'f'}, {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': dir = optarg; break;
        case 'i': id = optarg; break;
        case 'c': curve_s = optarg; break;
        case 'y': days = atoi(optarg); break;
        case 'f': force = 1; break;
        default: return RSP_EXIT_USAGE;
        }
    }
    if (!dir || optind != argc)
        return rsp_cli_usage_error("usage: rsp ci init --dir D [--id NAME] [--curve p256|brainpoolp256r1] [--days N] [--force] [--json]");
    rsp_curve curve;
    if (rsp_curve_parse(curve_s, &curve) != RSP_OK)
        return rsp_cli_usage_error("ci init: unknown curve '%s' (p256 or brainpoolp256r1)", curve_s);
    if (days <= 0)
        return rsp_cli_usage_error("ci init: --days must be positive");
    char p_key[4096], p_pub[4096], p_gp[4096], p_crt[4096], p_meta[4096];
    rsp_ci_path(p_key, sizeof(p_key), dir, "ci.key.pem");
    rsp_ci_path(p_pub, sizeof(p_pub), dir, "ci.pub.pem");
    rsp_ci_path(p_gp, sizeof(p_gp), dir, "ci.gpcert");
    rsp_ci_path(p_crt, sizeof(p_crt), dir, "ci.crt.pem");
    rsp_ci_path(p_meta, sizeof(p_meta), dir, "ci.json");
    if (file_exists(p_key) && !force)
        return rsp_cli_usage_error("ci init: %s already exists (use --force to replace the CI)", p_key);
    if (rsp_cli_mkdirs(dir) != RSP_OK)
        return rsp_cli_usage_error("ci init: cannot create %s", dir);
    rsp_eckey *k = NULL;
    rsp_buf gp = RSP_BUF_INIT;
    rsp_err e = rsp_ec_generate(curve, &k);
    char eff[9], exp[9];
    date_plus(0, eff);
    date_plus(days, exp);
    const uint8_t serial[] = {0x01};
    rsp_gpcert_template t = {serial, 1, id, id, 0x82, eff, exp, RSP_GPCERT_ROLE_CI, NULL, 0};
    rsp_x509_template xt = {id, "Certificate Issuer", 1, days, 1, NULL, NULL};
    e = e ? e : rsp_ec_save_private_pem(k, p_key);
    e = e ? e : rsp_ec_save_public_pem(k, p_pub);
    e = e ? e : rsp_gpcert_issue(&t, k, k, &gp);
    e = e ? e : rsp_cli_write_file(p_gp, gp.data, gp.len, 0644);
    e = e ? e : rsp_x509_issue(&xt, k, k, NULL, p_crt);
    json_t *meta = json_pack("{s:s, s:s, s:i}", "id", id, "curve", rsp_curve_name(curve), "next_serial", 2);
    e = e ? e : rsp_ci_write_json(p_meta, meta);
    json_decref(meta);
    rsp_ec_free(k);
    rsp_buf_free(&gp);
    if (e)
        return rsp_cli_fail("ci init", e, NULL);
    if (json) {
        rsp_cli_json_out(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "curve", rsp_curve_name(curve),
                                   "key", p_key, "public_key", p_pub, "gpcert", p_gp, "tls_root", p_crt, "dir", dir));
    } else {
        printf("created CI '%s' (%s) in %s\n", id, rsp_curve_name(curve), dir);
        printf("  private key     %s (mode 0600)\n  public key      %s\n  GP root cert    %s (7F21, self-signed)\n"
               "  TLS root cert   %s (X.509, self-signed, %d days)\n",
               p_key, p_pub, p_gp, p_crt, days);
    }
    return RSP_EXIT_OK;
}

/* Reserves the next serial number: the counter is on disk before the certificate that uses it. */
rsp_err rsp_ci_next_serial(const char *meta_path, long *serial, char *ci_id, size_t idlen)
{
    json_error_t jerr;
    json_t *m = json_load_file(meta_path, 0, &jerr);
    if (!m)
        return RSP_ERR_FORMAT;
    json_int_t s = json_integer_value(json_object_get(m, "next_serial"));
    const char *id = json_string_value(json_object_get(m, "id"));
    rsp_err e = s > 0 && id ? RSP_OK : RSP_ERR_FORMAT;
    if (!e) {
        snprintf(ci_id, idlen, "%s", id);
        *serial = (long)s;
        json_object_set_new(m, "next_serial", json_integer(s + 1));
        e = rsp_ci_write_json(meta_path, m);
    }
    json_decref(m);
    return e;
}

static int ci_issue(int argc, char **argv)
{
    if (has_flag(argc, argv, "--sgp22"))
        return rsp_ci22_issue(argc, argv);
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    const char *dir = NULL, *role_s = NULL, *id = NULL, *out = NULL, *curve_s = NULL;
    int days = 1825;
    static const struct option opts[] = {{"dir", 1, 0, 'd'}, {"role", 1, 0, 'r'}, {"id", 1, 0, 'i'},
                                         {"out", 1, 0, 'o'}, {"curve", 1, 0, 'c'}, {"days", 1, 0, 'y'},
                                         {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': dir = optarg; break;
        case 'r': role_s = optarg; break;
        case 'i': id = optarg; break;
        case 'o': out = optarg; break;
        case 'c': curve_s = optarg; break;
        case 'y': days = atoi(optarg); break;
        default: return RSP_EXIT_USAGE;
        }
    }
    if (!dir || !role_s || !id || !out || optind != argc)
        return rsp_cli_usage_error("usage: rsp ci issue --dir D --role eum|smdp|smsr|operator|m2msp --id NAME --out D2 "
                                   "[--curve C] [--days N] [--json]");
    const ci_role *role = NULL;
    for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
        if (!strcmp(role_s, roles[i].name))
            role = &roles[i];
    if (!role)
        return rsp_cli_usage_error("ci issue: unknown role '%s' (eum, smdp, smsr, operator, m2msp)", role_s);
    if (days <= 0 || strlen(id) == 0 || strlen(id) > 64)
        return rsp_cli_usage_error("ci issue: --id must be 1..64 characters and --days positive");
    char p_cikey[4096], p_cicrt[4096], p_meta[4096], p_cigp[4096];
    rsp_ci_path(p_cikey, sizeof(p_cikey), dir, "ci.key.pem");
    rsp_ci_path(p_cicrt, sizeof(p_cicrt), dir, "ci.crt.pem");
    rsp_ci_path(p_meta, sizeof(p_meta), dir, "ci.json");
    rsp_ci_path(p_cigp, sizeof(p_cigp), dir, "ci.gpcert");
    if (rsp_ci22_is_sgp22_dir(dir))
        return rsp_cli_usage_error("ci issue: %s is an SGP.22 CI: add --sgp22", dir);
    rsp_eckey *ci = NULL, *k = NULL;
    rsp_err e = rsp_ec_load_pem(p_cikey, &ci);
    if (e || !rsp_ec_has_private(ci)) {
        rsp_ec_free(ci);
        return rsp_cli_usage_error("ci issue: no CI private key at %s (run rsp ci init --dir %s)", p_cikey, dir);
    }
    rsp_curve curve = rsp_ec_curve(ci);
    if (curve_s && rsp_curve_parse(curve_s, &curve) != RSP_OK) {
        rsp_ec_free(ci);
        return rsp_cli_usage_error("ci issue: unknown curve '%s'", curve_s);
    }
    char p_key[4096], p_pub[4096], p_gp[4096], p_crt[4096], p_ca[4096], p_info[4096], ci_id[128];
    rsp_ci_path(p_key, sizeof(p_key), out, "key.pem");
    rsp_ci_path(p_pub, sizeof(p_pub), out, "pub.pem");
    rsp_ci_path(p_gp, sizeof(p_gp), out, "gpcert");
    rsp_ci_path(p_crt, sizeof(p_crt), out, "tls.crt.pem");
    rsp_ci_path(p_ca, sizeof(p_ca), out, "ca.crt.pem");
    rsp_ci_path(p_info, sizeof(p_info), out, "info.json");
    long serial = 0;
    rsp_buf gp = RSP_BUF_INIT, ca = RSP_BUF_INIT;
    e = rsp_cli_mkdirs(out);
    e = e ? e : rsp_ci_next_serial(p_meta, &serial, ci_id, sizeof(ci_id));
    e = e ? e : rsp_ec_generate(curve, &k);
    e = e ? e : rsp_ec_save_private_pem(k, p_key);
    e = e ? e : rsp_ec_save_public_pem(k, p_pub);
    if (!e && role->gp_role >= 0) {
        char eff[9], exp[9];
        date_plus(0, eff);
        date_plus(days, exp);
        uint8_t sn[4] = {(uint8_t)(serial >> 24), (uint8_t)(serial >> 16), (uint8_t)(serial >> 8), (uint8_t)serial};
        size_t skip = 0;
        while (skip < 3 && sn[skip] == 0)
            skip++;
        rsp_gpcert_template t = {sn + skip, 4 - skip, ci_id, id, role->key_usage, eff, exp, role->gp_role, NULL, 0};
        e = rsp_gpcert_issue(&t, k, ci, &gp);
        e = e ? e : rsp_cli_write_file(p_gp, gp.data, gp.len, 0644);
    }
    static const char *const dns[] = {"localhost", NULL};
    static const char *const ips[] = {"127.0.0.1", NULL};
    rsp_x509_template xt = {id, role->org, serial, days, 0, dns, ips};
    e = e ? e : rsp_x509_issue(&xt, k, ci, p_cicrt, p_crt);
    e = e ? e : rsp_cli_read_file(p_cicrt, &ca);
    e = e ? e : rsp_cli_write_file(p_ca, ca.data, ca.len, 0644);
    json_t *info = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "role", role->name, "id", id, "curve",
                             rsp_curve_name(curve), "serial", (json_int_t)serial, "ci", ci_id, "key", p_key,
                             "tls_cert", p_crt, "ca_cert", p_ca);
    if (role->gp_role >= 0)
        json_object_set_new(info, "gpcert", json_string(p_gp));
    e = e ? e : rsp_ci_write_json(p_info, info);
    rsp_ec_free(ci);
    rsp_ec_free(k);
    rsp_buf_free(&gp);
    rsp_buf_free(&ca);
    if (e) {
        json_decref(info);
        return rsp_cli_fail("ci issue", e, NULL);
    }
    if (json) {
        rsp_cli_json_out(info);
        return RSP_EXIT_OK;
    }
    json_decref(info);
    printf("issued %s '%s' (serial %ld, %s) in %s\n", role->name, id, serial, rsp_curve_name(curve), out);
    printf("  private key     %s (mode 0600)\n", p_key);
    if (role->gp_role >= 0)
        printf("  GP certificate  %s (7F21, signed by CI '%s')\n", p_gp, ci_id);
    else
        printf("  GP certificate  none (the %s role has no card-facing certificate)\n", role->name);
    printf("  TLS certificate %s (CN=%s, O=%s, signed by the CI root)\n  CA certificate  %s\n", p_crt, id,
           role->org, p_ca);
    return RSP_EXIT_OK;
}

int rsp_cmd_ci(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"init", ci_init, "create the CI key pair, its self-signed GP root certificate and X.509 TLS root"},
        {"issue", ci_issue, "issue a role's key pair, GP certificate (eum, smdp, smsr) and TLS certificate"},
        {"verify", rsp_ci22_verify, "verify an SGP.22 certificate chain with its role checks (--sgp22)"},
        {"revoke", rsp_ci_revoke, "revoke a certificate by serial or file and publish the new CRL (ci.crl)"},
        {"crl", rsp_ci_crl, "print, check, refresh (--refresh) or export (--out) the CI's CRL"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp ci", sub, argc, argv);
}
