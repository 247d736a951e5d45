/* `rsp cert show|verify`: GlobalPlatform 7F21 certificates. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rsp/gpcert.h"

static json_t *cert_json(const rsp_gpcert *c)
{
    char eff[11], exp[11];
    rsp_gpcert_date_str(c->effective, eff);
    rsp_gpcert_date_str(c->expiry, exp);
    json_t *o = json_object();
    json_object_set_new(o, "serial", rsp_cli_json_hex(c->serial.p, c->serial.len));
    json_object_set_new(o, "ca_id", json_stringn((const char *)c->ca_id.p, c->ca_id.len));
    json_object_set_new(o, "ca_id_hex", rsp_cli_json_hex(c->ca_id.p, c->ca_id.len));
    json_object_set_new(o, "subject", json_stringn((const char *)c->subject.p, c->subject.len));
    json_object_set_new(o, "subject_hex", rsp_cli_json_hex(c->subject.p, c->subject.len));
    json_object_set_new(o, "key_usage", rsp_cli_json_hex(c->key_usage.p, c->key_usage.len));
    json_object_set_new(o, "effective", c->effective.len ? json_string(eff) : json_null());
    json_object_set_new(o, "expiry", json_string(exp));
    json_object_set_new(o, "role", c->role >= 0 ? json_integer(c->role) : json_null());
    json_object_set_new(o, "curve_ref", c->curve_ref >= 0 ? json_integer(c->curve_ref) : json_null());
    json_object_set_new(o, "public_key", rsp_cli_json_hex(c->point.p, c->point.len));
    json_object_set_new(o, "signature", rsp_cli_json_hex(c->signature.p, c->signature.len));
    json_object_set_new(o, "length", json_integer((json_int_t)c->raw.len));
    return o;
}

static int load_cert(const char *arg, rsp_buf *buf, rsp_gpcert *c)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_cli_load_bytes(arg, buf, &d);
    if (!e)
        e = rsp_gpcert_decode(buf->data, buf->len, c, &d);
    if (e) {
        rsp_cli_fail("cert", e, &d);
        return RSP_EXIT_USAGE;
    }
    return RSP_EXIT_OK;
}

static int cert_show(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    if (argc != 2)
        return rsp_cli_usage_error("usage: rsp cert show CERT [--json]");
    rsp_buf buf = RSP_BUF_INIT;
    rsp_gpcert c;
    int rc = load_cert(argv[1], &buf, &c);
    if (rc == RSP_EXIT_OK) {
        if (json) {
            rsp_cli_json_out(cert_json(&c));
        } else {
            rsp_buf txt = RSP_BUF_INIT;
            if (rsp_gpcert_print(&c, &txt) == RSP_OK)
                printf("GP certificate (7F21, %zu bytes)\n%.*s", c.raw.len, (int)txt.len, (const char *)txt.data);
            rsp_buf_free(&txt);
        }
    }
    rsp_buf_free(&buf);
    return rc;
}

/* The issuer key: a PEM file, a 7F21 certificate, or an uncompressed point (hex or binary file). */
static int load_issuer_key(const char *arg, bool is_cert, rsp_curve curve, rsp_eckey **out)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    if (!is_cert && rsp_ec_load_pem(arg, out) == RSP_OK)
        return RSP_EXIT_OK;
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_cli_load_bytes(arg, &b, &d);
    if (!e && is_cert) {
        rsp_gpcert ic;
        e = rsp_gpcert_decode(b.data, b.len, &ic, &d);
        e = e ? e : rsp_gpcert_public_key(&ic, curve, out);
    } else if (!e) {
        e = rsp_ec_from_public(curve, b.data, b.len, out);
        if (e)
            rsp_diag_set(&d, e, "issuer key is neither a PEM key nor a valid 65-byte %s point", rsp_curve_name(curve));
    }
    rsp_buf_free(&b);
    if (e) {
        /* A bad issuer input is malformed input (2), never "signature invalid" (1). */
        rsp_cli_fail(is_cert ? "cert verify: issuer certificate" : "cert verify: issuer key", e, &d);
        return RSP_EXIT_USAGE;
    }
    return RSP_EXIT_OK;
}

static int cert_verify(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    const char *issuer = NULL, *issuer_key = NULL, *curve_s = "p256";
    static const struct option opts[] = {{"issuer", 1, 0, 'i'}, {"issuer-key", 1, 0, 'k'}, {"curve", 1, 0, 'c'},
                                         {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'i': issuer = optarg; break;
        case 'k': issuer_key = optarg; break;
        case 'c': curve_s = optarg; break;
        default: return RSP_EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || (!issuer == !issuer_key))
        return rsp_cli_usage_error("usage: rsp cert verify CERT (--issuer ISSUER_CERT | --issuer-key PUBKEY) "
                                   "[--curve p256|brainpoolp256r1] [--json]");
    rsp_curve curve;
    if (rsp_curve_parse(curve_s, &curve) != RSP_OK)
        return rsp_cli_usage_error("cert verify: unknown curve '%s'", curve_s);
    rsp_buf buf = RSP_BUF_INIT;
    rsp_gpcert c;
    rsp_eckey *k = NULL;
    int rc = load_cert(argv[optind], &buf, &c);
    if (rc == RSP_EXIT_OK)
        rc = load_issuer_key(issuer ? issuer : issuer_key, issuer != NULL, curve, &k);
    if (rc == RSP_EXIT_OK) {
        rsp_err e = rsp_gpcert_verify(&c, k);
        rc = e == RSP_OK ? RSP_EXIT_OK : RSP_EXIT_FAIL;
        if (json)
            rsp_cli_json_out(json_pack("{s:b, s:s#}", "valid", e == RSP_OK, "subject", (const char *)c.subject.p,
                                       c.subject.len));
        else
            printf("signature %s\n", e == RSP_OK ? "valid" : "invalid");
    }
    rsp_ec_free(k);
    rsp_buf_free(&buf);
    return rc;
}

int rsp_cmd_cert(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"show", cert_show, "print the fields of a 7F21 certificate"},
        {"verify", cert_verify, "check a certificate's signature: exit 0 valid, 1 invalid"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp cert", sub, argc, argv);
}
