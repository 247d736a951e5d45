/* `rsp lpa`: a Local Profile Assistant for devices, test benches and people with a card in a reader
 * (docs/modules/lpa.md). Thin: the transports, the ES10 transport and the ES10 functions are lib/lpa;
 * this file parses the command line and prints. Exit: 0 done, 1 the card refused (a non-zero result)
 * or could not be reached, 2 usage or a malformed answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lpa_cmds.h"
#include "rsp/lpa.h"

static const char usage[] =
    "usage: rsp lpa [--card DIR | --reader NAME] [--transport pcsc|direct] [--block N] [--json] COMMAND\n"
    "  chip info                               EID, EUICCInfo2, configured addresses\n"
    "  profile list                            the profiles on the card\n"
    "  profile enable|disable ICCID|AID [--refresh]\n"
    "  profile delete ICCID|AID\n"
    "  profile nickname ICCID NAME\n"
    "  profile download --activation-code 'LPA:1$ADDRESS$MATCHING_ID' [--confirmation-code C] --ca FILE\n"
    "                   [--session FILE]  a record of the download, kept while the card may be in between;\n"
    "                   a record left by an unfinished download is reported and dealt with first\n"
    "  profile discover --smds ADDRESS --ca FILE [--session FILE]   ES11 with the SM-DS, then a download of\n"
    "                   each pending event in order (matchingId = eventId, at the event's SM-DP+)\n"
    "  notification list                       the card's pending notifications\n"
    "  notification process [SEQ] --ca FILE    send them (ES9+ handleNotification, oldest first), then remove\n"
    "  notification remove SEQ\n"
    "  memory-reset [--operational] [--test] [--default-address]   (no flag: all three)\n"
    "Transports: --card DIR is the simulator's card folder opened in this process (direct); otherwise\n"
    "PC/SC through pcscd, --reader picking a reader by a substring of its name (default: the first\n"
    "with a card). --block is the STORE DATA block size (6..255, default 120).\n"
    "--ca FILE: the CA the SM-DP+'s (SM-DS's) TLS certificate must chain to. --insecure instead: the\n"
    "server is NOT authenticated (said on stderr and in --json; labs only: the card's signatures go to\n"
    "whoever answers).\n"
    "Exit: 0 done, 1 the card refused or could not be reached, 2 usage or a malformed answer.\n";

static int fail(const char *what, rsp_err e, const rsp_diag *d)
{
    fprintf(stderr, "rsp: lpa: %s: %s\n", what, d && d->msg[0] ? d->msg : rsp_err_msg(e));
    /* a card or reader that is not there, busy or refusing is a failed check, not bad input */
    bool usage_like = e == RSP_ERR_INVAL || e == RSP_ERR_FORMAT || e == RSP_ERR_TAG || e == RSP_ERR_LENGTH ||
                      e == RSP_ERR_TRUNCATED || e == RSP_ERR_RANGE;
    return usage_like ? RSP_EXIT_USAGE : RSP_EXIT_FAIL;
}

/* Takes "--name VALUE" out of argv; NULL when absent. */
static const char *take_opt(int *argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < *argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            const char *v = argv[i + 1];
            memmove(&argv[i], &argv[i + 2], (size_t)(*argc - i - 2) * sizeof(char *));
            *argc -= 2;
            return v;
        }
    }
    return NULL;
}

static void hex_str(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", p[i]);
    out[2 * n] = 0;
}

static json_t *jstr(rsp_bytes b)
{
    return json_stringn((const char *)b.p, b.len);
}

static int chip_info(lpa_ctx *x)
{
    uint8_t eid[16];
    rsp_diag d = {0};
    rsp_err e = rsp_lpa_get_eid(&x->card, eid, &d);
    if (e)
        return fail("GetEID", e, &d);
    rsp_buf raw2 = RSP_BUF_INIT, rawa = RSP_BUF_INIT;
    rsp_es10_info2 i2;
    memset(&i2, 0, sizeof(i2));
    rsp_bytes dp = {0}, ds = {0};
    e = rsp_lpa_get_info2(&x->card, &raw2, &i2, &d);
    if (e) {
        rsp_buf_free(&raw2);
        return fail("GetEUICCInfo2", e, &d);
    }
    rsp_diag da = {0};
    bool has_addr = rsp_lpa_get_addresses(&x->card, &rawa, &dp, &ds, &da) == RSP_OK;
    char eid_hex[33], sk[41];
    hex_str(eid, 16, eid_hex);
    if (x->json) {
        json_t *o = json_object(), *ver = json_array(), *sig = json_array();
        json_object_set_new(o, "eid", json_string(eid_hex));
        char v[16];
        snprintf(v, sizeof(v), "%u.%u.%u", i2.svn[0], i2.svn[1], i2.svn[2]);
        json_object_set_new(o, "svn", json_string(v));
        snprintf(v, sizeof(v), "%u.%u.%u", i2.firmware_version[0], i2.firmware_version[1], i2.firmware_version[2]);
        json_object_set_new(o, "firmware", json_string(v));
        for (size_t i = 0; i < i2.verification.n && i2.verification.ski[i].len <= 20; i++) {
            hex_str(i2.verification.ski[i].p, i2.verification.ski[i].len, sk);
            json_array_append_new(ver, json_string(sk));
        }
        for (size_t i = 0; i < i2.signing.n && i2.signing.ski[i].len <= 20; i++) {
            hex_str(i2.signing.ski[i].p, i2.signing.ski[i].len, sk);
            json_array_append_new(sig, json_string(sk));
        }
        json_object_set_new(o, "ci_verification", ver);
        json_object_set_new(o, "ci_signing", sig);
        json_object_set_new(o, "euicc_info2", rsp_cli_json_hex(raw2.data, raw2.len));
        if (has_addr) {
            json_object_set_new(o, "default_smdp", dp.len ? jstr(dp) : json_null());
            json_object_set_new(o, "root_smds", jstr(ds));
        }
        rsp_cli_json_out(o);
    } else {
        printf("EID          %s\n", eid_hex);
        printf("SVN          %u.%u.%u  firmware %u.%u.%u  profile version %u.%u.%u\n", i2.svn[0], i2.svn[1],
               i2.svn[2], i2.firmware_version[0], i2.firmware_version[1], i2.firmware_version[2],
               i2.profile_version[0], i2.profile_version[1], i2.profile_version[2]);
        for (size_t i = 0; i < i2.verification.n && i2.verification.ski[i].len <= 20; i++) {
            hex_str(i2.verification.ski[i].p, i2.verification.ski[i].len, sk);
            printf("CI (verify)  %s\n", sk);
        }
        if (has_addr)
            printf("SM-DP+       %.*s\nSM-DS        %.*s\n", dp.len ? (int)dp.len : 1, dp.len ? (const char *)dp.p : "-",
                   (int)ds.len, (const char *)ds.p);
        else
            printf("addresses    (the card did not answer GetEuiccConfiguredAddresses: %s)\n", da.msg);
    }
    rsp_buf_free(&raw2);
    rsp_buf_free(&rawa);
    return RSP_EXIT_OK;
}

static int profile_list(lpa_ctx *x)
{
    rsp_buf raw = RSP_BUF_INIT;
    rsp_es10_profiles *p = calloc(1, sizeof(*p));
    rsp_diag d = {0};
    rsp_err e = p ? rsp_lpa_get_profiles(&x->card, &raw, p, &d) : RSP_ERR_NOMEM;
    int rc = RSP_EXIT_OK;
    if (e) {
        rc = fail("GetProfilesInfo", e, &d);
    } else if (!p->ok) {
        fprintf(stderr, "rsp: lpa: GetProfilesInfo: card answered error %d\n", p->error);
        rc = RSP_EXIT_FAIL;
    } else {
        json_t *arr = json_array();
        if (!x->json)
            printf("%-20s %-8s %-12s %-16s %s\n", "ICCID", "STATE", "CLASS", "NICKNAME", "SPN / NAME");
        for (size_t i = 0; i < p->n; i++) {
            const rsp_es10_profile_info *pi = &p->items[i];
            char iccid[24], aid[33] = "";
            rsp_lpa_iccid_to_digits(pi->iccid.p, pi->iccid.len, iccid, sizeof(iccid));
            if (pi->isdp_aid.len <= 16)
                hex_str(pi->isdp_aid.p, pi->isdp_aid.len, aid);
            static const char *const classes[] = {"test", "provisioning", "operational"};
            const char *cls = pi->profile_class >= 0 && pi->profile_class <= 2 ? classes[pi->profile_class] : "-";
            const char *st = pi->state == 1 ? "enabled" : pi->state == 0 ? "disabled" : "-";
            if (x->json) {
                json_t *o = json_object();
                json_object_set_new(o, "iccid", json_string(iccid));
                json_object_set_new(o, "aid", json_string(aid));
                json_object_set_new(o, "state", json_string(st));
                json_object_set_new(o, "class", json_string(cls));
                json_object_set_new(o, "nickname", jstr(pi->nickname));
                json_object_set_new(o, "spn", jstr(pi->spn));
                json_object_set_new(o, "name", jstr(pi->name));
                json_array_append_new(arr, o);
            } else {
                printf("%-20s %-8s %-12s %-16.*s %.*s / %.*s\n", iccid, st, cls, (int)pi->nickname.len,
                       (const char *)pi->nickname.p, (int)pi->spn.len, (const char *)pi->spn.p, (int)pi->name.len,
                       (const char *)pi->name.p);
            }
        }
        if (x->json)
            rsp_cli_json_out(arr);
        else
            json_decref(arr);
    }
    free(p);
    rsp_buf_free(&raw);
    return rc;
}

/* A profile named by ICCID (19/20 digits) or ISD-P AID (hex, 5..16 bytes). */
static int profile_id(const char *s, rsp_es10_select *by, uint8_t id[16], size_t *len)
{
    rsp_diag d = {0};
    if (strlen(s) <= 20 && rsp_lpa_iccid_from_digits(s, id, &d) == RSP_OK) {
        *by = RSP_ES10_BY_ICCID;
        *len = 10;
        return 0;
    }
    size_t n = strlen(s);
    if (n >= 10 && n <= 32 && n % 2 == 0 && rsp_hex_decode_fixed(s, id, n / 2, NULL) == RSP_OK) {
        *by = RSP_ES10_BY_AID;
        *len = n / 2;
        return 0;
    }
    return rsp_cli_usage_error("lpa: '%s': an ICCID (19 or 20 digits) or an ISD-P AID (hex) expected", s);
}

/* Result names per function (SGP22.md's table); index = the result code, 127 undefinedError. */
static const char *result_name(const char *fn, int result)
{
    static const char *const enable[] = {"ok", "iccidOrAidNotFound", "profileNotInDisabledState",
                                         "disallowedByPolicy", "wrongProfileReenabling", "catBusy"};
    static const char *const disable[] = {"ok", "iccidOrAidNotFound", "profileNotInEnabledState",
                                          "disallowedByPolicy", NULL, "catBusy"};
    static const char *const del[] = {"ok", "iccidOrAidNotFound", "profileNotInDisabledState", "disallowedByPolicy"};
    static const char *const nick[] = {"ok", "iccidNotFound"};
    static const char *const reset[] = {"ok", "nothingToDelete", NULL, NULL, NULL, "catBusy"};
    const char *const *t = enable;
    int n = 6;
    if (!strcmp(fn, "DisableProfile"))
        t = disable;
    else if (!strcmp(fn, "DeleteProfile"))
        t = del, n = 4;
    else if (!strcmp(fn, "SetNickname"))
        t = nick, n = 2;
    else if (!strcmp(fn, "eUICCMemoryReset"))
        t = reset;
    return result >= 0 && result < n && t[result] ? t[result] : "undefinedError";
}

static int report_result(lpa_ctx *x, const char *what, int result)
{
    const char *name = result_name(what, result);
    if (x->json) {
        json_t *o = json_object();
        json_object_set_new(o, "function", json_string(what));
        json_object_set_new(o, "result", json_integer(result));
        json_object_set_new(o, "name", json_string(name));
        rsp_cli_json_out(o);
    } else {
        printf("%s: %s (%d)\n", what, name, result);
    }
    return result == 0 ? RSP_EXIT_OK : RSP_EXIT_FAIL;
}

static int profile_cmd(lpa_ctx *x, int argc, char **argv)
{
    if (argc < 2)
        return rsp_cli_usage_error("lpa profile: list, enable, disable, delete, nickname, download or discover");
    const char *sub = argv[1];
    if (!strcmp(sub, "list"))
        return argc == 2 ? profile_list(x) : rsp_cli_usage_error("lpa profile list: no arguments");
    if (!strcmp(sub, "download"))
        return rsp_lpa_cmd_download(x, argc - 1, argv + 1);
    if (!strcmp(sub, "discover"))
        return rsp_lpa_cmd_discover(x, argc - 1, argv + 1);
    rsp_es10_select by;
    uint8_t id[16];
    size_t len = 0;
    int result = 0, rc;
    rsp_diag d = {0};
    rsp_err e;
    if (!strcmp(sub, "nickname")) {
        if (argc != 4)
            return rsp_cli_usage_error("lpa profile nickname ICCID NAME");
        if ((rc = profile_id(argv[2], &by, id, &len)) != 0 || by != RSP_ES10_BY_ICCID)
            return rc ? rc : rsp_cli_usage_error("lpa profile nickname: an ICCID expected");
        if (strlen(argv[3]) > 64)
            return rsp_cli_usage_error("lpa profile nickname: at most 64 bytes");
        e = rsp_lpa_set_nickname(&x->card, rsp_bytes_of(id, 10),
                                 rsp_bytes_of((const uint8_t *)argv[3], strlen(argv[3])), &result, &d);
        return e ? fail("SetNickname", e, &d) : report_result(x, "SetNickname", result);
    }
    uint32_t tag = !strcmp(sub, "enable")    ? RSP_ES10_ENABLE_PROFILE
                   : !strcmp(sub, "disable") ? RSP_ES10_DISABLE_PROFILE
                   : !strcmp(sub, "delete")  ? RSP_ES10_DELETE_PROFILE
                                             : 0;
    if (!tag)
        return rsp_cli_usage_error("lpa profile %s: unknown (see rsp lpa --help)", sub);
    bool refresh = rsp_cli_take_flag(&argc, argv, "--refresh");
    if (argc != 3)
        return rsp_cli_usage_error("lpa profile %s ICCID|AID", sub);
    if ((rc = profile_id(argv[2], &by, id, &len)) != 0)
        return rc;
    const char *fn = tag == RSP_ES10_ENABLE_PROFILE    ? "EnableProfile"
                     : tag == RSP_ES10_DISABLE_PROFILE ? "DisableProfile"
                                                       : "DeleteProfile";
    e = rsp_lpa_profile_op(&x->card, tag, by, rsp_bytes_of(id, len), refresh, &result, &d);
    return e ? fail(fn, e, &d) : report_result(x, fn, result);
}

static int parse_seq(const char *s, uint32_t *seq)
{
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v > 0x7FFFFFFF)
        return rsp_cli_usage_error("lpa notification: sequence number '%s' expected as a number", s);
    *seq = (uint32_t)v;
    return 0;
}

static int notification_cmd(lpa_ctx *x, int argc, char **argv)
{
    if (argc < 2)
        return rsp_cli_usage_error("lpa notification: list, process or remove");
    const char *sub = argv[1];
    rsp_diag d = {0};
    if (!strcmp(sub, "process"))
        return rsp_lpa_cmd_process(x, argc - 1, argv + 1);
    if (!strcmp(sub, "remove")) {
        uint32_t seq = 0;
        int rc = argc == 3 ? parse_seq(argv[2], &seq) : rsp_cli_usage_error("lpa notification remove SEQ");
        if (rc)
            return rc;
        int result = 0;
        rsp_err e = rsp_lpa_remove_notification(&x->card, seq, &result, &d);
        if (e)
            return fail("RemoveNotificationFromList", e, &d);
        static const char *const names[] = {"ok", "nothingToDelete"};
        if (x->json) {
            json_t *o = json_object();
            json_object_set_new(o, "seq", json_integer(seq));
            json_object_set_new(o, "result", json_integer(result));
            rsp_cli_json_out(o);
        } else {
            printf("RemoveNotificationFromList %u: %s (%d)\n", seq,
                   result >= 0 && result <= 1 ? names[result] : "undefinedError", result);
        }
        return result == 0 ? RSP_EXIT_OK : RSP_EXIT_FAIL;
    }
    if (strcmp(sub, "list") || argc != 2)
        return rsp_cli_usage_error("lpa notification: list, process [SEQ] or remove SEQ");
    rsp_buf raw = RSP_BUF_INIT;
    rsp_es10_notif_list *l = calloc(1, sizeof(*l));
    rsp_err e = l ? rsp_lpa_list_notifications(&x->card, &raw, l, &d) : RSP_ERR_NOMEM;
    int rc = e ? fail("ListNotification", e, &d) : RSP_EXIT_OK;
    if (!e && !l->ok) {
        fprintf(stderr, "rsp: lpa: ListNotification: card answered error %d\n", l->error);
        rc = RSP_EXIT_FAIL;
    } else if (!e) {
        json_t *arr = json_array();
        for (size_t i = 0; i < l->n; i++) {
            const rsp_es10_notif_meta *m = &l->metas[i];
            const char *ev = m->events & RSP_ES10_EVENT_INSTALL   ? "install"
                             : m->events & RSP_ES10_EVENT_ENABLE  ? "enable"
                             : m->events & RSP_ES10_EVENT_DISABLE ? "disable"
                             : m->events & RSP_ES10_EVENT_DELETE  ? "delete"
                                                                  : "-";
            char iccid[24];
            rsp_lpa_iccid_to_digits(m->iccid.p, m->iccid.len, iccid, sizeof(iccid));
            if (x->json) {
                json_t *o = json_object();
                json_object_set_new(o, "seq", json_integer(m->seq));
                json_object_set_new(o, "event", json_string(ev));
                json_object_set_new(o, "address", jstr(m->address));
                json_object_set_new(o, "iccid", json_string(iccid));
                json_array_append_new(arr, o);
            } else {
                printf("%-6u %-8s %-20s %.*s\n", m->seq, ev, iccid[0] ? iccid : "-", (int)m->address.len,
                       (const char *)m->address.p);
            }
        }
        if (x->json)
            rsp_cli_json_out(arr);
        else
            json_decref(arr);
    }
    free(l);
    rsp_buf_free(&raw);
    return rc;
}

static int memory_reset(lpa_ctx *x, int argc, char **argv)
{
    unsigned bits = 0;
    if (rsp_cli_take_flag(&argc, argv, "--operational"))
        bits |= 1u << 0;
    if (rsp_cli_take_flag(&argc, argv, "--test"))
        bits |= 1u << 1;
    if (rsp_cli_take_flag(&argc, argv, "--default-address"))
        bits |= 1u << 2;
    if (argc != 1)
        return rsp_cli_usage_error("lpa memory-reset: unexpected '%s'", argv[1]);
    if (!bits)
        bits = 7;
    int result = 0;
    rsp_diag d = {0};
    rsp_err e = rsp_lpa_memory_reset(&x->card, bits, &result, &d);
    return e ? fail("eUICCMemoryReset", e, &d) : report_result(x, "eUICCMemoryReset", result);
}

int rsp_cmd_lpa(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return RSP_EXIT_OK;
        }
    }
    lpa_ctx x;
    memset(&x, 0, sizeof(x));
    x.json = rsp_cli_take_flag(&argc, argv, "--json");
    const char *card = take_opt(&argc, argv, "--card"), *reader = take_opt(&argc, argv, "--reader");
    const char *tname = take_opt(&argc, argv, "--transport"), *block = take_opt(&argc, argv, "--block");
    if (argc < 2) {
        fputs(usage, stderr);
        return RSP_EXIT_USAGE;
    }
    size_t blk = 0;
    if (block) {
        char *end = NULL;
        unsigned long v = strtoul(block, &end, 10);
        if (!*block || *end || v < 6 || v > 255)
            return rsp_cli_usage_error("lpa: --block %s: 6..255", block);
        blk = v;
    }
    if (!tname)
        tname = card ? "direct" : "pcsc";
    const rsp_lpa_transport_ops *ops = NULL;
    rsp_diag d = {0};
    rsp_err e = rsp_lpa_transport_find(tname, &ops, &d);
    if (e)
        return rsp_cli_usage_error("lpa: %s", d.msg);
    const char *cmd = argv[1];
    bool known = !strcmp(cmd, "chip") || !strcmp(cmd, "profile") || !strcmp(cmd, "notification") ||
                 !strcmp(cmd, "memory-reset");
    if (!known)
        return rsp_cli_usage_error("lpa: unknown command '%s' (see rsp lpa --help)", cmd);
    if (!strcmp(cmd, "chip") && (argc != 3 || strcmp(argv[2], "info")))
        return rsp_cli_usage_error("lpa chip info");
    /* the ES9+ commands check their options before the card is touched */
    bool net = (!strcmp(cmd, "profile") && argc >= 3 && (!strcmp(argv[2], "download") || !strcmp(argv[2], "discover"))) ||
               (!strcmp(cmd, "notification") && argc >= 3 && !strcmp(argv[2], "process"));
    if (net) {
        int rc = rsp_lpa_check_net_opts(argc - 2, argv + 2);
        if (rc)
            return rc;
    }
    e = rsp_lpa_card_open(&x.card, ops, !strcmp(ops->name, "direct") ? card : reader, blk, &d);
    if (e)
        return fail("opening the card", e, &d);
    int rc;
    if (!strcmp(cmd, "chip"))
        rc = chip_info(&x);
    else if (!strcmp(cmd, "profile"))
        rc = profile_cmd(&x, argc - 1, argv + 1);
    else if (!strcmp(cmd, "notification"))
        rc = notification_cmd(&x, argc - 1, argv + 1);
    else
        rc = memory_reset(&x, argc - 1, argv + 1);
    rsp_lpa_card_close(&x.card);
    return rc;
}
