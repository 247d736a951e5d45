/* `rsp ci revoke` and `rsp ci crl`: the CI's revocation list (format: rsp/crl.h, docs/ENCODINGS.md).
 *
 * CI directory additions:
 *   revoked.json  {"next_crl_number": N, "revoked": [{"serial": "<hex>", "date": <unix s>,
 *                  "reason": "<RFC 5280 name>" | null, "subject": "<id>" | null}]}
 *                 the record: written (atomically) before the CRL that publishes it, so a crash
 *                 between the two loses nothing (`rsp ci crl --refresh` publishes it again).
 *   ci.crl        the published CRL, DER: copy it to each daemon's --crl path and into each fleet
 *                 folder as ci.crl (docs/OPERATING.md, "Revocation"). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ci22.h"
#include "ci_crl.h"
#include "cli.h"
#include "pki_files.h"
#include "rsp/crl.h"
#include "rsp/es9p.h"

#define CRL_DEFAULT_DAYS 30

typedef struct ci_paths {
    char key[4096], crt[4096], meta[4096], rec[4096], crl[4096];
} ci_paths;

static void paths_of(const char *dir, ci_paths *p)
{
    rsp_ci_path(p->key, sizeof(p->key), dir, "ci.key.pem");
    rsp_ci_path(p->crt, sizeof(p->crt), dir, "ci.crt.pem");
    rsp_ci_path(p->meta, sizeof(p->meta), dir, "ci.json");
    rsp_ci_path(p->rec, sizeof(p->rec), dir, "revoked.json");
    rsp_ci_path(p->crl, sizeof(p->crl), dir, "ci.crl");
}

/* The record, or an empty one when the CI has revoked nothing yet. */
static json_t *record_load(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return json_pack("{s:i, s:[]}", "next_crl_number", 1, "revoked");
    json_error_t jerr;
    json_t *r = json_load_file(path, 0, &jerr);
    if (!r || !json_is_array(json_object_get(r, "revoked")) ||
        json_integer_value(json_object_get(r, "next_crl_number")) < 1) {
        json_decref(r);
        return NULL;
    }
    return r;
}

static void date_str(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Issues ci.crl from the record (reserving its number in the record first). */
static rsp_err publish(const ci_paths *p, json_t *rec, int days, rsp_diag *diag)
{
    json_t *list = json_object_get(rec, "revoked");
    size_t n = json_array_size(list);
    rsp_crl_entry *en = n ? calloc(n, sizeof(*en)) : NULL;
    if (n && !en)
        return RSP_ERR_NOMEM;
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < n && !e; i++) {
        json_t *o = json_array_get(list, i);
        const char *hex = json_string_value(json_object_get(o, "serial"));
        const char *why = json_string_value(json_object_get(o, "reason"));
        en[i].date = (int64_t)json_integer_value(json_object_get(o, "date"));
        en[i].reason = RSP_CRL_REASON_NONE;
        if (!hex || strlen(hex) > 2 * RSP_CRL_SERIAL_MAX ||
            rsp_hex_decode_fixed(hex, en[i].serial, strlen(hex) / 2, NULL) != RSP_OK || !strlen(hex) ||
            (why && rsp_crl_reason_parse(why, &en[i].reason) != RSP_OK))
            e = rsp_diag_set(diag, RSP_ERR_FORMAT, "%s: entry %zu is malformed", p->rec, i);
        en[i].serial_len = hex ? strlen(hex) / 2 : 0;
    }
    rsp_eckey *ci = NULL;
    if (!e && (rsp_ec_load_pem(p->key, &ci) != RSP_OK || !rsp_ec_has_private(ci)))
        e = rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no CI private key at %s", p->key);
    json_int_t number = json_integer_value(json_object_get(rec, "next_crl_number"));
    if (!e) {
        json_object_set_new(rec, "next_crl_number", json_integer(number + 1));
        if ((e = rsp_ci_write_json(p->rec, rec)) != RSP_OK)
            rsp_diag_set(diag, e, "cannot write %s", p->rec);
    }
    rsp_buf der = RSP_BUF_INIT;
    int64_t now = (int64_t)time(NULL);
    rsp_crl_template t = {now, now + (int64_t)days * 86400, (uint64_t)number, en, n};
    if (!e && (e = rsp_crl_issue(&t, ci, p->crt, NULL, &der)) != RSP_OK)
        rsp_diag_set(diag, e, "cannot sign the CRL");
    if (!e && (e = rsp_cli_write_file(p->crl, der.data, der.len, 0644)) != RSP_OK)
        rsp_diag_set(diag, e, "cannot write %s", p->crl);
    rsp_buf_free(&der);
    rsp_ec_free(ci);
    free(en);
    return e;
}

/* --serial: decimal as `rsp ci issue` prints it, or 0x-prefixed hex. */
static rsp_err serial_parse(const char *s, uint8_t out[RSP_CRL_SERIAL_MAX], size_t *len)
{
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = RSP_OK;
    if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
        char tmp[2 * RSP_CRL_SERIAL_MAX + 2];
        size_t h = strlen(s + 2);
        if (!h || h > 2 * RSP_CRL_SERIAL_MAX)
            return RSP_ERR_RANGE;
        snprintf(tmp, sizeof(tmp), "%s%s", h % 2 ? "0" : "", s + 2);
        e = rsp_hex_decode(tmp, &b, NULL);
    } else {
        char *end = NULL;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*s || *end || *s == '-')
            return RSP_ERR_FORMAT;
        for (int i = 7; i >= 0; i--)
            if (!e)
                e = rsp_buf_append_byte(&b, (uint8_t)(v >> (8 * i)));
    }
    const uint8_t *p;
    if (!e) {
        *len = rsp_crl_serial_norm(b.data, b.len, &p);
        memcpy(out, p, *len);
    }
    rsp_buf_free(&b);
    return e;
}

static long long serial_value(const uint8_t *s, size_t len)
{
    if (len > 7)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < len; i++)
        v = (v << 8) | s[i];
    return v;
}

/* --cert: a 7F21 file or an issued folder; the certificate must verify under this CI and carry its id
 * (42), so a look-alike certificate of another CI cannot revoke one of ours by serial. */
static rsp_err serial_of_cert(const char *path, const char *ci_dir, const char *ci_id, uint8_t out[RSP_CRL_SERIAL_MAX], size_t *len,
                              char *subject, size_t sublen, rsp_diag *diag)
{
    rsp_pki_role r, ci;
    rsp_err e = rsp_pki_load_ci(ci_dir, &ci, diag);
    e = e ? e : rsp_pki_load_cert(path, -1, &ci, &r, diag);
    rsp_pki_role_free(&ci);
    if (e)
        return e;
    const uint8_t *p;
    size_t n = rsp_crl_serial_norm(r.gpcert.serial.p, r.gpcert.serial.len, &p);
    if (r.gpcert.ca_id.len != strlen(ci_id) || memcmp(r.gpcert.ca_id.p, ci_id, r.gpcert.ca_id.len))
        e = rsp_diag_set(diag, RSP_ERR_DENIED, "%s was issued by CI '%.*s', not '%s'", path, (int)r.gpcert.ca_id.len,
                         (const char *)r.gpcert.ca_id.p, ci_id);
    else if (!n || n > RSP_CRL_SERIAL_MAX)
        e = rsp_diag_set(diag, RSP_ERR_RANGE, "%s: serial of %zu bytes", path, n);
    if (!e) {
        memcpy(out, p, n);
        *len = n;
        snprintf(subject, sublen, "%s", r.id);
    }
    rsp_pki_role_free(&r);
    return e;
}

#define REVOKE_USAGE                                                                                         \
    "usage: rsp ci revoke --dir D (--serial N|0xHEX | --cert FILE|FOLDER) [--reason R] [--days N] [--json]\n"  \
    "  Records the serial in D/revoked.json, then signs and writes D/ci.crl (valid --days, default 30).\n"      \
    "  --cert: a 7F21 certificate or an issued folder; it must verify under this CI.\n"                        \
    "  R: key-compromise, ca-compromise, affiliation-changed, superseded, cessation, hold, unspecified.\n"     \
    "  Exit: 0 revoked (or already), 1 a certificate of another CI, 2 usage."
#define CRL_USAGE                                                                                            \
    "usage: rsp ci crl --dir D [--refresh [--days N]] [--in FILE] [--out FILE [--pem]] [--json]\n"             \
    "  Prints D/ci.crl (or --in FILE) and checks it against the CI: signature and freshness.\n"               \
    "  --refresh (or no D/ci.crl yet): re-signs it from D/revoked.json with new dates and a new number.\n"     \
    "  --out: exports the checked CRL, DER (or PEM with --pem).\n"                                             \
    "  Exit: 0 valid, 1 forged or stale, 2 unreadable or malformed."

static bool want_help(int argc, char **argv, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            puts(usage);
            return true;
        }
    return false;
}

int rsp_ci_revoke(int argc, char **argv)
{
    if (want_help(argc, argv, REVOKE_USAGE))
        return RSP_EXIT_OK;
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    const char *dir = NULL, *serial_s = NULL, *cert = NULL, *reason_s = "unspecified";
    int days = CRL_DEFAULT_DAYS;
    static const struct option opts[] = {{"dir", 1, 0, 'd'}, {"serial", 1, 0, 's'}, {"cert", 1, 0, 'c'},
                                         {"reason", 1, 0, 'r'}, {"days", 1, 0, 'y'}, {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': dir = optarg; break;
        case 's': serial_s = optarg; break;
        case 'c': cert = optarg; break;
        case 'r': reason_s = optarg; break;
        case 'y': days = atoi(optarg); break;
        default: return RSP_EXIT_USAGE;
        }
    }
    if (!dir || !serial_s == !cert || optind != argc)
        return rsp_cli_usage_error("%s", REVOKE_USAGE);
    int reason;
    if (rsp_crl_reason_parse(reason_s, &reason) != RSP_OK)
        return rsp_cli_usage_error("ci revoke: unknown reason '%s'", reason_s);
    if (days <= 0 || days > 3650)
        return rsp_cli_usage_error("ci revoke: --days must be 1..3650");
    if (rsp_ci22_is_sgp22_dir(dir))
        return rsp_cli_usage_error("ci revoke: %s is an SGP.22 CI (not supported yet)", dir);
    ci_paths p;
    paths_of(dir, &p);
    json_error_t jerr;
    json_t *meta = json_load_file(p.meta, 0, &jerr);
    const char *ci_id = json_string_value(json_object_get(meta, "id"));
    json_int_t next_serial = json_integer_value(json_object_get(meta, "next_serial"));
    if (!ci_id) {
        json_decref(meta);
        return rsp_cli_usage_error("ci revoke: %s is not a CI folder (run rsp ci init --dir %s)", dir, dir);
    }
    uint8_t serial[RSP_CRL_SERIAL_MAX];
    size_t slen = 0;
    char subject[128] = "";
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = cert ? serial_of_cert(cert, dir, ci_id, serial, &slen, subject, sizeof(subject), &d)
                     : serial_parse(serial_s, serial, &slen);
    json_decref(meta);
    if (e)
        return cert ? rsp_cli_fail("ci revoke", e, &d) : rsp_cli_usage_error("ci revoke: bad --serial '%s'", serial_s);
    long long sv = serial_value(serial, slen);
    if (sv == 1)
        return rsp_cli_usage_error("ci revoke: serial 1 is the CI's own root certificate");
    if (sv == 0 || sv < 0 || sv >= next_serial)
        return rsp_cli_usage_error("ci revoke: this CI never issued serial %s (its serials run 2..%lld)", serial_s ? serial_s : "?",
                                   (long long)next_serial - 1);
    json_t *rec = record_load(p.rec);
    if (!rec)
        return rsp_cli_usage_error("ci revoke: %s is malformed", p.rec);
    char hex[2 * RSP_CRL_SERIAL_MAX + 1];
    rsp_hex_encode(serial, slen, hex, sizeof(hex));
    json_t *list = json_object_get(rec, "revoked"), *it;
    size_t i;
    bool again = false;
    json_array_foreach(list, i, it) {
        const char *have = json_string_value(json_object_get(it, "serial"));
        again |= have && strcmp(have, hex) == 0;
    }
    int64_t now = (int64_t)time(NULL);
    if (!again)
        json_array_append_new(list, json_pack("{s:s, s:I, s:s, s:s?}", "serial", hex, "date", (json_int_t)now,
                                              "reason", rsp_crl_reason_name(reason), "subject",
                                              subject[0] ? subject : NULL));
    json_int_t number = json_integer_value(json_object_get(rec, "next_crl_number"));
    e = publish(&p, rec, days, &d);
    size_t count = json_array_size(list);
    json_decref(rec);
    if (e)
        return rsp_cli_fail("ci revoke", e, &d);
    char until[32];
    date_str(now + (int64_t)days * 86400, until);
    if (json) {
        rsp_cli_json_out(json_pack("{s:I, s:s, s:s, s:b, s:s, s:I, s:I, s:s}", "serial", (json_int_t)sv, "serial_hex",
                                   hex, "reason", rsp_crl_reason_name(reason), "already_revoked", again, "crl", p.crl,
                                   "crl_number", number, "entries", (json_int_t)count, "next_update", until));
        return RSP_EXIT_OK;
    }
    printf("%s serial %lld%s%s (%s)\n", again ? "already revoked:" : "revoked", sv, subject[0] ? " " : "", subject,
           rsp_crl_reason_name(reason));
    printf("  CRL #%lld with %zu entr%s written to %s, next update %s\n", (long long)number, count,
           count == 1 ? "y" : "ies", p.crl, until);
    printf("  publish it: copy %s to each daemon's --crl path and into each fleet folder as ci.crl\n", p.crl);
    return RSP_EXIT_OK;
}

static json_t *crl_json(const rsp_crl *c, const char *status, const char *detail)
{
    char a[32], b[32];
    date_str(rsp_crl_this_update(c), a);
    date_str(rsp_crl_next_update(c), b);
    json_t *list = json_array();
    for (size_t i = 0; i < rsp_crl_count(c); i++) {
        const rsp_crl_entry *en = rsp_crl_entry_at(c, i);
        char hex[2 * RSP_CRL_SERIAL_MAX + 1], d[32];
        rsp_hex_encode(en->serial, en->serial_len, hex, sizeof(hex));
        date_str(en->date, d);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s?}", "serial", hex, "date", d, "reason",
                                              rsp_crl_reason_name(en->reason)));
    }
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s?, s:o}", "issuer", rsp_crl_issuer(c), "number",
                     (json_int_t)rsp_crl_number(c), "this_update", a, "next_update", b, "status", status, "detail",
                     detail, "revoked", list);
}

int rsp_ci_crl(int argc, char **argv)
{
    if (want_help(argc, argv, CRL_USAGE))
        return RSP_EXIT_OK;
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    bool refresh = rsp_cli_take_flag(&argc, argv, "--refresh");
    bool pem = rsp_cli_take_flag(&argc, argv, "--pem");
    const char *dir = NULL, *in = NULL, *out = NULL;
    int days = CRL_DEFAULT_DAYS;
    static const struct option opts[] = {{"dir", 1, 0, 'd'}, {"in", 1, 0, 'i'}, {"out", 1, 0, 'o'},
                                         {"days", 1, 0, 'y'}, {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd': dir = optarg; break;
        case 'i': in = optarg; break;
        case 'o': out = optarg; break;
        case 'y': days = atoi(optarg); break;
        default: return RSP_EXIT_USAGE;
        }
    }
    if (!dir || optind != argc || (in && refresh))
        return rsp_cli_usage_error("%s", CRL_USAGE);
    if (days <= 0 || days > 3650)
        return rsp_cli_usage_error("ci crl: --days must be 1..3650");
    ci_paths p;
    paths_of(dir, &p);
    rsp_diag d;
    rsp_diag_clear(&d);
    struct stat st;
    if (!in && (refresh || stat(p.crl, &st) != 0)) {
        json_t *rec = record_load(p.rec);
        if (!rec)
            return rsp_cli_usage_error("ci crl: %s is malformed", p.rec);
        rsp_err e = publish(&p, rec, days, &d);
        json_decref(rec);
        if (e)
            return rsp_cli_fail("ci crl", e, &d);
    }
    rsp_pki_role ci;
    rsp_err e = rsp_pki_load_ci(dir, &ci, &d);
    if (e)
        return rsp_cli_fail("ci crl", e, &d);
    rsp_buf der = RSP_BUF_INIT;
    rsp_crl *c = NULL;
    const char *src = in ? in : p.crl;
    e = rsp_cli_read_file(src, &der);
    if (e)
        rsp_diag_set(&d, e, "cannot read %s", src);
    e = e ? e : rsp_crl_parse(der.data, der.len, &c, &d);
    if (e) {
        rsp_pki_role_free(&ci);
        rsp_buf_free(&der);
        return rsp_cli_fail("ci crl", e, &d);
    }
    rsp_diag v;
    rsp_diag_clear(&v);
    rsp_err ve = rsp_crl_verify(c, ci.key, (int64_t)time(NULL), &v);
    const char *status = !ve ? "valid" : ve == RSP_ERR_VERIFY ? "forged" : "stale";
    if (!ve && out) {
        rsp_buf o2 = RSP_BUF_INIT;
        if (pem) {
            const char *h = "-----BEGIN X509 CRL-----\n", *t = "-----END X509 CRL-----\n";
            rsp_buf b64 = RSP_BUF_INIT;
            rsp_buf_append(&o2, h, strlen(h));
            rsp_es9p_b64_encode(der.data, der.len, &b64);
            for (size_t i = 0; i < b64.len; i += 64) { /* RFC 7468: lines of 64 characters */
                rsp_buf_append(&o2, b64.data + i, b64.len - i < 64 ? b64.len - i : 64);
                rsp_buf_append_byte(&o2, '\n');
            }
            rsp_buf_free(&b64);
            rsp_buf_append(&o2, t, strlen(t));
        } else {
            rsp_buf_append(&o2, der.data, der.len);
        }
        e = rsp_cli_write_file(out, o2.data, o2.len, 0644);
        rsp_buf_free(&o2);
        if (e)
            rsp_diag_set(&d, e, "cannot write %s", out);
    }
    if (json) {
        json_t *j = crl_json(c, status, ve ? v.msg : NULL);
        if (out && !e && !ve)
            json_object_set_new(j, "out", json_string(out));
        rsp_cli_json_out(j);
    } else {
        char a[32], b[32];
        date_str(rsp_crl_this_update(c), a);
        date_str(rsp_crl_next_update(c), b);
        printf("CRL #%llu of %s (%s)\n  %s\n  this update %s, next update %s\n  %zu revoked\n",
               (unsigned long long)rsp_crl_number(c), rsp_crl_issuer(c), src, ve ? v.msg : "valid: signed by the CI, fresh",
               a, b, rsp_crl_count(c));
        for (size_t i = 0; i < rsp_crl_count(c); i++) {
            const rsp_crl_entry *en = rsp_crl_entry_at(c, i);
            char hex[2 * RSP_CRL_SERIAL_MAX + 1];
            rsp_hex_encode(en->serial, en->serial_len, hex, sizeof(hex));
            date_str(en->date, a);
            long long sv = serial_value(en->serial, en->serial_len);
            printf("    serial %s (%lld)  since %s  %s\n", hex, sv, a,
                   rsp_crl_reason_name(en->reason) ? rsp_crl_reason_name(en->reason) : "-");
        }
        if (out && !e && !ve)
            printf("  exported to %s (%s)\n", out, pem ? "PEM" : "DER");
    }
    rsp_crl_free(c);
    rsp_buf_free(&der);
    rsp_pki_role_free(&ci);
    if (e)
        return rsp_cli_fail("ci crl", e, &d);
    return ve ? RSP_EXIT_FAIL : RSP_EXIT_OK;
}
