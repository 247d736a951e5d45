/* `rsp eum`: the eUICC manufacturer. `make` builds a fleet of cards for the simulator (lib/euicc)
 * with their ECASD keys and certificates, ISD-R key sets and a personalised provisioning profile,
 * and writes each card's signed EIS (ES1.RegisterEIS, SOAP and JSON); `verify` checks such EIS files.
 * docs/OPERATING.md "Making a fleet"; encodings in docs/ENCODINGS.md "EUM manufacturing". */
#define _GNU_SOURCE /* syncfs: one flush of the EIS folder instead of two fsyncs per card */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "eum_eis.h"
#include "eum_int.h"
#include "rsp/ids.h"

#define EUM_MAX_COUNT 10000000L
#define EUM_GROUP 500

typedef struct make_opts {
    const char *ci, *eum, *profile, *smsr_id, *out, *keys_out, *smsr_cert, *transport_key;
    const char *eid_start, *iccid_start, *imsi_start, *msisdn_start;
    const char *mno_id, *smsr_msisdn, *smsr_host, *smsr_uri;
    long count, memory, smsr_port;
    bool json;
} make_opts;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static bool all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static rsp_err card_ids(const make_opts *o, const char *eid_body, const char *iccid_body, uint64_t i,
                        rsp_eum_ids *ids)
{
    return rsp_eum_ids_at(eid_body, iccid_body, o->imsi_start, o->msisdn_start, i, ids);
}

static void ctx_free(rsp_eum_ctx *x)
{
    rsp_pki_role_free(&x->ci);
    rsp_pki_role_free(&x->eum);
    rsp_saip_package_free(&x->pkg);
    rsp_buf_free(&x->pkg_der);
    rsp_eum_wrap_free(x->wrap);
}

/* How the ISD-R keys travel in the EIS: to the SM-SR's certificate, or under a transport key, given
 * (shared with the SM-SR) or fresh (written to FLEET/transport.key, mode 0600, once the fleet exists:
 * see write_transport_key). Checked before the fleet is created. */
static int setup_wrap(const make_opts *o, rsp_eum_ctx *x, rsp_pki_role *smsr, uint8_t tk[RSP_EUM_TK_LEN])
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = RSP_OK;
    if (o->smsr_cert) {
        if ((e = rsp_pki_load_cert(o->smsr_cert, RSP_GPCERT_ROLE_SMSR, &x->ci, smsr, &d)) != RSP_OK)
            return rsp_cli_fail("eum make: --smsr-cert", e, &d);
        x->wrap_name = "ecies-x963-sha256-aes128kw";
        e = rsp_eum_wrap_for_smsr(smsr->key, &x->wrap);
    } else {
        rsp_buf b = RSP_BUF_INIT;
        if (o->transport_key) {
            e = rsp_cli_load_bytes(o->transport_key, &b, &d);
            if (e || b.len != RSP_EUM_TK_LEN) {
                rsp_buf_free_secret(&b);
                return rsp_cli_usage_error("eum make: --transport-key must be a file or hex of 16 bytes (AES-128)");
            }
            memcpy(tk, b.data, RSP_EUM_TK_LEN);
            rsp_buf_free_secret(&b);
        } else {
            e = rsp_random(tk, RSP_EUM_TK_LEN);
        }
        x->wrap_name = "aes128kw-transport-key";
        e = e ? e : rsp_eum_wrap_for_transport(tk, &x->wrap);
    }
    return e ? rsp_cli_fail("eum make", e, NULL) : -1;
}

static rsp_err write_transport_key(const char *path, const uint8_t tk[RSP_EUM_TK_LEN])
{
    char hex[2 * RSP_EUM_TK_LEN + 2];
    rsp_err e = rsp_hex_encode_upper(tk, RSP_EUM_TK_LEN, hex, sizeof(hex) - 1);
    if (!e) {
        hex[2 * RSP_EUM_TK_LEN] = '\n';
        e = rsp_cli_write_file(path, hex, 2 * RSP_EUM_TK_LEN + 1, 0600);
    }
    rsp_wipe(hex, sizeof(hex));
    return e;
}

/* Loads the PKI and the package; returns -1 when all is well, else the exit code. */
static int setup_ctx(const make_opts *o, rsp_eum_ctx *x)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_pki_load_ci(o->ci, &x->ci, &d);
    if (e)
        return rsp_cli_fail("eum make: --ci", e, &d);
    if ((e = rsp_pki_load_issued(o->eum, RSP_GPCERT_ROLE_EUM, &x->ci, &x->eum, &d)) != RSP_OK)
        return rsp_cli_fail("eum make: --eum", e, &d);
    if (x->ci.gpcert.point.len != sizeof(x->pk_ci))
        return rsp_cli_usage_error("eum make: the CI certificate has no uncompressed public key");
    memcpy(x->pk_ci, x->ci.gpcert.point.p, sizeof(x->pk_ci));
    if (x->eum.gpcert.expiry.len != 4)
        return rsp_cli_usage_error("eum make: the EUM certificate has no 4-byte expiry date");
    rsp_hex_encode(x->eum.gpcert.expiry.p, 4, x->expiry, sizeof(x->expiry));
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(x->today, sizeof(x->today), "%Y%m%d", &tm);
    rsp_es_datetime_now(x->production_date);
    if ((e = rsp_cli_read_file(o->profile, &x->pkg_der)) != RSP_OK)
        return rsp_cli_usage_error("eum make: cannot read --profile %s", o->profile);
    if ((e = rsp_saip_parse(x->pkg_der.data, x->pkg_der.len, 0, &x->pkg, &d)) != RSP_OK)
        return rsp_cli_fail("eum make: --profile is not a valid profile package", e, &d);
    return -1;
}

static const char make_usage[] =
    "usage: rsp eum make --ci DIR --eum DIR --count N --profile PKG.der --smsr-id ID --out FLEET\n"
    "         [--keys-out FILE] [--smsr-cert CERT | --transport-key FILE|HEX] [--eid-start DIGITS]\n"
    "         [--iccid-start ICCID] [--imsi-start DIGITS] [--msisdn-start DIGITS] [--mno-id ID]\n"
    "         [--memory BYTES] [--smsr-msisdn DIGITS] [--smsr-host H] [--smsr-port P] [--smsr-uri U] [--json]\n"
    "  makes N cards in FLEET (card database) and their signed EIS in FLEET/eis/<EID>.xml|.json;\n"
    "  --keys-out gets the clear ISD-R keys (mode 0600); see docs/OPERATING.md \"Making a fleet\"";

static int parse_make(int argc, char **argv, make_opts *o)
{
    memset(o, 0, sizeof(*o));
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        puts(make_usage);
        return RSP_EXIT_OK;
    }
    o->json = rsp_cli_take_flag(&argc, argv, "--json");
    o->eid_start = "890490320000000000000000000001";
    o->imsi_start = "001010000000001";
    o->msisdn_start = "447700900001";
    o->mno_id = "MNO1";
    o->memory = 1048576;
    o->smsr_msisdn = "447700900000";
    o->smsr_host = "127.0.0.1";
    o->smsr_port = 8481;
    o->smsr_uri = "/gsma/adminagent";
    static const struct option opts[] = {
        {"ci", 1, 0, 'c'},           {"eum", 1, 0, 'e'},          {"count", 1, 0, 'n'},
        {"profile", 1, 0, 'p'},      {"smsr-id", 1, 0, 's'},      {"out", 1, 0, 'o'},
        {"msisdn-start", 1, 0, 'm'}, {"iccid-start", 1, 0, 'i'},  {"keys-out", 1, 0, 'k'},
        {"eid-start", 1, 0, 'E'},    {"imsi-start", 1, 0, 'I'},   {"smsr-cert", 1, 0, 'C'},
        {"transport-key", 1, 0, 'T'}, {"mno-id", 1, 0, 'M'},      {"memory", 1, 0, 'y'},
        {"smsr-msisdn", 1, 0, 'a'},  {"smsr-host", 1, 0, 'h'},    {"smsr-port", 1, 0, 'P'},
        {"smsr-uri", 1, 0, 'u'},     {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    char *end;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o->ci = optarg; break;
        case 'e': o->eum = optarg; break;
        case 'n':
            o->count = strtol(optarg, &end, 10);
            if (*end || o->count < 1 || o->count > EUM_MAX_COUNT)
                return rsp_cli_usage_error("eum make: --count must be 1..%ld, not '%s'", EUM_MAX_COUNT, optarg);
            break;
        case 'p': o->profile = optarg; break;
        case 's': o->smsr_id = optarg; break;
        case 'o': o->out = optarg; break;
        case 'm': o->msisdn_start = optarg; break;
        case 'i': o->iccid_start = optarg; break;
        case 'k': o->keys_out = optarg; break;
        case 'E': o->eid_start = optarg; break;
        case 'I': o->imsi_start = optarg; break;
        case 'C': o->smsr_cert = optarg; break;
        case 'T': o->transport_key = optarg; break;
        case 'M': o->mno_id = optarg; break;
        case 'y':
            o->memory = strtol(optarg, &end, 10);
            if (*end || o->memory < 1024)
                return rsp_cli_usage_error("eum make: --memory must be a byte count >= 1024, not '%s'", optarg);
            break;
        case 'a': o->smsr_msisdn = optarg; break;
        case 'h': o->smsr_host = optarg; break;
        case 'P':
            o->smsr_port = strtol(optarg, &end, 10);
            if (*end || o->smsr_port < 1 || o->smsr_port > 65535)
                return rsp_cli_usage_error("eum make: --smsr-port must be 1..65535, not '%s'", optarg);
            break;
        case 'u': o->smsr_uri = optarg; break;
        case '?':
        default:
            return rsp_cli_usage_error("eum make: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc)
        return rsp_cli_usage_error("eum make: unexpected argument '%s'", argv[optind]);
    if (!o->ci || !o->eum || !o->count || !o->profile || !o->smsr_id || !o->out)
        return rsp_cli_usage_error("%s", make_usage);
    if (o->smsr_cert && o->transport_key)
        return rsp_cli_usage_error("eum make: give --smsr-cert or --transport-key, not both");
    return -1;
}

/* Checks the identifier starts and that the last card's identifiers still fit; fills the bodies the
 * check digits are computed over. Returns -1 when fine. */
static int check_ids(const make_opts *o, const rsp_eum_ctx *x, char eid_body[31], char iccid_body[20])
{
    size_t n = strlen(o->eid_start);
    if (n == 32 && rsp_eid_check(o->eid_start, NULL) != RSP_OK)
        return rsp_cli_usage_error("eum make: --eid-start '%s' is not a valid EID (check digits)", o->eid_start);
    if ((n != 30 && n != 32) || !all_digits(o->eid_start, n, n))
        return rsp_cli_usage_error("eum make: --eid-start must be 30 digits (or a 32-digit EID), not '%s'",
                                   o->eid_start);
    memcpy(eid_body, o->eid_start, 30);
    eid_body[30] = '\0';
    const char *iccid = o->iccid_start ? o->iccid_start : x->pkg.header.iccid;
    if (rsp_iccid_check(iccid) != RSP_OK)
        return rsp_cli_usage_error("eum make: %s '%s' is not an ICCID (18..20 digits, Luhn check digit last)",
                                   o->iccid_start ? "--iccid-start" : "the package's ICCID", iccid);
    n = strlen(iccid);
    memcpy(iccid_body, iccid, n - 1);
    iccid_body[n - 1] = '\0';
    if (!all_digits(o->imsi_start, 6, 15))
        return rsp_cli_usage_error("eum make: --imsi-start must be 6..15 digits, not '%s'", o->imsi_start);
    if (!all_digits(o->msisdn_start, 3, 15))
        return rsp_cli_usage_error("eum make: --msisdn-start must be 3..15 digits, not '%s'", o->msisdn_start);
    if (!all_digits(o->smsr_msisdn, 3, 15))
        return rsp_cli_usage_error("eum make: --smsr-msisdn must be 3..15 digits, not '%s'", o->smsr_msisdn);
    if (strlen(o->smsr_host) >= sizeof(x->smsr_host) || strlen(o->smsr_uri) >= sizeof(x->smsr_uri) ||
        !*o->smsr_host || o->smsr_uri[0] != '/')
        return rsp_cli_usage_error("eum make: --smsr-host must be 1..255 characters and --smsr-uri a path from '/'");
    if (!*o->smsr_id || !*o->mno_id)
        return rsp_cli_usage_error("eum make: --smsr-id and --mno-id must not be empty");
    rsp_eum_ids last;
    if (card_ids(o, eid_body, iccid_body, (uint64_t)o->count - 1, &last) != RSP_OK)
        return rsp_cli_usage_error("eum make: %ld cards do not fit after the given EID, ICCID, IMSI or MSISDN start",
                                   o->count);
    return -1;
}

static void progress(long done, long count, double t0, double *last)
{
    double t = now_s();
    if (t - *last < 2.0 && done < count)
        return;
    if (done == count && *last == t0)
        return; /* a short run prints only its summary */
    *last = t;
    fprintf(stderr, "eum make: %ld/%ld cards (%.0f cards/s)\n", done, count, done / (t - t0 > 0 ? t - t0 : 1e-9));
}

static int eum_make(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--sgp22"))
            return rsp_eum_make_sgp22(argc, argv);
    make_opts o;
    int rc = parse_make(argc, argv, &o);
    if (rc >= 0)
        return rc;
    rsp_eum_ctx x;
    memset(&x, 0, sizeof(x));
    rsp_pki_role smsr;
    memset(&smsr, 0, sizeof(smsr));
    char eid_body[31], iccid_body[20], tk_path[4200], eis_dir[4200];
    uint8_t tk[RSP_EUM_TK_LEN];
    rsp_euicc_fleet *f = NULL;
    rsp_buf keys = RSP_BUF_INIT, xml = RSP_BUF_INIT, json = RSP_BUF_INIT, scratch = RSP_BUF_INIT;
    rsp_eum_ids ids, first;
    memset(&ids, 0, sizeof(ids));
    memset(&first, 0, sizeof(first));
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = RSP_OK;
    long i = 0;
    double t0 = now_s(), last = t0;
    x.smsr_id = o.smsr_id;
    x.mno_id = o.mno_id;
    x.platform_type = "OpenRSP eUICC simulator";
    x.platform_version = "1.0";
    x.memory = o.memory;
    x.smsr_port = (uint16_t)o.smsr_port;
    snprintf(x.smsr_msisdn, sizeof(x.smsr_msisdn), "%s", o.smsr_msisdn);
    snprintf(x.smsr_host, sizeof(x.smsr_host), "%s", o.smsr_host);
    snprintf(x.smsr_uri, sizeof(x.smsr_uri), "%s", o.smsr_uri);
    tk_path[0] = '\0';
    if ((rc = setup_ctx(&o, &x)) >= 0 || (rc = check_ids(&o, &x, eid_body, iccid_body)) >= 0 ||
        (rc = setup_wrap(&o, &x, &smsr, tk)) >= 0)
        goto done;
    if ((int64_t)x.pkg_der.len > x.memory) {
        rc = rsp_cli_usage_error("eum make: the profile (%zu bytes) does not fit --memory %ld", x.pkg_der.len,
                                 o.memory);
        goto done;
    }
    if ((e = rsp_euicc_fleet_create(o.out, &d, &f)) != RSP_OK) {
        rc = rsp_cli_fail("eum make: cannot create the fleet", e, &d);
        goto done;
    }
    snprintf(eis_dir, sizeof(eis_dir), "%s/eis", o.out);
    if (!o.smsr_cert && !o.transport_key) {
        snprintf(tk_path, sizeof(tk_path), "%s/transport.key", o.out);
        if ((e = write_transport_key(tk_path, tk)) != RSP_OK) {
            rc = rsp_cli_fail("eum make: cannot write the transport key", e, NULL);
            goto done;
        }
    }
    if (rsp_cli_mkdirs(eis_dir) != RSP_OK) {
        rc = rsp_cli_usage_error("eum make: cannot create %s", eis_dir);
        goto done;
    }
    /* Reserved once: the clear keys must not be left behind in buffers a realloc gave back. */
    if (o.keys_out && (e = rsp_buf_reserve(&keys, (size_t)o.count * 400)) != RSP_OK) {
        rc = rsp_cli_fail("eum make", e, NULL);
        goto done;
    }
    /* Cards are committed in groups: one database sync per group instead of one per card. */
    for (i = 0; i < o.count && !e; i++) {
        if (i % EUM_GROUP == 0 && (e = rsp_euicc_fleet_begin(f)) != RSP_OK)
            break;
        rsp_es_msg msg;
        memset(&msg, 0, sizeof(msg));
        size_t mark = keys.len;
        e = card_ids(&o, eid_body, iccid_body, (uint64_t)i, &ids);
        e = e ? e : rsp_eum_card_make(&x, &ids, f, &msg, &keys, &d);
        e = e ? e : rsp_eum_eis_write_dsig(&msg, eis_dir, x.eum.key, &xml, &json, &scratch, &d);
        rsp_es_msg_free(&msg);
        if (!o.keys_out) {
            rsp_wipe(keys.data + mark, keys.len - mark);
            keys.len = mark;
        }
        if (i == 0)
            first = ids;
        if ((i % EUM_GROUP == EUM_GROUP - 1 || i == o.count - 1)) {
            rsp_err ce = rsp_euicc_fleet_commit(f);
            e = e ? e : ce;
        }
        progress(i + 1, o.count, t0, &last);
    }
    if (e) {
        char what[96];
        snprintf(what, sizeof(what), "eum make: card %ld (EID %s)", i, ids.eid);
        rc = rsp_cli_fail(what, e, &d);
        goto done;
    }
    if (o.keys_out && (e = rsp_cli_write_file(o.keys_out, keys.data, keys.len, 0600)) != RSP_OK) {
        rc = rsp_cli_fail("eum make: cannot write --keys-out", e, NULL);
        goto done;
    }
    int dfd = open(eis_dir, O_RDONLY);
    if (dfd < 0 || syncfs(dfd) != 0) {
        if (dfd >= 0)
            close(dfd);
        rc = rsp_cli_fail("eum make: cannot flush the EIS files", RSP_ERR_IO, NULL);
        goto done;
    }
    close(dfd);
    double secs = now_s() - t0;
    double rate = (double)o.count / (secs > 0 ? secs : 1e-9);
    if (o.json) {
        json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:s}", "cards", (json_int_t)o.count,
                              "fleet", o.out, "eis_dir", eis_dir, "first_eid", first.eid, "last_eid", ids.eid,
                              "eum", x.eum.id, "seconds", secs, "cards_per_second", rate, "key_wrapping",
                              x.wrap_name);
        json_object_set_new(j, "keys_out", o.keys_out ? json_string(o.keys_out) : json_null());
        json_object_set_new(j, "transport_key", tk_path[0] ? json_string(tk_path) : json_null());
        rsp_cli_json_out(j);
    } else {
        printf("made %ld cards in %s (%.2f s, %.0f cards/s)\n", o.count, o.out, secs, rate);
        printf("  EIDs            %s .. %s\n", first.eid, ids.eid);
        printf("  signed EIS      %s/<EID>.xml and .json (EUM '%s', keys wrapped: %s)\n", eis_dir, x.eum.id,
               x.wrap_name);
        if (tk_path[0])
            printf("  transport key   %s (mode 0600: give it to the SM-SR with the EIS)\n", tk_path);
        if (o.keys_out)
            printf("  clear keys      %s (mode 0600)\n", o.keys_out);
    }
    rc = RSP_EXIT_OK;
done:
    rsp_wipe(tk, sizeof(tk));
    if (f)
        rsp_euicc_fleet_close(f);
    rsp_buf_free_secret(&keys);
    rsp_buf_free(&xml);
    rsp_buf_free(&json);
    rsp_buf_free(&scratch);
    rsp_pki_role_free(&smsr);
    ctx_free(&x);
    return rc;
}

int rsp_cmd_eum(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"make", eum_make, "make a fleet of cards for the simulator and their signed EIS"},
        {"verify", rsp_eum_cmd_verify, "verify EIS files: EUM signature, certificate chain, wrapped keys"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp eum", sub, argc, argv);
}
