/* rsp ota: SCP80 secured packets by hand. encode wraps APDUs for a TAR; decode opens a command
 * packet, a PoR, SMS user data, an SMS TPDU or an ENVELOPE. Exit 1 when a checksum does not verify,
 * 2 for malformed input or usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rsp/rapdu.h"
#include "rsp/scp80.h"
#include "rsp/sms.h"

typedef struct ota_opts {
    rsp_buf kic, kid;
    rsp_scp80_hdr h;
    bool has_spi, json, sms, expanded, ref16;
    unsigned ref;
    const char *oa, *scts;
    const char *inputs[64];
    size_t n_inputs;
} ota_opts;

static void opts_free(ota_opts *o)
{
    rsp_buf_free_secret(&o->kic);
    rsp_buf_free_secret(&o->kid);
}

static int parse_cntr(const char *s, uint8_t out[5])
{
    if (strlen(s) == 10 && rsp_hex_decode_fixed(s, out, 5, NULL) == RSP_OK)
        return 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (!*s || *end || v > 0xFFFFFFFFFFull)
        return -1;
    out[0] = (uint8_t)(v >> 32);
    rsp_put_be32(out + 1, (uint32_t)v);
    return 0;
}

/* Returns -1 when argv is fine, else an exit code after printing the fault. */
static int parse_opts(int argc, char **argv, ota_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->oa = "12345678";
    o->scts = "22705200000000";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        rsp_diag d;
        rsp_diag_clear(&d);
#define NEEDV()                                                          \
    do {                                                                 \
        if (!v)                                                          \
            return rsp_cli_usage_error("ota: %s needs a value", a);      \
        i++;                                                             \
    } while (0)
        if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--sms")) {
            o->sms = true;
        } else if (!strcmp(a, "--ref16")) {
            o->ref16 = true;
        } else if (!strcmp(a, "--kic") || !strcmp(a, "--kid")) {
            NEEDV();
            if (rsp_hex_decode(v, a[4] == 'c' ? &o->kic : &o->kid, &d) != RSP_OK)
                return rsp_cli_usage_error("ota: %s is not hex", a); /* the key itself is not echoed */
        } else if (!strcmp(a, "--spi")) {
            NEEDV();
            if (rsp_hex_decode_fixed(v, o->h.spi, 2, &d) != RSP_OK)
                return rsp_cli_usage_error("ota: --spi '%s' is not 2 hex bytes", v);
            o->has_spi = true;
        } else if (!strcmp(a, "--kic-byte") || !strcmp(a, "--kid-byte")) {
            NEEDV();
            if (rsp_hex_decode_fixed(v, a[4] == 'c' ? &o->h.kic : &o->h.kid, 1, &d) != RSP_OK)
                return rsp_cli_usage_error("ota: %s '%s' is not 1 hex byte", a, v);
        } else if (!strcmp(a, "--tar")) {
            NEEDV();
            if (rsp_hex_decode_fixed(v, o->h.tar, 3, &d) != RSP_OK)
                return rsp_cli_usage_error("ota: --tar '%s' is not 3 hex bytes", v);
        } else if (!strcmp(a, "--cntr")) {
            NEEDV();
            if (parse_cntr(v, o->h.cntr))
                return rsp_cli_usage_error("ota: --cntr '%s' is not a 40-bit number or 10 hex digits", v);
        } else if (!strcmp(a, "--cc-len")) {
            NEEDV();
            o->h.cc_len = (uint8_t)atoi(v);
        } else if (!strcmp(a, "--pad80")) {
            o->h.pad80 = 1;
        } else if (!strcmp(a, "--format")) {
            NEEDV();
            if (strcmp(v, "compact") && strcmp(v, "expanded"))
                return rsp_cli_usage_error("ota: --format must be compact or expanded, not '%s'", v);
            o->expanded = !strcmp(v, "expanded");
        } else if (!strcmp(a, "--ref")) {
            NEEDV();
            o->ref = (unsigned)strtoul(v, NULL, 0);
        } else if (!strcmp(a, "--oa")) {
            NEEDV();
            o->oa = v;
        } else if (!strcmp(a, "--scts")) {
            NEEDV();
            o->scts = v;
        } else if (a[0] == '-' && a[1] == '-') {
            return rsp_cli_usage_error("ota: unknown option %s", a);
        } else {
            if (o->n_inputs == sizeof(o->inputs) / sizeof(o->inputs[0]))
                return rsp_cli_usage_error("ota: too many inputs");
            o->inputs[o->n_inputs++] = a;
        }
#undef NEEDV
    }
    return -1;
}

static char *hexs(const uint8_t *p, size_t n)
{
    char *s = rsp_hex_dup(p, n);
    return s ? s : strdup("");
}

static int ota_encode(int argc, char **argv)
{
    ota_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0) {
        opts_free(&o);
        return rc;
    }
    if (!o.n_inputs || !o.has_spi) {
        opts_free(&o);
        return rsp_cli_usage_error("usage: rsp ota encode --kic KEY --kid KEY --spi SPI --kic-byte B --kid-byte B "
                                   "--tar TAR --cntr N [--format compact|expanded] [--sms] [--json] APDU...");
    }
    rsp_buf apdus[64], script = RSP_BUF_INIT, tp = RSP_BUF_INIT;
    rsp_bytes views[64];
    memset(apdus, 0, sizeof(apdus));
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = RSP_OK;
    for (size_t i = 0; i < o.n_inputs && e == RSP_OK; i++) {
        e = rsp_cli_load_bytes(o.inputs[i], &apdus[i], &d);
        views[i] = rsp_buf_view(&apdus[i]);
    }
    if (e == RSP_OK)
        e = rsp_rapdu_script_build(o.expanded ? RSP_RAPDU_EXPANDED : RSP_RAPDU_COMPACT, views, o.n_inputs, &script);
    size_t cap = script.len + RSP_SCP80_OVERHEAD, n = 0;
    uint8_t *pkt = malloc(cap);
    rsp_scp80_keys k = {o.kic.len ? o.kic.data : NULL, o.kic.len, o.kid.len ? o.kid.data : NULL, o.kid.len};
    if (e == RSP_OK)
        e = pkt ? rsp_scp80_cmd_build(&k, &o.h, script.data, script.len, pkt, cap, &n, &d) : RSP_ERR_NOMEM;
    json_t *tpdus = json_array();
    if (e == RSP_OK && o.sms) {
        rsp_buf parts[255];
        memset(parts, 0, sizeof(parts));
        size_t np = 0;
        rsp_sms_tpdu t = {.type = RSP_SMS_DELIVER};
        e = rsp_sms_addr_set(&t.addr, 0x81, o.oa);
        if (e != RSP_OK)
            rsp_diag_set(&d, e, "--oa '%s' is not a phone number", o.oa);
        if (e == RSP_OK && (e = rsp_hex_decode_fixed(o.scts, t.scts, 7, &d)) != RSP_OK)
            rsp_diag_set(&d, e, "--scts must be 7 hex bytes");
        if (e == RSP_OK)
            e = rsp_sms_split(pkt, n, RSP_SMS_IEI_CMD_PKT, (uint16_t)o.ref, o.ref16, parts, 255, &np, &d);
        for (size_t i = 0; i < np && e == RSP_OK; i++) {
            rsp_buf_reset(&tp);
            t.ud = parts[i].data;
            t.ud_len = parts[i].len;
            if ((e = rsp_sms_tpdu_build(&t, &tp)) == RSP_OK) {
                char *s = hexs(tp.data, tp.len);
                json_array_append_new(tpdus, json_string(s));
                free(s);
            }
        }
        for (size_t i = 0; i < 255; i++)
            rsp_buf_free(&parts[i]);
    }
    if (e != RSP_OK) {
        rc = rsp_cli_fail("ota encode", e, &d);
    } else if (o.json) {
        rsp_cli_json_out(json_pack("{s:o, s:O}", "packet", rsp_cli_json_hex(pkt, n), "tpdus", tpdus));
    } else if (o.sms) {
        for (size_t i = 0; i < json_array_size(tpdus); i++)
            printf("%s\n", json_string_value(json_array_get(tpdus, i)));
    } else {
        char *s = hexs(pkt, n);
        printf("%s\n", s);
        free(s);
    }
    json_decref(tpdus);
    free(pkt);
    for (size_t i = 0; i < 64; i++)
        rsp_buf_free(&apdus[i]);
    rsp_buf_free(&script);
    rsp_buf_free(&tp);
    opts_free(&o);
    return e == RSP_OK ? RSP_EXIT_OK : rc;
}


static json_t *hex_or_null(const uint8_t *p, size_t n, bool present)
{
    return present ? rsp_cli_json_hex(p, n) : json_null();
}

/* The APDUs of a script, or null with apdus_error when they do not parse. */
static void add_apdus(json_t *o, const uint8_t *p, size_t n)
{
    rsp_rapdu_script *s = malloc(sizeof(*s));
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_rapdu_format f = rsp_rapdu_detect(p, n);
    if (s && rsp_rapdu_script_parse(f, p, n, s, &d) == RSP_OK) {
        json_t *a = json_array();
        for (size_t i = 0; i < s->n; i++)
            json_array_append_new(a, rsp_cli_json_hex(s->cmds[i].p, s->cmds[i].len));
        json_object_set_new(o, "apdus", a);
        json_object_set_new(o, "format", json_string(f == RSP_RAPDU_COMPACT ? "compact" : "expanded"));
    } else {
        char m[320];
        json_object_set_new(o, "apdus", json_null());
        json_object_set_new(o, "apdus_error", json_string(rsp_diag_str(&d, RSP_ERR_FORMAT, m, sizeof(m))));
    }
    free(s);
}

static void add_response(json_t *o, const uint8_t *p, size_t n)
{
    rsp_rapdu_resp *r = malloc(sizeof(*r));
    if (r && n && rsp_rapdu_resp_parse(rsp_rapdu_detect(p, n), p, n, r, NULL) == RSP_OK && r->n) {
        rsp_rapdu_item *l = &r->rsps[r->n - 1];
        char sw[5];
        snprintf(sw, sizeof(sw), "%04X", l->sw);
        json_object_set_new(o, "response", json_pack("{s:i, s:s, s:o}", "count", (int)r->count, "sw", sw, "data",
                                                     rsp_cli_json_hex(l->p, l->len)));
    }
    free(r);
}

static char *byte_hex(uint8_t b)
{
    static const char hx[] = "0123456789abcdef";
    char *s = malloc(3);
    if (s) {
        s[0] = hx[b >> 4];
        s[1] = hx[b & 15];
        s[2] = 0;
    }
    return s;
}

static void set_byte(json_t *o, const char *k, uint8_t b)
{
    char *s = byte_hex(b);
    json_object_set_new(o, k, json_string(s ? s : ""));
    free(s);
}

static void print_human(json_t *o)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        if (json_is_string(v)) {
            printf("%s: %s\n", k, json_string_value(v));
        } else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
            printf("%s: %s\n", k, s ? s : "?");
            free(s);
        }
    }
}

static int decode_payload(ota_opts *o, const uint8_t *p, size_t n, bool por)
{
    rsp_scp80_keys k = {o->kic.len ? o->kic.data : NULL, o->kic.len, o->kid.len ? o->kid.data : NULL, o->kid.len};
    uint8_t *work = malloc(n + 3);
    rsp_diag d;
    rsp_diag_clear(&d);
    json_t *j = json_object();
    rsp_err e;
    if (!work) {
        json_decref(j);
        return rsp_cli_fail("ota decode", RSP_ERR_NOMEM, NULL);
    }
    if (!por) {
        rsp_scp80_cmd c;
        e = rsp_scp80_cmd_open(&k, p, n, work, n, &c, &d);
        if (e == RSP_OK || e == RSP_ERR_VERIFY) {
            char spi[5];
            snprintf(spi, sizeof(spi), "%02x%02x", c.h.spi[0], c.h.spi[1]);
            json_object_set_new(j, "kind", json_string("command"));
            json_object_set_new(j, "spi", json_string(spi));
            set_byte(j, "kic", c.h.kic);
            set_byte(j, "kid", c.h.kid);
            json_object_set_new(j, "tar", rsp_cli_json_hex(c.h.tar, 3));
            json_object_set_new(j, "cntr", rsp_cli_json_hex(c.h.cntr, 5));
            json_object_set_new(j, "pcntr", json_integer(c.pcntr));
            json_object_set_new(j, "cc", hex_or_null(c.cc, c.cc_len, c.cc_len > 0));
            json_object_set_new(j, "cc_valid", c.cc_len ? json_boolean(c.cc_valid) : json_null());
            json_object_set_new(j, "data", rsp_cli_json_hex(c.data, c.data_len));
            add_apdus(j, c.data, c.data_len);
        }
    } else {
        rsp_scp80_por r;
        e = rsp_scp80_por_open(&k, &o->h, p, n, work, n + 3, &r, &d);
        if (e == RSP_OK || e == RSP_ERR_VERIFY) {
            json_object_set_new(j, "kind", json_string("por"));
            char spi[5];
            snprintf(spi, sizeof(spi), "%02x%02x", o->h.spi[0], o->h.spi[1]);
            json_object_set_new(j, "spi", json_string(spi));
            set_byte(j, "kic", o->h.kic);
            set_byte(j, "kid", o->h.kid);
            json_object_set_new(j, "tar", rsp_cli_json_hex(r.tar, 3));
            json_object_set_new(j, "cntr", rsp_cli_json_hex(r.cntr, 5));
            json_object_set_new(j, "pcntr", json_integer(r.pcntr));
            json_object_set_new(j, "ciphered", json_boolean(r.ciphered));
            json_object_set_new(j, "status", json_integer(r.status));
            json_object_set_new(j, "status_name", json_string(rsp_scp80_status_name(r.status)));
            json_object_set_new(j, "cc", hex_or_null(r.cc, r.cc_len, r.cc_len > 0));
            json_object_set_new(j, "cc_valid", r.cc_len ? json_boolean(r.cc_valid) : json_null());
            json_object_set_new(j, "data", rsp_cli_json_hex(r.data, r.data_len));
            add_response(j, r.data, r.data_len);
        }
    }
    int rc = RSP_EXIT_OK;
    if (e == RSP_OK || e == RSP_ERR_VERIFY) {
        if (o->json)
            rsp_cli_json_out(json_incref(j));
        else
            print_human(j);
        if (e == RSP_ERR_VERIFY)
            rc = rsp_cli_fail("ota decode", e, &d);
    } else {
        if (e == RSP_ERR_INVAL && !d.msg[0])
            rsp_diag_set(&d, e, "keys, SPI or KIc/KID bytes missing or wrong (use --kic/--kid, and --spi --kic-byte "
                                "--kid-byte for a PoR)");
        rc = rsp_cli_fail("ota decode", e, &d);
    }
    json_decref(j);
    free(work);
    return rc;
}

static int ota_decode(int argc, char **argv)
{
    ota_opts o;
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0) {
        opts_free(&o);
        return rc;
    }
    if (!o.n_inputs) {
        opts_free(&o);
        return rsp_cli_usage_error("usage: rsp ota decode [--kic KEY] [--kid KEY] [--spi SPI --kic-byte B --kid-byte B] "
                                   "[--json] INPUT... (command packet, SMS user data, TPDU or ENVELOPE; several "
                                   "concatenated parts in any order)");
    }
    rsp_sms_reasm r;
    rsp_sms_reasm_init(&r, 60000);
    rsp_buf in = RSP_BUF_INIT, payload = RSP_BUF_INIT;
    uint8_t iei = 0;
    bool done = false;
    rsp_err e = RSP_OK;
    rsp_diag d;
    rsp_diag_clear(&d);
    for (size_t i = 0; i < o.n_inputs && e == RSP_OK; i++) {
        rsp_buf_reset(&in); /* load_bytes appends */
        if ((e = rsp_cli_load_bytes(o.inputs[i], &in, &d)) != RSP_OK)
            break;
        const uint8_t *p = in.data;
        size_t n = in.len;
        if (n >= 2 && ((p[0] == 0x80 && p[1] == 0xC2) || p[0] == 0xD1)) {
            rsp_sms_envelope env;
            if ((e = rsp_sms_envelope_parse(p, n, &env, &d)) != RSP_OK)
                break;
            p = env.tpdu;
            n = env.tpdu_len;
        } else if (n >= 3 && p[0] == 0x02 && (p[1] == 0x70 || p[1] == 0x71) && p[2] == 0x00) {
            e = rsp_sms_reasm_add(&r, "", p, n, 0, &payload, &iei, &done, &d);
            continue;
        } else if ((n >= 2 && (size_t)rsp_be16(p) + 2 == n) ||
                   (n >= 3 && p[0] == 0x00 && (p[2] == 0x0D || p[2] == 0x0F || p[2] == 0x11 || p[2] == 0x15))) {
            /* CPL matches, or it looks like CPL + CHL: a (maybe truncated) command packet, so the
             * error names CPL rather than a TPDU field. */
            e = rsp_buf_set(&payload, p, n);
            iei = RSP_SMS_IEI_CMD_PKT;
            done = true;
            continue;
        }
        rsp_sms_tpdu t;
        if ((e = rsp_sms_tpdu_parse(p, n, &t, &d)) != RSP_OK)
            break;
        if (!(t.fo & 0x40)) {
            e = rsp_diag_set(&d, RSP_ERR_FORMAT, "TPDU without a user data header (UDHI clear): not a secured packet");
            break;
        }
        e = rsp_sms_reasm_add(&r, t.addr.digits, t.ud, t.ud_len, 0, &payload, &iei, &done, &d);
    }
    if (e == RSP_OK && !done)
        e = rsp_diag_set(&d, RSP_ERR_TRUNCATED, "incomplete concatenated message: give every part");
    if (e == RSP_OK && iei != RSP_SMS_IEI_CMD_PKT && iei != RSP_SMS_IEI_RESP_PKT)
        e = rsp_diag_set(&d, RSP_ERR_FORMAT, "user data header has no command (70) or response (71) packet IE");
    rc = e == RSP_OK ? decode_payload(&o, payload.data, payload.len, iei == RSP_SMS_IEI_RESP_PKT)
                     : rsp_cli_fail("ota decode", e, &d);
    rsp_sms_reasm_free(&r);
    rsp_buf_free(&in);
    rsp_buf_free(&payload);
    opts_free(&o);
    return rc;
}

int rsp_cmd_ota(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"encode", ota_encode, "wrap APDUs into an SCP80 command packet (or SMS-DELIVER TPDUs with --sms)"},
        {"decode", ota_decode, "open a command packet, PoR, SMS user data, TPDU or ENVELOPE; exit 1 if the CC fails"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp ota", sub, argc, argv);
}
