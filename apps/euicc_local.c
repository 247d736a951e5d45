/* `rsp euicc apdu|sms|show`: a virtual card reader on one card of a fleet (ESx, the device side).
 * Each command opens the fleet, acts on one card and closes it: whatever the card changed is
 * committed by the card model before its answer is printed. Time is the wall clock. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "euicc_cmds.h"
#include "rsp/euicc.h"
#include "rsp/ids.h"
#include "rsp/scp80.h"
#include "rsp/sms.h"

typedef struct local_opts {
    const char *fleet, *eid, *from;
    bool json;
    int first_arg; /* argv index of the first positional argument */
    int argc;      /* argc once --json is taken out */
} local_opts;

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Returns -1 when fine, else an exit code. */
static int parse_local(const char *cmd, const char *usage, int argc, char **argv, local_opts *o, bool need_args)
{
    memset(o, 0, sizeof(*o));
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        puts(usage);
        return RSP_EXIT_OK;
    }
    o->json = rsp_cli_take_flag(&argc, argv, "--json");
    static const struct option opts[] = {{"fleet", 1, 0, 'f'}, {"eid", 1, 0, 'e'}, {"from", 1, 0, 'o'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    /* "+": stop at the first positional argument, so an APDU is never taken for an option. */
    while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
        switch (c) {
        case 'f': o->fleet = optarg; break;
        case 'e': o->eid = optarg; break;
        case 'o': o->from = optarg; break;
        default: return rsp_cli_usage_error("euicc %s: unknown or incomplete option '%s'\n%s", cmd, argv[optind - 1], usage);
        }
    }
    o->first_arg = optind;
    o->argc = argc;
    if (!o->fleet || !o->eid || (need_args && optind >= argc) || (!need_args && optind != argc))
        return rsp_cli_usage_error("%s", usage);
    if (rsp_eid_check(o->eid, NULL) != RSP_OK)
        return rsp_cli_usage_error("euicc %s: --eid '%s' is not a 32-digit EID with valid check digits", cmd, o->eid);
    return -1;
}

/* Opens the fleet and finds the card; returns -1 when fine, else an exit code. */
static int open_card(const char *cmd, const local_opts *o, rsp_euicc_fleet **f, rsp_euicc **c)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_euicc_fleet_open(o->fleet, &d, f);
    if (e) {
        char what[64];
        snprintf(what, sizeof(what), "euicc %s: fleet %s", cmd, o->fleet);
        return rsp_cli_fail(what, e, &d);
    }
    *c = rsp_euicc_fleet_by_eid(*f, o->eid);
    if (!*c) {
        rsp_euicc_fleet_close(*f);
        *f = NULL;
        return rsp_cli_usage_error("euicc %s: no card with EID %s in %s", cmd, o->eid, o->fleet);
    }
    return -1;
}

int rsp_euicc_cmd_apdu(int argc, char **argv)
{
    static const char usage[] = "usage: rsp euicc apdu --fleet DIR --eid EID [--json] APDU...";
    local_opts o;
    int rc = parse_local("apdu", usage, argc, argv, &o, true);
    if (rc >= 0)
        return rc;
    /* Every APDU is checked before the card sees any, so a typo does not leave half a script run. */
    size_t n = (size_t)(o.argc - o.first_arg);
    rsp_buf *in = calloc(n, sizeof(rsp_buf));
    if (!in)
        return rsp_cli_fail("euicc apdu", RSP_ERR_NOMEM, NULL);
    rsp_diag d;
    rsp_diag_clear(&d);
    for (size_t i = 0; i < n && rc < 0; i++) {
        const char *a = argv[o.first_arg + (int)i];
        if (rsp_cli_load_bytes(a, &in[i], &d) != RSP_OK || in[i].len < 4 || in[i].len > 261)
            rc = rsp_cli_usage_error("euicc apdu: '%s' is not a C-APDU (4..261 bytes of hex)", a);
    }
    rsp_euicc_fleet *f = NULL;
    rsp_euicc *c = NULL;
    if (rc < 0)
        rc = open_card("apdu", &o, &f, &c);
    json_t *all = json_array();
    rsp_buf r = RSP_BUF_INIT;
    for (size_t i = 0; i < n && rc < 0; i++) {
        rsp_buf_reset(&r);
        rsp_err e = rsp_euicc_apdu(c, in[i].data, in[i].len, now_ms(), &r, &d);
        if (e || r.len < 2) {
            rc = rsp_cli_fail("euicc apdu", e ? e : RSP_ERR_INTERNAL, &d);
            break;
        }
        char sw[5];
        snprintf(sw, sizeof(sw), "%02X%02X", r.data[r.len - 2], r.data[r.len - 1]);
        if (o.json) {
            json_array_append_new(all, json_pack("{s:o, s:o, s:s}", "capdu", rsp_cli_json_hex(in[i].data, in[i].len),
                                                 "rapdu", rsp_cli_json_hex(r.data, r.len), "sw", sw));
        } else {
            char *h = rsp_hex_dup(r.data, r.len);
            for (char *p = h; p && *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
            printf("%s\n", h ? h : "");
            free(h);
        }
    }
    if (rc < 0) {
        if (o.json)
            rsp_cli_json_out(json_pack("{s:s, s:O}", "eid", o.eid, "responses", all));
        rc = RSP_EXIT_OK;
    }
    json_decref(all);
    rsp_buf_free(&r);
    for (size_t i = 0; i < n; i++)
        rsp_buf_free(&in[i]);
    free(in);
    if (f)
        rsp_euicc_fleet_close(f);
    return rc;
}

/* The SPI of the command packet a message carries (from its first part), to know whether the PoR's
 * status byte travels in clear. */
static bool first_part_spi(const uint8_t *tpdu, size_t len, uint8_t spi[2])
{
    rsp_sms_tpdu t;
    rsp_sms_udh u;
    rsp_scp80_hdr h;
    if (rsp_sms_tpdu_parse(tpdu, len, &t, NULL) != RSP_OK || rsp_sms_udh_parse(t.ud, t.ud_len, &u, NULL) != RSP_OK ||
        u.spkt_iei != RSP_SMS_IEI_CMD_PKT || (u.concat && u.seq != 1))
        return false;
    if (rsp_scp80_cmd_peek(t.ud + u.len, t.ud_len - u.len, &h, NULL) != RSP_OK)
        return false;
    memcpy(spi, h.spi, 2);
    return true;
}

/* Describes one MO SMS: "por" or "command" (a notification the card sends the SM-SR), and the PoR's
 * status name when it can be read without keys. */
static const char *mo_kind(const uint8_t *tpdu, size_t len, bool spi_known, const uint8_t spi[2], const char **status)
{
    rsp_sms_tpdu t;
    rsp_sms_udh u;
    *status = NULL;
    if (rsp_sms_tpdu_parse(tpdu, len, &t, NULL) != RSP_OK || rsp_sms_udh_parse(t.ud, t.ud_len, &u, NULL) != RSP_OK)
        return "other";
    if (u.spkt_iei == RSP_SMS_IEI_CMD_PKT)
        return "command";
    if (u.spkt_iei != RSP_SMS_IEI_RESP_PKT)
        return "other";
    /* PoR: RPL(2) RHL(1) TAR(3) CNTR(5) PCNTR(1) RSC(1) ...; error PoRs go out in clear (RHL 0A). */
    const uint8_t *p = t.ud + u.len;
    size_t n = t.ud_len - u.len;
    if (!u.concat && n >= 13) {
        bool clear = p[2] == 0x0A || (spi_known && !(spi[1] & RSP_SCP80_SPI2_POR_CIPHER));
        *status = clear ? rsp_scp80_status_name(p[12]) : "por-ciphered";
    } else {
        *status = "por-ciphered";
    }
    return "por";
}

/* Loads the inputs as SMS-DELIVER TPDUs: one command packet is wrapped (split if needed) as the SMSC
 * would deliver it from `from`; otherwise every input must be a TPDU. Returns -1 when fine. */
static int sms_inputs(const local_opts *o, char **argv, const char *from, rsp_buf *tp, size_t max, size_t *n)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    size_t k = (size_t)(o->argc - o->first_arg);
    rsp_buf in = RSP_BUF_INIT;
    int rc = -1;
    *n = 0;
    for (size_t i = 0; i < k && rc < 0; i++) {
        const char *a = argv[o->first_arg + (int)i];
        rsp_buf_reset(&in);
        rsp_sms_tpdu t;
        rsp_scp80_hdr h;
        if (rsp_cli_load_bytes(a, &in, &d) != RSP_OK) {
            rc = rsp_cli_usage_error("euicc sms: '%s' is not hex or a readable file", a);
        } else if (k == 1 && in.len >= 2 && (size_t)rsp_be16(in.data) + 2 == in.len) {
            if (rsp_scp80_cmd_peek(in.data, in.len, &h, &d) != RSP_OK) {
                rc = rsp_cli_fail("euicc sms: not a secured command packet", RSP_ERR_FORMAT, &d);
                break;
            }
            rsp_buf parts[16];
            memset(parts, 0, sizeof(parts));
            size_t np = 0;
            rsp_sms_tpdu dt = {.type = RSP_SMS_DELIVER};
            rsp_err e = rsp_sms_addr_set(&dt.addr, 0x91, from);
            memcpy(dt.scts, "\x22\x70\x52\x00\x00\x00\x00", 7);
            e = e ? e : rsp_sms_split(in.data, in.len, RSP_SMS_IEI_CMD_PKT, (uint16_t)(now_ms() & 0xFF), false, parts,
                                      16, &np, &d);
            for (size_t p = 0; p < np && !e && *n < max; p++) {
                dt.ud = parts[p].data;
                dt.ud_len = parts[p].len;
                e = rsp_sms_tpdu_build(&dt, &tp[(*n)++]);
            }
            for (size_t p = 0; p < 16; p++)
                rsp_buf_free(&parts[p]);
            if (e)
                rc = rsp_cli_fail("euicc sms: cannot carry the packet in SMS", e, &d);
        } else if (rsp_sms_tpdu_parse(in.data, in.len, &t, &d) != RSP_OK || t.type != RSP_SMS_DELIVER) {
            rc = rsp_cli_usage_error("euicc sms: '%s' is neither a secured command packet (CPL first) nor an "
                                     "SMS-DELIVER TPDU%s%s", a, d.msg[0] ? ": " : "", d.msg);
        } else if (*n < max) {
            rsp_buf_set(&tp[(*n)++], in.data, in.len);
        }
    }
    rsp_buf_free(&in);
    return rc;
}

int rsp_euicc_cmd_sms(int argc, char **argv)
{
    static const char usage[] =
        "usage: rsp euicc sms --fleet DIR --eid EID [--from DIGITS] [--json] PACKET|TPDU...\n"
        "  PACKET: one secured command packet (from CPL on), delivered from --from (default: the SM-SR's number)\n"
        "  TPDU:   the SMS-DELIVER TPDU(s) of one message, as the modem received them";
    local_opts o;
    int rc = parse_local("sms", usage, argc, argv, &o, true);
    if (rc >= 0)
        return rc;
    if (o.argc - o.first_arg > 16)
        return rsp_cli_usage_error("euicc sms: at most 16 TPDUs (the parts of one message)");
    rsp_euicc_fleet *f = NULL;
    rsp_euicc *c = NULL;
    if ((rc = open_card("sms", &o, &f, &c)) >= 0)
        return rc;
    rsp_euicc_info info;
    rsp_err e = rsp_euicc_info_get(c, &info);
    const char *from = o.from ? o.from : (!e && info.smsr_msisdn[0] ? info.smsr_msisdn : "447700900000");
    rsp_buf tp[16];
    memset(tp, 0, sizeof(tp));
    size_t n = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    rc = sms_inputs(&o, argv, from, tp, 16, &n);
    uint8_t spi[2] = {0, 0};
    bool spi_known = n && first_part_spi(tp[0].data, tp[0].len, spi);
    json_t *sms = json_array(), *por = json_null(), *admin = json_null();
    const char *status = "no-answer";
    for (size_t i = 0; i < n && rc < 0; i++) {
        rsp_euicc_out out;
        memset(&out, 0, sizeof(out));
        e = rsp_euicc_sms_pp(c, tp[i].data, tp[i].len, now_ms(), &out, &d);
        if (e) {
            rc = rsp_cli_fail("euicc sms: the card could not handle the SMS", e, &d);
        } else {
            for (size_t k = 0; k < out.n_sms; k++) {
                const rsp_buf *b = &out.sms[k].tpdu;
                const char *st = NULL, *kind = mo_kind(b->data, b->len, spi_known, spi, &st);
                json_t *hex = rsp_cli_json_hex(b->data, b->len);
                if (!strcmp(kind, "por") && json_is_null(por)) {
                    json_decref(por);
                    por = json_incref(hex);
                    status = st;
                }
                json_array_append_new(sms, json_pack("{s:s, s:o, s:s}", "to", out.sms[k].to, "tpdu", hex, "kind", kind));
            }
            if (out.open_admin) {
                json_decref(admin);
                admin = json_pack("{s:s, s:i, s:s}", "host", out.admin.host, "port", (int)out.admin.port, "uri",
                                  out.admin.uri);
            }
        }
        rsp_euicc_out_clear(&out);
    }
    if (rc < 0) {
        if (o.json) {
            rsp_cli_json_out(json_pack("{s:O, s:s, s:O, s:O}", "por", por, "status", status, "sms", sms, "admin", admin));
        } else {
            for (size_t k = 0; k < json_array_size(sms); k++) {
                char *h = strdup(json_string_value(json_object_get(json_array_get(sms, k), "tpdu")));
                for (char *p = h; p && *p; p++)
                    *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
                printf("%s\n", h ? h : "");
                free(h);
            }
            if (!json_array_size(sms))
                fprintf(stderr, "rsp: euicc sms: no answer from the card\n");
            if (!json_is_null(admin))
                fprintf(stderr, "rsp: euicc sms: the card asks for an admin session to %s:%d%s\n",
                        json_string_value(json_object_get(admin, "host")),
                        (int)json_integer_value(json_object_get(admin, "port")),
                        json_string_value(json_object_get(admin, "uri")));
        }
        rc = RSP_EXIT_OK;
    }
    json_decref(sms);
    json_decref(por);
    json_decref(admin);
    for (size_t i = 0; i < 16; i++)
        rsp_buf_free(&tp[i]);
    rsp_euicc_fleet_close(f);
    return rc;
}

static const char *lcs_name(uint8_t lcs)
{
    return lcs == 0x3F ? "enabled" : lcs == 0x1F ? "disabled" : "created";
}

static const char *notif_name(uint8_t t)
{
    switch (t) {
    case 0x01: return "first-attach";
    case 0x02: return "profile-switch";
    case 0x03: return "rolled-back";
    case 0x05: return "fall-back";
    default: return "other";
    }
}

static json_t *counters_json(const rsp_euicc_counters *k)
{
    json_t *s80 = json_array(), *s03 = json_array();
    for (size_t i = 0; i < k->n_scp80; i++)
        json_array_append_new(s80, json_pack("{s:i, s:o}", "kvn", (int)k->scp80[i].kvn, "cntr",
                                             rsp_cli_json_hex(k->scp80[i].cntr, 5)));
    for (size_t i = 0; i < k->n_isdp; i++)
        json_array_append_new(s03, json_pack("{s:s, s:I}", "isdp_aid", k->isdp[i].aid, "seq",
                                             (json_int_t)k->isdp[i].scp03_seq));
    return json_pack("{s:i, s:o, s:o, s:o}", "last_notification_seq", (int)k->notif_seq, "scp80", s80, "mo_cntr",
                     rsp_cli_json_hex(k->mo_cntr, 5), "scp03", s03);
}

static json_t *show_json(const rsp_euicc_info *in, const rsp_euicc_counters *k)
{
    json_t *ps = json_array(), *ns = json_array(), *k80 = json_array(), *k81 = json_array();
    for (size_t i = 0; i < in->n_profiles; i++) {
        const rsp_euicc_profile_info *p = &in->profiles[i];
        json_t *pol = json_array();
        if (p->pol1 & 0x01)
            json_array_append_new(pol, json_string("disable-not-allowed"));
        if (p->pol1 & 0x02)
            json_array_append_new(pol, json_string("delete-not-allowed"));
        if (p->pol1 & 0x04)
            json_array_append_new(pol, json_string("delete-when-disabled"));
        json_array_append_new(
            ps, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:i, s:o, s:I, s:I, s:b}", "isdp_aid", p->aid, "iccid",
                          p->iccid, "msisdn", p->msisdn, "state", lcs_name(p->lcs), "fallback", p->fallback,
                          "emergency", p->emergency, "test", p->test, "pol1", (int)p->pol1, "pol1_rules", pol,
                          "quota", (json_int_t)p->quota, "used", (json_int_t)p->used, "scp03_keys", p->has_keys));
    }
    for (size_t i = 0; i < in->n_notifs; i++) {
        const rsp_euicc_notif_info *n = &in->notifs[i];
        json_array_append_new(ns, json_pack("{s:i, s:i, s:s, s:s, s:i, s:I}", "seq", (int)n->seq, "type", (int)n->type,
                                            "type_name", notif_name(n->type), "isdp_aid", n->aid, "attempts",
                                            (int)n->attempts, "due", (json_int_t)n->due));
    }
    for (size_t i = 0; i < in->n_scp80; i++)
        json_array_append_new(k80, json_integer(in->scp80_kvns[i]));
    for (size_t i = 0; i < in->n_scp81; i++)
        json_array_append_new(k81, json_integer(in->scp81_kvns[i]));
    return json_pack("{s:s, s:s, s:s, s:{s:I, s:I}, s:o, s:o, s:o, s:{s:o, s:o}}", "eid", in->eid, "msisdn",
                     in->msisdn, "smsr_msisdn", in->smsr_msisdn, "memory", "total", (json_int_t)in->memory, "free",
                     (json_int_t)in->free_memory, "profiles", ps, "counters", counters_json(k), "notifications", ns,
                     "key_sets", "scp80", k80, "scp81", k81);
}

int rsp_euicc_cmd_show(int argc, char **argv)
{
    static const char usage[] = "usage: rsp euicc show --fleet DIR --eid EID [--json]";
    local_opts o;
    int rc = parse_local("show", usage, argc, argv, &o, false);
    if (rc >= 0)
        return rc;
    rsp_euicc_fleet *f = NULL;
    rsp_euicc *c = NULL;
    if ((rc = open_card("show", &o, &f, &c)) >= 0)
        return rc;
    rsp_euicc_info in;
    rsp_euicc_counters k;
    rsp_err e = rsp_euicc_info_get(c, &in);
    e = e ? e : rsp_euicc_counters_get(c, &k);
    if (e) {
        rc = rsp_cli_fail("euicc show", e, NULL);
    } else if (o.json) {
        rsp_cli_json_out(show_json(&in, &k));
        rc = RSP_EXIT_OK;
    } else {
        printf("eUICC %s  MSISDN %s  SM-SR %s  memory %lld free of %lld bytes\n", in.eid, in.msisdn[0] ? in.msisdn : "-",
               in.smsr_msisdn, (long long)in.free_memory, (long long)in.memory);
        printf("profiles (%zu):\n", in.n_profiles);
        for (size_t i = 0; i < in.n_profiles; i++) {
            const rsp_euicc_profile_info *p = &in.profiles[i];
            printf("  %s  ICCID %-20s %-8s%s%s%s  POL1 %02X  %lld bytes\n", p->aid, p->iccid[0] ? p->iccid : "-",
                   lcs_name(p->lcs), p->fallback ? " fall-back" : "", p->emergency ? " emergency" : "",
                   p->test ? " test" : "", p->pol1, (long long)p->used);
        }
        printf("counters: last notification sequence %u, MO packets %02X%02X%02X%02X%02X\n", (unsigned)k.notif_seq,
               k.mo_cntr[0], k.mo_cntr[1], k.mo_cntr[2], k.mo_cntr[3], k.mo_cntr[4]);
        for (size_t i = 0; i < k.n_scp80; i++)
            printf("  SCP80 KVN %02X: last counter accepted %02X%02X%02X%02X%02X\n", k.scp80[i].kvn, k.scp80[i].cntr[0],
                   k.scp80[i].cntr[1], k.scp80[i].cntr[2], k.scp80[i].cntr[3], k.scp80[i].cntr[4]);
        for (size_t i = 0; i < k.n_isdp; i++)
            printf("  SCP03 %s: sequence %u\n", k.isdp[i].aid, (unsigned)k.isdp[i].scp03_seq);
        printf("pending notifications (%zu):\n", in.n_notifs);
        for (size_t i = 0; i < in.n_notifs; i++) {
            const rsp_euicc_notif_info *n = &in.notifs[i];
            printf("  seq %u  type %02X %-14s  %s  attempts %u\n", (unsigned)n->seq, n->type, notif_name(n->type), n->aid,
                   n->attempts);
        }
        rc = RSP_EXIT_OK;
    }
    rsp_euicc_fleet_close(f);
    return rc;
}
