/* `rsp saip`: inspect, check, personalise and segment profile packages (include/rsp/saip.h). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rsp/ids.h"
#include "rsp/saip.h"

/* Loads and parses FILE; on failure prints the fault and returns the exit code to use. */
static int load_package(const char *what, const char *path, unsigned flags, int parse_fail_rc, rsp_buf *bytes,
                        rsp_saip_package *pkg)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_cli_read_file(path, bytes);
    if (e) {
        fprintf(stderr, "rsp: saip %s: cannot read '%s': %s\n", what, path, rsp_err_msg(e));
        return RSP_EXIT_USAGE;
    }
    e = rsp_saip_parse(bytes->data, bytes->len, flags, pkg, &d);
    if (e) {
        char msg[320];
        fprintf(stderr, "rsp: saip %s: %s: %s\n", what, path, rsp_diag_str(&d, e, msg, sizeof(msg)));
        rsp_buf_free(bytes);
        return parse_fail_rc;
    }
    return RSP_EXIT_OK;
}

static void tag_hex(uint32_t tag, char out[8])
{
    snprintf(out, 8, tag > 0xFF ? "%04X" : "%02X", (unsigned)tag);
}

static json_t *header_json(const rsp_saip_header *h)
{
    json_t *svc = json_array(), *gf = json_array();
    for (unsigned i = 0; i < RSP_SAIP_SERVICE_MAX; i++) {
        if (!(h->services >> i & 1))
            continue;
        const char *n = rsp_saip_service_name(i);
        char tmp[24];
        snprintf(tmp, sizeof(tmp), "service-%u", i);
        json_array_append_new(svc, json_string(n ? n : tmp));
    }
    for (size_t i = 0; i < h->n_gfste; i++) {
        char oid[160];
        if (rsp_saip_oid_str(h->gfste[i], oid, sizeof(oid)) == RSP_OK)
            json_array_append_new(gf, json_string(oid));
    }
    json_t *o = json_pack("{s:i, s:i, s:s, s:o, s:o}", "major_version", (int)h->major, "minor_version",
                          (int)h->minor, "iccid", h->iccid, "mandatory_services", svc, "mandatory_gfste", gf);
    if (h->has_profile_type)
        json_object_set_new(o, "profile_type", json_string(h->profile_type));
    if (h->has_pol)
        json_object_set_new(o, "pol", rsp_cli_json_hex(h->pol.p, h->pol.len));
    json_object_set_new(o, "connectivity_parameters", json_boolean(h->has_connectivity));
    json_object_set_new(o, "mandatory_aids", json_boolean(h->has_aids));
    json_object_set_new(o, "iot_options", json_boolean(h->has_iot_options));
    return o;
}

static void header_print(const rsp_saip_header *h)
{
    printf("header: version %u.%u, profileType \"%s\"\n", h->major, h->minor,
           h->has_profile_type ? h->profile_type : "");
    printf("  iccid %s\n", h->iccid);
    if (h->has_pol) {
        char *x = rsp_hex_dup(h->pol.p, h->pol.len);
        printf("  pol (POL1) %s\n", x ? x : "?");
        free(x);
    }
    printf("  eUICC-Mandatory-services:");
    for (unsigned i = 0; i < RSP_SAIP_SERVICE_MAX; i++)
        if (h->services >> i & 1) {
            const char *n = rsp_saip_service_name(i);
            if (n)
                printf(" %s", n);
            else
                printf(" service-%u", i);
        }
    printf("\n  eUICC-Mandatory-GFSTEList:");
    for (size_t i = 0; i < h->n_gfste; i++) {
        char oid[160];
        if (rsp_saip_oid_str(h->gfste[i], oid, sizeof(oid)) == RSP_OK)
            printf(" %s", oid);
    }
    printf("\n");
}

static int saip_dump(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    if (argc != 2)
        return rsp_cli_usage_error("usage: rsp saip dump FILE [--json]");
    rsp_buf bytes = RSP_BUF_INIT;
    rsp_saip_package pkg;
    int rc = load_package("dump", argv[1], RSP_SAIP_ALLOW_UNKNOWN, RSP_EXIT_USAGE, &bytes, &pkg);
    if (rc)
        return rc;
    if (json) {
        json_t *els = json_array();
        for (size_t i = 0; i < pkg.n_pes; i++) {
            const rsp_saip_pe *pe = &pkg.pes[i];
            char t[8];
            tag_hex(pe->tag, t);
            json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I}", "index", (json_int_t)i, "tag", t, "name",
                                  pe->name, "offset", (json_int_t)pe->offset, "length", (json_int_t)pe->raw.len,
                                  "value_length", (json_int_t)pe->value.len);
            if (pe->has_id) {
                json_object_set_new(o, "identification", json_integer(pe->identification));
                json_object_set_new(o, "mandated", json_boolean(pe->mandated));
            }
            json_array_append_new(els, o);
        }
        rsp_cli_json_out(json_pack("{s:s, s:I, s:I, s:o, s:o}", "file", argv[1], "size", (json_int_t)bytes.len,
                                   "element_count", (json_int_t)pkg.n_pes, "header", header_json(&pkg.header),
                                   "elements", els));
    } else {
        printf("%s: %zu bytes, %zu elements\n", argv[1], bytes.len, pkg.n_pes);
        header_print(&pkg.header);
        printf("%5s %8s %-5s %-22s %6s %-8s %7s\n", "index", "offset", "tag", "name", "id", "mandated", "length");
        for (size_t i = 0; i < pkg.n_pes; i++) {
            const rsp_saip_pe *pe = &pkg.pes[i];
            char t[8], id[8] = "-";
            tag_hex(pe->tag, t);
            if (pe->has_id)
                snprintf(id, sizeof(id), "%u", pe->identification);
            printf("%5zu %8zu %-5s %-22s %6s %-8s %7zu\n", i, pe->offset, t, pe->name, id,
                   pe->has_id ? (pe->mandated ? "yes" : "no") : "-", pe->raw.len);
        }
    }
    rsp_saip_package_free(&pkg);
    rsp_buf_free(&bytes);
    return RSP_EXIT_OK;
}

static int saip_check(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    if (argc != 2)
        return rsp_cli_usage_error("usage: rsp saip check FILE [--json]");
    rsp_buf bytes = RSP_BUF_INIT, out = RSP_BUF_INIT;
    rsp_saip_package pkg;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_cli_read_file(argv[1], &bytes);
    if (e) {
        fprintf(stderr, "rsp: saip check: cannot read '%s': %s\n", argv[1], rsp_err_msg(e));
        return RSP_EXIT_USAGE;
    }
    e = rsp_saip_parse(bytes.data, bytes.len, 0, &pkg, &d);
    bool same = false;
    if (!e) {
        e = rsp_saip_encode(&pkg, &out);
        same = !e && rsp_bytes_eq(rsp_buf_view(&out), rsp_buf_view(&bytes));
        if (!e && !same) {
            size_t k = 0;
            while (k < out.len && k < bytes.len && out.data[k] == bytes.data[k])
                k++;
            e = rsp_diag_set_at(&d, RSP_ERR_INTERNAL, k, "re-encoding differs from the input");
        }
    }
    char msg[320];
    if (json) {
        json_t *o = json_pack("{s:s, s:b, s:I}", "file", argv[1], "ok", e == RSP_OK, "size", (json_int_t)bytes.len);
        if (e) {
            json_object_set_new(o, "error", json_string(rsp_err_name(e)));
            json_object_set_new(o, "message", json_string(d.msg));
            if (d.has_offset)
                json_object_set_new(o, "offset", json_integer((json_int_t)d.offset));
        } else {
            json_object_set_new(o, "element_count", json_integer((json_int_t)pkg.n_pes));
            json_object_set_new(o, "round_trip", json_boolean(same));
        }
        rsp_cli_json_out(o);
    } else if (e) {
        fprintf(stderr, "rsp: saip check: %s: %s\n", argv[1], rsp_diag_str(&d, e, msg, sizeof(msg)));
    } else {
        printf("%s: ok, %zu elements, %zu bytes, re-encodes byte for byte\n", argv[1], pkg.n_pes, bytes.len);
    }
    rsp_saip_package_free(&pkg);
    rsp_buf_free(&out);
    rsp_buf_free(&bytes);
    return e ? RSP_EXIT_FAIL : RSP_EXIT_OK;
}

/* Takes "--name VALUE" out of argv; returns VALUE or NULL. *missing is set when the value is absent. */
static const char *take_opt(int *argc, char **argv, const char *name, bool *missing)
{
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], name))
            continue;
        if (i + 1 >= *argc) {
            *missing = true;
            return NULL;
        }
        const char *v = argv[i + 1];
        memmove(argv + i, argv + i + 2, sizeof(char *) * (size_t)(*argc - i - 1));
        *argc -= 2;
        return v;
    }
    return NULL;
}

static int key_arg(const char *name, const char *hex, rsp_buf *out)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    if (rsp_hex_decode(hex, out, &d) != RSP_OK || (out->len != 16 && out->len != 32))
        return rsp_cli_usage_error("saip personalize: %s must be 16 or 32 bytes of hex", name);
    return RSP_EXIT_OK;
}

static int saip_personalize(int argc, char **argv)
{
    bool missing = false;
    const char *iccid = take_opt(&argc, argv, "--iccid", &missing);
    const char *imsi = take_opt(&argc, argv, "--imsi", &missing);
    const char *ki_hex = take_opt(&argc, argv, "--ki", &missing);
    const char *opc_hex = take_opt(&argc, argv, "--opc", &missing);
    const char *out_path = take_opt(&argc, argv, "-o", &missing);
    if (argc != 2 || missing || !out_path || (!iccid && !imsi && !ki_hex && !opc_hex))
        return rsp_cli_usage_error(
            "usage: rsp saip personalize FILE [--iccid DIGITS] [--imsi DIGITS] [--ki HEX] [--opc HEX] -o OUT");
    if (iccid) {
        rsp_err e = rsp_iccid_check(iccid);
        size_t n = strlen(iccid);
        if (e == RSP_ERR_CHECKSUM)
            return rsp_cli_usage_error("saip personalize: ICCID %s fails the Luhn check (last digit should be %d)",
                                       iccid, rsp_luhn_digit(iccid, n - 1));
        if (e)
            return rsp_cli_usage_error("saip personalize: ICCID '%s' is not 18 to 20 decimal digits", iccid);
    }
    uint8_t tmp[9];
    if (imsi && rsp_saip_imsi_encode(imsi, tmp) != RSP_OK)
        return rsp_cli_usage_error("saip personalize: IMSI '%s' is not 6 to 15 decimal digits", imsi);
    rsp_buf ki = RSP_BUF_INIT, opc = RSP_BUF_INIT, bytes = RSP_BUF_INIT, out = RSP_BUF_INIT;
    int rc = RSP_EXIT_OK;
    if (ki_hex)
        rc = key_arg("--ki", ki_hex, &ki);
    if (!rc && opc_hex)
        rc = key_arg("--opc", opc_hex, &opc);
    rsp_saip_package pkg;
    if (!rc)
        rc = load_package("personalize", argv[1], 0, RSP_EXIT_USAGE, &bytes, &pkg);
    if (rc) {
        rsp_buf_free_secret(&ki);
        rsp_buf_free_secret(&opc);
        return rc;
    }
    const rsp_saip_perso ps = {iccid, imsi, ki_hex ? ki.data : NULL, ki.len, opc_hex ? opc.data : NULL, opc.len};
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_saip_personalize(&pkg, &ps, &out, &d);
    if (!e)
        e = rsp_cli_write_file(out_path, out.data, out.len, 0600);
    if (e) {
        rc = rsp_cli_fail("saip personalize", e, &d);
    } else {
        printf("wrote %s (%zu bytes):", out_path, out.len);
        if (iccid)
            printf(" iccid %s", iccid);
        if (imsi)
            printf(" imsi %s", imsi);
        if (ki_hex || opc_hex)
            printf(" %s%s%s set", ki_hex ? "Ki" : "", ki_hex && opc_hex ? "/" : "", opc_hex ? "OPc" : "");
        printf("\n");
    }
    rsp_saip_package_free(&pkg);
    rsp_buf_free_secret(&out);
    rsp_buf_free_secret(&bytes);
    rsp_buf_free_secret(&ki);
    rsp_buf_free_secret(&opc);
    return rc;
}

static int saip_segment(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    bool bytes_only = rsp_cli_take_flag(&argc, argv, "--bytes");
    bool missing = false;
    const char *size = take_opt(&argc, argv, "--size", &missing);
    char *end = NULL;
    unsigned long max = size ? strtoul(size, &end, 10) : 1024;
    if (argc != 2 || missing || (size && (*end || !*size)))
        return rsp_cli_usage_error("usage: rsp saip segment FILE [--size BYTES] [--bytes] [--json]");
    if (max < RSP_SAIP_SEGMENT_MIN)
        return rsp_cli_usage_error("saip segment: --size must be at least %d", RSP_SAIP_SEGMENT_MIN);
    rsp_buf bytes = RSP_BUF_INIT;
    rsp_saip_package pkg;
    int rc = load_package("segment", argv[1], 0, RSP_EXIT_USAGE, &bytes, &pkg);
    if (rc)
        return rc;
    rsp_saip_segment *seg = NULL;
    size_t n = 0;
    rsp_err e = rsp_saip_segment_plan(&pkg, max, !bytes_only, &seg, &n);
    if (e) {
        rc = rsp_cli_fail("saip segment", e, NULL);
    } else if (json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_pack("{s:I, s:I, s:I, s:I, s:b}", "offset", (json_int_t)seg[i].offset,
                                               "length", (json_int_t)seg[i].len, "first_element",
                                               (json_int_t)seg[i].first_pe, "elements", (json_int_t)seg[i].n_pes,
                                               "element_aligned", seg[i].pe_aligned));
        rsp_cli_json_out(json_pack("{s:s, s:I, s:o}", "file", argv[1], "max", (json_int_t)max, "segments", a));
    } else {
        printf("%s: %zu segments of at most %lu bytes (%s)\n", argv[1], n, max,
               bytes_only ? "byte ranges" : "element boundaries where possible");
        for (size_t i = 0; i < n; i++) {
            printf("  %3zu offset %6zu length %5zu ", i, seg[i].offset, seg[i].len);
            if (seg[i].n_pes)
                printf("elements %zu..%zu%s\n", seg[i].first_pe, seg[i].first_pe + seg[i].n_pes - 1,
                       seg[i].pe_aligned ? "" : " (element cut at the segment end)");
            else
                printf("continues element %zu\n", seg[i].first_pe);
        }
    }
    free(seg);
    rsp_saip_package_free(&pkg);
    rsp_buf_free(&bytes);
    return rc;
}

int rsp_cmd_saip(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"dump", saip_dump, "print the header and one row per ProfileElement"},
        {"check", saip_check, "exit 0 if well-formed and re-encoding is byte-identical, 1 with the first fault"},
        {"personalize", saip_personalize, "write ICCID, IMSI, Ki/OPc into a copy of the package"},
        {"segment", saip_segment, "show how the package is cut into download segments"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp saip", sub, argc, argv);
}
