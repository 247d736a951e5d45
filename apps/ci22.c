/* `rsp ci init|issue|verify --sgp22`: the SGP.22 PKI (CI, EUM, SM-DP+ and SM-DS roles) over
 * lib/crypto/pki22.c. Layout of the folders in ci22.h; profiles and choices in docs/ENCODINGS.md
 * §"SGP.22 PKI". The eUICC certificates are made by `rsp eum make --sgp22`. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ci22.h"
#include "cli.h"
#include "rsp/pki22.h"

#define CI22_MAX_LIST 8

bool rsp_ci22_is_sgp22_dir(const char *dir)
{
    char p[4096];
    rsp_ci_path(p, sizeof(p), dir, "ci.json");
    json_error_t jerr;
    json_t *m = json_load_file(p, 0, &jerr);
    bool yes = m && json_is_true(json_object_get(m, "sgp22"));
    json_decref(m);
    return yes;
}

rsp_err rsp_ci22_load_cert(const char *path, rsp_buf *out)
{
    rsp_buf raw = RSP_BUF_INIT;
    rsp_err e = rsp_cli_read_file(path, &raw);
    if (!e && raw.len > 10 && !memcmp(raw.data, "-----BEGIN", 10))
        e = rsp_pki22_pem_to_der(raw.data, raw.len, out);
    else if (!e)
        e = rsp_buf_append(out, raw.data, raw.len);
    rsp_buf_free(&raw);
    return e;
}

/* Writes a certificate as cert.der and cert.pem (or the given base names). */
static rsp_err write_cert(const char *dir, const char *base, const rsp_buf *der)
{
    char p[4096];
    rsp_buf pem = RSP_BUF_INIT;
    snprintf(p, sizeof(p), "%s/%s.der", dir, base);
    rsp_err e = rsp_cli_write_file(p, der->data, der->len, 0644);
    e = e ? e : rsp_pki22_der_to_pem(der->data, der->len, &pem);
    snprintf(p, sizeof(p), "%s/%s.pem", dir, base);
    e = e ? e : rsp_cli_write_file(p, pem.data, pem.len, 0644);
    rsp_buf_free(&pem);
    return e;
}

static rsp_err parse_curve(const char *s, rsp_curve *out)
{
    if (!strcmp(s, "nist")) {
        *out = RSP_CURVE_P256;
        return RSP_OK;
    }
    if (!strcmp(s, "brainpool")) {
        *out = RSP_CURVE_BP256R1;
        return RSP_OK;
    }
    return rsp_curve_parse(s, out);
}

static json_t *hex_of(const uint8_t *p, size_t n)
{
    return rsp_cli_json_hex(p, n);
}

static const char init_usage[] =
    "usage: rsp ci init --sgp22 --dir D [--curve nist|brainpool] [--id NAME] [--org O] [--days N] [--force] [--json]";

int rsp_ci22_init(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    rsp_cli_take_flag(&argc, argv, "--sgp22");
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        puts(init_usage);
        return RSP_EXIT_OK;
    }
    const char *dir = NULL, *id = "OpenRSP SGP.22 CI", *org = "OpenRSP", *curve_s = "nist";
    int force = 0, days = 12775;
    static const struct option opts[] = {{"dir", 1, 0, 'd'},  {"id", 1, 0, 'i'},    {"curve", 1, 0, 'c'},
                                         {"days", 1, 0, 'y'}, {"force", 0, 0, 'f'}, {"org", 1, 0, 'o'},
                                         {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': dir = optarg; break;
        case 'i': id = optarg; break;
        case 'c': curve_s = optarg; break;
        case 'y': days = atoi(optarg); break;
        case 'f': force = 1; break;
        case 'o': org = optarg; break;
        default: return rsp_cli_usage_error("%s", init_usage);
        }
    }
    if (!dir || optind != argc)
        return rsp_cli_usage_error("%s", init_usage);
    rsp_curve curve;
    if (parse_curve(curve_s, &curve) != RSP_OK)
        return rsp_cli_usage_error("ci init: unknown curve '%s' (nist or brainpool)", curve_s);
    if (days <= 0)
        return rsp_cli_usage_error("ci init: --days must be positive");
    char p_key[4096], p_pub[4096], p_meta[4096];
    rsp_ci_path(p_key, sizeof(p_key), dir, "ci.key.pem");
    rsp_ci_path(p_pub, sizeof(p_pub), dir, "ci.pub.pem");
    rsp_ci_path(p_meta, sizeof(p_meta), dir, "ci.json");
    struct stat st;
    if (stat(p_key, &st) == 0 && !force)
        return rsp_cli_usage_error("ci init: %s already exists (use --force to replace the CI)", p_key);
    if (rsp_cli_mkdirs(dir) != RSP_OK)
        return rsp_cli_usage_error("ci init: cannot create %s", dir);
    rsp_eckey *k = NULL;
    rsp_buf der = RSP_BUF_INIT;
    rsp_diag d;
    rsp_diag_clear(&d);
    time_t now = time(NULL);
    static const uint8_t serial[] = {0x01};
    rsp_pki22_template t = {.role = RSP_PKI22_CI, .common_name = id, .organisation = org, .serial = serial,
                            .serial_len = 1, .not_before = now - 3600, .not_after = now + (time_t)days * 86400};
    rsp_err e = rsp_ec_generate(curve, &k);
    e = e ? e : rsp_pki22_issue(&t, k, k, NULL, 0, &der, &d);
    e = e ? e : rsp_ec_save_private_pem(k, p_key);
    e = e ? e : rsp_ec_save_public_pem(k, p_pub);
    e = e ? e : write_cert(dir, "ci.crt", &der);
    rsp_pki22_info info;
    e = e ? e : rsp_pki22_inspect(der.data, der.len, &info, &d);
    json_t *meta = NULL;
    if (!e) {
        meta = json_pack("{s:s, s:s, s:i, s:b, s:o}", "id", id, "curve", rsp_curve_name(curve), "next_serial", 2,
                         "sgp22", 1, "ski", hex_of(info.ski, info.ski_len));
        e = rsp_ci_write_json(p_meta, meta);
    }
    rsp_ec_free(k);
    rsp_buf_free(&der);
    if (e) {
        json_decref(meta);
        return rsp_cli_fail("ci init --sgp22", e, &d);
    }
    if (json) {
        json_object_set_new(meta, "dir", json_string(dir));
        json_object_del(meta, "next_serial");
        rsp_cli_json_out(meta);
    } else {
        json_decref(meta);
        char ski[41];
        for (size_t i = 0; i < info.ski_len; i++)
            snprintf(ski + 2 * i, 3, "%02X", info.ski[i]);
        printf("created SGP.22 CI '%s' (%s) in %s\n  private key   %s (mode 0600)\n"
               "  root cert     %s/ci.crt.der, ci.crt.pem (policy 2.23.146.1.2.1.0, %d days)\n"
               "  SKI (PKId)    %s\n",
               id, rsp_curve_name(curve), dir, p_key, dir, days, ski);
    }
    return RSP_EXIT_OK;
}

typedef struct issue_opts {
    const char *dir, *role_s, *id, *out, *org, *oid, *crl;
    const char *dns[CI22_MAX_LIST + 1], *prefixes[CI22_MAX_LIST + 1];
    size_t n_dns, n_prefixes;
    int days;
    bool json;
} issue_opts;

static const char issue_usage[] =
    "usage: rsp ci issue --sgp22 --dir D --role eum|dpauth|dppb|dptls|dsauth|dstls --id NAME --out D2\n"
    "         [--org O] [--oid OID] [--dns NAME]... [--eid-prefix DIGITS]... [--crl URL] [--days N] [--json]";

static int issue_args(int argc, char **argv, issue_opts *o)
{
    static const struct option opts[] = {
        {"dir", 1, 0, 'd'}, {"role", 1, 0, 'r'}, {"id", 1, 0, 'i'},  {"out", 1, 0, 'o'},        {"org", 1, 0, 'g'},
        {"oid", 1, 0, 'x'}, {"dns", 1, 0, 'n'},  {"days", 1, 0, 'y'}, {"eid-prefix", 1, 0, 'p'}, {"crl", 1, 0, 'c'},
        {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'r': o->role_s = optarg; break;
        case 'i': o->id = optarg; break;
        case 'o': o->out = optarg; break;
        case 'g': o->org = optarg; break;
        case 'x': o->oid = optarg; break;
        case 'c': o->crl = optarg; break;
        case 'y': o->days = atoi(optarg); break;
        case 'n':
            if (o->n_dns == CI22_MAX_LIST)
                return rsp_cli_usage_error("ci issue: at most %d --dns", CI22_MAX_LIST);
            o->dns[o->n_dns++] = optarg;
            break;
        case 'p':
            if (o->n_prefixes == CI22_MAX_LIST)
                return rsp_cli_usage_error("ci issue: at most %d --eid-prefix", CI22_MAX_LIST);
            o->prefixes[o->n_prefixes++] = optarg;
            break;
        default: return rsp_cli_usage_error("%s", issue_usage);
        }
    }
    if (!o->dir || !o->role_s || !o->id || !o->out || optind != argc)
        return rsp_cli_usage_error("%s", issue_usage);
    return RSP_EXIT_OK;
}

int rsp_ci22_issue(int argc, char **argv)
{
    issue_opts o = {.days = 0};
    o.json = rsp_cli_take_flag(&argc, argv, "--json");
    rsp_cli_take_flag(&argc, argv, "--sgp22");
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        puts(issue_usage);
        return RSP_EXIT_OK;
    }
    int rc = issue_args(argc, argv, &o);
    if (rc)
        return rc;
    rsp_pki22_role role;
    if (rsp_pki22_role_parse(o.role_s, &role) != RSP_OK || role == RSP_PKI22_CI || role == RSP_PKI22_EUICC)
        return rsp_cli_usage_error("ci issue: role '%s' is not one of eum, dpauth, dppb, dptls, dsauth, dstls%s", o.role_s,
                                   role == RSP_PKI22_EUICC ? " (eUICC certificates come from rsp eum make --sgp22)" : "");
    bool tls = rsp_pki22_role_is_tls(role);
    if (o.days == 0)
        o.days = tls ? 398 : role == RSP_PKI22_EUM ? 7300 : 1825;
    if (o.days < 0 || strlen(o.id) > 64)
        return rsp_cli_usage_error("ci issue: --id must be 1..64 characters and --days positive");
    if (role == RSP_PKI22_EUM && o.n_prefixes == 0)
        return rsp_cli_usage_error("ci issue: an EUM needs --eid-prefix (its permitted EID range, e.g. 89049032)");
    if (role != RSP_PKI22_EUM && o.n_prefixes)
        return rsp_cli_usage_error("ci issue: --eid-prefix is for the eum role");
    if (!tls && o.n_dns)
        return rsp_cli_usage_error("ci issue: --dns is for the dptls and dstls roles");
    if (tls && o.n_dns == 0)
        o.dns[o.n_dns++] = "localhost";
    /* The server OID in the SAN RID: SGP.26's test SM-DP+ uses 2.999.10; our SM-DS default is 2.999.20. */
    if (!o.oid && role != RSP_PKI22_EUM)
        o.oid = role == RSP_PKI22_DSAUTH || role == RSP_PKI22_DSTLS ? "2.999.20" : "2.999.10";
    if (!rsp_ci22_is_sgp22_dir(o.dir))
        return rsp_cli_usage_error("ci issue --sgp22: %s is not an SGP.22 CI (rsp ci init --sgp22 --dir %s)", o.dir, o.dir);
    char p_cikey[4096], p_cicrt[4096], p_meta[4096], ci_id[128];
    rsp_ci_path(p_cikey, sizeof(p_cikey), o.dir, "ci.key.pem");
    rsp_ci_path(p_cicrt, sizeof(p_cicrt), o.dir, "ci.crt.der");
    rsp_ci_path(p_meta, sizeof(p_meta), o.dir, "ci.json");
    rsp_eckey *ci = NULL, *k = NULL;
    rsp_buf cider = RSP_BUF_INIT, der = RSP_BUF_INIT;
    rsp_err e = rsp_ec_load_pem(p_cikey, &ci);
    if (e || !rsp_ec_has_private(ci) || rsp_cli_read_file(p_cicrt, &cider) != RSP_OK) {
        rsp_ec_free(ci);
        rsp_buf_free(&cider);
        return rsp_cli_usage_error("ci issue: no SGP.22 CI key and certificate in %s", o.dir);
    }
    rsp_curve curve = tls ? RSP_CURVE_P256 : rsp_ec_curve(ci);
    long serial = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    e = rsp_cli_mkdirs(o.out);
    e = e ? e : rsp_ci_next_serial(p_meta, &serial, ci_id, sizeof(ci_id));
    e = e ? e : rsp_ec_generate(curve, &k);
    uint8_t sn[4] = {(uint8_t)(serial >> 24), (uint8_t)(serial >> 16), (uint8_t)(serial >> 8), (uint8_t)serial};
    size_t skip = 0;
    while (skip < 3 && sn[skip] == 0)
        skip++;
    time_t now = time(NULL);
    rsp_pki22_template t = {.role = role, .common_name = o.id, .organisation = o.org ? o.org : o.id,
                            .serial = sn + skip, .serial_len = 4 - skip, .not_before = now - 3600,
                            .not_after = now + (time_t)o.days * 86400, .eid_prefixes = o.prefixes,
                            .rid = o.oid, .dns = o.dns, .crl_url = o.crl};
    e = e ? e : rsp_pki22_issue(&t, k, ci, cider.data, cider.len, &der, &d);
    char p_key[4096], p_pub[4096], p_info[4096];
    rsp_ci_path(p_key, sizeof(p_key), o.out, "key.pem");
    rsp_ci_path(p_pub, sizeof(p_pub), o.out, "pub.pem");
    rsp_ci_path(p_info, sizeof(p_info), o.out, "info.json");
    e = e ? e : rsp_ec_save_private_pem(k, p_key);
    e = e ? e : rsp_ec_save_public_pem(k, p_pub);
    e = e ? e : write_cert(o.out, "cert", &der);
    e = e ? e : write_cert(o.out, "ci.crt", &cider);
    rsp_pki22_info info;
    e = e ? e : rsp_pki22_inspect(der.data, der.len, &info, &d);
    json_t *out = NULL;
    if (!e) {
        out = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b, s:o, s:o, s:s, s:s}", "role", o.role_s, "id", o.id, "curve",
                        rsp_curve_name(curve), "serial", (json_int_t)serial, "ci", ci_id, "sgp22", 1, "ski",
                        hex_of(info.ski, info.ski_len), "aki", hex_of(info.aki, info.aki_len), "key", p_key, "cert",
                        "cert.der");
        if (o.oid)
            json_object_set_new(out, "oid", json_string(o.oid));
        json_t *arr = json_array();
        for (size_t i = 0; i < o.n_prefixes; i++)
            json_array_append_new(arr, json_string(o.prefixes[i]));
        for (size_t i = 0; i < o.n_dns; i++)
            json_array_append_new(arr, json_string(o.dns[i]));
        json_object_set_new(out, role == RSP_PKI22_EUM ? "eid_prefixes" : "dns", arr);
        if (!tls && role != RSP_PKI22_EUM)
            json_object_del(out, "dns");
        e = rsp_ci_write_json(p_info, out);
    }
    rsp_ec_free(ci);
    rsp_ec_free(k);
    rsp_buf_free(&cider);
    rsp_buf_free(&der);
    if (e) {
        json_decref(out);
        return rsp_cli_fail("ci issue --sgp22", e, &d);
    }
    if (o.json) {
        rsp_cli_json_out(out);
        return RSP_EXIT_OK;
    }
    json_decref(out);
    printf("issued SGP.22 %s '%s' (serial %ld, %s) in %s\n  private key   %s (mode 0600)\n"
           "  certificate   %s/cert.der, cert.pem (policy 2.23.146.1.2.1.%d, signed by CI '%s')\n",
           o.role_s, o.id, serial, rsp_curve_name(curve), o.out, p_key, o.out, (int)role, ci_id);
    return RSP_EXIT_OK;
}

static const char verify_usage[] =
    "usage: rsp ci verify --sgp22 --role ROLE --ci CERT|DIR [--ci ...] [--eum CERT] [--at UNIXTIME] [--json] CERT";

int rsp_ci22_verify(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    rsp_cli_take_flag(&argc, argv, "--sgp22");
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        puts(verify_usage);
        return RSP_EXIT_OK;
    }
    const char *role_s = NULL, *eum_p = NULL, *cis_p[CI22_MAX_LIST];
    size_t n_ci = 0;
    long long at = 0;
    static const struct option opts[] = {
        {"role", 1, 0, 'r'}, {"ci", 1, 0, 'c'}, {"eum", 1, 0, 'e'}, {"at", 1, 0, 't'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r': role_s = optarg; break;
        case 'e': eum_p = optarg; break;
        case 't': at = atoll(optarg); break;
        case 'c':
            if (n_ci == CI22_MAX_LIST)
                return rsp_cli_usage_error("ci verify: at most %d --ci", CI22_MAX_LIST);
            cis_p[n_ci++] = optarg;
            break;
        default: return rsp_cli_usage_error("%s", verify_usage);
        }
    }
    rsp_pki22_role role;
    if (!role_s || n_ci == 0 || optind != argc - 1 || rsp_pki22_role_parse(role_s, &role) != RSP_OK || at < 0)
        return rsp_cli_usage_error("%s", verify_usage);
    rsp_buf leaf = RSP_BUF_INIT, eum = RSP_BUF_INIT, cib[CI22_MAX_LIST];
    rsp_bytes cis[CI22_MAX_LIST];
    rsp_err e = rsp_ci22_load_cert(argv[optind], &leaf);
    if (!e && eum_p)
        e = rsp_ci22_load_cert(eum_p, &eum);
    for (size_t i = 0; i < n_ci; i++) {
        rsp_buf_init(&cib[i]);
        struct stat st;
        char p[4096];
        /* A CI folder of rsp ci init --sgp22, or a certificate file. */
        if (stat(cis_p[i], &st) == 0 && S_ISDIR(st.st_mode))
            rsp_ci_path(p, sizeof(p), cis_p[i], "ci.crt.der");
        else
            snprintf(p, sizeof(p), "%s", cis_p[i]);
        if (!e)
            e = rsp_ci22_load_cert(p, &cib[i]);
        cis[i] = rsp_buf_view(&cib[i]);
    }
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_pki22_info info;
    rsp_pki22_fault fault = RSP_PKI22_BAD_CERT;
    size_t k = 0;
    if (e)
        rsp_diag_set(&d, e, "cannot read a certificate file");
    else
        e = rsp_pki22_verify(leaf.data, leaf.len, role, eum_p ? eum.data : NULL, eum.len, cis, n_ci, (time_t)at, &info,
                             &k, &fault, &d);
    if (e == RSP_OK || e == RSP_ERR_VERIFY) {
        if (json) {
            json_t *o = json_pack("{s:b, s:s, s:s}", "ok", e == RSP_OK, "role", role_s, "fault",
                                  rsp_pki22_fault_name(fault));
            if (!e) {
                json_object_set_new(o, "ci", json_string(cis_p[k]));
                json_object_set_new(o, "curve", json_string(rsp_curve_name(info.curve)));
                json_object_set_new(o, "ski", hex_of(info.ski, info.ski_len));
                json_object_set_new(o, "aki", hex_of(info.aki, info.aki_len));
                if (info.eid[0])
                    json_object_set_new(o, "eid", json_string(info.eid));
                if (info.rid[0])
                    json_object_set_new(o, "oid", json_string(info.rid));
            } else {
                json_object_set_new(o, "reason", json_string(d.msg));
            }
            rsp_cli_json_out(o);
        } else if (!e) {
            printf("ok: %s certificate (%s) chains to %s%s%s\n", role_s, rsp_curve_name(info.curve), cis_p[k],
                   info.eid[0] ? ", EID " : "", info.eid);
        } else {
            fprintf(stderr, "rsp: ci verify: refused (%s): %s\n", rsp_pki22_fault_name(fault), d.msg);
        }
    }
    rsp_buf_free(&leaf);
    rsp_buf_free(&eum);
    for (size_t i = 0; i < n_ci; i++)
        rsp_buf_free(&cib[i]);
    if (e == RSP_OK)
        return RSP_EXIT_OK;
    return e == RSP_ERR_VERIFY ? RSP_EXIT_FAIL : rsp_cli_fail("ci verify --sgp22", e, &d);
}
